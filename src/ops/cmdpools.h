/*
 * cmdpools.h: the control commands of pools and routes (cmdpools.c) and
 * of the prompt budgets (cmdlimits.c), in cmd.c's table: show pools, show
 * routes, route N share PERCENT, show limits, unblock; and the
 * [POOL/]NAME argument the server commands take.
 */
#ifndef RLB_CMDPOOLS_H
#define RLB_CMDPOOLS_H

#include <jansson.h>

#include "control.h"

struct rlb_server;

int rlb_cmd_show_pools(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);
int rlb_cmd_show_routes(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);
int rlb_cmd_route(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);
/* cmdlimits.c: show limits [USER], unblock USER. */
int rlb_cmd_show_limits(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);
int rlb_cmd_unblock(struct rlb_cmd_req *r, struct rlb_strbuf *out, struct rlb_strbuf *err);

/* A command's JSON answer (cmd.c): written indented into out, j freed. */
void rlb_cmd_json_out(struct rlb_strbuf *out, json_t *j);

/* "NAME" or "POOL/NAME": the server, or NULL with the reason in err. */
struct rlb_server *rlb_cmd_server_arg(struct rlb_ctx *ctx, const char *arg,
                                      struct rlb_strbuf *err);

#endif
