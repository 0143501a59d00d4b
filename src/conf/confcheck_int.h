/*
 * confcheck_int.h: what the two files of the validate pass share:
 * confcheck.c (everything but pools and routes) and confpools.c (pools,
 * the server lists they hold, routes).
 */
#ifndef RLB_CONFCHECK_INT_H
#define RLB_CONFCHECK_INT_H

#include <stdbool.h>

#include <libconfig.h>

#include "conf.h"

/* The validate pass points at lines through the parsed file. */
struct vctx {
    const config_t       *cfg;
    struct rlb_conf_msgs *m;
};

/* Element i of the list at path ("servers", "pools.[1].servers"), or NULL. */
const config_setting_t *conf_elem(const struct vctx *v, const char *list, unsigned i);
/* 1 to 64 letters, digits, '-', '_' or '.'. */
bool conf_name_ok(const char *s);
void conf_check_name(const struct vctx *v, const config_setting_t *e, const char *what,
                const char *name);
/* One list of servers; *master: the index of role = "master", or -1. */
void conf_check_servers(struct rlb_conf *c, const struct vctx *v, const char *path,
                       struct rlb_conf_server *list, unsigned n, int *master);
/* One writes list. */
void conf_check_writes(struct rlb_conf *c, const struct vctx *v, const char *path,
                  struct rlb_conf_write *list, unsigned n);
/* One attribute test; resolves vendor and attr. */
bool conf_check_atest(struct rlb_conf *c, const struct vctx *v, const config_setting_t *e,
                     const char *attribute, const char *equals, const char *regex, bool exists,
                     bool missing, unsigned *vendor, unsigned *attr);

/* confpools.c */
/* The pools: the default one from the top-level servers, each of pools,
 * every server once (rlb_conf.srv), names and addresses unique across them. */
void conf_check_pools(struct rlb_conf *c, const struct vctx *v);
/* The setting of server i of rlb_conf.srv. */
const config_setting_t *conf_server_setting(const struct rlb_conf *c, const struct vctx *v,
                                       unsigned i);
/* Each pool's writes rules (after the dictionary is known to load). */
void conf_check_pool_writes(struct rlb_conf *c, const struct vctx *v);
/* The routing rules, and users_file read. */
void conf_check_routes(struct rlb_conf *c, const struct vctx *v);
/* A file of User-Names, one a line (see confpools.c). */
void conf_read_names(const struct vctx *v, const config_setting_t *e, const char *key,
                     const char *what, const char *file, char **text, char ***list,
                     unsigned *n);

/* conflimits.c */
/* The prompt budgets: windows, keys, allow_file read. */
void conf_check_limits(struct rlb_conf *c, const struct vctx *v);

/* confprobe.c */
/* The synthetic MFA login: its files read, the secret decoded. */
void conf_check_mfaprobe(struct rlb_conf *c, const struct vctx *v);

#endif
