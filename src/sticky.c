/*
 * sticky.c: the challenge-session table (see sticky.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "dedup.h"
#include "server.h"
#include "sticky.h"

static void
expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_sticky *t = w->data;

    (void)revents;
    rlb_sticky_expire(t, ev_now(loop));
}

static void
arm(struct rlb_sticky *t)
{
    if (t->loop && t->head && !ev_is_active(&t->timer)) {
        double at = t->head->used + t->ttl - ev_now(t->loop);

        /* Batch expiry: at most one wake-up a second. */
        ev_timer_set(&t->timer, (at > 0 ? at : 0) + 1.0, 0);
        ev_timer_start(t->loop, &t->timer);
    }
}

int
rlb_sticky_init(struct rlb_sticky *t, struct ev_loop *loop, struct rlb_bufpool *bufs,
                double ttl, unsigned long max)
{
    memset(t, 0, sizeof(*t));
    t->buckets = calloc(4096, sizeof(*t->buckets));
    if (!t->buckets)
        return -1;
    t->mask = 4095;
    t->ttl = ttl;
    t->max = max;
    t->bufs = bufs;
    t->loop = loop;
    rlb_random_bytes(t->key, sizeof(t->key));
    ev_timer_init(&t->timer, expire_cb, 0, 0);
    t->timer.data = t;
    return 0;
}

static void
list_unlink(struct rlb_sticky *t, struct rlb_sticky_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        t->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->tail = e->prev;
    e->prev = e->next = NULL;
}

static void
list_append(struct rlb_sticky *t, struct rlb_sticky_entry *e)
{
    e->next = NULL;
    e->prev = t->tail;
    if (t->tail)
        t->tail->next = e;
    else
        t->head = e;
    t->tail = e;
}

/* Per-server session counts (the State table only): an entry moves from
 * old to new (either may be NULL). */
static void
track(const struct rlb_sticky *t, struct rlb_server *old, struct rlb_server *new)
{
    if (!t->per_server || old == new)
        return;
    if (old)
        old->sessions--;
    if (new)
        new->sessions++;
}

static void
remove_entry(struct rlb_sticky *t, struct rlb_sticky_entry *e)
{
    struct rlb_sticky_entry **p;

    for (p = &t->buckets[e->hash & t->mask]; *p; p = &(*p)->hnext) {
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    }
    list_unlink(t, e);
    t->count--;
    track(t, e->server, NULL);
    rlb_buf_put(t->bufs, (uint8_t *)e, e->size);
}

void
rlb_sticky_free(struct rlb_sticky *t)
{
    if (t->loop)
        ev_timer_stop(t->loop, &t->timer);
    while (t->head)
        remove_entry(t, t->head);
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static struct rlb_sticky_entry *
lookup(const struct rlb_sticky *t, uint32_t hash, const uint8_t *state, size_t len)
{
    for (struct rlb_sticky_entry *e = t->buckets[hash & t->mask]; e; e = e->hnext) {
        if (e->hash == hash && e->len == len && memcmp(e->state, state, len) == 0)
            return e;
    }
    return NULL;
}

static void
grow(struct rlb_sticky *t)
{
    uint32_t n = (t->mask + 1) * 2;
    struct rlb_sticky_entry **b = calloc(n, sizeof(*b));

    if (!b)
        return;
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct rlb_sticky_entry *e = t->buckets[i], *next;

        for (; e; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->mask = n - 1;
}

void
rlb_sticky_add(struct rlb_sticky *t, const uint8_t *state, size_t len, struct rlb_server *s,
               double now)
{
    uint32_t hash;
    struct rlb_sticky_entry *e;
    size_t size;

    if (len == 0 || len > 253 || t->max == 0)
        return;
    hash = (uint32_t)rlb_siphash13(t->key, state, len);
    e = lookup(t, hash, state, len);
    if (e) {
        track(t, e->server, s);
        e->server = s;
        e->used = now;
        list_unlink(t, e);
        list_append(t, e);
        return;
    }
    while (t->count >= t->max && t->head) {
        remove_entry(t, t->head);
        t->stats.evicted++;
    }
    size = sizeof(*e) + len;
    e = (struct rlb_sticky_entry *)rlb_buf_get(t->bufs, size);
    if (!e)
        return;
    e->size = (uint16_t)size;
    e->server = s;
    track(t, NULL, s);
    e->used = now;
    e->hash = hash;
    e->len = (uint8_t)len;
    memcpy(e->state, state, len);
    if (t->count > t->mask)
        grow(t);
    e->hnext = t->buckets[hash & t->mask];
    t->buckets[hash & t->mask] = e;
    list_append(t, e);
    t->count++;
    t->stats.inserted++;
    arm(t);
}

struct rlb_server *
rlb_sticky_find(struct rlb_sticky *t, const uint8_t *state, size_t len, double now)
{
    uint32_t hash = (uint32_t)rlb_siphash13(t->key, state, len);
    struct rlb_sticky_entry *e = lookup(t, hash, state, len);

    if (!e || e->used + t->ttl <= now)
        return NULL;               /* the caller decides whether it is an orphan */
    e->used = now;
    list_unlink(t, e);
    list_append(t, e);
    return e->server;
}

uint64_t
rlb_sticky_fingerprint(const struct rlb_sticky *t, const uint8_t *key, size_t len)
{
    return rlb_siphash13(t->key, key, len);
}

size_t
rlb_sticky_consume(struct rlb_sticky *t, uint64_t fp, size_t len, uint8_t *out)
{
    uint32_t hash = (uint32_t)fp;

    if (!t->buckets)
        return 0;
    for (struct rlb_sticky_entry *e = t->buckets[hash & t->mask]; e; e = e->hnext) {
        if (e->hash == hash && e->len == len && rlb_siphash13(t->key, e->state, len) == fp) {
            memcpy(out, e->state, len);
            remove_entry(t, e);
            t->stats.consumed++;
            return len;
        }
    }
    return 0;
}

void
rlb_sticky_remove(struct rlb_sticky *t, const uint8_t *key, size_t len)
{
    uint32_t hash = (uint32_t)rlb_siphash13(t->key, key, len);
    struct rlb_sticky_entry *e = lookup(t, hash, key, len);

    if (e)
        remove_entry(t, e);
}

unsigned long
rlb_sticky_expire(struct rlb_sticky *t, double now)
{
    unsigned long n = 0;

    while (t->head && t->head->used + t->ttl <= now) {
        remove_entry(t, t->head);
        n++;
    }
    t->stats.expired += n;
    arm(t);
    return n;
}

void
rlb_sticky_forget_server(struct rlb_sticky *t, const struct rlb_server *s)
{
    struct rlb_sticky_entry *e = t->head, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->server == s)
            remove_entry(t, e);
    }
}
