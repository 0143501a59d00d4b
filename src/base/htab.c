/*
 * htab.c: the chained hash table (see htab.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htab.h"

int
rlb_htab_init(struct rlb_htab *h, unsigned long min)
{
    uint32_t n = 16;

    while (n < min && n < (UINT32_C(1) << 31))
        n <<= 1;
    memset(h, 0, sizeof(*h));
    h->buckets = calloc(n, sizeof(*h->buckets));
    if (!h->buckets)
        return -1;
    h->mask = n - 1;
    return 0;
}

void
rlb_htab_free(struct rlb_htab *h)
{
    free(h->buckets);
    memset(h, 0, sizeof(*h));
}

static void
grow(struct rlb_htab *h)
{
    uint32_t n = (h->mask + 1) * 2;
    struct rlb_hnode **b;

    if (n == 0)
        return;
    b = calloc(n, sizeof(*b));
    if (!b)
        return;                    /* keep the longer chains */
    for (uint32_t i = 0; i <= h->mask; i++) {
        struct rlb_hnode *e = h->buckets[i], *next;

        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(h->buckets);
    h->buckets = b;
    h->mask = n - 1;
}

void
rlb_htab_insert(struct rlb_htab *h, struct rlb_hnode *n)
{
    struct rlb_hnode **b;

    if (h->count > h->mask)
        grow(h);
    b = &h->buckets[n->hash & h->mask];
    n->next = *b;
    *b = n;
    h->count++;
}

void
rlb_htab_remove(struct rlb_htab *h, struct rlb_hnode *n)
{
    for (struct rlb_hnode **p = &h->buckets[n->hash & h->mask]; *p; p = &(*p)->next) {
        if (*p == n) {
            *p = n->next;
            n->next = NULL;
            h->count--;
            return;
        }
    }
}
