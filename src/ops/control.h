/*
 * control.h: the control socket. A unix stream socket (mode and group from
 * the configuration) that takes one command line per connection:
 *
 *     [json] COMMAND [ARGS...]\n
 *
 * and answers with a status line, "ok" or "error: <why>", then the
 * output, then closes. The peer's credentials (SO_PEERCRED) decide its
 * level: read-only for anyone who can open the socket, admin for root and
 * radlb's own user. Commands live in one table (cmd.c).
 */
#ifndef RLB_CONTROL_H
#define RLB_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

struct rlb_ctx;

enum rlb_cmd_level { RLB_CMD_READ = 0, RLB_CMD_ADMIN };

struct rlb_cmd_req {
    struct rlb_ctx *ctx;
    int             argc;
    char          **argv;              /* argv[0..words) are the command's own words */
    bool            json;
    uid_t           uid;
    int             level;
    uint64_t        conn;              /* the connection, for answers given later */
};

/* A handler writes its output into out; returns 0, or -1 with the reason
 * in err (status travels apart from output so radlbctl can exit non-zero),
 * or 1 when it answers later through rlb_control_finish(r->conn, ...). */
typedef int (*rlb_cmd_fn)(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);

struct rlb_cmd {
    const char *name;                  /* "show servers" */
    int         level;                 /* enum rlb_cmd_level */
    const char *args;                  /* usage of the arguments, "" for none */
    const char *help;
    rlb_cmd_fn  fn;
};

extern const struct rlb_cmd rlb_commands[];

/* Runs one command line (for the socket and for the tests). Returns 0, -1,
 * or 1 (the answer comes later, for connection conn). */
int rlb_cmd_run(struct rlb_ctx *ctx, char *line, uid_t uid, int level, uint64_t conn,
                struct rlb_strbuf *out, struct rlb_strbuf *err);
/* The later answer of a command that returned 1 (nothing when the
 * connection is gone). */
void rlb_control_finish(struct rlb_ctx *ctx, uint64_t conn, int rc, const char *out,
                        const char *err);

int  rlb_control_start(struct rlb_ctx *ctx);
void rlb_control_stop(struct rlb_ctx *ctx);

#endif
