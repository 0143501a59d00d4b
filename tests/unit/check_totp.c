/*
 * check_totp.c: src/wire/totp.c against the test vectors of RFC 6238
 * (TOTP, SHA1), RFC 4226 (HOTP) and RFC 4648 (base32).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "totp.h"

static const uint8_t key[] = "12345678901234567890";
#define KEYLEN 20

/* RFC 6238 appendix B, the SHA1 column. */
static const struct { double t; const char *code8; } rfc6238[] = {
    { 59, "94287082" },          { 1111111109, "07081804" }, { 1111111111, "14050471" },
    { 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000.0, "65353130" },
};

START_TEST(totp_rfc6238_8_digits)
{
    char out[10];

    for (size_t i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
        long n = rlb_totp(key, KEYLEN, rfc6238[i].t, 8, out);

        ck_assert_str_eq(out, rfc6238[i].code8);
        ck_assert_int_eq(n, strtol(rfc6238[i].code8, NULL, 10));
    }
}
END_TEST

START_TEST(totp_rfc6238_6_digits)
{
    char out[8];

    /* The 6-digit code is the 8-digit one modulo 10^6. */
    for (size_t i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
        rlb_totp(key, KEYLEN, rfc6238[i].t, 6, out);
        ck_assert_str_eq(out, rfc6238[i].code8 + 2);
    }
    /* The same step: the same code; the next step: another. */
    rlb_totp(key, KEYLEN, 30, 6, out);
    ck_assert_str_eq(out, "287082");
    rlb_totp(key, KEYLEN, 0, 6, out);
    ck_assert_str_eq(out, "755224");
    rlb_totp(key, KEYLEN, 29.9, 6, out);
    ck_assert_str_eq(out, "755224");
}
END_TEST

START_TEST(hotp_rfc4226)
{
    static const char *const codes[] = { "755224", "287082", "359152", "969429", "338314",
                                         "254676", "287922", "162583", "399871", "520489" };
    char out[8];

    for (unsigned c = 0; c < 10; c++) {
        rlb_hotp(key, KEYLEN, c, 6, out);
        ck_assert_str_eq(out, codes[c]);
    }
    ck_assert_int_eq(rlb_hotp(key, KEYLEN, 0, 0, out), -1);
    ck_assert_int_eq(rlb_hotp(key, KEYLEN, 0, 10, out), -1);
    ck_assert_int_eq(rlb_totp(key, KEYLEN, -1, 6, out), -1);
}
END_TEST

START_TEST(base32_decode)
{
    uint8_t out[64];

    ck_assert_int_eq(rlb_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, sizeof(out)), 20);
    ck_assert_mem_eq(out, key, 20);
    /* lower case, spaces (as apps show it) */
    ck_assert_int_eq(rlb_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", out,
                                       sizeof(out)), 20);
    ck_assert_mem_eq(out, key, 20);
    /* RFC 4648 section 10 */
    ck_assert_int_eq(rlb_base32_decode("", out, sizeof(out)), 0);
    ck_assert_int_eq(rlb_base32_decode("MY======", out, sizeof(out)), 1);
    ck_assert_mem_eq(out, "f", 1);
    ck_assert_int_eq(rlb_base32_decode("MZXW6YQ=", out, sizeof(out)), 4);
    ck_assert_mem_eq(out, "foob", 4);
    ck_assert_int_eq(rlb_base32_decode("MZXW6YTBOI======", out, sizeof(out)), 6);
    ck_assert_mem_eq(out, "foobar", 6);
    /* not base32: 0, 1, 8, 9, punctuation; data after padding; stray bits */
    ck_assert_int_eq(rlb_base32_decode("GEZDGNB0", out, sizeof(out)), -1);
    ck_assert_int_eq(rlb_base32_decode("GEZD-GNBV", out, sizeof(out)), -1);
    ck_assert_int_eq(rlb_base32_decode("MY==MY==", out, sizeof(out)), -1);
    ck_assert_int_eq(rlb_base32_decode("MZ", out, sizeof(out)), -1);
    ck_assert_int_eq(rlb_base32_decode("M", out, sizeof(out)), -1);
    /* too long for the buffer */
    ck_assert_int_eq(rlb_base32_decode("GEZDGNBVGY3TQOJQ", out, 9), -1);
}
END_TEST

static Suite *
totp_suite(void)
{
    Suite *s = suite_create("totp");
    TCase *tc = tcase_create("totp");

    tcase_add_test(tc, totp_rfc6238_8_digits);
    tcase_add_test(tc, totp_rfc6238_6_digits);
    tcase_add_test(tc, hotp_rfc4226);
    tcase_add_test(tc, base32_decode);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(totp_suite());
}
