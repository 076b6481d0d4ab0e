/* SPDX-License-Identifier: MIT */
/* Kernel feature probes shared by the tracer's loaders and `corolab doctor`.
 * Each loads a two-instruction program and reports whether the kernel took
 * it; none prints. */
#ifndef COROLAB_TRACE_PROBE_H
#define COROLAB_TRACE_PROBE_H

#include <stdbool.h>

/* Can a tp_btf program attach to tracepoint NAME (e.g. "sched_switch")?
 * 0 = no (use the raw_tp twin), 1 = yes, -errno when the probe itself could
 * not run (-EPERM without privileges). */
int probe_tp_btf(const char *name);
/* Does the tracepoint exist in kernel BTF at all (btf_trace_NAME)? */
bool probe_tp_in_btf(const char *name);
/* Can a raw_tp program load (and attach to NAME when non-NULL)? 1/0/-errno. */
int probe_raw_tp(const char *name);
/* BPF ring buffer map (5.8+)?  1/0/-errno. */
int probe_ringbuf(void);
/* Free the kernel BTF the probes parsed (once) and keep: call when done. */
void probe_release(void);

#endif
