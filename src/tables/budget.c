/*
 * budget.c: the prompt-budget table (see budget.h).
 */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "dedup.h"
#include "budget.h"

const char *const rlb_limit_kind_names[] = { "user", "calling-station", "client", NULL };

/* A key's id is the same on every instance (they meet in Redis under it):
 * SipHash under this constant. The table's buckets are hashed again under
 * the instance's random key, so that nobody can aim a bucket. */
static const uint8_t ID_KEY[16] = "radlb limits v1";

static uint32_t
bucket(const struct rlb_limits *l, uint64_t key)
{
    return (uint32_t)rlb_siphash13(l->key, &key, sizeof(key));
}

#define TICK 10.0                  /* stamps per second */

static uint32_t
stamp_of(const struct rlb_limits *l, double t)
{
    double d = (t - l->t0) * TICK;

    return d <= 0 ? 0 : d >= 4294967295.0 ? 4294967295u : (uint32_t)d;
}

static double
time_of(const struct rlb_limits *l, uint32_t s)
{
    return l->t0 + s / TICK;
}

int
rlb_limits_init(struct rlb_limits *l, struct rlb_bufpool *bufs, double now)
{
    memset(l, 0, sizeof(*l));
    l->bufs = bufs;
    l->t0 = now;
    rlb_random_bytes(l->key, sizeof(l->key));
    return rlb_htab_init(&l->tab, 1024);
}

void
rlb_limits_set(struct rlb_limits *l, const double *win, const unsigned *max, unsigned n,
               unsigned long max_entries)
{
    l->nwin = n > RLB_LIMIT_WINDOWS ? RLB_LIMIT_WINDOWS : n;
    l->cap = 0;
    l->longest = 0;
    for (unsigned i = 0; i < l->nwin; i++) {
        l->win[i] = win[i];
        l->winmax[i] = max[i] > RLB_LIMIT_MAX ? RLB_LIMIT_MAX : max[i];
        if (l->winmax[i] > l->cap)
            l->cap = l->winmax[i];
        if (win[i] > l->longest)
            l->longest = win[i];
    }
    l->max = max_entries;
}

static void
drop(struct rlb_limits *l, struct rlb_limit_entry *e)
{
    rlb_htab_remove(&l->tab, &e->hnode);
    rlb_list_remove(&l->order, &e->link);
    rlb_buf_put(l->bufs, (uint8_t *)e, e->size);
}

void
rlb_limits_free(struct rlb_limits *l)
{
    struct rlb_limit_entry *e;

    while ((e = rlb_container_of(l->order.head, struct rlb_limit_entry, link)))
        drop(l, e);
    rlb_htab_free(&l->tab);
}

uint64_t
rlb_limits_key(const struct rlb_limits *l, int kind, const uint8_t *value, size_t len)
{
    uint8_t buf[256];

    if (len > sizeof(buf) - 1)
        len = sizeof(buf) - 1;
    (void)l;
    buf[0] = (uint8_t)kind;
    memcpy(buf + 1, value, len);
    return rlb_siphash13(ID_KEY, buf, len + 1);
}

struct rlb_limit_entry *
rlb_limits_find(const struct rlb_limits *l, uint64_t key)
{
    uint32_t h = bucket(l, key);

    for (struct rlb_hnode *n = rlb_htab_chain(&l->tab, h); n; n = n->next) {
        struct rlb_limit_entry *e = rlb_container_of(n, struct rlb_limit_entry, hnode);

        if (n->hash == h && e->key == key)
            return e;
    }
    return NULL;
}

/* The stamp i places after the oldest. */
static uint32_t
nth(const struct rlb_limit_entry *e, unsigned i)
{
    return e->stamps[(e->head + i) % e->cap];
}

unsigned
rlb_limits_in_window(const struct rlb_limits *l, const struct rlb_limit_entry *e, unsigned i,
                     double now, double *oldest)
{
    double start = now - l->win[i];
    unsigned count = 0;

    *oldest = 0;
    /* The newest ones are last: walk back while they are in the window. */
    for (unsigned k = e->n; k > 0; k--) {
        double t = time_of(l, nth(e, k - 1));

        if (t <= start)
            break;
        count++;
        *oldest = t;
    }
    return count;
}

bool
rlb_limits_judge(const struct rlb_limits *l, const struct rlb_limit_entry *e, double now,
                 struct rlb_limit_verdict *v)
{
    memset(v, 0, sizeof(*v));
    for (unsigned i = 0; e && i < l->nwin; i++) {
        double oldest, lift;
        unsigned c = rlb_limits_in_window(l, e, i, now, &oldest);

        if (c < l->winmax[i])
            continue;
        /* The block lifts once enough of them are older than the window:
         * when the (c - max + 1)-th oldest of the window ages out. */
        lift = time_of(l, nth(e, e->n - l->winmax[i])) + l->win[i];
        if (!v->over || lift > v->until) {
            v->over = true;
            v->window = i;
            v->count = c;
            v->max = l->winmax[i];
            v->until = lift;
        }
    }
    return v->over;
}

bool
rlb_limits_over(struct rlb_limits *l, uint64_t key, double now, struct rlb_limit_verdict *v)
{
    struct rlb_limit_entry *e = rlb_limits_find(l, key);

    if (!rlb_limits_judge(l, e, now, v))
        return false;
    e->blocked++;
    return true;
}

/* An entry whose prompts have all left the longest window is of no use. */
static bool
stale(const struct rlb_limits *l, const struct rlb_limit_entry *e, double now)
{
    return !e->n || time_of(l, nth(e, e->n - 1)) + l->longest < now;
}

void
rlb_limits_count(struct rlb_limits *l, uint64_t key, int kind, const uint8_t *value,
                 size_t len, double now)
{
    struct rlb_limit_entry *e = rlb_limits_find(l, key), *old;

    if (!l->cap)
        return;
    /* Room: the stale and, beyond the cap, the least recently used. */
    while ((old = rlb_container_of(l->order.head, struct rlb_limit_entry, link)) && old != e &&
           (stale(l, old, now) || (!e && l->max && l->order.count >= l->max))) {
        if (!stale(l, old, now))
            l->stats.evicted++;
        drop(l, old);
    }
    if (e && e->cap < l->cap) {
        /* The budgets grew (a reload): a bigger entry, the stamps kept. */
        struct rlb_limit_entry *ne;
        size_t size = sizeof(*e) + l->cap * sizeof(uint32_t);

        ne = (struct rlb_limit_entry *)rlb_buf_get(l->bufs, size);
        if (ne) {
            memcpy(ne, e, sizeof(*e));
            ne->size = (uint16_t)size;
            ne->cap = (uint16_t)l->cap;
            for (unsigned i = 0; i < e->n; i++)
                ne->stamps[i] = nth(e, i);
            ne->head = 0;
            drop(l, e);
            rlb_htab_insert(&l->tab, &ne->hnode);
            rlb_list_append(&l->order, &ne->link);
            e = ne;
        }
    }
    if (!e) {
        size_t size = sizeof(*e) + l->cap * sizeof(uint32_t);

        e = (struct rlb_limit_entry *)rlb_buf_get(l->bufs, size);
        if (!e)
            return;
        memset(e, 0, sizeof(*e));
        e->size = (uint16_t)size;
        e->cap = (uint16_t)l->cap;
        e->key = key;
        e->kind = (uint8_t)kind;
        e->namelen = (uint8_t)(len < RLB_LIMIT_NAME ? len : RLB_LIMIT_NAME);
        memcpy(e->name, value, e->namelen);
        e->name[e->namelen] = '\0';
        e->hnode.hash = bucket(l, key);
        rlb_htab_insert(&l->tab, &e->hnode);
        rlb_list_append(&l->order, &e->link);
    } else {
        rlb_list_move_tail(&l->order, &e->link);
    }
    if (e->n == e->cap) {          /* full: the oldest goes */
        e->head = (uint16_t)((e->head + 1) % e->cap);
        e->n--;
    }
    e->stamps[(e->head + e->n) % e->cap] = stamp_of(l, now);
    e->n++;
    e->used = now;
    l->stats.prompts++;
}

void
rlb_limits_uncount(struct rlb_limits *l, uint64_t key, double when)
{
    struct rlb_limit_entry *e = rlb_limits_find(l, key);
    uint32_t st = stamp_of(l, when);

    /* The newest stamp of that time (a prompt counted while in flight). */
    for (unsigned k = e ? e->n : 0; k > 0; k--) {
        if (nth(e, k - 1) != st)
            continue;
        for (unsigned j = k - 1; j + 1 < e->n; j++)
            e->stamps[(e->head + j) % e->cap] = nth(e, j + 1);
        e->n--;
        l->stats.released++;
        return;
    }
}

int
rlb_limits_forget(struct rlb_limits *l, uint64_t key)
{
    struct rlb_limit_entry *e = rlb_limits_find(l, key);
    int n;

    if (!e)
        return -1;
    n = e->n;
    drop(l, e);
    return n;
}

struct rlb_limit_entry *
rlb_limits_next(const struct rlb_limits *l, const struct rlb_limit_entry *e)
{
    return rlb_container_of(e ? e->link.prev : l->order.tail, struct rlb_limit_entry, link);
}
