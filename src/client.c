/*
 * client.c: the client table (see client.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"

static int
by_prefix_desc(const void *a, const void *b)
{
    const struct rlb_client *x = *(struct rlb_client *const *)a;
    const struct rlb_client *y = *(struct rlb_client *const *)b;

    return (int)y->net.prefix - (int)x->net.prefix;
}

int
rlb_clients_build(struct rlb_clients *t, const struct rlb_conf *conf)
{
    memset(t, 0, sizeof(*t));
    t->v = calloc(conf->nclients ? conf->nclients : 1, sizeof(*t->v));
    if (!t->v)
        return -1;
    for (unsigned i = 0; i < conf->nclients; i++) {
        const struct rlb_conf_client *cc = &conf->clients[i];
        struct rlb_client *c = calloc(1, sizeof(*c));

        if (!c || !(c->name = strdup(cc->name)) ||
            rlb_secret_init(&c->secret, cc->secret, strlen(cc->secret)) < 0) {
            free(c);
            rlb_clients_free(t);
            return -1;
        }
        c->net = cc->net;
        c->require_ma = cc->require_ma;
        c->limit_proxy_state = cc->limit_proxy_state;
        c->has_fp = cc->has_fp;
        memcpy(c->fp, cc->fp, sizeof(c->fp));
        t->v[t->n++] = c;
    }
    qsort(t->v, t->n, sizeof(*t->v), by_prefix_desc);
    return 0;
}

void
rlb_clients_free(struct rlb_clients *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        rlb_secret_free(&t->v[i]->secret);
        free(t->v[i]->name);
        free(t->v[i]);
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

struct rlb_client *
rlb_clients_find(const struct rlb_clients *t, const union rlb_sockaddr *src)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (rlb_network_match(&t->v[i]->net, src))
            return t->v[i];
    }
    return NULL;
}
