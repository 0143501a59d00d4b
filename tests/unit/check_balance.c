/*
 * check_balance.c: unit tests of src/tables/balance.c: least-outstanding (relative
 * to weight, ties rotated), round-robin, smooth weighted round robin, and
 * the algorithms' names.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "balance.h"
#include "conf.h"
#include "server.h"

#include "testutil.h"

static struct rlb_server srv[5];
static struct rlb_server *v[5];

static void
setup(void)
{
    memset(srv, 0, sizeof(srv));
    for (int i = 0; i < 5; i++) {
        srv[i].weight = 1;
        v[i] = &srv[i];
    }
}

static int
idx(const struct rlb_server *s)
{
    ck_assert_ptr_nonnull(s);
    return (int)(s - srv);
}

/* ------------------------------------------------------------------ */

START_TEST(no_servers)
{
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };

    ck_assert_ptr_null(rlb_balance_pick(&b, v, 0));
    b.algo = RLB_BALANCE_ROUND_ROBIN;
    ck_assert_ptr_null(rlb_balance_pick(&b, v, 0));
    b.algo = RLB_BALANCE_WEIGHTED;
    ck_assert_ptr_null(rlb_balance_pick(&b, v, 0));
}
END_TEST

START_TEST(least_outstanding_fewest)
{
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };

    srv[0].outstanding = 5;
    srv[1].outstanding = 2;
    srv[2].outstanding = 9;
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), 1);
    srv[1].outstanding = 6;
    ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), 0);
}
END_TEST

START_TEST(least_outstanding_relative_to_weight)
{
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };

    /* 8/4 = 2 < 3/1 = 3: the busier but bigger server wins. */
    srv[0].weight = 4;
    srv[0].outstanding = 8;
    srv[1].outstanding = 3;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 2)), 0);
    /* 13/4 > 3/1. */
    srv[0].outstanding = 13;
    ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 2)), 1);
}
END_TEST

START_TEST(least_outstanding_ties_rotate)
{
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };
    int hits[3] = { 0, 0, 0 };

    /* 3 idle servers, outstanding not updated: 3 picks hit all 3. */
    for (int i = 0; i < 3; i++)
        hits[idx(rlb_balance_pick(&b, v, 3))]++;
    ck_assert_int_eq(hits[0], 1);
    ck_assert_int_eq(hits[1], 1);
    ck_assert_int_eq(hits[2], 1);
    /* And evenly over many. */
    for (int i = 0; i < 297; i++)
        hits[idx(rlb_balance_pick(&b, v, 3))]++;
    ck_assert_int_eq(hits[0], 100);
    ck_assert_int_eq(hits[1], 100);
    ck_assert_int_eq(hits[2], 100);
}
END_TEST

START_TEST(least_outstanding_ties_among_least_only)
{
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };
    int hits[4] = { 0, 0, 0, 0 };

    /* 1 and 3 tie at 2; 0 and 2 are busier: only 1 and 3, evenly. */
    srv[0].outstanding = 4;
    srv[1].outstanding = 2;
    srv[2].outstanding = 3;
    srv[3].outstanding = 2;
    for (int i = 0; i < 40; i++)
        hits[idx(rlb_balance_pick(&b, v, 4))]++;
    ck_assert_int_eq(hits[0], 0);
    ck_assert_int_eq(hits[2], 0);
    ck_assert_int_eq(hits[1], 20);
    ck_assert_int_eq(hits[3], 20);
}
END_TEST

START_TEST(least_outstanding_with_accounting)
{
    /* The caller counts what it sends: the picks spread as requests
     * accumulate, and a server that answers gets the next one. */
    struct rlb_balancer b = { RLB_BALANCE_LEAST_OUTSTANDING, 0 };

    for (int i = 0; i < 30; i++)
        rlb_balance_pick(&b, v, 3)->outstanding++;
    ck_assert_uint_eq(srv[0].outstanding, 10);
    ck_assert_uint_eq(srv[1].outstanding, 10);
    ck_assert_uint_eq(srv[2].outstanding, 10);
    srv[2].outstanding -= 4;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), 2);
        srv[2].outstanding++;
    }
}
END_TEST

START_TEST(round_robin_order)
{
    struct rlb_balancer b = { RLB_BALANCE_ROUND_ROBIN, 0 };

    srv[1].outstanding = 1000;     /* ignored by round robin */
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 4)), i % 4);
}
END_TEST

START_TEST(weighted_5_1_1)
{
    struct rlb_balancer b = { RLB_BALANCE_WEIGHTED, 0 };
    /* nginx's smooth weighted round robin for {a:5, b:1, c:1}. */
    static const int expect[7] = { 0, 0, 1, 0, 2, 0, 0 };
    int hits[3] = { 0, 0, 0 }, got[7];

    srv[0].weight = 5;
    for (int i = 0; i < 7; i++) {
        got[i] = idx(rlb_balance_pick(&b, v, 3));
        hits[got[i]]++;
    }
    ck_assert_int_eq(hits[0], 5);
    ck_assert_int_eq(hits[1], 1);
    ck_assert_int_eq(hits[2], 1);
    for (int i = 0; i < 7; i++)
        ck_assert_msg(got[i] == expect[i], "pick %d is server %d, expected %d", i, got[i], expect[i]);
    /* Smooth: the light servers are not adjacent and never at the start
     * of the cycle; and the cycle repeats exactly. */
    for (int i = 1; i < 7; i++)
        ck_assert(!(got[i] != 0 && got[i - 1] != 0));
    for (int round = 0; round < 100; round++)
        for (int i = 0; i < 7; i++)
            ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), expect[i]);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(srv[i].swrr_current, 0);
}
END_TEST

START_TEST(weighted_proportions)
{
    struct rlb_balancer b = { RLB_BALANCE_WEIGHTED, 0 };
    int hits[3] = { 0, 0, 0 };

    srv[0].weight = 3;
    srv[1].weight = 2;
    srv[2].weight = 1;
    for (int i = 0; i < 600; i++)
        hits[idx(rlb_balance_pick(&b, v, 3))]++;
    ck_assert_int_eq(hits[0], 300);
    ck_assert_int_eq(hits[1], 200);
    ck_assert_int_eq(hits[2], 100);
}
END_TEST

START_TEST(weighted_equal_weights_rotate)
{
    struct rlb_balancer b = { RLB_BALANCE_WEIGHTED, 0 };

    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), i % 3);
}
END_TEST

/* The master that serves no reads: never chosen by pick_except, whatever
 * the algorithm; NULL when it is the only candidate. */
START_TEST(except_never_picks_it)
{
    static const int algos[] = { RLB_BALANCE_LEAST_OUTSTANDING, RLB_BALANCE_ROUND_ROBIN,
                                 RLB_BALANCE_WEIGHTED };

    for (unsigned a = 0; a < 3; a++) {
        struct rlb_balancer b = { algos[a], 0 };

        srv[0].outstanding = 0;            /* the least loaded: would be chosen */
        srv[1].outstanding = 5;
        srv[2].outstanding = 5;
        for (int i = 0; i < 30; i++) {
            struct rlb_server *s = rlb_balance_pick_except(&b, v, 3, &srv[0]);

            ck_assert_int_ne(idx(s), 0);
        }
        srv[1].health = RLB_HEALTH_DOWN;
        srv[2].admin = RLB_ADMIN_MAINTENANCE;
        ck_assert_ptr_null(rlb_balance_pick_except(&b, v, 3, &srv[0]));
        ck_assert_int_eq(idx(rlb_balance_pick(&b, v, 3)), 0);
        srv[1].health = RLB_HEALTH_UP;
        srv[2].admin = RLB_ADMIN_ENABLED;
    }
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(rlb_balance_name(RLB_BALANCE_LEAST_OUTSTANDING), "least-outstanding");
    ck_assert_str_eq(rlb_balance_name(RLB_BALANCE_ROUND_ROBIN), "round-robin");
    ck_assert_str_eq(rlb_balance_name(RLB_BALANCE_WEIGHTED), "weighted");
    ck_assert_str_eq(rlb_balance_name(RLB_BALANCE_WEIGHTED + 1), "?");
    ck_assert_str_eq(rlb_balance_name(-1), "?");
    ck_assert_ptr_null(rlb_balance_names[RLB_BALANCE_WEIGHTED + 1]);
}
END_TEST

static Suite *
balance_suite(void)
{
    Suite *s = suite_create("balance");
    TCase *tc = tcase_create("pick");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, no_servers);
    tcase_add_test(tc, least_outstanding_fewest);
    tcase_add_test(tc, least_outstanding_relative_to_weight);
    tcase_add_test(tc, least_outstanding_ties_rotate);
    tcase_add_test(tc, least_outstanding_ties_among_least_only);
    tcase_add_test(tc, least_outstanding_with_accounting);
    tcase_add_test(tc, round_robin_order);
    tcase_add_test(tc, weighted_5_1_1);
    tcase_add_test(tc, weighted_proportions);
    tcase_add_test(tc, weighted_equal_weights_rotate);
    tcase_add_test(tc, except_never_picks_it);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(balance_suite());
}
