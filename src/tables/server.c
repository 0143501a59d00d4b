/*
 * server.c: servers, their sockets and Identifier allocation (server.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

static void
server_set(struct rlb_server *s, const struct rlb_conf *conf, const struct rlb_conf_server *cs,
           bool role)
{
    snprintf(s->pool_name, sizeof(s->pool_name), "%s", conf->pool[cs->pool]->name);
    if (role)
        s->role = cs->role;
    s->weight = cs->weight;
    s->require_ma = cs->require_ma;
    s->has_fp = cs->has_fp;
    memcpy(s->fp, cs->fp, sizeof(s->fp));
}

static struct rlb_server *
find_in(struct rlb_server **v, unsigned n, const char *name, unsigned *at)
{
    for (unsigned i = 0; i < n; i++) {
        if (v[i] && strcmp(v[i]->name, name) == 0) {
            *at = i;
            return v[i];
        }
    }
    return NULL;
}

int
rlb_servers_reload(struct rlb_servers *ss, const struct rlb_conf *conf, bool roles, char *err,
                   size_t errlen)
{
    unsigned n = conf->nsrv, cap = ss->n + ss->ngone + n, ngone = 0, ok = 0, at = 0;
    struct rlb_server **v = calloc(n ? n : 1, sizeof(*v));
    struct rlb_server **gone = calloc(cap ? cap : 1, sizeof(*gone));
    struct rlb_server **fresh = calloc(n ? n : 1, sizeof(*fresh));
    struct rlb_secret *secrets = calloc(n ? n : 1, sizeof(*secrets));
    char **names = calloc(n ? n : 1, sizeof(*names));

    snprintf(err, errlen, "out of memory");
    if (!v || !gone || !fresh || !secrets || !names)
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        const struct rlb_conf_server *cs = conf->srv[i];
        struct rlb_server *s = find_in(ss->v, ss->n, cs->name, &at);

        if (!s)
            s = find_in(ss->gone, ss->ngone, cs->name, &at);
        if (s && (!rlb_sockaddr_equal(&s->addr[RLB_KIND_AUTH], &cs->auth_addr) ||
                  !rlb_sockaddr_equal(&s->addr[RLB_KIND_ACCT], &cs->acct_addr) ||
                  s->proto != cs->proto)) {
            snprintf(err, errlen, "server \"%s\" (line %d): its address, ports or proto changed; "
                     "that needs a restart, or a new name (add the new server, remove the old one)",
                     cs->name, cs->line);
            goto fail;
        }
        /* Its master role, sessions and spool belong to its pool. */
        if (s && s->pool_name[0] && strcmp(s->pool_name, conf->pool[cs->pool]->name) != 0) {
            snprintf(err, errlen, "server \"%s\" (line %d) moved from pool \"%s\" to pool "
                     "\"%s\"; that needs a restart, or a new name (add the new server, remove "
                     "the old one)", cs->name, cs->line, s->pool_name, conf->pool[cs->pool]->name);
            goto fail;
        }
    }
    snprintf(err, errlen, "out of memory");
    for (; ok < n; ok++) {
        const struct rlb_conf_server *cs = conf->srv[ok];

        if (rlb_secret_init(&secrets[ok], cs->secret, strlen(cs->secret)) < 0)
            goto fail;
        if (!(names[ok] = strdup(cs->tls_name ? cs->tls_name : ""))) {
            rlb_secret_free(&secrets[ok]);
            goto fail;
        }
        if (!find_in(ss->v, ss->n, cs->name, &at) && !find_in(ss->gone, ss->ngone, cs->name, &at) &&
            (!(fresh[ok] = calloc(1, sizeof(*fresh[ok]))) ||
             !(fresh[ok]->name = strdup(cs->name)))) {
            rlb_secret_free(&secrets[ok]);
            free(names[ok]);
            ok++;                  /* fresh[ok] is freed below */
            goto fail;
        }
    }

    /* Commit. */
    for (unsigned i = 0; i < n; i++) {
        const struct rlb_conf_server *cs = conf->srv[i];
        struct rlb_server *s = fresh[i];

        if (s) {
            s->addr[RLB_KIND_AUTH] = cs->auth_addr;
            s->addr[RLB_KIND_ACCT] = cs->acct_addr;
            s->proto = cs->proto;
            s->role = cs->role;
            snprintf(s->health_reason, sizeof(s->health_reason), "configured");
        } else if ((s = find_in(ss->v, ss->n, cs->name, &at))) {
            ss->v[at] = NULL;
        } else {
            s = find_in(ss->gone, ss->ngone, cs->name, &at);
            ss->gone[at] = NULL;
        }
        if (!fresh[i])
            rlb_secret_free(&s->secret);
        s->secret = secrets[i];
        free(s->tls_name);
        s->tls_name = names[i];
        server_set(s, conf, cs, roles || fresh[i]);
        v[i] = s;
    }
    for (unsigned i = 0; i < ss->n; i++) {
        if (ss->v[i])
            gone[ngone++] = ss->v[i];
    }
    for (unsigned i = 0; i < ss->ngone; i++) {
        if (ss->gone[i])
            gone[ngone++] = ss->gone[i];
    }
    free(ss->v);
    free(ss->gone);
    free(fresh);
    free(secrets);
    free(names);
    ss->v = v;
    ss->n = n;
    ss->gone = gone;
    ss->ngone = ngone;
    return 0;
fail:
    for (unsigned i = 0; i < ok; i++) {
        rlb_secret_free(&secrets[i]);
        free(names[i]);
    }
    for (unsigned i = 0; fresh && i < n; i++) {
        if (fresh[i]) {
            free(fresh[i]->name);
            free(fresh[i]);
        }
    }
    free(v);
    free(gone);
    free(fresh);
    free(secrets);
    free(names);
    return -1;
}

int
rlb_servers_build(struct rlb_servers *ss, const struct rlb_conf *conf)
{
    ss->v = calloc(conf->nsrv ? conf->nsrv : 1, sizeof(*ss->v));
    ss->n = 0;
    if (!ss->v)
        return -1;
    ss->max_sockets = conf->proxy.max_sockets;
    ss->rcvbuf = conf->proxy.recv_buffer;
    for (unsigned i = 0; i < conf->nsrv; i++) {
        const struct rlb_conf_server *cs = conf->srv[i];
        struct rlb_server *s = calloc(1, sizeof(*s));

        if (!s || !(s->name = strdup(cs->name)) ||
            rlb_secret_init(&s->secret, cs->secret, strlen(cs->secret)) < 0) {
            free(s);
            rlb_servers_free(ss);
            return -1;
        }
        s->addr[RLB_KIND_AUTH] = cs->auth_addr;
        s->addr[RLB_KIND_ACCT] = cs->acct_addr;
        s->role = cs->role;
        s->proto = cs->proto;
        s->has_fp = cs->has_fp;
        memcpy(s->fp, cs->fp, sizeof(s->fp));
        s->tls_name = strdup(cs->tls_name ? cs->tls_name : "");
        snprintf(s->health_reason, sizeof(s->health_reason), "configured");
        server_set(s, conf, cs, true);
        ss->v[ss->n++] = s;
    }
    return 0;
}

const char *const rlb_role_names[] = { "subordinate", "master", NULL };
const char *const rlb_admin_names[] = { "enabled", "draining", "maintenance", NULL };
const char *const rlb_server_state_names[] = { "up", "down", "draining", "maintenance", NULL };

const char *
rlb_role_name(int role)
{
    return role >= 0 && role <= RLB_ROLE_MASTER ? rlb_role_names[role] : "?";
}

const char *
rlb_admin_name(int admin)
{
    return admin >= 0 && admin <= RLB_ADMIN_MAINTENANCE ? rlb_admin_names[admin] : "?";
}

enum rlb_server_state
rlb_server_state(const struct rlb_server *s)
{
    if (s->admin == RLB_ADMIN_MAINTENANCE)
        return RLB_STATE_MAINTENANCE;
    if (s->health == RLB_HEALTH_DOWN)
        return RLB_STATE_DOWN;
    if (s->admin == RLB_ADMIN_DRAINING)
        return RLB_STATE_DRAINING;
    return RLB_STATE_UP;
}

const char *
rlb_server_state_name(const struct rlb_server *s)
{
    return rlb_server_state_names[rlb_server_state(s)];
}

const char *
rlb_server_state_reason(const struct rlb_server *s)
{
    if (s->health == RLB_HEALTH_DOWN)
        return s->health_reason;
    return s->admin != RLB_ADMIN_ENABLED ? s->admin_reason : s->health_reason;
}

struct rlb_bsock *
rlb_servers_bsock_by_fd(const struct rlb_servers *ss, int fd)
{
    return fd >= 0 && (unsigned)fd < ss->nbyfd ? ss->byfd[fd] : NULL;
}

static int
byfd_set(struct rlb_servers *ss, int fd, struct rlb_bsock *b)
{
    if ((unsigned)fd >= ss->nbyfd) {
        unsigned n = ss->nbyfd ? ss->nbyfd : 64;
        struct rlb_bsock **v;

        while (n <= (unsigned)fd)
            n *= 2;
        v = realloc(ss->byfd, n * sizeof(*v));
        if (!v)
            return -1;
        memset(v + ss->nbyfd, 0, (n - ss->nbyfd) * sizeof(*v));
        ss->byfd = v;
        ss->nbyfd = n;
    }
    ss->byfd[fd] = b;
    return 0;
}

static void
bsock_close(struct rlb_servers *ss, struct rlb_bsock *b)
{
    if (b->link) {
        if (ss->link_free)
            ss->link_free(ss->cb_data, b);
        free(b);
        return;
    }
    byfd_set(ss, b->io.fd, NULL);
    if (ss->loop)
        ev_io_stop(ss->loop, &b->io);
    close(b->io.fd);
    free(b);
}

static void server_free(struct rlb_servers *ss, struct rlb_server *s);

void
rlb_servers_free(struct rlb_servers *ss)
{
    for (unsigned i = 0; i < ss->n; i++)
        server_free(ss, ss->v[i]);
    for (unsigned i = 0; i < ss->ngone; i++)
        server_free(ss, ss->gone[i]);
    free(ss->v);
    free(ss->gone);
    free(ss->byfd);
    ss->v = NULL;
    ss->gone = NULL;
    ss->byfd = NULL;
    ss->n = 0;
    ss->ngone = 0;
    ss->nbyfd = 0;
}

static void
server_free(struct rlb_servers *ss, struct rlb_server *s)
{
    for (int k = 0; k < 2; k++) {
        for (unsigned j = 0; j < s->nsocks[k]; j++)
            bsock_close(ss, s->socks[k][j]);
        free(s->socks[k]);
    }
    rlb_secret_free(&s->secret);
    free(s->tls_name);
    free(s->name);
    free(s);
}

struct rlb_server *
rlb_servers_find(const struct rlb_servers *ss, const char *name)
{
    for (unsigned i = 0; i < ss->n; i++) {
        if (strcmp(ss->v[i]->name, name) == 0)
            return ss->v[i];
    }
    return NULL;
}

static void
bsock_init(struct rlb_bsock *b, struct rlb_server *s, int kind)
{
    uint8_t perm[256];

    b->server = s;
    b->kind = (uint8_t)kind;
    b->nfree = 256;
    /* Identifiers start in a random order (Fisher-Yates) so that they
     * cannot be predicted by someone spoofing replies. */
    for (int i = 0; i < 256; i++)
        b->ring[i] = (uint8_t)i;
    rlb_random_bytes(perm, sizeof(perm));
    for (int i = 255; i > 0; i--) {
        int j = perm[i] % (i + 1);
        uint8_t t = b->ring[i];

        b->ring[i] = b->ring[j];
        b->ring[j] = t;
    }
}

static struct rlb_bsock *
bsock_open(struct rlb_servers *ss, struct rlb_server *s, int kind)
{
    const union rlb_sockaddr *to = &s->addr[kind];
    struct rlb_bsock *b;
    char where[RLB_ADDRSTRLEN];
    int fd;

    if (s->nsocks[kind] >= (unsigned)ss->max_sockets)
        return NULL;
    if (s->nsocks[kind] == s->capsocks[kind]) {
        unsigned cap = s->capsocks[kind] ? s->capsocks[kind] * 2 : 4;
        struct rlb_bsock **v = realloc(s->socks[kind], cap * sizeof(*v));

        if (!v)
            return NULL;
        s->socks[kind] = v;
        s->capsocks[kind] = cap;
    }

    if (s->proto != RLB_PROTO_UDP) {
        b = calloc(1, sizeof(*b));
        if (!b)
            return NULL;
        bsock_init(b, s, kind);
        ev_io_init(&b->io, NULL, -1, 0);
        if (!ss->link_open || ss->link_open(ss->cb_data, b) < 0) {
            free(b);
            return NULL;
        }
        s->socks[kind][s->nsocks[kind]++] = b;
        if (ss->sockets_opened)
            (*ss->sockets_opened)++;
        return b;
    }
    fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &to->sa, rlb_sockaddr_len(to)) < 0) {
        rlb_err("server %s: cannot open a socket to %s: %s", s->name,
                rlb_sockaddr_str(to, where, sizeof(where)), strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &ss->rcvbuf, sizeof(ss->rcvbuf)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ss->rcvbuf, sizeof(ss->rcvbuf));

    b = calloc(1, sizeof(*b));
    if (!b || byfd_set(ss, fd, b) < 0) {
        free(b);
        close(fd);
        return NULL;
    }
    bsock_init(b, s, kind);
    ev_io_init(&b->io, ss->read_cb, fd, EV_READ);
    b->io.data = ss->cb_data;
    if (ss->loop)
        ev_io_start(ss->loop, &b->io);
    s->socks[kind][s->nsocks[kind]++] = b;
    if (ss->sockets_opened)
        (*ss->sockets_opened)++;
    rlb_debug("server %s: opened %s socket %u to %s", s->name, kind ? "acct" : "auth",
              s->nsocks[kind], rlb_sockaddr_str(to, where, sizeof(where)));
    return b;
}

int
rlb_server_alloc_id(struct rlb_servers *ss, struct rlb_server *s, int kind,
                    struct rlb_request *req)
{
    struct rlb_bsock *b = s->free_list[kind];
    uint8_t id;

    if (!b) {
        b = bsock_open(ss, s, kind);
        if (!b)
            return -1;
        b->next_free = NULL;
        b->on_free_list = true;
        s->free_list[kind] = b;
    }
    id = b->ring[b->head++];
    b->nfree--;
    b->slot[id] = req;
    req->bsock = b;
    req->proxied_id = id;
    if (b->nfree == 0) {
        s->free_list[kind] = b->next_free;
        b->on_free_list = false;
        b->next_free = NULL;
    }
    return 0;
}

void
rlb_server_release_id(struct rlb_request *req)
{
    struct rlb_bsock *b = req->bsock;
    struct rlb_server *s;

    if (!b)
        return;
    s = b->server;
    b->slot[req->proxied_id] = NULL;
    b->ring[b->tail++] = req->proxied_id;
    b->nfree++;
    req->bsock = NULL;
    if (!b->on_free_list) {
        b->next_free = s->free_list[b->kind];
        s->free_list[b->kind] = b;
        b->on_free_list = true;
    }
}
