// SPDX-License-Identifier: MIT
/*
 * faults: page faults, system calls and io_uring traffic per traced thread.
 *
 * Measures: exceptions:page_fault_user and page_fault_kernel (every fault the
 * CPU raised, by the thread that raised it), raw_syscalls:sys_enter (every
 * system call entry) — these three counted per CPU and charged to threads by
 * schedtrace — io_uring:io_uring_submit_req (one per SQE the kernel
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
 * program body can remove), so its body and the fault hooks' are one inlined
 * per-CPU load and an add: the per-CPU counters of traced.bpf.h, which
 * schedtrace's sched_switch charges to the thread that ran on that CPU
 * between its switch-in and switch-out.  Earlier versions looked the thread
 * up on every event: a hash (117 ns per sys_enter, bpf_stats), then per-CPU
 * slots of the last few traced threads (73-76 ns, of which ~50 ns is
 * bpf_stats' own timing).  The io_uring hooks are rare and keep a hash.
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

/* Every fault and system call on the machine lands here: a count on this CPU.
 * schedtrace's sched_switch charges each CPU's counts to the traced thread
 * that ran there in between (cpucounts.h), from the note it makes at the
 * switch-in.  That note is checked here, because a switch-in can go unseen:
 * on this kernel the sched_switch tracepoint itself now and then reports a
 * thread leaving a CPU twice with no switch-in between (about once in
 * 100,000 switch-ins of a sleep loop; ftrace's own record of the event shows
 * the same gaps, notes/tracer.md), and charging that stint from the last
 * switch we saw would charge whatever untraced task ran before it (seen:
 * +55 syscalls on a 563-syscall child).
 *
 * The check must not cost a helper call in the common case: on this machine
 * any call costs ~17 ns (bpf_stats; return thunks), and a
 * bpf_get_current_task() per event made the switch workload 2% slower.  So
 * the owner of the stint is known by the address of its user-mode pt_regs:
 * sys_enter's and a user fault's `regs` are task_pt_regs(current), a fixed
 * offset above its task->stack, learned once per CPU from an event whose
 * task is known (the slow path).  An event with other regs (a kernel-mode
 * fault, another task, an offset not learned yet) asks who is current:
 * the stint's owner (learn the offset), an untraced task (becomes the
 * owner, so its next events are fast too), or a traced thread whose
 * switch-in we missed: open its stint here, from this event on.  Plain
 * adds: preemption is off in a tracepoint, and these bodies cannot fault,
 * so they do not nest on a CPU. */
static __always_inline int count_on_cpu(int what, u64 regs)
{
	struct cpu_counts *c;
	u64 cur, id;

	if (targ_hooks_only)
		return 0;
	c = cpu_counts_get();
	if (!c)
		return 0;
	c->n[what]++;
	if (regs && regs == c->in_regs)
		return 0;
	cur = bpf_get_current_task();
	/* regs as a number (a tp_btf argument is a typed pointer, on which the
	 * verifier allows no arithmetic): one more call, off the fast path. */
	if (regs && bpf_probe_read_kernel(&regs, sizeof(regs), &regs))
		regs = 0;
	if (cur == c->in_task) {
		if (regs && what != CPU_FAULTS_KERNEL && c->in_stack && regs > c->in_stack &&
		    regs - c->in_stack < (1 << 20)) {
			c->regs_off = regs - c->in_stack;
			c->in_regs = regs;
		}
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	c->in_task = cur;
	c->in_stack = 0;
	c->in_regs = what != CPU_FAULTS_KERNEL ? regs : 0;
	if (!(u32)id || !tgid_traced(id >> 32)) {
		c->in_tid = 0;		/* untraced: its next events take the fast path */
		return 0;
	}
	c->in_tid = (u32)id;
	stint_rebase(c);
	c->base[what]--;		/* this event is the stint's first */
	c->in_queued = STINT_REPAIRED;
	c->in_wait = 0;
	c->repaired++;
	return 0;
}

static __always_inline int on_submit(struct io_kiocb *req)
{
	struct ring_owner owner;
	struct faults_thread *t;
	u64 ctx;

	if (targ_hooks_only || !current_traced(&owner.tid, &owner.tgid))
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

	if (targ_hooks_only)
		return 0;
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
	return count_on_cpu(CPU_FAULTS_USER, (u64)regs);
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault_user_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_on_cpu(CPU_FAULTS_USER, (u64)regs);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_on_cpu(CPU_FAULTS_KERNEL, (u64)regs);
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(page_fault_kernel_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return count_on_cpu(CPU_FAULTS_KERNEL, (u64)regs);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return count_on_cpu(CPU_SYSCALLS, (u64)regs);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return count_on_cpu(CPU_SYSCALLS, (u64)regs);
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
