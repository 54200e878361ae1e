-- greylist.lua - greylisting per recipient on LMDB (greylist.delay = 2 s):
-- first sight and early retry refused with 450 (TEMP: a 4xx), a retry after the delay
-- accepted, exemptions, trusted and authenticated clients, dry run
dofile("lib.lua")

-- one transaction: each recipient on its own; a relay attempt is refused
-- by the relay check before greylisting stores anything
local c = session{ addr = "203.0.113.5" }
mail(c, "<prvs=1234567890=joe@sender.example>", OK, nil, "G1")
rcpt(c, "<alice@example.org>", TEMP)
rcpt(c, "<postmaster@example.org>", OK)
rcpt(c, "<bob@example.org>", TEMP)
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)

-- at once, from another host of the /24 with a new BATV tag: too early
c = session{ addr = "203.0.113.6" }
mail(c, "<prvs=0987654321=joe@sender.example>", OK, nil, "G2")
rcpt(c, "<alice@example.org>", TEMP)
mt.disconnect(c)

-- 1.5 s after the first sight, 0.5 s short of the delay: bob is still
-- early (the delay counts milliseconds, not whole seconds: a first sight
-- at x.9 s no longer passes a retry 1.1 s later)
mt.sleep(1.5)
c = session{ addr = "203.0.113.5" }
mail(c, "<joe@sender.example>", OK, nil, "G2B")
rcpt(c, "<bob@example.org>", TEMP)
mt.disconnect(c)

-- the delay over (a bounded wait, no readiness to poll): alice passes,
-- carol is new; the sender's +tag is the same sender
mt.sleep(0.7)
c = session{ addr = "203.0.113.5" }
mail(c, "<joe+news@sender.example>", OK, nil, "G3")
rcpt(c, "<alice@example.org>", OK)
rcpt(c, "<carol@example.org>", TEMP)
mt.disconnect(c)

-- exemptions: a client block, a client name, a sender domain
c = session{ addr = "192.0.2.10" }
mail(c, "<x@y.example>", OK, nil, "G4")
rcpt(c, "<dave@example.org>", OK)
mt.disconnect(c)
c = session{ addr = "203.0.114.7", host = "mta1.pool.example" }
mail(c, "<x@y.example>", OK, nil, "G5")
rcpt(c, "<dave@example.org>", OK)
mt.disconnect(c)
c = session{ addr = "203.0.114.7" }
mail(c, "<news@lists.example>", OK, nil, "G6")
rcpt(c, "<dave@example.org>", OK)
mail(c, "<x@y.example>", OK, nil, "G7")
rcpt(c, "<dave@example.org>", TEMP)
mt.disconnect(c)

-- trusted and authenticated clients are never greylisted
c = session{ addr = "198.51.100.7" }
mail(c, "<x@y.example>", OK, nil, "G8")
rcpt(c, "<erin@example.org>", OK)
mt.disconnect(c)
c = session{ addr = "203.0.115.1" }
mail(c, "<x@y.example>", OK, "joe", "G9")
rcpt(c, "<erin@example.org>", OK)
mt.disconnect(c)

-- dry run: logged as would=tempfail, accepted
c = session{ addr = "203.0.116.1", daemon_name = "greydry" }
mail(c, "<x@y.example>", OK, nil, "G10")
rcpt(c, "<frank@example.org>", OK)
mt.disconnect(c)

-- a quoted local part with a quote in it: the log line stays one line of
-- key="value" pairs (the quote escaped)
c = session{ addr = "203.0.117.1" }
mail(c, "<\"jo\\\"e\"@sender.example>", OK, nil, "G11")
rcpt(c, "<gina@example.org>", TEMP)
mt.disconnect(c)
