/*
 * routes.c: the routing rules toward pools: building them, the share
 * buckets and the user lists, and the pick (see routes.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "list.h"
#include "radius.h"
#include "realm.h"
#include "routes.h"


/* The key that derives a rule set's key from its seed: a constant, so
 * that the buckets never depend on the process. */
static const uint8_t SEED_KEY[16] = "radlb routes v1";

static void
derive_key(const char *seed, uint8_t key[16])
{
    uint8_t buf[1 + 256];
    size_t n = strlen(seed);
    uint64_t h;

    if (n > sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    memcpy(buf + 1, seed, n);
    for (int half = 0; half < 2; half++) {
        buf[0] = (uint8_t)half;
        h = rlb_siphash13(SEED_KEY, buf, n + 1);
        for (int i = 0; i < 8; i++)
            key[8 * half + i] = (uint8_t)(h >> (8 * i));
    }
}

unsigned
rlb_routes_bucket(const struct rlb_routes *rs, const uint8_t *name, size_t len)
{
    uint8_t low[253];

    if (len > sizeof(low))
        len = sizeof(low);
    for (size_t i = 0; i < len; i++)
        low[i] = name[i] >= 'A' && name[i] <= 'Z' ? (uint8_t)(name[i] - 'A' + 'a') : name[i];
    return (unsigned)(rlb_siphash13(rs->key, low, len) % RLB_ROUTE_SHARE_MAX);
}

/* ------------------------------------------------------------------ */
/* The user lists                                                      */

static bool
user_in(const struct rlb_routes *rs, const struct rlb_route *r, const uint8_t *name, size_t len)
{
    uint32_t h;

    if (!r->nusers)
        return false;
    h = (uint32_t)rlb_siphash13(rs->key, name, len);
    for (const struct rlb_hnode *n = rlb_htab_chain(&r->user_tab, h); n; n = n->next) {
        const struct rlb_route_user *u = rlb_container_of(n, struct rlb_route_user, hnode);

        if (n->hash == h && u->len == len && memcmp(r->user_names + u->off, name, len) == 0)
            return true;
    }
    return false;
}

static int
users_build(struct rlb_routes *rs, struct rlb_route *r, const struct rlb_route_spec *sp, char *err,
            size_t errlen)
{
    size_t total = 0;

    if (!sp->nusers)
        return 0;
    for (unsigned i = 0; i < sp->nusers; i++) {
        size_t len = strlen(sp->users[i]);

        if (len == 0 || len > 253) {
            snprintf(err, errlen, "user %u is %zu octets: a User-Name holds 1 to 253", i + 1, len);
            return -1;
        }
        total += len;
    }
    r->users = calloc(sp->nusers, sizeof(*r->users));
    r->user_names = malloc(total ? total : 1);
    if (!r->users || !r->user_names || rlb_htab_init(&r->user_tab, sp->nusers) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    total = 0;
    for (unsigned i = 0; i < sp->nusers; i++) {
        const uint8_t *name = (const uint8_t *)sp->users[i];
        size_t len = strlen(sp->users[i]);
        struct rlb_route_user *u = &r->users[r->nusers];

        if (user_in(rs, r, name, len))
            continue;                          /* listed twice */
        memcpy(r->user_names + total, name, len);
        u->off = (uint32_t)total;
        u->len = (uint8_t)len;
        u->hnode.hash = (uint32_t)rlb_siphash13(rs->key, name, len);
        rlb_htab_insert(&r->user_tab, &u->hnode);
        total += len;
        r->nusers++;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

static int
rule_build(struct rlb_routes *rs, struct rlb_route *r, const struct rlb_route_spec *sp, char *err,
           size_t errlen)
{
    r->match = sp->match;
    r->pool = sp->pool;
    r->to_pool = sp->to_pool;
    r->share = sp->share;
    r->strip = sp->strip;
    if (sp->pool < 0) {
        snprintf(err, errlen, "no pool");
        return -1;
    }
    if (sp->to_pool < 0 && (sp->share || sp->nusers)) {
        snprintf(err, errlen, "a share or a user list without the pool to migrate to");
        return -1;
    }
    if (sp->share > RLB_ROUTE_SHARE_MAX) {
        snprintf(err, errlen, "share %u: basis points go from 0 to %u", sp->share,
                 RLB_ROUTE_SHARE_MAX);
        return -1;
    }
    if (sp->strip && sp->match != RLB_ROUTE_REALM) {
        snprintf(err, errlen, "strip is for realm rules only");
        return -1;
    }
    switch (sp->match) {
    case RLB_ROUTE_DEFAULT:
        break;
    case RLB_ROUTE_REALM:
    case RLB_ROUTE_CLIENT:
        if (!sp->nnames) {
            snprintf(err, errlen, "no %s", sp->match == RLB_ROUTE_REALM ? "realm" : "client");
            return -1;
        }
        r->names = calloc(sp->nnames, sizeof(*r->names));
        r->lens = calloc(sp->nnames, sizeof(*r->lens));
        if (!r->names || !r->lens) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (unsigned i = 0; i < sp->nnames; i++) {
            r->lens[i] = strlen(sp->names[i]);
            if (r->lens[i] == 0 || r->lens[i] > 253) {
                snprintf(err, errlen, "name %u is %zu octets: 1 to 253", i + 1, r->lens[i]);
                return -1;
            }
            r->names[i] = strdup(sp->names[i]);
            if (!r->names[i]) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            r->nnames = i + 1;
        }
        break;
    case RLB_ROUTE_ATTRIBUTE:
        if (sp->test == RLB_WTEST_NONE) {
            snprintf(err, errlen, "an attribute rule without a test");
            return -1;
        }
        if (rlb_atest_compile(&r->t, sp->vendor, sp->attr, sp->test, sp->value ? sp->value : "",
                              err, errlen) < 0)
            return -1;
        break;
    default:
        snprintf(err, errlen, "unknown match %d", sp->match);
        return -1;
    }
    return users_build(rs, r, sp, err, errlen);
}

int
rlb_routes_build(struct rlb_routes *rs, const struct rlb_route_spec *spec, unsigned n,
                 const char *seed, char *err, size_t errlen)
{
    memset(rs, 0, sizeof(*rs));
    derive_key(seed ? seed : "", rs->key);
    rs->v = calloc(n ? n : 1, sizeof(*rs->v));
    if (!rs->v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        char why[300];

        rs->n = i + 1;
        if (rule_build(rs, &rs->v[i], &spec[i], why, sizeof(why)) < 0) {
            snprintf(err, errlen, "route %u: %s", i + 1, why);
            rlb_routes_free(rs);
            return -1;
        }
    }
    return 0;
}

void
rlb_routes_free(struct rlb_routes *rs)
{
    for (unsigned i = 0; i < rs->n; i++) {
        struct rlb_route *r = &rs->v[i];

        for (unsigned j = 0; j < r->nnames; j++)
            free(r->names[j]);
        free(r->names);
        free(r->lens);
        rlb_atest_free(&r->t);
        rlb_htab_free(&r->user_tab);
        free(r->users);
        free(r->user_names);
    }
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

/* ------------------------------------------------------------------ */
/* The pick                                                            */

static bool
in_names(const struct rlb_route *r, const uint8_t *s, size_t len, bool nocase)
{
    for (unsigned i = 0; i < r->nnames; i++) {
        if (nocase ? rlb_realm_eq(s, len, (const uint8_t *)r->names[i], r->lens[i])
                   : (len == r->lens[i] && memcmp(s, r->names[i], len) == 0))
            return true;
    }
    return false;
}

static bool
rule_matches(const struct rlb_route *r, const uint8_t *pkt, const struct rlb_pkt_info *info,
             const char *client_name, const struct rlb_route_result *res)
{
    switch (r->match) {
    case RLB_ROUTE_DEFAULT:
        return true;
    case RLB_ROUTE_REALM:
        return res->has_realm && in_names(r, pkt + res->realm_off, res->realm_len, true);
    case RLB_ROUTE_CLIENT:
        return client_name && in_names(r, (const uint8_t *)client_name, strlen(client_name), false);
    case RLB_ROUTE_ATTRIBUTE:
        return rlb_atest_match(&r->t, pkt, info);
    default:
        return false;
    }
}

static int
pick(const struct rlb_routes *rs, const uint8_t *pkt, const struct rlb_pkt_info *info,
     const char *client_name, struct rlb_route_result *res, bool count)
{
    size_t len = 0;
    const uint8_t *name = rlb_pkt_find_attr(pkt, info, 0, RLB_ATTR_USER_NAME, &len);
    struct rlb_realm realm;

    memset(res, 0, sizeof(*res));
    res->pool = -1;
    res->rule = -1;
    if (name) {
        uint16_t off = (uint16_t)(name - pkt);

        res->has_realm = rlb_realm_parse(name, len, &realm);
        res->name_off = off;
        res->name_len = (uint16_t)len;
        res->realm_off = (uint16_t)(res->has_realm ? off + realm.realm_off : 0);
        res->realm_len = (uint16_t)realm.realm_len;
        res->user_off = (uint16_t)(off + realm.user_off);
        res->user_len = (uint16_t)realm.user_len;
    }
    for (unsigned i = 0; i < rs->n; i++) {
        struct rlb_route *r = &rs->v[i];

        if (!rule_matches(r, pkt, info, client_name, res))
            continue;
        if (count)
            r->matched++;
        res->rule = (int)i;
        res->pool = r->pool;
        res->stripped = r->strip;          /* realm rules only: a realm was found */
        if (r->to_pool >= 0 && name) {
            if (user_in(rs, r, name, len)) {
                res->by_list = res->migrated = true;
            } else if (r->share) {
                res->bucket = rlb_routes_bucket(rs, name, len);
                res->migrated = res->bucket < r->share;
            }
        }
        if (res->migrated) {
            res->pool = r->to_pool;
            if (count)
                r->migrated++;
        }
        return res->pool;
    }
    return -1;
}

int
rlb_routes_pick(const struct rlb_routes *rs, const uint8_t *pkt, const struct rlb_pkt_info *info,
                const char *client_name, struct rlb_route_result *res)
{
    return pick(rs, pkt, info, client_name, res, true);
}

int
rlb_routes_peek(const struct rlb_routes *rs, const uint8_t *pkt, const struct rlb_pkt_info *info,
                const char *client_name, struct rlb_route_result *res)
{
    return pick(rs, pkt, info, client_name, res, false);
}
