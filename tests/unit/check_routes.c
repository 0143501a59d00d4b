/*
 * check_routes.c: the routing rules toward pools (src/tables/routes.c,
 * issue 14) with the FreeRADIUS dictionary: each kind of match (realm
 * without case, client, attribute, default), first match wins, no match,
 * the offsets of a stripped User-Name, the migration share (its spread
 * over 10,000 users, stability, raising it, 0 and 10000), the user list
 * over the share, the counters, and rules that do not build.
 *
 * The packets are built here and walked by rlb_pkt_parse, as in
 * check_writes.c.
 */
#include "config.h"

#include "dict.h"
#include "pkt.h"
#include "routes.h"
#include "writes.h"

#include "testutil.h"

static const uint8_t AUTH[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

#define ACCESS 1
#define ACCT   4

#define A_USER_NAME         1
#define A_STATE            24
#define A_CALLED_STATION   30
#define A_NAS_IDENTIFIER   32

#define N_USERS 10000
#define BUCKET_ALICE 4328 /* "alice@example.com" under the constant key: share_key */

static struct rlb_routes       rs;
static struct rlb_route_spec   spec[8];
static unsigned                nspec;
static struct rlb_route_result res;
static struct tpkt             pk;
static char                    err[512];

static void
setup(void)
{
    char e[256];

    ck_assert_msg(rlb_dict_load(DICT_DIR, e, sizeof(e)) == 0, "%s", e);
    memset(&rs, 0, sizeof(rs));
    memset(spec, 0, sizeof(spec));
    nspec = 0;
    memset(err, 0, sizeof(err));
}

static void
teardown(void)
{
    rlb_routes_free(&rs);
}

/* Appends a rule of a kind toward pool, without migration. */
static struct rlb_route_spec *
rule(int match, int pool)
{
    struct rlb_route_spec *s;

    ck_assert_uint_lt(nspec, N_ELEMS(spec));
    s = &spec[nspec++];
    memset(s, 0, sizeof(*s));
    s->match = match;
    s->pool = pool;
    s->to_pool = -1;
    return s;
}

static struct rlb_route_spec *
rule_names(int match, const char *const *names, unsigned n, int pool)
{
    struct rlb_route_spec *s = rule(match, pool);

    s->names = names;
    s->nnames = n;
    return s;
}

static struct rlb_route_spec *
rule_attr(const char *attribute, int test, const char *value, int pool)
{
    struct rlb_route_spec *s = rule(RLB_ROUTE_ATTRIBUTE, pool);

    ck_assert_msg(rlb_dict_attr_by_name(attribute, &s->vendor, &s->attr) == 0,
                  "%s is not in the dictionary", attribute);
    s->test = test;
    s->value = value;
    return s;
}

static void
build(void)
{
    rlb_routes_free(&rs);
    ck_assert_msg(rlb_routes_build(&rs, spec, nspec, NULL, err, sizeof(err)) == 0, "%s", err);
}

/* The pool of a request with a User-Name (NULL: none) and another string
 * attribute (type 0: none), from client (NULL: none). */
static int
pick2(const char *user, uint8_t type, const char *value, const char *client)
{
    struct rlb_pkt_info info;
    size_t len;
    int pool;

    tp_init(&pk, ACCESS, 7, AUTH);
    if (user)
        tp_attr(&pk, A_USER_NAME, user, strlen(user));
    if (type)
        tp_attr(&pk, type, value, strlen(value));
    len = pk.len;
    ck_assert_int_eq(rlb_pkt_parse(pk.b, &len, false, &info), RLB_DROP_NONE);
    pool = rlb_routes_pick(&rs, pk.b, &info, client, &res);
    ck_assert_int_eq(pool, res.pool);
    return pool;
}

static int
pick(const char *user)
{
    return pick2(user, 0, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Matches                                                            */

static const char *const REALMS[] = { "example.com", "corp" };
static const char *const CLIENTS[] = { "vpn-a", "vpn-b" };

START_TEST(realm_rule)
{
    rule_names(RLB_ROUTE_REALM, REALMS, 2, 1);
    build();
    ck_assert_int_eq(pick("alice@example.com"), 1);
    ck_assert_int_eq(res.rule, 0);
    ck_assert(res.has_realm);
    ck_assert(!res.stripped);
    ck_assert_int_eq(pick("alice@EXAMPLE.Com"), 1);      /* without case */
    ck_assert_int_eq(pick("CORP\\bob"), 1);              /* NT domain form */
    ck_assert_int_eq(pick("bob@Corp"), 1);
    ck_assert_int_eq(pick("alice@example.org"), -1);
    ck_assert_int_eq(res.rule, -1);
    ck_assert_int_eq(pick("alice@sub.example.com"), -1); /* equal, not a suffix */
    ck_assert_int_eq(pick("alice"), -1);
    ck_assert(!res.has_realm);
    ck_assert_int_eq(pick("alice@"), -1);
    ck_assert_int_eq(pick("example.com"), -1);
    ck_assert_int_eq(pick(NULL), -1);
    ck_assert_uint_eq(rs.v[0].matched, 4);
}
END_TEST

START_TEST(client_rule)
{
    rule_names(RLB_ROUTE_CLIENT, CLIENTS, 2, 2);
    build();
    ck_assert_int_eq(pick2("alice", 0, NULL, "vpn-a"), 2);
    ck_assert_int_eq(pick2(NULL, 0, NULL, "vpn-b"), 2);   /* no User-Name needed */
    ck_assert_int_eq(pick2("alice", 0, NULL, "VPN-A"), -1); /* client names are exact */
    ck_assert_int_eq(pick2("alice", 0, NULL, "vpn-"), -1);
    ck_assert_int_eq(pick2("alice", 0, NULL, "vpn-ab"), -1);
    ck_assert_int_eq(pick2("alice", 0, NULL, NULL), -1);
    ck_assert_uint_eq(rs.v[0].matched, 2);
}
END_TEST

START_TEST(attribute_rules)
{
    rule_attr("NAS-Identifier", RLB_WTEST_EQUALS, "portal", 3);
    rule_attr("Called-Station-Id", RLB_WTEST_REGEX, "^00-11-22-.*:vpn$", 4);
    rule_attr("State", RLB_WTEST_EXISTS, NULL, 5);
    rule_attr("NAS-Identifier", RLB_WTEST_MISSING, NULL, 6);
    build();
    ck_assert_int_eq(pick2("alice", A_NAS_IDENTIFIER, "portal", NULL), 3);
    ck_assert_int_eq(pick2("alice", A_CALLED_STATION, "00-11-22-33-44-55:vpn", NULL), 4);
    ck_assert_int_eq(pick2("alice", A_STATE, "s1", NULL), 5);
    ck_assert_int_eq(pick2("alice", 0, NULL, NULL), 6);  /* no NAS-Identifier */
    /* A NAS-Identifier that is not "portal" fails the first and the last. */
    ck_assert_int_eq(pick2("alice", A_NAS_IDENTIFIER, "Portal", NULL), -1);
    ck_assert_int_eq(pick2("alice", A_NAS_IDENTIFIER, "portal2", NULL), -1);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_uint_eq(rs.v[i].matched, 1);
}
END_TEST

START_TEST(default_rule)
{
    rule(RLB_ROUTE_DEFAULT, 0);
    build();
    ck_assert_int_eq(pick("alice@example.com"), 0);
    ck_assert_int_eq(pick(NULL), 0);
    ck_assert_int_eq(pick2(NULL, 0, NULL, "vpn-a"), 0);
    ck_assert_int_eq(res.rule, 0);
    ck_assert_uint_eq(rs.v[0].matched, 3);
}
END_TEST

START_TEST(no_rules)
{
    build();
    ck_assert_int_eq(pick("alice@example.com"), -1);
    ck_assert_int_eq(res.rule, -1);
    ck_assert(!res.migrated);
}
END_TEST

START_TEST(first_match_wins)
{
    rule_names(RLB_ROUTE_CLIENT, CLIENTS, 2, 2);
    rule_names(RLB_ROUTE_REALM, REALMS, 2, 1);
    rule(RLB_ROUTE_DEFAULT, 0);
    rule_names(RLB_ROUTE_REALM, REALMS, 2, 7);      /* after the default: never */
    build();
    ck_assert_int_eq(pick2("alice@example.com", 0, NULL, "vpn-a"), 2);
    ck_assert_int_eq(res.rule, 0);
    ck_assert_int_eq(pick2("alice@example.com", 0, NULL, "other"), 1);
    ck_assert_int_eq(res.rule, 1);
    ck_assert_int_eq(pick2("alice@example.org", 0, NULL, "other"), 0);
    ck_assert_int_eq(res.rule, 2);
    ck_assert_uint_eq(rs.v[0].matched, 1);
    ck_assert_uint_eq(rs.v[1].matched, 1);
    ck_assert_uint_eq(rs.v[2].matched, 1);
    ck_assert_uint_eq(rs.v[3].matched, 0);

    /* The default first: it decides everything. */
    spec[0] = spec[2];
    nspec = 2;
    build();
    ck_assert_int_eq(pick2("alice@example.com", 0, NULL, "vpn-a"), 0);
    ck_assert_int_eq(res.rule, 0);
    ck_assert_uint_eq(rs.v[1].matched, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Stripping                                                          */

START_TEST(strip_offsets)
{
    struct rlb_route_spec *s = rule_names(RLB_ROUTE_REALM, REALMS, 2, 1);

    s->strip = true;
    rule(RLB_ROUTE_DEFAULT, 0);
    build();
    /* User-Name is the first attribute: its value is at 22. */
    ck_assert_int_eq(pick("alice@Example.com"), 1);
    ck_assert(res.stripped);
    ck_assert_uint_eq(res.name_off, 22);
    ck_assert_uint_eq(res.name_len, 17);
    ck_assert_uint_eq(res.user_off, 22);
    ck_assert_uint_eq(res.user_len, 5);
    ck_assert_uint_eq(res.realm_off, 28);
    ck_assert_uint_eq(res.realm_len, 11);
    ck_assert(memcmp(pk.b + res.user_off, "alice", 5) == 0);
    ck_assert(memcmp(pk.b + res.realm_off, "Example.com", 11) == 0);

    ck_assert_int_eq(pick("corp\\bob"), 1);
    ck_assert(res.stripped);
    ck_assert_uint_eq(res.realm_off, 22);
    ck_assert_uint_eq(res.realm_len, 4);
    ck_assert_uint_eq(res.user_off, 27);
    ck_assert_uint_eq(res.user_len, 3);
    ck_assert(memcmp(pk.b + res.user_off, "bob", 3) == 0);

    /* After another attribute: the offsets follow. */
    tp_init(&pk, ACCESS, 7, AUTH);
    tp_attr(&pk, A_NAS_IDENTIFIER, "nas1", 4);
    tp_attr(&pk, A_USER_NAME, "x@corp", 6);
    {
        struct rlb_pkt_info info;
        size_t len = pk.len;

        ck_assert_int_eq(rlb_pkt_parse(pk.b, &len, false, &info), RLB_DROP_NONE);
        ck_assert_int_eq(rlb_routes_pick(&rs, pk.b, &info, NULL, &res), 1);
    }
    ck_assert_uint_eq(res.name_off, 28);
    ck_assert_uint_eq(res.user_off, 28);
    ck_assert_uint_eq(res.user_len, 1);
    ck_assert_uint_eq(res.realm_off, 30);
    ck_assert_uint_eq(res.realm_len, 4);

    /* The default rule does not strip, realm or not. */
    ck_assert_int_eq(pick("alice@example.org"), 0);
    ck_assert(!res.stripped);
    ck_assert(res.has_realm);
    ck_assert_uint_eq(res.realm_off, 28);
    ck_assert_int_eq(pick("alice"), 0);
    ck_assert(!res.stripped);
    ck_assert(!res.has_realm);
    ck_assert_uint_eq(res.realm_off, 0);
    ck_assert_uint_eq(res.user_off, 22);
    ck_assert_uint_eq(res.user_len, 5);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Migration                                                          */

static char users[N_USERS][32];

static void
make_users(void)
{
    for (unsigned i = 0; i < N_USERS; i++)
        snprintf(users[i], sizeof(users[i]), "user%05u@example.com", i);
}

/* One default rule from pool 0 to pool 1 with a share. */
static void
build_share(unsigned share)
{
    struct rlb_route_spec *s;

    nspec = 0;
    memset(spec, 0, sizeof(spec));
    s = rule(RLB_ROUTE_DEFAULT, 0);
    s->to_pool = 1;
    s->share = share;
    build();
}

/* How many of the users go to pool 1; moved[i] says which. */
static unsigned
count_new(bool *moved)
{
    unsigned n = 0;

    for (unsigned i = 0; i < N_USERS; i++) {
        int p = pick(users[i]);

        ck_assert(p == 0 || p == 1);
        ck_assert_int_eq(res.migrated, p == 1);
        ck_assert(!res.by_list);
        if (rs.v[0].share && rs.v[0].share < RLB_ROUTE_SHARE_MAX)
            ck_assert_int_eq(res.bucket < rs.v[0].share, p == 1);
        moved[i] = p == 1;
        n += moved[i];
    }
    return n;
}

static bool at2000[N_USERS], at3000[N_USERS], again[N_USERS];

START_TEST(share_spread_and_stability)
{
    unsigned n2000, n3000;

    make_users();
    build_share(2000);
    n2000 = count_new(at2000);
    printf("share 2000: %u of %u users to the new pool\n", n2000, N_USERS);
    ck_assert_msg(n2000 >= 1850 && n2000 <= 2150, "%u", n2000);
    ck_assert_uint_eq(rs.v[0].matched, N_USERS);
    ck_assert_uint_eq(rs.v[0].migrated, n2000);
    /* The same answer on every call, and after a rebuild (a restart, another
     * instance: the key is the constant one). */
    ck_assert_uint_eq(count_new(again), n2000);
    ck_assert(memcmp(again, at2000, sizeof(again)) == 0);
    build_share(2000);
    ck_assert_uint_eq(count_new(again), n2000);
    ck_assert(memcmp(again, at2000, sizeof(again)) == 0);

    /* Raising the share only moves users from old to new. */
    build_share(3000);
    n3000 = count_new(at3000);
    printf("share 3000: %u of %u users to the new pool\n", n3000, N_USERS);
    ck_assert_msg(n3000 >= 2850 && n3000 <= 3150, "%u", n3000);
    for (unsigned i = 0; i < N_USERS; i++)
        ck_assert_msg(!at2000[i] || at3000[i], "%s went back to the old pool", users[i]);
    ck_assert_uint_gt(n3000, n2000);
}
END_TEST

START_TEST(share_bounds)
{
    make_users();
    build_share(0);
    ck_assert_uint_eq(count_new(again), 0);
    ck_assert_uint_eq(rs.v[0].migrated, 0);
    build_share(RLB_ROUTE_SHARE_MAX);
    ck_assert_uint_eq(count_new(again), N_USERS);
    ck_assert_uint_eq(rs.v[0].migrated, N_USERS);
    /* Without User-Name there is nothing to hash: the old pool. */
    ck_assert_int_eq(pick(NULL), 0);
    ck_assert(!res.migrated);
}
END_TEST

START_TEST(share_key)
{
    unsigned a, b, same = 0;
    struct rlb_routes other;

    build_share(5000);
    /* The bucket is of the lower-cased name (ASCII). */
    a = rlb_routes_bucket(&rs, (const uint8_t *)"alice@example.com", 17);
    b = rlb_routes_bucket(&rs, (const uint8_t *)"Alice@EXAMPLE.com", 17);
    ck_assert_uint_eq(a, b);
    ck_assert_uint_lt(a, RLB_ROUTE_SHARE_MAX);
    ck_assert_int_eq(pick("alice@example.com"), pick("ALICE@example.COM"));
    ck_assert_uint_eq(res.bucket, a);
    /* A pinned value: the buckets must not change between versions either
     * (taken from this implementation; a change here moves users). */
    ck_assert_uint_eq(a, BUCKET_ALICE);
    /* Another seed, other buckets. */
    ck_assert_int_eq(rlb_routes_build(&other, spec, nspec, "site-2", err, sizeof(err)), 0);
    make_users();
    for (unsigned i = 0; i < N_USERS; i++) {
        size_t len = strlen(users[i]);

        same += rlb_routes_bucket(&rs, (const uint8_t *)users[i], len) ==
                rlb_routes_bucket(&other, (const uint8_t *)users[i], len);
    }
    ck_assert_uint_lt(same, 20);
    rlb_routes_free(&other);
}
END_TEST

static const char *const LISTED[] = { "Alice@example.com", "bob", "bob", "CORP\\carol" };

START_TEST(user_list)
{
    struct rlb_route_spec *s = rule(RLB_ROUTE_DEFAULT, 0);

    s->to_pool = 1;
    s->users = LISTED;
    s->nusers = N_ELEMS(LISTED);
    build();
    ck_assert_uint_eq(rs.v[0].nusers, 3);           /* bob once */
    ck_assert_int_eq(pick("Alice@example.com"), 1);
    ck_assert(res.migrated && res.by_list);
    ck_assert_int_eq(pick("bob"), 1);
    ck_assert_int_eq(pick("CORP\\carol"), 1);
    /* Exact names: case counts, and so does the realm. */
    ck_assert_int_eq(pick("alice@example.com"), 0);
    ck_assert(!res.migrated && !res.by_list);
    ck_assert_int_eq(pick("Bob"), 0);
    ck_assert_int_eq(pick("bob@example.com"), 0);
    ck_assert_int_eq(pick("bo"), 0);
    ck_assert_int_eq(pick(NULL), 0);
    ck_assert_uint_eq(rs.v[0].matched, 8);
    ck_assert_uint_eq(rs.v[0].migrated, 3);
}
END_TEST

START_TEST(user_list_wins_over_share)
{
    struct rlb_route_spec *s;
    static const char *listed[1];
    unsigned i;

    /* A user whose bucket keeps them in the old pool at share 2000. */
    make_users();
    build_share(2000);
    for (i = 0; i < N_USERS; i++) {
        if (pick(users[i]) == 0)
            break;
    }
    ck_assert_uint_lt(i, N_USERS);
    listed[0] = users[i];
    s = &spec[0];
    s->users = listed;
    s->nusers = 1;
    build();
    ck_assert_int_eq(pick(users[i]), 1);
    ck_assert(res.by_list);
    /* Share 0: the list alone. */
    s->share = 0;
    build();
    ck_assert_int_eq(pick(users[i]), 1);
    ck_assert(res.by_list);
    ck_assert_int_eq(pick(users[i + 1]), 0);
}
END_TEST

START_TEST(big_user_list)
{
    static const char *names[N_USERS / 2];
    struct rlb_route_spec *s;

    make_users();
    for (unsigned i = 0; i < N_USERS / 2; i++)
        names[i] = users[2 * i];
    s = rule_names(RLB_ROUTE_REALM, REALMS, 2, 3);
    s->to_pool = 4;
    s->users = names;
    s->nusers = N_USERS / 2;
    build();
    for (unsigned i = 0; i < N_USERS; i++)
        ck_assert_int_eq(pick(users[i]), i % 2 ? 3 : 4);
    ck_assert_uint_eq(rs.v[0].migrated, N_USERS / 2);
}
END_TEST

START_TEST(migration_with_strip)
{
    struct rlb_route_spec *s = rule_names(RLB_ROUTE_REALM, REALMS, 2, 3);

    s->strip = true;
    s->to_pool = 4;
    s->share = RLB_ROUTE_SHARE_MAX;
    build();
    ck_assert_int_eq(pick("alice@corp"), 4);
    ck_assert(res.stripped && res.migrated);
    ck_assert_uint_eq(res.user_len, 5);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rules that do not build                                            */

static void
bad(const char *want)
{
    ck_assert_int_eq(rlb_routes_build(&rs, spec, nspec, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_null(rs.v);
    ck_assert_msg(strstr(err, want), "got %s", err);
}

START_TEST(bad_rules)
{
    static const char *const empty[] = { "" };
    struct rlb_route_spec *s;

    rule(RLB_ROUTE_DEFAULT, 0);
    s = rule(RLB_ROUTE_DEFAULT, 0);
    s->to_pool = 1;
    s->share = 10001;
    bad("route 2: share 10001");
    s->share = 100;
    s->to_pool = -1;
    bad("route 2: a share or a user list without the pool");
    s->to_pool = 1;
    s->strip = true;
    bad("route 2: strip is for realm rules only");
    s->strip = false;
    s->pool = -1;
    bad("route 2: no pool");
    nspec = 1;
    rule(RLB_ROUTE_REALM, 1);
    bad("route 2: no realm");
    spec[1] = (struct rlb_route_spec){ .match = RLB_ROUTE_CLIENT, .names = empty, .nnames = 1,
                                       .to_pool = -1 };
    bad("route 2: name 1 is 0 octets");
    nspec = 1;
    rule_names(RLB_ROUTE_REALM, REALMS, 2, 1);
    rule_attr("User-Name", RLB_WTEST_REGEX, "(unclosed", 1);
    bad("route 3: \"(unclosed\" does not compile");
    spec[2].test = RLB_WTEST_EQUALS;
    spec[2].attr = 40;                         /* Acct-Status-Type */
    spec[2].value = "Begin";
    bad("route 3: \"Begin\" is neither a number nor a value name");
}
END_TEST

static Suite *
routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *tc;

    tc = tcase_create("matches");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, realm_rule);
    tcase_add_test(tc, client_rule);
    tcase_add_test(tc, attribute_rules);
    tcase_add_test(tc, default_rule);
    tcase_add_test(tc, no_rules);
    tcase_add_test(tc, first_match_wins);
    tcase_add_test(tc, strip_offsets);
    suite_add_tcase(s, tc);

    tc = tcase_create("migration");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, share_spread_and_stability);
    tcase_add_test(tc, share_bounds);
    tcase_add_test(tc, share_key);
    tcase_add_test(tc, user_list);
    tcase_add_test(tc, user_list_wins_over_share);
    tcase_add_test(tc, big_user_list);
    tcase_add_test(tc, migration_with_strip);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bad_rules);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(routes_suite());
}
