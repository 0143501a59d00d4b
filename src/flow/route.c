/*
 * route.c: which server a request goes to, decided in one place
 * (rlb_px_dispatch): the server that issued the challenge it answers (and
 * so that server's pool: a challenge chain never changes pool); otherwise
 * the pool the routing rules pick (pool.c, routes.h), then in it the
 * master for a write, the server an affinity key remembers, or the
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
#include "realm.h"
#include "rstore.h"

/* A write goes to the master only. Without one that takes writes, an
 * Access-Request is rejected with no_master_reply_message and accounting
 * goes to the spool (which also takes it while older records wait there,
 * so that the master receives them in order). */
static void
route_write(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
            const struct rlb_pkt_info *info)
{
    struct rlb_pool *p = req->pool;
    bool acct = info->code == RLB_ACCOUNTING_REQUEST;

    if (rlb_master_takes_writes(p) && !(acct && rlb_acctspool_busy(p))) {
        rlb_px_send_to_server(ctx, req, p->master.server, data, info);
    } else if (acct) {
        rlb_acctspool_take(ctx, req, data, info);
    } else {
        ctx->stats.no_master_rejects++;
        p->stats.no_master_rejects++;
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.no_master_message);
    }
}

/* A request Redis was just asked about waits PARKED with a copy of its
 * packet (the Proxy-State copy goes: the packet has it); false, the
 * question withdrawn, without memory. */
static bool
park_copy(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
          const struct rlb_pkt_info *info)
{
    uint8_t *copy = rlb_buf_get(&ctx->bufs, info->len);

    if (!copy) {
        rlb_rstore_cancel(req);
        return false;
    }
    memcpy(copy, data, info->len);
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = copy;
    req->blob_len = info->len;
    rlb_req_move(ctx, req, RLB_REQ_PARKED);
    return true;
}

/* Parks a request while Redis is asked which server holds its session
 * (only when the local table does not know, and once). */
static bool
park(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
     const struct rlb_pkt_info *info, char kind, const uint8_t *key, size_t len)
{
    if (!ctx->rstore || (req->flags & RLB_REQF_ASKED))
        return false;
    /* Not ready (an outage): counted as skipped by the store. */
    if (!rlb_rstore_get(ctx->rstore, kind, key, len, req) || !park_copy(ctx, req, data, info))
        return false;
    req->flags |= RLB_REQF_ASKED;
    return true;
}

/* True when the request writes to the MFA database (classified once). */
static bool
classify(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
         const struct rlb_pkt_info *info)
{
    if (!(req->flags & RLB_REQF_CLASSED)) {
        req->flags |= RLB_REQF_CLASSED;
        if (rlb_writes_is_write(&req->pool->writes, data, info)) {
            req->flags |= RLB_REQF_WRITE;
            ctx->stats.writes++;
        }
    }
    return req->flags & RLB_REQF_WRITE;
}

/* An answer to a challenge goes to its server's pool, whatever the rules
 * say now; its User-Name is stripped when the rule that covers that pool
 * strips (as the first leg's was). */
static void
pin_pool(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s, const uint8_t *data,
         const struct rlb_pkt_info *info)
{
    struct rlb_route_result res;

    if (!(req->rflags & RLB_ROUTEF_ROUTED) && s->pool)
        s->pool->stats.requests++;
    req->rflags |= RLB_ROUTEF_ROUTED;
    req->pool = s->pool;
    if (!ctx->routes.n || !s->pool)
        return;
    rlb_routes_peek(&ctx->routes, data, info, req->client ? req->client->name : NULL, &res);
    if (res.rule >= 0 && res.stripped) {
        const struct rlb_route *r = &ctx->routes.v[res.rule];
        int own = -1;

        for (unsigned i = 0; i < ctx->npools; i++) {
            if (ctx->pools[i] == s->pool)
                own = (int)i;
        }
        if (own >= 0 && (r->pool == own || r->to_pool == own))
            req->rflags |= RLB_ROUTEF_STRIP;
    }
}

/* mirror_accounting: a copy to that pool too, unless the request goes
 * there anyway (migrated to it). Once per request (the routing runs once). */
static void
mirror(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_pool *p, int to,
       const uint8_t *data, const struct rlb_pkt_info *info)
{
    if (to < 0 || (unsigned)to >= ctx->npools || ctx->pools[to] == p || !req->client)
        return;
    rlb_acctspool_mirror(ctx, ctx->pools[to], req, data, info);
}

/* The pool of a request no session pins: the routing rules' (once: a
 * request back from Redis keeps it). NULL: no rule routes it. */
static struct rlb_pool *
route_pool(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
           const struct rlb_pkt_info *info)
{
    struct rlb_route_result res;
    struct rlb_pool *p;

    if (req->rflags & RLB_ROUTEF_ROUTED)
        return req->pool;
    req->rflags |= RLB_ROUTEF_ROUTED;
    if (!ctx->routes.n) {
        p = ctx->npools ? ctx->pools[0] : NULL;
    } else {
        rlb_routes_pick(&ctx->routes, data, info, req->client ? req->client->name : NULL, &res);
        p = res.pool >= 0 && (unsigned)res.pool < ctx->npools ? ctx->pools[res.pool] : NULL;
        if (p && res.stripped)
            req->rflags |= RLB_ROUTEF_STRIP;
        if (p && res.migrated) {
            req->rflags |= RLB_ROUTEF_MIGRATED;
            p->stats.migrated++;
        }
        if (p && info->code == RLB_ACCOUNTING_REQUEST && res.rule >= 0 &&
            (unsigned)res.rule < ctx->conf->nroutes)
            mirror(ctx, req, p, ctx->conf->routes[res.rule].mirror_index, data, info);
    }
    req->pool = p;
    if (p)
        p->stats.requests++;
    return p;
}

/* No rule routes it: an Access-Request is rejected at once (never
 * silence: the NAS would mark radlb dead), accounting is not answered
 * (radlb must not acknowledge a record it did not store; the NAS retries). */
static void
unroutable(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
           const struct rlb_pkt_info *info)
{
    bool acct = info->code == RLB_ACCOUNTING_REQUEST;
    const uint8_t *name;
    struct rlb_realm r;
    char realm[80] = "";
    size_t len = 0;
    unsigned held;

    ctx->unroutable[acct]++;
    name = rlb_pkt_find_attr(data, info, 0, RLB_ATTR_USER_NAME, &len);
    if (name && rlb_realm_parse(name, len, &r)) {
        size_t n = r.realm_len < sizeof(realm) - 1 ? r.realm_len : sizeof(realm) - 1;

        for (size_t i = 0; i < n; i++) {
            uint8_t c = name[r.realm_off + i];

            realm[i] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
        }
        realm[n] = '\0';
    }
    if (rlb_ratelimit_ok(&ctx->rl_unroutable, ev_now(ctx->loop), &held))
        rlb_warn("no routing rule matches %s from client %s (%s%s%s): %s; add a rule or a "
                 "default (routes in %s)%s", rlb_code_name(info->code),
                 req->client ? req->client->name : "?", realm[0] ? "realm \"" : "no realm",
                 realm, realm[0] ? "\"" : "", acct ? "not answered, the NAS retries" :
                 "rejected", ctx->conf->file,
                 held ? " (more since the last line)" : "");
    if (acct) {
        rlb_px_drop_client(ctx, req->client, &req->src, info->code, RLB_DROP_UNROUTABLE);
        rlb_req_forget(ctx, req);
    } else {
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.unroutable_message);
    }
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
    rlb_px_nas_answer(ctx, req);
    req->flags |= RLB_REQF_PINNED;
    pin_pool(ctx, req, s, data, info);
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
    struct rlb_pool *p;
    bool done = false;

    if (info->code == RLB_ACCESS_REQUEST && info->state_off) {
        s = by_state(ctx, req, data, info, &done);
        if (done)
            return;
        if (s) {
            rlb_px_send_to_server(ctx, req, s, data, info);
            return;
        }
    }
    /* A first leg (no session pins it): within its prompt budgets? */
    if (info->code == RLB_ACCESS_REQUEST && rlb_px_limit_first_leg(ctx, req, data, info))
        return;
    p = route_pool(ctx, req, data, info);
    if (!p) {
        unroutable(ctx, req, data, info);
        return;
    }
    if (!(info->code == RLB_ACCESS_REQUEST && info->state_off) && classify(ctx, req, data, info)) {
        route_write(ctx, req, data, info);
        return;
    }
    if (info->code == RLB_ACCESS_REQUEST && !info->state_off &&
        ((req->flags & RLB_REQF_AFFKEY) ||
         rlb_affinity_key(&ctx->conf->sticky, p->is_default ? NULL : p->name, data, info,
                          req->affkey))) {
        s = by_affinity(ctx, req, data, info, &done);
        if (done)
            return;
        if (s && s->pool != p)
            s = NULL;              /* the rules now send this user elsewhere */
    }
    if (!s && !ctx->conf->health.master_serves_reads)
        s = rlb_balance_pick_except(&p->balancer, p->v, p->n, p->master.server);
    if (!s)                        /* (the master too, when it is the only one left) */
        s = rlb_balance_pick(&p->balancer, p->v, p->n);
    if (!s) {
        ctx->stats.no_server++;
        p->stats.no_server++;
        if (info->code == RLB_ACCESS_REQUEST)
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT,
                                  ctx->conf->proxy.unavailable_message);
        else
            rlb_req_forget(ctx, req);     /* accounting: no Accounting-Response, the NAS retries */
        return;
    }
    rlb_px_send_to_server(ctx, req, s, data, info);
}

/* A parked request's packet, back from its blob into pkt (the Proxy-State
 * kept again, as for a request never parked); false if it no longer
 * parses (cannot happen: it parsed before), the request then forgotten. */
static bool
unpark(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t *pkt, struct rlb_pkt_info *info)
{
    size_t len = req->blob_len;

    memcpy(pkt, req->blob, len);
    rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = NULL;
    req->blob_len = 0;
    if (rlb_pkt_parse(pkt, &len, false, info) != RLB_DROP_NONE) {
        rlb_req_forget(ctx, req);
        return false;
    }
    rlb_px_keep_proxy_state(ctx, req, pkt, info);
    return true;
}

bool
rlb_px_park_budget(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                   const struct rlb_pkt_info *info, const uint64_t *keys, const bool *has,
                   int mode, uint64_t *seq)
{
    const struct rlb_limits *l = &ctx->limits;

    return ctx->rstore &&
           rlb_rstore_budget(ctx->rstore, keys, has, mode, ev_now(ctx->loop), l->win, l->winmax,
                             l->nwin, req, seq) &&
           park_copy(ctx, req, data, info);
}

void
rlb_proxy_budget_answer(struct rlb_ctx *ctx, struct rlb_request *req, const int64_t *answer)
{
    uint8_t pkt[RLB_PKT_MAX];
    struct rlb_pkt_info info;

    if (!unpark(ctx, req, pkt, &info))
        return;
    if (answer && rlb_px_limit_shared_verdict(ctx, req, pkt, &info, answer))
        return;                    /* over budget on the cluster: answered */
    rlb_px_dispatch(ctx, req, pkt, &info);
}

void
rlb_proxy_redis_answer(struct rlb_ctx *ctx, struct rlb_request *req, const char *server)
{
    uint8_t pkt[RLB_PKT_MAX];
    struct rlb_pkt_info info;
    struct rlb_login login;
    char name[RLB_NAME_MAX + 1];
    struct rlb_server *s = NULL;

    /* The value: the server's name, then the login its challenge belongs to. */
    if (server)
        s = rlb_servers_find(&ctx->servers,
                             rlb_px_authlog_parse_value(server, name, sizeof(name), &login));
    if (!unpark(ctx, req, pkt, &info))
        return;
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
