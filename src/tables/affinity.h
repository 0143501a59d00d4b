/*
 * affinity.h: affinity for clients that do not echo State. Some NAS drop
 * the State of an Access-Challenge from their answer; the answer then
 * looks like a new login. When sticky.affinity_attributes is set, a
 * request without State has an affinity key: MD5 over the values of those
 * attributes (in configuration order, each with its length). A challenge
 * records key -> server for sticky.affinity_ttl; a request without State
 * and with the same key goes to that server. The key is a digest, the same
 * on every radlb instance (shareable through Redis) and free of user names.
 */
#ifndef RLB_AFFINITY_H
#define RLB_AFFINITY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "pkt.h"

#define RLB_AFFINITY_KEY_LEN 16

/* False when affinity is off or an attribute is missing from the packet.
 * pool: the pool's name mixed into the key (NULL for the default pool,
 * whose keys stay as they were before pools), so that one user's keys in
 * two pools are two keys. */
bool rlb_affinity_key(const struct rlb_conf_sticky *cs, const char *pool, const uint8_t *pkt,
                      const struct rlb_pkt_info *info, uint8_t key[RLB_AFFINITY_KEY_LEN]);

#endif
