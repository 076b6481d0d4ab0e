// SPDX-License-Identifier: MIT
/* Description: the http workload in-process against the built-in server in
 * every mode (delay scale 0.01), and its failure classes: server down
 * (refused, fast), reset mid-response, 5xx, timeout, bad URL template; no
 * descriptor leaks, os_threads 1 in coroutine mode. */
#include <errno.h>
#include <string.h>

#include "http/http.h"
#include "test.h"
#include "util/util.h"
#include "workloads/workload.h"

static struct run_opts base(void)
{
	return (struct run_opts){ .tasks = -1, .workers = -1, .duration_ns = UINT64_MAX, .n = -1,
				  .cpu = -1, .delay_scale = 0.01, .timeout_ns = 5000000000ull };
}

static json_t *run(struct run_opts o, enum exec_mode m, int *err)
{
	json_t *out = json_object();

	workload_http.defaults(&o, m);
	*err = workload_http.run(&o, m, out);
	return out;
}

static long jint(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	T_ASSERT(v, "missing field %s%s%s", a, b ? "." : "", b ? b : "");
	return (long)json_integer_value(v);
}

static double jnum(json_t *o, const char *a)
{
	return json_number_value(json_object_get(o, a));
}

int main(void)
{
	int fds0 = proc_fd_count(), err;
	struct server_child sc;
	char url[256];
	json_t *r;

	/* Every mode, built-in server, write-up shape at 1/100 of the delays. */
	for (int m = 0; m < EXEC_NMODES; m++) {
		r = run(base(), (enum exec_mode)m, &err);
		T_ASSERT(!err, "%s: %s", exec_mode_name((enum exec_mode)m), strerror(-err));
		T_ASSERT(jint(r, "ok", NULL) == (m == EXEC_SEQUENTIAL ? 10 : 50), "%s ok %ld",
			 exec_mode_name((enum exec_mode)m), jint(r, "ok", NULL));
		T_ASSERT(jint(r, "failed", NULL) == 0, "failed");
		T_ASSERT(jint(r, "bytes", NULL) > 0, "bytes");
		T_ASSERT(json_object_get(json_object_get(r, "latency_s"), "p99"), "latency");
		T_ASSERT(!strcmp(json_string_value(json_object_get(json_object_get(r, "params"), "server")),
				 "builtin"), "server");
		if (m == EXEC_COROUTINES) {
			T_ASSERT(jint(r, "os_threads", NULL) == 1, "coroutines used %ld threads",
				 jint(r, "os_threads", NULL));
			T_ASSERT(jnum(r, "wall_s") < 0.5, "coroutines wall %.3f", jnum(r, "wall_s"));
		}
		if (m == EXEC_THREADS)
			T_ASSERT(jint(r, "os_threads", NULL) == 21, "threads %ld", jint(r, "os_threads", NULL));
		json_decref(r);
	}

	T_ASSERT(!server_child__start(&sc, &(struct serve_opts){ 0 }), "server");
	for (int m = 0; m < EXEC_NMODES; m++) {
		struct run_opts o = base();
		struct { const char *path; const char *cls; uint64_t timeout; } cases[] = {
			{ "/status/503", "http_status", 0 },
			{ "/reset", "reset", 0 },
			{ "/delay/2", "timeout", 200000000ull },
		};

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			uint64_t t0 = coro__now_ns();

			snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sc.port, cases[k].path);
			o.url = url;
			o.tasks = 6;
			o.workers = 3;
			if (cases[k].timeout)
				o.timeout_ns = cases[k].timeout;
			r = run(o, (enum exec_mode)m, &err);
			T_ASSERT(!err, "%s %s: %s", exec_mode_name((enum exec_mode)m), cases[k].path, strerror(-err));
			T_ASSERT(jint(r, "failed", NULL) == 6 && jint(r, "failures", cases[k].cls) == 6,
				 "%s %s: failed %ld, %s %ld", exec_mode_name((enum exec_mode)m), cases[k].path,
				 jint(r, "failed", NULL), cases[k].cls, jint(r, "failures", cases[k].cls));
			T_ASSERT(coro__now_ns() - t0 < 3000000000ull, "%s took too long", cases[k].path);
			json_decref(r);
		}
	}
	/* Server down: all refused, fast. */
	{
		int dead = sc.port;
		uint64_t t0;

		T_ASSERT(server_child__stop(&sc) == 0, "server stop");
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/delay/{delay}", dead);
		for (int m = 0; m < EXEC_NMODES; m++) {
			struct run_opts o = base();

			o.url = url;
			t0 = coro__now_ns();
			r = run(o, (enum exec_mode)m, &err);
			T_ASSERT(!err, "refused run: %s", strerror(-err));
			T_ASSERT(jint(r, "failures", "refused") == jint(r, "tasks", NULL), "%s: refused %ld of %ld",
				 exec_mode_name((enum exec_mode)m), jint(r, "failures", "refused"), jint(r, "tasks", NULL));
			T_ASSERT(coro__now_ns() - t0 < 1000000000ull, "refused is not fast");
			json_decref(r);
		}
	}
	/* Bad templates are refused before anything runs. */
	{
		const char *bad[] = { "http://127.0.0.1:1/{nope}", "not a url", "ftp://127.0.0.1/x", "http://[::1/x" };

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			struct run_opts o = base();

			o.url = bad[k];
			r = run(o, EXEC_COROUTINES, &err);
			T_ASSERT(err == -EINVAL, "bad url '%s' gave %d", bad[k], err);
			json_decref(r);
		}
	}
	T_ASSERT(proc_fd_count() == fds0, "descriptors leaked: %d before, %d after", fds0, proc_fd_count());
	return 0;
}
