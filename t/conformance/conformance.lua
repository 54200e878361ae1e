-- conformance.lua - every case of t/conformance/gen.py through doorman
--
-- Each case twice: as qid NAME under the policy "conf" (DMARC as
-- published: p=reject refused), whose end-of-message answer check.py
-- reads in the log (a mismatch there does not stop the other cases); and
-- as qid NAME.t under
-- "tag" (failures marked, not refused), whose Authentication-Results field
-- is saved to $DOORMAN_WORK/ar/NAME for check.py.
dofile("../miltertest/lib.lua")

local WORK = os.getenv("DOORMAN_WORK")
local GOOD = "203.0.113.5"

local function run(name, policy, qid, save)
	local c = session{ daemon_name = policy, addr = GOOD, helo = "client.conf.test" }
	mail(c, "<s@none.conf.test>", OK, nil, qid)
	rcpt(c, "<u@example.org>", OK)
	message(c, WORK .. "/msg/" .. name .. ".eml", nil)
	if save then
		save_header(c, "Authentication-Results", WORK .. "/ar/" .. name)
	end
	mt.disconnect(c)
end

for line in io.lines(WORK .. "/cases.txt") do
	local name = line:match("^(%S+) ")
	run(name, "conf", name, false)
	run(name, "tag", name .. ".t", true)
end
