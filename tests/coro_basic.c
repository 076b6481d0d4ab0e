// SPDX-License-Identifier: MIT
/* Description: coroutine runtime basics: spawn/join/yield ordering, sleeps
 * ordered by deadline, park/unpark, wait groups, cancellation, deadlock
 * detection, interrupt (only a pending await), coro__call (runs on the
 * thread's stack, no awaits inside), stats, and many sleepers on few
 * kernel waits. */
#include <errno.h>
#include <string.h>

#include "coro/coro.h"
#include "test.h"

static char order[64];
static int order_len;

static int yielder(void *arg)
{
	const char *tag = arg;

	for (int i = 0; i < 3; i++) {
		order[order_len++] = tag[0];
		coro__yield();
	}
	return tag[0];
}

static int sleeper(void *arg)
{
	long ms = (long)arg;
	int err = coro__sleep_ns((uint64_t)ms * 1000000);

	T_ASSERT(err == 0, "sleep returned %d", err);
	order[order_len++] = (char)('0' + ms / 10);
	return 0;
}

static struct coro *parked;
static int parker(void *arg)
{
	(void)arg;
	parked = coro__self();
	return coro__park(0);
}

static int unparker(void *arg)
{
	(void)arg;
	coro__yield();
	T_ASSERT(coro__unpark(parked, 42) == 0, "unpark");
	return 0;
}

static struct coro_wg wg;
static int wg_task(void *arg)
{
	coro__sleep_ns((uint64_t)(long)arg * 1000000);
	wg__done(&wg);
	return 0;
}

static int wg_main(void *arg)
{
	struct coro_loop *l = arg;

	wg__add(&wg, 5);
	for (long i = 0; i < 5; i++)
		T_ASSERT(coro__spawn(l, wg_task, (void *)i, "wg", NULL) == 0, "spawn");
	T_ASSERT(wg__wait(&wg) == 0, "wg wait");
	T_ASSERT(wg.count == 0, "count %ld", wg.count);
	return 7;
}

static int long_sleeper(void *arg)
{
	(void)arg;
	return coro__sleep_ns(10ull * 1000000000);
}

static int canceller(void *arg)
{
	struct coro *victim = arg;
	int err;

	coro__sleep_ns(1000000);
	T_ASSERT(coro__cancel(victim) == 0, "cancel");
	err = 0;
	T_ASSERT(coro__join(victim, &err) == 0, "join");
	return err;
}

/* coro__interrupt: a no-op on a running or already woken coroutine (its
 * next await is unaffected), -ECANCELED for an await in progress. */
static struct coro *interruptee;
static int interrupt_target(void *arg)
{
	int *res = arg;

	interruptee = coro__self();
	T_ASSERT(coro__interrupt(interruptee) == -EAGAIN, "interrupting oneself");
	res[0] = coro__park(0);			/* the interrupter wakes this */
	res[1] = coro__park(0);			/* unparked: no stale interrupt */
	return 0;
}

static int interrupter(void *arg)
{
	(void)arg;
	T_ASSERT(coro__interrupt(interruptee) == 0, "interrupt a parked coroutine");
	T_ASSERT(coro__interrupt(interruptee) == -EAGAIN, "interrupt a woken coroutine");
	coro__yield();
	coro__yield();
	T_ASSERT(coro__unpark(interruptee, 5) == 0, "unpark");
	return 0;
}

/* coro__call: fn runs on the thread's stack (far from the coroutine's),
 * sees its caller as coro__self(), cannot await, returns its value. */
static struct coro *call_caller;
static char *call_caller_local;
static int called(void *arg)
{
	char here;
	long d = (long)(&here - call_caller_local);

	T_ASSERT(coro__self() == call_caller, "self inside a call");
	T_ASSERT(coro__sleep_ns(1) == -EPERM, "await inside a call");
	T_ASSERT(d > (1 << 20) || d < -(1 << 20), "call ran %ld bytes from the caller's frame", d);
	return (int)(long)arg + 1;
}

static int caller(void *arg)
{
	char local;

	(void)arg;
	call_caller = coro__self();
	call_caller_local = &local;
	T_ASSERT(coro__call(called, (void *)41L) == 42, "call result");
	T_ASSERT(coro__sleep_ns(1000) == 0, "await after a call");
	return coro__call(called, (void *)6L);
}

static int park_timeout(void *arg)
{
	(void)arg;
	return coro__park(2000000);
}

static int deadlocker(void *arg)
{
	(void)arg;
	return coro__park(0);
}

static int many_sleep(void *arg)
{
	(void)arg;
	return coro__sleep_ns(50000000);
}

/* Spawns 3,000 from its own 16 KiB stack: the stack pool grows (a chunk of
 * 8192 slots at most, their guard pages installed in batches) inside
 * coro__spawn, on this small stack. */
static int small_stack_spawner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3000; i++)
		if (coro__spawn(loop__current(), many_sleep, NULL, NULL, NULL))
			return -1;
	return 0;
}

static struct coro_loop *new_loop(void)
{
	struct coro_loop *l;
	int err = loop__new(&l, NULL);

	if (err == -ENOSYS || err == -EPERM)
		T_SKIP("io_uring unavailable (%s)", strerror(-err));
	T_ASSERT(err == 0, "loop__new: %s", strerror(-err));
	return l;
}

int main(void)
{
	struct coro_loop *l;
	struct coro *a, *b, *v, *cc;
	struct coro_stats st;
	int ra, rb;
	uint64_t t0;

	/* Outside a coroutine, awaits refuse. */
	T_ASSERT(coro__sleep_ns(1) == -EPERM, "sleep outside a coroutine");
	T_ASSERT(coro__self() == NULL, "self outside");

	/* yield interleaves in FIFO order; join returns the value. */
	l = new_loop();
	T_ASSERT(coro__spawn(l, yielder, "a", "a", &a) == 0, "spawn a");
	T_ASSERT(coro__spawn(l, yielder, "b", "b", &b) == 0, "spawn b");
	T_ASSERT(loop__run(l) == 0, "run");
	order[order_len] = 0;
	T_ASSERT(!strcmp(order, "ababab"), "order %s", order);
	T_ASSERT(coro__join(a, &ra) == 0 && ra == 'a', "join a");
	T_ASSERT(coro__join(b, &rb) == 0 && rb == 'b', "join b");
	loop__stats(l, &st);
	T_ASSERT(st.spawned == 2 && st.live == 0 && st.peak_live == 2, "stats %lu %lu %lu",
		 (unsigned long)st.spawned, (unsigned long)st.live, (unsigned long)st.peak_live);
	T_ASSERT(st.switches >= 6, "switches %lu", (unsigned long)st.switches);
	loop__free(l);

	/* Sleeps wake in deadline order, not spawn order. */
	order_len = 0;
	l = new_loop();
	coro__spawn(l, sleeper, (void *)30L, NULL, NULL);
	coro__spawn(l, sleeper, (void *)10L, NULL, NULL);
	coro__spawn(l, sleeper, (void *)20L, NULL, NULL);
	t0 = coro__now_ns();
	T_ASSERT(loop__run(l) == 0, "run");
	order[order_len] = 0;
	T_ASSERT(!strcmp(order, "123"), "sleep order %s", order);
	T_ASSERT(coro__now_ns() - t0 >= 30000000, "slept too little");
	T_ASSERT(coro__now_ns() - t0 < 300000000, "slept too long");
	loop__free(l);

	/* park/unpark carries a result. */
	l = new_loop();
	coro__spawn(l, parker, NULL, NULL, &a);
	coro__spawn(l, unparker, NULL, NULL, NULL);
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(coro__join(a, &ra) == 0 && ra == 42, "park result %d", ra);
	loop__free(l);

	/* Wait group. */
	l = new_loop();
	coro__spawn(l, wg_main, l, "main", &a);
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(coro__join(a, &ra) == 0 && ra == 7, "wg main %d", ra);
	loop__free(l);

	/* Cancelling a sleeper wakes it with -ECANCELED, at once. */
	l = new_loop();
	coro__spawn(l, long_sleeper, NULL, "victim", &v);
	coro__spawn(l, canceller, v, "canceller", &cc);
	t0 = coro__now_ns();
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(coro__now_ns() - t0 < 1000000000, "cancel took too long");
	T_ASSERT(coro__join(cc, &ra) == 0 && ra == -ECANCELED, "cancelled sleep gave %d", ra);
	loop__free(l);

	/* Interrupt wakes only an await in progress. */
	{
		int res[2] = { 1, 1 };

		l = new_loop();
		coro__spawn(l, interrupt_target, res, NULL, NULL);
		coro__spawn(l, interrupter, NULL, NULL, NULL);
		T_ASSERT(loop__run(l) == 0, "run");
		T_ASSERT(res[0] == -ECANCELED && res[1] == 5, "interrupt gave %d, then %d", res[0], res[1]);
		loop__free(l);
	}

	/* coro__call. */
	l = new_loop();
	coro__spawn(l, caller, NULL, NULL, &a);
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(coro__join(a, &ra) == 0 && ra == 7, "call returned %d", ra);
	loop__stats(l, &st);
	T_ASSERT(st.switches <= 4, "calls counted as switches: %lu", (unsigned long)st.switches);
	loop__free(l);

	/* A park with a timeout times out. */
	l = new_loop();
	coro__spawn(l, park_timeout, NULL, NULL, &a);
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(coro__join(a, &ra) == 0 && ra == -ETIMEDOUT, "park timeout %d", ra);
	loop__free(l);

	/* Nobody can wake a parked coroutine: the loop reports a deadlock. */
	l = new_loop();
	coro__spawn(l, deadlocker, NULL, NULL, NULL);
	T_ASSERT(loop__run(l) == -EDEADLK, "deadlock not detected");
	loop__free(l);

	/* 20,000 sleepers of 50 ms: one heap, few kernel waits, done fast. */
	l = new_loop();
	for (int i = 0; i < 20000; i++)
		T_ASSERT(coro__spawn(l, many_sleep, NULL, NULL, NULL) == 0, "spawn %d", i);
	t0 = coro__now_ns();
	T_ASSERT(loop__run(l) == 0, "run");
	loop__stats(l, &st);
	/* Deadlines spread over the spawn time (longer under sanitizers), so a
	 * few batches; never one kernel wait per sleeper. */
	T_ASSERT(st.kernel_waits < 20000 / 4, "kernel waits %lu", (unsigned long)st.kernel_waits);
	T_ASSERT(st.stack_bytes_touched < st.stack_bytes_mapped, "touched >= mapped");
	printf("20k sleepers: %.3f s, %lu kernel waits, %lu stacks, touched %lu KiB of %lu KiB, guard=%s\n",
	       (double)(coro__now_ns() - t0) / 1e9, (unsigned long)st.kernel_waits,
	       (unsigned long)st.stacks_mapped, (unsigned long)(st.stack_bytes_touched >> 10),
	       (unsigned long)(st.stack_bytes_mapped >> 10), st.guard_madvise ? "madvise" : "mprotect");
	loop__free(l);

	/* Growing the pool from a coroutine with a 16 KiB stack. */
	{
		struct coro_loop_opts o = { .stack_size = 16 << 10 };
		struct coro *sp;
		int rs = -1;

		T_ASSERT(loop__new(&l, &o) == 0, "loop__new (16 KiB stacks)");
		T_ASSERT(coro__spawn(l, small_stack_spawner, NULL, "spawner", &sp) == 0, "spawn spawner");
		T_ASSERT(loop__run(l) == 0, "run");
		T_ASSERT(coro__join(sp, &rs) == 0 && rs == 0, "spawner returned %d", rs);
		loop__stats(l, &st);
		T_ASSERT(st.spawned == 3001, "spawned %lu", (unsigned long)st.spawned);
		loop__free(l);
	}

	/* The mprotect fallback (kernels before 6.13): same behaviour, two
	 * mappings per stack instead of one region. */
	{
		struct coro_loop_opts o = { .guard_mprotect = 1 };

		T_ASSERT(loop__new(&l, &o) == 0, "loop__new (mprotect)");
		for (int i = 0; i < 1000; i++)
			T_ASSERT(coro__spawn(l, many_sleep, NULL, NULL, NULL) == 0, "spawn %d", i);
		T_ASSERT(loop__run(l) == 0, "run");
		loop__stats(l, &st);
		T_ASSERT(!st.guard_madvise && st.spawned == 1000, "fallback stats");
		loop__free(l);
	}
	return T_EXIT_PASS;
}
