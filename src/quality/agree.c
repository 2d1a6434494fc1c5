/*
 * agree.c - categorical agreement coefficients over a set of ratings, their
 * bootstrap intervals, and the long-format CSV reader. Every coefficient is
 * computed from per-item category counts in one pass over the ratings (plus
 * a pass over the categories), so a bootstrap resample costs the same as
 * the value itself. Formulas: docs/quality.md.
 */
#include "quality/agree.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const metric_names[] = {"percent", "kappa", "weighted-kappa", "fleiss",
					   "alpha", "gwet"};
static const char *const level_names[] = {"nominal", "ordinal", "interval", "ratio"};
static const char *const weight_names[] = {"identity", "linear", "quadratic"};

const char *agree_metric_name(enum agree_metric m)
{
	return (unsigned)m < AGREE_METRIC_COUNT_ ? metric_names[m] : "?";
}
const char *agree_level_name(enum agree_level l)
{
	return (unsigned)l < AGREE_LEVEL_COUNT_ ? level_names[l] : "?";
}
const char *agree_weights_name(enum agree_weights w)
{
	return (unsigned)w < AGREE_W_COUNT_ ? weight_names[w] : "?";
}
static bool parse_name(const char *s, const char *const *names, int n, int *out)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return true;
		}
	return false;
}
bool agree_metric_parse(const char *s, enum agree_metric *out)
{
	int v;
	if (!parse_name(s, metric_names, AGREE_METRIC_COUNT_, &v))
		return false;
	*out = (enum agree_metric)v;
	return true;
}
bool agree_level_parse(const char *s, enum agree_level *out)
{
	int v;
	if (!parse_name(s, level_names, AGREE_LEVEL_COUNT_, &v))
		return false;
	*out = (enum agree_level)v;
	return true;
}
bool agree_weights_parse(const char *s, enum agree_weights *out)
{
	int v;
	if (!parse_name(s, weight_names, AGREE_W_COUNT_, &v))
		return false;
	*out = (enum agree_weights)v;
	return true;
}

/* ---- hash tables ---------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort(); /* as buf.c: no sane recovery from a failed small allocation */
	return q;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

/* Interned strings: name -> dense index, open addressing. */
struct agree_strtab {
	char **names;       /* by index */
	size_t n, cap;
	uint32_t *slots;    /* index + 1, 0 = empty */
	size_t nslots;
};

static struct agree_strtab *strtab_new(void)
{
	struct agree_strtab *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	return t;
}

static void strtab_free(struct agree_strtab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	free(t);
}

static void strtab_rehash(struct agree_strtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64;
	uint32_t *slots = calloc(ns, sizeof(*slots));
	if (!slots)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash_bytes(t->names[i], strlen(t->names[i])) & (ns - 1);
		while (slots[h])
			h = (h + 1) & (ns - 1);
		slots[h] = (uint32_t)(i + 1);
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = ns;
}

/* Returns the index of s, adding it when new (*added). */
static size_t strtab_intern(struct agree_strtab *t, const char *s, bool *added)
{
	size_t len = strlen(s);
	if ((t->n + 1) * 2 > t->nslots)
		strtab_rehash(t);
	size_t h = hash_bytes(s, len) & (t->nslots - 1);
	while (t->slots[h]) {
		size_t i = t->slots[h] - 1;
		if (!strcmp(t->names[i], s)) {
			if (added)
				*added = false;
			return i;
		}
		h = (h + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->names = xrealloc(t->names, t->cap * sizeof(*t->names));
	}
	char *c = malloc(len + 1);
	if (!c)
		abort();
	memcpy(c, s, len + 1);
	t->names[t->n] = c;
	t->slots[h] = (uint32_t)(t->n + 1);
	if (added)
		*added = true;
	return t->n++;
}

/* (item, rater) -> line of the row that set it. */
struct agree_pairmap {
	uint64_t *keys;     /* (item + 1) << 32 | rater; 0 = empty */
	size_t *vals;
	size_t n, nslots;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void pairmap_free(struct agree_pairmap *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->vals);
	free(m);
}

static void pairmap_rehash(struct agree_pairmap *m)
{
	size_t ns = m->nslots ? m->nslots * 2 : 256;
	uint64_t *keys = calloc(ns, sizeof(*keys));
	size_t *vals = calloc(ns, sizeof(*vals));
	if (!keys || !vals)
		abort();
	for (size_t i = 0; i < m->nslots; i++) {
		if (!m->keys[i])
			continue;
		size_t h = mix64(m->keys[i]) & (ns - 1);
		while (keys[h])
			h = (h + 1) & (ns - 1);
		keys[h] = m->keys[i];
		vals[h] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->nslots = ns;
}

/* Inserts key with val; returns 0, or the existing value (a duplicate). */
static size_t pairmap_put(struct agree_pairmap *m, uint64_t key, size_t val, bool *dup)
{
	if ((m->n + 1) * 2 > m->nslots)
		pairmap_rehash(m);
	size_t h = mix64(key) & (m->nslots - 1);
	while (m->keys[h]) {
		if (m->keys[h] == key) {
			*dup = true;
			return m->vals[h];
		}
		h = (h + 1) & (m->nslots - 1);
	}
	m->keys[h] = key;
	m->vals[h] = val;
	m->n++;
	*dup = false;
	return 0;
}

/* ---- the data ------------------------------------------------------------- */

void agree_data_init(struct agree_data *d)
{
	memset(d, 0, sizeof(*d));
	d->items = strtab_new();
	d->raters = strtab_new();
	d->cats = strtab_new();
	d->pairs = calloc(1, sizeof(*d->pairs));
	if (!d->pairs)
		abort();
}

void agree_data_release(struct agree_data *d)
{
	if (!d)
		return;
	free(d->r);
	free(d->item_off);
	free(d->cat_value);
	strtab_free(d->items);
	strtab_free(d->raters);
	strtab_free(d->cats);
	pairmap_free(d->pairs);
	memset(d, 0, sizeof(*d));
}

const char *agree_item_name(const struct agree_data *d, size_t i)
{
	return i < d->items->n ? d->items->names[i] : "";
}
const char *agree_rater_name(const struct agree_data *d, size_t i)
{
	return i < d->raters->n ? d->raters->names[i] : "";
}
const char *agree_cat_name(const struct agree_data *d, size_t i)
{
	return i < d->cats->n ? d->cats->names[i] : "";
}

int agree_data_add(struct agree_data *d, const char *item, const char *rater, const char *label,
		   size_t line, struct buf *err)
{
	if (d->finished) {
		buf_setf(err, "ratings: add after finish");
		return CAIRN_EINTERNAL;
	}
	if (d->pairs->n >= AGREE_MAX_PAIRS) {
		buf_setf(err, "more than %d (item, annotator) pairs", AGREE_MAX_PAIRS);
		return CAIRN_ETOOBIG;
	}
	bool has_label = label && *label;
	if (has_label && d->cats->n >= AGREE_MAX_CATS) {
		bool fresh = true;
		/* Only a new label is over the cap. */
		size_t len = strlen(label);
		if (d->cats->nslots) {
			size_t h = hash_bytes(label, len) & (d->cats->nslots - 1);
			while (d->cats->slots[h]) {
				if (!strcmp(d->cats->names[d->cats->slots[h] - 1], label)) {
					fresh = false;
					break;
				}
				h = (h + 1) & (d->cats->nslots - 1);
			}
		}
		if (fresh) {
			buf_setf(err, "more than %d distinct labels", AGREE_MAX_CATS);
			return CAIRN_ETOOBIG;
		}
	}
	size_t ii = strtab_intern(d->items, item, NULL);
	size_t ri = strtab_intern(d->raters, rater, NULL);
	bool dup;
	size_t prev = pairmap_put(d->pairs, ((uint64_t)(ii + 1) << 32) | ri, line, &dup);
	if (dup) {
		if (prev)
			buf_setf(err, "annotator '%s' already labelled item '%s' (line %zu)", rater, item,
				 prev);
		else
			buf_setf(err, "annotator '%s' already labelled item '%s'", rater, item);
		return CAIRN_EINVAL;
	}
	if (!has_label) {
		d->n_missing++;
		return 0;
	}
	size_t ci = strtab_intern(d->cats, label, NULL);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->r = xrealloc(d->r, d->cap * sizeof(*d->r));
	}
	d->r[d->n++] = (struct agree_rating){(uint32_t)ii, (uint32_t)ri, (uint32_t)ci};
	return 0;
}

static bool parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}

struct cat_sort {
	const char *name;
	double v;
	uint32_t old;
};

static int cmp_cat_num(const void *a, const void *b)
{
	const struct cat_sort *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return strcmp(x->name, y->name);
}
static int cmp_cat_str(const void *a, const void *b)
{
	const struct cat_sort *x = a, *y = b;
	return strcmp(x->name, y->name);
}

int agree_data_finish(struct agree_data *d, struct buf *err)
{
	(void)err;
	if (d->finished)
		return 0;
	size_t q = d->cats->n;
	struct cat_sort *cs = xrealloc(NULL, q * sizeof(*cs));
	d->numeric = q > 0;
	for (size_t c = 0; c < q; c++) {
		cs[c].name = d->cats->names[c];
		cs[c].old = (uint32_t)c;
		cs[c].v = 0;
		if (d->numeric && !parse_number(cs[c].name, &cs[c].v))
			d->numeric = false;
	}
	qsort(cs, q, sizeof(*cs), d->numeric ? cmp_cat_num : cmp_cat_str);
	uint32_t *remap = xrealloc(NULL, q * sizeof(*remap));
	char **names = xrealloc(NULL, (q ? q : 1) * sizeof(*names));
	d->cat_value = xrealloc(NULL, q * sizeof(double));
	for (size_t c = 0; c < q; c++) {
		remap[cs[c].old] = (uint32_t)c;
		names[c] = (char *)cs[c].name;
		d->cat_value[c] = d->numeric ? cs[c].v : (double)c;
	}
	/* Re-lay the name table in the new order (slots refer to indexes). */
	free(d->cats->names);
	d->cats->names = names;
	d->cats->cap = q ? q : 1;
	free(d->cats->slots);
	d->cats->slots = NULL;
	d->cats->nslots = 0;
	if (q)
		strtab_rehash(d->cats);
	free(cs);
	for (size_t i = 0; i < d->n; i++)
		d->r[i].cat = remap[d->r[i].cat];
	free(remap);

	/* Counting sort by item: O(ratings + items). */
	d->n_items = d->items->n;
	d->n_raters = d->raters->n;
	d->n_cats = q;
	d->item_off = calloc(d->n_items + 1, sizeof(*d->item_off));
	if (!d->item_off)
		abort();
	for (size_t i = 0; i < d->n; i++)
		d->item_off[d->r[i].item + 1]++;
	for (size_t i = 0; i < d->n_items; i++)
		d->item_off[i + 1] += d->item_off[i];
	struct agree_rating *sorted = xrealloc(NULL, d->n * sizeof(*sorted));
	size_t *pos = xrealloc(NULL, (d->n_items + 1) * sizeof(*pos));
	memcpy(pos, d->item_off, (d->n_items + 1) * sizeof(*pos));
	for (size_t i = 0; i < d->n; i++)
		sorted[pos[d->r[i].item]++] = d->r[i];
	free(pos);
	free(d->r);
	d->r = sorted;
	d->cap = d->n;
	d->finished = true;
	return 0;
}

/* ---- the coefficients ----------------------------------------------------- */

uint64_t agree_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Scratch shared by the coefficient functions for one call. */
struct work {
	const struct agree_data *d;
	const struct agree_opts *o;
	size_t q;
	double *cnt;      /* per category, count in the current item (zeroed after use) */
	uint32_t *touched;/* categories present in the current item */
	size_t ntouched;
	double *a, *b;    /* per-category accumulators */
	double range;     /* max - min of the category positions */
};

/* Loads item it's category counts into w->cnt; returns its rating count. */
static size_t load_item(struct work *w, uint32_t it)
{
	const struct agree_data *d = w->d;
	w->ntouched = 0;
	for (size_t k = d->item_off[it]; k < d->item_off[it + 1]; k++) {
		uint32_t c = d->r[k].cat;
		if (w->cnt[c] == 0)
			w->touched[w->ntouched++] = c;
		w->cnt[c] += 1;
	}
	return d->item_off[it + 1] - d->item_off[it];
}

static void clear_item(struct work *w)
{
	for (size_t t = 0; t < w->ntouched; t++)
		w->cnt[w->touched[t]] = 0;
	w->ntouched = 0;
}

/* Agreement weight of categories c and k (1 on the diagonal). */
static double weight(const struct work *w, enum agree_weights wt, uint32_t c, uint32_t k)
{
	if (c == k)
		return 1;
	if (wt == AGREE_W_IDENTITY || w->range <= 0)
		return 0;
	double dd = fabs(w->d->cat_value[c] - w->d->cat_value[k]) / w->range;
	return wt == AGREE_W_LINEAR ? 1 - dd : 1 - dd * dd;
}

/*
 * Sum over categories c, k of x_c y_k (1 - weight(c, k)): the chance
 * disagreement of two marginals, in O(q) for every weighting (categories
 * are in position order).
 */
static double cross_disagreement(const struct work *w, enum agree_weights wt, const double *x,
				 const double *y)
{
	const double *v = w->d->cat_value;
	size_t q = w->q;
	double sx = 0, sy = 0, sxy = 0;
	for (size_t c = 0; c < q; c++) {
		sx += x[c];
		sy += y[c];
		sxy += x[c] * y[c];
	}
	if (wt == AGREE_W_IDENTITY || w->range <= 0)
		return sx * sy - sxy;
	if (wt == AGREE_W_QUADRATIC) {
		double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
		for (size_t c = 0; c < q; c++) {
			x1 += x[c] * v[c];
			x2 += x[c] * v[c] * v[c];
			y1 += y[c] * v[c];
			y2 += y[c] * v[c] * v[c];
		}
		return (sy * x2 + sx * y2 - 2 * x1 * y1) / (w->range * w->range);
	}
	/* Linear: sum_c x_c sum_k y_k |v_c - v_k| with running sums of y. */
	double ylo = 0, ylov = 0, ytot = sy, ytotv = 0, s = 0;
	for (size_t c = 0; c < q; c++)
		ytotv += y[c] * v[c];
	for (size_t c = 0; c < q; c++) {
		double yle = ylo + y[c], ylev = ylov + y[c] * v[c];
		s += x[c] * ((v[c] * yle - ylev) + ((ytotv - ylev) - v[c] * (ytot - yle)));
		ylo = yle;
		ylov = ylev;
	}
	return s / w->range;
}

static double percent_agreement(struct work *w, const uint32_t *sel, size_t nsel, size_t *used)
{
	double sum = 0;
	size_t n = 0;
	for (size_t s = 0; s < nsel; s++) {
		size_t m = load_item(w, sel[s]);
		if (m >= 2) {
			double a = 0;
			for (size_t t = 0; t < w->ntouched; t++) {
				double c = w->cnt[w->touched[t]];
				a += c * (c - 1);
			}
			sum += a / ((double)m * (double)(m - 1));
			n++;
		}
		clear_item(w);
	}
	*used = n;
	return n ? sum / (double)n : NAN;
}

/* Cohen's kappa, weighted or not: two annotators (rater indexes 0 and 1). */
static double cohen(struct work *w, enum agree_weights wt, const uint32_t *sel, size_t nsel,
		    double *po_out, double *pe_out, size_t *used)
{
	const struct agree_data *d = w->d;
	double *row = w->a, *col = w->b;
	memset(row, 0, w->q * sizeof(double));
	memset(col, 0, w->q * sizeof(double));
	double agree = 0, n = 0;
	for (size_t s = 0; s < nsel; s++) {
		uint32_t it = sel[s];
		size_t lo = d->item_off[it], hi = d->item_off[it + 1];
		if (hi - lo != 2)
			continue;
		const struct agree_rating *x = &d->r[lo], *y = &d->r[lo + 1];
		if (x->rater == 1)
			x = y, y = &d->r[lo];
		row[x->cat]++;
		col[y->cat]++;
		agree += weight(w, wt, x->cat, y->cat);
		n++;
	}
	*used = (size_t)n;
	if (n == 0)
		return NAN;
	double po = agree / n, pe = 1 - cross_disagreement(w, wt, row, col) / (n * n);
	*po_out = po;
	*pe_out = pe;
	if (pe >= 1)
		return NAN;
	return (po - pe) / (1 - pe);
}

/*
 * Fleiss' kappa, with missing ratings as Gwet (2014) generalises it (and
 * irrCAC computes it): P-bar over items with two or more ratings, the
 * category shares p_k the mean over rated items of n_ik / m_i. With the
 * same number of ratings on every item this is Fleiss (1971) exactly.
 */
static double fleiss(struct work *w, const uint32_t *sel, size_t nsel, double *po_out,
		     double *pe_out, size_t *used)
{
	double *p = w->a;
	memset(p, 0, w->q * sizeof(double));
	double sum = 0;
	size_t n = 0, rated = 0;
	for (size_t s = 0; s < nsel; s++) {
		size_t m = load_item(w, sel[s]);
		if (m >= 1) {
			for (size_t t = 0; t < w->ntouched; t++)
				p[w->touched[t]] += w->cnt[w->touched[t]] / (double)m;
			rated++;
		}
		if (m >= 2) {
			double a = 0;
			for (size_t t = 0; t < w->ntouched; t++) {
				double c = w->cnt[w->touched[t]];
				a += c * (c - 1);
			}
			sum += a / ((double)m * (double)(m - 1));
			n++;
		}
		clear_item(w);
	}
	*used = n;
	if (!n)
		return NAN;
	double pbar = sum / (double)n, pe = 0;
	for (size_t c = 0; c < w->q; c++)
		pe += (p[c] / (double)rated) * (p[c] / (double)rated);
	*po_out = pbar;
	*pe_out = pe;
	if (pe >= 1)
		return NAN;
	return (pbar - pe) / (1 - pe);
}

/* Krippendorff's squared difference of categories c < k, or any order. */
static double delta2(const struct work *w, enum agree_level lv, const double *prefix,
		     const double *ng, uint32_t c, uint32_t k)
{
	if (c == k)
		return 0;
	const double *v = w->d->cat_value;
	switch (lv) {
	case AGREE_NOMINAL:
		return 1;
	case AGREE_ORDINAL: {
		uint32_t lo = c < k ? c : k, hi = c < k ? k : c;
		double s = prefix[hi + 1] - prefix[lo] - (ng[lo] + ng[hi]) / 2;
		return s * s;
	}
	case AGREE_INTERVAL:
		return (v[c] - v[k]) * (v[c] - v[k]);
	case AGREE_RATIO: {
		double den = v[c] + v[k];
		if (den == 0)
			return 0;
		return ((v[c] - v[k]) / den) * ((v[c] - v[k]) / den);
	}
	default:
		return 1;
	}
}

static double alpha(struct work *w, enum agree_level lv, const uint32_t *sel, size_t nsel,
		    double *do_out, double *de_out, size_t *used)
{
	size_t q = w->q;
	double *ng = w->a, *prefix = w->b; /* b has q + 1 slots */
	memset(ng, 0, q * sizeof(double));
	size_t n_units = 0;
	/* Pass 1: the pairable values' marginals n_c. */
	for (size_t s = 0; s < nsel; s++) {
		uint32_t it = sel[s];
		size_t lo = w->d->item_off[it], hi = w->d->item_off[it + 1];
		if (hi - lo < 2)
			continue;
		for (size_t k = lo; k < hi; k++)
			ng[w->d->r[k].cat] += 1;
		n_units++;
	}
	*used = n_units;
	double n = 0;
	prefix[0] = 0;
	for (size_t c = 0; c < q; c++) {
		n += ng[c];
		prefix[c + 1] = prefix[c] + ng[c];
	}
	if (n < 2)
		return NAN;
	/* Pass 2: observed disagreement, per unit over its distinct values. */
	double dobs = 0;
	for (size_t s = 0; s < nsel; s++) {
		size_t m = load_item(w, sel[s]);
		if (m >= 2 && w->ntouched > 1) {
			double u = 0;
			for (size_t i = 0; i < w->ntouched; i++)
				for (size_t j = i + 1; j < w->ntouched; j++) {
					uint32_t c = w->touched[i], k = w->touched[j];
					u += 2 * w->cnt[c] * w->cnt[k] * delta2(w, lv, prefix, ng, c, k);
				}
			dobs += u / (double)(m - 1);
		}
		clear_item(w);
	}
	/* Expected disagreement over the marginals. */
	double dexp = 0;
	if (lv == AGREE_NOMINAL) {
		double s2 = 0;
		for (size_t c = 0; c < q; c++)
			s2 += ng[c] * ng[c];
		dexp = n * n - s2;
	} else if (lv == AGREE_INTERVAL) {
		double s1 = 0, s2 = 0;
		for (size_t c = 0; c < q; c++) {
			s1 += ng[c] * w->d->cat_value[c];
			s2 += ng[c] * w->d->cat_value[c] * w->d->cat_value[c];
		}
		dexp = 2 * n * s2 - 2 * s1 * s1;
	} else {
		/* Ordinal and ratio: pairs of the categories present. */
		size_t np = 0;
		for (size_t c = 0; c < q; c++)
			if (ng[c] > 0)
				w->touched[np++] = (uint32_t)c;
		for (size_t i = 0; i < np; i++)
			for (size_t j = i + 1; j < np; j++) {
				uint32_t c = w->touched[i], k = w->touched[j];
				dexp += 2 * ng[c] * ng[k] * delta2(w, lv, prefix, ng, c, k);
			}
	}
	*do_out = dobs / n;
	*de_out = dexp / (n * (n - 1));
	if (dexp <= 0)
		return NAN;
	return 1 - (n - 1) * dobs / dexp;
}

/* Gwet's AC1 (identity weights) and AC2 (Gwet 2014, ch. 2 and 3). */
static double gwet(struct work *w, enum agree_weights wt, const uint32_t *sel, size_t nsel,
		   double *pa_out, double *pe_out, size_t *used)
{
	size_t q = w->q;
	double *pi = w->a;
	memset(pi, 0, q * sizeof(double));
	double pa = 0;
	size_t n1 = 0, n2 = 0;
	for (size_t s = 0; s < nsel; s++) {
		size_t m = load_item(w, sel[s]);
		if (m >= 1) {
			for (size_t t = 0; t < w->ntouched; t++)
				pi[w->touched[t]] += w->cnt[w->touched[t]] / (double)m;
			n1++;
		}
		if (m >= 2) {
			double a = 0;
			for (size_t i = 0; i < w->ntouched; i++) {
				uint32_t k = w->touched[i];
				double rstar = 0;
				for (size_t j = 0; j < w->ntouched; j++) {
					uint32_t l = w->touched[j];
					rstar += weight(w, wt, k, l) * w->cnt[l];
				}
				a += w->cnt[k] * (rstar - 1);
			}
			pa += a / ((double)m * (double)(m - 1));
			n2++;
		}
		clear_item(w);
	}
	*used = n2;
	if (!n2 || q < 2)
		return NAN;
	pa /= (double)n2;
	double spi = 0;
	for (size_t c = 0; c < q; c++) {
		pi[c] /= (double)n1;
		spi += pi[c] * (1 - pi[c]);
	}
	/* T_w, the sum of all weights: q^2 minus the disagreement of ones. */
	double *ones = w->b;
	for (size_t c = 0; c < q; c++)
		ones[c] = 1;
	double tw = (double)q * (double)q - cross_disagreement(w, wt, ones, ones);
	double pe = tw / ((double)q * (double)(q - 1)) * spi;
	*pa_out = pa;
	*pe_out = pe;
	if (pe >= 1)
		return NAN;
	return (pa - pe) / (1 - pe);
}

double agree_value(const struct agree_data *d, const struct agree_opts *o, const uint32_t *sel,
		   size_t nsel, double *observed, double *expected, size_t *n_used)
{
	struct work w = {.d = d, .o = o, .q = d->n_cats};
	size_t q = w.q ? w.q : 1;
	w.cnt = calloc(q, sizeof(double));
	w.a = calloc(q, sizeof(double));
	w.b = calloc(q + 1, sizeof(double));
	w.touched = calloc(q, sizeof(uint32_t));
	if (!w.cnt || !w.a || !w.b || !w.touched)
		abort();
	if (d->n_cats)
		w.range = d->cat_value[d->n_cats - 1] - d->cat_value[0];
	double po = NAN, pe = NAN, v = NAN;
	size_t used = 0;
	switch (o->metric) {
	case AGREE_PERCENT:
		v = po = percent_agreement(&w, sel, nsel, &used);
		break;
	case AGREE_KAPPA:
		v = cohen(&w, AGREE_W_IDENTITY, sel, nsel, &po, &pe, &used);
		break;
	case AGREE_WKAPPA:
		v = cohen(&w, o->weights, sel, nsel, &po, &pe, &used);
		break;
	case AGREE_FLEISS:
		v = fleiss(&w, sel, nsel, &po, &pe, &used);
		break;
	case AGREE_ALPHA:
		v = alpha(&w, o->level, sel, nsel, &po, &pe, &used);
		break;
	case AGREE_GWET:
		v = gwet(&w, o->weights, sel, nsel, &po, &pe, &used);
		break;
	default:
		break;
	}
	free(w.cnt);
	free(w.a);
	free(w.b);
	free(w.touched);
	if (observed)
		*observed = po;
	if (expected)
		*expected = pe;
	if (n_used)
		*n_used = used;
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The p-quantile of sorted v (linear interpolation, R's type 7). */
static double quantile(const double *v, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

int agree_compute(const struct agree_data *d, const struct agree_opts *o,
		  struct agree_result *out, struct buf *err)
{
	memset(out, 0, sizeof(*out));
	out->value = out->ci_lo = out->ci_hi = NAN;
	if (!d->finished) {
		buf_setf(err, "ratings: not finished");
		return CAIRN_EINTERNAL;
	}
	if ((o->metric == AGREE_KAPPA || o->metric == AGREE_WKAPPA) && d->n_raters != 2) {
		buf_setf(err, "%s needs exactly two annotators, the data has %zu (use fleiss, alpha or gwet)",
			 agree_metric_name(o->metric), d->n_raters);
		return CAIRN_EINVAL;
	}
	if (o->metric == AGREE_ALPHA && (o->level == AGREE_INTERVAL || o->level == AGREE_RATIO)) {
		if (d->n_cats && !d->numeric) {
			buf_setf(err, "alpha at the %s level needs numeric labels", agree_level_name(o->level));
			return CAIRN_EINVAL;
		}
		if (o->level == AGREE_RATIO && d->n_cats && d->cat_value[0] < 0) {
			buf_setf(err, "alpha at the ratio level needs labels >= 0, got %s",
				 agree_cat_name(d, 0));
			return CAIRN_EINVAL;
		}
	}
	/* Items with at least one rating are the bootstrap's population. */
	uint32_t *pool = calloc(d->n_items ? d->n_items : 1, sizeof(*pool));
	if (!pool)
		abort();
	size_t np = 0;
	for (size_t i = 0; i < d->n_items; i++)
		if (d->item_off[i + 1] > d->item_off[i])
			pool[np++] = (uint32_t)i;
	out->value = agree_value(d, o, pool, np, &out->observed, &out->expected, &out->n_used);
	if (o->bootstrap && np) {
		uint32_t *sel = xrealloc(NULL, np * sizeof(*sel));
		double *vals = xrealloc(NULL, o->bootstrap * sizeof(double));
		uint64_t state = o->seed;
		unsigned nv = 0;
		for (unsigned b = 0; b < o->bootstrap; b++) {
			for (size_t j = 0; j < np; j++)
				sel[j] = pool[agree_rand(&state) % np];
			double v = agree_value(d, o, sel, np, NULL, NULL, NULL);
			if (!isnan(v))
				vals[nv++] = v;
		}
		if (nv) {
			qsort(vals, nv, sizeof(double), cmp_double);
			out->ci_lo = quantile(vals, nv, 0.025);
			out->ci_hi = quantile(vals, nv, 0.975);
		}
		out->n_boot = nv;
		free(sel);
		free(vals);
	}
	free(pool);
	return 0;
}

/* ---- breakdowns ----------------------------------------------------------- */

int agree_pairs(const struct agree_data *d, struct agree_pair **out, size_t *nout,
		struct buf *err)
{
	size_t R = d->n_raters, q = d->n_cats;
	*out = NULL;
	*nout = 0;
	if ((double)R * (double)R * (double)(q ? q : 1) > AGREE_MAX_PAIR_CELLS) {
		buf_setf(err, "%zu annotators x %zu labels: too many for pairwise agreement", R, q);
		return CAIRN_ETOOBIG;
	}
	/* Per ordered pair a < b: items, agreements, and both marginals. */
	size_t cells = R * R > 0 ? R * R : 1;
	double *cnt = calloc(cells, 2 * sizeof(double));
	double *marg = calloc(cells * (q > 0 ? q : 1), 2 * sizeof(double));
	if (!cnt || !marg)
		abort();
	for (size_t i = 0; i < d->n_items; i++)
		for (size_t x = d->item_off[i]; x < d->item_off[i + 1]; x++)
			for (size_t y = x + 1; y < d->item_off[i + 1]; y++) {
				const struct agree_rating *u = &d->r[x], *v = &d->r[y];
				if (u->rater > v->rater) {
					const struct agree_rating *t = u;
					u = v;
					v = t;
				}
				size_t k = (size_t)u->rater * R + v->rater;
				cnt[2 * k] += 1;
				cnt[2 * k + 1] += u->cat == v->cat;
				marg[(2 * k) * q + u->cat] += 1;
				marg[(2 * k + 1) * q + v->cat] += 1;
			}
	size_t n = 0;
	for (size_t k = 0; k < R * R; k++)
		n += cnt[2 * k] > 0;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		abort();
	n = 0;
	for (size_t a = 0; a < R; a++)
		for (size_t b = a + 1; b < R; b++) {
			size_t k = a * R + b;
			double N = cnt[2 * k];
			if (N <= 0)
				continue;
			double pe = 0;
			for (size_t c = 0; c < q; c++)
				pe += marg[(2 * k) * q + c] * marg[(2 * k + 1) * q + c];
			pe /= N * N;
			double po = cnt[2 * k + 1] / N;
			(*out)[n++] = (struct agree_pair){(uint32_t)a, (uint32_t)b, (size_t)N, po,
							 pe < 1 ? (po - pe) / (1 - pe) : NAN};
		}
	*nout = n;
	free(cnt);
	free(marg);
	return 0;
}

void agree_categories(const struct agree_data *d, double *kappa, double *share)
{
	size_t q = d->n_cats;
	double *dis = calloc(q ? q : 1, sizeof(double)), *tot = calloc(q ? q : 1, sizeof(double));
	double *cnt = calloc(q ? q : 1, sizeof(double));
	if (!dis || !tot || !cnt)
		abort();
	double all = 0, items = 0;
	for (size_t i = 0; i < d->n_items; i++) {
		size_t lo = d->item_off[i], hi = d->item_off[i + 1], m = hi - lo;
		if (m < 2)
			continue;
		items++;
		all += (double)m;
		for (size_t k = lo; k < hi; k++)
			cnt[d->r[k].cat]++;
		for (size_t k = lo; k < hi; k++) {
			uint32_t c = d->r[k].cat;
			if (cnt[c] < 0)
				continue; /* done for this item */
			dis[c] += cnt[c] * ((double)m - cnt[c]) / ((double)m * (double)(m - 1));
			tot[c] += cnt[c];
			cnt[c] = -1;
		}
		for (size_t k = lo; k < hi; k++)
			cnt[d->r[k].cat] = 0;
	}
	for (size_t c = 0; c < q; c++) {
		double p = all > 0 ? tot[c] / all : NAN;
		share[c] = p;
		kappa[c] = p > 0 && p < 1 ? 1 - dis[c] / (items * p * (1 - p)) : NAN;
	}
	free(dis);
	free(tot);
	free(cnt);
}

/* ---- the CSV reader ------------------------------------------------------- */

#define CSV_MAX_FIELDS 256

struct csv {
	agree_read_fn rd;
	void *ctx;
	char chunk[65536];
	size_t pos, len;
	bool eof;
	size_t line;      /* physical line of the next character */
	int err_rc;
};

/* Next byte, or -1 at the end (-2 on a read error). */
static int csv_getc(struct csv *c)
{
	if (c->pos == c->len) {
		if (c->eof)
			return -1;
		long n = c->rd(c->ctx, c->chunk, sizeof(c->chunk));
		if (n < 0) {
			c->eof = true;
			return -2;
		}
		if (n == 0) {
			c->eof = true;
			return -1;
		}
		c->pos = 0;
		c->len = (size_t)n;
	}
	return (unsigned char)c->chunk[c->pos++];
}

static int csv_peek(struct csv *c)
{
	int ch = csv_getc(c);
	if (ch >= 0)
		c->pos--;
	return ch;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char b = p[i];
		size_t k;
		uint32_t cp;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xe0) == 0xc0) {
			k = 1;
			cp = b & 0x1f;
		} else if ((b & 0xf0) == 0xe0) {
			k = 2;
			cp = b & 0x0f;
		} else if ((b & 0xf8) == 0xf0) {
			k = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/*
 * Reads one record into fields (each a NUL-terminated buffer). Returns 1
 * for a record, 0 at the end, or an error code. *start gets the line the
 * record began on.
 */
static int csv_record(struct csv *c, struct buf *fields, size_t *nf, size_t *start,
		      const char *name, struct buf *err)
{
	*nf = 0;
	*start = c->line;
	int ch = csv_getc(c);
	if (ch == -1)
		return 0;
	for (;;) {
		if (*nf == CSV_MAX_FIELDS) {
			buf_setf(err, "%s:%zu: more than %d fields", name, *start, CSV_MAX_FIELDS);
			return CAIRN_EINVAL;
		}
		struct buf *f = &fields[(*nf)++];
		buf_reset(f);
		f->max = AGREE_MAX_FIELD + 1;
		bool quoted = false;
		if (ch == '"') {
			quoted = true;
			size_t qline = c->line;
			for (;;) {
				ch = csv_getc(c);
				if (ch == -1) {
					buf_setf(err, "%s:%zu: a quoted field is not closed", name, qline);
					return CAIRN_EINVAL;
				}
				if (ch == '"') {
					if (csv_peek(c) == '"') {
						csv_getc(c);
					} else {
						ch = csv_getc(c);
						break;
					}
				} else if (ch == '\n') {
					c->line++;
				} else if (ch == -2) {
					break;
				}
				if (ch == 0) {
					buf_setf(err, "%s:%zu: a NUL byte", name, c->line);
					return CAIRN_EINVAL;
				}
				if (buf_addch(f, (char)ch) || f->len > AGREE_MAX_FIELD) {
					buf_setf(err, "%s:%zu: a field longer than %d bytes", name,
						 c->line, AGREE_MAX_FIELD);
					return CAIRN_ETOOBIG;
				}
			}
		}
		/* Unquoted part (or what follows the closing quote). */
		for (;;) {
			if (ch == -2) {
				buf_setf(err, "%s:%zu: read error", name, c->line);
				return CAIRN_EIO;
			}
			if (ch == -1 || ch == ',' || ch == '\n' || ch == '\r')
				break;
			if (quoted) {
				buf_setf(err, "%s:%zu: text after a closing quote", name, c->line);
				return CAIRN_EINVAL;
			}
			if (ch == '"') {
				buf_setf(err, "%s:%zu: a quote inside an unquoted field", name, c->line);
				return CAIRN_EINVAL;
			}
			if (ch == 0) {
				buf_setf(err, "%s:%zu: a NUL byte", name, c->line);
				return CAIRN_EINVAL;
			}
			if (buf_addch(f, (char)ch) || f->len > AGREE_MAX_FIELD) {
				buf_setf(err, "%s:%zu: a field longer than %d bytes", name, c->line,
					 AGREE_MAX_FIELD);
				return CAIRN_ETOOBIG;
			}
			ch = csv_getc(c);
		}
		if (!valid_utf8(f->data, f->len)) {
			buf_setf(err, "%s:%zu: field %zu is not valid UTF-8", name, c->line, *nf);
			return CAIRN_EINVAL;
		}
		if (ch == ',') {
			ch = csv_getc(c);
			continue;
		}
		if (ch == '\r') {
			if (csv_peek(c) == '\n')
				csv_getc(c);
		}
		if (ch != -1)
			c->line++;
		return 1;
	}
}

static void trim(struct buf *f)
{
	size_t a = 0, b = f->len;
	while (a < b && (f->data[a] == ' ' || f->data[a] == '\t'))
		a++;
	while (b > a && (f->data[b - 1] == ' ' || f->data[b - 1] == '\t'))
		b--;
	if (a)
		memmove(f->data, f->data + a, b - a);
	buf_setlen(f, b - a);
}

int agree_read_csv(struct agree_data *d, agree_read_fn rd, void *ctx, const char *name,
		   struct buf *err)
{
	struct csv *c = calloc(1, sizeof(*c));
	struct buf *fields = calloc(CSV_MAX_FIELDS, sizeof(*fields));
	if (!c || !fields)
		abort();
	for (size_t i = 0; i < CSV_MAX_FIELDS; i++)
		fields[i] = (struct buf)BUF_INIT;
	c->rd = rd;
	c->ctx = ctx;
	c->line = 1;
	size_t nf, start;
	int col[3] = {-1, -1, -1}, rc;
	size_t ncols = 0;
	static const char *const want[3] = {"item", "annotator", "label"};
	rc = csv_record(c, fields, &nf, &start, name, err);
	if (rc == 0) {
		buf_setf(err, "%s: empty file (expected a header item,annotator,label)", name);
		rc = CAIRN_EINVAL;
	}
	if (rc == 1) {
		rc = 0;
		ncols = nf;
		for (size_t i = 0; i < nf; i++) {
			struct buf *f = &fields[i];
			/* A UTF-8 byte-order mark may open the file. */
			if (i == 0 && f->len >= 3 && !memcmp(f->data, "\xef\xbb\xbf", 3)) {
				memmove(f->data, f->data + 3, f->len - 3);
				buf_setlen(f, f->len - 3);
			}
			trim(f);
			for (int k = 0; k < 3; k++)
				if (!strcmp(f->data, want[k])) {
					if (col[k] >= 0) {
						buf_setf(err, "%s:%zu: column '%s' appears twice", name,
							 start, want[k]);
						rc = CAIRN_EINVAL;
					}
					col[k] = (int)i;
				}
		}
		for (int k = 0; k < 3 && !rc; k++)
			if (col[k] < 0) {
				buf_setf(err, "%s:%zu: the header has no '%s' column (expected item,annotator,label)",
					 name, start, want[k]);
				rc = CAIRN_EINVAL;
			}
	}
	while (!rc) {
		rc = csv_record(c, fields, &nf, &start, name, err);
		if (rc <= 0)
			break;
		rc = 0;
		if (nf == 1 && fields[0].len == 0)
			continue; /* a blank line */
		if (nf != ncols) {
			buf_setf(err, "%s:%zu: expected %zu fields, got %zu", name, start, ncols, nf);
			rc = CAIRN_EINVAL;
			break;
		}
		for (int k = 0; k < 3; k++)
			trim(&fields[col[k]]);
		const char *item = fields[col[0]].data, *rater = fields[col[1]].data;
		if (!*item || !*rater) {
			buf_setf(err, "%s:%zu: empty %s", name, start, *item ? "annotator" : "item");
			rc = CAIRN_EINVAL;
			break;
		}
		struct buf why = BUF_INIT;
		rc = agree_data_add(d, item, rater, fields[col[2]].data, start, &why);
		if (rc)
			buf_setf(err, "%s:%zu: %s", name, start, why.data);
		buf_release(&why);
	}
	for (size_t i = 0; i < CSV_MAX_FIELDS; i++)
		buf_release(&fields[i]);
	free(fields);
	free(c);
	if (!rc)
		rc = agree_data_finish(d, err);
	return rc;
}

struct mem_src {
	const char *p;
	size_t left;
};

static long mem_read(void *ctx, char *dst, size_t n)
{
	struct mem_src *m = ctx;
	if (n > m->left)
		n = m->left;
	memcpy(dst, m->p, n);
	m->p += n;
	m->left -= n;
	return (long)n;
}

int agree_read_csv_mem(struct agree_data *d, const char *data, size_t len, const char *name,
		       struct buf *err)
{
	struct mem_src m = {data, len};
	return agree_read_csv(d, mem_read, &m, name, err);
}
