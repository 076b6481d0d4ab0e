// SPDX-License-Identifier: MIT
/* Description: corolab serve with 10,000 idle connections open (loopback):
 * well-formed requests on fresh connections keep being answered within 10x
 * the latency measured before (median and p90 of 100), and the server's RSS
 * grows by a bounded amount per idle connection and does not keep growing
 * once they are closed and reopened.  Prints the figures. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

#define IDLE 10000
#define PROBES 100
#define PER_CONN_MAX_KB 64	/* server RSS per idle connection, at most */

static int port;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* One GET /get on a fresh connection; seconds, or -1 on failure. */
static double probe(void)
{
	static const char req[] = "GET /get HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char buf[4096];
	double t0 = now_s();
	int fd = dial();
	size_t n = 0;

	if (fd < 0)
		return -1;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 5000) <= 0)
			break;
		k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n >= 12)
			break;	/* the status line is enough */
	}
	close(fd);
	return n >= 12 && !strncmp(buf, "HTTP/1.1 200", 12) ? now_s() - t0 : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and p90 of PROBES probes; fails the test if any probe fails. */
static void measure(const char *when, double *med, double *p90)
{
	double v[PROBES];

	for (int i = 0; i < PROBES; i++) {
		v[i] = probe();
		T_ASSERT(v[i] >= 0, "%s: probe %d got no 200", when, i);
	}
	qsort(v, PROBES, sizeof(v[0]), cmp);
	*med = v[PROBES / 2];
	*p90 = v[PROBES * 9 / 10];
	printf("%-28s median %7.1f us  p90 %7.1f us  max %7.1f us\n", when, *med * 1e6, *p90 * 1e6,
	       v[PROBES - 1] * 1e6);
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Open IDLE connections and wait until the server has accepted them all
 * (a probe after the last connect is queued behind them in accept order). */
static void open_idle(int *fds)
{
	for (int i = 0; i < IDLE; i++) {
		fds[i] = dial();
		T_ASSERT(fds[i] >= 0, "idle connection %d: %s", i, strerror(-fds[i]));
	}
	T_ASSERT(probe() >= 0, "probe after %d idle connections", IDLE);
}

int main(void)
{
	/* The idle timeout must outlast the test: 60 s. */
	struct serve_opts o = { .idle_ns = 60000000000ull };
	struct server_child sc;
	struct rlimit rl;
	double med0, p90_0, med1, p90_1;
	long rss0, rss1, rss2, rss3;
	static int fds[IDLE];
	int err;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < IDLE + 200)
		T_SKIP("RLIMIT_NOFILE hard limit %llu < %d: raise it to run 10,000 connections",
		       (unsigned long long)rl.rlim_max, IDLE + 200);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	err = server_child__start(&sc, &o);
	T_ASSERT(!err, "start server: %s", strerror(-err));
	port = sc.port;

	measure("no idle connections", &med0, &p90_0);
	rss0 = rss_kb(sc.pid);
	open_idle(fds);
	rss1 = rss_kb(sc.pid);
	measure("10,000 idle connections", &med1, &p90_1);
	for (int i = 0; i < IDLE; i++)
		close(fds[i]);
	usleep(300000);	/* let the server see the closes */
	rss2 = rss_kb(sc.pid);
	/* Same again: memory is reused, not grown per round. */
	open_idle(fds);
	rss3 = rss_kb(sc.pid);
	for (int i = 0; i < IDLE; i++)
		close(fds[i]);
	printf("server RSS: %ld KiB before, %ld with %d idle (%.1f KiB each), %ld after closing, "
	       "%ld with %d idle again\n", rss0, rss1, IDLE, (double)(rss1 - rss0) / IDLE, rss2,
	       rss3, IDLE);

	/* Loopback probes take tens of microseconds: a 200 us floor keeps the
	 * 10x bound about the server, not about scheduler noise. */
	T_ASSERT(med1 <= 10 * (med0 > 200e-6 ? med0 : 200e-6),
		 "median latency %.1f us with idle connections vs %.1f us without", med1 * 1e6, med0 * 1e6);
	T_ASSERT(p90_1 <= 10 * (p90_0 > 200e-6 ? p90_0 : 200e-6),
		 "p90 latency %.1f us with idle connections vs %.1f us without", p90_1 * 1e6, p90_0 * 1e6);
	T_ASSERT(rss1 - rss0 <= (long)IDLE * PER_CONN_MAX_KB, "RSS grew %ld KiB for %d idle connections",
		 rss1 - rss0, IDLE);
	T_ASSERT(rss3 <= rss1 + rss1 / 10 + 1024, "RSS kept growing: %ld KiB then %ld KiB", rss1, rss3);
	T_ASSERT(!server_child__stop(&sc), "server exit status");
	printf("ok\n");
	return 0;
}
