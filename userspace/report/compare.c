// SPDX-License-Identifier: MIT
/* corolab compare: result files side by side, with ratios, deltas, overlaid
 * histograms and --fail-if regression gates.
 *
 * Files may be run, trace or runtrace JSON (or arrays of them), or the
 * write-up's original program's summary (corolab.original/1, lab/06-python's
 * original/summary.json); entries are matched across files by workload/mode
 * (see rdoc.h), trace threads by role (comm + order) since tids never match
 * between runs. */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report/rdoc.h"
#include "util/util.h"

#define CMP_MAX_FILES 8		/* columns beyond this do not fit a terminal */
#define CMP_MAX_CONDS 32
#define CMP_BAR_WIDTH 20	/* histogram bar width, per file */

enum cond_kind { COND_ABS, COND_RATIO, COND_DELTA };

struct cond {
	char text[160];		/* as given, for messages */
	char field[128];	/* dotted path or dotted suffix */
	char op[3];		/* ">", ">=", "<", "<=" */
	enum cond_kind kind;
	double val;
	int matched;		/* some field matched in some section */
	int tripped;
};

static void usage(FILE *f)
{
	fprintf(f,
		"USAGE: corolab compare [OPTIONS] A.json B.json [C.json ...]\n"
		"\n"
		"Side-by-side view of corolab result files (run, trace or runtrace JSON, or\n"
		"arrays of them, or the write-up's original program's summary.json from\n"
		"lab/06-python): every numeric field with its value in each file, the ratio\n"
		"to A and the delta from A; log2 histograms overlaid; trace threads matched\n"
		"by role (comm and order) because thread ids differ between runs.\n"
		"\n"
		"OPTIONS:\n"
		"  --fail-if COND   exit 1 if COND holds (repeatable).  COND is FIELD OP VALUE,\n"
		"                   OP one of > >= < <=; FIELD a dotted path or its tail:\n"
		"                     'wall_s>1.1x'                 ratio file/A above 1.1\n"
		"                     'ctx_switches.involuntary>+100' delta file-A above 100\n"
		"                     'failed>0'                    absolute value, every file\n"
		"  --json FILE      write the comparison as JSON (FILE '-' = stdout; the table\n"
		"                   then goes to stderr)\n"
		"  --only REGEX     show only fields matching REGEX (extended regex), e.g.\n"
		"                   'wall_s|ctx_switches'; --fail-if still sees every field\n"
		"  -q, --quiet      no table, only --fail-if messages and the exit status\n"
		"  -h, --help       this text\n"
		"\n"
		"EXIT STATUS: 0 ok, 1 a --fail-if tripped or an input is unreadable/malformed,\n"
		"             2 usage error\n"
		"\n"
		"EXAMPLES:\n"
		"  corolab compare base.json new.json\n"
		"  corolab compare base.json new.json --fail-if 'wall_s>1.1x' --fail-if 'failed>0'\n"
		"  corolab compare threads.json coroutines.json --only 'wall_s|switches|rss'\n"
		"  corolab compare results/a/03-cpu-vs-io/cpu-threads.r1.json \\\n"
		"                  results/b/03-cpu-vs-io/cpu-threads.r1.json\n"
		"  corolab compare results/a/06-python/original/summary.json \\\n"
		"                  results/b/06-python/original/summary.json\n");
}

static int cond_parse(const char *s, struct cond *c)
{
	const char *op = strpbrk(s, "<>");
	const char *v;
	char *end;
	size_t fl;

	memset(c, 0, sizeof(*c));
	snprintf(c->text, sizeof(c->text), "%s", s);
	if (!op || op == s)
		return -EINVAL;
	fl = (size_t)(op - s);
	while (fl && s[fl - 1] == ' ')
		fl--;
	if (!fl || fl >= sizeof(c->field))
		return -EINVAL;
	memcpy(c->field, s, fl);
	c->op[0] = *op;
	v = op + 1;
	if (*v == '=')
		c->op[1] = *v++;
	while (*v == ' ')
		v++;
	/* A leading sign means a delta; a trailing x a ratio; else absolute. */
	c->kind = (*v == '+' || *v == '-') ? COND_DELTA : COND_ABS;
	errno = 0;
	c->val = strtod(v, &end);
	if (end == v || errno || isnan(c->val))
		return -EINVAL;
	if (*end == 'x' || *end == 'X') {
		if (c->kind == COND_DELTA)
			return -EINVAL;
		c->kind = COND_RATIO;
		end++;
	}
	return *end ? -EINVAL : 0;
}

static int cond_holds(const struct cond *c, double x)
{
	if (isnan(x))
		return 0;
	if (!strcmp(c->op, ">"))
		return x > c->val;
	if (!strcmp(c->op, ">="))
		return x >= c->val;
	if (!strcmp(c->op, "<"))
		return x < c->val;
	return x <= c->val;
}

static int key_matches(const char *key, const char *field)
{
	size_t kl = strlen(key), fl = strlen(field);

	if (kl == fl)
		return !strcmp(key, field);
	return kl > fl && key[kl - fl - 1] == '.' && !strcmp(key + kl - fl, field);
}

static double ratio_of(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	if (a == 0)
		return b == 0 ? 1.0 : INFINITY;
	return b / a;
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
}

/* Union of keys, in order of first appearance (A's order first); `seen`
 * (a jansson object used as a hash set) keeps the union O(N), not O(N^2):
 * a trace of 30,000 threads has ~10^6 keys. */
struct keylist {
	const char **k;
	size_t n, cap;
	json_t *seen;
};

static int keylist_add(struct keylist *l, const char *k)
{
	if (!l->seen && !(l->seen = json_object()))
		return -ENOMEM;
	if (json_object_get(l->seen, k))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		const char **nk = realloc(l->k, cap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		l->k = nk;
		l->cap = cap;
	}
	if (json_object_set_new(l->seen, k, json_true()))
		return -ENOMEM;
	l->k[l->n++] = k;
	return 0;
}

static void keylist_free(struct keylist *l)
{
	free(l->k);
	json_decref(l->seen);
	memset(l, 0, sizeof(*l));
}

static const struct rdoc_entry *doc_find(const struct rdoc *d, const char *key)
{
	if (d->n == 1)
		return &d->e[0];	/* see "One measurement per file" below */
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->e[i].key, key))
			return &d->e[i];
	return NULL;
}

static void print_hist(FILE *out, const char *key, json_t **h, size_t nf)
{
	size_t lo = SIZE_MAX, hi = 0;
	double maxv[CMP_MAX_FILES] = { 0 };

	for (size_t f = 0; f < nf; f++) {
		size_t i;
		json_t *x;

		json_array_foreach(h[f], i, x) {
			double v = json_number_value(x);

			/* A foreign file may have more than 64 log2 slots:
			 * 1ULL << i below must stay defined. */
			if (i >= 63)
				break;
			if (v > 0) {
				if (i < lo)
					lo = i;
				if (i > hi)
					hi = i;
			}
			if (v > maxv[f])
				maxv[f] = v;
		}
	}
	fprintf(out, "\n%s (log2 buckets, bars scaled per file)\n  %-21s", key, "usecs");
	for (size_t f = 0; f < nf; f++)
		fprintf(out, " %c %-8s %-*s ", (int)('A' + f), "count", CMP_BAR_WIDTH + 2, "distribution");
	fputc('\n', out);
	if (lo == SIZE_MAX) {
		fprintf(out, "  (all buckets empty)\n");
		return;
	}
	for (size_t i = lo; i <= hi; i++) {
		/* The tracer's slot is floor(log2(us)): slot 0 holds 0 and 1 us. */
		unsigned long long a = i ? 1ULL << i : 0, b = (1ULL << (i + 1)) - 1;
		char range[48];

		snprintf(range, sizeof(range), "%llu -> %llu", a, b);
		fprintf(out, "  %-19s :", range);
		for (size_t f = 0; f < nf; f++) {
			double v = json_number_value(json_array_get(h[f], i));
			/* Negative or NaN counts (a malformed file) draw no bar. */
			int w = maxv[f] > 0 && v > 0 ? (int)lround(v * CMP_BAR_WIDTH / maxv[f]) : 0;
			char bar[CMP_BAR_WIDTH + 1];

			memset(bar, '*', (size_t)w);
			bar[w] = '\0';
			fprintf(out, "   %8.0f |%-*s| ", v, CMP_BAR_WIDTH, bar);
		}
		fputc('\n', out);
	}
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fail-if", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cond conds[CMP_MAX_CONDS];
	size_t nconds = 0, nf = 0;
	struct rdoc docs[CMP_MAX_FILES];
	const char *files[CMP_MAX_FILES];
	const char *json_path = NULL;
	int quiet = 0, c, rc = 0, have_only = 0;
	regex_t only;
	struct keylist sections = { 0 };
	size_t single = 0;
	char single_key[512] = "";
	json_t *jout = NULL, *jsections = NULL, *jtripped = NULL;
	FILE *out = stdout;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (nconds == CMP_MAX_CONDS) {
				fprintf(stderr, "corolab compare: at most %d --fail-if\n", CMP_MAX_CONDS);
				return 2;
			}
			if (cond_parse(optarg, &conds[nconds])) {
				fprintf(stderr, "corolab compare: bad --fail-if '%s': want FIELD>VALUE, "
					"FIELD>1.1x (ratio) or FIELD>+100 (delta)\n", optarg);
				return 2;
			}
			nconds++;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'o':
			if (have_only)
				regfree(&only);
			if (regcomp(&only, optarg, REG_EXTENDED | REG_NOSUB)) {
				fprintf(stderr, "corolab compare: bad --only regex '%s'\n", optarg);
				return 2;
			}
			have_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			rc = 2;
			goto out_only;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "corolab compare: need at least two files\n\n");
		usage(stderr);
		rc = 2;
		goto out_only;
	}
	if (argc - optind > CMP_MAX_FILES) {
		fprintf(stderr, "corolab compare: at most %d files\n", CMP_MAX_FILES);
		rc = 2;
		goto out_only;
	}
	if (json_path && !strcmp(json_path, "-"))
		out = stderr;	/* stdout carries the JSON */

	for (int i = optind; i < argc; i++) {
		char err[256];
		int ret = rdoc__load(&docs[nf], argv[i], err, sizeof(err));

		if (ret) {
			fprintf(stderr, "corolab compare: %s: %s\n", argv[i], err);
			for (size_t j = 0; j < nf; j++)
				rdoc__free(&docs[j]);
			rc = 1;
			goto out_only;
		}
		files[nf++] = argv[i];
	}

	for (size_t f = 0; f < nf; f++) {
		single += docs[f].n == 1;
		for (size_t i = 0; i < docs[f].n; i++)
			if (keylist_add(&sections, docs[f].e[i].key))
				goto nomem;
	}
	/* One measurement per file: compare them whatever their keys, so
	 * `compare threads.json coroutines.json` puts two modes side by side. */
	if (single == nf && sections.n > 1) {
		size_t off = 0;

		for (size_t i = 0; i < sections.n; i++) {
			int w = snprintf(single_key + off, sizeof(single_key) - off, "%s%s",
					 i ? " | " : "", sections.k[i]);

			if (w < 0 || (size_t)w >= sizeof(single_key) - off)
				break;	/* a long title is cut, the comparison is not */
			off += (size_t)w;
		}
		sections.k[0] = single_key;
		sections.n = 1;
	}

	if (json_path) {
		jout = json_object();
		jsections = json_array();
		jtripped = json_array();
		json_t *jf = json_array();

		for (size_t f = 0; f < nf; f++)
			json_array_append_new(jf, json_pack("{s:s,s:s}", "path", files[f], "kind",
							     rdoc_kind_name(docs[f].kind)));
		json_object_set_new(jout, "schema", json_string("corolab.compare/1"));
		json_object_set_new(jout, "files", jf);
		json_object_set(jout, "sections", jsections);
		json_object_set(jout, "tripped", jtripped);
	}

	if (!quiet) {
		for (size_t f = 0; f < nf; f++)
			fprintf(out, "%c = %s (%s)\n", (int)('A' + f), files[f], rdoc_kind_name(docs[f].kind));
	}

	for (size_t s = 0; s < sections.n; s++) {
		struct flat fl[CMP_MAX_FILES];
		struct keylist keys = { 0 }, hkeys = { 0 };
		size_t width = 5;
		json_t *jrows = NULL;

		memset(fl, 0, sizeof(fl));
		for (size_t f = 0; f < nf; f++) {
			const struct rdoc_entry *e = doc_find(&docs[f], sections.k[s]);

			if (e && flat__add_entry(&fl[f], e))
				goto nomem_sec;
			for (size_t i = 0; i < fl[f].n; i++)
				if (keylist_add(&keys, fl[f].kv[i].key))
					goto nomem_sec;
			for (size_t i = 0; i < fl[f].nh; i++)
				if (keylist_add(&hkeys, fl[f].h[i].key))
					goto nomem_sec;
		}
		for (size_t i = 0; i < keys.n; i++)
			if (strlen(keys.k[i]) > width)
				width = strlen(keys.k[i]);
		if (width > 56)
			width = 56;

		if (!quiet) {
			fprintf(out, "\n== %s ==\n%-*s", sections.k[s], (int)width, "field");
			for (size_t f = 0; f < nf; f++)
				fprintf(out, " %14c", (int)('A' + f));
			for (size_t f = 1; f < nf; f++)
				fprintf(out, " %9c/A %12c-A", (int)('A' + f), (int)('A' + f));
			fputc('\n', out);
		}
		if (jsections) {
			jrows = json_array();
			json_array_append_new(jsections, json_pack("{s:s,s:o}", "key", sections.k[s],
								   "rows", jrows));
		}
		for (size_t i = 0; i < keys.n; i++) {
			double v[CMP_MAX_FILES];
			json_t *jv = NULL, *jr = NULL, *jd = NULL;

			for (size_t f = 0; f < nf; f++) {
				const double *p = flat__get(&fl[f], keys.k[i]);

				v[f] = p ? *p : NAN;
			}
			if (jrows) {
				jv = json_array(), jr = json_array(), jd = json_array();
				for (size_t f = 0; f < nf; f++)
					json_array_append_new(jv, isnan(v[f]) ? json_null() : json_real(v[f]));
			}
			int show = !quiet && (!have_only || !regexec(&only, keys.k[i], 0, NULL, 0));

			if (show) {
				fprintf(out, "%-*s", (int)width, keys.k[i]);
				for (size_t f = 0; f < nf; f++) {
					char b[32];

					fmt_num(b, sizeof(b), v[f]);
					fprintf(out, " %14s", b);
				}
			}
			for (size_t f = 1; f < nf; f++) {
				double r = ratio_of(v[0], v[f]), d = v[f] - v[0];
				char rb[32], db[32];

				if (isnan(r))
					snprintf(rb, sizeof(rb), "-");
				else if (isinf(r))
					snprintf(rb, sizeof(rb), "inf");
				else
					snprintf(rb, sizeof(rb), "%.3fx", r);
				if (isnan(d))
					snprintf(db, sizeof(db), "-");
				else if (d == floor(d) && fabs(d) < 1e15)
					snprintf(db, sizeof(db), "%+.0f", d);	/* counts: every digit */
				else
					snprintf(db, sizeof(db), "%+.6g", d);
				if (show)
					fprintf(out, " %11s %13s", rb, db);
				if (jr) {
					json_array_append_new(jr, isnan(r) || isinf(r) ? json_null() : json_real(r));
					json_array_append_new(jd, isnan(d) ? json_null() : json_real(d));
				}
			}
			if (show)
				fputc('\n', out);
			if (jrows)
				json_array_append_new(jrows, json_pack("{s:s,s:o,s:o,s:o}", "field", keys.k[i],
									"values", jv, "ratio", jr, "delta", jd));

			for (size_t k = 0; k < nconds; k++) {
				struct cond *cd = &conds[k];

				if (!key_matches(keys.k[i], cd->field))
					continue;
				cd->matched = 1;
				for (size_t f = cd->kind == COND_ABS ? 0 : 1; f < nf; f++) {
					double x = cd->kind == COND_ABS ? v[f] :
						   cd->kind == COND_RATIO ? ratio_of(v[0], v[f]) : v[f] - v[0];
					char msg[512], what[8];

					if (!cond_holds(cd, x))
						continue;
					cd->tripped = 1;
					if (cd->kind == COND_ABS)
						snprintf(what, sizeof(what), "%c", (int)('A' + f));
					else
						snprintf(what, sizeof(what), "%c%s", (int)('A' + f),
							 cd->kind == COND_RATIO ? "/A" : "-A");
					snprintf(msg, sizeof(msg), "fail-if '%s' tripped: [%s] %s: %s = %.6g "
						 "(A %.6g, %c %.6g)", cd->text, sections.k[s], keys.k[i], what,
						 x, v[0], (int)('A' + f), v[f]);
					fprintf(stderr, "corolab compare: %s\n", msg);
					if (jtripped)
						json_array_append_new(jtripped, json_string(msg));
				}
			}
		}
		if (!quiet) {
			for (size_t i = 0; i < hkeys.n; i++) {
				json_t *h[CMP_MAX_FILES], *empty;

				if (have_only && regexec(&only, hkeys.k[i], 0, NULL, 0))
					continue;
				empty = json_array();
				for (size_t f = 0; f < nf; f++) {
					h[f] = flat__hist(&fl[f], hkeys.k[i]);
					if (!h[f])
						h[f] = empty;
				}
				print_hist(out, hkeys.k[i], h, nf);
				json_decref(empty);
			}
		}
		keylist_free(&keys);
		keylist_free(&hkeys);
		for (size_t f = 0; f < nf; f++)
			flat__free(&fl[f]);
		continue;
nomem_sec:
		keylist_free(&keys);
		keylist_free(&hkeys);
		for (size_t f = 0; f < nf; f++)
			flat__free(&fl[f]);
		goto nomem;
	}

	for (size_t k = 0; k < nconds; k++) {
		if (!conds[k].matched) {
			fprintf(stderr, "corolab compare: --fail-if '%s': no numeric field '%s' in the inputs "
				"(a typo would otherwise pass silently)\n", conds[k].text, conds[k].field);
			rc = 2;
		} else if (conds[k].tripped && rc == 0) {
			rc = 1;
		}
	}
	if (jout) {
		int ret = json_write_file(jout, json_path);

		if (ret) {
			fprintf(stderr, "corolab compare: cannot write %s: %s\n", json_path, strerror(-ret));
			rc = rc ? rc : 1;
		}
	}
	goto out;
nomem:
	fprintf(stderr, "corolab compare: out of memory\n");
	rc = 1;
out:
	json_decref(jsections);
	json_decref(jtripped);
	json_decref(jout);
	keylist_free(&sections);
	for (size_t f = 0; f < nf; f++)
		rdoc__free(&docs[f]);
out_only:
	if (have_only)
		regfree(&only);
	return rc;
}
