/*
 * writes.h: which requests write to the MFA database, and so may only go
 * to the master. An ordered list of rules (the configuration's "writes")
 * on the packet code and on attributes named from the dictionary (equals,
 * regex, exists, missing); the first rule that matches classifies the
 * request as a write or a read, and a request no rule matches is a read.
 * Without a writes list, Accounting-Request is a write.
 */
#ifndef RLB_WRITES_H
#define RLB_WRITES_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "pkt.h"

enum rlb_wtest { RLB_WTEST_NONE = 0, RLB_WTEST_EQUALS, RLB_WTEST_REGEX, RLB_WTEST_EXISTS,
                 RLB_WTEST_MISSING };

struct rlb_wrule {
    int      code;                 /* packet code, 0 for any */
    int      test;                 /* enum rlb_wtest */
    unsigned vendor;
    unsigned attr;
    uint8_t  type;                 /* enum rlb_atype: how values print for a regex */
    uint8_t  eq[253];              /* equals: the value in wire form */
    size_t   eqlen;
    regex_t  re;
    bool     write;                /* class */
    uint64_t matched;              /* requests this rule classified */
};

struct rlb_writes {
    struct rlb_wrule *v;
    unsigned          n;
};

/* Compiles the rules (the configuration was validated). Returns -1 with a
 * message in err when a value cannot be converted to the attribute's type. */
int  rlb_writes_build(struct rlb_writes *w, const struct rlb_conf *conf, char *err, size_t errlen);
void rlb_writes_free(struct rlb_writes *w);
/* Can text be an equals value of that attribute? (radlb -C) 0, or -1 with
 * the reason in err. */
int  rlb_writes_check_value(unsigned vendor, unsigned attr, const char *text, char *err,
                            size_t errlen);
bool rlb_writes_is_write(struct rlb_writes *w, const uint8_t *pkt, const struct rlb_pkt_info *info);

#endif
