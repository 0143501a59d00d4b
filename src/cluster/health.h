/*
 * health.h: server states and every change of them. One transition
 * function updates the state, the reason, the counters and the log line
 * together, and applies the change's effects (open challenges of a server
 * that goes down are answered at once; its other pending requests move to
 * another server).
 *
 * Active probes (health.probe = "status-server", the default, or
 * "access-request"): every server is probed every health.interval; a probe
 * not answered with a valid signature within health.timeout, or refused
 * (ICMP port unreachable), is a failure. health.fall failures in a row
 * mark the server down, health.rise successes in a row bring it back.
 * After a failure the next probe goes at once (confirmation), so a dead
 * server is down within interval + fall x timeout. An access-request
 * probe counts any validly signed reply (Accept, Reject, Challenge) as
 * alive: the probe user need not exist, and must not be a real user with
 * a second factor.
 *
 * Slow is not down: a probe that gets no answer within health.timeout
 * while the server answered some of its requests meanwhile waited in the
 * server's queue behind them (an MFA server's thread pool full of pushes
 * that wait on humans, a retransmission storm). It is counted
 * (probes_late) and logged, neither a failure nor a success: the server
 * proved it is alive, not that it is quick. Only a server that answers
 * neither the probes nor its requests is marked down by the probes.
 *
 * Passive detection: a server with requests in flight that has answered
 * nothing for health.timeout is suspected and probed at once, and then
 * once per timeout while that lasts (instead of once per interval). A slow
 * answer alone never marks a server down: MFA servers wait on humans; only
 * probes and transport errors decide.
 *
 * Transport: ICMP port unreachable on live traffic marks a server down at
 * once (the MFA process is gone; nothing was processed). When that came
 * from the accounting port, the probes go there as Status-Server and a
 * port that is no longer refused counts as alive.
 *
 * health.probe = "none": no probes while up; a down server is probed every
 * second and comes back when it answers Status-Server or when two probes in
 * a row are no longer refused.
 */
#ifndef RLB_HEALTH_H
#define RLB_HEALTH_H

#include "server.h"

struct rlb_ctx;

#define RLB_PROBE_INTERVAL 1.0     /* seconds between probes of a down server (probe "none") */

/* Opens the probes (active kinds) and the suspicion check. */
int  rlb_health_start(struct rlb_ctx *ctx);
void rlb_health_stop(struct rlb_ctx *ctx);

/* kind: the port (enum rlb_kind) whose socket met ICMP port unreachable. */
void rlb_health_port_unreachable(struct rlb_ctx *ctx, struct rlb_server *s, int kind);
/* Reload: a server joined (probed from now on) or left (no more probes). */
void rlb_health_server_added(struct rlb_ctx *ctx, struct rlb_server *s);
void rlb_health_server_removed(struct rlb_ctx *ctx, struct rlb_server *s);
/* A connection toward s (TCP/TLS) failed before opening: down at once. */
void rlb_health_link_failed(struct rlb_ctx *ctx, struct rlb_server *s, int kind,
                            const char *reason);
void rlb_health_set_down(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason);
void rlb_health_set_up(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason);
/* radlbctl drain/maintenance/enable; who: "uid 0" for the audit line. */
void rlb_health_set_admin(struct rlb_ctx *ctx, struct rlb_server *s, int admin, const char *who);

/* Live traffic: a request went to s, a reply came from s (passive detection). */
static inline void
rlb_health_sent(struct rlb_server *s, double now)
{
    if (s->outstanding == 0)
        s->waiting_since = now;
}

static inline void
rlb_health_replied(struct rlb_server *s, double now)
{
    s->last_reply = now;
    s->waiting_since = now;
    s->replied++;
}

#endif
