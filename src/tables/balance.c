/*
 * balance.c: the balancing algorithms (see balance.h).
 */
#include "config.h"

#include "balance.h"

const char *const rlb_balance_names[] = { "least-outstanding", "round-robin", "weighted", NULL };

const char *
rlb_balance_name(int balance)
{
    return balance >= 0 && balance <= RLB_BALANCE_WEIGHTED ? rlb_balance_names[balance] : "?";
}

static struct rlb_server *
least_outstanding(struct rlb_balancer *b, struct rlb_server *const *v, unsigned n,
                  const struct rlb_server *except)
{
    struct rlb_server *best = NULL;
    unsigned start = b->cursor++ % n;

    for (unsigned k = 0; k < n; k++) {
        struct rlb_server *s = v[(start + k) % n];

        if (!rlb_server_takes_new(s) || s == except)
            continue;
        /* s->outstanding / s->weight < best->outstanding / best->weight */
        if (!best || (unsigned long)s->outstanding * (unsigned long)best->weight <
                         (unsigned long)best->outstanding * (unsigned long)s->weight)
            best = s;
    }
    return best;
}

static struct rlb_server *
round_robin(struct rlb_balancer *b, struct rlb_server *const *v, unsigned n,
            const struct rlb_server *except)
{
    for (unsigned k = 0; k < n; k++) {
        struct rlb_server *s = v[b->cursor++ % n];

        if (rlb_server_takes_new(s) && s != except)
            return s;
    }
    return NULL;
}

static struct rlb_server *
weighted(struct rlb_server *const *v, unsigned n, const struct rlb_server *except)
{
    struct rlb_server *best = NULL;
    int total = 0;

    for (unsigned i = 0; i < n; i++) {
        if (!rlb_server_takes_new(v[i]) || v[i] == except)
            continue;
        v[i]->swrr_current += v[i]->weight;
        total += v[i]->weight;
        if (!best || v[i]->swrr_current > best->swrr_current)
            best = v[i];
    }
    if (best)
        best->swrr_current -= total;
    return best;
}

struct rlb_server *
rlb_balance_pick_except(struct rlb_balancer *b, struct rlb_server *const *v, unsigned n,
                        const struct rlb_server *except)
{
    if (n == 0)
        return NULL;
    switch (b->algo) {
    case RLB_BALANCE_ROUND_ROBIN:
        return round_robin(b, v, n, except);
    case RLB_BALANCE_WEIGHTED:
        return weighted(v, n, except);
    default:
        return least_outstanding(b, v, n, except);
    }
}

struct rlb_server *
rlb_balance_pick(struct rlb_balancer *b, struct rlb_server *const *v, unsigned n)
{
    return rlb_balance_pick_except(b, v, n, NULL);
}
