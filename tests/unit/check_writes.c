/*
 * check_writes.c: the classification of requests into writes and reads
 * (src/tables/writes.c) with the FreeRADIUS dictionary: the default without a
 * writes list, an empty list, rules on the code, on standard and vendor
 * attributes (equals in the attribute's type, extended regex on the
 * printed value, exists, missing), first match wins, the per-rule
 * counters, and values that cannot be converted.
 *
 * The rules are built as confcheck.c leaves them (code_num, vendor and
 * attr resolved); the packets are built here and walked by rlb_pkt_parse.
 */
#include "config.h"

#include <arpa/inet.h>

#include "conf.h"
#include "dict.h"
#include "pkt.h"
#include "writes.h"

#include "testutil.h"

static const uint8_t AUTH[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

#define ACCESS  1
#define ACCT    4
#define WRITE   RLB_CLASS_WRITE
#define READ    RLB_CLASS_READ

/* Attribute numbers of the packets built here. */
#define A_USER_NAME        1
#define A_NAS_IP_ADDRESS   4
#define A_STATE           24
#define A_CLASS           25
#define A_NAS_IDENTIFIER  32
#define A_ACCT_STATUS     40
#define A_EVENT_TIMESTAMP 55
#define VENDOR_CISCO       9
#define CISCO_AVPAIR       1

static struct rlb_conf_pool  conf;       /* the pool whose rules are built */
static const char          *conf_file;
static struct rlb_conf_write rules[8];
static struct rlb_writes     w;
static struct tpkt           pk;
static char                  err[512];

static void
setup(void)
{
    char e[256];

    ck_assert_msg(rlb_dict_load(DICT_DIR, e, sizeof(e)) == 0, "%s", e);
    memset(&conf, 0, sizeof(conf));
    memset(rules, 0, sizeof(rules));
    memset(&w, 0, sizeof(w));
    memset(err, 0, sizeof(err));
    conf_file = "/etc/radlb/radlb.conf";
    conf.writes = rules;
}

static void
teardown(void)
{
    rlb_writes_free(&w);
}

/* Appends a rule as the parse and validate passes leave it: code and
 * attribute resolved, no test yet. Line numbers are 10, 11, ... */
static struct rlb_conf_write *
rule(const char *code, const char *attribute, int class)
{
    struct rlb_conf_write *r;

    ck_assert_uint_lt(conf.nwrites, N_ELEMS(rules));
    r = &rules[conf.nwrites];
    r->code = (char *)code;
    r->attribute = (char *)attribute;
    r->equals = (char *)"";
    r->regex = (char *)"";
    r->class = class;
    r->line = 10 + (int)conf.nwrites;
    if (code[0]) {
        r->code_num = rlb_conf_code_number(code);
        ck_assert_int_gt(r->code_num, 0);
    }
    if (attribute[0])
        ck_assert_msg(rlb_dict_attr_by_name(attribute, &r->vendor, &r->attr) == 0,
                      "%s is not in the dictionary", attribute);
    conf.nwrites++;
    conf.writes_given = true;
    return r;
}

static struct rlb_conf_write *
rule_equals(const char *code, const char *attribute, const char *value, int class)
{
    struct rlb_conf_write *r = rule(code, attribute, class);

    r->equals = (char *)value;
    return r;
}

static struct rlb_conf_write *
rule_regex(const char *code, const char *attribute, const char *re, int class)
{
    struct rlb_conf_write *r = rule(code, attribute, class);

    r->regex = (char *)re;
    return r;
}

static void
build(void)
{
    ck_assert_msg(rlb_writes_build(&w, &conf, conf_file, err, sizeof(err)) == 0, "%s", err);
}

/* ------------------------------------------------------------------ */
/* Packets                                                            */

static void
pkt(uint8_t code)
{
    tp_init(&pk, code, 42, AUTH);
}

static void
add_str(uint8_t type, const char *s)
{
    tp_attr(&pk, type, s, strlen(s));
}

static void
add_u32(uint8_t type, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

    tp_attr(&pk, type, b, sizeof(b));
}

static void
add_ip(uint8_t type, const char *ip)
{
    uint8_t b[4];

    ck_assert_int_eq(inet_pton(AF_INET, ip, b), 1);
    tp_attr(&pk, type, b, sizeof(b));
}

/* The current packet, parsed and classified. */
static bool
is_write(void)
{
    struct rlb_pkt_info info;
    size_t len = pk.len;

    ck_assert_int_eq(rlb_pkt_parse(pk.b, &len, false, &info), RLB_DROP_NONE);
    return rlb_writes_is_write(&w, pk.b, &info);
}

/* A request of a code with one string attribute (type 0: none). */
static bool
str_write(uint8_t code, uint8_t type, const char *value)
{
    pkt(code);
    if (type)
        add_str(type, value);
    return is_write();
}

static bool
u32_write(uint8_t code, uint8_t type, uint32_t value)
{
    pkt(code);
    add_u32(type, value);
    return is_write();
}

/* ------------------------------------------------------------------ */
/* Lists                                                              */

START_TEST(no_list_accounting_is_write)
{
    conf.writes_given = false;
    build();
    ck_assert_uint_eq(w.n, 1);
    ck_assert(str_write(ACCT, 0, NULL));
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 2));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "alice"));
    ck_assert(!str_write(ACCESS, 0, NULL));
    ck_assert_uint_eq(w.v[0].matched, 3);
}
END_TEST

START_TEST(empty_list_nothing_is_write)
{
    conf.writes_given = true;
    conf.nwrites = 0;
    build();
    ck_assert_uint_eq(w.n, 0);
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "alice"));
}
END_TEST

START_TEST(code_only)
{
    rule("Access-Request", "", WRITE);
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "alice"));
    ck_assert(str_write(ACCESS, 0, NULL));
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert_uint_eq(w.v[0].matched, 2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* equals                                                             */

START_TEST(equals_string)
{
    rule_equals("", "NAS-Identifier", "enrollment-portal", WRITE);
    build();
    ck_assert(str_write(ACCESS, A_NAS_IDENTIFIER, "enrollment-portal"));
    ck_assert(str_write(ACCT, A_NAS_IDENTIFIER, "enrollment-portal"));
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "vpn-gateway"));
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "enrollment-portal2"));   /* not a prefix */
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "enrollment-porta"));
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "Enrollment-Portal"));    /* octet for octet */
    ck_assert(!str_write(ACCESS, A_USER_NAME, "enrollment-portal"));         /* another attribute */
    ck_assert(!str_write(ACCESS, 0, NULL));                                  /* missing */
    ck_assert_uint_eq(w.v[0].matched, 2);
}
END_TEST

START_TEST(equals_first_instance)
{
    /* The first NAS-Identifier decides. */
    rule_equals("", "NAS-Identifier", "enrollment-portal", WRITE);
    build();
    pkt(ACCESS);
    add_str(A_NAS_IDENTIFIER, "enrollment-portal");
    add_str(A_NAS_IDENTIFIER, "other");
    ck_assert(is_write());
}
END_TEST

START_TEST(equals_integer_value_name)
{
    rule_equals("Accounting-Request", "Acct-Status-Type", "Start", WRITE);
    build();
    ck_assert_uint_eq(w.v[0].t.eqlen, 4);
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 1));             /* Start */
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 2));            /* Stop */
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 3));            /* Interim-Update */
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 0x01000000));   /* byte order */
    ck_assert(!str_write(ACCT, A_NAS_IDENTIFIER, "nas"));     /* missing */
}
END_TEST

START_TEST(equals_integer_number)
{
    rule_equals("", "Acct-Status-Type", "2", WRITE);
    rule_equals("", "Acct-Status-Type", "4294967295", WRITE);
    build();
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 2));
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 0xffffffffu));
    ck_assert_uint_eq(w.v[0].matched, 1);
    ck_assert_uint_eq(w.v[1].matched, 1);
}
END_TEST

START_TEST(equals_date_number)
{
    rule_equals("", "Event-Timestamp", "1700000000", WRITE);
    build();
    ck_assert(u32_write(ACCT, A_EVENT_TIMESTAMP, 1700000000u));
    ck_assert(!u32_write(ACCT, A_EVENT_TIMESTAMP, 1700000001u));
}
END_TEST

START_TEST(equals_ipaddr)
{
    rule_equals("", "NAS-IP-Address", "10.0.0.1", WRITE);
    build();
    pkt(ACCESS);
    add_ip(A_NAS_IP_ADDRESS, "10.0.0.1");
    ck_assert(is_write());
    pkt(ACCESS);
    add_ip(A_NAS_IP_ADDRESS, "10.0.0.2");
    ck_assert(!is_write());
    pkt(ACCESS);
    add_ip(A_NAS_IP_ADDRESS, "1.0.0.10");
    ck_assert(!is_write());
    /* The dotted text as a string is not the address. */
    ck_assert(!str_write(ACCESS, A_NAS_IP_ADDRESS, "10.0.0.1"));
}
END_TEST

START_TEST(equals_octets)
{
    static const uint8_t v[] = { 0x0a, 0xb0, 0xff };
    static const uint8_t v2[] = { 0x0a, 0xb0 };

    rule_equals("", "Class", "0x0aB0fF", WRITE);      /* hex, either case */
    rule_equals("", "State", "abc", WRITE);           /* text: its octets */
    build();
    ck_assert_uint_eq(w.v[0].t.eqlen, 3);
    pkt(ACCESS);
    tp_attr(&pk, A_CLASS, v, sizeof(v));
    ck_assert(is_write());
    pkt(ACCESS);
    tp_attr(&pk, A_CLASS, v2, sizeof(v2));
    ck_assert(!is_write());
    ck_assert(!str_write(ACCESS, A_CLASS, "0x0aB0fF"));
    ck_assert(str_write(ACCESS, A_STATE, "abc"));
    ck_assert(!str_write(ACCESS, A_STATE, "abcd"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* regex                                                              */

START_TEST(regex_string)
{
    rule_regex("", "User-Name", "^admin-", WRITE);
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "admin-bob"));
    ck_assert(str_write(ACCESS, A_USER_NAME, "admin-"));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "bob-admin-x"));  /* anchored */
    ck_assert(!str_write(ACCESS, A_USER_NAME, "Admin-bob"));    /* case counts */
    ck_assert(!str_write(ACCESS, A_USER_NAME, "admin"));
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "admin-x")); /* another attribute */
    ck_assert(!str_write(ACCESS, 0, NULL));                     /* missing */
    ck_assert_uint_eq(w.v[0].matched, 2);
}
END_TEST

START_TEST(regex_is_extended)
{
    /* +, | and groups without backslashes: POSIX extended syntax. */
    rule_regex("", "User-Name", "^(enroll|reset)-[0-9]+$", WRITE);
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "enroll-42"));
    ck_assert(str_write(ACCESS, A_USER_NAME, "reset-7"));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "enroll-"));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "enroll-42x"));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "(enroll|reset)-1"));
}
END_TEST

START_TEST(regex_printed_values)
{
    static const uint8_t cls[] = { 0x0a, 0x1b, 0x2c };

    rule_regex("", "Acct-Status-Type", "^(1|7)$", WRITE);       /* decimal */
    rule_regex("", "NAS-IP-Address", "^10\\.0\\.", WRITE);       /* dotted */
    rule_regex("", "Class", "^0x0a1b", WRITE);                   /* hex */
    build();
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert(u32_write(ACCT, A_ACCT_STATUS, 7));
    ck_assert(!u32_write(ACCT, A_ACCT_STATUS, 17));
    pkt(ACCESS);
    add_ip(A_NAS_IP_ADDRESS, "10.0.5.6");
    ck_assert(is_write());
    pkt(ACCESS);
    add_ip(A_NAS_IP_ADDRESS, "110.0.5.6");
    ck_assert(!is_write());
    pkt(ACCESS);
    tp_attr(&pk, A_CLASS, cls, sizeof(cls));
    ck_assert(is_write());
    pkt(ACCESS);
    tp_attr(&pk, A_CLASS, cls + 1, 2);
    ck_assert(!is_write());
    ck_assert_uint_eq(w.v[0].matched, 2);
    ck_assert_uint_eq(w.v[1].matched, 1);
    ck_assert_uint_eq(w.v[2].matched, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* exists, missing                                                    */

START_TEST(exists)
{
    struct rlb_conf_write *r = rule("", "State", WRITE);

    r->exists = true;
    build();
    ck_assert(str_write(ACCESS, A_STATE, "s1"));
    ck_assert(str_write(ACCESS, A_STATE, ""));          /* empty, but there */
    ck_assert(!str_write(ACCESS, A_USER_NAME, "alice"));
}
END_TEST

START_TEST(missing)
{
    struct rlb_conf_write *r = rule("Access-Request", "State", WRITE);

    r->missing = true;
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "alice"));
    ck_assert(!str_write(ACCESS, A_STATE, "s1"));
    ck_assert(!str_write(ACCT, A_USER_NAME, "alice"));  /* the code too */
}
END_TEST

/* ------------------------------------------------------------------ */
/* Order, combination, vendors, counters                              */

START_TEST(read_rule_first_wins)
{
    rule_regex("", "User-Name", "^svc-", READ);
    rule("Access-Request", "", WRITE);
    build();
    ck_assert(!str_write(ACCESS, A_USER_NAME, "svc-monitor"));
    ck_assert(str_write(ACCESS, A_USER_NAME, "alice"));
    ck_assert(str_write(ACCESS, 0, NULL));
    ck_assert_uint_eq(w.v[0].matched, 1);
    ck_assert_uint_eq(w.v[1].matched, 2);
}
END_TEST

START_TEST(write_rule_first_wins)
{
    /* The same rules the other way round: the read rule never decides. */
    rule("Access-Request", "", WRITE);
    rule_regex("", "User-Name", "^svc-", READ);
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "svc-monitor"));
    ck_assert(str_write(ACCESS, A_USER_NAME, "alice"));
    ck_assert_uint_eq(w.v[0].matched, 2);
    ck_assert_uint_eq(w.v[1].matched, 0);
}
END_TEST

START_TEST(code_and_attribute)
{
    rule_equals("Accounting-Request", "NAS-Identifier", "enrollment-portal", WRITE);
    build();
    ck_assert_int_eq(w.v[0].code, ACCT);
    ck_assert(str_write(ACCT, A_NAS_IDENTIFIER, "enrollment-portal"));
    ck_assert(!str_write(ACCESS, A_NAS_IDENTIFIER, "enrollment-portal")); /* code differs */
    ck_assert(!str_write(ACCT, A_NAS_IDENTIFIER, "other"));              /* value differs */
    ck_assert(!str_write(ACCT, 0, NULL));                                /* attribute missing */
    ck_assert_uint_eq(w.v[0].matched, 1);
}
END_TEST

static bool
avpair_write(const char *avpair)
{
    pkt(ACCESS);
    add_str(A_USER_NAME, "alice");
    if (avpair)
        tp_vsa(&pk, VENDOR_CISCO, CISCO_AVPAIR, avpair, strlen(avpair));
    return is_write();
}

START_TEST(vendor_attribute_regex)
{
    rule_regex("", "Cisco-AVPair", "^mfa-enroll=", WRITE);
    build();
    ck_assert_uint_eq(w.v[0].t.vendor, VENDOR_CISCO);
    ck_assert_uint_eq(w.v[0].t.attr, CISCO_AVPAIR);
    ck_assert(avpair_write("mfa-enroll=1"));
    ck_assert(!avpair_write("shell:priv-lvl=15"));
    ck_assert(!avpair_write(NULL));
    /* The standard attribute of the same number is not the VSA. */
    ck_assert(!str_write(ACCESS, CISCO_AVPAIR, "mfa-enroll=1"));
}
END_TEST

START_TEST(vendor_attribute_equals_exists)
{
    struct rlb_conf_write *r;

    rule_equals("", "Cisco-AVPair", "mfa-enroll=1", WRITE);
    r = rule("", "Cisco-AVPair", READ);
    r->exists = true;
    build();
    ck_assert(avpair_write("mfa-enroll=1"));
    ck_assert(!avpair_write("mfa-enroll=0"));
    ck_assert(!avpair_write(NULL));
    ck_assert_uint_eq(w.v[0].matched, 1);
    ck_assert_uint_eq(w.v[1].matched, 1);
}
END_TEST

START_TEST(matched_counters)
{
    struct rlb_conf_write *r;

    rule_equals("", "NAS-Identifier", "enrollment-portal", WRITE);
    rule_equals("Accounting-Request", "Acct-Status-Type", "Start", WRITE);
    r = rule("Access-Request", "State", READ);
    r->exists = true;
    build();
    for (int i = 0; i < 3; i++)
        ck_assert(str_write(ACCESS, A_NAS_IDENTIFIER, "enrollment-portal"));
    for (int i = 0; i < 5; i++)
        ck_assert(u32_write(ACCT, A_ACCT_STATUS, 1));
    ck_assert(!str_write(ACCESS, A_STATE, "s"));
    ck_assert(!str_write(ACCESS, A_USER_NAME, "nobody"));    /* no rule: a read */
    ck_assert_uint_eq(w.v[0].matched, 3);
    ck_assert_uint_eq(w.v[1].matched, 5);
    ck_assert_uint_eq(w.v[2].matched, 1);
    /* Only the first matching rule counts. */
    pkt(ACCESS);
    add_str(A_NAS_IDENTIFIER, "enrollment-portal");
    add_str(A_STATE, "s");
    ck_assert(is_write());
    ck_assert_uint_eq(w.v[0].matched, 4);
    ck_assert_uint_eq(w.v[2].matched, 1);
}
END_TEST

START_TEST(build_free_build)
{
    rule_regex("", "User-Name", "^admin-", WRITE);
    build();
    rlb_writes_free(&w);
    ck_assert_ptr_null(w.v);
    ck_assert_uint_eq(w.n, 0);
    build();
    ck_assert(str_write(ACCESS, A_USER_NAME, "admin-1"));
    ck_assert_uint_eq(w.v[0].matched, 1);   /* counters start again */
}
END_TEST

/* ------------------------------------------------------------------ */
/* Values that cannot be converted                                    */

/* Builds with a regex rule first (line 10, freed on failure) and the
 * failing equals value on line 11; returns the message. */
static const char *
bad_equals(const char *attribute, const char *value)
{
    static const char want[] = "/etc/radlb/radlb.conf:11: key \"equals\": ";

    rule_regex("", "User-Name", "^admin-", WRITE);
    rule_equals("", attribute, value, WRITE);
    ck_assert_int_eq(rlb_writes_build(&w, &conf, conf_file, err, sizeof(err)), -1);
    ck_assert_ptr_null(w.v);
    ck_assert_uint_eq(w.n, 0);
    ck_assert_msg(strncmp(err, want, sizeof(want) - 1) == 0, "got %s", err);
    return err;
}

START_TEST(bad_integer_name)
{
    const char *e = bad_equals("Acct-Status-Type", "Begin");

    ck_assert_msg(strstr(e, "\"Begin\" is neither a number nor a value name of the attribute"),
                  "got %s", e);
}
END_TEST

START_TEST(bad_integer_too_large)
{
    /* 2^32 is not 0. */
    const char *e = bad_equals("Acct-Status-Type", "4294967296");

    ck_assert_msg(strstr(e, "\"4294967296\""), "got %s", e);
}
END_TEST

START_TEST(bad_integer_negative)
{
    const char *e = bad_equals("Acct-Status-Type", "-1");

    ck_assert_msg(strstr(e, "\"-1\""), "got %s", e);
}
END_TEST

START_TEST(bad_integer_empty)
{
    bad_equals("Event-Timestamp", "");
}
END_TEST

START_TEST(bad_ipaddr)
{
    const char *e = bad_equals("NAS-IP-Address", "10.0.0.256");

    ck_assert_msg(strstr(e, "\"10.0.0.256\" is not an IPv4 address"), "got %s", e);
    rlb_writes_free(&w);
    memset(rules, 0, sizeof(rules));
    conf.nwrites = 0;
    bad_equals("NAS-IP-Address", "nas.example.com");
}
END_TEST

START_TEST(bad_hex_odd)
{
    const char *e = bad_equals("Class", "0x0a0");

    ck_assert_msg(strstr(e, "\"0x0a0\""), "got %s", e);
}
END_TEST

START_TEST(bad_hex_digit)
{
    /* Each pair must be two hex digits: "1g", " 1", "+1", "-1" are not. */
    static const char *const bad[] = { "0x1g", "0x0a1g", "0x 1", "0x+1", "0x-1", "0x0x" };

    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        const char *e;

        rlb_writes_free(&w);
        memset(rules, 0, sizeof(rules));
        conf.nwrites = 0;
        e = bad_equals("Class", bad[i]);
        ck_assert_msg(strstr(e, bad[i]), "%s: got %s", bad[i], e);
    }
}
END_TEST

START_TEST(bad_too_long)
{
    char v[300];
    const char *e;

    memset(v, 'x', sizeof(v) - 1);
    v[sizeof(v) - 1] = '\0';
    /* The reason, not cut off by the value. */
    e = bad_equals("NAS-Identifier", v);
    ck_assert_msg(strstr(e, "the value is 299 octets: an attribute holds 253 at most"), "got %s", e);
}
END_TEST

START_TEST(bad_hex_too_long)
{
    char v[2 + 2 * 254 + 1];
    const char *e;

    memcpy(v, "0x", 2);
    memset(v + 2, 'a', sizeof(v) - 3);
    v[sizeof(v) - 1] = '\0';
    e = bad_equals("Class", v);
    ck_assert_msg(strstr(e, "the hex value is 254 octets: an attribute holds 253 at most"), "got %s", e);
}
END_TEST

START_TEST(longest_values)
{
    /* 253 octets: as text, and as hex. */
    static char text[254], hex[2 + 2 * 253 + 1];
    static uint8_t octets[253];

    memset(text, 'n', 253);
    memcpy(hex, "0x", 2);
    for (int i = 0; i < 253; i++) {
        octets[i] = (uint8_t)i;
        snprintf(hex + 2 + 2 * i, 3, "%02x", i);
    }
    rule_equals("", "NAS-Identifier", text, WRITE);
    rule_equals("", "Class", hex, WRITE);
    build();
    ck_assert(str_write(ACCESS, A_NAS_IDENTIFIER, text));
    pkt(ACCESS);
    tp_attr(&pk, A_CLASS, octets, sizeof(octets));
    ck_assert(is_write());
    ck_assert_uint_eq(w.v[1].matched, 1);
}
END_TEST

START_TEST(bad_regex)
{
    /* confcheck.c refuses it first; the build still says which rule. */
    rule_regex("", "User-Name", "^admin-", WRITE);
    rule_regex("", "User-Name", "(unclosed", WRITE);
    ck_assert_int_eq(rlb_writes_build(&w, &conf, conf_file, err, sizeof(err)), -1);
    ck_assert_ptr_null(w.v);
    ck_assert_msg(strstr(err, "radlb.conf:11: key \"regex\"") && strstr(err, "(unclosed"),
                  "got %s", err);
}
END_TEST

static Suite *
writes_suite(void)
{
    Suite *s = suite_create("writes");
    TCase *tc;

    tc = tcase_create("lists");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, no_list_accounting_is_write);
    tcase_add_test(tc, empty_list_nothing_is_write);
    tcase_add_test(tc, code_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("equals");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, equals_string);
    tcase_add_test(tc, equals_first_instance);
    tcase_add_test(tc, equals_integer_value_name);
    tcase_add_test(tc, equals_integer_number);
    tcase_add_test(tc, equals_date_number);
    tcase_add_test(tc, equals_ipaddr);
    tcase_add_test(tc, equals_octets);
    tcase_add_test(tc, longest_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("regex");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, regex_string);
    tcase_add_test(tc, regex_is_extended);
    tcase_add_test(tc, regex_printed_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("presence");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, exists);
    tcase_add_test(tc, missing);
    suite_add_tcase(s, tc);

    tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_rule_first_wins);
    tcase_add_test(tc, write_rule_first_wins);
    tcase_add_test(tc, code_and_attribute);
    tcase_add_test(tc, vendor_attribute_regex);
    tcase_add_test(tc, vendor_attribute_equals_exists);
    tcase_add_test(tc, matched_counters);
    tcase_add_test(tc, build_free_build);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bad_integer_name);
    tcase_add_test(tc, bad_integer_too_large);
    tcase_add_test(tc, bad_integer_negative);
    tcase_add_test(tc, bad_integer_empty);
    tcase_add_test(tc, bad_ipaddr);
    tcase_add_test(tc, bad_hex_odd);
    tcase_add_test(tc, bad_hex_digit);
    tcase_add_test(tc, bad_too_long);
    tcase_add_test(tc, bad_hex_too_long);
    tcase_add_test(tc, bad_regex);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(writes_suite());
}
