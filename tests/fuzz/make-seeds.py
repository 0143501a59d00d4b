#!/usr/bin/python3
"""tests/fuzz/make-seeds.py: writes the seed corpora of the libFuzzer targets
into tests/fuzz/corpus/<target>/ (run it from anywhere; the output is
committed).

The packet seeds start with the harness's control octet (see the comment at
the top of each fuzz_*.c), then the bytes. Valid packets are signed with the
secrets of tests/fuzz/fuzz_common.h. The malformed ones are the shapes of
doc/rfc-checklist.md items 27-31 and of the CVEs behind them: an encrypted
attribute of the wrong length, a WiMAX continuation, empty concat data
(EAP-Message), abinary (Ascend-Data-Filter), a zero-length
Tunnel-Password (tag and salt only), a stream Length < 20 or > 4096 and
partial records.
"""
import hashlib
import hmac
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")

CLIENT = [b"fuzz-client-secret-1", b"fuzz-client-secret-2", b"fuzz-client-secret-3"]

ACCESS_REQUEST, ACCESS_ACCEPT, ACCESS_REJECT = 1, 2, 3
ACCOUNTING_REQUEST, ACCOUNTING_RESPONSE = 4, 5
ACCESS_CHALLENGE, STATUS_SERVER = 11, 12

USER_NAME, USER_PASSWORD, CHAP_PASSWORD, NAS_IP = 1, 2, 3, 4
NAS_PORT, REPLY_MESSAGE, STATE, CLASS, VSA = 5, 18, 24, 25, 26
CALLING_STATION, ACCT_STATUS, ACCT_SESSION = 31, 40, 44
PROXY_STATE, CHAP_CHALLENGE, TUNNEL_TYPE = 33, 60, 64
TUNNEL_PASSWORD, EAP_MESSAGE, MA = 69, 79, 80
ASCEND, ASCEND_DATA_FILTER = 529, 242   # abinary: a VSA of vendor Ascend (dictionary.ascend)
MICROSOFT, WIMAX, CISCO = 311, 24757, 9

AUTH = bytes(range(0x10, 0x20))


def attr(t, v):
    assert len(v) <= 253
    return bytes([t, len(v) + 2]) + v


def raw_attr(t, length, v):
    return bytes([t, length]) + v


def vsa(vendor, sub):
    return attr(VSA, struct.pack("!I", vendor) + sub)


def pkt(code, ident, attrs, auth=AUTH, length=None):
    body = b"".join(attrs)
    n = 20 + len(body) if length is None else length
    return bytes([code, ident]) + struct.pack("!H", n & 0xFFFF) + auth + body


def find_ma(p):
    n = struct.unpack("!H", p[2:4])[0]
    off = 20
    while off + 2 <= n and p[off + 1] >= 2 and off + p[off + 1] <= n:
        if p[off] == MA and p[off + 1] == 18:
            return off
        off += p[off + 1]
    return 0


def sign_request(p, secret):
    p = bytearray(p)
    n = struct.unpack("!H", p[2:4])[0]
    if n < 20 or n > len(p):
        return bytes(p)
    acct = p[0] == ACCOUNTING_REQUEST
    if acct:
        p[4:20] = bytes(16)
    ma = find_ma(p)
    if ma:
        p[ma + 2:ma + 18] = bytes(16)
        p[ma + 2:ma + 18] = hmac.new(secret, bytes(p[:n]), hashlib.md5).digest()
    if acct:
        p[4:20] = hashlib.md5(bytes(p[:n]) + secret).digest()
    return bytes(p)


def hide_pw(pw, secret, auth=AUTH):
    pw = pw + bytes(-len(pw) % 16 or (16 if not pw else 0))
    out, prev = b"", auth
    for i in range(0, len(pw), 16):
        b = hashlib.md5(secret + prev).digest()
        c = bytes(x ^ y for x, y in zip(pw[i:i + 16], b))
        out += c
        prev = c
    return out


MA0 = attr(MA, bytes(16))


def ascend_filter(v):
    return vsa(ASCEND, attr(ASCEND_DATA_FILTER, v))


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- client
def client_seeds():
    t = "fuzz_client"
    s0 = CLIENT[0]
    pap = [MA0, attr(USER_NAME, b"alice"), attr(USER_PASSWORD, hide_pw(b"123456", s0)),
           attr(NAS_IP, bytes([192, 0, 2, 1])), attr(CALLING_STATION, b"00-11-22-33-44-55")]
    # Valid, signed here (control 0) and signed by the harness (8).
    write(t, "access-request-ma", b"\x00" + sign_request(pkt(ACCESS_REQUEST, 1, pap), s0))
    write(t, "access-request-ma-fixup", b"\x08" + pkt(ACCESS_REQUEST, 1, pap))
    write(t, "access-request-no-ma", b"\x00" + pkt(ACCESS_REQUEST, 2, pap[1:]))
    write(t, "access-request-retransmit", b"\x18" + pkt(ACCESS_REQUEST, 3, pap))
    write(t, "access-request-supersede", b"\x28" + pkt(ACCESS_REQUEST, 4, pap))
    write(t, "access-request-unknown-client", b"\x03" + pkt(ACCESS_REQUEST, 5, pap[1:]))
    write(t, "access-request-pw-128", b"\x08" + pkt(ACCESS_REQUEST, 6, [MA0, attr(USER_NAME, b"x"),
          attr(USER_PASSWORD, hide_pw(b"p" * 128, s0))]))
    write(t, "access-request-write-admin", b"\x08" + pkt(ACCESS_REQUEST, 7, [MA0,
          attr(USER_NAME, b"admin-root"), attr(USER_PASSWORD, hide_pw(b"x", s0))]))
    write(t, "access-request-cisco-avpair", b"\x08" + pkt(ACCESS_REQUEST, 8, [MA0,
          attr(USER_NAME, b"u"), vsa(CISCO, attr(1, b"shell:priv-lvl=15")), attr(NAS_PORT, b"\0\0\0\7")]))
    write(t, "access-request-state", b"\x08" + pkt(ACCESS_REQUEST, 9, pap + [attr(STATE, b"s" * 20)]))
    write(t, "access-request-eap", b"\x08" + pkt(ACCESS_REQUEST, 10, [MA0, attr(USER_NAME, b"e"),
          attr(EAP_MESSAGE, b"\x02\x01\x00\x06\x01e"), attr(EAP_MESSAGE, b"more")]))
    # CHAP, with and without CHAP-Challenge (RFC 2865 2.3).
    chap = attr(CHAP_PASSWORD, b"\x07" + bytes(range(16)))
    write(t, "chap-no-challenge", b"\x00" + pkt(ACCESS_REQUEST, 11, [attr(USER_NAME, b"c"), chap]))
    write(t, "chap-challenge", b"\x08" + pkt(ACCESS_REQUEST, 12, [MA0, attr(USER_NAME, b"c"), chap,
          attr(CHAP_CHALLENGE, b"0123456789abcdef")]))
    # Proxy-State: the strict client (1) needs MA; the limited one (2) too.
    ps = [attr(PROXY_STATE, b"nas-proxy-1"), attr(PROXY_STATE, b"\x00\x01\x02")]
    write(t, "proxy-state-ma-strict", b"\x09" + pkt(ACCESS_REQUEST, 13, pap + ps))
    write(t, "proxy-state-no-ma-limited", b"\x02" + pkt(ACCESS_REQUEST, 14, pap[1:] + ps))
    write(t, "strict-no-ma", b"\x01" + pkt(ACCESS_REQUEST, 15, pap[1:]))
    # Accounting and Status-Server.
    acct = [attr(ACCT_STATUS, b"\0\0\0\1"), attr(ACCT_SESSION, b"sess-1"), attr(USER_NAME, b"alice"),
            attr(PROXY_STATE, b"ps")]
    write(t, "accounting-request", b"\x04" + sign_request(pkt(ACCOUNTING_REQUEST, 16, acct), s0))
    write(t, "accounting-request-ma", b"\x0c" + pkt(ACCOUNTING_REQUEST, 17, [MA0] + acct))
    write(t, "accounting-bad-auth", b"\x04" + pkt(ACCOUNTING_REQUEST, 18, acct))
    write(t, "accounting-on-auth-listener", b"\x08" + pkt(ACCOUNTING_REQUEST, 19, acct))
    write(t, "status-server-auth", b"\x08" + pkt(STATUS_SERVER, 20, [MA0, attr(PROXY_STATE, b"p")]))
    write(t, "status-server-acct", b"\x0c" + pkt(STATUS_SERVER, 21, [MA0]))
    write(t, "status-server-no-ma", b"\x00" + pkt(STATUS_SERVER, 0, []))
    write(t, "access-accept-from-client", b"\x08" + pkt(ACCESS_ACCEPT, 22, [MA0]))
    # Extended (RFC 6929), WiMAX, unknown attributes and odd order.
    write(t, "extended-2-as-242", b"\x08" + pkt(ACCESS_REQUEST, 26, [MA0, attr(ASCEND_DATA_FILTER, b"\x01\x00")]))
    write(t, "extended", b"\x08" + pkt(ACCESS_REQUEST, 23, [MA0, attr(241, b"\x01abc"),
          attr(245, b"\x01\x80" + b"a" * 20), attr(245, b"\x01\x00" + b"b" * 5), attr(USER_NAME, b"u")]))
    write(t, "wimax-valid", b"\x08" + pkt(ACCESS_REQUEST, 24, [MA0, attr(USER_NAME, b"w"),
          vsa(WIMAX, bytes([1, 7, 0]) + b"abcd")]))
    write(t, "unknown-attrs", b"\x08" + pkt(ACCESS_REQUEST, 25, [attr(200, b"x"), attr(USER_NAME, b"u"),
          MA0, attr(250, b""), vsa(99999, b"\x01\x03z")]))

    # Checklist 27: lengths.
    p = pkt(ACCESS_REQUEST, 30, pap)
    write(t, "27-short-19", b"\x00" + p[:19])
    write(t, "27-length-field-19", b"\x00" + p[:2] + b"\x00\x13" + p[4:19])
    write(t, "27-over-4096", b"\x00" + pkt(ACCESS_REQUEST, 31, [attr(USER_NAME, b"u")] +
          [attr(26, b"\0\0\0\x09" + b"x" * 240)] * 17, length=4097)[:4097].ljust(4097, b"z"))
    write(t, "27-shorter-than-length", b"\x00" + pkt(ACCESS_REQUEST, 32, pap, length=200))
    write(t, "27-padding-after-length", b"\x08" + pkt(ACCESS_REQUEST, 33, pap) + b"\xff" * 40)
    write(t, "27-exactly-4096", b"\x00" + pkt(ACCESS_REQUEST, 34, [attr(USER_NAME, b"u")] +
          [attr(CLASS, b"c" * 251)] * 16 + [attr(CLASS, b"d" * (4096 - 20 - 3 - 16 * 253 - 2))]))
    # 28: attribute framing.
    write(t, "28-attr-len-0", b"\x00" + pkt(ACCESS_REQUEST, 35, [attr(USER_NAME, b"u"), b"\x01\x00"]))
    write(t, "28-attr-len-1", b"\x00" + pkt(ACCESS_REQUEST, 36, [attr(USER_NAME, b"u"), b"\x01\x01"]))
    write(t, "28-attr-overflow", b"\x00" + pkt(ACCESS_REQUEST, 37, [attr(USER_NAME, b"u"), b"\x01\x40abc"]))
    write(t, "28-trailing-octet", b"\x00" + pkt(ACCESS_REQUEST, 38, [attr(USER_NAME, b"u"), b"\x01"]))
    write(t, "28-ma-17", b"\x08" + pkt(ACCESS_REQUEST, 39, [raw_attr(MA, 17, bytes(15)), attr(USER_NAME, b"u")]))
    write(t, "28-ma-19", b"\x08" + pkt(ACCESS_REQUEST, 40, [raw_attr(MA, 19, bytes(17)), attr(USER_NAME, b"u")]))
    write(t, "28-two-ma", b"\x08" + pkt(ACCESS_REQUEST, 41, [MA0, MA0, attr(USER_NAME, b"u")]))
    write(t, "28-eap-no-ma", b"\x00" + pkt(ACCESS_REQUEST, 42, [attr(USER_NAME, b"u"),
          attr(EAP_MESSAGE, b"\x02\x01\x00\x05\x01")]))
    # 31: the attribute count (max_attributes 200).
    write(t, "31-201-attributes", b"\x08" + pkt(ACCESS_REQUEST, 43, [MA0] + [attr(CLASS, b"c")] * 200))
    write(t, "31-200-attributes", b"\x08" + pkt(ACCESS_REQUEST, 44, [MA0] + [attr(CLASS, b"c")] * 199))
    # 29 and the CVE shapes, in requests.
    write(t, "cve-user-password-15", b"\x08" + pkt(ACCESS_REQUEST, 50, [MA0, attr(USER_PASSWORD, bytes(15))]))
    write(t, "cve-user-password-17", b"\x08" + pkt(ACCESS_REQUEST, 51, [MA0, attr(USER_PASSWORD, bytes(17))]))
    write(t, "cve-user-password-144", b"\x08" + pkt(ACCESS_REQUEST, 52, [MA0, attr(USER_PASSWORD, bytes(144))]))
    write(t, "cve-user-password-0", b"\x08" + pkt(ACCESS_REQUEST, 53, [MA0, attr(USER_PASSWORD, b"")]))
    write(t, "cve-tunnel-password-ttl0", b"\x08" + pkt(ACCESS_REQUEST, 54, [MA0, attr(USER_NAME, b"u"),
          attr(TUNNEL_PASSWORD, b"\x01\x80\x01")]))
    write(t, "cve-tunnel-password-tag-only", b"\x08" + pkt(ACCESS_REQUEST, 55, [MA0, attr(TUNNEL_PASSWORD, b"\x01")]))
    write(t, "cve-tunnel-password-empty", b"\x08" + pkt(ACCESS_REQUEST, 56, [MA0, attr(TUNNEL_PASSWORD, b"")]))
    write(t, "cve-tunnel-password-ok", b"\x08" + pkt(ACCESS_REQUEST, 57, [MA0, attr(TUNNEL_PASSWORD, b"\x01\x80\x01" + bytes(16))]))
    write(t, "cve-wimax-continuation", b"\x08" + pkt(ACCESS_REQUEST, 58, [MA0,
          vsa(WIMAX, bytes([1, 7, 0x80]) + b"abcd")]))
    write(t, "cve-wimax-continuation-chain", b"\x08" + pkt(ACCESS_REQUEST, 59, [MA0,
          vsa(WIMAX, bytes([1, 7, 0x80]) + b"abcd"), vsa(WIMAX, bytes([1, 3, 0x00]))]))
    write(t, "cve-wimax-short", b"\x08" + pkt(ACCESS_REQUEST, 60, [MA0, vsa(WIMAX, bytes([1, 2]))]))
    write(t, "cve-wimax-len-over", b"\x08" + pkt(ACCESS_REQUEST, 61, [MA0, vsa(WIMAX, bytes([1, 40, 0]) + b"ab")]))
    write(t, "cve-eap-empty", b"\x08" + pkt(ACCESS_REQUEST, 62, [MA0, attr(EAP_MESSAGE, b"")]))
    write(t, "cve-abinary-short", b"\x08" + pkt(ACCESS_REQUEST, 63, [MA0, ascend_filter(b"\x01\x00")]))
    write(t, "cve-abinary-ok", b"\x08" + pkt(ACCESS_REQUEST, 64, [MA0, ascend_filter(
          b"\x01\x01\x00\x00" + bytes(28))]))
    write(t, "cve-abinary-type-bad", b"\x08" + pkt(ACCESS_REQUEST, 65, [MA0, ascend_filter(
          b"\x09\x01\x00\x00" + bytes(28))]))
    write(t, "cve-extended-no-type", b"\x08" + pkt(ACCESS_REQUEST, 66, [MA0, attr(241, b"")]))
    write(t, "cve-long-extended-no-flags", b"\x08" + pkt(ACCESS_REQUEST, 67, [MA0, attr(245, b"\x01")]))
    write(t, "cve-mppe-in-request", b"\x08" + pkt(ACCESS_REQUEST, 68, [MA0,
          vsa(MICROSOFT, attr(16, b"\x80\x01" + bytes(5)))]))


# ---------------------------------------------------------------- reply
def reply_seeds():
    t = "fuzz_reply"
    # Control: bits 0-1 request, 4 fix-up (id, signatures), 8 twice,
    # 16 superseded, 32 second server.
    tp = attr(TUNNEL_PASSWORD, b"\x01\x80\x02" + bytes(range(16)))
    mppe = [vsa(MICROSOFT, attr(16, b"\x80\x03" + bytes(range(32)))),
            vsa(MICROSOFT, attr(17, b"\x80\x04" + bytes(range(32, 64))))]
    write(t, "accept-ma", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(REPLY_MESSAGE, b"welcome")]))
    write(t, "accept-no-ma", b"\x04" + pkt(ACCESS_ACCEPT, 0, [attr(CLASS, b"class-1")]))
    write(t, "accept-no-ma-server2", b"\x24" + pkt(ACCESS_ACCEPT, 0, [attr(CLASS, b"class-1")]))
    write(t, "reject", b"\x04" + pkt(ACCESS_REJECT, 0, [MA0, attr(REPLY_MESSAGE, b"no")]))
    write(t, "challenge-state", b"\x04" + pkt(ACCESS_CHALLENGE, 0, [MA0, attr(STATE, b"state-0123456789"),
          attr(REPLY_MESSAGE, b"Enter the code")]))
    write(t, "challenge-proxy-state", b"\x05" + pkt(ACCESS_CHALLENGE, 0, [MA0, attr(STATE, b"st"),
          attr(PROXY_STATE, b"ps-one"), attr(PROXY_STATE, b"ps-two-two")]))
    write(t, "accept-tunnel-password", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(TUNNEL_TYPE, b"\x01\x00\x00\x03"), tp]))
    write(t, "accept-mppe", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0] + mppe))
    write(t, "accept-mppe-chap", b"\x07" + pkt(ACCESS_ACCEPT, 0, mppe + [tp]))
    write(t, "accounting-response", b"\x06" + pkt(ACCOUNTING_RESPONSE, 0, [attr(PROXY_STATE, b"acct-ps")]))
    write(t, "accept-to-accounting", b"\x06" + pkt(ACCESS_ACCEPT, 0, [MA0]))
    write(t, "accept-twice", b"\x0c" + pkt(ACCESS_ACCEPT, 0, [MA0]))
    write(t, "accept-superseded", b"\x14" + pkt(ACCESS_ACCEPT, 0, [MA0]))
    write(t, "accept-bad-authenticator", b"\x00" + pkt(ACCESS_ACCEPT, 0, [MA0]))
    write(t, "accept-unknown-id", b"\x00" + pkt(ACCESS_ACCEPT, 200, [MA0]))
    write(t, "accept-eap", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(EAP_MESSAGE, b"\x03\x01\x00\x04")]))
    write(t, "accept-wimax-ok", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(WIMAX, bytes([1, 7, 0]) + b"abcd")]))
    # Checklist 29 and the CVE shapes, in replies.
    write(t, "cve-tunnel-password-ttl0", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(TUNNEL_PASSWORD, b"\x01\x80\x01")]))
    write(t, "cve-tunnel-password-tag-only", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(TUNNEL_PASSWORD, b"\x01")]))
    write(t, "cve-tunnel-password-empty", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(TUNNEL_PASSWORD, b"")]))
    write(t, "cve-tunnel-password-17", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(TUNNEL_PASSWORD, b"\x01\x80\x01" + bytes(17))]))
    write(t, "cve-mppe-wrong-length", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(MICROSOFT, attr(16, b"\x80\x03" + bytes(5)))]))
    write(t, "cve-mppe-salt-only", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(MICROSOFT, attr(17, b"\x80\x03"))]))
    write(t, "cve-mppe-empty", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(MICROSOFT, attr(17, b""))]))
    write(t, "cve-wimax-continuation", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(WIMAX, bytes([1, 7, 0x80]) + b"abcd")]))
    write(t, "cve-wimax-short", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(WIMAX, bytes([1, 2]))]))
    write(t, "cve-wimax-len-over", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, vsa(WIMAX, bytes([1, 40, 0]) + b"ab")]))
    write(t, "cve-eap-empty", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(EAP_MESSAGE, b"")]))
    write(t, "cve-abinary-short", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, ascend_filter(b"\x01")]))
    write(t, "cve-abinary-ok", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, ascend_filter(b"\x01\x01\x00\x00" + bytes(28))]))
    write(t, "cve-extended-no-type", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, attr(241, b"")]))
    write(t, "28-attr-len-0", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, b"\x12\x00"]))
    write(t, "28-attr-overflow", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0, b"\x12\x30abc"]))
    write(t, "28-ma-17", b"\x04" + pkt(ACCESS_ACCEPT, 0, [raw_attr(MA, 17, bytes(15))]))
    write(t, "27-short", b"\x04" + pkt(ACCESS_ACCEPT, 0, [])[:19])
    write(t, "27-shorter-than-length", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0], length=300))
    write(t, "31-201-attributes", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0] + [attr(CLASS, b"c")] * 200))
    write(t, "accept-near-4096", b"\x04" + pkt(ACCESS_ACCEPT, 0, [MA0] + [attr(CLASS, b"c" * 250)] * 15))


# ---------------------------------------------------------------- stream
def stream_seeds():
    t = "fuzz_stream"
    a = pkt(ACCESS_REQUEST, 1, [attr(USER_NAME, b"alice")])
    b = pkt(ACCESS_REQUEST, 2, [attr(USER_NAME, b"bob"), attr(CLASS, b"x" * 100)])
    big = pkt(ACCESS_REQUEST, 3, [attr(CLASS, b"c" * 253)] * 16 + [attr(CLASS, b"d" * (4096 - 20 - 16 * 255 - 2))])
    write(t, "one", b"\x00" + a)
    write(t, "two-in-one-write", b"\x00" + a + b)
    write(t, "split-8", b"\x07" + a + b)
    write(t, "split-3-echo", b"\x12" + a + b + a)
    write(t, "max-4096", b"\x03" + big)
    write(t, "30-length-19", b"\x00" + a[:2] + b"\x00\x13" + a[4:19])
    write(t, "30-length-0", b"\x00" + a[:2] + b"\x00\x00" + a[4:])
    write(t, "30-length-19-after-good", b"\x01" + a + a[:2] + b"\x00\x13" + bytes(30))
    write(t, "30-length-4097", b"\x00" + a[:2] + b"\x10\x01" + a[4:])
    write(t, "30-length-65535", b"\x00" + a[:2] + b"\xff\xff" + bytes(100))
    write(t, "30-partial-record", b"\x00" + b[:50])
    write(t, "30-partial-header", b"\x00" + b[:3])
    write(t, "30-partial-then-eof", b"\x20" + a + b[:30])
    write(t, "close-in-callback", b"\x08" + a + pkt(ACCESS_REQUEST, 0xff, []) + b)
    write(t, "many-small", b"\x05" + b"".join(pkt(ACCESS_REQUEST, i, []) for i in range(64)))
    write(t, "empty", b"\x00")


# ---------------------------------------------------------------- conf
def conf_seeds():
    t = "fuzz_conf"
    srcs = [os.path.join(TOP, "conf", "radlb.conf")]
    for sub in ("good", "bad"):
        d = os.path.join(TOP, "tests", "unit", "conf", sub)
        srcs += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".conf")]
    os.makedirs(os.path.join(OUT, t), exist_ok=True)
    for path in srcs:
        sub = os.path.basename(os.path.dirname(path))
        shutil.copyfile(path, os.path.join(OUT, t, sub + "-" + os.path.basename(path)))
    # The harness context's own configuration (tests/fuzz/fuzz_common.c).
    write(t, "fuzz-ctx.conf", b"""dictionary = "/usr/share/freeradius";
listen = ( { type = "auth"; address = "127.0.0.1"; port = 11812; },
           { type = "acct"; address = "127.0.0.1"; port = 11813; } );
clients = (
  { name = "plain"; network = "127.0.0.1/32"; secret = "fuzz-client-secret-1"; },
  { name = "strict"; network = "127.0.0.2/32"; secret = "fuzz-client-secret-2";
    require_message_authenticator = true; limit_proxy_state = true; }
);
servers = (
  { name = "mfa1"; address = "127.0.0.1"; auth_port = 21812; acct_port = 21813;
    secret = "fuzz-server-secret-1"; role = "master"; },
  { name = "mfa2"; address = "::1"; secret = "fuzz-server-secret-2"; proto = "tcp"; }
);
sticky = { max_entries = 1000; affinity_attributes = [ "User-Name", "Calling-Station-Id" ]; };
writes = (
  { code = "Access-Request"; attribute = "User-Name"; regex = "^admin"; class = "write"; },
  { attribute = "NAS-Port"; equals = "7"; class = "write"; },
  { code = "Accounting-Request"; class = "write"; }
);
redis = { sentinels = [ "127.0.0.1:26379", "[::1]:26380" ]; master_name = "m"; };
health = { probe = "none"; };
stats = { port = 0; allow = [ "10.0.0.0/8", "::1/128" ]; };
""")


# ---------------------------------------------------------------- cmd
def cmd_seeds():
    t = "fuzz_cmd"
    lines = [
        "help", "json help", "show servers", "json show servers", "show sessions",
        "json show sessions", "show spool", "json show spool", "show clients", "json show clients",
        "show stats", "json show stats", "show config", "json show config",
        "drain mfa1", "drain", "drain nosuch", "maintenance mfa2", "json maintenance mfa2",
        "enable mfa1", "enable", "reload", "reload now", "promote mfa2", "promote mfa2 force",
        "promote mfa1 force extra", "promote", "show servers extra", "show", "json", "",
        "   \t  ", "show\tservers\r\n", "SHOW SERVERS", "help " + "x " * 20,
        "drain " + "m" * 200, "json json help", "show  stats", "promote nosuch force",
    ]
    for i, line in enumerate(lines):
        write(t, "cmd-%02d" % i, line.encode())


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    client_seeds()
    reply_seeds()
    stream_seeds()
    conf_seeds()
    cmd_seeds()
    for t in sorted(os.listdir(OUT)):
        print("%-12s %3d seeds" % (t, len(os.listdir(os.path.join(OUT, t)))))


if __name__ == "__main__":
    sys.exit(main())
