/*
 * control.c: the control socket's listener and connections (control.h).
 * Connections are non-blocking and bounded in number, line length and
 * lifetime, so a stuck radlbctl cannot stall the RADIUS loop.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "netio.h"
#include "ctx.h"

#define CTL_MAX_CONNS   32
#define CTL_MAX_LINE    1024
#define CTL_IDLE        10.0

struct ctl_conn {
    ev_io              io;
    ev_timer           idle;
    struct rlb_control *ctl;
    struct ctl_conn    *next;
    uint64_t           id;             /* for answers that come later (promote) */
    bool               waiting;        /* the command answers later */
    uid_t              uid;
    int                level;
    char               line[CTL_MAX_LINE];
    size_t             linelen;
    struct rlb_strbuf  reply;
    size_t             sent;
};

struct rlb_control {
    ev_io              io;
    struct rlb_ctx    *ctx;
    char              *path;
    struct ctl_conn   *conns;
    unsigned           nconns;
    uint64_t           next_id;
};

static void
conn_close(struct ctl_conn *c)
{
    struct rlb_control *ctl = c->ctl;
    struct ctl_conn **p;

    ev_io_stop(ctl->ctx->loop, &c->io);
    ev_timer_stop(ctl->ctx->loop, &c->idle);
    close(c->io.fd);
    for (p = &ctl->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    ctl->nconns--;
    rlb_sb_free(&c->reply);
    free(c);
}

static void
conn_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct ctl_conn *c = (struct ctl_conn *)w;

    (void)loop;
    (void)revents;
    while (c->sent < c->reply.len) {
        ssize_t n = write(w->fd, c->reply.p + c->sent, c->reply.len - c->sent);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            break;
        c->sent += (size_t)n;
    }
    conn_close(c);
}

/* The status line and the output go out; then the connection closes. */
static void
answer(struct ctl_conn *c, int rc, const char *out, size_t outlen, const char *err)
{
    if (rc == 0)
        rlb_sb_printf(&c->reply, "ok\n");
    else
        rlb_sb_printf(&c->reply, "error: %s\n", err ? err : "failed");
    if (outlen)
        rlb_sb_append(&c->reply, out, outlen);
    c->waiting = false;
    ev_io_stop(c->ctl->ctx->loop, &c->io);
    ev_io_set(&c->io, c->io.fd, EV_WRITE);
    ev_set_cb(&c->io, conn_writable);
    ev_io_start(c->ctl->ctx->loop, &c->io);
}

static void
execute(struct ctl_conn *c)
{
    struct rlb_strbuf out = { 0 }, err = { 0 };
    int rc;

    c->line[c->linelen] = '\0';
    rc = rlb_cmd_run(c->ctl->ctx, c->line, c->uid, c->level, c->id, &out, &err);
    if (rc == 1) {
        /* Answered later through rlb_control_finish(); nothing more is read. */
        c->waiting = true;
        ev_io_stop(c->ctl->ctx->loop, &c->io);
    } else {
        answer(c, rc, out.p, out.len, err.p);
    }
    rlb_sb_free(&out);
    rlb_sb_free(&err);
}

void
rlb_control_finish(struct rlb_ctx *ctx, uint64_t conn, int rc, const char *out, const char *err)
{
    struct rlb_control *ctl = ctx->control;

    if (!ctl)
        return;
    for (struct ctl_conn *c = ctl->conns; c; c = c->next) {
        if (c->id == conn && c->waiting) {
            answer(c, rc, out, out ? strlen(out) : 0, err);
            return;
        }
    }
}

static void
conn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct ctl_conn *c = (struct ctl_conn *)w;
    ssize_t n;

    (void)loop;
    (void)revents;
    n = read(w->fd, c->line + c->linelen, sizeof(c->line) - 1 - c->linelen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->linelen += (size_t)n;
    if (memchr(c->line, '\n', c->linelen)) {
        execute(c);
    } else if (c->linelen >= sizeof(c->line) - 1) {
        rlb_sb_printf(&c->reply, "error: command line longer than %d octets\n", CTL_MAX_LINE - 1);
        c->linelen = 0;
        ev_io_stop(loop, &c->io);
        ev_io_set(&c->io, c->io.fd, EV_WRITE);
        ev_set_cb(&c->io, conn_writable);
        ev_io_start(loop, &c->io);
    }
}

static void
conn_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_close(w->data);
}

static void
ctl_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_control *ctl = (struct rlb_control *)w;
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    struct ctl_conn *c;
    int fd;

    (void)revents;
    fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            rlb_accept_shed(w->fd, &ctl->ctx->fd_reserve);
            ctl->ctx->stats.fd_exhausted++;
        }
        return;
    }
    if (ctl->nconns >= CTL_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
        close(fd);
        return;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
        free(c);
        close(fd);
        return;
    }
    c->ctl = ctl;
    c->id = ++ctl->next_id;
    c->uid = cred.uid;
    c->level = (cred.uid == 0 || cred.uid == geteuid()) ? RLB_CMD_ADMIN : RLB_CMD_READ;
    c->next = ctl->conns;
    ctl->conns = c;
    ctl->nconns++;
    ev_io_init(&c->io, conn_readable, fd, EV_READ);
    ev_io_start(loop, &c->io);
    ev_timer_init(&c->idle, conn_idle, CTL_IDLE, 0);
    c->idle.data = c;
    ev_timer_start(loop, &c->idle);
}

/* Refuses to take over the socket of a running radlb; removes a stale one. */
static int
claim_path(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        rlb_err("control socket %s: the path exists and is not a socket", path);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        rlb_err("control socket %s is in use by a running radlb: stop it, or set control.socket",
                path);
        return -1;
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    return 0;
}

int
rlb_control_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf_control *cc = &ctx->conf->control;
    struct rlb_control *ctl;
    struct sockaddr_un sa;
    char *dircopy;
    mode_t old;
    int fd;

    if (!cc->socket[0])
        return 0;
    dircopy = strdup(cc->socket);
    if (dircopy) {
        const char *dir = dirname(dircopy);

        if (mkdir(dir, 0755) == 0)
            rlb_info("created %s for the control socket", dir);
        free(dircopy);
    }
    if (claim_path(cc->socket) < 0)
        return -1;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, cc->socket, sizeof(sa.sun_path) - 1);
    /* Never world-accessible, not even between bind() and chmod(). */
    old = umask(0177);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        umask(old);
        rlb_err("control socket %s: bind: %s", cc->socket, strerror(errno));
        close(fd);
        return -1;
    }
    umask(old);
    if (chmod(cc->socket, (mode_t)cc->mode) < 0)
        rlb_warn("control socket %s: chmod %04o: %s", cc->socket, (unsigned)cc->mode,
                 strerror(errno));
    if (cc->group[0]) {
        struct group *g = getgrnam(cc->group);

        if (!g || chown(cc->socket, (uid_t)-1, g->gr_gid) < 0)
            rlb_warn("control socket %s: cannot give it to group %s: %s", cc->socket, cc->group,
                     g ? strerror(errno) : "no such group");
    }
    if (listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }

    ctl = calloc(1, sizeof(*ctl));
    if (!ctl || !(ctl->path = strdup(cc->socket))) {
        free(ctl);
        close(fd);
        return -1;
    }
    ctl->ctx = ctx;
    ev_io_init(&ctl->io, ctl_accept, fd, EV_READ);
    ev_io_start(ctx->loop, &ctl->io);
    ctx->control = ctl;
    rlb_info("control socket %s (mode %04o%s%s)", cc->socket, (unsigned)cc->mode,
             cc->group[0] ? ", group " : "", cc->group);
    return 0;
}

void
rlb_control_stop(struct rlb_ctx *ctx)
{
    struct rlb_control *ctl = ctx->control;

    if (!ctl)
        return;
    while (ctl->conns)
        conn_close(ctl->conns);
    ev_io_stop(ctx->loop, &ctl->io);
    close(ctl->io.fd);
    unlink(ctl->path);
    free(ctl->path);
    free(ctl);
    ctx->control = NULL;
}
