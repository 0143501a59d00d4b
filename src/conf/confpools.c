/*
 * confpools.c: the validate pass of pools and routes (doc/pools.md). The
 * top-level servers are the pool "default"; each entry of pools is one
 * more. Every server belongs to exactly one pool, and server names and
 * addresses are unique across all of them (radlbctl, the metrics and the
 * state file name servers alone). Routing rules name pools; users_file
 * is read here, so that a reload reads it again.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "confcheck_int.h"
#include "confmsg.h"
#include "routes.h"

/* Where the server list of pool p is in the file. */
static void
pool_path(const struct rlb_conf *c, const struct rlb_conf_pool *p, char *buf, size_t len)
{
    if (p == &c->defpool)
        snprintf(buf, len, "servers");
    else
        snprintf(buf, len, "pools.[%u].servers", (unsigned)(p - c->pools));
}

const config_setting_t *
conf_server_setting(const struct rlb_conf *c, const struct vctx *v, unsigned i)
{
    const struct rlb_conf_server *s = c->srv[i];
    const struct rlb_conf_pool *p = c->pool[s->pool];
    char path[64];

    pool_path(c, p, path, sizeof(path));
    return conf_elem(v, path, (unsigned)(s - p->servers));
}

/* A pool's health: the top-level one, with the numbers the pool gives. */
static void
pool_health(struct rlb_conf *c, struct rlb_conf_pool *p)
{
    p->health = c->health;
    if (p == &c->defpool)
        return;
    if (p->health_given.interval > 0)
        p->health.interval = p->health_given.interval;
    if (p->health_given.timeout > 0)
        p->health.timeout = p->health_given.timeout;
    if (p->health_given.rise > 0)
        p->health.rise = p->health_given.rise;
    if (p->health_given.fall > 0)
        p->health.fall = p->health_given.fall;
}

static void
check_one_pool(struct rlb_conf *c, const struct vctx *v, struct rlb_conf_pool *p,
               const config_setting_t *e)
{
    char path[64];

    pool_path(c, p, path, sizeof(path));
    p->balance = c->proxy.balance;
    if (p != &c->defpool) {
        conf_check_name(v, e, "pool", p->name);
        if (p->balance_name[0]) {
            int i;

            for (i = 0; rlb_balance_names[i]; i++) {
                if (strcmp(rlb_balance_names[i], p->balance_name) == 0)
                    break;
            }
            if (rlb_balance_names[i])
                p->balance = i;
            else
                conf_msg_member(v->m, true, e, "balance",
                                "\"%s\" is not one of \"least-outstanding\", \"round-robin\", "
                                "\"weighted\"", p->balance_name);
        }
        p->writes_given = e && config_setting_get_member(e, "writes") != NULL;
        if (!p->writes_given) {     /* the top-level rules (or their default) */
            p->writes = c->writes;
            p->nwrites = c->nwrites;
            p->writes_given = c->writes_given;
        }
    }
    pool_health(c, p);
    if (p->health.probe != RLB_PROBE_NONE && p->health.timeout > p->health.interval &&
        p != &c->defpool)
        conf_msg_member(v->m, false, e, "health",
                        "pool \"%s\": the probe timeout (%g s) is longer than the interval "
                        "(%g s)", p->name, p->health.timeout, p->health.interval);
    conf_check_servers(c, v, path, p->servers, p->nservers, &p->master);
}

void
conf_check_pools(struct rlb_conf *c, const struct vctx *v)
{
    const config_setting_t *pools = config_lookup(v->cfg, "pools");
    unsigned n = 0;

    c->writes_given = config_lookup(v->cfg, "writes") != NULL;
    c->defpool.name = (char *)RLB_DEFAULT_POOL;   /* not freed: the schema does not own it */
    c->defpool.servers = c->servers;
    c->defpool.nservers = c->nservers;
    c->defpool.writes = c->writes;
    c->defpool.nwrites = c->nwrites;
    c->defpool.writes_given = c->writes_given;
    c->defpool.balance_name = (char *)"";
    c->defpool.line = 0;
    c->defpool.top = true;
    if (c->nservers == 0 && c->npools == 0) {
        conf_msg(v->m, true, config_root_setting(v->cfg), "servers",
                 "is required: the MFA servers radlb sends requests to "
                 "(or pools, each with its servers)");
        return;
    }
    c->pool = calloc(c->npools + 1, sizeof(*c->pool));
    if (!c->pool)
        return;
    if (c->nservers > 0 || config_lookup(v->cfg, "servers"))
        c->pool[n++] = &c->defpool;
    for (unsigned i = 0; i < c->npools; i++)
        c->pool[n++] = &c->pools[i];
    c->npool = n;
    for (unsigned i = 0; i < n; i++) {
        struct rlb_conf_pool *p = c->pool[i];
        const config_setting_t *e =
            p == &c->defpool ? NULL : config_setting_get_elem(pools, (unsigned)(p - c->pools));

        p->index = i;
        check_one_pool(c, v, p, e);
        c->nsrv += p->nservers;
        for (unsigned j = 0; j < i && p != &c->defpool; j++) {
            if (strcmp(c->pool[j]->name, p->name) == 0)
                conf_msg_member(v->m, true, e, "name",
                                c->pool[j] == &c->defpool ?
                                "pool \"%s\" is the name of the top-level servers' pool: "
                                "choose another name" :
                                "pool \"%s\" is already defined at line %d",
                                p->name, c->pool[j]->line);
        }
    }
    c->srv = calloc(c->nsrv ? c->nsrv : 1, sizeof(*c->srv));
    if (!c->srv)
        return;
    c->nsrv = 0;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < c->pool[i]->nservers; j++) {
            c->pool[i]->servers[j].pool = i;
            c->srv[c->nsrv++] = &c->pool[i]->servers[j];
        }
    }
    /* Names and addresses: unique across every pool. */
    for (unsigned i = 0; i < c->nsrv; i++) {
        const struct rlb_conf_server *s = c->srv[i];

        for (unsigned j = 0; j < i; j++) {
            const struct rlb_conf_server *o = c->srv[j];

            if (strcmp(o->name, s->name) == 0)
                conf_msg_member(v->m, true, conf_server_setting(c, v, i), "name",
                                "server \"%s\" is already defined at line %d%s%s%s", s->name,
                                o->line, o->pool != s->pool ? " (pool \"" : "",
                                o->pool != s->pool ? c->pool[o->pool]->name : "",
                                o->pool != s->pool ? "\"): a server belongs to one pool" : "");
            else if (rlb_sockaddr_equal(&o->auth_addr, &s->auth_addr) &&
                     !rlb_sockaddr_is_any(&s->auth_addr))
                conf_msg_member(v->m, true, conf_server_setting(c, v, i), "auth_port",
                                "%s port %d is already server \"%s\" (line %d)", s->address,
                                s->auth_port, o->name, o->line);
        }
    }
}

void
conf_check_pool_writes(struct rlb_conf *c, const struct vctx *v)
{
    char path[64];

    conf_check_writes(c, v, "writes", c->writes, c->nwrites);
    for (unsigned i = 0; i < c->npools; i++) {
        if (c->pools[i].writes == c->writes)
            continue;               /* the top-level rules: checked above */
        snprintf(path, sizeof(path), "pools.[%u].writes", i);
        conf_check_writes(c, v, path, c->pools[i].writes, c->pools[i].nwrites);
    }
}

static int
pool_index(const struct rlb_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->npool; i++) {
        if (strcmp(c->pool[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* A file of User-Names (migrate.users_file, limits.allow_file): one a
 * line; the newline (and a CR before it) is not part of the name, empty
 * lines and lines starting with '#' are skipped. *text holds the names,
 * NUL-separated, *list points into it. Errors name key at e. */
void
conf_read_names(const struct vctx *v, const config_setting_t *e, const char *key,
                const char *what, const char *file, char **text_out, char ***list_out,
                unsigned *n_out)
{
    FILE *fp = fopen(file, "r");
    size_t cap = 0, len = 0, n = 0;
    char *text = NULL, *p, **list;
    int ch;

    *n_out = 0;
    if (!fp) {
        conf_msg_member(v->m, true, e, key, "%s \"%s\" cannot be read: %s", what, file,
                        strerror(errno));
        return;
    }
    while ((ch = fgetc(fp)) != EOF) {
        if (len + 2 > cap) {
            char *t = realloc(text, cap = cap ? cap * 2 : 4096);

            if (!t)
                break;
            text = t;
        }
        text[len++] = (char)ch;
    }
    fclose(fp);
    if (!text)
        return;
    text[len] = '\n';
    for (size_t i = 0; i <= len; i++)
        n += text[i] == '\n';
    list = calloc(n + 1, sizeof(*list));
    *text_out = text;
    *list_out = list;
    if (!list)
        return;
    p = text;
    for (size_t i = 0; i <= len; i++) {
        if (text[i] != '\n')
            continue;
        text[i] = '\0';
        if (i > 0 && &text[i - 1] >= p && text[i - 1] == '\r')
            text[i - 1] = '\0';
        if (p[0] && p[0] != '#') {
            if (strlen(p) > 253)
                conf_msg_member(v->m, true, e, key,
                                "%s \"%s\": a name of %zu octets (over 253, which no "
                                "User-Name holds)", what, file, strlen(p));
            list[(*n_out)++] = p;
        }
        p = text + i + 1;
    }
}

static void
check_migrate(struct rlb_conf *c, const struct vctx *v, const config_setting_t *e,
              struct rlb_conf_route *r)
{
    struct rlb_conf_migrate *m = &r->migrate;
    double bp = m->share * 100.0;

    r->to_index = -1;
    if (!m->to[0]) {
        if (m->share > 0 || m->nusers || m->users_file[0])
            conf_msg_member(v->m, true, e, "migrate", "needs to: the pool users migrate to");
        return;
    }
    r->to_index = pool_index(c, m->to);
    if (r->to_index < 0)
        conf_msg_member(v->m, true, e, "migrate", "to = \"%s\" is not a pool", m->to);
    else if (r->to_index == r->pool_index)
        conf_msg_member(v->m, true, e, "migrate", "to = \"%s\" is the rule's own pool", m->to);
    if (bp - (double)(unsigned)(bp + 0.5) > 1e-6 || (double)(unsigned)(bp + 0.5) - bp > 1e-6)
        conf_msg_member(v->m, true, e, "migrate",
                        "share %g has more than two decimals (basis points: 5.25 is fine)",
                        m->share);
    r->share_bp = (unsigned)(bp + 0.5);
    if (m->nusers && m->users_file[0])
        conf_msg_member(v->m, true, e, "migrate", "give users or users_file, not both");
    for (unsigned i = 0; i < m->nusers; i++) {
        if (!m->users[i][0] || strlen(m->users[i]) > 253)
            conf_msg_member(v->m, true, e, "migrate",
                            "users entry %u must be 1 to 253 octets (a User-Name)", i + 1);
    }
    if (m->users_file[0]) {
        if (m->users_file[0] != '/')
            conf_msg_member(v->m, true, e, "migrate",
                            "users_file \"%s\" must be an absolute path", m->users_file);
        else
            conf_read_names(v, e, "migrate", "users_file", m->users_file, &r->file_text,
                            &r->file_users, &r->nfile_users);
    }
}

void
conf_check_routes(struct rlb_conf *c, const struct vctx *v)
{
    int after_default = -1;
    bool *named = calloc(c->npool ? c->npool : 1, sizeof(*named));

    for (unsigned i = 0; i < c->nroutes; i++) {
        struct rlb_conf_route *r = &c->routes[i];
        const config_setting_t *e = conf_elem(v, "routes", i);
        int kinds = (r->nrealm > 0) + (r->nclient > 0) + (r->attribute[0] != 0) + r->is_default;

        r->pool_index = pool_index(c, r->pool);
        r->to_index = -1;
        if (r->pool_index < 0)
            conf_msg_member(v->m, true, e, "pool", "\"%s\" is not a pool (pools: %s%s)", r->pool,
                            c->npool ? c->pool[0]->name : "none", c->npool > 1 ? ", ..." : "");
        else if (named)
            named[r->pool_index] = true;
        if (kinds != 1)
            conf_msg(v->m, true, e, "routes",
                     "entry %u has %d kinds of match: give exactly one of realm, client, "
                     "attribute or default = true", i + 1, kinds);
        if (r->strip && !r->nrealm)
            conf_msg_member(v->m, true, e, "strip", "strips a realm: only with realm");
        if (!r->attribute[0] && (r->equals[0] || r->regex[0] || r->exists || r->missing))
            conf_msg_member(v->m, true, e, "attribute",
                            "equals, regex, exists and missing test an attribute: name it");
        if (r->attribute[0])
            conf_check_atest(c, v, e, r->attribute, r->equals, r->regex, r->exists, r->missing,
                             &r->vendor, &r->attr);
        for (unsigned j = 0; j < r->nrealm; j++) {
            if (!r->realm[j][0])
                conf_msg_member(v->m, true, e, "realm", "entry %u is empty", j + 1);
        }
        for (unsigned j = 0; j < r->nclient; j++) {
            unsigned k;

            for (k = 0; k < c->nclients && strcmp(c->clients[k].name, r->client[j]); k++)
                ;
            if (k == c->nclients)
                conf_msg_member(v->m, true, e, "client", "\"%s\" is not a client's name",
                                r->client[j]);
        }
        if (after_default >= 0)
            conf_msg(v->m, false, e, "routes",
                     "entry %u comes after the default rule (entry %d): it is never reached",
                     i + 1, after_default + 1);
        else if (r->is_default)
            after_default = (int)i;
        check_migrate(c, v, e, r);
        if (r->to_index >= 0 && named)
            named[r->to_index] = true;
        r->mirror_index = -1;
        if (r->mirror_accounting[0]) {
            r->mirror_index = pool_index(c, r->mirror_accounting);
            if (r->mirror_index < 0)
                conf_msg_member(v->m, true, e, "mirror_accounting", "\"%s\" is not a pool",
                                r->mirror_accounting);
            else if (r->mirror_index == r->pool_index)
                conf_msg_member(v->m, true, e, "mirror_accounting",
                                "\"%s\" is the rule's own pool: accounting would reach it twice",
                                r->mirror_accounting);
        }
    }
    for (unsigned i = 0; c->nroutes && named && i < c->npool; i++) {
        if (!named[i])
            conf_msg(v->m, false, config_lookup(v->cfg, "routes"), "routes",
                     "no rule names pool \"%s\": it gets nothing", c->pool[i]->name);
    }
    if (!c->nroutes && c->npool > 1)
        conf_msg(v->m, false, config_lookup(v->cfg, "pools"), "pools",
                 "there are no routes: everything goes to pool \"%s\"", c->pool[0]->name);
    free(named);
}
