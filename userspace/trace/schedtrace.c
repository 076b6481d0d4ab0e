// SPDX-License-Identifier: MIT
/* Loader for bpf/schedtrace.bpf.c: picks one program of each tp_btf/raw_tp
 * twin, sizes the timeline ring buffer, seeds the traced set, reads maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/tracer.h"
/* after tracer.h: the skeletons need the shared structs declared first */
#include "schedtrace.skel.h"

int schedtrace_setup(struct schedtrace **out, bool use_btf, bool timeline, size_t ringbuf_bytes)
{
	struct schedtrace *s;
	struct bpf_program *prog;
	int err;

	s = schedtrace__open();
	if (!s)
		return -errno ? -errno : -ENOMEM;
	/* Programs are named <tracepoint>_btf / <tracepoint>_raw. */
	bpf_object__for_each_program(prog, s->obj) {
		const char *name = bpf_program__name(prog);
		size_t len = strlen(name);
		bool is_btf = len > 4 && !strcmp(name + len - 4, "_btf");

		bpf_program__set_autoload(prog, is_btf == use_btf);
	}
	s->rodata->targ_timeline = timeline;
	err = bpf_map__set_max_entries(s->maps.timeline, timeline ? ringbuf_bytes : 4096);
	if (err)
		goto cleanup;
	err = schedtrace__load(s);
	if (err)
		goto cleanup;
	*out = s;
	return 0;
cleanup:
	schedtrace__destroy(s);
	return err < 0 ? err : -EINVAL;
}

int schedtrace_traced_fd(struct schedtrace *s)
{
	return bpf_map__fd(s->maps.traced_tgids);
}

int schedtrace_timeline_fd(struct schedtrace *s)
{
	return bpf_map__fd(s->maps.timeline);
}

int schedtrace_seed(struct schedtrace *s, pid_t tgid)
{
	unsigned int key = tgid;
	unsigned char one = 1;

	return bpf_map_update_elem(schedtrace_traced_fd(s), &key, &one, BPF_ANY) ? -errno : 0;
}

int schedtrace_attach_all(struct schedtrace *s)
{
	return schedtrace__attach(s);
}

int schedtrace_read(struct schedtrace *s, struct trace_threads *rows, struct schedtrace_totals *tot)
{
	int fd = bpf_map__fd(s->maps.threads);
	unsigned int key, next;
	unsigned int *prev = NULL;
	struct schedtrace_thread v;

	/* .bss is mmap()ed by the skeleton: a plain copy (a concurrent update
	 * may tear a 64-bit pair; we read after detaching). */
	memcpy(tot, &s->bss->totals, sizeof(*tot));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct trace_thread *row;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* nothing deletes records, but be safe */
		row = trace_threads_append(rows, v.tid, v.tgid);
		if (!row)
			return -ENOMEM;
		row->s = v;
		memcpy(row->comm, v.comm, sizeof(row->comm));
	}
	trace_threads_sort(rows);
	return 0;
}

void schedtrace_free(struct schedtrace *s)
{
	schedtrace__destroy(s);
}

static int cmp_tid(const void *a, const void *b)
{
	const struct trace_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

struct trace_thread *trace_threads_append(struct trace_threads *rows, unsigned int tid,
					  unsigned int tgid)
{
	struct trace_thread *row;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 256;
		void *v = realloc(rows->v, cap * sizeof(*rows->v));

		if (!v)
			return NULL;
		rows->v = v;
		rows->cap = cap;
	}
	row = &rows->v[rows->n++];
	memset(row, 0, sizeof(*row));
	row->tid = tid;
	row->tgid = tgid;
	return row;
}

struct trace_thread *trace_threads_get(struct trace_threads *rows, unsigned int tid,
				       unsigned int tgid)
{
	struct trace_thread key = { .tid = tid }, *row;

	/* Binary search over the sorted prefix, then a linear scan of the
	 * rows appended since the last sort: few, since a thread that never
	 * switched yet faulted is rare. */
	row = rows->sorted ? bsearch(&key, rows->v, rows->sorted, sizeof(key), cmp_tid) : NULL;
	if (row)
		return row;
	for (size_t i = rows->sorted; i < rows->n; i++)
		if (rows->v[i].tid == tid)
			return &rows->v[i];
	return trace_threads_append(rows, tid, tgid);
}

void trace_threads_sort(struct trace_threads *rows)
{
	if (rows->n)
		qsort(rows->v, rows->n, sizeof(*rows->v), cmp_tid);
	rows->sorted = rows->n;
}

void trace_threads_free(struct trace_threads *rows)
{
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}
