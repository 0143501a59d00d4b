/*
 * pool.c: the pools and the routing rules, from the configuration (see
 * pool.h and doc/pools.md).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acctspool.h"
#include "master.h"
#include "pool.h"

struct rlb_pool *
rlb_pools_find(const struct rlb_ctx *ctx, const char *name)
{
    for (unsigned i = 0; i < ctx->npools; i++) {
        if (strcmp(ctx->pools[i]->name, name) == 0)
            return ctx->pools[i];
    }
    return NULL;
}

static struct rlb_pool *
gone_find(const struct rlb_ctx *ctx, const char *name, unsigned *at)
{
    for (unsigned i = 0; i < ctx->npools_gone; i++) {
        if (strcmp(ctx->pools_gone[i]->name, name) == 0) {
            *at = i;
            return ctx->pools_gone[i];
        }
    }
    return NULL;
}

/* The pool's servers: those of ctx->servers that name it. */
static int
set_members(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    unsigned n = 0;
    struct rlb_server **v;

    for (unsigned i = 0; i < ctx->servers.n; i++)
        n += strcmp(ctx->servers.v[i]->pool_name, p->name) == 0;
    v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return -1;
    n = 0;
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        struct rlb_server *s = ctx->servers.v[i];

        if (strcmp(s->pool_name, p->name) == 0) {
            v[n++] = s;
            s->pool = p;
        }
    }
    free(p->v);
    p->v = v;
    p->n = n;
    return 0;
}

static void
set_values(struct rlb_pool *p, const struct rlb_conf_pool *cp)
{
    p->balancer.algo = cp->balance;
    p->health = cp->health;
    p->is_default = cp->top;
}

static struct rlb_pool *
pool_new(struct rlb_ctx *ctx, const struct rlb_conf_pool *cp)
{
    struct rlb_pool *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    snprintf(p->name, sizeof(p->name), "%s", cp->name);
    p->ctx = ctx;
    set_values(p, cp);
    return p;
}

/* The rules as routes.c takes them. */
static int
routes_build(const struct rlb_conf *c, struct rlb_routes *rs, char *err, size_t len)
{
    struct rlb_route_spec *spec = calloc(c->nroutes ? c->nroutes : 1, sizeof(*spec));
    int rc;

    if (!spec) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < c->nroutes; i++) {
        const struct rlb_conf_route *r = &c->routes[i];
        struct rlb_route_spec *s = &spec[i];

        if (r->nrealm) {
            s->match = RLB_ROUTE_REALM;
            s->names = (const char *const *)r->realm;
            s->nnames = r->nrealm;
        } else if (r->nclient) {
            s->match = RLB_ROUTE_CLIENT;
            s->names = (const char *const *)r->client;
            s->nnames = r->nclient;
        } else if (r->attribute[0]) {
            s->match = RLB_ROUTE_ATTRIBUTE;
            s->vendor = r->vendor;
            s->attr = r->attr;
            s->test = r->exists ? RLB_WTEST_EXISTS : r->missing ? RLB_WTEST_MISSING :
                      r->regex[0] ? RLB_WTEST_REGEX : RLB_WTEST_EQUALS;
            s->value = r->regex[0] ? r->regex : r->equals;
        } else {
            s->match = RLB_ROUTE_DEFAULT;
        }
        s->strip = r->strip;
        s->pool = r->pool_index;
        s->to_pool = r->to_index;
        s->share = r->share_bp;
        if (r->migrate.users_file[0]) {
            s->users = (const char *const *)r->file_users;
            s->nusers = r->nfile_users;
        } else {
            s->users = (const char *const *)r->migrate.users;
            s->nusers = r->migrate.nusers;
        }
    }
    rc = rlb_routes_build(rs, spec, c->nroutes, c->routes_seed, err, len);
    free(spec);
    return rc;
}

int
rlb_pools_build(struct rlb_ctx *ctx, const struct rlb_conf *conf, char *err, size_t len)
{
    ctx->pools = calloc(conf->npool ? conf->npool : 1, sizeof(*ctx->pools));
    if (!ctx->pools) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    ctx->rl_unroutable.interval = RLB_LOG_INTERVAL;
    for (unsigned i = 0; i < conf->npool; i++) {
        struct rlb_pool *p = pool_new(ctx, conf->pool[i]);

        if (!p) {
            snprintf(err, len, "out of memory");
            return -1;
        }
        ctx->pools[ctx->npools++] = p;
        if (set_members(ctx, p) < 0) {
            snprintf(err, len, "out of memory");
            return -1;
        }
        if (rlb_writes_build(&p->writes, conf->pool[i], conf->file, err, len) < 0)
            return -1;
    }
    free(ctx->overrides);
    ctx->overrides = calloc(conf->nroutes ? conf->nroutes : 1, sizeof(*ctx->overrides));
    ctx->noverrides = ctx->overrides ? conf->nroutes : 0;
    return routes_build(conf, &ctx->routes, err, len);
}

int
rlb_pools_start(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->npools; i++) {
        if (rlb_master_start(ctx, ctx->pools[i]) < 0 ||
            rlb_acctspool_start(ctx, ctx->pools[i]) < 0)
            return -1;
    }
    return 0;
}

static void
pool_stop(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    rlb_acctspool_stop(ctx, p);
    rlb_master_stop(ctx, p);
}

void
rlb_pools_stop(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->npools; i++)
        pool_stop(ctx, ctx->pools[i]);
    for (unsigned i = 0; i < ctx->npools_gone; i++)
        pool_stop(ctx, ctx->pools_gone[i]);
}

static void
pool_free(struct rlb_pool *p)
{
    rlb_writes_free(&p->writes);
    free(p->v);
    free(p);
}

void
rlb_pools_free(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->npools; i++)
        pool_free(ctx->pools[i]);
    for (unsigned i = 0; i < ctx->npools_gone; i++)
        pool_free(ctx->pools_gone[i]);
    free(ctx->pools);
    free(ctx->pools_gone);
    ctx->pools = ctx->pools_gone = NULL;
    ctx->npools = ctx->npools_gone = 0;
    rlb_routes_free(&ctx->routes);
    free(ctx->overrides);
    ctx->overrides = NULL;
    ctx->noverrides = 0;
}

int
rlb_pools_prepare(struct rlb_ctx *ctx, const struct rlb_conf *nc, struct rlb_pools_next *next,
                  char *err, size_t len)
{
    unsigned at;

    memset(next, 0, sizeof(*next));
    next->writes = calloc(nc->npool ? nc->npool : 1, sizeof(*next->writes));
    next->fresh = calloc(nc->npool ? nc->npool : 1, sizeof(*next->fresh));
    next->v = calloc(nc->npool ? nc->npool : 1, sizeof(*next->v));
    next->gone = calloc(ctx->npools + ctx->npools_gone + 1, sizeof(*next->gone));
    if (!next->writes || !next->fresh || !next->v || !next->gone) {
        rlb_pools_next_free(next);
        snprintf(err, len, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < nc->npool; i++) {
        next->n = i + 1;
        if (rlb_writes_build(&next->writes[i], nc->pool[i], nc->file, err, len) < 0) {
            rlb_pools_next_free(next);
            return -1;
        }
        if (!rlb_pools_find(ctx, nc->pool[i]->name) && !gone_find(ctx, nc->pool[i]->name, &at) &&
            !(next->fresh[i] = pool_new(ctx, nc->pool[i]))) {
            rlb_pools_next_free(next);
            snprintf(err, len, "out of memory");
            return -1;
        }
    }
    if (routes_build(nc, &next->routes, err, len) < 0) {
        rlb_pools_next_free(next);
        return -1;
    }
    return 0;
}

void
rlb_pools_next_free(struct rlb_pools_next *next)
{
    for (unsigned i = 0; i < next->n; i++) {
        if (next->writes)
            rlb_writes_free(&next->writes[i]);
        if (next->fresh && next->fresh[i])
            pool_free(next->fresh[i]);
    }
    free(next->writes);
    free(next->fresh);
    free(next->v);
    free(next->gone);
    rlb_routes_free(&next->routes);
    memset(next, 0, sizeof(*next));
}

/* The running shares that radlbctl set and the new file leaves alone. */
static void
carry_overrides(struct rlb_ctx *ctx, const struct rlb_conf *nc, struct rlb_routes *rs)
{
    struct rlb_share_override *now = calloc(nc->nroutes ? nc->nroutes : 1, sizeof(*now));

    for (unsigned i = 0; now && i < nc->nroutes && i < ctx->noverrides; i++) {
        const struct rlb_share_override *o = &ctx->overrides[i];
        const struct rlb_conf_route *r = &nc->routes[i];

        if (!o->set || r->to_index < 0 || strcmp(o->pool, r->pool) ||
            strcmp(o->to, r->migrate.to))
            continue;
        if (r->share_bp != o->file_bp) {
            rlb_warn("route %u: the file now gives share %.2f%%: it replaces the %.2f%% set by "
                     "radlbctl", i + 1, r->share_bp / 100.0, o->bp / 100.0);
            continue;
        }
        now[i] = *o;
        rs->v[i].share = o->bp;
        rlb_info("route %u: keeps share %.2f%% set by radlbctl (the file says %.2f%%)", i + 1,
                 o->bp / 100.0, r->share_bp / 100.0);
    }
    (void)ctx;
    free(ctx->overrides);
    ctx->overrides = now;
    ctx->noverrides = now ? nc->nroutes : 0;
}

void
rlb_pools_commit(struct rlb_ctx *ctx, const struct rlb_conf *nc, struct rlb_pools_next *next,
                 bool roles)
{
    struct rlb_pool **v = next->v, **gone = next->gone;
    unsigned ngone = 0, at;

    next->v = next->gone = NULL;   /* they become ctx's */
    for (unsigned i = 0; i < nc->npool; i++) {
        const struct rlb_conf_pool *cp = nc->pool[i];
        struct rlb_pool *p = rlb_pools_find(ctx, cp->name);
        bool fresh = false;

        if (!p && (p = gone_find(ctx, cp->name, &at))) {
            ctx->pools_gone[at] = NULL;
            p->removed = false;
            rlb_info("pool %s is back in the configuration", p->name);
        } else if (!p) {
            p = next->fresh[i];
            next->fresh[i] = NULL;
            fresh = true;
        }
        set_values(p, cp);
        rlb_writes_free(&p->writes);
        p->writes = next->writes[i];
        memset(&next->writes[i], 0, sizeof(next->writes[i]));
        v[i] = p;
        if (fresh)
            rlb_info("pool %s added to the configuration", p->name);
    }
    for (unsigned i = 0; i < ctx->npools; i++) {
        struct rlb_pool *p = ctx->pools[i];
        bool kept = false;

        for (unsigned j = 0; j < nc->npool; j++)
            kept = kept || v[j] == p;
        if (kept)
            continue;
        p->removed = true;
        /* Its removed servers' probes read it: the running top-level health. */
        p->health = nc->health;
        rlb_warn("pool %s removed from the configuration: it gets nothing new; its servers drain "
                 "(the answers to their open challenges still go there)", p->name);
        gone[ngone++] = p;
    }
    for (unsigned i = 0; i < ctx->npools_gone; i++) {
        if (ctx->pools_gone[i])
            gone[ngone++] = ctx->pools_gone[i];
    }
    /* Members: the live servers, then the removed ones keep their pool. */
    {
        struct rlb_pool **old = ctx->pools;
        unsigned nold = ctx->npools;

        ctx->pools = v;
        ctx->npools = nc->npool;
        for (unsigned i = 0; i < ctx->npools; i++) {
            if (set_members(ctx, v[i]) < 0)
                rlb_err("reload: out of memory: the servers of pool %s were not changed",
                        v[i]->name);
        }
        for (unsigned i = 0; i < nold; i++) {
            bool kept = false;

            for (unsigned j = 0; j < ctx->npools; j++)
                kept = kept || v[j] == old[i];
            if (!kept) {
                free(old[i]->v);
                old[i]->v = NULL;
                old[i]->n = 0;
            }
        }
        free(old);
    }
    free(ctx->pools_gone);
    ctx->pools_gone = gone;
    ctx->npools_gone = ngone;
    for (unsigned i = 0; i < ctx->npools; i++) {
        struct rlb_pool *p = ctx->pools[i];
        struct rlb_server *master = NULL;

        if (!ev_is_active(&p->master.tick)) {      /* new (or back): its own start */
            rlb_master_start(ctx, p);
            /* (back: its spool never closed, it replayed to its master) */
            if (!p->spool && rlb_acctspool_start(ctx, p) < 0)
                rlb_err("pool %s: its accounting spool could not be opened: its accounting "
                        "without a master is not answered", p->name);
            continue;
        }
        for (unsigned j = 0; j < p->n; j++) {
            if (p->v[j]->role == RLB_ROLE_MASTER)
                master = p->v[j];
        }
        /* Without a promotion, the configuration names the master. */
        if (roles && master && p->master.server != master) {
            rlb_warn("pool %s: master: %s -> %s (role in the configuration)", p->name,
                     p->master.server ? p->master.server->name : "none", master->name);
            p->master.server = master;
            rlb_acctspool_kick(ctx, p);
        } else if (p->master.server && p->master.server->pool == p &&
                   p->master.server->removed) {
            rlb_err("pool %s: master %s was removed from the configuration: no master takes "
                    "writes until one is promoted (radlbctl promote %s/NAME)", p->name,
                    p->master.server->name, p->name);
            p->master.server->role = RLB_ROLE_SUBORDINATE;
            p->master.server = NULL;
        }
    }
    for (unsigned i = 0; i < ngone; i++)
        rlb_master_stop(ctx, gone[i]);
    rlb_routes_free(&ctx->routes);
    ctx->routes = next->routes;
    memset(&next->routes, 0, sizeof(next->routes));
    carry_overrides(ctx, nc, &ctx->routes);
    rlb_pools_next_free(next);
}

int
rlb_routes_set_share(struct rlb_ctx *ctx, unsigned rule, unsigned bp, char *err, size_t len)
{
    const struct rlb_conf_route *r;
    struct rlb_route *rt;
    unsigned was;

    if (rule >= ctx->routes.n) {
        snprintf(err, len, "there is no route %u (radlbctl show routes lists %u)", rule + 1,
                 ctx->routes.n);
        return -1;
    }
    rt = &ctx->routes.v[rule];
    r = &ctx->conf->routes[rule];
    if (rt->to_pool < 0) {
        snprintf(err, len, "route %u has no migration (migrate = { to = \"POOL\"; ... } in the "
                 "file)", rule + 1);
        return -1;
    }
    if (bp > RLB_ROUTE_SHARE_MAX) {
        snprintf(err, len, "a share is 0 to 100 percent");
        return -1;
    }
    was = rt->share;
    rt->share = bp;
    if (rule < ctx->noverrides) {
        struct rlb_share_override *o = &ctx->overrides[rule];

        snprintf(o->pool, sizeof(o->pool), "%s", r->pool);
        snprintf(o->to, sizeof(o->to), "%s", r->migrate.to);
        o->file_bp = r->share_bp;
        o->bp = bp;
        o->set = true;
    }
    rlb_warn("route %u: the share migrated from pool %s to pool %s is %.2f%% (was %.2f%%)%s",
             rule + 1, r->pool, r->migrate.to, bp / 100.0, was / 100.0,
             bp < was ? ": users go back to the old pool; logins in progress finish where they "
                        "started" : "");
    return 0;
}
