/*
 * strbuf.c: see strbuf.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static int
reserve(struct rlb_strbuf *sb, size_t more)
{
    size_t cap = sb->cap ? sb->cap : 256;
    char *p;

    if (sb->len + more + 1 <= sb->cap)
        return 0;
    while (cap < sb->len + more + 1)
        cap *= 2;
    p = realloc(sb->p, cap);
    if (!p)
        return -1;
    sb->p = p;
    sb->cap = cap;
    return 0;
}

void
rlb_sb_append(struct rlb_strbuf *sb, const char *s, size_t len)
{
    if (reserve(sb, len) < 0)
        return;
    memcpy(sb->p + sb->len, s, len);
    sb->len += len;
    sb->p[sb->len] = '\0';
}

void
rlb_sb_printf(struct rlb_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void
rlb_sb_free(struct rlb_strbuf *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}
