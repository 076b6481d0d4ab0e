/* SPDX-License-Identifier: MIT */
/* BPF-only: the traced set every corolab probe filters on.  Each object
 * declares the same map; user space creates it once (in schedtrace) and hands
 * its fd to the others with bpf_map__reuse_fd() before they load. */
#ifndef COROLAB_TRACED_BPF_H
#define COROLAB_TRACED_BPF_H

#define TRACED_MAX_TGIDS 16384
#ifndef EEXIST
#define EEXIST 17	/* vmlinux.h carries no errno values */
#endif

/* tgid -> 1.  Seeded by user space with the command's pid (or -p PID);
 * schedtrace's sched_process_fork adds every child process of a traced one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACED_MAX_TGIDS);
	__type(key, u32);
	__type(value, u8);
} traced_tgids SEC(".maps");

static __always_inline bool tgid_traced(u32 tgid)
{
	return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
}

static __always_inline bool current_traced(u32 *tid, u32 *tgid)
{
	u64 id = bpf_get_current_pid_tgid();

	*tid = (u32)id;
	*tgid = id >> 32;
	return tgid_traced(*tgid);
}

#endif
