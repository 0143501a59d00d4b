/*
 * metrics.c: the one list of exported figures, and its four writers
 * (see metrics.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "master.h"
#include "metrics.h"
#include "procself.h"
#include "rstore.h"
#include "spool.h"

/* ------------------------------------------------------------------ */
/* Values                                                             */

#define CTX_GAUGE(fn, expr)                                                  \
    static double fn(const struct rlb_ctx *ctx, const void *obj)             \
    {                                                                        \
        (void)obj;                                                           \
        return (double)(expr);                                               \
    }

CTX_GAUGE(uptime, ev_now(ctx->loop) - ctx->started)
CTX_GAUGE(start_time, ctx->started)
CTX_GAUGE(send_failed, ctx->outq ? ctx->outq->send_failed : 0)
CTX_GAUGE(in_flight, rlb_timeq_count(&ctx->pending))
CTX_GAUGE(cached_replies, rlb_timeq_count(&ctx->done))
CTX_GAUGE(request_slots, ctx->reqs.total)
CTX_GAUGE(buffer_bytes, ctx->bufs.bytes)


CTX_GAUGE(sticky_sessions, rlb_sticky_count(&ctx->sticky))
#define G(f, help) CTX_GAUGE(sticky_##f, ctx->sticky.stats.f)
RLB_STICKY_COUNTERS(G)
#undef G
CTX_GAUGE(affinity_entries, rlb_sticky_count(&ctx->affinity))
#define G(name, f, help) CTX_GAUGE(affinity_##name, ctx->affinity.stats.f)
RLB_AFFINITY_COUNTERS(G)
#undef G

static int
redis_state(const struct rlb_ctx *ctx, const void *obj)
{
    (void)obj;
    return ctx->rstore ? (int)rlb_rstore_state(ctx->rstore) : RLB_REDIS_OFF;
}

CTX_GAUGE(redis_up, ctx->rstore && rlb_rstore_ready(ctx->rstore))
CTX_GAUGE(redis_outstanding, ctx->rstore ? rlb_rstore_outstanding(ctx->rstore) : 0)
#define G(f, help) CTX_GAUGE(redis_##f, ctx->rstore ? rlb_rstore_stats(ctx->rstore)->f : 0)
RLB_REDIS_COUNTERS(G)
#undef G

static const char *
master_name(const struct rlb_ctx *ctx, const void *obj)
{
    (void)obj;
    return ctx->master.server ? ctx->master.server->name : "none";
}

CTX_GAUGE(master_epoch, ctx->master.epoch)
CTX_GAUGE(master_takes_writes, rlb_master_takes_writes(ctx))
CTX_GAUGE(master_seconds_without, rlb_master_seconds_without(ctx))
CTX_GAUGE(master_lost_at, ctx->master.available ? 0 : ctx->master.down_since)
CTX_GAUGE(master_promotions, ctx->master.promotions)

static double
spool_oldest(const struct rlb_ctx *ctx, const void *obj)
{
    double t = ctx->spool ? rlb_spool_oldest(ctx->spool) : 0;

    (void)obj;
    return t > 0 ? (double)time(NULL) - t : 0;
}

CTX_GAUGE(spool_oldest_at, ctx->spool ? rlb_spool_oldest(ctx->spool) : 0)

CTX_GAUGE(spool_records, ctx->spool ? rlb_spool_depth(ctx->spool) : 0)
CTX_GAUGE(spool_bytes, ctx->spool ? rlb_spool_bytes(ctx->spool) : 0)
#define G(f, help) CTX_GAUGE(spool_##f, ctx->spool ? rlb_spool_stats(ctx->spool)->f : 0)
RLB_SPOOL_COUNTERS(G)
#undef G

#define G(f, help) CTX_GAUGE(conns_##f, ctx->conns.f)
RLB_CONN_COUNTERS(G)
#undef G
CTX_GAUGE(reloads, ctx->reloads)
CTX_GAUGE(reload_failures, ctx->reload_failures)
CTX_GAUGE(conns_open, ctx->front.conns.count)
CTX_GAUGE(conns_handshaking, ctx->front.handshaking)

/* Connections toward servers that are open now. */
static double
links_open(const struct rlb_ctx *ctx, const void *obj)
{
    unsigned n = 0;

    (void)obj;
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        const struct rlb_server *s = ctx->servers.v[i];

        for (int k = 0; k < 2; k++) {
            for (unsigned j = 0; j < s->nsocks[k]; j++)
                n += s->socks[k][j]->link && rlb_stream_is_open(&s->socks[k][j]->link->st);
        }
    }
    return n;
}

#define SERVER_GAUGE(fn, expr)                                               \
    static double fn(const struct rlb_ctx *ctx, const void *obj)             \
    {                                                                        \
        const struct rlb_server *s = obj;                                    \
        (void)ctx;                                                           \
        return (double)(expr);                                               \
    }

SERVER_GAUGE(server_outstanding, s->outstanding)
SERVER_GAUGE(server_sessions, s->sessions)
SERVER_GAUGE(server_up, s->health == RLB_HEALTH_UP)

/* When the server's state last changed (radlb's start if it never did). */
static double
server_state_since(const struct rlb_ctx *ctx, const void *obj)
{
    const struct rlb_server *s = obj;

    return s->since ? s->since : ctx->started;
}

static const char *
build_version(const struct rlb_ctx *ctx, const void *obj)
{
    (void)ctx;
    (void)obj;
    return PACKAGE_VERSION;
}

/* The process (procself.c): -1 where /proc cannot be read. */
#define PROC_GAUGE(fn, call) CTX_GAUGE(fn, ((void)ctx, call))
PROC_GAUGE(proc_cpu, rlb_procself_cpu_seconds())
PROC_GAUGE(proc_resident, rlb_procself_resident_bytes())
PROC_GAUGE(proc_open_fds, rlb_procself_open_fds())
PROC_GAUGE(proc_max_fds, rlb_procself_max_fds())
PROC_GAUGE(proc_start, rlb_procself_start_time())

static int
server_state(const struct rlb_ctx *ctx, const void *obj)
{
    (void)ctx;
    return (int)rlb_server_state(obj);
}

static int
server_role(const struct rlb_ctx *ctx, const void *obj)
{
    (void)ctx;
    return ((const struct rlb_server *)obj)->role == RLB_ROLE_MASTER;
}

/* ------------------------------------------------------------------ */
/* The list                                                           */

#define OFFSET(type, f) offsetof(type, f)
#define COUNTER_AT(scope, prom, text, type, f, help) \
    { prom, text, RLB_MT_COUNTER, scope, 0, help, OFFSET(type, f), NULL, NULL, NULL, NULL, \
      NULL, 0 }
#define COMPUTED(mtype, scope, frac, prom, text, fn, help) \
    { prom, text, mtype, scope, frac, help, 0, fn, NULL, NULL, NULL, NULL, 0 }
#define STATE(scope, prom, text, label, choices, fn, help) \
    { prom, text, RLB_MT_STATE, scope, 0, help, 0, NULL, label, choices, fn, NULL, 0 }
#define INFO(scope, prom, text, label, fn, help) \
    { prom, text, RLB_MT_INFO, scope, 0, help, 0, NULL, label, NULL, NULL, fn, 0 }
/* A process figure, under the Prometheus client libraries' own name. */
#define PROCESS(mtype, prom, text, fn, help) \
    { prom, text, mtype, RLB_MS_GLOBAL, 1, help, 0, fn, NULL, NULL, NULL, NULL, 1 }

#define GLOBAL_C(name, help) \
    COUNTER_AT(RLB_MS_GLOBAL, #name "_total", #name, struct rlb_global_stats, name, help),
#define CLIENT_C(name, help) \
    COUNTER_AT(RLB_MS_CLIENT, "client_" #name "_total", #name, struct rlb_client_stats, name, help),
#define SERVER_C(name, help) \
    COUNTER_AT(RLB_MS_SERVER, "server_" #name "_total", #name, struct rlb_server_stats, name, help),

#define CONN_C(name, help) \
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "connections_" #name "_total", \
             "connections." #name, conns_##name, help),

const struct rlb_metric rlb_metrics[] = {
    INFO(RLB_MS_GLOBAL, "build_info", "version", "version", build_version,
         "the version of radlb that runs (a constant 1)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "uptime_seconds", "uptime_seconds", uptime,
             "seconds since radlb started"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "start_time_seconds", "start_time_seconds",
             start_time, "when radlb started (its event loop), in seconds since the Unix epoch"),
    PROCESS(RLB_MT_COUNTER, "process_cpu_seconds_total", "process.cpu_seconds", proc_cpu,
            "user and system CPU time the process has used, in seconds"),
    PROCESS(RLB_MT_GAUGE, "process_resident_memory_bytes", "process.resident_memory_bytes",
            proc_resident, "resident memory of the process, in octets"),
    PROCESS(RLB_MT_GAUGE, "process_open_fds", "process.open_fds", proc_open_fds,
            "file descriptors the process has open"),
    PROCESS(RLB_MT_GAUGE, "process_max_fds", "process.max_fds", proc_max_fds,
            "the most file descriptors the process may open (RLIMIT_NOFILE)"),
    PROCESS(RLB_MT_GAUGE, "process_start_time_seconds", "process.start_time_seconds",
            proc_start, "when the process started, in seconds since the Unix epoch"),
    RLB_GLOBAL_COUNTERS(GLOBAL_C)
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "send_failed_total", "send_failed", send_failed,
             "datagrams the kernel refused to send (full socket buffer, unreachable port)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "requests_in_flight", "in_flight", in_flight,
             "requests forwarded and waiting for a server (or for the client's retransmission)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "cached_replies", "cached_replies", cached_replies,
             "replies kept for retransmissions (proxy.dedup_window)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "request_slots", "request_slots", request_slots,
             "request slots allocated (reused, never freed)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "buffer_bytes", "buffer_bytes", buffer_bytes,
             "octets of packet buffers in use (cached replies, sessions, held packets)"),

    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "sticky_sessions", "sticky.sessions", sticky_sessions,
             "open challenge sessions (State -> server)"),
#define ROW(f, help) COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "sticky_" #f "_total", \
                              "sticky." #f, sticky_##f, help),
    RLB_STICKY_COUNTERS(ROW)
#undef ROW
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "affinity_entries", "affinity.entries",
             affinity_entries, "affinity records (key -> server) for answers without State"),
#define ROW(name, f, help) COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "affinity_" #name "_total", \
                                    "affinity." #name, affinity_##name, help),
    RLB_AFFINITY_COUNTERS(ROW)
#undef ROW

    STATE(RLB_MS_GLOBAL, "redis_state", "redis.state", "state", rlb_redis_state_names, redis_state,
          "the Redis link: off (not used), down, connecting or ready"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "redis_up", "redis.up", redis_up,
             "1 when Redis is connected and usable"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "redis_outstanding", "redis.outstanding",
             redis_outstanding, "Redis commands waiting for an answer"),
#define ROW(f, help) COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "redis_" #f "_total", \
                              "redis." #f, redis_##f, help),
    RLB_REDIS_COUNTERS(ROW)
#undef ROW

    INFO(RLB_MS_GLOBAL, "master_info", "master.name", "server", master_name,
         "the master (the server with the writable MFA database)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "master_epoch", "master.epoch", master_epoch,
             "epoch of the last promotion (0 before any)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "master_takes_writes", "master.takes_writes",
             master_takes_writes, "1 while the master is up and not in maintenance"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "seconds_without_master", "master.seconds_without",
             master_seconds_without,
             "seconds since writes last had a master (0 while they have one)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "master_lost_timestamp_seconds",
             "master.lost_timestamp_seconds", master_lost_at,
             "when writes lost their master, in seconds since the Unix epoch (0 while they "
             "have one)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "promotions_total", "master.promotions",
             master_promotions, "promotions made here or followed from Redis"),

    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "spool_records", "spool.records", spool_records,
             "accounting records waiting in the spool"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "spool_bytes", "spool.bytes", spool_bytes,
             "octets of the spool's files"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "spool_oldest_seconds", "spool.oldest_seconds",
             spool_oldest, "how long the oldest spooled record has waited"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 1, "spool_oldest_timestamp_seconds",
             "spool.oldest_timestamp_seconds", spool_oldest_at,
             "when the oldest spooled record was received, in seconds since the Unix epoch "
             "(0 when the spool is empty)"),
#define ROW(f, help) COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "spool_" #f "_total", \
                              "spool." #f, spool_##f, help),
    RLB_SPOOL_COUNTERS(ROW)
#undef ROW

    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "reloads_total", "reloads", reloads,
             "configuration reloads applied (SIGHUP, radlbctl reload)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "reload_failures_total", "reload_failures",
             reload_failures, "reloads refused (bad file, a key that needs a restart): "
             "the running configuration was kept"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "connections_open", "connections.open", conns_open,
             "TCP/TLS connections from clients open now"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "connections_handshaking", "connections.handshaking",
             conns_handshaking, "of which still in their TLS handshake"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "backend_connections_open", "connections.backend_open",
             links_open, "TCP/TLS connections toward servers open now (probes apart)"),
    RLB_CONN_COUNTERS(CONN_C)

    { "drops_total", "drop", RLB_MT_COUNTER, RLB_MS_DROP, 0,
      "datagrams dropped, by reason (see radlb(8), Drop reasons)",
      0, NULL, NULL, NULL, NULL, NULL, 0 },

    RLB_CLIENT_COUNTERS(CLIENT_C)

    RLB_SERVER_COUNTERS(SERVER_C)
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 0, "server_outstanding", "outstanding",
             server_outstanding, "requests in flight to the server now"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 0, "server_sessions", "sessions", server_sessions,
             "open challenge sessions the server issued"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 0, "server_up", "up", server_up,
             "1 when the server is healthy (probes answered, port open)"),
    STATE(RLB_MS_SERVER, "server_state", "state", "state", rlb_server_state_names, server_state,
          "what the server takes: up, down, draining or maintenance"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 1, "server_state_since_timestamp_seconds",
             "state_since_timestamp_seconds", server_state_since,
             "when the server's state last changed (or radlb started), in seconds since the "
             "Unix epoch"),
    STATE(RLB_MS_SERVER, "server_role", "role", "role", rlb_role_names, server_role,
          "master (the writable MFA database) or subordinate"),
    { "server_response_seconds", "latency", RLB_MT_HISTOGRAM, RLB_MS_SERVER, 1,
      "time from forwarding a request to the server's reply", 0, NULL, NULL, NULL, NULL, NULL,
      0 },
};

const unsigned rlb_nmetrics = sizeof(rlb_metrics) / sizeof(rlb_metrics[0]);

const char *
rlb_metric_prefix(const struct rlb_metric *m)
{
    return m->bare ? "" : "radlb_";
}

/* ------------------------------------------------------------------ */
/* Reading a value                                                    */

static const void *
stats_of(const struct rlb_ctx *ctx, int scope, const void *obj)
{
    switch (scope) {
    case RLB_MS_CLIENT:
        return &((const struct rlb_client *)obj)->stats;
    case RLB_MS_SERVER:
        return &((const struct rlb_server *)obj)->stats;
    default:
        return &ctx->stats;
    }
}

static double
value_of(const struct rlb_ctx *ctx, const struct rlb_metric *m, const void *obj)
{
    if (m->get)
        return m->get(ctx, obj);
    return (double)*(const uint64_t *)((const char *)stats_of(ctx, m->scope, obj) + m->off);
}

static const char *
scope_label(int scope)
{
    return scope == RLB_MS_CLIENT ? "client" : scope == RLB_MS_SERVER ? "server" : "reason";
}

/* ------------------------------------------------------------------ */
/* Prometheus                                                         */

static const char *const type_names[] = { "counter", "gauge", "gauge", "gauge", "histogram" };

/* A label value: backslash, double quote and newline escaped. */
static void
label_value(struct rlb_strbuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            rlb_sb_printf(out, "\\%c", *v);
        else if (*v == '\n')
            rlb_sb_printf(out, "\\n");
        else
            rlb_sb_append(out, v, 1);
    }
}

/* name{scope="obj"[,label="v"]} */
static void
sample_head(struct rlb_strbuf *out, const struct rlb_metric *m, const char *suffix,
            const char *slabel, const char *sval, const char *label, const char *val)
{
    rlb_sb_printf(out, "%s%s%s", rlb_metric_prefix(m), m->prom, suffix);
    if (!sval && !label)
        return;
    rlb_sb_printf(out, "{");
    if (sval) {
        rlb_sb_printf(out, "%s=\"", slabel);
        label_value(out, sval);
        rlb_sb_printf(out, "\"%s", label ? "," : "");
    }
    if (label) {
        rlb_sb_printf(out, "%s=\"", label);
        label_value(out, val);
        rlb_sb_printf(out, "\"");
    }
    rlb_sb_printf(out, "}");
}

/* A sample's value: whole numbers as such, others in the fewest digits that
 * read back the same double (15 do for most; a timestamp with a fraction
 * keeps its sub-second part). */
static void
number(struct rlb_strbuf *out, double v)
{
    char b[40];

    if (v == floor(v) && fabs(v) < 1e15) {
        rlb_sb_printf(out, " %.0f\n", v);
        return;
    }
    snprintf(b, sizeof(b), "%.15g", v);
    if (strtod(b, NULL) != v)
        snprintf(b, sizeof(b), "%.17g", v);
    rlb_sb_printf(out, " %s\n", b);
}

static void
prom_histogram(struct rlb_strbuf *out, const struct rlb_metric *m, const struct rlb_server *s)
{
    const struct rlb_latency *l = &s->latency;
    uint64_t cum = 0;
    char le[32];

    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS; i++) {
        cum += l->buckets[i];
        if (i < RLB_LATENCY_BUCKETS - 1)
            snprintf(le, sizeof(le), "%g", rlb_latency_bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        sample_head(out, m, "_bucket", "server", s->name, "le", le);
        number(out, (double)cum);
    }
    sample_head(out, m, "_sum", "server", s->name, NULL, NULL);
    number(out, l->sum);
    sample_head(out, m, "_count", "server", s->name, NULL, NULL);
    number(out, (double)l->count);
}

/* One object's samples of metric m (obj: NULL, a client or a server). */
static void
prom_samples(const struct rlb_ctx *ctx, struct rlb_strbuf *out, const struct rlb_metric *m,
             const void *obj, const char *objname)
{
    const char *slabel = scope_label(m->scope);

    switch (m->type) {
    case RLB_MT_STATE: {
        int cur = m->choice(ctx, obj);

        for (int i = 0; m->choices[i]; i++) {
            sample_head(out, m, "", slabel, objname, m->label, m->choices[i]);
            number(out, i == cur);
        }
        break;
    }
    case RLB_MT_INFO:
        sample_head(out, m, "", slabel, objname, m->label, m->info(ctx, obj));
        number(out, 1);
        break;
    case RLB_MT_HISTOGRAM:
        prom_histogram(out, m, obj);
        break;
    default:
        sample_head(out, m, "", slabel, objname, NULL, NULL);
        number(out, value_of(ctx, m, obj));
        break;
    }
}

void
rlb_metrics_prometheus(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        const char *pre = rlb_metric_prefix(m);

        rlb_sb_printf(out, "# HELP %s%s %s\n# TYPE %s%s %s\n", pre, m->prom, m->help, pre,
                      m->prom, type_names[m->type]);
        switch (m->scope) {
        case RLB_MS_GLOBAL:
            prom_samples(ctx, out, m, NULL, NULL);
            break;
        case RLB_MS_CLIENT:
            for (unsigned i = 0; i < ctx->clients.n; i++)
                prom_samples(ctx, out, m, ctx->clients.v[i], ctx->clients.v[i]->name);
            break;
        case RLB_MS_SERVER:
            for (unsigned i = 0; i < ctx->servers.n; i++)
                prom_samples(ctx, out, m, ctx->servers.v[i], ctx->servers.v[i]->name);
            break;
        case RLB_MS_DROP:
            for (int i = 1; i < RLB_DROP_MAX; i++) {
                sample_head(out, m, "", "reason", rlb_drop_name((rlb_drop_t)i), NULL, NULL);
                number(out, (double)ctx->stats.drops[i]);
            }
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* radlbctl show stats                                                */

static void
text_line(const struct rlb_ctx *ctx, struct rlb_strbuf *out, const struct rlb_metric *m,
          const char *prefix, const void *obj)
{
    switch (m->type) {
    case RLB_MT_STATE:
        rlb_sb_printf(out, "%s%s %s\n", prefix, m->text, m->choices[m->choice(ctx, obj)]);
        break;
    case RLB_MT_INFO:
        rlb_sb_printf(out, "%s%s %s\n", prefix, m->text, m->info(ctx, obj));
        break;
    case RLB_MT_HISTOGRAM:
        break;                     /* in the JSON and on /metrics */
    default:
        rlb_sb_printf(out, "%s%s %.0f\n", prefix, m->text, value_of(ctx, m, obj));
        break;
    }
}

void
rlb_metrics_text(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    char prefix[96];

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];

        if (m->scope == RLB_MS_GLOBAL) {
            text_line(ctx, out, m, "", NULL);
        } else if (m->scope == RLB_MS_DROP) {
            for (int i = 1; i < RLB_DROP_MAX; i++)
                rlb_sb_printf(out, "%s.%s %llu\n", m->text, rlb_drop_name((rlb_drop_t)i),
                              (unsigned long long)ctx->stats.drops[i]);
        }
    }
    for (unsigned i = 0; i < ctx->clients.n; i++) {
        snprintf(prefix, sizeof(prefix), "client.%s.", ctx->clients.v[i]->name);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_CLIENT)
                text_line(ctx, out, &rlb_metrics[k], prefix, ctx->clients.v[i]);
        }
    }
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        snprintf(prefix, sizeof(prefix), "server.%s.", ctx->servers.v[i]->name);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_SERVER)
                text_line(ctx, out, &rlb_metrics[k], prefix, ctx->servers.v[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

static json_t *
json_value(const struct rlb_ctx *ctx, const struct rlb_metric *m, const void *obj)
{
    double v;

    switch (m->type) {
    case RLB_MT_STATE:
        return json_string(m->choices[m->choice(ctx, obj)]);
    case RLB_MT_INFO:
        return json_string(m->info(ctx, obj));
    case RLB_MT_HISTOGRAM:
        return NULL;               /* the server table has the latency */
    default:
        v = value_of(ctx, m, obj);
        return m->fraction ? json_real(v) : json_integer((json_int_t)v);
    }
}

json_t *
rlb_metrics_json_global(const struct rlb_ctx *ctx)
{
    json_t *o = json_object();
    char key[96];

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];

        if (m->scope == RLB_MS_GLOBAL) {
            json_object_set_new(o, m->text, json_value(ctx, m, NULL));
        } else if (m->scope == RLB_MS_DROP) {
            for (int i = 1; i < RLB_DROP_MAX; i++) {
                snprintf(key, sizeof(key), "%s.%s", m->text, rlb_drop_name((rlb_drop_t)i));
                json_object_set_new(o, key, json_integer((json_int_t)ctx->stats.drops[i]));
            }
        }
    }
    return o;
}

json_t *
rlb_metrics_json_of(const struct rlb_ctx *ctx, int scope, const void *obj)
{
    json_t *o = json_object();

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        json_t *v;

        if (m->scope != scope || !(v = json_value(ctx, m, obj)))
            continue;
        json_object_set_new(o, m->text, v);
    }
    return o;
}

/* ------------------------------------------------------------------ */
/* doc/metrics.md                                                     */

void
rlb_metrics_doc(struct rlb_strbuf *out)
{
    static const char *const text_prefix[] = { "", "client.NAME.", "server.NAME.", "" };

    rlb_sb_printf(out,
        "# radlb metrics\n\n"
        "Every figure radlb exports, from the one list in `src/ops/metrics.c`; this file is\n"
        "the output of `radlb -M > doc/metrics.md` (t-stats.sh checks that it is up to date).\n\n"
        "The same figures appear in three places:\n\n"
        "- `GET /metrics` on the stats port: the Prometheus text format, every name\n"
        "  prefixed with `radlb_` but the `process_` figures, which keep the names of the\n"
        "  Prometheus client libraries; clients and servers are labels (`client`, `server`),\n"
        "  drops carry a `reason`, states one sample per possible value (1 for the\n"
        "  current one, 0 for the others), the master an `_info` sample with its name.\n"
        "- `GET /stats.json` and `radlbctl --json show stats`: the global figures under\n"
        "  `metrics` (by their show-stats name), each client's under `clients.NAME`,\n"
        "  each server's under `servers[].counters`, with the server table, the master,\n"
        "  the spool and Redis.\n"
        "- `radlbctl show stats`: one `name value` line each, in this order.\n\n"
        "Counters count since radlb started; gauges are values now.\n\n"
        "| Prometheus | type | labels | show stats | meaning |\n"
        "|---|---|---|---|---|\n");
    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        char labels[64] = "";

        if (m->scope != RLB_MS_GLOBAL)
            snprintf(labels, sizeof(labels), "%s", scope_label(m->scope));
        if (m->label)
            snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), "%s%s",
                     labels[0] ? ", " : "", m->label);
        if (m->type == RLB_MT_HISTOGRAM)
            snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), ", le");
        rlb_sb_printf(out, "| `%s%s` | %s | %s | ", rlb_metric_prefix(m), m->prom,
                      m->type == RLB_MT_STATE ? "state (gauge)" :
                      m->type == RLB_MT_INFO ? "info (gauge)" : type_names[m->type],
                      labels[0] ? labels : "");
        if (m->type == RLB_MT_HISTOGRAM)
            rlb_sb_printf(out, "(JSON: `servers[].latency`) | ");
        else if (m->scope == RLB_MS_DROP)
            rlb_sb_printf(out, "`%s.REASON` | ", m->text);
        else
            rlb_sb_printf(out, "`%s%s` | ", text_prefix[m->scope], m->text);
        rlb_sb_printf(out, "%s", m->help);
        if (m->type == RLB_MT_STATE) {
            rlb_sb_printf(out, " (");
            for (int i = 0; m->choices[i]; i++)
                rlb_sb_printf(out, "%s`%s`", i ? ", " : "", m->choices[i]);
            rlb_sb_printf(out, ")");
        }
        rlb_sb_printf(out, " |\n");
    }
    rlb_sb_printf(out, "\nDrop reasons (`reason` label, `drop.REASON`):\n\n"
                  "| reason | meaning |\n|---|---|\n");
    for (int i = 1; i < RLB_DROP_MAX; i++)
        rlb_sb_printf(out, "| `%s` | %s |\n", rlb_drop_name((rlb_drop_t)i),
                      rlb_drop_help((rlb_drop_t)i));
    rlb_sb_printf(out, "\nResponse-time buckets (`le`, seconds):");
    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS - 1; i++)
        rlb_sb_printf(out, " %g", rlb_latency_bounds[i]);
    rlb_sb_printf(out, " and +Inf.\n");
}
