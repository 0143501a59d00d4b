/*
 * totp.c: RFC 6238 codes over OpenSSL's HMAC-SHA1, and base32 (see totp.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"

int
rlb_base32_decode(const char *text, uint8_t *out, size_t cap)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned bits = 0, nbits = 0;
    size_t n = 0;
    bool padding = false;

    for (const char *c = text; *c; c++) {
        const char *at;

        if (*c == ' ' || *c == '\t')
            continue;
        if (*c == '=') {
            padding = true;
            continue;
        }
        at = strchr(alphabet, toupper((unsigned char)*c));
        if (!at || padding)
            return -1;
        bits = (bits << 5) | (unsigned)(at - alphabet);
        nbits += 5;
        if (nbits >= 8) {
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(bits >> (nbits - 8));
            nbits -= 8;
        }
        bits &= (1u << nbits) - 1;
    }
    if (nbits >= 5 || bits != 0)   /* a stray character, or bits left over */
        return -1;
    return (int)n;
}

long
rlb_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits, char *out)
{
    uint8_t msg[8], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, off;
    unsigned long code, mod = 1;

    if (digits < 1 || digits > 9 || keylen > 1024)
        return -1;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) || mdlen < 20)
        return -1;
    off = md[mdlen - 1] & 0x0f;
    code = ((unsigned long)(md[off] & 0x7f) << 24) | ((unsigned long)md[off + 1] << 16) |
           ((unsigned long)md[off + 2] << 8) | md[off + 3];
    for (int i = 0; i < digits; i++)
        mod *= 10;
    code %= mod;
    for (unsigned long rest = code, i = (unsigned long)digits; i > 0; i--, rest /= 10)
        out[i - 1] = (char)('0' + rest % 10);
    out[digits] = '\0';
    return (long)code;
}

long
rlb_totp(const uint8_t *key, size_t keylen, double t, int digits, char *out)
{
    if (t < 0)
        return -1;
    return rlb_hotp(key, keylen, (uint64_t)(t / RLB_TOTP_STEP), digits, out);
}
