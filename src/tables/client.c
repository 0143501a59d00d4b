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

static void client_set(struct rlb_client *c, const struct rlb_conf_client *cc);

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
        client_set(c, cc);
        t->v[t->n++] = c;
    }
    qsort(t->v, t->n, sizeof(*t->v), by_prefix_desc);
    return 0;
}

static void
client_free(struct rlb_client *c)
{
    rlb_secret_free(&c->secret);
    free(c->name);
    free(c);
}

void
rlb_clients_free(struct rlb_clients *t)
{
    for (unsigned i = 0; i < t->n; i++)
        client_free(t->v[i]);
    for (unsigned i = 0; i < t->ngone; i++)
        client_free(t->gone[i]);
    free(t->v);
    free(t->gone);
    memset(t, 0, sizeof(*t));
}

static void
client_set(struct rlb_client *c, const struct rlb_conf_client *cc)
{
    c->net = cc->net;
    c->require_ma = cc->require_ma;
    c->limit_proxy_state = cc->limit_proxy_state;
    c->has_fp = cc->has_fp;
    memcpy(c->fp, cc->fp, sizeof(c->fp));
    c->max_outstanding = (unsigned)cc->max_outstanding;
}

/* Where the client named name is among v[0..n) (NULL when absent). */
static struct rlb_client **
find(struct rlb_client **v, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (v[i] && strcmp(v[i]->name, name) == 0)
            return &v[i];
    }
    return NULL;
}

/* The client named name among v[0..n), taken out (NULL when absent). */
static struct rlb_client *
take(struct rlb_client **v, unsigned n, const char *name)
{
    struct rlb_client **at = find(v, n, name), *c;

    if (!at)
        return NULL;
    c = *at;
    *at = NULL;
    return c;
}

int
rlb_clients_reload(struct rlb_clients *t, const struct rlb_conf *conf, unsigned *added,
                   unsigned *removed)
{
    unsigned n = conf->nclients, cap = t->n + t->ngone;
    struct rlb_client **v = calloc(n ? n : 1, sizeof(*v));
    struct rlb_client **fresh = calloc(n ? n : 1, sizeof(*fresh));
    struct rlb_secret *secrets = calloc(n ? n : 1, sizeof(*secrets));
    struct rlb_client **gone = NULL;
    unsigned ngone = 0, ok = 0;

    *added = *removed = 0;
    if (!v || !fresh || !secrets)
        goto fail;
    /* Everything that can fail first: secrets and new objects. */
    for (; ok < n; ok++) {
        const struct rlb_conf_client *cc = &conf->clients[ok];

        if (rlb_secret_init(&secrets[ok], cc->secret, strlen(cc->secret)) < 0)
            goto fail;
    }
    for (unsigned i = 0; i < n; i++) {
        const char *name = conf->clients[i].name;
        bool known = find(t->v, t->n, name) || find(t->gone, t->ngone, name);

        if (!known && (!(fresh[i] = calloc(1, sizeof(*fresh[i]))) ||
                       !(fresh[i]->name = strdup(conf->clients[i].name))))
            goto fail;
    }
    gone = calloc(cap ? cap : 1, sizeof(*gone));
    if (!gone)
        goto fail;

    /* Commit: a known name keeps its object (live, or revived from gone). */
    for (unsigned i = 0; i < n; i++) {
        struct rlb_client *c = fresh[i];

        if (c) {
            (*added)++;
        } else {
            c = take(t->v, t->n, conf->clients[i].name);
            if (!c) {
                c = take(t->gone, t->ngone, conf->clients[i].name);
                (*added)++;
            }
            rlb_secret_free(&c->secret);
        }
        c->secret = secrets[i];
        client_set(c, &conf->clients[i]);
        v[i] = c;
    }
    /* Whatever was live and was not taken is removed now. */
    for (unsigned i = 0; i < t->n; i++) {
        if (t->v[i]) {
            gone[ngone++] = t->v[i];
            (*removed)++;
        }
    }
    for (unsigned i = 0; i < t->ngone; i++) {
        if (t->gone[i])
            gone[ngone++] = t->gone[i];
    }
    free(t->v);
    free(t->gone);
    free(fresh);
    free(secrets);
    t->v = v;
    t->n = n;
    t->gone = gone;
    t->ngone = ngone;
    qsort(t->v, t->n, sizeof(*t->v), by_prefix_desc);
    return 0;
fail:
    for (unsigned i = 0; i < ok; i++)
        rlb_secret_free(&secrets[i]);
    for (unsigned i = 0; fresh && i < n; i++) {
        if (fresh[i]) {
            free(fresh[i]->name);
            free(fresh[i]);
        }
    }
    free(v);
    free(fresh);
    free(secrets);
    free(gone);
    return -1;
}

bool
rlb_client_live(const struct rlb_clients *t, const struct rlb_client *c)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->v[i] == c)
            return true;
    }
    return false;
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
