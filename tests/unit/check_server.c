/*
 * check_server.c: unit tests of src/tables/server.c: Identifier allocation. Each
 * socket toward a server owns 256 Identifiers, handed out least recently
 * released first; a 257th request in flight opens a second socket; up to
 * proxy.max_sockets. Sockets are connected UDP sockets to 127.0.0.1 (no
 * listener needed) and no event loop is used. Also the names of roles,
 * admin states and server states.
 *
 * rfc-checklist.md item 3.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "request.h"
#include "server.h"

#include "testutil.h"

static struct rlb_servers ss;
static struct rlb_server *srv;
static uint64_t opened;
static struct rlb_request reqs[3 * 256 + 1];

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

static void
setup(void)
{
    memset(&ss, 0, sizeof(ss));
    memset(reqs, 0, sizeof(reqs));
    opened = 0;
    ss.v = calloc(1, sizeof(*ss.v));
    srv = calloc(1, sizeof(*srv));
    ck_assert_ptr_nonnull(ss.v);
    ck_assert_ptr_nonnull(srv);
    srv->name = strdup("mfa1");
    ck_assert_int_eq(rlb_secret_init(&srv->secret, "server-secret", 13), 0);
    ck_assert_int_eq(rlb_addr_parse("127.0.0.1", 31812, &srv->addr[RLB_KIND_AUTH]), 0);
    ck_assert_int_eq(rlb_addr_parse("127.0.0.1", 31813, &srv->addr[RLB_KIND_ACCT]), 0);
    srv->weight = 1;
    ss.v[0] = srv;
    ss.n = 1;
    ss.loop = NULL;
    ss.read_cb = read_cb;
    ss.max_sockets = 3;
    ss.rcvbuf = 65536;
    ss.sockets_opened = &opened;
}

static void
teardown(void)
{
    rlb_servers_free(&ss);
}

static void
alloc_ok(struct rlb_request *r, int kind)
{
    ck_assert_int_eq(rlb_server_alloc_id(&ss, srv, kind, r), 0);
    ck_assert_ptr_nonnull(r->bsock);
    ck_assert_ptr_eq(r->bsock->server, srv);
    ck_assert_ptr_eq(rlb_bsock_lookup(r->bsock, r->proxied_id), r);
}

/* ------------------------------------------------------------------ */

START_TEST(first_socket_has_256_distinct_ids)
{
    bool seen[256];
    struct rlb_bsock *b;

    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 256; i++) {
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
        ck_assert_msg(!seen[reqs[i].proxied_id], "Identifier %u handed out twice", reqs[i].proxied_id);
        seen[reqs[i].proxied_id] = true;
    }
    b = reqs[0].bsock;
    for (int i = 1; i < 256; i++)
        ck_assert_ptr_eq(reqs[i].bsock, b);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 1);
    ck_assert_uint_eq(b->nfree, 0);
    ck_assert_uint_eq(opened, 1);
    ck_assert_ptr_null(srv->free_list[RLB_KIND_AUTH]);
}
END_TEST

START_TEST(ids_start_in_random_order)
{
    /* Not 0, 1, 2, ... and not the same order on two sockets:
     * Identifiers are hard to predict. */
    int in_order = 0, same = 0;

    for (int i = 0; i < 512; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    ck_assert_ptr_ne(reqs[0].bsock, reqs[256].bsock);
    for (int i = 0; i < 256; i++) {
        in_order += reqs[i].proxied_id == i;
        same += reqs[i].proxied_id == reqs[256 + i].proxied_id;
    }
    ck_assert_int_lt(in_order, 32);
    ck_assert_int_lt(same, 32);
}
END_TEST

START_TEST(socket_is_connected_to_server)
{
    union rlb_sockaddr peer;
    socklen_t len = sizeof(peer);

    alloc_ok(&reqs[0], RLB_KIND_ACCT);
    ck_assert_int_eq(getpeername(reqs[0].bsock->io.fd, &peer.sa, &len), 0);
    ck_assert(rlb_sockaddr_equal(&peer, &srv->addr[RLB_KIND_ACCT]));
    ck_assert_uint_eq(reqs[0].bsock->kind, RLB_KIND_ACCT);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_ACCT], 1);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 0);
}
END_TEST

START_TEST(second_socket_on_257th)
{
    for (int i = 0; i < 256; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 1);
    alloc_ok(&reqs[256], RLB_KIND_AUTH);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 2);
    ck_assert_uint_eq(opened, 2);
    ck_assert_ptr_ne(reqs[256].bsock, reqs[0].bsock);
    ck_assert_int_ne(reqs[256].bsock->io.fd, reqs[0].bsock->io.fd);
    ck_assert_uint_eq(reqs[256].bsock->nfree, 255);
}
END_TEST

START_TEST(max_sockets_limit)
{
    /* 3 sockets x 256: the 769th has no Identifier. */
    struct rlb_request extra;

    for (int i = 0; i < 3 * 256; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 3);
    memset(&extra, 0, sizeof(extra));
    ck_assert_int_eq(rlb_server_alloc_id(&ss, srv, RLB_KIND_AUTH, &extra), -1);
    ck_assert_ptr_null(extra.bsock);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 3);
    /* One released: allocation works again, on that socket, with that ID. */
    {
        struct rlb_bsock *b = reqs[300].bsock;
        uint8_t id = reqs[300].proxied_id;

        rlb_server_release_id(&reqs[300]);
        ck_assert_int_eq(rlb_server_alloc_id(&ss, srv, RLB_KIND_AUTH, &extra), 0);
        ck_assert_ptr_eq(extra.bsock, b);
        ck_assert_uint_eq(extra.proxied_id, id);
    }
}
END_TEST

START_TEST(release_and_lookup)
{
    struct rlb_bsock *b;
    uint8_t id;

    alloc_ok(&reqs[0], RLB_KIND_AUTH);
    alloc_ok(&reqs[1], RLB_KIND_AUTH);
    b = reqs[0].bsock;
    id = reqs[0].proxied_id;
    ck_assert_uint_eq(b->nfree, 254);
    rlb_server_release_id(&reqs[0]);
    ck_assert_ptr_null(reqs[0].bsock);
    ck_assert_ptr_null(rlb_bsock_lookup(b, id));
    ck_assert_ptr_eq(rlb_bsock_lookup(b, reqs[1].proxied_id), &reqs[1]);
    ck_assert_uint_eq(b->nfree, 255);
    /* Releasing a request that holds nothing is harmless. */
    rlb_server_release_id(&reqs[0]);
    ck_assert_uint_eq(b->nfree, 255);
}
END_TEST

START_TEST(released_ids_reused_lru_first)
{
    /* All 256 in use; released in a chosen order, they come back in that
     * order (least recently released first). */
    uint8_t order[256];
    int perm[256];

    for (int i = 0; i < 256; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    for (int i = 0; i < 256; i++)
        perm[i] = (i * 97 + 13) % 256;    /* 97 is odd: a permutation of 0..255 */
    for (int i = 0; i < 256; i++) {
        order[i] = reqs[perm[i]].proxied_id;
        rlb_server_release_id(&reqs[perm[i]]);
    }
    for (int i = 0; i < 256; i++) {
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
        ck_assert_msg(reqs[i].proxied_id == order[i], "allocation %d got %u, expected %u", i,
                      reqs[i].proxied_id, order[i]);
    }
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 1);
}
END_TEST

START_TEST(recently_released_id_not_reused_first)
{
    /* 10 in use, 3 released: the 246 never used come first, then the 3
     * in the order they were released. */
    uint8_t released[3];
    bool seen[256];

    for (int i = 0; i < 10; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    released[0] = reqs[4].proxied_id;
    released[1] = reqs[7].proxied_id;
    released[2] = reqs[1].proxied_id;
    rlb_server_release_id(&reqs[4]);
    rlb_server_release_id(&reqs[7]);
    rlb_server_release_id(&reqs[1]);
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 10; i++)
        if (i != 1 && i != 4 && i != 7)
            seen[reqs[i].proxied_id] = true;
    for (int i = 0; i < 246; i++) {
        alloc_ok(&reqs[10 + i], RLB_KIND_AUTH);
        ck_assert_msg(reqs[10 + i].proxied_id != released[0] && reqs[10 + i].proxied_id != released[1] &&
                          reqs[10 + i].proxied_id != released[2],
                      "a just-released Identifier came back after %d allocations", i);
        ck_assert(!seen[reqs[10 + i].proxied_id]);
        seen[reqs[10 + i].proxied_id] = true;
    }
    for (int i = 0; i < 3; i++) {
        alloc_ok(&reqs[256 + i], RLB_KIND_AUTH);
        ck_assert_uint_eq(reqs[256 + i].proxied_id, released[i]);
    }
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 1);
}
END_TEST

START_TEST(release_all_on_two_sockets)
{
    /* Two sockets; one Identifier freed: the next request takes a free
     * Identifier, no third socket. Then everything released. */
    for (int i = 0; i < 257; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    rlb_server_release_id(&reqs[5]);
    for (int i = 0; i < 2; i++)
        alloc_ok(&reqs[257 + i], RLB_KIND_AUTH);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 2);
    ck_assert_uint_eq(opened, 2);
    for (int i = 0; i < 259; i++)
        rlb_server_release_id(&reqs[i]);
    for (unsigned k = 0; k < srv->nsocks[RLB_KIND_AUTH]; k++) {
        ck_assert_uint_eq(srv->socks[RLB_KIND_AUTH][k]->nfree, 256);
        for (int id = 0; id < 256; id++)
            ck_assert_ptr_null(rlb_bsock_lookup(srv->socks[RLB_KIND_AUTH][k], (uint8_t)id));
    }
}
END_TEST

START_TEST(auth_and_acct_separate)
{
    for (int i = 0; i < 256; i++)
        alloc_ok(&reqs[i], RLB_KIND_AUTH);
    alloc_ok(&reqs[256], RLB_KIND_ACCT);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_AUTH], 1);
    ck_assert_uint_eq(srv->nsocks[RLB_KIND_ACCT], 1);
    ck_assert_ptr_ne(reqs[256].bsock, reqs[0].bsock);
}
END_TEST

START_TEST(servers_find)
{
    ck_assert_ptr_eq(rlb_servers_find(&ss, "mfa1"), srv);
    ck_assert_ptr_null(rlb_servers_find(&ss, "mfa2"));
    ck_assert_ptr_null(rlb_servers_find(&ss, "mfa"));
}
END_TEST

/* The state names: maintenance first, then down, then draining. */
START_TEST(names)
{
    ck_assert_str_eq(rlb_role_name(RLB_ROLE_SUBORDINATE), "subordinate");
    ck_assert_str_eq(rlb_role_name(RLB_ROLE_MASTER), "master");
    ck_assert_str_eq(rlb_role_name(2), "?");
    ck_assert_str_eq(rlb_admin_name(RLB_ADMIN_ENABLED), "enabled");
    ck_assert_str_eq(rlb_admin_name(RLB_ADMIN_DRAINING), "draining");
    ck_assert_str_eq(rlb_admin_name(RLB_ADMIN_MAINTENANCE), "maintenance");
    ck_assert_str_eq(rlb_admin_name(-1), "?");
    ck_assert_str_eq(rlb_server_state_name(srv), "up");
    srv->admin = RLB_ADMIN_DRAINING;
    ck_assert_str_eq(rlb_server_state_name(srv), "draining");
    srv->health = RLB_HEALTH_DOWN;
    ck_assert_str_eq(rlb_server_state_name(srv), "down");
    srv->admin = RLB_ADMIN_MAINTENANCE;
    ck_assert_str_eq(rlb_server_state_name(srv), "maintenance");
    ck_assert_int_eq(rlb_server_state(srv), RLB_STATE_MAINTENANCE);
    ck_assert_ptr_null(rlb_server_state_names[RLB_STATE_MAINTENANCE + 1]);
}
END_TEST

static Suite *
server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("ids");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, first_socket_has_256_distinct_ids);
    tcase_add_test(tc, ids_start_in_random_order);
    tcase_add_test(tc, socket_is_connected_to_server);
    tcase_add_test(tc, second_socket_on_257th);
    tcase_add_test(tc, max_sockets_limit);
    tcase_add_test(tc, release_and_lookup);
    tcase_add_test(tc, released_ids_reused_lru_first);
    tcase_add_test(tc, recently_released_id_not_reused_first);
    tcase_add_test(tc, release_all_on_two_sockets);
    tcase_add_test(tc, auth_and_acct_separate);
    tcase_add_test(tc, servers_find);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return rlb_test_main(server_suite());
}
