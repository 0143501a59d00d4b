/*
 * rlb-udpsend: sends raw datagrams for radlb's integration tests: malformed
 * packets, packets from a chosen source address (an unknown client), and
 * byte-identical duplicates. Written apart from radlb's own code on
 * purpose: it signs with OpenSSL's one-shot HMAC()/MD5() so that a bug in
 * radlb's crypto cannot hide behind the same bug here.
 *
 *   rlb-udpsend [-s SRC] [-w SECONDS] [-n COUNT] [-k SECRET [-p PASSWORD]] ADDR PORT HEX [HEX...]
 *
 * Several HEX datagrams are sent in turn from the same socket (the same
 * source port: one NAS), each -n times, waiting -w after each send.
 *
 *   -s SRC      bind to this source address first
 *   -w SECONDS  after each send, wait this long for a reply (default 0: don't)
 *   -n COUNT    send the same datagram COUNT times (default 1)
 *   -i SECONDS  NAS mode: send, and re-send the identical datagram from the
 *               same socket every SECONDS until a reply comes (at most
 *               COUNT sends); prints the one reply
 *   -p PASSWORD append a User-Password hidden with SECRET (-k) and the
 *               packet's Request Authenticator (RFC 2865 5.2)
 *   -k SECRET   sign: a Message-Authenticator attribute (type 80, 16 zero
 *               octets) gets its HMAC-MD5, an Accounting-Request its
 *               Request Authenticator; the Length field is set to the size
 *
 * Responder mode, a scriptable RADIUS server for tests:
 *
 *   rlb-udpsend -R [-n COUNT] [-k SECRET] ADDR PORT HEX
 *
 *   binds ADDR:PORT and answers COUNT requests (default 1) with HEX: its
 *   Identifier set from the request and, with -k, signed over the request's
 *   authenticator (Message-Authenticator if HEX has one, then the Response
 *   Authenticator). Without -k the bytes go out as given (malformed replies).
 *   Prints each request as hex.
 *
 * Each reply is printed as one line of hex, a missing one as "none". Exit
 * status: 0 when every send got a reply (or -w 0), 1 otherwise, 2 on usage.
 */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof(*a4);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
        return 0;
    }
    return -1;
}

static size_t
unhex(const char *h, unsigned char *out, size_t max)
{
    size_t n = 0;

    if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
        h += 2;
    while (h[0] && h[1] && n < max) {
        unsigned v;

        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (unsigned char)v;
        h += 2;
    }
    return n;
}

/* Appends User-Password = password hidden with secret over p's authenticator. */
static size_t
add_password(unsigned char *p, size_t len, const char *secret, const char *password)
{
    size_t pl = strlen(password), padded = pl ? (pl + 15) / 16 * 16 : 16;
    unsigned char *v = p + len + 2, b[16];
    const unsigned char *prev = p + 4;

    if (padded > 128)
        padded = 128;
    p[len] = 2;
    p[len + 1] = (unsigned char)(padded + 2);
    memset(v, 0, padded);
    memcpy(v, password, pl > padded ? padded : pl);
    for (size_t off = 0; off < padded; off += 16) {
        MD5_CTX c;

        MD5_Init(&c);
        MD5_Update(&c, secret, strlen(secret));
        MD5_Update(&c, prev, 16);
        MD5_Final(b, &c);
        for (int i = 0; i < 16; i++)
            v[off + i] ^= b[i];
        prev = v + off;
    }
    return len + padded + 2;
}

/* Signs a reply over the request authenticator req_auth. */
static void
sign_reply(unsigned char *p, size_t len, const unsigned char *req_auth, const char *secret)
{
    size_t off, sl = strlen(secret);
    unsigned int mdlen;
    MD5_CTX c;

    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)len;
    memcpy(p + 4, req_auth, 16);
    for (off = 20; off + 2 <= len && p[off + 1] >= 2; off += p[off + 1]) {
        if (p[off] == 80 && p[off + 1] == 18) {
            memset(p + off + 2, 0, 16);
            HMAC(EVP_md5(), secret, (int)sl, p, len, p + off + 2, &mdlen);
        }
    }
    MD5_Init(&c);
    MD5_Update(&c, p, len);
    MD5_Update(&c, secret, sl);
    MD5_Final(p + 4, &c);
}

static int
responder(int fd, int count, const unsigned char *tmpl, size_t tlen, const char *secret)
{
    unsigned char req[70000], rep[70000];

    for (int i = 0; i < count; i++) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fromlen);

        if (n < 20)
            continue;
        for (ssize_t j = 0; j < n; j++)
            printf("%02x", req[j]);
        putchar('\n');
        fflush(stdout);
        memcpy(rep, tmpl, tlen);
        if (tlen >= 2)
            rep[1] = req[1];
        if (secret && tlen >= 20)
            sign_reply(rep, tlen, req + 4, secret);
        sendto(fd, rep, tlen, 0, (struct sockaddr *)&from, fromlen);
    }
    return 0;
}

static void
sign(unsigned char *p, size_t len, const char *secret)
{
    size_t off, sl = strlen(secret);
    unsigned char *ma = NULL;
    unsigned int mdlen;

    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)len;
    if (p[0] == 4)
        memset(p + 4, 0, 16);
    for (off = 20; off + 2 <= len && p[off + 1] >= 2; off += p[off + 1]) {
        if (p[off] == 80 && p[off + 1] == 18)
            ma = p + off + 2;
    }
    if (ma) {
        memset(ma, 0, 16);
        HMAC(EVP_md5(), secret, (int)sl, p, len, ma, &mdlen);
    }
    if (p[0] == 4) {
        MD5_CTX c;

        MD5_Init(&c);
        MD5_Update(&c, p, len);
        MD5_Update(&c, secret, sl);
        MD5_Final(p + 4, &c);
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_storage to, from;
    socklen_t tolen, fromlen;
    unsigned char pkt[70000], reply[70000];
    const char *src = NULL, *secret = NULL, *password = NULL;
    double wait = 0, interval = 0;
    int respond = 0;
    int count = 1, opt, fd, missing = 0;
    size_t len;

    while ((opt = getopt(argc, argv, "s:w:n:k:p:i:R")) != -1) {
        switch (opt) {
        case 's':
            src = optarg;
            break;
        case 'w':
            wait = atof(optarg);
            break;
        case 'n':
            count = atoi(optarg);
            break;
        case 'k':
            secret = optarg;
            break;
        case 'p':
            password = optarg;
            break;
        case 'i':
            interval = atof(optarg);
            break;
        case 'R':
            respond = 1;
            break;
        default:
            return 2;
        }
    }
    if (argc - optind < 3 || parse_addr(argv[optind], atoi(argv[optind + 1]), &to, &tolen) < 0) {
        fprintf(stderr, "usage: rlb-udpsend [-s SRC] [-w SECONDS] [-n COUNT] [-i SECONDS] [-k "
                        "SECRET [-p PASSWORD]] ADDR PORT HEX [HEX...]\n");
        return 2;
    }
    fd = socket(to.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("socket");
        return 2;
    }
    if (respond) {
        size_t tlen = unhex(argv[optind + 2], pkt, sizeof(pkt));
        int one = 1;

        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&to, tolen) < 0) {
            perror("bind");
            return 2;
        }
        return responder(fd, count, pkt, tlen, secret);
    }
    if (src) {
        struct sockaddr_storage sa;
        socklen_t salen;

        if (parse_addr(src, 0, &sa, &salen) < 0 || bind(fd, (struct sockaddr *)&sa, salen) < 0) {
            perror("bind source");
            return 2;
        }
    }
    for (int arg = optind + 2; arg < argc; arg++) {
        len = unhex(argv[arg], pkt, sizeof(pkt));
        if (password && secret && len >= 20)
            len = add_password(pkt, len, secret, password);
        if (secret && len >= 20)
            sign(pkt, len, secret);
        if (interval > 0) {
            for (int i = 0; i < count; i++) {
                struct pollfd pfd = {fd, POLLIN, 0};
                ssize_t n;

                if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, tolen) < 0) {
                    perror("sendto");
                    return 2;
                }
                if (poll(&pfd, 1, (int)(interval * 1000)) <= 0)
                    continue;
                fromlen = sizeof(from);
                n = recvfrom(fd, reply, sizeof(reply), 0, (struct sockaddr *)&from, &fromlen);
                for (ssize_t j = 0; j < n; j++)
                    printf("%02x", reply[j]);
                putchar('\n');
                return 0;
            }
            puts("none");
            return 1;
        }
        for (int i = 0; i < count; i++) {
            if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, tolen) < 0) {
                perror("sendto");
                return 2;
            }
            if (wait > 0) {
                struct pollfd pfd = {fd, POLLIN, 0};
                ssize_t n;

                if (poll(&pfd, 1, (int)(wait * 1000)) <= 0) {
                    puts("none");
                    missing++;
                    continue;
                }
                fromlen = sizeof(from);
                n = recvfrom(fd, reply, sizeof(reply), 0, (struct sockaddr *)&from, &fromlen);
                for (ssize_t j = 0; j < n; j++)
                    printf("%02x", reply[j]);
                putchar('\n');
                fflush(stdout);
            }
        }
    }
    close(fd);
    return missing ? 1 : 0;
}
