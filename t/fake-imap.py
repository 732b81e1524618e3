#!/usr/bin/python3
"""A scripted IMAP server that vanishes in the middle of a command.

  fake-imap.py --port-file F --message FILE --cut N [--dir DIR]

It serves one INBOX holding FILE as UID 1.  The first N connections that
fetch the body get only half of the literal, then the connection closes
(a server dying mid-command); later connections get the whole message
and may STORE flags.  Every connection and command is logged to DIR/log.
Just enough IMAP4rev1 for libetpan; stdlib only.
"""
import argparse
import os
import re
import socket
import threading

p = argparse.ArgumentParser()
p.add_argument('--port-file', required=True)
p.add_argument('--message', required=True)
p.add_argument('--cut', type=int, default=1)
p.add_argument('--dir', default='.')
a = p.parse_args()
msg = open(a.message, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
state = {'cuts': a.cut, 'conn': 0, 'flags': ''}
lock = threading.Lock()
logf = open(os.path.join(a.dir, 'log'), 'a', buffering=1)


def log(line):
    with lock:
        logf.write(line + '\n')


def serve(conn, n):
    f = conn.makefile('rb')

    def send(data):
        conn.sendall(data if isinstance(data, bytes) else data.encode())

    log('%d connect' % n)
    send('* OK [CAPABILITY IMAP4rev1 UIDPLUS] fake ready\r\n')
    while True:
        line = f.readline()
        if not line:
            break
        text = line.decode(errors='replace').rstrip('\r\n')
        log('%d C: %s' % (n, text))
        parts = text.split(' ', 2)
        if len(parts) < 2:
            continue
        tag, cmd = parts[0], parts[1].upper()
        rest = parts[2] if len(parts) > 2 else ''
        if cmd == 'CAPABILITY':
            send('* CAPABILITY IMAP4rev1 UIDPLUS\r\n%s OK done\r\n' % tag)
        elif cmd == 'LOGIN':
            send('%s OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in\r\n' % tag)
        elif cmd in ('SELECT', 'EXAMINE'):
            send('* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 77] ok\r\n'
                 '* OK [UIDNEXT 2] ok\r\n* FLAGS (\\Seen \\Deleted)\r\n'
                 '%s OK [READ-WRITE] selected\r\n' % tag)
        elif cmd == 'UID' and rest.upper().startswith('FETCH'):
            if 'BODY' in rest.upper():
                with lock:
                    cut = state['cuts'] > 0
                    if cut:
                        state['cuts'] -= 1
                if cut:
                    send(b'* 1 FETCH (UID 1 BODY[] {%d}\r\n' % len(msg) + msg[:len(msg) // 2])
                    log('%d S: cut the literal at %d of %d bytes' % (n, len(msg) // 2, len(msg)))
                    break
                send(b'* 1 FETCH (UID 1 BODY[] {%d}\r\n' % len(msg) + msg + b')\r\n')
            else:
                send('* 1 FETCH (UID 1 RFC822.SIZE %d)\r\n' % len(msg))
            send('%s OK fetched\r\n' % tag)
        elif cmd == 'UID' and rest.upper().startswith('STORE'):
            m = re.search(r'\((.*)\)', rest)
            with lock:
                state['flags'] = m.group(1) if m else rest
            log('%d flags %s' % (n, state['flags']))
            send('%s OK stored\r\n' % tag)
        elif cmd in ('NOOP', 'CREATE', 'EXPUNGE') or (cmd == 'UID' and 'EXPUNGE' in rest.upper()):
            send('%s OK done\r\n' % tag)
        elif cmd == 'LOGOUT':
            send('* BYE bye\r\n%s OK bye\r\n' % tag)
            break
        else:
            send('%s BAD unknown\r\n' % tag)
    log('%d disconnect' % n)
    f.close()
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(8)
with open(a.port_file + '.tmp', 'w') as pf:
    pf.write(str(s.getsockname()[1]))
os.rename(a.port_file + '.tmp', a.port_file)
while True:
    c, _ = s.accept()
    state['conn'] += 1
    threading.Thread(target=serve, args=(c, state['conn']), daemon=True).start()
