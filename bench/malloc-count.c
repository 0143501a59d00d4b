/*
 * malloc-count.so: counts the heap allocations of a process, for the
 * benchmark's "no allocation per packet" check.
 *
 *   LD_PRELOAD=bench/.build/malloc-count.so MALLOC_COUNT_FILE=/tmp/n radlb -f ...
 *   kill -USR2 <pid>      # writes "<malloc+calloc+realloc calls>\n" to the file
 *
 * It wraps malloc, calloc, realloc, posix_memalign and aligned_alloc with
 * the glibc originals (__libc_*), counting calls with an atomic counter.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_ulong calls;

void *
malloc(size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12;
}

void *
aligned_alloc(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

static void
report(int sig)
{
    const char *path = getenv("MALLOC_COUNT_FILE");
    char buf[32];
    unsigned long n = atomic_load(&calls);
    int len = 0, fd;

    (void)sig;
    if (!path)
        return;
    /* async-signal-safe formatting */
    do {
        buf[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    for (int i = 0; i < len / 2; i++) {
        char t = buf[i];
        buf[i] = buf[len - 1 - i];
        buf[len - 1 - i] = t;
    }
    buf[len++] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        (void)!write(fd, buf, (size_t)len);
        close(fd);
    }
}

__attribute__((constructor)) static void
install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = report;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}
