/*
 * health.c: server states, their transitions and the probes of down
 * servers (see health.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "health.h"
#include "pkt.h"
#include "proxy.h"

static const char *const admin_names[] = { "enabled", "draining", "maintenance" };

static void probe_start(struct rlb_ctx *ctx, struct rlb_server *s);
static void probe_stop(struct rlb_ctx *ctx, struct rlb_server *s);
static void probe_readable(struct ev_loop *loop, ev_io *w, int revents);

/* The one place a server's state changes. */
static void
transition(struct rlb_ctx *ctx, struct rlb_server *s, int admin, int health, const char *reason)
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
        probe_start(ctx, s);
        rlb_proxy_server_down(ctx, s);
    } else if (health == RLB_HEALTH_UP && was_health == RLB_HEALTH_DOWN) {
        probe_stop(ctx, s);
    }
}

void
rlb_health_set_down(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason)
{
    transition(ctx, s, s->admin, RLB_HEALTH_DOWN, reason);
}

void
rlb_health_set_up(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason)
{
    transition(ctx, s, s->admin, RLB_HEALTH_UP, reason);
}

void
rlb_health_port_unreachable(struct rlb_ctx *ctx, struct rlb_server *s, int kind)
{
    if (s->probe) {
        s->probe->refused = true;
        return;
    }
    s->down_kind = (uint8_t)kind;
    rlb_health_set_down(ctx, s, kind == RLB_KIND_AUTH
                                    ? "port unreachable: nothing listens on its auth port"
                                    : "port unreachable: nothing listens on its acct port");
}

void
rlb_server_set_admin(struct rlb_ctx *ctx, struct rlb_server *s, int admin, const char *who)
{
    char reason[96];

    snprintf(reason, sizeof(reason), "%s by %s", admin_names[admin], who);
    transition(ctx, s, admin, s->health, reason);
}

/* ------------------------------------------------------------------ */
/* Probes of down servers                                             */

/* Opens the probe socket toward the port that failed; false (logged once)
 * when it cannot: the next tick tries again. */
static bool
probe_open(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    const union rlb_sockaddr *to = &s->addr[s->down_kind];
    int fd;

    fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &to->sa, rlb_sockaddr_len(to)) < 0) {
        if (!p->open_failed)
            rlb_err("server %s: cannot open a probe socket (%s); trying again every %g s",
                    s->name, strerror(errno), RLB_PROBE_INTERVAL);
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

static void
probe_send(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    uint8_t pkt[RLB_HDR_LEN + RLB_MA_LEN];

    if (!ev_is_active(&p->io) && !probe_open(ctx, p))
        return;
    pkt[0] = RLB_STATUS_SERVER;
    pkt[1] = ++p->id;
    rlb_random_bytes(p->auth, sizeof(p->auth));
    memcpy(pkt + 4, p->auth, sizeof(p->auth));
    rlb_pkt_sign(pkt, sizeof(pkt), RLB_HDR_LEN, NULL, &s->secret);
    p->waiting = true;
    p->refused = false;
    s->stats.probes++;
    if (send(p->io.fd, pkt, sizeof(pkt), MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
        p->refused = true;
}

static void
probe_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_probe *p = (struct rlb_probe *)w;
    struct rlb_ctx *ctx = w->data;
    uint8_t buf[RLB_PKT_MAX + 1];
    struct rlb_pkt_info info;
    ssize_t n;

    (void)loop;
    (void)revents;
    while ((n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
        size_t len = (size_t)n;

        if (n < 0) {
            if (errno == ECONNREFUSED) {
                p->refused = true;
                continue;
            }
            return;
        }
        if (rlb_pkt_parse(buf, &len, false, &info) != RLB_DROP_NONE || info.id != p->id ||
            !p->waiting || !rlb_pkt_reply_ok(buf, &info, p->auth, &p->server->secret) ||
            (info.ma_off && !rlb_pkt_ma_ok(buf, &info, p->auth, &p->server->secret)))
            continue;
        p->waiting = false;
        rlb_health_set_up(ctx, p->server, "answers Status-Server again");
        return;                    /* the probe is gone */
    }
}

static void
probe_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_probe *p = w->data;
    struct rlb_ctx *ctx = p->ctx;

    (void)loop;
    (void)revents;
    if (p->waiting) {
        p->quiet = p->refused ? 0 : p->quiet + 1;
        if (p->quiet >= 2) {
            rlb_health_set_up(ctx, p->server, "its port is reachable again");
            return;
        }
    }
    probe_send(ctx, p);
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
    rlb_random_bytes(&p->id, 1);
    ev_timer_init(&p->timer, probe_tick, RLB_PROBE_INTERVAL, RLB_PROBE_INTERVAL);
    p->timer.data = p;
    ev_timer_start(ctx->loop, &p->timer);
    s->probe = p;
    probe_send(ctx, p);
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
    ev_timer_stop(ctx->loop, &p->timer);
    free(p);
    s->probe = NULL;
}

void
rlb_health_stop(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->servers.n; i++)
        probe_stop(ctx, ctx->servers.v[i]);
}
