/*
 * check_metrics.c: unit tests of src/ops/metrics.c: the list is well formed
 * (Prometheus names, one per family, counters ending in _total, help for
 * each), every counter of stats.h is in it, and the writers agree: a value
 * set in the running state shows up in the Prometheus text, the show-stats
 * lines and the JSON, under the names doc/metrics.md gives.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "metrics.h"

#include "testutil.h"

static struct rlb_ctx ctx;
static struct rlb_client cl, *clv[1] = { &cl };
static struct rlb_server srv[2], *srvv[2] = { &srv[0], &srv[1] };
static struct rlb_strbuf out;
static struct rlb_pool pool, *poolv[1] = { &pool };

static void
setup(void)
{
    memset(&ctx, 0, sizeof(ctx));
    memset(&cl, 0, sizeof(cl));
    memset(srv, 0, sizeof(srv));
    memset(&out, 0, sizeof(out));
    ctx.loop = ev_loop_new(EVFLAG_AUTO);
    ctx.started = ev_now(ctx.loop) - 12;
    cl.name = "nas-1";
    ctx.clients.v = clv;
    ctx.clients.n = 1;
    srv[0].name = "mfa1";
    srv[0].role = RLB_ROLE_MASTER;
    srv[1].name = "mfa2";
    srv[1].health = RLB_HEALTH_DOWN;
    ctx.servers.v = srvv;
    ctx.servers.n = 2;
    memset(&pool, 0, sizeof(pool));
    snprintf(pool.name, sizeof(pool.name), "default");
    pool.is_default = true;
    pool.ctx = &ctx;
    pool.v = srvv;
    pool.n = 2;
    pool.master.server = &srv[0];
    pool.master.epoch = 7;
    pool.master.available = true;
    snprintf(srv[0].pool_name, sizeof(srv[0].pool_name), "default");
    snprintf(srv[1].pool_name, sizeof(srv[1].pool_name), "default");
    srv[0].pool = srv[1].pool = &pool;
    ctx.pools = poolv;
    ctx.npools = 1;
}

static void
teardown(void)
{
    rlb_sb_free(&out);
    ev_loop_destroy(ctx.loop);
}

static bool
has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)); p++) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------ */

START_TEST(names_are_prometheus_and_unique)
{
    for (unsigned i = 0; i < rlb_nmetrics; i++) {
        const struct rlb_metric *m = &rlb_metrics[i];
        size_t n = strlen(m->prom);

        ck_assert_msg(n > 0 && (islower((unsigned char)m->prom[0]) || m->prom[0] == '_'), "%s", m->prom);
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(islower((unsigned char)m->prom[k]) || isdigit((unsigned char)m->prom[k]) ||
                              m->prom[k] == '_', "%s: character %zu", m->prom, k);
        ck_assert_msg(m->help && m->help[0], "%s has no help", m->prom);
        ck_assert_msg(strchr(m->help, '\n') == NULL, "%s: help on one line", m->prom);
        if (m->type == RLB_MT_COUNTER)
            ck_assert_msg(n > 6 && strcmp(m->prom + n - 6, "_total") == 0, "counter %s", m->prom);
        else
            ck_assert_msg(n < 6 || strcmp(m->prom + n - 6, "_total") != 0, "gauge %s", m->prom);
        for (unsigned j = 0; j < i; j++) {
            ck_assert_msg(strcmp(rlb_metrics[j].prom, m->prom) != 0, "%s twice", m->prom);
            ck_assert_msg(rlb_metrics[j].scope != m->scope || strcmp(rlb_metrics[j].text, m->text) != 0,
                          "show stats name %s twice in one scope", m->text);
        }
        if (m->type == RLB_MT_STATE)
            ck_assert(m->choices && m->choices[0] && m->choice && m->label);
        if (m->type == RLB_MT_INFO)
            ck_assert(m->info && m->label);
    }
}
END_TEST

static const struct rlb_metric *
find(const char *prom)
{
    for (unsigned i = 0; i < rlb_nmetrics; i++) {
        if (strcmp(rlb_metrics[i].prom, prom) == 0)
            return &rlb_metrics[i];
    }
    return NULL;
}

/* Every counter of stats.h is exported, under its own name. */
START_TEST(every_counter_is_listed)
{
#define G(name, help) ck_assert_ptr_nonnull(find(#name "_total"));
    RLB_GLOBAL_COUNTERS(G)
#undef G
#define C(name, help) ck_assert_ptr_nonnull(find("client_" #name "_total"));
    RLB_CLIENT_COUNTERS(C)
#undef C
#define S(name, help) ck_assert_ptr_nonnull(find("server_" #name "_total"));
    RLB_SERVER_COUNTERS(S)
#undef S
    ck_assert_ptr_nonnull(find("drops_total"));
    ck_assert_ptr_nonnull(find("server_response_seconds"));
}
END_TEST

START_TEST(writers_agree)
{
    json_t *g, *c;

    ctx.stats.requests = 41;
    ctx.stats.drops[RLB_DROP_UNKNOWN_CLIENT] = 3;
    cl.stats.retransmissions = 5;
    srv[0].stats.access_accepts = 9;
    srv[0].outstanding = 2;
    rlb_latency_add(&srv[0].latency, 0.002);
    rlb_latency_add(&srv[0].latency, 0.2);

    rlb_metrics_prometheus(&ctx, &out);
    ck_assert(has_line(out.p, "radlb_requests_total 41"));
    ck_assert(has_line(out.p, "radlb_drops_total{reason=\"unknown_client\"} 3"));
    ck_assert(has_line(out.p, "radlb_client_retransmissions_total{client=\"nas-1\"} 5"));
    ck_assert(has_line(out.p, "radlb_server_access_accepts_total{server=\"mfa1\",pool=\"default\"} 9"));
    ck_assert(has_line(out.p, "radlb_server_outstanding{server=\"mfa1\",pool=\"default\"} 2"));
    ck_assert(has_line(out.p, "radlb_server_state{server=\"mfa2\",pool=\"default\",state=\"down\"} 1"));
    ck_assert(has_line(out.p, "radlb_server_state{server=\"mfa2\",pool=\"default\",state=\"up\"} 0"));
    ck_assert(has_line(out.p, "radlb_server_role{server=\"mfa1\",pool=\"default\",role=\"master\"} 1"));
    ck_assert(has_line(out.p, "radlb_master_info{server=\"mfa1\"} 1"));
    ck_assert(has_line(out.p, "radlb_master_epoch 7"));
    ck_assert(has_line(out.p, "radlb_redis_state{state=\"off\"} 1"));
    ck_assert(has_line(out.p, "radlb_server_response_seconds_bucket{server=\"mfa1\",pool=\"default\",le=\"0.0025\"} 1"));
    ck_assert(has_line(out.p, "radlb_server_response_seconds_bucket{server=\"mfa1\",pool=\"default\",le=\"0.5\"} 2"));
    ck_assert(has_line(out.p, "radlb_server_response_seconds_bucket{server=\"mfa1\",pool=\"default\",le=\"+Inf\"} 2"));
    ck_assert(has_line(out.p, "radlb_server_response_seconds_count{server=\"mfa1\",pool=\"default\"} 2"));
    ck_assert(has_line(out.p, "# TYPE radlb_server_response_seconds histogram"));
    ck_assert(has_line(out.p, "# TYPE radlb_requests_total counter"));
    ck_assert_ptr_nonnull(strstr(out.p, "\nradlb_uptime_seconds 12"));
    ck_assert(has_line(out.p, "radlb_build_info{version=\"" PACKAGE_VERSION "\"} 1"));
    ck_assert(has_line(out.p, "# TYPE process_resident_memory_bytes gauge"));
    ck_assert(has_line(out.p, "# TYPE process_cpu_seconds_total counter"));
    ck_assert_ptr_null(strstr(out.p, "radlb_process_"));
    ck_assert_ptr_nonnull(strstr(out.p, "\nradlb_master_lost_timestamp_seconds 0\n"));
    rlb_sb_free(&out);

    rlb_metrics_text(&ctx, &out);
    ck_assert(has_line(out.p, "requests 41"));
    ck_assert(has_line(out.p, "drop.unknown_client 3"));
    ck_assert(has_line(out.p, "client.nas-1.retransmissions 5"));
    ck_assert(has_line(out.p, "server.mfa1.access_accepts 9"));
    ck_assert(has_line(out.p, "server.mfa2.state down"));
    ck_assert(has_line(out.p, "server.mfa1.role master"));
    ck_assert(has_line(out.p, "master.name mfa1"));
    ck_assert(has_line(out.p, "redis.state off"));
    ck_assert(has_line(out.p, "uptime_seconds 12"));

    g = rlb_metrics_json_global(&ctx);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "requests")), 41);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "drop.unknown_client")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(g, "master.name")), "mfa1");
    ck_assert(json_is_real(json_object_get(g, "uptime_seconds")));
    c = rlb_metrics_json_of(&ctx, RLB_MS_SERVER, &srv[1]);
    ck_assert_str_eq(json_string_value(json_object_get(c, "state")), "down");
    ck_assert_ptr_null(json_object_get(c, "latency"));   /* the histogram is in the server table */
    json_decref(g);
    json_decref(c);
}
END_TEST

/* The documentation lists every family and every drop reason. */
START_TEST(doc_lists_everything)
{
    char name[128];

    rlb_metrics_doc(&out);
    for (unsigned i = 0; i < rlb_nmetrics; i++) {
        snprintf(name, sizeof(name), "| `%s%s` |", rlb_metric_prefix(&rlb_metrics[i]),
                 rlb_metrics[i].prom);
        ck_assert_msg(strstr(out.p, name), "%s not in the doc", name);
    }
    for (int i = 1; i < RLB_DROP_MAX; i++) {
        snprintf(name, sizeof(name), "| `%s` |", rlb_drop_name((rlb_drop_t)i));
        ck_assert_msg(strstr(out.p, name), "drop reason %s not in the doc", name);
    }
}
END_TEST

static Suite *
metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("list");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, names_are_prometheus_and_unique);
    tcase_add_test(tc, every_counter_is_listed);
    tcase_add_test(tc, writers_agree);
    tcase_add_test(tc, doc_lists_everything);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(metrics_suite());
}
