/*
 * rlb-common.h - shared helpers for the radlb benchmark tools
 * (rlb-loadgen, rlb-standin, rlb-relay).
 *
 * RADIUS packet helpers (RFC 2865/2866/3579), MD5 and HMAC-MD5 with
 * per-secret precomputed state (no allocation per packet), a fixed
 * latency histogram, address parsing and small socket helpers.
 */
#ifndef RLB_COMMON_H
#define RLB_COMMON_H

/* The low-level MD5_* API is deprecated in OpenSSL 3 but is still the
 * cheapest way to hash without any allocation: MD5_CTX is a plain struct
 * that can be copied, which lets us precompute the secret and the
 * HMAC pads once. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/md5.h>

#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ---- RADIUS constants ------------------------------------------------ */
enum {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCOUNTING_REQUEST = 4,
	RAD_ACCOUNTING_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
	RAD_STATUS_SERVER = 12,
};

enum {
	A_USER_NAME = 1,
	A_USER_PASSWORD = 2,
	A_NAS_IP_ADDRESS = 4,
	A_NAS_PORT = 5,
	A_SERVICE_TYPE = 6,
	A_REPLY_MESSAGE = 18,
	A_STATE = 24,
	A_CALLING_STATION_ID = 31,
	A_NAS_IDENTIFIER = 32,
	A_PROXY_STATE = 33,
	A_ACCT_STATUS_TYPE = 40,
	A_ACCT_DELAY_TIME = 41,
	A_ACCT_SESSION_ID = 44,
	A_ACCT_SESSION_TIME = 46,
	A_MESSAGE_AUTHENTICATOR = 80,
};

#define RAD_HDR_LEN 20
#define RAD_MAX_LEN 4096
#define RAD_MAX_SECRET 128
#define RAD_MAX_PASSWORD 128

/* ---- secrets, MD5, HMAC-MD5 ------------------------------------------ */
struct rlb_secret {
	MD5_CTX with_secret;	/* state after absorbing the secret (password hiding) */
	MD5_CTX hmac_ipad;	/* state after absorbing key ^ ipad */
	MD5_CTX hmac_opad;	/* state after absorbing key ^ opad */
	size_t len;
	unsigned char s[RAD_MAX_SECRET];
};

/* returns -1 if the secret is empty or too long */
int rlb_secret_init(struct rlb_secret *sec, const char *secret);

/*
 * MD5(code+id+length + auth + attributes + secret) where auth replaces the
 * authenticator field of pkt (Response Authenticator, Accounting-Request
 * authenticator with auth = 16 zero bytes).
 */
void rlb_pkt_authenticator(const struct rlb_secret *sec, const unsigned char *pkt,
			   size_t len, const unsigned char auth[16], unsigned char out[16]);

/*
 * HMAC-MD5(secret, packet) where the authenticator field is replaced by
 * auth (NULL: use the packet's own) and the 16 bytes of the
 * Message-Authenticator value at ma_off are taken as zero.
 */
void rlb_pkt_hmac(const struct rlb_secret *sec, const unsigned char *pkt, size_t len,
		  const unsigned char *auth, size_t ma_off, unsigned char out[16]);

/* User-Password hiding (RFC 2865 5.2). out must hold 128 bytes. Returns the
 * encrypted length (multiple of 16), or -1 if the password is too long. */
int rlb_pw_encrypt(const struct rlb_secret *sec, const unsigned char ra[16],
		   const char *pw, size_t pwlen, unsigned char *out);
/* Decrypts in place into out (len bytes, multiple of 16), returns the
 * password length with trailing NULs removed, or -1 on a bad length. */
int rlb_pw_decrypt(const struct rlb_secret *sec, const unsigned char ra[16],
		   const unsigned char *in, size_t len, unsigned char *out);

/* constant-time-ish comparison of 16 bytes */
int rlb_eq16(const unsigned char *a, const unsigned char *b);

/* ---- packet parsing --------------------------------------------------- */
/* Checks the header and the attribute chain. Returns the RADIUS length
 * (<= n), or 0 if malformed. */
size_t rlb_pkt_check(const unsigned char *pkt, size_t n);

/* Returns the offset of the first attribute of the given type, or 0. */
size_t rlb_attr_find(const unsigned char *pkt, size_t len, unsigned type);

/* ---- time ------------------------------------------------------------- */
static inline uint64_t rlb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- latency histogram (microseconds, log-linear, ~3% resolution) ------ */
#define RLB_HIST_LINEAR 64
#define RLB_HIST_SUB 32
#define RLB_HIST_BUCKETS (RLB_HIST_LINEAR + RLB_HIST_SUB * 40)

struct rlb_hist {
	uint64_t n;
	uint64_t max;
	uint64_t sum;
	uint64_t b[RLB_HIST_BUCKETS];
};

void rlb_hist_add(struct rlb_hist *h, uint64_t us);
void rlb_hist_merge(struct rlb_hist *dst, const struct rlb_hist *src);
/* p in [0,1]; returns microseconds */
uint64_t rlb_hist_pct(const struct rlb_hist *h, double p);

/* ---- addresses and sockets --------------------------------------------- */
/* Parses "ADDR:PORT[,PORT2]" (IPv4, or [IPv6]). port2 is set to 0 when
 * absent (if port2 is non-NULL). Returns 0 on success. */
int rlb_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sl,
		       uint16_t *port2);
void rlb_set_port(struct sockaddr_storage *ss, uint16_t port);
uint16_t rlb_get_port(const struct sockaddr_storage *ss);
const char *rlb_addr_str(const struct sockaddr_storage *ss, char *buf, size_t n);

/* Non-blocking UDP socket, bound to bind_addr if non-NULL (else an
 * ephemeral port of the family). rcvbuf/sndbuf in bytes (0: leave).
 * Returns the fd or -1. */
int rlb_udp_socket(int family, const struct sockaddr_storage *bind_addr, socklen_t sl,
		   int rcvbuf, int sndbuf);

/* ---- misc --------------------------------------------------------------- */
static inline uint64_t rlb_rng_next(uint64_t *s)
{
	/* splitmix64: plenty for authenticators in a benchmark */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
uint64_t rlb_rng_seed(void);

double rlb_parse_double(const char *opt, const char *s, double min, double max);
long long rlb_parse_ll(const char *opt, const char *s, long long min, long long max);

/* utime+stime of a process in clock ticks, -1 on error */
long long rlb_proc_cpu_ticks(long pid);

#endif
