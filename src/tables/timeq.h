/*
 * timeq.h: a FIFO of requests that all wait the same time (libev's "be
 * smart about timeouts": one ev_timer for the head, O(1) insert and
 * remove). Requests enter at the tail in time order, so the head always
 * expires first.
 */
#ifndef RLB_TIMEQ_H
#define RLB_TIMEQ_H

#include <ev.h>

#include "list.h"
#include "request.h"

struct rlb_timeq {
    ev_timer            timer;     /* armed for the head's deadline */
    struct rlb_list     list;      /* of requests, by req->qlink */
    double              wait;      /* seconds each request waits */
};

/* The oldest request (the first to expire), or NULL. */
static inline struct rlb_request *
rlb_timeq_head(const struct rlb_timeq *q)
{
    return rlb_container_of(q->list.head, struct rlb_request, qlink);
}

/* The newest request, or NULL. */
static inline struct rlb_request *
rlb_timeq_tail(const struct rlb_timeq *q)
{
    return rlb_container_of(q->list.tail, struct rlb_request, qlink);
}

static inline unsigned long
rlb_timeq_count(const struct rlb_timeq *q)
{
    return q->list.count;
}

static inline void
rlb_timeq_push(struct rlb_timeq *q, struct rlb_request *r)
{
    rlb_list_append(&q->list, &r->qlink);
}

static inline void
rlb_timeq_remove(struct rlb_timeq *q, struct rlb_request *r)
{
    rlb_list_remove(&q->list, &r->qlink);
}

/* Starts the timer when it is idle and the queue is not empty. */
static inline void
rlb_timeq_arm(struct ev_loop *loop, struct rlb_timeq *q)
{
    if (q->list.head && !ev_is_active(&q->timer)) {
        double at = rlb_timeq_head(q)->when + q->wait - ev_now(loop);

        ev_timer_set(&q->timer, at > 0 ? at : 0, 0);
        ev_timer_start(loop, &q->timer);
    }
}

#endif
