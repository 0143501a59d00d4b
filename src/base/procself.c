/*
 * procself.c: see procself.h. /proc/self/stat's fields after the command
 * name (which may hold spaces and parentheses: the last ')' ends it) are
 * proc(5)'s: utime and stime (14, 15) and starttime (22) in clock ticks,
 * rss (24) in pages; the boot time is /proc/stat's btime line.
 */
#include "config.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "procself.h"

/* Fields 14, 15, 22 and 24 of /proc/self/stat; false when unreadable. */
static bool
read_stat(unsigned long long *utime, unsigned long long *stime, unsigned long long *start,
          long *rss)
{
    char buf[1024], *p;
    size_t n;
    FILE *f = fopen("/proc/self/stat", "r");

    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')')))
        return false;
    /* p + 2 is field 3 (state) */
    return sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                  "%*d %*d %llu %*u %ld", utime, stime, start, rss) == 4;
}

double
rlb_procself_cpu_seconds(void)
{
    unsigned long long u, s, start;
    long rss;

    if (!read_stat(&u, &s, &start, &rss))
        return -1;
    return (double)(u + s) / (double)sysconf(_SC_CLK_TCK);
}

double
rlb_procself_resident_bytes(void)
{
    unsigned long long u, s, start;
    long rss;

    if (!read_stat(&u, &s, &start, &rss))
        return -1;
    return (double)rss * (double)sysconf(_SC_PAGESIZE);
}

double
rlb_procself_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    double n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;                  /* opendir's own descriptor */
}

double
rlb_procself_max_fds(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
}

double
rlb_procself_start_time(void)
{
    unsigned long long u, s, start, btime = 0;
    long rss;
    char line[256];
    FILE *f;

    if (!read_stat(&u, &s, &start, &rss) || !(f = fopen("/proc/stat", "r")))
        return -1;
    while (fgets(line, sizeof(line), f) && sscanf(line, "btime %llu", &btime) != 1)
        ;
    fclose(f);
    if (!btime)
        return -1;
    return (double)btime + (double)start / (double)sysconf(_SC_CLK_TCK);
}
