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
    rlb_log_flush();
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

/* "2026-12-07T03:03:06.826+01:00" (RFC 3339, local time and its offset).
 * The date and offset are worked out once a second (an auth line per
 * request must not pay localtime_r each time). */
static size_t
rfc3339(char *out, size_t len)
{
    static time_t last = (time_t)-1;
    static char date[24], zone[8];   /* "2026-12-07T03:03:06", "+01:00" */
    struct timespec ts;
    struct tm tm;
    int ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last) {
        char z[8];

        last = ts.tv_sec;
        localtime_r(&ts.tv_sec, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(z, sizeof(z), "%z", &tm);         /* +0100 */
        snprintf(zone, sizeof(zone), "%.3s:%.2s", z, z + 3);
    }
    ms = (int)(ts.tv_nsec / 1000000);
    if (len < 30)
        return 0;
    memcpy(out, date, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    memcpy(out + 23, zone, 6);
    out[29] = '\0';
    return 29;
}

/* Auth lines bound for stderr wait here until the loop is about to sleep
 * (rlb_log_flush) or the buffer is full: one write for many lines. Any
 * other line flushes them first, so lines keep their order. */
#define AUTH_LINE_MAX 2048         /* an auth line, cut there */
static char pending[65536];
static size_t pending_len;

void
rlb_log_flush(void)
{
    size_t off = 0;

    while (off < pending_len) {
        ssize_t n = write(STDERR_FILENO, pending + off, pending_len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;                 /* stderr is gone: nothing to keep them for */
        off += (size_t)n;
    }
    pending_len = 0;
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
 * "syslog") whatever log.destination says; batch (an auth line) may wait
 * in pending. */
static void
emit(rlb_log_level_t level, const char *msg, json_t *fields, const char *file, int line,
     int facility, bool batch)
{
    char when[64] = "", where[300] = "", out[4608];
    bool to_syslog = facility >= 0 || log_conf.dest == RLB_LOG_SYSLOG;
    bool journal = !to_syslog && to_journal();
    char *json = NULL;
    int n;

    if (!to_syslog && !journal)
        rfc3339(when, sizeof(when));
    if (log_conf.format == RLB_LOG_JSON)
        json = json_line(when[0] ? when : NULL, level, msg, file, line, fields);
    else if (log_conf.level >= RLB_LOG_DEBUG && file)
        snprintf(where, sizeof(where), " (%s:%d)", file, line);

    if (to_syslog) {
        syslog((facility >= 0 ? facility : 0) | syslog_prio[level], "%s%s", json ? json : msg,
               where);
        free(json);
        return;
    }
    if (json)
        n = snprintf(out, sizeof(out), "%s%s\n", journal ? journal_prefix[level] : "", json);
    else if (journal)
        n = snprintf(out, sizeof(out), "%sradlb %s: %s%s\n", journal_prefix[level],
                     level_names[level], msg, where);
    else
        n = snprintf(out, sizeof(out), "%s radlb %s: %s%s\n", when, level_names[level], msg,
                     where);
    free(json);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(out)) {                /* cut: still one line */
        n = (int)sizeof(out) - 1;
        out[n - 1] = '\n';
    }
    if (!batch || pending_len + (size_t)n > sizeof(pending))
        rlb_log_flush();
    if (batch) {
        memcpy(pending + pending_len, out, (size_t)n);
        pending_len += (size_t)n;
    } else {
        fputs(out, stderr);
    }
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
    emit(level, msg, NULL, file, line, -1, false);
    errno = saved;
}

bool
rlb_log_auth_enabled(void)
{
    return log_conf.auth == RLB_AUTHLOG_SYSLOG ||
           (log_conf.auth == RLB_AUTHLOG_LOG && log_conf.level >= RLB_LOG_INFO);
}

/* A line built by appending (the auth log's, once per request: no
 * printf on that path). Past its room it is cut, still one line. */
struct lbuf {
    char   *p;
    size_t  n, room;
};

static void
lb_put(struct lbuf *b, const char *s, size_t len)
{
    if (len > b->room - b->n)
        len = b->room - b->n;
    memcpy(b->p + b->n, s, len);
    b->n += len;
}

static void
lb_str(struct lbuf *b, const char *s)
{
    lb_put(b, s, strlen(s));
}

static void
lb_int(struct lbuf *b, long long v)
{
    char t[24];
    size_t i = sizeof(t);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do
        t[--i] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        t[--i] = '-';
    lb_put(b, t + i, sizeof(t) - i);
}

/* A TEXT value in double quotes, " and \ escaped, control characters as
 * \xHH (as one_line() writes them). */
static void
lb_quoted(struct lbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    lb_put(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

        if (c == '"' || c == '\\') {
            e[1] = (char)c;
            lb_put(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            lb_put(b, e, 4);
        } else {
            lb_put(b, (const char *)&c, 1);
        }
    }
    lb_put(b, "\"", 1);
}

static json_t *
auth_json(const struct rlb_log_field *f, size_t n)
{
    json_t *o = json_object();

    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, f[i].key,
                            f[i].kind == RLB_LF_INT    ? json_integer(f[i].n)
                            : f[i].kind == RLB_LF_TEXT ? json_stringn_nocheck(f[i].s, f[i].len)
                                                       : json_string(f[i].s));
    return o;
}

void
rlb_log_auth(const char *event, const struct rlb_log_field *f, size_t n)
{
    bool to_syslog = log_conf.auth == RLB_AUTHLOG_SYSLOG || log_conf.dest == RLB_LOG_SYSLOG;
    int facility = log_conf.auth == RLB_AUTHLOG_SYSLOG ? log_conf.auth_facility : -1;
    char line[AUTH_LINE_MAX];
    struct lbuf b = { line, 0, sizeof(line) - 1 };
    size_t body;
    int saved = errno;

    if (!rlb_log_auth_enabled())
        return;
    if (log_conf.format == RLB_LOG_JSON) {
        json_t *fields = auth_json(f, n);

        emit(RLB_LOG_INFO, event, fields, NULL, 0, facility, true);
        json_decref(fields);
        errno = saved;
        return;
    }
    if (!to_syslog) {
        /* Written in place at the end of pending, room for a whole line. */
        if (sizeof(pending) - pending_len < AUTH_LINE_MAX)
            rlb_log_flush();
        b.p = pending + pending_len;
        if (to_journal()) {
            lb_str(&b, "<6>radlb info: ");
        } else {
            b.n = rfc3339(b.p, b.room);
            lb_str(&b, " radlb info: ");
        }
    }
    body = b.n;
    lb_str(&b, event);
    lb_put(&b, ":", 1);
    for (size_t i = 0; i < n; i++) {
        lb_put(&b, " ", 1);
        lb_str(&b, f[i].key);
        lb_put(&b, "=", 1);
        if (f[i].kind == RLB_LF_INT)
            lb_int(&b, f[i].n);
        else if (f[i].kind == RLB_LF_TEXT)
            lb_quoted(&b, f[i].s, f[i].len);
        else
            lb_str(&b, f[i].s);
    }
    if (to_syslog) {
        line[b.n] = '\0';
        syslog((facility >= 0 ? facility : 0) | LOG_INFO, "%s", line + body);
    } else {
        b.p[b.n++] = '\n';
        pending_len += b.n;
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
