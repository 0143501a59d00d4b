/*
 * check_spool.c: unit tests of src/tables/spool.c, the durable accounting spool:
 * append, group commit and replay in order; acknowledgements out of order
 * and the persisted position; rewind; segment roll-over and deletion;
 * reopening; recovery from kill -9 (a real one, in a child process) and
 * from torn or garbage tails; corrupt records skipped with a log line;
 * the max_bytes bound; packet sizes; 100,000 records in bounded memory;
 * the directory lock and I/O errors (an ack file that cannot be written,
 * a full disk).
 *
 * Each test works in its own directory from mkdtemp(), removed afterwards.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#include "testutil.h"

#define REC_OVERHEAD 31                 /* octets of a record besides client and packet */

static char tdir[256];                  /* the test's directory */
static char sdir[300];                  /* the spool in it */
static char err[256];

static void
rm_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char p[600];

    if (!d)
        return;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        if (de->d_type == DT_DIR)
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static void
setup(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(tdir, sizeof(tdir), "%s/check_spool.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
    snprintf(sdir, sizeof(sdir), "%s/spool", tdir);
}

static void
teardown(void)
{
    rm_tree(tdir);
}

static struct rlb_spool *
sopen(uint64_t max_bytes)
{
    struct rlb_spool *sp = rlb_spool_open(sdir, max_bytes, err, sizeof(err));

    ck_assert_msg(sp != NULL, "rlb_spool_open: %s", err);
    return sp;
}

/* A deterministic Accounting-Request of len octets for key. */
static void
mkpkt(uint8_t *buf, size_t len, uint64_t key)
{
    fill_pattern(buf, len, (unsigned)key);
    buf[0] = 4;
    buf[1] = (uint8_t)key;
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
}

static double
arrival(uint64_t key)
{
    return 1700000000.0 + (double)key * 0.25;
}

/* Appends a record for key: packet of len octets, client "nas-<key % 7>". */
static uint64_t
add(struct rlb_spool *sp, uint64_t key, size_t len)
{
    uint8_t pkt[RLB_SPOOL_PKT_MAX];
    char client[16];

    mkpkt(pkt, len, key);
    snprintf(client, sizeof(client), "nas-%u", (unsigned)(key % 7));
    return rlb_spool_append(sp, arrival(key), client, pkt, len);
}

/* The next record is the one add(key, len) made, with seq. */
static void
expect(struct rlb_spool *sp, uint64_t seq, uint64_t key, size_t len)
{
    struct rlb_spool_record rec;
    uint8_t pkt[RLB_SPOOL_PKT_MAX];
    char client[16];

    ck_assert_int_eq(rlb_spool_next(sp, &rec), 1);
    ck_assert_uint_eq(rec.seq, seq);
    ck_assert_uint_eq(rec.len, len);
    mkpkt(pkt, len, key);
    ck_assert(memcmp(rec.pkt, pkt, len) == 0);
    snprintf(client, sizeof(client), "nas-%u", (unsigned)(key % 7));
    ck_assert_str_eq(rec.client, client);
    ck_assert(rec.arrived == arrival(key));
}

static void
expect_end(struct rlb_spool *sp)
{
    struct rlb_spool_record rec;

    ck_assert_int_eq(rlb_spool_next(sp, &rec), 0);
}

/* Appends keys first..last (seq = key) with packets of len octets, commits. */
static void
fill(struct rlb_spool *sp, uint64_t first, uint64_t last, size_t len)
{
    for (uint64_t k = first; k <= last; k++)
        ck_assert_uint_eq(add(sp, k, len), k);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
}

static void
seg_path(char *buf, size_t size, uint64_t first)
{
    snprintf(buf, size, "%s/spool-%016" PRIx64 ".log", sdir, first);
}

static int
count_segments(void)
{
    DIR *d = opendir(sdir);
    struct dirent *de;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)))
        n += strncmp(de->d_name, "spool-", 6) == 0;
    closedir(d);
    return n;
}

static off_t
file_size(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

static uint64_t
saved_ack(void)
{
    char p[400], text[64] = "";
    FILE *f;

    snprintf(p, sizeof(p), "%s/ack", sdir);
    f = fopen(p, "r");
    if (!f)
        return 0;
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    return strtoull(text, NULL, 10);
}

static void
flip(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    uint8_t b;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, &b, 1, off), 1);
    b ^= 0x5a;
    ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void
append_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* stderr (the log) goes to a file between capture_start and capture_end. */
static int cap_saved = -1;
static char cap_text[16384];

static void
capture_start(void)
{
    char p[300];
    int fd;

    snprintf(p, sizeof(p), "%s/log", tdir);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    cap_saved = dup(2);
    dup2(fd, 2);
    close(fd);
}

static const char *
capture_end(void)
{
    char p[300];
    ssize_t n;
    int fd;

    fflush(stderr);
    dup2(cap_saved, 2);
    close(cap_saved);
    snprintf(p, sizeof(p), "%s/log", tdir);
    fd = open(p, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    n = read(fd, cap_text, sizeof(cap_text) - 1);
    close(fd);
    cap_text[n > 0 ? n : 0] = '\0';
    return cap_text;
}

/* ------------------------------------------------------------------ */

START_TEST(crc32_vectors)
{
    const char *s = "123456789";

    ck_assert_uint_eq(rlb_spool_crc32(0, s, 9), 0xCBF43926u);
    ck_assert_uint_eq(rlb_spool_crc32(rlb_spool_crc32(0, s, 4), s + 4, 5), 0xCBF43926u);
    ck_assert_uint_eq(rlb_spool_crc32(0, "", 0), 0);
}
END_TEST

START_TEST(append_commit_next_in_order)
{
    struct rlb_spool *sp = sopen(0);
    const struct rlb_spool_stats *st = rlb_spool_stats(sp);
    struct stat dst;
    char p[400];

    ck_assert_int_eq(stat(sdir, &dst), 0);
    ck_assert_int_eq(dst.st_mode & 0777, 0700);
    ck_assert_str_eq(rlb_spool_dir(sp), sdir);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert(rlb_spool_oldest(sp) == 0);
    ck_assert(!rlb_spool_pending(sp));
    expect_end(sp);

    for (uint64_t k = 1; k <= 10; k++)
        ck_assert_uint_eq(add(sp, k, 20 + k * 37), k);
    ck_assert(rlb_spool_pending(sp));
    expect_end(sp);                     /* nothing before the commit */
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);

    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    ck_assert(!rlb_spool_pending(sp));
    ck_assert_uint_eq(st->appended, 10);
    ck_assert_uint_eq(st->commits, 1);
    ck_assert_uint_eq(rlb_spool_depth(sp), 10);
    ck_assert(rlb_spool_oldest(sp) == arrival(1));
    seg_path(p, sizeof(p), 1);
    ck_assert_uint_eq(count_segments(), 1);
    ck_assert_uint_eq(rlb_spool_bytes(sp), (uint64_t)file_size(p));
    ck_assert_uint_eq(rlb_spool_commit(sp), 0);    /* nothing pending: no batch */
    ck_assert_uint_eq(st->commits, 1);

    for (uint64_t k = 1; k <= 10; k++)
        expect(sp, k, k, 20 + k * 37);
    expect_end(sp);
    ck_assert_uint_eq(st->replayed, 10);
    ck_assert(rlb_spool_oldest(sp) == arrival(1));  /* out, not acknowledged */

    fill(sp, 11, 13, 100);
    expect(sp, 11, 11, 100);
    expect(sp, 12, 12, 100);
    expect(sp, 13, 13, 100);
    expect_end(sp);
    ck_assert_uint_eq(rlb_spool_depth(sp), 13);
    ck_assert_uint_eq(st->errors, 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(acks_out_of_order)
{
    struct rlb_spool *sp = sopen(0);
    const struct rlb_spool_stats *st = rlb_spool_stats(sp);

    fill(sp, 1, 6, 50);
    for (uint64_t k = 1; k <= 6; k++)
        expect(sp, k, k, 50);

    rlb_spool_ack(sp, 3);
    rlb_spool_ack(sp, 5);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 0);
    ck_assert_uint_eq(rlb_spool_depth(sp), 6);
    ck_assert(rlb_spool_oldest(sp) == arrival(1));
    rlb_spool_ack(sp, 1);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 1);
    ck_assert(rlb_spool_oldest(sp) == arrival(2));
    rlb_spool_ack(sp, 2);               /* 2 and 3: the prefix reaches 3 */
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 3);
    ck_assert_uint_eq(rlb_spool_depth(sp), 3);
    ck_assert(rlb_spool_oldest(sp) == arrival(4));

    rlb_spool_ack(sp, 3);               /* again: ignored */
    rlb_spool_ack(sp, 5);
    rlb_spool_ack(sp, 99);              /* never handed out: ignored */
    rlb_spool_ack(sp, 0);
    ck_assert_uint_eq(st->acked, 4);

    /* The position on disk moves only when saved, and only when it moved. */
    ck_assert_uint_eq(saved_ack(), 0);
    ck_assert_int_eq(rlb_spool_save_ack(sp), 0);
    ck_assert_uint_eq(saved_ack(), 3);
    ck_assert_int_eq(rlb_spool_save_ack(sp), 0);

    rlb_spool_ack(sp, 4);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 5);
    rlb_spool_ack(sp, 6);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 6);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert(rlb_spool_oldest(sp) == 0);
    ck_assert_uint_eq(st->acked, 6);

    /* A record committed but not handed out cannot be acknowledged. */
    fill(sp, 7, 7, 50);
    ck_assert(rlb_spool_oldest(sp) == arrival(7));
    rlb_spool_ack(sp, 7);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 6);
    expect(sp, 7, 7, 50);
    rlb_spool_ack(sp, 7);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 7);
    rlb_spool_close(sp);
    ck_assert_uint_eq(saved_ack(), 7);  /* close saves */
}
END_TEST

START_TEST(rewind_hands_out_unacknowledged_again)
{
    struct rlb_spool *sp = sopen(0);
    const struct rlb_spool_stats *st = rlb_spool_stats(sp);

    rlb_spool_rewind(sp);               /* nothing out: nothing to do */
    expect_end(sp);
    fill(sp, 1, 8, 60);
    for (uint64_t k = 1; k <= 5; k++)
        expect(sp, k, k, 60);
    rlb_spool_ack(sp, 2);
    rlb_spool_ack(sp, 4);
    rlb_spool_rewind(sp);
    expect(sp, 1, 1, 60);
    expect(sp, 3, 3, 60);
    expect(sp, 5, 5, 60);
    expect(sp, 6, 6, 60);
    expect(sp, 7, 7, 60);
    /* A rewind in the middle of a rewound pass. */
    rlb_spool_rewind(sp);
    expect(sp, 1, 1, 60);
    rlb_spool_ack(sp, 1);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 2);
    rlb_spool_rewind(sp);
    expect(sp, 3, 3, 60);
    expect(sp, 5, 5, 60);
    expect(sp, 6, 6, 60);
    expect(sp, 7, 7, 60);
    expect(sp, 8, 8, 60);
    expect_end(sp);
    ck_assert_uint_eq(st->replayed, 5 + 5 + 1 + 5);

    /* Records committed after the rewind follow in order. */
    rlb_spool_rewind(sp);
    fill(sp, 9, 10, 60);
    for (uint64_t k = 3; k <= 8; k++) {
        if (k != 4)
            expect(sp, k, k, 60);
    }
    expect(sp, 9, 9, 60);
    expect(sp, 10, 10, 60);
    expect_end(sp);
    for (uint64_t k = 3; k <= 10; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    rlb_spool_rewind(sp);
    expect_end(sp);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(segments_roll_and_are_deleted)
{
    struct rlb_spool *sp = sopen(0);
    const size_t rec = REC_OVERHEAD + 5 + 200;   /* "nas-N" */
    char p[400];

    rlb_spool_set_segment_size(sp, 1000);
    /* One commit per record: a segment takes records until it passes 1000
     * octets, 5 of 236. */
    for (uint64_t k = 1; k <= 20; k++)
        fill(sp, k, k, 200);
    ck_assert_uint_eq(count_segments(), 4);
    for (uint64_t first = 1; first <= 16; first += 5) {
        seg_path(p, sizeof(p), first);
        ck_assert_int_eq(file_size(p), 5 * rec);
    }
    ck_assert_uint_eq(rlb_spool_bytes(sp), 20 * rec);
    for (uint64_t k = 1; k <= 20; k++)
        expect(sp, k, k, 200);
    expect_end(sp);

    /* The second segment acknowledged first: nothing deleted yet. */
    for (uint64_t k = 6; k <= 10; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(count_segments(), 4);
    for (uint64_t k = 1; k <= 4; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(count_segments(), 4);
    rlb_spool_ack(sp, 5);
    ck_assert_uint_eq(count_segments(), 2);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 10 * rec);
    ck_assert_uint_eq(saved_ack(), 10);   /* persisted before deleting */
    seg_path(p, sizeof(p), 11);
    ck_assert_int_eq(access(p, F_OK), 0);

    for (uint64_t k = 11; k <= 20; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(count_segments(), 0);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 0);
    ck_assert_uint_eq(saved_ack(), 20);

    /* The next segment is named by its first record, in hex. */
    fill(sp, 21, 22, 200);
    seg_path(p, sizeof(p), 21);
    ck_assert_str_eq(strrchr(p, '/') + 1, "spool-0000000000000015.log");
    ck_assert_int_eq(file_size(p), 2 * rec);
    expect(sp, 21, 21, 200);
    expect(sp, 22, 22, 200);
    expect_end(sp);
    ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(reopen_resumes_after_the_position)
{
    struct rlb_spool *sp = sopen(0);

    fill(sp, 1, 10, 80);
    for (uint64_t k = 1; k <= 6; k++)
        expect(sp, k, k, 80);
    for (uint64_t k = 1; k <= 6; k++) {
        if (k != 5)
            rlb_spool_ack(sp, k);
    }
    ck_assert_int_eq(rlb_spool_save_ack(sp), 0);
    rlb_spool_close(sp);

    sp = sopen(0);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 4);
    ck_assert_uint_eq(rlb_spool_depth(sp), 6);
    ck_assert(rlb_spool_oldest(sp) == arrival(5));
    /* 6 was acknowledged out of order, not persisted: replayed again. */
    for (uint64_t k = 5; k <= 10; k++)
        expect(sp, k, k, 80);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 11, 80), 11);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    expect(sp, 11, 11, 80);
    for (uint64_t k = 5; k <= 11; k++)
        rlb_spool_ack(sp, k);
    rlb_spool_close(sp);

    sp = sopen(0);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 12, 80), 12);     /* seqs go on */
    rlb_spool_close(sp);                        /* a batch not committed: dropped */

    sp = sopen(0);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 12, 80), 12);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(kill_9_keeps_committed_records)
{
    struct rlb_spool *sp;
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlb_spool_record rec;

        sp = rlb_spool_open(sdir, 0, err, sizeof(err));
        if (!sp)
            _exit(1);
        for (uint64_t k = 1; k <= 10; k++) {
            if (add(sp, k, 120) != k || (k % 5 == 0 && rlb_spool_commit(sp) != 0))
                _exit(2);
        }
        for (int i = 0; i < 10; i++) {
            if (rlb_spool_next(sp, &rec) != 1)
                _exit(3);
        }
        for (uint64_t k = 1; k <= 3; k++)
            rlb_spool_ack(sp, k);
        if (rlb_spool_save_ack(sp) != 0)
            _exit(4);
        for (uint64_t k = 4; k <= 7; k++)
            rlb_spool_ack(sp, k);           /* not persisted */
        for (uint64_t k = 11; k <= 13; k++)
            add(sp, k, 120);                /* not committed */
        raise(SIGKILL);
        _exit(5);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);

    sp = sopen(0);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 3);
    ck_assert_uint_eq(rlb_spool_depth(sp), 7);
    for (uint64_t k = 4; k <= 10; k++)
        expect(sp, k, k, 120);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 11, 120), 11);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    expect(sp, 11, 11, 120);
    ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 0);
    rlb_spool_close(sp);
}
END_TEST

/*
 * kill -9 at whatever point the child has reached: a child appends, commits,
 * replays and acknowledges in a loop and reports every commit and every
 * saved position on a pipe; the parent kills it, reopens the spool and
 * checks that every reported record is there, intact and in order, and that
 * the position did not go back. Five rounds, each child resuming the spool.
 */
static void
crash_child(int wfd)
{
    char e[256];
    struct rlb_spool *sp = rlb_spool_open(sdir, 0, e, sizeof(e));
    struct rlb_spool_record rec;
    uint64_t next, out[16];

    if (!sp)
        _exit(1);
    rlb_spool_set_segment_size(sp, 4096);
    next = rlb_spool_ack_pos(sp) + rlb_spool_depth(sp) + 1;
    for (unsigned i = 0;; i++) {
        for (unsigned j = 0; j <= i % 5; j++, next++) {
            if (add(sp, next, 20 + next % 300) != next)
                _exit(2);
        }
        if (rlb_spool_commit(sp) != 0)
            _exit(3);
        dprintf(wfd, "C %" PRIu64 "\n", next - 1);
        if (i % 7 == 6) {
            int n = 0;

            while (n < 16 && rlb_spool_next(sp, &rec) == 1)
                out[n++] = rec.seq;
            while (n-- > 0)
                rlb_spool_ack(sp, out[n]);      /* newest first */
            if (rlb_spool_save_ack(sp) != 0)
                _exit(4);
            dprintf(wfd, "A %" PRIu64 "\n", rlb_spool_ack_pos(sp));
        }
    }
}

START_TEST(kill_9_at_any_point)
{
    uint64_t committed = 0, saved = 0;

    for (int round = 0; round < 5; round++) {
        struct rlb_spool_record rec;
        struct rlb_spool *sp;
        int fds[2], status, lines = 0;
        char line[64];
        uint64_t seq, v;
        FILE *f;
        pid_t pid;

        ck_assert_int_eq(pipe(fds), 0);
        fflush(NULL);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(fds[1]);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
            v = strtoull(line + 2, NULL, 10);
            if (line[0] == 'C')
                committed = v;
            else
                saved = v;
            if (++lines == 60 + 13 * round)
                kill(pid, SIGKILL);             /* wherever it is */
        }
        fclose(f);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                      "round %d: child status %d", round, status);

        capture_start();                        /* a torn tail is told */
        sp = rlb_spool_open(sdir, 0, err, sizeof(err));
        capture_end();
        ck_assert_msg(sp != NULL, "%s", err);
        ck_assert_uint_ge(rlb_spool_ack_pos(sp), saved);
        ck_assert_uint_le(rlb_spool_ack_pos(sp), committed);
        seq = rlb_spool_ack_pos(sp);
        while (rlb_spool_next(sp, &rec) == 1) {
            uint8_t pkt[RLB_SPOOL_PKT_MAX];

            ck_assert_uint_eq(rec.seq, ++seq);
            ck_assert_uint_eq(rec.len, 20 + seq % 300);
            mkpkt(pkt, rec.len, seq);
            ck_assert(memcmp(rec.pkt, pkt, rec.len) == 0);
        }
        ck_assert_uint_ge(seq, committed);      /* nothing reported is missing */
        ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 0);
        rlb_spool_close(sp);
    }
}
END_TEST

START_TEST(torn_last_record_is_discarded)
{
    const size_t rec = REC_OVERHEAD + 5 + 100;
    struct rlb_spool *sp = sopen(0);
    const char *log;
    char p[400];

    fill(sp, 1, 5, 100);
    rlb_spool_close(sp);
    seg_path(p, sizeof(p), 1);
    ck_assert_int_eq(file_size(p), 5 * rec);

    /* Cut in the packet of the last record. */
    ck_assert_int_eq(truncate(p, 5 * rec - 7), 0);
    capture_start();
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    log = capture_end();
    ck_assert_msg(sp != NULL, "%s", err);
    ck_assert_msg(strstr(log, "discarded") != NULL, "log: %s", log);
    ck_assert_int_eq(file_size(p), 4 * rec);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 4 * rec);
    ck_assert_uint_eq(rlb_spool_depth(sp), 4);
    for (uint64_t k = 1; k <= 4; k++)
        expect(sp, k, k, 100);
    expect_end(sp);
    /* Appending works again; the torn record was never durable, its seq
     * is used again. */
    ck_assert_uint_eq(add(sp, 105, 100), 5);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    expect(sp, 5, 105, 100);
    expect_end(sp);
    rlb_spool_close(sp);

    /* Cut in the header of the last record (the one in the new segment). */
    seg_path(p, sizeof(p), 5);
    ck_assert_int_eq(file_size(p), rec);
    fill(sp = sopen(0), 6, 6, 100);
    rlb_spool_close(sp);
    seg_path(p, sizeof(p), 6);
    ck_assert_int_eq(truncate(p, 10), 0);
    capture_start();
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    capture_end();
    ck_assert_msg(sp != NULL, "%s", err);
    ck_assert_int_eq(access(p, F_OK), -1);      /* nothing whole left: deleted */
    ck_assert_uint_eq(count_segments(), 2);
    ck_assert_uint_eq(rlb_spool_depth(sp), 5);
    for (uint64_t k = 1; k <= 4; k++)
        expect(sp, k, k, 100);
    expect(sp, 5, 105, 100);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 6, 100), 6);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    expect(sp, 6, 6, 100);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(garbage_after_the_last_record_is_discarded)
{
    const size_t rec = REC_OVERHEAD + 5 + 100;
    uint8_t junk[300];
    struct rlb_spool *sp = sopen(0);
    const char *log;
    char p[400];

    fill(sp, 1, 5, 100);
    rlb_spool_close(sp);
    seg_path(p, sizeof(p), 1);
    /* Junk that holds the magic and a plausible header. */
    fill_pattern(junk, sizeof(junk), 42);
    memcpy(junk + 17, "RLS1", 4);
    junk[21] = 136;
    junk[22] = junk[23] = junk[24] = 0;
    append_file(p, junk, sizeof(junk));

    capture_start();
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    log = capture_end();
    ck_assert_msg(sp != NULL, "%s", err);
    ck_assert_msg(strstr(log, "discarded") != NULL, "log: %s", log);
    ck_assert_int_eq(file_size(p), 5 * rec);
    ck_assert_uint_eq(rlb_spool_depth(sp), 5);
    for (uint64_t k = 1; k <= 5; k++)
        expect(sp, k, k, 100);
    expect_end(sp);
    ck_assert_uint_eq(add(sp, 6, 100), 6);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    expect(sp, 6, 6, 100);
    ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(corrupt_records_are_skipped_with_a_log_line)
{
    const size_t rec = REC_OVERHEAD + 5 + 200;
    struct rlb_spool *sp = sopen(0);
    const char *log;
    char p[400];

    rlb_spool_set_segment_size(sp, 1000);
    for (uint64_t k = 1; k <= 15; k++)
        fill(sp, k, k, 200);        /* segments 1, 6 and 11, five records each */
    rlb_spool_close(sp);

    seg_path(p, sizeof(p), 1);
    flip(p, 2 * rec + 100);         /* record 3: its packet */
    seg_path(p, sizeof(p), 6);
    flip(p, 1 * rec + 5);           /* record 7: its length */
    seg_path(p, sizeof(p), 11);
    flip(p, 1 * rec + 14);          /* record 12, in the last segment: its seq */

    capture_start();
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    ck_assert_msg(sp != NULL, "%s", err);
    for (uint64_t k = 1; k <= 15; k++) {
        if (k != 3 && k != 7 && k != 12)
            expect(sp, k, k, 200);
    }
    expect_end(sp);
    log = capture_end();
    ck_assert_msg(strstr(log, "spool-0000000000000001.log: 236 corrupt octets at offset 472") != NULL,
                  "log: %s", log);
    ck_assert_msg(strstr(log, "spool-0000000000000006.log: 236 corrupt octets at offset 236") != NULL,
                  "log: %s", log);
    ck_assert_msg(strstr(log, "spool-000000000000000b.log: 236 corrupt octets at offset 236") != NULL,
                  "log: %s", log);
    ck_assert_uint_ge(rlb_spool_stats(sp)->errors, 3);
    /* A middle record is not a torn tail: nothing was truncated. */
    ck_assert_uint_eq(rlb_spool_bytes(sp), 15 * rec);

    /* The lost records do not hold the position back. */
    for (uint64_t k = 1; k <= 15; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 15);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(max_bytes_refuses_then_space_comes_back)
{
    const size_t rec = REC_OVERHEAD + 5 + 200;
    struct rlb_spool *sp = sopen(10 * rec);
    const struct rlb_spool_stats *st = rlb_spool_stats(sp);

    rlb_spool_set_segment_size(sp, 3 * rec);    /* three records a segment */
    for (uint64_t k = 1; k <= 9; k++)
        fill(sp, k, k, 200);
    ck_assert_uint_eq(add(sp, 10, 200), 10);    /* the batch counts too */
    ck_assert_uint_eq(add(sp, 11, 200), 0);
    ck_assert_uint_eq(st->full, 1);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 10 * rec);
    ck_assert_uint_eq(add(sp, 11, 200), 0);
    ck_assert_uint_eq(st->full, 2);
    ck_assert_uint_eq(st->appended, 10);

    /* Acknowledged but their segment still holds others: no space. */
    expect(sp, 1, 1, 200);
    expect(sp, 2, 2, 200);
    rlb_spool_ack(sp, 1);
    rlb_spool_ack(sp, 2);
    ck_assert_uint_eq(add(sp, 11, 200), 0);
    expect(sp, 3, 3, 200);
    rlb_spool_ack(sp, 3);               /* segment 1 deleted */
    ck_assert_uint_eq(rlb_spool_bytes(sp), 7 * rec);
    for (uint64_t k = 11; k <= 13; k++)
        ck_assert_uint_eq(add(sp, k, 200), k);
    ck_assert_uint_eq(add(sp, 14, 200), 0);
    ck_assert_uint_eq(st->full, 4);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);

    /* Drained: everything comes back. */
    for (uint64_t k = 4; k <= 13; k++) {
        expect(sp, k, k, 200);
        rlb_spool_ack(sp, k);
    }
    ck_assert_uint_eq(rlb_spool_bytes(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);
    for (uint64_t k = 14; k <= 23; k++)
        ck_assert_uint_eq(add(sp, k, 200), k);
    ck_assert_uint_eq(add(sp, 24, 200), 0);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(packet_sizes_and_client_names)
{
    struct rlb_spool *sp = sopen(0);
    struct rlb_spool_record rec;
    uint8_t small[20], big[4096], bad[4097];
    char c64[65], c70[71];

    memset(bad, 0, sizeof(bad));
    mkpkt(small, sizeof(small), 1);
    mkpkt(big, sizeof(big), 2);
    memset(c64, 'x', 64);
    c64[64] = '\0';
    memset(c70, 'y', 70);
    c70[70] = '\0';
    ck_assert_uint_eq(rlb_spool_append(sp, 1.5, c64, small, 20), 1);
    ck_assert_uint_eq(rlb_spool_append(sp, 2.5, c70, big, 4096), 2);
    ck_assert_uint_eq(rlb_spool_append(sp, 3.5, "", small, 20), 3);
    ck_assert_uint_eq(rlb_spool_append(sp, 4.5, NULL, big, 4096), 4);
    capture_start();
    ck_assert_uint_eq(rlb_spool_append(sp, 5.5, "nas", small, 19), 0);
    ck_assert_uint_eq(rlb_spool_append(sp, 5.5, "nas", bad, 4097), 0);
    ck_assert_uint_eq(rlb_spool_append(sp, 5.5, "nas", NULL, 20), 0);
    capture_end();
    ck_assert_uint_eq(rlb_spool_stats(sp)->full, 0);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 4 * REC_OVERHEAD + 64 + 64 + 2 * (20 + 4096));

    ck_assert_int_eq(rlb_spool_next(sp, &rec), 1);
    ck_assert_uint_eq(rec.seq, 1);
    ck_assert_uint_eq(rec.len, 20);
    ck_assert(memcmp(rec.pkt, small, 20) == 0);
    ck_assert_str_eq(rec.client, c64);
    ck_assert(rec.arrived == 1.5);
    ck_assert_int_eq(rlb_spool_next(sp, &rec), 1);
    ck_assert_uint_eq(rec.len, 4096);
    ck_assert(memcmp(rec.pkt, big, 4096) == 0);
    c70[64] = '\0';                     /* cut to 64 */
    ck_assert_str_eq(rec.client, c70);
    ck_assert_int_eq(rlb_spool_next(sp, &rec), 1);
    ck_assert_str_eq(rec.client, "");
    ck_assert_uint_eq(rec.len, 20);
    ck_assert_int_eq(rlb_spool_next(sp, &rec), 1);
    ck_assert_str_eq(rec.client, "");
    ck_assert_uint_eq(rec.len, 4096);
    ck_assert(memcmp(rec.pkt, big, 4096) == 0);
    ck_assert_int_eq(rlb_spool_next(sp, &rec), 0);
    rlb_spool_close(sp);
}
END_TEST

#define MANY 100000

static size_t
many_len(uint64_t k)
{
    return 20 + (size_t)(k * 37 % 281);
}

START_TEST(hundred_thousand_records_in_small_memory)
{
    struct rlb_spool *sp = sopen(0);
    const size_t limit = 256 * 1024;
    uint64_t total = 0;

    rlb_spool_set_segment_size(sp, 1024 * 1024);
    for (uint64_t k = 1; k <= MANY; k++) {
        ck_assert_uint_eq(add(sp, k, many_len(k)), k);
        total += REC_OVERHEAD + 5 + many_len(k);
        if (k % 100 == 0) {
            ck_assert_int_eq(rlb_spool_commit(sp), 0);
            ck_assert_uint_le(rlb_spool_memory(sp), limit);
        }
    }
    ck_assert_uint_eq(rlb_spool_bytes(sp), total);
    ck_assert_uint_eq(rlb_spool_stats(sp)->commits, MANY / 100);
    rlb_spool_close(sp);

    sp = sopen(0);
    ck_assert_uint_eq(rlb_spool_depth(sp), MANY);
    ck_assert_uint_eq(rlb_spool_bytes(sp), total);
    ck_assert_int_gt(count_segments(), 10);
    ck_assert(rlb_spool_oldest(sp) == arrival(1));
    /* Replay with a window of 64 records out, as radlb would. */
    for (uint64_t k = 1; k <= MANY; k++) {
        expect(sp, k, k, many_len(k));
        if (k > 64)
            rlb_spool_ack(sp, k - 64);
        if (k % 1000 == 0) {
            ck_assert_uint_le(rlb_spool_memory(sp), limit);
            ck_assert_uint_eq(rlb_spool_ack_pos(sp), k - 64);
        }
    }
    expect_end(sp);
    for (uint64_t k = MANY - 63; k <= MANY; k++)
        rlb_spool_ack(sp, k);
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);
    ck_assert_uint_le(rlb_spool_memory(sp), limit);
    ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(one_process_per_directory)
{
    struct rlb_spool *sp = sopen(0), *other;

    other = rlb_spool_open(sdir, 0, err, sizeof(err));
    ck_assert_ptr_null(other);
    ck_assert_msg(strstr(err, "in use") != NULL, "%s", err);
    rlb_spool_close(sp);
    sp = sopen(0);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(open_errors)
{
    char p[400];
    struct rlb_spool *sp;

    snprintf(p, sizeof(p), "%s/file", tdir);
    append_file(p, "x", 1);
    sp = rlb_spool_open(p, 0, err, sizeof(err));
    ck_assert_ptr_null(sp);
    ck_assert_msg(strstr(err, p) != NULL, "%s", err);

    snprintf(p, sizeof(p), "%s/no/such/dir", tdir);
    sp = rlb_spool_open(p, 0, err, sizeof(err));
    ck_assert_ptr_null(sp);
    ck_assert_msg(strstr(err, "cannot create") != NULL, "%s", err);

    /* A segment name that is a directory. */
    ck_assert_int_eq(mkdir(sdir, 0700), 0);
    seg_path(p, sizeof(p), 1);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    ck_assert_ptr_null(sp);
    ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
}
END_TEST

START_TEST(bad_ack_file_replays_everything)
{
    struct rlb_spool *sp = sopen(0);
    char p[400];

    fill(sp, 1, 3, 40);
    for (uint64_t k = 1; k <= 3; k++)
        expect(sp, k, k, 40);
    rlb_spool_ack(sp, 1);
    rlb_spool_close(sp);
    ck_assert_uint_eq(saved_ack(), 1);
    snprintf(p, sizeof(p), "%s/ack", sdir);
    ck_assert_int_eq(truncate(p, 0), 0);
    append_file(p, "garbage\n", 8);

    capture_start();
    sp = rlb_spool_open(sdir, 0, err, sizeof(err));
    capture_end();
    ck_assert_msg(sp != NULL, "%s", err);
    for (uint64_t k = 1; k <= 3; k++)   /* a duplicate, not a loss */
        expect(sp, k, k, 40);
    expect_end(sp);
    rlb_spool_close(sp);
}
END_TEST

START_TEST(segments_wait_for_a_saved_position)
{
    char slash[310], tmp[400];
    struct rlb_spool *sp;

    snprintf(slash, sizeof(slash), "%s/", sdir);   /* a trailing slash is fine */
    sp = rlb_spool_open(slash, 0, err, sizeof(err));
    ck_assert_msg(sp != NULL, "%s", err);
    rlb_spool_set_segment_size(sp, 1000);
    for (uint64_t k = 1; k <= 10; k++)
        fill(sp, k, k, 200);
    ck_assert_uint_eq(count_segments(), 2);
    for (uint64_t k = 1; k <= 10; k++)
        expect(sp, k, k, 200);

    /* The position cannot be saved: the acknowledged segment stays. */
    snprintf(tmp, sizeof(tmp), "%s/ack.tmp", sdir);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    capture_start();
    for (uint64_t k = 1; k <= 5; k++)
        rlb_spool_ack(sp, k);
    ck_assert_int_eq(rlb_spool_save_ack(sp), -1);
    capture_end();
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 5);
    ck_assert_uint_eq(count_segments(), 2);
    ck_assert_uint_eq(saved_ack(), 0);
    ck_assert_uint_ge(rlb_spool_stats(sp)->errors, 1);

    /* Once it can, the next save deletes it. */
    ck_assert_int_eq(rmdir(tmp), 0);
    ck_assert_int_eq(rlb_spool_save_ack(sp), 0);
    ck_assert_uint_eq(saved_ack(), 5);
    ck_assert_uint_eq(count_segments(), 1);
    ck_assert_uint_eq(rlb_spool_bytes(sp), 5 * (REC_OVERHEAD + 5 + 200));
    rlb_spool_close(sp);
}
END_TEST

/* A full disk, simulated with RLIMIT_FSIZE (works as root too). */
START_TEST(commit_error_loses_only_its_batch)
{
    const size_t rec = REC_OVERHEAD + 5 + 300;
    struct rlb_spool *sp = sopen(0);
    struct rlimit old, lim;
    void (*oldsig)(int);
    char p[400];

    fill(sp, 1, 3, 300);
    oldsig = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 3 * rec + 100;       /* room for part of one more record */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ck_assert_uint_eq(add(sp, 4, 300), 4);
    ck_assert_uint_eq(add(sp, 5, 300), 5);
    capture_start();
    ck_assert_int_eq(rlb_spool_commit(sp), -1);
    capture_end();
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    ck_assert(!rlb_spool_pending(sp));
    ck_assert_uint_eq(rlb_spool_stats(sp)->errors, 1);
    ck_assert_uint_eq(rlb_spool_stats(sp)->appended, 3);
    ck_assert_uint_eq(rlb_spool_depth(sp), 3);
    seg_path(p, sizeof(p), 1);
    ck_assert_int_eq(file_size(p), 3 * rec);    /* the part written was cut off */

    /* The next batch goes to a new segment; 4 and 5 are a gap. */
    ck_assert_uint_eq(add(sp, 6, 300), 6);
    ck_assert_int_eq(rlb_spool_commit(sp), 0);
    seg_path(p, sizeof(p), 6);
    ck_assert_int_eq(file_size(p), rec);
    for (uint64_t k = 1; k <= 3; k++)
        expect(sp, k, k, 300);
    expect(sp, 6, 6, 300);
    expect_end(sp);
    rlb_spool_close(sp);

    sp = sopen(0);
    for (uint64_t k = 1; k <= 3; k++)
        expect(sp, k, k, 300);
    expect(sp, 6, 6, 300);
    expect_end(sp);
    rlb_spool_ack(sp, 1);
    rlb_spool_ack(sp, 2);
    rlb_spool_ack(sp, 6);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 2);
    rlb_spool_ack(sp, 3);
    ck_assert_uint_eq(rlb_spool_ack_pos(sp), 6);   /* over the gap */
    ck_assert_uint_eq(rlb_spool_depth(sp), 0);
    ck_assert_uint_eq(count_segments(), 0);
    rlb_spool_close(sp);
}
END_TEST

static Suite *
spool_suite(void)
{
    Suite *s = suite_create("spool");
    TCase *tc;

    tc = tcase_create("spool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, crc32_vectors);
    tcase_add_test(tc, append_commit_next_in_order);
    tcase_add_test(tc, acks_out_of_order);
    tcase_add_test(tc, rewind_hands_out_unacknowledged_again);
    tcase_add_test(tc, segments_roll_and_are_deleted);
    tcase_add_test(tc, reopen_resumes_after_the_position);
    tcase_add_test(tc, kill_9_keeps_committed_records);
    tcase_add_test(tc, kill_9_at_any_point);
    tcase_add_test(tc, torn_last_record_is_discarded);
    tcase_add_test(tc, garbage_after_the_last_record_is_discarded);
    tcase_add_test(tc, corrupt_records_are_skipped_with_a_log_line);
    tcase_add_test(tc, max_bytes_refuses_then_space_comes_back);
    tcase_add_test(tc, packet_sizes_and_client_names);
    tcase_add_test(tc, one_process_per_directory);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, bad_ack_file_replays_everything);
    tcase_add_test(tc, segments_wait_for_a_saved_position);
    tcase_add_test(tc, commit_error_loses_only_its_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("volume");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hundred_thousand_records_in_small_memory);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    /* Warnings and errors only: the tests that expect one capture it. */
    struct rlb_log_conf lc = { RLB_LOG_WARN, RLB_LOG_STDERR, 0, RLB_LOG_TEXT, RLB_AUTHLOG_OFF, 0 };

    rlb_log_setup(&lc, "check_spool");
    return rlb_test_main(spool_suite());
}
