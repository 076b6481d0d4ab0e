// SPDX-License-Identifier: MIT
/* The report's "Python (CPython) side by side with C" section: the CPython
 * ports (lab/06-python.sh, run.runtime "cpython-…") beside the same C
 * workloads, and the write-up's original program's own printed figures
 * (corolab.original/1).  Medians over repeats; per-thread figures come from
 * the first traced repeat.  Only formatting here: the verdicts live in
 * ledger.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static const char *const modes[] = { "sequential", "threads", "coroutines", "processes" };

static void num(char *b, size_t len, double v, const char *fmt)
{
	if (isnan(v))
		snprintf(b, len, "–");
	else
		snprintf(b, len, fmt, v);
}

static double st(const struct rgroup *g, const char *path)
{
	return g ? rgroup_stat(g, path, NULL, NULL) : NAN;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/* "412, 409, 405, 401" ms on-CPU per thread of the first traced repeat,
 * largest first; threads under 1 ms are counted, not listed (the pool's
 * idle helpers). */
static void oncpu_list(const struct rgroup *g, char *b, size_t len)
{
	json_t *th = g && g->trace[0] ? json_object_get(g->trace[0], "threads") : NULL;
	double v[256];
	size_t n = 0, i, small = 0, off = 0;
	json_t *t;

	snprintf(b, len, "–");
	json_array_foreach(th, i, t) {
		double x = rj_num(t, "oncpu_ns");

		if (!isnan(x) && n < 256)
			v[n++] = x;
	}
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_desc);
	b[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (v[i] < 1e6 || i >= 8) {
			small++;
			continue;
		}
		off += (size_t)snprintf(b + off, len - off, "%s%.0f", off ? ", " : "", v[i] / 1e6);
	}
	if (!off)
		snprintf(b, len, "< 1 each (%zu threads)", n);
	else if (small && off < len)
		snprintf(b + off, len - off, " +%zu more", small);
}

static const char *rt_name(const struct rgroup *g)
{
	return g->py ? g->runtime : "C";
}

static void gil_row(FILE *md, const struct rgroup *g, const struct rgroup *seq, const char *what)
{
	char w[32], r[32], u[32], vo[32], iv[32], sc[32], on[200];

	if (!g)
		return;
	num(w, sizeof(w), st(g, "wall_s"), "%.3f");
	num(r, sizeof(r), st(g, "wall_s") / st(seq, "wall_s"), "%.2f");
	num(u, sizeof(u), st(g, "cpu_user_s"), "%.3f");
	num(vo, sizeof(vo), st(g, "trace.totals.ctx_switches.voluntary"), "%.0f");
	num(iv, sizeof(iv), st(g, "trace.totals.ctx_switches.involuntary"), "%.0f");
	num(sc, sizeof(sc), st(g, "trace.totals.syscalls"), "%.0f");
	oncpu_list(g, on, sizeof(on));
	fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", rt_name(g), what, w, r, u, vo,
		iv, sc, on);
}

static void write_gil(const struct rset *s, FILE *md)
{
	const struct rgroup *cseq = rset_find(s, "cpu", "sequential", -1, 0);
	const struct rgroup *pseq = rset_find_rt(s, 1, "cpu", "sequential", -1, 0);

	if (!pseq && !rset_find_rt(s, 1, "cpu", "threads", -1, 0))
		return;
	fprintf(md, "### GIL evidence: CPU-bound threads\n\n"
		    "Under CPython's GIL, threads doing Python work take as long as one thread doing "
		    "it all (wall ≈ sequential), and each hand-off of the lock is a voluntary switch "
		    "(the waiter sleeps on a futex) with its syscalls; the on-CPU time is spread over "
		    "the worker threads but never overlaps.  C's `--gil` emulates the same lock; C "
		    "threads without it scale with the cores.\n\n"
		    "| runtime | mode | wall s | × sequential | user CPU s | voluntary sw | "
		    "involuntary sw | syscalls | on-CPU per thread, ms (first repeat) |\n"
		    "|---|---|---|---|---|---|---|---|---|\n");
	gil_row(md, cseq, cseq, "sequential");
	gil_row(md, rset_find(s, "cpu", "threads", 1, 0), cseq, "threads, emulated GIL");
	gil_row(md, rset_find(s, "cpu", "threads", 0, 0), cseq, "threads, no GIL");
	gil_row(md, rset_find(s, "cpu", "coroutines", 0, 0), cseq, "coroutines");
	gil_row(md, rset_find(s, "cpu", "processes", -1, 0), cseq, "processes");
	for (int m = 0; m < 4; m++)
		gil_row(md, rset_find_rt(s, 1, "cpu", modes[m], -1, 0), pseq,
			m == 1 ? "threads, real GIL" : m == 2 ? "asyncio" : m == 3 ?
			"processes (one GIL each)" : modes[m]);
	fputc('\n', md);
}

static void io_row(FILE *md, const struct rgroup *g)
{
	char w[32], th[32], vo[32], iv[32], p99[32], rq[32], rss[32];

	if (!g)
		return;
	num(w, sizeof(w), st(g, "wall_s"), "%.3f");
	num(th, sizeof(th), st(g, "os_threads"), "%.0f");
	num(vo, sizeof(vo), st(g, "trace.totals.ctx_switches.voluntary"), "%.0f");
	num(iv, sizeof(iv), st(g, "trace.totals.ctx_switches.involuntary"), "%.0f");
	num(p99, sizeof(p99), st(g, "trace.totals.runq_latency.p99_ns") / 1e3, "%.0f");
	num(rq, sizeof(rq), st(g, "trace.totals.runq_latency.sum_ns") / 1e6, "%.2f");
	num(rss, sizeof(rss), st(g, "max_rss_kb"), "%.0f");
	fprintf(md, "| %s | %s | %s (%ld tasks) | %s | %s | %s | %s | %s | %s | %s |\n", g->workload,
		rt_name(g), g->py && !strcmp(g->mode, "coroutines") ? "asyncio" : g->mode, g->tasks,
		w, th, vo, iv, p99, rq, rss);
}

static void write_io(const struct rset *s, FILE *md)
{
	static const char *const wl[] = { "sleep", "http" };
	int any = 0;

	for (int k = 0; k < 2; k++)
		for (int m = 0; m < 4; m++)
			any |= rset_find_rt(s, 1, wl[k], modes[m], -1, 0) != NULL;
	if (!any)
		return;
	fprintf(md, "### asyncio vs threads: sleep and HTTP\n\n"
		    "Waiting costs no CPU in either model: threads and asyncio finish together when "
		    "every task has its own thread; the difference is in OS threads, switches, "
		    "run-queue latency and memory.\n\n"
		    "| workload | runtime | mode | wall s | OS threads | voluntary sw | involuntary sw "
		    "| runq p99 µs | runq total ms | max RSS kB |\n"
		    "|---|---|---|---|---|---|---|---|---|---|\n");
	for (int k = 0; k < 2; k++)
		for (int py = 0; py < 2; py++)
			for (int m = 0; m < 4; m++)
				io_row(md, rset_find_rt(s, py, wl[k], modes[m], -1, 0));
	fputc('\n', md);
}

static void cost_cell(char *b, size_t len, const struct rgroup *g, const char *path)
{
	char x[32];

	num(x, sizeof(x), st(g, path), "%.0f");
	if (g && !isnan(st(g, path)))
		snprintf(b, len, "%s (%ld)", x, g->tasks);
	else
		snprintf(b, len, "–");
}

static void write_cost(const struct rset *s, FILE *md)
{
	static const struct {
		const char *label, *workload, *path;
	} rows[] = {
		{ "RSS per task, bytes (tasks)", "spawn", "rss_per_task_bytes" },
		{ "create + start per task, ns", "spawn", "create_ns_per_task" },
		{ "switch, ns (round trips)", "switch", "ns_per_switch" },
	};
	int any = 0;

	for (size_t i = 0; i < 3; i++)
		for (int m = 1; m < 4; m++)
			any |= rset_find_rt(s, 1, rows[i].workload, modes[m], -1, 0) != NULL;
	if (!any)
		return;
	fprintf(md, "### Spawn and switch cost\n\n"
		    "A CPython thread is a pthread plus a `PyThreadState`; an asyncio task is a few "
		    "Python objects with no stack; every Python step costs interpreter time, so the "
		    "gap between the two models narrows compared with C.\n\n"
		    "| figure | C threads | C coroutines | C processes | Python threads | Python asyncio "
		    "| Python processes |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < 3; i++) {
		fprintf(md, "| %s |", rows[i].label);
		for (int py = 0; py < 2; py++)
			for (int m = 1; m < 4; m++) {
				char c[64];

				cost_cell(c, sizeof(c), rset_find_rt(s, py, rows[i].workload, modes[m], -1, 0),
					  rows[i].path);
				fprintf(md, " %s |", c);
			}
		fputc('\n', md);
	}
	fputc('\n', md);
}

static void orow(FILE *md, const char *label, json_t *o, const char *path, const char *fmt,
		 const char *note)
{
	double v = rj_num(o, path);
	char b[48];

	if (isnan(v))
		return;
	num(b, sizeof(b), v, fmt);
	fprintf(md, "| %s | %s | %s |\n", label, b, note ? note : "");
}

static void write_original(const struct rset *s, FILE *md)
{
	const struct rorig *o = rset_original(s);
	json_t *j;
	double th, as, tc;
	char b[160];

	if (!o)
		return;
	j = o->summary;
	fprintf(md, "### The write-up's own program\n\n"
		    "`%s/`: the seed's program, unmodified except its httpbin URL (pointed at "
		    "`corolab serve`), run by lab/python/run_original.sh (%s, exit status %.0f).  "
		    "Figures as it printed them:\n\n| figure | printed | note |\n|---|---|---|\n",
		    o->where, rj_str(j, "note") ? rj_str(j, "note") : "?", rj_num(j, "exit_status"));
	orow(md, "HTTP sequential total, s", j, "http.sequential.total_time_s", "%.2f",
	     "its first 10 requests only");
	orow(md, "HTTP threads (pool of 20) total, s", j, "http.threading.total_time_s", "%.2f", NULL);
	orow(md, "HTTP asyncio total, s", j, "http.asyncio.total_time_s", "%.2f", NULL);
	th = rj_num(j, "http.threading.total_time_s");
	as = rj_num(j, "http.asyncio.total_time_s");
	if (!isnan(th) && !isnan(as) && as > 0)
		snprintf(b, sizeof(b), "threads / asyncio = %.2f from its own totals", th / as);
	else
		b[0] = '\0';
	orow(md, "\"协程相比多线程性能提升\" (speed-up)", j, "http.speedup_printed", "%.2fx", b);
	orow(md, "HTTP threads: successful requests", j, "http.threading.success", "%.0f", NULL);
	orow(md, "HTTP asyncio: successful requests", j, "http.asyncio.success", "%.0f", NULL);
	tc = rj_num(j, "http.threading.thread_count_printed");
	orow(md, "\"线程数量\" (thread count)", j, "http.threading.thread_count_printed", "%.0f",
	     tc == 0 ? "**bug in the program**: read with threading.active_count() after the pool "
	     "has shut down; the pool really ran 20 worker threads" : NULL);
	orow(md, "CPU-bound: threads, s", j, "cpu.threads_s", "%.2f", NULL);
	orow(md, "CPU-bound: coroutines, s", j, "cpu.coroutines_s", "%.2f",
	     "the same order: neither runs Python code in parallel");
	orow(md, "IO-bound: threads, s", j, "io.threads_s", "%.2f", NULL);
	orow(md, "IO-bound: coroutines, s", j, "io.coroutines_s", "%.2f",
	     "equal: a sleeping thread releases the GIL");
	orow(md, "lifecycle: coroutine switches printed", j, "lifecycle_switches_printed", "%.0f", NULL);
	if (o->trace) {
		orow(md, "traced: wall, s", o->trace, "wall_s", "%.2f", "the whole program");
		orow(md, "traced: voluntary switches", o->trace, "totals.ctx_switches.voluntary", "%.0f", NULL);
		orow(md, "traced: involuntary switches", o->trace, "totals.ctx_switches.involuntary", "%.0f",
		     NULL);
		orow(md, "traced: threads created", o->trace, "totals.threads_created", "%.0f",
		     "the thread pools it really started");
		orow(md, "traced: syscalls", o->trace, "totals.syscalls", "%.0f", NULL);
	}
	fputc('\n', md);
}

void python__write(const struct rset *s, FILE *md)
{
	const char *rt = NULL;

	for (size_t i = 0; i < s->ng && !rt; i++)
		if (s->g[i].py)
			rt = s->g[i].runtime;
	if (!rt && !s->norig)
		return;
	fprintf(md, "## Python (CPython) side by side with C\n\n"
		    "The write-up's experiments ported to CPython (lab/python/corolab_py.py, %s; "
		    "experiment 06-python) and traced by the same `corolab trace`, beside the C "
		    "workloads of experiments 01–05.  Medians over repeats; a C and a Python row "
		    "differ in runtime, not in parameters, except where the task counts in "
		    "brackets say so (`--quick` scales both).\n\n", rt ? rt : "no port runs");
	write_gil(s, md);
	write_io(s, md);
	write_cost(s, md);
	write_original(s, md);
}
