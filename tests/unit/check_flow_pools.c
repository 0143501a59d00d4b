/*
 * check_flow_pools.c: pools and routing rules in the request flow
 * (route.c, pool.c, forward.c's stripping) on the fuzzers' running
 * context with one more pool, "vpn" (server vpn1, its master)
 * (vpn2 its subordinate), and these rules, no default:
 *
 *   1. realm vpn.example.com, stripped          -> vpn
 *   2. realm example.com, user list moved@...   -> default, the list to vpn
 *   3. realm default.org                        -> default
 *
 * so that anything else is unroutable.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "ctx.h"
#include "flow.h"
#include "master.h"
#include "pkt.h"
#include "proxy.h"
#include "radius.h"
#include "strbuf.h"

#include "flowenv.h"
#include "../fuzz/fuzz_common.h"

static struct rlb_ctx *ctx;
static char extra[2048];

static void
start_env(void)
{
    int port = fz_free_port();

    snprintf(extra, sizeof(extra),
             "pools = ( { name = \"vpn\"; servers = ( { name = \"vpn1\"; address = \"127.0.0.1\";\n"
             "    auth_port = %d; acct_port = %d; secret = \"fuzz-server-secret-vpn1\";\n"
             "    role = \"master\"; },\n"
             "  { name = \"vpn2\"; address = \"127.0.0.1\"; auth_port = %d; acct_port = %d;\n"
             "    secret = \"fuzz-server-secret-vpn2\"; } ); } );\n"
             "routes = (\n"
             "  { realm = [ \"vpn.example.com\" ]; strip = true; pool = \"vpn\"; },\n"
             "  { realm = [ \"example.com\" ]; pool = \"default\";\n"
             "    migrate = { to = \"vpn\"; users = [ \"moved@example.com\" ]; }; },\n"
             "  { realm = [ \"default.org\" ]; pool = \"default\"; }\n"
             ");\n", port, fz_free_port(), fz_free_port(), fz_free_port());
    flow_start_with(extra);
    ctx = flow_ctx;
}

static struct rlb_pool *
pool(const char *name)
{
    for (unsigned i = 0; i < ctx->npools; i++) {
        if (strcmp(ctx->pools[i]->name, name) == 0)
            return ctx->pools[i];
    }
    ck_abort_msg("no pool %s", name);
    return NULL;
}

/* The User-Name of the last datagram in the outbox, as a C string. */
static void
last_user_name(char *buf, size_t len)
{
    uint8_t pkt[RLB_PKT_MAX];
    const uint8_t *v;
    struct rlb_pkt_info info;
    size_t n = ctx->outq->len[ctx->outq->n - 1], vl = 0;

    memcpy(pkt, flow_last_out(), n);
    ck_assert_int_eq(rlb_pkt_parse(pkt, &n, false, &info), RLB_DROP_NONE);
    v = rlb_pkt_find_attr(pkt, &info, 0, RLB_ATTR_USER_NAME, &vl);
    ck_assert_ptr_nonnull(v);
    snprintf(buf, len, "%.*s", (int)vl, (const char *)v);
}

static struct rlb_request *
send_login(uint8_t id, const char *user, const char *state)
{
    struct tpkt p;

    flow_request(&p, id, id, user, state);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    return flow_find(id);
}

START_TEST(pools_built_in_order)
{
    ck_assert_uint_eq(ctx->npools, 2);
    ck_assert_str_eq(ctx->pools[0]->name, "default");
    ck_assert(ctx->pools[0]->is_default);
    ck_assert_uint_eq(ctx->pools[0]->n, 2);
    ck_assert_str_eq(pool("vpn")->v[0]->name, "vpn1");
    ck_assert_uint_eq(pool("vpn")->n, 2);
    ck_assert_ptr_eq(flow_server("vpn1")->pool, pool("vpn"));
    ck_assert_ptr_eq(pool("vpn")->master.server, flow_server("vpn1"));
    ck_assert_ptr_eq(pool("default")->master.server, flow_server("mfa1"));
    ck_assert_uint_eq(ctx->routes.n, 3);
}
END_TEST

/* A realm routed to its pool, stripped toward it; the reply the NAS gets
 * is the server's, counted for the pool. */
START_TEST(realm_routed_and_stripped)
{
    struct rlb_request *req = send_login(1, "alice@vpn.example.com", NULL);
    char name[64];

    ck_assert_ptr_nonnull(req);
    ck_assert_str_eq(req->bsock->server->name, "vpn1");
    last_user_name(name, sizeof(name));
    ck_assert_str_eq(name, "alice");
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_ACCEPT);
    ck_assert_uint_eq(pool("vpn")->stats.requests, 1);
    ck_assert_uint_eq(pool("vpn")->stats.accepts, 1);
    ck_assert_uint_eq(pool("default")->stats.requests, 0);
    ck_assert_uint_eq(ctx->routes.v[0].matched, 1);

    /* Not stripped where the rule does not say so. */
    req = send_login(2, "bob@default.org", NULL);
    ck_assert_ptr_eq(req->bsock->server->pool, pool("default"));
    last_user_name(name, sizeof(name));
    ck_assert_str_eq(name, "bob@default.org");
}
END_TEST

/* No rule: an immediate Access-Reject with unroutable_reply_message, sent
 * to no server. */
START_TEST(unroutable_rejected_at_once)
{
    const uint8_t *out;
    size_t n0;
    uint64_t sent = flow_server("mfa1")->stats.requests + flow_server("mfa2")->stats.requests +
                    flow_server("vpn1")->stats.requests;

    n0 = ctx->outq->n;
    ck_assert_ptr_nonnull(send_login(3, "eve@nowhere.org", NULL));
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    out = flow_last_out();
    ck_assert_uint_eq(out[0], RLB_ACCESS_REJECT);
    ck_assert_ptr_nonnull(memmem(out, ctx->outq->len[ctx->outq->n - 1],
                                 ctx->conf->proxy.unroutable_message,
                                 strlen(ctx->conf->proxy.unroutable_message)));
    ck_assert_uint_eq(ctx->unroutable[0], 1);
    ck_assert_uint_eq(flow_server("mfa1")->stats.requests + flow_server("mfa2")->stats.requests +
                      flow_server("vpn1")->stats.requests, sent);
}
END_TEST

/* The rule's user list moves exactly those users; the others stay. */
START_TEST(user_list_migrates)
{
    struct rlb_request *req = send_login(4, "moved@example.com", NULL);

    ck_assert_str_eq(req->bsock->server->name, "vpn1");
    ck_assert(req->rflags & RLB_ROUTEF_MIGRATED);
    ck_assert_uint_eq(pool("vpn")->stats.migrated, 1);
    req = send_login(5, "stay@example.com", NULL);
    ck_assert_ptr_eq(req->bsock->server->pool, pool("default"));
    ck_assert_uint_eq(ctx->routes.v[1].matched, 2);
    ck_assert_uint_eq(ctx->routes.v[1].migrated, 1);
}
END_TEST

/* A challenge chain never changes pool: the rules move the user to vpn
 * between the two legs (everybody migrates), the answer still goes to
 * the server that issued the challenge; a new login of that user goes to
 * vpn. */
START_TEST(challenge_chain_keeps_its_pool)
{
    struct rlb_request *req = send_login(6, "carol@example.com", NULL);
    struct rlb_server *issuer = req->bsock->server;

    ck_assert_ptr_eq(issuer->pool, pool("default"));
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "state-carol-1"), RLB_DROP_NONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_CHALLENGE);
    ctx->routes.v[1].share = RLB_ROUTE_SHARE_MAX;
    req = send_login(7, "carol@example.com", "state-carol-1");
    ck_assert_ptr_eq(req->bsock->server, issuer);
    ck_assert_ptr_eq(req->pool, pool("default"));
    req = send_login(8, "carol@example.com", NULL);
    ck_assert_ptr_eq(req->bsock->server->pool, pool("vpn"));
}
END_TEST

/* The answer leg of a stripped login is stripped too. */
START_TEST(answer_leg_stripped_like_the_first)
{
    struct rlb_request *req = send_login(9, "dave@vpn.example.com", NULL);
    struct rlb_server *issuer = req->bsock->server;
    char name[64];

    ck_assert_ptr_eq(issuer->pool, pool("vpn"));
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "state-dave"), RLB_DROP_NONE);
    req = send_login(10, "dave@vpn.example.com", "state-dave");
    ck_assert_ptr_eq(req->bsock->server, issuer);
    last_user_name(name, sizeof(name));
    ck_assert_str_eq(name, "dave");
}
END_TEST

/* Writes go to their pool's master; a pool without one refuses them
 * while the other pool still takes its own. */
START_TEST(writes_per_pool_master)
{
    struct rlb_request *req;
    const uint8_t *out;

    req = send_login(11, "admin@default.org", NULL);        /* ^admin: a write */
    ck_assert_str_eq(req->bsock->server->name, "mfa1");
    req = send_login(12, "admin@vpn.example.com", NULL);
    ck_assert_str_eq(req->bsock->server->name, "vpn1");
    flow_server("vpn1")->health = RLB_HEALTH_DOWN;
    ck_assert(!rlb_master_takes_writes(pool("vpn")));
    ck_assert(rlb_master_takes_writes(pool("default")));
    ck_assert_ptr_nonnull(send_login(13, "admin2@vpn.example.com", NULL));
    out = flow_last_out();
    ck_assert_uint_eq(out[0], RLB_ACCESS_REJECT);
    ck_assert_uint_eq(pool("vpn")->stats.no_master_rejects, 1);
    req = send_login(14, "admin2@default.org", NULL);
    ck_assert_str_eq(req->bsock->server->name, "mfa1");
}
END_TEST

/* Promotion is per pool: vpn2 becomes vpn's master, default keeps mfa1;
 * the state file keeps one line per pool, read back at the next start. */
START_TEST(promotion_per_pool)
{
    struct rlb_strbuf out = { 0 }, err = { 0 };
    char dir[] = "/tmp/radlb-pools.XXXXXX", path[96], text[512] = "";
    struct rlb_pool *vpn = pool("vpn");
    size_t n;
    FILE *f;

    char *state_file = ctx->conf->state_file;   /* the file's "", put back at the end */

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state", dir);
    ctx->conf->state_file = path;
    ck_assert_int_eq(rlb_master_promote(ctx, flow_server("vpn2"), false, "uid 0", 0, &out, &err),
                     0);
    ck_assert_ptr_eq(vpn->master.server, flow_server("vpn2"));
    ck_assert_uint_eq(vpn->master.epoch, 1);
    ck_assert_int_eq(flow_server("vpn1")->role, RLB_ROLE_SUBORDINATE);
    ck_assert_ptr_eq(pool("default")->master.server, flow_server("mfa1"));
    ck_assert_uint_eq(pool("default")->master.epoch, 0);
    ck_assert_int_eq(flow_server("mfa1")->role, RLB_ROLE_MASTER);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "\nmaster mfa1\n"));
    ck_assert_ptr_nonnull(strstr(text, "\npool vpn 1 vpn2\n"));
    /* A write of vpn goes to its new master. */
    ck_assert_str_eq(send_login(15, "admin3@vpn.example.com", NULL)->bsock->server->name, "vpn2");
    /* The next start reads it back (the configuration still says vpn1). */
    rlb_master_stop(ctx, vpn);
    flow_server("vpn1")->role = RLB_ROLE_MASTER;
    flow_server("vpn2")->role = RLB_ROLE_SUBORDINATE;
    vpn->master.server = NULL;
    vpn->master.epoch = 0;
    ck_assert_int_eq(rlb_master_start(ctx, vpn), 0);
    ck_assert_ptr_eq(vpn->master.server, flow_server("vpn2"));
    ck_assert_uint_eq(vpn->master.epoch, 1);
    ctx->conf->state_file = state_file;
    rlb_sb_free(&out);
    rlb_sb_free(&err);
    unlink(path);
    rmdir(dir);
}
END_TEST

int
main(void)
{
    TCase *tc = tcase_create("pools");

    tcase_add_unchecked_fixture(tc, start_env, NULL);
    tcase_add_checked_fixture(tc, flow_reset, NULL);
    tcase_add_test(tc, pools_built_in_order);
    tcase_add_test(tc, realm_routed_and_stripped);
    tcase_add_test(tc, unroutable_rejected_at_once);
    tcase_add_test(tc, user_list_migrates);
    tcase_add_test(tc, challenge_chain_keeps_its_pool);
    tcase_add_test(tc, answer_leg_stripped_like_the_first);
    tcase_add_test(tc, writes_per_pool_master);
    tcase_add_test(tc, promotion_per_pool);
    return flow_run("flow_pools", tc);
}
