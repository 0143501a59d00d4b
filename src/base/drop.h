/*
 * drop.h: every reason radlb has to drop a datagram, declared once. The
 * packet code returns them, the counters and the metrics names come from
 * this list, and radlb(8) documents it.
 */
#ifndef RLB_DROP_H
#define RLB_DROP_H

#include <stdbool.h>

/*      name                        help */
#define RLB_DROP_REASONS(X)                                                                 \
    X(NONE,                       "not dropped")                                            \
    X(TOO_SHORT,                  "datagram or Length field under 20 octets")               \
    X(TOO_LONG,                   "datagram or Length field over 4096 octets")              \
    X(LENGTH_MISMATCH,            "datagram shorter than its Length field")                 \
    X(MALFORMED_ATTRIBUTES,       "attribute framing broken (length 0/1, overflow, underfill, "    \
                                  "type 0)")                                                       \
    X(MA_INVALID_LENGTH,          "Message-Authenticator not 18 octets")                    \
    X(MA_DUPLICATE,               "more than one Message-Authenticator")                    \
    X(MA_MISSING,                 "Message-Authenticator required but absent")              \
    X(TOO_MANY_ATTRIBUTES,        "more attributes than proxy.max_attributes")              \
    X(EAP_AND_PASSWORD,           "EAP-Message together with another authentication attribute") \
    X(UNEXPECTED_CODE,            "packet code not accepted on this socket")                \
    X(PROXY_STATE_WITHOUT_MA,     "Proxy-State without Message-Authenticator (limit_proxy_state)") \
    X(BAD_MESSAGE_AUTHENTICATOR,  "Message-Authenticator does not verify")                  \
    X(BAD_REQUEST_AUTHENTICATOR,  "Accounting-Request authenticator does not verify")       \
    X(BAD_RESPONSE_AUTHENTICATOR, "server reply authenticator does not verify")             \
    X(BAD_ATTRIBUTE,              "malformed typed attribute (encrypted length, abinary, WiMAX, "  \
                                  "empty concat)")                                                 \
    X(TOO_BIG,                    "packet over 4096 octets once rewritten")                 \
    X(UNKNOWN_CLIENT,             "source address matches no client")                       \
    X(UNKNOWN_REPLY,              "server reply matches no outstanding request")            \
    X(UNEXPECTED_REPLY_CODE,      "server reply code does not answer the request")          \
    X(SUPERSEDED,                 "server reply to a request the client has replaced")      \
    X(NO_SOCKET,                  "no server socket or Identifier could be allocated") \
    X(CLIENT_LIMIT,               "the client has max_outstanding requests in flight already") \
    X(UNROUTABLE,                 "Accounting-Request no routing rule matches (the NAS retries)")

typedef enum {
#define RLB_DROP_ENUM(name, help) RLB_DROP_##name,
    RLB_DROP_REASONS(RLB_DROP_ENUM)
#undef RLB_DROP_ENUM
    RLB_DROP_MAX
} rlb_drop_t;

const char *rlb_drop_name(rlb_drop_t why);   /* "bad_message_authenticator" */
const char *rlb_drop_help(rlb_drop_t why);

/* The packet itself is broken (framing, lengths, attributes): on TCP and
 * TLS its connection is closed (RFC 6613 2.6.4). */
static inline bool
rlb_drop_is_malformed(rlb_drop_t why)
{
    return (why >= RLB_DROP_TOO_SHORT && why <= RLB_DROP_EAP_AND_PASSWORD) ||
           why == RLB_DROP_BAD_ATTRIBUTE;
}

#endif
