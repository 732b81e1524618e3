#!/usr/bin/python3
"""fake-smtp.py: a scripted, misbehaving SMTP server for fault tests.

    fake-smtp.py --port N --dir DIR [--codes 451,421,250] [--rcpt-codes 550,250]
                 [--mail-codes 530,250] [--greeting 554] [--delay-data SECS]
                 [--hang | --hang-after-data | --close-after-connect]

--codes SEQ       replies to the end of DATA, one per transaction, in order;
                  250 for every transaction after the list ends. A 421 reply
                  closes the connection, as a real server does.
--rcpt-codes SEQ  the same for RCPT TO commands, one per command.
--mail-codes SEQ  the same for MAIL FROM commands, one per command.
--greeting CODE   the greeting code (default 220); a 4xx/5xx greeting is
                  followed by closing the connection.
--hang            accept connections and never say anything.
--hang-after-data read the message, never answer the final dot.
--delay-data SECS wait SECS before answering the final dot (the mail is
                  read, logged as "data N bytes", then answered).
--close-after-connect  accept and close at once, without a greeting.

Every connection is served by its own thread. DIR/log gets one line per
event, "CONN EVENT", where CONN numbers connections from 1 and EVENT is
"connect", "C: <command>" (client), "S: <reply line>" (server),
"data <N> bytes" or "disconnect". Accepted messages (2xx after DATA) are
saved like the sink does: DIR/NNNNNN.eml (raw, dot-unstuffed) and .env.
--port 0 picks a free port; the port is written to DIR/port once listening.
Standard library only.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

MAX_LINE = 1 << 20


class Script:
    """A reply list consumed one entry per use, then 250 forever."""

    def __init__(self, spec):
        self.codes = [int(c) for c in spec.split(',') if c.strip()] if spec else []
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return self.codes.pop(0) if self.codes else 250


TEXT = {
    250: '2.0.0 OK', 251: '2.1.5 OK', 421: '4.4.2 fake-smtp closing connection',
    450: '4.2.0 mailbox busy', 451: '4.3.0 temporary failure, try again later',
    452: '4.3.1 insufficient system storage', 550: '5.1.1 no such user',
    552: '5.3.4 message too big', 553: '5.1.3 bad address',
    554: '5.7.1 transaction failed',
}


class Server:
    def __init__(self, args):
        self.args = args
        self.dir = args.dir
        self.data_codes = Script(args.codes)
        self.rcpt_codes = Script(args.rcpt_codes)
        self.mail_codes = Script(args.mail_codes)
        self.lock = threading.Lock()
        self.conn_seq = 0
        self.msg_seq = 0
        self.logf = open(os.path.join(self.dir, 'log'), 'a', buffering=1,
                         encoding='utf-8', errors='backslashreplace')

    def log(self, conn, event):
        with self.lock:
            self.logf.write('%d %s\n' % (conn, event))

    def save(self, mail_from, rcpts, data):
        with self.lock:
            self.msg_seq += 1
            base = os.path.join(self.dir, '%06d' % self.msg_seq)
        env = 'MAIL FROM:<%s>\n' % mail_from
        env += ''.join('RCPT TO:<%s>\n' % r for r in rcpts)
        for path, content in ((base + '.env', env.encode('utf-8', 'surrogateescape')),
                              (base + '.eml', data)):
            with open(path + '.tmp', 'wb') as f:
                f.write(content)
            os.replace(path + '.tmp', path)
        return os.path.basename(base)

    def serve(self, sock):
        with self.lock:
            self.conn_seq += 1
            conn = self.conn_seq
        self.log(conn, 'connect')
        try:
            Session(self, sock, conn).run()
        except OSError as e:
            self.log(conn, 'error %s' % e)
        finally:
            try:
                sock.close()
            except OSError:
                pass
            self.log(conn, 'disconnect')


def strip_address(arg):
    """'FROM:<a@b> SIZE=12' -> 'a@b'."""
    arg = arg.split(':', 1)[1].strip() if ':' in arg else arg
    if arg.startswith('<'):
        return arg[1:arg.find('>')] if '>' in arg else arg[1:]
    return arg.split(' ', 1)[0]


class Session:
    def __init__(self, server, sock, conn):
        self.srv = server
        self.sock = sock
        self.conn = conn
        self.rfile = sock.makefile('rb')
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def reply(self, code, text=None, more=()):
        """Send a (possibly multi-line) reply; more = earlier lines."""
        lines = ['%d-%s' % (code, t) for t in more]
        lines.append('%d %s' % (code, text or TEXT.get(code, 'fake-smtp says %d' % code)))
        for line in lines:
            self.srv.log(self.conn, 'S: ' + line)
        self.sock.sendall(''.join(l + '\r\n' for l in lines).encode())

    def readline(self):
        line = self.rfile.readline(MAX_LINE)
        return line if line else None

    def wait_for_close(self):
        """Say nothing; read and drop until the client gives up."""
        while self.sock.recv(65536):
            pass

    def run(self):
        args = self.srv.args
        if args.close_after_connect:
            return
        if args.hang:
            self.wait_for_close()
            return
        if args.greeting != 220:
            self.reply(args.greeting, 'fake-smtp not available')
            if args.greeting >= 400:
                return
        else:
            self.reply(220, 'fake-smtp ESMTP ready')
        while True:
            raw = self.readline()
            if raw is None:
                return
            line = raw.decode('utf-8', 'surrogateescape').rstrip('\r\n')
            self.srv.log(self.conn, 'C: ' + line)
            verb, _, arg = line.partition(' ')
            verb = verb.upper()
            if verb == 'EHLO':
                self.reset()
                self.reply(250, '8BITMIME', more=('fake-smtp', 'SIZE 52428800'))
            elif verb == 'HELO':
                self.reset()
                self.reply(250, 'fake-smtp')
            elif verb == 'MAIL':
                self.reset()
                code = self.srv.mail_codes.next()
                if 200 <= code < 300:
                    self.mail_from = strip_address(arg)
                self.reply(code)
                if code == 421:
                    return
            elif verb == 'RCPT':
                if self.mail_from is None:
                    self.reply(503, '5.5.1 MAIL first')
                    continue
                code = self.srv.rcpt_codes.next()
                if 200 <= code < 300:
                    self.rcpts.append(strip_address(arg))
                self.reply(code)
                if code == 421:
                    return
            elif verb == 'DATA':
                if self.mail_from is None:
                    self.reply(503, '5.5.1 MAIL first')
                    continue
                if not self.rcpts:
                    self.reply(554, '5.5.1 no valid recipients')
                    continue
                if not self.data():
                    return
            elif verb == 'RSET':
                self.reset()
                self.reply(250)
            elif verb == 'NOOP':
                self.reply(250)
            elif verb == 'QUIT':
                self.reply(221, '2.0.0 bye')
                return
            elif verb == 'VRFY':
                self.reply(252, '2.5.2 cannot verify')
            else:
                self.reply(500, '5.5.2 command not recognized')

    def data(self):
        """The DATA phase; returns False when the connection must end."""
        self.reply(354, 'end data with <CR><LF>.<CR><LF>')
        chunks = []
        while True:
            raw = self.readline()
            if raw is None:
                return False
            if raw in (b'.\r\n', b'.\n'):
                break
            if raw.startswith(b'.'):
                raw = raw[1:]
            chunks.append(raw)
        data = b''.join(chunks)
        self.srv.log(self.conn, 'data %d bytes' % len(data))
        if self.srv.args.hang_after_data:
            self.wait_for_close()
            return False
        if self.srv.args.delay_data > 0:
            time.sleep(self.srv.args.delay_data)
        code = self.srv.data_codes.next()
        if 200 <= code < 300:
            name = self.srv.save(self.mail_from, self.rcpts, data)
            self.reply(code, '2.0.0 OK queued as %s' % name)
        else:
            self.reply(code)
        self.reset()
        return code != 421


def main():
    p = argparse.ArgumentParser(description='scripted SMTP server for fault tests')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--codes', default='')
    p.add_argument('--rcpt-codes', default='')
    p.add_argument('--mail-codes', default='')
    p.add_argument('--greeting', type=int, default=220)
    p.add_argument('--delay-data', type=float, default=0)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument('--hang', action='store_true')
    mode.add_argument('--hang-after-data', action='store_true')
    mode.add_argument('--close-after-connect', action='store_true')
    args = p.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    server = Server(args)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    portfile = os.path.join(args.dir, 'port')
    with open(portfile + '.tmp', 'w') as f:
        f.write('%d\n' % port)
    os.replace(portfile + '.tmp', portfile)

    # SIGTERM ends the accept loop; daemon threads die with the process.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            sock, _ = lsock.accept()
            threading.Thread(target=server.serve, args=(sock,), daemon=True).start()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
