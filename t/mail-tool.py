#!/usr/bin/python3
"""Read and write test mail (stdlib only; run with /usr/bin/python3).

  mail-tool.py header FILE NAME       the decoded header (empty when absent)
  mail-tool.py rawheader FILE NAME    the raw header as received (unfolded)
  mail-tool.py headers FILE           the header names, one a line
  mail-tool.py body FILE              the decoded text body
  mail-tool.py reply FILE --from ADDR [--subject S] [--body TEXT]
                [--msgid ID] [--no-threading] [--to ADDR] [--cc ADDR]
                                      a reply to FILE on stdout
  mail-tool.py new --from ADDR --subject S --body TEXT [--msgid ID] [--cc ADDR]
                [--header 'Name: value']... [--charset CS]
                                      --charset (reply too): the body's and
                                      subject's charset, default utf-8
                                      (iso-2022-jp, shift_jis, gb2312 …)
"""
import argparse
import email
import email.header
import email.policy
import email.utils
import sys


def load(path):
    with open(path, 'rb') as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def decoded(value):
    if value is None:
        return ''
    return str(email.header.make_header(email.header.decode_header(value)))


def text_body(msg):
    for part in msg.walk():
        if part.get_content_type() == 'text/plain':
            data = part.get_payload(decode=True) or b''
            return data.decode(part.get_content_charset() or 'utf-8', 'replace')
    return ''


def address_header(value):
    """Addresses with display names in any script, each name encoded alone."""
    pairs = email.utils.getaddresses([value])
    return ', '.join(email.utils.formataddr(p, charset='utf-8') for p in pairs)


def build(args, subject, in_reply_to=None, references=None):
    from email.mime.text import MIMEText
    charset = getattr(args, 'charset', None) or 'utf-8'
    msg = MIMEText(args.body, 'plain', charset)
    msg['From'] = address_header(args.sender)
    msg['To'] = address_header(args.to)
    if args.cc:
        msg['Cc'] = address_header(args.cc)
    msg['Subject'] = email.header.Header(subject, charset).encode()
    msg['Message-ID'] = '<%s>' % (args.msgid or email.utils.make_msgid()[1:-1])
    msg['Date'] = email.utils.formatdate()
    if in_reply_to:
        msg['In-Reply-To'] = in_reply_to
    if references:
        msg['References'] = references
    for h in getattr(args, 'header', None) or []:
        name, value = h.split(':', 1)
        msg[name.strip()] = value.strip()
    sys.stdout.write(msg.as_string().replace('\n', '\r\n'))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    h = sub.add_parser('header')
    h.add_argument('file')
    h.add_argument('name')
    r = sub.add_parser('rawheader')
    r.add_argument('file')
    r.add_argument('name')
    hs = sub.add_parser('headers')
    hs.add_argument('file')
    b = sub.add_parser('body')
    b.add_argument('file')
    for name in ('reply', 'new'):
        s = sub.add_parser(name)
        if name == 'reply':
            s.add_argument('file')
            s.add_argument('--no-threading', action='store_true')
        s.add_argument('--from', dest='sender', required=True)
        s.add_argument('--to', default='support@example.com')
        s.add_argument('--cc')
        s.add_argument('--subject')
        s.add_argument('--body', default='Thanks, more details below.\n')
        s.add_argument('--msgid')
        s.add_argument('--header', action='append')
        s.add_argument('--charset')
    a = p.parse_args()
    if a.cmd == 'header':
        print(decoded(load(a.file)[a.name]))
    elif a.cmd == 'rawheader':
        v = load(a.file)[a.name]
        print('' if v is None else ' '.join(v.split()))
    elif a.cmd == 'headers':
        for k in load(a.file).keys():
            print(k)
    elif a.cmd == 'body':
        sys.stdout.write(text_body(load(a.file)))
    elif a.cmd == 'new':
        build(a, a.subject)
    else:
        orig = load(a.file)
        subject = a.subject if a.subject is not None else 'Re: ' + decoded(orig['Subject'])
        if a.no_threading:
            build(a, subject)
        else:
            mid = orig['Message-ID']
            refs = ((orig['References'] or '') + ' ' + (mid or '')).strip()
            build(a, subject, mid, refs)


if __name__ == '__main__':
    main()
