/*
 * spool.c: the durable accounting spool (see spool.h): the record format,
 * segment files, group commit, recovery at open, the replay reader and the
 * acknowledgement window.
 *
 * A record, little-endian, 31 octets before the client name and packet:
 *    0  "RLS1"          magic (and format version)
 *    4  u32             length of the whole record
 *    8  u32             CRC-32 of octets 4..7 and 12..end
 *   12  u64             seq
 *   20  u64             arrival time (the bits of an IEEE 754 double)
 *   28  u8              client name length (0..64)
 *   29  u16             packet length (20..4096)
 *   31  client name, then the packet
 * A reader that meets octets that are not a valid record (torn or corrupt)
 * looks for the next magic followed by a record whose CRC holds.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static const uint8_t rec_magic[4] = { 'R', 'L', 'S', '1' };

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

/* ------------------------------------------------------------------ */
/* CRC-32 and the record format                                        */

static uint32_t crc_table[256];

uint32_t
rlb_spool_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    if (crc_table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;

            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    }
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t
rec_crc(const uint8_t *p, size_t n)
{
    return rlb_spool_crc32(rlb_spool_crc32(0, p + 4, 4), p + 12, n - 12);
}

static size_t
rec_encode(uint8_t *p, uint64_t seq, double arrived, const char *client, size_t clen,
           const uint8_t *pkt, size_t len)
{
    size_t n = REC_FIXED + clen + len;
    uint64_t bits;

    memcpy(&bits, &arrived, sizeof(bits));
    memcpy(p, rec_magic, 4);
    put32(p + 4, (uint32_t)n);
    put64(p + 12, seq);
    put64(p + 20, bits);
    p[28] = (uint8_t)clen;
    put16(p + 29, (uint16_t)len);
    memcpy(p + REC_FIXED, client, clen);
    memcpy(p + REC_FIXED + clen, pkt, len);
    put32(p + 8, rec_crc(p, n));
    return n;
}

/* The first REC_FIXED octets could start a record: its total length. */
static uint32_t
rec_plausible(const uint8_t *p)
{
    uint32_t n = get32(p + 4);
    unsigned plen = get16(p + 29);

    if (memcmp(p, rec_magic, 4) != 0 || n < REC_MIN || n > REC_MAX ||
        p[28] > RLB_SPOOL_CLIENT_MAX || plen < RLB_SPOOL_PKT_MIN || plen > RLB_SPOOL_PKT_MAX ||
        REC_FIXED + p[28] + plen != n)
        return 0;
    return n;
}

static bool
rec_decode(const uint8_t *p, uint32_t n, uint64_t off, struct view *v)
{
    uint64_t bits;

    if (get32(p + 8) != rec_crc(p, n))
        return false;
    bits = get64(p + 20);
    v->off = off;
    v->len = n;
    v->seq = get64(p + 12);
    memcpy(&v->arrived, &bits, sizeof(bits));
    v->clen = p[28];
    v->plen = get16(p + 29);
    v->client = p + REC_FIXED;
    v->pkt = p + REC_FIXED + v->clen;
    return v->seq != 0;
}

/* ------------------------------------------------------------------ */
/* Reading a segment                                                   */

/* Makes need octets available at c->pos: 1, 0 when the segment ends
 * before, -1 on a read error (errno). */
static int
cur_fill(struct cursor *c, size_t need)
{
    if (c->len - c->pos >= need)
        return 1;
    if (c->base + c->pos + need > c->limit)
        return 0;
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->base += c->pos;
        c->len -= c->pos;
        c->pos = 0;
    }
    while (c->len < need) {
        uint64_t left = c->limit - (c->base + c->len);
        size_t want = READ_BUF - c->len;
        ssize_t r;

        if (want > left)
            want = (size_t)left;
        r = pread(c->fd, c->buf + c->len, want, (off_t)(c->base + c->len));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            c->limit = c->base + c->len;    /* shorter than we knew */
            return 0;
        }
        c->len += (size_t)r;
    }
    return 1;
}

/*
 * Finds the next whole record at or after the cursor without consuming it:
 * 1 (v filled, pointing into the buffer), 0 at the end of the segment, -1 on
 * a read error. *skipped receives the octets passed over because they hold
 * no valid record, starting at file offset *skip_at.
 */
static int
cur_record(struct cursor *c, struct view *v, uint64_t *skipped, uint64_t *skip_at)
{
    *skipped = 0;
    *skip_at = c->base + c->pos;
    for (;;) {
        const uint8_t *p, *q;
        uint32_t n;
        size_t step;
        int r = cur_fill(c, REC_FIXED);

        if (r < 0)
            return -1;
        if (r == 0) {
            uint64_t at = c->base + c->pos;

            if (c->limit > at)              /* a tail too short to be a record */
                *skipped += c->limit - at;
            c->base = c->limit > at ? c->limit : at;
            c->len = c->pos = 0;
            return 0;
        }
        n = rec_plausible(c->buf + c->pos);
        if (n) {
            r = cur_fill(c, n);
            if (r < 0)
                return -1;
            if (r > 0 && rec_decode(c->buf + c->pos, n, c->base + c->pos, v))
                return 1;
        }
        /* No record here: on to the next octet that could start one. */
        p = c->buf + c->pos;
        q = memchr(p + 1, rec_magic[0], c->len - c->pos - 1);
        step = q ? (size_t)(q - p) : c->len - c->pos;
        c->pos += step;
        *skipped += step;
    }
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void
seg_name(char *buf, size_t size, uint64_t first)
{
    snprintf(buf, size, SEG_FMT, first);
}

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

static int
segs_reserve(struct rlb_spool *sp, size_t n)
{
    struct seg *s;
    size_t cap;

    if (n <= sp->segcap)
        return 0;
    cap = sp->segcap ? sp->segcap * 2 : 16;
    while (cap < n)
        cap *= 2;
    s = realloc(sp->segs, cap * sizeof(*s));
    if (!s)
        return -1;
    sp->segs = s;
    sp->segcap = cap;
    return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;

    return x->first < y->first ? -1 : x->first > y->first;
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
static int
rd_peek(struct rlb_spool *sp, struct view *v)
{
    char name[32];

    for (;;) {
        uint64_t skipped, at;
        int r;

        if (sp->rd_seg >= sp->nsegs)
            return 0;
        seg_name(name, sizeof(name), sp->segs[sp->rd_seg].first);
        if (sp->rd.fd < 0) {
            sp->rd.fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
            if (sp->rd.fd < 0) {
                int e = errno;

                sp->stats.errors++;
                if (e == ENOENT && sp->rd_seg + 1 < sp->nsegs) {
                    rlb_err("spool %s/%s: segment removed behind radlb's back: its records are lost",
                            sp->dir, name);
                    rd_seek(sp, sp->rd_seg + 1, 0);
                    continue;
                }
                if (io_log_ok(sp))
                    rlb_err("spool %s/%s: cannot open for replay: %s", sp->dir, name, strerror(e));
                return -1;
            }
        }
        sp->rd.limit = sp->segs[sp->rd_seg].size;
        r = cur_record(&sp->rd, v, &skipped, &at);
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

static void drop_segments(struct rlb_spool *sp);

/* Writes the position to ACK_TMP, fsyncs it, renames it over ACK_FILE and
 * fsyncs the directory. */
static int
save_ack(struct rlb_spool *sp)
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
    if (save_ack(sp) < 0)
        return -1;
    drop_segments(sp);                  /* those a failed save or unlink kept */
    return 0;
}

static int
read_ack(struct rlb_spool *sp, uint64_t *ack, char *err, size_t errlen)
{
    char text[32], *end;
    ssize_t n;
    int fd = openat(sp->dirfd, ACK_FILE, O_RDONLY | O_CLOEXEC);

    *ack = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "spool %s/%s: %s", sp->dir, ACK_FILE, strerror(errno));
        return -1;
    }
    do
        n = read(fd, text, sizeof(text) - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, errlen, "spool %s/%s: read: %s", sp->dir, ACK_FILE, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    text[n] = '\0';
    errno = 0;
    *ack = strtoull(text, &end, 10);
    if (errno || end == text || text[0] < '0' || text[0] > '9' || strcmp(end, "\n") != 0) {
        /* Replaying everything again is a duplicate, not a loss. */
        sp->stats.errors++;
        rlb_err("spool %s/%s: not an acknowledgement position: every record will be replayed",
                sp->dir, ACK_FILE);
        *ack = 0;
    }
    return 0;
}

/* Deletes the leading segments whose records are all acknowledged, after
 * persisting the position that covers them (else a crash would leave an ack
 * file older than the remaining segments: duplicates, but also seqs used
 * again). */
static void
drop_segments(struct rlb_spool *sp)
{
    uint64_t ack = sp->base - 1;
    char name[32];

    while (sp->nsegs > 0) {
        struct seg *s = &sp->segs[0];
        bool last = sp->nsegs == 1;

        if (last ? sp->committed > ack : sp->segs[1].first - 1 > ack)
            break;
        if (sp->ack_saved < ack && save_ack(sp) < 0)
            break;
        seg_name(name, sizeof(name), s->first);
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
/* Open and recovery                                                   */

static int
list_segments(struct rlb_spool *sp, char *err, size_t errlen)
{
    struct dirent *de;
    DIR *d;
    int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || !(d = fdopendir(fd))) {
        snprintf(err, errlen, "spool %s: cannot list: %s", sp->dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((errno = 0, de = readdir(d))) {
        const char *n = de->d_name;
        struct stat st;
        uint64_t first = 0;
        bool ok = strlen(n) == SEG_NAMELEN && strncmp(n, "spool-", 6) == 0 &&
                  strcmp(n + 22, ".log") == 0;

        for (int i = 6; ok && i < 22; i++) {
            int c = n[i];

            if (c >= '0' && c <= '9')
                first = first << 4 | (uint64_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                first = first << 4 | (uint64_t)(c - 'a' + 10);
            else
                ok = false;
        }
        if (!ok || first == 0) {
            if (n[0] != '.' && strcmp(n, ACK_FILE) != 0)
                rlb_warn("spool %s/%s: not a spool file, ignored", sp->dir, n);
            continue;
        }
        if (fstatat(sp->dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "spool %s/%s: %s", sp->dir, n,
                     errno ? strerror(errno) : "not a regular file");
            closedir(d);
            return -1;
        }
        if (segs_reserve(sp, sp->nsegs + 1) < 0) {
            snprintf(err, errlen, "spool %s: out of memory", sp->dir);
            closedir(d);
            return -1;
        }
        sp->segs[sp->nsegs].first = first;
        sp->segs[sp->nsegs].size = (uint64_t)st.st_size;
        sp->nsegs++;
        sp->bytes += (uint64_t)st.st_size;
    }
    if (errno) {
        snprintf(err, errlen, "spool %s: cannot list: %s", sp->dir, strerror(errno));
        closedir(d);
        return -1;
    }
    closedir(d);
    if (sp->nsegs > 1)
        qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), seg_cmp);
    return 0;
}

/*
 * Reads the last segment through: a corrupt record followed by good ones is
 * logged (the reader will skip it); octets after the last whole record are
 * what kill -9 cut during a commit, never acknowledged to a NAS: the file is
 * truncated there. A segment left without a whole record is deleted, and
 * the one before it checked in turn. Sets sp->committed.
 */
static int
recover_tail(struct rlb_spool *sp, char *err, size_t errlen)
{
    char name[32];

    while (sp->nsegs > 0) {
        struct seg *s = &sp->segs[sp->nsegs - 1];
        struct cursor c = { .fd = -1, .limit = s->size, .buf = sp->rd.buf };
        uint64_t end = 0, last = 0, skipped, at;
        struct view v;
        int r;

        seg_name(name, sizeof(name), s->first);
        c.fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
        if (c.fd < 0) {
            snprintf(err, errlen, "spool %s/%s: %s", sp->dir, name, strerror(errno));
            return -1;
        }
        while ((r = cur_record(&c, &v, &skipped, &at)) > 0) {
            if (skipped) {
                sp->stats.errors++;
                rlb_err("spool %s/%s: %" PRIu64 " corrupt octets at offset %" PRIu64
                        " will be skipped: the records there are lost", sp->dir, name, skipped, at);
            }
            if (v.seq <= last)
                rlb_warn("spool %s/%s: record %" PRIu64 " after record %" PRIu64 " (offset %" PRIu64 ")",
                         sp->dir, name, v.seq, last, v.off);
            else
                last = v.seq;
            end = v.off + v.len;
            c.pos += v.len;
        }
        if (r < 0) {
            snprintf(err, errlen, "spool %s/%s: read: %s", sp->dir, name, strerror(errno));
            close(c.fd);
            return -1;
        }
        if (end < s->size) {
            rlb_warn("spool %s/%s: %" PRIu64 " octets after the last whole record (offset %" PRIu64
                     ") discarded: a commit cut short", sp->dir, name, s->size - end, end);
            if (ftruncate(c.fd, (off_t)end) < 0 || fsync(c.fd) < 0) {
                snprintf(err, errlen, "spool %s/%s: truncate to %" PRIu64 ": %s", sp->dir, name,
                         end, strerror(errno));
                close(c.fd);
                return -1;
            }
            sp->bytes -= s->size - end;
            s->size = end;
        }
        close(c.fd);
        if (end > 0) {
            sp->committed = last;
            return 0;
        }
        if (unlinkat(sp->dirfd, name, 0) < 0) {
            snprintf(err, errlen, "spool %s/%s: delete an empty segment: %s", sp->dir, name,
                     strerror(errno));
            return -1;
        }
        sp->nsegs--;
    }
    return 0;
}

/* Makes a new directory's own entry durable (else the first commit's data
 * would be durable in a directory that a crash could take back). */
static void
sync_parent(const char *dir)
{
    char parent[4096];
    char *slash;
    int fd;

    snprintf(parent, sizeof(parent), "%s", dir);
    while ((slash = strrchr(parent, '/')) && slash[1] == '\0' && slash > parent)
        *slash = '\0';                  /* trailing slashes */
    slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rlb_warn("spool %s: cannot fsync %s after creating the directory: %s", dir, parent,
                 strerror(errno));
    if (fd >= 0)
        close(fd);
}

void
rlb_spool_set_segment_size(struct rlb_spool *sp, uint64_t bytes)
{
    sp->seg_size = bytes ? bytes : 1;
}

struct rlb_spool *
rlb_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
    struct rlb_spool *sp = calloc(1, sizeof(*sp));
    uint64_t ack;
    struct view v;
    int r;

    if (!sp) {
        snprintf(err, errlen, "spool %s: out of memory", dir);
        return NULL;
    }
    sp->dirfd = sp->wfd = sp->rd.fd = -1;
    sp->base = 1;                       /* position 0, as saved: close() writes nothing */
    sp->dir = strdup(dir);
    sp->rd.buf = malloc(READ_BUF);
    sp->ring = calloc(RING_MIN, sizeof(*sp->ring));
    sp->ring_mask = RING_MIN - 1;
    if (!sp->dir || !sp->rd.buf || !sp->ring) {
        snprintf(err, errlen, "spool %s: out of memory", dir);
        goto fail;
    }
    sp->max_bytes = max_bytes;
    sp->seg_size = RLB_SPOOL_SEGMENT_SIZE;
    if (max_bytes && max_bytes / 8 < sp->seg_size)
        sp->seg_size = max_bytes / 8 > SEG_AUTO_MIN ? max_bytes / 8 : SEG_AUTO_MIN;

    if (mkdir(dir, 0700) == 0)
        sync_parent(dir);
    else if (errno != EEXIST) {
        snprintf(err, errlen, "spool %s: cannot create: %s", dir, strerror(errno));
        goto fail;
    }
    sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (flock(sp->dirfd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "spool %s: %s", dir,
                 errno == EWOULDBLOCK ? "in use by another process" : strerror(errno));
        goto fail;
    }
    if (read_ack(sp, &ack, err, errlen) < 0)
        goto fail;
    if (unlinkat(sp->dirfd, ACK_TMP, 0) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "spool %s/%s: %s", dir, ACK_TMP, strerror(errno));
        goto fail;
    }
    sp->base = ack + 1;
    sp->hi = ack;
    sp->ack_saved = ack;
    if (list_segments(sp, err, errlen) < 0 || recover_tail(sp, err, errlen) < 0)
        goto fail;
    sp->next_seq = (sp->committed > ack ? sp->committed : ack) + 1;
    drop_segments(sp);                  /* acknowledged before a crash */

    /* The reader starts at the first record above the position. */
    while ((r = rd_peek(sp, &v)) > 0 && v.seq < sp->base)
        sp->rd.pos += v.len;
    if (r > 0)
        sp->unread_arrived = v.arrived;

    rlb_info("spool %s: %" PRIu64 " records to replay, %zu segments, %" PRIu64
             " octets, acknowledged up to %" PRIu64, dir, rlb_spool_depth(sp), sp->nsegs,
             sp->bytes, ack);
    return sp;

fail:
    rlb_spool_close(sp);
    return NULL;
}

void
rlb_spool_close(struct rlb_spool *sp)
{
    if (!sp)
        return;
    if (sp->dirfd >= 0 && sp->ring)
        save_ack(sp);
    if (sp->batch_n)
        rlb_info("spool %s: %" PRIu64 " records not committed at close, dropped", sp->dir,
                 sp->batch_n);
    if (sp->wfd >= 0)
        close(sp->wfd);
    if (sp->rd.fd >= 0)
        close(sp->rd.fd);
    if (sp->dirfd >= 0)
        close(sp->dirfd);                /* and the lock */
    free(sp->ring);
    free(sp->rd.buf);
    free(sp->batch);
    free(sp->segs);
    free(sp->dir);
    free(sp);
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
    sp->batch_len += rec_encode(sp->batch + sp->batch_len, seq, arrived, client, clen, pkt, len);
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

        seg_name(name, sizeof(name), sp->batch_first);
        if (segs_reserve(sp, sp->nsegs + 1) < 0) {
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
    seg_name(name, sizeof(name), s->first);
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
        r = rd_peek(sp, &v);
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

        sp->unread_arrived = rd_peek(sp, &w) > 0 ? w.arrived : 0;
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
    drop_segments(sp);
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
