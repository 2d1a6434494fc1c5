/*
 * test_match.c - unit tests for src/quality/match.c: the Hungarian
 * assignment against brute force on small random matrices, the floor, and
 * the spatial agreement counts on boxes, keypoints and spans.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "quality/agree.h"
#include "quality/match.h"
#include "base/banned.h"

/* Best total over all one-to-one partial assignments (pairs >= floor). */
static double brute(const double *w, size_t n, size_t m, double floor, size_t i, unsigned used)
{
	if (i == n)
		return 0;
	double best = brute(w, n, m, floor, i + 1, used); /* row i unmatched */
	for (size_t j = 0; j < m; j++) {
		if (used & (1u << j) || w[i * m + j] < floor)
			continue;
		double s = w[i * m + j] + brute(w, n, m, floor, i + 1, used | (1u << j));
		if (s > best)
			best = s;
	}
	return best;
}

Test(match, hungarian_equals_brute_force)
{
	uint64_t st = 7;
	double w[49];
	long to[7];
	for (int t = 0; t < 400; t++) {
		size_t n = 1 + agree_rand(&st) % 7, m = 1 + agree_rand(&st) % 7;
		double floor = (t % 3) ? 0.3 : 1e-9;
		for (size_t k = 0; k < n * m; k++) {
			uint64_t r = agree_rand(&st);
			/* Some zeros and ties, as IoU matrices have. */
			w[k] = r % 4 == 0 ? 0 : (double)(r % 11) / 10;
		}
		double got = match_assign(w, n, m, floor, to);
		double want = brute(w, n, m, floor, 0, 0);
		cr_assert(fabs(got - want) < 1e-9, "n=%zu m=%zu got %f want %f", n, m, got, want);
		/* The assignment is one-to-one, above the floor and sums to got. */
		unsigned seen = 0;
		double sum = 0;
		for (size_t i = 0; i < n; i++) {
			if (to[i] < 0)
				continue;
			cr_assert(!(seen & (1u << to[i])));
			seen |= 1u << to[i];
			cr_assert(w[i * m + (size_t)to[i]] >= floor);
			sum += w[i * m + (size_t)to[i]];
		}
		cr_assert(fabs(sum - got) < 1e-9);
	}
}

Test(match, max_total_not_greedy)
{
	/* Greedy takes 0.9 and is left with 0.1; the best pairs 0.8 + 0.8. */
	double w[4] = {0.9, 0.8, 0.8, 0.1};
	long to[2];
	cr_assert_float_eq(match_assign(w, 2, 2, 0.05, to), 1.6, 1e-12);
	cr_assert_eq(to[0], 1);
	cr_assert_eq(to[1], 0);
}

static struct match_obj boxobj(double x, double y, double w, double h, uint32_t label)
{
	struct match_obj o;
	memset(&o, 0, sizeof(o));
	o.shape.kind = GEOM_BOX;
	o.shape.u.box = (box){x, y, w, h};
	o.label = label;
	return o;
}

Test(match, boxes_counts)
{
	/* a: three boxes; b: the first exact, the second shifted (IoU 0.6),
	 * the third absent, plus one extra. */
	struct match_obj a[3] = {boxobj(0, 0, 10, 10, 0), boxobj(100, 0, 10, 10, 1),
				 boxobj(200, 0, 10, 10, 0)};
	struct match_obj b[3] = {boxobj(0, 0, 10, 10, 0), boxobj(102.5, 0, 10, 10, 0),
				 boxobj(400, 0, 10, 10, 1)};
	struct match_counts c[MATCH_FAMILY_COUNT_];
	memset(c, 0, sizeof(c));
	cr_assert_eq(match_objects(a, 3, b, 3, 0.1, 0, 0, 0, c, NULL), 0);
	struct match_counts *r = &c[MATCH_REGION];
	cr_assert_eq(r->n_a, 3);
	cr_assert_eq(r->n_b, 3);
	cr_assert_eq(r->matched, 2);
	double iou2 = 75.0 / 125.0;
	cr_assert_float_eq(r->sim_sum, 1 + iou2, 1e-12);
	cr_assert_eq(r->tp50, 2);
	cr_assert_eq(r->tp75, 1);
	cr_assert_eq(r->same_label, 1);
	struct match_figures f;
	match_figures_of(r, &f);
	cr_assert_float_eq(f.f1_50, 4.0 / 6.0, 1e-12);
	cr_assert_float_eq(f.recall75, 1.0 / 3.0, 1e-12);
	cr_assert_float_eq(f.label_agreement, 0.5, 1e-12);
	/* By label, the shifted box (label 1 vs 0) no longer matches. */
	memset(c, 0, sizeof(c));
	match_objects(a, 3, b, 3, 0.1, 1, 0, 0, c, NULL);
	cr_assert_eq(c[MATCH_REGION].matched, 1);
}

Test(match, spans_and_keypoints)
{
	struct match_obj a[2], b[2];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	a[0].shape.kind = b[0].shape.kind = GEOM_INTERVAL;
	a[0].shape.u.iv = (interval){0, 10};
	b[0].shape.u.iv = (interval){5, 15};
	double xy1[6] = {10, 10, 20, 20, 30, 10}, xy2[6] = {10, 10, 20, 20, 30, 10};
	uint8_t v[3] = {2, 2, 2};
	a[1].shape.kind = b[1].shape.kind = GEOM_KEYPOINTS;
	a[1].shape.xy = xy1;
	b[1].shape.xy = xy2;
	a[1].shape.n = b[1].shape.n = 3;
	a[1].shape.vis = b[1].shape.vis = v;
	a[1].area = b[1].area = 400;
	struct match_counts c[MATCH_FAMILY_COUNT_];
	memset(c, 0, sizeof(c));
	cr_assert_eq(match_objects(a, 2, b, 2, 0.1, 0, 0, 0, c, NULL), 0);
	cr_assert_float_eq(c[MATCH_INTERVAL].sim_sum, 5.0 / 15.0, 1e-12);
	cr_assert_float_eq(c[MATCH_INTERVAL].overlap, 5, 1e-12);
	struct match_figures f;
	match_figures_of(&c[MATCH_INTERVAL], &f);
	cr_assert_float_eq(f.span_f1, 0.5, 1e-12);
	cr_assert_float_eq(c[MATCH_KEYPOINTS].sim_sum, 1, 1e-12);
	/* Moving one point lowers OKS below 1, symmetric in a and b. */
	xy2[0] += 3;
	double s1 = match_oks(&a[1], &b[1]), s2 = match_oks(&b[1], &a[1]);
	cr_assert(s1 < 1 && s1 > 0.5, "%f", s1);
	cr_assert_float_eq(s1, s2, 1e-15);
}
