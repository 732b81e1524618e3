#!/usr/bin/python3
"""A TCP proxy in front of the test Dovecot that lands mail at the worst moment.

  imap-race-proxy.py --port-file F --upstream PORT --trigger REGEX
                     --append FILE [--folder F] [--user U] [--password P]
                     [--dir DIR]

Bytes go through unchanged both ways.  The first client line that
matches REGEX (say 'UID STORE') is held back while FILE is APPENDed to
FOLDER (default INBOX) over a connection of our own; then the line goes
on.  The server thus announces the new mail (* N EXISTS) in its answer
to that command, before its tagged OK: a client that then enters IDLE
without looking at what it was told hears nothing more of that mail
until it polls again.
Each client line, and the APPEND, are logged to DIR/log.  Stdlib only.
"""
import argparse
import imaplib
import os
import re
import socket
import threading

from listen import listen

p = argparse.ArgumentParser()
p.add_argument('--port-file', required=True)
p.add_argument('--upstream', type=int, required=True)
p.add_argument('--trigger', required=True)
p.add_argument('--append', required=True)
p.add_argument('--folder', default='INBOX')
p.add_argument('--user', default='support')
p.add_argument('--password', default='secret')
p.add_argument('--dir', default='.')
a = p.parse_args()
trigger = re.compile(a.trigger.encode(), re.IGNORECASE)
state = {'fired': False}
lock = threading.Lock()
logf = open(os.path.join(a.dir, 'log'), 'a', buffering=1)


def log(line):
    with lock:
        logf.write(line + '\n')


def land_mail():
    with open(a.append, 'rb') as f:
        data = f.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    imap = imaplib.IMAP4('127.0.0.1', a.upstream)
    imap.login(a.user, a.password)
    imap.append(a.folder, None, None, data)
    imap.logout()
    log('appended %s' % os.path.basename(a.append))


def client_to_server(client, server):
    f = client.makefile('rb')
    for line in f:
        log('C: %s' % line.decode(errors='replace').rstrip('\r\n'))
        with lock:
            fire = not state['fired'] and trigger.search(line) is not None
            if fire:
                state['fired'] = True
        if fire:
            land_mail()
        server.sendall(line)
    server.shutdown(socket.SHUT_WR)


def server_to_client(server, client):
    while True:
        data = server.recv(65536)
        if not data:
            break
        client.sendall(data)
    try:
        client.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(client):
    server = socket.create_connection(('127.0.0.1', a.upstream))
    t = threading.Thread(target=server_to_client, args=(server, client), daemon=True)
    t.start()
    try:
        client_to_server(client, server)
    except OSError:
        pass
    t.join()
    client.close()
    server.close()


s = listen(a.port_file)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
