/*
 * check_budget.c: the prompt-budget table (src/tables/budget.c): sliding
 * windows, when a block lifts, several windows at once, the entry cap,
 * budgets raised by a reload, forgetting a key.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "budget.h"
#include "request.h"

#include "testutil.h"

static struct rlb_bufpool bufs;
static struct rlb_limits l;
static const double T0 = 1000.0;
#define PINNED_ALICE 0x33f3cfc2aee39fcbULL            /* rlb_limits_key(user "alice") */

static uint64_t
user(const char *name)
{
    return rlb_limits_key(&l, RLB_LIMIT_USER, (const uint8_t *)name, strlen(name));
}

static void
prompt(const char *name, double t)
{
    rlb_limits_count(&l, user(name), RLB_LIMIT_USER, (const uint8_t *)name, strlen(name), t);
}

static bool
over(const char *name, double t, struct rlb_limit_verdict *v)
{
    struct rlb_limit_verdict dummy;

    return rlb_limits_over(&l, user(name), t, v ? v : &dummy);
}

static void
setup(void)
{
    static const double win[2] = { 600.0, 86400.0 };
    static const unsigned max[2] = { 5, 20 };

    memset(&bufs, 0, sizeof(bufs));
    ck_assert_int_eq(rlb_limits_init(&l, &bufs, T0), 0);
    rlb_limits_set(&l, win, max, 2, 1000000);
}

static void
teardown(void)
{
    rlb_limits_free(&l);
    rlb_bufpool_free(&bufs);
}

/* Five prompts in ten minutes: the sixth is over; the block lifts when
 * the first of the five is ten minutes old, not before. */
START_TEST(window_blocks_then_lifts)
{
    struct rlb_limit_verdict v;

    for (int i = 0; i < 5; i++) {
        ck_assert(!over("alice", T0 + 10 * i, NULL));
        prompt("alice", T0 + 10 * i);
    }
    ck_assert(over("alice", T0 + 41, &v));
    ck_assert_uint_eq(v.count, 5);
    ck_assert_uint_eq(v.max, 5);
    ck_assert_uint_eq(v.window, 0);
    ck_assert(v.until >= T0 + 599.8 && v.until <= T0 + 600.0);
    ck_assert(over("alice", T0 + 599.5, NULL));
    ck_assert(!over("alice", T0 + 600.5, NULL));      /* the first prompt aged out */
    ck_assert(!over("bob", T0 + 41, NULL));           /* other users are not affected */
    ck_assert_uint_eq(rlb_limits_find(&l, user("alice"))->blocked, 2);
    ck_assert_uint_eq(l.stats.prompts, 5);
}
END_TEST

/* The day's budget: 20; a user who paces 5 per ten minutes meets it. */
START_TEST(longest_window_counts_too)
{
    struct rlb_limit_verdict v;
    double t = T0;

    for (int i = 0; i < 20; i++) {
        ck_assert_msg(!over("carol", t, NULL), "prompt %d", i);
        prompt("carol", t);
        t += 130;                                     /* 4.6 per ten minutes */
    }
    ck_assert(over("carol", t, &v));
    ck_assert_uint_eq(v.window, 1);
    ck_assert_uint_eq(v.count, 20);
    ck_assert(v.until >= T0 + 86399.8 && v.until <= T0 + 86400.0);
    ck_assert(!over("carol", T0 + 86400.5, NULL));
}
END_TEST

/* max_entries: the least recently used key goes first. */
START_TEST(cap_evicts_least_recently_used)
{
    static const double win[1] = { 600.0 };
    static const unsigned max[1] = { 2 };
    char name[32];

    rlb_limits_set(&l, win, max, 1, 3);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "u%d", i);
        prompt(name, T0 + i);
        prompt(name, T0 + i);
    }
    prompt("u0", T0 + 5);                              /* u1 is now the oldest used */
    prompt("u9", T0 + 6);
    ck_assert_uint_eq(l.order.count, 3);
    ck_assert_uint_eq(l.stats.evicted, 1);
    ck_assert_ptr_null(rlb_limits_find(&l, user("u1")));
    ck_assert_ptr_nonnull(rlb_limits_find(&l, user("u0")));
    ck_assert(over("u2", T0 + 7, NULL));
}
END_TEST

/* An entry whose prompts all left the longest window is dropped when met. */
START_TEST(stale_entries_dropped)
{
    prompt("dave", T0);
    prompt("erin", T0 + 1);
    prompt("frank", T0 + 86402);
    ck_assert_ptr_null(rlb_limits_find(&l, user("dave")));
    ck_assert_ptr_null(rlb_limits_find(&l, user("erin")));
    ck_assert_uint_eq(l.stats.evicted, 0);              /* stale, not evicted */
    ck_assert_uint_eq(l.order.count, 1);
}
END_TEST

/* A reload that raises the budgets keeps the prompts counted so far. */
START_TEST(raised_budget_keeps_stamps)
{
    static const double win[1] = { 600.0 };
    static const unsigned small[1] = { 3 }, big[1] = { 10 };
    double oldest;

    rlb_limits_set(&l, win, small, 1, 1000000);
    for (int i = 0; i < 3; i++)
        prompt("gina", T0 + i);
    ck_assert(over("gina", T0 + 4, NULL));
    rlb_limits_set(&l, win, big, 1, 1000000);
    ck_assert(!over("gina", T0 + 4, NULL));
    for (int i = 0; i < 7; i++)
        prompt("gina", T0 + 5 + i);
    ck_assert_uint_eq(rlb_limits_in_window(&l, rlb_limits_find(&l, user("gina")), 0, T0 + 20,
                                           &oldest), 10);
    ck_assert(oldest <= T0 + 0.1);
    ck_assert(over("gina", T0 + 20, NULL));
}
END_TEST

/* Forgetting a user (radlbctl unblock) lifts the block at once. */
START_TEST(forget_unblocks)
{
    for (int i = 0; i < 5; i++)
        prompt("hank", T0 + i);
    ck_assert(over("hank", T0 + 6, NULL));
    ck_assert_int_eq(rlb_limits_forget(&l, user("hank")), 5);
    ck_assert(!over("hank", T0 + 6, NULL));
    ck_assert_int_eq(rlb_limits_forget(&l, user("hank")), -1);
}
END_TEST

/* A prompt taken back (count = "challenge": no prompt came) frees its
 * place in the window; the others stay. */
START_TEST(uncount_takes_one_back)
{
    double oldest;

    for (int i = 0; i < 5; i++)
        prompt("ivy", T0 + i);
    ck_assert(over("ivy", T0 + 6, NULL));
    rlb_limits_uncount(&l, user("ivy"), T0 + 2);
    ck_assert(!over("ivy", T0 + 6, NULL));
    ck_assert_uint_eq(rlb_limits_in_window(&l, rlb_limits_find(&l, user("ivy")), 0, T0 + 6,
                                           &oldest), 4);
    ck_assert_uint_eq(l.stats.released, 1);
    rlb_limits_uncount(&l, user("ivy"), T0 + 2);      /* gone already: nothing */
    ck_assert_uint_eq(l.stats.released, 1);
}
END_TEST

/* A key with the default budgets (20 stamps) takes a 192-octet block of
 * the buffer pool: 1,000,000 keys (limits.max_entries) are 192 MB. */
START_TEST(entry_size)
{
    ck_assert_uint_le(sizeof(struct rlb_limit_entry) + 20 * sizeof(uint32_t), 192);
}
END_TEST

/* Keys of different kinds never meet; a key's id is the same in every
 * table (every instance: they meet in Redis under it), pinned so that a
 * change of the hash, which would split a cluster's counts during an
 * upgrade, fails here. */
START_TEST(kinds_are_separate_keys)
{
    struct rlb_limits other;
    uint64_t u = rlb_limits_key(&l, RLB_LIMIT_USER, (const uint8_t *)"x", 1);
    uint64_t s = rlb_limits_key(&l, RLB_LIMIT_STATION, (const uint8_t *)"x", 1);

    ck_assert(u != s);
    ck_assert_int_eq(rlb_limits_init(&other, &bufs, T0), 0);
    ck_assert(rlb_limits_key(&other, RLB_LIMIT_USER, (const uint8_t *)"x", 1) == u);
    ck_assert_uint_eq(rlb_limits_key(&l, RLB_LIMIT_USER, (const uint8_t *)"alice", 5),
                      PINNED_ALICE);
    rlb_limits_free(&other);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("budget");
    TCase *tc = tcase_create("table");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, window_blocks_then_lifts);
    tcase_add_test(tc, longest_window_counts_too);
    tcase_add_test(tc, cap_evicts_least_recently_used);
    tcase_add_test(tc, stale_entries_dropped);
    tcase_add_test(tc, raised_budget_keeps_stamps);
    tcase_add_test(tc, forget_unblocks);
    tcase_add_test(tc, uncount_takes_one_back);
    tcase_add_test(tc, entry_size);
    tcase_add_test(tc, kinds_are_separate_keys);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
