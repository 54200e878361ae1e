-- shipped-submission.lua - policies/submission.conf as shipped
dofile("lib.lua")
local D = "submission"

-- not authenticated: local domains only, refused at RCPT
local c = session{ daemon_name = D, helo = "laptop" }
mail(c, "<alice@example.org>", OK, nil, "SUB1")
rcpt(c, "<bob@example.org>", OK)
rcpt(c, "<friend@remote.example>", NO)
mt.disconnect(c)

-- authenticated: anywhere; the laptop's HELO is only logged (dryrun)
c = session{ daemon_name = D, helo = "laptop" }
mail(c, "<alice@example.org>", OK, "alice", "SUB2")
rcpt(c, "<friend@remote.example>", OK)
-- batv.sign: the authenticated user's envelope sender leaves BATV-signed
local eml = os.tmpname()
local f = assert(io.open(eml, "wb"))
f:write("From: <alice@example.org>\r\nTo: <friend@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n")
f:close()
message(c, eml, OK)
os.remove(eml)
-- no bounces through submission; delay_reject = false: refused at MAIL
mail(c, "<>", NO, "alice", "SUB3")
mail(c, "<alice>", NO, nil, "SUB4")
mt.disconnect(c)

-- an IPv4-mapped trusted client (::ffff:198.51.100.0/120)
c = session{ daemon_name = "MSA", addr = "::ffff:198.51.100.9" }
mail(c, "<alice@example.org>", OK, nil, "SUB5")
rcpt(c, "<friend@remote.example>", OK)
mt.disconnect(c)

-- the shipped rate limit: 200 recipients an hour per user; a user name of
-- this run's own, so runs in the same hour (sharing /var/lib/doorman) do
-- not add up
local user = string.format("rl%d-%d", os.time(), math.random(1, 1000000))
c = session{ daemon_name = D, helo = "laptop.example.org" }
mail(c, "<alice@example.org>", OK, user, "SUB6")
for i = 1, 200 do
	rcpt(c, string.format("<r%d@remote.example>", i), OK)
end
rcpt(c, "<r201@remote.example>", TEMP)
mt.disconnect(c)
