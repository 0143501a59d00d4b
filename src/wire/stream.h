/*
 * stream.h: one RADIUS connection over TCP (RFC 6613) or TLS (RFC 6614),
 * either accepted by a listener or opened toward a server, non-blocking on
 * the event loop.
 *
 * The stream frames packets by their RADIUS length (partial reads are
 * kept until the rest arrives); a length below 20 or above 4096 closes the
 * connection (RFC 6613 2.6.4: the stream cannot be resynchronised). Writes
 * are appended to a buffer and leave once per loop iteration
 * (rlb_streams_flush), as many packets as fit in one write or TLS record.
 * Connecting, the TLS handshake and closing are one state machine; its
 * owner hears about them through three callbacks. A stream closed from
 * inside one of its own callbacks reports it only once that callback is
 * over, so an owner may free the stream in its closed callback.
 */
#ifndef RLB_STREAM_H
#define RLB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "list.h"

enum rlb_stream_state {
    RLB_STREAM_IDLE = 0,           /* never connected, or closed and reset */
    RLB_STREAM_CONNECTING,         /* TCP connect in progress */
    RLB_STREAM_HANDSHAKE,          /* TLS handshake in progress */
    RLB_STREAM_OPEN,
    RLB_STREAM_CLOSED,
};

/* Why a stream closed. */
enum rlb_stream_why {
    RLB_STREAM_BY_PEER = 0,        /* end of stream or reset */
    RLB_STREAM_FAILED,             /* connect, handshake or I/O error */
    RLB_STREAM_MALFORMED,          /* bad framing, or its owner found a malformed packet */
    RLB_STREAM_TIMEOUT,            /* handshake deadline, idle, watchdog */
    RLB_STREAM_LOCAL,              /* radlb closed it (shutdown, refused peer) */
};

struct rlb_stream;
struct rlb_streams;

struct rlb_stream_ops {
    /* Connected (and handshaken): the owner checks the peer; it may close. */
    void (*open)(struct rlb_stream *st);
    /* One whole packet; data stays valid until the callback returns. */
    void (*packet)(struct rlb_stream *st, uint8_t *data, size_t len);
    /* Closed; opened tells whether it ever was open; why is a sentence. */
    void (*closed)(struct rlb_stream *st, int why, bool opened, const char *text);
};

struct rlb_stream {
    ev_io                        io;          /* first member: the callback casts back */
    ev_timer                     deadline;    /* connect and handshake */
    struct rlb_streams          *set;
    const struct rlb_stream_ops *ops;
    void                        *owner;
    SSL                         *ssl;
    SSL_CTX                     *ssl_ctx;     /* TLS once connected (NULL: TCP) */
    char                         tls_name[128]; /* name the server certificate must carry */
    int                          state;       /* enum rlb_stream_state */
    bool                         opened;      /* reached OPEN at least once since connecting */
    bool                         blocked;     /* the last write could not finish */
    bool                         busy;        /* inside its own I/O callback */
    bool                         close_pending;
    int                          connect_errno; /* connect() failed at once: the timer says */
    int                          close_why;
    char                         close_text[160];
    struct rlb_link              dlink;       /* on the set's flush list */
    bool                         dirty;
    uint8_t                     *rbuf;
    size_t                       rlen;
    uint8_t                     *wbuf;
    size_t                       wlen;
    size_t                       wcap;
    double                       last_rx;     /* when a packet last arrived */
    double                       last_tx;     /* when a packet was last queued */
    union rlb_sockaddr           peer;
    uint64_t                     packets_in;
    uint64_t                     packets_out;
};

/* Every stream of a process: the flush list and shared limits. */
struct rlb_streams {
    struct ev_loop     *loop;
    struct rlb_list     dirty;        /* streams with bytes to flush */
    double              handshake_timeout;
    uint64_t            bytes_in;
    uint64_t            bytes_out;
};

void rlb_stream_init(struct rlb_stream *st, struct rlb_streams *set,
                     const struct rlb_stream_ops *ops, void *owner);

/* Starts connecting to addr (TLS when ssl_ctx is not NULL, checking
 * tls_name when not empty). Returns -1 with errno when no socket could be
 * made (nothing is reported through the callbacks then). */
int  rlb_stream_connect(struct rlb_stream *st, const union rlb_sockaddr *addr, SSL_CTX *ssl_ctx,
                        const char *tls_name);
/* Takes an accepted socket (TLS when ssl_ctx is not NULL). */
int  rlb_stream_accept(struct rlb_stream *st, int fd, const union rlb_sockaddr *peer,
                       SSL_CTX *ssl_ctx);

/* Queues one packet; it leaves at the next rlb_streams_flush() (or as
 * soon as the stream opens: an IDLE stream keeps it until it connects).
 * Returns -1 when the stream is closed. */
int  rlb_stream_send(struct rlb_stream *st, const uint8_t *data, size_t len);

/* Closes now (the closed callback runs, possibly deferred, see above). */
void rlb_stream_close(struct rlb_stream *st, int why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Closes without reporting and frees the buffers (the owner is going away). */
void rlb_stream_discard(struct rlb_stream *st);
/* Back to IDLE after a close, ready to connect again. */
void rlb_stream_reset(struct rlb_stream *st);

/* Writes every stream with queued packets. */
void rlb_streams_flush(struct rlb_streams *set);

static inline bool
rlb_stream_is_open(const struct rlb_stream *st)
{
    return st->state == RLB_STREAM_OPEN;
}

#endif
