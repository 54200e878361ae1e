#!/usr/bin/python3
"""reaper.py OUT CMD [ARG...] - run CMD as a child subreaper, for tests.

A daemon that detaches (doorman without -f) is orphaned by its parent and
handed to the nearest subreaper: this process, instead of pid 1.  So its
exit status can be read, which a test shell cannot do for a process that
is not its child.  Every process reaped here appends one line to OUT:

    PID STATUS

STATUS is the exit code, or 128+N for a process killed by signal N.  The
first line is CMD's own.  The reaper exits when it has no child left, or
after 300 s whatever happens (a test must never hang), killing what is
left.  Linux only (prctl PR_SET_CHILD_SUBREAPER).
"""
import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
LIMIT = 300


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, cmd = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write("reaper: prctl: %s\n" % os.strerror(ctypes.get_errno()))
        return 2
    child = os.fork()
    if child == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid == 0:
            time.sleep(0.01)
            continue
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        with open(out, "a") as f:
            f.write("%d %d\n" % (pid, code))
    sys.stderr.write("reaper: children left after %d s: killed\n" % LIMIT)
    os.killpg(0, signal.SIGKILL)
    return 1


if __name__ == "__main__":
    sys.exit(main())
