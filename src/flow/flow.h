/*
 * flow.h: the request flow's internal interface, shared by the files that
 * make it up (see doc/architecture.md) and by the accounting spool
 * (acctspool.c). Not for other modules: they call proxy.h.
 *
 *   request.c  a request's states and queues, the reply cache, freeing
 *   ingress.c  a client's packet: checks, duplicates, admission
 *   route.c    which server: the challenge's issuer, writes, affinity,
 *              the balancer, Redis lookups
 *   forward.c  toward a server: the first copy and retransmissions
 *   reply.c    a server's reply, and every reply toward a client
 *   timeout.c  requests that get no answer, servers and links lost
 *   droplog.c  dropped packets: counters and rate-limited log lines
 *   authlog.c  the auth log: one line per finished exchange (log.auth)
 *   proxy.c    starting and stopping the flow and what it drives
 *
 * Prefixes: rlb_proxy_ for the entry points (proxy.h), rlb_req_ for a
 * request's life (request.c), rlb_px_ for the rest of this header.
 */
#ifndef RLB_FLOW_H
#define RLB_FLOW_H

#include "ctx.h"
#include "pkt.h"

/* ---- request.c ---------------------------------------------------- */

/* The one place that changes a request's state: takes it off its queue
 * and puts it on the new state's one (request.h), its wait counted from
 * now, except SUPERSEDED, which keeps its place. A transition request.h
 * does not draw aborts (assert). RLB_REQ_NEW takes it off every queue. */
void rlb_req_move(struct rlb_ctx *ctx, struct rlb_request *req, enum rlb_req_state to);
const char *rlb_req_state_name(unsigned state);
/* The request leaves its server: its Identifier goes back to the socket,
 * the server and client have one less in flight. Returns the server. Its
 * state and queue are the caller's next move. */
struct rlb_server *rlb_req_detach(struct rlb_ctx *ctx, struct rlb_request *req);
/* Keeps a reply for retransmissions (reply NULL: only the fact that the
 * request is over): DONE, for dedup_window. */
void rlb_req_cache_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply,
                         size_t len);
/* Keeps a built reply until Redis has the session: HELD, at most
 * redis.timeout. */
void rlb_req_hold_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply,
                        size_t len);
/* Frees a request (off its queue); rlb_req_forget also takes it out of
 * the duplicate table: a request that gets no answer at all. */
void rlb_req_free(struct rlb_ctx *ctx, struct rlb_request *req);
void rlb_req_forget(struct rlb_ctx *ctx, struct rlb_request *req);
/* ctx->done's timer: cached replies older than dedup_window go. */
void rlb_req_cache_expired(struct ev_loop *loop, ev_timer *w, int revents);

/* ---- droplog.c ---------------------------------------------------- */

void rlb_px_drop_client(struct rlb_ctx *ctx, struct rlb_client *c, const union rlb_sockaddr *src,
                        uint8_t code, rlb_drop_t why);
void rlb_px_drop_server(struct rlb_ctx *ctx, struct rlb_server *s, rlb_drop_t why);

/* ---- authlog.c ---------------------------------------------------- */

/* A new Access-Request or Accounting-Request: what its auth-log line will
 * need (nothing when log.auth is off). */
void rlb_px_authlog_begin(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                          const struct rlb_pkt_info *info);
/* The request answers a challenge of that login: its next leg. */
void rlb_px_authlog_continues(struct rlb_request *req, const struct rlb_login *login);
/* The exchange is over: its one line, once (server NULL: none answered;
 * reason: radlb's Reply-Message, or NULL). result: accept, reject,
 * challenge, timeout, answered, spooled. */
void rlb_px_authlog_end(struct rlb_ctx *ctx, struct rlb_request *req, const char *server,
                        const char *result, const char *reason);
void rlb_px_authlog_free(struct rlb_ctx *ctx, struct rlb_request *req);
/* A challenge session in Redis: "NAME" or "NAME LOGIN LEG FIRST", and
 * back (name into name, the login into *login, zero when absent). */
void rlb_px_authlog_session_value(const struct rlb_request *req, const char *server, char *out,
                                  size_t len);
const char *rlb_px_authlog_parse_value(const char *value, char *name, size_t len,
                                       struct rlb_login *login);

/* ---- ingress.c ---------------------------------------------------- */

/* Keeps the request's Proxy-State in its blob for the replies radlb
 * writes itself. */
void rlb_px_keep_proxy_state(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                             const struct rlb_pkt_info *info);
/* Copies a packet's Proxy-State attributes, in order, to dst (room for
 * info->proxy_state_len octets). */
void rlb_px_collect_proxy_state(const uint8_t *data, const struct rlb_pkt_info *info,
                                uint8_t *dst);
void rlb_px_listener_readable(struct ev_loop *loop, ev_io *w, int revents);

/* ---- route.c ------------------------------------------------------ */

/* Gives the request its server (and sends it), or answers it, parks it
 * for Redis, spools it or forgets it. */
void rlb_px_dispatch(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                     const struct rlb_pkt_info *info);

/* ---- limitflow.c -------------------------------------------------- */

/* The budgets and the allow-list from the configuration (start, reload). */
void rlb_px_limits_apply(struct rlb_ctx *ctx, const struct rlb_conf *c);
void rlb_px_limits_free(struct rlb_ctx *ctx);
/* A request no session pins: true when it was over budget (answered with
 * an Access-Reject here); otherwise counted, or set to be counted. */
bool rlb_px_limit_first_leg(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                            const struct rlb_pkt_info *info);
/* Its reply came (code), after waited seconds, or none did (code 0). */
void rlb_px_limit_reply(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code,
                        double waited);
void rlb_px_limit_free(struct rlb_ctx *ctx, struct rlb_request *req);
/* Redis's verdict on a first leg's budgets (rstore.h): true when over
 * (the request answered with an Access-Reject here). */
bool rlb_px_limit_shared_verdict(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                                 const struct rlb_pkt_info *info, const int64_t *answer);

/* route.c: parks a first leg while Redis checks its budgets and counts
 * its prompt (rstore.h's mode 1; *seq: its number there); false when
 * Redis cannot be asked. */
bool rlb_px_park_budget(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                        const struct rlb_pkt_info *info, const uint64_t *keys, const bool *has,
                        int mode, uint64_t *seq);

/* ---- nasreport.c -------------------------------------------------- */

/* The NAS sent req again while it was pending. */
void rlb_px_nas_copy(struct rlb_ctx *ctx, struct rlb_request *req);
/* req answers an open challenge (its State was known). */
void rlb_px_nas_answer(struct rlb_ctx *ctx, struct rlb_request *req);
/* A server's reply (code) to req goes to its NAS now. */
void rlb_px_nas_reply(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code);

/* ---- forward.c ---------------------------------------------------- */

/* When req's route strips the realm: copy (RLB_PKT_MAX octets) becomes the
 * packet with User-Name's user part only, ci its parse, and true. */
bool rlb_px_stripped(const struct rlb_request *req, const uint8_t *data,
                     const struct rlb_pkt_info *info, uint8_t *copy, struct rlb_pkt_info *ci);

/* Gives req an Identifier toward s, rewrites the request (hidden
 * attributes from secret from) into the outbox and makes it PENDING.
 * RLB_DROP_NONE, or why it could not be sent (req is then untouched: the
 * caller decides). */
rlb_drop_t rlb_px_send(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
                       const struct rlb_secret *from, const uint8_t *data,
                       const struct rlb_pkt_info *info);
/* The same for a client's request; false (request forgotten, drop
 * counted) when it cannot be sent. */
bool rlb_px_send_to_server(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
                           const uint8_t *data, const struct rlb_pkt_info *info);
/* A retransmission of a PENDING request: the client's (own false, damped)
 * or radlb's for a TCP/TLS client (own true). */
void rlb_px_retransmit(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                       const struct rlb_pkt_info *info, bool own);
/* radlb's retransmission of a TCP/TLS client's request (front.c): sent
 * again to its UDP server, or, when its server went down before
 * processing it, dispatched anew. False when there is nothing more to do
 * for it. */
bool rlb_px_resend(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t *data, size_t len);

/* ---- reply.c ------------------------------------------------------ */

/* Sends a reply to the request's client (pkt anywhere: copied into the
 * outbox for UDP unless it is already the outbox's next buffer). */
void rlb_px_send_to_client(struct rlb_ctx *ctx, const struct rlb_request *req,
                           const uint8_t *pkt, size_t len);
/* Answers req with a reply radlb writes itself, cached like any reply. */
void rlb_px_answer_locally(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code,
                           const char *message);
/* A HELD reply goes to the client now; the request becomes DONE. */
void rlb_px_release_held(struct rlb_ctx *ctx, struct rlb_request *req);
void rlb_px_server_readable(struct ev_loop *loop, ev_io *w, int revents);

/* ---- timeout.c ---------------------------------------------------- */

/* ctx->pending's and ctx->parked's timers. */
void rlb_px_pending_expired(struct ev_loop *loop, ev_timer *w, int revents);
void rlb_px_parked_expired(struct ev_loop *loop, ev_timer *w, int revents);

#endif
