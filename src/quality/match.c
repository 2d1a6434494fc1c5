/*
 * match.c - one-to-one matching of two annotators' objects (the Hungarian
 * method with potentials) and the counts of spatial agreement. Similarity
 * comes from geom/: shape_iou_matrix for regions, keypoints_oks for
 * keypoints, interval_iou for text spans and time segments.
 */
#include "quality/match.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/annotation.h"
#include "base/banned.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	return p;
}

/*
 * Minimum-cost assignment of the n rows of cost (n x m, n <= m) to distinct
 * columns: shortest augmenting paths with row and column potentials, one
 * row at a time, O(n^2 m). col_of[i] gets row i's column.
 */
static void hungarian_min(const double *cost, size_t n, size_t m, size_t *col_of)
{
	/* 1-based: index 0 is the virtual start column. */
	double *u = xcalloc(n + 1, sizeof(double)), *v = xcalloc(m + 1, sizeof(double));
	double *minv = xcalloc(m + 1, sizeof(double));
	size_t *p = xcalloc(m + 1, sizeof(size_t)), *way = xcalloc(m + 1, sizeof(size_t));
	char *used = xcalloc(m + 1, 1);
	for (size_t i = 1; i <= n; i++) {
		p[0] = i;
		size_t j0 = 0;
		for (size_t j = 0; j <= m; j++) {
			minv[j] = INFINITY;
			used[j] = 0;
		}
		do {
			used[j0] = 1;
			size_t i0 = p[j0], j1 = 0;
			double delta = INFINITY;
			for (size_t j = 1; j <= m; j++) {
				if (used[j])
					continue;
				double cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
				if (cur < minv[j]) {
					minv[j] = cur;
					way[j] = j0;
				}
				if (minv[j] < delta) {
					delta = minv[j];
					j1 = j;
				}
			}
			for (size_t j = 0; j <= m; j++) {
				if (used[j]) {
					u[p[j]] += delta;
					v[j] -= delta;
				} else {
					minv[j] -= delta;
				}
			}
			j0 = j1;
		} while (p[j0] != 0);
		do {
			size_t j1 = way[j0];
			p[j0] = p[j1];
			j0 = j1;
		} while (j0);
	}
	for (size_t j = 1; j <= m; j++)
		if (p[j])
			col_of[p[j] - 1] = j - 1;
	free(u);
	free(v);
	free(minv);
	free(p);
	free(way);
	free(used);
}

double match_assign(const double *w, size_t n, size_t m, double floor, long *row_to_col)
{
	for (size_t i = 0; i < n; i++)
		row_to_col[i] = -1;
	if (!n || !m)
		return 0;
	bool tr = n > m;
	size_t rn = tr ? m : n, rm = tr ? n : m;
	/* Pairs under the floor weigh 0: a maximum-weight assignment that
	 * uses one loses nothing when it is dropped, so dropping them after
	 * gives the best assignment among the allowed pairs. */
	double *cost = xcalloc(rn * rm, sizeof(double));
	for (size_t i = 0; i < rn; i++)
		for (size_t j = 0; j < rm; j++) {
			double x = tr ? w[j * m + i] : w[i * m + j];
			cost[i * rm + j] = x >= floor ? -x : 0;
		}
	size_t *col_of = xcalloc(rn, sizeof(size_t));
	hungarian_min(cost, rn, rm, col_of);
	double total = 0;
	for (size_t i = 0; i < rn; i++) {
		size_t r = tr ? col_of[i] : i, c = tr ? i : col_of[i];
		double x = w[r * m + c];
		if (x >= floor && x > 0) {
			row_to_col[r] = (long)c;
			total += x;
		}
	}
	free(cost);
	free(col_of);
	return total;
}

static const char *const family_names[] = {"region", "keypoints", "interval"};

const char *match_family_name(enum match_family f)
{
	return (unsigned)f < MATCH_FAMILY_COUNT_ ? family_names[f] : "?";
}

int match_family_of(enum geom_kind k)
{
	switch (k) {
	case GEOM_BOX: case GEOM_RBOX: case GEOM_ELLIPSE: case GEOM_POLYGON: case GEOM_CUBOID:
	case GEOM_MASK:
		return MATCH_REGION;
	case GEOM_KEYPOINTS:
		return MATCH_KEYPOINTS;
	case GEOM_INTERVAL:
		return MATCH_INTERVAL;
	default:
		return -1;
	}
}

void match_counts_add(struct match_counts *to, const struct match_counts *c)
{
	to->n_a += c->n_a;
	to->n_b += c->n_b;
	to->matched += c->matched;
	to->sim_sum += c->sim_sum;
	to->tp50 += c->tp50;
	to->tp75 += c->tp75;
	to->same_label += c->same_label;
	to->overlap += c->overlap;
	to->len_a += c->len_a;
	to->len_b += c->len_b;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

void match_figures_of(const struct match_counts *c, struct match_figures *f)
{
	f->mean_sim = ratio(c->sim_sum, c->matched);
	f->precision50 = ratio(c->tp50, c->n_b);
	f->recall50 = ratio(c->tp50, c->n_a);
	f->f1_50 = ratio(2 * c->tp50, c->n_a + c->n_b);
	f->precision75 = ratio(c->tp75, c->n_b);
	f->recall75 = ratio(c->tp75, c->n_a);
	f->f1_75 = ratio(2 * c->tp75, c->n_a + c->n_b);
	f->label_agreement = ratio(c->same_label, c->matched);
	f->span_f1 = ratio(2 * c->overlap, c->len_a + c->len_b);
}

/* Keypoint arrays of a match_obj: xy and visibility (all 2 when NULL). */
static double kp_oks(const struct match_obj *gt, const struct match_obj *dt)
{
	size_t k = gt->shape.n < dt->shape.n ? gt->shape.n : dt->shape.n;
	if (!k)
		return 0;
	uint8_t *v = xcalloc(k, 1);
	double *sig = xcalloc(k, sizeof(double));
	for (size_t i = 0; i < k; i++) {
		v[i] = gt->shape.vis ? gt->shape.vis[i] : 2;
		/* COCO's person sigmas for 17 points; else a middling 0.05. */
		sig[i] = k == 17 ? geom_coco_sigmas[i] : 0.05;
	}
	box gb = points_bbox(gt->shape.xy, k);
	double area = gt->area > 0 ? gt->area : gb.w * gb.h;
	double s = keypoints_oks(gt->shape.xy, v, dt->shape.xy, k, sig, area, gb);
	free(v);
	free(sig);
	return s;
}

double match_oks(const struct match_obj *a, const struct match_obj *b)
{
	return (kp_oks(a, b) + kp_oks(b, a)) / 2;
}

/* Matches the objects of one family (indexes ia, ib) and counts. */
static int match_family(const struct match_obj *a, const size_t *ia, size_t na,
			const struct match_obj *b, const size_t *ib, size_t nb, enum match_family fam,
			double floor, int by_label, uint32_t h, uint32_t w, struct match_counts *out,
			struct buf *err)
{
	out->n_a += (double)na;
	out->n_b += (double)nb;
	if (fam == MATCH_INTERVAL) {
		for (size_t i = 0; i < na; i++)
			out->len_a += fmax(0, a[ia[i]].shape.u.iv.end - a[ia[i]].shape.u.iv.start);
		for (size_t j = 0; j < nb; j++)
			out->len_b += fmax(0, b[ib[j]].shape.u.iv.end - b[ib[j]].shape.u.iv.start);
	}
	if (!na || !nb)
		return 0;
	double *sim = xcalloc(na * nb, sizeof(double));
	int rc = 0;
	if (fam == MATCH_REGION) {
		struct shape *sa = xcalloc(na, sizeof(*sa)), *sb = xcalloc(nb, sizeof(*sb));
		for (size_t i = 0; i < na; i++)
			sa[i] = a[ia[i]].shape;
		for (size_t j = 0; j < nb; j++)
			sb[j] = b[ib[j]].shape;
		/* shape_iou_matrix skips pairs whose boxes do not meet. */
		rc = shape_iou_matrix(sa, na, sb, nb, NULL, h, w, sim, err);
		free(sa);
		free(sb);
	} else {
		/* Keypoints and intervals: pairs are cheap and few per item. */
		for (size_t i = 0; i < na; i++)
			for (size_t j = 0; j < nb; j++) {
				const struct match_obj *x = &a[ia[i]], *y = &b[ib[j]];
				sim[i * nb + j] = fam == MATCH_KEYPOINTS ? match_oks(x, y)
					: interval_iou(x->shape.u.iv, y->shape.u.iv);
			}
	}
	if (by_label)
		for (size_t i = 0; i < na; i++)
			for (size_t j = 0; j < nb; j++)
				if (a[ia[i]].label != b[ib[j]].label)
					sim[i * nb + j] = 0;
	if (!rc) {
		long *to = xcalloc(na, sizeof(long));
		match_assign(sim, na, nb, floor, to);
		for (size_t i = 0; i < na; i++) {
			if (to[i] < 0)
				continue;
			const struct match_obj *x = &a[ia[i]], *y = &b[ib[to[i]]];
			double s = sim[i * nb + (size_t)to[i]];
			out->matched++;
			out->sim_sum += s;
			out->tp50 += s >= 0.5;
			out->tp75 += s >= 0.75;
			if (x->label == y->label) {
				out->same_label++;
				if (fam == MATCH_INTERVAL) {
					double lo = fmax(x->shape.u.iv.start, y->shape.u.iv.start);
					double hi = fmin(x->shape.u.iv.end, y->shape.u.iv.end);
					out->overlap += fmax(0, hi - lo);
				}
			}
		}
		free(to);
	}
	free(sim);
	return rc;
}

int match_objects(const struct match_obj *a, size_t na, const struct match_obj *b, size_t nb,
		  double floor, int by_label, uint32_t h, uint32_t w,
		  struct match_counts out[MATCH_FAMILY_COUNT_], struct buf *err)
{
	size_t *ia = xcalloc(na, sizeof(size_t)), *ib = xcalloc(nb, sizeof(size_t));
	int rc = 0;
	for (int f = 0; f < MATCH_FAMILY_COUNT_ && !rc; f++) {
		size_t ka = 0, kb = 0;
		for (size_t i = 0; i < na; i++)
			if (match_family_of(a[i].shape.kind) == f)
				ia[ka++] = i;
		for (size_t j = 0; j < nb; j++)
			if (match_family_of(b[j].shape.kind) == f)
				ib[kb++] = j;
		if (ka || kb)
			rc = match_family(a, ia, ka, b, ib, kb, (enum match_family)f, floor, by_label, h,
					  w, &out[f], err);
	}
	free(ia);
	free(ib);
	return rc;
}

int match_counts_json(const struct match_counts *c, struct buf *out)
{
	struct match_figures f;
	match_figures_of(c, &f);
	buf_addf(out, "{\"objects_a\":%.0f,\"objects_b\":%.0f,\"matched\":%.0f,\"mean_iou\":", c->n_a,
		 c->n_b, c->matched);
	json_add_double(out, f.mean_sim);
	buf_adds(out, ",\"iou50\":{\"precision\":");
	json_add_double(out, f.precision50);
	buf_adds(out, ",\"recall\":");
	json_add_double(out, f.recall50);
	buf_adds(out, ",\"f1\":");
	json_add_double(out, f.f1_50);
	buf_adds(out, "},\"iou75\":{\"precision\":");
	json_add_double(out, f.precision75);
	buf_adds(out, ",\"recall\":");
	json_add_double(out, f.recall75);
	buf_adds(out, ",\"f1\":");
	json_add_double(out, f.f1_75);
	buf_adds(out, "},\"label_agreement\":");
	json_add_double(out, f.label_agreement);
	if (c->len_a > 0 || c->len_b > 0) {
		buf_adds(out, ",\"span_overlap_f1\":");
		json_add_double(out, f.span_f1);
	}
	return buf_addch(out, '}');
}
