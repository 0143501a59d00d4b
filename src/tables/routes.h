/*
 * routes.h: which pool a request goes to (issue 14: several MFA farms
 * behind one radlb). An ordered list of rules, first match wins; each
 * rule matches on
 *
 *   - the realm of User-Name (realm.h), one of a list, without ASCII case;
 *   - the client's name, one of a set (a client group is its names);
 *   - one attribute test, the same as writes' (struct rlb_atest);
 *   - nothing: a default;
 *
 * and names a pool (an index: what the pools are is the caller's). A
 * realm rule may strip the realm from User-Name toward the pool. A rule
 * may migrate: a share of its users (basis points, 0..10000) and a list
 * of exact User-Names go to a second pool. A user's share bucket is a
 * keyed SipHash-1-3 of the User-Name (the whole value, realm included,
 * ASCII letters lower-cased) modulo 10000, and the user migrates when the
 * bucket is below the share: a user keeps their pool while the share
 * stays, and raising the share only moves users from the old pool to the
 * new one. The key comes from a seed given at build (the configuration's
 * routes_seed) or, without one, from the empty seed: a constant, so every
 * instance and every restart put a user in the same bucket. A request
 * without User-Name stays in the rule's pool.
 *
 * The flow (route.c) asks for the pool of each request without a known
 * session; pool.c builds the rules from the configuration.
 */
#ifndef RLB_ROUTES_H
#define RLB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "pkt.h"
#include "writes.h"

#define RLB_ROUTE_SHARE_MAX 10000  /* basis points: everybody */

enum rlb_route_match { RLB_ROUTE_DEFAULT = 0, RLB_ROUTE_REALM, RLB_ROUTE_CLIENT,
                       RLB_ROUTE_ATTRIBUTE };

/* One rule as described (by the configuration, later); strings are copied. */
struct rlb_route_spec {
    int                match;      /* enum rlb_route_match */
    const char *const *names;      /* realm: the realms; client: the client names */
    unsigned           nnames;
    unsigned           vendor;     /* attribute: resolved from the dictionary */
    unsigned           attr;
    int                test;       /* attribute: enum rlb_wtest */
    const char        *value;      /* attribute: the equals value or the regex */
    bool               strip;      /* realm rules only */
    int                pool;
    int                to_pool;    /* the migration's pool; -1: no migration */
    unsigned           share;      /* basis points of users that go to to_pool */
    const char *const *users;      /* User-Names that always go to to_pool */
    unsigned           nusers;
};

/* A listed User-Name, in the rule's user table (htab.h). */
struct rlb_route_user {
    struct rlb_hnode hnode;        /* hash of the name under the rule set's key */
    uint32_t         off;          /* in user_names */
    uint8_t          len;
};

struct rlb_route {
    int                    match;
    char                 **names;
    size_t                *lens;
    unsigned               nnames;
    struct rlb_atest       t;
    bool                   strip;
    int                    pool;
    int                    to_pool;
    unsigned               share;
    struct rlb_route_user *users;      /* nusers of them, in the table */
    struct rlb_htab        user_tab;
    uint8_t               *user_names;
    unsigned               nusers;
    /* Counters: written through the const rule set by rlb_routes_pick. */
    uint64_t               matched;    /* requests this rule decided */
    uint64_t               migrated;   /* of them, sent to to_pool */
};

struct rlb_routes {
    struct rlb_route *v;
    unsigned          n;
    uint8_t           key[16];     /* the bucket and user set hash key */
};

struct rlb_route_result {
    int      pool;                 /* -1: no rule matched (the caller rejects) */
    int      rule;                 /* index of the rule that matched, -1 */
    bool     migrated;             /* sent to the rule's to_pool */
    bool     by_list;              /* because User-Name is in the rule's list */
    unsigned bucket;               /* the share bucket when one was computed, else 0 */
    bool     has_realm;            /* User-Name has a realm (realm.h) */
    bool     stripped;             /* the pool gets the user part only */
    /* Offsets from the start of the packet (0: no User-Name). */
    uint16_t name_off, name_len;   /* the User-Name value */
    uint16_t realm_off, realm_len; /* its realm (has_realm) */
    uint16_t user_off, user_len;   /* its user part: the value the pool gets if stripped */
};

/* Compiles n rules; seed NULL is the empty seed. Returns 0, or -1 with the
 * rule and the reason in err. */
int  rlb_routes_build(struct rlb_routes *rs, const struct rlb_route_spec *spec, unsigned n,
                      const char *seed, char *err, size_t errlen);
void rlb_routes_free(struct rlb_routes *rs);
/* The pool of a parsed request from the client named client_name (NULL:
 * none); fills res. Nothing allocated. */
int  rlb_routes_pick(const struct rlb_routes *rs, const uint8_t *pkt,
                     const struct rlb_pkt_info *info, const char *client_name,
                     struct rlb_route_result *res);
/* The same, counting nothing: what the rules say of a request that goes
 * elsewhere anyway (an answer to a challenge: its pool is its server's). */
int  rlb_routes_peek(const struct rlb_routes *rs, const uint8_t *pkt,
                     const struct rlb_pkt_info *info, const char *client_name,
                     struct rlb_route_result *res);
/* The share bucket of a User-Name (0..9999) under the rule set's key. */
unsigned rlb_routes_bucket(const struct rlb_routes *rs, const uint8_t *name, size_t len);

#endif
