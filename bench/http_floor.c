// SPDX-License-Identifier: MIT
/*
 * http_floor: the kernel's floor under `corolab run http`'s 10,000-request
 * ramp, a reference figure for `make bench` (scripts/bench.sh), not a
 * workload.
 *
 * It makes the same requests as the coroutine client — N connections to
 * HOST:PORT, one GET each, all in flight at once, on one thread — with
 * nothing between it and the kernel: non-blocking sockets, edge-triggered
 * epoll, a fixed 1 KiB buffer per connection from one allocation.  Per
 * request that is socket, connect, epoll_ctl, send, recv and close where
 * libcurl makes 17 system calls and touches ~5 fresh pages (notes/http.md).
 * So the distance between its wall time and the coroutine client's is
 * what libcurl and our runtime add, measured side by side on the same
 * server in the same run; its own wall is the most any HTTP/1.1 client on
 * this machine could do with one connection per request.
 *
 * It is deliberately minimal: responses must fit in 1 KiB (httpbin's
 * /delay/N does), a response is complete at Content-Length, and anything
 * else (refused, reset, a non-200 status, no response within --timeout)
 * counts as failed.  Output, one line on stdout:
 *   ok N failed N wall_s S last_send_s S user_s S sys_s S minflt N
 * Exit status: 0 if every request got a 200, 1 if any failed, 2 for usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define FLOOR_BUF 1024	/* per connection; a /delay/N response is ~430 bytes */
#define FLOOR_BATCH 64	/* connects between two looks at the events */

struct conn {
	int fd;		/* -1 once finished */
	int sent;	/* request written */
	int got;	/* response bytes in buf */
	char buf[FLOOR_BUF];
};

static int usage(void)
{
	fprintf(stderr,
		"USAGE: http_floor ADDRESS PORT PATH COUNT [TIMEOUT_S]\n"
		"EXAMPLES:\n"
		"    http_floor 127.0.0.1 8080 /delay/1 10000   # 10,000 concurrent GET /delay/1\n");
	return 2;
}

/* 1 = a complete 200 response, -1 = complete but not 200, 0 = not yet. */
static int response_done(struct conn *c)
{
	const char *head_end, *cl;
	long len = 0;

	c->buf[c->got] = '\0';
	head_end = strstr(c->buf, "\r\n\r\n");
	if (!head_end)
		return c->got >= FLOOR_BUF - 1 ? -1 : 0;
	cl = strcasestr(c->buf, "\r\ncontent-length:");
	if (cl && cl < head_end)
		len = strtol(cl + 17, NULL, 10);
	if (c->got < head_end + 4 - c->buf + len)
		return c->got >= FLOOR_BUF - 1 ? -1 : 0;
	return strncmp(c->buf, "HTTP/1.1 200 ", 13) ? -1 : 1;
}

static void finish(struct conn *c, int good, int *ok, int *failed)
{
	close(c->fd);
	c->fd = -1;
	if (good)
		(*ok)++;
	else
		(*failed)++;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct epoll_event ev[256];
	char extra[64];
	struct conn *conns;
	char req[512];
	int reqlen, ep, started = 0, ok = 0, failed = 0;
	long port, n, timeout = 30;
	double t0, last_send = 0, deadline;

	if (argc < 5 || argc > 6)
		return usage();
	port = bench_parse_long(argv[2], 1, 65535);
	n = bench_parse_long(argv[4], 1, 1000000);
	if (argc == 6)
		timeout = bench_parse_long(argv[5], 1, 3600);
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || port < 0 || n < 0 ||
	    timeout < 0 || argv[3][0] != '/') {
		fprintf(stderr, "http_floor: bad argument (an IPv4 address, a port, a path from '/', a count)\n");
		return usage();
	}
	addr.sin_port = htons(port);
	/* The request curl sends for a one-shot transfer, header for header
	 * (the server then closes first, as it does for the workload). */
	reqlen = snprintf(req, sizeof(req),
			  "GET %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: corolab/1\r\n"
			  "Accept: */*\r\nConnection: close\r\n\r\n",
			  argv[3], argv[1], port);
	if (reqlen < 0 || reqlen >= (int)sizeof(req)) {
		fprintf(stderr, "http_floor: path too long\n");
		return 2;
	}
	conns = calloc(n, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0) {
		perror("http_floor");
		return 1;
	}
	t0 = bench_now_s();
	deadline = t0 + timeout;
	while (ok + failed < n) {
		int m, i;

		/* Connect in batches and look at the events in between, as the
		 * coroutine client's transfers interleave with their responses. */
		for (i = 0; i < FLOOR_BATCH && started < n; i++, started++) {
			struct conn *c = &conns[started];
			struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };

			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->fd < 0) {
				perror("http_floor: socket (raise ulimit -n?)");
				return 1;
			}
			if ((connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) && errno != EINPROGRESS) ||
			    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e))
				finish(c, 0, &ok, &failed);
		}
		m = epoll_wait(ep, ev, 256, started < n ? 0 : 100);
		for (i = 0; i < m; i++) {
			struct conn *c = ev[i].data.ptr;
			int done = 0, rd;

			if (c->fd < 0)
				continue;
			if (ev[i].events & (EPOLLERR | EPOLLHUP) && !(ev[i].events & EPOLLIN)) {
				finish(c, 0, &ok, &failed);
				continue;
			}
			if (!c->sent && (ev[i].events & EPOLLOUT)) {
				if (send(c->fd, req, reqlen, MSG_NOSIGNAL) != reqlen) {
					finish(c, 0, &ok, &failed);
					continue;
				}
				c->sent = 1;
				last_send = bench_now_s() - t0;
			}
			if (!(ev[i].events & EPOLLIN))
				continue;
			for (;;) {	/* edge-triggered: read until EAGAIN */
				ssize_t r = recv(c->fd, c->buf + c->got, FLOOR_BUF - 1 - c->got, 0);

				if (r > 0) {
					c->got += r;
					if (c->got < FLOOR_BUF - 1)
						continue;
				} else if (r < 0 && errno == EAGAIN) {
					break;
				}
				done = r <= 0 ? -1 : 0;	/* closed or reset; full: response_done says */
				break;
			}
			rd = response_done(c);
			if (rd == 1)
				finish(c, 1, &ok, &failed);
			else if (rd < 0 || done < 0)
				finish(c, 0, &ok, &failed);
		}
		if (bench_now_s() > deadline) {
			for (i = 0; i < n; i++)
				if (i >= started || conns[i].fd >= 0)
					failed++;
			break;
		}
	}
	snprintf(extra, sizeof(extra), " last_send_s %.6f", last_send);
	bench_print(ok, failed, bench_now_s() - t0, extra);
	for (long i = 0; i < started; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	close(ep);
	return failed ? 1 : 0;
}
