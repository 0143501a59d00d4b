/*
 * backend.c: TCP and TLS connections toward the servers (see backend.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "health.h"
#include "ctx.h"
#include "pkt.h"
#include "tls.h"

static const char *
proto_name(const struct rlb_server *s)
{
    return s->proto == RLB_PROTO_TLS ? "tls" : "tcp";
}

bool
rlb_backend_peer_ok(struct rlb_ctx *ctx, struct rlb_server *s, struct rlb_stream *st)
{
    unsigned char fp[RLB_FP_LEN];
    char want[RLB_TLS_FP_STRLEN], got[RLB_TLS_FP_STRLEN];

    if (!st->ssl || !s->has_fp)
        return true;
    if (rlb_tls_peer_fp(st->ssl, fp) && memcmp(fp, s->fp, RLB_FP_LEN) == 0)
        return true;
    ctx->conns.pin_mismatches++;
    rlb_err("server %s: TLS certificate refused: its fingerprint %s is not the pinned fingerprint "
            "%s. Nothing is sent to it. If the server's certificate was replaced on purpose, put "
            "the new fingerprint in its \"fingerprint\" setting and reload",
            s->name, rlb_tls_fp_str(fp, got), rlb_tls_fp_str(s->fp, want));
    return false;
}

int
rlb_backend_connect(struct rlb_ctx *ctx, struct rlb_server *s, int kind, struct rlb_stream *st)
{
    SSL_CTX *ssl = s->proto == RLB_PROTO_TLS ? ctx->backend.ssl : NULL;

    rlb_stream_reset(st);
    return rlb_stream_connect(st, &s->addr[kind], ssl, s->tls_name);
}

/* ------------------------------------------------------------------ */
/* Links                                                              */

static double
backoff(struct rlb_ctx *ctx, unsigned failures)
{
    const struct rlb_conf_conns *cc = &ctx->conf->conns;
    double d = cc->backoff_min;
    uint8_t r;

    for (unsigned i = 1; i < failures && d < cc->backoff_max; i++)
        d *= 2;
    if (d > cc->backoff_max)
        d = cc->backoff_max;
    rlb_random_bytes(&r, 1);
    return d * (0.75 + 0.5 * r / 255.0);
}

static void
link_connect(struct rlb_blink *l)
{
    struct rlb_server *s = l->b->server;
    char where[RLB_ADDRSTRLEN];

    if (rlb_backend_connect(l->ctx, s, l->b->kind, &l->st) < 0) {
        /* No socket at all (descriptors exhausted): try again later. */
        l->failures++;
        l->next_connect = ev_now(l->ctx->loop) + backoff(l->ctx, l->failures);
        rlb_err("server %s: cannot open a %s socket to %s: %s", s->name, proto_name(s),
                rlb_sockaddr_str(&s->addr[l->b->kind], where, sizeof(where)), strerror(errno));
        ev_timer_stop(l->ctx->loop, &l->retry);
        ev_timer_set(&l->retry, l->next_connect - ev_now(l->ctx->loop), 0);
        ev_timer_start(l->ctx->loop, &l->retry);
    }
}

static void
link_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_blink *l = w->data;

    (void)loop;
    (void)revents;
    if (l->st.state == RLB_STREAM_IDLE || l->st.state == RLB_STREAM_CLOSED)
        link_connect(l);
}

int
rlb_backend_send(struct rlb_ctx *ctx, struct rlb_bsock *b, const uint8_t *pkt, size_t len)
{
    struct rlb_blink *l = b->link;

    if (l->st.state == RLB_STREAM_IDLE && !ev_is_active(&l->retry)) {
        double now = ev_now(ctx->loop);

        if (now >= l->next_connect) {
            link_connect(l);
        } else {
            rlb_info("server %s: reconnecting its %s connection in %.1f s (attempt %u)",
                     b->server->name, proto_name(b->server), l->next_connect - now,
                     l->failures + 1);
            ev_timer_set(&l->retry, l->next_connect - now, 0);
            ev_timer_start(ctx->loop, &l->retry);
        }
    }
    return rlb_stream_send(&l->st, pkt, len);
}

static void
link_open(struct rlb_stream *st)
{
    struct rlb_blink *l = (struct rlb_blink *)st;
    struct rlb_server *s = l->b->server;
    char where[RLB_ADDRSTRLEN];

    if (!rlb_backend_peer_ok(l->ctx, s, st)) {
        rlb_stream_close(st, RLB_STREAM_LOCAL, "certificate fingerprint mismatch");
        return;
    }
    l->ctx->conns.backend_connects++;
    rlb_info("server %s: %s connection to %s open%s", s->name, proto_name(s),
             rlb_sockaddr_str(&st->peer, where, sizeof(where)),
             l->failures ? " (reconnected)" : "");
}

static void
watchdog_release(struct rlb_blink *l)
{
    struct rlb_bsock *b = l->b;

    if (!l->wd_out)
        return;
    l->wd_out = false;
    b->ring[b->tail++] = l->wd_id;
    b->nfree++;
}

static void
link_packet(struct rlb_stream *st, uint8_t *data, size_t len)
{
    struct rlb_blink *l = (struct rlb_blink *)st;
    struct rlb_bsock *b = l->b;
    rlb_drop_t why;

    if (l->wd_out && data[1] == l->wd_id) {
        struct rlb_pkt_info info;

        if (rlb_pkt_parse(data, &len, false, &info) == RLB_DROP_NONE &&
            rlb_pkt_reply_ok(data, &info, l->wd_auth, &b->server->secret)) {
            watchdog_release(l);
            l->failures = 0;
            rlb_health_replied(b->server, ev_now(l->ctx->loop));
        }
        return;
    }
    why = l->ctx->up.server_packet(l->ctx, b, data, len);
    if (why == RLB_DROP_NONE) {
        l->failures = 0;
        return;
    }
    if (rlb_drop_is_malformed(why))
        rlb_stream_close(st, RLB_STREAM_MALFORMED, "the server sent a malformed packet (%s)",
                         rlb_drop_help(why));
}

static void
link_closed(struct rlb_stream *st, int why, bool opened, const char *text)
{
    struct rlb_blink *l = (struct rlb_blink *)st;
    struct rlb_ctx *ctx = l->ctx;
    struct rlb_bsock *b = l->b;
    struct rlb_server *s = b->server;
    unsigned lost = 256 - b->nfree - l->wd_out;

    watchdog_release(l);
    if (opened && !lost && why != RLB_STREAM_TIMEOUT) {
        /* Closed while idle (the server's idle timer, a restart): the
         * next request simply connects again. */
        l->failures = 0;
        l->next_connect = 0;
        ctx->conns.backend_lost++;
        rlb_info("server %s: %s connection closed while idle: %s", s->name, proto_name(s), text);
        rlb_stream_reset(st);
        return;
    }
    l->failures++;
    l->next_connect = ev_now(ctx->loop) + backoff(ctx, l->failures);
    if (!opened) {
        char reason[200];

        ctx->conns.backend_failures++;
        if (strncmp(text, "TLS", 3) == 0)
            ctx->conns.tls_failures++;
        snprintf(reason, sizeof(reason), "%s connection failed: %s", proto_name(s), text);
        rlb_warn("server %s: %s%s", s->name, reason,
                 why == RLB_STREAM_LOCAL ? "" : lost ? "; its requests go to other servers" : "");
        /* Nothing went out: its requests can go elsewhere. */
        ctx->up.link_failed(ctx, s, b->kind, reason);
        ctx->up.link_lost(ctx, b, false);
    } else {
        ctx->conns.backend_lost++;
        rlb_warn("server %s: %s connection closed: %s%s", s->name, proto_name(s), text,
                 lost ? "; the requests it carried are answered as timed out" : "");
        ctx->up.link_lost(ctx, b, true);
    }
    rlb_stream_reset(st);
}

static const struct rlb_stream_ops link_ops = { link_open, link_packet, link_closed };

static int
link_new(void *data, struct rlb_bsock *b)
{
    struct rlb_ctx *ctx = data;
    struct rlb_blink *l = calloc(1, sizeof(*l));

    if (!l)
        return -1;
    rlb_stream_init(&l->st, &ctx->front.streams, &link_ops, l);
    l->ctx = ctx;
    l->b = b;
    ev_timer_init(&l->retry, link_retry, 0, 0);
    l->retry.data = l;
    b->link = l;
    return 0;
}

static void
link_free(void *data, struct rlb_bsock *b)
{
    struct rlb_ctx *ctx = data;
    struct rlb_blink *l = b->link;

    ev_timer_stop(ctx->loop, &l->retry);
    rlb_stream_discard(&l->st);    /* no report: the requests are gone already */
    free(l);
    b->link = NULL;
}

/* ------------------------------------------------------------------ */
/* Watchdog                                                           */

static void
watchdog(struct rlb_ctx *ctx, struct rlb_blink *l, double now)
{
    struct rlb_bsock *b = l->b;
    double wd = ctx->conf->conns.watchdog_interval;
    uint8_t pkt[RLB_HDR_LEN + RLB_MA_LEN];

    if (l->st.state != RLB_STREAM_OPEN)
        return;
    if (l->wd_out) {
        if (now - l->wd_sent >= ctx->conf->health.timeout) {
            ctx->conns.watchdog_failures++;
            rlb_stream_close(&l->st, RLB_STREAM_TIMEOUT,
                             "watchdog: no answer to Status-Server within %g s",
                             ctx->conf->health.timeout);
        }
        return;
    }
    if (b->nfree < 256 || now - l->st.last_rx < wd || now - l->st.last_tx < wd)
        return;
    if (ctx->conf->health.probe != RLB_PROBE_STATUS_SERVER) {
        /* The server may not answer Status-Server: an idle link is closed. */
        rlb_stream_close(&l->st, RLB_STREAM_LOCAL, "idle for %g s", wd);
        return;
    }
    l->wd_id = b->ring[b->head++];
    b->nfree--;
    l->wd_out = true;
    l->wd_sent = now;
    rlb_random_bytes(l->wd_auth, sizeof(l->wd_auth));
    ctx->conns.watchdogs++;
    rlb_stream_send(&l->st, pkt, rlb_pkt_build_status_server(l->wd_id, l->wd_auth,
                                                             &b->server->secret, pkt));
}

static void
tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);

    (void)revents;
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        struct rlb_server *s = ctx->servers.v[i];

        for (int k = 0; k < 2; k++) {
            for (unsigned j = 0; j < s->nsocks[k]; j++) {
                if (s->socks[k][j]->link)
                    watchdog(ctx, s->socks[k][j]->link, now);
            }
        }
    }
}

/* ------------------------------------------------------------------ */

int
rlb_backend_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf *conf = ctx->conf;
    bool streams = false;
    char err[512];

    for (unsigned i = 0; i < conf->nsrv; i++) {
        if (conf->srv[i]->proto == RLB_PROTO_TLS && !ctx->backend.ssl) {
            ctx->backend.ssl = rlb_tls_ctx_new(&conf->tls, false, err, sizeof(err));
            if (!ctx->backend.ssl) {
                rlb_err("%s", err);
                return -1;
            }
        }
        streams |= conf->srv[i]->proto != RLB_PROTO_UDP;
    }
    ctx->servers.link_open = link_new;
    ctx->servers.link_free = link_free;
    if (streams) {
        ev_timer_init(&ctx->backend.tick, tick, 1.0, 1.0);
        ctx->backend.tick.data = ctx;
        ev_timer_start(ctx->loop, &ctx->backend.tick);
    }
    return 0;
}

void
rlb_backend_stop(struct rlb_ctx *ctx)
{
    ev_timer_stop(ctx->loop, &ctx->backend.tick);
}

/* After the servers are freed. */
void
rlb_backend_free(struct rlb_ctx *ctx)
{
    if (ctx->backend.ssl)
        SSL_CTX_free(ctx->backend.ssl);
    ctx->backend.ssl = NULL;
}
