/* SPDX-License-Identifier: MIT */
/* Shared by bpf/schedtrace.bpf.c and userspace/trace/schedtrace.c: the plain
 * structs that cross the kernel/user boundary.  No includes on purpose (both
 * sides see the same bytes); fixed-width via unsigned int / unsigned long long,
 * which are 32 / 64 bits on every Linux ABI BPF runs on.
 *
 * Not named sched.h: -Ibpf is on the user-space include path and would shadow
 * libc's <sched.h> (pulled in by <pthread.h>). */
#ifndef COROLAB_SCHEDTRACE_H
#define COROLAB_SCHEDTRACE_H

#define SCHEDTRACE_COMM_LEN	16
#define SCHEDTRACE_HIST_SLOTS	32	/* log2(µs): slot 31 holds >= 2^31 µs (35 min) */
#define SCHEDTRACE_MAX_THREADS	65536	/* per-thread records, exited threads included */
#define SCHEDTRACE_MAX_EXCLUDE	16	/* --exclude-pid / --exclude-comm entries, each */
#define SCHEDTRACE_MAX_EXCLUDED	4096	/* processes left out by an exclusion */
#define SCHEDTRACE_TASK_DEAD	0x80	/* TASK_DEAD in prev_state: the final switch */
#define SCHEDTRACE_EXIT_DEAD 0x10	/* task->exit_state: released, rusage folded */

/* One record per traced thread, keyed by tid.  Kept after the thread exits so
 * that short-lived threads still show up in the totals. */
struct schedtrace_thread {
	unsigned int tid;
	unsigned int tgid;
	char comm[SCHEDTRACE_COMM_LEN];	/* at exit (after exec), else at creation */
	unsigned long long voluntary;	/* !preempt && prev_state != 0 */
	unsigned long long involuntary;	/* everything else but the final switch */
	/* Who ran next at the counted involuntary switch-outs: a thread of
	 * the same process, or of another traced process.  The rest went to
	 * tasks outside the traced set (other processes, kernel threads, idle),
	 * named in the `preemptors` map.  Beside `involuntary`: one cache
	 * line for the switch-out's writes. */
	unsigned long long inv_own, inv_traced;
	unsigned long long runq_count;	/* switch-ins that ended a run-queue wait */
	unsigned long long runq_sum_ns;	/* in rq->clock, as sched_info.run_delay */
	unsigned long long runq_max_ns;
	unsigned long long oncpu_ns;	/* rq->clock: switch-out minus sched_info.last_arrival */
	unsigned long long migrations;
	unsigned long long run_delay_ns;	/* kernel's sched_info.run_delay, at exit
					 * (of the latest thread with this tid) */
	unsigned long long kernel_nvcsw;	/* task->nvcsw at exit (cross-check) */
	unsigned long long kernel_nivcsw;	/* task->nivcsw at exit */
	unsigned int exited;		/* sched_process_exit seen */
	unsigned int sighted;		/* k_first_* / k_last_* are set */
	unsigned long long rd_seen;	/* sched_info.run_delay as of our last switch-out */
	/* From the per-CPU event counters (struct cpu_counts, bpf/traced.bpf.h):
	 * what the CPU counted between this thread's switch-in and switch-out. */
	unsigned long long syscalls;	/* raw_syscalls:sys_enter */
	unsigned long long faults_user;	/* exceptions:page_fault_user */
	unsigned long long faults_kernel;	/* exceptions:page_fault_kernel */
	/* The kernel's own nvcsw/nivcsw, and ours, at the first and the latest
	 * switch-out we counted (after __schedule's ++*switch_count): what the
	 * kernel counted from one to the other is what we should have counted
	 * in between.  The reconciliation of -p, where there is no wait4;
	 * recorded only there (targ_sightings). */
	unsigned long long k_first_nvcsw, k_first_nivcsw, k_last_nvcsw, k_last_nivcsw;
	unsigned long long first_voluntary, first_involuntary;
	/* -p only (targ_sightings): sched_info.run_delay as it stood where our
	 * run-queue sum for this thread starts (set at the first stint we
	 * close).  run_delay_ns - rd_base is the kernel's figure for the waits
	 * we could have measured; before attach is outside both. */
	unsigned long long rd_base;
	unsigned int based;		/* rd_base is set */
	/* At exit: the process's parent then (real_parent's tgid).  A process
	 * whose parent is not traced (orphaned, re-parented to init or a
	 * subreaper) is reaped outside the command's tree: its figures never
	 * reach the command's wait4 rusage, nor do its descendants'. */
	unsigned int parent_tgid;
	/* A recycled tid: the summed final run_delay of the earlier threads
	 * merged into this record (run_delay_ns is the latest one's), so the
	 * kernel's side adds up like our summed waits. */
	unsigned long long run_delay_prev;
	/* Faults no exception tracepoint reports: exec copies argv and envp
	 * into the new stack through get_user_pages, one fault per page of
	 * that area, which the kernel counts in the execing task's min_flt.
	 * Counted at sched_process_exec from the area's bounds. */
	unsigned long long faults_exec_args;
};
_Static_assert(sizeof(struct schedtrace_thread) == 240, "schedtrace_thread layout");

/* `preemptors` map: a traced thread's involuntary switch-outs in favour of
 * one untraced process (tgid; 0 = a CPU's idle task). */
#define SCHEDTRACE_MAX_PREEMPTORS	8192
struct schedtrace_preemptor_key {
	unsigned int tid;		/* the traced thread switched out */
	unsigned int tgid;		/* the process whose thread ran next */
};
struct schedtrace_preemptor {
	unsigned long long count;
	char comm[SCHEDTRACE_COMM_LEN];	/* the first thread of it seen there */
};

/* Global figures for the whole traced set: one copy per CPU (the per-CPU
 * `totals` map); user space sums them, and takes the max of runq_max_ns. */
struct schedtrace_totals {
	unsigned long long hist_us[SCHEDTRACE_HIST_SLOTS];	/* run-queue latency, log2 µs */
	unsigned long long runq_count;		/* waits measured (switch-ins with last_queued set) */
	unsigned long long runq_sum_ns;		/* rq->clock, the clock of run_delay */
	unsigned long long runq_max_ns;
	unsigned long long runq_split;		/* queued tasks migrated: wait partly unseen */
	unsigned long long new_wakeups;		/* sched_wakeup_new: new tasks made runnable */
	unsigned long long threads_created;	/* clone() of a thread in a traced process */
	unsigned long long processes_created;	/* fork()/clone() of a new process */
	unsigned long long records_lost;	/* thread map full: events not counted */
	unsigned long long timeline_events;	/* events written to the ring buffer */
	unsigned long long timeline_dropped;	/* ring buffer full: events lost */
	unsigned long long excluded;		/* processes left out (exclude lists) */
	unsigned long long stints_unseen;	/* traced switch-outs with no stint open: switch-in
						 * unseen and no event since, or tracing began
						 * mid-stint (-p); no wait recorded for it */
	unsigned long long stints_crossed;	/* switch-outs of one thread while another's stint
						 * was open on the CPU: must stay 0 */
	unsigned long long stints_repaired;	/* user space, from cpu_counts: stints opened by a
						 * fault or syscall (the switch-in went unseen) */
	unsigned long long preemptors_lost;	/* `preemptors` full: a switch not attributed */
};

enum schedtrace_event_kind {
	SCHEDTRACE_EV_IN = 1,		/* switched in */
	SCHEDTRACE_EV_OUT_VOLUNTARY = 2,	/* switched out, blocked */
	SCHEDTRACE_EV_OUT_PREEMPTED = 3,	/* switched out while runnable */
	SCHEDTRACE_EV_OUT_DEAD = 4,	/* final switch of an exiting thread */
};

/* --timeline ring-buffer record. */
struct schedtrace_event {
	unsigned long long ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	unsigned int tid;
	unsigned int tgid;
	unsigned int cpu;
	unsigned int kind;		/* enum schedtrace_event_kind */
};
_Static_assert(sizeof(struct schedtrace_event) == 24, "schedtrace_event layout");

#endif
