/* SPDX-License-Identifier: MIT */
/* Included by bpf/traced.bpf.h (the cpu_counts map) and by
 * userspace/trace/schedtrace.c (which sums `repaired`): one CPU's event
 * counts and the stint of the traced thread on it.  No includes on
 * purpose. */
#ifndef COROLAB_CPUCOUNTS_H
#define COROLAB_CPUCOUNTS_H

enum { CPU_SYSCALLS, CPU_FAULTS_USER, CPU_FAULTS_KERNEL, CPU_NCOUNTS };

/* A stint: one thread's time on one CPU, switch-in to switch-out.  Events
 * are counted per CPU (n[]); the stint's owner is charged n[] - base[]. */
struct cpu_counts {
	unsigned long long n[CPU_NCOUNTS];	/* faults.bpf.c: events on this CPU */
	/* schedtrace.bpf.c: the stint of the traced thread on this CPU now */
	unsigned long long base[CPU_NCOUNTS];	/* n[] when the stint began */
	unsigned long long in_wait;	/* rq->clock - last_queued at its switch-in */
	unsigned int in_tid;		/* its tid; 0 = no traced thread's stint open
					 * (an untraced owner may still be noted in
					 * in_task/in_regs, for the fast path) */
	unsigned int in_queued;		/* STINT_*: what ended at the switch-in */
	/* Who is current, for the event programs, without a helper call:
	 * the address of its user-mode pt_regs (sys_enter's and a user
	 * fault's `regs`), which is its kernel stack + regs_off. */
	unsigned long long in_regs;	/* in_tid's task_pt_regs(), or 0 */
	unsigned long long in_task;	/* in_tid's task_struct address, or 0 */
	unsigned long long in_stack;	/* in_tid's task->stack */
	unsigned long long regs_off;	/* task_pt_regs() - task->stack, learned here */
	unsigned long long repaired;	/* stints opened by an event: switch-in unseen */
};

/* in_queued */
#define STINT_NO_WAIT	0	/* no run-queue wait ended at the switch-in */
#define STINT_WAITED	1	/* one did: in_wait */
#define STINT_REPAIRED	2	/* opened by an event (the switch-in went unseen):
				 * the wait is what run_delay gained since rd_seen */

#endif
