/*
 * front.c: stream listeners, inbound connections and radlb's own
 * retransmissions for them (see front.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ctx.h"
#include "front.h"
#include "tls.h"

#define RTX_MIN 256
/* The connection on a link of ctx->front.conns (NULL for NULL). */
#define CONN(l) rlb_container_of((l), struct rlb_sconn, link)

static const char *
proto_name(int proto)
{
    return proto == RLB_PROTO_TLS ? "tls" : "tcp";
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */

static void
conn_free(struct rlb_ctx *ctx, struct rlb_sconn *c)
{
    (void)ctx;
    free(c);
}

void
rlb_front_unref(struct rlb_ctx *ctx, struct rlb_sconn *c)
{
    if (--c->refs == 0 && !c->live)
        conn_free(ctx, c);
}

void
rlb_front_send(struct rlb_ctx *ctx, struct rlb_sconn *c, const uint8_t *pkt, size_t len)
{
    if (!c->live || rlb_stream_send(&c->st, pkt, len) < 0)
        ctx->conns.replies_lost++;
}

static void
conn_open(struct rlb_stream *st)
{
    struct rlb_sconn *c = (struct rlb_sconn *)st;
    struct rlb_ctx *ctx = c->ctx;
    struct rlb_client *cl = c->client;
    char where[RLB_ADDRSTRLEN];

    c->open = true;
    ctx->front.handshaking--;
    if (st->ssl && cl->has_fp) {
        unsigned char fp[RLB_FP_LEN];
        char want[RLB_TLS_FP_STRLEN], got[RLB_TLS_FP_STRLEN];

        if (!rlb_tls_peer_fp(st->ssl, fp) || memcmp(fp, cl->fp, RLB_FP_LEN) != 0) {
            ctx->conns.pin_mismatches++;
            rlb_err("client %s (%s): TLS certificate refused: its fingerprint %s is not the pinned "
                    "fingerprint %s. If the client's certificate was replaced on purpose, "
                    "put the new fingerprint in its \"fingerprint\" setting and reload",
                    cl->name, rlb_sockaddr_str(&st->peer, where, sizeof(where)),
                    rlb_tls_fp_str(fp, got), rlb_tls_fp_str(cl->fp, want));
            rlb_stream_close(st, RLB_STREAM_LOCAL, "certificate fingerprint mismatch");
            return;
        }
    }
    rlb_debug("client %s (%s): %s connection open", cl->name,
              rlb_sockaddr_str(&st->peer, where, sizeof(where)),
              proto_name(st->ssl ? RLB_PROTO_TLS : RLB_PROTO_TCP));
}

static void
conn_packet(struct rlb_stream *st, uint8_t *data, size_t len)
{
    struct rlb_sconn *c = (struct rlb_sconn *)st;
    rlb_drop_t why = c->ctx->up.client_packet(c->ctx, c->listener, c, data, len, &st->peer, NULL);

    if (why != RLB_DROP_NONE)
        rlb_stream_close(st, RLB_STREAM_MALFORMED, "the client sent a packet that was dropped (%s)",
                         rlb_drop_help(why));
}

static void
conn_closed(struct rlb_stream *st, int why, bool opened, const char *text)
{
    struct rlb_sconn *c = (struct rlb_sconn *)st;
    struct rlb_ctx *ctx = c->ctx;
    struct rlb_front *f = &ctx->front;
    char where[RLB_ADDRSTRLEN];
    unsigned held;

    (void)opened;
    if (!c->open)
        f->handshaking--;
    c->live = false;
    rlb_list_remove(&f->conns, &c->link);
    rlb_sockaddr_str(&st->peer, where, sizeof(where));
    if (why == RLB_STREAM_MALFORMED)
        ctx->conns.closed_malformed++;
    if (!c->open && strncmp(text, "TLS", 3) == 0)
        ctx->conns.tls_failures++;
    if (why == RLB_STREAM_MALFORMED || why == RLB_STREAM_TIMEOUT || !c->open) {
        if (rlb_ratelimit_ok(&f->rl_closed, ev_now(ctx->loop), &held))
            rlb_warn("client %s (%s): connection closed: %s%s", c->client->name, where, text,
                     held ? " (and others since the last line)" : "");
    } else {
        rlb_debug("client %s (%s): connection closed: %s", c->client->name, where, text);
    }
    if (c->refs == 0)
        conn_free(ctx, c);
}

static const struct rlb_stream_ops conn_ops = { conn_open, conn_packet, conn_closed };

static void
refuse(struct rlb_ctx *ctx, int fd, const union rlb_sockaddr *peer, const char *why)
{
    char where[RLB_ADDRSTRLEN];
    unsigned held;

    close(fd);
    ctx->conns.refused++;
    if (rlb_ratelimit_ok(&ctx->front.rl_refused, ev_now(ctx->loop), &held))
        rlb_warn("refused a connection from %s: %s%s", rlb_sockaddr_str(peer, where, sizeof(where)),
                 why, held ? " (and others since the last line)" : "");
}

static void
listener_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    struct rlb_listener *l = (struct rlb_listener *)w;
    struct rlb_front *f = &ctx->front;
    const struct rlb_conf_conns *cc = &ctx->conf->conns;

    (void)loop;
    (void)revents;
    for (int round = 0; round < 64; round++) {
        union rlb_sockaddr peer;
        socklen_t plen = sizeof(peer);
        struct rlb_client *cl;
        struct rlb_sconn *c;
        int fd = accept4(w->fd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            unsigned held;

            if (errno == EMFILE || errno == ENFILE) {
                /* Closed at once, or the listener would stay readable. */
                rlb_accept_shed(w->fd, &ctx->fd_reserve);
                ctx->stats.fd_exhausted++;
                if (rlb_ratelimit_ok(&f->rl_refused, ev_now(ctx->loop), &held))
                    rlb_err("accept: out of file descriptors (%s): raise the limit (LimitNOFILE=) "
                            "or lower connections.max", strerror(errno));
            } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                rlb_warn("accept: %s", strerror(errno));
            }
            return;
        }
        cl = rlb_clients_find(&ctx->clients, &peer);
        if (!cl) {
            ctx->stats.drops[RLB_DROP_UNKNOWN_CLIENT]++;
            refuse(ctx, fd, &peer, "no client matches this address (add it to \"clients\")");
            continue;
        }
        if (f->conns.count >= (unsigned long)cc->max) {
            refuse(ctx, fd, &peer, "connections.max connections are open");
            continue;
        }
        if (f->handshaking >= (unsigned)cc->max_handshakes) {
            refuse(ctx, fd, &peer, "connections.max_handshakes handshakes are in progress");
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
            refuse(ctx, fd, &peer, "out of memory");
            continue;
        }
        rlb_stream_init(&c->st, &f->streams, &conn_ops, c);
        c->ctx = ctx;
        c->listener = l;
        c->client = cl;
        c->live = true;
        rlb_list_prepend(&f->conns, &c->link);
        f->handshaking++;
        ctx->conns.accepted++;
        if (rlb_stream_accept(&c->st, fd, &peer, l->proto == RLB_PROTO_TLS ? f->ssl : NULL) < 0) {
            /* no buffer: undo */
            close(fd);
            f->handshaking--;
            rlb_list_remove(&f->conns, &c->link);
            free(c);
        }
    }
}

/* Once a second: connections silent for idle_timeout are closed. */
static void
idle_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop), idle = ctx->conf->conns.idle_timeout;
    struct rlb_sconn *c, *next;

    (void)revents;
    for (c = CONN(ctx->front.conns.head); c; c = next) {
        next = CONN(c->link.next);
        if (c->open && now - c->st.last_rx >= idle && now - c->st.last_tx >= idle) {
            ctx->conns.closed_idle++;
            rlb_stream_close(&c->st, RLB_STREAM_TIMEOUT,
                             "idle for %g s (connections.idle_timeout)", idle);
        }
    }
}

/* ------------------------------------------------------------------ */
/* radlb's own retransmissions                                        */

static void
rtx_arm(struct rlb_ctx *ctx)
{
    struct rlb_front *f = &ctx->front;

    ev_timer_stop(ctx->loop, &f->rtx_timer);
    if (!f->rcount)
        return;
    ev_timer_set(&f->rtx_timer, f->ring[f->rhead].due - ev_now(ctx->loop) > 0
                                    ? f->ring[f->rhead].due - ev_now(ctx->loop) : 0, 0);
    ev_timer_start(ctx->loop, &f->rtx_timer);
}

static int
rtx_push(struct rlb_front *f, const struct rlb_rtx *e)
{
    if (f->rcount == f->rcap) {
        unsigned cap = f->rcap ? f->rcap * 2 : RTX_MIN;
        struct rlb_rtx *v = malloc(cap * sizeof(*v));

        if (!v)
            return -1;
        for (unsigned i = 0; i < f->rcount; i++)
            v[i] = f->ring[(f->rhead + i) % f->rcap];
        free(f->ring);
        f->ring = v;
        f->rcap = cap;
        f->rhead = 0;
    }
    f->ring[(f->rhead + f->rcount) % f->rcap] = *e;
    f->rcount++;
    return 0;
}

void
rlb_front_track(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *pkt, size_t len)
{
    struct rlb_rtx e;

    e.req = req;
    e.gen = req->gen;
    e.len = (uint16_t)len;
    e.due = ev_now(ctx->loop) + ctx->conf->proxy.retransmit_interval;
    e.pkt = rlb_buf_get(&ctx->bufs, len);
    if (!e.pkt)
        return;
    memcpy(e.pkt, pkt, len);
    if (rtx_push(&ctx->front, &e) < 0) {
        rlb_buf_put(&ctx->bufs, e.pkt, len);
        return;
    }
    if (ctx->front.rcount == 1)
        rtx_arm(ctx);
}

static void
rtx_due(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    struct rlb_front *f = &ctx->front;
    double now = ev_now(loop);

    (void)revents;
    while (f->rcount && f->ring[f->rhead].due <= now) {
        struct rlb_rtx e = f->ring[f->rhead];
        struct rlb_request *req = e.req;

        f->rhead = (f->rhead + 1) % f->rcap;
        f->rcount--;
        /* Still the same request, still waiting, its client still there. */
        if (req->gen == e.gen && req->conn && req->conn->live &&
            ctx->up.resend(ctx, req, e.pkt, e.len)) {
            e.due = now + ctx->conf->proxy.retransmit_interval;
            if (rtx_push(f, &e) == 0)
                continue;
        }
        rlb_buf_put(&ctx->bufs, e.pkt, e.len);
    }
    rtx_arm(ctx);
}

/* After a reload: a connection whose client was removed, or whose address
 * another client's network now claims, is closed (it would not be
 * accepted now). */
void
rlb_front_reloaded(struct rlb_ctx *ctx)
{
    struct rlb_sconn *c, *next;

    for (c = CONN(ctx->front.conns.head); c; c = next) {
        next = CONN(c->link.next);
        if (rlb_clients_find(&ctx->clients, &c->st.peer) != c->client)
            rlb_stream_close(&c->st, RLB_STREAM_LOCAL,
                             "its client is no longer configured for this "
                             "address (reload)");
    }
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                     */

static int
listener_open(struct rlb_listener *l, const struct rlb_conf_listen *cl, char *err, size_t errlen)
{
    char where[RLB_ADDRSTRLEN];
    int one = 1, fd;

    l->type = cl->type;
    l->proto = cl->proto;
    l->addr = cl->addr;
    rlb_sockaddr_str(&cl->addr, where, sizeof(where));
    fd = socket(cl->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "listen %s/%s: socket: %s", where, proto_name(cl->proto),
                 strerror(errno));
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (rlb_listener_bind(fd, cl) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, errlen, "listen %s/%s: bind: %s%s", where, proto_name(cl->proto),
                 strerror(errno), rlb_listener_bind_hint(errno));
        close(fd);
        return -1;
    }
    ev_io_init(&l->io, listener_accept, fd, EV_READ);
    return 0;
}

int
rlb_front_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf *conf = ctx->conf;
    struct rlb_front *f = &ctx->front;
    char err[512];
    unsigned n = 0;

    f->streams.loop = ctx->loop;
    f->streams.handshake_timeout = conf->conns.handshake_timeout;
    f->rl_refused.interval = RLB_LOG_INTERVAL;
    f->rl_closed.interval = RLB_LOG_INTERVAL;
    ev_timer_init(&f->rtx_timer, rtx_due, 0, 0);
    f->rtx_timer.data = ctx;
    for (unsigned i = 0; i < conf->nlisten; i++) {
        n += conf->listen[i].proto != RLB_PROTO_UDP;
        if (conf->listen[i].proto == RLB_PROTO_TLS && !f->ssl) {
            f->ssl = rlb_tls_ctx_new(&conf->tls, true, err, sizeof(err));
            if (!f->ssl) {
                rlb_err("%s", err);
                return -1;
            }
        }
    }
    if (!n)
        return 0;
    f->listeners = calloc(n, sizeof(*f->listeners));
    if (!f->listeners)
        return -1;
    for (unsigned i = 0; i < conf->nlisten; i++) {
        const struct rlb_conf_listen *cl = &conf->listen[i];
        struct rlb_listener *l = &f->listeners[f->n];
        char where[RLB_ADDRSTRLEN];

        if (cl->proto == RLB_PROTO_UDP)
            continue;
        if (listener_open(l, cl, err, sizeof(err)) < 0) {
            rlb_err("%s", err);
            return -1;
        }
        f->n++;
        l->io.data = ctx;
        ev_io_start(ctx->loop, &l->io);
        rlb_info("listening for %s on %s/%s",
                 l->type == RLB_LISTEN_AUTH ? "authentication" :
                 l->type == RLB_LISTEN_ACCT ? "accounting" : "authentication and accounting",
                 rlb_sockaddr_str(&l->addr, where, sizeof(where)), proto_name(l->proto));
    }
    ev_timer_init(&f->idle, idle_check, 1.0, 1.0);
    f->idle.data = ctx;
    ev_timer_start(ctx->loop, &f->idle);
    return 0;
}

/* Closes the listeners and every connection. Requests still pointing at
 * a connection keep it (closed) until they are freed. */
void
rlb_front_stop(struct rlb_ctx *ctx)
{
    struct rlb_front *f = &ctx->front;

    for (unsigned i = 0; i < f->n; i++) {
        ev_io_stop(ctx->loop, &f->listeners[i].io);
        close(f->listeners[i].io.fd);
    }
    free(f->listeners);
    f->listeners = NULL;
    f->n = 0;
    ev_timer_stop(ctx->loop, &f->idle);
    rlb_streams_flush(&f->streams);
    while (f->conns.head)
        rlb_stream_close(&CONN(f->conns.head)->st, RLB_STREAM_LOCAL, "radlb is stopping");
}

/* After every request is freed: the retransmission ring and TLS. */
void
rlb_front_free(struct rlb_ctx *ctx)
{
    struct rlb_front *f = &ctx->front;

    ev_timer_stop(ctx->loop, &f->rtx_timer);
    while (f->rcount) {
        struct rlb_rtx *e = &f->ring[f->rhead];

        rlb_buf_put(&ctx->bufs, e->pkt, e->len);
        f->rhead = (f->rhead + 1) % f->rcap;
        f->rcount--;
    }
    free(f->ring);
    f->ring = NULL;
    f->rcap = 0;
    if (f->ssl)
        SSL_CTX_free(f->ssl);
    f->ssl = NULL;
}
