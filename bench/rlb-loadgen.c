/*
 * rlb-loadgen - RADIUS load generator for the radlb benchmark.
 *
 * Closed loop (--inflight N): keeps N requests outstanding, spread over
 * as many UDP sockets as needed (at most 240 outstanding IDs of the 256
 * per socket; freed IDs are reused in FIFO order so that a late answer
 * never matches a new request). Open loop (--total N [--rate R]): sends
 * exactly N request chains, then waits for every answer or timeout.
 *
 * Flows: pap (Access-Request -> Accept), otp (Access-Request ->
 * Challenge; Access-Request with State and the code -> Accept), acct
 * (Accounting-Request Start, then Stop), mix (round robin of the three),
 * challenge (first otp legs only, each for a new user: challenges left
 * open, to fill a proxy's session table). --server2 sends the second otp
 * legs to another address (a second proxy instance sharing sessions).
 * With --total, --inflight caps the chains outstanding.
 *
 * Every reply is verified (Response Authenticator, Message-Authenticator
 * when present) unless --no-verify. Latency is from the first
 * transmission to the answer, in a fixed histogram (no per-request
 * allocation). All per-request state lives in preallocated slots.
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
#include <sys/resource.h>
#include <unistd.h>

#define MAXPKT 400
#define SOCK_CAP 240	/* outstanding requests per socket (of 256 IDs) */
#define RBATCH 64
#define SENDQ 1024
#define MAX_ROUNDS 1000

enum flow { F_PAP, F_OTP, F_ACCT, F_MIX, F_CHALLENGE };
enum leg { L_PAP, L_OTP1, L_OTP2, L_ACCT_START, L_ACCT_STOP };
static const char *flow_names[] = {"pap", "otp", "acct", "mix", "challenge"};
#define MAX_CPU_PIDS 8

struct slot {
	uint64_t t_first, t_last;
	uint64_t t_chain; /* first transmission of the chain (otp: of leg 1) */
	uint32_t user;
	uint16_t len;
	uint8_t busy, leg, dest, prev_valid;
	uint8_t auth[16];
	uint8_t prev_auth[16];
	uint8_t pkt[MAXPKT];
};

struct lsock {
	int fd;
	unsigned outstanding;
	unsigned target;
	unsigned fhead, fcount;
	uint8_t freeq[256];
	struct slot slots[256];
};

struct stats {
	uint64_t sent, retrans, answered, accept, reject, challenge, acct_response, other,
		timeouts, bad_auth, bad_ma, wrong_code, missing_ma, unmatched, late, malformed,
		send_errors, logins_ok, logins_failed, acct_ok, acct_failed;
	uint64_t challenged, not_challenged;
	struct rlb_hist h;
	struct rlb_hist h_leg1, h_leg2, h_login; /* otp: per leg, and the whole login */
};

static struct {
	/* options */
	struct sockaddr_storage dst[3]; /* auth, acct, auth for second otp legs (--server2) */
	int have_server2;
	socklen_t dstlen;
	struct rlb_secret sec;
	enum flow flow;
	unsigned inflight;
	int inflight_set; /* open loop: --inflight caps the chains outstanding */
	double duration;
	unsigned rounds;
	uint64_t retransmit_ns, timeout_ns;
	uint64_t total;
	double rate;
	int json, no_verify, no_ma, probe, quiet;
	const char *password, *code;
	long cpu_pids[MAX_CPU_PIDS];
	unsigned ncpu_pids;
	int rcvbuf;
	unsigned nsock_opt;

	/* state */
	struct lsock *socks;
	unsigned nsock;
	int epfd;
	uint64_t rng;
	uint32_t user_counter;
	unsigned mix_counter;
	uint64_t outstanding;
	uint64_t chains_started, chains_done;
	int running; /* closed loop: start new chains */
	volatile sig_atomic_t interrupted;

	struct stats cur, tot;
	struct stats *round_stats;
	double *round_secs;
	long long *round_cpu;
	unsigned nrounds_done;
} G;

/* ---- sending ------------------------------------------------------------ */
struct sendent {
	struct lsock *s;
	uint8_t id;
};
static struct sendent sendq[SENDQ];
static unsigned nsendq;
static struct mmsghdr smsg[SENDQ];
static struct iovec siov[SENDQ];

static void flush_sends(void)
{
	unsigned i = 0;
	while (i < nsendq) {
		struct lsock *s = sendq[i].s;
		unsigned j = i;
		while (j < nsendq && sendq[j].s == s) {
			struct slot *sl = &s->slots[sendq[j].id];
			siov[j].iov_base = sl->pkt;
			siov[j].iov_len = sl->len;
			memset(&smsg[j].msg_hdr, 0, sizeof(smsg[j].msg_hdr));
			smsg[j].msg_hdr.msg_name = &G.dst[sl->dest];
			smsg[j].msg_hdr.msg_namelen = G.dstlen;
			smsg[j].msg_hdr.msg_iov = &siov[j];
			smsg[j].msg_hdr.msg_iovlen = 1;
			j++;
		}
		unsigned off = i;
		while (off < j) {
			int r = sendmmsg(s->fd, smsg + off, j - off, MSG_DONTWAIT);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* the request stays outstanding: retransmission
				 * or the timeout takes care of it */
				G.cur.send_errors += j - off;
				break;
			}
			off += (unsigned)r;
		}
		i = j;
	}
	nsendq = 0;
}

static void enqueue_send(struct lsock *s, uint8_t id)
{
	if (nsendq == SENDQ)
		flush_sends();
	sendq[nsendq].s = s;
	sendq[nsendq].id = id;
	nsendq++;
}

/* ---- packet building ------------------------------------------------------ */
static unsigned char *put_attr(unsigned char *p, unsigned type, const void *v, size_t len)
{
	p[0] = (unsigned char)type;
	p[1] = (unsigned char)(len + 2);
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

static unsigned char *put_u32(unsigned char *p, unsigned type, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};
	return put_attr(p, type, b, 4);
}

static size_t fmt_name(char *out, const char *prefix, uint32_t v)
{
	char tmp[12];
	size_t n = 0, pl = strlen(prefix);
	memcpy(out, prefix, pl);
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[pl + i] = tmp[n - 1 - i];
	return pl + n;
}

static int alloc_id(struct lsock *s)
{
	if (!s->fcount)
		return -1;
	int id = s->freeq[s->fhead];
	s->fhead = (s->fhead + 1) & 255;
	s->fcount--;
	return id;
}

static void free_id(struct lsock *s, uint8_t id)
{
	s->freeq[(s->fhead + s->fcount) & 255] = id;
	s->fcount++;
}

/* Starts one request (a leg of a chain) on socket s. */
static int start_leg(struct lsock *s, int leg, uint32_t user, const unsigned char *state,
		     size_t state_len, uint64_t now, uint64_t t_chain)
{
	int id = alloc_id(s);
	if (id < 0)
		return -1;
	struct slot *sl = &s->slots[id];
	unsigned char *p = sl->pkt, *a = p + RAD_HDR_LEN;
	static const unsigned char nas_ip[4] = {127, 0, 0, 1};
	char name[48];
	size_t ma_off = 0;

	if (sl->len) { /* keep the previous request to recognise late answers */
		memcpy(sl->prev_auth, sl->auth, 16);
		sl->prev_valid = 1;
	}
	p[1] = (unsigned char)id;
	if (leg == L_ACCT_START || leg == L_ACCT_STOP) {
		p[0] = RAD_ACCOUNTING_REQUEST;
		a = put_attr(a, A_USER_NAME, name, fmt_name(name, "acct-", user));
		a = put_u32(a, A_ACCT_STATUS_TYPE, leg == L_ACCT_START ? 1 : 2);
		a = put_attr(a, A_ACCT_SESSION_ID, name, fmt_name(name, "rlb-session-", user));
		a = put_attr(a, A_NAS_IP_ADDRESS, nas_ip, 4);
		a = put_u32(a, A_NAS_PORT, user);
		a = put_u32(a, A_ACCT_DELAY_TIME, 0);
		if (leg == L_ACCT_STOP)
			a = put_u32(a, A_ACCT_SESSION_TIME, 1);
		size_t len = (size_t)(a - p);
		p[2] = (unsigned char)(len >> 8);
		p[3] = (unsigned char)len;
		static const unsigned char zero16[16];
		rlb_pkt_authenticator(&G.sec, p, len, zero16, sl->auth);
		memcpy(p + 4, sl->auth, 16);
		sl->len = (uint16_t)len;
		sl->dest = 1;
	} else {
		p[0] = RAD_ACCESS_REQUEST;
		uint64_t r1 = rlb_rng_next(&G.rng), r2 = rlb_rng_next(&G.rng);
		memcpy(sl->auth, &r1, 8);
		memcpy(sl->auth + 8, &r2, 8);
		memcpy(p + 4, sl->auth, 16);
		if (!G.no_ma) {
			a[0] = A_MESSAGE_AUTHENTICATOR;
			a[1] = 18;
			memset(a + 2, 0, 16);
			ma_off = (size_t)(a - p) + 2;
			a += 18;
		}
		a = put_attr(a, A_USER_NAME, name,
			     fmt_name(name, leg == L_PAP ? "pap-" : "otp-", user));
		const char *pw = leg == L_OTP2 ? G.code : G.password;
		unsigned char enc[RAD_MAX_PASSWORD];
		int el = rlb_pw_encrypt(&G.sec, sl->auth, pw, strlen(pw), enc);
		a = put_attr(a, A_USER_PASSWORD, enc, (size_t)el);
		a = put_attr(a, A_NAS_IP_ADDRESS, nas_ip, 4);
		a = put_u32(a, A_NAS_PORT, user);
		a = put_attr(a, A_NAS_IDENTIFIER, "rlb-loadgen", 11);
		if (state && state_len)
			a = put_attr(a, A_STATE, state, state_len);
		size_t len = (size_t)(a - p);
		p[2] = (unsigned char)(len >> 8);
		p[3] = (unsigned char)len;
		if (ma_off)
			rlb_pkt_hmac(&G.sec, p, len, NULL, ma_off, p + ma_off);
		sl->len = (uint16_t)len;
		sl->dest = leg == L_OTP2 && G.have_server2 ? 2 : 0;
	}
	sl->busy = 1;
	sl->leg = (uint8_t)leg;
	sl->user = user;
	sl->t_first = sl->t_last = now;
	sl->t_chain = t_chain;
	s->outstanding++;
	G.outstanding++;
	G.cur.sent++;
	enqueue_send(s, (uint8_t)id);
	return 0;
}

static int start_chain(struct lsock *s, uint64_t now)
{
	enum flow f = G.flow;
	if (f == F_MIX)
		f = (enum flow)(G.mix_counter++ % 3);
	int leg = f == F_PAP ? L_PAP : (f == F_OTP || f == F_CHALLENGE) ? L_OTP1 : L_ACCT_START;
	if (start_leg(s, leg, ++G.user_counter, NULL, 0, now, now) < 0)
		return -1;
	G.chains_started++;
	return 0;
}

static void chain_done(struct lsock *s, uint64_t now)
{
	G.chains_done++;
	if (G.running && !G.total)
		start_chain(s, now);
}

static void release(struct lsock *s, struct slot *sl)
{
	sl->busy = 0;
	free_id(s, (uint8_t)(sl - s->slots));
	s->outstanding--;
	G.outstanding--;
}

/* ---- replies ---------------------------------------------------------------- */
static int verify_reply(const unsigned char *p, size_t len, const unsigned char *req_auth)
{
	unsigned char a[16];
	rlb_pkt_authenticator(&G.sec, p, len, req_auth, a);
	return rlb_eq16(a, p + 4);
}

static void on_reply(struct lsock *s, const unsigned char *p, size_t n, uint64_t now)
{
	size_t len = rlb_pkt_check(p, n);
	if (!len) {
		G.cur.malformed++;
		return;
	}
	struct slot *sl = &s->slots[p[1]];
	if (!sl->busy) {
		G.cur.unmatched++;
		return;
	}
	int code = p[0];
	if (!G.no_verify) {
		if (!verify_reply(p, len, sl->auth)) {
			if (sl->prev_valid && verify_reply(p, len, sl->prev_auth))
				G.cur.late++;
			else
				G.cur.bad_auth++;
			return;
		}
		size_t ma = rlb_attr_find(p, len, A_MESSAGE_AUTHENTICATOR);
		if (ma) {
			unsigned char mac[16];
			if (p[ma + 1] != 18) {
				G.cur.bad_ma++;
				return;
			}
			rlb_pkt_hmac(&G.sec, p, len, sl->auth, ma + 2, mac);
			if (!rlb_eq16(mac, p + ma + 2)) {
				G.cur.bad_ma++;
				return;
			}
		} else if (code == RAD_ACCESS_ACCEPT || code == RAD_ACCESS_REJECT ||
			   code == RAD_ACCESS_CHALLENGE) {
			G.cur.missing_ma++;
		}
	}
	int acct_leg = sl->leg == L_ACCT_START || sl->leg == L_ACCT_STOP;
	int ok_code = acct_leg ? code == RAD_ACCOUNTING_RESPONSE
			       : (code == RAD_ACCESS_ACCEPT || code == RAD_ACCESS_REJECT ||
				  code == RAD_ACCESS_CHALLENGE);
	if (!ok_code) {
		/* a NAS discards it; the request will time out */
		G.cur.wrong_code++;
		return;
	}
	uint64_t lat = now > sl->t_first ? (now - sl->t_first) / 1000 : 0;
	rlb_hist_add(&G.cur.h, lat);
	G.cur.answered++;
	switch (code) {
	case RAD_ACCESS_ACCEPT: G.cur.accept++; break;
	case RAD_ACCESS_REJECT: G.cur.reject++; break;
	case RAD_ACCESS_CHALLENGE: G.cur.challenge++; break;
	case RAD_ACCOUNTING_RESPONSE: G.cur.acct_response++; break;
	default: G.cur.other++; break;
	}
	int leg = sl->leg;
	uint32_t user = sl->user;
	uint64_t t_chain = sl->t_chain;
	if (leg == L_OTP1)
		rlb_hist_add(&G.cur.h_leg1, lat);
	else if (leg == L_OTP2)
		rlb_hist_add(&G.cur.h_leg2, lat);
	release(s, sl);
	switch (leg) {
	case L_PAP:
	case L_OTP2:
		if (code == RAD_ACCESS_ACCEPT)
			G.cur.logins_ok++;
		else
			G.cur.logins_failed++;
		if (leg == L_OTP2)
			rlb_hist_add(&G.cur.h_login, now > t_chain ? (now - t_chain) / 1000 : 0);
		chain_done(s, now);
		break;
	case L_OTP1:
		if (G.flow == F_CHALLENGE) {
			/* first legs only: the challenge stays open */
			if (code == RAD_ACCESS_CHALLENGE && rlb_attr_find(p, len, A_STATE))
				G.cur.challenged++;
			else
				G.cur.not_challenged++;
			chain_done(s, now);
			break;
		}
		if (code == RAD_ACCESS_CHALLENGE) {
			size_t st = rlb_attr_find(p, len, A_STATE);
			if (st && p[st + 1] > 2 &&
			    start_leg(s, L_OTP2, user, p + st + 2, p[st + 1] - 2u, now, t_chain) == 0)
				break;
		}
		if (code == RAD_ACCESS_ACCEPT)
			G.cur.logins_ok++;
		else
			G.cur.logins_failed++;
		chain_done(s, now);
		break;
	case L_ACCT_START:
		if (start_leg(s, L_ACCT_STOP, user, NULL, 0, now, now) == 0)
			break;
		G.cur.acct_failed++;
		chain_done(s, now);
		break;
	case L_ACCT_STOP:
		G.cur.acct_ok++;
		chain_done(s, now);
		break;
	}
}

static unsigned char rbuf[RBATCH][RAD_MAX_LEN];
static struct iovec riov[RBATCH];
static struct mmsghdr rmsg[RBATCH];

static void on_readable(struct lsock *s)
{
	for (int iter = 0; iter < 8; iter++) {
		int n = recvmmsg(s->fd, rmsg, RBATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		uint64_t now = rlb_now_ns();
		for (int i = 0; i < n; i++)
			on_reply(s, rbuf[i], rmsg[i].msg_len, now);
		if (n < RBATCH)
			break;
	}
}

/* ---- timers ---------------------------------------------------------------- */
static void scan(uint64_t now)
{
	for (unsigned k = 0; k < G.nsock; k++) {
		struct lsock *s = &G.socks[k];
		if (!s->outstanding)
			continue;
		for (unsigned id = 0; id < 256; id++) {
			struct slot *sl = &s->slots[id];
			if (!sl->busy)
				continue;
			if (now - sl->t_first >= G.timeout_ns) {
				G.cur.timeouts++;
				if (sl->leg == L_ACCT_START || sl->leg == L_ACCT_STOP)
					G.cur.acct_failed++;
				else if (G.flow == F_CHALLENGE)
					G.cur.not_challenged++;
				else
					G.cur.logins_failed++;
				release(s, sl);
				chain_done(s, now);
			} else if (G.retransmit_ns && now - sl->t_last >= G.retransmit_ns) {
				sl->t_last = now;
				G.cur.retrans++;
				enqueue_send(s, (uint8_t)id);
			}
		}
	}
}

/* ---- statistics ---------------------------------------------------------------- */
static void stats_merge(struct stats *d, const struct stats *s)
{
	d->sent += s->sent;
	d->retrans += s->retrans;
	d->answered += s->answered;
	d->accept += s->accept;
	d->reject += s->reject;
	d->challenge += s->challenge;
	d->acct_response += s->acct_response;
	d->other += s->other;
	d->timeouts += s->timeouts;
	d->bad_auth += s->bad_auth;
	d->bad_ma += s->bad_ma;
	d->wrong_code += s->wrong_code;
	d->missing_ma += s->missing_ma;
	d->unmatched += s->unmatched;
	d->late += s->late;
	d->malformed += s->malformed;
	d->send_errors += s->send_errors;
	d->logins_ok += s->logins_ok;
	d->logins_failed += s->logins_failed;
	d->acct_ok += s->acct_ok;
	d->acct_failed += s->acct_failed;
	d->challenged += s->challenged;
	d->not_challenged += s->not_challenged;
	rlb_hist_merge(&d->h, &s->h);
	rlb_hist_merge(&d->h_leg1, &s->h_leg1);
	rlb_hist_merge(&d->h_leg2, &s->h_leg2);
	rlb_hist_merge(&d->h_login, &s->h_login);
}

static uint64_t bad_total(const struct stats *s)
{
	return s->bad_auth + s->bad_ma + s->wrong_code + s->malformed;
}

static double cpu_us_per_req(long long ticks, uint64_t answered)
{
	if (ticks < 0 || !answered)
		return -1;
	return (double)ticks * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)answered;
}

static void print_json_stats(const struct stats *s, double secs, long long cpu_ticks)
{
	printf("\"sent\":%llu,\"answered\":%llu,\"accept\":%llu,\"reject\":%llu,"
	       "\"challenge\":%llu,\"acct_response\":%llu,\"other\":%llu,"
	       "\"retransmits\":%llu,\"timeouts\":%llu,\"bad\":%llu,"
	       "\"bad_authenticator\":%llu,\"bad_message_authenticator\":%llu,"
	       "\"wrong_code\":%llu,\"malformed\":%llu,\"missing_message_authenticator\":%llu,"
	       "\"unmatched\":%llu,\"late\":%llu,\"send_errors\":%llu,"
	       "\"logins_ok\":%llu,\"logins_failed\":%llu,\"acct_sessions\":%llu,"
	       "\"acct_failed\":%llu,\"seconds\":%.3f,\"rate\":%.1f,"
	       "\"p50_us\":%llu,\"p90_us\":%llu,\"p99_us\":%llu,\"max_us\":%llu",
	       (unsigned long long)s->sent, (unsigned long long)s->answered,
	       (unsigned long long)s->accept, (unsigned long long)s->reject,
	       (unsigned long long)s->challenge, (unsigned long long)s->acct_response,
	       (unsigned long long)s->other, (unsigned long long)s->retrans,
	       (unsigned long long)s->timeouts, (unsigned long long)bad_total(s),
	       (unsigned long long)s->bad_auth, (unsigned long long)s->bad_ma,
	       (unsigned long long)s->wrong_code, (unsigned long long)s->malformed,
	       (unsigned long long)s->missing_ma, (unsigned long long)s->unmatched,
	       (unsigned long long)s->late, (unsigned long long)s->send_errors,
	       (unsigned long long)s->logins_ok, (unsigned long long)s->logins_failed,
	       (unsigned long long)s->acct_ok, (unsigned long long)s->acct_failed, secs,
	       secs > 0 ? (double)s->answered / secs : 0.0,
	       (unsigned long long)rlb_hist_pct(&s->h, 0.50),
	       (unsigned long long)rlb_hist_pct(&s->h, 0.90),
	       (unsigned long long)rlb_hist_pct(&s->h, 0.99), (unsigned long long)s->h.max);
	printf(",\"challenged\":%llu,\"not_challenged\":%llu,"
	       "\"leg1_p50_us\":%llu,\"leg1_p99_us\":%llu,\"leg2_p50_us\":%llu,\"leg2_p99_us\":%llu,"
	       "\"login_p50_us\":%llu,\"login_p99_us\":%llu",
	       (unsigned long long)s->challenged, (unsigned long long)s->not_challenged,
	       (unsigned long long)rlb_hist_pct(&s->h_leg1, 0.50),
	       (unsigned long long)rlb_hist_pct(&s->h_leg1, 0.99),
	       (unsigned long long)rlb_hist_pct(&s->h_leg2, 0.50),
	       (unsigned long long)rlb_hist_pct(&s->h_leg2, 0.99),
	       (unsigned long long)rlb_hist_pct(&s->h_login, 0.50),
	       (unsigned long long)rlb_hist_pct(&s->h_login, 0.99));
	double c = cpu_us_per_req(cpu_ticks, s->answered);
	if (c >= 0)
		printf(",\"cpu_us_per_req\":%.2f", c);
}

static void fmt_us(char *b, size_t n, uint64_t us)
{
	if (us < 10000)
		snprintf(b, n, "%.2fms", (double)us / 1000.0);
	else
		snprintf(b, n, "%.0fms", (double)us / 1000.0);
}

static void print_text_stats(const char *label, const struct stats *s, double secs,
			     long long cpu_ticks)
{
	char p50[16], p90[16], p99[16], mx[16];
	fmt_us(p50, sizeof(p50), rlb_hist_pct(&s->h, 0.50));
	fmt_us(p90, sizeof(p90), rlb_hist_pct(&s->h, 0.90));
	fmt_us(p99, sizeof(p99), rlb_hist_pct(&s->h, 0.99));
	fmt_us(mx, sizeof(mx), s->h.max);
	printf("%-8s %6.2fs sent %llu answered %llu (%.0f/s) accept %llu reject %llu "
	       "challenge %llu acct-resp %llu | retrans %llu timeouts %llu bad %llu | "
	       "p50 %s p90 %s p99 %s max %s",
	       label, secs, (unsigned long long)s->sent, (unsigned long long)s->answered,
	       secs > 0 ? (double)s->answered / secs : 0.0, (unsigned long long)s->accept,
	       (unsigned long long)s->reject, (unsigned long long)s->challenge,
	       (unsigned long long)s->acct_response, (unsigned long long)s->retrans,
	       (unsigned long long)s->timeouts, (unsigned long long)bad_total(s), p50, p90,
	       p99, mx);
	double c = cpu_us_per_req(cpu_ticks, s->answered);
	if (c >= 0)
		printf(" | proxy cpu %.1f us/req", c);
	printf("\n");
	if (s->h_leg1.n || s->h_leg2.n) {
		char a[16], b[16], c2[16], d[16], e[16], f[16];
		fmt_us(a, sizeof(a), rlb_hist_pct(&s->h_leg1, 0.50));
		fmt_us(b, sizeof(b), rlb_hist_pct(&s->h_leg1, 0.99));
		fmt_us(c2, sizeof(c2), rlb_hist_pct(&s->h_leg2, 0.50));
		fmt_us(d, sizeof(d), rlb_hist_pct(&s->h_leg2, 0.99));
		fmt_us(e, sizeof(e), rlb_hist_pct(&s->h_login, 0.50));
		fmt_us(f, sizeof(f), rlb_hist_pct(&s->h_login, 0.99));
		printf("         otp leg 1 p50 %s p99 %s | leg 2 p50 %s p99 %s | login p50 %s p99 %s\n",
		       a, b, c2, d, e, f);
	}
}

static void print_report(double total_secs, long long total_cpu)
{
	const struct stats *t = &G.tot;
	if (G.json) {
		printf("{\"flow\":\"%s\",\"mode\":\"%s\",\"inflight\":%u,\"total_chains\":%llu,"
		       "\"sockets\":%u,\"verify\":%s,\n \"rounds\":[",
		       flow_names[G.flow], G.total ? "open" : "closed", G.inflight,
		       (unsigned long long)G.total, G.nsock, G.no_verify ? "false" : "true");
		for (unsigned r = 0; r < G.nrounds_done; r++) {
			printf("%s\n  {\"round\":%u,", r ? "," : "", r + 1);
			print_json_stats(&G.round_stats[r], G.round_secs[r], G.round_cpu[r]);
			printf("}");
		}
		printf("],\n \"total\":{");
		print_json_stats(t, total_secs, total_cpu);
		printf(",\"answered_pct\":%.3f}}\n",
		       G.chains_started ? 100.0 * (double)(G.chains_started -
							    (t->timeouts > G.chains_started
								     ? G.chains_started
								     : t->timeouts)) /
						 (double)G.chains_started
					: 0.0);
		return;
	}
	printf("rlb-loadgen: flow %s, %s, %u socket(s)%s\n", flow_names[G.flow],
	       G.total ? "open loop" : "closed loop", G.nsock,
	       G.no_verify ? ", replies NOT verified" : "");
	for (unsigned r = 0; r < G.nrounds_done; r++) {
		char label[24];
		snprintf(label, sizeof(label), "round %u", r + 1);
		print_text_stats(label, &G.round_stats[r], G.round_secs[r], G.round_cpu[r]);
	}
	print_text_stats("total", t, total_secs, total_cpu);
	if (G.flow == F_CHALLENGE)
		printf("         challenges received %llu, first legs not challenged (or timed out) %llu\n",
		       (unsigned long long)t->challenged, (unsigned long long)t->not_challenged);
	printf("         logins ok %llu failed %llu | acct sessions %llu failed %llu | "
	       "bad authenticator %llu bad msg-auth %llu wrong code %llu malformed %llu | "
	       "missing msg-auth %llu unmatched %llu late %llu send errors %llu\n",
	       (unsigned long long)t->logins_ok, (unsigned long long)t->logins_failed,
	       (unsigned long long)t->acct_ok, (unsigned long long)t->acct_failed,
	       (unsigned long long)t->bad_auth, (unsigned long long)t->bad_ma,
	       (unsigned long long)t->wrong_code, (unsigned long long)t->malformed,
	       (unsigned long long)t->missing_ma, (unsigned long long)t->unmatched,
	       (unsigned long long)t->late, (unsigned long long)t->send_errors);
}

/* ---- utilities ----------------------------------------------------------------- */
static int free_ports(unsigned n)
{
	uint64_t rng = rlb_rng_seed();
	unsigned found = 0, tries = 0;
	uint16_t got[256];
	if (n == 0 || n > 256)
		return 2;
	/* below the ephemeral range (32768+) so that no client socket grabs
	 * the port between now and the proxy's bind */
	while (found < n && tries++ < 100000) {
		uint16_t port = (uint16_t)(20000 + rlb_rng_next(&rng) % 12000);
		int dup = 0;
		for (unsigned i = 0; i < found; i++)
			dup |= got[i] == port;
		if (dup)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl;
		char buf[32];
		snprintf(buf, sizeof(buf), "127.0.0.1:%u", port);
		rlb_parse_hostport(buf, &ss, &sl, NULL);
		int fd = rlb_udp_socket(AF_INET, &ss, sl, 0, 0);
		if (fd < 0)
			continue;
		close(fd);
		got[found++] = port;
	}
	if (found < n)
		return 1;
	for (unsigned i = 0; i < n; i++)
		printf("%u%s", got[i], i + 1 < n ? " " : "\n");
	return 0;
}

/* utime+stime of the --cpu-pid processes (summed), -1 if none or one is gone */
static long long cpu_ticks_now(void)
{
	long long sum = 0;
	if (!G.ncpu_pids)
		return -1;
	for (unsigned i = 0; i < G.ncpu_pids; i++) {
		long long t = rlb_proc_cpu_ticks(G.cpu_pids[i]);
		if (t < 0)
			return -1;
		sum += t;
	}
	return sum;
}

static void on_signal(int sig)
{
	(void)sig;
	G.interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rlb-loadgen --server ADDR:AUTHPORT[,ACCTPORT] --secret S [options]\n"
		"  --flow F           request flow (default pap): pap, otp (two legs: challenge,\n"
		"                     then State + code), acct, mix, challenge (first otp legs\n"
		"                     only: distinct users, challenges left open)\n"
		"  --server2 ADDR:PORT\n"
		"                     send the second otp legs there (another proxy instance)\n"
		"  --inflight N       closed loop: N requests outstanding (default 128);\n"
		"                     with --total: at most N outstanding (default: no cap)\n"
		"  --duration S       seconds per round (default 3)\n"
		"  --rounds K         rounds, each reported (default 1)\n"
		"  --total N          open loop: send N request chains, wait for all\n"
		"  --rate R           open loop: chains per second (default: unlimited)\n"
		"  --retransmit S     re-send the identical packet after S seconds (default off)\n"
		"  --timeout S        give up on a request after S seconds (default 5)\n"
		"  --password P       PAP password (default bench-password)\n"
		"  --code C           OTP code of the second leg (default 123456)\n"
		"  --no-ma            no Message-Authenticator in Access-Requests\n"
		"  --no-verify        do not verify replies (for rlb-relay)\n"
		"  --sockets N        number of UDP sockets (default: from --inflight/--total)\n"
		"  --cpu-pid PID[,PID...]\n"
		"                     report CPU us per answered request of these processes\n"
		"                     (summed), per round\n"
		"  --json             JSON output\n"
		"  --probe            send one request (retransmit every 0.2 s) until --timeout;\n"
		"                     exit status 0 if it was answered\n"
		"  --free-ports N     print N free UDP ports on 127.0.0.1 and exit\n"
		"With a single port, accounting goes to the same port as authentication.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"server", required_argument, NULL, 'S'},
		{"server2", required_argument, NULL, '2'},
		{"secret", required_argument, NULL, 's'},
		{"flow", required_argument, NULL, 'f'},
		{"inflight", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"rounds", required_argument, NULL, 'r'},
		{"total", required_argument, NULL, 'T'},
		{"rate", required_argument, NULL, 'R'},
		{"retransmit", required_argument, NULL, 'x'},
		{"timeout", required_argument, NULL, 't'},
		{"password", required_argument, NULL, 'p'},
		{"code", required_argument, NULL, 'c'},
		{"no-ma", no_argument, NULL, 'M'},
		{"no-verify", no_argument, NULL, 'V'},
		{"sockets", required_argument, NULL, 'k'},
		{"cpu-pid", required_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{"probe", no_argument, NULL, 'b'},
		{"free-ports", required_argument, NULL, 'F'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *server2 = NULL, *secret = NULL;
	double retransmit = 0, timeout = 5;
	int have_retransmit = 0;

	G.flow = F_PAP;
	G.inflight = 128;
	G.duration = 3;
	G.rounds = 1;
	G.password = "bench-password";
	G.code = "123456";
	G.rcvbuf = 4 << 20;

	int o;
	while ((o = getopt_long(argc, argv, "S:2:s:f:i:d:r:T:R:x:t:p:c:MVk:P:jbF:qh", lopts, NULL)) !=
	       -1) {
		switch (o) {
		case 'S': server = optarg; break;
		case '2': server2 = optarg; break;
		case 's': secret = optarg; break;
		case 'f':
			if (!strcmp(optarg, "pap"))
				G.flow = F_PAP;
			else if (!strcmp(optarg, "otp"))
				G.flow = F_OTP;
			else if (!strcmp(optarg, "acct"))
				G.flow = F_ACCT;
			else if (!strcmp(optarg, "mix"))
				G.flow = F_MIX;
			else if (!strcmp(optarg, "challenge"))
				G.flow = F_CHALLENGE;
			else {
				fprintf(stderr, "rlb-loadgen: unknown flow '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			G.inflight = (unsigned)rlb_parse_ll("--inflight", optarg, 1, 10000000);
			G.inflight_set = 1;
			break;
		case 'd': G.duration = rlb_parse_double("--duration", optarg, 0.01, 86400); break;
		case 'r': G.rounds = (unsigned)rlb_parse_ll("--rounds", optarg, 1, MAX_ROUNDS); break;
		case 'T': G.total = (uint64_t)rlb_parse_ll("--total", optarg, 1, 1000000000); break;
		case 'R': G.rate = rlb_parse_double("--rate", optarg, 0, 1e9); break;
		case 'x':
			retransmit = rlb_parse_double("--retransmit", optarg, 0, 3600);
			have_retransmit = 1;
			break;
		case 't': timeout = rlb_parse_double("--timeout", optarg, 0.01, 86400); break;
		case 'p': G.password = optarg; break;
		case 'c': G.code = optarg; break;
		case 'M': G.no_ma = 1; break;
		case 'V': G.no_verify = 1; break;
		case 'k': G.nsock_opt = (unsigned)rlb_parse_ll("--sockets", optarg, 1, 100000); break;
		case 'P': {
			char buf[256], *save = NULL;
			snprintf(buf, sizeof(buf), "%s", optarg);
			G.ncpu_pids = 0;
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (G.ncpu_pids == MAX_CPU_PIDS) {
					fprintf(stderr, "rlb-loadgen: at most %d --cpu-pid PIDs\n", MAX_CPU_PIDS);
					return 2;
				}
				G.cpu_pids[G.ncpu_pids++] = (long)rlb_parse_ll("--cpu-pid", t, 1, 1 << 30);
			}
			break;
		}
		case 'j': G.json = 1; break;
		case 'b': G.probe = 1; break;
		case 'F': return free_ports((unsigned)rlb_parse_ll("--free-ports", optarg, 1, 256));
		case 'q': G.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!server || !secret || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (rlb_secret_init(&G.sec, secret) < 0) {
		fprintf(stderr, "rlb-loadgen: bad secret\n");
		return 2;
	}
	if (strlen(G.password) > 64 || strlen(G.code) > 64) {
		fprintf(stderr, "rlb-loadgen: password/code too long (max 64)\n");
		return 2;
	}
	uint16_t acct_port;
	if (rlb_parse_hostport(server, &G.dst[0], &G.dstlen, &acct_port) < 0) {
		fprintf(stderr, "rlb-loadgen: bad --server '%s'\n", server);
		return 2;
	}
	G.dst[1] = G.dst[0];
	if (acct_port)
		rlb_set_port(&G.dst[1], acct_port);
	if (server2) {
		socklen_t sl2;
		if (rlb_parse_hostport(server2, &G.dst[2], &sl2, NULL) < 0 || sl2 != G.dstlen ||
		    G.dst[2].ss_family != G.dst[0].ss_family) {
			fprintf(stderr, "rlb-loadgen: bad --server2 '%s' (same address family as --server)\n",
				server2);
			return 2;
		}
		G.have_server2 = 1;
	}

	if (G.probe) {
		G.total = 1;
		G.rate = 0;
		if (!have_retransmit)
			retransmit = 0.2;
	}
	G.retransmit_ns = (uint64_t)(retransmit * 1e9);
	G.timeout_ns = (uint64_t)(timeout * 1e9);

	/* sockets */
	/* open loop with --inflight: at most that many chains outstanding */
	uint64_t want = G.total ? G.total : G.inflight;
	if (G.total && G.inflight_set && G.inflight < want)
		want = G.inflight;
	G.nsock = G.nsock_opt ? G.nsock_opt : (unsigned)((want + SOCK_CAP - 1) / SOCK_CAP);
	if (G.nsock > 4096)
		G.nsock = 4096;
	if (!G.total && G.inflight > (uint64_t)G.nsock * SOCK_CAP) {
		fprintf(stderr, "rlb-loadgen: --inflight %u needs at least %u sockets\n", G.inflight,
			(G.inflight + SOCK_CAP - 1) / SOCK_CAP);
		return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < G.nsock + 64) {
		rl.rlim_cur = G.nsock + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	G.socks = calloc(G.nsock, sizeof(*G.socks));
	G.round_stats = calloc(G.rounds, sizeof(*G.round_stats));
	G.round_secs = calloc(G.rounds, sizeof(*G.round_secs));
	G.round_cpu = calloc(G.rounds, sizeof(*G.round_cpu));
	if (!G.socks || !G.round_stats || !G.round_secs || !G.round_cpu) {
		fprintf(stderr, "rlb-loadgen: out of memory\n");
		return 1;
	}
	G.epfd = epoll_create1(EPOLL_CLOEXEC);
	for (unsigned k = 0; k < G.nsock; k++) {
		struct lsock *s = &G.socks[k];
		s->fd = rlb_udp_socket(G.dst[0].ss_family, NULL, 0, G.rcvbuf, 1 << 20);
		if (s->fd < 0) {
			fprintf(stderr, "rlb-loadgen: socket %u: %s\n", k, strerror(errno));
			return 1;
		}
		for (unsigned i = 0; i < 256; i++)
			s->freeq[i] = (uint8_t)i;
		s->fcount = 256;
		s->target = G.inflight / G.nsock + (k < G.inflight % G.nsock ? 1 : 0);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
		epoll_ctl(G.epfd, EPOLL_CTL_ADD, s->fd, &ev);
	}
	for (unsigned i = 0; i < RBATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	G.rng = rlb_rng_seed();
	G.user_counter = (uint32_t)(rlb_rng_next(&G.rng) & 0xffffff);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* scan period for retransmissions and timeouts */
	uint64_t shortest = G.timeout_ns;
	if (G.retransmit_ns && G.retransmit_ns < shortest)
		shortest = G.retransmit_ns;
	uint64_t scan_ns = shortest / 50;
	if (scan_ns < 2000000)
		scan_ns = 2000000;
	if (scan_ns > 100000000)
		scan_ns = 100000000;

	uint64_t start = rlb_now_ns(), now = start;
	uint64_t next_scan = start + scan_ns;
	uint64_t dur_ns = (uint64_t)(G.duration * 1e9);
	uint64_t round_start = start, round_end = start + dur_ns;
	uint64_t drain_deadline = 0;
	long long cpu_start = cpu_ticks_now(), cpu_round = cpu_start;
	unsigned next_sock = 0;

	G.running = 1;
	if (!G.total) {
		for (unsigned k = 0; k < G.nsock; k++)
			for (unsigned i = 0; i < G.socks[k].target; i++)
				start_chain(&G.socks[k], now);
		flush_sends();
	}

	struct epoll_event evs[256];
	for (;;) {
		/* open loop: start chains as the rate allows */
		if (G.total && G.chains_started < G.total && !G.interrupted) {
			uint64_t allowed = G.total;
			if (G.rate > 0) {
				double a = (double)(now - start) / 1e9 * G.rate + 1;
				if (a < (double)allowed)
					allowed = (uint64_t)a;
			}
			unsigned tried = 0;
			uint64_t cap = G.inflight_set ? G.inflight : UINT64_MAX;
			while (G.chains_started < allowed && tried < G.nsock && G.outstanding < cap) {
				struct lsock *s = &G.socks[next_sock];
				if (s->outstanding < SOCK_CAP && start_chain(s, now) == 0) {
					tried = 0;
				} else {
					tried++;
					next_sock = (next_sock + 1) % G.nsock;
				}
				if (nsendq >= 256) {
					/* round robin over sockets in batches */
					flush_sends();
					next_sock = (next_sock + 1) % G.nsock;
				}
			}
			flush_sends();
		}

		/* termination */
		if (G.total) {
			if ((G.chains_started >= G.total || G.interrupted) && G.outstanding == 0)
				break;
			if (G.interrupted && !drain_deadline)
				drain_deadline = now + 1000000000ull;
		} else if (!G.running && G.outstanding == 0) {
			break;
		}
		if (drain_deadline && now >= drain_deadline)
			break;

		int timeout_ms;
		uint64_t wake = next_scan;
		if (!G.total && G.running && round_end < wake)
			wake = round_end;
		if (drain_deadline && drain_deadline < wake)
			wake = drain_deadline;
		if (G.total && G.chains_started < G.total && G.rate > 0 && now + 1000000 < wake)
			wake = now + 1000000;
		timeout_ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;

		int n = epoll_wait(G.epfd, evs, 256, timeout_ms);
		if (n < 0 && errno != EINTR) {
			perror("rlb-loadgen: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++)
			on_readable((struct lsock *)evs[i].data.ptr);
		now = rlb_now_ns();
		if (now >= next_scan) {
			scan(now);
			next_scan = now + scan_ns;
		}
		flush_sends();

		/* closed loop rounds */
		if (!G.total && G.running && (now >= round_end || G.interrupted)) {
			unsigned r = G.nrounds_done++;
			G.round_stats[r] = G.cur;
			G.round_secs[r] = (double)(now - round_start) / 1e9;
			long long c = cpu_ticks_now();
			G.round_cpu[r] = (c >= 0 && cpu_round >= 0) ? c - cpu_round : -1;
			cpu_round = c;
			stats_merge(&G.tot, &G.cur);
			memset(&G.cur, 0, sizeof(G.cur));
			round_start = now;
			round_end = now + dur_ns;
			if (G.nrounds_done == G.rounds || G.interrupted) {
				G.running = 0;
				drain_deadline = now + G.timeout_ns + 100000000ull;
			}
		}
	}
	/* whatever is left (drain phase, open loop) goes to the total */
	stats_merge(&G.tot, &G.cur);
	/* requests still outstanding at a forced stop count as timeouts */
	G.tot.timeouts += G.outstanding;

	double total_secs = (double)(now - start) / 1e9;
	long long cpu_end = cpu_ticks_now();
	long long total_cpu = (cpu_end >= 0 && cpu_start >= 0) ? cpu_end - cpu_start : -1;

	if (G.probe) {
		if (!G.quiet && G.tot.answered == 0)
			fprintf(stderr, "rlb-loadgen: probe: no valid answer\n");
		return G.tot.answered ? 0 : 1;
	}
	if (!G.quiet)
		print_report(total_secs, total_cpu);
	return 0;
}
