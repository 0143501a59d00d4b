/*
 * check_pkt.c: unit tests of src/wire/pkt.c: structural validation with the
 * exact drop reason, typed attribute checks, authenticator and
 * Message-Authenticator verification (RFC 2865 section 7.1 vectors), and
 * the request, reply and local-reply rewrites, cross-checked against
 * libfreeradius (fr_xcheck.c) rather than against radlb's own crypto.
 *
 * rfc-checklist.md items 1-11, 27-29, 31, 32.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "dict.h"
#include "drop.h"
#include "pkt.h"

#include "fr_xcheck.h"
#include "testutil.h"

#define SECRET_A "client-secret-A-7x2q"        /* client <-> radlb */
#define SECRET_B "server-secret-B-longer-k9w3m" /* radlb <-> server */

static struct rlb_secret sa, sb;

static const uint8_t zero16[16];

/* The packet header as bytes: code, Identifier, Length. */
#define HDR(code, id, len) (code), (id), (uint8_t)((len) >> 8), (uint8_t)((len) & 0xff)
/* Some Request Authenticator. */
#define AUTH 0x5a, 0x11, 0x93, 0x0c, 0xe2, 0x47, 0x18, 0xb6, \
             0x70, 0x2d, 0xc4, 0x39, 0x8e, 0x05, 0xf1, 0x6b
/* A Message-Authenticator whose value is not checked by rlb_pkt_parse. */
#define MA_ATTR 80, 18, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, \
                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
/* Wire forms of the vendors used below. */
#define V_ASCEND    0x00, 0x00, 0x02, 0x11     /* 529 */
#define V_MICROSOFT 0x00, 0x00, 0x01, 0x37     /* 311 */
#define V_WIMAX     0x00, 0x00, 0x60, 0xb5     /* 24757 */
#define V_CISCO     0x00, 0x00, 0x00, 0x09     /* 9 */
#define V_UNKNOWN   0x00, 0x01, 0x86, 0x9f     /* 99999: no dictionary */

/* RFC 2865 section 7.1, secret "xyzzy5461": Access-Request for "nemo"
 * with password "arctangent", and the server's Access-Accept. */
static const uint8_t rfc2865_7_1_request[] = {
    0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb,
    0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12, 0x0d, 0xbe, 0x70, 0x8d,
    0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8,
    0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03,
};
static const uint8_t rfc2865_7_1_accept[] = {
    0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf,
    0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00,
    0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03,
};
/* RFC 2865 section 7.2: CHAP-Password (id 22) for "flopsy", no CHAP-Challenge. */
static const uint8_t rfc2865_7_2_request[] = {
    0x01, 0x01, 0x00, 0x47, 0x2a, 0xee, 0x86, 0xf0, 0x8d, 0x0d, 0x55, 0x96, 0x9c, 0xa5, 0x97, 0x8e,
    0x0d, 0x33, 0x67, 0xa2, 0x01, 0x08, 0x66, 0x6c, 0x6f, 0x70, 0x73, 0x79, 0x03, 0x13, 0x16, 0xe9,
    0x75, 0x57, 0xc3, 0x16, 0x18, 0x58, 0x95, 0xf2, 0x93, 0xff, 0x63, 0x44, 0x07, 0x72, 0x75, 0x04,
    0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x14, 0x06, 0x06, 0x00, 0x00, 0x00,
    0x02, 0x07, 0x06, 0x00, 0x00, 0x00, 0x01,
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

#define ck_assert_drop(got, want)                                                         \
    do {                                                                                  \
        rlb_drop_t got_ = (got), want_ = (want);                                          \
        ck_assert_msg(got_ == want_, "drop reason %s, expected %s", rlb_drop_name(got_), \
                      rlb_drop_name(want_));                                              \
    } while (0)

static uint8_t pbuf[8192];

/* Parses a copy of pkt[0..n) (rlb_pkt_parse may write to it) in pbuf. */
static rlb_drop_t
parse_n(const uint8_t *pkt, size_t n, bool require_ma, struct rlb_pkt_info *info,
        size_t *len_out)
{
    size_t len = n;
    rlb_drop_t why;

    ck_assert_uint_le(n, sizeof(pbuf));
    memcpy(pbuf, pkt, n);
    why = rlb_pkt_parse(pbuf, &len, require_ma, info);
    if (len_out)
        *len_out = len;
    return why;
}

static rlb_drop_t
parse(const uint8_t *pkt, size_t n, bool require_ma)
{
    struct rlb_pkt_info info;

    return parse_n(pkt, n, require_ma, &info, NULL);
}

/* The packet must parse; returns what rlb_pkt_check_attrs says. */
static rlb_drop_t
check_attrs(const uint8_t *pkt, size_t n)
{
    struct rlb_pkt_info info;

    ck_assert_drop(parse_n(pkt, n, false, &info, NULL), RLB_DROP_NONE);
    return rlb_pkt_check_attrs(pbuf, &info);
}

static void
dict_setup(void)
{
    char err[512];

    if (rlb_dict_load(DICT_DIR, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    rlb_dict_set_max_attributes(200);
}

static void
secrets_setup(void)
{
    ck_assert_int_eq(rlb_secret_init(&sa, SECRET_A, strlen(SECRET_A)), 0);
    ck_assert_int_eq(rlb_secret_init(&sb, SECRET_B, strlen(SECRET_B)), 0);
}

static void
secrets_teardown(void)
{
    rlb_secret_free(&sa);
    rlb_secret_free(&sb);
}

/* Appends a User-Password hidden with secret/vector by libfreeradius. */
static size_t
tp_user_password(struct tpkt *p, const char *pw, size_t pwlen, const char *secret,
                 const uint8_t vector[16])
{
    uint8_t buf[256];
    size_t len = pwlen;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, pw, pwlen);
    ck_assert_int_eq(xfr_pwencode(buf, &len, secret, vector), 0);
    ck_assert_uint_eq(len % 16, 0);
    return tp_attr(p, 2, buf, len);
}

/* salt + encrypted form (libfreeradius) of plaintext, into enc. */
static size_t
tunnel_encode(uint8_t *enc, const void *plain, size_t plen, const char *secret,
              const uint8_t vector[16])
{
    uint8_t buf[256];
    size_t len = plen;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, plain, plen);
    ck_assert_int_ge(xfr_tunnel_pwencode(buf, &len, secret, vector), 0);
    memcpy(enc, buf, len);
    return len;
}

/* Decodes salt + encrypted data with libfreeradius; returns the length. */
static size_t
tunnel_decode(const uint8_t *enc, size_t enclen, uint8_t *plain, const char *secret,
              const uint8_t vector[16])
{
    uint8_t buf[256];
    size_t len = enclen;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, enc, enclen);
    ck_assert_int_ge(xfr_tunnel_pwdecode(buf, &len, secret, vector), 0);
    memcpy(plain, buf, len);
    return len;
}

static unsigned
count_attr(const uint8_t *pkt, size_t len, uint8_t type)
{
    unsigned n = 0;

    while (tp_find(pkt, len, type, n))
        n++;
    return n;
}

/* Copies the attributes of pkt other than Message-Authenticator. */
static size_t
attrs_without_ma(const uint8_t *pkt, size_t len, uint8_t *out)
{
    size_t n = 0;

    for (size_t off = 20; off < len; off += pkt[off + 1]) {
        ck_assert_uint_ge(pkt[off + 1], 2);
        if (pkt[off] == 80)
            continue;
        memcpy(out + n, pkt + off, pkt[off + 1]);
        n += pkt[off + 1];
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* rlb_pkt_parse: lengths                                             */

START_TEST(parse_rfc2865_request_info)
{
    struct rlb_pkt_info info;
    size_t len;

    ck_assert_drop(parse_n(rfc2865_7_1_request, sizeof(rfc2865_7_1_request), false, &info, &len),
                   RLB_DROP_NONE);
    ck_assert_uint_eq(len, sizeof(rfc2865_7_1_request));
    ck_assert_uint_eq(info.code, 1);
    ck_assert_uint_eq(info.id, 0);
    ck_assert_uint_eq(info.len, 56);
    ck_assert_uint_eq(info.ma_off, 0);
    ck_assert_uint_eq(info.n_ma, 0);
    ck_assert_uint_eq(info.n_proxy_state, 0);
    ck_assert_uint_eq(info.state_off, 0);
}
END_TEST

START_TEST(parse_info_offsets)
{
    static const uint8_t pkt[] = {
        HDR(1, 77, 20 + 5 + 4 + 18 + 6 + 19 + 4 + 18),
        AUTH,
        33, 5, 'p', 's', '1',                    /* 20: Proxy-State */
        24, 4, 's', 't',                         /* 25: State */
        MA_ATTR,                                 /* 29: Message-Authenticator */
        33, 6, 'p', 's', '2', '!',               /* 47: Proxy-State */
        3, 19, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* 53: CHAP-Password */
        24, 4, 'x', 'y',                         /* 72: a second State */
        60, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,   /* 76: CHAP-Challenge */
    };
    struct rlb_pkt_info info;

    ck_assert_drop(parse_n(pkt, sizeof(pkt), false, &info, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(info.code, 1);
    ck_assert_uint_eq(info.id, 77);
    ck_assert_uint_eq(info.len, sizeof(pkt));
    ck_assert_uint_eq(info.proxy_state_off, 20);
    ck_assert_uint_eq(info.proxy_state_len, 5 + 6);
    ck_assert_uint_eq(info.n_proxy_state, 2);
    ck_assert_uint_eq(info.state_off, 25);
    ck_assert_uint_eq(info.ma_off, 29);
    ck_assert_uint_eq(info.n_ma, 1);
    ck_assert_uint_eq(info.chap_password_off, 53);
    ck_assert_uint_eq(info.chap_challenge_off, 76);
}
END_TEST

START_TEST(parse_drop_datagram_shorter_than_20)
{
    /* The RFC 2865 7.1 request cut to 19 octets. */
    static const uint8_t pkt[19] = { HDR(1, 0, 56), 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80,
                                     0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22 };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_TOO_SHORT);
    ck_assert_drop(parse(pkt, 4, false), RLB_DROP_TOO_SHORT);
    ck_assert_drop(parse(pkt, 0, false), RLB_DROP_TOO_SHORT);
}
END_TEST

START_TEST(parse_drop_datagram_longer_than_4096)
{
    static uint8_t pkt[4097];

    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 1;
    pkt[3] = 20;                   /* Length 20, padding after it */
    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_TOO_LONG);
}
END_TEST

START_TEST(parse_drop_length_field_below_20)
{
    static const uint8_t pkt[] = { HDR(1, 0, 19), AUTH };
    static const uint8_t pkt0[] = { HDR(1, 0, 0), AUTH };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_TOO_SHORT);
    ck_assert_drop(parse(pkt0, sizeof(pkt0), false), RLB_DROP_TOO_SHORT);
}
END_TEST

START_TEST(parse_drop_length_field_above_4096)
{
    static const uint8_t pkt[] = { HDR(1, 0, 4097), AUTH };
    static uint8_t big[4096];

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_TOO_LONG);
    /* A full-size datagram whose Length field claims one octet more. */
    memset(big, 0, sizeof(big));
    big[0] = 1;
    big[2] = 0x10;
    big[3] = 0x01;
    ck_assert_drop(parse(big, sizeof(big), false), RLB_DROP_TOO_LONG);
    big[2] = 0xff;
    big[3] = 0xff;
    ck_assert_drop(parse(big, sizeof(big), false), RLB_DROP_TOO_LONG);
}
END_TEST

START_TEST(parse_accepts_exactly_4096)
{
    struct tpkt p;
    uint8_t v[253];
    struct rlb_pkt_info info;
    size_t len;

    memset(v, 'x', sizeof(v));
    tp_init(&p, 1, 3, NULL);
    for (int i = 0; i < 15; i++)
        tp_attr(&p, 26, v, 253);   /* opaque VSAs, vendor 0x78787878 */
    tp_attr(&p, 18, v, 4096 - 20 - 15 * 255 - 2);
    ck_assert_uint_eq(p.len, 4096);
    ck_assert_drop(parse_n(p.b, p.len, false, &info, &len), RLB_DROP_NONE);
    ck_assert_uint_eq(len, 4096);
    ck_assert_uint_eq(info.len, 4096);
}
END_TEST

START_TEST(parse_drop_datagram_shorter_than_length)
{
    static const uint8_t pkt[] = { HDR(1, 0, 26), AUTH, 1, 6, 'n', 'e', 'm' };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_LENGTH_MISMATCH);
    ck_assert_drop(parse(rfc2865_7_1_request, sizeof(rfc2865_7_1_request) - 1, false),
                   RLB_DROP_LENGTH_MISMATCH);
}
END_TEST

START_TEST(parse_accepts_datagram_longer_than_length)
{
    /* Length 26: one User-Name; then 9 octets of padding that would be
     * broken attributes (type 0, length 0, overflow) if they were read. */
    static const uint8_t pkt[] = {
        HDR(1, 9, 26), AUTH, 1, 6, 'n', 'e', 'm', 'o',
        0, 0, 2, 1, 80, 17, 0xff, 0xff, 0xff,
    };
    struct rlb_pkt_info info;
    size_t len;

    ck_assert_drop(parse_n(pkt, sizeof(pkt), false, &info, &len), RLB_DROP_NONE);
    ck_assert_uint_eq(len, 26);
    ck_assert_uint_eq(info.len, 26);
    ck_assert_uint_eq(info.ma_off, 0);
    ck_assert_drop(rlb_pkt_check_attrs(pbuf, &info), RLB_DROP_NONE);
    /* The bytes inside Length are untouched. */
    ck_assert_mem_eq(pbuf, pkt, 26);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rlb_pkt_parse: attribute framing                                   */

START_TEST(parse_drop_attribute_length_0)
{
    static const uint8_t pkt[] = { HDR(1, 0, 28), AUTH, 1, 6, 'n', 'e', 'm', 'o', 4, 0 };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MALFORMED_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_attribute_length_1)
{
    static const uint8_t pkt[] = { HDR(1, 0, 22), AUTH, 1, 1 };
    static const uint8_t pkt2[] = { HDR(1, 0, 28), AUTH, 18, 1, 1, 6, 'n', 'e', 'm', 'o' };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MALFORMED_ATTRIBUTES);
    ck_assert_drop(parse(pkt2, sizeof(pkt2), false), RLB_DROP_MALFORMED_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_attribute_overflow)
{
    static const uint8_t pkt[] = { HDR(1, 0, 26), AUTH, 1, 6, 'n', 'e', 'm', 'o' };
    static const uint8_t over[] = { HDR(1, 0, 26), AUTH, 1, 7, 'n', 'e', 'm', 'o' };
    static const uint8_t over2[] = { HDR(1, 0, 30), AUTH, 1, 6, 'n', 'e', 'm', 'o', 18, 255, 'a', 'b' };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_NONE);
    ck_assert_drop(parse(over, sizeof(over), false), RLB_DROP_MALFORMED_ATTRIBUTES);
    ck_assert_drop(parse(over2, sizeof(over2), false), RLB_DROP_MALFORMED_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_attributes_not_filling_packet)
{
    /* One octet left after the last attribute: a header that cannot fit. */
    static const uint8_t pkt[] = { HDR(1, 0, 27), AUTH, 1, 6, 'n', 'e', 'm', 'o', 5 };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MALFORMED_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_attribute_type_0)
{
    static const uint8_t pkt[] = { HDR(1, 0, 29), AUTH, 1, 6, 'n', 'e', 'm', 'o', 0, 3, 'x' };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MALFORMED_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_ma_not_18)
{
    static const uint8_t ma17[] = {
        HDR(1, 0, 37), AUTH, 80, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };
    static const uint8_t ma19[] = {
        HDR(1, 0, 39), AUTH, 80, 19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    };
    static const uint8_t ma2[] = { HDR(1, 0, 22), AUTH, 80, 2 };

    ck_assert_drop(parse(ma17, sizeof(ma17), false), RLB_DROP_MA_INVALID_LENGTH);
    ck_assert_drop(parse(ma19, sizeof(ma19), false), RLB_DROP_MA_INVALID_LENGTH);
    ck_assert_drop(parse(ma2, sizeof(ma2), false), RLB_DROP_MA_INVALID_LENGTH);
}
END_TEST

START_TEST(parse_drop_two_ma)
{
    static const uint8_t pkt[] = {
        HDR(1, 0, 20 + 18 + 6 + 18), AUTH, MA_ATTR, 1, 6, 'n', 'e', 'm', 'o', MA_ATTR,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MA_DUPLICATE);
    ck_assert_drop(parse(pkt, sizeof(pkt), true), RLB_DROP_MA_DUPLICATE);
}
END_TEST

START_TEST(parse_drop_eap_without_ma)
{
    static const uint8_t pkt[] = {
        HDR(1, 0, 20 + 6 + 7), AUTH, 1, 6, 'n', 'e', 'm', 'o', 79, 7, 2, 1, 0, 5, 1,
    };
    static const uint8_t with_ma[] = {
        HDR(1, 0, 20 + 6 + 7 + 18), AUTH, 1, 6, 'n', 'e', 'm', 'o', 79, 7, 2, 1, 0, 5, 1, MA_ATTR,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MA_MISSING);
    ck_assert_drop(parse(with_ma, sizeof(with_ma), false), RLB_DROP_NONE);
}
END_TEST

START_TEST(parse_drop_require_ma_without_ma)
{
    ck_assert_drop(parse(rfc2865_7_1_request, sizeof(rfc2865_7_1_request), true), RLB_DROP_MA_MISSING);
    ck_assert_drop(parse(rfc2865_7_1_request, sizeof(rfc2865_7_1_request), false), RLB_DROP_NONE);
}
END_TEST

START_TEST(parse_drop_status_server_without_ma)
{
    static const uint8_t pkt[] = { HDR(12, 5, 26), AUTH, 1, 6, 'n', 'e', 'm', 'o' };
    static const uint8_t with_ma[] = { HDR(12, 5, 38), AUTH, MA_ATTR };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_MA_MISSING);
    ck_assert_drop(parse(with_ma, sizeof(with_ma), false), RLB_DROP_NONE);
}
END_TEST

START_TEST(parse_drop_too_many_attributes)
{
    struct tpkt p;

    rlb_dict_set_max_attributes(200);
    tp_init(&p, 1, 0, NULL);
    for (int i = 0; i < 200; i++)
        tp_attr(&p, 18, NULL, 0);  /* empty Reply-Message */
    ck_assert_drop(parse(p.b, p.len, false), RLB_DROP_NONE);
    tp_attr(&p, 18, NULL, 0);
    ck_assert_drop(parse(p.b, p.len, false), RLB_DROP_TOO_MANY_ATTRIBUTES);
}
END_TEST

START_TEST(parse_drop_eap_with_user_password)
{
    static const uint8_t pkt[] = {
        HDR(1, 0, 20 + 6 + 18 + 7 + 18), AUTH,
        1, 6, 'n', 'e', 'm', 'o',
        2, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        79, 7, 2, 1, 0, 5, 1,
        MA_ATTR,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_EAP_AND_PASSWORD);
}
END_TEST

START_TEST(parse_drop_unknown_code)
{
    static const uint8_t code0[] = { HDR(0, 0, 26), AUTH, 1, 6, 'n', 'e', 'm', 'o' };
    static const uint8_t code255[] = { HDR(255, 0, 26), AUTH, 1, 6, 'n', 'e', 'm', 'o' };

    ck_assert_drop(parse(code0, sizeof(code0), false), RLB_DROP_UNEXPECTED_CODE);
    ck_assert_drop(parse(code255, sizeof(code255), false), RLB_DROP_UNEXPECTED_CODE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Unknown attributes and odd order                                   */

START_TEST(unknown_attribute_type_200_passes)
{
    static const uint8_t pkt[] = {
        HDR(1, 0, 20 + 6 + 7 + 2), AUTH,
        1, 6, 'n', 'e', 'm', 'o',
        200, 7, 0xde, 0xad, 0xbe, 0xef, 0,
        200, 2,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(pkt, sizeof(pkt)), RLB_DROP_NONE);
}
END_TEST

START_TEST(unknown_vendor_vsa_passes)
{
    /* Vendor 99999 (not in the dictionary) with contents that frame as
     * nothing; a VSA too short for a vendor; a known vendor (Cisco) whose
     * sub-attribute overflows the VSA; a known vendor's unknown
     * sub-attribute. */
    static const uint8_t pkt[] = {
        HDR(4, 0, 20 + 9 + 6 + 10 + 11), AUTH,
        26, 9, V_UNKNOWN, 0xff, 0x01, 0x02,
        26, 6, V_CISCO,
        26, 10, V_CISCO, 1, 20, 'x', 'y',
        26, 11, V_MICROSOFT, 250, 5, 1, 2, 3,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), false), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(pkt, sizeof(pkt)), RLB_DROP_NONE);
}
END_TEST

START_TEST(odd_attribute_order_passes)
{
    /* Message-Authenticator last, Proxy-State first, User-Name after
     * the rest, two States. */
    static const uint8_t pkt[] = {
        HDR(1, 0, 20 + 4 + 4 + 6 + 3 + 6 + 4 + 18), AUTH,
        33, 4, 0xaa, 0xbb,
        24, 4, 's', '1',
        5, 6, 0, 0, 0, 7,
        24, 3, 'z',
        1, 6, 'n', 'e', 'm', 'o',
        33, 4, 0xcc, 0xdd,
        MA_ATTR,
    };

    ck_assert_drop(parse(pkt, sizeof(pkt), true), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(pkt, sizeof(pkt)), RLB_DROP_NONE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rlb_pkt_check_attrs                                                */

START_TEST(check_tunnel_password_lengths)
{
    /* value = tag + salt + k*16 */
    struct tpkt p;
    uint8_t v[64];
    static const size_t good[] = { 1 + 2 + 16, 1 + 2 + 32, 1 + 2 + 48 };
    static const size_t bad[] = {
        0, 1, 2, 3, 1 + 2 + 1, 1 + 2 + 15, 1 + 2 + 17, 1 + 2 + 31, 1 + 2 + 33,
    };

    fill_pattern(v, sizeof(v), 1);
    v[0] = 1;                      /* tag */
    v[1] |= 0x80;                  /* salt */
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        tp_init(&p, 2, 0, NULL);
        tp_attr(&p, 69, v, good[i]);
        ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_NONE, "Tunnel-Password of %zu octets",
                      good[i]);
    }
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        tp_init(&p, 2, 0, NULL);
        tp_attr(&p, 69, v, bad[i]);
        ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_BAD_ATTRIBUTE,
                      "Tunnel-Password of %zu octets not dropped", bad[i]);
    }
}
END_TEST

START_TEST(check_mppe_key_lengths)
{
    /* value = salt + k*16 (no tag) */
    struct tpkt p;
    uint8_t v[64];
    static const size_t good[] = { 2 + 16, 2 + 32, 2 + 48 };
    static const size_t bad[] = { 0, 1, 2, 2 + 15, 2 + 17, 2 + 33, 2 + 47, 2 + 49 };

    fill_pattern(v, sizeof(v), 2);
    v[0] |= 0x80;
    for (int type = 16; type <= 17; type++) {      /* Send-Key, Recv-Key */
        for (size_t i = 0; i < N_ELEMS(good); i++) {
            tp_init(&p, 2, 0, NULL);
            tp_vsa(&p, 311, (uint8_t)type, v, good[i]);
            ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_NONE, "MS-MPPE key %d of %zu octets",
                          type, good[i]);
        }
        for (size_t i = 0; i < N_ELEMS(bad); i++) {
            tp_init(&p, 2, 0, NULL);
            tp_vsa(&p, 311, (uint8_t)type, v, bad[i]);
            ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_BAD_ATTRIBUTE,
                          "MS-MPPE key %d of %zu octets not dropped", type, bad[i]);
        }
    }
}
END_TEST

START_TEST(check_mppe_key_literal)
{
    /* MS-MPPE-Send-Key with 33 octets of value (salt + 31): dropped. */
    static const uint8_t bad[] = {
        HDR(2, 0, 20 + 41), AUTH,
        26, 41, V_MICROSOFT, 16, 35,
        0x80, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };

    ck_assert_drop(check_attrs(bad, sizeof(bad)), RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

START_TEST(check_user_password_lengths)
{
    struct tpkt p;
    uint8_t v[160];
    static const size_t good[] = { 16, 32, 48, 112, 128 };
    static const size_t bad[] = { 0, 1, 15, 17, 31, 127, 129, 144 };

    fill_pattern(v, sizeof(v), 3);
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        tp_init(&p, 1, 0, NULL);
        tp_attr(&p, 2, v, good[i]);
        ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_NONE, "User-Password of %zu octets", good[i]);
    }
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        tp_init(&p, 1, 0, NULL);
        tp_attr(&p, 2, v, bad[i]);
        ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_BAD_ATTRIBUTE,
                      "User-Password of %zu octets not dropped", bad[i]);
    }
}
END_TEST

START_TEST(check_ascend_data_filter)
{
    unsigned vendor, attr;
    struct tpkt p;
    uint8_t f[40];

    /* Ascend-Data-Filter is the abinary attribute of this dictionary. */
    ck_assert_int_eq(rlb_dict_attr_by_name("Ascend-Data-Filter", &vendor, &attr), 0);
    ck_assert_uint_eq(vendor, 529);
    ck_assert_uint_eq(attr, 242);

    /* An IP filter: type 1, forward, direction in, then 29 octets. */
    memset(f, 0, sizeof(f));
    f[0] = 1;
    f[1] = 1;
    f[2] = 0;
    f[4] = 192;
    f[5] = 0;
    f[6] = 2;
    f[7] = 1;
    tp_init(&p, 2, 0, NULL);
    tp_vsa(&p, 529, 242, f, 32);
    ck_assert_drop(check_attrs(p.b, p.len), RLB_DROP_NONE);

    /* Wrong lengths. */
    for (size_t n = 0; n <= 40; n++) {
        if (n == 32)
            continue;
        tp_init(&p, 2, 0, NULL);
        tp_vsa(&p, 529, 242, f, n);
        ck_assert_msg(check_attrs(p.b, p.len) == RLB_DROP_BAD_ATTRIBUTE,
                      "Ascend-Data-Filter of %zu octets not dropped", n);
    }
    /* Right length, impossible type and direction. */
    f[0] = 7;
    tp_init(&p, 2, 0, NULL);
    tp_vsa(&p, 529, 242, f, 32);
    ck_assert_drop(check_attrs(p.b, p.len), RLB_DROP_BAD_ATTRIBUTE);
    f[0] = 1;
    f[2] = 2;
    tp_init(&p, 2, 0, NULL);
    tp_vsa(&p, 529, 242, f, 32);
    ck_assert_drop(check_attrs(p.b, p.len), RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

START_TEST(check_ascend_data_filter_literal)
{
    /* Ascend-Data-Filter with 10 octets: the CVE-2022-41861 shape. */
    static const uint8_t bad[] = {
        HDR(2, 0, 20 + 18), AUTH, 26, 18, V_ASCEND, 242, 12, 1, 1, 0, 0, 192, 0, 2, 1, 0, 0,
    };

    ck_assert_drop(check_attrs(bad, sizeof(bad)), RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

START_TEST(check_ascend_send_secret_lengths)
{
    /* Ascend-Send-Secret (529/214, encrypt=3): 1 to 16 octets. */
    struct tpkt p;
    uint8_t v[20];

    fill_pattern(v, sizeof(v), 4);
    for (size_t n = 0; n <= 20; n++) {
        rlb_drop_t want = n >= 1 && n <= 16 ? RLB_DROP_NONE : RLB_DROP_BAD_ATTRIBUTE;

        tp_init(&p, 2, 0, NULL);
        tp_vsa(&p, 529, 214, v, n);
        ck_assert_msg(check_attrs(p.b, p.len) == want, "Ascend-Send-Secret of %zu octets", n);
    }
}
END_TEST

START_TEST(check_wimax_valid)
{
    /* One WiMAX-Capability; then a value split in two fragments (C bit). */
    static const uint8_t one[] = {
        HDR(2, 0, 20 + 12), AUTH, 26, 12, V_WIMAX, 1, 6, 0x00, 'a', 'b', 'c',
    };
    static const uint8_t two[] = {
        HDR(2, 0, 20 + 12 + 11), AUTH,
        26, 12, V_WIMAX, 1, 6, 0x80, 'a', 'b', 'c',
        26, 11, V_WIMAX, 1, 5, 0x00, 'd', 'e',
    };

    ck_assert_drop(check_attrs(one, sizeof(one)), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(two, sizeof(two)), RLB_DROP_NONE);
}
END_TEST

START_TEST(check_wimax_continuation_without_fragment)
{
    static const uint8_t last[] = {
        HDR(2, 0, 20 + 12), AUTH, 26, 12, V_WIMAX, 1, 6, 0x80, 'a', 'b', 'c',
    };
    static const uint8_t other_attr[] = {
        HDR(2, 0, 20 + 12 + 6), AUTH,
        26, 12, V_WIMAX, 1, 6, 0x80, 'a', 'b', 'c',
        1, 6, 'n', 'e', 'm', 'o',
    };
    static const uint8_t other_type[] = {
        HDR(2, 0, 20 + 12 + 11), AUTH,
        26, 12, V_WIMAX, 1, 6, 0x80, 'a', 'b', 'c',
        26, 11, V_WIMAX, 2, 5, 0x00, 'd', 'e',
    };
    static const uint8_t other_vendor[] = {
        HDR(2, 0, 20 + 12 + 10), AUTH,
        26, 12, V_WIMAX, 1, 6, 0x80, 'a', 'b', 'c',
        26, 10, V_CISCO, 1, 4, 'd', 'e',
    };
    static const uint8_t empty_first[] = {      /* C bit on an empty fragment */
        HDR(2, 0, 20 + 9 + 11), AUTH,
        26, 9, V_WIMAX, 1, 3, 0x80,
        26, 11, V_WIMAX, 1, 5, 0x00, 'd', 'e',
    };

    ck_assert_drop(check_attrs(last, sizeof(last)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(other_attr, sizeof(other_attr)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(other_type, sizeof(other_type)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(other_vendor, sizeof(other_vendor)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(empty_first, sizeof(empty_first)), RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

START_TEST(check_wimax_bad_sub_length)
{
    static const uint8_t too_long[] = {    /* sub-length 7 in a VSA with room for 6 */
        HDR(2, 0, 20 + 12), AUTH, 26, 12, V_WIMAX, 1, 7, 0x00, 'a', 'b', 'c',
    };
    static const uint8_t too_short[] = {   /* sub-length 5 leaves an octet over */
        HDR(2, 0, 20 + 12), AUTH, 26, 12, V_WIMAX, 1, 5, 0x00, 'a', 'b', 'c',
    };
    static const uint8_t below_3[] = {
        HDR(2, 0, 20 + 12), AUTH, 26, 12, V_WIMAX, 1, 2, 0x00, 'a', 'b', 'c',
    };
    static const uint8_t no_cflag[] = {    /* no room for the continuation octet */
        HDR(2, 0, 20 + 8), AUTH, 26, 8, V_WIMAX, 1, 2,
    };

    ck_assert_drop(check_attrs(too_long, sizeof(too_long)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(too_short, sizeof(too_short)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(below_3, sizeof(below_3)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(no_cflag, sizeof(no_cflag)), RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

START_TEST(check_empty_eap_message)
{
    static const uint8_t empty[] = { HDR(1, 0, 20 + 2 + 18), AUTH, 79, 2, MA_ATTR };
    static const uint8_t good[] = { HDR(1, 0, 20 + 7 + 18), AUTH, 79, 7, 2, 1, 0, 5, 1, MA_ATTR };

    ck_assert_drop(check_attrs(empty, sizeof(empty)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(good, sizeof(good)), RLB_DROP_NONE);
}
END_TEST

START_TEST(check_extended_attribute_too_short)
{
    static const uint8_t ext2[] = { HDR(2, 0, 22), AUTH, 241, 2 };
    static const uint8_t ext3[] = { HDR(2, 0, 23), AUTH, 241, 3, 1 };
    static const uint8_t ext244_2[] = { HDR(2, 0, 22), AUTH, 244, 2 };
    static const uint8_t long3[] = { HDR(2, 0, 23), AUTH, 245, 3, 1 };
    static const uint8_t long4[] = { HDR(2, 0, 24), AUTH, 245, 4, 1, 0 };
    static const uint8_t ext5[] = { HDR(2, 0, 25), AUTH, 241, 5, 1, 'a', 'b' };

    ck_assert_drop(check_attrs(ext2, sizeof(ext2)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(ext244_2, sizeof(ext244_2)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(long3, sizeof(long3)), RLB_DROP_BAD_ATTRIBUTE);
    ck_assert_drop(check_attrs(ext3, sizeof(ext3)), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(long4, sizeof(long4)), RLB_DROP_NONE);
    ck_assert_drop(check_attrs(ext5, sizeof(ext5)), RLB_DROP_NONE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Verification                                                       */

START_TEST(verify_rfc2865_accept)
{
    struct rlb_secret s;
    struct rlb_pkt_info info;
    uint8_t pkt[sizeof(rfc2865_7_1_accept)];
    const uint8_t *req_auth = rfc2865_7_1_request + 4;

    ck_assert_int_eq(rlb_secret_init(&s, "xyzzy5461", 9), 0);
    ck_assert_drop(parse_n(rfc2865_7_1_accept, sizeof(rfc2865_7_1_accept), false, &info, NULL),
                   RLB_DROP_NONE);
    memcpy(pkt, rfc2865_7_1_accept, sizeof(pkt));
    ck_assert(rlb_pkt_reply_ok(pkt, &info, req_auth, &s));
    /* Wrong secret, wrong request authenticator. */
    ck_assert(!rlb_pkt_reply_ok(pkt, &info, req_auth, &sa));
    ck_assert(!rlb_pkt_reply_ok(pkt, &info, zero16, &s));
    /* Every single flipped bit. */
    for (size_t bit = 0; bit < sizeof(pkt) * 8; bit++) {
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!rlb_pkt_reply_ok(pkt, &info, req_auth, &s), "bit %zu flipped, verifies", bit);
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ck_assert(rlb_pkt_reply_ok(pkt, &info, req_auth, &s));
    rlb_secret_free(&s);
}
END_TEST

START_TEST(verify_rfc2865_password)
{
    /* The known vector for User-Password (RFC 2865 5.2, 7.1): both
     * libfreeradius and radlb's keystream reveal "arctangent". */
    uint8_t buf[32];
    struct rlb_secret s;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, rfc2865_7_1_request + 28, 16);
    xfr_pwdecode(buf, 16, "xyzzy5461", rfc2865_7_1_request + 4);
    ck_assert_str_eq((char *)buf, "arctangent");

    ck_assert_int_eq(rlb_secret_init(&s, "xyzzy5461", 9), 0);
    memcpy(buf, rfc2865_7_1_request + 28, 16);
    rlb_keystream_unhide(&s, rfc2865_7_1_request + 4, 16, buf, 16);
    ck_assert_mem_eq(buf, "arctangent\0\0\0\0\0\0", 16);
    rlb_secret_free(&s);
}
END_TEST

START_TEST(verify_accounting_request)
{
    static const uint8_t body[] = {
        HDR(4, 31, 20 + 6 + 6 + 10), AUTH,
        1, 6, 'n', 'e', 'm', 'o',
        40, 6, 0, 0, 0, 1,                          /* Acct-Status-Type Start */
        44, 10, '0', '0', '0', '0', '0', '0', '4', '2', /* Acct-Session-Id */
    };
    uint8_t pkt[sizeof(body)];
    struct rlb_pkt_info info;

    memcpy(pkt, body, sizeof(pkt));
    xfr_sign(pkt, sizeof(pkt), 0, NULL, SECRET_A);
    ck_assert_drop(parse_n(pkt, sizeof(pkt), false, &info, NULL), RLB_DROP_NONE);
    ck_assert(rlb_pkt_acct_request_ok(pkt, &info, &sa));
    ck_assert(!rlb_pkt_acct_request_ok(pkt, &info, &sb));
    for (size_t bit = 0; bit < sizeof(pkt) * 8; bit++) {
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!rlb_pkt_acct_request_ok(pkt, &info, &sa), "bit %zu flipped, still verifies", bit);
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* The unsigned packet (random authenticator) does not verify. */
    ck_assert(!rlb_pkt_acct_request_ok(body, &info, &sa));
}
END_TEST

START_TEST(verify_message_authenticator)
{
    static const uint8_t body[] = {
        HDR(1, 8, 20 + 6 + 18 + 6), AUTH,
        1, 6, 'n', 'e', 'm', 'o',
        80, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        5, 6, 0, 0, 0, 3,
    };
    uint8_t pkt[sizeof(body)];
    struct rlb_pkt_info info;

    memcpy(pkt, body, sizeof(pkt));
    xfr_sign(pkt, sizeof(pkt), 26, NULL, SECRET_A);
    ck_assert_drop(parse_n(pkt, sizeof(pkt), true, &info, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(info.ma_off, 26);
    ck_assert(rlb_pkt_ma_ok(pkt, &info, pkt + 4, &sa));
    ck_assert(!rlb_pkt_ma_ok(pkt, &info, pkt + 4, &sb));
    ck_assert(!rlb_pkt_ma_ok(pkt, &info, zero16, &sa));
    for (size_t bit = 0; bit < sizeof(pkt) * 8; bit++) {
        uint8_t auth[16];

        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memcpy(auth, pkt + 4, 16);
        ck_assert_msg(!rlb_pkt_ma_ok(pkt, &info, auth, &sa), "bit %zu flipped, still verifies", bit);
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ck_assert(rlb_pkt_ma_ok(pkt, &info, pkt + 4, &sa));
}
END_TEST

START_TEST(verify_reply_message_authenticator)
{
    /* An Access-Challenge: the MA is computed over the request's
     * authenticator, then the Response Authenticator over the MA. */
    static const uint8_t req_auth[16] = { AUTH };
    static const uint8_t body[] = {
        HDR(11, 8, 20 + 18 + 6 + 8), AUTH,
        80, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        24, 6, 's', 't', 'a', 't',
        18, 8, 'c', 'o', 'd', 'e', '?', '?',
    };
    uint8_t pkt[sizeof(body)];
    struct rlb_pkt_info info;

    memcpy(pkt, body, sizeof(pkt));
    xfr_sign(pkt, sizeof(pkt), 20, req_auth, SECRET_B);
    ck_assert_drop(parse_n(pkt, sizeof(pkt), true, &info, NULL), RLB_DROP_NONE);
    ck_assert(rlb_pkt_ma_ok(pkt, &info, req_auth, &sb));
    ck_assert(rlb_pkt_reply_ok(pkt, &info, req_auth, &sb));
    ck_assert(!rlb_pkt_ma_ok(pkt, &info, pkt + 4, &sb));  /* not over its own field */
    ck_assert(!rlb_pkt_ma_ok(pkt, &info, req_auth, &sa));
    for (size_t bit = 0; bit < sizeof(pkt) * 8; bit++) {
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (bit / 8 < 4 || bit / 8 >= 20)   /* the MA ignores the authenticator field */
            ck_assert_msg(!rlb_pkt_ma_ok(pkt, &info, req_auth, &sb), "bit %zu: MA verifies", bit);
        ck_assert_msg(!rlb_pkt_reply_ok(pkt, &info, req_auth, &sb), "bit %zu: reply verifies", bit);
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}
END_TEST

START_TEST(verify_ma_absent)
{
    struct rlb_pkt_info info;

    ck_assert_drop(parse_n(rfc2865_7_1_request, sizeof(rfc2865_7_1_request), false, &info, NULL),
                   RLB_DROP_NONE);
    ck_assert(!rlb_pkt_ma_ok(pbuf, &info, pbuf + 4, &sa));
}
END_TEST

/* ------------------------------------------------------------------ */
/* rlb_pkt_build_request                                              */

static const uint8_t client_auth[16] = {
    0xc1, 0x1e, 0x47, 0xa0, 0x5b, 0x3c, 0x99, 0x02, 0x6d, 0xf4, 0x88, 0x13, 0x2e, 0xb7, 0x60, 0x0a,
};
static const uint8_t new_auth[16] = {
    0x9e, 0x04, 0x71, 0xd3, 0x2a, 0xcb, 0x16, 0x85, 0x5f, 0xe0, 0x3b, 0x48, 0xa6, 0x0d, 0x77, 0x91,
};

/* A client's Access-Request: User-Name, User-Password (pw, pwlen) hidden
 * with A, two Proxy-States, State, Class, a Message-Authenticator in the
 * middle, signed with A. */
static void
client_access_request(struct tpkt *p, const char *pw, size_t pwlen)
{
    static const uint8_t ps1[] = { 'p', 'r', 'o', 'x', 'y', '-', '1' };
    static const uint8_t ps2[] = { 0x00, 0xff, 0x10, 0x80 };
    static const uint8_t state[] = { 0x53, 0x54, 0x00, 0x01, 0x02, 0xfe };
    static const uint8_t cls[] = { 'c', 'l', 'a', 's', 's', 0 };
    size_t ma;

    tp_init(p, 1, 7, client_auth);
    tp_attr(p, 1, "nemo", 4);
    tp_user_password(p, pw, pwlen, SECRET_A, client_auth);
    tp_attr(p, 33, ps1, sizeof(ps1));
    ma = tp_ma(p);
    tp_attr(p, 24, state, sizeof(state));
    tp_attr(p, 25, cls, sizeof(cls));
    tp_attr(p, 4, "\xc0\xa8\x01\x10", 4);
    tp_attr(p, 33, ps2, sizeof(ps2));
    xfr_sign(p->b, p->len, ma, NULL, SECRET_A);
}

static ssize_t
build_request(const uint8_t *in, size_t inlen, uint8_t id, const uint8_t auth[16], uint8_t *out,
              size_t outsize, rlb_drop_t *why)
{
    struct rlb_pkt_info info;

    ck_assert_drop(parse_n(in, inlen, false, &info, NULL), RLB_DROP_NONE);
    return rlb_pkt_build_request(pbuf, &info, &sa, &sb, id, auth, out, outsize, why);
}

START_TEST(request_new_id_and_ma_first)
{
    struct tpkt p;
    uint8_t out[4096];
    rlb_drop_t why = RLB_DROP_MAX;
    struct rlb_pkt_info info;
    ssize_t n;

    client_access_request(&p, "hunter2", 7);
    n = build_request(p.b, p.len, 42, new_auth, out, sizeof(out), &why);
    ck_assert_int_gt(n, 0);
    ck_assert_drop(why, RLB_DROP_NONE);
    ck_assert_uint_eq(n, p.len);   /* the MA moved, nothing added */
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[1], 42);
    ck_assert_uint_eq(rlb_get16(out + 2), (size_t)n);
    ck_assert_mem_eq(out + 4, new_auth, 16);
    /* MA first, exactly one, valid under B over the new authenticator,
     * invalid under A. */
    ck_assert_uint_eq(out[20], 80);
    ck_assert_uint_eq(out[21], 18);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 1);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, new_auth, SECRET_B));
    ck_assert(!xfr_ma_valid(out, (size_t)n, 20, new_auth, SECRET_A));
    /* The output is a packet radlb itself accepts, requiring MA. */
    ck_assert_drop(parse_n(out, (size_t)n, true, &info, NULL), RLB_DROP_NONE);
    ck_assert_drop(rlb_pkt_check_attrs(pbuf, &info), RLB_DROP_NONE);
    ck_assert(rlb_pkt_ma_ok(pbuf, &info, new_auth, &sb));
}
END_TEST

START_TEST(request_ma_added_when_client_sent_none)
{
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;

    n = build_request(rfc2865_7_1_request, sizeof(rfc2865_7_1_request), 3, new_auth, out,
                      sizeof(out), &why);
    ck_assert_int_eq(n, (ssize_t)sizeof(rfc2865_7_1_request) + 18);
    ck_assert_uint_eq(out[20], 80);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, new_auth, SECRET_B));
    /* The rest in order: User-Name, User-Password, NAS-IP-Address, NAS-Port. */
    ck_assert_uint_eq(out[38], 1);
    ck_assert_mem_eq(out + 38, rfc2865_7_1_request + 20, 6);
    ck_assert_uint_eq(out[44], 2);
    ck_assert_mem_eq(out + 62, rfc2865_7_1_request + 44, 12);
}
END_TEST

static void
password_round_trip(size_t pwlen)
{
    char pw[129];
    struct tpkt p;
    uint8_t out[4096], buf[256];
    rlb_drop_t why;
    ssize_t n;
    size_t off, enclen = (pwlen + 15) / 16 * 16;

    for (size_t i = 0; i < pwlen; i++)
        pw[i] = (char)('!' + (i * 7) % 90);
    pw[pwlen] = '\0';
    client_access_request(&p, pw, pwlen);
    n = build_request(p.b, p.len, 200, new_auth, out, sizeof(out), &why);
    ck_assert_msg(n > 0, "password of %zu: build failed (%s)", pwlen, rlb_drop_name(why));
    off = tp_find(out, (size_t)n, 2, 0);
    ck_assert_uint_ne(off, 0);
    ck_assert_uint_eq(out[off + 1], 2 + enclen);
    /* libfreeradius reveals it with B and the new authenticator... */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, out + off + 2, enclen);
    xfr_pwdecode(buf, enclen, SECRET_B, new_auth);
    ck_assert_mem_eq(buf, pw, pwlen);
    for (size_t i = pwlen; i < enclen; i++)
        ck_assert_uint_eq(buf[i], 0);
    /* ...and not with A and the client's authenticator any more. */
    memcpy(buf, out + off + 2, enclen);
    xfr_pwdecode(buf, enclen, SECRET_A, client_auth);
    if (pwlen >= 8)
        ck_assert(memcmp(buf, pw, pwlen) != 0);
}

START_TEST(request_password_length_1)   { password_round_trip(1); }   END_TEST
START_TEST(request_password_length_15)  { password_round_trip(15); }  END_TEST
START_TEST(request_password_length_16)  { password_round_trip(16); }  END_TEST
START_TEST(request_password_length_17)  { password_round_trip(17); }  END_TEST
START_TEST(request_password_length_64)  { password_round_trip(64); }  END_TEST
START_TEST(request_password_length_128) { password_round_trip(128); } END_TEST

START_TEST(request_chap_challenge_added)
{
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;
    size_t ch, pw;

    n = build_request(rfc2865_7_2_request, sizeof(rfc2865_7_2_request), 99, new_auth, out,
                      sizeof(out), &why);
    ck_assert_int_gt(n, 38);
    /* All the client's attributes (51 octets), in order, after the MA;
     * then the CHAP-Challenge (18). */
    ck_assert_int_eq(n, (ssize_t)sizeof(rfc2865_7_2_request) + 18 + 18);
    ck_assert_mem_eq(out + 38, rfc2865_7_2_request + 20, 51);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 60), 1);
    ch = tp_find(out, (size_t)n, 60, 0);
    ck_assert_uint_eq(out[ch + 1], 18);
    /* CHAP-Challenge = the client's Request Authenticator. */
    ck_assert_mem_eq(out + ch + 2, rfc2865_7_2_request + 4, 16);
    /* CHAP-Password untouched. */
    pw = tp_find(out, (size_t)n, 3, 0);
    ck_assert_uint_ne(pw, 0);
    ck_assert_mem_eq(out + pw, rfc2865_7_2_request + 28, 19);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, new_auth, SECRET_B));
}
END_TEST

START_TEST(request_chap_challenge_output_parses)
{
    /* The added CHAP-Challenge must not land on the client's attributes:
     * here the last 18 octets of the input end inside Called-Station-Id. */
    static const uint8_t pkt[] = {
        HDR(1, 6, 20 + 8 + 19 + 20 + 6), AUTH,
        1, 8, 'f', 'l', 'o', 'p', 's', 'y',
        3, 19, 22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        30, 20, '0', '0', '-', '1', '1', '-', '2', '2', '-', '3', '3', '-', '4', '4', ':', 'w', 'i', 'f',
        5, 6, 0, 0, 0, 9,
    };
    uint8_t out[4096];
    struct rlb_pkt_info info;
    rlb_drop_t why;
    ssize_t n;

    n = build_request(pkt, sizeof(pkt), 7, new_auth, out, sizeof(out), &why);
    ck_assert_int_gt(n, 0);
    ck_assert_drop(parse_n(out, (size_t)n, true, &info, NULL), RLB_DROP_NONE);
    ck_assert_uint_ne(tp_find(out, (size_t)n, 30, 0), 0);
    ck_assert_mem_eq(out + tp_find(out, (size_t)n, 30, 0), pkt + 47, 20);
    ck_assert_uint_ne(tp_find(out, (size_t)n, 5, 0), 0);
    ck_assert_mem_eq(out + tp_find(out, (size_t)n, 5, 0), pkt + 67, 6);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 60), 1);
    ck_assert_mem_eq(out + tp_find(out, (size_t)n, 60, 0) + 2, pkt + 4, 16);
}
END_TEST

START_TEST(request_chap_challenge_kept)
{
    /* With a CHAP-Challenge already there, nothing is added. */
    static const uint8_t pkt[] = {
        HDR(1, 4, 20 + 8 + 19 + 10), AUTH,
        1, 8, 'f', 'l', 'o', 'p', 's', 'y',
        3, 19, 22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        60, 10, 'c', 'h', 'a', 'l', 'l', 'e', 'n', 'g',
    };
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;
    size_t ch;

    n = build_request(pkt, sizeof(pkt), 5, new_auth, out, sizeof(out), &why);
    ck_assert_int_eq(n, (ssize_t)sizeof(pkt) + 18);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 60), 1);
    ch = tp_find(out, (size_t)n, 60, 0);
    ck_assert_mem_eq(out + ch, pkt + 47, 10);
}
END_TEST

START_TEST(request_state_class_proxy_state_unchanged)
{
    /* No hidden attribute: apart from the MA, the output's attributes are
     * the input's, byte for byte and in order. */
    struct tpkt p;
    uint8_t out[4096], a_in[4096], a_out[4096];
    size_t nin, nout, ma;
    rlb_drop_t why;
    ssize_t n;

    tp_init(&p, 1, 12, client_auth);
    tp_attr(&p, 33, "first-proxy-state", 17);
    tp_attr(&p, 1, "nemo", 4);
    tp_attr(&p, 24, "\x01\x02\x03\x00\xff", 5);
    ma = tp_ma(&p);
    tp_attr(&p, 25, "Class-octets\x00\x01", 14);
    tp_attr(&p, 200, "unknown", 7);
    tp_vsa(&p, 99999, 1, "opaque", 6);
    tp_attr(&p, 33, "\x00second", 7);
    tp_attr(&p, 4, "\xc0\x00\x02\x01", 4);
    xfr_sign(p.b, p.len, ma, NULL, SECRET_A);

    n = build_request(p.b, p.len, 13, new_auth, out, sizeof(out), &why);
    ck_assert_int_gt(n, 0);
    nin = attrs_without_ma(p.b, p.len, a_in);
    nout = attrs_without_ma(out, (size_t)n, a_out);
    ck_assert_uint_eq(nin, nout);
    ck_assert_mem_eq(a_in, a_out, nin);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 33), 2);
    ck_assert_mem_eq(out + tp_find(out, (size_t)n, 33, 0), "\x21\x13" "first-proxy-state", 19);
    ck_assert_mem_eq(out + tp_find(out, (size_t)n, 33, 1), "\x21\x09" "\x00second", 9);
}
END_TEST

START_TEST(request_accounting_authenticator)
{
    struct tpkt p;
    uint8_t out[4096];
    struct rlb_pkt_info info;
    rlb_drop_t why;
    ssize_t n;

    tp_init(&p, 4, 50, NULL);
    tp_attr(&p, 1, "nemo", 4);
    tp_attr(&p, 40, "\x00\x00\x00\x02", 4);
    tp_attr(&p, 44, "session-0001", 12);
    tp_attr(&p, 33, "ps", 2);
    xfr_sign(p.b, p.len, 0, NULL, SECRET_A);

    n = build_request(p.b, p.len, 60, NULL, out, sizeof(out), &why);
    ck_assert_int_eq(n, (ssize_t)p.len);          /* no MA added */
    ck_assert_uint_eq(out[1], 60);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 0);
    ck_assert(xfr_auth_valid(out, (size_t)n, zero16, SECRET_B));
    ck_assert(!xfr_auth_valid(out, (size_t)n, zero16, SECRET_A));
    ck_assert_drop(parse_n(out, (size_t)n, false, &info, NULL), RLB_DROP_NONE);
    ck_assert(rlb_pkt_acct_request_ok(pbuf, &info, &sb));
    ck_assert_mem_eq(out + 20, p.b + 20, p.len - 20);
}
END_TEST

START_TEST(request_accounting_with_ma)
{
    struct tpkt p;
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;
    size_t ma;

    tp_init(&p, 4, 51, NULL);
    tp_attr(&p, 1, "nemo", 4);
    ma = tp_ma(&p);
    tp_attr(&p, 40, "\x00\x00\x00\x01", 4);
    xfr_sign(p.b, p.len, ma, NULL, SECRET_A);

    n = build_request(p.b, p.len, 61, NULL, out, sizeof(out), &why);
    ck_assert_int_eq(n, (ssize_t)p.len);
    ck_assert_uint_eq(out[20], 80);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 1);
    /* MA over a zero authenticator field, then the Request Authenticator. */
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, zero16, SECRET_B));
    ck_assert(xfr_auth_valid(out, (size_t)n, zero16, SECRET_B));
}
END_TEST

START_TEST(request_retransmission_identical)
{
    struct tpkt p;
    uint8_t out1[4096], out2[4096], out3[4096], tpw[64];
    rlb_drop_t why;
    ssize_t n1, n2, n3;
    size_t tl;

    client_access_request(&p, "correct horse battery", 21);
    /* A Tunnel-Password too: its salt must not be random here. */
    tpw[0] = 1;
    tl = tunnel_encode(tpw + 1, "tunnel", 6, SECRET_A, client_auth);
    tp_attr(&p, 69, tpw, tl + 1);
    xfr_sign(p.b, p.len, tp_find(p.b, p.len, 80, 0), NULL, SECRET_A);

    n1 = build_request(p.b, p.len, 77, new_auth, out1, sizeof(out1), &why);
    n2 = build_request(p.b, p.len, 77, new_auth, out2, sizeof(out2), &why);
    ck_assert_int_gt(n1, 0);
    ck_assert_int_eq(n1, n2);
    ck_assert_mem_eq(out1, out2, (size_t)n1);
    /* A new authenticator is a new request: different bytes. */
    n3 = build_request(p.b, p.len, 77, client_auth, out3, sizeof(out3), &why);
    ck_assert_int_eq(n1, n3);
    ck_assert(memcmp(out1, out3, (size_t)n1) != 0);
}
END_TEST

START_TEST(request_accounting_retransmission_identical)
{
    struct tpkt p;
    uint8_t out1[4096], out2[4096];
    rlb_drop_t why;
    ssize_t n1, n2;

    tp_init(&p, 4, 52, NULL);
    tp_attr(&p, 1, "nemo", 4);
    tp_attr(&p, 40, "\x00\x00\x00\x03", 4);
    xfr_sign(p.b, p.len, 0, NULL, SECRET_A);
    n1 = build_request(p.b, p.len, 9, NULL, out1, sizeof(out1), &why);
    n2 = build_request(p.b, p.len, 9, NULL, out2, sizeof(out2), &why);
    ck_assert_int_gt(n1, 0);
    ck_assert_int_eq(n1, n2);
    ck_assert_mem_eq(out1, out2, (size_t)n1);
}
END_TEST

START_TEST(request_too_big)
{
    /* 4090 octets without MA: adding the 18-octet MA would pass 4096. */
    struct tpkt p;
    uint8_t v[253], out[4096];
    rlb_drop_t why = RLB_DROP_NONE;

    memset(v, 'r', sizeof(v));
    tp_init(&p, 1, 1, client_auth);
    while (p.len + 255 <= 4090 - 10)
        tp_attr(&p, 18, v, 253);
    tp_attr(&p, 18, v, 4090 - p.len - 2);
    ck_assert_uint_eq(p.len, 4090);
    ck_assert_int_eq(build_request(p.b, p.len, 2, new_auth, out, sizeof(out), &why), -1);
    ck_assert_drop(why, RLB_DROP_TOO_BIG);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rlb_pkt_build_reply                                                */

static const uint8_t sent_auth[16] = {   /* what radlb sent to the server */
    0x3d, 0x8a, 0x01, 0xfe, 0x62, 0x17, 0xc9, 0x4b, 0x90, 0x2e, 0x75, 0xd8, 0x0f, 0xa3, 0x56, 0xbc,
};
static const uint8_t mppe_send[32] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};
static const uint8_t mppe_recv[32] = {
    0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
#define TUNNEL_PW "tunnel-secret-pw"

/* The server's Access-Accept (id 200) signed with B over sent_auth. */
static void
server_accept(struct tpkt *p, bool with_ma)
{
    uint8_t v[256];
    size_t n, ma = 0;

    tp_init(p, 2, 200, NULL);
    tp_attr(p, 33, "first-proxy-state", 17);
    tp_attr(p, 1, "nemo", 4);
    tp_attr(p, 25, "class\x00\xff", 7);
    v[0] = 0x05;                               /* tag */
    n = tunnel_encode(v + 1, TUNNEL_PW, strlen(TUNNEL_PW), SECRET_B, sent_auth);
    tp_attr(p, 69, v, n + 1);
    n = tunnel_encode(v, mppe_send, sizeof(mppe_send), SECRET_B, sent_auth);
    tp_vsa(p, 311, 16, v, n);
    tp_attr(p, 24, "state-octets", 12);
    n = tunnel_encode(v, mppe_recv, sizeof(mppe_recv), SECRET_B, sent_auth);
    tp_vsa(p, 311, 17, v, n);
    tp_attr(p, 18, "Welcome", 7);
    if (with_ma)
        ma = tp_ma(p);
    tp_attr(p, 33, "\x00second", 7);
    xfr_sign(p->b, p->len, ma, sent_auth, SECRET_B);
}

static ssize_t
build_reply(const uint8_t *in, size_t inlen, uint8_t *out, rlb_drop_t *why)
{
    struct rlb_pkt_info info;

    ck_assert_drop(parse_n(in, inlen, false, &info, NULL), RLB_DROP_NONE);
    ck_assert(rlb_pkt_reply_ok(pbuf, &info, sent_auth, &sb));
    return rlb_pkt_build_reply(pbuf, &info, &sb, sent_auth, &sa, 9, client_auth, out, 4096, why);
}

START_TEST(reply_signed_for_client)
{
    struct tpkt p;
    uint8_t out[4096];
    struct rlb_pkt_info info;
    rlb_drop_t why;
    ssize_t n;

    server_accept(&p, true);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_eq(n, (ssize_t)p.len);
    ck_assert_uint_eq(out[0], 2);
    ck_assert_uint_eq(out[1], 9);
    ck_assert_uint_eq(out[20], 80);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 1);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, client_auth, SECRET_A));
    ck_assert(xfr_auth_valid(out, (size_t)n, client_auth, SECRET_A));
    ck_assert(!xfr_auth_valid(out, (size_t)n, sent_auth, SECRET_B));
    ck_assert_drop(parse_n(out, (size_t)n, true, &info, NULL), RLB_DROP_NONE);
    ck_assert_drop(rlb_pkt_check_attrs(pbuf, &info), RLB_DROP_NONE);
    ck_assert(rlb_pkt_reply_ok(pbuf, &info, client_auth, &sa));
    ck_assert(rlb_pkt_ma_ok(pbuf, &info, client_auth, &sa));
}
END_TEST

START_TEST(reply_ma_added_when_server_sent_none)
{
    struct tpkt p;
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;

    server_accept(&p, false);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_eq(n, (ssize_t)p.len + 18);
    ck_assert_uint_eq(out[20], 80);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, client_auth, SECRET_A));
    ck_assert(xfr_auth_valid(out, (size_t)n, client_auth, SECRET_A));
}
END_TEST

START_TEST(reply_reject_without_ma_gets_one)
{
    static const uint8_t body[] = {
        HDR(3, 200, 20 + 9), AUTH, 18, 9, 'd', 'e', 'n', 'i', 'e', 'd', '.',
    };
    uint8_t pkt[sizeof(body)], out[4096];
    rlb_drop_t why;
    ssize_t n;

    memcpy(pkt, body, sizeof(pkt));
    xfr_sign(pkt, sizeof(pkt), 0, sent_auth, SECRET_B);
    n = build_reply(pkt, sizeof(pkt), out, &why);
    ck_assert_int_eq(n, (ssize_t)sizeof(pkt) + 18);
    ck_assert_uint_eq(out[0], 3);
    ck_assert_uint_eq(out[20], 80);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, client_auth, SECRET_A));
    ck_assert(xfr_auth_valid(out, (size_t)n, client_auth, SECRET_A));
    ck_assert_mem_eq(out + 38, body + 20, 9);
}
END_TEST

START_TEST(reply_accounting_response)
{
    static const uint8_t body[] = { HDR(5, 200, 20 + 6), AUTH, 33, 6, 'p', 's', '-', '1' };
    uint8_t pkt[sizeof(body)], out[4096];
    rlb_drop_t why;
    ssize_t n;

    memcpy(pkt, body, sizeof(pkt));
    xfr_sign(pkt, sizeof(pkt), 0, sent_auth, SECRET_B);
    n = build_reply(pkt, sizeof(pkt), out, &why);
    ck_assert_int_eq(n, (ssize_t)sizeof(pkt));
    ck_assert_uint_eq(out[1], 9);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 0);
    ck_assert(xfr_auth_valid(out, (size_t)n, client_auth, SECRET_A));
    ck_assert_mem_eq(out + 20, body + 20, 6);
}
END_TEST

START_TEST(reply_tunnel_password_reencrypted)
{
    struct tpkt p;
    uint8_t out[4096], plain[256];
    rlb_drop_t why;
    ssize_t n;
    size_t off, in_off, len;

    server_accept(&p, true);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    off = tp_find(out, (size_t)n, 69, 0);
    in_off = tp_find(p.b, p.len, 69, 0);
    ck_assert_uint_ne(off, 0);
    ck_assert_uint_eq(out[off + 1], p.b[in_off + 1]);
    ck_assert_uint_eq(out[off + 2], 0x05);                /* tag kept */
    ck_assert_uint_ne(out[off + 3] & 0x80, 0);            /* salt high bit */
    len = tunnel_decode(out + off + 3, out[off + 1] - 3u, plain, SECRET_A, client_auth);
    ck_assert_uint_eq(len, strlen(TUNNEL_PW));
    ck_assert_mem_eq(plain, TUNNEL_PW, len);
    /* The server's encryption is gone. */
    ck_assert(memcmp(out + off + 5, p.b + in_off + 5, out[off + 1] - 5u) != 0);
}
END_TEST

START_TEST(reply_mppe_keys_reencrypted)
{
    struct tpkt p;
    uint8_t out[4096], plain[256];
    rlb_drop_t why;
    ssize_t n;
    size_t s_off, r_off, t_off, len;
    uint16_t salts[3];

    server_accept(&p, true);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    s_off = tp_find_vsa(out, (size_t)n, 311, 16, 0);
    r_off = tp_find_vsa(out, (size_t)n, 311, 17, 0);
    t_off = tp_find(out, (size_t)n, 69, 0);
    ck_assert_uint_ne(s_off, 0);
    ck_assert_uint_ne(r_off, 0);

    len = tunnel_decode(out + s_off + 8, out[s_off + 7] - 2u, plain, SECRET_A, client_auth);
    ck_assert_uint_eq(len, sizeof(mppe_send));
    ck_assert_mem_eq(plain, mppe_send, len);
    len = tunnel_decode(out + r_off + 8, out[r_off + 7] - 2u, plain, SECRET_A, client_auth);
    ck_assert_uint_eq(len, sizeof(mppe_recv));
    ck_assert_mem_eq(plain, mppe_recv, len);

    /* Salts: high bit set, unique in the packet (RFC 2548 2.4.2, RFC 2868 3.5). */
    salts[0] = rlb_get16(out + s_off + 8);
    salts[1] = rlb_get16(out + r_off + 8);
    salts[2] = rlb_get16(out + t_off + 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_ne(salts[i] & 0x8000, 0);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(salts[i], salts[j]);
    }
}
END_TEST

START_TEST(reply_salts_unique_many_attributes)
{
    /* 30 MS-MPPE-Send-Keys: 30 distinct salts, all with the high bit. */
    struct tpkt p;
    uint8_t v[64], out[4096];
    uint16_t salts[30];
    rlb_drop_t why;
    ssize_t n;

    tp_init(&p, 2, 200, NULL);
    for (int i = 0; i < 30; i++) {
        size_t l = tunnel_encode(v, mppe_send, 16, SECRET_B, sent_auth);

        tp_vsa(&p, 311, 16, v, l);
    }
    xfr_sign(p.b, p.len, 0, sent_auth, SECRET_B);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    for (unsigned i = 0; i < 30; i++) {
        size_t off = tp_find_vsa(out, (size_t)n, 311, 16, i);
        uint8_t plain[64];

        ck_assert_uint_ne(off, 0);
        salts[i] = rlb_get16(out + off + 8);
        ck_assert_uint_ne(salts[i] & 0x8000, 0);
        for (unsigned j = 0; j < i; j++)
            ck_assert_uint_ne(salts[i], salts[j]);
        ck_assert_uint_eq(tunnel_decode(out + off + 8, out[off + 7] - 2u, plain, SECRET_A, client_auth),
                          16);
        ck_assert_mem_eq(plain, mppe_send, 16);
    }
}
END_TEST

START_TEST(reply_state_class_proxy_state_unchanged)
{
    struct tpkt p;
    uint8_t out[4096];
    rlb_drop_t why;
    ssize_t n;
    static const uint8_t types[] = { 80, 33, 1, 25, 69, 26, 24, 26, 18, 33 };
    size_t off = 20;

    server_accept(&p, true);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    for (uint8_t t = 0; t < 3; t++) {
        static const uint8_t which[] = { 24, 25, 33 };

        ck_assert_uint_eq(count_attr(out, (size_t)n, which[t]), count_attr(p.b, p.len, which[t]));
        for (unsigned i = 0; i < count_attr(p.b, p.len, which[t]); i++) {
            size_t a = tp_find(p.b, p.len, which[t], i), b = tp_find(out, (size_t)n, which[t], i);

            ck_assert_uint_eq(p.b[a + 1], out[b + 1]);
            ck_assert_mem_eq(p.b + a, out + b, p.b[a + 1]);
        }
    }
    /* The attribute order is the server's, MA moved first. */
    for (size_t i = 0; i < N_ELEMS(types); i++) {
        ck_assert_uint_lt(off, (size_t)n);
        ck_assert_msg(out[off] == types[i], "attribute %zu is %u, expected %u", i, out[off], types[i]);
        off += out[off + 1];
    }
    ck_assert_uint_eq(off, (size_t)n);
}
END_TEST

START_TEST(reply_mppe_keys_in_one_vsa)
{
    /* RFC 2865 5.26 allows several sub-attributes in one VSA: both keys
     * in one Microsoft VSA are re-encrypted. */
    struct tpkt p;
    uint8_t vsa[255], out[4096], plain[64];
    size_t n1, n2, off;
    rlb_drop_t why;
    ssize_t n;

    vsa[0] = 26;
    vsa[2] = 0;
    vsa[3] = 0;
    vsa[4] = 0x01;
    vsa[5] = 0x37;
    off = 6;
    vsa[off] = 16;
    n1 = tunnel_encode(vsa + off + 2, mppe_send, sizeof(mppe_send), SECRET_B, sent_auth);
    vsa[off + 1] = (uint8_t)(n1 + 2);
    off += n1 + 2;
    vsa[off] = 17;
    n2 = tunnel_encode(vsa + off + 2, mppe_recv, sizeof(mppe_recv), SECRET_B, sent_auth);
    vsa[off + 1] = (uint8_t)(n2 + 2);
    off += n2 + 2;
    vsa[1] = (uint8_t)off;
    tp_init(&p, 2, 200, NULL);
    tp_raw(&p, vsa, off);
    xfr_sign(p.b, p.len, 0, sent_auth, SECRET_B);

    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_eq(n, (ssize_t)p.len + 18);
    /* out: header, MA, then the VSA at 38. */
    ck_assert_uint_eq(out[38], 26);
    ck_assert_uint_eq(out[44], 16);
    ck_assert_uint_eq(tunnel_decode(out + 46, n1, plain, SECRET_A, client_auth), 32);
    ck_assert_mem_eq(plain, mppe_send, 32);
    ck_assert_uint_eq(out[44 + 2 + n1], 17);
    ck_assert_uint_eq(tunnel_decode(out + 44 + 2 + n1 + 2, n2, plain, SECRET_A, client_auth), 32);
    ck_assert_mem_eq(plain, mppe_recv, 32);
    ck_assert_uint_ne(rlb_get16(out + 46), rlb_get16(out + 44 + 2 + n1 + 2));
}
END_TEST

START_TEST(reply_ms_chap_mppe_keys_reencrypted)
{
    /* MS-CHAP-MPPE-Keys (311/12, encrypt=1): hidden like User-Password
     * with the request authenticator. */
    struct tpkt p;
    uint8_t keys[32], enc[32], out[4096], buf[64];
    size_t len = 24, off;
    rlb_drop_t why;
    ssize_t n;

    fill_pattern(keys, sizeof(keys), 77);
    memset(keys + 24, 0, 8);
    memcpy(enc, keys, sizeof(enc));
    ck_assert_int_eq(xfr_pwencode(enc, &len, SECRET_B, sent_auth), 0);
    ck_assert_uint_eq(len, 32);
    tp_init(&p, 2, 200, NULL);
    tp_vsa(&p, 311, 12, enc, 32);
    xfr_sign(p.b, p.len, 0, sent_auth, SECRET_B);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    off = tp_find_vsa(out, (size_t)n, 311, 12, 0);
    ck_assert_uint_ne(off, 0);
    memset(buf, 0, sizeof(buf));
    memcpy(buf, out + off + 8, 32);
    xfr_pwdecode(buf, 32, SECRET_A, client_auth);
    ck_assert_mem_eq(buf, keys, 32);
}
END_TEST

START_TEST(reply_ascend_send_secret_reencrypted)
{
    /* Ascend-Send-Secret (529/214, encrypt=3): value ^ MD5(auth || secret). */
    static const char plain[] = "ascend-secret-16";
    struct tpkt p;
    uint8_t v[16], md[16 + 64], key[16], out[4096];
    size_t off;
    rlb_drop_t why;
    ssize_t n;

    memcpy(md, sent_auth, 16);
    memcpy(md + 16, SECRET_B, strlen(SECRET_B));
    xfr_md5(key, md, 16 + strlen(SECRET_B));
    for (int i = 0; i < 16; i++)
        v[i] = (uint8_t)(plain[i] ^ key[i]);
    tp_init(&p, 2, 200, NULL);
    tp_vsa(&p, 529, 214, v, 16);
    xfr_sign(p.b, p.len, 0, sent_auth, SECRET_B);
    n = build_reply(p.b, p.len, out, &why);
    ck_assert_int_gt(n, 0);
    off = tp_find_vsa(out, (size_t)n, 529, 214, 0);
    ck_assert_uint_ne(off, 0);
    memcpy(md, client_auth, 16);
    memcpy(md + 16, SECRET_A, strlen(SECRET_A));
    xfr_md5(key, md, 16 + strlen(SECRET_A));
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(out[off + 8 + i] ^ key[i], (uint8_t)plain[i]);
}
END_TEST

START_TEST(reply_bad_tunnel_password_dropped)
{
    struct tpkt p;
    uint8_t v[64], out[4096];
    rlb_drop_t why = RLB_DROP_NONE;

    fill_pattern(v, sizeof(v), 9);
    v[0] = 1;
    tp_init(&p, 2, 200, NULL);
    tp_attr(&p, 69, v, 1 + 2 + 17);
    xfr_sign(p.b, p.len, 0, sent_auth, SECRET_B);
    ck_assert_int_eq(build_reply(p.b, p.len, out, &why), -1);
    ck_assert_drop(why, RLB_DROP_BAD_ATTRIBUTE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rlb_pkt_build_local_reply                                          */

START_TEST(local_reply_long_message_and_proxy_state)
{
    static const uint8_t ps[] = { 33, 5, 'a', 'b', 'c', 33, 4, 0x00, 0xff, 33, 3, 'z' };
    static const uint8_t req_auth[16] = { AUTH };
    char msg[601];
    uint8_t out[4096], joined[700];
    struct rlb_pkt_info info;
    size_t off, j = 0;
    ssize_t n;

    for (int i = 0; i < 600; i++)
        msg[i] = (char)('a' + i % 26);
    msg[600] = '\0';
    n = rlb_pkt_build_local_reply(3, 17, true, req_auth, &sa, msg, ps, sizeof(ps), out, sizeof(out));
    ck_assert_int_eq(n, 20 + 18 + (255 + 255 + 96) + (ssize_t)sizeof(ps));
    ck_assert_uint_eq(out[0], 3);
    ck_assert_uint_eq(out[1], 17);
    ck_assert_uint_eq(rlb_get16(out + 2), (size_t)n);
    ck_assert_uint_eq(out[20], 80);
    ck_assert(xfr_ma_valid(out, (size_t)n, 20, req_auth, SECRET_A));
    ck_assert(xfr_auth_valid(out, (size_t)n, req_auth, SECRET_A));
    ck_assert_drop(parse_n(out, (size_t)n, true, &info, NULL), RLB_DROP_NONE);

    /* Reply-Message in 253-octet chunks, in order. */
    ck_assert_uint_eq(count_attr(out, (size_t)n, 18), 3);
    ck_assert_uint_eq(out[tp_find(out, (size_t)n, 18, 0) + 1], 255);
    ck_assert_uint_eq(out[tp_find(out, (size_t)n, 18, 1) + 1], 255);
    ck_assert_uint_eq(out[tp_find(out, (size_t)n, 18, 2) + 1], 96);
    for (unsigned i = 0; i < 3; i++) {
        off = tp_find(out, (size_t)n, 18, i);
        memcpy(joined + j, out + off + 2, out[off + 1] - 2u);
        j += out[off + 1] - 2u;
    }
    ck_assert_uint_eq(j, 600);
    ck_assert_mem_eq(joined, msg, 600);
    /* Proxy-State last, in order, byte for byte. */
    ck_assert_mem_eq(out + n - (ssize_t)sizeof(ps), ps, sizeof(ps));
}
END_TEST

START_TEST(local_reply_minimal)
{
    static const uint8_t req_auth[16] = { AUTH };
    uint8_t out[4096];
    ssize_t n;

    n = rlb_pkt_build_local_reply(2, 1, true, req_auth, &sb, NULL, NULL, 0, out, sizeof(out));
    ck_assert_int_eq(n, 38);
    ck_assert_uint_eq(out[20], 80);
    ck_assert(xfr_ma_valid(out, 38, 20, req_auth, SECRET_B));
    ck_assert(xfr_auth_valid(out, 38, req_auth, SECRET_B));
    /* A message of exactly 253 octets is one attribute. */
    {
        char msg[254];

        memset(msg, 'm', 253);
        msg[253] = '\0';
        n = rlb_pkt_build_local_reply(2, 1, true, req_auth, &sb, msg, NULL, 0, out, sizeof(out));
        ck_assert_int_eq(n, 38 + 255);
        ck_assert_uint_eq(count_attr(out, (size_t)n, 18), 1);
    }
}
END_TEST

/* The Accounting-Response of a spooled record: no Message-Authenticator,
 * Proxy-State kept, a Response Authenticator libfreeradius accepts. */
START_TEST(local_reply_without_ma)
{
    static const uint8_t ps[] = { 33, 5, 'a', 'b', 'c' };
    static const uint8_t req_auth[16] = { AUTH };
    uint8_t out[4096];
    struct rlb_pkt_info info;
    ssize_t n;

    n = rlb_pkt_build_local_reply(5, 9, false, req_auth, &sa, NULL, ps, sizeof(ps), out, sizeof(out));
    ck_assert_int_eq(n, 20 + (ssize_t)sizeof(ps));
    ck_assert_uint_eq(out[0], 5);
    ck_assert_uint_eq(out[1], 9);
    ck_assert_uint_eq(count_attr(out, (size_t)n, 80), 0);
    ck_assert_mem_eq(out + 20, ps, sizeof(ps));
    ck_assert(xfr_auth_valid(out, (size_t)n, req_auth, SECRET_A));
    ck_assert_drop(parse_n(out, (size_t)n, false, &info, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(info.ma_off, 0);
}
END_TEST

START_TEST(local_reply_too_big)
{
    static const uint8_t req_auth[16] = { AUTH };
    static char msg[5000];
    uint8_t out[4096];

    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    ck_assert_int_eq(rlb_pkt_build_local_reply(3, 1, true, req_auth, &sa, msg, NULL, 0, out, sizeof(out)), -1);
    ck_assert_int_eq(rlb_pkt_build_local_reply(3, 1, true, req_auth, &sa, "x", NULL, 0, out, 30), -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Attributes written in place                                        */

/* An Accounting-Request: Acct-Status-Type Start, Acct-Session-Id "s-1",
 * optionally Acct-Delay-Time delay; signed with SECRET_A. */
static void
acct_request(struct tpkt *p, bool with_delay, uint32_t delay)
{
    static const uint8_t start[4] = { 0, 0, 0, 1 };
    uint8_t d[4];

    tp_init(p, 4, 7, NULL);
    tp_attr(p, 40, start, sizeof(start));
    tp_attr(p, 44, "s-1", 3);
    if (with_delay) {
        rlb_put32(d, delay);
        tp_attr(p, 41, d, sizeof(d));
    }
    xfr_sign(p->b, p->len, 0, NULL, SECRET_A);
}

/* The probe's attributes: type, length, value; the offset after each. */
START_TEST(put_attr_writes_type_length_value)
{
    static const uint8_t want[] = { 1, 7, 'p', 'r', 'o', 'b', 'e', 32, 5, 'r', 'l', 'b' };
    uint8_t pkt[64] = { 1, 3 };
    char nas[32];
    size_t off;

    off = rlb_pkt_put_attr(pkt, RLB_HDR_LEN, RLB_ATTR_USER_NAME, "probe", 5);
    ck_assert_uint_eq(off, 27);
    off = rlb_pkt_put_attr(pkt, off, RLB_ATTR_NAS_IDENTIFIER, "rlb", 3);
    ck_assert_uint_eq(off, 32);
    ck_assert_mem_eq(pkt + RLB_HDR_LEN, want, sizeof(want));
    ck_assert_uint_eq(rlb_get16(pkt + 2), 0);  /* the Length field is the caller's */
    rlb_put16(pkt + 2, (uint16_t)off);
    ck_assert_drop(parse(pkt, off, false), RLB_DROP_NONE);
    ck_assert_int_eq(xfr_attr_string(pkt, off, RLB_ATTR_NAS_IDENTIFIER, SECRET_A, nas,
                                     sizeof(nas)), 1);
    ck_assert_str_eq(nas, "rlb");
}
END_TEST

/* No Acct-Delay-Time: one is appended, rounded, the Length field follows. */
START_TEST(acct_delay_added)
{
    struct tpkt p;
    uint32_t v = 0;
    size_t len, before;

    acct_request(&p, false, 0);
    before = p.len;
    len = rlb_pkt_add_acct_delay(p.b, p.len, 41.6);
    ck_assert_uint_eq(len, before + 6);
    ck_assert_uint_eq(rlb_get16(p.b + 2), len);
    ck_assert_uint_eq(p.b[before], RLB_ATTR_ACCT_DELAY_TIME);
    ck_assert_uint_eq(p.b[before + 1], 6);
    ck_assert_uint_eq(rlb_get32(p.b + before + 2), 42);
    ck_assert_drop(parse(p.b, len, false), RLB_DROP_NONE);
    ck_assert_int_eq(xfr_attr_integer(p.b, len, 41, SECRET_A, &v), 1);
    ck_assert_uint_eq(v, 42);
}
END_TEST

/* An Acct-Delay-Time the NAS sent is raised in place; the length stays. */
START_TEST(acct_delay_raised)
{
    struct tpkt p;
    uint8_t copy[sizeof(p.b)];
    uint32_t v = 0;
    size_t len, at;

    acct_request(&p, true, 5);
    at = tp_find(p.b, p.len, 41, 0);
    memcpy(copy, p.b, p.len);
    len = rlb_pkt_add_acct_delay(p.b, p.len, 10.4);
    ck_assert_uint_eq(len, p.len);
    ck_assert_uint_eq(rlb_get32(p.b + at + 2), 15);
    ck_assert_mem_eq(p.b, copy, at + 2);   /* nothing else moved */
    ck_assert_int_eq(xfr_attr_integer(p.b, len, 41, SECRET_A, &v), 1);
    ck_assert_uint_eq(v, 15);
    /* A delay below half a second leaves the value. */
    ck_assert_uint_eq(rlb_pkt_add_acct_delay(p.b, len, 0.4), len);
    ck_assert_uint_eq(rlb_get32(p.b + at + 2), 15);
}
END_TEST

/* Nothing to add: a delay that rounds to 0, or no room under 4096. */
START_TEST(acct_delay_unchanged)
{
    static const uint8_t cls[253];
    static uint8_t big[RLB_PKT_MAX];
    struct tpkt p;
    uint8_t copy[sizeof(p.b)];
    uint32_t v = 7;
    size_t len;

    acct_request(&p, false, 0);
    memcpy(copy, p.b, p.len);
    ck_assert_uint_eq(rlb_pkt_add_acct_delay(p.b, p.len, 0.2), p.len);
    ck_assert_uint_eq(rlb_pkt_add_acct_delay(p.b, p.len, -30), p.len);
    ck_assert_mem_eq(p.b, copy, p.len);
    ck_assert_int_eq(xfr_attr_integer(p.b, p.len, 41, SECRET_A, &v), 0);

    /* 4092 octets: Acct-Session-Id then Class attributes filling it. */
    len = RLB_HDR_LEN;
    big[0] = 4;
    len = rlb_pkt_put_attr(big, len, 44, "s-2", 3);
    while (len + 255 <= RLB_PKT_MAX - 4)
        len = rlb_pkt_put_attr(big, len, RLB_ATTR_CLASS, cls, sizeof(cls));
    len = rlb_pkt_put_attr(big, len, RLB_ATTR_CLASS, cls, RLB_PKT_MAX - 4 - len - 2);
    ck_assert_uint_eq(len, RLB_PKT_MAX - 4);
    rlb_put16(big + 2, (uint16_t)len);
    ck_assert_drop(parse(big, len, false), RLB_DROP_NONE);
    ck_assert_uint_eq(rlb_pkt_add_acct_delay(big, len, 60), len);
    ck_assert_uint_eq(rlb_get16(big + 2), len);
    ck_assert_uint_eq(tp_find(big, len, 41, 0), 0);
}
END_TEST

/* The replay's path: the delay added, then signed for the master as
 * rlb_pkt_build_request does; libfreeradius accepts the authenticator. */
START_TEST(acct_delay_then_signed)
{
    struct tpkt p;
    uint8_t out[4096];
    rlb_drop_t why;
    uint32_t v = 0;
    size_t len;
    ssize_t n;

    acct_request(&p, false, 0);
    len = rlb_pkt_add_acct_delay(p.b, p.len, 3);
    n = build_request(p.b, len, 21, NULL, out, sizeof(out), &why);
    ck_assert_int_gt(n, 0);
    ck_assert(xfr_auth_valid(out, (size_t)n, zero16, SECRET_B));
    ck_assert_int_eq(xfr_attr_integer(out, (size_t)n, 41, SECRET_B, &v), 1);
    ck_assert_uint_eq(v, 3);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
pkt_suite(void)
{
    Suite *s = suite_create("pkt");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_test(tc, parse_rfc2865_request_info);
    tcase_add_test(tc, parse_info_offsets);
    tcase_add_test(tc, parse_drop_datagram_shorter_than_20);
    tcase_add_test(tc, parse_drop_datagram_longer_than_4096);
    tcase_add_test(tc, parse_drop_length_field_below_20);
    tcase_add_test(tc, parse_drop_length_field_above_4096);
    tcase_add_test(tc, parse_accepts_exactly_4096);
    tcase_add_test(tc, parse_drop_datagram_shorter_than_length);
    tcase_add_test(tc, parse_accepts_datagram_longer_than_length);
    tcase_add_test(tc, parse_drop_attribute_length_0);
    tcase_add_test(tc, parse_drop_attribute_length_1);
    tcase_add_test(tc, parse_drop_attribute_overflow);
    tcase_add_test(tc, parse_drop_attributes_not_filling_packet);
    tcase_add_test(tc, parse_drop_attribute_type_0);
    tcase_add_test(tc, parse_drop_ma_not_18);
    tcase_add_test(tc, parse_drop_two_ma);
    tcase_add_test(tc, parse_drop_eap_without_ma);
    tcase_add_test(tc, parse_drop_require_ma_without_ma);
    tcase_add_test(tc, parse_drop_status_server_without_ma);
    tcase_add_test(tc, parse_drop_too_many_attributes);
    tcase_add_test(tc, parse_drop_eap_with_user_password);
    tcase_add_test(tc, parse_drop_unknown_code);
    tcase_add_test(tc, unknown_attribute_type_200_passes);
    tcase_add_test(tc, unknown_vendor_vsa_passes);
    tcase_add_test(tc, odd_attribute_order_passes);
    suite_add_tcase(s, tc);

    tc = tcase_create("check_attrs");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_test(tc, check_tunnel_password_lengths);
    tcase_add_test(tc, check_mppe_key_lengths);
    tcase_add_test(tc, check_mppe_key_literal);
    tcase_add_test(tc, check_user_password_lengths);
    tcase_add_test(tc, check_ascend_data_filter);
    tcase_add_test(tc, check_ascend_data_filter_literal);
    tcase_add_test(tc, check_ascend_send_secret_lengths);
    tcase_add_test(tc, check_wimax_valid);
    tcase_add_test(tc, check_wimax_continuation_without_fragment);
    tcase_add_test(tc, check_wimax_bad_sub_length);
    tcase_add_test(tc, check_empty_eap_message);
    tcase_add_test(tc, check_extended_attribute_too_short);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_checked_fixture(tc, secrets_setup, secrets_teardown);
    tcase_add_test(tc, verify_rfc2865_accept);
    tcase_add_test(tc, verify_rfc2865_password);
    tcase_add_test(tc, verify_accounting_request);
    tcase_add_test(tc, verify_message_authenticator);
    tcase_add_test(tc, verify_reply_message_authenticator);
    tcase_add_test(tc, verify_ma_absent);
    suite_add_tcase(s, tc);

    tc = tcase_create("build_request");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_checked_fixture(tc, secrets_setup, secrets_teardown);
    tcase_add_test(tc, request_new_id_and_ma_first);
    tcase_add_test(tc, request_ma_added_when_client_sent_none);
    tcase_add_test(tc, request_password_length_1);
    tcase_add_test(tc, request_password_length_15);
    tcase_add_test(tc, request_password_length_16);
    tcase_add_test(tc, request_password_length_17);
    tcase_add_test(tc, request_password_length_64);
    tcase_add_test(tc, request_password_length_128);
    tcase_add_test(tc, request_chap_challenge_added);
    tcase_add_test(tc, request_chap_challenge_output_parses);
    tcase_add_test(tc, request_chap_challenge_kept);
    tcase_add_test(tc, request_state_class_proxy_state_unchanged);
    tcase_add_test(tc, request_accounting_authenticator);
    tcase_add_test(tc, request_accounting_with_ma);
    tcase_add_test(tc, request_retransmission_identical);
    tcase_add_test(tc, request_accounting_retransmission_identical);
    tcase_add_test(tc, request_too_big);
    suite_add_tcase(s, tc);

    tc = tcase_create("build_reply");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_checked_fixture(tc, secrets_setup, secrets_teardown);
    tcase_add_test(tc, reply_signed_for_client);
    tcase_add_test(tc, reply_ma_added_when_server_sent_none);
    tcase_add_test(tc, reply_reject_without_ma_gets_one);
    tcase_add_test(tc, reply_accounting_response);
    tcase_add_test(tc, reply_tunnel_password_reencrypted);
    tcase_add_test(tc, reply_mppe_keys_reencrypted);
    tcase_add_test(tc, reply_salts_unique_many_attributes);
    tcase_add_test(tc, reply_state_class_proxy_state_unchanged);
    tcase_add_test(tc, reply_mppe_keys_in_one_vsa);
    tcase_add_test(tc, reply_ms_chap_mppe_keys_reencrypted);
    tcase_add_test(tc, reply_ascend_send_secret_reencrypted);
    tcase_add_test(tc, reply_bad_tunnel_password_dropped);
    suite_add_tcase(s, tc);

    tc = tcase_create("build_local_reply");
    tcase_add_checked_fixture(tc, secrets_setup, secrets_teardown);
    tcase_add_test(tc, local_reply_long_message_and_proxy_state);
    tcase_add_test(tc, local_reply_minimal);
    tcase_add_test(tc, local_reply_too_big);
    tcase_add_test(tc, local_reply_without_ma);
    suite_add_tcase(s, tc);

    tc = tcase_create("attrs_in_place");
    tcase_add_unchecked_fixture(tc, dict_setup, NULL);
    tcase_add_checked_fixture(tc, secrets_setup, secrets_teardown);
    tcase_add_test(tc, put_attr_writes_type_length_value);
    tcase_add_test(tc, acct_delay_added);
    tcase_add_test(tc, acct_delay_raised);
    tcase_add_test(tc, acct_delay_unchanged);
    tcase_add_test(tc, acct_delay_then_signed);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    return rlb_test_main(pkt_suite());
}
