// SPDX-License-Identifier: MIT
/*
 * `corolab run WORKLOAD`: parse the common options, run the workload in one
 * mode (in this process) or in every mode it supports (`--mode all`: each
 * mode in a fresh child process, so one mode's peak RSS, threads and page
 * faults never leak into the next one's figures), print a table, write JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "http/http.h"
#include "trace/trace.h"
#include "util/util.h"
#include "workloads/workload.h"

static const struct workload *const workloads[] = {
	&workload_http, &workload_lifecycle, &workload_cpu, &workload_sleep,
	&workload_spawn, &workload_switch,
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"USAGE: corolab run WORKLOAD [--mode MODE] [OPTIONS]\n"
		"\nWORKLOADS (defaults reproduce the write-up):\n");
	for (size_t i = 0; i < NWORKLOADS; i++)
		if (workloads[i]->name)
			fprintf(f, "  %-10s %s\n", workloads[i]->name, workloads[i]->summary);
	fprintf(f,
		"\nOPTIONS:\n"
		"  -m, --mode MODE        sequential|threads|coroutines|processes|all (default all)\n"
		"  -t, --tasks N          number of tasks (switch: round trips)\n"
		"  -w, --workers N        threads / processes in the pool\n"
		"  -d, --duration S       task sleep in seconds, fractions allowed (sleep, spawn)\n"
		"      --n N              cpu: iterations of sum(i*i) per task\n"
		"      --gil              cpu: emulate CPython's GIL (5 ms switch interval) in threads mode\n"
		"      --stack-size B     coroutine stack size (e.g. 16k; default 64k)\n"
		"      --guard-mprotect   coroutine guard pages by mprotect, one more mapping per\n"
		"                         stack (the pre-6.13 way: vm.max_map_count caps them)\n"
		"      --thread-stack B   pthread stack size (default: RLIMIT_STACK, 8M here)\n"
		"      --cpu N            pin every task to CPU N\n"
		"      --url TEMPLATE     http: {i} = request index, {delay} = write-up delay\n"
		"      --delay-scale F    http: multiply the write-up's delays (0.01 for tests)\n"
		"      --timeout S        http: per-request timeout (default 10)\n"
		"      --json FILE        write results as JSON ('-': stdout, table to stderr)\n"
		"      --trace            run under the eBPF tracer; JSON gets run + trace (root)\n"
		"      --dry-run          parse and validate the options, then stop (exit 0 or 2)\n"
		"  -q, --quiet            no table\n"
		"  -v, --verbose          more detail\n"
		"\nEXAMPLES:\n"
		"  corolab run sleep                          # 10 x 1 s, every mode\n"
		"  corolab run cpu --mode threads --gil       # the GIL makes threads sequential\n"
		"  corolab run spawn --mode coroutines --tasks 100000 --duration 1\n"
		"  corolab run switch --mode all --tasks 100000 --json switch.json\n");
}

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < NWORKLOADS; i++)
		if (!strcmp(workloads[i]->name, name))
			return workloads[i];
	return NULL;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static json_t *host_info(void)
{
	struct utsname u;
	char line[256], model[200] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && colon) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	return json_pack("{s:s, s:s, s:s, s:i}", "kernel", u.release, "machine", u.machine,
			 "cpu_model", model, "cores", (int)sysconf(_SC_NPROCESSORS_ONLN));
}

struct exec_spec workload_exec_spec(const struct run_opts *o, enum exec_mode m, exec_task_fn fn,
				    void *ctx, size_t result_size)
{
	return (struct exec_spec){
		.mode = m, .tasks = o->tasks, .workers = o->workers, .fn = fn, .ctx = ctx,
		.result_size = result_size, .stack_size = o->stack_size,
		.guard_mprotect = o->guard_mprotect,
		.thread_stack = o->thread_stack, .cpu = o->cpu,
	};
}

void workload_add_exec(json_t *out, const struct exec_result *r)
{
	json_object_set_new(out, "ok", json_integer(r->ok));
	json_object_set_new(out, "failed", json_integer(r->failed));
	json_object_set_new(out, "os_threads", json_integer(r->os_threads));
	json_object_set_new(out, "workers_created", json_integer(r->workers_created));
	if (r->workers_maxrss_kb) {	/* processes mode: the workers' own rusage */
		json_object_set_new(out, "children_cpu_user_s", json_real(r->workers_utime_s));
		json_object_set_new(out, "children_cpu_sys_s", json_real(r->workers_stime_s));
		json_object_set_new(out, "children_max_rss_kb", json_integer(r->workers_maxrss_kb));
	}
	if (r->has_coro) {
		json_object_set_new(out, "user_switches", json_integer((json_int_t)r->coro.switches));
		json_object_set_new(out, "coro", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			"switches", (json_int_t)r->coro.switches,
			"spawned", (json_int_t)r->coro.spawned,
			"peak_live", (json_int_t)r->coro.peak_live,
			"stacks_mapped", (json_int_t)r->coro.stacks_mapped,
			"stack_bytes_mapped", (json_int_t)r->coro.stack_bytes_mapped,
			"stack_bytes_touched", (json_int_t)r->coro.stack_bytes_touched,
			"kernel_waits", (json_int_t)r->coro.kernel_waits,
			"guard_madvise", r->coro.guard_madvise));
	}
	if (!json_object_get(out, "wall_s"))
		json_object_set_new(out, "wall_s", json_real(ns_to_s(r->wall_ns)));
}

/* Coroutines mode failed with ENOMEM: the stacks ran out of mappings or of
 * memory.  With mprotect guard pages each stack is two mappings (stack.c),
 * so a pool that ended within a few mappings of vm.max_map_count hit that
 * limit: name it, with how many were created and the fix.  Called after the
 * loop is freed, so the maps counted now are the process's floor. */
static void coro_enomem_message(json_t *out, long tasks)
{
	json_t *co = json_object_get(out, "coro");
	long long made = json_integer_value(json_object_get(co, "spawned"));
	bool madvise = json_is_true(json_object_get(co, "guard_madvise"));
	long max = -1, own = proc_map_count();
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	if (!madvise && max > 0 && own >= 0 && own + 2 * made + 64 >= max) {
		fprintf(stderr, "corolab run: only %lld of %ld coroutines could be created: the process "
			"reached vm.max_map_count = %ld (%ld mappings of its own + 2 per stack with an "
			"mprotect guard page): raise it with 'sysctl vm.max_map_count=1048576', or run on "
			"a kernel with MADV_GUARD_INSTALL (Linux >= 6.13) without --guard-mprotect\n",
			made, tasks, max, own);
	} else {
		fprintf(stderr, "corolab run: only %lld of %ld coroutines could be created: no memory "
			"for their stacks (limits: memory, vm.overcommit_memory, vm.max_map_count = %ld); "
			"try a smaller --stack-size\n", made, tasks, max);
	}
}

/* Run one mode here, in this process; returns the result object or NULL
 * with *err set. */
static json_t *run_mode(const struct workload *w, const struct run_opts *base,
			enum exec_mode m, int *err)
{
	struct run_opts o = *base;
	struct rusage ru0, ru1, ch0, ch;
	struct timespec t0, t1;
	json_t *out = json_object(), *params;
	long hwm, rss0;

	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	w->defaults(&o, m);
	/* The process's own floor (binary, libc, libcurl and its TLS stack
	 * mapped in): what max_rss_kb holds before the workload adds anything. */
	if (proc_status_field("VmRSS", &rss0))
		rss0 = 0;
	getrusage(RUSAGE_SELF, &ru0);
	getrusage(RUSAGE_CHILDREN, &ch0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*err = w->run(&o, m, out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	getrusage(RUSAGE_CHILDREN, &ch);
	if (*err) {
		/* The one failure worth a figure: the pool could not be built. */
		if (*err == -EAGAIN && (m == EXEC_THREADS || m == EXEC_PROCESSES)) {
			char pmax[32] = "", cg[64] = "";

			/* A pids cgroup is the usual culprit in containers: name it. */
			if (!cgroup_read("pids", "pids.max", pmax, sizeof(pmax)) && strcmp(pmax, "max"))
				snprintf(cg, sizeof(cg), "the pids cgroup's pids.max = %s, ", pmax);
			fprintf(stderr, "corolab run: only %lld of %ld %s could be created "
				"(limits: %skernel.pid_max, kernel.threads-max, RLIMIT_NPROC, memory)\n",
				json_integer_value(json_object_get(out, "workers_created")),
				o.workers > 0 && o.workers < o.tasks ? o.workers : o.tasks,
				m == EXEC_THREADS ? "threads" : "processes", cg);
		} else if (*err == -ENOMEM && m == EXEC_COROUTINES && json_object_get(out, "coro")) {
			coro_enomem_message(out, o.tasks);
		}
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "schema", json_string("corolab.run/1"));
	json_object_set_new(out, "workload", json_string(w->name));
	json_object_set_new(out, "mode", json_string(exec_mode_name(m)));
	if (!json_object_get(out, "tasks"))
		json_object_set_new(out, "tasks", json_integer(o.tasks));
	if (!json_object_get(out, "workers"))
		json_object_set_new(out, "workers", json_integer(o.workers));
	/* A workload that timed only its measured phase set wall_s itself. */
	if (!json_object_get(out, "wall_s"))
		json_object_set_new(out, "wall_s",
				    json_real((double)(t1.tv_sec - t0.tv_sec) +
					      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	/* VmHWM is this address space's peak; ru_maxrss also carries the peak
	 * of whatever this process was before exec (a forked tracer, say). */
	if (proc_status_field("VmHWM", &hwm))
		hwm = ru1.ru_maxrss;
	json_object_set_new(out, "max_rss_kb", json_integer(hwm));
	json_object_set_new(out, "ru_maxrss_kb", json_integer(ru1.ru_maxrss));
	json_object_set_new(out, "rss_start_kb", json_integer(rss0));
	/* Processes mode: the workers' CPU from their own wait4 rusage when the
	 * workload reported it (exec's pool), else every reaped child's. */
	if (m == EXEC_PROCESSES && !json_object_get(out, "children_cpu_user_s")) {
		json_object_set_new(out, "children_cpu_user_s", json_real(tv_s(ch.ru_utime) - tv_s(ch0.ru_utime)));
		json_object_set_new(out, "children_cpu_sys_s", json_real(tv_s(ch.ru_stime) - tv_s(ch0.ru_stime)));
		json_object_set_new(out, "children_max_rss_kb", json_integer(ch.ru_maxrss));
	}
	json_object_set_new(out, "cpu_user_s", json_real(tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime) +
							  json_number_value(json_object_get(out, "children_cpu_user_s"))));
	json_object_set_new(out, "cpu_sys_s", json_real(tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime) +
							 json_number_value(json_object_get(out, "children_cpu_sys_s"))));
	json_object_set_new(out, "nvcsw", json_integer(ru1.ru_nvcsw - ru0.ru_nvcsw));
	json_object_set_new(out, "nivcsw", json_integer(ru1.ru_nivcsw - ru0.ru_nivcsw));
	/* This process's own, like the switches (a pool's workers are not in it). */
	json_object_set_new(out, "minflt", json_integer(ru1.ru_minflt - ru0.ru_minflt));
	json_object_set_new(out, "majflt", json_integer(ru1.ru_majflt - ru0.ru_majflt));
	params = json_object_get(out, "params");
	if (!params) {
		params = json_object();
		json_object_set_new(out, "params", params);
	}
	if (o.stack_size)
		json_object_set_new(params, "stack_size", json_integer((json_int_t)o.stack_size));
	if (o.guard_mprotect)
		json_object_set_new(params, "guard_mprotect", json_true());
	if (o.cpu >= 0)
		json_object_set_new(params, "cpu", json_integer(o.cpu));
	json_object_set_new(out, "host", host_info());
	return out;
}

static void print_table(FILE *f, const struct workload *w, json_t *results)
{
	size_t i;
	json_t *r;

	fprintf(f, "%-11s %7s %7s %7s %9s %10s %8s %9s %9s\n", "mode", "tasks", "ok", "failed",
		"wall_s", "maxrss_MB", "threads", "vol_csw", "invol_csw");
	json_array_foreach(results, i, r) {
		fprintf(f, "%-11s %7lld %7lld %7lld %9.3f %10.1f %8lld %9lld %9lld\n",
			json_string_value(json_object_get(r, "mode")),
			json_integer_value(json_object_get(r, "tasks")),
			json_integer_value(json_object_get(r, "ok")),
			json_integer_value(json_object_get(r, "failed")),
			json_number_value(json_object_get(r, "wall_s")),
			(double)json_integer_value(json_object_get(r, "max_rss_kb")) / 1024.0,
			json_integer_value(json_object_get(r, "os_threads")),
			json_integer_value(json_object_get(r, "nvcsw")),
			json_integer_value(json_object_get(r, "nivcsw")));
	}
	if (w->print)
		json_array_foreach(results, i, r)
			w->print(f, r);
}

static int opt_err(const char *opt, const char *val, int err)
{
	fprintf(stderr, "corolab run: invalid %s '%s': %s\n", opt, val,
		err == -ERANGE ? "out of range" : "not a valid value");
	return 2;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* A temporary file for a child's JSON: $TMPDIR (else /tmp)/corolab-run-XXXXXX,
 * created; the fd, or -1 with errno. */
static int tmp_json(char *tmp, size_t len)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(tmp, len, "%s/corolab-run-XXXXXX", dir) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkstemp(tmp);
}

/* The command line of one mode's child: this same `corolab run` minus
 * --trace/--json, plus --mode M (the last --mode wins), --quiet when asked,
 * and --json TMP.  NULL-terminated; the strings are borrowed. */
static char **child_argv(int argc, char **argv, enum exec_mode m, bool quiet, char *tmp,
			 const char *url)
{
	char **cargv = calloc((size_t)argc + 10, sizeof(char *));
	int n = 0;

	if (!cargv)
		return NULL;
	cargv[n++] = "/proc/self/exe";
	for (int i = 0; i < argc; i++) {	/* argv[0] is "run" */
		if (!strcmp(argv[i], "--trace"))
			continue;
		if (!strcmp(argv[i], "--json")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--json=", 7))
			continue;
		cargv[n++] = argv[i];
	}
	cargv[n++] = "--mode";
	cargv[n++] = (char *)exec_mode_name(m);
	if (quiet)
		cargv[n++] = "--quiet";
	cargv[n++] = "--json";
	cargv[n++] = tmp;
	if (url) {
		cargv[n++] = "--url";
		cargv[n++] = (char *)url;
	}
	cargv[n] = NULL;
	return cargv;
}

/* A temporary file for one mode's JSON (its path in tmp) and the child
 * command line that writes it; NULL with *err set (nothing left behind). */
static char **child_cmd(int argc, char **argv, enum exec_mode m, bool quiet,
			char *tmp, size_t len, const char *url, int *err)
{
	char **cargv;
	int fd = tmp_json(tmp, len);

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	close(fd);
	cargv = child_argv(argc, argv, m, quiet, tmp, url);
	if (!cargv) {
		unlink(tmp);
		*err = -ENOMEM;
	}
	return cargv;
}

/* http without --url: the built-in server is started by this process, and
 * every mode runs in a child of its own told --url (see cmd_run and
 * builtin_server_outside).  The URL for a child, or NULL without a server. */
static const char *builtin_url(const struct server_child *sc, char *url, size_t len)
{
	if (!sc || sc->pid <= 0)
		return NULL;
	snprintf(url, len, "http://127.0.0.1:%d/delay/{delay}", sc->port);
	return url;
}

/* A child told --url reports an external server: it was the built-in one. */
static void builtin_mark(json_t *run, const struct server_child *sc)
{
	json_t *params = json_object_get(run, "params");

	if (!sc || sc->pid <= 0 || !json_is_object(params))
		return;
	json_object_set_new(params, "server", json_string("builtin"));
	json_object_set_new(params, "server_pid", json_integer(sc->pid));
}

/* --mode all: each mode in a fresh process (fork + exec of ourselves), so
 * every mode starts from the same state a single-mode run starts from —
 * same libraries faulted in, no peak RSS, threads or page faults inherited
 * from an earlier mode — and the parent collects the JSON it writes. */
static json_t *run_mode_child(int argc, char **argv, enum exec_mode m,
			      const struct server_child *sc, int *err)
{
	char tmp[PATH_MAX], url[64];
	char **cargv;
	json_t *res;
	json_error_t je;
	int status;
	pid_t pid, parent;

	cargv = child_cmd(argc, argv, m, true, tmp, sizeof(tmp), builtin_url(sc, url, sizeof(url)), err);
	if (!cargv)
		return NULL;
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		/* Die with the parent (kill PID, not just Ctrl-C on the group):
		 * an orphaned mode would run on and write to a removed file. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		execv(cargv[0], cargv);
		_exit(127);
	}
	free(cargv);
	if (pid < 0) {
		*err = -errno;
		unlink(tmp);
		return NULL;
	}
	/* SIGINT/SIGTERM to this process alone (not the group) reach the
	 * child through here; cmd_run's handler only records them. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		if (got_signal)
			kill(pid, got_signal);
	res = json_load_file(tmp, 0, &je);
	unlink(tmp);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !got_signal) {
		/* Nobody here sent it: most likely the OOM killer. */
		char lim[32] = "";

		if (cgroup_read("memory", "memory.limit_in_bytes", lim, sizeof(lim)) &&
		    cgroup_read("memory", "memory.max", lim, sizeof(lim)))
			snprintf(lim, sizeof(lim), "unknown");
		fprintf(stderr, "corolab run: the %s run was killed by SIGKILL: out of memory? "
			"(memory cgroup limit %s bytes; see dmesg)\n", exec_mode_name(m),
			strlen(lim) > 18 ? "none" : lim);
		json_decref(res);
		*err = -EIO;	/* said why */
		return NULL;
	}
	if (!res || !WIFEXITED(status) || WEXITSTATUS(status)) {
		/* The child said why on stderr already. */
		*err = WIFSIGNALED(status) ? -EINTR : WIFEXITED(status) &&
		       WEXITSTATUS(status) == 127 ? -ENOEXEC : -EIO;
		json_decref(res);
		return NULL;
	}
	*err = 0;
	builtin_mark(res, sc);
	return res;
}

/* --trace, one mode: this same command line with --mode M under the
 * tracer, the run JSON going to a temporary file; then both combined into
 * one "corolab.runtrace/1" object.  Each mode is traced on its own so that
 * one trace never mixes two modes' threads. */
static json_t *run_traced_mode(int argc, char **argv, enum exec_mode m, bool quiet,
			       const struct trace_opts *to, const struct server_child *sc,
			       int *status, int *err)
{
	char tmp[PATH_MAX], url[64];
	json_t *trace = NULL, *run;
	json_error_t je;
	char **cargv;

	*status = 0;
	cargv = child_cmd(argc, argv, m, quiet, tmp, sizeof(tmp), builtin_url(sc, url, sizeof(url)), err);
	if (!cargv)
		return NULL;
	*err = trace_command(cargv, to, &trace, status);
	free(cargv);
	if (*err) {
		unlink(tmp);
		return NULL;
	}
	run = json_load_file(tmp, 0, &je);
	unlink(tmp);
	if (run && sc->pid > 0) {
		builtin_mark(run, sc);
		json_object_set_new(json_object_get(run, "params"), "server_traced", json_false());
	}
	return json_pack("{s:s, s:o, s:o}", "schema", "corolab.runtrace/1",
			 "run", run ? run : json_null(), "trace", trace ? trace : json_null());
}

/* http without --url: the built-in server runs here, in the command's first
 * process, and each mode's child (traced or not) gets its URL.  Started by
 * the measured process, it would cost that process its fork and later
 * copy-on-write faults; under --trace it would also be part of the traced
 * tree, its switches, faults and syscalls counted as the client's.  The
 * lab's own runs avoid both with a server of their own. */
static int builtin_server_outside(const struct workload *w, const char *url, struct server_child *sc)
{
	struct serve_opts so = { .idle_ns = SERVE_BUILTIN_IDLE_NS };
	int err;

	if (url || strcmp(w->name, "http"))
		return 0;
	err = server_child__start(sc, &so);
	if (err) {
		fprintf(stderr, "corolab run: cannot start the built-in server: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

static int run_traced(int argc, char **argv, unsigned modes, const char *json_path,
		      bool quiet, int verbose, const struct workload *w, const char *url)
{
	struct trace_opts to = { .verbose = verbose, .stop = &got_signal };
	struct sigaction sa = { .sa_handler = on_signal };
	struct server_child sc = { .pid = -1 };
	json_t *all = json_array();
	int rc = 0, err;

	if (builtin_server_outside(w, url, &sc)) {
		json_decref(all);
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int m = 0; m < EXEC_NMODES && !got_signal; m++) {
		int status;
		json_t *one;

		if (!(modes & (1u << m)))
			continue;
		/* With --json -, stdout carries the JSON: no table from the child. */
		one = run_traced_mode(argc, argv, (enum exec_mode)m,
				      quiet || (json_path && !strcmp(json_path, "-")), &to, &sc,
				      &status, &err);
		if (!one) {
			if ((err == -EPERM || err == -EACCES) && !trace_privileged())
				fprintf(stderr, "corolab run: --trace needs root or CAP_BPF+CAP_PERFMON: run with sudo\n");
			else
				fprintf(stderr, "corolab run: tracing %s failed: %s\n",
					exec_mode_name((enum exec_mode)m), strerror(-err));
			rc = 1;
			break;
		}
		/* The child printed its table; the kernel's side follows it
		 * (with --json the trace is in the file too). */
		if (!quiet && !(json_path && !strcmp(json_path, "-")) &&
		    json_is_object(json_object_get(one, "trace"))) {
			trace_print_summary(stdout, json_object_get(one, "trace"), false);
			fflush(stdout);
		}
		if (json_is_null(json_object_get(one, "run"))) {
			fprintf(stderr, "corolab run: the traced %s run produced no result (exit status %d)\n",
				exec_mode_name((enum exec_mode)m), status);
			rc = 1;
		} else if (status) {
			rc = 1;
		}
		json_array_append_new(all, one);
	}
	if (json_path && json_array_size(all)) {
		/* Interrupted: what was measured is written, marked partial. */
		json_t *doc = __builtin_popcount(modes) > 1 ? json_incref(all) :
			      json_incref(json_array_get(all, 0));

		if (got_signal && json_is_object(doc))
			json_object_set_new(doc, "partial", json_true());
		if ((err = json_write_file(doc, json_path))) {
			fprintf(stderr, "corolab run: cannot write %s: %s\n", json_path, strerror(-err));
			rc = 1;
		}
		json_decref(doc);
	}
	json_decref(all);
	if (sc.pid > 0)
		server_child__stop(&sc);
	return got_signal ? 130 : rc;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "tasks", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "n", required_argument, NULL, 'N' },
		{ "gil", no_argument, NULL, 'G' },
		{ "stack-size", required_argument, NULL, 'S' },
		{ "guard-mprotect", no_argument, NULL, 'g' },
		{ "thread-stack", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "url", required_argument, NULL, 'u' },
		{ "delay-scale", required_argument, NULL, 'D' },
		{ "timeout", required_argument, NULL, 'O' },
		{ "json", required_argument, NULL, 'j' },
		{ "trace", no_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'Y' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_opts o = {
		.tasks = -1, .workers = -1, .duration_ns = UINT64_MAX, .n = -1,
		.cpu = -1, .delay_scale = 1.0, .timeout_ns = 10000000000ull,
	};
	const char *mode_s = "all", *json_path = NULL;
	const struct workload *w;
	json_t *results, *failed_modes;
	struct server_child sc = { .pid = -1 };
	bool trace = false, dry_run = false;
	int c, err, rc = 0;
	unsigned modes;

	opterr = 0;
	/* 0, not 1: glibc then forgets a half-scanned "-qv" cluster left by an
	 * earlier call in this process (the fuzzer calls cmd_run repeatedly). */
	optind = 0;
	while ((c = getopt_long(argc, argv, "m:t:w:d:qvh", longopts, NULL)) != -1) {
		long v;
		double dv;
		uint64_t u;

		switch (c) {
		case 'm': mode_s = optarg; break;
		case 't':
			if ((err = parse_long(optarg, 1, 100000000, &v)))
				return opt_err("--tasks", optarg, err);
			o.tasks = v;
			break;
		case 'w':
			if ((err = parse_long(optarg, 1, 1000000, &v)))
				return opt_err("--workers", optarg, err);
			o.workers = v;
			break;
		case 'd':
			if ((err = parse_duration_ns(optarg, &u)))
				return opt_err("--duration", optarg, err);
			o.duration_ns = u;
			break;
		case 'N':
			if ((err = parse_long(optarg, 1, 1000000000000L, &v)))
				return opt_err("--n", optarg, err);
			o.n = v;
			break;
		case 'G': o.gil = true; break;
		case 'g': o.guard_mprotect = true; break;
		case 'S':
			if ((err = parse_size(optarg, 8192, 1ull << 30, &u)))
				return opt_err("--stack-size", optarg, err);
			o.stack_size = u;
			break;
		case 'T':
			if ((err = parse_size(optarg, 16384, 1ull << 32, &u)))
				return opt_err("--thread-stack", optarg, err);
			o.thread_stack = u;
			break;
		case 'C':
			if ((err = parse_long(optarg, 0, CPU_SETSIZE - 1, &v)))
				return opt_err("--cpu", optarg, err);
			o.cpu = (int)v;
			break;
		case 'u': o.url = optarg; break;
		case 'D':
			if ((err = parse_double(optarg, 0, 1000, &dv)))
				return opt_err("--delay-scale", optarg, err);
			o.delay_scale = dv;
			break;
		case 'O':
			if ((err = parse_duration_ns(optarg, &u)) || !u)
				return opt_err("--timeout", optarg, err ? err : -EINVAL);
			o.timeout_ns = u;
			break;
		case 'j': json_path = optarg; break;
		case 'R': trace = true; break;
		case 'Y': dry_run = true; break;
		case 'q': o.quiet = true; break;
		case 'v': o.verbose++; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "corolab run: unknown or incomplete option '%s' (see corolab run --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "corolab run: which workload? (see corolab run --help)\n");
		return 2;
	}
	w = find_workload(argv[optind]);
	if (!w) {
		fprintf(stderr, "corolab run: unknown workload '%s' (see corolab run --help)\n", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "corolab run: unexpected argument '%s'\n", argv[optind + 1]);
		return 2;
	}
	if (!strcmp(mode_s, "all")) {
		modes = w->modes;
	} else {
		enum exec_mode m;

		if (exec_mode_parse(mode_s, &m)) {
			fprintf(stderr, "corolab run: unknown mode '%s' (sequential, threads, coroutines, processes or all)\n",
				mode_s);
			return 2;
		}
		if (!(w->modes & (1u << m))) {
			fprintf(stderr, "corolab run: %s has no %s mode: %s\n", w->name, mode_s, w->why_not);
			return 2;
		}
		modes = 1u << m;
	}
	if (o.url && strcmp(w->name, "http")) {
		fprintf(stderr, "corolab run: --url applies to the http workload only\n");
		return 2;
	}
	if (o.url) {
		char why[200];

		if (http_url_template_check(o.url, why, sizeof(why))) {
			fprintf(stderr, "corolab run: bad --url '%s': %s\n", o.url, why);
			return 2;
		}
	}
	if (o.gil && strcmp(w->name, "cpu")) {
		fprintf(stderr, "corolab run: --gil applies to the cpu workload only\n");
		return 2;
	}
	/* Everything above is validation only: --dry-run stops here, so
	 * scripts (and tests/fuzz/fuzz_cli.c) can check a command line
	 * without running a workload. */
	if (dry_run)
		return 0;
	if (trace)
		return run_traced(argc, argv, modes, json_path, o.quiet, o.verbose, w, o.url);
	o.progress = !o.quiet && stderr_is_tty();
	/* http without --url: one built-in server for every mode, started here;
	 * the modes run in exec'd children told its URL.  Forked from the
	 * measured process itself, it would cost that process its fork, the
	 * wait for the port and a copy-on-write fault on every page it then
	 * writes (~15 in a 10-request run), all counted as the workload's. */
	if (builtin_server_outside(w, o.url, &sc))
		return 1;

	if (__builtin_popcount(modes) > 1 || sc.pid > 0) {
		/* Modes run in children: stop after the running one and keep
		 * what finished (marked partial) instead of dying mid-way. */
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	results = json_array();
	failed_modes = json_array();
	for (int m = 0; m < EXEC_NMODES && !got_signal; m++) {
		json_t *r;

		if (!(modes & (1u << m)))
			continue;
		if (o.progress)
			fprintf(stderr, "corolab run: %s %s ...\n", w->name, exec_mode_name((enum exec_mode)m));
		if (modes == (1u << m) && sc.pid <= 0)
			r = run_mode(w, &o, (enum exec_mode)m, &err);
		else
			r = run_mode_child(argc, argv, (enum exec_mode)m, &sc, &err);
		if (!r) {
			if (got_signal)
				break;
			if (err == -EIO)	/* a child that already said why */
				fprintf(stderr, "corolab run: %s in %s mode failed\n", w->name,
					exec_mode_name((enum exec_mode)m));
			else
				fprintf(stderr, "corolab run: %s in %s mode failed: %s\n", w->name,
					exec_mode_name((enum exec_mode)m), strerror(-err));
			json_array_append_new(failed_modes, json_string(exec_mode_name((enum exec_mode)m)));
			rc = 1;
			continue;
		}
		json_array_append_new(results, r);
	}
	if (!o.quiet && json_array_size(results))
		print_table(json_path && !strcmp(json_path, "-") ? stderr : stdout, w, results);
	if (json_path && json_array_size(results)) {
		json_t *doc = modes == w->modes && __builtin_popcount(modes) > 1 ?
			      json_incref(results) : json_incref(json_array_get(results, 0));
		size_t i;
		json_t *r;

		/* What is written is never presented as the complete set: a
		 * signal marks it partial, a failed mode names itself. */
		json_array_foreach(results, i, r) {
			if (got_signal)
				json_object_set_new(r, "partial", json_true());
			if (json_array_size(failed_modes))
				json_object_set(r, "modes_failed", failed_modes);
		}

		if ((err = json_write_file(doc, json_path))) {
			fprintf(stderr, "corolab run: cannot write %s: %s\n", json_path, strerror(-err));
			rc = 1;
		}
		json_decref(doc);
	}
	json_decref(results);
	json_decref(failed_modes);
	server_child__stop(&sc);
	return got_signal ? 128 + got_signal : rc;
}
