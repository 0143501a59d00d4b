/*
 * mfaprobe.h: the synthetic MFA login (mfa_probe): every interval, for
 * each server, radlb logs in as a test account through that server alone:
 * the first leg (User-Name, User-Password), an Access-Challenge with State
 * expected, then the second leg with that State and the current TOTP code
 * (totp.h) as User-Password, an Access-Accept expected.
 *
 * A server up by its health probes whose login fails is flagged "MFA path
 * failing": logged on each change of that flag, shown in its JSON and
 * metrics, and left in rotation (the admin decides). UDP servers only:
 * those over TCP or TLS are not probed (their result stays unknown).
 */
#ifndef RLB_MFAPROBE_H
#define RLB_MFAPROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "log.h"

struct rlb_ctx;
struct rlb_server;

enum rlb_mfa_result { RLB_MFA_UNKNOWN = -1, RLB_MFA_FAILED = 0, RLB_MFA_OK = 1 };

struct rlb_mfaprobe {
    ev_io                io;            /* first member: the callback casts back */
    ev_timer             timer;         /* the next login, or the deadline of the one out */
    struct rlb_server   *server;
    struct rlb_ctx      *ctx;
    int                  leg;           /* 0: none out, 1 or 2: that leg is out */
    uint8_t              id;
    uint8_t              auth[16];      /* Request Authenticator of the leg out */
    uint8_t              state[253];    /* the challenge's State */
    uint8_t              statelen;
    double               started;       /* when the login out began */
    int                  result;        /* enum rlb_mfa_result of the last login */
    double               seconds;       /* how long the last login took */
    uint64_t             runs;          /* logins finished (passed or failed) */
    uint64_t             failures;
    double               last_at;       /* when the last login finished (0: never) */
    bool                 failing;       /* "MFA path failing": up, yet the login failed */
    bool                 logged;        /* the flag the last log line gave */
    bool                 open_failed;   /* the socket could not be opened (logged) */
    char                 last[128];     /* "passed", "rejected at the second leg"... */
    struct rlb_ratelimit rl;            /* the flag's log lines: one per 5 s at most */
};

/* The probes of every server, when mfa_probe.user is set. */
int  rlb_mfaprobe_start(struct rlb_ctx *ctx);
void rlb_mfaprobe_stop(struct rlb_ctx *ctx);
/* A server a reload added or removed. */
void rlb_mfaprobe_server_added(struct rlb_ctx *ctx, struct rlb_server *s);
void rlb_mfaprobe_server_removed(struct rlb_ctx *ctx, struct rlb_server *s);
/* 1 when the server is up by health but its last login failed, else 0. */
bool rlb_mfaprobe_failing(const struct rlb_server *s);

#endif
