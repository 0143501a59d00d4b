/*
 * dict.h: what radlb takes from libfreeradius-radius: the attribute
 * dictionary (names, types, encryption flags, vendor formats) and the
 * structural packet check rad_packet_ok(). This is the only module that
 * includes libfreeradius headers (they bring their own autoconf symbols).
 */
#ifndef RLB_DICT_H
#define RLB_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encryption methods (FreeRADIUS "encrypt=" flag). */
#define RLB_ENCRYPT_NONE      0
#define RLB_ENCRYPT_USER_PW   1      /* RFC 2865 5.2 */
#define RLB_ENCRYPT_TUNNEL_PW 2      /* RFC 2868 3.5, RFC 2548 2.4.2 */
#define RLB_ENCRYPT_ASCEND    3      /* Ascend-Send-Secret style */

/* Base types, as far as radlb converts values (write rules). */
enum rlb_atype { RLB_ATYPE_OTHER = 0, RLB_ATYPE_STRING, RLB_ATYPE_OCTETS, RLB_ATYPE_INTEGER,
                 RLB_ATYPE_IPADDR, RLB_ATYPE_DATE };

/* The properties of one attribute that the proxy acts on. */
struct rlb_attr_props {
    uint8_t known : 1;             /* in the dictionary */
    uint8_t abinary : 1;           /* Ascend binary filter */
    uint8_t concat : 1;            /* values concatenate (EAP-Message...) */
    uint8_t has_tag : 1;           /* RFC 2868 tag octet */
    uint8_t encrypt;               /* RLB_ENCRYPT_* */
    uint8_t type;                  /* enum rlb_atype */
};

/* Vendor-Specific sub-attribute layout. */
struct rlb_vendor_format {
    uint8_t type_len;              /* octets of the sub-attribute type: 1, 2 or 4 */
    uint8_t len_len;               /* octets of its length: 0, 1 or 2 */
    bool    wimax;                 /* WiMAX continuation octet after the length */
};

/* Why rad_packet_ok() refused a packet; mirrors decode_fail_t. */
typedef enum {
    RLB_FR_OK = 0,
    RLB_FR_MIN_LENGTH_PACKET,
    RLB_FR_MIN_LENGTH_FIELD,
    RLB_FR_MIN_LENGTH_MISMATCH,
    RLB_FR_HEADER_OVERFLOW,
    RLB_FR_UNKNOWN_PACKET_CODE,
    RLB_FR_INVALID_ATTRIBUTE,
    RLB_FR_ATTRIBUTE_TOO_SHORT,
    RLB_FR_ATTRIBUTE_OVERFLOW,
    RLB_FR_MA_INVALID_LENGTH,
    RLB_FR_ATTRIBUTE_UNDERFLOW,
    RLB_FR_TOO_MANY_ATTRIBUTES,
    RLB_FR_MA_MISSING,
    RLB_FR_TOO_MANY_AUTH,
    RLB_FR_MAX
} rlb_fr_reason_t;

/* Loads DIR/dictionary. On failure returns -1 with a message in err. */
int  rlb_dict_load(const char *dir, char *err, size_t errlen);
bool rlb_dict_loaded(void);
/* Caps the attribute count rad_packet_ok() accepts (FreeRADIUS max_attributes). */
void rlb_dict_set_max_attributes(unsigned max);

/* Properties of a standard (vendor 0) or vendor attribute; unknown ones
 * come back with known = 0 and no special handling. */
void rlb_dict_props(unsigned vendor, unsigned attr, struct rlb_attr_props *out);
/* Layout of a vendor's VSAs: false for vendors the dictionary does not know
 * (their VSAs are then carried opaquely). */
bool rlb_dict_vendor(unsigned vendor, struct rlb_vendor_format *out);
/* Resolves an attribute name ("User-Name", "Cisco-AVPair"). */
int  rlb_dict_attr_by_name(const char *name, unsigned *vendor, unsigned *attr);
/* Resolves a named value of an integer attribute ("Start" of Acct-Status-Type). */
int  rlb_dict_value_by_name(unsigned vendor, unsigned attr, const char *name, uint32_t *value);

/*
 * rad_packet_ok() on a packet in place: lengths, attribute framing,
 * Message-Authenticator length and presence (required for Status-Server,
 * with EAP-Message, or when require_ma), attribute count. *len is reduced
 * to the Length field when the datagram carried padding.
 */
bool rlb_fr_packet_ok(uint8_t *data, size_t *len, bool require_ma, rlb_fr_reason_t *why);
const char *rlb_fr_reason_name(rlb_fr_reason_t why);
/* The version of the libfreeradius headers radlb was built with ("3.2.1"). */
const char *rlb_fr_version(void);

#endif
