-- fwdlearn.lua - forwarders learned from DKIM (issue 12.3) on a private
-- Redis (conf/fwdlearn.conf: min_messages = 3, min_domains = 3).  The
-- forwarder 192.0.2.9 relays mail signed by d1..d4.fwdlearn.test, whose
-- SPF names only the origin 203.0.113.40 its Received field records: four
-- evidence messages of three domains make it learned (fwdlearn.expect has
-- the log lines), and the store holds its record.  Unsigned mail, an
-- origin the domain does not authorise and a client it authorises count
-- nothing; forwarders.learn = false counts nothing; with Redis stopped
-- the mail still goes through.  The messages are signed afresh by
-- fwdlearn-corpus.py (python3-dkim).
dofile("lib.lua")

local work = os.getenv("DOORMAN_WORK")
local corpus = work .. "/fwdcorpus"
assert(os.execute("/usr/bin/python3 fwdlearn-corpus.py " .. corpus))
local state = doorman_state

-- one relayed message in a session of its own
local function relay(qid, msg, addr, helo)
	local c = session{ addr = addr or "192.0.2.9", host = helo or "fwd.example.net",
		helo = helo or "fwd.example.net" }
	mail(c, "<list@bounces.fwdlearn.test>", OK, nil, qid)
	rcpt(c, "<u@example.org>", OK)
	message(c, corpus .. "/" .. msg .. ".eml", OK)
	mt.disconnect(c)
end

-- the log lines written since off
local function since(off)
	local f = assert(io.open(work .. "/doorman.log", "rb"))
	f:seek("set", off)
	local text = f:read("*a")
	f:close()
	return text
end

local function wants(text, pattern, what)
	if not text:find(pattern) then
		fail("%s: no /%s/ in\n%s", what, pattern, text)
	end
end

local function lacks(text, pattern, what)
	if text:find(pattern) then
		fail("%s: /%s/ in\n%s", what, pattern, text)
	end
end

-- nothing counts: unsigned, a bad origin, a client the domain authorises
local off = mark()
relay("N1", "fwd-unsigned")
relay("N2", "fwd-bad-origin")
relay("N3", "fwd-authorised", "203.0.113.41", "fwd2.example.net")
lacks(since(off), "forwarder_", "no evidence")
wants(state("list fwdev"), "^exit 0\n$", "no counter")

-- evidence: d1, d2, d1 again (3 messages, 2 domains: not yet), d3
off = mark()
relay("E1", "fwd-d1")
relay("E2", "fwd-d2")
relay("E3", "fwd-d1")
lacks(since(off), "forwarder_learned", "two domains")
wants(state("list fwd"), "^exit 0\n$", "not learned yet")
relay("E4", "fwd-d3")
wants(since(off), "forwarder_learned client=192%.0%.2%.9 messages=4 domains=3", "learned")
-- the learned record: a new connection from 192.0.2.9 finds it (fwdlearn_known)
-- {first learned, last evidence, messages, domains}, kept 30 days
local first = state("list fwd"):match("^fwd|192%.0%.2%.9/32 fields=(%d+),%1,4,3 expires=%S+\nexit 0\n$")
if first == nil or math.abs(tonumber(first) - os.time()) > 60 then
	fail("the learned record: %s", state("list fwd"))
end

-- a later evidence message renews it, learned once
off = mark()
relay("E5", "fwd-d4")
wants(since(off), "forwarder_evidence client=192%.0%.2%.9 origin=203%.0%.113%.40 " ..
	"domain=d4%.fwdlearn%.test messages=5 domains=4", "renewed")
lacks(since(off), "forwarder_learned", "learned once")
local last = state("list fwd"):match("^fwd|192%.0%.2%.9/32 fields=" .. first .. ",(%d+),5,4 expires")
if last == nil or tonumber(last) < tonumber(first) then
	fail("the renewed record: %s", state("list fwd"))
end

-- the store down: the message goes through, the failure is logged
local pid = io.open(work .. "/redis.pid"):read("*l")
assert(os.execute("kill " .. pid))
for _ = 1, 100 do
	if not os.execute("kill -0 " .. pid .. " 2>/dev/null") then break end
	os.execute("sleep 0.05")
end
off = mark()
relay("D1", "fwd-d2")
wants(since(off), "qid=D1 [^\n]*stage=eom action=continue", "store down: delivered")
wants(since(off), "fwdlearn store_failure=evidence client=192%.0%.2%.9", "store down")
assert(os.execute(os.getenv("DOORMAN_REDIS_START")))
for _ = 1, 100 do
	if os.execute("test -S " .. work .. "/redis.sock") then break end
	os.execute("sleep 0.05")
end

-- forwarders.learn = false (a reload): nothing counted (Redis started empty)
assert(os.execute("sed -i 's/learn = true/learn = false/' " .. work .. "/doorman.conf"))
local reloads = 0
local function reloaded()
	local n = 0
	for _ in since(0):gmatch("reload: [^\n]* loaded") do n = n + 1 end
	return n
end
reloads = reloaded()
assert(os.execute("kill -USR1 " .. os.getenv("DOORMAN_PID")))
for _ = 1, 100 do
	if reloaded() > reloads then break end
	os.execute("sleep 0.05")
end
if reloaded() == reloads then fail("no reload") end
off = mark()
relay("F1", "fwd-d1")
relay("F2", "fwd-d2")
lacks(since(off), "forwarder_", "learn = false")
wants(state("list"), "^exit 0\n$", "learn = false: an empty store")

-- the counters: six evidence messages (E1-E5, D1), one learned, D1's failure
local scrape = work .. "/scrape"
assert(os.execute("curl -sf --max-time 5 http://127.0.0.1:" .. (tonumber(os.getenv("DOORMAN_PORT")) + 3) ..
	"/metrics >" .. scrape))
local text = assert(io.open(scrape, "rb")):read("*a")
wants(text, "\ndoorman_forwarder_evidence_total 6\n", "metrics")
wants(text, "\ndoorman_forwarder_learned_total 1\n", "metrics")
wants(text, "\ndoorman_forwarder_store_failures_total 1\n", "metrics")
