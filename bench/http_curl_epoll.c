// SPDX-License-Identifier: MIT
/*
 * http_curl_epoll: libcurl on its own, for `make bench` (scripts/bench.sh),
 * a reference figure and not a workload.
 *
 * It drives the same transfers as `corolab run http --mode coroutines`, with
 * the same easy-handle options (userspace/http/curl_glue.c), through the
 * event loop curl documents for many concurrent transfers: the
 * multi_socket API fed by epoll (curl's ephiperfifo example) — no
 * coroutines, no io_uring, no runtime of ours.  Beside the coroutine
 * client's figure it says how much of it is libcurl's and how much the
 * runtime adds; beside bench/http_floor's (no libcurl at all), how much
 * libcurl adds to what the kernel needs.
 *
 * Two shapes, as the workload has:
 *   WORKERS 0 (default): COUNT transfers at once, one connection each,
 *     closed after its response ("Connection: close"; curl 7.88 walks its
 *     connection cache per removed handle otherwise), as the workload's
 *     one-request-per-coroutine runs (the 10,000 × /delay/1 ramp);
 *   WORKERS W: W easy handles, each re-added for the next request on its
 *     kept-alive connection until COUNT are done (the keep-alive throughput).
 * Like the workload, one multi handle per 1,024 concurrent transfers (curl
 * 7.88 keeps a multi's sockets in a fixed 911-bucket hash).
 *
 * Output, one line on stdout:
 *   ok N failed N wall_s S user_s S sys_s S minflt N
 * Exit status: 0 if every transfer got a 200, 1 if any failed, 2 for usage.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench.h"

#define MULTI_SPAN 1024		/* concurrent transfers per multi handle */
#define START_BATCH 64		/* transfers added between two looks at the events */

struct multi {
	CURLM *m;
	double deadline;	/* curl's timer, absolute; < 0 = none */
};

/* One watched socket; curl_multi_assign keeps it with the socket.  A
 * removed one waits in `dead` until the events of the current epoll batch
 * are handled: a later event of the batch may still point to it. */
struct sock {
	curl_socket_t fd;	/* CURL_SOCKET_BAD once removed */
	struct multi *mu;
	struct sock *next_dead;
};

static int ep = -1;
static struct sock *dead;
static long n_total, workers, started, ok, failed, body_bytes;

static void free_dead(void)
{
	while (dead) {
		struct sock *d = dead;

		dead = d->next_dead;
		free(d);
	}
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct multi *mu = userp;
	struct sock *s = sockp;
	struct epoll_event ev = { 0 };

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);	/* fails harmlessly if closed */
			curl_multi_assign(mu->m, fd, NULL);
			s->fd = CURL_SOCKET_BAD;
			s->next_dead = dead;
			dead = s;
		}
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (s) {
		ev.data.ptr = s;
		return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) ? -1 : 0;
	}
	s = malloc(sizeof(*s));
	if (!s)
		return -1;
	s->fd = fd;
	s->mu = mu;
	ev.data.ptr = s;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		free(s);
		return -1;
	}
	curl_multi_assign(mu->m, fd, s);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *userp)
{
	struct multi *mu = userp;

	(void)m;
	mu->deadline = ms < 0 ? -1 : bench_now_s() + ms / 1e3;
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
	(void)p;
	*(long *)userp += (long)(size * n);
	return size * n;
}

static CURL *easy_new(const char *url, long timeout_ms, struct curl_slist *close_hdr)
{
	CURL *e = curl_easy_init();
	CURLcode rc = 0;

	if (!e)
		return NULL;
	/* userspace/http/curl_glue.c's http_easy_setup, option for option. */
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, &body_bytes);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "corolab/1");
	/* A handle's first transfer opens its own connection, as the workload's
	 * do (userspace/http/workload_http.c): W handles, W connections. */
	rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (!workers) {
		rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, close_hdr);
	}
	if (rc) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

/* Count finished transfers; in keep-alive mode give the handle the next one. */
static void drain(struct multi *mu)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(mu->m, &left))) {
		CURL *e = msg->easy_handle;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (msg->data.result == CURLE_OK && status == 200)
			ok++;
		else
			failed++;
		curl_multi_remove_handle(mu->m, e);
		if (workers && started < n_total &&
		    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L) == CURLE_OK &&
		    curl_multi_add_handle(mu->m, e) == CURLM_OK)
			started++;
		else
			curl_easy_cleanup(e);
	}
}

static int usage(void)
{
	fprintf(stderr,
		"USAGE: http_curl_epoll URL COUNT [WORKERS [TIMEOUT_S]]\n"
		"EXAMPLES:\n"
		"    http_curl_epoll http://127.0.0.1:8080/delay/1 10000      # 10,000 at once\n"
		"    http_curl_epoll http://127.0.0.1:8080/ 200000 100        # keep-alive, 100 handles\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct curl_slist *close_hdr = NULL;
	struct multi *multis = NULL;
	long timeout = 30, nm, i, first;
	double t0, progress;
	long done_before = 0;
	int running, rc = 1;

	if (argc < 3 || argc > 5)
		return usage();
	n_total = bench_parse_long(argv[2], 1, 1000000);
	if (argc > 3)
		workers = bench_parse_long(argv[3], 0, 100000);
	if (argc > 4)
		timeout = bench_parse_long(argv[4], 1, 3600);
	if (n_total < 0 || workers < 0 || timeout < 0 || strncmp(argv[1], "http://", 7)) {
		fprintf(stderr, "http_curl_epoll: bad argument (an http:// URL, a count, a number of workers)\n");
		return usage();
	}
	if (workers > n_total)
		workers = n_total;
	first = workers ? workers : n_total;	/* transfers in flight at once */
	nm = (first + MULTI_SPAN - 1) / MULTI_SPAN;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "http_curl_epoll: curl_global_init failed\n");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	multis = calloc(nm, sizeof(*multis));
	close_hdr = curl_slist_append(NULL, "Connection: close");
	if (ep < 0 || !multis || !close_hdr) {
		perror("http_curl_epoll");
		goto out;
	}
	for (i = 0; i < nm; i++) {
		struct multi *mu = &multis[i];

		mu->deadline = -1;
		mu->m = curl_multi_init();
		if (!mu->m)
			goto out;
		curl_multi_setopt(mu->m, CURLMOPT_SOCKETFUNCTION, on_socket);
		curl_multi_setopt(mu->m, CURLMOPT_SOCKETDATA, mu);
		curl_multi_setopt(mu->m, CURLMOPT_TIMERFUNCTION, on_timer);
		curl_multi_setopt(mu->m, CURLMOPT_TIMERDATA, mu);
		curl_multi_setopt(mu->m, CURLMOPT_MAXCONNECTS, 100000L);
	}
	t0 = progress = bench_now_s();
	while (ok + failed < n_total) {
		struct epoll_event ev[256];
		double next = bench_now_s() + 1, t;
		int k, j;

		/* Start transfers in batches, each run at once (its timer is due
		 * now), as the coroutine client starts each on its own coroutine. */
		for (j = 0; j < START_BATCH && started < first; j++) {
			struct multi *mu = &multis[started / MULTI_SPAN];
			CURL *e = easy_new(argv[1], timeout * 1000, close_hdr);

			if (!e || curl_multi_add_handle(mu->m, e) != CURLM_OK) {
				fprintf(stderr, "http_curl_epoll: cannot start a transfer\n");
				goto out;
			}
			started++;
			curl_multi_socket_action(mu->m, CURL_SOCKET_TIMEOUT, 0, &running);
			drain(mu);
		}
		for (i = 0; i < nm; i++)
			if (multis[i].deadline >= 0 && multis[i].deadline < next)
				next = multis[i].deadline;
		t = bench_now_s();
		k = epoll_wait(ep, ev, 256,
			       started < first ? 0 : next <= t ? 0 : (int)((next - t) * 1e3) + 1);
		for (j = 0; j < k; j++) {
			struct sock *s = ev[j].data.ptr;
			int flags = (ev[j].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
				    (ev[j].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
				    (ev[j].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			struct multi *mu = s->mu;

			if (s->fd == CURL_SOCKET_BAD)
				continue;
			curl_multi_socket_action(mu->m, s->fd, flags, &running);
			drain(mu);
		}
		free_dead();
		t = bench_now_s();
		for (i = 0; i < nm; i++) {
			if (multis[i].deadline >= 0 && multis[i].deadline <= t) {
				multis[i].deadline = -1;
				curl_multi_socket_action(multis[i].m, CURL_SOCKET_TIMEOUT, 0, &running);
				drain(&multis[i]);
			}
		}
		/* A hang guard: curl's own timeouts end every transfer in time. */
		if (ok + failed > done_before) {
			done_before = ok + failed;
			progress = t;
		} else if (t > progress + timeout + 1) {
			fprintf(stderr, "http_curl_epoll: no transfer ended in %ld s: giving up\n", timeout + 1);
			failed = n_total - ok;
			break;
		}
	}
	bench_print(ok, failed, bench_now_s() - t0, "");
	rc = failed ? 1 : 0;
out:
	/* Handles still in flight (an error path) are left to the exit. */
	for (i = 0; multis && i < nm; i++)
		if (multis[i].m)
			curl_multi_cleanup(multis[i].m);
	free(multis);
	curl_slist_free_all(close_hdr);
	free_dead();
	if (ep >= 0)
		close(ep);
	curl_global_cleanup();
	return rc;
}
