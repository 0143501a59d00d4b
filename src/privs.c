/*
 * privs.c: see privs.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ctx.h"
#include "log.h"
#include "privs.h"

/* Gives path (and, for a directory, the files in it) to uid:gid. */
static int
give(const char *path, bool dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    DIR *d;
    struct dirent *e;
    struct stat st;
    char p[4096];
    int rc = 0;

    if (chown(path, uid, gid) < 0) {
        snprintf(err, errlen, "cannot give %s to the user: %s", path, strerror(errno));
        return -1;
    }
    if (!dir)
        return 0;
    d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    /* Its files, and a pool's spool (a subdirectory) with its own files. */
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = give(p, true, uid, gid, err, errlen);
        } else if (lchown(p, uid, gid) < 0) {
            snprintf(err, errlen, "cannot give %s to the user: %s", p, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* After the switch: the directory of the state file must take the
 * renamed file of a promotion. */
static int
check_state_dir(const struct rlb_conf *c, const char *user, char *err, size_t errlen)
{
    char *copy, *dir;
    int rc = 0;

    if (!c->state_file[0])
        return 0;
    copy = strdup(c->state_file);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dir = dirname(copy);
    if (access(dir, W_OK | X_OK) < 0) {
        snprintf(err, errlen, "state_file %s: user %s cannot write in %s (%s), so a promotion "
                 "could not be kept: chown %s %s, or move state_file", c->state_file, user, dir,
                 strerror(errno), user, dir);
        rc = -1;
    }
    free(copy);
    return rc;
}

/* The configured user and group: 1 (uid and gid set), 0 when none is
 * configured, -1 with err. */
static int
resolve(const struct rlb_conf *c, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
    const struct passwd *pw;
    const struct group *gr;

    if (!c->user[0] && !c->group[0])
        return 0;
    if (!c->user[0]) {
        snprintf(err, errlen, "group = \"%s\" without user: set user too", c->group);
        return -1;
    }
    pw = getpwnam(c->user);
    if (!pw) {
        snprintf(err, errlen, "user = \"%s\": no such user (adduser --system %s)", c->user,
                 c->user);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (c->group[0]) {
        gr = getgrnam(c->group);
        if (!gr) {
            snprintf(err, errlen, "group = \"%s\": no such group", c->group);
            return -1;
        }
        *gid = gr->gr_gid;
    }
    if (geteuid() != 0 && (geteuid() != *uid || getegid() != *gid)) {
        snprintf(err, errlen, "user = \"%s\" is set, but radlb runs as uid %u, not root: start "
                 "it as root (it binds its ports, then becomes %s), or as %s", c->user,
                 (unsigned)geteuid(), c->user, c->user);
        return -1;
    }
    return 1;
}

int
rlb_privs_check(const struct rlb_ctx *ctx, char *err, size_t errlen)
{
    uid_t uid;
    gid_t gid;

    return resolve(ctx->conf, &uid, &gid, err, errlen) < 0 ? -1 : 0;
}

int
rlb_privs_drop(struct rlb_ctx *ctx, char *err, size_t errlen)
{
    const struct rlb_conf *c = ctx->conf;
    uid_t uid;
    gid_t gid;
    int r = resolve(c, &uid, &gid, err, errlen);

    if (r <= 0)
        return r;
    if (geteuid() != 0)
        return 0;                            /* started as that user already */
    if (c->control.socket[0] && give(c->control.socket, false, uid, (gid_t)-1, err, errlen) < 0)
        return -1;
    if (c->spool.directory[0] && give(c->spool.directory, true, uid, gid, err, errlen) < 0)
        return -1;
    if ((c->group[0] ? setgroups(1, &gid) : initgroups(c->user, gid)) < 0 || setgid(gid) < 0 ||
        setuid(uid) < 0) {
        snprintf(err, errlen, "cannot become user %s (uid %u, gid %u): %s", c->user,
                 (unsigned)uid, (unsigned)gid, strerror(errno));
        return -1;
    }
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "root could be had back after becoming %s: not going on", c->user);
        return -1;
    }
#if defined(__SANITIZE_ADDRESS__)
    /* Sanitizer builds (the test suite's): LeakSanitizer stops the process's
     * threads with ptrace at exit, which the kernel refuses to a process
     * that changed its uid unless it is dumpable again. Release builds stay
     * undumpable: no other process of the user can read radlb's memory. */
    prctl(PR_SET_DUMPABLE, 1);
#endif
    if (check_state_dir(c, c->user, err, errlen) < 0)
        return -1;
    rlb_info("running as user %s (uid %u), group %u: ports bound, spool and state file open",
             c->user, (unsigned)uid, (unsigned)gid);
    return 0;
}
