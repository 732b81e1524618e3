#!/usr/bin/python3
"""imap-tool.py: small IMAP client for tests and the demo (stdlib imaplib).

    imap-tool.py append FILE [FOLDER] [--flags '\\Seen']   FOLDER is created if missing
    imap-tool.py uids [FOLDER]        "UID FLAGS..." per message (no \\Recent)
    imap-tool.py count [FOLDER]       number of messages
    imap-tool.py folders              folder names, sorted, one a line
    imap-tool.py fetch UID [FOLDER]   raw message on stdout (BODY.PEEK: no \\Seen)

Server and login come from the environment (set by t/lib-servers.sh):
IMAP_HOST (default 127.0.0.1), IMAP_PORT, IMAP_USER, IMAP_PASS; or the
--host/--port/--user/--password options. --ssl uses IMAPS (IMAPS_PORT by
default) without verifying the certificate.
"""

import argparse
import imaplib
import os
import re
import ssl
import sys


def quote(name):
    """An IMAP quoted string (imaplib sends mailbox names as they are)."""
    return '"' + name.replace('\\', '\\\\').replace('"', '\\"') + '"'


def check(resp, what):
    typ, data = resp
    if typ != 'OK':
        sys.exit('imap-tool: %s failed: %s %r' % (what, typ, data))
    return data


def connect(args):
    host = args.host or os.environ.get('IMAP_HOST', '127.0.0.1')
    if args.ssl:
        port = args.port or os.environ.get('IMAPS_PORT')
    else:
        port = args.port or os.environ.get('IMAP_PORT')
    user = args.user or os.environ.get('IMAP_USER', 'support')
    password = args.password or os.environ.get('IMAP_PASS', 'secret')
    if not port:
        sys.exit('imap-tool: no port: set IMAP_PORT or use --port')
    try:
        if args.ssl:
            ctx = ssl._create_unverified_context()
            imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx, timeout=30)
        else:
            imap = imaplib.IMAP4(host, int(port), timeout=30)
        imap.login(user, password)
    except (OSError, imaplib.IMAP4.error) as e:
        sys.exit('imap-tool: unable to log in to %s:%s as %s: %s'
                 % (host, port, user, e))
    return imap


def select(imap, folder, readonly=True):
    typ, data = imap.select(quote(folder), readonly=readonly)
    if typ != 'OK':
        sys.exit('imap-tool: unable to select %r: %r' % (folder, data))
    return int(data[0])


FETCH_RE = re.compile(rb'UID (\d+)|FLAGS \(([^)]*)\)')


def cmd_append(imap, args):
    with open(args.file, 'rb') as f:
        msg = f.read()
    folder = args.folder
    if folder.upper() != 'INBOX':
        typ, data = imap.list('""', quote(folder))
        if typ == 'OK' and (not data or data == [None]):
            check(imap.create(quote(folder)), 'CREATE %s' % folder)
    flags = '(%s)' % args.flags if args.flags else None
    # imaplib turns bare LF into CRLF, as IMAP requires.
    check(imap.append(quote(folder), flags, None, msg), 'APPEND to %s' % folder)


def cmd_uids(imap, args):
    if select(imap, args.folder) == 0:
        return
    data = check(imap.uid('FETCH', '1:*', '(UID FLAGS)'), 'FETCH')
    rows = []
    for item in data:
        if isinstance(item, tuple):
            item = item[0]
        if not item:
            continue
        uid, flags = None, []
        for m in FETCH_RE.finditer(item):
            if m.group(1):
                uid = int(m.group(1))
            else:
                flags = [f for f in m.group(2).decode().split()
                         if f != '\\Recent']
        if uid is not None:
            rows.append((uid, sorted(flags)))
    for uid, flags in sorted(rows):
        print(' '.join([str(uid)] + flags))


def cmd_count(imap, args):
    print(select(imap, args.folder))


def parse_list_name(line):
    """The mailbox name at the end of an untagged LIST response."""
    if isinstance(line, tuple):         # name sent as a literal
        return line[1].decode('utf-8', 'replace')
    line = line.decode('utf-8', 'replace')
    m = re.match(r'\([^)]*\) (?:"(?:[^"\\]|\\.)*"|NIL) (.*)$', line)
    name = m.group(1) if m else line.rsplit(' ', 1)[-1]
    if name.startswith('"') and name.endswith('"'):
        name = re.sub(r'\\(.)', r'\1', name[1:-1])
    return name


def cmd_folders(imap, args):
    data = check(imap.list(), 'LIST')
    names = [parse_list_name(line) for line in data if line]
    for name in sorted(names):
        print(name)


def cmd_fetch(imap, args):
    select(imap, args.folder)
    data = check(imap.uid('FETCH', str(args.uid), '(BODY.PEEK[])'), 'FETCH')
    for item in data:
        if isinstance(item, tuple):
            sys.stdout.buffer.write(item[1])
            return
    sys.exit('imap-tool: no message with UID %s in %r' % (args.uid, args.folder))


def main():
    p = argparse.ArgumentParser(description='IMAP helper for ticketd tests')
    p.add_argument('--host')
    p.add_argument('--port')
    p.add_argument('--user')
    p.add_argument('--password')
    p.add_argument('--ssl', action='store_true')
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('append')
    a.add_argument('file')
    a.add_argument('folder', nargs='?', default='INBOX')
    a.add_argument('--flags', help="e.g. '\\Seen \\Flagged'")
    for name in ('uids', 'count'):
        s = sub.add_parser(name)
        s.add_argument('folder', nargs='?', default='INBOX')
    sub.add_parser('folders')
    f = sub.add_parser('fetch')
    f.add_argument('uid', type=int)
    f.add_argument('folder', nargs='?', default='INBOX')
    args = p.parse_args()

    imap = connect(args)
    try:
        globals()['cmd_' + args.cmd](imap, args)
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


if __name__ == '__main__':
    main()
