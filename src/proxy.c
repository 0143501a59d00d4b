/*
 * proxy.c: the request flow (see proxy.h for the timer and retransmission
 * rules). One request, from socket to socket:
 *
 *   listener_readable -> rlb_proxy_client_packet: client lookup, parse,
 *     BlastRADIUS checks, authenticators, duplicate table; a new request
 *     gets a server (balance.c), an Identifier (server.c), is rewritten
 *     (pkt.c) into the outbox and waits in the pending queue.
 *   server_readable -> rlb_proxy_server_packet: Identifier lookup,
 *     Response Authenticator and Message-Authenticator, rewrite for the
 *     client into the outbox; the reply is cached in the done queue.
 *   the prepare watcher flushes the outbox with sendmmsg() before the
 *     loop sleeps.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctspool.h"
#include "affinity.h"
#include "dict.h"
#include "health.h"
#include "master.h"
#include "pkt.h"
#include "proxy.h"
#include "front.h"
#include "backend.h"
#include "proxy_int.h"
#include "rstore.h"

static const uint8_t zero_auth[RLB_AUTH_LEN];

static const char *
code_name(uint8_t code)
{
    switch (code) {
    case RLB_ACCESS_REQUEST:      return "Access-Request";
    case RLB_ACCESS_ACCEPT:       return "Access-Accept";
    case RLB_ACCESS_REJECT:       return "Access-Reject";
    case RLB_ACCOUNTING_REQUEST:  return "Accounting-Request";
    case RLB_ACCOUNTING_RESPONSE: return "Accounting-Response";
    case RLB_ACCESS_CHALLENGE:    return "Access-Challenge";
    case RLB_STATUS_SERVER:       return "Status-Server";
    default:                      return "packet";
    }
}

/* ------------------------------------------------------------------ */
/* Drops                                                              */

static void
drop_from_client(struct rlb_ctx *ctx, struct rlb_client *c, const union rlb_sockaddr *src,
                 uint8_t code, rlb_drop_t why)
{
    char where[RLB_ADDRSTRLEN], note[64];
    unsigned held;

    ctx->stats.drops[why]++;
    if (c)
        c->stats.dropped++;
    if (!rlb_ratelimit_ok(c ? &c->rl[why] : &ctx->rl_unknown, ev_now(ctx->loop), &held))
        return;
    rlb_sockaddr_str(src, where, sizeof(where));
    if (!c) {
        rlb_warn("dropped a datagram from %s: no client matches this address "
                 "(add it to \"clients\")%s", where, rlb_held_note(held, note, sizeof(note)));
        return;
    }
    rlb_warn("client %s (%s): dropped %s: %s%s%s", c->name, where,
             code_name(code), rlb_drop_help(why),
             why == RLB_DROP_BAD_MESSAGE_AUTHENTICATOR || why == RLB_DROP_BAD_REQUEST_AUTHENTICATOR
                 ? " (does the NAS use the same shared secret?)" : "",
             rlb_held_note(held, note, sizeof(note)));
}

static void
drop_from_server(struct rlb_ctx *ctx, struct rlb_server *s, rlb_drop_t why)
{
    unsigned held;
    char note[64];

    ctx->stats.drops[why]++;
    s->stats.dropped++;
    if (!rlb_ratelimit_ok(&s->rl[why], ev_now(ctx->loop), &held))
        return;
    rlb_warn("server %s: dropped a reply: %s%s%s", s->name,
             rlb_drop_help(why),
             why == RLB_DROP_BAD_RESPONSE_AUTHENTICATOR || why == RLB_DROP_BAD_MESSAGE_AUTHENTICATOR
                 ? " (does the server use the same shared secret?)" :
             why == RLB_DROP_UNKNOWN_REPLY ? " (an answer sent again for a retransmission, or a late answer after response_timeout?)" : "",
             rlb_held_note(held, note, sizeof(note)));
}

/* ------------------------------------------------------------------ */
/* Request bookkeeping                                                */

void
rlb_px_free_request(struct rlb_ctx *ctx, struct rlb_request *req)
{
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    if (req->client)
        req->client->refs--;
    if (req->conn)
        rlb_front_unref(ctx, req->conn);
    rlb_req_put(&ctx->reqs, req);
}

/* Takes a request out of the pending state: its Identifier goes back to
 * the socket, the server has one less in flight. */
struct rlb_server *
rlb_px_end_pending(struct rlb_ctx *ctx, struct rlb_request *req)
{
    struct rlb_server *s = req->bsock->server;

    rlb_timeq_remove(&ctx->pending, req);
    rlb_server_release_id(req);
    s->outstanding--;
    s->refs--;
    if (req->client)
        req->client->outstanding--;
    return s;
}

/* The reply cache is bounded (proxy.max_cached_replies): beyond, the
 * oldest replies are forgotten early (a retransmission of one of them then
 * counts as a new request). */
static void
limit_cache(struct rlb_ctx *ctx)
{
    struct rlb_request *old;

    while (ctx->done.count > (unsigned long)ctx->conf->proxy.max_cached_replies &&
           (old = ctx->done.head)) {
        rlb_timeq_remove(&ctx->done, old);
        rlb_dedup_remove(&ctx->dedup, old);
        rlb_px_free_request(ctx, old);
        ctx->stats.cache_evicted++;
    }
}

/* Keeps a reply for retransmissions (or, with len 0, just the fact that the
 * request is over): the request moves to the done queue. */
static void
cache_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply, size_t len)
{
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = len ? rlb_buf_get(&ctx->bufs, len) : NULL;
    req->blob_len = req->blob ? (uint16_t)len : 0;
    if (req->blob)
        memcpy(req->blob, reply, len);
    req->state = RLB_REQ_DONE;
    req->when = ev_now(ctx->loop);
    rlb_timeq_push(&ctx->done, req);
    rlb_timeq_arm(ctx->loop, &ctx->done);
    limit_cache(ctx);
}

/* Keeps a built reply until Redis has the session (rlb_proxy_redis_written),
 * at most redis.timeout (the parked queue). */
static void
hold_reply(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *reply, size_t len)
{
    if (req->blob)
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = rlb_buf_get(&ctx->bufs, len);
    req->blob_len = req->blob ? (uint16_t)len : 0;
    if (req->blob)
        memcpy(req->blob, reply, len);
    req->state = RLB_REQ_HELD;
    req->when = ev_now(ctx->loop);
    rlb_timeq_push(&ctx->parked, req);
    rlb_timeq_arm(ctx->loop, &ctx->parked);
}

static void send_to_client(struct rlb_ctx *ctx, const struct rlb_request *req, const uint8_t *pkt,
                           size_t len);

/* A held reply goes to the client; the request becomes an ordinary done one. */
static void
release_held(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_rstore_cancel(req);
    rlb_timeq_remove(&ctx->parked, req);
    if (req->blob)
        send_to_client(ctx, req, req->blob, req->blob_len);
    req->state = RLB_REQ_DONE;
    req->when = ev_now(ctx->loop);
    rlb_timeq_push(&ctx->done, req);
    rlb_timeq_arm(ctx->loop, &ctx->done);
}

void
rlb_proxy_redis_written(struct rlb_ctx *ctx, struct rlb_request *req)
{
    release_held(ctx, req);
}

/* pkt: the reply, anywhere (copied into the outbox for UDP unless it is
 * already the outbox's next buffer). */
static void
send_to_client(struct rlb_ctx *ctx, const struct rlb_request *req, const uint8_t *pkt, size_t len)
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

/* Copies a request's Proxy-State attributes, in order, to dst (which has
 * room for info->proxy_state_len octets). */
static void
collect_proxy_state(const uint8_t *data, const struct rlb_pkt_info *info, uint8_t *dst)
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

/* Keeps the request's Proxy-State for the replies radlb writes itself. */
static void
keep_proxy_state(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
                 const struct rlb_pkt_info *info)
{
    if (!info->proxy_state_len)
        return;
    req->blob = rlb_buf_get(&ctx->bufs, info->proxy_state_len);
    if (!req->blob)
        return;
    req->blob_len = info->proxy_state_len;
    collect_proxy_state(data, info, req->blob);
}

/* ------------------------------------------------------------------ */
/* Client side                                                        */

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
    collect_proxy_state(data, info, ps);
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

/* A retransmission of a request still in flight: the client's (own
 * false), or radlb's for a TCP/TLS client (own true). Never on a TCP/TLS
 * server: a live connection does not lose packets (RFC 6613 2.6.1). */
static void
retransmit(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
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
    n = rlb_pkt_build_request(data, info, &req->client->secret, &s->secret, req->proxied_id,
                              req->proxied_auth, out, RLB_PKT_MAX, &why);
    if (n < 0)
        return;
    rlb_outq_commit(ctx->outq, req->bsock->io.fd, NULL, NULL, (size_t)n);
    req->copied = ev_now(ctx->loop);
    if (own)
        ctx->conns.retransmitted++;
    s->stats.retransmissions++;
}

/* Answers a request with a reply radlb writes itself (carrying the
 * request's Proxy-State), and caches it like any reply. */
void
rlb_px_answer_locally(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code, const char *message)
{
    uint8_t *out = rlb_outq_next(ctx->outq);
    ssize_t n = rlb_pkt_build_local_reply(code, req->client_id, code != RLB_ACCOUNTING_RESPONSE,
                                          req->client_auth,
                                          &req->client->secret, message, req->blob,
                                          req->blob_len, out, RLB_PKT_MAX);

    if (n > 0) {
        send_to_client(ctx, req, out, (size_t)n);
        ctx->stats.local_rejects += code == RLB_ACCESS_REJECT;
    }
    cache_reply(ctx, req, n > 0 ? out : NULL, n > 0 ? (size_t)n : 0);
}

/* Forgets a request that gets no answer at all. */
void
rlb_px_forget(struct rlb_ctx *ctx, struct rlb_request *req)
{
    rlb_dedup_remove(&ctx->dedup, req);
    rlb_px_free_request(ctx, req);
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
    n = rlb_pkt_build_request(data, info, from, &s->secret, req->proxied_id, req->proxied_auth,
                              out, RLB_PKT_MAX, &why);
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
    req->state = RLB_REQ_PENDING;
    req->when = ev_now(ctx->loop);
    req->copied = req->when;
    rlb_health_sent(s, req->when);
    s->refs++;
    s->outstanding++;
    if (req->client)
        req->client->outstanding++;
    s->stats.requests++;
    rlb_timeq_push(&ctx->pending, req);
    rlb_timeq_arm(ctx->loop, &ctx->pending);
    rlb_trace("%s id %u -> server %s id %u", code_name(info->code), info->id, s->name,
              req->proxied_id);
    return RLB_DROP_NONE;
}

/* Sends a client's request to server s. Returns false (request forgotten)
 * when it cannot be sent. */
static bool
send_to_server(struct rlb_ctx *ctx, struct rlb_request *req, struct rlb_server *s,
               const uint8_t *data, const struct rlb_pkt_info *info)
{
    rlb_drop_t why = rlb_px_send(ctx, req, s, &req->client->secret, data, info);

    if (why != RLB_DROP_NONE) {
        drop_from_client(ctx, req->client, &req->src, info->code, why);
        rlb_px_forget(ctx, req);
        return false;
    }
    return true;
}

/* A write goes to the master only. Without one that takes writes, an
 * Access-Request is rejected with no_master_reply_message and accounting
 * goes to the spool (which also takes it while older records wait there,
 * so that the master receives them in order). */
static void
route_write(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
            const struct rlb_pkt_info *info)
{
    bool acct = info->code == RLB_ACCOUNTING_REQUEST;

    if (rlb_master_takes_writes(ctx) && !(acct && rlb_acctspool_busy(ctx))) {
        send_to_server(ctx, req, ctx->master.server, data, info);
    } else if (acct) {
        rlb_acctspool_take(ctx, req, data, info);
    } else {
        ctx->stats.no_master_rejects++;
        rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.no_master_message);
    }
}

/* Parks a request while Redis is asked which server holds its session
 * (only when the local table does not know, and once). */
static bool
park(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
     const struct rlb_pkt_info *info, char kind, const uint8_t *key, size_t len)
{
    uint8_t *copy;

    if (!ctx->rstore || (req->flags & RLB_REQF_ASKED))
        return false;
    /* Not ready (an outage): counted as skipped by the store. */
    if (!rlb_rstore_get(ctx->rstore, kind, key, len, req))
        return false;
    copy = rlb_buf_get(&ctx->bufs, info->len);
    if (!copy) {
        rlb_rstore_cancel(req);
        return false;
    }
    memcpy(copy, data, info->len);
    req->flags |= RLB_REQF_ASKED;
    if (req->blob)                 /* the Proxy-State copy: the packet has it */
        rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = copy;
    req->blob_len = info->len;
    req->state = RLB_REQ_PARKED;
    req->when = ev_now(ctx->loop);
    rlb_timeq_push(&ctx->parked, req);
    rlb_timeq_arm(ctx->loop, &ctx->parked);
    return true;
}

/* True when the request writes to the MFA database (classified once). */
static bool
classify(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
         const struct rlb_pkt_info *info)
{
    if (!(req->flags & RLB_REQF_CLASSED)) {
        req->flags |= RLB_REQF_CLASSED;
        if (rlb_writes_is_write(&ctx->writes, data, info)) {
            req->flags |= RLB_REQF_WRITE;
            ctx->stats.writes++;
        }
    }
    return req->flags & RLB_REQF_WRITE;
}

/* The one place a request gets its server: the server that issued the
 * challenge it answers (or a clear reject when that server cannot go on),
 * otherwise the balancer's choice among the servers that take new
 * requests, otherwise radlb's own answer. A session the local table does
 * not know is first looked up in Redis (the request is parked meanwhile). */
static void
dispatch(struct rlb_ctx *ctx, struct rlb_request *req, const uint8_t *data,
         const struct rlb_pkt_info *info)
{
    struct rlb_server *s = NULL;
    double now = ev_now(ctx->loop);

    if (info->code == RLB_ACCESS_REQUEST && info->state_off) {
        const uint8_t *st = data + info->state_off;

        s = rlb_sticky_find(&ctx->sticky, st + 2, st[1] - 2u, now);
        if (!s && park(ctx, req, data, info, RLB_RKEY_STATE, st + 2, st[1] - 2u))
            return;
        if (!s)
            ctx->sticky.stats.orphans++;   /* expired, or issued before radlb started */
        if (s && !rlb_server_takes_pinned(s)) {
            /* Only that server knows the code: never a silent timeout, never
             * a forward to a server that would reject it anyway. */
            s->stats.pinned_rejects++;
            ctx->sticky.stats.rejects++;
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->sticky.reject_message);
            return;
        }
        if (s) {
            ctx->sticky.stats.hits++;
            req->flags |= RLB_REQF_PINNED;
            req->pin_fp = rlb_sticky_fingerprint(&ctx->sticky, st + 2, st[1] - 2u);
            req->pin_len = (uint8_t)(st[1] - 2u);
        }
    } else if (classify(ctx, req, data, info)) {
        route_write(ctx, req, data, info);
        return;
    } else if (info->code == RLB_ACCESS_REQUEST &&
               ((req->flags & RLB_REQF_AFFKEY) ||
                rlb_affinity_key(&ctx->conf->sticky, data, info, req->affkey))) {
        req->flags |= RLB_REQF_AFFKEY;
        s = rlb_sticky_find(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, now);
        if (!s && park(ctx, req, data, info, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN))
            return;
        if (s && !rlb_server_takes_pinned(s)) {
            /* A guess without State: balance it as the new login it may be. */
            rlb_sticky_remove(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN);
            s = NULL;
        }
        if (s) {
            ctx->affinity.stats.hits++;
            req->flags |= RLB_REQF_AFFINITY;
        } else {
            ctx->affinity.stats.orphans++;     /* shown as affinity misses */
        }
    }
    if (!s && !ctx->conf->health.master_serves_reads)
        s = rlb_balance_pick_except(&ctx->balancer, ctx->servers.v, ctx->servers.n,
                                    ctx->master.server);
    if (!s)                        /* (the master too, when it is the only one left) */
        s = rlb_balance_pick(&ctx->balancer, ctx->servers.v, ctx->servers.n);
    if (!s) {
        ctx->stats.no_server++;
        if (info->code == RLB_ACCESS_REQUEST)
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.unavailable_message);
        else
            rlb_px_forget(ctx, req);      /* accounting: no Accounting-Response, the NAS retries */
        return;
    }
    send_to_server(ctx, req, s, data, info);
}

void
rlb_proxy_redis_answer(struct rlb_ctx *ctx, struct rlb_request *req, const char *server)
{
    uint8_t pkt[RLB_PKT_MAX];
    size_t len = req->blob_len;
    struct rlb_pkt_info info;
    struct rlb_server *s = server ? rlb_servers_find(&ctx->servers, server) : NULL;

    rlb_timeq_remove(&ctx->parked, req);
    memcpy(pkt, req->blob, len);
    rlb_buf_put(&ctx->bufs, req->blob, req->blob_len);
    req->blob = NULL;
    req->blob_len = 0;
    if (rlb_pkt_parse(pkt, &len, false, &info) != RLB_DROP_NONE) {
        rlb_px_forget(ctx, req);          /* it parsed before: cannot happen */
        return;
    }
    keep_proxy_state(ctx, req, pkt, &info);
    /* Another instance saw the challenge: remember it here too. */
    if (s && info.state_off)
        rlb_sticky_add(&ctx->sticky, pkt + info.state_off + 2, pkt[info.state_off + 1] - 2u, s,
                       ev_now(ctx->loop));
    else if (s && (req->flags & RLB_REQF_AFFKEY))
        rlb_sticky_add(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, s, ev_now(ctx->loop));
    else if (server && !s)
        rlb_debug("Redis names server \"%s\", which this instance does not have", server);
    dispatch(ctx, req, pkt, &info);
}

/* A new request: its slot, its place in the duplicate table. */
static void
admit(struct rlb_ctx *ctx, struct rlb_listener *l, struct rlb_sconn *conn, struct rlb_client *c,
      const uint8_t *data, const struct rlb_pkt_info *info, const union rlb_sockaddr *src,
      const union rlb_local *local, uint32_t hash)
{
    struct rlb_request *req = rlb_req_get(&ctx->reqs);

    if (!req) {
        drop_from_client(ctx, c, src, info->code, RLB_DROP_NO_SOCKET);
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
    req->hash = hash;
    memcpy(req->client_auth, data + 4, RLB_AUTH_LEN);
    keep_proxy_state(ctx, req, data, info);
    c->refs++;
    rlb_dedup_insert(&ctx->dedup, req);
    dispatch(ctx, req, data, info);
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
        drop_from_client(ctx, NULL, src, 0, RLB_DROP_UNKNOWN_CLIENT);
        return RLB_DROP_UNKNOWN_CLIENT;
    }
    /* TLS protects the packet: the BlastRADIUS requirements are for UDP
     * and TCP (checklist 33). */
    tls = conn && conn->st.ssl;
    why = rlb_pkt_parse(data, &len, c->require_ma && !tls && len > 0 && data[0] == RLB_ACCESS_REQUEST,
                        &info);
    if (why != RLB_DROP_NONE) {
        drop_from_client(ctx, c, src, len > 0 ? data[0] : 0, why);
        return why;
    }
    ok_code = info.code == RLB_STATUS_SERVER ||
              (l->type != RLB_LISTEN_ACCT && info.code == RLB_ACCESS_REQUEST) ||
              (l->type != RLB_LISTEN_AUTH && info.code == RLB_ACCOUNTING_REQUEST);
    if (!ok_code) {
        drop_from_client(ctx, c, src, info.code, RLB_DROP_UNEXPECTED_CODE);
        return RLB_DROP_UNEXPECTED_CODE;
    }

    /* BlastRADIUS: before any authenticator is looked at. */
    if (info.code == RLB_ACCESS_REQUEST && c->limit_proxy_state && !tls && info.n_proxy_state &&
        !info.ma_off) {
        drop_from_client(ctx, c, src, info.code, RLB_DROP_PROXY_STATE_WITHOUT_MA);
        return RLB_DROP_PROXY_STATE_WITHOUT_MA;
    }
    if (info.ma_off &&
        !rlb_pkt_ma_ok(data, &info, info.code == RLB_ACCOUNTING_REQUEST ? zero_auth : data + 4,
                       &c->secret)) {
        drop_from_client(ctx, c, src, info.code, RLB_DROP_BAD_MESSAGE_AUTHENTICATOR);
        return RLB_DROP_BAD_MESSAGE_AUTHENTICATOR;
    }
    if (info.code == RLB_ACCOUNTING_REQUEST && !rlb_pkt_acct_request_ok(data, &info, &c->secret)) {
        drop_from_client(ctx, c, src, info.code, RLB_DROP_BAD_REQUEST_AUTHENTICATOR);
        return RLB_DROP_BAD_REQUEST_AUTHENTICATOR;
    }
    if (info.code == RLB_STATUS_SERVER) {
        answer_status_server(ctx, l, conn, c, data, &info, src, local);
        return RLB_DROP_NONE;
    }
    why = rlb_pkt_check_attrs(data, &info);
    if (why != RLB_DROP_NONE) {
        drop_from_client(ctx, c, src, info.code, why);
        return why;
    }

    hash = rlb_dedup_hash(&ctx->dedup, l, src, info.id);
    old = rlb_dedup_find(&ctx->dedup, hash, l, src, info.id);
    if (old) {
        if (memcmp(old->client_auth, data + 4, RLB_AUTH_LEN) == 0) {
            if (old->state == RLB_REQ_PENDING) {
                retransmit(ctx, old, data, &info, false);
            } else if (old->state == RLB_REQ_REROUTE) {
                /* Its server went down before answering: this retransmission
                 * goes to another one. */
                rlb_timeq_remove(&ctx->pending, old);
                dispatch(ctx, old, data, &info);
            } else if (old->state == RLB_REQ_PARKED || old->state == RLB_REQ_SPOOLING) {
                c->stats.retransmissions++;    /* Redis or the disk: it will go on */
            } else if (old->state == RLB_REQ_HELD) {
                c->stats.duplicates++;         /* the client waits: the challenge goes now */
                release_held(ctx, old);
            } else {
                /* Answered (or timed out without an answer): never forwarded again. */
                c->stats.duplicates++;
                if (old->blob)
                    send_to_client(ctx, old, old->blob, old->blob_len);
            }
            return RLB_DROP_NONE;
        }
        /* RFC 5080 2.2.2: a new authenticator on the same key is a new
         * request; the old one's answer, if it comes, is discarded. */
        rlb_dedup_remove(&ctx->dedup, old);
        if (old->state == RLB_REQ_PENDING || old->state == RLB_REQ_SPOOLING) {
            old->state = RLB_REQ_SUPERSEDED;   /* (a spooled record is still replayed) */
        } else if (old->state == RLB_REQ_REROUTE) {
            rlb_timeq_remove(&ctx->pending, old);
            rlb_px_free_request(ctx, old);
        } else if (old->state == RLB_REQ_PARKED || old->state == RLB_REQ_HELD) {
            rlb_rstore_cancel(old);
            rlb_timeq_remove(&ctx->parked, old);
            rlb_px_free_request(ctx, old);
        } else {
            rlb_timeq_remove(&ctx->done, old);
            rlb_px_free_request(ctx, old);
        }
    }
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

/* ------------------------------------------------------------------ */
/* Server side                                                        */

static bool
reply_fits(uint8_t req_code, uint8_t reply_code)
{
    if (req_code == RLB_ACCOUNTING_REQUEST)
        return reply_code == RLB_ACCOUNTING_RESPONSE;
    return reply_code == RLB_ACCESS_ACCEPT || reply_code == RLB_ACCESS_REJECT ||
           reply_code == RLB_ACCESS_CHALLENGE;
}

static void
count_reply(struct rlb_server *s, uint8_t code)
{
    switch (code) {
    case RLB_ACCESS_ACCEPT:       s->stats.access_accepts++; break;
    case RLB_ACCESS_REJECT:       s->stats.access_rejects++; break;
    case RLB_ACCESS_CHALLENGE:    s->stats.access_challenges++; break;
    case RLB_ACCOUNTING_RESPONSE: s->stats.accounting_responses++; break;
    default: break;
    }
}

rlb_drop_t
rlb_proxy_server_packet(struct rlb_ctx *ctx, struct rlb_bsock *b, uint8_t *data, size_t len)
{
    struct rlb_server *s = b->server;
    struct rlb_pkt_info info;
    struct rlb_request *req;
    rlb_drop_t why;
    uint8_t *out;
    ssize_t n;
    bool held;

    why = rlb_pkt_parse(data, &len, s->require_ma && !(b->link && b->link->st.ssl) && len > 0 &&
                                        data[0] != RLB_ACCOUNTING_RESPONSE, &info);
    if (why != RLB_DROP_NONE) {
        drop_from_server(ctx, s, why);
        return why;
    }
    req = rlb_bsock_lookup(b, info.id);
    if (!req) {
        drop_from_server(ctx, s, RLB_DROP_UNKNOWN_REPLY);
        return RLB_DROP_UNKNOWN_REPLY;
    }
    if (!rlb_pkt_reply_ok(data, &info, req->proxied_auth, &s->secret)) {
        drop_from_server(ctx, s, RLB_DROP_BAD_RESPONSE_AUTHENTICATOR);
        return RLB_DROP_BAD_RESPONSE_AUTHENTICATOR;
    }
    if (info.ma_off && !rlb_pkt_ma_ok(data, &info, req->proxied_auth, &s->secret)) {
        drop_from_server(ctx, s, RLB_DROP_BAD_MESSAGE_AUTHENTICATOR);
        return RLB_DROP_BAD_MESSAGE_AUTHENTICATOR;
    }
    if (!reply_fits(req->code, info.code)) {
        drop_from_server(ctx, s, RLB_DROP_UNEXPECTED_REPLY_CODE);
        return RLB_DROP_UNEXPECTED_REPLY_CODE;
    }
    why = rlb_pkt_check_attrs(data, &info);
    if (why != RLB_DROP_NONE) {
        drop_from_server(ctx, s, why);
        return why;
    }
    rlb_health_replied(s, ev_now(ctx->loop));
    if (req->flags & RLB_REQF_REPLAY) {
        rlb_px_end_pending(ctx, req);
        count_reply(s, info.code);
        rlb_latency_add(&s->latency, ev_now(ctx->loop) - req->when);
        rlb_acctspool_acked(ctx, req);
        return RLB_DROP_NONE;
    }
    if (!info.ma_off && info.code != RLB_ACCOUNTING_RESPONSE && !(b->link && b->link->st.ssl)) {
        s->stats.replies_without_ma++;
        if (!s->seen_no_ma) {
            s->seen_no_ma = true;
            rlb_warn("server %s sends %s without Message-Authenticator; radlb adds one toward the "
                     "client. Set require_message_authenticator = true for this server once it "
                     "signs its replies (BlastRADIUS)", s->name, code_name(info.code));
        }
    }

    if (req->state == RLB_REQ_SUPERSEDED) {
        rlb_px_end_pending(ctx, req);
        count_reply(s, info.code);
        ctx->stats.drops[RLB_DROP_SUPERSEDED]++;
        rlb_px_free_request(ctx, req);
        return RLB_DROP_NONE;
    }

    /* Rewrite first: a reply that cannot be rewritten is dropped and the
     * request keeps waiting (it times out rather than being resent to
     * another server). */
    out = rlb_outq_next(ctx->outq);
    n = rlb_pkt_build_reply(data, &info, &s->secret, req->proxied_auth, &req->client->secret,
                            req->client_id, req->client_auth, out, RLB_PKT_MAX, &why);
    if (n < 0) {
        drop_from_server(ctx, s, why);
        return why;
    }
    /* Record who issued the challenge before the client can answer it:
     * here, and for the other instances in Redis (the challenge is held
     * until Redis has it, at most redis.timeout, so that the answer finds
     * it whichever instance it reaches). */
    held = false;
    if (req->flags & RLB_REQF_PINNED) {
        /* The State this request answered is used up: forget it here and
         * in Redis (before recording a new one, which may be the same). */
        uint8_t st[256];
        size_t sl = rlb_sticky_consume(&ctx->sticky, req->pin_fp, req->pin_len, st);

        if (sl)
            rlb_rstore_del(ctx->rstore, RLB_RKEY_STATE, st, sl);
    }
    if (req->flags & RLB_REQF_AFFKEY) {
        if (info.code == RLB_ACCESS_CHALLENGE) {
            rlb_sticky_add(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN, s, ev_now(ctx->loop));
            rlb_rstore_set(ctx->rstore, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN, s->name,
                           ctx->affinity.ttl, NULL);
        } else if (req->flags & RLB_REQF_AFFINITY) {
            /* the exchange is over: the next login is balanced again */
            rlb_sticky_remove(&ctx->affinity, req->affkey, RLB_AFFINITY_KEY_LEN);
            rlb_rstore_del(ctx->rstore, RLB_RKEY_AFFINITY, req->affkey, RLB_AFFINITY_KEY_LEN);
        }
    }
    if (info.code == RLB_ACCESS_CHALLENGE && info.state_off && ctx->sticky.max) {
        const uint8_t *st = data + info.state_off;

        rlb_sticky_add(&ctx->sticky, st + 2, st[1] - 2u, s, ev_now(ctx->loop));
        held = rlb_rstore_set(ctx->rstore, RLB_RKEY_STATE, st + 2, st[1] - 2u, s->name,
                              ctx->sticky.ttl, req);
    }
    rlb_px_end_pending(ctx, req);
    count_reply(s, info.code);
    rlb_latency_add(&s->latency, ev_now(ctx->loop) - req->when);
    if (held) {
        hold_reply(ctx, req, out, (size_t)n);
    } else {
        send_to_client(ctx, req, out, (size_t)n);
        cache_reply(ctx, req, out, (size_t)n);
    }
    rlb_trace("server %s: %s id %u -> client %s id %u", s->name, code_name(info.code), info.id,
              req->client->name, req->client_id);
    return RLB_DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* Timers                                                             */

static void
pending_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;
    unsigned held;
    char note[64];

    (void)revents;
    while ((req = ctx->pending.head) && req->when + ctx->pending.wait <= now) {
        struct rlb_server *s = NULL;
        struct rlb_client *c = req->client;
        bool reject = req->code == RLB_ACCESS_REQUEST &&
                      ctx->conf->proxy.timeout_action == RLB_TIMEOUT_REJECT;

        if (req->flags & RLB_REQF_REPLAY) {
            s = rlb_px_end_pending(ctx, req);
            s->stats.timeouts++;
            rlb_acctspool_lost(ctx, req);
            continue;
        }
        if (req->state == RLB_REQ_REROUTE) {
            rlb_timeq_remove(&ctx->pending, req);   /* no retransmission came */
        } else {
            s = rlb_px_end_pending(ctx, req);
            s->stats.timeouts++;
        }
        if (req->state == RLB_REQ_SUPERSEDED) {
            rlb_px_free_request(ctx, req);
            continue;
        }
        c->stats.timeouts++;
        ctx->stats.timeouts++;
        if (s && rlb_ratelimit_ok(&s->rl_timeout, now, &held))
            rlb_warn("server %s did not answer %s id %u from client %s within %g s (%s)%s",
                     s->name, code_name(req->code), req->client_id, c->name, ctx->pending.wait,
                     reject ? "answered Access-Reject" : "no reply sent",
                     rlb_held_note(held, note, sizeof(note)));
        else if (!s && rlb_ratelimit_ok(&ctx->rl_reroute, now, &held))
            rlb_warn("client %s did not retransmit %s id %u within %g s after its server went "
                     "down (%s)%s", c->name, code_name(req->code), req->client_id,
                     ctx->pending.wait, reject ? "answered Access-Reject" : "no reply sent",
                     rlb_held_note(held, note, sizeof(note)));

        if (reject)
            rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.timeout_message);
        else if (req->code == RLB_ACCESS_REQUEST)
            /* No answer, but remembered for dedup_window: a late
             * retransmission must not start a second login elsewhere. */
            cache_reply(ctx, req, NULL, 0);
        else
            rlb_px_forget(ctx, req);      /* accounting: the NAS's retry is forwarded again */
    }
    rlb_timeq_arm(loop, &ctx->pending);
}

void
rlb_proxy_server_down(struct rlb_ctx *ctx, struct rlb_server *s, bool proven)
{
    double now = ev_now(ctx->loop);

    if (!proven)
        return;

    for (int kind = 0; kind < 2; kind++) {
        for (unsigned i = 0; i < s->nsocks[kind]; i++) {
            struct rlb_bsock *b = s->socks[kind][i];

            for (unsigned id = 0; id < 256; id++) {
                struct rlb_request *req = b->slot[id];

                if (!req)
                    continue;
                rlb_px_end_pending(ctx, req);
                if (req->flags & RLB_REQF_REPLAY) {
                    rlb_acctspool_lost(ctx, req);   /* replayed again to a master */
                } else if (req->state == RLB_REQ_SUPERSEDED) {
                    rlb_px_free_request(ctx, req);
                } else if (req->flags & RLB_REQF_PINNED) {
                    /* An open challenge: only this server could accept it. */
                    s->stats.pinned_rejects++;
                    ctx->sticky.stats.rejects++;
                    rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->sticky.reject_message);
                } else {
                    /* Never processed (the port is closed): the NAS's next
                     * retransmission goes to another server. */
                    req->state = RLB_REQ_REROUTE;
                    req->when = now;
                    s->stats.rerouted++;
                    rlb_timeq_push(&ctx->pending, req);
                }
            }
        }
    }
    rlb_timeq_arm(ctx->loop, &ctx->pending);
}

/* A TCP/TLS connection toward a server closed (backend.c). sent: it had
 * been open, so its requests may have reached the server and are never
 * sent again; otherwise nothing left and they go to another server at
 * the next retransmission (radlb's own for TCP/TLS clients). */
void
rlb_proxy_link_lost(struct rlb_ctx *ctx, struct rlb_bsock *b, bool sent)
{
    double now = ev_now(ctx->loop);
    struct rlb_server *s = b->server;

    for (unsigned id = 0; id < 256; id++) {
        struct rlb_request *req = b->slot[id];

        if (!req)
            continue;
        rlb_px_end_pending(ctx, req);
        if (req->flags & RLB_REQF_REPLAY) {
            rlb_acctspool_lost(ctx, req);
        } else if (req->state == RLB_REQ_SUPERSEDED) {
            rlb_px_free_request(ctx, req);
        } else if (!sent && !(req->flags & RLB_REQF_PINNED)) {
            req->state = RLB_REQ_REROUTE;
            req->when = now;
            s->stats.rerouted++;
            rlb_timeq_push(&ctx->pending, req);
        } else if (req->code == RLB_ACCESS_REQUEST) {
            /* As a timeout: an SMS may be on its way, the login is not
             * started again elsewhere. */
            s->stats.timeouts++;
            req->client->stats.timeouts++;
            ctx->stats.timeouts++;
            if (ctx->conf->proxy.timeout_action == RLB_TIMEOUT_REJECT)
                rlb_px_answer_locally(ctx, req, RLB_ACCESS_REJECT, ctx->conf->proxy.timeout_message);
            else
                cache_reply(ctx, req, NULL, 0);
        } else {
            rlb_px_forget(ctx, req);        /* accounting: the NAS retries */
        }
    }
    rlb_timeq_arm(ctx->loop, &ctx->pending);
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
        rlb_timeq_remove(&ctx->pending, req);
        dispatch(ctx, req, data, &info);
        return false;
    }
    if (req->bsock->link)
        return true;               /* a TCP/TLS server: keep watching for a reroute */
    retransmit(ctx, req, data, &info, true);
    return true;
}

/* Redis did not answer within redis.timeout: go on without it. */
static void
parked_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;

    (void)revents;
    while ((req = ctx->parked.head) && req->when + ctx->parked.wait <= now) {
        rlb_rstore_cancel(req);
        rlb_rstore_timed_out(ctx->rstore, req->state == RLB_REQ_HELD);
        if (req->state == RLB_REQ_HELD)
            release_held(ctx, req);    /* the challenge goes out without Redis */
        else
            rlb_proxy_redis_answer(ctx, req, NULL);
    }
    rlb_timeq_arm(loop, &ctx->parked);
}

static void
done_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rlb_ctx *ctx = w->data;
    double now = ev_now(loop);
    struct rlb_request *req;

    (void)revents;
    while ((req = ctx->done.head) && req->when + ctx->done.wait <= now) {
        rlb_timeq_remove(&ctx->done, req);
        rlb_dedup_remove(&ctx->dedup, req);
        rlb_px_free_request(ctx, req);
    }
    rlb_timeq_arm(loop, &ctx->done);
}

/* ------------------------------------------------------------------ */
/* Sockets                                                            */

static void
listener_readable(struct ev_loop *loop, ev_io *w, int revents)
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
                drop_from_client(ctx, rlb_clients_find(&ctx->clients, &rx->from[i]), &rx->from[i],
                                 rx->buf[i][0], RLB_DROP_TOO_LONG);
                continue;
            }
            rlb_proxy_client_packet(ctx, l, NULL, rx->buf[i], len, &rx->from[i],
                                    have_local ? &local : NULL);
        }
        if (n < RLB_RX_BATCH)
            break;
    }
}

static void
server_readable(struct ev_loop *loop, ev_io *w, int revents)
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
                drop_from_server(ctx, b->server, RLB_DROP_TOO_LONG);
                continue;
            }
            rlb_proxy_server_packet(ctx, b, rx->buf[i], len);
        }
        if (n < RLB_RX_BATCH)
            break;
    }
}

static void
flush_outbox(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct rlb_ctx *ctx = w->data;

    (void)loop;
    (void)revents;
    int fd;

    /* Group commit: spooled accounting becomes durable, then is answered. */
    rlb_acctspool_commit(ctx);
    if (ctx->outq->n)
        rlb_outq_flush(ctx->outq);
    rlb_streams_flush(&ctx->front.streams);
    /* Sends refused by ICMP port unreachable, noted during the flushes. */
    while ((fd = rlb_outq_take_refused(ctx->outq)) >= 0) {
        struct rlb_bsock *b = rlb_servers_bsock_by_fd(&ctx->servers, fd);

        if (b)
            rlb_health_port_unreachable(ctx, b->server, b->kind);
    }
}

static void
redis_master_cas(struct rlb_ctx *ctx, bool ok, bool answered, const char *name, uint64_t epoch)
{
    rlb_master_cas_done(ctx, ok, answered, name, epoch);
}

static const struct rlb_rstore_hooks redis_hooks = {
    rlb_proxy_redis_answer,
    rlb_proxy_redis_written,
    rlb_master_seen,
    redis_master_cas,
};

int
rlb_proxy_start(struct rlb_ctx *ctx)
{
    const struct rlb_conf *conf = ctx->conf;
    char err[512];

    ctx->rx = malloc(sizeof(*ctx->rx));
    ctx->outq = calloc(1, sizeof(*ctx->outq));
    if (!ctx->rx || !ctx->outq || rlb_dedup_init(&ctx->dedup, 4096) < 0) {
        rlb_err("out of memory");
        return -1;
    }
    rlb_outq_init(ctx->outq);
    ctx->rl_unknown.interval = RLB_LOG_INTERVAL;

    if (rlb_clients_build(&ctx->clients, conf) < 0)
        return -1;
    ctx->servers.loop = ctx->loop;
    ctx->servers.read_cb = server_readable;
    ctx->servers.cb_data = ctx;
    ctx->servers.sockets_opened = &ctx->stats.sockets_opened;
    ctx->front.streams.loop = ctx->loop;
    ctx->front.streams.handshake_timeout = conf->conns.handshake_timeout;
    if (rlb_servers_build(&ctx->servers, conf) < 0 || rlb_backend_start(ctx) < 0)
        return -1;
    ctx->balancer.algo = conf->proxy.balance;
    if (rlb_sticky_init(&ctx->sticky, ctx->loop, &ctx->bufs, conf->sticky.ttl,
                        (unsigned long)conf->sticky.max_entries) < 0 ||
        rlb_sticky_init(&ctx->affinity, ctx->loop, &ctx->bufs, conf->sticky.affinity_ttl,
                        (unsigned long)conf->sticky.max_entries) < 0)
        return -1;
    ctx->sticky.per_server = true;
    rlb_dict_set_max_attributes((unsigned)conf->proxy.max_attributes);
    if (rlb_writes_build(&ctx->writes, conf, err, sizeof(err)) < 0) {
        rlb_err("%s", err);
        return -1;
    }

    ev_timer_init(&ctx->pending.timer, pending_expired, 0, 0);
    ctx->pending.timer.data = ctx;
    ctx->pending.wait = conf->proxy.response_timeout;
    ev_timer_init(&ctx->done.timer, done_expired, 0, 0);
    ctx->done.timer.data = ctx;
    ctx->done.wait = conf->proxy.dedup_window;
    ev_timer_init(&ctx->parked.timer, parked_expired, 0, 0);
    ctx->parked.timer.data = ctx;
    ctx->parked.wait = conf->redis.timeout;
    if (rlb_master_start(ctx) < 0 || rlb_acctspool_start(ctx) < 0 || rlb_health_start(ctx) < 0 ||
        rlb_rstore_start(ctx, &redis_hooks) < 0)
        return -1;

    ctx->listeners = calloc(conf->nlisten, sizeof(*ctx->listeners));
    if (!ctx->listeners)
        return -1;
    for (unsigned i = 0; i < conf->nlisten; i++) {
        struct rlb_listener *l = &ctx->listeners[ctx->nlisteners];
        char where[RLB_ADDRSTRLEN];

        if (conf->listen[i].proto != RLB_PROTO_UDP)
            continue;              /* front.c */
        if (rlb_listener_open(l, &conf->listen[i], conf->proxy.recv_buffer, err, sizeof(err)) < 0) {
            rlb_err("%s", err);
            return -1;
        }
        ctx->nlisteners++;
        ev_set_cb(&l->io, listener_readable);
        l->io.data = ctx;
        ev_io_start(ctx->loop, &l->io);
        rlb_info("listening for %s on %s/udp", l->type == RLB_LISTEN_AUTH ? "authentication" : "accounting",
                 rlb_sockaddr_str(&l->addr, where, sizeof(where)));
    }
    if (rlb_front_start(ctx) < 0)
        return -1;

    ev_prepare_init(&ctx->flush, flush_outbox);
    ctx->flush.data = ctx;
    ev_prepare_start(ctx->loop, &ctx->flush);
    ctx->started = ev_now(ctx->loop);
    return 0;
}

void
rlb_proxy_stop(struct rlb_ctx *ctx)
{
    struct rlb_request *req;

    /* Challenges held for Redis go to their clients while the listeners
     * are still open; lookups in flight are given up. */
    ev_timer_stop(ctx->loop, &ctx->parked.timer);
    while ((req = ctx->parked.head)) {
        if (req->state == RLB_REQ_HELD) {
            release_held(ctx, req);
            continue;
        }
        rlb_rstore_cancel(req);
        rlb_timeq_remove(&ctx->parked, req);
        rlb_px_free_request(ctx, req);
    }
    rlb_rstore_stop(ctx);
    /* Spooled accounting: made durable and answered before the sockets close. */
    rlb_acctspool_commit(ctx);
    if (ctx->outq && ctx->outq->n)
        rlb_outq_flush(ctx->outq);
    rlb_front_stop(ctx);           /* replies already queued go out first */
    for (unsigned i = 0; i < ctx->nlisteners; i++) {
        ev_io_stop(ctx->loop, &ctx->listeners[i].io);
        close(ctx->listeners[i].io.fd);
    }
    free(ctx->listeners);
    ctx->listeners = NULL;
    ctx->nlisteners = 0;
    ev_timer_stop(ctx->loop, &ctx->pending.timer);
    ev_timer_stop(ctx->loop, &ctx->done.timer);
    ev_prepare_stop(ctx->loop, &ctx->flush);

    while ((req = ctx->pending.head)) {
        if (req->state != RLB_REQ_REROUTE)
            rlb_px_end_pending(ctx, req);
        else
            rlb_timeq_remove(&ctx->pending, req);
        rlb_px_free_request(ctx, req);
    }
    rlb_acctspool_stop(ctx);
    rlb_master_stop(ctx);
    rlb_writes_free(&ctx->writes);
    while ((req = ctx->done.head)) {
        rlb_timeq_remove(&ctx->done, req);
        rlb_px_free_request(ctx, req);
    }
    rlb_health_stop(ctx);
    rlb_sticky_free(&ctx->sticky);
    rlb_sticky_free(&ctx->affinity);
    rlb_backend_stop(ctx);
    rlb_servers_free(&ctx->servers);
    rlb_backend_free(ctx);
    rlb_front_free(ctx);
    rlb_clients_free(&ctx->clients);
    rlb_dedup_free(&ctx->dedup);
    rlb_reqpool_free(&ctx->reqs);
    rlb_bufpool_free(&ctx->bufs);
    free(ctx->rx);
    free(ctx->outq);
    ctx->rx = NULL;
    ctx->outq = NULL;
}
