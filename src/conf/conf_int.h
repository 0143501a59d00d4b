/*
 * conf_int.h: the schema's types and the schema itself (confschema.c),
 * shared by the code that walks it: conf.c (parse, free, dump) and
 * confdiff.c (what a reload changes).
 */
#ifndef RLB_CONF_INT_H
#define RLB_CONF_INT_H

#include <stddef.h>

#include "conf.h"

enum conf_type {
    CT_STRING,
    CT_INT,
    CT_FLOAT,
    CT_BOOL,
    CT_ENUM,                       /* a string among choices, stored as its index */
    CT_MODE,                       /* an octal file mode written as a string: "0660" */
    CT_GROUP,                      /* a nested struct */
    CT_LIST,                       /* a list of groups: pointer + count */
    CT_STRLIST,                    /* an array of strings: char ** + count */
};

#define CF_REQUIRED  0x01          /* no default: must be given */
#define CF_SECRET    0x02          /* never printed */
#define CF_NO_RELOAD 0x04          /* a change needs a restart */

struct conf_section;

struct conf_item {
    const char                *name;
    enum conf_type             type;
    size_t                     off;       /* where the value lands in the struct */
    const char                *def;       /* default, as configuration text */
    unsigned                   flags;
    double                     min, max;  /* bounds of numbers (min > max: none) */
    const char *const         *choices;   /* CT_ENUM */
    const struct conf_section *sub;       /* CT_GROUP, CT_LIST */
    size_t                     count_off; /* CT_LIST, CT_STRLIST: where the count lands */
};

struct conf_section {
    const char             *name;
    const struct conf_item *items;
    size_t                  size;         /* struct size (list elements) */
    size_t                  line_off;     /* where an element's line lands, or (size_t)-1 */
};

extern const struct conf_section rlb_conf_schema;

#endif
