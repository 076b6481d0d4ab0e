/* SPDX-License-Identifier: MIT */
/*
 * A workload is one experiment of the write-up, runnable in several modes.
 * `corolab run` (run.c) parses the common options into struct run_opts, asks
 * the workload to fill in its defaults for the mode, runs it, and adds the
 * common fields (schema, wall_s, max_rss_kb, os_threads, cpu times, host) to
 * the JSON object the workload filled.
 */
#ifndef COROLAB_WORKLOAD_H
#define COROLAB_WORKLOAD_H

#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec/exec.h"

struct run_opts {
	long tasks;		/* -1: workload default for the mode */
	long workers;		/* -1: workload default for the mode */
	uint64_t duration_ns;	/* sleep / spawn task duration; UINT64_MAX: default */
	long n;			/* cpu: iterations per task; -1: default */
	bool gil;		/* cpu: emulate CPython's GIL in threads mode */
	uint64_t stack_size;	/* coroutine stack bytes; 0: runtime default */
	bool guard_mprotect;	/* coroutine guard pages by mprotect, not MADV_GUARD_INSTALL */
	uint64_t thread_stack;	/* pthread stack bytes; 0: default (RLIMIT_STACK) */
	int cpu;		/* pin to this CPU; -1: no pinning (switch pins itself) */
	const char *url;	/* http: URL template; NULL: built-in server */
	double delay_scale;	/* http: multiplies the write-up's delays */
	uint64_t timeout_ns;	/* http: per-request timeout */
	int verbose;
	bool progress;		/* stderr is a terminal and --quiet not given */
	bool quiet;		/* no human output besides errors */
};

struct workload {
	const char *name;
	const char *summary;	/* one line for `corolab run --help` */
	unsigned modes;		/* bitmask of (1 << enum exec_mode) it supports */
	const char *why_not;	/* why the other modes make no sense */
	/* Fill defaults for mode m in o (tasks, workers, durations) where unset. */
	void (*defaults)(struct run_opts *o, enum exec_mode m);
	/* Run in mode m; add fields to out (an object); print nothing except
	 * through the human-output hooks below.  0 or -errno. */
	int (*run)(const struct run_opts *o, enum exec_mode m, json_t *out);
	/* Optional: print the human-readable part of one result (stdout or
	 * stderr as run.c chooses). */
	void (*print)(FILE *f, json_t *result);
};

extern const struct workload workload_sleep, workload_cpu, workload_spawn,
	workload_lifecycle, workload_switch, workload_http;

/* The cpu workload's loop: sum of i*i for i in [from, to), one multiply-add
 * per iteration (cpu.c says why it is its own 64-byte-aligned function).
 * Also `corolab doctor`'s measure of how steady this machine's speed is. */
uint64_t cpu_sum_squares(uint64_t from, uint64_t to);

/* The executor spec every workload starts from: mode, tasks, workers,
 * stacks and pinning as the options say; fn(ctx, i, result) per task. */
struct exec_spec workload_exec_spec(const struct run_opts *o, enum exec_mode m, exec_task_fn fn,
				    void *ctx, size_t result_size);

/* Fill the executor's figures into out: ok, failed, os_threads, workers,
 * user_switches + coro{} in coroutines mode.  wall_s is set by run.c. */
void workload_add_exec(json_t *out, const struct exec_result *r);

#endif
