-- recipients.lua - recipient validation per recipient (list, callout,
-- patterns) and alias rewriting at end of message
dofile("lib.lua")

-- one unknown recipient is refused, the others of the message go on
local c = session{}
mail(c, "<s@example.net>", OK, nil, "R1")
rcpt(c, "<alice@example.org>", OK)
rcpt(c, "<nobody@example.org>", NO)
rcpt(c, "<Bob+list@example.org>", OK)
mt.disconnect(c)

-- callout: known, unknown, backend down; a trusted client is checked too
c = session{ addr = "198.51.100.7" }
mail(c, "<s@example.net>", OK, nil, "R2")
rcpt(c, "<alice@callout.example>", OK)
rcpt(c, "<zed@callout.example>", NO)
rcpt(c, "<alice@down.example>", TEMP)
rcpt(c, "<u@remote.example>", OK)
mt.disconnect(c)

-- patterns: a spam trap, a role account not on the list, a bulk sender
c = session{}
mail(c, "<s@example.net>", OK, nil, "R3")
rcpt(c, "<trap7@example.org>", NO)
rcpt(c, "<postmaster@example.org>", OK)
mt.disconnect(c)
c = session{}
mail(c, "<x@bulk.example>", OK, nil, "R4")
rcpt(c, "<alice@example.org>", TEMP)
mt.disconnect(c)

-- aliases: sales is deleted and its targets added once (alice is there)
c = session{}
mail(c, "<s@example.net>", OK, nil, "R5")
rcpt(c, "<sales@example.org>", OK)
rcpt(c, "<alice@example.org>", OK)
assert(mt.data(c) == nil)
check(mt.getreply(c), OK, "DATA")
assert(mt.header(c, "Subject", "aliases") == nil)
check(mt.getreply(c), OK, "header")
assert(mt.eoh(c) == nil)
check(mt.getreply(c), OK, "EOH")
assert(mt.bodystring(c, "hello\r\n") == nil)
check(mt.getreply(c), OK, "body")
assert(mt.eom(c) == nil)
check(mt.getreply(c), OK, "EOM")
assert(mt.eom_check(c, MT_RCPTDELETE, "<sales@example.org>"), "sales@example.org not deleted")
assert(mt.eom_check(c, MT_RCPTADD, "<bob@example.org>"), "bob@example.org not added")
assert(not mt.eom_check(c, MT_RCPTADD, "<alice@example.org>"), "alice@example.org added twice")
assert(not mt.eom_check(c, MT_RCPTDELETE, "<alice@example.org>"), "alice@example.org deleted")
mt.disconnect(c)
