/*
 * test_contour.c - unit tests for src/geom/contour.c: the traced rings
 * enclose exactly the mask's pixels (even-odd test at every pixel centre),
 * holes get their parent, and Douglas-Peucker thins within tolerance.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "geom/contour.h"
#include "geom/geom.h"
#include "base/banned.h"

static uint64_t st = 0x12345678ABCDEFULL;
static uint32_t rnd(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return (uint32_t)(st >> 11);
}

static int inside_all(const struct contours *c, double px, double py)
{
	size_t k, off = 0, i, j;
	int in = 0;
	for (k = 0; k < c->nrings; k++) {
		const double *p = c->xy + 2 * off;
		size_t n = c->rings[k];
		for (i = 0, j = n - 1; i < n; j = i++) {
			double xi = p[2 * i], yi = p[2 * i + 1], xj = p[2 * j], yj = p[2 * j + 1];
			if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
				in = !in;
		}
		off += n;
	}
	return in;
}

Test(contour, square_with_hole)
{
	uint8_t m[6 * 6] = {0};
	for (int x = 1; x < 5; x++)
		for (int y = 1; y < 5; y++)
			m[x * 6 + y] = !(x == 2 && y == 2);
	struct rle r;
	struct contours c;
	rle_from_bitmap(&r, m, 6, 6);
	cr_assert_eq(rle_to_contours(&r, 0, &c, NULL), 0);
	cr_assert_eq(c.nrings, 2);
	cr_assert_eq(c.rings[0], 4);
	cr_assert_eq(c.rings[1], 4);
	cr_assert_eq(c.parent[0], -1);
	cr_assert_eq(c.parent[1], 0);
	cr_assert_eq(ring_signed_area(c.xy, 4), 16);
	cr_assert_eq(ring_signed_area(c.xy + 8, 4), -1);
	cr_assert_eq(polygon_area(c.xy, c.n, c.rings, c.nrings), 15);
	contours_release(&c);
	rle_release(&r);
}

Test(contour, exact_on_random_masks)
{
	uint32_t h = 19, w = 23;
	uint8_t m[19 * 23];
	for (int it = 0; it < 150; it++) {
		for (size_t i = 0; i < sizeof(m); i++)
			m[i] = rnd() % 100 < (uint32_t)(20 + it % 60);
		struct rle r;
		struct contours c;
		rle_from_bitmap(&r, m, h, w);
		cr_assert_eq(rle_to_contours(&r, 0, &c, NULL), 0);
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t y = 0; y < h; y++)
				cr_assert_eq(inside_all(&c, x + .5, y + .5), m[x * h + y],
					     "pixel %u,%u it %d", x, y, it);
		/* Every hole has an outer parent. */
		size_t off = 0;
		for (size_t k = 0; k < c.nrings; k++) {
			double a = ring_signed_area(c.xy + 2 * off, c.rings[k]);
			cr_assert((a > 0) == (c.parent[k] == -1));
			off += c.rings[k];
		}
		/* Thinning stays near. */
		struct contours t;
		cr_assert_eq(rle_to_contours(&r, 1.0, &t, NULL), 0);
		cr_assert_eq(t.nrings, c.nrings);
		cr_assert(t.n <= c.n);
		contours_release(&t);
		contours_release(&c);
		rle_release(&r);
	}
}

Test(contour, douglas_peucker_circle)
{
	uint32_t h = 100, w = 100;
	static uint8_t m[100 * 100];
	for (uint32_t x = 0; x < w; x++)
		for (uint32_t y = 0; y < h; y++)
			m[x * h + y] = hypot(x + .5 - 50, y + .5 - 50) < 40;
	struct rle r;
	struct contours c0, c2;
	rle_from_bitmap(&r, m, h, w);
	rle_to_contours(&r, 0, &c0, NULL);
	rle_to_contours(&r, 2, &c2, NULL);
	cr_assert_eq(c0.nrings, 1);
	cr_assert(c2.n < c0.n / 3, "%zu vs %zu", c2.n, c0.n);
	double a0 = polygon_area(c0.xy, c0.n, NULL, 0), a2 = polygon_area(c2.xy, c2.n, NULL, 0);
	cr_assert_eq(a0, (double)rle_area(&r));
	cr_assert(fabs(a2 - a0) / a0 < 0.03);
	contours_release(&c0);
	contours_release(&c2);
	rle_release(&r);
}

Test(contour, empty_and_bad)
{
	uint32_t c1[] = {12};
	struct rle r;
	struct contours c;
	rle_from_counts(&r, c1, 1, 3, 4);
	cr_assert_eq(rle_to_contours(&r, 0, &c, NULL), 0);
	cr_assert_eq(c.nrings, 0);
	contours_release(&c);
	rle_release(&r);
	uint32_t c2[] = {3, 20};
	rle_from_counts(&r, c2, 2, 3, 4);
	cr_assert_neq(rle_to_contours(&r, 0, &c, NULL), 0);
	rle_release(&r);
}
