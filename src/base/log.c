/*
 * log.c: writes log lines to stderr (with a timestamp) or to syslog.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <errno.h>

#include "log.h"

static struct rlb_log_conf log_conf = { RLB_LOG_INFO, RLB_LOG_STDERR, LOG_DAEMON };

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
rlb_log_setup(const struct rlb_log_conf *lc, const char *ident)
{
    if (log_conf.dest == RLB_LOG_SYSLOG)
        closelog();
    log_conf = *lc;
    if (log_conf.dest == RLB_LOG_SYSLOG)
        openlog(ident, LOG_PID | LOG_NDELAY, log_conf.facility);
}

bool
rlb_log_enabled(rlb_log_level_t level)
{
    return level <= log_conf.level;
}

void
rlb_log_vwrite(rlb_log_level_t level, const char *file, int line,
               const char *fmt, va_list ap)
{
    char msg[2048];
    int saved = errno;

    if (level > log_conf.level)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);

    if (log_conf.dest == RLB_LOG_SYSLOG) {
        if (log_conf.level >= RLB_LOG_DEBUG)
            syslog(syslog_prio[level], "%s (%s:%d)", msg, file, line);
        else
            syslog(syslog_prio[level], "%s", msg);
    } else {
        struct timespec ts;
        struct tm tm;
        char when[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        if (log_conf.level >= RLB_LOG_DEBUG)
            fprintf(stderr, "%s.%03ld radlb %s: %s (%s:%d)\n", when,
                    ts.tv_nsec / 1000000, level_names[level], msg, file, line);
        else
            fprintf(stderr, "%s.%03ld radlb %s: %s\n", when,
                    ts.tv_nsec / 1000000, level_names[level], msg);
    }
    errno = saved;
}

void
rlb_log_write(rlb_log_level_t level, const char *file, int line,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rlb_log_vwrite(level, file, line, fmt, ap);
    va_end(ap);
}

bool
rlb_ratelimit_ok(struct rlb_ratelimit *rl, double now, unsigned *suppressed)
{
    if (rl->last != 0 && now - rl->last < (rl->interval > 0 ? rl->interval : RLB_LOG_INTERVAL)) {
        rl->suppressed++;
        return false;
    }
    *suppressed = rl->suppressed;
    rl->suppressed = 0;
    rl->last = now;
    return true;
}

const char *
rlb_held_note(unsigned n, char *buf, size_t len)
{
    if (!n)
        return "";
    snprintf(buf, len, " (%u similar lines suppressed)", n);
    return buf;
}
