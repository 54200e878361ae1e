-- auth.lua - SPF, DKIM and DMARC against a real NSD serving auth.test
-- (t/dns/zones), with messages signed at setup by python3-dkim
-- (t/auth/make-corpus.py).  Replies are checked here, their texts and the
-- decisions in auth.expect; every Authentication-Results field doorman
-- adds is saved to $DOORMAN_WORK/ar/QID and parsed by python3-authres in
-- auth.sh.
dofile("lib.lua")

local CORPUS = os.getenv("DOORMAN_CORPUS")
local WORK = os.getenv("DOORMAN_WORK")
local GOOD, STRANGER = "203.0.113.5", "203.0.113.99"
os.execute("mkdir -p " .. WORK .. "/ar")

local function save(conn, qid)
	save_header(conn, "Authentication-Results", WORK .. "/ar/" .. qid)
end

-- t{qid=, policy=, addr=, helo=, from=, mail=, rcpt=, msg=, eom=}: one
-- transaction; mail/rcpt/eom are the replies wanted (default OK)
local function t(x)
	local c = session{ daemon_name = x.policy or "auth", addr = x.addr or GOOD,
			   helo = x.helo or "client.auth.test" }
	mail(c, x.from or "<s@none.auth.test>", x.mail or OK, nil, x.qid)
	rcpt(c, "<u@example.org>", x.rcpt or OK)
	if x.msg and (x.rcpt or OK) == OK then
		message(c, CORPUS .. "/" .. x.msg .. ".eml", x.eom or OK)
		save(c, x.qid)
		if x.after then
			x.after(c)
		end
	end
	mt.disconnect(c)
end

local function must(ok, what)
	if not ok then
		error(what, 2)
	end
end

-- SPF: each result, for the MAIL FROM and the HELO identity
-- doorman takes SMFIP_HDR_LEADSPC when offered (miltertest offers it)
local c0 = session{ daemon_name = "auth" }
must(mt.test_option(c0, SMFIP_HDR_LEADSPC), "SMFIP_HDR_LEADSPC not taken")
mt.disconnect(c0)

t{ qid = "S1", from = "<s@pass.auth.test>", helo = "goodhelo.auth.test", msg = "from-pass",
   after = function(c)
	must(mt.eom_check(c, MT_HDRINSERT, "Received-SPF"), "S1: no Received-SPF")
   end }
t{ qid = "S2", addr = STRANGER, from = "<s@pass.auth.test>", rcpt = NO }
t{ qid = "S3", addr = STRANGER, from = "<s@explained.auth.test>", rcpt = NO }
t{ qid = "S4", addr = STRANGER, from = "<s@soft.auth.test>", msg = "from-nopol" }
t{ qid = "S5", from = "<s@neutral.auth.test>", msg = "from-nopol" }
t{ qid = "S6", from = "<s@none.auth.test>", msg = "from-nopol" }
t{ qid = "S7", from = "<s@lookups.auth.test>", msg = "from-nopol" }
t{ qid = "S8", from = "<s@voids.auth.test>", msg = "from-nopol" }
t{ qid = "S9", from = "<s@loop.auth.test>", msg = "from-nopol" }
t{ qid = "S10", from = "<s@syntax.auth.test>", msg = "from-nopol" }
t{ qid = "S11", from = "<s@twice.auth.test>", msg = "from-nopol" }
t{ qid = "S14", from = "<s@silent.auth.test>", rcpt = TEMP }
t{ qid = "S15", from = "<s@pass.auth.test>", helo = "badhelo.auth.test", rcpt = NO }
t{ qid = "S16", from = "<>", helo = "goodhelo.auth.test", msg = "from-nopol" }
t{ qid = "S17", from = "<>", addr = STRANGER, helo = "goodhelo.auth.test", rcpt = NO }
-- each result told apart: this policy refuses all but pass
t{ qid = "SS1", policy = "strictspf", from = "<s@pass.auth.test>" }
t{ qid = "SS2", policy = "strictspf", addr = STRANGER, from = "<s@soft.auth.test>", rcpt = NO }
t{ qid = "SS3", policy = "strictspf", from = "<s@neutral.auth.test>", rcpt = NO }
t{ qid = "SS4", policy = "strictspf", from = "<s@none.auth.test>", rcpt = NO }
t{ qid = "SS5", policy = "strictspf", from = "<s@lookups.auth.test>", rcpt = NO }
t{ qid = "SS6", policy = "strictspf", from = "<s@voids.auth.test>", rcpt = NO }
-- a DNS outage is a 451 even where permerror is refused: the sender's own
-- record never answers, an included one is SERVFAIL (NSD refuses the zone)
t{ qid = "SS7", policy = "strictspf", from = "<s@x.silent.test>", rcpt = TEMP }
t{ qid = "SS8", policy = "strictspf", from = "<s@refused.auth.test>", rcpt = TEMP }
-- macro abuse: an answer, whichever, and the process lives on
for i, dom in ipairs({ "macro", "macro2" }) do
	local c = session{ daemon_name = "strictspf", addr = GOOD, helo = "client.auth.test" }
	mail(c, "<" .. string.rep("l", 60) .. "@" .. dom .. ".auth.test>", OK, nil, "SM" .. i)
	assert(mt.rcptto(c, "<u@example.org>") == nil)
	local r = mt.getreply(c)
	must(r == OK or r == SMFIR_REPLYCODE, "SM" .. i .. ": no answer")
	mt.disconnect(c)
end
-- trusted: no SPF verdict, no DMARC, no header; unless spf.trusted
t{ qid = "S18", addr = "198.51.100.7", from = "<s@pass.auth.test>", msg = "dmarc-unaligned" }
t{ qid = "S19", policy = "trustedspf", addr = "198.51.100.7", from = "<s@pass.auth.test>", rcpt = NO }
-- authenticated: no DMARC verdict either
do
	local c = session{ daemon_name = "auth", addr = STRANGER, helo = "client.auth.test" }
	mail(c, "<s@pass.auth.test>", OK, "alice", "S20")
	rcpt(c, "<u@example.org>", OK)
	message(c, CORPUS .. "/dmarc-unaligned.eml", OK)
	mt.disconnect(c)
end
-- iprev: a client whose PTR name leads back to it
t{ qid = "I1", addr = "203.0.113.70", msg = "from-nopol" }

-- DKIM: results per signature (the tag policy lets DMARC failures through)
t{ qid = "D1", policy = "tag", msg = "dkim-rsa" }
t{ qid = "D2", policy = "tag", msg = "dkim-ed25519" }
t{ qid = "D3", policy = "tag", msg = "dkim-two" }
t{ qid = "D4", policy = "tag", msg = "dkim-tampered",
   after = function(c)
	must(mt.eom_check(c, MT_HDRADD, "X-Doorman-DMARC",
			  " fail policy=reject header.from=pass.auth.test"), "D4: no tag")
   end }
t{ qid = "D5", policy = "tag", msg = "dkim-nokey" }
t{ qid = "D6", policy = "tag", msg = "dkim-revoked" }
t{ qid = "D7", policy = "tag", msg = "dkim-silent" }
t{ qid = "D8", policy = "tag", msg = "dkim-length" }
t{ qid = "D9", policy = "tag", msg = "dkim-oversigned" }
t{ qid = "D10", msg = "dkim-oversigned-added", eom = NO }

-- DMARC
t{ qid = "M1", msg = "dmarc-unaligned", eom = NO }
t{ qid = "M2", msg = "dmarc-relaxed" }
t{ qid = "M3", msg = "dmarc-strict", eom = NO }
t{ qid = "M4", msg = "from-quar",
   after = function(c)
	must(mt.eom_check(c, MT_HDRADD, "X-Doorman-DMARC",
			  " fail policy=quarantine header.from=quar.auth.test"), "M4: no tag")
	must(not mt.eom_check(c, MT_QUARANTINE), "M4: quarantined")
   end }
t{ qid = "M5", msg = "from-nopol",
   after = function(c)
	must(not mt.eom_check(c, MT_HDRADD, "X-Doorman-DMARC"), "M5: tagged")
   end }
t{ qid = "M6", msg = "from-pct0",
   after = function(c)
	must(mt.eom_check(c, MT_HDRADD, "X-Doorman-DMARC",
			  " fail policy=quarantine header.from=pct0.auth.test"), "M6: pct=0 not quarantine")
   end }
t{ qid = "M7", msg = "from-sub", eom = NO }
t{ qid = "M8", msg = "from-bad" }
t{ qid = "M9", msg = "from-two" }
t{ qid = "M10", msg = "from-silent", eom = TEMP }
t{ qid = "M11", msg = "from-multi-domain", eom = NO }
t{ qid = "M12", msg = "from-twice", eom = NO }
t{ qid = "M13", msg = "from-nodomain", eom = NO }
t{ qid = "M14", msg = "from-none", eom = NO }
t{ qid = "M15", from = "<s@pass.auth.test>", msg = "from-pass" }
t{ qid = "Q1", policy = "quar", msg = "dmarc-unaligned",
   after = function(c)
	must(mt.eom_check(c, MT_QUARANTINE), "Q1: not quarantined")
   end }
t{ qid = "Q2", policy = "quar", msg = "from-quar",
   after = function(c)
	must(mt.eom_check(c, MT_QUARANTINE), "Q2: not quarantined")
   end }
t{ qid = "DRY1", policy = "dry", msg = "dmarc-unaligned" }

-- forged Authentication-Results claiming our id: removed, ours added
t{ qid = "F1", msg = "forged-ar",
   after = function(c)
	must(mt.eom_check(c, MT_HDRDELETE, "Authentication-Results"), "F1: nothing deleted")
	must(mt.eom_check(c, MT_HDRINSERT, "Authentication-Results"), "F1: none added")
   end }

-- hostile messages: an answer each, within bounds
local t0 = os.time()
t{ qid = "H1", msg = "hostile-dkim-tags" }
t{ qid = "H2", msg = "hostile-many-sigs" }
t{ qid = "H3", msg = "hostile-many-headers" }
t{ qid = "H5", msg = "hostile-nul" }
t{ qid = "H6", msg = "hostile-from", eom = NO }
if os.time() - t0 > 10 then
	error("hostile messages took " .. (os.time() - t0) .. " s")
end
