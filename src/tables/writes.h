/*
 * writes.h: which requests write to the MFA database, and so may only go
 * to the master. An ordered list of rules (the configuration's "writes")
 * on the packet code and on attributes named from the dictionary (equals,
 * regex, exists, missing); the first rule that matches classifies the
 * request as a write or a read, and a request no rule matches is a read.
 * Without a writes list, Accounting-Request is a write.
 *
 * The test of one attribute (struct rlb_atest: equals, regex, exists,
 * missing) is its own object, shared with the routing rules (routes.h).
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

/* One attribute test: a dictionary attribute (vendor 0: standard) and what
 * its first instance in a packet must be. RLB_WTEST_NONE always matches. */
struct rlb_atest {
    int      test;                 /* enum rlb_wtest */
    unsigned vendor;
    unsigned attr;
    uint8_t  type;                 /* enum rlb_atype: how values print for a regex */
    uint8_t  eq[253];              /* equals: the value in wire form */
    size_t   eqlen;
    regex_t  re;
};

struct rlb_wrule {
    int              code;         /* packet code, 0 for any */
    struct rlb_atest t;
    bool             write;        /* class */
    uint64_t         matched;      /* requests this rule classified */
};

struct rlb_writes {
    struct rlb_wrule *v;
    unsigned          n;
};

/* Compiles the rules (the configuration was validated). Returns -1 with a
 * message in err when a value cannot be converted to the attribute's type. */
/* A pool's rules (its own, or the top-level ones it inherits); file names
 * the configuration in errors. */
int  rlb_writes_build(struct rlb_writes *w, const struct rlb_conf_pool *conf, const char *file,
                      char *err, size_t errlen);
void rlb_writes_free(struct rlb_writes *w);
/* Can text be an equals value of that attribute? (radlb -C) 0, or -1 with
 * the reason in err. */
int  rlb_writes_check_value(unsigned vendor, unsigned attr, const char *text, char *err,
                            size_t errlen);
/*
 * Compiles one test of vendor/attr (the attribute is in the dictionary):
 * for RLB_WTEST_EQUALS, value is converted to the attribute's wire form
 * (a number or a value name, an IPv4 address, 0x-hex octets, text); for
 * RLB_WTEST_REGEX it is an extended regex over the printed value; unused
 * otherwise. Returns 0, or -1 with the reason in err (without a file or
 * key: the caller says where) and t left as RLB_WTEST_NONE.
 */
int  rlb_atest_compile(struct rlb_atest *t, unsigned vendor, unsigned attr, int test,
                       const char *value, char *err, size_t errlen);
void rlb_atest_free(struct rlb_atest *t);
/* Does the packet pass the test? Nothing allocated. */
bool rlb_atest_match(const struct rlb_atest *t, const uint8_t *pkt,
                     const struct rlb_pkt_info *info);

bool rlb_writes_is_write(struct rlb_writes *w, const uint8_t *pkt, const struct rlb_pkt_info *info);

#endif
