/*
 * pkt.c: packet validation, verification and rewriting (see pkt.h).
 */
#include "config.h"

#include "crypto.h"          /* first: it opts in to OpenSSL's MD5 block API */

#include <string.h>

#include <openssl/crypto.h>

#include "dict.h"
#include "pkt.h"

static const uint8_t zero16[RLB_AUTH_LEN];

/* ------------------------------------------------------------------ */
/* Structural validation                                              */

static rlb_drop_t
fr_reason_to_drop(rlb_fr_reason_t r)
{
    switch (r) {
    case RLB_FR_OK:
        return RLB_DROP_NONE;
    case RLB_FR_MIN_LENGTH_PACKET:
    case RLB_FR_MIN_LENGTH_FIELD:
        return RLB_DROP_TOO_SHORT;
    case RLB_FR_MIN_LENGTH_MISMATCH:
        return RLB_DROP_LENGTH_MISMATCH;
    case RLB_FR_UNKNOWN_PACKET_CODE:
        return RLB_DROP_UNEXPECTED_CODE;
    case RLB_FR_MA_INVALID_LENGTH:
        return RLB_DROP_MA_INVALID_LENGTH;
    case RLB_FR_TOO_MANY_ATTRIBUTES:
        return RLB_DROP_TOO_MANY_ATTRIBUTES;
    case RLB_FR_MA_MISSING:
        return RLB_DROP_MA_MISSING;
    case RLB_FR_TOO_MANY_AUTH:
        return RLB_DROP_EAP_AND_PASSWORD;
    default:
        return RLB_DROP_MALFORMED_ATTRIBUTES;
    }
}

rlb_drop_t
rlb_pkt_parse(uint8_t *data, size_t *len, bool require_ma, struct rlb_pkt_info *info)
{
    rlb_fr_reason_t fr;
    size_t off;

    memset(info, 0, sizeof(*info));
    if (*len < RLB_HDR_LEN)
        return RLB_DROP_TOO_SHORT;
    if (*len > RLB_PKT_MAX || rlb_get16(data + 2) > RLB_PKT_MAX)
        return RLB_DROP_TOO_LONG;
    if (!rlb_fr_packet_ok(data, len, require_ma, &fr))
        return fr_reason_to_drop(fr);

    /* rad_packet_ok() has proven the framing: every attribute has a
     * length of at least 2 and they fill the packet exactly. */
    info->code = data[0];
    info->id = data[1];
    info->len = (uint16_t)*len;
    for (off = RLB_HDR_LEN; off < *len; off += data[off + 1]) {
        switch (data[off]) {
        case RLB_ATTR_MESSAGE_AUTHENTICATOR:
            info->ma_off = (uint16_t)off;
            info->n_ma++;
            break;
        case RLB_ATTR_STATE:
            if (!info->state_off)
                info->state_off = (uint16_t)off;
            break;
        case RLB_ATTR_CHAP_PASSWORD:
            info->chap_password_off = (uint16_t)off;
            break;
        case RLB_ATTR_CHAP_CHALLENGE:
            info->chap_challenge_off = (uint16_t)off;
            break;
        case RLB_ATTR_PROXY_STATE:
            if (!info->proxy_state_off)
                info->proxy_state_off = (uint16_t)off;
            info->proxy_state_len = (uint16_t)(info->proxy_state_len + data[off + 1]);
            if (info->n_proxy_state < UINT8_MAX)
                info->n_proxy_state++;
            break;
        default:
            break;
        }
    }
    if (info->n_ma > 1)
        return RLB_DROP_MA_DUPLICATE;
    return RLB_DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* Attribute walk                                                     */

/* One attribute whose value the proxy may look at: a standard attribute
 * or a sub-attribute of a Vendor-Specific attribute. */
struct attr_ref {
    unsigned vendor;
    unsigned type;
    uint8_t *value;
    size_t   vlen;
    bool     continued;            /* WiMAX continuation bit set */
};

typedef rlb_drop_t (*attr_fn)(void *arg, const struct attr_ref *a);

/* Walks the sub-attributes of one VSA (attr points at its header). A VSA
 * whose sub-attributes do not frame exactly is carried opaquely, as
 * FreeRADIUS treats it as raw octets; a broken WiMAX continuation is a
 * drop (CVE-2017-10984 shape). */
static rlb_drop_t
walk_vsa(uint8_t *attr, const uint8_t *next, const uint8_t *end, attr_fn fn, void *arg)
{
    struct rlb_vendor_format vf;
    size_t alen = attr[1], off;
    unsigned vendor;

    if (alen < 7)
        return RLB_DROP_NONE;
    vendor = rlb_get32(attr + 2);
    if (!rlb_dict_vendor(vendor, &vf))
        return RLB_DROP_NONE;

    if (vf.wimax) {
        struct attr_ref a;
        uint8_t sublen;

        if (alen < 9)
            return RLB_DROP_BAD_ATTRIBUTE;
        sublen = attr[7];
        if (sublen < 3 || (size_t)sublen + 6 != alen)
            return RLB_DROP_BAD_ATTRIBUTE;
        a.vendor = vendor;
        a.type = attr[6];
        a.value = attr + 9;
        a.vlen = sublen - 3;
        a.continued = (attr[8] & 0x80) != 0;
        if (a.continued) {
            /* The next attribute must continue this one. */
            if (next + 9 > end || next[0] != RLB_ATTR_VENDOR_SPECIFIC || next[1] < 9 ||
                rlb_get32(next + 2) != vendor || next[6] != attr[6] || a.vlen == 0)
                return RLB_DROP_BAD_ATTRIBUTE;
        }
        return fn(arg, &a);
    }

    /* Generic layouts: type of 1, 2 or 4 octets, length of 0, 1 or 2. */
    for (int pass = 0; pass < 2; pass++) {
        for (off = 6; off < alen;) {
            size_t hdr = (size_t)vf.type_len + vf.len_len, sublen;
            unsigned type = 0;

            if (off + hdr > alen)
                return RLB_DROP_NONE;      /* opaque */
            for (unsigned i = 0; i < vf.type_len; i++)
                type = (type << 8) | attr[off + i];
            if (vf.len_len == 0)
                sublen = alen - off;
            else if (vf.len_len == 1)
                sublen = attr[off + vf.type_len];
            else
                sublen = rlb_get16(attr + off + vf.type_len);
            if (sublen < hdr || off + sublen > alen)
                return RLB_DROP_NONE;      /* opaque */
            if (pass == 1) {
                struct attr_ref a = { vendor, type, attr + off + hdr, sublen - hdr, false };
                rlb_drop_t why = fn(arg, &a);

                if (why != RLB_DROP_NONE)
                    return why;
            }
            off += sublen;
        }
    }
    return RLB_DROP_NONE;
}

/* Calls fn for every standard attribute and every VSA sub-attribute of a
 * packet whose framing rlb_pkt_parse() has already proven. */
static rlb_drop_t
walk_attrs(uint8_t *pkt, size_t len, attr_fn fn, void *arg)
{
    const uint8_t *end = pkt + len;

    for (uint8_t *attr = pkt + RLB_HDR_LEN; attr < end; attr += attr[1]) {
        rlb_drop_t why;

        if (attr[0] == RLB_ATTR_VENDOR_SPECIFIC) {
            why = walk_vsa(attr, attr + attr[1], end, fn, arg);
        } else {
            struct attr_ref a = { 0, attr[0], attr + 2, (size_t)attr[1] - 2, false };

            /* RFC 6929: extended attributes carry an extended type, long
             * extended ones a flags octet as well. */
            if (attr[0] >= RLB_ATTR_EXTENDED_1 && attr[0] <= RLB_ATTR_EXTENDED_LAST &&
                attr[1] < (attr[0] >= RLB_ATTR_LONG_EXTENDED_1 ? 4 : 3))
                return RLB_DROP_BAD_ATTRIBUTE;
            why = fn(arg, &a);
        }
        if (why != RLB_DROP_NONE)
            return why;
    }
    return RLB_DROP_NONE;
}

/* First value of one attribute (standard or vendor-specific). */
struct find_attr {
    unsigned       vendor;
    unsigned       type;
    const uint8_t *value;
    size_t         vlen;
};

static rlb_drop_t
find_one(void *arg, const struct attr_ref *a)
{
    struct find_attr *f = arg;

    if (!f->value && a->vendor == f->vendor && a->type == f->type) {
        f->value = a->value;
        f->vlen = a->vlen;
    }
    return RLB_DROP_NONE;
}

const uint8_t *
rlb_pkt_find_attr(const uint8_t *pkt, const struct rlb_pkt_info *info, unsigned vendor,
                  unsigned attr, size_t *len)
{
    struct find_attr f = { vendor, attr, NULL, 0 };

    /* The walk does not write when the callback does not. */
    walk_attrs((uint8_t *)(uintptr_t)pkt, info->len, find_one, &f);
    *len = f.vlen;
    return f.value;
}

/* ------------------------------------------------------------------ */
/* Typed checks                                                       */

static bool
encrypted_len_ok(const struct rlb_attr_props *p, const struct attr_ref *a)
{
    size_t n = a->vlen;

    switch (p->encrypt) {
    case RLB_ENCRYPT_USER_PW:
        return n >= 16 && n <= 128 && n % 16 == 0;
    case RLB_ENCRYPT_TUNNEL_PW:
        if (p->has_tag) {
            if (n < 1)
                return false;
            n--;
        }
        return n >= 2 + 16 && (n - 2) % 16 == 0 && !a->continued;
    case RLB_ENCRYPT_ASCEND:
        return n >= 1 && n <= 16;
    default:
        return true;
    }
}

/* An Ascend binary filter: type (generic 0, IP 1, IPX 2: 32 octets;
 * IPv6 3: longer), forward and direction flags of 0 or 1. */
static bool
abinary_ok(const struct attr_ref *a)
{
    const uint8_t *v = a->value;

    if (a->vlen < 32 || a->vlen > 64)
        return false;
    if (v[0] > 3 || (v[0] < 3 && a->vlen != 32))
        return false;
    return v[1] <= 1 && v[2] <= 1;
}

static rlb_drop_t
check_one(void *arg, const struct attr_ref *a)
{
    struct rlb_attr_props p;

    (void)arg;
    rlb_dict_props(a->vendor, a->type, &p);
    if (!p.known)
        return RLB_DROP_NONE;
    if (p.encrypt && !encrypted_len_ok(&p, a))
        return RLB_DROP_BAD_ATTRIBUTE;
    if (p.abinary && !abinary_ok(a))
        return RLB_DROP_BAD_ATTRIBUTE;
    if ((p.concat || (a->vendor == 0 && a->type == RLB_ATTR_EAP_MESSAGE)) && a->vlen == 0)
        return RLB_DROP_BAD_ATTRIBUTE;
    return RLB_DROP_NONE;
}

rlb_drop_t
rlb_pkt_check_attrs(const uint8_t *data, const struct rlb_pkt_info *info)
{
    /* The walk does not write when the callback does not. */
    return walk_attrs((uint8_t *)(uintptr_t)data, info->len, check_one, NULL);
}

/* ------------------------------------------------------------------ */
/* Verification                                                       */

bool
rlb_pkt_ma_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
              const uint8_t auth_field[RLB_AUTH_LEN], const struct rlb_secret *s)
{
    struct rlb_hmac h;
    uint8_t mac[RLB_MD5_LEN];
    size_t ma = info->ma_off;

    if (!ma)
        return false;
    rlb_hmac_begin(&h, s);
    rlb_hmac_add(&h, pkt, 4);
    rlb_hmac_add(&h, auth_field, RLB_AUTH_LEN);
    rlb_hmac_add(&h, pkt + RLB_HDR_LEN, ma + 2 - RLB_HDR_LEN);
    rlb_hmac_add(&h, zero16, RLB_AUTH_LEN);
    rlb_hmac_add(&h, pkt + ma + RLB_MA_LEN, info->len - ma - RLB_MA_LEN);
    rlb_hmac_end(&h, mac);
    return rlb_digest_equal(mac, pkt + ma + 2, RLB_MD5_LEN);
}

static void
authenticator(const uint8_t *pkt, size_t len, const uint8_t auth_field[RLB_AUTH_LEN],
              const struct rlb_secret *s, uint8_t out[RLB_MD5_LEN])
{
    MD5_CTX ctx;

    MD5_Init(&ctx);
    MD5_Update(&ctx, pkt, 4);
    MD5_Update(&ctx, auth_field, RLB_AUTH_LEN);
    MD5_Update(&ctx, pkt + RLB_HDR_LEN, len - RLB_HDR_LEN);
    MD5_Update(&ctx, s->data, s->len);
    MD5_Final(out, &ctx);
}

bool
rlb_pkt_acct_request_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
                        const struct rlb_secret *s)
{
    uint8_t d[RLB_MD5_LEN];

    authenticator(pkt, info->len, zero16, s, d);
    return rlb_digest_equal(d, pkt + 4, RLB_AUTH_LEN);
}

bool
rlb_pkt_reply_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
                 const uint8_t req_auth[RLB_AUTH_LEN], const struct rlb_secret *s)
{
    uint8_t d[RLB_MD5_LEN];

    authenticator(pkt, info->len, req_auth, s, d);
    return rlb_digest_equal(d, pkt + 4, RLB_AUTH_LEN);
}

void
rlb_pkt_sign(uint8_t *pkt, size_t len, uint16_t ma_off,
             const uint8_t req_auth[RLB_AUTH_LEN], const struct rlb_secret *s)
{
    uint8_t code = pkt[0];
    bool reply = code != RLB_ACCESS_REQUEST && code != RLB_ACCOUNTING_REQUEST &&
                 code != RLB_STATUS_SERVER;

    rlb_put16(pkt + 2, (uint16_t)len);
    if (code == RLB_ACCOUNTING_REQUEST)
        memset(pkt + 4, 0, RLB_AUTH_LEN);
    else if (reply)
        memcpy(pkt + 4, req_auth, RLB_AUTH_LEN);

    if (ma_off) {
        pkt[ma_off] = RLB_ATTR_MESSAGE_AUTHENTICATOR;
        pkt[ma_off + 1] = RLB_MA_LEN;
        memset(pkt + ma_off + 2, 0, RLB_AUTH_LEN);
        rlb_hmac_md5(s, pkt, len, pkt + ma_off + 2);
    }
    if (code == RLB_ACCOUNTING_REQUEST || reply) {
        uint8_t d[RLB_MD5_LEN];

        rlb_md5_then_secret(s, pkt, len, d);
        memcpy(pkt + 4, d, RLB_AUTH_LEN);
    }
}

/* ------------------------------------------------------------------ */
/* Rewriting                                                          */

/* Re-encryption of hidden attributes from one (secret, authenticator)
 * to another. */
struct recrypt {
    const struct rlb_secret *from;
    const uint8_t           *from_auth;
    const struct rlb_secret *to;
    const uint8_t           *to_auth;
    const uint8_t           *salt_seed;  /* NULL: random salts */
    unsigned                 nsalt;
    uint16_t                 salts[32];  /* salts used in this packet */
};

static uint16_t
new_salt(struct recrypt *rc)
{
    uint16_t salt;
    bool clash;

    if (rc->salt_seed) {
        /* Deterministic per (authenticator, position): a retransmitted
         * request rebuilds the same bytes. */
        unsigned i = (rc->nsalt * 2) % RLB_AUTH_LEN;
        salt = (uint16_t)((rc->salt_seed[i] << 8) | rc->salt_seed[i + 1]);
        salt = (uint16_t)(salt + rc->nsalt);
    } else {
        uint8_t r[2];

        rlb_random_bytes(r, sizeof(r));
        salt = (uint16_t)((r[0] << 8) | r[1]);
    }
    salt |= 0x8000;
    do {
        clash = false;
        for (unsigned i = 0; i < rc->nsalt && i < 32; i++) {
            if (rc->salts[i] == salt) {
                salt = (uint16_t)(0x8000 | ((salt + 1) & 0x7fff));
                clash = true;
            }
        }
    } while (clash);
    if (rc->nsalt < 32)
        rc->salts[rc->nsalt] = salt;
    rc->nsalt++;
    return salt;
}

static rlb_drop_t
recrypt_one(void *arg, const struct attr_ref *a)
{
    struct recrypt *rc = arg;
    struct rlb_attr_props p;
    uint8_t seed[RLB_AUTH_LEN + 2];
    uint8_t *v = a->value;
    size_t n = a->vlen;

    rlb_dict_props(a->vendor, a->type, &p);
    if (!p.known || !p.encrypt)
        return RLB_DROP_NONE;
    if (!encrypted_len_ok(&p, a))
        return RLB_DROP_BAD_ATTRIBUTE;

    switch (p.encrypt) {
    case RLB_ENCRYPT_USER_PW:
        rlb_keystream_unhide(rc->from, rc->from_auth, RLB_AUTH_LEN, v, n);
        rlb_keystream_hide(rc->to, rc->to_auth, RLB_AUTH_LEN, v, n);
        break;
    case RLB_ENCRYPT_TUNNEL_PW: {
        uint16_t salt;

        if (p.has_tag) {
            v++;
            n--;
        }
        memcpy(seed, rc->from_auth, RLB_AUTH_LEN);
        memcpy(seed + RLB_AUTH_LEN, v, 2);
        rlb_keystream_unhide(rc->from, seed, sizeof(seed), v + 2, n - 2);
        salt = new_salt(rc);
        rlb_put16(v, salt);
        memcpy(seed, rc->to_auth, RLB_AUTH_LEN);
        memcpy(seed + RLB_AUTH_LEN, v, 2);
        rlb_keystream_hide(rc->to, seed, sizeof(seed), v + 2, n - 2);
        break;
    }
    case RLB_ENCRYPT_ASCEND:
        rlb_ascend_secret_xor(rc->from, rc->from_auth, v, n);
        rlb_ascend_secret_xor(rc->to, rc->to_auth, v, n);
        break;
    default:
        break;
    }
    return RLB_DROP_NONE;
}

/* Copies the attributes of in into out after the header, with a
 * Message-Authenticator placeholder first when ma_first, dropping the
 * original one, and leaves extra octets at the end for the caller. Returns
 * the new length (extra included) or 0 when it would not fit. */
static size_t
copy_attrs(const uint8_t *in, const struct rlb_pkt_info *info, bool ma_first,
           size_t extra, uint8_t *out, size_t outsize)
{
    size_t attrs = info->len - RLB_HDR_LEN - (info->ma_off ? RLB_MA_LEN : 0u);
    size_t total = RLB_HDR_LEN + (ma_first ? RLB_MA_LEN : 0u) + attrs + extra;
    uint8_t *p = out + RLB_HDR_LEN;

    if (total > RLB_PKT_MAX || total > outsize)
        return 0;
    if (ma_first) {
        p[0] = RLB_ATTR_MESSAGE_AUTHENTICATOR;
        p[1] = RLB_MA_LEN;
        memset(p + 2, 0, RLB_AUTH_LEN);
        p += RLB_MA_LEN;
    }
    if (info->ma_off) {
        size_t before = info->ma_off - RLB_HDR_LEN;
        size_t after = info->len - info->ma_off - RLB_MA_LEN;

        memcpy(p, in + RLB_HDR_LEN, before);
        memcpy(p + before, in + info->ma_off + RLB_MA_LEN, after);
        p += before + after;
    } else {
        memcpy(p, in + RLB_HDR_LEN, attrs);
        p += attrs;
    }
    return (size_t)(p - out) + extra;
}

size_t
rlb_pkt_replace_attr(const uint8_t *in, const struct rlb_pkt_info *info, const uint8_t *value,
                     const uint8_t *nv, size_t nvlen, uint8_t *out, size_t outsize)
{
    size_t at = (size_t)(value - in) - 2, old = in[at + 1];
    size_t len = info->len - old + 2 + nvlen;

    if (value < in + RLB_HDR_LEN + 2 || at + old > info->len || nvlen > 253 || len > outsize ||
        len > RLB_PKT_MAX)
        return 0;
    memcpy(out, in, at);
    out[at] = in[at];
    out[at + 1] = (uint8_t)(2 + nvlen);
    memcpy(out + at + 2, nv, nvlen);
    memcpy(out + at + 2 + nvlen, in + at + old, info->len - at - old);
    rlb_put16(out + 2, (uint16_t)len);
    return len;
}

ssize_t
rlb_pkt_build_request(const uint8_t *in, const struct rlb_pkt_info *info,
                      const struct rlb_secret *client_secret,
                      const struct rlb_secret *server_secret,
                      uint8_t id, const uint8_t auth[RLB_AUTH_LEN],
                      uint8_t *out, size_t outsize, rlb_drop_t *why)
{
    bool access = info->code == RLB_ACCESS_REQUEST;
    bool ma = access || info->ma_off;
    bool add_chap = access && info->chap_password_off && !info->chap_challenge_off;
    struct recrypt rc;
    size_t len;

    len = copy_attrs(in, info, ma, add_chap ? 2 + RLB_AUTH_LEN : 0, out, outsize);
    if (!len) {
        *why = RLB_DROP_TOO_BIG;
        return -1;
    }
    out[0] = info->code;
    out[1] = id;
    rlb_put16(out + 2, (uint16_t)len);

    /* RFC 2865 2.3: CHAP-Password was computed over the client's Request
     * Authenticator; the server must find it in CHAP-Challenge. */
    if (add_chap) {
        out[len - 18] = RLB_ATTR_CHAP_CHALLENGE;
        out[len - 17] = 2 + RLB_AUTH_LEN;
        memcpy(out + len - 16, in + 4, RLB_AUTH_LEN);
    }

    /* Accounting hides attributes with an all-zero vector (FreeRADIUS). */
    memset(&rc, 0, sizeof(rc));
    rc.from = client_secret;
    rc.from_auth = access ? in + 4 : zero16;
    rc.to = server_secret;
    rc.to_auth = access ? auth : zero16;
    /* Salts derived from the authenticator so that a retransmission
     * rebuilds the same bytes (an accounting retransmission must keep
     * its authenticator); the client's accounting authenticator is a
     * digest of the packet, unique per record. */
    rc.salt_seed = access ? auth : in + 4;
    *why = walk_attrs(out, len, recrypt_one, &rc);
    if (*why != RLB_DROP_NONE)
        return -1;

    if (access)
        memcpy(out + 4, auth, RLB_AUTH_LEN);
    rlb_pkt_sign(out, len, ma ? RLB_HDR_LEN : 0, NULL, server_secret);
    return (ssize_t)len;
}

ssize_t
rlb_pkt_build_reply(const uint8_t *in, const struct rlb_pkt_info *info,
                    const struct rlb_secret *server_secret,
                    const uint8_t sent_auth[RLB_AUTH_LEN],
                    const struct rlb_secret *client_secret,
                    uint8_t client_id, const uint8_t client_auth[RLB_AUTH_LEN],
                    uint8_t *out, size_t outsize, rlb_drop_t *why)
{
    bool ma = info->code != RLB_ACCOUNTING_RESPONSE || info->ma_off;
    struct recrypt rc;
    size_t len;

    len = copy_attrs(in, info, ma, 0, out, outsize);
    if (!len) {
        *why = RLB_DROP_TOO_BIG;
        return -1;
    }
    out[0] = info->code;
    out[1] = client_id;
    rlb_put16(out + 2, (uint16_t)len);

    memset(&rc, 0, sizeof(rc));
    rc.from = server_secret;
    rc.from_auth = sent_auth;
    rc.to = client_secret;
    rc.to_auth = client_auth;
    *why = walk_attrs(out, len, recrypt_one, &rc);
    if (*why != RLB_DROP_NONE)
        return -1;

    rlb_pkt_sign(out, len, ma ? RLB_HDR_LEN : 0, client_auth, client_secret);
    return (ssize_t)len;
}

ssize_t
rlb_pkt_build_local_reply(uint8_t code, uint8_t id, bool ma, const uint8_t req_auth[RLB_AUTH_LEN],
                          const struct rlb_secret *s, const char *reply_message,
                          const uint8_t *proxy_state, size_t proxy_state_len,
                          uint8_t *out, size_t outsize)
{
    size_t msglen = reply_message ? strlen(reply_message) : 0;
    size_t len = RLB_HDR_LEN + (ma ? RLB_MA_LEN : 0) + proxy_state_len;
    uint8_t *p;

    /* Reply-Message may be longer than one attribute: split it
     * (RFC 2865 5.18: concatenated in order). */
    len += msglen + 2 * ((msglen + 252) / 253);
    if (len > outsize || len > RLB_PKT_MAX)
        return -1;

    out[0] = code;
    out[1] = id;
    p = out + RLB_HDR_LEN + (ma ? RLB_MA_LEN : 0);
    for (size_t off = 0; off < msglen;) {
        size_t chunk = msglen - off > 253 ? 253 : msglen - off;

        p[0] = RLB_ATTR_REPLY_MESSAGE;
        p[1] = (uint8_t)(chunk + 2);
        memcpy(p + 2, reply_message + off, chunk);
        p += chunk + 2;
        off += chunk;
    }
    if (proxy_state_len) {
        memcpy(p, proxy_state, proxy_state_len);
        p += proxy_state_len;
    }
    rlb_pkt_sign(out, (size_t)(p - out), ma ? RLB_HDR_LEN : 0, req_auth, s);
    return p - out;
}

/* ------------------------------------------------------------------ */
/* Attributes written in place                                         */

size_t
rlb_pkt_put_attr(uint8_t *pkt, size_t off, uint8_t type, const void *val, size_t len)
{
    pkt[off] = type;
    pkt[off + 1] = (uint8_t)(len + 2);
    memcpy(pkt + off + 2, val, len);
    return off + 2 + len;
}

size_t
rlb_pkt_add_acct_delay(uint8_t *pkt, size_t len, double delay)
{
    uint32_t d = delay > 0 ? (uint32_t)(delay + 0.5) : 0;
    uint8_t v[4];

    for (size_t off = RLB_HDR_LEN; off + 2 <= len && pkt[off + 1] >= 2; off += pkt[off + 1]) {
        if (pkt[off] == RLB_ATTR_ACCT_DELAY_TIME && pkt[off + 1] == 6) {
            rlb_put32(pkt + off + 2, rlb_get32(pkt + off + 2) + d);
            return len;
        }
    }
    if (!d || len + 6 > RLB_PKT_MAX)
        return len;
    rlb_put32(v, d);
    len = rlb_pkt_put_attr(pkt, len, RLB_ATTR_ACCT_DELAY_TIME, v, sizeof(v));
    rlb_put16(pkt + 2, (uint16_t)len);
    return len;
}

size_t
rlb_pkt_build_status_server(uint8_t id, const uint8_t auth[RLB_AUTH_LEN],
                            const struct rlb_secret *secret, uint8_t *pkt)
{
    pkt[0] = RLB_STATUS_SERVER;
    pkt[1] = id;
    memcpy(pkt + 4, auth, RLB_AUTH_LEN);
    rlb_pkt_sign(pkt, RLB_HDR_LEN + RLB_MA_LEN, RLB_HDR_LEN, NULL, secret);
    return RLB_HDR_LEN + RLB_MA_LEN;
}

size_t
rlb_pkt_build_login(uint8_t id, const uint8_t auth[RLB_AUTH_LEN], const struct rlb_secret *secret,
                    const char *user, const char *password, const uint8_t *state,
                    size_t statelen, const char *nas_id, uint8_t *pkt)
{
    uint8_t pw[128] = { 0 };
    size_t ulen = strlen(user), plen = strlen(password), off, pwlen;

    if (ulen > 253)
        ulen = 253;
    if (plen > sizeof(pw))
        plen = sizeof(pw);
    pwlen = plen ? (plen + 15) / 16 * 16 : 16;
    memcpy(pw, password, plen);
    rlb_keystream_hide(secret, auth, RLB_AUTH_LEN, pw, pwlen);
    pkt[0] = RLB_ACCESS_REQUEST;
    pkt[1] = id;
    memcpy(pkt + 4, auth, RLB_AUTH_LEN);
    off = RLB_HDR_LEN + RLB_MA_LEN;
    off = rlb_pkt_put_attr(pkt, off, RLB_ATTR_USER_NAME, user, ulen);
    off = rlb_pkt_put_attr(pkt, off, RLB_ATTR_USER_PASSWORD, pw, pwlen);
    if (state && statelen)
        off = rlb_pkt_put_attr(pkt, off, RLB_ATTR_STATE, state, statelen);
    off = rlb_pkt_put_attr(pkt, off, RLB_ATTR_NAS_IDENTIFIER, nas_id, strlen(nas_id));
    rlb_pkt_sign(pkt, off, RLB_HDR_LEN, NULL, secret);
    OPENSSL_cleanse(pw, sizeof(pw));
    return off;
}
