/*
 * rlb-standin - a fast stand-in MFA backend (RADIUS over UDP) for the
 * radlb benchmark.
 *
 *   Access-Request without State, correct password:
 *       Access-Accept, or with --otp / a User-Name matching --otp-prefix:
 *       Access-Challenge with a State unique to this stand-in ("NAME:N")
 *   Access-Request with a State this stand-in issued:
 *       Access-Accept if the password is the code (123456), else Reject
 *   Access-Request with a foreign State, or a wrong password: Access-Reject
 *   Accounting-Request: Accounting-Response
 *   Status-Server: Access-Accept (auth port) / Accounting-Response (acct port)
 *
 * Replies carry Message-Authenticator first (Accept/Reject/Challenge,
 * RFC 3579 + BlastRADIUS), echo Proxy-State, and are signed with the
 * Response Authenticator. Requests are checked (Message-Authenticator
 * when present, Accounting-Request authenticator, User-Password with
 * the secret); bad ones are dropped and counted. Counters are printed
 * to stderr on SIGUSR1 and on SIGINT/SIGTERM (then exit).
 *
 * --delay answers every request (Status-Server apart) after a constant delay through a FIFO
 * byte ring (no allocation per packet); duplicates of a pending request
 * (same source, ID, authenticator) are dropped, not answered twice.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlb-common.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define BATCH 64
#define SOCK_AUTH 0
#define SOCK_ACCT 1

/* key of a pending request: source, ID, request authenticator (36 bytes,
 * no padding) */
struct pkey {
	uint8_t fam;
	uint8_t id;
	uint16_t port;
	uint8_t addr[16];
	uint8_t auth[16];
};

struct hent {
	uint64_t h; /* 0: empty */
	struct pkey k;
};

/* queued reply: header followed by len bytes, padded to 8 */
struct qhdr {
	uint64_t due;
	struct pkey k;
	uint8_t sock;
	uint8_t pad;
	uint16_t len;
};

struct counters {
	unsigned long long requests, answered, accepts, rejects, challenges, acct_responses,
		status_server, bad_msg_auth, bad_acct_auth, missing_msg_auth, wrong_password,
		otp_ok, wrong_code, unknown_state, no_password, duplicates, malformed,
		unsupported, overflow, send_errors, peak_pending;
};

static struct {
	/* options */
	const char *name;
	size_t name_len;
	const char *password;
	const char *code;
	const char *otp_prefix;
	int otp_all;
	int check;
	int require_ma;
	uint64_t delay_ns;
	size_t max_pending;
	size_t state_len;
	size_t queue_bytes;

	struct rlb_secret sec;
	int fd[2];
	int nfd;
	int epfd, tfd, sfd;

	/* delayed answers: FIFO byte ring */
	unsigned char *ring;
	size_t qcap, head, tail, wrap, qcount;
	int timer_armed;

	/* pending request set: open addressing, linear probing */
	struct hent *ht;
	size_t hmask, hcount;

	uint64_t state_counter;
	struct counters c;
} S;

static void print_counters(const char *why)
{
	const struct counters *c = &S.c;
	fprintf(stderr,
		"rlb-standin %s %s: requests=%llu answered=%llu accepts=%llu rejects=%llu "
		"challenges=%llu acct_responses=%llu status_server=%llu "
		"bad_signature=%llu bad_msg_auth=%llu bad_acct_auth=%llu missing_msg_auth=%llu "
		"wrong_password=%llu otp_ok=%llu wrong_code=%llu unknown_state=%llu "
		"no_password=%llu duplicates=%llu malformed=%llu unsupported=%llu "
		"overflow=%llu send_errors=%llu pending=%zu peak_pending=%llu\n",
		S.name, why, c->requests, c->answered, c->accepts, c->rejects, c->challenges,
		c->acct_responses, c->status_server, c->bad_msg_auth + c->bad_acct_auth,
		c->bad_msg_auth, c->bad_acct_auth, c->missing_msg_auth, c->wrong_password,
		c->otp_ok, c->wrong_code, c->unknown_state, c->no_password, c->duplicates,
		c->malformed, c->unsupported, c->overflow, c->send_errors, S.qcount,
		c->peak_pending);
	fflush(stderr);
}

/* ---- pending set ------------------------------------------------------- */
static uint64_t key_hash(const struct pkey *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	return h | 1;
}

static size_t ht_find(const struct pkey *k, uint64_t h, int *found)
{
	size_t i = h & S.hmask;
	while (S.ht[i].h) {
		if (S.ht[i].h == h && memcmp(&S.ht[i].k, k, sizeof(*k)) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & S.hmask;
	}
	*found = 0;
	return i;
}

static void ht_delete(const struct pkey *k)
{
	int found;
	uint64_t h = key_hash(k);
	size_t i = ht_find(k, h, &found);
	if (!found)
		return;
	/* backward-shift deletion keeps probe chains intact */
	size_t j = i;
	for (;;) {
		j = (j + 1) & S.hmask;
		if (!S.ht[j].h)
			break;
		size_t home = S.ht[j].h & S.hmask;
		int move = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
		if (move) {
			S.ht[i] = S.ht[j];
			i = j;
		}
	}
	S.ht[i].h = 0;
	S.hcount--;
}

/* ---- FIFO ring ---------------------------------------------------------- */
static size_t qent_size(size_t len)
{
	return (sizeof(struct qhdr) + len + 7) & ~(size_t)7;
}

static struct qhdr *q_reserve(size_t len)
{
	size_t e = qent_size(len), pos;
	if (S.qcount == 0) {
		S.head = S.tail = 0;
		S.wrap = S.qcap;
	}
	if (S.tail >= S.head) {
		if (S.tail + e <= S.qcap) {
			pos = S.tail;
			S.tail += e;
		} else if (e < S.head) {
			S.wrap = S.tail;
			pos = 0;
			S.tail = e;
		} else {
			return NULL;
		}
	} else {
		if (S.tail + e < S.head) {
			pos = S.tail;
			S.tail += e;
		} else {
			return NULL;
		}
	}
	S.qcount++;
	return (struct qhdr *)(S.ring + pos);
}

static struct qhdr *q_head(void)
{
	return S.qcount ? (struct qhdr *)(S.ring + S.head) : NULL;
}

static void q_pop(void)
{
	struct qhdr *q = q_head();
	S.head += qent_size(q->len);
	S.qcount--;
	if (S.qcount == 0) {
		S.head = S.tail = 0;
		S.wrap = S.qcap;
	} else if (S.head == S.wrap) {
		S.head = 0;
		S.wrap = S.qcap;
	}
}

static void arm_timer(uint64_t due_ns)
{
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (due_ns) {
		its.it_value.tv_sec = (time_t)(due_ns / 1000000000ull);
		its.it_value.tv_nsec = (long)(due_ns % 1000000000ull);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(S.tfd, TFD_TIMER_ABSTIME, &its, NULL);
	S.timer_armed = due_ns != 0;
}

/* ---- RADIUS logic -------------------------------------------------------- */
static int state_issued(const unsigned char *v, size_t n)
{
	if (n <= S.name_len + 1 || memcmp(v, S.name, S.name_len) != 0 || v[S.name_len] != ':')
		return 0;
	uint64_t x = 0;
	size_t digits = 0;
	while (n > S.name_len + 1 && v[n - 1] == '.') /* --state-len padding */
		n--;
	for (size_t i = S.name_len + 1; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || ++digits > 19)
			return 0;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	return x >= 1 && x <= S.state_counter;
}

static int otp_applies(const unsigned char *req, size_t len)
{
	if (S.otp_all)
		return 1;
	if (!S.otp_prefix)
		return 0;
	size_t off = rlb_attr_find(req, len, A_USER_NAME);
	size_t pl = strlen(S.otp_prefix);
	return off && (size_t)req[off + 1] - 2 >= pl && memcmp(req + off + 2, S.otp_prefix, pl) == 0;
}

/* builds the reply into out; returns its length */
static size_t build_reply(unsigned char *out, int code, const unsigned char *req, size_t reqlen,
			  const unsigned char *state, size_t state_len)
{
	size_t off = RAD_HDR_LEN, ma = 0;

	out[0] = (unsigned char)code;
	out[1] = req[1];
	memcpy(out + 4, req + 4, 16);
	if (code == RAD_ACCESS_ACCEPT || code == RAD_ACCESS_REJECT || code == RAD_ACCESS_CHALLENGE) {
		out[off] = A_MESSAGE_AUTHENTICATOR;
		out[off + 1] = 18;
		memset(out + off + 2, 0, 16);
		ma = off + 2;
		off += 18;
	}
	if (state) {
		out[off] = A_STATE;
		out[off + 1] = (unsigned char)(2 + state_len);
		memcpy(out + off + 2, state, state_len);
		off += 2 + state_len;
	}
	for (size_t a = RAD_HDR_LEN; a + 2 <= reqlen; a += req[a + 1]) {
		size_t al = req[a + 1];
		if (req[a] != A_PROXY_STATE)
			continue;
		if (off + al > RAD_MAX_LEN)
			break;
		memcpy(out + off, req + a, al);
		off += al;
	}
	out[2] = (unsigned char)(off >> 8);
	out[3] = (unsigned char)off;
	if (ma)
		rlb_pkt_hmac(&S.sec, out, off, NULL, ma, out + ma);
	unsigned char ra[16];
	rlb_pkt_authenticator(&S.sec, out, off, req + 4, ra);
	memcpy(out + 4, ra, 16);
	return off;
}

/* Decides the reply code for a request. Returns 0 to drop. For a
 * challenge, fills state/state_len. */
static int decide(int si, const unsigned char *p, size_t len, unsigned char *state,
		  size_t *state_len)
{
	static const unsigned char zero16[16];
	unsigned char mac[16];
	size_t ma_off = rlb_attr_find(p, len, A_MESSAGE_AUTHENTICATOR);

	if (ma_off && p[ma_off + 1] != 18) {
		S.c.malformed++;
		return 0;
	}
	switch (p[0]) {
	case RAD_ACCESS_REQUEST: {
		if (ma_off) {
			if (S.check) {
				rlb_pkt_hmac(&S.sec, p, len, NULL, ma_off + 2, mac);
				if (!rlb_eq16(mac, p + ma_off + 2)) {
					S.c.bad_msg_auth++;
					return 0;
				}
			}
		} else {
			S.c.missing_msg_auth++;
			if (S.require_ma)
				return 0;
		}
		size_t pw_off = rlb_attr_find(p, len, A_USER_PASSWORD);
		if (!pw_off) {
			S.c.no_password++;
			return RAD_ACCESS_REJECT;
		}
		unsigned char pw[RAD_MAX_PASSWORD];
		int pwlen = rlb_pw_decrypt(&S.sec, p + 4, p + pw_off + 2, p[pw_off + 1] - 2u, pw);
		if (pwlen < 0) {
			S.c.malformed++;
			return 0;
		}
		size_t st_off = rlb_attr_find(p, len, A_STATE);
		if (st_off) {
			if (!state_issued(p + st_off + 2, p[st_off + 1] - 2u)) {
				S.c.unknown_state++;
				return RAD_ACCESS_REJECT;
			}
			if ((size_t)pwlen == strlen(S.code) && memcmp(pw, S.code, (size_t)pwlen) == 0) {
				S.c.otp_ok++;
				return RAD_ACCESS_ACCEPT;
			}
			S.c.wrong_code++;
			return RAD_ACCESS_REJECT;
		}
		if ((size_t)pwlen != strlen(S.password) ||
		    memcmp(pw, S.password, (size_t)pwlen) != 0) {
			S.c.wrong_password++;
			return RAD_ACCESS_REJECT;
		}
		if (otp_applies(p, len)) {
			int n = snprintf((char *)state, 64, "%s:%llu", S.name,
					 (unsigned long long)++S.state_counter);
			/* --state-len: pad with '.' (real MFA servers send 16-64 octets) */
			while ((size_t)n < S.state_len)
				state[n++] = '.';
			*state_len = (size_t)n;
			return RAD_ACCESS_CHALLENGE;
		}
		return RAD_ACCESS_ACCEPT;
	}
	case RAD_ACCOUNTING_REQUEST:
		if (S.check) {
			rlb_pkt_authenticator(&S.sec, p, len, zero16, mac);
			if (!rlb_eq16(mac, p + 4)) {
				S.c.bad_acct_auth++;
				return 0;
			}
			if (ma_off) {
				rlb_pkt_hmac(&S.sec, p, len, zero16, ma_off + 2, mac);
				if (!rlb_eq16(mac, p + ma_off + 2)) {
					S.c.bad_msg_auth++;
					return 0;
				}
			}
		}
		return RAD_ACCOUNTING_RESPONSE;
	case RAD_STATUS_SERVER:
		if (!ma_off) {
			S.c.missing_msg_auth++;
			return 0;
		}
		if (S.check) {
			rlb_pkt_hmac(&S.sec, p, len, NULL, ma_off + 2, mac);
			if (!rlb_eq16(mac, p + ma_off + 2)) {
				S.c.bad_msg_auth++;
				return 0;
			}
		}
		S.c.status_server++;
		return si == SOCK_ACCT ? RAD_ACCOUNTING_RESPONSE : RAD_ACCESS_ACCEPT;
	default:
		S.c.unsupported++;
		return 0;
	}
}

static void count_code(int code)
{
	switch (code) {
	case RAD_ACCESS_ACCEPT: S.c.accepts++; break;
	case RAD_ACCESS_REJECT: S.c.rejects++; break;
	case RAD_ACCESS_CHALLENGE: S.c.challenges++; break;
	case RAD_ACCOUNTING_RESPONSE: S.c.acct_responses++; break;
	default: break;
	}
}

static void make_key(struct pkey *k, const struct sockaddr_storage *src, const unsigned char *p)
{
	memset(k, 0, sizeof(*k));
	k->fam = (uint8_t)src->ss_family;
	k->id = p[1];
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)src;
		k->port = a->sin_port;
		memcpy(k->addr, &a->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)src;
		k->port = a->sin6_port;
		memcpy(k->addr, &a->sin6_addr, 16);
	}
	memcpy(k->auth, p + 4, 16);
}

static void key_to_addr(const struct pkey *k, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (k->fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = k->port;
		memcpy(&a->sin_addr, k->addr, 4);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = k->port;
		memcpy(&a->sin6_addr, k->addr, 16);
		*sl = sizeof(*a);
	}
}

/* ---- I/O -------------------------------------------------------------- */
static unsigned char rbuf[BATCH][RAD_MAX_LEN];
static struct sockaddr_storage raddr[BATCH];
static struct iovec riov[BATCH];
static struct mmsghdr rmsg[BATCH];

static unsigned char sbuf[BATCH][RAD_MAX_LEN];
static struct sockaddr_storage saddr[2][BATCH];
static struct iovec siov[2][BATCH];
static struct mmsghdr smsg[2][BATCH];
static unsigned nsend[2];

static void flush(int si)
{
	unsigned off = 0;
	while (off < nsend[si]) {
		int r = sendmmsg(S.fd[si], smsg[si] + off, nsend[si] - off, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* drop the rest of the batch: the client will retransmit */
			S.c.send_errors += nsend[si] - off;
			break;
		}
		S.c.answered += (unsigned)r;
		off += (unsigned)r;
	}
	nsend[si] = 0;
}

static void queue_send(int si, const void *data, size_t len, const struct sockaddr_storage *to,
		       socklen_t tolen)
{
	unsigned i = nsend[si]++;
	siov[si][i].iov_base = (void *)data;
	siov[si][i].iov_len = len;
	memcpy(&saddr[si][i], to, tolen);
	memset(&smsg[si][i].msg_hdr, 0, sizeof(smsg[si][i].msg_hdr));
	smsg[si][i].msg_hdr.msg_name = &saddr[si][i];
	smsg[si][i].msg_hdr.msg_namelen = tolen;
	smsg[si][i].msg_hdr.msg_iov = &siov[si][i];
	smsg[si][i].msg_hdr.msg_iovlen = 1;
	if (nsend[si] == BATCH)
		flush(si);
}

static void handle(int si, unsigned char *p, size_t n, const struct sockaddr_storage *src,
		   socklen_t srclen, uint64_t now, unsigned slot)
{
	unsigned char state[256];
	size_t state_len = 0;
	size_t len = rlb_pkt_check(p, n);

	if (!len) {
		S.c.malformed++;
		return;
	}
	S.c.requests++;

	/* Status-Server is answered at once even in --delay mode: a real MFA
	 * server answers health checks while its logins wait on humans. */
	if (!S.delay_ns || p[0] == RAD_STATUS_SERVER) {
		int code = decide(si, p, len, state, &state_len);
		if (!code)
			return;
		count_code(code);
		/* sbuf slot index == receive slot: replies of one recv batch go
		 * out before the next recvmmsg */
		size_t rl = build_reply(sbuf[slot], code, p, len, state_len ? state : NULL,
					state_len);
		queue_send(si, sbuf[slot], rl, src, srclen);
		return;
	}

	/* delayed mode: drop duplicates of a pending request */
	struct pkey k;
	int found;
	make_key(&k, src, p);
	uint64_t h = key_hash(&k);
	size_t hi = ht_find(&k, h, &found);
	if (found) {
		S.c.duplicates++;
		return;
	}
	if (S.hcount >= S.max_pending) {
		S.c.overflow++;
		return;
	}
	int code = decide(si, p, len, state, &state_len);
	if (!code)
		return;
	unsigned char out[RAD_MAX_LEN];
	size_t rl = build_reply(out, code, p, len, state_len ? state : NULL, state_len);
	struct qhdr *q = q_reserve(rl);
	if (!q) {
		S.c.overflow++;
		return;
	}
	count_code(code);
	q->due = now + S.delay_ns;
	q->k = k;
	q->sock = (uint8_t)si;
	q->len = (uint16_t)rl;
	memcpy(q + 1, out, rl);
	S.ht[hi].h = h;
	S.ht[hi].k = k;
	S.hcount++;
	if (S.hcount > S.c.peak_pending)
		S.c.peak_pending = S.hcount;
	if (!S.timer_armed)
		arm_timer(q->due);
}

static void on_readable(int si)
{
	for (int iter = 0; iter < 16; iter++) {
		for (unsigned i = 0; i < BATCH; i++)
			rmsg[i].msg_hdr.msg_namelen = sizeof(raddr[i]);
		int n = recvmmsg(S.fd[si], rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		uint64_t now = rlb_now_ns();
		for (int i = 0; i < n; i++)
			handle(si, rbuf[i], rmsg[i].msg_len, &raddr[i], rmsg[i].msg_hdr.msg_namelen,
			       now, (unsigned)i);
		flush(si);
		if (n < BATCH)
			break;
	}
}

static void on_timer(void)
{
	uint64_t exp;
	if (read(S.tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	uint64_t now = rlb_now_ns();
	struct sockaddr_storage to;
	socklen_t tolen;
	/* Entries popped from the ring stay intact until the next push, and
	 * nothing is pushed before the batches are flushed below. */
	unsigned budget = 4096;
	struct qhdr *q;
	while ((q = q_head()) && q->due <= now && budget--) {
		key_to_addr(&q->k, &to, &tolen);
		ht_delete(&q->k);
		int si = q->sock;
		const unsigned char *data = (const unsigned char *)(q + 1);
		uint16_t len = q->len;
		q_pop();
		queue_send(si, data, len, &to, tolen);
	}
	flush(SOCK_AUTH);
	if (S.nfd > 1)
		flush(SOCK_ACCT);
	q = q_head();
	arm_timer(q ? (q->due > now ? q->due : now + 1) : 0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rlb-standin --listen ADDR:AUTHPORT[,ACCTPORT] --secret S [options]\n"
		"  --listen ADDR:AUTH[,ACCT]  UDP address (IPv4 or [IPv6]) and ports\n"
		"  --secret S         shared secret with the proxy\n"
		"  --name NAME        name, used in the OTP State (default: standin)\n"
		"  --password P       expected password (default: bench-password)\n"
		"  --code C           one-time code for the second leg (default: 123456)\n"
		"  --otp              challenge every Access-Request without State\n"
		"  --otp-prefix P     challenge only users whose User-Name starts with P\n"
		"  --delay SECONDS    answer after this delay (default 0)\n"
		"  --max-pending N    pending answers held in --delay mode (default 131072)\n"
		"  --queue-mb MB      size of the delayed-answer ring (default: from --max-pending)\n"
		"  --no-check         do not verify request authenticators (for rlb-relay)\n"
		"  --require-ma       drop Access-Requests without Message-Authenticator\n"
		"  --rcvbuf BYTES     socket receive buffer (default 8 MiB)\n"
		"  --state-len N      pad the OTP State with '.' to N octets (default: no padding,\n"
		"                     'NAME:N' is 6-14 octets)\n"
		"Counters go to stderr on SIGUSR1 and on SIGINT/SIGTERM (then exit).\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"secret", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"password", required_argument, NULL, 'p'},
		{"code", required_argument, NULL, 'c'},
		{"otp", no_argument, NULL, 'o'},
		{"otp-prefix", required_argument, NULL, 'O'},
		{"delay", required_argument, NULL, 'd'},
		{"max-pending", required_argument, NULL, 'm'},
		{"queue-mb", required_argument, NULL, 'q'},
		{"no-check", no_argument, NULL, 'N'},
		{"require-ma", no_argument, NULL, 'R'},
		{"rcvbuf", required_argument, NULL, 'b'},
		{"state-len", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen = NULL, *secret = NULL;
	double delay = 0;
	long long queue_mb = 0;
	int rcvbuf = 8 << 20;

	S.name = "standin";
	S.password = "bench-password";
	S.code = "123456";
	S.check = 1;
	S.max_pending = 131072;

	int o;
	while ((o = getopt_long(argc, argv, "l:s:n:p:c:oO:d:m:q:NRb:L:h", lopts, NULL)) != -1) {
		switch (o) {
		case 'l': listen = optarg; break;
		case 's': secret = optarg; break;
		case 'n': S.name = optarg; break;
		case 'p': S.password = optarg; break;
		case 'c': S.code = optarg; break;
		case 'o': S.otp_all = 1; break;
		case 'O': S.otp_prefix = optarg; break;
		case 'd': delay = rlb_parse_double("--delay", optarg, 0, 3600); break;
		case 'm': S.max_pending = (size_t)rlb_parse_ll("--max-pending", optarg, 1, 100000000); break;
		case 'q': queue_mb = rlb_parse_ll("--queue-mb", optarg, 1, 65536); break;
		case 'N': S.check = 0; break;
		case 'R': S.require_ma = 1; break;
		case 'b': rcvbuf = (int)rlb_parse_ll("--rcvbuf", optarg, 0, 1 << 30); break;
		case 'L': S.state_len = (size_t)rlb_parse_ll("--state-len", optarg, 1, 253); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen || !secret || optind != argc) {
		usage(stderr);
		return 2;
	}
	S.name_len = strlen(S.name);
	if (S.name_len == 0 || S.name_len > 40) {
		fprintf(stderr, "rlb-standin: --name must be 1..40 characters\n");
		return 2;
	}
	if (rlb_secret_init(&S.sec, secret) < 0) {
		fprintf(stderr, "rlb-standin: bad secret (1..%d characters)\n", RAD_MAX_SECRET);
		return 2;
	}
	if (strlen(S.password) > RAD_MAX_PASSWORD || strlen(S.code) > RAD_MAX_PASSWORD) {
		fprintf(stderr, "rlb-standin: password/code too long\n");
		return 2;
	}

	struct sockaddr_storage la;
	socklen_t lsl;
	uint16_t acct_port;
	if (rlb_parse_hostport(listen, &la, &lsl, &acct_port) < 0) {
		fprintf(stderr, "rlb-standin: bad --listen '%s'\n", listen);
		return 2;
	}
	S.fd[SOCK_AUTH] = rlb_udp_socket(la.ss_family, &la, lsl, rcvbuf, 4 << 20);
	if (S.fd[SOCK_AUTH] < 0) {
		fprintf(stderr, "rlb-standin: cannot bind %s: %s\n", listen, strerror(errno));
		return 1;
	}
	S.nfd = 1;
	if (acct_port) {
		struct sockaddr_storage aa = la;
		rlb_set_port(&aa, acct_port);
		S.fd[SOCK_ACCT] = rlb_udp_socket(aa.ss_family, &aa, lsl, rcvbuf, 4 << 20);
		if (S.fd[SOCK_ACCT] < 0) {
			fprintf(stderr, "rlb-standin: cannot bind acct port %u: %s\n", acct_port,
				strerror(errno));
			return 1;
		}
		S.nfd = 2;
	}

	S.delay_ns = (uint64_t)(delay * 1e9);
	if (S.delay_ns) {
		size_t hsize = 1024;
		while (hsize < S.max_pending * 2)
			hsize <<= 1;
		S.ht = calloc(hsize, sizeof(*S.ht));
		S.hmask = hsize - 1;
		/* default ring: 256 bytes per pending answer (header 48 + a
		 * typical reply) with a 16 MiB floor; lazily touched by the OS */
		S.qcap = queue_mb ? (size_t)queue_mb << 20 : S.max_pending * 256;
		if (!queue_mb && S.qcap < (16u << 20))
			S.qcap = 16u << 20;
		S.ring = malloc(S.qcap);
		if (!S.ht || !S.ring) {
			fprintf(stderr, "rlb-standin: out of memory\n");
			return 1;
		}
		S.wrap = S.qcap;
	}

	for (unsigned i = 0; i < BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rmsg[i].msg_hdr.msg_name = &raddr[i];
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	S.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	S.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (S.sfd < 0 || S.tfd < 0 || S.epfd < 0) {
		perror("rlb-standin: setup");
		return 1;
	}
	struct epoll_event ev = {.events = EPOLLIN};
	for (int i = 0; i < S.nfd; i++) {
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.fd[i], &ev);
	}
	ev.data.u32 = 10;
	epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.tfd, &ev);
	ev.data.u32 = 11;
	epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.sfd, &ev);

	char ab[80];
	fprintf(stderr, "rlb-standin %s: listening auth=%s acct=%u delay=%.3fs otp=%s check=%s\n",
		S.name, rlb_addr_str(&la, ab, sizeof(ab)), acct_port, delay,
		S.otp_all ? "all" : S.otp_prefix ? S.otp_prefix : "off", S.check ? "on" : "off");

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(S.epfd, evs, 8, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("rlb-standin: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			if (k < 2) {
				on_readable((int)k);
			} else if (k == 10) {
				on_timer();
			} else {
				struct signalfd_siginfo si;
				while (read(S.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGHUP) {
						print_counters("counters");
					} else {
						print_counters("final counters");
						return 0;
					}
				}
			}
		}
	}
}
