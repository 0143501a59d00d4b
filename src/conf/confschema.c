/*
 * confschema.c: the configuration schema: one table per section, each key
 * with its type, where its value lands, its default, its bounds or
 * choices and its flags (CF_REQUIRED, CF_SECRET, CF_NO_RELOAD). conf.c
 * parses, frees and dumps by it, confdiff.c compares by it, and
 * tests/tools/rlb-docs.py reads it to check the documentation.
 */
#include "config.h"

#include <stddef.h>

#include "balance.h"
#include "conf_int.h"
#include "server.h"

#define NOB 1, 0                   /* no bounds */
#define OFF(type, field) offsetof(type, field)

static const char *const listen_types[] = { "auth", "acct", "any", NULL };
static const char *const protos[] = { "udp", "tcp", "tls", NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };
static const char *const timeout_actions[] = { "reject", "drop", NULL };
static const char *const stores[] = { "memory", "redis", NULL };
static const char *const probe_kinds[] = { "status-server", "access-request", "none", NULL };
static const char *const write_classes[] = { "write", "read", NULL };
static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const log_dests[] = { "stderr", "syslog", NULL };
static const char *const log_formats[] = { "text", "json", NULL };
static const char *const log_auths[] = { "log", "off", "syslog", NULL };   /* rlb_authlog_dest_t */

static const struct conf_item listen_items[] = {
    { "type", CT_ENUM, OFF(struct rlb_conf_listen, type), "any",
      CF_NO_RELOAD, NOB, listen_types, NULL, 0 },
    { "proto", CT_ENUM, OFF(struct rlb_conf_listen, proto), "udp",
      CF_NO_RELOAD, NOB, protos, NULL, 0 },
    { "address", CT_STRING, OFF(struct rlb_conf_listen, address), NULL,
      CF_REQUIRED | CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_listen, port), NULL,
      CF_REQUIRED | CF_NO_RELOAD, 1, 65535, NULL, NULL, 0 },
    { "freebind", CT_BOOL, OFF(struct rlb_conf_listen, freebind), "false",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item client_items[] = {
    { "name", CT_STRING, OFF(struct rlb_conf_client, name), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "network", CT_STRING, OFF(struct rlb_conf_client, network), NULL,
      CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "secret", CT_STRING, OFF(struct rlb_conf_client, secret), NULL,
      CF_REQUIRED | CF_SECRET, NOB, NULL, NULL, 0 },
    { "require_message_authenticator", CT_BOOL, OFF(struct rlb_conf_client, require_ma), "false",
      0, NOB, NULL, NULL, 0 },
    { "limit_proxy_state", CT_BOOL, OFF(struct rlb_conf_client, limit_proxy_state), "true",
      0, NOB, NULL, NULL, 0 },
    { "fingerprint", CT_STRING, OFF(struct rlb_conf_client, fingerprint), "",
      0, NOB, NULL, NULL, 0 },
    { "max_outstanding", CT_INT, OFF(struct rlb_conf_client, max_outstanding), "8192",
      0, 1, 1000000, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item server_items[] = {
    { "name", CT_STRING, OFF(struct rlb_conf_server, name), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "address", CT_STRING, OFF(struct rlb_conf_server, address), NULL,
      CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "auth_port", CT_INT, OFF(struct rlb_conf_server, auth_port), "1812",
      0, 1, 65535, NULL, NULL, 0 },
    { "acct_port", CT_INT, OFF(struct rlb_conf_server, acct_port), "1813",
      0, 1, 65535, NULL, NULL, 0 },
    { "secret", CT_STRING, OFF(struct rlb_conf_server, secret), NULL,
      CF_REQUIRED | CF_SECRET, NOB, NULL, NULL, 0 },
    { "role", CT_ENUM, OFF(struct rlb_conf_server, role), "subordinate",
      0, NOB, rlb_role_names, NULL, 0 },
    { "weight", CT_INT, OFF(struct rlb_conf_server, weight), "1", 0, 1, 1000, NULL, NULL, 0 },
    { "require_message_authenticator", CT_BOOL, OFF(struct rlb_conf_server, require_ma), "false",
      0, NOB, NULL, NULL, 0 },
    { "proto", CT_ENUM, OFF(struct rlb_conf_server, proto), "udp", 0, NOB, protos, NULL, 0 },
    { "fingerprint", CT_STRING, OFF(struct rlb_conf_server, fingerprint), "",
      0, NOB, NULL, NULL, 0 },
    { "tls_name", CT_STRING, OFF(struct rlb_conf_server, tls_name), "", 0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item proxy_items[] = {
    { "balance", CT_ENUM, OFF(struct rlb_conf_proxy, balance), "least-outstanding",
      0, NOB, rlb_balance_names, NULL, 0 },
    { "response_timeout", CT_FLOAT, OFF(struct rlb_conf_proxy, response_timeout), "60.0",
      0, 1, 600, NULL, NULL, 0 },
    { "dedup_window", CT_FLOAT, OFF(struct rlb_conf_proxy, dedup_window), "30.0",
      0, 1, 300, NULL, NULL, 0 },
    { "timeout_action", CT_ENUM, OFF(struct rlb_conf_proxy, timeout_action), "reject",
      0, NOB, timeout_actions, NULL, 0 },
    { "timeout_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, timeout_message),
      "The authentication service did not answer in time. Please sign in again.",
      0, NOB, NULL, NULL, 0 },
    { "unavailable_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, unavailable_message),
      "No authentication server is available. Please try again later.", 0, NOB, NULL, NULL, 0 },
    { "unroutable_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, unroutable_message),
      "No authentication service serves this account.", 0, NOB, NULL, NULL, 0 },
    { "no_master_reply_message", CT_STRING, OFF(struct rlb_conf_proxy, no_master_message),
      "This change cannot be made now: the master MFA server is unavailable. "
      "Please try again later.",
      0, NOB, NULL, NULL, 0 },
    { "max_attributes", CT_INT, OFF(struct rlb_conf_proxy, max_attributes), "200",
      0, 10, 1000, NULL, NULL, 0 },
    { "max_sockets", CT_INT, OFF(struct rlb_conf_proxy, max_sockets), "1024",
      0, 1, 4096, NULL, NULL, 0 },
    { "recv_buffer", CT_INT, OFF(struct rlb_conf_proxy, recv_buffer), "8388608",
      CF_NO_RELOAD, 65536, 268435456, NULL, NULL, 0 },
    { "max_cached_replies", CT_INT, OFF(struct rlb_conf_proxy, max_cached_replies), "1000000",
      0, 1000, 100000000, NULL, NULL, 0 },
    { "retransmit_interval", CT_FLOAT, OFF(struct rlb_conf_proxy, retransmit_interval), "3.0",
      0, 0.5, 60, NULL, NULL, 0 },
    { "retransmit_damping", CT_FLOAT, OFF(struct rlb_conf_proxy, retransmit_damping), "1.5",
      0, 0, 60, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item sticky_items[] = {
    { "ttl", CT_FLOAT, OFF(struct rlb_conf_sticky, ttl), "300", 0, 10, 86400, NULL, NULL, 0 },
    { "store", CT_ENUM, OFF(struct rlb_conf_sticky, store), "memory",
      CF_NO_RELOAD, NOB, stores, NULL, 0 },
    { "affinity_attributes", CT_STRLIST, OFF(struct rlb_conf_sticky, affinity_attributes), NULL,
      0, NOB, NULL, NULL, OFF(struct rlb_conf_sticky, naffinity) },
    { "affinity_ttl", CT_FLOAT, OFF(struct rlb_conf_sticky, affinity_ttl), "120",
      0, 10, 86400, NULL, NULL, 0 },
    { "max_entries", CT_INT, OFF(struct rlb_conf_sticky, max_entries), "1000000",
      0, 0, 100000000, NULL, NULL, 0 },
    { "reject_message", CT_STRING, OFF(struct rlb_conf_sticky, reject_message),
      "Your sign-in could not be completed: the server handling it is unavailable. "
      "Please sign in again.",
      0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item redis_items[] = {
    { "address", CT_STRING, OFF(struct rlb_conf_redis, address), "127.0.0.1",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_redis, port), "6379",
      CF_NO_RELOAD, 1, 65535, NULL, NULL, 0 },
    { "prefix", CT_STRING, OFF(struct rlb_conf_redis, prefix), "radlb:",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_redis, timeout), "0.2",
      CF_NO_RELOAD, 0.01, 10, NULL, NULL, 0 },
    { "username", CT_STRING, OFF(struct rlb_conf_redis, username), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "password", CT_STRING, OFF(struct rlb_conf_redis, password), "",
      CF_SECRET | CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "database", CT_INT, OFF(struct rlb_conf_redis, database), "0",
      CF_NO_RELOAD, 0, 100000, NULL, NULL, 0 },
    { "sentinels", CT_STRLIST, OFF(struct rlb_conf_redis, sentinels), NULL,
      CF_NO_RELOAD, NOB, NULL, NULL, OFF(struct rlb_conf_redis, nsentinels) },
    { "master_name", CT_STRING, OFF(struct rlb_conf_redis, master_name), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "sentinel_username", CT_STRING, OFF(struct rlb_conf_redis, sentinel_username), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "sentinel_password", CT_STRING, OFF(struct rlb_conf_redis, sentinel_password), "",
      CF_SECRET | CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item health_items[] = {
    { "probe", CT_ENUM, OFF(struct rlb_conf_health, probe), "status-server",
      CF_NO_RELOAD, NOB, probe_kinds, NULL, 0 },
    { "interval", CT_FLOAT, OFF(struct rlb_conf_health, interval), "2.0",
      0, 0.1, 3600, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_health, timeout), "1.0",
      0, 0.05, 60, NULL, NULL, 0 },
    { "rise", CT_INT, OFF(struct rlb_conf_health, rise), "2", 0, 1, 100, NULL, NULL, 0 },
    { "fall", CT_INT, OFF(struct rlb_conf_health, fall), "3", 0, 1, 100, NULL, NULL, 0 },
    { "probe_user", CT_STRING, OFF(struct rlb_conf_health, probe_user), "radlb-probe",
      0, NOB, NULL, NULL, 0 },
    { "probe_password", CT_STRING, OFF(struct rlb_conf_health, probe_password), "",
      CF_SECRET, NOB, NULL, NULL, 0 },
    { "master_serves_reads", CT_BOOL, OFF(struct rlb_conf_health, master_serves_reads), "true",
      0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item write_items[] = {
    { "code", CT_STRING, OFF(struct rlb_conf_write, code), "", 0, NOB, NULL, NULL, 0 },
    { "attribute", CT_STRING, OFF(struct rlb_conf_write, attribute), "", 0, NOB, NULL, NULL, 0 },
    { "equals", CT_STRING, OFF(struct rlb_conf_write, equals), "", 0, NOB, NULL, NULL, 0 },
    { "regex", CT_STRING, OFF(struct rlb_conf_write, regex), "", 0, NOB, NULL, NULL, 0 },
    { "exists", CT_BOOL, OFF(struct rlb_conf_write, exists), "false", 0, NOB, NULL, NULL, 0 },
    { "missing", CT_BOOL, OFF(struct rlb_conf_write, missing), "false", 0, NOB, NULL, NULL, 0 },
    { "class", CT_ENUM, OFF(struct rlb_conf_write, class), "write",
      0, NOB, write_classes, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item spool_items[] = {
    { "directory", CT_STRING, OFF(struct rlb_conf_spool, directory), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "max_bytes", CT_FLOAT, OFF(struct rlb_conf_spool, max_bytes), "1073741824",
      CF_NO_RELOAD, 1048576, 1e15, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item log_items[] = {
    { "level", CT_ENUM, OFF(struct rlb_conf_log, level), "info", 0, NOB, log_levels, NULL, 0 },
    { "destination", CT_ENUM, OFF(struct rlb_conf_log, destination), "stderr",
      CF_NO_RELOAD, NOB, log_dests, NULL, 0 },
    { "facility", CT_STRING, OFF(struct rlb_conf_log, facility), "daemon",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "format", CT_ENUM, OFF(struct rlb_conf_log, format), "text", 0, NOB, log_formats, NULL, 0 },
    { "auth", CT_ENUM, OFF(struct rlb_conf_log, auth), "log", 0, NOB, log_auths, NULL, 0 },
    { "auth_facility", CT_STRING, OFF(struct rlb_conf_log, auth_facility), "authpriv", 0, NOB,
      NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

static const struct conf_item control_items[] = {
    { "socket", CT_STRING, OFF(struct rlb_conf_control, socket), "/run/radlb/radlb.sock",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "mode", CT_MODE, OFF(struct rlb_conf_control, mode), "0660",
      CF_NO_RELOAD, 0, 0777, NULL, NULL, 0 },
    { "group", CT_STRING, OFF(struct rlb_conf_control, group), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
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
    { "address", CT_STRING, OFF(struct rlb_conf_stats, address), "127.0.0.1",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "port", CT_INT, OFF(struct rlb_conf_stats, port), "9812",
      CF_NO_RELOAD, 0, 65535, NULL, NULL, 0 },
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
    { "min_version", CT_ENUM, OFF(struct rlb_conf_tls, min_version), "1.2",
      0, NOB, tls_versions, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section tls_section = { "tls", tls_items, 0, (size_t)-1 };
static const struct conf_item conns_items[] = {
    { "max", CT_INT, OFF(struct rlb_conf_conns, max), "1024", 0, 1, 100000, NULL, NULL, 0 },
    { "max_handshakes", CT_INT, OFF(struct rlb_conf_conns, max_handshakes), "64",
      0, 1, 10000, NULL, NULL, 0 },
    { "handshake_timeout", CT_FLOAT, OFF(struct rlb_conf_conns, handshake_timeout), "5.0",
      0, 0.1, 120, NULL, NULL, 0 },
    { "idle_timeout", CT_FLOAT, OFF(struct rlb_conf_conns, idle_timeout), "300.0",
      0, 1, 86400, NULL, NULL, 0 },
    { "watchdog_interval", CT_FLOAT, OFF(struct rlb_conf_conns, watchdog_interval), "30.0",
      0, 1, 3600, NULL, NULL, 0 },
    { "backoff_min", CT_FLOAT, OFF(struct rlb_conf_conns, backoff_min), "0.5",
      0, 0.05, 60, NULL, NULL, 0 },
    { "backoff_max", CT_FLOAT, OFF(struct rlb_conf_conns, backoff_max), "30.0",
      0, 0.1, 3600, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section conns_section = { "connections", conns_items, 0, (size_t)-1 };

static const struct conf_item pool_health_items[] = {
    { "interval", CT_FLOAT, OFF(struct rlb_conf_pool_health, interval), "0",
      0, 0, 3600, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_pool_health, timeout), "0",
      0, 0, 60, NULL, NULL, 0 },
    { "rise", CT_INT, OFF(struct rlb_conf_pool_health, rise), "0", 0, 0, 100, NULL, NULL, 0 },
    { "fall", CT_INT, OFF(struct rlb_conf_pool_health, fall), "0", 0, 0, 100, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section pool_health_section = {
    "pools.health", pool_health_items, 0, (size_t)-1 };
static const struct conf_item pool_items[] = {
    { "name", CT_STRING, OFF(struct rlb_conf_pool, name), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "servers", CT_LIST, OFF(struct rlb_conf_pool, servers), NULL,
      CF_REQUIRED, NOB, NULL, &server_section, OFF(struct rlb_conf_pool, nservers) },
    { "balance", CT_STRING, OFF(struct rlb_conf_pool, balance_name), "", 0, NOB, NULL, NULL, 0 },
    { "health", CT_GROUP, OFF(struct rlb_conf_pool, health_given), NULL,
      0, NOB, NULL, &pool_health_section, 0 },
    { "writes", CT_LIST, OFF(struct rlb_conf_pool, writes), NULL,
      0, NOB, NULL, &write_section, OFF(struct rlb_conf_pool, nwrites) },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section pool_section = {
    "pools", pool_items, sizeof(struct rlb_conf_pool), OFF(struct rlb_conf_pool, line) };
static const struct conf_item migrate_items[] = {
    { "to", CT_STRING, OFF(struct rlb_conf_migrate, to), "", 0, NOB, NULL, NULL, 0 },
    { "share", CT_FLOAT, OFF(struct rlb_conf_migrate, share), "0", 0, 0, 100, NULL, NULL, 0 },
    { "users", CT_STRLIST, OFF(struct rlb_conf_migrate, users), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_migrate, nusers) },
    { "users_file", CT_STRING, OFF(struct rlb_conf_migrate, users_file), "",
      0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section migrate_section = {
    "routes.migrate", migrate_items, 0, (size_t)-1 };
static const struct conf_item route_items[] = {
    { "realm", CT_STRLIST, OFF(struct rlb_conf_route, realm), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_route, nrealm) },
    { "client", CT_STRLIST, OFF(struct rlb_conf_route, client), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_route, nclient) },
    { "attribute", CT_STRING, OFF(struct rlb_conf_route, attribute), "", 0, NOB, NULL, NULL, 0 },
    { "equals", CT_STRING, OFF(struct rlb_conf_route, equals), "", 0, NOB, NULL, NULL, 0 },
    { "regex", CT_STRING, OFF(struct rlb_conf_route, regex), "", 0, NOB, NULL, NULL, 0 },
    { "exists", CT_BOOL, OFF(struct rlb_conf_route, exists), "false", 0, NOB, NULL, NULL, 0 },
    { "missing", CT_BOOL, OFF(struct rlb_conf_route, missing), "false", 0, NOB, NULL, NULL, 0 },
    { "default", CT_BOOL, OFF(struct rlb_conf_route, is_default), "false",
      0, NOB, NULL, NULL, 0 },
    { "strip", CT_BOOL, OFF(struct rlb_conf_route, strip), "false", 0, NOB, NULL, NULL, 0 },
    { "pool", CT_STRING, OFF(struct rlb_conf_route, pool), NULL, CF_REQUIRED, NOB, NULL, NULL, 0 },
    { "migrate", CT_GROUP, OFF(struct rlb_conf_route, migrate), NULL,
      0, NOB, NULL, &migrate_section, 0 },
    { "mirror_accounting", CT_STRING, OFF(struct rlb_conf_route, mirror_accounting), "",
      0, NOB, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section route_section = {
    "routes", route_items, sizeof(struct rlb_conf_route), OFF(struct rlb_conf_route, line) };

static const char *const limit_counts[] = { "first-leg", "challenge", NULL };
static const struct conf_item limit_window_items[] = {
    { "window", CT_FLOAT, OFF(struct rlb_conf_limit_window, window), NULL,
      CF_REQUIRED, 1, 604800, NULL, NULL, 0 },
    { "max", CT_INT, OFF(struct rlb_conf_limit_window, max), NULL,
      CF_REQUIRED, 1, 200, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section limit_window_section = {
    "limits.prompts", limit_window_items, sizeof(struct rlb_conf_limit_window),
    OFF(struct rlb_conf_limit_window, line) };
static const struct conf_item limits_items[] = {
    { "prompts", CT_LIST, OFF(struct rlb_conf_limits, prompts), NULL,
      0, NOB, NULL, &limit_window_section, OFF(struct rlb_conf_limits, nprompts) },
    { "by", CT_STRLIST, OFF(struct rlb_conf_limits, by), NULL, 0, NOB, NULL, NULL,
      OFF(struct rlb_conf_limits, nby) },
    { "count", CT_ENUM, OFF(struct rlb_conf_limits, count), "first-leg",
      0, NOB, limit_counts, NULL, 0 },
    { "push_seconds", CT_FLOAT, OFF(struct rlb_conf_limits, push_seconds), "5.0",
      0, 0.5, 600, NULL, NULL, 0 },
    { "reply_message", CT_STRING, OFF(struct rlb_conf_limits, reply_message),
      "Too many sign-in attempts. Please wait a few minutes and try again.",
      0, NOB, NULL, NULL, 0 },
    { "allow_users", CT_STRLIST, OFF(struct rlb_conf_limits, allow_users), NULL, 0, NOB, NULL,
      NULL, OFF(struct rlb_conf_limits, nallow_users) },
    { "allow_file", CT_STRING, OFF(struct rlb_conf_limits, allow_file), "", 0, NOB, NULL, NULL, 0 },
    { "max_entries", CT_INT, OFF(struct rlb_conf_limits, max_entries), "1000000",
      0, 1000, 100000000, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section limits_section = { "limits", limits_items, 0, (size_t)-1 };

static const struct conf_item mfa_probe_items[] = {
    { "user", CT_STRING, OFF(struct rlb_conf_mfaprobe, user), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "password_file", CT_STRING, OFF(struct rlb_conf_mfaprobe, password_file), "",
      0, NOB, NULL, NULL, 0 },
    { "totp_secret_file", CT_STRING, OFF(struct rlb_conf_mfaprobe, totp_secret_file), "",
      0, NOB, NULL, NULL, 0 },
    { "interval", CT_FLOAT, OFF(struct rlb_conf_mfaprobe, interval), "300.0",
      0, 10, 86400, NULL, NULL, 0 },
    { "timeout", CT_FLOAT, OFF(struct rlb_conf_mfaprobe, timeout), "30.0",
      0, 1, 120, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};
static const struct conf_section mfa_probe_section = {
    "mfa_probe", mfa_probe_items, 0, (size_t)-1 };

static const struct conf_item top_items[] = {
    { "dictionary", CT_STRING, OFF(struct rlb_conf, dictionary), RLB_DEFAULT_DICTDIR,
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "listen", CT_LIST, OFF(struct rlb_conf, listen), NULL,
      CF_REQUIRED, NOB, NULL, &listen_section, OFF(struct rlb_conf, nlisten) },
    { "clients", CT_LIST, OFF(struct rlb_conf, clients), NULL,
      CF_REQUIRED, NOB, NULL, &client_section, OFF(struct rlb_conf, nclients) },
    { "servers", CT_LIST, OFF(struct rlb_conf, servers), NULL,
      0, NOB, NULL, &server_section, OFF(struct rlb_conf, nservers) },
    { "pools", CT_LIST, OFF(struct rlb_conf, pools), NULL,
      0, NOB, NULL, &pool_section, OFF(struct rlb_conf, npools) },
    { "routes", CT_LIST, OFF(struct rlb_conf, routes), NULL,
      0, NOB, NULL, &route_section, OFF(struct rlb_conf, nroutes) },
    { "routes_seed", CT_STRING, OFF(struct rlb_conf, routes_seed), "", 0, NOB, NULL, NULL, 0 },
    { "limits", CT_GROUP, OFF(struct rlb_conf, limits), NULL, 0, NOB, NULL, &limits_section, 0 },
    { "proxy", CT_GROUP, OFF(struct rlb_conf, proxy), NULL, 0, NOB, NULL, &proxy_section, 0 },
    { "sticky", CT_GROUP, OFF(struct rlb_conf, sticky), NULL, 0, NOB, NULL, &sticky_section, 0 },
    { "redis", CT_GROUP, OFF(struct rlb_conf, redis), NULL, 0, NOB, NULL, &redis_section, 0 },
    { "health", CT_GROUP, OFF(struct rlb_conf, health), NULL, 0, NOB, NULL, &health_section, 0 },
    { "mfa_probe", CT_GROUP, OFF(struct rlb_conf, mfa_probe), NULL,
      0, NOB, NULL, &mfa_probe_section, 0 },
    { "writes", CT_LIST, OFF(struct rlb_conf, writes), NULL,
      0, NOB, NULL, &write_section, OFF(struct rlb_conf, nwrites) },
    { "spool", CT_GROUP, OFF(struct rlb_conf, spool), NULL, 0, NOB, NULL, &spool_section, 0 },
    { "state_file", CT_STRING, OFF(struct rlb_conf, state_file), "",
      CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "user", CT_STRING, OFF(struct rlb_conf, user), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "group", CT_STRING, OFF(struct rlb_conf, group), "", CF_NO_RELOAD, NOB, NULL, NULL, 0 },
    { "on_promote", CT_STRING, OFF(struct rlb_conf, on_promote), "", 0, NOB, NULL, NULL, 0 },
    { "on_promote_timeout", CT_FLOAT, OFF(struct rlb_conf, on_promote_timeout), "30",
      0, 1, 3600, NULL, NULL, 0 },
    { "log", CT_GROUP, OFF(struct rlb_conf, log), NULL, 0, NOB, NULL, &log_section, 0 },
    { "control", CT_GROUP, OFF(struct rlb_conf, control), NULL, 0, NOB, NULL, &control_section, 0 },
    { "stats", CT_GROUP, OFF(struct rlb_conf, stats), NULL, 0, NOB, NULL, &stats_section, 0 },
    { "tls", CT_GROUP, OFF(struct rlb_conf, tls), NULL, 0, NOB, NULL, &tls_section, 0 },
    { "connections", CT_GROUP, OFF(struct rlb_conf, conns), NULL, 0, NOB, NULL, &conns_section, 0 },
    { NULL, 0, 0, NULL, 0, NOB, NULL, NULL, 0 },
};

const struct conf_section rlb_conf_schema = { "", top_items, sizeof(struct rlb_conf), (size_t)-1 };
