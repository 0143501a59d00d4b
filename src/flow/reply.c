/*
 * reply.c: a server's reply, from the socket to the client: Identifier
 * lookup, Response Authenticator and Message-Authenticator, the rewrite
 * for the client, the challenge's issuer recorded (here and in Redis, the
 * challenge HELD until Redis has it), and every reply toward a client,
 * radlb's own ones included.
 */
#include "config.h"

#include <string.h>

#include "acctspool.h"
#include "affinity.h"
#include "flow.h"
#include "front.h"
#include "health.h"
#include "proxy.h"
#include "rstore.h"

void
rlb_px_send_to_client(struct rlb_ctx *ctx, const struct rlb_request *req, const uint8_t *pkt,
                      size_t len)
{
    const struct rlb_listener *l = req->listener;

    if (req->conn) {
        rlb_front_send(ctx, req->conn, pkt, len);
    } else {
        uint8_t *out = rlb_outq_next(ctx->outq);

        if (out != pkt)
            memcpy(out, pkt, len);
        rlb_outq_commit(ctx->outq, l->io.fd, &req->src,
                        l->pktinfo ? (const union rlb_local *)&req->dst : NULL, len);
    }
    req->client->stats.replies++;
    ctx->stats.replies++;
}

void
rlb_px_answer_locally(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code,
                      const char *message)
{
    uint8_t *out = rlb_outq_next(ctx->outq);
    ssize_t n = rlb_pkt_build_local_reply(code, req->client_id, code != RLB_ACCOUNTING_RESPONSE,
                                          req->client_auth,
                                          &req->client->secret, message, req->blob,
                                          req->blob_len, out, RLB_PKT_MAX);

    if (n > 0) {
        rlb_px_send_to_client(ctx, req, out, (size_t)n);
        ctx->stats.local_rejects += code == RLB_ACCESS_REJECT;
    }
    rlb_px_authlog_end(ctx, req, NULL, code == RLB_ACCOUNTING_RESPONSE ? "spooled" : "reject",
                       message);
    rlb_req_cache_reply(ctx, req, n > 0 ? out : NULL, n > 0 ? (size_t)n : 0);
}

void
rlb_px_release_held(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_rstore_cancel(req);
    if (req->blob)
        rlb_px_send_to_client(ctx, req, req->blob, req->blob_len);
    rlb_req_move(ctx, req, RLB_REQ_DONE);
}

void
rlb_proxy_redis_written(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_px_release_held(ctx, req);
}

static bool
reply_fits(uint8_t req_code, uint8_t reply_code)
{
    if (req_code == RLB_ACCOUNTING_REQUEST)
        return reply_code == RLB_ACCOUNTING_RESPONSE;
    return reply_code == RLB_ACCESS_ACCEPT || reply_code == RLB_ACCESS_REJECT ||
           reply_code == RLB_ACCESS_CHALLENGE;
}

/* The server's counters and its pool's (accept and reject rates side by
 * side: a migration's new pool must not reject more). */
static void
count_reply(struct rlb_server *s, uint8_t code)
{
    struct rlb_pool_stats *ps = s->pool ? &s->pool->stats : NULL;

    switch (code) {
    case RLB_ACCESS_ACCEPT:
        s->stats.access_accepts++;
        if (ps)
            ps->accepts++;
        break;
    case RLB_ACCESS_REJECT:
        s->stats.access_rejects++;
        if (ps)
            ps->rejects++;
        break;
    case RLB_ACCESS_CHALLENGE:
        s->stats.access_challenges++;
        if (ps)
            ps->challenges++;
        break;
    case RLB_ACCOUNTING_RESPONSE: s->stats.accounting_responses++; break;
    default: break;
    }
}

/* A server's reply, as the auth log says it. */
static const char *
result_name(uint8_t code)
{
    switch (code) {
    case RLB_ACCESS_ACCEPT:    return "accept";
    case RLB_ACCESS_REJECT:    return "reject";
    case RLB_ACCESS_CHALLENGE: return "challenge";
    default:                   return "answered";
    }
}

/* The checks a reply passes before it counts: the request it answers, or
 * NULL with *why. */
static struct rlb_request *
check_reply(struct rlb_ctx *ctx, struct rlb_bsock *b, uint8_t *data, size_t len,
            struct rlb_pkt_info *info, rlb_drop_t *why)
{
    struct rlb_server *s = b->server;
    struct rlb_request *req;

    *why = rlb_pkt_parse(data, &len, s->require_ma && !(b->link && b->link->st.ssl) && len > 0 &&
                                         data[0] != RLB_ACCOUNTING_RESPONSE, info);
    if (*why != RLB_DROP_NONE)
        return NULL;
    req = rlb_bsock_lookup(b, info->id);
    if (!req)
        *why = RLB_DROP_UNKNOWN_REPLY;
    else if (!rlb_pkt_reply_ok(data, info, req->proxied_auth, &s->secret))
        *why = RLB_DROP_BAD_RESPONSE_AUTHENTICATOR;
    else if (info->ma_off && !rlb_pkt_ma_ok(data, info, req->proxied_auth, &s->secret))
        *why = RLB_DROP_BAD_MESSAGE_AUTHENTICATOR;
    else if (!reply_fits(req->code, info->code))
        *why = RLB_DROP_UNEXPECTED_REPLY_CODE;
    else
        *why = rlb_pkt_check_attrs(data, info);
    return *why == RLB_DROP_NONE ? req : NULL;
}

/* Records who issued a challenge before the client can answer it: here,
 * and for the other instances in Redis. True when the reply is to be held
 * until Redis has it (at most redis.timeout), so that the answer finds it
 * whichever instance it reaches. */
static bool
record_sessions(struct rlb_ctx *ctx, struct rlb_server *s, struct rlb_request *req,
                const uint8_t *data, const struct rlb_pkt_info *info)
{
    if (req->flags & RLB_REQF_PINNED) {
        /* The State this request answered is used up: forget it here and
         * in Redis (before recording a new one, which may be the same). */
        uint8_t st[256];
        size_t sl = rlb_sticky_consume(&ctx->sticky, req->pin_fp, req->pin_len, st);

        if (sl)
            rlb_rstore_del(ctx->rstore, RLB_RKEY_STATE, st, sl);
    }
    if (req->flags & RLB_REQF_AFFKEY) {
        if (info->code == RLB_ACCESS_CHALLENGE) {
            rlb_sticky_add(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, s, ev_now(ctx->loop));
            rlb_rstore_set(ctx->rstore, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN,
                           s->name, ctx->affinity.ttl, NULL);
        } else if (req->flags & RLB_REQF_AFFINITY) {
            /* the exchange is over: the next login is balanced again */
            rlb_sticky_remove(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN);
            rlb_rstore_del(ctx->rstore, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN);
        }
    }
    if (info->code == RLB_ACCESS_CHALLENGE && info->state_off && ctx->sticky.max) {
        const uint8_t *st = data + info->state_off;
        struct rlb_sticky_entry *e = rlb_sticky_add(&ctx->sticky, st + 2, st[1] - 2u, s,
                                                    ev_now(ctx->loop));
        char value[RLB_NAME_MAX + 64];

        if (e && req->ai)
            rlb_sticky_set_login(e, &req->ai->login);  /* the answer's line names this login */
        if (!ctx->rstore)
            return false;
        rlb_px_authlog_session_value(req, s->name, value, sizeof(value));
        return rlb_rstore_set(ctx->rstore, RLB_RKEY_STATE, st + 2, st[1] - 2u, value,
                              ctx->sticky.ttl, req);
    }
    return false;
}

rlb_drop_t
rlb_proxy_server_packet(struct rlb_ctx *ctx, struct rlb_bsock *b, uint8_t *data, size_t len)
{
    struct rlb_server *s = b->server;
    double now = ev_now(ctx->loop);
    struct rlb_pkt_info info;
    struct rlb_request *req;
    rlb_drop_t why;
    uint8_t *out;
    ssize_t n;

    req = check_reply(ctx, b, data, len, &info, &why);
    if (!req) {
        rlb_px_drop_server(ctx, s, why);
        return why;
    }
    rlb_health_replied(s, now);
    if (req->flags & RLB_REQF_REPLAY) {
        rlb_req_detach(ctx, req);
        count_reply(s, info.code);
        rlb_latency_add(&s->latency, now - req->when);
        if (req->flags & RLB_REQF_MIRROR)
            rlb_acctspool_mirror_done(ctx, req, true);
        else
            rlb_acctspool_acked(ctx, req);
        return RLB_DROP_NONE;
    }
    if (!info.ma_off && info.code != RLB_ACCOUNTING_RESPONSE && !(b->link && b->link->st.ssl)) {
        s->stats.replies_without_ma++;
        if (!s->seen_no_ma) {
            s->seen_no_ma = true;
            rlb_warn("server %s sends %s without Message-Authenticator; radlb adds one toward the "
                     "client. Set require_message_authenticator = true for this server once it "
                     "signs its replies (BlastRADIUS)", s->name, rlb_code_name(info.code));
        }
    }

    if (req->state == RLB_REQ_SUPERSEDED) {
        rlb_req_detach(ctx, req);
        count_reply(s, info.code);
        ctx->stats.drops[RLB_DROP_SUPERSEDED]++;
        rlb_req_free(ctx, req);
        return RLB_DROP_NONE;
    }

    /* Rewrite first: a reply that cannot be rewritten is dropped and the
     * request keeps waiting (it times out rather than being resent to
     * another server). */
    out = rlb_outq_next(ctx->outq);
    n = rlb_pkt_build_reply(data, &info, &s->secret, req->proxied_auth, &req->client->secret,
                            req->client_id, req->client_auth, out, RLB_PKT_MAX, &why);
    if (n < 0) {
        rlb_px_drop_server(ctx, s, why);
        return why;
    }
    rlb_req_detach(ctx, req);
    count_reply(s, info.code);
    rlb_latency_add(&s->latency, now - req->when);
    rlb_px_limit_reply(ctx, req, info.code, now - req->when);
    rlb_px_nas_reply(ctx, req, info.code);
    rlb_px_authlog_end(ctx, req, s->name, result_name(info.code), NULL);
    if (record_sessions(ctx, s, req, data, &info)) {
        rlb_req_hold_reply(ctx, req, out, (size_t)n);
    } else {
        rlb_px_send_to_client(ctx, req, out, (size_t)n);
        rlb_req_cache_reply(ctx, req, out, (size_t)n);
    }
    rlb_trace("server %s: %s id %u -> client %s id %u", s->name, rlb_code_name(info.code), info.id,
              req->client->name, req->client_id);
    return RLB_DROP_NONE;
}

void
rlb_px_server_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    struct rlb_bsock *b = (struct rlb_bsock *)w;
    struct rlb_rxbatch *rx = ctx->rx;

    (void)loop;
    (void)revents;
    for (int round = 0; round < 8; round++) {
        int n = rlb_rx(w->fd, rx, false);

        if (n == -2) {             /* ICMP port unreachable from the server */
            rlb_health_port_unreachable(ctx, b->server, b->kind);
            continue;
        }
        for (int i = 0; i < n; i++) {
            size_t len = rx->msgs[i].msg_len;

            if (len > RLB_PKT_MAX || (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                rlb_px_drop_server(ctx, b->server, RLB_DROP_TOO_LONG);
                continue;
            }
            rlb_proxy_server_packet(ctx, b, rx->buf[i], len);
        }
        if (n < RLB_RX_BATCH)
            break;
    }
}
