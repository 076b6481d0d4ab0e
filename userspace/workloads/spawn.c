// SPDX-License-Identifier: MIT
/*
 * spawn: the write-up's memory test (section 4): create many tasks that
 * sleep 0.1 s — 1000 coroutines, 50 threads by default — and take RSS
 * snapshots before, once every task has started, and after all are done.
 *
 * "After creation" is when the last task has started running (taken from
 * inside that task), not when the last create call returned: a coroutine
 * that has not run yet has touched nothing, which would flatter coroutines.
 * Virtual size (VmSize) is recorded too: the write-up's "8 MB per thread"
 * is the default stack *reservation*, not memory in use — both numbers
 * are here so the report can show the difference.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "util/util.h"
#include "workloads/workload.h"

struct spawn_ctx {
	uint64_t ns;
	long tasks;
	atomic_long started;
	uint64_t t0;
	uint64_t all_started_ns;	/* written by the last task to start */
	long rss_created_kb, vm_created_kb;
};

static int spawn_task(void *ctx, long i, void *result)
{
	struct spawn_ctx *c = ctx;

	(void)i;
	(void)result;
	if (atomic_fetch_add(&c->started, 1) + 1 == c->tasks) {
		c->all_started_ns = coro__now_ns() - c->t0;
		proc_status_field("VmRSS", &c->rss_created_kb);
		proc_status_field("VmSize", &c->vm_created_kb);
	}
	return exec_sleep_ns(c->ns);
}

static void spawn_defaults(struct run_opts *o, enum exec_mode m)
{
	if (o->tasks < 0)
		o->tasks = m == EXEC_COROUTINES ? 1000 : 50;
	if (o->workers < 0)
		o->workers = m == EXEC_COROUTINES ? 1 : o->tasks;
	if (o->duration_ns == UINT64_MAX)
		o->duration_ns = 100000000ull;
}

static int spawn_run(const struct run_opts *o, enum exec_mode m, json_t *out)
{
	struct spawn_ctx c = { .ns = o->duration_ns, .tasks = o->tasks };
	struct exec_spec s = workload_exec_spec(o, m, spawn_task, &c, 0);
	long rss0 = 0, rss2 = 0, vm0 = 0, vm2 = 0;
	struct exec_result r;
	pthread_attr_t attr;
	size_t tstack = 0;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_getstacksize(&attr, &tstack);
	pthread_attr_destroy(&attr);
	if (o->thread_stack)
		tstack = o->thread_stack;
	proc_status_field("VmRSS", &rss0);
	proc_status_field("VmSize", &vm0);
	c.t0 = coro__now_ns();
	err = exec__run(&s, &r);
	proc_status_field("VmRSS", &rss2);
	proc_status_field("VmSize", &vm2);
	workload_add_exec(out, &r);
	json_object_set_new(out, "rss_kb", json_pack("{s:I, s:I, s:I}", "before", (json_int_t)rss0,
		"after_create", (json_int_t)c.rss_created_kb, "after_done", (json_int_t)rss2));
	json_object_set_new(out, "vm_kb", json_pack("{s:I, s:I, s:I}", "before", (json_int_t)vm0,
		"after_create", (json_int_t)c.vm_created_kb, "after_done", (json_int_t)vm2));
	if (o->tasks > 0) {
		json_object_set_new(out, "rss_per_task_bytes",
				    json_real((double)(c.rss_created_kb - rss0) * 1024.0 / (double)o->tasks));
		json_object_set_new(out, "vm_per_task_bytes",
				    json_real((double)(c.vm_created_kb - vm0) * 1024.0 / (double)o->tasks));
		json_object_set_new(out, "create_ns_per_task",
				    json_real((double)c.all_started_ns / (double)o->tasks));
	}
	json_object_set_new(out, "params", json_pack("{s:f, s:I, s:I}", "duration_s",
		(double)o->duration_ns / 1e9, "thread_stack_bytes", (json_int_t)tstack,
		"coro_stack_bytes", (json_int_t)(o->stack_size ? o->stack_size : 65536)));
	return err;
}

static void spawn_print(FILE *f, json_t *r)
{
	json_t *rss = json_object_get(r, "rss_kb");

	fprintf(f, "%-11s RSS %lld -> %lld -> %lld KiB; %.0f bytes RSS and %.0f bytes virtual per task; %.0f ns to create+start each\n",
		json_string_value(json_object_get(r, "mode")),
		json_integer_value(json_object_get(rss, "before")),
		json_integer_value(json_object_get(rss, "after_create")),
		json_integer_value(json_object_get(rss, "after_done")),
		json_number_value(json_object_get(r, "rss_per_task_bytes")),
		json_number_value(json_object_get(r, "vm_per_task_bytes")),
		json_number_value(json_object_get(r, "create_ns_per_task")));
}

const struct workload workload_spawn = {
	.name = "spawn",
	.summary = "1000 coroutines / 50 threads sleeping 0.1 s, RSS per task (section 4)",
	.modes = 1u << EXEC_THREADS | 1u << EXEC_COROUTINES,
	.why_not = "spawn measures many concurrent tasks in one process: threads or coroutines",
	.defaults = spawn_defaults,
	.run = spawn_run,
	.print = spawn_print,
};
