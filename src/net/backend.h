/*
 * backend.h: RADIUS over TCP and TLS toward the servers.
 *
 * Each socket of a server with proto "tcp" or "tls" is one connection
 * (a link) carrying at most 256 requests, its Identifiers. A link connects
 * when the first request is queued on it; requests queued meanwhile leave
 * once it is open. A TLS server's certificate must verify against ca_file
 * (and carry tls_name when set) and match its pinned fingerprint when one
 * is set; a mismatch is refused and logged as an error.
 *
 * A link that fails before opening (refused, timed out, handshake or
 * certificate refused) marks its server down at once, like ICMP port
 * unreachable on UDP: nothing was sent, so its requests go to another
 * server. A link that closes once open loses the requests on it: the
 * server may have started them (an SMS may be on its way), so they are
 * never sent again: an Access-Request is answered as a timeout
 * (proxy.timeout_action), accounting is left to the NAS's retry, spooled
 * records are replayed. Nothing is ever retransmitted on a live link
 * (RFC 6613 2.6.1). Reconnecting waits connections.backoff_min, doubled
 * after each failure up to backoff_max, with +/-25% jitter. An open link
 * with no request for connections.watchdog_interval is probed with a
 * Status-Server (with probe = "status-server"); no answer within
 * health.timeout closes it.
 */
#ifndef RLB_BACKEND_H
#define RLB_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "server.h"
#include "stream.h"

struct rlb_ctx;

struct rlb_blink {
    struct rlb_stream  st;             /* first member */
    struct rlb_ctx    *ctx;
    struct rlb_bsock  *b;
    ev_timer           retry;          /* reconnect after the backoff */
    unsigned           failures;       /* attempts in a row without a reply */
    double             next_connect;   /* not before */
    bool               wd_out;         /* a watchdog Status-Server is out */
    uint8_t            wd_id;
    uint8_t            wd_auth[16];
    double             wd_sent;
};

struct rlb_backend {
    SSL_CTX           *ssl;            /* toward TLS servers */
    ev_timer           tick;           /* watchdogs, once a second */
};

int  rlb_backend_start(struct rlb_ctx *ctx);
void rlb_backend_stop(struct rlb_ctx *ctx);
/* Once the servers (and their links) are freed. */
void rlb_backend_free(struct rlb_ctx *ctx);

/* Queues a request's packet on a TCP/TLS socket (connecting it first if
 * needed). Returns -1 when it cannot be queued. */
int  rlb_backend_send(struct rlb_ctx *ctx, struct rlb_bsock *b, const uint8_t *pkt, size_t len);

/* After a TLS handshake with server s: true when its certificate matches
 * the pin (or none is set); false is logged as an error. */
bool rlb_backend_peer_ok(struct rlb_ctx *ctx, struct rlb_server *s, struct rlb_stream *st);

/* A stream toward server s (the probe's, or a link's) starts connecting. */
int  rlb_backend_connect(struct rlb_ctx *ctx, struct rlb_server *s, int kind,
                         struct rlb_stream *st);

#endif
