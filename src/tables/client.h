/*
 * client.h: the RADIUS clients (NAS) radlb accepts, matched by source
 * address: the longest matching network wins.
 */
#ifndef RLB_CLIENT_H
#define RLB_CLIENT_H

#include "addr.h"
#include "conf.h"
#include "crypto.h"
#include "drop.h"
#include "log.h"
#include "stats.h"

struct rlb_client {
    char                   *name;
    struct rlb_network      net;
    struct rlb_secret       secret;
    bool                    require_ma;
    bool                    limit_proxy_state;
    bool                    has_fp;    /* TLS: pinned certificate */
    unsigned char           fp[RLB_FP_LEN];
    unsigned                refs;      /* requests that point here */
    unsigned                outstanding;      /* requests at a server now */
    unsigned                max_outstanding;  /* beyond: dropped (drop.client_limit) */
    struct rlb_client_stats stats;
    struct rlb_ratelimit    rl[RLB_DROP_MAX];  /* drop log lines, per reason */
    struct rlb_ratelimit    rl_late;   /* "replies after the client gave up" lines */
    bool                    told_no_answers;   /* logged: it answers no challenge */
};

struct rlb_clients {
    struct rlb_client **v;             /* longest prefix first */
    unsigned            n;
    struct rlb_client **gone;          /* removed by a reload: kept (requests and
                                        * connections may point to them), freed at stop */
    unsigned            ngone;
};

int  rlb_clients_build(struct rlb_clients *t, const struct rlb_conf *conf);
void rlb_clients_free(struct rlb_clients *t);

/* Reload: the table becomes conf's clients. A client whose name was
 * already there (or removed earlier) is the same object, updated in place
 * (its counters go on; in-flight requests answer with its new secret);
 * the others are new; the ones conf lacks move to t->gone. Nothing
 * changes when it fails (-1: out of memory). added/removed: counts. */
int  rlb_clients_reload(struct rlb_clients *t, const struct rlb_conf *conf, unsigned *added,
                        unsigned *removed);
/* Whether c is still configured (not removed by a reload). */
bool rlb_client_live(const struct rlb_clients *t, const struct rlb_client *c);
struct rlb_client *rlb_clients_find(const struct rlb_clients *t, const union rlb_sockaddr *src);

#endif
