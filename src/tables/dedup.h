/*
 * dedup.h: the duplicate table. Every request, from arrival until its
 * cached reply expires, is found here by (listener, client address and
 * port, Identifier) (RFC 5080 2.2.2); the Request Authenticator then
 * tells a retransmission from a new request reusing the Identifier.
 * Chained hashing with a keyed hash (SipHash-1-3) so that a client cannot
 * aim collisions (htab.h: the table doubles when its load passes 1).
 */
#ifndef RLB_DEDUP_H
#define RLB_DEDUP_H

#include <stdint.h>

#include "request.h"

struct rlb_dedup {
    struct rlb_htab      tab;           /* of requests, by req->hnode */
    uint8_t              key[16];       /* hash key, random per process */
};

int  rlb_dedup_init(struct rlb_dedup *d, unsigned initial);
void rlb_dedup_free(struct rlb_dedup *d);
uint32_t rlb_dedup_hash(const struct rlb_dedup *d, const struct rlb_listener *l,
                        const union rlb_sockaddr *src, uint8_t id);
struct rlb_request *rlb_dedup_find(const struct rlb_dedup *d, uint32_t hash,
                                   const struct rlb_listener *l,
                                   const union rlb_sockaddr *src, uint8_t id);
/* req->hnode.hash, listener, src and client_id must be set. */
void rlb_dedup_insert(struct rlb_dedup *d, struct rlb_request *req);
void rlb_dedup_remove(struct rlb_dedup *d, struct rlb_request *req);

/* SipHash-1-3 (exported for the unit tests). */
uint64_t rlb_siphash13(const uint8_t key[16], const void *data, size_t len);

#endif
