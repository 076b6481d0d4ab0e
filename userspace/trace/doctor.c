// SPDX-License-Identifier: MIT
/* `corolab doctor`: what this kernel and machine support for the lab, one
 * line per feature ("ok", "warn", "missing") with the fix.  Exit 1 only when
 * something essential (BTF, a BPF attach flavour) is missing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <liburing.h>

#include "commands.h"
#include "trace/probe.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102	/* Linux 6.13 */
#endif
#define TRACEFS_MAGIC_NR 0x74726163

enum level { OK, WARN, MISSING };

static int report(enum level l, const char *what, const char *detail, const char *fix)
{
	static const char *const tag[] = { "ok", "warn", "missing" };

	printf("%-8s %-22s %s", tag[l], what, detail);
	if (l != OK && fix)
		printf("  -> %s", fix);
	putchar('\n');
	return l;
}

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

static bool have_caps(void)
{
	/* Effective CAP_BPF (39) + CAP_PERFMON (38), or CAP_SYS_ADMIN, read
	 * from /proc so we need no libcap. */
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << 21)) || ((eff & (1ULL << 39)) && (eff & (1ULL << 38)));
}

int cmd_doctor(int argc, char **argv)
{
	char buf[160];
	int essential = 0, rc, n;
	struct io_uring ring;
	struct statfs sfs;
	struct rlimit rl;
	long v;
	bool priv;

	(void)argv;
	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("USAGE: corolab doctor\n\nChecks BTF, tp_btf/raw_tp, ring buffer, io_uring, "
			       "MADV_GUARD_INSTALL, tracefs,\npid_max, vm.max_map_count, RLIMIT_NOFILE and "
			       "privileges; prints a fix for each gap.\n\nEXAMPLES:\n  sudo corolab doctor\n");
			return 0;
		}
		fprintf(stderr, "corolab doctor: takes no arguments (try 'corolab doctor --help')\n");
		return 2;
	}
	libbpf_set_print(silent);

	priv = geteuid() == 0 || have_caps();
	report(priv ? OK : WARN, "privileges", priv ? "root or CAP_BPF+CAP_PERFMON" : "unprivileged",
	       "run 'sudo corolab doctor' (and trace) for the BPF checks");

	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		report(OK, "kernel BTF", "/sys/kernel/btf/vmlinux", NULL);
	else
		essential |= report(MISSING, "kernel BTF", "/sys/kernel/btf/vmlinux absent",
				    "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y") == MISSING;

	if (priv) {
		int btf = probe_tp_btf("sched_switch"), raw = probe_raw_tp("sched_switch");

		if (btf == 1)
			report(OK, "tp_btf", "loads and attaches (corolab trace uses it)", NULL);
		else
			report(WARN, "tp_btf", "not available", "raw_tp twins are used instead");
		if (raw == 1)
			report(OK, "raw_tp", "loads and attaches", NULL);
		else
			report(btf == 1 ? WARN : MISSING, "raw_tp", "not available",
			       "needs CONFIG_BPF_EVENTS; check dmesg and lockdown");
		if (btf != 1 && raw != 1)
			essential = 1;
		report(probe_ringbuf() == 1 ? OK : WARN, "BPF ring buffer",
		       probe_ringbuf() == 1 ? "available (--timeline)" : "not available",
		       "Linux >= 5.8 needed for --timeline");
		report(probe_tp_in_btf("io_uring_submit_req") ? OK : WARN, "io_uring tracepoints",
		       probe_tp_in_btf("io_uring_submit_req") ? "in BTF" : "absent",
		       "io_uring counts will be zero");
		report(probe_tp_in_btf("page_fault_user") ? OK : WARN, "page fault tracepoints",
		       probe_tp_in_btf("page_fault_user") ? "exceptions:page_fault_user/kernel" : "absent (non-x86?)",
		       "page-fault figures unavailable");
	} else {
		report(WARN, "tp_btf / raw_tp", "not probed (needs privileges)", "run with sudo");
	}

	rc = io_uring_queue_init(8, &ring, 0);
	if (rc == 0) {
		struct io_uring_probe *p = io_uring_get_probe_ring(&ring);

		n = 0;
		if (p) {
			for (int op = 0; op < p->ops_len; op++)
				n += !!(p->ops[op].flags & IO_URING_OP_SUPPORTED);
			snprintf(buf, sizeof(buf), "works; %d ops; TIMEOUT %s, NOP %s", n,
				 io_uring_opcode_supported(p, IORING_OP_TIMEOUT) ? "yes" : "no",
				 io_uring_opcode_supported(p, IORING_OP_NOP) ? "yes" : "no");
			io_uring_free_probe(p);
		} else {
			snprintf(buf, sizeof(buf), "works; op probe unavailable");
		}
		io_uring_queue_exit(&ring);
		report(OK, "io_uring", buf, NULL);
	} else {
		snprintf(buf, sizeof(buf), "io_uring_queue_init: %s", strerror(-rc));
		report(WARN, "io_uring", buf,
		       "sysctl kernel.io_uring_disabled=0 (the coroutine mode needs io_uring)");
	}

	{
		size_t pg = sysconf(_SC_PAGESIZE);
		void *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m != MAP_FAILED) {
			rc = madvise(m, pg, MADV_GUARD_INSTALL) ? errno : 0;
			munmap(m, 4 * pg);
			snprintf(buf, sizeof(buf), rc ? "madvise(102): %s" : "works (guard pages without a mapping each)",
				 strerror(rc));
			report(rc ? WARN : OK, "MADV_GUARD_INSTALL", buf,
			       "Linux >= 6.13; stacks fall back to one mprotect()ed mapping each");
		}
	}

	if (statfs("/sys/kernel/tracing", &sfs) == 0 && sfs.f_type == TRACEFS_MAGIC_NR)
		report(OK, "tracefs", "mounted at /sys/kernel/tracing", NULL);
	else
		report(WARN, "tracefs", "not mounted (tp_btf/raw_tp do not need it)",
		       "mount -t tracefs nodev /sys/kernel/tracing (for perf/bpftrace tracepoints)");

	v = read_long("/proc/sys/kernel/pid_max");
	snprintf(buf, sizeof(buf), "%ld (at most ~%ld threads)", v, v - 100);
	report(v >= 32768 ? (v > 100000 ? OK : WARN) : MISSING, "pid_max", buf,
	       "sysctl kernel.pid_max=4194304 for the 10k+ thread runs");
	v = read_long("/proc/sys/vm/max_map_count");
	snprintf(buf, sizeof(buf), "%ld", v);
	report(v > 200000 ? OK : WARN, "vm.max_map_count", buf,
	       "sysctl vm.max_map_count=1048576 (one mapping per stack otherwise caps near 32k)");
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(buf, sizeof(buf), "soft %llu, hard %llu", (unsigned long long)rl.rlim_cur,
		 (unsigned long long)rl.rlim_max);
	report(rl.rlim_cur >= 65536 ? OK : WARN, "RLIMIT_NOFILE", buf,
	       "ulimit -n 65536 (many concurrent sockets in the http workload)");
	return essential ? 1 : 0;
}
