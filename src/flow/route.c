/*
 * route.c: which server a request goes to, decided in one place
 * (rlb_px_dispatch): the server that issued the challenge it answers, the
 * master for a write, the server an affinity key remembers, otherwise the
 * balancer's choice; or radlb's own answer when none can take it. A
 * session the local tables do not know is first looked up in Redis (the
 * request is PARKED meanwhile, rlb_proxy_redis_answer goes on).
 */
#include "config.h"

#include <string.h>

#include "acctspool.h"
#include "affinity.h"
#include "flow.h"
#include "master.h"
#include "proxy.h"
#include "rstore.h"

/* A write goes to the master only. Without one that takes writes, an
 * Access-Request is rejected with no_master_reply_message and accounting
 * goes to the spool (which also takes it while older records wait there,
 * so that the master receives them in order). */
static void
route_write(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
            const struct rlb_pkt_info *info)
{
    bool acct = info->code == RLB_ACCOUNTING_REQUEST;

    if (rlb_master_takes_writes(ctx) && !(acct && rlb_acctspool_busy(ctx))) {
        rlb_px_send_to_server(ctx, req, ctx->master.server, data, info);
    } else if (acct) {
        rlb_acctspool_take(ctx, req, data, info);
    } else {
        ctx->stats.no_master_rejects++;
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.no_master_message);
    }
}

/* Parks a request while Redis is asked which server holds its session
 * (only when the local table does not know, and once). */
static bool
park(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
     const struct rlb_pkt_info *info, char kind, const uint8_t *key, size_t len)
{
    uint8_t *copy;

    if (!ctx->rstore || (req->flags & RLB_REQF_ASKED))
        return false;
    /* Not ready (an outage): counted as skipped by the store. */
    if (!rlb_rstore_get(ctx->rstore, kind, key, len, req))
        return false;
    copy = rlb_buf_get(&ctx->bufs, info->len);
    if (!copy) {
        rlb_rstore_cancel(req);
        return false;
    }
    memcpy(copy, data, info->len);
    req->flags |= RLB_REQF_ASKED;
    if (req->blob)                 /* the Proxy-State copy: the packet has it */
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = copy;
    req->blob_len = info->len;
    rlb_req_move(ctx, req, RLB_REQ_PARKED);
    return true;
}

/* True when the request writes to the MFA database (classified once). */
static bool
classify(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
         const struct rlb_pkt_info *info)
{
    if (!(req->flags & RLB_REQF_CLASSED)) {
        req->flags |= RLB_REQF_CLASSED;
        if (rlb_writes_is_write(&ctx->writes, data, info)) {
            req->flags |= RLB_REQF_WRITE;
            ctx->stats.writes++;
        }
    }
    return req->flags & RLB_REQF_WRITE;
}

/* An answer to a challenge: the server that issued it, NULL when unknown
 * (or true with *done when the request was parked or answered here). */
static struct rlb_server *
by_state(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
         const struct rlb_pkt_info *info, bool *done)
{
    const uint8_t *st = data + info->state_off;
    const struct rlb_sticky_entry *e = rlb_sticky_get(&ctx->sticky, st + 2, st[1] - 2u,
                                                      ev_now(ctx->loop));
    struct rlb_server *s = e ? e->server : NULL;

    if (!s && park(ctx, req, data, info, RLB_RKEY_STATE, st + 2, st[1] - 2u)) {
        *done = true;
        return NULL;
    }
    if (!s) {
        ctx->sticky.stats.orphans++;       /* expired, or issued before radlb started */
        return NULL;
    }
    if (req->ai) {
        struct rlb_login login = rlb_sticky_login(e, ev_now(ctx->loop));

        rlb_px_authlog_continues(req, &login);
    }
    if (!rlb_server_takes_pinned(s)) {
        /* Only that server knows the code: never a silent timeout, never a
         * forward to a server that would reject it anyway. */
        s->stats.pinned_rejects++;
        ctx->sticky.stats.rejects++;
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->sticky.reject_message);
        *done = true;
        return NULL;
    }
    ctx->sticky.stats.hits++;
    req->flags |= RLB_REQF_PINNED;
    req->pin_fp = rlb_sticky_fingerprint(&ctx->sticky, st + 2, st[1] - 2u);
    req->pin_len = (uint8_t)(st[1] - 2u);
    return s;
}

/* A first leg with an affinity key: the server that challenged this
 * client before, NULL to balance (or with *done when parked). */
static struct rlb_server *
by_affinity(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
            const struct rlb_pkt_info *info, bool *done)
{
    struct rlb_server *s;

    req->flags |= RLB_REQF_AFFKEY;
    s = rlb_sticky_find(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, ev_now(ctx->loop));
    if (!s && park(ctx, req, data, info, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN)) {
        *done = true;
        return NULL;
    }
    if (s && !rlb_server_takes_pinned(s)) {
        /* A guess without State: balance it as the new login it may be. */
        rlb_sticky_remove(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN);
        s = NULL;
    }
    if (s) {
        ctx->affinity.stats.hits++;
        req->flags |= RLB_REQF_AFFINITY;
    } else {
        ctx->affinity.stats.orphans++;     /* shown as affinity misses */
    }
    return s;
}

void
rlb_px_dispatch(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                const struct rlb_pkt_info *info)
{
    struct rlb_server *s = NULL;
    bool done = false;

    if (info->code == RLB_ACCESS_REQUEST && info->state_off) {
        s = by_state(ctx, req, data, info, &done);
    } else if (classify(ctx, req, data, info)) {
        route_write(ctx, req, data, info);
        return;
    } else if (info->code == RLB_ACCESS_REQUEST &&
               ((req->flags & RLB_REQF_AFFKEY) ||
                rlb_affinity_key(&ctx->conf->sticky, data, info, req->affkey))) {
        s = by_affinity(ctx, req, data, info, &done);
    }
    if (done)
        return;
    if (!s && !ctx->conf->health.master_serves_reads)
        s = rlb_balance_pick_except(&ctx->balancer, ctx->servers.v, ctx->servers.n,
                                    ctx->master.server);
    if (!s)                        /* (the master too, when it is the only one left) */
        s = rlb_balance_pick(&ctx->balancer, ctx->servers.v, ctx->servers.n);
    if (!s) {
        ctx->stats.no_server++;
        if (info->code == RLB_ACCESS_REQUEST)
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT,
                                  ctx->conf->proxy.unavailable_message);
        else
            rlb_req_forget(ctx, req);     /* accounting: no Accounting-Response, the NAS retries */
        return;
    }
    rlb_px_send_to_server(ctx, req, s, data, info);
}

void
rlb_proxy_redis_answer(struct rlb_ctx *ctx, struct rlb_request *req, const char *server)
{
    uint8_t pkt[RLB_PKT_MAX];
    size_t len = req->blob_len;
    struct rlb_pkt_info info;
    struct rlb_login login;
    char name[RLB_NAME_MAX + 1];
    struct rlb_server *s = NULL;

    /* The value: the server's name, then the login its challenge belongs to. */
    if (server)
        s = rlb_servers_find(&ctx->servers,
                             rlb_px_authlog_parse_value(server, name, sizeof(name), &login));

    memcpy(pkt, req->blob, len);
    rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = NULL;
    req->blob_len = 0;
    if (rlb_pkt_parse(pkt, &len, false, &info) != RLB_DROP_NONE) {
        rlb_req_forget(ctx, req);         /* it parsed before: cannot happen */
        return;
    }
    rlb_px_keep_proxy_state(ctx, req, pkt, &info);
    /* Another instance saw the challenge: remember it here too. */
    if (s && info.state_off) {
        struct rlb_sticky_entry *e = rlb_sticky_add(&ctx->sticky, pkt + info.state_off + 2,
                                                    pkt[info.state_off + 1] - 2u, s,
                                                    ev_now(ctx->loop));
        if (e)
            rlb_sticky_set_login(e, &login);
    } else if (s && (req->flags & RLB_REQF_AFFKEY))
        rlb_sticky_add(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, s, ev_now(ctx->loop));
    else if (server && !s)
        rlb_debug("Redis names server \"%s\", which this instance does not have", name);
    rlb_px_dispatch(ctx, req, pkt, &info);
}
