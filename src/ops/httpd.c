/*
 * httpd.c: the stats port (see httpd.h).
 */
#include "config.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "httpd.h"
#include "metrics.h"
#include "report.h"
#include "www.h"

#define HTTP_MAX_CONNS     64
#define HTTP_PER_IP        16
#define HTTP_IDLE_SECONDS  10

struct rlb_httpd {
    ev_io               io;        /* libmicrohttpd's epoll descriptor */
    ev_timer            timer;     /* its next timeout */
    struct MHD_Daemon  *d;
    struct rlb_ctx     *ctx;
    struct rlb_ratelimit rl_refused;
};

/* ------------------------------------------------------------------ */
/* Answers                                                            */

static void
security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *type, const char *cache,
       const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    security_headers(r);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A text body built in a strbuf: handed to libmicrohttpd, which frees it. */
static enum MHD_Result
answer_sb(struct MHD_Connection *c, unsigned status, const char *type, struct rlb_strbuf *sb)
{
    enum MHD_Result ret;

    if (!sb->p)
        rlb_sb_printf(sb, "%s", "");
    ret = answer(c, status, type, "no-store", sb->p, sb->len, MHD_RESPMEM_MUST_FREE);
    if (ret == MHD_NO)
        rlb_sb_free(sb);
    return ret;
}

static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return answer(c, status, "text/plain; charset=utf-8", "no-store", text, strlen(text),
                  MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result
get_metrics(struct rlb_ctx *ctx, struct MHD_Connection *c)
{
    struct rlb_strbuf sb = { 0 };

    rlb_metrics_prometheus(ctx, &sb);
    return answer_sb(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &sb);
}

static enum MHD_Result
get_stats(struct rlb_ctx *ctx, struct MHD_Connection *c)
{
    json_t *j = rlb_report_stats(ctx);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    enum MHD_Result ret;

    json_decref(j);
    if (!text)
        return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    ret = answer(c, MHD_HTTP_OK, "application/json", "no-store", text, strlen(text),
                 MHD_RESPMEM_MUST_FREE);
    if (ret == MHD_NO)
        free(text);
    return ret;
}

/* 200 while radlb serves and at least one server is up (not in
 * maintenance): a VIP manager moves the address away otherwise. */
static enum MHD_Result
get_healthz(struct rlb_ctx *ctx, struct MHD_Connection *c)
{
    struct rlb_strbuf sb = { 0 };
    unsigned up = 0;

    for (unsigned i = 0; i < ctx->servers.n; i++)
        up += rlb_server_takes_pinned(ctx->servers.v[i]);
    if (up)
        rlb_sb_printf(&sb, "ok: %u of %u servers up\n", up, ctx->servers.n);
    else
        rlb_sb_printf(&sb, "unavailable: none of %u servers is up\n", ctx->servers.n);
    return answer_sb(c, up ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                     "text/plain; charset=utf-8", &sb);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct rlb_httpd *h = cls;
    struct rlb_ctx *ctx = h->ctx;

    (void)version;
    (void)upload_data;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        struct MHD_Response *r;
        enum MHD_Result ret;

        if (*upload_data_size) {   /* read and ignore a body before answering */
            *upload_data_size = 0;
            return MHD_YES;
        }
        r = MHD_create_response_from_buffer(strlen("only GET and HEAD\n"),
                                            (void *)"only GET and HEAD\n", MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/metrics") == 0)
        return get_metrics(ctx, c);
    if (strcmp(url, "/stats.json") == 0)
        return get_stats(ctx, c);
    if (strcmp(url, "/healthz") == 0)
        return get_healthz(ctx, c);
    for (unsigned i = 0; i < rlb_nassets; i++) {
        if (strcmp(url, rlb_assets[i].path) == 0 ||
            (strcmp(url, "/index.html") == 0 && strcmp(rlb_assets[i].path, "/") == 0))
            return answer(c, MHD_HTTP_OK, rlb_assets[i].type, "no-cache", rlb_assets[i].data,
                          rlb_assets[i].len, MHD_RESPMEM_PERSISTENT);
    }
    return answer_text(c, MHD_HTTP_NOT_FOUND,
                       "not found: radlb serves /, /metrics, /stats.json and /healthz\n");
}

/* ------------------------------------------------------------------ */
/* Who may connect                                                    */

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct rlb_httpd *h = cls;
    const struct rlb_conf_stats *st = &h->ctx->conf->stats;
    union rlb_sockaddr peer;
    char where[RLB_ADDRSTRLEN], note[64];
    unsigned held;

    memset(&peer, 0, sizeof(peer));
    memcpy(&peer, addr, addrlen < sizeof(peer) ? addrlen : sizeof(peer));
    if (st->nallow == 0)
        return MHD_YES;            /* bound to loopback (checked): local peers only */
    for (unsigned i = 0; i < st->nallow; i++) {
        if (rlb_network_match(&st->nets[i], &peer))
            return MHD_YES;
    }
    if (rlb_ratelimit_ok(&h->rl_refused, ev_now(h->ctx->loop), &held))
        rlb_warn("stats port: refused a connection from %s, which is not in stats.allow%s",
                 rlb_sockaddr_str(&peer, where, sizeof(where)),
                 rlb_held_note(held, note, sizeof(note)));
    return MHD_NO;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    rlb_debug("stats port: %s", line);
}

/* ------------------------------------------------------------------ */
/* The loop                                                           */

static void
rearm(struct rlb_httpd *h)
{
    MHD_UNSIGNED_LONG_LONG ms;

    ev_timer_stop(h->ctx->loop, &h->timer);
    if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
        ev_timer_set(&h->timer, (double)ms / 1000.0, 0);
        ev_timer_start(h->ctx->loop, &h->timer);
    }
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_httpd *h = (struct rlb_httpd *)w;

    (void)loop;
    (void)revents;
    MHD_run(h->d);
    rearm(h);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_httpd *h = w->data;

    (void)loop;
    (void)revents;
    MHD_run(h->d);
    rearm(h);
}

/* The listening socket, opened here for a clear error. */
static int
listen_on(const struct rlb_conf_stats *st)
{
    char where[RLB_ADDRSTRLEN];
    int fd, one = 1;

    fd = socket(st->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, &st->addr.sa, rlb_sockaddr_len(&st->addr)) < 0 || listen(fd, 64) < 0) {
        rlb_err("stats port %s/tcp: %s (another process uses it? set stats.port, or 0 for no "
                "stats port)", rlb_sockaddr_str(&st->addr, where, sizeof(where)), strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int
rlb_httpd_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf_stats *st = &ctx->conf->stats;
    const union MHD_DaemonInfo *info;
    struct rlb_httpd *h;
    char where[RLB_ADDRSTRLEN];
    int fd;

    if (!st->port)
        return 0;
    if ((fd = listen_on(st)) < 0)
        return -1;
    h = calloc(1, sizeof(*h));
    if (!h) {
        close(fd);
        return -1;
    }
    h->ctx = ctx;
    h->rl_refused.interval = RLB_LOG_INTERVAL;
    h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                                (st->addr.sa.sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                            0, on_accept, h, on_request, h,
                            MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNS,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_END);
    info = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        rlb_err("stats port: libmicrohttpd did not start");
        if (h->d)
            MHD_stop_daemon(h->d);
        close(fd);
        free(h);
        return -1;
    }
    ev_io_init(&h->io, on_io, info->epoll_fd, EV_READ);
    ev_io_start(ctx->loop, &h->io);
    ev_timer_init(&h->timer, on_timer, 0, 0);
    h->timer.data = h;
    ctx->httpd = h;
    rlb_info("stats port http://%s/ (/metrics, /stats.json, /healthz)%s",
             rlb_sockaddr_str(&st->addr, where, sizeof(where)),
             st->nallow ? ", open to stats.allow" : "");
    return 0;
}

void
rlb_httpd_stop(struct rlb_ctx *ctx)
{
    struct rlb_httpd *h = ctx->httpd;

    if (!h)
        return;
    ev_io_stop(ctx->loop, &h->io);
    ev_timer_stop(ctx->loop, &h->timer);
    MHD_stop_daemon(h->d);         /* closes the listening socket too */
    free(h);
    ctx->httpd = NULL;
}
