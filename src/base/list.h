/*
 * list.h: the one intrusive doubly linked list. An object that sits on
 * a list embeds a struct rlb_link; the list knows its head, its tail and
 * its length, so append, prepend and remove are O(1) and an object can
 * leave a list without knowing where it is in it. rlb_container_of()
 * turns a link (or a hash node, htab.h) back into its object (the
 * container_of idiom of twemproxy's and the kernel's lists).
 *
 * Used by the request queues (timeq.h), the sticky tables' use order,
 * the front's open connections and the streams' flush list.
 */
#ifndef RLB_LIST_H
#define RLB_LIST_H

#include <stddef.h>

struct rlb_link {
    struct rlb_link *prev;
    struct rlb_link *next;
};

struct rlb_list {
    struct rlb_link *head;
    struct rlb_link *tail;
    unsigned long    count;
};

/* The object of type `type` whose member `member` is at ptr (NULL for NULL). */
#define rlb_container_of(ptr, type, member)                                  \
    ((ptr) ? (type *)(void *)((char *)(ptr) - offsetof(type, member)) : (type *)NULL)

static inline void
rlb_list_append(struct rlb_list *l, struct rlb_link *e)
{
    e->next = NULL;
    e->prev = l->tail;
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
    l->count++;
}

static inline void
rlb_list_prepend(struct rlb_list *l, struct rlb_link *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    else
        l->tail = e;
    l->head = e;
    l->count++;
}

/* e must be on l. */
static inline void
rlb_list_remove(struct rlb_list *l, struct rlb_link *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
    l->count--;
}

/* Moves e (on l) to the tail: a use-ordered list's "just used". */
static inline void
rlb_list_move_tail(struct rlb_list *l, struct rlb_link *e)
{
    rlb_list_remove(l, e);
    rlb_list_append(l, e);
}

#endif
