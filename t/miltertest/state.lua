-- state.lua - doorman-state(8) against a running doorman (issue 11.6):
-- a triplet greylisted with a 450, its client network allowed with
-- `doorman-state allow` (IPv4 /24 and IPv6 /64), the same triplet then
-- accepted; disallowed, the network is greylisted again; the rate limit
-- counters of the accepted recipients and of a message listed with their
-- fields named.
-- The store is the policy's: LMDB (conf/state.conf) or a private Redis
-- (conf/state-redis.conf, state-redis.lua runs this file).
dofile("lib.lua")

local work = os.getenv("DOORMAN_WORK")
local state = doorman_state

local function same(got, want, what)
	if got ~= want then
		fail("%s: doorman-state printed\n%s\nwant\n%s", what, got, want)
	end
end

-- one recipient in a session of its own
local function try(qid, addr, to, want)
	local c = session{ addr = addr }
	mail(c, "<s@sender.example>", OK, nil, qid)
	rcpt(c, to, want)
	mt.disconnect(c)
end

try("S1", "203.0.113.5", "<alice@example.org>", TEMP)
same(state("allow 203.0.113.5"), "greynet|203.0.113.0/24 allowed\nexit 0\n", "allow IPv4")
try("S2", "203.0.113.5", "<alice@example.org>", OK)
try("S3", "203.0.113.77", "<bob@example.org>", OK)

try("S4", "2001:db8:1:2::5", "<alice@example.org>", TEMP)
same(state("allow 2001:db8:1:2::/64"), "greynet|2001:db8:1:2::/64 allowed\nexit 0\n", "allow IPv6")
try("S5", "2001:db8:1:2::5", "<alice@example.org>", OK)
same(state("allow 2001:db8:1::/48"),
	'doorman-state: "2001:db8:1::/48": greylisting keys IPv6 clients by /64 networks ' ..
	"(greylist.ipv6_prefix): give one such network or an address\nexit 2\n", "a /48 refused")

same(state("disallow 203.0.113.0/24"), "greynet|203.0.113.0/24 disallowed\nexit 0\n", "disallow")
try("S6", "203.0.113.5", "<carol@example.org>", TEMP)

-- a message from the allowed /64: its client's messages counter goes up
-- at end of message (RCPT read each client's counter, creating it at 0)
local path = work .. "/state.eml"
local f = assert(io.open(path, "wb"))
f:write("From: s@sender.example\r\nTo: alice@example.org\r\nSubject: state\r\n\r\nhello\r\n")
f:close()
local c = session{ addr = "2001:db8:1:2::5" }
mail(c, "<s@sender.example>", OK, nil, "S7")
rcpt(c, "<alice@example.org>", OK)
message(c, path, OK)
mt.disconnect(c)

-- the counters: two accepted recipients from the /24, two from the /64,
-- in the window of now (read its index from the listing, and check it is
-- the window of a moment of this run)
local before = os.time()
local got = state("list rate")
local idx = tonumber(got:match("|3600|(%d+)|recipients"))
if idx == nil or idx * 3600 > os.time() or (idx + 1) * 3600 <= before - 120 then
	fail("list rate: no counter of this window in\n%s", got)
end
local function line(kind, key, what, n)
	return string.format("rate|%s|%s|3600|%d|%s kind=%s key=%s %s=%d window=3600s start=%s " ..
		"expires=%s\n", kind, key, idx, what, kind, key, what, n,
		os.date("!%Y-%m-%dT%H:%M:%SZ", idx * 3600), os.date("!%Y-%m-%dT%H:%M:%SZ", (idx + 1) * 3600))
end
same(got, line("client", "2001:db8:1:2::5/128", "messages", 1) ..
	line("client", "203.0.113.5/32", "messages", 0) ..
	line("client", "203.0.113.77/32", "messages", 0) ..
	line("network", "2001:db8:1:2::/64", "recipients", 2) ..
	line("network", "203.0.113.0/24", "recipients", 2) .. "exit 0\n", "list rate")
