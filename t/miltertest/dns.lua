-- dns.lua - the DNS checks against a real NSD: DNSBL/DNSWL with weights,
-- filters and thresholds, IPv6, RHSBL, FCrDNS, sender domain existence,
-- and a zone whose server never answers (tempfail, bounded)
dofile("lib.lua")

local function verdict(policy, addr, from, want, qid, helo)
	local c = session{ daemon_name = policy, addr = addr, helo = helo }
	mail(c, from, OK, nil, qid)
	rcpt(c, "<u@example.org>", want)
	mt.disconnect(c)
end

verdict("bl", "203.0.113.66", "<s@exists.doorman.test>", NO, "BL1")    -- listed twice
verdict("bl", "203.0.113.67", "<s@exists.doorman.test>", OK, "BL2")    -- bl2 answer outside filter
verdict("bl", "203.0.113.68", "<s@exists.doorman.test>", OK, "BL3")    -- 127.255.255.254
verdict("bl", "203.0.113.69", "<s@spammy.doorman.test>", OK, "WL1")        -- allowlisted beats all
verdict("bl", "203.0.113.99", "<s@exists.doorman.test>", OK, "BL4")    -- not listed
verdict("bl", "2001:db8::66", "<s@exists.doorman.test>", NO, "BL6")    -- IPv6 nibbles
verdict("weighted", "203.0.113.66", "<s@x.test>", NO, "W1")            -- 2+2 >= 4
verdict("weighted", "203.0.113.67", "<s@x.test>", OK, "W2")            -- 2 < 4

-- RHSBL on the sender domain and on the HELO name
verdict("bl", "203.0.113.99", "<s@spammy.doorman.test>", NO, "RHS1")
verdict("bl", "203.0.113.99", "<s@exists.doorman.test>", NO, "RHS2", "evil.helo.test")

-- sender domains
verdict("bl", "203.0.113.99", "<s@mxonly.doorman.test>", OK, "SD1")
verdict("bl", "203.0.113.99", "<s@v6only.doorman.test>", OK, "SD2")
verdict("bl", "203.0.113.99", "<s@nullmx.doorman.test>", NO, "SD3")
verdict("bl", "203.0.113.99", "<s@missing.doorman.test>", NO, "SD4")
verdict("bl", "203.0.113.99", "<s@noaddr.doorman.test>", NO, "SD5")
verdict("bl", "203.0.113.99", "<s@host.silent.test>", TEMP, "SD6")

-- FCrDNS
verdict("fcrdns", "203.0.113.70", "<s@x.test>", OK, "FC1")
verdict("fcrdns", "203.0.113.71", "<s@x.test>", NO, "FC2")
verdict("fcrdns", "203.0.113.72", "<s@x.test>", NO, "FC3")
verdict("fcrdns", "203.0.113.73", "<s@x.test>", TEMP, "FC4")

-- a listing zone that never answers: tempfail, within the timeout
local t0 = os.time()
verdict("silent", "203.0.113.99", "<s@x.test>", TEMP, "SIL1")
verdict("silent", "203.0.113.66", "<s@x.test>", TEMP, "SIL2")
if os.time() - t0 > 4 then
	error("the silent zone took " .. (os.time() - t0) .. " s")
end
