/*
 * check_rstore.c: the Redis store (src/cluster/rstore.c) against a fake Redis in
 * the same process: a TCP listener on the test's libev loop that parses
 * the commands hiredis sends and answers each with the next scripted
 * reply. It reaches what a real Redis cannot: bytes that are not RESP, a
 * server that accepts and never answers, scripted Sentinel answers. The
 * integration test t-redis.sh covers real redis-server and Sentinel.
 */
#include "config.h"

#include <ev.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "rstore.h"
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* The fake Redis                                                     */

struct fake {
    ev_io       lio;
    ev_io       cio;               /* the current connection */
    int         port;
    const char *script[32];        /* replies, in order */
    int         nscript;
    int         next;
    bool        silent;            /* never answer */
    char        in[65536];
    size_t      inlen;
    char        cmds[32][256];     /* commands seen, arguments joined by spaces */
    int         ncmds;
    int         accepted;
};

/* Parses one RESP array of bulk strings; returns its length or 0. */
static size_t
parse_cmd(const char *b, size_t n, char *out, size_t outsize)
{
    size_t off = 0, o = 0;
    long argc;
    char *end;

    if (n < 4 || b[0] != '*')
        return 0;
    argc = strtol(b + 1, &end, 10);
    if (!memchr(b, '\n', n))
        return 0;
    off = (size_t)(strchr(b, '\n') - b) + 1;
    out[0] = '\0';
    for (long i = 0; i < argc; i++) {
        long len;
        const char *nl;

        if (off >= n || b[off] != '$')
            return 0;
        nl = memchr(b + off, '\n', n - off);
        if (!nl)
            return 0;
        len = strtol(b + off + 1, &end, 10);
        off = (size_t)(nl - b) + 1;
        if (off + (size_t)len + 2 > n)
            return 0;
        if (o + (size_t)len + 2 < outsize) {
            if (o)
                out[o++] = ' ';
            memcpy(out + o, b + off, (size_t)len);
            o += (size_t)len;
            out[o] = '\0';
        }
        off += (size_t)len + 2;
    }
    return off;
}

static void
fake_read(struct ev_loop *loop, ev_io *w, int revents)
{
    struct fake *f = w->data;
    ssize_t n = read(w->fd, f->in + f->inlen, sizeof(f->in) - f->inlen);
    size_t used;
    char cmd[256];

    (void)revents;
    if (n <= 0) {
        ev_io_stop(loop, w);
        close(w->fd);
        return;
    }
    f->inlen += (size_t)n;
    while ((used = parse_cmd(f->in, f->inlen, cmd, sizeof(cmd))) > 0) {
        if (f->ncmds < 32)
            snprintf(f->cmds[f->ncmds++], sizeof(f->cmds[0]), "%s", cmd);
        memmove(f->in, f->in + used, f->inlen - used);
        f->inlen -= used;
        if (!f->silent && f->next < f->nscript)
            (void)!write(w->fd, f->script[f->next], strlen(f->script[f->next])), f->next++;
    }
}

static void
fake_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct fake *f = w->data;
    int fd = accept(w->fd, NULL, NULL);

    (void)revents;
    if (fd < 0)
        return;
    if (ev_is_active(&f->cio)) {
        ev_io_stop(loop, &f->cio);
        close(f->cio.fd);
    }
    f->accepted++;
    f->inlen = 0;
    ev_io_init(&f->cio, fake_read, fd, EV_READ);
    f->cio.data = f;
    ev_io_start(loop, &f->cio);
}

static void
fake_start(struct ev_loop *loop, struct fake *f)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    ev_io_init(&f->lio, fake_accept, fd, EV_READ);
    f->lio.data = f;
    ev_io_start(loop, &f->lio);
}

static void
fake_stop(struct ev_loop *loop, struct fake *f)
{
    ev_io_stop(loop, &f->lio);
    close(f->lio.fd);
    if (ev_is_active(&f->cio)) {
        ev_io_stop(loop, &f->cio);
        close(f->cio.fd);
    }
}

#define ROLE_MASTER "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
#define ROLE_SLAVE  "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:0\r\n"

/* ------------------------------------------------------------------ */
/* A radlb context around the store                                   */

static struct ev_loop *loop;
static struct rlb_ctx ctx;
static struct rlb_conf conf;
/* The pools whose masters are polled: the default one, and "vpn" when a
 * test puts it in. */
static struct rlb_pool pool_default = { .name = "default", .is_default = true };
static struct rlb_pool pool_vpn = { .name = "vpn" };
static struct rlb_pool *pool_list[2] = { &pool_default, &pool_vpn };
static struct rlb_pool *seen_pool;
static struct fake fk, fs, fs2;
static char *sentinels[2];
static char sentinel_text[2][32];
static const char *answered;
static int answers, writes;
static char answered_buf[64];

static void
on_answer(struct rlb_ctx *c, struct rlb_request *req, const char *server)
{
    (void)c;
    (void)req;
    answers++;
    answered = server ? strncpy(answered_buf, server, sizeof(answered_buf) - 1) : NULL;
}

static void
on_written(struct rlb_ctx *c, struct rlb_request *req)
{
    (void)c;
    (void)req;
    writes++;
}

static const struct rlb_rstore_hooks hooks = { on_answer, on_written, NULL, NULL, NULL };

/* The shared master (master.h) */
static int seen, cas_calls;
static char seen_name[64];
static uint64_t seen_epoch;
static bool cas_ok, cas_answered;

static void
on_master_seen(struct rlb_ctx *c, struct rlb_pool *p, const char *name, uint64_t epoch)
{
    (void)c;
    seen++;
    seen_pool = p;
    snprintf(seen_name, sizeof(seen_name), "%s", name ? name : "(none)");
    seen_epoch = epoch;
}

static void
on_master_cas(struct rlb_ctx *c, struct rlb_pool *p, bool ok, bool answered_, const char *name,
              uint64_t epoch)
{
    (void)c;
    seen_pool = p;
    cas_calls++;
    cas_ok = ok;
    cas_answered = answered_;
    snprintf(seen_name, sizeof(seen_name), "%s", name ? name : "(none)");
    seen_epoch = epoch;
}

static const struct rlb_rstore_hooks master_hooks = { on_answer, on_written, on_master_seen,
                                                      on_master_cas, NULL };

static void
setup(void)
{
    loop = ev_loop_new(EVFLAG_AUTO);
    memset(&ctx, 0, sizeof(ctx));
    memset(&conf, 0, sizeof(conf));
    memset(&fk, 0, sizeof(fk));
    memset(&fs, 0, sizeof(fs));
    memset(&fs2, 0, sizeof(fs2));
    ctx.loop = loop;
    ctx.conf = &conf;
    ctx.pools = pool_list;
    ctx.npools = 1;
    conf.sticky.store = RLB_STORE_REDIS;
    conf.redis.prefix = "t:";
    conf.redis.username = "";
    conf.redis.password = "";
    conf.redis.sentinel_username = "";
    conf.redis.sentinel_password = "";
    conf.redis.master_name = "";
    conf.redis.timeout = 0.2;
    answers = writes = 0;
    answered = NULL;
    fake_start(loop, &fk);
    ck_assert_int_eq(rlb_addr_parse("127.0.0.1", (uint16_t)fk.port, &conf.redis.addr), 0);
    conf.redis.port = fk.port;
}

static void
teardown(void)
{
    rlb_rstore_stop(&ctx);
    fake_stop(loop, &fk);
    if (fs.port)
        fake_stop(loop, &fs);
    if (fs2.port)
        fake_stop(loop, &fs2);
    ev_loop_destroy(loop);
}

static void
tick(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
}

/* Runs the loop until cond() holds or seconds pass; returns cond(). */
static bool
run_until(bool (*cond)(void), double seconds)
{
    ev_timer t;
    double end;

    ev_timer_init(&t, tick, 0.02, 0.02);
    ev_timer_start(loop, &t);
    ev_now_update(loop);
    end = ev_now(loop) + seconds;
    while (!cond() && ev_now(loop) < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    return cond();
}

static bool is_ready(void) { return rlb_rstore_ready(ctx.rstore); }
static bool is_down(void) { return rlb_rstore_state(ctx.rstore) == RLB_REDIS_DOWN; }
static bool one_answer(void) { return answers >= 1; }
static bool two_answers(void) { return answers >= 2; }
static bool one_write(void) { return writes >= 1; }
static bool reconnected(void) { return rlb_rstore_stats(ctx.rstore)->connects >= 1 && is_ready(); }

static bool one_answer_or_seen(void) { return seen >= 1; }
static bool seen_two(void) { return seen >= 2; }
static bool seen_three(void) { return seen >= 3; }
static bool two_seen(void) { return seen >= 2; }
static bool one_cas(void) { return cas_calls >= 1; }
static bool two_cas(void) { return cas_calls >= 2; }

/* ------------------------------------------------------------------ */
/* Tests                                                              */

START_TEST(key_and_backoff)
{
    char k[64];
    static const uint8_t key[] = { 0x01, 0xab, 0xff };

    ck_assert_uint_eq(rlb_rstore_key("radlb:", 's', key, 3, k, sizeof(k)), 14);
    ck_assert_str_eq(k, "radlb:s:01abff");
    ck_assert_uint_eq(rlb_rstore_key("", 'a', key, 1, k, sizeof(k)), 4);
    ck_assert_str_eq(k, "a:01");
    ck_assert_uint_eq(rlb_rstore_key("p:", 's', key, 3, k, 8), 0);   /* does not fit */
    ck_assert_double_eq_tol(rlb_redis_backoff(1), 0.1, 1e-9);
    ck_assert_double_eq_tol(rlb_redis_backoff(2), 0.2, 1e-9);
    ck_assert_double_eq_tol(rlb_redis_backoff(4), 0.8, 1e-9);
    ck_assert_double_eq_tol(rlb_redis_backoff(7), 5.0, 1e-9);
    ck_assert_double_eq_tol(rlb_redis_backoff(50), 5.0, 1e-9);
    ck_assert_str_eq(rlb_redis_state_names[RLB_REDIS_OFF], "off");
    ck_assert_str_eq(rlb_redis_state_names[RLB_REDIS_DOWN], "down");
    ck_assert_str_eq(rlb_redis_state_names[RLB_REDIS_CONNECTING], "connecting");
    ck_assert_str_eq(rlb_redis_state_names[RLB_REDIS_READY], "ready");
    ck_assert_ptr_null(rlb_redis_state_names[RLB_REDIS_READY + 1]);
}
END_TEST

START_TEST(ready_then_get_and_set)
{
    struct rlb_request r1, r2, r3;
    static const uint8_t state[] = { 'k', 'e', 'y' };

    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    memset(&r3, 0, sizeof(r3));
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$4\r\nmfa2\r\n";
    fk.script[2] = "$-1\r\n";
    fk.script[3] = "+OK\r\n";
    fk.nscript = 4;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert_str_eq(fk.cmds[0], "ROLE");

    ck_assert(rlb_rstore_get(ctx.rstore, RLB_RKEY_STATE, state, 3, &r1));
    ck_assert_ptr_nonnull(r1.ticket);
    ck_assert(run_until(one_answer, 3));
    ck_assert_str_eq(answered, "mfa2");
    ck_assert_ptr_null(r1.ticket);
    ck_assert_str_eq(fk.cmds[1], "GET t:s:6b6579");

    ck_assert(rlb_rstore_get(ctx.rstore, RLB_RKEY_STATE, state, 3, &r2));
    ck_assert(run_until(two_answers, 3));
    ck_assert_ptr_null(answered);                  /* not found */

    ck_assert(rlb_rstore_set(ctx.rstore, RLB_RKEY_AFFINITY, state, 3, "mfa3", 120, &r3));
    ck_assert(run_until(one_write, 3));
    ck_assert_str_eq(fk.cmds[3], "SET t:a:6b6579 mfa3 PX 120000");
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->gets, 2);
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->hits, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->misses, 1);
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->sets, 1);
    ck_assert_uint_eq(rlb_rstore_outstanding(ctx.rstore), 0);
}
END_TEST

START_TEST(auth_and_select_first)
{
    fk.script[0] = "+OK\r\n";
    fk.script[1] = "+OK\r\n";
    fk.script[2] = ROLE_MASTER;
    fk.nscript = 3;
    conf.redis.password = "s3cret";
    conf.redis.database = 2;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert_str_eq(fk.cmds[0], "AUTH s3cret");
    ck_assert_str_eq(fk.cmds[1], "SELECT 2");
    ck_assert_str_eq(fk.cmds[2], "ROLE");
}
END_TEST

START_TEST(auth_refused)
{
    fk.script[0] = "-WRONGPASS invalid username-password pair\r\n";
    fk.script[1] = ROLE_MASTER;
    fk.nscript = 2;
    conf.redis.password = "nope";
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_down, 3));
    ck_assert_ptr_nonnull(strstr(rlb_rstore_last_error(ctx.rstore), "AUTH refused"));
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->outages, 1);
}
END_TEST

START_TEST(replica_refused)
{
    fk.script[0] = ROLE_SLAVE;
    fk.nscript = 1;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_down, 3));
    ck_assert_ptr_nonnull(strstr(rlb_rstore_last_error(ctx.rstore), "is not the master (ROLE: slave)"));
}
END_TEST

START_TEST(garbage_then_recovery)
{
    /* Not RESP: hiredis reports a protocol error; radlb drops the
     * connection and reconnects after its backoff. */
    fk.script[0] = "hello, I am not Redis\r\n";
    fk.script[1] = ROLE_MASTER;
    fk.nscript = 2;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_down, 3));
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->outages, 1);
    ck_assert(run_until(reconnected, 5));
    ck_assert_int_eq(fk.accepted, 2);
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->outages, 1);
}
END_TEST

START_TEST(silent_server_times_out)
{
    fk.silent = true;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(!run_until(is_ready, 1.0));
    ck_assert(run_until(is_down, 3));
    ck_assert_ptr_nonnull(strstr(rlb_rstore_last_error(ctx.rstore), "did not answer within"));
}
END_TEST

START_TEST(stuck_after_ready_watchdog)
{
    struct rlb_request r;
    static const uint8_t state[] = { 's' };

    memset(&r, 0, sizeof(r));
    fk.script[0] = ROLE_MASTER;
    fk.nscript = 1;                 /* then nothing: a stopped Redis */
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(rlb_rstore_get(ctx.rstore, RLB_RKEY_STATE, state, 1, &r));
    ck_assert(run_until(is_down, 3));
    ck_assert_ptr_nonnull(strstr(rlb_rstore_last_error(ctx.rstore), "has not answered for"));
    /* The parked request is not forgotten: it is answered (not found). */
    ck_assert_int_eq(answers, 1);
    ck_assert_ptr_null(answered);
}
END_TEST

START_TEST(cancel_means_no_answer)
{
    struct rlb_request r;
    static const uint8_t state[] = { 's' };

    memset(&r, 0, sizeof(r));
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$4\r\nmfa1\r\n";
    fk.nscript = 2;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(rlb_rstore_get(ctx.rstore, RLB_RKEY_STATE, state, 1, &r));
    rlb_rstore_cancel(&r);
    ck_assert_ptr_null(r.ticket);
    run_until(one_answer, 0.5);
    ck_assert_int_eq(answers, 0);
    ck_assert_uint_eq(rlb_rstore_outstanding(ctx.rstore), 0);   /* the reply was read */
}
END_TEST

START_TEST(readonly_means_not_master)
{
    static const uint8_t state[] = { 's' };

    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "-READONLY You can't write against a read only replica.\r\n";
    fk.nscript = 2;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    rlb_rstore_set(ctx.rstore, RLB_RKEY_STATE, state, 1, "mfa1", 300, NULL);
    ck_assert(run_until(is_down, 3));
    ck_assert_ptr_nonnull(strstr(rlb_rstore_last_error(ctx.rstore), "became a replica (READONLY)"));
}
END_TEST

START_TEST(skipped_when_not_ready)
{
    struct rlb_request r;
    static const uint8_t state[] = { 's' };

    memset(&r, 0, sizeof(r));
    fk.silent = true;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(!rlb_rstore_get(ctx.rstore, RLB_RKEY_STATE, state, 1, &r));
    ck_assert(!rlb_rstore_set(ctx.rstore, RLB_RKEY_STATE, state, 1, "mfa1", 300, &r));
    ck_assert_ptr_null(r.ticket);
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->skipped, 2);
}
END_TEST

static void
use_sentinels(int n)
{
    struct fake *f[2] = { &fs, &fs2 };

    for (int i = 0; i < n; i++) {
        fake_start(loop, f[i]);
        snprintf(sentinel_text[i], sizeof(sentinel_text[i]), "127.0.0.1:%d", f[i]->port);
        sentinels[i] = sentinel_text[i];
    }
    conf.redis.sentinels = sentinels;
    conf.redis.nsentinels = (unsigned)n;
    conf.redis.master_name = "mymaster";
}

START_TEST(sentinel_names_the_master)
{
    static char answer[128];

    use_sentinels(1);
    snprintf(answer, sizeof(answer), "*2\r\n$9\r\n127.0.0.1\r\n$%zu\r\n%d\r\n",
             (size_t)snprintf(NULL, 0, "%d", fk.port), fk.port);
    fs.script[0] = answer;
    fs.nscript = 1;
    fk.script[0] = ROLE_MASTER;
    fk.nscript = 1;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert_str_eq(fs.cmds[0], "SENTINEL get-master-addr-by-name mymaster");
    ck_assert_str_eq(fk.cmds[0], "ROLE");
}
END_TEST

START_TEST(sentinel_that_does_not_know_is_skipped)
{
    static char answer[128];

    use_sentinels(2);
    fs.script[0] = "*-1\r\n";                      /* no such master */
    fs.nscript = 1;
    snprintf(answer, sizeof(answer), "*2\r\n$9\r\n127.0.0.1\r\n$%zu\r\n%d\r\n",
             (size_t)snprintf(NULL, 0, "%d", fk.port), fk.port);
    fs2.script[0] = answer;
    fs2.nscript = 1;
    fk.script[0] = ROLE_MASTER;
    fk.nscript = 1;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert_int_eq(fs.ncmds, 1);
    ck_assert_int_eq(fs2.ncmds, 1);
}
END_TEST

/* The shared master is read at once when ready, then every half second:
 * "EPOCH NAME", nothing, or something else (counted, reported as none). */
START_TEST(master_polled)
{
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$6\r\n3 mfa2\r\n";
    fk.script[2] = "$-1\r\n";
    fk.script[3] = "$7\r\ngarbage\r\n";
    fk.nscript = 4;
    seen = 0;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &master_hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(run_until(seen_two, 3));
    ck_assert_str_eq(fk.cmds[1], "GET t:master");
    ck_assert_str_eq(seen_name, "(none)");             /* the second answer: no key */
    ck_assert(run_until(seen_three, 3));
    ck_assert_str_eq(seen_name, "(none)");             /* garbage: none, and an error */
    ck_assert_uint_eq(rlb_rstore_stats(ctx.rstore)->errors, 1);
}
END_TEST

START_TEST(master_first_poll_names_it)
{
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$6\r\n3 mfa2\r\n";
    fk.nscript = 2;
    seen = 0;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &master_hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(run_until(one_answer_or_seen, 3));
    ck_assert_str_eq(seen_name, "mfa2");
    ck_assert_uint_eq(seen_epoch, 3);
}
END_TEST

/* Compare-and-set: one EVAL carrying the expected epoch, the new one and
 * the name; won, lost (what Redis has instead), or no answer at all. */
START_TEST(master_compare_and_set)
{
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$-1\r\n";                        /* the first poll */
    fk.script[2] = "*3\r\n:1\r\n$1\r\n4\r\n$4\r\nmfa3\r\n";
    fk.script[3] = "*3\r\n:0\r\n$1\r\n7\r\n$4\r\nmfa1\r\n";
    fk.nscript = 4;
    cas_calls = 0;
    seen = 0;
    ck_assert(!rlb_rstore_master_cas(NULL, &pool_default, 3, 4, "mfa3"));   /* no store */
    ck_assert_int_eq(rlb_rstore_start(&ctx, &master_hooks), 0);
    ck_assert(!rlb_rstore_master_cas(ctx.rstore, &pool_default, 3, 4, "mfa3")); /* not ready: nothing sent */
    ck_assert(run_until(is_ready, 3));
    ck_assert(run_until(one_answer_or_seen, 3));
    ck_assert(rlb_rstore_master_cas(ctx.rstore, &pool_default, 3, 4, "mfa3"));
    ck_assert(run_until(one_cas, 3));
    ck_assert(cas_ok && cas_answered);
    ck_assert_str_eq(seen_name, "mfa3");
    ck_assert_uint_eq(seen_epoch, 4);
    ck_assert_ptr_nonnull(strstr(fk.cmds[2], "EVAL "));
    ck_assert_ptr_nonnull(strstr(fk.cmds[2], " 1 t:master 3 4 mfa3"));
    ck_assert(rlb_rstore_master_cas(ctx.rstore, &pool_default, -1, 5, "mfa2"));
    ck_assert(run_until(two_cas, 3));
    ck_assert(!cas_ok && cas_answered);
    ck_assert_str_eq(seen_name, "mfa1");
    ck_assert_uint_eq(seen_epoch, 7);
    ck_assert_ptr_nonnull(strstr(fk.cmds[3], " 1 t:master -1 5 mfa2"));
}
END_TEST

/* Another pool's master is PREFIX "POOL:master"; the default pool keeps
 * PREFIX "master" (an upgraded cluster still finds it). */
START_TEST(master_per_pool_keys)
{
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$6\r\n3 mfa2\r\n";
    fk.script[2] = "$6\r\n5 vpn2\r\n";
    fk.script[3] = "*3\r\n:1\r\n$1\r\n6\r\n$4\r\nvpn1\r\n";
    fk.nscript = 4;
    ctx.npools = 2;
    seen = 0;
    cas_calls = 0;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &master_hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(run_until(two_seen, 3));
    ck_assert_str_eq(fk.cmds[1], "GET t:master");
    ck_assert_str_eq(fk.cmds[2], "GET t:vpn:master");
    ck_assert_ptr_eq(seen_pool, &pool_vpn);           /* the second answer is vpn's */
    ck_assert_str_eq(seen_name, "vpn2");
    ck_assert_uint_eq(seen_epoch, 5);
    ck_assert(rlb_rstore_master_cas(ctx.rstore, &pool_vpn, 5, 6, "vpn1"));
    ck_assert(run_until(one_cas, 3));
    ck_assert_ptr_eq(seen_pool, &pool_vpn);
    ck_assert_ptr_nonnull(strstr(fk.cmds[3], " 1 t:vpn:master 5 6 vpn1"));
}
END_TEST

/* Redis stops answering while a compare-and-set is out: told, unanswered. */
START_TEST(master_cas_lost_connection)
{
    fk.script[0] = ROLE_MASTER;
    fk.script[1] = "$-1\r\n";
    fk.nscript = 2;
    cas_calls = 0;
    seen = 0;
    ck_assert_int_eq(rlb_rstore_start(&ctx, &master_hooks), 0);
    ck_assert(run_until(is_ready, 3));
    ck_assert(run_until(one_answer_or_seen, 3));
    ck_assert(rlb_rstore_master_cas(ctx.rstore, &pool_default, 0, 1, "mfa2"));
    ck_assert(run_until(one_cas, 5));                 /* the watchdog drops the connection */
    ck_assert(!cas_ok && !cas_answered);
}
END_TEST

static Suite *
rstore_suite(void)
{
    Suite *s = suite_create("rstore");
    TCase *tc = tcase_create("fake-redis");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, key_and_backoff);
    tcase_add_test(tc, ready_then_get_and_set);
    tcase_add_test(tc, auth_and_select_first);
    tcase_add_test(tc, auth_refused);
    tcase_add_test(tc, replica_refused);
    tcase_add_test(tc, garbage_then_recovery);
    tcase_add_test(tc, silent_server_times_out);
    tcase_add_test(tc, stuck_after_ready_watchdog);
    tcase_add_test(tc, cancel_means_no_answer);
    tcase_add_test(tc, readonly_means_not_master);
    tcase_add_test(tc, skipped_when_not_ready);
    tcase_add_test(tc, sentinel_names_the_master);
    tcase_add_test(tc, sentinel_that_does_not_know_is_skipped);
    tcase_add_test(tc, master_polled);
    tcase_add_test(tc, master_first_poll_names_it);
    tcase_add_test(tc, master_compare_and_set);
    tcase_add_test(tc, master_cas_lost_connection);
    tcase_add_test(tc, master_per_pool_keys);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(rstore_suite());
}
