-- greylist-redis.lua - greylisting on a private Redis that is stopped
-- mid-run (store_failure: accept, or tempfail where the policy says so,
-- never a 5xx) and started again (used again without a restart)
dofile("lib.lua")

local work = os.getenv("DOORMAN_WORK")

-- the reply one recipient gets in a session of its own, and the log
-- offset before it (for check() to read the reply doorman logged)
local function try(qid, addr, listener, to)
	local c = session{ addr = addr, daemon_name = listener }
	mail(c, "<s@sender.example>", OK, nil, qid)
	local off = mark()
	assert(mt.rcptto(c, to) == nil)
	local r = mt.getreply(c)
	mt.disconnect(c)
	return r, off
end

-- bounded wait for a shell condition (no readiness signal to poll)
local function wait_for(cond, what)
	for _ = 1, 100 do
		if os.execute(cond) then return end
		mt.sleep(0.1)
	end
	error("timed out waiting for " .. what)
end

local r, off = try("R1", "203.0.113.5", "inbound", "<alice@example.org>")
check(r, TEMP, "R1 new", off)

-- Redis stopped: it removes its socket as it goes
assert(os.execute("kill $(cat " .. work .. "/redis.pid)"))
wait_for("! test -S " .. work .. "/redis.sock", "redis-server to stop")
check(try("R2", "203.0.113.5", "inbound", "<bob@example.org>"), OK, "R2 store down, accept")
r, off = try("R3", "203.0.113.5", "greystrict", "<bob@example.org>")
check(r, TEMP, "R3 store down, tempfail", off)

-- started again: within a second doorman connects by itself
assert(os.execute(os.getenv("DOORMAN_REDIS_START")))
wait_for("test -S " .. work .. "/redis.sock", "redis-server to listen")
local got, goff
for i = 1, 40 do
	got, goff = try("R4", "203.0.113.5", "inbound", "<carol@example.org>")
	if got == SMFIR_REPLYCODE then break end
	mt.sleep(0.1)
end
check(got, TEMP, "R4 store back, greylisted again", goff)

-- 0.5 s after carol's first sight, 0.5 s short of the delay (1 s here):
-- early (the Redis script counts milliseconds too); after it: passed
mt.sleep(0.5)
r, off = try("R5", "203.0.113.5", "inbound", "<carol@example.org>")
check(r, TEMP, "R5 early", off)
mt.sleep(0.7)
check(try("R6", "203.0.113.5", "inbound", "<carol@example.org>"), OK, "R6 passed")
