/*
 * confcheck.c: the validate pass of the configuration: addresses and
 * networks, unique names, exactly one master, secrets, the control socket
 * and the dictionary. The parse pass (conf.c) has already checked types,
 * bounds and unknown keys.
 */
#include "config.h"

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "confcheck.h"
#include "confcheck_int.h"
#include "confmsg.h"
#include "tls.h"
#include "writes.h"
#include "dict.h"

const config_setting_t *
conf_elem(const struct vctx *v, const char *list, unsigned i)
{
    const config_setting_t *l = config_lookup(v->cfg, list);

    return l ? config_setting_get_elem(l, i) : NULL;
}

bool
conf_name_ok(const char *s)
{
    if (!s[0] || strlen(s) > 64)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void
check_secret(const struct vctx *v, const config_setting_t *e, const char *what,
             const char *name, const char *secret)
{
    size_t len = strlen(secret);

    if (len == 0)
        conf_msg_member(v->m, true, e, "secret",
                        "the secret of %s \"%s\" is empty: set the shared secret", what, name);
    else if (strcmp(secret, RLB_PLACEHOLDER_SECRET) == 0)
        conf_msg_member(v->m, true, e, "secret",
                        "the secret of %s \"%s\" is still the placeholder \"%s\" of the "
                        "installed file: set the shared secret it really uses (radlb.conf(5))",
                        what, name, RLB_PLACEHOLDER_SECRET);
    else if (len <= 12)
        conf_msg_member(v->m, false, e, "secret",
                        "the secret of %s \"%s\" is only %zu octets: "
                        "use a random secret of 16 octets or more",
                        what, name, len);
}

void
conf_check_name(const struct vctx *v, const config_setting_t *e, const char *what,
                const char *name)
{
    if (!conf_name_ok(name))
        conf_msg_member(v->m, true, e, "name",
                        "%s name \"%s\" must be 1 to 64 letters, digits, '-', '_' or '.'", what,
                        name);
}

static void
check_fp(const struct vctx *v, const config_setting_t *e, const char *text, bool *has,
         unsigned char *fp)
{
    *has = false;
    if (!text || !text[0])
        return;
    if (rlb_tls_fp_parse(text, fp) < 0) {
        conf_msg_member(v->m, true, e, "fingerprint",
                        "\"%s\" is not a SHA-256 certificate fingerprint: write it as printed by "
                        "\"openssl x509 -noout -fingerprint -sha256 -in CERT\" (sha256:AB:CD:...)",
                        text);
        return;
    }
    *has = true;
}

static void
check_listen(struct rlb_conf *c, const struct vctx *v)
{
    if (c->nlisten == 0)
        conf_msg(v->m, true, config_lookup(v->cfg, "listen"), "listen", "needs at least one entry");

    for (unsigned i = 0; i < c->nlisten; i++) {
        struct rlb_conf_listen *l = &c->listen[i];
        const config_setting_t *e = conf_elem(v, "listen", i);

        if (l->proto == RLB_PROTO_UDP && l->type == RLB_LISTEN_ANY)
            conf_msg_member(v->m, true, e, "type",
                            "a UDP listener needs type = \"auth\" or \"acct\" (\"any\" is for tcp "
                            "and tls, where one connection carries both)");
        if (l->proto != RLB_PROTO_UDP)
            c->uses_stream = true;
        if (l->proto == RLB_PROTO_TLS)
            c->uses_tls = true;
        if (rlb_addr_parse(l->address, (uint16_t)l->port, &l->addr) < 0) {
            conf_msg_member(v->m, true, e, "address",
                            "\"%s\" is not an IPv4 or IPv6 address "
                            "(use 0.0.0.0 or :: for every address)",
                            l->address);
            continue;
        }
        for (unsigned j = 0; j < i; j++) {
            /* UDP and a stream listener may share a port number. */
            if ((c->listen[j].proto == RLB_PROTO_UDP) != (l->proto == RLB_PROTO_UDP))
                continue;
            if (rlb_sockaddr_equal(&c->listen[j].addr, &l->addr))
                conf_msg_member(v->m, true, e, "port",
                                "%s port %d is already used by the listener at line %d", l->address,
                                l->port, c->listen[j].line);
        }
    }
}

/* Every listener is TLS: a client's secret is then RadSec's "radsec". */
static bool
only_tls_listeners(const struct rlb_conf *c)
{
    for (unsigned i = 0; i < c->nlisten; i++) {
        if (c->listen[i].proto != RLB_PROTO_TLS)
            return false;
    }
    return c->nlisten > 0;
}

static void
check_clients(struct rlb_conf *c, const struct vctx *v)
{
    if (c->nclients == 0)
        conf_msg(v->m, true, config_lookup(v->cfg, "clients"), "clients",
                 "needs at least one entry");

    for (unsigned i = 0; i < c->nclients; i++) {
        struct rlb_conf_client *cl = &c->clients[i];
        const config_setting_t *e = conf_elem(v, "clients", i);

        conf_check_name(v, e, "client", cl->name);
        if (strcmp(cl->secret, "radsec") != 0 || !only_tls_listeners(c))
            check_secret(v, e, "client", cl->name, cl->secret);
        check_fp(v, e, cl->fingerprint, &cl->has_fp, cl->fp);
        if (rlb_network_parse(cl->network, &cl->net) < 0) {
            conf_msg_member(v->m, true, e, "network",
                            "\"%s\" is not a network: "
                            "write an address or address/prefix, like 10.0.0.0/8",
                            cl->network);
            continue;
        }
        for (unsigned j = 0; j < i; j++) {
            const struct rlb_conf_client *o = &c->clients[j];

            if (strcmp(o->name, cl->name) == 0)
                conf_msg_member(v->m, true, e, "name",
                                "client \"%s\" is already defined at line %d", cl->name, o->line);
            if (o->net.family == cl->net.family && o->net.prefix == cl->net.prefix &&
                memcmp(o->net.addr, cl->net.addr, sizeof(o->net.addr)) == 0)
                conf_msg_member(v->m, true, e, "network",
                                "network %s is already the network of client \"%s\" (line %d)",
                                cl->network, o->name, o->line);
        }
    }
}

/* One list of servers (the top-level one or a pool's, at path): names,
 * secrets, pins, addresses and exactly one master. Names and addresses
 * are compared across every pool afterwards (confpools.c). */
void
conf_check_servers(struct rlb_conf *c, const struct vctx *v, const char *path,
                  struct rlb_conf_server *list, unsigned n, int *master_out)
{
    int master = -1;

    if (n == 0)
        conf_msg(v->m, true, config_lookup(v->cfg, path), "servers", "needs at least one entry");

    for (unsigned i = 0; i < n; i++) {
        struct rlb_conf_server *s = &list[i];
        const config_setting_t *e = conf_elem(v, path, i);

        conf_check_name(v, e, "server", s->name);
        if (s->proto != RLB_PROTO_TLS)
            check_secret(v, e, "server", s->name, s->secret);
        else if (!s->secret[0])        /* RadSec's secret is "radsec" (RFC 6614): not weak */
            conf_msg_member(v->m, true, e, "secret",
                            "the secret of server \"%s\" is empty: RadSec uses \"radsec\"",
                            s->name);
        check_fp(v, e, s->fingerprint, &s->has_fp, s->fp);
        if (s->proto != RLB_PROTO_UDP)
            c->uses_stream = true;
        if (s->proto == RLB_PROTO_TLS) {
            c->uses_tls = true;
            /* RadSec carries both on one port (RFC 6614): 2083 unless given. */
            if (!e || !config_setting_get_member(e, "auth_port"))
                s->auth_port = 2083;
            if (!e || !config_setting_get_member(e, "acct_port"))
                s->acct_port = 2083;
        } else if (s->tls_name[0] || s->has_fp) {
            conf_msg_member(v->m, true, e, s->has_fp ? "fingerprint" : "tls_name",
                            "server \"%s\" does not use TLS: set proto = \"tls\" or remove the key",
                            s->name);
        }
        if (rlb_addr_parse(s->address, (uint16_t)s->auth_port, &s->auth_addr) < 0 ||
            rlb_addr_parse(s->address, (uint16_t)s->acct_port, &s->acct_addr) < 0) {
            conf_msg_member(v->m, true, e, "address", "\"%s\" is not an IPv4 or IPv6 address",
                            s->address);
            continue;
        }
        if (rlb_sockaddr_is_any(&s->auth_addr))
            conf_msg_member(v->m, true, e, "address", "%s is not a server address", s->address);
        if (s->role == RLB_ROLE_MASTER) {
            if (master >= 0)
                conf_msg_member(v->m, true, e, "role",
                                "\"%s\" and \"%s\" are both masters: "
                                "exactly one server has role = \"master\"",
                                list[master].name, s->name);
            else
                master = (int)i;
        }
    }
    if (n > 0 && master < 0)
        conf_msg(v->m, true, config_lookup(v->cfg, path), "servers",
                 "no server has role = \"master\": "
                 "mark exactly one (the one with the writable MFA database)");
    *master_out = master;
}

static const struct { const char *name; int code; } facilities[] = {
    { "daemon", LOG_DAEMON }, { "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
    { "user", LOG_USER }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
    { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
    { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* A Reply-Message radlb writes itself must fit in a packet with room to spare. */
static void
check_message(const struct vctx *v, const char *section, const char *key, const char *text)
{
    if (strlen(text) > 1000)
        conf_msg_member(v->m, true, config_lookup(v->cfg, section), key,
                        "is %zu octets: 1000 at most (it must fit in a RADIUS packet)",
                        strlen(text));
}

static void
check_facility(const struct vctx *v, const config_setting_t *log, const char *key,
               const char *name, int *code)
{
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strcmp(facilities[i].name, name) == 0) {
            *code = facilities[i].code;
            return;
        }
    }
    conf_msg_member(v->m, true, log, key,
                    "\"%s\" is not a syslog facility: "
                    "use daemon, auth, authpriv, user or local0 to local7",
                    name);
}

static void
check_misc(struct rlb_conf *c, const struct vctx *v)
{
    const config_setting_t *log = config_lookup(v->cfg, "log");
    const config_setting_t *ctl = config_lookup(v->cfg, "control");
    const config_setting_t *root = config_root_setting(v->cfg);
    char path[4096];

    check_facility(v, log, "facility", c->log.facility, &c->log.facility_code);
    check_facility(v, log, "auth_facility", c->log.auth_facility, &c->log.auth_facility_code);

    if (c->control.socket[0]) {
        if (c->control.socket[0] != '/')
            conf_msg_member(v->m, true, ctl, "socket",
                            "\"%s\" must be an absolute path (or \"\" for none)",
                            c->control.socket);
        else if (strlen(c->control.socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            conf_msg_member(v->m, true, ctl, "socket",
                            "the path is longer than a unix socket allows (%zu)",
                            sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        if (c->control.mode & 0007)
            conf_msg_member(v->m, true, ctl, "mode",
                            "\"%04o\" gives every local user access: use 0600 or 0660",
                            (unsigned)c->control.mode);
    }
    if (c->user[0] && !getpwnam(c->user))
        conf_msg_member(v->m, true, root, "user", "no such user \"%s\" (adduser --system %s)",
                        c->user, c->user);
    if (c->group[0] && !c->user[0])
        conf_msg_member(v->m, true, root, "group", "set without user: set user too");
    else if (c->group[0] && !getgrnam(c->group))
        conf_msg_member(v->m, true, root, "group", "no such group \"%s\"", c->group);
    if (c->control.group[0] && !getgrnam(c->control.group))
        conf_msg_member(v->m, true, ctl, "group", "no such group \"%s\"", c->control.group);

    check_message(v, "proxy", "timeout_reply_message", c->proxy.timeout_message);
    check_message(v, "proxy", "unavailable_reply_message", c->proxy.unavailable_message);
    check_message(v, "proxy", "no_master_reply_message", c->proxy.no_master_message);
    check_message(v, "proxy", "unroutable_reply_message", c->proxy.unroutable_message);
    check_message(v, "sticky", "reject_message", c->sticky.reject_message);

    snprintf(path, sizeof(path), "%s/dictionary", c->dictionary);
    if (access(path, R_OK) != 0)
        conf_msg_member(v->m, true, root, "dictionary",
                        "cannot read %s: point it at the FreeRADIUS dictionary directory "
                        "(apt-get install freeradius-common)",
                        path);
}

static void
check_sticky(struct rlb_conf *c, const struct vctx *v)
{
    const config_setting_t *st = config_lookup(v->cfg, "sticky");
    const config_setting_t *rs = config_lookup(v->cfg, "redis");
    struct rlb_conf_sticky *s = &c->sticky;
    struct rlb_conf_redis *r = &c->redis;
    char err[256];

    if (s->naffinity > RLB_AFFINITY_MAX) {
        conf_msg_member(v->m, true, st, "affinity_attributes", "at most %d attributes",
                        RLB_AFFINITY_MAX);
        return;
    }
    if (s->naffinity && rlb_dict_load(c->dictionary, err, sizeof(err)) < 0) {
        conf_msg_member(v->m, true, st, "affinity_attributes", "%s", err);
        return;
    }
    for (unsigned i = 0; i < s->naffinity; i++) {
        if (rlb_dict_attr_by_name(s->affinity_attributes[i], &s->aff_vendor[i],
                                  &s->aff_attr[i]) < 0) {
            conf_msg_member(v->m, true, st, "affinity_attributes",
                            "\"%s\" is not an attribute of the RADIUS dictionary (see %s)",
                            s->affinity_attributes[i], c->dictionary);
            continue;
        }
        for (unsigned j = 0; j < i; j++) {
            if (s->aff_vendor[j] == s->aff_vendor[i] && s->aff_attr[j] == s->aff_attr[i])
                conf_msg_member(v->m, true, st, "affinity_attributes", "\"%s\" is listed twice",
                                s->affinity_attributes[i]);
        }
    }

    if (strlen(r->prefix) > 64)
        conf_msg_member(v->m, true, rs, "prefix", "is %zu octets: 64 at most", strlen(r->prefix));
    if (s->store != RLB_STORE_REDIS) {
        if (rs)
            conf_msg(v->m, false, rs, "redis",
                     "is not used: sessions are shared through Redis only with "
                     "sticky.store = \"redis\"");
        return;
    }
    if (r->username[0] && !r->password[0])
        conf_msg_member(v->m, true, rs, "username",
                        "needs a password: Redis authenticates an ACL user (AUTH %s <password>)",
                        r->username);
    if (r->sentinel_username[0] && !r->sentinel_password[0])
        conf_msg_member(v->m, true, rs, "sentinel_username",
                        "needs a sentinel_password: a Sentinel authenticates an ACL user "
                        "(AUTH %s <password>)", r->sentinel_username);
    if (r->nsentinels == 0) {
        if (r->sentinel_password[0] || r->sentinel_username[0])
            conf_msg(v->m, false, rs, "redis",
                     "sentinel_username and sentinel_password are not used without sentinels");
        if (rlb_addr_parse(r->address, (uint16_t)r->port, &r->addr) < 0)
            conf_msg_member(v->m, true, rs, "address", "\"%s\" is not an IPv4 or IPv6 address",
                            r->address);
        return;
    }
    if (!r->master_name[0])
        conf_msg_member(v->m, true, rs, "master_name",
                        "is required with sentinels: the name Sentinel monitors the master under");
    for (unsigned i = 0; i < r->nsentinels; i++) {
        union rlb_sockaddr sa;

        if (rlb_addr_parse_host_port(r->sentinels[i], &sa) < 0)
            conf_msg_member(v->m, true, rs, "sentinels",
                            "\"%s\" is not address:port "
                            "(like \"10.0.0.5:26379\" or \"[2001:db8::5]:26379\")",
                            r->sentinels[i]);
    }
}

/* Packet codes a rule may name. */
int
rlb_conf_code_number(const char *name)
{
    if (strcmp(name, "Access-Request") == 0)
        return 1;
    if (strcmp(name, "Accounting-Request") == 0)
        return 4;
    return -1;
}

/* One attribute test (writes and routes): exactly one of equals, regex,
 * exists or missing, on a dictionary attribute whose value can be
 * compared. Resolves vendor and attr; false after an error. */
bool
conf_check_atest(struct rlb_conf *c, const struct vctx *v, const config_setting_t *e,
                const char *attribute, const char *equals, const char *regex, bool exists,
                bool missing, unsigned *vendor, unsigned *attr)
{
    int tests = (equals[0] != 0) + (regex[0] != 0) + exists + missing;
    char err[256];

    if (tests != 1) {
        conf_msg_member(v->m, true, e, "attribute",
                        "\"%s\" has %d tests: give exactly one of "
                        "equals, regex, exists = true or missing = true",
                        attribute, tests);
        return false;
    }
    if (rlb_dict_load(c->dictionary, err, sizeof(err)) < 0) {
        conf_msg_member(v->m, true, e, "attribute", "%s", err);
        return false;
    }
    if (rlb_dict_attr_by_name(attribute, vendor, attr) < 0) {
        conf_msg_member(v->m, true, e, "attribute",
                        "\"%s\" is not an attribute of the RADIUS dictionary (see %s)",
                        attribute, c->dictionary);
        return false;
    }
    if (regex[0]) {
        regex_t re;
        int rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);

        if (rc != 0) {
            regerror(rc, &re, err, sizeof(err));
            conf_msg_member(v->m, true, e, "regex",
                            "\"%s\" is not a POSIX extended regular expression: %s", regex, err);
            return false;
        }
        regfree(&re);
    }
    if (equals[0] || regex[0]) {
        struct rlb_attr_props p;

        rlb_dict_props(*vendor, *attr, &p);
        if (p.encrypt != RLB_ENCRYPT_NONE) {
            conf_msg_member(v->m, true, e, equals[0] ? "equals" : "regex",
                            "%s is hidden (encrypted) in packets: its value cannot be tested; "
                            "use exists or missing", attribute);
            return false;
        }
        if (p.type == RLB_ATYPE_OTHER) {
            conf_msg_member(v->m, true, e, equals[0] ? "equals" : "regex",
                            "%s is of a type radlb does not compare (only string, octets, "
                            "integer, date and ipaddr): use exists or missing", attribute);
            return false;
        }
    }
    if (equals[0] && rlb_writes_check_value(*vendor, *attr, equals, err, sizeof(err)) < 0) {
        conf_msg_member(v->m, true, e, "equals", "%s (attribute %s)", err, attribute);
        return false;
    }
    return true;
}

/* One writes list (the top-level one or a pool's, at path). */
void
conf_check_writes(struct rlb_conf *c, const struct vctx *v, const char *path,
             struct rlb_conf_write *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct rlb_conf_write *w = &list[i];
        const config_setting_t *e = conf_elem(v, path, i);
        int tests = (w->equals[0] != 0) + (w->regex[0] != 0) + w->exists + w->missing;

        if (w->code[0] && (w->code_num = rlb_conf_code_number(w->code)) < 0)
            conf_msg_member(v->m, true, e, "code",
                            "\"%s\" is not a code a writes rule can test: "
                            "use \"Access-Request\" or \"Accounting-Request\"",
                            w->code);
        if (!w->code[0] && !w->attribute[0])
            conf_msg(v->m, true, e, "writes", "entry %u needs a code, an attribute, or both",
                     i + 1);
        if (!w->attribute[0]) {
            if (tests)
                conf_msg_member(v->m, true, e, "attribute",
                                "equals, regex, exists and missing test an attribute: name it");
            continue;
        }
        conf_check_atest(c, v, e, w->attribute, w->equals, w->regex, w->exists, w->missing,
                        &w->vendor, &w->attr);
    }
}

static void
check_health(struct rlb_conf *c, const struct vctx *v)
{
    const config_setting_t *h = config_lookup(v->cfg, "health");

    if (c->health.probe == RLB_PROBE_ACCESS_REQUEST && !c->health.probe_password[0])
        conf_msg_member(v->m, true, h, "probe_password",
                        "is required with probe = \"access-request\": "
                        "the password of probe_user \"%s\"",
                        c->health.probe_user);
    if (c->health.probe != RLB_PROBE_NONE && c->health.timeout > c->health.interval)
        conf_msg_member(v->m, false, h, "timeout",
                        "%g s is longer than the interval (%g s): "
                        "a probe may still wait when the next goes",
                        c->health.timeout, c->health.interval);
    if (c->spool.directory[0] && c->spool.directory[0] != '/')
        conf_msg_member(v->m, true, config_lookup(v->cfg, "spool"), "directory",
                        "\"%s\" must be an absolute path (or \"\" for no spool)",
                        c->spool.directory);
    if (c->state_file[0] && c->state_file[0] != '/')
        conf_msg_member(v->m, true, config_root_setting(v->cfg), "state_file",
                        "\"%s\" must be an absolute path (or \"\": promotions are then not kept)",
                        c->state_file);
}

/* The stats port: an address, and who may connect when it is not loopback. */
static void
check_stats(struct rlb_conf *c, const struct vctx *v)
{
    struct rlb_conf_stats *st = &c->stats;
    const config_setting_t *g = config_lookup(v->cfg, "stats");

    if (!st->port)
        return;
    if (rlb_addr_parse(st->address, (uint16_t)st->port, &st->addr) < 0) {
        conf_msg_member(v->m, true, g, "address",
                        "\"%s\" is not an IPv4 or IPv6 address "
                        "(127.0.0.1 keeps the stats port local)",
                        st->address);
        return;
    }
    if (st->nallow > RLB_STATS_ALLOW_MAX)
        conf_msg_member(v->m, true, g, "allow", "lists %u networks: at most %d", st->nallow,
                        RLB_STATS_ALLOW_MAX);
    for (unsigned i = 0; i < st->nallow && i < RLB_STATS_ALLOW_MAX; i++) {
        if (rlb_network_parse(st->allow[i], &st->nets[i]) < 0)
            conf_msg_member(v->m, true, g, "allow",
                            "\"%s\" is not a network: "
                            "write an address or address/prefix, like 10.0.0.0/8",
                            st->allow[i]);
    }
    if (!rlb_sockaddr_is_loopback(&st->addr) && st->nallow == 0)
        conf_msg_member(v->m, true, g, "allow",
                        "stats.address %s is not a loopback address: list the networks that may "
                        "read the stats port (allow = [ \"10.0.0.0/8\" ]), or use 127.0.0.1",
                        st->address);
}

/* TLS: radlb's certificate and key load, and trust is explicit: every
 * TLS peer is checked against ca_file or a pinned fingerprint. */
static void
check_tls(struct rlb_conf *c, const struct vctx *v)
{
    const config_setting_t *g = config_lookup(v->cfg, "tls");
    const config_setting_t *where = g ? g : config_root_setting(v->cfg);
    bool have_ca = c->tls.ca_file[0] != '\0';
    char err[512];

    if (c->conns.backoff_min > c->conns.backoff_max)
        conf_msg(v->m, true, config_lookup(v->cfg, "connections"), "backoff_min",
                 "backoff_min (%g s) is above backoff_max (%g s)", c->conns.backoff_min,
                 c->conns.backoff_max);
    if (!c->uses_tls) {
        if (g)
            conf_msg(v->m, false, g, NULL,
                     "no listener or server uses proto = \"tls\": the tls section is unused");
        return;
    }
    if (!have_ca) {
        for (unsigned i = 0; i < c->nlisten; i++) {
            if (c->listen[i].proto != RLB_PROTO_TLS)
                continue;
            for (unsigned j = 0; j < c->nclients; j++) {
                if (!c->clients[j].has_fp)
                    conf_msg_member(v->m, true, conf_elem(v, "clients", j), "fingerprint",
                                    "client \"%s\" may connect to a TLS listener, but nothing "
                                    "says which certificate to trust: set tls.ca_file or this "
                                    "client's fingerprint",
                                    c->clients[j].name);
            }
            break;
        }
        for (unsigned i = 0; i < c->nsrv; i++) {
            if (c->srv[i]->proto == RLB_PROTO_TLS && !c->srv[i]->has_fp)
                conf_msg_member(v->m, true, conf_server_setting(c, v, i), "fingerprint",
                                "server \"%s\" uses TLS, but nothing says which certificate to "
                                "trust: set tls.ca_file or this server's fingerprint",
                                c->srv[i]->name);
        }
    }
    if (!c->tls.certificate[0] || !c->tls.private_key[0]) {
        conf_msg(v->m, true, where, "tls",
                 "a listener or server uses proto = \"tls\": set tls.certificate and "
                 "tls.private_key (radlb's own certificate, PEM)");
        return;
    }
    /* Load everything now, so that "radlb -C" finds a bad file. */
    for (int server_side = 0; server_side < 2; server_side++) {
        SSL_CTX *ctx = rlb_tls_ctx_new(&c->tls, server_side, err, sizeof(err));

        if (!ctx) {
            conf_msg(v->m, true, where, NULL, "%s", err);
            return;
        }
        SSL_CTX_free(ctx);
    }
}

void
rlb_conf_validate(struct rlb_conf *conf, const config_t *cfg, struct rlb_conf_msgs *m)
{
    struct vctx v = { cfg, m };

    check_listen(conf, &v);
    check_clients(conf, &v);
    conf_check_pools(conf, &v);
    check_misc(conf, &v);
    check_health(conf, &v);
    check_stats(conf, &v);
    if (!m->errors)
        check_tls(conf, &v);
    if (!m->errors)
        check_sticky(conf, &v);
    if (!m->errors)
        conf_check_pool_writes(conf, &v);
    if (!m->errors)
        conf_check_routes(conf, &v);
    conf_check_limits(conf, &v);
    conf_check_mfaprobe(conf, &v);
}
