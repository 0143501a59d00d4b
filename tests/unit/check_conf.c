/*
 * check_conf.c: unit tests of src/conf/conf.c and src/conf/confcheck.c over the
 * files in tests/unit/conf (CONF_DIR, compiled in by unit.am):
 *
 *   good/NAME.conf  load with no error; "# warnings: N" on one of the first
 *                lines gives the expected warning count (default 0)
 *   bad/NAME.conf   do not load; the first line "# expect: :LINE: message"
 *                is a substring of the messages once prefixed with the
 *                file's path (so the file:line prefix is checked too)
 *
 * Every file has its own named test; a sweep over each directory makes
 * sure no file is left without one.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "balance.h"
#include "conf.h"
#include "writes.h"

#include "testutil.h"

#ifndef CONF_DIR
#error "CONF_DIR must be defined (tests/unit/unit.am)"
#endif

#define GOOD_FILES(X) \
    X(minimal) X(full) X(ipv6) X(short_secret) X(secret_13_octets) X(control_socket)      \
    X(master_keys) X(tcp) X(pools) X(pools_only) X(route_after_default) \
    X(limits)

#define BAD_FILES(X)                                                                        \
    X(unknown_key_top) X(unknown_key_section) X(unknown_key_list_entry)                     \
    X(wrong_type_int) X(wrong_type_bool) X(wrong_type_string) X(wrong_type_list)            \
    X(entry_not_group) X(missing_required_key) X(missing_required_section) X(empty_list)    \
    X(bad_server_address) X(bad_listen_address) X(wildcard_server_address)                  \
    X(bad_network) X(bad_network_prefix) X(duplicate_client_name)                           \
    X(duplicate_client_network) X(duplicate_server_name) X(duplicate_server_address)        \
    X(duplicate_listener) X(duplicate_listener_spelling) X(bad_client_name) X(empty_secret)  \
    X(no_master) X(two_masters)                                                             \
    X(bad_enum) X(out_of_range_int) X(out_of_range_float) X(bad_control_mode)               \
    X(bad_control_mode_int) X(world_writable_mode) X(relative_control_socket)               \
    X(unknown_group) X(bad_facility) X(bad_dictionary) X(syntax_error)                      \
    X(probe_password_missing) X(bad_probe) X(health_rise_zero)                              \
    X(write_no_code_no_attribute) X(write_two_tests) X(write_no_test)                       \
    X(write_test_without_attribute) X(write_unknown_attribute) X(write_bad_regex)           \
    X(write_bad_equals) X(int_beyond_32_bits) X(write_encrypted_attribute)                  \
    X(write_uncomparable_type)                                                              \
    X(write_status_server) X(relative_spool_directory) X(relative_state_file)               \
    X(spool_max_bytes_too_small) X(on_promote_timeout_zero)                               \
    X(udp_listener_any) X(duplicate_tcp_listener) X(bad_fingerprint)                        \
    X(fingerprint_without_tls) X(tls_server_no_trust) X(tls_listener_no_trust)              \
    X(tls_no_certificate) X(tls_certificate_missing) X(backoff_inverted)              \
    X(placeholder_secret)                                                                    \
    X(pool_named_default) X(pool_duplicate_name) X(pool_server_in_two_pools)                 \
    X(pool_no_master) X(pool_bad_balance) X(route_unknown_pool) X(route_two_kinds)           \
    X(route_no_kind) X(route_strip_without_realm) X(route_share_three_decimals)              \
    X(route_users_and_file) X(route_users_file_missing) X(route_unknown_client)              \
    X(route_migrate_own_pool) X(route_share_without_to) X(route_bad_attribute)            \
    X(route_mirror_own_pool) X(route_mirror_unknown_pool) X(limits_bad_by)                  \
    X(limits_same_window) X(limits_max_too_big) X(limits_allow_file_missing)                \
    X(mfa_probe_file_missing) X(mfa_probe_interval_too_short)

#define COUNT(n) +1
static const unsigned n_good = 0 GOOD_FILES(COUNT);
static const unsigned n_bad = 0 BAD_FILES(COUNT);

/* The value of "# tag: value" among the first 3 lines, or NULL. */
static char *
header(const char *path, const char *tag)
{
    char line[1024], prefix[64];
    FILE *f = fopen(path, "r");
    char *value = NULL;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    snprintf(prefix, sizeof(prefix), "# %s: ", tag);
    for (int i = 0; i < 3 && fgets(line, sizeof(line), f); i++) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            line[strcspn(line, "\n")] = '\0';
            value = strdup(line + strlen(prefix));
            break;
        }
    }
    fclose(f);
    return value;
}

/*
 * The checks return NULL or what is wrong, having freed everything: a
 * failed assertion in no-fork mode (valgrind) then leaks nothing.
 */
static char failure[4096];

static const char *
good_path_failure(const char *path)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *conf = rlb_conf_load(path, &msgs);
    char *w = header(path, "warnings");
    unsigned warnings = w ? (unsigned)atoi(w) : 0;
    const char *text = msgs.text ? msgs.text : "";

    failure[0] = '\0';
    if (!conf || msgs.errors)
        snprintf(failure, sizeof(failure), "%s does not load (%u errors):\n%s", path, msgs.errors, text);
    else if (msgs.warnings != warnings)
        snprintf(failure, sizeof(failure), "%s: %u warnings, expected %u:\n%s", path, msgs.warnings,
                 warnings, text);
    free(w);
    rlb_conf_free(conf);
    rlb_conf_msgs_free(&msgs);
    return failure[0] ? failure : NULL;
}

static const char *
bad_path_failure(const char *path)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *conf;
    char *expect = header(path, "expect");
    char want[2048];

    failure[0] = '\0';
    if (!expect) {
        snprintf(failure, sizeof(failure), "%s: no \"# expect: \" on its first line", path);
        return failure;
    }
    if (expect[0] != ':') {
        snprintf(failure, sizeof(failure), "%s: the expectation must start with \":LINE:\"", path);
        free(expect);
        return failure;
    }
    snprintf(want, sizeof(want), "%s%s", path, expect);
    free(expect);

    conf = rlb_conf_load(path, &msgs);
    if (conf)
        snprintf(failure, sizeof(failure), "%s loaded (%u warnings)", path, msgs.warnings);
    else if (msgs.errors == 0)
        snprintf(failure, sizeof(failure), "%s: not loaded, but no error counted", path);
    else if (!msgs.text || !strstr(msgs.text, want))
        snprintf(failure, sizeof(failure), "expected\n  %s\ngot\n%s", want, msgs.text ? msgs.text : "");
    rlb_conf_free(conf);
    rlb_conf_msgs_free(&msgs);
    return failure[0] ? failure : NULL;
}

static void
check_good_path(const char *path)
{
    const char *why = good_path_failure(path);

    ck_assert_msg(why == NULL, "%s", why);
}

static void
check_bad_path(const char *path)
{
    const char *why = bad_path_failure(path);

    ck_assert_msg(why == NULL, "%s", why);
}

static void
check_good(const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/good/%s", CONF_DIR, name);
    check_good_path(path);
}

static void
check_bad(const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/bad/%s", CONF_DIR, name);
    check_bad_path(path);
}

#define DEF_GOOD(n) START_TEST(good_##n) { check_good(#n ".conf"); } END_TEST
#define DEF_BAD(n) START_TEST(bad_##n) { check_bad(#n ".conf"); } END_TEST
GOOD_FILES(DEF_GOOD)
BAD_FILES(DEF_BAD)

/* ------------------------------------------------------------------ */
/* Sweeps                                                             */

/* Runs check on every NAME.conf of a directory; returns how many, and
 * the first failure in *why (NULL when none). */
static unsigned
sweep(const char *sub, const char *(*check)(const char *path), char *why, size_t whylen)
{
    char dir[1024], path[2048];
    DIR *d;
    struct dirent *e;
    unsigned n = 0;

    why[0] = '\0';
    snprintf(dir, sizeof(dir), "%s/%s", CONF_DIR, sub);
    d = opendir(dir);
    if (!d) {
        snprintf(why, whylen, "cannot open %s", dir);
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        const char *f;

        if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = check(path);
        if (f && !why[0])
            snprintf(why, whylen, "%s", f);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(every_good_file_loads)
{
    static char why[4096];
    unsigned n = sweep("good", good_path_failure, why, sizeof(why));

    ck_assert_msg(!why[0], "%s", why);
    ck_assert_msg(n == n_good, "%u files in good/, %u named tests", n, n_good);
}
END_TEST

START_TEST(every_bad_file_fails_as_expected)
{
    static char why[4096];
    unsigned n = sweep("bad", bad_path_failure, why, sizeof(why));

    ck_assert_msg(!why[0], "%s", why);
    ck_assert_msg(n == n_bad, "%u files in bad/, %u named tests", n, n_bad);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Specific cases                                                     */

START_TEST(unreadable_file)
{
    static const char path[] = "/nonexistent/radlb-unit/radlb.conf";
    struct rlb_conf_msgs msgs;

    ck_assert_ptr_null(rlb_conf_load(path, &msgs));
    ck_assert_uint_eq(msgs.errors, 1);
    ck_assert_ptr_nonnull(msgs.text);
    static const char want[] = "/nonexistent/radlb-unit/radlb.conf: cannot read the "
                               "configuration file";

    ck_assert_msg(strncmp(msgs.text, want, sizeof(want) - 1) == 0,
                  "got %s", msgs.text);
    ck_assert_ptr_nonnull(strstr(msgs.text, "No such file or directory"));
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(directory_is_not_a_file)
{
    struct rlb_conf_msgs msgs;

    ck_assert_ptr_null(rlb_conf_load(CONF_DIR, &msgs));
    ck_assert_uint_ge(msgs.errors, 1);
    ck_assert_ptr_nonnull(msgs.text);
    ck_assert_ptr_nonnull(strstr(msgs.text, CONF_DIR ":"));
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(short_secret_warning_text)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *conf = rlb_conf_load(CONF_DIR "/good/short_secret.conf", &msgs);

    ck_assert_ptr_nonnull(conf);
    ck_assert_uint_eq(msgs.errors, 0);
    ck_assert_uint_eq(msgs.warnings, 1);
    ck_assert_ptr_nonnull(msgs.text);
    ck_assert_msg(strstr(msgs.text, CONF_DIR "/good/short_secret.conf:4: warning: key \"secret\": "
                                    "the secret of client \"nas1\" is only 12 octets") != NULL,
                  "got %s", msgs.text);
    /* The secret itself is never in a message. */
    ck_assert_ptr_null(strstr(msgs.text, "twelve-chars"));
    rlb_conf_free(conf);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(defaults_applied)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/minimal.conf", &msgs);

    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->dictionary, RLB_DEFAULT_DICTDIR);
    ck_assert_uint_eq(c->nlisten, 1);
    ck_assert_int_eq(c->listen[0].type, RLB_LISTEN_AUTH);
    ck_assert_int_eq(c->listen[0].proto, RLB_PROTO_UDP);
    ck_assert_int_eq(c->listen[0].addr.sa.sa_family, AF_INET);
    ck_assert_uint_eq(rlb_sockaddr_port(&c->listen[0].addr), 1812);
    ck_assert(!c->listen[0].freebind);
    ck_assert_uint_eq(c->nclients, 1);
    ck_assert(!c->clients[0].require_ma);
    ck_assert(c->clients[0].limit_proxy_state);
    ck_assert_uint_eq(c->clients[0].net.prefix, 8);
    ck_assert_uint_eq(c->nservers, 1);
    ck_assert_int_eq(c->servers[0].auth_port, 1812);
    ck_assert_int_eq(c->servers[0].acct_port, 1813);
    ck_assert_uint_eq(rlb_sockaddr_port(&c->servers[0].acct_addr), 1813);
    ck_assert_int_eq(c->servers[0].weight, 1);
    ck_assert_int_eq(c->servers[0].role, RLB_ROLE_MASTER);
    ck_assert(!c->servers[0].require_ma);
    ck_assert_int_eq(c->proxy.balance, RLB_BALANCE_LEAST_OUTSTANDING);
    ck_assert(c->proxy.response_timeout == 60.0);
    ck_assert(c->proxy.dedup_window == 30.0);
    ck_assert_int_eq(c->proxy.timeout_action, RLB_TIMEOUT_REJECT);
    ck_assert_ptr_nonnull(c->proxy.timeout_message);
    ck_assert_int_eq(c->proxy.max_attributes, 200);
    ck_assert_int_eq(c->proxy.max_sockets, 1024);
    ck_assert_int_eq(c->proxy.recv_buffer, 8388608);
    ck_assert(c->sticky.ttl == 300.0);
    ck_assert_int_eq(c->sticky.max_entries, 1000000);
    ck_assert_str_eq(c->log.facility, "daemon");
    ck_assert_str_eq(c->control.socket, "");
    ck_assert_int_eq(c->control.mode, 0660);
    ck_assert_str_eq(c->control.group, "");
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(full_values)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/full.conf", &msgs);

    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->nlisten, 2);
    ck_assert_int_eq(c->listen[1].type, RLB_LISTEN_ACCT);
    ck_assert_int_eq(c->listen[1].port, 11813);
    ck_assert(!c->listen[0].freebind);
    ck_assert(c->listen[1].freebind);
    ck_assert_uint_eq(c->nclients, 2);
    ck_assert_str_eq(c->clients[1].name, "wifi.ctl-1");
    ck_assert(c->clients[0].require_ma);
    ck_assert(!c->clients[0].limit_proxy_state);
    ck_assert_uint_eq(c->nservers, 2);
    ck_assert_int_eq(c->servers[0].weight, 5);
    ck_assert(c->servers[0].require_ma);
    ck_assert_int_eq(c->servers[1].role, RLB_ROLE_SUBORDINATE);
    ck_assert_int_eq(c->servers[1].auth_port, 31822);
    ck_assert_uint_eq(rlb_sockaddr_port(&c->servers[1].auth_addr), 31822);
    ck_assert_int_eq(c->proxy.balance, RLB_BALANCE_WEIGHTED);
    ck_assert(c->proxy.response_timeout == 90.5);
    ck_assert(c->proxy.dedup_window == 10.0);     /* an integer for a float key */
    ck_assert_int_eq(c->proxy.timeout_action, RLB_TIMEOUT_DROP);
    ck_assert_str_eq(c->proxy.timeout_message, "Try again.");
    ck_assert_int_eq(c->proxy.max_attributes, 150);
    ck_assert_int_eq(c->proxy.max_sockets, 64);
    ck_assert_int_eq(c->proxy.recv_buffer, 1048576);
    ck_assert(c->sticky.ttl == 600.0);
    ck_assert_int_eq(c->sticky.max_entries, 5000);
    ck_assert_str_eq(c->log.facility, "local3");
    ck_assert_int_eq(c->control.mode, 0600);
    /* Lines recorded for each list entry. */
    ck_assert_int_eq(c->listen[0].line, 5);
    ck_assert_int_eq(c->listen[1].line, 6);
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(ipv6_resolved)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/ipv6.conf", &msgs);
    char buf[64];

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->listen[0].addr.sa.sa_family, AF_INET6);
    ck_assert_int_eq(c->clients[0].net.family, AF_INET6);
    ck_assert_str_eq(rlb_network_str(&c->clients[0].net, buf, sizeof(buf)), "2001:db8:1::/48");
    ck_assert_str_eq(rlb_network_str(&c->clients[1].net, buf, sizeof(buf)), "192.0.2.0/24");
    ck_assert_int_eq(c->servers[0].auth_addr.sa.sa_family, AF_INET6);
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

struct dump {
    char   text[16384];
    size_t len;
};

static void
dump_line(void *arg, const char *line)
{
    struct dump *d = arg;
    int n = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s\n", line);

    if (n > 0 && d->len + (size_t)n < sizeof(d->text))
        d->len += (size_t)n;
}

START_TEST(dump_masks_secrets)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/full.conf", &msgs);
    static struct dump d;

    ck_assert_ptr_nonnull(c);
    memset(&d, 0, sizeof(d));
    rlb_conf_dump(c, dump_line, &d);
    ck_assert_ptr_nonnull(strstr(d.text, "secret = \"********\";"));
    ck_assert_ptr_null(strstr(d.text, "client-secret"));
    ck_assert_ptr_null(strstr(d.text, "server-secret"));
    ck_assert_ptr_nonnull(strstr(d.text, "balance = \"weighted\";"));
    ck_assert_ptr_nonnull(strstr(d.text, "mode = \"0600\";"));
    ck_assert_ptr_nonnull(strstr(d.text, "name = \"wifi.ctl-1\";"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(master_keys_defaults)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/minimal.conf", &msgs);

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->health.probe, RLB_PROBE_STATUS_SERVER);
    ck_assert(c->health.interval == 2.0);
    ck_assert(c->health.timeout == 1.0);
    ck_assert_int_eq(c->health.rise, 2);
    ck_assert_int_eq(c->health.fall, 3);
    ck_assert_str_eq(c->health.probe_user, "radlb-probe");
    ck_assert_str_eq(c->health.probe_password, "");
    ck_assert(c->health.master_serves_reads);
    ck_assert(!c->writes_given);               /* Accounting-Request is then a write */
    ck_assert_uint_eq(c->nwrites, 0);
    ck_assert_str_eq(c->spool.directory, "");
    ck_assert(c->spool.max_bytes == 1073741824.0);
    ck_assert_str_eq(c->state_file, "");
    ck_assert_str_eq(c->on_promote, "");
    ck_assert(c->on_promote_timeout == 30.0);
    ck_assert_ptr_nonnull(strstr(c->proxy.no_master_message, "master"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

/* Pools: the default one first, every server once (in pool order), each
 * pool's balance, health and writes resolved; routes resolved to pool
 * indices and basis points. */
START_TEST(pools_resolved)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/pools.conf", &msgs);
    const struct rlb_conf_pool *d, *vpn, *nw;

    ck_assert_msg(c != NULL, "%s", msgs.text ? msgs.text : "");
    ck_assert_uint_eq(c->npool, 3);
    d = c->pool[0];
    vpn = c->pool[1];
    nw = c->pool[2];
    ck_assert_str_eq(d->name, "default");
    ck_assert(d->top && !vpn->top);
    ck_assert_str_eq(vpn->name, "vpn");
    ck_assert_str_eq(nw->name, "new");
    ck_assert_uint_eq(c->nsrv, 4);
    ck_assert_str_eq(c->srv[0]->name, "mfa1");
    ck_assert_str_eq(c->srv[2]->name, "vpn2");
    ck_assert_uint_eq(c->srv[2]->pool, 1);
    ck_assert_uint_eq(c->srv[3]->pool, 2);
    ck_assert_int_eq(vpn->master, 1);
    ck_assert_int_eq(d->balance, RLB_BALANCE_LEAST_OUTSTANDING);
    ck_assert_int_eq(vpn->balance, RLB_BALANCE_ROUND_ROBIN);
    ck_assert(vpn->health.interval == 5.0 && vpn->health.fall == 5);
    ck_assert(vpn->health.timeout == 1.0 && vpn->health.rise == 2);   /* the top-level's */
    ck_assert(nw->health.interval == 2.0);
    ck_assert(vpn->writes_given && vpn->nwrites == 1);
    ck_assert(!nw->writes_given && nw->nwrites == 0);   /* the top-level default */
    ck_assert_uint_eq(c->nroutes, 5);
    ck_assert_int_eq(c->routes[0].pool_index, 1);
    ck_assert(c->routes[0].strip);
    ck_assert_int_eq(c->routes[1].pool_index, 2);
    ck_assert_int_eq(c->routes[3].pool_index, 0);
    ck_assert_int_eq(c->routes[3].to_index, 2);
    ck_assert_uint_eq(c->routes[3].share_bp, 1250);
    ck_assert_int_eq(c->routes[0].to_index, -1);
    ck_assert_str_eq(c->routes_seed, "cluster-7");
    ck_assert_ptr_nonnull(strstr(c->proxy.unroutable_message, "No authentication service"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

/* users_file: one name a line; the newline (and a CR) is not part of it,
 * empty lines and # lines are skipped. */
START_TEST(users_file_read)
{
    char dir[] = "/tmp/radlb-conf.XXXXXX", users[128], file[128];
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(users, sizeof(users), "%s/users", dir);
    snprintf(file, sizeof(file), "%s/radlb.conf", dir);
    f = fopen(users, "w");
    fputs("# pilot group\nalice@example.com\n\nbob@example.com\r\ncarol\\x", f);
    fclose(f);
    f = fopen(file, "w");
    fprintf(f, "listen = ( { type = \"auth\"; address = \"127.0.0.1\"; port = 1812; } );\n"
               "clients = ( { name = \"nas1\"; network = \"127.0.0.0/8\"; "
               "secret = \"client-secret-0123456789\"; } );\n"
               "servers = ( { name = \"mfa1\"; address = \"127.0.0.1\"; "
               "secret = \"server-secret-0123456789\"; role = \"master\"; } );\n"
               "pools = ( { name = \"b\"; servers = ( { name = \"b1\"; address = \"127.0.0.2\"; "
               "secret = \"server-secret-0123456789\"; role = \"master\"; } ); } );\n"
               "routes = ( { default = true; pool = \"default\"; "
               "migrate = { to = \"b\"; users_file = \"%s\"; }; } );\n"
               "control = { socket = \"\"; };\n", users);
    fclose(f);
    c = rlb_conf_load(file, &msgs);
    ck_assert_msg(c != NULL, "%s", msgs.text ? msgs.text : "");
    ck_assert_uint_eq(c->routes[0].nfile_users, 3);
    ck_assert_str_eq(c->routes[0].file_users[0], "alice@example.com");
    ck_assert_str_eq(c->routes[0].file_users[1], "bob@example.com");
    ck_assert_str_eq(c->routes[0].file_users[2], "carol\\x");
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
    unlink(users);
    unlink(file);
    rmdir(dir);
}
END_TEST

/* Prompt budgets: windows, keys, count, allow-list; off by default. */
START_TEST(limits_resolved)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/limits.conf", &msgs), *d;

    ck_assert_msg(c != NULL, "%s", msgs.text ? msgs.text : "");
    ck_assert_uint_eq(c->limits.nprompts, 2);
    ck_assert(c->limits.prompts[1].window == 86400.0 && c->limits.prompts[1].max == 20);
    ck_assert(c->limits.by_kind[0] && c->limits.by_kind[1] && !c->limits.by_kind[2]);
    ck_assert_int_eq(c->limits.count, RLB_LIMIT_COUNT_CHALLENGE);
    ck_assert(c->limits.push_seconds == 8.0);
    ck_assert_int_eq(c->limits.max_entries, 5000);
    ck_assert_str_eq(c->limits.allow_users[0], "radlb-probe");
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
    d = rlb_conf_load(CONF_DIR "/good/minimal.conf", &msgs);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->limits.nprompts, 0);
    ck_assert(d->limits.by_kind[0] && !d->limits.by_kind[1]);
    ck_assert_int_eq(d->limits.count, RLB_LIMIT_COUNT_FIRST_LEG);
    ck_assert_ptr_nonnull(strstr(d->limits.reply_message, "Too many sign-in attempts"));
    rlb_conf_free(d);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(master_keys_values)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = rlb_conf_load(CONF_DIR "/good/master_keys.conf", &msgs);
    const struct rlb_conf_write *w;
    struct rlb_writes ws;
    static struct dump d;
    char err[512];

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->health.probe, RLB_PROBE_ACCESS_REQUEST);
    ck_assert(c->health.interval == 5.0);
    ck_assert(c->health.timeout == 1.5);
    ck_assert_int_eq(c->health.rise, 3);
    ck_assert_int_eq(c->health.fall, 4);
    ck_assert_str_eq(c->health.probe_user, "radlb-health");
    ck_assert_str_eq(c->health.probe_password, "probe-password-0123456789");
    ck_assert(!c->health.master_serves_reads);
    ck_assert_str_eq(c->spool.directory, "/var/spool/radlb");
    ck_assert(c->spool.max_bytes == 2147483648.0);
    ck_assert_str_eq(c->state_file, "/var/lib/radlb/state");
    ck_assert_str_eq(c->on_promote, "/usr/local/sbin/radlb-promoted");
    ck_assert(c->on_promote_timeout == 45.0);
    ck_assert_str_eq(c->proxy.no_master_message,
                     "Enrollment is unavailable right now. Please try again later.");

    /* The rules, resolved by the validate pass. */
    ck_assert(c->writes_given);
    ck_assert_uint_eq(c->nwrites, 8);
    w = &c->writes[0];
    ck_assert_int_eq(w->line, 28);
    ck_assert_int_eq(w->code_num, 0);
    ck_assert_uint_eq(w->vendor, 0);
    ck_assert_uint_eq(w->attr, 1);              /* User-Name */
    ck_assert_str_eq(w->regex, "^svc-");
    ck_assert_int_eq(w->class, RLB_CLASS_READ);
    w = &c->writes[1];
    ck_assert_int_eq(w->code_num, 1);
    ck_assert_uint_eq(w->attr, 32);             /* NAS-Identifier */
    ck_assert_str_eq(w->equals, "enrollment-portal");
    ck_assert_int_eq(w->class, RLB_CLASS_WRITE); /* the default */
    w = &c->writes[2];
    ck_assert_int_eq(w->code_num, 4);
    ck_assert_uint_eq(w->attr, 40);             /* Acct-Status-Type */
    ck_assert_str_eq(w->equals, "Start");
    w = &c->writes[4];
    ck_assert_uint_eq(w->vendor, 9);            /* Cisco-AVPair */
    ck_assert_uint_eq(w->attr, 1);
    ck_assert(c->writes[5].exists && !c->writes[5].missing);
    ck_assert(c->writes[6].missing && !c->writes[6].exists);
    w = &c->writes[7];
    ck_assert_int_eq(w->line, 35);
    ck_assert_int_eq(w->code_num, 4);
    ck_assert_str_eq(w->attribute, "");

    /* What radlb builds from them at start. */
    ck_assert_msg(rlb_writes_build(&ws, c->pool[0], c->file, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(ws.n, 8);
    rlb_writes_free(&ws);

    /* The probe password is a secret. */
    memset(&d, 0, sizeof(d));
    rlb_conf_dump(c, dump_line, &d);
    ck_assert_ptr_nonnull(strstr(d.text, "probe_password = \"********\";"));
    ck_assert_ptr_null(strstr(d.text, "probe-password-0123456789"));
    ck_assert_ptr_nonnull(strstr(d.text, "probe = \"access-request\";"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(every_message_has_file_and_line)
{
    /* A file with several errors: each message line is "file:line: ". */
    static const char path[] = CONF_DIR "/bad/duplicate_server_name.conf";
    struct rlb_conf_msgs msgs;
    const char *p;

    ck_assert_ptr_null(rlb_conf_load(path, &msgs));
    ck_assert_ptr_nonnull(msgs.text);
    for (p = msgs.text; *p; p = strchr(p, '\n') + 1) {
        ck_assert_msg(strncmp(p, path, strlen(path)) == 0 && p[strlen(path)] == ':', "line: %s", p);
        ck_assert_ptr_nonnull(strchr(p, '\n'));
    }
    rlb_conf_msgs_free(&msgs);
}
END_TEST

static Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc;

    tc = tcase_create("good");
#define ADD_GOOD(n) tcase_add_test(tc, good_##n);
    GOOD_FILES(ADD_GOOD)
    tcase_add_test(tc, every_good_file_loads);
    tcase_add_test(tc, short_secret_warning_text);
    tcase_add_test(tc, defaults_applied);
    tcase_add_test(tc, full_values);
    tcase_add_test(tc, ipv6_resolved);
    tcase_add_test(tc, dump_masks_secrets);
    tcase_add_test(tc, master_keys_defaults);
    tcase_add_test(tc, pools_resolved);
    tcase_add_test(tc, limits_resolved);
    tcase_add_test(tc, users_file_read);
    tcase_add_test(tc, master_keys_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
#define ADD_BAD(n) tcase_add_test(tc, bad_##n);
    BAD_FILES(ADD_BAD)
    tcase_add_test(tc, every_bad_file_fails_as_expected);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, directory_is_not_a_file);
    tcase_add_test(tc, every_message_has_file_and_line);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(conf_suite());
}
