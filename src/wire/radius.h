/*
 * radius.h: RADIUS wire-format constants (RFC 2865, 2866, 2868, 2869,
 * 3579, 5997, 6929). Names only; the dictionary proper comes from
 * libfreeradius (dict.h).
 */
#ifndef RLB_RADIUS_H
#define RLB_RADIUS_H

#define RLB_HDR_LEN          20
#define RLB_AUTH_LEN         16
#define RLB_PKT_MAX          4096      /* RFC 2865 3: maximum packet length */
#define RLB_MA_LEN           18        /* Message-Authenticator attribute, with header */

/* Packet codes */
#define RLB_ACCESS_REQUEST        1
#define RLB_ACCESS_ACCEPT         2
#define RLB_ACCESS_REJECT         3
#define RLB_ACCOUNTING_REQUEST    4
#define RLB_ACCOUNTING_RESPONSE   5
#define RLB_ACCESS_CHALLENGE      11
#define RLB_STATUS_SERVER         12
#define RLB_CODE_MAX              256

/* Attributes */
#define RLB_ATTR_USER_NAME             1
#define RLB_ATTR_USER_PASSWORD         2
#define RLB_ATTR_CHAP_PASSWORD         3
#define RLB_ATTR_REPLY_MESSAGE         18
#define RLB_ATTR_STATE                 24
#define RLB_ATTR_CLASS                 25
#define RLB_ATTR_CALLING_STATION_ID    31
#define RLB_ATTR_VENDOR_SPECIFIC       26
#define RLB_ATTR_NAS_IDENTIFIER        32
#define RLB_ATTR_PROXY_STATE           33
#define RLB_ATTR_ACCT_STATUS_TYPE      40
#define RLB_ATTR_ACCT_DELAY_TIME       41
#define RLB_ATTR_CHAP_CHALLENGE        60
#define RLB_ATTR_TUNNEL_PASSWORD       69
#define RLB_ATTR_EAP_MESSAGE           79
#define RLB_ATTR_MESSAGE_AUTHENTICATOR 80
#define RLB_ATTR_EXTENDED_1            241
#define RLB_ATTR_LONG_EXTENDED_1       245
#define RLB_ATTR_EXTENDED_LAST         246

#define RLB_VENDOR_MICROSOFT           311
#define RLB_VENDOR_WIMAX               24757

/* A packet code's name for log lines ("packet" for one radlb does not know). */
static inline const char *
rlb_code_name(unsigned code)
{
    switch (code) {
    case RLB_ACCESS_REQUEST:      return "Access-Request";
    case RLB_ACCESS_ACCEPT:       return "Access-Accept";
    case RLB_ACCESS_REJECT:       return "Access-Reject";
    case RLB_ACCOUNTING_REQUEST:  return "Accounting-Request";
    case RLB_ACCOUNTING_RESPONSE: return "Accounting-Response";
    case RLB_ACCESS_CHALLENGE:    return "Access-Challenge";
    case RLB_STATUS_SERVER:       return "Status-Server";
    default:                      return "packet";
    }
}

/* RFC 2868 3.5: the salt's most significant bit is always set. */
#define RLB_SALT_HIGH_BIT              0x80

#endif
