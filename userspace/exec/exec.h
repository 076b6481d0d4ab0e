/* SPDX-License-Identifier: MIT */
/*
 * Executors: run tasks 0..tasks-1 of one function sequentially, on a pool of
 * OS threads, as coroutines on one OS thread (the coro runtime), or on a pool
 * of forked worker processes — the four ways the write-up compares.
 *
 * A task function blocks with the exec_* helpers below (exec_sleep_ns, ...),
 * which await on the coroutine loop inside a coroutine and make the plain
 * system call anywhere else, so one task body serves every mode.
 */
#ifndef COROLAB_EXEC_H
#define COROLAB_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coro/coro.h"

enum exec_mode { EXEC_SEQUENTIAL, EXEC_THREADS, EXEC_COROUTINES, EXEC_PROCESSES, EXEC_NMODES };

const char *exec_mode_name(enum exec_mode m);
int exec_mode_parse(const char *s, enum exec_mode *m);	/* -EINVAL if unknown */

/* Runs task i.  Returns 0 (ok) or -errno (failed).  result points at this
 * task's result_size bytes, zeroed; in processes mode they live in shared
 * memory, so store plain data only, no pointers. */
typedef int (*exec_task_fn)(void *ctx, long i, void *result);

struct exec_spec {
	enum exec_mode mode;
	long tasks;
	long workers;		/* threads / processes; <= 0 or >= tasks: one per task */
	exec_task_fn fn;
	void *ctx;
	size_t result_size;	/* bytes of result per task (0: none) */
	size_t stack_size;	/* coroutine stack size (0: runtime default) */
	int guard_mprotect;	/* coroutine guard pages by mprotect (coro_loop_opts) */
	size_t thread_stack;	/* pthread stack size (0: the default, RLIMIT_STACK) */
	int cpu;		/* >= 0: pin every worker (and the caller) to this CPU */
};

struct exec_result {
	long ok, failed;
	uint64_t wall_ns;		/* first task started -> last task finished */
	int os_threads;			/* peak OS threads the run used, caller included */
	long workers_created;		/* threads/processes actually created */
	void *results;			/* tasks x result_size, caller frees with exec_result__free */
	struct coro_stats coro;		/* coroutines mode only */
	/* processes mode: the workers' own rusage (wait4), so a run's CPU time
	 * never includes some other child the caller reaps (a server, say). */
	double workers_utime_s, workers_stime_s;
	long workers_maxrss_kb;
	bool has_coro;
};

/* 0 when every task ran (each may still have failed), -errno when the mode
 * could not run.  -EAGAIN: fewer workers could be created than asked for —
 * workers_created says how many — and the run stopped cleanly. */
int exec__run(const struct exec_spec *s, struct exec_result *r);
void exec_result__free(struct exec_result *r);

/* Blocking helpers for task bodies: coroutine awaits inside a coroutine,
 * plain system calls elsewhere.  Return 0 or -errno. */
int exec_sleep_ns(uint64_t ns);
bool exec_in_coroutine(void);

/* The OS thread id of the caller (gettid). */
int exec_tid(void);

#endif
