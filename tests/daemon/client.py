#!/usr/bin/env python3
"""Misbehaving clients of the daemon's control socket, and a fake daemon, for the tests of
tests/daemon (lib.sh: `client ARGS...`). Every wait has a limit ($PGSUP_TEST_LIMIT, default
60 s): a daemon that never answers makes the test fail, not hang.

  hold SOCK N READY        open N connections that send nothing, write READY once all are
                           connected, then keep them until killed
  idle SOCK                one connection that sends nothing; prints what the daemon sends
                           before it closes the connection
  raw SOCK BYTES           send BYTES bytes without a newline, then EOF; print the reply
  squat SOCK REPLY READY   a fake daemon: listen on SOCK (READY once it does) and answer
                           every connection with the line REPLY
"""
import os
import socket
import sys
import time

LIMIT = float(os.environ.get("PGSUP_TEST_LIMIT", "60"))


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Blocking: with a timeout, Python's connect() on a full backlog fails with EAGAIN at
    # once, where a plain client waits for the daemon to accept.
    s.connect(path)
    s.settimeout(LIMIT)
    return s


def read_all(s):
    """Everything until EOF; a reset after some data ends the reply too."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def ready(path):
    with open(path + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(path + ".tmp", path)


def main(argv):
    cmd = argv[1]
    if cmd == "hold":
        conns = [connect(argv[2]) for _ in range(int(argv[3]))]
        ready(argv[4])
        while True:
            time.sleep(3600)
        del conns
    elif cmd == "idle":
        s = connect(argv[2])
        sys.stdout.write(read_all(s).decode(errors="replace"))
    elif cmd == "raw":
        s = connect(argv[2])
        try:
            s.sendall(b"x" * int(argv[3]))
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon stopped reading: its answer is what matters
        sys.stdout.write(read_all(s).decode(errors="replace"))
    elif cmd == "squat":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(argv[2])
        s.listen(16)
        ready(argv[4])
        while True:
            c, _ = s.accept()
            c.settimeout(LIMIT)
            try:
                c.recv(65536)
                c.sendall((argv[3] + "\n").encode())
            except OSError:
                pass  # the client left without asking: a careful one does
            c.close()
    else:
        sys.exit("usage: see client.py")


if __name__ == "__main__":
    main(sys.argv)
