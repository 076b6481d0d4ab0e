// SPDX-License-Identifier: MIT
/* Loader for bpf/faults.bpf.c: shares schedtrace's traced set and per-CPU
 * counters by fd, picks
 * tp_btf or raw_tp twins, tolerates kernels without io_uring tracepoints. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/probe.h"
#include "trace/tracer.h"
/* after tracer.h: the skeletons need the shared structs declared first */
#include "faults.skel.h"

/* The FAULTS_NO_* bit of the tracepoint a program (or its name) hooks. */
static unsigned missing_bit(const char *tp)
{
	if (!strncmp(tp, "io_uring_", 9))
		return FAULTS_NO_IO_URING;
	if (!strncmp(tp, "sys_enter", 9))
		return FAULTS_NO_SYSCALLS;
	return FAULTS_NO_PAGE_FAULTS;
}

/* io_uring hooks are optional: a kernel without io_uring still traces faults. */
static bool optional_prog(const char *name)
{
	return missing_bit(name) == FAULTS_NO_IO_URING;
}

int faults_setup(struct faults **out, bool use_btf, int traced_fd, int counts_fd, bool syscalls,
		 bool hooks_only, unsigned *missing)
{
	struct bpf_program *prog;
	struct faults *f;
	int err;

	f = faults__open();
	if (!f)
		return -errno ? -errno : -ENOMEM;
	f->rodata->targ_hooks_only = hooks_only;
	err = bpf_map__reuse_fd(f->maps.traced_tgids, traced_fd);
	if (!err)
		err = bpf_map__reuse_fd(f->maps.cpu_counts, counts_fd);
	if (err)
		goto cleanup;
	bpf_object__for_each_program(prog, f->obj) {
		const char *name = bpf_program__name(prog);
		size_t len = strlen(name);
		bool is_btf = len > 4 && !strcmp(name + len - 4, "_btf");
		char tp[64];

		snprintf(tp, sizeof(tp), "%.*s", (int)(len - 4), name);
		/* A tracepoint this kernel lacks (no io_uring, non-x86 page
		 * faults) would fail the whole load: leave both twins out. */
		if (!syscalls && !strcmp(tp, "sys_enter")) {
			bpf_program__set_autoload(prog, false);
			continue;
		}
		if (!probe_tp_in_btf(tp)) {
			bpf_program__set_autoload(prog, false);
			*missing |= missing_bit(tp);
			continue;
		}
		bpf_program__set_autoload(prog, is_btf == use_btf);
	}
	err = faults__load(f);
	if (err)
		goto cleanup;
	*out = f;
	return 0;
cleanup:
	faults__destroy(f);
	return err < 0 ? err : -EINVAL;
}

int faults_attach_all(struct faults *f, unsigned *missing)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, f->obj) {
		struct bpf_link *link;
		int err;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (link) {
			/* Park the link in the skeleton's slot for this program
			 * so faults__destroy() detaches it like any other. */
			struct bpf_link **slot = NULL;

			for (int i = 0; i < f->skeleton->prog_cnt; i++)
				if (*f->skeleton->progs[i].prog == prog)
					slot = f->skeleton->progs[i].link;
			if (slot)
				*slot = link;
			continue;
		}
		err = -errno;
		if (!optional_prog(bpf_program__name(prog)))
			return err;
		*missing |= FAULTS_NO_IO_URING;
	}
	return 0;
}

int faults_read(struct faults *f, struct trace_threads *rows, struct faults_totals *tot)
{
	int fd = bpf_map__fd(f->maps.fthreads);
	unsigned int key, next;
	unsigned int *prev = NULL;
	struct faults_thread v;

	memcpy(tot, &f->bss->ftotals, sizeof(*tot));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct trace_thread *row;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		row = trace_threads_get(rows, v.tid, v.tgid);
		if (!row)
			return -ENOMEM;
		row->f = v;
	}
	trace_threads_sort(rows);
	return 0;
}

struct bpf_object *faults_object(struct faults *f)
{
	return f->obj;
}

void faults_free(struct faults *f)
{
	faults__destroy(f);
}
