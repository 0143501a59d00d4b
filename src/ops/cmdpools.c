/*
 * cmdpools.c: the control commands of pools and routes (cmdpools.h).
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdpools.h"
#include "ctx.h"
#include "master.h"
#include "metrics.h"
#include "pool.h"
#include "report.h"

struct rlb_server *
rlb_cmd_server_arg(struct rlb_ctx *ctx, const char *arg, struct rlb_strbuf *err)
{
    const char *slash = strchr(arg, '/');
    const char *name = slash ? slash + 1 : arg;
    struct rlb_server *s = rlb_servers_find(&ctx->servers, name);
    char pool[RLB_NAME_MAX + 1];

    if (slash) {
        snprintf(pool, sizeof(pool), "%.*s", (int)(slash - arg), arg);
        if (!rlb_pools_find(ctx, pool)) {
            rlb_sb_printf(err, "no pool named \"%s\" (see show pools)", pool);
            return NULL;
        }
        if (s && strcmp(s->pool_name, pool) != 0) {
            rlb_sb_printf(err, "server \"%s\" is in pool \"%s\", not \"%s\"", name, s->pool_name,
                          pool);
            return NULL;
        }
    }
    if (!s)
        rlb_sb_printf(err, "no server named \"%s\" (see show servers)", name);
    return s;
}

int
rlb_cmd_show_pools(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;

    (void)err;
    if (r->json) {
        rlb_cmd_json_out(out, json_pack("{s:o}", "pools", rlb_report_pools(ctx)));
        return 0;
    }
    rlb_sb_printf(out, "%-16s %7s %4s %-14s %10s %9s %9s %9s %9s %9s\n", "POOL", "SERVERS",
                  "UP", "MASTER", "REQUESTS", "ACCEPT", "REJECT", "CHALLENGE", "MIGRATED",
                  "REJECT_%");
    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_pool *p = ctx->pools[i];
        const struct rlb_pool_stats *st = &p->stats;
        unsigned up = 0;
        uint64_t final = st->accepts + st->rejects;

        for (unsigned j = 0; j < p->n; j++)
            up += rlb_server_takes_new(p->v[j]);
        rlb_sb_printf(out, "%-16s %7u %4u %-14s %10llu %9llu %9llu %9llu %9llu %9.1f\n", p->name,
                      p->n, up, p->master.server ? p->master.server->name : "none",
                      (unsigned long long)st->requests, (unsigned long long)st->accepts,
                      (unsigned long long)st->rejects, (unsigned long long)st->challenges,
                      (unsigned long long)st->migrated,
                      final ? 100.0 * (double)st->rejects / (double)final : 0.0);
    }
    rlb_sb_printf(out, "unroutable: %llu Access-Requests rejected, %llu Accounting-Requests not "
                  "answered\n", (unsigned long long)ctx->unroutable[0],
                  (unsigned long long)ctx->unroutable[1]);
    return 0;
}

static const char *const match_names[] = { "default", "realm", "client", "attribute" };

/* What rule i matches, as the file says it. */
static void
rule_match(const struct rlb_conf_route *c, struct rlb_strbuf *out)
{
    char **names = c->nrealm ? c->realm : c->client;
    unsigned n = c->nrealm ? c->nrealm : c->nclient;

    if (c->nrealm || c->nclient) {
        rlb_sb_printf(out, "%s=", c->nrealm ? "realm" : "client");
        for (unsigned j = 0; j < n; j++)
            rlb_sb_printf(out, "%s%s", j ? "," : "", names[j]);
    } else if (c->attribute[0]) {
        rlb_sb_printf(out, "attribute=%s %s%s%s", c->attribute,
                      c->exists ? "exists" : c->missing ? "missing" : c->regex[0] ? "regex=" :
                      "equals=", c->regex[0] ? c->regex : c->equals[0] ? c->equals : "", "");
    } else {
        rlb_sb_printf(out, "default");
    }
}

int
rlb_cmd_show_routes(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_conf *c = ctx->conf;
    json_t *a = r->json ? json_array() : NULL;

    (void)err;
    if (!r->json && !ctx->routes.n)
        rlb_sb_printf(out, "no routes: every request goes to pool %s\n",
                      ctx->npools ? ctx->pools[0]->name : "none");
    for (unsigned i = 0; i < ctx->routes.n && i < c->nroutes; i++) {
        const struct rlb_route *rt = &ctx->routes.v[i];
        const struct rlb_conf_route *cr = &c->routes[i];
        struct rlb_strbuf m = { 0 };

        rule_match(cr, &m);
        if (a) {
            json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:b,s:I}", "rule", (int)i + 1, "match",
                                  match_names[rt->match], "test", m.p ? m.p : "", "pool",
                                  cr->pool, "strip", rt->strip, "matched",
                                  (json_int_t)rt->matched);

            if (rt->to_pool >= 0)
                json_object_set_new(o, "migrate",
                                    json_pack("{s:s,s:f,s:f,s:i,s:I}", "to", cr->migrate.to,
                                              "share_percent", rt->share / 100.0,
                                              "file_share_percent", cr->share_bp / 100.0,
                                              "users", (int)rt->nusers, "migrated",
                                              (json_int_t)rt->migrated));
            json_array_append_new(a, o);
        } else {
            rlb_sb_printf(out, "%u: %s%s pool=%s matched=%llu", i + 1, m.p ? m.p : "",
                          rt->strip ? " strip" : "", cr->pool, (unsigned long long)rt->matched);
            if (rt->to_pool >= 0)
                rlb_sb_printf(out, " migrate=%s share=%.2f%%%s users=%u migrated=%llu",
                              cr->migrate.to, rt->share / 100.0,
                              rt->share != cr->share_bp ? " (set by radlbctl)" : "",
                              rt->nusers, (unsigned long long)rt->migrated);
            rlb_sb_printf(out, "\n");
        }
        rlb_sb_free(&m);
    }
    if (a)
        rlb_cmd_json_out(out, json_pack("{s:o,s:s}", "routes", a, "seed",
                                c->routes_seed[0] ? "set" : "empty"));
    return 0;
}

/* route N share PERCENT */
int
rlb_cmd_route(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    char *end, why[256];
    unsigned long n;
    double pct, bp;

    if (r->argc != 4 || strcmp(r->argv[2], "share") != 0) {
        rlb_sb_printf(err, "usage: route N share PERCENT");
        return -1;
    }
    n = strtoul(r->argv[1], &end, 10);
    if (*end || n == 0) {
        rlb_sb_printf(err, "\"%s\" is not a rule number (1, 2, ...: show routes)", r->argv[1]);
        return -1;
    }
    pct = strtod(r->argv[3], &end);
    bp = pct * 100.0;
    if (*end || end == r->argv[3] || pct < 0 || pct > 100 ||
        bp - (double)(unsigned)(bp + 0.5) > 1e-6 || (double)(unsigned)(bp + 0.5) - bp > 1e-6) {
        rlb_sb_printf(err, "\"%s\" is not a share: a percentage from 0 to 100 with at most two "
                      "decimals", r->argv[3]);
        return -1;
    }
    rlb_info("control: route %lu share %s (uid %u)", n, r->argv[3], (unsigned)r->uid);
    if (rlb_routes_set_share(r->ctx, (unsigned)(n - 1), (unsigned)(bp + 0.5), why,
                             sizeof(why)) < 0) {
        rlb_sb_printf(err, "%s", why);
        return -1;
    }
    if (r->json)
        rlb_cmd_json_out(out, json_pack("{s:i,s:f}", "rule", (int)n, "share_percent",
                                (unsigned)(bp + 0.5) / 100.0));
    else
        rlb_sb_printf(out, "route %lu: share %.2f%% (until the file's share changes: write it "
                      "there too)\n", n, (unsigned)(bp + 0.5) / 100.0);
    return 0;
}
