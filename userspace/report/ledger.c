// SPDX-License-Identifier: MIT
/* The claims ledger: each claim of the write-up, the evidence this run
 * measured, and a verdict computed by the rules below.  Nothing here is typed
 * by hand per run: change a threshold and every report changes with it.
 * notes/claims.md explains each rule; keep the two in step. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"

/* C1: fewer involuntary switches than this in a CPU-bound threads run means
 * the kernel had no reason to preempt (fewer runnable threads than cores). */
#define SCHED_MIN_INVOL 10.0
/* C1: threads must be preempted this many times more often than the
 * coroutine run for "preemptive vs cooperative" to show in the counters. */
#define SCHED_INVOL_RATIO 5.0
/* C2: resident bytes per thread at or above this count as "8 MB needed". */
#define STACK_CLAIM_RSS_MIN (4.0 * 1024 * 1024)
/* C2: below this the 8 MB is clearly address space, not memory. */
#define STACK_RESIDENT_MAX (1.0 * 1024 * 1024)
/* C3: "a few KB" per coroutine. */
#define FEW_KB_MAX (16.0 * 1024)
/* C3: beyond "a few" but still far below a thread. */
#define FEW_KB_NUANCED_MAX (64.0 * 1024)
/* C4, C5: a cost ratio this large is "expensive vs cheap"... */
#define COST_RATIO_CLEAR 10.0
/* ...and below this there is no meaningful difference. */
#define COST_RATIO_NONE 2.0
/* C6, C7, C13: a speed-up below this is "does not help" (run-to-run noise on
 * a 2-core VM is ~10%; a real second core would give ~2x). */
#define NO_SPEEDUP_MAX 1.25
/* C8, C14, C15: a speed-up at least this large is real parallelism. */
#define PAR_SPEEDUP_MIN 1.5
/* C9: measured speed-up within this relative distance of the pool-size
 * model is explained by the pool size alone. */
#define POOL_MODEL_TOL 0.25
/* C9: below this coroutines did not beat threads at all. */
#define IO_SPEEDUP_MIN 1.1
/* C6, C8, C14, C15 need an otherwise idle machine.  N CPU-bound tasks on C
 * free cores keep max(N - C, 0) of them waiting, so their run-queue delay
 * (task->sched_info.run_delay, summed) is about max(N - C, 0) x wall.  More
 * than BUSY_DELAY_SLACK times that, plus BUSY_DELAY_FLOOR x wall, means other
 * work held the cores: speed-ups (or their absence) then say nothing. */
#define BUSY_DELAY_SLACK 1.25
#define BUSY_DELAY_FLOOR 0.10
/* C10: threads and coroutines this close (relative) took "the same time". */
#define SLEEP_EQUAL_TOL 0.05

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_SUPPORTED: return "supported";
	case V_REFUTED: return "refuted";
	case V_NUANCED: return "nuanced";
	case V_NOT_MEASURED: break;
	}
	return "not measured";
}

static const char *experiment_of(const char *workload)
{
	if (!strcmp(workload, "http"))
		return "01-http";
	if (!strcmp(workload, "lifecycle"))
		return "02-lifecycle";
	if (!strcmp(workload, "cpu") || !strcmp(workload, "sleep"))
		return "03-cpu-vs-io";
	if (!strcmp(workload, "spawn"))
		return "04-memory";
	return "05-switch-cost";
}

/* corolab records params.gil only where it changes something (threads
 * mode): sequential, coroutine and process runs made with --gil look like
 * plain runs.  Prefer a GIL-marked group, else take the plain one. */
static const struct rgroup *find_gil(const struct rset *s, const char *w, const char *mode)
{
	const struct rgroup *g = rset_find(s, w, mode, 1, 0);

	return g ? g : rset_find(s, w, mode, 0, 0);
}

static double med(const struct rgroup *g, const char *path)
{
	return g ? rgroup_stat(g, path, NULL, NULL) : NAN;
}

static void put(char *b, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, len, fmt, ap);
	va_end(ap);
}

/* Sets "not measured" naming what is missing; returns 1 if so. */
static int missing(struct claim_result *r, const char *workload, const char *what, int cond)
{
	if (!cond)
		return 0;
	r->verdict = V_NOT_MEASURED;
	put(r->why, sizeof(r->why), "experiment %s missing (%s)", experiment_of(workload), what);
	put(r->evidence, sizeof(r->evidence), "–");
	return 1;
}

static double kib(double b)
{
	return b / 1024.0;
}

/* Makespan of requests with delays (i%3+1) on a FIFO pool of w workers,
 * divided by the longest single delay (3): the speed-up running all at once
 * would give over this pool from concurrency alone.  O(n*w). */
static double pool_model_ratio(long n, long w)
{
	double busy[1024] = { 0 };

	if (n <= 0 || w <= 0)
		return NAN;
	if (w > 1024)
		w = 1024;
	for (long i = 0; i < n; i++) {
		long k = 0;

		for (long j = 1; j < w; j++)
			if (busy[j] < busy[k])
				k = j;
		busy[k] += (double)(i % 3 + 1);
	}
	double mk = 0;

	for (long j = 0; j < w; j++)
		if (busy[j] > mk)
			mk = busy[j];
	return mk / (n >= 3 ? 3.0 : (double)n);
}

/* Distinct OS thread ids in a lifecycle run's events. */
static long distinct_tids(const struct rgroup *g)
{
	json_t *ev = g ? json_object_get(g->run[0], "events") : NULL;
	double seen[256];
	long n = 0;
	size_t i;
	json_t *e;

	json_array_foreach(ev, i, e) {
		double t = rj_num(e, "tid");
		long j;

		if (isnan(t))
			continue;
		for (j = 0; j < n && seen[j] != t; j++)
			;
		if (j == n && n < 256)
			seen[n++] = t;
	}
	return ev ? n : -1;
}

/* Did g's tasks wait for a CPU longer than their own count explains?
 * Untraced runs cannot tell (no run delay): assume not. */
static int starved(const struct rgroup *g, double *delay, double *wall, double *expect)
{
	double cores = med(g, "host.cores"), n;

	*delay = med(g, "trace.kernel_run_delay_ns") / 1e9;
	if (isnan(*delay))
		*delay = med(g, "trace.totals.runq_latency.sum_ns") / 1e9;
	*wall = med(g, "wall_s");
	n = !strcmp(g->mode, "sequential") || !strcmp(g->mode, "coroutines") ? 1 : (double)g->tasks;
	*expect = fmax(n - (isnan(cores) ? 1 : cores), 0) * *wall;
	return !isnan(*delay) && *wall > 0 &&
	       *delay > BUSY_DELAY_SLACK * *expect + BUSY_DELAY_FLOOR * *wall;
}

/* Overrides r with "not measured" if a run it relies on was starved of CPU
 * by other work (see BUSY_DELAY_SLACK); keeps the evidence, says why. */
static void busy_guard(struct claim_result *r, const struct rgroup *g1, const struct rgroup *g2,
		       const struct rgroup *g3)
{
	const struct rgroup *gs[] = { g1, g2, g3 };
	double d, w, e;

	if (r->verdict == V_NOT_MEASURED)
		return;
	for (int i = 0; i < 3; i++) {
		if (!gs[i] || !starved(gs[i], &d, &w, &e))
			continue;
		r->verdict = V_NOT_MEASURED;
		put(r->why, sizeof(r->why), "the machine was busy: %s waited %.2f s for a CPU in a "
		    "%.2f s run (its own tasks explain %.2f s), so other work held the cores; rerun "
		    "on an idle machine", gs[i]->label, d, w, e);
		return;
	}
}

size_t ledger__eval(const struct rset *s, struct claim_result *out, size_t max)
{
	size_t n = 0;
	struct claim_result *r;
	const struct rgroup *a, *b, *c;
	double x, y, z;

#define CLAIM(id_, text_)                                                                       \
	if (n >= max)                                                                         \
		return n;                                                                     \
	r = &out[n++];                                                                        \
	memset(r, 0, sizeof(*r));                                                             \
	r->id = id_;                                                                          \
	r->claim = text_;

	/* C1 */
	CLAIM("C1", "Threads are scheduled preemptively by the kernel; coroutines cooperatively, "
		    "yielding control themselves")
	a = rset_find(s, "cpu", "threads", 0, 0);
	b = rset_find(s, "cpu", "coroutines", 0, 0);
	if (!missing(r, "cpu", "cpu threads and coroutines runs", !a || !b) &&
	    !missing(r, "cpu", "needs the eBPF trace: run the lab as root",
		     isnan(med(a, "trace.totals.ctx_switches.involuntary")) ||
			     isnan(med(b, "trace.totals.ctx_switches.involuntary")))) {
		x = med(a, "trace.totals.ctx_switches.involuntary");
		y = med(b, "trace.totals.ctx_switches.involuntary");
		z = med(b, "user_switches");
		put(r->evidence, sizeof(r->evidence),
		    "cpu, %ld tasks: involuntary switches threads %.0f vs coroutines %.0f; "
		    "coroutine user-space switches %.0f", a->tasks, x, y, z);
		if (x < SCHED_MIN_INVOL) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "the threads were hardly preempted: with no more "
				"runnable threads than cores the kernel has no reason to preempt");
		} else if (x >= SCHED_INVOL_RATIO * fmax(y, 1)) {
			r->verdict = V_SUPPORTED;
			put(r->why, sizeof(r->why), "the kernel preempted the threads %.0f× as often; "
				"coroutine switches happened in user space where the code yielded",
				x / fmax(y, 1));
		} else {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "the coroutine scheduler's own thread was preempted "
				"almost as often: the kernel preempts every thread, coroutines only "
				"choose among themselves");
		}
	}

	/* C2 */
	CLAIM("C2", "Each thread needs 8 MB of stack")
	a = rset_find(s, "spawn", "threads", -1, 0);
	if (!missing(r, "spawn", "spawn threads run", !a || isnan(med(a, "rss_per_task_bytes")))) {
		x = med(a, "rss_per_task_bytes");
		y = med(a, "params.thread_stack_bytes");
		z = med(a, "vm_per_task_bytes");
		put(r->evidence, sizeof(r->evidence), "%ld threads: %.1f KiB resident per thread; "
		    "stack reservation %s%.0f KiB", a->tasks, kib(x), isnan(y) ? "(default) " : "",
		    isnan(y) ? 8192.0 : kib(y));
		if (!isnan(z))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    ", virtual memory %.0f KiB per thread", kib(z));
		if (x >= STACK_CLAIM_RSS_MIN) {
			r->verdict = V_SUPPORTED;
			put(r->why, sizeof(r->why), "each thread really kept megabytes resident");
		} else if (x < STACK_RESIDENT_MAX) {
			r->verdict = V_REFUTED;
			put(r->why, sizeof(r->why), "8 MB is reserved address space; only touched pages "
				"become memory, %.0f KiB per thread here", kib(x));
		} else {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "more than a few pages but far from 8 MB resident");
		}
	}

	/* C3 */
	CLAIM("C3", "A coroutine needs only a few KB of memory")
	a = rset_find(s, "spawn", "coroutines", -1, 0);
	if (!missing(r, "spawn", "spawn coroutines run", !a || isnan(med(a, "rss_per_task_bytes")))) {
		x = med(a, "rss_per_task_bytes");
		y = med(a, "coro.stack_bytes_touched") / fmax(med(a, "coro.spawned"), 1);
		put(r->evidence, sizeof(r->evidence), "%ld coroutines: %.1f KiB resident per coroutine"
		    "%s", a->tasks, kib(x), "");
		if (!isnan(y))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    "; %.1f KiB of stack touched each", kib(y));
		r->verdict = x <= FEW_KB_MAX ? V_SUPPORTED : x <= FEW_KB_NUANCED_MAX ? V_NUANCED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"a coroutine costs a few pages of stack plus its bookkeeping" :
			r->verdict == V_NUANCED ? "tens of KB: more than \"a few\", still far below a thread" :
			"a coroutine cost as much as a thread here");
	}

	/* C4 */
	CLAIM("C4", "Creating a thread is expensive; creating a coroutine is cheap")
	a = rset_find(s, "spawn", "threads", -1, 0);
	b = rset_find(s, "spawn", "coroutines", -1, 0);
	c = rset_find(s, "spawn", "processes", -1, 0);
	if (!missing(r, "spawn", "spawn threads and coroutines runs",
		     isnan(med(a, "create_ns_per_task")) || isnan(med(b, "create_ns_per_task")))) {
		x = med(a, "create_ns_per_task");
		y = med(b, "create_ns_per_task");
		z = med(c, "create_ns_per_task");
		put(r->evidence, sizeof(r->evidence), "create per task: thread %.0f ns, coroutine "
		    "%.0f ns (%.1f×)%s", x, y, x / y, "");
		if (!isnan(z))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    "; process %.0f ns", z);
		r->verdict = x / y >= COST_RATIO_CLEAR ? V_SUPPORTED :
			     x / y >= COST_RATIO_NONE ? V_NUANCED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"a thread needs clone(), a kernel task and a stack mapping; a coroutine a "
			"struct and a stack slot in user space" :
			r->verdict == V_NUANCED ? "cheaper, but not by an order of magnitude" :
			"creation costs were about the same");
	}

	/* C5 */
	CLAIM("C5", "Switching between threads is expensive; between coroutines nearly free")
	a = rset_find(s, "switch", "threads", -1, 0);
	b = rset_find(s, "switch", "coroutines", -1, 0);
	c = rset_find(s, "switch", "processes", -1, 0);
	if (!missing(r, "switch", "switch threads and coroutines runs",
		     isnan(med(a, "ns_per_switch")) || isnan(med(b, "ns_per_switch")))) {
		x = med(a, "ns_per_switch");
		y = med(b, "ns_per_switch");
		z = med(b, "swapcontext_ns_per_switch");
		put(r->evidence, sizeof(r->evidence), "per switch: threads %.0f ns, coroutines %.1f ns "
		    "(%.0f×)", x, y, x / y);
		if (!isnan(z))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    "; glibc swapcontext %.0f ns", z);
		if (!isnan(med(c, "ns_per_switch")))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    "; processes %.0f ns", med(c, "ns_per_switch"));
		r->verdict = x / y >= COST_RATIO_CLEAR ? V_SUPPORTED :
			     x / y >= COST_RATIO_NONE ? V_NUANCED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"a thread switch goes through futex, the scheduler and back; a coroutine "
			"switch saves a few registers in user space" :
			r->verdict == V_NUANCED ? "coroutine switches were cheaper but not by an order "
			"of magnitude" : "switch costs were about the same");
	}

	/* C6 */
	CLAIM("C6", "Under the GIL, threads do not speed up CPU-bound work")
	a = rset_find(s, "cpu", "threads", 1, 0);
	b = find_gil(s, "cpu", "sequential");
	if (!missing(r, "cpu", "cpu --gil threads and sequential runs", !a || !b)) {
		x = med(b, "wall_s") / med(a, "wall_s");
		put(r->evidence, sizeof(r->evidence), "cpu: sequential %.3f s, threads under the GIL "
		    "%.3f s (speed-up %.2f×)", med(b, "wall_s"), med(a, "wall_s"), x);
		r->verdict = x < NO_SPEEDUP_MAX ? V_SUPPORTED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"only the thread holding the lock runs; the others wait (voluntary switches), "
			"so the second core idles" : "the threads ran in parallel despite the emulated GIL");
	}

	busy_guard(r, a, b, NULL);

	/* C7 */
	CLAIM("C7", "Coroutines do not speed up CPU-bound work")
	a = rset_find(s, "cpu", "coroutines", 0, 0);
	b = rset_find(s, "cpu", "sequential", 0, 0);
	if (!missing(r, "cpu", "cpu coroutines and sequential runs", !a || !b)) {
		x = med(b, "wall_s") / med(a, "wall_s");
		put(r->evidence, sizeof(r->evidence), "cpu: sequential %.3f s, coroutines %.3f s "
		    "(speed-up %.2f×)", med(b, "wall_s"), med(a, "wall_s"), x);
		r->verdict = x < NO_SPEEDUP_MAX ? V_SUPPORTED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"coroutines take turns on one OS thread: the same work in the same time" :
			"the coroutine run was faster than sequential");
	}

	/* C8 */
	CLAIM("C8", "CPU-bound work cannot be parallelised with threads (the GIL argument, "
		    "generalised)")
	a = rset_find(s, "cpu", "threads", 0, 0);
	b = rset_find(s, "cpu", "sequential", 0, 0);
	if (!missing(r, "cpu", "cpu threads and sequential runs without --gil", !a || !b)) {
		x = med(b, "wall_s") / med(a, "wall_s");
		z = med(a, "host.cores");
		put(r->evidence, sizeof(r->evidence), "cpu without GIL: sequential %.3f s, %ld threads "
		    "%.3f s (speed-up %.2f× on %.0f cores)", med(b, "wall_s"), a->tasks,
		    med(a, "wall_s"), x, z);
		if (x >= PAR_SPEEDUP_MIN) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "true only under the GIL: native threads scaled "
				"%.2f× with the cores", x);
		} else {
			r->verdict = V_SUPPORTED;
			put(r->why, sizeof(r->why), "even without a GIL the threads did not scale here "
				"(too few cores or too little work)");
		}
	}

	busy_guard(r, a, b, NULL);

	/* C9 */
	CLAIM("C9", "Coroutines are faster than threads for IO-bound work (HTTP: 2.33×)")
	a = rset_find(s, "http", "threads", -1, 0);
	b = rset_find(s, "http", "coroutines", -1, 0);
	if (!missing(r, "http", "http threads and coroutines runs", !a || !b)) {
		long w = (long)med(a, "workers"), t = a->tasks;
		double model = pool_model_ratio(t, w);

		x = med(a, "wall_s") / med(b, "wall_s");
		put(r->evidence, sizeof(r->evidence), "%ld requests: thread pool of %ld %.3f s, "
		    "coroutines %.3f s (%.2f×); pool-size model predicts %.2f×", t, w,
		    med(a, "wall_s"), med(b, "wall_s"), x, model);
		if (x < IO_SPEEDUP_MIN) {
			r->verdict = V_REFUTED;
			put(r->why, sizeof(r->why), "coroutines were not faster than the thread pool");
		} else if (fabs(x / model - 1) <= POOL_MODEL_TOL) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "the speed-up is what a pool of %ld threads for %ld "
				"requests predicts: it comes from the pool size, not from switch cost", w, t);
		} else {
			r->verdict = x >= PAR_SPEEDUP_MIN ? V_SUPPORTED : V_NUANCED;
			put(r->why, sizeof(r->why), "faster than the pool-size model explains, so "
				"per-request overhead matters too");
		}
	}

	/* C10 */
	CLAIM("C10", "Coroutines beat threads on IO-bound sleeps (the write-up's 10 × 1 s test)")
	a = rset_find(s, "sleep", "threads", -1, 0);
	b = rset_find(s, "sleep", "coroutines", -1, 0);
	if (!missing(r, "sleep", "sleep threads and coroutines runs", !a || !b)) {
		x = med(a, "wall_s");
		y = med(b, "wall_s");
		put(r->evidence, sizeof(r->evidence), "%ld sleeps: threads %.3f s, coroutines %.3f s",
		    a->tasks, x, y);
		if (fabs(x / y - 1) <= SLEEP_EQUAL_TOL) {
			r->verdict = V_REFUTED;
			put(r->why, sizeof(r->why), "the same time, as the write-up's own program printed "
				"(1.00 s = 1.00 s): with a thread per task nobody waits for a thread");
		} else {
			r->verdict = y < x ? V_SUPPORTED : V_REFUTED;
			put(r->why, sizeof(r->why), y < x ? "coroutines finished measurably sooner" :
				"threads finished sooner");
		}
	}

	/* C11 */
	CLAIM("C11", "1000 coroutines use less memory than 50 threads (section 4)")
	a = rset_find(s, "spawn", "coroutines", -1, 0);
	b = rset_find(s, "spawn", "threads", -1, 0);
	if (!missing(r, "spawn", "spawn coroutines and threads runs",
		     isnan(med(a, "rss_kb.after_create")) || isnan(med(b, "rss_kb.after_create")))) {
		x = med(a, "rss_kb.after_create") - med(a, "rss_kb.before");
		y = med(b, "rss_kb.after_create") - med(b, "rss_kb.before");
		put(r->evidence, sizeof(r->evidence), "RSS growth: %ld coroutines %+.0f KiB "
		    "(%.2f KiB each), %ld threads %+.0f KiB (%.2f KiB each)", a->tasks, x,
		    x / (double)a->tasks, b->tasks, y, y / (double)b->tasks);
		if (a->tasks != b->tasks) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "per task a coroutine costs %.1f× %s than a thread, "
				"but %ld coroutines against %ld threads is not a like-for-like total",
				x / a->tasks > 0 ? (y / b->tasks) / (x / a->tasks) : NAN,
				y / b->tasks >= x / a->tasks ? "less" : "more (inverse ratio)",
				a->tasks, b->tasks);
		} else {
			r->verdict = x < y ? V_SUPPORTED : V_REFUTED;
			put(r->why, sizeof(r->why), "same task count, %s total", x < y ?
				"coroutines used less" : "coroutines used no less");
		}
	}

	/* C12 */
	CLAIM("C12", "Threads must be limited in number; coroutines can be created by the "
		     "hundred thousand")
	a = rset_find(s, "spawn", "coroutines", -1, 1);
	b = rset_find(s, "spawn", "threads", -1, 1);
	if (!missing(r, "spawn", "the scaled-up spawn runs", !a || !b)) {
		put(r->evidence, sizeof(r->evidence), "%ld coroutines: %.0f ok, %.1f KiB/task, "
		    "%.3f s; %ld threads: %.0f ok, %.1f KiB/task, %.3f s", a->tasks, med(a, "ok"),
		    kib(med(a, "rss_per_task_bytes")), med(a, "wall_s"), b->tasks, med(b, "ok"),
		    kib(med(b, "rss_per_task_bytes")), med(b, "wall_s"));
		if (med(a, "ok") >= (double)a->tasks && a->tasks > b->tasks) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "coroutines scaled further, but %ld threads also ran: "
				"the thread limit is pid_max/max_map_count, not memory", b->tasks);
		} else {
			r->verdict = V_REFUTED;
			put(r->why, sizeof(r->why), "the coroutine scale-up did not complete");
		}
	}

	/* C13 */
	CLAIM("C13", "Coroutines are not limited by the GIL")
	a = find_gil(s, "cpu", "coroutines");
	b = find_gil(s, "cpu", "sequential");
	if (!missing(r, "cpu", "cpu coroutines and sequential runs", !a || !b)) {
		x = med(b, "wall_s") / med(a, "wall_s");
		put(r->evidence, sizeof(r->evidence), "cpu%s: coroutines on %.0f OS thread(s) %.3f s, "
		    "sequential %.3f s (speed-up %.2f×)", a->gil ? " --gil" : "", med(a, "os_threads"),
		    med(a, "wall_s"), med(b, "wall_s"), x);
		if (x < NO_SPEEDUP_MAX) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "single-threaded, so the GIL is irrelevant rather than "
				"avoided: nothing is gained on CPU work either");
		} else {
			r->verdict = V_SUPPORTED;
			put(r->why, sizeof(r->why), "the coroutine run beat sequential under the GIL");
		}
	}

	/* C14 */
	CLAIM("C14", "Threads give true parallelism on a multi-core machine")
	a = rset_find(s, "cpu", "threads", 0, 0);
	b = rset_find(s, "cpu", "sequential", 0, 0);
	if (!missing(r, "cpu", "cpu threads and sequential runs", !a || !b) &&
	    !missing(r, "cpu", "needs at least 2 cores", med(a, "host.cores") < 2)) {
		const struct rgroup *ga = rset_find(s, "cpu", "threads", 1, 0);
		const struct rgroup *gb = find_gil(s, "cpu", "sequential");

		x = med(b, "wall_s") / med(a, "wall_s");
		y = ga && gb ? med(gb, "wall_s") / med(ga, "wall_s") : NAN;
		put(r->evidence, sizeof(r->evidence), "speed-up over sequential on %.0f cores: "
		    "native threads %.2f×", med(a, "host.cores"), x);
		if (!isnan(y))
			put(r->evidence + strlen(r->evidence), sizeof(r->evidence) - strlen(r->evidence),
			    ", threads under the GIL %.2f×", y);
		if (x < PAR_SPEEDUP_MIN) {
			r->verdict = V_REFUTED;
			put(r->why, sizeof(r->why), "the threads did not run in parallel here");
		} else if (!isnan(y) && y < NO_SPEEDUP_MAX) {
			r->verdict = V_NUANCED;
			put(r->why, sizeof(r->why), "true for OS threads, false for Python threads under "
				"the GIL, the write-up's own setting");
		} else {
			r->verdict = V_SUPPORTED;
			put(r->why, sizeof(r->why), "the threads ran on every core at once");
		}
	}

	busy_guard(r, a, b, rset_find(s, "cpu", "threads", 1, 0));

	/* C15 */
	CLAIM("C15", "For CPU-bound work use multiple processes (production advice)")
	a = find_gil(s, "cpu", "processes");
	b = find_gil(s, "cpu", "sequential");
	if (!missing(r, "cpu", "cpu processes and sequential runs", !a || !b)) {
		x = med(b, "wall_s") / med(a, "wall_s");
		put(r->evidence, sizeof(r->evidence), "cpu: sequential %.3f s, %.0f processes "
		    "%.3f s (speed-up %.2f×)", med(b, "wall_s"), med(a, "workers"), med(a, "wall_s"), x);
		r->verdict = x >= PAR_SPEEDUP_MIN ? V_SUPPORTED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"each process has its own GIL, so the cores are used" :
			"processes did not speed the work up here");
	}

	busy_guard(r, a, b, NULL);

	/* C16 */
	CLAIM("C16", "Coroutines are concurrency inside one thread; threads run on separate OS "
		     "threads (lifecycle demo)")
	a = rset_find(s, "lifecycle", "coroutines", -1, 0);
	b = rset_find(s, "lifecycle", "threads", -1, 0);
	if (!missing(r, "lifecycle", "lifecycle runs with events", distinct_tids(a) <= 0 ||
		     distinct_tids(b) <= 0)) {
		long ca = distinct_tids(a), cb = distinct_tids(b);

		put(r->evidence, sizeof(r->evidence), "%ld tasks: coroutine events on %ld OS thread(s), "
		    "thread events on %ld", a->tasks, ca, cb);
		r->verdict = ca == 1 && cb >= 2 ? V_SUPPORTED : V_REFUTED;
		put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			"every coroutine state change happened on the same kernel thread" :
			"the event log does not show that split");
	}
#undef CLAIM
	return n;
}

void ledger__write(const struct rset *s, FILE *md)
{
	struct claim_result res[LEDGER_MAX_CLAIMS];
	size_t n = ledger__eval(s, res, LEDGER_MAX_CLAIMS), count[4] = { 0 };

	fprintf(md, "## Claims ledger\n\n"
		    "Each claim of the write-up, the evidence from this run and a verdict computed "
		    "by the rules in `userspace/report/ledger.c` (explained in notes/claims.md).\n\n"
		    "| # | claim (write-up) | evidence (this run) | verdict | why |\n"
		    "|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		count[res[i].verdict]++;
		fprintf(md, "| %s | %s | %s | **%s** | %s |\n", res[i].id, res[i].claim, res[i].evidence,
			verdict_name(res[i].verdict), res[i].why);
	}
	fprintf(md, "\n%zu claims: %zu supported, %zu refuted, %zu nuanced, %zu not measured.\n", n,
		count[V_SUPPORTED], count[V_REFUTED], count[V_NUANCED], count[V_NOT_MEASURED]);
}
