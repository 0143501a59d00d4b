/*
 * dedup.c: the duplicate table (see dedup.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "dedup.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
    do {                                                                      \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);             \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);             \
    } while (0)

static uint64_t
le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t
rlb_siphash13(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *in = data;
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    uint64_t b = (uint64_t)len << 56, m;
    size_t i, end = len - len % 8;

    for (i = 0; i < end; i += 8) {
        m = le64(in + i);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (size_t j = 0; j < len % 8; j++)
        b |= (uint64_t)in[end + j] << (8 * j);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

int
rlb_dedup_init(struct rlb_dedup *d, unsigned initial)
{
    memset(d, 0, sizeof(*d));
    if (rlb_htab_init(&d->tab, initial > 1024 ? initial : 1024) < 0)
        return -1;
    rlb_random_bytes(d->key, sizeof(d->key));
    return 0;
}

void
rlb_dedup_free(struct rlb_dedup *d)
{
    rlb_htab_free(&d->tab);
    memset(d, 0, sizeof(*d));
}

uint32_t
rlb_dedup_hash(const struct rlb_dedup *d, const struct rlb_listener *l,
               const union rlb_sockaddr *src, uint8_t id)
{
    uint8_t key[8 + 16 + 2 + 1];
    size_t n = 0;

    memcpy(key, &l, sizeof(l));
    n += sizeof(l);
    if (src->sa.sa_family == AF_INET6) {
        memcpy(key + n, &src->in6.sin6_addr, 16);
        n += 16;
        memcpy(key + n, &src->in6.sin6_port, 2);
    } else {
        memcpy(key + n, &src->in4.sin_addr, 4);
        n += 4;
        memcpy(key + n, &src->in4.sin_port, 2);
    }
    n += 2;
    key[n++] = id;
    return (uint32_t)rlb_siphash13(d->key, key, n);
}

struct rlb_request *
rlb_dedup_find(const struct rlb_dedup *d, uint32_t hash, const struct rlb_listener *l,
               const union rlb_sockaddr *src, uint8_t id)
{
    for (struct rlb_hnode *n = rlb_htab_chain(&d->tab, hash); n; n = n->next) {
        struct rlb_request *r = rlb_container_of(n, struct rlb_request, hnode);

        if (n->hash == hash && r->client_id == id && r->listener == l &&
            rlb_sockaddr_equal(&r->src, src))
            return r;
    }
    return NULL;
}

void
rlb_dedup_insert(struct rlb_dedup *d, struct rlb_request *req)
{
    rlb_htab_insert(&d->tab, &req->hnode);
}

void
rlb_dedup_remove(struct rlb_dedup *d, struct rlb_request *req)
{
    rlb_htab_remove(&d->tab, &req->hnode);
}
