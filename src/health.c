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

/* The one place a server's state changes. */
static void
transition(struct rlb_ctx *ctx, struct rlb_server *s, int admin, int health, const char *reason)
{
    const char *before = rlb_server_state_name(s);
    int was_health = s->health;

    if (admin == s->admin && health == s->health)
        return;
    s->admin = admin;
    s->health = health;
    s->since = ev_now(ctx->loop);
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
    rlb_warn("server %s: %s -> %s (%s)", s->name, before, rlb_server_state_name(s), reason);

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
rlb_health_port_unreachable(struct rlb_ctx *ctx, struct rlb_server *s)
{
    if (s->probe)
        s->probe->refused = true;
    rlb_health_set_down(ctx, s, "port unreachable: nothing listens on the server's port");
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

static void
probe_send(struct rlb_ctx *ctx, struct rlb_probe *p)
{
    struct rlb_server *s = p->server;
    uint8_t pkt[RLB_HDR_LEN + RLB_MA_LEN];

    (void)ctx;
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
    struct rlb_ctx *ctx = p->io.data;

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
    const union rlb_sockaddr *to = &s->addr[RLB_KIND_AUTH];
    struct rlb_probe *p;
    int fd;

    if (s->probe)
        return;
    fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &to->sa, rlb_sockaddr_len(to)) < 0 || !(p = calloc(1, sizeof(*p)))) {
        rlb_err("server %s: cannot open a probe socket: %s", s->name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    p->server = s;
    rlb_random_bytes(&p->id, 1);
    ev_io_init(&p->io, probe_readable, fd, EV_READ);
    p->io.data = ctx;
    ev_io_start(ctx->loop, &p->io);
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
    ev_io_stop(ctx->loop, &p->io);
    ev_timer_stop(ctx->loop, &p->timer);
    close(p->io.fd);
    free(p);
    s->probe = NULL;
}

void
rlb_health_stop(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->servers.n; i++)
        probe_stop(ctx, ctx->servers.v[i]);
}
