#!/usr/bin/python3
"""dgram-listen.py SOCKET LOG: what a unix datagram socket hears.

Stands in for systemd's $NOTIFY_SOCKET (t5102) and for syslog's /dev/log
(t5106).  Binds a unix datagram socket at SOCKET and appends every
message to LOG, one line per line of the message ("READY=1", "STATUS=..."),
each prefixed with the milliseconds since the listener started.  Stops on
SIGTERM.  Stdlib only.
"""
import signal
import socket
import sys
import time


def main():
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    start = time.monotonic()
    with open(log, 'a', buffering=1) as out:
        out.write('%d listening\n' % 0)
        while True:
            data = sock.recv(65536)
            ms = int((time.monotonic() - start) * 1000)
            for line in data.decode('utf-8', 'replace').split('\n'):
                if line:
                    out.write('%d %s\n' % (ms, line))


if __name__ == '__main__':
    main()
