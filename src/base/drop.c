/*
 * drop.c: names and help for the drop reasons (drop.h).
 */
#include "config.h"

#include "drop.h"

static const char *const drop_names[RLB_DROP_MAX] = {
#define RLB_DROP_NAME(name, help) #name,
    RLB_DROP_REASONS(RLB_DROP_NAME)
#undef RLB_DROP_NAME
};

static const char *const drop_helps[RLB_DROP_MAX] = {
#define RLB_DROP_HELP(name, help) help,
    RLB_DROP_REASONS(RLB_DROP_HELP)
#undef RLB_DROP_HELP
};

const char *
rlb_drop_name(rlb_drop_t why)
{
    /* lower-case copies, built once */
    static char lower[RLB_DROP_MAX][40];

    if ((unsigned)why >= RLB_DROP_MAX)
        return "unknown";
    if (!lower[why][0]) {
        const char *s = drop_names[why];
        unsigned i;

        for (i = 0; s[i] && i < sizeof(lower[why]) - 1; i++)
            lower[why][i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
        lower[why][i] = '\0';
    }
    return lower[why];
}

const char *
rlb_drop_help(rlb_drop_t why)
{
    return (unsigned)why < RLB_DROP_MAX ? drop_helps[why] : "unknown";
}
