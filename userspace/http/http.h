/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of corolab: the built-in httpbin-compatible delay server
 * (serve.c), a way to run it in a child process (server_child.c), and the
 * libcurl glue the http workload uses (curl_glue.c).  Library calls return
 * 0 / -errno and never print; cmd_serve and the workload hooks do.
 */
#ifndef COROLAB_HTTP_H
#define COROLAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVE_DELAY_CAP_S 10.0		/* httpbin caps /delay at 10 s */
#define SERVE_BYTES_CAP (100 * 1024)	/* httpbin caps /bytes at 100 KiB */

struct serve_opts {
	const char *bind;	/* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	int port;		/* 0: the kernel picks one */
	long max_conns;		/* connections beyond this are closed at once */
	uint64_t idle_ns;	/* idle / slow-client timeout; 0: 30 s */
	bool test_endpoints;	/* /reset (RST mid-response); always on, see serve.c */
	long batch_wait_us;	/* wake-up batching window (coro_loop_opts);
				 * 0: SERVE_BATCH_WAIT_US, < 0: off */
	pid_t exit_with;	/* > 0: stop when this process exits; -ESRCH
				 * from server__run if it is not running */
};

/* The server's default wake-up batching window, microseconds: measured in
 * notes/http.md (fewer cross-CPU wake-ups for the client to pay for). */
#define SERVE_BATCH_WAIT_US 50

/* The idle timeout of the built-in server `corolab run http` starts when
 * there is no --url: longer than any request the workload makes. */
#define SERVE_BUILTIN_IDLE_NS (60ull * 1000000000ull)

struct serve_stats {
	uint64_t accepted, rejected, requests, bad_requests, timeouts;
	uint64_t peak_conns;
	unsigned batch_wait_us;	/* the batching window in effect (0: off or unsupported) */
};

/* Called once the socket listens (port resolved). */
typedef void (*serve_listen_fn)(void *arg, const char *addr, int port);

/* Run the server on the calling thread until SIGINT or SIGTERM arrives
 * (they are blocked and read through a signalfd).  0 after a clean stop. */
int server__run(const struct serve_opts *o, serve_listen_fn on_listen, void *arg,
		struct serve_stats *st);

/* Raise RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft
 * limit, or -errno. */
long serve_raise_nofile(void);

/* The built-in server in a child process (fork, no exec: the child runs
 * server__run and _exits, named "corolab-serve" so a tracer can tell it
 * apart).  The child dies with the parent (PR_SET_PDEATHSIG). */
struct server_child {
	pid_t pid;
	int port;
};
int server_child__start(struct server_child *sc, const struct serve_opts *o);
/* SIGTERM, then reap; 0 if it exited cleanly. */
int server_child__stop(struct server_child *sc);

/* Check a --url template ({i}, {delay}; http/https) before running:
 * 0, or -EINVAL with a lowercase reason in why.  `corolab run` should call
 * it and exit 2 on failure (a usage error). */
int http_url_template_check(const char *tmpl, char *why, size_t whylen);

/* Expand {i} and {delay} (delay = (i % 3 + 1) * scale, shortest form) into
 * out[0..cap), NUL-terminated.  -EINVAL on an unknown {...} or an
 * unterminated brace, -ENAMETOOLONG if it does not fit.  Public so the
 * fuzzer (tests/fuzz/) drives the code the workload runs. */
int http_url_expand(const char *tmpl, long i, double scale, char *out, size_t cap);

#endif
