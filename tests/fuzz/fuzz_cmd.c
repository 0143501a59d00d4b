/*
 * fuzz_cmd.c: the control socket's command line, through rlb_cmd_run()
 * (what control.c calls with each line), at the admin level, against a
 * running context: tokenising, the command table, arguments, and every
 * command's text and JSON output. Commands that change state (drain,
 * maintenance, enable, promote) are undone after each input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz_common.h"

static struct fz_env env;
static struct rlb_server *first_master;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_start(&env);
    first_master = env.ctx.pools[0]->master.server;
    return 0;
}

static void
run(const char *text, int level)
{
    struct rlb_strbuf out = { 0 }, err = { 0 };
    char *line = strdup(text);

    if (!line)
        return;
    rlb_cmd_run(&env.ctx, line, 0, level, 1, &out, &err);
    if (out.p)
        fz_touch((const uint8_t *)out.p, out.len);
    rlb_sb_free(&out);
    rlb_sb_free(&err);
    free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line;

    if (size > 4096)
        return -1;
    line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    /* Read-only first (admin commands are refused), then admin. */
    run(line, RLB_CMD_READ);
    run(line, RLB_CMD_ADMIN);
    free(line);
    /* Back to the starting state. */
    run("enable mfa1", RLB_CMD_ADMIN);
    run("enable mfa2", RLB_CMD_ADMIN);
    if (env.ctx.pools[0]->master.server != first_master)
        run("promote mfa1 force", RLB_CMD_ADMIN);
    fz_env_reset(&env);
    return 0;
}
