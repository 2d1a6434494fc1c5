/*
 * test_poly.c - unit tests for src/geom/poly.c: areas, validation messages,
 * clipping, and the exact polygon intersection against known values and a
 * fine sampling estimate on random star polygons.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "base/banned.h"

static uint64_t st = 0x9E3779B97F4A7C15ULL;
static double urand(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return (double)(st >> 11) / 9007199254740992.0;
}

Test(poly, area_and_holes)
{
	double sq[] = {0, 0, 10, 0, 10, 10, 0, 10};
	cr_assert_eq(polygon_area(sq, 4, NULL, 0), 100);
	double holed[] = {0, 0, 10, 0, 10, 10, 0, 10, 2, 2, 2, 4, 4, 4, 4, 2};
	size_t rings[] = {4, 4};
	cr_assert_eq(polygon_area(holed, 8, rings, 2), 96);
	/* Hole given with the same orientation as the outer ring. */
	double holed2[] = {0, 0, 10, 0, 10, 10, 0, 10, 2, 2, 4, 2, 4, 4, 2, 4};
	cr_assert_eq(polygon_area(holed2, 8, rings, 2), 96);
}

Test(poly, validate_reports_vertex)
{
	struct buf err = BUF_INIT;
	double nan_pt[] = {0, 0, 10, 0, NAN, 10};
	cr_assert_eq(polygon_validate(nan_pt, 3, NULL, 0, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "polygon: vertex 2 is NaN");
	double two[] = {0, 0, 1, 1};
	cr_assert_eq(polygon_validate(two, 2, NULL, 0, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "at least 3"));
	double flat[] = {0, 0, 1, 1, 2, 2};
	cr_assert_eq(polygon_validate(flat, 3, NULL, 0, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "zero area"));
	double bow[] = {0, 0, 10, 10, 10, 0, 0, 6};
	cr_assert_eq(polygon_validate(bow, 4, NULL, 0, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "crosses"), "%s", err.data);
	double ok[] = {0, 0, 10, 0, 10, 10, 5, 5, 0, 10};
	cr_assert_eq(polygon_validate(ok, 5, NULL, 0, &err), 0);
	buf_release(&err);
}

/* Rings wound against ring 0 are holes and must sit in an outer ring. */
Test(poly, validate_holes_inside_outer_rings)
{
	struct buf err = BUF_INIT;
	/* Outer clockwise on screen (positive area), hole the other way. */
	double ok[] = {0, 0, 10, 0, 10, 10, 0, 10, 2, 2, 2, 4, 4, 4, 4, 2};
	size_t r2[] = {4, 4};
	cr_assert(ring_signed_area(ok, 4) > 0 && ring_signed_area(ok + 8, 4) < 0);
	cr_assert_eq(polygon_validate(ok, 8, r2, 2, &err), 0, "%s", err.data);
	/* The same hole moved outside the outer ring. */
	double out[] = {0, 0, 10, 0, 10, 10, 0, 10, 12, 2, 12, 4, 14, 4, 14, 2};
	cr_assert_eq(polygon_validate(out, 8, r2, 2, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "polygon: ring 1 (from vertex 4) is a hole "
			 "(wound against ring 0) but lies inside no outer ring");
	/* A second outer ring beside the first holds the hole: fine. */
	double two[] = {0, 0, 10, 0, 10, 10, 0, 10, 20, 0, 30, 0, 30, 10, 20, 10,
			22, 2, 22, 4, 24, 4, 24, 2};
	size_t r3[] = {4, 4, 4};
	cr_assert_eq(polygon_validate(two, 12, r3, 3, &err), 0, "%s", err.data);
	/* A hole inside a hole (nothing wound outward between them). */
	double hh[] = {0, 0, 10, 0, 10, 10, 0, 10, 1, 1, 1, 9, 9, 9, 9, 1,
		       3, 3, 3, 5, 5, 5, 5, 3};
	cr_assert_eq(polygon_validate(hh, 12, r3, 3, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "polygon: ring 2 (from vertex 8) is a hole "
			 "(wound against ring 0) inside ring 1, which is a hole too");
	/* An island inside the hole, wound outward again: fine. */
	double isl[] = {0, 0, 10, 0, 10, 10, 0, 10, 1, 1, 1, 9, 9, 9, 9, 1,
			3, 3, 5, 3, 5, 5, 3, 5};
	cr_assert_eq(polygon_validate(isl, 12, r3, 3, &err), 0, "%s", err.data);
	/* A hole given with the outer ring's winding is not judged a hole. */
	double same[] = {0, 0, 10, 0, 10, 10, 0, 10, 12, 2, 14, 2, 14, 4, 12, 4};
	cr_assert_eq(polygon_validate(same, 8, r2, 2, &err), 0);
	/* The same rule through the shape table. */
	struct shape s = {.kind = GEOM_POLYGON, .xy = out, .n = 8, .rings = r2, .nrings = 2};
	cr_assert_eq(shape_validate(&s, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "ring 1"));
	buf_release(&err);
}

Test(poly, clip_to_image)
{
	double tri[] = {-10, 5, 20, 5, 5, 20};
	size_t n;
	double *c = ring_clip(tri, 3, 10, 10, &n);
	cr_assert_not_null(c);
	/* The triangle's part inside [0,10]^2. */
	double want = 0;
	{
		/* Estimate by sampling to 1e-3. */
		int in = 0, N = 1000;
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				double x = (i + .5) * 10 / N, y = (j + .5) * 10 / N;
				/* inside the triangle: above y=5 and within the two sides */
				if (y >= 5 && x >= -10 + (y - 5) * 1 && x <= 20 - (y - 5) * 1)
					in++;
			}
		want = in * 100.0 / N / N;
	}
	cr_assert(fabs(fabs(ring_signed_area(c, n)) - want) < 0.05);
	free(c);
	double out[] = {20, 20, 30, 20, 25, 30};
	cr_assert_null(ring_clip(out, 3, 10, 10, &n));
	box b = {-5, 2, 10, 20};
	box cb = box_clip(b, 8, 8);
	cr_assert_eq(cb.x, 0);
	cr_assert_eq(cb.y, 2);
	cr_assert_eq(cb.w, 5);
	cr_assert_eq(cb.h, 6);
}

Test(poly, inter_known_values)
{
	double a[] = {0, 0, 10, 0, 10, 10, 0, 10};
	double b[] = {5, 5, 15, 5, 15, 15, 5, 15};
	cr_assert_float_eq(polygon_inter_area(a, 4, NULL, 0, b, 4, NULL, 0), 25, 1e-12);
	/* Shared edge, touching only. */
	double c[] = {10, 0, 20, 0, 20, 10, 10, 10};
	cr_assert_eq(polygon_inter_area(a, 4, NULL, 0, c, 4, NULL, 0), 0);
	/* Identical, opposite orientations. */
	double ar[] = {0, 0, 0, 10, 10, 10, 10, 0};
	cr_assert_float_eq(polygon_inter_area(a, 4, NULL, 0, ar, 4, NULL, 0), 100, 1e-12);
	/* Contained, sharing two edges. */
	double d[] = {0, 0, 5, 0, 5, 10, 0, 10};
	cr_assert_float_eq(polygon_inter_area(a, 4, NULL, 0, d, 4, NULL, 0), 50, 1e-12);
	/* A hole removes its part. */
	double holed[] = {0, 0, 10, 0, 10, 10, 0, 10, 2, 2, 2, 4, 4, 4, 4, 2};
	size_t rings[] = {4, 4};
	double e[] = {0, 0, 4, 0, 4, 4, 0, 4};
	cr_assert_float_eq(polygon_inter_area(holed, 8, rings, 2, e, 4, NULL, 0), 12, 1e-12);
	/* Concave: an L against a square in its notch. */
	double L[] = {0, 0, 10, 0, 10, 4, 4, 4, 4, 10, 0, 10};
	double f[] = {3, 3, 8, 3, 8, 8, 3, 8};
	cr_assert_float_eq(polygon_inter_area(L, 6, NULL, 0, f, 4, NULL, 0), 9, 1e-12);
}

static void star(double *xy, int n, double cx, double cy, double r)
{
	for (int i = 0; i < n; i++) {
		double t = 2 * M_PI * i / n, rr = r * (0.3 + 0.7 * urand());
		xy[2 * i] = cx + rr * cos(t);
		xy[2 * i + 1] = cy + rr * sin(t);
	}
}

static int inside(const double *xy, int n, double px, double py)
{
	int in = 0;
	for (int i = 0, j = n - 1; i < n; j = i++) {
		double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
		if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
			in = !in;
	}
	return in;
}

Test(poly, inter_random_stars_against_sampling)
{
	double a[2 * 24], b[2 * 24];
	for (int it = 0; it < 20; it++) {
		int na = 5 + it % 19, nb = 3 + (it * 7) % 21;
		star(a, na, 10, 10, 8);
		star(b, nb, 10 + 6 * urand(), 10 + 6 * urand(), 8);
		double got = polygon_inter_area(a, na, NULL, 0, b, nb, NULL, 0);
		double rev = polygon_inter_area(b, nb, NULL, 0, a, na, NULL, 0);
		cr_assert_float_eq(got, rev, 1e-9);
		int N = 400, in = 0;
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				double x = -2 + (i + .5) * 30.0 / N, y = -2 + (j + .5) * 30.0 / N;
				in += inside(a, na, x, y) && inside(b, nb, x, y);
			}
		double est = in * 900.0 / N / N;
		cr_assert(fabs(got - est) < 1.0, "got %g est %g", got, est);
		double aa = polygon_area(a, na, NULL, 0), ab = polygon_area(b, nb, NULL, 0);
		cr_assert(got <= fmin(aa, ab) + 1e-9);
	}
}

Test(poly, convex_matches_general)
{
	for (int it = 0; it < 100; it++) {
		rbox r1 = {urand() * 20, urand() * 20, 1 + urand() * 10, 1 + urand() * 10, urand() * 360};
		rbox r2 = {urand() * 20, urand() * 20, 1 + urand() * 10, 1 + urand() * 10, urand() * 360};
		double a[8], b[8];
		rbox_corners(&r1, a);
		rbox_corners(&r2, b);
		double c = convex_inter_area(a, 4, b, 4);
		double g = polygon_inter_area(a, 4, NULL, 0, b, 4, NULL, 0);
		cr_assert_float_eq(c, g, 1e-9 * (1 + c));
	}
}

Test(poly, rbox_corners_quarter_turn_exact)
{
	rbox r = {5, 5, 4, 2, 90};
	double xy[8];
	rbox_corners(&r, xy);
	box b = points_bbox(xy, 4);
	cr_assert_eq(b.x, 4);
	cr_assert_eq(b.y, 3);
	cr_assert_eq(b.w, 2);
	cr_assert_eq(b.h, 4);
}
