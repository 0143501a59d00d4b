/*
 * master.c: the master, its epoch, the state file, promotion and the
 * on_promote command (see master.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "health.h"
#include "strbuf.h"
#include "master.h"
#include "rstore.h"

#define NO_MASTER_LOG_EVERY 60.0   /* seconds between "no master" lines */
#define CAS_WAIT            2.0    /* seconds a promotion waits for Redis */

/* ------------------------------------------------------------------ */
/* State file                                                         */

static int
fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd, rc = -1;

    if (!copy)
        return -1;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(copy);
    return rc;
}

/* "pool vpn: " when radlb has several pools, "" otherwise. */
static const char *
tag(const struct rlb_pool *p, char *buf, size_t len)
{
    if (p->ctx->npools <= 1 && p->is_default)
        return "";
    snprintf(buf, len, "pool %s: ", p->name);
    return buf;
}

/* Every pool's master, with p's given as (s, epoch): written, fsynced,
 * renamed, the directory fsynced: the file is either the old one or the
 * new one, whatever happens. The default pool's lines are "epoch" and
 * "master" (the format before pools); each other pool is one line
 * "pool NAME EPOCH MASTER". */
static int
save_state(struct rlb_ctx *ctx, const struct rlb_pool *p, const struct rlb_server *s,
           uint64_t epoch, char *err, size_t errlen)
{
    const char *path = ctx->conf->state_file;
    char tmp[4200], *dircopy;
    struct rlb_strbuf text = { 0 };
    int fd;
    ssize_t n;

    dircopy = strdup(path);
    if (dircopy) {
        (void)mkdir(dirname(dircopy), 0755);
        free(dircopy);
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    rlb_sb_printf(&text, "# radlb: the masters, kept across restarts (written on every "
                  "promotion)\n");
    for (unsigned i = 0; i < ctx->npools; i++) {
        const struct rlb_pool *q = ctx->pools[i];
        const struct rlb_server *m = q == p ? s : q->master.server;
        uint64_t e = q == p ? epoch : q->master.epoch;

        if (!m)
            continue;
        if (q->is_default)
            rlb_sb_printf(&text, "epoch %llu\nmaster %s\n", (unsigned long long)e, m->name);
        else
            rlb_sb_printf(&text, "pool %s %llu %s\n", q->name, (unsigned long long)e, m->name);
    }
    if (!text.p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    n = fd >= 0 ? write(fd, text.p, text.len) : -1;
    if (fd < 0 || n != (ssize_t)text.len || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        rlb_sb_free(&text);
        return -1;
    }
    rlb_sb_free(&text);
    close(fd);
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    fsync_dir_of(path);
    return 0;
}

/* The master the state file names for a pool: taken when it is one of
 * the pool's servers. */
static void
adopt_saved(struct rlb_ctx *ctx, struct rlb_pool *p, const char *name, uint64_t epoch)
{
    const char *path = ctx->conf->state_file;
    struct rlb_server *s = rlb_servers_find(&ctx->servers, name);
    struct rlb_master *m = &p->master;
    char t[96];

    m->epoch = epoch;
    if (!s || s->pool != p) {
        rlb_warn("%s%s names master \"%s\", which is not a configured server of the pool; the "
                 "master comes from the configuration (%s)", tag(p, t, sizeof(t)), path, name,
                 m->server ? m->server->name : "none");
        return;
    }
    if (s != m->server) {
        rlb_info("%s%s: %s is the master (epoch %llu, promoted before the last start)",
                 tag(p, t, sizeof(t)), path, s->name, (unsigned long long)epoch);
        if (m->server)
            m->server->role = RLB_ROLE_SUBORDINATE;
        s->role = RLB_ROLE_MASTER;
        m->server = s;
    }
}

static struct rlb_pool *
pool_named(struct rlb_ctx *ctx, const char *name)
{
    for (unsigned i = 0; i < ctx->npools; i++) {
        if (strcmp(ctx->pools[i]->name, name) == 0)
            return ctx->pools[i];
    }
    return NULL;
}

static void
load_state(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    const char *path = ctx->conf->state_file;
    char line[256], name[128] = "", pname[128];
    unsigned long long epoch = 0, e;
    FILE *fp;

    if (!path[0] || !(fp = fopen(path, "r"))) {
        if (path[0] && errno != ENOENT)
            rlb_warn("cannot read %s: %s; the master comes from the configuration", path,
                     strerror(errno));
        return;
    }
    while (fgets(line, sizeof(line), fp)) {
        char mname[128];

        if (sscanf(line, "epoch %llu", &epoch) == 1)
            continue;
        if (sscanf(line, "pool %127s %llu %127s", pname, &e, mname) == 3) {
            if (!p->is_default && strcmp(pname, p->name) == 0)
                adopt_saved(ctx, p, mname, e);
            else if (!pool_named(ctx, pname))
                rlb_warn("%s names the master of pool \"%s\", which is not configured: "
                         "ignored", path, pname);
            continue;
        }
        sscanf(line, "master %127s", name);
    }
    fclose(fp);
    if (p->is_default && name[0])
        adopt_saved(ctx, p, name, epoch);
}

/* ------------------------------------------------------------------ */
/* on_promote                                                         */

static void
hook_exited(struct ev_loop *loop, ev_child *w, int revents)
{
    struct rlb_pool *p = w->data;
    int st = w->rstatus;

    (void)revents;
    ev_child_stop(loop, w);
    ev_timer_stop(loop, &p->master.hook_timer);
    p->master.hook_pid = 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        rlb_info("on_promote finished");
    else if (WIFEXITED(st))
        rlb_warn("on_promote exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        rlb_warn("on_promote was killed by signal %d", WTERMSIG(st));
}

static void
hook_timed_out(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_pool *p = w->data;

    (void)loop;
    (void)revents;
    if (p->master.hook_pid > 0) {
        rlb_warn("on_promote still runs after %g s: killing it",
                 p->ctx->conf->on_promote_timeout);
        kill(-p->master.hook_pid, SIGKILL);
    }
}

static void
run_hook(struct rlb_ctx *ctx, struct rlb_pool *p, const char *old, const char *new,
         uint64_t epoch)
{
    struct rlb_master *m = &p->master;
    const char *cmd = ctx->conf->on_promote;
    char e[32];
    pid_t pid;

    if (!cmd[0])
        return;
    if (m->hook_pid > 0) {
        rlb_warn("on_promote from the previous promotion still runs: not started again");
        return;
    }
    snprintf(e, sizeof(e), "%llu", (unsigned long long)epoch);
    pid = fork();
    if (pid < 0) {
        rlb_err("cannot start on_promote: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        sigset_t none;

        setsid();
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setenv("RADLB_OLD_MASTER", old, 1);
        setenv("RADLB_NEW_MASTER", new, 1);
        setenv("RADLB_EPOCH", e, 1);
        setenv("RADLB_POOL", p->name, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    m->hook_pid = pid;
    ev_child_init(&m->hook_child, hook_exited, pid, 0);
    m->hook_child.data = p;
    ev_child_start(ctx->loop, &m->hook_child);
    ev_timer_init(&m->hook_timer, hook_timed_out, ctx->conf->on_promote_timeout, 0);
    m->hook_timer.data = p;
    ev_timer_start(ctx->loop, &m->hook_timer);
    rlb_info("on_promote started (pid %d)", (int)pid);
}

/* ------------------------------------------------------------------ */
/* Promotion                                                          */

int
rlb_master_apply(struct rlb_ctx *ctx, struct rlb_server *s, uint64_t epoch, const char *who,
                 bool run, char *err, size_t errlen)
{
    struct rlb_pool *p = s->pool;
    struct rlb_master *m = &p->master;
    struct rlb_server *old = m->server;
    char t[96];

    if (ctx->conf->state_file[0] && save_state(ctx, p, s, epoch, err, errlen) < 0)
        return -1;
    if (old && old != s)
        old->role = RLB_ROLE_SUBORDINATE;
    s->role = RLB_ROLE_MASTER;
    m->server = s;
    m->epoch = epoch;
    m->promotions++;
    rlb_warn("%spromotion: %s is the master (epoch %llu; was %s), by %s%s", tag(p, t, sizeof(t)),
             s->name,
             (unsigned long long)epoch, old ? old->name : "none", who,
             ctx->conf->state_file[0] ? "" : " (no state_file: a restart forgets it)");
    ctx->up.writes_resume(ctx, p);
    if (run)
        run_hook(ctx, p, old ? old->name : "", s->name, epoch);
    return 0;
}

int
rlb_master_promote(struct rlb_ctx *ctx, struct rlb_server *s, bool force, const char *who,
                   uint64_t conn, struct rlb_strbuf *out, struct rlb_strbuf *err)
{
    struct rlb_pool *p = s->pool;
    struct rlb_master *m = &p->master;
    char why[300];

    if (m->pending) {
        rlb_sb_printf(err, "a promotion is already waiting for Redis");
        return -1;
    }
    if (s == m->server) {
        rlb_sb_printf(err, "%s is already the master (epoch %llu)", s->name,
                      (unsigned long long)m->epoch);
        return -1;
    }
    if (!force && s->health == RLB_HEALTH_DOWN) {
        rlb_sb_printf(err, "%s is down (%s): promote it only when it answers, or add \"force\"",
                      s->name, s->health_reason);
        return -1;
    }
    if (!force && s->admin == RLB_ADMIN_MAINTENANCE) {
        rlb_sb_printf(err, "%s is in maintenance: enable it first, or add \"force\"", s->name);
        return -1;
    }
    if (ctx->rstore && !rlb_rstore_ready(ctx->rstore)) {
        if (!force) {
            rlb_sb_printf(err, "Redis is unavailable (%s): the other radlb instances would not "
                          "learn of the promotion; add \"force\" to promote on this instance only",
                          rlb_rstore_last_error(ctx->rstore));
            return -1;
        }
    } else if (ctx->rstore) {
        /* The compare-and-set decides; the command answers when it is done. */
        if (!rlb_rstore_master_cas(ctx->rstore, p, (int64_t)m->epoch, m->epoch + 1, s->name)) {
            rlb_sb_printf(err, "cannot ask Redis (%s)", rlb_rstore_last_error(ctx->rstore));
            return -1;
        }
        m->pending = true;
        m->pending_conn = conn;
        m->pending_server = s;
        m->pending_epoch = m->epoch + 1;
        snprintf(m->pending_who, sizeof(m->pending_who), "%s", who);
        ev_timer_set(&m->pending_timer, CAS_WAIT, 0);
        ev_timer_start(ctx->loop, &m->pending_timer);
        return 1;
    }
    if (rlb_master_apply(ctx, s, m->epoch + 1, who, true, why, sizeof(why)) < 0) {
        rlb_sb_printf(err, "%s; nothing changed", why);
        return -1;
    }
    rlb_sb_printf(out, "%s is the master (epoch %llu)\n", s->name, (unsigned long long)m->epoch);
    return 0;
}

static void
finish_pending(struct rlb_ctx *ctx, struct rlb_pool *p, int rc, const char *out, const char *err)
{
    struct rlb_master *m = &p->master;

    m->pending = false;
    m->pending_server = NULL;
    ev_timer_stop(ctx->loop, &m->pending_timer);
    if (ctx->up.command_done)
        ctx->up.command_done(ctx, m->pending_conn, rc, out, err);
}

void
rlb_master_cas_done(struct rlb_ctx *ctx, struct rlb_pool *p, bool ok, bool answered,
                    const char *name, uint64_t epoch)
{
    struct rlb_master *m = &p->master;
    char why[300], text[400];

    if (!m->pending) {
        /* This instance's master was being published: Redis has another. */
        if (!ok && answered)
            rlb_master_seen(ctx, p, name, epoch);
        return;
    }
    if (!answered) {
        finish_pending(ctx, p, -1, NULL, "the connection to Redis was lost: the promotion was not "
                                      "made (try again, or add \"force\" for this instance only)");
        return;
    }
    if (ok) {
        struct rlb_server *s = m->pending_server;

        if (rlb_master_apply(ctx, s, m->pending_epoch, m->pending_who, true, why,
                             sizeof(why)) < 0) {
            snprintf(text, sizeof(text), "Redis has the promotion but %s: restart this instance "
                     "to follow it", why);
            finish_pending(ctx, p, -1, NULL, text);
            return;
        }
        snprintf(text, sizeof(text), "%s is the master (epoch %llu), on every instance\n", s->name,
                 (unsigned long long)m->epoch);
        finish_pending(ctx, p, 0, text, NULL);
        return;
    }
    if (name && name[0])
        snprintf(text, sizeof(text), "another instance promoted %s (epoch %llu) meanwhile: this "
                 "promotion was not made", name, (unsigned long long)epoch);
    else
        snprintf(text, sizeof(text), "Redis had no master recorded yet (this instance records "
                 "its own now): the promotion was not made; try again in a second");
    finish_pending(ctx, p, -1, NULL, text);
    rlb_master_seen(ctx, p, name && name[0] ? name : NULL, epoch);
}

static void
pending_timed_out(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_pool *p = w->data;

    (void)loop;
    (void)revents;
    finish_pending(p->ctx, p, -1, NULL,
                   "Redis did not answer within 2 s: the promotion may still be "
                   "made there, and then reaches this instance within a second "
                   "(radlbctl show servers tells)");
}

void
rlb_master_seen(struct rlb_ctx *ctx, struct rlb_pool *p, const char *name, uint64_t epoch)
{
    struct rlb_master *m = &p->master;
    struct rlb_server *s;
    char why[300];

    if (!name || !name[0]) {
        /* Redis knows no master yet: tell it ours. */
        if (m->server)
            rlb_rstore_master_cas(ctx->rstore, p, -1, m->epoch, m->server->name);
        return;
    }
    if (epoch < m->epoch && m->server) {
        /* Redis is behind (emptied?): bring it up to date. */
        rlb_rstore_master_cas(ctx->rstore, p, (int64_t)epoch, m->epoch, m->server->name);
        return;
    }
    if (epoch == m->epoch && m->server && strcmp(name, m->server->name) == 0)
        return;
    if (epoch == m->epoch && m->server)
        rlb_warn("Redis names %s as the master at epoch %llu, this instance %s: following Redis",
                 name, (unsigned long long)epoch, m->server->name);
    s = rlb_servers_find(&ctx->servers, name);
    if (!s || s->pool != p) {
        rlb_err("Redis names %s as the master of pool %s (epoch %llu), which this instance does "
                "not have there: keeping %s", name, p->name, (unsigned long long)epoch,
                m->server ? m->server->name : "none");
        return;
    }
    if (rlb_master_apply(ctx, s, epoch, "another instance (Redis)", false, why, sizeof(why)) < 0)
        rlb_err("following the promotion of %s failed: %s", name, why);
}

/* ------------------------------------------------------------------ */
/* Availability                                                       */

bool
rlb_master_takes_writes(const struct rlb_pool *p)
{
    const struct rlb_server *s = p->master.server;

    return s && s->health == RLB_HEALTH_UP && s->admin != RLB_ADMIN_MAINTENANCE;
}

double
rlb_master_seconds_without(const struct rlb_pool *p)
{
    return p->master.available ? 0 : ev_now(p->ctx->loop) - p->master.down_since;
}

static void
tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_pool *p = w->data;
    struct rlb_ctx *ctx = p->ctx;
    struct rlb_master *m = &p->master;
    bool now_ok = rlb_master_takes_writes(p);
    double now = ev_now(loop);
    char t[96];

    (void)revents;
    if (now_ok && !m->available) {
        rlb_warn("%smaster %s takes writes again after %.0f s without a master",
                 tag(p, t, sizeof(t)), m->server->name, now - m->down_since);
        m->available = true;
        ctx->up.writes_resume(ctx, p);
    } else if (!now_ok && (m->available || now - m->last_log >= NO_MASTER_LOG_EVERY)) {
        if (m->available)
            m->down_since = now;
        m->available = false;
        m->last_log = now;
        rlb_warn("%sno master takes writes for %.0f s: %s%s%s; authentication writes are "
                 "rejected, accounting is %s (radlbctl promote %s%sNAME to promote a subordinate)",
                 tag(p, t, sizeof(t)), now - m->down_since,
                 m->server ? m->server->name : "no server",
                 m->server ? " is " : "", m->server ? rlb_server_state_name(m->server) : "",
                 ctx->conf->spool.directory[0] ? "spooled" : "not answered (no spool)",
                 p->is_default ? "" : p->name, p->is_default ? "" : "/");
    }
}

int
rlb_master_start(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    struct rlb_master *m = &p->master;
    char t[96];

    m->server = NULL;
    for (unsigned i = 0; i < p->n; i++) {
        if (p->v[i]->role == RLB_ROLE_MASTER)
            m->server = p->v[i];
    }
    load_state(ctx, p);
    m->available = rlb_master_takes_writes(p);
    m->down_since = ev_now(ctx->loop);
    ev_timer_init(&m->tick, tick, 1.0, 1.0);
    m->tick.data = p;
    ev_timer_start(ctx->loop, &m->tick);
    ev_timer_init(&m->pending_timer, pending_timed_out, CAS_WAIT, 0);
    m->pending_timer.data = p;
    rlb_info("%smaster: %s (epoch %llu)", tag(p, t, sizeof(t)),
             m->server ? m->server->name : "none",
             (unsigned long long)m->epoch);
    return 0;
}

void
rlb_master_stop(struct rlb_ctx *ctx, struct rlb_pool *p)
{
    struct rlb_master *m = &p->master;

    ev_timer_stop(ctx->loop, &m->tick);
    ev_timer_stop(ctx->loop, &m->pending_timer);
    if (m->hook_pid > 0) {
        ev_child_stop(ctx->loop, &m->hook_child);
        ev_timer_stop(ctx->loop, &m->hook_timer);
    }
}
