/*
 * confmsg.c: the messages of a configuration load (see confmsg.h), kept
 * in a growing buffer (strbuf.c) one line each.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confmsg.h"
#include "strbuf.h"

/* Appends one line of at most 1023 characters (longer ones are cut). */
static void
add_vline(struct rlb_conf_msgs *m, const char *fmt, va_list ap)
{
    struct rlb_strbuf sb = { m->text, m->len, m->cap };
    char line[1024];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    line[n] = '\n';
    rlb_sb_append(&sb, line, (size_t)n + 1);
    m->text = sb.p;
    m->len = sb.len;
    m->cap = sb.cap;
}

static void
add_line(struct rlb_conf_msgs *m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_vline(m, fmt, ap);
    va_end(ap);
}

static void
conf_vmsg(struct rlb_conf_msgs *m, bool error, const config_setting_t *where,
          const char *key, const char *fmt, va_list ap)
{
    char what[768];
    const char *file = where ? config_setting_source_file(where) : NULL;
    int line = where ? (int)config_setting_source_line(where) : 0;

    vsnprintf(what, sizeof(what), fmt, ap);
    if (error)
        m->errors++;
    else
        m->warnings++;
    if (line <= 0) {               /* a key missing at the top: no line to point at */
        add_line(m, "%s: %s%s%s%s%s", file ? file : m->file ? m->file : "?",
                    error ? "" : "warning: ", key ? "key \"" : "", key ? key : "",
                    key ? "\": " : "", what);
        return;
    }
    add_line(m, "%s:%d: %s%s%s%s%s", file ? file : "?", line,
                error ? "" : "warning: ",
                key ? "key \"" : "", key ? key : "", key ? "\": " : "", what);
}

void
conf_msg(struct rlb_conf_msgs *m, bool error, const config_setting_t *where,
         const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    conf_vmsg(m, error, where, key, fmt, ap);
    va_end(ap);
}

void
conf_msg_member(struct rlb_conf_msgs *m, bool error, const config_setting_t *group,
                const char *key, const char *fmt, ...)
{
    const config_setting_t *s = group ? config_setting_get_member(group, key) : NULL;
    va_list ap;

    va_start(ap, fmt);
    conf_vmsg(m, error, s ? s : group, key, fmt, ap);
    va_end(ap);
}

void
conf_msg_file(struct rlb_conf_msgs *m, const char *fmt, ...)
{
    va_list ap;

    m->errors++;
    va_start(ap, fmt);
    add_vline(m, fmt, ap);
    va_end(ap);
}

void
rlb_conf_msgs_free(struct rlb_conf_msgs *m)
{
    free(m->text);
    memset(m, 0, sizeof(*m));
}
