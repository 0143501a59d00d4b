/*
 * writes.c: the classification of requests into reads and writes, and the
 * attribute test its rules (and the routing rules, routes.c) are made of
 * (see writes.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "writes.h"

/* The wire form of an equals value for an attribute of type t. */
static int
wire_value(struct rlb_atest *r, const char *text, char *err, size_t errlen)
{
    unsigned long ul;
    uint32_t v;
    char *end;

    switch (r->type) {
    case RLB_ATYPE_INTEGER:
    case RLB_ATYPE_DATE:
        /* strtoul() takes "-1" and, with a 64-bit long, 2^32 without
         * complaint: neither is a 32-bit value. */
        errno = 0;
        ul = strtoul(text, &end, 10);
        v = (uint32_t)ul;
        if (errno || *end || !isdigit((unsigned char)text[0]) || ul > UINT32_MAX) {
            if (rlb_dict_value_by_name(r->vendor, r->attr, text, &v) < 0) {
                snprintf(err, errlen,
                         "\"%s\" is neither a number nor a value name of the attribute",
                         text);
                return -1;
            }
        }
        r->eq[0] = (uint8_t)(v >> 24);
        r->eq[1] = (uint8_t)(v >> 16);
        r->eq[2] = (uint8_t)(v >> 8);
        r->eq[3] = (uint8_t)v;
        r->eqlen = 4;
        return 0;
    case RLB_ATYPE_IPADDR:
        if (inet_pton(AF_INET, text, r->eq) != 1) {
            snprintf(err, errlen, "\"%s\" is not an IPv4 address", text);
            return -1;
        }
        r->eqlen = 4;
        return 0;
    case RLB_ATYPE_OCTETS:
        if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
            size_t n = strlen(text + 2);

            if (n / 2 > sizeof(r->eq)) {
                snprintf(err, errlen, "the hex value is %zu octets: an attribute holds 253 at most",
                         n / 2);
                return -1;
            }
            if (n % 2) {
                snprintf(err, errlen, "\"%s\" is not a hex value: give two hex digits per octet",
                         text);
                return -1;
            }
            for (size_t i = 0; i < n / 2; i++) {
                const char *d = text + 2 + 2 * i;
                unsigned b;

                /* sscanf("%2x") alone takes "1g" as 0x01, " 1", "+1", "-1", "0x". */
                if (!isxdigit((unsigned char)d[0]) || !isxdigit((unsigned char)d[1]) ||
                    sscanf(d, "%2x", &b) != 1) {
                    snprintf(err, errlen, "\"%s\" is not a hex value", text);
                    return -1;
                }
                r->eq[i] = (uint8_t)b;
            }
            r->eqlen = n / 2;
            return 0;
        }
        /* fall through: the octets of the text */
        __attribute__((fallthrough));
    default:
        r->eqlen = strlen(text);
        if (r->eqlen > sizeof(r->eq)) {
            snprintf(err, errlen, "the value is %zu octets: an attribute holds 253 at most",
                     r->eqlen);
            return -1;
        }
        memcpy(r->eq, text, r->eqlen);
        return 0;
    }
}

int
rlb_writes_check_value(unsigned vendor, unsigned attr, const char *text, char *err, size_t errlen)
{
    struct rlb_atest r;
    struct rlb_attr_props p;

    memset(&r, 0, sizeof(r));
    r.vendor = vendor;
    r.attr = attr;
    rlb_dict_props(vendor, attr, &p);
    r.type = p.type;
    return wire_value(&r, text, err, errlen);
}

int
rlb_atest_compile(struct rlb_atest *t, unsigned vendor, unsigned attr, int test, const char *value,
                  char *err, size_t errlen)
{
    struct rlb_attr_props p;

    memset(t, 0, sizeof(*t));
    t->vendor = vendor;
    t->attr = attr;
    rlb_dict_props(vendor, attr, &p);
    t->type = p.type;
    switch (test) {
    case RLB_WTEST_NONE:
    case RLB_WTEST_EXISTS:
    case RLB_WTEST_MISSING:
        break;
    case RLB_WTEST_REGEX:
        if (regcomp(&t->re, value, REG_EXTENDED | REG_NOSUB) != 0) {
            snprintf(err, errlen, "\"%s\" does not compile", value);
            return -1;
        }
        break;
    case RLB_WTEST_EQUALS:
        if (wire_value(t, value, err, errlen) < 0)
            return -1;
        break;
    default:
        snprintf(err, errlen, "unknown attribute test %d", test);
        return -1;
    }
    t->test = test;
    return 0;
}

void
rlb_atest_free(struct rlb_atest *t)
{
    if (t->test == RLB_WTEST_REGEX)
        regfree(&t->re);
    t->test = RLB_WTEST_NONE;
}

int
rlb_writes_build(struct rlb_writes *w, const struct rlb_conf_pool *conf, const char *file,
                 char *err, size_t errlen)
{
    static const struct rlb_conf_write accounting = {
        .code = "Accounting-Request", .attribute = "", .equals = "", .regex = "",
        .class = RLB_CLASS_WRITE, .code_num = 4,
    };
    const struct rlb_conf_write *rules = conf->writes_given ? conf->writes : &accounting;
    unsigned n = conf->writes_given ? conf->nwrites : 1;

    memset(w, 0, sizeof(*w));
    w->v = calloc(n ? n : 1, sizeof(*w->v));
    if (!w->v)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        const struct rlb_conf_write *c = &rules[i];
        struct rlb_wrule *r = &w->v[i];
        int test;
        const char *value = "", *key;
        char why[200];

        r->code = c->code[0] ? c->code_num : 0;
        r->write = c->class == RLB_CLASS_WRITE;
        w->n = i + 1;
        if (!c->attribute[0])
            continue;
        if (c->exists) {
            test = RLB_WTEST_EXISTS;
        } else if (c->missing) {
            test = RLB_WTEST_MISSING;
        } else if (c->regex[0]) {
            test = RLB_WTEST_REGEX;
            value = c->regex;
        } else {
            test = RLB_WTEST_EQUALS;
            value = c->equals;
        }
        if (rlb_atest_compile(&r->t, c->vendor, c->attr, test, value, why, sizeof(why)) < 0) {
            key = test == RLB_WTEST_REGEX ? "regex" : "equals";
            snprintf(err, errlen, "%s:%d: key \"%s\": %s", file, c->line, key, why);
            rlb_writes_free(w);
            return -1;
        }
    }
    return 0;
}

void
rlb_writes_free(struct rlb_writes *w)
{
    for (unsigned i = 0; i < w->n; i++)
        rlb_atest_free(&w->v[i].t);
    free(w->v);
    memset(w, 0, sizeof(*w));
}

/* The value as text, for a regex: strings as they are, numbers in
 * decimal, addresses dotted, octets in hex. */
static void
text_value(const struct rlb_atest *r, const uint8_t *v, size_t len, char *out, size_t outsize)
{
    switch (r->type) {
    case RLB_ATYPE_INTEGER:
    case RLB_ATYPE_DATE:
        if (len == 4) {
            snprintf(out, outsize, "%u",
                     (unsigned)((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]));
            return;
        }
        break;
    case RLB_ATYPE_IPADDR:
        if (len == 4 && inet_ntop(AF_INET, v, out, (socklen_t)outsize))
            return;
        break;
    case RLB_ATYPE_OCTETS: {
        size_t o = (size_t)snprintf(out, outsize, "0x");

        for (size_t i = 0; i < len && o + 3 <= outsize; i++)
            o += (size_t)snprintf(out + o, outsize - o, "%02x", v[i]);
        return;
    }
    default:
        break;
    }
    if (len >= outsize)
        len = outsize - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

bool
rlb_atest_match(const struct rlb_atest *r, const uint8_t *pkt, const struct rlb_pkt_info *info)
{
    const uint8_t *v;
    size_t len;
    char text[600];

    if (r->test == RLB_WTEST_NONE)
        return true;
    v = rlb_pkt_find_attr(pkt, info, r->vendor, r->attr, &len);
    switch (r->test) {
    case RLB_WTEST_EXISTS:
        return v != NULL;
    case RLB_WTEST_MISSING:
        return v == NULL;
    case RLB_WTEST_EQUALS:
        return v && len == r->eqlen && memcmp(v, r->eq, len) == 0;
    case RLB_WTEST_REGEX:
        if (!v)
            return false;
        text_value(r, v, len, text, sizeof(text));
        return regexec(&r->re, text, 0, NULL, 0) == 0;
    default:
        return false;
    }
}

static bool
matches(const struct rlb_wrule *r, const uint8_t *pkt, const struct rlb_pkt_info *info)
{
    if (r->code && r->code != info->code)
        return false;
    return rlb_atest_match(&r->t, pkt, info);
}

bool
rlb_writes_is_write(struct rlb_writes *w, const uint8_t *pkt, const struct rlb_pkt_info *info)
{
    for (unsigned i = 0; i < w->n; i++) {
        if (matches(&w->v[i], pkt, info)) {
            w->v[i].matched++;
            return w->v[i].write;
        }
    }
    return false;
}
