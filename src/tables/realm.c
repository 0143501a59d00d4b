/*
 * realm.c: the realm of a User-Name: the two forms, comparison without
 * ASCII case, stripping (see realm.h).
 */
#include "config.h"

#include <string.h>

#include "realm.h"

static uint8_t
lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

bool
rlb_realm_parse(const uint8_t *name, size_t len, struct rlb_realm *r)
{
    memset(r, 0, sizeof(*r));
    r->user_len = len;
    /* user@realm: the last '@', with something on both sides. */
    for (size_t i = len; i-- > 0;) {
        if (name[i] != '@')
            continue;
        if (i > 0 && i + 1 < len) {
            r->form = RLB_REALM_SUFFIX;
            r->realm_off = i + 1;
            r->realm_len = len - i - 1;
            r->user_off = 0;
            r->user_len = i;
            return true;
        }
        break;
    }
    /* realm\user: the first backslash, with something on both sides. */
    for (size_t i = 0; i < len; i++) {
        if (name[i] != '\\')
            continue;
        if (i > 0 && i + 1 < len) {
            r->form = RLB_REALM_PREFIX;
            r->realm_off = 0;
            r->realm_len = i;
            r->user_off = i + 1;
            r->user_len = len - i - 1;
            return true;
        }
        break;
    }
    return false;
}

bool
rlb_realm_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

bool
rlb_realm_strip(const uint8_t *name, size_t len, const struct rlb_realm *r,
                struct rlb_realm_strip *s)
{
    if (len > sizeof(s->orig))
        return false;
    memcpy(s->orig, name, len);
    s->orig_len = len;
    s->user = name + r->user_off;
    s->user_len = r->user_len;
    return true;
}
