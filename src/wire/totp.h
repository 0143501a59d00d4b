/*
 * totp.h: one-time codes of RFC 6238 (TOTP: HMAC-SHA1 over the count of
 * time steps since the Unix epoch, RFC 4226's dynamic truncation) and the
 * base32 of RFC 4648 the secrets of authenticator apps are written in.
 */
#ifndef RLB_TOTP_H
#define RLB_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define RLB_TOTP_STEP 30           /* seconds of one time step */

/* Decodes base32 text (A-Z, 2-7; lower case, spaces and '=' padding taken)
 * into out (at most cap octets). Returns the octets decoded, or -1 when
 * the text holds another character, leaves stray bits or does not fit. */
int rlb_base32_decode(const char *text, uint8_t *out, size_t cap);

/* The code of counter (time steps) under key: digits (1 to 9) decimal
 * digits, written with leading zeros into out (digits + 1 octets). Returns
 * the code as a number, or -1 on a bad argument. */
long rlb_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits, char *out);

/* The TOTP code at unix time t (30-second steps). */
long rlb_totp(const uint8_t *key, size_t keylen, double t, int digits, char *out);

#endif
