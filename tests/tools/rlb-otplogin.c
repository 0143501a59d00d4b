/*
 * rlb-otplogin: many SMS-OTP logins at once, for radlb's integration tests.
 *
 *   rlb-otplogin -k SECRET -d DIR -n COUNT [-c CONCURRENT] [-u PREFIX] [-f FIRST]
 *                [-t TIMEOUT] [-r RETRIES] ADDR:PORT [ADDR:PORT]
 *
 * Login i (i = FIRST .. FIRST+COUNT-1) is user PREFIXi (default "user") with
 * password "pw-PREFIXi": the first leg goes to the first address and must
 * get an Access-Challenge with a State and a Reply-Message naming its server
 * "(mfaN)"; the code that server "sent by SMS" is read from DIR/mfaN/sms.log
 * (the line with that State); the second leg (the code and the State) goes
 * to the second address (or the first again) and must get an Access-Accept.
 * Requests are retransmitted after TIMEOUT seconds (default 1), RETRIES
 * times (default 5), from the same socket with the same Identifier, like a
 * NAS. Output: one summary line, issuers, latency of each leg, the slowest
 * reply; exit status 0 when every login was accepted.
 *
 * Written apart from radlb's code on purpose (OpenSSL one-shot MD5).
 */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 240                   /* logins in flight: Identifiers of one socket */

struct login {
    int           n;               /* user number */
    int           leg;             /* 1, 2; 0: not started; 3: done */
    int           tries;
    double        sent;            /* first send of this leg */
    double        last;            /* last (re)send */
    unsigned char pkt[512];
    size_t        len;
    unsigned char state[256];
    size_t        statelen;
    char          server[32];
    int           result;          /* 0 pending, 1 accepted, -1 failed */
    char          why[640];
};

static const char *secret, *dir, *prefix = "user";
static double timeout_s = 1.0;
static int retries = 5;
static int fd[2];
static struct sockaddr_in6 to[2];
static socklen_t tolen[2];
static int naddr;
static struct login *slot[2][256];  /* in flight by socket and Identifier */
static double lat[2][100000];
static int nlat[2];
static double slowest;

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
    char host[128];
    const char *colon = strrchr(text, ':');
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    size_t hl;

    if (!colon)
        return -1;
    hl = (size_t)(colon - text);
    if (text[0] == '[') {
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
        s4->sin_port = htons((unsigned short)atoi(colon + 1));
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sa->sin6_addr) == 1) {
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons((unsigned short)atoi(colon + 1));
        *len = sizeof(*sa);
        return 0;
    }
    return -1;
}

static void
attr(struct login *l, int type, const void *v, size_t n)
{
    l->pkt[l->len] = (unsigned char)type;
    l->pkt[l->len + 1] = (unsigned char)(n + 2);
    memcpy(l->pkt + l->len + 2, v, n);
    l->len += n + 2;
}

/* Builds the request of the current leg with Identifier id. */
static void
build(struct login *l, int id, const char *password)
{
    char user[64];
    size_t pl = strlen(password), padded = (pl + 15) / 16 * 16;
    unsigned char pw[128], b[16];
    const unsigned char *prev;

    snprintf(user, sizeof(user), "%s%d", prefix, l->n);
    memset(l->pkt, 0, sizeof(l->pkt));
    l->pkt[0] = 1;
    l->pkt[1] = (unsigned char)id;
    RAND_bytes(l->pkt + 4, 16);
    l->len = 20;
    attr(l, 1, user, strlen(user));
    memset(pw, 0, sizeof(pw));
    memcpy(pw, password, pl);
    prev = l->pkt + 4;
    for (size_t off = 0; off < padded; off += 16) {
        MD5_CTX c;

        MD5_Init(&c);
        MD5_Update(&c, secret, strlen(secret));
        MD5_Update(&c, prev, 16);
        MD5_Final(b, &c);
        for (int i = 0; i < 16; i++)
            pw[off + i] ^= b[i];
        prev = pw + off;
    }
    attr(l, 2, pw, padded);
    if (l->leg == 2)
        attr(l, 24, l->state, l->statelen);
    l->pkt[2] = (unsigned char)(l->len >> 8);
    l->pkt[3] = (unsigned char)l->len;
}

static int
send_leg(struct login *l, int sock)
{
    int id;

    for (id = 0; id < 256 && slot[sock][id]; id++)
        ;
    if (id == 256)
        return -1;
    if (l->leg == 1) {
        char pw[80];

        snprintf(pw, sizeof(pw), "pw-%s%d", prefix, l->n);
        build(l, id, pw);
    } else {
        /* the code, from the issuer's SMS log */
        char path[512], line[1024], want[300];
        FILE *fp;
        char code[32] = "";

        snprintf(path, sizeof(path), "%s/%s/sms.log", dir, l->server);
        snprintf(want, sizeof(want), "state=%.*s ", (int)l->statelen, (const char *)l->state);
        /* The server may still be writing the line (the challenge can
         * arrive first): only a whole line counts, and a missing one is
         * looked for again a few times. */
        for (int tries = 0; tries < 50 && !code[0]; tries++) {
            if (tries)
                usleep(20000);
            fp = fopen(path, "r");
            while (fp && fgets(line, sizeof(line), fp)) {
                char *s = strstr(line, want), *c = strstr(line, "code=");

                if (s && c && strchr(line, '\n'))
                    sscanf(c + 5, "%31[0-9]", code);
            }
            if (fp)
                fclose(fp);
        }
        if (!code[0]) {
            l->result = -1;
            snprintf(l->why, sizeof(l->why), "no SMS code for this State in %s", path);
            return 0;
        }
        build(l, id, code);
    }
    slot[sock][id] = l;
    l->tries = 0;
    l->sent = l->last = now();
    if (sendto(fd[sock], l->pkt, l->len, 0, (struct sockaddr *)&to[sock], tolen[sock]) < 0)
        perror("sendto");
    return 0;
}

static int
verify(const struct login *l, const unsigned char *r, size_t n)
{
    unsigned char d[16];
    MD5_CTX c;

    if (n < 20 || (size_t)((r[2] << 8) | r[3]) != n)
        return -1;
    MD5_Init(&c);
    MD5_Update(&c, r, 4);
    MD5_Update(&c, l->pkt + 4, 16);
    MD5_Update(&c, r + 20, n - 20);
    MD5_Update(&c, secret, strlen(secret));
    MD5_Final(d, &c);
    return memcmp(d, r + 4, 16) == 0 ? 0 : -1;
}

/* A reply for the login in slot[sock][id]. */
static void
reply(int sock, const unsigned char *r, size_t n)
{
    struct login *l = slot[sock][r[1]];
    double took;

    if (!l || verify(l, r, n) < 0)
        return;
    slot[sock][r[1]] = NULL;
    took = now() - l->sent;
    if (took > slowest)
        slowest = took;
    if (nlat[l->leg - 1] < 100000)
        lat[l->leg - 1][nlat[l->leg - 1]++] = took;
    if (l->leg == 1) {
        l->statelen = 0;
        l->server[0] = '\0';
        for (size_t off = 20; off + 2 <= n && r[off + 1] >= 2; off += r[off + 1]) {
            if (r[off] == 24 && r[off + 1] > 2) {
                l->statelen = r[off + 1] - 2u;
                memcpy(l->state, r + off + 2, l->statelen);
            } else if (r[off] == 18) {
                const char *o = memchr(r + off + 2, '(', r[off + 1] - 2u);

                if (o)
                    sscanf(o + 1, "%31[^)]", l->server);
            }
        }
        if (r[0] != 11 || !l->statelen || !l->server[0]) {
            l->result = -1;
            snprintf(l->why, sizeof(l->why), "first leg: code %u instead of an Access-Challenge", r[0]);
            return;
        }
        l->leg = 2;
        send_leg(l, naddr - 1);
        return;
    }
    l->leg = 3;
    if (r[0] == 2) {
        l->result = 1;
    } else {
        char msg[128] = "";

        for (size_t off = 20; off + 2 <= n && r[off + 1] >= 2; off += r[off + 1])
            if (r[off] == 18)
                snprintf(msg, sizeof(msg), "%.*s", r[off + 1] - 2, (const char *)r + off + 2);
        l->result = -1;
        /* the challenge's issuer and the tries, so that a misrouted
         * answer (another server's message) reads apart from an answer
         * the issuer itself refused */
        snprintf(l->why, sizeof(l->why), "second leg: code %u (%s); challenge issued by %s, %d tr%s",
                 r[0], msg, l->server, l->tries + 1, l->tries ? "ies" : "y");
    }
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    int count = 0, conc = 50, first = 1, opt, started = 0, done = 0, accepted = 0;
    struct login *all;
    char issuers[16][32];
    int nissuers[16] = { 0 }, ni = 0;

    while ((opt = getopt(argc, argv, "k:d:n:c:u:f:t:r:")) != -1) {
        switch (opt) {
        case 'k': secret = optarg; break;
        case 'd': dir = optarg; break;
        case 'n': count = atoi(optarg); break;
        case 'c': conc = atoi(optarg); break;
        case 'u': prefix = optarg; break;
        case 'f': first = atoi(optarg); break;
        case 't': timeout_s = atof(optarg); break;
        case 'r': retries = atoi(optarg); break;
        default: return 2;
        }
    }
    naddr = argc - optind;
    if (!secret || !dir || count <= 0 || naddr < 1 || naddr > 2 || conc < 1 || conc > MAXC) {
        fprintf(stderr, "usage: rlb-otplogin -k SECRET -d DIR -n COUNT [-c CONCURRENT] [-u PREFIX] "
                        "[-f FIRST] [-t TIMEOUT] [-r RETRIES] ADDR:PORT [ADDR:PORT]\n");
        return 2;
    }
    for (int i = 0; i < naddr; i++) {
        if (parse_addr(argv[optind + i], &to[i], &tolen[i]) < 0) {
            fprintf(stderr, "rlb-otplogin: bad address %s\n", argv[optind + i]);
            return 2;
        }
        fd[i] = socket(to[i].sin6_family, SOCK_DGRAM, 0);
    }
    all = calloc((size_t)count, sizeof(*all));
    for (int i = 0; i < count; i++)
        all[i].n = first + i;

    while (done < count) {
        struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[naddr - 1], POLLIN, 0 } };
        unsigned char buf[5000];
        double t;

        while (started < count && started - done < conc) {
            all[started].leg = 1;
            send_leg(&all[started], 0);
            started++;
        }
        poll(p, (nfds_t)naddr, 50);
        for (int s = 0; s < naddr; s++) {
            ssize_t n;

            while ((n = recv(fd[s], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                reply(s, buf, (size_t)n);
        }
        /* retransmissions and give-ups */
        t = now();
        for (int s = 0; s < naddr; s++) {
            for (int id = 0; id < 256; id++) {
                struct login *l = slot[s][id];

                if (!l || t - l->last < timeout_s)
                    continue;
                if (l->tries >= retries) {
                    slot[s][id] = NULL;
                    l->result = -1;
                    snprintf(l->why, sizeof(l->why), "leg %d: no reply after %d tries", l->leg, l->tries + 1);
                    continue;
                }
                l->tries++;
                l->last = t;
                sendto(fd[s], l->pkt, l->len, 0, (struct sockaddr *)&to[s], tolen[s]);
            }
        }
        done = 0;
        for (int i = 0; i < started; i++)
            done += all[i].result != 0;
    }

    for (int i = 0; i < count; i++) {
        int k;

        accepted += all[i].result == 1;
        if (all[i].result != 1) {
            fprintf(stderr, "login %s%d: %s\n", prefix, all[i].n, all[i].why);
            continue;
        }
        for (k = 0; k < ni && strcmp(issuers[k], all[i].server); k++)
            ;
        if (k == ni && ni < 16)
            snprintf(issuers[ni++], sizeof(issuers[0]), "%s", all[i].server);
        if (k < 16)
            nissuers[k]++;
    }
    printf("logins %d accepted %d failed %d\nissuers", count, accepted, count - accepted);
    for (int k = 0; k < ni; k++)
        printf(" %s=%d", issuers[k], nissuers[k]);
    putchar('\n');
    for (int g = 0; g < 2; g++) {
        if (!nlat[g])
            continue;
        qsort(lat[g], (size_t)nlat[g], sizeof(double), cmp);
        printf("leg%d p50 %.1f ms p99 %.1f ms max %.1f ms\n", g + 1, lat[g][nlat[g] / 2] * 1000,
               lat[g][nlat[g] * 99 / 100] * 1000, lat[g][nlat[g] - 1] * 1000);
    }
    printf("slowest %.3f s\n", slowest);
    free(all);
    return accepted == count ? 0 : 1;
}
