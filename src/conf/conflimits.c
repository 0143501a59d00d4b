/*
 * conflimits.c: the validate pass of the prompt budgets (limits section,
 * budget.h): the windows, the keys counted, the allow-list file.
 */
#include "config.h"

#include <string.h>

#include "confcheck_int.h"
#include "confmsg.h"

static const char *const kinds[] = { "user", "calling-station", "client" };

void
conf_check_limits(struct rlb_conf *c, const struct vctx *v)
{
    struct rlb_conf_limits *l = &c->limits;
    const config_setting_t *g = config_lookup(v->cfg, "limits");
    const config_setting_t *where = g ? g : config_root_setting(v->cfg);

    if (l->nprompts > 8)
        conf_msg_member(v->m, true, where, "prompts", "%u budgets: 8 at most", l->nprompts);
    for (unsigned i = 0; i < l->nprompts; i++) {
        for (unsigned j = 0; j < i; j++) {
            if (l->prompts[j].window == l->prompts[i].window)
                conf_msg(v->m, true, conf_elem(v, "limits.prompts", i), "prompts",
                         "a second budget for a window of %g s (line %d): give each window once",
                         l->prompts[i].window, l->prompts[j].line);
        }
    }
    memset(l->by_kind, 0, sizeof(l->by_kind));
    if (!l->nby)
        l->by_kind[0] = true;      /* User-Name */
    for (unsigned i = 0; i < l->nby; i++) {
        unsigned k;

        for (k = 0; k < 3 && strcmp(kinds[k], l->by[i]); k++)
            ;
        if (k == 3)
            conf_msg_member(v->m, true, where, "by",
                            "\"%s\" is not one of \"user\", \"calling-station\", \"client\"",
                            l->by[i]);
        else
            l->by_kind[k] = true;
    }
    if (!l->reply_message[0] || strlen(l->reply_message) > 253)
        conf_msg_member(v->m, true, where, "reply_message",
                        "must be 1 to 253 octets (it goes in a Reply-Message)");
    for (unsigned i = 0; i < l->nallow_users; i++) {
        if (!l->allow_users[i][0] || strlen(l->allow_users[i]) > 253)
            conf_msg_member(v->m, true, where, "allow_users",
                            "entry %u must be 1 to 253 octets (a User-Name)", i + 1);
    }
    if (l->allow_file[0]) {
        if (l->allow_file[0] != '/')
            conf_msg_member(v->m, true, where, "allow_file", "\"%s\" must be an absolute path",
                            l->allow_file);
        else
            conf_read_names(v, where, "allow_file", "allow_file", l->allow_file,
                            &l->allow_text, &l->allow_list, &l->nallow_list);
    }
    if (!l->nprompts && (l->nallow_users || l->allow_file[0] || l->nby))
        conf_msg(v->m, false, where, "limits",
                 "no prompts budgets are given: the limits are off and the rest of the "
                 "section is unused");
}
