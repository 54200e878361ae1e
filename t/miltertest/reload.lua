-- reload.lua - before the reload (reload.sh does the rest):
-- newlocal.example is not ours yet
dofile("lib.lua")
local c = session{}
mail(c, "<s@example.net>", OK, nil, "BEFORE")
rcpt(c, "<u@newlocal.example>", NO)
mt.disconnect(c)
