/*
 * strbuf.h: a growing text buffer for command output.
 */
#ifndef RLB_STRBUF_H
#define RLB_STRBUF_H

#include <stddef.h>

struct rlb_strbuf {
    char   *p;
    size_t  len;
    size_t  cap;
};

void rlb_sb_printf(struct rlb_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rlb_sb_append(struct rlb_strbuf *sb, const char *s, size_t len);
void rlb_sb_free(struct rlb_strbuf *sb);

#endif
