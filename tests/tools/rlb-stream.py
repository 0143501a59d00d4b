#!/usr/bin/python3
"""rlb-stream.py: RADIUS over TCP (RFC 6613) or TLS (RFC 6614) for radlb's tests.

usage: rlb-stream.py [-k SECRET] [-t TIMEOUT] [--id N] [--tls --ca F [--cert F --key F]
                     [--sni NAME] [--tls-max 1.2]] HOST:PORT COMMAND [ARGS...]

-k: the shared secret (default "radsec"); -t: seconds to wait for anything
(default 5); --id: the Identifier of the first packet (default 0, then +1);
--tls: TLS, the server's certificate checked against --ca (and its name
against --sni when given; an IP address works), --cert/--key: the client's;
--tls-max 1.2: offer TLS 1.2 at most.

Commands (each on ONE connection):
  auth USER PASSWORD [STATE]  one Access-Request (STATE as 0xHEX); prints the reply
  acct USER SESSION [STATUS]  one Accounting-Request (Acct-Status-Type, default 1 = Start)
  status                      one Status-Server (with Message-Authenticator); prints the reply
  otp USER PASSWORD DIR       both legs of an SMS-OTP login; the code is read from the
                              sms.log of DIR/*/ (tests/mfa/mfa-server.sh); prints
                              "issuer NAME" then the final reply
  many N [USER PASSWORD]      N Access-Requests (IDs 0..N-1, default plain/plain-pw)
                              written at once, then all replies read:
                              "sent N replies R accepts A challenges C rejects J"
  pair                        two Access-Requests (plain) in ONE write; prints both replies
  trickle                     one Access-Request (plain) written one octet at a time,
                              20 ms apart; prints the reply
  malformed LENGTH            20 octets: an Access-Request header whose Length field says
                              LENGTH, then waits: prints how the connection ended
  badattr                     a packet of valid length whose attribute says length 1
  raw HEX                     the octets HEX, then waits: prints how the connection ended
  hold SECONDS [USER PASSWORD]  (sends the request,) keeps the connection SECONDS
                              without reading, closes it; prints "closed"
  idle                        sends nothing; prints "eof after S.SS s" when the peer closes

Replies are printed like radclient -x ("Received Access-Accept Id N", then
"\tReply-Message = \"...\"", "\tState = 0x...", "\tClass = 0x...", other attributes
as "\tAttr-N = 0x..."), so the shell helpers attr/served_by of rlb.sh work on them.
A reply whose Response Authenticator is wrong is printed "bad-authenticator".
How a connection ended: "eof" (the peer closed it), "reset", "timeout" (still
open after TIMEOUT s), "tls-error: ..." (the handshake or a TLS alert).

Exit status: 0 when the command ran, whatever came back, a failed TLS
handshake included (check the output), 1 when no TCP connection could be made
("connect-error: ..."), 2 usage errors. Only the Python standard library is used.
With TLS 1.3 a client certificate refused by the server shows after the
handshake, as "tls-error: ..." or "eof" in place of a reply.
"""

import glob
import hashlib
import hmac
import os
import socket
import ssl
import struct
import sys
import time

CODES = {1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
         5: "Accounting-Response", 11: "Access-Challenge", 12: "Status-Server"}
NAMES = {1: "User-Name", 18: "Reply-Message", 24: "State", 25: "Class", 33: "Proxy-State",
         80: "Message-Authenticator"}
STRINGS = {1, 18}


def usage(msg=None):
    if msg:
        print("rlb-stream.py: " + msg, file=sys.stderr)
    print(__doc__.split("\nReplies are printed")[0].split("\n", 2)[2], file=sys.stderr)
    sys.exit(2)


class Conn:
    def __init__(self, opts):
        self.opts = opts
        self.secret = opts["secret"].encode()
        host, _, port = opts["target"].rpartition(":")
        if not host or not port.isdigit():
            usage("HOST:PORT expected")
        try:
            raw = socket.create_connection((host.strip("[]"), int(port)), timeout=opts["timeout"])
        except OSError as e:
            print("connect-error: %s" % e)
            sys.exit(1)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = raw
        if opts["tls"]:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(opts["ca"])
            if opts["cert"]:
                ctx.load_cert_chain(opts["cert"], opts["key"])
            if opts["tls_max"] == "1.2":
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            elif opts["tls_max"] == "1.3":
                ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.check_hostname = bool(opts["sni"])
            if not opts["sni"]:
                ctx.verify_mode = ssl.CERT_REQUIRED
            try:
                self.sock = ctx.wrap_socket(raw, server_hostname=opts["sni"] or None)
            except (ssl.SSLError, OSError) as e:
                print("tls-error: %s" % e)
                sys.exit(0)
        self.buf = b""
        self.next_id = opts["id"]

    # ------------------------------------------------------------ packets
    def attr(self, t, v):
        return struct.pack("BB", t, len(v) + 2) + v

    def hide(self, password, auth):
        p = password.encode()
        p += b"\0" * (16 - len(p) % 16 if len(p) % 16 or not p else 0)
        out, last = b"", auth
        for i in range(0, len(p), 16):
            b = hashlib.md5(self.secret + last).digest()
            c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
            out += c
            last = c
        return out

    def access_request(self, user, password, state=None, ident=None):
        if ident is None:
            ident = self.next_id
            self.next_id = (self.next_id + 1) % 256
        auth = os.urandom(16)
        attrs = self.attr(80, b"\0" * 16)  # Message-Authenticator first (BlastRADIUS)
        attrs += self.attr(1, user.encode()) + self.attr(2, self.hide(password, auth))
        if state:
            attrs += self.attr(24, bytes.fromhex(state[2:] if state.startswith("0x") else state))
        attrs += self.attr(32, b"rlb-stream")
        pkt = bytearray(struct.pack("!BBH", 1, ident, 20 + len(attrs)) + auth + attrs)
        mac = hmac.new(self.secret, bytes(pkt), hashlib.md5).digest()
        pkt[22:38] = mac
        return bytes(pkt), ident, auth

    def status_server(self):
        ident = self.next_id
        self.next_id = (self.next_id + 1) % 256
        auth = os.urandom(16)
        attrs = self.attr(80, b"\0" * 16)
        pkt = bytearray(struct.pack("!BBH", 12, ident, 20 + len(attrs)) + auth + attrs)
        pkt[22:38] = hmac.new(self.secret, bytes(pkt), hashlib.md5).digest()
        return bytes(pkt), ident, auth

    def accounting_request(self, user, session, status):
        ident = self.next_id
        self.next_id = (self.next_id + 1) % 256
        attrs = (self.attr(1, user.encode()) + self.attr(40, struct.pack("!I", status))
                 + self.attr(44, session.encode()) + self.attr(32, b"rlb-stream"))
        hdr = struct.pack("!BBH", 4, ident, 20 + len(attrs))
        auth = hashlib.md5(hdr + b"\0" * 16 + attrs + self.secret).digest()
        return hdr + auth + attrs, ident, auth

    # ------------------------------------------------------------ I/O
    def send(self, data):
        self.sock.sendall(data)

    def read_packet(self, timeout=None):
        """a whole packet, or a string saying how the connection ended"""
        deadline = time.monotonic() + (timeout if timeout is not None else self.opts["timeout"])
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack("!H", self.buf[2:4])[0]
                if n < 20 or n > 4096:
                    return "garbage"
                if len(self.buf) >= n:
                    pkt, self.buf = self.buf[:n], self.buf[n:]
                    return pkt
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return "timeout"
            except ConnectionResetError:
                return "reset"
            except ssl.SSLError as e:
                return "tls-error: %s" % e
            except OSError as e:
                return "error: %s" % e
            if not data:
                return "eof"
            self.buf += data

    def wait_end(self):
        """read (and print) replies until the connection ends or times out"""
        while True:
            r = self.read_packet()
            if isinstance(r, str):
                return r
            print("unexpected reply: %s" % r.hex())

    def check(self, pkt, auth):
        """a reply's Response Authenticator over the request authenticator"""
        want = hashlib.md5(pkt[:4] + auth + pkt[20:] + self.secret).digest()
        return hmac.compare_digest(want, pkt[4:20])

    def show(self, pkt, auth):
        code, ident = pkt[0], pkt[1]
        if not self.check(pkt, auth):
            print("bad-authenticator %s Id %d" % (CODES.get(code, code), ident))
            return code
        print("Received %s Id %d length %d" % (CODES.get(code, "Code-%d" % code), ident, len(pkt)))
        i = 20
        while i + 2 <= len(pkt):
            t, n = pkt[i], pkt[i + 1]
            if n < 2:
                break
            v = pkt[i + 2:i + n]
            name = NAMES.get(t, "Attr-%d" % t)
            if t in STRINGS:
                print('\t%s = "%s"' % (name, v.decode(errors="replace")))
            else:
                print("\t%s = 0x%s" % (name, v.hex()))
            i += n
        return code

    def exchange(self, pkt, ident, auth):
        self.send(pkt)
        while True:
            r = self.read_packet()
            if isinstance(r, str):
                print(r)
                return None
            if r[1] == ident:
                return r
            print("reply with an unexpected Id %d" % r[1])


def state_of(pkt):
    i = 20
    while i + 2 <= len(pkt):
        t, n = pkt[i], pkt[i + 1]
        if n < 2:
            break
        if t == 24:
            return pkt[i + 2:i + n]
        i += n
    return None


def sms_code(dirname, state):
    """the code mfa-server.sh 'sent' with this State (a line of some */sms.log)"""
    want = "state=" + state.decode(errors="replace")
    for f in glob.glob(os.path.join(dirname, "*", "sms.log")):
        with open(f) as fh:
            for line in fh:
                fields = line.split()
                if want in fields:
                    server = [x[7:] for x in fields if x.startswith("server=")]
                    code = [x[5:] for x in fields if x.startswith("code=")]
                    return code[0], (server[0] if server else "?")
    return None, None


def main(argv):
    opts = {"secret": "radsec", "timeout": 5.0, "tls": False, "ca": None, "cert": None,
            "key": None, "sni": None, "tls_max": None, "id": 0}
    args = list(argv)
    while args and args[0].startswith("-"):
        o = args.pop(0)
        if o == "--tls":
            opts["tls"] = True
            continue
        if not args:
            usage("%s needs a value" % o)
        v = args.pop(0)
        if o == "-k":
            opts["secret"] = v
        elif o == "-t":
            opts["timeout"] = float(v)
        elif o == "--id":
            opts["id"] = int(v) % 256
        elif o in ("--ca", "--cert", "--key", "--sni"):
            opts[o[2:]] = v
        elif o == "--tls-max":
            opts["tls_max"] = v
        else:
            usage("unknown option " + o)
    if len(args) < 2:
        usage()
    if opts["tls"] and not opts["ca"]:
        usage("--tls needs --ca")
    opts["target"] = args.pop(0)
    cmd = args.pop(0)

    c = Conn(opts)
    if cmd == "auth" and len(args) in (2, 3):
        pkt, ident, auth = c.access_request(args[0], args[1], args[2] if len(args) == 3 else None)
        r = c.exchange(pkt, ident, auth)
        if r:
            c.show(r, auth)
    elif cmd == "acct" and len(args) in (2, 3):
        pkt, ident, auth = c.accounting_request(args[0], args[1], int(args[2]) if len(args) == 3 else 1)
        r = c.exchange(pkt, ident, auth)
        if r:
            c.show(r, auth)
    elif cmd == "status" and not args:
        pkt, ident, auth = c.status_server()
        r = c.exchange(pkt, ident, auth)
        if r:
            c.show(r, auth)
    elif cmd == "otp" and len(args) == 3:
        user, password, d = args
        pkt, ident, auth = c.access_request(user, password)
        r = c.exchange(pkt, ident, auth)
        if not r:
            return 0
        if c.show(r, auth) != 11 or not state_of(r):
            print("no challenge")
            return 0
        st = state_of(r)
        code, server = sms_code(d, st)
        if not code:
            print("no SMS code for State %s" % st.hex())
            return 0
        print("issuer %s" % server)
        pkt, ident, auth = c.access_request(user, code, st.hex())
        r = c.exchange(pkt, ident, auth)
        if r:
            c.show(r, auth)
    elif cmd == "many" and len(args) in (1, 3):
        n = int(args[0])
        user, password = (args[1], args[2]) if len(args) == 3 else ("plain", "plain-pw")
        if not 1 <= n <= 256:
            usage("many: 1 to 256 requests")
        pending, data = {}, b""
        for i in range(n):
            pkt, ident, auth = c.access_request(user, password, ident=i)
            pending[ident] = auth
            data += pkt
        c.send(data)
        counts = {2: 0, 11: 0, 3: 0}
        replies, end = 0, ""
        while pending:
            r = c.read_packet()
            if isinstance(r, str):
                end = r
                break
            auth = pending.pop(r[1], None)
            if auth is None or not c.check(r, auth):
                print("unexpected or badly signed reply Id %d" % r[1])
                continue
            replies += 1
            counts[r[0]] = counts.get(r[0], 0) + 1
        print("sent %d replies %d accepts %d challenges %d rejects %d%s" %
              (n, replies, counts[2], counts[11], counts[3], (" then " + end) if end else ""))
    elif cmd == "pair" and not args:
        p1, i1, a1 = c.access_request("plain", "plain-pw")
        p2, i2, a2 = c.access_request("plain", "plain-pw")
        c.send(p1 + p2)
        auths = {i1: a1, i2: a2}
        for _ in range(2):
            r = c.read_packet()
            if isinstance(r, str):
                print(r)
                break
            c.show(r, auths.get(r[1], b"\0" * 16))
    elif cmd == "trickle" and not args:
        pkt, ident, auth = c.access_request("plain", "plain-pw")
        for b in pkt:
            c.send(bytes([b]))
            time.sleep(0.02)
        r = c.read_packet()
        if isinstance(r, str):
            print(r)
        else:
            c.show(r, auth)
    elif cmd == "malformed" and len(args) == 1:
        c.send(struct.pack("!BBH", 1, 7, int(args[0])) + os.urandom(16))
        print(c.wait_end())
    elif cmd == "badattr" and not args:
        # User-Name "x", then an attribute whose length octet says 1
        attrs = c.attr(1, b"x") + bytes([2, 1, 0, 0])
        c.send(struct.pack("!BBH", 1, 8, 20 + len(attrs)) + os.urandom(16) + attrs)
        print(c.wait_end())
    elif cmd == "raw" and len(args) == 1:
        c.send(bytes.fromhex(args[0]))
        print(c.wait_end())
    elif cmd == "hold" and len(args) in (1, 3):
        if len(args) == 3:
            pkt, ident, auth = c.access_request(args[1], args[2])
            c.send(pkt)
        time.sleep(float(args[0]))
        c.sock.close()
        print("closed")
    elif cmd == "idle" and not args:
        t0 = time.monotonic()
        r = c.wait_end()
        if r == "timeout":
            print("timeout")
        else:
            print("%s after %.2f s" % (r, time.monotonic() - t0))
    else:
        usage("bad command or arguments: %s %s" % (cmd, " ".join(args)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        print("eof")
        sys.exit(0)
    except ConnectionResetError:
        print("reset")
        sys.exit(0)
    except ssl.SSLError as e:  # a TLS alert or EOF while writing (TLS 1.3: after the handshake)
        print("tls-error: %s" % e)
        sys.exit(0)
    except socket.timeout:
        print("timeout")
        sys.exit(0)
