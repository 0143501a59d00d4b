/*
 * spool_int.h: what the spool's two files share (see spool.h): the record
 * and window layouts, struct rlb_spool, and the few helpers each calls in
 * the other. spool_seg.c owns the files (the record format, reading a
 * segment, opening and recovery, closing); spool.c what runs while radlb
 * does (appending, the group commit, the replay reader, acknowledgements).
 */
#ifndef RLB_SPOOL_INT_H
#define RLB_SPOOL_INT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "spool.h"

#define REC_FIXED    31                 /* octets before the client name */
#define REC_MIN      (REC_FIXED + RLB_SPOOL_PKT_MIN)
#define REC_MAX      (REC_FIXED + RLB_SPOOL_CLIENT_MAX + RLB_SPOOL_PKT_MAX)
#define READ_BUF     65536              /* the replay reader's buffer */
#define SEG_AUTO_MIN 65536              /* smallest segment chosen from max_bytes */
#define SEG_FMT      "spool-%016" PRIx64 ".log"
#define SEG_NAMELEN  26
#define RING_MIN     64                 /* replay window slots to start with */
#define ACK_FILE     "ack"
#define ACK_TMP      "ack.tmp"

enum { SLOT_ABSENT = 0, SLOT_OUT, SLOT_ACKED };

struct slot {
    uint64_t word;                      /* offset in its segment << 2 | state */
    double   arrived;
};

struct seg {
    uint64_t first;                     /* the seq in its name */
    uint64_t size;                      /* octets of whole records */
};

/* Sequential reading of one segment through a buffer. */
struct cursor {
    int      fd;
    uint64_t limit;                     /* readable octets (committed size) */
    uint64_t base;                      /* file offset of buf[0] */
    size_t   len;                       /* octets in buf */
    size_t   pos;                       /* next record in buf */
    uint8_t *buf;                       /* READ_BUF octets */
};

/* A decoded record, pointing into a buffer. */
struct view {
    uint64_t       off;                 /* in its segment */
    uint32_t       len;                 /* of the whole record */
    uint64_t       seq;
    double         arrived;
    const uint8_t *client;
    size_t         clen;
    const uint8_t *pkt;
    size_t         plen;
};

struct rlb_spool {
    char                  *dir;
    int                    dirfd;       /* holds the flock() */
    uint64_t               max_bytes;   /* 0: no bound */
    uint64_t               seg_size;

    struct seg            *segs;        /* by first seq; the last one takes commits */
    size_t                 nsegs;
    size_t                 segcap;
    uint64_t               bytes;       /* sum of segs[].size */
    int                    wfd;         /* last segment, -1: next commit starts one */

    uint8_t               *batch;       /* encoded records waiting for commit */
    size_t                 batch_len;
    size_t                 batch_cap;
    uint64_t               batch_n;
    uint64_t               batch_first;
    uint64_t               batch_last;
    double                 batch_arrived;   /* of the batch's first record */
    uint64_t               next_seq;
    uint64_t               committed;   /* highest committed seq */

    size_t                 rd_seg;      /* the reader's segment */
    struct cursor          rd;
    uint8_t                out[RLB_SPOOL_PKT_MAX];  /* the record handed out */
    double                 unread_arrived;  /* first committed record above hi */

    struct slot           *ring;        /* replay window */
    uint64_t               ring_mask;
    uint64_t               base;        /* oldest seq not acknowledged */
    uint64_t               hi;          /* highest seq handed out */
    uint64_t               ack_saved;   /* position in the ack file */

    struct rlb_ratelimit   rl;          /* I/O error lines */
    struct rlb_spool_stats stats;
};

/* spool_seg.c */

/* The segment file name of the segment whose first record is first. */
void spool_seg_name(char *buf, size_t size, uint64_t first);
/* Room for n segments in sp->segs: 0, -1 when out of memory. */
int  spool_segs_reserve(struct rlb_spool *sp, size_t n);
/* Encodes a record at p (REC_FIXED + clen + len octets): its length. */
size_t spool_rec_encode(uint8_t *p, uint64_t seq, double arrived, const char *client,
                        size_t clen, const uint8_t *pkt, size_t len);
/* The next whole record at or after the cursor, not consumed: 1, 0 at the end of
 * the segment, -1 on a read error; *skipped octets passed over from *skip_at. */
int  spool_cur_record(struct cursor *c, struct view *v, uint64_t *skipped, uint64_t *skip_at);

/* spool.c */

/* The next whole record for the reader, not consumed, moving on to the next
 * segment at the end of one: 1, 0 when there is none yet, -1 on an error. */
int  spool_rd_peek(struct rlb_spool *sp, struct view *v);
/* Writes the acknowledgement position to ACK_TMP, fsyncs it, renames it
 * over ACK_FILE and fsyncs the directory: 0, -1 (counted and logged). */
int  spool_save_ack(struct rlb_spool *sp);
/* Deletes the leading segments whose records are all acknowledged, after
 * persisting the position that covers them. */
void spool_drop_segments(struct rlb_spool *sp);

#endif
