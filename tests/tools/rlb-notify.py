#!/usr/bin/env python3
"""rlb-notify.py SOCKET LOG: a stand-in for systemd's $NOTIFY_SOCKET. Binds
a unix datagram socket at SOCKET and appends every message sd_notify(3)
sends to LOG, one line each (its newlines as ' | '), until killed."""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, 'a', buffering=1) as out:
    out.write('listening\n')
    while True:
        msg = s.recv(4096).decode('utf-8', 'replace')
        out.write(msg.strip().replace('\n', ' | ') + '\n')
