/*
 * fr_xcheck.c: libfreeradius cross-checks (see fr_xcheck.h). No config.h
 * here: the libfreeradius headers define the autoconf symbols they need.
 */
#include <freeradius/build.h>
#include <freeradius/libradius.h>
#include <freeradius/md5.h>

#include <stdio.h>
#include <string.h>

#include "fr_xcheck.h"

int
xfr_pwencode(uint8_t *buf, size_t *len, const char *secret, const uint8_t vector[16])
{
    return rad_pwencode((char *)buf, len, secret, vector);
}

int
xfr_pwdecode(uint8_t *buf, size_t len, const char *secret, const uint8_t vector[16])
{
    return rad_pwdecode((char *)buf, len, secret, vector);
}

ssize_t
xfr_tunnel_pwencode(uint8_t *buf, size_t *len, const char *secret, const uint8_t vector[16])
{
    return rad_tunnel_pwencode((char *)buf, len, secret, vector);
}

ssize_t
xfr_tunnel_pwdecode(uint8_t *buf, size_t *len, const char *secret, const uint8_t vector[16])
{
    return rad_tunnel_pwdecode(buf, len, secret, vector);
}

void
xfr_hmac_md5(uint8_t out[16], const uint8_t *data, size_t len, const uint8_t *key, size_t keylen)
{
    fr_hmac_md5(out, data, len, key, keylen);
}

void
xfr_md5(uint8_t out[16], const uint8_t *data, size_t len)
{
    fr_md5_calc(out, data, len);
}

static void
md5_with_secret(uint8_t out[16], const uint8_t *pkt, size_t len, const char *secret)
{
    size_t slen = strlen(secret);
    uint8_t buf[4096 + 256];

    memcpy(buf, pkt, len);
    memcpy(buf + len, secret, slen);
    fr_md5_calc(out, buf, len + slen);
}

void
xfr_sign(uint8_t *pkt, size_t len, size_t ma_off, const uint8_t req_auth[16], const char *secret)
{
    uint8_t code = pkt[0];
    bool request = code == 1 || code == 12;

    pkt[2] = (uint8_t)(len >> 8);
    pkt[3] = (uint8_t)len;
    if (code == 4)
        memset(pkt + 4, 0, 16);
    else if (!request)
        memcpy(pkt + 4, req_auth, 16);
    if (ma_off) {
        pkt[ma_off] = 80;
        pkt[ma_off + 1] = 18;
        memset(pkt + ma_off + 2, 0, 16);
        fr_hmac_md5(pkt + ma_off + 2, pkt, len, (const uint8_t *)secret, strlen(secret));
    }
    if (!request) {
        uint8_t d[16];

        md5_with_secret(d, pkt, len, secret);
        memcpy(pkt + 4, d, 16);
    }
}

bool
xfr_ma_valid(const uint8_t *pkt, size_t len, size_t ma_off, const uint8_t auth_field[16],
             const char *secret)
{
    uint8_t buf[4096], mac[16];

    if (len > sizeof(buf) || ma_off < 20 || ma_off + 18 > len || pkt[ma_off] != 80 ||
        pkt[ma_off + 1] != 18)
        return false;
    memcpy(buf, pkt, len);
    memcpy(buf + 4, auth_field, 16);
    memset(buf + ma_off + 2, 0, 16);
    fr_hmac_md5(mac, buf, len, (const uint8_t *)secret, strlen(secret));
    return memcmp(mac, pkt + ma_off + 2, 16) == 0;
}

bool
xfr_auth_valid(const uint8_t *pkt, size_t len, const uint8_t auth_field[16], const char *secret)
{
    uint8_t buf[4096], d[16];

    if (len > sizeof(buf) || len < 20)
        return false;
    memcpy(buf, pkt, len);
    memcpy(buf + 4, auth_field, 16);
    md5_with_secret(d, buf, len, secret);
    return memcmp(d, pkt + 4, 16) == 0;
}

/* Decodes pkt into a packet of its own (freed by the caller with
 * rad_free()); NULL when libfreeradius refuses it. */
static RADIUS_PACKET *
decode(const uint8_t *pkt, size_t len, const char *secret)
{
    RADIUS_PACKET *p = rad_alloc(NULL, false);
    decode_fail_t reason;

    if (!p)
        return NULL;
    p->src_ipaddr.af = AF_INET;
    p->dst_ipaddr.af = AF_INET;
    p->data = talloc_memdup(p, pkt, len);
    p->data_len = len;
    if (!p->data || !rad_packet_ok(p, 0, &reason) || rad_decode(p, NULL, secret) < 0) {
        rad_free(&p);
        return NULL;
    }
    return p;
}

/* The first standard attribute attr of p in *first; how many there are. */
static int
count_attr(RADIUS_PACKET *p, unsigned attr, VALUE_PAIR **first)
{
    int n = 0;

    *first = NULL;
    for (VALUE_PAIR *vp = p->vps; vp; vp = vp->next) {
        if (vp->da->vendor == 0 && vp->da->attr == attr && n++ == 0)
            *first = vp;
    }
    return n;
}

int
xfr_attr_integer(const uint8_t *pkt, size_t len, unsigned attr, const char *secret,
                 uint32_t *val)
{
    RADIUS_PACKET *p = decode(pkt, len, secret);
    VALUE_PAIR *vp;
    int n;

    if (!p)
        return -1;
    n = count_attr(p, attr, &vp);
    if (vp)
        *val = vp->vp_integer;
    rad_free(&p);
    return n;
}

int
xfr_attr_string(const uint8_t *pkt, size_t len, unsigned attr, const char *secret, char *str,
                size_t size)
{
    RADIUS_PACKET *p = decode(pkt, len, secret);
    VALUE_PAIR *vp;
    int n;

    if (!p)
        return -1;
    n = count_attr(p, attr, &vp);
    if (vp && size)
        snprintf(str, size, "%s", vp->vp_strvalue);
    rad_free(&p);
    return n;
}
