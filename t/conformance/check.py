#!/usr/bin/python3
"""check.py WORKDIR AUTHSERV_ID - what doorman answered to each conformance
case (gen.py), against the RFCs and against dkimpy

For every case in WORKDIR/cases.json:
  - the end-of-message answer under the "conf" policy (the log line of qid
    NAME: reject, tempfail, or neither: accept) is the case's eom;
  - the results line of qid NAME.t gives one DKIM result per verified
    signature (result/d=) and the DMARC result: they must be the case's;
  - the Authentication-Results field saved for NAME (when the message was
    not tempfailed) must parse (python3-authres), carry our authserv-id,
    the DMARC result and policy, and for every signature doorman reports,
    header.a equal to its a= tag and a header.b that is a prefix of its b=
    and names no other signature;
  - each signature's pass or not is compared with dkimpy's verdict: a
    difference is a failure, unless the case says why the reference is
    wrong (then the line says doorman is right).
Prints ok/not ok lines and "N passed, N failed"; exits 1 on any failure.
"""
import json
import os
import re
import sys
from collections import Counter

import authres

work, authserv_id = sys.argv[1], sys.argv[2]
cases = json.load(open(os.path.join(work, "cases.json")))
log = open(os.path.join(work, "doorman.log"), encoding="utf-8", errors="replace").read().splitlines()
passed = failed = disagreements = ref_wrong = 0


def ok(what):
    global passed
    passed += 1
    print("ok - " + what)


def not_ok(what):
    global failed
    failed += 1
    print("not ok - " + what)


def qid_lines(qid):
    return [l for l in log if (" qid=%s " % qid) in (" " + l.split(": ", 1)[-1])]


def eom_answer(qid):
    for l in qid_lines(qid):
        m = re.search(r"stage=eom action=(reject|tempfail) ", l)
        if m:
            return m.group(1)
    return "accept"


def results(qid):
    for l in qid_lines(qid):
        m = re.search(r'stage=eom action=continue rule=auth reason="([^"]*)"', l)
        if m:
            toks = m.group(1).split()
            dk = [t[5:] for t in toks if t.startswith("dkim=")]
            dm = [t[6:].split("/", 1)[0] for t in toks if t.startswith("dmarc=")]
            return dk, (dm[0] if dm else None)
    return [], None


def sig_tags(msg):
    """(a=, b= without white space) of every DKIM-Signature field, in order"""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = re.split(r"\r\n(?![ \t])", head)
    out = []
    for f in fields:
        name, _, value = f.partition(":")
        if name.strip().lower() != "dkim-signature":
            continue
        tags = {}
        for spec in value.split(";"):
            k, eq, v = spec.partition("=")
            if eq:
                tags.setdefault(k.strip().lower(), re.sub(r"\s+", "", v))
        out.append((tags.get("a", "").lower(), tags.get("b", "")))
    return out


for c in cases:
    name = c["name"]
    want_dmarc = c["dmarc"].split(",")
    got = eom_answer(name)
    if got == c["eom"]:
        ok("%s: %s (RFC %s)" % (name, got, c["rfc"]))
    else:
        not_ok("%s: answered %s, want %s (RFC %s) %s" % (name, got, c["eom"], c["rfc"], c["why"]))

    dk, dm = results(name + ".t")
    if Counter(dk) == Counter(c["dkim"]) and dm == want_dmarc[0]:
        ok("%s: dkim %s dmarc=%s" % (name, " ".join(sorted(dk)), dm))
    else:
        not_ok("%s: dkim %s dmarc=%s, want dkim %s dmarc=%s" %
               (name, sorted(dk), dm, sorted(c["dkim"]), want_dmarc[0]))

    msg = open(os.path.join(work, "msg", name + ".eml"), "rb").read()
    path = os.path.join(work, "ar", name)
    if c["eom"] == "tempfail":
        if os.path.exists(path):
            not_ok("%s: a header was added to a tempfailed message" % name)
        continue
    try:
        value = open(path, encoding="ascii").read().replace("\r\n", "\n")
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception as e:
        not_ok("%s: no parsable Authentication-Results field: %s" % (name, e))
        continue
    problems = []
    if h.authserv_id.lower() != authserv_id:
        problems.append("authserv-id %s" % h.authserv_id)
    dmarcs = [r for r in h.results if r.method == "dmarc"]
    props = {("%s.%s" % (p.type, p.name)): p.value for r in dmarcs for p in r.properties}
    if [r.result for r in dmarcs] != [want_dmarc[0]]:
        problems.append("dmarc %s" % [str(r) for r in dmarcs])
    if len(want_dmarc) > 1 and props.get("policy.dmarc") != want_dmarc[1]:
        problems.append("policy.dmarc=%s, want %s" % (props.get("policy.dmarc"), want_dmarc[1]))
    sigs = sig_tags(msg)
    reported = []
    for r in h.results:
        if r.method != "dkim":
            continue
        p = {("%s.%s" % (x.type, x.name)): x.value for x in r.properties}
        reported.append((r.result, p.get("header.a"), p.get("header.b")))
    for i, (a, b) in enumerate(sigs):
        mine = [r for r in reported if r[2] and b.startswith(r[2])]
        if len(b) >= 8 and len(mine) > 1:
            problems.append("signature %d: header.b names %d signatures" % (i, len(mine)))
        if not mine:
            continue  # not verified (over dkim.max_signatures) or without b=
        res, ha, hb = mine[0]
        if a and ha != a:
            problems.append("signature %d: header.a=%s, a=%s" % (i, ha, a))
        if len(hb) < min(8, len(b)):
            problems.append("signature %d: header.b=%s shorter than 8" % (i, hb))
        ref = c["dkimpy"][i] if i < len(c["dkimpy"]) else None
        if ref is None or (res == "pass") == ref:
            continue
        if c["ref"]:
            ref_wrong += 1
            ok("%s: signature %d: doorman %s, dkimpy %s: doorman is right, the reference wrong: %s"
               % (name, i, res, "pass" if ref else "no pass", c["ref"]))
        else:
            disagreements += 1
            problems.append("signature %d: doorman %s, dkimpy %s" % (i, res, "pass" if ref else "no pass"))
    if len([r for r in reported if r[0] != "neutral" or r[2]]) and not problems:
        ok("%s: header %s" % (name, " ".join(str(r) for r in h.results if r.method in ("dkim", "dmarc"))))
    elif problems:
        not_ok("%s: header: %s" % (name, "; ".join(problems)))
    else:
        ok("%s: header %s" % (name, " ".join(str(r) for r in h.results if r.method == "dmarc")))

print("# %d cases; dkimpy disagreements: %d unexplained, %d where doorman follows the RFC and dkimpy does not"
      % (len(cases), disagreements, ref_wrong))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
