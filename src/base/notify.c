/*
 * notify.c: see notify.h. sd_notify() sends one datagram to
 * $NOTIFY_SOCKET; it returns 0 when there is none, which is the common
 * case outside systemd.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static ev_timer watchdog;          /* one per process, like the loop */

static void
send_state(const char *state)
{
    int r = sd_notify(0, state);

    if (r < 0)
        rlb_debug("sd_notify(%s): %s", state, strerror(-r));
}

void
rlb_notify_ready(const char *fmt, ...)
{
    char status[256], msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(status, sizeof(status), fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
    send_state(msg);
}

void
rlb_notify_reloading(void)
{
    struct timespec ts;
    char msg[80];

    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    send_state(msg);
}

void
rlb_notify_stopping(void)
{
    send_state("STOPPING=1\nSTATUS=stopping");
}

static void
watchdog_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    send_state("WATCHDOG=1");
}

double
rlb_notify_watchdog_start(struct ev_loop *loop)
{
    uint64_t usec = 0;
    double every;

    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    every = (double)usec / 2e6;
    ev_timer_init(&watchdog, watchdog_tick, every, every);
    ev_timer_start(loop, &watchdog);
    send_state("WATCHDOG=1");
    return every;
}

void
rlb_notify_watchdog_stop(struct ev_loop *loop)
{
    ev_timer_stop(loop, &watchdog);
}
