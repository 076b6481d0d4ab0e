/* SPDX-License-Identifier: MIT */
/* Internal to userspace/trace/: the per-probe loaders (schedtrace.c,
 * faults.c, same stems as their bpf/ programs) and the merged per-thread row
 * trace.c builds its JSON from. */
#ifndef COROLAB_TRACE_TRACER_H
#define COROLAB_TRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "schedtrace.h"
#include "faults.h"

struct schedtrace;	/* skeletons: build/schedtrace.skel.h, build/faults.skel.h */
struct faults;
struct ring_buffer;

/* One traced thread, both probes' figures merged. */
struct trace_thread {
	unsigned int tid, tgid;
	char comm[SCHEDTRACE_COMM_LEN];
	struct schedtrace_thread s;	/* zero when schedtrace never saw it */
	struct faults_thread f;		/* zero when faults never saw it */
};

struct trace_threads {
	struct trace_thread *v;		/* v[0..sorted) sorted by tid, then appended rows */
	size_t n, cap, sorted;
};

/* Row for tid, appended (zeroed) when missing; NULL on ENOMEM.  O(log n) over
 * the sorted prefix; call trace_threads_sort() after a batch of appends. */
struct trace_thread *trace_threads_get(struct trace_threads *rows, unsigned int tid,
				       unsigned int tgid);
/* Row for tid, or NULL. */
struct trace_thread *trace_threads_find(const struct trace_threads *rows, unsigned int tid);
/* Append without looking (the caller knows tid is new). */
struct trace_thread *trace_threads_append(struct trace_threads *rows, unsigned int tid,
					  unsigned int tgid);
void trace_threads_sort(struct trace_threads *rows);
void trace_threads_free(struct trace_threads *rows);

/* One entry of the `preemptors` map: traced thread tid was switched out
 * runnable `count` times while a thread of untraced process tgid ran next. */
struct trace_preemptor {
	unsigned int tid, tgid;
	unsigned long long count;
	char comm[SCHEDTRACE_COMM_LEN];
};

struct trace_preemptors {
	struct trace_preemptor *v;	/* sorted by tid, then count (largest first) */
	size_t n;
};

struct schedtrace_opts {
	bool use_btf;			/* tp_btf programs, else their raw_tp twins */
	bool timeline;			/* switch events to the ring buffer */
	size_t ringbuf_bytes;		/* its size (a power of two of pages) */
	size_t ringbuf_wake_bytes;	/* wake the reader past this fill; 0 = per batch */
	const int *exclude_pids;	/* processes never traced */
	int n_exclude_pids;		/* at most SCHEDTRACE_MAX_EXCLUDE used */
	const char *const *exclude_comms;	/* comms whose exec leaves the set */
	int n_exclude_comms;
	bool hooks_only;		/* programs return at once (trace_opts) */
	bool sightings;			/* note the kernel's nvcsw/nivcsw (-p only) */
};

/* schedtrace.c: open, choose tp_btf/raw_tp twins, size the ring buffer and
 * the traced bitmap (kernel.pid_max), set the exclude lists, load. */
int schedtrace_setup(struct schedtrace **out, const struct schedtrace_opts *o);
int schedtrace_traced_fd(struct schedtrace *s);
int schedtrace_counts_fd(struct schedtrace *s);	/* per-CPU syscall/fault counters, for faults */
int schedtrace_seed(struct schedtrace *s, pid_t tgid);	/* before attach only */
bool schedtrace_excluded(struct schedtrace *s, unsigned int tgid);	/* left out by an exclusion */
int schedtrace_attach_all(struct schedtrace *s);
int schedtrace_timeline_fd(struct schedtrace *s);
int schedtrace_read(struct schedtrace *s, struct trace_threads *rows, struct schedtrace_totals *tot);
int schedtrace_read_preemptors(struct schedtrace *s, struct trace_preemptors *out);
void schedtrace_free(struct schedtrace *s);
struct bpf_object *schedtrace_object(struct schedtrace *s);	/* for --bpf-stats */

/* faults.c: same, sharing schedtrace's traced-set map and per-CPU counters
 * by fd (the faults and syscalls it counts land in schedtrace's records).
 * Hooks whose tracepoint this kernel lacks are left out at setup, and
 * optional ones (io_uring) that fail to attach at attach time: *missing
 * gains a FAULTS_NO_* bit for each, so the trace can say "unavailable"
 * instead of showing a zero. */
enum {
	FAULTS_NO_PAGE_FAULTS	= 1,	/* exceptions:page_fault_* (x86 only) */
	FAULTS_NO_SYSCALLS	= 2,	/* raw_syscalls:sys_enter */
	FAULTS_NO_IO_URING	= 4,	/* io_uring:io_uring_submit_req/complete */
};
int faults_setup(struct faults **out, bool use_btf, int traced_fd, int counts_fd, bool syscalls,
		 bool hooks_only, unsigned *missing);
int faults_attach_all(struct faults *f, unsigned *missing);
int faults_read(struct faults *f, struct trace_threads *rows, struct faults_totals *tot);
void faults_free(struct faults *f);
struct bpf_object *faults_object(struct faults *f);

#endif
