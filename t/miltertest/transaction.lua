-- transaction.lua - per-recipient verdicts; state reset between the
-- transactions of one connection (after abort, after EOM, on a new MAIL)
dofile("lib.lua")

local c = session{}
-- 1: the sender is refused (at RCPT, delay_reject)
mail(c, "<spammer@bad.example>", OK, nil, "T1")
rcpt(c, "<u@example.org>", NO)
assert(mt.abort(c) == nil)
-- 2: a good sender on the same connection: checked again, accepted
mail(c, "<good@example.net>", OK, nil, "T2")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
rcpt(c, "<v@example.org>", OK)
assert(mt.data(c) == nil)
check(mt.getreply(c), OK, "data")
assert(mt.header(c, "Subject", "t") == nil)
check(mt.getreply(c), OK, "header")
assert(mt.eoh(c) == nil)
check(mt.getreply(c), OK, "eoh")
assert(mt.bodystring(c, "hello\r\n") == nil)
check(mt.getreply(c), OK, "body")
assert(mt.eom(c) == nil)
check(mt.getreply(c), OK, "eom")
-- 3: after a delivered message, a refused sender again
mail(c, "<x@exact.example>", OK, nil, "T3")
rcpt(c, "<u@example.org>", NO)
-- 4: a new MAIL without abort: fresh state
mail(c, "<good@example.net>", OK, nil, "T4")
rcpt(c, "<u@example.org>", OK)
mt.disconnect(c)
