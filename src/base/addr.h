/*
 * addr.h: socket addresses and networks: parsing literals from the
 * configuration, matching a peer against a network, printing.
 */
#ifndef RLB_ADDR_H
#define RLB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

union rlb_sockaddr {
    struct sockaddr     sa;
    struct sockaddr_in  in4;
    struct sockaddr_in6 in6;
};

struct rlb_network {
    int     family;                /* AF_INET or AF_INET6 */
    uint8_t addr[16];              /* network address, host bits cleared */
    uint8_t prefix;                /* prefix length in bits */
};

/* Longest textual form of "[addr%scope]:port" plus NUL. */
#define RLB_ADDRSTRLEN (INET6_ADDRSTRLEN + 16)

/* An IPv4 or IPv6 literal (no names: configuration must not depend on DNS). */
int rlb_addr_parse(const char *text, uint16_t port, union rlb_sockaddr *out);
/* "192.0.2.1:26379" or "[2001:db8::1]:26379": a literal and a port from 1 to 65535. */
int rlb_addr_parse_host_port(const char *text, union rlb_sockaddr *out);
/* "192.0.2.0/24", "2001:db8::/32" or a single address (full prefix). */
int rlb_network_parse(const char *text, struct rlb_network *out);
/* IPv4-mapped IPv6 peers match IPv4 networks. */
bool rlb_network_match(const struct rlb_network *net, const union rlb_sockaddr *sa);
socklen_t rlb_sockaddr_len(const union rlb_sockaddr *sa);
uint16_t rlb_sockaddr_port(const union rlb_sockaddr *sa);
bool rlb_sockaddr_equal(const union rlb_sockaddr *a, const union rlb_sockaddr *b);
bool rlb_sockaddr_is_any(const union rlb_sockaddr *sa);
/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
bool rlb_sockaddr_is_loopback(const union rlb_sockaddr *sa);
/* "192.0.2.1:1812" or "[2001:db8::1]:1812"; returns buf. */
char *rlb_sockaddr_str(const union rlb_sockaddr *sa, char *buf, size_t len);
/* Address only, no port. */
char *rlb_sockaddr_host(const union rlb_sockaddr *sa, char *buf, size_t len);
char *rlb_network_str(const struct rlb_network *net, char *buf, size_t len);

#endif
