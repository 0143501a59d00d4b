/*
 * check_crypto.c: unit tests of src/wire/crypto.c: HMAC-MD5 (RFC 2104 and
 * RFC 2202 vectors, a key longer than a block), the RADIUS keystreams
 * against libfreeradius rad_pwencode()/rad_tunnel_pwencode(), secret
 * comparison, and the random pool.
 *
 * rfc-checklist.md items 6, 8, 34.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "crypto.h"

#include "fr_xcheck.h"
#include "testutil.h"

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void
check_hmac(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen, const char *hex)
{
    struct rlb_secret s;
    struct rlb_hmac h;
    uint8_t want[16], got[16];

    unhex(hex, want, 16);
    ck_assert_int_eq(rlb_secret_init(&s, key, klen), 0);
    rlb_hmac_md5(&s, data, dlen, got);
    ck_assert_mem_eq(got, want, 16);
    /* The same in pieces. */
    memset(got, 0, sizeof(got));
    rlb_hmac_begin(&h, &s);
    rlb_hmac_add(&h, data, dlen / 3);
    rlb_hmac_add(&h, data + dlen / 3, 0);
    rlb_hmac_add(&h, data + dlen / 3, dlen - dlen / 3);
    rlb_hmac_end(&h, got);
    ck_assert_mem_eq(got, want, 16);
    rlb_secret_free(&s);
}

/* ------------------------------------------------------------------ */
/* HMAC-MD5                                                           */

START_TEST(hmac_rfc2104_vector_1)
{
    uint8_t key[16];

    memset(key, 0x0b, sizeof(key));
    check_hmac(key, sizeof(key), (const uint8_t *)"Hi There", 8, "9294727a3638bb1c13f48ef8158bfc9d");
}
END_TEST

START_TEST(hmac_rfc2104_vector_2)
{
    check_hmac((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
               "750c783e6ab0b503eaa86e310a5db738");
}
END_TEST

START_TEST(hmac_rfc2104_vector_3)
{
    uint8_t key[16], data[50];

    memset(key, 0xaa, sizeof(key));
    memset(data, 0xdd, sizeof(data));
    check_hmac(key, sizeof(key), data, sizeof(data), "56be34521d144c88dbb8c733f0e8b3f6");
}
END_TEST

START_TEST(hmac_rfc2202_vector_4)
{
    uint8_t key[25], data[50];

    for (int i = 0; i < 25; i++)
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, sizeof(data));
    check_hmac(key, sizeof(key), data, sizeof(data), "697eaf0aca3a3aea3a75164746ffaa79");
}
END_TEST

START_TEST(hmac_rfc2202_key_longer_than_block)
{
    uint8_t key[80];
    static const char d6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char d7[] = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

    memset(key, 0xaa, sizeof(key));
    check_hmac(key, sizeof(key), (const uint8_t *)d6, strlen(d6), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
    check_hmac(key, sizeof(key), (const uint8_t *)d7, strlen(d7), "6f630fad67cda0ee1fb1f562db3aa53e");
}
END_TEST

START_TEST(hmac_matches_libfreeradius_all_key_lengths)
{
    /* Keys of 1 to 130 octets (both sides of the 64-octet block). */
    char key[131];
    uint8_t data[300], a[16], b[16];
    struct rlb_secret s;

    fill_pattern(data, sizeof(data), 11);
    for (size_t klen = 1; klen <= 130; klen++) {
        for (size_t i = 0; i < klen; i++)
            key[i] = (char)('A' + (i * 13 + klen) % 58);
        ck_assert_int_eq(rlb_secret_init(&s, key, klen), 0);
        rlb_hmac_md5(&s, data, klen * 2, a);
        xfr_hmac_md5(b, data, klen * 2, (const uint8_t *)key, klen);
        ck_assert_msg(memcmp(a, b, 16) == 0, "HMAC-MD5 differs with a %zu-octet key", klen);
        rlb_secret_free(&s);
    }
}
END_TEST

START_TEST(md5_then_secret)
{
    /* MD5(data || secret), the Response Authenticator construction. */
    struct rlb_secret s;
    uint8_t data[100], both[120], a[16], b[16];

    fill_pattern(data, sizeof(data), 5);
    ck_assert_int_eq(rlb_secret_init(&s, "s3cr3t-for-md5", 14), 0);
    rlb_md5_then_secret(&s, data, sizeof(data), a);
    memcpy(both, data, sizeof(data));
    memcpy(both + sizeof(data), "s3cr3t-for-md5", 14);
    xfr_md5(b, both, sizeof(data) + 14);
    ck_assert_mem_eq(a, b, 16);
    rlb_secret_free(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Keystreams                                                         */

START_TEST(keystream_hide_matches_rad_pwencode)
{
    static const char *const secrets[] = {
        "s",
        "xyzzy5461",
        "a-sixteen-octets",
        "a-secret-of-exactly-sixty-four-octets-0123456789abcdefghijklmnop",     /* 64 */
        "a-secret-longer-than-sixty-four-octets-for-the-keystream-0123456789-abcdefghijklmnopqrstuvwxyz",
    };
    uint8_t vector[16], fr[256], rlb[256], plain[256];
    struct rlb_secret s;

    fill_pattern(vector, sizeof(vector), 21);
    for (size_t k = 0; k < N_ELEMS(secrets); k++) {
        ck_assert_int_eq(rlb_secret_init(&s, secrets[k], strlen(secrets[k])), 0);
        for (size_t len = 1; len <= 128; len++) {
            size_t padded = (len + 15) / 16 * 16, frlen = len;

            memset(plain, 0, sizeof(plain));
            for (size_t i = 0; i < len; i++)
                plain[i] = (uint8_t)('0' + (i * 7 + len) % 70);
            memcpy(fr, plain, sizeof(fr));
            ck_assert_int_eq(xfr_pwencode(fr, &frlen, secrets[k], vector), 0);
            ck_assert_uint_eq(frlen, padded);
            memcpy(rlb, plain, sizeof(rlb));
            rlb_keystream_hide(&s, vector, 16, rlb, padded);
            ck_assert_msg(memcmp(fr, rlb, padded) == 0, "secret %zu, length %zu: differs", k, len);
            rlb_keystream_unhide(&s, vector, 16, rlb, padded);
            ck_assert_mem_eq(rlb, plain, padded);
        }
        rlb_secret_free(&s);
    }
}
END_TEST

START_TEST(keystream_unhide_matches_rad_pwdecode)
{
    /* Random "ciphertext": both reveal the same plaintext. */
    uint8_t vector[16], fr[256], rlb[256];
    struct rlb_secret s;

    ck_assert_int_eq(rlb_secret_init(&s, "decode-me", 9), 0);
    for (unsigned round = 0; round < 50; round++) {
        size_t len = 16 * (1 + round % 8);

        fill_pattern(vector, sizeof(vector), round);
        fill_pattern(fr, len, round + 1000);
        memcpy(rlb, fr, len);
        xfr_pwdecode(fr, len, "decode-me", vector);
        rlb_keystream_unhide(&s, vector, 16, rlb, len);
        ck_assert_mem_eq(fr, rlb, len);
    }
    rlb_secret_free(&s);
}
END_TEST

START_TEST(keystream_matches_rad_tunnel_pwencode)
{
    /* rad_tunnel_pwencode: salt(2) + hide(length octet + data + pad)
     * with the seed vector || salt. */
    uint8_t vector[16], fr[256], plain[256], seed[18];
    struct rlb_secret s;
    static const char secret[] = "tunnel-secret-xyz";

    ck_assert_int_eq(rlb_secret_init(&s, secret, strlen(secret)), 0);
    fill_pattern(vector, sizeof(vector), 31);
    for (size_t len = 1; len <= 100; len++) {
        size_t frlen = len, enc;

        memset(plain, 0, sizeof(plain));
        fill_pattern(plain, len, (unsigned)len);
        memset(fr, 0, sizeof(fr));
        memcpy(fr, plain, len);
        ck_assert_int_ge(xfr_tunnel_pwencode(fr, &frlen, secret, vector), 0);
        enc = frlen - 2;
        ck_assert_uint_eq(enc % 16, 0);
        ck_assert_uint_ne(fr[0] & 0x80, 0);
        memcpy(seed, vector, 16);
        memcpy(seed + 16, fr, 2);
        /* Unhide: the length octet, the data, zeros. */
        {
            uint8_t buf[256];

            memcpy(buf, fr + 2, enc);
            rlb_keystream_unhide(&s, seed, sizeof(seed), buf, enc);
            ck_assert_uint_eq(buf[0], len);
            ck_assert_mem_eq(buf + 1, plain, len);
            for (size_t i = len + 1; i < enc; i++)
                ck_assert_uint_eq(buf[i], 0);
            /* Hide again: libfreeradius's bytes exactly. */
            rlb_keystream_hide(&s, seed, sizeof(seed), buf, enc);
            ck_assert_mem_eq(buf, fr + 2, enc);
        }
    }
    rlb_secret_free(&s);
}
END_TEST

START_TEST(keystream_hide_decodes_with_rad_tunnel_pwdecode)
{
    uint8_t vector[16], buf[256], seed[18], out[256];
    struct rlb_secret s;
    static const char secret[] = "other-tunnel-secret";
    static const char pw[] = "the tunnel password";
    size_t len, enc = 32;

    ck_assert_int_eq(rlb_secret_init(&s, secret, strlen(secret)), 0);
    fill_pattern(vector, sizeof(vector), 41);
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x81;                 /* salt */
    buf[1] = 0x23;
    buf[2] = (uint8_t)strlen(pw);
    memcpy(buf + 3, pw, strlen(pw));
    memcpy(seed, vector, 16);
    memcpy(seed + 16, buf, 2);
    rlb_keystream_hide(&s, seed, sizeof(seed), buf + 2, enc);
    len = enc + 2;
    memcpy(out, buf, len);
    ck_assert_int_ge(xfr_tunnel_pwdecode(out, &len, secret, vector), 0);
    ck_assert_uint_eq(len, strlen(pw));
    ck_assert_mem_eq(out, pw, len);
    rlb_secret_free(&s);
}
END_TEST

START_TEST(keystream_never_writes_past_whole_blocks)
{
    /* len not a multiple of 16: the tail is left alone. */
    uint8_t vector[16], buf[40], orig[40];
    struct rlb_secret s;

    ck_assert_int_eq(rlb_secret_init(&s, "k", 1), 0);
    fill_pattern(vector, sizeof(vector), 1);
    fill_pattern(orig, sizeof(orig), 2);
    memcpy(buf, orig, sizeof(buf));
    rlb_keystream_hide(&s, vector, 16, buf, 40);
    ck_assert(memcmp(buf, orig, 32) != 0);
    ck_assert_mem_eq(buf + 32, orig + 32, 8);
    rlb_secret_free(&s);
}
END_TEST

START_TEST(ascend_secret_xor)
{
    /* value ^ MD5(seed || secret), its own inverse. */
    uint8_t seed[16], buf[16], orig[16], both[16 + 6], md[16];
    struct rlb_secret s;

    ck_assert_int_eq(rlb_secret_init(&s, "ascend", 6), 0);
    fill_pattern(seed, sizeof(seed), 7);
    fill_pattern(orig, sizeof(orig), 8);
    memcpy(buf, orig, 16);
    rlb_ascend_secret_xor(&s, seed, buf, 16);
    memcpy(both, seed, 16);
    memcpy(both + 16, "ascend", 6);
    xfr_md5(md, both, sizeof(both));
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(buf[i], orig[i] ^ md[i]);
    rlb_ascend_secret_xor(&s, seed, buf, 16);
    ck_assert_mem_eq(buf, orig, 16);
    rlb_secret_free(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Secrets                                                            */

START_TEST(secret_init_copies)
{
    struct rlb_secret s;
    char src[100];

    memset(src, 'q', sizeof(src));
    ck_assert_int_eq(rlb_secret_init(&s, src, sizeof(src)), 0);
    memset(src, 0, sizeof(src));   /* the secret is a copy */
    ck_assert_uint_eq(s.len, 100);
    for (size_t i = 0; i < 100; i++)
        ck_assert_uint_eq(s.data[i], 'q');
    ck_assert_uint_eq(s.data[100], 0);
    rlb_secret_free(&s);
    ck_assert_ptr_null(s.data);
    ck_assert_uint_eq(s.len, 0);
}
END_TEST

START_TEST(secret_equal)
{
    struct rlb_secret a, b, c, d, e, f, z1, z2;
    static const char long1[] = "a-shared-secret-of-seventy-octets-0123456789-0123456789-abcdefghijklm";

    ck_assert_int_eq(rlb_secret_init(&a, "same-secret", 11), 0);
    ck_assert_int_eq(rlb_secret_init(&b, "same-secret", 11), 0);
    ck_assert_int_eq(rlb_secret_init(&c, "same-secreT", 11), 0);     /* last octet */
    ck_assert_int_eq(rlb_secret_init(&d, "same-secret!", 12), 0);    /* longer */
    ck_assert_int_eq(rlb_secret_init(&e, long1, strlen(long1)), 0);
    ck_assert_int_eq(rlb_secret_init(&f, long1, strlen(long1)), 0);
    ck_assert_int_eq(rlb_secret_init(&z1, "", 0), 0);
    ck_assert_int_eq(rlb_secret_init(&z2, "", 0), 0);
    ck_assert(rlb_secret_equal(&a, &b));
    ck_assert(rlb_secret_equal(&b, &a));
    ck_assert(!rlb_secret_equal(&a, &c));
    ck_assert(!rlb_secret_equal(&a, &d));
    ck_assert(!rlb_secret_equal(&d, &a));
    ck_assert(rlb_secret_equal(&e, &f));
    ck_assert(!rlb_secret_equal(&a, &e));
    ck_assert(rlb_secret_equal(&z1, &z2));
    ck_assert(!rlb_secret_equal(&z1, &a));
    rlb_secret_free(&a);
    rlb_secret_free(&b);
    rlb_secret_free(&c);
    rlb_secret_free(&d);
    rlb_secret_free(&e);
    rlb_secret_free(&f);
    rlb_secret_free(&z1);
    rlb_secret_free(&z2);
}
END_TEST

START_TEST(secret_with_nul_octets)
{
    /* Secrets are octets: an embedded NUL does not end them. */
    struct rlb_secret a, b;

    ck_assert_int_eq(rlb_secret_init(&a, "ab\0cd", 5), 0);
    ck_assert_int_eq(rlb_secret_init(&b, "ab\0ce", 5), 0);
    ck_assert_uint_eq(a.len, 5);
    ck_assert(!rlb_secret_equal(&a, &b));
    rlb_secret_free(&a);
    rlb_secret_free(&b);
}
END_TEST

START_TEST(digest_equal)
{
    uint8_t x[16], y[16];

    fill_pattern(x, 16, 3);
    memcpy(y, x, 16);
    ck_assert(rlb_digest_equal(x, y, 16));
    for (int i = 0; i < 16; i++) {
        y[i] ^= 0x01;
        ck_assert(!rlb_digest_equal(x, y, 16));
        y[i] ^= 0x01;
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Random                                                             */

START_TEST(random_bytes_not_constant)
{
    /* 1000 draws of 16 octets: all different, none all-zero; the pool
     * (4096 octets) is refilled several times on the way. */
    enum { N = 1000 };
    static uint8_t draws[N][16];
    static const uint8_t zero[16];
    int same = -1, zeros = 0;

    /* The half million comparisons are counted, and checked once: a
     * ck_assert each (a mark point through Check's pipe) takes longer
     * than the test's timeout under ASan on a loaded machine. */
    for (int i = 0; i < N; i++) {
        rlb_random_bytes(draws[i], 16);
        zeros += memcmp(draws[i], zero, 16) == 0;
        for (int j = 0; j < i && same < 0; j++)
            if (memcmp(draws[i], draws[j], 16) == 0)
                same = i * N + j;
    }
    ck_assert_int_eq(zeros, 0);
    ck_assert_msg(same < 0, "draws %d and %d are equal", same / N, same % N);
}
END_TEST

START_TEST(random_bytes_large_and_odd_sizes)
{
    /* A draw larger than the pool, then odd sizes: every byte value
     * shows up (a stuck or zeroed pool would not). */
    static uint8_t big[10000];
    unsigned seen[256];
    uint8_t small[7];

    memset(seen, 0, sizeof(seen));
    rlb_random_bytes(big, sizeof(big));
    for (size_t i = 0; i < sizeof(big); i++)
        seen[big[i]]++;
    for (int v = 0; v < 256; v++)
        ck_assert_msg(seen[v] > 0, "byte value %d never drawn in 10000", v);
    /* The second half differs from the first (no pool reuse). */
    ck_assert(memcmp(big, big + 4096, 4096) != 0);
    ck_assert(memcmp(big, big + 5000, 5000) != 0);
    for (int i = 0; i < 1000; i++)
        rlb_random_bytes(small, sizeof(small));
    rlb_random_bytes(small, 0);
}
END_TEST

static Suite *
crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc;

    tc = tcase_create("hmac");
    tcase_add_test(tc, hmac_rfc2104_vector_1);
    tcase_add_test(tc, hmac_rfc2104_vector_2);
    tcase_add_test(tc, hmac_rfc2104_vector_3);
    tcase_add_test(tc, hmac_rfc2202_vector_4);
    tcase_add_test(tc, hmac_rfc2202_key_longer_than_block);
    tcase_add_test(tc, hmac_matches_libfreeradius_all_key_lengths);
    tcase_add_test(tc, md5_then_secret);
    suite_add_tcase(s, tc);

    tc = tcase_create("keystream");
    tcase_add_test(tc, keystream_hide_matches_rad_pwencode);
    tcase_add_test(tc, keystream_unhide_matches_rad_pwdecode);
    tcase_add_test(tc, keystream_matches_rad_tunnel_pwencode);
    tcase_add_test(tc, keystream_hide_decodes_with_rad_tunnel_pwdecode);
    tcase_add_test(tc, keystream_never_writes_past_whole_blocks);
    tcase_add_test(tc, ascend_secret_xor);
    suite_add_tcase(s, tc);

    tc = tcase_create("secret");
    tcase_add_test(tc, secret_init_copies);
    tcase_add_test(tc, secret_equal);
    tcase_add_test(tc, secret_with_nul_octets);
    tcase_add_test(tc, digest_equal);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, random_bytes_not_constant);
    tcase_add_test(tc, random_bytes_large_and_odd_sizes);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    return rlb_test_main(crypto_suite());
}
