// SPDX-License-Identifier: MIT
/* bench.h: shared by bench/http_floor.c and bench/http_curl_epoll.c, make
 * bench's reference clients: a clock, strict number parsing, and the one
 * line of figures both print. */
#ifndef COROLAB_BENCH_H
#define COROLAB_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* S as a decimal in [lo, hi], or -1. */
static inline long bench_parse_long(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

/* "ok N failed N wall_s S[ EXTRA] user_s S sys_s S minflt N", this
 * process's CPU and faults from getrusage.  scripts/bench.sh reads it. */
static inline void bench_print(long ok, long failed, double wall_s, const char *extra)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("ok %ld failed %ld wall_s %.6f%s user_s %.6f sys_s %.6f minflt %ld\n",
	       ok, failed, wall_s, extra,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_minflt);
}

#endif
