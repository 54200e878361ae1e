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

-- a routed local part from a trusted or authenticated client is relayed as
-- the route says, not looked up in the list of its last hop's domain; from
-- anyone else it is refused as a relay attempt, as before
for _, t in ipairs({ { addr = "198.51.100.7", qid = "ROUTED_TRUSTED" },
		     { addr = "203.0.113.5", auth = "alice", qid = "ROUTED_AUTH" } }) do
	c = session{ addr = t.addr }
	mail(c, "<s@example.net>", OK, t.auth, t.qid)
	rcpt(c, "<nobody%remote.example@example.org>", OK)
	rcpt(c, "<remote.example!nobody@example.org>", OK)
	rcpt(c, "<nobody@example.org>", NO)
	mt.disconnect(c)
end
c = session{ addr = "203.0.113.5" }
mail(c, "<s@example.net>", OK, nil, "ROUTED_STRANGER")
rcpt(c, "<nobody%remote.example@example.org>", NO)
rcpt(c, "<remote.example!nobody@example.org>", NO)
rcpt(c, "<\"nobody@remote.example\"@example.org>", NO)
-- a source route is ignored: the final address is validated
rcpt(c, "<@mx.remote.example:alice@example.org>", OK)
rcpt(c, "<@mx.remote.example:nobody@example.org>", NO)
mt.disconnect(c)
