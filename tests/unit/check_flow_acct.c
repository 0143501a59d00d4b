/*
 * check_flow_acct.c: the accounting spool inside the request flow
 * (route.c, acctspool.c, reply.c over spool.c) on a running context: the
 * fuzzers' environment (tests/fuzz/fuzz_common.c, as check_flow.c uses
 * it) with a spool in a fresh directory for each test, and the NAS a UDP
 * socket of the test's own, so that what the prepare watcher sends can be
 * read back.
 *
 * Without a master, an Accounting-Request is spooled and its
 * Accounting-Response reaches the NAS only once the group commit made it
 * durable; the requests of one loop iteration share one commit; once a
 * master takes writes, the records are replayed to it and acknowledged.
 *
 * Each test runs in its own process (Check's fork mode), from the context
 * the unchecked fixture started: servers up, no request, an empty spool.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acctspool.h"
#include "ctx.h"
#include "flow.h"
#include "master.h"
#include "pkt.h"
#include "proxy.h"
#include "radius.h"
#include "spool.h"

#include "../fuzz/fuzz_common.h"
#include "testutil.h"

static struct fz_env env;
static struct rlb_ctx *ctx;
static struct rlb_client *plain;   /* the client 127.0.0.1 */
static union rlb_sockaddr nas;     /* its address: nas_fd's */
static int nas_fd = -1;
static char spool_top[64];         /* this test's directory */
static char spool_dir[96];         /* spool_top/spool */
static char *conf_spool_dir;       /* the configuration's (""), put back after each test */

/* Once: the context, and the NAS's socket on a free loopback port. */
static void
start_env(void)
{
    socklen_t al = sizeof(nas.in4);

    fz_env_start(&env);
    ctx = &env.ctx;
    conf_spool_dir = ctx->conf->spool.directory;
    for (unsigned i = 0; i < ctx->clients.n; i++) {
        if (strcmp(ctx->clients.v[i]->name, "plain") == 0)
            plain = ctx->clients.v[i];
    }
    memset(&nas, 0, sizeof(nas));
    nas.in4.sin_family = AF_INET;
    nas.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    nas_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!plain || nas_fd < 0 || bind(nas_fd, &nas.sa, sizeof(nas.in4)) < 0 ||
        getsockname(nas_fd, &nas.sa, &al) < 0) {
        perror("check_flow_acct: the NAS socket");
        abort();
    }
}

/* Before each test: the context as check_flow.c resets it, the NAS's
 * socket drained, and a spool opened in a new directory. */
static void
setup(void)
{
    uint8_t buf[RLB_PKT_MAX];

    fz_env_reset(&env);
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        ctx->servers.v[i]->health = RLB_HEALTH_UP;
        memset(&ctx->servers.v[i]->stats, 0, sizeof(ctx->servers.v[i]->stats));
    }
    memset(&ctx->stats, 0, sizeof(ctx->stats));
    while (recv(nas_fd, buf, sizeof(buf), 0) >= 0)
        ;
    snprintf(spool_top, sizeof(spool_top), "/tmp/rlb-flowacct-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(spool_top));
    snprintf(spool_dir, sizeof(spool_dir), "%s/spool", spool_top);
    ctx->conf->spool.directory = spool_dir;
    ck_assert_int_eq(rlb_acctspool_start(ctx, ctx->pools[0]), 0);
    ck_assert_ptr_nonnull(ctx->pools[0]->spool);
    ck_assert_ptr_nonnull(ctx->pools[0]->master.server);
}

static void
teardown(void)
{
    struct dirent *de;
    DIR *d;
    char path[400];

    rlb_acctspool_stop(ctx, ctx->pools[0]);
    ctx->conf->spool.directory = conf_spool_dir;
    d = opendir(spool_dir);
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", spool_dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(spool_dir);
    rmdir(spool_top);
}

/* The master stops taking writes, or takes them again (as master.c's
 * tick tells the flow through ctx->up.writes_resume). */
static void
master_down(void)
{
    ctx->pools[0]->master.server->health = RLB_HEALTH_DOWN;
    ck_assert(!rlb_master_takes_writes(ctx->pools[0]));
}

static void
master_back(void)
{
    ctx->pools[0]->master.server->health = RLB_HEALTH_UP;
    ck_assert(rlb_master_takes_writes(ctx->pools[0]));
    ctx->up.writes_resume(ctx, ctx->pools[0]);
}

/* An Accounting-Request from the NAS: Identifier id, Acct-Status-Type
 * Start, Acct-Session-Id session, signed with the client's secret. */
static rlb_drop_t
acct_from_nas(uint8_t id, const char *session)
{
    static const uint8_t start[4] = { 0, 0, 0, 1 };
    struct tpkt p;

    tp_init(&p, RLB_ACCOUNTING_REQUEST, id, NULL);
    tp_attr(&p, RLB_ATTR_USER_NAME, "alice", 5);
    tp_attr(&p, 40, start, sizeof(start));
    tp_attr(&p, 44, session, strlen(session));
    fz_sign_request(p.b, p.len, &plain->secret);
    return rlb_proxy_client_packet(ctx, fz_listener(&env, RLB_LISTEN_ACCT), NULL, p.b, p.len,
                                   &nas, NULL);
}

/* The request the duplicate table holds for the NAS's Identifier id. */
static struct rlb_request *
find(uint8_t id)
{
    struct rlb_listener *l = fz_listener(&env, RLB_LISTEN_ACCT);

    return rlb_dedup_find(&ctx->dedup, rlb_dedup_hash(&ctx->dedup, l, &nas, id), l, &nas, id);
}

/* One iteration's end: the loop's prepare watcher (group commit, then the
 * outbox sent). */
static void
loop_prepare(void)
{
    ev_invoke(ctx->loop, &ctx->flush, EV_PREPARE);
}

/* The next datagram the NAS received: its length, 0 when there is none. */
static size_t
nas_recv(uint8_t *buf, size_t size)
{
    ssize_t n;

    for (int i = 0; i < 100; i++) {     /* loopback: there at once, or never */
        n = recv(nas_fd, buf, size, 0);
        if (n >= 0)
            return (size_t)n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            break;
        usleep(1000);
    }
    return 0;
}

/* Reads one Accounting-Response for Identifier id sent with req_auth. */
static void
assert_response(uint8_t id, const uint8_t req_auth[RLB_AUTH_LEN])
{
    uint8_t buf[RLB_PKT_MAX];
    struct rlb_pkt_info info;
    size_t len = nas_recv(buf, sizeof(buf));

    ck_assert_uint_ge(len, RLB_HDR_LEN);
    ck_assert_int_eq(rlb_pkt_parse(buf, &len, false, &info), RLB_DROP_NONE);
    ck_assert_uint_eq(info.code, RLB_ACCOUNTING_RESPONSE);
    ck_assert_uint_eq(info.id, id);
    ck_assert(rlb_pkt_reply_ok(buf, &info, req_auth, &plain->secret));
}

/* The replays in flight toward the master, oldest first. */
static unsigned
replays(struct rlb_request **out, unsigned max)
{
    unsigned n = 0;

    for (struct rlb_link *l = ctx->pending.list.head; l && n < max; l = l->next) {
        struct rlb_request *r = rlb_container_of(l, struct rlb_request, qlink);

        if (r->flags & RLB_REQF_REPLAY)
            out[n++] = r;
    }
    return n;
}

/* The master acknowledges a replay: an Accounting-Response signed with
 * its secret over the authenticator radlb sent. */
static rlb_drop_t
master_acks(struct rlb_request *req)
{
    struct rlb_server *s = req->bsock->server;
    struct tpkt p;

    tp_init(&p, RLB_ACCOUNTING_RESPONSE, req->proxied_id, NULL);
    fz_sign_reply(p.b, p.len, req->proxied_auth, &s->secret);
    return rlb_proxy_server_packet(ctx, req->bsock, p.b, p.len);
}

/* No master: the request waits in SPOOLING, unanswered, its record not yet
 * durable; the prepare watcher commits it, then answers the NAS. */
START_TEST(spooled_answered_after_the_commit)
{
    const struct rlb_spool_stats *st = rlb_spool_stats(ctx->pools[0]->spool);
    uint8_t buf[RLB_PKT_MAX], auth[RLB_AUTH_LEN];
    struct rlb_request *req;
    unsigned out0 = ctx->outq->n;

    master_down();
    ck_assert_int_eq(acct_from_nas(1, "sess-1"), RLB_DROP_NONE);
    req = find(1);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(req->state, RLB_REQ_SPOOLING);
    memcpy(auth, req->client_auth, RLB_AUTH_LEN);
    ck_assert(rlb_spool_pending(ctx->pools[0]->spool));
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 0);  /* not durable yet */
    ck_assert_uint_eq(st->commits, 0);
    ck_assert_uint_eq(ctx->outq->n, out0);              /* no answer queued */
    ck_assert_uint_eq(ctx->stats.acct_spooled, 0);
    ck_assert_uint_eq(nas_recv(buf, sizeof(buf)), 0);

    loop_prepare();
    ck_assert_uint_eq(st->commits, 1);
    ck_assert_uint_eq(st->appended, 1);
    ck_assert(!rlb_spool_pending(ctx->pools[0]->spool));
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 1);
    ck_assert_uint_eq(ctx->stats.acct_spooled, 1);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pools[0]->spooling.wait), 0);
    assert_response(1, auth);
    ck_assert_uint_eq(nas_recv(buf, sizeof(buf)), 0);   /* one answer */
    ck_assert_uint_eq(ctx->pools[0]->master.server->stats.requests, 0);
}
END_TEST

/* The Accounting-Requests of one loop iteration: one fdatasync for all,
 * then every NAS answered, in order. */
START_TEST(one_commit_per_iteration)
{
    const struct rlb_spool_stats *st = rlb_spool_stats(ctx->pools[0]->spool);
    uint8_t auth[4][RLB_AUTH_LEN], buf[RLB_PKT_MAX];
    char session[16];

    master_down();
    for (uint8_t id = 0; id < 4; id++) {
        snprintf(session, sizeof(session), "sess-%u", id);
        ck_assert_int_eq(acct_from_nas((uint8_t)(10 + id), session), RLB_DROP_NONE);
        ck_assert_uint_eq(find((uint8_t)(10 + id))->state, RLB_REQ_SPOOLING);
        memcpy(auth[id], find((uint8_t)(10 + id))->client_auth, RLB_AUTH_LEN);
    }
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pools[0]->spooling.wait), 4);
    ck_assert_uint_eq(st->commits, 0);

    loop_prepare();
    ck_assert_uint_eq(st->commits, 1);
    ck_assert_uint_eq(st->appended, 4);
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 4);
    ck_assert_uint_eq(ctx->stats.acct_spooled, 4);
    for (uint8_t id = 0; id < 4; id++)
        assert_response((uint8_t)(10 + id), auth[id]);
    ck_assert_uint_eq(nas_recv(buf, sizeof(buf)), 0);

    /* the next iteration, with nothing new: no commit */
    loop_prepare();
    ck_assert_uint_eq(st->commits, 1);

    /* a NAS's retransmission gets the cached answer, nothing is spooled again */
    ck_assert_int_eq(acct_from_nas(10, "sess-0"), RLB_DROP_NONE);
    ck_assert_uint_eq(plain->stats.duplicates, 1);
    ck_assert(!rlb_spool_pending(ctx->pools[0]->spool));
}
END_TEST

/* A master again: the records go to it oldest first, each signed for it
 * and the same accounting as spooled; its acknowledgements empty the
 * spool. New accounting meanwhile queues behind the records. */
START_TEST(replayed_to_the_master_and_acknowledged)
{
    const struct rlb_spool_stats *st = rlb_spool_stats(ctx->pools[0]->spool);
    struct rlb_server *m = ctx->pools[0]->master.server;
    struct rlb_request *r[8];
    unsigned out0;

    master_down();
    ck_assert_int_eq(acct_from_nas(1, "sess-a"), RLB_DROP_NONE);
    ck_assert_int_eq(acct_from_nas(2, "sess-b"), RLB_DROP_NONE);
    loop_prepare();
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 2);
    ck_assert_uint_eq(replays(r, 8), 0);

    out0 = ctx->outq->n;
    master_back();
    ck_assert_uint_eq(replays(r, 8), 2);
    ck_assert_uint_eq(ctx->pools[0]->spooling.inflight, 2);
    ck_assert_uint_eq(st->replayed, 2);
    ck_assert_uint_eq(ctx->outq->n, out0 + 2);
    for (unsigned i = 0; i < 2; i++) {
        static const char *const sessions[] = { "sess-a", "sess-b" };
        uint8_t *pkt = ctx->outq->buf[out0 + i];
        size_t len = ctx->outq->len[out0 + i], vlen;
        struct rlb_pkt_info info;
        const uint8_t *v;

        ck_assert_ptr_eq(r[i]->bsock->server, m);
        ck_assert_uint_eq(r[i]->spool_seq, i + 1);
        ck_assert_int_eq(rlb_pkt_parse(pkt, &len, false, &info), RLB_DROP_NONE);
        ck_assert_uint_eq(info.code, RLB_ACCOUNTING_REQUEST);
        ck_assert_uint_eq(info.id, r[i]->proxied_id);
        ck_assert(rlb_pkt_acct_request_ok(pkt, &info, &m->secret));
        v = rlb_pkt_find_attr(pkt, &info, 0, 44, &vlen);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(vlen, strlen(sessions[i]));
        ck_assert_mem_eq(v, sessions[i], vlen);
    }

    /* while records wait, new accounting goes to the spool behind them
     * (committed here without sending the outbox: the master's port is
     * closed, a refusal would mark it down) */
    ck_assert_int_eq(acct_from_nas(3, "sess-c"), RLB_DROP_NONE);
    ck_assert_uint_eq(find(3)->state, RLB_REQ_SPOOLING);
    rlb_acctspool_commit(ctx);
    ck_assert_uint_eq(find(3)->state, RLB_REQ_DONE);
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 3);

    /* acknowledged out of order: the position waits for the first */
    ck_assert_int_eq(master_acks(r[1]), RLB_DROP_NONE);
    ck_assert_uint_eq(st->acked, 1);
    ck_assert_uint_eq(rlb_spool_ack_pos(ctx->pools[0]->spool), 0);
    ck_assert_int_eq(master_acks(r[0]), RLB_DROP_NONE);
    ck_assert_uint_eq(rlb_spool_ack_pos(ctx->pools[0]->spool), 2);
    ck_assert_uint_eq(ctx->stats.acct_replayed, 2);

    /* an acknowledgement kicks the replay: the third record went too */
    ck_assert_uint_eq(replays(r, 8), 1);
    ck_assert_uint_eq(r[0]->spool_seq, 3);
    ck_assert_int_eq(master_acks(r[0]), RLB_DROP_NONE);
    ck_assert_uint_eq(st->acked, 3);
    ck_assert_uint_eq(rlb_spool_depth(ctx->pools[0]->spool), 0);
    ck_assert_uint_eq(rlb_spool_ack_pos(ctx->pools[0]->spool), 3);
    ck_assert_uint_eq(ctx->pools[0]->spooling.inflight, 0);
    ck_assert_uint_eq(ctx->stats.acct_replayed, 3);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->pending), 0);
    ck_assert(!rlb_acctspool_busy(ctx->pools[0]));

    /* the spool empty and a master: accounting goes straight to it */
    ck_assert_int_eq(acct_from_nas(4, "sess-d"), RLB_DROP_NONE);
    ck_assert_uint_eq(find(4)->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(find(4)->bsock->server, m);
    ck_assert(!rlb_spool_pending(ctx->pools[0]->spool));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("flow_acct");
    TCase *tc = tcase_create("flow_acct");

    tcase_add_unchecked_fixture(tc, start_env, NULL);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, spooled_answered_after_the_commit);
    tcase_add_test(tc, one_commit_per_iteration);
    tcase_add_test(tc, replayed_to_the_master_and_acknowledged);
    suite_add_tcase(s, tc);
    return rlb_test_main(s);
}
