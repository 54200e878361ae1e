#!/usr/bin/python3
"""chain-msgs.py OUTDIR CORPUS_SIZE - the messages of t/fwd/chain.t.sh

Signed here by an independent DKIM signer (python3-dkim, Debian's
package) with the test key t/auth/keys/r1, published for d01..d12.test in
t/fwd/chain-zones/test.zone.  Writes OUTDIR/NAME.eml (CRLF line ends) and
OUTDIR/list, one line per message: NAME MAIL-FROM.

  a-signed     d01.test (p=reject), signed: its SPF fails at the forwarder,
               the aligned DKIM pass overrides it
  a-spfonly    spfonly.test (p=reject), never signed: refused via the
               forwarder until it is learned
  e-2, e-3     d02.test (p=none), d03.test (p=reject), signed: evidence
  b-spfonly    spfonly.test again, after learning
  c-fake       spfonly.test with a Received field that names the origin as
               if the forwarder had written it (sent by the stranger)
  c-unsigned-N unsigned, or signed and then changed (the signature fails),
               each with that fake field: no evidence for the stranger
  corpus-NNN   CORPUS_SIZE messages From d01..d12 in turn, signed, every
               fifth one from spfonly.test unsigned instead
"""
import os
import sys

import dkim

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "auth", "keys", "r1.key"), "rb") as f:
    KEY = f.read()

FAKE = (b"Received: from mail.origin.test (unknown [203.0.113.10])\r\n"
        b"\tby mx.fwd.test (Postfix) with ESMTP id 4FaKe0000001\r\n"
        b"\tfor <x@fwd.test>; Sat, 05 Dec 2026 10:00:00 +0000 (UTC)\r\n")


def message(domain, name, body=None):
    body = body or (b"Hello from %s.\r\nThis message is %s.\r\n" % (domain.encode(), name.encode()))
    return (b"From: <u@" + domain.encode() + b">\r\n"
            b"To: <" + name.encode() + b"@fwd.test>\r\n"
            b"Subject: chain " + name.encode() + b"\r\n"
            b"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + name.encode() + b"@" + domain.encode() + b">\r\n"
            b"\r\n" + body)


def sign(msg, domain):
    return dkim.sign(msg, b"r1", domain.encode(), KEY,
                     include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + msg


def main(out, n):
    os.makedirs(out, exist_ok=True)
    m = []
    m.append(("a-signed", "d01.test", sign(message("d01.test", "a-signed"), "d01.test")))
    m.append(("a-spfonly", "spfonly.test", message("spfonly.test", "a-spfonly")))
    m.append(("e-2", "d02.test", sign(message("d02.test", "e-2"), "d02.test")))
    m.append(("e-3", "d03.test", sign(message("d03.test", "e-3"), "d03.test")))
    m.append(("b-spfonly", "spfonly.test", message("spfonly.test", "b-spfonly")))
    m.append(("c-fake", "spfonly.test", FAKE + message("spfonly.test", "c-fake")))
    for i, d in enumerate(("spfonly.test", "d04.test", "d06.test", "spfonly.test")):
        name = "c-unsigned-%d" % i
        m.append((name, d, FAKE + message(d, name)))
    for i, d in enumerate(("d05.test", "d07.test", "d08.test")):
        name = "c-changed-%d" % i
        signed = sign(message(d, name), d)
        m.append((name, d, FAKE + signed.replace(b"This message is", b"This message was")))
    for i in range(n):
        name = "corpus-%03d" % i
        if i % 5 == 4:
            m.append((name, "spfonly.test", message("spfonly.test", name)))
        else:
            d = "d%02d.test" % (i % 12 + 1)
            m.append((name, d, sign(message(d, name), d)))
    with open(os.path.join(out, "list"), "w") as lst:
        for name, d, data in m:
            with open(os.path.join(out, name + ".eml"), "wb") as f:
                f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            lst.write("%s u@%s\n" % (name, d))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
