// SPDX-License-Identifier: MIT
/*
 * switch: the cost of one switch between two tasks, the write-up's
 * "coroutine switching is nearly free, thread switching is expensive".
 * Two tasks pass a token back and forth --tasks times (round trips); every
 * hand-off is one switch, so switches = 2 x round trips.
 *
 *   coroutines  two coroutines yielding to each other (coro_switch), plus
 *               glibc's swapcontext doing the same, measured in the same run
 *               as a baseline (it also saves the signal mask: a syscall);
 *   threads     two threads pinned to one CPU handing a futex word over, so
 *               each hand-off is a real kernel context switch;
 *   processes   two processes pinned to one CPU, a byte through two pipes.
 *
 * Pinning to one CPU (--cpu, default 0) measures the switch itself; on two
 * CPUs the threads would spin-wake across cores and measure IPIs instead.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "workloads/workload.h"

struct sw_ctx {
	long rounds;
	int cpu;
	atomic_int turn;	/* threads: whose turn it is, 0 or 1 */
};

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* ---- coroutines ---- */

static int coro_pingpong(void *arg)
{
	struct sw_ctx *c = arg;

	for (long i = 0; i < c->rounds; i++)
		coro__yield();
	return 0;
}

static ucontext_t uc_main, uc_a, uc_b;
static long uc_rounds;

static void uc_a_fn(void)
{
	for (long i = 0; i < uc_rounds; i++)
		swapcontext(&uc_a, &uc_b);
}

static void uc_b_fn(void)
{
	for (;;)
		swapcontext(&uc_b, &uc_a);
}

/* glibc swapcontext ping-pong: 2 x rounds switches.  Returns ns/switch. */
static double swapcontext_ns(long rounds)
{
	static char stack_a[64 << 10], stack_b[64 << 10];
	uint64_t t0, t1;

	uc_rounds = rounds;
	getcontext(&uc_a);
	uc_a.uc_stack = (stack_t){ .ss_sp = stack_a, .ss_size = sizeof(stack_a) };
	uc_a.uc_link = &uc_main;
	makecontext(&uc_a, uc_a_fn, 0);
	getcontext(&uc_b);
	uc_b.uc_stack = (stack_t){ .ss_sp = stack_b, .ss_size = sizeof(stack_b) };
	uc_b.uc_link = &uc_main;
	makecontext(&uc_b, uc_b_fn, 0);
	t0 = coro__now_ns();
	swapcontext(&uc_main, &uc_a);
	t1 = coro__now_ns();
	return rounds ? (double)(t1 - t0) / (2.0 * (double)rounds) : 0;
}

static int run_coroutines(struct sw_ctx *c, uint64_t *ns, struct exec_result *r)
{
	struct coro_loop *l;
	uint64_t t0;
	int err = loop__new(&l, NULL);

	if (err)
		return err;
	coro__spawn(l, coro_pingpong, c, "ping", NULL);
	coro__spawn(l, coro_pingpong, c, "pong", NULL);
	t0 = coro__now_ns();
	err = loop__run(l);
	*ns = coro__now_ns() - t0;
	loop__stats(l, &r->coro);
	r->has_coro = true;
	r->os_threads = 1;
	loop__free(l);
	return err;
}

/* ---- threads ---- */

static long futex(atomic_int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void pass_token(struct sw_ctx *c, int me)
{
	for (long i = 0; i < c->rounds; i++) {
		int v;

		while ((v = atomic_load(&c->turn)) != me)
			futex(&c->turn, FUTEX_WAIT_PRIVATE, v);
		atomic_store(&c->turn, !me);
		futex(&c->turn, FUTEX_WAKE_PRIVATE, 1);
	}
}

static void *thread_b(void *arg)
{
	struct sw_ctx *c = arg;

	pin(c->cpu);
	pass_token(c, 1);
	return NULL;
}

static int run_threads(struct sw_ctx *c, uint64_t *ns, struct exec_result *r)
{
	cpu_set_t old;
	pthread_t t;
	uint64_t t0;
	int err;

	sched_getaffinity(0, sizeof(old), &old);
	if ((err = pin(c->cpu)))
		return err;
	atomic_store(&c->turn, 0);
	t0 = coro__now_ns();
	err = pthread_create(&t, NULL, thread_b, c);
	if (err) {
		sched_setaffinity(0, sizeof(old), &old);
		return -err;
	}
	pass_token(c, 0);
	pthread_join(t, NULL);
	*ns = coro__now_ns() - t0;
	sched_setaffinity(0, sizeof(old), &old);
	r->os_threads = 2;
	r->workers_created = 1;
	return 0;
}

/* ---- processes ---- */

static int run_processes(struct sw_ctx *c, uint64_t *ns, struct exec_result *r)
{
	int ab[2], ba[2], status;
	cpu_set_t old;
	char b = 0;
	uint64_t t0;
	pid_t pid;

	if (pipe(ab) || pipe(ba))
		return -errno;
	sched_getaffinity(0, sizeof(old), &old);
	pin(c->cpu);
	t0 = coro__now_ns();
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		sched_setaffinity(0, sizeof(old), &old);
		close(ab[0]);
		close(ab[1]);
		close(ba[0]);
		close(ba[1]);
		return err;
	}
	if (pid == 0) {
		/* Each side keeps only its own ends: if the parent dies (a
		 * signal to it alone), the next read sees EOF and the partner
		 * exits instead of waiting forever on a pipe it holds open
		 * itself.  The death signal covers a partner not in read(). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ab[1]);
		close(ba[0]);
		for (long i = 0; i < c->rounds; i++)
			if (read(ab[0], &b, 1) != 1 || write(ba[1], &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	for (long i = 0; i < c->rounds; i++)
		if (write(ab[1], &b, 1) != 1 || read(ba[0], &b, 1) != 1)
			break;
	close(ab[1]);
	close(ba[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ns = coro__now_ns() - t0;
	sched_setaffinity(0, sizeof(old), &old);
	r->os_threads = 2;
	r->workers_created = 1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static void sw_defaults(struct run_opts *o, enum exec_mode m)
{
	(void)m;
	if (o->tasks < 0)
		o->tasks = 100000;
	if (o->workers < 0)
		o->workers = 2;
	if (o->cpu < 0)
		o->cpu = 0;
}

static int sw_run(const struct run_opts *o, enum exec_mode m, json_t *out)
{
	struct sw_ctx c = { .rounds = o->tasks, .cpu = o->cpu };
	struct exec_result r = { 0 };
	uint64_t ns = 0;
	double switches = 2.0 * (double)o->tasks;
	int err;

	switch (m) {
	case EXEC_COROUTINES: err = run_coroutines(&c, &ns, &r); break;
	case EXEC_THREADS: err = run_threads(&c, &ns, &r); break;
	case EXEC_PROCESSES: err = run_processes(&c, &ns, &r); break;
	default: return -EINVAL;
	}
	if (err)
		return err;
	r.ok = 2;
	r.wall_ns = ns;
	workload_add_exec(out, &r);
	json_object_set_new(out, "workers", json_integer(2));
	json_object_set_new(out, "switches", json_real(switches));
	json_object_set_new(out, "ns_per_switch", json_real((double)ns / switches));
	if (m == EXEC_COROUTINES)
		json_object_set_new(out, "swapcontext_ns_per_switch", json_real(swapcontext_ns(o->tasks)));
	json_object_set_new(out, "params", json_pack("{s:I, s:i}", "round_trips", (json_int_t)o->tasks,
						     "pinned_cpu", o->cpu));
	return 0;
}

static void sw_print(FILE *f, json_t *r)
{
	json_t *sc = json_object_get(r, "swapcontext_ns_per_switch");

	fprintf(f, "%-11s %.1f ns per switch", json_string_value(json_object_get(r, "mode")),
		json_number_value(json_object_get(r, "ns_per_switch")));
	if (sc)
		fprintf(f, " (glibc swapcontext in the same run: %.1f ns)", json_number_value(sc));
	fputc('\n', f);
}

const struct workload workload_switch = {
	.name = "switch",
	.summary = "two tasks pass a token --tasks times: ns per switch (\"switching is nearly free\")",
	.modes = 1u << EXEC_THREADS | 1u << EXEC_COROUTINES | 1u << EXEC_PROCESSES,
	.why_not = "a switch needs two tasks running concurrently",
	.defaults = sw_defaults,
	.run = sw_run,
	.print = sw_print,
};
