/*
 * netio.c: listeners, batched receive and the outbox (see netio.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netio.h"

int
rlb_listener_open(struct rlb_listener *l, const struct rlb_conf_listen *cl, int rcvbuf,
                  char *err, size_t errlen)
{
    char where[RLB_ADDRSTRLEN];
    int one = 1, fd;
    int family = cl->addr.sa.sa_family;

    l->type = cl->type;
    l->addr = cl->addr;
    l->pktinfo = rlb_sockaddr_is_any(&cl->addr);
    rlb_sockaddr_str(&cl->addr, where, sizeof(where));

    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "listen %s: socket: %s", where, strerror(errno));
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* A morning login storm arrives at once: a deep receive buffer turns
     * it into latency instead of loss (SO_RCVBUFFORCE needs root). */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (l->pktinfo) {
        if (family == AF_INET)
            (void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        else
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    }
    if (rlb_listener_bind(fd, cl) < 0) {
        snprintf(err, errlen, "listen %s (%s): bind: %s%s", where,
                 cl->type == RLB_LISTEN_AUTH ? "auth" : "acct", strerror(errno),
                 rlb_listener_bind_hint(errno));
        close(fd);
        return -1;
    }
    ev_io_init(&l->io, NULL, fd, EV_READ);
    return 0;
}

int
rlb_listener_bind(int fd, const struct rlb_conf_listen *cl)
{
    int one = 1;

    if (cl->freebind) {
        int rc = cl->addr.sa.sa_family == AF_INET6 ?
                 setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) :
                 setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
        if (rc < 0)
            return -1;
    }
    return bind(fd, &cl->addr.sa, rlb_sockaddr_len(&cl->addr));
}

const char *
rlb_listener_bind_hint(int err)
{
    switch (err) {
    case EADDRINUSE:
        return " (another program already uses this port?)";
    case EACCES:
        return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    case EADDRNOTAVAIL:
        return " (the address is on no interface of this host: a VIP this node does not "
               "hold yet needs freebind = true or sysctl net.ipv4.ip_nonlocal_bind = 1)";
    default:
        return "";
    }
}

int
rlb_rx(int fd, struct rlb_rxbatch *rx, bool want_local)
{
    int n;

    for (int i = 0; i < RLB_RX_BATCH; i++) {
        rx->iov[i].iov_base = rx->buf[i];
        rx->iov[i].iov_len = sizeof(rx->buf[i]);
        memset(&rx->msgs[i].msg_hdr, 0, sizeof(rx->msgs[i].msg_hdr));
        rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
        rx->msgs[i].msg_hdr.msg_iovlen = 1;
        rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
        rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
        if (want_local) {
            rx->msgs[i].msg_hdr.msg_control = rx->cmsg[i];
            rx->msgs[i].msg_hdr.msg_controllen = sizeof(rx->cmsg[i]);
        }
    }
    do {
        n = recvmmsg(fd, rx->msgs, RLB_RX_BATCH, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
            rlb_debug("recvmmsg: %s", strerror(errno));
        return n < 0 && errno == ECONNREFUSED ? -2 : 0;
    }
    return n;
}

bool
rlb_rx_local(const struct rlb_rxbatch *rx, int i, union rlb_local *out)
{
    const struct msghdr *mh = &rx->msgs[i].msg_hdr;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            out->v4 = pi.ipi_addr;
            return true;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            out->v6 = pi.ipi6_addr;
            return true;
        }
    }
    return false;
}

uint8_t *
rlb_outq_next(struct rlb_outq *q)
{
    if (q->n == RLB_OUTQ_MAX)
        rlb_outq_flush(q);
    return q->buf[q->n];
}

void
rlb_outq_commit(struct rlb_outq *q, int fd, const union rlb_sockaddr *to,
                const union rlb_local *local, size_t len)
{
    unsigned i = q->n++;

    q->fd[i] = fd;
    q->len[i] = (uint16_t)len;
    q->has_to[i] = to != NULL;
    q->cmsglen[i] = 0;
    if (to)
        q->to[i] = *to;
    if (to && local) {
        struct cmsghdr *c = (struct cmsghdr *)q->cmsg[i];

        memset(q->cmsg[i], 0, sizeof(q->cmsg[i]));
        if (to->sa.sa_family == AF_INET) {
            struct in_pktinfo pi;

            memset(&pi, 0, sizeof(pi));
            pi.ipi_spec_dst = local->v4;
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
            q->cmsglen[i] = CMSG_SPACE(sizeof(pi));
        } else {
            struct in6_pktinfo pi;

            memset(&pi, 0, sizeof(pi));
            pi.ipi6_addr = local->v6;
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
            q->cmsglen[i] = CMSG_SPACE(sizeof(pi));
        }
    }
}

void
rlb_outq_init(struct rlb_outq *q)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 1000;

    q->gso = fd >= 0 && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, sizeof(size)) == 0;
    if (fd >= 0)
        close(fd);
    rlb_debug("UDP segmentation offload %s", q->gso ? "available" : "not available");
}

/* Can entries a and b leave in the same message? */
static bool
same_path(const struct rlb_outq *q, unsigned a, unsigned b)
{
    if (q->has_to[a] != q->has_to[b] || q->cmsglen[a] != q->cmsglen[b])
        return false;
    if (q->has_to[a] && !rlb_sockaddr_equal(&q->to[a], &q->to[b]))
        return false;
    return q->cmsglen[a] == 0 || memcmp(q->cmsg[a], q->cmsg[b], q->cmsglen[a]) == 0;
}

static void
note_refused(struct rlb_outq *q, int fd)
{
    for (unsigned i = 0; i < q->nrefused; i++) {
        if (q->refused[i] == fd)
            return;
    }
    if (q->nrefused < sizeof(q->refused) / sizeof(q->refused[0]))
        q->refused[q->nrefused++] = fd;
}

int
rlb_outq_take_refused(struct rlb_outq *q)
{
    return q->nrefused ? q->refused[--q->nrefused] : -1;
}

/* Sends the datagrams of message m one sendmsg() each, without UDP_SEGMENT. */
static void
send_singly(struct rlb_outq *q, int fd, unsigned m)
{
    struct msghdr h = q->mm[m].msg_hdr;
    struct iovec *iov = h.msg_iov;
    size_t n = h.msg_iovlen;

    h.msg_controllen = q->cmsglen[q->mfirst[m]];
    if (!h.msg_controllen)
        h.msg_control = NULL;
    h.msg_iovlen = 1;
    for (size_t s = 0; s < n; s++) {
        h.msg_iov = &iov[s];
        q->syscalls++;
        if (sendmsg(fd, &h, MSG_DONTWAIT) < 0) {
            if (errno == ECONNREFUSED)
                note_refused(q, fd);
            q->send_failed++;
        }
    }
}

/* Sends the entries of one socket, from index "from" on, with as few
 * system calls as it takes. */
static void
flush_fd(struct rlb_outq *q, int fd, unsigned from)
{
    unsigned idx[RLB_OUTQ_MAX], k = 0, m = 0;

    for (unsigned i = from; i < q->n; i++) {
        if (!q->sent[i] && q->fd[i] == fd) {
            q->sent[i] = true;
            idx[k++] = i;
        }
    }
    for (unsigned i = 0; i < k; m++) {
        unsigned e = idx[i], j = i + 1;
        size_t total = q->len[e];
        struct msghdr *h = &q->mm[m].msg_hdr;

        /* The run of datagrams that can share one message. */
        while (q->gso && q->len[e] <= RLB_GSO_SEGMENT_MAX && j < k && j - i < RLB_GSO_MAX &&
               same_path(q, e, idx[j]) &&
               total + q->len[idx[j]] <= 65000 && q->len[idx[j]] <= q->len[e]) {
            total += q->len[idx[j]];
            if (q->len[idx[j++]] < q->len[e])
                break;             /* a shorter datagram can only be the last */
        }
        for (unsigned s = i; s < j; s++) {
            q->iov[s].iov_base = q->buf[idx[s]];
            q->iov[s].iov_len = q->len[idx[s]];
        }
        memset(h, 0, sizeof(*h));
        h->msg_iov = &q->iov[i];
        h->msg_iovlen = j - i;
        if (q->has_to[e]) {
            h->msg_name = &q->to[e];
            h->msg_namelen = rlb_sockaddr_len(&q->to[e]);
        }
        if (q->cmsglen[e])
            memcpy(q->mcmsg[m], q->cmsg[e], q->cmsglen[e]);
        h->msg_controllen = q->cmsglen[e];
        if (j - i > 1) {
            struct cmsghdr *c = (struct cmsghdr *)(q->mcmsg[m] + q->cmsglen[e]);
            uint16_t seg = q->len[e];

            memset(c, 0, CMSG_SPACE(sizeof(seg)));
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(seg));
            memcpy(CMSG_DATA(c), &seg, sizeof(seg));
            h->msg_controllen += CMSG_SPACE(sizeof(seg));
            q->gso_messages++;
        }
        if (h->msg_controllen)
            h->msg_control = q->mcmsg[m];
        q->mfirst[m] = e;
        q->datagrams += j - i;
        i = j;
    }
    for (unsigned done = 0; done < m;) {
        int r = sendmmsg(fd, q->mm + done, m - done, MSG_DONTWAIT);

        q->syscalls++;
        if (r < 0) {
            struct msghdr *h = &q->mm[done].msg_hdr;

            if (errno == EINTR)
                continue;
            if (errno == ECONNREFUSED) {
                note_refused(q, fd);
                q->send_failed += h->msg_iovlen;
            } else if (h->msg_iovlen > 1 &&
                       (errno == EINVAL || errno == EMSGSIZE || errno == EIO)) {
                /* The path refused segmentation: the datagrams one by one. */
                send_singly(q, fd, done);
            } else {
                /* A full socket buffer or an unreachable port: lost like any
                 * UDP loss; the client's retransmission repairs it. */
                q->send_failed += h->msg_iovlen;
                rlb_debug("sendmmsg to fd %d: %s", fd, strerror(errno));
            }
            done++;
            continue;
        }
        done += (unsigned)r;
    }
}

void
rlb_outq_flush(struct rlb_outq *q)
{
    for (unsigned i = 0; i < q->n; i++)
        q->sent[i] = false;
    for (unsigned i = 0; i < q->n; i++) {
        if (!q->sent[i])
            flush_fd(q, q->fd[i], i);
    }
    q->n = 0;
}

int
rlb_fd_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void
rlb_accept_shed(int lfd, int *reserve)
{
    int fd;

    if (*reserve >= 0)
        close(*reserve);
    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    *reserve = rlb_fd_reserve();
}
