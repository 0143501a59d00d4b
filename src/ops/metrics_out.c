/*
 * metrics_out.c: the writers of metrics.c's list (metrics.h): the
 * Prometheus text of /metrics, the lines of radlbctl show stats, the JSON
 * of /stats.json and doc/metrics.md (radlb -M).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "metrics.h"

/* ------------------------------------------------------------------ */
/* Prometheus                                                         */

static const char *const type_names[] = { "counter", "gauge", "gauge", "gauge", "histogram" };

/* A label value: backslash, double quote and newline escaped. */
static void
label_value(struct rlb_strbuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            rlb_sb_printf(out, "\\%c", *v);
        else if (*v == '\n')
            rlb_sb_printf(out, "\\n");
        else
            rlb_sb_append(out, v, 1);
    }
}

/* name{scope="obj"[,pool="p"][,label="v"]}: a server's samples carry its
 * pool (pool, else NULL). */
static void
sample_head_in(struct rlb_strbuf *out, const struct rlb_metric *m, const char *suffix,
               const char *pool, const char *slabel, const char *sval, const char *label,
               const char *val)
{
    rlb_sb_printf(out, "%s%s%s", rlb_metric_prefix(m), m->prom, suffix);
    if (!sval && !label)
        return;
    rlb_sb_printf(out, "{");
    if (sval) {
        rlb_sb_printf(out, "%s=\"", slabel);
        label_value(out, sval);
        rlb_sb_printf(out, "\"%s", label || pool ? "," : "");
    }
    if (pool) {
        rlb_sb_printf(out, "pool=\"");
        label_value(out, pool);
        rlb_sb_printf(out, "\"%s", label ? "," : "");
    }
    if (label) {
        rlb_sb_printf(out, "%s=\"", label);
        label_value(out, val);
        rlb_sb_printf(out, "\"");
    }
    rlb_sb_printf(out, "}");
}

static void
sample_head(struct rlb_strbuf *out, const struct rlb_metric *m, const char *suffix,
            const char *slabel, const char *sval, const char *label, const char *val)
{
    sample_head_in(out, m, suffix, NULL, slabel, sval, label, val);
}

/* A sample's value: whole numbers as such, others in the fewest digits that
 * read back the same double (15 do for most; a timestamp with a fraction
 * keeps its sub-second part). */
static void
number(struct rlb_strbuf *out, double v)
{
    char b[40];

    if (v == floor(v) && fabs(v) < 1e15) {
        rlb_sb_printf(out, " %.0f\n", v);
        return;
    }
    snprintf(b, sizeof(b), "%.15g", v);
    if (strtod(b, NULL) != v)
        snprintf(b, sizeof(b), "%.17g", v);
    rlb_sb_printf(out, " %s\n", b);
}

static void
prom_histogram(struct rlb_strbuf *out, const struct rlb_metric *m, const struct rlb_server *s)
{
    const struct rlb_latency *l = &s->latency;
    uint64_t cum = 0;
    char le[32];

    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS; i++) {
        cum += l->buckets[i];
        if (i < RLB_LATENCY_BUCKETS - 1)
            snprintf(le, sizeof(le), "%g", rlb_latency_bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        sample_head_in(out, m, "_bucket", s->pool_name, "server", s->name, "le", le);
        number(out, (double)cum);
    }
    sample_head_in(out, m, "_sum", s->pool_name, "server", s->name, NULL, NULL);
    number(out, l->sum);
    sample_head_in(out, m, "_count", s->pool_name, "server", s->name, NULL, NULL);
    number(out, (double)l->count);
}

/* One object's samples of metric m (obj: NULL, a client or a server). */
static void
prom_samples(const struct rlb_ctx *ctx, struct rlb_strbuf *out, const struct rlb_metric *m,
             const void *obj, const char *objname)
{
    const char *slabel = rlb_metric_scope_label(m->scope);
    const char *pool = m->scope == RLB_MS_SERVER ? ((const struct rlb_server *)obj)->pool_name
                                                 : NULL;

    switch (m->type) {
    case RLB_MT_STATE: {
        int cur = m->choice(ctx, obj);

        for (int i = 0; m->choices[i]; i++) {
            sample_head_in(out, m, "", pool, slabel, objname, m->label, m->choices[i]);
            number(out, i == cur);
        }
        break;
    }
    case RLB_MT_INFO:
        sample_head_in(out, m, "", pool, slabel, objname, m->label, m->info(ctx, obj));
        number(out, 1);
        break;
    case RLB_MT_HISTOGRAM:
        prom_histogram(out, m, obj);
        break;
    default:
        sample_head_in(out, m, "", pool, slabel, objname, NULL, NULL);
        number(out, rlb_metric_value(ctx, m, obj));
        break;
    }
}

void
rlb_metrics_prometheus(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        const char *pre = rlb_metric_prefix(m);

        rlb_sb_printf(out, "# HELP %s%s %s\n# TYPE %s%s %s\n", pre, m->prom, m->help, pre,
                      m->prom, type_names[m->type]);
        switch (m->scope) {
        case RLB_MS_GLOBAL:
            prom_samples(ctx, out, m, NULL, NULL);
            break;
        case RLB_MS_CLIENT:
            for (unsigned i = 0; i < ctx->clients.n; i++)
                prom_samples(ctx, out, m, ctx->clients.v[i], ctx->clients.v[i]->name);
            break;
        case RLB_MS_SERVER:
            for (unsigned i = 0; i < ctx->servers.n; i++)
                prom_samples(ctx, out, m, ctx->servers.v[i], ctx->servers.v[i]->name);
            break;
        case RLB_MS_POOL:
            for (unsigned i = 0; i < ctx->npools; i++)
                prom_samples(ctx, out, m, ctx->pools[i], ctx->pools[i]->name);
            break;
        case RLB_MS_RULE:
            for (unsigned i = 0; i < ctx->routes.n; i++) {
                char n[16];

                snprintf(n, sizeof(n), "%u", i + 1);
                prom_samples(ctx, out, m, &ctx->routes.v[i], n);
            }
            break;
        case RLB_MS_DROP:
            for (int i = 1; i < RLB_DROP_MAX; i++) {
                sample_head(out, m, "", "reason", rlb_drop_name((rlb_drop_t)i), NULL, NULL);
                number(out, (double)ctx->stats.drops[i]);
            }
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* radlbctl show stats                                                */

static void
text_line(const struct rlb_ctx *ctx, struct rlb_strbuf *out, const struct rlb_metric *m,
          const char *prefix, const void *obj)
{
    switch (m->type) {
    case RLB_MT_STATE:
        rlb_sb_printf(out, "%s%s %s\n", prefix, m->text, m->choices[m->choice(ctx, obj)]);
        break;
    case RLB_MT_INFO:
        rlb_sb_printf(out, "%s%s %s\n", prefix, m->text, m->info(ctx, obj));
        break;
    case RLB_MT_HISTOGRAM:
        break;                     /* in the JSON and on /metrics */
    default:
        rlb_sb_printf(out, "%s%s %.0f\n", prefix, m->text, rlb_metric_value(ctx, m, obj));
        break;
    }
}

void
rlb_metrics_text(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    char prefix[96];

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];

        if (m->scope == RLB_MS_GLOBAL) {
            text_line(ctx, out, m, "", NULL);
        } else if (m->scope == RLB_MS_DROP) {
            for (int i = 1; i < RLB_DROP_MAX; i++)
                rlb_sb_printf(out, "%s.%s %llu\n", m->text, rlb_drop_name((rlb_drop_t)i),
                              (unsigned long long)ctx->stats.drops[i]);
        }
    }
    for (unsigned i = 0; i < ctx->clients.n; i++) {
        snprintf(prefix, sizeof(prefix), "client.%s.", ctx->clients.v[i]->name);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_CLIENT)
                text_line(ctx, out, &rlb_metrics[k], prefix, ctx->clients.v[i]);
        }
    }
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        snprintf(prefix, sizeof(prefix), "server.%s.", ctx->servers.v[i]->name);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_SERVER)
                text_line(ctx, out, &rlb_metrics[k], prefix, ctx->servers.v[i]);
        }
    }
    for (unsigned i = 0; i < ctx->npools; i++) {
        snprintf(prefix, sizeof(prefix), "pool.%s.", ctx->pools[i]->name);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_POOL)
                text_line(ctx, out, &rlb_metrics[k], prefix, ctx->pools[i]);
        }
    }
    for (unsigned i = 0; i < ctx->routes.n; i++) {
        snprintf(prefix, sizeof(prefix), "route.%u.", i + 1);
        for (unsigned k = 0; k < rlb_nmetrics; k++) {
            if (rlb_metrics[k].scope == RLB_MS_RULE)
                text_line(ctx, out, &rlb_metrics[k], prefix, &ctx->routes.v[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

static json_t *
json_value(const struct rlb_ctx *ctx, const struct rlb_metric *m, const void *obj)
{
    double v;

    switch (m->type) {
    case RLB_MT_STATE:
        return json_string(m->choices[m->choice(ctx, obj)]);
    case RLB_MT_INFO:
        return json_string(m->info(ctx, obj));
    case RLB_MT_HISTOGRAM:
        return NULL;               /* the server table has the latency */
    default:
        v = rlb_metric_value(ctx, m, obj);
        return m->fraction ? json_real(v) : json_integer((json_int_t)v);
    }
}

json_t *
rlb_metrics_json_global(const struct rlb_ctx *ctx)
{
    json_t *o = json_object();
    char key[96];

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];

        if (m->scope == RLB_MS_GLOBAL) {
            json_object_set_new(o, m->text, json_value(ctx, m, NULL));
        } else if (m->scope == RLB_MS_DROP) {
            for (int i = 1; i < RLB_DROP_MAX; i++) {
                snprintf(key, sizeof(key), "%s.%s", m->text, rlb_drop_name((rlb_drop_t)i));
                json_object_set_new(o, key, json_integer((json_int_t)ctx->stats.drops[i]));
            }
        }
    }
    return o;
}

json_t *
rlb_metrics_json_of(const struct rlb_ctx *ctx, int scope, const void *obj)
{
    json_t *o = json_object();

    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        json_t *v;

        if (m->scope != scope || !(v = json_value(ctx, m, obj)))
            continue;
        json_object_set_new(o, m->text, v);
    }
    return o;
}

/* ------------------------------------------------------------------ */
/* doc/metrics.md                                                     */

void
rlb_metrics_doc(struct rlb_strbuf *out)
{
    static const char *const text_prefix[] = { "", "client.NAME.", "server.NAME.", "",
                                                "pool.NAME.", "route.N." };

    rlb_sb_printf(out,
        "# radlb metrics\n\n"
        "Every figure radlb exports, from the one list in `src/ops/metrics.c`; this file is\n"
        "the output of `radlb -M > doc/metrics.md` (t-stats.sh checks that it is up to date).\n\n"
        "The same figures appear in three places:\n\n"
        "- `GET /metrics` on the stats port: the Prometheus text format, every name\n"
        "  prefixed with `radlb_` but the `process_` figures, which keep the names of the\n"
        "  Prometheus client libraries; clients and servers are labels (`client`, `server`),\n"
        "  drops carry a `reason`, states one sample per possible value (1 for the\n"
        "  current one, 0 for the others), the master an `_info` sample with its name.\n"
        "- `GET /stats.json` and `radlbctl --json show stats`: the global figures under\n"
        "  `metrics` (by their show-stats name), each client's under `clients.NAME`,\n"
        "  each server's under `servers[].counters`, with the server table, the master,\n"
        "  the spool and Redis.\n"
        "- `radlbctl show stats`: one `name value` line each, in this order.\n\n"
        "Counters count since radlb started; gauges are values now.\n\n"
        "| Prometheus | type | labels | show stats | meaning |\n"
        "|---|---|---|---|---|\n");
    for (unsigned k = 0; k < rlb_nmetrics; k++) {
        const struct rlb_metric *m = &rlb_metrics[k];
        char labels[64] = "";

        if (m->scope == RLB_MS_SERVER)
            snprintf(labels, sizeof(labels), "server, pool");
        else if (m->scope != RLB_MS_GLOBAL)
            snprintf(labels, sizeof(labels), "%s", rlb_metric_scope_label(m->scope));
        if (m->label)
            snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), "%s%s",
                     labels[0] ? ", " : "", m->label);
        if (m->type == RLB_MT_HISTOGRAM)
            snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), ", le");
        rlb_sb_printf(out, "| `%s%s` | %s | %s | ", rlb_metric_prefix(m), m->prom,
                      m->type == RLB_MT_STATE ? "state (gauge)" :
                      m->type == RLB_MT_INFO ? "info (gauge)" : type_names[m->type],
                      labels[0] ? labels : "");
        if (m->type == RLB_MT_HISTOGRAM)
            rlb_sb_printf(out, "(JSON: `servers[].latency`) | ");
        else if (m->scope == RLB_MS_DROP)
            rlb_sb_printf(out, "`%s.REASON` | ", m->text);
        else
            rlb_sb_printf(out, "`%s%s` | ", text_prefix[m->scope], m->text);
        rlb_sb_printf(out, "%s", m->help);
        if (m->type == RLB_MT_STATE) {
            rlb_sb_printf(out, " (");
            for (int i = 0; m->choices[i]; i++)
                rlb_sb_printf(out, "%s`%s`", i ? ", " : "", m->choices[i]);
            rlb_sb_printf(out, ")");
        }
        rlb_sb_printf(out, " |\n");
    }
    rlb_sb_printf(out, "\nDrop reasons (`reason` label, `drop.REASON`):\n\n"
                  "| reason | meaning |\n|---|---|\n");
    for (int i = 1; i < RLB_DROP_MAX; i++)
        rlb_sb_printf(out, "| `%s` | %s |\n", rlb_drop_name((rlb_drop_t)i),
                      rlb_drop_help((rlb_drop_t)i));
    rlb_sb_printf(out, "\nResponse-time buckets (`le`, seconds):");
    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS - 1; i++)
        rlb_sb_printf(out, " %g", rlb_latency_bounds[i]);
    rlb_sb_printf(out, " and +Inf.\n");
}
