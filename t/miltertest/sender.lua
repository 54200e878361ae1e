-- sender.lua - sender access list, non-FQDN sender, null sender rules
dofile("lib.lua")

local cases = {
	{ "<spammer@bad.example>", NO, "S1" }, { "<x@exact.example>", NO, "S2" },
	{ "<x@sub.exact.example>", OK, "S3" }, { "<x@parent.example>", TEMP, "S4" },
	{ "<x@a.b.parent.example>", TEMP, "S5" }, { "<postmaster@anything.example>", OK, "S6" },
	{ "<x@nodots>", NO, "S7" }, { "<x>", NO, "S8" }, { "<x@[192.0.2.1]>", OK, "S9" },
	{ "<broken", NO, "S10" }, { "<>", OK, "S11" },
}
for _, case in ipairs(cases) do
	local c = session{}
	mail(c, case[1], OK, nil, case[3])
	rcpt(c, "<u@example.org>", case[2])
	mt.disconnect(c)
end

-- a bounce has one recipient; the second is refused, the first stays
local c = session{}
mail(c, "<>", OK, nil, "BOUNCE")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<v@example.org>", NO)
mt.disconnect(c)
