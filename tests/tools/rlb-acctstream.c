/*
 * rlb-acctstream: a stream of Accounting-Requests sent like a NAS, for
 * radlb's integration tests: stop a backend or kill -9 the proxy in the
 * middle of the stream, then check that no acknowledged record was lost.
 *
 *   rlb-acctstream -k SECRET -n COUNT [-r RATE] [-p PREFIX] [-f FIRST] [-t TIMEOUT] [-T DEADLINE]
 *                  [-w WINDOW] [-a ANSWERED_FILE] [-s SENT_FILE] [-S STATUS] ADDR:PORT
 *
 * Record i (i = FIRST .. FIRST+COUNT-1, FIRST default 1) is one
 * Accounting-Request to ADDR:PORT (IPv4 or [IPv6]) with Acct-Status-Type =
 * STATUS (a number or start, stop, interim; default start), Acct-Session-Id
 * = PREFIXi (default "acct-"), User-Name = "useri", NAS-IP-Address =
 * 127.0.0.1, NAS-Identifier = "rlb-acctstream" and Acct-Delay-Time = 0, its
 * Request Authenticator computed as in RFC 2866. At most RATE new records
 * go out per second (default 200; 0: as fast as the window allows) and at
 * most WINDOW are in flight (default 200), on as many sockets as needed
 * (255 per socket, each its own Identifier space). A request not answered
 * within TIMEOUT seconds (default 1) is sent again from the same socket with
 * the same Identifier and the very same bytes (RFC 5080: Acct-Delay-Time is
 * not changed, so the authenticator stays the same), again and again until
 * it is answered or DEADLINE seconds (default 60) after the start.
 *
 * A reply counts when it is an Accounting-Response from ADDR:PORT whose
 * Identifier is outstanding on that socket and whose Response Authenticator
 * is right. A second copy of the reply to a request already answered (the
 * server answering a retransmission too) is ignored and only counted on
 * stderr; anything else is counted as bad. ANSWERED_FILE gets the
 * Acct-Session-Id of each record as soon as it is answered, SENT_FILE each
 * one just before its first send: one per line, flushed at once (both
 * files are truncated at the start), so they are right even if the tool is
 * killed. SIGTERM and SIGINT stop the run.
 *
 * Output (the last lines on stdout):
 *   acctstream: sent N answered A unanswered U retransmissions R bad B elapsed S s
 *   acctstream: unanswered ID ID ...     (the first 10, only when U > 0)
 * N counts the records sent at least once, U those sent but not answered.
 * Exit status 0 when all COUNT records were answered before the deadline,
 * 1 otherwise, 2 on usage errors.
 *
 * Written apart from radlb's code on purpose (OpenSSL one-shot MD5).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/md5.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PER_SOCK 255               /* requests in flight on one socket */
#define MAXSOCK  64
#define NSHOW    10                /* unanswered ids shown */

struct rec {
    int           n;               /* record number */
    int           state;           /* 0 not sent, 1 in flight, 2 answered */
    int           sock;
    double        last;            /* last (re)send */
    unsigned char pkt[400];
    size_t        len;
};

static const char *secret, *prefix = "acct-";
static double timeout_s = 1.0;
static struct sockaddr_in6 to;
static socklen_t tolen;
static int fd[MAXSOCK], nsock;
static struct rec *slot[MAXSOCK][256];  /* in flight by socket and Identifier */
static struct rec *prev[MAXSOCK][256];  /* the last one answered there */
static int inflight[MAXSOCK], nextid[MAXSOCK];
static FILE *answered_fp, *sent_fp;
static long sent, answered, retrans, bad, dups, senderr;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
parse_addr(const char *text, struct sockaddr_in6 *sa, socklen_t *len)
{
    char host[128], *end;
    const char *colon = strrchr(text, ':');
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    size_t hl;
    long port;

    if (!colon)
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || port < 1 || port > 65535)
        return -1;
    hl = (size_t)(colon - text);
    if (text[0] == '[') {
        if (hl < 2 || text[hl - 1] != ']')
            return -1;
        text++;
        hl -= 2;
    }
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, text, hl);
    host[hl] = '\0';
    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sa->sin6_addr) == 1) {
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons((unsigned short)port);
        *len = sizeof(*sa);
        return 0;
    }
    return -1;
}

/* Did this datagram come from ADDR:PORT? */
static int
from_target(const struct sockaddr_storage *ss)
{
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss, *t = (const struct sockaddr_in *)&to;
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

    if (ss->ss_family != to.sin6_family)
        return 0;
    if (to.sin6_family == AF_INET)
        return a->sin_port == t->sin_port && a->sin_addr.s_addr == t->sin_addr.s_addr;
    return a6->sin6_port == to.sin6_port && !memcmp(&a6->sin6_addr, &to.sin6_addr, sizeof(to.sin6_addr));
}

static int
number(const char *s, double min, double max, double *v)
{
    char *end;

    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end || errno || !(*v >= min && *v <= max) ? -1 : 0;
}

static void
attr(struct rec *r, int type, const void *v, size_t n)
{
    r->pkt[r->len] = (unsigned char)type;
    r->pkt[r->len + 1] = (unsigned char)(n + 2);
    memcpy(r->pkt + r->len + 2, v, n);
    r->len += n + 2;
}

static void
attr32(struct rec *r, int type, unsigned long v)
{
    unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                           (unsigned char)v };

    attr(r, type, b, 4);
}

/* Builds the Accounting-Request of record r with Identifier id (RFC 2866 3). */
static void
build(struct rec *r, int id, unsigned long status)
{
    char text[300];
    unsigned char nas[4] = { 127, 0, 0, 1 };
    MD5_CTX c;

    memset(r->pkt, 0, sizeof(r->pkt));
    r->pkt[0] = 4;
    r->pkt[1] = (unsigned char)id;
    r->len = 20;
    attr32(r, 40, status);
    snprintf(text, sizeof(text), "%s%d", prefix, r->n);
    attr(r, 44, text, strlen(text));
    snprintf(text, sizeof(text), "user%d", r->n);
    attr(r, 1, text, strlen(text));
    attr(r, 4, nas, 4);
    attr(r, 32, "rlb-acctstream", 14);
    attr32(r, 41, 0);
    r->pkt[2] = (unsigned char)(r->len >> 8);
    r->pkt[3] = (unsigned char)r->len;
    /* MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret) */
    MD5_Init(&c);
    MD5_Update(&c, r->pkt, r->len);
    MD5_Update(&c, secret, strlen(secret));
    MD5_Final(r->pkt + 4, &c);
}

static void
note(FILE *fp, const struct rec *r)
{
    if (!fp)
        return;
    fprintf(fp, "%s%d\n", prefix, r->n);
    fflush(fp);
}

static void
transmit(const struct rec *r)
{
    if (sendto(fd[r->sock], r->pkt, r->len, 0, (const struct sockaddr *)&to, tolen) < 0 && !senderr++)
        perror("rlb-acctstream: sendto");
}

/* First send of r, on the least busy socket, with its next free Identifier. */
static void
send_new(struct rec *r, unsigned long status)
{
    int s = 0, id;

    for (int i = 1; i < nsock; i++)
        if (inflight[i] < inflight[s])
            s = i;
    for (id = nextid[s]; slot[s][id]; id = (id + 1) & 255)
        ;
    nextid[s] = (id + 1) & 255;
    build(r, id, status);
    slot[s][id] = r;
    inflight[s]++;
    r->sock = s;
    r->state = 1;
    r->last = now();
    sent++;
    note(sent_fp, r);
    transmit(r);
}

static int
verify(const struct rec *r, const unsigned char *p, size_t n)
{
    unsigned char d[16];
    MD5_CTX c;

    MD5_Init(&c);
    MD5_Update(&c, p, 4);
    MD5_Update(&c, r->pkt + 4, 16);
    MD5_Update(&c, p + 20, n - 20);
    MD5_Update(&c, secret, strlen(secret));
    MD5_Final(d, &c);
    return memcmp(d, p + 4, 16) == 0 ? 0 : -1;
}

/* A datagram received on socket s. */
static void
reply(int s, const unsigned char *p, size_t n, const struct sockaddr_storage *from)
{
    struct rec *r, *old;
    size_t len;

    if (n < 20 || !from_target(from)) {
        bad++;
        return;
    }
    len = (size_t)((p[2] << 8) | p[3]);
    r = slot[s][p[1]];
    old = prev[s][p[1]];
    if (p[0] != 5 || len < 20 || len > n) {
        bad++;
    } else if (r && verify(r, p, len) == 0) {
        slot[s][p[1]] = NULL;
        prev[s][p[1]] = r;
        inflight[s]--;
        r->state = 2;
        answered++;
        note(answered_fp, r);
    } else if (old && verify(old, p, len) == 0) {
        dups++;
    } else {
        bad++;
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: rlb-acctstream -k SECRET -n COUNT [-r RATE] [-p PREFIX] [-f FIRST] [-t TIMEOUT] "
                    "[-T DEADLINE]\n"
                    "                      [-w WINDOW] [-a ANSWERED_FILE] [-s SENT_FILE] [-S STATUS] ADDR:PORT\n");
}

int
main(int argc, char **argv)
{
    double count = 0, rate = 200, first = 1, deadline_s = 60, window = 200, v, start, end, next_at;
    const char *answered_path = NULL, *sent_path = NULL;
    unsigned long status = 1;
    struct rec *all;
    struct sigaction sa;
    int opt, n, started = 0, total;

    while ((opt = getopt(argc, argv, "k:n:r:p:f:t:T:w:a:s:S:")) != -1) {
        int ok = 0;

        switch (opt) {
        case 'k': secret = optarg; ok = 1; break;
        case 'n': ok = !number(optarg, 1, 10000000, &count) && count == (long)count; break;
        case 'r': ok = !number(optarg, 0, 1e7, &rate); break;
        case 'p': prefix = optarg; ok = strlen(prefix) <= 200; break;
        case 'f': ok = !number(optarg, -1e9, 1e9, &first) && first == (long)first; break;
        case 't': ok = !number(optarg, 0.001, 86400, &timeout_s); break;
        case 'T': ok = !number(optarg, 0.001, 864000, &deadline_s); break;
        case 'w': ok = !number(optarg, 1, PER_SOCK * MAXSOCK, &window) && window == (long)window; break;
        case 'a': answered_path = optarg; ok = 1; break;
        case 's': sent_path = optarg; ok = 1; break;
        case 'S':
            ok = 1;
            if (!strcasecmp(optarg, "start"))
                status = 1;
            else if (!strcasecmp(optarg, "stop"))
                status = 2;
            else if (!strcasecmp(optarg, "interim") || !strcasecmp(optarg, "interim-update"))
                status = 3;
            else if (!number(optarg, 0, 4294967295.0, &v) && v == (unsigned long)v)
                status = (unsigned long)v;
            else
                ok = 0;
            break;
        default: break;
        }
        if (!ok) {
            if (opt != '?')
                fprintf(stderr, "rlb-acctstream: bad value for -%c: %s\n", opt, optarg);
            usage();
            return 2;
        }
    }
    if (!secret || !*secret || count < 1 || argc - optind != 1) {
        usage();
        return 2;
    }
    if (parse_addr(argv[optind], &to, &tolen) < 0) {
        fprintf(stderr, "rlb-acctstream: bad address %s (ADDR:PORT or [IPv6]:PORT)\n", argv[optind]);
        return 2;
    }
    total = (int)count;
    nsock = ((int)window + PER_SOCK - 1) / PER_SOCK;
    for (int s = 0; s < nsock; s++) {
        int big = 1 << 20;

        fd[s] = socket(to.sin6_family, SOCK_DGRAM, 0);
        if (fd[s] < 0) {
            perror("rlb-acctstream: socket");
            return 1;
        }
        setsockopt(fd[s], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    }
    if (answered_path && !(answered_fp = fopen(answered_path, "w"))) {
        perror(answered_path);
        return 2;
    }
    if (sent_path && !(sent_fp = fopen(sent_path, "w"))) {
        perror(sent_path);
        return 2;
    }
    all = calloc((size_t)total, sizeof(*all));
    if (!all) {
        perror("rlb-acctstream: calloc");
        return 1;
    }
    for (int i = 0; i < total; i++)
        all[i].n = (int)first + i;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    start = next_at = now();
    end = start + deadline_s;
    while (answered < total && !stop) {
        struct pollfd p[MAXSOCK];
        double t = now(), wake = end;
        int ms, busy = 0;

        if (t >= end)
            break;
        /* new records: RATE per second, catching up on at most 20 ms */
        for (int s = 0; s < nsock; s++)
            busy += inflight[s];
        if (rate > 0 && next_at < t - 0.02)
            next_at = t - 0.02;
        while (started < total && busy < window && (rate == 0 || next_at <= t)) {
            send_new(&all[started++], status);
            busy++;
            next_at += rate > 0 ? 1 / rate : 0;
        }
        if (started < total && busy < window && rate > 0 && next_at < wake)
            wake = next_at;
        /* retransmissions: the same bytes, from the same socket */
        for (int s = 0; s < nsock; s++) {
            for (int id = 0; id < 256; id++) {
                struct rec *r = slot[s][id];

                if (!r)
                    continue;
                if (t - r->last >= timeout_s) {
                    r->last = t;
                    retrans++;
                    transmit(r);
                }
                if (r->last + timeout_s < wake)
                    wake = r->last + timeout_s;
            }
        }
        for (int s = 0; s < nsock; s++) {
            p[s].fd = fd[s];
            p[s].events = POLLIN;
            p[s].revents = 0;
        }
        ms = (int)((wake - t) * 1000) + 1;
        poll(p, (nfds_t)nsock, ms < 0 ? 0 : ms > 100 ? 100 : ms);
        for (int s = 0; s < nsock; s++) {
            unsigned char buf[5000];
            struct sockaddr_storage from;
            socklen_t fl = sizeof(from);
            ssize_t got;

            if (!(p[s].revents & POLLIN))
                continue;
            while ((got = recvfrom(fd[s], buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >= 0) {
                reply(s, buf, (size_t)got, &from);
                fl = sizeof(from);
            }
        }
    }

    if (stop)
        fprintf(stderr, "rlb-acctstream: stopped by a signal\n");
    else if (answered < total)
        fprintf(stderr, "rlb-acctstream: deadline of %g s reached\n", deadline_s);
    if (dups)
        fprintf(stderr, "rlb-acctstream: %ld repeated replies to answered requests ignored\n", dups);
    if (senderr)
        fprintf(stderr, "rlb-acctstream: %ld sends failed\n", senderr);
    printf("acctstream: sent %ld answered %ld unanswered %ld retransmissions %ld bad %ld elapsed %.3f s\n", sent,
           answered, sent - answered, retrans, bad, now() - start);
    if (sent > answered) {
        printf("acctstream: unanswered");
        n = 0;
        for (int i = 0; i < started && n < NSHOW; i++)
            if (all[i].state == 1) {
                printf(" %s%d", prefix, all[i].n);
                n++;
            }
        fputs(sent - answered > NSHOW ? " ...\n" : "\n", stdout);
    }
    fflush(stdout);
    free(all);
    return answered == total ? 0 : 1;
}
