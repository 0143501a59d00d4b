/*
 * daemon.c: see daemon.h. The top of the dependency order: the only file
 * besides main.c that names the operations layer (control.c, httpd.c)
 * and the flow together.
 */
#include "config.h"

#include "control.h"
#include "daemon.h"
#include "httpd.h"
#include "log.h"
#include "privs.h"
#include "proxy.h"

int
rlb_daemon_start(struct rlb_ctx *ctx)
{
    char err[512];

    if (rlb_privs_check(ctx, err, sizeof(err)) < 0) {
        rlb_err("%s", err);
        return -1;
    }
    if (rlb_proxy_start(ctx) < 0)
        return -1;
    /* A promotion asked for on the control socket is answered there. */
    ctx->up.command_done = rlb_control_finish;
    if (rlb_control_start(ctx) < 0 || rlb_httpd_start(ctx) < 0)
        return -1;
    /* Everything that needs root is done: ports, spool, state, keys. */
    if (rlb_privs_drop(ctx, err, sizeof(err)) < 0) {
        rlb_err("%s", err);
        return -1;
    }
    return 0;
}

void
rlb_daemon_stop(struct rlb_ctx *ctx)
{
    rlb_httpd_stop(ctx);
    rlb_control_stop(ctx);
    ctx->up.command_done = NULL;
    rlb_proxy_stop(ctx);
}
