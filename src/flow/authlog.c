/*
 * authlog.c: the auth log (log.auth): one line per finished exchange, an
 * Access-Request answered (by its server or by radlb) or given up, an
 * Accounting-Request answered or spooled. A login's legs share its login
 * id: the State of each challenge carries the login (here in the session
 * table, to the other instances in the Redis value), so the answer's line
 * names the same login, its leg number and, once accepted or rejected,
 * how long the whole login took. Passwords, codes and secrets are never
 * read here: User-Name is the only attribute the line quotes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "crypto.h"
#include "flow.h"

#define USER_MAX 128               /* octets of User-Name kept (longer ones are cut) */

void
rlb_px_authlog_begin(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                     const struct rlb_pkt_info *info)
{
    size_t ulen = 0, slen = 0;
    const uint8_t *user, *status;
    struct rlb_authinfo *ai;

    if (!rlb_log_auth_enabled() ||
        (req->code != RLB_ACCESS_REQUEST && req->code != RLB_ACCOUNTING_REQUEST))
        return;
    user = rlb_pkt_find_attr(data, info, 0, RLB_ATTR_USER_NAME, &ulen);
    if (!user)
        ulen = 0;
    else if (ulen > USER_MAX)
        ulen = USER_MAX;
    ai = (struct rlb_authinfo *)rlb_buf_get(&ctx->bufs, sizeof(*ai) + ulen);
    if (!ai)
        return;                    /* the exchange goes on, without its line */
    memset(ai, 0, sizeof(*ai));
    ai->size = (uint16_t)(sizeof(*ai) + ulen);
    ai->arrived = ev_now(ctx->loop);
    ai->ulen = (uint8_t)ulen;
    if (ulen)
        memcpy(ai->user, user, ulen);
    if (req->code == RLB_ACCOUNTING_REQUEST) {
        status = rlb_pkt_find_attr(data, info, 0, RLB_ATTR_ACCT_STATUS_TYPE, &slen);
        if (status && slen == 4 && status[0] == 0 && status[1] == 0 && status[2] == 0)
            ai->acct_status = status[3];
    } else {
        /* A new login until a State says which one it continues. */
        rlb_random_bytes(&ai->login.id, sizeof(ai->login.id));
        ai->login.id |= 1;         /* never 0, which is "none" */
        ai->login.first = ai->arrived;
        ai->login.leg = 1;
    }
    req->ai = ai;
}

void
rlb_px_authlog_continues(struct rlb_request *req, const struct rlb_login *login)
{
    if (!req->ai || !login->id)
        return;
    req->ai->login = *login;
    req->ai->login.leg = login->leg < 255 ? login->leg + 1 : 255;
}

void
rlb_px_authlog_free(struct rlb_ctx *ctx, struct rlb_request *req)
{
    if (req->ai)
        rlb_buf_put(&ctx->bufs, (uint8_t *)req->ai, req->ai->size);
    req->ai = NULL;
}

/* "NAME" or "NAME ID LEG FIRST": the Redis value of a challenge's session. */
void
rlb_px_authlog_session_value(const struct rlb_request *req, const char *server, char *out,
                             size_t len)
{
    if (req->ai && req->ai->login.id)
        snprintf(out, len, "%s %016" PRIx64 " %u %.3f", server, req->ai->login.id,
                 (unsigned)req->ai->login.leg, req->ai->login.first);
    else
        snprintf(out, len, "%s", server);
}

const char *
rlb_px_authlog_parse_value(const char *value, char *name, size_t len, struct rlb_login *login)
{
    const char *sp = strchr(value, ' ');
    size_t n = sp ? (size_t)(sp - value) : strlen(value);
    unsigned long long id;
    unsigned leg;
    double first;

    *login = (struct rlb_login){ 0 };
    if (n >= len)
        n = len - 1;
    memcpy(name, value, n);
    name[n] = '\0';
    /* An older instance's value is the name alone: no login to carry. */
    if (sp && sscanf(sp + 1, "%16llx %u %lf", &id, &leg, &first) == 3 && id && leg && leg < 256) {
        login->id = id;
        login->leg = (uint8_t)leg;
        login->first = first;
    }
    return name;
}

/* "192.0.2.7:44352" without printf (once per request); IPv6 the usual way. */
static void
peer_str(const union rlb_sockaddr *sa, char *out, size_t len)
{
    char *p = out;
    const uint8_t *a = (const uint8_t *)&sa->in4.sin_addr;
    unsigned port = ntohs(sa->in4.sin_port);
    char t[6];
    int i = 0;

    if (sa->sa.sa_family != AF_INET || len < 22) {
        rlb_sockaddr_str(sa, out, len);
        return;
    }
    for (int k = 0; k < 4; k++) {
        if (a[k] >= 100)
            *p++ = (char)('0' + a[k] / 100);
        if (a[k] >= 10)
            *p++ = (char)('0' + a[k] / 10 % 10);
        *p++ = (char)('0' + a[k] % 10);
        *p++ = k < 3 ? '.' : ':';
    }
    do
        t[i++] = (char)('0' + port % 10);
    while ((port /= 10) != 0);
    while (i > 0)
        *p++ = t[--i];
    *p = '\0';
}

static const char *
acct_status_name(uint8_t st)
{
    switch (st) {
    case 1: return "Start";
    case 2: return "Stop";
    case 3: return "Interim-Update";
    case 7: return "Accounting-On";
    case 8: return "Accounting-Off";
    default: return "-";
    }
}

void
rlb_px_authlog_end(struct rlb_ctx *ctx, struct rlb_request *req, const char *server,
                   const char *result, const char *reason)
{
    struct rlb_authinfo *ai = req->ai;
    double now = ev_now(ctx->loop);
    char from[RLB_ADDRSTRLEN], id[24];
    struct rlb_log_field f[13];
    size_t n = 0;
    bool acct = req->code == RLB_ACCOUNTING_REQUEST;
    bool final = !acct && strcmp(result, "challenge") != 0;

    if (!ai || ai->logged)
        return;
    ai->logged = 1;
    peer_str(&req->src, from, sizeof(from));
    if (!acct) {
        for (int i = 0; i < 16; i++)
            id[i] = "0123456789abcdef"[(ai->login.id >> (60 - 4 * i)) & 15];
        id[16] = '\0';
        f[n++] = (struct rlb_log_field){ .key = "login", .kind = RLB_LF_WORD, .s = id };
        f[n++] = (struct rlb_log_field){ .key = "leg", .kind = RLB_LF_INT, .n = ai->login.leg };
    }
    f[n++] = (struct rlb_log_field){ .key = "client", .kind = RLB_LF_WORD, .s = req->client->name };
    f[n++] = (struct rlb_log_field){ .key = "from", .kind = RLB_LF_WORD, .s = from };
    f[n++] = (struct rlb_log_field){ .key = "user", .kind = RLB_LF_TEXT, .s = ai->user,
                                     .len = ai->ulen };
    if (acct)
        f[n++] = (struct rlb_log_field){ .key = "status", .kind = RLB_LF_WORD,
                                         .s = acct_status_name(ai->acct_status) };
    f[n++] = (struct rlb_log_field){ .key = "server", .kind = RLB_LF_WORD,
                                     .s = server ? server : "-" };
    if (ctx->npools > 1)           /* with several farms: which one decided */
        f[n++] = (struct rlb_log_field){ .key = "pool", .kind = RLB_LF_WORD,
                                         .s = req->pool ? req->pool->name : "-" };
    f[n++] = (struct rlb_log_field){ .key = "result", .kind = RLB_LF_WORD, .s = result };
    f[n++] = (struct rlb_log_field){ .key = "ms", .kind = RLB_LF_INT,
                                     .n = (long long)((now - ai->arrived) * 1000 + 0.5) };
    if (final) {
        /* The whole login: from its first leg (on whichever instance) to now. */
        f[n++] = (struct rlb_log_field){ .key = "challenges", .kind = RLB_LF_INT,
                                         .n = ai->login.leg - 1 };
        f[n++] = (struct rlb_log_field){ .key = "login_ms", .kind = RLB_LF_INT,
                                         .n = (long long)((now - ai->login.first) * 1000 + 0.5) };
    }
    if (reason && reason[0])
        f[n++] = (struct rlb_log_field){ .key = "reason", .kind = RLB_LF_TEXT, .s = reason,
                                         .len = strlen(reason) };
    rlb_log_auth(acct ? "acct" : "auth", f, n);
}
