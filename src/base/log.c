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

static struct rlb_log_conf log_conf = { RLB_LOG_INFO, RLB_LOG_STDERR, LOG_DAEMON, RLB_LOG_TEXT,
                                        RLB_AUTHLOG_LOG, LOG_AUTHPRIV };
static bool syslog_open;

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
/* sd-daemon(3)'s SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG */
static const char *const journal_prefix[] = { "<3>", "<4>", "<6>", "<7>" };

void
rlb_log_setup(const struct rlb_log_conf *lc, const char *ident)
{
    if (syslog_open)
        closelog();
    log_conf = *lc;
    /* The auth lines name their facility on each call: the one opened
     * here serves radlb's own lines. */
    syslog_open = log_conf.dest == RLB_LOG_SYSLOG || log_conf.auth == RLB_AUTHLOG_SYSLOG;
    if (syslog_open)
        openlog(ident, LOG_PID | LOG_NDELAY,
                log_conf.dest == RLB_LOG_SYSLOG ? log_conf.facility : log_conf.auth_facility);
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

/* {"time":..., "level":..., "msg":..., "file":..., "line":...}, or for an
 * auth line ("fields" given) {"time":..., "level":..., "event":..., and
 * its fields}: jansson escapes the text (invalid UTF-8 from a peer
 * included, as \uFFFD). */
static char *
json_line(const char *when, rlb_log_level_t level, const char *msg, const char *file, int line,
          json_t *fields)
{
    json_t *o = json_object();
    char *text;

    if (when)
        json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "level", json_string(level_names[level]));
    if (fields) {
        json_object_set_new(o, "event", json_string(msg));
        json_object_update(o, fields);
    } else {
        json_object_set_new(o, "msg", json_stringn_nocheck(msg, strlen(msg)));
    }
    if (log_conf.level >= RLB_LOG_DEBUG && file) {
        json_object_set_new(o, "file", json_string(file));
        json_object_set_new(o, "line", json_integer(line));
    }
    text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    return text;
}

/* One line out: msg is already one line; fields, for an auth line in
 * JSON; facility >= 0 sends it to syslog at that facility (log.auth =
 * "syslog") whatever log.destination says. */
static void
emit(rlb_log_level_t level, const char *msg, json_t *fields, const char *file, int line,
     int facility)
{
    char when[64] = "", where[300] = "";
    bool to_syslog = facility >= 0 || log_conf.dest == RLB_LOG_SYSLOG;
    bool journal = !to_syslog && to_journal();
    char *json = NULL;

    if (!to_syslog && !journal)
        rfc3339(when, sizeof(when));
    if (log_conf.format == RLB_LOG_JSON)
        json = json_line(when[0] ? when : NULL, level, msg, file, line, fields);
    else if (log_conf.level >= RLB_LOG_DEBUG && file)
        snprintf(where, sizeof(where), " (%s:%d)", file, line);

    if (to_syslog) {
        syslog((facility >= 0 ? facility : 0) | syslog_prio[level], "%s%s", json ? json : msg,
               where);
    } else if (json) {
        fprintf(stderr, "%s%s\n", journal ? journal_prefix[level] : "", json);
    } else if (journal) {
        fprintf(stderr, "%sradlb %s: %s%s\n", journal_prefix[level], level_names[level], msg,
                where);
    } else {
        fprintf(stderr, "%s radlb %s: %s%s\n", when, level_names[level], msg, where);
    }
    free(json);
}

void
rlb_log_vwrite(rlb_log_level_t level, const char *file, int line,
               const char *fmt, va_list ap)
{
    char raw[2048], msg[4096];
    int saved = errno;

    if (level > log_conf.level)
        return;
    vsnprintf(raw, sizeof(raw), fmt, ap);
    one_line(raw, msg, sizeof(msg));
    emit(level, msg, NULL, file, line, -1);
    errno = saved;
}

bool
rlb_log_auth_enabled(void)
{
    return log_conf.auth == RLB_AUTHLOG_SYSLOG ||
           (log_conf.auth == RLB_AUTHLOG_LOG && log_conf.level >= RLB_LOG_INFO);
}

/* A TEXT value in double quotes, " and \ escaped, control characters as
 * one_line() writes them. */
static size_t
quoted(const char *s, size_t len, char *out, size_t room)
{
    size_t o = 0;

    out[o++] = '"';
    for (size_t i = 0; i < len && o + 6 < room; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, room - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

void
rlb_log_auth(const char *event, const struct rlb_log_field *f, size_t n)
{
    char msg[2048];
    size_t o;
    int saved = errno;
    json_t *fields = NULL;

    if (!rlb_log_auth_enabled())
        return;
    if (log_conf.format == RLB_LOG_JSON) {
        fields = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(fields, f[i].key,
                                f[i].kind == RLB_LF_INT  ? json_integer(f[i].n)
                                : f[i].kind == RLB_LF_TEXT ? json_stringn_nocheck(f[i].s, f[i].len)
                                                           : json_string(f[i].s));
        snprintf(msg, sizeof(msg), "%s", event);
    } else {
        o = (size_t)snprintf(msg, sizeof(msg), "%s:", event);
        for (size_t i = 0; i < n && o + 8 < sizeof(msg); i++) {
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, " %s=", f[i].key);
            if (o + 8 >= sizeof(msg))
                break;
            if (f[i].kind == RLB_LF_INT)
                o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%lld", f[i].n);
            else if (f[i].kind == RLB_LF_TEXT)
                o += quoted(f[i].s, f[i].len, msg + o, sizeof(msg) - o);
            else
                o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s", f[i].s);
        }
    }
    emit(RLB_LOG_INFO, msg, fields, NULL, 0,
         log_conf.auth == RLB_AUTHLOG_SYSLOG ? log_conf.auth_facility : -1);
    json_decref(fields);
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
