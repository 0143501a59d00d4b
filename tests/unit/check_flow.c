/*
 * check_flow.c: the request flow (ingress, route, forward, reply,
 * timeout, request.c) on a running context: the fuzzers' environment
 * (tests/fuzz/fuzz_common.c: two servers, round-robin, real sockets that
 * are never flushed), packets handed to rlb_proxy_client_packet and
 * rlb_proxy_server_packet, and what the flow did read from the requests,
 * the counters and the outbox.
 *
 * Each test runs in its own process (Check's fork mode), from the context
 * the unchecked fixture started (tests/unit/flowenv.c): servers up, no
 * request.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <string.h>

#include "ctx.h"
#include "flow.h"
#include "health.h"
#include "proxy.h"
#include "radius.h"

#include "flowenv.h"

static struct rlb_ctx *ctx;

static void
start_env(void)
{
    flow_start();
    ctx = flow_ctx;
}

/* A NAS's retransmission goes to the same server with the same Identifier
 * and the same bytes, at most once per retransmit_damping. */
START_TEST(retransmission_to_the_same_server)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_server *s;
    unsigned n0;

    flow_request(&p, 1, 1, "alice", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(1);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    s = req->bsock->server;
    n0 = ctx->outq->n;
    ck_assert_uint_eq(flow_last_out()[1], req->proxied_id);

    /* within the damping interval (the loop's clock has not moved) */
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_uint_eq(s->stats.retransmissions_absorbed, 1);
    ck_assert_uint_eq(ctx->outq->n, n0);

    ctx->conf->proxy.retransmit_damping = 0;
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_ptr_eq(flow_find(1), req);
    ck_assert_uint_eq(s->stats.retransmissions, 1);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_int_eq(ctx->outq->fd[n0], ctx->outq->fd[n0 - 1]);
    ck_assert_uint_eq(ctx->outq->len[n0], ctx->outq->len[n0 - 1]);
    ck_assert_mem_eq(ctx->outq->buf[n0], ctx->outq->buf[n0 - 1], ctx->outq->len[n0]);
    ck_assert_uint_eq(s->stats.requests, 1);
}
END_TEST

/* RFC 5080 2.2.2: the same Identifier with a new authenticator is a new
 * request; the old one's reply is dropped, the new one waits for its own. */
START_TEST(new_authenticator_supersedes)
{
    struct tpkt p;
    struct rlb_request *old, *cur;
    uint64_t dropped = ctx->stats.drops[RLB_DROP_SUPERSEDED];

    flow_request(&p, 2, 1, "bob", NULL);
    flow_from_nas(&p);
    old = flow_find(2);
    flow_request(&p, 2, 2, "bob", NULL);
    flow_from_nas(&p);
    cur = flow_find(2);
    ck_assert_ptr_nonnull(cur);
    ck_assert_ptr_ne(cur, old);
    ck_assert_uint_eq(old->state, RLB_REQ_SUPERSEDED);
    ck_assert_uint_eq(cur->state, RLB_REQ_PENDING);
    /* the old one still holds its Identifier */
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 2);

    ck_assert_int_eq(flow_from_server(old, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(ctx->stats.drops[RLB_DROP_SUPERSEDED], dropped + 1);
    ck_assert_uint_eq(old->state, RLB_REQ_NEW);     /* freed */
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 1);
    ck_assert_uint_eq(cur->state, RLB_REQ_PENDING);
}
END_TEST

/* A reply is cached: a retransmission after it gets the same bytes, and
 * nothing goes to a server again. */
START_TEST(reply_cached_for_retransmissions)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_client *c;
    uint8_t first[RLB_PKT_MAX];
    uint16_t flen;
    unsigned n;

    flow_request(&p, 3, 1, "carol", NULL);
    flow_from_nas(&p);
    req = flow_find(3);
    c = req->client;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_REJECT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->done), 1);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 0);
    n = ctx->outq->n;
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_uint_eq(flow_last_out()[1], 3);
    flen = ctx->outq->len[n - 1];
    memcpy(first, flow_last_out(), flen);

    flow_from_nas(&p);
    ck_assert_uint_eq(c->stats.duplicates, 1);
    ck_assert_uint_eq(ctx->outq->n, n + 1);
    ck_assert_uint_eq(ctx->outq->len[n], flen);
    ck_assert_mem_eq(ctx->outq->buf[n], first, flen);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 0);
}
END_TEST

/* A server that stops answering keeps its requests (it may have sent an
 * SMS); one that refused them (ICMP port unreachable) never processed
 * them: the NAS's next retransmission goes to the other server. */
START_TEST(reroute_only_after_a_refusal)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_server *s;

    flow_request(&p, 4, 1, "dave", NULL);
    flow_from_nas(&p);
    req = flow_find(4);
    s = req->bsock->server;

    rlb_proxy_server_down(ctx, s, false);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(req->bsock->server, s);

    rlb_health_port_unreachable(ctx, s, RLB_KIND_AUTH);
    ck_assert_uint_eq(s->health, RLB_HEALTH_DOWN);
    ck_assert_uint_eq(req->state, RLB_REQ_REROUTE);
    ck_assert_uint_eq(s->stats.rerouted, 1);
    ck_assert_uint_eq(s->outstanding, 0);

    flow_from_nas(&p);
    ck_assert_ptr_eq(flow_find(4), req);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_ne(req->bsock->server, s);
    ck_assert_uint_eq(req->bsock->server->outstanding, 1);
}
END_TEST

/* Each answer to a challenge goes to the server that issued it, whatever
 * the balancer's turn; when that server refuses, the open challenge is
 * rejected at once (only it knew the code). */
START_TEST(challenge_answers_go_to_their_issuer)
{
    char state[32];
    struct rlb_server *issuer[4];
    struct tpkt p;

    ctx->conf->health.master_serves_reads = true;  /* both servers take first legs */
    for (unsigned i = 0; i < 4; i++) {
        struct rlb_request *req;
        char user[16];

        snprintf(user, sizeof(user), "erin%u", i);
        flow_request(&p, (uint8_t)(10 + i), 1, user, NULL);
        flow_from_nas(&p);
        req = flow_find((uint8_t)(10 + i));
        issuer[i] = req->bsock->server;
        snprintf(state, sizeof(state), "challenge-%u", i);
        ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, state), RLB_DROP_NONE);
        ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_CHALLENGE);
    }
    /* round-robin: the servers took turns */
    ck_assert_ptr_ne(issuer[0], issuer[1]);
    ck_assert_ptr_eq(issuer[0], issuer[2]);
    /* answered in the other order */
    for (unsigned k = 0; k < 4; k++) {
        unsigned i = 3 - k;
        struct rlb_request *req;

        char user[16];

        snprintf(user, sizeof(user), "erin%u", i);
        snprintf(state, sizeof(state), "challenge-%u", i);
        flow_request(&p, (uint8_t)(20 + i), 2, user, state);
        flow_from_nas(&p);
        req = flow_find((uint8_t)(20 + i));
        ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
        ck_assert(req->flags & RLB_REQF_PINNED);
        ck_assert_ptr_eq(req->bsock->server, issuer[i]);
    }
    /* issuer[0] refuses: its open answers are rejected by radlb at once */
    {
        struct rlb_request *req0 = flow_find(20), *req1 = flow_find(21);

        rlb_health_port_unreachable(ctx, issuer[0], RLB_KIND_AUTH);
        ck_assert_uint_eq(req0->state, RLB_REQ_DONE);
        ck_assert_uint_eq(issuer[0]->stats.pinned_rejects, 2);   /* answers 0 and 2 */
        ck_assert_uint_eq(req1->state, RLB_REQ_PENDING);          /* the other server's */
    }
}
END_TEST

/* A request no server answers within response_timeout: with the default
 * timeout_action it is answered with an Access-Reject, and cached. */
START_TEST(timeout_is_answered_and_never_moved)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_server *s;

    flow_request(&p, 5, 1, "frank", NULL);
    flow_from_nas(&p);
    req = flow_find(5);
    s = req->bsock->server;
    req->when -= ctx->pending.wait + 1;             /* sent long ago */
    rlb_px_pending_expired(ctx->loop, &ctx->pending.timer, 0);
    ck_assert_uint_eq(s->stats.timeouts, 1);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 0);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(s->outstanding, 0);
    if (ctx->conf->proxy.timeout_action == RLB_TIMEOUT_REJECT)
        ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    /* a late retransmission does not start the login elsewhere */
    flow_from_nas(&p);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 0);
    ck_assert_uint_eq(s->stats.requests, 1);
}
END_TEST

/* rlb_req_move refuses a transition request.h does not draw. */
START_TEST(illegal_transition_aborts)
{
    struct rlb_request *req = rlb_req_get(&ctx->reqs);

    rlb_req_move(ctx, req, RLB_REQ_DONE);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->done), 1);
    rlb_req_move(ctx, req, RLB_REQ_PENDING);       /* DONE -> PENDING: abort() */
}
END_TEST

/* The Redis value of a challenge's session, both ways (authlog.c): an
 * older instance's bare name, the name with its login, and garbage. */
START_TEST(session_value_carries_the_login)
{
    struct rlb_request req = { 0 };
    struct rlb_authinfo ai = { .login = { .id = 0x9c5870bab40ea5b3ULL, .first = 1796624179.17,
                                          .leg = 2 } };
    struct rlb_login login;
    char value[128], name[RLB_NAME_MAX + 1];

    rlb_px_authlog_session_value(&req, "mfa2", value, sizeof(value));
    ck_assert_str_eq(value, "mfa2");
    req.ai = &ai;
    rlb_px_authlog_session_value(&req, "mfa2", value, sizeof(value));
    ck_assert_str_eq(value, "mfa2 9c5870bab40ea5b3 2 1796624179.170");

    ck_assert_str_eq(rlb_px_authlog_parse_value(value, name, sizeof(name), &login), "mfa2");
    ck_assert(login.id == ai.login.id && login.leg == 2);
    ck_assert(login.first > 1796624179.16 && login.first < 1796624179.18);
    ck_assert_str_eq(rlb_px_authlog_parse_value("mfa3", name, sizeof(name), &login), "mfa3");
    ck_assert(login.id == 0);
    ck_assert_str_eq(rlb_px_authlog_parse_value("mfa1 zz 1 2", name, sizeof(name), &login), "mfa1");
    ck_assert(login.id == 0);
    ck_assert_str_eq(rlb_px_authlog_parse_value("mfa1 00ab 0 2.5", name, sizeof(name), &login),
                     "mfa1");
    ck_assert(login.id == 0);      /* leg 0 is no leg */
}
END_TEST

START_TEST(every_state_has_a_name)
{
    for (unsigned st = 0; st < RLB_REQ_NSTATES; st++)
        ck_assert_str_ne(rlb_req_state_name(st), "invalid");
    ck_assert_str_eq(rlb_req_state_name(RLB_REQ_NSTATES), "invalid");
    ck_assert_str_eq(rlb_req_state_name(RLB_REQ_REROUTE), "reroute");
}
END_TEST

/* A reply after the NAS stopped retransmitting (it retransmitted twice,
 * every 3 s, and the reply comes 20 s after the request) is late; one
 * within the pattern is not. Challenges and their answers are counted. */
START_TEST(late_reply_and_challenges_counted)
{
    struct tpkt p;
    struct rlb_request *req;
    struct rlb_client *c;

    flow_request(&p, 90, 1, "lateuser", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(90);
    c = req->client;
    req->when = ev_now(ctx->loop) - 3.0;
    rlb_px_nas_copy(ctx, req);                     /* a copy 3 s after */
    ck_assert_uint_eq(req->nas_copies, 1);
    ck_assert(req->nas_gap_ms >= 2990 && req->nas_gap_ms <= 3010);
    req->when = ev_now(ctx->loop) - 20.0;          /* its copies at +3 and +6 */
    req->nas_copies = 2;
    req->nas_gap_ms = 6000;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "late-st"), RLB_DROP_NONE);
    ck_assert_uint_eq(c->stats.late_replies, 1);
    ck_assert_uint_eq(c->stats.challenges, 1);

    flow_request(&p, 91, 2, "lateuser", "late-st");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(91);
    ck_assert_uint_eq(c->stats.challenge_answers, 1);
    req->when = ev_now(ctx->loop) - 7.0;           /* copies at +3, +6: the next one not due */
    req->nas_copies = 2;
    req->nas_gap_ms = 6000;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_ACCEPT, NULL), RLB_DROP_NONE);
    ck_assert_uint_eq(c->stats.late_replies, 1);
}
END_TEST

int
main(void)
{
    TCase *tc = tcase_create("flow");

    tcase_add_unchecked_fixture(tc, start_env, NULL);
    tcase_add_checked_fixture(tc, flow_reset, NULL);
    tcase_add_test(tc, retransmission_to_the_same_server);
    tcase_add_test(tc, session_value_carries_the_login);
    tcase_add_test(tc, new_authenticator_supersedes);
    tcase_add_test(tc, reply_cached_for_retransmissions);
    tcase_add_test(tc, reroute_only_after_a_refusal);
    tcase_add_test(tc, challenge_answers_go_to_their_issuer);
    tcase_add_test(tc, timeout_is_answered_and_never_moved);
    tcase_add_test(tc, every_state_has_a_name);
    /* The abort can only be caught in a child process. */
    if (!getenv("CK_FORK") || strcmp(getenv("CK_FORK"), "no") != 0)
        tcase_add_test_raise_signal(tc, illegal_transition_aborts, SIGABRT);
    tcase_add_test(tc, late_reply_and_challenges_counted);
    return flow_run("flow", tc);
}
