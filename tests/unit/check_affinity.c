/*
 * check_affinity.c: the affinity key of a request (src/tables/affinity.c): MD5
 * over the configured attributes' values, in configuration order, each
 * with its length; standard and vendor-specific attributes; no key when
 * an attribute is missing or affinity is off.
 */
#include "config.h"

#include "affinity.h"
#include "dict.h"
#include "testutil.h"

static const uint8_t AUTH[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct rlb_conf_sticky cs;

static void
setup(void)
{
    char err[256];

    ck_assert_msg(rlb_dict_load(DICT_DIR, err, sizeof(err)) == 0, "%s", err);
    memset(&cs, 0, sizeof(cs));
}

static void
use(const char *a, const char *b)
{
    const char *names[2] = { a, b };

    cs.naffinity = 0;
    for (int i = 0; i < 2 && names[i]; i++) {
        ck_assert_int_eq(rlb_dict_attr_by_name(names[i], &cs.aff_vendor[i], &cs.aff_attr[i]), 0);
        cs.naffinity++;
    }
}

/* A packet with User-Name, Calling-Station-Id and a Cisco-AVPair. */
static void
packet(struct tpkt *p, struct rlb_pkt_info *info, const char *user, const char *station,
       const char *avpair)
{
    size_t len;

    tp_init(p, 1, 7, AUTH);
    if (user)
        tp_attr(p, 1, user, strlen(user));
    if (station)
        tp_attr(p, 31, station, strlen(station));
    if (avpair) {
        uint8_t vsa[260];
        size_t n = strlen(avpair);

        vsa[0] = 0;
        vsa[1] = 0;
        vsa[2] = 0;
        vsa[3] = 9;                /* Cisco */
        vsa[4] = 1;                /* Cisco-AVPair */
        vsa[5] = (uint8_t)(n + 2);
        memcpy(vsa + 6, avpair, n);
        tp_attr(p, 26, vsa, n + 6);
    }
    len = p->len;
    ck_assert_int_eq(rlb_pkt_parse(p->b, &len, false, info), RLB_DROP_NONE);
}

static void
key_of(const char *user, const char *station, const char *avpair, uint8_t key[16], bool *ok)
{
    struct tpkt p;
    struct rlb_pkt_info info;

    packet(&p, &info, user, station, avpair);
    *ok = rlb_affinity_key(&cs, NULL, p.b, &info, key);
}

START_TEST(off_without_attributes)
{
    uint8_t k[16];
    bool ok;

    key_of("alice", "00-11", NULL, k, &ok);
    ck_assert(!ok);
}
END_TEST

START_TEST(same_values_same_key)
{
    uint8_t k1[16], k2[16];
    bool ok1, ok2;

    use("User-Name", "Calling-Station-Id");
    key_of("alice", "00-11", NULL, k1, &ok1);
    key_of("alice", "00-11", "ignored=1", k2, &ok2);
    ck_assert(ok1 && ok2);
    ck_assert_mem_eq(k1, k2, 16);
}
END_TEST

/* The same values in another pool: another key; the default pool (NULL)
 * keeps the key of before pools. */
START_TEST(pool_in_the_key)
{
    uint8_t k1[16], k2[16], k3[16];
    struct tpkt p;
    struct rlb_pkt_info info;

    use("User-Name", "Calling-Station-Id");
    packet(&p, &info, "alice", "00-11", NULL);
    ck_assert(rlb_affinity_key(&cs, NULL, p.b, &info, k1));
    ck_assert(rlb_affinity_key(&cs, "vpn", p.b, &info, k2));
    ck_assert(rlb_affinity_key(&cs, "wifi", p.b, &info, k3));
    ck_assert(memcmp(k1, k2, 16) != 0);
    ck_assert(memcmp(k2, k3, 16) != 0);
    ck_assert(rlb_affinity_key(&cs, "vpn", p.b, &info, k1));
    ck_assert_mem_eq(k1, k2, 16);
}
END_TEST

START_TEST(other_values_other_key)
{
    uint8_t k1[16], k2[16], k3[16];
    bool ok;

    use("User-Name", "Calling-Station-Id");
    key_of("alice", "00-11", NULL, k1, &ok);
    key_of("alice", "00-12", NULL, k2, &ok);
    key_of("alicf", "00-11", NULL, k3, &ok);
    ck_assert(memcmp(k1, k2, 16) != 0);
    ck_assert(memcmp(k1, k3, 16) != 0);
}
END_TEST

START_TEST(lengths_separate_values)
{
    /* "ab" + "c" and "a" + "bc": the length prefix keeps them apart. */
    uint8_t k1[16], k2[16];
    bool ok;

    use("User-Name", "Calling-Station-Id");
    key_of("ab", "c", NULL, k1, &ok);
    key_of("a", "bc", NULL, k2, &ok);
    ck_assert(memcmp(k1, k2, 16) != 0);
}
END_TEST

START_TEST(missing_attribute_no_key)
{
    uint8_t k[16];
    bool ok;

    use("User-Name", "Calling-Station-Id");
    key_of("alice", NULL, NULL, k, &ok);
    ck_assert(!ok);
}
END_TEST

START_TEST(vendor_attribute)
{
    uint8_t k1[16], k2[16];
    bool ok1, ok2;

    use("Cisco-AVPair", NULL);
    key_of("alice", NULL, "shell:priv-lvl=15", k1, &ok1);
    key_of("bob", NULL, "shell:priv-lvl=15", k2, &ok2);
    ck_assert(ok1 && ok2);
    ck_assert_mem_eq(k1, k2, 16);       /* only the AVPair counts */
    key_of("alice", NULL, NULL, k1, &ok1);
    ck_assert(!ok1);
}
END_TEST

START_TEST(order_of_configuration_counts)
{
    uint8_t k1[16], k2[16];
    bool ok;

    use("User-Name", "Calling-Station-Id");
    key_of("x", "y", NULL, k1, &ok);
    use("Calling-Station-Id", "User-Name");
    key_of("x", "y", NULL, k2, &ok);
    ck_assert(memcmp(k1, k2, 16) != 0);
}
END_TEST

static Suite *
affinity_suite(void)
{
    Suite *s = suite_create("affinity");
    TCase *tc = tcase_create("key");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, off_without_attributes);
    tcase_add_test(tc, same_values_same_key);
    tcase_add_test(tc, other_values_other_key);
    tcase_add_test(tc, lengths_separate_values);
    tcase_add_test(tc, missing_attribute_no_key);
    tcase_add_test(tc, vendor_attribute);
    tcase_add_test(tc, order_of_configuration_counts);
    tcase_add_test(tc, pool_in_the_key);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(affinity_suite());
}
