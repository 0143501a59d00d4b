/*
 * reload.h: applying a new configuration file to a running radlb
 * (SIGHUP, radlbctl reload), without dropping a request.
 *
 * The file is read and validated completely first; anything wrong (an
 * error, a key that needs a restart, a server whose address changed)
 * leaves the running configuration as it was, with the reason. Then the
 * swap: clients and servers are matched by name and updated in place, so
 * in-flight requests, cached replies, challenge sessions (which point to
 * servers), counters and the spool are untouched; new ones are created;
 * removed ones are taken out of the tables but kept alive until radlb
 * stops (requests, sessions and connections may still point to them). A
 * replaced configuration is freed at once (the first one is kept: what
 * was set up at start may point into it). A
 * removed server gets nothing new and the answers to its open challenges
 * are rejected; a removed client's TCP/TLS connections are closed.
 */
#ifndef RLB_RELOAD_H
#define RLB_RELOAD_H

struct rlb_ctx;
struct rlb_strbuf;

/* Re-reads ctx->conf->file and swaps it in. who: "SIGHUP", "uid 0"...
 * Returns 0 (out: a summary) or -1 (err: why; nothing changed). */
int rlb_reload(struct rlb_ctx *ctx, const char *who, struct rlb_strbuf *out,
               struct rlb_strbuf *err);

/* At stop: the first configuration, when reloads replaced it. */
void rlb_reload_free(struct rlb_ctx *ctx);

#endif
