-- hostile.lua - malformed input never crashes doorman: afterwards a
-- normal session still gets its normal answers
dofile("lib.lua")

-- miltertest itself overflows its buffers near 1 KB: stay below
local long = string.rep("a", 900)
local junk = ""
for i = 1, 600 do
	junk = junk .. string.char(1 + (i * 37) % 254)
end

local c = session{ helo = string.rep("h", 1000) }
mail(c, "<" .. long .. "@example.net>", OK, nil, "LONG")
rcpt(c, "<" .. long .. "@example.org>", NO)
rcpt(c, "<u@" .. long .. ">", NO)
rcpt(c, junk, NO)
rcpt(c, "<<<<@@@@>>>>", NO)
rcpt(c, "<\"unterminated@example.org>", NO)
rcpt(c, "<@@@:@>", NO)
rcpt(c, "<u@[IPv6:" .. string.rep(":", 400) .. "]>", NO)
rcpt(c, "<" .. string.rep("%", 300) .. "@example.org>", NO)
mt.disconnect(c)

c = session{}
mail(c, junk, OK, nil, "JUNK")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

c = session{ helo = "" }
mail(c, "<s@example.net>", OK, nil, "EMPTYHELO")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

c = session{ helo = junk }
mail(c, "<s@example.net>", OK, nil, "JUNKHELO")
rcpt(c, "<u@example.org>", NO)
mt.disconnect(c)

-- an abrupt disconnect mid-transaction
c = session{}
mail(c, "<s@example.net>", OK, nil, "ABRUPT")
mt.disconnect(c, false)

-- still alive and right
c = session{}
mail(c, "<s@example.net>", OK, nil, "AFTER")
rcpt(c, "<u@example.org>", OK)
rcpt(c, "<u@remote.example>", NO)
mt.disconnect(c)
