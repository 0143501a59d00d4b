/*
 * rlb-common.c - shared helpers for the radlb benchmark tools.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlb-common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* ---- secrets, MD5, HMAC-MD5 ------------------------------------------ */
int rlb_secret_init(struct rlb_secret *sec, const char *secret)
{
	size_t len = strlen(secret);
	unsigned char pad[64];

	if (len == 0 || len > RAD_MAX_SECRET)
		return -1;
	memset(sec, 0, sizeof(*sec));
	memcpy(sec->s, secret, len);
	sec->len = len;

	MD5_Init(&sec->with_secret);
	MD5_Update(&sec->with_secret, sec->s, len);

	/* HMAC key: keys longer than the block size are hashed first */
	unsigned char key[64];
	memset(key, 0, sizeof(key));
	if (len > 64) {
		MD5(sec->s, len, key);
	} else {
		memcpy(key, sec->s, len);
	}
	for (int i = 0; i < 64; i++)
		pad[i] = key[i] ^ 0x36;
	MD5_Init(&sec->hmac_ipad);
	MD5_Update(&sec->hmac_ipad, pad, 64);
	for (int i = 0; i < 64; i++)
		pad[i] = key[i] ^ 0x5c;
	MD5_Init(&sec->hmac_opad);
	MD5_Update(&sec->hmac_opad, pad, 64);
	return 0;
}

void rlb_pkt_authenticator(const struct rlb_secret *sec, const unsigned char *pkt,
			   size_t len, const unsigned char auth[16], unsigned char out[16])
{
	MD5_CTX c;

	MD5_Init(&c);
	MD5_Update(&c, pkt, 4);
	MD5_Update(&c, auth, 16);
	if (len > RAD_HDR_LEN)
		MD5_Update(&c, pkt + RAD_HDR_LEN, len - RAD_HDR_LEN);
	MD5_Update(&c, sec->s, sec->len);
	MD5_Final(out, &c);
}

void rlb_pkt_hmac(const struct rlb_secret *sec, const unsigned char *pkt, size_t len,
		  const unsigned char *auth, size_t ma_off, unsigned char out[16])
{
	static const unsigned char zero[16];
	unsigned char inner[16];
	MD5_CTX c = sec->hmac_ipad;

	MD5_Update(&c, pkt, 4);
	MD5_Update(&c, auth ? auth : pkt + 4, 16);
	if (ma_off >= RAD_HDR_LEN && ma_off + 16 <= len) {
		MD5_Update(&c, pkt + RAD_HDR_LEN, ma_off - RAD_HDR_LEN);
		MD5_Update(&c, zero, 16);
		MD5_Update(&c, pkt + ma_off + 16, len - ma_off - 16);
	} else {
		MD5_Update(&c, pkt + RAD_HDR_LEN, len - RAD_HDR_LEN);
	}
	MD5_Final(inner, &c);
	c = sec->hmac_opad;
	MD5_Update(&c, inner, 16);
	MD5_Final(out, &c);
}

int rlb_pw_encrypt(const struct rlb_secret *sec, const unsigned char ra[16],
		   const char *pw, size_t pwlen, unsigned char *out)
{
	unsigned char b[16];
	size_t n = pwlen ? (pwlen + 15) & ~(size_t)15 : 16;

	if (n > RAD_MAX_PASSWORD)
		return -1;
	memset(out, 0, n);
	memcpy(out, pw, pwlen);
	const unsigned char *prev = ra;
	for (size_t off = 0; off < n; off += 16) {
		MD5_CTX c = sec->with_secret;
		MD5_Update(&c, prev, 16);
		MD5_Final(b, &c);
		for (size_t i = 0; i < 16; i++)
			out[off + i] ^= b[i];
		prev = out + off;
	}
	return (int)n;
}

int rlb_pw_decrypt(const struct rlb_secret *sec, const unsigned char ra[16],
		   const unsigned char *in, size_t len, unsigned char *out)
{
	unsigned char b[16];

	if (len == 0 || len % 16 || len > RAD_MAX_PASSWORD)
		return -1;
	const unsigned char *prev = ra;
	for (size_t off = 0; off < len; off += 16) {
		MD5_CTX c = sec->with_secret;
		MD5_Update(&c, prev, 16);
		MD5_Final(b, &c);
		for (size_t i = 0; i < 16; i++)
			out[off + i] = in[off + i] ^ b[i];
		prev = in + off;
	}
	while (len > 0 && out[len - 1] == 0)
		len--;
	return (int)len;
}

int rlb_eq16(const unsigned char *a, const unsigned char *b)
{
	unsigned char d = 0;
	for (int i = 0; i < 16; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* ---- packet parsing --------------------------------------------------- */
size_t rlb_pkt_check(const unsigned char *pkt, size_t n)
{
	if (n < RAD_HDR_LEN)
		return 0;
	size_t len = ((size_t)pkt[2] << 8) | pkt[3];
	if (len < RAD_HDR_LEN || len > n || len > RAD_MAX_LEN)
		return 0;
	for (size_t off = RAD_HDR_LEN; off < len;) {
		if (off + 2 > len)
			return 0;
		size_t al = pkt[off + 1];
		if (al < 2 || off + al > len)
			return 0;
		off += al;
	}
	return len;
}

size_t rlb_attr_find(const unsigned char *pkt, size_t len, unsigned type)
{
	for (size_t off = RAD_HDR_LEN; off + 2 <= len; off += pkt[off + 1]) {
		if (pkt[off + 1] < 2)
			return 0;
		if (pkt[off] == type)
			return off;
	}
	return 0;
}

/* ---- histogram -------------------------------------------------------- */
static unsigned hist_index(uint64_t v)
{
	if (v < RLB_HIST_LINEAR)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 6 */
	unsigned sub = (unsigned)(v >> (e - 5)) & (RLB_HIST_SUB - 1);
	unsigned idx = RLB_HIST_LINEAR + (e - 6) * RLB_HIST_SUB + sub;
	return idx < RLB_HIST_BUCKETS ? idx : RLB_HIST_BUCKETS - 1;
}

static uint64_t hist_value(unsigned idx)
{
	if (idx < RLB_HIST_LINEAR)
		return idx;
	unsigned e = 6 + (idx - RLB_HIST_LINEAR) / RLB_HIST_SUB;
	unsigned sub = (idx - RLB_HIST_LINEAR) % RLB_HIST_SUB;
	uint64_t lo = (uint64_t)(RLB_HIST_SUB + sub) << (e - 5);
	uint64_t width = (uint64_t)1 << (e - 5);
	return lo + width / 2;
}

void rlb_hist_add(struct rlb_hist *h, uint64_t us)
{
	h->b[hist_index(us)]++;
	h->n++;
	h->sum += us;
	if (us > h->max)
		h->max = us;
}

void rlb_hist_merge(struct rlb_hist *dst, const struct rlb_hist *src)
{
	for (unsigned i = 0; i < RLB_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t rlb_hist_pct(const struct rlb_hist *h, double p)
{
	if (h->n == 0)
		return 0;
	uint64_t want = (uint64_t)(p * (double)h->n + 0.5);
	if (want < 1)
		want = 1;
	if (want > h->n)
		want = h->n;
	uint64_t acc = 0;
	for (unsigned i = 0; i < RLB_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want) {
			uint64_t v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- addresses and sockets --------------------------------------------- */
int rlb_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sl,
		       uint16_t *port2)
{
	char host[128];
	const char *p;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (port2)
		*port2 = 0;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':')
			return -1;
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		p = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (!c)
			return -1;
		hl = (size_t)(c - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = 0;
		p = c + 1;
	}
	char *end;
	errno = 0;
	long port = strtol(p, &end, 10);
	if (errno || end == p || port < 0 || port > 65535)
		return -1;
	if (*end == ',') {
		const char *q = end + 1;
		long p2 = strtol(q, &end, 10);
		if (end == q || p2 < 0 || p2 > 65535 || !port2)
			return -1;
		*port2 = (uint16_t)p2;
	}
	if (*end)
		return -1;

	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a6);
		return 0;
	}
	return -1;
}

void rlb_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

uint16_t rlb_get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

const char *rlb_addr_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, rlb_get_port(ss));
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, rlb_get_port(ss));
	}
	return buf;
}

static void set_buf(int fd, int force_opt, int opt, int bytes)
{
	if (bytes <= 0)
		return;
	/* SO_*BUFFORCE (root) may exceed net.core.[rw]mem_max */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

int rlb_udp_socket(int family, const struct sockaddr_storage *bind_addr, socklen_t sl,
		   int rcvbuf, int sndbuf)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf);
	if (bind_addr) {
		if (bind(fd, (const struct sockaddr *)bind_addr, sl) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

/* ---- misc --------------------------------------------------------------- */
uint64_t rlb_rng_seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = rlb_now_ns() ^ ((uint64_t)getpid() << 32);
	return s;
}

double rlb_parse_double(const char *opt, const char *s, double min, double max)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "invalid value for %s: '%s' (expected %g..%g)\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

long long rlb_parse_ll(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "invalid value for %s: '%s' (expected %lld..%lld)\n", opt, s, min,
			max);
		exit(2);
	}
	return v;
}

long long rlb_proc_cpu_ticks(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* the command name may contain spaces: start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	/* fields after ')': 3=state ... 14=utime 15=stime (1-based in proc(5)) */
	unsigned long long ut = 0, st = 0;
	int field = 2;
	char *save = NULL;
	char *tok = strtok_r(p, " ", &save);
	while (tok) {
		field++;
		if (field == 14)
			ut = strtoull(tok, NULL, 10);
		else if (field == 15) {
			st = strtoull(tok, NULL, 10);
			return (long long)(ut + st);
		}
		tok = strtok_r(NULL, " ", &save);
	}
	return -1;
}
