/*
 * health.c: server states, their transitions, the health probes and the
 * passive suspicion check (see health.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "ctx.h"
#include "health.h"
#include "pkt.h"
#include "stream.h"

#define SUSPECT_CHECK 0.25         /* seconds between passive checks */
#define PROBE_NAS_ID  "radlb-health-probe"

static void probe_start(struct rlb_ctx *ctx, struct rlb_server *s);
static void probe_stop(struct rlb_ctx *ctx, struct rlb_server *s);
static void probe_readable(struct ev_loop *loop, ev_io *w, int revents);
static void probe_send(struct rlb_ctx *ctx, struct rlb_probe *p);
static bool probe_answer(struct rlb_ctx *ctx, struct rlb_probe *p, uint8_t *buf, size_t len);
static void probe_failed(struct rlb_ctx *ctx, struct rlb_probe *p, const char *how);

/* Probes go to port kind from now on (the socket is reopened). */
static void
set_target(struct rlb_ctx *ctx, struct rlb_probe *p, int kind)
{
    if (p->target != kind && ev_is_active(&p->io)) {
        ev_io_stop(ctx->loop, &p->io);
        close(p->io.fd);
    }
    if (p->target != kind && p->st && p->st->state != RLB_STREAM_IDLE)
        rlb_stream_close(p->st, RLB_STREAM_LOCAL, "probing the other port");
    p->target = (uint8_t)kind;
}

/* A server's probe numbers: its pool's (interval, timeout, rise, fall of
 * the pool's own health, the top-level values otherwise). */
static const struct rlb_conf_health *
hconf(const struct rlb_ctx *ctx, const struct rlb_server *s)
{
    return s && s->pool ? &s->pool->health : &ctx->conf->health;
}

static bool
active(const struct rlb_ctx *ctx)
{
    return ctx->conf->health.probe != RLB_PROBE_NONE;
}

/* The one place a server's state changes. */
static void
transition(struct rlb_ctx *ctx, struct rlb_server *s, int admin, int health, const char *reason,
           bool proven)
{
    const char *before = rlb_server_state_name(s);
    int was_health = s->health;

    if (admin == s->admin && health == s->health)
        return;
    if (admin != s->admin)
        snprintf(s->admin_reason, sizeof(s->admin_reason), "%s", reason);
    if (health != s->health)
        snprintf(s->health_reason, sizeof(s->health_reason), "%s", reason);
    s->admin = admin;
    s->health = health;
    s->since = ev_now(ctx->loop);
    if (strcmp(before, rlb_server_state_name(s)) != 0)
        rlb_warn("server %s: %s -> %s (%s)", s->name, before, rlb_server_state_name(s), reason);
    else                           /* e.g. a down server drained: still shown down */
        rlb_warn("server %s: %s; still %s (%s)", s->name, reason, before, s->health_reason);

    if (health == RLB_HEALTH_DOWN && was_health != RLB_HEALTH_DOWN) {
        s->stats.went_down++;
        if (!active(ctx))
            probe_start(ctx, s);
        ctx->up.server_down(ctx, s, proven);
    } else if (health == RLB_HEALTH_UP && was_health == RLB_HEALTH_DOWN) {
        if (!active(ctx))
            probe_stop(ctx, s);
        else if (s->probe)
            set_target(ctx, s->probe, RLB_KIND_AUTH);
    }
}

void
rlb_health_set_down(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason)
{
    transition(ctx, s, s->admin, RLB_HEALTH_DOWN, reason, false);
}

void
rlb_health_set_up(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason)
{
    transition(ctx, s, s->admin, RLB_HEALTH_UP, reason, false);
}

void
rlb_health_port_unreachable(struct rlb_ctx *ctx, struct rlb_server *s, int kind)
{
    rlb_health_link_failed(ctx, s, kind,
                           kind == RLB_KIND_AUTH
                               ? "port unreachable: nothing listens on its auth port"
                               : "port unreachable: nothing listens on its acct port");
}

void
rlb_health_link_failed(struct rlb_ctx *ctx, struct rlb_server *s, int kind, const char *reason)
{
    struct rlb_probe *p = s->probe;

    if (s->health == RLB_HEALTH_DOWN) {
        if (p)
            p->refused = true;
        return;
    }
    s->down_kind = (uint8_t)kind;
    if (p) {
        /* Probe the port that failed; what was out is void. */
        set_target(ctx, p, kind);
        p->ok_run = 0;
        p->quiet = 0;
        p->waiting = false;
        p->refused = true;
    }
    /* Refused: nothing it holds was ever received. */
    transition(ctx, s, s->admin, RLB_HEALTH_DOWN, reason, true);
    if (p && active(ctx)) {
        ev_timer_stop(ctx->loop, &p->timer);
        ev_timer_set(&p->timer, hconf(ctx, s)->interval, 0);
        ev_timer_start(ctx->loop, &p->timer);
    }
}

void
rlb_health_set_admin(struct rlb_ctx *ctx, struct rlb_server *s, int admin, const char *who)
{
    char reason[96];

    snprintf(reason, sizeof(reason), "%s by %s", rlb_admin_name(admin), who);
    transition(ctx, s, admin, s->health, reason, false);
}

/* ------------------------------------------------------------------ */
/* Probe packets                                                      */

static size_t
build_status_server(struct rlb_probe *p, uint8_t *pkt)
{
    return rlb_pkt_build_status_server(p->id, p->auth, &p->server->secret, pkt);
}

/* Access-Request for probe_user (pkt.c builds radlb's own logins). */
static size_t
build_access_request(const struct rlb_conf_health *h, struct rlb_probe *p, uint8_t *pkt)
{
    return rlb_pkt_build_login(p->id, p->auth, &p->server->secret, h->probe_user,
                               h->probe_password, NULL, 0, PROBE_NAS_ID, pkt);
}

/* ------------------------------------------------------------------ */
/* Probe results                                                      */

static void
arm(struct rlb_ctx *ctx, struct rlb_probe *p, double after)
{
    ev_timer_stop(ctx->loop, &p->timer);
    ev_timer_set(&p->timer, after > 0 ? after : 0, 0);
    ev_timer_start(ctx->loop, &p->timer);
}

/* The next probe of the regular schedule: interval after the last one. */
static void
arm_next(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    arm(ctx, p, p->sent_at + hconf(ctx, p->server)->interval - ev_now(ctx->loop));
}

static void
probe_ok(struct rlb_ctx *ctx, struct rlb_probe *p, const char *how)
{
    struct rlb_server *s = p->server;
    const struct rlb_conf_health *h = hconf(ctx, p->server);
    double now = ev_now(ctx->loop);
    char reason[128];

    p->waiting = false;
    p->rtt = now - p->sent_at;
    p->last_ok = now;
    p->fail_run = 0;
    p->ok_run++;
    snprintf(p->last, sizeof(p->last), "%s", how);
    if (s->health == RLB_HEALTH_DOWN && p->ok_run >= (unsigned)h->rise) {
        snprintf(reason, sizeof(reason), "%u probes in a row %s", p->ok_run, how);
        rlb_health_set_up(ctx, s, reason);
    }
    arm_next(ctx, p);
}

static void
probe_failed(struct rlb_ctx *ctx, struct rlb_probe *p, const char *how)
{
    struct rlb_server *s = p->server;
    const struct rlb_conf_health *h = hconf(ctx, p->server);
    char reason[128];

    p->waiting = false;
    p->ok_run = 0;
    p->fail_run++;
    s->stats.probe_failures++;
    snprintf(p->last, sizeof(p->last), "%s", how);
    if (s->health == RLB_HEALTH_UP && p->fail_run >= (unsigned)h->fall) {
        snprintf(reason, sizeof(reason), "%u probes in a row failed: %s", p->fail_run, how);
        s->down_kind = p->target;
        rlb_health_set_down(ctx, s, reason);
    }
    if (s->health == RLB_HEALTH_UP)
        arm(ctx, p, 0);            /* confirm at once */
    else
        arm_next(ctx, p);
}

/* A probe unanswered within health.timeout while the server answered
 * requests meanwhile: it waited behind them in the server's queue. Slow is
 * not down (health.h): neither a failure nor a success; the next probe
 * goes on the regular schedule. */
static void
probe_late(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    double now = ev_now(ctx->loop);
    unsigned long n = s->replied - p->replied_at_send;
    unsigned held;
    char note[64];

    p->waiting = false;
    p->fail_run = 0;
    s->stats.probes_late++;
    snprintf(p->last, sizeof(p->last), "late (%lu replies meanwhile)", n);
    if (rlb_ratelimit_ok(&s->rl_slow, now, &held))
        rlb_warn("server %s: probe not answered within %g s, but %lu replies came meanwhile "
                   "(%u requests in flight): slow, not down%s", s->name,
                   hconf(ctx, s)->timeout, n, s->outstanding,
                   rlb_held_note(held, note, sizeof(note)));
    arm_next(ctx, p);
}

/* The probe's deadline (or, with probe "none", the once-a-second tick). */
static void
probe_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_probe *p = w->data;
    struct rlb_ctx *ctx = p->ctx;
    char how[sizeof(p->last)];

    (void)loop;
    (void)revents;
    if (!active(ctx)) {
        if (p->waiting) {
            p->quiet = p->refused ? 0 : p->quiet + 1;
            if (p->quiet >= 2) {
                rlb_health_set_up(ctx, p->server, "its port is reachable again");
                return;
            }
        }
        probe_send(ctx, p);
        return;
    }
    if (!p->waiting) {
        probe_send(ctx, p);
        return;
    }
    /* A port that failed by ICMP and is probed with Status-Server (the
     * acct port, or servers that do not answer it): reachable counts. */
    if (p->target == RLB_KIND_ACCT && p->server->health == RLB_HEALTH_DOWN && !p->refused) {
        probe_ok(ctx, p, "not refused on the acct port");
        return;
    }
    if (!p->refused && p->server->health == RLB_HEALTH_UP &&
        p->server->replied != p->replied_at_send) {
        probe_late(ctx, p);
        return;
    }
    if (p->refused && p->st)
        snprintf(how, sizeof(how), "%s", p->last);
    else if (p->refused)
        snprintf(how, sizeof(how), "refused (ICMP port unreachable)");
    else
        snprintf(how, sizeof(how), "no answer within %g s", hconf(ctx, p->server)->timeout);
    probe_failed(ctx, p, how);
}

/* Opens the probe socket toward the target port; false (logged once) when
 * it cannot: the next probe tries again. */
static bool
probe_open(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    const union rlb_sockaddr *to = &s->addr[p->target];
    int fd;

    fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &to->sa, rlb_sockaddr_len(to)) < 0) {
        if (!p->open_failed)
            rlb_err("server %s: cannot open a probe socket (%s); trying again at every probe",
                    s->name, strerror(errno));
        p->open_failed = true;
        if (fd >= 0)
            close(fd);
        return false;
    }
    ev_io_init(&p->io, probe_readable, fd, EV_READ);
    p->io.data = ctx;
    ev_io_start(ctx->loop, &p->io);
    return true;
}

/* TCP/TLS servers: the probe has a connection of its own. */
static void
pstream_open(struct rlb_stream *st)
{
    struct rlb_probe *p = st->owner;

    if (!rlb_backend_peer_ok(p->ctx, p->server, st))
        rlb_stream_close(st, RLB_STREAM_LOCAL, "TLS certificate fingerprint mismatch");
}

static void
pstream_packet(struct rlb_stream *st, uint8_t *data, size_t len)
{
    struct rlb_probe *p = st->owner;

    probe_answer(p->ctx, p, data, len);
}

/* A probe connection that closed: one that never opened is a refusal (down
 * at once, as ICMP port unreachable on UDP); one closed under a probe
 * fails that probe (and the next goes at once). */
static void
pstream_closed(struct rlb_stream *st, int why, bool opened, const char *text)
{
    struct rlb_probe *p = st->owner;
    struct rlb_ctx *ctx = p->ctx;
    struct rlb_server *s = p->server;
    char how[sizeof(p->last)];

    (void)why;
    rlb_stream_reset(st);
    snprintf(how, sizeof(how), "%s", text);
    if (!opened) {
        if (strncmp(text, "TLS", 3) == 0)
            ctx->conns.tls_failures++;
        p->refused = true;
        snprintf(p->last, sizeof(p->last), "%s", how);
        if (!active(ctx) || !p->waiting)
            return;
        if (s->health == RLB_HEALTH_UP) {
            char reason[160];

            p->fail_run++;
            s->stats.probe_failures++;
            snprintf(reason, sizeof(reason), "%s connection failed: %s",
                     s->proto == RLB_PROTO_TLS ? "tls" : "tcp", text);
            rlb_health_link_failed(ctx, s, p->target, reason);
            return;
        }
        probe_failed(ctx, p, how);
        return;
    }
    if (active(ctx) && p->waiting)
        probe_failed(ctx, p, how);
}

static const struct rlb_stream_ops pstream_ops = { pstream_open, pstream_packet, pstream_closed };

/* The probe's socket or connection, opened if needed; false when it
 * cannot be (the next probe tries again). */
static bool
probe_ready(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;

    if (s->proto == RLB_PROTO_UDP)
        return ev_is_active(&p->io) || probe_open(ctx, p);
    if (!p->st) {
        p->st = calloc(1, sizeof(*p->st));
        if (!p->st)
            return false;
        rlb_stream_init(p->st, &ctx->front.streams, &pstream_ops, p);
    }
    if (p->st->state == RLB_STREAM_IDLE && rlb_backend_connect(ctx, s, p->target, p->st) < 0) {
        if (!p->open_failed)
            rlb_err("server %s: cannot open a probe connection (%s); trying again at every probe",
                    s->name, strerror(errno));
        p->open_failed = true;
        return false;
    }
    return true;
}

static void
probe_send(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    const struct rlb_conf_health *h = hconf(ctx, p->server);
    uint8_t pkt[RLB_PKT_MAX];
    size_t len;

    p->sent_at = ev_now(ctx->loop);
    if (active(ctx))
        arm(ctx, p, h->timeout);
    if (!probe_ready(ctx, p))
        return;
    p->id++;
    rlb_random_bytes(p->auth, sizeof(p->auth));
    if (h->probe == RLB_PROBE_ACCESS_REQUEST && p->target == RLB_KIND_AUTH)
        len = build_access_request(h, p, pkt);
    else
        len = build_status_server(p, pkt);
    p->waiting = true;
    p->refused = false;
    p->replied_at_send = s->replied;
    s->stats.probes++;
    if (p->st)
        rlb_stream_send(p->st, pkt, len);    /* leaves once connected */
    else if (send(p->io.fd, pkt, len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
        p->refused = true;
}

/* An answer to the probe out: true when it was one (the probe may be
 * gone then). */
static bool
probe_answer(struct rlb_ctx *ctx, struct rlb_probe *p, uint8_t *buf, size_t len)
{
    struct rlb_pkt_info info;

    if (rlb_pkt_parse(buf, &len, false, &info) != RLB_DROP_NONE || info.id != p->id ||
        !p->waiting || !rlb_pkt_reply_ok(buf, &info, p->auth, &p->server->secret) ||
        (info.ma_off && !rlb_pkt_ma_ok(buf, &info, p->auth, &p->server->secret)))
        return false;
    if (!active(ctx)) {
        p->waiting = false;
        rlb_health_set_up(ctx, p->server, "answers Status-Server again");
        return true;               /* the probe is gone */
    }
    probe_ok(ctx, p, buf[0] == RLB_ACCOUNTING_RESPONSE || buf[0] == RLB_ACCESS_ACCEPT
                         ? "answered" : "answered (rejected: alive)");
    return true;
}

static void
probe_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_probe *p = (struct rlb_probe *)w;
    struct rlb_ctx *ctx = w->data;
    uint8_t buf[RLB_PKT_MAX + 1];
    ssize_t n;

    (void)loop;
    (void)revents;
    while ((n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
        size_t len = (size_t)n;

        if (n < 0) {
            if (errno != ECONNREFUSED)
                return;
            p->refused = true;
            if (!active(ctx) || !p->waiting)
                continue;
            if (p->server->health == RLB_HEALTH_UP) {
                /* As on live traffic: nothing listens, down at once. */
                p->waiting = false;
                p->fail_run++;
                p->ok_run = 0;
                p->server->stats.probe_failures++;
                snprintf(p->last, sizeof(p->last), "refused (ICMP port unreachable)");
                rlb_health_port_unreachable(ctx, p->server, p->target);
                return;
            }
            if (p->target != RLB_KIND_ACCT)
                probe_failed(ctx, p, "refused (ICMP port unreachable)");
            continue;
        }
        if (len <= RLB_PKT_MAX && probe_answer(ctx, p, buf, len))
            return;
    }
}

static void
probe_start(struct rlb_ctx *ctx, struct rlb_server *s)
{
    struct rlb_probe *p;

    if (s->probe || !(p = calloc(1, sizeof(*p)))) {
        if (!s->probe)
            rlb_err("server %s: out of memory for its probe", s->name);
        return;
    }
    p->server = s;
    p->ctx = ctx;
    p->target = active(ctx) ? RLB_KIND_AUTH : s->down_kind;
    snprintf(p->last, sizeof(p->last), "not probed yet");
    rlb_random_bytes(&p->id, 1);
    if (active(ctx)) {
        ev_timer_init(&p->timer, probe_timer, 0, 0);
    } else {
        ev_timer_init(&p->timer, probe_timer, RLB_PROBE_INTERVAL, RLB_PROBE_INTERVAL);
    }
    p->timer.data = p;
    s->probe = p;
    if (active(ctx)) {
        /* Spread the first probes over one interval. */
        uint8_t r;

        rlb_random_bytes(&r, 1);
        arm(ctx, p, hconf(ctx, s)->interval * r / 256.0);
    } else {
        ev_timer_start(ctx->loop, &p->timer);
        probe_send(ctx, p);
    }
}

static void
probe_stop(struct rlb_ctx *ctx, struct rlb_server *s)
{
    struct rlb_probe *p = s->probe;

    if (!p)
        return;
    if (ev_is_active(&p->io)) {
        ev_io_stop(ctx->loop, &p->io);
        close(p->io.fd);
    }
    if (p->st) {
        rlb_stream_discard(p->st);
        free(p->st);
    }
    ev_timer_stop(ctx->loop, &p->timer);
    free(p);
    s->probe = NULL;
}

/* ------------------------------------------------------------------ */
/* Passive detection                                                  */

static ev_timer *
suspect_timer(struct rlb_ctx *ctx)
{
    return &ctx->health_check;
}

/* Requests in flight and no reply at all for health.timeout: probe now,
 * unless a probe is out, or went or was answered less than a timeout ago
 * (so a server whose answers wait on humans is probed once per timeout,
 * and stays up as long as it answers the probes). */
static void
suspect_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop), t;

    (void)revents;
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        struct rlb_server *s = ctx->servers.v[i];
        struct rlb_probe *p = s->probe;

        t = hconf(ctx, s)->timeout;
        if (!p || s->health != RLB_HEALTH_UP || s->outstanding == 0 || now - s->waiting_since < t ||
            p->waiting || now - p->sent_at < t || now - p->last_ok < t)
            continue;
        s->stats.suspicions++;
        rlb_debug("server %s: %u requests unanswered for %.1f s: probing it now", s->name,
                  s->outstanding, now - s->waiting_since);
        probe_send(ctx, p);
    }
}

void
rlb_health_server_added(struct rlb_ctx *ctx, struct rlb_server *s)
{
    if (active(ctx))
        probe_start(ctx, s);
}

void
rlb_health_server_removed(struct rlb_ctx *ctx, struct rlb_server *s)
{
    probe_stop(ctx, s);
}

int
rlb_health_start(struct rlb_ctx *ctx)
{
    if (!active(ctx))
        return 0;
    for (unsigned i = 0; i < ctx->servers.n; i++)
        probe_start(ctx, ctx->servers.v[i]);
    ev_timer_init(suspect_timer(ctx), suspect_check, SUSPECT_CHECK, SUSPECT_CHECK);
    suspect_timer(ctx)->data = ctx;
    ev_timer_start(ctx->loop, suspect_timer(ctx));
    rlb_info("health: %s probes every %g s (timeout %g s, down after %d failures, up after %d "
             "successes)", ctx->conf->health.probe == RLB_PROBE_STATUS_SERVER ? "Status-Server"
                                                                            : "Access-Request",
             ctx->conf->health.interval, ctx->conf->health.timeout, ctx->conf->health.fall,
             ctx->conf->health.rise);
    return 0;
}

void
rlb_health_stop(struct rlb_ctx *ctx)
{
    ev_timer_stop(ctx->loop, suspect_timer(ctx));
    for (unsigned i = 0; i < ctx->servers.n; i++)
        probe_stop(ctx, ctx->servers.v[i]);
    for (unsigned i = 0; i < ctx->servers.ngone; i++)
        probe_stop(ctx, ctx->servers.gone[i]);
}
