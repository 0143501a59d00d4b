/*
 * dict.c: the libfreeradius-radius glue (see dict.h). Standard attribute
 * properties are copied into a 256-entry table at load time so that the
 * packet walk does one array read per attribute; vendor attributes go
 * through libfreeradius's hash.
 */
#include <freeradius/build.h>
#include <freeradius/libradius.h>

#include <stdio.h>
#include <string.h>

#include "dict.h"

static struct rlb_attr_props std_props[256];
static bool dict_ok;

_Static_assert((int)RLB_FR_MAX == (int)DECODE_FAIL_MAX, "decode_fail_t changed");

static void
props_from(DICT_ATTR const *da, struct rlb_attr_props *out)
{
    memset(out, 0, sizeof(*out));
    if (!da)
        return;
    out->known = 1;
    out->abinary = da->type == PW_TYPE_ABINARY;
    out->concat = da->flags.concat;
    out->has_tag = da->flags.has_tag;
    out->encrypt = da->flags.encrypt;
    switch (da->type) {
    case PW_TYPE_STRING:    out->type = RLB_ATYPE_STRING; break;
    case PW_TYPE_OCTETS:    out->type = RLB_ATYPE_OCTETS; break;
    case PW_TYPE_INTEGER:   out->type = RLB_ATYPE_INTEGER; break;
    case PW_TYPE_IPV4_ADDR: out->type = RLB_ATYPE_IPADDR; break;
    case PW_TYPE_DATE:      out->type = RLB_ATYPE_DATE; break;
    default:                out->type = RLB_ATYPE_OTHER; break;
    }
}

int
rlb_dict_load(const char *dir, char *err, size_t errlen)
{
    if (dict_ok)
        return 0;
    if (dict_init(dir, "dictionary") < 0) {
        snprintf(err, errlen, "cannot load the RADIUS dictionary from %s: %s",
                 dir, fr_strerror());
        return -1;
    }
    for (unsigned a = 1; a < 256; a++)
        props_from(dict_attrbyvalue(a, 0), &std_props[a]);
    if (fr_max_attributes == 0)
        fr_max_attributes = 200;
    dict_ok = true;
    return 0;
}

bool
rlb_dict_loaded(void)
{
    return dict_ok;
}

void
rlb_dict_set_max_attributes(unsigned max)
{
    fr_max_attributes = max;
}

void
rlb_dict_props(unsigned vendor, unsigned attr, struct rlb_attr_props *out)
{
    if (vendor == 0 && attr < 256) {
        *out = std_props[attr];
        return;
    }
    props_from(dict_ok ? dict_attrbyvalue(attr, vendor) : NULL, out);
}

bool
rlb_dict_vendor(unsigned vendor, struct rlb_vendor_format *out)
{
    DICT_VENDOR *dv = dict_ok ? dict_vendorbyvalue((int)vendor) : NULL;

    if (!dv)
        return false;
    out->type_len = (uint8_t)dv->type;
    out->len_len = (uint8_t)dv->length;
    out->wimax = dv->flags != 0;
    return true;
}

int
rlb_dict_attr_by_name(const char *name, unsigned *vendor, unsigned *attr)
{
    DICT_ATTR const *da = dict_ok ? dict_attrbyname(name) : NULL;

    if (!da)
        return -1;
    *vendor = da->vendor;
    *attr = da->attr;
    return 0;
}

int
rlb_dict_value_by_name(unsigned vendor, unsigned attr, const char *name, uint32_t *value)
{
    DICT_VALUE *dv = dict_ok ? dict_valbyname(attr, vendor, name) : NULL;

    if (!dv)
        return -1;
    *value = (uint32_t)dv->value;
    return 0;
}

bool
rlb_fr_packet_ok(uint8_t *data, size_t *len, bool require_ma, rlb_fr_reason_t *why)
{
    RADIUS_PACKET packet;
    decode_fail_t reason = DECODE_FAIL_NONE;
    bool ok;

    memset(&packet, 0, sizeof(packet));
    packet.data = data;
    packet.data_len = *len;
    packet.src_ipaddr.af = AF_INET;
    ok = rad_packet_ok(&packet, require_ma ? 1 : 0, &reason);
    *len = packet.data_len;
    *why = (rlb_fr_reason_t)reason;
    return ok;
}

const char *
rlb_fr_reason_name(rlb_fr_reason_t why)
{
    static const char *const names[RLB_FR_MAX] = {
        [RLB_FR_OK] = "ok",
        [RLB_FR_MIN_LENGTH_PACKET] = "datagram shorter than 20 octets",
        [RLB_FR_MIN_LENGTH_FIELD] = "Length field below 20",
        [RLB_FR_MIN_LENGTH_MISMATCH] = "datagram shorter than its Length field",
        [RLB_FR_HEADER_OVERFLOW] = "attribute header overflows the packet",
        [RLB_FR_UNKNOWN_PACKET_CODE] = "unknown packet code",
        [RLB_FR_INVALID_ATTRIBUTE] = "attribute type 0",
        [RLB_FR_ATTRIBUTE_TOO_SHORT] = "attribute length below 2",
        [RLB_FR_ATTRIBUTE_OVERFLOW] = "attribute overflows the packet",
        [RLB_FR_MA_INVALID_LENGTH] = "Message-Authenticator is not 18 octets",
        [RLB_FR_ATTRIBUTE_UNDERFLOW] = "attributes do not fill the packet",
        [RLB_FR_TOO_MANY_ATTRIBUTES] = "too many attributes",
        [RLB_FR_MA_MISSING] = "Message-Authenticator missing",
        [RLB_FR_TOO_MANY_AUTH] = "EAP-Message with another authentication attribute",
    };

    return (unsigned)why < RLB_FR_MAX ? names[why] : "unknown";
}

const char *
rlb_fr_version(void)
{
    return RADIUSD_VERSION_STRING;
}
