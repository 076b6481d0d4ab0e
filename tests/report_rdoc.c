// SPDX-License-Identifier: MIT
/* Description: the result-document layer of compare/report: schema
 * detection (run, trace, runtrace, arrays), error messages naming the field,
 * flattening with role-matched threads, medians. */
#include <math.h>
#include <string.h>

#include "test.h"
#include "report/rdoc.h"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	T_ASSERT(j, "fixture does not parse: %s", e.text);
	return j;
}

int main(void)
{
	struct rdoc d;
	struct flat f = { 0 };
	char err[256];
	json_t *j;
	double med, lo, hi;

	/* An array of runs: one entry each, keyed by workload/mode(/gil). */
	j = parse("[{\"schema\":\"corolab.run/1\",\"workload\":\"cpu\",\"mode\":\"threads\","
		  "\"wall_s\":1.5,\"params\":{\"gil\":true},\"task_wall_s\":[0.5,0.7]},"
		  "{\"schema\":\"corolab.run/1\",\"workload\":\"cpu\",\"mode\":\"threads\",\"wall_s\":2}]");
	T_ASSERT(rdoc__from_json(&d, j, err, sizeof(err)) == 0, "array of runs: %s", err);
	json_decref(j);
	T_ASSERT(d.n == 2 && d.kind == RDOC_RUN, "n=%zu", d.n);
	T_ASSERT(!strcmp(d.e[0].key, "cpu/threads/gil"), "key %s", d.e[0].key);
	T_ASSERT(!strcmp(d.e[1].key, "cpu/threads"), "key %s", d.e[1].key);
	T_ASSERT(rj_num(d.e[0].run, "params.gil") == 1.0, "bool as number");
	T_ASSERT(isnan(rj_num(d.e[0].run, "params.nope")), "missing is NAN");
	T_ASSERT(flat__add_entry(&f, &d.e[0]) == 0, "flatten");
	T_ASSERT(flat__get(&f, "task_wall_s[1]") && *flat__get(&f, "task_wall_s[1]") == 0.7, "array elt");
	T_ASSERT(flat__get(&f, "wall_s") && *flat__get(&f, "wall_s") == 1.5, "wall_s");
	flat__free(&f);
	rdoc__free(&d);

	/* A runtrace: threads keyed by comm#k, tids dropped, histogram kept aside. */
	j = parse("{\"schema\":\"corolab.runtrace/1\",\"run\":{\"schema\":\"corolab.run/1\","
		  "\"workload\":\"sleep\",\"mode\":\"threads\",\"wall_s\":1},"
		  "\"trace\":{\"schema\":\"corolab.trace/1\",\"totals\":{\"runq_latency\":"
		  "{\"log2_hist_us\":[1,2,3]}},\"threads\":[{\"tid\":7,\"comm\":\"w\",\"voluntary\":3},"
		  "{\"tid\":9,\"comm\":\"w\",\"voluntary\":4}]}}");
	T_ASSERT(rdoc__from_json(&d, j, err, sizeof(err)) == 0, "runtrace: %s", err);
	json_decref(j);
	T_ASSERT(d.kind == RDOC_RUNTRACE && d.n == 1 && d.e[0].trace, "runtrace entry");
	T_ASSERT(flat__add_entry(&f, &d.e[0]) == 0, "flatten runtrace");
	T_ASSERT(flat__get(&f, "trace.threads.w#1.voluntary") &&
		 *flat__get(&f, "trace.threads.w#1.voluntary") == 4, "second w thread by role");
	T_ASSERT(!flat__get(&f, "trace.threads.w#0.tid"), "tids are not compared");
	T_ASSERT(json_array_size(flat__hist(&f, "trace.totals.runq_latency.log2_hist_us")) == 3, "hist");
	flat__free(&f);
	rdoc__free(&d);

	/* Errors name the offending field. */
	j = parse("{\"schema\":\"corolab.runtrace/1\",\"run\":{\"schema\":\"x/1\"}}");
	T_ASSERT(rdoc__from_json(&d, j, err, sizeof(err)) < 0, "bad inner schema accepted");
	T_ASSERT(strstr(err, "run.") && strstr(err, "'x/1'"), "error: %s", err);
	json_decref(j);
	j = parse("[{\"wall_s\":1}]");
	T_ASSERT(rdoc__from_json(&d, j, err, sizeof(err)) < 0, "schema-less accepted");
	T_ASSERT(strstr(err, "[0].") && strstr(err, "schema"), "error: %s", err);
	json_decref(j);
	T_ASSERT(rdoc__load(&d, "/nonexistent/x.json", err, sizeof(err)) < 0, "missing file");
	T_ASSERT(strstr(err, "No such file"), "error: %s", err);

	/* Medians ignore NAN and handle even counts. */
	double v[] = { 3, NAN, 1, 2, 10 };
	T_ASSERT(stats_median(v, 5, &med, &lo, &hi) == 4, "count");
	T_ASSERT(med == 2.5 && lo == 1 && hi == 10, "med %g lo %g hi %g", med, lo, hi);
	T_ASSERT(stats_median(v + 1, 1, &med, &lo, &hi) == 0 && isnan(med), "all NAN");
	return T_EXIT_PASS;
}
