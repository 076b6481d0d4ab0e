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

struct faults_totals {
	unsigned long long records_lost;	/* thread map full */
	unsigned long long io_unowned;		/* completions on a ring we never saw submit */
};

#endif
