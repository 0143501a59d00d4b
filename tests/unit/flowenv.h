/*
 * flowenv.h: what the Check tests of the request flow (check_flow*.c)
 * share: the fuzzers' running context (tests/fuzz/fuzz_common.c: two
 * servers mfa1 (master) and mfa2, round-robin, real sockets that are never
 * flushed), packets from the NAS "plain" and from the servers, and a look
 * at what the flow did (the duplicate table, the outbox).
 *
 * flow_start() is the unchecked fixture (once per process); flow_reset()
 * the checked one (before each test): in fork mode each test starts from
 * the fixture's context anyway, with CK_FORK=no (make unit-valgrind) it
 * undoes what the previous test changed.
 */
#ifndef RLB_FLOWENV_H
#define RLB_FLOWENV_H

#include <check.h>
#include <stdint.h>

#include "ctx.h"
#include "drop.h"
#include "testutil.h"

/* The running context (set by flow_start). */
extern struct rlb_ctx *flow_ctx;

void flow_start(void);
/* The same, with configuration text appended to the fuzzers' (pools). */
void flow_start_with(const char *extra);
void flow_reset(void);

/* An Access-Request from the NAS: Identifier id, authenticator filled with
 * seed, User-Name user, and State when state is not NULL. */
void flow_request(struct tpkt *p, uint8_t id, uint8_t seed, const char *user, const char *state);
/* p handed to the flow as the NAS's datagram on the auth listener. */
rlb_drop_t flow_from_nas(const struct tpkt *p);
/* The request the duplicate table holds for the NAS's Identifier id. */
struct rlb_request *flow_find(uint8_t id);
/* The server answers req with code (and State when not NULL), signed as
 * it would sign it. */
rlb_drop_t flow_from_server(struct rlb_request *req, uint8_t code, const char *state);
/* The last datagram in the outbox (fails the test when it is empty). */
const uint8_t *flow_last_out(void);
/* The server of this name. */
struct rlb_server *flow_server(const char *name);
/* main()'s end: runs the test case tc in a suite of that name; the exit
 * status (EXIT_SUCCESS when every test passed). */
int flow_run(const char *name, TCase *tc);

#endif
