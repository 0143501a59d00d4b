#ifndef RLB_WWW_H
#define RLB_WWW_H
#include <stddef.h>
struct rlb_asset { const char *path; const char *type; const unsigned char *data; size_t len; };
extern const struct rlb_asset rlb_assets[];
extern const unsigned rlb_nassets;
#endif
