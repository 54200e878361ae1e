-- nodelay.lua - a policy with delay_reject = false, chosen by {daemon_name}:
-- HELO and sender verdicts come at their own stage
dofile("lib.lua")

local c = session{ daemon_name = "nodelay", helo = "shortname", helo_reply = TEMP }
mt.disconnect(c)
c = session{ daemon_name = "nodelay" }
mail(c, "<spammer@bad.example>", NO, nil, "N2")
mail(c, "<good@example.net>", OK, nil, "N3")
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)
