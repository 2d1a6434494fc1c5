/*
 * transform.c - affine transforms of coordinates, boxes and rotated boxes,
 * and the exact mask transforms (flips, quarter turns) that format
 * conversion and augmentation need.
 */
#include "geom/geom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

affine affine_identity(void)
{
	affine m = {1, 0, 0, 0, 1, 0};
	return m;
}

affine affine_scale(double sx, double sy)
{
	affine m = {sx, 0, 0, 0, sy, 0};
	return m;
}

affine affine_flip_h(double w)
{
	affine m = {-1, 0, w, 0, 1, 0};
	return m;
}

affine affine_flip_v(double h)
{
	affine m = {1, 0, 0, 0, -1, h};
	return m;
}

affine affine_rot90(int k, double w, double h)
{
	/* One clockwise quarter turn of a w x h image: (x, y) -> (h - y, x),
	 * and the image becomes h x w. */
	affine m = affine_identity();
	int i;
	k = ((k % 4) + 4) % 4;
	for (i = 0; i < k; i++) {
		affine q = {0, -1, h, 1, 0, 0};
		double t;
		m = affine_then(m, q);
		t = w;
		w = h;
		h = t;
	}
	return m;
}

affine affine_then(affine m1, affine m2)
{
	affine r;
	r.a = m2.a * m1.a + m2.b * m1.d;
	r.b = m2.a * m1.b + m2.b * m1.e;
	r.c = m2.a * m1.c + m2.b * m1.f + m2.c;
	r.d = m2.d * m1.a + m2.e * m1.d;
	r.e = m2.d * m1.b + m2.e * m1.e;
	r.f = m2.d * m1.c + m2.e * m1.f + m2.f;
	return r;
}

point affine_apply(affine m, point p)
{
	point q = {m.a * p.x + m.b * p.y + m.c, m.d * p.x + m.e * p.y + m.f};
	return q;
}

void points_transform(double *xy, size_t n, affine m)
{
	size_t i;
	for (i = 0; i < n; i++) {
		point p = {xy[2 * i], xy[2 * i + 1]};
		p = affine_apply(m, p);
		xy[2 * i] = p.x;
		xy[2 * i + 1] = p.y;
	}
}

box box_transform(box b, affine m)
{
	double xy[8] = {b.x, b.y, b.x + b.w, b.y, b.x + b.w, b.y + b.h,
			b.x, b.y + b.h};
	points_transform(xy, 4, m);
	return points_bbox(xy, 4);
}

rbox rbox_transform(rbox r, affine m)
{
	double t = r.angle * (M_PI / 180), c = cos(t), s = sin(t);
	double ux = m.a * c + m.b * s, uy = m.d * c + m.e * s;
	double vx = -m.a * s + m.b * c, vy = -m.d * s + m.e * c;
	point ctr = {r.cx, r.cy};
	rbox o;

	ctr = affine_apply(m, ctr);
	o.cx = ctr.x;
	o.cy = ctr.y;
	o.w = r.w * hypot(ux, uy);
	o.h = r.h * hypot(vx, vy);
	o.angle = atan2(uy, ux) * (180 / M_PI);
	/* Keep quarter-turn results exact and the angle in (-180, 180]. */
	double q = round(o.angle / 90) * 90;
	if (fabs(o.angle - q) < 1e-9)
		o.angle = q;
	if (o.angle <= -180)
		o.angle += 360;
	return o;
}

int rle_flip(struct rle *out, const struct rle *r, int horizontal)
{
	size_t n = (size_t)r->h * r->w, x, y;
	uint8_t *a, *b;
	int rc;

	memset(out, 0, sizeof(*out));
	a = geom_xmalloc(n ? n : 1);
	b = geom_xmalloc(n ? n : 1);
	rc = rle_to_bitmap(r, a);
	if (!rc) {
		for (x = 0; x < r->w; x++)
			for (y = 0; y < r->h; y++) {
				size_t sx = horizontal ? r->w - 1 - x : x;
				size_t sy = horizontal ? y : r->h - 1 - y;
				b[x * r->h + y] = a[sx * r->h + sy];
			}
		rc = rle_from_bitmap(out, b, r->h, r->w);
	}
	free(a);
	free(b);
	return rc;
}

int rle_rot90(struct rle *out, const struct rle *r, int k)
{
	size_t n = (size_t)r->h * r->w, x, y;
	uint32_t h = r->h, w = r->w;
	uint8_t *a, *b;
	int rc;

	k = ((k % 4) + 4) % 4;
	memset(out, 0, sizeof(*out));
	a = geom_xmalloc(n ? n : 1);
	b = geom_xmalloc(n ? n : 1);
	rc = rle_to_bitmap(r, a);
	while (!rc && k--) {
		/* Clockwise: pixel (x, y) of a w x h image goes to
		 * (h - 1 - y, x) of an h x w image (new height w). */
		for (x = 0; x < w; x++)
			for (y = 0; y < h; y++)
				b[y * w + x] = a[x * h + y];
		/* b is now column-major for new (x' = y reversed) below. */
		for (y = 0; y < h; y++) {
			size_t nx = h - 1 - y;
			memcpy(a + nx * w, b + y * w, w);
		}
		uint32_t t = h;
		h = w;
		w = t;
	}
	if (!rc)
		rc = rle_from_bitmap(out, a, h, w);
	free(a);
	free(b);
	return rc;
}
