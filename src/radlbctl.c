/*
 * radlbctl.c: the command-line client of radlb's control socket. Finds the
 * socket (-s, $RADLB_SOCKET, control.socket of radlb's configuration file,
 * the default), sends one command, prints the answer, and exits 0 on
 * success, 1 when radlb refused the command, 2 when radlb could not be
 * reached or radlbctl was called wrongly.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef RLB_DEFAULT_SOCKET
#define RLB_DEFAULT_SOCKET "/run/radlb/radlb.sock"
#endif
#ifndef RLB_DEFAULT_CONF
#define RLB_DEFAULT_CONF "/etc/radlb/radlb.conf"
#endif

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: radlbctl [-s SOCKET | -f FILE] [--json] COMMAND [ARGS...]\n"
            "  -s, --socket=SOCKET  radlb's control socket (default $RADLB_SOCKET, else\n"
            "                       control.socket of FILE, else " RLB_DEFAULT_SOCKET ")\n"
            "  -f, --config=FILE    radlb's configuration file, read for control.socket\n"
            "                       (default " RLB_DEFAULT_CONF " when readable)\n"
            "  -j, --json           answer in JSON\n"
            "  -V, --version        print the version\n"
            "  -h, --help           this help\n"
            "  radlbctl help   lists the commands radlb knows\n");
}

static void
version(void)
{
    printf("radlbctl %s\n", PACKAGE_VERSION);
    printf("built with libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
           LIBCONFIG_VER_REVISION);
}

/*
 * Reads control.socket from radlb's configuration file, as radlb reads the
 * file (libconfig, @include relative to its folder), into buf; without the
 * key, radlb's default socket. Returns 0, or -1 after printing why (a file
 * that cannot be read or parsed, with its line; a socket that is not a
 * string or is "", none). When the file is the default one (not given),
 * a file that cannot be opened returns 1 and nothing is printed.
 */
static int
conf_socket(const char *file, bool given, char *buf, size_t len)
{
    const config_setting_t *s;
    config_t cfg;
    char *dircopy;
    FILE *fp;
    int rc = -1;

    fp = fopen(file, "r");
    if (!fp) {
        if (!given)
            return 1;
        fprintf(stderr, "radlbctl: %s: cannot read the configuration file: %s\n", file,
                strerror(errno));
        return -1;
    }
    fclose(fp);                    /* readable: libconfig reads it by name */

    config_init(&cfg);
    dircopy = strdup(file);
    config_set_include_dir(&cfg, dircopy ? dirname(dircopy) : ".");
    if (config_read_file(&cfg, file) != CONFIG_TRUE) {
        fprintf(stderr, "radlbctl: %s:%d: %s\n",
                config_error_file(&cfg) ? config_error_file(&cfg) : file,
                config_error_line(&cfg), config_error_text(&cfg));
    } else if (!(s = config_lookup(&cfg, "control.socket"))) {
        snprintf(buf, len, "%s", RLB_DEFAULT_SOCKET);
        rc = 0;
    } else if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        fprintf(stderr, "radlbctl: %s:%u: key \"control.socket\": must be a string\n",
                config_setting_source_file(s) ? config_setting_source_file(s) : file,
                config_setting_source_line(s));
    } else if (!config_setting_get_string(s)[0]) {
        fprintf(stderr, "radlbctl: %s:%u: key \"control.socket\": is \"\", so radlb opens "
                "no control socket\n",
                config_setting_source_file(s) ? config_setting_source_file(s) : file,
                config_setting_source_line(s));
    } else {
        snprintf(buf, len, "%s", config_setting_get_string(s));
        rc = 0;
    }
    config_destroy(&cfg);
    free(dircopy);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "socket", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'f' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL, *file = NULL, *from = "";
    char line[1100], buf[8192], confsock[sizeof(((struct sockaddr_un *)0)->sun_path) + 1], *nl;
    struct sockaddr_un sa;
    size_t used = 0, have = 0;
    char *reply = NULL;
    bool json = false;
    int opt, fd;

    while ((opt = getopt_long(argc, argv, "+s:f:jVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': path = optarg; break;
        case 'f': file = optarg; break;
        case 'j': json = true; break;
        case 'V': version(); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }

    /* -s, then $RADLB_SOCKET, then control.socket of -f FILE (or of the
     * default configuration file when it can be read), then the default. */
    if (!path && getenv("RADLB_SOCKET") && getenv("RADLB_SOCKET")[0])
        path = getenv("RADLB_SOCKET");
    if (!path) {
        int rc = conf_socket(file ? file : RLB_DEFAULT_CONF, file != NULL, confsock,
                             sizeof(confsock));

        if (rc < 0)
            return 2;
        path = rc == 0 ? confsock : RLB_DEFAULT_SOCKET;
        if (rc == 0)
            from = file ? file : RLB_DEFAULT_CONF;
    }

    used = (size_t)snprintf(line, sizeof(line), "%s", json ? "json" : "");
    for (int i = optind; i < argc && used < sizeof(line); i++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", used ? " " : "",
                                 argv[i]);
    if (used + 2 > sizeof(line)) {
        fprintf(stderr, "radlbctl: command too long\n");
        return 2;
    }
    line[used++] = '\n';

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "radlbctl: socket path too long: %s\n", path);
        return 2;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "radlbctl: cannot reach radlb at %s%s%s%s: %s%s\n", path,
                from[0] ? " (control.socket of " : "", from, from[0] ? ")" : "", strerror(errno),
                errno == EACCES ? " (ask for the control socket's group)" :
                errno == ENOENT ? " (is radlb running? is control.socket set elsewhere? "
                                  "use -s or -f)" : "");
        return 2;
    }
    if (send(fd, line, used, MSG_NOSIGNAL) != (ssize_t)used) {
        fprintf(stderr, "radlbctl: radlb closed the connection: %s%s\n", strerror(errno),
                errno == EPIPE || errno == ECONNRESET ?
                " (out of file descriptors? see its log)" : "");
        return 2;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        char *r;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        r = realloc(reply, have + (size_t)n + 1);
        if (!r)
            return 2;
        reply = r;
        memcpy(reply + have, buf, (size_t)n);
        have += (size_t)n;
        reply[have] = '\0';
    }
    close(fd);
    if (!reply) {
        fprintf(stderr, "radlbctl: radlb closed the connection without answering (out of file "
                "descriptors, or too many control connections? see its log)\n");
        return 2;
    }
    nl = strchr(reply, '\n');
    if (nl)
        *nl = '\0';
    if (strcmp(reply, "ok") == 0) {
        if (nl)
            fputs(nl + 1, stdout);
        free(reply);
        return 0;
    }
    fprintf(stderr, "radlbctl: %s\n", strncmp(reply, "error: ", 7) == 0 ? reply + 7 : reply);
    if (nl)
        fputs(nl + 1, stdout);
    free(reply);
    return 1;
}
