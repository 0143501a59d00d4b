/*
 * check_flow_limits.c: the prompt budgets in the request flow
 * (limitflow.c) on the fuzzers' running context with
 *
 *   limits = { prompts = ( { window = 600.0; max = 3; } );
 *              by = [ "user", "calling-station" ]; allow_users = [ "svc" ]; };
 *
 * A blocked first leg is answered here and reaches no server; answers to
 * open challenges always pass; allow-listed users are never counted; with
 * count = "challenge" only first legs that prompted count.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "ctx.h"
#include "flow.h"
#include "proxy.h"
#include "radius.h"

#include "flowenv.h"

static struct rlb_ctx *ctx;

static void
start_env(void)
{
    flow_start_with("limits = { prompts = ( { window = 600.0; max = 3; } );\n"
                    "  by = [ \"user\", \"calling-station\" ]; allow_users = [ \"svc\" ]; };\n");
    ctx = flow_ctx;
}

static uint64_t
sent(void)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < ctx->servers.n; i++)
        n += ctx->servers.v[i]->stats.requests;
    return n;
}

/* A first leg (or an answer with state) of user, from station (NULL:
 * none); the request, and whether radlb answered it itself. */
static struct rlb_request *
leg(uint8_t id, const char *user, const char *station, const char *state, bool *local)
{
    struct tpkt p;
    uint64_t before = sent();
    struct rlb_request *req;

    flow_request(&p, id, id, user, state);
    if (station)
        tp_attr(&p, RLB_ATTR_CALLING_STATION_ID, station, strlen(station));
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(id);
    ck_assert_ptr_nonnull(req);
    *local = sent() == before;
    return req;
}

static bool
rejected_with_message(void)
{
    const uint8_t *out = flow_last_out();
    const char *m = ctx->conf->limits.reply_message;

    return out[0] == RLB_ACCESS_REJECT &&
           memmem(out, ctx->outq->len[ctx->outq->n - 1], m, strlen(m)) != NULL;
}

START_TEST(fourth_first_leg_rejected_here)
{
    bool local;

    for (uint8_t i = 1; i <= 3; i++) {
        leg(i, "alice", NULL, NULL, &local);
        ck_assert_msg(!local, "first leg %u reached a server", i);
    }
    leg(4, "alice", NULL, NULL, &local);
    ck_assert(local);
    ck_assert(rejected_with_message());
    ck_assert_uint_eq(ctx->limits.stats.blocked[RLB_LIMIT_USER], 1);
    ck_assert_uint_eq(ctx->limits.stats.prompts, 3);
    leg(5, "bob", NULL, NULL, &local);
    ck_assert(!local);                         /* another user is not affected */
}
END_TEST

/* The answer to an open challenge passes whatever the budget says. */
START_TEST(answer_to_open_challenge_passes)
{
    struct rlb_request *req;
    struct rlb_server *issuer;
    bool local;

    req = leg(10, "carol", NULL, NULL, &local);
    issuer = req->bsock->server;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "st-carol"), RLB_DROP_NONE);
    leg(11, "carol", NULL, NULL, &local);
    leg(12, "carol", NULL, NULL, &local);
    leg(13, "carol", NULL, NULL, &local);
    ck_assert(local && rejected_with_message());
    req = leg(14, "carol", NULL, "st-carol", &local);
    ck_assert(!local);
    ck_assert_ptr_eq(req->bsock->server, issuer);
}
END_TEST

START_TEST(allow_listed_never_counted)
{
    bool local;

    for (uint8_t i = 20; i < 26; i++) {
        leg(i, "svc", NULL, NULL, &local);
        ck_assert(!local);
    }
    ck_assert_uint_eq(ctx->limits.stats.allowed, 6);
    ck_assert_uint_eq(ctx->limits.stats.prompts, 0);
}
END_TEST

/* Many User-Names from one Calling-Station-Id (SMS pumping). */
START_TEST(calling_station_budget)
{
    char user[16];
    bool local;

    for (uint8_t i = 0; i < 3; i++) {
        snprintf(user, sizeof(user), "pump%u", i);
        leg((uint8_t)(30 + i), user, "+44-1234", NULL, &local);
        ck_assert(!local);
    }
    leg(33, "pump3", "+44-1234", NULL, &local);
    ck_assert(local && rejected_with_message());
    ck_assert_uint_eq(ctx->limits.stats.blocked[RLB_LIMIT_STATION], 1);
    leg(34, "pump4", "+44-9999", NULL, &local);
    ck_assert(!local);
}
END_TEST

/* count = "challenge": a first leg counts while in flight; an
 * Access-Accept without challenge takes its prompt back, an
 * Access-Challenge keeps it. */
START_TEST(challenge_mode_counts_prompts_only)
{
    struct rlb_request *req;
    bool local;

    ctx->conf->limits.count = RLB_LIMIT_COUNT_CHALLENGE;
    for (uint8_t i = 40; i < 46; i++) {
        req = leg(i, "plain", NULL, NULL, &local);
        ck_assert(!local);
        ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    }
    ck_assert_uint_eq(ctx->limits.stats.prompts, 6);
    ck_assert_uint_eq(ctx->limits.stats.released, 6);
    for (uint8_t i = 50; i < 53; i++) {
        req = leg(i, "otpuser", NULL, NULL, &local);
        ck_assert(!local);
        ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "st-otp"), RLB_DROP_NONE);
    }
    ck_assert_uint_eq(ctx->limits.stats.released, 6);
    leg(53, "otpuser", NULL, NULL, &local);
    ck_assert(local && rejected_with_message());
}
END_TEST

/* count = "challenge" and a burst: first legs in flight count, so the
 * fourth of four sent before any reply is rejected. */
START_TEST(challenge_mode_burst_in_flight)
{
    bool local;

    ctx->conf->limits.count = RLB_LIMIT_COUNT_CHALLENGE;
    for (uint8_t i = 60; i < 63; i++) {
        leg(i, "burst", NULL, NULL, &local);
        ck_assert(!local);
    }
    leg(63, "burst", NULL, NULL, &local);
    ck_assert(local && rejected_with_message());
}
END_TEST

int
main(void)
{
    TCase *tc = tcase_create("limits");

    tcase_add_unchecked_fixture(tc, start_env, NULL);
    tcase_add_checked_fixture(tc, flow_reset, NULL);
    tcase_add_test(tc, fourth_first_leg_rejected_here);
    tcase_add_test(tc, answer_to_open_challenge_passes);
    tcase_add_test(tc, allow_listed_never_counted);
    tcase_add_test(tc, calling_station_budget);
    tcase_add_test(tc, challenge_mode_counts_prompts_only);
    tcase_add_test(tc, challenge_mode_burst_in_flight);
    return flow_run("flow_limits", tc);
}
