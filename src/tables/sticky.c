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

static struct rlb_sticky_entry *
oldest(const struct rlb_sticky *t)
{
    return rlb_container_of(t->order.head, struct rlb_sticky_entry, link);
}

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
    const struct rlb_sticky_entry *head = oldest(t);

    if (t->loop && head && !ev_is_active(&t->timer)) {
        double at = head->used + t->ttl - ev_now(t->loop);

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
    if (rlb_htab_init(&t->tab, 4096) < 0)
        return -1;
    t->ttl = ttl;
    t->max = max;
    t->bufs = bufs;
    t->loop = loop;
    rlb_random_bytes(t->key, sizeof(t->key));
    ev_timer_init(&t->timer, expire_cb, 0, 0);
    t->timer.data = t;
    return 0;
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
    rlb_htab_remove(&t->tab, &e->hnode);
    rlb_list_remove(&t->order, &e->link);
    track(t, e->server, NULL);
    rlb_buf_put(t->bufs, (uint8_t *)e, e->size);
}

void
rlb_sticky_free(struct rlb_sticky *t)
{
    if (t->loop)
        ev_timer_stop(t->loop, &t->timer);
    while (t->order.head)
        remove_entry(t, oldest(t));
    rlb_htab_free(&t->tab);
    memset(t, 0, sizeof(*t));
}

static struct rlb_sticky_entry *
lookup(const struct rlb_sticky *t, uint32_t hash, const uint8_t *state, size_t len)
{
    for (struct rlb_hnode *n = rlb_htab_chain(&t->tab, hash); n; n = n->next) {
        struct rlb_sticky_entry *e = rlb_container_of(n, struct rlb_sticky_entry, hnode);

        if (n->hash == hash && e->len == len && memcmp(e->state, state, len) == 0)
            return e;
    }
    return NULL;
}

struct rlb_sticky_entry *
rlb_sticky_add(struct rlb_sticky *t, const uint8_t *state, size_t len, struct rlb_server *s,
               double now)
{
    uint32_t hash;
    struct rlb_sticky_entry *e;
    size_t size;

    if (len == 0 || len > 253 || t->max == 0)
        return NULL;
    hash = (uint32_t)rlb_siphash13(t->key, state, len);
    e = lookup(t, hash, state, len);
    if (e) {
        track(t, e->server, s);
        e->server = s;
        e->used = now;
        rlb_list_move_tail(&t->order, &e->link);
        return e;
    }
    while (t->tab.count >= t->max && t->order.head) {
        remove_entry(t, oldest(t));
        t->stats.evicted++;
    }
    size = sizeof(*e) + len;
    e = (struct rlb_sticky_entry *)rlb_buf_get(t->bufs, size);
    if (!e)
        return NULL;
    e->size = (uint16_t)size;
    e->server = s;
    e->login_id = 0;
    e->login_cs = 0;
    e->login_leg = 0;
    track(t, NULL, s);
    e->used = now;
    e->hnode.hash = hash;
    e->len = (uint8_t)len;
    memcpy(e->state, state, len);
    rlb_htab_insert(&t->tab, &e->hnode);
    rlb_list_append(&t->order, &e->link);
    t->stats.inserted++;
    arm(t);
    return e;
}

const struct rlb_sticky_entry *
rlb_sticky_get(struct rlb_sticky *t, const uint8_t *state, size_t len, double now)
{
    uint32_t hash = (uint32_t)rlb_siphash13(t->key, state, len);
    struct rlb_sticky_entry *e = lookup(t, hash, state, len);

    if (!e || e->used + t->ttl <= now)
        return NULL;               /* the caller decides whether it is an orphan */
    e->used = now;
    rlb_list_move_tail(&t->order, &e->link);
    return e;
}

struct rlb_server *
rlb_sticky_find(struct rlb_sticky *t, const uint8_t *state, size_t len, double now)
{
    const struct rlb_sticky_entry *e = rlb_sticky_get(t, state, len, now);

    return e ? e->server : NULL;
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

    for (struct rlb_hnode *n = rlb_htab_chain(&t->tab, hash); n; n = n->next) {
        struct rlb_sticky_entry *e = rlb_container_of(n, struct rlb_sticky_entry, hnode);

        if (n->hash == hash && e->len == len && rlb_siphash13(t->key, e->state, len) == fp) {
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
    struct rlb_sticky_entry *e;

    while ((e = oldest(t)) && e->used + t->ttl <= now) {
        remove_entry(t, e);
        n++;
    }
    t->stats.expired += n;
    arm(t);
    return n;
}

void
rlb_sticky_forget_server(struct rlb_sticky *t, const struct rlb_server *s)
{
    struct rlb_sticky_entry *e = oldest(t), *next;

    for (; e; e = next) {
        next = rlb_container_of(e->link.next, struct rlb_sticky_entry, link);
        if (e->server == s)
            remove_entry(t, e);
    }
}
