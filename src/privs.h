/*
 * privs.h: giving up root once everything that needs it is done.
 *
 * With `user` (and optionally `group`) set, radlb started as root binds
 * its ports, opens the spool and reads the state file and the TLS keys,
 * then becomes that user: the control socket and the spool directory are
 * given to it first, supplementary groups are those of the user (or none
 * but `group`), and radlb checks that root cannot be had back. A radlb
 * started as another user than root refuses a `user` it is not already.
 * Without `user`, nothing changes (systemd's User= does it instead).
 */
#ifndef RLB_PRIVS_H
#define RLB_PRIVS_H

#include <stddef.h>

struct rlb_ctx;

/* Before anything starts: the user and group exist, and radlb runs as
 * root or as them already. 0, or -1 with the reason in err. */
int rlb_privs_check(const struct rlb_ctx *ctx, char *err, size_t errlen);
/* 0 when radlb now runs as the configured user (or none is configured);
 * -1 with the reason in err: then radlb must not go on. */
int rlb_privs_drop(struct rlb_ctx *ctx, char *err, size_t errlen);

#endif
