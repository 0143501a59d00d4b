/*
 * htab.h: the one chained hash table. An object in a table embeds a
 * struct rlb_hnode that carries its 32-bit hash (computed by the owner,
 * with a keyed SipHash so that a client cannot aim collisions); the
 * table doubles when its load passes 1, and keeps its longer chains when
 * memory for a bigger one is refused. The owner walks a chain itself
 * (rlb_htab_chain) to compare keys: the table knows no key.
 *
 * Used by the duplicate table (dedup.c), the sticky tables (sticky.c) and
 * the user lists of the routing rules (routes.c).
 */
#ifndef RLB_HTAB_H
#define RLB_HTAB_H

#include <stdint.h>

struct rlb_hnode {
    struct rlb_hnode *next;
    uint32_t          hash;
};

struct rlb_htab {
    struct rlb_hnode **buckets;
    uint32_t           mask;       /* buckets - 1 */
    unsigned long      count;
};

/* At least min buckets (rounded up to a power of two); -1 without memory. */
int  rlb_htab_init(struct rlb_htab *h, unsigned long min);
void rlb_htab_free(struct rlb_htab *h);
/* n->hash must be set. */
void rlb_htab_insert(struct rlb_htab *h, struct rlb_hnode *n);
/* n must be in h. */
void rlb_htab_remove(struct rlb_htab *h, struct rlb_hnode *n);

/* The first node of hash's chain (follow ->next, compare ->hash first). */
static inline struct rlb_hnode *
rlb_htab_chain(const struct rlb_htab *h, uint32_t hash)
{
    return h->buckets ? h->buckets[hash & h->mask] : NULL;
}

#endif
