/*
 * report.c: JSON documents about the running radlb (see report.h).
 */
#include "config.h"

#include <time.h>

#include "ctx.h"
#include "master.h"
#include "metrics.h"
#include "mfaprobe.h"
#include "report.h"
#include "rstore.h"
#include "spool.h"

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

static json_t *
mfa_json(const struct rlb_server *s, struct ev_loop *loop)
{
    const struct rlb_mfaprobe *m = s->mfa;

    if (!m)
        return json_pack("{s:s}", "last", "off (no mfa_probe.user)");
    return json_pack("{s:s,s:s,s:b,s:f,s:I,s:I,s:f}", "result",
                     m->result == RLB_MFA_OK ? "ok" : m->result == RLB_MFA_FAILED ? "failed"
                                                                               : "unknown",
                     "last", m->last, "mfa_path_failing", rlb_mfaprobe_failing(s),
                     "seconds", m->seconds, "runs", (json_int_t)m->runs,
                     "failures", (json_int_t)m->failures,
                     "last_seconds_ago", m->last_at ? ev_now(loop) - m->last_at : -1.0);
}

json_t *
rlb_report_server(const struct rlb_ctx *ctx, const struct rlb_server *s)
{
    char host[RLB_ADDRSTRLEN];
    json_t *o = json_object();

    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "pool", json_string(s->pool_name));
    json_object_set_new(o, "role", json_string(rlb_role_name(s->role)));
    json_object_set_new(o, "state", json_string(rlb_server_state_name(s)));
    json_object_set_new(o, "state_reason", json_string(rlb_server_state_reason(s)));
    json_object_set_new(o, "state_since_seconds",
                        json_real(s->since ? ev_now(ctx->loop) - s->since
                                           : ev_now(ctx->loop) - ctx->started));
    json_object_set_new(o, "address",
                        json_string(rlb_sockaddr_host(&s->addr[0], host, sizeof(host))));
    json_object_set_new(o, "auth_port", json_integer(rlb_sockaddr_port(&s->addr[RLB_KIND_AUTH])));
    json_object_set_new(o, "acct_port", json_integer(rlb_sockaddr_port(&s->addr[RLB_KIND_ACCT])));
    json_object_set_new(o, "proto", json_string(s->proto == RLB_PROTO_TLS ? "tls" :
                                                 s->proto == RLB_PROTO_TCP ? "tcp" : "udp"));
    json_object_set_new(o, "weight", json_integer(s->weight));
    json_object_set_new(o, "outstanding", json_integer(s->outstanding));
    json_object_set_new(o, "sessions", json_integer((json_int_t)s->sessions));
    json_object_set_new(o, "health", health_json(s, ctx->loop));
    json_object_set_new(o, "mfa_probe", mfa_json(s, ctx->loop));
    json_object_set_new(o, "sockets", json_integer(s->nsocks[0] + s->nsocks[1]));
    json_object_set_new(o, "require_message_authenticator", json_boolean(s->require_ma));
    json_object_set_new(o, "counters", rlb_metrics_json_of(ctx, RLB_MS_SERVER, s));
    json_object_set_new(o, "latency", latency_json(&s->latency));
    return o;
}

json_t *
rlb_report_servers(const struct rlb_ctx *ctx)
{
    json_t *a = json_array();

    for (unsigned i = 0; i < ctx->servers.n; i++)
        json_array_append_new(a, rlb_report_server(ctx, ctx->servers.v[i]));
    return a;
}

json_t *
rlb_report_master_of(const struct rlb_ctx *ctx, const struct rlb_pool *p)
{
    const struct rlb_master *m = &p->master;

    (void)ctx;
    return json_pack("{s:s,s:s?,s:I,s:b,s:f,s:I}", "pool", p->name,
                     "name", m->server ? m->server->name : NULL,
                     "epoch", (json_int_t)m->epoch, "takes_writes", rlb_master_takes_writes(p),
                     "seconds_without_master", rlb_master_seconds_without(p),
                     "promotions", (json_int_t)m->promotions);
}

json_t *
rlb_report_master(const struct rlb_ctx *ctx)
{
    if (!ctx->npools)
        return json_null();
    return rlb_report_master_of(ctx, ctx->pools[0]);
}

const char *
rlb_report_spool_status(const struct rlb_pool *p)
{
    if (!p->spool || !rlb_spool_depth(p->spool))
        return "empty";
    return rlb_master_takes_writes(p) ? "replaying to the master" : "waiting for a master";
}

json_t *
rlb_report_spool_of(const struct rlb_ctx *ctx, const struct rlb_pool *p)
{
    const struct rlb_global_stats *g = &ctx->stats;
    const struct rlb_spool_stats *st;
    double oldest;

    if (!p->spool)
        return json_pack("{s:s,s:b,s:I}", "pool", p->name, "enabled", 0, "acct_no_master",
                         (json_int_t)g->acct_no_master);
    st = rlb_spool_stats(p->spool);
    oldest = rlb_spool_oldest(p->spool);
    return json_pack("{s:s,s:b,s:s,s:s,s:I,s:I,s:f,s:f,s:i,"
                     "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
                     "pool", p->name, "enabled", 1, "directory", rlb_spool_dir(p->spool),
                     "status", rlb_report_spool_status(p),
                     "records", (json_int_t)rlb_spool_depth(p->spool),
                     "bytes", (json_int_t)rlb_spool_bytes(p->spool),
                     "max_bytes", ctx->conf->spool.max_bytes,
                     "oldest_seconds", oldest > 0 ? (double)time(NULL) - oldest : 0.0,
                     "replaying", (int)p->spooling.inflight, "counters",
                     "appended", (json_int_t)st->appended, "replayed", (json_int_t)st->replayed,
                     "acked", (json_int_t)st->acked, "full", (json_int_t)st->full,
                     "commits", (json_int_t)st->commits, "errors", (json_int_t)st->errors,
                     "answered", (json_int_t)g->acct_spooled,
                     "not_answered", (json_int_t)g->acct_spool_full);
}

json_t *
rlb_report_spool(const struct rlb_ctx *ctx)
{
    if (!ctx->npools)
        return json_null();
    return rlb_report_spool_of(ctx, ctx->pools[0]);
}

json_t *
rlb_report_pools(const struct rlb_ctx *ctx)
{
    json_t *a = json_array();

    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_pool *p = ctx->pools[i];
        json_t *servers = json_array();

        for (unsigned j = 0; j < p->n; j++)
            json_array_append_new(servers, json_string(p->v[j]->name));
        json_array_append_new(a, json_pack("{s:s,s:b,s:s,s:o,s:o,s:o,s:o}", "name", p->name,
                                           "default", p->is_default,
                                           "balance", rlb_balance_name(p->balancer.algo),
                                           "servers", servers,
                                           "master", rlb_report_master_of(ctx, p),
                                           "spool", rlb_report_spool_of(ctx, p),
                                           "counters",
                                           rlb_metrics_json_of(ctx, RLB_MS_POOL, p)));
    }
    return a;
}

json_t *
rlb_report_redis(const struct rlb_ctx *ctx)
{
    const struct rlb_rstore *rs = ctx->rstore;

    if (!rs)
        return json_null();
    return json_pack("{s:s,s:b,s:s,s:s,s:i}", "state",
                     rlb_redis_state_names[rlb_rstore_state(rs)], "up",
                     rlb_rstore_ready(rs), "address", rlb_rstore_where(rs), "last_error",
                     rlb_rstore_last_error(rs), "outstanding", (int)rlb_rstore_outstanding(rs));
}

json_t *
rlb_report_stats(const struct rlb_ctx *ctx)
{
    json_t *o = json_object(), *clients = json_object();

    for (unsigned i = 0; i < ctx->clients.n; i++)
        json_object_set_new(clients, ctx->clients.v[i]->name,
                            rlb_metrics_json_of(ctx, RLB_MS_CLIENT, ctx->clients.v[i]));
    json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
    json_object_set_new(o, "uptime_seconds", json_real(ev_now(ctx->loop) - ctx->started));
    json_object_set_new(o, "metrics", rlb_metrics_json_global(ctx));
    json_object_set_new(o, "clients", clients);
    json_object_set_new(o, "master", rlb_report_master(ctx));
    json_object_set_new(o, "spool", rlb_report_spool(ctx));
    json_object_set_new(o, "redis", rlb_report_redis(ctx));
    json_object_set_new(o, "servers", rlb_report_servers(ctx));
    json_object_set_new(o, "pools", rlb_report_pools(ctx));
    return o;
}
