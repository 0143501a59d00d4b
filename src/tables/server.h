/*
 * server.h: the MFA servers radlb forwards to, and their UDP sockets.
 *
 * Each socket is connected to one server port and owns 256 Identifiers,
 * handed out least recently used first (RFC 5080 2.2.2) from a ring that
 * starts in random order. When every Identifier of every socket is in
 * use, another socket is opened (up to proxy.max_sockets), so 100,000
 * requests in flight toward one server take about 400 sockets.
 */
#ifndef RLB_SERVER_H
#define RLB_SERVER_H

#include <stdbool.h>
#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "crypto.h"
#include "drop.h"
#include "log.h"
#include "request.h"
#include "stats.h"

enum rlb_kind { RLB_KIND_AUTH = 0, RLB_KIND_ACCT = 1 };

/* What the admin wants of a server (radlbctl drain/maintenance/enable). */
enum rlb_admin {
    RLB_ADMIN_ENABLED = 0,         /* new requests and challenge answers */
    RLB_ADMIN_DRAINING,            /* challenge answers only, until they expire */
    RLB_ADMIN_MAINTENANCE,         /* nothing new; its open challenges are rejected */
};

/* What radlb knows of a server's health (health.c). */
enum rlb_health {
    RLB_HEALTH_UP = 0,
    RLB_HEALTH_DOWN,
};

/* A server's health probe (health.c): always there with an active probe
 * kind, only while down with probe "none". */
struct rlb_stream;

struct rlb_probe {
    ev_io               io;             /* first member: the callback casts back */
    struct rlb_stream  *st;             /* TCP/TLS servers: the probe's own connection */
    ev_timer            timer;          /* the next probe, or the deadline of the one out */
    struct rlb_server  *server;
    struct rlb_ctx     *ctx;
    uint8_t             auth[16];       /* Request Authenticator of the last probe */
    uint8_t             id;
    uint8_t             target;         /* the port probed (enum rlb_kind) */
    bool                waiting;        /* a probe is out */
    bool                refused;        /* ICMP port unreachable since the last probe */
    bool                open_failed;    /* the probe socket could not be opened (logged) */
    unsigned            quiet;          /* probes in a row that were not refused */
    unsigned            ok_run;         /* successes in a row */
    unsigned            fail_run;       /* failures in a row */
    double              sent_at;        /* the last probe went then */
    unsigned long       replied_at_send; /* the server's replies when it went */
    double              rtt;            /* of the last answered probe, seconds */
    double              last_ok;        /* when a probe was last answered (0: never) */
    char                last[128];      /* "answered", "no answer within 1 s", "refused"... */
};
struct rlb_server;
struct rlb_ctx;

struct rlb_blink;
struct rlb_mfaprobe;

/* A socket toward a server: a connected UDP socket, or a TCP/TLS
 * connection (link, backend.c; io unused). 256 Identifiers either way. */
struct rlb_bsock {
    ev_io               io;             /* first member: the callback casts back */
    struct rlb_server  *server;
    struct rlb_blink   *link;           /* TCP/TLS: the connection (NULL: UDP) */
    struct rlb_bsock   *next_free;      /* server's list of sockets with free IDs */
    bool                on_free_list;
    uint8_t             kind;           /* enum rlb_kind */
    uint16_t            nfree;          /* Identifiers not in use */
    uint8_t             head;           /* ring index of the next ID to hand out */
    uint8_t             tail;           /* ring index where a released ID goes */
    uint8_t             ring[256];      /* free Identifiers, least recently used first */
    struct rlb_request *slot[256];      /* the request holding each Identifier */
};

struct rlb_pool;

struct rlb_server {
    char                   *name;
    char                    pool_name[RLB_NAME_MAX + 1];
    struct rlb_pool        *pool;             /* set by the flow (pool.c) */
    int                     admin;            /* enum rlb_admin */
    bool                    removed;          /* taken out by a reload (drained) */
    int                     health;           /* enum rlb_health */
    double                  since;            /* when the state last changed */
    char                    health_reason[192]; /* why up or down */
    char                    admin_reason[96];   /* who drained or enabled it */
    uint8_t                 down_kind;        /* the port that failed (enum rlb_kind) */
    struct rlb_probe       *probe;            /* health.c */
    struct rlb_mfaprobe    *mfa;              /* mfaprobe.c: the synthetic MFA login */
    double                  last_reply;       /* live traffic: the last reply */
    double                  waiting_since;    /* requests in flight, no reply since */
    unsigned long           replied;          /* replies received (health: proof of life) */
    union rlb_sockaddr      addr[2];          /* auth and acct ports */
    struct rlb_secret       secret;
    int                     role;             /* enum rlb_role */
    int                     proto;            /* enum rlb_proto */
    bool                    has_fp;           /* TLS: pinned certificate */
    unsigned char           fp[RLB_FP_LEN];
    char                   *tls_name;         /* TLS: name its certificate must carry */
    int                     weight;
    bool                    require_ma;
    bool                    seen_no_ma;       /* logged once: replies lack Message-Authenticator */
    unsigned                outstanding;      /* requests in flight */
    unsigned                refs;             /* requests that point here */
    unsigned long           sessions;         /* open challenge sessions it issued */
    int                     swrr_current;     /* smooth weighted round robin */
    struct rlb_bsock      **socks[2];
    unsigned                nsocks[2];
    unsigned                capsocks[2];
    struct rlb_bsock       *free_list[2];     /* sockets with free Identifiers */
    struct rlb_server_stats stats;
    struct rlb_latency      latency;
    struct rlb_ratelimit    rl[RLB_DROP_MAX];     /* drop log lines, per reason */
    struct rlb_ratelimit    rl_timeout;           /* timeout log lines */
    struct rlb_ratelimit    rl_slow;              /* "probe late, server answering" lines */
};

typedef void (*rlb_bsock_cb)(struct ev_loop *loop, ev_io *w, int revents);

/* Takes new requests: enabled and up. */
static inline bool
rlb_server_takes_new(const struct rlb_server *s)
{
    return s->admin == RLB_ADMIN_ENABLED && s->health == RLB_HEALTH_UP;
}

/* Takes the answers to its own challenges: up and not in maintenance. */
static inline bool
rlb_server_takes_pinned(const struct rlb_server *s)
{
    return s->admin != RLB_ADMIN_MAINTENANCE && s->health == RLB_HEALTH_UP;
}

/* What a server takes, the most important first (rlb_server_state). */
enum rlb_server_state {
    RLB_STATE_UP = 0,
    RLB_STATE_DOWN,
    RLB_STATE_DRAINING,
    RLB_STATE_MAINTENANCE,
};

/* Names by enum, each table NULL-terminated: rlb_role_names are the
 * choices of a server's role, the others name states in the control
 * commands, the reports and the metrics. */
extern const char *const rlb_role_names[];         /* enum rlb_role */
extern const char *const rlb_admin_names[];        /* enum rlb_admin */
extern const char *const rlb_server_state_names[]; /* enum rlb_server_state */

/* "subordinate" or "master"; "?" for anything else. */
const char *rlb_role_name(int role);
/* "enabled", "draining" or "maintenance"; "?" for anything else. */
const char *rlb_admin_name(int admin);
/* Maintenance, else down, else draining, else up. */
enum rlb_server_state rlb_server_state(const struct rlb_server *s);
/* "up", "down", "draining" or "maintenance": rlb_server_state's name. */
const char *rlb_server_state_name(const struct rlb_server *s);
/* Why: the health reason when down, else the admin's when not enabled. */
const char *rlb_server_state_reason(const struct rlb_server *s);

struct rlb_servers {
    struct rlb_server **v;
    unsigned            n;
    struct rlb_server **gone;         /* removed by a reload: kept (requests, sessions
                                       * and the master may point to them), freed at stop */
    unsigned            ngone;
    struct ev_loop     *loop;
    rlb_bsock_cb        read_cb;      /* called when a server socket is readable */
    void               *cb_data;      /* stored in every socket's io.data */
    int                 max_sockets;  /* per server and port */
    int                 rcvbuf;
    uint64_t           *sockets_opened;
    /* TCP/TLS servers: a new socket gets its connection (backend.c), a
     * socket being freed lets go of it. */
    int               (*link_open)(void *data, struct rlb_bsock *b);
    void              (*link_free)(void *data, struct rlb_bsock *b);
    struct rlb_bsock  **byfd;         /* sockets by file descriptor */
    unsigned            nbyfd;
};

/* The server socket behind a file descriptor, or NULL. */
struct rlb_bsock *rlb_servers_bsock_by_fd(const struct rlb_servers *ss, int fd);

int  rlb_servers_build(struct rlb_servers *ss, const struct rlb_conf *conf);
/* Reload: ss->v becomes conf's servers, in conf's order. A known name
 * (live or removed earlier) keeps its object, updated in place (secret,
 * weight, require_message_authenticator, pins, tls_name; role only when
 * roles is true); its address, ports and transport cannot change (-1 with
 * err). The servers conf lacks move to ss->gone. Nothing changes on
 * failure. */
int  rlb_servers_reload(struct rlb_servers *ss, const struct rlb_conf *conf, bool roles,
                        char *err, size_t errlen);
void rlb_servers_free(struct rlb_servers *ss);
struct rlb_server *rlb_servers_find(const struct rlb_servers *ss, const char *name);

/* Gives req an Identifier on a socket toward s (req->bsock, req->proxied_id).
 * Returns -1 when max_sockets are all full or a socket cannot be opened. */
int  rlb_server_alloc_id(struct rlb_servers *ss, struct rlb_server *s, int kind,
                         struct rlb_request *req);
void rlb_server_release_id(struct rlb_request *req);

static inline struct rlb_request *
rlb_bsock_lookup(const struct rlb_bsock *b, uint8_t id)
{
    return b->slot[id];
}

#endif
