#!/usr/bin/python3
"""check-mail.py: check one outgoing ticketd mail against SPEC section 7.

    check-mail.py FILE --kind autoresponse|notification --ticket N --to ADDR
                  [--irt MSGID] [--ref MSGID] [--subject TEXT]
                  [--phrase TEXT]... [--absent TEXT]...
                  [--attachment NAME=SHA256]...

Checks the raw header block (CRLF, one field per line or folded, 7-bit,
lines of at most 998 bytes, no Bcc) and each header of SPEC 7: From with
the display name, To, Reply-To support+rN-V-DAYMAC@example.com, Message-ID
with the token, In-Reply-To/References (naming --irt and --ref when
given), Auto-Submitted (auto-replied for autoresponse, else
auto-generated), X-Auto-Response-Suppress: All, X-Loop, Date, MIME-Version,
Content-Type text/plain; charset=UTF-8 and a Content-Transfer-Encoding;
then the decoded subject and body (--phrase must appear, --absent must
not).  With --attachment the mail must be a multipart/mixed whose first
part is that text and whose other parts are exactly those files, in
order: each base64 in lines of at most 76, named NAME (as Python's email
package reads Content-Disposition, RFC 2231 included), holding bytes
whose SHA-256 is SHA256.  Prints every problem; exit 1 when there is
one.  Stdlib only.
"""
import argparse
import email
import email.header
import email.policy
import email.utils
import hashlib
import re
import sys

SUPPORT = 'support@example.com'
SUPPORT_NAME = 'Example Support'
SINGLE = ('Date', 'From', 'To', 'Reply-To', 'Subject', 'Message-ID', 'In-Reply-To',
          'References', 'Auto-Submitted', 'X-Auto-Response-Suppress', 'X-Loop',
          'MIME-Version', 'Content-Type')


def decoded(value):
    if value is None:
        return None
    return str(email.header.make_header(email.header.decode_header(value)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('file')
    p.add_argument('--kind', choices=('autoresponse', 'notification'), required=True)
    p.add_argument('--ticket', type=int, required=True)
    p.add_argument('--to', required=True)
    p.add_argument('--irt')
    p.add_argument('--ref')
    p.add_argument('--subject')
    p.add_argument('--phrase', action='append', default=[])
    p.add_argument('--absent', action='append', default=[])
    p.add_argument('--attachment', action='append', default=[])
    a = p.parse_args()
    want_files = [tuple(x.rsplit('=', 1)) for x in a.attachment]

    with open(a.file, 'rb') as f:
        raw = f.read()
    problems = []
    head, sep, _ = raw.partition(b'\r\n\r\n')
    if not sep:
        problems.append('no empty CRLF line after the header')
    names = []
    for line in head.split(b'\r\n'):
        if len(line) > 998:
            problems.append('header line over 998 bytes')
        if any(c > 127 or (c < 32 and c != 9) for c in line):
            problems.append('raw 8-bit or control byte in header line %r' % line[:80])
        if line[:1] in (b' ', b'\t'):
            continue
        m = re.match(rb'^([!-9;-~]+):', line)
        if not m:
            problems.append('not a header line: %r' % line[:80])
            continue
        names.append(m.group(1).decode('ascii').lower())
    if b'\r' in raw.replace(b'\r\n', b'') or b'\n' in raw.replace(b'\r\n', b''):
        problems.append('a bare CR or LF in the message')

    msg = email.message_from_bytes(raw, policy=email.policy.compat32)

    def one(name):
        n = names.count(name.lower())
        if n != 1:
            problems.append('%s appears %d times' % (name, n))
        v = msg[name]
        return ' '.join(v.split()) if v is not None else ''

    def expect(name, ok, value):
        if not ok:
            problems.append('%s: unexpected %r' % (name, value))

    for name in SINGLE:
        one(name)
    if 'bcc' in names:
        problems.append('a Bcc header')
    n = a.ticket
    # r<ticket>-<key version>-<day><mac>: one token per recipient (lib/desk/token.h)
    tok = r'r%d-[1-9][0-9]{0,2}-[a-z2-7]{20}' % n
    v = one('From')
    expect('From', v == '%s <%s>' % (SUPPORT_NAME, SUPPORT), v)
    v = one('To')
    expect('To', v == a.to or v.endswith('<%s>' % a.to), v)
    v = one('Reply-To')
    rt = re.fullmatch(r'%s <support\+(%s)@example\.com>' % (SUPPORT_NAME, tok), v)
    expect('Reply-To', rt, v)
    v = one('Message-ID')
    mi = re.fullmatch(r'<[A-Za-z0-9_-]{22}\.(%s)@example\.com>' % tok, v)
    expect('Message-ID', mi, v)
    # The mail's one token, in both places; the local part within RFC 5321's 64 octets.
    if rt and mi:
        expect('Reply-To', rt.group(1) == mi.group(1) and len('support+' + rt.group(1)) <= 64,
               (rt.group(1), mi.group(1)))
    irt = one('In-Reply-To')
    expect('In-Reply-To', re.fullmatch(r'<[^<>\s]+>', irt), irt)
    if a.irt:
        expect('In-Reply-To', irt == '<%s>' % a.irt, irt)
    refs = one('References').split()
    expect('References', refs and all(re.fullmatch(r'<[^<>\s]+>', r) for r in refs), refs)
    expect('References', irt in refs, refs)
    if a.ref:
        expect('References', '<%s>' % a.ref in refs, refs)
    v = one('Auto-Submitted')
    expect('Auto-Submitted',
           v == ('auto-replied' if a.kind == 'autoresponse' else 'auto-generated'), v)
    v = one('X-Auto-Response-Suppress')
    expect('X-Auto-Response-Suppress', v == 'All', v)
    v = one('X-Loop')
    expect('X-Loop', v == SUPPORT, v)
    v = one('Date')
    try:
        d = email.utils.parsedate_to_datetime(v)
        expect('Date', d.tzinfo is not None, v)
    except (TypeError, ValueError):
        expect('Date', False, v)
    v = one('MIME-Version')
    expect('MIME-Version', v == '1.0', v)
    v = one('Content-Type')
    text = msg
    if want_files:
        expect('Content-Type', msg.get_content_type() == 'multipart/mixed', v)
        parts = msg.get_payload() if msg.is_multipart() else []
        text = parts[0] if parts else msg
        got = []
        for part in parts[1:]:
            data = part.get_payload(decode=True) or b''
            got.append((part.get_filename(), hashlib.sha256(data).hexdigest()))
            cte = (part['Content-Transfer-Encoding'] or '').lower()
            expect('attachment Content-Transfer-Encoding', cte == 'base64', cte)
            lines = part.get_payload().split('\n')
            if any(len(line.rstrip('\r')) > 76 for line in lines):
                problems.append('attachment %r: a base64 line over 76' % part.get_filename())
            if part.get_content_disposition() != 'attachment':
                problems.append('attachment %r: disposition %r'
                                % (part.get_filename(), part.get_content_disposition()))
        if got != want_files:
            problems.append('attachments %r, expected %r' % (got, want_files))
    expect('Content-Type', text.get_content_type() == 'text/plain' and
           (text.get_content_charset() or '').lower() == 'utf-8', text['Content-Type'])
    if not want_files:
        one('Content-Transfer-Encoding')
    v = (text['Content-Transfer-Encoding'] or '').lower()
    expect('Content-Transfer-Encoding', v in ('7bit', '8bit', 'quoted-printable', 'base64'), v)

    subject = decoded(msg['Subject']) or ''
    if '\r' in subject or '\n' in subject:
        problems.append('Subject decodes to a line break: %r' % subject)
    want = '[SUP-%d] ' % n
    expect('Subject', subject.startswith(want), subject)
    if a.subject is not None:
        expect('Subject', subject == want + a.subject, subject)
    body = (text.get_payload(decode=True) or b'').decode('utf-8', 'replace')
    for ph in a.phrase:
        if ph not in body:
            problems.append('body lacks %r' % ph)
    for ph in a.absent:
        if ph in body:
            problems.append('body has %r' % ph)
    for problem in problems:
        print('%s: %s' % (a.file, problem))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
