-- client.lua - client access list: IPv4, IPv6, accept allowlisting
dofile("lib.lua")

local c = session{ addr = "192.0.2.66" }
mail(c, "<s@example.net>", OK, nil, "C1")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

c = session{ addr = "2001:db8:bad::1" }
mail(c, "<s@example.net>", OK, nil, "C2")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

-- accept: HELO and sender checks skipped; relaying still refused
c = session{ addr = "192.0.2.67", helo = "shortname" }
mail(c, "<spammer@bad.example>", OK, nil, "C3")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)

-- a client the MTA could not give an address for
c = mt.connect(SOCKET, 40, 0.05)
mt.macro(c, SMFIC_CONNECT, "{daemon_name}", "inbound")
assert(mt.conninfo(c, "localhost", "unspec") == nil)
check(mt.getreply(c), OK, "connect unspec")
assert(mt.helo(c, "client.example.net") == nil)
mail(c, "<s@example.net>", OK, nil, "C4")
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)
