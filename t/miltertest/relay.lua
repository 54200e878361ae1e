-- relay.lua - relay authorization at RCPT, per recipient
dofile("lib.lua")

-- an external client: local and relay domains only, no routing tricks
local c = session{ addr = "203.0.113.5" }
mail(c, "<s@example.net>", OK, nil, "RELAY1")
rcpt(c, "<postmaster@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
rcpt(c, "<User@EXAMPLE.ORG.>", OK)
rcpt(c, "<u%remote.example@example.org>", NO)
rcpt(c, "<remote.example!u@example.org>", NO)
rcpt(c, "<@example.org:u@remote.example>", NO)
-- a source route is ignored (RFC 5321 3.6.1, Appendix C; Postfix does):
-- the final address decides, and every routing device after it is refused
rcpt(c, "<@mx.remote.example,@b.remote.example:routed@example.org>", OK)
rcpt(c, "<@mx.remote.example:routed@relay.example>", OK)
rcpt(c, "<@mx.example.org:w@remote.example>", NO)
rcpt(c, "<@mx.remote.example:v%remote.example@example.org>", NO)
rcpt(c, "<@mx.remote.example:remote.example!v@example.org>", NO)
rcpt(c, "<@mx.remote.example:\"v@remote.example\"@example.org>", NO)
rcpt(c, "<\"u@remote.example\"@example.org>", NO)
rcpt(c, "<u@remote.example@example.org>", NO)
rcpt(c, "<u@[192.0.2.99]>", NO)
rcpt(c, "<u@[192.0.2.25]>", OK)
rcpt(c, "<u@relay.example>", OK)
rcpt(c, "<postmaster>", OK)
rcpt(c, "<someone>", NO)
mt.disconnect(c)

-- an AUTH= parameter on MAIL FROM is not authentication
c = session{ addr = "203.0.113.5" }
mail(c, "<s@example.net>", OK, nil, "AUTHPARAM", "AUTH=<alice@example.org>")
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)

-- {auth_authen} is
c = session{ addr = "203.0.113.5" }
mail(c, "<s@example.net>", OK, "alice", "AUTHED")
rcpt(c, "<u@remote.example>", OK)
mt.disconnect(c)

-- trusted networks: IPv4, IPv4-mapped IPv6, IPv6
for _, a in ipairs({ "198.51.100.7", "::ffff:198.51.100.7", "2001:db8:1::9" }) do
	c = session{ addr = a }
	mail(c, "<s@example.net>", OK, nil, "TRUSTED")
	rcpt(c, "<u@remote.example>", OK)
	rcpt(c, "<u%remote.example@example.org>", OK)
	mt.disconnect(c)
end
-- an IPv6 client outside the trusted network
c = session{ addr = "2001:db8:2::9" }
mail(c, "<s@example.net>", OK, nil, "V6OUT")
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)
