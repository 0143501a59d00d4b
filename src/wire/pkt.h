/*
 * pkt.h: RADIUS packets on the wire: validation, authenticator and
 * Message-Authenticator checks, and the two rewrites a proxy makes (client
 * request -> server request, server reply -> client reply).
 *
 * Bytes in, verdict out: nothing here touches a socket or allocates, so the
 * unit tests and the fuzzers feed it literal packets. Attributes are walked
 * in place; the rewrite copies the packet once into the output buffer and
 * re-encrypts the hidden attributes there.
 */
#ifndef RLB_PKT_H
#define RLB_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto.h"
#include "drop.h"
#include "radius.h"

/* What one walk of a packet tells the proxy. Offsets are from the start
 * of the packet; 0 means absent (no attribute can start at 0). */
struct rlb_pkt_info {
    uint8_t  code;
    uint8_t  id;
    uint16_t len;                  /* the Length field (trailing padding ignored) */
    uint16_t ma_off;               /* Message-Authenticator */
    uint16_t state_off;            /* first State */
    uint16_t chap_password_off;
    uint16_t chap_challenge_off;
    uint16_t proxy_state_off;      /* first Proxy-State */
    uint16_t proxy_state_len;      /* octets of all Proxy-State attributes, headers included */
    uint8_t  n_proxy_state;
    uint8_t  n_ma;
};

/*
 * Structural validation of a received datagram (libfreeradius
 * rad_packet_ok() plus the 4096-octet limit and a single
 * Message-Authenticator). *len is cut to the Length field. require_ma also
 * holds for Status-Server and EAP-Message. Returns RLB_DROP_NONE or why.
 */
rlb_drop_t rlb_pkt_parse(uint8_t *data, size_t *len, bool require_ma,
                         struct rlb_pkt_info *info);

/*
 * Typed checks that need the dictionary (RFC 2865 5.2, RFC 2868 3.5,
 * RFC 2548, RFC 6929, WiMAX): encrypted attributes of an impossible
 * length, a malformed Ascend binary filter, an empty concatenated
 * attribute (EAP-Message), a broken WiMAX continuation, an extended
 * attribute without its extended type. Unknown attributes always pass.
 */
rlb_drop_t rlb_pkt_check_attrs(const uint8_t *data, const struct rlb_pkt_info *info);

/* The value of the first attribute (vendor 0: standard) in a parsed packet,
 * or NULL; *len gets its length. */
const uint8_t *rlb_pkt_find_attr(const uint8_t *pkt, const struct rlb_pkt_info *info,
                                 unsigned vendor, unsigned attr, size_t *len);

/* Message-Authenticator (RFC 3579 3.2) over the packet with the
 * authenticator field read as auth_field. */
bool rlb_pkt_ma_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
                   const uint8_t auth_field[RLB_AUTH_LEN], const struct rlb_secret *s);
/* Accounting-Request Request Authenticator (RFC 2866 3). */
bool rlb_pkt_acct_request_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
                             const struct rlb_secret *s);
/* Response Authenticator of a reply to a request sent with req_auth (RFC 2865 3). */
bool rlb_pkt_reply_ok(const uint8_t *pkt, const struct rlb_pkt_info *info,
                      const uint8_t req_auth[RLB_AUTH_LEN], const struct rlb_secret *s);

/*
 * Client request -> server request. The output has the new Identifier,
 * Message-Authenticator as its first attribute (always for Access-Request,
 * BlastRADIUS; for Accounting-Request when the client sent one), every
 * other attribute in its order, encrypted ones re-hidden with the server
 * secret, and CHAP-Challenge added when CHAP-Password came without one
 * (RFC 2865 2.3). For Access-Request, auth is the new Request
 * Authenticator (kept by the caller so that a retransmission produces the
 * same bytes); for Accounting-Request the authenticator is computed and
 * left at out[4..19]. Returns the length, or -1 with *why.
 */
/*
 * A copy of in (parsed into info) with one attribute's value replaced:
 * value points at the value of a top-level attribute of in (as
 * rlb_pkt_find_attr gives it), nv/nvlen is the new one (1..253 octets).
 * Returns the copy's length (to be parsed again), 0 when it does not fit.
 */
size_t rlb_pkt_replace_attr(const uint8_t *in, const struct rlb_pkt_info *info,
                            const uint8_t *value, const uint8_t *nv, size_t nvlen, uint8_t *out,
                            size_t outsize);

ssize_t rlb_pkt_build_request(const uint8_t *in, const struct rlb_pkt_info *info,
                              const struct rlb_secret *client_secret,
                              const struct rlb_secret *server_secret,
                              uint8_t id, const uint8_t auth[RLB_AUTH_LEN],
                              uint8_t *out, size_t outsize, rlb_drop_t *why);

/*
 * Server reply -> client reply: the client's Identifier, Message-
 * Authenticator first (always for Access-Accept/Reject/Challenge),
 * Tunnel-Password, MS-MPPE keys and other hidden attributes re-encrypted
 * from (server secret, sent_auth) to (client secret, client_auth) with
 * fresh salts, then re-signed. State, Class and Proxy-State pass byte for
 * byte. Returns the length, or -1 with *why.
 */
ssize_t rlb_pkt_build_reply(const uint8_t *in, const struct rlb_pkt_info *info,
                            const struct rlb_secret *server_secret,
                            const uint8_t sent_auth[RLB_AUTH_LEN],
                            const struct rlb_secret *client_secret,
                            uint8_t client_id, const uint8_t client_auth[RLB_AUTH_LEN],
                            uint8_t *out, size_t outsize, rlb_drop_t *why);

/*
 * A reply radlb writes itself (Status-Server answer, Access-Reject, the
 * Accounting-Response of a spooled record): Message-Authenticator first
 * when ma (always for Access-* and Status-Server answers; not for the
 * Accounting-Response to an Accounting-Request, whose Message-
 * Authenticator peers compute over a zero authenticator), an optional
 * Reply-Message, the request's Proxy-State attributes copied in order
 * (proxy_state: their raw octets, headers included), signed with the
 * client secret over req_auth.
 */
ssize_t rlb_pkt_build_local_reply(uint8_t code, uint8_t id, bool ma,
                                  const uint8_t req_auth[RLB_AUTH_LEN],
                                  const struct rlb_secret *s, const char *reply_message,
                                  const uint8_t *proxy_state, size_t proxy_state_len,
                                  uint8_t *out, size_t outsize);

/*
 * Signs a packet built in place: for Access-Request the authenticator is
 * already set; for Accounting-Request it is computed; for replies the
 * authenticator field is set from req_auth and the Response Authenticator
 * computed. ma_off, when not 0, gets the Message-Authenticator first.
 */
void rlb_pkt_sign(uint8_t *pkt, size_t len, uint16_t ma_off,
                  const uint8_t req_auth[RLB_AUTH_LEN], const struct rlb_secret *s);

static inline uint16_t
rlb_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void
rlb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t
rlb_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
rlb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes one attribute (type, length, len octets of value: at most 253)
 * at offset off of a packet being built; returns the offset after it. The
 * caller has checked the room; the Length field is not changed. */
size_t rlb_pkt_put_attr(uint8_t *pkt, size_t off, uint8_t type, const void *val, size_t len);

/*
 * Raises the Acct-Delay-Time (RFC 2866 5.2) of an Accounting-Request of
 * len octets by delay seconds, rounded (negative: 0): the first one of
 * length 6 is changed in place; without one, one is appended when the
 * delay is not 0 and the packet stays within RLB_PKT_MAX octets (pkt has
 * room for RLB_PKT_MAX), and the Length field follows. The authenticator
 * is not recomputed. Returns the new length.
 */
size_t rlb_pkt_add_acct_delay(uint8_t *pkt, size_t len, double delay);

/* Status-Server (RFC 5997) with Message-Authenticator, into pkt (38
 * octets); returns its length. */
size_t rlb_pkt_build_status_server(uint8_t id, const uint8_t auth[RLB_AUTH_LEN],
                                   const struct rlb_secret *secret, uint8_t *pkt);

/* radlb's own login (the health probe's Access-Request, the MFA probe's
 * legs): Message-Authenticator first (BlastRADIUS), User-Name,
 * User-Password hidden with secret, State when given, NAS-Identifier;
 * signed. Returns its length (at most 600 octets). */
size_t rlb_pkt_build_login(uint8_t id, const uint8_t auth[RLB_AUTH_LEN],
                           const struct rlb_secret *secret, const char *user,
                           const char *password, const uint8_t *state, size_t statelen,
                           const char *nas_id, uint8_t *pkt);

#endif
