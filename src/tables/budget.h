/*
 * budget.h: prompt budgets (issue 15: push bombing and SMS pumping). A
 * key is a kind (User-Name, Calling-Station-Id, the client's name) and a
 * value; the table keeps, per key, the times of its last prompts (the
 * first legs that made an MFA server prompt the user), at most as many
 * as the largest budget. A key is over budget while, for some window,
 * the prompts of the last `window` seconds are at least that window's
 * `max`; the block lifts when the oldest of them ages out of the window.
 *
 * A key's id is a SipHash of its kind and value under a constant key, the
 * same on every instance (Redis keeps the shared counts under it); the
 * table hashes the id again under a random key, so that a client cannot
 * aim its buckets. A key's printable value (the first 32 octets) is kept
 * for radlbctl. Entries sit on one list by last use:
 * the max_entries cap evicts the least recently used, and an entry none
 * of whose prompts is in the largest window is dropped when met. Nothing
 * is allocated but an entry per new key (from the buffer pool).
 */
#ifndef RLB_BUDGET_H
#define RLB_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "list.h"
#include "request.h"

#define RLB_LIMIT_WINDOWS 8        /* budgets (windows) at most */
#define RLB_LIMIT_MAX     200      /* prompts a budget may allow */
#define RLB_LIMIT_NAME    32       /* octets of a key's value kept for display */

enum rlb_limit_kind { RLB_LIMIT_USER = 0, RLB_LIMIT_STATION, RLB_LIMIT_CLIENT, RLB_LIMIT_KINDS };

/* "user", "calling-station", "client" (the choices of limits.by). */
extern const char *const rlb_limit_kind_names[];

struct rlb_limit_entry {
    struct rlb_hnode hnode;        /* the table: the id hashed under the table's key */
    struct rlb_link  link;         /* use order: head is the oldest */
    uint64_t         key;
    double           used;         /* last prompt or check */
    double           logged;       /* the last log line about it (0: never) */
    uint64_t         blocked;      /* first legs refused */
    uint16_t         size;         /* allocation size (buffer pool) */
    uint16_t         cap;          /* stamps it can hold */
    uint16_t         n;            /* stamps held */
    uint16_t         head;         /* index of the oldest */
    uint8_t          kind;         /* enum rlb_limit_kind */
    uint8_t          namelen;
    char             name[RLB_LIMIT_NAME + 1];
    uint32_t         stamps[];     /* prompt times: deciseconds since the table's t0 */
};

struct rlb_limits_stats {
    uint64_t prompts;              /* prompts counted */
    uint64_t evicted;              /* entries dropped by max_entries */
    uint64_t blocked[RLB_LIMIT_KINDS];
    uint64_t allowed;              /* first legs of allow-listed users */
    uint64_t released;             /* prompts counted in flight, taken back: no prompt came */
};

struct rlb_limits {
    struct rlb_htab         tab;
    struct rlb_list         order;
    unsigned long           max;   /* entries at most */
    unsigned                nwin;
    double                  win[RLB_LIMIT_WINDOWS];     /* seconds */
    unsigned                winmax[RLB_LIMIT_WINDOWS];
    unsigned                cap;   /* the largest winmax: stamps per entry */
    double                  longest;
    double                  t0;
    uint8_t                 key[16];
    struct rlb_bufpool     *bufs;
    struct rlb_limits_stats stats;
};

/* What a check found: over budget in window `window` (an index), with
 * `count` prompts of at most `max`, until `until` (seconds, loop time). */
struct rlb_limit_verdict {
    bool     over;
    unsigned window;
    unsigned count;
    unsigned max;
    double   until;
};

int  rlb_limits_init(struct rlb_limits *l, struct rlb_bufpool *bufs, double now);
/* The budgets (n windows, seconds and max each) and the cap on entries;
 * at start and at reload (entries and their stamps stay). */
void rlb_limits_set(struct rlb_limits *l, const double *win, const unsigned *max, unsigned n,
                    unsigned long max_entries);
void rlb_limits_free(struct rlb_limits *l);

uint64_t rlb_limits_key(const struct rlb_limits *l, int kind, const uint8_t *value, size_t len);
struct rlb_limit_entry *rlb_limits_find(const struct rlb_limits *l, uint64_t key);
/* Is entry e (NULL: none) over budget now? Fills v (v->over false when not). */
bool rlb_limits_judge(const struct rlb_limits *l, const struct rlb_limit_entry *e, double now,
                      struct rlb_limit_verdict *v);
/* The same for key, counting a refusal when it is. */
bool rlb_limits_over(struct rlb_limits *l, uint64_t key, double now, struct rlb_limit_verdict *v);
/* One prompt of key (value: what to show of it). */
void rlb_limits_count(struct rlb_limits *l, uint64_t key, int kind, const uint8_t *value,
                      size_t len, double now);
/* Prompts of e within window i, now; *oldest: the time of the oldest of them. */
unsigned rlb_limits_in_window(const struct rlb_limits *l, const struct rlb_limit_entry *e,
                              unsigned i, double now, double *oldest);
/* Takes back the prompt of key counted at when (count = "challenge": a
 * first leg counts while in flight, and no longer once its reply shows it
 * did not prompt). */
void rlb_limits_uncount(struct rlb_limits *l, uint64_t key, double when);
/* Forgets key (radlbctl unblock): the prompts it had, or -1 when unknown. */
int  rlb_limits_forget(struct rlb_limits *l, uint64_t key);

/* Entries from the most recently used (e NULL: the first). */
struct rlb_limit_entry *rlb_limits_next(const struct rlb_limits *l,
                                        const struct rlb_limit_entry *e);

#endif
