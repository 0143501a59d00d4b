/*
 * confprobe.c: the validate pass of the synthetic MFA login (mfa_probe,
 * mfaprobe.h): the user, its password file and TOTP secret file read and
 * decoded into the configuration. Neither their contents nor any part of
 * them ever goes into a message.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "confcheck_int.h"
#include "confmsg.h"
#include "totp.h"

#define LINE_MAX_LEN 1024

/* The one line of file into buf (its end of line cut); false, with an
 * error, when it cannot be read, is empty or has more lines. */
static bool
read_line(const struct vctx *v, const config_setting_t *g, const char *key, const char *file,
          char *buf, size_t cap)
{
    FILE *fp;
    size_t n;
    struct stat st;
    char *nl;

    if (file[0] != '/') {
        conf_msg_member(v->m, true, g, key, "\"%s\" must be an absolute path", file);
        return false;
    }
    if (!(fp = fopen(file, "r"))) {
        conf_msg_member(v->m, true, g, key, "\"%s\" cannot be read: %s", file, strerror(errno));
        return false;
    }
    n = fread(buf, 1, cap - 1, fp);
    if (fstat(fileno(fp), &st) == 0 && (st.st_mode & S_IROTH))
        conf_msg_member(v->m, false, g, key, "\"%s\" can be read by anyone: it holds a secret",
                        file);
    fclose(fp);
    buf[n] = '\0';
    nl = strchr(buf, '\n');
    if (nl) {
        if (nl[1]) {
            conf_msg_member(v->m, true, g, key, "\"%s\" must hold one line", file);
            return false;
        }
        *nl = '\0';
    }
    if (n == cap - 1 && !nl) {
        conf_msg_member(v->m, true, g, key, "\"%s\" is too long", file);
        return false;
    }
    if ((nl = strchr(buf, '\r')))
        *nl = '\0';
    if (!buf[0]) {
        conf_msg_member(v->m, true, g, key, "\"%s\" is empty", file);
        return false;
    }
    return true;
}

void
conf_check_mfaprobe(struct rlb_conf *c, const struct vctx *v)
{
    struct rlb_conf_mfaprobe *p = &c->mfa_probe;
    const config_setting_t *g = config_lookup(v->cfg, "mfa_probe");
    const config_setting_t *where = g ? g : config_root_setting(v->cfg);
    char line[LINE_MAX_LEN];
    int n;

    if (!p->user[0]) {
        if (p->password_file[0] || p->totp_secret_file[0])
            conf_msg_member(v->m, false, where, "user",
                            "empty: the MFA probe is off, its files are not read");
        return;
    }
    if (strlen(p->user) > 253)
        conf_msg_member(v->m, true, where, "user", "must be 1 to 253 octets (a User-Name)");
    if (p->timeout >= p->interval)
        conf_msg_member(v->m, true, where, "timeout", "must be less than interval (%g s)",
                        p->interval);
    if (!p->password_file[0])
        conf_msg_member(v->m, true, where, "password_file", "is required with a user");
    else if (read_line(v, where, "password_file", p->password_file, line, sizeof(line))) {
        if (strlen(line) > 128)
            conf_msg_member(v->m, true, where, "password_file",
                            "\"%s\": the password is over 128 octets (a User-Password)",
                            p->password_file);
        else if (!(p->password = strdup(line)))
            conf_msg_member(v->m, true, where, "password_file", "out of memory");
    }
    if (!p->totp_secret_file[0])
        conf_msg_member(v->m, true, where, "totp_secret_file", "is required with a user");
    else if (read_line(v, where, "totp_secret_file", p->totp_secret_file, line, sizeof(line))) {
        n = rlb_base32_decode(line, p->key, sizeof(p->key));
        if (n <= 0)
            conf_msg_member(v->m, true, where, "totp_secret_file",
                            "\"%s\" is not a base32 secret (A-Z, 2-7) of 1 to %d octets",
                            p->totp_secret_file, RLB_TOTP_KEY_MAX);
        else
            p->keylen = (size_t)n;
    }
    OPENSSL_cleanse(line, sizeof(line));
}
