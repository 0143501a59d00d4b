/*
 * fr_xcheck.h: independent implementations to check radlb against, taken
 * from libfreeradius-radius (fr_xcheck.c). That file includes the
 * libfreeradius headers, which bring their own autoconf symbols and must
 * not meet radlb's config.h: this interface passes plain octets only.
 */
#ifndef RLB_FR_XCHECK_H
#define RLB_FR_XCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* rad_pwencode(): hides plaintext (len octets) in place; buf must hold
 * 128 octets. *len becomes the padded length. */
int xfr_pwencode(uint8_t *buf, size_t *len, const char *secret, const uint8_t vector[16]);
/* rad_pwdecode(): reveals in place; returns the password's length. */
int xfr_pwdecode(uint8_t *buf, size_t len, const char *secret, const uint8_t vector[16]);
/* rad_tunnel_pwencode(): buf (256 octets) holds the plaintext on entry and
 * salt + encrypted data on return, *len its length. */
ssize_t xfr_tunnel_pwencode(uint8_t *buf, size_t *len, const char *secret,
                            const uint8_t vector[16]);
/* rad_tunnel_pwdecode(): buf holds salt + encrypted data; on return the
 * plaintext, *len its length. Returns < 0 when it does not decode. */
ssize_t xfr_tunnel_pwdecode(uint8_t *buf, size_t *len, const char *secret,
                            const uint8_t vector[16]);
/* fr_hmac_md5() and fr_md5_calc(). */
void xfr_hmac_md5(uint8_t out[16], const uint8_t *data, size_t len,
                  const uint8_t *key, size_t keylen);
void xfr_md5(uint8_t out[16], const uint8_t *data, size_t len);

/*
 * Signing and verification written with the libfreeradius MD5 and
 * HMAC-MD5, independent of src/wire/pkt.c and src/crypto.c.
 *
 * xfr_sign: sets the Length field to len; ma_off (0: none) gets a
 * Message-Authenticator. Access-Request (code 1) and Status-Server (12):
 * the authenticator field is left as it is. Accounting-Request (4): zero
 * for the MA, then MD5(packet || secret). Replies: req_auth in the field
 * for the MA, then MD5(packet || secret).
 */
void xfr_sign(uint8_t *pkt, size_t len, size_t ma_off, const uint8_t req_auth[16],
              const char *secret);
/* HMAC-MD5 of the packet with the authenticator field read as
 * auth_field and the MA at ma_off zeroed equals the MA. */
bool xfr_ma_valid(const uint8_t *pkt, size_t len, size_t ma_off, const uint8_t auth_field[16],
                  const char *secret);
/* MD5(code id length auth_field attributes secret) equals pkt[4..19]. */
bool xfr_auth_valid(const uint8_t *pkt, size_t len, const uint8_t auth_field[16],
                    const char *secret);

/*
 * libfreeradius's reading of a packet: rad_packet_ok() then rad_decode()
 * (the dictionary loaded, as rlb_dict_load() does). The value of the first
 * standard attribute attr: an integer in *val, a string (NUL-terminated,
 * cut to size) in str. Return how many attributes attr the packet has, -1
 * when it does not decode.
 */
int xfr_attr_integer(const uint8_t *pkt, size_t len, unsigned attr, const char *secret,
                     uint32_t *val);
int xfr_attr_string(const uint8_t *pkt, size_t len, unsigned attr, const char *secret,
                    char *str, size_t size);

#endif
