/*
 * check_confprobe.c: src/conf/confprobe.c, the synthetic MFA login's
 * configuration (mfa_probe): its files read and decoded, the bad ones
 * refused without their contents in any message, nothing of them dumped.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#include "testutil.h"

static char dir[64], pwfile[128], keyfile[128], conffile[128];

static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

/* A configuration with mfa_probe = { extra } loaded; msgs kept. */
static struct rlb_conf *
load(const char *extra, struct rlb_conf_msgs *msgs)
{
    FILE *f = fopen(conffile, "w");

    fprintf(f, "listen = ( { type = \"auth\"; address = \"127.0.0.1\"; port = 1812; } );\n"
               "clients = ( { name = \"nas1\"; network = \"127.0.0.0/8\"; "
               "secret = \"client-secret-0123456789\"; } );\n"
               "servers = ( { name = \"mfa1\"; address = \"127.0.0.1\"; "
               "secret = \"server-secret-0123456789\"; role = \"master\"; } );\n"
               "control = { socket = \"\"; };\n"
               "mfa_probe = { %s };\n", extra);
    fclose(f);
    return rlb_conf_load(conffile, msgs);
}

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/radlb-confprobe.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(pwfile, sizeof(pwfile), "%s/password", dir);
    snprintf(keyfile, sizeof(keyfile), "%s/totp", dir);
    snprintf(conffile, sizeof(conffile), "%s/radlb.conf", dir);
    put(pwfile, "probe-pw-secret-42\n");
    put(keyfile, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n");
}

static void
teardown(void)
{
    unlink(pwfile);
    unlink(keyfile);
    unlink(conffile);
    rmdir(dir);
}

static char extra[512];

static const char *
files(const char *more)
{
    snprintf(extra, sizeof(extra), "user = \"radlb-probe-mfa\"; password_file = \"%s\"; "
             "totp_secret_file = \"%s\"; %s", pwfile, keyfile, more);
    return extra;
}

struct dump {
    char   text[16384];
    size_t len;
};

static void
dump_line(void *arg, const char *line)
{
    struct dump *d = arg;
    int n = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s\n", line);

    if (n > 0 && d->len + (size_t)n < sizeof(d->text))
        d->len += (size_t)n;
}

START_TEST(off_by_default)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = load("", &msgs);

    ck_assert_msg(c != NULL, "%s", msgs.text ? msgs.text : "");
    ck_assert_str_eq(c->mfa_probe.user, "");
    ck_assert_ptr_null(c->mfa_probe.password);
    ck_assert_uint_eq(c->mfa_probe.keylen, 0);
    ck_assert_double_eq(c->mfa_probe.interval, 300.0);
    ck_assert_double_eq(c->mfa_probe.timeout, 30.0);
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

START_TEST(files_read_and_never_dumped)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = load(files("interval = 60.0; timeout = 5.0;"), &msgs);
    static struct dump d;

    ck_assert_msg(c != NULL && msgs.warnings == 0, "%s", msgs.text ? msgs.text : "");
    ck_assert_str_eq(c->mfa_probe.password, "probe-pw-secret-42");
    ck_assert_uint_eq(c->mfa_probe.keylen, 20);
    ck_assert_mem_eq(c->mfa_probe.key, "12345678901234567890", 20);
    ck_assert_double_eq(c->mfa_probe.interval, 60.0);
    memset(&d, 0, sizeof(d));
    rlb_conf_dump(c, dump_line, &d);
    ck_assert_ptr_nonnull(strstr(d.text, "user = \"radlb-probe-mfa\";"));
    ck_assert_ptr_nonnull(strstr(d.text, keyfile));
    ck_assert_ptr_null(strstr(d.text, "probe-pw-secret-42"));
    ck_assert_ptr_null(strstr(d.text, "GEZDGNBV"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

/* The load fails with a message holding want and none of the secrets. */
static void
refused(const char *conf_extra, const char *want)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c = load(conf_extra, &msgs);

    ck_assert_msg(c == NULL, "loaded: %s", conf_extra);
    ck_assert_ptr_nonnull(msgs.text);
    ck_assert_msg(strstr(msgs.text, want) != NULL, "want \"%s\" in:\n%s", want, msgs.text);
    ck_assert_ptr_null(strstr(msgs.text, "probe-pw-secret-42"));
    ck_assert_ptr_null(strstr(msgs.text, "GEZDGNBV"));
    rlb_conf_msgs_free(&msgs);
}

START_TEST(bad_values_refused)
{
    refused(files("interval = 5.0;"), "interval");
    refused(files("timeout = 121.0;"), "timeout");
    refused(files("interval = 20.0; timeout = 30.0;"), "must be less than interval");
    refused("user = \"u\"; totp_secret_file = \"/nonexistent/x\";",
            "key \"password_file\": is required");
    refused("user = \"u\"; password_file = \"/nonexistent/pw\"; totp_secret_file = \"rel\";",
            "\"/nonexistent/pw\" cannot be read");
    refused("user = \"u\"; password_file = \"/nonexistent/pw\"; totp_secret_file = \"rel\";",
            "\"rel\" must be an absolute path");
}
END_TEST

START_TEST(bad_files_refused)
{
    put(keyfile, "GEZDGNBV0Y3TQOJQ\n");        /* '0' is not base32 */
    refused(files(""), "is not a base32 secret");
    put(keyfile, "GEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ\n");
    refused(files(""), "must hold one line");
    put(keyfile, "\n");
    refused(files(""), "is empty");
    put(keyfile, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    put(pwfile, "");
    refused(files(""), "is empty");
}
END_TEST

START_TEST(world_readable_warned)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *c;

    chmod(keyfile, 0644);
    c = load(files(""), &msgs);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(msgs.warnings, 1);
    ck_assert_ptr_nonnull(strstr(msgs.text, "can be read by anyone"));
    rlb_conf_free(c);
    rlb_conf_msgs_free(&msgs);
}
END_TEST

static Suite *
confprobe_suite(void)
{
    Suite *s = suite_create("confprobe");
    TCase *tc = tcase_create("mfa_probe");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, off_by_default);
    tcase_add_test(tc, files_read_and_never_dumped);
    tcase_add_test(tc, bad_values_refused);
    tcase_add_test(tc, bad_files_refused);
    tcase_add_test(tc, world_readable_warned);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(confprobe_suite());
}
