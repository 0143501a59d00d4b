/*
 * rstore.h: challenge sessions shared by several radlb instances through
 * Redis (sticky.store = "redis"), and the master they all follow.
 *
 * The local tables (sticky.c) stay in front: a challenge is recorded
 * locally and SET in Redis with its expiry; a request whose State (or
 * affinity key) is not in the local table is parked while one GET asks
 * Redis, then resumes with the answer, or without it after redis.timeout.
 * The commands go through the link to Redis (redis.h), pipelined on
 * radlb's own libev loop; while the link is not ready, lookups and writes
 * are skipped and RADIUS traffic goes on with the local tables.
 *
 * Keys: PREFIX "s:" hex(State) and PREFIX "a:" hex(affinity key); the value
 * is the server's name, which must be the same on every instance (for a
 * State, followed by the login it belongs to: flow/authlog.c).
 * PREFIX "master" holds "EPOCH NAME", the master every instance follows
 * (master.h): read every half second, changed only by compare-and-set.
 * That is the default pool's; another pool's is PREFIX "POOL:master".
 */
#ifndef RLB_RSTORE_H
#define RLB_RSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis.h"

struct rlb_ctx;
struct rlb_request;
struct rlb_rstore;
struct rlb_pool;

#define RLB_RKEY_STATE    's'
#define RLB_RKEY_AFFINITY 'a'

/* What the owner (the request flow, route.c and reply.c) is told. */
struct rlb_rstore_hooks {
    /* the lookup of a parked request: the server's name, or NULL */
    void (*answer)(struct rlb_ctx *ctx, struct rlb_request *req, const char *server);
    /* the write a held reply waited for is done (or will never be) */
    void (*written)(struct rlb_ctx *ctx, struct rlb_request *req);
    /* the shared master, read every half second: its name and epoch, or
     * NULL when Redis has none yet */
    void (*master_seen)(struct rlb_ctx *ctx, struct rlb_pool *p, const char *name,
                        uint64_t epoch);
    /* a compare-and-set came back: ok, or not (answered false: what Redis
     * has instead; !answered: the connection was lost) */
    void (*master_cas)(struct rlb_ctx *ctx, struct rlb_pool *p, bool ok, bool answered,
                       const char *name, uint64_t epoch);
    /* the prompt budgets of a parked first leg: {0} (within them) or {1,
     * key slot 1..3, prompts, max, window index, lift in ms}; NULL when
     * Redis failed (the request goes on with the local verdict) */
    void (*budget)(struct rlb_ctx *ctx, struct rlb_request *req, const int64_t *answer);
};

int  rlb_rstore_start(struct rlb_ctx *ctx, const struct rlb_rstore_hooks *hooks);
void rlb_rstore_stop(struct rlb_ctx *ctx);

/* Connected to the master and ready for commands. */
bool rlb_rstore_ready(const struct rlb_rstore *rs);

/* Writes key -> server name for ttl seconds (skipped, counted, when not
 * ready). With req, the caller holds req's reply until Redis has the key:
 * hooks->written is called once for it (acknowledged, failed or
 * Redis gone), unless rlb_rstore_cancel() comes first; false when nothing
 * was sent (then nothing will be called). */
bool rlb_rstore_set(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
                    const char *server, double ttl, struct rlb_request *req);
void rlb_rstore_del(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len);

/* Asks Redis which server holds key, for a parked request: later,
 * hooks->answer is called exactly once for it, unless
 * rlb_rstore_cancel() comes first. False when Redis is not ready. */
bool rlb_rstore_get(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
                    struct rlb_request *req);
/* Sets the shared master to "epoch name" if the epoch Redis has is
 * expected (-1: Redis has none); hooks->master_cas is called with the
 * outcome. False when Redis is not ready (nothing sent). */
bool rlb_rstore_master_cas(struct rlb_rstore *rs, struct rlb_pool *p, int64_t expected,
                           uint64_t epoch, const char *name);

/* The prompt budgets in Redis (budget.h): keys (has[k]: slot k is set)
 * checked against the windows, and the prompt added (mode 0: check, 1:
 * check and add when within, 2: add; *seq: the prompt's number, for an
 * undo). With req (parked), hooks->budget
 * answers it once, unless rlb_rstore_cancel() comes first. False when
 * Redis is not ready (nothing sent). */
#define RLB_BUDGET_WINS_TEXT 256
bool rlb_rstore_budget(struct rlb_rstore *rs, const uint64_t *keys, const bool *has, int mode,
                       double now, const double *win, const unsigned *max, unsigned nwin,
                       struct rlb_request *req, uint64_t *seq);
/* Takes back the prompt a budget call with that seq added (nobody waits). */
void rlb_rstore_budget_undo(struct rlb_rstore *rs, const uint64_t *keys, const bool *has,
                            uint64_t seq);

/* The request no longer waits (timeout, superseded, stop). */
void rlb_rstore_cancel(struct rlb_request *req);
/* Counts a lookup (or, write, a held challenge's write) that outlived redis.timeout. */
void rlb_rstore_timed_out(struct rlb_rstore *rs, bool write);

const struct rlb_redis_stats *rlb_rstore_stats(const struct rlb_rstore *rs);
/* The link's state (its names: rlb_redis_state_names). */
enum rlb_redis_state rlb_rstore_state(const struct rlb_rstore *rs);
/* The address in use ("" when none) and the reason of the last failure. */
const char *rlb_rstore_where(const struct rlb_rstore *rs);
const char *rlb_rstore_last_error(const struct rlb_rstore *rs);
unsigned rlb_rstore_outstanding(const struct rlb_rstore *rs);

/* Key encoding: PREFIX kind ':' hex(key); returns the length (for tests). */
size_t rlb_rstore_key(const char *prefix, char kind, const uint8_t *key, size_t len, char *out,
                      size_t outsize);

#endif
