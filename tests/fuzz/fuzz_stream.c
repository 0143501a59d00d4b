/*
 * fuzz_stream.c: RADIUS over a byte stream (src/wire/stream.c, RFC 6613/6614
 * framing): bytes arrive on a socketpair standing for a TCP connection,
 * in pieces, and the stream must hand its owner whole packets of 20 to
 * 4096 octets (their Length field), keep partial records until the rest
 * arrives, and close the connection on a Length below 20 or above 4096.
 *
 * Input: one control octet, then the bytes of the stream.
 *   bits 0-2  the bytes arrive in 1 to 8 writes of equal size, the loop
 *             running in between
 *   bit 3     the owner closes the stream from its packet callback on a
 *             packet whose Identifier is 0xff
 *   bit 4     the owner answers every packet (rlb_stream_send: the write
 *             buffer and the flush list)
 *   bit 5     the peer closes its side after the last write
 */
#include "config.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkt.h"
#include "radius.h"
#include "stream.h"

static struct ev_loop *loop;
static struct rlb_streams set;
static struct rlb_stream st;
static uint8_t ctl;
static bool closed;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_open(struct rlb_stream *s)
{
    (void)s;
}

static void
on_packet(struct rlb_stream *s, uint8_t *data, size_t len)
{
    volatile uint8_t sum = 0;

    /* The framing contract the owners (front.c, backend.c) rely on. */
    if (len < RLB_HDR_LEN || len > RLB_PKT_MAX || rlb_get16(data + 2) != len || closed) {
        fprintf(stderr, "fuzz_stream: packet of %zu octets, Length %u, after close: %d\n", len,
                len >= 4 ? rlb_get16(data + 2) : 0, closed);
        abort();
    }
    for (size_t i = 0; i < len; i++)
        sum ^= data[i];
    (void)sum;
    if (ctl & 16)
        rlb_stream_send(s, data, len);
    if ((ctl & 8) && data[1] == 0xff)
        rlb_stream_close(s, RLB_STREAM_MALFORMED, "owner refused packet %u", data[1]);
}

static void
on_closed(struct rlb_stream *s, int why, bool opened, const char *text)
{
    (void)s;
    (void)why;
    (void)opened;
    (void)text;
    closed = true;
}

static const struct rlb_stream_ops ops = { on_open, on_packet, on_closed };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop)
        abort();
    set.loop = loop;
    set.handshake_timeout = 5;
    return 0;
}

/* Runs the loop until nothing is ready, and empties what the stream sent. */
static void
spin(int peer)
{
    uint8_t sink[65536];

    for (int i = 0; i < 4; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        rlb_streams_flush(&set);
        while (read(peer, sink, sizeof(sink)) > 0)
            ;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    union rlb_sockaddr any;
    size_t pieces, done = 0;
    int sv[2];

    if (size < 1)
        return -1;
    ctl = data[0];
    data++;
    size--;
    closed = false;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    memset(&any, 0, sizeof(any));
    any.sa.sa_family = AF_INET;
    rlb_stream_init(&st, &set, &ops, NULL);
    if (rlb_stream_accept(&st, sv[0], &any, NULL) < 0)
        abort();
    pieces = (size_t)(ctl & 7) + 1;
    for (size_t k = 1; k <= pieces && !closed; k++) {
        size_t end = size * k / pieces;

        while (done < end && !closed) {
            ssize_t n = write(sv[1], data + done, end - done);

            if (n < 0 && errno != EAGAIN && errno != EINTR)
                break;
            if (n > 0)
                done += (size_t)n;
            spin(sv[1]);
        }
        spin(sv[1]);
    }
    if ((ctl & 32) && !closed) {
        shutdown(sv[1], SHUT_WR);
        spin(sv[1]);
    }
    rlb_stream_discard(&st);
    close(sv[1]);
    ev_run(loop, EVRUN_NOWAIT);
    return 0;
}
