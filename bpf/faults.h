/* SPDX-License-Identifier: MIT */
/* Shared by bpf/faults.bpf.c and userspace/trace/faults.c: per-thread io_uring
 * traffic.  No includes on purpose. */
#ifndef COROLAB_FAULTS_H
#define COROLAB_FAULTS_H

#define FAULTS_MAX_THREADS	65536
#define FAULTS_MAX_RINGS	4096

struct faults_thread {
	unsigned int tid;
	unsigned int tgid;
	unsigned long long io_submitted;	/* io_uring:io_uring_submit_req */
	unsigned long long io_completed;	/* io_uring:io_uring_complete, to the ring's last submitter */
};
_Static_assert(sizeof(struct faults_thread) == 8 + 2 * 8, "faults_thread layout");

/* Page faults and system calls are not here: they are counted per CPU and
 * kept in schedtrace's per-thread record (bpf/traced.bpf.h, cpu_counts). */

struct faults_totals {
	unsigned long long records_lost;	/* thread map full */
	unsigned long long io_unowned;		/* completions on a ring we never saw submit */
};

#endif
