-- package.lua - the installed doorman with the installed policy
-- (/etc/doorman/doorman.conf, policies/inbound-mx.conf as shipped), driven
-- by t/install/package.t.sh in a network namespace without DNS.
dofile("lib.lua")
local D = "mx.example.org"

-- a trusted client (networks.trusted) relays anywhere
local c = session{ daemon_name = D, addr = "127.0.0.1", host = "localhost", helo = "localhost" }
mail(c, "<postmaster@example.org>", OK, nil, "PKG1")
rcpt(c, "<u@remote.example>", OK)
mt.disconnect(c)

-- anyone else: the DNSBLs are asked first, and without DNS (this
-- namespace has none) that is a 451 4.4.3, never a 5xx nor an accept
c = session{ daemon_name = D, addr = "192.0.2.9", host = "mail.example.com", helo = "mail.example.com" }
mail(c, "<postmaster@example.org>", OK, nil, "PKG2")
rcpt(c, "<u@remote.example>", TEMP)
mt.disconnect(c)
