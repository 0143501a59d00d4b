/*
 * check_flow_health.c: server health and promotion as the request flow
 * sees them, on the running context of tests/unit/flowenv.c (mfa1 the
 * master, mfa2 a subordinate, round-robin, no probes: states are set by
 * calling health.c and master.c the way the probes and radlbctl do).
 *
 * The rules: a server that stops answering (unproven down) keeps what it
 * was sent, since it may have sent an SMS or a push and may still answer;
 * only a refusal (proven down) frees its requests for another server. A
 * challenge answer goes to its issuer or is rejected at once, never to
 * another server. A promotion moves the writes that arrive after it, not
 * the ones already at the old master.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "ctx.h"
#include "flow.h"
#include "health.h"
#include "master.h"
#include "proxy.h"
#include "radius.h"
#include "strbuf.h"

#include "flowenv.h"

static struct rlb_ctx *ctx;

static void
start_env(void)
{
    flow_start();
    ctx = flow_ctx;
}

/* The other of the two servers. */
static struct rlb_server *
other(const struct rlb_server *s)
{
    return ctx->servers.v[0] == s ? ctx->servers.v[1] : ctx->servers.v[0];
}

/* A first leg sent and left pending: its request. */
static struct rlb_request *
first_leg(struct tpkt *p, uint8_t id, const char *user)
{
    struct rlb_request *req;

    flow_request(p, id, 1, user, NULL);
    ck_assert_int_eq(flow_from_nas(p), RLB_DROP_NONE);
    req = flow_find(id);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    return req;
}

/* Probes fail (no answer): the server is down, but what it was sent stays
 * there. The NAS's retransmission goes to it again, nothing goes to the
 * other server, and its late answer still reaches the NAS. New logins go
 * to the other server meanwhile. */
START_TEST(unproven_down_keeps_its_requests)
{
    struct tpkt p, q;
    struct rlb_request *req, *fresh;
    struct rlb_server *s, *o;

    ctx->conf->health.master_serves_reads = true;
    req = first_leg(&p, 1, "alice");
    s = req->bsock->server;
    o = other(s);

    rlb_health_set_down(ctx, s, "3 probes not answered");
    ck_assert_uint_eq(s->health, RLB_HEALTH_DOWN);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(req->bsock->server, s);
    ck_assert_uint_eq(s->outstanding, 1);
    ck_assert_uint_eq(s->stats.rerouted, 0);

    ctx->conf->proxy.retransmit_damping = 0;
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_ptr_eq(flow_find(1), req);
    ck_assert_ptr_eq(req->bsock->server, s);
    ck_assert_uint_eq(s->stats.retransmissions, 1);
    ck_assert_uint_eq(o->stats.requests, 0);

    fresh = first_leg(&q, 2, "bob");
    ck_assert_ptr_eq(fresh->bsock->server, o);

    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_ACCEPT);
    ck_assert_uint_eq(flow_last_out()[1], 1);
    ck_assert_uint_eq(s->outstanding, 0);
}
END_TEST

/* ICMP port unreachable: the server never read them. Its requests wait
 * for the NAS's next retransmission (nothing is sent on radlb's own
 * initiative), which goes to the other server; the server is counted
 * down and takes no new login until it is up again. */
START_TEST(proven_down_frees_its_requests)
{
    struct tpkt p, q;
    struct rlb_request *req, *fresh;
    struct rlb_server *s, *o;
    unsigned n;

    ctx->conf->health.master_serves_reads = true;
    req = first_leg(&p, 3, "carol");
    s = req->bsock->server;
    o = other(s);
    n = ctx->outq->n;

    rlb_health_port_unreachable(ctx, s, RLB_KIND_AUTH);
    ck_assert_uint_eq(s->health, RLB_HEALTH_DOWN);
    ck_assert_uint_eq(s->stats.went_down, 1);
    ck_assert_uint_eq(req->state, RLB_REQ_REROUTE);
    ck_assert_uint_eq(s->outstanding, 0);
    ck_assert_uint_eq(ctx->outq->n, n);                /* nothing sent yet */

    fresh = first_leg(&q, 4, "dave");
    ck_assert_ptr_eq(fresh->bsock->server, o);

    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(req->bsock->server, o);
    ck_assert_uint_eq(o->outstanding, 2);

    rlb_health_set_up(ctx, s, "probe answered");
    ck_assert_uint_eq(s->health, RLB_HEALTH_UP);
    fresh = first_leg(&q, 5, "erin");
    ck_assert_ptr_eq(fresh->bsock->server, s);         /* round-robin's turn */
}
END_TEST

/* An answer to a challenge whose issuer is down (proven or not) is
 * rejected by radlb at once with the reject message: the other server
 * does not know the code and would reject it too, after a second prompt
 * at best. Draining keeps the issuer's challenges. */
START_TEST(challenge_answer_to_a_down_issuer_is_rejected)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_server *s;

    ctx->conf->health.master_serves_reads = true;
    req = first_leg(&p, 6, "frank");
    s = req->bsock->server;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "otp-6"), RLB_DROP_NONE);

    /* draining: the answer still goes to the issuer */
    rlb_health_set_admin(ctx, s, RLB_ADMIN_DRAINING, "test");
    flow_request(&p, 7, 2, "frank", "otp-6");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(7);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(req->bsock->server, s);
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "otp-6b"), RLB_DROP_NONE);

    /* down without proof: rejected here, nothing sent to the other */
    rlb_health_set_down(ctx, s, "3 probes not answered");
    flow_request(&p, 8, 3, "frank", "otp-6b");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(8);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_uint_eq(flow_last_out()[1], 8);
    ck_assert_uint_eq(s->stats.pinned_rejects, 1);
    ck_assert_uint_eq(other(s)->stats.requests, 0);
}
END_TEST

/* A write (User-Name ^admin in the fuzz configuration) goes to the
 * master. After radlbctl promote, new writes go to the new master, the
 * epoch moves on, and the write already at the old master stays there:
 * its answer is still relayed. */
START_TEST(promotion_moves_new_writes_only)
{
    struct rlb_server *m1 = flow_server("mfa1"), *m2 = flow_server("mfa2");
    struct rlb_strbuf out = { 0 }, err = { 0 };
    struct rlb_request *w1, *w2;
    uint64_t epoch = ctx->pools[0]->master.epoch;
    struct tpkt p, q;

    ck_assert_ptr_eq(ctx->pools[0]->master.server, m1);
    w1 = first_leg(&p, 9, "admin-1");
    ck_assert_ptr_eq(w1->bsock->server, m1);

    ck_assert_int_eq(rlb_master_promote(ctx, m2, false, "uid 0", 0, &out, &err), 0);
    ck_assert_ptr_eq(ctx->pools[0]->master.server, m2);
    ck_assert_uint_eq(ctx->pools[0]->master.epoch, epoch + 1);
    ck_assert_uint_eq(m2->role, RLB_ROLE_MASTER);
    ck_assert_uint_eq(m1->role, RLB_ROLE_SUBORDINATE);
    ck_assert_ptr_nonnull(strstr(out.p, "mfa2 is the master"));

    w2 = first_leg(&q, 10, "admin-2");
    ck_assert_ptr_eq(w2->bsock->server, m2);
    ck_assert_ptr_eq(w1->bsock->server, m1);
    ck_assert_uint_eq(w1->state, RLB_REQ_PENDING);
    ck_assert_int_eq(flow_from_server(w1, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_ACCEPT);
    ck_assert_uint_eq(flow_last_out()[1], 9);
    ck_assert_uint_eq(m2->stats.requests, 1);
    rlb_sb_free(&out);
    rlb_sb_free(&err);
}
END_TEST

/* A down or maintained server is refused as master unless forced; the
 * refusal changes nothing. Promoting the master is refused too. */
START_TEST(promotion_refusals)
{
    struct rlb_server *m1 = flow_server("mfa1"), *m2 = flow_server("mfa2");
    struct rlb_strbuf out = { 0 }, err = { 0 };
    uint64_t epoch = ctx->pools[0]->master.epoch;

    ck_assert_int_eq(rlb_master_promote(ctx, m1, false, "uid 0", 0, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.p, "already the master"));

    rlb_health_set_down(ctx, m2, "3 probes not answered");
    rlb_sb_free(&err);
    ck_assert_int_eq(rlb_master_promote(ctx, m2, false, "uid 0", 0, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.p, "is down"));
    ck_assert_ptr_eq(ctx->pools[0]->master.server, m1);
    ck_assert_uint_eq(ctx->pools[0]->master.epoch, epoch);

    rlb_health_set_up(ctx, m2, "probe answered");
    rlb_health_set_admin(ctx, m2, RLB_ADMIN_MAINTENANCE, "test");
    rlb_sb_free(&err);
    ck_assert_int_eq(rlb_master_promote(ctx, m2, false, "uid 0", 0, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.p, "maintenance"));
    ck_assert_ptr_eq(ctx->pools[0]->master.server, m1);

    ck_assert_int_eq(rlb_master_promote(ctx, m2, true, "uid 0", 0, &out, &err), 0);
    ck_assert_ptr_eq(ctx->pools[0]->master.server, m2);
    ck_assert_uint_eq(ctx->pools[0]->master.epoch, epoch + 1);
    rlb_sb_free(&out);
    rlb_sb_free(&err);
}
END_TEST

/* The master down: a write is rejected at once with the no-master
 * message (never sent to a subordinate), and counted; once the master is
 * up again the next write goes to it. */
START_TEST(write_without_a_master_is_rejected)
{
    struct rlb_server *m1 = flow_server("mfa1"), *m2 = flow_server("mfa2");
    struct tpkt p;
    struct rlb_request *req;

    rlb_health_set_down(ctx, m1, "3 probes not answered");
    ck_assert(!rlb_master_takes_writes(ctx->pools[0]));
    flow_request(&p, 11, 1, "admin-3", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(11);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_uint_eq(ctx->stats.no_master_rejects, 1);
    ck_assert_uint_eq(m2->stats.requests, 0);

    rlb_health_set_up(ctx, m1, "probe answered");
    ck_assert(rlb_master_takes_writes(ctx->pools[0]));
    req = first_leg(&p, 12, "admin-4");
    ck_assert_ptr_eq(req->bsock->server, m1);
}
END_TEST

int
main(void)
{
    TCase *tc = tcase_create("flow_health");

    tcase_add_unchecked_fixture(tc, start_env, NULL);
    tcase_add_checked_fixture(tc, flow_reset, NULL);
    tcase_add_test(tc, unproven_down_keeps_its_requests);
    tcase_add_test(tc, proven_down_frees_its_requests);
    tcase_add_test(tc, challenge_answer_to_a_down_issuer_is_rejected);
    tcase_add_test(tc, promotion_moves_new_writes_only);
    tcase_add_test(tc, promotion_refusals);
    tcase_add_test(tc, write_without_a_master_is_rejected);
    return flow_run("flow_health", tc);
}
