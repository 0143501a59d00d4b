/*
 * request.h: one client request from arrival until its cached reply
 * expires, and the pool that holds them. About 160 octets each, from
 * chunks on a free list: nothing is allocated per packet once warm.
 */
#ifndef RLB_REQUEST_H
#define RLB_REQUEST_H

#include <stdint.h>
#include <netinet/in.h>

#include "addr.h"
#include "htab.h"
#include "list.h"
#include "radius.h"

struct rlb_listener;
struct rlb_client;
struct rlb_bsock;
struct rlb_sconn;

/*
 * A request's states, and the queue each one waits on (request.c moves a
 * request between them; nothing else writes req->state):
 *
 *   NEW --> PENDING --> DONE           (answered, or answered by radlb)
 *    |        |  \----> HELD --> DONE  (a challenge waits for Redis)
 *    |        |  \----> SUPERSEDED     (the client reused its Identifier)
 *    |        \-------> REROUTE --> PENDING, PARKED, SPOOLING, DONE
 *    +--> PARKED --> PENDING, SPOOLING, DONE   (Redis names the server)
 *    +--> SPOOLING --> DONE, SUPERSEDED        (accounting without a master)
 *    +--> DONE                                 (radlb answers at once)
 *
 * and from any state back to NEW, which is how a request is freed. The
 * queues: PENDING, REROUTE and SUPERSEDED on ctx->pending (response_timeout:
 * a superseded request keeps its place, it still holds its Identifier);
 * DONE on ctx->done (dedup_window); PARKED and HELD on ctx->parked
 * (redis.timeout); SPOOLING on the spool's wait list (until the next group
 * commit); a superseded SPOOLING request stays on the wait list.
 */
enum rlb_req_state {
    RLB_REQ_NEW = 0,               /* just taken from the pool, or being freed: no queue */
    RLB_REQ_PENDING,               /* forwarded, waiting for a server */
    RLB_REQ_DONE,                  /* answered; the reply is cached for dedup_window */
    RLB_REQ_SUPERSEDED,            /* the client reused its Identifier: reply discarded */
    RLB_REQ_REROUTE,               /* its server went down before answering: the next
                                    * retransmission goes to another server */
    RLB_REQ_PARKED,                /* waiting for Redis to say which server holds its
                                    * session; blob holds the packet */
    RLB_REQ_HELD,                  /* its Access-Challenge waits until Redis has the
                                    * session (so that another instance finds it);
                                    * blob holds the reply */
    RLB_REQ_SPOOLING,              /* appended to the accounting spool: answered once
                                    * the next group commit makes it durable */
    RLB_REQ_NSTATES
};

/* The queue a request is on (req->queue). */
enum rlb_req_queue {
    RLB_Q_NONE = 0,
    RLB_Q_PENDING,                 /* ctx->pending */
    RLB_Q_DONE,                    /* ctx->done */
    RLB_Q_PARKED,                  /* ctx->parked */
    RLB_Q_SPOOLED,                 /* ctx->spooling.wait */
};

#define RLB_REQF_PINNED   0x01     /* a challenge answer, routed to the server that asked */
#define RLB_REQF_AFFKEY   0x02     /* affkey holds the request's affinity key */
#define RLB_REQF_AFFINITY 0x04     /* routed by affinity (no State) */
#define RLB_REQF_ASKED    0x08     /* Redis was asked already */
#define RLB_REQF_REPLAY   0x10     /* a spooled record replayed to the master (no client) */
#define RLB_REQF_WRITE    0x20     /* classified as a write: the master only */
#define RLB_REQF_CLASSED  0x40     /* classified (once) */
#define RLB_REQF_MIRROR   0x80     /* with REPLAY: a copy of accounting for a mirror pool */

/* What the routing rules decided (rflags), once: a Redis lookup brings the
 * request back through the dispatch, which must not count it again. */
#define RLB_ROUTEF_ROUTED   0x01   /* the rules ran (req->pool is theirs) */
#define RLB_ROUTEF_STRIP    0x02   /* the pool gets User-Name without its realm */
#define RLB_ROUTEF_MIGRATED 0x04   /* sent by a rule's migration */
#define RLB_ROUTEF_LIMITED  0x08   /* the prompt budgets were checked */
struct rlb_pool;

/* A first leg's prompt-budget keys (budget.h), limits.count = "challenge":
 * its prompt counts while it is in flight, and is taken back if its reply
 * shows it did not prompt. From the buffer pool. */
struct rlb_limitinfo {
    uint64_t key[3];               /* by enum rlb_limit_kind */
    double   counted;              /* when its prompt was counted (in flight) */
    uint64_t seq;                  /* that prompt's number in Redis (0: not there) */
    uint8_t  has;                  /* bit k: key[k] is set */
    uint16_t size;
};

/* A login: what ties the legs of a challenge chain together in the auth
 * log (log.auth). Its State's session carries it from one leg to the next
 * (sticky.h, and Redis). */
struct rlb_login {
    uint64_t             id;            /* 0: none */
    double               first;         /* when its first leg arrived (wall clock) */
    uint8_t              leg;           /* legs so far, this one included */
};

/* What the auth log needs of a request that its packet no longer holds
 * once forwarded; from the blob pool, only while log.auth is on. */
struct rlb_authinfo {
    struct rlb_login     login;
    double               arrived;
    uint16_t             size;          /* allocation size (buffer pool) */
    uint8_t              acct_status;   /* Acct-Status-Type (accounting), 0: none */
    uint8_t              logged;        /* its line is written */
    uint8_t              ulen;
    char                 user[];        /* User-Name octets (not NUL-terminated) */
};

struct rlb_request {
    struct rlb_hnode     hnode;         /* duplicate table: hash of (listener, src, client_id) */
    struct rlb_link      qlink;         /* its queue (req->queue), or the free list */
    struct rlb_listener *listener;      /* where it arrived; replies leave there */
    struct rlb_client   *client;
    struct rlb_bsock    *bsock;         /* where it went, while pending */
    struct rlb_sconn    *conn;          /* the TCP/TLS connection it came on (NULL: UDP) */
    union rlb_sockaddr   src;           /* the client's address and port */
    union {
        struct in_addr   v4;
        struct in6_addr  v6;
    }                    dst;           /* local address it reached (wildcard listeners) */
    double               when;          /* sent (pending) or answered (done) */
    double               copied;        /* pending: the last copy went to the server then */
    void                *ticket;        /* the Redis lookup of a parked request */
    uint8_t             *blob;          /* pending: Proxy-State octets; done: the reply */
    uint16_t             blob_len;
    uint8_t              client_id;
    uint8_t              proxied_id;
    uint8_t              code;          /* request code */
    uint8_t              state;         /* enum rlb_req_state (request.c only) */
    uint8_t              queue;         /* enum rlb_req_queue (request.c only) */
    uint8_t              flags;         /* RLB_REQF_* */
    uint8_t              client_auth[RLB_AUTH_LEN];
    uint8_t              proxied_auth[RLB_AUTH_LEN];
    uint8_t              affkey[16];    /* affinity key (flags & RLB_REQF_AFFKEY) */
    union {
        uint64_t         pin_fp;        /* fingerprint of the State it was routed by */
        uint64_t         spool_seq;     /* RLB_REQF_REPLAY: the spool record */
    };
    uint8_t              pin_len;       /* its length (flags & RLB_REQF_PINNED) */
    uint8_t              rflags;        /* RLB_ROUTEF_*: what routing decided */
    uint8_t              nas_copies;    /* the NAS's retransmissions while pending */
    uint32_t             nas_gap_ms;    /* from the copy sent to the server to the NAS's last */
    struct rlb_pool     *pool;          /* the pool it goes to, once known (NULL before) */
    struct rlb_authinfo *ai;            /* log.auth on: what its line says */
    struct rlb_limitinfo *li;           /* limits.count = "challenge": the keys to count */
    uint32_t             gen;           /* which use of this slot (for weak references) */
};

struct rlb_reqpool {
    struct rlb_list      free;          /* free slots, by qlink (on no queue) */
    void               **chunks;        /* allocated chunks */
    unsigned             nchunks;
    unsigned             capchunks;
    unsigned long        in_use;
    unsigned long        total;
    uint32_t             gen;           /* the last generation handed out */
};

struct rlb_request *rlb_req_get(struct rlb_reqpool *pool);
void rlb_req_put(struct rlb_reqpool *pool, struct rlb_request *req);
void rlb_reqpool_free(struct rlb_reqpool *pool);

/* Blobs: size classes of 64 to 4096 octets on free lists, in half steps
 * (64, 96, 128, 192, ... 3072, 4096) so that no more than a third of a
 * block is wasted: a million challenge sessions are a million blobs. */
#define RLB_BUF_CLASSES 13

struct rlb_bufpool {
    void          *free[RLB_BUF_CLASSES];
    unsigned long  bytes;               /* octets handed out */
};

uint8_t *rlb_buf_get(struct rlb_bufpool *bp, size_t len);
void rlb_buf_put(struct rlb_bufpool *bp, uint8_t *buf, size_t len);
void rlb_bufpool_free(struct rlb_bufpool *bp);

#endif
