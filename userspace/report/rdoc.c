// SPDX-License-Identifier: MIT
/* Loading and flattening result documents (see rdoc.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/rdoc.h"
#include "util/util.h"

#define SCHEMA_RUN "corolab.run/1"
#define SCHEMA_TRACE "corolab.trace/1"
#define SCHEMA_RUNTRACE "corolab.runtrace/1"
#define SCHEMA_ORIGINAL "corolab.original/1"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *rdoc_kind_name(enum rdoc_kind k)
{
	switch (k) {
	case RDOC_RUN: return "run";
	case RDOC_TRACE: return "trace";
	case RDOC_RUNTRACE: return "runtrace";
	case RDOC_ORIGINAL: return "original";
	}
	return "?";
}

json_t *rj_get(json_t *obj, const char *dotted)
{
	char part[128];
	const char *p = dotted;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (len >= sizeof(part) || !json_is_object(obj))
			return NULL;
		memcpy(part, p, len);
		part[len] = '\0';
		obj = json_object_get(obj, part);
		p += len + (dot ? 1 : 0);
	}
	return obj;
}

double rj_num(json_t *obj, const char *dotted)
{
	json_t *v = rj_get(obj, dotted);

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? 1.0 : 0.0;
	return NAN;
}

const char *rj_str(json_t *obj, const char *dotted)
{
	return json_string_value(rj_get(obj, dotted));
}

/* The key that matches the same measurement across files: workload and mode,
 * plus what changes its meaning (the GIL, the task count). */
static void entry_key(struct rdoc_entry *e)
{
	if (!e->run) {
		snprintf(e->key, sizeof(e->key), e->orig ? "original" : "trace");
		return;
	}
	const char *w = rj_str(e->run, "workload"), *m = rj_str(e->run, "mode");
	double gil = rj_num(e->run, "params.gil");

	snprintf(e->key, sizeof(e->key), "%s/%s%s", w ? w : "?", m ? m : "?",
		 gil == 1.0 ? "/gil" : "");
}

static int check_schema(json_t *o, const char *want, const char *where, char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(o, "schema"));

	if (!s) {
		set_err(err, errlen, "%sfield 'schema' missing", where);
		return -EINVAL;
	}
	if (strcmp(s, want)) {
		set_err(err, errlen, "%sfield 'schema' is '%s', expected '%s'", where, s, want);
		return -EINVAL;
	}
	return 0;
}

/* Fields compare and report key on or read as sections: a foreign or
 * hand-edited file with the right schema but the wrong types is refused
 * here, naming the field, instead of turning into "?" keys and NaNs. */
static int check_run(json_t *o, const char *where, char *err, size_t errlen)
{
	static const char *const strs[] = { "workload", "mode" };
	static const char *const nums[] = { "tasks", "ok", "failed", "wall_s", "max_rss_kb" };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!json_is_string(json_object_get(o, strs[i]))) {
			set_err(err, errlen, "%sfield '%s' %s", where, strs[i],
				json_object_get(o, strs[i]) ? "is not a string" : "missing");
			return -EINVAL;
		}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		json_t *v = json_object_get(o, nums[i]);

		if (v && !json_is_number(v)) {
			set_err(err, errlen, "%sfield '%s' is not a number", where, nums[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_trace(json_t *o, const char *where, char *err, size_t errlen)
{
	json_t *t = json_object_get(o, "totals");

	if (t && !json_is_object(t)) {
		set_err(err, errlen, "%sfield 'totals' is not an object", where);
		return -EINVAL;
	}
	return 0;
}

/* The original program's summary: the sections the report reads must be
 * objects when present (a parse that found nothing leaves them empty). */
static int check_original(json_t *o, const char *where, char *err, size_t errlen)
{
	static const char *const objs[] = { "http", "cpu", "io" };
	json_t *x = json_object_get(o, "exit_status");

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		json_t *v = json_object_get(o, objs[i]);

		if (v && !json_is_object(v)) {
			set_err(err, errlen, "%sfield '%s' is not an object", where, objs[i]);
			return -EINVAL;
		}
	}
	if (x && !json_is_number(x)) {
		set_err(err, errlen, "%sfield 'exit_status' is not a number", where);
		return -EINVAL;
	}
	return 0;
}

static int add_entry(struct rdoc *d, json_t *run, json_t *trace, json_t *orig)
{
	struct rdoc_entry *ne = realloc(d->e, (d->n + 1) * sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	d->e = ne;
	memset(&ne[d->n], 0, sizeof(ne[d->n]));
	ne[d->n].run = run;
	ne[d->n].trace = trace;
	ne[d->n].orig = orig;
	entry_key(&ne[d->n]);
	d->n++;
	return 0;
}

static int classify_one(struct rdoc *d, json_t *o, const char *where, char *err, size_t errlen)
{
	const char *s;
	int ret;

	if (!json_is_object(o)) {
		set_err(err, errlen, "%sexpected a JSON object", where);
		return -EINVAL;
	}
	s = json_string_value(json_object_get(o, "schema"));
	if (!s) {
		set_err(err, errlen, "%sfield 'schema' missing (not a corolab result?)", where);
		return -EINVAL;
	}
	if (!strcmp(s, SCHEMA_RUN)) {
		if ((ret = check_run(o, where, err, errlen)))
			return ret;
		ret = add_entry(d, o, NULL, NULL);
	} else if (!strcmp(s, SCHEMA_TRACE)) {
		if ((ret = check_trace(o, where, err, errlen)))
			return ret;
		ret = add_entry(d, NULL, o, NULL);
	} else if (!strcmp(s, SCHEMA_ORIGINAL)) {
		if ((ret = check_original(o, where, err, errlen)))
			return ret;
		ret = add_entry(d, NULL, NULL, o);
	} else if (!strcmp(s, SCHEMA_RUNTRACE)) {
		json_t *run = json_object_get(o, "run"), *trace = json_object_get(o, "trace");
		char w[64];

		if (trace && !json_is_null(trace)) {
			snprintf(w, sizeof(w), "%strace.", where);
			if ((ret = check_schema(trace, SCHEMA_TRACE, w, err, errlen)) ||
			    (ret = check_trace(trace, w, err, errlen)))
				return ret;
		} else {
			trace = NULL;	/* the tracer could not run: keep the run */
		}
		if (json_is_array(run)) {
			size_t i;
			json_t *r;

			json_array_foreach(run, i, r) {
				snprintf(w, sizeof(w), "%srun[%zu].", where, i);
				if ((ret = check_schema(r, SCHEMA_RUN, w, err, errlen)) ||
				    (ret = check_run(r, w, err, errlen)))
					return ret;
				if ((ret = add_entry(d, r, trace, NULL)))
					return ret;
			}
			ret = 0;
		} else {
			snprintf(w, sizeof(w), "%srun.", where);
			if (!run) {
				set_err(err, errlen, "%sfield 'run' missing", where);
				return -EINVAL;
			}
			if ((ret = check_schema(run, SCHEMA_RUN, w, err, errlen)) ||
			    (ret = check_run(run, w, err, errlen)))
				return ret;
			ret = add_entry(d, run, trace, NULL);
		}
	} else {
		set_err(err, errlen, "%sunknown schema '%s' (expected %s, %s, %s or %s)", where, s,
			SCHEMA_RUN, SCHEMA_TRACE, SCHEMA_RUNTRACE, SCHEMA_ORIGINAL);
		return -EINVAL;
	}
	if (!ret && !d->kind)
		d->kind = !strcmp(s, SCHEMA_RUN) ? RDOC_RUN :
			  !strcmp(s, SCHEMA_TRACE) ? RDOC_TRACE :
			  !strcmp(s, SCHEMA_ORIGINAL) ? RDOC_ORIGINAL : RDOC_RUNTRACE;
	return ret;
}

int rdoc__from_json(struct rdoc *d, json_t *root, char *err, size_t errlen)
{
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->root = json_incref(root);
	if (json_is_array(root)) {
		size_t i;
		json_t *o;
		char where[32];

		if (!json_array_size(root)) {
			set_err(err, errlen, "empty array: no results");
			ret = -EINVAL;
		}
		json_array_foreach(root, i, o) {
			snprintf(where, sizeof(where), "[%zu].", i);
			if ((ret = classify_one(d, o, where, err, errlen)))
				break;
		}
	} else {
		ret = classify_one(d, root, "", err, errlen);
	}
	/* Entries with the same key in one file (e.g. two spawn sizes) get an
	 * ordinal so they still match position-wise across files. */
	for (size_t i = 0; !ret && i < d->n; i++) {
		int k = 0;

		size_t bl = strcspn(d->e[i].key, "#");

		for (size_t j = 0; j < i; j++)
			if (strcspn(d->e[j].key, "#") == bl && !strncmp(d->e[j].key, d->e[i].key, bl))
				k++;
		if (k) {
			size_t l = strlen(d->e[i].key);

			snprintf(d->e[i].key + l, sizeof(d->e[i].key) - l, "#%d", k);
		}
	}
	if (ret)
		rdoc__free(d);
	return ret;
}

int rdoc__load(struct rdoc *d, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int ret;

	memset(d, 0, sizeof(*d));
	root = !strcmp(path, "-") ? json_loadf(stdin, 0, &je) : json_load_file(path, 0, &je);
	if (!root) {
		/* jansson reports an unreadable file as a parse error: tell them apart. */
		if (je.line <= 0 && strcmp(path, "-")) {
			FILE *f = fopen(path, "r");

			if (!f) {
				ret = -errno;
				set_err(err, errlen, "%s", strerror(errno));
				return ret;
			}
			fclose(f);
		}
		set_err(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column,
			je.text);
		return -EINVAL;
	}
	ret = rdoc__from_json(d, root, err, errlen);
	json_decref(root);
	return ret;
}

void rdoc__free(struct rdoc *d)
{
	json_decref(d->root);
	free(d->e);
	memset(d, 0, sizeof(*d));
}

/* ---- flattening ---- */

static size_t key_hash(const char *k)
{
	size_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ull;
	return h;
}

/* Index slot of key: where it is, or the empty slot where it would go. */
static size_t *flat_slot(const struct flat *f, const char *key)
{
	size_t mask = f->idx_cap - 1, i = key_hash(key) & mask;

	while (f->idx[i] && strcmp(f->kv[f->idx[i] - 1].key, key))
		i = (i + 1) & mask;
	return &f->idx[i];
}

/* Keep the index under half full: rebuild it at twice the size. */
static int flat_reindex(struct flat *f)
{
	size_t cap = f->idx_cap ? f->idx_cap * 2 : 256;
	size_t *old = f->idx;

	f->idx = calloc(cap, sizeof(*f->idx));
	if (!f->idx) {
		f->idx = old;
		return -ENOMEM;
	}
	free(old);
	f->idx_cap = cap;
	for (size_t i = 0; i < f->n; i++)
		*flat_slot(f, f->kv[i].key) = i + 1;
	return 0;
}

static int flat_put(struct flat *f, const char *key, double v)
{
	size_t *slot;

	if (2 * (f->n + 1) > f->idx_cap && flat_reindex(f))
		return -ENOMEM;
	slot = flat_slot(f, key);
	if (*slot) {
		f->kv[*slot - 1].v = v;
		return 0;
	}
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 64;
		struct flat_kv *nk = realloc(f->kv, nc * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		f->kv = nk;
		f->cap = nc;
	}
	f->kv[f->n].key = strdup(key);
	if (!f->kv[f->n].key)
		return -ENOMEM;
	f->kv[f->n].v = v;
	*slot = ++f->n;
	return 0;
}

static int flat_put_hist(struct flat *f, const char *key, json_t *arr)
{
	if (f->nh == f->caph) {
		size_t nc = f->caph ? f->caph * 2 : 4;
		struct flat_hist *nh = realloc(f->h, nc * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		f->h = nh;
		f->caph = nc;
	}
	f->h[f->nh].key = strdup(key);
	if (!f->h[f->nh].key)
		return -ENOMEM;
	f->h[f->nh++].arr = arr;
	return 0;
}

/* Identifiers that differ between any two runs by construction: comparing
 * them is noise. */
static int skip_field(const char *name)
{
	static const char *const skip[] = { "tid", "tgid", "pid", "exit_status", NULL };

	for (int i = 0; skip[i]; i++)
		if (!strcmp(name, skip[i]))
			return 1;
	return 0;
}

static int flat_walk(struct flat *f, const char *prefix, json_t *j);

static int flat_threads(struct flat *f, const char *prefix, json_t *arr)
{
	size_t i, n = json_array_size(arr);
	char key[320];
	json_t *seen = json_object();	/* comm -> threads with it so far */
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		json_t *t = json_array_get(arr, i);
		const char *comm = json_string_value(json_object_get(t, "comm"));
		json_int_t k;

		if (!json_is_object(t))
			continue;
		if (!comm)
			comm = "?";
		k = json_integer_value(json_object_get(seen, comm));
		if (json_object_set_new(seen, comm, json_integer(k + 1))) {
			ret = -ENOMEM;
			break;
		}
		if (snprintf(key, sizeof(key), "%s.%s#%lld", prefix, comm, (long long)k) >= (int)sizeof(key))
			continue;
		ret = flat_walk(f, key, t);
	}
	json_decref(seen);
	return ret;
}

static int flat_walk(struct flat *f, const char *prefix, json_t *j)
{
	char key[320];
	const char *name;
	json_t *v;
	int ret = 0;

	json_object_foreach(j, name, v) {
		if (skip_field(name))
			continue;
		if (snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", name) >=
		    (int)sizeof(key))
			continue;	/* absurdly deep: not a corolab figure */
		if (json_is_number(v)) {
			ret = flat_put(f, key, json_number_value(v));
		} else if (json_is_boolean(v)) {
			ret = flat_put(f, key, json_is_true(v));
		} else if (json_is_object(v)) {
			ret = flat_walk(f, key, v);
		} else if (json_is_array(v)) {
			if (!strcmp(name, "log2_hist_us") || strstr(name, "hist")) {
				ret = flat_put_hist(f, key, v);
			} else if (!strcmp(name, "threads")) {
				ret = flat_threads(f, key, v);
			} else {
				size_t i;
				json_t *x;

				/* Numeric arrays (task_wall_s) element by element;
				 * arrays of objects (events) are logs, not figures. */
				json_array_foreach(v, i, x) {
					char k2[340];

					if (!json_is_number(x))
						break;
					if (snprintf(k2, sizeof(k2), "%s[%zu]", key, i) >= (int)sizeof(k2))
						break;
					if ((ret = flat_put(f, k2, json_number_value(x))))
						break;
				}
			}
		}
		if (ret)
			return ret;
	}
	return 0;
}

int flat__add_entry(struct flat *f, const struct rdoc_entry *e)
{
	int ret = 0;

	if (e->run)
		ret = flat_walk(f, "", e->run);
	if (!ret && e->trace)
		ret = flat_walk(f, "trace", e->trace);
	/* The original program's figures keep their own names (http.asyncio.
	 * total_time_s, ...): they line up with another original run, not
	 * with a corolab run's fields. */
	if (!ret && e->orig)
		ret = flat_walk(f, "", e->orig);
	return ret;
}

const double *flat__get(const struct flat *f, const char *key)
{
	size_t *slot;

	if (!f->idx_cap)
		return NULL;
	slot = flat_slot(f, key);
	return *slot ? &f->kv[*slot - 1].v : NULL;
}

json_t *flat__hist(const struct flat *f, const char *key)
{
	for (size_t i = 0; i < f->nh; i++)
		if (!strcmp(f->h[i].key, key))
			return f->h[i].arr;
	return NULL;
}

void flat__free(struct flat *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->kv[i].key);
	for (size_t i = 0; i < f->nh; i++)
		free(f->h[i].key);
	free(f->kv);
	free(f->h);
	free(f->idx);
	memset(f, 0, sizeof(*f));
}

size_t stats_median(const double *v, size_t n, double *med, double *min, double *max)
{
	double buf[64], *s = n <= 64 ? buf : malloc(n * sizeof(*s));
	size_t m = 0;

	*med = *min = *max = NAN;
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	if (m) {
		qsort(s, m, sizeof(*s), cmp_double);
		*min = s[0];
		*max = s[m - 1];
		*med = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
	}
	if (s != buf)
		free(s);
	return m;
}
