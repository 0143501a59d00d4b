/*
 * timeout.c: requests that get no answer: response_timeout (the pending
 * queue), redis.timeout (the parked queue), and the requests of a server
 * that went down or of a TCP/TLS link that closed. A timer never moves a
 * request to another server; only a proven refusal does, and then at the
 * client's next retransmission (proxy.h).
 */
#include "config.h"

#include "acctspool.h"
#include "flow.h"
#include "proxy.h"
#include "rstore.h"

/* An Access-Request nobody answered: an Access-Reject (timeout_action
 * "reject"), or no reply but remembered for dedup_window (a late
 * retransmission must not start a second login elsewhere); accounting is
 * forgotten, so that the NAS's retry is forwarded again. */
static void
give_up(struct rlb_ctx *ctx, struct rlb_request *req, bool reject)
{
    if (reject)
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.timeout_message);
    else if (req->code == RLB_ACCESS_REQUEST)
        rlb_req_cache_reply(ctx, req, NULL, 0);
    else
        rlb_req_forget(ctx, req);
}

static bool
rejects_on_timeout(const struct rlb_ctx *ctx, const struct rlb_request *req)
{
    return req->code == RLB_ACCESS_REQUEST && ctx->conf->proxy.timeout_action == RLB_TIMEOUT_REJECT;
}

void
rlb_px_pending_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;
    unsigned held;
    char note[64];

    (void)revents;
    while ((req = rlb_timeq_head(&ctx->pending)) && req->when + ctx->pending.wait <= now) {
        struct rlb_server *s = NULL;
        struct rlb_client *c = req->client;
        bool reject = rejects_on_timeout(ctx, req);

        if (req->flags & RLB_REQF_REPLAY) {
            s = rlb_req_detach(ctx, req);
            s->stats.timeouts++;
            if (req->flags & RLB_REQF_MIRROR)
                rlb_acctspool_mirror_done(ctx, req, false);
            else
                rlb_acctspool_lost(ctx, req);
            continue;
        }
        if (req->state != RLB_REQ_REROUTE) {      /* (a rerouted one: no retransmission came) */
            s = rlb_req_detach(ctx, req);
            s->stats.timeouts++;
        }
        if (req->state == RLB_REQ_SUPERSEDED) {
            rlb_req_free(ctx, req);
            continue;
        }
        c->stats.timeouts++;
        ctx->stats.timeouts++;
        if (s && rlb_ratelimit_ok(&s->rl_timeout, now, &held))
            rlb_warn("server %s did not answer %s id %u from client %s within %g s (%s)%s",
                     s->name, rlb_code_name(req->code), req->client_id, c->name, ctx->pending.wait,
                     reject ? "answered Access-Reject" : "no reply sent",
                     rlb_held_note(held, note, sizeof(note)));
        else if (!s && rlb_ratelimit_ok(&ctx->rl_reroute, now, &held))
            rlb_warn("client %s did not retransmit %s id %u within %g s after its server went "
                     "down (%s)%s", c->name, rlb_code_name(req->code), req->client_id,
                     ctx->pending.wait, reject ? "answered Access-Reject" : "no reply sent",
                     rlb_held_note(held, note, sizeof(note)));
        rlb_px_limit_reply(ctx, req, 0, now - req->when);   /* it may have prompted */
        if (req->code == RLB_ACCESS_REQUEST)      /* (accounting: the NAS retries) */
            rlb_px_authlog_end(ctx, req, s ? s->name : NULL, "timeout",
                               reject ? "Access-Reject sent" : "no reply sent");
        give_up(ctx, req, reject);
    }
    rlb_timeq_arm(loop, &ctx->pending);
}

/* How a server's socket lost its requests. */
enum lost {
    LOST_REFUSED,                  /* the server refused them: never processed */
    LOST_UNUSED_LINK,              /* a TCP/TLS link closed before it was open */
    LOST_LINK,                     /* a TCP/TLS link closed after: they may be processed */
};

static void
lost_socket(struct rlb_ctx *ctx, struct rlb_bsock *b, enum lost how)
{
    struct rlb_server *s = b->server;

    for (unsigned id = 0; id < 256; id++) {
        struct rlb_request *req = b->slot[id];
        bool pinned;

        if (!req)
            continue;
        rlb_req_detach(ctx, req);
        pinned = req->flags & RLB_REQF_PINNED;
        if (req->flags & RLB_REQF_MIRROR) {
            rlb_acctspool_mirror_done(ctx, req, false);    /* best effort: not again */
        } else if (req->flags & RLB_REQF_REPLAY) {
            rlb_acctspool_lost(ctx, req);   /* replayed again to a master */
        } else if (req->state == RLB_REQ_SUPERSEDED) {
            rlb_req_free(ctx, req);
        } else if (how == LOST_REFUSED && pinned) {
            /* An open challenge: only this server could accept it. */
            s->stats.pinned_rejects++;
            ctx->sticky.stats.rejects++;
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->sticky.reject_message);
        } else if (how == LOST_REFUSED || (how == LOST_UNUSED_LINK && !pinned)) {
            /* Never processed: the NAS's next retransmission goes to
             * another server. */
            rlb_req_move(ctx, req, RLB_REQ_REROUTE);
            s->stats.rerouted++;
        } else if (req->code == RLB_ACCESS_REQUEST) {
            /* As a timeout: an SMS may be on its way, the login is not
             * started again elsewhere. */
            s->stats.timeouts++;
            req->client->stats.timeouts++;
            ctx->stats.timeouts++;
            give_up(ctx, req, rejects_on_timeout(ctx, req));
        } else {
            rlb_req_forget(ctx, req);       /* accounting: the NAS retries */
        }
    }
}

void
rlb_proxy_server_down(struct rlb_ctx *ctx, struct rlb_server *s, bool proven)
{
    if (!proven)
        return;
    for (int kind = 0; kind < 2; kind++)
        for (unsigned i = 0; i < s->nsocks[kind]; i++)
            lost_socket(ctx, s->socks[kind][i], LOST_REFUSED);
}

/* sent: the link had been open, so its requests may have reached the
 * server and are never sent again; otherwise they go to another server
 * at the next retransmission (radlb's own for TCP/TLS clients). */
void
rlb_proxy_link_lost(struct rlb_ctx *ctx, struct rlb_bsock *b, bool sent)
{
    lost_socket(ctx, b, sent ? LOST_LINK : LOST_UNUSED_LINK);
}

/* Redis did not answer within redis.timeout: go on without it. */
void
rlb_px_parked_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;

    (void)revents;
    while ((req = rlb_timeq_head(&ctx->parked)) && req->when + ctx->parked.wait <= now) {
        rlb_rstore_cancel(req);
        rlb_rstore_timed_out(ctx->rstore, req->state == RLB_REQ_HELD);
        if (req->state == RLB_REQ_HELD)
            rlb_px_release_held(ctx, req);  /* the challenge goes out without Redis */
        else
            rlb_proxy_redis_answer(ctx, req, NULL);
    }
    rlb_timeq_arm(loop, &ctx->parked);
}
