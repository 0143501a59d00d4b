/*
 * crypto.h: the RADIUS cryptography radlb needs, set up once per secret.
 *
 * Each shared secret carries three precomputed MD5 states: after absorbing
 * the secret (the User-Password/Tunnel-Password keystream starts with
 * MD5(secret || ...)), and the HMAC-MD5 inner and outer states. A packet
 * then costs a struct copy and the MD5 blocks of its own bytes: no key
 * setup, no algorithm fetch and no allocation per packet. OpenSSL's EVP
 * interface cannot give that (EVP_MD_CTX_copy_ex allocates on OpenSSL 3,
 * and so does libfreeradius's fr_md5 wrapper built on it), so this module
 * uses OpenSSL's MD5 block functions directly.
 */
#ifndef RLB_CRYPTO_H
#define RLB_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1
#endif
#include <openssl/md5.h>

#define RLB_MD5_LEN 16

struct rlb_secret {
    uint8_t *data;                 /* the secret's octets (NUL-terminated copy) */
    size_t   len;                  /* its length in octets */
    MD5_CTX  md5_pre;              /* MD5 state after absorbing the secret */
    MD5_CTX  hmac_in;              /* HMAC-MD5 state after (key ^ ipad) */
    MD5_CTX  hmac_out;             /* HMAC-MD5 state after (key ^ opad) */
};

int  rlb_secret_init(struct rlb_secret *s, const void *data, size_t len);
void rlb_secret_free(struct rlb_secret *s);
/* Constant-time comparison of two secrets. */
bool rlb_secret_equal(const struct rlb_secret *a, const struct rlb_secret *b);
/* Constant-time comparison of two digests. */
bool rlb_digest_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* HMAC-MD5(secret, data). */
void rlb_hmac_md5(const struct rlb_secret *s, const uint8_t *data, size_t len,
                  uint8_t out[RLB_MD5_LEN]);
/* HMAC-MD5 over data given in pieces (a packet with a field replaced). */
struct rlb_hmac {
    MD5_CTX                  ctx;  /* inner state */
    const struct rlb_secret *s;
};
void rlb_hmac_begin(struct rlb_hmac *h, const struct rlb_secret *s);
void rlb_hmac_add(struct rlb_hmac *h, const void *data, size_t len);
void rlb_hmac_end(struct rlb_hmac *h, uint8_t out[RLB_MD5_LEN]);

/* MD5(data || secret): the Request (accounting) and Response Authenticators. */
void rlb_md5_then_secret(const struct rlb_secret *s, const uint8_t *data, size_t len,
                         uint8_t out[RLB_MD5_LEN]);

/*
 * RFC 2865 5.2 / RFC 2868 3.5 / RFC 2548 2.4.2 keystream:
 *   b1 = MD5(secret || seed), bi = MD5(secret || c(i-1)), c(i) = p(i) ^ b(i)
 * seed is the Request Authenticator (User-Password) or the authenticator
 * followed by the salt (Tunnel-Password, MS-MPPE keys). len is a multiple
 * of 16; buf is transformed in place.
 */
void rlb_keystream_hide(const struct rlb_secret *s, const uint8_t *seed, size_t seedlen,
                        uint8_t *buf, size_t len);
void rlb_keystream_unhide(const struct rlb_secret *s, const uint8_t *seed, size_t seedlen,
                          uint8_t *buf, size_t len);
/* Ascend secret (FreeRADIUS encrypt=3): value ^ MD5(seed || secret), len <= 16. */
void rlb_ascend_secret_xor(const struct rlb_secret *s, const uint8_t seed[16],
                           uint8_t *buf, size_t len);

/* Unpredictable bytes from OpenSSL's DRBG, drawn from a refilled pool. */
void rlb_random_bytes(void *out, size_t len);

#endif
