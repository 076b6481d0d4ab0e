// SPDX-License-Identifier: MIT
/*
 * faults: page faults, system calls and io_uring traffic per traced thread.
 *
 * Measures: exceptions:page_fault_user and page_fault_kernel (every fault the
 * CPU raised, by the thread that raised it), raw_syscalls:sys_enter (every
 * system call entry), io_uring:io_uring_submit_req (one per SQE the kernel
 * takes) and io_uring:io_uring_complete (one per CQE posted).  Completions
 * often run in interrupt or worker context, so they are charged to the
 * thread that last submitted on that ring (ring -> submitter map), not to
 * whatever task happened to be current.
 *
 * Hooks: tp_btf with raw_tp twins chosen by the loader, as in schedtrace.
 * The traced set is schedtrace's traced_tgids map, shared by fd.
 *
 * Overhead: sys_enter fires for every system call on the machine (and
 * enabling it puts every task on the slow syscall-entry path, a cost no
 * program body can remove).  The body is kept to one helper call
 * (bpf_get_current_pid_tgid) and inlined per-CPU array loads: each CPU
 * keeps FAULTS_SLOTS slots with the counts of the last traced threads that
 * counted there (`fslot`); a thread that has a slot pays a few compares and
 * a plain add.  One slot was not enough: the switch workload's two threads
 * hand off on one CPU, and evicting on every switch cost as much as the hash.
 * An evicted slot is flushed into `fthreads` (a hash lookup, atomic adds: the
 * same tid can be flushed from two CPUs at once after a migration).  A thread
 * that is not traced costs the compares plus the inlined bitmap lookup, and
 * never takes a slot.  Whatever is still in the slots at the end is
 * added by user space (faults_read) after detach, so nothing is lost.  The
 * hash-per-event version cost 117 ns per sys_enter (bpf_stats).
 *
 * Blind spots: faults taken by get_user_pages() (exec copying argv, pinning
 * for O_DIRECT or registered buffers) count in rusage's min_flt but raise no
 * exception, and a fault retried after dropping mmap_lock raises two
 * exceptions for one rusage count: the two agree to about 1%, not exactly.
 * The page_fault_* tracepoints exist on x86 only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "traced.bpf.h"
#include "faults.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct faults_totals ftotals = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAULTS_MAX_THREADS);
	__type(key, u32);
	__type(value, struct faults_thread);
} fthreads SEC(".maps");

struct ring_owner {
	u32 tid;
	u32 tgid;
};

/* io_ring_ctx address -> last traced submitter. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAULTS_MAX_RINGS);
	__type(key, u64);
	__type(value, struct ring_owner);
} ring_owners SEC(".maps");

static __always_inline struct faults_thread *fthread_get(u32 tid, u32 tgid)
{
	struct faults_thread *t, zero = {};
	long err;

	t = bpf_map_lookup_elem(&fthreads, &tid);
	if (t)
		return t;
	zero.tid = tid;
	zero.tgid = tgid;
	err = bpf_map_update_elem(&fthreads, &tid, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		__sync_fetch_and_add(&ftotals.records_lost, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&fthreads, &tid);
}

/* Per CPU: the counts of the last few traced threads that counted here, not
 * yet in `fthreads` (user space reads the same layout: struct faults_cpu). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct faults_cpu);
} fslot SEC(".maps");

static __always_inline void slot_flush(struct faults_slot *s)
{
	struct faults_thread *t = fthread_get(s->tid, s->tgid);

	/* Atomic: after a migration the thread's old CPU can flush its stale
	 * slot while the new CPU flushes the current one. */
	if (t) {
		if (s->user)
			__sync_fetch_and_add(&t->user, s->user);
		if (s->kernel)
			__sync_fetch_and_add(&t->kernel, s->kernel);
		if (s->syscalls)
			__sync_fetch_and_add(&t->syscalls, s->syscalls);
	}
	s->user = s->kernel = s->syscalls = 0;
}

enum { F_USER, F_KERNEL, F_SYSCALL };

static __always_inline int count_current(int what)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, tgid = id >> 32, zero = 0;
	struct faults_cpu *c = bpf_map_lookup_elem(&fslot, &zero);	/* inlined */
	struct faults_slot *s = NULL;

	/* tid 0 (the idle tasks) is never traced; an empty slot has tid 0. */
	if (!c || !tid)
		return 0;
#pragma unroll
	for (int i = 0; i < FAULTS_SLOTS; i++) {
		if (c->slot[i].tid == tid) {
			s = &c->slot[i];
			break;
		}
	}
	if (!s) {
		if (!tgid_traced(tgid))
			return 0;
		s = &c->slot[c->victim++ % FAULTS_SLOTS];
		if (s->tid)
			slot_flush(s);
		s->tid = tid;
		s->tgid = tgid;
	}
	/* Preemption is off in a tracepoint and these programs do not nest
	 * on one CPU (their bodies cannot fault): plain adds suffice. */
	if (what == F_USER)
		s->user++;
	else if (what == F_KERNEL)
		s->kernel++;
	else
		s->syscalls++;
	return 0;
}

static __always_inline int on_submit(struct io_kiocb *req)
{
	struct ring_owner owner;
	struct faults_thread *t;
	u64 ctx;

	if (!current_traced(&owner.tid, &owner.tgid))
		return 0;
	ctx = (u64)BPF_CORE_READ(req, ctx);
	bpf_map_update_elem(&ring_owners, &ctx, &owner, BPF_ANY);
	t = fthread_get(owner.tid, owner.tgid);
	if (t)
		__sync_fetch_and_add(&t->io_submitted, 1);
	return 0;
}

static __always_inline int on_complete(void *ring)
{
	u64 key = (u64)ring;
	struct ring_owner *owner;
	struct faults_thread *t;

	owner = bpf_map_lookup_elem(&ring_owners, &key);
	if (!owner) {
		u32 tid, tgid;

		/* Not one of ours, or a ring that completes before any traced
		 * submit (e.g. set up before -p attached). */
		if (current_traced(&tid, &tgid))
			__sync_fetch_and_add(&ftotals.io_unowned, 1);
		return 0;
	}
	t = fthread_get(owner->tid, owner->tgid);
	if (t)
		__sync_fetch_and_add(&t->io_completed, 1);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_current(F_USER);
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault_user_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_current(F_USER);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_current(F_KERNEL);
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(page_fault_kernel_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_current(F_KERNEL);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return count_current(F_SYSCALL);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return count_current(F_SYSCALL);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(io_uring_submit_req_btf, struct io_kiocb *req)
{
	return on_submit(req);
}

SEC("raw_tp/io_uring_submit_req")
int BPF_PROG(io_uring_submit_req_raw, struct io_kiocb *req)
{
	return on_submit(req);
}

/* Only the first argument (the ring) is used: its position is stable
 * across the kernels whose later arguments changed. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(io_uring_complete_btf, void *ring)
{
	return on_complete(ring);
}

SEC("raw_tp/io_uring_complete")
int BPF_PROG(io_uring_complete_raw, void *ring)
{
	return on_complete(ring);
}
