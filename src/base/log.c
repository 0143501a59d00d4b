/*
 * log.c: writes log lines to stderr (with an RFC 3339 timestamp, or the
 * journal's priority prefix) or to syslog, as text or JSON (log.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

static struct rlb_log_conf log_conf = { RLB_LOG_INFO, RLB_LOG_STDERR, LOG_DAEMON, RLB_LOG_TEXT };

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
/* sd-daemon(3)'s SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG */
static const char *const journal_prefix[] = { "<3>", "<4>", "<6>", "<7>" };

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

/* msg with every control character escaped, into out (one line). */
static void
one_line(const char *msg, char *out, size_t len)
{
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < len; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            out[o++] = (char)*p;
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
        } else {
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
        }
    }
    out[o] = '\0';
}

/* "2026-12-07T03:03:06.826+01:00" (RFC 3339, local time and its offset). */
static void
rfc3339(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char date[24], zone[8];

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);      /* +0100 */
    snprintf(out, len, "%s.%03d%.3s:%.2s", date, (int)(ts.tv_nsec / 1000000), zone, zone + 3);
}

/* stderr is the journal's stream: $JOURNAL_STREAM names its device and
 * inode (systemd.exec(5)). Decided once. */
static bool
to_journal(void)
{
    static int known = -1;

    if (known < 0) {
        const char *js = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        known = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
    }
    return known;
}

/* {"time":..., "level":..., "msg":..., "file":..., "line":...}: jansson
 * escapes the text (invalid UTF-8 from a peer included, as \uFFFD). */
static char *
json_line(const char *when, rlb_log_level_t level, const char *msg, const char *file, int line)
{
    json_t *o = json_object();
    char *text;

    if (when)
        json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "msg", json_stringn_nocheck(msg, strlen(msg)));
    if (log_conf.level >= RLB_LOG_DEBUG) {
        json_object_set_new(o, "file", json_string(file));
        json_object_set_new(o, "line", json_integer(line));
    }
    text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    return text;
}

void
rlb_log_vwrite(rlb_log_level_t level, const char *file, int line,
               const char *fmt, va_list ap)
{
    char raw[2048], msg[4096], when[64] = "", where[300] = "";
    int saved = errno;
    bool journal;
    char *json = NULL;

    if (level > log_conf.level)
        return;
    vsnprintf(raw, sizeof(raw), fmt, ap);
    one_line(raw, msg, sizeof(msg));
    journal = log_conf.dest == RLB_LOG_STDERR && to_journal();
    if (log_conf.dest == RLB_LOG_STDERR && !journal)
        rfc3339(when, sizeof(when));
    if (log_conf.format == RLB_LOG_JSON)
        json = json_line(when[0] ? when : NULL, level, msg, file, line);
    else if (log_conf.level >= RLB_LOG_DEBUG)
        snprintf(where, sizeof(where), " (%s:%d)", file, line);

    if (log_conf.dest == RLB_LOG_SYSLOG) {
        syslog(syslog_prio[level], "%s%s", json ? json : msg, where);
    } else if (json) {
        fprintf(stderr, "%s%s\n", journal ? journal_prefix[level] : "", json);
    } else if (journal) {
        fprintf(stderr, "%sradlb %s: %s%s\n", journal_prefix[level], level_names[level], msg,
                where);
    } else {
        fprintf(stderr, "%s radlb %s: %s%s\n", when, level_names[level], msg, where);
    }
    free(json);
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
