/*
 * stream.c: RADIUS over TCP and TLS connections (see stream.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <openssl/err.h>

#include "radius.h"
#include "stream.h"
#include "tls.h"

#define RBUF_SIZE (4 * RLB_PKT_MAX)
#define WBUF_MIN  8192
#define READS_PER_EVENT 16

static void stream_io(struct ev_loop *loop, ev_io *w, int revents);
static void stream_deadline(struct ev_loop *loop, ev_timer *w, int revents);

void
rlb_stream_init(struct rlb_stream *st, struct rlb_streams *set,
                const struct rlb_stream_ops *ops, void *owner)
{
    memset(st, 0, sizeof(*st));
    st->set = set;
    st->ops = ops;
    st->owner = owner;
    ev_io_init(&st->io, stream_io, -1, 0);
    ev_timer_init(&st->deadline, stream_deadline, 0, 0);
    st->deadline.data = st;
}

static void
dirty_remove(struct rlb_stream *st)
{
    if (!st->dirty)
        return;
    rlb_list_remove(&st->set->dirty, &st->dlink);
    st->dirty = false;
}

static void
dirty_add(struct rlb_stream *st)
{
    if (st->dirty)
        return;
    st->dirty = true;
    rlb_list_prepend(&st->set->dirty, &st->dlink);
}

/* Watches for reading, and for writing while connecting or blocked. */
static void
watch(struct rlb_stream *st)
{
    int ev = EV_READ;

    if (st->state == RLB_STREAM_CONNECTING || (st->blocked && st->wlen))
        ev = st->state == RLB_STREAM_CONNECTING ? EV_WRITE : EV_READ | EV_WRITE;
    if (ev_is_active(&st->io) && (st->io.events & (EV_READ | EV_WRITE)) == ev)
        return;
    ev_io_stop(st->set->loop, &st->io);
    ev_io_set(&st->io, st->io.fd, ev);
    ev_io_start(st->set->loop, &st->io);
}

static void
report_closed(struct rlb_stream *st)
{
    st->close_pending = false;
    st->ops->closed(st, st->close_why, st->opened, st->close_text);
}

void
rlb_stream_close(struct rlb_stream *st, int why, const char *fmt, ...)
{
    va_list ap;

    if (st->state == RLB_STREAM_CLOSED || st->state == RLB_STREAM_IDLE)
        return;
    va_start(ap, fmt);
    vsnprintf(st->close_text, sizeof(st->close_text), fmt, ap);
    va_end(ap);
    st->close_why = why;
    ev_io_stop(st->set->loop, &st->io);
    ev_timer_stop(st->set->loop, &st->deadline);
    dirty_remove(st);
    if (st->ssl) {
        if (st->state == RLB_STREAM_OPEN && why != RLB_STREAM_FAILED && why != RLB_STREAM_BY_PEER)
            SSL_shutdown(st->ssl);        /* close_notify, best effort */
        SSL_free(st->ssl);
        st->ssl = NULL;
        ERR_clear_error();
    }
    if (st->io.fd >= 0)
        close(st->io.fd);
    ev_io_set(&st->io, -1, 0);
    free(st->rbuf);
    free(st->wbuf);
    st->rbuf = st->wbuf = NULL;
    st->rlen = st->wlen = st->wcap = 0;
    st->blocked = false;
    st->state = RLB_STREAM_CLOSED;
    if (st->busy)
        st->close_pending = true;
    else
        report_closed(st);
}

void
rlb_stream_discard(struct rlb_stream *st)
{
    static const struct rlb_stream_ops none = { NULL, NULL, NULL };

    if (st->state != RLB_STREAM_IDLE && st->state != RLB_STREAM_CLOSED) {
        st->ops = &none;
        st->busy = true;           /* no report */
        rlb_stream_close(st, RLB_STREAM_LOCAL, "discarded");
    }
    ev_timer_stop(st->set->loop, &st->deadline);
    dirty_remove(st);
    free(st->rbuf);
    free(st->wbuf);
    st->rbuf = st->wbuf = NULL;
    st->rlen = st->wlen = st->wcap = 0;
    st->close_pending = false;
    st->state = RLB_STREAM_IDLE;
}

void
rlb_stream_reset(struct rlb_stream *st)
{
    if (st->state == RLB_STREAM_CLOSED)
        st->state = RLB_STREAM_IDLE;
}

static int
sock_setup(int fd)
{
    int one = 1;

    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        return -1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    return 0;
}

static int
buffers(struct rlb_stream *st)
{
    st->rbuf = malloc(RBUF_SIZE);
    if (!st->rbuf)
        return -1;
    st->rlen = 0;
    return 0;
}

static void become_open(struct rlb_stream *st);

static void
handshake(struct rlb_stream *st)
{
    int ret;

    ERR_clear_error();
    ret = SSL_do_handshake(st->ssl);
    if (ret == 1) {
        become_open(st);
        return;
    }
    switch (SSL_get_error(st->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        st->blocked = false;
        watch(st);
        return;
    case SSL_ERROR_WANT_WRITE:
        st->blocked = true;
        ev_io_stop(st->set->loop, &st->io);
        ev_io_set(&st->io, st->io.fd, EV_READ | EV_WRITE);
        ev_io_start(st->set->loop, &st->io);
        return;
    default: {
        char buf[200];

        rlb_tls_error(st->ssl, ret, buf, sizeof(buf));
        rlb_stream_close(st, RLB_STREAM_FAILED, "TLS handshake failed: %s", buf);
        return;
    }
    }
}

static void
start_tls(struct rlb_stream *st, SSL_CTX *ssl_ctx, bool server, const char *tls_name)
{
    st->ssl = SSL_new(ssl_ctx);
    if (!st->ssl || SSL_set_fd(st->ssl, st->io.fd) != 1) {
        rlb_stream_close(st, RLB_STREAM_FAILED, "TLS: out of memory");
        return;
    }
    if (server) {
        SSL_set_accept_state(st->ssl);
    } else {
        SSL_set_connect_state(st->ssl);
        if (tls_name && tls_name[0]) {
            SSL_set_tlsext_host_name(st->ssl, tls_name);
            SSL_set1_host(st->ssl, tls_name);
        }
    }
    st->state = RLB_STREAM_HANDSHAKE;
    handshake(st);
}

static void
become_open(struct rlb_stream *st)
{
    bool busy = st->busy;

    ev_timer_stop(st->set->loop, &st->deadline);
    st->state = RLB_STREAM_OPEN;
    st->blocked = false;
    st->last_rx = st->last_tx = ev_now(st->set->loop);
    watch(st);
    /* Opened only once the owner accepted the peer (a refused
     * certificate is a failure to connect, not a lost connection). */
    st->busy = true;
    st->ops->open(st);
    st->busy = busy;
    if (st->state == RLB_STREAM_OPEN)
        st->opened = true;
    if (st->close_pending && !busy) {
        report_closed(st);
        return;
    }
    if (st->state == RLB_STREAM_OPEN && st->wlen)
        dirty_add(st);
}

int
rlb_stream_connect(struct rlb_stream *st, const union rlb_sockaddr *addr, SSL_CTX *ssl_ctx,
                   const char *tls_name)
{
    int fd = socket(addr->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (sock_setup(fd) < 0 || buffers(st) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    st->peer = *addr;
    st->opened = false;
    st->close_pending = false;
    ev_io_set(&st->io, fd, EV_WRITE);
    st->state = RLB_STREAM_CONNECTING;
    ev_timer_set(&st->deadline, st->set->handshake_timeout, 0);
    ev_timer_start(st->set->loop, &st->deadline);
    /* The TLS parameters, for when the TCP connection is up. */
    st->ssl_ctx = ssl_ctx;
    snprintf(st->tls_name, sizeof(st->tls_name), "%s", tls_name ? tls_name : "");
    st->connect_errno = 0;
    if (connect(fd, &addr->sa, rlb_sockaddr_len(addr)) < 0 && errno != EINPROGRESS) {
        /* Reported from the loop, never from inside the caller. */
        st->connect_errno = errno;
        ev_timer_stop(st->set->loop, &st->deadline);
        ev_timer_set(&st->deadline, 0, 0);
        ev_timer_start(st->set->loop, &st->deadline);
        return 0;
    }
    ev_io_start(st->set->loop, &st->io);
    return 0;
}

int
rlb_stream_accept(struct rlb_stream *st, int fd, const union rlb_sockaddr *peer, SSL_CTX *ssl_ctx)
{
    if (sock_setup(fd) < 0 || buffers(st) < 0)
        return -1;
    st->peer = *peer;
    st->opened = false;
    ev_io_set(&st->io, fd, EV_READ);
    ev_io_start(st->set->loop, &st->io);
    st->state = RLB_STREAM_HANDSHAKE;
    if (!ssl_ctx) {
        become_open(st);
        return 0;
    }
    ev_timer_set(&st->deadline, st->set->handshake_timeout, 0);
    ev_timer_start(st->set->loop, &st->deadline);
    st->busy = true;
    start_tls(st, ssl_ctx, true, NULL);
    st->busy = false;
    if (st->close_pending)
        report_closed(st);
    return 0;
}

static void
connected(struct rlb_stream *st)
{
    int err = 0;
    socklen_t elen = sizeof(err);

    if (getsockopt(st->io.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        err = errno;
    if (err) {
        rlb_stream_close(st, RLB_STREAM_FAILED, "connect: %s", strerror(err));
        return;
    }
    if (st->ssl_ctx) {
        start_tls(st, st->ssl_ctx, false, st->tls_name);
        return;
    }
    become_open(st);
}

/* Delivers every whole packet in the read buffer. */
static void
frame(struct rlb_stream *st)
{
    size_t off = 0;

    while (st->state == RLB_STREAM_OPEN && st->rlen - off >= 4) {
        uint8_t *p = st->rbuf + off;
        size_t plen = (size_t)p[2] << 8 | p[3];

        if (plen < RLB_HDR_LEN || plen > RLB_PKT_MAX) {
            rlb_stream_close(st, RLB_STREAM_MALFORMED,
                             "malformed stream: a packet of length %zu (RADIUS allows 20 to 4096)",
                             plen);
            return;
        }
        if (st->rlen - off < plen)
            break;
        st->packets_in++;
        st->last_rx = ev_now(st->set->loop);
        st->ops->packet(st, p, plen);
        off += plen;
    }
    if (st->state != RLB_STREAM_OPEN)
        return;
    if (off && off < st->rlen)
        memmove(st->rbuf, st->rbuf + off, st->rlen - off);
    st->rlen -= off;
}

static void
do_read(struct rlb_stream *st)
{
    for (int round = 0; round < READS_PER_EVENT && st->state == RLB_STREAM_OPEN; round++) {
        size_t room = RBUF_SIZE - st->rlen;
        ssize_t n;

        if (st->ssl) {
            int ret;

            ERR_clear_error();
            ret = SSL_read(st->ssl, st->rbuf + st->rlen, (int)room);
            if (ret <= 0) {
                int e = SSL_get_error(st->ssl, ret);
                char buf[200];

                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    return;
                if (e == SSL_ERROR_ZERO_RETURN)
                    rlb_stream_close(st, RLB_STREAM_BY_PEER, "closed by the peer");
                else if (e == SSL_ERROR_SYSCALL && (ret == 0 || errno == ECONNRESET || errno == 0))
                    rlb_stream_close(st, RLB_STREAM_BY_PEER,
                                     "closed by the peer (no TLS close_notify)");
                else
                    rlb_stream_close(st, RLB_STREAM_FAILED, "TLS read: %s",
                                     rlb_tls_error(st->ssl, ret, buf, sizeof(buf)));
                return;
            }
            n = ret;
        } else {
            n = read(st->io.fd, st->rbuf + st->rlen, room);
            if (n == 0) {
                rlb_stream_close(st, RLB_STREAM_BY_PEER, "closed by the peer");
                return;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                rlb_stream_close(st, errno == ECONNRESET ? RLB_STREAM_BY_PEER : RLB_STREAM_FAILED,
                                 "read: %s", strerror(errno));
                return;
            }
        }
        st->set->bytes_in += (uint64_t)n;
        st->rlen += (size_t)n;
        frame(st);
        if ((size_t)n < room && !(st->ssl && SSL_pending(st->ssl)))
            return;
    }
}

/* Writes what is queued; true when everything left. */
static bool
do_write(struct rlb_stream *st)
{
    size_t off = 0;

    while (off < st->wlen) {
        ssize_t n;

        if (st->ssl) {
            int ret;

            ERR_clear_error();
            ret = SSL_write(st->ssl, st->wbuf + off, (int)(st->wlen - off));
            if (ret <= 0) {
                int e = SSL_get_error(st->ssl, ret);
                char buf[200];

                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    break;
                rlb_stream_close(st, RLB_STREAM_FAILED, "TLS write: %s",
                                 rlb_tls_error(st->ssl, ret, buf, sizeof(buf)));
                return false;
            }
            n = ret;
        } else {
            n = send(st->io.fd, st->wbuf + off, st->wlen - off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                rlb_stream_close(st, errno == EPIPE || errno == ECONNRESET ? RLB_STREAM_BY_PEER
                                                                             : RLB_STREAM_FAILED,
                                 "write: %s", strerror(errno));
                return false;
            }
        }
        st->set->bytes_out += (uint64_t)n;
        off += (size_t)n;
    }
    if (off && off < st->wlen)
        memmove(st->wbuf, st->wbuf + off, st->wlen - off);
    st->wlen -= off;
    st->blocked = st->wlen > 0;
    watch(st);
    return st->wlen == 0;
}

int
rlb_stream_send(struct rlb_stream *st, const uint8_t *data, size_t len)
{
    if (st->state == RLB_STREAM_CLOSED)
        return -1;
    if (st->wlen + len > st->wcap) {
        size_t cap = st->wcap ? st->wcap : WBUF_MIN;
        uint8_t *p;

        while (cap < st->wlen + len)
            cap *= 2;
        p = realloc(st->wbuf, cap);
        if (!p)
            return -1;
        st->wbuf = p;
        st->wcap = cap;
    }
    memcpy(st->wbuf + st->wlen, data, len);
    st->wlen += len;
    st->packets_out++;
    st->last_tx = ev_now(st->set->loop);
    if (st->state == RLB_STREAM_OPEN && !st->blocked)
        dirty_add(st);
    return 0;
}

void
rlb_streams_flush(struct rlb_streams *set)
{
    struct rlb_stream *st;

    while ((st = rlb_container_of(set->dirty.head, struct rlb_stream, dlink))) {
        dirty_remove(st);
        if (st->state != RLB_STREAM_OPEN || !st->wlen)
            continue;
        st->busy = true;
        do_write(st);
        st->busy = false;
        if (st->close_pending)
            report_closed(st);
    }
}

static void
stream_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_stream *st = (struct rlb_stream *)w;

    (void)loop;
    st->busy = true;
    switch (st->state) {
    case RLB_STREAM_CONNECTING:
        connected(st);
        break;
    case RLB_STREAM_HANDSHAKE:
        handshake(st);
        break;
    case RLB_STREAM_OPEN:
        if ((revents & EV_WRITE) && st->wlen)
            do_write(st);
        if (st->state == RLB_STREAM_OPEN && (revents & EV_READ))
            do_read(st);
        /* Replies queued while reading leave with the next flush. */
        if (st->state == RLB_STREAM_OPEN && st->wlen && !st->blocked)
            dirty_add(st);
        break;
    default:
        break;
    }
    st->busy = false;
    if (st->close_pending)
        report_closed(st);
}

static void
stream_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_stream *st = w->data;

    (void)loop;
    (void)revents;
    if (st->state == RLB_STREAM_CONNECTING && st->connect_errno)
        rlb_stream_close(st, RLB_STREAM_FAILED, "connect: %s", strerror(st->connect_errno));
    else if (st->state == RLB_STREAM_CONNECTING)
        rlb_stream_close(st, RLB_STREAM_TIMEOUT, "connect timed out after %g s",
                         st->set->handshake_timeout);
    else if (st->state == RLB_STREAM_HANDSHAKE)
        rlb_stream_close(st, RLB_STREAM_TIMEOUT, "TLS handshake timed out after %g s",
                         st->set->handshake_timeout);
}
