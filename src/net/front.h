/*
 * front.h: RADIUS over TCP and TLS toward the clients: stream listeners,
 * the connections they accept, and radlb's own retransmissions.
 *
 * A connection is accepted only from an address of a configured client,
 * while fewer than connections.max are open and fewer than
 * connections.max_handshakes are still handshaking; a TLS client must
 * present a certificate that ca_file signs or that matches its pinned
 * fingerprint. Each whole packet goes through the same request flow as a
 * datagram; a packet that fails validation closes its connection (RFC 6613
 * 2.6.4), and so does a silence of connections.idle_timeout.
 *
 * Requests keep a reference to their connection; replies to a connection
 * that has closed are counted and dropped. A client on TCP or TLS never
 * retransmits (RFC 6613 2.6.1), so while its request waits on a UDP server
 * radlb retransmits it itself every proxy.retransmit_interval (same
 * Identifier, same authenticator: a duplicate to the server, never a
 * second login), and stops when the connection closes. The same timer
 * sends on a request whose server went down before processing it.
 */
#ifndef RLB_FRONT_H
#define RLB_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "list.h"
#include "log.h"
#include "netio.h"
#include "stats.h"
#include "stream.h"

struct rlb_ctx;
struct rlb_client;
struct rlb_request;

/* Connections, both directions (metrics.c lists them). */
#define RLB_CONN_COUNTERS(X)                                                                      \
    X(accepted,          "TCP/TLS connections accepted from clients")                              \
    X(refused,           "inbound connections refused (unknown address, connections.max, "         \
                         "max_handshakes)")                                                        \
    X(closed_malformed,  "inbound connections closed: malformed stream or packet (RFC 6613 "       \
                         "2.6.4)")                                                                 \
    X(closed_idle,       "inbound connections closed after connections.idle_timeout")             \
    X(replies_lost,      "replies not delivered: their client connection had closed")             \
    X(retransmitted,     "retransmissions radlb sent to UDP servers for TCP/TLS clients")         \
    X(tls_failures,      "TLS handshakes that failed (clients and servers)")                      \
    X(pin_mismatches,    "TLS peers refused: certificate fingerprint differs from the pinned one") \
    X(backend_connects,  "connections opened toward servers (TCP connected, TLS handshaken)")     \
    X(backend_failures,  "connections toward servers that failed before opening")                 \
    X(backend_lost,      "open connections toward servers that closed")                           \
    X(watchdogs,         "Status-Server watchdogs sent on idle server connections")               \
    X(watchdog_failures, "server connections closed because a watchdog went unanswered")

struct rlb_conn_stats { RLB_CONN_COUNTERS(RLB_COUNTER_FIELD) };

/* An inbound connection. */
struct rlb_sconn {
    struct rlb_stream    st;           /* first member */
    struct rlb_ctx      *ctx;
    struct rlb_listener *listener;
    struct rlb_client   *client;
    struct rlb_link      link;         /* on the front's open connections */
    unsigned             refs;         /* requests that point here */
    bool                 live;         /* not closed yet */
    bool                 open;         /* handshake done */
};

/* A request of a TCP/TLS client waiting on a server. */
struct rlb_rtx {
    struct rlb_request *req;
    uint32_t            gen;
    uint16_t            len;
    double              due;
    uint8_t            *pkt;           /* the client's packet (buffer pool) */
};

struct rlb_front {
    struct rlb_listener *listeners;    /* proto tcp and tls */
    unsigned             n;
    SSL_CTX             *ssl;
    struct rlb_streams   streams;      /* every stream: flush list, handshake timeout */
    struct rlb_list      conns;        /* live connections (count: open) */
    unsigned             handshaking;  /* of which not yet open */
    ev_timer             idle;         /* once a second: idle connections */
    struct rlb_rtx      *ring;         /* FIFO by due time */
    unsigned             rhead;
    unsigned             rcount;
    unsigned             rcap;
    ev_timer             rtx_timer;
    struct rlb_ratelimit rl_refused;
    struct rlb_ratelimit rl_closed;
};

/* Opens the stream listeners (and the TLS context); -1 logged. */
int  rlb_front_start(struct rlb_ctx *ctx);
/* Closes the listeners and the connections (requests may still hold
 * them); rlb_front_free, once every request is gone, frees the rest. */
void rlb_front_stop(struct rlb_ctx *ctx);
void rlb_front_free(struct rlb_ctx *ctx);

/* After a reload: connections of removed clients are closed. */
void rlb_front_reloaded(struct rlb_ctx *ctx);
/* A reply (or radlb's own answer) for conn; dropped when it has closed. */
void rlb_front_send(struct rlb_ctx *ctx, struct rlb_sconn *conn, const uint8_t *pkt, size_t len);
/* A request lets go of its connection. */
void rlb_front_unref(struct rlb_ctx *ctx, struct rlb_sconn *conn);
/* req (from a TCP/TLS client) now waits on a server: keep its packet for
 * radlb's retransmissions. */
void rlb_front_track(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *pkt, size_t len);

#endif
