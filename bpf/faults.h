/* SPDX-License-Identifier: MIT */
/* Shared by bpf/faults.bpf.c and userspace/trace/faults.c: per-thread page
 * faults, syscalls and io_uring traffic.  No includes on purpose. */
#ifndef COROLAB_FAULTS_H
#define COROLAB_FAULTS_H

#define FAULTS_MAX_THREADS	65536
#define FAULTS_MAX_RINGS	4096

struct faults_thread {
	unsigned int tid;
	unsigned int tgid;
	unsigned long long user;		/* exceptions:page_fault_user */
	unsigned long long kernel;		/* exceptions:page_fault_kernel */
	unsigned long long syscalls;		/* raw_syscalls:sys_enter */
	unsigned long long io_submitted;	/* io_uring:io_uring_submit_req */
	unsigned long long io_completed;	/* io_uring:io_uring_complete, to the ring's last submitter */
};
_Static_assert(sizeof(struct faults_thread) == 8 + 5 * 8, "faults_thread layout");

/* Per-CPU staging slot (see faults.bpf.c): counts of thread `tid` not yet
 * added to its faults_thread record.  tid 0 = empty. */
struct faults_slot {
	unsigned int tid;
	unsigned int tgid;
	unsigned long long user;
	unsigned long long kernel;
	unsigned long long syscalls;
};
_Static_assert(sizeof(struct faults_slot) == 8 + 3 * 8, "faults_slot layout");

/* Slots per CPU: enough for the threads that take turns on one CPU (a
 * hand-off between two threads keeps both on the waker's CPU). */
#define FAULTS_SLOTS	4

struct faults_cpu {
	struct faults_slot slot[FAULTS_SLOTS];
	unsigned long long victim;	/* next slot to evict, round robin */
};

struct faults_totals {
	unsigned long long records_lost;	/* thread map full */
	unsigned long long io_unowned;		/* completions on a ring we never saw submit */
};

#endif
