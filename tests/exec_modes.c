// SPDX-License-Identifier: MIT
/* Description: the four executors run every task exactly once, report
 * results and peak OS threads, tell sleeping coroutines from threads, and
 * fail cleanly (-EAGAIN, how many were created) when threads run out. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "exec/exec.h"
#include "test.h"

struct ctx {
	atomic_long runs;
};

static int task(void *vc, long i, void *result)
{
	struct ctx *c = vc;
	long *r = result;

	atomic_fetch_add(&c->runs, 1);
	*r = i * 2 + (exec_in_coroutine() ? 1000000 : 0);
	if (exec_sleep_ns(1000000))
		return -EIO;
	return i % 7 == 3 ? -EINVAL : 0;	/* some tasks fail on purpose */
}

static int sleepy(void *vc, long i, void *result)
{
	(void)vc;
	(void)i;
	(void)result;
	return exec_sleep_ns(200000000);
}

int main(void)
{
	const long n = 50;

	for (int m = 0; m < EXEC_NMODES; m++) {
		struct ctx *c = m == EXEC_PROCESSES ? NULL : calloc(1, sizeof(*c));
		struct ctx local = { 0 };
		struct exec_spec s = { .mode = (enum exec_mode)m, .tasks = n, .workers = 8,
				       .fn = task, .ctx = c ? c : &local, .result_size = sizeof(long),
				       .cpu = -1 };
		struct exec_result r;
		enum exec_mode back;
		int err = exec__run(&s, &r);

		T_ASSERT(err == 0, "%s: %s", exec_mode_name(s.mode), strerror(-err));
		T_ASSERT(!exec_mode_parse(exec_mode_name(s.mode), &back) && back == s.mode, "names");
		T_ASSERT(r.ok + r.failed == n, "%s: ok %ld failed %ld", exec_mode_name(s.mode), r.ok, r.failed);
		T_ASSERT(r.failed == 7, "%s: failed %ld", exec_mode_name(s.mode), r.failed);
		for (long i = 0; i < n; i++) {
			long want = i * 2 + (m == EXEC_COROUTINES ? 1000000 : 0);
			T_ASSERT(((long *)r.results)[i] == want, "%s: result %ld = %ld", exec_mode_name(s.mode),
				 i, ((long *)r.results)[i]);
		}
		if (m != EXEC_PROCESSES)
			T_ASSERT(atomic_load(&c->runs) == n, "runs %ld", atomic_load(&c->runs));
		T_ASSERT(r.os_threads == (m == EXEC_THREADS || m == EXEC_PROCESSES ? 9 : 1),
			 "%s: os_threads %d", exec_mode_name(s.mode), r.os_threads);
		T_ASSERT(r.has_coro == (m == EXEC_COROUTINES), "coro stats");
		if (m == EXEC_COROUTINES)
			T_ASSERT(r.coro.spawned == (uint64_t)n && r.coro.peak_live == (uint64_t)n, "coro stats");
		exec_result__free(&r);
		free(c);
	}
	T_ASSERT(exec_mode_parse("fibers", &(enum exec_mode){ 0 }) == -EINVAL, "bad mode");

	/* Thread-per-task when workers >= tasks; sleeping tasks overlap. */
	{
		struct exec_spec s = { .mode = EXEC_THREADS, .tasks = 20, .workers = 0, .fn = sleepy, .cpu = -1 };
		struct exec_result r;

		T_ASSERT(exec__run(&s, &r) == 0, "threads");
		T_ASSERT(r.os_threads == 21 && r.ok == 20, "thread per task: %d", r.os_threads);
		T_ASSERT(r.wall_ns < 2000000000ull, "20 x 0.2 s sleeps overlapped: %.2f s", r.wall_ns / 1e9);
		s.mode = EXEC_COROUTINES;
		T_ASSERT(exec__run(&s, &r) == 0, "coroutines");
		T_ASSERT(r.os_threads == 1 && r.ok == 20, "coroutines: %d", r.os_threads);
		T_ASSERT(r.wall_ns < 2000000000ull, "coroutine sleeps overlapped");
	}

	/* Out of threads: a pids cgroup (v1 or v2) with pids.max = 60 makes
	 * pthread_create fail with EAGAIN, as pid_max or threads-max would; the
	 * run reports how many it made and stops cleanly. */
	{
		char dir[128], path[160];
		const char *roots[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
		int status, ok = 0;
		FILE *f;
		pid_t pid;

		for (size_t i = 0; i < 3 && !ok; i++) {
			snprintf(dir, sizeof(dir), "%s/corolab-test-%d", roots[i], (int)getpid());
			if (mkdir(dir, 0755))
				continue;
			snprintf(path, sizeof(path), "%s/pids.max", dir);
			if ((f = fopen(path, "w")) && fprintf(f, "60\n") > 0 && !fclose(f))
				ok = 1;
			else
				rmdir(dir);
		}
		if (!ok) {
			printf("skip: no writable pids cgroup: thread-limit case not run\n");
			return T_EXIT_SKIP;
		}
		pid = fork();
		if (pid == 0) {
			struct exec_spec s = { .mode = EXEC_THREADS, .tasks = 2000, .workers = 0,
					       .fn = sleepy, .cpu = -1 };
			struct exec_result r;
			int err;

			snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
			f = fopen(path, "w");
			if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
				_exit(3);
			err = exec__run(&s, &r);
			if (err != -EAGAIN || r.workers_created <= 0 || r.workers_created >= 60)
				_exit(1);
			if (r.ok + r.failed > 2000)
				_exit(2);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		rmdir(dir);
		T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "thread limit: status %#x", status);
	}
	return T_EXIT_PASS;
}
