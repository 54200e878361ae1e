-- refusals.lua - run by refusals.t.sh after each refused reload: the
-- good policy still serves (example.org is local, other domains are not
-- relayed for an untrusted client)
dofile("lib.lua")
local c = session{}
mail(c, "<s@example.net>", OK, nil, os.getenv("QID"))
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@elsewhere.example>", NO)
mt.disconnect(c)
