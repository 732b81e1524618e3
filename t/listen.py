"""Loopback listeners for the scripted test servers (stdlib only).

The harness waits for the port file to appear, so it is written whole:
to a temporary name first, then renamed.
"""
import os
import socket


def publish_port(port_file, port):
    with open(port_file + '.tmp', 'w') as pf:
        pf.write(str(port))
    os.rename(port_file + '.tmp', port_file)


def listen(port_file, backlog=8):
    """A TCP socket listening on a free loopback port, written to port_file."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(backlog)
    publish_port(port_file, s.getsockname()[1])
    return s
