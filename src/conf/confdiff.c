/*
 * confdiff.c: what a reload changes: the new configuration against the
 * running one, key by key through the schema; a change of a CF_NO_RELOAD
 * key is named, because it needs a restart.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf_int.h"

/* Compares the CF_NO_RELOAD items of one section; path names the first
 * difference ("listen[1].port"). */
static bool
section_same(const struct conf_section *sec, const char *prefix, const void *a, const void *b,
             char *path, size_t len)
{
    for (const struct conf_item *it = sec->items; it->name; it++) {
        const char *pa = (const char *)a + it->off, *pb = (const char *)b + it->off;
        bool same = true;

        if (it->type == CT_GROUP) {
            char sub[128];

            snprintf(sub, sizeof(sub), "%s%s.", prefix, it->name);
            if (!section_same(it->sub, sub, pa, pb, path, len))
                return false;
            continue;
        }
        if (it->type == CT_LIST) {
            void *la = *(void *const *)pa, *lb = *(void *const *)pb;
            unsigned na = *(const unsigned *)((const char *)a + it->count_off);
            unsigned nb = *(const unsigned *)((const char *)b + it->count_off);
            bool fixed = false;

            for (const struct conf_item *si = it->sub->items; si->name; si++)
                fixed |= (si->flags & CF_NO_RELOAD) != 0;
            if (!fixed)
                continue;
            if (na != nb) {
                snprintf(path, len, "%s%s (%u entries, now %u)", prefix, it->name, na, nb);
                return false;
            }
            for (unsigned i = 0; i < na; i++) {
                char sub[128];

                snprintf(sub, sizeof(sub), "%s%s[%u].", prefix, it->name, i);
                if (!section_same(it->sub, sub, (char *)la + i * it->sub->size,
                                  (char *)lb + i * it->sub->size, path, len))
                    return false;
            }
            continue;
        }
        if (!(it->flags & CF_NO_RELOAD))
            continue;
        switch (it->type) {
        case CT_STRING: {
            const char *x = *(char *const *)pa, *y = *(char *const *)pb;

            same = strcmp(x ? x : "", y ? y : "") == 0;
            break;
        }
        case CT_INT:
        case CT_ENUM:
        case CT_MODE:
            same = *(const int *)pa == *(const int *)pb;
            break;
        case CT_FLOAT:
            same = *(const double *)pa == *(const double *)pb;
            break;
        case CT_BOOL:
            same = *(const bool *)pa == *(const bool *)pb;
            break;
        case CT_STRLIST: {
            char *const *x = *(char **const *)pa, *const *y = *(char **const *)pb;
            unsigned nx = *(const unsigned *)((const char *)a + it->count_off);
            unsigned ny = *(const unsigned *)((const char *)b + it->count_off);

            same = nx == ny;
            for (unsigned i = 0; same && i < nx; i++)
                same = strcmp(x[i], y[i]) == 0;
            break;
        }
        default:
            break;
        }
        if (!same) {
            snprintf(path, len, "%s%s", prefix, it->name);
            return false;
        }
    }
    return true;
}

bool
rlb_conf_reloadable(const struct rlb_conf *old, const struct rlb_conf *now, char *key, size_t len)
{
    return section_same(&rlb_conf_schema, "", old, now, key, len);
}
