/*
 * acctspool.h: the accounting spool's place in the request flow.
 *
 * While no master takes writes, an Accounting-Request is appended to the
 * spool (spool.c) and answered only after the group commit that makes it
 * durable, once per event-loop iteration, before the outbox is sent: a
 * burst costs one fdatasync. While records wait in the spool, new
 * accounting goes there too, behind them, so the master receives it in
 * order. When a master takes writes (it came back, or one was promoted),
 * the records are replayed to it oldest first, up to RLB_REPLAY_WINDOW in
 * flight, with Acct-Delay-Time raised by the time spent in the spool;
 * each is retried until the master acknowledges it (at-least-once). A full
 * spool, or one that cannot be written, gets no Accounting-Response (the
 * NAS retries), a counter and a loud, rate-limited log line.
 */
#ifndef RLB_ACCTSPOOL_H
#define RLB_ACCTSPOOL_H

#include <stdbool.h>

#include "pkt.h"

struct rlb_ctx;
struct rlb_pool;
struct rlb_request;

#define RLB_REPLAY_WINDOW 32       /* replayed records in flight at most */

/* Opens the pool's spool (when spool.directory is set: the directory
 * itself for the default pool, spool.directory/POOL for another) and
 * starts replaying what it holds to the pool's master. */
int  rlb_acctspool_start(struct rlb_ctx *ctx, struct rlb_pool *p);
void rlb_acctspool_stop(struct rlb_ctx *ctx, struct rlb_pool *p);

/* Records wait in the pool's spool: new accounting must queue behind them. */
bool rlb_acctspool_busy(const struct rlb_pool *p);
/* An accounting write of req->pool with no master: spooled (answered at the next
 * commit), or forgotten without an answer (no spool, full, failed). */
void rlb_acctspool_take(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                        const struct rlb_pkt_info *info);
/* The group commit of every pool's spool, then the answers (before the
 * outbox is sent). */
void rlb_acctspool_commit(struct rlb_ctx *ctx);
/* Replays what it can now (the pool's master takes writes again, or was
 * promoted). */
void rlb_acctspool_kick(struct rlb_ctx *ctx, struct rlb_pool *p);
/* A replayed record was acknowledged / is given up for now (timeout,
 * server down): it will be replayed again. The request is freed. */
void rlb_acctspool_acked(struct rlb_ctx *ctx, struct rlb_request *req);
void rlb_acctspool_lost(struct rlb_ctx *ctx, struct rlb_request *req);

#endif
