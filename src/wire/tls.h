/*
 * tls.h: radlb's TLS contexts (OpenSSL) for RadSec listeners and servers,
 * and certificate fingerprints.
 *
 * One context per side, built from the tls section: radlb's certificate
 * and key, the CAs that sign peers, an optional CRL; TLS 1.2 or later, no
 * compression, no renegotiation, no 0-RTT, no session tickets. Listeners
 * require a client certificate (mutual TLS). A peer passes when its chain
 * verifies against ca_file, or, without ca_file, when its certificate
 * matches the pinned fingerprint of that client or server; a configured
 * pin is always checked, even when the chain verifies.
 */
#ifndef RLB_TLS_H
#define RLB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

#include "conf.h"

/* "sha256:AB:CD:..." (case-insensitive; "sha256:" and colons optional) ->
 * 32 octets. Returns -1 when it is not a SHA-256 fingerprint. */
int  rlb_tls_fp_parse(const char *text, unsigned char out[RLB_FP_LEN]);
/* 32 octets -> "sha256:AB:CD:...", buf of at least RLB_TLS_FP_STRLEN. */
#define RLB_TLS_FP_STRLEN (7 + RLB_FP_LEN * 3)
const char *rlb_tls_fp_str(const unsigned char fp[RLB_FP_LEN], char *buf);

/* The context of listeners (server side) or of connections toward servers
 * (client side); NULL with a reason in err. */
SSL_CTX *rlb_tls_ctx_new(const struct rlb_conf_tls *t, bool server_side, char *err, size_t errlen);

/* After a handshake: the peer certificate's fingerprint (false without a
 * certificate). */
bool rlb_tls_peer_fp(SSL *ssl, unsigned char out[RLB_FP_LEN]);

/* Why a handshake failed: the verification result or OpenSSL's error
 * queue (emptied), as text. */
const char *rlb_tls_error(SSL *ssl, int ret, char *buf, size_t len);

#endif
