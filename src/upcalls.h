/*
 * upcalls.h: how a lower layer reports to the ones above it without naming
 * them (the dependency rule of doc/architecture.md: calls by name flow
 * down, news flows up through this table, as rlb_stream_ops and
 * rlb_rstore_hooks do for their owners). The transports hand over packets
 * and lost links, health checks a server that went down, the master a
 * master that takes writes again and a finished promotion.
 *
 * The table is part of the context: rlb_proxy_start() fills the request
 * flow's entries, rlb_daemon_start() the control socket's. An entry left
 * NULL is not called.
 */
#ifndef RLB_UPCALLS_H
#define RLB_UPCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct rlb_ctx;
struct rlb_listener;
struct rlb_sconn;
struct rlb_bsock;
struct rlb_server;
struct rlb_pool;
struct rlb_request;
union rlb_sockaddr;
union rlb_local;

struct rlb_upcalls {
    /* front.c: a client's packet, whole, from a TCP/TLS connection */
    rlb_drop_t (*client_packet)(struct rlb_ctx *ctx, struct rlb_listener *l,
                                struct rlb_sconn *conn, uint8_t *data, size_t len,
                                const union rlb_sockaddr *src, const union rlb_local *local);
    /* front.c: radlb's own retransmission of a TCP/TLS client's request */
    bool (*resend)(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t *data, size_t len);
    /* backend.c: a server's reply on a TCP/TLS link */
    rlb_drop_t (*server_packet)(struct rlb_ctx *ctx, struct rlb_bsock *b, uint8_t *data,
                                size_t len);
    /* backend.c: a link toward a server closed (sent: it had been open) */
    void (*link_lost)(struct rlb_ctx *ctx, struct rlb_bsock *b, bool sent);
    /* backend.c: a link toward a server could not be opened */
    void (*link_failed)(struct rlb_ctx *ctx, struct rlb_server *s, int kind, const char *reason);
    /* health.c: a server went down (proven: it refused its requests) */
    void (*server_down)(struct rlb_ctx *ctx, struct rlb_server *s, bool proven);
    /* master.c: a master takes writes again (the spool can replay) */
    void (*writes_resume)(struct rlb_ctx *ctx, struct rlb_pool *p);
    /* master.c: the promotion a control connection asked for is over */
    void (*command_done)(struct rlb_ctx *ctx, uint64_t conn, int rc, const char *out,
                         const char *err);
};

#endif
