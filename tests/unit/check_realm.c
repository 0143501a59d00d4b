/*
 * check_realm.c: the realm of a User-Name (src/tables/realm.c): no realm,
 * '@' at the start or the end, several '@' (the last one splits), the
 * backslash forms (the first one splits), both forms in one value, the
 * longest value, octets that are not ASCII, comparison without ASCII
 * case, and stripping.
 */
#include "config.h"

#include "realm.h"

#include "testutil.h"

static struct rlb_realm r;

/* Parses a C string; the parts come back as strings for the asserts. */
static bool
parse(const char *s)
{
    return rlb_realm_parse((const uint8_t *)s, strlen(s), &r);
}

static void
assert_parts(const char *s, int form, const char *realm, const char *user)
{
    bool has = parse(s);

    ck_assert_msg(has == (form != RLB_REALM_NONE), "%s: realm %d", s, has);
    ck_assert_int_eq(r.form, form);
    ck_assert_uint_eq(r.realm_len, strlen(realm));
    ck_assert_msg(memcmp(s + r.realm_off, realm, r.realm_len) == 0, "%s: realm %.*s", s,
                  (int)r.realm_len, s + r.realm_off);
    ck_assert_uint_eq(r.user_len, strlen(user));
    ck_assert_msg(memcmp(s + r.user_off, user, r.user_len) == 0, "%s: user %.*s", s,
                  (int)r.user_len, s + r.user_off);
}

START_TEST(suffix)
{
    assert_parts("alice@example.com", RLB_REALM_SUFFIX, "example.com", "alice");
    ck_assert_uint_eq(r.user_off, 0);
    ck_assert_uint_eq(r.realm_off, 6);
    assert_parts("a@b", RLB_REALM_SUFFIX, "b", "a");
}
END_TEST

START_TEST(no_realm)
{
    assert_parts("alice", RLB_REALM_NONE, "", "alice");
    ck_assert_uint_eq(r.user_off, 0);
    assert_parts("", RLB_REALM_NONE, "", "");
    assert_parts("alice.example.com", RLB_REALM_NONE, "", "alice.example.com");
    assert_parts("alice/example", RLB_REALM_NONE, "", "alice/example");
}
END_TEST

START_TEST(at_edges)
{
    /* An empty realm or an empty user is no realm. */
    assert_parts("alice@", RLB_REALM_NONE, "", "alice@");
    assert_parts("@example.com", RLB_REALM_NONE, "", "@example.com");
    assert_parts("@", RLB_REALM_NONE, "", "@");
    assert_parts("@@", RLB_REALM_NONE, "", "@@");
    /* The LAST '@' decides: at the end, no realm, even with an earlier one. */
    assert_parts("alice@example.com@", RLB_REALM_NONE, "", "alice@example.com@");
}
END_TEST

START_TEST(several_at)
{
    assert_parts("alice@corp@example.com", RLB_REALM_SUFFIX, "example.com", "alice@corp");
    assert_parts("a@@b", RLB_REALM_SUFFIX, "b", "a@");
    assert_parts("@a@b", RLB_REALM_SUFFIX, "b", "@a");
}
END_TEST

START_TEST(prefix)
{
    assert_parts("CORP\\alice", RLB_REALM_PREFIX, "CORP", "alice");
    ck_assert_uint_eq(r.realm_off, 0);
    ck_assert_uint_eq(r.user_off, 5);
    /* The FIRST backslash decides. */
    assert_parts("CORP\\sub\\alice", RLB_REALM_PREFIX, "CORP", "sub\\alice");
    assert_parts("\\alice", RLB_REALM_NONE, "", "\\alice");
    assert_parts("CORP\\", RLB_REALM_NONE, "", "CORP\\");
    assert_parts("\\", RLB_REALM_NONE, "", "\\");
    /* A first backslash at the start is no realm, even with a later one. */
    assert_parts("\\CORP\\alice", RLB_REALM_NONE, "", "\\CORP\\alice");
}
END_TEST

START_TEST(both_forms)
{
    /* '@' is tried first. */
    assert_parts("CORP\\alice@example.com", RLB_REALM_SUFFIX, "example.com", "CORP\\alice");
    assert_parts("alice@example.com\\x", RLB_REALM_SUFFIX, "example.com\\x", "alice");
    /* An '@' form that is no realm leaves the backslash form. */
    assert_parts("CORP\\alice@", RLB_REALM_PREFIX, "CORP", "alice@");
    assert_parts("@CORP\\alice", RLB_REALM_PREFIX, "@CORP", "alice");
    assert_parts("CORP\\@alice", RLB_REALM_SUFFIX, "alice", "CORP\\");
}
END_TEST

START_TEST(longest)
{
    uint8_t v[253];

    memset(v, 'u', sizeof(v));
    ck_assert(!rlb_realm_parse(v, sizeof(v), &r));
    ck_assert_uint_eq(r.user_len, 253);
    v[251] = '@';                          /* a one-octet realm */
    ck_assert(rlb_realm_parse(v, sizeof(v), &r));
    ck_assert_uint_eq(r.realm_off, 252);
    ck_assert_uint_eq(r.realm_len, 1);
    ck_assert_uint_eq(r.user_len, 251);
    v[251] = 'u';
    v[1] = '@';                            /* a 251-octet realm */
    ck_assert(rlb_realm_parse(v, sizeof(v), &r));
    ck_assert_uint_eq(r.realm_len, 251);
    ck_assert_uint_eq(r.user_len, 1);
    v[1] = 'u';
    v[252] = '\\';
    ck_assert(!rlb_realm_parse(v, sizeof(v), &r));
    v[252] = 'u';
    v[252 - 200] = '\\';
    ck_assert(rlb_realm_parse(v, sizeof(v), &r));
    ck_assert_int_eq(r.form, RLB_REALM_PREFIX);
    ck_assert_uint_eq(r.realm_len, 52);
    ck_assert_uint_eq(r.user_off, 53);
    ck_assert_uint_eq(r.user_len, 200);
}
END_TEST

START_TEST(not_ascii)
{
    /* UTF-8 and stray octets, NUL among them, are octets like others. */
    static const uint8_t v[] = { 0xc3, 0xa9, 'm', 0x00, 'e', '@', 0xe6, 0x97, 0xa5, 0xff };
    static const uint8_t up[] = { 0xc3, 0x89 }, low[] = { 0xc3, 0xa9 };

    ck_assert(rlb_realm_parse(v, sizeof(v), &r));
    ck_assert_uint_eq(r.user_len, 5);
    ck_assert_uint_eq(r.realm_off, 6);
    ck_assert_uint_eq(r.realm_len, 4);
    ck_assert(rlb_realm_eq(v + 6, 4, (const uint8_t *)"\xe6\x97\xa5\xff", 4));
    /* No case folding beyond ASCII: É is not é. */
    ck_assert(!rlb_realm_eq(up, 2, low, 2));
    /* 0xc1 is not 'A' + 0x80 folded. */
    ck_assert(!rlb_realm_eq((const uint8_t *)"\xc1", 1, (const uint8_t *)"\xe1", 1));
}
END_TEST

START_TEST(compare)
{
    const uint8_t *a = (const uint8_t *)"Example.COM";

    ck_assert(rlb_realm_eq(a, 11, (const uint8_t *)"example.com", 11));
    ck_assert(rlb_realm_eq(a, 11, (const uint8_t *)"EXAMPLE.com", 11));
    ck_assert(!rlb_realm_eq(a, 11, (const uint8_t *)"example.co", 10));
    ck_assert(!rlb_realm_eq(a, 11, (const uint8_t *)"example.org", 11));
    /* '@' and '`' sit next to the letters: they are not 'A'..'Z' folded. */
    ck_assert(!rlb_realm_eq((const uint8_t *)"@", 1, (const uint8_t *)"`", 1));
    ck_assert(!rlb_realm_eq((const uint8_t *)"[", 1, (const uint8_t *)"{", 1));
    ck_assert(rlb_realm_eq(a, 0, (const uint8_t *)"", 0));
}
END_TEST

START_TEST(strip)
{
    static const char s[] = "Alice@Example.com";
    static const char p[] = "CORP\\bob";
    struct rlb_realm_strip st;
    uint8_t big[254];

    ck_assert(parse(s));
    ck_assert(rlb_realm_strip((const uint8_t *)s, strlen(s), &r, &st));
    ck_assert_ptr_eq(st.user, (const uint8_t *)s);
    ck_assert_uint_eq(st.user_len, 5);
    ck_assert_uint_eq(st.orig_len, strlen(s));
    ck_assert(memcmp(st.orig, s, strlen(s)) == 0);

    ck_assert(parse(p));
    ck_assert(rlb_realm_strip((const uint8_t *)p, strlen(p), &r, &st));
    ck_assert_ptr_eq(st.user, (const uint8_t *)p + 5);
    ck_assert_uint_eq(st.user_len, 3);
    ck_assert(memcmp(st.orig, p, strlen(p)) == 0);

    /* No realm: the user part is the value. */
    ck_assert(!parse("carol"));
    ck_assert(rlb_realm_strip((const uint8_t *)"carol", 5, &r, &st));
    ck_assert_uint_eq(st.user_len, 5);
    ck_assert_uint_eq(st.orig_len, 5);

    /* Nothing over 253 octets is copied. */
    memset(big, 'x', sizeof(big));
    ck_assert(!rlb_realm_parse(big, sizeof(big), &r));
    ck_assert(!rlb_realm_strip(big, sizeof(big), &r, &st));
}
END_TEST

static Suite *
realm_suite(void)
{
    Suite *s = suite_create("realm");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, suffix);
    tcase_add_test(tc, no_realm);
    tcase_add_test(tc, at_edges);
    tcase_add_test(tc, several_at);
    tcase_add_test(tc, prefix);
    tcase_add_test(tc, both_forms);
    tcase_add_test(tc, longest);
    tcase_add_test(tc, not_ascii);
    suite_add_tcase(s, tc);
    tc = tcase_create("compare and strip");
    tcase_add_test(tc, compare);
    tcase_add_test(tc, strip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(realm_suite());
}
