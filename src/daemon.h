/*
 * daemon.h: radlb's running parts started and stopped in one order: the
 * request flow (proxy.c, which starts what it drives), then the control
 * socket and the stats port, which read and steer it; stopped the other
 * way round.
 */
#ifndef RLB_DAEMON_H
#define RLB_DAEMON_H

#include "ctx.h"

/* -1 with the reason logged; rlb_daemon_stop() undoes what was started. */
int  rlb_daemon_start(struct rlb_ctx *ctx);
void rlb_daemon_stop(struct rlb_ctx *ctx);

#endif
