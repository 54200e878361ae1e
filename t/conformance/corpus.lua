-- corpus.lua - the no-false-reject corpus of t/conformance/gen.py (mode
-- corpus) through doorman under the "conf" policy (DMARC as published,
-- p=reject refused): every message, to its several recipients, must be
-- accepted.  Counts are written to $DOORMAN_WORK/corpus.result; check.py
-- reads the DKIM and DMARC results in the log.
dofile("../miltertest/lib.lua")

local WORK = os.getenv("DOORMAN_WORK")
local sent, refused = 0, {}

for line in io.lines(WORK .. "/corpus.txt") do
	local name, n = line:match("^(%S+) (%d+)$")
	local c = session{ daemon_name = "conf", addr = "203.0.113.5", helo = "client.conf.test" }
	mail(c, "<s@none.conf.test>", OK, nil, name)
	for k = 0, tonumber(n) - 1 do
		rcpt(c, "<r" .. k .. "@example.org>", OK)
	end
	if message(c, WORK .. "/msg/" .. name .. ".eml", nil) ~= OK then
		refused[#refused + 1] = name
	end
	sent = sent + 1
	mt.disconnect(c)
end
local f = assert(io.open(WORK .. "/corpus.result", "w"))
f:write(string.format("messages=%d refused=%d %s\n", sent, #refused, table.concat(refused, " ")))
f:close()
