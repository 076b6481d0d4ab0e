// SPDX-License-Identifier: MIT
/* `corolab doctor`: what this kernel and machine support for the lab, one
 * line per feature ("ok", "warn", "missing") with the fix.  Exit 1 only when
 * something essential (BTF, a BPF attach flavour) is missing. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <liburing.h>
#include <zlib.h>

#include "commands.h"
#include "coro/coro.h"
#include "trace/probe.h"
#include "trace/trace.h"
#include "util/util.h"
#include "workloads/workload.h"

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

/* ---- sched_info (run-queue latency) ----
 *
 * The tracer's run-queue waits come from task->sched_info (last_queued,
 * run_delay; bpf/schedtrace.bpf.c).  Without CONFIG_SCHED_INFO the kernel
 * has no such fields to stamp and /proc/PID/schedstat does not exist; with
 * it but sched_info_on() false (before Linux 5.14: no CONFIG_SCHEDSTATS and
 * delay accounting off) the file reads "0 0 0" and nothing is stamped.
 * Since 5.14 sched_info_on() is CONFIG_SCHED_INFO itself, whatever
 * CONFIG_SCHEDSTATS says.  So: read the kernel config when it is there, and
 * in any case make this thread wait on a run queue and see run_delay move. */

/* CONFIG_SCHED_INFO in the kernel config: 1 =y, 0 not set, -1 no config
 * readable (*src: where it was read).  gzopen reads plain files as well. */
static int kconfig_sched_info(const char **src)
{
	static char boot[128];
	const char *path[2] = { boot, "/proc/config.gz" };
	struct utsname u;
	char line[256];
	int found = -1;

	uname(&u);
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	for (int i = 0; i < 2 && found < 0; i++) {
		gzFile f = access(path[i], R_OK) ? NULL : gzopen(path[i], "rb");

		if (!f)
			continue;
		found = 0;
		while (gzgets(f, line, sizeof(line)))
			if (!strncmp(line, "CONFIG_SCHED_INFO=y", 19)) {
				found = 1;
				break;
			}
		gzclose(f);
		*src = path[i];
	}
	return found;
}

/* run_delay (ns) and pcount (timeslices) of the calling thread; -errno
 * (-ENOENT: no /proc/PID/schedstat, i.e. no CONFIG_SCHED_INFO). */
static int read_schedstat(unsigned long long *run_delay, unsigned long long *pcount)
{
	unsigned long long exec_ns;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu %llu", &exec_ns, run_delay, pcount);
	fclose(f);
	return n == 3 ? 0 : -EINVAL;
}

static void burn_ns(uint64_t ns)
{
	uint64_t end = coro__now_ns() + ns;

	while (coro__now_ns() < end)
		;
}

static void *yield_peer(void *arg)
{
	atomic_int *stop = arg;

	while (!atomic_load(stop)) {
		burn_ns(200000);
		sched_yield();
	}
	return NULL;
}

/* Make this thread wait on a run queue: pin it and a spinning peer to one
 * CPU and hand the CPU back and forth with sched_yield until run_delay
 * moves (about a millisecond) or 50 ms pass.  *gained = run_delay gained;
 * -errno when the experiment could not be set up. */
static int forced_wait(unsigned long long *gained)
{
	unsigned long long rd0, rd, pc;
	atomic_int stop = 0;
	cpu_set_t old, one;
	uint64_t deadline;
	pthread_t peer;
	int cpu = sched_getcpu(), err;

	*gained = 0;
	if (cpu < 0 || sched_getaffinity(0, sizeof(old), &old))
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	err = read_schedstat(&rd0, &pc);
	if (!err)
		err = -pthread_create(&peer, NULL, yield_peer, &stop);	/* inherits the pinning */
	if (!err) {
		deadline = coro__now_ns() + 50000000ull;
		do {
			burn_ns(200000);
			sched_yield();
			err = read_schedstat(&rd, &pc);
		} while (!err && rd == rd0 && coro__now_ns() < deadline);
		atomic_store(&stop, 1);
		pthread_join(peer, NULL);
		if (!err)
			*gained = rd - rd0;
	}
	sched_setaffinity(0, sizeof(old), &old);
	return err;
}

/* How idle CPUs wait sets what waking one costs: on loopback the client
 * pays for waking the server, which is why corolab serve batches its
 * wake-ups (notes/http.md). */
static void check_idle(bool bare)
{
	char buf[256];

	cpu_idle_describe(buf, sizeof(buf));
	if (bare)
		puts(buf);
	else
		report(OK, "idle CPUs", buf, NULL);
}

/* ---- how steady the CPU's speed is ----
 *
 * The lab's CPU verdicts compare wall times of the same work in different
 * modes, so they need a machine whose speed holds still.  On a VM it may
 * not: another guest on the host can slow this one down for tenths of a
 * second, with no steal time or run-queue delay to show for it inside.
 * Time the cpu workload's own loop in short slices for ~0.7 s and report
 * the median speed and how much slower the slowest tenth ran. */
#define SPEED_SLICES 100
#define SPEED_SLICE_ITERS 25000000ull	/* ~7 ms at 0.28 ns per iteration */
#define SPEED_SPREAD_WARN 0.10		/* slowest tenth this much slower: warn */
#define SPEED_CPU_SLICES 20		/* per CPU, after the whole run */
#define SPEED_CPU_MAX 16		/* CPUs timed one by one, at most */

/* Times n slices of the cpu workload's loop on the calling thread into ns[]
 * (ns per iteration, sorted); returns the median. */
static double speed_slices(double *ns, int n)
{
	volatile uint64_t sink = 0;

	for (int i = 0; i < n; i++) {
		uint64_t t0 = coro__now_ns();

		sink += cpu_sum_squares(0, SPEED_SLICE_ITERS);
		ns[i] = (double)(coro__now_ns() - t0) / (double)SPEED_SLICE_ITERS;
	}
	(void)sink;
	qsort(ns, (size_t)n, sizeof(*ns), cmp_double);
	return ns[n / 2];
}

/* The same loop pinned to each allowed CPU in turn (the first SPEED_CPU_MAX):
 * "; per CPU cpu0 0.440, cpu1 0.383 ns (slowest +15%)".  A VM's CPUs need
 * not run at one speed (a vCPU whose host core is shared runs slower), and
 * then a single-threaded run takes the speed of the CPU it lands on: on
 * the 2026-12-06 host cpu0 ran 15% slower than cpu1, and as fast an hour
 * later (notes/methodology.md).  Returns the slowest CPU's median over the
 * fastest's (0: fewer than two CPUs). */
static double speed_per_cpu(char *b, size_t len)
{
	double ns[SPEED_CPU_SLICES], fast = 0, slow = 0;
	cpu_set_t old, one;
	size_t off;
	int k = 0;

	b[0] = '\0';
	if (sched_getaffinity(0, sizeof(old), &old) || CPU_COUNT(&old) < 2)
		return 0;
	off = (size_t)snprintf(b, len, "; per CPU");
	for (int c = 0; c < CPU_SETSIZE && k < SPEED_CPU_MAX; c++) {
		double m;

		if (!CPU_ISSET(c, &old))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		m = speed_slices(ns, SPEED_CPU_SLICES);
		if (off < len)
			off += (size_t)snprintf(b + off, len - off, "%s cpu%d %.3f", k ? "," : "", c, m);
		if (!k || m < fast)
			fast = m;
		if (!k || m > slow)
			slow = m;
		k++;
	}
	sched_setaffinity(0, sizeof(old), &old);
	if (k < 2) {
		b[0] = '\0';
		return 0;
	}
	if (off < len)
		snprintf(b + off, len - off, " ns (slowest +%.0f%%)", 100 * (slow / fast - 1));
	return slow / fast;
}

/* bare: print only the figures (`--speed`, for the lab's env.json and
 * `make bench`), else a doctor line with its verdict and fix. */
static void check_speed(bool bare)
{
	double ns[SPEED_SLICES], med, slow, cpus;
	char buf[512], percpu[320];
	bool varies;

	med = speed_slices(ns, SPEED_SLICES);
	slow = ns[SPEED_SLICES * 9 / 10];
	cpus = speed_per_cpu(percpu, sizeof(percpu));
	snprintf(buf, sizeof(buf), "%.3f ns per cpu-loop iteration (median of %d slices), "
		 "slowest tenth +%.0f%%, slowest +%.0f%%%s", med, SPEED_SLICES,
		 100 * (slow / med - 1), 100 * (ns[SPEED_SLICES - 1] / med - 1), percpu);
	if (bare) {
		puts(buf);
		return;
	}
	varies = slow > (1 + SPEED_SPREAD_WARN) * med;
	report(varies || cpus > 1 + SPEED_SPREAD_WARN ? WARN : OK, "CPU speed", buf,
	       varies ? "this machine's speed varies (another guest on the host, frequency "
	       "scaling): keep --repeat >= 3; the ledger says 'not measured' if it varies under "
	       "the cpu experiment" :
	       "the CPUs run at different speeds (a vCPU on a shared host core, or big and "
	       "little cores): a single-threaded run takes the speed of the CPU it lands on; "
	       "keep --repeat >= 3; the ledger says 'not measured' if it shows in the cpu "
	       "experiment");
}

/* ---- what entering the kernel costs here ----
 *
 * The lab's absolute figures scale with two kernel costs that differ a lot
 * between machines, and most between VMs: a system call's round trip (a
 * thread switch is two futex calls and the scheduler; page table isolation
 * or a hypervisor exit per entry can make it ten times dearer) and the
 * first touch of a page (a coroutine's creation cost is mostly that fault;
 * a host that backs guest memory lazily, or takes freed pages back, adds its
 * own fault under it).  Measured with getppid() and fresh anonymous pages;
 * medians of batches, so one slow stretch does not set the figure. */
#define COST_SYSCALL_BATCHES 15
#define COST_SYSCALL_CALLS 10000
#define COST_TOUCH_BATCHES 16
#define COST_TOUCH_PAGES 256

static int kernel_costs(char *out, size_t len)
{
	double sys[COST_SYSCALL_BATCHES], touch[COST_TOUCH_BATCHES];
	long page = sysconf(_SC_PAGESIZE);
	size_t span = (size_t)page * COST_TOUCH_PAGES * COST_TOUCH_BATCHES;
	char *m;

	for (int b = 0; b < COST_SYSCALL_BATCHES; b++) {
		uint64_t t0 = coro__now_ns();

		for (int i = 0; i < COST_SYSCALL_CALLS; i++)
			syscall(SYS_getppid);	/* not cached by libc */
		sys[b] = (double)(coro__now_ns() - t0) / COST_SYSCALL_CALLS;
	}
	qsort(sys, COST_SYSCALL_BATCHES, sizeof(*sys), cmp_double);
	m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	madvise(m, span, MADV_NOHUGEPAGE);	/* one fault per 4 KiB page, as a stack takes them */
	for (int b = 0; b < COST_TOUCH_BATCHES; b++) {
		volatile char *p = m + (size_t)b * COST_TOUCH_PAGES * (size_t)page;
		uint64_t t0 = coro__now_ns();

		for (int i = 0; i < COST_TOUCH_PAGES; i++)
			p[(size_t)i * (size_t)page] = 1;
		touch[b] = (double)(coro__now_ns() - t0) / COST_TOUCH_PAGES;
	}
	munmap(m, span);
	qsort(touch, COST_TOUCH_BATCHES, sizeof(*touch), cmp_double);
	snprintf(out, len, "system call %.0f ns (getppid), first touch of a page %.1f us "
		 "(fault and zeroing; medians)", sys[COST_SYSCALL_BATCHES / 2],
		 touch[COST_TOUCH_BATCHES / 2] / 1e3);
	return 0;
}

static void check_costs(bool bare)
{
	char buf[192];
	int err = kernel_costs(buf, sizeof(buf));

	if (err)
		snprintf(buf, sizeof(buf), "not measured: %s", strerror(-err));
	if (bare)
		puts(buf);
	else
		report(err ? WARN : OK, "kernel entry costs", buf,
		       err ? "a 16 MiB anonymous mmap failed: check ulimit -v and the memory cgroup" : NULL);
}

static void check_sched_info(void)
{
	static const char fix[] = "boot a kernel with CONFIG_SCHED_INFO=y (CONFIG_SCHEDSTATS=y or "
				  "CONFIG_TASK_DELAY_ACCT=y select it); before Linux 5.14 also drop "
				  "'nodelayacct' from the kernel command line";
	unsigned long long rd, pc, gained;
	const char *src = "";
	char cfg[192] = "", buf[320];
	int kc = kconfig_sched_info(&src), err;

	if (kc >= 0)
		snprintf(cfg, sizeof(cfg), "; CONFIG_SCHED_INFO%s (%s)", kc ? "=y" : " not set", src);
	err = read_schedstat(&rd, &pc);
	if (err == -ENOENT || kc == 0) {
		snprintf(buf, sizeof(buf), "%s: run-queue latency is never measured%s",
			 err == -ENOENT ? "no /proc/self/schedstat" : "not built", cfg);
		report(MISSING, "CONFIG_SCHED_INFO", buf, fix);
		return;
	}
	if (err) {
		snprintf(buf, sizeof(buf), "/proc/self/schedstat unreadable: %s%s", strerror(-err), cfg);
		report(WARN, "CONFIG_SCHED_INFO", buf, "run-queue latency may be empty: check that /proc "
		       "is mounted with the process's pid namespace (mount -t proc proc /proc)");
		return;
	}
	err = forced_wait(&gained);
	if (!err && gained) {
		snprintf(buf, sizeof(buf), "kept: run_delay moved %.0f us in a forced run-queue wait%s",
			 (double)gained / 1e3, cfg);
		report(OK, "CONFIG_SCHED_INFO", buf, NULL);
	} else if (!rd && !pc && !gained) {
		/* sched_info_on() false: proc_pid_schedstat prints "0 0 0". */
		snprintf(buf, sizeof(buf), "off: /proc/self/schedstat reads 0 0 0, so no run-queue "
			 "wait is measured%s", cfg);
		report(MISSING, "CONFIG_SCHED_INFO", buf, fix);
	} else {
		snprintf(buf, sizeof(buf), "built (%llu timeslices counted), but %s%s", pc,
			 err ? "the forced run-queue wait could not be set up" :
			 "run_delay did not move in a forced run-queue wait", cfg);
		report(WARN, "CONFIG_SCHED_INFO", buf, "run-queue latency may be empty; "
		       "check /proc/PID/schedstat's second field under load");
	}
}

int cmd_doctor(int argc, char **argv)
{
	char buf[160];
	int essential = 0, rc, n;
	struct io_uring ring;
	struct io_uring_params iop;
	struct statfs sfs;
	struct rlimit rl;
	long v;
	bool priv;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("USAGE: corolab doctor [--speed | --idle | --costs]\n\nChecks BTF, tp_btf/raw_tp, ring buffer, "
			       "io_uring, MADV_GUARD_INSTALL, tracefs,\nCONFIG_SCHED_INFO (run-queue latency), "
			       "how steady the CPU speed is, how idle CPUs\nwait, what a system call and a "
			       "page's first touch cost, pid_max,\nvm.max_map_count, RLIMIT_NOFILE and "
			       "privileges; prints a fix for each gap.\n\n"
			       "  --speed   only the CPU speed check, its figures alone on one line\n"
			       "            (~0.7 s; the lab records it in env.json at its start and\n"
			       "            end, make bench prints it before and after)\n"
			       "  --idle    only how idle CPUs wait, on one line (the lab records it)\n"
			       "  --costs   only what a system call and a page's first touch cost here,\n"
			       "            on one line (the lab records it; ~0.1 s)\n\n"
			       "EXAMPLES:\n  sudo corolab doctor\n  corolab doctor --speed\n");
			return 0;
		}
		if (argc == 2 && !strcmp(argv[1], "--speed")) {
			check_speed(true);
			return 0;
		}
		if (argc == 2 && !strcmp(argv[1], "--idle")) {
			check_idle(true);
			return 0;
		}
		if (argc == 2 && !strcmp(argv[1], "--costs")) {
			check_costs(true);
			return 0;
		}
		fprintf(stderr, "corolab doctor: unknown argument '%s' (try 'corolab doctor --help')\n",
			argv[1]);
		return 2;
	}
	libbpf_set_print(silent);

	priv = geteuid() == 0 || trace_privileged();
	report(priv ? OK : WARN, "privileges", priv ? "root or CAP_BPF+CAP_PERFMON" : "unprivileged",
	       "run 'sudo corolab doctor' (and trace) for the BPF checks");

	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		report(OK, "kernel BTF", "/sys/kernel/btf/vmlinux", NULL);
	else
		essential |= report(MISSING, "kernel BTF", "/sys/kernel/btf/vmlinux absent",
				    "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y") == MISSING;

	if (priv) {
		int btf = probe_tp_btf("sched_switch"), raw = probe_raw_tp("sched_switch");
		bool rb = probe_ringbuf() == 1, io = probe_tp_in_btf("io_uring_submit_req"),
		     pf = probe_tp_in_btf("page_fault_user");

		if (btf == 1)
			report(OK, "tp_btf", "loads and attaches (corolab trace uses it)", NULL);
		else
			report(WARN, "tp_btf", "not available (raw_tp twins are used instead)",
			       "needs kernel BTF (CONFIG_DEBUG_INFO_BTF=y) and Linux >= 5.5");
		if (raw == 1)
			report(OK, "raw_tp", "loads and attaches", NULL);
		else
			report(btf == 1 ? WARN : MISSING, "raw_tp", "not available",
			       "needs CONFIG_BPF_EVENTS; check dmesg and lockdown");
		if (btf != 1 && raw != 1)
			essential = 1;
		report(rb ? OK : WARN, "BPF ring buffer", rb ? "available (--timeline)" : "not available",
		       "Linux >= 5.8 needed for --timeline");
		report(io ? OK : WARN, "io_uring tracepoints", io ? "in BTF" : "absent",
		       "io_uring:io_uring_submit_req is Linux >= 6.0's (CONFIG_IO_URING=y); without it the "
		       "trace's io_uring counts stay zero");
		report(pf ? OK : WARN, "page fault tracepoints",
		       pf ? "exceptions:page_fault_user/kernel" : "absent (non-x86?)",
		       "exceptions:page_fault_* exist on x86 only: elsewhere the trace has no page-fault "
		       "figures; `corolab run` still reports rusage's minflt");
		probe_release();
	} else {
		report(WARN, "tp_btf / raw_tp", "not probed (needs privileges)", "run with sudo");
	}

	memset(&iop, 0, sizeof(iop));
	rc = io_uring_queue_init_params(8, &ring, &iop);
	if (rc == 0) {
		struct io_uring_probe *p = io_uring_get_probe_ring(&ring);

		n = 0;
		if (p) {
			for (int op = 0; op < p->ops_len; op++)
				n += !!(p->ops[op].flags & IO_URING_OP_SUPPORTED);
			/* min-wait: serve's batched wake-ups */
			snprintf(buf, sizeof(buf), "works; %d ops; TIMEOUT %s, NOP %s; min-wait %s", n,
				 io_uring_opcode_supported(p, IORING_OP_TIMEOUT) ? "yes" : "no",
				 io_uring_opcode_supported(p, IORING_OP_NOP) ? "yes" : "no",
				 iop.features & CORO_FEAT_MIN_TIMEOUT ? "yes (serve batches wake-ups)" :
				 "no (serve wakes per event; Linux 6.12+)");
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

	check_sched_info();
	check_speed(false);
	check_idle(false);
	check_costs(false);

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
