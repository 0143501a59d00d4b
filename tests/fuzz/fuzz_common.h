/*
 * fuzz_common.h: what the libFuzzer targets share: a running struct
 * rlb_ctx built from a small configuration (the same path as radlb's
 * main(): rlb_conf_load, rlb_dict_load, rlb_proxy_start), reset between
 * inputs, and the signing fix-ups that let mutated packets get past the
 * authenticator checks to the code behind them.
 *
 * The configuration, the secrets and the client addresses below are also
 * those of tests/fuzz/make-seeds.py: keep them in step.
 */
#ifndef RLB_FUZZ_COMMON_H
#define RLB_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

#define FZ_CLIENT1_SECRET "fuzz-client-secret-1"   /* 127.0.0.1: no requirements */
#define FZ_CLIENT2_SECRET "fuzz-client-secret-2"   /* 127.0.0.2: require MA, limit Proxy-State */
#define FZ_CLIENT3_SECRET "fuzz-client-secret-3"   /* 127.0.0.3: limit Proxy-State */
#define FZ_SERVER1_SECRET "fuzz-server-secret-1"   /* mfa1, master */
#define FZ_SERVER2_SECRET "fuzz-server-secret-2"   /* mfa2, requires MA */

struct fz_env {
    struct rlb_ctx ctx;
    char           dir[64];         /* /tmp/rlb-fuzz-XXXXXX */
    char           conf[96];        /* dir/radlb.conf */
};

/* Source address of client i (0..2: the three configured clients; 3: an
 * address no client has). */
void fz_client_addr(unsigned i, union rlb_sockaddr *out);

/* Writes the configuration, loads it and the dictionary, starts the proxy
 * (listeners and server sockets on free loopback ports, never written to:
 * the outbox is discarded by fz_env_reset). Exits on failure. */
void fz_env_start(struct fz_env *e);
/* The same, with more configuration text appended (pools, routes). */
void fz_env_start_with(struct fz_env *e, const char *extra);
/* A free loopback UDP port (for servers of that extra text). */
int  fz_free_port(void);
/* The first listener of a type (RLB_LISTEN_AUTH or RLB_LISTEN_ACCT). */
struct rlb_listener *fz_listener(struct fz_env *e, int type);
/* Forgets every request (pending, done) and the outbox: the next input
 * starts from the same state. */
void fz_env_reset(struct fz_env *e);

/* Length of the packet as its header says, when the buffer holds it and it
 * is at least a header; 0 otherwise. */
size_t fz_pkt_len(const uint8_t *p, size_t len);
/* Offset of the first well-framed 18-octet Message-Authenticator, 0 if none. */
size_t fz_find_ma(const uint8_t *p, size_t len);

/* Signs a request in place as a NAS would: Message-Authenticator (if the
 * packet has one) and, for Accounting-Request, the Request Authenticator. */
void fz_sign_request(uint8_t *p, size_t len, const struct rlb_secret *s);
/* Signs a reply to a request sent with req_auth: Message-Authenticator (if
 * any), then the Response Authenticator. */
void fz_sign_reply(uint8_t *p, size_t len, const uint8_t req_auth[16], const struct rlb_secret *s);

/* FUZZ_VERBOSE set: the targets say what became of each packet (to check
 * that the seeds reach what they are meant to). */
bool fz_verbose(void);

/* Reads every octet (so that ASan sees an out-of-bounds view). */
void fz_touch(const uint8_t *p, size_t len);

#endif
