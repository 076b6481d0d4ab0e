// SPDX-License-Identifier: MIT
/* Feature probes: load the smallest program of each kind and see whether the
 * kernel accepts it, the way bcc libbpf-tools decide tp_btf vs raw_tp. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "trace/probe.h"

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_result(int fd)
{
	int err = -errno;

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return (err == -EPERM || err == -EACCES) ? err : 0;
}

/* The kernel's BTF, parsed once for all the probes of a command: each
 * libbpf_find_vmlinux_btf_id() call reads and parses all of
 * /sys/kernel/btf/vmlinux (~6 MB) again, and the tracer's setup asked a
 * dozen times (~0.3 s and ~20k page faults of its start-up here). */
static struct btf *vmlinux;
static bool vmlinux_tried;

/* btf_trace_NAME's id in the kernel's BTF: what tp_btf attaches by. */
static int tp_btf_id(const char *name)
{
	char type[128];

	if (!vmlinux_tried) {
		vmlinux_tried = true;
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	if (!vmlinux)
		return libbpf_find_vmlinux_btf_id(name, BPF_TRACE_RAW_TP);
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF);
}

void probe_release(void)
{
	btf__free(vmlinux);
	vmlinux = NULL;
	vmlinux_tried = false;
}

bool probe_tp_in_btf(const char *name)
{
	return tp_btf_id(name) > 0;
}

int probe_tp_btf(const char *name)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int id = tp_btf_id(name);
	int fd, lfd, ret;

	if (id <= 0)
		return 0;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &opts);
	ret = load_result(fd);
	if (ret != 1)
		return ret;
	/* Loading is not attaching: try the attach too, then drop it. */
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &opts);
	if (fd < 0)
		return load_result(fd);
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	ret = lfd >= 0;
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return ret;
}

int probe_raw_tp(const char *name)
{
	int fd, lfd, ret;

	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0 || !name)
		return load_result(fd);
	lfd = bpf_raw_tracepoint_open(name, fd);
	ret = lfd >= 0 ? 1 : (errno == EPERM ? -EPERM : 0);
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return ret;
}

int probe_ringbuf(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, 4096, NULL);

	return load_result(fd);
}
