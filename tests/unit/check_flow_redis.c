/*
 * check_flow_redis.c: the request flow with sticky.store = "redis", on the
 * running context of the flow's tests (tests/unit/flowenv.c: two servers,
 * round-robin, real sockets that are never flushed), its Redis store
 * connected to a real redis-server that the test starts on a free
 * loopback port.
 *
 * What radlb(8) and radlb.conf(5) (sticky.store) promise: an answer whose
 * State this instance does not know waits (PARKED) while Redis is asked,
 * then goes to the server Redis names; one that Redis does not know, not
 * in time, or while Redis is down, is balanced like a new request and
 * counted in sticky.orphans; an Access-Challenge is held (HELD) until
 * Redis has its State. Nothing goes to a server while a request waits.
 *
 * Redis replies come through the loop, so the tests run it; the outbox's
 * flush (an ev_prepare watcher) is stopped so that what the flow sends
 * stays in ctx->outq to be read, as in check_flow.c. Each test (Check's
 * fork mode) starts its own store and its own hiredis connection, which
 * the test uses as "another instance" would.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "ctx.h"
#include "flow.h"
#include "proxy.h"
#include "budget.h"
#include "radius.h"
#include "rstore.h"

#include "flowenv.h"

static struct rlb_ctx *ctx;
static struct rlb_server *mfa1, *mfa2;   /* the master, and the one first legs go to */
static pid_t redis_pid, parent_pid;
static int redis_port;
static redisContext *rc;           /* the test's own connection to Redis */

/* The store's owner, as rlb_proxy_start fills it (without the shared
 * master, which these tests leave alone). */
static const struct rlb_rstore_hooks hooks = { rlb_proxy_redis_answer, rlb_proxy_redis_written,
                                               NULL, NULL, rlb_proxy_budget_answer };

/* ------------------------------------------------------------------ */
/* redis-server                                                       */

/* A loopback TCP port nobody uses right now. */
static int
free_tcp_port(void)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A connection to the test's redis-server, or NULL. */
static redisContext *
redis_connect(void)
{
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* redis-server answers PING on a new connection. */
static bool
redis_pongs(void)
{
    redisContext *c = redis_connect();
    redisReply *r = c ? redisCommand(c, "PING") : NULL;
    bool up = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;

    if (r)
        freeReplyObject(r);
    if (c)
        redisFree(c);
    return up;
}

static void
redis_kill(void)
{
    if (redis_pid > 0 && getpid() == parent_pid) {   /* not from Check's children */
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
}

/* Starts redis-server (no persistence) and waits until it answers PING. */
static void
redis_start(void)
{
    char port[16];
    struct timespec pause = { 0, 20 * 1000 * 1000 };

    redis_port = free_tcp_port();
    snprintf(port, sizeof(port), "%d", redis_port);
    parent_pid = getpid();
    redis_pid = fork();
    ck_assert_int_ge(redis_pid, 0);
    if (redis_pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, STDOUT_FILENO);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", (char *)NULL);
        fprintf(stderr, "check_flow_redis: cannot run redis-server (apt-get install "
                "redis-server)\n");
        _exit(127);
    }
    atexit(redis_kill);
    for (int i = 0; i < 1000; i++) {              /* up to 20 s */
        if (redis_pongs())
            return;
        ck_assert_int_eq(waitpid(redis_pid, NULL, WNOHANG), 0);   /* still running */
        nanosleep(&pause, NULL);
    }
    ck_abort_msg("redis-server on port %d does not answer PING", redis_port);
}

/* One command on the test's connection; the reply's string, or "" (nil). */
static const char *
redis_do(const char *fmt, const char *a, const char *b)
{
    static char out[128];
    redisReply *r = redisCommand(rc, fmt, a, b);

    ck_assert_ptr_nonnull(r);
    ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
    snprintf(out, sizeof(out), "%s", r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS
                                         ? r->str : "");
    freeReplyObject(r);
    return out;
}

/* Waits (up to 20 s) until redis-server answers PING again, as it does
 * once a CLIENT PAUSE is over. */
static void
redis_wait_unpaused(void)
{
    struct timespec pause = { 0, 50 * 1000 * 1000 }, t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (now = t0; now.tv_sec - t0.tv_sec < 20; clock_gettime(CLOCK_MONOTONIC, &now)) {
        if (redis_pongs())
            return;
        nanosleep(&pause, NULL);
    }
    ck_abort_msg("redis-server still paused after 20 s");
}

/* The Redis key of a State (rstore.h). */
static const char *
state_key(const char *state)
{
    static char k[128];

    ck_assert_uint_gt(rlb_rstore_key(ctx->conf->redis.prefix, RLB_RKEY_STATE,
                                     (const uint8_t *)state, strlen(state), k, sizeof(k)), 0);
    return k;
}

/* ------------------------------------------------------------------ */
/* The environment                                                    */

static void
start_env(void)
{
    redis_start();
    flow_start();
    ctx = flow_ctx;
    mfa1 = rlb_servers_find(&ctx->servers, "mfa1");
    mfa2 = rlb_servers_find(&ctx->servers, "mfa2");
    ck_assert_ptr_nonnull(mfa1);
    ck_assert_ptr_nonnull(mfa2);
    ck_assert_ptr_eq(ctx->pools[0]->master.server, mfa1);
}

static void
stop_env(void)
{
    redis_kill();
}

static void
tick(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
}

/* The deadline of every wait below (a condition ends it sooner), and the
 * wait for Redis in all tests but the one of a Redis that does not answer. */
#define LONG_WAIT 10.0

/* Runs the loop until cond() holds or seconds pass; returns cond(). */
static bool
run_until(bool (*cond)(void), double seconds)
{
    ev_timer t;
    double end;

    ev_timer_init(&t, tick, 0.01, 0.01);
    ev_timer_start(ctx->loop, &t);
    ev_now_update(ctx->loop);
    end = ev_now(ctx->loop) + seconds;
    while (!cond() && ev_now(ctx->loop) < end)
        ev_run(ctx->loop, EVRUN_ONCE);
    ev_timer_stop(ctx->loop, &t);
    return cond();
}

static bool redis_ready(void) { return rlb_rstore_ready(ctx->rstore); }
static bool redis_down(void) { return rlb_rstore_state(ctx->rstore) == RLB_REDIS_DOWN; }

/* redis.timeout, as the flow's wait for Redis (ctx->parked) applies it.
 * With nothing parked: the queue's timer, perhaps still armed for an
 * earlier test's request (CK_FORK=no), is stopped so that the next
 * request arms it with the new wait. */
static void
set_redis_timeout(double t)
{
    ck_assert_uint_eq(rlb_timeq_count(&ctx->parked), 0);
    ctx->conf->redis.timeout = t;
    ctx->parked.wait = t;
    ev_timer_stop(ctx->loop, &ctx->parked.timer);
}

/* The store, toward the test's redis-server or (port > 0) elsewhere. */
static void
store_start(int port)
{
    ctx->conf->redis.port = port > 0 ? port : redis_port;
    ck_assert_int_eq(rlb_addr_parse("127.0.0.1", (uint16_t)ctx->conf->redis.port,
                                    &ctx->conf->redis.addr), 0);
    ck_assert_int_eq(rlb_rstore_start(ctx, &hooks), 0);
    ck_assert_ptr_nonnull(ctx->rstore);
}

/* Before each test: servers up, nothing waiting, the store ready, Redis
 * empty. */
static void
setup(void)
{
    flow_reset();
    memset(&ctx->sticky.stats, 0, sizeof(ctx->sticky.stats));
    ctx->conf->health.master_serves_reads = false;   /* first legs go to mfa2 */
    /* Redis answers in time, however loaded the machine: only
     * no_answer_in_time_is_an_orphan waits the configured 0.2 s. */
    set_redis_timeout(LONG_WAIT);
    ev_prepare_stop(ctx->loop, &ctx->flush);      /* the outbox is read, never sent */
    ctx->conf->sticky.store = RLB_STORE_REDIS;
    rc = redis_connect();
    ck_assert_ptr_nonnull(rc);
    redis_do("FLUSHALL", NULL, NULL);
    store_start(0);
    ck_assert(run_until(redis_ready, LONG_WAIT));
}

/* After each test (with CK_FORK=no, the next one starts from here). */
static void
teardown(void)
{
    struct rlb_request *req;

    rlb_limits_set(&ctx->limits, NULL, NULL, 0, 1000000);     /* budgets off again */

    while ((req = rlb_timeq_head(&ctx->parked))) {
        rlb_rstore_cancel(req);
        rlb_req_free(ctx, req);
    }
    rlb_rstore_stop(ctx);
    ctx->conf->sticky.store = RLB_STORE_MEMORY;
    if (rc)
        redisFree(rc);
    rc = NULL;
}

/* Nothing went to any server. */
static void
assert_no_server_got_it(unsigned outq_before)
{
    ck_assert_uint_eq(ctx->outq->n, outq_before);
    ck_assert_uint_eq(mfa1->stats.requests, 0);
    ck_assert_uint_eq(mfa2->stats.requests, 0);
}

static struct rlb_request *waiting;   /* what the conditions below watch */

static bool not_parked(void) { return waiting->state != RLB_REQ_PARKED; }
static bool not_held(void) { return waiting->state != RLB_REQ_HELD; }

/* ------------------------------------------------------------------ */
/* Tests                                                              */

/* Another instance issued the challenge (mfa1 is in Redis, not here): the
 * answer waits for Redis, then goes to mfa1, which the balancer would not
 * have chosen, and the session is now known here too. */
START_TEST(unknown_state_waits_then_goes_to_the_server_redis_names)
{
    const struct rlb_redis_stats *rs;
    struct tpkt p;
    unsigned n0 = ctx->outq->n;

    ck_assert_str_eq(redis_do("SET %s %s", state_key("elsewhere-1"), "mfa1"), "OK");
    flow_request(&p, 1, 1, "alice", "elsewhere-1");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    waiting = flow_find(1);
    ck_assert_ptr_nonnull(waiting);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PARKED);
    assert_no_server_got_it(n0);

    ck_assert(run_until(not_parked, LONG_WAIT));
    ck_assert_uint_eq(waiting->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(waiting->bsock->server, mfa1);
    ck_assert(waiting->flags & RLB_REQF_PINNED);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REQUEST);
    ck_assert_uint_eq(flow_last_out()[1], waiting->proxied_id);
    ck_assert_uint_eq(mfa1->stats.requests, 1);
    ck_assert_uint_eq(mfa2->stats.requests, 0);
    ck_assert_ptr_eq(rlb_sticky_find(&ctx->sticky, (const uint8_t *)"elsewhere-1", 11,
                                     ev_now(ctx->loop)), mfa1);
    ck_assert_uint_eq(ctx->sticky.stats.orphans, 0);
    rs = rlb_rstore_stats(ctx->rstore);
    ck_assert_uint_eq(rs->gets, 1);
    ck_assert_uint_eq(rs->hits, 1);

    /* the NAS's retransmission while it is out does not ask again */
    ctx->conf->proxy.retransmit_damping = 0;
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_uint_eq(rs->gets, 1);
    ck_assert_uint_eq(mfa1->stats.retransmissions, 1);
    ck_assert_uint_eq(mfa2->stats.requests, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Prompt budgets shared through Redis                                */

/* A budget of 3 prompts per 600 s on User-Name, as limits would set it. */
static void
budgets_on(void)
{
    static const double win[1] = { 600.0 };
    static const unsigned max[1] = { 3 };

    rlb_limits_set(&ctx->limits, win, max, 1, 1000000);
    ctx->conf->limits.by_kind[RLB_LIMIT_USER] = true;
    ctx->conf->limits.count = RLB_LIMIT_COUNT_FIRST_LEG;
}

/* The Redis key of user's budget (rstore.c: PREFIX "b:" HEX). */
static const char *
budget_key(const char *user)
{
    static char k[128];

    snprintf(k, sizeof(k), "%sb:%016llx", ctx->conf->redis.prefix,
             (unsigned long long)rlb_limits_key(&ctx->limits, RLB_LIMIT_USER,
                                                (const uint8_t *)user, strlen(user)));
    return k;
}

static long long
redis_int(const char *fmt, const char *a)
{
    redisReply *r = redisCommand(rc, fmt, a);
    long long v;

    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Another instance already counted 3 prompts of alice: her first leg
 * here waits for Redis, then is rejected without reaching a server. */
START_TEST(budget_spent_on_another_instance)
{
    char now[32], cmd[256];
    struct tpkt p;
    unsigned n0 = ctx->outq->n;
    const char *m = ctx->conf->limits.reply_message;

    budgets_on();
    snprintf(now, sizeof(now), "%.0f", ev_now(ctx->loop) * 1000.0 - 5000);
    snprintf(cmd, sizeof(cmd), "ZADD %s %s other:1 %s other:2 %s other:3", budget_key("alice"),
             now, now, now);
    ck_assert_int_eq(redis_int(cmd, NULL), 3);
    flow_request(&p, 30, 1, "alice", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    waiting = flow_find(30);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PARKED);
    assert_no_server_got_it(n0);
    ck_assert(run_until(not_parked, LONG_WAIT));
    ck_assert_uint_eq(waiting->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_ptr_nonnull(memmem(flow_last_out(), ctx->outq->len[ctx->outq->n - 1], m,
                                 strlen(m)));
    ck_assert_uint_eq(mfa1->stats.requests + mfa2->stats.requests, 0);
    ck_assert_uint_eq(ctx->limits.stats.blocked[RLB_LIMIT_USER], 1);
    ck_assert_int_eq(redis_int("ZCARD %s", budget_key("alice")), 3);   /* not counted */
}
END_TEST

/* Within budget: counted in Redis (for the other instances) and sent on. */
START_TEST(budget_counted_in_redis)
{
    struct tpkt p;

    budgets_on();
    for (uint8_t i = 0; i < 3; i++) {
        flow_request(&p, (uint8_t)(31 + i), 1, "bob", NULL);
        ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
        waiting = flow_find((uint8_t)(31 + i));
        ck_assert(run_until(not_parked, LONG_WAIT));
        ck_assert_uint_eq(waiting->state, RLB_REQ_PENDING);
    }
    ck_assert_int_eq(redis_int("ZCARD %s", budget_key("bob")), 3);
    ck_assert(redis_int("PTTL %s", budget_key("bob")) > 590000);
    /* The fourth: over, here already (no wait for Redis). */
    flow_request(&p, 34, 1, "bob", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_uint_eq(flow_find(34)->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_int_eq(redis_int("ZCARD %s", budget_key("bob")), 3);
}
END_TEST

/* Redis down: nobody waits, the local counts decide. */
START_TEST(budget_without_redis_is_local)
{
    struct tpkt p;

    budgets_on();
    rlb_rstore_stop(ctx);
    store_start(free_tcp_port());                 /* nothing listens there */
    ck_assert(run_until(redis_down, LONG_WAIT));
    for (uint8_t i = 0; i < 3; i++) {
        flow_request(&p, (uint8_t)(40 + i), 1, "carol", NULL);
        ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
        ck_assert_uint_eq(flow_find((uint8_t)(40 + i))->state, RLB_REQ_PENDING);
    }
    flow_request(&p, 43, 1, "carol", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    ck_assert_uint_eq(flow_find(43)->state, RLB_REQ_DONE);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_REJECT);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->parked), 0);
}
END_TEST

/* Redis does not know the State either: balanced like a new request
 * (mfa2), an orphan. */
START_TEST(state_unknown_to_redis_is_an_orphan)
{
    struct tpkt p;
    unsigned n0 = ctx->outq->n;

    flow_request(&p, 2, 1, "bob", "forgotten-2");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    waiting = flow_find(2);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PARKED);
    assert_no_server_got_it(n0);

    ck_assert(run_until(not_parked, LONG_WAIT));
    ck_assert_uint_eq(waiting->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(waiting->bsock->server, mfa2);
    ck_assert(!(waiting->flags & RLB_REQF_PINNED));
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(ctx->sticky.stats.orphans, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->misses, 1);
    ck_assert_uint_eq(mfa1->stats.requests, 0);
}
END_TEST

/* Redis does not answer in time (every client paused): after
 * redis.timeout the answer goes on as if Redis did not know it. */
START_TEST(no_answer_in_time_is_an_orphan)
{
    struct tpkt p;
    unsigned n0 = ctx->outq->n;
    double t0;

    set_redis_timeout(0.2);                       /* the default */
    ck_assert_str_eq(redis_do("SET %s %s", state_key("slow-3"), "mfa1"), "OK");
    /* paused far longer than the wait: its answer cannot come in time,
     * however late the loop runs the timer */
    ck_assert_str_eq(redis_do("CLIENT PAUSE %s %s", "3000", "ALL"), "OK");
    flow_request(&p, 3, 1, "carol", "slow-3");
    ev_now_update(ctx->loop);
    t0 = ev_now(ctx->loop);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    waiting = flow_find(3);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PARKED);

    ck_assert(run_until(not_parked, LONG_WAIT));
    ck_assert_double_ge(ev_now(ctx->loop) - t0, ctx->conf->redis.timeout - 0.01);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(waiting->bsock->server, mfa2);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(ctx->sticky.stats.orphans, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->timeouts, 1);
    ck_assert_uint_eq(mfa1->stats.requests, 0);
    redis_wait_unpaused();                        /* for the next test's FLUSHALL */
}
END_TEST

/* Redis down: nothing waits; the answer is an orphan at once and the
 * lookup is counted as skipped. */
START_TEST(redis_down_means_no_wait)
{
    struct tpkt p;
    unsigned n0 = ctx->outq->n;

    rlb_rstore_stop(ctx);
    store_start(free_tcp_port());                 /* nothing listens there */
    ck_assert(run_until(redis_down, LONG_WAIT));
    flow_request(&p, 4, 1, "dave", "elsewhere-4");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    waiting = flow_find(4);
    ck_assert_uint_eq(waiting->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(waiting->bsock->server, mfa2);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(rlb_timeq_count(&ctx->parked), 0);
    ck_assert_uint_eq(ctx->sticky.stats.orphans, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->skipped, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->gets, 0);
}
END_TEST

/* A server's Access-Challenge is held until Redis has its State, then
 * goes to the NAS; the answer, known here, goes to its issuer without
 * asking Redis. */
START_TEST(challenge_held_until_redis_has_it)
{
    struct tpkt p;
    struct rlb_request *req;
    unsigned n0;

    flow_request(&p, 5, 1, "erin", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(5);
    ck_assert_ptr_eq(req->bsock->server, mfa2);
    n0 = ctx->outq->n;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "issued-5"), RLB_DROP_NONE);
    waiting = req;
    ck_assert_uint_eq(req->state, RLB_REQ_HELD);
    ck_assert_uint_eq(ctx->outq->n, n0);          /* not yet to the NAS */

    ck_assert(run_until(not_held, LONG_WAIT));
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_CHALLENGE);
    ck_assert_uint_eq(flow_last_out()[1], 5);
    ck_assert_str_eq(redis_do("GET %s", state_key("issued-5"), NULL), "mfa2");
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->sets, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->write_timeouts, 0);

    flow_request(&p, 6, 2, "erin", "issued-5");
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(6);
    ck_assert_uint_eq(req->state, RLB_REQ_PENDING);
    ck_assert_ptr_eq(req->bsock->server, mfa2);
    ck_assert(req->flags & RLB_REQF_PINNED);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->gets, 0);
    ck_assert_uint_eq(mfa1->stats.requests, 0);
}
END_TEST

/* Redis down: the challenge goes to the NAS at once (nothing to wait for). */
START_TEST(challenge_not_held_while_redis_is_down)
{
    struct tpkt p;
    struct rlb_request *req;
    unsigned n0;

    rlb_rstore_stop(ctx);
    store_start(free_tcp_port());
    ck_assert(run_until(redis_down, LONG_WAIT));
    flow_request(&p, 7, 1, "frank", NULL);
    ck_assert_int_eq(flow_from_nas(&p), RLB_DROP_NONE);
    req = flow_find(7);
    n0 = ctx->outq->n;
    ck_assert_int_eq(flow_from_server(req, RLB_ACCESS_CHALLENGE, "issued-7"), RLB_DROP_NONE);
    ck_assert_uint_eq(req->state, RLB_REQ_DONE);
    ck_assert_uint_eq(ctx->outq->n, n0 + 1);
    ck_assert_uint_eq(flow_last_out()[0], RLB_ACCESS_CHALLENGE);
    ck_assert_uint_eq(rlb_rstore_stats(ctx->rstore)->skipped, 1);
    ck_assert_ptr_eq(rlb_sticky_find(&ctx->sticky, (const uint8_t *)"issued-7", 8,
                                     ev_now(ctx->loop)), mfa2);
}
END_TEST

int
main(void)
{
    TCase *tc = tcase_create("flow_redis");

    tcase_add_unchecked_fixture(tc, start_env, stop_env);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unknown_state_waits_then_goes_to_the_server_redis_names);
    tcase_add_test(tc, state_unknown_to_redis_is_an_orphan);
    tcase_add_test(tc, no_answer_in_time_is_an_orphan);
    tcase_add_test(tc, redis_down_means_no_wait);
    tcase_add_test(tc, challenge_held_until_redis_has_it);
    tcase_add_test(tc, challenge_not_held_while_redis_is_down);
    tcase_add_test(tc, budget_spent_on_another_instance);
    tcase_add_test(tc, budget_counted_in_redis);
    tcase_add_test(tc, budget_without_redis_is_local);
    return flow_run("flow_redis", tc);
}
