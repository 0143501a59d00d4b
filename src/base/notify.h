/*
 * notify.h: telling systemd (Type=notify) what radlb is doing, through
 * sd_notify(3): READY=1 once every listener is bound and the spool is
 * open, RELOADING=1 then READY=1 around a reload, STOPPING=1, and
 * WATCHDOG=1 from the event loop every half WatchdogSec (so a loop that
 * hangs is restarted by systemd). Without $NOTIFY_SOCKET (not started by
 * systemd) every call does nothing.
 */
#ifndef RLB_NOTIFY_H
#define RLB_NOTIFY_H

#include <ev.h>

/* READY=1 with a STATUS= line (printf format). */
void rlb_notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 (with MONOTONIC_USEC=, as systemd 253 wants it). */
void rlb_notify_reloading(void);
void rlb_notify_stopping(void);
/* Starts the watchdog timer on loop when systemd asked for one
 * ($WATCHDOG_USEC for this process); its interval in seconds, or 0. */
double rlb_notify_watchdog_start(struct ev_loop *loop);
void rlb_notify_watchdog_stop(struct ev_loop *loop);

#endif
