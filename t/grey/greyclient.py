#!/usr/bin/python3
"""greyclient.py - a milter client that greylists, for t/grey/lmdb-kill.t.sh

  greyclient.py loop PORT OUT DELAY MAX SECONDS
  greyclient.py check PORT IN OUT

The MTA's end of the milter protocol (version 6, Python's standard library
only), talking to doorman on 127.0.0.1:PORT as a client 203.0.113.5 that
sends to user@example.org, one triplet per sender s<N>@kill.example.

loop: two sessions, each one transaction after another (MAIL, RCPT, then
abort): a triplet first seen more than DELAY + 0.3 s ago is retried, else
a new one is sent (each session pauses 10 ms after each transaction, so
retries soon alternate with new triplets).  Every answered RCPT is a line of OUT, flushed as it
comes: "N KIND CODE SECONDS TEXT", KIND new or retry, CODE 250 when
doorman let the recipient through or the reply's code, SECONDS the wall
clock (time.time()) when the reply came.  It ends when MAX triplets were
sent, SECONDS passed, or the connection broke (doorman killed): the
transaction in flight then writes nothing.

check: one session; for each N of IN's lines (the first field), a
transaction for triplet N, written to OUT as above with KIND check.
"""
import socket
import struct
import sys
import threading
import time


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def macros(stage, *pairs):
    return pkt(b"D", stage + b"".join(x + b"\0" for x in pairs))


class Milter:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        # no Nagle stall between a command's packets (t/fault's measure: 40 ms)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # the actions and protocol steps Postfix 3.7 offers
        self.s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
        r = self.read()
        if r[0:1] != b"O":
            raise ConnectionError("no option negotiation")
        # the steps doorman answers with no reply (SMFIP_NR_*)
        self.flags = struct.unpack(">III", r[1:13])[2]
        self.s.sendall(macros(b"C", b"j", b"mx.doorman.test", b"{daemon_name}", b"inbound",
                              b"_", b"client.kill.example [203.0.113.5]"))
        self.s.sendall(pkt(b"C", b"client.kill.example\0" + b"4" + struct.pack(">H", 4242) +
                           b"203.0.113.5\0"))
        self.expect_continue("connect", 0x1000)
        self.s.sendall(pkt(b"H", b"client.kill.example\0"))
        self.expect_continue("helo", 0x2000)

    def read(self):
        head = self.s.recv(4, socket.MSG_WAITALL)
        if len(head) < 4:
            raise ConnectionError("closed")
        n = struct.unpack(">I", head)[0]
        body = self.s.recv(n, socket.MSG_WAITALL)
        if len(body) < n:
            raise ConnectionError("closed")
        return body

    def expect_continue(self, what, noreply=0):
        if self.flags & noreply:
            return
        r = self.read()
        if r[0:1] != b"c":
            raise RuntimeError("%s: answer %r" % (what, r[0:1]))

    def triplet(self, n):
        """(code, text) of the RCPT reply for triplet n; the transaction aborted"""
        self.s.sendall(macros(b"M", b"{mail_addr}", b"s%d@kill.example" % n) +
                       pkt(b"M", b"<s%d@kill.example>\0" % n))
        self.expect_continue("mail", 0x4000)
        self.s.sendall(macros(b"R", b"{rcpt_addr}", b"user@example.org") +
                       pkt(b"R", b"<user@example.org>\0"))
        r = self.read()
        if r[0:1] == b"c":
            code, text = "250", ""
        elif r[0:1] == b"y":
            text = r[1:].rstrip(b"\0").decode("latin-1")
            code = text[:3]
        else:
            code, text = "?" + r[0:1].decode("latin-1"), ""
        self.s.sendall(pkt(b"A"))
        return code, text

    def close(self):
        try:
            self.s.sendall(pkt(b"Q"))
        except OSError:
            pass
        self.s.close()


def loop():
    port, out, delay = int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    most, seconds = int(sys.argv[5]), float(sys.argv[6])
    f = open(out, "w")
    lock = threading.Lock()
    end = time.time() + seconds
    state = {"next": 0, "pending": []}  # pending: (first sight, n), oldest first

    def take():
        with lock:
            now = time.time()
            if state["pending"] and state["pending"][0][0] + delay + 0.3 <= now:
                return "retry", state["pending"].pop(0)[1]
            if state["next"] >= most or now >= end:
                return None, None
            state["next"] += 1
            return "new", state["next"]

    def worker():
        try:
            m = Milter(port)
        except (OSError, RuntimeError):
            return
        while True:
            kind, n = take()
            if kind is None:
                break
            try:
                code, text = m.triplet(n)
            except (OSError, RuntimeError):
                return
            now = time.time()
            with lock:
                f.write("%d %s %s %.3f %s\n" % (n, kind, code, now, text))
                f.flush()
                if kind == "new" and code.startswith("4"):
                    state["pending"].append((now, n))
            time.sleep(0.01)  # paced: retries come between new triplets
        m.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    f.close()


def check():
    port, src, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    m = Milter(port)
    with open(src) as f, open(out, "w") as o:
        for line in f:
            n = int(line.split()[0])
            code, text = m.triplet(n)
            o.write("%d check %s %.3f %s\n" % (n, code, time.time(), text))
    m.close()


if __name__ == "__main__":
    {"loop": loop, "check": check}[sys.argv[1]]()
