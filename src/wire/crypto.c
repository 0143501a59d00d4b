/*
 * crypto.c: per-secret MD5/HMAC-MD5 states and the RADIUS keystreams.
 */
#include "config.h"

#include "crypto.h"          /* first: it opts in to OpenSSL's MD5 block API */

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define HMAC_BLOCK 64

int
rlb_secret_init(struct rlb_secret *s, const void *data, size_t len)
{
    uint8_t key[HMAC_BLOCK], pad[HMAC_BLOCK];

    memset(s, 0, sizeof(*s));
    s->data = malloc(len + 1);
    if (!s->data)
        return -1;
    memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;

    MD5_Init(&s->md5_pre);
    MD5_Update(&s->md5_pre, s->data, s->len);

    memset(key, 0, sizeof(key));
    if (len > HMAC_BLOCK)
        MD5(s->data, len, key);
    else
        memcpy(key, s->data, len);

    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = key[i] ^ 0x36;
    MD5_Init(&s->hmac_in);
    MD5_Update(&s->hmac_in, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = key[i] ^ 0x5c;
    MD5_Init(&s->hmac_out);
    MD5_Update(&s->hmac_out, pad, HMAC_BLOCK);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(pad, sizeof(pad));
    return 0;
}

void
rlb_secret_free(struct rlb_secret *s)
{
    if (s->data) {
        OPENSSL_cleanse(s->data, s->len);
        free(s->data);
    }
    OPENSSL_cleanse(s, sizeof(*s));
}

bool
rlb_secret_equal(const struct rlb_secret *a, const struct rlb_secret *b)
{
    if (a->len != b->len)
        return false;
    return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

bool
rlb_digest_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void
rlb_hmac_md5(const struct rlb_secret *s, const uint8_t *data, size_t len,
             uint8_t out[RLB_MD5_LEN])
{
    MD5_CTX ctx = s->hmac_in;
    uint8_t inner[RLB_MD5_LEN];

    MD5_Update(&ctx, data, len);
    MD5_Final(inner, &ctx);
    ctx = s->hmac_out;
    MD5_Update(&ctx, inner, RLB_MD5_LEN);
    MD5_Final(out, &ctx);
}

void
rlb_hmac_begin(struct rlb_hmac *h, const struct rlb_secret *s)
{
    h->ctx = s->hmac_in;
    h->s = s;
}

void
rlb_hmac_add(struct rlb_hmac *h, const void *data, size_t len)
{
    MD5_Update(&h->ctx, data, len);
}

void
rlb_hmac_end(struct rlb_hmac *h, uint8_t out[RLB_MD5_LEN])
{
    uint8_t inner[RLB_MD5_LEN];
    MD5_CTX outer = h->s->hmac_out;

    MD5_Final(inner, &h->ctx);
    MD5_Update(&outer, inner, RLB_MD5_LEN);
    MD5_Final(out, &outer);
}

void
rlb_md5_then_secret(const struct rlb_secret *s, const uint8_t *data, size_t len,
                    uint8_t out[RLB_MD5_LEN])
{
    MD5_CTX ctx;

    MD5_Init(&ctx);
    MD5_Update(&ctx, data, len);
    MD5_Update(&ctx, s->data, s->len);
    MD5_Final(out, &ctx);
}

void
rlb_keystream_hide(const struct rlb_secret *s, const uint8_t *seed, size_t seedlen,
                   uint8_t *buf, size_t len)
{
    const uint8_t *prev = seed;
    size_t prevlen = seedlen;

    for (size_t off = 0; off + RLB_MD5_LEN <= len; off += RLB_MD5_LEN) {
        MD5_CTX ctx = s->md5_pre;
        uint8_t b[RLB_MD5_LEN];

        MD5_Update(&ctx, prev, prevlen);
        MD5_Final(b, &ctx);
        for (int i = 0; i < RLB_MD5_LEN; i++)
            buf[off + i] ^= b[i];
        prev = buf + off;          /* c(i) feeds the next block */
        prevlen = RLB_MD5_LEN;
    }
}

void
rlb_keystream_unhide(const struct rlb_secret *s, const uint8_t *seed, size_t seedlen,
                     uint8_t *buf, size_t len)
{
    uint8_t prev[RLB_MD5_LEN + 2], cur[RLB_MD5_LEN];
    size_t prevlen = seedlen;

    if (seedlen > sizeof(prev))
        return;
    memcpy(prev, seed, seedlen);
    for (size_t off = 0; off + RLB_MD5_LEN <= len; off += RLB_MD5_LEN) {
        MD5_CTX ctx = s->md5_pre;
        uint8_t b[RLB_MD5_LEN];

        MD5_Update(&ctx, prev, prevlen);
        MD5_Final(b, &ctx);
        memcpy(cur, buf + off, RLB_MD5_LEN);   /* keep c(i) for the next block */
        for (int i = 0; i < RLB_MD5_LEN; i++)
            buf[off + i] ^= b[i];
        memcpy(prev, cur, RLB_MD5_LEN);
        prevlen = RLB_MD5_LEN;
    }
}

void
rlb_ascend_secret_xor(const struct rlb_secret *s, const uint8_t seed[16],
                      uint8_t *buf, size_t len)
{
    MD5_CTX ctx;
    uint8_t b[RLB_MD5_LEN];

    MD5_Init(&ctx);
    MD5_Update(&ctx, seed, 16);
    MD5_Update(&ctx, s->data, s->len);
    MD5_Final(b, &ctx);
    for (size_t i = 0; i < len && i < RLB_MD5_LEN; i++)
        buf[i] ^= b[i];
}

/* A pool so that the 16 octets of a Request Authenticator do not cost a
 * trip through the DRBG each. */
static uint8_t rand_pool[4096];
static size_t rand_left;

void
rlb_random_bytes(void *out, size_t len)
{
    uint8_t *p = out;

    while (len > 0) {
        size_t n;

        if (rand_left == 0) {
            if (RAND_bytes(rand_pool, sizeof(rand_pool)) != 1)
                abort();           /* no entropy: refuse to send guessable authenticators */
            rand_left = sizeof(rand_pool);
        }
        n = len < rand_left ? len : rand_left;
        memcpy(p, rand_pool + sizeof(rand_pool) - rand_left, n);
        OPENSSL_cleanse(rand_pool + sizeof(rand_pool) - rand_left, n);
        rand_left -= n;
        p += n;
        len -= n;
    }
}
