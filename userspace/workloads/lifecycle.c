// SPDX-License-Identifier: MIT
/*
 * lifecycle: the write-up's section 2.  Tasks A, B, C sleep 1.0, 0.5 and
 * 1.5 s; each logs "start", "waiting", "wait over", "computing" (sum of
 * range(1000)) and "done" with a timestamp and the OS thread id, then the
 * write-up's switch analysis counts changes of task between consecutive
 * events.  The tid column is the point: coroutines log every event from
 * one OS thread, threads from one thread per task.
 * --duration scales the delays (0.01 -> 10, 5, 15 ms) for tests.
 */
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define LC_EVENTS_PER_TASK 5

static const double lc_delays[] = { 1.0, 0.5, 1.5 };

struct lc_event {
	uint64_t t_ns;
	int tid;
	long task;
	const char *state;
};

struct lc_ctx {
	double scale;
	uint64_t t0;
	pthread_mutex_t mu;
	struct lc_event *ev;
	long nev;
	long sum;		/* results, so the "computing" step is not dropped */
};

static void lc_log(struct lc_ctx *c, long task, const char *state)
{
	uint64_t t = coro__now_ns() - c->t0;

	pthread_mutex_lock(&c->mu);
	c->ev[c->nev++] = (struct lc_event){ t, exec_tid(), task, state };
	pthread_mutex_unlock(&c->mu);
}

static int lc_task(void *ctx, long i, void *result)
{
	struct lc_ctx *c = ctx;
	volatile long s = 0;
	int err;

	(void)result;
	lc_log(c, i, "start");
	lc_log(c, i, "waiting");
	err = exec_sleep_ns((uint64_t)(lc_delays[i % 3] * c->scale * 1e9));
	lc_log(c, i, "wait over");
	lc_log(c, i, "computing");
	for (long k = 0; k < 1000; k++)
		s += k;
	__atomic_add_fetch(&c->sum, s, __ATOMIC_RELAXED);
	lc_log(c, i, "done");
	return err;
}

static void lc_name(long i, char *buf, size_t len)
{
	if (i < 26)
		snprintf(buf, len, "%c", (char)('A' + i));
	else
		snprintf(buf, len, "T%ld", i);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct lc_event *x = a, *y = b;

	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static void lc_defaults(struct run_opts *o, enum exec_mode m)
{
	if (o->tasks < 0)
		o->tasks = 3;
	if (o->workers < 0)
		o->workers = m == EXEC_THREADS ? o->tasks : 1;
	if (o->duration_ns == UINT64_MAX)
		o->duration_ns = 1000000000ull;
}

static int lc_run(const struct run_opts *o, enum exec_mode m, json_t *out)
{
	struct lc_ctx c = { .scale = (double)o->duration_ns / 1e9, .mu = PTHREAD_MUTEX_INITIALIZER };
	struct exec_spec s = workload_exec_spec(o, m, lc_task, &c, 0);
	json_t *events, *delays;
	struct exec_result r;
	long switches = 0, prev = -1, ntids = 0;
	int tids[64];
	int err;

	c.ev = calloc((size_t)o->tasks * LC_EVENTS_PER_TASK, sizeof(*c.ev));
	if (!c.ev)
		return -ENOMEM;
	c.t0 = coro__now_ns();
	err = exec__run(&s, &r);
	qsort(c.ev, (size_t)c.nev, sizeof(*c.ev), ev_cmp);
	events = json_array();
	for (long k = 0; k < c.nev; k++) {
		char name[24];
		bool seen = false;

		lc_name(c.ev[k].task, name, sizeof(name));
		json_array_append_new(events, json_pack("{s:f, s:s, s:s, s:i}",
			"t_s", (double)c.ev[k].t_ns / 1e9, "task", name, "state", c.ev[k].state,
			"tid", c.ev[k].tid));
		if (prev >= 0 && prev != c.ev[k].task)
			switches++;
		prev = c.ev[k].task;
		for (long t = 0; t < ntids; t++)
			seen |= tids[t] == c.ev[k].tid;
		if (!seen && ntids < 64)
			tids[ntids++] = c.ev[k].tid;
	}
	delays = json_array();
	for (long i = 0; i < o->tasks; i++)
		json_array_append_new(delays, json_real(lc_delays[i % 3] * c.scale));
	workload_add_exec(out, &r);
	json_object_set_new(out, "events", events);
	json_object_set_new(out, "analysis", json_pack("{s:i, s:i, s:f}",
		"task_switches", (int)switches, "distinct_tids", (int)ntids,
		"total_s", (double)r.wall_ns / 1e9));
	json_object_set_new(out, "params", json_pack("{s:o, s:f}", "delays_s", delays,
						     "scale", c.scale));
	exec_result__free(&r);
	free(c.ev);
	return err;
}

static void lc_print(FILE *f, json_t *r)
{
	json_t *events = json_object_get(r, "events"), *e;
	size_t i;

	fprintf(f, "\n%s: state log\n", json_string_value(json_object_get(r, "mode")));
	json_array_foreach(events, i, e)
		fprintf(f, "  [%8.3f s] tid %-7lld %s: %s\n", json_number_value(json_object_get(e, "t_s")),
			json_integer_value(json_object_get(e, "tid")),
			json_string_value(json_object_get(e, "task")),
			json_string_value(json_object_get(e, "state")));
	fprintf(f, "  task switches between consecutive events: %lld; OS threads that logged: %lld\n",
		json_integer_value(json_object_get(json_object_get(r, "analysis"), "task_switches")),
		json_integer_value(json_object_get(json_object_get(r, "analysis"), "distinct_tids")));
}

const struct workload workload_lifecycle = {
	.name = "lifecycle",
	.summary = "tasks A, B, C sleep 1.0, 0.5, 1.5 s; timestamped state log with OS tids (section 2)",
	.modes = 1u << EXEC_SEQUENTIAL | 1u << EXEC_THREADS | 1u << EXEC_COROUTINES,
	.why_not = "the state log is shared memory of one process; use threads or coroutines",
	.defaults = lc_defaults,
	.run = lc_run,
	.print = lc_print,
};
