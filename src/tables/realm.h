/*
 * realm.h: the realm of a User-Name (issue 14: routing by realm). A value
 * is octets, not a C string, and may hold any octet. Two forms:
 *
 *   "user@realm"   the LAST '@' splits (a user part may itself hold '@');
 *   "realm\user"   the FIRST backslash splits (NT domain style).
 *
 * When a value has both, the '@' form is tried first (as FreeRADIUS's
 * suffix module runs before ntdomain): "DOM\alice@example.com" has the
 * realm "example.com" and the user "DOM\alice". A form whose realm or user
 * would be empty is not a realm ("alice@", "@example.com", "\alice"); the
 * value then has the other form or none.
 *
 * Realms compare without case for ASCII letters only (octets >= 0x80 must
 * be equal). Stripping keeps the user part for the pool and a copy of the
 * original for restoring it (in the caller's storage: nothing allocates).
 */
#ifndef RLB_REALM_H
#define RLB_REALM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rlb_realm_form { RLB_REALM_NONE = 0, RLB_REALM_SUFFIX, RLB_REALM_PREFIX };

/* Where the parts are, as offsets into the value. */
struct rlb_realm {
    int    form;                   /* enum rlb_realm_form */
    size_t realm_off, realm_len;   /* 0, 0 for RLB_REALM_NONE */
    size_t user_off, user_len;     /* the whole value for RLB_REALM_NONE */
};

/* What stripping leaves: the user part (pointing into the value) and the
 * original value, copied. */
struct rlb_realm_strip {
    const uint8_t *user;
    size_t         user_len;
    uint8_t        orig[253];
    size_t         orig_len;
};

/* Parses name (len octets); true when it has a realm. */
bool rlb_realm_parse(const uint8_t *name, size_t len, struct rlb_realm *r);
/* a (alen octets) and b (blen octets) are equal, ASCII letters without case. */
bool rlb_realm_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Fills s from a parsed value (a value without a realm strips to itself).
 * False when len is over 253 (no attribute holds that). */
bool rlb_realm_strip(const uint8_t *name, size_t len, const struct rlb_realm *r,
                     struct rlb_realm_strip *s);

#endif
