/*
 * check_sticky.c: unit tests of src/tables/sticky.c, the challenge-session table
 * (State -> server): lookup, refresh on use, expiry, the max_entries cap
 * (least recently used evicted), counters, forgetting a server, and the
 * expiry timer on a real libev loop.
 *
 * rfc-checklist.md item 22.
 */
#include "config.h"

#include <check.h>
#include <ev.h>
#include <string.h>

#include "request.h"
#include "dedup.h"
#include "server.h"
#include "sticky.h"

#include "testutil.h"

static struct rlb_server srv1, srv2, srv3;
#define S1 (&srv1)
#define S2 (&srv2)
#define S3 (&srv3)

static struct rlb_sticky t;
static struct rlb_bufpool bufs;

static void
table(double ttl, unsigned long max)
{
    memset(&bufs, 0, sizeof(bufs));
    ck_assert_int_eq(rlb_sticky_init(&t, NULL, &bufs, ttl, max), 0);
}

static void
teardown(void)
{
    rlb_sticky_free(&t);
    ck_assert_uint_eq(bufs.bytes, 0);   /* every entry went back to the pool */
    rlb_bufpool_free(&bufs);
}

static void
add(const char *state, struct rlb_server *s, double now)
{
    rlb_sticky_add(&t, (const uint8_t *)state, strlen(state), s, now);
}

static struct rlb_server *
find(const char *state, double now)
{
    return rlb_sticky_find(&t, (const uint8_t *)state, strlen(state), now);
}

/* ------------------------------------------------------------------ */

START_TEST(insert_and_lookup)
{
    table(300, 1000);
    add("state-one", S1, 100);
    add("state-two", S2, 100);
    ck_assert_uint_eq(rlb_sticky_count(&t), 2);
    ck_assert_uint_eq(t.stats.inserted, 2);
    ck_assert_ptr_eq(find("state-one", 101), S1);
    ck_assert_ptr_eq(find("state-two", 101), S2);
    ck_assert_ptr_eq(find("state-one", 102), S1);
    /* A State radlb never saw, a prefix, an extension: not found. Hits and
     * orphans are counted by the caller once every store has been asked. */
    ck_assert_ptr_null(find("state-three", 103));
    ck_assert_ptr_null(find("state-on", 103));
    ck_assert_ptr_null(find("state-one!", 103));
    ck_assert_uint_eq(t.stats.orphans, 0);
    ck_assert_uint_eq(t.stats.hits, 0);
}
END_TEST

START_TEST(binary_state)
{
    /* State is octets: NULs and high octets, 253 octets long. */
    uint8_t a[253], b[253];

    table(300, 1000);
    fill_pattern(a, sizeof(a), 1);
    memcpy(b, a, sizeof(b));
    a[0] = 0;
    b[0] = 0;
    b[252] ^= 1;
    rlb_sticky_add(&t, a, sizeof(a), S1, 0);
    rlb_sticky_add(&t, b, sizeof(b), S2, 0);
    ck_assert_ptr_eq(rlb_sticky_find(&t, a, sizeof(a), 1), S1);
    ck_assert_ptr_eq(rlb_sticky_find(&t, b, sizeof(b), 1), S2);
    ck_assert_ptr_null(rlb_sticky_find(&t, a, 252, 1));
}
END_TEST

START_TEST(re_add_updates_server)
{
    table(300, 1000);
    add("abc", S1, 0);
    add("abc", S2, 10);
    ck_assert_uint_eq(rlb_sticky_count(&t), 1);
    ck_assert_uint_eq(t.stats.inserted, 1);
    ck_assert_ptr_eq(find("abc", 11), S2);
}
END_TEST

START_TEST(ignored_lengths)
{
    uint8_t big[254];

    table(300, 1000);
    memset(big, 'x', sizeof(big));
    rlb_sticky_add(&t, big, 0, S1, 0);
    rlb_sticky_add(&t, big, 254, S1, 0);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
    rlb_sticky_add(&t, big, 253, S1, 0);
    ck_assert_uint_eq(rlb_sticky_count(&t), 1);
}
END_TEST

START_TEST(disabled_when_max_is_0)
{
    table(300, 0);
    add("abc", S1, 0);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
    ck_assert_ptr_null(find("abc", 1));
}
END_TEST

START_TEST(expiry_after_ttl)
{
    table(10, 1000);
    add("early", S1, 100);
    add("late", S2, 105);
    ck_assert_uint_eq(rlb_sticky_expire(&t, 109.9), 0);
    ck_assert_uint_eq(rlb_sticky_count(&t), 2);
    ck_assert_uint_eq(rlb_sticky_expire(&t, 110), 1);     /* used + ttl <= now */
    ck_assert_uint_eq(rlb_sticky_count(&t), 1);
    ck_assert_uint_eq(t.stats.expired, 1);
    ck_assert_ptr_null(find("early", 110));
    ck_assert_uint_eq(rlb_sticky_expire(&t, 200), 1);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
    ck_assert_uint_eq(t.stats.expired, 2);
    ck_assert_uint_eq(rlb_sticky_expire(&t, 300), 0);
}
END_TEST

START_TEST(lookup_after_ttl_is_orphan)
{
    /* Not yet expired by the timer, but too old: not used. */
    table(10, 1000);
    add("stale", S1, 0);
    ck_assert_ptr_eq(find("stale", 9.5), S1);    /* refreshed: used at 9.5 */
    ck_assert_ptr_eq(find("stale", 19.25), S1);
    ck_assert_ptr_null(find("stale", 29.25));
    ck_assert_uint_eq(rlb_sticky_count(&t), 1);        /* still there until the timer expires it */
}
END_TEST

START_TEST(refresh_on_lookup)
{
    table(10, 1000);
    add("a", S1, 0);
    add("b", S2, 1);
    ck_assert_ptr_eq(find("a", 8), S1);          /* a: used at 8 */
    ck_assert_uint_eq(rlb_sticky_expire(&t, 11), 1);       /* b (1 + 10) goes, a stays */
    ck_assert_ptr_null(find("b", 11));
    ck_assert_ptr_eq(find("a", 15), S1);         /* 8 + 10 > 15; now used at 15 */
    ck_assert_uint_eq(rlb_sticky_expire(&t, 24.9), 0);
    ck_assert_uint_eq(rlb_sticky_expire(&t, 25), 1);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
}
END_TEST

START_TEST(refresh_on_re_add)
{
    table(10, 1000);
    add("a", S1, 0);
    add("b", S2, 1);
    add("a", S1, 5);
    ck_assert_uint_eq(rlb_sticky_expire(&t, 11), 1);
    ck_assert_ptr_eq(find("a", 14), S1);
}
END_TEST

START_TEST(max_entries_evicts_lru)
{
    table(300, 3);
    add("A", S1, 0);
    add("B", S2, 1);
    add("C", S3, 2);
    ck_assert_ptr_eq(find("A", 3), S1);          /* A is now the most recent */
    add("D", S1, 4);                             /* evicts B */
    ck_assert_uint_eq(rlb_sticky_count(&t), 3);
    ck_assert_uint_eq(t.stats.evicted, 1);
    ck_assert_ptr_null(find("B", 5));
    ck_assert_ptr_eq(find("A", 5), S1);
    ck_assert_ptr_eq(find("C", 5), S3);
    ck_assert_ptr_eq(find("D", 5), S1);
    add("E", S2, 6);                             /* evicts A (used at 5 before C, D) */
    ck_assert_uint_eq(t.stats.evicted, 2);
    ck_assert_ptr_null(find("A", 7));
    ck_assert_uint_eq(rlb_sticky_count(&t), 3);
    ck_assert_uint_eq(t.stats.expired, 0);
    ck_assert_uint_eq(t.stats.inserted, 5);
}
END_TEST

START_TEST(many_entries_grow)
{
    /* More entries than the initial 4096 buckets. */
    char s[32];

    table(300, 100000);
    for (int i = 0; i < 20000; i++) {
        snprintf(s, sizeof(s), "state-%d", i);
        add(s, i % 2 ? S1 : S2, 0);
    }
    ck_assert_uint_eq(rlb_sticky_count(&t), 20000);
    ck_assert_uint_gt(t.tab.mask, 4095);
    for (int i = 0; i < 20000; i++) {
        snprintf(s, sizeof(s), "state-%d", i);
        ck_assert_ptr_eq(find(s, 1), i % 2 ? S1 : S2);
    }
}
END_TEST

START_TEST(forget_server)
{
    table(300, 1000);
    add("a", S1, 0);
    add("b", S2, 0);
    add("c", S1, 0);
    add("d", S3, 0);
    add("e", S1, 0);
    rlb_sticky_forget_server(&t, S1);
    ck_assert_uint_eq(rlb_sticky_count(&t), 2);
    ck_assert_ptr_null(find("a", 1));
    ck_assert_ptr_null(find("c", 1));
    ck_assert_ptr_null(find("e", 1));
    ck_assert_ptr_eq(find("b", 1), S2);
    ck_assert_ptr_eq(find("d", 1), S3);
    /* The list is intact: expiry takes what is left. */
    ck_assert_uint_eq(rlb_sticky_expire(&t, 1000), 2);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
}
END_TEST

START_TEST(expiry_timer_on_event_loop)
{
    /* With a loop, adding an entry arms the timer; the loop expires the
     * entry (batched: at most 1 s after ttl) and then has nothing left
     * to wait for. */
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    double start;

    ck_assert_ptr_nonnull(loop);
    memset(&bufs, 0, sizeof(bufs));
    ck_assert_int_eq(rlb_sticky_init(&t, loop, &bufs, 0.05, 1000), 0);
    ev_now_update(loop);
    start = ev_now(loop);
    rlb_sticky_add(&t, (const uint8_t *)"timer", 5, S1, start);
    ck_assert(ev_is_active(&t.timer));
    ev_run(loop, 0);
    ev_now_update(loop);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
    ck_assert_uint_eq(t.stats.expired, 1);
    ck_assert(ev_now(loop) - start >= 0.05);
    ck_assert(ev_now(loop) - start < 3.0);
    ck_assert(!ev_is_active(&t.timer));
    rlb_sticky_free(&t);
    ev_loop_destroy(loop);
    rlb_bufpool_free(&bufs);
}
END_TEST

START_TEST(consume_by_fingerprint)
{
    uint8_t out[256];
    uint64_t fp;

    table(300, 1000);
    add("state-one", S1, 100);
    add("state-two", S2, 100);
    fp = rlb_sticky_fingerprint(&t, (const uint8_t *)"state-one", 9);
    ck_assert_uint_eq((uint32_t)fp, (uint32_t)rlb_siphash13(t.key, "state-one", 9));
    ck_assert_uint_eq(rlb_sticky_consume(&t, fp, 8, out), 0);       /* wrong length */
    ck_assert_uint_eq(rlb_sticky_consume(&t, fp ^ (1ULL << 40), 9, out), 0); /* other fingerprint */
    ck_assert_uint_eq(rlb_sticky_consume(&t, fp, 9, out), 9);
    ck_assert_mem_eq(out, "state-one", 9);
    ck_assert_ptr_null(find("state-one", 101));
    ck_assert_ptr_eq(find("state-two", 101), S2);
    ck_assert_uint_eq(rlb_sticky_count(&t), 1);
    ck_assert_uint_eq(t.stats.consumed, 1);
    ck_assert_uint_eq(rlb_sticky_consume(&t, fp, 9, out), 0);       /* only once */
}
END_TEST

/* The State table keeps each server's count of open sessions through
 * inserts, moves, consumption, expiry, eviction and forget_server. */
START_TEST(per_server_session_counts)
{
    uint8_t out[256];

    table(10, 3);
    t.per_server = true;
    srv1.sessions = srv2.sessions = srv3.sessions = 0;
    add("a", S1, 100);
    add("b", S1, 100);
    add("c", S2, 101);
    ck_assert_uint_eq(srv1.sessions, 2);
    ck_assert_uint_eq(srv2.sessions, 1);
    add("b", S2, 102);                                      /* moved */
    ck_assert_uint_eq(srv1.sessions, 1);
    ck_assert_uint_eq(srv2.sessions, 2);
    add("d", S3, 103);                                      /* evicts "a" (S1) */
    ck_assert_uint_eq(srv1.sessions, 0);
    ck_assert_uint_eq(srv3.sessions, 1);
    ck_assert_uint_eq(rlb_sticky_consume(&t, rlb_sticky_fingerprint(&t, (const uint8_t *)"d", 1),
                                         1, out), 1);
    ck_assert_uint_eq(srv3.sessions, 0);
    rlb_sticky_expire(&t, 111.5);                           /* "c" expires; "b" was used at 102 */
    ck_assert_uint_eq(srv2.sessions, 1);
    rlb_sticky_forget_server(&t, S2);
    ck_assert_uint_eq(srv2.sessions, 0);
    ck_assert_uint_eq(rlb_sticky_count(&t), 0);
}
END_TEST

/* Without per_server (the affinity table), server counts are left alone. */
START_TEST(no_counts_without_per_server)
{
    table(10, 3);
    srv1.sessions = 0;
    add("a", S1, 100);
    ck_assert_uint_eq(srv1.sessions, 0);
}
END_TEST

static Suite *
sticky_suite(void)
{
    Suite *s = suite_create("sticky");
    TCase *tc;

    tc = tcase_create("table");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, consume_by_fingerprint);
    tcase_add_test(tc, per_server_session_counts);
    tcase_add_test(tc, no_counts_without_per_server);
    tcase_add_test(tc, insert_and_lookup);
    tcase_add_test(tc, binary_state);
    tcase_add_test(tc, re_add_updates_server);
    tcase_add_test(tc, ignored_lengths);
    tcase_add_test(tc, disabled_when_max_is_0);
    tcase_add_test(tc, expiry_after_ttl);
    tcase_add_test(tc, lookup_after_ttl_is_orphan);
    tcase_add_test(tc, refresh_on_lookup);
    tcase_add_test(tc, refresh_on_re_add);
    tcase_add_test(tc, max_entries_evicts_lru);
    tcase_add_test(tc, many_entries_grow);
    tcase_add_test(tc, forget_server);
    suite_add_tcase(s, tc);

    tc = tcase_create("loop");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, expiry_timer_on_event_loop);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    return rlb_test_main(sticky_suite());
}
