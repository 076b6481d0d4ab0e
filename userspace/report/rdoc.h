/* SPDX-License-Identifier: MIT */
/* Result documents shared by `corolab compare` and `corolab report`: loading
 * corolab.run/1, corolab.trace/1 and corolab.runtrace/1 JSON (single objects or
 * arrays) and corolab.original/1 (the write-up's own program's printed
 * figures, lab/python/parse_original.py), and flattening them into dotted
 * numeric paths.  Returns 0 / -errno,
 * never prints; a human-readable reason goes into the caller's err buffer. */
#ifndef COROLAB_RDOC_H
#define COROLAB_RDOC_H

#include <stddef.h>
#include <jansson.h>

enum rdoc_kind { RDOC_RUN = 1, RDOC_TRACE, RDOC_RUNTRACE, RDOC_ORIGINAL };

/* One (workload, mode) measurement: a run object, a trace object, or both;
 * or one run of the write-up's original program.  Borrowed references into
 * rdoc.root. */
struct rdoc_entry {
	json_t *run;		/* corolab.run/1 object or NULL */
	json_t *trace;		/* corolab.trace/1 object or NULL */
	json_t *orig;		/* corolab.original/1 summary or NULL (then run = trace = NULL) */
	char key[128];		/* "workload/mode[/gil][#k]", "trace" or "original"; #k = k-th repeat of the key in one file — used to match entries */
};

struct rdoc {
	json_t *root;		/* owned */
	enum rdoc_kind kind;	/* kind of the first entry (arrays may mix; rare) */
	struct rdoc_entry *e;	/* entries in file order */
	size_t n;
};

/* Load and classify path.  -EINVAL for malformed JSON or unknown schema (err
 * names line/column or the offending field), -errno if unreadable. */
int rdoc__load(struct rdoc *d, const char *path, char *err, size_t errlen);
/* Classify an already-parsed root (takes a reference). */
int rdoc__from_json(struct rdoc *d, json_t *root, char *err, size_t errlen);
void rdoc__free(struct rdoc *d);
const char *rdoc_kind_name(enum rdoc_kind k);

/* A value at a dotted path ("totals.ctx_switches.voluntary"); numbers and
 * booleans (0/1).  NAN when missing or not numeric. */
double rj_num(json_t *obj, const char *dotted);
/* The JSON node at a dotted path, or NULL. */
json_t *rj_get(json_t *obj, const char *dotted);
/* String at a dotted path or NULL. */
const char *rj_str(json_t *obj, const char *dotted);

/* Flattened numeric view of an entry.  Run fields keep their names; trace
 * fields get a "trace." prefix so a run file and a runtrace file line up.
 * Trace threads are keyed by role, "trace.threads.<comm>#<k>.<field>" (k =
 * k-th thread with that comm, in file order) because tids differ run to run.
 * log2 histograms are collected separately, not flattened. */
struct flat_kv {
	char *key;
	double v;
};
struct flat_hist {
	char *key;		/* dotted path of the histogram array */
	json_t *arr;		/* borrowed */
};
struct flat {
	struct flat_kv *kv;
	size_t n, cap;
	size_t *idx;		/* open-addressing index into kv (slot = i + 1, 0 = empty) */
	size_t idx_cap;		/* power of two, > 2 n */
	struct flat_hist *h;
	size_t nh, caph;
};

int flat__add_entry(struct flat *f, const struct rdoc_entry *e);
/* Pointer to the value of key, or NULL if absent.  Hashed: a trace of
 * 30,000 threads flattens to ~10^6 keys. */
const double *flat__get(const struct flat *f, const char *key);
json_t *flat__hist(const struct flat *f, const char *key);
void flat__free(struct flat *f);

/* Median / min / max of v[0..n) (NAN entries ignored); returns count used.
 * Sorts a copy; O(n log n). */
size_t stats_median(const double *v, size_t n, double *med, double *min, double *max);

#endif
