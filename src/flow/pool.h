/*
 * pool.h: the pools (struct rlb_pool, ctx.h) and the routing rules, built
 * from the configuration at start and swapped at reload (doc/pools.md).
 *
 * ctx->pools is in the configuration's order (rlb_conf.pool), so that a
 * rule's pool index is an index into it. A pool keeps its object while
 * its name stays in the file; a removed one moves to ctx->pools_gone
 * (requests and sessions may still point to it) and its servers drain.
 */
#ifndef RLB_POOL_H
#define RLB_POOL_H

#include <stddef.h>

#include "ctx.h"

/* At start, after the servers are built: the pools, their members, writes
 * and balancers, the routing rules. -1 with err. */
int  rlb_pools_build(struct rlb_ctx *ctx, const struct rlb_conf *conf, char *err, size_t len);
/* Each pool's master and spool. */
int  rlb_pools_start(struct rlb_ctx *ctx);
void rlb_pools_stop(struct rlb_ctx *ctx);
void rlb_pools_free(struct rlb_ctx *ctx);

/* A reload, in two steps: what can fail (the writes rules and routes of
 * the new file) is built first, before anything changes ... */
struct rlb_pools_next {
    struct rlb_writes *writes;     /* one per pool of the new configuration */
    struct rlb_pool  **fresh;      /* the pools it adds (NULL for a known name) */
    struct rlb_pool  **v;          /* the next ctx->pools */
    struct rlb_pool  **gone;       /* the next ctx->pools_gone */
    unsigned           n;
    struct rlb_routes  routes;
};
int  rlb_pools_prepare(struct rlb_ctx *ctx, const struct rlb_conf *nc,
                       struct rlb_pools_next *next, char *err, size_t len);
void rlb_pools_next_free(struct rlb_pools_next *next);
/* ... then, after the servers were reloaded, committed: pools added
 * (started), kept (updated) or removed (drained); members; writes and
 * routes swapped (shares set at run time are kept while the file's share
 * is unchanged). roles: the configuration names each pool's master. */
void rlb_pools_commit(struct rlb_ctx *ctx, const struct rlb_conf *nc, struct rlb_pools_next *next,
                      bool roles);

/* The pool named name, or NULL. */
struct rlb_pool *rlb_pools_find(const struct rlb_ctx *ctx, const char *name);

/* radlbctl route N share PERCENT: rule (0-based) migrates bp basis points
 * from now on. -1 with the reason in err. */
int  rlb_routes_set_share(struct rlb_ctx *ctx, unsigned rule, unsigned bp, char *err, size_t len);

#endif
