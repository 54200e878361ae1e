#!/usr/bin/python3
"""make-corpus.py OUTDIR - the messages of the authentication tests
make-corpus.py --bench N OUTDIR - N messages of 4 KB for the benchmarks

Writes OUTDIR/NAME.eml for every message below: plain ones, ones signed
here by an independent DKIM signer (python3-dkim, Debian's package) with
the test keys in t/auth/keys (published in t/dns/zones/auth.test.zone),
and hostile ones.  Line ends are CRLF, as on the wire.  Run at test
setup, so every run signs afresh (and a signature never expires).
"""
import os
import sys

import dkim

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")


def key(name):
    with open(os.path.join(KEYS, name + ".key"), "rb") as f:
        return f.read()


def message(frm, subject, body=b"Hello.\r\nThis is a test message.\r\n", extra=b""):
    head = (b"From: " + frm + b"\r\n"
            b"To: <u@example.org>\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
            b"Message-ID: <" + subject.replace(b" ", b".") + b"@auth.test>\r\n" + extra)
    return head + b"\r\n" + body


def sign(msg, domain, selector="r1", alg=b"rsa-sha256", length=False, **kw):
    keyname = "e1" if alg == b"ed25519-sha256" else "r1"
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key(keyname),
                    signature_algorithm=alg, length=length,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"], **kw)
    return sig + msg


def main(out):
    os.makedirs(out, exist_ok=True)
    m = {}
    plain = message(b"<u@pass.auth.test>", b"dkim pass rsa")
    m["dkim-rsa"] = sign(plain, "pass.auth.test")
    m["dkim-ed25519"] = sign(message(b"<u@pass.auth.test>", b"dkim pass ed25519"),
                             "pass.auth.test", "e1", b"ed25519-sha256")
    both = message(b"<u@pass.auth.test>", b"two signatures")
    m["dkim-two"] = sign(sign(both, "pass.auth.test", "e1", b"ed25519-sha256"), "signer.test")
    signed = sign(message(b"<u@pass.auth.test>", b"tampered"), "pass.auth.test")
    m["dkim-tampered"] = signed.replace(b"This is a test", b"This is a forged")
    # oversigned From (h=from:from...): verifies; a From added later breaks it
    over = message(b"<u@pass.auth.test>", b"oversigned")
    sig = dkim.sign(over, b"r1", b"pass.auth.test", key("r1"),
                    include_headers=[b"from", b"from", b"to", b"subject", b"date", b"message-id"])
    m["dkim-oversigned"] = sig + over
    m["dkim-oversigned-added"] = sig + b"From: <evil@signer.test>\r\n" + over
    m["dkim-nokey"] = sign(message(b"<u@pass.auth.test>", b"no key"), "pass.auth.test", "nokey")
    m["dkim-revoked"] = sign(message(b"<u@pass.auth.test>", b"revoked"), "pass.auth.test", "revoked")
    # the same, From a domain whose policy is none: delivered, results in the header
    signed = sign(message(b"<u@nopol.auth.test>", b"tampered nopol"), "nopol.auth.test")
    m["dkim-tampered-nopol"] = signed.replace(b"This is a test", b"This is a forged")
    m["dkim-silent-nopol"] = sign(message(b"<u@nopol.auth.test>", b"silent key nopol"), "x.silent.test")
    m["dkim-silent"] = sign(message(b"<u@pass.auth.test>", b"silent key"), "x.silent.test")
    # l=: the signed part verifies; what was appended is the library's to report
    m["dkim-length"] = sign(message(b"<u@pass.auth.test>", b"body length"),
                            "pass.auth.test", length=True) + b"Appended after signing.\r\n"

    # DMARC
    # signer.test is another organization: its signature does not align
    m["dmarc-unaligned"] = sign(message(b"<u@pass.auth.test>", b"unaligned"), "signer.test")
    m["dmarc-relaxed"] = sign(message(b"<u@sub.auth.test>", b"relaxed"), "pass.auth.test")
    m["dmarc-strict"] = sign(message(b"<u@strict.auth.test>", b"strict"), "auth.test")
    for name in ("quar", "nopol", "pct0", "bad", "two", "pass"):
        m["from-" + name] = message(b"<u@" + name.encode() + b".auth.test>", b"from " + name.encode())
    m["from-sub"] = message(b"<u@deep.sub.auth.test>", b"subdomain policy")
    m["from-silent"] = message(b"<u@x.silent.test>", b"dmarc lookup fails")
    m["from-multi-domain"] = message(b"<a@pass.auth.test>, <b@nopol.auth.test>", b"two authors")
    m["from-twice"] = message(b"<u@nopol.auth.test>", b"two from fields",
                              extra=b"From: <v@pass.auth.test>\r\n")
    m["from-nodomain"] = message(b"undisclosed", b"no domain")
    m["from-none"] = message(b"<u@pass.auth.test>", b"no from").replace(
        b"From: <u@pass.auth.test>\r\n", b"")

    # Authentication-Results claiming our id (mx.example.org), in several spellings
    forged = (b"Authentication-Results: mx.example.org; dkim=pass header.d=pass.auth.test\r\n"
              b"Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example\r\n"
              b"Authentication-Results: (sneaky) MX.EXAMPLE.ORG; dmarc=pass\r\n"
              b"authentication-results: mx.example.org.;\r\n\tspf=pass\r\n"
              b"Authentication-Results : mx.example.org; dkim=pass\r\n")
    m["forged-ar"] = forged + message(b"<u@nopol.auth.test>", b"forged results")
    # more fields claiming our id than doorman tracks for removal (10,000,
    # lib/session_data.c): it cannot remove them all, so it must tempfail
    # (only Postfix with a raised header_size_limit passes 450 KB of header)
    m["forged-ar-many"] = (b"Authentication-Results: mx.example.org; dkim=pass\r\n" * 10001 +
                           message(b"<u@pass.auth.test>", b"too many forged results"))

    # hostile
    garbage = (b"DKIM-Signature: v=1; a=rsa-sha256; d=; s=r1; b=!!; bh=\r\n"
               b"DKIM-Signature: v=9; a=foo-bar; d=pass.auth.test; s=r1; h=from; bh=AAAA; b=AAAA\r\n"
               b"DKIM-Signature: ===;;;=\r\n"
               b"DKIM-Signature: v=1; a=rsa-sha256; d=pass.auth.test; s=r1; c=x/y; h=from; "
               b"l=99999999999999999999; t=-1; x=1; bh=\xff\xfe; b=" + b"A" * 700 + b"\r\n")
    m["hostile-dkim-tags"] = garbage + message(b"<u@nopol.auth.test>", b"malformed dkim")
    many = b"".join(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=d%d.auth.test; "
                    b"s=r1; h=from; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; b=AAAA\r\n" % i
                    for i in range(40))
    m["hostile-many-sigs"] = many + message(b"<u@nopol.auth.test>", b"forty signatures")
    heads = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"x" * 60) for i in range(2000))
    m["hostile-many-headers"] = heads + message(b"<u@nopol.auth.test>", b"many headers")
    # too big for miltertest (it crashes on arguments near 1 KB): the real MTAs send it
    m["hostile-huge-header"] = message(b"<u@nopol.auth.test>", b"huge header",
                                       extra=b"X-Huge: " + b"y" * 60000 + b"\r\n")
    m["hostile-nul"] = message(b"<u@nopol.auth.test>", b"nul bytes",
                               body=b"before\x00after\r\n\x00\x00\r\n")
    m["hostile-from"] = message(b"\"unterminated <u@pass.auth.test>", b"bad from")

    for name, data in m.items():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def bench(n, out):
    """4 KB messages From pass.auth.test, DKIM-signed by it (rsa-sha256, and
    every fourth ed25519-sha256), each with its own Message-ID and text: what
    a DMARC-aligned sender sends."""
    os.makedirs(out, exist_ok=True)
    line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n"
    for i in range(n):
        body = b"Message %d.\r\n" % i + line * 56
        msg = message(b"<u@pass.auth.test>", b"bench %d" % i, body=body)
        alg = b"ed25519-sha256" if i % 4 == 3 else b"rsa-sha256"
        signed = sign(msg, "pass.auth.test", "e1" if alg == b"ed25519-sha256" else "r1", alg)
        with open(os.path.join(out, "bench-%05d.eml" % i), "wb") as f:
            f.write(signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


if __name__ == "__main__":
    if sys.argv[1] == "--bench":
        bench(int(sys.argv[2]), sys.argv[3])
    else:
        main(sys.argv[1])
