/*
 * check_stream.c: RADIUS over a byte stream (src/wire/stream.c) and the
 * certificate fingerprints (src/wire/tls.c). A socketpair stands for the TCP
 * connection: packets split over several reads come out whole, several
 * in one read come out in order, a Length outside 20..4096 closes the
 * stream as malformed (RFC 6613 2.6.4), writes queued in one iteration
 * leave together, and a stream closed from inside its own callback
 * reports it only once the callback is over (its owner may free it).
 */
#include "config.h"

#include <ev.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "radius.h"
#include "stream.h"
#include "tls.h"
#include "testutil.h"

struct seen {
    unsigned opens;
    unsigned packets;
    size_t   lens[16];
    uint8_t  first[16];            /* second octet (Identifier) of each packet */
    unsigned closes;
    int      why;
    bool     opened;
    char     text[160];
    bool     close_in_packet;      /* close from inside the packet callback */
    bool     in_packet;
    bool     closed_inside;        /* closed was reported while in_packet */
};

static struct ev_loop *loop;
static struct rlb_streams set;
static struct rlb_stream st;
static struct seen seen;
static int peer;

static void
on_open(struct rlb_stream *s)
{
    (void)s;
    seen.opens++;
}

static void
on_packet(struct rlb_stream *s, uint8_t *data, size_t len)
{
    seen.in_packet = true;
    if (seen.packets < 16) {
        seen.lens[seen.packets] = len;
        seen.first[seen.packets] = data[1];
    }
    seen.packets++;
    if (seen.close_in_packet)
        rlb_stream_close(s, RLB_STREAM_MALFORMED, "owner refused packet %u", data[1]);
    seen.in_packet = false;
}

static void
on_closed(struct rlb_stream *s, int why, bool opened, const char *text)
{
    (void)s;
    seen.closes++;
    seen.why = why;
    seen.opened = opened;
    seen.closed_inside = seen.in_packet;
    snprintf(seen.text, sizeof(seen.text), "%s", text);
}

static const struct rlb_stream_ops ops = { on_open, on_packet, on_closed };

static void
setup(void)
{
    int sv[2];
    union rlb_sockaddr any;

    loop = ev_loop_new(EVFLAG_AUTO);
    memset(&set, 0, sizeof(set));
    set.loop = loop;
    set.handshake_timeout = 5;
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    peer = sv[1];
    memset(&any, 0, sizeof(any));
    any.sa.sa_family = AF_INET;
    rlb_stream_init(&st, &set, &ops, NULL);
    ck_assert_int_eq(rlb_stream_accept(&st, sv[0], &any, NULL), 0);
}

static void
teardown(void)
{
    rlb_stream_discard(&st);
    close(peer);
    ev_loop_destroy(loop);
}

/* Runs the loop until nothing is ready (a few iterations). */
static void
spin(void)
{
    for (int i = 0; i < 8; i++)
        ev_run(loop, EVRUN_NOWAIT);
}

/* A packet of len octets (len >= 20), Identifier id. */
static void
packet(uint8_t *p, size_t len, uint8_t id)
{
    memset(p, 0xab, len);
    p[0] = RLB_ACCESS_REQUEST;
    p[1] = id;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
}

static void
put(const void *data, size_t len)
{
    ck_assert_int_eq(write(peer, data, len), (ssize_t)len);
}

START_TEST(test_open_plain)
{
    /* TCP: open at once, no handshake. */
    ck_assert_uint_eq(seen.opens, 1);
    ck_assert(rlb_stream_is_open(&st));
}
END_TEST

START_TEST(test_partial_reads)
{
    uint8_t p[300];

    packet(p, sizeof(p), 7);
    put(p, 3);                     /* not even the header */
    spin();
    ck_assert_uint_eq(seen.packets, 0);
    put(p + 3, 100);               /* header, part of the body */
    spin();
    ck_assert_uint_eq(seen.packets, 0);
    put(p + 103, sizeof(p) - 103);
    spin();
    ck_assert_uint_eq(seen.packets, 1);
    ck_assert_uint_eq(seen.lens[0], sizeof(p));
    ck_assert_uint_eq(seen.first[0], 7);
    ck_assert_uint_eq(seen.closes, 0);
}
END_TEST

START_TEST(test_many_in_one_read)
{
    uint8_t buf[20 + 38 + 4096 + 25];
    size_t off = 0;

    packet(buf, 20, 1);
    off += 20;
    packet(buf + off, 38, 2);
    off += 38;
    packet(buf + off, 4096, 3);
    off += 4096;
    packet(buf + off, 25, 4);
    off += 25;
    put(buf, off - 5);             /* the last one is cut short */
    spin();
    ck_assert_uint_eq(seen.packets, 3);
    ck_assert_uint_eq(seen.lens[0], 20);
    ck_assert_uint_eq(seen.lens[1], 38);
    ck_assert_uint_eq(seen.lens[2], 4096);
    ck_assert_uint_eq(seen.first[2], 3);
    put(buf + off - 5, 5);
    spin();
    ck_assert_uint_eq(seen.packets, 4);
    ck_assert_uint_eq(seen.first[3], 4);
    ck_assert_uint_eq(seen.lens[3], 25);
}
END_TEST

static void
expect_malformed(unsigned len_field)
{
    uint8_t p[64];

    packet(p, 20, 9);
    put(p, 20);                    /* a good one first */
    packet(p, 20, 10);
    p[2] = (uint8_t)(len_field >> 8);
    p[3] = (uint8_t)len_field;
    put(p, 20);
    spin();
    ck_assert_uint_eq(seen.packets, 1);
    ck_assert_uint_eq(seen.closes, 1);
    ck_assert_int_eq(seen.why, RLB_STREAM_MALFORMED);
    ck_assert(seen.opened);
    ck_assert_ptr_nonnull(strstr(seen.text, "malformed"));
    ck_assert_int_eq(st.state, RLB_STREAM_CLOSED);
}

START_TEST(test_length_too_short)
{
    expect_malformed(19);
}
END_TEST

START_TEST(test_length_zero)
{
    expect_malformed(0);
}
END_TEST

START_TEST(test_length_too_long)
{
    expect_malformed(4097);
}
END_TEST

START_TEST(test_peer_closes)
{
    uint8_t p[20];

    packet(p, 20, 1);
    put(p, 12);                    /* half a packet, then the end */
    shutdown(peer, SHUT_WR);
    spin();
    ck_assert_uint_eq(seen.packets, 0);
    ck_assert_uint_eq(seen.closes, 1);
    ck_assert_int_eq(seen.why, RLB_STREAM_BY_PEER);
}
END_TEST

START_TEST(test_close_inside_callback)
{
    uint8_t buf[60];

    seen.close_in_packet = true;
    packet(buf, 20, 1);
    packet(buf + 20, 20, 2);
    packet(buf + 40, 20, 3);
    put(buf, sizeof(buf));
    spin();
    /* The first packet closed the stream: no more packets, and the close
     * was reported after the callback returned. */
    ck_assert_uint_eq(seen.packets, 1);
    ck_assert_uint_eq(seen.closes, 1);
    ck_assert(!seen.closed_inside);
    ck_assert_int_eq(seen.why, RLB_STREAM_MALFORMED);
    ck_assert_ptr_nonnull(strstr(seen.text, "owner refused packet 1"));
    /* Sending on a closed stream fails. */
    ck_assert_int_eq(rlb_stream_send(&st, buf, 20), -1);
}
END_TEST

START_TEST(test_writes_batched)
{
    uint8_t p[100], got[400];
    ssize_t n;

    for (int i = 0; i < 3; i++) {
        packet(p, sizeof(p), (uint8_t)(20 + i));
        ck_assert_int_eq(rlb_stream_send(&st, p, sizeof(p)), 0);
    }
    /* Nothing leaves before the flush. */
    ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), -1);
    rlb_streams_flush(&set);
    n = recv(peer, got, sizeof(got), MSG_DONTWAIT);
    ck_assert_int_eq(n, 300);
    ck_assert_uint_eq(got[1], 20);
    ck_assert_uint_eq(got[101], 21);
    ck_assert_uint_eq(got[201], 22);
    ck_assert_ptr_null(set.dirty.head);
}
END_TEST

START_TEST(test_write_blocked_then_drained)
{
    static uint8_t p[4096], got[1 << 16];
    size_t total = 0, want;
    int sz = 4096;
    ssize_t n;

    /* A small socket buffer: the writes cannot all leave at once. */
    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(st.io.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    for (int i = 0; i < 64; i++) {
        packet(p, sizeof(p), (uint8_t)i);
        ck_assert_int_eq(rlb_stream_send(&st, p, sizeof(p)), 0);
    }
    want = 64 * sizeof(p);
    rlb_streams_flush(&set);
    ck_assert(st.wlen > 0);        /* some is still queued */
    ck_assert(st.blocked);
    for (int i = 0; i < 2000 && total < want; i++) {
        n = recv(peer, got, sizeof(got), MSG_DONTWAIT);
        if (n > 0)
            total += (size_t)n;
        ev_run(loop, EVRUN_NOWAIT); /* the write watcher sends the rest */
    }
    ck_assert_uint_eq(total, want);
    ck_assert_uint_eq(st.wlen, 0);
    ck_assert_int_eq(st.state, RLB_STREAM_OPEN);
}
END_TEST

START_TEST(test_fingerprints)
{
    unsigned char fp[RLB_FP_LEN], fp2[RLB_FP_LEN];
    char buf[RLB_TLS_FP_STRLEN];
    const char *colons = "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                         "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";

    ck_assert_int_eq(rlb_tls_fp_parse(colons, fp), 0);
    ck_assert_uint_eq(fp[0], 0x00);
    ck_assert_uint_eq(fp[10], 0xaa);
    ck_assert_uint_eq(fp[31], 0xff);
    /* Without the prefix and the colons, any case: the same. */
    ck_assert_int_eq(rlb_tls_fp_parse("00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
                                      fp2), 0);
    ck_assert_mem_eq(fp, fp2, RLB_FP_LEN);
    /* Printed as openssl prints it, and back. */
    rlb_tls_fp_str(fp, buf);
    ck_assert_str_eq(buf, "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    ck_assert_int_eq(rlb_tls_fp_parse(buf, fp2), 0);
    ck_assert_mem_eq(fp, fp2, RLB_FP_LEN);
    /* A SHA-1 fingerprint (20 octets), a stray digit, a bad character,
     * one octet too many, nothing at all. */
    ck_assert_int_eq(rlb_tls_fp_parse("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", fp), -1);
    ck_assert_int_eq(rlb_tls_fp_parse("0011223344556677889900112233445566778899001122334455667788990011f",
                                      fp), -1);
    ck_assert_int_eq(rlb_tls_fp_parse("g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                                      fp), -1);
    ck_assert_int_eq(rlb_tls_fp_parse("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00",
                                      fp), -1);
    ck_assert_int_eq(rlb_tls_fp_parse("", fp), -1);
    ck_assert_int_eq(rlb_tls_fp_parse("sha256:", fp), -1);
}
END_TEST

START_TEST(test_tls_ctx_errors)
{
    struct rlb_conf_tls t = { "", "", "", "", RLB_TLS_1_2 };
    char err[512];

    ck_assert_ptr_null(rlb_tls_ctx_new(&t, true, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "tls.certificate"));
    t.certificate = "/nonexistent/radlb.crt";
    ck_assert_ptr_null(rlb_tls_ctx_new(&t, false, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/radlb.crt"));
}
END_TEST

static Suite *
stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *tc = tcase_create("framing");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_plain);
    tcase_add_test(tc, test_partial_reads);
    tcase_add_test(tc, test_many_in_one_read);
    tcase_add_test(tc, test_length_too_short);
    tcase_add_test(tc, test_length_zero);
    tcase_add_test(tc, test_length_too_long);
    tcase_add_test(tc, test_peer_closes);
    tcase_add_test(tc, test_close_inside_callback);
    tcase_add_test(tc, test_writes_batched);
    tcase_add_test(tc, test_write_blocked_then_drained);
    suite_add_tcase(s, tc);
    tc = tcase_create("tls");
    tcase_add_test(tc, test_fingerprints);
    tcase_add_test(tc, test_tls_ctx_errors);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(stream_suite());
}
