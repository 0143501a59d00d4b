/*
 * netio.h: datagram I/O in batches. Receiving drains a socket with
 * recvmmsg() into one shared batch; sending queues datagrams in an outbox
 * that is flushed with sendmmsg(), grouped by socket, once per event-loop
 * iteration (or when it fills). Consecutive datagrams of one socket to one
 * destination with one size (the last may be shorter) leave as a single
 * message with UDP_SEGMENT (generic segmentation offload, Linux 4.18+,
 * probed at start): one trip through the stack instead of one per
 * datagram, the way QUIC stacks send bursts. Listeners bound to a wildcard address
 * learn each datagram's local address (IP_PKTINFO / IPV6_RECVPKTINFO) so
 * that replies leave from the address the client wrote to.
 */
#ifndef RLB_NETIO_H
#define RLB_NETIO_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <sys/socket.h>

#include "addr.h"
#include "conf.h"
#include "radius.h"

#define RLB_RX_BATCH 64
#define RLB_OUTQ_MAX 256
#define RLB_CMSG_SPACE 64
#define RLB_GSO_MAX 64             /* segments per message (kernel UDP_MAX_SEGMENTS) */
#define RLB_GSO_SEGMENT_MAX 1200   /* only datagrams that fit any path MTU coalesce */

struct rlb_listener {
    ev_io              io;         /* first member: the callback casts back */
    int                type;       /* enum rlb_listen_type */
    int                proto;      /* enum rlb_proto */
    union rlb_sockaddr addr;
    bool               pktinfo;    /* wildcard address: track local addresses */
};

/* Local address a datagram reached (for wildcard listeners). */
union rlb_local {
    struct in_addr  v4;
    struct in6_addr v6;
};

struct rlb_rxbatch {
    struct mmsghdr     msgs[RLB_RX_BATCH];
    struct iovec       iov[RLB_RX_BATCH];
    union rlb_sockaddr from[RLB_RX_BATCH];
    uint8_t            cmsg[RLB_RX_BATCH][RLB_CMSG_SPACE];
    uint8_t            buf[RLB_RX_BATCH][RLB_PKT_MAX + 1];  /* +1 reveals oversize */
};

struct rlb_outq {
    unsigned           n;
    int                fd[RLB_OUTQ_MAX];
    uint16_t           len[RLB_OUTQ_MAX];
    bool               has_to[RLB_OUTQ_MAX];
    union rlb_sockaddr to[RLB_OUTQ_MAX];
    size_t             cmsglen[RLB_OUTQ_MAX];
    uint8_t            cmsg[RLB_OUTQ_MAX][RLB_CMSG_SPACE];
    struct mmsghdr     mm[RLB_OUTQ_MAX];
    struct iovec       iov[RLB_OUTQ_MAX];
    bool               sent[RLB_OUTQ_MAX];
    uint8_t            mcmsg[RLB_OUTQ_MAX][RLB_CMSG_SPACE + 16];  /* per message */
    unsigned           mfirst[RLB_OUTQ_MAX];    /* entry of each message's first datagram */
    uint8_t            buf[RLB_OUTQ_MAX][RLB_PKT_MAX];
    bool               gso;        /* UDP_SEGMENT works here */
    uint64_t           send_failed;
    uint64_t           syscalls;
    uint64_t           datagrams;
    uint64_t           gso_messages;  /* messages that carried several datagrams */
    int                refused[16];   /* sockets whose sends met ICMP port unreachable */
    unsigned           nrefused;
};

/* Probes UDP_SEGMENT support once; call before the first flush. */
void rlb_outq_init(struct rlb_outq *q);

int  rlb_listener_open(struct rlb_listener *l, const struct rlb_conf_listen *cl, int rcvbuf,
                       char *err, size_t errlen);
/* Binds a listener's socket (datagram or stream) to cl->addr, first
 * setting IP_FREEBIND / IPV6_FREEBIND when cl->freebind asks for it: the
 * backup node of a VRRP pair binds the VIP before it holds it. -1 with
 * errno set; rlb_listener_bind_hint() explains the errno to an admin. */
int  rlb_listener_bind(int fd, const struct rlb_conf_listen *cl);
const char *rlb_listener_bind_hint(int err);

/* Out of descriptors (accept failed with EMFILE or ENFILE): the reserve
 * descriptor is let go for a moment to accept the waiting connection and
 * close it at once, so that a listener does not stay readable (and the
 * loop spinning) until a descriptor frees up. *reserve is reopened. */
void rlb_accept_shed(int lfd, int *reserve);
/* The reserve descriptor (/dev/null), or -1. */
int  rlb_fd_reserve(void);

/* Receives up to RLB_RX_BATCH datagrams; returns the count (0 when the
 * socket is drained). want_local fills cmsg for rlb_rx_local(). */
int  rlb_rx(int fd, struct rlb_rxbatch *rx, bool want_local);
bool rlb_rx_local(const struct rlb_rxbatch *rx, int i, union rlb_local *out);

/* The buffer for the next datagram (flushing a full outbox first). */
uint8_t *rlb_outq_next(struct rlb_outq *q);
/* Queues the datagram written into rlb_outq_next(): to NULL for connected
 * sockets; local (may be NULL) sets its source address. */
void rlb_outq_commit(struct rlb_outq *q, int fd, const union rlb_sockaddr *to,
                     const union rlb_local *local, size_t len);
void rlb_outq_flush(struct rlb_outq *q);
/* A socket whose send was refused (ICMP port unreachable) since the last
 * call, or -1. Collected during flushes, handled by the caller afterwards
 * (never from inside a flush). */
int  rlb_outq_take_refused(struct rlb_outq *q);

#endif
