/*
 * timeq.h: a FIFO of requests that all wait the same time (libev's "be
 * smart about timeouts": one ev_timer for the head, O(1) insert and
 * remove). Requests enter at the tail in time order, so the head always
 * expires first.
 */
#ifndef RLB_TIMEQ_H
#define RLB_TIMEQ_H

#include <ev.h>

#include "request.h"

struct rlb_timeq {
    ev_timer            timer;     /* armed for the head's deadline */
    struct rlb_request *head;
    struct rlb_request *tail;
    unsigned long       count;
    double              wait;      /* seconds each request waits */
};

static inline void
rlb_timeq_push(struct rlb_timeq *q, struct rlb_request *r)
{
    r->qnext = NULL;
    r->qprev = q->tail;
    if (q->tail)
        q->tail->qnext = r;
    else
        q->head = r;
    q->tail = r;
    q->count++;
}

static inline void
rlb_timeq_remove(struct rlb_timeq *q, struct rlb_request *r)
{
    if (r->qprev)
        r->qprev->qnext = r->qnext;
    else
        q->head = r->qnext;
    if (r->qnext)
        r->qnext->qprev = r->qprev;
    else
        q->tail = r->qprev;
    r->qprev = r->qnext = NULL;
    q->count--;
}

/* Starts the timer when it is idle and the queue is not empty. */
static inline void
rlb_timeq_arm(struct ev_loop *loop, struct rlb_timeq *q)
{
    if (q->head && !ev_is_active(&q->timer)) {
        double at = q->head->when + q->wait - ev_now(loop);

        ev_timer_set(&q->timer, at > 0 ? at : 0, 0);
        ev_timer_start(loop, &q->timer);
    }
}

#endif
