-- dryrun.lua - a dry-run policy logs what it would do and accepts, but
-- never relays for strangers; a dry-run rule does the same for that rule
-- only; a tempfail action replies 4xx
dofile("lib.lua")

local c = session{ daemon_name = "dry", helo = "shortname" }
mail(c, "<s@example.net>", OK, nil, "D1")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)

c = session{ daemon_name = "dryrule", helo = "shortname" }
mail(c, "<s@example.net>", OK, nil, "D2")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", TEMP)
mt.disconnect(c)
