/*
 * stats.h: every counter radlb keeps, declared once. Clients and servers
 * embed their own block; the control socket (and later the stats port and
 * doc/metrics.md) print them from these lists, so a counter added here
 * shows up everywhere.
 */
#ifndef RLB_STATS_H
#define RLB_STATS_H

#include <stdint.h>

#include "drop.h"

/*      name                 help */
#define RLB_CLIENT_COUNTERS(X)                                                                  \
    X(requests,            "new requests received (retransmissions and duplicates apart)")      \
    X(access_requests,     "Access-Requests received")                                          \
    X(accounting_requests, "Accounting-Requests received")                                      \
    X(status_server,       "Status-Server requests answered by radlb itself")                   \
    X(retransmissions,     "retransmissions of a request still in flight (to the same server, or " \
                           "absorbed)")                                                            \
    X(duplicates,          "retransmissions answered from the reply cache")                     \
    X(replies,             "replies sent")                                                      \
    X(timeouts,            "requests that no server answered within response_timeout")          \
    X(dropped,             "datagrams dropped (see the drop reasons)")                          \
    X(challenges,          "Access-Challenges sent to the client")                              \
    X(challenge_answers,   "answers to an open challenge (a State radlb knew) from the client") \
    X(late_replies,        "replies that came after the client had stopped retransmitting: it " \
                           "had most likely given up (its timeout is too short for MFA)")

#define RLB_SERVER_COUNTERS(X)                                                                  \
    X(requests,             "requests forwarded")                                               \
    X(retransmissions,      "client retransmissions passed on (same Identifier)")               \
    X(retransmissions_absorbed, "client retransmissions not passed on: within "                    \
                                "proxy.retransmit_damping of the last copy")                       \
    X(access_accepts,       "Access-Accept replies")                                            \
    X(access_rejects,       "Access-Reject replies")                                            \
    X(access_challenges,    "Access-Challenge replies")                                         \
    X(accounting_responses, "Accounting-Response replies")                                      \
    X(timeouts,             "requests not answered within response_timeout")                    \
    X(dropped,              "replies dropped (bad authenticator, malformed, late...)")          \
    X(replies_without_ma,   "replies without Message-Authenticator")                            \
    X(went_down,            "times the server was marked down")                                 \
    X(probes,               "health probes sent")                                               \
    X(probe_failures,       "health probes not answered in time or refused")                    \
    X(probes_late,          "probes not answered in time while the server answered requests "      \
                            "(slow, not down)")                                                    \
    X(suspicions,           "probes sent at once because live requests went unanswered")       \
    X(rerouted,             "requests moved to another server after this one went down")        \
    X(pinned_rejects,       "challenge answers rejected because this server could not take them")

#define RLB_GLOBAL_COUNTERS(X)                                                                  \
    X(requests,            "new requests received from known clients")                          \
    X(replies,             "replies sent to clients")                                           \
    X(timeouts,            "requests that timed out")                                           \
    X(local_rejects,       "Access-Rejects written by radlb (timeout, session lost, no server)") \
    X(no_server,           "requests no server could take (all down, draining or in maintenance)") \
    X(writes,              "requests classified as writes (they go to the master only)")      \
    X(no_master_rejects,   "write Access-Requests rejected because no master took writes")    \
    X(acct_spooled,        "Accounting-Requests written to the spool and answered")            \
    X(acct_spool_full,     "Accounting-Requests not answered: the spool was full or failed")  \
    X(acct_no_master,      "Accounting-Requests not answered: no master and no spool")        \
    X(acct_replayed,       "spooled Accounting-Requests acknowledged by a master")             \
    X(sockets_opened,      "server sockets opened (256 Identifiers each)")                     \
    X(cache_evicted,       "cached replies dropped early: proxy.max_cached_replies reached")   \
    X(fd_exhausted,        "connections or sockets refused: out of file descriptors")

#define RLB_COUNTER_FIELD(name, help) uint64_t name;

struct rlb_client_stats { RLB_CLIENT_COUNTERS(RLB_COUNTER_FIELD) };
struct rlb_server_stats { RLB_SERVER_COUNTERS(RLB_COUNTER_FIELD) };

/* Latency buckets, seconds (upper bounds; the last is +Inf). */
#define RLB_LATENCY_BUCKETS 13
extern const double rlb_latency_bounds[RLB_LATENCY_BUCKETS - 1];

struct rlb_latency {
    uint64_t buckets[RLB_LATENCY_BUCKETS];
    uint64_t count;
    double   sum;
};

void rlb_latency_add(struct rlb_latency *l, double seconds);
/* The q-quantile (0..1) estimated from the buckets, in seconds. */
double rlb_latency_quantile(const struct rlb_latency *l, double q);

struct rlb_global_stats {
    RLB_GLOBAL_COUNTERS(RLB_COUNTER_FIELD)
    uint64_t drops[RLB_DROP_MAX];
};

#endif
