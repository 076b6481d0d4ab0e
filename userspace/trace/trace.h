/* SPDX-License-Identifier: MIT */
/* The eBPF tracer as a library: run a command (or watch a running process)
 * with bpf/schedtrace.bpf.c and bpf/faults.bpf.c attached, then return what
 * they saw as a "corolab.trace/1" JSON object (DESIGN.md), reconciled with
 * the kernel's own counters.  Every call returns 0 or -errno; none prints
 * (libbpf's own messages go to stderr only with opts.verbose).
 *
 * Typical use, e.g. `corolab run ... --trace` tracing a copy of itself:
 *
 *	struct trace_opts o = { .stop = &got_signal };
 *	json_t *trace; int status;
 *	int err = trace_command(child_argv, &o, &trace, &status);
 *	if (err == -EPERM) ...needs root or CAP_BPF+CAP_PERFMON...
 *	json_object_set_new(out, "trace", trace);
 *
 * Needs root (or CAP_BPF + CAP_PERFMON).  Only one trace at a time per
 * process makes sense: libbpf's print callback is process-wide. */
#ifndef COROLAB_TRACE_H
#define COROLAB_TRACE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct trace_opts {
	pid_t pid;			/* >0: trace this running process (and children it forks
					 * from now on) instead of running argv, like perf -p */
	double duration_s;		/* with pid: stop after this long (0 = until it exits) */
	const char *timeline_path;	/* non-NULL: write switch-in/out events there (CSV) */
	unsigned int timeline_mb;	/* ring buffer size, MiB (0 = 16) */
	bool verbose;			/* libbpf debug output on stderr */
	/* Leave raw_syscalls:sys_enter unhooked.  That tracepoint puts every
	 * task on the machine on the slow syscall path and runs a program per
	 * syscall; without it a futex-heavy workload pays ~half the overhead.
	 * "syscalls" figures are then null ("not counted"). */
	bool no_syscalls;
	/* Load the raw_tp twins even where tp_btf works: the fallback older
	 * kernels take, kept testable here. */
	bool raw_tp;
	/* Attach every hook with a program that returns at once: what the
	 * hooks cost by themselves, the floor under the programs' bodies.
	 * Nothing is counted; the JSON says "hooks_only": true and every
	 * reconciliation n/a.  A measuring aid (scripts/bench-trace.sh). */
	bool hooks_only;
	/* Ask the kernel for each program's run count and run time
	 * (BPF_ENABLE_STATS, for this trace only) and report them: what the
	 * tracer's own programs cost.  The stats add two clock reads per run. */
	bool bpf_stats;
	/* Never count these processes (nor what they fork); e.g. a server the
	 * command talks to.  A pid matches a process (tgid) at fork, or a
	 * thread by tid at collection (its events still reach the global
	 * run-queue histogram).  A comm matches at exec.  At most 16 of each
	 * (-E2BIG beyond).  Excluded processes stay in wait4's rusage, so the
	 * reconciliation of an affected run says n/a. */
	const int *exclude_pids;
	int n_exclude_pids;
	const char *const *exclude_comms;
	int n_exclude_comms;
	/* Set asynchronously by the caller's SIGINT/SIGTERM handler to the
	 * signal number: the tracer forwards it to the command, waits up to
	 * 5 s (then SIGKILLs it), and returns partial results ("partial": true).
	 * May be NULL. */
	volatile sig_atomic_t *stop;
	/* run_user: run the command as this user (uid, gid, supplementary
	 * groups of run_user_name, or none when NULL), like perf/strace -u;
	 * set by the caller after resolving the name.  Without it the command
	 * keeps the caller's credentials — never more: the tracer's own fds
	 * are close-on-exec and no capability is made ambient. */
	bool run_user;
	uid_t run_uid;
	gid_t run_gid;
	const char *run_user_name;
};

/* Fork argv held at a barrier, attach, release it, wait4, collect.
 * *out_trace gets a new JSON object (caller json_decref()s it) even when the
 * command failed; *exit_status gets its status (exit code, or 128 + signal;
 * -1 in pid mode).  When argv[0] could not be executed: -errno of execvp()
 * with *exit_status = 127 and no JSON.  -EPERM with *exit_status = -1: not
 * privileged enough to load BPF. */
int trace_command(char *const argv[], const struct trace_opts *o,
		  json_t **out_trace, int *exit_status);

/* The attach flavour this kernel supports: "tp_btf", "raw_tp", or NULL when
 * neither loads (no privileges, no BPF). */
const char *trace_attach_mode(void);

/* Whether this process holds what loading BPF tracers takes (CAP_SYS_ADMIN,
 * or CAP_BPF with CAP_PERFMON, in its effective set; read from /proc, so no
 * libcap): tells an -EPERM/-EACCES from missing privileges apart from a
 * program the kernel refused.  doctor's privileges line uses it too. */
bool trace_privileged(void);

#endif
