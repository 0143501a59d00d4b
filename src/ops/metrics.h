/*
 * metrics.h: every figure radlb exports, declared once, in one list
 * (metrics.c). The Prometheus text of /metrics, the "metrics", "clients"
 * and per-server "counters" of /stats.json (and radlbctl --json show
 * stats), the lines of radlbctl show stats and doc/metrics.md (radlb -M)
 * are all written from that list, so a figure added there shows up
 * everywhere, under names that follow one rule:
 *
 *     Prometheus          radlb_<prom>{client="NAME" | server="NAME" | reason="..."}
 *     show stats / JSON   <text>, client.NAME.<text>, server.NAME.<text>, drop.<reason>
 *
 * but for the process figures (process_cpu_seconds_total and the rest),
 * which keep the names every Prometheus client library gives them, without
 * the radlb_ prefix (the flag bare), so the usual dashboards find them.
 *
 * Counters (cumulative since radlb started) come from the X-macro lists of
 * stats.h and drop.h, gauges and states from small functions of the
 * running state. Nothing here allocates per packet: the list is read only
 * when someone asks.
 */
#ifndef RLB_METRICS_H
#define RLB_METRICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct rlb_ctx;

enum rlb_mtype {
    RLB_MT_COUNTER = 0,            /* cumulative */
    RLB_MT_GAUGE,                  /* a value now */
    RLB_MT_STATE,                  /* one of choices: 1 for it, 0 for the others */
    RLB_MT_INFO,                   /* a text, exported as a label of a constant 1 */
    RLB_MT_HISTOGRAM,              /* response times (servers) */
};

enum rlb_mscope {
    RLB_MS_GLOBAL = 0,
    RLB_MS_CLIENT,                 /* one sample per client (label client) */
    RLB_MS_SERVER,                 /* one sample per server (label server) */
    RLB_MS_DROP,                   /* one sample per drop reason (label reason) */
    RLB_MS_POOL,                   /* one sample per pool (label pool) */
    RLB_MS_RULE,                   /* one sample per routing rule (label rule: 1, 2, ...) */
};

struct rlb_metric {
    const char         *prom;      /* Prometheus name after "radlb_" */
    const char         *text;      /* show stats name (after the scope's prefix) */
    uint8_t             type;      /* enum rlb_mtype */
    uint8_t             scope;     /* enum rlb_mscope */
    uint8_t             fraction;  /* a gauge with decimals (seconds): JSON real */
    const char         *help;
    /* counters of a stats struct: its offset in ctx->stats, client->stats or
     * server->stats (get == NULL) */
    size_t              off;
    /* computed: obj is the client or server (NULL for global) */
    double            (*get)(const struct rlb_ctx *ctx, const void *obj);
    /* RLB_MT_STATE: the label's name, the choices, the index of the current one */
    const char         *label;
    const char *const  *choices;
    int               (*choice)(const struct rlb_ctx *ctx, const void *obj);
    /* RLB_MT_INFO: the text */
    const char       *(*info)(const struct rlb_ctx *ctx, const void *obj);
    uint8_t             bare;      /* prom is the whole name: no "radlb_" before it */
};

extern const struct rlb_metric rlb_metrics[];
extern const unsigned rlb_nmetrics;

/* What comes before m->prom on /metrics: "radlb_", or "" for a bare name. */
/* A figure's value for obj (NULL for a global one; metrics.c). */
double rlb_metric_value(const struct rlb_ctx *ctx, const struct rlb_metric *m, const void *obj);
/* The Prometheus label of a scope: "client", "server", "pool", "rule", "reason". */
const char *rlb_metric_scope_label(int scope);
const char *rlb_metric_prefix(const struct rlb_metric *m);

/* /metrics: the Prometheus text exposition format (version 0.0.4). */
void rlb_metrics_prometheus(const struct rlb_ctx *ctx, struct rlb_strbuf *out);
/* radlbctl show stats: "name value" lines. */
void rlb_metrics_text(const struct rlb_ctx *ctx, struct rlb_strbuf *out);
/* The global figures as one JSON object {text name: value}, drops included. */
json_t *rlb_metrics_json_global(const struct rlb_ctx *ctx);
/* The figures of one client or server (scope RLB_MS_CLIENT or RLB_MS_SERVER). */
json_t *rlb_metrics_json_of(const struct rlb_ctx *ctx, int scope, const void *obj);
/* doc/metrics.md (radlb -M). */
void rlb_metrics_doc(struct rlb_strbuf *out);

#endif
