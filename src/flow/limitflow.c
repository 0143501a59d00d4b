/*
 * limitflow.c: the prompt budgets in the request flow (budget.h). A first
 * leg (an Access-Request without a State radlb knows) is checked against
 * the budgets of its keys before it is routed: over budget, it is
 * rejected at once with limits.reply_message and reaches no MFA server.
 * Otherwise it counts as a prompt when admitted; with count = "challenge"
 * the prompt is taken back when its reply shows it did not prompt (an
 * answer that is not an Access-Challenge, within push_seconds), so a
 * burst of first legs in flight cannot pass the budget either.
 * Answers to open challenges are never checked: route.c calls this only
 * for requests no session pins.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "rstore.h"
#include "radius.h"

/* Is User-Name (len octets) allow-listed? The list is sorted (apply). */
static bool
allowed(const struct rlb_ctx *ctx, const uint8_t *name, size_t len)
{
    unsigned lo = 0, hi = ctx->nallow;

    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        size_t ml = ctx->allow_len[mid];
        int c = memcmp(ctx->allow[mid], name, ml < len ? ml : len);

        if (c == 0)
            c = ml < len ? -1 : ml > len ? 1 : 0;
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
rlb_px_limits_apply(struct rlb_ctx *ctx, const struct rlb_conf *c)
{
    const struct rlb_conf_limits *l = &c->limits;
    double win[RLB_LIMIT_WINDOWS];
    unsigned max[RLB_LIMIT_WINDOWS], n = 0, na = l->nallow_users + l->nallow_list;
    const char **allow = calloc(na ? na : 1, sizeof(*allow));
    size_t *lens = calloc(na ? na : 1, sizeof(*lens));

    for (unsigned i = 0; i < l->nprompts && n < RLB_LIMIT_WINDOWS; i++, n++) {
        win[n] = l->prompts[i].window;
        max[n] = (unsigned)l->prompts[i].max;
    }
    rlb_limits_set(&ctx->limits, win, max, n, (unsigned long)l->max_entries);
    ctx->rl_limits.interval = RLB_LOG_INTERVAL;
    if (!allow || !lens) {
        free(allow);
        free(lens);
        rlb_err("out of memory: the limits' allow-list is empty");
        allow = NULL;
        lens = NULL;
        na = 0;
    }
    for (unsigned i = 0; allow && i < l->nallow_users; i++)
        allow[i] = l->allow_users[i];
    for (unsigned i = 0; allow && i < l->nallow_list; i++)
        allow[l->nallow_users + i] = l->allow_list[i];
    if (allow)
        qsort(allow, na, sizeof(*allow), cmp_names);
    for (unsigned i = 0; lens && i < na; i++)
        lens[i] = strlen(allow[i]);
    free(ctx->allow);
    free(ctx->allow_len);
    ctx->allow = allow;
    ctx->allow_len = lens;
    ctx->nallow = na;
}

void
rlb_px_limits_free(struct rlb_ctx *ctx)
{
    free(ctx->allow);
    free(ctx->allow_len);
    ctx->allow = NULL;
    ctx->allow_len = NULL;
    ctx->nallow = 0;
    rlb_limits_free(&ctx->limits);
}

/* The value of key kind k of the request, or NULL. */
static const uint8_t *
value_of(const struct rlb_request *req, const uint8_t *data, const struct rlb_pkt_info *info,
         int k, size_t *len)
{
    switch (k) {
    case RLB_LIMIT_USER:
        return rlb_pkt_find_attr(data, info, 0, RLB_ATTR_USER_NAME, len);
    case RLB_LIMIT_STATION:
        return rlb_pkt_find_attr(data, info, 0, RLB_ATTR_CALLING_STATION_ID, len);
    default:
        *len = strlen(req->client->name);
        return (const uint8_t *)req->client->name;
    }
}

/* Printable, for the log line: other octets as '?'. */
static void
printable(const uint8_t *v, size_t len, char *out, size_t outlen)
{
    size_t n = len < outlen - 1 ? len : outlen - 1;

    for (size_t i = 0; i < n; i++)
        out[i] = v[i] >= 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '\\' ? (char)v[i] : '?';
    out[n] = '\0';
}

static void
blocked(struct rlb_ctx *ctx, struct rlb_request *req, int k, uint64_t key, const uint8_t *v,
        size_t len, const struct rlb_limit_verdict *vd)
{
    struct rlb_limit_entry *e = rlb_limits_find(&ctx->limits, key);
    double now = ev_now(ctx->loop);
    unsigned held;
    char what[80];

    ctx->limits.stats.blocked[k]++;
    /* One line per key and minute, and no flood across keys. */
    if ((!e || now - e->logged >= 60.0) && rlb_ratelimit_ok(&ctx->rl_limits, now, &held)) {
        if (e)
            e->logged = now;
        printable(v, len, what, sizeof(what));
        rlb_warn("prompt budget: %s \"%s\" had %u prompts in %g s (at most %u): first legs from "
                 "client %s are rejected for %.0f s without reaching an MFA server (push "
                 "bombing or SMS pumping? radlbctl show limits; radlbctl unblock for a user)%s",
                 rlb_limit_kind_names[k], what, vd->count, ctx->limits.win[vd->window], vd->max,
                 req->client->name, vd->until - now,
                 held ? " (more blocked keys since the last line)" : "");
    }
}

bool
rlb_px_limit_first_leg(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                       const struct rlb_pkt_info *info)
{
    const struct rlb_conf_limits *cl = &ctx->conf->limits;
    struct rlb_limits *l = &ctx->limits;
    double now = ev_now(ctx->loop);
    uint64_t key[RLB_LIMIT_KINDS];
    const uint8_t *val[RLB_LIMIT_KINDS];
    size_t len[RLB_LIMIT_KINDS];
    bool has[RLB_LIMIT_KINDS] = { false, false, false };

    if (!l->nwin || info->code != RLB_ACCESS_REQUEST || !req->client ||
        (req->rflags & RLB_ROUTEF_LIMITED))
        return false;
    req->rflags |= RLB_ROUTEF_LIMITED;
    val[RLB_LIMIT_USER] = value_of(req, data, info, RLB_LIMIT_USER, &len[RLB_LIMIT_USER]);
    if (val[RLB_LIMIT_USER] && ctx->nallow && allowed(ctx, val[0], len[0])) {
        l->stats.allowed++;
        return false;
    }
    for (int k = 0; k < RLB_LIMIT_KINDS; k++) {
        struct rlb_limit_verdict vd;

        if (!cl->by_kind[k])
            continue;
        if (k != RLB_LIMIT_USER)
            val[k] = value_of(req, data, info, k, &len[k]);
        if (!val[k] || !len[k])
            continue;
        has[k] = true;
        key[k] = rlb_limits_key(l, k, val[k], len[k]);
        if (rlb_limits_over(l, key[k], now, &vd)) {
            blocked(ctx, req, k, key[k], val[k], len[k], &vd);
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, cl->reply_message);
            return true;
        }
    }
    /* The prompt counts now, while the first leg is in flight: a burst
     * of them cannot all pass before the first reply. With count =
     * "challenge" it is taken back if the reply shows no prompt. */
    for (int k = 0; k < RLB_LIMIT_KINDS; k++) {
        if (has[k])
            rlb_limits_count(l, key[k], k, val[k], len[k], now);
    }
    if (cl->count == RLB_LIMIT_COUNT_CHALLENGE && !req->li) {
        struct rlb_limitinfo *li = (struct rlb_limitinfo *)rlb_buf_get(&ctx->bufs, sizeof(*li));

        if (li) {
            memset(li, 0, sizeof(*li));
            li->size = sizeof(*li);
            li->counted = now;
            for (int k = 0; k < RLB_LIMIT_KINDS; k++) {
                if (!has[k])
                    continue;
                li->has |= (uint8_t)(1u << k);
                li->key[k] = key[k];
            }
            req->li = li;
        }
    }
    /* The other instances' prompts too, when they share Redis: parked
     * until it answers (or redis.timeout: the local verdict stands). */
    return rlb_px_park_budget(ctx, req, data, info, key, has, 1, req->li ? &req->li->seq : NULL);
}

void
rlb_px_limit_reply(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code, double waited)
{
    struct rlb_limitinfo *li = req->li;
    bool has[RLB_LIMIT_KINDS];

    if (!li)
        return;
    /* A challenge prompted (SMS, code); a late answer waited on a human
     * (push, call); no answer at all (code 0): it may be waiting still.
     * Anything else did not prompt: its prompt is taken back. */
    if (code != RLB_ACCESS_CHALLENGE && code != 0 && waited <= ctx->conf->limits.push_seconds) {
        for (int k = 0; k < RLB_LIMIT_KINDS; k++) {
            has[k] = li->has & (1u << k);
            if (has[k])
                rlb_limits_uncount(&ctx->limits, li->key[k], li->counted);
        }
        if (li->seq && ctx->rstore)
            rlb_rstore_budget_undo(ctx->rstore, li->key, has, li->seq);
    }
    rlb_px_limit_free(ctx, req);
}

void
rlb_px_limit_free(struct rlb_ctx *ctx, struct rlb_request *req)
{
    if (req->li)
        rlb_buf_put(&ctx->bufs, (uint8_t *)req->li, req->li->size);
    req->li = NULL;
}

bool
rlb_px_limit_shared_verdict(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                            const struct rlb_pkt_info *info, const int64_t *answer)
{
    struct rlb_limit_verdict vd;
    const uint8_t *v;
    size_t len = 0;
    int k;

    if (answer[0] != 1 || answer[1] < 1 || answer[1] > RLB_LIMIT_KINDS)
        return false;
    /* The slot names the kind (slots are by enum rlb_limit_kind). */
    k = (int)answer[1] - 1;
    memset(&vd, 0, sizeof(vd));
    vd.over = true;
    vd.count = (unsigned)answer[2];
    vd.max = (unsigned)answer[3];
    vd.window = answer[4] >= 0 && answer[4] < (int64_t)ctx->limits.nwin ? (unsigned)answer[4] : 0;
    vd.until = (double)answer[5] / 1000.0;
    v = value_of(req, data, info, k, &len);
    blocked(ctx, req, k, rlb_limits_key(&ctx->limits, k, v ? v : (const uint8_t *)"", len),
            v ? v : (const uint8_t *)"", len, &vd);
    rlb_px_limit_free(ctx, req);
    rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->limits.reply_message);
    return true;
}
