/*
 * conf.h: radlb's configuration as plain structs, loaded from a libconfig
 * file through one schema (conf.c) and validated in its own pass
 * (confcheck.c). A loaded configuration is immutable: a reload builds a
 * new one and swaps it in.
 */
#ifndef RLB_CONF_H
#define RLB_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "log.h"

enum rlb_listen_type { RLB_LISTEN_AUTH = 0, RLB_LISTEN_ACCT, RLB_LISTEN_ANY };
enum rlb_proto { RLB_PROTO_UDP = 0, RLB_PROTO_TCP, RLB_PROTO_TLS };

#define RLB_FP_LEN 32              /* SHA-256 certificate fingerprint */
/* The secret conf/radlb-production.conf (the Debian package's
 * /etc/radlb/radlb.conf) ships with: radlb -C refuses it until it is set. */
#define RLB_PLACEHOLDER_SECRET "CHANGE-ME"
/* Client and server names: 1 to 64 letters, digits, '-', '_' or '.'. */
#define RLB_NAME_MAX 64
enum rlb_balance {
    RLB_BALANCE_LEAST_OUTSTANDING = 0,
    RLB_BALANCE_ROUND_ROBIN,
    RLB_BALANCE_WEIGHTED,
};
enum rlb_role { RLB_ROLE_SUBORDINATE = 0, RLB_ROLE_MASTER };
enum rlb_timeout_action { RLB_TIMEOUT_REJECT = 0, RLB_TIMEOUT_DROP };

struct rlb_conf_listen {
    int                type;          /* enum rlb_listen_type ("any": stream only) */
    int                proto;         /* enum rlb_proto */
    char              *address;
    int                port;
    bool               freebind;      /* IP_FREEBIND: bind an address not held yet */
    int                line;          /* where the entry starts */
    union rlb_sockaddr addr;          /* resolved by validation */
};

struct rlb_conf_client {
    char              *name;
    char              *network;
    char              *secret;
    bool               require_ma;        /* require_message_authenticator */
    bool               limit_proxy_state;
    char              *fingerprint;       /* pinned TLS certificate, "" for none */
    int                max_outstanding;   /* requests in flight at once */
    int                line;
    struct rlb_network net;               /* resolved by validation */
    bool               has_fp;
    unsigned char      fp[RLB_FP_LEN];
};

struct rlb_conf_server {
    char              *name;
    char              *address;
    int                auth_port;
    int                acct_port;
    char              *secret;
    int                role;              /* enum rlb_role */
    int                weight;
    bool               require_ma;        /* require_message_authenticator */
    int                proto;             /* enum rlb_proto */
    char              *fingerprint;       /* pinned TLS certificate, "" for none */
    char              *tls_name;          /* name its certificate must carry, "" for any */
    int                line;
    union rlb_sockaddr auth_addr;         /* resolved by validation */
    union rlb_sockaddr acct_addr;
    bool               has_fp;
    unsigned char      fp[RLB_FP_LEN];
    unsigned           pool;              /* resolved: its pool's index in rlb_conf.pool */
};

struct rlb_conf_proxy {
    int     balance;                      /* enum rlb_balance */
    double  response_timeout;             /* seconds a server may take */
    double  dedup_window;                 /* seconds a reply stays cached */
    int     timeout_action;               /* enum rlb_timeout_action */
    char   *timeout_message;              /* Reply-Message of the timeout reject */
    char   *unavailable_message;          /* Reply-Message when no server can take a request */
    char   *no_master_message;            /* Reply-Message of a write with no master */
    char   *unroutable_message;           /* Reply-Message when no routing rule matches */
    int     max_attributes;
    int     max_sockets;                  /* per server and port: 256 IDs each */
    int     recv_buffer;                  /* SO_RCVBUF of every socket, octets */
    double  retransmit_interval;          /* TCP/TLS client, UDP server: radlb retransmits */
    double  retransmit_damping;           /* a UDP server gets a client's retransmission at
                                           * most once per this many seconds (0: every one) */
    int     max_cached_replies;           /* replies kept for retransmissions, at most */
};

enum rlb_tls_version { RLB_TLS_1_2 = 0, RLB_TLS_1_3 };

/* radlb's TLS identity and trust, for listeners and servers alike. */
struct rlb_conf_tls {
    char   *certificate;                  /* PEM, with its chain */
    char   *private_key;
    char   *ca_file;                      /* CAs that sign peers' certificates */
    char   *crl_file;                     /* "" for none */
    int     min_version;                  /* enum rlb_tls_version */
};

/* TCP and TLS connections: limits and timers. */
struct rlb_conf_conns {
    int     max;                          /* inbound connections */
    int     max_handshakes;               /* inbound connections not yet open */
    double  handshake_timeout;
    double  idle_timeout;                 /* inbound connections silent this long are closed */
    double  watchdog_interval;            /* Status-Server on idle backend connections */
    double  backoff_min;                  /* reconnect delays toward servers */
    double  backoff_max;
};

enum rlb_store { RLB_STORE_MEMORY = 0, RLB_STORE_REDIS };

#define RLB_AFFINITY_MAX 8

struct rlb_conf_sticky {
    double   ttl;                         /* seconds a challenge session lives after last use */
    int      store;                       /* enum rlb_store */
    int      max_entries;                 /* cap; least recently used evicted beyond it */
    char    *reject_message;              /* Reply-Message when the pinned server cannot go on */
    char   **affinity_attributes;         /* attribute names; none: affinity off */
    unsigned naffinity;
    double   affinity_ttl;
    unsigned aff_vendor[RLB_AFFINITY_MAX]; /* resolved by validation */
    unsigned aff_attr[RLB_AFFINITY_MAX];
};

struct rlb_conf_redis {
    char    *address;
    int      port;
    char    *prefix;                      /* every key starts with it */
    double   timeout;                     /* seconds a lookup may take */
    char    *username;                    /* ACL user, "" for the default user */
    char    *password;
    int      database;
    char   **sentinels;                   /* "address:port" */
    unsigned nsentinels;
    char    *master_name;
    char    *sentinel_username;           /* ACL user at the Sentinels */
    char    *sentinel_password;           /* the Sentinels' requirepass */
    union rlb_sockaddr addr;              /* resolved by validation */
};

enum rlb_probe_kind { RLB_PROBE_STATUS_SERVER = 0, RLB_PROBE_ACCESS_REQUEST, RLB_PROBE_NONE };

struct rlb_conf_health {
    int     probe;                        /* enum rlb_probe_kind */
    double  interval;                     /* seconds between probes of a server */
    double  timeout;                      /* seconds a probe may take */
    int     rise;                         /* good probes in a row to come up */
    int     fall;                         /* failed probes in a row to go down */
    char   *probe_user;                   /* access-request probes */
    char   *probe_password;
    bool    master_serves_reads;
};

/* The synthetic MFA login (mfa_probe, mfaprobe.c): off while user is "". */
#define RLB_TOTP_KEY_MAX 128
struct rlb_conf_mfaprobe {
    char    *user;                        /* "": off */
    char    *password_file;               /* the first leg's password, one line */
    char    *totp_secret_file;            /* base32, one line */
    double   interval;
    double   timeout;
    /* resolved by validation (never dumped: not in the schema) */
    char    *password;
    uint8_t  key[RLB_TOTP_KEY_MAX];       /* the TOTP secret's octets */
    size_t   keylen;
};

enum rlb_write_class { RLB_CLASS_WRITE = 0, RLB_CLASS_READ };

/* One rule of the writes list: the first that matches classifies. */
struct rlb_conf_write {
    char    *code;                        /* packet code name, "" for any */
    char    *attribute;                   /* dictionary name, "" for none */
    char    *equals;
    char    *regex;
    bool     exists;
    bool     missing;
    int      class;                       /* enum rlb_write_class */
    int      line;
    int      code_num;                    /* resolved by validation */
    unsigned vendor;
    unsigned attr;
};

/* A pool's own health numbers: 0 (the default) takes the top-level one. */
struct rlb_conf_pool_health {
    double  interval;
    double  timeout;
    int     rise;
    int     fall;
};

/* The name of the pool the top-level servers make. */
#define RLB_DEFAULT_POOL "default"

/* A pool: one MFA farm with its own master, balancer, health and writes. */
struct rlb_conf_pool {
    char                       *name;
    struct rlb_conf_server     *servers;
    unsigned                    nservers;
    char                       *balance_name;   /* "" : proxy.balance */
    struct rlb_conf_pool_health health_given;
    struct rlb_conf_write      *writes;
    unsigned                    nwrites;
    int                         line;
    /* resolved by validation */
    unsigned                    index;          /* in rlb_conf.pool */
    bool                        top;            /* the top-level servers' pool (defpool) */
    bool                        writes_given;   /* absent: the top-level writes */
    int                         balance;        /* enum rlb_balance */
    struct rlb_conf_health      health;         /* the top-level health, overridden */
    int                         master;         /* index in servers of role = "master", -1 */
};

/* A routing rule's migration of users to a second pool. */
struct rlb_conf_migrate {
    char    *to;                          /* "" : no migration */
    double   share;                       /* percent */
    char   **users;
    unsigned nusers;
    char    *users_file;                  /* "" : none */
};

/* A routing rule (routes.h): exactly one of realm, client, attribute, default. */
struct rlb_conf_route {
    char                  **realm;
    unsigned                nrealm;
    char                  **client;
    unsigned                nclient;
    char                   *attribute;
    char                   *equals;
    char                   *regex;
    bool                    exists;
    bool                    missing;
    bool                    is_default;
    bool                    strip;
    char                   *pool;
    struct rlb_conf_migrate migrate;
    char                   *mirror_accounting;   /* "" : none */
    int                     line;
    /* resolved by validation */
    int                     pool_index;
    int                     mirror_index; /* -1: no mirror */
    int                     to_index;     /* -1: no migration */
    unsigned                share_bp;     /* basis points */
    unsigned                vendor, attr;
    char                   *file_text;    /* users_file's contents, NUL-separated names */
    char                  **file_users;
    unsigned                nfile_users;
};

/* A prompt budget (budget.h): at most max prompts in window seconds. */
struct rlb_conf_limit_window {
    double window;
    int    max;
    int    line;
};

enum rlb_limit_count { RLB_LIMIT_COUNT_FIRST_LEG = 0, RLB_LIMIT_COUNT_CHALLENGE };

/* Prompt budgets against push bombing and SMS pumping (budget.h). */
struct rlb_conf_limits {
    struct rlb_conf_limit_window *prompts;   /* none: off */
    unsigned                      nprompts;
    char                        **by;        /* "user", "calling-station", "client" */
    unsigned                      nby;
    int                           count;     /* enum rlb_limit_count */
    double                        push_seconds;
    char                         *reply_message;
    char                        **allow_users;
    unsigned                      nallow_users;
    char                         *allow_file;
    int                           max_entries;
    /* resolved by validation */
    bool                          by_kind[3];   /* enum rlb_limit_kind */
    char                         *allow_text;   /* allow_file's contents, NUL-separated */
    char                        **allow_list;   /* its names */
    unsigned                      nallow_list;
};

struct rlb_conf_spool {
    char   *directory;                    /* "" disables the spool */
    double  max_bytes;
};

struct rlb_conf_log {
    int     level;                        /* rlb_log_level_t */
    int     destination;                  /* rlb_log_dest_t */
    char   *facility;
    int     facility_code;                /* resolved by validation */
    int     format;                       /* rlb_log_format_t */
    int     auth;                         /* rlb_authlog_dest_t */
    char   *auth_facility;
    int     auth_facility_code;           /* resolved by validation */
};

#define RLB_STATS_ALLOW_MAX 64

struct rlb_conf_stats {
    char    *address;                     /* the HTTP stats port's address */
    int      port;                        /* 0: no stats port */
    char   **allow;                       /* networks that may connect; none: loopback only */
    unsigned nallow;
    union rlb_sockaddr addr;              /* resolved by validation */
    struct rlb_network nets[RLB_STATS_ALLOW_MAX];
};

struct rlb_conf_control {
    char   *socket;                       /* "" disables it */
    int     mode;
    char   *group;
};

struct rlb_conf {
    char                   *file;
    char                   *dictionary;
    struct rlb_conf_listen *listen;
    unsigned                nlisten;
    struct rlb_conf_client *clients;
    unsigned                nclients;
    struct rlb_conf_server *servers;
    unsigned                nservers;
    struct rlb_conf_proxy   proxy;
    struct rlb_conf_sticky  sticky;
    struct rlb_conf_redis   redis;
    struct rlb_conf_health  health;
    struct rlb_conf_write  *writes;
    unsigned                nwrites;
    bool                    writes_given;      /* absent: Accounting-Request is a write */
    struct rlb_conf_spool   spool;
    char                   *state_file;        /* "" : promotions are not kept */
    char                   *user;              /* "" : keep the user radlb started as */
    char                   *group;             /* "" : the user's primary group */
    char                   *on_promote;        /* command run after a promotion */
    double                  on_promote_timeout;
    struct rlb_conf_log     log;
    struct rlb_conf_control control;
    struct rlb_conf_stats   stats;
    struct rlb_conf_tls     tls;
    struct rlb_conf_conns   conns;
    struct rlb_conf_pool   *pools;             /* as written (the default pool is not there) */
    unsigned                npools;
    struct rlb_conf_route  *routes;
    unsigned                nroutes;
    char                   *routes_seed;
    struct rlb_conf_limits  limits;
    struct rlb_conf_mfaprobe mfa_probe;
    /* resolved by validation: */
    struct rlb_conf_pool    defpool;           /* the top-level servers, writes, health */
    struct rlb_conf_pool  **pool;              /* every pool; the default first when it has
                                                * servers */
    unsigned                npool;
    struct rlb_conf_server **srv;              /* every server of every pool */
    unsigned                nsrv;
    bool                    uses_tls;          /* a listener or server has proto "tls" */
    bool                    uses_stream;       /* ... or "tcp" */
};

/* Messages collected while loading: one per line, errors and warnings. */
struct rlb_conf_msgs {
    const char *file;              /* the file being loaded */
    char    *text;
    size_t   len;
    size_t   cap;
    unsigned errors;
    unsigned warnings;
};

/*
 * Loads and validates FILE. Returns the configuration, or NULL when it has
 * errors; msgs receives every error and warning as
 * "file:line: key "x": what is wrong".
 */
struct rlb_conf *rlb_conf_load(const char *file, struct rlb_conf_msgs *msgs);
void rlb_conf_free(struct rlb_conf *conf);
void rlb_conf_msgs_free(struct rlb_conf_msgs *msgs);
/* Sets up the log from the log section (debug: at debug level whatever it
 * says), at start and after each reload. */
void rlb_conf_apply_log(const struct rlb_conf *conf, bool debug);

/* 1 for "Access-Request", 4 for "Accounting-Request", -1 otherwise. */
int rlb_conf_code_number(const char *name);


/* Writes the configuration in libconfig syntax, secrets masked. */
void rlb_conf_dump(const struct rlb_conf *conf, void (*out)(void *arg, const char *line),
                   void *arg);

/* Reload: true when now differs from old only in keys a reload may
 * change; otherwise false with the first key that needs a restart. */
bool rlb_conf_reloadable(const struct rlb_conf *old, const struct rlb_conf *now, char *key,
                         size_t len);

#endif
