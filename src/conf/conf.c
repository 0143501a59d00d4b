/*
 * conf.c: loading the configuration: the parse pass over the schema
 * (confschema.c): types, unknown keys, defaults, required keys, bounds and
 * choices; then the validate pass (confcheck.c) for meaning and
 * cross-references. Also freeing and dumping a configuration.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf_int.h"
#include "confcheck.h"
#include "log.h"
#include "confmsg.h"

/* ------------------------------------------------------------------ */
/* Parse pass                                                         */

static const char *
type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP:  return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:  return "an integer";
    case CONFIG_TYPE_FLOAT:  return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL:   return "true or false";
    case CONFIG_TYPE_ARRAY:  return "an array [ ... ]";
    case CONFIG_TYPE_LIST:   return "a list ( ... )";
    default:                 return "something else";
    }
}

static char *
choices_text(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; choices[i] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "", choices[i]);
    return buf;
}

static bool
check_bounds(const struct conf_item *it, double v, const config_setting_t *s,
             struct rlb_conf_msgs *m)
{
    if (it->min > it->max || (v >= it->min && v <= it->max))
        return true;
    if (it->type == CT_FLOAT)
        conf_msg(m, true, s, it->name, "%.16g is out of range: use a value from %.16g to %.16g",
                 v, it->min, it->max);
    else
        conf_msg(m, true, s, it->name, "%.0f is out of range: use a value from %.0f to %.0f",
                 v, it->min, it->max);
    return false;
}

static int parse_section(const struct conf_section *sec, const config_setting_t *group,
                         void *base, struct rlb_conf_msgs *m);

static int
parse_mode(const char *text, int *out)
{
    char *end;
    long v;

    if (!text[0])
        return -1;
    errno = 0;
    v = strtol(text, &end, 8);
    if (errno || *end || v < 0 || v > 0777)
        return -1;
    *out = (int)v;
    return 0;
}

/* Applies a value given as configuration text (defaults). */
static int
apply_default(const struct conf_item *it, void *field)
{
    switch (it->type) {
    case CT_STRING:
        *(char **)field = strdup(it->def);
        return *(char **)field ? 0 : -1;
    case CT_INT:
        *(int *)field = atoi(it->def);
        return 0;
    case CT_FLOAT:
        *(double *)field = strtod(it->def, NULL);
        return 0;
    case CT_BOOL:
        *(bool *)field = strcmp(it->def, "true") == 0;
        return 0;
    case CT_ENUM:
        for (int i = 0; it->choices[i]; i++) {
            if (strcmp(it->choices[i], it->def) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        return -1;
    case CT_MODE:
        return parse_mode(it->def, (int *)field);
    default:
        return -1;
    }
}

static int
parse_list(const struct conf_item *it, const config_setting_t *s, void *base,
           struct rlb_conf_msgs *m)
{
    const struct conf_section *sub = it->sub;
    int n = config_setting_length(s);
    char *elems;
    int rc = 0;

    if (!config_setting_is_list(s)) {
        conf_msg(m, true, s, it->name, "must be a list ( { ... }, { ... } ), not %s",
                 type_name(config_setting_type(s)));
        return -1;
    }
    elems = calloc(n > 0 ? (size_t)n : 1, sub->size);
    if (!elems)
        return -1;
    *(void **)((char *)base + it->off) = elems;
    *(unsigned *)((char *)base + it->count_off) = (unsigned)n;

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        void *elem = elems + (size_t)i * sub->size;

        if (sub->line_off != (size_t)-1)
            *(int *)((char *)elem + sub->line_off) = (int)config_setting_source_line(e);
        if (!config_setting_is_group(e)) {
            conf_msg(m, true, e, it->name, "entry %d must be a group { ... }, not %s",
                     i + 1, type_name(config_setting_type(e)));
            rc = -1;
            continue;
        }
        if (parse_section(sub, e, elem, m) < 0)
            rc = -1;
    }
    return rc;
}

/*
 * libconfig 1.5 wraps a decimal integer that does not fit in 32 bits
 * (5368709120 reads as 1073741824) unless it ends with L. The literal on
 * the setting's line tells: false (with an error) when it differs from
 * what libconfig made of it.
 */
static bool
int_literal_ok(const config_setting_t *s, const char *key, long long v, struct rlb_conf_msgs *m)
{
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s), n = 0;
    char text[1024], *p = NULL, *end;
    size_t klen = strlen(key);
    long long lit, wrapped = 0;
    FILE *fp;

    if (config_setting_type(s) != CONFIG_TYPE_INT || !file || !line || !(fp = fopen(file, "r")))
        return true;
    while (n < line && fgets(text, sizeof(text), fp))
        n++;
    fclose(fp);
    if (n != line)
        return true;
    /* Several entries may sit on one line ("port" twice): v is fine when
     * one literal of the key is v; wrong when one is a number libconfig
     * wrapped into v and none is v itself. */
    for (char *q = strstr(text, key); q; q = strstr(q + 1, key)) {
        if (!((q == text || !(isalnum((unsigned char)q[-1]) || q[-1] == '_')) &&
              q[klen] && strchr(" \t=:", q[klen])))
            continue;
        p = q + klen + strspn(q + klen, " \t=:");
        if (!(isdigit((unsigned char)*p) || *p == '-' || *p == '+'))
            continue;
        errno = 0;
        lit = strtoll(p, &end, 0);
        if (errno || isalnum((unsigned char)*end) || *end == '.')
            continue;
        if (lit == v)
            return true;
        if ((int32_t)lit == (int32_t)v && !wrapped)
            wrapped = lit;
    }
    if (wrapped) {
        conf_msg(m, true, s, key, "%lld does not fit in 32 bits and libconfig would read it as "
                 "%lld: write it with an L suffix (%lldL)", wrapped, v, wrapped);
        return false;
    }
    return true;
}

static int
parse_item(const struct conf_item *it, const config_setting_t *s, void *base,
           struct rlb_conf_msgs *m)
{
    void *field = (char *)base + it->off;
    int t = config_setting_type(s);
    char buf[256];

    switch (it->type) {
    case CT_STRING:
        if (t != CONFIG_TYPE_STRING)
            goto wrong_type;
        free(*(char **)field);
        *(char **)field = strdup(config_setting_get_string(s));
        return 0;

    case CT_INT: {
        long long v;

        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            goto wrong_type;
        v = config_setting_get_int64(s);
        if (!int_literal_ok(s, it->name, v, m) || !check_bounds(it, (double)v, s, m))
            return -1;
        *(int *)field = (int)v;
        return 0;
    }

    case CT_FLOAT: {
        double v;

        if (t == CONFIG_TYPE_FLOAT)
            v = config_setting_get_float(s);
        else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
            v = (double)config_setting_get_int64(s);
        else
            goto wrong_type;
        if (!int_literal_ok(s, it->name, config_setting_get_int64(s), m))
            return -1;
        if (!check_bounds(it, v, s, m))
            return -1;
        *(double *)field = v;
        return 0;
    }

    case CT_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            goto wrong_type;
        *(bool *)field = config_setting_get_bool(s) != 0;
        return 0;

    case CT_ENUM: {
        const char *v;

        if (t != CONFIG_TYPE_STRING)
            goto wrong_type;
        v = config_setting_get_string(s);
        for (int i = 0; it->choices[i]; i++) {
            if (strcmp(it->choices[i], v) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        conf_msg(m, true, s, it->name, "\"%s\" is not one of %s", v,
                 choices_text(it->choices, buf, sizeof(buf)));
        return -1;
    }

    case CT_MODE:
        if (t != CONFIG_TYPE_STRING || parse_mode(config_setting_get_string(s), (int *)field) < 0) {
            conf_msg(m, true, s, it->name, "must be an octal file mode as a string, like \"0660\"");
            return -1;
        }
        return 0;

    case CT_GROUP:
        if (t != CONFIG_TYPE_GROUP)
            goto wrong_type;
        return parse_section(it->sub, s, field, m);

    case CT_LIST:
        return parse_list(it, s, base, m);

    case CT_STRLIST: {
        int n = config_setting_length(s);
        char **v;

        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
            goto wrong_type;
        v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
        if (!v)
            return -1;
        *(char ***)field = v;
        *(unsigned *)((char *)base + it->count_off) = 0;
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                conf_msg(m, true, e, it->name, "entry %d must be a string in double quotes", i + 1);
                return -1;
            }
            v[i] = strdup(config_setting_get_string(e));
            *(unsigned *)((char *)base + it->count_off) = (unsigned)i + 1;
        }
        return 0;
    }
    }
    return -1;

wrong_type:
    conf_msg(m, true, s, it->name, "must be %s, not %s",
             it->type == CT_STRING || it->type == CT_ENUM ? "a string in double quotes" :
             it->type == CT_INT ? "an integer" :
             it->type == CT_FLOAT ? "a number" :
             it->type == CT_BOOL ? "true or false" :
             it->type == CT_STRLIST ? "an array of strings [ \"a\", \"b\" ]" : "a group { ... }",
             type_name(t));
    return -1;
}

static int
parse_section(const struct conf_section *sec, const config_setting_t *group, void *base,
              struct rlb_conf_msgs *m)
{
    int rc = 0;
    int n = group ? config_setting_length(group) : 0;

    /* Unknown keys: a typo must not be silently ignored. */
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        bool known = false;

        for (const struct conf_item *it = sec->items; it->name; it++)
            known = known || (name && strcmp(name, it->name) == 0);
        if (!known) {
            conf_msg(m, true, s, name ? name : "?", "unknown key%s%s%s",
                     sec->name[0] ? " in section \"" : "", sec->name,
                     sec->name[0] ? "\" (see radlb.conf(5))" : " (see radlb.conf(5))");
            rc = -1;
        }
    }

    for (const struct conf_item *it = sec->items; it->name; it++) {
        const config_setting_t *s = group ? config_setting_get_member(group, it->name) : NULL;

        if (s) {
            if (parse_item(it, s, base, m) < 0)
                rc = -1;
        } else if (it->type == CT_GROUP) {
            if (parse_section(it->sub, NULL, (char *)base + it->off, m) < 0)
                rc = -1;
        } else if (it->flags & CF_REQUIRED) {
            conf_msg(m, true, group, it->name, "is required%s%s%s",
                     sec->name[0] ? " in every \"" : "", sec->name,
                     sec->name[0] ? "\" entry" : "");
            rc = -1;
        } else if (it->def && apply_default(it, (char *)base + it->off) < 0) {
            rc = -1;
        }
    }
    return rc;
}


/* ------------------------------------------------------------------ */
/* Load, free, dump                                                   */
static void
free_section(const struct conf_section *sec, void *base)
{
    for (const struct conf_item *it = sec->items; it->name; it++) {
        void *field = (char *)base + it->off;

        if (it->type == CT_STRING) {
            char *s = *(char **)field;

            if (s && (it->flags & CF_SECRET))
                OPENSSL_cleanse(s, strlen(s));
            free(s);
        } else if (it->type == CT_STRLIST) {
            char **v = *(char ***)field;
            unsigned n = *(unsigned *)((char *)base + it->count_off);

            for (unsigned i = 0; v && i < n; i++)
                free(v[i]);
            free(v);
        } else if (it->type == CT_GROUP) {
            free_section(it->sub, field);
        } else if (it->type == CT_LIST) {
            char *elems = *(char **)field;
            unsigned n = *(unsigned *)((char *)base + it->count_off);

            for (unsigned i = 0; elems && i < n; i++)
                free_section(it->sub, elems + (size_t)i * it->sub->size);
            free(elems);
        }
    }
}

void
rlb_conf_apply_log(const struct rlb_conf *conf, bool debug)
{
    struct rlb_log_conf lc = {
        .level = debug ? RLB_LOG_DEBUG : (rlb_log_level_t)conf->log.level,
        .dest = (rlb_log_dest_t)conf->log.destination,
        .facility = conf->log.facility_code,
        .format = (rlb_log_format_t)conf->log.format,
        .auth = (rlb_authlog_dest_t)conf->log.auth,
        .auth_facility = conf->log.auth_facility_code,
    };

    rlb_log_setup(&lc, "radlb");
}

void
rlb_conf_free(struct rlb_conf *conf)
{
    if (!conf)
        return;
    for (unsigned i = 0; conf->routes && i < conf->nroutes; i++) {
        free(conf->routes[i].file_text);
        free(conf->routes[i].file_users);
    }
    free(conf->limits.allow_text);
    free(conf->limits.allow_list);
    if (conf->mfa_probe.password) {
        OPENSSL_cleanse(conf->mfa_probe.password, strlen(conf->mfa_probe.password));
        free(conf->mfa_probe.password);
    }
    OPENSSL_cleanse(conf->mfa_probe.key, sizeof(conf->mfa_probe.key));
    free_section(&rlb_conf_schema, conf);
    free(conf->pool);
    free(conf->srv);
    free(conf->file);
    free(conf);
}

struct rlb_conf *
rlb_conf_load(const char *file, struct rlb_conf_msgs *msgs)
{
    struct rlb_conf *conf;
    config_t cfg;
    FILE *fp;
    char *dir, *dircopy;
    int rc;

    memset(msgs, 0, sizeof(*msgs));
    msgs->file = file;
    fp = fopen(file, "r");
    if (!fp) {
        conf_msg_file(msgs, "%s: cannot read the configuration file: %s", file, strerror(errno));
        return NULL;
    }

    fclose(fp);                    /* readable: libconfig reads it by name */

    config_init(&cfg);
    dircopy = strdup(file);
    dir = dircopy ? dirname(dircopy) : ".";
    config_set_include_dir(&cfg, dir);
    rc = config_read_file(&cfg, file);
    free(dircopy);
    if (rc != CONFIG_TRUE) {
        conf_msg_file(msgs, "%s:%d: %s",
                      config_error_file(&cfg) ? config_error_file(&cfg) : file,
                      config_error_line(&cfg), config_error_text(&cfg));
        config_destroy(&cfg);
        return NULL;
    }

    conf = calloc(1, sizeof(*conf));
    if (!conf) {
        config_destroy(&cfg);
        return NULL;
    }
    conf->file = strdup(file);

    if (parse_section(&rlb_conf_schema, config_root_setting(&cfg), conf, msgs) == 0)
        rlb_conf_validate(conf, &cfg, msgs);

    config_destroy(&cfg);
    if (msgs->errors) {
        rlb_conf_free(conf);
        return NULL;
    }
    return conf;
}

static void
dump_section(const struct conf_section *sec, const void *base, int depth,
             void (*out)(void *, const char *), void *arg)
{
    char line[1024];

    for (const struct conf_item *it = sec->items; it->name; it++) {
        const void *field = (const char *)base + it->off;
        int ind = depth * 2;

        switch (it->type) {
        case CT_STRING:
            snprintf(line, sizeof(line), "%*s%s = \"%s\";", ind, "", it->name,
                     !*(char *const *)field ? "" :
                     (it->flags & CF_SECRET) && **(char *const *)field ? "********" :
                     *(char *const *)field);
            break;
        case CT_INT:
            snprintf(line, sizeof(line), "%*s%s = %d;", ind, "", it->name, *(const int *)field);
            break;
        case CT_FLOAT:
            snprintf(line, sizeof(line), "%*s%s = %g;", ind, "", it->name, *(const double *)field);
            break;
        case CT_BOOL:
            snprintf(line, sizeof(line), "%*s%s = %s;", ind, "", it->name,
                     *(const bool *)field ? "true" : "false");
            break;
        case CT_ENUM:
            snprintf(line, sizeof(line), "%*s%s = \"%s\";", ind, "", it->name,
                     it->choices[*(const int *)field]);
            break;
        case CT_MODE:
            snprintf(line, sizeof(line), "%*s%s = \"%04o\";", ind, "", it->name,
                     (unsigned)*(const int *)field);
            break;
        case CT_STRLIST: {
            char *const *v = *(char *const *const *)field;
            unsigned n = *(const unsigned *)((const char *)base + it->count_off);
            size_t used = (size_t)snprintf(line, sizeof(line), "%*s%s = [", ind, "", it->name);

            for (unsigned i = 0; i < n && used < sizeof(line); i++)
                used += (size_t)snprintf(line + used, sizeof(line) - used, "%s \"%s\"",
                                         i ? "," : "", v[i]);
            if (used < sizeof(line))
                snprintf(line + used, sizeof(line) - used, " ];");
            break;
        }
        case CT_GROUP:
            snprintf(line, sizeof(line), "%*s%s = {", ind, "", it->name);
            out(arg, line);
            dump_section(it->sub, field, depth + 1, out, arg);
            snprintf(line, sizeof(line), "%*s};", ind, "");
            break;
        case CT_LIST: {
            const char *elems = *(char *const *)field;
            unsigned n = *(const unsigned *)((const char *)base + it->count_off);

            snprintf(line, sizeof(line), "%*s%s = (", ind, "", it->name);
            out(arg, line);
            for (unsigned i = 0; i < n; i++) {
                snprintf(line, sizeof(line), "%*s{", ind + 2, "");
                out(arg, line);
                dump_section(it->sub, elems + (size_t)i * it->sub->size, depth + 2, out, arg);
                snprintf(line, sizeof(line), "%*s}%s", ind + 2, "", i + 1 < n ? "," : "");
                out(arg, line);
            }
            snprintf(line, sizeof(line), "%*s);", ind, "");
            break;
        }
        }
        out(arg, line);
    }
}

void
rlb_conf_dump(const struct rlb_conf *conf, void (*out)(void *arg, const char *line), void *arg)
{
    dump_section(&rlb_conf_schema, conf, 0, out, arg);
}
