-- helo.lua - HELO checks; delay_reject gives the verdict at RCPT
dofile("lib.lua")

local cases = {
	{ "client.example.net", OK }, { "[203.0.113.5]", OK }, { "[IPv6:2001:db8::5]", OK },
	{ "bad..helo.example", NO }, { "[not-an-address]", NO }, { "shortname", NO },
	{ "203.0.113.5", NO }, { "mx.example.org", NO }, { "MX.Example.ORG.", NO },
	{ "example.org", NO }, { "[192.0.2.25]", NO }, { "[127.0.0.1]", NO },
}
for i, case in ipairs(cases) do
	local c = session{ helo = case[1], daemon_addr = "127.0.0.1" }
	mail(c, "<s@example.net>", OK, nil, "HELO" .. i)
	rcpt(c, "<u@example.org>", case[2])
	rcpt(c, "<v@example.org>", case[2])
	mt.disconnect(c)
end
