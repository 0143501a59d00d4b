/*
 * spool.h: the durable accounting spool. When no master can take
 * Accounting-Requests, radlb appends each one here and answers the NAS only
 * once the record is on disk (RFC 2866: no Accounting-Response before a
 * durable record). When a master is back, the spool is replayed to it in
 * order, each record retried until acknowledged: at-least-once, a duplicate
 * is preferred to a loss.
 *
 * On disk, in one directory (mode 0700, locked with flock() by one radlb):
 *   spool-<seq of its first record, 16 hex digits>.log   segment files
 *   ack                                                  the ack position
 * A segment is a sequence of records, each checked by a CRC32; a new one is
 * started when the current one passes the segment size. Appends are group
 * committed: rlb_spool_append() encodes into an in-memory batch and
 * rlb_spool_commit() writes it with one write() and one fdatasync().
 *
 * The acknowledgement position is the highest seq such that every record up
 * to it has been acknowledged; acknowledgements beyond it (out of order)
 * live in memory only, so after a crash those records are replayed again.
 * A segment whose records are all acknowledged is deleted, after the
 * position covering it has been persisted.
 *
 * Memory: the batch buffer, a 64 KiB read buffer, and 16 octets per record
 * handed out for replay and not yet acknowledged (the replay window), never
 * the spool's contents.
 *
 * Blocking file I/O: the caller commits once per loop iteration.
 */
#ifndef RLB_SPOOL_H
#define RLB_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLB_SPOOL_SEGMENT_SIZE (16u * 1024 * 1024)  /* a new segment past this size */
#define RLB_SPOOL_PKT_MIN      20                   /* packet length bounds */
#define RLB_SPOOL_PKT_MAX      4096
#define RLB_SPOOL_CLIENT_MAX   64                   /* client name, octets */

struct rlb_spool;                       /* opaque */

struct rlb_spool_record {
    uint64_t       seq;                 /* 1, 2, 3... over the life of the spool directory */
    double         arrived;             /* when radlb received it (seconds since the epoch) */
    char           client[65];          /* the client's name (NUL-terminated, at most 64) */
    /* the Accounting-Request as received (valid until the next call) */
    const uint8_t *pkt;
    size_t         len;                 /* its length (20..4096) */
};

/* The spool's counters, declared once: struct rlb_spool_stats and the
 * spool_*_total rows of metrics.c come from this list (name, help). appended
 * counts records committed, replayed records handed out for replay (retries
 * included), full appends refused because max_bytes was reached, commits
 * fsync'd batches, errors write/fsync/read errors (corrupt records too). */
#define RLB_SPOOL_COUNTERS(X)                                                   \
    X(appended, "records made durable in the spool")                           \
    X(replayed, "records sent to a master (retries included)")                 \
    X(acked, "records acknowledged by a master")                               \
    X(full, "appends refused: spool.max_bytes reached")                        \
    X(commits, "group commits (fdatasync calls)")                              \
    X(errors, "spool write, sync and read errors, corrupt records included")

struct rlb_spool_stats {
#define X(name, help) uint64_t name;
    RLB_SPOOL_COUNTERS(X)
#undef X
};

/* Opens (creating it, mode 0700) the spool in dir; recovers after a crash:
 * a record cut by kill -9 at the end of the last file is discarded (the
 * file is truncated to the last whole record), and records before the
 * persisted acknowledgement position are not replayed again. Returns NULL
 * with a message in err. max_bytes bounds the files on disk (0: no bound).
 * The segment size is RLB_SPOOL_SEGMENT_SIZE, lowered to max_bytes / 8
 * (at least 64 KiB) so that space comes back before the spool drains. */
struct rlb_spool *rlb_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen);
/* Persists the acknowledgement position (best effort) and frees the spool.
 * A batch not committed is dropped: its NAS was not answered. */
void rlb_spool_close(struct rlb_spool *sp);
/* Tests: start a new segment when the current one passes bytes (>= 1). */
void rlb_spool_set_segment_size(struct rlb_spool *sp, uint64_t bytes);

/* Adds a record to the pending batch (in memory); returns its seq, or 0 when
 * the spool would exceed max_bytes (counted in stats.full; nothing added).
 * Also 0, with a warning, for a packet outside 20..4096 octets or when the
 * batch cannot grow. A client name longer than 64 octets is cut. */
uint64_t rlb_spool_append(struct rlb_spool *sp, double arrived, const char *client,
                          const uint8_t *pkt, size_t len);
/* Writes the pending batch and fsyncs it (group commit: one write and one
 * fdatasync for the whole batch; a new file also fsyncs the directory).
 * Returns 0 when every appended record is durable, -1 on error (then the
 * batch's records must be treated as lost: radlb does not answer the NAS,
 * which retries; they may or may not be in the file, replay tolerates both). */
int rlb_spool_commit(struct rlb_spool *sp);
bool rlb_spool_pending(const struct rlb_spool *sp);   /* a batch waits for commit */

/* The next record to replay, in order: fills rec and returns 1, or 0 when
 * every committed record has been handed out (or acknowledged), -1 on a
 * read error. A record handed out is not handed out again unless
 * rlb_spool_rewind() is called (after its replay timed out). A corrupt
 * record is logged and skipped. */
int  rlb_spool_next(struct rlb_spool *sp, struct rlb_spool_record *rec);
/* The master acknowledged record seq (acknowledgements may come out of
 * order). The acknowledgement position advances over the contiguous prefix
 * of acknowledged records; files entirely acknowledged are deleted. A seq
 * not handed out, or already acknowledged, is ignored. */
void rlb_spool_ack(struct rlb_spool *sp, uint64_t seq);
/* Hands out again, from the oldest unacknowledged record, everything not
 * acknowledged (replay resumes in order). */
void rlb_spool_rewind(struct rlb_spool *sp);
/* Persists the acknowledgement position (write a small file, fsync, rename
 * over the old one, fsync the directory); cheap when nothing changed. radlb
 * calls it about every 100 ms and at exit. Returns 0 or -1. */
int  rlb_spool_save_ack(struct rlb_spool *sp);

uint64_t rlb_spool_depth(const struct rlb_spool *sp);          /* committed, not acknowledged */
uint64_t rlb_spool_bytes(const struct rlb_spool *sp);          /* on disk */
/* arrival of the oldest unacknowledged, 0 if none */
double   rlb_spool_oldest(const struct rlb_spool *sp);
const struct rlb_spool_stats *rlb_spool_stats(const struct rlb_spool *sp);
/* The directory, as given to rlb_spool_open() (for log lines). */
const char *rlb_spool_dir(const struct rlb_spool *sp);
/* The acknowledgement position: every record up to it is acknowledged. */
uint64_t rlb_spool_ack_pos(const struct rlb_spool *sp);
/* Heap octets the spool holds (batch, read buffer, replay window). */
size_t   rlb_spool_memory(const struct rlb_spool *sp);

/* CRC-32 (IEEE 802.3, as zlib's crc32()): crc is 0 to start, or the value
 * returned for the preceding octets. */
uint32_t rlb_spool_crc32(uint32_t crc, const void *data, size_t len);

#endif
