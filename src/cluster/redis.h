/*
 * redis.h: the link to Redis: one hiredis asynchronous connection on
 * radlb's own libev loop; nothing ever blocks it.
 *
 * The connection goes to redis.address, or to the master that Redis
 * Sentinel names (re-resolved on every connection); AUTH, SELECT and ROLE
 * (which must say "master") come first. A lost, refused, demoted (READONLY)
 * or stuck connection is rebuilt with jittered exponential backoff;
 * meanwhile commands are refused. One log line says when Redis becomes
 * unusable, one when it is back.
 *
 * The link carries commands and replies without knowing what they mean:
 * its owner (rstore.c) sends each command with a callback for its reply,
 * and hears through rlb_redis_hooks when the link becomes ready and when
 * it is lost.
 */
#ifndef RLB_REDIS_H
#define RLB_REDIS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct redisReply;
struct rlb_conf_redis;
struct rlb_redis;

/* The Redis counters (name, help), declared once: struct rlb_redis_stats
 * and the rows redis_NAME_total of metrics.c. The link counts its
 * connections and its hand-shake; its owner (rstore.c) its commands and
 * their error replies. */
#define RLB_REDIS_COUNTERS(X)                                                                   \
    X(gets, "session lookups sent")                                                             \
    X(hits, "lookups that named a server")                                                      \
    X(misses, "lookups that found nothing")                                                     \
    X(timeouts, "lookups not answered within redis.timeout")                                    \
    X(sets, "sessions written")                                                                 \
    X(write_timeouts, "challenges sent without Redis's acknowledgement (redis.timeout)")        \
    X(dels, "sessions deleted")                                                                 \
    X(skipped, "lookups and writes not sent: Redis not usable")                                 \
    X(errors, "Redis error replies and failed connections")                                     \
    X(outages, "times Redis became unusable")                                                   \
    X(connects, "connections to Redis that became ready")

struct rlb_redis_stats {
#define X(name, help) uint64_t name;
    RLB_REDIS_COUNTERS(X)
#undef X
};

/* The link's state as it is reported (OFF: there is no link,
 * sticky.store = "memory"), and the one table of their names, in that
 * order and NULL-terminated. */
enum rlb_redis_state { RLB_REDIS_OFF = 0, RLB_REDIS_DOWN, RLB_REDIS_CONNECTING, RLB_REDIS_READY };
extern const char *const rlb_redis_state_names[];

/* What the owner is told (owner: the pointer given to rlb_redis_start). */
struct rlb_redis_hooks {
    /* connected to the master and hand-shaken: commands may go */
    void (*ready)(void *owner);
    /* no longer usable; called before the commands in flight get their
     * (NULL) replies */
    void (*lost)(void *owner);
};

/* The reply to one command (hiredis's redisReply), or NULL when the
 * connection was lost or dropped before it came. */
typedef void (*rlb_redis_reply_fn)(void *arg, const struct redisReply *reply);

/* Connects at once (and again after every failure); NULL when out of
 * memory. */
struct rlb_redis *rlb_redis_start(struct ev_loop *loop, const struct rlb_conf_redis *conf,
                                  const struct rlb_redis_hooks *hooks, void *owner);
/* Closes the link; the commands in flight get their NULL replies first. */
void rlb_redis_stop(struct rlb_redis *rd);

/* Connected to the master and ready for commands. */
bool rlb_redis_ready(const struct rlb_redis *rd);
/* Sends one command (hiredis's format: %s, %b, %d ... with its arguments
 * in ap) whose reply goes to fn(arg, reply) exactly once; false when it
 * cannot be sent (not ready, too many in flight): then fn is never called. */
bool rlb_redis_vcommand(struct rlb_redis *rd, rlb_redis_reply_fn fn, void *arg, const char *fmt,
                        va_list ap);

/* The counters (RLB_REDIS_COUNTERS), which the owner counts in too. */
struct rlb_redis_stats *rlb_redis_stats(struct rlb_redis *rd);
/* RLB_REDIS_DOWN, RLB_REDIS_CONNECTING (resolving, connecting, hand-shaking)
 * or RLB_REDIS_READY. */
enum rlb_redis_state rlb_redis_state(const struct rlb_redis *rd);
/* The address in use ("" when none) and the reason of the last failure. */
const char *rlb_redis_where(const struct rlb_redis *rd);
const char *rlb_redis_last_error(const struct rlb_redis *rd);
/* Records a failure the owner read in a reply, as the last error. */
void rlb_redis_set_error(struct rlb_redis *rd, const char *what, const char *detail);
/* Commands sent and not yet answered. */
unsigned rlb_redis_outstanding(const struct rlb_redis *rd);

/* The backoff after n failures in a row, before jitter: 0.1 s doubling to 5 s. */
double rlb_redis_backoff(unsigned failures);

#endif
