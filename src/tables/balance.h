/*
 * balance.h: choosing the server for a new request. One function, so that
 * stickiness, roles and health (later) have one place to act.
 *
 *  least-outstanding  the fewest requests in flight relative to weight
 *                     (right when answers wait on humans); ties rotate
 *  round-robin        each server in turn
 *  weighted           smooth weighted round robin (nginx's algorithm)
 *
 * Only servers that take new requests (enabled and up) are candidates;
 * NULL when there is none.
 */
#ifndef RLB_BALANCE_H
#define RLB_BALANCE_H

#include "server.h"

struct rlb_balancer {
    int      algo;                 /* enum rlb_balance */
    unsigned cursor;               /* rotation for round-robin and ties */
};

struct rlb_server *rlb_balance_pick(struct rlb_balancer *b, struct rlb_server *const *v,
                                    unsigned n);
/* The same, never choosing except (the master, when it serves no reads). */
struct rlb_server *rlb_balance_pick_except(struct rlb_balancer *b, struct rlb_server *const *v,
                                           unsigned n, const struct rlb_server *except);

/* The algorithms' names by enum rlb_balance, NULL-terminated (the choices
 * of proxy.balance). */
extern const char *const rlb_balance_names[];
/* "least-outstanding", "round-robin", "weighted"; "?" for anything else. */
const char *rlb_balance_name(int balance);

#endif
