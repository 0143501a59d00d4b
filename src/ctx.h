/*
 * ctx.h: the root context. Every piece of radlb's running state hangs off
 * one struct rlb_ctx (no globals), which main() owns and the event loop
 * callbacks reach through their watchers.
 */
#ifndef RLB_CTX_H
#define RLB_CTX_H

#include <ev.h>

#include "backend.h"
#include "balance.h"
#include "client.h"
#include "conf.h"
#include "dedup.h"
#include "front.h"
#include "log.h"
#include "master.h"
#include "netio.h"
#include "request.h"
#include "budget.h"
#include "routes.h"
#include "server.h"
#include "stats.h"
#include "sticky.h"
#include "timeq.h"
#include "upcalls.h"
#include "writes.h"

struct rlb_control;
struct rlb_httpd;
struct rlb_rstore;
struct rlb_spool;

/* Accounting through the spool (acctspool.c). */
struct rlb_spooling {
    struct rlb_timeq    wait;             /* appended, answered once committed (no timer) */
    unsigned            inflight;         /* replays sent to the master */
    bool                need_rewind;      /* replays were given up: start again from the oldest */
    ev_timer            timer;            /* saves the acknowledgement point, retries */
    struct rlb_ratelimit rl_full;         /* "spool full" lines */
    struct rlb_ratelimit rl_commit;       /* "group commit failed" lines */
    bool                commit_failing;   /* the last group commit failed */
};

/* A pool's counters (pool.c counts requests, reply.c the outcomes). */
struct rlb_pool_stats {
    uint64_t requests;            /* sent to one of its servers, or answered for it */
    uint64_t accepts;
    uint64_t rejects;             /* from its servers */
    uint64_t challenges;
    uint64_t migrated;            /* sent here by a rule's migration */
    uint64_t no_server;           /* none of its servers could take a request */
    uint64_t no_master_rejects;   /* writes refused: the pool had no master */
    uint64_t mirrored;            /* accounting copies sent here (mirror_accounting) */
    uint64_t mirror_answered;     /* of them, answered */
    uint64_t mirror_lost;         /* not sent (no master), or no answer in time */
};

/* A pool: one MFA farm (doc/pools.md). The top-level servers are the pool
 * "default". A pool keeps its object across reloads while its name stays;
 * a removed one is kept (requests and sessions may point to it) and its
 * servers drain. */
struct rlb_pool {
    char                   name[RLB_NAME_MAX + 1];
    struct rlb_ctx         *ctx;
    bool                    removed;
    bool                    is_default;   /* the top-level servers */
    struct rlb_server     **v;            /* its servers, in configuration order */
    unsigned                n;
    struct rlb_balancer     balancer;
    struct rlb_writes       writes;       /* which requests are writes (writes.c) */
    struct rlb_conf_health  health;       /* probes of its servers (strings: the running conf's) */
    struct rlb_master       master;       /* the master and promotion (master.c) */
    struct rlb_spool       *spool;        /* accounting spool, or NULL (acctspool.c) */
    struct rlb_spooling     spooling;     /* its place in the request flow */
    struct rlb_pool_stats   stats;
};

/* A share changed by radlbctl (pool.c): kept across reloads while the file
 * still gives the rule (same position, pool and migration target) the
 * share it had when the command ran. */
struct rlb_share_override {
    char     pool[RLB_NAME_MAX + 1];
    char     to[RLB_NAME_MAX + 1];
    unsigned file_bp;              /* the file's share then */
    unsigned bp;                   /* the share set */
    bool     set;
};

struct rlb_ctx {
    struct ev_loop         *loop;
    struct rlb_conf        *conf;
    struct rlb_upcalls      up;           /* news from the layers below (upcalls.h) */
    struct rlb_listener    *listeners;
    unsigned                nlisteners;
    struct rlb_clients      clients;
    struct rlb_servers      servers;
    struct rlb_pool       **pools;        /* pool.c; [0] is the default pool when it exists */
    unsigned                npools;
    struct rlb_pool       **pools_gone;   /* removed by a reload, freed at stop */
    unsigned                npools_gone;
    struct rlb_routes       routes;       /* the routing rules (routes.c); n = 0: none */
    uint64_t                unroutable[2];   /* requests no rule routes: auth, acct */
    struct rlb_ratelimit    rl_unroutable;
    struct rlb_share_override *overrides; /* one per rule */
    unsigned                noverrides;
    struct rlb_limits       limits;       /* prompt budgets (budget.h, limitflow.c) */
    const char            **allow;        /* limits' allow-listed User-Names, sorted */
    size_t                 *allow_len;
    unsigned                nallow;
    struct rlb_ratelimit    rl_limits;    /* "prompt budget" lines */
    struct rlb_reqpool      reqs;
    struct rlb_bufpool      bufs;
    struct rlb_dedup        dedup;
    struct rlb_timeq        pending;      /* forwarded, waiting up to response_timeout */
    struct rlb_timeq        done;         /* answered, cached for dedup_window */
    struct rlb_timeq        parked;       /* waiting up to redis.timeout for Redis */
    struct rlb_rstore      *rstore;       /* sticky.store = "redis" */
    struct rlb_sticky       sticky;       /* challenge State -> server */
    struct rlb_sticky       affinity;     /* affinity key -> server (no State) */
    struct rlb_rxbatch     *rx;
    struct rlb_outq        *outq;
    struct rlb_global_stats stats;
    /* "unknown client" lines (per client and server: theirs) */
    struct rlb_ratelimit    rl_unknown;
    struct rlb_ratelimit    rl_reroute;   /* rerouted requests that timed out */
    struct rlb_control     *control;
    struct rlb_httpd       *httpd;        /* the stats port (httpd.c) */
    ev_prepare              flush;        /* sends the outbox before the loop sleeps */
    ev_timer                health_check; /* passive detection (health.c) */
    struct rlb_front        front;        /* TCP/TLS listeners and connections (front.c) */
    struct rlb_backend      backend;      /* TCP/TLS toward servers (backend.c) */
    struct rlb_conn_stats   conns;        /* both directions */
    double                  started;
    bool                    debug;        /* -d: debug level whatever the file says */
    int                     fd_reserve;   /* let go to shed connections when out of descriptors */
    struct rlb_conf        *first_conf;   /* the configuration radlb started with: kept
                                           * (reload.c), freed at stop */
    uint64_t                reloads;      /* applied */
    uint64_t                reload_failures;  /* refused: the running configuration kept */
    ev_timer                reload_sweep; /* removed servers: probes stop once they are idle */
};

#endif
