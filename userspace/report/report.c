// SPDX-License-Identifier: MIT
/* corolab report: RESULTS_DIR/<experiment>/<file>.json -> RESULTS_DIR/report.md
 * (written atomically) plus charts in RESULTS_DIR/charts/.
 *
 * Repeats of a measurement are grouped by content (experiment, workload,
 * mode, GIL, task count), not by file name, so a hand-made directory works
 * as well as one written by lab/all.sh. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "report/report.h"
#include "util/util.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_str(char ***arr, size_t *n, const char *s)
{
	char **na = realloc(*arr, (*n + 1) * sizeof(*na));

	if (!na)
		return -ENOMEM;
	*arr = na;
	na[*n] = strdup(s);
	if (!na[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void free_strs(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

/* Sorted names in dir matching want_dir (directories) or *.json (files). */
static int list_dir(const char *dir, int want_dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (stat(p, &st))
			continue;
		if (want_dir ? !S_ISDIR(st.st_mode) :
			       !(S_ISREG(st.st_mode) && l > 5 && !strcmp(de->d_name + l - 5, ".json")))
			continue;
		if (want_dir && !strcmp(de->d_name, "charts"))
			continue;
		if ((ret = push_str(out, n, de->d_name)))
			break;
	}
	closedir(d);
	if (ret) {
		free_strs(*out, *n);
		*out = NULL;
		*n = 0;
		return ret;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_str);
	return 0;
}

static int mode_rank(const char *m)
{
	static const char *const order[] = { "sequential", "threads", "coroutines", "processes" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(m, order[i]))
			return i;
	return 4;
}

/* Tables read best as: experiment, workload, GIL off then on, scale, mode. */
static int cmp_group(const void *a, const void *b)
{
	const struct rgroup *x = a, *y = b;
	int c;

	if ((c = strcmp(x->experiment, y->experiment)) || (c = strcmp(x->workload, y->workload)))
		return c;
	if (x->py != y->py)
		return x->py - y->py;
	if (x->gil != y->gil)
		return x->gil - y->gil;
	if (x->scaled != y->scaled)
		return x->scaled - y->scaled;
	if ((c = mode_rank(x->mode) - mode_rank(y->mode)))
		return c;
	return (x->tasks > y->tasks) - (x->tasks < y->tasks);
}

static int group_add(struct rset *s, const char *exp, const struct rdoc_entry *e)
{
	const char *w = rj_str(e->run, "workload"), *m = rj_str(e->run, "mode");
	const char *rt = rj_str(e->run, "runtime");
	int gil = rj_num(e->run, "params.gil") == 1.0;
	double t = rj_num(e->run, "tasks");
	long tasks = isnan(t) ? 0 : (long)t;
	struct rgroup *g = NULL;

	if (!w || !m)
		return -EINVAL;
	for (size_t i = 0; i < s->ng; i++) {
		struct rgroup *x = &s->g[i];

		if (!strcmp(x->experiment, exp) && !strcmp(x->workload, w) && !strcmp(x->mode, m) &&
		    x->gil == gil && x->tasks == tasks && !strcmp(x->runtime, rt ? rt : "")) {
			g = x;
			break;
		}
	}
	if (!g) {
		struct rgroup *ng = realloc(s->g, (s->ng + 1) * sizeof(*ng));

		if (!ng)
			return -ENOMEM;
		s->g = ng;
		g = &s->g[s->ng++];
		memset(g, 0, sizeof(*g));
		snprintf(g->experiment, sizeof(g->experiment), "%s", exp);
		snprintf(g->workload, sizeof(g->workload), "%s", w);
		snprintf(g->mode, sizeof(g->mode), "%s", m);
		g->gil = gil;
		g->tasks = tasks;
		snprintf(g->runtime, sizeof(g->runtime), "%s", rt ? rt : "");
		g->py = !strncmp(g->runtime, "cpython", 7);
	}
	json_t **nr = realloc(g->run, (g->n + 1) * sizeof(*nr));

	if (!nr)
		return -ENOMEM;
	g->run = nr;
	json_t **nt = realloc(g->trace, (g->n + 1) * sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	g->trace = nt;
	g->run[g->n] = e->run;
	g->trace[g->n] = e->trace;
	g->n++;
	if (e->trace)
		s->traced = 1;
	return 0;
}

/* Keep one run of the write-up's original program: its corolab.original/1
 * summary (written by lab/python/parse_original.py, read through rdoc like
 * every result) and the trace.json run_original.sh writes beside it. */
static int keep_original(struct rset *s, const char *where, json_t *summary, const char *dir)
{
	char tp[PATH_MAX + 16];
	struct rorig *no;
	const char *schema;
	json_t *tr;

	no = realloc(s->orig, (s->norig + 1) * sizeof(*no));
	if (!no)
		return -ENOMEM;
	s->orig = no;
	no = &s->orig[s->norig++];
	memset(no, 0, sizeof(*no));
	snprintf(no->where, sizeof(no->where), "%s", where);
	no->summary = json_incref(summary);
	snprintf(tp, sizeof(tp), "%s/trace.json", dir);
	tr = json_load_file(tp, 0, NULL);
	schema = json_string_value(json_object_get(tr, "schema"));
	if (schema && !strcmp(schema, "corolab.trace/1"))
		no->trace = tr;
	else
		json_decref(tr);
	return 0;
}

/* path, in a program's output directory: kept when it is an original
 * program's summary.  1 = kept, 0 = not such a file, -errno. */
static int try_original(struct rset *s, const char *where, const char *path, const char *dir)
{
	struct rdoc d;
	int ret = 0;

	if (rdoc__load(&d, path, NULL, 0))
		return 0;
	for (size_t k = 0; k < d.n && ret >= 0; k++)
		if (d.e[k].orig)
			ret = keep_original(s, where, d.e[k].orig, dir) < 0 ? -ENOMEM : 1;
	rdoc__free(&d);
	return ret;
}

/* Subdirectories of an experiment hold a program's own output (06-python/
 * original/): only its corolab.original/1 summary is a result; its other
 * files are not lab results and are neither read nor listed as unreadable. */
static int load_subdirs(struct rset *s, const char *exp, const char *sub)
{
	char **dirs = NULL;
	size_t nd = 0;
	int ret = list_dir(sub, 1, &dirs, &nd);

	for (size_t i = 0; !ret && i < nd; i++) {
		char d[PATH_MAX + 256], **files = NULL, where[256];
		size_t nf = 0;

		snprintf(d, sizeof(d), "%s/%s", sub, dirs[i]);
		snprintf(where, sizeof(where), "%s/%s", exp, dirs[i]);
		if (list_dir(d, 0, &files, &nf))
			continue;	/* unreadable program output: not a result either */
		for (size_t j = 0; !ret && j < nf; j++) {
			char path[PATH_MAX + 512];

			snprintf(path, sizeof(path), "%s/%s", d, files[j]);
			ret = try_original(s, where, path, d);
			ret = ret < 0 ? ret : 0;
		}
		free_strs(files, nf);
	}
	free_strs(dirs, nd);
	return ret;
}

int rset__load(struct rset *s, const char *dir)
{
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if ((ret = list_dir(dir, 1, &s->experiments, &s->nexp)))
		return ret;
	for (size_t i = 0; i < s->nexp; i++) {
		char sub[PATH_MAX], **files = NULL;
		size_t nf = 0;

		snprintf(sub, sizeof(sub), "%s/%s", dir, s->experiments[i]);
		if ((ret = list_dir(sub, 0, &files, &nf)))
			goto fail;
		for (size_t j = 0; j < nf; j++) {
			char path[PATH_MAX + 256], err[256], prob[PATH_MAX + 512];
			struct rdoc d;

			snprintf(path, sizeof(path), "%s/%s", sub, files[j]);
			if (rdoc__load(&d, path, err, sizeof(err))) {
				snprintf(prob, sizeof(prob), "%s/%s: %s", s->experiments[i], files[j], err);
				if ((ret = push_str(&s->problems, &s->nproblems, prob)))
					goto fail_files;
				continue;
			}
			struct rdoc *nd = realloc(s->docs, (s->ndocs + 1) * sizeof(*nd));

			if (!nd) {
				rdoc__free(&d);
				ret = -ENOMEM;
				goto fail_files;
			}
			s->docs = nd;
			s->docs[s->ndocs++] = d;
			for (size_t k = 0; k < d.n; k++) {
				if (d.e[k].orig && (ret = keep_original(s, s->experiments[i], d.e[k].orig, sub)))
					goto fail_files;
				if (!d.e[k].run)
					continue;	/* a bare trace or an original: no workload/mode to group by */
				ret = group_add(s, s->experiments[i], &d.e[k]);
				if (ret == -EINVAL) {
					snprintf(prob, sizeof(prob), "%s/%s: entry %zu lacks workload/mode",
						 s->experiments[i], files[j], k);
					ret = push_str(&s->problems, &s->nproblems, prob);
				}
				if (ret)
					goto fail_files;
			}
		}
		free_strs(files, nf);
		if ((ret = load_subdirs(s, s->experiments[i], sub)))
			goto fail;
		continue;
fail_files:
		free_strs(files, nf);
		goto fail;
	}
	/* A scale-up is a run of the same workload/mode with at least twice the
	 * tasks of another (04-memory: 1000 vs 100,000 coroutines). */
	for (size_t i = 0; i < s->ng; i++) {
		struct rgroup *g = &s->g[i];

		for (size_t j = 0; j < s->ng; j++) {
			struct rgroup *o = &s->g[j];

			if (i != j && !strcmp(g->experiment, o->experiment) &&
			    !strcmp(g->workload, o->workload) && !strcmp(g->mode, o->mode) &&
			    g->gil == o->gil && !strcmp(g->runtime, o->runtime) && o->tasks * 2 <= g->tasks)
				g->scaled = 1;
		}
		snprintf(g->label, sizeof(g->label), "%s%s %s%s (%ld tasks)", g->py ? "py " : "",
			 g->workload, g->mode, g->gil ? " gil" : "", g->tasks);
	}
	qsort(s->g, s->ng, sizeof(*s->g), cmp_group);
	return 0;
fail:
	rset__free(s);
	return ret;
}

void rset__free(struct rset *s)
{
	for (size_t i = 0; i < s->ng; i++) {
		free(s->g[i].run);
		free(s->g[i].trace);
	}
	free(s->g);
	for (size_t i = 0; i < s->ndocs; i++)
		rdoc__free(&s->docs[i]);
	free(s->docs);
	free_strs(s->experiments, s->nexp);
	free_strs(s->problems, s->nproblems);
	for (size_t i = 0; i < s->norig; i++) {
		json_decref(s->orig[i].summary);
		json_decref(s->orig[i].trace);
	}
	free(s->orig);
	memset(s, 0, sizeof(*s));
}

double rgroup_at(const struct rgroup *g, size_t i, const char *path)
{
	if (i >= g->n)
		return NAN;
	if (!strncmp(path, "trace.", 6))
		return g->trace[i] ? rj_num(g->trace[i], path + 6) : NAN;
	return rj_num(g->run[i], path);
}

double rgroup_stat(const struct rgroup *g, const char *path, double *min, double *max)
{
	double v[64], med, lo, hi;
	size_t n = g->n < 64 ? g->n : 64;	/* more than 64 repeats: the first 64 */

	for (size_t i = 0; i < n; i++)
		v[i] = rgroup_at(g, i, path);
	stats_median(v, n, &med, &lo, &hi);
	if (min)
		*min = lo;
	if (max)
		*max = hi;
	return med;
}

const struct rgroup *rset_find_rt(const struct rset *s, int py, const char *workload,
				  const char *mode, int gil, int scaled)
{
	const struct rgroup *best = NULL;

	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];

		if (g->py != py || strcmp(g->workload, workload) || strcmp(g->mode, mode) ||
		    (gil >= 0 && g->gil != gil))
			continue;
		if (g->scaled == scaled)
			return g;
		if (!best)
			best = g;
	}
	return scaled ? NULL : best;
}

const struct rgroup *rset_find(const struct rset *s, const char *workload, const char *mode,
			       int gil, int scaled)
{
	return rset_find_rt(s, 0, workload, mode, gil, scaled);
}

const struct rorig *rset_original(const struct rset *s)
{
	return s->norig ? &s->orig[0] : NULL;
}

/* ---- Markdown ---- */

/* A whole number with thousands separators, "1,180,123": counts in the
 * reconciliation tables must show every digit, or 1,180,123 against
 * 1,180,124 reads "1.18e+06 1.18e+06". */
static void md_grouped(char *b, size_t len, double v)
{
	char d[32];
	size_t n, o = 0;
	int k = snprintf(d, sizeof(d), "%.0f", fabs(v));

	if (k < 0 || (size_t)k >= sizeof(d) || len < 2) {
		snprintf(b, len, "%.0f", v);
		return;
	}
	n = (size_t)k;
	if (v < 0)
		b[o++] = '-';
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			b[o++] = ',';
		b[o++] = d[i];
	}
	b[o] = '\0';
}

static void md_num(char *b, size_t len, double v)
{
	if (isnan(v))
		snprintf(b, len, "–");
	else if (v == floor(v) && fabs(v) >= 10000 && fabs(v) < 1e18)
		md_grouped(b, len, v);
	else if (fabs(v) >= 1e6 || (fabs(v) < 1e-3 && v != 0))
		snprintf(b, len, "%.3g", v);
	else if (v == floor(v) || fabs(v) >= 1000)
		snprintf(b, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(b, len, "%.1f", v);
	else
		snprintf(b, len, "%.3f", v);
}

/* One reconciliation figure of a group over its repeats: returns how many
 * repeats the tracer judged, *okn how many of those agreed.  ok:null means
 * the tracer could not judge that repeat (too few events): neither
 * agreement nor failure.  A repeat without the figure counts as a failure. */
static size_t rec_judged(const struct rgroup *g, const char *fig, size_t *okn)
{
	size_t judged = 0;

	*okn = 0;
	for (size_t r = 0; r < g->n; r++) {
		json_t *rr = g->trace[r] ? json_object_get(g->trace[r], "reconcile") : NULL;
		/* Figure names hold dots ("ctx_switches.voluntary"): plain get. */
		json_t *ok = json_object_get(json_object_get(rr, fig), "ok");

		if (json_is_null(ok))
			continue;
		judged++;
		*okn += json_is_true(ok);
	}
	return judged;
}

/* The reconciliation tables of every experiment in one line for the top of
 * the report: rows that agreed in every judged repeat, rows that did not
 * (the first three named), rows never judged. */
static void rec_glance(const struct rset *s, FILE *md)
{
	size_t agree = 0, bad = 0, na = 0;
	char names[512] = "";

	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		json_t *rec = g->trace[0] ? json_object_get(g->trace[0], "reconcile") : NULL;
		const char *fig;
		json_t *v;

		if (!json_is_object(rec))
			continue;
		json_object_foreach(rec, fig, v) {
			size_t okn, judged = rec_judged(g, fig, &okn);
			size_t l = strlen(names);

			if (!judged) {
				na++;
			} else if (okn == judged) {
				agree++;
			} else if (++bad <= 3 && l < sizeof(names)) {
				snprintf(names + l, sizeof(names) - l, "%s%s %s", bad > 1 ? "; " : "",
					 g->label, fig);
			}
		}
	}
	if (!agree && !bad && !na)
		return;
	fprintf(md, "**eBPF vs the kernel's own counters:** %zu of %zu figures agreed in every "
		    "repeat the tracer could judge", agree, agree + bad + na);
	if (bad)
		fprintf(md, "; **%zu did not** (%s%s)", bad, names, bad > 3 ? "; ..." : "");
	if (na)
		fprintf(md, "; %zu too small to judge", na);
	fprintf(md, " — see each experiment's table.\n\n");
}

/* "1.002 (1.001–1.010)" or "1.002" for one repeat. */
static void md_stat(char *b, size_t len, const struct rgroup *g, const char *path)
{
	double lo, hi, m = rgroup_stat(g, path, &lo, &hi);
	char x[24], y[24], z[24];

	md_num(x, sizeof(x), m);
	if (isnan(m) || lo == hi) {
		snprintf(b, len, "%s", x);
		return;
	}
	md_num(y, sizeof(y), lo);
	md_num(z, sizeof(z), hi);
	if (!strcmp(y, z))	/* repeats that differ below the printed digits */
		snprintf(b, len, "%s", x);
	else
		snprintf(b, len, "%s (%s–%s)", x, y, z);
}

static int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	out[0] = '\0';
	if (!p)
		return -errno;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return pclose(p) == 0 && n ? 0 : -ENOENT;
}

static void cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c++;
			c += strspn(c, " \t");
			c[strcspn(c, "\n")] = '\0';
			snprintf(out, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* Above this, the Environment section says the CPUs differ (percent; the
 * line `corolab doctor` warns at, SPEED_SPREAD_WARN in doctor.c). */
#define PERCPU_SPREAD_NOTE 10

/* The per-CPU spread a `corolab doctor --speed` line reports ("; per CPU
 * cpu0 0.440, cpu1 0.383 ns (slowest +15%)"), in percent; -1 if none. */
static int percpu_spread(const char *speed)
{
	const char *p = speed ? strstr(speed, "; per CPU") : NULL;
	int pct;

	p = p ? strstr(p, "(slowest +") : NULL;
	return p && sscanf(p, "(slowest +%d%%)", &pct) == 1 ? pct : -1;
}

/* The environment: RESULTS_DIR/env.json (written by the lab at run time)
 * wins; figures it lacks are read now and marked "(at report time)". */
static void write_env(const struct rset *s, FILE *md)
{
	char path[PATH_MAX + 32], buf[512];
	int percpu = -1;
	json_t *env;
	struct utsname u;
	static const struct {
		const char *key, *label, *cmd;
	} vers[] = {
		{ "liburing", "liburing", "pkg-config --modversion liburing 2>/dev/null" },
		{ "libbpf", "libbpf", "pkg-config --modversion libbpf 2>/dev/null" },
		{ "libcurl", "libcurl", "pkg-config --modversion libcurl 2>/dev/null" },
		{ "clang", "clang", "clang --version 2>/dev/null | head -n1" },
		{ "gnuplot", "gnuplot", "gnuplot --version 2>/dev/null" },
	};

	snprintf(path, sizeof(path), "%s/env.json", s->dir);
	env = json_load_file(path, 0, NULL);
	fprintf(md, "## Environment\n\n| | |\n|---|---|\n");
	if (!env)
		fprintf(md, "| note | no env.json in the results directory: figures below were read when the report was written |\n");

#define ENV_ROW(label, key, live)                                                              \
	do {                                                                                   \
		const char *v_ = env ? rj_str(env, key) : NULL;                                \
		if (v_ && *v_)                                                                 \
			fprintf(md, "| %s | %s |\n", label, v_);                               \
		else {                                                                         \
			live;                                                                  \
			fprintf(md, "| %s | %s%s |\n", label, buf[0] ? buf : "unknown",        \
				env ? " (at report time)" : "");                               \
		}                                                                              \
	} while (0)

	ENV_ROW("kernel", "kernel", (uname(&u) ? snprintf(buf, sizeof(buf), "unknown") :
				     snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine)));
	ENV_ROW("CPU model", "cpu_model", cpu_model(buf, sizeof(buf)));
	{
		double c = env ? rj_num(env, "cores") : NAN;

		if (!isnan(c))
			fprintf(md, "| cores | %.0f |\n", c);
		else
			fprintf(md, "| cores | %ld%s |\n", sysconf(_SC_NPROCESSORS_ONLN),
				env ? " (at report time)" : "");
	}
	ENV_ROW("governor", "governor",
		read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof(buf)));
	/* Other load on the machine explains many surprises: show it. */
	ENV_ROW("load average (1, 5, 15 min)", "loadavg", ({
		char *p_ = buf;

		read_first_line("/proc/loadavg", buf, sizeof(buf));
		for (int k_ = 0; k_ < 3 && p_; k_++)	/* keep the three averages */
			p_ = strchr(p_ + (k_ ? 1 : 0), ' ');
		if (p_)
			*p_ = '\0';
	}));
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		char key[64];

		snprintf(key, sizeof(key), "versions.%s", vers[i].key);
		ENV_ROW(vers[i].label, key, run_cmd(vers[i].cmd, buf, sizeof(buf)));
	}
	ENV_ROW("corolab commit", "commit", ({
		const char *c = getenv("COROLAB_COMMIT");
		if (c && *c)
			snprintf(buf, sizeof(buf), "%s", c);
		else
			run_cmd("git rev-parse --short HEAD 2>/dev/null", buf, sizeof(buf));
	}));
	ENV_ROW("started", "started", snprintf(buf, sizeof(buf), "unknown"));
	/* `corolab doctor --speed` when the lab started and ended: a VM that
	 * slows down in stretches shows it here (notes/claims.md). */
	{
		const char *at[2] = { env ? rj_str(env, "cpu_speed") : NULL,
				      env ? rj_str(env, "cpu_speed_end") : NULL };

		fprintf(md, "| CPU speed at start | %s |\n", at[0] && *at[0] ? at[0] : "not recorded");
		fprintf(md, "| CPU speed at end | %s |\n", at[1] && *at[1] ? at[1] : "not recorded");
		for (int i = 0; i < 2; i++) {
			int pct = percpu_spread(at[i]);

			if (pct > percpu)
				percpu = pct;
		}
	}
	/* What waking an idle CPU costs: the HTTP figures on loopback include it. */
	ENV_ROW("idle CPUs", "idle_cpus", cpu_idle_describe(buf, sizeof(buf)));
	/* What a system call and a first page touch cost when the lab ran: the
	 * absolute switch, creation and HTTP figures scale with them.  Not
	 * measured at report time: another machine's costs would mislead. */
	{
		const char *c = env ? rj_str(env, "kernel_costs") : NULL;

		fprintf(md, "| kernel entry costs | %s |\n", c && *c ? c : "not recorded");
	}
	ENV_ROW("tracing", "tracing", snprintf(buf, sizeof(buf), "%s",
					       s->traced ? "eBPF trace present" : "no trace data (plain runs)"));
#undef ENV_ROW
	json_decref(env);
	fputc('\n', md);
	if (percpu > PERCPU_SPREAD_NOTE)
		fprintf(md, "The CPUs ran at different speeds (the slowest %d%% slower than the fastest, "
			    "`corolab doctor --speed` pinned to each): a single-threaded run takes the "
			    "speed of the CPU it lands on, so its wall time moves from run to run.  The "
			    "claims ledger withholds the speed-ups (\"not measured\") when that shows "
			    "in the cpu experiment.\n\n", percpu);
}

static void write_commands(const struct rset *s, FILE *md)
{
	char path[PATH_MAX + 32], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/commands.txt", s->dir);
	fprintf(md, "## Exact commands\n\nEvery command the lab ran, in order, to reproduce the run.\n\n");
	f = fopen(path, "r");
	if (!f) {
		fprintf(md, "No commands.txt in the results directory (not written by lab/all.sh).\n\n");
		return;
	}
	fprintf(md, "```sh\n");
	while (fgets(line, sizeof(line), f))
		fputs(line, md);
	fclose(f);
	fprintf(md, "```\n\n");
}

/* The workload's headline figure, beside wall time. */
static void key_figure(const struct rgroup *g, char *b, size_t len)
{
	char x[80], y[80];

	b[0] = '\0';
	if (!strcmp(g->workload, "switch")) {
		md_stat(x, sizeof(x), g, "ns_per_switch");
		snprintf(b, len, "%s ns/switch", x);
		if (!isnan(rgroup_stat(g, "swapcontext_ns_per_switch", NULL, NULL))) {
			md_stat(y, sizeof(y), g, "swapcontext_ns_per_switch");
			snprintf(b + strlen(b), len - strlen(b), "; swapcontext %s ns", y);
		}
	} else if (!strcmp(g->workload, "spawn")) {
		md_stat(x, sizeof(x), g, "rss_per_task_bytes");
		md_stat(y, sizeof(y), g, "create_ns_per_task");
		snprintf(b, len, "%s B RSS/task; %s ns create/task", x, y);
	} else if (!strcmp(g->workload, "http")) {
		md_stat(x, sizeof(x), g, "latency_s.p50");
		md_stat(y, sizeof(y), g, "latency_s.p99");
		snprintf(b, len, "latency p50 %s s, p99 %s s", x, y);
	} else if (g->mode[0] == 'c' && !isnan(rgroup_stat(g, "user_switches", NULL, NULL))) {
		md_stat(x, sizeof(x), g, "user_switches");
		snprintf(b, len, "%s user switches", x);
	}
}

/* The lab's delay server for experiment exp (lab/lib.sh writes its pid),
 * or 0: the report names it where it took the CPU from a traced run. */
static long lab_server_pid(const struct rset *s, const char *exp)
{
	char path[4200];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/server.pid", s->dir, exp);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Who ran when the traced threads were switched out runnable (eBPF
 * sched_switch, totals.involuntary_by): shown when some measurement of the
 * experiment had at least this many involuntary switches. */
#define REPORT_PREEMPT_MIN	20

/* The repeat whose trace figure at path is the median (the lower one for
 * an even count), or -1.  The preemptor table shows that repeat whole, so
 * that its parts add up, which medians taken column by column would not. */
static int median_repeat(const struct rgroup *g, const char *path)
{
	int idx[64], n = 0;

	for (size_t i = 0; i < g->n && n < 64; i++)
		if (g->trace[i] && json_is_number(rj_get(g->trace[i], path)))
			idx[n++] = (int)i;
	for (int i = 1; i < n; i++)	/* insertion sort by the figure */
		for (int j = i; j > 0 && rj_num(g->trace[idx[j - 1]], path) > rj_num(g->trace[idx[j]], path); j--) {
			int t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return n ? idx[(n - 1) / 2] : -1;
}

static void write_preemptors(const struct rset *s, const char *exp, FILE *md)
{
	long server = lab_server_pid(s, exp);
	int any = 0, server_rows = 0;

	for (size_t i = 0; i < s->ng && !any; i++) {
		const struct rgroup *g = &s->g[i];

		any = !strcmp(g->experiment, exp) && g->trace[0] &&
		      json_is_object(json_object_get(json_object_get(g->trace[0], "totals"), "involuntary_by")) &&
		      rgroup_stat(g, "trace.totals.ctx_switches.involuntary", NULL, NULL) >= REPORT_PREEMPT_MIN;
	}
	if (!any)
		return;
	fprintf(md, "\n**Who took the CPU at the involuntary switches** (eBPF sched_switch: the task "
		    "that ran next when a traced thread was switched out still runnable).  Each row is "
		    "the repeat with the median number of involuntary switches, whole, so its parts add "
		    "up; the range over all repeats is in brackets.\n\n"
		    "| measurement | involuntary | own threads | other traced processes | untraced tasks | "
		    "largest untraced (switches) |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		int m = strcmp(g->experiment, exp) ? -1 : median_repeat(g, "totals.ctx_switches.involuntary");
		json_t *by = m >= 0 ? rj_get(g->trace[m], "totals.involuntary_by") : NULL;
		json_t *top = json_object_get(by, "untraced_top"), *p;
		char inv[80], lo[32], hi[32], names[400] = "";
		double mn, mx;
		size_t k, len = 0;
		long tracer, builtin;

		if (!json_is_object(by))
			continue;
		tracer = (long)json_integer_value(rj_get(g->trace[m], "tracer_pid"));
		/* `corolab run http --trace` without --url runs its server in
		 * the tracer's process and says so. */
		builtin = g->run[m] ? (long)json_integer_value(rj_get(g->run[m], "params.server_pid")) : 0;
		rgroup_stat(g, "trace.totals.ctx_switches.involuntary", &mn, &mx);
		md_num(inv, sizeof(inv), rj_num(g->trace[m], "totals.ctx_switches.involuntary"));
		if (mn != mx) {
			md_num(lo, sizeof(lo), mn);
			md_num(hi, sizeof(hi), mx);
			snprintf(inv + strlen(inv), sizeof(inv) - strlen(inv), " (%s–%s)", lo, hi);
		}
		json_array_foreach(top, k, p) {
			long pid = (long)json_integer_value(json_object_get(p, "pid"));
			const char *comm = json_string_value(json_object_get(p, "comm"));
			int is_server = (server && pid == server) || (builtin && pid == builtin);
			int w;

			if (k == 3)
				break;
			/* The server took most of this run's involuntary switches. */
			if (is_server && !k && 2.0 * (double)json_integer_value(json_object_get(p, "count")) >=
						    rj_num(g->trace[m], "totals.ctx_switches.involuntary"))
				server_rows++;
			if (server && pid == server)
				comm = "the lab's delay server";
			else if (builtin && pid == builtin)
				comm = "the built-in server";
			else if (tracer > 0 && pid == tracer)
				comm = "the tracer";
			else if (!pid)
				comm = "idle";
			w = snprintf(names + len, sizeof(names) - len, "%s%s (%lld)", k ? ", " : "",
				     comm ? comm : "?", (long long)json_integer_value(json_object_get(p, "count")));
			if (w < 0 || (size_t)w >= sizeof(names) - len)
				break;
			len += (size_t)w;
		}
		{
			char own[32], oth[32], unt[32];

			md_num(own, sizeof(own), rj_num(by, "own_process"));
			md_num(oth, sizeof(oth), rj_num(by, "other_traced"));
			md_num(unt, sizeof(unt), rj_num(by, "untraced"));
			fprintf(md, "| %s | %s | %s | %s | %s | %s |\n", g->label, inv, own, oth, unt,
				len ? names : "—");
		}
	}
	if (server_rows)
		fprintf(md, "\nIn %d of these rows most of the involuntary switches were the HTTP server "
			    "taking the CPU: it runs on the same cores as the client here.  In the "
			    "write-up's setup the server (httpbin.org) is another machine and takes "
			    "nothing from the client, so those switches belong to this lab's setup, not "
			    "to the client's mode.\n", server_rows);
}

static void write_experiment(const struct rset *s, const char *exp, FILE *md)
{
	int any = 0;

	fprintf(md, "## %s\n\n", exp);
	fprintf(md, "Median over repeats, (min–max) when they differ.  Switches, run-queue p99 and "
		    "faults are eBPF figures (see the reconciliation table below).\n\n");
	fprintf(md, "| measurement | repeats | wall s | ok / failed | OS threads | max RSS kB | "
		    "voluntary sw | involuntary sw | runq p99 µs | page faults | key figure |\n"
		    "|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		char wall[80], ok[32], fl[32], th[80], rss[80], vol[80], inv[80], p99[48], pf[80], key[200];

		if (strcmp(g->experiment, exp))
			continue;
		any = 1;
		md_stat(wall, sizeof(wall), g, "wall_s");
		md_num(ok, sizeof(ok), rgroup_stat(g, "ok", NULL, NULL));
		md_num(fl, sizeof(fl), rgroup_stat(g, "failed", NULL, NULL));
		md_stat(th, sizeof(th), g, "os_threads");
		md_stat(rss, sizeof(rss), g, "max_rss_kb");
		md_stat(vol, sizeof(vol), g, "trace.totals.ctx_switches.voluntary");
		md_stat(inv, sizeof(inv), g, "trace.totals.ctx_switches.involuntary");
		md_num(p99, sizeof(p99), rgroup_stat(g, "trace.totals.runq_latency.p99_ns", NULL, NULL) / 1e3);
		md_stat(pf, sizeof(pf), g, "trace.totals.page_faults.user");
		key_figure(g, key, sizeof(key));
		fprintf(md, "| %s | %zu | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n", g->label, g->n,
			wall, ok, fl, th, rss, vol, inv, p99, pf, key);
	}
	if (!any)
		fprintf(md, "| (no loadable results) |||||||||||\n");
	write_preemptors(s, exp, md);

	/* Every eBPF figure beside the kernel's own count. */
	any = 0;
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];
		json_t *rec = g->trace[0] ? json_object_get(g->trace[0], "reconcile") : NULL;
		const char *fig;
		json_t *v;

		if (strcmp(g->experiment, exp) || !json_is_object(rec))
			continue;
		if (!any)
			fprintf(md, "\n**eBPF vs kernel counters** (first repeat; \"agree\" counts repeats "
				    "that reconciled, of those the tracer could judge).  The kernel's figures "
				    "include what the command did before the tracer attached (its start-up "
				    "up to the barrier: a switch or two and ~30 page faults); the tracer "
				    "subtracts that part before judging.\n\n"
				    "| measurement | figure | eBPF | kernel | agree |\n|---|---|---|---|---|\n");
		any = 1;
		json_object_foreach(rec, fig, v) {
			char b[32], k[32], na[64] = "";
			size_t okn, judged = rec_judged(g, fig, &okn);

			md_num(b, sizeof(b), rj_num(v, "bpf"));
			md_num(k, sizeof(k), rj_num(v, "kernel"));
			if (!judged) {
				const char *note = json_string_value(json_object_get(v, "note"));

				/* Not judged, but worth saying when the two agree
				 * exactly (run-queue sums below 1000 waits). */
				fprintf(md, "| %s | %s | %s | %s | %s%s |\n", g->label, fig, b, k,
					note ? note : "n/a",
					rj_num(v, "bpf") == rj_num(v, "kernel") ? "; equal" : "");
				continue;
			}
			if (judged < g->n)
				snprintf(na, sizeof(na), " (%zu of %zu n/a)", g->n - judged, g->n);
			fprintf(md, "| %s | %s | %s | %s | %zu/%zu %s%s |\n", g->label, fig, b, k, okn,
				judged, okn == judged ? "yes" : "**no**", na);
		}
	}
	if (!any && s->traced)
		fprintf(md, "\nNo reconciliation data in this experiment's traces.\n");
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *g = &s->g[i];

		if (!strcmp(g->experiment, exp) && g->trace[0] && json_is_true(json_object_get(g->trace[0], "partial")))
			fprintf(md, "\n> %s: the trace is marked partial (events were lost).\n", g->label);
	}
	fputc('\n', md);
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"USAGE: corolab report [OPTIONS] RESULTS_DIR\n"
		"\n"
		"Reads every RESULTS_DIR/<experiment>/*.json written by the lab (run, trace or\n"
		"runtrace JSON), groups repeats (median, min-max) and writes RESULTS_DIR/report.md\n"
		"with the environment, exact commands, per-experiment tables, eBPF-vs-kernel\n"
		"reconciliation, charts (RESULTS_DIR/charts/*.png and *.svg, via gnuplot) and the\n"
		"claims ledger: a verdict for each claim of the write-up, computed from the data.\n"
		"\n"
		"OPTIONS:\n"
		"  -o, --output FILE   write the Markdown to FILE instead of RESULTS_DIR/report.md\n"
		"                      ('-' = stdout)\n"
		"  --no-charts         skip gnuplot\n"
		"  -h, --help          this text\n"
		"\n"
		"ENVIRONMENT: COROLAB_GNUPLOT (gnuplot binary), COROLAB_COMMIT (commit shown when\n"
		"             env.json lacks one)\n"
		"\n"
		"EXAMPLES:\n"
		"  corolab report results/20260101-120000\n"
		"  sudo lab/all.sh --quick && corolab report results/$(ls results | tail -n1)\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "no-charts", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *outpath = NULL;
	char path[PATH_MAX + 32];
	int charts = 1, c, ret, rc = 0;
	struct rset s;
	char *buf = NULL;
	size_t len = 0;
	FILE *md;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		case 'n':
			charts = 0;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "corolab report: need exactly one RESULTS_DIR\n\n");
		report_usage(stderr);
		return 2;
	}
	ret = rset__load(&s, argv[optind]);
	if (ret) {
		fprintf(stderr, "corolab report: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	if (!s.ng)
		fprintf(stderr, "corolab report: %s: no run results found in */*.json "
			"(is this a lab results directory?)\n", s.dir);
	for (size_t i = 0; i < s.nproblems; i++)
		fprintf(stderr, "corolab report: skipped %s\n", s.problems[i]);

	md = open_memstream(&buf, &len);
	if (!md) {
		fprintf(stderr, "corolab report: out of memory\n");
		rset__free(&s);
		return 1;
	}
	fprintf(md, "# corolab lab report\n\n");
	fprintf(md, "Results directory: `%s`.  Every figure below was measured by corolab on the "
		    "machine described under Environment; verdicts in the claims ledger are computed "
		    "by rules in `userspace/report/ledger.c` (see notes/claims.md).\n\n", s.dir);
	{
		/* The verdicts first: the reader came for them. */
		struct claim_result res[LEDGER_MAX_CLAIMS];
		size_t n = ledger__eval(&s, res, LEDGER_MAX_CLAIMS), cnt[4] = { 0 };

		for (size_t i = 0; i < n; i++)
			cnt[res[i].verdict]++;
		fprintf(md, "**At a glance:** of the write-up's %zu claims checked, %zu supported, "
			    "%zu refuted, %zu nuanced, %zu not measured — see the [claims ledger]"
			    "(#claims-ledger).\n\n", n, cnt[V_SUPPORTED], cnt[V_REFUTED], cnt[V_NUANCED],
			cnt[V_NOT_MEASURED]);
		rec_glance(&s, md);
	}
	snprintf(path, sizeof(path), "%s/env.json", s.dir);
	{
		/* A --quick run measures the shape, not the figures: say so before
		 * anyone quotes a number from it. */
		json_t *env = json_load_file(path, 0, NULL);
		json_t *q = env ? json_object_get(env, "quick") : NULL;

		if (q && (json_is_true(q) || json_integer_value(q) > 0))
			fprintf(md, "> **QUICK RUN** (`--quick`): durations and counts are scaled down "
				    "so the lab finishes in about a minute.  Start-up costs weigh far more "
				    "than in the write-up's setting, so treat the verdicts as a dry run; "
				    "`make lab` without `--quick` measures the real thing.\n\n");
		json_decref(env);
	}
	snprintf(path, sizeof(path), "%s/PARTIAL", s.dir);
	if (access(path, F_OK) == 0) {
		char why[512];

		read_first_line(path, why, sizeof(why));
		fprintf(md, "> **PARTIAL RUN**: the lab did not finish (%s).  Missing experiments show "
			    "as \"not measured\".\n\n", why[0] ? why : "no reason recorded");
	}
	if (s.nproblems) {
		fprintf(md, "> Files that could not be read:\n");
		for (size_t i = 0; i < s.nproblems; i++)
			fprintf(md, "> - `%s`\n", s.problems[i]);
		fputc('\n', md);
	}
	write_env(&s, md);
	for (size_t i = 0; i < s.nexp; i++)
		write_experiment(&s, s.experiments[i], md);
	python__write(&s, md);
	fprintf(md, "## Charts\n\n");
	if (charts)
		charts__write(&s, md);
	else
		fprintf(md, "Charts skipped (--no-charts).\n");
	fputc('\n', md);
	ledger__write(&s, md);
	/* Last: every command of the run, to reproduce it (a hundred lines that
	 * would otherwise stand between the environment and the figures). */
	fputc('\n', md);
	write_commands(&s, md);
	if (fclose(md)) {
		fprintf(stderr, "corolab report: out of memory\n");
		free(buf);
		rset__free(&s);
		return 1;
	}
	if (outpath && !strcmp(outpath, "-")) {
		fwrite(buf, 1, len, stdout);
	} else {
		if (!outpath) {
			snprintf(path, sizeof(path), "%s/report.md", s.dir);
			outpath = path;
		}
		ret = write_file_atomic(outpath, buf, len);
		if (ret) {
			fprintf(stderr, "corolab report: cannot write %s: %s\n", outpath, strerror(-ret));
			rc = 1;
		} else {
			printf("%s\n", outpath);
		}
	}
	free(buf);
	rset__free(&s);
	return rc;
}
