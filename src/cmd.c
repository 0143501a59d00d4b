/*
 * cmd.c: the control commands, in one table; help is generated from it.
 * Every command answers in text for people or, with "json", for scripts.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "ctx.h"
#include "health.h"
#include "master.h"
#include "rstore.h"
#include "spool.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static void
json_out(struct rlb_strbuf *out, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));

    if (s) {
        rlb_sb_printf(out, "%s\n", s);
        free(s);
    }
    json_decref(j);
}

static json_t *
client_counters_json(const struct rlb_client_stats *st)
{
    json_t *o = json_object();

#define J(name, help) json_object_set_new(o, #name, json_integer((json_int_t)st->name));
    RLB_CLIENT_COUNTERS(J)
#undef J
    return o;
}

static json_t *
server_counters_json(const struct rlb_server_stats *st)
{
    json_t *o = json_object();

#define J(name, help) json_object_set_new(o, #name, json_integer((json_int_t)st->name));
    RLB_SERVER_COUNTERS(J)
#undef J
    return o;
}

static json_t *
latency_json(const struct rlb_latency *l)
{
    json_t *o = json_object();
    json_t *b = json_array();

    json_object_set_new(o, "count", json_integer((json_int_t)l->count));
    json_object_set_new(o, "sum_seconds", json_real(l->sum));
    json_object_set_new(o, "p50_seconds", json_real(rlb_latency_quantile(l, 0.5)));
    json_object_set_new(o, "p99_seconds", json_real(rlb_latency_quantile(l, 0.99)));
    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS; i++) {
        json_t *e = json_object();

        if (i < RLB_LATENCY_BUCKETS - 1)
            json_object_set_new(e, "le", json_real(rlb_latency_bounds[i]));
        else
            json_object_set_new(e, "le", json_string("+Inf"));
        json_object_set_new(e, "count", json_integer((json_int_t)l->buckets[i]));
        json_array_append_new(b, e);
    }
    json_object_set_new(o, "buckets", b);
    return o;
}

static json_t *
health_json(const struct rlb_server *s, struct ev_loop *loop)
{
    const struct rlb_probe *p = s->probe;

    if (!p)
        return json_pack("{s:s}", "last", "not probed (probe \"none\": only while down)");
    return json_pack("{s:s,s:s,s:f,s:i,s:i,s:f}", "last", p->last, "port",
                     p->target == RLB_KIND_ACCT ? "acct" : "auth", "rtt_seconds", p->rtt,
                     "ok_in_a_row", (int)p->ok_run, "failed_in_a_row", (int)p->fail_run,
                     "last_ok_seconds_ago", p->last_ok ? ev_now(loop) - p->last_ok : -1.0);
}

/* "ok 2x, 1.2 ms" / "no answer within 1 s (2x)" for the table. */
static const char *
health_text(const struct rlb_server *s, char *buf, size_t len)
{
    const struct rlb_probe *p = s->probe;

    if (!p)
        snprintf(buf, len, "-");
    else if (!p->ok_run && !p->fail_run)
        snprintf(buf, len, "%s", p->last);
    else if (p->ok_run)
        snprintf(buf, len, "ok x%u %.1fms", p->ok_run, p->rtt * 1000);
    else
        snprintf(buf, len, "failed x%u", p->fail_run);
    return buf;
}

static json_t *
server_json(const struct rlb_server *s, struct ev_loop *loop)
{
    char host[RLB_ADDRSTRLEN];
    json_t *o = json_object();

    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "role", json_string(rlb_role_name(s->role)));
    json_object_set_new(o, "state", json_string(rlb_server_state_name(s)));
    json_object_set_new(o, "state_reason", json_string(rlb_server_state_reason(s)));
    json_object_set_new(o, "address", json_string(rlb_sockaddr_host(&s->addr[0], host, sizeof(host))));
    json_object_set_new(o, "auth_port", json_integer(rlb_sockaddr_port(&s->addr[RLB_KIND_AUTH])));
    json_object_set_new(o, "acct_port", json_integer(rlb_sockaddr_port(&s->addr[RLB_KIND_ACCT])));
    json_object_set_new(o, "weight", json_integer(s->weight));
    json_object_set_new(o, "outstanding", json_integer(s->outstanding));
    json_object_set_new(o, "sessions", json_integer((json_int_t)s->sessions));
    json_object_set_new(o, "state_since_seconds", json_real(s->since ? ev_now(loop) - s->since : 0));
    json_object_set_new(o, "health", health_json(s, loop));
    json_object_set_new(o, "sockets", json_integer(s->nsocks[0] + s->nsocks[1]));
    json_object_set_new(o, "require_message_authenticator", json_boolean(s->require_ma));
    json_object_set_new(o, "counters", server_counters_json(&s->stats));
    json_object_set_new(o, "latency", latency_json(&s->latency));
    return o;
}

static json_t *
master_json(const struct rlb_ctx *ctx)
{
    const struct rlb_master *m = &ctx->master;

    return json_pack("{s:s?,s:I,s:b,s:f,s:I}", "name", m->server ? m->server->name : NULL,
                     "epoch", (json_int_t)m->epoch, "takes_writes", rlb_master_takes_writes(ctx),
                     "seconds_without_master", rlb_master_seconds_without(ctx),
                     "promotions", (json_int_t)m->promotions);
}

static void
master_text(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    const struct rlb_master *m = &ctx->master;

    if (!m->server)
        rlb_sb_printf(out, "master: none (radlbctl promote NAME)\n");
    else if (rlb_master_takes_writes(ctx))
        rlb_sb_printf(out, "master: %s (epoch %llu), takes writes\n", m->server->name,
                      (unsigned long long)m->epoch);
    else
        rlb_sb_printf(out, "master: %s (epoch %llu) is %s: NO MASTER TAKES WRITES for %.0f s\n",
                      m->server->name, (unsigned long long)m->epoch, rlb_server_state_name(m->server),
                      rlb_master_seconds_without(ctx));
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

static int
cmd_help(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
            json_t *o = json_object();

            json_object_set_new(o, "command", json_string(c->name));
            json_object_set_new(o, "args", json_string(c->args));
            json_object_set_new(o, "level", json_string(c->level == RLB_CMD_ADMIN ? "admin" : "read"));
            json_object_set_new(o, "help", json_string(c->help));
            json_array_append_new(a, o);
        }
        json_out(out, a);
        return 0;
    }
    for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
        char usage[128];

        snprintf(usage, sizeof(usage), "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        rlb_sb_printf(out, "  %-28s %s%s\n", usage, c->help,
                      c->level == RLB_CMD_ADMIN ? " (admin)" : "");
    }
    return 0;
}

static int
cmd_show_servers(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_servers *ss = &r->ctx->servers;

    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (unsigned i = 0; i < ss->n; i++)
            json_array_append_new(a, server_json(ss->v[i], r->ctx->loop));
        json_out(out, json_pack("{s:o,s:o}", "master", master_json(r->ctx), "servers", a));
        return 0;
    }
    master_text(r->ctx, out);
    rlb_sb_printf(out, "%-12s %-11s %-11s %-22s %-22s %6s %11s %8s %9s %8s %8s %9s %8s %8s %8s %8s\n",
                  "NAME", "ROLE", "STATE", "HEALTH", "ADDRESS", "WEIGHT", "OUTSTANDING", "SESSIONS",
                  "REQUESTS", "ACCEPT", "REJECT", "CHALLENGE", "ACCT", "TIMEOUTS", "P50_MS", "P99_MS");
    for (unsigned i = 0; i < ss->n; i++) {
        const struct rlb_server *s = ss->v[i];
        char where[RLB_ADDRSTRLEN], health[64];

        rlb_sb_printf(out, "%-12s %-11s %-11s %-22s %-22s %6d %11u %8lu %9llu %8llu %8llu %9llu %8llu %8llu %8.1f %8.1f\n",
                      s->name, rlb_role_name(s->role), rlb_server_state_name(s),
                      health_text(s, health, sizeof(health)),
                      rlb_sockaddr_str(&s->addr[RLB_KIND_AUTH], where, sizeof(where)), s->weight,
                      s->outstanding, s->sessions, (unsigned long long)s->stats.requests,
                      (unsigned long long)s->stats.access_accepts,
                      (unsigned long long)s->stats.access_rejects,
                      (unsigned long long)s->stats.access_challenges,
                      (unsigned long long)s->stats.accounting_responses,
                      (unsigned long long)s->stats.timeouts,
                      rlb_latency_quantile(&s->latency, 0.5) * 1000,
                      rlb_latency_quantile(&s->latency, 0.99) * 1000);
    }
    for (unsigned i = 0; i < ss->n; i++) {
        const struct rlb_server *s = ss->v[i];

        if (s->health == RLB_HEALTH_DOWN || s->admin != RLB_ADMIN_ENABLED)
            rlb_sb_printf(out, "  %s: %s since %.0f s: %s\n", s->name, rlb_server_state_name(s),
                          ev_now(r->ctx->loop) - s->since, rlb_server_state_reason(s));
    }
    return 0;
}

static int
cmd_show_clients(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_clients *cs = &r->ctx->clients;
    char net[64];

    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (unsigned i = 0; i < cs->n; i++) {
            const struct rlb_client *c = cs->v[i];

            json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:b,s:o}", "name", c->name,
                                               "network", rlb_network_str(&c->net, net, sizeof(net)),
                                               "require_message_authenticator", c->require_ma,
                                               "limit_proxy_state", c->limit_proxy_state,
                                               "counters", client_counters_json(&c->stats)));
        }
        json_out(out, json_pack("{s:o}", "clients", a));
        return 0;
    }
    rlb_sb_printf(out, "%-12s %-22s %9s %8s %8s %8s %8s %8s\n", "NAME", "NETWORK", "REQUESTS",
                  "RETRANS", "CACHED", "REPLIES", "TIMEOUTS", "DROPPED");
    for (unsigned i = 0; i < cs->n; i++) {
        const struct rlb_client *c = cs->v[i];

        rlb_sb_printf(out, "%-12s %-22s %9llu %8llu %8llu %8llu %8llu %8llu\n", c->name,
                      rlb_network_str(&c->net, net, sizeof(net)),
                      (unsigned long long)c->stats.requests,
                      (unsigned long long)c->stats.retransmissions,
                      (unsigned long long)c->stats.duplicates,
                      (unsigned long long)c->stats.replies,
                      (unsigned long long)c->stats.timeouts,
                      (unsigned long long)c->stats.dropped);
    }
    return 0;
}

#define RLB_RSTORE_COUNTERS(X) \
    X(gets) X(hits) X(misses) X(timeouts) X(sets) X(write_timeouts) X(dels) X(skipped) X(errors) \
    X(outages) X(connects)

static json_t *
redis_json(const struct rlb_rstore *rs)
{
    const struct rlb_rstore_stats *st;
    json_t *o;

    if (!rs)
        return json_null();
    st = rlb_rstore_stats(rs);
    o = json_pack("{s:s,s:b,s:s,s:s,s:i}", "state", rlb_rstore_state(rs), "up",
                  rlb_rstore_ready(rs), "address", rlb_rstore_where(rs), "last_error",
                  rlb_rstore_last_error(rs), "outstanding", (int)rlb_rstore_outstanding(rs));
#define J(f) json_object_set_new(o, #f, json_integer((json_int_t)st->f));
    RLB_RSTORE_COUNTERS(J)
#undef J
    return o;
}

static void
redis_text(const struct rlb_rstore *rs, struct rlb_strbuf *out)
{
    const struct rlb_rstore_stats *st;

    if (!rs) {
        rlb_sb_printf(out, "redis.state off\n");
        return;
    }
    st = rlb_rstore_stats(rs);
    rlb_sb_printf(out, "redis.state %s\nredis.up %d\nredis.outstanding %u\n", rlb_rstore_state(rs),
                  rlb_rstore_ready(rs) ? 1 : 0, rlb_rstore_outstanding(rs));
#define T(f) rlb_sb_printf(out, "redis.%s %llu\n", #f, (unsigned long long)st->f);
    RLB_RSTORE_COUNTERS(T)
#undef T
}

static int
cmd_show_stats(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_global_stats *g = &ctx->stats;
    double uptime = ev_now(ctx->loop) - ctx->started;

    (void)err;
    if (r->json) {
        json_t *o = json_object(), *drops = json_object(), *clients = json_object();
        json_t *servers = json_object(), *gl = json_object();

#define J(name, help) json_object_set_new(gl, #name, json_integer((json_int_t)g->name));
        RLB_GLOBAL_COUNTERS(J)
#undef J
        json_object_set_new(gl, "send_failed", json_integer((json_int_t)ctx->outq->send_failed));
        for (int i = 1; i < RLB_DROP_MAX; i++)
            json_object_set_new(drops, rlb_drop_name((rlb_drop_t)i), json_integer((json_int_t)g->drops[i]));
        for (unsigned i = 0; i < ctx->clients.n; i++)
            json_object_set_new(clients, ctx->clients.v[i]->name,
                                client_counters_json(&ctx->clients.v[i]->stats));
        for (unsigned i = 0; i < ctx->servers.n; i++)
            json_object_set_new(servers, ctx->servers.v[i]->name, server_json(ctx->servers.v[i], ctx->loop));
        json_object_set_new(o, "uptime_seconds", json_real(uptime));
        json_object_set_new(o, "counters", gl);
        json_object_set_new(o, "drops", drops);
        json_object_set_new(o, "in_flight", json_integer((json_int_t)ctx->pending.count));
        json_object_set_new(o, "cached_replies", json_integer((json_int_t)ctx->done.count));
        json_object_set_new(o, "request_slots", json_integer((json_int_t)ctx->reqs.total));
        json_object_set_new(o, "buffer_bytes", json_integer((json_int_t)ctx->bufs.bytes));
        json_object_set_new(o, "sticky", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                            "sessions", (json_int_t)ctx->sticky.count,
                            "inserted", (json_int_t)ctx->sticky.stats.inserted,
                            "hits", (json_int_t)ctx->sticky.stats.hits,
                            "orphans", (json_int_t)ctx->sticky.stats.orphans,
                            "expired", (json_int_t)ctx->sticky.stats.expired,
                            "evicted", (json_int_t)ctx->sticky.stats.evicted,
                            "rejects", (json_int_t)ctx->sticky.stats.rejects,
                            "consumed", (json_int_t)ctx->sticky.stats.consumed));
        json_object_set_new(o, "affinity", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
                            "entries", (json_int_t)ctx->affinity.count,
                            "inserted", (json_int_t)ctx->affinity.stats.inserted,
                            "hits", (json_int_t)ctx->affinity.stats.hits,
                            "misses", (json_int_t)ctx->affinity.stats.orphans,
                            "expired", (json_int_t)ctx->affinity.stats.expired,
                            "evicted", (json_int_t)ctx->affinity.stats.evicted));
        json_object_set_new(o, "redis", redis_json(ctx->rstore));
        json_object_set_new(o, "master", master_json(ctx));
        json_object_set_new(o, "spool_records", json_integer(ctx->spool ? (json_int_t)rlb_spool_depth(ctx->spool) : 0));
        json_object_set_new(o, "spool_bytes", json_integer(ctx->spool ? (json_int_t)rlb_spool_bytes(ctx->spool) : 0));
        json_object_set_new(o, "clients", clients);
        json_object_set_new(o, "servers", servers);
        json_out(out, o);
        return 0;
    }
    rlb_sb_printf(out, "uptime_seconds %.0f\n", uptime);
#define T(name, help) rlb_sb_printf(out, "%s %llu\n", #name, (unsigned long long)g->name);
    RLB_GLOBAL_COUNTERS(T)
#undef T
    rlb_sb_printf(out, "send_failed %llu\n", (unsigned long long)ctx->outq->send_failed);
    rlb_sb_printf(out, "in_flight %lu\ncached_replies %lu\nrequest_slots %lu\nbuffer_bytes %lu\n",
                  ctx->pending.count, ctx->done.count, ctx->reqs.total, ctx->bufs.bytes);
    rlb_sb_printf(out, "sticky.sessions %lu\nsticky.inserted %llu\nsticky.hits %llu\n"
                  "sticky.orphans %llu\nsticky.expired %llu\nsticky.evicted %llu\nsticky.rejects %llu\n"
                  "sticky.consumed %llu\n",
                  ctx->sticky.count, (unsigned long long)ctx->sticky.stats.inserted,
                  (unsigned long long)ctx->sticky.stats.hits,
                  (unsigned long long)ctx->sticky.stats.orphans,
                  (unsigned long long)ctx->sticky.stats.expired,
                  (unsigned long long)ctx->sticky.stats.evicted,
                  (unsigned long long)ctx->sticky.stats.rejects,
                  (unsigned long long)ctx->sticky.stats.consumed);
    rlb_sb_printf(out, "affinity.entries %lu\naffinity.inserted %llu\naffinity.hits %llu\n"
                  "affinity.misses %llu\naffinity.expired %llu\naffinity.evicted %llu\n",
                  ctx->affinity.count, (unsigned long long)ctx->affinity.stats.inserted,
                  (unsigned long long)ctx->affinity.stats.hits,
                  (unsigned long long)ctx->affinity.stats.orphans,
                  (unsigned long long)ctx->affinity.stats.expired,
                  (unsigned long long)ctx->affinity.stats.evicted);
    redis_text(ctx->rstore, out);
    rlb_sb_printf(out, "master.name %s\nmaster.epoch %llu\nmaster.takes_writes %d\n"
                  "master.seconds_without %.0f\nmaster.promotions %llu\n",
                  ctx->master.server ? ctx->master.server->name : "none",
                  (unsigned long long)ctx->master.epoch, rlb_master_takes_writes(ctx) ? 1 : 0,
                  rlb_master_seconds_without(ctx), (unsigned long long)ctx->master.promotions);
    rlb_sb_printf(out, "spool.records %llu\nspool.bytes %llu\n",
                  ctx->spool ? (unsigned long long)rlb_spool_depth(ctx->spool) : 0ULL,
                  ctx->spool ? (unsigned long long)rlb_spool_bytes(ctx->spool) : 0ULL);
    for (int i = 1; i < RLB_DROP_MAX; i++)
        rlb_sb_printf(out, "drop.%s %llu\n", rlb_drop_name((rlb_drop_t)i),
                      (unsigned long long)g->drops[i]);
    for (unsigned i = 0; i < ctx->clients.n; i++) {
        const struct rlb_client *c = ctx->clients.v[i];
#define T(f, help) rlb_sb_printf(out, "client.%s.%s %llu\n", c->name, #f, (unsigned long long)c->stats.f);
        RLB_CLIENT_COUNTERS(T)
#undef T
    }
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        const struct rlb_server *s = ctx->servers.v[i];
#define T(f, help) rlb_sb_printf(out, "server.%s.%s %llu\n", s->name, #f, (unsigned long long)s->stats.f);
        RLB_SERVER_COUNTERS(T)
#undef T
        rlb_sb_printf(out, "server.%s.outstanding %u\nserver.%s.state %s\nserver.%s.sessions %lu\n",
                      s->name, s->outstanding, s->name, rlb_server_state_name(s), s->name,
                      s->sessions);
    }
    return 0;
}

static void
dump_line(void *arg, const char *line)
{
    rlb_sb_printf(arg, "%s\n", line);
}

static int
cmd_show_config(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json) {
        struct rlb_strbuf text = { 0 };

        rlb_conf_dump(r->ctx->conf, dump_line, &text);
        json_out(out, json_pack("{s:s,s:s}", "file", r->ctx->conf->file, "config",
                                text.p ? text.p : ""));
        rlb_sb_free(&text);
        return 0;
    }
    rlb_sb_printf(out, "# %s (secrets masked)\n", r->ctx->conf->file);
    rlb_conf_dump(r->ctx->conf, dump_line, out);
    return 0;
}

/* drain / maintenance / enable NAME */
static int
set_admin(struct rlb_cmd_req *r, int admin, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_server *s = r->argc == 2 ? rlb_servers_find(&r->ctx->servers, r->argv[1]) : NULL;
    char who[32];

    if (r->argc != 2) {
        rlb_sb_printf(err, "usage: %s NAME", r->argv[0]);
        return -1;
    }
    if (!s) {
        rlb_sb_printf(err, "no server named \"%s\" (see show servers)", r->argv[1]);
        return -1;
    }
    snprintf(who, sizeof(who), "uid %u", (unsigned)r->uid);
    rlb_info("control: %s %s (%s)", r->argv[0], s->name, who);
    rlb_server_set_admin(r->ctx, s, admin, who);
    if (r->json)
        json_out(out, json_pack("{s:s,s:s}", "server", s->name, "state", rlb_server_state_name(s)));
    else
        rlb_sb_printf(out, "%s: %s\n", s->name, rlb_server_state_name(s));
    return 0;
}

static int
cmd_drain(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_DRAINING, out, err);
}

static int
cmd_maintenance(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_MAINTENANCE, out, err);
}

static int
cmd_enable(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_ENABLED, out, err);
}

static int
cmd_promote(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_server *s;
    bool force = r->argc == 3 && strcmp(r->argv[2], "force") == 0;
    char who[32];
    int rc;

    if (r->argc < 2 || r->argc > 3 || (r->argc == 3 && !force)) {
        rlb_sb_printf(err, "usage: promote NAME [force]");
        return -1;
    }
    s = rlb_servers_find(&r->ctx->servers, r->argv[1]);
    if (!s) {
        rlb_sb_printf(err, "no server named \"%s\" (see show servers)", r->argv[1]);
        return -1;
    }
    snprintf(who, sizeof(who), "uid %u", (unsigned)r->uid);
    rlb_info("control: promote %s%s (%s)", s->name, force ? " force" : "", who);
    rc = rlb_master_promote(r->ctx, s, force, who, r->conn, out, err);
    if (rc < 0)
        rlb_warn("control: promote %s refused: %s", s->name, err->p ? err->p : "?");
    return rc;
}

/* The State in hex, at most 64 characters (long ones end with "..."). */
static void
hex_of(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t n = len * 2 <= 64 ? len : 30, i;

    for (i = 0; i < n && 2 * i + 3 <= outlen; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[2 * i] = '\0';
    if (n < len && 2 * i + 4 <= outlen)
        memcpy(out + 2 * i, "...", 4);
}

#define SESSIONS_SHOWN 50

static int
cmd_show_sessions(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_sticky *t = &ctx->sticky;
    double now = ev_now(ctx->loop);
    const struct rlb_sticky_entry *e;
    json_t *per = NULL, *recent = NULL;
    unsigned shown = 0;
    char hex[72];

    (void)err;
    if (r->json) {
        per = json_object();
        recent = json_array();
        for (unsigned i = 0; i < ctx->servers.n; i++)
            json_object_set_new(per, ctx->servers.v[i]->name,
                                json_integer((json_int_t)ctx->servers.v[i]->sessions));
    } else {
        rlb_sb_printf(out, "challenge sessions: %lu (ttl %g s, max %lu); affinity entries: %lu; "
                      "store: %s\n", t->count, t->ttl, t->max, ctx->affinity.count,
                      ctx->rstore ? "memory + Redis" : "memory");
        for (unsigned i = 0; i < ctx->servers.n; i++)
            rlb_sb_printf(out, "  %-12s %lu\n", ctx->servers.v[i]->name,
                          ctx->servers.v[i]->sessions);
        if (t->count)
            rlb_sb_printf(out, "%-66s %-12s %8s %10s\n", "STATE (newest first)", "SERVER", "AGE_S",
                          "EXPIRES_S");
    }
    for (e = t->tail; e && shown < SESSIONS_SHOWN; e = e->prev, shown++) {
        hex_of(e->state, e->len, hex, sizeof(hex));
        if (r->json)
            json_array_append_new(recent, json_pack("{s:s,s:s,s:f,s:f}", "state", hex, "server",
                                                    e->server->name, "idle_seconds", now - e->used,
                                                    "expires_in_seconds", e->used + t->ttl - now));
        else
            rlb_sb_printf(out, "%-66s %-12s %8.1f %10.1f\n", hex, e->server->name, now - e->used,
                          e->used + t->ttl - now);
    }
    if (r->json) {
        json_out(out, json_pack("{s:I,s:f,s:I,s:I,s:o,s:o}", "sessions", (json_int_t)t->count,
                                "ttl", t->ttl, "max", (json_int_t)t->max, "affinity_entries",
                                (json_int_t)ctx->affinity.count, "per_server", per, "recent",
                                recent));
    } else if (t->count > shown) {
        rlb_sb_printf(out, "(%lu older sessions not shown)\n", t->count - shown);
    }
    return 0;
}

static int
cmd_show_spool(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_spool_stats *st;
    const struct rlb_global_stats *g = &ctx->stats;
    double oldest, age;
    const char *doing;

    (void)err;
    if (!ctx->spool) {
        if (r->json)
            json_out(out, json_pack("{s:b,s:I}", "enabled", 0, "acct_no_master",
                                    (json_int_t)g->acct_no_master));
        else
            rlb_sb_printf(out, "no spool (spool.directory is not set): without a master, "
                          "accounting gets no answer (%llu so far)\n",
                          (unsigned long long)g->acct_no_master);
        return 0;
    }
    st = rlb_spool_stats(ctx->spool);
    oldest = rlb_spool_oldest(ctx->spool);
    age = oldest > 0 ? (double)time(NULL) - oldest : 0;
    doing = !rlb_spool_depth(ctx->spool) ? "empty"
            : rlb_master_takes_writes(ctx) ? "replaying to the master"
                                           : "waiting for a master";
    if (r->json) {
        json_out(out, json_pack("{s:b,s:s,s:s,s:I,s:I,s:f,s:f,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
                                "enabled", 1, "directory", rlb_spool_dir(ctx->spool), "status", doing,
                                "records", (json_int_t)rlb_spool_depth(ctx->spool),
                                "bytes", (json_int_t)rlb_spool_bytes(ctx->spool),
                                "max_bytes", ctx->conf->spool.max_bytes, "oldest_seconds", age,
                                "replaying", (int)ctx->spooling.inflight, "counters",
                                "appended", (json_int_t)st->appended,
                                "replayed", (json_int_t)st->replayed,
                                "acked", (json_int_t)st->acked,
                                "full", (json_int_t)st->full,
                                "commits", (json_int_t)st->commits,
                                "errors", (json_int_t)st->errors,
                                "answered", (json_int_t)g->acct_spooled,
                                "not_answered", (json_int_t)g->acct_spool_full));
        return 0;
    }
    rlb_sb_printf(out, "spool %s: %s\n", rlb_spool_dir(ctx->spool), doing);
    rlb_sb_printf(out, "records %llu\nbytes %llu\nmax_bytes %.0f\noldest_seconds %.0f\n"
                  "replaying %u\nappended %llu\nreplayed %llu\nacked %llu\nfull %llu\n"
                  "commits %llu\nerrors %llu\nanswered %llu\nnot_answered %llu\n",
                  (unsigned long long)rlb_spool_depth(ctx->spool),
                  (unsigned long long)rlb_spool_bytes(ctx->spool), ctx->conf->spool.max_bytes, age,
                  ctx->spooling.inflight, (unsigned long long)st->appended,
                  (unsigned long long)st->replayed, (unsigned long long)st->acked,
                  (unsigned long long)st->full, (unsigned long long)st->commits,
                  (unsigned long long)st->errors, (unsigned long long)g->acct_spooled,
                  (unsigned long long)g->acct_spool_full);
    return 0;
}

const struct rlb_cmd rlb_commands[] = {
    { "help", RLB_CMD_READ, "", "list the commands", cmd_help },
    { "show servers", RLB_CMD_READ, "", "the master; servers: role, state, health, outstanding, sessions, replies, latency", cmd_show_servers },
    { "show sessions", RLB_CMD_READ, "", "open challenge sessions: per server, and the newest", cmd_show_sessions },
    { "show spool", RLB_CMD_READ, "", "the accounting spool: records waiting, bytes, replay", cmd_show_spool },
    { "show clients", RLB_CMD_READ, "", "clients: network and counters", cmd_show_clients },
    { "show stats", RLB_CMD_READ, "", "every counter: global, drops by reason, clients, servers", cmd_show_stats },
    { "show config", RLB_CMD_READ, "", "the running configuration, secrets masked", cmd_show_config },
    { "drain", RLB_CMD_ADMIN, "NAME", "no new logins to NAME; answers to its open challenges still go there", cmd_drain },
    { "maintenance", RLB_CMD_ADMIN, "NAME", "nothing to NAME; answers to its open challenges are rejected", cmd_maintenance },
    { "enable", RLB_CMD_ADMIN, "NAME", "NAME takes new logins again", cmd_enable },
    { "promote", RLB_CMD_ADMIN, "NAME [force]", "make NAME the master (writes go there); force: even if down or Redis is unreachable", cmd_promote },
    { NULL, 0, NULL, NULL, NULL },
};

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */

static int
words_of(const char *name)
{
    int n = 1;

    for (; *name; name++)
        n += *name == ' ';
    return n;
}

/* Does argv start with the words of name? */
static bool
matches(const char *name, int argc, char **argv)
{
    int words = words_of(name);
    const char *p = name;

    if (argc < words)
        return false;
    for (int i = 0; i < words; i++) {
        size_t n = strcspn(p, " ");

        if (strlen(argv[i]) != n || strncmp(argv[i], p, n) != 0)
            return false;
        p += n + (p[n] == ' ');
    }
    return true;
}

int
rlb_cmd_run(struct rlb_ctx *ctx, char *line, uid_t uid, int level, uint64_t conn,
            struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    char *argv[16], *save = NULL, *tok;
    int argc = 0;
    struct rlb_cmd_req r = { ctx, 0, argv, false, uid, level, conn };

    for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 16;
         tok = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = tok;
    if (argc > 0 && strcmp(argv[0], "json") == 0) {
        r.json = true;
        r.argv++;
        argc--;
    }
    r.argc = argc;
    if (argc == 0) {
        rlb_sb_printf(err, "empty command; try \"help\"");
        return -1;
    }
    for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
        if (!matches(c->name, r.argc, r.argv))
            continue;
        if (c->level > level) {
            rlb_sb_printf(err, "\"%s\" needs admin rights (root or radlb's user)", c->name);
            return -1;
        }
        if (!c->args[0] && r.argc != words_of(c->name)) {
            rlb_sb_printf(err, "\"%s\" takes no arguments", c->name);
            return -1;
        }
        return c->fn(&r, out, err);
    }
    rlb_sb_printf(err, "unknown command \"%s\"; try \"help\"", r.argv[0]);
    return -1;
}
