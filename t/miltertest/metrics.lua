-- metrics.lua - sessions whose decisions metrics.sh then finds counted in
-- a scrape of doorman's Prometheus endpoint: an accept, a DNSBL reject, a
-- relay reject, a DNS tempfail, a dry run's would-reject, a message let in
dofile("lib.lua")

-- bl: 203.0.113.66 is listed in bl.doorman.test (rejected at RCPT)
local c = session{ daemon_name = "bl", addr = "203.0.113.66" }
mail(c, "<s@example.net>", OK, nil, "M1")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

-- bl: a stranger, not listed: one recipient in, one relay refused, a message in
c = session{ daemon_name = "bl", addr = "203.0.113.99" }
mail(c, "<s@example.net>", OK, nil, "M2")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
assert(mt.data(c) == nil)
check(mt.getreply(c), SMFIR_CONTINUE, "DATA")
assert(mt.header(c, "Subject", "metrics") == nil)
check(mt.getreply(c), SMFIR_CONTINUE, "header")
assert(mt.eoh(c) == nil)
check(mt.getreply(c), SMFIR_CONTINUE, "EOH")
assert(mt.bodystring(c, "hello\r\n") == nil)
check(mt.getreply(c), SMFIR_CONTINUE, "body")
assert(mt.eom(c) == nil)
check(mt.getreply(c), OK, "EOM")
mt.disconnect(c)

-- silent: the list's server never answers: 451 at RCPT
c = session{ daemon_name = "silent", addr = "203.0.113.99" }
mail(c, "<s@example.net>", OK, nil, "M3")
rcpt(c, "<u@example.org>", TEMP)
mt.disconnect(c)

-- dry: a HELO that is no FQDN would be rejected; the recipient goes in
c = session{ daemon_name = "dry", addr = "203.0.113.99", helo = "shortname" }
mail(c, "<s@example.net>", OK, nil, "M4")
rcpt(c, "<u@example.org>", OK)
mt.disconnect(c)
