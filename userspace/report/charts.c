// SPDX-License-Identifier: MIT
/* Charts for `corolab report`: one gnuplot script + data file per chart in
 * RESULTS_DIR/charts/, rendered to PNG (pngcairo when gnuplot has it, else the
 * libgd png terminal) and SVG.  The scripts stay next to the images so a
 * workshop can restyle a chart with `gnuplot time.gp`.
 *
 * Sized for projection: 1600x900, 20 pt fonts, thick lines, labelled axes
 * with units.  Missing data skips one chart (md says which and why); missing
 * gnuplot skips them all. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/report.h"

#define CHART_W 1600
#define CHART_H 900
#define CHART_FONT_PT 20

static const char *const modes[] = { "sequential", "threads", "coroutines", "processes" };
#define NMODES 4

struct chartctx {
	const struct rset *s;
	char dir[PATH_MAX];	/* RESULTS_DIR/charts */
	const char *gnuplot;
	int pngcairo;
	FILE *md;
	int made;
};

/* Run gnuplot (argv[1..]) in dir, output appended to gnuplot.log there.
 * Returns the exit status, 127 if it could not be executed. */
static int gp_exec(const char *dir, const char *gnuplot, const char *arg1, const char *arg2)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd;

		if (chdir(dir))
			_exit(126);
		fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp(gnuplot, gnuplot, arg1, arg2, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static FILE *cfopen(struct chartctx *c, const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", c->dir, name);
	return fopen(p, "w");
}

static void skip(struct chartctx *c, const char *title, const char *why)
{
	fprintf(c->md, "- **%s**: not drawn — %s.\n", title, why);
}

/* Write name.gp = both terminals around the same body, run it, link it. */
static void render(struct chartctx *c, const char *name, const char *title, const char *body)
{
	char gp[128];
	FILE *f;
	int rc;

	snprintf(gp, sizeof(gp), "%s.gp", name);
	f = cfopen(c, gp);
	if (!f) {
		skip(c, title, "cannot write the gnuplot script");
		return;
	}
	fprintf(f, "# SPDX-License-Identifier: MIT\n# %s — written by corolab report; "
		   "re-render with: gnuplot %s\n", title, gp);
	if (c->pngcairo)
		fprintf(f, "set terminal pngcairo size %d,%d font 'DejaVu Sans,%d' noenhanced linewidth 2\n",
			CHART_W, CHART_H, CHART_FONT_PT);
	else
		fprintf(f, "set terminal png size %d,%d font ',%d' noenhanced linewidth 2\n", CHART_W,
			CHART_H, CHART_FONT_PT);
	fprintf(f, "set output '%s.png'\nset encoding utf8\nset grid ytics lw 1\nset border lw 2\n"
		   "set key noenhanced\n%s\nunset output\n", name, body);
	fprintf(f, "reset\nset terminal svg size %d,%d font 'DejaVu Sans,%d' noenhanced linewidth 2\n"
		   "set output '%s.svg'\nset encoding utf8\nset grid ytics lw 1\nset border lw 2\n"
		   "%s\nunset output\n", CHART_W, CHART_H, CHART_FONT_PT, name, body);
	fclose(f);
	rc = gp_exec(c->dir, c->gnuplot, gp, NULL);
	if (rc) {
		char why[128];

		snprintf(why, sizeof(why), "gnuplot failed (exit %d), see charts/gnuplot.log", rc);
		skip(c, title, why);
		return;
	}
	c->made++;
	fprintf(c->md, "### %s\n\n![%s](charts/%s.png)\n\n[SVG](charts/%s.svg) · "
		       "[gnuplot script](charts/%s.gp)\n\n", title, title, name, name, name);
}

static void fnum(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, " ?");
	else
		fprintf(f, " %.6g", v);
}

static const struct rgroup *find_row(const struct rset *s, const char *w, int gil, int scaled,
				     int py, const char *mode)
{
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];

		if (!strcmp(g->workload, w) && g->gil == gil && g->scaled == scaled && g->py == py &&
		    !strcmp(g->mode, mode))
			return g;
	}
	return NULL;
}

/* 1: wall time per mode per experiment, median with min–max error bars. */
static void chart_time(struct chartctx *c)
{
	const struct rset *s = c->s;
	FILE *f = cfopen(c, "time.dat");
	int rows = 0;
	char body[2048];

	if (!f)
		return skip(c, "Wall time per mode", "cannot write data");
	fprintf(f, "# row  (median min max) x sequential threads coroutines processes, seconds\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->g[j].workload, g->workload) && s->g[j].gil == g->gil &&
			    s->g[j].scaled == g->scaled && s->g[j].py == g->py)
				seen = 1;
		if (seen)
			continue;
		fprintf(f, "\"%s%s%s%s\"", g->py ? "py " : "", g->workload, g->gil ? " gil" : "",
			g->scaled ? " scaled" : "");
		for (int m = 0; m < NMODES; m++) {
			const struct rgroup *x = find_row(s, g->workload, g->gil, g->scaled, g->py, modes[m]);
			double lo = NAN, hi = NAN, med = x ? rgroup_stat(x, "wall_s", &lo, &hi) : NAN;

			fnum(f, med);
			fnum(f, lo);
			fnum(f, hi);
		}
		fputc('\n', f);
		rows++;
	}
	fclose(f);
	if (!rows)
		return skip(c, "Wall time per mode", "no run results");
	snprintf(body, sizeof(body),
		 "set title 'Wall time per mode (median, bars = min-max over repeats)'\n"
		 "set ylabel 'wall time (s, log scale)'\nset xlabel 'experiment'\n"
		 "set logscale y\nset datafile missing '?'\nset style data histogram\n"
		 "set style histogram errorbars gap 2 lw 2\nset style fill solid 0.85 border -1\n"
		 "set boxwidth 0.9\nset key outside top center horizontal\nset xtics rotate by -20\nset rmargin 6\n"
		 "plot 'time.dat' using 2:3:4:xtic(1) title 'sequential' lc rgb '#7f7f7f', \\\n"
		 "  '' using 5:6:7 title 'threads' lc rgb '#1f77b4', \\\n"
		 "  '' using 8:9:10 title 'coroutines' lc rgb '#2ca02c', \\\n"
		 "  '' using 11:12:13 title 'processes' lc rgb '#d62728'");
	render(c, "time", "Wall time per mode", body);
}

static const char *short_mode(const char *m)
{
	return !strcmp(m, "sequential") ? "seq" : !strcmp(m, "threads") ? "thr" :
	       !strcmp(m, "coroutines") ? "coro" : !strcmp(m, "processes") ? "proc" : m;
}

/* 2: voluntary vs involuntary context switches, per mode. */
static void chart_switches(struct chartctx *c)
{
	const struct rset *s = c->s;
	FILE *f = cfopen(c, "switches.dat");
	int rows = 0;

	if (!f)
		return skip(c, "Context switches", "cannot write data");
	fprintf(f, "# measurement voluntary involuntary (median over repeats, eBPF sched_switch)\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		double v = rgroup_stat(g, "trace.totals.ctx_switches.voluntary", NULL, NULL);
		double iv = rgroup_stat(g, "trace.totals.ctx_switches.involuntary", NULL, NULL);

		if (g->scaled || isnan(v) || strcmp(g->workload, "spawn") == 0 ||
		    strcmp(g->workload, "switch") == 0)
			continue;
		fprintf(f, "\"%s%s%s %s\"", g->py ? "py " : "", g->workload, g->gil ? "+gil" : "",
			short_mode(g->mode));
		fnum(f, v + 1);	/* +1: log scale has no zero; stated on the axis */
		fnum(f, iv + 1);
		fputc('\n', f);
		rows++;
	}
	fclose(f);
	if (!rows)
		return skip(c, "Context switches", "no eBPF trace data (run the lab as root)");
	render(c, "switches", "Voluntary vs involuntary context switches",
	       "set title 'Context switches per run (eBPF sched_switch, median)'\n"
	       "set ylabel 'switches + 1 (log scale)'\nset logscale y\n"
	       "set style data histogram\nset style histogram clustered gap 1\n"
	       "set style fill solid 0.85 border -1\nset key outside top center horizontal\nset xtics rotate by -40\n"
	       "set bmargin 6\nset rmargin 8\n"
	       "plot 'switches.dat' using 2:xtic(1) title 'voluntary (blocked, yielded)' lc rgb '#1f77b4', \\\n"
	       "  '' using 3 title 'involuntary (preempted)' lc rgb '#d62728'");
}

/* 3: run-queue latency histograms of the CPU experiment, overlaid. */
static void chart_runq(struct chartctx *c)
{
	const struct rset *s = c->s;
	FILE *f = cfopen(c, "runq.dat");
	char body[4096];
	size_t off, blocks = 0, maxslot = 0;
	char titles[16][96];

	if (!f)
		return skip(c, "Run-queue latency", "cannot write data");
	for (size_t i = 0; i < s->ng && blocks < 16; i++) {
		const struct rgroup *g = &s->g[i];
		double sum[64] = { 0 };
		size_t nslot = 0, reps = 0;

		if (strcmp(g->workload, "cpu") || g->py)
			continue;	/* the C experiment; python.c tabulates CPython's */
		for (size_t r = 0; r < g->n; r++) {
			json_t *h = g->trace[r] ? rj_get(g->trace[r], "totals.runq_latency.log2_hist_us") : NULL;
			size_t k;
			json_t *x;

			if (!json_is_array(h))
				continue;
			reps++;
			json_array_foreach(h, k, x) {
				if (k < 64)
					sum[k] += json_number_value(x);
				if (k < 64 && json_number_value(x) > 0 && k + 1 > nslot)
					nslot = k + 1;
			}
		}
		if (!reps)
			continue;
		if (blocks)
			fprintf(f, "\n\n");
		fprintf(f, "# %s: slot (floor log2 us), mean count over %zu repeats\n", g->label, reps);
		for (size_t k = 0; k < (nslot ? nslot : 1); k++)
			fprintf(f, "%zu %.6g\n", k, sum[k] / reps + 0.0);
		if (nslot > maxslot)
			maxslot = nslot;
		snprintf(titles[blocks++], sizeof(titles[0]), "%s %s", short_mode(g->mode),
			 g->gil ? "(gil)" : "");
	}
	fclose(f);
	if (!blocks)
		return skip(c, "Run-queue latency", "no cpu experiment with eBPF histograms");
	off = (size_t)snprintf(body, sizeof(body),
			       "set title 'Run-queue latency, cpu experiment (eBPF, time runnable before running)'\n"
			       "set xlabel 'latency (us, log2 buckets: lower bound)'\n"
			       "set ylabel 'waits (log scale)'\nset logscale y\nset yrange [0.5:*]\n"
			       "set key top right\nset xtics (");
	/* A foreign file may carry more log2 slots than a u64 can label. */
	for (size_t k = 0; k < maxslot + 1 && k < 64 && off < sizeof(body) - 64; k += 2)
		off += (size_t)snprintf(body + off, sizeof(body) - off, "%s'%llu' %zu", k ? ", " : "",
					k ? 1ULL << k : 0ULL, k);
	off += (size_t)snprintf(body + off, sizeof(body) - off, ")\nplot ");
	for (size_t b = 0; b < blocks && off < sizeof(body) - 160; b++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
					"%s'runq.dat' index %zu using 1:($2>0?$2:1/0) with linespoints lw 3 pt 7 ps 1.5 title '%s'",
					b ? ", \\\n  " : "", b, titles[b]);
	render(c, "runq", "Run-queue latency histograms", body);
}

/* 4: RSS and page faults per task for the spawn experiment. */
static void chart_memory(struct chartctx *c)
{
	const struct rset *s = c->s;
	FILE *f = cfopen(c, "memory.dat");
	int rows = 0;

	if (!f)
		return skip(c, "Memory per task", "cannot write data");
	fprintf(f, "# measurement rss_per_task_KiB page_faults_per_task\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		double rss = rgroup_stat(g, "rss_per_task_bytes", NULL, NULL);
		double pf = rgroup_stat(g, "trace.totals.page_faults.user", NULL, NULL);

		/* Spawns with --duration 0 (05-switch-cost times creation) end
		 * before anything is measured resident: no memory figure. */
		if (strcmp(g->workload, "spawn") || isnan(rss) ||
		    rgroup_stat(g, "params.duration_s", NULL, NULL) == 0)
			continue;
		fprintf(f, "\"%s%s x%ld\"", g->py ? "py " : "", short_mode(g->mode), g->tasks);
		fnum(f, rss / 1024);
		fnum(f, g->tasks ? pf / (double)g->tasks : NAN);
		fputc('\n', f);
		rows++;
	}
	fclose(f);
	if (!rows)
		return skip(c, "Memory per task", "no spawn results");
	render(c, "memory", "RSS and page faults per task",
	       "set multiplot layout 1,2 title 'spawn: memory per task (resident, not virtual)'\n"
	       "set logscale y\nset datafile missing '?'\nset style data histogram\n"
	       "set style histogram clustered\nset style fill solid 0.85 border -1\n"
	       "set xtics rotate by -30\nset bmargin 6\nunset key\nset offsets 0, 0, graph 0.1, 0\n"
	       "set title 'RSS per task'\nset ylabel 'KiB per task (log scale)'\n"
	       "plot 'memory.dat' using 2:xtic(1) lc rgb '#1f77b4', \\\n"
	       "  '' using 0:2:(sprintf('%.1f', $2)) with labels offset 0,0.8\n"
	       "set title 'Page faults per task (eBPF)'\nset ylabel 'faults per task (log scale)'\n"
	       "plot 'memory.dat' using 3:xtic(1) lc rgb '#ff7f0e', \\\n"
	       "  '' using 0:3:(sprintf('%.1f', $3)) with labels offset 0,0.8\n"
	       "unset multiplot");
}

/* 5: lifecycle timeline — which OS thread ran which task when. */
static int lifecycle_data(struct chartctx *c, const struct rgroup *g, const char *file,
			  char *ytics, size_t ylen)
{
	json_t *ev = json_object_get(g->run[0], "events");
	char tasks[16][32];
	double tids[64];
	size_t ntask = 0, ntid = 0, i, yo = 0;
	json_t *e;
	FILE *f;

	if (!json_is_array(ev) || !json_array_size(ev))
		return -ENOENT;
	f = cfopen(c, file);
	if (!f)
		return -errno;
	int first[16] = { 0 };

	fprintf(f, "# task_row t_start_s duration_s tid_colour waiting(1/0) tid first_segment\n");
	json_array_foreach(ev, i, e) {
		char name[32];
		json_t *tk = json_object_get(e, "task");
		size_t ti, di, j;
		double t0 = rj_num(e, "t_s"), t1 = NAN, tid = rj_num(e, "tid");
		const char *st = rj_str(e, "state");

		if (json_is_string(tk))
			snprintf(name, sizeof(name), "%s", json_string_value(tk));
		else
			snprintf(name, sizeof(name), "%.0f", json_number_value(tk));
		for (ti = 0; ti < ntask && strcmp(tasks[ti], name); ti++)
			;
		if (ti == ntask) {
			if (ntask == 16)
				continue;	/* more rows than a projector shows */
			snprintf(tasks[ntask++], sizeof(tasks[0]), "%s", name);
		}
		for (di = 0; di < ntid && tids[di] != tid; di++)
			;
		if (di == ntid && ntid < 64)
			tids[ntid++] = tid;
		/* The segment lasts until this task's next event. */
		for (j = i + 1; j < json_array_size(ev); j++) {
			json_t *n = json_array_get(ev, j), *nt = json_object_get(n, "task");

			if (json_equal(nt, tk)) {
				t1 = rj_num(n, "t_s");
				break;
			}
		}
		if (isnan(t0) || isnan(t1) || !st || !strcmp(st, "done"))
			continue;
		fprintf(f, "%zu %.6f %.6f %zu %d %.0f %d\n", ti + 1, t0, t1 - t0, di + 1,
			!strcmp(st, "waiting") || !strcmp(st, "sleeping"), tid, !first[ti]);
		first[ti] = 1;
	}
	fclose(f);
	yo = (size_t)snprintf(ytics, ylen, "set ytics (");
	for (size_t k = 0; k < ntask && yo < ylen - 40; k++)
		yo += (size_t)snprintf(ytics + yo, ylen - yo, "%s'%s' %zu", k ? ", " : "", tasks[k], k + 1);
	snprintf(ytics + yo, ylen - yo, ")\nset yrange [0.4:%zu.6]\n", ntask);
	return 0;
}

static void chart_lifecycle(struct chartctx *c)
{
	const struct rgroup *t = rset_find(c->s, "lifecycle", "threads", -1, 0);
	const struct rgroup *k = rset_find(c->s, "lifecycle", "coroutines", -1, 0);
	char yt[2][512], body[4096];

	if (!t || !k || lifecycle_data(c, t, "lifecycle-threads.dat", yt[0], sizeof(yt[0])) ||
	    lifecycle_data(c, k, "lifecycle-coroutines.dat", yt[1], sizeof(yt[1])))
		return skip(c, "Lifecycle timeline", "needs lifecycle threads and coroutines runs with events");
	snprintf(body, sizeof(body),
		 "set multiplot layout 2,1 title 'lifecycle: which OS thread ran each task, when "
		 "(colour = OS thread; hollow = waiting)'\n"
		 "set xlabel 'time since start (s)'\nset ylabel 'task'\nunset key\nset grid xtics\n"
		 "%s"
		 "set title 'threads'\n"
		 "plot 'lifecycle-threads.dat' using 2:1:3:(0):4 with vectors nohead lw 18 lc variable, \\\n"
		 "  '' using ($5==1?$2:1/0):1:3:(0) with vectors nohead lw 6 lc rgb 'white', \\\n"
		 "  '' using ($7==1?$2:1/0):($1+0.32):(sprintf('tid %%d', $6)) with labels left offset 0.4,0 font ',16'\n"
		 "%s"
		 "set title 'coroutines'\n"
		 "plot 'lifecycle-coroutines.dat' using 2:1:3:(0):4 with vectors nohead lw 18 lc variable, \\\n"
		 "  '' using ($5==1?$2:1/0):1:3:(0) with vectors nohead lw 6 lc rgb 'white', \\\n"
		 "  '' using ($7==1?$2:1/0):($1+0.32):(sprintf('tid %%d', $6)) with labels left offset 0.4,0 font ',16'\n"
		 "unset multiplot", yt[0], yt[1]);
	render(c, "lifecycle", "Lifecycle timeline", body);
}

/* 6: switch and creation cost, log scale. */
static void chart_cost(struct chartctx *c)
{
	const struct rset *s = c->s;
	const struct rgroup *sw[4], *sp[4];
	FILE *f;
	int any = 0;

	for (int m = 0; m < NMODES; m++) {
		sw[m] = rset_find(s, "switch", modes[m], -1, 0);
		sp[m] = rset_find(s, "spawn", modes[m], -1, 0);
		any |= sw[m] || sp[m];
	}
	if (!any)
		return skip(c, "Switch and creation cost", "no switch or spawn results");
	f = cfopen(c, "cost.dat");
	if (!f)
		return skip(c, "Switch and creation cost", "cannot write data");
	/* Columns: coroutines, swapcontext (switch only), threads, processes. */
	fprintf(f, "# what coroutines swapcontext threads processes (ns, median)\n\"switch\"");
	fnum(f, sw[2] ? rgroup_stat(sw[2], "ns_per_switch", NULL, NULL) : NAN);
	fnum(f, sw[2] ? rgroup_stat(sw[2], "swapcontext_ns_per_switch", NULL, NULL) : NAN);
	fnum(f, sw[1] ? rgroup_stat(sw[1], "ns_per_switch", NULL, NULL) : NAN);
	fnum(f, sw[3] ? rgroup_stat(sw[3], "ns_per_switch", NULL, NULL) : NAN);
	fprintf(f, "\n\"create (spawn)\"");
	fnum(f, sp[2] ? rgroup_stat(sp[2], "create_ns_per_task", NULL, NULL) : NAN);
	fnum(f, NAN);
	fnum(f, sp[1] ? rgroup_stat(sp[1], "create_ns_per_task", NULL, NULL) : NAN);
	fnum(f, sp[3] ? rgroup_stat(sp[3], "create_ns_per_task", NULL, NULL) : NAN);
	fputc('\n', f);
	fclose(f);
	render(c, "cost", "Switch and creation cost",
	       "set title 'Cost per switch and per creation (median)'\n"
	       "set ylabel 'nanoseconds (log scale)'\nset logscale y\nset datafile missing '?'\n"
	       "set style data histogram\nset style histogram clustered gap 1\n"
	       "set style fill solid 0.85 border -1\nset key top left\n"
	       /* From 1 ns: a coroutine switch (~7-10 ns) must show as a bar,
		* not vanish at the axis.  Each bar carries its figure: four
		* series (columns 2-5), gap 1, so column k's bar in cluster i
		* sits at i + (k - 3.5) / 5. */
	       "set yrange [1:*]\nfmt(v) = v < 100 ? sprintf('%.1f', v) : sprintf('%.0f', v)\n"
	       "plot 'cost.dat' using 2:xtic(1) title 'coroutines' lc rgb '#2ca02c', \\\n"
	       "  '' using 3 title 'glibc swapcontext' lc rgb '#98df8a', \\\n"
	       "  '' using 4 title 'threads' lc rgb '#1f77b4', \\\n"
	       "  '' using 5 title 'processes' lc rgb '#d62728', \\\n"
	       "  for [k=2:5] '' using ($0 + (k - 3.5) / 5.0):k:(fmt(column(k))) "
	       "with labels offset 0,0.8 notitle");
}

int charts__write(const struct rset *s, FILE *md)
{
	struct chartctx c = { .s = s, .md = md };
	const char *gp = getenv("COROLAB_GNUPLOT");
	char probe[PATH_MAX + 32];
	FILE *f;
	int rc;

	c.gnuplot = gp && *gp ? gp : "gnuplot";
	if (snprintf(c.dir, sizeof(c.dir), "%s/charts", s->dir) >= (int)sizeof(c.dir))
		return -ENAMETOOLONG;
	if (mkdir(c.dir, 0755) && errno != EEXIST) {
		fprintf(md, "Charts not drawn: cannot create %s: %s.\n", c.dir, strerror(errno));
		return -errno;
	}
	rc = gp_exec(c.dir, c.gnuplot, "--version", NULL);
	if (rc) {
		fprintf(md, "Charts not drawn: gnuplot (%s) %s.  Install it (`apt-get install "
			    "gnuplot-nox`) and run `corolab report` again; the tables above hold every "
			    "figure.\n", c.gnuplot, rc == 127 ? "is not installed" : "does not run");
		return -ENOENT;
	}
	/* pngcairo anti-aliases and handles UTF-8; the libgd png terminal is the
	 * fallback on builds without cairo. */
	snprintf(probe, sizeof(probe), "%s/.probe.gp", c.dir);
	f = fopen(probe, "w");
	if (f) {
		fputs("set terminal pngcairo\n", f);
		fclose(f);
		c.pngcairo = gp_exec(c.dir, c.gnuplot, ".probe.gp", NULL) == 0;
		unlink(probe);
	}
	fprintf(md, "PNG (%s) and SVG in `charts/`; each chart's gnuplot script and data sit beside it.\n\n",
		c.pngcairo ? "pngcairo" : "libgd png");
	chart_time(&c);
	chart_switches(&c);
	chart_runq(&c);
	chart_memory(&c);
	chart_lifecycle(&c);
	chart_cost(&c);
	return 0;
}
