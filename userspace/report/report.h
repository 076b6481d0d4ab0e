/* SPDX-License-Identifier: MIT */
/* `corolab report` internals shared by report.c, charts.c and ledger.c: a lab
 * results directory loaded and grouped by measurement.  Returns 0 / -errno,
 * never prints. */
#ifndef COROLAB_REPORT_H
#define COROLAB_REPORT_H

#include <stdio.h>
#include <jansson.h>

#include "report/rdoc.h"

/* All repeats of one measurement: same experiment, workload, mode, GIL
 * setting and task count. */
struct rgroup {
	char experiment[64];	/* subdirectory name, "03-cpu-vs-io" */
	char runtime[32];	/* run.runtime ("cpython-3.11.2"); "" for corolab's C workloads */
	int py;			/* runtime starts with "cpython": never mixed with C groups */
	char workload[32];
	char mode[32];
	int gil;		/* params.gil */
	long tasks;
	int scaled;		/* a smaller run of the same workload/mode exists: this is the scale-up */
	char label[160];	/* "cpu threads gil (4 tasks)", "py cpu threads gil (4 tasks)" */
	json_t **run;		/* run objects, one per repeat (borrowed) */
	json_t **trace;		/* matching trace objects or NULL entries */
	size_t n;
};

struct rset {
	char dir[4096];
	struct rdoc *docs;	/* every file that loaded */
	size_t ndocs;
	struct rgroup *g;
	size_t ng;
	char **experiments;	/* subdirectory names, sorted */
	size_t nexp;
	char **problems;	/* "path: reason" for files that did not load */
	size_t nproblems;
	int traced;		/* groups with trace data */
	struct rorig *orig;	/* the write-up's original program runs (corolab.original/1) */
	size_t norig;
};

/* One run of the write-up's own program (lab/python/run_original.sh): its
 * printed figures as parsed into summary.json, and the trace.json beside it
 * when it ran under the tracer. */
struct rorig {
	char where[256];	/* "06-python/original" */
	json_t *summary;	/* owned */
	json_t *trace;		/* owned, or NULL */
};

int rset__load(struct rset *s, const char *dir);
void rset__free(struct rset *s);

/* Median over the repeats of a dotted path; a "trace." prefix reads the trace
 * object.  min/max may be NULL.  NAN when no repeat has the field. */
double rgroup_stat(const struct rgroup *g, const char *path, double *min, double *max);
/* The value of a dotted path in repeat i; NAN when that repeat lacks it or
 * i is out of range.  Repeats sort by file name (NAME.rK.json) the same way
 * in every group, so in two groups with the same repeat count index i is
 * the same round of the lab's interleaved rounds. */
double rgroup_at(const struct rgroup *g, size_t i, const char *path);
/* First C group of workload/mode (gil: 0, 1, or -1 for any), preferring the
 * non-scaled run unless scaled is 1.  NULL if none.  CPython groups are never
 * returned: the C claims must not silently fall back to Python figures. */
const struct rgroup *rset_find(const struct rset *s, const char *workload, const char *mode,
			       int gil, int scaled);
/* The same for the CPython groups (py = 1) or the C ones (py = 0). */
const struct rgroup *rset_find_rt(const struct rset *s, int py, const char *workload,
				  const char *mode, int gil, int scaled);

/* charts.c: write RESULTS_DIR/charts/<name>.png and .svg.  Each chart written or
 * skipped gets a line in md (Markdown).  Returns 0, or -ENOENT when gnuplot
 * is missing (md then says why). */
int charts__write(const struct rset *s, FILE *md);

/* ledger.c */
enum verdict { V_NOT_MEASURED, V_SUPPORTED, V_REFUTED, V_NUANCED };

struct claim_result {
	const char *id;		/* "C1" */
	const char *claim;	/* the write-up's claim, translated */
	enum verdict verdict;
	char evidence[512];	/* measured figures, with units */
	char why[512];		/* one sentence */
	/* The "Python (measured)" column: the same claim judged on the CPython
	 * runs (06-python) by its own rules.  py_has = 0: no Python data ("—"). */
	int py_has;
	enum verdict py_verdict;
	char py_evidence[512];
	char py_why[384];
};

#define LEDGER_MAX_CLAIMS 16
/* Evaluate every claim against the data; returns the number of claims. */
size_t ledger__eval(const struct rset *s, struct claim_result *out, size_t max);
const char *verdict_name(enum verdict v);
/* Append the ledger table to md. */
void ledger__write(const struct rset *s, FILE *md);

/* python.c: the "Python (CPython) side by side with C" section (nothing when
 * the results hold no CPython runs and no original-program run). */
void python__write(const struct rset *s, FILE *md);
/* The summary / trace of the first original-program run, or NULL. */
const struct rorig *rset_original(const struct rset *s);

#endif
