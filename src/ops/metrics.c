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
#include "mfaprobe.h"
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

/* The global master and spool figures cover every pool: the first pool's
 * master names the master; writes have a master when every pool's takes
 * them; the spool figures add up the pools' spools. */
static const char *
master_name(const struct rlb_ctx *ctx, const void *obj)
{
    (void)obj;
    return ctx->npools && ctx->pools[0]->master.server ? ctx->pools[0]->master.server->name
                                                       : "none";
}

static double
all_masters(const struct rlb_ctx *ctx, int what)
{
    double v = what == 1 ? 1 : 0;

    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_pool *p = ctx->pools[i];

        switch (what) {
        case 0: v += p->master.promotions; break;
        case 1: v = v && rlb_master_takes_writes(p); break;
        case 2: v = fmax(v, rlb_master_seconds_without(p)); break;
        default:
            if (!p->master.available && (v == 0 || p->master.down_since < v))
                v = p->master.down_since;
            break;
        }
    }
    return v;
}

CTX_GAUGE(master_epoch, ctx->npools ? ctx->pools[0]->master.epoch : 0)
CTX_GAUGE(master_takes_writes, all_masters(ctx, 1))
CTX_GAUGE(master_seconds_without, all_masters(ctx, 2))
CTX_GAUGE(master_lost_at, all_masters(ctx, 3))
CTX_GAUGE(master_promotions, all_masters(ctx, 0))

/* A sum over the pools' spools: what 0 records, 1 octets, or a counter
 * of the spool's stats at offset off. */
static double
spool_sum(const struct rlb_ctx *ctx, int what, size_t off)
{
    double sum = 0;

    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_spool *sp = ctx->pools[i]->spool;

        if (!sp)
            continue;
        if (what == 0)
            sum += (double)rlb_spool_depth(sp);
        else if (what == 1)
            sum += (double)rlb_spool_bytes(sp);
        else
            sum += (double)*(const uint64_t *)((const char *)rlb_spool_stats(sp) + off);
    }
    return sum;
}

static double
oldest_record(const struct rlb_ctx *ctx)
{
    double t = 0;

    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_spool *sp = ctx->pools[i]->spool;
        double o = sp ? rlb_spool_oldest(sp) : 0;

        if (o > 0 && (t == 0 || o < t))
            t = o;
    }
    return t;
}

static double
spool_oldest(const struct rlb_ctx *ctx, const void *obj)
{
    double t = oldest_record(ctx);

    (void)obj;
    return t > 0 ? (double)time(NULL) - t : 0;
}

CTX_GAUGE(spool_oldest_at, oldest_record(ctx))

CTX_GAUGE(spool_records, spool_sum(ctx, 0, 0))
CTX_GAUGE(spool_bytes, spool_sum(ctx, 1, 0))
#define G(f, help) CTX_GAUGE(spool_##f, spool_sum(ctx, 2, offsetof(struct rlb_spool_stats, f)))
RLB_SPOOL_COUNTERS(G)
#undef G

/* Pools: obj is a struct rlb_pool. */
#define POOL_GAUGE(fn, expr)                                                 \
    static double fn(const struct rlb_ctx *ctx, const void *obj)             \
    {                                                                        \
        const struct rlb_pool *p = obj;                                      \
        (void)ctx;                                                           \
        return (double)(expr);                                               \
    }

static unsigned
servers_up(const struct rlb_pool *p)
{
    unsigned n = 0;

    for (unsigned i = 0; i < p->n; i++)
        n += rlb_server_takes_new(p->v[i]);
    return n;
}

POOL_GAUGE(pool_servers, p->n)
POOL_GAUGE(pool_servers_up, servers_up(p))
POOL_GAUGE(pool_master_epoch, p->master.epoch)
POOL_GAUGE(pool_takes_writes, rlb_master_takes_writes(p))
POOL_GAUGE(pool_seconds_without, rlb_master_seconds_without(p))
POOL_GAUGE(pool_spool_records, p->spool ? rlb_spool_depth(p->spool) : 0)

static const char *
pool_master_name(const struct rlb_ctx *ctx, const void *obj)
{
    const struct rlb_pool *p = obj;

    (void)ctx;
    return p->master.server ? p->master.server->name : "none";
}

/* Routing rules: obj is a struct rlb_route. */
static double
rule_matched(const struct rlb_ctx *ctx, const void *obj)
{
    (void)ctx;
    return (double)((const struct rlb_route *)obj)->matched;
}

static double
rule_migrated(const struct rlb_ctx *ctx, const void *obj)
{
    (void)ctx;
    return (double)((const struct rlb_route *)obj)->migrated;
}

static double
rule_share(const struct rlb_ctx *ctx, const void *obj)
{
    const struct rlb_route *r = obj;

    (void)ctx;
    return r->to_pool >= 0 ? r->share / 100.0 : 0;
}

CTX_GAUGE(limits_blocked_user, ctx->limits.stats.blocked[RLB_LIMIT_USER])
CTX_GAUGE(limits_blocked_station, ctx->limits.stats.blocked[RLB_LIMIT_STATION])
CTX_GAUGE(limits_blocked_client, ctx->limits.stats.blocked[RLB_LIMIT_CLIENT])
CTX_GAUGE(limits_prompts, ctx->limits.stats.prompts)
CTX_GAUGE(limits_allowed, ctx->limits.stats.allowed)
CTX_GAUGE(limits_released, ctx->limits.stats.released)
CTX_GAUGE(limits_keys, ctx->limits.order.count)
CTX_GAUGE(limits_evicted, ctx->limits.stats.evicted)
CTX_GAUGE(unroutable_auth, ctx->unroutable[0])
CTX_GAUGE(unroutable_acct, ctx->unroutable[1])

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
SERVER_GAUGE(mfa_probe_ok, s->mfa ? s->mfa->result : RLB_MFA_UNKNOWN)
SERVER_GAUGE(mfa_probe_seconds, s->mfa ? s->mfa->seconds : 0)
SERVER_GAUGE(mfa_probe_runs, s->mfa ? s->mfa->runs : 0)
SERVER_GAUGE(mfa_probe_failures, s->mfa ? s->mfa->failures : 0)
SERVER_GAUGE(mfa_path_failing, rlb_mfaprobe_failing(s))

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
         "the master (the server with the writable MFA database; with pools, the first "
         "pool's: see pool_master_info)"),
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
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 0, "server_mfa_probe_ok", "mfa_probe_ok", mfa_probe_ok,
             "the last synthetic MFA login through the server (mfa_probe): 1 passed, 0 failed, "
             "-1 none yet or the probe is off"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 1, "server_mfa_probe_seconds", "mfa_probe_seconds",
             mfa_probe_seconds, "how long the last synthetic MFA login took (both legs)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_SERVER, 0, "server_mfa_probe_runs_total", "mfa_probe_runs",
             mfa_probe_runs, "synthetic MFA logins finished through the server"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_SERVER, 0, "server_mfa_probe_failures_total",
             "mfa_probe_failures", mfa_probe_failures, "of which failed"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_SERVER, 0, "server_mfa_path_failing", "mfa_path_failing",
             mfa_path_failing, "1 when the server is up by its health probes but its last "
             "synthetic MFA login failed (it stays in rotation)"),
    STATE(RLB_MS_SERVER, "server_role", "role", "role", rlb_role_names, server_role,
          "master (the writable MFA database) or subordinate"),
    { "server_response_seconds", "latency", RLB_MT_HISTOGRAM, RLB_MS_SERVER, 1,
      "time from forwarding a request to the server's reply", 0, NULL, NULL, NULL, NULL, NULL,
      0 },

    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "unroutable_auth_total", "unroutable.auth",
             unroutable_auth, "Access-Requests no routing rule matches (rejected at once)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "unroutable_acct_total", "unroutable.acct",
             unroutable_acct, "Accounting-Requests no routing rule matches (not answered)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_blocked_user_total",
             "limits.blocked_user", limits_blocked_user,
             "first legs rejected because their User-Name was over its prompt budget"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_blocked_calling_station_total",
             "limits.blocked_calling_station", limits_blocked_station,
             "first legs rejected because their Calling-Station-Id was over its prompt budget"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_blocked_client_total",
             "limits.blocked_client", limits_blocked_client,
             "first legs rejected because their client (NAS) was over its prompt budget"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_prompts_total", "limits.prompts",
             limits_prompts, "prompts counted against the budgets (one per key; with count = "
             "\"challenge\", also those taken back later: limits.released)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_released_total", "limits.released",
             limits_released, "prompts counted in flight and taken back: the reply showed no "
             "prompt (count = \"challenge\")"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_allowed_total", "limits.allowed",
             limits_allowed, "first legs of allow-listed users (never limited or counted)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_GLOBAL, 0, "limits_keys", "limits.keys", limits_keys,
             "keys (users, stations, clients) whose prompts are tracked"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_GLOBAL, 0, "limits_evicted_total", "limits.evicted",
             limits_evicted, "keys forgotten early because limits.max_entries was reached"),
#define POOL_C(f, help) \
    COUNTER_AT(RLB_MS_POOL, "pool_" #f "_total", #f, struct rlb_pool_stats, f, help),
    POOL_C(requests, "requests the pool got: routed there, or answering its challenges")
    POOL_C(accepts, "Access-Accepts from its servers")
    POOL_C(rejects, "Access-Rejects from its servers")
    POOL_C(challenges, "Access-Challenges from its servers")
    POOL_C(migrated, "requests a rule's migration sent there (a share or a list of users)")
    POOL_C(no_server, "requests none of its servers could take")
    POOL_C(no_master_rejects, "writes rejected: the pool's master could not take them")
    POOL_C(mirrored, "accounting copies sent to the pool's master by a rule's mirror_accounting")
    POOL_C(mirror_answered, "of them, answered by the master")
    POOL_C(mirror_lost, "copies not sent (no master) or not answered in time (never retried)")
#undef POOL_C
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 0, "pool_servers", "servers", pool_servers,
             "servers of the pool"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 0, "pool_servers_up", "servers_up", pool_servers_up,
             "servers of the pool that take new requests (enabled and up)"),
    INFO(RLB_MS_POOL, "pool_master_info", "master.name", "server", pool_master_name,
         "the pool's master"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 0, "pool_master_epoch", "master.epoch",
             pool_master_epoch, "the epoch of the pool's master (bumped by each promotion)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 0, "pool_master_takes_writes", "master.takes_writes",
             pool_takes_writes, "1 while the pool's master is up and not in maintenance"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 1, "pool_seconds_without_master",
             "master.seconds_without", pool_seconds_without,
             "seconds since the pool's writes last had a master (0 while they have one)"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_POOL, 0, "pool_spool_records", "spool.records",
             pool_spool_records, "accounting records waiting in the pool's spool"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_RULE, 0, "route_matched_total", "matched", rule_matched,
             "requests the routing rule decided (rule: its position, from 1)"),
    COMPUTED(RLB_MT_COUNTER, RLB_MS_RULE, 0, "route_migrated_total", "migrated", rule_migrated,
             "of them, requests its migration sent to the second pool"),
    COMPUTED(RLB_MT_GAUGE, RLB_MS_RULE, 1, "route_share_percent", "share_percent", rule_share,
             "the share of users the rule migrates, in percent (0 without migration)"),
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
    case RLB_MS_POOL:
        return &((const struct rlb_pool *)obj)->stats;
    default:
        return &ctx->stats;
    }
}

double
rlb_metric_value(const struct rlb_ctx *ctx, const struct rlb_metric *m, const void *obj)
{
    if (m->get)
        return m->get(ctx, obj);
    return (double)*(const uint64_t *)((const char *)stats_of(ctx, m->scope, obj) + m->off);
}

const char *
rlb_metric_scope_label(int scope)
{
    return scope == RLB_MS_CLIENT ? "client" : scope == RLB_MS_SERVER ? "server" :
           scope == RLB_MS_POOL ? "pool" : scope == RLB_MS_RULE ? "rule" : "reason";
}
