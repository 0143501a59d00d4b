/*
 * cmdlimits.c: the control commands of the prompt budgets (cmdpools.h
 * declares them for cmd.c's table): show limits [USER], unblock USER.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmdpools.h"
#include "ctx.h"

#define BLOCKED_SHOWN 20

/* The windows of entry e, now: "600 s: 5 of 5, 86400 s: 7 of 20"; the
 * time the block lasts, 0 when it is not blocked. */
static double
windows_text(const struct rlb_limits *l, const struct rlb_limit_entry *e, double now,
             struct rlb_strbuf *out, json_t *a)
{
    struct rlb_limit_verdict vd;

    for (unsigned i = 0; i < l->nwin; i++) {
        double oldest;
        unsigned c = e ? rlb_limits_in_window(l, e, i, now, &oldest) : 0;

        if (a)
            json_array_append_new(a, json_pack("{s:f,s:i,s:i}", "window_seconds", l->win[i],
                                               "prompts", (int)c, "max", (int)l->winmax[i]));
        else
            rlb_sb_printf(out, "%s%g s: %u of %u", i ? ", " : "", l->win[i], c, l->winmax[i]);
    }
    return rlb_limits_judge(l, e, now, &vd) ? vd.until - now : 0;
}

int
rlb_cmd_show_limits(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_limits *l = &ctx->limits;
    const struct rlb_conf_limits *cl = &ctx->conf->limits;
    double now = ev_now(ctx->loop);
    const struct rlb_limit_entry *e;
    unsigned shown = 0;

    if (r->argc > 3) {
        rlb_sb_printf(err, "usage: show limits [USER]");
        return -1;
    }
    if (r->argc == 3) {
        const char *u = r->argv[2];

        e = rlb_limits_find(l, rlb_limits_key(l, RLB_LIMIT_USER, (const uint8_t *)u, strlen(u)));
        if (r->json) {
            json_t *a = json_array();
            double left = windows_text(l, e, now, NULL, a);

            rlb_cmd_json_out(out, json_pack("{s:s,s:o,s:b,s:f,s:I}", "user", u, "windows", a,
                                            "blocked", left > 0, "blocked_for_seconds", left,
                                            "rejected", (json_int_t)(e ? e->blocked : 0)));
        } else if (!e || !e->n) {
            rlb_sb_printf(out, "user \"%s\": no prompts counted\n", u);
        } else {
            double left;

            rlb_sb_printf(out, "user \"%s\": ", u);
            left = windows_text(l, e, now, out, NULL);
            if (left > 0)
                rlb_sb_printf(out, "; blocked for %.0f s", left);
            rlb_sb_printf(out, "; %llu first legs rejected\n", (unsigned long long)e->blocked);
        }
        return 0;
    }
    if (r->json) {
        json_t *a = json_array();

        for (e = rlb_limits_next(l, NULL); e; e = rlb_limits_next(l, e)) {
            struct rlb_limit_verdict vd;

            if (!rlb_limits_judge(l, e, now, &vd))
                continue;
            json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:i,s:f,s:f,s:I}", "kind",
                                               rlb_limit_kind_names[e->kind], "value", e->name,
                                               "prompts", (int)vd.count, "max", (int)vd.max,
                                               "window_seconds", l->win[vd.window],
                                               "blocked_for_seconds", vd.until - now,
                                               "rejected", (json_int_t)e->blocked));
        }
        rlb_cmd_json_out(out, json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "enabled",
                                        l->nwin > 0, "count", cl->count ? "challenge" :
                                        "first-leg", "keys", (json_int_t)l->order.count,
                                        "prompts", (json_int_t)l->stats.prompts,
                                        "allowed", (json_int_t)l->stats.allowed,
                                        "blocked_user", (json_int_t)l->stats.blocked[0],
                                        "blocked_calling_station",
                                        (json_int_t)l->stats.blocked[1],
                                        "blocked_client", (json_int_t)l->stats.blocked[2],
                                        "evicted", (json_int_t)l->stats.evicted, "blocked", a));
        return 0;
    }
    if (!l->nwin) {
        rlb_sb_printf(out, "limits: off (no limits.prompts budgets in %s)\n", ctx->conf->file);
        return 0;
    }
    rlb_sb_printf(out, "limits: ");
    for (unsigned i = 0; i < l->nwin; i++)
        rlb_sb_printf(out, "%s%u prompts per %g s", i ? ", " : "", l->winmax[i], l->win[i]);
    rlb_sb_printf(out, "; by");
    for (int k = 0; k < RLB_LIMIT_KINDS; k++) {
        if (cl->by_kind[k])
            rlb_sb_printf(out, " %s", rlb_limit_kind_names[k]);
    }
    rlb_sb_printf(out, "; count %s; %u allow-listed users\n",
                  cl->count ? "challenge" : "first-leg", ctx->nallow);
    rlb_sb_printf(out, "keys %lu\nprompts %llu\nallowed %llu\nblocked_user %llu\n"
                  "blocked_calling_station %llu\nblocked_client %llu\nevicted %llu\n",
                  l->order.count, (unsigned long long)l->stats.prompts,
                  (unsigned long long)l->stats.allowed, (unsigned long long)l->stats.blocked[0],
                  (unsigned long long)l->stats.blocked[1],
                  (unsigned long long)l->stats.blocked[2], (unsigned long long)l->stats.evicted);
    for (e = rlb_limits_next(l, NULL); e && shown < BLOCKED_SHOWN; e = rlb_limits_next(l, e)) {
        struct rlb_limit_verdict vd;

        if (!rlb_limits_judge(l, e, now, &vd))
            continue;
        if (!shown++)
            rlb_sb_printf(out, "blocked now (most recent first):\n");
        rlb_sb_printf(out, "  %s \"%s\" prompts=%u/%u window=%g s blocked_for=%.0f s "
                      "rejected=%llu\n", rlb_limit_kind_names[e->kind], e->name, vd.count, vd.max,
                      l->win[vd.window], vd.until - now, (unsigned long long)e->blocked);
    }
    if (!shown)
        rlb_sb_printf(out, "no key is blocked now\n");
    return 0;
}

int
rlb_cmd_unblock(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_limits *l = &r->ctx->limits;
    const char *u;
    int n;

    if (r->argc != 2) {
        rlb_sb_printf(err, "usage: unblock USER");
        return -1;
    }
    u = r->argv[1];
    n = rlb_limits_forget(l, rlb_limits_key(l, RLB_LIMIT_USER, (const uint8_t *)u, strlen(u)));
    rlb_info("control: unblock \"%s\" (uid %u): %d prompts forgotten", u, (unsigned)r->uid,
             n < 0 ? 0 : n);
    if (r->json)
        rlb_cmd_json_out(out, json_pack("{s:s,s:i}", "user", u, "forgotten", n < 0 ? 0 : n));
    else if (n < 0)
        rlb_sb_printf(out, "user \"%s\": nothing to unblock\n", u);
    else
        rlb_sb_printf(out, "user \"%s\": unblocked (%d prompts forgotten)\n", u, n);
    return 0;
}
