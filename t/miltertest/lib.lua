-- lib.lua - helpers for doorman's miltertest scenarios (dofile'd)
--
-- mt.getreply() gives only the kind of answer: SMFIR_CONTINUE, or
-- SMFIR_REPLYCODE when doorman rejected or tempfailed with its own reply
-- (miltertest keeps the reply's text only at end of message).  So a wanted
-- NO (a 5xx) or TEMP (a 4xx) is told apart by doorman's log: the first
-- action=reject or action=tempfail line written since the command was
-- sent must carry a reply="..." of that class.  The full reply texts are asserted in SCENARIO.expect.

SOCKET = os.getenv("DOORMAN_SOCKET")
local LOG = (os.getenv("DOORMAN_WORK") or ".") .. "/doorman.log"

OK = SMFIR_CONTINUE
NO = { class = "5", name = "NO (a 5xx reply)" }
TEMP = { class = "4", name = "TEMP (a 4xx reply)" }

-- mark(): where doorman's log ends now (pass to check)
function mark()
	local f = io.open(LOG, "rb")
	if not f then
		return 0
	end
	local n = f:seek("end")
	f:close()
	return n
end

-- the reply="..." of the first decision logged after offset off, waiting
-- up to 3 s for it (doorman may log just after it answers)
local function logged_reply(off)
	for _ = 1, 60 do
		local f = io.open(LOG, "rb")
		if f then
			f:seek("set", off)
			local text = f:read("*a")
			f:close()
			for line in text:gmatch("[^\n]*\n") do
				local r = line:match(' action=reject .-reply="([^"]*)"') or
					  line:match(' action=tempfail .-reply="([^"]*)"')
				if r then
					return r
				end
			end
		end
		os.execute("sleep 0.05")
	end
	return nil
end

-- fail(fmt, ...): stop the script, saying why on stdout (miltertest
-- prints no message of a Lua error, only exits 1)
function fail(...)
	local why = string.format(...)
	mt.echo("FAIL: " .. why)
	error(why, 3)
end

-- check(got, want, what, off): got is mt.getreply()'s answer; want is OK
-- (or another SMFIR_* value), NO or TEMP; off is mark() before the command
function check(got, want, what, off)
	if type(want) ~= "table" then
		if got ~= want then
			fail("%s: reply %s, want %s", what, tostring(got), tostring(want))
		end
		return
	end
	if got ~= SMFIR_REPLYCODE then
		fail("%s: reply %s, want %s", what, tostring(got), want.name)
	end
	local r = logged_reply(off or 0)
	if r == nil or r:sub(1, 1) ~= want.class then
		fail("%s: doorman logged reply %s, want %s", what, tostring(r), want.name)
	end
end

-- session{daemon_name=, addr=, host=, daemon_addr=, helo=}: a connection
-- that went through connect (and HELO, unless helo == false)
function session(t)
	local conn = mt.connect(SOCKET, 40, 0.05)
	assert(conn, "mt.connect failed")
	local macros = { "{daemon_name}", t.daemon_name or "inbound" }
	if t.daemon_addr then
		macros[#macros + 1] = "{daemon_addr}"
		macros[#macros + 1] = t.daemon_addr
	end
	mt.macro(conn, SMFIC_CONNECT, (table.unpack or unpack)(macros))
	local off = mark()
	assert(mt.conninfo(conn, t.host or "client.example.net", t.addr or "203.0.113.5") == nil)
	check(mt.getreply(conn), t.connect_reply or SMFIR_CONTINUE, "connect", off)
	if t.helo ~= false then
		off = mark()
		assert(mt.helo(conn, t.helo or "client.example.net") == nil)
		check(mt.getreply(conn), t.helo_reply or SMFIR_CONTINUE, "helo " .. (t.helo or ""), off)
	end
	return conn
end

-- mail(conn, from, want, auth, qid, params...)
function mail(conn, from, want, auth, qid, ...)
	mt.macro(conn, SMFIC_MAIL, "i", qid or "QID", "{auth_authen}", auth or "")
	local off = mark()
	assert(mt.mailfrom(conn, from, ...) == nil)
	check(mt.getreply(conn), want or SMFIR_CONTINUE, "MAIL FROM " .. from, off)
end

function rcpt(conn, to, want)
	local off = mark()
	assert(mt.rcptto(conn, to) == nil)
	check(mt.getreply(conn), want, "RCPT TO " .. to, off)
end

-- message(conn, path, want): DATA, the header fields and body of a file
-- (CRLF line ends, as t/auth/make-corpus.py writes them), end of message;
-- want is the reply wanted at EOM (nil: any, for the caller to judge);
-- returns the reply.
-- Header values keep the space after the colon: miltertest offers
-- SMFIP_HDR_LEADSPC, doorman takes it, and an MTA then passes values as
-- they came (and takes ours as we give them).  miltertest itself puts one space before the value it is given when the
-- option is on, so the value goes without its first space: the field
-- reaches doorman byte for byte (simple header canonicalization sees
-- every byte; a message whose field has no space after the colon gets
-- one, which the corpora do not have).
function message(conn, path, want)
	local f = assert(io.open(path, "rb"))
	local data = f:read("*a")
	f:close()
	local sep = assert(data:find("\r\n\r\n", 1, true), path .. ": no header end")
	local head, body = data:sub(1, sep + 1), data:sub(sep + 4)
	assert(mt.data(conn) == nil)
	check(mt.getreply(conn), SMFIR_CONTINUE, "DATA")
	local name, value
	local function send()
		if name then
			assert(mt.header(conn, name, (value:gsub("^ ", "", 1))) == nil)
			check(mt.getreply(conn), SMFIR_CONTINUE, "header " .. name)
		end
	end
	for line in head:gmatch("(.-)\r\n") do
		if line:match("^[ \t]") and name then
			value = value .. "\r\n" .. line
		else
			send()
			name, value = line:match("^([^:]+):(.*)$")
		end
	end
	send()
	local off = mark()
	assert(mt.eoh(conn) == nil)
	check(mt.getreply(conn), SMFIR_CONTINUE, "EOH", off)
	-- small chunks: miltertest overflows its stack near 1 KB; an empty body
	-- goes as one empty chunk (with none, miltertest sends a default body)
	if body == "" then
		assert(mt.bodystring(conn, "") == nil)
		check(mt.getreply(conn), SMFIR_CONTINUE, "body")
	end
	for i = 1, #body, 512 do
		assert(mt.bodystring(conn, body:sub(i, i + 511)) == nil)
		check(mt.getreply(conn), SMFIR_CONTINUE, "body")
	end
	off = mark()
	assert(mt.eom(conn) == nil)
	local r = mt.getreply(conn)
	if want ~= nil then
		check(r, want, "EOM " .. path, off)
	end
	return r
end

-- save_header(conn, name, path): the first field NAME doorman added at the
-- end of the message, written to path (nothing when none was added)
function save_header(conn, name, path)
	local v = mt.getheader(conn, name, 0)
	if v then
		local f = assert(io.open(path, "wb"))
		f:write(v)
		f:close()
	end
end

-- doorman_state(args): the output of doorman-state ARGS against the
-- scenario's policy (stdout and stderr, sorted) and its exit status as a
-- last line "exit N"
function doorman_state(args)
	local work = os.getenv("DOORMAN_WORK")
	local cli = os.getenv("DOORMAN_BIN"):gsub("milter/doorman$", "tools/doorman-state") ..
		" -c " .. work .. "/doorman.conf"
	local out = work .. "/state.out"
	os.execute(cli .. " " .. args .. " >" .. out .. ".raw 2>&1; st=$?; LC_ALL=C sort " .. out ..
		".raw >" .. out .. "; echo exit $st >>" .. out)
	local f = assert(io.open(out, "rb"))
	local text = f:read("*a")
	f:close()
	return text
end
