// SPDX-License-Identifier: MIT
/* `corolab trace`: run a command under the eBPF tracer, print a perf-stat-like
 * summary with each BPF figure beside the kernel's own, optionally JSON,
 * per-thread rows and a switch timeline. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "trace/trace.h"
#include "util/util.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* --user NAME|UID: a name must exist; a bare uid without a passwd entry
 * runs with gid = uid and no supplementary groups. */
static char user_name[256];

static int resolve_user(const char *arg, struct trace_opts *o)
{
	struct passwd *pw = getpwnam(arg);
	long l;

	if (!pw && !parse_long(arg, 0, 0x7fffffff - 1, &l)) {
		pw = getpwuid((uid_t)l);
		if (!pw) {
			o->run_user = true;
			o->run_uid = (uid_t)l;
			o->run_gid = (gid_t)l;
			o->run_user_name = NULL;
			return 0;
		}
	}
	if (!pw)
		return -ENOENT;
	o->run_user = true;
	o->run_uid = pw->pw_uid;
	o->run_gid = pw->pw_gid;
	/* getpwnam's buffer is reused by later calls: keep our own copy. */
	if (snprintf(user_name, sizeof(user_name), "%s", pw->pw_name) >= (int)sizeof(user_name))
		return -ENAMETOOLONG;
	o->run_user_name = user_name;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: corolab trace [--json FILE] [--per-thread] [--timeline FILE] [-v] -- COMMAND [ARGS...]\n"
"       corolab trace -p PID [--duration SECONDS] [options]\n"
"\n"
"Runs COMMAND (held at a barrier until the eBPF programs are attached), follows\n"
"it and every process it forks, and reports context switches, run-queue latency,\n"
"page faults, syscalls and io_uring traffic, each reconciled with the kernel's\n"
"own counters (wait4 rusage, sched_info.run_delay).  Processes that outlive\n"
"COMMAND, are orphaned, or are reaped by the kernel (their parent ignores\n"
"SIGCHLD) never reach its wait4 rusage: they are counted, and left out of\n"
"that comparison.  Exits with COMMAND's status.\n"
"\n"
"OPTIONS:\n"
"  --json FILE        write the corolab.trace/1 JSON to FILE ('-' = stdout; the\n"
"                     summary then goes to stderr)\n"
"  --per-thread       add a per-thread table to the summary\n"
"  --timeline FILE    write every switch-in/out of a traced thread to FILE (CSV)\n"
"  --timeline-mb N    timeline ring buffer size in MiB (default 16)\n"
"  -p, --pid PID      trace a running process (and what it forks from now on)\n"
"  -d, --duration S   with -p: stop after S seconds (default: until it exits)\n"
"  --exclude-pid PID  never count process (or thread) PID nor what it forks,\n"
"                     e.g. a server in the traced tree (repeatable, up to 16)\n"
"  --exclude-comm NAME  never count a process once it execs as NAME\n"
"                     (repeatable, up to 16; reconciliation then says n/a)\n"
"  -u, --user USER    run COMMAND as USER (name or uid: its uid, gid and groups),\n"
"                     like perf/strace -u; without it COMMAND keeps your credentials\n"
"  --no-syscalls      do not hook raw_syscalls:sys_enter (it slows every syscall\n"
"                     on the machine): lower overhead, syscalls not counted\n"
"  --raw-tp           load the raw_tp programs even where tp_btf works (the\n"
"                     fallback for kernels without BTF tracepoints; slower)\n"
"  --hooks-only       attach every hook with an empty program: counts nothing,\n"
"                     measures what the hooks alone cost (the overhead floor)\n"
"  --bpf-stats        report each program's runs and run time (kernel BPF stats,\n"
"                     on for this trace only): what the tracer itself costs\n"
"  -v, --verbose      libbpf debug output on stderr\n"
"  -h, --help         this text\n"
"\n"
"EXAMPLES:\n"
"  sudo corolab trace -- sleep 1\n"
"  sudo corolab trace --per-thread -- corolab run switch --mode threads\n"
"  sudo corolab trace --json t.json --timeline t.csv -- corolab run lifecycle\n"
"  sudo corolab trace -p 1234 -d 5\n"
"  sudo corolab trace --user nobody -- corolab run sleep --mode threads\n"
"  sudo corolab trace --exclude-comm nginx -- ./load-test.sh\n");
}

static unsigned long long jget(json_t *o, const char *path)
{
	json_t *v = o;
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

static const char *verdict(json_t *r)
{
	json_t *ok = json_object_get(r, "ok");

	if (json_is_true(ok))
		return "ok";
	if (json_is_false(ok))
		return "MISMATCH";
	return json_string_value(json_object_get(r, "note")) ?: "n/a";
}

static void print_row(FILE *f, const char *name, json_t *rec, const char *tol)
{
	json_t *k = json_object_get(rec, "kernel");
	char kbuf[32] = "-";

	if (json_is_integer(k))
		snprintf(kbuf, sizeof(kbuf), "%lld", (long long)json_integer_value(k));
	fprintf(f, "  %-20s %14llu %14s   %s%s%s\n", name, jget(rec, "bpf"), kbuf, verdict(rec),
		json_is_boolean(json_object_get(rec, "ok")) ? " " : "",
		json_is_boolean(json_object_get(rec, "ok")) ? tol : "");
}

static void print_stars(FILE *f, unsigned long long v, unsigned long long max, int width)
{
	int n = max ? (int)((double)v * width / max + 0.5) : 0;

	fputc('|', f);
	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
	fputc('|', f);
}

/* runqlat's layout: "  lo -> hi : count |****|". */
static void print_hist(FILE *f, json_t *hist)
{
	unsigned long long max = 0;
	int last = -1;
	size_t i;
	json_t *v;

	json_array_foreach(hist, i, v) {
		unsigned long long c = json_integer_value(v);

		if (c) {
			last = (int)i;
			if (c > max)
				max = c;
		}
	}
	if (last < 0)
		return;
	fprintf(f, "\n  %24s : %-10s distribution\n", "run-queue latency (usecs)", "count");
	for (int s = 0; s <= last; s++) {
		unsigned long long lo = s ? 1ULL << s : 0, hi = (1ULL << (s + 1)) - 1;

		fprintf(f, "  %10llu -> %-10llu : %-10lld ", lo, hi,
			(long long)json_integer_value(json_array_get(hist, s)));
		print_stars(f, json_integer_value(json_array_get(hist, s)), max, 40);
		fputc('\n', f);
	}
}

static void print_threads(FILE *f, json_t *threads)
{
	bool marked = false;
	size_t i;
	json_t *t;

	fprintf(f, "\n  %7s %-16s %9s %9s %11s %11s %9s %11s %9s  %s\n", "TID", "COMM", "VOL", "INVOL",
		"RUNQ-AVG", "RUNQ-MAX", "FAULTS", "ONCPU-MS", "SYSCALLS", "INVOL-BY own/traced/other");
	json_array_foreach(threads, i, t) {
		unsigned long long n = jget(t, "runq_count");

		bool out = json_is_true(json_object_get(t, "outside_wait4"));
		char comm[24];

		snprintf(comm, sizeof(comm), "%s%s", json_string_value(json_object_get(t, "comm")) ?: "?",
			 out ? "*" : "");
		marked |= out;
		fprintf(f, "  %7llu %-16s %9llu %9llu %9.1fus %9.1fus %9llu %11.3f %9llu  %llu/%llu/%llu\n",
			jget(t, "tid"), comm,
			jget(t, "voluntary"), jget(t, "involuntary"),
			n ? jget(t, "runq_sum_ns") / 1e3 / n : 0.0, jget(t, "runq_max_ns") / 1e3,
			jget(t, "page_faults"), jget(t, "oncpu_ns") / 1e6, jget(t, "syscalls"),
			jget(t, "involuntary_by.own_process"), jget(t, "involuntary_by.other_traced"),
			jget(t, "involuntary_by.untraced"));
	}
	if (marked)
		fprintf(f, "  * not in the command's wait4 rusage: outlived the command, orphaned, or\n"
			   "    reaped by the kernel (the parent ignores SIGCHLD)\n");
}

/* --bpf-stats: each program's runs and run time, and their sum against the
 * command's CPU time. */
static void print_bpf_stats(FILE *f, json_t *tr)
{
	json_t *bs = json_object_get(tr, "bpf_stats"), *p;
	json_t *ru = json_object_get(tr, "rusage");
	double cpu_ms = (json_number_value(json_object_get(ru, "utime_s")) +
			 json_number_value(json_object_get(ru, "stime_s"))) * 1e3;
	size_t i;

	if (!bs)
		return;
	if (json_is_string(json_object_get(bs, "error"))) {
		fprintf(f, "\n  BPF program stats unavailable: %s\n",
			json_string_value(json_object_get(bs, "error")));
		return;
	}
	fprintf(f, "\n  BPF programs (--bpf-stats: time inside each program, as the kernel counts it)\n");
	json_array_foreach(json_object_get(bs, "programs"), i, p) {
		unsigned long long runs = jget(p, "runs"), ns = jget(p, "run_time_ns");

		fprintf(f, "    %-26s %12llu runs %8.0f ns/run %10.3f ms\n",
			json_string_value(json_object_get(p, "name")), runs,
			runs ? (double)ns / (double)runs : 0.0, ns / 1e6);
	}
	fprintf(f, "    %-26s %44.3f ms", "total", jget(bs, "run_time_ns") / 1e6);
	if (ru && cpu_ms > 0)
		fprintf(f, "  (%.1f%% of the command's %.0f ms of CPU)", jget(bs, "run_time_ns") / 1e4 / cpu_ms,
			cpu_ms);
	fprintf(f, "\n  (not included: the tracepoint dispatch before each run; included: the stats'\n"
		   "   own two clock reads per run, which --hooks-only --bpf-stats shows alone)\n");
}

/* Who got the CPU at the involuntary switches: the traced process's own
 * threads, other traced processes, or tasks outside the set (named). */
static void print_involuntary_by(FILE *f, json_t *by, long long tracer)
{
	json_t *top = json_object_get(by, "untraced_top"), *p;
	size_t i;

	if (!json_is_object(by) || !(jget(by, "own_process") + jget(by, "other_traced") + jget(by, "untraced")))
		return;
	fprintf(f, "  %-20s own threads %llu, other traced processes %llu, untraced tasks %llu\n",
		"preempted by", jget(by, "own_process"), jget(by, "other_traced"), jget(by, "untraced"));
	if (json_array_size(top)) {
		fprintf(f, "  %-20s", "");
		json_array_foreach(top, i, p)
			fprintf(f, "%s %s[%lld]%s %llu", i ? "," : "",
				json_string_value(json_object_get(p, "comm")),
				(long long)json_integer_value(json_object_get(p, "pid")),
				tracer > 0 && json_integer_value(json_object_get(p, "pid")) == tracer ? " (the tracer)" : "",
				jget(p, "count"));
		fputc('\n', f);
	}
	if (jget(by, "unattributed"))
		fprintf(f, "  %-20s (%llu switches not attributed: the preemptor map was full)\n", "",
			jget(by, "unattributed"));
}

void trace_print_summary(FILE *f, json_t *tr, bool per_thread)
{
	json_t *rec = json_object_get(tr, "reconcile"), *cmd = json_object_get(tr, "command");
	json_t *rq = json_object_get(rec, "runq_latency"), *tl = json_object_get(tr, "timeline");
	json_t *es = json_object_get(tr, "exit_status"), *v, *un;
	unsigned long long cnt = jget(tr, "totals.runq_latency.count");
	size_t i;

	fprintf(f, "\n Trace of '");
	json_array_foreach(cmd, i, v)
		fprintf(f, "%s%s", i ? " " : "", json_string_value(v));
	fprintf(f, "' (pid %llu, %s)", jget(tr, "pid"), json_string_value(json_object_get(tr, "attach")));
	if (json_is_integer(es))
		fprintf(f, ": exit %lld", (long long)json_integer_value(es));
	fprintf(f, ", %.3f s%s\n\n", json_real_value(json_object_get(tr, "wall_s")),
		json_is_true(json_object_get(tr, "partial")) ? " (interrupted: partial)" : "");
	if (json_is_true(json_object_get(tr, "hooks_only"))) {
		fprintf(f, "  --hooks-only: every hook was attached with a program that returns at once;\n"
			   "  nothing was counted (the run's own figures show what the hooks alone cost)\n");
		print_bpf_stats(f, tr);
		fputc('\n', f);
		return;
	}

	fprintf(f, "  %-20s %14s %14s   %s\n", "", "bpf", "kernel", "reconcile");
	print_row(f, "voluntary switches", json_object_get(rec, "voluntary"), "(within 3)");
	print_row(f, "involuntary switches", json_object_get(rec, "involuntary"), "(within 3)");
	print_row(f, "page faults", json_object_get(rec, "page_faults"), "(within 2%)");
	fprintf(f, "  %-20s %12.3fms %12.3fms   %s%s\n", "run-queue time", jget(rq, "bpf") / 1e6,
		jget(rq, "kernel") / 1e6, verdict(rq),
		json_is_boolean(json_object_get(rq, "ok")) ? " (within 5%)" : "");
	if (json_is_string(json_object_get(json_object_get(rec, "voluntary"), "basis")))
		fprintf(f, "  (-p: switches reconciled with each thread's own nvcsw/nivcsw from the first to\n"
			   "   the latest switch-out seen; %llu voluntary and %llu involuntary in that window)\n",
			jget(rec, "voluntary.bpf"), jget(rec, "involuntary.bpf"));
	if (jget(rq, "split_by_migration"))
		fprintf(f, "  (%llu wait%s split by a move to another CPU while queued: the part before the\n"
			   "   move is taken from run_delay and added to the wait it belongs to)\n",
			jget(rq, "split_by_migration"), jget(rq, "split_by_migration") == 1 ? "" : "s");
	if (jget(tr, "stints.repaired") || jget(tr, "stints.unseen"))
		fprintf(f, "  (%llu switch-ins unseen by the sched_switch program: %llu charged from the\n"
			   "   thread's first syscall or fault after it, %llu with none to charge)\n",
			jget(tr, "stints.repaired") + jget(tr, "stints.unseen"), jget(tr, "stints.repaired"),
			jget(tr, "stints.unseen"));
	if (json_is_object(json_object_get(tr, "outside_wait4")))
		fprintf(f, "  (%llu %s never reach%s the command's wait4 rusage (outlived it, orphaned, or\n"
			   "   reaped by the kernel for a parent that ignores SIGCHLD): %llu voluntary,\n"
			   "   %llu involuntary switches and %llu faults left out of this comparison,\n"
			   "   not out of the totals below)\n",
			jget(tr, "outside_wait4.processes"),
			jget(tr, "outside_wait4.processes") == 1 ? "process" : "processes",
			jget(tr, "outside_wait4.processes") == 1 ? "es" : "", jget(tr, "outside_wait4.voluntary"),
			jget(tr, "outside_wait4.involuntary"), jget(tr, "outside_wait4.page_faults"));
	if (json_is_string(json_object_get(json_object_get(rec, "voluntary"), "basis")))
		fprintf(f, "  (-p: run-queue time of the threads that exited while traced, the kernel's\n"
			   "   run_delay counted from where each thread's first measured wait began)\n");
	else if (json_is_integer(json_object_get(json_object_get(rec, "voluntary"), "kernel_pre_attach")))
		fprintf(f, "  (kernel figures include what the command did before attach, held at the barrier:\n"
			   "   %llu voluntary, %llu involuntary, %llu faults, %.3f ms queued; reconciled without it)\n",
			jget(rec, "voluntary.kernel_pre_attach"), jget(rec, "involuntary.kernel_pre_attach"),
			jget(rec, "page_faults.kernel_pre_attach"), jget(rq, "kernel_pre_attach") / 1e6);
	fprintf(f, "\n  %-20s %14llu   (user %llu, kernel %llu, exec's argument pages %llu)\n",
		"page faults (bpf)",
		jget(tr, "totals.page_faults.user") + jget(tr, "totals.page_faults.kernel") +
			jget(tr, "totals.page_faults.exec_args"),
		jget(tr, "totals.page_faults.user"), jget(tr, "totals.page_faults.kernel"),
		jget(tr, "totals.page_faults.exec_args"));
	if (json_is_null(json_object_get(json_object_get(tr, "totals"), "syscalls")))
		fprintf(f, "  %-20s %14s\n", "syscalls", "not counted (--no-syscalls)");
	else
		fprintf(f, "  %-20s %14llu\n", "syscalls", jget(tr, "totals.syscalls"));
	fprintf(f, "  %-20s %14llu\n", "migrations", jget(tr, "totals.migrations"));
	fprintf(f, "  %-20s %14llu\n", "threads created", jget(tr, "totals.threads_created"));
	fprintf(f, "  %-20s %14llu\n", "processes created", jget(tr, "totals.processes_created"));
	fprintf(f, "  %-20s %12.3fms\n", "on-CPU", jget(tr, "totals.oncpu_ns") / 1e6);
	fprintf(f, "  %-20s %14llu   (completed %llu)\n", "io_uring submitted",
		jget(tr, "totals.io_uring.submitted"), jget(tr, "totals.io_uring.completed"));
	fprintf(f, "  %-20s %14llu   avg %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us\n",
		"run-queue waits", cnt, cnt ? jget(tr, "totals.runq_latency.sum_ns") / 1e3 / cnt : 0.0,
		jget(tr, "totals.runq_latency.p50_ns") / 1e3, jget(tr, "totals.runq_latency.p99_ns") / 1e3,
		jget(tr, "totals.runq_latency.max_ns") / 1e3);
	print_involuntary_by(f, json_object_get(json_object_get(tr, "totals"), "involuntary_by"),
			     json_integer_value(json_object_get(tr, "tracer_pid")));
	if (json_is_object(tl))
		fprintf(f, "  %-20s %14llu   (dropped %llu) -> %s\n", "timeline events",
			jget(tl, "events"), jget(tl, "dropped"), json_string_value(json_object_get(tl, "file")));
	if (jget(tr, "excluded.tasks"))
		fprintf(f, "  %-20s %14llu   (--exclude-*: not counted; the kernel's counts still hold them)\n",
			"excluded tasks", jget(tr, "excluded.tasks"));
	if (jget(tr, "lost_records"))
		fprintf(f, "  warning: %llu events not counted (per-thread maps full)\n", jget(tr, "lost_records"));
	un = json_object_get(tr, "unavailable");
	json_array_foreach(un, i, v)
		fprintf(f, "  note: %s hooks unavailable on this kernel\n", json_string_value(v));
	print_hist(f, json_object_get(json_object_get(tr, "totals"), "runq_latency") ?
		   json_object_get(json_object_get(json_object_get(tr, "totals"), "runq_latency"), "log2_hist_us") : NULL);
	print_bpf_stats(f, tr);
	if (per_thread)
		print_threads(f, json_object_get(tr, "threads"));
	fputc('\n', f);
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "per-thread", no_argument, NULL, 'T' },
		{ "timeline", required_argument, NULL, 't' },
		{ "timeline-mb", required_argument, NULL, 'M' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "duration", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "exclude-pid", required_argument, NULL, 'X' },
		{ "exclude-comm", required_argument, NULL, 'C' },
		{ "no-syscalls", no_argument, NULL, 'S' },
		{ "raw-tp", no_argument, NULL, 'R' },
		{ "hooks-only", no_argument, NULL, 'H' },
		{ "bpf-stats", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct trace_opts o = { .stop = &stop_signal };
	int excl_pids[16];
	const char *excl_comms[16];
	const char *json_path = NULL;
	bool per_thread = false;
	struct sigaction sa = { .sa_handler = on_stop };
	json_t *trace = NULL;
	int c, err, status = -1, ret;
	long l;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:d:u:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (resolve_user(optarg, &o)) {
				fprintf(stderr, "corolab trace: --user: no such user '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': json_path = optarg; break;
		case 'T': per_thread = true; break;
		case 't': o.timeline_path = optarg; break;
		case 'M':
			if (parse_long(optarg, 1, 1024, &l)) {
				fprintf(stderr, "corolab trace: --timeline-mb wants 1..1024, not '%s'\n", optarg);
				return 2;
			}
			o.timeline_mb = l;
			break;
		case 'p':
			if (parse_long(optarg, 1, 1L << 22, &l)) {
				fprintf(stderr, "corolab trace: -p wants a process id, not '%s'\n", optarg);
				return 2;
			}
			o.pid = l;
			break;
		case 'd':
			if (parse_double(optarg, 0.001, 1e7, &o.duration_s)) {
				fprintf(stderr, "corolab trace: --duration wants seconds (e.g. 2.5), not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'v': o.verbose = true; break;
		case 'X':
			if (o.n_exclude_pids >= (int)(sizeof(excl_pids) / sizeof(*excl_pids))) {
				fprintf(stderr, "corolab trace: at most 16 --exclude-pid\n");
				return 2;
			}
			if (parse_long(optarg, 1, 1L << 22, &l)) {
				fprintf(stderr, "corolab trace: --exclude-pid wants a process id, not '%s'\n", optarg);
				return 2;
			}
			excl_pids[o.n_exclude_pids++] = l;
			o.exclude_pids = excl_pids;
			break;
		case 'C':
			if (o.n_exclude_comms >= (int)(sizeof(excl_comms) / sizeof(*excl_comms))) {
				fprintf(stderr, "corolab trace: at most 16 --exclude-comm\n");
				return 2;
			}
			/* The kernel keeps 15 characters of a name. */
			if (!*optarg || strlen(optarg) > 15) {
				fprintf(stderr, "corolab trace: --exclude-comm wants a name of 1-15 characters, not '%s'\n", optarg);
				return 2;
			}
			excl_comms[o.n_exclude_comms++] = optarg;
			o.exclude_comms = excl_comms;
			break;
		case 'S': o.no_syscalls = true; break;
		case 'R': o.raw_tp = true; break;
		case 'H': o.hooks_only = true; break;
		case 'B': o.bpf_stats = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "corolab trace: try 'corolab trace --help'\n");
			return 2;
		}
	}
	for (int k = 0; k < o.n_exclude_pids; k++)
		if (o.pid > 0 && excl_pids[k] == o.pid) {
			fprintf(stderr, "corolab trace: -p %d is also excluded: nothing to trace\n", (int)o.pid);
			return 2;
		}
	if (o.pid > 0 && optind < argc) {
		fprintf(stderr, "corolab trace: give either -p PID or a command, not both\n");
		return 2;
	}
	if (o.pid > 0 && o.run_user) {
		fprintf(stderr, "corolab trace: --user applies to a command, not to -p\n");
		return 2;
	}
	if (o.pid <= 0 && optind >= argc) {
		fprintf(stderr, "corolab trace: no command given (usage: corolab trace [options] -- COMMAND [ARGS...])\n");
		return 2;
	}
	if (o.duration_s > 0 && o.pid <= 0) {
		fprintf(stderr, "corolab trace: --duration applies to -p only (a command runs until it exits)\n");
		return 2;
	}

	/* No SA_RESTART: the wait loop's poll() should see EINTR at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = trace_command(o.pid > 0 ? NULL : argv + optind, &o, &trace, &status);
	if ((err == -EPERM || err == -EACCES) && status != 127) {
		if (!trace) {
			if (trace_privileged())
				fprintf(stderr, "corolab trace: the kernel refused a BPF program (%s): "
					"run with -v for libbpf's and the verifier's log\n", strerror(-err));
			else
				fprintf(stderr, "corolab trace: needs root or CAP_BPF+CAP_PERFMON: run with sudo\n");
			return 1;
		}
	}
	if (err && !trace) {
		if (err == -ESRCH && o.pid > 0)
			fprintf(stderr, "corolab trace: no process %d: check the pid\n", (int)o.pid);
		else if (status == 127)
			fprintf(stderr, "corolab trace: cannot run '%s': %s\n", argv[optind], strerror(-err));
		else
			fprintf(stderr, "corolab trace: tracing failed: %s (run with -v for libbpf's details)\n",
				strerror(-err));
		return status == 127 ? 127 : 1;
	}
	if (err)	/* results exist; e.g. the timeline file could not be written */
		fprintf(stderr, "corolab trace: %s: %s\n", o.timeline_path ?: "output", strerror(-err));

	trace_print_summary(json_path && !strcmp(json_path, "-") ? stderr : stdout, trace, per_thread);
	ret = status >= 0 ? status : 0;
	if (json_path) {
		int werr = json_write_file(trace, json_path);

		if (werr) {
			fprintf(stderr, "corolab trace: cannot write %s: %s\n", json_path, strerror(-werr));
			ret = ret ? ret : 1;
		}
	}
	json_decref(trace);
	if (stop_signal)
		return 130;
	return err && !ret ? 1 : ret;
}
