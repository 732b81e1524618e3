#!/usr/bin/python3
"""hostile-mail.py KIND: one hostile message on stdout (t/t7005-hostile.sh).

  oversize      1.5 MiB of text (the test's max_message_size is 1M)
  subject2m     a 300 KB Subject before the Message-ID (header block limit)
  headers       30,000 short header fields (header block limit)
  deep          multiparts nested 10,000 deep (MIME_MAX_DEPTH)
  parts         1,500 parts in one multipart (MIME_MAX_PARTS)
  longline      one 100 KB line (MIME_MAX_LINE)
  nul           a NUL in the middle of the text
  badutf8       invalid UTF-8 labelled utf-8, in the subject and the text
  b64bomb       base64 inside base64 inside message/rfc822, 12 levels
  qpbomb        600 KB of quoted-printable =00 and soft breaks
  noclose       a multipart whose closing boundary never comes
  german        a German mail over the size limit (the notice in German)
"""
import base64
import sys

FROM = 'From: Mallory <mallory@acme.example>\r\nTo: support@example.com\r\n'


def head(subject, msgid, extra=''):
    return (FROM + 'Subject: %s\r\nMessage-ID: <%s@acme.example>\r\nDate: Thu, 26 Nov 2026 '
            '10:00:00 +0000\r\nMIME-Version: 1.0\r\n%s' % (subject, msgid, extra))


def main(kind):
    out = sys.stdout.buffer
    if kind == 'oversize':
        body = ('Lots of log lines. ' * 4 + '\r\n') * 20000
        out.write((head('Huge logs', kind) + 'Content-Type: text/plain\r\n\r\n' + body).encode())
    elif kind == 'german':
        body = ('Sehr viele Protokollzeilen und Fehlermeldungen. ' + '\r\n') * 32000
        out.write((head('Riesige Protokolle', kind) +
                   'Content-Type: text/plain; charset=utf-8\r\n\r\n'
                   'Guten Tag, anbei die Protokolle der Anwendung, die nicht startet.\r\n' +
                   body).encode())
    elif kind == 'subject2m':
        out.write((FROM + 'Subject: ' + 'A' * 300000 + '\r\nMessage-ID: <subject2m@acme.example>\r\n'
                   'Content-Type: text/plain\r\n\r\nHello.\r\n').encode())
    elif kind == 'headers':
        hs = ''.join('X-Filler-%d: %d\r\n' % (i, i) for i in range(30000))
        out.write((head('Many headers', kind) + hs + 'Content-Type: text/plain\r\n\r\nHi.\r\n').encode())
    elif kind == 'deep':
        depth = 10000
        s = head('Deep', kind) + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        for i in range(1, depth):
            s += '--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i - 1, i)
        s += '--b%d\r\nContent-Type: text/plain\r\n\r\nThe real question is here.\r\n' % (depth - 1)
        for i in range(depth - 1, -1, -1):
            s += '--b%d--\r\n' % i
        out.write(s.encode())
    elif kind == 'parts':
        s = head('Parts', kind) + 'Content-Type: multipart/mixed; boundary="p"\r\n\r\n'
        for i in range(1500):
            s += '--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n' % i
        out.write((s + '--p--\r\n').encode())
    elif kind == 'longline':
        out.write((head('Long line', kind) + 'Content-Type: text/plain\r\n\r\n' + 'x' * 100000 +
                   '\r\n').encode())
    elif kind == 'nul':
        out.write((head('Nul in the text', kind) + 'Content-Type: text/plain\r\n\r\n').encode() +
                  b'before the nul\x00after the nul, still read\r\n')
    elif kind == 'badutf8':
        out.write((FROM + 'Message-ID: <badutf8@acme.example>\r\n').encode() +
                  b'Subject: broken \xff\xfe bytes\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
                  b'bad \xc3\x28 sequence \xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80 long\r\n')
    elif kind == 'b64bomb':
        inner = (head('Level 0', 'b64-0') + 'Content-Type: text/plain\r\n\r\n' +
                 'zero ' * 1000 + '\r\n').encode()
        for level in range(1, 13):
            enc = base64.encodebytes(inner).replace(b'\n', b'\r\n')
            inner = (head('Level %d' % level, 'b64-%d' % level) +
                     'Content-Type: multipart/mixed; boundary="L%d"\r\n\r\n--L%d\r\n'
                     'Content-Type: text/plain\r\n\r\nsee attached\r\n--L%d\r\n'
                     'Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                     % (level, level, level)).encode() + enc + ('\r\n--L%d--\r\n' % level).encode()
        out.write(inner)
    elif kind == 'qpbomb':
        line = '=00' * 24 + '=\r\n'
        out.write((head('QP bomb', kind) + 'Content-Type: text/plain\r\n'
                   'Content-Transfer-Encoding: quoted-printable\r\n\r\nStart.=\r\n' +
                   line * 8000 + 'End.\r\n').encode())
    elif kind == 'noclose':
        out.write((head('No closing boundary', kind) +
                   'Content-Type: multipart/mixed; boundary="never"\r\n\r\n--never\r\n'
                   'Content-Type: text/plain\r\n\r\nThe question, in a part that never closes.\r\n'
                   '--never\r\nContent-Type: text/plain\r\n\r\nA second part.\r\n').encode())
    else:
        sys.exit('hostile-mail: unknown kind ' + kind)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
