#!/usr/bin/python3
"""oauth-server.py: a small OAuth2 authorization server for ticketd's tests.

    oauth-server.py --port-file F --log FILE [--lifetime S] [--rotate]
                    [--client-id ID] [--client-secret SECRET]

It speaks enough of RFC 6749, RFC 8628 and RFC 7662 for ticketd and for
Dovecot's oauth2 passdb:

  POST /token        grant_type refresh_token, authorization_code (PKCE S256)
                     or urn:ietf:params:oauth:grant-type:device_code
  POST /device       a device code and a user code (RFC 8628 3.1)
  GET  /authorize    approves at once for login_hint (or --user) and
                     redirects to redirect_uri with code and state
  POST /introspect   token=... -> {"active": true, "username": ...} (RFC 7662)
  GET  /tokeninfo    ?access_token=... the same, for Dovecot's tokeninfo_url

and, for the tests themselves (form-encoded POSTs):

  POST /admin/issue    user=U          prints a fresh refresh token for U
  POST /admin/approve  user_code=C user=U   a person approved the device code
  POST /admin/deny     user_code=C
  POST /admin/revoke   user=U          every token of U stops working
  POST /admin/expire   user=U          U's access tokens expire now
  POST /admin/lifetime seconds=N       later access tokens live N seconds

With --rotate every refresh returns a new refresh token and the old one
stops working (strict rotation).  Every request is one line in --log,
"POST /token grant=refresh_token user=support result=ok", never a token.
Standard library only.
"""
import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from listen import publish_port

p = argparse.ArgumentParser()
p.add_argument('--port-file', required=True)
p.add_argument('--log', required=True)
p.add_argument('--lifetime', type=int, default=3600)
p.add_argument('--rotate', action='store_true')
p.add_argument('--client-id', default='ticketd-test')
p.add_argument('--client-secret', default='')
p.add_argument('--user', default='support')
a = p.parse_args()

lock = threading.Lock()
state = {
    'lifetime': a.lifetime,
    'refresh': {},    # refresh token -> user
    'access': {},     # access token -> (user, expires_at, scope)
    'device': {},     # device code -> {'user_code', 'user', 'denied', 'expires'}
    'codes': {},      # authorization code -> (user, challenge, redirect_uri, scope)
    'revoked': set(),
}
logf = open(a.log, 'a', buffering=1)


def log(line):
    with lock:
        logf.write(line + '\n')


def new_token(prefix):
    return prefix + secrets.token_urlsafe(24)


def issue(user, scope, old_refresh=None):
    """Tokens for user; the caller holds the lock."""
    at = new_token('at-')
    state['access'][at] = (user, time.time() + state['lifetime'], scope)
    out = {'access_token': at, 'token_type': 'Bearer',
           'expires_in': state['lifetime'], 'scope': scope}
    if old_refresh is None or a.rotate:
        rt = new_token('rt-')
        state['refresh'][rt] = user
        if old_refresh is not None:
            del state['refresh'][old_refresh]
        out['refresh_token'] = rt
    return out


def active(token):
    with lock:
        v = state['access'].get(token)
        if v is None or v[0] in state['revoked'] or v[1] <= time.time():
            return None
        return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get('Content-Length') or 0)
        data = self.rfile.read(n).decode() if n else ''
        return {k: v[0] for k, v in urllib.parse.parse_qs(data, keep_blank_values=True).items()}

    def client_ok(self, f):
        if f.get('client_id') != a.client_id:
            return False
        return not a.client_secret or f.get('client_secret') == a.client_secret

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.path == '/tokeninfo':
            self.introspect(q.get('access_token', ''), 'GET /tokeninfo')
        elif u.path == '/authorize':
            self.authorize(q)
        else:
            self.reply(404, {'error': 'not_found'})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        if path == '/token':
            self.token(f)
        elif path == '/device':
            self.device(f)
        elif path == '/introspect':
            self.introspect(f.get('token', ''), 'POST /introspect')
        elif path.startswith('/admin/'):
            self.admin(path[7:], f)
        else:
            self.reply(404, {'error': 'not_found'})

    def introspect(self, token, what):
        v = active(token)
        log('%s user=%s result=%s' % (what, v[0] if v else '-', 'active' if v else 'inactive'))
        if v is None:
            self.reply(200, {'active': False})
        else:
            self.reply(200, {'active': True, 'username': v[0], 'scope': v[2],
                             'exp': int(v[1]), 'token_type': 'Bearer'})

    def authorize(self, q):
        user = q.get('login_hint') or a.user
        if q.get('client_id') != a.client_id or q.get('code_challenge_method') != 'S256' \
                or not q.get('redirect_uri') or q.get('response_type') != 'code':
            log('GET /authorize user=%s result=invalid_request' % user)
            self.reply(400, {'error': 'invalid_request'})
            return
        code = new_token('code-')
        with lock:
            state['codes'][code] = (user, q.get('code_challenge'), q['redirect_uri'],
                                    q.get('scope', ''))
        sep = '&' if '?' in q['redirect_uri'] else '?'
        loc = q['redirect_uri'] + sep + urllib.parse.urlencode(
            {'code': code, 'state': q.get('state', '')})
        log('GET /authorize user=%s result=redirect' % user)
        self.send_response(302)
        self.send_header('Location', loc)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def device(self, f):
        if not self.client_ok(f):
            log('POST /device result=invalid_client')
            self.reply(401, {'error': 'invalid_client'})
            return
        dc = new_token('dc-')
        uc = '%04d-%04d' % (secrets.randbelow(10000), secrets.randbelow(10000))
        with lock:
            state['device'][dc] = {'user_code': uc, 'user': None, 'denied': False,
                                   'scope': f.get('scope', ''), 'expires': time.time() + 600}
        host = self.headers.get('Host')
        log('POST /device user_code=%s result=ok' % uc)
        self.reply(200, {'device_code': dc, 'user_code': uc,
                         'verification_uri': 'http://%s/activate' % host,
                         'expires_in': 600, 'interval': 1})

    def token(self, f):
        grant = f.get('grant_type', '')
        short = grant.rsplit(':', 1)[-1]
        if not self.client_ok(f):
            log('POST /token grant=%s result=invalid_client' % short)
            self.reply(401, {'error': 'invalid_client', 'error_description': 'unknown client'})
            return
        with lock:
            out, user, err = None, '-', None
            if grant == 'refresh_token':
                rt = f.get('refresh_token', '')
                user = state['refresh'].get(rt, '-')
                if user == '-' or user in state['revoked']:
                    err = ('invalid_grant', 'the refresh token is revoked or unknown')
                else:
                    out = issue(user, f.get('scope', ''), rt)
            elif grant == 'urn:ietf:params:oauth:grant-type:device_code':
                d = state['device'].get(f.get('device_code', ''))
                if d is None:
                    err = ('invalid_grant', 'unknown device code')
                elif d['denied']:
                    err = ('access_denied', 'the user said no')
                elif d['expires'] <= time.time():
                    err = ('expired_token', 'the device code expired')
                elif d['user'] is None:
                    err = ('authorization_pending', 'waiting for the user')
                else:
                    user = d['user']
                    del state['device'][f['device_code']]
                    state['revoked'].discard(user)
                    out = issue(user, d['scope'])
            elif grant == 'authorization_code':
                c = state['codes'].pop(f.get('code', ''), None)
                verifier = f.get('code_verifier', '')
                digest = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).decode().rstrip('=')
                if c is None:
                    err = ('invalid_grant', 'unknown or used code')
                elif c[1] != digest:
                    err = ('invalid_grant', 'PKCE verifier does not match')
                elif c[2] != f.get('redirect_uri'):
                    err = ('invalid_grant', 'redirect_uri differs')
                else:
                    user = c[0]
                    state['revoked'].discard(user)
                    out = issue(user, c[3])
            else:
                err = ('unsupported_grant_type', grant)
        log('POST /token grant=%s user=%s result=%s' % (short, user, err[0] if err else 'ok'))
        if err:
            self.reply(400, {'error': err[0], 'error_description': err[1]})
        else:
            self.reply(200, out)

    def admin(self, what, f):
        result = {}
        with lock:
            if what == 'issue':
                state['revoked'].discard(f['user'])
                rt = new_token('rt-')
                state['refresh'][rt] = f['user']
                result = {'refresh_token': rt}
            elif what == 'approve' or what == 'deny':
                for d in state['device'].values():
                    if d['user_code'] == f.get('user_code'):
                        if what == 'approve':
                            d['user'] = f.get('user', a.user)
                        else:
                            d['denied'] = True
                        result = {'ok': True}
            elif what == 'revoke':
                state['revoked'].add(f['user'])
                result = {'ok': True}
            elif what == 'expire':
                for at, v in list(state['access'].items()):
                    if v[0] == f['user']:
                        state['access'][at] = (v[0], time.time() - 1, v[2])
                result = {'ok': True}
            elif what == 'lifetime':
                state['lifetime'] = int(f['seconds'])
                result = {'ok': True}
        log('POST /admin/%s user=%s' % (what, f.get('user', '-')))
        self.reply(200 if result else 404, result or {'error': 'not_found'})


srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
srv.daemon_threads = True
publish_port(a.port_file, srv.server_address[1])
srv.serve_forever()
