// SPDX-License-Identifier: MIT
/*
 * schedtrace: what the scheduler did to one command and its descendants.
 *
 * Measures, per thread of the traced set (bpf/traced.bpf.h): voluntary and
 * involuntary context switches counted exactly as the kernel counts nvcsw /
 * nivcsw (voluntary = !preempt && prev_state != 0), run-queue latency as the
 * kernel defines it (enqueue -> on CPU, in rq->clock; see "One clock" below),
 * on-CPU time, migrations, and at exit the kernel's own sched_info.run_delay
 * and nvcsw/nivcsw so user space can reconcile.  Globally: a log2 µs
 * histogram of run-queue latency, threads and processes created.  At each
 * involuntary switch-out, who ran next: a thread of the same process, of
 * another traced process, or (named in `preemptors`) an untraced task.
 * With targ_timeline, every switch-in/out of a traced thread also goes to a
 * ring buffer; a full buffer is counted (timeline_dropped), never silent.
 *
 * Hooks: sched_switch, sched_wakeup_new, sched_process_fork, sched_process_exec,
 * task_rename (acts only with --exclude-comm), sched_process_exit, sched_migrate_task.  Not sched_wakeup: it fired ~1.2
 * times per switch on the switch workload and cost ~135 ns a run, and the
 * wait it started is already stamped by the kernel (sched_info.last_queued).  Each exists twice: tp_btf (direct
 * BTF-typed arguments, cheapest) and a raw_tp twin; the loader probes the
 * kernel and autoloads one of the two (bcc libbpf-tools' pattern).  Handlers
 * read task fields with BPF_CORE_READ so one body serves both.
 *
 * Overhead: every sched_switch on the machine costs two inlined array
 * lookups in the traced_tgids bitmap (prev and next) and, when either side is
 * traced, one inlined per-CPU load (cpu_counts, bpf/traced.bpf.h).  A traced
 * prev adds one task-storage lookup (tp_btf; the raw_tp twins use the
 * `threads` hash) and three dependent loads for rq->clock (this CPU's run
 * queue, whose lock we hold: cache-hot); a traced next only writes its
 * switch-in note into the per-CPU slot (no lookup of its record: its wait is
 * recorded when it leaves the CPU).  No clock helper unless --timeline.  That
 * is the worst case the lab measures (the threads-mode switch workload, two
 * events per ~2 µs switch; scripts/bench-trace.sh).  What made it cheap
 * (measured with kernel.bpf_stats_enabled, notes/tracer.md): in the tp_btf
 * programs task fields are read by direct BTF loads, not
 * bpf_probe_read_kernel calls (BPF_CORE_READ: ~11 helper calls per switch);
 * global figures live in a per-CPU map, so no locked instruction bounces a
 * cache line between CPUs; per-thread figures are plain adds, since a task is
 * switched in and out under its run queue's lock, on one CPU at a time;
 * system calls and faults are counted per CPU and charged here (cpu_counts).
 *
 * Exclusions (--exclude-pid, --exclude-comm): a process whose pid is listed
 * is never added at fork; a traced process that execs into a listed comm,
 * or renames its main thread to one (prctl, as a forked server does),
 * leaves the set.  All are put in `excluded` so user space drops their
 * records.  The check costs nothing on the switch path: it runs at fork,
 * exec and rename only.
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
 * One clock: the kernel's.  A wait is enqueue -> switch-in, timed exactly as
 * sched_info times run_delay: the enqueue stamps p->sched_info.last_queued
 * with rq->clock (sched_info_enqueue; also when a still-runnable prev is
 * switched out, via sched_info_depart), and at switch-in sched_info_arrive
 * adds rq_clock(rq) - last_queued to run_delay and clears last_queued.  The
 * sched_switch tracepoint fires in __schedule() before context_switch() ->
 * prepare_task_switch() -> sched_info_switch() -> sched_info_arrive(), under
 * the same rq lock and with no clock update in between, so at the hook
 * `next`'s last_queued is still set and rq->clock is the value arrive will
 * use: our delta is the kernel's delta, wait for wait.  On-CPU time is
 * rq->clock at switch-out minus prev's sched_info.last_arrival (stamped by
 * the same arrive), so it needs no state of ours either.
 *
 * What this clock is not: wall-clock latency.  rq->clock is not advanced
 * between a wake-up that preempts the current task (or idle) and the
 * __schedule() it triggers (rq_clock_skip_update), so the IPI / idle-exit
 * part of a wake-up is invisible here, as it is to run_delay; on an idle
 * machine a ktime (runqlat-style) measure was 2.5-10x larger.  That figure
 * needed the sched_wakeup hook and was dropped with it (notes/tracer.md).
 *
 * A *queued* task moved to another CPU (load balancing, affinity change) has
 * its wait so far added to run_delay at the move (sched_info_dequeue) and
 * restamped on the new run queue, so last_queued alone shows only the part
 * after the move.  The record keeps run_delay as of our last look
 * (rd_seen, at switch-out); whatever run_delay gained before the next
 * switch-in is the part before the move(s), added to the wait that ends at
 * that switch-in: one wait in the histogram, the same total as the kernel's.
 * (A 4-thread GIL run on 2 CPUs missed 17% of its run-queue time without
 * this.)  sched_migrate_task still counts the splits (runq_split).  Note what
 * this means for the reconciliation: a thread's summed waits cannot drift
 * from its run_delay, since anything not seen at one switch-in is made up at
 * the next; the sum check tests that threads were seen at all, and the
 * per-wait figures are the kernel's own arithmetic, not an independent
 * clock (notes/tracer.md).  A wait
 * stamped before attach and ended after it is counted whole (the kernel's
 * run_delay has it too; user space subtracts the pre-attach run_delay).
 * Without CONFIG_SCHED_INFO (sched_info_on() false) last_queued is never
 * set: no waits are measured at all (`corolab doctor` checks for it).
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
const volatile unsigned long long targ_timeline_wake = 0;
	/* wake the reader only once this many bytes wait in `timeline`; below
	 * that it drains on its own clock (0: libbpf's default, adaptive) */
const volatile bool targ_sightings = false;
	/* note the kernel's nvcsw/nivcsw at counted switch-outs: only -p
	 * reconciles with them (a command has wait4's rusage) */
const volatile unsigned int targ_page_shift = 12;
	/* log2 of the page size (user space sets it) */
const volatile unsigned int targ_exclude_pids[SCHEDTRACE_MAX_EXCLUDE] = {};
	/* processes never to trace (0 = unused slot) */
const volatile char targ_exclude_comms[SCHEDTRACE_MAX_EXCLUDE][SCHEDTRACE_COMM_LEN] = {};
	/* comms never to trace ("" = unused slot) */

/* Global figures, one copy per CPU: user space sums them (max for the max). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct schedtrace_totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHEDTRACE_MAX_THREADS);
	__type(key, u32);
	__type(value, struct schedtrace_thread);
} threads SEC(".maps");

/* The live threads' records, tp_btf programs only (the raw_tp twins have no
 * BTF task pointer to key it with and use `threads` directly).  A task
 * storage lookup is a helper call that reads a per-task cache slot; the hash
 * lookup it replaces hashed the tid with jhash and walked a bucket, after
 * zeroing a 144-byte template on the stack on every event.  A record moves
 * to `threads` at sched_process_exit (thread_retire); the records of threads
 * still alive at collection are copied by the `iter_live_btf` task iterator,
 * which user space runs after detach. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct schedtrace_thread);
} tstore SEC(".maps");

/* tgid -> 1: processes left out by an exclusion (user space drops their
 * records, and says the kernel's own counters still include them). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHEDTRACE_MAX_EXCLUDED);
	__type(key, u32);
	__type(value, u8);
} excluded SEC(".maps");

/* Involuntary switch-outs of traced threads in favour of untraced tasks,
 * by (thread, process that ran next).  Touched only on that path: the
 * worst case the lab measures (threads of one process preempting each
 * other) stays on the record's inv_own counter. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHEDTRACE_MAX_PREEMPTORS);
	__type(key, struct schedtrace_preemptor_key);
	__type(value, struct schedtrace_preemptor);
} preemptors SEC(".maps");

/* Sized by the loader: one page when --timeline is off. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} timeline SEC(".maps");

/* One body serves the tp_btf and raw_tp twins; `btf` is a constant after
 * inlining, so each program keeps one branch.  tp_btf arguments are typed
 * kernel pointers the verifier lets us load from directly (a plain load with
 * a fault fixup); raw_tp ones need bpf_probe_read_kernel, a helper call each. */
#define RD(btf, p, ...) ((btf) ? (p)->__VA_ARGS__ : BPF_CORE_READ(p, __VA_ARGS__))

static __always_inline struct schedtrace_totals *totals_get(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&totals, &zero);	/* inlined for per-CPU arrays */
}

static __always_inline void totals_add_lost(void)
{
	struct schedtrace_totals *g = totals_get();

	if (g)
		g->records_lost++;
}

static __always_inline struct schedtrace_thread *hash_get(struct task_struct *task, u32 tid, u32 tgid)
{
	struct schedtrace_thread *t, zero = {};
	long err;

	t = bpf_map_lookup_elem(&threads, &tid);
	if (t)
		return t;
	zero.tid = tid;
	zero.tgid = tgid;
	zero.rd_seen = BPF_CORE_READ(task, sched_info.run_delay);
	BPF_CORE_READ_STR_INTO(&zero.comm, task, comm);
	err = bpf_map_update_elem(&threads, &tid, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		totals_add_lost();
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The record of one traced thread.  tp_btf: task storage until the thread
 * has exited (t->exited), the hash after (thread_retire moved it there);
 * raw_tp: always the hash. */
static __always_inline struct schedtrace_thread *thread_get(struct task_struct *task, u32 tid, u32 tgid,
							     const bool btf)
{
	struct schedtrace_thread *t;

	if (!btf)
		return hash_get(task, tid, tgid);
	t = bpf_task_storage_get(&tstore, task, NULL, 0);
	if (t)
		return t->exited ? hash_get(task, tid, tgid) : t;
	/* First event of this thread: a zeroed record. */
	t = bpf_task_storage_get(&tstore, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		totals_add_lost();
		return NULL;
	}
	t->tid = tid;
	t->tgid = tgid;
	t->rd_seen = task->sched_info.run_delay;
	bpf_probe_read_kernel_str(&t->comm, sizeof(t->comm), &task->comm);
	return t;
}

/* Copy a task-storage record into `threads`.  If the tid is already there
 * (a recycled tid), merge: the documented blind spot, as with the hash. */
static __always_inline void thread_publish(struct schedtrace_thread *t)
{
	struct schedtrace_thread *h;
	u32 tid = t->tid;
	long err;

	err = bpf_map_update_elem(&threads, &tid, t, BPF_NOEXIST);
	if (!err)
		return;
	h = err == -EEXIST ? bpf_map_lookup_elem(&threads, &tid) : NULL;
	if (!h) {
		totals_add_lost();
		return;
	}
	__sync_fetch_and_add(&h->voluntary, t->voluntary);
	__sync_fetch_and_add(&h->involuntary, t->involuntary);
	__sync_fetch_and_add(&h->runq_count, t->runq_count);
	__sync_fetch_and_add(&h->runq_sum_ns, t->runq_sum_ns);
	__sync_fetch_and_add(&h->oncpu_ns, t->oncpu_ns);
	__sync_fetch_and_add(&h->migrations, t->migrations);
	__sync_fetch_and_add(&h->syscalls, t->syscalls);
	__sync_fetch_and_add(&h->faults_user, t->faults_user);
	__sync_fetch_and_add(&h->faults_kernel, t->faults_kernel);
	__sync_fetch_and_add(&h->faults_exec_args, t->faults_exec_args);
	__sync_fetch_and_add(&h->inv_own, t->inv_own);
	__sync_fetch_and_add(&h->inv_traced, t->inv_traced);
	if (t->runq_max_ns > h->runq_max_ns)
		h->runq_max_ns = t->runq_max_ns;
	/* Two threads' sightings in one record compare nothing: mark it
	 * (their run_delay bases neither). */
	if (t->sighted || t->based)
		h->sighted = 2;
	if (t->exited) {
		h->parent_tgid = t->parent_tgid;
		h->run_delay_prev += h->run_delay_ns + t->run_delay_prev;
		h->run_delay_ns = t->run_delay_ns;
		h->kernel_nvcsw = t->kernel_nvcsw;
		h->kernel_nivcsw = t->kernel_nivcsw;
		h->exited = 1;
		__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
	}
}

/* rq->clock of the run queue p is on: the clock run_delay is kept in.  Via
 * p->se.cfs_rq->rq because the per-CPU `runqueues` symbol is not in kallsyms
 * here (no CONFIG_KALLSYMS_ALL).  se.cfs_rq is set by set_task_rq() on every
 * CPU change whatever the task's class, so for prev or next inside
 * sched_switch it names this CPU's run queue (needs CONFIG_FAIR_GROUP_SCHED,
 * which the CO-RE relocation checks at load). */
static __always_inline u64 task_rq_clock(struct task_struct *p, const bool btf)
{
	/* Not RD(): BPF_CORE_READ takes a pointer chain as separate fields. */
	return btf ? p->se.cfs_rq->rq->clock : BPF_CORE_READ(p, se.cfs_rq, rq, clock);
}

/* Branch-free floor(log2(v)), bcc libbpf-tools' bits.bpf.h. */
static __always_inline u64 log2_u32(u32 v)
{
	u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u64 log2_u64(u64 v)
{
	u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* Only ever called for `next` inside its own switch-in, under its run
 * queue's lock: the per-thread fields need no atomics. */
static __always_inline void runq_record(struct schedtrace_totals *g, struct schedtrace_thread *t,
					u64 delta)
{
	u64 slot = log2_u64(delta / 1000);

	if (slot >= SCHEDTRACE_HIST_SLOTS)
		slot = SCHEDTRACE_HIST_SLOTS - 1;
	if (g) {
		g->hist_us[slot]++;
		g->runq_count++;
		g->runq_sum_ns += delta;
		if (delta > g->runq_max_ns)
			g->runq_max_ns = delta;
	}
	t->runq_count++;
	t->runq_sum_ns += delta;
	if (delta > t->runq_max_ns)
		t->runq_max_ns = delta;
}

/* Is the stint open on CPU slot c the one of task (tid)?  By tid first (the
 * hot path), else by the task's address: a thread other than the leader
 * that execs takes the leader's pid in de_thread(), in the middle of its
 * stint, and may sleep or exit before anything else sees it (its stint's
 * syscalls and faults were lost: 61 of a multithreaded program's 203). */
static __always_inline bool stint_owned(const struct cpu_counts *c, u32 tid, const struct task_struct *task)
{
	return c->in_tid == tid || (c->in_tid && c->in_task == (u64)task);
}

/* Thread t leaves this CPU (or exits on it), run_delay now rd: close the
 * stint that its switch-in opened here (stint_owned), or that its
 * first fault or syscall opened when the switch-in went unseen (faults.bpf.c).
 * The CPU's event counts since then are its own (cpucounts.h), and the
 * run-queue wait that ended at that switch-in is recorded now, when t's
 * record is at hand anyway: one task-storage lookup per switch instead of
 * two.  The wait is the rq-clock delta read at the switch-in (in_wait), which
 * the kernel added to run_delay right after our hook, plus whatever
 * run_delay gained before that switch-in since our last look (rd_seen): the
 * part of the wait before a queued move to another CPU (the dequeue adds it
 * and clears last_queued).  For a stint opened by an event, the wait is all
 * run_delay gained since rd_seen. */
static __always_inline void stint_close(struct schedtrace_thread *t, struct cpu_counts *c, u64 rd)
{
	t->syscalls += c->n[CPU_SYSCALLS] - c->base[CPU_SYSCALLS];
	t->faults_user += c->n[CPU_FAULTS_USER] - c->base[CPU_FAULTS_USER];
	t->faults_kernel += c->n[CPU_FAULTS_KERNEL] - c->base[CPU_FAULTS_KERNEL];
	/* run_delay just before the wait that ended at the switch-in */
	u64 before = rd > c->in_wait ? rd - c->in_wait : 0;

	if (targ_sightings && !t->based) {
		/* -p: where this thread's sum starts (what the lines below
		 * record from here on is run_delay minus this).  A command's
		 * threads are all seen from run_delay 0 or from the barrier,
		 * which user space reads itself; the verifier drops this there. */
		t->based = 1;
		if (c->in_queued == STINT_WAITED)
			t->rd_base = before < t->rd_seen ? before : t->rd_seen;
		else if (c->in_queued == STINT_REPAIRED)
			t->rd_base = rd > t->rd_seen ? t->rd_seen : rd;
		else
			t->rd_base = rd;
	}
	if (c->in_queued == STINT_WAITED) {
		u64 split = before > t->rd_seen ? before - t->rd_seen : 0;

		runq_record(totals_get(), t, split + c->in_wait);
	} else if (c->in_queued == STINT_REPAIRED && rd > t->rd_seen) {
		runq_record(totals_get(), t, rd - t->rd_seen);
	}
	t->rd_seen = rd;
	stint_forget(c);
}

/* A switch-out of prev that we counted: note the kernel's own counts (see
 * k_first_nvcsw in schedtrace.h).  Two loads of fields __schedule just
 * wrote, two stores into the record we hold. */
static __always_inline void kernel_sighting(struct schedtrace_thread *t, struct task_struct *prev,
					    const bool btf)
{
	if (!targ_sightings)
		return;	/* the verifier drops the rest: a command pays nothing */
	t->k_last_nvcsw = RD(btf, prev, nvcsw);
	t->k_last_nivcsw = RD(btf, prev, nivcsw);
	if (!t->sighted) {
		t->sighted = 1;
		t->k_first_nvcsw = t->k_last_nvcsw;
		t->k_first_nivcsw = t->k_last_nivcsw;
		t->first_voluntary = t->voluntary;
		t->first_involuntary = t->involuntary;
	}
}

/* prev (traced, tid) was switched out runnable and next, outside the
 * traced set, ran instead: count it against next's process.  Rare in a
 * traced run except under outside load, so a hash update is fine. */
static __always_inline void preemptor_note(u32 tid, struct task_struct *next, u32 next_tgid)
{
	struct schedtrace_preemptor_key k = { .tid = tid, .tgid = next_tgid };
	struct schedtrace_preemptor *v, nv = { .count = 1 };
	long err;

	v = bpf_map_lookup_elem(&preemptors, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		return;
	}
	BPF_CORE_READ_STR_INTO(&nv.comm, next, comm);
	err = bpf_map_update_elem(&preemptors, &k, &nv, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(&preemptors, &k);
		if (v)
			__sync_fetch_and_add(&v->count, 1);
	} else if (err) {
		struct schedtrace_totals *g = totals_get();

		if (g)
			g->preemptors_lost++;
	}
}

static __always_inline void timeline_emit(u64 now, u32 tid, u32 tgid, u32 kind)
{
	struct schedtrace_totals *g = totals_get();
	struct schedtrace_event *e;

	if (!g)
		return;
	e = bpf_ringbuf_reserve(&timeline, sizeof(*e), 0);
	if (!e) {
		g->timeline_dropped++;
		return;
	}
	e->ts_ns = now;
	e->tid = tid;
	e->tgid = tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->kind = kind;
	/* A wake-up per batch (libbpf's adaptive default) woke the reader
	 * ~30,000 times on 400,000 events of the switch workload, each an
	 * irq_work and a wake-up, often on the traced CPU.  Past the mark the
	 * reader is woken; below it, it drains on its own tick. */
	if (targ_timeline_wake)
		bpf_ringbuf_submit(e, bpf_ringbuf_query(&timeline, BPF_RB_AVAIL_DATA) >= targ_timeline_wake ?
				      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	else
		bpf_ringbuf_submit(e, 0);
	g->timeline_events++;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev,
				     struct task_struct *next, unsigned int prev_state,
				     const bool btf)
{
	u32 prev_tgid, next_tgid;
	struct cpu_counts *c;
	bool prev_in, next_in;
	struct schedtrace_thread *t;
	u32 prev_tid, next_tid;
	u64 clk = 0, now = 0;

	if (targ_hooks_only)
		return 0;
	prev_tgid = RD(btf, prev, tgid);
	next_tgid = RD(btf, next, tgid);
	/* The filter first: on a busy machine most switches are not ours.
	 * pid 0 is the idle task of every CPU: never part of a traced set
	 * (tgid 0's bit is never set). */
	prev_in = tgid_traced(prev_tgid);
	next_in = tgid_traced(next_tgid);
	if (!prev_in && !next_in)
		return 0;
	/* ktime only for the timeline (user space wants CLOCK_MONOTONIC);
	 * the counters all use rq->clock, read with plain loads. */
	if (targ_timeline)
		now = bpf_ktime_get_ns();
	c = cpu_counts_get();
	if (prev_in) {
		prev_tid = RD(btf, prev, pid);
		t = thread_get(prev, prev_tid, prev_tgid, btf);
		if (t) {
			/* last_arrival: rq->clock at prev's switch-in, set by
			 * sched_info_arrive.  Before attach for the first
			 * stint of a -p target (its on-CPU time then starts
			 * before we did: a blind spot). */
			u64 arrived = RD(btf, prev, sched_info.last_arrival);
			u32 kind;

			clk = task_rq_clock(prev, btf);
			if (arrived && clk > arrived)
				t->oncpu_ns += clk - arrived;
			if (c && stint_owned(c, prev_tid, prev)) {
				stint_close(t, c, RD(btf, prev, sched_info.run_delay));
			} else if (!t->exited) {
				/* No stint open: a switch-in unseen and no
				 * event since (nothing to charge), or tracing
				 * began mid-stint (-p).  After sched_process_exit
				 * closed the last stint, the final switch has
				 * none either: not counted. */
				struct schedtrace_totals *g = totals_get();

				if (g && c && c->in_tid)
					g->stints_crossed++;
				else if (g)
					g->stints_unseen++;
			}
			if (prev_state & SCHEDTRACE_TASK_DEAD) {
				/* The final switch.  A thread is reaped in
				 * exit_notify(), before it: rusage never sees
				 * it.  A process (group leader) is reaped by
				 * wait4() after it: rusage counts it, as
				 * voluntary (!preempt, prev_state != 0) —
				 * unless the parent's wait4 on the other CPU
				 * won the race and reaped it first (exit_state
				 * is EXIT_DEAD then): its counts are folded. */
				if (prev_tid == prev_tgid && !preempt &&
				    !(RD(btf, prev, exit_state) & SCHEDTRACE_EXIT_DEAD)) {
					t->voluntary++;
					kernel_sighting(t, prev, btf);
				}
				/* run_delay is final now: a preemption
				 * between sched_process_exit (where it was
				 * first read) and here added a wait to both
				 * our sum and the kernel's.  A leader's final
				 * switch after user space collected is not
				 * seen: the exit-time pair stands. */
				t->run_delay_ns = RD(btf, prev, sched_info.run_delay);
				kind = SCHEDTRACE_EV_OUT_DEAD;
			} else if (RD(btf, prev, exit_state) & SCHEDTRACE_EXIT_DEAD) {
				/* An exiting thread already released (autoreaped
				 * in exit_notify): __exit_signal() has folded its
				 * counts into the process's, so a switch now (a
				 * preemption late in do_exit) reaches no rusage.
				 * CPython's pool threads hit this at shutdown. */
				kind = !preempt && prev_state ? SCHEDTRACE_EV_OUT_VOLUNTARY :
								SCHEDTRACE_EV_OUT_PREEMPTED;
			} else if (!preempt && prev_state) {
				t->voluntary++;
				kernel_sighting(t, prev, btf);
				kind = SCHEDTRACE_EV_OUT_VOLUNTARY;
			} else {
				t->involuntary++;
				kernel_sighting(t, prev, btf);
				if (next_tgid == prev_tgid)
					t->inv_own++;
				else if (next_in)
					t->inv_traced++;
				else
					preemptor_note(prev_tid, next, next_tgid);
				kind = SCHEDTRACE_EV_OUT_PREEMPTED;
			}
			if (targ_timeline)
				timeline_emit(now, prev_tid, prev_tgid, kind);
		}
	}
	if (c)
		stint_forget(c);	/* prev's stint is over, whoever prev was */
	if (next_in) {
		/* Open next's stint on this CPU.  last_queued is still set:
		 * sched_info_arrive() clears it after this hook.  0 = nothing
		 * queued it since its last run (or no CONFIG_SCHED_INFO): no
		 * wait ends here, and the kernel adds nothing to run_delay
		 * either.  Else arrive adds exactly rq->clock - last_queued
		 * (same rq, same __schedule(): prev's clock reading serves). */
		u64 q = RD(btf, next, sched_info.last_queued);

		next_tid = RD(btf, next, pid);
		if (c) {
			c->in_tid = next_tid;
			c->in_task = (u64)next;
			c->in_stack = (u64)RD(btf, next, stack);
			c->in_regs = c->regs_off ? c->in_stack + c->regs_off : 0;
			stint_rebase(c);
			c->in_queued = q ? STINT_WAITED : STINT_NO_WAIT;
			c->in_wait = 0;
			if (q) {
				if (!clk)
					clk = task_rq_clock(next, btf);
				c->in_wait = clk > q ? clk - q : 0;
			}
		}
		if (targ_timeline)
			timeline_emit(now, next_tid, next_tgid, SCHEDTRACE_EV_IN);
	}
	return 0;
}

/* sched_wakeup_new: a new task's first enqueue.  Its wait is timed at
 * switch-in like any other (last_queued); this hook only makes sure the
 * record exists (fork already made it, unless the map was full) and counts
 * new tasks made runnable.  Rare: one per thread or process created. */
static __always_inline int on_wakeup_new(struct task_struct *p, const bool btf)
{
	u32 tgid = RD(btf, p, tgid);
	struct schedtrace_totals *g;

	if (targ_hooks_only || !tgid_traced(tgid))
		return 0;
	thread_get(p, RD(btf, p, pid), tgid, btf);
	g = totals_get();
	if (g)
		g->new_wakeups++;
	return 0;
}

/* Slow paths (fork, exec): rare, so helper-based reads are fine here. */
static __always_inline bool pid_excluded(u32 tgid)
{
	for (int i = 0; i < SCHEDTRACE_MAX_EXCLUDE; i++) {
		if (!targ_exclude_pids[i])
			break;
		if (targ_exclude_pids[i] == tgid)
			return true;
	}
	return false;
}

/* comm: a NUL-terminated name in a SCHEDTRACE_COMM_LEN buffer. */
static __always_inline bool name_excluded(const char *comm)
{
	for (int i = 0; i < SCHEDTRACE_MAX_EXCLUDE; i++) {
		bool same = true;

		if (!targ_exclude_comms[i][0])
			break;
		for (int j = 0; j < SCHEDTRACE_COMM_LEN; j++) {
			if (comm[j] != targ_exclude_comms[i][j]) {
				same = false;
				break;
			}
			if (!comm[j])
				break;
		}
		if (same)
			return true;
	}
	return false;
}

static __always_inline bool comm_excluded(struct task_struct *p)
{
	char comm[SCHEDTRACE_COMM_LEN] = {};

	if (!targ_exclude_comms[0][0])
		return false;
	BPF_CORE_READ_STR_INTO(&comm, p, comm);
	return name_excluded(comm);
}

static __always_inline void exclude(u32 tgid)
{
	struct schedtrace_totals *g = totals_get();
	u8 one = 1;

	tgid_set_traced(tgid, false);
	bpf_map_update_elem(&excluded, &tgid, &one, BPF_ANY);
	if (g)
		g->excluded++;
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child,
				   const bool btf)
{
	u32 ptgid = BPF_CORE_READ(parent, tgid);
	u32 ctid = BPF_CORE_READ(child, pid), ctgid = BPF_CORE_READ(child, tgid);
	struct schedtrace_totals *g;

	if (targ_hooks_only || !tgid_traced(ptgid))
		return 0;
	g = totals_get();
	if (ctgid != ptgid) {
		/* A new process: follow it, as perf does for a command.  Its
		 * comm is still the parent's (exec renames it, see on_exec). */
		if (pid_excluded(ctgid)) {
			exclude(ctgid);
			return 0;
		}
		tgid_set_traced(ctgid, true);
		if (g)
			g->processes_created++;
	} else if (g) {
		g->threads_created++;
	}
	thread_get(child, ctid, ctgid, btf);
	return 0;
}

/* exec: the moment a process takes its name. */
static __always_inline int on_rename(struct task_struct *p)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);

	if (targ_hooks_only || tid != tgid || !tgid_traced(tgid) || !comm_excluded(p))
		return 0;
	exclude(tgid);
	return 0;
}

/* prctl(PR_SET_NAME) or a write to /proc/.../comm of a process's main
 * thread: the other way a process takes a name (a forked server that never
 * execs, corolab's own "corolab-serve" for one).  task_rename fires before
 * the copy, with the new name as its argument.  Rare: a program call per
 * rename on the machine, nothing on the switch path. */
static __always_inline int on_task_rename(struct task_struct *p, const char *newcomm)
{
	char comm[SCHEDTRACE_COMM_LEN] = {};
	u32 tid, tgid;

	if (targ_hooks_only || !targ_exclude_comms[0][0])
		return 0;	/* resolved at load: the usual case costs a return */
	tid = BPF_CORE_READ(p, pid);
	tgid = BPF_CORE_READ(p, tgid);
	if (tid != tgid || !tgid_traced(tgid))
		return 0;
	bpf_probe_read_kernel_str(comm, sizeof(comm), newcomm);
	if (name_excluded(comm))
		exclude(tgid);
	return 0;
}

/* Will the kernel reap process p without a wait4 (exit_notify ->
 * do_notify_parent)?  It does when p is not ptraced, exits with SIGCHLD (a
 * clone() with another exit signal, or none, is still waited for: ASan's
 * LeakSanitizer helper is one) and its parent ignores SIGCHLD or set
 * SA_NOCLDWAIT; then p's counts reach nobody's rusage. */
#define SCHEDTRACE_SIGCHLD	17
#define SCHEDTRACE_SIG_IGN	1
#define SCHEDTRACE_SA_NOCLDWAIT	2
static __always_inline bool parent_autoreaps(struct task_struct *p)
{
	struct sighand_struct *sh = BPF_CORE_READ(p, real_parent, sighand);
	unsigned long handler = 0, flags = 0;

	if (!sh || BPF_CORE_READ(p, exit_signal) != SCHEDTRACE_SIGCHLD || BPF_CORE_READ(p, ptrace))
		return false;
	bpf_core_read(&handler, sizeof(handler), &sh->action[SCHEDTRACE_SIGCHLD - 1].sa.sa_handler);
	bpf_core_read(&flags, sizeof(flags), &sh->action[SCHEDTRACE_SIGCHLD - 1].sa.sa_flags);
	return handler == SCHEDTRACE_SIG_IGN || (flags & SCHEDTRACE_SA_NOCLDWAIT);
}

static __always_inline int on_exit(struct task_struct *p, const bool btf)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;

	if (targ_hooks_only || !tgid_traced(tgid))
		return 0;
	t = thread_get(p, tid, tgid, btf);
	if (!t)
		return 0;
	/* The record stays: user space reads exited threads at the end.  The
	 * kernel's own figures are final now, bar the last switch.  raw_tp
	 * keeps every record in the hash: an exited one here is an earlier
	 * thread's with the same tid (recycled), whose run_delay must add up
	 * with this one's as our waits do. */
	if (!btf && t->exited)
		t->run_delay_prev += t->run_delay_ns;
	t->run_delay_ns = BPF_CORE_READ(p, sched_info.run_delay);
	t->kernel_nvcsw = BPF_CORE_READ(p, nvcsw);
	t->kernel_nivcsw = BPF_CORE_READ(p, nivcsw);
	t->parent_tgid = BPF_CORE_READ(p, real_parent, tgid);
	if (tid == tgid && parent_autoreaps(p))
		t->parent_tgid = 0;	/* reaped by nobody's wait4: outside */
	BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	/* p is current: close its stint here, since the final switch may come
	 * after user space collected.  A preemption on the way out opens a new
	 * stint, which that final switch closes. */
	{
		struct cpu_counts *c = cpu_counts_get();

		if (c && stint_owned(c, tid, p))
			stint_close(t, c, t->run_delay_ns);
	}
	if (btf && !t->exited) {
		/* Move it to the hash now, not at the final switch: a process
		 * leader's final switch can come after wait4() returned and
		 * user space detached, and a reaped task is invisible to the
		 * iterator.  Later events (that final switch, a preemption on
		 * the way out) find t->exited and go to the hash. */
		t->exited = 1;
		thread_publish(t);
		return 0;
	}
	t->exited = 1;
	return 0;
}

static __always_inline int on_migrate(struct task_struct *p, const bool btf)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;

	if (targ_hooks_only || !tgid_traced(tgid))
		return 0;
	t = thread_get(p, tid, tgid, btf);
	if (t)
		__sync_fetch_and_add(&t->migrations, 1);
	/* A queued task being moved (move_queued_task, load balancing: on_rq
	 * is TASK_ON_RQ_MIGRATING, 2) had its wait so far added to run_delay
	 * by the dequeue just before this hook, and last_queued cleared: that
	 * part never reaches our switch-in.  A delayed-dequeue task is on the
	 * run queue but asleep, with no wait running: not a split. */
	if (BPF_CORE_READ(p, on_rq) == 2 && !BPF_CORE_READ(p, se.sched_delayed)) {
		struct schedtrace_totals *g = totals_get();

		if (g)
			g->runq_split++;
	}
	return 0;
}

/* tp_btf programs and their raw_tp twins; the loader autoloads one set. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, false);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	return on_wakeup_new(p, true);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup_new(p, false);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child, true);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_process_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child, false);
}

/* exec: count its argument pages, and the new name may be excluded
 * (on_rename).  A non-leader exec's change of pid needs nothing here: the
 * stint it is in is matched by task address (stint_owned). */
static __always_inline int on_exec(struct task_struct *p, struct linux_binprm *bprm, const bool btf)
{
	u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);
	struct schedtrace_thread *t;
	u64 lo, hi;

	if (targ_hooks_only || !tgid_traced(tgid))
		return 0;
	/* The argument area: copy_strings() filled it from the top of the
	 * stack VMA down to mm->arg_start (setup_arg_pages moved both by the
	 * same page-aligned shift), faulting each page in once through
	 * get_user_pages_remote(): min_flt counts those, no exception does. */
	lo = BPF_CORE_READ(p, mm, arg_start);
	hi = BPF_CORE_READ(bprm, vma, vm_end);
	if (lo && hi > lo) {
		t = thread_get(p, tid, tgid, btf);
		if (t)
			t->faults_exec_args += ((hi - 1) >> targ_page_shift) - (lo >> targ_page_shift) + 1;
	}
	return on_rename(p);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, bprm, true);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_process_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, bprm, false);
}

SEC("tp_btf/task_rename")
int BPF_PROG(task_rename_btf, struct task_struct *p, const char *comm)
{
	return on_task_rename(p, comm);
}

SEC("raw_tp/task_rename")
int BPF_PROG(task_rename_raw, struct task_struct *p, const char *comm)
{
	return on_task_rename(p, comm);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_btf, struct task_struct *p)
{
	return on_exit(p, true);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_process_exit_raw, struct task_struct *p)
{
	return on_exit(p, false);
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(sched_migrate_task_btf, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p, true);
}

SEC("raw_tp/sched_migrate_task")
int BPF_PROG(sched_migrate_task_raw, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p, false);
}


/* Run by user space after detach (schedtrace_read): copies the records of
 * traced threads still alive (-p, a grandchild that outlived the command, a
 * partial run) from task storage into `threads`.  Exited threads were moved
 * at sched_process_exit and are skipped. */
SEC("iter/task")
int iter_live_btf(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct schedtrace_thread *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&tstore, task, NULL, 0);
	if (t && !t->exited)
		thread_publish(t);
	return 0;
}
