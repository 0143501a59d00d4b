/*
 * redis.c: the link to Redis (see redis.h).
 *
 * hiredis 0.14 (Debian 12) has no asynchronous timeouts, so this module
 * keeps its own: a deadline for connecting and hand-shaking, and a
 * watchdog that drops a connection whose oldest command has waited too
 * long (a stopped or overloaded Redis); the owner keeps redis.timeout for
 * each of its commands. Contexts are only freed from radlb's own timers,
 * never from inside a hiredis callback (there they are disconnected,
 * which hiredis completes itself).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <hiredis/adapters/libev.h>
#pragma GCC diagnostic pop

#include "addr.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "redis.h"

#define RD_RING        16384       /* commands in flight at most; beyond, refused */
#define RD_CONNECT_MAX 2.0         /* seconds to connect and hand-shake */
#define RD_WATCHDOG    0.25        /* seconds between stuck-connection checks */

enum rd_state { RD_DOWN = 0, RD_RESOLVING, RD_CONNECTING, RD_HANDSHAKE, RD_READY };
enum rd_op { OP_OWNER, OP_AUTH, OP_SELECT, OP_ROLE };

/* One command in flight: whose reply it is. */
struct rlb_redis_cmd {
    struct rlb_redis_cmd *next;    /* free list */
    struct rlb_redis     *rd;
    rlb_redis_reply_fn    fn;      /* OP_OWNER: the owner's callback */
    void                 *arg;
    int                   op;      /* enum rd_op */
};

struct rlb_redis {
    struct ev_loop              *loop;
    const struct rlb_conf_redis *conf;
    struct rlb_redis_hooks       hooks;
    void                        *owner;
    redisAsyncContext           *ac;            /* the master */
    redisAsyncContext           *sac;           /* a sentinel being asked */
    int                          state;         /* enum rd_state */
    unsigned                     next_sentinel;
    unsigned                     asked;         /* sentinels asked in this round */
    unsigned                     failures;      /* in a row */
    char                         host[64];      /* the master in use */
    int                          port;
    char                         where[96];
    char                         last_error[192];
    bool                         in_outage;
    double                       down_since;
    uint64_t                     skipped_before; /* st.skipped when the outage began */
    ev_timer                     retry;         /* backoff, and the connect deadline */
    ev_timer                     watchdog;
    double                       sent[RD_RING]; /* send times of the commands in flight */
    unsigned                     head;
    unsigned                     count;
    struct rlb_redis_cmd        *free_cmds;
    struct rlb_redis_stats       st;
};

static void rd_connect(struct rlb_redis *rd);

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

double
rlb_redis_backoff(unsigned failures)
{
    double d = 0.1;

    for (unsigned i = 1; i < failures && d < 5.0; i++)
        d *= 2;
    return d < 5.0 ? d : 5.0;
}

static struct rlb_redis_cmd *
cmd_get(struct rlb_redis *rd, int op)
{
    struct rlb_redis_cmd *c = rd->free_cmds;

    if (c)
        rd->free_cmds = c->next;
    else if (!(c = malloc(sizeof(*c))))
        return NULL;
    c->rd = rd;
    c->fn = NULL;
    c->arg = NULL;
    c->op = op;
    c->next = NULL;
    return c;
}

static void
cmd_put(struct rlb_redis *rd, struct rlb_redis_cmd *c)
{
    c->next = rd->free_cmds;
    rd->free_cmds = c;
}

static double
now(const struct rlb_redis *rd)
{
    return ev_now(rd->loop);
}

/* ------------------------------------------------------------------ */
/* Failure, outage, readiness                                          */

static void
drop_context(redisAsyncContext *ac, bool in_callback)
{
    if (!ac)
        return;
    if (in_callback)
        redisAsyncDisconnect(ac);  /* hiredis frees it once the callback returns */
    else
        redisAsyncFree(ac);        /* pending callbacks run with a NULL reply */
}

/* The connection cannot be used: note why, say so once per outage, and
 * try again after a backoff. */
static void
rd_fail(struct rlb_redis *rd, const char *reason, bool in_callback)
{
    redisAsyncContext *ac = rd->ac, *sac = rd->sac;
    double delay;
    uint8_t r;

    rd->ac = NULL;                 /* first: callbacks of the drop see no connection */
    rd->sac = NULL;
    rd->state = RD_DOWN;
    rd->count = 0;
    rd->head = 0;
    snprintf(rd->last_error, sizeof(rd->last_error), "%s", reason);
    rd->st.errors++;
    rd->failures++;
    if (!rd->in_outage) {
        rd->in_outage = true;
        rd->down_since = now(rd);
        rd->skipped_before = rd->st.skipped;
        rd->st.outages++;
        rlb_warn("Redis unavailable (%s): challenge sessions continue on this instance's own "
                 "table; reconnecting with backoff", reason);
    } else {
        rlb_debug("Redis: %s", reason);
    }
    ev_timer_stop(rd->loop, &rd->watchdog);
    if (rd->hooks.lost)
        rd->hooks.lost(rd->owner);
    drop_context(ac, in_callback);
    drop_context(sac, in_callback);

    /* jittered exponential backoff: 80% to 120% of the nominal delay */
    rlb_random_bytes(&r, 1);
    delay = rlb_redis_backoff(rd->failures) * (0.8 + 0.4 * r / 255.0);
    ev_timer_stop(rd->loop, &rd->retry);
    ev_timer_set(&rd->retry, delay, 0);
    ev_timer_start(rd->loop, &rd->retry);
}

static void
rd_ready(struct rlb_redis *rd)
{
    rd->state = RD_READY;
    rd->failures = 0;
    rd->st.connects++;
    rd->last_error[0] = '\0';
    ev_timer_stop(rd->loop, &rd->retry);
    ev_timer_start(rd->loop, &rd->watchdog);
    if (rd->hooks.ready)
        rd->hooks.ready(rd->owner);
    if (rd->in_outage) {
        rlb_warn("Redis available again at %s after %.1f s (%llu lookups and writes skipped "
                 "meanwhile)", rd->where, now(rd) - rd->down_since,
                 (unsigned long long)(rd->st.skipped - rd->skipped_before));
        rd->in_outage = false;
    } else {
        rlb_info("Redis ready at %s: challenge sessions are shared", rd->where);
    }
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

/* Sends one command on the master connection, tracking its send time. */
static bool
rd_vcommand(struct rlb_redis *rd, struct rlb_redis_cmd *c, const char *fmt, va_list ap)
{
    if (!rd->ac || rd->count >= RD_RING)
        return false;
    if (redisvAsyncCommand(rd->ac, on_reply, c, fmt, ap) != REDIS_OK)
        return false;
    rd->sent[(rd->head + rd->count) % RD_RING] = now(rd);
    rd->count++;
    return true;
}

/* One command of the link's own (the hand-shake). */
static void
rd_own(struct rlb_redis *rd, int op, const char *fmt, ...)
{
    struct rlb_redis_cmd *c = cmd_get(rd, op);
    va_list ap;
    bool sent;

    if (!c)
        return;
    va_start(ap, fmt);
    sent = rd_vcommand(rd, c, fmt, ap);
    va_end(ap);
    if (!sent)
        cmd_put(rd, c);
}

static bool
is_master_role(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
           r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
}

/* The hand-shake's replies: AUTH, SELECT, then ROLE must say "master". */
static void
handshake_got(struct rlb_redis *rd, redisAsyncContext *ac, int op, const redisReply *r)
{
    char why[160];

    if (ac != rd->ac)
        return;
    if (op != OP_ROLE) {
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(why, sizeof(why), "%s refused by %s: %s", op == OP_AUTH ? "AUTH" : "SELECT",
                     rd->where, r ? r->str : "no reply");
            rd_fail(rd, why, true);
        }
    } else if (is_master_role(r)) {
        rd_ready(rd);
    } else if (!r) {
        snprintf(why, sizeof(why), "%s gave no answer to ROLE%s%s", rd->where,
                 ac->err ? ": " : "", ac->err ? ac->errstr : "");
        rd_fail(rd, why, true);
    } else {
        snprintf(why, sizeof(why), "%s is not the master (ROLE: %s)", rd->where,
                 r->type == REDIS_REPLY_ARRAY && r->elements && r->element[0]->str
                     ? r->element[0]->str : r->type == REDIS_REPLY_ERROR ? r->str : "?");
        rd_fail(rd, why, true);
    }
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rlb_redis_cmd *c = privdata;
    struct rlb_redis *rd = c->rd;
    redisReply *r = reply;
    char why[160];

    if (ac == rd->ac && rd->count > 0) {
        rd->head = (rd->head + 1) % RD_RING;
        rd->count--;
    }
    if (r && r->type == REDIS_REPLY_ERROR && c->op != OP_OWNER)
        rd->st.errors++;           /* the owner counts its own (rstore.c) */
    if (r && r->type == REDIS_REPLY_ERROR && ac == rd->ac && strncmp(r->str, "READONLY", 8) == 0) {
        /* A failover made this server a replica: find the new master. */
        snprintf(why, sizeof(why), "%s became a replica (READONLY)", rd->where);
        rd_fail(rd, why, true);
    }
    if (c->op == OP_OWNER)
        c->fn(c->arg, r);
    else
        handshake_got(rd, ac, c->op, r);
    cmd_put(rd, c);
}

/* ------------------------------------------------------------------ */
/* The master connection                                              */

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
    struct rlb_redis *rd = ac->data;
    char why[160];

    if (ac != rd->ac)
        return;                    /* one radlb dropped on purpose */
    snprintf(why, sizeof(why), "connection to %s lost%s%s", rd->where,
             status != REDIS_OK && ac->errstr[0] ? ": " : "", status != REDIS_OK ? ac->errstr : "");
    rd->ac = NULL;                 /* hiredis frees it */
    rd_fail(rd, why, true);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
    struct rlb_redis *rd = ac->data;
    const struct rlb_conf_redis *c = rd->conf;
    char why[200];

    if (ac != rd->ac)
        return;
    if (status != REDIS_OK) {
        snprintf(why, sizeof(why), "cannot connect to %s: %s", rd->where, ac->errstr);
        rd->ac = NULL;             /* hiredis frees it */
        rd_fail(rd, why, true);
        return;
    }
    rd->state = RD_HANDSHAKE;
    if (c->username[0])
        rd_own(rd, OP_AUTH, "AUTH %s %s", c->username, c->password);   /* ACL user */
    else if (c->password[0])
        rd_own(rd, OP_AUTH, "AUTH %s", c->password);
    if (c->database)
        rd_own(rd, OP_SELECT, "SELECT %d", c->database);
    rd_own(rd, OP_ROLE, "ROLE");
}

static void
connect_master(struct rlb_redis *rd)
{
    redisAsyncContext *ac;

    snprintf(rd->where, sizeof(rd->where), "%s%s%s:%d", strchr(rd->host, ':') ? "[" : "",
             rd->host, strchr(rd->host, ':') ? "]" : "", rd->port);
    ac = redisAsyncConnect(rd->host, rd->port);
    if (!ac || ac->err) {
        char why[160];

        snprintf(why, sizeof(why), "cannot connect to %s: %s", rd->where,
                 ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        rd_fail(rd, why, false);
        return;
    }
    ac->data = rd;
    rd->ac = ac;
    rd->state = RD_CONNECTING;
    redisLibevAttach(rd->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

/* ------------------------------------------------------------------ */
/* Sentinel                                                           */

static void ask_sentinel(struct rlb_redis *rd);

static void
sentinel_next(struct rlb_redis *rd, const char *why, bool in_callback)
{
    redisAsyncContext *sac = rd->sac;

    rd->sac = NULL;
    drop_context(sac, in_callback);
    rlb_debug("Redis Sentinel: %s", why);
    if (rd->asked < rd->conf->nsentinels) {
        ask_sentinel(rd);
        return;
    }
    rd_fail(rd, why, in_callback);
}

static void
on_sentinel_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rlb_redis *rd = privdata;
    redisReply *r = reply;
    char why[200];

    if (ac != rd->sac)
        return;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        snprintf(why, sizeof(why), "Sentinel %s does not know a master named \"%s\"%s%s",
                 rd->where, rd->conf->master_name, r && r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : "");
        sentinel_next(rd, why, true);
        return;
    }
    snprintf(rd->host, sizeof(rd->host), "%s", r->element[0]->str);
    rd->port = atoi(r->element[1]->str);
    rd->sac = NULL;
    redisAsyncDisconnect(ac);
    rlb_debug("Redis Sentinel names %s:%d as master \"%s\"", rd->host, rd->port,
              rd->conf->master_name);
    connect_master(rd);
}

/* A Sentinel with requirepass or ACL users: AUTH goes first, in the same
 * write as the query; a refusal moves on to the next Sentinel (the query's
 * reply then finds rd->sac changed and is ignored). */
static void
on_sentinel_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rlb_redis *rd = privdata;
    redisReply *r = reply;
    char why[200];

    if (ac != rd->sac || (r && r->type != REDIS_REPLY_ERROR))
        return;
    snprintf(why, sizeof(why), "AUTH refused by Sentinel %s: %s (check sentinel_username "
             "and sentinel_password)", rd->where, r ? r->str : "no reply");
    sentinel_next(rd, why, true);
}

static void
on_sentinel_connect(const redisAsyncContext *ac, int status)
{
    struct rlb_redis *rd = ac->data;
    char why[200];

    if (ac != rd->sac)
        return;
    if (status != REDIS_OK) {
        snprintf(why, sizeof(why), "cannot connect to Sentinel %s: %s", rd->where, ac->errstr);
        rd->sac = NULL;            /* hiredis frees it */
        sentinel_next(rd, why, true);
    }
}

static void
on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct rlb_redis *rd = ac->data;
    char why[200];

    if (ac != rd->sac)
        return;
    snprintf(why, sizeof(why), "Sentinel %s closed the connection%s%s", rd->where,
             status != REDIS_OK ? ": " : "", status != REDIS_OK ? ac->errstr : "");
    rd->sac = NULL;
    sentinel_next(rd, why, true);
}

static void
ask_sentinel(struct rlb_redis *rd)
{
    const struct rlb_conf_redis *c = rd->conf;
    const char *text = c->sentinels[rd->next_sentinel++ % c->nsentinels];
    union rlb_sockaddr sa;
    char host[64];
    redisAsyncContext *ac;

    rd->asked++;
    rd->state = RD_RESOLVING;
    if (rlb_addr_parse_host_port(text, &sa) < 0) {
        sentinel_next(rd, "bad sentinel address", false);
        return;
    }
    rlb_sockaddr_host(&sa, host, sizeof(host));
    snprintf(rd->where, sizeof(rd->where), "%s", text);
    ac = redisAsyncConnect(host, rlb_sockaddr_port(&sa));
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        sentinel_next(rd, "cannot create a connection", false);
        return;
    }
    ac->data = rd;
    rd->sac = ac;
    redisLibevAttach(rd->loop, ac);
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    if (c->sentinel_password[0]) {
        int rc = c->sentinel_username[0]
                     ? redisAsyncCommand(ac, on_sentinel_auth, rd, "AUTH %s %s",
                                         c->sentinel_username, c->sentinel_password)
                     : redisAsyncCommand(ac, on_sentinel_auth, rd, "AUTH %s", c->sentinel_password);

        if (rc != REDIS_OK) {
            sentinel_next(rd, "cannot send AUTH", false);
            return;
        }
    }
    if (redisAsyncCommand(ac, on_sentinel_reply, rd, "SENTINEL get-master-addr-by-name %s",
                          c->master_name) != REDIS_OK)
        sentinel_next(rd, "cannot send the query", false);
}

/* ------------------------------------------------------------------ */
/* Timers                                                             */

static void
rd_connect(struct rlb_redis *rd)
{
    ev_timer_stop(rd->loop, &rd->retry);
    ev_timer_set(&rd->retry, RD_CONNECT_MAX, 0);   /* the deadline for this attempt */
    ev_timer_start(rd->loop, &rd->retry);
    if (rd->conf->nsentinels) {
        rd->asked = 0;
        ask_sentinel(rd);          /* re-resolved on every connection */
    } else {
        char host[64];

        rlb_sockaddr_host(&rd->conf->addr, host, sizeof(host));
        snprintf(rd->host, sizeof(rd->host), "%s", host);
        rd->port = rd->conf->port;
        connect_master(rd);
    }
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_redis *rd = w->data;

    (void)loop;
    (void)revents;
    if (rd->state == RD_DOWN) {
        rd_connect(rd);
    } else if (rd->state != RD_READY) {
        char why[160];

        snprintf(why, sizeof(why), "%s did not answer within %.0f s", rd->where, RD_CONNECT_MAX);
        rd_fail(rd, why, false);
    }
}

static void
on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_redis *rd = w->data;
    double limit = 5 * rd->conf->timeout > 1.0 ? 5 * rd->conf->timeout : 1.0;

    (void)loop;
    (void)revents;
    if (rd->state == RD_READY && rd->count && now(rd) - rd->sent[rd->head] > limit) {
        char why[160];

        snprintf(why, sizeof(why), "%s has not answered for %.1f s", rd->where,
                 now(rd) - rd->sent[rd->head]);
        rd_fail(rd, why, false);
    }
}

/* ------------------------------------------------------------------ */
/* Interface                                                          */

struct rlb_redis *
rlb_redis_start(struct ev_loop *loop, const struct rlb_conf_redis *conf,
                const struct rlb_redis_hooks *hooks, void *owner)
{
    struct rlb_redis *rd = calloc(1, sizeof(*rd));

    if (!rd)
        return NULL;
    rd->loop = loop;
    rd->conf = conf;
    rd->hooks = *hooks;
    rd->owner = owner;
    ev_timer_init(&rd->retry, on_retry, 0, 0);
    rd->retry.data = rd;
    ev_timer_init(&rd->watchdog, on_watchdog, RD_WATCHDOG, RD_WATCHDOG);
    rd->watchdog.data = rd;
    rd_connect(rd);
    return rd;
}

void
rlb_redis_stop(struct rlb_redis *rd)
{
    redisAsyncContext *ac, *sac;

    if (!rd)
        return;
    ev_timer_stop(rd->loop, &rd->retry);
    ev_timer_stop(rd->loop, &rd->watchdog);
    ac = rd->ac;
    sac = rd->sac;
    rd->ac = rd->sac = NULL;
    rd->state = RD_DOWN;
    if (ac)
        redisAsyncFree(ac);
    if (sac)
        redisAsyncFree(sac);
    while (rd->free_cmds) {
        struct rlb_redis_cmd *c = rd->free_cmds;

        rd->free_cmds = c->next;
        free(c);
    }
    free(rd);
}

bool
rlb_redis_ready(const struct rlb_redis *rd)
{
    return rd && rd->state == RD_READY && rd->ac;
}

bool
rlb_redis_vcommand(struct rlb_redis *rd, rlb_redis_reply_fn fn, void *arg, const char *fmt,
                   va_list ap)
{
    struct rlb_redis_cmd *c;

    if (!rd->ac || !(c = cmd_get(rd, OP_OWNER)))
        return false;
    c->fn = fn;
    c->arg = arg;
    if (rd_vcommand(rd, c, fmt, ap))
        return true;
    cmd_put(rd, c);
    return false;
}

struct rlb_redis_stats *
rlb_redis_stats(struct rlb_redis *rd)
{
    return &rd->st;
}

const char *const rlb_redis_state_names[] = { "off", "down", "connecting", "ready", NULL };

enum rlb_redis_state
rlb_redis_state(const struct rlb_redis *rd)
{
    switch (rd->state) {
    case RD_READY:
        return RLB_REDIS_READY;
    case RD_DOWN:
        return RLB_REDIS_DOWN;
    default:
        return RLB_REDIS_CONNECTING;
    }
}

const char *
rlb_redis_where(const struct rlb_redis *rd)
{
    return rd->where;
}

const char *
rlb_redis_last_error(const struct rlb_redis *rd)
{
    return rd->last_error;
}

void
rlb_redis_set_error(struct rlb_redis *rd, const char *what, const char *detail)
{
    snprintf(rd->last_error, sizeof(rd->last_error), "%s: %s", what, detail);
}

unsigned
rlb_redis_outstanding(const struct rlb_redis *rd)
{
    return rd->count;
}
