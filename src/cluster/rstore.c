/*
 * rstore.c: the Redis store of challenge sessions and of the shared master
 * (see rstore.h), on top of the link to Redis (redis.c).
 *
 * Each command carries a ticket (from a free list) that says what it was
 * for and points back at the waiting request, or at nothing once that
 * request gave up.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "crypto.h"
#include "ctx.h"
#include "redis.h"
#include "rstore.h"

#define RS_MASTER_POLL 0.5         /* seconds between reads of the shared master */
#define RS_KEY_MAX     600         /* bytes of a session key, with its NUL */

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

/*
 * The prompt budgets (budget.h) shared by every instance: per key a sorted
 * set PREFIX "b:" HEX of prompt times (milliseconds), kept for the longest
 * window. One script checks the keys against the windows and, when none
 * is over (mode 1) or whatever they say (mode 2), adds the prompt to each,
 * atomically. KEYS: three slots, "" for none. ARGV: now, mode (0 check,
 * 1 check and count, 2 count), the longest window, a member unique to
 * this prompt, the windows "MS:MAX,MS:MAX". Answer: {0} or {1, key slot,
 * prompts, max, window (from 0), when the block lifts}.
 */
static const char budget_lua[] =
    "local now, mode, longest = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]) "
    "local wins = {} "
    "for w, m in string.gmatch(ARGV[5], '(%d+):(%d+)') do "
    "  wins[#wins + 1] = {tonumber(w), tonumber(m)} "
    "end "
    "if mode ~= '2' then "
    "  for i = 1, 3 do "
    "    local k = KEYS[i] "
    "    if k ~= '' then "
    "      redis.call('ZREMRANGEBYSCORE', k, '-inf', now - longest) "
    "      for j, w in ipairs(wins) do "
    "        local c = redis.call('ZCOUNT', k, '(' .. (now - w[1]), '+inf') "
    "        if c >= w[2] then "
    "          local r = redis.call('ZRANGEBYSCORE', k, '(' .. (now - w[1]), '+inf', "
    "                               'WITHSCORES', 'LIMIT', c - w[2], 1) "
    "          return {1, i, c, w[2], j - 1, tonumber(r[2]) + w[1]} "
    "        end "
    "      end "
    "    end "
    "  end "
    "end "
    "if mode ~= '0' then "
    "  for i = 1, 3 do "
    "    if KEYS[i] ~= '' then "
    "      redis.call('ZADD', KEYS[i], now, ARGV[4] .. ':' .. i) "
    "      redis.call('PEXPIRE', KEYS[i], longest) "
    "    end "
    "  end "
    "end "
    "return {0}";

enum rs_op { OP_GET, OP_SET, OP_DEL, OP_MASTER_GET, OP_MASTER_CAS, OP_BUDGET };

struct rlb_rticket {
    struct rlb_rticket *next;      /* free list */
    struct rlb_rstore  *rs;
    struct rlb_request *req;       /* OP_GET, OP_SET: the waiting request; NULL once cancelled */
    struct rlb_pool    *pool;      /* OP_MASTER_*: whose master */
    int                 op;        /* enum rs_op */
};

struct rlb_rstore {
    struct rlb_ctx              *ctx;
    struct rlb_rstore_hooks      hooks;
    const struct rlb_conf_redis *conf;
    struct rlb_redis            *link;
    ev_timer                     master_poll;   /* reads the shared master */
    struct rlb_rticket          *free_tickets;
    char                         id[20];        /* this instance, in budget members */
    uint64_t                     budget_seq;
};

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
    t->pool = NULL;
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

static struct rlb_redis_stats *
st(const struct rlb_rstore *rs)
{
    return rlb_redis_stats(rs->link);
}

/* ------------------------------------------------------------------ */
/* Replies                                                            */

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

/* The key of a pool's shared master: PREFIX "master" for the default
 * pool (as before pools), PREFIX "POOL:master" for the others. */
static void
master_key(const struct rlb_rstore *rs, const struct rlb_pool *p, char *k, size_t len)
{
    if (p->is_default)
        snprintf(k, len, "%smaster", rs->conf->prefix);
    else
        snprintf(k, len, "%s%s:master", rs->conf->prefix, p->name);
}

static void
master_got(struct rlb_rstore *rs, struct rlb_pool *p, const redisReply *r)
{
    char name[128], k[200];
    uint64_t epoch;

    if (!r || !rs->hooks.master_seen)
        return;
    if (r->type == REDIS_REPLY_NIL) {
        rs->hooks.master_seen(rs->ctx, p, NULL, 0);
    } else if (r->type == REDIS_REPLY_STRING && parse_master(r->str, name, sizeof(name), &epoch)) {
        rs->hooks.master_seen(rs->ctx, p, name, epoch);
    } else if (r->type != REDIS_REPLY_ERROR) {
        st(rs)->errors++;
        master_key(rs, p, k, sizeof(k));
        rlb_warn("Redis key %s holds \"%s\", not \"EPOCH NAME\": rewriting it with this "
                 "instance's master", k, r->type == REDIS_REPLY_STRING ? r->str : "?");
        rs->hooks.master_seen(rs->ctx, p, NULL, 0);
    }
}

static void
master_cas_got(struct rlb_rstore *rs, struct rlb_pool *p, const redisReply *r)
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
        rlb_redis_set_error(rs->link, "master compare-and-set", r->str);
    }
    if (rs->hooks.master_cas)
        rs->hooks.master_cas(rs->ctx, p, ok, r != NULL, name, e);
}

static void
on_reply(void *arg, const redisReply *r)
{
    struct rlb_rticket *t = arg;
    struct rlb_rstore *rs = t->rs;

    if (r && r->type == REDIS_REPLY_ERROR && t->op != OP_GET)
        st(rs)->errors++;          /* a lookup's: counted below, if it still waits */
    switch (t->op) {
    case OP_GET:
        if (t->req) {
            struct rlb_request *req = t->req;
            const char *server = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;

            if (server)
                st(rs)->hits++;
            else if (r && r->type == REDIS_REPLY_NIL)
                st(rs)->misses++;
            else
                st(rs)->errors++;
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
        master_got(rs, t->pool, r);
        break;
    case OP_MASTER_CAS:
        master_cas_got(rs, t->pool, r);
        break;
    case OP_BUDGET:
        if (t->req) {
            struct rlb_request *req = t->req;
            int64_t v[6] = { 0, 0, 0, 0, 0, 0 };
            bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1;

            for (size_t i = 0; ok && i < r->elements && i < 6; i++) {
                if (r->element[i]->type != REDIS_REPLY_INTEGER)
                    ok = false;
                else
                    v[i] = r->element[i]->integer;
            }
            if (ok)
                st(rs)->hits++;
            else
                st(rs)->errors++;
            req->ticket = NULL;
            if (rs->hooks.budget)
                rs->hooks.budget(rs->ctx, req, ok ? v : NULL);
        }
        break;
    default:
        break;
    }
    ticket_put(rs, t);
}

/* Sends one command for ticket t; false (t put back) when it cannot go. */
static bool
rs_command(struct rlb_rstore *rs, struct rlb_rticket *t, const char *fmt, ...)
{
    va_list ap;
    bool sent;

    va_start(ap, fmt);
    sent = rlb_redis_vcommand(rs->link, on_reply, t, fmt, ap);
    va_end(ap);
    if (!sent)
        ticket_put(rs, t);
    return sent;
}

/* ------------------------------------------------------------------ */
/* The shared master, read every half second while the link is ready  */

static void
on_master_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_rstore *rs = w->data;
    struct rlb_rticket *t;
    char k[200];

    (void)loop;
    (void)revents;
    for (unsigned i = 0; i < rs->ctx->npools; i++) {
        if (!rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_MASTER_GET)))
            return;
        t->pool = rs->ctx->pools[i];
        master_key(rs, t->pool, k, sizeof(k));
        (void)rs_command(rs, t, "GET %s", k);
    }
}

static void
on_link_ready(void *owner)
{
    struct rlb_rstore *rs = owner;

    if (rs->hooks.master_seen) {
        ev_timer_set(&rs->master_poll, 0.0, RS_MASTER_POLL);   /* read it at once */
        ev_timer_start(rs->ctx->loop, &rs->master_poll);
    }
}

static void
on_link_lost(void *owner)
{
    struct rlb_rstore *rs = owner;

    ev_timer_stop(rs->ctx->loop, &rs->master_poll);
}

static const struct rlb_redis_hooks link_hooks = { on_link_ready, on_link_lost };

/* ------------------------------------------------------------------ */
/* Session commands (set, del, get)                                   */

/* Their prologue: the key of kind and key in k (*kl bytes) and a ticket
 * for op and req; NULL when there is no store, and NULL counted as
 * skipped when the link is not ready or the key does not fit. */
static struct rlb_rticket *
session_ticket(struct rlb_rstore *rs, int op, char kind, const uint8_t *key, size_t len,
               struct rlb_request *req, char k[RS_KEY_MAX], size_t *kl)
{
    struct rlb_rticket *t;

    if (!rs)
        return NULL;
    *kl = rlb_rstore_key(rs->conf->prefix, kind, key, len, k, RS_KEY_MAX);
    if (!rlb_rstore_ready(rs) || !*kl || !(t = ticket_get(rs, op))) {
        st(rs)->skipped++;
        return NULL;
    }
    t->req = req;
    return t;
}

/* Their epilogue: counts the command (*counter) and ties the waiting
 * request to its ticket, or counts it as skipped when it was not sent
 * (rs_command already put t back). Returns sent. */
static bool
session_sent(struct rlb_rstore *rs, struct rlb_rticket *t, bool sent, uint64_t *counter)
{
    if (!sent) {
        st(rs)->skipped++;
        return false;
    }
    if (t->req)
        t->req->ticket = t;
    (*counter)++;
    return true;
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
    {
        uint8_t r[8];

        rlb_random_bytes(r, sizeof(r));
        for (int i = 0; i < 8; i++)
            snprintf(rs->id + 2 * i, 3, "%02x", r[i]);
    }
    ev_timer_init(&rs->master_poll, on_master_poll, 0.0, RS_MASTER_POLL);
    rs->master_poll.data = rs;
    ctx->rstore = rs;
    rs->link = rlb_redis_start(ctx->loop, rs->conf, &link_hooks, rs);
    if (!rs->link) {
        ctx->rstore = NULL;
        free(rs);
        return -1;
    }
    return 0;
}

void
rlb_rstore_stop(struct rlb_ctx *ctx)
{
    struct rlb_rstore *rs = ctx->rstore;

    if (!rs)
        return;
    ev_timer_stop(ctx->loop, &rs->master_poll);
    rlb_redis_stop(rs->link);      /* the commands in flight are answered first */
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
    return rs && rlb_redis_ready(rs->link);
}

bool
rlb_rstore_set(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
               const char *server, double ttl, struct rlb_request *req)
{
    char k[RS_KEY_MAX];
    size_t kl;
    struct rlb_rticket *t = session_ticket(rs, OP_SET, kind, key, len, req, k, &kl);

    return t && session_sent(rs, t, rs_command(rs, t, "SET %b %s PX %lld", k, kl, server,
                                               (long long)(ttl * 1000)), &st(rs)->sets);
}

void
rlb_rstore_del(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len)
{
    char k[RS_KEY_MAX];
    size_t kl;
    struct rlb_rticket *t = session_ticket(rs, OP_DEL, kind, key, len, NULL, k, &kl);

    if (t)
        session_sent(rs, t, rs_command(rs, t, "DEL %b", k, kl), &st(rs)->dels);
}

bool
rlb_rstore_get(struct rlb_rstore *rs, char kind, const uint8_t *key, size_t len,
               struct rlb_request *req)
{
    char k[RS_KEY_MAX];
    size_t kl;
    struct rlb_rticket *t = session_ticket(rs, OP_GET, kind, key, len, req, k, &kl);

    return t && session_sent(rs, t, rs_command(rs, t, "GET %b", k, kl), &st(rs)->gets);
}

bool
rlb_rstore_master_cas(struct rlb_rstore *rs, struct rlb_pool *p, int64_t expected, uint64_t epoch,
                      const char *name)
{
    struct rlb_rticket *t;
    char k[200];

    if (!rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_MASTER_CAS)))
        return false;
    t->pool = p;
    master_key(rs, p, k, sizeof(k));
    return rs_command(rs, t, "EVAL %s 1 %s %lld %llu %s", master_cas_lua, k, (long long)expected,
                      (unsigned long long)epoch, name);
}

static const char budget_undo_lua[] =
    "for i = 1, 3 do "
    "  if KEYS[i] ~= '' then redis.call('ZREM', KEYS[i], ARGV[1] .. ':' .. i) end "
    "end "
    "return 0";

static void
budget_keys(const struct rlb_rstore *rs, const uint64_t *keys, const bool *has, char k[3][200])
{
    for (int i = 0; i < 3; i++) {
        if (has[i])
            snprintf(k[i], sizeof(k[i]), "%sb:%016llx", rs->conf->prefix,
                     (unsigned long long)keys[i]);
        else
            k[i][0] = '\0';
    }
}

void
rlb_rstore_budget_undo(struct rlb_rstore *rs, const uint64_t *keys, const bool *has,
                       uint64_t seq)
{
    char k[3][200], member[48];
    struct rlb_rticket *t;

    if (!rs || !rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_DEL)))
        return;
    budget_keys(rs, keys, has, k);
    snprintf(member, sizeof(member), "%s:%llu", rs->id, (unsigned long long)seq);
    (void)rs_command(rs, t, "EVAL %s 3 %s %s %s %s", budget_undo_lua, k[0], k[1], k[2], member);
}

bool
rlb_rstore_budget(struct rlb_rstore *rs, const uint64_t *keys, const bool *has, int mode,
                  double now, const double *win, const unsigned *max, unsigned nwin,
                  struct rlb_request *req, uint64_t *seq)
{
    char k[3][200], wins[RLB_BUDGET_WINS_TEXT], member[48];
    struct rlb_rticket *t;
    double longest = 0;
    size_t n = 0;

    if (!rs || !rlb_rstore_ready(rs) || !(t = ticket_get(rs, OP_BUDGET))) {
        if (rs)
            st(rs)->skipped++;
        return false;
    }
    budget_keys(rs, keys, has, k);
    wins[0] = '\0';
    for (unsigned i = 0; i < nwin && n < sizeof(wins) - 32; i++) {
        n += (size_t)snprintf(wins + n, sizeof(wins) - n, "%s%.0f:%u", i ? "," : "",
                              win[i] * 1000.0, max[i]);
        if (win[i] > longest)
            longest = win[i];
    }
    /* this instance (its random id) and a counter: one member per prompt */
    snprintf(member, sizeof(member), "%s:%llu", rs->id, (unsigned long long)++rs->budget_seq);
    if (seq)
        *seq = rs->budget_seq;
    t->req = req;
    if (!rs_command(rs, t, "EVAL %s 3 %s %s %s %.0f %d %.0f %s %s", budget_lua, k[0], k[1], k[2],
                    now * 1000.0, mode, longest * 1000.0, member, wins)) {
        st(rs)->skipped++;
        return false;
    }
    if (req)
        req->ticket = t;
    st(rs)->gets++;
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
        st(rs)->write_timeouts++;
    else if (rs)
        st(rs)->timeouts++;
}

const struct rlb_redis_stats *
rlb_rstore_stats(const struct rlb_rstore *rs)
{
    return st(rs);
}

enum rlb_redis_state
rlb_rstore_state(const struct rlb_rstore *rs)
{
    return rlb_redis_state(rs->link);
}

const char *
rlb_rstore_where(const struct rlb_rstore *rs)
{
    return rlb_redis_where(rs->link);
}

const char *
rlb_rstore_last_error(const struct rlb_rstore *rs)
{
    return rlb_redis_last_error(rs->link);
}

unsigned
rlb_rstore_outstanding(const struct rlb_rstore *rs)
{
    return rlb_redis_outstanding(rs->link);
}
