/*
 * flowenv.c: the running context of the flow's Check tests (flowenv.h).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flowenv.h"
#include "flow.h"
#include "master.h"
#include "proxy.h"
#include "radius.h"

#include "../fuzz/fuzz_common.h"

struct rlb_ctx *flow_ctx;

static struct fz_env env;
static union rlb_sockaddr nas;     /* client "plain" */
/* the configuration's, put back before each test */
static double damping;
static bool serves_reads;
/* each pool's master and epoch, each server's role, at the start */
#define MAX_POOLS 8
#define MAX_SERVERS 16
static struct rlb_server *masters[MAX_POOLS];
static uint64_t epochs[MAX_POOLS];
static int roles[MAX_SERVERS];
static int limit_count;

void
flow_start(void)
{
    flow_start_with("");
}

void
flow_start_with(const char *extra)
{
    fz_env_start_with(&env, extra);
    flow_ctx = &env.ctx;
    fz_client_addr(0, &nas);
    damping = flow_ctx->conf->proxy.retransmit_damping;
    serves_reads = flow_ctx->conf->health.master_serves_reads;
    ck_assert_uint_le(flow_ctx->npools, MAX_POOLS);
    ck_assert_uint_le(flow_ctx->servers.n, MAX_SERVERS);
    for (unsigned i = 0; i < flow_ctx->npools; i++) {
        masters[i] = flow_ctx->pools[i]->master.server;
        epochs[i] = flow_ctx->pools[i]->master.epoch;
    }
    for (unsigned i = 0; i < flow_ctx->servers.n; i++)
        roles[i] = flow_ctx->servers.v[i]->role;
    limit_count = flow_ctx->conf->limits.count;
}

void
flow_reset(void)
{
    struct rlb_ctx *ctx = flow_ctx;

    fz_env_reset(&env);
    ctx->conf->proxy.retransmit_damping = damping;
    ctx->conf->health.master_serves_reads = serves_reads;
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        struct rlb_server *s = ctx->servers.v[i];

        s->health = RLB_HEALTH_UP;
        s->admin = RLB_ADMIN_ENABLED;
        s->role = roles[i];
        memset(&s->stats, 0, sizeof(s->stats));
    }
    for (unsigned i = 0; i < ctx->npools; i++) {
        ctx->pools[i]->master.server = masters[i];
        ctx->pools[i]->master.epoch = epochs[i];
        memset(&ctx->pools[i]->stats, 0, sizeof(ctx->pools[i]->stats));
    }
    for (unsigned i = 0; i < ctx->routes.n; i++) {
        ctx->routes.v[i].matched = ctx->routes.v[i].migrated = 0;
        ctx->routes.v[i].share = ctx->conf->routes[i].share_bp;
    }
    ctx->unroutable[0] = ctx->unroutable[1] = 0;
    while (rlb_limits_next(&ctx->limits, NULL))
        rlb_limits_forget(&ctx->limits, rlb_limits_next(&ctx->limits, NULL)->key);
    memset(&ctx->limits.stats, 0, sizeof(ctx->limits.stats));
    ctx->conf->limits.count = limit_count;
    for (unsigned i = 0; i < ctx->clients.n; i++)
        memset(&ctx->clients.v[i]->stats, 0, sizeof(ctx->clients.v[i]->stats));
    memset(&ctx->stats, 0, sizeof(ctx->stats));
}

void
flow_request(struct tpkt *p, uint8_t id, uint8_t seed, const char *user, const char *state)
{
    uint8_t auth[16];

    memset(auth, seed, sizeof(auth));
    tp_init(p, RLB_ACCESS_REQUEST, id, auth);
    tp_attr(p, RLB_ATTR_USER_NAME, user, strlen(user));
    if (state)
        tp_attr(p, RLB_ATTR_STATE, state, strlen(state));
}

rlb_drop_t
flow_from_nas(const struct tpkt *p)
{
    uint8_t copy[RLB_PKT_MAX];

    memcpy(copy, p->b, p->len);
    return rlb_proxy_client_packet(flow_ctx, fz_listener(&env, RLB_LISTEN_AUTH), NULL, copy,
                                   p->len, &nas, NULL);
}

struct rlb_request *
flow_find(uint8_t id)
{
    struct rlb_listener *l = fz_listener(&env, RLB_LISTEN_AUTH);
    struct rlb_dedup *d = &flow_ctx->dedup;

    return rlb_dedup_find(d, rlb_dedup_hash(d, l, &nas, id), l, &nas, id);
}

rlb_drop_t
flow_from_server(struct rlb_request *req, uint8_t code, const char *state)
{
    struct rlb_server *s = req->bsock->server;
    struct tpkt p;

    tp_init(&p, code, req->proxied_id, NULL);
    tp_ma(&p);
    if (state)
        tp_attr(&p, RLB_ATTR_STATE, state, strlen(state));
    fz_sign_reply(p.b, p.len, req->proxied_auth, &s->secret);
    return rlb_proxy_server_packet(flow_ctx, req->bsock, p.b, p.len);
}

const uint8_t *
flow_last_out(void)
{
    ck_assert_uint_gt(flow_ctx->outq->n, 0);
    return flow_ctx->outq->buf[flow_ctx->outq->n - 1];
}

struct rlb_server *
flow_server(const char *name)
{
    for (unsigned i = 0; i < flow_ctx->servers.n; i++)
        if (strcmp(flow_ctx->servers.v[i]->name, name) == 0)
            return flow_ctx->servers.v[i];
    ck_abort_msg("no server %s", name);
    return NULL;
}

int
flow_run(const char *name, TCase *tc)
{
    Suite *s = suite_create(name);
    SRunner *sr;
    int failed;

    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
