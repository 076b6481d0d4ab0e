// SPDX-License-Identifier: MIT
/* Description: with mprotect guard pages (two mappings per stack) the stack
 * pool fills up to vm.max_map_count, then coro__spawn returns -ENOMEM — again
 * on every later try, never a crash — and every coroutine created still runs
 * and the loop frees cleanly.  Uses this machine's own limit: no sysctl is
 * changed, no root needed. */
#include <errno.h>
#include <string.h>

#include "coro/coro.h"
#include "util/util.h"
#include "test.h"

static long done;

static int short_sleep(void *arg)
{
	(void)arg;
	T_ASSERT(coro__sleep_ns(1000000) == 0, "sleep");
	done++;
	return 0;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(void)
{
	struct coro_loop_opts o = { .stack_size = 8192, .guard_mprotect = 1 };
	long max = read_long("/proc/sys/vm/max_map_count"), floor, spawned = 0, maps;
	struct coro_loop *l;
	struct coro_stats st;
	int err;

#if defined(__SANITIZE_ADDRESS__)
	/* ASan maps its own shadow and allocator memory as it goes: at the
	 * limit its mmap fails first and it aborts ("Failed to mmap"). */
	T_SKIP("sanitizer build (ASan needs mappings of its own past vm.max_map_count; the plain build runs this)");
#endif
	if (max <= 0)
		T_SKIP("cannot read /proc/sys/vm/max_map_count");
	/* Each coroutine touches a page or two of its stack: 70k is ~0.5 GB. */
	if (max > 140000)
		T_SKIP("vm.max_map_count is %ld: reaching it takes %ld coroutines, too many for a test",
		       max, max / 2);
	err = loop__new(&l, &o);
	if (err == -ENOSYS || err == -EPERM)
		T_SKIP("io_uring unavailable (%s)", strerror(-err));
	T_ASSERT(err == 0, "loop__new: %s", strerror(-err));
	floor = proc_map_count();
	for (long i = 0; i < max; i++) {	/* more than can ever fit */
		err = coro__spawn(l, short_sleep, NULL, NULL, NULL);
		if (err)
			break;
		spawned++;
	}
	T_ASSERT(err == -ENOMEM, "spawn at the limit gave %d (%s), want -ENOMEM", err, strerror(-err));
	maps = proc_map_count();
	loop__stats(l, &st);
	printf("max_map_count %ld: %ld coroutines before ENOMEM, %ld mappings (%ld before), guard=%s\n",
	       max, spawned, maps, floor, st.guard_madvise ? "madvise" : "mprotect");
	T_ASSERT(!st.guard_madvise, "guard_mprotect ignored");
	T_ASSERT(st.spawned == (uint64_t)spawned, "stats spawned %lu vs %ld",
		 (unsigned long)st.spawned, spawned);
	/* The pool retries smaller chunks, so it stops within a few mappings of
	 * the limit, not a whole 8192-stack chunk (16384 mappings) short. */
	T_ASSERT(floor + 2 * spawned >= max - 64, "stopped early: %ld + 2 x %ld of %ld", floor, spawned,
		 max);
	/* A failed chunk leaves nothing behind: spawning again fails the same
	 * way (this used a freed free list once) and the map count is unchanged. */
	for (int i = 0; i < 3; i++)
		T_ASSERT(coro__spawn(l, short_sleep, NULL, NULL, NULL) == -ENOMEM, "spawn again %d", i);
	T_ASSERT(proc_map_count() == maps, "mappings changed after failed spawns: %ld -> %ld", maps,
		 proc_map_count());
	T_ASSERT(loop__run(l) == 0, "run");
	T_ASSERT(done == spawned, "%ld of %ld coroutines ran", done, spawned);
	loop__free(l);
	T_ASSERT(proc_map_count() < floor + 16, "stacks not unmapped: %ld mappings", proc_map_count());
	return T_EXIT_PASS;
}
