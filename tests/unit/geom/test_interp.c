/*
 * test_interp.c - unit tests for src/geom/interp.c: keyframes come back
 * exactly, midpoints, shortest-arc angles, keypoint visibility, polygon and
 * polyline arc-length matching (identical shapes, resampling, thinning,
 * winding), and the track rules (before, at, between, outside, after).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "geom/interp.h"
#include "base/banned.h"

static uint64_t rng_state = 88172645463325252ULL;
static double rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A random star-shaped ring of k points around (cx, cy). */
static void star(double *xy, size_t k, double cx, double cy, double r)
{
	for (size_t i = 0; i < k; i++) {
		double a = 2 * M_PI * (double)i / (double)k;
		double rr = r * (0.4 + 0.6 * rnd());
		xy[2 * i] = cx + rr * cos(a);
		xy[2 * i + 1] = cy + rr * sin(a);
	}
}

Test(interp, box_midpoint_and_ends)
{
	box a = {0, 10, 20, 40}, b = {10, 30, 40, 80};
	box m = interp_box(a, b, 0.5);
	cr_assert_eq(m.x, 5);
	cr_assert_eq(m.y, 20);
	cr_assert_eq(m.w, 30);
	cr_assert_eq(m.h, 60);
	/* Ends are exact, bit for bit, even for awkward values. */
	box c = {0.1, 0.2, 0.3, 1e-17}, d = {1e17, -3.3, 7.7, 0.7};
	box e0 = interp_box(c, d, 0), e1 = interp_box(c, d, 1);
	cr_assert(memcmp(&e0, &c, sizeof(c)) == 0);
	cr_assert(memcmp(&e1, &d, sizeof(d)) == 0);
	box q = interp_box(a, b, 0.25);
	cr_assert_float_eq(q.x, 2.5, 1e-12);
	cr_assert_float_eq(q.h, 50, 1e-12);
}

Test(interp, angle_shortest_arc)
{
	cr_assert_eq(interp_angle(350, 10, 0.5), 0);
	cr_assert_float_eq(interp_angle(350, 10, 0.25), 355, 1e-12);
	cr_assert_float_eq(interp_angle(350, 10, 0.75), 5, 1e-12);
	cr_assert_float_eq(interp_angle(10, 350, 0.25), 5, 1e-12);
	cr_assert_float_eq(interp_angle(10, 350, 0.75), 355, 1e-12);
	cr_assert_float_eq(interp_angle(0, 90, 0.5), 45, 1e-12);
	cr_assert_float_eq(interp_angle(-170, 170, 0.5), 180, 1e-12);
	cr_assert_float_eq(interp_angle(720 + 30, 60, 0.5), 45, 1e-9);
	/* Half a turn goes clockwise. */
	cr_assert_float_eq(interp_angle(0, 180, 0.5), 90, 1e-12);
	/* Sweep 350 -> 10: every step stays within 10 degrees of 0. */
	for (int i = 1; i < 100; i++) {
		double a = interp_angle(350, 10, i / 100.0);
		double d = fmin(a, 360 - a);
		cr_assert(a >= 0 && a < 360);
		cr_assert(d <= 10 + 1e-9, "t=%d a=%g", i, a);
	}
	cr_assert_eq(interp_angle(350, 10, 0), 350);
	cr_assert_eq(interp_angle(350, 10, 1), 10);

	rbox r0 = {10, 10, 4, 2, 350}, r1 = {20, 30, 8, 6, 10};
	rbox rm = interp_rbox(r0, r1, 0.5);
	cr_assert_eq(rm.cx, 15);
	cr_assert_eq(rm.cy, 20);
	cr_assert_eq(rm.w, 6);
	cr_assert_eq(rm.h, 4);
	cr_assert_eq(rm.angle, 0);
	box3d b0 = {0, 0, 0, 4, 2, 1, -3}, b1 = {2, 2, 2, 4, 2, 1, 3};
	box3d bm = interp_box3d(b0, b1, 0.5);
	cr_assert_float_eq(bm.yaw, M_PI, 1e-12);
	cr_assert_eq(bm.cz, 1);
}

Test(interp, shape_dispatch)
{
	struct buf err = BUF_INIT;
	struct interp_shape o = INTERP_SHAPE_INIT;
	struct shape e0 = {.kind = GEOM_ELLIPSE, .u.rbox = {0, 0, 10, 4, 340}};
	struct shape e1 = {.kind = GEOM_ELLIPSE, .u.rbox = {10, 0, 20, 8, 20}};
	cr_assert_eq(interp_shape(&o, &e0, &e1, 0.5, &err), 0);
	cr_assert_eq(o.s.kind, GEOM_ELLIPSE);
	cr_assert_eq(o.s.u.rbox.cx, 5);
	cr_assert_eq(o.s.u.rbox.w, 15);
	cr_assert_eq(o.s.u.rbox.angle, 0);

	double c0[16], c1[16];
	for (int i = 0; i < 16; i++) {
		c0[i] = i;
		c1[i] = 2 * i + 4;
	}
	struct shape cu0 = {.kind = GEOM_CUBOID, .xy = c0, .n = 8};
	struct shape cu1 = {.kind = GEOM_CUBOID, .xy = c1, .n = 8};
	cr_assert_eq(interp_shape(&o, &cu0, &cu1, 0.5, &err), 0);
	cr_assert_eq(o.s.n, 8);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(o.s.xy[i], (c0[i] + c1[i]) / 2);

	/* Points with different counts: a is held. */
	double p0[] = {1, 1, 2, 2}, p1[] = {5, 5};
	struct shape pt0 = {.kind = GEOM_POINTS, .xy = p0, .n = 2};
	struct shape pt1 = {.kind = GEOM_POINTS, .xy = p1, .n = 1};
	cr_assert_eq(interp_shape(&o, &pt0, &pt1, 0.5, &err), 0);
	cr_assert_eq(o.s.n, 2);
	cr_assert_eq(o.s.xy[3], 2);

	/* A mask is held, as a deep copy. */
	uint32_t cnt[] = {3, 2, 4};
	struct rle m = RLE_INIT;
	rle_from_counts(&m, cnt, 3, 3, 3);
	struct shape mk = {.kind = GEOM_MASK, .mask = &m};
	cr_assert_eq(interp_shape(&o, &mk, &mk, 0.5, &err), 0);
	cr_assert(o.s.mask && o.s.mask != &m);
	cr_assert(rle_equal(o.s.mask, &m));
	rle_release(&m);

	/* Mixed kinds and a NaN fraction are errors. */
	struct shape bx = {.kind = GEOM_BOX, .u.box = {0, 0, 1, 1}};
	cr_assert_eq(interp_shape(&o, &bx, &pt0, 0.5, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "interp: cannot interpolate a box into a points");
	cr_assert_eq(interp_shape(&o, &bx, &bx, NAN, &err), CAIRN_EINVAL);
	interp_shape_release(&o);
	buf_release(&err);
}

Test(interp, keypoints_visibility)
{
	double a[] = {0, 0, 10, 10, 20, 20, 30, 30};
	double b[] = {10, 10, 0, 0, 40, 40, 0, 0};
	uint8_t va[] = {2, 0, 1, 2}, vb[] = {2, 2, 2, 0};
	double xy[8];
	uint8_t v[4];
	interp_keypoints(a, va, b, vb, 4, 0.5, xy, v);
	/* Present at both ends: midpoint, a's visibility. */
	cr_assert_eq(xy[0], 5);
	cr_assert_eq(v[0], 2);
	cr_assert_eq(xy[4], 30);
	cr_assert_eq(v[2], 1);
	/* Absent at a: absent until b. */
	cr_assert_eq(v[1], 0);
	cr_assert_eq(xy[2], 10);
	/* Absent at b only: held at a's position, still present. */
	cr_assert_eq(v[3], 2);
	cr_assert_eq(xy[6], 30);
	cr_assert_eq(xy[7], 30);
	/* At the ends: the keyframe, visibility included. */
	interp_keypoints(a, va, b, vb, 4, 1, xy, v);
	cr_assert(memcmp(xy, b, sizeof(b)) == 0);
	cr_assert(memcmp(v, vb, sizeof(vb)) == 0);
	interp_keypoints(a, NULL, b, NULL, 4, 0, xy, v);
	cr_assert(memcmp(xy, a, sizeof(a)) == 0);
	cr_assert_eq(v[1], 2);
}

Test(interp, polygon_identical_is_unchanged)
{
	for (int it = 0; it < 200; it++) {
		size_t k = 3 + (size_t)(rnd() * 40);
		double xy[2 * 44];
		size_t n;
		star(xy, k, 100, 100, 50);
		double t = rnd();
		double *r = interp_curve(xy, k, xy, k, 1, t, &n);
		cr_assert_eq(n, k);
		cr_assert(memcmp(r, xy, 2 * k * sizeof(double)) == 0);
		cr_assert_float_eq(polygon_area(r, n, NULL, 0),
				   polygon_area(xy, k, NULL, 0), 1e-9);
		free(r);
		r = interp_curve(xy, k, xy, k, 0, t, &n);
		cr_assert_eq(n, k);
		cr_assert(memcmp(r, xy, 2 * k * sizeof(double)) == 0);
		free(r);
	}
}

Test(interp, polygon_translated_and_scaled)
{
	/* b is a translated, scaled copy of a: every vertex pairs with its
	 * twin, and the midpoint is the midway copy. */
	for (int it = 0; it < 100; it++) {
		size_t k = 3 + (size_t)(rnd() * 30);
		double a[2 * 33], b[2 * 33];
		size_t n, i;
		star(a, k, 50, 50, 20);
		for (i = 0; i < k; i++) {
			b[2 * i] = 2 * a[2 * i] + 30;
			b[2 * i + 1] = 2 * a[2 * i + 1] - 10;
		}
		double *r = interp_curve(a, k, b, k, 1, 0.5, &n);
		cr_assert_eq(n, k);
		for (i = 0; i < 2 * k; i++)
			cr_assert_float_eq(r[i], (a[i] + b[i]) / 2, 1e-9);
		double aa = polygon_area(a, k, NULL, 0);
		cr_assert_float_eq(polygon_area(r, n, NULL, 0), aa * 2.25, 1e-6);
		free(r);
	}
}

Test(interp, polygon_square_to_octagon)
{
	/* A square and an octagon on the same circle-ish outline: the square's
	 * corners pair with four octagon vertices; the other four octagon
	 * vertices pair with edge midpoints of the square. */
	double sq[] = {0, 0, 10, 0, 10, 10, 0, 10};
	double oct[16];
	for (int i = 0; i < 8; i++) {
		/* Square corners at even i, edge midpoints pushed out by 2. */
		double x = i % 2 ? 0 : 0, y = 0;
		switch (i) {
		case 0: x = 0; y = 0; break;
		case 1: x = 5; y = -2; break;
		case 2: x = 10; y = 0; break;
		case 3: x = 12; y = 5; break;
		case 4: x = 10; y = 10; break;
		case 5: x = 5; y = 12; break;
		case 6: x = 0; y = 10; break;
		default: x = -2; y = 5; break;
		}
		oct[2 * i] = x;
		oct[2 * i + 1] = y;
	}
	size_t n;
	double *r = interp_curve(sq, 4, oct, 8, 1, 0.5, &n);
	cr_assert_eq(n, 8);
	cr_assert_float_eq(r[0], 0, 1e-12);
	cr_assert_float_eq(r[2], 5, 1e-9);
	cr_assert_float_eq(r[3], -1, 1e-9);
	cr_assert_float_eq(r[4], 10, 1e-9);
	cr_assert_float_eq(r[5], 0, 1e-9);
	/* Area halfway: 100 + 4 triangles of 10 * 1 / 2. */
	cr_assert_float_eq(polygon_area(r, n, NULL, 0), 120, 1e-9);
	free(r);
}

Test(interp, polygon_opposite_winding)
{
	double a[] = {0, 0, 10, 0, 10, 10, 0, 10};
	double b[] = {0, 0, 0, 10, 10, 10, 10, 0}; /* same square, reversed */
	size_t n;
	double *r = interp_curve(a, 4, b, 4, 1, 0.5, &n);
	cr_assert_eq(n, 4);
	cr_assert_float_eq(polygon_area(r, n, NULL, 0), 100, 1e-9);
	cr_assert(memcmp(r, a, sizeof(a)) == 0);
	free(r);
}

Test(interp, polyline_resampled)
{
	/* A 2-point line and a 3-point line of the same length with a bend:
	 * the bend pairs with the straight line's midpoint. */
	double a[] = {0, 0, 10, 0};
	double b[] = {0, 10, 5, 10, 10, 10};
	size_t n;
	double *r = interp_curve(a, 2, b, 3, 0, 0.5, &n);
	cr_assert_eq(n, 3);
	double want[] = {0, 5, 5, 5, 10, 5};
	for (int i = 0; i < 6; i++)
		cr_assert_float_eq(r[i], want[i], 1e-12);
	free(r);
	/* A single-point line against a longer one: every point pairs with
	 * the lone point's position. */
	double p[] = {4, 4};
	r = interp_curve(p, 1, b, 3, 0, 0.5, &n);
	cr_assert(n >= 1);
	cr_assert_float_eq(r[0], 2, 1e-12);
	cr_assert_float_eq(r[1], 7, 1e-12);
	free(r);
}

Test(interp, polygon_rings_through_shape)
{
	double a[] = {0, 0, 10, 0, 10, 10, 0, 10, 2, 2, 4, 2, 4, 4};
	double b[] = {10, 0, 20, 0, 20, 10, 10, 10, 12, 2, 14, 2, 14, 4};
	size_t rings[] = {4, 3};
	struct shape sa = {.kind = GEOM_POLYGON, .xy = a, .n = 7, .rings = rings, .nrings = 2};
	struct shape sb = {.kind = GEOM_POLYGON, .xy = b, .n = 7, .rings = rings, .nrings = 2};
	struct interp_shape o = INTERP_SHAPE_INIT;
	cr_assert_eq(interp_shape(&o, &sa, &sb, 0.5, NULL), 0);
	cr_assert_eq(o.s.nrings, 2);
	cr_assert_eq(o.s.rings[0], 4);
	cr_assert_eq(o.s.rings[1], 3);
	cr_assert_eq(o.s.n, 7);
	for (int i = 0; i < 14; i += 2)
		cr_assert_float_eq(o.s.xy[i], a[i] + 5, 1e-12);
	cr_assert_float_eq(polygon_area(o.s.xy, o.s.n, o.s.rings, o.s.nrings),
			   98, 1e-9);
	/* A different ring count holds a. */
	struct shape sc = {.kind = GEOM_POLYGON, .xy = b, .n = 4};
	cr_assert_eq(interp_shape(&o, &sa, &sc, 0.5, NULL), 0);
	cr_assert_eq(o.s.n, 7);
	cr_assert_eq(o.s.xy[0], 0);
	interp_shape_release(&o);
}

Test(interp, track_rules)
{
	struct shape b0 = {.kind = GEOM_BOX, .u.box = {0, 0, 10, 10}};
	struct shape b1 = {.kind = GEOM_BOX, .u.box = {10, 0, 10, 10}};
	struct shape b2 = {.kind = GEOM_BOX, .u.box = {50, 50, 10, 10}};
	struct shape b3 = {.kind = GEOM_BOX, .u.box = {70, 50, 10, 10}};
	struct interp_key keys[] = {
		{10, 0, b0}, {20, 0, b1}, {30, 1, b1}, {40, 0, b2}, {44, 0, b3},
	};
	struct interp_shape o = INTERP_SHAPE_INIT;
	struct buf err = BUF_INIT;
	int kf;
	cr_assert_eq(interp_track_check(keys, 5, &err), 0);
	/* Before the first key. */
	cr_assert_eq(interp_track_at(keys, 5, 9, &o, &kf, &err), 0);
	cr_assert_eq(kf, 0);
	/* At a key: exact. */
	cr_assert_eq(interp_track_at(keys, 5, 10, &o, &kf, &err), 1);
	cr_assert_eq(kf, 1);
	cr_assert(memcmp(&o.s.u.box, &b0.u.box, sizeof(box)) == 0);
	/* Between: interpolated. */
	cr_assert_eq(interp_track_at(keys, 5, 15, &o, &kf, &err), 1);
	cr_assert_eq(kf, 0);
	cr_assert_eq(o.s.u.box.x, 5);
	cr_assert_eq(interp_track_at(keys, 5, 29, &o, NULL, &err), 1);
	cr_assert_eq(o.s.u.box.x, 10);
	/* The outside key and after it: absent until the next key. */
	cr_assert_eq(interp_track_at(keys, 5, 30, &o, &kf, &err), 0);
	cr_assert_eq(kf, 1);
	cr_assert_eq(interp_track_at(keys, 5, 39, &o, NULL, &err), 0);
	cr_assert_eq(interp_track_at(keys, 5, 40, &o, NULL, &err), 1);
	cr_assert_eq(o.s.u.box.x, 50);
	cr_assert_eq(interp_track_at(keys, 5, 42, &o, NULL, &err), 1);
	cr_assert_eq(o.s.u.box.x, 60);
	/* After the last key: held. */
	cr_assert_eq(interp_track_at(keys, 5, 1000, &o, &kf, &err), 1);
	cr_assert_eq(kf, 0);
	cr_assert_eq(o.s.u.box.x, 70);
	/* An empty track is absent everywhere. */
	cr_assert_eq(interp_track_at(keys, 0, 10, &o, NULL, &err), 0);

	/* Every frame of a polygon track: keyframes come back exactly. */
	double p0[] = {0, 0, 10, 0, 10, 10, 0, 10};
	double p1[] = {5, 5, 25, 5, 25, 25, 15, 30, 5, 25};
	struct interp_key pk[] = {
		{0, 0, {.kind = GEOM_POLYGON, .xy = p0, .n = 4}},
		{7, 0, {.kind = GEOM_POLYGON, .xy = p1, .n = 5}},
	};
	for (int f = 0; f <= 7; f++) {
		cr_assert_eq(interp_track_at(pk, 2, f, &o, NULL, &err), 1);
		if (f == 0) {
			cr_assert_eq(o.s.n, 4);
			cr_assert(memcmp(o.s.xy, p0, sizeof(p0)) == 0);
		} else if (f == 7) {
			cr_assert_eq(o.s.n, 5);
			cr_assert(memcmp(o.s.xy, p1, sizeof(p1)) == 0);
		} else {
			cr_assert_eq(polygon_validate(o.s.xy, o.s.n, NULL, 0, &err), 0,
				     "frame %d: %s", f, err.data);
		}
	}

	/* Unsorted keys and kind changes are reported. */
	struct interp_key bad[] = {{10, 0, b0}, {10, 0, b1}};
	cr_assert_eq(interp_track_check(bad, 2, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "interp: key 1 (frame 10) is not after key 0 (frame 10)");
	struct interp_key mixed[] = {{1, 0, b0}, {5, 0, pk[0].shape}};
	cr_assert_eq(interp_track_check(mixed, 2, &err), CAIRN_EINVAL);
	cr_assert_eq(interp_track_at(mixed, 2, 3, &o, NULL, &err), CAIRN_EINVAL);
	mixed[0].outside = 1;
	cr_assert_eq(interp_track_check(mixed, 2, &err), 0);
	interp_shape_release(&o);
	buf_release(&err);
}
