-- fwduse.lua - mail from a forwarder (doorman.conf(5), MAIL FROM A
-- FORWARDER) and spf.defer: conf/fwduse.conf lists 203.0.113.66 and
-- 192.0.2.9 as forwarders; the messages are the corpus of t/auth
-- (DOORMAN_CORPUS, signed afresh) with the Received fields of the hops
-- put on top, as Postfix passes them (our MTA's own field first)
dofile("lib.lua")

local CORPUS = os.getenv("DOORMAN_CORPUS")
local WORK = os.getenv("DOORMAN_WORK")

-- relayed(name, client, client_helo, origin, origin_helo): the corpus
-- message NAME with our MTA's field (from the client) and the client's
-- own (from the origin, by the client's HELO name) on top; a new file
local function relayed(name, client, client_helo, origin, origin_helo)
	local f = assert(io.open(CORPUS .. "/" .. name .. ".eml", "rb"))
	local data = f:read("*a")
	f:close()
	local top = "Received: from " .. client_helo .. " (" .. client_helo .. " [" .. client ..
		    "])\r\n\tby mx.example.org (Postfix) with ESMTP id 4ZfwdA; Sat, 5 Dec 2026 11:00:00 +0000\r\n" ..
		    "Received: from " .. origin_helo .. " (" .. origin_helo .. " [" .. origin ..
		    "])\r\n\tby " .. client_helo .. " (Postfix) with ESMTP id 4ZfwdB; Sat, 5 Dec 2026 10:59:59 +0000\r\n"
	local out = WORK .. "/" .. name .. "-" .. client .. "-" .. origin .. ".eml"
	f = assert(io.open(out, "wb"))
	f:write(top .. data)
	f:close()
	return out
end

-- the Authentication-Results doorman added must contain text (plain)
local function ar_has(c, what, text)
	local v = mt.getheader(c, "Authentication-Results", 0)
	if v == nil or not v:find(text, 1, true) then
		fail("%s: Authentication-Results %s, want %s in it", what, tostring(v), text)
	end
end

local FWD, FWD_HELO = "192.0.2.9", "relay.auth.test"
local GOOD, GOOD_HELO = "203.0.113.5", "goodhelo.auth.test"

-- (i) a listed forwarder relays a message signed by its p=reject From
-- domain: its own SPF is no matter, DMARC passes through DKIM
local c = session{ addr = FWD, host = FWD_HELO, helo = FWD_HELO }
mail(c, "<s@none.auth.test>", OK, nil, "FW1")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("dkim-rsa", FWD, FWD_HELO, GOOD, GOOD_HELO), OK)
ar_has(c, "FW1", "dmarc=pass")

-- (ii) an SPF-only p=reject message: the forwarder's address is not in
-- pass.auth.test's SPF, the origin's is: spf=pass for the origin
mail(c, "<s@pass.auth.test>", OK, nil, "FW2")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("from-pass", FWD, FWD_HELO, GOOD, GOOD_HELO), OK)
ar_has(c, "FW2", "spf=pass (origin 203.0.113.5 via forwarder 192.0.2.9, listed) smtp.mailfrom=s@pass.auth.test")
ar_has(c, "FW2", "dmarc=pass")

-- (iii) a signed p=reject message whose body the forwarder changed: DMARC
-- fails, and forwarding explains it
mail(c, "<s@none.auth.test>", OK, nil, "FW3")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("dkim-tampered", FWD, FWD_HELO, GOOD, GOOD_HELO), OK)
ar_has(c, "FW3", "dmarc=fail (p=reject dis=none; override=forwarded) header.from=pass.auth.test")

-- (iv) the origin pass.auth.test's SPF does not authorise: 550 at end of data
mail(c, "<s@pass.auth.test>", OK, nil, "FW4")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("from-pass", FWD, FWD_HELO, "203.0.113.99", "client.auth.test"), NO)

-- (v) the origin is on the DNS list: refused at end of data
mail(c, "<s@none.auth.test>", OK, nil, "FW5")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("dkim-rsa", FWD, FWD_HELO, "203.0.113.66", "spam.example"), NO)

-- (vi) no field of the forwarder's own (its by-part names another host):
-- the forwarder's own results apply, its SPF fail at end of data
mail(c, "<s@pass.auth.test>", OK, nil, "FW6")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("from-pass", FWD, "other.fwd.test", GOOD, GOOD_HELO), NO)
mt.disconnect(c)

-- (vii) a forwarder the DNS list names: its own score is not applied,
-- its origin's is (clean)
c = session{ addr = "203.0.113.66", host = FWD_HELO, helo = FWD_HELO }
mail(c, "<s@pass.auth.test>", OK, nil, "FW7")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("from-pass", "203.0.113.66", FWD_HELO, GOOD, GOOD_HELO), OK)
ar_has(c, "FW7", "spf=pass (origin 203.0.113.5 via forwarder 203.0.113.66, listed)")
mt.disconnect(c)

-- a stranger with the same SPF-only message and a fake Received field
-- naming the authorised origin: its field is never read, refused
c = session{ addr = "203.0.113.99", host = FWD_HELO, helo = FWD_HELO }
mail(c, "<s@pass.auth.test>", OK, nil, "ST1")
rcpt(c, "<u@example.org>", OK)
message(c, relayed("from-pass", "203.0.113.99", FWD_HELO, GOOD, GOOD_HELO), NO)

-- spf.defer: the stranger's SPF fail is overridden by a DKIM pass aligned
-- with the MAIL FROM domain ...
mail(c, "<s@pass.auth.test>", OK, nil, "DF1")
rcpt(c, "<u@example.org>", OK)
message(c, CORPUS .. "/dkim-rsa.eml", OK)
ar_has(c, "DF1", "spf=fail")
ar_has(c, "DF1", "dmarc=pass")
-- ... and stands as a 550 at end of data for an unsigned message
mail(c, "<s@pass.auth.test>", OK, nil, "DF2")
rcpt(c, "<u@example.org>", OK)
message(c, CORPUS .. "/from-pass.eml", NO)
mt.disconnect(c)

-- without spf.defer the stranger is refused at RCPT, as before
c = session{ daemon_name = "nodefer", addr = "203.0.113.99", host = FWD_HELO, helo = FWD_HELO }
mail(c, "<s@pass.auth.test>", OK, nil, "ND1")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)
