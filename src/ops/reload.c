/*
 * reload.c: a new configuration swapped into a running radlb (reload.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acctspool.h"
#include "ctx.h"
#include "dict.h"
#include "flow.h"
#include "health.h"
#include "mfaprobe.h"
#include "notify.h"
#include "pool.h"
#include "reload.h"
#include "strbuf.h"
#include "tls.h"

static bool
in_list(struct rlb_server *const *v, unsigned n, const struct rlb_server *s)
{
    for (unsigned i = 0; i < n; i++) {
        if (v[i] == s)
            return true;
    }
    return false;
}

/* The TLS contexts the new configuration needs, built before anything
 * changes (the certificates may have been renewed: new connections use
 * them, open ones keep theirs). */
static int
new_tls(const struct rlb_conf *c, SSL_CTX **front, SSL_CTX **back, struct rlb_strbuf *err)
{
    bool fl = false, bk = false;
    char e[512];

    for (unsigned i = 0; i < c->nlisten; i++)
        fl |= c->listen[i].proto == RLB_PROTO_TLS;
    for (unsigned i = 0; i < c->nsrv; i++)
        bk |= c->srv[i]->proto == RLB_PROTO_TLS;
    *front = *back = NULL;
    if (fl && !(*front = rlb_tls_ctx_new(&c->tls, true, e, sizeof(e)))) {
        rlb_sb_printf(err, "%s", e);
        return -1;
    }
    if (bk && !(*back = rlb_tls_ctx_new(&c->tls, false, e, sizeof(e)))) {
        rlb_sb_printf(err, "%s", e);
        if (*front)
            SSL_CTX_free(*front);
        return -1;
    }
    return 0;
}


/* The values the running objects copied out of the configuration. */
static void
apply_values(struct rlb_ctx *ctx, const struct rlb_conf *c)
{
    ctx->pending.wait = c->proxy.response_timeout;
    ctx->done.wait = c->proxy.dedup_window;
    ctx->sticky.ttl = c->sticky.ttl;
    ctx->sticky.max = (unsigned long)c->sticky.max_entries;
    ctx->affinity.ttl = c->sticky.affinity_ttl;
    ctx->affinity.max = (unsigned long)c->sticky.max_entries;
    ctx->front.streams.handshake_timeout = c->conns.handshake_timeout;
    rlb_dict_set_max_attributes((unsigned)c->proxy.max_attributes);
    rlb_conf_apply_log(c, ctx->debug);
}

#define SWEEP_INTERVAL 5.0

/* Removed servers are probed until nothing of theirs is left. */
static void
sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    bool left = false;

    (void)revents;
    for (unsigned i = 0; i < ctx->servers.ngone; i++) {
        struct rlb_server *s = ctx->servers.gone[i];

        if (!s->probe)
            continue;
        if (s->outstanding || s->sessions) {
            left = true;
            continue;
        }
        rlb_health_server_removed(ctx, s);
        rlb_mfaprobe_server_removed(ctx, s);
        rlb_info("server %s: removed, and nothing of it is left (no more probes)", s->name);
    }
    if (!left)
        ev_timer_stop(loop, w);
}

/* Servers that came or went: probes, admin state, the master. */
static void
apply_servers(struct rlb_ctx *ctx, struct rlb_server **before, unsigned nbefore,
              unsigned *added, unsigned *removed)
{
    struct rlb_servers *ss = &ctx->servers;

    *added = *removed = 0;
    for (unsigned i = 0; i < nbefore; i++) {
        struct rlb_server *s = before[i];

        if (in_list(ss->v, ss->n, s))
            continue;
        (*removed)++;
        /* As if drained: nothing new, but its open challenges are still
         * answered there (and it is still probed) until they are over. */
        s->admin = RLB_ADMIN_DRAINING;
        s->removed = true;
        snprintf(s->admin_reason, sizeof(s->admin_reason), "removed from the configuration");
        rlb_warn("server %s removed from the configuration: it gets nothing new; %u requests in "
                 "flight and the answers to its %lu open challenges still go there",
                 s->name, s->outstanding, s->sessions);
        if (!ev_is_active(&ctx->reload_sweep)) {
            ev_timer_init(&ctx->reload_sweep, sweep, SWEEP_INTERVAL, SWEEP_INTERVAL);
            ctx->reload_sweep.data = ctx;
            ev_timer_start(ctx->loop, &ctx->reload_sweep);
        }
    }
    for (unsigned i = 0; i < ss->n; i++) {
        struct rlb_server *s = ss->v[i];

        if (in_list(before, nbefore, s))
            continue;
        (*added)++;
        if (s->removed) {
            s->removed = false;
            s->admin = RLB_ADMIN_ENABLED;
            snprintf(s->admin_reason, sizeof(s->admin_reason), "back in the configuration");
        }
        if (!s->probe)
            rlb_health_server_added(ctx, s);
        rlb_mfaprobe_server_added(ctx, s);
        rlb_info("server %s added to the configuration", s->name);
    }
}

static int reload(struct rlb_ctx *ctx, const char *who, struct rlb_strbuf *out,
                  struct rlb_strbuf *err);

/* systemd hears RELOADING=1, then READY=1 whether the file was taken or
 * refused (radlb goes on serving either way). */
int
rlb_reload(struct rlb_ctx *ctx, const char *who, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    int rc;

    rlb_notify_reloading();
    rc = reload(ctx, who, out, err);
    rlb_notify_ready("serving %u clients with %u servers (%s)", ctx->clients.n, ctx->servers.n,
                     rc == 0 ? "reloaded" : "reload refused: the previous configuration runs");
    return rc;
}

static int
reload(struct rlb_ctx *ctx, const char *who, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *nc, *old = ctx->conf;
    struct rlb_pools_next next;
    struct rlb_server **before = NULL;
    SSL_CTX *fssl, *bssl;
    unsigned nbefore = ctx->servers.n, ca, cr, sa, sr;
    bool roles = true;
    char key[256], e[512];

    for (unsigned i = 0; i < ctx->npools; i++)
        roles = roles && ctx->pools[i]->master.epoch == 0;
    rlb_info("reload (%s): reading %s", who, old->file);
    nc = rlb_conf_load(old->file, &msgs);
    if (!nc) {
        rlb_sb_printf(err, "%s has errors; the running configuration is unchanged:\n%s", old->file,
                      msgs.text ? msgs.text : "");
        rlb_conf_msgs_free(&msgs);
        goto refused;
    }
    if (msgs.text)
        rlb_sb_printf(out, "%s", msgs.text);
    rlb_conf_msgs_free(&msgs);
    if (!rlb_conf_reloadable(old, nc, key, sizeof(key))) {
        rlb_sb_printf(err, "%s changed, which needs a restart; the running configuration is "
                      "unchanged (restart radlb, or put %s back)", key, key);
        goto free_nc;
    }
    if (rlb_pools_prepare(ctx, nc, &next, e, sizeof(e)) < 0) {
        rlb_sb_printf(err, "%s; the running configuration is unchanged", e);
        goto free_nc;
    }
    if (new_tls(nc, &fssl, &bssl, err) < 0)
        goto free_writes;
    before = malloc((nbefore ? nbefore : 1) * sizeof(*before));
    if (!before) {
        rlb_sb_printf(err, "out of memory; the running configuration is unchanged");
        goto free_tls;
    }
    memcpy(before, ctx->servers.v, nbefore * sizeof(*before));
    if (rlb_servers_reload(&ctx->servers, nc, roles, e, sizeof(e)) < 0) {
        rlb_sb_printf(err, "%s; the running configuration is unchanged", e);
        goto free_tls;
    }
    /* Committed from here on. */
    if (rlb_clients_reload(&ctx->clients, nc, &ca, &cr) < 0)
        rlb_err("reload: out of memory: the clients were not changed");
    ctx->conf = nc;
    apply_values(ctx, nc);
    apply_servers(ctx, before, nbefore, &sa, &sr);
    rlb_pools_commit(ctx, nc, &next, roles);
    rlb_px_limits_apply(ctx, nc);
    if (fssl || ctx->front.ssl) {
        if (ctx->front.ssl)
            SSL_CTX_free(ctx->front.ssl);
        ctx->front.ssl = fssl;
    }
    if (ctx->backend.ssl)
        SSL_CTX_free(ctx->backend.ssl);
    ctx->backend.ssl = bssl;
    rlb_front_reloaded(ctx);
    free(before);
    /* What was set up at start (the Redis link, the control socket...)
     * may point into the first configuration: it stays. A later one is
     * referenced by nothing once the swap is over (the writes rules that
     * pointed into it were replaced above). */
    if (old != ctx->first_conf)
        rlb_conf_free(old);
    rlb_sb_printf(out, "reloaded %s: %u clients (%u added, %u removed), %u servers (%u added, "
                  "%u removed), %u pools, %u routes\n", nc->file, ctx->clients.n, ca, cr,
                  ctx->servers.n, sa, sr, ctx->npools, ctx->routes.n);
    rlb_info("reload (%s): %u clients (%u added, %u removed), %u servers (%u added, %u removed), "
             "%u pools, %u routes", who, ctx->clients.n, ca, cr, ctx->servers.n, sa, sr,
             ctx->npools, ctx->routes.n);
    ctx->reloads++;
    return 0;

free_tls:
    if (fssl)
        SSL_CTX_free(fssl);
    if (bssl)
        SSL_CTX_free(bssl);
free_writes:
    rlb_pools_next_free(&next);
free_nc:
    rlb_conf_free(nc);
refused:
    free(before);
    ctx->reload_failures++;
    rlb_err("reload (%s) refused: %s", who, err->p ? err->p : "?");
    return -1;
}

void
rlb_reload_free(struct rlb_ctx *ctx)
{
    ev_timer_stop(ctx->loop, &ctx->reload_sweep);
    if (ctx->first_conf && ctx->first_conf != ctx->conf)
        rlb_conf_free(ctx->first_conf);
    ctx->first_conf = NULL;
}
