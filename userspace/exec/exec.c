// SPDX-License-Identifier: MIT
/*
 * The four executors.  Each runs tasks 0..tasks-1 and reports how many OS
 * threads it needed at its peak:
 *
 *   sequential   the caller's thread, one task after another       (1)
 *   threads      `workers` pthreads pulling task indexes from a shared
 *                counter, like ThreadPoolExecutor; one per task when
 *                workers >= tasks                                   (1 + workers)
 *   coroutines   one coroutine per task on one loop, all at once   (1)
 *   processes    `workers` forked children pulling indexes from a counter
 *                in shared memory; results come back the same way  (1 + workers)
 *
 * Thread creation failures (EAGAIN at pid_max, threads-max or a memory
 * limit) stop the run cleanly: the pool stops handing out tasks, joins what
 * it created and returns -EAGAIN with workers_created set.
 */
#include "exec/exec.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const mode_names[EXEC_NMODES] = {
	[EXEC_SEQUENTIAL] = "sequential",
	[EXEC_THREADS] = "threads",
	[EXEC_COROUTINES] = "coroutines",
	[EXEC_PROCESSES] = "processes",
};

const char *exec_mode_name(enum exec_mode m)
{
	return (unsigned)m < EXEC_NMODES ? mode_names[m] : "?";
}

int exec_mode_parse(const char *s, enum exec_mode *m)
{
	for (int i = 0; i < EXEC_NMODES; i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = (enum exec_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

int exec_tid(void)
{
	return (int)syscall(SYS_gettid);
}

bool exec_in_coroutine(void)
{
	return coro__self() != NULL;
}

int exec_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	if (exec_in_coroutine())
		return coro__sleep_ns(ns);
	/* Restart on EINTR with what is left (nanosleep writes it back). */
	while (nanosleep(&ts, &ts) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* State shared by the workers of one run.  In processes mode the whole
 * struct and the results array live in a MAP_SHARED mapping. */
struct shared {
	atomic_long next;	/* next task index to hand out */
	atomic_long ok, failed;
	atomic_int stop;	/* creation failed: hand out no more tasks */
};

struct run_ctx {
	const struct exec_spec *s;
	struct shared *sh;
	char *results;
};

static void run_one(struct run_ctx *rc, long i)
{
	void *slot = rc->s->result_size ? rc->results + (size_t)i * rc->s->result_size : NULL;
	int err = rc->s->fn(rc->s->ctx, i, slot);

	if (err)
		atomic_fetch_add(&rc->sh->failed, 1);
	else
		atomic_fetch_add(&rc->sh->ok, 1);
}

static void worker_loop(struct run_ctx *rc)
{
	for (;;) {
		long i;

		if (atomic_load(&rc->sh->stop))
			return;
		i = atomic_fetch_add(&rc->sh->next, 1);
		if (i >= rc->s->tasks)
			return;
		run_one(rc, i);
	}
}

static void *thread_main(void *arg)
{
	struct run_ctx *rc = arg;

	pin_self(rc->s->cpu);
	worker_loop(rc);
	return NULL;
}

static long nworkers(const struct exec_spec *s)
{
	return s->workers <= 0 || s->workers > s->tasks ? s->tasks : s->workers;
}

static int run_threads(struct run_ctx *rc, struct exec_result *r)
{
	long n = nworkers(rc->s), created = 0;
	pthread_t *tids = calloc((size_t)(n ? n : 1), sizeof(*tids));
	pthread_attr_t attr;
	int err = 0;

	if (!tids)
		return -ENOMEM;
	pthread_attr_init(&attr);
	if (rc->s->thread_stack)
		pthread_attr_setstacksize(&attr, rc->s->thread_stack);
	for (; created < n; created++) {
		err = pthread_create(&tids[created], &attr, thread_main, rc);
		if (err) {
			atomic_store(&rc->sh->stop, 1);
			err = -err;
			break;
		}
	}
	pthread_attr_destroy(&attr);
	for (long i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	r->workers_created = created;
	r->os_threads = 1 + (int)created;
	return err;
}

static int run_processes(struct run_ctx *rc, struct exec_result *r)
{
	long n = nworkers(rc->s), created = 0;
	pid_t *pids = calloc((size_t)(n ? n : 1), sizeof(*pids)), parent = getpid();
	int err = 0;

	if (!pids)
		return -ENOMEM;
	for (; created < n; created++) {
		pid_t pid = fork();

		if (pid < 0) {
			err = -errno;
			atomic_store(&rc->sh->stop, 1);
			break;
		}
		if (pid == 0) {
			/* Die with the caller: a worker orphaned by a SIGTERM
			 * to the caller alone would run its tasks on. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			pin_self(rc->s->cpu);
			worker_loop(rc);
			_exit(0);
		}
		pids[created] = pid;
	}
	for (long i = 0; i < created; i++) {
		struct rusage ru;
		int status;

		while (wait4(pids[i], &status, 0, &ru) < 0) {
			if (errno != EINTR) {
				memset(&ru, 0, sizeof(ru));
				break;
			}
		}
		/* A worker that died mid-task leaves that task uncounted. */
		r->workers_utime_s += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
		r->workers_stime_s += (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		if (ru.ru_maxrss > r->workers_maxrss_kb)
			r->workers_maxrss_kb = ru.ru_maxrss;
	}
	free(pids);
	r->workers_created = created;
	r->os_threads = 1 + (int)created;
	return err;
}

struct coro_task {
	struct run_ctx *rc;
	long i;
};

static int coro_main(void *arg)
{
	struct coro_task *t = arg;

	run_one(t->rc, t->i);
	return 0;
}

static int run_coroutines(struct run_ctx *rc, struct exec_result *r)
{
	struct coro_loop_opts o = { .stack_size = rc->s->stack_size,
				    .guard_mprotect = rc->s->guard_mprotect };
	struct coro_task *tasks;
	struct coro_loop *l;
	int err;

	tasks = calloc((size_t)(rc->s->tasks ? rc->s->tasks : 1), sizeof(*tasks));
	if (!tasks)
		return -ENOMEM;
	err = loop__new(&l, &o);
	if (err) {
		free(tasks);
		return err;
	}
	for (long i = 0; i < rc->s->tasks; i++) {
		tasks[i] = (struct coro_task){ rc, i };
		err = coro__spawn(l, coro_main, &tasks[i], NULL, NULL);
		if (err)
			break;
	}
	if (!err)
		err = loop__run(l);
	loop__stats(l, &r->coro);
	r->has_coro = true;
	r->workers_created = 0;
	r->os_threads = 1;
	loop__free(l);
	free(tasks);
	return err;
}

int exec__run(const struct exec_spec *s, struct exec_result *r)
{
	size_t res_len = (size_t)(s->tasks > 0 ? s->tasks : 1) * s->result_size;
	size_t map_len = sizeof(struct shared) + res_len;
	struct run_ctx rc = { .s = s };
	struct timespec t0, t1;
	void *map;
	int err;

	memset(r, 0, sizeof(*r));
	if (!s->fn || s->tasks < 0 || (unsigned)s->mode >= EXEC_NMODES)
		return -EINVAL;
	/* One mapping for both: shared with forked workers in processes mode,
	 * an ordinary private allocation otherwise. */
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   (s->mode == EXEC_PROCESSES ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	rc.sh = map;
	rc.results = (char *)map + sizeof(struct shared);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (s->mode) {
	case EXEC_SEQUENTIAL: {
		cpu_set_t old;
		int pinned = s->cpu >= 0 && !sched_getaffinity(0, sizeof(old), &old);

		if (pinned)
			pin_self(s->cpu);
		worker_loop(&rc);
		if (pinned)
			sched_setaffinity(0, sizeof(old), &old);
		r->os_threads = 1;
		err = 0;
		break;
	}
	case EXEC_THREADS:
		err = run_threads(&rc, r);
		break;
	case EXEC_COROUTINES: {
		cpu_set_t old;
		int pinned = s->cpu >= 0 && !sched_getaffinity(0, sizeof(old), &old);

		if (pinned)
			pin_self(s->cpu);
		err = run_coroutines(&rc, r);
		if (pinned)
			sched_setaffinity(0, sizeof(old), &old);
		break;
	}
	case EXEC_PROCESSES:
		err = run_processes(&rc, r);
		break;
	default:
		err = -EINVAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->wall_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
		     (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
	r->ok = atomic_load(&rc.sh->ok);
	r->failed = atomic_load(&rc.sh->failed);
	if (s->result_size) {
		r->results = malloc(res_len);
		if (r->results)
			memcpy(r->results, rc.results, res_len);
		else if (!err)
			err = -ENOMEM;
	}
	munmap(map, map_len);
	return err;
}

void exec_result__free(struct exec_result *r)
{
	free(r->results);
	r->results = NULL;
}
