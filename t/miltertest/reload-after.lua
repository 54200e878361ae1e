-- reload-after.lua - run by reload.sh after SIGUSR1 with a new policy
-- that adds newlocal.example: new connections get it
dofile("lib.lua")
local c = session{}
mail(c, "<s@example.net>", OK, nil, os.getenv("QID"))
rcpt(c, "<u@newlocal.example>", tonumber(os.getenv("WANT")) == 1 and OK or NO)
mt.disconnect(c)
