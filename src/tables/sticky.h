/*
 * sticky.h: the challenge-session table. When a server answers with an
 * Access-Challenge carrying State, radlb records State -> server before
 * forwarding the challenge; the Access-Request that answers it (same State)
 * goes to that server whatever the balancer would say, because only the
 * server that issued a challenge can accept its answer.
 *
 * A State is single-use: once the server has answered the request that
 * carried it, its entry is consumed. Entries not used live sticky.ttl
 * seconds after their last use. They sit on one
 * list ordered by last use, so expiry takes them from the head and the
 * sticky.max_entries cap evicts the least recently used: every operation
 * is O(1). Lookups go through a keyed hash of the State octets.
 */
#ifndef RLB_STICKY_H
#define RLB_STICKY_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "htab.h"
#include "list.h"
#include "request.h"

struct rlb_server;

struct rlb_sticky_entry {
    struct rlb_hnode         hnode;     /* the table: hash of the State */
    struct rlb_link          link;      /* use order: head is the oldest */
    struct rlb_server       *server;
    double                   used;      /* last insert or lookup */
    /* The login the challenge belongs to (the auth log), kept in 13
     * octets: a million sessions are a million entries. */
    uint64_t                 login_id;  /* 0: none */
    uint32_t                 login_cs;  /* its first leg, in wall-clock centiseconds mod 2^32 */
    uint16_t                 size;      /* allocation size (buffer pool) */
    uint8_t                  len;       /* State length */
    uint8_t                  login_leg;
    uint8_t                  state[];   /* State octets */
};

/* The counters of a session table, declared once: the struct below and
 * the sticky_* rows of metrics.c come from this list (name, help). */
#define RLB_STICKY_COUNTERS(X)                                                                  \
    X(inserted, "challenges recorded (and sessions learned from Redis)")                        \
    X(hits, "challenge answers routed to the server that issued the challenge")                 \
    X(orphans, "answers with a State radlb did not know (expired, or issued before a restart)") \
    X(expired, "sessions expired after sticky.ttl unused")                                      \
    X(evicted, "sessions removed early by sticky.max_entries")                                  \
    X(rejects, "challenge answers rejected because their server could not take them")           \
    X(consumed, "sessions forgotten once their answer was answered (a State is single-use)")

/* The affinity table (key -> server) is a session table too: its rows
 * (name, the field of struct rlb_sticky_stats, help). */
#define RLB_AFFINITY_COUNTERS(X)                                                    \
    X(inserted, inserted, "affinity records written")                               \
    X(hits, hits, "requests without State routed by affinity")                      \
    X(misses, orphans, "requests with an affinity key that no record matched")      \
    X(expired, expired, "affinity records expired")                                 \
    X(evicted, evicted, "affinity records removed early by sticky.max_entries")

struct rlb_sticky_stats {
#define X(name, help) uint64_t name;
    RLB_STICKY_COUNTERS(X)
#undef X
};

struct rlb_sticky {
    struct rlb_htab           tab;      /* of entries, by hnode */
    struct rlb_list           order;    /* of entries, by link: least recently used first */
    unsigned long             max;
    double                    ttl;
    uint8_t                   key[16];
    struct rlb_bufpool       *bufs;
    ev_timer                  timer;    /* expiry of the head */
    struct ev_loop           *loop;
    struct rlb_sticky_stats   stats;
    bool                      per_server;   /* keeps server->sessions (the State table) */
};

int  rlb_sticky_init(struct rlb_sticky *t, struct ev_loop *loop, struct rlb_bufpool *bufs,
                     double ttl, unsigned long max);
void rlb_sticky_free(struct rlb_sticky *t);
/* Records (or refreshes) State -> server at time now; the entry (its
 * login for the caller to set, zero when new), or NULL when none is kept. */
struct rlb_sticky_entry *rlb_sticky_add(struct rlb_sticky *t, const uint8_t *state, size_t len,
                                        struct rlb_server *s, double now);
/* The entry of State, live, or NULL (the caller counts orphans once every
 * store has been asked). */
const struct rlb_sticky_entry *rlb_sticky_get(struct rlb_sticky *t, const uint8_t *state,
                                              size_t len, double now);
/* The server that issued State, or NULL. */
struct rlb_server *rlb_sticky_find(struct rlb_sticky *t, const uint8_t *state, size_t len,
                                   double now);
/* Forgets one entry, if there. */
void rlb_sticky_remove(struct rlb_sticky *t, const uint8_t *key, size_t len);
/* The 64-bit fingerprint of a key (its low 32 bits are the table's hash):
 * what a request remembers of the State it was routed by. */
uint64_t rlb_sticky_fingerprint(const struct rlb_sticky *t, const uint8_t *key, size_t len);
/* Forgets the entry with that fingerprint and length (a State once its
 * answer has been answered); copies its key into out (253 octets) and
 * returns its length, or 0 when there is none. */
size_t rlb_sticky_consume(struct rlb_sticky *t, uint64_t fp, size_t len, uint8_t *out);
/* Removes entries unused for ttl seconds; returns how many. */
unsigned long rlb_sticky_expire(struct rlb_sticky *t, double now);
/* Forgets every entry pointing at s (a server being removed). */
void rlb_sticky_forget_server(struct rlb_sticky *t, const struct rlb_server *s);

/* The entry's login, and back (now: the wall clock, to place its start). */
static inline void
rlb_sticky_set_login(struct rlb_sticky_entry *e, const struct rlb_login *l)
{
    e->login_id = l->id;
    e->login_cs = (uint32_t)(uint64_t)(l->first * 100.0);
    e->login_leg = l->leg;
}

static inline struct rlb_login
rlb_sticky_login(const struct rlb_sticky_entry *e, double now)
{
    uint32_t ago = (uint32_t)(uint64_t)(now * 100.0) - e->login_cs;

    return (struct rlb_login){ .id = e->login_id, .first = now - ago / 100.0,
                               .leg = e->login_leg };
}

/* How many entries the table holds. */
static inline unsigned long
rlb_sticky_count(const struct rlb_sticky *t)
{
    return t->tab.count;
}

/* The entries from the most recently used back (NULL at the end). */
static inline const struct rlb_sticky_entry *
rlb_sticky_newest(const struct rlb_sticky *t)
{
    return rlb_container_of(t->order.tail, struct rlb_sticky_entry, link);
}

static inline const struct rlb_sticky_entry *
rlb_sticky_older(const struct rlb_sticky_entry *e)
{
    return rlb_container_of(e->link.prev, struct rlb_sticky_entry, link);
}

#endif
