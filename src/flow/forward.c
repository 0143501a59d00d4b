/*
 * forward.c: a request toward its server: the first copy (an Identifier
 * from server.c, the rewrite by pkt.c, the outbox or the TCP/TLS link)
 * and retransmissions, which go to the same server with the same
 * Identifier and authenticator, damped (proxy.h).
 */
#include "config.h"

#include "backend.h"
#include "flow.h"
#include "front.h"
#include "health.h"
#include "radius.h"
#include "realm.h"

bool
rlb_px_stripped(const struct rlb_request *req, const uint8_t *data,
                const struct rlb_pkt_info *info, uint8_t *copy, struct rlb_pkt_info *ci)
{
    struct rlb_realm r;
    const uint8_t *name;
    size_t len = 0, clen;

    return (req->rflags & RLB_ROUTEF_STRIP) &&
           (name = rlb_pkt_find_attr(data, info, 0, RLB_ATTR_USER_NAME, &len)) &&
           rlb_realm_parse(name, len, &r) &&
           (clen = rlb_pkt_replace_attr(data, info, name, name + r.user_off, r.user_len, copy,
                                        RLB_PKT_MAX)) &&
           rlb_pkt_parse(copy, &clen, false, ci) == RLB_DROP_NONE;
}

/* The request toward the server: stripped when its route says so (the
 * copy is made from the client's packet each time, so a retransmission
 * rebuilds the same bytes). */
static ssize_t
build(const struct rlb_request *req, const uint8_t *data, const struct rlb_pkt_info *info,
      const struct rlb_secret *from, const struct rlb_secret *to, uint8_t *out, rlb_drop_t *why)
{
    uint8_t copy[RLB_PKT_MAX];
    struct rlb_pkt_info ci;

    if (rlb_px_stripped(req, data, info, copy, &ci)) {
        data = copy;
        info = &ci;
    }
    return rlb_pkt_build_request(data, info, from, to, req->proxied_id, req->proxied_auth, out,
                                 RLB_PKT_MAX, why);
}

rlb_drop_t
rlb_px_send(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
            const struct rlb_secret *from, const uint8_t *data, const struct rlb_pkt_info *info)
{
    int kind = info->code == RLB_ACCOUNTING_REQUEST ? RLB_KIND_ACCT : RLB_KIND_AUTH;
    rlb_drop_t why = RLB_DROP_NO_SOCKET;
    uint8_t *out;
    ssize_t n;

    /* One NAS cannot take every Identifier and every slot. */
    if (req->client && req->client->outstanding >= req->client->max_outstanding)
        return RLB_DROP_CLIENT_LIMIT;
    if (rlb_server_alloc_id(&ctx->servers, s, kind, req) < 0)
        return why;
    if (info->code == RLB_ACCESS_REQUEST)
        rlb_random_bytes(req->proxied_auth, RLB_AUTH_LEN);
    out = rlb_outq_next(ctx->outq);
    n = build(req, data, info, from, &s->secret, out, &why);
    if (n < 0) {
        rlb_server_release_id(req);
        return why;
    }
    if (info->code == RLB_ACCOUNTING_REQUEST)
        memcpy(req->proxied_auth, out + 4, RLB_AUTH_LEN);
    if (!req->bsock->link) {
        rlb_outq_commit(ctx->outq, req->bsock->io.fd, NULL, NULL, (size_t)n);
    } else if (rlb_backend_send(ctx, req->bsock, out, (size_t)n) < 0) {
        rlb_server_release_id(req);
        return RLB_DROP_NO_SOCKET;
    }
    if (req->conn)
        rlb_front_track(ctx, req, data, info->len);
    rlb_req_move(ctx, req, RLB_REQ_PENDING);
    req->copied = req->when;
    rlb_health_sent(s, req->when);
    s->refs++;
    s->outstanding++;
    if (req->client)
        req->client->outstanding++;
    s->stats.requests++;
    rlb_trace("%s id %u -> server %s id %u", rlb_code_name(info->code), info->id, s->name,
              req->proxied_id);
    return RLB_DROP_NONE;
}

bool
rlb_px_send_to_server(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
                      const uint8_t *data, const struct rlb_pkt_info *info)
{
    rlb_drop_t why = rlb_px_send(ctx, req, s, &req->client->secret, data, info);

    if (why != RLB_DROP_NONE) {
        rlb_px_drop_client(ctx, req->client, &req->src, info->code, why);
        rlb_req_forget(ctx, req);
        return false;
    }
    return true;
}

/* Never on a TCP/TLS server: a live connection does not lose packets
 * (RFC 6613 2.6.1). */
void
rlb_px_retransmit(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                  const struct rlb_pkt_info *info, bool own)
{
    struct rlb_server *s = req->bsock->server;
    uint8_t *out;
    rlb_drop_t why;
    ssize_t n;

    if (!own)
        req->client->stats.retransmissions++;
    if (req->bsock->link)
        return;
    /* Damping: the server has had a copy less than retransmit_damping ago;
     * another one now would only add to its load (it is most likely
     * working on it: an MFA server waits on a human). The next
     * retransmission after the interval still repairs a lost datagram. */
    if (!own && ev_now(ctx->loop) - req->copied < ctx->conf->proxy.retransmit_damping) {
        s->stats.retransmissions_absorbed++;
        return;
    }
    out = rlb_outq_next(ctx->outq);
    /* Same server, same Identifier, same authenticator: the server sees a
     * duplicate of what it is already working on. */
    n = build(req, data, info, &req->client->secret, &s->secret, out, &why);
    if (n < 0)
        return;
    rlb_outq_commit(ctx->outq, req->bsock->io.fd, NULL, NULL, (size_t)n);
    req->copied = ev_now(ctx->loop);
    if (own)
        ctx->conns.retransmitted++;
    s->stats.retransmissions++;
}

bool
rlb_px_resend(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t *data, size_t len)
{
    struct rlb_pkt_info info;

    if (req->state != RLB_REQ_PENDING && req->state != RLB_REQ_REROUTE)
        return false;
    if (rlb_pkt_parse(data, &len, false, &info) != RLB_DROP_NONE)
        return false;
    if (req->state == RLB_REQ_REROUTE) {
        /* Its server went down before processing it: as a NAS's
         * retransmission would, it goes to another server now (and is
         * tracked again from there). */
        rlb_px_dispatch(ctx, req, data, &info);
        return false;
    }
    if (req->bsock->link)
        return true;               /* a TCP/TLS server: keep watching for a reroute */
    rlb_px_retransmit(ctx, req, data, &info, true);
    return true;
}
