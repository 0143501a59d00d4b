/*
 * addr.c: address and network helpers (see addr.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int
rlb_addr_parse(const char *text, uint16_t port, union rlb_sockaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, &out->in4.sin_addr) == 1) {
        out->in4.sin_family = AF_INET;
        out->in4.sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, text, &out->in6.sin6_addr) == 1) {
        out->in6.sin6_family = AF_INET6;
        out->in6.sin6_port = htons(port);
        return 0;
    }
    return -1;
}

int
rlb_addr_parse_host_port(const char *text, union rlb_sockaddr *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(text, ':');
    size_t hl;
    long port;
    char *end;

    if (!colon || colon == text)
        return -1;
    hl = (size_t)(colon - text);
    if (text[0] == '[') {
        if (hl < 3 || text[hl - 1] != ']')
            return -1;
        text++;
        hl -= 2;
    }
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, text, hl);
    host[hl] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    return rlb_addr_parse(host, (uint16_t)port, out);
}

int
rlb_network_parse(const char *text, struct rlb_network *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    unsigned maxbits, bits;
    union rlb_sockaddr sa;

    if (alen == 0 || alen >= sizeof(buf))
        return -1;
    memcpy(buf, text, alen);
    buf[alen] = '\0';
    if (rlb_addr_parse(buf, 0, &sa) < 0)
        return -1;

    memset(out, 0, sizeof(*out));
    out->family = sa.sa.sa_family;
    if (out->family == AF_INET) {
        memcpy(out->addr, &sa.in4.sin_addr, 4);
        maxbits = 32;
    } else {
        memcpy(out->addr, &sa.in6.sin6_addr, 16);
        maxbits = 128;
    }

    bits = maxbits;
    if (slash) {
        char *end;
        unsigned long v;

        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        v = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || v > maxbits)
            return -1;
        bits = (unsigned)v;
    }
    out->prefix = (uint8_t)bits;

    /* Clear host bits so that "10.1.2.3/8" means 10.0.0.0/8. */
    for (unsigned i = 0; i < maxbits / 8; i++) {
        unsigned lo = i * 8;
        if (lo >= bits)
            out->addr[i] = 0;
        else if (bits - lo < 8)
            out->addr[i] &= (uint8_t)(0xff << (8 - (bits - lo)));
    }
    return 0;
}

static bool
prefix_match(const uint8_t *net, const uint8_t *addr, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;

    if (memcmp(net, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((net[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
rlb_network_match(const struct rlb_network *net, const union rlb_sockaddr *sa)
{
    if (sa->sa.sa_family == AF_INET) {
        if (net->family != AF_INET)
            return false;
        return prefix_match(net->addr, (const uint8_t *)&sa->in4.sin_addr, net->prefix);
    }
    if (sa->sa.sa_family == AF_INET6) {
        const uint8_t *a = sa->in6.sin6_addr.s6_addr;

        if (net->family == AF_INET6)
            return prefix_match(net->addr, a, net->prefix);
        if (IN6_IS_ADDR_V4MAPPED(&sa->in6.sin6_addr))
            return prefix_match(net->addr, a + 12, net->prefix);
    }
    return false;
}

socklen_t
rlb_sockaddr_len(const union rlb_sockaddr *sa)
{
    return sa->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                        : sizeof(struct sockaddr_in);
}

uint16_t
rlb_sockaddr_port(const union rlb_sockaddr *sa)
{
    return ntohs(sa->sa.sa_family == AF_INET6 ? sa->in6.sin6_port : sa->in4.sin_port);
}

bool
rlb_sockaddr_equal(const union rlb_sockaddr *a, const union rlb_sockaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET)
        return a->in4.sin_port == b->in4.sin_port &&
               a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
    return a->in6.sin6_port == b->in6.sin6_port &&
           memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0 &&
           a->in6.sin6_scope_id == b->in6.sin6_scope_id;
}

bool
rlb_sockaddr_is_any(const union rlb_sockaddr *sa)
{
    if (sa->sa.sa_family == AF_INET)
        return sa->in4.sin_addr.s_addr == htonl(INADDR_ANY);
    return IN6_IS_ADDR_UNSPECIFIED(&sa->in6.sin6_addr);
}

char *
rlb_sockaddr_host(const union rlb_sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa.sa_family == AF_INET6 ? (const void *)&sa->in6.sin6_addr
                                                 : (const void *)&sa->in4.sin_addr;

    if (!inet_ntop(sa->sa.sa_family, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

char *
rlb_sockaddr_str(const union rlb_sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];

    rlb_sockaddr_host(sa, host, sizeof(host));
    if (sa->sa.sa_family == AF_INET6)
        snprintf(buf, len, "[%s]:%u", host, rlb_sockaddr_port(sa));
    else
        snprintf(buf, len, "%s:%u", host, rlb_sockaddr_port(sa));
    return buf;
}

char *
rlb_network_str(const struct rlb_network *net, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];

    if (!inet_ntop(net->family, net->addr, host, sizeof(host)))
        snprintf(host, sizeof(host), "?");
    snprintf(buf, len, "%s/%u", host, net->prefix);
    return buf;
}

bool
rlb_sockaddr_is_loopback(const union rlb_sockaddr *sa)
{
    static const uint8_t v6_loopback[16] = { [15] = 1 };
    static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

    if (sa->sa.sa_family == AF_INET)
        return (ntohl(sa->in4.sin_addr.s_addr) >> 24) == 127;
    if (sa->sa.sa_family != AF_INET6)
        return false;
    if (memcmp(sa->in6.sin6_addr.s6_addr, v4_mapped, 12) == 0)
        return sa->in6.sin6_addr.s6_addr[12] == 127;
    return memcmp(sa->in6.sin6_addr.s6_addr, v6_loopback, 16) == 0;
}
