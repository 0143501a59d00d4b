/*
 * procself.h: the process's own figures, read from /proc/self when asked
 * (a scrape of /metrics), under the names every Prometheus client library
 * gives them: CPU time, resident memory, open and allowed file
 * descriptors, and when the process started. Each call reads what it needs
 * afresh; -1 when /proc cannot be read (not Linux, or a sandbox without it).
 */
#ifndef RLB_PROCSELF_H
#define RLB_PROCSELF_H

/* User and system CPU time, in seconds. */
double rlb_procself_cpu_seconds(void);
/* Resident set size, in octets. */
double rlb_procself_resident_bytes(void);
/* File descriptors open now (the entries of /proc/self/fd). */
double rlb_procself_open_fds(void);
/* The soft limit on file descriptors (RLIMIT_NOFILE). */
double rlb_procself_max_fds(void);
/* When the process started, in seconds since the Unix epoch. */
double rlb_procself_start_time(void);

#endif
