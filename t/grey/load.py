#!/usr/bin/python3
"""load.py PORT MAX CONNS TAG OUT STOPFILE - a bounded SMTP load

CONNS sessions to 127.0.0.1:PORT (from 127.0.0.20) send one message each
after another, each with a sender of its own (a new greylisting triplet)
and the Message-ID <TAG.N@load.test>, until STOPFILE exists, MAX messages
were tried, or 120 s have passed.  The caller paces its steps by the
lines of OUT, written as the replies come.  Each message's outcome is one line of OUT:
"MSGID CODE STAGE SECONDS TEXT", CODE the reply that ended it (RCPT's, or DATA's
final one) or ERR when the session broke with no reply, SECONDS when it came
(from the start).
"""
import os
import smtplib
import sys
import threading
import time

port, most, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tag, out, stopfile = sys.argv[4], sys.argv[5], sys.argv[6]
start = time.monotonic()
end = start + 120
outf = open(out, "w")
lock = threading.Lock()
taken = 0


def next_number():
    global taken
    with lock:
        if taken >= most or time.monotonic() >= end or os.path.exists(stopfile):
            return None
        taken += 1
        return taken


def one(s, n):
    mid = "<%s.%d@load.test>" % (tag, n)
    code, text = s.mail("s%d.%s@load.example" % (n, tag))
    if code != 250:
        return mid, code, "MAIL", text
    code, text = s.rcpt("user@example.org")
    if code != 250:
        return mid, code, "RCPT", text
    body = ("From: <s%d.%s@load.example>\r\nTo: <user@example.org>\r\nSubject: load %d\r\n"
            "Message-ID: %s\r\n\r\nload test message %d\r\n" % (n, tag, n, mid, n))
    code, text = s.data(body)
    return mid, code, "DATA", text


def worker():
    s = None
    while True:
        n = next_number()
        if n is None:
            break
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, local_hostname="load.example", timeout=30,
                                 source_address=("127.0.0.20", 0))
                s.ehlo()
            mid, code, stage, text = one(s, n)
        except smtplib.SMTPResponseException as e:  # DATA itself refused
            mid, code, stage, text = "<%s.%d@load.test>" % (tag, n), e.smtp_code, "DATA", e.smtp_error
        except (smtplib.SMTPException, OSError) as e:
            mid, code, stage, text = "<%s.%d@load.test>" % (tag, n), "ERR", "-", str(e)
            s = None
        if s is not None and code != 250:
            try:  # a 421 closes the session: the next message opens another
                s.rset()
            except (smtplib.SMTPException, OSError):
                s = None
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        with lock:
            outf.write("%s %s %s %.2f %s\n" % (mid, code, stage, time.monotonic() - start,
                                               " ".join(text.split())))
            outf.flush()
        time.sleep(0.02)
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


threads = [threading.Thread(target=worker) for _ in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
outf.close()
