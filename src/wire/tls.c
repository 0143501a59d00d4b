/*
 * tls.c: TLS contexts and fingerprints (see tls.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "tls.h"

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
rlb_tls_fp_parse(const char *text, unsigned char out[RLB_FP_LEN])
{
    const char *p = text;
    unsigned n = 0;

    if (strncasecmp(p, "sha256:", 7) == 0)
        p += 7;
    while (*p) {
        int hi, lo;

        if (*p == ':') {
            p++;
            continue;
        }
        hi = hexval((unsigned char)p[0]);
        lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);
        if (hi < 0 || lo < 0 || n == RLB_FP_LEN)
            return -1;
        out[n++] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    return n == RLB_FP_LEN ? 0 : -1;
}

const char *
rlb_tls_fp_str(const unsigned char fp[RLB_FP_LEN], char *buf)
{
    char *p = buf + 7;

    memcpy(buf, "sha256:", 7);
    for (unsigned i = 0; i < RLB_FP_LEN; i++)
        p += sprintf(p, i ? ":%02X" : "%02X", fp[i]);
    return buf;
}

static void
ossl_reason(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    snprintf(err, errlen, "%s \"%s\": %s", what, file, buf[0] ? buf : strerror(errno));
}

/* Trust comes from ca_file or from the pins (checked after the handshake):
 * the chain is still verified when ca_file is set; without it, any
 * certificate reaches the pin check, which then decides. */
static int
verify_cb(int ok, X509_STORE_CTX *store)
{
    (void)store;
    return ok;
}

static int
accept_any_cb(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

SSL_CTX *
rlb_tls_ctx_new(const struct rlb_conf_tls *t, bool server_side, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(server_side ? TLS_server_method() : TLS_client_method());
    bool have_ca = t->ca_file && t->ca_file[0];

    if (!ctx) {
        snprintf(err, errlen, "cannot create a TLS context (OpenSSL)");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx,
                                  t->min_version == RLB_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_max_early_data(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
    if (!t->certificate || !t->certificate[0]) {
        snprintf(err, errlen,
                 "tls.certificate is not set: radlb needs its own certificate for RadSec");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, t->certificate) != 1) {
        ossl_reason(err, errlen, "cannot load tls.certificate", t->certificate);
        goto fail;
    }
    if (!t->private_key || !t->private_key[0]) {
        snprintf(err, errlen, "tls.private_key is not set");
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, t->private_key, SSL_FILETYPE_PEM) != 1) {
        ossl_reason(err, errlen, "cannot load tls.private_key", t->private_key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ossl_reason(err, errlen, "tls.private_key does not match tls.certificate", t->private_key);
        goto fail;
    }
    if (have_ca) {
        if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
            ossl_reason(err, errlen, "cannot load tls.ca_file", t->ca_file);
            goto fail;
        }
        if (server_side) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->ca_file);

            if (names)
                SSL_CTX_set_client_CA_list(ctx, names);
        }
    }
    if (t->crl_file && t->crl_file[0]) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        X509_LOOKUP *lk = X509_STORE_add_lookup(store, X509_LOOKUP_file());

        if (!lk || X509_load_crl_file(lk, t->crl_file, X509_FILETYPE_PEM) <= 0) {
            ossl_reason(err, errlen, "cannot load tls.crl_file", t->crl_file);
            goto fail;
        }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server_side ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       have_ca ? verify_cb : accept_any_cb);
    SSL_CTX_set_verify_depth(ctx, 8);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

bool
rlb_tls_peer_fp(SSL *ssl, unsigned char out[RLB_FP_LEN])
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned int len = 0;
    bool ok;

    if (!cert)
        return false;
    ok = X509_digest(cert, EVP_sha256(), out, &len) == 1 && len == RLB_FP_LEN;
    X509_free(cert);
    return ok;
}

const char *
rlb_tls_error(SSL *ssl, int ret, char *buf, size_t len)
{
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = ERR_get_error();
    int se = ssl ? SSL_get_error(ssl, ret) : 0;

    if (v != X509_V_OK)
        snprintf(buf, len, "peer certificate refused: %s", X509_verify_cert_error_string(v));
    else if (e) {
        char eb[200];

        ERR_error_string_n(e, eb, sizeof(eb));
        snprintf(buf, len, "%s", eb);
    } else if (se == SSL_ERROR_SYSCALL)
        snprintf(buf, len, "%s", ret == 0 || errno == 0 ? "connection closed during the handshake"
                                                         : strerror(errno));
    else
        snprintf(buf, len, "TLS error %d", se);
    ERR_clear_error();
    return buf;
}
