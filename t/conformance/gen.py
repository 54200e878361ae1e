#!/usr/bin/python3
"""gen.py OUTDIR - the DKIM and DMARC conformance cases (t/conformance)

Writes, for the conformance suite (run.sh):
  OUTDIR/zones/*.zone   the DNS the cases need (NSD serves them), with the
                        test keys of t/auth/keys;
  OUTDIR/msg/NAME.eml   one message per case, signed here by python3-dkim
                        (dkimpy, Debian's package: an implementation
                        independent of libopendkim), CRLF line ends;
  OUTDIR/cases.json     per case: the RFC it follows, what doorman must
                        answer (eom), the DKIM results (one per signature)
                        and the DMARC result; and dkimpy's own verdict for
                        each signature, asked with the same DNS records.

A case's "ref" says where dkimpy and the RFC part ways (the checker then
reports that doorman is right and the reference wrong, instead of a
disagreement).  Every message is signed afresh at each run.
"""
import json
import os
import sys
import time

import dkim

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "auth", "keys")
ORG = "conf.test"                                  # the organization under test
OTHERS = ["o%d.test" % i for i in range(1, 7)]     # other organizations


def readkey(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return f.read()


R1, E1 = readkey("r1.key"), readkey("e1.key")
R1_DNS = readkey("r1.dns").decode().strip()
E1_DNS = readkey("e1.dns").decode().strip()
R1_P = R1_DNS.split("p=", 1)[1].rstrip(";").strip()


class Zones:
    """TXT records by owner name; written as one zone file per zone."""

    def __init__(self):
        self.txt = {}

    def add(self, name, *strings):
        self.txt.setdefault(name.lower().rstrip("."), []).append(list(strings))

    def lookup(self, name, timeout=5):
        """dkimpy's dnsfunc: the one TXT record at name, or None."""
        recs = self.txt.get(name.decode().lower().rstrip("."), [])
        return "".join(recs[0]).encode() if len(recs) == 1 else None

    def write(self, d):
        os.makedirs(d, exist_ok=True)
        for zone in [ORG] + OTHERS:
            with open(os.path.join(d, zone + ".zone"), "w") as f:
                f.write("$ORIGIN %s.\n$TTL 300\n" % zone)
                f.write("@ SOA ns.%s. hostmaster.%s. 1 3600 900 604800 300\n" % (zone, zone))
                f.write("@ NS ns.doorman.test.\n")
                for name, recs in sorted(self.txt.items()):
                    if name != zone and not name.endswith("." + zone):
                        continue
                    for r in recs:
                        # strings of at most 255 characters (RFC 1035 3.3.14)
                        parts = []
                        for s in r:
                            parts += [s[i:i + 250] for i in range(0, max(len(s), 1), 250)]
                        f.write("%s. TXT %s\n" % (name, " ".join(
                            '"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parts)))


def message(frm, subject, body=b"Hello.\r\nA conformance case.\r\n", extra=b"", to=b"<u@example.org>"):
    return (b"From: " + frm + b"\r\n"
            b"To: " + to + b"\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Fri, 04 Dec 2026 12:00:00 +0000\r\n"
            b"Message-ID: <" + subject.replace(b" ", b".") + b"@conf.test>\r\n" + extra
            + b"\r\n" + body)


HDRS = [b"from", b"to", b"subject", b"date", b"message-id"]


def sign(msg, domain, selector="r1", key=None, alg=b"rsa-sha256", canon=(b"relaxed", b"simple"),
         headers=None, length=False):
    if key is None:
        key = E1 if alg == b"ed25519-sha256" else R1
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key, signature_algorithm=alg,
                    canonicalize=canon, include_headers=headers or HDRS, length=length)
    return sig + msg


def main(out, mode):
    z = Zones()
    # a 512-bit RSA key (RFC 8301 3.2: under 1024 bits is not valid)
    pem512, p512 = readkey("s512.key"), readkey("s512.dns").decode().split("p=", 1)[1].strip()
    # keys (RFC 6376 3.6.1): a key record may leave h= out (any hash), say
    # which hashes it takes, carry tags of no meaning, be split in strings
    keyrecs = {
        "r1": R1_DNS,
        "e1": E1_DNS,
        "sha1ok": "v=DKIM1; k=rsa; p=" + R1_P,
        "small": "v=DKIM1; k=rsa; p=" + p512,
        "revoked": "v=DKIM1; k=rsa; p=",
        "junk": "v=DKIM1; k=rsa; p=!!not base64!!",
        "onlysha1": "v=DKIM1; k=rsa; h=sha1; p=" + R1_P,
        "edtype": "v=DKIM1; k=ed25519; p=" + R1_P,
        "unknowntags": "v=DKIM1; k=rsa; zz=future; n=notes here; p=" + R1_P,
        "notemail": "v=DKIM1; k=rsa; s=tlsrpt; p=" + R1_P,
    }
    for dom in ["rej." + ORG, "none." + ORG, "strict." + ORG, ORG]:
        for sel, rec in keyrecs.items():
            z.add("%s._domainkey.%s" % (sel, dom), rec)
    z.add("split._domainkey.rej." + ORG, R1_DNS[:100], R1_DNS[100:])
    for o in OTHERS:
        z.add("r1._domainkey." + o, R1_DNS)
        z.add("e1._domainkey." + o, E1_DNS)
    # DMARC records (RFC 7489 6.3, 6.4, 6.6.3)
    dmarc = {
        ORG: "v=DMARC1; p=none; sp=quarantine",
        "rej." + ORG: "v=DMARC1; p=reject",
        "none." + ORG: "v=DMARC1; p=none",
        "strict." + ORG: "v=DMARC1; p=reject; adkim=s; aspf=s",
        "badp-rua." + ORG: "v=DMARC1; p=bogus; rua=mailto:dmarc@conf.test",
        "badp." + ORG: "v=DMARC1; p=bogus",
        "nop-rua." + ORG: "v=DMARC1; rua=mailto:dmarc@conf.test",
        "badsp-rua." + ORG: "v=DMARC1; p=reject; sp=whatever; rua=mailto:dmarc@conf.test",
        "prefix." + ORG: "v=DMARC1; p=r",
        "badrua." + ORG: "v=DMARC1; p=bogus; rua=not a uri",
        "pct150." + ORG: "v=DMARC1; p=reject; pct=150",
        "pctneg." + ORG: "v=DMARC1; p=reject; pct=-5",
        "pct0." + ORG: "v=DMARC1; p=reject; pct=0",
        "unknown." + ORG: "v=DMARC1; p=reject; future=tag; np=reject",
        "badfo." + ORG: "v=DMARC1; p=reject; fo=x; rf=nothing; ri=soon",
        "upper." + ORG: "v=DMARC1; p=REJECT",
        "wsp." + ORG: "v = DMARC1 ; p = reject ;",
        "lower." + ORG: "v=dmarc1; p=reject",
        "vlate." + ORG: "p=reject; v=DMARC1",
        "quar." + ORG: "v=DMARC1; p=quarantine",
        "orgsp." + ORG: "v=DMARC1; p=none; sp=reject",
    }
    for dom, rec in dmarc.items():
        z.add("_dmarc." + dom, rec)

    if mode == "corpus":
        corpus(out, z)
        return
    cases = []

    def case(name, msg, rfc, eom, dkim_want, dmarc_want, ref=None, why=""):
        cases.append({"name": name, "msg": msg, "rfc": rfc, "eom": eom, "dkim": dkim_want,
                      "dmarc": dmarc_want, "ref": ref, "why": why})

    R, N = "rej." + ORG, "none." + ORG
    frm = lambda d: b"<u@" + d.encode() + b">"

    # --- RFC 6376: the signatures that verify ---
    for c in [(b"simple", b"simple"), (b"relaxed", b"relaxed"), (b"relaxed", b"simple"),
              (b"simple", b"relaxed")]:
        n = "canon-" + c[0].decode() + "-" + c[1].decode()
        case(n, sign(message(frm(R), n.encode()), R, canon=c), "6376 3.4", "accept",
             ["pass/" + R], "pass")
    case("ed25519", sign(message(frm(R), b"ed25519"), R, "e1", alg=b"ed25519-sha256"),
         "8463 3", "accept", ["pass/" + R], "pass")
    case("dual-rsa-ed25519", sign(sign(message(frm(R), b"dual"), R, "e1", alg=b"ed25519-sha256"), R),
         "8463 4", "accept", ["pass/" + R, "pass/" + R], "pass")
    case("key-split-strings", sign(message(frm(R), b"split key"), R, "split"), "6376 3.6.2.2",
         "accept", ["pass/" + R], "pass")
    case("key-unknown-tags", sign(message(frm(R), b"unknown key tags"), R, "unknowntags"),
         "6376 3.6.1", "accept", ["pass/" + R], "pass")
    case("length-appended", sign(message(frm(R), b"l tag"), R, length=True)
         + b"Appended after signing.\r\n", "6376 3.5 l=", "accept", ["pass/" + R], "pass")
    body8 = "Grüße aus Köln, ½ € ✓\r\n".encode()
    case("body-8bit", sign(message(frm(R), b"8bit body", body=body8), R), "6376 3.4.4",
         "accept", ["pass/" + R], "pass")
    folded = message(frm(R), b"folded", extra=b"X-Folded: one\r\n\ttwo\r\n   three\r\n")
    case("folded-signed-field", sign(folded, R, headers=HDRS + [b"x-folded"]), "6376 3.4.2",
         "accept", ["pass/" + R], "pass")
    case("relaxed-subdomain", sign(message(frm("deep.sub." + R), b"relaxed"), R), "7489 3.1.1",
         "accept", ["pass/" + R], "pass")

    # --- RFC 6376 / 8301: signatures that do not ---
    m = sign(message(frm(R), b"tampered body"), R)
    case("body-tampered", m.replace(b"A conformance", b"A forged"), "6376 6.1.3", "reject",
         ["fail/" + R], "fail")
    m = sign(message(frm(R), b"tampered subject"), R)
    case("header-tampered", m.replace(b"tampered subject", b"tampered subjekt"), "6376 6.1.3",
         "reject", ["fail/" + R], "fail")
    case("rsa-sha1", sign(message(frm(R), b"sha1"), R, "sha1ok", alg=b"rsa-sha1"), "8301 3.1",
         "reject", ["neutral/" + R], "fail", ref="dkimpy accepts rsa-sha1 signatures, which RFC 8301 3.1 forbids verifiers to accept")
    case("rsa-sha1-plus-sha256", sign(sign(message(frm(R), b"sha1 and sha256"), R, "sha1ok", alg=b"rsa-sha1"), R),
         "8301 3.1", "accept", ["neutral/" + R, "pass/" + R], "pass", ref="dkimpy accepts rsa-sha1 signatures, which RFC 8301 3.1 forbids verifiers to accept")
    case("key-512-bits", sign(message(frm(R), b"small key"), R, "small", key=pem512), "8301 3.2",
         "reject", ["permerror/" + R], "fail")
    case("key-absent", sign(message(frm(R), b"no key"), R, "nokey"), "6376 6.1.2", "reject",
         ["permerror/" + R], "fail")
    case("key-revoked", sign(message(frm(R), b"revoked"), R, "revoked"), "6376 3.6.1", "reject",
         ["permerror/" + R], "fail")
    case("key-garbage", sign(message(frm(R), b"junk key"), R, "junk"), "6376 3.6.1", "reject",
         ["permerror/" + R], "fail")
    case("key-hash-sha1-only", sign(message(frm(R), b"key h=sha1"), R, "onlysha1"), "6376 6.1.2",
         "reject", ["permerror/" + R], "fail", ref="dkimpy uses a key whose h= does not name the "
         "signature's hash; RFC 6376 6.1.2 asks to ignore such a key (PERMFAIL)")
    case("key-type-mismatch", sign(message(frm(R), b"key k=ed25519"), R, "edtype"), "6376 3.6.1 k=",
         "reject", ["permerror/" + R], "fail")
    case("key-not-email", sign(message(frm(R), b"key s=tlsrpt"), R, "notemail"), "6376 3.6.1 s=",
         "reject", ["permerror/" + R], "fail")
    case("key-timeout", sign(message(frm(N), b"silent key"), "x.silent.test"), "6376 6.1.2",
         "accept", ["temperror/x.silent.test"], "fail")
    case("key-timeout-aligned", sign(message(frm(R), b"aligned key times out"), "slow." + ORG),
         "6376 6.1.2 / 7489 6.6.2", "tempfail", ["temperror/slow." + ORG], "temperror",
         why="the aligned identifier cannot be checked now (slow.conf.test never answers)")
    # unusable signatures: neutral (doorman.conf(5))
    m = sign(message(frm(R), b"unknown algorithm"), R)
    case("alg-unknown", m.replace(b"a=rsa-sha256", b"a=rsa-sha512", 1), "6376 3.5 a=", "reject",
         ["neutral/" + R], "fail")
    m = sign(message(frm(R), b"h without from"), R)
    case("h-without-from", m.replace(b"h=from : ", b"h=", 1), "6376 5.4", "reject",
         ["neutral/" + R], "fail")
    m = sign(message(frm(R), b"i outside d"), R)
    case("i-outside-d", m.replace(b"i=@" + R.encode(), b"i=@elsewhere.example", 1), "6376 3.5 i=",
         "reject", ["neutral/" + R], "fail")
    m = sign(message(frm(R), b"version 2"), R)
    case("version-2", m.replace(b"v=1;", b"v=2;", 1), "6376 3.5 v=", "reject", ["neutral/" + R],
         "fail")
    real = time.time
    dkim.time.time = lambda: real() + 3 * 86400  # dkimpy stamps t= with time.time()
    m = sign(message(frm(R), b"signed in the future"), R)
    dkim.time.time = real
    case("t-future", m, "6376 3.5 t=", "reject", ["neutral/" + R], "fail")

    # --- one bad field must not cost the good signatures (6376 6.1) ---
    good = lambda subj, extra=b"": sign(message(frm(R), subj, extra=extra), R)
    case("second-sig-without-s", b"DKIM-Signature: v=1; a=rsa-sha256; d=" + R.encode() + b"; h=from; bh=AAAA; b=AAAA\r\n"
         + good(b"second without s"), "6376 6.1.1", "accept", ["neutral/" + R, "pass/" + R], "pass")
    case("garbage-sig-field", b"DKIM-Signature: ===;;;=\r\n" + good(b"garbage field"), "6376 6.1.1",
         "accept", ["neutral/", "pass/" + R], "pass")
    case("sig-8bit-tag", b"DKIM-Signature: v=1; a=rsa-sha256; d=" + R.encode()
         + b"; s=r1; h=from; bh=AAAA; b=AAAA; z=caf\xc3\xa9\r\n" + good(b"8bit tag"), "6376 3.2",
         "accept", ["neutral/" + R, "pass/" + R], "pass")
    # unsigned fields added after signing (as a relay would): no h= can name them
    case("field-name-semicolon", good(b"semicolon name").replace(
         b"\r\n\r\n", b"\r\nX;Odd: legal in RFC 5322\r\n\r\n", 1), "5322 3.6.8", "accept",
         ["pass/" + R], "pass")
    case("field-name-8bit", good(b"8bit name").replace(
         b"\r\n\r\n", b"\r\nX-Caf\xc3\xa9: nicht ASCII\r\n\r\n", 1), "5322 3.6.8", "accept",
         ["pass/" + R], "pass", ref="dkimpy refuses to read a header with an 8-bit field name "
         "(not RFC 5322 syntax), so it verifies nothing; the signed fields are intact and "
         "RFC 6376 6.1 verifies each signature on its own")
    case("sig-after-body-of-garbage", b"DKIM-Signature: v=1; a=rsa-sha256; s=r1; d=" + R.encode()
         + b"; h=from; bh=!!; b=!!\r\nDKIM-Signature:\r\n" + good(b"two broken"), "6376 6.1.1",
         "accept", ["neutral/" + R, "neutral/", "pass/" + R], "pass")

    # header.b (RFC 6008): two signatures whose b= share 20 characters are
    # told apart by a longer prefix; '/' and '=' in it are quoted
    m = sign(message(frm(R), b"shared b prefix"), R)
    sig, rest = m.split(b"\r\nFrom: ", 1)
    b_at = sig.index(b"b=", sig.index(b"bh=") + 3) + 2
    twin = sig[:b_at + 20] + (b"A" if sig[b_at + 20:b_at + 21] != b"A" else b"B") + sig[b_at + 21:]
    case("b-shared-prefix", twin + b"\r\n" + m, "6008 2", "accept",
         ["fail/" + R, "pass/" + R], "pass")

    # --- the signature that matters is verified (dkim.max_signatures = 5) ---
    # sign() puts each new signature on top: the author's is the last field,
    # after n others; five are verified: the author's, then the first four
    def author_after(n, subj):
        m = sign(message(frm(R), subj), R)
        for o in OTHERS[:n]:
            m = sign(m, o)
        case(subj.decode().replace(" ", "-"), m, "6376 6.1 / 7489 4.2", "accept",
             ["pass/" + R] + ["pass/" + o for o in OTHERS[n - 4:n]], "pass",
             why="five verified: the author's first, then the first four others in header order")
    author_after(5, b"author sixth")
    author_after(6, b"author seventh")
    m = sign(message(frm(R), b"author behind sha1"), R)
    for k in range(2):
        m = sign(m, R, "sha1ok", alg=b"rsa-sha1")
    for o in OTHERS[:4]:
        m = sign(m, o)
    case("author-behind-sha1", m, "8301 3.1 / 7489 4.2", "accept",
         ["pass/" + R] + ["pass/" + o for o in OTHERS[:4]], "pass",
         why="aligned rsa-sha1 signatures cannot pass: they wait behind the others")

    # --- RFC 7489: alignment and policy ---
    case("unaligned", sign(message(frm(R), b"unaligned"), "o1.test"), "7489 3.1", "reject",
         ["pass/o1.test"], "fail")
    case("strict-relaxed-only", sign(message(frm("strict." + ORG), b"strict"), ORG), "7489 3.1.1",
         "reject", ["pass/" + ORG], "fail")
    case("strict-exact", sign(message(frm("strict." + ORG), b"strict exact"), "strict." + ORG),
         "7489 3.1.1", "accept", ["pass/strict." + ORG], "pass")
    m = sign(message(frm("strict." + ORG), b"trailing dot"), "strict." + ORG + ".")
    case("d-trailing-dot-strict", m, "7489 3.1.1", "accept", ["pass/strict." + ORG + "."], "pass")
    m = sign(message(frm(R), b"trailing dot relaxed"), R + ".")
    case("d-trailing-dot-relaxed", m, "7489 3.1.1", "accept", ["pass/" + R + "."], "pass")
    un = lambda d, s: sign(message(frm(d), s), "o1.test")
    case("p-invalid-rua-valid", un("badp-rua." + ORG, b"bad p good rua"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "fail,none")
    case("p-missing-rua-valid", un("nop-rua." + ORG, b"no p good rua"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "fail,none")
    case("sp-invalid-rua-valid", un("badsp-rua." + ORG, b"bad sp good rua"), "7489 6.6.3",
         "accept", ["pass/o1.test"], "fail,none")
    case("p-invalid-no-rua", un("badp." + ORG, b"bad p no rua"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "permerror")
    case("p-invalid-rua-invalid", un("badrua." + ORG, b"bad p bad rua"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "permerror")
    case("p-prefix-word", un("prefix." + ORG, b"p=r"), "7489 6.4", "accept", ["pass/o1.test"],
         "permerror", why="libopendmarc would read p=r as reject")
    case("pct-150", un("pct150." + ORG, b"pct 150"), "7489 6.3 pct=", "reject", ["pass/o1.test"],
         "fail,reject", why="out of 0-100: the tag is ignored, its default 100 stands")
    case("pct-negative", un("pctneg." + ORG, b"pct -5"), "7489 6.3 pct=", "reject",
         ["pass/o1.test"], "fail,reject", why="not 1*3DIGIT: ignored, default 100")
    case("pct-0", un("pct0." + ORG, b"pct 0"), "7489 6.6.4", "accept", ["pass/o1.test"],
         "fail,reject", why="outside pct: the next weaker policy, quarantine (tagged here)")
    case("unknown-tags", un("unknown." + ORG, b"unknown tags"), "7489 6.3", "reject",
         ["pass/o1.test"], "fail,reject")
    case("bad-fo-rf-ri", un("badfo." + ORG, b"bad fo rf ri"), "7489 6.3", "reject",
         ["pass/o1.test"], "fail,reject", why="reporting tags do not decide the policy")
    case("p-uppercase", un("upper." + ORG, b"p=REJECT"), "7489 6.4 (ABNF strings)", "reject",
         ["pass/o1.test"], "fail,reject")
    case("v-whitespace", un("wsp." + ORG, b"v = DMARC1"), "7489 6.4", "reject", ["pass/o1.test"],
         "fail,reject")
    case("v-lowercase", un("lower." + ORG, b"v=dmarc1"), "7489 6.4 (%x44...)", "accept",
         ["pass/o1.test"], "fail,quarantine",
         why="not a DMARC record: the organizational domain's sp=quarantine")
    case("v-not-first", un("vlate." + ORG, b"v not first"), "7489 6.3 v=", "accept",
         ["pass/o1.test"], "fail,quarantine",
         why="not a DMARC record: the organizational domain's sp=quarantine")
    case("sp-below-org", un("child." + ORG, b"sp below org"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "fail,quarantine", why="the organizational record's sp= below it")
    case("p-at-own-name", un("orgsp." + ORG, b"p at its own name"), "7489 6.6.3", "accept",
         ["pass/o1.test"], "fail,none", why="a record found at the From domain itself: p=, not sp=")
    case("quarantine", un("quar." + ORG, b"quarantine"), "7489 6.3 p=", "accept", ["pass/o1.test"],
         "fail,quarantine")

    # dkimpy's verdict for every signature, with the same records
    for c in cases:
        head = c["msg"].split(b"\r\n\r\n", 1)[0]
        n = sum(1 for line in head.split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
        verdicts = []
        for i in range(n):
            try:
                verdicts.append(bool(dkim.DKIM(c["msg"]).verify(idx=i, dnsfunc=z.lookup)))
            except Exception:
                verdicts.append(False)
        c["dkimpy"] = verdicts
        os.makedirs(os.path.join(out, "msg"), exist_ok=True)
        with open(os.path.join(out, "msg", c["name"] + ".eml"), "wb") as f:
            f.write(c["msg"].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        del c["msg"]
    z.write(os.path.join(out, "zones"))
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        for c in cases:
            f.write("%s %s\n" % (c["name"], c["eom"]))


def corpus(out, z, n=240):
    """n correctly signed and aligned messages with the oddities of real
    mail; each must be delivered, with dmarc=pass.  Written to
    OUTDIR/msg/cNNNN.eml, listed in OUTDIR/corpus.txt as "NAME RCPTS"."""
    R = "rej." + ORG
    froms = [b"<u@" + R.encode() + b">",
             "Jörg Ñandú <jn@rej.conf.test>".encode(),
             b'"Doe, John" <john.doe@rej.conf.test>',
             b"=?UTF-8?B?w4lsaXNl?= <elise@deep.rej.conf.test>",
             b"anne@strict.conf.test (Anne)",
             b'"odd@local"@rej.conf.test']
    bodies = [b"Hello.\r\nPlain text.\r\n",
              "Grüße, ½ €, 日本語のテキスト\r\n".encode(),
              b"Latin-1: caf\xe9 na\xefve \xa9\r\n",
              b"x" * 900 + b"\r\n" + b"y" * 900 + b"\r\n",
              b"",
              b"trailing blanks  \r\n\r\n\r\n\r\n",
              b".dot-first line\r\n..two dots\r\n.\r\n",
              b"no final line end"]
    canons = [(b"relaxed", b"simple"), (b"relaxed", b"relaxed"), (b"simple", b"simple"),
              (b"simple", b"relaxed")]
    names = []
    for i in range(n):
        frm = froms[i % len(froms)]
        domain = "strict." + ORG if b"strict" in frm else R
        extra = b""
        if i % 3 == 0:
            refs = b" ".join(b"<ref%d.%d@lists.example>" % (i, k) for k in range(12))
            extra += b"References: " + dkim.fold(refs) + b"\r\n"
        if i % 4 == 1:
            extra += "Subject-Extra: Überraschung\r\n".encode()
        if i % 5 == 2:
            extra += b"FROM-Note: capitals in a name are legal\r\n"
        to = b", ".join(b"<r%d@example.org>" % k for k in range(1 + i % 5))
        msg = message(frm, b"corpus %d" % i, body=bodies[i % len(bodies)], extra=extra,
                      to=dkim.fold(to) if i % 2 else to)
        headers = HDRS + ([b"references"] if i % 3 == 0 else []) + \
            ([b"subject-extra"] if i % 4 == 1 else []) + ([b"reply-to"] if i % 6 == 0 else [])
        alg = b"ed25519-sha256" if i % 7 == 3 else b"rsa-sha256"
        msg = sign(msg, domain, "e1" if alg == b"ed25519-sha256" else "r1", alg=alg,
                   canon=canons[i % len(canons)], headers=headers, length=i % 11 == 5)
        if i % 7 == 4:  # RFC 8463 dual signing
            msg = sign(msg, domain, "e1", alg=b"ed25519-sha256")
        # what happens on the way: other signatures, fields added by relays
        if i % 4 == 2:
            msg = sign(msg, OTHERS[i % len(OTHERS)])          # an ESP or list signs too
        if i % 8 == 6:
            msg = sign(msg, OTHERS[(i + 1) % len(OTHERS)], "nokey")  # ... with a key gone
        if i % 9 == 7:
            msg = sign(msg, domain, "sha1ok", alg=b"rsa-sha1")  # a legacy rsa-sha1 one
        if i % 10 == 8:
            msg = b"DKIM-Signature: v=1; a=rsa-sha256; d=" + domain.encode() + \
                b"; s=r1; h=from; bh=AAAA; b=\r\n" + msg                 # a broken one
        add = b""
        if i % 5 == 0:
            add += b"X;Odd: a name with a semicolon\r\n"
        if i % 6 == 1:
            add += b"X-Caf\xc3\xa9: an 8-bit name\r\n"
        if i % 3 == 1:
            add += b"Received: from relay%d.example (relay%d.example [192.0.2.%d])\r\n\tby mx.example.org; Fri, 4 Dec 2026 12:00:%02d +0000\r\n" % (i, i, i % 250, i % 60)
        if i % 7 == 0:
            add += b"X-Folded-Unsigned: one\r\n two\r\n\tthree\r\n"
        msg = add + msg
        name = "c%04d" % i
        os.makedirs(os.path.join(out, "msg"), exist_ok=True)
        with open(os.path.join(out, "msg", name + ".eml"), "wb") as f:
            f.write(msg)
        names.append("%s %d" % (name, 1 + i % 5))
    z.write(os.path.join(out, "zones"))
    with open(os.path.join(out, "corpus.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "cases")
