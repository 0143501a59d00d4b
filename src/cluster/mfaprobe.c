/*
 * mfaprobe.c: the synthetic MFA login through each server (see
 * mfaprobe.h). Each server has its own connected UDP socket and one timer:
 * the next login, or while one is out the deadline of the whole login
 * (mfa_probe.timeout). The password and the TOTP secret are never logged.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctx.h"
#include "mfaprobe.h"
#include "pkt.h"
#include "totp.h"

#define PROBE_NAS_ID "radlb-mfa-probe"
#define FIRST_SPREAD 10.0          /* the first logins spread over at most this */
#define LOG_SPACING  5.0           /* seconds between two lines of a server's flag: below
                                    * the shortest interval, so each change is logged */

static const struct rlb_conf_mfaprobe *
mconf(const struct rlb_ctx *ctx)
{
    return &ctx->conf->mfa_probe;
}

static void
arm(struct rlb_ctx *ctx, struct rlb_mfaprobe *m, double after)
{
    ev_timer_stop(ctx->loop, &m->timer);
    ev_timer_set(&m->timer, after > 0 ? after : 0, 0);
    ev_timer_start(ctx->loop, &m->timer);
}

/* The leg's Access-Request (pkt.c): State on the second leg. */
static size_t
build(struct rlb_mfaprobe *m, const char *password, uint8_t *pkt)
{
    return rlb_pkt_build_login(m->id, m->auth, &m->server->secret, mconf(m->ctx)->user, password,
                               m->leg == 2 ? m->state : NULL, m->leg == 2 ? m->statelen : 0,
                               PROBE_NAS_ID, pkt);
}

/* Sends the leg m->leg; false when it could not go. */
static bool
send_leg(struct rlb_mfaprobe *m)
{
    const struct rlb_conf_mfaprobe *c = mconf(m->ctx);
    uint8_t pkt[RLB_PKT_MAX];
    char code[8];
    size_t len;
    bool sent;

    m->id++;
    rlb_random_bytes(m->auth, sizeof(m->auth));
    if (m->leg == 1) {
        len = build(m, c->password ? c->password : "", pkt);
    } else {
        rlb_totp(c->key, c->keylen, ev_now(m->ctx->loop), 6, code);
        len = build(m, code, pkt);
        OPENSSL_cleanse(code, sizeof(code));
    }
    sent = send(m->io.fd, pkt, len, MSG_DONTWAIT) >= 0;
    OPENSSL_cleanse(pkt, len);
    return sent;
}

/* The end of a login: its result counted, the flag changed and logged
 * when it changes, the next login armed. */
static void
finish(struct rlb_ctx *ctx, struct rlb_mfaprobe *m, bool ok, const char *how)
{
    struct rlb_server *s = m->server;
    double now = ev_now(ctx->loop);
    bool failing = !ok && s->health == RLB_HEALTH_UP;
    unsigned held;
    char note[64];

    m->leg = 0;
    m->seconds = now - m->started;
    m->result = ok ? RLB_MFA_OK : RLB_MFA_FAILED;
    m->runs++;
    m->failures += !ok;
    m->last_at = now;
    snprintf(m->last, sizeof(m->last), "%s", how);
    m->failing = failing;
    /* Each change is logged; one held back by the limiter is logged at a
     * later login if the flag still differs from the last line's. */
    if (failing != m->logged && rlb_ratelimit_ok(&m->rl, now, &held)) {
        m->logged = failing;
        if (failing)
            rlb_warn("server %s: MFA path failing: the probe login as the MFA test user %s, "
                     "though the server is up by its health probes; it stays in rotation%s",
                     s->name, how, rlb_held_note(held, note, sizeof(note)));
        else
            rlb_warn("server %s: MFA path working again: the probe login %s (%.3f s)%s",
                     s->name, ok ? "passed" : "failed while the server is down",
                     m->seconds, rlb_held_note(held, note, sizeof(note)));
    }
    if (ok)
        rlb_debug("server %s: MFA probe login passed in %.3f s", s->name, m->seconds);
    else
        rlb_info("server %s: MFA probe login failed: %s (%.3f s)", s->name, how, m->seconds);
    arm(ctx, m, m->started + mconf(ctx)->interval - now);
}

/* A verified reply to the leg out. */
static void
answer(struct rlb_ctx *ctx, struct rlb_mfaprobe *m, const uint8_t *buf,
       const struct rlb_pkt_info *info)
{
    uint8_t code = buf[0];

    if (m->leg == 1) {
        if (code == RLB_ACCESS_CHALLENGE && info->state_off) {
            m->statelen = (uint8_t)(buf[info->state_off + 1] - 2);
            memcpy(m->state, buf + info->state_off + 2, m->statelen);
            m->leg = 2;
            if (!send_leg(m))
                finish(ctx, m, false, "could not send the second leg");
            return;
        }
        finish(ctx, m, false, code == RLB_ACCESS_REJECT ? "was rejected at the first leg"
                              : code == RLB_ACCESS_ACCEPT ? "was accepted without a challenge"
                              : "got no challenge State at the first leg");
        return;
    }
    if (code == RLB_ACCESS_ACCEPT)
        finish(ctx, m, true, "passed");
    else
        finish(ctx, m, false, code == RLB_ACCESS_REJECT
                                  ? "was rejected at the second leg (the TOTP code)"
                                  : "was challenged again at the second leg");
}

static void
readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_mfaprobe *m = (struct rlb_mfaprobe *)w;
    struct rlb_ctx *ctx = m->ctx;
    uint8_t buf[RLB_PKT_MAX + 1];
    struct rlb_pkt_info info;
    ssize_t n;

    (void)loop;
    (void)revents;
    while ((n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
        size_t len = (size_t)n;

        if (n < 0) {
            if (errno == ECONNREFUSED && m->leg)
                finish(ctx, m, false, "was refused (ICMP port unreachable)");
            if (errno == ECONNREFUSED)
                continue;
            return;
        }
        if (len > RLB_PKT_MAX || !m->leg ||
            rlb_pkt_parse(buf, &len, false, &info) != RLB_DROP_NONE || info.id != m->id ||
            !rlb_pkt_reply_ok(buf, &info, m->auth, &m->server->secret) ||
            (info.ma_off && !rlb_pkt_ma_ok(buf, &info, m->auth, &m->server->secret)))
            continue;
        answer(ctx, m, buf, &info);
    }
}

static bool
open_socket(struct rlb_ctx *ctx, struct rlb_mfaprobe *m)
{
    struct rlb_server *s = m->server;
    const union rlb_sockaddr *to = &s->addr[RLB_KIND_AUTH];
    int fd;

    fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &to->sa, rlb_sockaddr_len(to)) < 0) {
        if (!m->open_failed)
            rlb_err("server %s: cannot open the MFA probe's socket (%s); trying again at "
                    "every login", s->name, strerror(errno));
        m->open_failed = true;
        if (fd >= 0)
            close(fd);
        return false;
    }
    ev_io_init(&m->io, readable, fd, EV_READ);
    ev_io_start(ctx->loop, &m->io);
    return true;
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_mfaprobe *m = w->data;
    struct rlb_ctx *ctx = m->ctx;
    char how[96];

    (void)loop;
    (void)revents;
    if (m->leg) {
        snprintf(how, sizeof(how), "got no answer within %g s at the %s leg",
                 mconf(ctx)->timeout, m->leg == 1 ? "first" : "second");
        finish(ctx, m, false, how);
        return;
    }
    m->started = ev_now(ctx->loop);
    if (!ev_is_active(&m->io) && !open_socket(ctx, m)) {
        arm(ctx, m, mconf(ctx)->interval);
        return;
    }
    m->leg = 1;
    arm(ctx, m, mconf(ctx)->timeout);
    if (!send_leg(m))
        finish(ctx, m, false, "could not send the first leg");
}

void
rlb_mfaprobe_server_added(struct rlb_ctx *ctx, struct rlb_server *s)
{
    struct rlb_mfaprobe *m;
    uint8_t r;

    if (s->mfa || !mconf(ctx)->user[0])
        return;
    if (!(m = calloc(1, sizeof(*m)))) {
        rlb_err("server %s: out of memory for its MFA probe", s->name);
        return;
    }
    m->server = s;
    m->ctx = ctx;
    m->result = RLB_MFA_UNKNOWN;
    m->rl.interval = LOG_SPACING;
    s->mfa = m;
    if (s->proto != RLB_PROTO_UDP) {
        snprintf(m->last, sizeof(m->last), "not probed (the MFA probe takes UDP servers only)");
        return;
    }
    snprintf(m->last, sizeof(m->last), "not probed yet");
    rlb_random_bytes(&m->id, 1);
    ev_timer_init(&m->timer, timer_cb, 0, 0);
    m->timer.data = m;
    rlb_random_bytes(&r, 1);
    arm(ctx, m, (mconf(ctx)->interval < FIRST_SPREAD ? mconf(ctx)->interval : FIRST_SPREAD) *
                    r / 256.0);
}

void
rlb_mfaprobe_server_removed(struct rlb_ctx *ctx, struct rlb_server *s)
{
    struct rlb_mfaprobe *m = s->mfa;

    if (!m)
        return;
    if (ev_is_active(&m->io)) {
        ev_io_stop(ctx->loop, &m->io);
        close(m->io.fd);
    }
    ev_timer_stop(ctx->loop, &m->timer);
    free(m);
    s->mfa = NULL;
}

bool
rlb_mfaprobe_failing(const struct rlb_server *s)
{
    return s->mfa && s->mfa->failing && s->health == RLB_HEALTH_UP;
}

int
rlb_mfaprobe_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf_mfaprobe *c = mconf(ctx);

    if (!c->user[0])
        return 0;
    for (unsigned i = 0; i < ctx->servers.n; i++)
        rlb_mfaprobe_server_added(ctx, ctx->servers.v[i]);
    rlb_info("mfa_probe: a login as %s through each server every %g s (timeout %g s)",
             c->user, c->interval, c->timeout);
    return 0;
}

void
rlb_mfaprobe_stop(struct rlb_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->servers.n; i++)
        rlb_mfaprobe_server_removed(ctx, ctx->servers.v[i]);
    for (unsigned i = 0; i < ctx->servers.ngone; i++)
        rlb_mfaprobe_server_removed(ctx, ctx->servers.gone[i]);
}
