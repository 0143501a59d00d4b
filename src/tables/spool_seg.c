/*
 * spool_seg.c: the spool's segment files (see spool.h, spool_int.h): the
 * record format and its CRC, reading a segment through a buffer, and
 * opening the directory: the segments listed, the torn tail of the last one
 * recovered, the acknowledgement position read; closing.
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
#include <unistd.h>

#include "log.h"
#include "spool_int.h"

static const uint8_t rec_magic[4] = { 'R', 'L', 'S', '1' };

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

size_t
spool_rec_encode(uint8_t *p, uint64_t seq, double arrived, const char *client, size_t clen,
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
int
spool_cur_record(struct cursor *c, struct view *v, uint64_t *skipped, uint64_t *skip_at)
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
/* Segments                                                            */

void
spool_seg_name(char *buf, size_t size, uint64_t first)
{
    snprintf(buf, size, SEG_FMT, first);
}

int
spool_segs_reserve(struct rlb_spool *sp, size_t n)
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

/* ------------------------------------------------------------------ */
/* Open and recovery                                                   */

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
        if (spool_segs_reserve(sp, sp->nsegs + 1) < 0) {
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

        spool_seg_name(name, sizeof(name), s->first);
        c.fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
        if (c.fd < 0) {
            snprintf(err, errlen, "spool %s/%s: %s", sp->dir, name, strerror(errno));
            return -1;
        }
        while ((r = spool_cur_record(&c, &v, &skipped, &at)) > 0) {
            if (skipped) {
                sp->stats.errors++;
                rlb_err("spool %s/%s: %" PRIu64 " corrupt octets at offset %" PRIu64
                        " will be skipped: the records there are lost", sp->dir, name, skipped, at);
            }
            if (v.seq <= last)
                rlb_warn("spool %s/%s: record %" PRIu64 " after record %" PRIu64
                         " (offset %" PRIu64 ")", sp->dir, name, v.seq, last, v.off);
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
    spool_drop_segments(sp);                  /* acknowledged before a crash */

    /* The reader starts at the first record above the position. */
    while ((r = spool_rd_peek(sp, &v)) > 0 && v.seq < sp->base)
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
        spool_save_ack(sp);
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
