/*
 * master.h: which server is the master (the one with the writable MFA
 * database) and promotion.
 *
 * The master comes from the configuration (role = "master"), then from
 * state_file when it names a configured server: a promotion is written
 * there (write, fsync, rename) before it takes effect, so a restart keeps
 * it. Promotion is manual only (radlbctl promote); it bumps an epoch.
 * With Redis, the epoch and the master's name are shared: a promotion is a
 * compare-and-set on the epoch, so two racing on two instances cannot both
 * win, and every instance adopts a newer epoch within half a second.
 *
 * While the master cannot take writes, radlb says so: a log line every
 * minute and a gauge of seconds without a master.
 *
 * Each pool (ctx.h) has its own master, epoch, state-file line and Redis
 * key; a server is the master of its own pool only.
 */
#ifndef RLB_MASTER_H
#define RLB_MASTER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rlb_ctx;
struct rlb_pool;
struct rlb_server;

struct rlb_master {
    struct rlb_server *server;      /* the current master */
    uint64_t           epoch;       /* bumped by every promotion */
    bool               available;   /* it takes writes (as of the last tick) */
    double             down_since;  /* writes have had no master since (when !available) */
    double             last_log;    /* the last "no master" line */
    ev_timer           tick;        /* every second */
    pid_t              hook_pid;    /* on_promote, while it runs */
    ev_child           hook_child;
    ev_timer           hook_timer;
    uint64_t           promotions;  /* made here or adopted */
    /* a promotion waiting for Redis's compare-and-set */
    bool               pending;
    uint64_t           pending_conn;  /* the control connection to answer */
    struct rlb_server *pending_server;
    uint64_t           pending_epoch;
    char               pending_who[64];
    ev_timer           pending_timer;
};

/* The pool's master: from role, then from state_file. */
int  rlb_master_start(struct rlb_ctx *ctx, struct rlb_pool *p);
void rlb_master_stop(struct rlb_ctx *ctx, struct rlb_pool *p);

/* The pool's master takes writes now (up, not in maintenance). */
bool rlb_master_takes_writes(const struct rlb_pool *p);
/* Seconds the pool's writes have had no master (0 when they have one). */
double rlb_master_seconds_without(const struct rlb_pool *p);

/*
 * Makes s the master of its pool at epoch: state_file first (when it cannot be written,
 * nothing changes and -1 comes back with err), then the roles, the audit
 * line, spool replay, and the on_promote command when run_hook.
 * who says who asked ("uid 0", "another instance (Redis)").
 */
int rlb_master_apply(struct rlb_ctx *ctx, struct rlb_server *s, uint64_t epoch, const char *who,
                     bool run_hook, char *err, size_t errlen);

/*
 * radlbctl promote NAME [force]. Refuses a server that is down or in
 * maintenance unless forced. Without Redis the promotion is applied at
 * once (0, the answer in out). With Redis it is a compare-and-set there:
 * 1 comes back and the control connection conn is answered later through
 * rlb_control_finish(). -1 with the reason in err.
 */
struct rlb_strbuf;
int rlb_master_promote(struct rlb_ctx *ctx, struct rlb_server *s, bool force, const char *who,
                       uint64_t conn, struct rlb_strbuf *out, struct rlb_strbuf *err);

/* Redis names a pool's master at an epoch (polled), or none (NULL): adopt
 * a newer one; publish ours when Redis has none or an older one. */
void rlb_master_seen(struct rlb_ctx *ctx, struct rlb_pool *p, const char *name, uint64_t epoch);
/* A compare-and-set came back: ok; or not, with the master and epoch Redis
 * has instead (answered) or nothing (the connection was lost). */
void rlb_master_cas_done(struct rlb_ctx *ctx, struct rlb_pool *p, bool ok, bool answered,
                         const char *name, uint64_t epoch);

#endif
