/*
 * check_addr.c: unit tests of src/base/addr.c: address and network parsing,
 * matching (host bits, IPv4-mapped IPv6 peers, /0), printing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "addr.h"

#include "testutil.h"

static union rlb_sockaddr
sa(const char *text, uint16_t port)
{
    union rlb_sockaddr s;

    ck_assert_msg(rlb_addr_parse(text, port, &s) == 0, "\"%s\" does not parse", text);
    return s;
}

static bool
match(const char *net, const char *peer)
{
    struct rlb_network n;
    union rlb_sockaddr s = sa(peer, 1812);

    ck_assert_msg(rlb_network_parse(net, &n) == 0, "network \"%s\" does not parse", net);
    return rlb_network_match(&n, &s);
}

static const char *
netstr(const char *text, char *buf, size_t len)
{
    struct rlb_network n;

    ck_assert_msg(rlb_network_parse(text, &n) == 0, "network \"%s\" does not parse", text);
    return rlb_network_str(&n, buf, len);
}

/* ------------------------------------------------------------------ */

START_TEST(parse_ipv4)
{
    union rlb_sockaddr s = sa("192.0.2.1", 1812);
    char buf[RLB_ADDRSTRLEN];

    ck_assert_int_eq(s.sa.sa_family, AF_INET);
    ck_assert_uint_eq(ntohs(s.in4.sin_port), 1812);
    ck_assert_uint_eq(ntohl(s.in4.sin_addr.s_addr), 0xc0000201u);
    ck_assert_uint_eq(rlb_sockaddr_port(&s), 1812);
    ck_assert_uint_eq(rlb_sockaddr_len(&s), sizeof(struct sockaddr_in));
    ck_assert_str_eq(rlb_sockaddr_str(&s, buf, sizeof(buf)), "192.0.2.1:1812");
    ck_assert_str_eq(rlb_sockaddr_host(&s, buf, sizeof(buf)), "192.0.2.1");
}
END_TEST

START_TEST(parse_ipv6)
{
    union rlb_sockaddr s = sa("2001:db8::1", 1813);
    char buf[RLB_ADDRSTRLEN];

    ck_assert_int_eq(s.sa.sa_family, AF_INET6);
    ck_assert_uint_eq(rlb_sockaddr_port(&s), 1813);
    ck_assert_uint_eq(rlb_sockaddr_len(&s), sizeof(struct sockaddr_in6));
    ck_assert_str_eq(rlb_sockaddr_str(&s, buf, sizeof(buf)), "[2001:db8::1]:1813");
    ck_assert_str_eq(rlb_sockaddr_host(&s, buf, sizeof(buf)), "2001:db8::1");
    s = sa("::ffff:192.0.2.1", 0);
    ck_assert_int_eq(s.sa.sa_family, AF_INET6);
    ck_assert_str_eq(rlb_sockaddr_str(&s, buf, sizeof(buf)), "[::ffff:192.0.2.1]:0");
}
END_TEST

START_TEST(parse_bad_addresses)
{
    static const char *const bad[] = {
        "", " ", "localhost", "mfa1.example.com", "192.0.2", "192.0.2.1.5", "192.0.2.256",
        " 192.0.2.1", "192.0.2.1 ", "192.0.2.1:1812", "[2001:db8::1]", "2001:db8::g",
        "2001:db8:::1", "fe80::1%eth0", "192.0.2.0/24", "0x7f000001",
    };
    union rlb_sockaddr s;

    for (size_t i = 0; i < N_ELEMS(bad); i++)
        ck_assert_msg(rlb_addr_parse(bad[i], 1, &s) == -1, "\"%s\" parsed as an address", bad[i]);
}
END_TEST

/* "address:port" and "[v6]:port" (Sentinel addresses): literals only, a port from 1 to 65535. */
START_TEST(parse_host_port)
{
    static const char *const bad[] = {
        "", ":", "192.0.2.1", "192.0.2.1:", ":26379", "192.0.2.1:0", "192.0.2.1:65536",
        "192.0.2.1:-1", "192.0.2.1:26379x", "localhost:26379",
        "2001:db8::1", "2001:db8::1:26379x", "[2001:db8::1]", "[2001:db8::1:26379",
        "[]:26379", "2001:db8::1]:26379",
    };
    union rlb_sockaddr s;
    char buf[RLB_ADDRSTRLEN];

    ck_assert_int_eq(rlb_addr_parse_host_port("192.0.2.1:26379", &s), 0);
    ck_assert_str_eq(rlb_sockaddr_str(&s, buf, sizeof(buf)), "192.0.2.1:26379");
    ck_assert_int_eq(rlb_addr_parse_host_port("[2001:db8::1]:65535", &s), 0);
    ck_assert_int_eq(s.sa.sa_family, AF_INET6);
    ck_assert_str_eq(rlb_sockaddr_str(&s, buf, sizeof(buf)), "[2001:db8::1]:65535");
    ck_assert_int_eq(rlb_addr_parse_host_port("127.0.0.1:1", &s), 0);
    ck_assert_uint_eq(rlb_sockaddr_port(&s), 1);
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        ck_assert_msg(rlb_addr_parse_host_port(bad[i], &s) == -1, "\"%s\" parsed as address:port",
                      bad[i]);
}
END_TEST

START_TEST(sockaddr_equal_and_any)
{
    union rlb_sockaddr a = sa("192.0.2.1", 1812), b = sa("192.0.2.1", 1812);
    union rlb_sockaddr c = sa("192.0.2.1", 1813), d = sa("192.0.2.2", 1812);
    union rlb_sockaddr e = sa("::ffff:192.0.2.1", 1812), f = sa("2001:db8::1", 1812);
    union rlb_sockaddr g = sa("2001:db8::1", 1812), h = sa("2001:db8::1", 1);

    ck_assert(rlb_sockaddr_equal(&a, &b));
    ck_assert(!rlb_sockaddr_equal(&a, &c));
    ck_assert(!rlb_sockaddr_equal(&a, &d));
    ck_assert(!rlb_sockaddr_equal(&a, &e));
    ck_assert(rlb_sockaddr_equal(&f, &g));
    ck_assert(!rlb_sockaddr_equal(&f, &h));
    ck_assert(!rlb_sockaddr_equal(&f, &a));
    a = sa("0.0.0.0", 1);
    f = sa("::", 1);
    ck_assert(rlb_sockaddr_is_any(&a));
    ck_assert(rlb_sockaddr_is_any(&f));
    ck_assert(!rlb_sockaddr_is_any(&b));
    ck_assert(!rlb_sockaddr_is_any(&g));
}
END_TEST

START_TEST(network_host_bits_cleared)
{
    char buf[64];

    ck_assert_str_eq(netstr("10.1.2.3/8", buf, sizeof(buf)), "10.0.0.0/8");
    ck_assert_str_eq(netstr("192.0.2.77/24", buf, sizeof(buf)), "192.0.2.0/24");
    ck_assert_str_eq(netstr("192.0.2.255/25", buf, sizeof(buf)), "192.0.2.128/25");
    ck_assert_str_eq(netstr("172.31.255.255/12", buf, sizeof(buf)), "172.16.0.0/12");
    ck_assert_str_eq(netstr("2001:db8:ffff:1::1/32", buf, sizeof(buf)), "2001:db8::/32");
    ck_assert_str_eq(netstr("2001:db8:ffff::/33", buf, sizeof(buf)), "2001:db8:8000::/33");
    ck_assert_str_eq(netstr("192.0.2.5", buf, sizeof(buf)), "192.0.2.5/32");
    ck_assert_str_eq(netstr("2001:db8::5", buf, sizeof(buf)), "2001:db8::5/128");
    ck_assert_str_eq(netstr("255.255.255.255/0", buf, sizeof(buf)), "0.0.0.0/0");
}
END_TEST

START_TEST(network_match_ipv4)
{
    ck_assert(match("192.0.2.0/24", "192.0.2.77"));
    ck_assert(match("192.0.2.0/24", "192.0.2.0"));
    ck_assert(match("192.0.2.0/24", "192.0.2.255"));
    ck_assert(!match("192.0.2.0/24", "192.0.3.1"));
    ck_assert(!match("192.0.2.0/24", "192.0.1.255"));
    /* A prefix that is not on an octet boundary. */
    ck_assert(match("10.0.0.0/9", "10.127.255.255"));
    ck_assert(!match("10.0.0.0/9", "10.128.0.0"));
    ck_assert(match("192.0.2.128/25", "192.0.2.200"));
    ck_assert(!match("192.0.2.128/25", "192.0.2.127"));
    /* Host bits in the configuration do not narrow the network. */
    ck_assert(match("10.1.2.3/8", "10.200.0.1"));
    /* A single address. */
    ck_assert(match("192.0.2.5", "192.0.2.5"));
    ck_assert(!match("192.0.2.5", "192.0.2.4"));
    ck_assert(match("192.0.2.5/32", "192.0.2.5"));
    ck_assert(!match("192.0.2.5/32", "192.0.2.6"));
}
END_TEST

START_TEST(network_match_ipv6)
{
    ck_assert(match("2001:db8::/32", "2001:db8:1234::1"));
    ck_assert(!match("2001:db8::/32", "2001:db9::1"));
    ck_assert(match("2001:db8::/33", "2001:db8:7fff::1"));
    ck_assert(!match("2001:db8::/33", "2001:db8:8000::1"));
    ck_assert(match("2001:db8::1", "2001:db8::1"));
    ck_assert(!match("2001:db8::1", "2001:db8::2"));
    /* Families do not mix (except v4-mapped peers, below). */
    ck_assert(!match("2001:db8::/32", "192.0.2.1"));
    ck_assert(!match("192.0.2.0/24", "2001:db8::1"));
}
END_TEST

START_TEST(network_match_v4_mapped)
{
    /* A peer on a dual-stack socket appears as ::ffff:a.b.c.d. */
    ck_assert(match("192.0.2.0/24", "::ffff:192.0.2.9"));
    ck_assert(!match("192.0.2.0/24", "::ffff:192.0.3.9"));
    ck_assert(match("192.0.2.9", "::ffff:192.0.2.9"));
    ck_assert(match("10.0.0.0/9", "::ffff:10.100.0.1"));
    ck_assert(!match("10.0.0.0/9", "::ffff:10.200.0.1"));
    /* Not v4-mapped: the same last 32 bits do not match. */
    ck_assert(!match("192.0.2.0/24", "::192.0.2.9"));
    ck_assert(!match("192.0.2.0/24", "64:ff9b::192.0.2.9"));
}
END_TEST

START_TEST(network_match_zero_prefix)
{
    ck_assert(match("0.0.0.0/0", "192.0.2.1"));
    ck_assert(match("0.0.0.0/0", "255.255.255.255"));
    ck_assert(match("0.0.0.0/0", "::ffff:198.51.100.1"));
    ck_assert(!match("0.0.0.0/0", "2001:db8::1"));
    ck_assert(match("::/0", "2001:db8::1"));
    ck_assert(match("::/0", "::1"));
}
END_TEST

START_TEST(network_bad_inputs)
{
    static const char *const bad[] = {
        "", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
        "10.0.0.0/8 ", "10.0.0.0/8x", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0.0/8", "ten/8",
        "2001:db8::/129", "2001:db8::/1000", "10.0.0.0/99999999999999999999", "example.com/24",
        "fe80::%eth0/64", " 10.0.0.0/8",
        "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8",
    };
    struct rlb_network n;

    for (size_t i = 0; i < N_ELEMS(bad); i++)
        ck_assert_msg(rlb_network_parse(bad[i], &n) == -1, "\"%s\" parsed as a network", bad[i]);
}
END_TEST

START_TEST(network_boundaries)
{
    struct rlb_network n;

    ck_assert_int_eq(rlb_network_parse("10.0.0.0/32", &n), 0);
    ck_assert_uint_eq(n.prefix, 32);
    ck_assert_int_eq(n.family, AF_INET);
    ck_assert_int_eq(rlb_network_parse("::/128", &n), 0);
    ck_assert_uint_eq(n.prefix, 128);
    ck_assert_int_eq(n.family, AF_INET6);
    ck_assert_int_eq(rlb_network_parse("::/0", &n), 0);
    ck_assert_uint_eq(n.prefix, 0);
}
END_TEST

static Suite *
addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addr");

    tcase_add_test(tc, parse_ipv4);
    tcase_add_test(tc, parse_ipv6);
    tcase_add_test(tc, parse_bad_addresses);
    tcase_add_test(tc, parse_host_port);
    tcase_add_test(tc, sockaddr_equal_and_any);
    suite_add_tcase(s, tc);

    tc = tcase_create("network");
    tcase_add_test(tc, network_host_bits_cleared);
    tcase_add_test(tc, network_match_ipv4);
    tcase_add_test(tc, network_match_ipv6);
    tcase_add_test(tc, network_match_v4_mapped);
    tcase_add_test(tc, network_match_zero_prefix);
    tcase_add_test(tc, network_bad_inputs);
    tcase_add_test(tc, network_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(addr_suite());
}
