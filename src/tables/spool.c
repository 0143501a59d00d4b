/*
 * spool.c: the durable accounting spool while radlb runs (see spool.h,
 * spool_int.h): appending and the group commit, the replay reader and the
 * acknowledgement window, the acknowledgement position, the figures. The
 * files and opening are spool_seg.c's.
 *
 * The replay window is a ring indexed by seq covering [base, hi]: hi is the
 * highest seq the reader has handed out, base - 1 the acknowledgement
 * position. Each slot says whether its record is out (handed out, not
 * acknowledged), acknowledged, or absent (a seq that is in no segment: a
 * failed commit, a corrupt record), and remembers the record's offset (for
 * rewind) and arrival (for rlb_spool_oldest()). base always points at an
 * out record, or is hi + 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool_int.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* True when an I/O error line may be written now (rate-limited: a full disk
 * fails every commit). */
static bool
io_log_ok(struct rlb_spool *sp)
{
    struct timespec ts;
    unsigned suppressed;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (!rlb_ratelimit_ok(&sp->rl, (double)ts.tv_sec + ts.tv_nsec / 1e9 + 1.0, &suppressed))
        return false;
    if (suppressed)
        rlb_warn("spool %s: %u more I/O errors not logged", sp->dir, suppressed);
    return true;
}

static int
write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t r = write(fd, p, len);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* The segment that holds seq: the last one whose name is not above it. */
static size_t
seg_find(const struct rlb_spool *sp, uint64_t seq)
{
    size_t lo = 0, hi = sp->nsegs;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (sp->segs[mid].first <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------------ */
/* The replay reader and window                                        */

/* Moves the reader to offset off of segment i. */
static void
rd_seek(struct rlb_spool *sp, size_t i, uint64_t off)
{
    if (i != sp->rd_seg && sp->rd.fd >= 0) {
        close(sp->rd.fd);
        sp->rd.fd = -1;
    }
    sp->rd_seg = i;
    sp->rd.base = off;
    sp->rd.len = sp->rd.pos = 0;
}

/* The next whole record for the reader, not consumed, moving on to the next
 * segment at the end of one: 1, 0 when there is none yet, -1 on an error. */
int
spool_rd_peek(struct rlb_spool *sp, struct view *v)
{
    char name[32];

    for (;;) {
        uint64_t skipped, at;
        int r;

        if (sp->rd_seg >= sp->nsegs)
            return 0;
        spool_seg_name(name, sizeof(name), sp->segs[sp->rd_seg].first);
        if (sp->rd.fd < 0) {
            sp->rd.fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
            if (sp->rd.fd < 0) {
                int e = errno;

                sp->stats.errors++;
                if (e == ENOENT && sp->rd_seg + 1 < sp->nsegs) {
                    rlb_err("spool %s/%s: segment removed behind radlb's back: "
                            "its records are lost", sp->dir, name);
                    rd_seek(sp, sp->rd_seg + 1, 0);
                    continue;
                }
                if (io_log_ok(sp))
                    rlb_err("spool %s/%s: cannot open for replay: %s", sp->dir, name, strerror(e));
                return -1;
            }
        }
        sp->rd.limit = sp->segs[sp->rd_seg].size;
        r = spool_cur_record(&sp->rd, v, &skipped, &at);
        if (skipped) {                  /* the log keeps errno */
            sp->stats.errors++;
            rlb_err("spool %s/%s: %" PRIu64 " corrupt octets at offset %" PRIu64
                    " skipped: the records there are lost", sp->dir, name, skipped, at);
        }
        if (r < 0) {
            int e = errno;

            sp->stats.errors++;
            if (io_log_ok(sp))
                rlb_err("spool %s/%s: read: %s", sp->dir, name, strerror(e));
            return -1;
        }
        if (r > 0)
            return 1;
        if (sp->rd_seg + 1 >= sp->nsegs)
            return 0;                   /* the end of what is committed */
        rd_seek(sp, sp->rd_seg + 1, 0);
    }
}

static struct slot *
slot_at(const struct rlb_spool *sp, uint64_t seq)
{
    return &sp->ring[seq & sp->ring_mask];
}

static unsigned
slot_state(const struct slot *s)
{
    return (unsigned)(s->word & 3);
}

static int
ring_resize(struct rlb_spool *sp, uint64_t need)
{
    uint64_t cap = RING_MIN;
    struct slot *r;

    while (cap < need)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof(*r))
        return -1;
    r = calloc((size_t)cap, sizeof(*r));
    if (!r)
        return -1;
    for (uint64_t q = sp->base; q <= sp->hi; q++)
        r[q & (cap - 1)] = *slot_at(sp, q);
    free(sp->ring);
    sp->ring = r;
    sp->ring_mask = cap - 1;
    return 0;
}

/* Records seq as handed out. */
static int
window_add(struct rlb_spool *sp, uint64_t seq, uint64_t off, double arrived)
{
    struct slot *s;

    if (sp->base > sp->hi) {            /* nothing out: the window starts here */
        sp->base = seq;
        sp->hi = seq - 1;
    }
    if (seq - sp->base + 1 > sp->ring_mask + 1 && ring_resize(sp, seq - sp->base + 1) < 0)
        return -1;
    s = slot_at(sp, seq);
    s->word = off << 2 | SLOT_OUT;
    s->arrived = arrived;
    sp->hi = seq;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Acknowledgement position                                            */

/* Writes the position to ACK_TMP, fsyncs it, renames it over ACK_FILE and
 * fsyncs the directory. */
int
spool_save_ack(struct rlb_spool *sp)
{
    uint64_t ack = sp->base - 1;
    const char *what;
    char text[32];
    int fd, n, e;

    if (ack == sp->ack_saved)
        return 0;
    n = snprintf(text, sizeof(text), "%" PRIu64 "\n", ack);
    fd = openat(sp->dirfd, ACK_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        what = "create " ACK_TMP;
        goto fail;
    }
    if (write_all(fd, text, (size_t)n) < 0) {
        what = "write " ACK_TMP;
        goto fail_close;
    }
    if (fsync(fd) < 0) {
        what = "fsync " ACK_TMP;
        goto fail_close;
    }
    if (close(fd) < 0) {
        what = "close " ACK_TMP;
        goto fail;
    }
    if (renameat(sp->dirfd, ACK_TMP, sp->dirfd, ACK_FILE) < 0) {
        what = "rename " ACK_TMP " to " ACK_FILE;
        goto fail;
    }
    if (fsync(sp->dirfd) < 0) {
        what = "fsync the directory after renaming " ACK_TMP;
        goto fail;
    }
    sp->ack_saved = ack;
    return 0;

fail_close:
    e = errno;
    close(fd);
    errno = e;
fail:
    e = errno;
    sp->stats.errors++;
    if (io_log_ok(sp))
        rlb_err("spool %s: cannot save the acknowledgement position %" PRIu64 ": %s: %s",
                sp->dir, ack, what, strerror(e));
    return -1;
}

int
rlb_spool_save_ack(struct rlb_spool *sp)
{
    if (spool_save_ack(sp) < 0)
        return -1;
    spool_drop_segments(sp);                  /* those a failed save or unlink kept */
    return 0;
}

/* Deletes the leading segments whose records are all acknowledged, after
 * persisting the position that covers them (else a crash would leave an ack
 * file older than the remaining segments: duplicates, but also seqs used
 * again). */
void
spool_drop_segments(struct rlb_spool *sp)
{
    uint64_t ack = sp->base - 1;
    char name[32];

    while (sp->nsegs > 0) {
        struct seg *s = &sp->segs[0];
        bool last = sp->nsegs == 1;

        if (last ? sp->committed > ack : sp->segs[1].first - 1 > ack)
            break;
        if (sp->ack_saved < ack && spool_save_ack(sp) < 0)
            break;
        spool_seg_name(name, sizeof(name), s->first);
        if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT) {
            int e = errno;

            sp->stats.errors++;
            if (io_log_ok(sp))
                rlb_err("spool %s/%s: cannot delete an acknowledged segment: %s", sp->dir, name,
                        strerror(e));
            break;
        }
        rlb_debug("spool %s/%s: acknowledged, deleted", sp->dir, name);
        sp->bytes -= s->size;
        if (last && sp->wfd >= 0) {
            close(sp->wfd);
            sp->wfd = -1;
        }
        if (sp->rd_seg == 0) {
            if (sp->rd.fd >= 0)
                close(sp->rd.fd);
            sp->rd.fd = -1;
            rd_seek(sp, 0, 0);          /* the next segment, from its start */
        } else {
            sp->rd_seg--;
        }
        memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*s));
        sp->nsegs--;
    }
}

/* ------------------------------------------------------------------ */
/* Appending                                                           */

uint64_t
rlb_spool_append(struct rlb_spool *sp, double arrived, const char *client,
                 const uint8_t *pkt, size_t len)
{
    size_t clen, n;
    uint64_t seq;

    if (!pkt || len < RLB_SPOOL_PKT_MIN || len > RLB_SPOOL_PKT_MAX) {
        rlb_warn("spool %s: a packet of %zu octets cannot be spooled", sp->dir, len);
        return 0;
    }
    if (!client)
        client = "";
    clen = strnlen(client, RLB_SPOOL_CLIENT_MAX);
    n = REC_FIXED + clen + len;
    if (sp->max_bytes && sp->bytes + sp->batch_len + n > sp->max_bytes) {
        sp->stats.full++;
        return 0;
    }
    if (sp->batch_len + n > sp->batch_cap) {
        size_t cap = sp->batch_cap ? sp->batch_cap * 2 : 16384;
        uint8_t *b;

        while (cap < sp->batch_len + n)
            cap *= 2;
        b = realloc(sp->batch, cap);
        if (!b) {
            sp->stats.errors++;
            if (io_log_ok(sp))
                rlb_err("spool %s: out of memory for a batch of %zu octets", sp->dir, cap);
            return 0;
        }
        sp->batch = b;
        sp->batch_cap = cap;
    }
    seq = sp->next_seq++;
    sp->batch_len += spool_rec_encode(sp->batch + sp->batch_len, seq, arrived, client, clen,
                                      pkt, len);
    if (sp->batch_n++ == 0) {
        sp->batch_first = seq;
        sp->batch_arrived = arrived;
    }
    sp->batch_last = seq;
    return seq;
}

bool
rlb_spool_pending(const struct rlb_spool *sp)
{
    return sp->batch_n > 0;
}

static void
batch_clear(struct rlb_spool *sp)
{
    sp->batch_len = 0;
    sp->batch_n = 0;
}

int
rlb_spool_commit(struct rlb_spool *sp)
{
    bool created = false;
    const char *what;
    struct seg *s;
    char name[32];
    int e;

    if (sp->batch_n == 0)
        return 0;
    if (sp->wfd < 0 || sp->segs[sp->nsegs - 1].size >= sp->seg_size) {
        int fd;

        spool_seg_name(name, sizeof(name), sp->batch_first);
        if (spool_segs_reserve(sp, sp->nsegs + 1) < 0) {
            errno = ENOMEM;
            what = "new segment";
            goto fail;
        }
        fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) {
            what = "create";
            goto fail;
        }
        if (sp->wfd >= 0)
            close(sp->wfd);
        sp->wfd = fd;
        sp->segs[sp->nsegs].first = sp->batch_first;
        sp->segs[sp->nsegs].size = 0;
        sp->nsegs++;
        created = true;
    }
    s = &sp->segs[sp->nsegs - 1];
    spool_seg_name(name, sizeof(name), s->first);
    if (write_all(sp->wfd, sp->batch, sp->batch_len) < 0) {
        what = "write";
        goto fail;
    }
    if (fdatasync(sp->wfd) < 0) {
        what = "fdatasync";
        goto fail;
    }
    if (created && fsync(sp->dirfd) < 0) {
        what = "fsync the directory";
        goto fail;
    }
    s->size += sp->batch_len;
    sp->bytes += sp->batch_len;
    if (sp->committed <= sp->hi)        /* the reader had read everything */
        sp->unread_arrived = sp->batch_arrived;
    sp->committed = sp->batch_last;
    sp->stats.appended += sp->batch_n;
    sp->stats.commits++;
    batch_clear(sp);
    return 0;

fail:
    e = errno;
    sp->stats.errors++;
    if (io_log_ok(sp))
        rlb_err("spool %s/%s: %s: %s: %" PRIu64 " records not spooled", sp->dir, name, what,
                strerror(e), sp->batch_n);
    /* What reached the file stays out of the segment's size (the reader
     * does not see it) and is cut off if possible; the next commit starts
     * a new segment rather than trust a file that failed. */
    if (sp->wfd >= 0) {
        if (created) {
            if (unlinkat(sp->dirfd, name, 0) < 0)
                rlb_warn("spool %s/%s: cannot delete after a failed commit: %s", sp->dir, name,
                         strerror(errno));
            sp->nsegs--;
        } else if (ftruncate(sp->wfd, (off_t)sp->segs[sp->nsegs - 1].size) < 0) {
            rlb_warn("spool %s/%s: cannot truncate after a failed commit: %s", sp->dir, name,
                     strerror(errno));
        }
        close(sp->wfd);
        sp->wfd = -1;
    }
    batch_clear(sp);
    errno = e;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Replay                                                              */

int
rlb_spool_next(struct rlb_spool *sp, struct rlb_spool_record *rec)
{
    bool fresh;
    struct view v;
    int r;

    for (;;) {
        r = spool_rd_peek(sp, &v);
        if (r <= 0)
            return r;
        if (v.seq < sp->base) {         /* acknowledged */
            sp->rd.pos += v.len;
            continue;
        }
        if (v.seq <= sp->hi) {          /* after a rewind */
            sp->rd.pos += v.len;
            if (slot_state(slot_at(sp, v.seq)) != SLOT_OUT)
                continue;
            fresh = false;
            break;
        }
        if (window_add(sp, v.seq, v.off, v.arrived) < 0) {
            sp->stats.errors++;
            if (io_log_ok(sp))
                rlb_err("spool %s: out of memory for a replay window of %" PRIu64 " records",
                        sp->dir, v.seq - sp->base + 1);
            return -1;
        }
        sp->rd.pos += v.len;
        fresh = true;
        break;
    }
    rec->seq = v.seq;
    rec->arrived = v.arrived;
    memcpy(rec->client, v.client, v.clen);
    rec->client[v.clen] = '\0';
    memcpy(sp->out, v.pkt, v.plen);     /* the read buffer moves on */
    rec->pkt = sp->out;
    rec->len = v.plen;
    sp->stats.replayed++;
    if (fresh && sp->committed > sp->hi) {
        struct view w;

        sp->unread_arrived = spool_rd_peek(sp, &w) > 0 ? w.arrived : 0;
    }
    return 1;
}

void
rlb_spool_ack(struct rlb_spool *sp, uint64_t seq)
{
    struct slot *s;

    if (seq < sp->base || seq > sp->hi)
        return;
    s = slot_at(sp, seq);
    if (slot_state(s) != SLOT_OUT)
        return;
    s->word = (s->word & ~(uint64_t)3) | SLOT_ACKED;
    sp->stats.acked++;
    if (seq != sp->base)
        return;
    while (sp->base <= sp->hi && slot_state(slot_at(sp, sp->base)) != SLOT_OUT) {
        slot_at(sp, sp->base)->word = 0;
        sp->base++;
    }
    if (sp->base > sp->hi && sp->ring_mask + 1 > 16 * RING_MIN)
        ring_resize(sp, RING_MIN);      /* give a burst's window back */
    spool_drop_segments(sp);
}

void
rlb_spool_rewind(struct rlb_spool *sp)
{
    uint64_t off;
    size_t i;

    if (sp->base > sp->hi || sp->nsegs == 0)
        return;
    off = slot_at(sp, sp->base)->word >> 2;
    i = seg_find(sp, sp->base);
    if (i == sp->rd_seg && off >= sp->rd.base && off <= sp->rd.base + sp->rd.len)
        sp->rd.pos = (size_t)(off - sp->rd.base);
    else
        rd_seek(sp, i, off);
}

/* ------------------------------------------------------------------ */
/* Figures                                                             */

uint64_t
rlb_spool_depth(const struct rlb_spool *sp)
{
    uint64_t ack = sp->base - 1;

    return sp->committed > ack ? sp->committed - ack : 0;
}

uint64_t
rlb_spool_bytes(const struct rlb_spool *sp)
{
    return sp->bytes;
}

double
rlb_spool_oldest(const struct rlb_spool *sp)
{
    if (rlb_spool_depth(sp) == 0)
        return 0;
    if (sp->base <= sp->hi)
        return slot_at(sp, sp->base)->arrived;
    return sp->unread_arrived;
}

const struct rlb_spool_stats *
rlb_spool_stats(const struct rlb_spool *sp)
{
    return &sp->stats;
}

const char *
rlb_spool_dir(const struct rlb_spool *sp)
{
    return sp->dir;
}

uint64_t
rlb_spool_ack_pos(const struct rlb_spool *sp)
{
    return sp->base - 1;
}

size_t
rlb_spool_memory(const struct rlb_spool *sp)
{
    return sizeof(*sp) + strlen(sp->dir) + 1 + READ_BUF + sp->batch_cap +
           sp->segcap * sizeof(*sp->segs) + (size_t)(sp->ring_mask + 1) * sizeof(*sp->ring);
}
