/*
 * report.h: the JSON documents about the running radlb, shared by the
 * control socket (radlbctl --json) and the stats port (/stats.json): the
 * server table, the master, the spool and Redis, and the whole stats
 * document (the figures of metrics.c plus those tables).
 */
#ifndef RLB_REPORT_H
#define RLB_REPORT_H

#include <jansson.h>

struct rlb_ctx;
struct rlb_pool;
struct rlb_server;

json_t *rlb_report_server(const struct rlb_ctx *ctx, const struct rlb_server *s);
json_t *rlb_report_servers(const struct rlb_ctx *ctx);   /* array, configuration order */
/* The first pool's master and spool (the only ones without pools). */
json_t *rlb_report_master(const struct rlb_ctx *ctx);
json_t *rlb_report_spool(const struct rlb_ctx *ctx);
json_t *rlb_report_master_of(const struct rlb_ctx *ctx, const struct rlb_pool *p);
json_t *rlb_report_spool_of(const struct rlb_ctx *ctx, const struct rlb_pool *p);
/* Every pool: name, servers, balance, master, spool, counters. */
json_t *rlb_report_pools(const struct rlb_ctx *ctx);
json_t *rlb_report_redis(const struct rlb_ctx *ctx);     /* null without Redis */
/* /stats.json: version, uptime_seconds, metrics, clients, master, spool,
 * redis, servers, pools. */
json_t *rlb_report_stats(const struct rlb_ctx *ctx);

/* "waiting for a master", "replaying to the master", "empty" */
const char *rlb_report_spool_status(const struct rlb_pool *p);

#endif
