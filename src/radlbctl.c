/*
 * radlbctl.c: the command-line client of radlb's control socket. Sends one
 * command, prints the answer, and exits 0 on success, 1 when radlb refused
 * the command, 2 when radlb could not be reached.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
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

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: radlbctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
            "  -s SOCKET  radlb's control socket (default $RADLB_SOCKET or "
            RLB_DEFAULT_SOCKET ")\n"
            "  --json     answer in JSON\n"
            "  radlbctl help   lists the commands radlb knows\n");
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "socket", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("RADLB_SOCKET");
    char line[1100], buf[8192], *nl;
    struct sockaddr_un sa;
    size_t used = 0, have = 0;
    char *reply = NULL;
    bool json = false;
    int opt, fd;

    if (!path || !path[0])
        path = RLB_DEFAULT_SOCKET;
    while ((opt = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': path = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
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
        fprintf(stderr, "radlbctl: cannot reach radlb at %s: %s%s\n", path, strerror(errno),
                errno == EACCES ? " (ask for the control socket's group)" :
                errno == ENOENT ? " (is radlb running? is control.socket set elsewhere? "
                                  "use -s)" : "");
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
