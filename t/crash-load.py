#!/usr/bin/python3
"""crash-load.py: the workload, the killer and the judge of the crash test
(t/t7004-crash.sh).  Standard library only; run with /usr/bin/python3.

  crash-load.py gen --state S --seed N --round R --count C --sink DIR
      append C mails of a realistic mix to INBOX over one IMAP connection
      (IMAP_PORT, IMAP_USER, IMAP_PASS from the environment) and record
      each one's kind and what its fate must be in the JSON state file S:
        new        a registered customer's new mail          -> created
        reply      that customer's reply to an earlier mail  -> followup, same ticket
        token      a reply to our auto-response (its token)  -> followup, same ticket
        ooo        an out-of-office answer to our mail       -> auto_reply
        bounce     a delivery status notification            -> bounce
        stranger   an unregistered sender's new mail         -> rejected_unregistered
        duplicate  an earlier mail delivered again           -> duplicate
  crash-load.py killer --log F --pattern RE [--delay-ms MS] [--timeout S] -- CMD...
      start CMD with its stderr appended to F, watch F from where it
      started; when a new line matches RE, wait MS milliseconds and
      SIGKILL CMD (also at the timeout).  Prints what it saw.
  crash-load.py check --state S --db DB --sink DIR --log F [--log F ...] [--report R]
      one fate per mail, tickets = new mails, follow-ups on their tickets,
      every outbox row sent, each at most once unless the log flagged it
      dup=possible (and then at most twice), every mail flagged on the
      server; PRAGMA integrity_check.  Prints the figures; exit 1 on a
      violation.
"""
import argparse
import email
import email.policy
import email.utils
import glob
import imaplib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time

DOMAIN = 'acme.example'
CUSTOMERS = 20


def load_state(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {'mails': [], 'n': 0}


def save_state(path, state):
    with open(path + '.tmp', 'w') as f:
        json.dump(state, f)
    os.replace(path + '.tmp', path)


def sink_mails(sink):
    """The auto-responses the sink has: (Message-ID, recipient, subject)."""
    out = []
    for eml in sorted(glob.glob(os.path.join(sink, '*.eml'))):
        try:
            with open(eml, 'rb') as f:
                msg = email.message_from_binary_file(f, policy=email.policy.compat32)
            with open(eml[:-4] + '.env') as f:
                rcpt = re.findall(r'^RCPT TO:<([^>]*)>', f.read(), re.M)
        except OSError:
            continue
        if msg['Auto-Submitted'] != 'auto-replied' or '[SUP-' not in (msg['Subject'] or ''):
            continue
        out.append((' '.join(msg['Message-ID'].split()), rcpt[0] if rcpt else '',
                    msg['Subject'] or ''))
    return out


def mail_date():
    """The harness's clock (TICKETD_NOW) when it sets one."""
    return email.utils.formatdate(int(os.environ.get('TICKETD_NOW') or time.time()))


def mail(sender, subject, body, msgid, headers=()):
    lines = ['From: %s' % sender, 'To: support@example.com', 'Subject: %s' % subject,
             'Message-ID: <%s>' % msgid, 'Date: %s' % mail_date(),
             'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8']
    lines += list(headers)
    return ('\r\n'.join(lines) + '\r\n\r\n' + body.replace('\n', '\r\n') + '\r\n').encode()


def dsn(msgid, ar_id, rcpt):
    body = ('--B\r\nContent-Type: text/plain\r\n\r\nI could not deliver your message.\r\n\r\n'
            '--B\r\nContent-Type: message/delivery-status\r\n\r\n'
            'Reporting-MTA: dns; mx.%s\r\n\r\nFinal-Recipient: rfc822; %s\r\n'
            'Action: failed\r\nStatus: 5.1.1\r\n\r\n'
            '--B\r\nContent-Type: text/rfc822-headers\r\n\r\n'
            'From: Example Support <support@example.com>\r\nTo: %s\r\n'
            'Message-ID: %s\r\n\r\n--B--\r\n') % (DOMAIN, rcpt, rcpt, ar_id)
    head = ['From: Mail Delivery System <MAILER-DAEMON@mx.%s>' % DOMAIN,
            'To: support@example.com', 'Subject: Undelivered Mail Returned to Sender',
            'Message-ID: <%s>' % msgid, 'Date: %s' % mail_date(),
            'MIME-Version: 1.0', 'Auto-Submitted: auto-replied',
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"']
    return ('\r\n'.join(head) + '\r\n\r\n' + body).encode()


def imap_login():
    imap = imaplib.IMAP4(os.environ.get('IMAP_HOST', '127.0.0.1'), int(os.environ['IMAP_PORT']))
    imap.login(os.environ['IMAP_USER'], os.environ['IMAP_PASS'])
    return imap


def cmd_gen(a):
    state = load_state(a.state)
    rng = random.Random('%s-%s' % (a.seed, a.round))
    ars = sink_mails(a.sink)
    news = [m for m in state['mails'] if m['kind'] == 'new']
    imap = imap_login()
    for _ in range(a.count):
        state['n'] += 1
        n = state['n']
        msgid = 'crash-%d-%d@%s' % (a.seed, n, DOMAIN)
        kinds = ['new'] * 5 + ['stranger']
        if news:
            kinds += ['reply'] * 3 + ['duplicate']
        if ars:
            kinds += ['token'] * 2 + ['ooo', 'bounce']
        kind = rng.choice(kinds)
        rec = {'n': n, 'kind': kind, 'msgid': msgid}
        if kind == 'new':
            who = 'c%d@%s' % (rng.randrange(1, CUSTOMERS + 1), DOMAIN)
            raw = mail('Customer <%s>' % who, 'Problem %d' % n,
                       'Something is broken (%d).\nPlease help.' % n, msgid)
            rec['from'] = who
            news.append(rec)
        elif kind == 'stranger':
            who = 'stranger%d@elsewhere.example' % n
            raw = mail(who, 'Question %d' % n, 'Who are you? (%d)' % n, msgid)
            rec['from'] = who
        elif kind == 'reply':
            parent = rng.choice(news)
            raw = mail('Customer <%s>' % parent['from'], 'Re: Problem %d' % parent['n'],
                       'More details (%d).' % n, msgid,
                       ['In-Reply-To: <%s>' % parent['msgid'],
                        'References: <%s>' % parent['msgid']])
            rec['parent'] = parent['msgid']
            rec['from'] = parent['from']
        elif kind == 'duplicate':
            parent = rng.choice(news)
            raw = None
            with open(os.path.join(os.path.dirname(a.state) or '.', 'raw-%d.eml' % parent['n']), 'rb') as f:
                raw = f.read()
            rec['msgid'] = parent['msgid']
            rec['parent'] = parent['msgid']
        elif kind == 'token':
            ar_id, rcpt, subject = rng.choice(ars)
            raw = mail('Customer <%s>' % rcpt, 'Re: ' + subject, 'Thanks, more (%d).' % n, msgid,
                       ['In-Reply-To: %s' % ar_id, 'References: %s' % ar_id])
            rec['parent_out'] = ar_id.strip('<>')
            rec['from'] = rcpt
        elif kind == 'ooo':
            ar_id, rcpt, subject = rng.choice(ars)
            raw = mail('Customer <%s>' % rcpt, 'Automatic reply: ' + subject,
                       'I am out of the office (%d).' % n, msgid,
                       ['In-Reply-To: %s' % ar_id, 'Auto-Submitted: auto-replied'])
            rec['parent_out'] = ar_id.strip('<>')
        else:  # bounce
            ar_id, rcpt, subject = rng.choice(ars)
            raw = dsn(msgid, ar_id, 'nobody%d@%s' % (n, DOMAIN))
            rec['parent_out'] = ar_id.strip('<>')
        with open(os.path.join(os.path.dirname(a.state) or '.', 'raw-%d.eml' % n), 'wb') as f:
            f.write(raw)
        typ, _ = imap.append('INBOX', None, None, raw)
        if typ != 'OK':
            sys.exit('crash-load: append failed')
        state['mails'].append(rec)
    imap.logout()
    save_state(a.state, state)
    return 0


def cmd_killer(a):
    import subprocess
    rx = re.compile(a.pattern)
    cmd = a.command[1:] if a.command and a.command[0] == '--' else a.command
    with open(a.log, 'ab') as out, open(a.log, 'rb') as f:
        f.seek(0, os.SEEK_END)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        deadline = time.time() + a.timeout
        buf = b''
        seen = None
        while time.time() < deadline and seen is None and proc.poll() is None:
            chunk = f.read()
            if not chunk:
                time.sleep(0.0005)
                continue
            buf += chunk
            lines = buf.split(b'\n')
            buf = lines.pop()
            for line in lines:
                if rx.search(line.decode('utf-8', 'replace')):
                    seen = line.decode('utf-8', 'replace')
                    break
        if seen is not None:
            time.sleep(a.delay_ms / 1000.0)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if seen is not None:
            print('killed on: %s' % seen[:160])
        elif proc.returncode == -signal.SIGKILL:
            print('killed on timeout')
        else:
            print('exited by itself: %s' % proc.returncode)
    return 0


def cmd_check(a):
    state = load_state(a.state)
    db = sqlite3.connect(a.db)
    bad = []
    fig = {}
    mails = state['mails']
    fig['mails'] = len(mails)
    kinds = {}
    for m in mails:
        kinds[m['kind']] = kinds.get(m['kind'], 0) + 1
    fig['kinds'] = kinds

    # One fate per IMAP message: every UID once, as many as were appended.
    rows = db.execute("SELECT uid, COUNT(*) FROM messages WHERE direction = 'in' GROUP BY uid").fetchall()
    if len(rows) != len(mails):
        bad.append('%d mails appended, %d UIDs with a fate' % (len(mails), len(rows)))
    for uid, c in rows:
        if c != 1:
            bad.append('uid %d has %d fates' % (uid, c))
    fates = {}
    for (f,) in db.execute("SELECT fate FROM messages WHERE direction = 'in'"):
        fates[f] = fates.get(f, 0) + 1
    fig['fates'] = fates

    def fate_of(uid):
        r = db.execute("SELECT fate, COALESCE(ticket, 0) FROM messages WHERE direction = 'in' "
                       "AND uid = ?", (uid,)).fetchone()
        return r if r else (None, 0)

    # Appended in order: the n-th mail has UID n (a fresh INBOX).
    expect = {'new': 'created', 'reply': 'followup', 'token': 'followup', 'ooo': 'auto_reply',
              'bounce': 'bounce', 'stranger': 'rejected_unregistered', 'duplicate': 'duplicate'}
    ticket_of_new = {}
    for m in mails:
        fate, ticket = fate_of(m['n'])
        if fate != expect[m['kind']]:
            bad.append('mail %d (%s) got fate %s, not %s' % (m['n'], m['kind'], fate, expect[m['kind']]))
        if m['kind'] == 'new':
            ticket_of_new[m['msgid']] = ticket
    tickets = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    fig['tickets'] = tickets
    if tickets != kinds.get('new', 0):
        bad.append('%d tickets for %d new mails' % (tickets, kinds.get('new', 0)))
    if len(set(ticket_of_new.values())) != len(ticket_of_new):
        bad.append('two new mails share a ticket')
    for m in mails:
        fate, ticket = fate_of(m['n'])
        want = None
        if m['kind'] in ('reply', 'duplicate'):
            want = ticket_of_new.get(m['parent'])
        elif m['kind'] in ('token', 'ooo', 'bounce'):
            r = db.execute("SELECT COALESCE(ticket, 0) FROM messages WHERE direction = 'out' "
                           "AND message_id = ?", (m['parent_out'],)).fetchone()
            want = r[0] if r else None
        if want is not None and ticket != want:
            bad.append('mail %d (%s) landed on ticket %s, not %s' % (m['n'], m['kind'], ticket, want))

    # Every outbox row went out; at most once, unless flagged dup=possible.
    logs = ''
    for path in a.log:
        with open(path, errors='replace') as f:
            logs += f.read()
    flagged = set(int(x) for x in re.findall(r'send id=(\d+) .*dup=possible', logs))
    in_flight = re.findall(r'send id=(\d+) .*event=in_flight_at_crash', logs)
    fig['in_flight_at_crash'] = len(in_flight)
    fig['rows_flagged_possible_dup'] = len(flagged)
    rows = db.execute("SELECT o.id, o.status, o.doubt, m.message_id, o.last_error FROM outbox o "
                      "JOIN messages m ON m.id = o.message").fetchall()
    fig['outbox_rows'] = len(rows)
    delivered = {}
    for eml in glob.glob(os.path.join(a.sink, '*.eml')):
        with open(eml, 'rb') as f:
            msg = email.message_from_binary_file(f, policy=email.policy.compat32)
        mid = ' '.join((msg['Message-ID'] or '').split()).strip('<>')
        delivered[mid] = delivered.get(mid, 0) + 1
    fig['mails_delivered'] = sum(delivered.values())
    dups = []
    failed = []
    for oid, status, doubt, mid, err in rows:
        count = delivered.get(mid, 0)
        if status == 'failed':
            failed.append((oid, err))
            fig.setdefault('failed_in_doubt_delivered', []).append(count)
            if count > 2 or doubt == 0:
                bad.append('row %d failed (%s) and was delivered %d times' % (oid, err, count))
            continue
        if status != 'sent':
            bad.append('row %d is %s, not sent' % (oid, status))
        if count == 0:
            bad.append('row %d (%s) never arrived' % (oid, mid))
        if count > 1:
            dups.append(oid)
            if oid not in flagged or count > 2:
                bad.append('row %d arrived %d times without dup=possible' % (oid, count))
    fig['duplicates'] = len(dups)
    fig['duplicate_rows'] = dups
    # Each duplicate is explained by a kill that found its row in flight.
    if a.kills:
        by_row = {}
        kills = {'intake': 0, 'sending': 0, 'mail_waiting': 0, 'rows_queued': 0, 'row_in_flight': 0}
        with open(a.kills) as f:
            for line in f:
                kv = dict(x.split('=', 1) for x in line.split() if '=' in x)
                after = kv.get('after')
                kind = 'intake' if after == 'infoingest' else 'sending' if after == 'infosend' else 'random'
                kills[kind] = kills.get(kind, 0) + 1
                kills['mail_waiting'] += kv.get('unseen', '0') != '0'
                kills['rows_queued'] += kv.get('queued', '0') != '0'
                if kv.get('in_flight'):
                    kills['row_in_flight'] += 1
                    for r in kv['in_flight'].split(','):
                        by_row.setdefault(int(r), []).append(kv['kill'])
        fig['kills'] = kills
        sent_twice = sum(1 for r in by_row if r in dups)
        for oid in dups:
            if oid not in by_row:
                bad.append('row %d arrived twice but no kill found it in flight' % oid)
        for oid in sorted(by_row):
            row = [r for r in rows if r[0] == oid]
            n = delivered.get(row[0][3], 0) if row else 0
            if row and row[0][1] == 'failed':
                what = ('found in flight again: failed, not sent a third time; delivered %d '
                        'time(s)' % n)
            else:
                what = 'sent again with dup=possible; delivered %d time(s): %s' % (
                    n, 'the server had taken it before the kill' if n > 1 else
                    'the attempt the kill cut never completed')
            print('# kill %s: row %d in flight; %s' % (','.join(by_row[oid]), oid, what))
        fig['in_flight_delivered_twice'] = sent_twice
        fig['in_flight_delivered_once'] = len(by_row) - sent_twice
    fig['failed_in_doubt'] = len(failed)
    unknown = set(delivered) - set(r[3] for r in rows)
    if unknown:
        bad.append('the sink got mail no outbox row knows: %s' % sorted(unknown)[:3])

    # Flagged on the server, all of them.
    imap = imap_login()
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('SEARCH', None, 'UNSEEN')
    unseen = data[0].split() if typ == 'OK' and data and data[0] else []
    imap.logout()
    fig['unseen_on_server'] = len(unseen)
    if unseen:
        bad.append('%d mails not flagged on the server' % len(unseen))
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    fig['integrity_check'] = integrity
    if integrity != 'ok':
        bad.append('integrity_check: %s' % integrity)
    print(json.dumps(fig, sort_keys=True))
    if a.report:
        with open(a.report, 'w') as f:
            json.dump(fig, f, sort_keys=True)
    for b in bad[:30]:
        print('VIOLATION: ' + b)
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('gen')
    g.add_argument('--state', required=True)
    g.add_argument('--seed', type=int, required=True)
    g.add_argument('--round', type=int, required=True)
    g.add_argument('--count', type=int, required=True)
    g.add_argument('--sink', required=True)
    k = sub.add_parser('killer')
    k.add_argument('--log', required=True)
    k.add_argument('--pattern', required=True)
    k.add_argument('--delay-ms', type=float, default=0)
    k.add_argument('--timeout', type=float, default=10)
    k.add_argument('command', nargs=argparse.REMAINDER)
    c = sub.add_parser('check')
    c.add_argument('--state', required=True)
    c.add_argument('--db', required=True)
    c.add_argument('--sink', required=True)
    c.add_argument('--log', action='append', required=True)
    c.add_argument('--report')
    c.add_argument('--kills')
    a = p.parse_args()
    return {'gen': cmd_gen, 'killer': cmd_killer, 'check': cmd_check}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())
