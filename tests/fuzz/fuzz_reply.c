/*
 * fuzz_reply.c: a datagram from a server, through the proxy's entry point
 * rlb_proxy_server_packet(): validation, the Identifier lookup, Response
 * Authenticator and Message-Authenticator checks, the reply code, the
 * typed attribute checks (abinary, WiMAX continuations, empty concat
 * data, encrypted attributes of impossible length), sticky sessions and
 * affinity for Access-Challenge, and the rewrite toward the client
 * (Tunnel-Password, MS-MPPE keys and other hidden attributes decrypted with
 * the server secret and re-encrypted with the client's, Proxy-State,
 * State and Class byte for byte, re-signing).
 *
 * Each input first sends one of four requests from a client (so that a
 * request waits for the reply), then delivers the reply.
 * Input: one control octet, then the reply.
 *   bits 0-1  the request: 0 Access-Request (PAP, Message-Authenticator),
 *             1 Access-Request from the strict client with Proxy-State and
 *             State, 2 Accounting-Request, 3 Access-Request with
 *             CHAP-Password and no Message-Authenticator
 *   bit 2     fix the reply up: the pending request's Identifier, then sign
 *             it (Message-Authenticator when present, Response
 *             Authenticator) with the server's secret
 *   bit 3     deliver the reply twice (the second finds no request)
 *   bit 4     the client sends the request again with another
 *             authenticator before the reply (superseded)
 *   bit 5     the request goes to the second server (round robin)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pkt.h"
#include "proxy.h"
#include "radius.h"

static struct fz_env env;

struct canned {
    uint8_t  pkt[256];
    size_t   len;
    unsigned client;               /* fz_client_addr */
    int      listener;
};

static struct canned reqs[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
attr(struct canned *c, uint8_t type, const void *val, size_t len)
{
    c->pkt[c->len] = type;
    c->pkt[c->len + 1] = (uint8_t)(len + 2);
    memcpy(c->pkt + c->len + 2, val, len);
    c->len += len + 2;
}

static void
header(struct canned *c, uint8_t code, uint8_t id, unsigned client, int listener)
{
    memset(c, 0, sizeof(*c));
    c->pkt[0] = code;
    c->pkt[1] = id;
    for (int i = 0; i < 16; i++)
        c->pkt[4 + i] = (uint8_t)(0x11 * (i + 1) + id);
    c->len = RLB_HDR_LEN;
    c->client = client;
    c->listener = listener;
}

static void
finish(struct canned *c)
{
    union rlb_sockaddr src;
    const struct rlb_client *cl;

    rlb_put16(c->pkt + 2, (uint16_t)c->len);
    fz_client_addr(c->client, &src);
    cl = rlb_clients_find(&env.ctx.clients, &src);
    fz_sign_request(c->pkt, c->len, &cl->secret);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const uint8_t zero16[16], pw[16] = "0123456789abcdef";
    static const uint8_t start[4] = { 0, 0, 0, 1 }, nas_ip[4] = { 192, 0, 2, 1 };
    static const uint8_t chap[17] = { 7, 'c', 'h', 'a', 'p', 'c', 'h', 'a', 'p', 'c', 'h', 'a', 'p', 'c', 'h', 'a', 'p' };
    struct canned *c;

    (void)argc;
    (void)argv;
    fz_env_start(&env);

    c = &reqs[0];
    header(c, RLB_ACCESS_REQUEST, 1, 0, RLB_LISTEN_AUTH);
    attr(c, RLB_ATTR_MESSAGE_AUTHENTICATOR, zero16, 16);
    attr(c, RLB_ATTR_USER_NAME, "alice", 5);
    attr(c, RLB_ATTR_USER_PASSWORD, pw, 16);
    attr(c, 4, nas_ip, 4);                         /* NAS-IP-Address */
    finish(c);

    c = &reqs[1];
    header(c, RLB_ACCESS_REQUEST, 2, 1, RLB_LISTEN_AUTH);
    attr(c, RLB_ATTR_MESSAGE_AUTHENTICATOR, zero16, 16);
    attr(c, RLB_ATTR_USER_NAME, "bob", 3);
    attr(c, RLB_ATTR_USER_PASSWORD, pw, 16);
    attr(c, RLB_ATTR_STATE, "challenge-state-1", 17);
    attr(c, RLB_ATTR_PROXY_STATE, "ps-one", 6);
    attr(c, RLB_ATTR_PROXY_STATE, "ps-two-two", 10);
    finish(c);

    c = &reqs[2];
    header(c, RLB_ACCOUNTING_REQUEST, 3, 0, RLB_LISTEN_ACCT);
    attr(c, 40, start, 4);                         /* Acct-Status-Type Start */
    attr(c, 44, "session-0001", 12);               /* Acct-Session-Id */
    attr(c, RLB_ATTR_USER_NAME, "carol", 5);
    attr(c, RLB_ATTR_PROXY_STATE, "acct-ps", 7);
    finish(c);

    c = &reqs[3];
    header(c, RLB_ACCESS_REQUEST, 4, 2, RLB_LISTEN_AUTH);
    attr(c, RLB_ATTR_USER_NAME, "dave", 4);
    attr(c, RLB_ATTR_CHAP_PASSWORD, chap, sizeof(chap));
    finish(c);
    return 0;
}

static void
send_request(const struct canned *c, bool other_auth)
{
    union rlb_sockaddr src;
    uint8_t buf[256];
    const struct rlb_client *cl;

    fz_client_addr(c->client, &src);
    memcpy(buf, c->pkt, c->len);
    if (other_auth) {
        cl = rlb_clients_find(&env.ctx.clients, &src);
        if (buf[0] == RLB_ACCOUNTING_REQUEST)
            buf[c->len - 1] ^= 1;                  /* a different record */
        else
            buf[4] ^= 0xff;
        fz_sign_request(buf, c->len, &cl->secret);
    }
    rlb_proxy_client_packet(&env.ctx, fz_listener(&env, c->listener), NULL, buf, c->len, &src,
                            NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct canned *c;
    struct rlb_request *req;
    struct rlb_bsock *b;
    uint8_t *reply, auth[RLB_AUTH_LEN];
    size_t len;
    uint8_t ctl;

    if (size < 1 || size > RLB_PKT_MAX + 64)
        return -1;
    ctl = data[0];
    c = &reqs[ctl & 3];
    env.ctx.pools[0]->balancer.cursor = (ctl >> 5) & 1;
    send_request(c, false);
    req = rlb_timeq_tail(&env.ctx.pending);
    if (!req || !req->bsock) {
        fz_env_reset(&env);
        return 0;
    }
    b = req->bsock;
    memcpy(auth, req->proxied_auth, RLB_AUTH_LEN);
    len = size - 1;
    reply = malloc(len ? len : 1);
    if (!reply) {
        fz_env_reset(&env);
        return 0;
    }
    memcpy(reply, data + 1, len);
    if ((ctl & 4) && len >= RLB_HDR_LEN) {
        reply[1] = req->proxied_id;
        fz_sign_reply(reply, len, auth, &b->server->secret);
    }
    if (ctl & 16)
        send_request(c, true);                    /* req is now superseded */
    {
        uint8_t *copy = malloc(len ? len : 1);

        if (copy) {
            memcpy(copy, reply, len);
            rlb_drop_t why = rlb_proxy_server_packet(&env.ctx, b, copy, len);

            if (fz_verbose())
                fprintf(stderr, "fuzz_reply: request %d to %s, reply: %s, %lu done\n", ctl & 3,
                        b->server->name, why == RLB_DROP_NONE ? "taken" : rlb_drop_name(why),
                        rlb_timeq_count(&env.ctx.done));
            if (ctl & 8) {
                memcpy(copy, reply, len);
                why = rlb_proxy_server_packet(&env.ctx, b, copy, len);
                if (fz_verbose())
                    fprintf(stderr, "fuzz_reply: again: %s\n",
                            why == RLB_DROP_NONE ? "taken" : rlb_drop_name(why));
            }
            free(copy);
        }
    }
    free(reply);
    fz_env_reset(&env);
    return 0;
}
