// SPDX-License-Identifier: MIT
/* The claims ledger: each claim of the write-up, the evidence this run
 * measured, and a verdict computed by the rules below.  Nothing here is typed
 * by hand per run: change a threshold and every report changes with it.
 * notes/claims.md explains each rule; keep the two in step. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
/* C6, C7, C8, C13, C14, C15 need an otherwise idle machine (C7, C13: a
 * starved sequential or coroutine run fakes a speed-up or hides one).  N CPU-bound tasks on C
 * free cores keep max(N - C, 0) of them waiting, so their run-queue delay
 * (task->sched_info.run_delay, summed) is about max(N - C, 0) x wall.  More
 * than BUSY_DELAY_SLACK times that, plus BUSY_DELAY_FLOOR x wall, means other
 * work held the cores: speed-ups (or their absence) then say nothing. */
#define BUSY_DELAY_SLACK 1.25
#define BUSY_DELAY_FLOOR 0.10
/* The same claims need a machine whose speed held still.  The cpu workload
 * does the same work in every mode, so its CPU time (user + sys) measures
 * the machine: the in-process modes that execute the same instructions
 * (sequential, coroutines, native threads; not threads under a GIL, whose
 * lock hand-offs add 5-35% here) agreed within 10% in every full run on
 * these VMs but one.  There, a stretch when the VM ran slower (another
 * guest; no steal time or run-queue delay shows it inside) made the same
 * work take 1.99 s of CPU sequentially and 1.23 s in coroutines, and the
 * ledger judged "native threads 3.01x on 2 cores".  A spread above this
 * ratio makes the verdicts "not measured". */
#define SPEED_SPREAD_MAX 1.25
/* C10: threads and coroutines this close (relative) took "the same time". */
#define SLEEP_EQUAL_TOL 0.05

/* The "Python (measured)" column judges each claim again on the CPython runs
 * (lab/06-python.sh); the C constants above apply unchanged unless a rule
 * below says otherwise, and the same busy-machine guard protects the same
 * claims (C6, C7, C8, C13, C14, C15).
 *
 * C6 (Python): CPU-bound threads under the real GIL took at least this
 * fraction of the sequential wall time: they did not overlap (= 1 /
 * NO_SPEEDUP_MAX, the C side's "no speed-up" bound, seen from the other side). */
#define PY_GIL_WALL_RATIO_MIN (1.0 / NO_SPEEDUP_MAX)
/* C6, C8, C14, C15 (Python): a sequential CPU run shorter than this is
 * dominated by interpreter and pool start-up (~20 ms per process here), so
 * speed-ups say nothing about the GIL: scale up (lab without --quick). */
#define PY_CPU_MIN_WALL_S 0.2
/* C6 (Python): a worker thread counts as having run if it got at least this
 * share of the run's total on-CPU time (the pool's idle helpers do not). */
#define PY_ONCPU_MIN_SHARE 0.02

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

/* The per-round range of the ratio num/den of one field (C4, C5).  The lab
 * runs its repeats interleaved by round (lab/lib.sh), so round i of two
 * groups ran at most minutes apart: pairing them cancels most of a drift in
 * the machine's speed.  Groups with different repeat counts are not paired:
 * the widest range, min(num)/max(den) .. max(num)/min(den).  Returns how
 * many rounds were compared (0: lo and hi are NAN). */
static int ratio_rounds(const struct rgroup *num, const struct rgroup *den, const char *path,
			double *lo, double *hi)
{
	double a0, a1, b0, b1;
	int n = 0;

	*lo = *hi = NAN;
	if (!num || !den)
		return 0;
	if (num->n == den->n) {
		for (size_t i = 0; i < num->n; i++) {
			double r = rgroup_at(num, i, path) / rgroup_at(den, i, path);

			if (!isfinite(r))
				continue;
			if (!n || r < *lo)
				*lo = r;
			if (!n || r > *hi)
				*hi = r;
			n++;
		}
		return n;
	}
	rgroup_stat(num, path, &a0, &a1);
	rgroup_stat(den, path, &b0, &b1);
	if (!isfinite(a0 / b1) || !isfinite(a1 / b0))
		return 0;
	*lo = a0 / b1;
	*hi = a1 / b0;
	return (int)(num->n < den->n ? num->n : den->n);
}

/* C4, C5 (both columns): "expensive vs cheap" from the cost ratio a/b of
 * one field, judged on every round: supported only if every round is an
 * order of magnitude apart.  Rounds on both sides of a line put the claim
 * at that line (line = it, verdict nuanced) instead of letting the median
 * flip the verdict from one run to the next: thread vs coroutine creation
 * measured 9.0x in one full run and 10.2x in another on the same machine.
 * Without rounds, the median. */
struct cost {
	double a, b;		/* the medians */
	double line;		/* the line the rounds fell on both sides of; 0: none */
	enum verdict v;
	char rounds[64];	/* "; 8.2–10.4× across 3 rounds", or "" with no spread */
};

static void cost_judge(const struct rgroup *a, const struct rgroup *b, const char *path, int prec,
		       struct cost *c)
{
	double lo, hi;
	int nr = ratio_rounds(a, b, path, &lo, &hi);

	c->a = a ? rgroup_stat(a, path, NULL, NULL) : NAN;
	c->b = b ? rgroup_stat(b, path, NULL, NULL) : NAN;
	c->line = 0;
	c->rounds[0] = '\0';
	if (nr > 1 && lo != hi)
		snprintf(c->rounds, sizeof(c->rounds), "; %.*f–%.*f× across %d rounds", prec, lo,
			 prec, hi, nr);
	if (nr <= 0)
		lo = hi = c->a / c->b;
	if (lo >= COST_RATIO_CLEAR) {
		c->v = V_SUPPORTED;
	} else if (hi >= COST_RATIO_CLEAR) {
		c->line = COST_RATIO_CLEAR;
		c->v = V_NUANCED;
	} else if (lo >= COST_RATIO_NONE) {
		c->v = V_NUANCED;
	} else if (hi >= COST_RATIO_NONE) {
		c->line = COST_RATIO_NONE;
		c->v = V_NUANCED;
	} else {
		c->v = V_REFUTED;
	}
}

static void put(char *b, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, len, fmt, ap);
	va_end(ap);
}

/* Append to the evidence already written. */
#define put_more(buf, ...) put((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

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

/* Median CPU time (user + sys) of a group's runs. */
static double cpu_s(const struct rgroup *g)
{
	return med(g, "cpu_user_s") + med(g, "cpu_sys_s");
}

/* Did the machine's speed change during the cpu experiment of this runtime
 * (C or CPython)?  Compares the CPU time of the same work across the modes
 * that do the same work (see SPEED_SPREAD_MAX); names the two extremes. */
static int speed_varied(const struct rset *s, int py, char *why, size_t whylen)
{
	/* In-process modes only: a process pool's CPU time is whatever its
	 * workers' rusage reached the parent (not all tools collect it). */
	static const char *const modes[] = { "sequential", "coroutines", "threads" };
	const struct rgroup *lo = NULL, *hi = NULL;
	double tlo = 0, thi = 0;

	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		const struct rgroup *g;
		double t;

		if (py && !strcmp(modes[i], "threads"))
			continue;	/* CPython threads always hold a GIL */
		g = rset_find_rt(s, py, "cpu", modes[i], py ? -1 : 0, 0);
		t = g ? cpu_s(g) : NAN;
		if (isnan(t) || t <= 0)
			continue;
		if (!lo || t < tlo) {
			lo = g;
			tlo = t;
		}
		if (!hi || t > thi) {
			hi = g;
			thi = t;
		}
	}
	if (!lo || thi <= SPEED_SPREAD_MAX * tlo)
		return 0;
	put(why, whylen, "the machine's speed changed during the experiment: the same CPU work "
	    "took %.2f s of CPU in %s and %.2f s in %s (more than %.2f× apart), so speed-ups "
	    "say nothing; rerun", thi, hi->label, tlo, lo->label, SPEED_SPREAD_MAX);
	return 1;
}

/* Overrides *v with "not measured" if a run it relies on was starved of CPU
 * by other work (see BUSY_DELAY_SLACK), or if the machine's speed changed
 * under the cpu experiment (SPEED_SPREAD_MAX); keeps the evidence, says why.
 * The same rules for the C verdict and the Python column. */
static void busy_guard_v(const struct rset *s, enum verdict *v, char *why, size_t whylen,
			 const struct rgroup *g1, const struct rgroup *g2, const struct rgroup *g3)
{
	const struct rgroup *gs[] = { g1, g2, g3 };
	double d, w, e;

	if (*v == V_NOT_MEASURED)
		return;
	for (int i = 0; i < 3; i++) {
		if (!gs[i] || strcmp(gs[i]->workload, "cpu"))
			continue;
		/* One check per runtime: its cpu experiment as a whole. */
		if (speed_varied(s, gs[i]->py, why, whylen)) {
			*v = V_NOT_MEASURED;
			return;
		}
		break;
	}
	for (int i = 0; i < 3; i++) {
		if (!gs[i] || !starved(gs[i], &d, &w, &e))
			continue;
		*v = V_NOT_MEASURED;
		put(why, whylen, "the machine was busy: %s waited %.2f s for a CPU in a "
		    "%.2f s run (its own tasks explain %.2f s), so other work held the cores; rerun "
		    "on an idle machine", gs[i]->label, d, w, e);
		return;
	}
}

static void busy_guard(const struct rset *s, struct claim_result *r, const struct rgroup *g1,
		       const struct rgroup *g2, const struct rgroup *g3)
{
	busy_guard_v(s, &r->verdict, r->why, sizeof(r->why), g1, g2, g3);
}

/* ---- the "Python (measured)" column ---- */

static const struct rgroup *pyg(const struct rset *s, const char *w, const char *mode)
{
	return rset_find_rt(s, 1, w, mode, -1, 0);
}

static void add(char *b, size_t len, const char *fmt, ...)
{
	size_t l = strlen(b);
	va_list ap;

	if (l >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(b + l, len - l, fmt, ap);
	va_end(ap);
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/* On-CPU time per thread of g's first traced repeat, largest first, in ms
 * ("71, 17, 8, 8"); returns how many threads got at least
 * PY_ONCPU_MIN_SHARE of the total, -1 without per-thread data. */
static int oncpu_spread(const struct rgroup *g, char *b, size_t len)
{
	json_t *th = g && g->trace[0] ? json_object_get(g->trace[0], "threads") : NULL;
	double v[64], tot = 0;
	size_t n = 0, i;
	json_t *t;
	int ran = 0;

	b[0] = '\0';
	json_array_foreach(th, i, t) {
		double x = rj_num(t, "oncpu_ns");

		if (!isnan(x) && n < 64) {
			v[n++] = x;
			tot += x;
		}
	}
	if (!n || tot <= 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_desc);
	for (i = 0; i < n; i++) {
		ran += v[i] >= PY_ONCPU_MIN_SHARE * tot;
		if (i < 6)
			add(b, len, "%s%.0f", i ? ", " : "", v[i] / 1e6);
	}
	if (n > 6)
		add(b, len, ", … (%zu threads)", n);
	return ran;
}

static void py_set(struct claim_result *r, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	r->py_has = 1;
	r->py_verdict = v;
	va_start(ap, fmt);
	vsnprintf(r->py_why, sizeof(r->py_why), fmt, ap);
	va_end(ap);
}

/* A CPython CPU run too short to show anything but start-up: says so and
 * returns 1. */
static int py_too_short(struct claim_result *r, const struct rgroup *seq)
{
	double w = med(seq, "wall_s");

	if (!(w < PY_CPU_MIN_WALL_S))
		return 0;
	py_set(r, V_NOT_MEASURED, "too little work: sequential took %.3f s (< %.1f s), so "
	       "interpreter and pool start-up dominate; run the lab without --quick", w,
	       PY_CPU_MIN_WALL_S);
	return 1;
}

/* The original program's own printed figure at a dotted path of its
 * summary.json, NAN when absent. */
static double orig_num(const struct rset *s, const char *path)
{
	const struct rorig *o = rset_original(s);

	return o ? rj_num(o->summary, path) : NAN;
}

static void py_claim(const struct rset *s, struct claim_result *r)
{
	const struct rgroup *a, *b, *c;
	double x, y, z, w;
	char *ev = r->py_evidence;
	size_t el = sizeof(r->py_evidence);
	const char *id = r->id;

	ev[0] = '\0';
	if (!strcmp(id, "C1")) {
		a = pyg(s, "cpu", "threads");
		b = pyg(s, "cpu", "coroutines");
		x = med(a, "trace.totals.ctx_switches.involuntary");
		y = med(b, "trace.totals.ctx_switches.involuntary");
		if (isnan(x) || isnan(y))
			return;
		z = med(a, "trace.totals.ctx_switches.voluntary");
		w = med(b, "trace.totals.ctx_switches.voluntary");
		add(ev, el, "cpu, %ld tasks: involuntary switches threads %.0f vs asyncio %.0f; "
		    "voluntary %.0f vs %.0f", a->tasks, x, y, z, w);
		if (x >= SCHED_MIN_INVOL && x >= SCHED_INVOL_RATIO * fmax(y, 1))
			py_set(r, V_SUPPORTED, "the kernel preempted the threads %.0f× as often; asyncio "
			       "tasks switch only at an await", x / fmax(y, 1));
		else if (z >= SCHED_INVOL_RATIO * fmax(w, 1))
			py_set(r, V_NUANCED, "the threads were rarely preempted: under the GIL they "
			       "mostly sleep waiting for the lock (voluntary switches), so the interpreter's "
			       "5 ms hand-off, not the kernel, decides which thread runs Python");
		else
			py_set(r, V_NUANCED, "no clear split between the threads' and asyncio's switch "
			       "counters at this scale");
	} else if (!strcmp(id, "C2")) {
		a = pyg(s, "spawn", "threads");
		x = med(a, "rss_per_task_bytes");
		if (isnan(x))
			return;
		add(ev, el, "%ld threads (ThreadPoolExecutor): %.1f KiB resident per thread", a->tasks,
		    kib(x));
		py_set(r, x >= STACK_CLAIM_RSS_MIN ? V_SUPPORTED : x < STACK_RESIDENT_MAX ? V_REFUTED :
		       V_NUANCED, x >= STACK_CLAIM_RSS_MIN ? "each thread kept megabytes resident" :
		       x < STACK_RESIDENT_MAX ? "a CPython thread is an 8 MB reservation too; only the "
		       "pages it touches (and its PyThreadState) become memory" :
		       "more than a few pages but far from 8 MB resident");
	} else if (!strcmp(id, "C3")) {
		a = pyg(s, "spawn", "coroutines");
		x = med(a, "rss_per_task_bytes");
		if (isnan(x))
			return;
		add(ev, el, "%ld asyncio tasks: %.2f KiB resident each", a->tasks, kib(x));
		y = med(a, "rss_kb.after_create_unstarted") - med(a, "rss_kb.before");
		if (!isnan(y) && a->tasks)
			add(ev, el, " (%.2f KiB at the write-up's unstarted snapshot)", y / (double)a->tasks);
		py_set(r, x <= FEW_KB_MAX ? V_SUPPORTED : x <= FEW_KB_NUANCED_MAX ? V_NUANCED : V_REFUTED,
		       x <= FEW_KB_MAX ? "an asyncio task is a few Python objects (frame, Task, timer "
		       "handle) and has no stack of its own" :
		       x <= FEW_KB_NUANCED_MAX ? "tens of KB: more than \"a few\"" :
		       "an asyncio task cost as much as a thread here");
	} else if (!strcmp(id, "C4") || !strcmp(id, "C5")) {
		int sw = !strcmp(id, "C5");
		const char *f = sw ? "ns_per_switch" : "create_ns_per_task";

		a = pyg(s, sw ? "switch" : "spawn", "threads");
		b = pyg(s, sw ? "switch" : "spawn", "coroutines");
		c = pyg(s, sw ? "switch" : "spawn", "processes");
		struct cost k;

		cost_judge(a, b, f, 1, &k);
		x = k.a;
		y = k.b;
		if (isnan(x) || isnan(y))
			return;
		add(ev, el, "%s: threads %.0f ns, asyncio %.0f ns (%.1f×%s)", sw ? "per switch" :
		    "create+start per task", x, y, x / y, k.rounds);
		if (!isnan(med(c, f)))
			add(ev, el, "; processes %.0f ns", med(c, f));
		if (k.line)
			py_set(r, k.v, "at the %.0f× line (the rounds fell on both sides of it)", k.line);
		else
			py_set(r, k.v, k.v == V_SUPPORTED ? "an order of magnitude apart, as in C" :
			       k.v == V_NUANCED ? "cheaper, but the interpreter's own cost per step (µs) "
			       "narrows the gap far below C's" :
			       "about the same: interpreter overhead dominates both");
	} else if (!strcmp(id, "C6") || !strcmp(id, "C8") || !strcmp(id, "C14")) {
		char spread[160];
		int ran;

		a = pyg(s, "cpu", "threads");
		b = pyg(s, "cpu", "sequential");
		if (isnan(med(a, "wall_s")) || isnan(med(b, "wall_s")))
			return;
		x = med(a, "wall_s") / med(b, "wall_s");
		ran = oncpu_spread(a, spread, sizeof(spread));
		add(ev, el, "cpu under the real GIL: sequential %.3f s, %ld threads %.3f s (%.2f× "
		    "sequential)", med(b, "wall_s"), a->tasks, med(a, "wall_s"), x);
		if (!strcmp(id, "C6")) {
			y = med(a, "trace.totals.ctx_switches.voluntary");
			z = med(b, "trace.totals.ctx_switches.voluntary");
			if (!isnan(y) && !isnan(z))
				add(ev, el, "; voluntary switches %.0f vs %.0f, syscalls %+.0f", y, z,
				    med(a, "trace.totals.syscalls") - med(b, "trace.totals.syscalls"));
			if (ran > 0)
				add(ev, el, "; on-CPU per thread %s ms", spread);
			if (!isnan(orig_num(s, "cpu.threads_s")))
				add(ev, el, "; original program: CPU threads %.2f s, coroutines %.2f s",
				    orig_num(s, "cpu.threads_s"), orig_num(s, "cpu.coroutines_s"));
		}
		if (py_too_short(r, b))
			return;
		if (!strcmp(id, "C6")) {
			if (x >= PY_GIL_WALL_RATIO_MIN)
				py_set(r, V_SUPPORTED, "the threads took as long as one thread doing all "
				       "the work%s: the GIL let one run Python at a time",
				       ran > 1 ? ", their CPU time spread over several threads" : "");
			else
				py_set(r, V_REFUTED, "the threads finished in %.0f%% of the sequential "
				       "time: the work overlapped", 100 * x);
		} else if (!strcmp(id, "C8")) {
			py_set(r, 1 / x < NO_SPEEDUP_MAX ? V_SUPPORTED : 1 / x >= PAR_SPEEDUP_MIN ?
			       V_REFUTED : V_NUANCED, 1 / x < NO_SPEEDUP_MAX ?
			       "true in CPython: the threads did not speed the work up" :
			       1 / x >= PAR_SPEEDUP_MIN ? "the CPython threads ran in parallel" :
			       "a small speed-up: more than noise, less than a core");
		} else {
			py_set(r, 1 / x >= PAR_SPEEDUP_MIN ? V_SUPPORTED : V_REFUTED,
			       1 / x >= PAR_SPEEDUP_MIN ? "the CPython threads used several cores" :
			       "not for Python code: under the GIL the threads ran one at a time");
		}
		busy_guard_v(s, &r->py_verdict, r->py_why, sizeof(r->py_why), a, b, NULL);
	} else if (!strcmp(id, "C7") || !strcmp(id, "C13")) {
		a = pyg(s, "cpu", "coroutines");
		b = pyg(s, "cpu", "sequential");
		if (isnan(med(a, "wall_s")) || isnan(med(b, "wall_s")))
			return;
		x = med(b, "wall_s") / med(a, "wall_s");
		add(ev, el, "cpu: asyncio on %.0f OS thread(s) %.3f s, sequential %.3f s (speed-up "
		    "%.2f×)", med(a, "os_threads"), med(a, "wall_s"), med(b, "wall_s"), x);
		if (!strcmp(id, "C7"))
			py_set(r, x < NO_SPEEDUP_MAX ? V_SUPPORTED : V_REFUTED, x < NO_SPEEDUP_MAX ?
			       "the coroutines never await, so they run one after another" :
			       "the asyncio run was faster than sequential");
		else
			py_set(r, x < NO_SPEEDUP_MAX ? V_NUANCED : V_SUPPORTED, x < NO_SPEEDUP_MAX ?
			       "asyncio runs in the one thread that holds the GIL: nothing to be "
			       "limited by, and nothing gained" : "the asyncio run beat sequential");
		busy_guard_v(s, &r->py_verdict, r->py_why, sizeof(r->py_why), a, b, NULL);
	} else if (!strcmp(id, "C9")) {
		a = pyg(s, "http", "threads");
		b = pyg(s, "http", "coroutines");
		long t = a ? a->tasks : 0, wk = a ? (long)med(a, "workers") : 0;

		x = med(a, "wall_s");
		y = med(b, "wall_s");
		z = orig_num(s, "http.threading.total_time_s");
		w = orig_num(s, "http.asyncio.total_time_s");
		if (isnan(x) || isnan(y)) {
			/* No port run: the original program's own figures (its
			 * 50 requests on a pool of 20). */
			if (isnan(z) || isnan(w))
				return;
			x = z;
			y = w;
			t = (long)orig_num(s, "http.threading.requests");
			t = t > 0 ? t : 50;
			wk = 20;
			add(ev, el, "original program: %ld requests, threads (pool 20) %.2f s, asyncio "
			    "%.2f s (%.2f×, printed %.2fx)", t, z, w, z / w,
			    orig_num(s, "http.speedup_printed"));
		} else {
			add(ev, el, "%ld requests: pool of %ld threads %.3f s, asyncio %.3f s (%.2f×)",
			    t, wk, x, y, x / y);
			if (!isnan(z) && !isnan(w))
				add(ev, el, "; original program: %.2f s vs %.2f s, printed %.2fx", z, w,
				    orig_num(s, "http.speedup_printed"));
		}
		double model = pool_model_ratio(t, wk);

		add(ev, el, "; pool-size model %.2f×", model);
		if (x / y < IO_SPEEDUP_MIN)
			py_set(r, V_REFUTED, "asyncio was not faster than the thread pool");
		else if (fabs((x / y) / model - 1) <= POOL_MODEL_TOL)
			py_set(r, V_NUANCED, "the speed-up is what a pool of %ld threads for %ld requests "
			       "predicts: the pool size, not asyncio, explains it", wk, t);
		else
			py_set(r, x / y >= PAR_SPEEDUP_MIN ? V_SUPPORTED : V_NUANCED,
			       "faster than the pool-size model explains, so per-request overhead "
			       "matters too");
	} else if (!strcmp(id, "C10")) {
		a = pyg(s, "sleep", "threads");
		b = pyg(s, "sleep", "coroutines");
		x = med(a, "wall_s");
		y = med(b, "wall_s");
		if (isnan(x) || isnan(y))
			return;
		add(ev, el, "%ld sleeps: threads %.3f s, asyncio %.3f s", a->tasks, x, y);
		if (!isnan(orig_num(s, "io.threads_s")))
			add(ev, el, "; original program printed %.2f s vs %.2f s",
			    orig_num(s, "io.threads_s"), orig_num(s, "io.coroutines_s"));
		if (fabs(x / y - 1) <= SLEEP_EQUAL_TOL)
			py_set(r, V_REFUTED, "the same time: a sleeping thread releases the GIL, so a "
			       "thread per task waits in parallel");
		else
			py_set(r, y < x ? V_SUPPORTED : V_REFUTED, y < x ?
			       "asyncio finished measurably sooner" : "threads finished sooner");
	} else if (!strcmp(id, "C11")) {
		a = pyg(s, "spawn", "coroutines");
		b = pyg(s, "spawn", "threads");
		x = med(a, "rss_kb.after_create") - med(a, "rss_kb.before");
		y = med(b, "rss_kb.after_create") - med(b, "rss_kb.before");
		if (isnan(x) || isnan(y) || !a->tasks || !b->tasks)
			return;
		add(ev, el, "RSS growth: %ld asyncio tasks %+.0f KiB, %ld threads %+.0f KiB", a->tasks,
		    x, b->tasks, y);
		if (a->tasks != b->tasks)
			py_set(r, V_NUANCED, "per task an asyncio task costs %.1f× less than a thread, "
			       "but %ld against %ld is not a like-for-like total",
			       x > 0 ? (y / b->tasks) / (x / a->tasks) : NAN, a->tasks, b->tasks);
		else
			py_set(r, x < y ? V_SUPPORTED : V_REFUTED, "same task count, %s total",
			       x < y ? "asyncio used less" : "asyncio used no less");
	} else if (!strcmp(id, "C12")) {
		a = rset_find_rt(s, 1, "spawn", "coroutines", -1, 1);
		b = rset_find_rt(s, 1, "spawn", "threads", -1, 1);
		if (!a || !b)
			return;
		add(ev, el, "%ld asyncio tasks: %.0f ok; %ld threads: %.0f ok", a->tasks,
		    med(a, "ok"), b->tasks, med(b, "ok"));
		py_set(r, med(a, "ok") >= (double)a->tasks && a->tasks > b->tasks ? V_NUANCED :
		       V_REFUTED, med(a, "ok") >= (double)a->tasks && a->tasks > b->tasks ?
		       "asyncio scaled further, but the threads also ran" :
		       "the asyncio scale-up did not complete");
	} else if (!strcmp(id, "C15")) {
		a = pyg(s, "cpu", "processes");
		b = pyg(s, "cpu", "sequential");
		if (isnan(med(a, "wall_s")) || isnan(med(b, "wall_s")))
			return;
		x = med(b, "wall_s") / med(a, "wall_s");
		add(ev, el, "cpu: sequential %.3f s, ProcessPoolExecutor(%.0f) %.3f s (speed-up %.2f×)",
		    med(b, "wall_s"), med(a, "workers"), med(a, "wall_s"), x);
		if (py_too_short(r, b))
			return;
		py_set(r, x >= PAR_SPEEDUP_MIN ? V_SUPPORTED : V_REFUTED, x >= PAR_SPEEDUP_MIN ?
		       "one interpreter, one GIL per process: the cores were used" :
		       "the process pool did not speed the work up here");
		busy_guard_v(s, &r->py_verdict, r->py_why, sizeof(r->py_why), a, b, NULL);
	} else if (!strcmp(id, "C16")) {
		a = pyg(s, "lifecycle", "coroutines");
		b = pyg(s, "lifecycle", "threads");
		long ca = distinct_tids(a), cb = distinct_tids(b);

		if (ca <= 0 || cb <= 0)
			return;
		add(ev, el, "%ld tasks: asyncio events on %ld OS thread(s), thread events on %ld",
		    a->tasks, ca, cb);
		py_set(r, ca == 1 && cb >= 2 ? V_SUPPORTED : V_REFUTED, ca == 1 && cb >= 2 ?
		       "every asyncio state change happened on the same kernel thread" :
		       "the event log does not show that split");
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
		/* Who got the CPU (traces from before it was recorded lack it). */
		z = med(a, "trace.totals.involuntary_by.own_process");
		if (!isnan(z))
			put_more(r->evidence, "; the threads' CPU went to one of their own threads at "
				 "%.0f of their involuntary switches", z);
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
			put_more(r->evidence, ", virtual memory %.0f KiB per thread", kib(z));
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
			put_more(r->evidence, "; %.1f KiB of stack touched each", kib(y));
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
		struct cost k;

		cost_judge(a, b, "create_ns_per_task", 1, &k);
		x = k.a;
		y = k.b;
		z = med(c, "create_ns_per_task");
		put(r->evidence, sizeof(r->evidence), "create per task: thread %.0f ns, coroutine "
		    "%.0f ns (%.1f×%s)", x, y, x / y, k.rounds);
		if (!isnan(z))
			put_more(r->evidence, "; process %.0f ns", z);
		r->verdict = k.v;
		if (k.line)
			put(r->why, sizeof(r->why), "at the %.0f× line (the rounds fell on both sides "
			    "of it): creating a thread cost %.1f times as much as a coroutine, not "
			    "clearly %s", k.line, x / y, k.line == COST_RATIO_CLEAR ?
			    "an order of magnitude more" : "more");
		else
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
		struct cost k;

		cost_judge(a, b, "ns_per_switch", 0, &k);
		x = k.a;
		y = k.b;
		z = med(b, "swapcontext_ns_per_switch");
		put(r->evidence, sizeof(r->evidence), "per switch: threads %.0f ns, coroutines %.1f ns "
		    "(%.0f×%s)", x, y, x / y, k.rounds);
		if (!isnan(z))
			put_more(r->evidence, "; glibc swapcontext %.0f ns", z);
		if (!isnan(med(c, "ns_per_switch")))
			put_more(r->evidence, "; processes %.0f ns", med(c, "ns_per_switch"));
		r->verdict = k.v;
		if (k.line)
			put(r->why, sizeof(r->why), "at the %.0f× line (the rounds fell on both sides "
			    "of it): coroutine switches were cheaper, but not clearly %s", k.line,
			    k.line == COST_RATIO_CLEAR ? "by an order of magnitude" : "by much");
		else
			put(r->why, sizeof(r->why), r->verdict == V_SUPPORTED ?
			    "a thread switch goes through futex, the scheduler and back; a coroutine "
			    "switch saves a few registers in user space" :
			    r->verdict == V_NUANCED ? "coroutine switches were cheaper but not by an "
			    "order of magnitude" : "switch costs were about the same");
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

	busy_guard(s, r, a, b, NULL);

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

	busy_guard(s, r, a, b, NULL);

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

	busy_guard(s, r, a, b, NULL);

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

	busy_guard(s, r, a, b, NULL);

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
			put_more(r->evidence, ", threads under the GIL %.2f×", y);
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

	busy_guard(s, r, a, b, rset_find(s, "cpu", "threads", 1, 0));

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

	busy_guard(s, r, a, b, NULL);

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
	for (size_t i = 0; i < n; i++)
		py_claim(s, &out[i]);
	return n;
}

void ledger__write(const struct rset *s, FILE *md)
{
	struct claim_result res[LEDGER_MAX_CLAIMS];
	size_t n = ledger__eval(s, res, LEDGER_MAX_CLAIMS), count[4] = { 0 }, pycount[4] = { 0 };
	size_t npy = 0;

	fprintf(md, "## Claims ledger\n\n"
		    "Each claim of the write-up, the evidence from this run and a verdict computed "
		    "by the rules in `userspace/report/ledger.c` (explained in notes/claims.md).  "
		    "The last column judges the same claim on the CPython runs of 06-python "
		    "(the write-up's own language) by their own rules; \"—\" where no Python "
		    "run measures it.\n\n"
		    "| # | claim (write-up) | evidence (this run) | verdict | why | Python (measured) |\n"
		    "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		const struct claim_result *r = &res[i];

		count[r->verdict]++;
		fprintf(md, "| %s | %s | %s | **%s** | %s | ", r->id, r->claim, r->evidence,
			verdict_name(r->verdict), r->why);
		if (r->py_has) {
			npy++;
			pycount[r->py_verdict]++;
			fprintf(md, "%s%s**%s**: %s |\n", r->py_evidence, r->py_evidence[0] ? " → " : "",
				verdict_name(r->py_verdict), r->py_why);
		} else {
			fprintf(md, "— |\n");
		}
	}
	fprintf(md, "\n%zu claims: %zu supported, %zu refuted, %zu nuanced, %zu not measured.\n", n,
		count[V_SUPPORTED], count[V_REFUTED], count[V_NUANCED], count[V_NOT_MEASURED]);
	if (npy)
		fprintf(md, "Python (measured): %zu claims judged on CPython: %zu supported, %zu "
			    "refuted, %zu nuanced, %zu not measured.\n", npy, pycount[V_SUPPORTED],
			pycount[V_REFUTED], pycount[V_NUANCED], pycount[V_NOT_MEASURED]);
}
