/*
 * acctspool.c: spooling, group commit and replay of accounting (see
 * acctspool.h; the file format is spool.c's).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "acctspool.h"
#include "ctx.h"
#include "master.h"
#include "flow.h"
#include "pkt.h"
#include "spool.h"

#define SPOOL_TICK            0.1  /* seconds: acknowledgement point saved, replay resumed */

static double
wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_pool *p = w->data;

    (void)loop;
    (void)revents;
    rlb_spool_save_ack(p->spool);
    rlb_acctspool_kick(p->ctx, p);
}

int
rlb_acctspool_start(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    const struct rlb_conf_spool *c = &ctx->conf->spool;
    struct rlb_spooling *sp = &p->spooling;
    char err[512], dir[4200];
    uint64_t pending;

    sp->rl_full.interval = RLB_LOG_INTERVAL;
    sp->rl_commit.interval = RLB_LOG_INTERVAL;
    if (!c->directory[0])
        return 0;
    /* The default pool keeps the directory itself (an upgrade finds its
     * records there); another pool has a subdirectory of its name. */
    if (p->is_default) {
        snprintf(dir, sizeof(dir), "%s", c->directory);
    } else {
        snprintf(dir, sizeof(dir), "%s/%s", c->directory, p->name);
        if (mkdir(c->directory, 0700) < 0 && errno != EEXIST) {
            rlb_err("accounting spool: cannot create %s: %s (set spool.directory to a writable "
                    "directory, or \"\" to run without a spool)", c->directory, strerror(errno));
            return -1;
        }
    }
    p->spool = rlb_spool_open(dir, (uint64_t)c->max_bytes, err, sizeof(err));
    if (!p->spool) {
        rlb_err("accounting spool: %s (set spool.directory to a writable directory, or \"\" to "
                "run without a spool)", err);
        return -1;
    }
    pending = rlb_spool_depth(p->spool);
    if (pending)
        rlb_warn("accounting spool %s: %llu records (%llu octets) from before this start wait "
                 "for a master", dir, (unsigned long long)pending,
                 (unsigned long long)rlb_spool_bytes(p->spool));
    else
        rlb_info("accounting spool %s ready (at most %.0f octets)", dir, c->max_bytes);
    ev_timer_init(&sp->timer, tick, SPOOL_TICK, SPOOL_TICK);
    sp->timer.data = p;
    ev_timer_start(ctx->loop, &sp->timer);
    rlb_acctspool_kick(ctx, p);
    return 0;
}

void
rlb_acctspool_stop(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    if (!p->spool)
        return;
    ev_timer_stop(ctx->loop, &p->spooling.timer);
    if (rlb_spool_depth(p->spool))
        rlb_warn("accounting spool %s: %llu records still wait for a master; they are replayed "
                 "after the next start", rlb_spool_dir(p->spool),
                 (unsigned long long)rlb_spool_depth(p->spool));
    rlb_spool_close(p->spool);
    p->spool = NULL;
}

bool
rlb_acctspool_busy(const struct rlb_pool *p)
{
    return p->spool && (rlb_timeq_head(&p->spooling.wait) || rlb_spool_depth(p->spool) > 0);
}

void
rlb_acctspool_take(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                   const struct rlb_pkt_info *info)
{
    struct rlb_pool *p = req->pool;
    struct rlb_spooling *sp = &p->spooling;
    uint8_t copy[RLB_PKT_MAX];
    struct rlb_pkt_info ci;
    unsigned held;
    char note[64];

    /* The record is what the pool's master gets: stripped if routed so. */
    if (rlb_px_stripped(req, data, info, copy, &ci)) {
        data = copy;
        info = &ci;
    }
    if (!p->spool) {
        ctx->stats.acct_no_master++;
        if (rlb_ratelimit_ok(&sp->rl_full, ev_now(ctx->loop), &held))
            rlb_err("no master of pool %s takes writes and there is no spool (spool.directory): "
                    "Accounting-Request from client %s not answered; the NAS will retry%s",
                    p->name, req->client->name, rlb_held_note(held, note, sizeof(note)));
        rlb_req_forget(ctx, req);
        return;
    }
    if (rlb_spool_append(p->spool, wall_now(), req->client->name, data, info->len) == 0) {
        ctx->stats.acct_spool_full++;
        if (rlb_ratelimit_ok(&sp->rl_full, ev_now(ctx->loop), &held))
            rlb_err("ACCOUNTING SPOOL FULL: %s holds %llu octets (spool.max_bytes %.0f) or cannot "
                    "be written: Accounting-Request from client %s not answered; the NAS will "
                    "retry. Bring the master back or promote one (radlbctl promote NAME)%s",
                    rlb_spool_dir(p->spool), (unsigned long long)rlb_spool_bytes(p->spool),
                    ctx->conf->spool.max_bytes, req->client->name,
                    rlb_held_note(held, note, sizeof(note)));
        rlb_req_forget(ctx, req);
        return;
    }
    rlb_req_move(ctx, req, RLB_REQ_SPOOLING);
}

static void
commit_pool(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    struct rlb_spooling *sp = &p->spooling;
    struct rlb_request *req;
    int rc;

    if (!p->spool || (!rlb_timeq_head(&sp->wait) && !rlb_spool_pending(p->spool)))
        return;
    rc = rlb_spool_commit(p->spool);
    /* each of them leaves the wait list (freed or DONE) */
    while ((req = rlb_timeq_head(&sp->wait))) {
        if (req->state == RLB_REQ_SUPERSEDED) {
            rlb_req_free(ctx, req);     /* its record stays: replayed all the same */
        } else if (rc < 0) {
            ctx->stats.acct_spool_full++;
            rlb_req_forget(ctx, req);           /* not durable: no answer, the NAS retries */
        } else {
            ctx->stats.acct_spooled++;
            rlb_px_answer_locally(ctx, req, RLB_ACCOUNTING_RESPONSE, NULL);
        }
    }
    if (rc < 0) {
        unsigned held;

        sp->commit_failing = true;
        if (rlb_ratelimit_ok(&sp->rl_commit, ev_now(ctx->loop), &held))
            rlb_err("accounting spool %s: the group commit failed: those Accounting-Requests were "
                    "not answered and the NASes will retry (disk full? see the spool's own "
                    "line)%s", rlb_spool_dir(p->spool),
                    held ? " (and more failed commits since the last line)" : "");
    } else if (sp->commit_failing) {
        sp->commit_failing = false;
        rlb_warn("accounting spool %s: commits work again; Accounting-Requests are answered",
                 rlb_spool_dir(p->spool));
    }
}

void
rlb_acctspool_commit(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->npools; i++)
        commit_pool(ctx, ctx->pools[i]);
    for (unsigned i = 0; i < ctx->npools_gone; i++)
        commit_pool(ctx, ctx->pools_gone[i]);
}

static const struct rlb_client *
client_named(const struct rlb_ctx *ctx, const char *name)
{
    for (unsigned i = 0; i < ctx->clients.n; i++) {
        if (strcmp(ctx->clients.v[i]->name, name) == 0)
            return ctx->clients.v[i];
    }
    return NULL;
}

/* Sends one record to the pool's master; false when it cannot now. */
static bool
replay(struct rlb_ctx *ctx, struct rlb_pool *p, const struct rlb_spool_record *rec)
{
    struct rlb_server *m = p->master.server;
    const struct rlb_client *c;
    uint8_t pkt[RLB_PKT_MAX];
    struct rlb_pkt_info info;
    struct rlb_request *req;
    size_t len;

    memcpy(pkt, rec->pkt, rec->len);
    len = rlb_pkt_add_acct_delay(pkt, rec->len, wall_now() - rec->arrived);
    if (rlb_pkt_parse(pkt, &len, false, &info) != RLB_DROP_NONE ||
        info.code != RLB_ACCOUNTING_REQUEST) {
        rlb_err("accounting spool: record %llu is not an Accounting-Request: skipped",
                (unsigned long long)rec->seq);
        rlb_spool_ack(p->spool, rec->seq);
        return true;
    }
    req = rlb_req_get(&ctx->reqs);
    if (!req)
        return false;
    req->code = RLB_ACCOUNTING_REQUEST;
    req->flags = RLB_REQF_REPLAY | RLB_REQF_WRITE | RLB_REQF_CLASSED;
    req->spool_seq = rec->seq;
    req->pool = p;
    /* Hidden attributes were sealed with the client's secret. */
    c = client_named(ctx, rec->client);
    if (rlb_px_send(ctx, req, m, c ? &c->secret : &m->secret, pkt, &info) != RLB_DROP_NONE) {
        rlb_req_put(&ctx->reqs, req);
        return false;
    }
    p->spooling.inflight++;
    return true;
}

void
rlb_acctspool_kick(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    struct rlb_spooling *sp = &p->spooling;
    struct rlb_spool_record rec;

    if (!p->spool || !rlb_master_takes_writes(p))
        return;
    if (sp->need_rewind) {
        if (sp->inflight)
            return;                /* once the rest is settled */
        rlb_spool_rewind(p->spool);
        sp->need_rewind = false;
    }
    while (sp->inflight < RLB_REPLAY_WINDOW && rlb_spool_next(p->spool, &rec) == 1) {
        if (!replay(ctx, p, &rec)) {
            sp->need_rewind = true;
            break;
        }
    }
}

void
rlb_acctspool_acked(struct rlb_ctx *ctx, struct rlb_request *req)
{
    struct rlb_pool *p = req->pool;

    rlb_spool_ack(p->spool, req->spool_seq);
    ctx->stats.acct_replayed++;
    p->spooling.inflight--;
    rlb_req_free(ctx, req);
    if (p->spool && rlb_spool_depth(p->spool) == 0 && !p->spooling.inflight)
        rlb_info("accounting spool %s: every record was delivered to %s", rlb_spool_dir(p->spool),
                 p->master.server ? p->master.server->name : "the master");
    rlb_acctspool_kick(ctx, p);
}

void
rlb_acctspool_lost(struct rlb_ctx *ctx, struct rlb_request *req)
{
    struct rlb_pool *p = req->pool;

    p->spooling.inflight--;
    p->spooling.need_rewind = true;
    rlb_req_free(ctx, req);
    rlb_acctspool_kick(ctx, p);
}
