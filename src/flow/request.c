/*
 * request.c: a request's life between the queues (request.h draws the
 * states): the one place that changes req->state, the reply cache and its
 * bound, freeing. pgbouncer's change_client_state is the model: a request
 * is on exactly the queue of its state, and moves between them here.
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "dedup.h"
#include "flow.h"
#include "front.h"
#include "server.h"

static const char *const state_names[RLB_REQ_NSTATES] = {
    [RLB_REQ_NEW]        = "new",
    [RLB_REQ_PENDING]    = "pending",
    [RLB_REQ_DONE]       = "done",
    [RLB_REQ_SUPERSEDED] = "superseded",
    [RLB_REQ_REROUTE]    = "reroute",
    [RLB_REQ_PARKED]     = "parked",
    [RLB_REQ_HELD]       = "held",
    [RLB_REQ_SPOOLING]   = "spooling",
};

#define TO(s) (1u << RLB_REQ_##s)

/* The transitions request.h draws: legal[from] & TO(to). Any state may go
 * back to NEW (freed). */
static const unsigned legal[RLB_REQ_NSTATES] = {
    [RLB_REQ_NEW]        = TO(NEW) | TO(PENDING) | TO(PARKED) | TO(SPOOLING) | TO(DONE),
    [RLB_REQ_PENDING]    = TO(NEW) | TO(DONE) | TO(HELD) | TO(SUPERSEDED) | TO(REROUTE),
    [RLB_REQ_DONE]       = TO(NEW),
    [RLB_REQ_SUPERSEDED] = TO(NEW),
    [RLB_REQ_REROUTE]    = TO(NEW) | TO(PENDING) | TO(PARKED) | TO(SPOOLING) | TO(DONE),
    [RLB_REQ_PARKED]     = TO(NEW) | TO(PENDING) | TO(SPOOLING) | TO(DONE),
    [RLB_REQ_HELD]       = TO(NEW) | TO(DONE),
    [RLB_REQ_SPOOLING]   = TO(NEW) | TO(DONE) | TO(SUPERSEDED),
};

/* The queue each state waits on (SUPERSEDED: the one it was on). */
static const uint8_t home[RLB_REQ_NSTATES] = {
    [RLB_REQ_NEW]        = RLB_Q_NONE,
    [RLB_REQ_PENDING]    = RLB_Q_PENDING,
    [RLB_REQ_DONE]       = RLB_Q_DONE,
    [RLB_REQ_SUPERSEDED] = RLB_Q_NONE,
    [RLB_REQ_REROUTE]    = RLB_Q_PENDING,
    [RLB_REQ_PARKED]     = RLB_Q_PARKED,
    [RLB_REQ_HELD]       = RLB_Q_PARKED,
    [RLB_REQ_SPOOLING]   = RLB_Q_SPOOLED,
};

const char *
rlb_req_state_name(unsigned state)
{
    return state < RLB_REQ_NSTATES ? state_names[state] : "invalid";
}

static struct rlb_timeq *
queue(struct rlb_ctx *ctx, const struct rlb_request *req, unsigned q)
{
    switch (q) {
    case RLB_Q_PENDING: return &ctx->pending;
    case RLB_Q_DONE:    return &ctx->done;
    case RLB_Q_PARKED:  return &ctx->parked;
    case RLB_Q_SPOOLED: return &req->pool->spooling.wait;
    default:            return NULL;
    }
}

void
rlb_req_move(struct rlb_ctx *ctx, struct rlb_request *req, enum rlb_req_state to)
{
    struct rlb_timeq *q;

    assert(req->state < RLB_REQ_NSTATES && (unsigned)to < RLB_REQ_NSTATES);
    if (!(legal[req->state] & (1u << to))) {
        rlb_err("BUG: request %s -> %s", rlb_req_state_name(req->state), rlb_req_state_name(to));
        assert(!"illegal request transition");
    }
    req->state = (uint8_t)to;
    if (to == RLB_REQ_SUPERSEDED)
        return;                    /* keeps its place: it still holds its Identifier */
    q = queue(ctx, req, req->queue);
    if (q)
        rlb_timeq_remove(q, req);
    req->queue = home[to];
    q = queue(ctx, req, req->queue);
    if (!q)
        return;
    req->when = ev_now(ctx->loop);
    rlb_timeq_push(q, req);
    if (req->queue != RLB_Q_SPOOLED)   /* (the group commit, not a timer, ends that wait) */
        rlb_timeq_arm(ctx->loop, q);
}

struct rlb_server *
rlb_req_detach(struct rlb_ctx *ctx, struct rlb_request *req)
{
    struct rlb_server *s = req->bsock->server;

    (void)ctx;
    assert(req->state == RLB_REQ_PENDING || req->state == RLB_REQ_SUPERSEDED);
    rlb_server_release_id(req);
    s->outstanding--;
    s->refs--;
    if (req->client)
        req->client->outstanding--;
    return s;
}

void
rlb_req_free(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_req_move(ctx, req, RLB_REQ_NEW);
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    rlb_px_authlog_free(ctx, req);
    rlb_px_limit_free(ctx, req);
    if (req->client)
        req->client->refs--;
    if (req->conn)
        rlb_front_unref(ctx, req->conn);
    rlb_req_put(&ctx->reqs, req);
}

void
rlb_req_forget(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_dedup_remove(&ctx->dedup, req);
    rlb_req_free(ctx, req);
}

/* The request's blob becomes a copy of reply (none when len is 0). */
static void
keep_blob(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply, size_t len)
{
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = len ? rlb_buf_get(&ctx->bufs, len) : NULL;
    req->blob_len = req->blob ? (uint16_t)len : 0;
    if (req->blob)
        memcpy(req->blob, reply, len);
}

/* The reply cache is bounded (proxy.max_cached_replies): beyond, the
 * oldest replies are forgotten early (a retransmission of one of them then
 * counts as a new request). */
static void
limit_cache(struct rlb_ctx *ctx)
{
    struct rlb_request *old;

    while (rlb_timeq_count(&ctx->done) > (unsigned long)ctx->conf->proxy.max_cached_replies &&
           (old = rlb_timeq_head(&ctx->done))) {
        rlb_req_forget(ctx, old);
        ctx->stats.cache_evicted++;
    }
}

void
rlb_req_cache_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply,
                    size_t len)
{
    keep_blob(ctx, req, reply, len);
    rlb_req_move(ctx, req, RLB_REQ_DONE);
    limit_cache(ctx);
}

void
rlb_req_hold_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply,
                   size_t len)
{
    keep_blob(ctx, req, reply, len);
    rlb_req_move(ctx, req, RLB_REQ_HELD);
}

void
rlb_req_cache_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;

    (void)revents;
    while ((req = rlb_timeq_head(&ctx->done)) && req->when + ctx->done.wait <= now)
        rlb_req_forget(ctx, req);
    rlb_timeq_arm(loop, &ctx->done);
}
