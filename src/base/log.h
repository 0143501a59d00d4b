/*
 * log.h: radlb's logging. Levels, destinations (stderr or syslog), a
 * printf-checked macro per level carrying __FILE__/__LINE__, and a rate
 * limiter for lines that outside traffic can trigger.
 *
 * Per packet, only the auth log (log.auth, one line per finished exchange,
 * rlb_log_auth) writes at the default level; rlb_trace() compiles away
 * unless configure --enable-debug-log. Secrets are never passed here.
 *
 * Every message is one line: control characters (a newline in a peer's
 * text, say) are written as \n, \r, \t or \xHH. On stderr a line starts
 * with an RFC 3339 timestamp and its offset, or, when stderr is systemd's
 * journal ($JOURNAL_STREAM), with the sd-daemon(3) priority prefix <N>
 * instead (the journal keeps its own time and files the line at its level).
 */
#ifndef RLB_LOG_H
#define RLB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    RLB_LOG_ERR = 0,
    RLB_LOG_WARN,
    RLB_LOG_INFO,
    RLB_LOG_DEBUG,
} rlb_log_level_t;

typedef enum {
    RLB_LOG_STDERR = 0,
    RLB_LOG_SYSLOG,
} rlb_log_dest_t;

typedef enum {
    RLB_LOG_TEXT = 0,              /* "time radlb level: message" */
    RLB_LOG_JSON,                  /* one JSON object per line, for a SIEM */
} rlb_log_format_t;

/* Where the per-exchange lines of log.auth go. */
typedef enum {
    RLB_AUTHLOG_LOG = 0,           /* radlb's log, at info */
    RLB_AUTHLOG_OFF,
    RLB_AUTHLOG_SYSLOG,            /* syslog at auth_facility, whatever dest is */
} rlb_authlog_dest_t;

struct rlb_log_conf {
    rlb_log_level_t    level;
    rlb_log_dest_t     dest;
    int                facility;       /* syslog facility (LOG_DAEMON...) */
    rlb_log_format_t   format;
    rlb_authlog_dest_t auth;
    int                auth_facility;  /* syslog facility of the auth lines */
};

void rlb_log_setup(const struct rlb_log_conf *lc, const char *ident);
bool rlb_log_enabled(rlb_log_level_t level);
void rlb_log_write(rlb_log_level_t level, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rlb_log_vwrite(rlb_log_level_t level, const char *file, int line,
                    const char *fmt, va_list ap);

/*
 * One line per finished exchange (log.auth): "EVENT key=value ...", a TEXT
 * value in double quotes with " and \ escaped; in JSON, an object with
 * "event" and one member per field (INT as a number).
 */
enum rlb_log_field_kind { RLB_LF_WORD, RLB_LF_TEXT, RLB_LF_INT };

struct rlb_log_field {
    const char *key;
    int         kind;              /* enum rlb_log_field_kind */
    const char *s;                 /* WORD, TEXT */
    size_t      len;               /* TEXT: its length (it may hold NUL) */
    long long   n;                 /* INT */
};

bool rlb_log_auth_enabled(void);
/* To stderr, the line may wait until rlb_log_flush() (the event loop calls
 * it before it sleeps) or the next other line. */
void rlb_log_auth(const char *event, const struct rlb_log_field *f, size_t n);
void rlb_log_flush(void);

#define rlb_err(...)   rlb_log_write(RLB_LOG_ERR, __FILE__, __LINE__, __VA_ARGS__)
#define rlb_warn(...)  rlb_log_write(RLB_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define rlb_info(...)  rlb_log_write(RLB_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define rlb_debug(...)                                                        \
    do {                                                                      \
        if (rlb_log_enabled(RLB_LOG_DEBUG))                                   \
            rlb_log_write(RLB_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__);    \
    } while (0)

#ifdef RLB_TRACE_LOG
#define rlb_trace(...) rlb_debug(__VA_ARGS__)
#else
#define rlb_trace(...) do { } while (0)
#endif

/*
 * Rate limiter for log lines caused by outside input (unknown clients,
 * bad authenticators): at most one line per interval; the next line that
 * passes says how many were suppressed.
 */
#define RLB_LOG_INTERVAL 10.0      /* default: one line per 10 s and reason */

struct rlb_ratelimit {
    double   interval;             /* seconds between two lines (0: the default) */
    double   last;                 /* when the last line was let through */
    unsigned suppressed;           /* lines held back since then */
};

/* Returns true when a line may be written now; *suppressed receives the
 * number of lines held back since the previous one. */
bool rlb_ratelimit_ok(struct rlb_ratelimit *rl, double now, unsigned *suppressed);
/* " (N similar lines suppressed)" in buf, or "" when n is 0: the tail of a
 * rate-limited line. */
const char *rlb_held_note(unsigned n, char *buf, size_t len);

#endif
