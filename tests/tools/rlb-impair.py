#!/usr/bin/python3
"""rlb-impair.py: a UDP relay that loses and delays datagrams, for radlb's
fault-injection tests.

The kernels radlb's tests run on have no sch_netem (tc qdisc ... netem says
"Specified qdisc kind is unknown") and no iptables; this relay stands in
for it between radlb and one server.

    rlb-impair.py [--loss-up P] [--loss-down P] [--delay-up S] [--delay-down S]
                  [--seed N] [--stats FILE] LISTEN_ADDR:PORT=TARGET_ADDR:PORT [...]

Each LISTEN=TARGET pair is one relay: a datagram that reaches LISTEN from a
peer (radlb) goes to TARGET from a socket of its own for that peer (so the
server sees one source port per radlb socket, as without the relay, and its
duplicate detection works the same); what TARGET answers on that socket goes
back to the peer from LISTEN. "Up" is toward TARGET, "down" back toward the
peer. In each direction a datagram is dropped with probability P (0-1;
random.Random(seed), one generator per direction, so a given sequence of
datagrams loses the same ones on every run), and the others are delayed by
S seconds (order kept).

Signals: SIGUSR1 lifts the impairment (no loss, no delay) and SIGUSR2 puts
it back; SIGTERM and SIGINT stop the relay.

FILE (JSON, rewritten atomically every 0.1 s when something changed, and
once as soon as every socket is bound, so a test can wait for it):
  {"impaired": true, "up": {"received": N, "dropped": N, "delayed": N,
   "sent": N}, "down": {...}, "peers": N}

Standard library only; run with /usr/bin/python3.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys


def parse_addr(text):
    host, _, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("bad address %r (ADDR:PORT)" % text)
    return host, int(port)


def parse_pair(text):
    left, sep, right = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected LISTEN_ADDR:PORT=TARGET_ADDR:PORT, got %r" % text)
    return parse_addr(left), parse_addr(right)


class Direction:
    def __init__(self, loss, delay, seed):
        self.loss = loss
        self.delay = delay
        self.rng = random.Random(seed)
        self.received = self.dropped = self.delayed = self.sent = 0

    def as_dict(self):
        return {"received": self.received, "dropped": self.dropped,
                "delayed": self.delayed, "sent": self.sent}


class Relay:
    def __init__(self, args):
        self.args = args
        self.impaired = True
        self.up = Direction(args.loss_up, args.delay_up, args.seed)
        self.down = Direction(args.loss_down, args.delay_down, args.seed + 1)
        self.peers = {}            # (listen index, peer address) -> upstream transport
        self.listeners = []
        self.dirty = True

    def stats(self):
        return {"impaired": self.impaired, "up": self.up.as_dict(),
                "down": self.down.as_dict(), "peers": len(self.peers)}

    def write_stats(self):
        if not self.args.stats:
            return
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats(), f)
            f.write("\n")
        os.replace(tmp, self.args.stats)
        self.dirty = False

    def forward(self, d, send, data):
        """Counts, maybe drops, maybe delays, then calls send(data)."""
        loop = asyncio.get_running_loop()
        d.received += 1
        self.dirty = True
        if self.impaired and d.loss > 0 and d.rng.random() < d.loss:
            d.dropped += 1
            return

        def go():
            try:
                send(data)
                d.sent += 1
            except OSError:
                pass
            self.dirty = True

        if self.impaired and d.delay > 0:
            d.delayed += 1
            loop.call_later(d.delay, go)
        else:
            go()


class Upstream(asyncio.DatagramProtocol):
    """One socket toward the target for one peer of one listener."""

    def __init__(self, relay, listener, peer):
        self.relay, self.listener, self.peer = relay, listener, peer

    def datagram_received(self, data, addr):
        self.relay.forward(self.relay.down, lambda b: self.listener.transport.sendto(b, self.peer), data)

    def error_received(self, exc):
        pass                        # ICMP from the target: like the network, say nothing


class Listener(asyncio.DatagramProtocol):
    def __init__(self, relay, index, target):
        self.relay, self.index, self.target = relay, index, target
        self.transport = None
        self.pending = {}           # peer -> datagrams waiting for its upstream socket

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        key = (self.index, addr)
        up = self.relay.peers.get(key)
        if up is not None:
            self.relay.forward(self.relay.up, up.sendto, data)
            return
        if addr in self.pending:
            self.pending[addr].append(data)
            return
        self.pending[addr] = [data]
        asyncio.get_running_loop().create_task(self.open_upstream(addr))

    async def open_upstream(self, addr):
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.target[0] else socket.AF_INET
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(self.relay, self, addr), remote_addr=self.target, family=family)
        self.relay.peers[(self.index, addr)] = transport
        for data in self.pending.pop(addr, []):
            self.relay.forward(self.relay.up, transport.sendto, data)

    def error_received(self, exc):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loss-up", type=float, default=0.0)
    ap.add_argument("--loss-down", type=float, default=0.0)
    ap.add_argument("--delay-up", type=float, default=0.0)
    ap.add_argument("--delay-down", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", default="")
    ap.add_argument("pairs", nargs="+", type=parse_pair)
    args = ap.parse_args()
    for p in (args.loss_up, args.loss_down):
        if not 0 <= p <= 1:
            ap.error("loss must be between 0 and 1")

    relay = Relay(args)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for i, (listen, target) in enumerate(args.pairs):
        family = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
        transport, proto = await loop.create_datagram_endpoint(
            lambda i=i, target=target: Listener(relay, i, target), local_addr=listen, family=family)
        relay.listeners.append(proto)

    def set_impaired(on):
        relay.impaired = on
        relay.dirty = True

    loop.add_signal_handler(signal.SIGUSR1, set_impaired, False)
    loop.add_signal_handler(signal.SIGUSR2, set_impaired, True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    relay.write_stats()
    while not stop.done():
        await asyncio.wait([stop], timeout=0.1)
        if relay.dirty:
            relay.write_stats()
    relay.write_stats()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as e:
        print("rlb-impair.py: %s" % e, file=sys.stderr)
        sys.exit(1)
