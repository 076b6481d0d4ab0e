// SPDX-License-Identifier: MIT
/* Loader for bpf/schedtrace.bpf.c: picks one program of each tp_btf/raw_tp
 * twin, sizes the timeline ring buffer, seeds the traced set, reads maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/tracer.h"
#include "cpucounts.h"
/* after tracer.h: the skeletons need the shared structs declared first */
#include "schedtrace.skel.h"

/* kernel.pid_max: every tgid must have a bit in the traced bitmap. */
static unsigned int pid_max(void)
{
	unsigned int v = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 4194304;	/* PID_MAX_LIMIT on 64-bit */
}

int schedtrace_setup(struct schedtrace **out, const struct schedtrace_opts *o)
{
	struct schedtrace *s;
	struct bpf_program *prog;
	bool use_btf = o->use_btf, timeline = o->timeline;
	size_t ringbuf_bytes = o->ringbuf_bytes;
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
	/* Run once at collection (schedtrace_read), never attached. */
	bpf_program__set_autoattach(s->progs.iter_live_btf, false);
	/* Task storage needs BTF task pointers: tp_btf only. */
	bpf_map__set_autocreate(s->maps.tstore, use_btf);
	s->rodata->targ_timeline = timeline;
	s->rodata->targ_timeline_wake = timeline ? o->ringbuf_wake_bytes : 0;
	s->rodata->targ_hooks_only = o->hooks_only;
	s->rodata->targ_sightings = o->sightings;
	s->rodata->targ_page_shift = (unsigned int)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	for (int i = 0; i < SCHEDTRACE_MAX_EXCLUDE && i < o->n_exclude_pids; i++)
		s->rodata->targ_exclude_pids[i] = o->exclude_pids[i];
	for (int i = 0; i < SCHEDTRACE_MAX_EXCLUDE && i < o->n_exclude_comms; i++)
		strncpy((char *)s->rodata->targ_exclude_comms[i], o->exclude_comms[i],
			SCHEDTRACE_COMM_LEN - 1);
	err = bpf_map__set_max_entries(s->maps.timeline, timeline ? ringbuf_bytes : 4096);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.traced_tgids, pid_max() / 64 + 1);
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

struct bpf_object *schedtrace_object(struct schedtrace *s)
{
	return s->obj;
}

int schedtrace_traced_fd(struct schedtrace *s)
{
	return bpf_map__fd(s->maps.traced_tgids);
}

int schedtrace_counts_fd(struct schedtrace *s)
{
	return bpf_map__fd(s->maps.cpu_counts);
}

int schedtrace_timeline_fd(struct schedtrace *s)
{
	return bpf_map__fd(s->maps.timeline);
}

/* Before attach only: a read-modify-write of the word, which would race
 * with the fork hook's atomic add once the programs run. */
int schedtrace_seed(struct schedtrace *s, pid_t tgid)
{
	int fd = schedtrace_traced_fd(s);
	unsigned int key = (unsigned int)tgid >> 6;
	unsigned long long bits;

	if (bpf_map_lookup_elem(fd, &key, &bits))
		return -errno;
	bits |= 1ULL << (tgid & 63);
	return bpf_map_update_elem(fd, &key, &bits, BPF_ANY) ? -errno : 0;
}

bool schedtrace_excluded(struct schedtrace *s, unsigned int tgid)
{
	unsigned char v;

	return bpf_map_lookup_elem(bpf_map__fd(s->maps.excluded), &tgid, &v) == 0;
}

int schedtrace_attach_all(struct schedtrace *s)
{
	return schedtrace__attach(s);
}

/* tp_btf mode: live threads' records are in task storage, which user space
 * cannot read; one pass of the iter_live_btf task iterator copies them into
 * `threads`.  Call after detach, while the threads still exist. */
static int schedtrace_flush_live(struct schedtrace *s)
{
	struct bpf_link *link;
	char buf[64];
	ssize_t n;
	int fd, err = 0;

	if (!bpf_program__autoload(s->progs.iter_live_btf))
		return 0;
	link = bpf_program__attach_iter(s->progs.iter_live_btf, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* The program writes nothing: reading to EOF just runs it. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

/* Stints opened by a fault or syscall: counted by faults.bpf.c in the
 * per-CPU cpu_counts, not in the totals.  0 if unreadable (a diagnostic). */
static unsigned long long sum_repaired(struct schedtrace *s, int ncpu)
{
	struct cpu_counts *cc = calloc(ncpu, sizeof(*cc));
	unsigned long long n = 0;
	unsigned int zero = 0;

	if (cc && !bpf_map_lookup_elem(bpf_map__fd(s->maps.cpu_counts), &zero, cc))
		for (int c = 0; c < ncpu; c++)
			n += cc[c].repaired;
	free(cc);
	return n;
}

int schedtrace_read(struct schedtrace *s, struct trace_threads *rows, struct schedtrace_totals *tot)
{
	int fd = bpf_map__fd(s->maps.threads);
	unsigned int key, next, zero = 0;
	unsigned int *prev = NULL;
	struct schedtrace_thread v;
	struct schedtrace_totals *pc;
	int ncpu = libbpf_num_possible_cpus(), err;

	err = schedtrace_flush_live(s);
	if (err)
		return err;
	/* One copy per possible CPU: sum them, max of the max. */
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(s->maps.totals), &zero, pc)) {
		err = -errno;
		free(pc);
		return err;
	}
	memset(tot, 0, sizeof(*tot));
	for (int c = 0; c < ncpu; c++) {
		const unsigned long long *src = (const unsigned long long *)&pc[c];
		unsigned long long *dst = (unsigned long long *)tot;

		_Static_assert(sizeof(*tot) % sizeof(*dst) == 0, "totals are all u64");
		for (size_t i = 0; i < sizeof(*tot) / sizeof(*dst); i++)
			dst[i] += src[i];
	}
	tot->stints_repaired = sum_repaired(s, ncpu);
	/* runq_max_ns was summed with the rest: redo it as a max. */
	tot->runq_max_ns = 0;
	for (int c = 0; c < ncpu; c++)
		if (pc[c].runq_max_ns > tot->runq_max_ns)
			tot->runq_max_ns = pc[c].runq_max_ns;
	free(pc);
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

static int cmp_preemptor(const void *a, const void *b)
{
	const struct trace_preemptor *x = a, *y = b;

	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

int schedtrace_read_preemptors(struct schedtrace *s, struct trace_preemptors *out)
{
	int fd = bpf_map__fd(s->maps.preemptors);
	struct schedtrace_preemptor_key key, next, *prev = NULL;
	struct schedtrace_preemptor v;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct trace_preemptor *p;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *nv = realloc(out->v, ncap * sizeof(*out->v));

			if (!nv) {
				free(out->v);
				memset(out, 0, sizeof(*out));
				return -ENOMEM;
			}
			out->v = nv;
			cap = ncap;
		}
		p = &out->v[out->n++];
		p->tid = key.tid;
		p->tgid = key.tgid;
		p->count = v.count;
		memcpy(p->comm, v.comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = 0;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_preemptor);
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

struct trace_thread *trace_threads_find(const struct trace_threads *rows, unsigned int tid)
{
	struct trace_thread key = { .tid = tid }, *row;

	row = rows->sorted ? bsearch(&key, rows->v, rows->sorted, sizeof(key), cmp_tid) : NULL;
	for (size_t i = rows->sorted; !row && i < rows->n; i++)
		if (rows->v[i].tid == tid)
			row = &rows->v[i];
	return row;
}

struct trace_thread *trace_threads_get(struct trace_threads *rows, unsigned int tid,
				       unsigned int tgid)
{
	/* O(log n) over the sorted prefix, then a linear scan of the rows
	 * appended since the last sort: few, since a thread that never
	 * switched yet faulted is rare. */
	struct trace_thread *row = trace_threads_find(rows, tid);

	return row ? row : trace_threads_append(rows, tid, tgid);
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
