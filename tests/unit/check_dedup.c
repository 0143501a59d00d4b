/*
 * check_dedup.c: unit tests of src/tables/dedup.c (the duplicate table) and
 * src/flow/request.c (request and buffer pools).
 *
 * rfc-checklist.md item 13: a request is found by (listener, client
 * address, port, Identifier) exactly; the authenticator comparison that
 * tells a retransmission from a new request is the proxy's.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "addr.h"
#include "dedup.h"
#include "request.h"

#include "testutil.h"

/* Listeners are opaque to the table: only their addresses matter. */
static char listener_a, listener_b;
#define LA ((struct rlb_listener *)(void *)&listener_a)
#define LB ((struct rlb_listener *)(void *)&listener_b)

static struct rlb_dedup d;
static struct rlb_reqpool pool;

static void
setup(void)
{
    ck_assert_int_eq(rlb_dedup_init(&d, 0), 0);
    memset(&pool, 0, sizeof(pool));
}

static void
teardown(void)
{
    rlb_dedup_free(&d);
    rlb_reqpool_free(&pool);
}

static union rlb_sockaddr
sa(const char *addr, uint16_t port)
{
    union rlb_sockaddr s;

    ck_assert_int_eq(rlb_addr_parse(addr, port, &s), 0);
    return s;
}

static struct rlb_request *
add(struct rlb_listener *l, const char *addr, uint16_t port, uint8_t id)
{
    struct rlb_request *r = rlb_req_get(&pool);

    ck_assert_ptr_nonnull(r);
    r->listener = l;
    r->src = sa(addr, port);
    r->client_id = id;
    r->hnode.hash = rlb_dedup_hash(&d, l, &r->src, id);
    rlb_dedup_insert(&d, r);
    return r;
}

static struct rlb_request *
find(struct rlb_listener *l, const char *addr, uint16_t port, uint8_t id)
{
    union rlb_sockaddr s = sa(addr, port);

    return rlb_dedup_find(&d, rlb_dedup_hash(&d, l, &s, id), l, &s, id);
}

/* ------------------------------------------------------------------ */

START_TEST(siphash13_vectors)
{
    /* Key 00..0f, message 00..n-1 (the reference vectors' layout), for
     * SipHash-1-3 (as in Rust's SipHasher13 tests). */
    static const struct { size_t n; uint64_t h; } v[] = {
        { 0, 0xabac0158050fc4dcULL },  { 1, 0xc9f49bf37d57ca93ULL },
        { 7, 0xd3927d989bb11140ULL },  { 8, 0x369095118d299a8eULL },
        { 9, 0x25a48eb36c063de4ULL },  { 15, 0xd320d86d2a519956ULL },
        { 16, 0xcc4fdd1a7d908b66ULL }, { 27, 0xa91dc74e4ade3b35ULL },
        { 64, 0xf17997ec4b4a6065ULL },
    };
    uint8_t key[16], msg[64];

    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t i = 0; i < N_ELEMS(v); i++)
        ck_assert_msg(rlb_siphash13(key, msg, v[i].n) == v[i].h, "SipHash-1-3 of %zu octets", v[i].n);
}
END_TEST

START_TEST(insert_find_remove)
{
    struct rlb_request *r1 = add(LA, "192.0.2.10", 40000, 7);
    struct rlb_request *r2 = add(LA, "192.0.2.10", 40000, 8);

    ck_assert_uint_eq(d.tab.count, 2);
    ck_assert_ptr_eq(find(LA, "192.0.2.10", 40000, 7), r1);
    ck_assert_ptr_eq(find(LA, "192.0.2.10", 40000, 8), r2);
    rlb_dedup_remove(&d, r1);
    ck_assert_uint_eq(d.tab.count, 1);
    ck_assert_ptr_null(find(LA, "192.0.2.10", 40000, 7));
    ck_assert_ptr_eq(find(LA, "192.0.2.10", 40000, 8), r2);
    /* Removing twice changes nothing. */
    rlb_dedup_remove(&d, r1);
    ck_assert_uint_eq(d.tab.count, 1);
    rlb_dedup_remove(&d, r2);
    ck_assert_uint_eq(d.tab.count, 0);
    ck_assert_ptr_null(find(LA, "192.0.2.10", 40000, 8));
    rlb_req_put(&pool, r1);
    rlb_req_put(&pool, r2);
}
END_TEST

START_TEST(key_must_match_exactly_ipv4)
{
    struct rlb_request *r = add(LA, "192.0.2.10", 40000, 7);

    ck_assert_ptr_eq(find(LA, "192.0.2.10", 40000, 7), r);
    ck_assert_ptr_null(find(LA, "192.0.2.10", 40000, 6));      /* Identifier */
    ck_assert_ptr_null(find(LA, "192.0.2.10", 40001, 7));      /* port */
    ck_assert_ptr_null(find(LA, "192.0.2.11", 40000, 7));      /* address */
    ck_assert_ptr_null(find(LB, "192.0.2.10", 40000, 7));      /* listener */
    ck_assert_ptr_null(find(LA, "::ffff:192.0.2.10", 40000, 7)); /* family */
    rlb_dedup_remove(&d, r);
    rlb_req_put(&pool, r);
}
END_TEST

START_TEST(key_must_match_exactly_ipv6)
{
    struct rlb_request *r = add(LB, "2001:db8::10", 1812, 255);

    ck_assert_ptr_eq(find(LB, "2001:db8::10", 1812, 255), r);
    ck_assert_ptr_null(find(LB, "2001:db8::10", 1812, 0));
    ck_assert_ptr_null(find(LB, "2001:db8::10", 1813, 255));
    ck_assert_ptr_null(find(LB, "2001:db8::11", 1812, 255));
    ck_assert_ptr_null(find(LB, "2001:db9::10", 1812, 255));
    ck_assert_ptr_null(find(LA, "2001:db8::10", 1812, 255));
    rlb_dedup_remove(&d, r);
    rlb_req_put(&pool, r);
}
END_TEST

START_TEST(all_identifiers_and_ports_distinct)
{
    /* 256 Identifiers x 4 ports x 2 listeners x 2 families: each finds
     * exactly its own request. */
    static struct rlb_request *r[2][2][4][256];
    static const char *const addrs[2] = { "198.51.100.7", "2001:db8:1::7" };
    struct rlb_listener *ls[2] = { LA, LB };

    for (int f = 0; f < 2; f++)
        for (int l = 0; l < 2; l++)
            for (int p = 0; p < 4; p++)
                for (int id = 0; id < 256; id++)
                    r[f][l][p][id] = add(ls[l], addrs[f], (uint16_t)(1000 + p), (uint8_t)id);
    ck_assert_uint_eq(d.tab.count, 2 * 2 * 4 * 256);
    for (int f = 0; f < 2; f++)
        for (int l = 0; l < 2; l++)
            for (int p = 0; p < 4; p++)
                for (int id = 0; id < 256; id++)
                    ck_assert_ptr_eq(find(ls[l], addrs[f], (uint16_t)(1000 + p), (uint8_t)id),
                                     r[f][l][p][id]);
}
END_TEST

START_TEST(same_key_twice_remove_exact_entry)
{
    /* A superseded request and its replacement share the key for a
     * while: removing one leaves the other findable. */
    struct rlb_request *old = add(LA, "192.0.2.1", 5000, 42);
    struct rlb_request *neu = add(LA, "192.0.2.1", 5000, 42);
    struct rlb_request *f;

    f = find(LA, "192.0.2.1", 5000, 42);
    ck_assert(f == old || f == neu);
    rlb_dedup_remove(&d, old);
    ck_assert_ptr_eq(find(LA, "192.0.2.1", 5000, 42), neu);
    rlb_dedup_remove(&d, neu);
    ck_assert_ptr_null(find(LA, "192.0.2.1", 5000, 42));
    ck_assert_uint_eq(d.tab.count, 0);
}
END_TEST

START_TEST(growth_beyond_100000)
{
    enum { N = 150000 };
    static struct rlb_request *r[N];
    uint32_t mask0 = d.tab.mask;
    char addr[64];

    for (unsigned i = 0; i < N; i++) {
        /* 150,000 keys over 600 source addresses, 1 port, 250 Identifiers. */
        snprintf(addr, sizeof(addr), "10.%u.%u.1", (i / 250) / 256, (i / 250) % 256);
        r[i] = add(i % 2 ? LA : LB, addr, 1645, (uint8_t)(i % 250));
    }
    ck_assert_uint_eq(d.tab.count, N);
    ck_assert_uint_gt(d.tab.mask, mask0);
    ck_assert_uint_ge(d.tab.mask + 1u, N);   /* load back under 1 */
    for (unsigned i = 0; i < N; i++) {
        snprintf(addr, sizeof(addr), "10.%u.%u.1", (i / 250) / 256, (i / 250) % 256);
        ck_assert_msg(find(i % 2 ? LA : LB, addr, 1645, (uint8_t)(i % 250)) == r[i], "entry %u lost", i);
    }
    /* Every other one removed: the rest still there. */
    for (unsigned i = 0; i < N; i += 2)
        rlb_dedup_remove(&d, r[i]);
    ck_assert_uint_eq(d.tab.count, N / 2);
    for (unsigned i = 0; i < N; i++) {
        snprintf(addr, sizeof(addr), "10.%u.%u.1", (i / 250) / 256, (i / 250) % 256);
        ck_assert_ptr_eq(find(i % 2 ? LA : LB, addr, 1645, (uint8_t)(i % 250)), i % 2 ? r[i] : NULL);
    }
}
END_TEST

START_TEST(hash_key_is_per_table)
{
    /* Two tables hash the same key differently (random SipHash keys). */
    struct rlb_dedup d2;
    union rlb_sockaddr s = sa("192.0.2.1", 1812);
    int differ = 0;

    ck_assert_int_eq(rlb_dedup_init(&d2, 0), 0);
    for (int id = 0; id < 8; id++)
        differ += rlb_dedup_hash(&d, LA, &s, (uint8_t)id) != rlb_dedup_hash(&d2, LA, &s, (uint8_t)id);
    ck_assert_int_gt(differ, 0);
    /* And the same table hashes the same key the same way. */
    ck_assert_uint_eq(rlb_dedup_hash(&d, LA, &s, 3), rlb_dedup_hash(&d, LA, &s, 3));
    rlb_dedup_free(&d2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pools                                                              */

START_TEST(reqpool_reuse_without_growth)
{
    enum { N = 3000 };
    static struct rlb_request *r[N];
    unsigned long total;

    for (int i = 0; i < N; i++) {
        r[i] = rlb_req_get(&pool);
        ck_assert_ptr_nonnull(r[i]);
        r[i]->client_id = (uint8_t)i;
    }
    ck_assert_uint_eq(pool.in_use, N);
    total = pool.total;
    ck_assert_uint_ge(total, N);
    /* Distinct objects. */
    for (int i = 1; i < N; i++)
        ck_assert_ptr_ne(r[i], r[i - 1]);
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < N; i++)
            rlb_req_put(&pool, r[i]);
        ck_assert_uint_eq(pool.in_use, 0);
        for (int i = 0; i < N; i++) {
            r[i] = rlb_req_get(&pool);
            /* Handed out zeroed. */
            ck_assert_uint_eq(r[i]->client_id, 0);
            ck_assert_ptr_null(r[i]->hnode.next);
            r[i]->client_id = (uint8_t)(i + 1);
        }
        ck_assert_uint_eq(pool.total, total);
        ck_assert_uint_eq(pool.in_use, N);
    }
    for (int i = 0; i < N; i++)
        rlb_req_put(&pool, r[i]);
}
END_TEST

START_TEST(reqpool_last_put_first_get)
{
    struct rlb_request *a = rlb_req_get(&pool), *b = rlb_req_get(&pool);

    rlb_req_put(&pool, a);
    rlb_req_put(&pool, b);
    ck_assert_ptr_eq(rlb_req_get(&pool), b);
    ck_assert_ptr_eq(rlb_req_get(&pool), a);
    ck_assert_uint_eq(pool.in_use, 2);
}
END_TEST

START_TEST(bufpool_size_classes)
{
    struct rlb_bufpool bp;
    static const struct { size_t len, cls; } v[] = {
        { 0, 64 }, { 1, 64 }, { 64, 64 }, { 65, 96 }, { 96, 96 }, { 97, 128 }, { 128, 128 },
        { 129, 192 }, { 193, 256 }, { 253, 256 }, { 256, 256 }, { 257, 384 }, { 385, 512 },
        { 1000, 1024 }, { 1025, 1536 }, { 2048, 2048 }, { 2049, 3072 }, { 3073, 4096 },
        { 4096, 4096 },
    };

    memset(&bp, 0, sizeof(bp));
    for (size_t i = 0; i < N_ELEMS(v); i++) {
        uint8_t *b = rlb_buf_get(&bp, v[i].len);

        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(bp.bytes, v[i].cls);
        memset(b, 0xa5, v[i].cls);   /* the whole class is usable (valgrind) */
        rlb_buf_put(&bp, b, v[i].len);
        ck_assert_uint_eq(bp.bytes, 0);
    }
    ck_assert_ptr_null(rlb_buf_get(&bp, 4097));
    ck_assert_ptr_null(rlb_buf_get(&bp, 100000));
    ck_assert_uint_eq(bp.bytes, 0);
    rlb_bufpool_free(&bp);
}
END_TEST

START_TEST(bufpool_reuse_within_class)
{
    struct rlb_bufpool bp;
    uint8_t *a, *b, *c;

    memset(&bp, 0, sizeof(bp));
    a = rlb_buf_get(&bp, 100);                 /* class 128 */
    rlb_buf_put(&bp, a, 100);
    b = rlb_buf_get(&bp, 120);                 /* same class: the same buffer */
    ck_assert_ptr_eq(b, a);
    c = rlb_buf_get(&bp, 60);                  /* class 64: another one */
    ck_assert_ptr_ne(c, a);
    ck_assert_uint_eq(bp.bytes, 128 + 64);
    rlb_buf_put(&bp, b, 120);
    rlb_buf_put(&bp, c, 60);
    ck_assert_uint_eq(bp.bytes, 0);
    /* Many of one class: no more than one live allocation per get. */
    {
        uint8_t *v[50];

        for (int i = 0; i < 50; i++)
            v[i] = rlb_buf_get(&bp, 300);
        ck_assert_uint_eq(bp.bytes, 50 * 384);     /* class 384 */
        for (int i = 0; i < 50; i++)
            rlb_buf_put(&bp, v[i], 300);
        for (int i = 0; i < 50; i++) {
            uint8_t *x = rlb_buf_get(&bp, 384);
            int found = 0;

            for (int j = 0; j < 50; j++)
                found += x == v[j];
            ck_assert_int_eq(found, 1);
        }
        ck_assert_uint_eq(bp.bytes, 50 * 384);
        for (int i = 0; i < 50; i++)
            rlb_buf_put(&bp, v[i], 384);
    }
    rlb_buf_put(&bp, NULL, 64);                /* ignored */
    ck_assert_uint_eq(bp.bytes, 0);
    rlb_bufpool_free(&bp);
}
END_TEST

static Suite *
dedup_suite(void)
{
    Suite *s = suite_create("dedup");
    TCase *tc;

    tc = tcase_create("table");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, siphash13_vectors);
    tcase_add_test(tc, insert_find_remove);
    tcase_add_test(tc, key_must_match_exactly_ipv4);
    tcase_add_test(tc, key_must_match_exactly_ipv6);
    tcase_add_test(tc, all_identifiers_and_ports_distinct);
    tcase_add_test(tc, same_key_twice_remove_exact_entry);
    tcase_add_test(tc, growth_beyond_100000);
    tcase_add_test(tc, hash_key_is_per_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("pools");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reqpool_reuse_without_growth);
    tcase_add_test(tc, reqpool_last_put_first_get);
    tcase_add_test(tc, bufpool_size_classes);
    tcase_add_test(tc, bufpool_reuse_within_class);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    return rlb_test_main(dedup_suite());
}
