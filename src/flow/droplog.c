/*
 * droplog.c: what happens to a dropped packet: a counter (global, and the
 * client's or server's), and a log line an on-call person can act on, at
 * most one per reason and peer every RLB_LOG_INTERVAL.
 */
#include "config.h"

#include "flow.h"

void
rlb_px_drop_client(struct rlb_ctx *ctx, struct rlb_client *c, const union rlb_sockaddr *src,
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
             rlb_code_name(code), rlb_drop_help(why),
             why == RLB_DROP_BAD_MESSAGE_AUTHENTICATOR || why == RLB_DROP_BAD_REQUEST_AUTHENTICATOR
                 ? " (does the NAS use the same shared secret?)" : "",
             rlb_held_note(held, note, sizeof(note)));
}

void
rlb_px_drop_server(struct rlb_ctx *ctx, struct rlb_server *s, rlb_drop_t why)
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
             why == RLB_DROP_UNKNOWN_REPLY ? " (an answer sent again for a retransmission, or a "
                                             "late answer after response_timeout?)" : "",
             rlb_held_note(held, note, sizeof(note)));
}
