/*
 * fuzz_common.c: the running context the libFuzzer targets drive (see
 * fuzz_common.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dict.h"
#include "fuzz_common.h"
#include "log.h"
#include "pkt.h"
#include "proxy.h"
#include "flow.h"
#include "radius.h"

#ifndef RLB_DEFAULT_DICTDIR
#define RLB_DEFAULT_DICTDIR "/usr/share/freeradius"
#endif

static void
die(const char *what)
{
    fprintf(stderr, "fuzz: %s\n", what);
    exit(1);
}

/* A loopback UDP port nobody uses right now. */
static int
free_port(void)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0)
        die("no free port");
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void
fz_client_addr(unsigned i, union rlb_sockaddr *out)
{
    memset(out, 0, sizeof(*out));
    out->in4.sin_family = AF_INET;
    out->in4.sin_port = htons((uint16_t)(40000 + i));
    out->in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (i < 3 ? i : 8));
}

static struct fz_env *cleanup_env;

static void
cleanup(void)
{
    unlink(cleanup_env->conf);
    rmdir(cleanup_env->dir);
}

void
fz_env_start(struct fz_env *e)
{
    fz_env_start_with(e, "");
}

int
fz_free_port(void)
{
    return free_port();
}

void
fz_env_start_with(struct fz_env *e, const char *extra)
{
    struct rlb_conf_msgs msgs;
    struct rlb_log_conf lc = { RLB_LOG_ERR, RLB_LOG_STDERR, 0, RLB_LOG_TEXT, RLB_AUTHLOG_OFF, 0 };
    char err[512];
    FILE *fp;

    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/rlb-fuzz-XXXXXX");
    if (!mkdtemp(e->dir))
        die("mkdtemp");
    snprintf(e->conf, sizeof(e->conf), "%s/radlb.conf", e->dir);
    fp = fopen(e->conf, "w");
    if (!fp)
        die("cannot write the configuration");
    fprintf(fp,
            "dictionary = \"%s\";\n"
            "listen = ( { type = \"auth\"; address = \"127.0.0.1\"; port = %d; },\n"
            "           { type = \"acct\"; address = \"127.0.0.1\"; port = %d; } );\n"
            "clients = (\n"
            "  { name = \"plain\"; network = \"127.0.0.1/32\"; secret = \"" FZ_CLIENT1_SECRET "\"; },\n"
            "  { name = \"strict\"; network = \"127.0.0.2/32\"; secret = \"" FZ_CLIENT2_SECRET "\";\n"
            "    require_message_authenticator = true; limit_proxy_state = true; },\n"
            "  { name = \"limited\"; network = \"127.0.0.3/32\"; secret = \"" FZ_CLIENT3_SECRET "\";\n"
            "    limit_proxy_state = true; }\n"
            ");\n"
            "servers = (\n"
            "  { name = \"mfa1\"; address = \"127.0.0.1\"; auth_port = %d; acct_port = %d;\n"
            "    secret = \"" FZ_SERVER1_SECRET "\"; role = \"master\"; },\n"
            "  { name = \"mfa2\"; address = \"127.0.0.1\"; auth_port = %d; acct_port = %d;\n"
            "    secret = \"" FZ_SERVER2_SECRET "\"; require_message_authenticator = true; }\n"
            ");\n"
            "proxy = { balance = \"round-robin\"; };\n"
            "sticky = { max_entries = 1000; affinity_attributes = [ \"User-Name\", \"Calling-Station-Id\" ]; };\n"
            "writes = (\n"
            "  { code = \"Access-Request\"; attribute = \"User-Name\"; regex = \"^admin\"; class = \"write\"; },\n"
            "  { attribute = \"Cisco-AVPair\"; exists = true; class = \"write\"; },\n"
            "  { attribute = \"NAS-Port\"; equals = \"7\"; class = \"write\"; },\n"
            "  { code = \"Accounting-Request\"; class = \"write\"; }\n"
            ");\n"
            "health = { probe = \"none\"; };\n"
            "log = { level = \"error\"; destination = \"stderr\"; };\n"
            "control = { socket = \"\"; };\n"
            "stats = { port = 0; };\n%s",
            RLB_DEFAULT_DICTDIR, free_port(), free_port(), free_port(), free_port(), free_port(),
            free_port(), extra);
    fclose(fp);

    rlb_log_setup(&lc, "radlb-fuzz");
    e->ctx.conf = e->ctx.first_conf = rlb_conf_load(e->conf, &msgs);
    if (!e->ctx.conf) {
        fprintf(stderr, "%s", msgs.text ? msgs.text : "");
        die("the fuzz configuration does not load");
    }
    rlb_conf_msgs_free(&msgs);
    if (rlb_dict_load(e->ctx.conf->dictionary, err, sizeof(err)) < 0)
        die(err);
    e->ctx.loop = ev_loop_new(EVFLAG_AUTO);
    if (!e->ctx.loop || rlb_proxy_start(&e->ctx) < 0)
        die("rlb_proxy_start failed");
    /* The file stays while the target runs ("reload" reads it again). */
    cleanup_env = e;
    atexit(cleanup);
}

struct rlb_listener *
fz_listener(struct fz_env *e, int type)
{
    for (unsigned i = 0; i < e->ctx.nlisteners; i++)
        if (e->ctx.listeners[i].type == type)
            return &e->ctx.listeners[i];
    die("no such listener");
    return NULL;
}

void
fz_env_reset(struct fz_env *e)
{
    struct rlb_ctx *ctx = &e->ctx;
    struct rlb_request *req;

    while ((req = rlb_timeq_head(&ctx->pending))) {
        if (req->state != RLB_REQ_REROUTE)
            rlb_req_detach(ctx, req);
        rlb_req_forget(ctx, req);                 /* (dedup: a no-op for a superseded one) */
    }
    while ((req = rlb_timeq_head(&ctx->done)))
        rlb_req_forget(ctx, req);
    /* Challenge sessions and affinity keys of this input. */
    for (unsigned i = 0; i < ctx->servers.n; i++) {
        rlb_sticky_forget_server(&ctx->sticky, ctx->servers.v[i]);
        rlb_sticky_forget_server(&ctx->affinity, ctx->servers.v[i]);
    }
    for (unsigned i = 0; i < ctx->npools; i++)
        ctx->pools[i]->balancer.cursor = 0;
    ctx->outq->n = 0;                             /* never sent */
}

size_t
fz_pkt_len(const uint8_t *p, size_t len)
{
    size_t l;

    if (len < RLB_HDR_LEN)
        return 0;
    l = rlb_get16(p + 2);
    return l >= RLB_HDR_LEN && l <= len ? l : 0;
}

size_t
fz_find_ma(const uint8_t *p, size_t len)
{
    for (size_t off = RLB_HDR_LEN; off + 2 <= len && p[off + 1] >= 2 && off + p[off + 1] <= len;
         off += p[off + 1])
        if (p[off] == RLB_ATTR_MESSAGE_AUTHENTICATOR && p[off + 1] == 18)
            return off;
    return 0;
}

void
fz_sign_request(uint8_t *p, size_t len, const struct rlb_secret *s)
{
    size_t l = fz_pkt_len(p, len), ma;
    bool acct;

    if (!l)
        return;
    acct = p[0] == RLB_ACCOUNTING_REQUEST;
    if (acct)
        memset(p + 4, 0, RLB_AUTH_LEN);
    ma = fz_find_ma(p, l);
    if (ma) {
        memset(p + ma + 2, 0, 16);
        rlb_hmac_md5(s, p, l, p + ma + 2);
    }
    if (acct)
        rlb_md5_then_secret(s, p, l, p + 4);
}

void
fz_sign_reply(uint8_t *p, size_t len, const uint8_t req_auth[16], const struct rlb_secret *s)
{
    size_t l = fz_pkt_len(p, len), ma;

    if (!l)
        return;
    memcpy(p + 4, req_auth, RLB_AUTH_LEN);
    ma = fz_find_ma(p, l);
    if (ma) {
        memset(p + ma + 2, 0, 16);
        rlb_hmac_md5(s, p, l, p + ma + 2);
    }
    rlb_md5_then_secret(s, p, l, p + 4);
}

bool
fz_verbose(void)
{
    static int v = -1;

    if (v < 0)
        v = getenv("FUZZ_VERBOSE") != NULL;
    return v;
}

void
fz_touch(const uint8_t *p, size_t len)
{
    volatile uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum ^= p[i];
    (void)sum;
}
