/*
 * confcheck.h: the validate pass of the configuration (confcheck.c), run
 * by rlb_conf_load (conf.c) once the parse pass found no error.
 */
#ifndef RLB_CONFCHECK_H
#define RLB_CONFCHECK_H

#include <libconfig.h>

#include "conf.h"

/* Cross-references and meaning; resolves the fields marked "resolved by
 * validation". cfg is the parsed file, still there to point at lines. */
void rlb_conf_validate(struct rlb_conf *conf, const config_t *cfg, struct rlb_conf_msgs *m);

#endif
