/*
 * confmsg.h: the messages of a configuration load (struct rlb_conf_msgs):
 * one line each, "file:line: key "x": what is wrong", errors and warnings
 * counted. Written by the parse pass (conf.c) and the validate pass
 * (confcheck.c).
 */
#ifndef RLB_CONFMSG_H
#define RLB_CONFMSG_H

#include <stdbool.h>

#include <libconfig.h>

#include "conf.h"

/* Appends "file:line: key "x": message" (key may be NULL). */
void conf_msg(struct rlb_conf_msgs *m, bool error, const config_setting_t *where,
              const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same, for a setting that may be missing from its group: the group's line. */
void conf_msg_member(struct rlb_conf_msgs *m, bool error, const config_setting_t *group,
                     const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* An error about the file as a whole (it cannot be read or parsed),
 * written as given: the caller puts the file (and line) first. */
void conf_msg_file(struct rlb_conf_msgs *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
