/* SPDX-License-Identifier: MIT */
/* BPF-only: the traced set every corolab probe filters on.  Each object
 * declares the same map; user space creates it once (in schedtrace) and hands
 * its fd to the others with bpf_map__reuse_fd() before they load. */
#ifndef COROLAB_TRACED_BPF_H
#define COROLAB_TRACED_BPF_H

#ifndef EEXIST
#define EEXIST 17	/* vmlinux.h carries no errno values */
#endif

/* --hooks-only: every program returns at once (the verifier drops the
 * rest as dead code), so a run measures what attaching the hooks costs by
 * itself, the floor under any program body (scripts/bench-trace.sh). */
const volatile bool targ_hooks_only = false;

/* A bitmap of traced tgids, 64 per array element: bit (tgid & 63) of element
 * tgid >> 6.  Not a hash map: every sched_switch and every system call on the
 * machine asks "is this task traced?", and an array lookup is inlined by the
 * verifier into a bounds check and an add (a hash lookup is a call plus
 * jhash, ~30 ns here).  The loader sizes it from kernel.pid_max (32768 pids =
 * 512 elements = 4 KiB; 4M pids = 512 KiB).  Seeded by user space with the
 * command's pid (or -p PID); schedtrace's sched_process_fork sets the bit of
 * every child process of a traced one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u64);
} traced_tgids SEC(".maps");

static __always_inline bool tgid_traced(u32 tgid)
{
	u32 word = tgid >> 6;
	u64 *bits = bpf_map_lookup_elem(&traced_tgids, &word);

	return bits && (*bits >> (tgid & 63)) & 1;
}

/* Set or clear tgid's bit.  Atomic add, not OR: clang's default BPF CPU (v1)
 * has no atomic OR, and adding a bit that is known clear is the same thing.
 * Two CPUs never set the same bit at once (a pid is handed to one fork), but
 * they do set neighbouring bits (pids are allocated in sequence), which a
 * plain read-modify-write of the word would lose. */
static __always_inline void tgid_set_traced(u32 tgid, bool on)
{
	u32 word = tgid >> 6;
	u64 *bits = bpf_map_lookup_elem(&traced_tgids, &word), bit = 1ULL << (tgid & 63);

	if (!bits || !!(*bits & bit) == on)
		return;
	__sync_fetch_and_add(bits, on ? bit : -bit);
}

/* Per CPU: events counted whoever caused them — system calls and page
 * faults (bpf/faults.bpf.c increments n[]; nothing else) — and schedtrace's
 * note of the traced thread it switched in here last.  A system call or a
 * fault belongs to the task running on that CPU, and a task leaves its CPU
 * only through a context switch, so what a CPU counted between a thread's
 * switch-in and its switch-out is that thread's.  schedtrace's sched_switch
 * notes base[] (and the run-queue wait that just ended) at the switch-in and
 * charges the difference to the thread's record at the switch-out (or at
 * sched_process_exit), the one per-thread lookup of a switch.  The hot hooks
 * then do one inlined per-CPU load, an add and a compare of their `regs`
 * argument with the stint owner's (faults.bpf.c: a switch-in our program
 * never saw is caught there); no helper call, no per-thread lookup.  Shared
 * by fd like traced_tgids. */
#include "cpucounts.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cpu_counts);
} cpu_counts SEC(".maps");

/* A stint begins: its owner will be charged the CPU's counts from now on. */
static __always_inline void stint_rebase(struct cpu_counts *c)
{
	__builtin_memcpy(c->base, c->n, sizeof(c->base));
}

/* No owner noted on this CPU any more (its events take the slow path). */
static __always_inline void stint_forget(struct cpu_counts *c)
{
	c->in_tid = 0;
	c->in_task = c->in_regs = 0;
}

static __always_inline struct cpu_counts *cpu_counts_get(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_counts, &zero);	/* inlined for per-CPU arrays */
}

static __always_inline bool current_traced(u32 *tid, u32 *tgid)
{
	u64 id = bpf_get_current_pid_tgid();

	*tid = (u32)id;
	*tgid = id >> 32;
	return tgid_traced(*tgid);
}

#endif
