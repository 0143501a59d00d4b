/*
 * fuzz_client.c: a datagram from a NAS, through the proxy's entry point
 * rlb_proxy_client_packet(): validation (rlb_pkt_parse and
 * rad_packet_ok), the BlastRADIUS rules, Message-Authenticator and
 * Accounting Request Authenticator checks, Status-Server answers, the typed
 * attribute checks, the duplicate table, write classification, affinity,
 * balancing and the rewrite toward the server (User-Password and other
 * hidden attributes decrypted and hidden again, Proxy-State kept,
 * CHAP-Challenge added).
 *
 * Input: one control octet, then the datagram.
 *   bits 0-1  source: client 0 (plain), 1 (require MA, limit Proxy-State),
 *             2 (limit Proxy-State), 3 (unknown client)
 *   bit 2     accounting listener (else authentication)
 *   bit 3     sign it first with the client's secret (Message-Authenticator
 *             when present, Accounting Request Authenticator), so that
 *             mutations reach the code behind the checks
 *   bit 4     send it twice (retransmission of a pending request)
 *   bit 5     then again with another Request Authenticator (supersedes)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pkt.h"
#include "proxy.h"

static struct fz_env env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_start(&env);
    return 0;
}

/* One delivery: a private copy of exactly len octets, as from recvmmsg. */
static void
deliver(struct rlb_listener *l, const union rlb_sockaddr *src, const uint8_t *pkt, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    rlb_drop_t why;

    if (!buf)
        return;
    memcpy(buf, pkt, len);
    why = rlb_proxy_client_packet(&env.ctx, l, NULL, buf, len, src, NULL);
    if (fz_verbose())
        fprintf(stderr, "fuzz_client: %zu octets: %s, %lu pending, %lu done\n", len,
                why == RLB_DROP_NONE ? "taken" : rlb_drop_name(why), rlb_timeq_count(&env.ctx.pending),
                rlb_timeq_count(&env.ctx.done));
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    union rlb_sockaddr src;
    struct rlb_listener *l;
    uint8_t *pkt;
    size_t len;
    uint8_t ctl;

    if (size < 1 || size > RLB_PKT_MAX + 64)
        return -1;
    ctl = data[0];
    len = size - 1;
    fz_client_addr(ctl & 3, &src);
    l = fz_listener(&env, (ctl & 4) ? RLB_LISTEN_ACCT : RLB_LISTEN_AUTH);
    pkt = malloc(len ? len : 1);
    if (!pkt)
        return 0;
    memcpy(pkt, data + 1, len);
    if (ctl & 8) {
        const struct rlb_client *c = rlb_clients_find(&env.ctx.clients, &src);

        if (c)
            fz_sign_request(pkt, len, &c->secret);
    }
    deliver(l, &src, pkt, len);
    if (ctl & 16)
        deliver(l, &src, pkt, len);
    if ((ctl & 32) && len >= RLB_HDR_LEN) {
        const struct rlb_client *c = rlb_clients_find(&env.ctx.clients, &src);

        pkt[4] ^= 0x5a;
        if (c && (ctl & 8))
            fz_sign_request(pkt, len, &c->secret);
        deliver(l, &src, pkt, len);
    }
    free(pkt);
    fz_env_reset(&env);
    return 0;
}
