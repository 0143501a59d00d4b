/*
 * ingress.c: a client's packet, from the socket to admission: client
 * lookup, parse, BlastRADIUS rules, authenticators, Status-Server answers,
 * and the duplicate table (a retransmission, a supersede, or a new
 * request, which route.c then gives a server).
 */
#include "config.h"

#include <string.h>

#include "flow.h"
#include "front.h"
#include "proxy.h"
#include "rstore.h"

static const uint8_t zero_auth[RLB_AUTH_LEN];

void
rlb_px_collect_proxy_state(const uint8_t *data, const struct rlb_pkt_info *info, uint8_t *dst)
{
    /* Without Proxy-State its offset is 0: nothing to walk (walking from
     * the header would read the Identifier as a length, and loop for ever
     * on Identifier 0). */
    if (!info->proxy_state_len)
        return;
    for (size_t off = info->proxy_state_off; off < info->len; off += data[off + 1]) {
        if (data[off] == RLB_ATTR_PROXY_STATE) {
            memcpy(dst, data + off, data[off + 1]);
            dst += data[off + 1];
        }
    }
}

void
rlb_px_keep_proxy_state(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                        const struct rlb_pkt_info *info)
{
    if (!info->proxy_state_len)
        return;
    req->blob = rlb_buf_get(&ctx->bufs, info->proxy_state_len);
    if (!req->blob)
        return;
    req->blob_len = info->proxy_state_len;
    rlb_px_collect_proxy_state(data, info, req->blob);
}

static void
answer_status_server(struct rlb_ctx *ctx, struct rlb_listener *l, struct rlb_sconn *conn,
                     struct rlb_client *c, const uint8_t *data, const struct rlb_pkt_info *info,
                     const union rlb_sockaddr *src, const union rlb_local *local)
{
    uint8_t code = l->type == RLB_LISTEN_ACCT ? RLB_ACCOUNTING_RESPONSE : RLB_ACCESS_ACCEPT;
    uint8_t ps[RLB_PKT_MAX];
    uint8_t *out;
    ssize_t n;

    /* RFC 5997: answered by the proxy itself, never forwarded. */
    rlb_px_collect_proxy_state(data, info, ps);
    out = rlb_outq_next(ctx->outq);
    n = rlb_pkt_build_local_reply(code, info->id, true, data + 4, &c->secret, NULL, ps,
                                  info->proxy_state_len, out, RLB_PKT_MAX);
    if (n < 0)
        return;
    if (conn)
        rlb_front_send(ctx, conn, out, (size_t)n);
    else
        rlb_outq_commit(ctx->outq, l->io.fd, src, l->pktinfo ? local : NULL, (size_t)n);
    c->stats.status_server++;
    c->stats.replies++;
    ctx->stats.replies++;
}

/* A new request: its slot, its place in the duplicate table. */
static void
admit(struct rlb_ctx *ctx, struct rlb_listener *l, struct rlb_sconn *conn, struct rlb_client *c,
      const uint8_t *data, const struct rlb_pkt_info *info, const union rlb_sockaddr *src,
      const union rlb_local *local, uint32_t hash)
{
    struct rlb_request *req = rlb_req_get(&ctx->reqs);

    if (!req) {
        rlb_px_drop_client(ctx, c, src, info->code, RLB_DROP_NO_SOCKET);
        return;
    }
    req->listener = l;
    req->client = c;
    req->conn = conn;
    if (conn)
        conn->refs++;
    req->src = *src;
    if (local)
        memcpy(&req->dst, local, sizeof(req->dst));
    req->client_id = info->id;
    req->code = info->code;
    req->hnode.hash = hash;
    memcpy(req->client_auth, data + 4, RLB_AUTH_LEN);
    rlb_px_keep_proxy_state(ctx, req, data, info);
    rlb_px_authlog_begin(ctx, req, data, info);
    c->refs++;
    rlb_dedup_insert(&ctx->dedup, req);
    rlb_px_dispatch(ctx, req, data, info);
}

/* The same request again (same key, same authenticator). */
static void
again(struct rlb_ctx *ctx, struct rlb_client *c, struct rlb_request *old, const uint8_t *data,
      const struct rlb_pkt_info *info)
{
    switch (old->state) {
    case RLB_REQ_PENDING:
        rlb_px_nas_copy(ctx, old);
        rlb_px_retransmit(ctx, old, data, info, false);
        break;
    case RLB_REQ_REROUTE:
        /* Its server went down before answering: this retransmission goes
         * to another one. */
        rlb_px_dispatch(ctx, old, data, info);
        break;
    case RLB_REQ_PARKED:
    case RLB_REQ_SPOOLING:
        c->stats.retransmissions++;        /* Redis or the disk: it will go on */
        break;
    case RLB_REQ_HELD:
        c->stats.duplicates++;             /* the client waits: the challenge goes now */
        rlb_px_release_held(ctx, old);
        break;
    default:
        /* Answered (or timed out without an answer): never forwarded again. */
        c->stats.duplicates++;
        if (old->blob)
            rlb_px_send_to_client(ctx, old, old->blob, old->blob_len);
        break;
    }
}

/* RFC 5080 2.2.2: a new authenticator on the same key is a new request;
 * the old one's answer, if it comes, is discarded. */
static void
supersede(struct rlb_ctx *ctx, struct rlb_request *old)
{
    rlb_dedup_remove(&ctx->dedup, old);
    switch (old->state) {
    case RLB_REQ_PENDING:
    case RLB_REQ_SPOOLING:                 /* (a spooled record is still replayed) */
        rlb_req_move(ctx, old, RLB_REQ_SUPERSEDED);
        break;
    case RLB_REQ_PARKED:
    case RLB_REQ_HELD:
        rlb_rstore_cancel(old);
        rlb_req_free(ctx, old);
        break;
    default:
        rlb_req_free(ctx, old);
        break;
    }
}

rlb_drop_t
rlb_proxy_client_packet(struct rlb_ctx *ctx, struct rlb_listener *l, struct rlb_sconn *conn,
                        uint8_t *data, size_t len, const union rlb_sockaddr *src,
                        const union rlb_local *local)
{
    struct rlb_client *c = rlb_clients_find(&ctx->clients, src);
    struct rlb_pkt_info info;
    struct rlb_request *old;
    rlb_drop_t why;
    uint32_t hash;
    bool ok_code, tls;

    if (!c) {
        rlb_px_drop_client(ctx, NULL, src, 0, RLB_DROP_UNKNOWN_CLIENT);
        return RLB_DROP_UNKNOWN_CLIENT;
    }
    /* TLS protects the packet: the BlastRADIUS requirements are for UDP
     * and TCP (checklist 33). */
    tls = conn && conn->st.ssl;
    why = rlb_pkt_parse(data, &len,
                        c->require_ma && !tls && len > 0 && data[0] == RLB_ACCESS_REQUEST, &info);
    if (why != RLB_DROP_NONE) {
        rlb_px_drop_client(ctx, c, src, len > 0 ? data[0] : 0, why);
        return why;
    }
    ok_code = info.code == RLB_STATUS_SERVER ||
              (l->type != RLB_LISTEN_ACCT && info.code == RLB_ACCESS_REQUEST) ||
              (l->type != RLB_LISTEN_AUTH && info.code == RLB_ACCOUNTING_REQUEST);
    if (!ok_code) {
        rlb_px_drop_client(ctx, c, src, info.code, RLB_DROP_UNEXPECTED_CODE);
        return RLB_DROP_UNEXPECTED_CODE;
    }

    /* BlastRADIUS: before any authenticator is looked at. */
    if (info.code == RLB_ACCESS_REQUEST && c->limit_proxy_state && !tls && info.n_proxy_state &&
        !info.ma_off) {
        rlb_px_drop_client(ctx, c, src, info.code, RLB_DROP_PROXY_STATE_WITHOUT_MA);
        return RLB_DROP_PROXY_STATE_WITHOUT_MA;
    }
    if (info.ma_off &&
        !rlb_pkt_ma_ok(data, &info, info.code == RLB_ACCOUNTING_REQUEST ? zero_auth : data + 4,
                       &c->secret)) {
        rlb_px_drop_client(ctx, c, src, info.code, RLB_DROP_BAD_MESSAGE_AUTHENTICATOR);
        return RLB_DROP_BAD_MESSAGE_AUTHENTICATOR;
    }
    if (info.code == RLB_ACCOUNTING_REQUEST && !rlb_pkt_acct_request_ok(data, &info, &c->secret)) {
        rlb_px_drop_client(ctx, c, src, info.code, RLB_DROP_BAD_REQUEST_AUTHENTICATOR);
        return RLB_DROP_BAD_REQUEST_AUTHENTICATOR;
    }
    if (info.code == RLB_STATUS_SERVER) {
        answer_status_server(ctx, l, conn, c, data, &info, src, local);
        return RLB_DROP_NONE;
    }
    why = rlb_pkt_check_attrs(data, &info);
    if (why != RLB_DROP_NONE) {
        rlb_px_drop_client(ctx, c, src, info.code, why);
        return why;
    }

    hash = rlb_dedup_hash(&ctx->dedup, l, src, info.id);
    old = rlb_dedup_find(&ctx->dedup, hash, l, src, info.id);
    if (old && memcmp(old->client_auth, data + 4, RLB_AUTH_LEN) == 0) {
        again(ctx, c, old, data, &info);
        return RLB_DROP_NONE;
    }
    if (old)
        supersede(ctx, old);
    /* A new request (retransmissions are counted apart). */
    c->stats.requests++;
    ctx->stats.requests++;
    if (info.code == RLB_ACCESS_REQUEST)
        c->stats.access_requests++;
    else
        c->stats.accounting_requests++;
    admit(ctx, l, conn, c, data, &info, src, local, hash);
    return RLB_DROP_NONE;
}

void
rlb_px_listener_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    struct rlb_listener *l = (struct rlb_listener *)w;
    struct rlb_rxbatch *rx = ctx->rx;

    (void)loop;
    (void)revents;
    /* Drain, but give other sockets a turn after a few batches. */
    for (int round = 0; round < 8; round++) {
        int n = rlb_rx(w->fd, rx, l->pktinfo);

        for (int i = 0; i < n; i++) {
            union rlb_local local;
            size_t len = rx->msgs[i].msg_len;
            bool have_local = l->pktinfo && rlb_rx_local(rx, i, &local);

            if (len > RLB_PKT_MAX || (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                rlb_px_drop_client(ctx, rlb_clients_find(&ctx->clients, &rx->from[i]),
                                   &rx->from[i], rx->buf[i][0], RLB_DROP_TOO_LONG);
                continue;
            }
            rlb_proxy_client_packet(ctx, l, NULL, rx->buf[i], len, &rx->from[i],
                                    have_local ? &local : NULL);
        }
        if (n < RLB_RX_BATCH)
            break;
    }
}
