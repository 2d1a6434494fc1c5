/*
 * test_iou.c - unit tests for src/geom/iou.c: known IoUs, the crowd rule,
 * properties (symmetric, in [0,1], IoU(a,a) = 1) on random shapes, mixed
 * pairs, and the matrices against the pairwise functions.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "base/banned.h"

static uint64_t st = 0x2545F4914F6CDD1DULL;
static double urand(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return (double)(st >> 11) / 9007199254740992.0;
}

Test(iou, box_known_and_crowd)
{
	box a = {0, 0, 10, 10}, b = {5, 0, 10, 10};
	cr_assert_eq(box_iou(a, b, 0), 50.0 / 150.0);
	cr_assert_eq(box_iou(a, b, 1), 0.5);
	box c = {10, 0, 5, 5};
	cr_assert_eq(box_iou(a, c, 0), 0);
	cr_assert_eq(box_iou(a, a, 0), 1);
}

Test(iou, rbox_properties)
{
	for (int it = 0; it < 200; it++) {
		rbox a = {urand() * 20, urand() * 20, .5 + urand() * 10, .5 + urand() * 10, urand() * 720 - 360};
		rbox b = {urand() * 20, urand() * 20, .5 + urand() * 10, .5 + urand() * 10, urand() * 720 - 360};
		double ab = rbox_iou(a, b, 0), ba = rbox_iou(b, a, 0);
		cr_assert_float_eq(ab, ba, 1e-12);
		cr_assert(ab >= 0 && ab <= 1);
		cr_assert_float_eq(rbox_iou(a, a, 0), 1, 1e-12);
	}
	/* Axis-aligned rotated boxes agree with boxes. */
	rbox r1 = {5, 5, 10, 10, 0}, r2 = {10, 5, 10, 10, 180};
	cr_assert_float_eq(rbox_iou(r1, r2, 0), 1.0 / 3, 1e-15);
	/* A square and the same square turned 45 degrees. */
	rbox s = {0, 0, 2, 2, 0}, t = {0, 0, 2, 2, 45};
	double inter = 8 * (sqrt(2) - 1);
	cr_assert_float_eq(rbox_iou(s, t, 0), inter / (8 - inter), 1e-12);
}

Test(iou, polygon_union_identity)
{
	double a[] = {0, 0, 10, 0, 10, 10, 0, 10};
	double b[] = {5, 5, 15, 5, 15, 15, 5, 15};
	double i = polygon_inter_area(a, 4, NULL, 0, b, 4, NULL, 0);
	double iou = polygon_iou(a, 4, NULL, 0, b, 4, NULL, 0, 0);
	cr_assert_float_eq(iou, i / (100 + 100 - i), 1e-15);
	cr_assert_float_eq(polygon_iou(a, 4, NULL, 0, b, 4, NULL, 0, 1), 0.25, 1e-15);
}

Test(iou, box3d_and_interval)
{
	box3d a = {0, 0, 0, 2, 2, 2, 0}, b = {1, 0, 0, 2, 2, 2, 0};
	cr_assert_float_eq(box3d_iou(a, b), 4.0 / 12.0, 1e-12);
	box3d c = {0, 0, 0, 2, 2, 2, M_PI / 2};
	cr_assert_float_eq(box3d_iou(a, c), 1, 1e-12);
	box3d d = {0, 0, 5, 2, 2, 2, 0};
	cr_assert_eq(box3d_iou(a, d), 0);
	interval p = {0, 10}, q = {5, 20};
	cr_assert_float_eq(interval_iou(p, q), 5.0 / 20.0, 1e-15);
	cr_assert_eq(interval_iou(p, p), 1);
	interval r = {10, 12};
	cr_assert_eq(interval_iou(p, r), 0);
}

Test(iou, shape_mixed_pairs)
{
	struct buf err = BUF_INIT;
	double out;
	struct shape b = {.kind = GEOM_BOX, .u.box = {0, 0, 10, 10}};
	double sq[] = {5, 0, 15, 0, 15, 10, 5, 10};
	struct shape p = {.kind = GEOM_POLYGON, .xy = sq, .n = 4};
	cr_assert_eq(shape_iou(&b, &p, 0, 0, 0, &out, &err), 0);
	cr_assert_float_eq(out, 1.0 / 3, 1e-15);
	/* Box against a mask of the same pixels: rasterised, exact. */
	uint8_t bm[20 * 20] = {0};
	for (int x = 5; x < 15; x++)
		for (int y = 0; y < 10; y++)
			bm[x * 20 + y] = 1;
	struct rle m;
	rle_from_bitmap(&m, bm, 20, 20);
	struct shape ms = {.kind = GEOM_MASK, .mask = &m};
	cr_assert_eq(shape_iou(&b, &ms, 0, 0, 0, &out, &err), 0);
	cr_assert_float_eq(out, 1.0 / 3, 1e-15);
	cr_assert_eq(shape_iou(&ms, &ms, 0, 0, 0, &out, &err), 0);
	cr_assert_eq(out, 1);
	/* Ellipse vs itself and vs a circle-ish polygon. */
	struct shape e = {.kind = GEOM_ELLIPSE, .u.rbox = {10, 10, 8, 4, 30}};
	cr_assert_eq(shape_iou(&e, &e, 0, 0, 0, &out, &err), 0);
	cr_assert_float_eq(out, 1, 1e-12);
	/* No IoU between a box and points. */
	double pts[] = {1, 1};
	struct shape pt = {.kind = GEOM_POINTS, .xy = pts, .n = 1};
	cr_assert_eq(shape_iou(&b, &pt, 0, 0, 0, &out, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "box and points"), "%s", err.data);
	rle_release(&m);
	buf_release(&err);
}

Test(iou, matrices_match_pairs)
{
	enum { N = 60, M = 45 };
	box d[N], g[M];
	struct shape sd[N], sg[M];
	uint8_t crowd[M];
	double m1[N * M], m2[N * M];
	for (int i = 0; i < N; i++) {
		d[i] = (box){urand() * 100, urand() * 100, urand() * 20, urand() * 20};
		sd[i] = (struct shape){.kind = GEOM_BOX, .u.box = d[i]};
	}
	for (int j = 0; j < M; j++) {
		g[j] = (box){urand() * 100, urand() * 100, urand() * 20, urand() * 20};
		sg[j] = (struct shape){.kind = GEOM_BOX, .u.box = g[j]};
		crowd[j] = urand() < 0.3;
	}
	box_iou_matrix(d, N, g, M, crowd, m1);
	cr_assert_eq(shape_iou_matrix(sd, N, sg, M, crowd, 0, 0, m2, NULL), 0);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < M; j++) {
			double want = box_iou(d[i], g[j], crowd[j]);
			cr_assert_eq(m1[i * M + j], want);
			cr_assert_eq(m2[i * M + j], want);
		}
}
