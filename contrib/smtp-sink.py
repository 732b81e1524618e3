#!/usr/bin/python3
"""smtp-sink.py: an SMTP server that accepts every message and keeps it.

    smtp-sink.py --host 127.0.0.1 --port 2525 --dir DIR

Each message becomes DIR/NNNNNN.eml (the DATA bytes exactly as received
after dot-unstuffing, CRLF kept) and DIR/NNNNNN.env (the envelope: one
"MAIL FROM:<addr>" line, then one "RCPT TO:<addr>" line per recipient).
Numbers start at 000001 (or after the highest already in DIR). Both files are
written under a temporary name and renamed, the .env first: once a .eml
exists, it and its .env are complete.

--port 0 lets the kernel pick a port; --port-file FILE receives the port
once the server listens. --starttls/--ssl with --cert/--key add STARTTLS or
implicit TLS. SIGTERM or SIGINT shut it down cleanly.

Needs aiosmtpd: run it with Debian's /usr/bin/python3.
"""

import argparse
import asyncio
import os
import re
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP


class SinkHandler:
    def __init__(self, directory):
        self.dir = directory
        self.seq = 0
        for name in os.listdir(directory):
            m = re.match(r'^(\d+)\.eml$', name)
            if m:
                self.seq = max(self.seq, int(m.group(1)))

    def _write(self, name, data):
        path = os.path.join(self.dir, name)
        tmp = path + '.tmp'
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)

    async def handle_DATA(self, server, session, envelope):
        self.seq += 1
        base = '%06d' % self.seq
        env = 'MAIL FROM:<%s>\n' % envelope.mail_from
        env += ''.join('RCPT TO:<%s>\n' % r for r in envelope.rcpt_tos)
        self._write(base + '.env', env.encode('utf-8', 'surrogateescape'))
        self._write(base + '.eml', envelope.original_content)
        print('sink: message %s from=<%s> to=%s bytes=%d'
              % (base, envelope.mail_from, ','.join(envelope.rcpt_tos),
                 len(envelope.original_content)), flush=True)
        return '250 2.0.0 OK queued as %s' % base


def main():
    p = argparse.ArgumentParser(description='SMTP sink for ticketd tests')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--port-file', help='write the listening port here')
    tls = p.add_mutually_exclusive_group()
    tls.add_argument('--starttls', action='store_true')
    tls.add_argument('--ssl', action='store_true', help='implicit TLS (SMTPS)')
    p.add_argument('--cert')
    p.add_argument('--key')
    args = p.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    ctx = None
    if args.starttls or args.ssl:
        if not args.cert or not args.key:
            p.error('--starttls and --ssl need --cert and --key')
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = SinkHandler(args.dir)

    def factory():
        # hostname given: aiosmtpd would otherwise call getfqdn(), which
        # waits on DNS. SMTPUTF8 on: the sink should never be the one to refuse.
        return SMTP(handler, hostname='sink.test', enable_SMTPUTF8=True,
                    tls_context=ctx if args.starttls else None, loop=loop)

    server = loop.run_until_complete(loop.create_server(
        factory, host=args.host, port=args.port,
        ssl=ctx if args.ssl else None))
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.replace(tmp, args.port_file)
    print('sink: listening on %s:%d dir=%s' % (args.host, port, args.dir),
          flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()
    print('sink: stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
