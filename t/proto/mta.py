#!/usr/bin/python3
"""mta.py PORT LOG [hostile|idle|late|noedit|limits|fdlimit|maxconn|stop|slowstop|clockstep] [PID] - the MTA's end
of the milter protocol, raw.

Speaks to doorman (milter/proto.c) byte by byte as Postfix does, and as no
MTA should: what doorman answers to each packet is checked, and after every
malformed or hostile input a normal session must still get its normal
answers.  Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
Python's standard library only.  Every loop is bounded; every socket has a
timeout.
"""
import os
import random
import resource
import signal
import socket
import struct
import sys
import time

PORT = int(sys.argv[1])
LOG = sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else "hostile"
PID = int(sys.argv[4]) if len(sys.argv) > 4 else 0
failed = 0

# protocol values (the milter protocol, version 6)
ALL_ACTIONS = 0x1FF
NR_HDR, NOUNKNOWN, NR_DATA, NR_EOH, NR_BODY, LEADSPC = 0x80, 0x100, 0x10000, 0x40000, 0x80000, 0x100000
NR_CONN, NR_HELO, NR_MAIL = 0x1000, 0x2000, 0x4000
ALL_PROTO = 0x1FFFFF
MDS_256K, MDS_1M = 0x10000000, 0x20000000


def check(name, cond):
    global failed
    if cond:
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - " + name)


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def z(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


class Conn:
    def __init__(self, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def read(self):
        """one packet (cmd, data), or None at the end of the stream"""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    p = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return p[:1], p[1:]
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def closed(self):
        """the peer ended the stream (within the socket's timeout); a reset
        (it closed with our bytes unread) counts"""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def negotiate(self, actions=ALL_ACTIONS, proto=ALL_PROTO):
        self.send(pkt(b"O", struct.pack(">III", 6, actions, proto)))
        cmd, data = self.read()
        return cmd, struct.unpack(">III", data[:12])

    def close(self):
        self.s.close()


def eom_packets(conn):
    """the packets that answer an end of message: edits, then the final
    answer (None at the end of the stream), at most 20"""
    eom = []
    for _ in range(20):
        p = conn.read()
        eom.append(p)
        if p is None or p[0] in (b"c", b"a", b"r", b"t", b"y", b"d"):
            break
    return eom


def session(conn, qid="Q1", client="192.0.2.7", rcpt="<u@example.org>"):
    """a whole message; returns the answers to connect, helo, mail, rcpt, eom
    (eom: the list of packets up to the final one); a step whose reply was
    negotiated away counts as (b"c", b"")"""
    _, (_, _, proto) = conn.negotiate()
    ans = []

    def step(data, nr):
        conn.send(data)
        ans.append((b"c", b"") if proto & nr else conn.read())
    step(pkt(b"D", b"C" + z("{daemon_name}", "MTA", "j", "mx.example.org")) +
         pkt(b"C", z("client.example.net") + b"4" + struct.pack(">H", 4567) + z(client)), NR_CONN)
    step(pkt(b"H", z("client.example.net")), NR_HELO)
    step(pkt(b"D", b"M" + z("i", qid)) + pkt(b"M", z("<s@example.net>", "SIZE=100")), NR_MAIL)
    conn.send(pkt(b"R", z(rcpt)))
    ans.append(conn.read())
    # DATA, the header, the body and the end: one write, as no-reply steps allow
    conn.send(pkt(b"T") + pkt(b"L", z("From", " s@example.net")) +
              pkt(b"L", z("Subject", " hello")) + pkt(b"N") + pkt(b"B", b"body\r\n") +
              pkt(b"E"))
    ans.append(eom_packets(conn))
    conn.send(pkt(b"Q"))
    return ans


def normal(name):
    c = Conn()
    try:
        a = session(c, qid="N" + str(random.randrange(10**6)))
        good = (a[0] == (b"c", b"") and a[1] == (b"c", b"") and a[2] == (b"c", b"") and
                a[3] == (b"c", b"") and a[4][-1] == (b"c", b""))
        if not good:
            print("# got", a)
    except (OSError, TypeError):
        good = False
    c.close()
    check(name, good)


def log_text():
    with open(LOG, errors="replace") as f:
        return f.read()


def wait_log(needle, secs=5):
    for _ in range(secs * 20):
        if needle in log_text():
            return True
        time.sleep(0.05)
    return False


def hostile():
    # negotiation: only what was offered is taken
    c = Conn()
    cmd, (ver, act, proto) = c.negotiate()
    check("negotiation answers version 6", cmd == b"O" and ver == 6)
    check("asks for no replies to header, EOH, body, DATA when offered",
          proto & (NR_HDR | NR_EOH | NR_BODY | NR_DATA | NOUNKNOWN | LEADSPC) ==
          NR_HDR | NR_EOH | NR_BODY | NR_DATA | NOUNKNOWN | LEADSPC)
    check("asks for header, recipient, quarantine and change-sender actions",
          act == 0x01 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40)
    check("answers connect, HELO and MAIL while a policy rejects early",
          proto & (NR_CONN | NR_HELO | NR_MAIL) == 0)
    c.close()
    c = Conn()
    cmd, (ver, act, proto) = c.negotiate(actions=0x01, proto=0)
    check("takes nothing the MTA did not offer", act == 0x01 and proto == 0)
    c2 = Conn()
    cmd, (ver, act, proto) = c2.negotiate(actions=0, proto=0)
    check("no actions and no steps offered: libmilter's version 1-2 defaults (add header, "
          "add and delete recipients; no protocol options)",
          cmd == b"O" and act == 0x01 | 0x04 | 0x08 and proto == 0)
    c2.close()
    for offered, want, size in ((MDS_256K, MDS_256K, 256 * 1024 - 1),
                                (MDS_256K | MDS_1M, MDS_1M, 1024 * 1024 - 1), (0, 0, 65535)):
        c2 = Conn()
        cmd, (ver, act, proto) = c2.negotiate(proto=ALL_PROTO | offered)
        check("data size bits 0x%x offered: 0x%x answered" % (offered, want),
              proto & (MDS_256K | MDS_1M) == want)
        # a body chunk of the largest size agreed is taken, one byte more is not
        c2.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
        c2.read()
        c2.send(pkt(b"B", b"x" * size) + pkt(b"H", z("client.example.net")))
        check("a body chunk of %d bytes is taken" % size, c2.read() == (b"c", b""))
        try:
            c2.send(pkt(b"B", b"x" * (size + 1)))
        except OSError:
            pass  # closed before it took it all
        check("one of %d bytes closes the connection" % (size + 1), c2.closed())
        check("and is logged", wait_log("packet of %d bytes from the MTA (at most %d)" % (size + 2, size + 1)))
        c2.close()
    # without NR_HDR every header field is answered
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    c.read()
    c.send(pkt(b"H", z("client.example.net")))
    c.read()
    c.send(pkt(b"M", z("<s@example.net>")))
    c.read()
    c.send(pkt(b"R", z("<u@example.org>")))
    c.read()
    c.send(pkt(b"T"))
    check("DATA is answered when no-reply was not agreed", c.read() == (b"c", b""))
    c.send(pkt(b"L", z("Subject", "x")))
    check("a header field is answered when no-reply was not agreed", c.read() == (b"c", b""))
    c.close()

    # a normal message, and a rejected recipient with its reply
    c = Conn()
    a = session(c, rcpt="<u@remote.example>")
    check("a relay attempt gets the policy's reply as 'y'",
          a[3][0] == b"y" and a[3][1] == b"554 5.7.1 <u@remote.example>: mt: relay denied\0")
    c.close()
    normal("a normal message is accepted")
    c = Conn()
    session(c, qid="QIDBRACE")
    c.close()
    check("the queue id macro is read", wait_log("QIDBRACE"))

    # malformed packets: the connection is closed, with a log line
    cases = [
        ("a zero length", struct.pack(">I", 0), "packet of 0 bytes"),
        ("a length over the limit", struct.pack(">I", 0x7FFFFFFF) + b"C", "packet of 2147483647 bytes"),
        ("a length of 2 MiB", struct.pack(">I", 2 * 1024 * 1024) + b"B", "packet of 2097152 bytes"),
        ("an unknown command", pkt(b"Z", b"junk"), "unknown command 0x5a"),
        ("MAIL without a NUL", pkt(b"M", b"<s@example.net>"), "malformed 'M' command"),
        ("a header with no value", pkt(b"L", z("Subject")), "malformed 'L' command"),
        ("a connect with no family", pkt(b"C", b"host"), "connect command too short"),
        ("a short negotiation", pkt(b"O", b"\0\0\0\6"), "option negotiation of 4 bytes"),
    ]
    for name, data, logline in cases:
        c = Conn()
        if not name.startswith("a short negotiation"):
            c.negotiate()
        c.send(data)
        check(name + " closes the connection", c.closed())
        check(name + " is logged", wait_log(logline))
        c.close()
    normal("still serving after malformed packets")

    # out of order, and odd but well-formed input: answered, never a crash
    c = Conn()
    c.negotiate()
    c.send(pkt(b"R", z("<u@example.org>")))
    r = c.read()
    check("RCPT before connect is tempfailed", r is not None and r[0] in (b"t", b"y"))
    c.send(pkt(b"E"))
    r = c.read()
    check("end of message before anything is tempfailed", r is not None and r[0] in (b"t", b"y"))
    c.send(pkt(b"C", z("h") + b"6" + struct.pack(">H", 1) + z("IPv6:not-an-address")))
    r = c.read()
    check("a connect with a bad address is answered", r is not None)
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.9")))
    r = c.read()
    check("a second connect on one connection is answered", r is not None)
    c.send(pkt(b"D", b"M") + pkt(b"D", b"X" + b"a" * 100) + pkt(b"D", b"M" + b"unterminated"))
    c.send(pkt(b"M", z("<s@example.net>", *["A=%d" % i for i in range(500)])))
    r = c.read()
    check("MAIL with 500 arguments is answered", r is not None)
    for _ in range(16):  # 1 MB in chunks of the most libmilter takes, no reply (NR_BODY)
        c.send(pkt(b"B", b"x" * 65535))
    c.send(pkt(b"A") + pkt(b"K") + pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    r = c.read()
    check("abort, then a new connection on the same socket", r == (b"c", b""))
    c.close()
    normal("still serving after out-of-order input")

    # random packets (seeded: a failure can be replayed)
    rnd = random.Random(20261122)
    cmds = b"OCHMRTLNBEAKQDU"
    for i in range(300):
        c = Conn(timeout=2.0)
        try:
            if rnd.random() < 0.8:
                c.negotiate()
            data = b""
            for _ in range(rnd.randrange(1, 12)):
                body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 80)))
                if rnd.random() < 0.5:
                    body = b"\0".join(body.split(b"\0")[:3]) + b"\0"
                data += pkt(bytes([rnd.choice(cmds)]), body)
            if rnd.random() < 0.2:
                data = data[:rnd.randrange(len(data))]
            c.send(data)
            c.s.settimeout(0.2)
            try:
                while c.s.recv(65536):
                    pass
            except (socket.timeout, OSError):
                pass
        except OSError:
            pass
        c.close()
    normal("still serving after 300 connections of random packets")

    # many at once
    conns = [Conn() for _ in range(300)]
    for c in conns:
        c.negotiate()
        c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    answers = [c.read() for c in conns]
    for c in conns:
        c.close()
    check("300 connections open at once are all answered", all(a == (b"c", b"") for a in answers))
    normal("still serving after 300 connections at once")


def idle():
    c = Conn(timeout=6.0)
    c.negotiate()
    t0 = time.time()
    closed = c.closed()
    took = time.time() - t0
    check("an idle connection is closed after milter.timeout (took %.1f s)" % took,
          closed and 0.9 <= took <= 4.0)
    check("and that is logged", wait_log("no command from the MTA for 1 s"))
    c.close()
    normal("a new connection is served after it")
    trickle()
    normal("a new connection is served after a trickling one")


def trickle():
    """a sender that sends one byte at a time never completes a packet: it is
    closed after milter.timeout (1 s) like an idle one"""
    c = Conn(timeout=0.3)
    c.negotiate()
    data = pkt(b"H", z("x" * 60))
    t0 = time.time()
    closed = False
    for b in data:
        try:
            c.send(bytes([b]))
        except OSError:
            closed = True
            break
        try:
            if c.s.recv(100) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
        if time.time() - t0 > 8:
            break
    took = time.time() - t0
    check("a sender trickling one byte every 0.3 s is closed (took %.1f s)" % took,
          closed and took <= 4.0)
    check("and that is logged", wait_log("a packet from the MTA took over 1 s"))
    c.close()


def late():
    """every policy holds its rejections until RCPT: connect, HELO and MAIL
    go unanswered, and what they find is given at RCPT"""
    c = Conn()
    cmd, (ver, act, proto) = c.negotiate()
    check("no replies to connect, HELO and MAIL when every policy delays",
          proto & (NR_CONN | NR_HELO | NR_MAIL) == NR_CONN | NR_HELO | NR_MAIL)
    c.close()
    c = Conn()
    c.negotiate(proto=ALL_PROTO & ~(NR_CONN | NR_HELO | NR_MAIL))
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    check("but only where the MTA offers it", c.read() == (b"c", b""))
    c.close()
    # a blocked client: nothing until RCPT, then the client rule's reply
    c = Conn(timeout=2.0)
    c.negotiate()
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.66")) +
           pkt(b"H", z("client.example.net")) + pkt(b"M", z("<s@example.net>")))
    try:
        early = c.s.recv(100)
    except socket.timeout:
        early = b""
    check("connect, HELO and MAIL get no answer", early == b"")
    c.send(pkt(b"R", z("<u@example.org>")))
    r = c.read()
    check("the held client rejection is given at RCPT",
          r == (b"y", b"554 5.7.1 <u@example.org>: mt: client blocked\0") or
          (r is not None and r[0] == b"y" and r[1].startswith(b"554 5.7.1") and b"client blocked" in r[1]))
    c.close()
    # no connection state at all (connect never came): tempfail at RCPT
    c = Conn()
    c.negotiate()
    c.send(pkt(b"H", z("client.example.net")) + pkt(b"M", z("<s@example.net>")) +
           pkt(b"R", z("<u@example.org>")))
    r = c.read()
    check("RCPT without a connect is tempfailed", r is not None and r[0] in (b"t", b"y") and
          (r[0] == b"t" or r[1].startswith(b"4")))
    c.close()
    normal("a normal message is accepted with no replies before RCPT")


def proc_status(key):
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def more_fds(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(n, soft), max(n, hard)))


def limits():
    more_fds(5000)
    normal("a normal message is accepted")
    # threads: 2,000 sessions that end at once
    threads0 = proc_status("Threads")
    conns = [Conn() for _ in range(2000)]
    for c in conns:
        c.negotiate()
    # all at once: doorman finds them all waiting when it wakes
    os.kill(PID, signal.SIGSTOP)
    for c in conns:
        c.send(pkt(b"Q"))
        c.close()
    os.kill(PID, signal.SIGCONT)
    time.sleep(1.0)
    threads1 = proc_status("Threads")
    check("2,000 sessions ending at once: %d threads before, %d after (at most 32 more)" %
          (threads0, threads1), threads1 - threads0 <= 32)
    normal("still serving after the burst")
    # memory: 200 connections each announcing 2 MiB and sending 512 KiB
    rss0 = proc_status("VmRSS")
    conns = []
    for _ in range(200):
        c = Conn(timeout=2.0)
        try:
            c.send(struct.pack(">I", 2 * 1024 * 1024) + b"B" + b"x" * (512 * 1024))
        except OSError:
            pass
        conns.append(c)
    time.sleep(0.5)
    rss1 = proc_status("VmRSS")
    check("200 connections announcing 2 MiB and sending 512 KiB: RSS +%d KB (under 50 MB)" %
          (rss1 - rss0), rss1 - rss0 < 50 * 1024)
    for c in conns:
        c.close()
    # 200 connections announcing what is allowed, sending 100 bytes each
    rss0 = proc_status("VmRSS")
    conns = []
    for _ in range(200):
        c = Conn()
        c.negotiate()
        c.send(struct.pack(">I", 60000) + b"B" + b"x" * 100)
        conns.append(c)
    time.sleep(0.5)
    rss1 = proc_status("VmRSS")
    check("200 connections announcing 60000 bytes and sending 100: RSS +%d KB (under 20 MB)" %
          (rss1 - rss0), rss1 - rss0 < 20 * 1024)
    for c in conns:
        c.close()
    normal("still serving after them")


def fdlimit():
    """doorman runs with 64 descriptors: the connections it has no descriptor
    for are closed at once, not left waiting in the backlog"""
    more_fds(1000)
    conns = []
    answered = refused = hanging = 0
    for _ in range(80):
        c = Conn(timeout=2.0)
        t0 = time.time()
        try:
            c.send(pkt(b"O", struct.pack(">III", 6, ALL_ACTIONS, ALL_PROTO)))
            p = c.read()
            if p is not None and p[0] == b"O":
                answered += 1
            else:
                refused += 1
                if time.time() - t0 > 1.0:
                    hanging += 1
        except socket.timeout:
            hanging += 1
        except OSError:
            refused += 1
        conns.append(c)
    check("80 connections to a doorman with 64 descriptors: %d answered, %d refused, %d left waiting" %
          (answered, refused, hanging), answered > 10 and refused > 0 and hanging == 0)
    check("and the refusal is logged", wait_log("out of file descriptors"))
    for c in conns:
        c.close()
    time.sleep(0.3)
    normal("a new connection is served once others ended")


def maxconn():
    normal("a normal message is accepted")
    time.sleep(0.5)  # the start's probe of the port has ended too
    conns = [Conn() for _ in range(5)]
    for c in conns:
        c.negotiate()
    extra = Conn(timeout=2.0)
    t0 = time.time()
    closed = extra.closed()
    check("a sixth connection with milter.max_connections = 5 is closed at once (%.2f s)" %
          (time.time() - t0), closed and time.time() - t0 < 1.0)
    check("and that is logged", wait_log("milter.max_connections reached (5 connections)"))
    extra.close()
    for c in conns:
        c.close()
    time.sleep(0.3)
    normal("a new connection is served once one ended")


def stop():
    """SIGTERM with messages under way: each connection is closed (the MTA
    then tempfails that message), none is answered as if accepted, and
    doorman exits within a second"""
    inflight = []
    for i in range(20):
        c = Conn()
        _, (_, _, proto) = c.negotiate()
        c.send(pkt(b"D", b"C" + z("{daemon_name}", "MTA")) +
               pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")) +
               pkt(b"H", z("client.example.net")) + pkt(b"M", z("<s@example.net>")))
        for nr in (NR_CONN, NR_HELO, NR_MAIL):
            if not proto & nr:
                c.read()
        c.send(pkt(b"R", z("<u@example.org>")))
        c.read()
        c.send(pkt(b"T") + pkt(b"L", z("From", " s@example.net")) + pkt(b"N") +
               pkt(b"B", b"half a body"))
        inflight.append(c)
    idle = [Conn() for _ in range(5)]
    for c in idle:
        c.negotiate()
    time.sleep(0.2)
    t0 = time.time()
    os.kill(PID, signal.SIGTERM)
    results = []
    for c in inflight + idle:
        c.s.settimeout(2.0)
        try:
            results.append(c.s.recv(100))
        except (socket.timeout, OSError) as e:
            results.append(repr(e))
    took = time.time() - t0
    check("SIGTERM: 25 connections (20 with a message under way) closed with no answer "
          "(%.2f s)" % took, all(r == b"" for r in results) and took < 1.0)
    gone = wait_gone(t0, 3)
    took = time.time() - t0
    check("doorman exits within a second of SIGTERM under load (%.2f s)" % took,
          gone and took < 1.0)
    try:
        Conn(timeout=1.0)
        check("nothing listens after the stop", False)
    except OSError:
        check("nothing listens after the stop", True)
    for c in inflight + idle:
        c.close()


def wait_gone(t0, secs):
    """doorman's process has exited (a zombie of the shell counts)"""
    while time.time() - t0 < secs:
        try:
            with open("/proc/%d/stat" % PID) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.01)
    return False


def slowstop():
    """SIGTERM while a callback waits on DNS (a resolver that never
    answers, 1 s timeout): the answer it computes is still sent, then the
    connection is closed and doorman exits"""
    c = Conn(timeout=5.0)
    c.negotiate()
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    time.sleep(0.3)
    t0 = time.time()
    os.kill(PID, signal.SIGTERM)
    r = c.read()
    check("a connect waiting on DNS at SIGTERM still gets its answer (%s after %.2f s)" %
          (r, time.time() - t0), r is not None and r[0] in (b"t", b"y"))
    check("then its connection is closed", c.closed())
    gone = wait_gone(t0, 5)
    check("and doorman exits once that command is done (%.2f s)" % (time.time() - t0), gone)
    c.close()


def clockstep():
    """doorman's wall clock jumps an hour ahead (clockstep.so, the file
    $CLOCKSTEP_FILE): a connection idle for two seconds is still served"""
    c = Conn(timeout=3.0)
    c.negotiate()
    c.send(pkt(b"C", z("h") + b"4" + struct.pack(">H", 1) + z("192.0.2.7")))
    c.read()
    open(os.environ["CLOCKSTEP_FILE"], "w").close()
    time.sleep(2.5)
    try:
        c.send(pkt(b"H", z("client.example.net")))
        r = c.read()
    except OSError:
        r = None
    check("a wall clock stepped an hour ahead closes no idle connection", r == (b"c", b""))
    c.close()
    normal("and new connections are served")


def noedit():
    """an MTA that offers no recipient edits (no SMFIF_ADDRCPT): the alias
    rewrite cannot be made, so the message is a 451 4.3.0, never passed on
    to the alias address unrewritten; offered the edits, the same message is
    rewritten (t/miltertest/conf/recipients.conf: sales@example.org is
    alice and bob).  Real MTAs always offer them: only a raw end can refuse."""
    for actions, offered in ((ALL_ACTIONS & ~0x84, False), (ALL_ACTIONS, True)):
        c = Conn()
        c.negotiate(actions=actions, proto=0)
        for data in (pkt(b"D", b"C" + z("{daemon_name}", "inbound")) +
                     pkt(b"C", z("client.example.net") + b"4" + struct.pack(">H", 4567) + z("203.0.113.5")),
                     pkt(b"H", z("client.example.net")),
                     pkt(b"D", b"M" + z("i", "NOEDIT")) + pkt(b"M", z("<s@example.net>")),
                     pkt(b"R", z("<sales@example.org>")), pkt(b"T"), pkt(b"L", z("Subject", " x")),
                     pkt(b"N"), pkt(b"B", b"body\r\n")):
            c.send(data)
            if c.read() != (b"c", b""):
                check("recipient edits %s: the steps before EOM continue" % ("offered" if offered else "not offered"), False)
        c.send(pkt(b"E"))
        eom = eom_packets(c)
        added = [p[1] for p in eom if p is not None and p[0] == b"+"]
        if offered:
            check("recipient edits offered: the alias is rewritten (%r)" % added,
                  sorted(added) == [b"<alice@example.org>\0", b"<bob@example.org>\0"] and
                  eom[-1] is not None and eom[-1][0] in (b"c", b"a"))
        else:
            check("recipient edits not offered: the alias is a 451 4.3.0 (%r)" % (eom[-1],),
                  not added and eom[-1] == (b"y", b"451 4.3.0 Recipient rewriting failed, try again later\0"))
        c.send(pkt(b"Q"))
        c.close()
    check("and the refusal is logged",
          wait_log('action=tempfail rule=alias reason="the MTA refused a recipient change"'))


if MODE == "clockstep":
    clockstep()
elif MODE == "slowstop":
    slowstop()
elif MODE == "limits":
    limits()
elif MODE == "fdlimit":
    fdlimit()
elif MODE == "maxconn":
    maxconn()
elif MODE == "stop":
    stop()
elif MODE == "idle":
    idle()
elif MODE == "late":
    late()
elif MODE == "noedit":
    noedit()
else:
    hostile()
print("# all checks run")
sys.exit(1 if failed else 0)
