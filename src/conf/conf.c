/*
 * conf.c: the configuration schema (one table per section) and the parse
 * pass: types, unknown keys, defaults, required keys, bounds and choices.
 * Meaning and cross-references are checked by confcheck.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include <openssl/crypto.h>

#define NOB 1, 0                   /* no bounds */
#define OFF(type, field) offsetof(type, field)

static const char *const listen_types[] = { "auth", "acct", "any", NULL };
static const char *const protos[] = { "udp", "tcp", "tls", NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };
static const char *const balances[] = { "least-outstanding", "round-robin", "weighted", NULL };
static const char *const roles[] = { "subordinate", "master", NULL };
static const char *const timeout_actions[] = { "reject", "drop", NULL };
static const char *const stores[] = { "memory", "redis", NULL };
static const char *const probe_kinds[] = { "status-server", "access-request", "none", NULL };
static const char *const write_classes[] = { "write", "read", NULL };
static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const log_dests[] = { "stderr", "syslog", NULL };

static const struct conf_item listen_items[] = {
    { "type", CT_ENUM, OFF(struct rlb_conf_listen, type), "any", CF_NO_RELOAD, NOB, listen_types, NULL, 0 },
    { "proto", CT_ENUM, OFF(struct rlb_conf_listen, proto), "udp", CF_NO_RELOAD, NOB, protos, NULL, 0 },
    { "address", CT_STRING, OFF(struct rlb_conf_listen, address), NULL, CF_REQUIRED | CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_listen, port), NULL, CF_REQUIRED | CF_NO_RELOAD, 1, 65535, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item client_items[] = {
    { "name", CT_STRING, OFF(struct rlb_conf_client, name), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "network", CT_STRING, OFF(struct rlb_conf_client, network), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "secret", CT_STRING, OFF(struct rlb_conf_client, secret), NULL, CF_REQUIRED | CF_SECRET, NOB, NULL, NULL, 0 },
    { "require_message_authenticator", CT_BOOL, OFF(struct rlb_conf_client, require_ma), "false", 0, NOB, NULL, NULL, 0 },
    { "limit_proxy_state", CT_BOOL, OFF(struct rlb_conf_client, limit_proxy_state), "true", 0, NOB, NULL, NULL, 0 },
    { "fingerprint", CT_STRING, OFF(struct rlb_conf_client, fingerprint), "", 0, NOB, NULL, NULL, 0 },
    { "max_outstanding", CT_INT, OFF(struct rlb_conf_client, max_outstanding), "8192", 0, 1, 1000000, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item server_items[] = {
    { "name", CT_STRING, OFF(struct rlb_conf_server, name), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "address", CT_STRING, OFF(struct rlb_conf_server, address), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "auth_port", CT_INT, OFF(struct rlb_conf_server, auth_port), "1812", 0, 1, 65535, NULL, NULL, 0 },
    { "acct_port", CT_INT, OFF(struct rlb_conf_server, acct_port), "1813", 0, 1, 65535, NULL, NULL, 0 },
    { "secret", CT_STRING, OFF(struct rlb_conf_server, secret), NULL, CF_REQUIRED | CF_SECRET, NOB, NULL, NULL, 0 },
    { "role", CT_ENUM, OFF(struct rlb_conf_server, role), "subordinate", 0, NOB, roles, NULL, 0 },
    { "weight", CT_INT, OFF(struct rlb_conf_server, weight), "1", 0, 1, 1000, NULL, NULL, 0 },
    { "require_message_authenticator", CT_BOOL, OFF(struct rlb_conf_server, require_ma), "false", 0, NOB, NULL, NULL, 0 },
    { "proto", CT_ENUM, OFF(struct rlb_conf_server, proto), "udp", 0, NOB, protos, NULL, 0 },
    { "fingerprint", CT_STRING, OFF(struct rlb_conf_server, fingerprint), "", 0, NOB, NULL, NULL, 0 },
    { "tls_name", CT_STRING, OFF(struct rlb_conf_server, tls_name), "", 0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item proxy_items[] = {
    { "balance", CT_ENUM, OFF(struct rlb_conf_proxy, balance), "least-outstanding", 0, NOB, balances, NULL, 0 },
    { "response_timeout", CT_FLOAT, OFF(struct rlb_conf_proxy, response_timeout), "60.0", 0, 1, 600, NULL, NULL, 0 },
    { "dedup_window", CT_FLOAT, OFF(struct rlb_conf_proxy, dedup_window), "30.0", 0, 1, 300, NULL, NULL, 0 },
    { "timeout_action", CT_ENUM, OFF(struct rlb_conf_proxy, timeout_action), "reject", 0, NOB, timeout_actions, NULL, 0 },
    { "timeout_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, timeout_message),
      "The authentication service did not answer in time. Please sign in again.", 0, NOB, NULL, NULL, 0 },
    { "unavailable_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, unavailable_message),
      "No authentication server is available. Please try again later.", 0, NOB, NULL, NULL, 0 },
    { "no_master_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, no_master_message),
      "This change cannot be made now: the master MFA server is unavailable. Please try again later.",
      0, NOB, NULL, NULL, 0 },
    { "max_attributes", CT_INT, OFF(struct rlb_conf_proxy, max_attributes), "200", 0, 10, 1000, NULL, NULL, 0 },
    { "max_sockets", CT_INT, OFF(struct rlb_conf_proxy, max_sockets), "1024", 0, 1, 4096, NULL, NULL, 0 },
    { "recv_buffer", CT_INT, OFF(struct rlb_conf_proxy, recv_buffer), "8388608", CF_NO_RELOAD, 65536, 268435456, NULL, NULL, 0 },
    { "max_cached_replies", CT_INT, OFF(struct rlb_conf_proxy, max_cached_replies), "1000000", 0, 1000, 100000000, NULL, NULL, 0 },
    { "retransmit_interval", CT_FLOAT, OFF(struct rlb_conf_proxy, retransmit_interval), "3.0", 0, 0.5, 60, NULL, NULL, 0 },
    { "retransmit_damping", CT_FLOAT, OFF(struct rlb_conf_proxy, retransmit_damping), "1.5", 0, 0, 60, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item sticky_items[] = {
    { "ttl", CT_FLOAT, OFF(struct rlb_conf_sticky, ttl), "300", 0, 10, 86400, NULL, NULL, 0 },
    { "store", CT_ENUM, OFF(struct rlb_conf_sticky, store), "memory", CF_NO_RELOAD, NOB, stores, NULL, 0 },
    { "affinity_attributes", CT_STRLIST, OFF(struct rlb_conf_sticky, affinity_attributes), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_sticky, naffinity) },
    { "affinity_ttl", CT_FLOAT, OFF(struct rlb_conf_sticky, affinity_ttl), "120", 0, 10, 86400, NULL, NULL, 0 },
    { "max_entries", CT_INT, OFF(struct rlb_conf_sticky, max_entries), "1000000", 0, 0, 100000000, NULL, NULL, 0 },
    { "reject_message", CT_STRING, OFF(struct rlb_conf_sticky, reject_message),
      "Your sign-in could not be completed: the server handling it is unavailable. Please sign in again.",
      0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item redis_items[] = {
    { "address", CT_STRING, OFF(struct rlb_conf_redis, address), "127.0.0.1", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_redis, port), "6379", CF_NO_RELOAD, 1, 65535, NULL, NULL, 0 },
    { "prefix", CT_STRING, OFF(struct rlb_conf_redis, prefix), "radlb:", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_redis, timeout), "0.2", CF_NO_RELOAD, 0.01, 10, NULL, NULL, 0 },
    { "password", CT_STRING, OFF(struct rlb_conf_redis, password), "", CF_SECRET | CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "database", CT_INT, OFF(struct rlb_conf_redis, database), "0", CF_NO_RELOAD, 0, 100000, NULL, NULL, 0 },
    { "sentinels", CT_STRLIST, OFF(struct rlb_conf_redis, sentinels), NULL, CF_NO_RELOAD, NOB, NULL, NULL,
      OFF(struct rlb_conf_redis, nsentinels) },
    { "master_name", CT_STRING, OFF(struct rlb_conf_redis, master_name), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item health_items[] = {
    { "probe", CT_ENUM, OFF(struct rlb_conf_health, probe), "status-server", CF_NO_RELOAD, NOB, probe_kinds, NULL, 0 },
    { "interval", CT_FLOAT, OFF(struct rlb_conf_health, interval), "2.0", 0, 0.1, 3600, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_health, timeout), "1.0", 0, 0.05, 60, NULL, NULL, 0 },
    { "rise", CT_INT, OFF(struct rlb_conf_health, rise), "2", 0, 1, 100, NULL, NULL, 0 },
    { "fall", CT_INT, OFF(struct rlb_conf_health, fall), "3", 0, 1, 100, NULL, NULL, 0 },
    { "probe_user", CT_STRING, OFF(struct rlb_conf_health, probe_user), "radlb-probe", 0, NOB, NULL, NULL, 0 },
    { "probe_password", CT_STRING, OFF(struct rlb_conf_health, probe_password), "", CF_SECRET, NOB, NULL, NULL, 0 },
    { "master_serves_reads", CT_BOOL, OFF(struct rlb_conf_health, master_serves_reads), "true", 0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item write_items[] = {
    { "code", CT_STRING, OFF(struct rlb_conf_write, code), "", 0, NOB, NULL, NULL, 0 },
    { "attribute", CT_STRING, OFF(struct rlb_conf_write, attribute), "", 0, NOB, NULL, NULL, 0 },
    { "equals", CT_STRING, OFF(struct rlb_conf_write, equals), "", 0, NOB, NULL, NULL, 0 },
    { "regex", CT_STRING, OFF(struct rlb_conf_write, regex), "", 0, NOB, NULL, NULL, 0 },
    { "exists", CT_BOOL, OFF(struct rlb_conf_write, exists), "false", 0, NOB, NULL, NULL, 0 },
    { "missing", CT_BOOL, OFF(struct rlb_conf_write, missing), "false", 0, NOB, NULL, NULL, 0 },
    { "class", CT_ENUM, OFF(struct rlb_conf_write, class), "write", 0, NOB, write_classes, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item spool_items[] = {
    { "directory", CT_STRING, OFF(struct rlb_conf_spool, directory), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "max_bytes", CT_FLOAT, OFF(struct rlb_conf_spool, max_bytes), "1073741824", CF_NO_RELOAD, 1048576, 1e15, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item log_items[] = {
    { "level", CT_ENUM, OFF(struct rlb_conf_log, level), "info", 0, NOB, log_levels, NULL, 0 },
    { "destination", CT_ENUM, OFF(struct rlb_conf_log, destination), "stderr", CF_NO_RELOAD, NOB, log_dests, NULL, 0 },
    { "facility", CT_STRING, OFF(struct rlb_conf_log, facility), "daemon", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item control_items[] = {
    { "socket", CT_STRING, OFF(struct rlb_conf_control, socket), "/run/radlb/radlb.sock", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "mode", CT_MODE, OFF(struct rlb_conf_control, mode), "0660", CF_NO_RELOAD, 0, 0777, NULL, NULL, 0 },
    { "group", CT_STRING, OFF(struct rlb_conf_control, group), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_section listen_section = {
    "listen", listen_items, sizeof(struct rlb_conf_listen), OFF(struct rlb_conf_listen, line) };
static const struct conf_section client_section = {
    "clients", client_items, sizeof(struct rlb_conf_client), OFF(struct rlb_conf_client, line) };
static const struct conf_section server_section = {
    "servers", server_items, sizeof(struct rlb_conf_server), OFF(struct rlb_conf_server, line) };
static const struct conf_section proxy_section = { "proxy", proxy_items, 0, (size_t)-1 };
static const struct conf_section sticky_section = { "sticky", sticky_items, 0, (size_t)-1 };
static const struct conf_section redis_section = { "redis", redis_items, 0, (size_t)-1 };
static const struct conf_section health_section = { "health", health_items, 0, (size_t)-1 };
static const struct conf_section write_section = {
    "writes", write_items, sizeof(struct rlb_conf_write), OFF(struct rlb_conf_write, line) };
static const struct conf_section spool_section = { "spool", spool_items, 0, (size_t)-1 };
static const struct conf_section log_section = { "log", log_items, 0, (size_t)-1 };
static const struct conf_section control_section = { "control", control_items, 0, (size_t)-1 };
static const struct conf_item stats_items[] = {
    { "address", CT_STRING, OFF(struct rlb_conf_stats, address), "127.0.0.1", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_stats, port), "9812", CF_NO_RELOAD, 0, 65535, NULL, NULL, 0 },
    { "allow", CT_STRLIST, OFF(struct rlb_conf_stats, allow), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_stats, nallow) },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section stats_section = { "stats", stats_items, 0, (size_t)-1 };
static const struct conf_item tls_items[] = {
    { "certificate", CT_STRING, OFF(struct rlb_conf_tls, certificate), "", 0, NOB, NULL, NULL, 0 },
    { "private_key", CT_STRING, OFF(struct rlb_conf_tls, private_key), "", 0, NOB, NULL, NULL, 0 },
    { "ca_file", CT_STRING, OFF(struct rlb_conf_tls, ca_file), "", 0, NOB, NULL, NULL, 0 },
    { "crl_file", CT_STRING, OFF(struct rlb_conf_tls, crl_file), "", 0, NOB, NULL, NULL, 0 },
    { "min_version", CT_ENUM, OFF(struct rlb_conf_tls, min_version), "1.2", 0, NOB, tls_versions, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section tls_section = { "tls", tls_items, 0, (size_t)-1 };
static const struct conf_item conns_items[] = {
    { "max", CT_INT, OFF(struct rlb_conf_conns, max), "1024", 0, 1, 100000, NULL, NULL, 0 },
    { "max_handshakes", CT_INT, OFF(struct rlb_conf_conns, max_handshakes), "64", 0, 1, 10000, NULL, NULL, 0 },
    { "handshake_timeout", CT_FLOAT, OFF(struct rlb_conf_conns, handshake_timeout), "5.0", 0, 0.1, 120, NULL, NULL, 0 },
    { "idle_timeout", CT_FLOAT, OFF(struct rlb_conf_conns, idle_timeout), "300.0", 0, 1, 86400, NULL, NULL, 0 },
    { "watchdog_interval", CT_FLOAT, OFF(struct rlb_conf_conns, watchdog_interval), "30.0", 0, 1, 3600, NULL, NULL, 0 },
    { "backoff_min", CT_FLOAT, OFF(struct rlb_conf_conns, backoff_min), "0.5", 0, 0.05, 60, NULL, NULL, 0 },
    { "backoff_max", CT_FLOAT, OFF(struct rlb_conf_conns, backoff_max), "30.0", 0, 0.1, 3600, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section conns_section = { "connections", conns_items, 0, (size_t)-1 };

static const struct conf_item top_items[] = {
    { "dictionary", CT_STRING, OFF(struct rlb_conf, dictionary), RLB_DEFAULT_DICTDIR, CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "listen", CT_LIST, OFF(struct rlb_conf, listen), NULL, CF_REQUIRED, NOB, NULL, &listen_section, OFF(struct rlb_conf, nlisten) },
    { "clients", CT_LIST, OFF(struct rlb_conf, clients), NULL, CF_REQUIRED, NOB, NULL, &client_section, OFF(struct rlb_conf, nclients) },
    { "servers", CT_LIST, OFF(struct rlb_conf, servers), NULL, CF_REQUIRED, NOB, NULL, &server_section, OFF(struct rlb_conf, nservers) },
    { "proxy", CT_GROUP, OFF(struct rlb_conf, proxy), NULL, 0, NOB, NULL, &proxy_section, 0 },
    { "sticky", CT_GROUP, OFF(struct rlb_conf, sticky), NULL, 0, NOB, NULL, &sticky_section, 0 },
    { "redis", CT_GROUP, OFF(struct rlb_conf, redis), NULL, 0, NOB, NULL, &redis_section, 0 },
    { "health", CT_GROUP, OFF(struct rlb_conf, health), NULL, 0, NOB, NULL, &health_section, 0 },
    { "writes", CT_LIST, OFF(struct rlb_conf, writes), NULL, 0, NOB, NULL, &write_section, OFF(struct rlb_conf, nwrites) },
    { "spool", CT_GROUP, OFF(struct rlb_conf, spool), NULL, 0, NOB, NULL, &spool_section, 0 },
    { "state_file", CT_STRING, OFF(struct rlb_conf, state_file), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "on_promote", CT_STRING, OFF(struct rlb_conf, on_promote), "", 0, NOB, NULL, NULL, 0 },
    { "on_promote_timeout", CT_FLOAT, OFF(struct rlb_conf, on_promote_timeout), "30", 0, 1, 3600, NULL, NULL, 0 },
    { "log", CT_GROUP, OFF(struct rlb_conf, log), NULL, 0, NOB, NULL, &log_section, 0 },
    { "control", CT_GROUP, OFF(struct rlb_conf, control), NULL, 0, NOB, NULL, &control_section, 0 },
    { "stats", CT_GROUP, OFF(struct rlb_conf, stats), NULL, 0, NOB, NULL, &stats_section, 0 },
    { "tls", CT_GROUP, OFF(struct rlb_conf, tls), NULL, 0, NOB, NULL, &tls_section, 0 },
    { "connections", CT_GROUP, OFF(struct rlb_conf, conns), NULL, 0, NOB, NULL, &conns_section, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

const struct conf_section rlb_conf_schema = { "", top_items, sizeof(struct rlb_conf), (size_t)-1 };

/* ------------------------------------------------------------------ */
/* Messages                                                           */

static void
msgs_vappend(struct rlb_conf_msgs *m, const char *fmt, va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (m->len + (size_t)n + 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        char *t;

        while (cap < m->len + (size_t)n + 2)
            cap *= 2;
        t = realloc(m->text, cap);
        if (!t)
            return;
        m->text = t;
        m->cap = cap;
    }
    memcpy(m->text + m->len, line, (size_t)n);
    m->len += (size_t)n;
    m->text[m->len++] = '\n';
    m->text[m->len] = '\0';
}

static void
msgs_append(struct rlb_conf_msgs *m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msgs_vappend(m, fmt, ap);
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
        msgs_append(m, "%s: %s%s%s%s%s", file ? file : m->file ? m->file : "?",
                    error ? "" : "warning: ", key ? "key \"" : "", key ? key : "",
                    key ? "\": " : "", what);
        return;
    }
    msgs_append(m, "%s:%d: %s%s%s%s%s", file ? file : "?", line,
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
rlb_conf_msgs_free(struct rlb_conf_msgs *m)
{
    free(m->text);
    memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* Parse pass                                                         */

static const char *
type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP:  return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:  return "an integer";
    case CONFIG_TYPE_FLOAT:  return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL:   return "true or false";
    case CONFIG_TYPE_ARRAY:  return "an array [ ... ]";
    case CONFIG_TYPE_LIST:   return "a list ( ... )";
    default:                 return "something else";
    }
}

static char *
choices_text(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; choices[i] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "", choices[i]);
    return buf;
}

static bool
check_bounds(const struct conf_item *it, double v, const config_setting_t *s,
             struct rlb_conf_msgs *m)
{
    if (it->min > it->max || (v >= it->min && v <= it->max))
        return true;
    if (it->type == CT_FLOAT)
        conf_msg(m, true, s, it->name, "%.16g is out of range: use a value from %.16g to %.16g",
                 v, it->min, it->max);
    else
        conf_msg(m, true, s, it->name, "%.0f is out of range: use a value from %.0f to %.0f",
                 v, it->min, it->max);
    return false;
}

static int parse_section(const struct conf_section *sec, const config_setting_t *group,
                         void *base, struct rlb_conf_msgs *m);

static int
parse_mode(const char *text, int *out)
{
    char *end;
    long v;

    if (!text[0])
        return -1;
    errno = 0;
    v = strtol(text, &end, 8);
    if (errno || *end || v < 0 || v > 0777)
        return -1;
    *out = (int)v;
    return 0;
}

/* Applies a value given as configuration text (defaults). */
static int
apply_default(const struct conf_item *it, void *field)
{
    switch (it->type) {
    case CT_STRING:
        *(char **)field = strdup(it->def);
        return *(char **)field ? 0 : -1;
    case CT_INT:
        *(int *)field = atoi(it->def);
        return 0;
    case CT_FLOAT:
        *(double *)field = strtod(it->def, NULL);
        return 0;
    case CT_BOOL:
        *(bool *)field = strcmp(it->def, "true") == 0;
        return 0;
    case CT_ENUM:
        for (int i = 0; it->choices[i]; i++) {
            if (strcmp(it->choices[i], it->def) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        return -1;
    case CT_MODE:
        return parse_mode(it->def, (int *)field);
    default:
        return -1;
    }
}

static int
parse_list(const struct conf_item *it, const config_setting_t *s, void *base,
           struct rlb_conf_msgs *m)
{
    const struct conf_section *sub = it->sub;
    int n = config_setting_length(s);
    char *elems;
    int rc = 0;

    if (!config_setting_is_list(s)) {
        conf_msg(m, true, s, it->name, "must be a list ( { ... }, { ... } ), not %s",
                 type_name(config_setting_type(s)));
        return -1;
    }
    elems = calloc(n > 0 ? (size_t)n : 1, sub->size);
    if (!elems)
        return -1;
    *(void **)((char *)base + it->off) = elems;
    *(unsigned *)((char *)base + it->count_off) = (unsigned)n;

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        void *elem = elems + (size_t)i * sub->size;

        if (sub->line_off != (size_t)-1)
            *(int *)((char *)elem + sub->line_off) = (int)config_setting_source_line(e);
        if (!config_setting_is_group(e)) {
            conf_msg(m, true, e, it->name, "entry %d must be a group { ... }, not %s",
                     i + 1, type_name(config_setting_type(e)));
            rc = -1;
            continue;
        }
        if (parse_section(sub, e, elem, m) < 0)
            rc = -1;
    }
    return rc;
}

/*
 * libconfig 1.5 wraps a decimal integer that does not fit in 32 bits
 * (5368709120 reads as 1073741824) unless it ends with L. The literal on
 * the setting's line tells: false (with an error) when it differs from
 * what libconfig made of it.
 */
static bool
int_literal_ok(const config_setting_t *s, const char *key, long long v, struct rlb_conf_msgs *m)
{
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s), n = 0;
    char text[1024], *p = NULL, *end;
    size_t klen = strlen(key);
    long long lit, wrapped = 0;
    FILE *fp;

    if (config_setting_type(s) != CONFIG_TYPE_INT || !file || !line || !(fp = fopen(file, "r")))
        return true;
    while (n < line && fgets(text, sizeof(text), fp))
        n++;
    fclose(fp);
    if (n != line)
        return true;
    /* Several entries may sit on one line ("port" twice): v is fine when
     * one literal of the key is v; wrong when one is a number libconfig
     * wrapped into v and none is v itself. */
    for (char *q = strstr(text, key); q; q = strstr(q + 1, key)) {
        if (!((q == text || !(isalnum((unsigned char)q[-1]) || q[-1] == '_')) &&
              q[klen] && strchr(" \t=:", q[klen])))
            continue;
        p = q + klen + strspn(q + klen, " \t=:");
        if (!(isdigit((unsigned char)*p) || *p == '-' || *p == '+'))
            continue;
        errno = 0;
        lit = strtoll(p, &end, 0);
        if (errno || isalnum((unsigned char)*end) || *end == '.')
            continue;
        if (lit == v)
            return true;
        if ((int32_t)lit == (int32_t)v && !wrapped)
            wrapped = lit;
    }
    if (wrapped) {
        conf_msg(m, true, s, key, "%lld does not fit in 32 bits and libconfig would read it as "
                 "%lld: write it with an L suffix (%lldL)", wrapped, v, wrapped);
        return false;
    }
    return true;
}

static int
parse_item(const struct conf_item *it, const config_setting_t *s, void *base,
           struct rlb_conf_msgs *m)
{
    void *field = (char *)base + it->off;
    int t = config_setting_type(s);
    char buf[256];

    switch (it->type) {
    case CT_STRING:
        if (t != CONFIG_TYPE_STRING)
            goto wrong_type;
        free(*(char **)field);
        *(char **)field = strdup(config_setting_get_string(s));
        return 0;

    case CT_INT: {
        long long v;

        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            goto wrong_type;
        v = config_setting_get_int64(s);
        if (!int_literal_ok(s, it->name, v, m) || !check_bounds(it, (double)v, s, m))
            return -1;
        *(int *)field = (int)v;
        return 0;
    }

    case CT_FLOAT: {
        double v;

        if (t == CONFIG_TYPE_FLOAT)
            v = config_setting_get_float(s);
        else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
            v = (double)config_setting_get_int64(s);
        else
            goto wrong_type;
        if (!int_literal_ok(s, it->name, config_setting_get_int64(s), m))
            return -1;
        if (!check_bounds(it, v, s, m))
            return -1;
        *(double *)field = v;
        return 0;
    }

    case CT_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            goto wrong_type;
        *(bool *)field = config_setting_get_bool(s) != 0;
        return 0;

    case CT_ENUM: {
        const char *v;

        if (t != CONFIG_TYPE_STRING)
            goto wrong_type;
        v = config_setting_get_string(s);
        for (int i = 0; it->choices[i]; i++) {
            if (strcmp(it->choices[i], v) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        conf_msg(m, true, s, it->name, "\"%s\" is not one of %s", v,
                 choices_text(it->choices, buf, sizeof(buf)));
        return -1;
    }

    case CT_MODE:
        if (t != CONFIG_TYPE_STRING || parse_mode(config_setting_get_string(s), (int *)field) < 0) {
            conf_msg(m, true, s, it->name, "must be an octal file mode as a string, like \"0660\"");
            return -1;
        }
        return 0;

    case CT_GROUP:
        if (t != CONFIG_TYPE_GROUP)
            goto wrong_type;
        return parse_section(it->sub, s, field, m);

    case CT_LIST:
        return parse_list(it, s, base, m);

    case CT_STRLIST: {
        int n = config_setting_length(s);
        char **v;

        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
            goto wrong_type;
        v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
        if (!v)
            return -1;
        *(char ***)field = v;
        *(unsigned *)((char *)base + it->count_off) = 0;
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                conf_msg(m, true, e, it->name, "entry %d must be a string in double quotes", i + 1);
                return -1;
            }
            v[i] = strdup(config_setting_get_string(e));
            *(unsigned *)((char *)base + it->count_off) = (unsigned)i + 1;
        }
        return 0;
    }
    }
    return -1;

wrong_type:
    conf_msg(m, true, s, it->name, "must be %s, not %s",
             it->type == CT_STRING || it->type == CT_ENUM ? "a string in double quotes" :
             it->type == CT_INT ? "an integer" :
             it->type == CT_FLOAT ? "a number" :
             it->type == CT_BOOL ? "true or false" :
             it->type == CT_STRLIST ? "an array of strings [ \"a\", \"b\" ]" : "a group { ... }",
             type_name(t));
    return -1;
}

static int
parse_section(const struct conf_section *sec, const config_setting_t *group, void *base,
              struct rlb_conf_msgs *m)
{
    int rc = 0;
    int n = group ? config_setting_length(group) : 0;

    /* Unknown keys: a typo must not be silently ignored. */
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        bool known = false;

        for (const struct conf_item *it = sec->items; it->name; it++)
            known = known || (name && strcmp(name, it->name) == 0);
        if (!known) {
            conf_msg(m, true, s, name ? name : "?", "unknown key%s%s%s",
                     sec->name[0] ? " in section \"" : "", sec->name,
                     sec->name[0] ? "\" (see radlb.conf(5))" : " (see radlb.conf(5))");
            rc = -1;
        }
    }

    for (const struct conf_item *it = sec->items; it->name; it++) {
        const config_setting_t *s = group ? config_setting_get_member(group, it->name) : NULL;

        if (s) {
            if (parse_item(it, s, base, m) < 0)
                rc = -1;
        } else if (it->type == CT_GROUP) {
            if (parse_section(it->sub, NULL, (char *)base + it->off, m) < 0)
                rc = -1;
        } else if (it->flags & CF_REQUIRED) {
            conf_msg(m, true, group, it->name, "is required%s%s%s",
                     sec->name[0] ? " in every \"" : "", sec->name,
                     sec->name[0] ? "\" entry" : "");
            rc = -1;
        } else if (it->def && apply_default(it, (char *)base + it->off) < 0) {
            rc = -1;
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Load, free, dump                                                   */

static void
free_section(const struct conf_section *sec, void *base)
{
    for (const struct conf_item *it = sec->items; it->name; it++) {
        void *field = (char *)base + it->off;

        if (it->type == CT_STRING) {
            char *s = *(char **)field;

            if (s && (it->flags & CF_SECRET))
                OPENSSL_cleanse(s, strlen(s));
            free(s);
        } else if (it->type == CT_STRLIST) {
            char **v = *(char ***)field;
            unsigned n = *(unsigned *)((char *)base + it->count_off);

            for (unsigned i = 0; v && i < n; i++)
                free(v[i]);
            free(v);
        } else if (it->type == CT_GROUP) {
            free_section(it->sub, field);
        } else if (it->type == CT_LIST) {
            char *elems = *(char **)field;
            unsigned n = *(unsigned *)((char *)base + it->count_off);

            for (unsigned i = 0; elems && i < n; i++)
                free_section(it->sub, elems + (size_t)i * it->sub->size);
            free(elems);
        }
    }
}

void
rlb_conf_free(struct rlb_conf *conf)
{
    if (!conf)
        return;
    free_section(&rlb_conf_schema, conf);
    free(conf->file);
    free(conf);
}

struct rlb_conf *
rlb_conf_load(const char *file, struct rlb_conf_msgs *msgs)
{
    struct rlb_conf *conf;
    config_t cfg;
    FILE *fp;
    char *dir, *dircopy;
    int rc;

    memset(msgs, 0, sizeof(*msgs));
    msgs->file = file;
    fp = fopen(file, "r");
    if (!fp) {
        msgs->errors++;
        msgs_append(msgs, "%s: cannot read the configuration file: %s", file, strerror(errno));
        return NULL;
    }

    fclose(fp);                    /* readable: libconfig reads it by name */

    config_init(&cfg);
    dircopy = strdup(file);
    dir = dircopy ? dirname(dircopy) : ".";
    config_set_include_dir(&cfg, dir);
    rc = config_read_file(&cfg, file);
    free(dircopy);
    if (rc != CONFIG_TRUE) {
        msgs->errors++;
        msgs_append(msgs, "%s:%d: %s", config_error_file(&cfg) ? config_error_file(&cfg) : file,
                    config_error_line(&cfg), config_error_text(&cfg));
        config_destroy(&cfg);
        return NULL;
    }

    conf = calloc(1, sizeof(*conf));
    if (!conf) {
        config_destroy(&cfg);
        return NULL;
    }
    conf->file = strdup(file);

    if (parse_section(&rlb_conf_schema, config_root_setting(&cfg), conf, msgs) == 0)
        conf_validate(conf, &cfg, msgs);

    config_destroy(&cfg);
    if (msgs->errors) {
        rlb_conf_free(conf);
        return NULL;
    }
    return conf;
}

static void
dump_section(const struct conf_section *sec, const void *base, int depth,
             void (*out)(void *, const char *), void *arg)
{
    char line[1024];

    for (const struct conf_item *it = sec->items; it->name; it++) {
        const void *field = (const char *)base + it->off;
        int ind = depth * 2;

        switch (it->type) {
        case CT_STRING:
            snprintf(line, sizeof(line), "%*s%s = \"%s\";", ind, "", it->name,
                     !*(char *const *)field ? "" :
                     (it->flags & CF_SECRET) && **(char *const *)field ? "********" :
                     *(char *const *)field);
            break;
        case CT_INT:
            snprintf(line, sizeof(line), "%*s%s = %d;", ind, "", it->name, *(const int *)field);
            break;
        case CT_FLOAT:
            snprintf(line, sizeof(line), "%*s%s = %g;", ind, "", it->name, *(const double *)field);
            break;
        case CT_BOOL:
            snprintf(line, sizeof(line), "%*s%s = %s;", ind, "", it->name,
                     *(const bool *)field ? "true" : "false");
            break;
        case CT_ENUM:
            snprintf(line, sizeof(line), "%*s%s = \"%s\";", ind, "", it->name,
                     it->choices[*(const int *)field]);
            break;
        case CT_MODE:
            snprintf(line, sizeof(line), "%*s%s = \"%04o\";", ind, "", it->name,
                     (unsigned)*(const int *)field);
            break;
        case CT_STRLIST: {
            char *const *v = *(char *const *const *)field;
            unsigned n = *(const unsigned *)((const char *)base + it->count_off);
            size_t used = (size_t)snprintf(line, sizeof(line), "%*s%s = [", ind, "", it->name);

            for (unsigned i = 0; i < n && used < sizeof(line); i++)
                used += (size_t)snprintf(line + used, sizeof(line) - used, "%s \"%s\"",
                                         i ? "," : "", v[i]);
            if (used < sizeof(line))
                snprintf(line + used, sizeof(line) - used, " ];");
            break;
        }
        case CT_GROUP:
            snprintf(line, sizeof(line), "%*s%s = {", ind, "", it->name);
            out(arg, line);
            dump_section(it->sub, field, depth + 1, out, arg);
            snprintf(line, sizeof(line), "%*s};", ind, "");
            break;
        case CT_LIST: {
            const char *elems = *(char *const *)field;
            unsigned n = *(const unsigned *)((const char *)base + it->count_off);

            snprintf(line, sizeof(line), "%*s%s = (", ind, "", it->name);
            out(arg, line);
            for (unsigned i = 0; i < n; i++) {
                snprintf(line, sizeof(line), "%*s{", ind + 2, "");
                out(arg, line);
                dump_section(it->sub, elems + (size_t)i * it->sub->size, depth + 2, out, arg);
                snprintf(line, sizeof(line), "%*s}%s", ind + 2, "", i + 1 < n ? "," : "");
                out(arg, line);
            }
            snprintf(line, sizeof(line), "%*s);", ind, "");
            break;
        }
        }
        out(arg, line);
    }
}

void
rlb_conf_dump(const struct rlb_conf *conf, void (*out)(void *arg, const char *line), void *arg)
{
    dump_section(&rlb_conf_schema, conf, 0, out, arg);
}

const char *
rlb_balance_name(int balance)
{
    return balance >= 0 && balance < 3 ? balances[balance] : "?";
}

const char *
rlb_role_name(int role)
{
    return role >= 0 && role < 2 ? roles[role] : "?";
}

/* ------------------------------------------------------------------ */
/* Reload                                                             */

/* Compares the CF_NO_RELOAD items of one section; path names the first
 * difference ("listen[1].port"). */
static bool
section_same(const struct conf_section *sec, const char *prefix, const void *a, const void *b,
             char *path, size_t len)
{
    for (const struct conf_item *it = sec->items; it->name; it++) {
        const char *pa = (const char *)a + it->off, *pb = (const char *)b + it->off;
        bool same = true;

        if (it->type == CT_GROUP) {
            char sub[128];

            snprintf(sub, sizeof(sub), "%s%s.", prefix, it->name);
            if (!section_same(it->sub, sub, pa, pb, path, len))
                return false;
            continue;
        }
        if (it->type == CT_LIST) {
            void *la = *(void *const *)pa, *lb = *(void *const *)pb;
            unsigned na = *(const unsigned *)((const char *)a + it->count_off);
            unsigned nb = *(const unsigned *)((const char *)b + it->count_off);
            bool fixed = false;

            for (const struct conf_item *si = it->sub->items; si->name; si++)
                fixed |= (si->flags & CF_NO_RELOAD) != 0;
            if (!fixed)
                continue;
            if (na != nb) {
                snprintf(path, len, "%s%s (%u entries, now %u)", prefix, it->name, na, nb);
                return false;
            }
            for (unsigned i = 0; i < na; i++) {
                char sub[128];

                snprintf(sub, sizeof(sub), "%s%s[%u].", prefix, it->name, i);
                if (!section_same(it->sub, sub, (char *)la + i * it->sub->size,
                                  (char *)lb + i * it->sub->size, path, len))
                    return false;
            }
            continue;
        }
        if (!(it->flags & CF_NO_RELOAD))
            continue;
        switch (it->type) {
        case CT_STRING: {
            const char *x = *(char *const *)pa, *y = *(char *const *)pb;

            same = strcmp(x ? x : "", y ? y : "") == 0;
            break;
        }
        case CT_INT:
        case CT_ENUM:
        case CT_MODE:
            same = *(const int *)pa == *(const int *)pb;
            break;
        case CT_FLOAT:
            same = *(const double *)pa == *(const double *)pb;
            break;
        case CT_BOOL:
            same = *(const bool *)pa == *(const bool *)pb;
            break;
        case CT_STRLIST: {
            char *const *x = *(char **const *)pa, *const *y = *(char **const *)pb;
            unsigned nx = *(const unsigned *)((const char *)a + it->count_off);
            unsigned ny = *(const unsigned *)((const char *)b + it->count_off);

            same = nx == ny;
            for (unsigned i = 0; same && i < nx; i++)
                same = strcmp(x[i], y[i]) == 0;
            break;
        }
        default:
            break;
        }
        if (!same) {
            snprintf(path, len, "%s%s", prefix, it->name);
            return false;
        }
    }
    return true;
}

bool
rlb_conf_reloadable(const struct rlb_conf *old, const struct rlb_conf *now, char *key, size_t len)
{
    return section_same(&rlb_conf_schema, "", old, now, key, len);
}
