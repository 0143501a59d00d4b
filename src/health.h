/*
 * health.h: server states and every change of them. One transition
 * function updates the state, the reason, the counters and the log line
 * together, and applies the change's effects (open challenges of a server
 * that goes down are answered at once; its other pending requests move to
 * another server).
 *
 * A server goes down on transport failure: ICMP port unreachable on its
 * connected sockets (the MFA process is gone; nothing was processed). While
 * down it is probed every second with Status-Server (RFC 5997); it comes
 * back when a probe is answered with a valid signature, or when two probes
 * in a row are no longer refused (its port is open again: MFA servers that
 * do not answer Status-Server). A slow answer never marks a server down.
 */
#ifndef RLB_HEALTH_H
#define RLB_HEALTH_H

#include "server.h"

struct rlb_ctx;

#define RLB_PROBE_INTERVAL 1.0     /* seconds between probes of a down server */

/* kind: the port (enum rlb_kind) whose socket met ICMP port unreachable;
 * the probes go to that port. */
void rlb_health_port_unreachable(struct rlb_ctx *ctx, struct rlb_server *s, int kind);
void rlb_health_set_down(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason);
void rlb_health_set_up(struct rlb_ctx *ctx, struct rlb_server *s, const char *reason);
/* radlbctl drain/maintenance/enable; who: "uid 0" for the audit line. */
void rlb_server_set_admin(struct rlb_ctx *ctx, struct rlb_server *s, int admin, const char *who);
void rlb_health_stop(struct rlb_ctx *ctx);

#endif
