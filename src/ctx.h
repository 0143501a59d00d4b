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

struct rlb_ctx {
    struct ev_loop         *loop;
    struct rlb_conf        *conf;
    struct rlb_upcalls      up;           /* news from the layers below (upcalls.h) */
    struct rlb_listener    *listeners;
    unsigned                nlisteners;
    struct rlb_clients      clients;
    struct rlb_servers      servers;
    struct rlb_balancer     balancer;
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
    struct rlb_master       master;       /* the master and promotion (master.c) */
    struct rlb_writes       writes;       /* which requests are writes (writes.c) */
    struct rlb_spool       *spool;        /* accounting spool, or NULL (acctspool.c) */
    struct rlb_spooling     spooling;     /* its place in the request flow */
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
