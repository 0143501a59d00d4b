/*
 * httpd.h: the stats port. A small HTTP server (libmicrohttpd) on
 * stats.address:stats.port, 127.0.0.1:9812 by default:
 *
 *   GET /metrics      the Prometheus text format (metrics.c)
 *   GET /stats.json   the figures, the server table, the master, the
 *                     spool and Redis (report.c; as radlbctl --json show stats)
 *   GET /healthz      200 while at least one server is up, else 503 (for
 *                     keepalived or any VIP manager)
 *   GET /             the status page (src/ops/www/, built into radlb: no CDN)
 *
 * libmicrohttpd runs without a thread of its own: its epoll descriptor is
 * one more ev_io of radlb's loop, so every answer is built on the loop
 * thread from the live state (no locks, no copies) and no socket ever
 * blocks it. Connections are bounded in number, per address and in idle
 * time. Peers outside loopback and stats.allow are refused at accept.
 */
#ifndef RLB_HTTPD_H
#define RLB_HTTPD_H

struct rlb_ctx;

/* Opens the stats port (nothing when stats.port is 0); -1 with a logged
 * reason (bind failure...). */
int  rlb_httpd_start(struct rlb_ctx *ctx);
void rlb_httpd_stop(struct rlb_ctx *ctx);

#endif
