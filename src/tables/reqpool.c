/*
 * reqpool.c: the request pool and the blob pool (see request.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "request.h"

#define REQ_CHUNK 1024

struct rlb_request *
rlb_req_get(struct rlb_reqpool *pool)
{
    struct rlb_request *req;

    if (!pool->free.head) {
        struct rlb_request *chunk;

        if (pool->nchunks == pool->capchunks) {
            unsigned cap = pool->capchunks ? pool->capchunks * 2 : 16;
            void **c = realloc(pool->chunks, cap * sizeof(*c));

            if (!c)
                return NULL;
            pool->chunks = c;
            pool->capchunks = cap;
        }
        chunk = calloc(REQ_CHUNK, sizeof(*chunk));
        if (!chunk)
            return NULL;
        pool->chunks[pool->nchunks++] = chunk;
        for (unsigned i = 0; i < REQ_CHUNK; i++)
            rlb_list_prepend(&pool->free, &chunk[i].qlink);
        pool->total += REQ_CHUNK;
    }
    req = rlb_container_of(pool->free.head, struct rlb_request, qlink);
    rlb_list_remove(&pool->free, &req->qlink);
    memset(req, 0, sizeof(*req));
    req->gen = ++pool->gen;
    pool->in_use++;
    return req;
}

void
rlb_req_put(struct rlb_reqpool *pool, struct rlb_request *req)
{
    req->state = 0;
    rlb_list_prepend(&pool->free, &req->qlink);
    pool->in_use--;
}

void
rlb_reqpool_free(struct rlb_reqpool *pool)
{
    for (unsigned i = 0; i < pool->nchunks; i++)
        free(pool->chunks[i]);
    free(pool->chunks);
    memset(pool, 0, sizeof(*pool));
}

static const size_t class_size[RLB_BUF_CLASSES] = {
    64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
};

static int
size_class(size_t len)
{
    for (int c = 0; c < RLB_BUF_CLASSES; c++) {
        if (len <= class_size[c])
            return c;
    }
    return -1;
}

uint8_t *
rlb_buf_get(struct rlb_bufpool *bp, size_t len)
{
    int c = size_class(len);
    void *b;

    if (c < 0)
        return NULL;
    b = bp->free[c];
    if (b)
        bp->free[c] = *(void **)b;
    else
        b = malloc(class_size[c]);
    if (b)
        bp->bytes += class_size[c];
    return b;
}

void
rlb_buf_put(struct rlb_bufpool *bp, uint8_t *buf, size_t len)
{
    int c = size_class(len);

    if (!buf || c < 0)
        return;
    *(void **)buf = bp->free[c];
    bp->free[c] = buf;
    bp->bytes -= class_size[c];
}

void
rlb_bufpool_free(struct rlb_bufpool *bp)
{
    for (int c = 0; c < RLB_BUF_CLASSES; c++) {
        while (bp->free[c]) {
            void *next = *(void **)bp->free[c];
            free(bp->free[c]);
            bp->free[c] = next;
        }
    }
}
