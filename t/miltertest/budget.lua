-- budget.lua - the per-message DNS budget (resolver.budget): a check that
-- needs more queries than the budget leaves is a temporary failure (4xx,
-- never a 5xx, never an accept); answers already cached cost nothing, so
-- the same client next time fits in the budget
dofile("lib.lua")

local function verdict(qid, want)
	local c = session{ daemon_name = "bl", addr = "203.0.113.5" }
	mail(c, "<s@example.net>", OK, nil, qid)
	rcpt(c, "<u@example.org>", want)
	mt.disconnect(c)
end

-- cold: three lists to ask, two queries allowed
verdict("B1", TEMP)
-- two answers now cached (not listed): the third list fits in the budget
verdict("B2", OK)
