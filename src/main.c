/*
 * main.c: radlb, the daemon. Loads and checks the configuration, opens the
 * sockets and runs the event loop in the foreground (a service manager
 * supervises it).
 */
#include "config.h"

#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libconfig.h>
#include <microhttpd.h>
#include <openssl/opensslv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ctx.h"
#include "daemon.h"
#include "dict.h"
#include "metrics.h"
#include "netio.h"
#include "notify.h"
#include "reload.h"
#include "strbuf.h"

#ifndef RLB_DEFAULT_CONF
#define RLB_DEFAULT_CONF "/etc/radlb/radlb.conf"
#endif

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: radlb [-C] [-f FILE] [-d] [-M] [-v] [-h]\n"
            "  -f, --config=FILE  configuration file (default " RLB_DEFAULT_CONF ")\n"
            "  -C, --check        check the configuration and exit: 0 when valid, 1 with\n"
            "                     file:line: messages otherwise\n"
            "  -d, --debug        log at debug level whatever the file says\n"
            "  -M, --metrics      print the metrics radlb exports (Markdown, doc/metrics.md)\n"
            "                     and exit\n"
            "  -v, --version      print the version and the libraries radlb was built with\n"
            "  -h, --help         this help\n"
            "radlb runs in the foreground; see radlb(8) and radlb.conf(5).\n");
}

/* "radlb 0.1.0", then the versions of the libraries' headers radlb was
 * compiled against (libmicrohttpd codes its version in hex digits). */
static void
version(void)
{
    printf("radlb %s\n", PACKAGE_VERSION);
    printf("built with libfreeradius %s, libev %d.%d, OpenSSL %s, hiredis %d.%d.%d, "
           "libconfig %d.%d.%d, jansson %s, libmicrohttpd %x.%x.%x\n",
           rlb_fr_version(), EV_VERSION_MAJOR, EV_VERSION_MINOR, OPENSSL_VERSION_STR,
           HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH, LIBCONFIG_VER_MAJOR,
           LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION, JANSSON_VERSION,
           (unsigned)(MHD_VERSION >> 24) & 0xff, (unsigned)(MHD_VERSION >> 16) & 0xff,
           (unsigned)(MHD_VERSION >> 8) & 0xff);
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    rlb_info("%s received: stopping", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    rlb_notify_stopping();
    ev_break(loop, EVBREAK_ALL);
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct rlb_strbuf out = { 0 }, err = { 0 };

    (void)loop;
    (void)revents;
    /* A bad file keeps the running configuration (logged by rlb_reload). */
    rlb_reload(w->data, "SIGHUP", &out, &err);
    rlb_sb_free(&out);
    rlb_sb_free(&err);
}

/* Every connection and server socket is a descriptor: the soft limit goes
 * up to the hard one, and a configuration that may need more is told. */
static void
raise_fd_limit(const struct rlb_conf *c)
{
    struct rlimit rl;
    unsigned long need = (unsigned long)c->conns.max + 64;

    for (unsigned i = 0; i < c->nsrv; i++)
        need += c->srv[i]->proto == RLB_PROTO_UDP ? 2 : 4;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        rlb_warn("only %lu file descriptors (RLIMIT_NOFILE): connections.max and the servers "
                 "may need %lu; raise LimitNOFILE= or lower connections.max",
                 (unsigned long)rl.rlim_cur, need);
}

static void
log_summary(const struct rlb_ctx *ctx)
{
    const struct rlb_global_stats *g = &ctx->stats;
    unsigned long long drops = 0;

    for (int i = 1; i < RLB_DROP_MAX; i++)
        drops += g->drops[i];
    rlb_info("served %llu requests, %llu replies, %llu timeouts, %llu datagrams dropped",
             (unsigned long long)g->requests, (unsigned long long)g->replies,
             (unsigned long long)g->timeouts, drops);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "check", no_argument, NULL, 'C' },
        { "config", required_argument, NULL, 'f' },
        { "debug", no_argument, NULL, 'd' },
        { "metrics", no_argument, NULL, 'M' },
        { "version", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *file = RLB_DEFAULT_CONF;
    bool check_only = false, debug = false;
    struct rlb_conf_msgs msgs;
    struct rlb_ctx ctx;
    ev_signal sig_int, sig_term, sig_hup;
    char err[512];
    int opt, rc = 0;

    while ((opt = getopt_long(argc, argv, "Cf:dMvh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'M': {
            struct rlb_strbuf doc = { 0 };

            rlb_metrics_doc(&doc);
            fputs(doc.p ? doc.p : "", stdout);
            rlb_sb_free(&doc);
            return 0;
        }
        case 'C': check_only = true; break;
        case 'f': file = optarg; break;
        case 'd': debug = true; break;
        case 'v': version(); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.debug = debug;
    ctx.fd_reserve = rlb_fd_reserve();
    ctx.conf = ctx.first_conf = rlb_conf_load(file, &msgs);
    if (msgs.text)
        fputs(msgs.text, stderr);
    rlb_conf_msgs_free(&msgs);
    if (!ctx.conf) {
        fprintf(stderr, "radlb: %s has errors; nothing started\n", file);
        return 1;
    }
    if (check_only) {
        const struct rlb_conf *c = ctx.conf;

        printf("radlb: %s is valid\n", file);
        for (unsigned i = 0; i < c->npool; i++) {
            const struct rlb_conf_pool *p = c->pool[i];

            printf("radlb: pool %s%s: %u servers, master %s\n", p->name,
                   p->top ? " (the top-level servers)" : "", p->nservers,
                   p->master >= 0 ? p->servers[p->master].name : "none");
        }
        if (c->nroutes)
            printf("radlb: %u routing rules\n", c->nroutes);
        else if (c->npool > 1)
            printf("radlb: no routing rules: every request goes to pool %s\n", c->pool[0]->name);
        rlb_conf_free(ctx.conf);
        return 0;
    }

    rlb_conf_apply_log(ctx.conf, debug);

    if (rlb_dict_load(ctx.conf->dictionary, err, sizeof(err)) < 0) {
        rlb_err("%s", err);
        rlb_conf_free(ctx.conf);
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(ctx.conf);
    ctx.loop = ev_default_loop(EVFLAG_AUTO);
    if (rlb_daemon_start(&ctx) < 0) {
        rlb_err("radlb could not start; see the lines above");
        rc = 1;
        goto out;
    }
    ev_signal_init(&sig_int, on_stop, SIGINT);
    ev_signal_init(&sig_term, on_stop, SIGTERM);
    ev_signal_init(&sig_hup, on_hup, SIGHUP);
    sig_hup.data = &ctx;
    ev_signal_start(ctx.loop, &sig_int);
    ev_signal_start(ctx.loop, &sig_term);
    ev_signal_start(ctx.loop, &sig_hup);

    rlb_info("radlb %s started: %u clients, %u servers, balance %s, response_timeout %g s, "
             "dedup_window %g s", PACKAGE_VERSION, ctx.clients.n, ctx.servers.n,
             rlb_balance_name(ctx.conf->proxy.balance), ctx.conf->proxy.response_timeout,
             ctx.conf->proxy.dedup_window);
    /* systemd (Type=notify): listeners bound, spool open, root given up */
    rlb_notify_watchdog_start(ctx.loop);
    rlb_notify_ready("serving %u clients with %u servers", ctx.clients.n, ctx.servers.n);
    ev_run(ctx.loop, 0);
    rlb_notify_watchdog_stop(ctx.loop);
    log_summary(&ctx);

out:
    rlb_daemon_stop(&ctx);
    rlb_reload_free(&ctx);
    rlb_conf_free(ctx.conf);
    if (ctx.fd_reserve >= 0)
        close(ctx.fd_reserve);
    ev_loop_destroy(ctx.loop);
    return rc;
}
