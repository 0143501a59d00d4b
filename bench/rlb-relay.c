/*
 * rlb-relay - bare UDP relay, the "floor" of CPU per request in the
 * radlb benchmark.
 *
 * recvmmsg on the front sockets, forward each packet to the next backend
 * (round robin) through a socket of that backend with a fresh ID from
 * that socket's 256-entry ID map, and send the answer back with the
 * client's original ID. No RADIUS crypto at all: packets are not
 * re-signed, so the stand-ins behind it must run with --no-check and the
 * load generator with --no-verify (and both with the same secret, since
 * User-Password is forwarded as is).
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
#include <sys/signalfd.h>
#include <unistd.h>

#define BATCH 64
#define MAX_BACKENDS 32
#define FRONT_TAG 0x80000000u
#define SIG_TAG 0x40000000u

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct map {
	uint64_t t;
	union addr client;
	socklen_t clen;
	uint8_t used, orig_id, front;
};

struct bsock {
	int fd;
	int type; /* 0 auth, 1 acct */
	unsigned backend;
	unsigned next_id;
	int qfirst, qlast; /* batch of packets to send, linked via qnext */
	struct map m[256];
};

static struct {
	int front[2];
	int nfront;
	struct sockaddr_storage baddr[MAX_BACKENDS][2];
	socklen_t blen[MAX_BACKENDS];
	unsigned nb;
	unsigned socks_per;
	struct bsock *bs; /* [backend][type][socks_per] */
	unsigned nbs;
	unsigned rr[2];
	unsigned rr_sock[MAX_BACKENDS][2];
	uint64_t timeout_ns;
	int epfd, sfd;
	unsigned long long forwarded, replied, no_id, stale, expired, short_pkts, send_errors;
} R;

static unsigned char rbuf[BATCH][RAD_MAX_LEN];
static union addr raddr[BATCH];
static struct iovec riov[BATCH];
static struct mmsghdr rmsg[BATCH];
static int qnext[BATCH];
static struct mmsghdr smsg[BATCH];
static struct iovec siov[BATCH];
static union addr saddr[BATCH];

static struct bsock *bsock_of(unsigned backend, int type, unsigned k)
{
	return &R.bs[(backend * 2 + (unsigned)type) * R.socks_per + k];
}

static int send_batch(int fd, unsigned n)
{
	unsigned off = 0;
	while (off < n) {
		int r = sendmmsg(fd, smsg + off, n - off, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			R.send_errors += n - off;
			break;
		}
		off += (unsigned)r;
	}
	return (int)off;
}

static void on_front(int type)
{
	for (int iter = 0; iter < 16; iter++) {
		for (unsigned i = 0; i < BATCH; i++)
			rmsg[i].msg_hdr.msg_namelen = sizeof(raddr[i]);
		int n = recvmmsg(R.front[type], rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		uint64_t now = rlb_now_ns();
		struct bsock *touched[BATCH];
		unsigned ntouched = 0;
		for (int i = 0; i < n; i++) {
			if (rmsg[i].msg_len < RAD_HDR_LEN) {
				R.short_pkts++;
				continue;
			}
			unsigned b = R.rr[type]++ % R.nb;
			unsigned k = R.rr_sock[b][type]++ % R.socks_per;
			struct bsock *s = bsock_of(b, type, k);
			/* next free (or expired) ID of this backend socket */
			int id = -1;
			for (unsigned probe = 0; probe < 256; probe++) {
				unsigned c = (s->next_id + probe) & 255;
				struct map *m = &s->m[c];
				if (!m->used || now - m->t > R.timeout_ns) {
					if (m->used)
						R.expired++;
					id = (int)c;
					break;
				}
			}
			if (id < 0) {
				R.no_id++;
				continue;
			}
			s->next_id = ((unsigned)id + 1) & 255;
			struct map *m = &s->m[id];
			m->used = 1;
			m->t = now;
			m->orig_id = rbuf[i][1];
			m->front = (uint8_t)type;
			m->client = raddr[i];
			m->clen = rmsg[i].msg_hdr.msg_namelen;
			rbuf[i][1] = (unsigned char)id;
			qnext[i] = -1;
			if (s->qfirst < 0) {
				s->qfirst = i;
				touched[ntouched++] = s;
			} else {
				qnext[s->qlast] = i;
			}
			s->qlast = i;
		}
		for (unsigned t = 0; t < ntouched; t++) {
			struct bsock *s = touched[t];
			unsigned c = 0;
			for (int i = s->qfirst; i >= 0; i = qnext[i], c++) {
				siov[c].iov_base = rbuf[i];
				siov[c].iov_len = rmsg[i].msg_len;
				memset(&smsg[c].msg_hdr, 0, sizeof(smsg[c].msg_hdr));
				smsg[c].msg_hdr.msg_name = &R.baddr[s->backend][s->type];
				smsg[c].msg_hdr.msg_namelen = R.blen[s->backend];
				smsg[c].msg_hdr.msg_iov = &siov[c];
				smsg[c].msg_hdr.msg_iovlen = 1;
			}
			R.forwarded += (unsigned)send_batch(s->fd, c);
			s->qfirst = s->qlast = -1;
		}
		if (n < BATCH)
			break;
	}
}

static void on_backend(struct bsock *s)
{
	for (int iter = 0; iter < 16; iter++) {
		int n = recvmmsg(s->fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		unsigned c = 0;
		for (int i = 0; i < n; i++) {
			if (rmsg[i].msg_len < RAD_HDR_LEN) {
				R.short_pkts++;
				continue;
			}
			struct map *m = &s->m[rbuf[i][1]];
			if (!m->used) {
				R.stale++;
				continue;
			}
			m->used = 0;
			rbuf[i][1] = m->orig_id;
			saddr[c] = m->client;
			siov[c].iov_base = rbuf[i];
			siov[c].iov_len = rmsg[i].msg_len;
			memset(&smsg[c].msg_hdr, 0, sizeof(smsg[c].msg_hdr));
			smsg[c].msg_hdr.msg_name = &saddr[c];
			smsg[c].msg_hdr.msg_namelen = m->clen;
			smsg[c].msg_hdr.msg_iov = &siov[c];
			smsg[c].msg_hdr.msg_iovlen = 1;
			c++;
		}
		/* all answers of one backend socket go out by the same front */
		if (c)
			R.replied += (unsigned)send_batch(R.front[s->type], c);
		if (n < BATCH)
			break;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rlb-relay --listen ADDR:AUTH[,ACCT] --backend ADDR:AUTH[,ACCT]... [options]\n"
		"  --backend ADDR:AUTH[,ACCT]  backend (repeat, up to %d), round robin\n"
		"  --sockets N     sockets per backend and port, 256 IDs each (default 1)\n"
		"  --timeout S     forget an unanswered ID after S seconds (default 30)\n"
		"Counters go to stderr on SIGUSR1 and on SIGINT/SIGTERM (then exit).\n",
		MAX_BACKENDS);
}

static void print_counters(const char *why)
{
	fprintf(stderr,
		"rlb-relay %s: forwarded=%llu replied=%llu no_free_id=%llu stale=%llu "
		"expired=%llu short=%llu send_errors=%llu\n",
		why, R.forwarded, R.replied, R.no_id, R.stale, R.expired, R.short_pkts,
		R.send_errors);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"backend", required_argument, NULL, 'b'},
		{"sockets", required_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen = NULL;
	double timeout = 30;
	uint16_t acct_ports[MAX_BACKENDS];

	R.socks_per = 1;
	int o;
	while ((o = getopt_long(argc, argv, "l:b:k:t:h", lopts, NULL)) != -1) {
		switch (o) {
		case 'l': listen = optarg; break;
		case 'b':
			if (R.nb == MAX_BACKENDS) {
				fprintf(stderr, "rlb-relay: too many backends\n");
				return 2;
			}
			if (rlb_parse_hostport(optarg, &R.baddr[R.nb][0], &R.blen[R.nb],
					       &acct_ports[R.nb]) < 0) {
				fprintf(stderr, "rlb-relay: bad --backend '%s'\n", optarg);
				return 2;
			}
			R.baddr[R.nb][1] = R.baddr[R.nb][0];
			if (acct_ports[R.nb])
				rlb_set_port(&R.baddr[R.nb][1], acct_ports[R.nb]);
			R.nb++;
			break;
		case 'k': R.socks_per = (unsigned)rlb_parse_ll("--sockets", optarg, 1, 4096); break;
		case 't': timeout = rlb_parse_double("--timeout", optarg, 0.01, 3600); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen || !R.nb || optind != argc) {
		usage(stderr);
		return 2;
	}
	R.timeout_ns = (uint64_t)(timeout * 1e9);

	struct sockaddr_storage la;
	socklen_t lsl;
	uint16_t lacct;
	if (rlb_parse_hostport(listen, &la, &lsl, &lacct) < 0) {
		fprintf(stderr, "rlb-relay: bad --listen '%s'\n", listen);
		return 2;
	}
	R.front[0] = rlb_udp_socket(la.ss_family, &la, lsl, 8 << 20, 4 << 20);
	if (R.front[0] < 0) {
		fprintf(stderr, "rlb-relay: cannot bind %s: %s\n", listen, strerror(errno));
		return 1;
	}
	R.nfront = 1;
	if (lacct) {
		struct sockaddr_storage aa = la;
		rlb_set_port(&aa, lacct);
		R.front[1] = rlb_udp_socket(aa.ss_family, &aa, lsl, 8 << 20, 4 << 20);
		if (R.front[1] < 0) {
			fprintf(stderr, "rlb-relay: cannot bind acct port %u: %s\n", lacct,
				strerror(errno));
			return 1;
		}
		R.nfront = 2;
	} else {
		R.front[1] = R.front[0];
	}

	R.nbs = R.nb * 2 * R.socks_per;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < R.nbs + 64) {
		rl.rlim_cur = R.nbs + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	R.bs = calloc(R.nbs, sizeof(*R.bs));
	R.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!R.bs || R.epfd < 0) {
		perror("rlb-relay: setup");
		return 1;
	}
	struct epoll_event ev = {.events = EPOLLIN};
	for (unsigned b = 0; b < R.nb; b++) {
		for (int t = 0; t < 2; t++) {
			for (unsigned k = 0; k < R.socks_per; k++) {
				struct bsock *s = bsock_of(b, t, k);
				s->fd = rlb_udp_socket(R.baddr[b][0].ss_family, NULL, 0, 4 << 20,
						       4 << 20);
				if (s->fd < 0) {
					perror("rlb-relay: socket");
					return 1;
				}
				s->type = t;
				s->backend = b;
				s->qfirst = s->qlast = -1;
				ev.data.u32 = (uint32_t)(s - R.bs);
				epoll_ctl(R.epfd, EPOLL_CTL_ADD, s->fd, &ev);
			}
		}
	}
	for (int t = 0; t < R.nfront; t++) {
		ev.data.u32 = FRONT_TAG | (uint32_t)t;
		epoll_ctl(R.epfd, EPOLL_CTL_ADD, R.front[t], &ev);
	}
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	R.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	ev.data.u32 = SIG_TAG;
	epoll_ctl(R.epfd, EPOLL_CTL_ADD, R.sfd, &ev);

	for (unsigned i = 0; i < BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rmsg[i].msg_hdr.msg_name = &raddr[i];
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	char ab[80];
	fprintf(stderr, "rlb-relay: listening %s (acct %u), %u backend(s), %u socket(s) each\n",
		rlb_addr_str(&la, ab, sizeof(ab)), lacct, R.nb, R.socks_per);

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(R.epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("rlb-relay: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			if (k & FRONT_TAG) {
				on_front((int)(k & 1));
			} else if (k & SIG_TAG) {
				struct signalfd_siginfo si;
				while (read(R.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGUSR1) {
						print_counters("counters");
					} else {
						print_counters("final counters");
						return 0;
					}
				}
			} else {
				on_backend(&R.bs[k]);
			}
		}
	}
}
