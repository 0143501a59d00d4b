/*
 * rstore.c: the Redis store of challenge sessions (see rstore.h).
 *
 * hiredis 0.14 (Debian 12) has no asynchronous timeouts, so this module
 * keeps its own: a deadline for connecting, the caller's redis.timeout for
 * each lookup, and a watchdog that drops a connection whose oldest command
 * has waited too long (a stopped or overloaded Redis). Contexts are only
 * freed from radlb's own timers, never from inside a hiredis callback
 * (there they are disconnected, which hiredis completes itself).
 */
#include "config.h"

#include <errno.h>
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

#include "ctx.h"
#include "rstore.h"

#define RS_RING        16384       /* commands in flight at most; beyond, skipped */
#define RS_CONNECT_MAX 2.0         /* seconds to connect and hand-shake */
#define RS_WATCHDOG    0.25        /* seconds between stuck-connection checks */
#define RS_MASTER_POLL 0.5         /* seconds between reads of the shared master */

/*
 * The shared master: PREFIX "master" = "EPOCH NAME". A promotion replaces
 * it only if the epoch there is still the one the promoting instance
 * knew (-1: no key), atomically in Lua, so two racing promotions cannot
 * both win. Answer: {1|0, epoch, name} (what is there now).
 */
static const char master_cas_lua[] =
    "local cur = redis.call('GET', KEYS[1]) "
    "local e, n = '-1', '' "
    "if cur then "
    "  local sp = string.find(cur, ' ', 1, true) "
    "  if sp then e = string.sub(cur, 1, sp - 1); n = string.sub(cur, sp + 1) end "
    "end "
    "if e == ARGV[1] then "
    "  redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[3]) "
    "  return {1, ARGV[2], ARGV[3]} "
    "end "
    "return {0, e, n}";

enum rs_state { RS_DOWN = 0, RS_RESOLVING, RS_CONNECTING, RS_HANDSHAKE, RS_READY };
enum rs_op { OP_GET, OP_SET, OP_DEL, OP_AUTH, OP_SELECT, OP_ROLE, OP_MASTER_GET, OP_MASTER_CAS };

struct rlb_rticket {
    struct rlb_rticket *next;      /* free list */
    struct rlb_rstore  *rs;
    struct rlb_request *req;       /* OP_GET: the parked request; NULL once cancelled */
    int                 op;        /* enum rs_op */
};

struct rlb_rstore {
    struct rlb_ctx              *ctx;
    struct rlb_rstore_hooks      hooks;
    const struct rlb_conf_redis *conf;
    redisAsyncContext           *ac;            /* the master */
    redisAsyncContext           *sac;           /* a sentinel being asked */
    int                          state;         /* enum rs_state */
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
    ev_timer                     master_poll;   /* reads the shared master */
    double                       sent[RS_RING]; /* send times of the commands in flight */
    unsigned                     head;
    unsigned                     count;
    struct rlb_rticket          *free_tickets;
    struct rlb_rstore_stats      st;
};

static void rs_connect(struct rlb_rstore *rs);

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

size_t
rlb_rstore_key(const char *prefix, char kind, const uint8_t *key, size_t len, char *out,
               size_t outsize)
{
    static const char hex[] = "0123456789abcdef";
    size_t pl = strlen(prefix), n;

    if (pl + 2 + 2 * len + 1 > outsize)
        return 0;
    memcpy(out, prefix, pl);
    n = pl;
    out[n++] = kind;
    out[n++] = ':';
    for (size_t i = 0; i < len; i++) {
        out[n++] = hex[key[i] >> 4];
        out[n++] = hex[key[i] & 15];
    }
    out[n] = '\0';
    return n;
}

double
rlb_rstore_backoff(unsigned failures)
{
    double d = 0.1;

    for (unsigned i = 1; i < failures && d < 5.0; i++)
        d *= 2;
    return d < 5.0 ? d : 5.0;
}

static struct rlb_rticket *
ticket_get(struct rlb_rstore *rs, int op)
{
    struct rlb_rticket *t = rs->free_tickets;

    if (t)
        rs->free_tickets = t->next;
    else if (!(t = malloc(sizeof(*t))))
        return NULL;
    t->rs = rs;
    t->req = NULL;
    t->op = op;
    t->next = NULL;
    return t;
}

static void
ticket_put(struct rlb_rstore *rs, struct rlb_rticket *t)
{
    t->next = rs->free_tickets;
    rs->free_tickets = t;
}

static double
now(const struct rlb_rstore *rs)
{
    return ev_now(rs->ctx->loop);
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
rs_fail(struct rlb_rstore *rs, const char *reason, bool in_callback)
{
    redisAsyncContext *ac = rs->ac, *sac = rs->sac;
    double delay;
    uint8_t r;

    rs->ac = NULL;                 /* first: callbacks of the drop see no connection */
    rs->sac = NULL;
    rs->state = RS_DOWN;
    rs->count = 0;
    rs->head = 0;
    snprintf(rs->last_error, sizeof(rs->last_error), "%s", reason);
    rs->st.errors++;
    rs->failures++;
    if (!rs->in_outage) {
        rs->in_outage = true;
        rs->down_since = now(rs);
        rs->skipped_before = rs->st.skipped;
        rs->st.outages++;
        rlb_warn("Redis unavailable (%s): challenge sessions continue on this instance's own "
                 "table; reconnecting with backoff", reason);
    } else {
        rlb_debug("Redis: %s", reason);
    }
    ev_timer_stop(rs->ctx->loop, &rs->watchdog);
    ev_timer_stop(rs->ctx->loop, &rs->master_poll);
    drop_context(ac, in_callback);
    drop_context(sac, in_callback);

    /* jittered exponential backoff: 80% to 120% of the nominal delay */
    rlb_random_bytes(&r, 1);
    delay = rlb_rstore_backoff(rs->failures) * (0.8 + 0.4 * r / 255.0);
    ev_timer_stop(rs->ctx->loop, &rs->retry);
    ev_timer_set(&rs->retry, delay, 0);
    ev_timer_start(rs->ctx->loop, &rs->retry);
}

static void
rs_ready(struct rlb_rstore *rs)
{
    rs->state = RS_READY;
    rs->failures = 0;
    rs->st.connects++;
    rs->last_error[0] = '\0';
    ev_timer_stop(rs->ctx->loop, &rs->retry);
    ev_timer_start(rs->ctx->loop, &rs->watchdog);
    if (rs->hooks.master_seen) {
        ev_timer_set(&rs->master_poll, 0.0, RS_MASTER_POLL);   /* read it at once */
        ev_timer_start(rs->ctx->loop, &rs->master_poll);
    }
    if (rs->in_outage) {
        rlb_warn("Redis available again at %s after %.1f s (%llu lookups and writes skipped "
                 "meanwhile)", rs->where, now(rs) - rs->down_since,
                 (unsigned long long)(rs->st.skipped - rs->skipped_before));
        rs->in_outage = false;
    } else {
        rlb_info("Redis ready at %s: challenge sessions are shared", rs->where);
    }
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

/* Sends one command on the master connection, tracking its send time. */
static bool
rs_command(struct rlb_rstore *rs, struct rlb_rticket *t, const char *fmt, ...)
{
    va_list ap;
    int rc;

    if (!rs->ac || rs->count >= RS_RING)
        return false;
    va_start(ap, fmt);
    rc = redisvAsyncCommand(rs->ac, on_reply, t, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK)
        return false;
    rs->sent[(rs->head + rs->count) % RS_RING] = now(rs);
    rs->count++;
    return true;
}

static bool
is_master_role(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
           r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
}

/* "EPOCH NAME" -> name and epoch; false when it is not that. */
static bool
parse_master(const char *text, char *name, size_t namelen, uint64_t *epoch)
{
    unsigned long long e;
    int off = 0;

    if (sscanf(text, "%llu %n", &e, &off) != 1 || !off || !text[off] ||
        strlen(text + off) >= namelen)
        return false;
    strcpy(name, text + off);
    *epoch = e;
    return true;
}

static void
master_got(struct rlb_rstore *rs, const redisReply *r)
{
    char name[128];
    uint64_t epoch;

    if (!r || !rs->hooks.master_seen)
        return;
    if (r->type == REDIS_REPLY_NIL) {
        rs->hooks.master_seen(rs->ctx, NULL, 0);
    } else if (r->type == REDIS_REPLY_STRING && parse_master(r->str, name, sizeof(name), &epoch)) {
        rs->hooks.master_seen(rs->ctx, name, epoch);
    } else if (r->type != REDIS_REPLY_ERROR) {
        rs->st.errors++;
        rlb_warn("Redis key %smaster holds \"%s\", not \"EPOCH NAME\": rewriting it with this "
                 "instance's master", rs->conf->prefix, r->type == REDIS_REPLY_STRING ? r->str : "?");
        rs->hooks.master_seen(rs->ctx, NULL, 0);
    }
}

static void
master_cas_got(struct rlb_rstore *rs, const redisReply *r)
{
    unsigned long long e = 0;
    bool ok = false;
    const char *name = NULL;

    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[0]->type == REDIS_REPLY_INTEGER && r->element[1]->type == REDIS_REPLY_STRING &&
        r->element[2]->type == REDIS_REPLY_STRING) {
        ok = r->element[0]->integer == 1;
        name = r->element[2]->str[0] ? r->element[2]->str : NULL;
        if (sscanf(r->element[1]->str, "%llu", &e) != 1)
            e = 0;
    } else if (r && r->type == REDIS_REPLY_ERROR) {
        snprintf(rs->last_error, sizeof(rs->last_error), "master compare-and-set: %s", r->str);
    }
    if (rs->hooks.master_cas)
        rs->hooks.master_cas(rs->ctx, ok, r != NULL, name, e);
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rlb_rticket *t = privdata;
    struct rlb_rstore *rs = t->rs;
    redisReply *r = reply;
    char why[160];

    if (ac == rs->ac && rs->count > 0) {
        rs->head = (rs->head + 1) % RS_RING;
        rs->count--;
    }
    if (r && r->type == REDIS_REPLY_ERROR && t->op != OP_GET)
        rs->st.errors++;
    if (r && r->type == REDIS_REPLY_ERROR && ac == rs->ac && strncmp(r->str, "READONLY", 8) == 0) {
        /* A failover made this server a replica: find the new master. */
        snprintf(why, sizeof(why), "%s became a replica (READONLY)", rs->where);
        rs_fail(rs, why, true);
    }

    switch (t->op) {
    case OP_GET:
        if (t->req) {
            struct rlb_request *req = t->req;
            const char *server = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;

            if (server)
                rs->st.hits++;
            else if (r && r->type == REDIS_REPLY_NIL)
                rs->st.misses++;
            else
                rs->st.errors++;
            req->ticket = NULL;
            rs->hooks.answer(rs->ctx, req, server);
        }
        break;
    case OP_SET:
        if (t->req) {
            struct rlb_request *req = t->req;

            req->ticket = NULL;
            rs->hooks.written(rs->ctx, req);
        }
        break;
    case OP_MASTER_GET:
        master_got(rs, r);
        break;
    case OP_MASTER_CAS:
        master_cas_got(rs, r);
        break;
    case OP_AUTH:
    case OP_SELECT:
        if (ac == rs->ac && (!r || r->type == REDIS_REPLY_ERROR)) {
            snprintf(why, sizeof(why), "%s refused by %s: %s", t->op == OP_AUTH ? "AUTH" : "SELECT",
                     rs->where, r ? r->str : "no reply");
            rs_fail(rs, why, true);
        }
        break;
    case OP_ROLE:
        if (ac != rs->ac)
            break;
        if (is_master_role(r)) {
            rs_ready(rs);
        } else if (!r) {
            snprintf(why, sizeof(why), "%s gave no answer to ROLE%s%s", rs->where,
                     ac->err ? ": " : "", ac->err ? ac->errstr : "");
            rs_fail(rs, why, true);
        } else {
            snprintf(why, sizeof(why), "%s is not the master (ROLE: %s)", rs->where,
                     r && r->type == REDIS_REPLY_ARRAY && r->elements && r->element[0]->str
                         ? r->element[0]->str : r && r->type == REDIS_REPLY_ERROR ? r->str : "?");
            rs_fail(rs, why, true);
        }
        break;
    default:
        break;
    }
    ticket_put(rs, t);
}

/* ------------------------------------------------------------------ */
/* The master connection                                              */

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
    struct rlb_rstore *rs = ac->data;
    char why[160];

    if (ac != rs->ac)
        return;                    /* one radlb dropped on purpose */
    snprintf(why, sizeof(why), "connection to %s lost%s%s", rs->where,
             status != REDIS_OK && ac->errstr[0] ? ": " : "", status != REDIS_OK ? ac->errstr : "");
    rs->ac = NULL;                 /* hiredis frees it */
    rs_fail(rs, why, true);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
    struct rlb_rstore *rs = ac->data;
    const struct rlb_conf_redis *c = rs->conf;
    struct rlb_rticket *t;
    char why[200];

    if (ac != rs->ac)
        return;
    if (status != REDIS_OK) {
        snprintf(why, sizeof(why), "cannot connect to %s: %s", rs->where, ac->errstr);
        rs->ac = NULL;             /* hiredis frees it */
        rs_fail(rs, why, true);
        return;
    }
    rs->state = RS_HANDSHAKE;
    if (c->password[0] && (t = ticket_get(rs, OP_AUTH)) && !rs_command(rs, t, "AUTH %s", c->password))
        ticket_put(rs, t);
    if (c->database && (t = ticket_get(rs, OP_SELECT)) && !rs_command(rs, t, "SELECT %d", c->database))
        ticket_put(rs, t);
    if ((t = ticket_get(rs, OP_ROLE)) && !rs_command(rs, t, "ROLE"))
        ticket_put(rs, t);
}

static void
connect_master(struct rlb_rstore *rs)
{
    redisAsyncContext *ac;

    snprintf(rs->where, sizeof(rs->where), "%s%s%s:%d", strchr(rs->host, ':') ? "[" : "",
             rs->host, strchr(rs->host, ':') ? "]" : "", rs->port);
    ac = redisAsyncConnect(rs->host, rs->port);
    if (!ac || ac->err) {
        char why[160];

        snprintf(why, sizeof(why), "cannot connect to %s: %s", rs->where, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        rs_fail(rs, why, false);
        return;
    }
    ac->data = rs;
    rs->ac = ac;
    rs->state = RS_CONNECTING;
    redisLibevAttach(rs->ctx->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

/* ------------------------------------------------------------------ */
/* Sentinel                                                           */

static void ask_sentinel(struct rlb_rstore *rs);

static void
sentinel_next(struct rlb_rstore *rs, const char *why, bool in_callback)
{
    redisAsyncContext *sac = rs->sac;

    rs->sac = NULL;
    drop_context(sac, in_callback);
    rlb_debug("Redis Sentinel: %s", why);
    if (rs->asked < rs->conf->nsentinels) {
        ask_sentinel(rs);
        return;
    }
    rs_fail(rs, why, in_callback);
}

static void
on_sentinel_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rlb_rstore *rs = privdata;
    redisReply *r = reply;
    char why[200];

    if (ac != rs->sac)
        return;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        snprintf(why, sizeof(why), "Sentinel %s does not know a master named \"%s\"%s%s",
                 rs->where, rs->conf->master_name, r && r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : "");
        sentinel_next(rs, why, true);
        return;
    }
    snprintf(rs->host, sizeof(rs->host), "%s", r->element[0]->str);
    rs->port = atoi(r->element[1]->str);
    rs->sac = NULL;
    redisAsyncDisconnect(ac);
    rlb_debug("Redis Sentinel names %s:%d as master \"%s\"", rs->host, rs->port, rs->conf->master_name);
    connect_master(rs);
}

static void
on_sentinel_connect(const redisAsyncContext *ac, int status)
{
    struct rlb_rstore *rs = ac->data;
    char why[200];

    if (ac != rs->sac)
        return;
    if (status != REDIS_OK) {
        snprintf(why, sizeof(why), "cannot connect to Sentinel %s: %s", rs->where, ac->errstr);
        rs->sac = NULL;            /* hiredis frees it */
        sentinel_next(rs, why, true);
    }
}

static void
on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct rlb_rstore *rs = ac->data;
    char why[200];

    if (ac != rs->sac)
        return;
    snprintf(why, sizeof(why), "Sentinel %s closed the connection%s%s", rs->where,
             status != REDIS_OK ? ": " : "", status != REDIS_OK ? ac->errstr : "");
    rs->sac = NULL;
    sentinel_next(rs, why, true);
}

static void
ask_sentinel(struct rlb_rstore *rs)
{
    const struct rlb_conf_redis *c = rs->conf;
    const char *text = c->sentinels[rs->next_sentinel++ % c->nsentinels];
    union rlb_sockaddr sa;
    char host[64];
    redisAsyncContext *ac;

    rs->asked++;
    rs->state = RS_RESOLVING;
    if (rlb_conf_host_port(text, &sa) < 0) {
        sentinel_next(rs, "bad sentinel address", false);
        return;
    }
    rlb_sockaddr_host(&sa, host, sizeof(host));
    snprintf(rs->where, sizeof(rs->where), "%s", text);
    ac = redisAsyncConnect(host, rlb_sockaddr_port(&sa));
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        sentinel_next(rs, "cannot create a connection", false);
        return;
    }
    ac->data = rs;
    rs->sac = ac;
    redisLibevAttach(rs->ctx->loop, ac);
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    if (redisAsyncCommand(ac, on_sentinel_reply, rs, "SENTINEL get-master-addr-by-name %s",
                          c->master_name) != REDIS_OK)
        sentinel_next(rs, "cannot send the query", false);
}

/* ------------------------------------------------------------------ */
/* Timers                                                             */

static void
rs_connect(struct rlb_rstore *rs)
{
    ev_timer_stop(rs->ctx->loop, &rs->retry);
    ev_timer_set(&rs->retry, RS_CONNECT_MAX, 0);   /* the deadline for this attempt */
    ev_timer_start(rs->ctx->loop, &rs->retry);
    if (rs->conf->nsentinels) {
        rs->asked = 0;
        ask_sentinel(rs);          /* re-resolved on every connection */
    } else {
        char host[64];

        rlb_sockaddr_host(&rs->conf->addr, host, sizeof(host));
        snprintf(rs->host, sizeof(rs->host), "%s", host);
        rs->port = rs->conf->port;
        connect_master(rs);
    }
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_rstore *rs = w->data;

    (void)loop;
    (void)revents;
    if (rs->state == RS_DOWN) {
        rs_connect(rs);
    } else if (rs->state != RS_READY) {
        char why[160];

        snprintf(why, sizeof(why), "%s did not answer within %.0f s", rs->where, RS_CONNECT_MAX);
        rs_fail(rs, why, false);
    }
}

static void
on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_rstore *rs = w->data;
    double limit = 5 * rs->conf->timeout > 1.0 ? 5 * rs->conf->timeout : 1.0;

    (void)loop;
    (void)revents;
    if (rs->state == RS_READY && rs->count && now(rs) - rs->sent[rs->head] > limit) {
        char why[160];

        snprintf(why, sizeof(why), "%s has not answered for %.1f s", rs->where,
                 now(rs) - rs->sent[rs->head]);
        rs_fail(rs, why, false);
    }
}

static void
on_master_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_rstore *rs = w->data;
    struct rlb_rticket *t;
    char k[200];

    (void)loop;
    (void)revents;
    if (!rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_MASTER_GET)))
        return;
    snprintf(k, sizeof(k), "%smaster", rs->conf->prefix);
    if (!rs_command(rs, t, "GET %s", k))
        ticket_put(rs, t);
}

/* ------------------------------------------------------------------ */
/* Interface                                                          */

int
rlb_rstore_start(struct rlb_ctx *ctx, const struct rlb_rstore_hooks *hooks)
{
    struct rlb_rstore *rs;

    if (ctx->conf->sticky.store != RLB_STORE_REDIS)
        return 0;
    rs = calloc(1, sizeof(*rs));
    if (!rs)
        return -1;
    rs->ctx = ctx;
    rs->hooks = *hooks;
    rs->conf = &ctx->conf->redis;
    ev_timer_init(&rs->retry, on_retry, 0, 0);
    rs->retry.data = rs;
    ev_timer_init(&rs->watchdog, on_watchdog, RS_WATCHDOG, RS_WATCHDOG);
    rs->watchdog.data = rs;
    ev_timer_init(&rs->master_poll, on_master_poll, 0.0, RS_MASTER_POLL);
    rs->master_poll.data = rs;
    ctx->rstore = rs;
    rs_connect(rs);
    return 0;
}

void
rlb_rstore_stop(struct rlb_ctx *ctx)
{
    struct rlb_rstore *rs = ctx->rstore;
    redisAsyncContext *ac, *sac;

    if (!rs)
        return;
    ev_timer_stop(ctx->loop, &rs->retry);
    ev_timer_stop(ctx->loop, &rs->watchdog);
    ev_timer_stop(ctx->loop, &rs->master_poll);
    ac = rs->ac;
    sac = rs->sac;
    rs->ac = rs->sac = NULL;
    rs->state = RS_DOWN;
    if (ac)
        redisAsyncFree(ac);
    if (sac)
        redisAsyncFree(sac);
    while (rs->free_tickets) {
        struct rlb_rticket *t = rs->free_tickets;

        rs->free_tickets = t->next;
        free(t);
    }
    free(rs);
    ctx->rstore = NULL;
}

bool
rlb_rstore_ready(const struct rlb_rstore *rs)
{
    return rs && rs->state == RS_READY && rs->ac;
}

bool
rlb_rstore_set(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
               const char *server, double ttl, struct rlb_request *req)
{
    char k[600];
    size_t kl;
    struct rlb_rticket *t;

    if (!rs)
        return false;
    kl = rlb_rstore_key(rs->conf->prefix, kind, key, len, k, sizeof(k));
    if (!rlb_rstore_ready(rs) || !kl || !(t = ticket_get(rs, OP_SET))) {
        rs->st.skipped++;
        return false;
    }
    t->req = req;
    if (!rs_command(rs, t, "SET %b %s PX %lld", k, kl, server, (long long)(ttl * 1000))) {
        ticket_put(rs, t);
        rs->st.skipped++;
        return false;
    }
    if (req)
        req->ticket = t;
    rs->st.sets++;
    return true;
}

void
rlb_rstore_del(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len)
{
    char k[600];
    size_t kl;
    struct rlb_rticket *t;

    if (!rs)
        return;
    kl = rlb_rstore_key(rs->conf->prefix, kind, key, len, k, sizeof(k));
    if (!rlb_rstore_ready(rs) || !kl || !(t = ticket_get(rs, OP_DEL))) {
        rs->st.skipped++;
        return;
    }
    if (!rs_command(rs, t, "DEL %b", k, kl)) {
        ticket_put(rs, t);
        rs->st.skipped++;
        return;
    }
    rs->st.dels++;
}

bool
rlb_rstore_get(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
               struct rlb_request *req)
{
    char k[600];
    size_t kl;
    struct rlb_rticket *t;

    if (!rs)
        return false;
    kl = rlb_rstore_key(rs->conf->prefix, kind, key, len, k, sizeof(k));
    if (!rlb_rstore_ready(rs) || !kl || !(t = ticket_get(rs, OP_GET))) {
        rs->st.skipped++;
        return false;
    }
    t->req = req;
    if (!rs_command(rs, t, "GET %b", k, kl)) {
        ticket_put(rs, t);
        rs->st.skipped++;
        return false;
    }
    req->ticket = t;
    rs->st.gets++;
    return true;
}

bool
rlb_rstore_master_cas(struct rlb_rstore *rs, int64_t expected, uint64_t epoch, const char *name)
{
    struct rlb_rticket *t;
    char k[200];

    if (!rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_MASTER_CAS)))
        return false;
    snprintf(k, sizeof(k), "%smaster", rs->conf->prefix);
    if (!rs_command(rs, t, "EVAL %s 1 %s %lld %llu %s", master_cas_lua, k, (long long)expected,
                    (unsigned long long)epoch, name)) {
        ticket_put(rs, t);
        return false;
    }
    return true;
}

void
rlb_rstore_cancel(struct rlb_request *req)
{
    struct rlb_rticket *t = req->ticket;

    if (t) {
        t->req = NULL;
        req->ticket = NULL;
    }
}

void
rlb_rstore_timed_out(struct rlb_rstore *rs, bool write)
{
    if (rs && write)
        rs->st.write_timeouts++;
    else if (rs)
        rs->st.timeouts++;
}

const struct rlb_rstore_stats *
rlb_rstore_stats(const struct rlb_rstore *rs)
{
    return &rs->st;
}

const char *
rlb_rstore_state(const struct rlb_rstore *rs)
{
    switch (rs->state) {
    case RS_READY:
        return "ready";
    case RS_DOWN:
        return "down";
    default:
        return "connecting";
    }
}

const char *
rlb_rstore_where(const struct rlb_rstore *rs)
{
    return rs->where;
}

const char *
rlb_rstore_last_error(const struct rlb_rstore *rs)
{
    return rs->last_error;
}

unsigned
rlb_rstore_outstanding(const struct rlb_rstore *rs)
{
    return rs->count;
}
