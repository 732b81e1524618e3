#!/usr/bin/python3
"""Watch INBOX flags live; each time a message turns \\Seen, check at once
that the store already holds its fate.  Fails if a flag ever comes first.

  watch-flags.py --port N --db FILE --count N [--timeout S]
"""
import argparse
import imaplib
import re
import sqlite3
import sys
import time

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, required=True)
p.add_argument('--db', required=True)
p.add_argument('--count', type=int, required=True)
p.add_argument('--timeout', type=float, default=20)
a = p.parse_args()

imap = imaplib.IMAP4('127.0.0.1', a.port)
imap.login('support', 'secret')
imap.select('INBOX', readonly=True)
seen_before = set()
typ, data = imap.uid('SEARCH', None, 'SEEN')
seen_before = set(data[0].split())
checked = set()
print('ready', flush=True)
deadline = time.time() + a.timeout
while time.time() < deadline and len(checked) < a.count:
    imap.noop()
    typ, data = imap.uid('SEARCH', None, 'SEEN')
    for uid in data[0].split():
        if uid in seen_before or uid in checked:
            continue
        db = sqlite3.connect(a.db, timeout=10)
        row = db.execute("SELECT fate FROM messages WHERE direction = 'in' AND uid = ?",
                         (int(uid),)).fetchone()
        db.close()
        if row is None:
            print('uid %s is \\Seen but has no committed fate' % uid.decode())
            sys.exit(1)
        checked.add(uid)
    time.sleep(0.01)
print('checked %d' % len(checked))
sys.exit(0 if len(checked) >= a.count else 1)
