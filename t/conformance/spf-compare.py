#!/usr/bin/python3
"""spf-compare.py CASES RESULTS DNS_PORT - doorman's SPF results against
the cases' RFC 7208 results, and against python3-spf (pyspf), an
independent implementation asked of the same NSD.

RESULTS holds spf-eval's lines (NAME MAILFROM HELO).  Each case prints
"ok" or "not ok" for doorman against the RFC, and for pyspf: agreeing,
differing as the case says it does (doorman right: the RFC's words are in
the case's comment), or differing unannounced (not ok: a new disagreement
to look at).  Exit status 1 when any line is "not ok".
"""
import sys

import dns.resolver
import spf


def main():
    cases_file, results_file, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # pyspf resolves through dnspython's default resolver: point it at the
    # test's NSD (a port resolv.conf cannot name); nothing else is asked
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ['127.0.0.1']
    res.port = port
    res.timeout = 1.0
    res.lifetime = 1.5
    dns.resolver.default_resolver = res

    got = {}
    with open(results_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                got[parts[0]] = parts[1]
    failed = passed = 0
    with open(cases_file) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            name, ip, sender, helo, want = fields[:5]
            ref_says = None
            for extra in fields[5:]:
                if extra.startswith('pyspf='):
                    ref_says = extra[len('pyspf='):]
            mine = got.get(name, 'missing')
            if mine == want:
                print('ok - %s: doorman %s' % (name, mine))
                passed += 1
            else:
                print('not ok - %s: doorman %s, RFC 7208 %s' % (name, mine, want))
                failed += 1
            addr = sender.strip('<>')
            if addr == '':
                addr = 'postmaster@' + helo
            try:
                ref = spf.query(i=ip, s=addr, h=helo, timeout=3).check()[0]
            except Exception as e:  # a crash of the reference is its answer
                ref = 'exception:' + type(e).__name__
            if ref == want and ref_says is None:
                print('ok - %s: pyspf agrees' % name)
                passed += 1
            elif ref_says is not None and ref == ref_says:
                print('ok - %s: pyspf says %s, doorman is right (RFC 7208: %s)'
                      % (name, ref, want))
                passed += 1
            elif ref_says is not None and ref == want:
                print('not ok - %s: pyspf now agrees (%s): drop pyspf= from the case'
                      % (name, ref))
                failed += 1
            else:
                print('not ok - %s: pyspf says %s, RFC 7208 %s: a disagreement to look at'
                      % (name, ref, want))
                failed += 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
