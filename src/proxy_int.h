/*
 * proxy_int.h: the parts of the request flow (proxy.c) that the accounting
 * spool (acctspool.c) shares. Not for other modules.
 */
#ifndef RLB_PROXY_INT_H
#define RLB_PROXY_INT_H

#include "ctx.h"
#include "pkt.h"

/* Gives req an Identifier toward s, rewrites the request (hidden
 * attributes from secret from) into the outbox and puts req in the
 * pending queue. RLB_DROP_NONE, or why it could not be sent (req is then
 * untouched: the caller decides). */
rlb_drop_t rlb_px_send(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
                       const struct rlb_secret *from, const uint8_t *data,
                       const struct rlb_pkt_info *info);
/* Takes req out of the pending state; returns its server. */
struct rlb_server *rlb_px_end_pending(struct rlb_ctx *ctx, struct rlb_request *req);
/* Answers req with a reply radlb writes itself, cached like any reply. */
void rlb_px_answer_locally(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code,
                           const char *message);
/* Forgets a request that gets no answer at all (the client will retry). */
void rlb_px_forget(struct rlb_ctx *ctx, struct rlb_request *req);
void rlb_px_free_request(struct rlb_ctx *ctx, struct rlb_request *req);
/* radlb's retransmission of a TCP/TLS client's request (front.c): sent
 * again to its UDP server, or, when its server went down before
 * processing it, dispatched anew. False when there is nothing more to do
 * for it. */
bool rlb_px_resend(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t *data, size_t len);

#endif
