/*
 * affinity.c: the affinity key of a request (see affinity.h).
 */
#include "config.h"

#include <string.h>

#include "affinity.h"              /* before any OpenSSL header: crypto.h opts in to MD5 */

bool
rlb_affinity_key(const struct rlb_conf_sticky *cs, const char *pool, const uint8_t *pkt,
                 const struct rlb_pkt_info *info, uint8_t key[RLB_AFFINITY_KEY_LEN])
{
    MD5_CTX ctx;

    if (!cs->naffinity)
        return false;
    MD5_Init(&ctx);
    if (pool) {                    /* 0xff: no attribute length, so no collision */
        uint8_t mark = 0xff;

        MD5_Update(&ctx, &mark, 1);
        MD5_Update(&ctx, pool, strlen(pool));
    }
    for (unsigned i = 0; i < cs->naffinity; i++) {
        size_t len;
        const uint8_t *v = rlb_pkt_find_attr(pkt, info, cs->aff_vendor[i], cs->aff_attr[i], &len);
        uint8_t l = (uint8_t)len;

        if (!v)
            return false;
        MD5_Update(&ctx, &l, 1);
        MD5_Update(&ctx, v, len);
    }
    MD5_Final(key, &ctx);
    return true;
}
