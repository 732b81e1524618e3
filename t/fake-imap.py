#!/usr/bin/python3
"""A scripted IMAP server that misbehaves in the middle of a command.

  fake-imap.py --port-file F --message FILE [--cut N] [--stall N]
               [--oversize N] [--listed-size BYTES] [--dir DIR]

It serves one INBOX holding FILE as UID 1.  The first body fetches
misbehave, in this order of the options:
  --cut N       N fetches get half of the literal, then the connection
                closes (a server dying mid-command);
  --stall N     N fetches get half of the literal, then nothing more,
                the connection kept open (a hung server);
  --oversize N  N fetches get a literal that claims 70,000,000 bytes
                (more than any client should take), then nothing more.
Later fetches get the whole message.  --listed-size makes RFC822.SIZE
say BYTES instead of the true size.  BODY.PEEK[HEADER]<0.N> gets the
header section (at most N bytes); UID STORE, UID MOVE and UID COPY are
logged ("flags ...", "moved 1 to FOLDER").  Every connection and command
is logged to DIR/log.  Just enough IMAP4rev1 for libetpan; stdlib only.
"""
import argparse
import os
import re
import socket
import threading

from listen import listen

p = argparse.ArgumentParser()
p.add_argument('--port-file', required=True)
p.add_argument('--message', required=True)
p.add_argument('--cut', type=int, default=0)
p.add_argument('--stall', type=int, default=0)
p.add_argument('--oversize', type=int, default=0)
p.add_argument('--listed-size', type=int, default=0)
p.add_argument('--dir', default='.')
a = p.parse_args()
msg = open(a.message, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
header = msg[:msg.find(b'\r\n\r\n') + 4] if b'\r\n\r\n' in msg else msg
state = {'cut': a.cut, 'stall': a.stall, 'oversize': a.oversize, 'conn': 0, 'flags': '',
         'moved': None}
lock = threading.Lock()
logf = open(os.path.join(a.dir, 'log'), 'a', buffering=1)
CAPS = 'IMAP4rev1 UIDPLUS MOVE'


def log(line):
    with lock:
        logf.write(line + '\n')


def misbehaviour():
    """Which trick the next body fetch gets, if any (each counted down)."""
    with lock:
        for trick in ('cut', 'stall', 'oversize'):
            if state[trick] > 0:
                state[trick] -= 1
                return trick
    return None


def serve(conn, n):
    f = conn.makefile('rb')

    def send(data):
        conn.sendall(data if isinstance(data, bytes) else data.encode())

    log('%d connect' % n)
    send('* OK [CAPABILITY %s] fake ready\r\n' % CAPS)
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
        up = rest.upper()
        if cmd == 'CAPABILITY':
            send('* CAPABILITY %s\r\n%s OK done\r\n' % (CAPS, tag))
        elif cmd == 'LOGIN':
            send('%s OK [CAPABILITY %s] logged in\r\n' % (tag, CAPS))
        elif cmd in ('SELECT', 'EXAMINE'):
            exists = 0 if state['moved'] else 1
            send('* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 77] ok\r\n'
                 '* OK [UIDNEXT 2] ok\r\n* FLAGS (\\Seen \\Deleted)\r\n'
                 '%s OK [READ-WRITE] selected\r\n' % (exists, tag))
        elif cmd == 'UID' and up.startswith('FETCH'):
            if state['moved']:
                send('%s OK fetched\r\n' % tag)
            elif 'BODY.PEEK[HEADER]' in up:
                m = re.search(r'<0\.(\d+)>', rest)
                h = header[:int(m.group(1))] if m else header
                send(b'* 1 FETCH (UID 1 BODY[HEADER]<0> {%d}\r\n' % len(h) + h + b')\r\n')
                log('%d S: header section, %d bytes' % (n, len(h)))
                send('%s OK fetched\r\n' % tag)
            elif 'BODY' in up:
                trick = misbehaviour()
                if trick == 'cut':
                    send(b'* 1 FETCH (UID 1 BODY[] {%d}\r\n' % len(msg) + msg[:len(msg) // 2])
                    log('%d S: cut the literal at %d of %d bytes' % (n, len(msg) // 2, len(msg)))
                    break
                if trick in ('stall', 'oversize'):
                    if trick == 'stall':
                        send(b'* 1 FETCH (UID 1 BODY[] {%d}\r\n' % len(msg) + msg[:len(msg) // 2])
                        log('%d S: stalled after %d of %d bytes' % (n, len(msg) // 2, len(msg)))
                    else:
                        send(b'* 1 FETCH (UID 1 BODY[] {70000000}\r\n' + msg[:64])
                        log('%d S: claimed a 70000000-byte literal' % n)
                    # Keep the connection, say nothing more, until the client leaves.
                    while conn.recv(65536):
                        pass
                    break
                send(b'* 1 FETCH (UID 1 BODY[] {%d}\r\n' % len(msg) + msg + b')\r\n')
                send('%s OK fetched\r\n' % tag)
            else:
                size = a.listed_size or len(msg)
                send('* 1 FETCH (UID 1 RFC822.SIZE %d)\r\n' % size)
                send('%s OK fetched\r\n' % tag)
        elif cmd == 'UID' and up.startswith('STORE'):
            m = re.search(r'\((.*)\)', rest)
            with lock:
                state['flags'] = m.group(1) if m else rest
            log('%d flags %s' % (n, state['flags']))
            send('%s OK stored\r\n' % tag)
        elif cmd == 'UID' and (up.startswith('MOVE') or up.startswith('COPY')):
            folder = rest.split(' ', 2)[-1].strip('"')
            if up.startswith('MOVE'):
                state['moved'] = folder
            log('%d moved 1 to %s' % (n, folder))
            send('%s OK done\r\n' % tag)
        elif cmd in ('NOOP', 'CREATE', 'EXPUNGE') or (cmd == 'UID' and 'EXPUNGE' in up):
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


s = listen(a.port_file)
while True:
    c, _ = s.accept()
    state['conn'] += 1
    threading.Thread(target=serve, args=(c, state['conn']), daemon=True).start()
