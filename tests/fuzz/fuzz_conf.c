/*
 * fuzz_conf.c: the configuration parser and validator: a file written to
 * a private directory under /tmp and loaded with rlb_conf_load() (libconfig,
 * the schema, bounds, then the validate pass: addresses, networks, names,
 * secrets, the dictionary names of affinity and write rules, regexes), and
 * when it loads, written back with rlb_conf_dump().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static char dir[64], file[96];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
cleanup(void)
{
    unlink(file);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct rlb_log_conf lc = { RLB_LOG_ERR, RLB_LOG_STDERR, 0, RLB_LOG_TEXT, RLB_AUTHLOG_OFF, 0 };

    (void)argc;
    (void)argv;
    rlb_log_setup(&lc, "radlb-fuzz");
    snprintf(dir, sizeof(dir), "/tmp/rlb-fuzz-conf-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(file, sizeof(file), "%s/radlb.conf", dir);
    atexit(cleanup);
    return 0;
}

static void
sink(void *arg, const char *line)
{
    size_t *n = arg;

    *n += strlen(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rlb_conf_msgs msgs;
    struct rlb_conf *conf;
    FILE *fp;

    if (size > 65536)
        return -1;
    fp = fopen(file, "w");
    if (!fp)
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);
    conf = rlb_conf_load(file, &msgs);
    if (conf) {
        size_t n = 0;

        rlb_conf_dump(conf, sink, &n);
        rlb_conf_free(conf);
    }
    rlb_conf_msgs_free(&msgs);
    return 0;
}
