/*
 * nasreport.c: what radlb learns of each NAS (client) from its traffic,
 * for the admin (issue 15, item 4):
 *
 *   - replies that came after the NAS had stopped retransmitting: its
 *     retransmissions came every I s, k of them, and the reply came more
 *     than 1.5 I (and half a second) after the last one, when another was
 *     due: the NAS had given up, its timeout is too short for an MFA
 *     server that waits on a human (a push, a call). Counted, and one
 *     line per client and minute naming the timeout to raise;
 *   - Access-Challenges sent to it and answers to them (a State radlb
 *     knows): a NAS that got challenges and never answered one cannot do
 *     challenge-response (SMS or OTP codes). One line once.
 *
 * A NAS that never retransmits (one copy, or TCP) tells nothing of its
 * timeout: its replies are never counted late.
 */
#include "config.h"

#include "flow.h"
#include "radius.h"

#define LATE_LOG_EVERY   60.0      /* seconds between two lines of a client */
#define NO_ANSWERS_AFTER 10        /* challenges before "answers none" is said */

void
rlb_px_nas_copy(struct rlb_ctx *ctx, struct rlb_request *req)
{
    double gap = (ev_now(ctx->loop) - req->when) * 1000.0;

    if (req->nas_copies < 255)
        req->nas_copies++;
    req->nas_gap_ms = gap <= 0 ? 0 : gap >= 4.0e9 ? 4000000000u : (uint32_t)gap;
}

void
rlb_px_nas_answer(struct rlb_ctx *ctx, struct rlb_request *req)
{
    (void)ctx;
    if (req->client)
        req->client->stats.challenge_answers++;
}

void
rlb_px_nas_reply(struct rlb_ctx *ctx, struct rlb_request *req, uint8_t code)
{
    struct rlb_client *c = req->client;
    double now = ev_now(ctx->loop), took = now - req->when, every, last;
    unsigned held;
    char note[64];

    if (!c)
        return;
    if (code == RLB_ACCESS_CHALLENGE) {
        c->stats.challenges++;
        if (!c->told_no_answers && c->stats.challenges >= NO_ANSWERS_AFTER &&
            c->stats.challenge_answers == 0) {
            c->told_no_answers = true;
            rlb_warn("client %s answered none of the %llu Access-Challenges it got: it may not "
                     "do challenge-response (SMS or OTP codes typed by the user); check its "
                     "RADIUS settings, or give its users a push method", c->name,
                     (unsigned long long)c->stats.challenges);
        }
    }
    if (!req->nas_copies || req->conn)
        return;
    last = req->nas_gap_ms / 1000.0;
    every = last / req->nas_copies;
    if (took <= last + 1.5 * every + 0.5)
        return;
    c->stats.late_replies++;
    c->rl_late.interval = LATE_LOG_EVERY;
    if (rlb_ratelimit_ok(&c->rl_late, now, &held))
        rlb_warn("client %s: a reply came %.1f s after the request, %.1f s after the client's "
                 "last copy (it retransmitted %u times, every %.1f s): it had most likely "
                 "given up, after about %.0f s. MFA servers wait on humans (a push, a call): "
                 "raise the client's RADIUS timeout to 60 s or more, with 1 or 2 "
                 "retransmissions%s", c->name, took, took - last, (unsigned)req->nas_copies,
                 every, last + every, rlb_held_note(held, note, sizeof(note)));
}
