#!/usr/bin/python3
"""latency.py: APPEND → auto-response latency of a running ticketd, one mail at a time.

    latency.py --port P --sink DIR [--count 200] [--user U --password P]

For each mail: APPEND a new customer mail to INBOX (its own sender, so no
rate limit applies), wait for the auto-response that answers it (its
In-Reply-To) to land in the sink's DIR (the aiosmtpd sink of
contrib/smtp-sink.py numbers its files 000001.eml, ... in arrival order:
DIR must be empty at the start), then the next.  The latency is from the
APPEND's tagged OK to the auto-response's file time.

Beside it, an IDLE client of our own on the same folder records when
Dovecot tells it about each new mail: Dovecot waits about half a second
after a change before it notifies IDLE clients, and that delay is part
of every figure ticketd can reach (shown separately).

Prints one JSON object: count, and p50/p99/max in seconds for "reply"
(APPEND → auto-response), "idle" (APPEND → EXISTS at our IDLE client)
and "own" (EXISTS at our IDLE client → auto-response: ticketd's share,
mail by mail).
"""

import argparse
import imaplib
import json
import math
import os
import re
import select
import socket
import sys
import threading
import time


class IdleWatcher(threading.Thread):
    """Holds one IMAP connection in IDLE and records the time of every EXISTS.

    IDLE is renewed every RENEW seconds (DONE, then IDLE again), as clients
    do (RFC 2177), so that no server timer ends it behind our back.
    """

    RENEW = 20

    def __init__(self, host, port, user, password):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buf = b''
        self.cond = threading.Condition()
        self.events = []     # the time of every EXISTS Dovecot sent, in order
        self.error = None
        self.tag = 0
        self._line(None)
        self._cmd(b'LOGIN %s %s' % (user.encode(), password.encode()))
        self._cmd(b'SELECT INBOX')

    def _line(self, timeout):
        """The next line, or None when none came within timeout seconds."""
        end = None if timeout is None else time.time() + timeout
        while b'\n' not in self.buf:
            left = None if end is None else end - time.time()
            if left is not None and left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError('the IDLE connection was closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        m = re.match(rb'\* (\d+) EXISTS', line)
        if m:
            # Counted, not read as a message number: ticketd's own flags
            # and moves change the numbers under us.
            with self.cond:
                self.events.append(time.time())
                self.cond.notify_all()
        return line + b'\n'

    def _cmd(self, data):
        """Send a command; read up to its tagged answer (or IDLE's continuation)."""
        self.tag += 1
        tag = b'w%d ' % self.tag
        self.sock.sendall(tag + data + b'\r\n')
        while True:
            line = self._line(None)
            if line.startswith(tag):
                if not line[len(tag):].startswith(b'OK'):
                    raise RuntimeError('command failed: %r' % line)
                return
            if line.startswith(b'+'):
                return

    def run(self):
        try:
            while True:
                self._cmd(b'IDLE')
                end = time.time() + self.RENEW
                while time.time() < end:
                    self._line(end - time.time())
                self.sock.sendall(b'DONE\r\n')
                tag = b'w%d ' % self.tag
                while not self._line(None).startswith(tag):
                    pass
        except Exception as e:        # reported with the results
            self.error = repr(e)
            with self.cond:
                self.cond.notify_all()

    def seen(self):
        with self.cond:
            return len(self.events)

    def wait_after(self, n, timeout):
        """The time of the first EXISTS after the n-th; None after timeout or an error."""
        end = time.time() + timeout
        with self.cond:
            while len(self.events) <= n and self.error is None:
                left = end - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.events[n] if len(self.events) > n else None


def quantile(values, q):
    v = sorted(values)
    if not v:
        return None
    k = min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))
    return v[k]


def mail(i, stamp):
    msgid = 'latency-%d.%d@latency.example' % (i, stamp)
    return msgid, ('From: Latency Customer %d <latency%d.%d@latency.example>\r\n'
                   'To: Example Support <support@example.com>\r\n'
                   'Subject: Latency probe %d\r\n'
                   'Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n'
                   'Message-ID: <%s>\r\n'
                   'MIME-Version: 1.0\r\n'
                   'Content-Type: text/plain; charset=utf-8\r\n\r\n'
                   'Hello,\r\n\r\nour nightly export fails again since this morning.\r\n'
                   'Could you have a look?\r\n\r\n-- \r\nA customer\r\n'
                   % (i, i, stamp, i, msgid)).encode()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--user', default='support')
    p.add_argument('--password', default='secret')
    p.add_argument('--sink', required=True, help='the sink directory (empty at the start)')
    p.add_argument('--count', type=int, default=200)
    p.add_argument('--timeout', type=float, default=15.0, help='seconds to wait for one answer')
    args = p.parse_args()

    watcher = IdleWatcher(args.host, args.port, args.user, args.password)
    watcher.start()
    imap = imaplib.IMAP4(args.host, args.port, timeout=60)
    imap.login(args.user, args.password)
    stamp = int(time.time())
    replies, idles, own = [], [], []
    for i in range(1, args.count + 1):
        msgid, data = mail(i, stamp)
        before = watcher.seen()
        typ, resp = imap.append('INBOX', None, None, data)
        t_append = time.time()
        if typ != 'OK':
            sys.exit('latency: APPEND failed: %r' % resp)
        t_exists = watcher.wait_after(before, args.timeout)
        if t_exists is not None:
            idles.append(t_exists - t_append)
        path = os.path.join(args.sink, '%06d.eml' % i)
        end = t_append + args.timeout
        while not os.path.exists(path):
            if time.time() > end:
                sys.exit('latency: no auto-response to mail %d within %.0f s' % (i, args.timeout))
            time.sleep(0.001)
        with open(path, 'rb') as f:
            head = f.read(8192)
        if msgid.encode() not in head:
            sys.exit('latency: %s does not answer %s' % (path, msgid))
        replies.append(os.stat(path).st_mtime_ns / 1e9 - t_append)
        if t_exists is not None:
            own.append(replies[-1] - idles[-1])
    imap.logout()
    out = {'count': len(replies), 'idle_error': watcher.error}
    for name, v in (('reply', replies), ('idle', idles), ('own', own)):
        out[name] = {'p50': quantile(v, 0.5), 'p99': quantile(v, 0.99), 'max': max(v) if v else None,
                     'n': len(v)}
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
