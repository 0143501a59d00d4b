/*
 * proxy.h: the life of a request: from a client datagram to a server and
 * back, retransmissions, duplicates and timeouts.
 *
 * Retransmission mode: pass-through. A client's retransmission of a
 * request still in flight is re-sent to the same server with the same
 * proxied Identifier and authenticator (the server sees a duplicate, never
 * a second login: no second SMS or push), at most once per
 * proxy.retransmit_damping since the last copy (sooner ones are absorbed
 * and counted: a storm of NAS retransmissions does not multiply the load on
 * a slow server; the next one after the interval still repairs a lost
 * datagram), a retransmission after the reply
 * gets the cached reply for proxy.dedup_window, and a timer never moves a
 * request to another server. A request that no server answers within
 * proxy.response_timeout is counted and, for Access-Request with
 * timeout_action "reject", answered with an Access-Reject carrying
 * timeout_reply_message (cached like any reply); with "drop" it gets no
 * reply but is still remembered for dedup_window, so a late retransmission
 * cannot start a second login on another server. Accounting gets no reply
 * and is forgotten, so the NAS's retry is forwarded again (RFC 5080 2.2.1).
 */
#ifndef RLB_PROXY_H
#define RLB_PROXY_H

#include "ctx.h"

/* Opens listeners and arms timers; returns -1 with a logged reason. */
int  rlb_proxy_start(struct rlb_ctx *ctx);
void rlb_proxy_stop(struct rlb_ctx *ctx);

/* The two entry points for outside bytes (also used by tests and fuzzers).
 * conn: the TCP/TLS connection the packet came on (NULL: a datagram).
 * Both return why the packet was dropped, RLB_DROP_NONE when it was not;
 * on a connection, a malformed packet closes it (rlb_drop_is_malformed). */
rlb_drop_t rlb_proxy_client_packet(struct rlb_ctx *ctx, struct rlb_listener *l,
                                   struct rlb_sconn *conn, uint8_t *data, size_t len,
                                   const union rlb_sockaddr *src, const union rlb_local *local);
rlb_drop_t rlb_proxy_server_packet(struct rlb_ctx *ctx, struct rlb_bsock *b, uint8_t *data,
                                   size_t len);

/* A TCP/TLS connection toward a server closed; sent: it had been open. */
void rlb_proxy_link_lost(struct rlb_ctx *ctx, struct rlb_bsock *b, bool sent);

/* Server s went down. proven: it refused them (ICMP port unreachable, a
 * connection refused), so its pending requests were never processed: its
 * open challenges are answered with sticky.reject_message at once and the
 * others go to another server at the NAS's next retransmission. Otherwise
 * (probes unanswered: hung, overloaded, cut off) it may hold them, and may
 * have sent an SMS: they stay where they are until they are answered or
 * time out, never sent to another server. */
void rlb_proxy_server_down(struct rlb_ctx *ctx, struct rlb_server *s, bool proven);

/* Redis answered a parked request's lookup: the name of the server that
 * holds its session, or NULL (not found, timed out, Redis gone). */
void rlb_proxy_redis_answer(struct rlb_ctx *ctx, struct rlb_request *req, const char *server);
/* Redis answered the prompt budgets of a parked first leg (rstore.h's
 * budget hook; NULL: it failed, the local verdict stands). */
void rlb_proxy_budget_answer(struct rlb_ctx *ctx, struct rlb_request *req, const int64_t *answer);

/* Redis has (or will never have) the session of a held Access-Challenge:
 * the challenge goes to the client now. */
void rlb_proxy_redis_written(struct rlb_ctx *ctx, struct rlb_request *req);

#endif
