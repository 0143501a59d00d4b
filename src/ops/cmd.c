/*
 * cmd.c: the control commands, in one table; help is generated from it.
 * Every command answers in text for people or, with "json", for scripts.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "ctx.h"
#include "health.h"
#include "master.h"
#include "mfaprobe.h"
#include "cmdpools.h"
#include "pool.h"
#include "metrics.h"
#include "reload.h"
#include "report.h"
#include "rstore.h"
#include "spool.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

void
rlb_cmd_json_out(struct rlb_strbuf *out, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));

    if (s) {
        rlb_sb_printf(out, "%s\n", s);
        free(s);
    }
    json_decref(j);
}

/* "ok 2x, 1.2 ms" / "no answer within 1 s (2x)" for the table. */
static const char *
health_text(const struct rlb_server *s, char *buf, size_t len)
{
    const struct rlb_probe *p = s->probe;

    if (!p)
        snprintf(buf, len, "-");
    else if (!p->ok_run && !p->fail_run)
        snprintf(buf, len, "%.60s", p->last);   /* the table shows the start */
    else if (p->ok_run)
        snprintf(buf, len, "ok x%u %.1fms", p->ok_run, p->rtt * 1000);
    else
        snprintf(buf, len, "failed x%u", p->fail_run);
    return buf;
}

/* One line per pool: "master: NAME ..." (with pools: "master of pool P: ..."). */
static void
master_text(const struct rlb_ctx *ctx, struct rlb_strbuf *out)
{
    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_pool *p = ctx->pools[i];
        const struct rlb_master *m = &p->master;
        char who[96];

        if (ctx->npools > 1 || !p->is_default)
            snprintf(who, sizeof(who), "master of pool %s", p->name);
        else
            snprintf(who, sizeof(who), "master");
        if (!m->server)
            rlb_sb_printf(out, "%s: none (radlbctl promote %s%sNAME)\n", who,
                          p->is_default ? "" : p->name, p->is_default ? "" : "/");
        else if (rlb_master_takes_writes(p))
            rlb_sb_printf(out, "%s: %s (epoch %llu), takes writes\n", who, m->server->name,
                          (unsigned long long)m->epoch);
        else
            rlb_sb_printf(out, "%s: %s (epoch %llu) is %s: NO MASTER TAKES WRITES for %.0f s\n",
                          who, m->server->name, (unsigned long long)m->epoch,
                          rlb_server_state_name(m->server), rlb_master_seconds_without(p));
    }
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

static int
cmd_help(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
            json_t *o = json_object();

            json_object_set_new(o, "command", json_string(c->name));
            json_object_set_new(o, "args", json_string(c->args));
            json_object_set_new(o, "level",
                                json_string(c->level == RLB_CMD_ADMIN ? "admin" : "read"));
            json_object_set_new(o, "help", json_string(c->help));
            json_array_append_new(a, o);
        }
        rlb_cmd_json_out(out, a);
        return 0;
    }
    for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
        char usage[128];

        snprintf(usage, sizeof(usage), "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        rlb_sb_printf(out, "  %-28s %s%s\n", usage, c->help,
                      c->level == RLB_CMD_ADMIN ? " (admin)" : "");
    }
    return 0;
}

/* "address:port", with "/tcp" or "/tls" for a stream server. */
static const char *
server_where(const struct rlb_server *s, char *buf, size_t len)
{
    char a[RLB_ADDRSTRLEN];

    rlb_sockaddr_str(&s->addr[RLB_KIND_AUTH], a, sizeof(a));
    snprintf(buf, len, "%s%s", a,
             s->proto == RLB_PROTO_TLS ? "/tls" : s->proto == RLB_PROTO_TCP ? "/tcp" : "");
    return buf;
}

static int
cmd_show_servers(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_servers *ss = &r->ctx->servers;

    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (unsigned i = 0; i < ss->n; i++)
            json_array_append_new(a, rlb_report_server(r->ctx, ss->v[i]));
        rlb_cmd_json_out(out, json_pack("{s:o,s:o,s:o}", "master", rlb_report_master(r->ctx),
                                "pools", rlb_report_pools(r->ctx), "servers", a));
        return 0;
    }
    master_text(r->ctx, out);
    rlb_sb_printf(out, "%-12s %-11s %-11s %-22s %-22s %6s %11s %8s "
                  "%9s %8s %8s %9s %8s %8s %8s %8s %s\n",
                  "NAME", "ROLE", "STATE", "HEALTH", "ADDRESS", "WEIGHT", "OUTSTANDING", "SESSIONS",
                  "REQUESTS", "ACCEPT", "REJECT", "CHALLENGE", "ACCT", "TIMEOUTS", "P50_MS",
                  "P99_MS", "POOL");
    for (unsigned i = 0; i < ss->n; i++) {
        const struct rlb_server *s = ss->v[i];
        char where[RLB_ADDRSTRLEN + 8], health[64];

        rlb_sb_printf(out, "%-12s %-11s %-11s %-22s %-22s %6d %11u %8lu "
                      "%9llu %8llu %8llu %9llu %8llu %8llu %8.1f %8.1f %s\n",
                      s->name, rlb_role_name(s->role), rlb_server_state_name(s),
                      health_text(s, health, sizeof(health)),
                      server_where(s, where, sizeof(where)), s->weight,
                      s->outstanding, s->sessions, (unsigned long long)s->stats.requests,
                      (unsigned long long)s->stats.access_accepts,
                      (unsigned long long)s->stats.access_rejects,
                      (unsigned long long)s->stats.access_challenges,
                      (unsigned long long)s->stats.accounting_responses,
                      (unsigned long long)s->stats.timeouts,
                      rlb_latency_quantile(&s->latency, 0.5) * 1000,
                      rlb_latency_quantile(&s->latency, 0.99) * 1000, s->pool_name);
    }
    for (unsigned i = 0; i < ss->n; i++) {
        const struct rlb_server *s = ss->v[i];

        if (s->health == RLB_HEALTH_DOWN || s->admin != RLB_ADMIN_ENABLED)
            rlb_sb_printf(out, "  %s: %s since %.0f s: %s\n", s->name, rlb_server_state_name(s),
                          ev_now(r->ctx->loop) - s->since, rlb_server_state_reason(s));
    }
    /* The synthetic MFA login (mfa_probe), when it runs. */
    for (unsigned i = 0; i < ss->n; i++) {
        const struct rlb_server *s = ss->v[i];
        const struct rlb_mfaprobe *m = s->mfa;

        if (!m || m->result == RLB_MFA_UNKNOWN)
            continue;
        rlb_sb_printf(out, "  %s: MFA probe login %s (%.3f s, %.0f s ago)%s\n", s->name, m->last,
                      m->seconds, ev_now(r->ctx->loop) - m->last_at,
                      rlb_mfaprobe_failing(s) ? ": MFA PATH FAILING (up, yet the login fails)"
                                              : "");
    }
    return 0;
}

static int
cmd_show_clients(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_clients *cs = &r->ctx->clients;
    char net[64];

    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (unsigned i = 0; i < cs->n; i++) {
            const struct rlb_client *c = cs->v[i];

            json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:b,s:o}", "name", c->name,
                                               "network",
                                               rlb_network_str(&c->net, net, sizeof(net)),
                                               "require_message_authenticator", c->require_ma,
                                               "limit_proxy_state", c->limit_proxy_state,
                                               "counters",
                                               rlb_metrics_json_of(r->ctx, RLB_MS_CLIENT, c)));
        }
        rlb_cmd_json_out(out, json_pack("{s:o}", "clients", a));
        return 0;
    }
    rlb_sb_printf(out, "%-12s %-22s %9s %8s %8s %8s %8s %8s %9s %8s %6s\n", "NAME", "NETWORK",
                  "REQUESTS", "RETRANS", "CACHED", "REPLIES", "TIMEOUTS", "DROPPED", "CHALLENGE",
                  "ANSWERS", "LATE");
    for (unsigned i = 0; i < cs->n; i++) {
        const struct rlb_client *c = cs->v[i];

        rlb_sb_printf(out, "%-12s %-22s %9llu %8llu %8llu %8llu %8llu %8llu %9llu %8llu %6llu\n",
                      c->name, rlb_network_str(&c->net, net, sizeof(net)),
                      (unsigned long long)c->stats.requests,
                      (unsigned long long)c->stats.retransmissions,
                      (unsigned long long)c->stats.duplicates,
                      (unsigned long long)c->stats.replies,
                      (unsigned long long)c->stats.timeouts,
                      (unsigned long long)c->stats.dropped,
                      (unsigned long long)c->stats.challenges,
                      (unsigned long long)c->stats.challenge_answers,
                      (unsigned long long)c->stats.late_replies);
    }
    for (unsigned i = 0; i < cs->n; i++) {
        const struct rlb_client *c = cs->v[i];

        if (c->stats.late_replies)
            rlb_sb_printf(out, "%s: %llu replies came after it had stopped retransmitting: "
                          "raise its RADIUS timeout (60 s or more for MFA)\n", c->name,
                          (unsigned long long)c->stats.late_replies);
        if (c->stats.challenges >= 10 && !c->stats.challenge_answers)
            rlb_sb_printf(out, "%s: answered none of its %llu Access-Challenges: it may not do "
                          "challenge-response (OTP)\n", c->name,
                          (unsigned long long)c->stats.challenges);
    }
    return 0;
}

static int
cmd_show_stats(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json)
        rlb_cmd_json_out(out, rlb_report_stats(r->ctx));
    else
        rlb_metrics_text(r->ctx, out);
    return 0;
}

static void
dump_line(void *arg, const char *line)
{
    rlb_sb_printf(arg, "%s\n", line);
}

static int
cmd_show_config(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json) {
        struct rlb_strbuf text = { 0 };

        rlb_conf_dump(r->ctx->conf, dump_line, &text);
        rlb_cmd_json_out(out, json_pack("{s:s,s:s}", "file", r->ctx->conf->file, "config",
                                text.p ? text.p : ""));
        rlb_sb_free(&text);
        return 0;
    }
    rlb_sb_printf(out, "# %s (secrets masked)\n", r->ctx->conf->file);
    rlb_conf_dump(r->ctx->conf, dump_line, out);
    return 0;
}

/* drain / maintenance / enable NAME */
static int
set_admin(struct rlb_cmd_req *r, int admin, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_server *s;
    char who[32];

    if (r->argc != 2) {
        rlb_sb_printf(err, "usage: %s [POOL/]NAME", r->argv[0]);
        return -1;
    }
    if (!(s = rlb_cmd_server_arg(r->ctx, r->argv[1], err)))
        return -1;
    snprintf(who, sizeof(who), "uid %u", (unsigned)r->uid);
    rlb_info("control: %s %s (%s)", r->argv[0], s->name, who);
    rlb_health_set_admin(r->ctx, s, admin, who);
    if (r->json)
        rlb_cmd_json_out(out, json_pack("{s:s,s:s}", "server", s->name, "state",
                                        rlb_server_state_name(s)));
    else
        rlb_sb_printf(out, "%s: %s\n", s->name, rlb_server_state_name(s));
    return 0;
}

static int
cmd_drain(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_DRAINING, out, err);
}

static int
cmd_maintenance(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_MAINTENANCE, out, err);
}

static int
cmd_enable(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    return set_admin(r, RLB_ADMIN_ENABLED, out, err);
}

static int
cmd_promote(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_server *s;
    bool force = r->argc == 3 && strcmp(r->argv[2], "force") == 0;
    char who[32];
    int rc;

    if (r->argc < 2 || r->argc > 3 || (r->argc == 3 && !force)) {
        rlb_sb_printf(err, "usage: promote [POOL/]NAME [force]");
        return -1;
    }
    if (!(s = rlb_cmd_server_arg(r->ctx, r->argv[1], err)))
        return -1;
    snprintf(who, sizeof(who), "uid %u", (unsigned)r->uid);
    rlb_info("control: promote %s%s (%s)", s->name, force ? " force" : "", who);
    rc = rlb_master_promote(r->ctx, s, force, who, r->conn, out, err);
    if (rc < 0)
        rlb_warn("control: promote %s refused: %s", s->name, err->p ? err->p : "?");
    return rc;
}

static int
cmd_show_master(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    (void)err;
    if (r->json) {
        json_t *a = json_array();

        for (unsigned i = 0; i < r->ctx->npools; i++)
            json_array_append_new(a, rlb_report_master_of(r->ctx, r->ctx->pools[i]));
        rlb_cmd_json_out(out, json_pack("{s:o}", "masters", a));
        return 0;
    }
    master_text(r->ctx, out);
    return 0;
}

static int
cmd_reload(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    char who[32];

    if (r->argc != 1) {
        rlb_sb_printf(err, "usage: reload");
        return -1;
    }
    snprintf(who, sizeof(who), "radlbctl, uid %u", (unsigned)r->uid);
    return rlb_reload(r->ctx, who, out, err);
}

/* The State in hex, at most 64 characters (long ones end with "..."). */
static void
hex_of(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t n = len * 2 <= 64 ? len : 30, i;

    for (i = 0; i < n && 2 * i + 3 <= outlen; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[2 * i] = '\0';
    if (n < len && 2 * i + 4 <= outlen)
        memcpy(out + 2 * i, "...", 4);
}

#define SESSIONS_SHOWN 50

static int
cmd_show_sessions(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_sticky *t = &ctx->sticky;
    double now = ev_now(ctx->loop);
    const struct rlb_sticky_entry *e;
    json_t *per = NULL, *recent = NULL;
    unsigned shown = 0;
    char hex[72];

    (void)err;
    if (r->json) {
        per = json_object();
        recent = json_array();
        for (unsigned i = 0; i < ctx->servers.n; i++)
            json_object_set_new(per, ctx->servers.v[i]->name,
                                json_integer((json_int_t)ctx->servers.v[i]->sessions));
    } else {
        rlb_sb_printf(out, "challenge sessions: %lu (ttl %g s, max %lu); affinity entries: %lu; "
                      "store: %s\n", rlb_sticky_count(t), t->ttl, t->max,
                      rlb_sticky_count(&ctx->affinity),
                      ctx->rstore ? "memory + Redis" : "memory");
        for (unsigned i = 0; i < ctx->servers.n; i++)
            rlb_sb_printf(out, "  %-12s %lu\n", ctx->servers.v[i]->name,
                          ctx->servers.v[i]->sessions);
        if (rlb_sticky_count(t))
            rlb_sb_printf(out, "%-66s %-12s %8s %10s\n", "STATE (newest first)", "SERVER", "AGE_S",
                          "EXPIRES_S");
    }
    for (e = rlb_sticky_newest(t); e && shown < SESSIONS_SHOWN; e = rlb_sticky_older(e), shown++) {
        hex_of(e->state, e->len, hex, sizeof(hex));
        if (r->json)
            json_array_append_new(recent, json_pack("{s:s,s:s,s:f,s:f}", "state", hex, "server",
                                                    e->server->name, "idle_seconds", now - e->used,
                                                    "expires_in_seconds", e->used + t->ttl - now));
        else
            rlb_sb_printf(out, "%-66s %-12s %8.1f %10.1f\n", hex, e->server->name, now - e->used,
                          e->used + t->ttl - now);
    }
    if (r->json) {
        rlb_cmd_json_out(out, json_pack("{s:I,s:f,s:I,s:I,s:o,s:o}",
                                "sessions", (json_int_t)rlb_sticky_count(t),
                                "ttl", t->ttl, "max", (json_int_t)t->max, "affinity_entries",
                                (json_int_t)rlb_sticky_count(&ctx->affinity), "per_server", per,
                                "recent", recent));
    } else if (rlb_sticky_count(t) > shown) {
        rlb_sb_printf(out, "(%lu older sessions not shown)\n", rlb_sticky_count(t) - shown);
    }
    return 0;
}

static void
spool_text(const struct rlb_ctx *ctx, const struct rlb_pool *p, struct rlb_strbuf *out)
{
    const struct rlb_global_stats *g = &ctx->stats;
    const struct rlb_spool_stats *st;
    double oldest;

    if (!p->spool) {
        rlb_sb_printf(out, "no spool (spool.directory is not set): without a master, "
                      "accounting gets no answer (%llu so far)\n",
                      (unsigned long long)g->acct_no_master);
        return;
    }
    st = rlb_spool_stats(p->spool);
    oldest = rlb_spool_oldest(p->spool);
    rlb_sb_printf(out, "spool %s: %s\n", rlb_spool_dir(p->spool), rlb_report_spool_status(p));
    rlb_sb_printf(out, "records %llu\nbytes %llu\nmax_bytes %.0f\noldest_seconds %.0f\n"
                  "replaying %u\nappended %llu\nreplayed %llu\nacked %llu\nfull %llu\n"
                  "commits %llu\nerrors %llu\nanswered %llu\nnot_answered %llu\n",
                  (unsigned long long)rlb_spool_depth(p->spool),
                  (unsigned long long)rlb_spool_bytes(p->spool), ctx->conf->spool.max_bytes,
                  oldest > 0 ? (double)time(NULL) - oldest : 0.0, p->spooling.inflight,
                  (unsigned long long)st->appended, (unsigned long long)st->replayed,
                  (unsigned long long)st->acked, (unsigned long long)st->full,
                  (unsigned long long)st->commits, (unsigned long long)st->errors,
                  (unsigned long long)g->acct_spooled, (unsigned long long)g->acct_spool_full);
}

/* show spool [POOL]: the first pool's, or POOL's; with several pools and
 * no POOL, each pool's block under a "pool NAME" line. */
static int
cmd_show_spool(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    const struct rlb_ctx *ctx = r->ctx;
    const struct rlb_pool *only = NULL;

    if (r->argc > 3) {
        rlb_sb_printf(err, "usage: show spool [POOL]");
        return -1;
    }
    if (r->argc == 3 && !(only = rlb_pools_find(ctx, r->argv[2]))) {
        rlb_sb_printf(err, "no pool named \"%s\" (see show pools)", r->argv[2]);
        return -1;
    }
    if (!only && ctx->npools == 1)
        only = ctx->pools[0];
    if (r->json) {
        if (only) {
            rlb_cmd_json_out(out, rlb_report_spool_of(ctx, only));
        } else {
            json_t *a = json_array();

            for (unsigned i = 0; i < ctx->npools; i++)
                json_array_append_new(a, rlb_report_spool_of(ctx, ctx->pools[i]));
            rlb_cmd_json_out(out, json_pack("{s:o}", "pools", a));
        }
        return 0;
    }
    if (only) {
        spool_text(ctx, only, out);
        return 0;
    }
    for (unsigned i = 0; i < ctx->npools; i++) {
        rlb_sb_printf(out, "%spool %s\n", i ? "\n" : "", ctx->pools[i]->name);
        spool_text(ctx, ctx->pools[i], out);
    }
    return 0;
}

const struct rlb_cmd rlb_commands[] = {
    { "help", RLB_CMD_READ, "", "list the commands", cmd_help },
    { "show servers", RLB_CMD_READ, "",
      "the master; servers: role, state, health, outstanding, sessions, replies, latency",
      cmd_show_servers },
    { "show master", RLB_CMD_READ, "",
      "each pool's master: name, epoch, whether it takes writes", cmd_show_master },
    { "show sessions", RLB_CMD_READ, "",
      "open challenge sessions: per server, and the newest", cmd_show_sessions },
    { "show spool", RLB_CMD_READ, "[POOL]",
      "the accounting spool (each pool's): records waiting, bytes, replay", cmd_show_spool },
    { "show pools", RLB_CMD_READ, "",
      "pools: servers, master, requests, accepts, rejects, challenges, migrated",
      rlb_cmd_show_pools },
    { "show routes", RLB_CMD_READ, "",
      "routing rules in order: match, pool, strip, migration share and list, counters",
      rlb_cmd_show_routes },
    { "show limits", RLB_CMD_READ, "[USER]",
      "prompt budgets: settings, counters, the keys blocked now; or USER's prompts per window",
      rlb_cmd_show_limits },
    { "unblock", RLB_CMD_ADMIN, "USER",
      "forget USER's prompts: its first legs reach the MFA servers again", rlb_cmd_unblock },
    { "route", RLB_CMD_ADMIN, "N share PERCENT",
      "set the share of users rule N migrates (kept across reloads while the file's share "
      "is unchanged)", rlb_cmd_route },
    { "show clients", RLB_CMD_READ, "", "clients: network and counters", cmd_show_clients },
    { "show stats", RLB_CMD_READ, "",
      "every counter: global, drops by reason, clients, servers", cmd_show_stats },
    { "show config", RLB_CMD_READ, "",
      "the running configuration, secrets masked", cmd_show_config },
    { "drain", RLB_CMD_ADMIN, "NAME",
      "no new logins to NAME; answers to its open challenges still go there", cmd_drain },
    { "maintenance", RLB_CMD_ADMIN, "NAME",
      "nothing to NAME; answers to its open challenges are rejected", cmd_maintenance },
    { "enable", RLB_CMD_ADMIN, "NAME", "NAME takes new logins again", cmd_enable },
    { "reload", RLB_CMD_ADMIN, "",
      "re-read the configuration file and apply it without dropping a request "
      "(a bad file changes nothing)", cmd_reload },
    { "promote", RLB_CMD_ADMIN, "[POOL/]NAME [force]",
      "make NAME the master of its pool (writes go there); force: even if down or Redis is "
      "unreachable",
      cmd_promote },
    { NULL, 0, NULL, NULL, NULL },
};

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */

static int
words_of(const char *name)
{
    int n = 1;

    for (; *name; name++)
        n += *name == ' ';
    return n;
}

/* Does argv start with the words of name? */
static bool
matches(const char *name, int argc, char **argv)
{
    int words = words_of(name);
    const char *p = name;

    if (argc < words)
        return false;
    for (int i = 0; i < words; i++) {
        size_t n = strcspn(p, " ");

        if (strlen(argv[i]) != n || strncmp(argv[i], p, n) != 0)
            return false;
        p += n + (p[n] == ' ');
    }
    return true;
}

int
rlb_cmd_run(struct rlb_ctx *ctx, char *line, uid_t uid, int level, uint64_t conn,
            struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    char *argv[16], *save = NULL, *tok;
    int argc = 0;
    struct rlb_cmd_req r = { ctx, 0, argv, false, uid, level, conn };

    for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 16;
         tok = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = tok;
    if (argc > 0 && strcmp(argv[0], "json") == 0) {
        r.json = true;
        r.argv++;
        argc--;
    }
    r.argc = argc;
    if (argc == 0) {
        rlb_sb_printf(err, "empty command; try \"help\"");
        return -1;
    }
    for (const struct rlb_cmd *c = rlb_commands; c->name; c++) {
        if (!matches(c->name, r.argc, r.argv))
            continue;
        if (c->level > level) {
            rlb_sb_printf(err, "\"%s\" needs admin rights (root or radlb's user)", c->name);
            return -1;
        }
        if (!c->args[0] && r.argc != words_of(c->name)) {
            rlb_sb_printf(err, "\"%s\" takes no arguments", c->name);
            return -1;
        }
        return c->fn(&r, out, err);
    }
    rlb_sb_printf(err, "unknown command \"%s\"; try \"help\"", r.argv[0]);
    return -1;
}
