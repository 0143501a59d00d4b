#!/usr/bin/python3
"""rlb-storm.py: a retransmission storm, for radlb's fault-injection tests.

    rlb-storm.py -k SECRET -n CLIENTS [-i INTERVAL] [-T DEADLINE] [-R RAMP]
                 [-u USER] [-p PASSWORD] [-N NAS_PREFIX] ADDR:PORT

CLIENTS NAS, each a UDP socket of its own (its own source port), send one
Access-Request each (User-Name USER, default "push", User-Password PASSWORD,
default "push-pw", NAS-Identifier NAS_PREFIX<i> (default "storm-"), a
Message-Authenticator), spread over the first RAMP seconds (default 1), and
re-send the very same bytes every INTERVAL seconds (default 1) until an
answer comes or DEADLINE seconds (default 60) have passed since the start.
An answer counts when it is a reply to the request's Identifier with a
valid Response Authenticator; repeated answers are counted apart.

Output, one line on stdout:
  storm: clients N answered A accepted X rejected R unanswered U sent S retransmissions T duplicates D bad B elapsed E s

Exit status 0 when every client got an answer. Standard library only; run
with /usr/bin/python3.
"""

import argparse
import hashlib
import hmac
import os
import resource
import selectors
import socket
import struct
import sys
import time


def hide_password(password, secret, authenticator):
    p = password.encode()
    p += b"\0" * (-len(p) % 16 or (16 if not p else 0))
    out, prev = b"", authenticator
    for i in range(0, len(p), 16):
        b = hashlib.md5(secret + prev).digest()
        c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
        out += c
        prev = c
    return out


def attr(t, v):
    return bytes([t, len(v) + 2]) + v


def access_request(ident, secret, user, password, nas_id):
    ra = os.urandom(16)
    attrs = attr(80, b"\0" * 16) + attr(1, user.encode()) + \
        attr(2, hide_password(password, secret, ra)) + attr(32, nas_id.encode())
    pkt = bytearray(struct.pack("!BBH", 1, ident, 20 + len(attrs)) + ra + attrs)
    pkt[22:38] = hmac.new(secret, bytes(pkt), hashlib.md5).digest()
    return bytes(pkt)


def reply_ok(reply, request, secret):
    if len(reply) < 20 or reply[1] != request[1]:
        return False
    length = struct.unpack("!H", reply[2:4])[0]
    if length < 20 or length > len(reply):
        return False
    reply = reply[:length]
    want = hashlib.md5(reply[:4] + request[4:20] + reply[20:] + secret).digest()
    return hmac.compare_digest(want, reply[4:20])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="secret", required=True)
    ap.add_argument("-n", dest="clients", type=int, required=True)
    ap.add_argument("-i", dest="interval", type=float, default=1.0)
    ap.add_argument("-T", dest="deadline", type=float, default=60.0)
    ap.add_argument("-R", dest="ramp", type=float, default=1.0)
    ap.add_argument("-u", dest="user", default="push")
    ap.add_argument("-p", dest="password", default="push-pw")
    ap.add_argument("-N", dest="nas_prefix", default="storm-")
    ap.add_argument("target")
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    target = (host.strip("[]"), int(port))
    secret = a.secret.encode()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.clients + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard != resource.RLIM_INFINITY else need, hard))

    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    sel = selectors.DefaultSelector()
    socks, pkts = [], []
    for i in range(a.clients):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect(target)
        socks.append(s)
        pkts.append(access_request(i % 256, secret, a.user, a.password, "%s%d" % (a.nas_prefix, i)))
        sel.register(s, selectors.EVENT_READ, i)

    start = time.monotonic()
    first = [start + a.ramp * i / max(a.clients, 1) for i in range(a.clients)]
    nextsend = list(first)
    sends = [0] * a.clients
    answered = [None] * a.clients
    sent = retrans = dups = bad = accepted = rejected = 0
    pending = a.clients
    while pending and time.monotonic() - start < a.deadline:
        now = time.monotonic()
        for i in range(a.clients):
            if answered[i] is None and nextsend[i] <= now:
                try:
                    socks[i].send(pkts[i])
                except OSError:
                    pass
                if sends[i]:
                    retrans += 1
                sends[i] += 1
                sent += 1
                nextsend[i] = now + a.interval
        wake = min((nextsend[i] for i in range(a.clients) if answered[i] is None), default=now + 0.1)
        for key, _ in sel.select(timeout=max(0.0, min(0.05, wake - time.monotonic()))):
            i = key.data
            while True:
                try:
                    data = socks[i].recv(4096)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if not reply_ok(data, pkts[i], secret):
                    bad += 1
                elif answered[i] is not None:
                    dups += 1
                else:
                    answered[i] = data[0]
                    pending -= 1
                    if data[0] == 2:
                        accepted += 1
                    else:
                        rejected += 1
    n_answered = a.clients - pending
    print("storm: clients %d answered %d accepted %d rejected %d unanswered %d sent %d "
          "retransmissions %d duplicates %d bad %d elapsed %.1f s"
          % (a.clients, n_answered, accepted, rejected, pending, sent, retrans, dups, bad,
             time.monotonic() - start))
    sys.stdout.flush()
    return 0 if pending == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
