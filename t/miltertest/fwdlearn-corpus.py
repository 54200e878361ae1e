#!/usr/bin/python3
"""fwdlearn-corpus.py OUTDIR - the messages of t/miltertest/fwdlearn.lua

Mail a forwarder (192.0.2.9, fwd.example.net) relays: our MTA's own
Received field on top, then the forwarder's, naming the origin it got the
message from, then the signature of the domain that wrote it, signed here
with python3-dkim and the test keys (t/auth/make-corpus.py's signer).
Written at test time, so a signature never expires.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("corpus", os.path.join(HERE, "..", "auth", "make-corpus.py"))
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)


def relayed(msg, client="192.0.2.9", helo="fwd.example.net", origin="203.0.113.40"):
    """msg as the MTA hands it to doorman after the forwarder relayed it"""
    return (b"Received: from %s (%s [%s])\r\n\tby mx.example.org (Postfix) with ESMTP id 4QID;"
            b" Sun, 22 Nov 2026 12:00:02 +0000\r\n" % (helo.encode(), helo.encode(), client.encode()) +
            b"Received: from origin.example (origin.example [%s])\r\n\tby %s (Postfix) with ESMTP"
            b" id 4FWD; Sun, 22 Nov 2026 12:00:01 +0000\r\n" % (origin.encode(), helo.encode()) + msg)


def signed(d, subject):
    return corpus.sign(corpus.message(b"<u@%s>" % d.encode(), subject.encode()), d)


def main(out):
    os.makedirs(out, exist_ok=True)
    m = {}
    for i in range(1, 5):
        d = "d%d.fwdlearn.test" % i
        m["fwd-d%d" % i] = relayed(signed(d, "forwarded from d%d" % i))
    # no evidence: unsigned; an origin D's SPF does not name; a client D's
    # SPF names itself (203.0.113.41, relaying what .40 sent)
    m["fwd-unsigned"] = relayed(corpus.message(b"<u@d1.fwdlearn.test>", b"unsigned"))
    m["fwd-bad-origin"] = relayed(signed("d1.fwdlearn.test", "bad origin"), origin="203.0.113.60")
    m["fwd-authorised"] = relayed(signed("d1.fwdlearn.test", "authorised client"),
                                  client="203.0.113.41", helo="fwd2.example.net")
    for name, data in m.items():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
