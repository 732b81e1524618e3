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

AUTH (after TLS only, and then required before MAIL): --auth-user U with
--auth-password P takes PLAIN and LOGIN; --oauth-introspect URL takes
XOAUTH2 and OAUTHBEARER bearer tokens and asks URL (RFC 7662, POST
token=...) whether they are live and whose they are. Each attempt is
logged as "sink: auth mech=M user=U result=ok|refused".
--close-after-data closes each connection once a message is accepted (as
servers that take one message per connection do).

Needs aiosmtpd: run it with Debian's /usr/bin/python3.
"""

import argparse
import asyncio
import base64
import json
import os
import re
import signal
import ssl
import sys
import urllib.parse
import urllib.request

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def log_auth(mech, user, ok):
    print('sink: auth mech=%s user=%s result=%s' % (mech, user, 'ok' if ok else 'refused'),
          flush=True)


class PasswordAuth:
    """PLAIN and LOGIN against one user and password."""

    def __init__(self, user, password):
        self.user = user
        self.password = password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        log_auth(mechanism, auth_data.login.decode() if auth_data else '-', ok)
        return AuthResult(success=ok)


class SinkHandler:
    def __init__(self, directory, introspect=None, close_after_data=False):
        self.dir = directory
        self.introspect = introspect
        self.close_after_data = close_after_data
        self.seq = 0
        for name in os.listdir(directory):
            m = re.match(r'^(\d+)\.eml$', name)
            if m:
                self.seq = max(self.seq, int(m.group(1)))

    def _token_user(self, token):
        data = urllib.parse.urlencode({'token': token}).encode()
        with urllib.request.urlopen(self.introspect, data, timeout=5) as r:
            info = json.load(r)
        return info.get('username') if info.get('active') else None

    async def _bearer(self, server, args, mech, parse):
        """AUTH mech with the initial response (or one 334 round)."""
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await server.challenge_auth('')
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        user, token = parse(blob.decode('utf-8', 'replace'))
        who = await asyncio.get_running_loop().run_in_executor(None, self._token_user, token) \
            if token else None
        ok = who is not None and who == user
        log_auth(mech, user or '-', ok)
        if ok:
            return AuthResult(success=True, auth_data=user)
        await server.push('535 5.7.8 Authentication credentials invalid')
        return AuthResult(success=False, handled=True)

    async def auth_XOAUTH2(self, server, args):
        def parse(s):
            kv = dict(p.split('=', 1) for p in s.split('\x01') if '=' in p)
            tok = kv.get('auth', '')
            return kv.get('user'), tok[7:] if tok.startswith('Bearer ') else None
        return await self._bearer(server, args, 'XOAUTH2', parse)

    async def auth_OAUTHBEARER(self, server, args):
        def parse(s):
            head, _, rest = s.partition('\x01')
            user = next((f[2:] for f in head.split(',') if f.startswith('a=')), None)
            user = user.replace('=2C', ',').replace('=3D', '=') if user else None
            kv = dict(p.split('=', 1) for p in rest.split('\x01') if '=' in p)
            tok = kv.get('auth', '')
            return user, tok[7:] if tok.startswith('Bearer ') else None
        return await self._bearer(server, args, 'OAUTHBEARER', parse)

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
        if self.close_after_data:
            # After the 250 has gone out: the client finds the connection closed next time.
            asyncio.get_running_loop().call_later(0.2, server.transport.close)
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
    p.add_argument('--auth-user')
    p.add_argument('--auth-password')
    p.add_argument('--oauth-introspect', metavar='URL')
    p.add_argument('--close-after-data', action='store_true')
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
    handler = SinkHandler(args.dir, args.oauth_introspect, args.close_after_data)
    auth = {}
    if args.auth_user or args.oauth_introspect:
        # Without a password user, PLAIN and LOGIN refuse everyone.
        auth = dict(auth_required=True, auth_require_tls=True,
                    authenticator=PasswordAuth(args.auth_user or '', args.auth_password or ''))
        if not args.oauth_introspect:
            # The handler's bearer mechanisms need an introspection URL.
            auth['auth_exclude_mechanism'] = ['XOAUTH2', 'OAUTHBEARER']

    def factory():
        # hostname given: aiosmtpd would otherwise call getfqdn(), which
        # waits on DNS. SMTPUTF8 on: the sink should never be the one to refuse.
        return SMTP(handler, hostname='sink.test', enable_SMTPUTF8=True,
                    tls_context=ctx if args.starttls else None, loop=loop, **auth)

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
