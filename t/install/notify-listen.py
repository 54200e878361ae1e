#!/usr/bin/python3
# notify-listen.py NOTIFY_SOCKET [MILTER_UNIX_SOCKET] - systemd's end of
# sd_notify(3): binds the datagram socket (writable by anyone, as
# systemd's: doorman sends after dropping privileges) and prints each
# message on a line, its fields joined by spaces; with a milter socket,
# followed by "accepting" or "not-accepting": whether it took a
# connection when the message came.  Ends after STOPPING=1, or 20 s
# without a message.
import os
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(20)
try:
    while True:
        m = s.recv(4096).decode().replace("\n", " ").strip()
        if len(sys.argv) > 2:
            c = socket.socket(socket.AF_UNIX)
            try:
                c.connect(sys.argv[2])
                m += " accepting"
            except OSError:
                m += " not-accepting"
            c.close()
        print(m, flush=True)
        if m.startswith("STOPPING=1"):
            break
except socket.timeout:
    pass
