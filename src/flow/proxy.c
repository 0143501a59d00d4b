/*
 * proxy.c: the request flow's start and stop, in dependency order: the
 * tables and sockets toward servers, the timers of the three queues, the
 * master, the spool, health checks and Redis, then the listeners; stop
 * undoes it with nothing lost (held challenges and spooled accounting
 * answered while the listeners are still open).
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "acctspool.h"
#include "backend.h"
#include "dict.h"
#include "flow.h"
#include "front.h"
#include "health.h"
#include "mfaprobe.h"
#include "master.h"
#include "pool.h"
#include "proxy.h"
#include "rstore.h"

/* The prepare watcher: sends the outbox, then the auth lines of this
 * round, before the loop sleeps. */
static void
flush_outbox(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    int fd;

    (void)loop;
    (void)revents;
    /* Group commit: spooled accounting becomes durable, then is answered. */
    rlb_acctspool_commit(ctx);
    if (ctx->outq->n)
        rlb_outq_flush(ctx->outq);
    rlb_streams_flush(&ctx->front.streams);
    rlb_log_flush();
    /* Sends refused by ICMP port unreachable, noted during the flushes. */
    while ((fd = rlb_outq_take_refused(ctx->outq)) >= 0) {
        struct rlb_bsock *b = rlb_servers_bsock_by_fd(&ctx->servers, fd);

        if (b)
            rlb_health_port_unreachable(ctx, b->server, b->kind);
    }
}

static void
redis_master_cas(struct rlb_ctx *ctx, struct rlb_pool *p, bool ok, bool answered,
                 const char *name, uint64_t epoch)
{
    rlb_master_cas_done(ctx, p, ok, answered, name, epoch);
}

static const struct rlb_rstore_hooks redis_hooks = {
    rlb_proxy_redis_answer,
    rlb_proxy_redis_written,
    rlb_master_seen,
    redis_master_cas,
    rlb_proxy_budget_answer,
};

/* What the layers below tell the flow (upcalls.h). */
static void
fill_upcalls(struct rlb_upcalls *up)
{
    up->client_packet = rlb_proxy_client_packet;
    up->resend = rlb_px_resend;
    up->server_packet = rlb_proxy_server_packet;
    up->link_lost = rlb_proxy_link_lost;
    up->link_failed = rlb_health_link_failed;
    up->server_down = rlb_proxy_server_down;
    up->writes_resume = rlb_acctspool_kick;
}

static void
queue_init(struct rlb_ctx *ctx, struct rlb_timeq *q, void (*cb)(struct ev_loop *, ev_timer *, int),
           double wait)
{
    ev_timer_init(&q->timer, cb, 0, 0);
    q->timer.data = ctx;
    q->wait = wait;
}

static int
open_listeners(struct rlb_ctx *ctx)
{
    const struct rlb_conf *conf = ctx->conf;
    char err[512];

    ctx->listeners = calloc(conf->nlisten, sizeof(*ctx->listeners));
    if (!ctx->listeners)
        return -1;
    for (unsigned i = 0; i < conf->nlisten; i++) {
        struct rlb_listener *l = &ctx->listeners[ctx->nlisteners];
        char where[RLB_ADDRSTRLEN];

        if (conf->listen[i].proto != RLB_PROTO_UDP)
            continue;              /* front.c */
        if (rlb_listener_open(l, &conf->listen[i], conf->proxy.recv_buffer, err, sizeof(err)) < 0) {
            rlb_err("%s", err);
            return -1;
        }
        ctx->nlisteners++;
        ev_set_cb(&l->io, rlb_px_listener_readable);
        l->io.data = ctx;
        ev_io_start(ctx->loop, &l->io);
        rlb_info("listening for %s on %s/udp",
                 l->type == RLB_LISTEN_AUTH ? "authentication" : "accounting",
                 rlb_sockaddr_str(&l->addr, where, sizeof(where)));
    }
    return rlb_front_start(ctx);
}

int
rlb_proxy_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf *conf = ctx->conf;
    char err[512];

    fill_upcalls(&ctx->up);
    ctx->rx = malloc(sizeof(*ctx->rx));
    ctx->outq = calloc(1, sizeof(*ctx->outq));
    if (!ctx->rx || !ctx->outq || rlb_dedup_init(&ctx->dedup, 4096) < 0) {
        rlb_err("out of memory");
        return -1;
    }
    rlb_outq_init(ctx->outq);
    ctx->rl_unknown.interval = RLB_LOG_INTERVAL;

    if (rlb_clients_build(&ctx->clients, conf) < 0)
        return -1;
    ctx->servers.loop = ctx->loop;
    ctx->servers.read_cb = rlb_px_server_readable;
    ctx->servers.cb_data = ctx;
    ctx->servers.sockets_opened = &ctx->stats.sockets_opened;
    ctx->front.streams.loop = ctx->loop;
    ctx->front.streams.handshake_timeout = conf->conns.handshake_timeout;
    if (rlb_servers_build(&ctx->servers, conf) < 0 || rlb_backend_start(ctx) < 0)
        return -1;
    if (rlb_sticky_init(&ctx->sticky, ctx->loop, &ctx->bufs, conf->sticky.ttl,
                        (unsigned long)conf->sticky.max_entries) < 0 ||
        rlb_sticky_init(&ctx->affinity, ctx->loop, &ctx->bufs, conf->sticky.affinity_ttl,
                        (unsigned long)conf->sticky.max_entries) < 0)
        return -1;
    ctx->sticky.per_server = true;
    rlb_dict_set_max_attributes((unsigned)conf->proxy.max_attributes);
    if (rlb_pools_build(ctx, conf, err, sizeof(err)) < 0) {
        rlb_err("%s", err);
        return -1;
    }
    if (rlb_limits_init(&ctx->limits, &ctx->bufs, ev_now(ctx->loop)) < 0) {
        rlb_err("out of memory");
        return -1;
    }
    rlb_px_limits_apply(ctx, conf);

    queue_init(ctx, &ctx->pending, rlb_px_pending_expired, conf->proxy.response_timeout);
    queue_init(ctx, &ctx->done, rlb_req_cache_expired, conf->proxy.dedup_window);
    queue_init(ctx, &ctx->parked, rlb_px_parked_expired, conf->redis.timeout);
    if (rlb_pools_start(ctx) < 0 || rlb_health_start(ctx) < 0 || rlb_mfaprobe_start(ctx) < 0 ||
        rlb_rstore_start(ctx, &redis_hooks) < 0)
        return -1;
    if (open_listeners(ctx) < 0)
        return -1;

    ev_prepare_init(&ctx->flush, flush_outbox);
    ctx->flush.data = ctx;
    ev_prepare_start(ctx->loop, &ctx->flush);
    ctx->started = ev_now(ctx->loop);
    return 0;
}

void
rlb_proxy_stop(struct rlb_ctx *ctx)
{
    struct rlb_request *req;

    /* Challenges held for Redis go to their clients while the listeners
     * are still open; lookups in flight are given up. */
    ev_timer_stop(ctx->loop, &ctx->parked.timer);
    while ((req = rlb_timeq_head(&ctx->parked))) {
        if (req->state == RLB_REQ_HELD) {
            rlb_px_release_held(ctx, req);
            continue;
        }
        rlb_rstore_cancel(req);
        rlb_req_free(ctx, req);
    }
    rlb_rstore_stop(ctx);
    /* Spooled accounting: made durable and answered before the sockets close. */
    rlb_acctspool_commit(ctx);
    if (ctx->outq && ctx->outq->n)
        rlb_outq_flush(ctx->outq);
    rlb_front_stop(ctx);           /* replies already queued go out first */
    for (unsigned i = 0; i < ctx->nlisteners; i++) {
        ev_io_stop(ctx->loop, &ctx->listeners[i].io);
        close(ctx->listeners[i].io.fd);
    }
    free(ctx->listeners);
    ctx->listeners = NULL;
    ctx->nlisteners = 0;
    ev_timer_stop(ctx->loop, &ctx->pending.timer);
    ev_timer_stop(ctx->loop, &ctx->done.timer);
    ev_prepare_stop(ctx->loop, &ctx->flush);

    while ((req = rlb_timeq_head(&ctx->pending))) {
        if (req->state != RLB_REQ_REROUTE)
            rlb_req_detach(ctx, req);
        rlb_req_free(ctx, req);
    }
    rlb_pools_stop(ctx);
    while ((req = rlb_timeq_head(&ctx->done)))
        rlb_req_free(ctx, req);
    rlb_mfaprobe_stop(ctx);
    rlb_health_stop(ctx);
    rlb_sticky_free(&ctx->sticky);
    rlb_sticky_free(&ctx->affinity);
    rlb_px_limits_free(ctx);
    rlb_backend_stop(ctx);
    rlb_servers_free(&ctx->servers);
    rlb_pools_free(ctx);
    rlb_backend_free(ctx);
    rlb_front_free(ctx);
    rlb_clients_free(&ctx->clients);
    rlb_dedup_free(&ctx->dedup);
    rlb_reqpool_free(&ctx->reqs);
    rlb_bufpool_free(&ctx->bufs);
    free(ctx->rx);
    free(ctx->outq);
    ctx->rx = NULL;
    ctx->outq = NULL;
    rlb_log_flush();               /* the auth lines of the last round */
}
