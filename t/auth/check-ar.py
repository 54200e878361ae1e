#!/usr/bin/python3
"""check-ar.py AUTHSERV_ID EXPECTATIONS - Authentication-Results fields,
parsed by an independent parser (python3-authres, Debian's package)

EXPECTATIONS: lines "NAME FILE WANT...", where FILE is v:PATH, a file
holding one field value (as miltertest's mt.getheader gives it, absent when
no field was added), or m:PATH, a whole message whose every
Authentication-Results field is read; each WANT is
  method=result[,ptype.prop=value...]   a result the field must carry
  !method                               no result of that method
  none                                  no field at all
  count=N                               N fields in the message
  kept=ID                               a field with that (other) authserv-id
Every field must parse and carry AUTHSERV_ID.  Prints "ok"/"not ok" lines
(TAP-like), one per expectation, then "# all checks run" (a caller that
misses it knows the parser died part way), and exits 1 on any failure.
"""
import email
import email.policy
import sys

import authres


def fields_of(spec):
    kind, path = spec.split(":", 1)
    with open(path, "rb") as f:
        data = f.read()
    if kind == "v":
        return [data.decode("ascii")]
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return [str(v) for v in msg.get_all("Authentication-Results", [])]


def parse(value):
    value = value.replace("\r\n", "\n")
    return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)


def check(name, path, wants, authserv_id):
    try:
        fields = fields_of(path)
    except FileNotFoundError:
        fields = []
    ours, others, problems = [], [], []
    for v in fields:
        try:
            h = parse(v)
        except Exception as e:  # the parser refused it: a syntax error of ours or a forgery kept
            problems.append("unparsable field %r: %s" % (v, e))
            continue
        if h.authserv_id.lower() == authserv_id.lower():
            ours.append(h)
        else:
            ours.append(None)
            others.append(h.authserv_id.lower())
    mine = [h for h in ours if h is not None]
    results = [r for h in mine for r in h.results]
    for w in wants:
        if w == "none":
            if fields:
                problems.append("a field was added: %r" % fields)
        elif w.startswith("count="):
            if len(mine) != int(w[6:]):
                problems.append("%d fields with our id, want %s" % (len(mine), w[6:]))
        elif w.startswith("kept="):
            if w[5:].lower() not in others:
                problems.append("the field of %s was not kept" % w[5:])
        elif w.startswith("!"):
            if any(r.method == w[1:] for r in results):
                problems.append("has a %s result" % w[1:])
        else:
            parts = w.split(",")
            method, result = parts[0].split("=", 1)
            props = [p.split("=", 1) for p in parts[1:]]

            def matches(r):
                if r.method != method or r.result != result:
                    return False
                have = {"%s.%s" % (p.type, p.name): p.value for p in r.properties}
                return all(have.get(k) == v for k, v in props)
            if not any(matches(r) for r in results):
                problems.append("no %s in %s" % (w, [str(r) for r in results]))
    if not mine and "none" not in wants:
        problems.append("no field with authserv-id %s" % authserv_id)
    if problems:
        print("not ok - %s: %s" % (name, "; ".join(problems)))
        return False
    print("ok - %s" % name)
    return True


def main():
    authserv_id, table = sys.argv[1], sys.argv[2]
    good = True
    with open(table) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                good &= check(line[0], line[1], line[2:], authserv_id)
    print("# all checks run")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
