// SPDX-License-Identifier: MIT
/* The tracer's lifecycle (open -> fork at a barrier -> seed -> attach ->
 * release -> wait4 -> detach -> collect) and its "corolab.trace/1" JSON with
 * the reconciliation against the kernel's own counters. */
#include <errno.h>
#include <sys/param.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/probe.h"
#include "trace/trace.h"
#include "trace/tracer.h"
#include "util/util.h"
/* after tracer.h: the skeletons need the shared structs declared first */
#include "schedtrace.skel.h"
#include "faults.skel.h"

#define TRACE_STOP_GRACE_NS	(5ULL * 1000000000ULL)	/* forwarded signal -> SIGKILL */
#define TRACE_VOLINV_TOL	3	/* switches before attach (DESIGN.md) */
#define TRACE_FAULTS_TOL	0.02
#define TRACE_RUNQ_TOL		0.05
#define TRACE_RUNQ_MIN_WAKEUPS	1000
/* --timeline: how often the reader drains the ring buffer on its own (the
 * BPF side wakes it only when the buffer is a quarter full). */
#define TRACE_TIMELINE_TICK_NS	(50ULL * 1000000ULL)
#define TRACE_SIGHT_BASIS	"-p: the threads' own nvcsw/nivcsw from the first to the latest switch-out seen"

struct tracer {
	struct schedtrace *st;
	struct faults *ft;		/* NULL when the faults probe could not load */
	struct ring_buffer *rb;		/* --timeline only */
	FILE *tl;
	const char *mode;		/* "tp_btf" or "raw_tp" */
	unsigned missing;		/* FAULTS_NO_* hooks left out (ft NULL: all) */
	unsigned long long tl_written;
	int tl_err;			/* first write error on the timeline file */
	int stats_fd;			/* --bpf-stats: keeps run-time stats on; -errno if
					 * they could not be turned on; -1 without it */
	json_t *bpf_stats;		/* --bpf-stats: what the programs cost */
};

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* Only with --verbose: libbpf's own diagnostics, stderr, as bpftool does. */
static int print_stderr(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *trace_attach_mode(void)
{
	if (probe_tp_btf("sched_switch") == 1)
		return "tp_btf";
	if (probe_raw_tp("sched_switch") == 1)
		return "raw_tp";
	return NULL;
}

static const char *event_name(unsigned int kind)
{
	switch (kind) {
	case SCHEDTRACE_EV_IN: return "in";
	case SCHEDTRACE_EV_OUT_VOLUNTARY: return "out-voluntary";
	case SCHEDTRACE_EV_OUT_PREEMPTED: return "out-preempted";
	case SCHEDTRACE_EV_OUT_DEAD: return "out-exit";
	}
	return "?";
}

static int on_timeline_event(void *ctx, void *data, size_t len)
{
	struct tracer *tr = ctx;
	const struct schedtrace_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (fprintf(tr->tl, "%llu,%u,%u,%u,%s\n", e->ts_ns, e->tid, e->tgid, e->cpu,
		    event_name(e->kind)) < 0 && !tr->tl_err)
		tr->tl_err = -errno;
	tr->tl_written++;
	return 0;
}

static void tracer_close(struct tracer *tr)
{
	if (tr->stats_fd >= 0)
		close(tr->stats_fd);
	tr->stats_fd = -1;
	json_decref(tr->bpf_stats);
	tr->bpf_stats = NULL;
	ring_buffer__free(tr->rb);
	if (tr->ft)
		faults_free(tr->ft);
	if (tr->st)
		schedtrace_free(tr->st);
	if (tr->tl && fclose(tr->tl) && !tr->tl_err)
		tr->tl_err = -errno;
	tr->rb = NULL;
	tr->ft = NULL;
	tr->st = NULL;
	tr->tl = NULL;
}

static int tracer_open(struct tracer *tr, const struct trace_opts *o)
{
	size_t rb_bytes = (size_t)(o->timeline_mb ? o->timeline_mb : 16) << 20;
	int err, btf;

	libbpf_set_print(o->verbose ? print_stderr : print_quiet);
	btf = o->raw_tp ? 0 : probe_tp_btf("sched_switch");
	if (btf < 0)
		return btf;
	tr->mode = btf ? "tp_btf" : "raw_tp";
	/* Ring buffers must be a power-of-two number of pages. */
	while (rb_bytes & (rb_bytes - 1))
		rb_bytes &= rb_bytes - 1;
	if (o->n_exclude_pids > SCHEDTRACE_MAX_EXCLUDE || o->n_exclude_comms > SCHEDTRACE_MAX_EXCLUDE)
		return -E2BIG;
	err = schedtrace_setup(&tr->st, &(struct schedtrace_opts){
		.use_btf = btf, .timeline = o->timeline_path != NULL, .ringbuf_bytes = rb_bytes,
		/* A quarter full wakes the reader; else TRACE_TIMELINE_TICK_NS does. */
		.ringbuf_wake_bytes = rb_bytes / 4,
		.exclude_pids = o->exclude_pids, .n_exclude_pids = o->n_exclude_pids,
		.exclude_comms = o->exclude_comms, .n_exclude_comms = o->n_exclude_comms,
		.hooks_only = o->hooks_only, .sightings = o->pid > 0 });
	if (err)
		return err;
	err = faults_setup(&tr->ft, btf, schedtrace_traced_fd(tr->st), schedtrace_counts_fd(tr->st),
			  !o->no_syscalls, o->hooks_only, &tr->missing);
	probe_release();	/* the probes are done: a few MB of BTF less */
	if (err == -EPERM)
		return err;
	if (err) {
		tr->ft = NULL;	/* scheduler figures still stand on their own */
	}
	if (o->timeline_path) {
		tr->tl = fopen(o->timeline_path, "we");
		if (!tr->tl)
			return -errno;
		fprintf(tr->tl, "ts_ns,tid,tgid,cpu,event\n");
		tr->rb = ring_buffer__new(schedtrace_timeline_fd(tr->st), on_timeline_event, tr, NULL);
		if (!tr->rb)
			return -errno ? -errno : -ENOMEM;
	}
	return 0;
}

static int tracer_attach(struct tracer *tr)
{
	int err;

	err = schedtrace_attach_all(tr->st);
	if (err)
		return err;
	if (tr->ft) {
		err = faults_attach_all(tr->ft, &tr->missing);
		if (err)
			return err;
	}
	return 0;
}

/* Detach every link (so nothing more is counted) but keep the maps. */
static void tracer_detach(struct tracer *tr)
{
	schedtrace__detach(tr->st);
	if (tr->ft)
		faults__detach(tr->ft);
}

/* ---- JSON ------------------------------------------------------------- */

/* Percentile estimated from the log2 histogram: linear inside the bucket. */
static unsigned long long hist_percentile(const unsigned long long *hist, unsigned long long count, double q)
{
	double target = q * count, cum = 0;

	if (!count)
		return 0;
	for (int s = 0; s < SCHEDTRACE_HIST_SLOTS; s++) {
		double lo = s ? (double)(1ULL << s) : 0, hi = (double)(1ULL << (s + 1));

		if (hist[s] && cum + hist[s] >= target)
			return (unsigned long long)((lo + (hi - lo) * (target - cum) / hist[s]) * 1000);
		cum += hist[s];
	}
	return 0;
}

static void read_comm(struct trace_thread *row)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", row->tgid, row->tid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(row->comm, sizeof(row->comm), f))
		row->comm[strcspn(row->comm, "\n")] = 0;
	fclose(f);
}

/* A comm as a JSON string: the kernel allows any byte but NUL, jansson
 * only UTF-8, and a string it refuses would lose the whole thread record
 * (json_text: broken sequences and control bytes become '?'). */
static json_t *json_comm(const char *comm)
{
	return json_text(comm, SCHEDTRACE_COMM_LEN - 1);
}

static json_t *json_u64(unsigned long long v)
{
	return json_integer((json_int_t)v);
}

/* kernel: the raw figure; pre: its part from before attach (not ours to see). */
static json_t *reconcile_abs(unsigned long long bpf, long kernel, long pre, long tol, const char *na)
{
	long long diff = (long long)bpf - (kernel - pre);

	if (na)
		return json_pack("{s:I,s:n,s:n,s:s}", "bpf", (json_int_t)bpf, "kernel", "ok", "note", na);
	return json_pack("{s:I,s:I,s:I,s:I,s:s,s:b}", "bpf", (json_int_t)bpf, "kernel", (json_int_t)kernel,
			 "kernel_pre_attach", (json_int_t)pre, "diff", (json_int_t)diff,
			 "tolerance", "3", "ok", llabs(diff) <= tol);
}

/* The command's own counters at release time: it has only forked and blocked
 * on the barrier, but the kernel counted that (one voluntary switch, a few
 * faults, its first run-queue wait, which the tracer's own attach work can
 * stretch to milliseconds on a busy CPU).  Subtracted before reconciling. */
struct pre_attach {
	bool valid;
	long nvcsw, nivcsw, minflt, majflt;
	unsigned long long run_delay_ns;
};

static void read_pre_attach(pid_t pid, struct pre_attach *pa)
{
	char path[64], line[256];
	unsigned long long run_time;
	int got = 0;
	FILE *f;

	memset(pa, 0, sizeof(*pa));
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		got += fscanf(f, "%llu %llu", &run_time, &pa->run_delay_ns) == 2;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			got += sscanf(line, "voluntary_ctxt_switches: %ld", &pa->nvcsw);
			got += sscanf(line, "nonvoluntary_ctxt_switches: %ld", &pa->nivcsw);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		/* comm may hold spaces: parse after the last ')'. */
		if (fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');

			got += p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %ld %*u %ld",
					   &pa->minflt, &pa->majflt) == 2;
		}
		fclose(f);
	}
	pa->valid = got == 4;
	if (!pa->valid)
		memset(pa, 0, sizeof(*pa));
}

/* First character of /proc/PID/NAME, or 0 when it cannot be read. */
static char proc_first(pid_t pid, const char *name, char *line, size_t len)
{
	char path[64];
	FILE *f;
	char c = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, (int)len, f))
		c = line[0];
	fclose(f);
	return c;
}

/* Until pid is blocked on the barrier, off every CPU; bounded at 2 s, then
 * carry on.  /proc/PID/stat says 'S' as soon as the task sets its sleep
 * state, before it calls schedule(), and keeps saying so if it is preempted
 * right there: such a task is still queued, and when it gets the CPU back
 * during attach it can run on past the release without ever being switched
 * in after attach (seen in CI: the command's whole start-up, ~360 syscalls
 * and ~500 faults, not charged; the pre-attach snapshot is off too).
 * /proc/PID/syscall answers with the syscall only once the kernel found the
 * task off the CPU and dequeued (wait_task_inactive), else "running"; where
 * it cannot be read, the stat state is all there is. */
static void wait_blocked(pid_t pid)
{
	struct timespec tick = { 0, 50000 };
	char line[256];

	for (int i = 0; i < 40000; i++) {
		char state = 0, c;
		const char *p;

		if (proc_first(pid, "stat", line, sizeof(line)) && (p = strrchr(line, ')')) && p[1] == ' ')
			state = p[2];
		if (!state || state == 'Z')
			return;		/* gone, or died before the barrier */
		c = proc_first(pid, "syscall", line, sizeof(line));
		if (c ? c >= '0' && c <= '9' : state == 'S')
			return;		/* blocked (in the barrier's read) */
		nanosleep(&tick, NULL);
	}
}

/* --bpf-stats: run count and run time of every program of obj that ran,
 * as the kernel's stats (BPF_ENABLE_STATS) measured them since attach. */
static void prog_stats(struct bpf_object *obj, json_t *progs, unsigned long long *total)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		json_array_append_new(progs, json_pack("{s:s,s:o,s:o}", "name", bpf_program__name(prog),
						       "runs", json_u64(info.run_cnt),
						       "run_time_ns", json_u64(info.run_time_ns)));
		*total += info.run_time_ns;
	}
}

static void collect_prog_stats(struct tracer *tr)
{
	unsigned long long total = 0;
	json_t *progs = json_array();

	if (tr->stats_fd < 0) {
		tr->bpf_stats = json_pack("{s:s}", "error", strerror(-tr->stats_fd));
		json_decref(progs);
		return;
	}
	prog_stats(schedtrace_object(tr->st), progs, &total);
	if (tr->ft)
		prog_stats(faults_object(tr->ft), progs, &total);
	tr->bpf_stats = json_pack("{s:o,s:o,s:s}", "programs", progs, "run_time_ns", json_u64(total),
				  "note", "kernel BPF stats: the programs' own run time, without the "
				  "tracepoint dispatch, with the stats' own two clock reads per run "
				  "(--hooks-only --bpf-stats measures those alone)");
}

struct trace_run {
	struct pre_attach pre;		/* zero in pid mode */
	char *const *argv;
	pid_t pid;
	int exit_status;		/* -1 = unknown (pid mode) */
	bool partial;
	double wall_s;
	const struct rusage *ru;	/* NULL in pid mode */
	unsigned long long excluded;	/* processes/threads left out by an exclusion */
};

#define TRACE_PREEMPTORS_TOP	5	/* untraced processes named per thread and in totals */

static json_t *preemptor_json(const struct trace_preemptor *p)
{
	return json_pack("{s:i,s:o,s:o}", "pid", (int)p->tgid, "comm", json_comm(p->comm), "count",
			 json_u64(p->count));
}

/* Thread r's involuntary switches that went to tasks outside the traced set. */
static unsigned long long inv_untraced(const struct trace_thread *r)
{
	unsigned long long known = r->s.inv_own + r->s.inv_traced;

	return r->s.involuntary >= known ? r->s.involuntary - known : 0;
}

/* Who ran next when thread r was switched out runnable: its own process,
 * another traced process, or (the rest) tasks outside the traced set, the
 * largest of which `pre` names. */
static json_t *involuntary_by(const struct trace_thread *r, const struct trace_preemptors *pre)
{
	json_t *top = json_array();
	size_t lo = 0, hi = pre->n;

	while (lo < hi) {	/* first entry of r->tid */
		size_t mid = lo + (hi - lo) / 2;

		if (pre->v[mid].tid < r->tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i < pre->n && pre->v[i].tid == r->tid && k < TRACE_PREEMPTORS_TOP; i++, k++)
		json_array_append_new(top, preemptor_json(&pre->v[i]));
	return json_pack("{s:o,s:o,s:o,s:o}", "own_process", json_u64(r->s.inv_own),
			 "other_traced", json_u64(r->s.inv_traced), "untraced", json_u64(inv_untraced(r)),
			 "untraced_top", top);
}

static int cmp_pre_tgid(const void *a, const void *b)
{
	const struct trace_preemptor *x = a, *y = b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

static int cmp_pre_count(const void *a, const void *b)
{
	const struct trace_preemptor *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* The same for the whole traced set: the untraced processes summed over
 * the kept threads (excluded rows are gone from `rows` by now). */
static json_t *involuntary_by_total(const struct trace_threads *rows, const struct trace_preemptors *pre,
				    unsigned long long lost)
{
	unsigned long long own = 0, traced = 0, rest = 0;
	struct trace_preemptor *agg = pre->n ? calloc(pre->n, sizeof(*agg)) : NULL;
	size_t n = 0, m = 0;
	json_t *top = json_array();

	for (size_t i = 0; i < rows->n; i++) {
		const struct trace_thread *r = &rows->v[i];

		own += r->s.inv_own;
		traced += r->s.inv_traced;
		rest += inv_untraced(r);
	}
	for (size_t i = 0; agg && i < pre->n; i++) {
		if (trace_threads_find(rows, pre->v[i].tid))
			agg[n++] = pre->v[i];
	}
	if (n) {
		qsort(agg, n, sizeof(*agg), cmp_pre_tgid);
		for (size_t i = 0; i < n; i++) {	/* merge runs of one tgid */
			if (m && agg[m - 1].tgid == agg[i].tgid)
				agg[m - 1].count += agg[i].count;
			else
				agg[m++] = agg[i];
		}
		qsort(agg, m, sizeof(*agg), cmp_pre_count);
	}
	for (size_t i = 0; i < m && i < TRACE_PREEMPTORS_TOP; i++)
		json_array_append_new(top, preemptor_json(&agg[i]));
	free(agg);
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "own_process", json_u64(own), "other_traced", json_u64(traced),
			 "untraced", json_u64(rest), "untraced_top", top, "unattributed", json_u64(lost));
}

/* A thread's page faults: exceptions from user and kernel mode, and the
 * exec argument pages no exception reports (schedtrace.h). */
static unsigned long long row_faults(const struct trace_thread *r)
{
	return r->s.faults_user + r->s.faults_kernel + r->s.faults_exec_args;
}

/* What a command's wait4 rusage cannot hold: the kernel adds a process's
 * figures to its parent's when the parent reaps it, so they reach the
 * command only along a chain of traced parents that reaped their children.
 * A process still running at collection (it outlived the command),
 * re-parented out of the tree before it exited (orphaned: init or a
 * subreaper reaps it) or reaped by the kernel itself (its parent ignores
 * SIGCHLD: schedtrace.bpf.c records no parent then) is counted by BPF and not
 * by rusage, and so are its descendants.  Those are left out of both sides
 * of the comparison. */
struct outside {
	unsigned long long processes, voluntary, involuntary, page_faults;
};

struct leader {
	unsigned int tgid, parent;	/* parent 0: still running */
	int reach;			/* -1 unknown, 0 no, 1 yes */
};

static int cmp_leader(const void *a, const void *b)
{
	unsigned int x = ((const struct leader *)a)->tgid, y = ((const struct leader *)b)->tgid;

	return x < y ? -1 : x > y;
}

static struct leader *leader_find(struct leader *v, size_t n, unsigned int tgid)
{
	struct leader key = { .tgid = tgid };

	return bsearch(&key, v, n, sizeof(*v), cmp_leader);
}

static bool reaches(struct leader *v, size_t n, unsigned int tgid, unsigned int cmd)
{
	unsigned int chain[64];
	size_t depth = 0;
	int r = 0;

	/* Walk up to the command, a known answer, or an untraced parent. */
	for (;;) {
		struct leader *l;

		if (tgid == cmd) {
			r = 1;
			break;
		}
		l = leader_find(v, n, tgid);
		if (!l || !l->parent || depth == sizeof(chain) / sizeof(chain[0]))
			break;
		if (l->reach >= 0) {
			r = l->reach;
			break;
		}
		chain[depth++] = tgid;
		tgid = l->parent;
	}
	while (depth--)
		leader_find(v, n, chain[depth])->reach = r;
	return r;
}

static int outside_wait4(const struct trace_threads *rows, unsigned int cmd, struct outside *out,
			 bool *row_out)
{
	struct leader *v = calloc(rows->n + 1, sizeof(*v));
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < rows->n; i++) {
		const struct trace_thread *r = &rows->v[i];

		if (r->tid == r->tgid && r->tgid != cmd)
			v[n++] = (struct leader){ .tgid = r->tgid, .reach = -1,
						  .parent = r->s.exited ? r->s.parent_tgid : 0 };
	}
	qsort(v, n, sizeof(*v), cmp_leader);
	for (size_t i = 0; i < rows->n; i++) {
		const struct trace_thread *r = &rows->v[i];

		if (reaches(v, n, r->tgid, cmd))
			continue;
		row_out[i] = true;
		out->processes += r->tid == r->tgid;
		out->voluntary += r->s.voluntary;
		out->involuntary += r->s.involuntary;
		out->page_faults += row_faults(r);
	}
	free(v);
	return 0;
}

static json_t *build_json(struct tracer *tr, const struct trace_run *run, const struct trace_opts *o,
			  struct trace_threads *rows, const struct trace_preemptors *pre,
			  const struct schedtrace_totals *st, const struct faults_totals *ft)
{
	unsigned long long vol = 0, invol = 0, fu = 0, fk = 0, fe = 0, sys = 0, mig = 0, oncpu = 0;
	unsigned long long ios = 0, ioc = 0, delay = 0, runq_exited = 0, wake_exited = 0, nexited = 0;
	/* -p: what we and the kernel counted between each thread's first and
	 * latest switch-out we saw (schedtrace.h, k_first_nvcsw). */
	unsigned long long sv = 0, si = 0, kv = 0, ki = 0;
	struct outside out;
	bool sight, *row_out, counted;
	json_t *root, *threads, *cmd, *hist, *rec, *runq;
	/* Why the kernel's counters cannot be compared, or NULL. */
	const char *na = o->hooks_only ? "n/a (--hooks-only: nothing counted)" :
			 !run->ru ? "n/a (no wait4 rusage with -p)" :
			 run->excluded ? "n/a (excluded tasks are in the kernel's counts)" : NULL;

	/* Command mode: which rows never reach its wait4 (outside_wait4). */
	memset(&out, 0, sizeof(out));
	row_out = run->ru && !na ? calloc(rows->n + 1, sizeof(*row_out)) : NULL;
	if (row_out && (outside_wait4(rows, (unsigned int)run->pid, &out, row_out) || !out.processes))
		memset(&out, 0, sizeof(out));
	threads = json_array();
	for (size_t i = 0; i < rows->n; i++) {
		struct trace_thread *r = &rows->v[i];
		json_t *t;

		vol += r->s.voluntary;
		invol += r->s.involuntary;
		fu += r->s.faults_user;
		fk += r->s.faults_kernel;
		fe += r->s.faults_exec_args;
		sys += r->s.syscalls;
		mig += r->s.migrations;
		oncpu += r->s.oncpu_ns;
		ios += r->f.io_submitted;
		ioc += r->f.io_completed;
		if (r->s.sighted == 1) {
			sv += r->s.voluntary - r->s.first_voluntary;
			si += r->s.involuntary - r->s.first_involuntary;
			kv += r->s.k_last_nvcsw - r->s.k_first_nvcsw;
			ki += r->s.k_last_nivcsw - r->s.k_first_nivcsw;
		}
		if (r->s.exited && o->pid <= 0) {
			nexited++;
			delay += r->s.run_delay_ns + r->s.run_delay_prev;
			runq_exited += r->s.runq_sum_ns;
			wake_exited += r->s.runq_count;
		} else if (r->s.exited && r->s.sighted != 2) {
			/* -p: run_delay from where our sum for the thread
			 * starts (schedtrace.h, rd_base), not from its birth
			 * long before attach.  A merged record (recycled tid)
			 * has no one base: left out of both sides. */
			nexited++;
			if (r->s.based && r->s.run_delay_ns > r->s.rd_base)
				delay += r->s.run_delay_ns - r->s.rd_base;
			runq_exited += r->s.runq_sum_ns;
			wake_exited += r->s.runq_count;
		} else if (!r->s.exited) {
			read_comm(r);	/* still alive: exec may have renamed it */
		}
		t = json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}",
			      "tid", (int)r->tid, "tgid", (int)r->tgid, "comm", json_comm(r->comm),
			      "voluntary", json_u64(r->s.voluntary),
			      "involuntary", json_u64(r->s.involuntary),
			      "page_faults", json_u64(row_faults(r)),
			      "page_faults_user", json_u64(r->s.faults_user),
			      "page_faults_kernel", json_u64(r->s.faults_kernel),
			      "runq_count", json_u64(r->s.runq_count),
			      "runq_sum_ns", json_u64(r->s.runq_sum_ns),
			      "runq_max_ns", json_u64(r->s.runq_max_ns),
			      "oncpu_ns", json_u64(r->s.oncpu_ns),
			      "migrations", json_u64(r->s.migrations),
			      "syscalls", json_u64(r->s.syscalls),
			      "io_uring_submitted", json_u64(r->f.io_submitted),
			      "io_uring_completed", json_u64(r->f.io_completed),
			      "exited", (int)r->s.exited);
		if (t) {
			if (out.processes && row_out[i])
				json_object_set_new(t, "outside_wait4", json_true());
			json_object_set_new(t, "page_faults_exec_args", json_u64(r->s.faults_exec_args));
			json_object_set_new(t, "involuntary_by", involuntary_by(r, pre));
		}
		if (t && r->s.exited && o->pid > 0 && r->s.based)
			json_object_set_new(t, "run_delay_base_ns", json_u64(r->s.rd_base));
		if (t && r->s.exited) {
			json_object_set_new(t, "run_delay_ns", json_u64(r->s.run_delay_ns + r->s.run_delay_prev));
			json_object_set_new(t, "kernel_nvcsw", json_u64(r->s.kernel_nvcsw));
			json_object_set_new(t, "kernel_nivcsw", json_u64(r->s.kernel_nivcsw));
		}
		json_array_append_new(threads, t);
	}

	cmd = json_array();
	for (char *const *a = run->argv; a && *a; a++)
		json_array_append_new(cmd, json_text(*a, SIZE_MAX));
	hist = json_array();
	for (int s = 0; s < SCHEDTRACE_HIST_SLOTS; s++)
		json_array_append_new(hist, json_u64(st->hist_us[s]));

	root = json_pack("{s:s,s:o,s:i,s:b,s:f,s:s}",
			 "schema", "corolab.trace/1", "command", cmd, "pid", (int)run->pid,
			 "partial", run->partial, "wall_s", run->wall_s, "attach", tr->mode);
	/* The tracer is a task outside the set too, and may show up among
	 * those that took the CPU from it (involuntary_by). */
	json_object_set_new(root, "tracer_pid", json_integer(getpid()));
	if (o->hooks_only)
		json_object_set_new(root, "hooks_only", json_true());
	if (tr->bpf_stats)
		json_object_set_new(root, "bpf_stats", json_incref(tr->bpf_stats));
	json_object_set_new(root, "exit_status",
			    run->exit_status >= 0 ? json_integer(run->exit_status) : json_null());
	json_object_set_new(root, "totals", json_pack(
		"{s:{s:o,s:o},s:{s:o,s:o,s:o},s:{s:o,s:o,s:o,s:s,s:o,s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o}}",
		"ctx_switches", "voluntary", json_u64(vol), "involuntary", json_u64(invol),
		/* exec_args: exec's get_user_pages faults (schedtrace.h). */
		"page_faults", "user", json_u64(fu), "kernel", json_u64(fk), "exec_args", json_u64(fe),
		"runq_latency", "count", json_u64(st->runq_count), "sum_ns", json_u64(st->runq_sum_ns),
		/* "rq": enqueue -> on CPU in rq->clock, the clock and the
		 * definition of sched_info.run_delay (bpf/schedtrace.bpf.c). */
		"max_ns", json_u64(st->runq_max_ns), "clock", "rq",
		/* A log2 bucket's upper bound can exceed the largest wait seen. */
		"p50_ns", json_u64(MIN(hist_percentile(st->hist_us, st->runq_count, 0.50), st->runq_max_ns)),
		"p99_ns", json_u64(MIN(hist_percentile(st->hist_us, st->runq_count, 0.99), st->runq_max_ns)),
		"log2_hist_us", hist,
		"syscalls", json_u64(sys), "migrations", json_u64(mig),
		"threads_created", json_u64(st->threads_created),
		"processes_created", json_u64(st->processes_created),
		/* No sched_wakeup hook any more: "wakeups" counts the waits
		 * measured (wake-ups and preemptions alike), as run_delay's
		 * pcount would. */
		"wakeups", json_u64(st->runq_count), "new_task_wakeups", json_u64(st->new_wakeups),
		"oncpu_ns", json_u64(oncpu),
		"io_uring", "submitted", json_u64(ios), "completed", json_u64(ioc)));
	json_object_set_new(json_object_get(root, "totals"), "involuntary_by",
			    involuntary_by_total(rows, pre, st->preemptors_lost));

	if (run->ru) {
		const struct rusage *ru = run->ru;

		json_object_set_new(root, "rusage", json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:f,s:f}",
			"nvcsw", (json_int_t)ru->ru_nvcsw, "nivcsw", (json_int_t)ru->ru_nivcsw,
			"minflt", (json_int_t)ru->ru_minflt, "majflt", (json_int_t)ru->ru_majflt,
			"maxrss_kb", (json_int_t)ru->ru_maxrss,
			"utime_s", ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6,
			"stime_s", ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6));
	} else {
		json_object_set_new(root, "rusage", json_null());
	}
	json_object_set_new(root, "kernel_run_delay_ns", json_u64(delay));
	json_object_set_new(root, "kernel_run_delay_threads", json_u64(nexited));

	/* Each BPF figure beside the kernel's own; tolerances from issue 4.
	 * Run-queue time is measured in the kernel's clock (rq->clock, see
	 * bpf/schedtrace.bpf.c) and compared over the threads whose run_delay
	 * we read; "wakeups" there is the number of waits measured. */
	rec = json_object();
	/* -p: no wait4, but each thread's own counters at our first and latest
	 * sight of it leaving a CPU (what happened before attach and after
	 * detach is outside both).  A missed switch-out in between shows as a
	 * difference. */
	sight = !run->ru && !run->excluded && !o->hooks_only;
	if (out.processes)
		json_object_set_new(root, "outside_wait4", json_pack("{s:o,s:o,s:o,s:o,s:s}",
			"processes", json_u64(out.processes), "voluntary", json_u64(out.voluntary),
			"involuntary", json_u64(out.involuntary), "page_faults", json_u64(out.page_faults),
			"note", "outlived the command, orphaned or reaped by the kernel: not in its wait4 rusage, "
				"left out of the reconciliation (threads[].outside_wait4)"));
	free(row_out);
	json_object_set_new(rec, "voluntary", sight ? reconcile_abs(sv, (long)kv, 0, TRACE_VOLINV_TOL, NULL) :
		reconcile_abs(vol - out.voluntary, run->ru ? run->ru->ru_nvcsw : 0, run->pre.nvcsw,
			      TRACE_VOLINV_TOL, na));
	json_object_set_new(rec, "involuntary", sight ? reconcile_abs(si, (long)ki, 0, TRACE_VOLINV_TOL, NULL) :
		reconcile_abs(invol - out.involuntary, run->ru ? run->ru->ru_nivcsw : 0, run->pre.nivcsw,
			      TRACE_VOLINV_TOL, na));
	for (int k = 0; sight && k < 2; k++)
		json_object_set_new(json_object_get(rec, k ? "involuntary" : "voluntary"), "basis",
				    json_string(TRACE_SIGHT_BASIS));
	if (!tr->ft || (tr->missing & FAULTS_NO_PAGE_FAULTS)) {
		json_object_set_new(rec, "page_faults", json_pack("{s:n,s:s}", "ok", "note",
			!tr->ft ? "n/a (faults probe did not load)" :
				  "n/a (no page-fault tracepoints on this kernel)"));
	} else if (!na) {
		long kflt = run->ru->ru_minflt + run->ru->ru_majflt;
		long pre = run->pre.minflt + run->pre.majflt;
		unsigned long long bflt = fu + fk + fe - out.page_faults;
		long long diff = (long long)bflt - (kflt - pre);
		/* 2% of the kernel's count, but never tighter than the
		 * pre-attach slack allowed the switch counters. */
		double tol = kflt * TRACE_FAULTS_TOL < TRACE_VOLINV_TOL ? TRACE_VOLINV_TOL : kflt * TRACE_FAULTS_TOL;

		json_object_set_new(rec, "page_faults", json_pack("{s:I,s:I,s:I,s:I,s:s,s:b}",
			"bpf", (json_int_t)bflt, "kernel", (json_int_t)kflt,
			"kernel_pre_attach", (json_int_t)pre, "diff", (json_int_t)diff,
			"tolerance", "2%", "ok", llabs(diff) <= tol));
	} else {
		json_object_set_new(rec, "page_faults", json_pack("{s:I,s:n,s:n,s:s}",
			"bpf", (json_int_t)(fu + fk + fe), "kernel", "ok", "note", na));
	}
	runq = json_pack("{s:I,s:I,s:I,s:s,s:I,s:s}", "bpf", (json_int_t)runq_exited, "kernel", (json_int_t)delay,
			 "kernel_pre_attach", (json_int_t)run->pre.run_delay_ns, "clock", "rq",
			 "wakeups", (json_int_t)wake_exited, "tolerance", "5%");
	delay -= delay >= run->pre.run_delay_ns ? run->pre.run_delay_ns : delay;
	if (run->excluded || o->hooks_only) {
		json_object_set_new(runq, "ok", json_null());
		json_object_set_new(runq, "note", json_string(na));
	} else if (wake_exited >= TRACE_RUNQ_MIN_WAKEUPS) {
		double d = (double)runq_exited - (double)delay;

		json_object_set_new(runq, "ok", json_boolean(d < 0 ? -d <= delay * TRACE_RUNQ_TOL
							       : d <= delay * TRACE_RUNQ_TOL));
	} else {
		json_object_set_new(runq, "ok", json_null());
		json_object_set_new(runq, "note", json_string("n/a (<1000 waits measured)"));
	}
	/* Waits a load-balancing move split: their part before the move is
	 * in run_delay but not in "bpf" (the known blind spot). */
	json_object_set_new(runq, "split_by_migration", json_u64(st->runq_split));
	json_object_set_new(rec, "runq_latency", runq);
	json_object_set_new(root, "reconcile", rec);

	json_object_set_new(root, "timeline", o->timeline_path ?
		json_pack("{s:s,s:o,s:o}", "file", o->timeline_path,
			  "events", json_u64(tr->tl_written), "dropped", json_u64(st->timeline_dropped)) :
		json_null());
	json_object_set_new(root, "excluded", json_pack("{s:o,s:o}", "tasks", json_u64(run->excluded),
							"processes_at_fork_or_exec", json_u64(st->excluded)));
	json_object_set_new(root, "lost_records", json_u64(st->records_lost + ft->records_lost));
	/* Syscalls and faults are charged per stint on a CPU (switch-in to
	 * switch-out); these say how many stints could not be charged. */
	json_object_set_new(root, "stints", json_pack("{s:o,s:o,s:o}", "unseen", json_u64(st->stints_unseen),
						      "repaired", json_u64(st->stints_repaired),
						      "crossed", json_u64(st->stints_crossed)));
	{
		/* Hooks this kernel could not give us: their figures are not zero
		 * but unknown ("faults": the whole probe, syscalls included). */
		json_t *un = json_array();

		if (!tr->ft)
			json_array_append_new(un, json_string("faults"));
		if (tr->missing & FAULTS_NO_PAGE_FAULTS)
			json_array_append_new(un, json_string("page_faults"));
		if (tr->missing & FAULTS_NO_SYSCALLS)
			json_array_append_new(un, json_string("syscalls"));
		if (tr->missing & FAULTS_NO_IO_URING)
			json_array_append_new(un, json_string("io_uring"));
		json_object_set_new(root, "unavailable", un);
	}
	json_object_set_new(root, "threads", threads);
	counted = !o->no_syscalls && tr->ft && !(tr->missing & FAULTS_NO_SYSCALLS);
	if (!counted) {	/* not counted is not zero */
		size_t i;
		json_t *t;

		json_object_set_new(json_object_get(root, "totals"), "syscalls", json_null());
		json_array_foreach(threads, i, t)
			json_object_set_new(t, "syscalls", json_null());
	}
	json_object_set_new(json_object_get(root, "totals"), "syscalls_counted", json_boolean(counted));
	return root;
}

/* Drop the rows of excluded tasks: processes the BPF side left out (their
 * events before exec), and tids/tgids on the exclude list.  Returns how many
 * rows went. */
static unsigned long long drop_excluded(struct tracer *tr, const struct trace_opts *o,
					struct trace_threads *rows)
{
	size_t out = 0;

	for (size_t i = 0; i < rows->n; i++) {
		struct trace_thread *r = &rows->v[i];
		bool drop = schedtrace_excluded(tr->st, r->tgid);

		for (int k = 0; k < o->n_exclude_pids && !drop; k++)
			drop = (unsigned int)o->exclude_pids[k] == r->tid ||
			       (unsigned int)o->exclude_pids[k] == r->tgid;
		if (!drop)
			rows->v[out++] = *r;
	}
	unsigned long long gone = rows->n - out;

	rows->n = rows->sorted = out;	/* order kept: still sorted */
	return gone;
}

/* ---- the run ---------------------------------------------------------- */

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* --user: groups, gid, then uid (the order that still has the right to
 * change the next); checked, so a failed drop never runs the command as
 * root. */
static int drop_to_user(const struct trace_opts *o)
{
	if (o->run_user_name ? initgroups(o->run_user_name, o->run_gid) : setgroups(0, NULL))
		return -errno;
	if (setresgid(o->run_gid, o->run_gid, o->run_gid) ||
	    setresuid(o->run_uid, o->run_uid, o->run_uid))
		return -errno;
	if (o->run_uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		return -EPERM;	/* could regain root: refuse to run */
	return 0;
}

/* In the child: wait for the barrier, exec, or report errno through errp.
 * The caller closed the pipes' other ends, so a tracer that fails before
 * releasing us (closing its end) gives EOF here, never a hang. */
static void __attribute__((noreturn)) child_exec(char *const argv[], const struct trace_opts *o,
						   int barrier, int errp)
{
	char c;
	ssize_t n;
	int e;

	do
		n = read(barrier, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);	/* the tracer failed before releasing us */
	if (o->run_user && (e = -drop_to_user(o)) != 0) {
		if (write(errp, &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	execvp(argv[0], argv);
	e = errno;
	if (write(errp, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* -p: the target's command line as an argv (one allocation, free() it), so
 * the summary and the JSON name what was traced; a kernel thread (empty
 * cmdline) as "[comm]", as ps shows it.  NULL if /proc has neither. */
static char **pid_argv(pid_t pid)
{
	char path[64], buf[4096];
	size_t n = 0, argc = 0;
	char **v, *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	if (!n) {
		char comm[64];

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (read_first_line(path, comm, sizeof(comm)) < 0)
			return NULL;
		n = (size_t)snprintf(buf, sizeof(buf), "[%s]", comm) + 1;
	}
	buf[n] = '\0';		/* a cmdline cut at sizeof(buf) still ends */
	if (buf[n - 1])
		n++;
	for (size_t i = 0; i < n; i++)
		argc += !buf[i];
	v = malloc((argc + 1) * sizeof(*v) + n);
	if (!v)
		return NULL;
	p = memcpy((char *)(v + argc + 1), buf, n);
	for (size_t i = 0; i < argc; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	v[argc] = NULL;
	return v;
}

int trace_command(char *const argv[], const struct trace_opts *o,
		  json_t **out_trace, int *exit_status)
{
	char **pid_args = NULL;
	struct tracer tr = { .stats_fd = -1 };
	struct trace_threads rows = { 0 };
	struct trace_preemptors pre = { 0 };
	struct schedtrace_totals st;
	struct faults_totals ft = { 0 };
	struct trace_run run = { .argv = argv, .exit_status = -1 };
	struct rusage ru;
	int barrier[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int pidfd = -1, err, status = 0, exec_err = 0, forwarded = 0;
	unsigned long long start, deadline = 0, end_at = 0;
	sigset_t stopsigs, waitmask;
	pid_t child = -1, target;

	*out_trace = NULL;
	*exit_status = -1;
	if (o->pid <= 0 && (!argv || !argv[0]))
		return -EINVAL;
	for (int k = 0; k < o->n_exclude_pids; k++)
		if (o->pid > 0 && o->exclude_pids[k] == o->pid)
			return -EINVAL;	/* nothing left to trace */
	if (o->pid > 0) {
		target = o->pid;
		pid_args = pid_argv(target);
		run.argv = pid_args;
	} else {
		if (pipe2(barrier, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
			err = -errno;
			goto cleanup;
		}
		child = fork();
		if (child < 0) {
			err = -errno;
			goto cleanup;
		}
		if (child == 0) {
			close(barrier[1]);
			close(errp[0]);
			child_exec(argv, o, barrier[0], errp[1]);
		}
		close(barrier[0]);
		close(errp[1]);
		barrier[0] = errp[1] = -1;
		target = child;
	}
	/* After the fork: the command's ru_maxrss starts from what it was
	 * forked as (exec keeps the old image's peak), and the BPF objects and
	 * the kernel's BTF parsed here would otherwise add ~30 MB to it. */
	err = tracer_open(&tr, o);
	if (err)
		goto cleanup;
	run.pid = target;
	pidfd = proc_pidfd_open(target);
	if (pidfd < 0) {
		err = pidfd;
		goto cleanup;
	}
	if (child > 0) {
		/* Snapshot while it sleeps on the barrier: nothing moves until
		 * release, so pre + traced = the kernel's total, exactly. */
		wait_blocked(child);
		read_pre_attach(child, &run.pre);
	}
	err = schedtrace_seed(tr.st, target);
	if (err)
		goto cleanup;
	if (o->bpf_stats) {
		/* On for as long as this fd is open, and only counting: no
		 * sysctl left changed behind us. */
		tr.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	}
	err = tracer_attach(&tr);
	if (err)
		goto cleanup;

	start = now_ns();
	if (o->pid > 0 && o->duration_s > 0)
		end_at = start + (unsigned long long)(o->duration_s * 1e9);
	if (child > 0) {
		ssize_t n;

		if (write(barrier[1], "g", 1) != 1) {
			err = -errno;
			goto cleanup;
		}
		close(barrier[1]);
		barrier[1] = -1;
		/* EOF = exec succeeded (O_CLOEXEC closed it); 4 bytes = errno. */
		do
			n = read(errp[0], &exec_err, sizeof(exec_err));
		while (n < 0 && errno == EINTR);
		if (n != sizeof(exec_err))
			exec_err = 0;
	}

	/* The tracer sleeps until the command exits, a stop signal comes or a
	 * deadline passes: no periodic tick but --timeline's drain (a tick
	 * wakes on the command's CPUs, preempts it now and then, and is
	 * counted among the tasks that took the CPU from it).  SIGINT and
	 * SIGTERM stay blocked except inside ppoll(), so one that lands
	 * between the check of o->stop and the sleep ends the sleep. */
	sigemptyset(&stopsigs);
	sigaddset(&stopsigs, SIGINT);
	sigaddset(&stopsigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &stopsigs, &waitmask);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = tr.rb ? ring_buffer__epoll_fd(tr.rb) : -1, .events = POLLIN },
		};
		unsigned long long now = now_ns(), until = 0;
		struct timespec ts;

		/* Checked before each sleep: a signal that came while the
		 * programs loaded was handled then and would end no sleep; one
		 * that ends a sleep is forwarded on the next pass. */
		if (o->stop && *o->stop && !forwarded) {
			forwarded = *o->stop;
			run.partial = true;
			if (child < 0)
				break;	/* -p: stop watching, never signal a process we did not start */
			kill(child, forwarded);
			deadline = now + TRACE_STOP_GRACE_NS;
		}
		if (deadline)
			until = deadline;
		if (end_at && (!until || end_at < until))
			until = end_at;
		if (tr.rb && (!until || now + TRACE_TIMELINE_TICK_NS < until))
			until = now + TRACE_TIMELINE_TICK_NS;
		if (until) {
			unsigned long long left = until > now ? until - now : 0;

			ts.tv_sec = (time_t)(left / 1000000000ULL);
			ts.tv_nsec = (long)(left % 1000000000ULL);
		}
		if (ppoll(pfd, 2, until ? &ts : NULL, &waitmask) < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (tr.rb)
			ring_buffer__consume(tr.rb);
		if (pfd[0].revents & (POLLIN | POLLHUP))
			break;
		now = now_ns();
		if (deadline && now > deadline) {
			kill(child, SIGKILL);	/* it ignored the forwarded signal */
			deadline = 0;
		}
		if (end_at && now >= end_at)
			break;
	}
	sigprocmask(SIG_SETMASK, &waitmask, NULL);
	run.wall_s = (now_ns() - start) / 1e9;
	if (child > 0) {
		pid_t w;

		do
			w = wait4(child, &status, 0, &ru);
		while (w < 0 && errno == EINTR);
		if (w == child) {
			run.exit_status = status_code(status);
			run.ru = &ru;
		}
		child = -1;
		if (exec_err) {
			*exit_status = 127;	/* as a shell reports it */
			err = -exec_err;
			goto cleanup;
		}
	}
	tracer_detach(&tr);
	if (o->bpf_stats)
		collect_prog_stats(&tr);	/* before the iterator runs at collection */
	if (tr.rb)
		ring_buffer__consume(tr.rb);
	if (tr.tl && fflush(tr.tl) && !tr.tl_err)
		tr.tl_err = -errno;

	err = schedtrace_read(tr.st, &rows, &st);
	if (!err && tr.ft)
		err = faults_read(tr.ft, &rows, &ft);
	if (!err)
		err = schedtrace_read_preemptors(tr.st, &pre);
	if (err)
		goto cleanup;
	run.excluded = drop_excluded(&tr, o, &rows) + st.excluded;
	*out_trace = build_json(&tr, &run, o, &rows, &pre, &st, &ft);
	if (!*out_trace)
		err = -ENOMEM;
	*exit_status = run.exit_status;
	if (!err && tr.tl_err)
		err = tr.tl_err;
cleanup:
	if (child > 0) {
		/* Failed before release: closing the barrier makes it _exit. */
		if (barrier[1] >= 0)
			close(barrier[1]);
		barrier[1] = -1;
		waitpid(child, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (barrier[i] >= 0)
			close(barrier[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	trace_threads_free(&rows);
	free(pre.v);
	free(pid_args);
	tracer_close(&tr);
	return err;
}

bool trace_privileged(void)
{
	unsigned long long eff = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 21 & 1) || ((eff >> 39 & 1) && (eff >> 38 & 1));
}
