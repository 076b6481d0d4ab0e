// SPDX-License-Identifier: MIT
/*
 * schedtrace: what the scheduler did to one command and its descendants.
 *
 * Measures, per thread of the traced set (bpf/traced.bpf.h): voluntary and
 * involuntary context switches counted exactly as the kernel counts nvcsw /
 * nivcsw (voluntary = !preempt && prev_state != 0), run-queue latency (from
 * wake-up, or from being switched out while still runnable, to the next
 * switch-in), on-CPU time, migrations, and at exit the kernel's own
 * sched_info.run_delay and nvcsw/nivcsw so user space can reconcile.  Globally:
 * a log2 µs histogram of run-queue latency, threads and processes created.
 * With targ_timeline, every switch-in/out of a traced thread also goes to a
 * ring buffer; a full buffer is counted (timeline_dropped), never silent.
 *
 * Hooks: sched_switch, sched_wakeup, sched_wakeup_new, sched_process_fork,
 * sched_process_exit, sched_migrate_task.  Each exists twice: tp_btf (direct
 * BTF-typed arguments, cheapest) and a raw_tp twin; the loader probes the
 * kernel and autoloads one of the two (bcc libbpf-tools' pattern).  Handlers
 * read task fields with BPF_CORE_READ so one body serves both.
 *
 * Overhead: every sched_switch on the machine costs two hash lookups in
 * traced_tgids (prev and next); a traced switch adds one or two lookups in
 * `threads` and a few stores.  That is the worst case the lab measures (the
 * threads-mode switch workload, two events per ~1.8 µs switch).
 *
 * Blind spots: switches before the tracer attached (the command blocks on a
 * barrier once: rusage has that one, we do not); the final switch of a dying
 * task is left out, as rusage leaves it out; a task whose sleep was aborted by
 * a pending signal reaches the tracepoint with prev_state == 0 and is counted
 * involuntary while the kernel counts it voluntary (rare); a recycled tid
 * merges into the earlier thread's record; processes that existed before
 * `-p PID` attached are not followed; the max fields are updated without
 * atomics (a concurrent larger value can be lost).
 *
 * Two clocks for one wait.  runq_sum_ns uses bpf_ktime_get_ns: the latency a
 * thread really saw, as runqlat reports it.  The kernel's run_delay uses
 * rq->clock, which the scheduler deliberately does not advance between a
 * wake-up that preempts the current task (or idle) and the __schedule() it
 * triggers (rq_clock_skip_update): on an idle machine most of a wake-up's
 * cost (IPI, idle exit) is invisible to run_delay.  So each wait is also
 * timed with the rq->clock of the run queue involved (runq_rqclock_ns); that
 * sum is what reconciles with run_delay, and the gap between the two sums is
 * the wake-up cost the kernel's own accounting leaves out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "traced.bpf.h"
#include "schedtrace.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile bool targ_timeline = false;
	/* emit switch events to `timeline` */

struct schedtrace_totals totals = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHEDTRACE_MAX_THREADS);
	__type(key, u32);
	__type(value, struct schedtrace_thread);
} threads SEC(".maps");

/* Sized by the loader: one page when --timeline is off. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} timeline SEC(".maps");

static __always_inline struct schedtrace_thread *thread_get(struct task_struct *task, u32 tid, u32 tgid)
{
	struct schedtrace_thread *t, zero = {};
	long err;

	t = bpf_map_lookup_elem(&threads, &tid);
	if (t)
		return t;
	zero.tid = tid;
	zero.tgid = tgid;
	BPF_CORE_READ_STR_INTO(&zero.comm, task, comm);
	err = bpf_map_update_elem(&threads, &tid, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		__sync_fetch_and_add(&totals.records_lost, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

/* rq->clock of the run queue p is on: the clock run_delay is kept in.  Via
 * p->se.cfs_rq->rq because the per-CPU `runqueues` symbol is not in kallsyms
 * here (no CONFIG_KALLSYMS_ALL).  For a non-CFS task the pointer may name its
 * last CFS run queue: a blind spot for RT threads. */
static __always_inline u64 task_rq_clock(struct task_struct *p)
{
	return BPF_CORE_READ(p, se.cfs_rq, rq, clock);
}

static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0;

	/* Bounded loop: the verifier accepts it, no unrolling needed. */
	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		r++;
	}
	return r;
}

static __always_inline void runq_record(struct schedtrace_thread *t, u64 delta, u64 clk_delta)
{
	u32 slot = log2_u64(delta / 1000);

	if (slot >= SCHEDTRACE_HIST_SLOTS)
		slot = SCHEDTRACE_HIST_SLOTS - 1;
	__sync_fetch_and_add(&totals.hist_us[slot], 1);
	__sync_fetch_and_add(&totals.runq_count, 1);
	__sync_fetch_and_add(&totals.runq_sum_ns, delta);
	if (delta > totals.runq_max_ns)
		totals.runq_max_ns = delta;	/* racy by design, see the header */
	__sync_fetch_and_add(&totals.runq_rqclock_ns, clk_delta);
	__sync_fetch_and_add(&t->runq_rqclock_ns, clk_delta);
	__sync_fetch_and_add(&t->runq_count, 1);
	__sync_fetch_and_add(&t->runq_sum_ns, delta);
	if (delta > t->runq_max_ns)
		t->runq_max_ns = delta;
}

static __always_inline void timeline_emit(u64 now, u32 tid, u32 tgid, u32 kind)
{
	struct schedtrace_event *e;

	if (!targ_timeline)
		return;
	e = bpf_ringbuf_reserve(&timeline, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&totals.timeline_dropped, 1);
		return;
	}
	e->ts_ns = now;
	e->tid = tid;
	e->tgid = tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->kind = kind;
	bpf_ringbuf_submit(e, 0);
	__sync_fetch_and_add(&totals.timeline_events, 1);
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev,
				     struct task_struct *next, unsigned int prev_state)
{
	u32 prev_tid = BPF_CORE_READ(prev, pid), prev_tgid = BPF_CORE_READ(prev, tgid);
	u32 next_tid = BPF_CORE_READ(next, pid), next_tgid = BPF_CORE_READ(next, tgid);
	struct schedtrace_thread *t;
	u64 now = bpf_ktime_get_ns(), clk;

	/* pid 0 is the idle task of every CPU: never part of a traced set. */
	if (prev_tid && tgid_traced(prev_tgid)) {
		t = thread_get(prev, prev_tid, prev_tgid);
		if (t) {
			u32 kind;

			if (t->oncpu_since_ns) {
				t->oncpu_ns += now - t->oncpu_since_ns;
				t->oncpu_since_ns = 0;
			}
			/* Runnable at switch-out = still on the run queue, the
			 * same rule as the kernel's sched_info_depart().  Always
			 * overwrite so a stale wake-up stamp cannot leak. */
			t->enqueued_ns = 0;
			t->enqueued_clk = 0;
			if (prev_state == 0) {
				clk = task_rq_clock(prev);
				t->enqueued_ns = now;
				t->enqueued_clk = clk;
			}
			if (prev_state & SCHEDTRACE_TASK_DEAD) {
				/* The final switch.  A thread is reaped in
				 * exit_notify(), before it: rusage never sees
				 * it.  A process (group leader) is reaped by
				 * wait4() after it: rusage counts it, as
				 * voluntary (!preempt, prev_state != 0). */
				if (prev_tid == prev_tgid && !preempt)
					t->voluntary++;
				kind = SCHEDTRACE_EV_OUT_DEAD;
			} else if (!preempt && prev_state) {
				t->voluntary++;
				kind = SCHEDTRACE_EV_OUT_VOLUNTARY;
			} else {
				t->involuntary++;
				kind = SCHEDTRACE_EV_OUT_PREEMPTED;
			}
			timeline_emit(now, prev_tid, prev_tgid, kind);
		}
	}
	if (next_tid && tgid_traced(next_tgid)) {
		t = thread_get(next, next_tid, next_tgid);
		if (t) {
			t->oncpu_since_ns = now;
			clk = task_rq_clock(next);	/* same rq, same __schedule() */
			if (!t->enqueued_ns) {
				/* sched_info_arrive() runs after this hook: a
				 * wait the kernel is timing that we never saw
				 * begin is a pairing gap worth reporting. */
				u64 q = BPF_CORE_READ(next, sched_info.last_queued);

				if (q && clk > q) {
					__sync_fetch_and_add(&totals.runq_unpaired, 1);
					__sync_fetch_and_add(&totals.runq_unpaired_ns, clk - q);
				}
			}
			if (t->enqueued_ns) {
				u64 delta = now - t->enqueued_ns, clk_delta = 0;

				if (t->enqueued_clk && clk > t->enqueued_clk)
					clk_delta = clk - t->enqueued_clk;
				t->enqueued_ns = 0;
				t->enqueued_clk = 0;
				runq_record(t, delta, clk_delta);
			}
			timeline_emit(now, next_tid, next_tgid, SCHEDTRACE_EV_IN);
		}
	}
	return 0;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;

	if (!tgid_traced(tgid))
		return 0;
	/* A wake-up of a task still on its CPU (it had not finished going to
	 * sleep) puts nothing on a run queue: no latency to measure. */
	if (BPF_CORE_READ(p, on_cpu))
		return 0;
	t = thread_get(p, tid, tgid);
	if (!t)
		return 0;
	__sync_fetch_and_add(&totals.wakeups, 1);
	t->enqueued_ns = bpf_ktime_get_ns();
	/* Same lock hold as the enqueue: equals the kernel's last_queued. */
	t->enqueued_clk = task_rq_clock(p);
	return 0;
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	u32 ptgid = BPF_CORE_READ(parent, tgid);
	u32 ctid = BPF_CORE_READ(child, pid), ctgid = BPF_CORE_READ(child, tgid);
	u8 one = 1;

	if (!tgid_traced(ptgid))
		return 0;
	if (ctgid != ptgid) {
		/* A new process: follow it, as perf does for a command. */
		bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY);
		__sync_fetch_and_add(&totals.processes_created, 1);
	} else {
		__sync_fetch_and_add(&totals.threads_created, 1);
	}
	thread_get(child, ctid, ctgid);
	return 0;
}

static __always_inline int on_exit(struct task_struct *p)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;

	if (!tgid_traced(tgid))
		return 0;
	t = thread_get(p, tid, tgid);
	if (!t)
		return 0;
	/* The record stays: user space reads exited threads at the end.  The
	 * kernel's own figures are final now, bar the last switch. */
	t->run_delay_ns = BPF_CORE_READ(p, sched_info.run_delay);
	t->kernel_nvcsw = BPF_CORE_READ(p, nvcsw);
	t->kernel_nivcsw = BPF_CORE_READ(p, nivcsw);
	BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	t->exited = 1;
	return 0;
}

static __always_inline int on_migrate(struct task_struct *p)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;

	if (!tgid_traced(tgid))
		return 0;
	t = thread_get(p, tid, tgid);
	if (t)
		__sync_fetch_and_add(&t->migrations, 1);
	return 0;
}

/* tp_btf programs and their raw_tp twins; the loader autoloads one set. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_process_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_btf, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_process_exit_raw, struct task_struct *p)
{
	return on_exit(p);
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(sched_migrate_task_btf, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p);
}

SEC("raw_tp/sched_migrate_task")
int BPF_PROG(sched_migrate_task_raw, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p);
}
