// SPDX-License-Identifier: MIT
/*
 * http: the write-up's headline experiment (section 1): fetch /delay/N URLs
 * sequentially (the first 10), on a pool of 20 threads, and as coroutines all
 * at once, and compare wall time, memory, successes and thread counts.
 *
 * Sequential, threads and processes use exec__run with one curl easy handle
 * per worker (thread-local, reused, so connections are kept alive).
 * Coroutines run on our own loop: `workers` request coroutines (default: one
 * per task, all at once) each reusing one easy handle, driven by curl's
 * multi_socket API from the io_uring loop (curl_glue.c).
 *
 * Without --url the built-in server runs in a child process for the run and
 * is stopped afterwards; wall_s covers the request phase only.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/curl_glue.h"
#include "http/http.h"
#include "util/util.h"
#include "workloads/workload.h"

#define URL_MAX 2048
#define HTTP_FD_SLACK 64	/* descriptors besides the sockets: curl, io_uring, libs */

/* Coroutine workers per curl multi handle.  curl 7.88 keeps a multi's
 * sockets in a hash of 911 buckets, fixed, and looks a socket up on every
 * socket action: with 10,000 sockets in one multi each lookup walked ~11
 * entries through cold memory, 5% of the client's CPU in a 10k run (perf).
 * Workers are spread over ceil(workers / 1024) multis on the same loop,
 * each with its own socket callback and timer: ~1 socket per bucket.  A
 * worker stays on one multi, so its connection is reused as before. */
#define MULTI_SHARD 1024

struct fetch_result {
	double latency_s;
	uint64_t bytes;
	int klass;		/* enum http_class */
	long status;
};

struct http_ctx {
	const char *tmpl;	/* URL template ({i}, {delay}) */
	double delay_scale;
	uint64_t timeout_ns;
	struct curl_slist *resolve;
	struct curl_slist *close_hdr;	/* "Connection: close", for one-shot transfers */
	/* coroutines mode */
	struct cmulti **multis;	/* nmulti shards; worker w uses multis[w % nmulti] */
	long nmulti;
	struct fetch_result *results;
	long tasks, next;
	bool one_shot;		/* one request per coroutine: keep no connection */
	long peak_threads;
};

/* See http.h. */
int http_url_expand(const char *tmpl, long i, double scale, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return -ENAMETOOLONG;
	for (const char *p = tmpl; *p;) {
		char v[64];
		const char *val = NULL;

		if (*p == '{') {
			if (!strncmp(p, "{i}", 3)) {
				snprintf(v, sizeof(v), "%ld", i);
				val = v;
				p += 3;
			} else if (!strncmp(p, "{delay}", 7)) {
				snprintf(v, sizeof(v), "%.6g", (double)(i % 3 + 1) * scale);
				val = v;
				p += 7;
			} else {
				return -EINVAL;
			}
			if (n + strlen(val) >= cap)
				return -ENAMETOOLONG;
			memcpy(out + n, val, strlen(val));
			n += strlen(val);
			continue;
		}
		if (n + 1 >= cap)
			return -ENAMETOOLONG;
		out[n++] = *p++;
	}
	out[n] = 0;
	return 0;
}

/* See http.h: `corolab run` calls it to make a bad template exit 2. */
int http_url_template_check(const char *tmpl, char *why, size_t whylen)
{
	char url[URL_MAX];
	CURLU *u;
	char *scheme = NULL;
	int err = http_url_expand(tmpl, 0, 1.0, url, sizeof(url));

	if (err) {
		snprintf(why, whylen, err == -EINVAL ? "unknown {placeholder} (use {i} and {delay})"
						    : "URL too long");
		return -EINVAL;
	}
	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		snprintf(why, whylen, "not an http:// or https:// URL");
		err = -EINVAL;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return err;
}

static double now_s(void)
{
	return (double)coro__now_ns() / 1e9;
}

/* One request with handle e; fills r.  A handle's first request skips
 * curl's search for a reusable connection (fresh): the search walks every
 * connection to the host, O(N) per transfer and O(N^2) for N concurrent
 * first requests (10,000 of them spent seconds there). */
static int fetch(struct http_ctx *c, struct cmulti *m, CURL *e, long i, struct fetch_result *r,
		 bool fresh)
{
	char url[URL_MAX];
	double t0;
	int rc;

	if (http_url_expand(c->tmpl, i, c->delay_scale, url, sizeof(url))) {
		r->klass = HTTP_F_OTHER;
		return -EINVAL;
	}
	if (http_easy_setup(e, url, c->timeout_ns, c->resolve, &r->bytes)) {
		r->klass = HTTP_F_OTHER;
		return -EINVAL;
	}
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
	/* A handle that makes one request and goes away leaves its connection
	 * in the multi's cache, and curl 7.88's curl_multi_remove_handle walks
	 * that whole cache (close_connect_only) for every handle: O(N^2) for N
	 * one-shot transfers.  Closing the connection when the transfer is done
	 * keeps the cache empty (nobody could reuse it: all run at once). */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, c->one_shot ? 1L : 0L);
	/* And say so, so the server closes first: the TIME_WAIT stays on its
	 * side, not in our ephemeral ports, where 10,000 of them made the next
	 * run's connects slower (sys time 0.65 -> 1.0 s on the second run). */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->one_shot ? c->close_hdr : NULL);
	t0 = now_s();
	if (exec_in_coroutine())
		rc = cmulti__perform(m, e);
	else
		rc = (int)curl_easy_perform(e);
	r->latency_s = now_s() - t0;
	if (rc < 0) {
		r->klass = HTTP_F_OTHER;
		return rc;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	r->klass = http_classify((CURLcode)rc, r->status);
	return r->klass == HTTP_OK ? 0 : -EIO;
}

/* ---- sequential / threads / processes: exec__run ------------------------ */

static pthread_key_t easy_key;
static pthread_once_t easy_once = PTHREAD_ONCE_INIT;

static void easy_free(void *e)
{
	curl_easy_cleanup(e);
}

static void easy_key_init(void)
{
	pthread_key_create(&easy_key, easy_free);
}

/* The worker's easy handle: created on first use, freed when the thread
 * exits (or by the caller for the main thread). */
static CURL *worker_easy(bool *fresh)
{
	CURL *e;

	pthread_once(&easy_once, easy_key_init);
	e = pthread_getspecific(easy_key);
	*fresh = !e;
	if (!e && (e = curl_easy_init()))
		pthread_setspecific(easy_key, e);
	return e;
}

static int exec_task(void *ctx, long i, void *result)
{
	struct http_ctx *c = ctx;
	struct fetch_result *r = result;
	bool fresh;
	CURL *e = worker_easy(&fresh);
	long th;

	if (!e) {
		r->klass = HTTP_F_OTHER;
		return -ENOMEM;
	}
	/* Threads now (a resolver thread would show up here). */
	/* Max across worker threads: relaxed atomics (a sample, no ordering
	 * needed, but a plain racy store is UB and drowns TSan runs). */
	if (!proc_status_field("Threads", &th)) {
		long cur = __atomic_load_n(&c->peak_threads, __ATOMIC_RELAXED);

		while (th > cur && !__atomic_compare_exchange_n(&c->peak_threads, &cur, th, true,
								 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	return fetch(c, NULL, e, i, r, fresh);
}

/* ---- coroutines: our own loop -------------------------------------------- */

struct coro_worker_arg {
	struct http_ctx *c;
	long n;
};

static int coro_worker(void *arg)
{
	struct coro_worker_arg *wa = arg;
	struct http_ctx *c = wa->c;
	struct cmulti *m = c->multis[wa->n % c->nmulti];
	CURL *e = curl_easy_init();
	bool fresh = true;
	long i;

	if (!e)
		return -ENOMEM;
	while ((i = c->next++) < c->tasks) {
		fetch(c, m, e, i, &c->results[i], fresh);
		fresh = false;
	}
	curl_easy_cleanup(e);
	return 0;
}

struct coro_main_arg {
	struct http_ctx *c;
	long workers;
	int err;
};

static int coro_main(void *arg)
{
	struct coro_main_arg *a = arg;
	struct coro **w = calloc((size_t)a->workers, sizeof(*w));
	struct coro_worker_arg *wa = calloc((size_t)a->workers, sizeof(*wa));
	long n = 0, th;

	if (!w || !wa) {
		free(w);
		free(wa);
		a->err = -ENOMEM;
		return 0;
	}
	for (; n < a->workers; n++) {
		wa[n] = (struct coro_worker_arg){ .c = a->c, .n = n };
		if ((a->err = coro__spawn(loop__current(), coro_worker, &wa[n], "http", &w[n])))
			break;
	}
	if (a->err)
		a->c->tasks = 0;	/* the spawned ones stop at once */
	for (long k = 0; k < n; k++)
		coro__join(w[k], NULL);
	/* Every transfer is done: sample the thread count (curl would have
	 * started resolver threads by now), then let the loop end. */
	if (!proc_status_field("Threads", &th))
		a->c->peak_threads = th;
	for (long k = 0; k < a->c->nmulti; k++)
		cmulti__shutdown(a->c->multis[k]);
	free(w);
	free(wa);
	return 0;
}

static int run_coroutines(struct http_ctx *c, long tasks, long workers, struct exec_result *r)
{
	struct coro_loop_opts lo = { 0 };
	struct coro_main_arg a = { .c = c, .workers = workers > 0 && workers < tasks ? workers : tasks };
	struct coro_loop *l;
	uint64_t t0;
	int err;

	memset(r, 0, sizeof(*r));
	c->one_shot = a.workers >= tasks;
	c->results = calloc((size_t)(tasks ? tasks : 1), sizeof(*c->results));
	if (!c->results)
		return -ENOMEM;
	c->tasks = tasks;
	c->next = 0;
	err = loop__new(&l, &lo);
	if (err)
		return err;
	c->nmulti = (a.workers + MULTI_SHARD - 1) / MULTI_SHARD;
	if (c->nmulti < 1)
		c->nmulti = 1;
	c->multis = calloc((size_t)c->nmulti, sizeof(*c->multis));
	err = c->multis ? 0 : -ENOMEM;
	for (long k = 0; !err && k < c->nmulti; k++)
		err = cmulti__new(&c->multis[k], l);
	if (!err && a.workers)
		err = coro__spawn(l, coro_main, &a, "http-main", NULL);
	t0 = coro__now_ns();
	if (!err && a.workers)
		err = loop__run(l);
	r->wall_ns = coro__now_ns() - t0;
	if (!err)
		err = a.err;
	loop__stats(l, &r->coro);
	r->has_coro = true;
	r->os_threads = c->peak_threads > 1 ? (int)c->peak_threads : 1;
	for (long i = 0; i < tasks; i++) {
		if (i < c->next && c->results[i].klass == HTTP_OK)
			r->ok++;
		else
			r->failed++;
	}
	loop__free(l);
	for (long k = 0; c->multis && k < c->nmulti; k++)
		if (c->multis[k])
			cmulti__free(c->multis[k]);
	free(c->multis);
	c->multis = NULL;
	return err;
}

/* ---- the workload --------------------------------------------------------- */

static void http_defaults(struct run_opts *o, enum exec_mode m)
{
	if (o->tasks < 0)
		o->tasks = m == EXEC_SEQUENTIAL ? 10 : 50;
	if (o->workers < 0)
		o->workers = m == EXEC_THREADS || m == EXEC_PROCESSES ? 20 :
			     m == EXEC_COROUTINES ? o->tasks : 1;
	/* delay_scale is the caller's (run.c's default is 1.0): 0 is a
	 * request for /delay/0, not a missing value. */
}

static void add_figures(json_t *out, const struct fetch_result *res, long n)
{
	long cls[HTTP_NCLASSES] = { 0 };
	uint64_t bytes = 0;
	double *lat = calloc((size_t)(n ? n : 1), sizeof(double));
	json_t *f = json_object();

	for (long i = 0; i < n; i++) {
		cls[res[i].klass >= 0 && res[i].klass < HTTP_NCLASSES ? res[i].klass : HTTP_F_OTHER]++;
		bytes += res[i].bytes;
		if (lat)
			lat[i] = res[i].latency_s;
	}
	for (int k = 1; k < HTTP_NCLASSES; k++)
		json_object_set_new(f, http_class_names[k], json_integer(cls[k]));
	json_object_set_new(out, "failures", f);
	json_object_set_new(out, "bytes", json_integer((json_int_t)bytes));
	if (lat && n) {
		qsort(lat, (size_t)n, sizeof(double), cmp_double);
		json_object_set_new(out, "latency_s", json_pack("{s:f, s:f, s:f}",
			"p50", lat[(n - 1) / 2], "p99", lat[(long)ceil(0.99 * (double)n) - 1],
			"max", lat[n - 1]));
	}
	free(lat);
}

static int http_run(const struct run_opts *o, enum exec_mode m, json_t *out)
{
	struct http_ctx c = { .delay_scale = o->delay_scale, .timeout_ns = o->timeout_ns };
	struct server_child sc = { .pid = -1 };
	struct serve_opts so = { .idle_ns = SERVE_BUILTIN_IDLE_NS };
	char tmpl[URL_MAX], why[128];
	struct exec_result r;
	struct fetch_result *res;
	int err;

	/* Every concurrent request holds a socket here and (built-in server,
	 * same limits) there.  Past RLIMIT_NOFILE they would fail as
	 * "refused" and the figures would measure the limit: refuse up front
	 * and name it. */
	{
		long conc = m == EXEC_COROUTINES || m == EXEC_THREADS ?
			    (o->workers > 0 && o->workers < o->tasks ? o->workers : o->tasks) : 1;
		long lim = serve_raise_nofile();

		if (lim > 0 && conc + HTTP_FD_SLACK > lim) {
			fprintf(stderr, "corolab run: http: %ld concurrent connections need about %ld file "
				"descriptors but RLIMIT_NOFILE is %ld: raise it (ulimit -n; the hard limit as "
				"root) or use --workers %ld\n", conc, conc + HTTP_FD_SLACK, lim,
				lim > HTTP_FD_SLACK ? lim - HTTP_FD_SLACK : 1);
			return -EMFILE;
		}
	}
	if (o->url) {
		if ((err = http_url_template_check(o->url, why, sizeof(why))))
			return err;
		c.tmpl = o->url;
	} else {
		/* Library callers (tests/http_workload.c) only: `corolab run`
		 * starts the built-in server itself and passes its URL (run.c,
		 * builtin_server_outside), outside the measured process. */
		err = server_child__start(&sc, &so);
		if (err)
			return err;
		snprintf(tmpl, sizeof(tmpl), "http://127.0.0.1:%d/delay/{delay}", sc.port);
		c.tmpl = tmpl;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		server_child__stop(&sc);
		return -ENOMEM;
	}
	{
		char first[URL_MAX];

		if (!http_url_expand(c.tmpl, 0, c.delay_scale, first, sizeof(first)) &&
		    (err = http_resolve_once(first, &c.resolve))) {
			server_child__stop(&sc);
			if (err != -EHOSTUNREACH)
				return err;
			/* Every request would fail the same way: say it once. */
			fprintf(stderr, "corolab run: http: cannot resolve the host of %s\n", first);
			return -EIO;
		}
	}
	c.close_hdr = curl_slist_append(NULL, "Connection: close");
	if (!c.close_hdr) {
		curl_slist_free_all(c.resolve);
		server_child__stop(&sc);
		return -ENOMEM;
	}
	if (m == EXEC_COROUTINES) {
		err = run_coroutines(&c, o->tasks, o->workers, &r);
		res = c.results;
	} else {
		struct exec_spec s = workload_exec_spec(o, m, exec_task, &c, sizeof(struct fetch_result));

		err = exec__run(&s, &r);
		res = r.results;
		/* The main thread's handle (sequential mode). */
		pthread_once(&easy_once, easy_key_init);
		if (pthread_getspecific(easy_key)) {
			curl_easy_cleanup(pthread_getspecific(easy_key));
			pthread_setspecific(easy_key, NULL);
		}
		if (c.peak_threads > r.os_threads && m != EXEC_PROCESSES)
			r.os_threads = (int)c.peak_threads;
	}
	server_child__stop(&sc);
	if (!err || res) {
		workload_add_exec(out, &r);
		json_object_set_new(out, "wall_s", json_real((double)r.wall_ns / 1e9));
		json_object_set_new(out, "tasks", json_integer(o->tasks));
		json_object_set_new(out, "workers", json_integer(m == EXEC_COROUTINES ?
			(o->workers > 0 && o->workers < o->tasks ? o->workers : o->tasks) :
			m == EXEC_SEQUENTIAL ? 1 : o->workers));
		if (res)
			add_figures(out, res, o->tasks);
		json_object_set_new(out, "params", json_pack("{s:o, s:f, s:f, s:s}",
			"url", json_text(c.tmpl, SIZE_MAX), "delay_scale", c.delay_scale,
			"timeout_s", (double)c.timeout_ns / 1e9,
			"server", o->url ? "external" : "builtin"));
	}
	if (m == EXEC_COROUTINES)
		free(c.results);
	else
		exec_result__free(&r);
	curl_slist_free_all(c.resolve);
	curl_slist_free_all(c.close_hdr);
	curl_global_cleanup();
	return err;
}

/* The write-up's "speed-up of coroutines over threads": print is called per
 * result in mode order, so remember the threads figure until coroutines
 * come (both in one `--mode all` table). */
static double threads_wall = -1;

static void http_print(FILE *f, json_t *r)
{
	const char *mode = json_string_value(json_object_get(r, "mode"));
	json_t *lat = json_object_get(r, "latency_s"), *fl = json_object_get(r, "failures");
	double wall = json_number_value(json_object_get(r, "wall_s"));

	fprintf(f, "%-11s latency p50 %.3f s  p99 %.3f s  max %.3f s  bytes %lld  failures:",
		mode ? mode : "?", json_number_value(json_object_get(lat, "p50")),
		json_number_value(json_object_get(lat, "p99")),
		json_number_value(json_object_get(lat, "max")),
		json_integer_value(json_object_get(r, "bytes")));
	for (int k = 1; k < HTTP_NCLASSES; k++)
		fprintf(f, " %s %lld", http_class_names[k],
			json_integer_value(json_object_get(fl, http_class_names[k])));
	fprintf(f, "\n");
	if (mode && !strcmp(mode, "threads"))
		threads_wall = wall;
	if (mode && !strcmp(mode, "coroutines") && threads_wall > 0 && wall > 0)
		fprintf(f, "speed-up of coroutines over threads: %.2fx (%.3f s / %.3f s)\n",
			threads_wall / wall, threads_wall, wall);
}

const struct workload workload_http = {
	.name = "http",
	.summary = "50 GETs of /delay/{i%3+1} (section 1; sequential does 10, threads pool 20)",
	.modes = 1u << EXEC_SEQUENTIAL | 1u << EXEC_THREADS | 1u << EXEC_COROUTINES | 1u << EXEC_PROCESSES,
	.why_not = "",
	.defaults = http_defaults,
	.run = http_run,
	.print = http_print,
};
