/*
 * contour.c - mask -> polygons: traces the pixel-edge boundary of every
 * 4-connected region of a COCO RLE (outer rings and holes), then thins each
 * ring with Douglas-Peucker to a tolerance. Vertices lie on pixel corners
 * (continuous coordinates: pixel (x, y) is the square [x, x+1] x [y, y+1]),
 * so with tolerance 0 the rings enclose exactly the mask's pixels.
 */
#include "geom/contour.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "geom/geom_int.h"
#include "base/banned.h"

enum { DR = 1, DD = 2, DL = 4, DU = 8 };

void contours_release(struct contours *c)
{
	if (!c)
		return;
	free(c->xy);
	free(c->rings);
	free(c->parent);
	memset(c, 0, sizeof(*c));
}

struct dvec {
	double *v;
	size_t n, cap;
};

static void dv_push2(struct dvec *d, double x, double y)
{
	if (d->n + 2 > d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = geom_xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = x;
	d->v[d->n++] = y;
}

/* Douglas-Peucker on the open chain p[lo..hi]; marks kept points. */
static void dp(const double *p, size_t lo, size_t hi, double tol,
	       uint8_t *keep)
{
	while (hi > lo + 1) {
		double ax = p[2 * lo], ay = p[2 * lo + 1];
		double bx = p[2 * hi], by = p[2 * hi + 1];
		double ex = bx - ax, ey = by - ay, l = hypot(ex, ey), best = -1;
		size_t i, bi = lo;
		for (i = lo + 1; i < hi; i++) {
			double d;
			if (l == 0)
				d = hypot(p[2 * i] - ax, p[2 * i + 1] - ay);
			else
				d = fabs(ex * (p[2 * i + 1] - ay) - ey * (p[2 * i] - ax)) / l;
			if (d > best) {
				best = d;
				bi = i;
			}
		}
		if (best <= tol)
			return;
		keep[bi] = 1;
		dp(p, lo, bi, tol, keep);
		lo = bi;
	}
}

/* Simplifies a closed ring in place; returns the new point count (>= 3
 * when the ring had 3 or more). */
static size_t simplify_ring(double *p, size_t n, double tol)
{
	uint8_t *keep;
	size_t i, far = 0, m = 0;
	double best = -1;

	if (tol <= 0 || n <= 4)
		return n;
	for (i = 1; i < n; i++) {
		double d = hypot(p[2 * i] - p[0], p[2 * i + 1] - p[1]);
		if (d > best) {
			best = d;
			far = i;
		}
	}
	/* A closed chain: 0..far and far..n (point n is point 0 again). */
	double *q = geom_xmalloc(2 * (n + 1) * sizeof(*q));
	memcpy(q, p, 2 * n * sizeof(*q));
	q[2 * n] = p[0];
	q[2 * n + 1] = p[1];
	keep = geom_xcalloc(n + 1, 1);
	keep[0] = keep[far] = keep[n] = 1;
	dp(q, 0, far, tol, keep);
	dp(q, far, n, tol, keep);
	for (i = 0; i < n; i++)
		if (keep[i])
			m++;
	if (m < 3) {
		/* Keep the three points that span the most area. */
		free(keep);
		free(q);
		return n;
	}
	m = 0;
	for (i = 0; i < n; i++) {
		if (keep[i]) {
			p[2 * m] = q[2 * i];
			p[2 * m + 1] = q[2 * i + 1];
			m++;
		}
	}
	free(keep);
	free(q);
	return m;
}

static int ring_contains(const double *p, size_t n, double px, double py)
{
	size_t i, j;
	int in = 0;
	for (i = 0, j = n - 1; i < n; j = i++) {
		double xi = p[2 * i], yi = p[2 * i + 1];
		double xj = p[2 * j], yj = p[2 * j + 1];
		if ((yi > py) != (yj > py) &&
		    px < (xj - xi) * (py - yi) / (yj - yi) + xi)
			in = !in;
	}
	return in;
}

int rle_to_contours(const struct rle *r, double tolerance,
		    struct contours *out, struct buf *err)
{
	uint32_t h = r->h, w = r->w;
	size_t W = (size_t)w + 1, nv = W * ((size_t)h + 1);
	uint8_t *bm = NULL, *out_dirs = NULL;
	struct dvec pts = {0}, ring = {0};
	size_t *rings = NULL, nrings = 0, cap_rings = 0;
	uint8_t *dirs = NULL;
	size_t cap_dirs = 0;
	size_t v, x, y;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rle_check(r, err);
	if (rc)
		return rc;
	if (!(tolerance >= 0)) {
		buf_setf(err, "contours: tolerance must be >= 0");
		return CAIRN_EINVAL;
	}
	if (!rle_area(r))
		return 0;
	bm = geom_xmalloc((size_t)h * w);
	rle_to_bitmap(r, bm);
	out_dirs = geom_xcalloc(nv, 1);
#define FG(X, Y) ((X) < w && (Y) < h && bm[(size_t)(X) * h + (Y)])
	for (x = 0; x < w; x++) {
		for (y = 0; y < h; y++) {
			if (!bm[x * h + y])
				continue;
			if (y == 0 || !FG(x, y - 1))
				out_dirs[y * W + x] |= DR;
			if (!FG(x + 1, y))
				out_dirs[y * W + x + 1] |= DD;
			if (!FG(x, y + 1))
				out_dirs[(y + 1) * W + x + 1] |= DL;
			if (x == 0 || !FG(x - 1, y))
				out_dirs[(y + 1) * W + x] |= DU;
		}
	}
#undef FG
	for (v = 0; v < nv; v++) {
		while (out_dirs[v]) {
			size_t cur = v, k = 0, i, m;
			int d0 = out_dirs[v] & -out_dirs[v], d = d0, prev;
			int orig_v = out_dirs[v];
			ring.n = 0;
			/* Walk the cycle, recording every vertex and its
			 * outgoing direction. At a vertex with two ways out
			 * (diagonal pixels) turn right, which pairs each way
			 * in with one way out and keeps regions 4-connected;
			 * the ring closes when the start vertex pairs the
			 * way in with the first way out. */
			for (;;) {
				if (k + 1 > cap_dirs) {
					cap_dirs = cap_dirs ? 2 * cap_dirs : 256;
					dirs = geom_xrealloc(dirs, cap_dirs);
				}
				out_dirs[cur] &= (uint8_t)~d;
				dirs[k++] = (uint8_t)d;
				dv_push2(&ring, (double)(cur % W), (double)(cur / W));
				cur = d == DR ? cur + 1 : d == DD ? cur + W
				    : d == DL ? cur - 1 : cur - W;
				int o = cur == v ? orig_v : out_dirs[cur], nd;
				if (o & (o - 1)) {
					int right = d == DR ? DD : d == DD ? DL
						  : d == DL ? DU : DR;
					nd = (o & right) ? right : (o & -o);
				} else {
					nd = o;
				}
				if (cur == v && nd == d0)
					break;
				if (!nd || !(out_dirs[cur] & nd))
					break;  /* cannot happen on a valid mask */
				d = nd;
			}
			/* Keep corners only. */
			m = 0;
			prev = dirs[k - 1];
			for (i = 0; i < k; i++) {
				if (dirs[i] != prev) {
					ring.v[2 * m] = ring.v[2 * i];
					ring.v[2 * m + 1] = ring.v[2 * i + 1];
					m++;
				}
				prev = dirs[i];
			}
			m = simplify_ring(ring.v, m, tolerance);
			if (nrings == cap_rings) {
				cap_rings = cap_rings ? 2 * cap_rings : 16;
				rings = geom_xrealloc(rings, cap_rings * sizeof(*rings));
			}
			rings[nrings++] = m;
			for (i = 0; i < m; i++)
				dv_push2(&pts, ring.v[2 * i], ring.v[2 * i + 1]);
		}
	}
	free(dirs);
	free(ring.v);
	free(bm);
	free(out_dirs);
	/* Outer rings run clockwise on screen (positive area), holes the
	 * other way; each hole's parent is the smallest outer ring around a
	 * point just inside the region beside the hole's first edge. */
	int *parent = geom_xmalloc((nrings ? nrings : 1) * sizeof(*parent));
	double *area = geom_xmalloc((nrings ? nrings : 1) * sizeof(*area));
	size_t *off = geom_xmalloc((nrings ? nrings : 1) * sizeof(*off));
	size_t o = 0, i, j;
	for (i = 0; i < nrings; i++) {
		off[i] = o;
		area[i] = ring_signed_area(pts.v + 2 * o, rings[i]);
		parent[i] = -1;
		o += rings[i];
	}
	for (i = 0; i < nrings; i++) {
		if (area[i] >= 0)
			continue;
		const double *p = pts.v + 2 * off[i];
		/* Region lies to the right of travel (y down). */
		double ex = p[2] - p[0], ey = p[3] - p[1], l = hypot(ex, ey);
		double px = (p[0] + p[2]) / 2 - ey / l * 0.25;
		double py = (p[1] + p[3]) / 2 + ex / l * 0.25;
		double best = INFINITY;
		for (j = 0; j < nrings; j++) {
			if (area[j] <= 0 || area[j] >= best)
				continue;
			if (ring_contains(pts.v + 2 * off[j], rings[j], px, py)) {
				best = area[j];
				parent[i] = (int)j;
			}
		}
	}
	free(area);
	free(off);
	out->xy = pts.v;
	out->n = pts.n / 2;
	out->rings = rings;
	out->nrings = nrings;
	out->parent = parent;
	return 0;
}
