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

#endif
