#!/usr/bin/python3
"""rlb-flood.py: a flood of datagrams radlb must drop, for its
fault-injection tests.

    rlb-flood.py -m MODE -n COUNT [-k SECRET] [-s SRC] [-a ADDRESSES] [-r RATE] ADDR:PORT

MODE:
  unknown   Access-Requests from ADDRESSES source addresses (default 1000)
            counted up from SRC (default 127.1.0.1): 127.1.0.1, 127.1.0.2,
            ... (all of 127.0.0.0/8 is local), none of them a client; each
            one well formed and signed with SECRET
  bad-ma    Access-Requests from SRC (a configured client) whose
            Message-Authenticator is computed with a wrong secret
  bad-acct  Accounting-Requests from SRC whose Request Authenticator is
            wrong

COUNT datagrams in all, every one different (Identifier and authenticator
vary), as fast as the sockets take them or at most RATE per second. Output,
one line on stdout: "flood: sent N in S s (R per s)".

Standard library only; run with /usr/bin/python3.
"""

import argparse
import hashlib
import hmac
import ipaddress
import os
import resource
import socket
import struct
import sys
import time


def attr(t, v):
    return bytes([t, len(v) + 2]) + v


def build(mode, ident, secret):
    ra = os.urandom(16)
    if mode == "bad-acct":
        attrs = attr(40, struct.pack("!I", 1)) + attr(44, b"flood-%d" % ident) + attr(1, b"flood")
        # a random Request Authenticator: not MD5(packet + secret)
        return struct.pack("!BBH", 4, ident & 255, 20 + len(attrs)) + ra + attrs
    attrs = attr(80, b"\0" * 16) + attr(1, b"flood-user") + attr(32, b"flood")
    pkt = bytearray(struct.pack("!BBH", 1, ident & 255, 20 + len(attrs)) + ra + attrs)
    key = secret if mode == "unknown" else b"not-the-secret-" + secret
    pkt[22:38] = hmac.new(key, bytes(pkt), hashlib.md5).digest()
    return bytes(pkt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", dest="mode", choices=("unknown", "bad-ma", "bad-acct"), required=True)
    ap.add_argument("-n", dest="count", type=int, required=True)
    ap.add_argument("-k", dest="secret", default="flood-secret")
    ap.add_argument("-s", dest="src", default="")
    ap.add_argument("-a", dest="addresses", type=int, default=1000)
    ap.add_argument("-r", dest="rate", type=float, default=0.0)
    ap.add_argument("target")
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    target = (host, int(port))
    secret = a.secret.encode()

    if a.mode == "unknown":
        base = ipaddress.IPv4Address(a.src or "127.1.0.1")
        sources = [str(base + i) for i in range(a.addresses)]
    else:
        sources = [a.src or "127.0.0.1"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < len(sources) + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(len(sources) + 64, hard), hard))
    socks = []
    for src in sources:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.connect(target)
        socks.append(s)
    pool = [build(a.mode, i, secret) for i in range(4096)]

    start = time.monotonic()
    sent = 0
    ns, npool = len(socks), len(pool)
    # paced: about 100 batches a second, so that a slow rate does not
    # arrive as bursts of 256 a receive buffer may not hold
    batch = 256 if a.rate <= 0 else max(1, min(256, int(a.rate / 100)))
    while sent < a.count:
        n = min(batch, a.count - sent)
        for j in range(sent, sent + n):
            try:
                socks[j % ns].send(pool[j % npool])
            except OSError:
                pass                # a refused port (ICMP) or a full buffer: like the network
        sent += n
        if a.rate > 0:
            ahead = sent / a.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    elapsed = time.monotonic() - start
    print("flood: sent %d in %.2f s (%d per s)" % (sent, elapsed, sent / elapsed if elapsed > 0 else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
