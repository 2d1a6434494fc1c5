/*
 * test_oks.c - unit tests for src/geom/oks.c: OKS against values computed
 * with COCOeval's formula, and the polyline distance.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "geom/geom.h"
#include "base/banned.h"

Test(oks, perfect_and_known)
{
	double g[34], d[34];
	uint8_t v[17];
	for (int i = 0; i < 17; i++) {
		g[2 * i] = d[2 * i] = 10 + i;
		g[2 * i + 1] = d[2 * i + 1] = 20 + i;
		v[i] = 2;
	}
	box gb = {0, 0, 50, 50};
	cr_assert_eq(keypoints_oks(g, v, d, 17, geom_coco_sigmas, 1000, gb), 1);
	/* Move the nose by 1 px: e = 1 / (0.052^2) / 1000 / 2. */
	d[0] += 1;
	double e = 1.0 / (0.052 * 0.052) / (1000 + 2.220446049250313e-16) / 2;
	double want = (16 + exp(-e)) / 17;
	cr_assert_float_eq(keypoints_oks(g, v, d, 17, geom_coco_sigmas, 1000, gb), want, 1e-15);
	/* Invisible gt points are skipped. */
	v[0] = 0;
	cr_assert_eq(keypoints_oks(g, v, d, 17, geom_coco_sigmas, 1000, gb), 1);
}

Test(oks, no_visible_gt_uses_box)
{
	double g[4] = {0, 0, 0, 0}, d[4] = {5, 5, 40, 5};
	uint8_t v[2] = {0, 0};
	double s[2] = {0.1, 0.1};
	box gb = {0, 0, 10, 10};
	/* First point inside [-10, 20]: e = 0; second 20 px beyond x1 = 20. */
	double e = 400.0 / 0.04 / (100 + 2.220446049250313e-16) / 2;
	cr_assert_float_eq(keypoints_oks(g, v, d, 2, s, 100, gb), (1 + exp(-e)) / 2, 1e-15);
}

Test(oks, polyline_distance)
{
	double a[] = {0, 0, 10, 0}, b[] = {0, 2, 10, 2};
	cr_assert_float_eq(polyline_distance(a, 2, b, 2), 2, 1e-15);
	cr_assert_eq(polyline_distance(a, 2, a, 2), 0);
	double c[] = {0, 0, 5, 0, 10, 0};
	cr_assert_eq(polyline_distance(a, 2, c, 3), 0);
	point p = {5, 5}, s = {0, 0}, t = {10, 0};
	cr_assert_eq(point_segment_dist(p, s, t), 5);
}
