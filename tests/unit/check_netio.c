/*
 * check_netio.c: the outbox (src/wire/netio.c): datagrams queued for one
 * socket leave in as few system calls as possible, runs of same-size
 * datagrams to one destination as one UDP_SEGMENT message, and every
 * datagram arrives whole, in order, at the right place, also when the
 * kernel refuses segmentation.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netio.h"
#include "testutil.h"

static struct rlb_outq *q;

static int
udp_socket_bound(union rlb_sockaddr *addr)
{
    socklen_t len = sizeof(addr->in4);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    memset(addr, 0, sizeof(*addr));
    addr->in4.sin_family = AF_INET;
    addr->in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, &addr->sa, sizeof(addr->in4)), 0);
    ck_assert_int_eq(getsockname(fd, &addr->sa, &len), 0);
    return fd;
}

/* Queues a datagram of len octets filled with tag. */
static void
queue(int fd, const union rlb_sockaddr *to, size_t len, uint8_t tag)
{
    uint8_t *b = rlb_outq_next(q);

    memset(b, tag, len);
    b[0] = (uint8_t)len;           /* first octet: low byte of the length */
    rlb_outq_commit(q, fd, to, NULL, len);
}

/* Receives one datagram (waits up to 1 s); returns its length or -1. */
static ssize_t
recv_one(int fd, uint8_t *buf, size_t size)
{
    struct pollfd p = { fd, POLLIN, 0 };

    if (poll(&p, 1, 1000) <= 0)
        return -1;
    return recv(fd, buf, size, 0);
}

static void
expect(int fd, size_t len, uint8_t tag)
{
    uint8_t buf[5000];
    ssize_t n = recv_one(fd, buf, sizeof(buf));

    ck_assert_int_eq(n, (ssize_t)len);
    ck_assert_uint_eq(buf[0], (uint8_t)len);
    for (size_t i = 1; i < len; i++)
        ck_assert_uint_eq(buf[i], tag);
}

static void
expect_nothing(int fd)
{
    uint8_t buf[16];

    ck_assert_int_eq(recv_one(fd, buf, sizeof(buf)), -1);
}

static void
setup(void)
{
    q = calloc(1, sizeof(*q));
    ck_assert_ptr_nonnull(q);
    rlb_outq_init(q);
}

static void
teardown(void)
{
    free(q);
}

START_TEST(same_size_run_is_one_message)
{
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);

    for (int i = 0; i < 10; i++)
        queue(tx, &to, 100, (uint8_t)(0x10 + i));
    rlb_outq_flush(q);
    ck_assert_uint_eq(q->datagrams, 10);
    ck_assert_uint_eq(q->syscalls, 1);
    if (q->gso)
        ck_assert_uint_eq(q->gso_messages, 1);
    for (int i = 0; i < 10; i++)
        expect(rx, 100, (uint8_t)(0x10 + i));
    expect_nothing(rx);
    ck_assert_uint_eq(q->send_failed, 0);
    close(rx);
    close(tx);
}
END_TEST

START_TEST(mixed_sizes_arrive_whole_and_in_order)
{
    static const size_t sizes[] = { 100, 100, 50, 100, 20, 20, 20, 300, 100 };
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);

    for (size_t i = 0; i < N_ELEMS(sizes); i++)
        queue(tx, &to, sizes[i], (uint8_t)(0x40 + i));
    rlb_outq_flush(q);
    for (size_t i = 0; i < N_ELEMS(sizes); i++)
        expect(rx, sizes[i], (uint8_t)(0x40 + i));
    expect_nothing(rx);
    ck_assert_uint_eq(q->send_failed, 0);
    close(rx);
    close(tx);
}
END_TEST

START_TEST(destinations_never_mix)
{
    union rlb_sockaddr a, b, from;
    int ra = udp_socket_bound(&a), rb = udp_socket_bound(&b), tx = udp_socket_bound(&from);

    for (int i = 0; i < 6; i++)
        queue(tx, i % 2 ? &b : &a, 60, (uint8_t)(0x20 + i));
    queue(tx, &a, 60, 0x30);
    queue(tx, &a, 60, 0x31);
    rlb_outq_flush(q);
    expect(ra, 60, 0x20);
    expect(ra, 60, 0x22);
    expect(ra, 60, 0x24);
    expect(ra, 60, 0x30);
    expect(ra, 60, 0x31);
    expect(rb, 60, 0x21);
    expect(rb, 60, 0x23);
    expect(rb, 60, 0x25);
    expect_nothing(ra);
    expect_nothing(rb);
    close(ra);
    close(rb);
    close(tx);
}
END_TEST

START_TEST(large_datagrams_are_not_coalesced)
{
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);

    for (int i = 0; i < 3; i++)
        queue(tx, &to, RLB_GSO_SEGMENT_MAX + 100, (uint8_t)(0x50 + i));
    rlb_outq_flush(q);
    ck_assert_uint_eq(q->gso_messages, 0);
    for (int i = 0; i < 3; i++)
        expect(rx, RLB_GSO_SEGMENT_MAX + 100, (uint8_t)(0x50 + i));
    close(rx);
    close(tx);
}
END_TEST

START_TEST(refused_segmentation_falls_back_to_single_sends)
{
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);
    int one = 1;

    if (!q->gso)
        return;                    /* this kernel never segments: nothing to fall back from */
    /* The kernel refuses UDP_SEGMENT on a socket without checksums. */
    ck_assert_int_eq(setsockopt(tx, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
    for (int i = 0; i < 5; i++)
        queue(tx, &to, 80, (uint8_t)(0x60 + i));
    rlb_outq_flush(q);
    for (int i = 0; i < 5; i++)
        expect(rx, 80, (uint8_t)(0x60 + i));
    expect_nothing(rx);
    ck_assert_uint_eq(q->send_failed, 0);
    ck_assert_uint_eq(q->syscalls, 1 + 5);    /* the refused message, then one each */
    close(rx);
    close(tx);
}
END_TEST

START_TEST(connected_sockets_coalesce_too)
{
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);

    ck_assert_int_eq(connect(tx, &to.sa, sizeof(to.in4)), 0);
    for (int i = 0; i < 4; i++)
        queue(tx, NULL, 40, (uint8_t)(0x70 + i));
    rlb_outq_flush(q);
    ck_assert_uint_eq(q->syscalls, 1);
    for (int i = 0; i < 4; i++)
        expect(rx, 40, (uint8_t)(0x70 + i));
    close(rx);
    close(tx);
}
END_TEST

START_TEST(full_outbox_flushes_itself)
{
    union rlb_sockaddr to, from;
    int rx = udp_socket_bound(&to), tx = udp_socket_bound(&from);
    int big = 1 << 20;

    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    for (int i = 0; i < RLB_OUTQ_MAX + 10; i++)
        queue(tx, &to, 30, (uint8_t)i);
    ck_assert_uint_eq(q->n, 10);   /* the first RLB_OUTQ_MAX went when it filled */
    rlb_outq_flush(q);
    for (int i = 0; i < RLB_OUTQ_MAX + 10; i++)
        expect(rx, 30, (uint8_t)i);
    close(rx);
    close(tx);
}
END_TEST

static Suite *
netio_suite(void)
{
    Suite *s = suite_create("netio");
    TCase *tc = tcase_create("outbox");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, same_size_run_is_one_message);
    tcase_add_test(tc, mixed_sizes_arrive_whole_and_in_order);
    tcase_add_test(tc, destinations_never_mix);
    tcase_add_test(tc, large_datagrams_are_not_coalesced);
    tcase_add_test(tc, refused_segmentation_falls_back_to_single_sends);
    tcase_add_test(tc, connected_sockets_coalesce_too);
    tcase_add_test(tc, full_outbox_flushes_itself);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(netio_suite());
}
