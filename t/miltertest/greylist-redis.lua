-- greylist-redis.lua - greylisting on a private Redis that is stopped
-- mid-run (store_failure: accept, or tempfail where the policy says so,
-- never a 5xx) and started again (used again without a restart)
dofile("lib.lua")

local work = os.getenv("DOORMAN_WORK")

-- the reply kind one recipient gets in a session of its own
local function try(qid, addr, listener, to)
	local c = session{ addr = addr, daemon_name = listener }
	mail(c, "<s@sender.example>", OK, nil, qid)
	assert(mt.rcptto(c, to) == nil)
	local r = mt.getreply(c)
	mt.disconnect(c)
	return r
end

-- bounded wait for a shell condition (no readiness signal to poll)
local function wait_for(cond, what)
	for _ = 1, 100 do
		if os.execute(cond) then return end
		mt.sleep(0.1)
	end
	error("timed out waiting for " .. what)
end

check(try("R1", "203.0.113.5", "inbound", "<alice@example.org>"), NO, "R1 new")

-- Redis stopped: it removes its socket as it goes
assert(os.execute("kill $(cat " .. work .. "/redis.pid)"))
wait_for("! test -S " .. work .. "/redis.sock", "redis-server to stop")
check(try("R2", "203.0.113.5", "inbound", "<bob@example.org>"), OK, "R2 store down, accept")
check(try("R3", "203.0.113.5", "greystrict", "<bob@example.org>"), NO, "R3 store down, tempfail")

-- started again: within a second doorman connects by itself
assert(os.execute(os.getenv("DOORMAN_REDIS_START")))
wait_for("test -S " .. work .. "/redis.sock", "redis-server to listen")
local got
for i = 1, 40 do
	got = try("R4", "203.0.113.5", "inbound", "<carol@example.org>")
	if got == NO then break end
	mt.sleep(0.1)
end
check(got, NO, "R4 store back, greylisted again")
