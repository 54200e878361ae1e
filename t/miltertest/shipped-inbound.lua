-- shipped-inbound.lua - policies/inbound-mx.conf as shipped
dofile("lib.lua")
local D = "mx.example.org" -- its listener: Postfix's default {daemon_name}

local c = session{ daemon_name = D }
mail(c, "<s@exists.doorman.test>", OK, nil, "IN1")
rcpt(c, "<postmaster@example.org>", OK)
rcpt(c, "<nobody@example.org>", NO) -- not in recipients.example.org
rcpt(c, "<Alice+news@example.org>", OK)
rcpt(c, "<u@partner.example.net>", OK)
rcpt(c, "<u@remote.example>", NO)
rcpt(c, "<u%remote.example@example.org>", NO)
mt.disconnect(c)

c = session{ daemon_name = D }
mail(c, "<spammer@example.com>", OK, nil, "IN2")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)

c = session{ daemon_name = D, addr = "192.0.2.66" }
mail(c, "<s@exists.doorman.test>", OK, nil, "IN3")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)

c = session{ daemon_name = D, helo = "mx.example.org" }
mail(c, "<s@exists.doorman.test>", OK, nil, "IN4")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)

c = session{ daemon_name = D, addr = "127.0.0.1", helo = "localhost" }
mail(c, "<s@exists.doorman.test>", OK, nil, "IN5")
rcpt(c, "<u@remote.example>", OK)
mt.disconnect(c)

-- DNS, as shipped: a DNSBL listing, a DNSWL listing that outweighs it,
-- an RHSBL listing, a sender domain that does not exist
c = session{ daemon_name = D, addr = "203.0.113.66" }
mail(c, "<s@exists.doorman.test>", OK, nil, "DNS1")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)
c = session{ daemon_name = D, addr = "203.0.113.75", helo = "shortname" }
mail(c, "<s@missing.doorman.test>", OK, nil, "DNS2")
rcpt(c, "<postmaster@example.org>", OK)
mt.disconnect(c)
c = session{ daemon_name = D }
mail(c, "<s@dblisted.doorman.test>", OK, nil, "DNS3")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)
c = session{ daemon_name = D }
mail(c, "<s@missing.doorman.test>", OK, nil, "DNS4")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)

-- Sendmail's listener name picks the same policy; "rollout" only logs
c = session{ daemon_name = "MTA" }
mail(c, "<x@bulk.example.com>", OK, nil, "IN6")
rcpt(c, "<postmaster@example.org>", NO)
mt.disconnect(c)
c = session{ daemon_name = "rollout" }
mail(c, "<x@bulk.example.com>", OK, nil, "IN7")
rcpt(c, "<postmaster@example.org>", OK)
rcpt(c, "<u@remote.example>", NO) -- a dry run never opens the relay
mt.disconnect(c)

-- SPF, DKIM and DMARC as shipped (the corpus of t/auth, signed afresh:
-- DOORMAN_CORPUS); the shipped authserv-id is mx.example.org
local CORPUS = os.getenv("DOORMAN_CORPUS")
c = session{ daemon_name = D, addr = "203.0.113.5", helo = "goodhelo.auth.test" }
mail(c, "<s@pass.auth.test>", OK, nil, "AUTH1")
rcpt(c, "<postmaster@example.org>", OK)
message(c, CORPUS .. "/dkim-rsa.eml", OK)
if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results") then
	error("AUTH1: no Authentication-Results")
end
if mt.eom_check(c, MT_HDRDELETE) then
	error("AUTH1: a field deleted")
end
mt.disconnect(c)
-- spf.defer (shipped on): a MAIL FROM the domain's SPF does not authorise
-- for this client is held until the end of the message; a DKIM pass
-- aligned with it overrides the fail, an unaligned signature does not
c = session{ daemon_name = D, addr = "203.0.113.99", helo = "client.auth.test" }
mail(c, "<s@pass.auth.test>", OK, nil, "AUTH2")
rcpt(c, "<postmaster@example.org>", OK)
message(c, CORPUS .. "/dkim-rsa.eml", OK)
mail(c, "<s@pass.auth.test>", OK, nil, "AUTH2B")
rcpt(c, "<postmaster@example.org>", OK)
message(c, CORPUS .. "/dmarc-unaligned.eml", NO)
mt.disconnect(c)
c = session{ daemon_name = D, addr = "203.0.113.5", helo = "client.auth.test" }
mail(c, "<s@none.auth.test>", OK, nil, "AUTH3")
rcpt(c, "<postmaster@example.org>", OK)
message(c, CORPUS .. "/dmarc-unaligned.eml", NO)
mt.disconnect(c)
