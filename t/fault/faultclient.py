#!/usr/bin/python3
"""faultclient.py - the clients of the fault tests (t/fault/*.t.sh).

  faultclient.py load PORT OUT --prefix P [--sessions S] [--per-session K]
                 [--seconds D] [--pause SECS] [--rcpt ADDR] [--client ADDR]
                 [--max N]
  faultclient.py hold MILTER_PORT COUNT READY_FILE STOP_FILE MAX_SECONDS

load: S threads send mail to the MTA on 127.0.0.1:PORT for D seconds, each
session K messages, then QUIT and a new session.  Every message has its own
identity, P-T-N (thread T, number N): it is the sender's domain
(s@P-T-N.w.fault.test, so each message costs doorman one DNS lookup no cache
answers), the Message-ID and the Subject.  One line per message attempt is
written to OUT:

    ID START END CODE STAGE TEXT

START and END are wall-clock seconds, CODE the reply that ended the attempt
(250 at end of DATA when the MTA took the message, else the first reply not
2xx/3xx; "ERR" when the connection failed or closed with no reply), STAGE
the command it answered (greeting, ehlo, mail, rcpt, data, dot).  A session
whose greeting or EHLO is refused writes one line for the message it was
about to send.  After a failed message the session goes on with RSET, as an
MTA client would try its next message.  --max bounds the messages per
thread.  Every socket has a timeout, every loop a count or a deadline.

hold: opens COUNT milter connections to doorman on 127.0.0.1:MILTER_PORT,
each negotiated and taken past connect and HELO the way Postfix does, writes
"held N" to READY_FILE when all are open, keeps them until STOP_FILE exists
(or MAX_SECONDS pass), closes them all and prints "closed N".

Python's standard library only.
"""
import os
import socket
import struct
import sys
import threading
import time


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


class Session:
    """one SMTP session, raw: every reply is seen as the client sees it"""

    def __init__(self, port, client, timeout):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        if client:
            self.s.bind((client, 0))
        self.s.connect(("127.0.0.1", port))
        self.buf = b""

    def reply(self):
        """(code, last line text) of one reply, multi-line replies joined"""
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
                continue
            line = self.buf[:i].decode("latin-1")
            self.buf = self.buf[i + 2:]
            if len(line) < 4 or line[3] != "-":
                return line[:3], line

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.s.sendall(b"QUIT\r\n")
            self.reply()
        except OSError:
            pass
        self.s.close()


def message(mid):
    return ("From: <s@%s.w.fault.test>\r\nTo: <alice@example.org>\r\n"
            "Subject: %s\r\nMessage-ID: <%s@fault.test>\r\n\r\n"
            "fault test message %s\r\n" % (mid, mid, mid, mid)).encode()


def load():
    port, out = int(sys.argv[2]), sys.argv[3]
    prefix = arg("--prefix", "m")
    sessions = int(arg("--sessions", "4"))
    per = int(arg("--per-session", "5"))
    seconds = float(arg("--seconds", "10"))
    pause = float(arg("--pause", "0.05"))
    rcpt = arg("--rcpt", "alice@example.org")
    client = arg("--client", "")
    most = int(arg("--max", "100000"))
    lock = threading.Lock()
    f = open(out, "w")
    end = time.time() + seconds

    def record(mid, t0, code, stage, text):
        with lock:
            f.write("%s %.3f %.3f %s %s %s\n" % (mid, t0, time.time(), code, stage,
                                               text.replace("\n", " ")))
            f.flush()

    def worker(t):
        n = 0
        while time.time() < end and n < most:
            t0 = time.time()
            mid = "%s-%d-%d" % (prefix, t, n)
            stage = "greeting"
            try:
                s = Session(port, client, 30)
            except OSError as e:
                record(mid, t0, "ERR", "connect", str(e))
                n += 1
                time.sleep(pause)
                continue
            try:
                code, text = s.reply()
                if code == "220":
                    stage = "ehlo"
                    code, text = s.cmd("EHLO client.fault.test")
                if code != "250":
                    record(mid, t0, code, stage, text)
                    n += 1
                    s.close()
                    time.sleep(pause)
                    continue
                for _ in range(per):
                    if time.time() >= end or n >= most:
                        break
                    t0 = time.time()
                    mid = "%s-%d-%d" % (prefix, t, n)
                    n += 1
                    for stage, c, want in (("mail", "MAIL FROM:<s@%s.w.fault.test>" % mid, "2"),
                                           ("rcpt", "RCPT TO:<%s>" % rcpt, "2"),
                                           ("data", "DATA", "3")):
                        code, text = s.cmd(c)
                        if code[0] != want:
                            break
                    else:
                        stage = "dot"
                        s.s.sendall(message(mid) + b".\r\n")
                        code, text = s.reply()
                    record(mid, t0, code, stage, text)
                    if code != "250":
                        code, text = s.cmd("RSET")
                        if code[0] != "2":
                            break
                    time.sleep(pause)
            except OSError as e:
                record(mid, t0, "ERR", stage, str(e) or type(e).__name__)
            s.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    f.close()


# the milter protocol, version 6: the MTA's end of it
def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def hold():
    port, count = int(sys.argv[2]), int(sys.argv[3])
    ready, stop, most = sys.argv[4], sys.argv[5], float(sys.argv[6])
    conns = []
    macros = pkt(b"D", b"C" + b"".join(x + b"\0" for x in (
        b"j", b"mx.doorman.test", b"{daemon_name}", b"inbound", b"_", b"held [192.0.2.50]")))
    connect = pkt(b"C", b"held.fault.test\0" + b"4" + struct.pack(">H", 4242) + b"192.0.2.50\0")
    helo = pkt(b"D", b"H\0") + pkt(b"H", b"held.fault.test\0")
    deadline = time.time() + most
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        # the actions and protocol steps Postfix 3.7 offers
        s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
        n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
        if s.recv(n, socket.MSG_WAITALL)[:1] != b"O":
            sys.exit("connection %d: no option negotiation" % i)
        s.sendall(macros + connect + helo)
        conns.append(s)
        if time.time() > deadline:
            sys.exit("held only %d of %d before the deadline" % (i + 1, count))
    with open(ready, "w") as f:
        f.write("held %d\n" % len(conns))
    while not os.path.exists(stop) and time.time() < deadline:
        time.sleep(0.1)
    for s in conns:
        s.close()
    print("closed %d" % len(conns))


if __name__ == "__main__":
    {"load": load, "hold": hold}[sys.argv[1]]()
