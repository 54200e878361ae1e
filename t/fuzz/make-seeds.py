#!/usr/bin/python3
"""make-seeds.py - write the seed corpora of t/fuzz/seeds/ from the tests.

Each target's seeds are inputs the test suites already use: string literals
of the unit tests (addresses, From and Authentication-Results values,
replies, CIDR blocks), the data files of t/unit/data and t/miltertest/data,
the records of the test zones in t/dns/zones as rdata, and milter sessions
as t/proto/mta.py speaks them.  Seeds it writes are named t-*; any other
file in a seed directory (crash-*, timeout-*: inputs that once failed, kept
as regressions) is left alone.  Run it again after changing the tests.
Python's standard library only.
"""
import hashlib
import ipaddress
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
T = os.path.dirname(HERE)


def write(target, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = "t-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(target):
    d = os.path.join(HERE, "seeds", target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith("t-"):
                os.unlink(os.path.join(d, n))


def c_strings(path):
    """the C string literals of a file, escapes decoded"""
    text = open(path, encoding="utf-8").read()
    out = []
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
        s = m.group(1)
        s = re.sub(r'\\([\\"nrt0])', lambda e: {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(e.group(1), e.group(1)), s)
        out.append(s)
    return out


def data(path):
    return open(os.path.join(T, path), "rb").read()


# ---- strings of the unit tests ----
for target, src, keep in [
    ("fuzz_addr", "unit/test_addr.c", lambda s: "@" in s or s.startswith("<")),
    ("fuzz_fromhdr", "unit/test_auth.c", lambda s: "@" in s),
    ("fuzz_authres", "unit/test_auth.c", lambda s: ";" in s or "example.org" in s),
    ("fuzz_reply", "unit/test_reply.c", lambda s: s[:1].isdigit() or s in ("reject", "tempfail")),
    ("fuzz_cidr", "unit/test_cidr.c", lambda s: re.match(r"^[0-9a-fA-F:.]+(/\d+)?$", s) is not None),
]:
    clear(target)
    for s in c_strings(os.path.join(T, src)):
        if keep(s):
            if target == "fuzz_authres":
                s = s + "\0mx.example.org"
            elif target == "fuzz_reply":
                s = s + "\0zen.example listed"
            elif target == "fuzz_cidr":
                s = s + "\0" + ("2001:db8::7" if ":" in s else "192.0.2.7")
            write(target, s)
for a in ["<u%remote@example.org>", "<@a,@b:u@example.org>", "<remote!u@example.org>",
          '<"u@remote"@example.org>', "<u@[192.0.2.25]>", "<u@example.org.>", "<>"]:
    write("fuzz_addr", a)

# ---- data files ----
for target, files in [
    ("fuzz_rcptlist", ["unit/data/users.example.org", "unit/data/callout_users"]),
    ("fuzz_alias", ["unit/data/aliases"]),
    ("fuzz_access", ["unit/data/sender_access", "unit/data/client_access",
                     "miltertest/data/sender_access", "miltertest/data/client_access"]),
    ("fuzz_pattern", ["unit/data/rcpt_patterns"]),
]:
    clear(target)
    for f in files:
        write(target, data(f))

# ---- policy files: the shipped ones and those of the tests ----
clear("fuzz_config")
for d in ["../policies", "miltertest/conf", "unit/data"]:
    for f in sorted(os.listdir(os.path.join(T, d))):
        if f.endswith(".conf"):
            write("fuzz_config", data(os.path.join(d, f)))
write("fuzz_config", 'policies: { p: { recipients: { lists = [ "example.org" ]; }; }; };\n')

# ---- DNS records of the test zones, as rdata ----
TYPES = {"A": 0, "AAAA": 1, "TXT": 2, "MX": 3, "PTR": 4, "NS": 5, "CNAME": 6}


def wire_name(name, origin):
    if not name.endswith("."):
        name = name + "." + origin
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


clear("fuzz_dnsanswer")
for z in sorted(os.listdir(os.path.join(T, "dns", "zones"))):
    origin = ""
    for line in open(os.path.join(T, "dns", "zones", z), encoding="utf-8"):
        line = line.split(";")[0] if not '"' in line else line
        if line.startswith("$ORIGIN"):
            origin = line.split()[1]
            continue
        f = line.split(None, 2)
        if len(f) < 3 or f[1] not in TYPES:
            continue
        kind, rest = f[1], f[2].strip()
        try:
            if kind == "A":
                rd = ipaddress.IPv4Address(rest).packed
            elif kind == "AAAA":
                rd = ipaddress.IPv6Address(rest).packed
            elif kind == "TXT":
                rd = b""
                for s in re.findall(r'"((?:[^"\\]|\\.)*)"', rest):
                    b = s.encode()[:255]
                    rd += bytes([len(b)]) + b
            elif kind == "MX":
                pref, host = rest.split()
                rd = struct.pack(">H", int(pref)) + wire_name(host, origin)
            else:
                rd = wire_name(rest.split()[0], origin)
        except ValueError:
            continue
        write("fuzz_dnsanswer", bytes([TYPES[kind]]) + rd)

# ---- milter sessions (the MTA's side, as t/proto/mta.py sends it) ----


def pkt(cmd, body=b""):
    return struct.pack(">I", len(body) + 1) + cmd + body


def z(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


def session(daemon="inbound", client="203.0.113.5", helo="client.example.net", sender="<s@example.net>",
            rcpts=("<u@example.org>",), auth="", headers=(("From", " a@example.net"),), body="hi\r\n",
            proto=0x1FFFFF):
    s = pkt(b"O", struct.pack(">III", 6, 0x1FF, proto))
    s += pkt(b"D", b"C" + z("{daemon_name}", daemon, "j", "mx.example.org"))
    s += pkt(b"C", z("client.example.net") + b"4" + struct.pack(">H", 25) + z(client))
    s += pkt(b"D", b"H" + z())
    s += pkt(b"H", z(helo))
    s += pkt(b"D", b"M" + z("i", "QID", "{auth_authen}", auth))
    s += pkt(b"M", z(sender, "SIZE=100"))
    for r in rcpts:
        s += pkt(b"D", b"R" + z("{rcpt_addr}", r.strip("<>")))
        s += pkt(b"R", z(r))
    s += pkt(b"T")
    for n, v in headers:
        s += pkt(b"L", z(n, v))
    s += pkt(b"N") + pkt(b"B", body.encode()) + pkt(b"E") + pkt(b"Q")
    return s


clear("fuzz_milter")
write("fuzz_milter", session())
write("fuzz_milter", session(daemon="nodelay", helo="nodots"))
write("fuzz_milter", session(rcpts=("<u@elsewhere.example>", "<u%remote@example.org>", "<@a,@b:u@example.org>")))
write("fuzz_milter", session(client="198.51.100.7", rcpts=("<x@anywhere.example>",)))
write("fuzz_milter", session(auth="user", rcpts=("<x@anywhere.example>", "<u%x@example.org>")))
write("fuzz_milter", session(sender="<>", rcpts=("<a@example.org>", "<b@example.org>")))
write("fuzz_milter", session(rcpts=("<info@example.org>", "<nobody@example.org>", "<postmaster@example.org>")))
write("fuzz_milter", session(headers=(("From", " \"A\" <a@example.net>, b@example.com"),
                                      ("Authentication-Results", " mx.example.org; spf=pass"),
                                      ("DKIM-Signature", " v=1; a=rsa-sha256; d=example.net; s=s; h=from; bh=x; b=y"))))
write("fuzz_milter", session(proto=0x1FFFFF & ~0x100000) + session())
write("fuzz_milter", session().replace(pkt(b"Q"), pkt(b"K")) + session(daemon="nodelay"))
write("fuzz_milter", session().replace(pkt(b"E"), pkt(b"A")))
write("fuzz_milter", pkt(b"O", struct.pack(">III", 2, 0, 0)) + pkt(b"C", z("h") + b"6" + struct.pack(">H", 25) + z("IPv6:2001:db8::5")) + pkt(b"U", z("X")))
