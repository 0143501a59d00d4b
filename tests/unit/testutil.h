/*
 * testutil.h: what the unit test programs share: a runner, the RADIUS
 * dictionary, secrets, and a small builder for packets that are too long
 * to write out as byte arrays (short ones are written out literally in
 * the tests).
 *
 * Header-only (static inline) so that each program links only its own
 * sources and librlb.a.
 */
#ifndef RLB_TESTUTIL_H
#define RLB_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DICT_DIR "/usr/share/freeradius"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Runs one suite; the exit status is what automake's test driver wants. */
static inline int
rlb_test_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------------ */
/* Packets built attribute by attribute                               */

struct tpkt {
    uint8_t b[4096 + 256];         /* room to build a packet that is too long */
    size_t  len;
};

static inline void
tp_init(struct tpkt *p, uint8_t code, uint8_t id, const uint8_t auth[16])
{
    memset(p, 0, sizeof(*p));
    p->b[0] = code;
    p->b[1] = id;
    if (auth)
        memcpy(p->b + 4, auth, 16);
    p->len = 20;
    p->b[2] = 0;
    p->b[3] = 20;
}

static inline void
tp_set_len(struct tpkt *p)
{
    p->b[2] = (uint8_t)(p->len >> 8);
    p->b[3] = (uint8_t)p->len;
}

/* Appends raw octets; returns their offset. */
static inline size_t
tp_raw(struct tpkt *p, const void *data, size_t n)
{
    size_t off = p->len;

    ck_assert_uint_le(p->len + n, sizeof(p->b));
    memcpy(p->b + p->len, data, n);
    p->len += n;
    tp_set_len(p);
    return off;
}

/* Appends one attribute (value up to 253 octets); returns its offset. */
static inline size_t
tp_attr(struct tpkt *p, uint8_t type, const void *val, size_t vlen)
{
    uint8_t hdr[2];
    size_t off;

    ck_assert_uint_le(vlen, 253);
    hdr[0] = type;
    hdr[1] = (uint8_t)(vlen + 2);
    off = tp_raw(p, hdr, 2);
    if (vlen)
        tp_raw(p, val, vlen);
    return off;
}

/* Appends a Vendor-Specific attribute with one sub-attribute in the
 * RFC 2865 layout (type 1 octet, length 1 octet); returns the offset of
 * the VSA. */
static inline size_t
tp_vsa(struct tpkt *p, uint32_t vendor, uint8_t type, const void *val, size_t vlen)
{
    uint8_t hdr[8];
    size_t off;

    ck_assert_uint_le(vlen, 247);
    hdr[0] = 26;
    hdr[1] = (uint8_t)(vlen + 8);
    hdr[2] = (uint8_t)(vendor >> 24);
    hdr[3] = (uint8_t)(vendor >> 16);
    hdr[4] = (uint8_t)(vendor >> 8);
    hdr[5] = (uint8_t)vendor;
    hdr[6] = type;
    hdr[7] = (uint8_t)(vlen + 2);
    off = tp_raw(p, hdr, 8);
    if (vlen)
        tp_raw(p, val, vlen);
    return off;
}

/* A Message-Authenticator placeholder (all zero); returns its offset. */
static inline size_t
tp_ma(struct tpkt *p)
{
    static const uint8_t zero[16];

    return tp_attr(p, 80, zero, 16);
}

/* Offset of the n-th (0-based) attribute of a given type, 0 when absent. */
static inline size_t
tp_find(const uint8_t *pkt, size_t len, uint8_t type, unsigned n)
{
    for (size_t off = 20; off + 2 <= len && pkt[off + 1] >= 2; off += pkt[off + 1]) {
        if (pkt[off] == type && n-- == 0)
            return off;
    }
    return 0;
}

/* Offset of the n-th VSA of vendor/type (RFC 2865 layout), 0 when absent. */
static inline size_t
tp_find_vsa(const uint8_t *pkt, size_t len, uint32_t vendor, uint8_t type, unsigned n)
{
    for (size_t off = 20; off + 2 <= len && pkt[off + 1] >= 2; off += pkt[off + 1]) {
        if (pkt[off] == 26 && pkt[off + 1] >= 8 &&
            (((uint32_t)pkt[off + 2] << 24) | ((uint32_t)pkt[off + 3] << 16) |
             ((uint32_t)pkt[off + 4] << 8) | pkt[off + 5]) == vendor &&
            pkt[off + 6] == type && n-- == 0)
            return off;
    }
    return 0;
}

/* Deterministic filler so that failures reproduce. */
static inline void
fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}

#endif
