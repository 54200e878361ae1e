#!/usr/bin/python3
"""make-messages.py OUTDIR - the messages of t/dmarc/report.t.sh

OUTDIR/NAME.eml, signed here by python3-dkim with the test key t/auth/keys/r1
(published in t/dmarc/zones/report.test.zone); CRLF line ends.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("corpus", os.path.join(HERE, "../auth/make-corpus.py"))
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)


def main(out):
    os.makedirs(out, exist_ok=True)
    m = {
        "a-signed": corpus.sign(corpus.message(b"<u@a.report.test>", b"a signed"), "a.report.test"),
        "a-plain": corpus.message(b"<u@a.report.test>", b"a plain"),
        "b-plain": corpus.message(b"<u@b.report.test>", b"b plain"),
        "sub-plain": corpus.message(b"<u@sub.report.test>", b"sub plain"),
        "c-plain": corpus.message(b"<u@c.report.test>", b"c plain"),
    }
    for name, data in m.items():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
