/*
 * rle_poly.c - polygon and box -> COCO RLE, reproducing pycocotools'
 * rasteriser (rleFrPoly) bit for bit: vertices are upsampled by 5 and
 * rounded, edges are walked as digital lines, and a pixel column's boundary
 * is recorded where the walk crosses x = 5*i + 2.5 in the upsampled grid.
 *
 * pycocotools materialises every upsampled point of every edge; we visit
 * only the crossings that can land in the image (one in five columns), which
 * gives the same boundary list in a fraction of the time and memory.
 */
#include "geom/rle.h"

#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

/* Coordinates beyond this many pixels are refused: they would overflow
 * pycocotools' int arithmetic long before, and they keep our digital lines
 * to steps of at most one column. */
#define POLY_COORD_MAX 1e6

/* Boundaries held on the stack before the heap is used: most polygons
 * have fewer, and then rasterising one makes a single allocation (its
 * result). */
#define BND_STACK 1024

/* The boundaries found so far: positions x * h + y, with their columns x
 * beside them (for the sort) and the range of those columns. a and col
 * start as the caller's stack arrays of BND_STACK. */
struct bnd {
	uint32_t *a, *col;
	size_t n, cap;
	uint32_t h, w;
	uint32_t cmin, cmax;
	bool heap;
};

static void bnd_push(struct bnd *b, uint32_t x, uint32_t y)
{
	if (b->n == b->cap) {
		size_t cap = b->cap * 2;
		if (b->heap) {
			b->a = geom_xrealloc(b->a, cap * sizeof(*b->a));
			b->col = geom_xrealloc(b->col, cap * sizeof(*b->col));
		} else {
			b->a = memcpy(geom_xmalloc(cap * sizeof(*b->a)), b->a, b->n * sizeof(*b->a));
			b->col = memcpy(geom_xmalloc(cap * sizeof(*b->col)), b->col,
					b->n * sizeof(*b->col));
			b->heap = true;
		}
		b->cap = cap;
	}
	if (!b->n || x < b->cmin)
		b->cmin = x;
	if (!b->n || x > b->cmax)
		b->cmax = x;
	b->col[b->n] = x;
	b->a[b->n++] = (uint32_t)((uint64_t)x * b->h + y);
}

/* One step of the walk from upsampled point (u0, v0) to (u1, v1), in walk
 * order. Mirrors rleFrPoly's "points along y-boundary" test exactly. It
 * computes, in doubles,
 *     xd = (u + .5) / 5 - .5        u = u1 < u0 ? u1 : u1 - 1
 *     yd = ceil(clamp((v + .5) / 5 - .5, 0, h))    v = min(v0, v1)
 * and keeps the step when xd is a whole column in [0, w - 1]. For integer
 * u and v (|u|, |v| < 2^31) these are exact integer expressions: xd is
 * whole exactly when u = 5k + 2, then xd = k ((5k + 2.5) / 5 = k + .5 is
 * exact; any other u is at least .1 from a whole number); yd is below 0
 * exactly when v < 2, and otherwise ceil((v - 2) / 5) = (v + 2) / 5 with
 * integer division, clamped to h. So no floating point here. */
static void step(struct bnd *b, int u0, int v0, int u1, int v1)
{
	if (u1 == u0)
		return;
	int64_t u = u1 < u0 ? u1 : (int64_t)u1 - 1;
	if (u < 2 || (u - 2) % 5 != 0 || (u - 2) / 5 > (int64_t)b->w - 1)
		return;
	int64_t v = v1 < v0 ? v1 : v0, y = v < 2 ? 0 : (v + 2) / 5;
	if (y > (int64_t)b->h)
		y = b->h;
	bnd_push(b, (uint32_t)((u - 2) / 5), (uint32_t)y);
}

struct edge {
	int xs, ys, xe, ye;  /* after rleFrPoly's flip */
	int dx, dy, flip;
	double s;
};

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static void edge_point(const struct edge *e, int t, int *u, int *v)
{
	if (e->dx == 0 && e->dy == 0) {
		/* rleFrPoly computes 0/0 here and converts NaN to int; the
		 * value only matters beside a point in another column, which
		 * cannot happen inside the image. */
		*u = e->xs;
		*v = INT_MIN;
	} else if (e->dx >= e->dy) {
		*u = t + e->xs;
		*v = (int)(e->ys + e->s * t + .5);
	} else {
		*v = t + e->ys;
		*u = (int)(e->xs + e->s * t + .5);
	}
}

/* Emits the step between parameters ta and tb (adjacent), in walk order. */
static void edge_step(struct bnd *b, const struct edge *e, int ta, int tb)
{
	int u0, v0, u1, v1;
	edge_point(e, ta, &u0, &v0);
	edge_point(e, tb, &u1, &v1);
	if (e->flip)
		step(b, u1, v1, u0, v0);
	else
		step(b, u0, v0, u1, v1);
}

/* First value >= lo that is 2 mod 5. */
static long first_col(long lo)
{
	long r = ((lo - 2) % 5 + 5) % 5;
	return r ? lo + 5 - r : lo;
}

static void edge_walk(struct bnd *b, const struct edge *e)
{
	/* A step crosses a column boundary that lands in the image only when
	 * the smaller of its two u values is 2 mod 5 and within
	 * [2, 5*(w-1)+2]. */
	long umax_img = 5L * ((long)b->w - 1) + 2;
	int D = e->dx >= e->dy ? e->dx : e->dy;

	if (D == 0)
		return;
	if (e->dx >= e->dy) {
		/* u = xs + t: the step (t-1, t) has smaller u = xs + t - 1. */
		long lo = e->xs > 2 ? e->xs : 2;
		long hi = (long)e->xs + D - 1;
		if (hi > umax_img)
			hi = umax_img;
		for (long uu = first_col(lo); uu <= hi; uu += 5) {
			int t = (int)(uu - e->xs + 1);
			edge_step(b, e, t - 1, t);
		}
		return;
	}
	/* y-major: u changes by at most one per step and monotonically. */
	int u0, uD, v;
	edge_point(e, 0, &u0, &v);
	edge_point(e, D, &uD, &v);
	if (u0 == uD)
		return;
	if (uD > u0) {
		long lo = u0 > 2 ? u0 : 2, hi = (long)uD - 1;
		if (hi > umax_img)
			hi = umax_img;
		for (long uu = first_col(lo); uu <= hi; uu += 5) {
			/* Smallest t with u(t) >= uu + 1. */
			double est = ceil(((double)uu + 1 - .5 - e->xs) / e->s);
			int t = est < 1 ? 1 : est > D ? D : (int)est, u;
			edge_point(e, t - 1, &u, &v);
			while (t > 1 && u >= uu + 1) {
				t--;
				edge_point(e, t - 1, &u, &v);
			}
			edge_point(e, t, &u, &v);
			while (t < D && u < uu + 1) {
				t++;
				edge_point(e, t, &u, &v);
			}
			edge_step(b, e, t - 1, t);
		}
	} else {
		long lo = uD > 2 ? uD : 2, hi = (long)u0 - 1;
		if (hi > umax_img)
			hi = umax_img;
		for (long uu = first_col(lo); uu <= hi; uu += 5) {
			/* Smallest t with u(t) <= uu. */
			double est = floor(((double)uu + .5 - e->xs) / e->s) + 1;
			int t = est < 1 ? 1 : est > D ? D : (int)est, u;
			edge_point(e, t - 1, &u, &v);
			while (t > 1 && u <= uu) {
				t--;
				edge_point(e, t - 1, &u, &v);
			}
			edge_point(e, t, &u, &v);
			while (t < D && u > uu) {
				t++;
				edge_point(e, t, &u, &v);
			}
			edge_step(b, e, t - 1, t);
		}
	}
}

static void edge_init(struct edge *e, int xs, int ys, int xe, int ye)
{
	int t;
	e->dx = abs(xe - xs);
	e->dy = abs(ys - ye);
	e->flip = (e->dx >= e->dy && xs > xe) || (e->dx < e->dy && ys > ye);
	if (e->flip) {
		t = xs; xs = xe; xe = t;
		t = ys; ys = ye; ye = t;
	}
	e->xs = xs;
	e->ys = ys;
	e->xe = xe;
	e->ye = ye;
	if (e->dx == 0 && e->dy == 0)
		e->s = 0;
	else
		e->s = e->dx >= e->dy ? (double)(ye - ys) / e->dx
				      : (double)(xe - xs) / e->dy;
}

static void edge_ends(const struct edge *e, int *fu, int *fv, int *lu, int *lv)
{
	int D = e->dx >= e->dy ? e->dx : e->dy;
	edge_point(e, e->flip ? D : 0, fu, fv);
	edge_point(e, e->flip ? 0 : D, lu, lv);
}

static int cmp_u32(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a > b ? 1 : a < b ? -1 : 0;
}

/* Sorts b's positions into out (room for b->n): a counting sort by
 * column, since a polygon spans at most w columns and crosses each a few
 * times, then each column's few positions in order (insertion sort; qsort
 * for a column crossed many times, so a zigzag stays n log n). */
static void sort_bnd(const struct bnd *b, uint32_t *out)
{
	enum { STACK_COLS = 1024 };
	uint32_t stack[STACK_COLS + 1], *cnt = stack;
	size_t range = b->n ? (size_t)(b->cmax - b->cmin) + 1 : 0, i, k;

	if (!b->n)
		return;
	if (range > STACK_COLS)
		cnt = geom_xmalloc((range + 1) * sizeof(*cnt));
	memset(cnt, 0, (range + 1) * sizeof(*cnt));
	for (i = 0; i < b->n; i++)
		cnt[b->col[i] - b->cmin + 1]++;
	for (k = 1; k <= range; k++)
		cnt[k] += cnt[k - 1];
	/* cnt[k]: where column k's positions start; after the scatter, where
	 * they end. */
	for (i = 0; i < b->n; i++)
		out[cnt[b->col[i] - b->cmin]++] = b->a[i];
	size_t start = 0;
	for (k = 0; k < range; k++) {
		size_t end = cnt[k], len = end - start;
		uint32_t *v = out + start;
		if (len > 16) {
			qsort(v, len, sizeof(*v), cmp_u32);
		} else {
			for (size_t x = 1; x < len; x++) {
				uint32_t t = v[x];
				size_t y = x;
				while (y > 0 && v[y - 1] > t) {
					v[y] = v[y - 1];
					y--;
				}
				v[y] = t;
			}
		}
		start = end;
	}
	if (cnt != stack)
		free(cnt);
}

int rle_from_poly(struct rle *out, const double *xy, size_t k, uint32_t h,
		  uint32_t w, struct buf *err)
{
	uint32_t sa[BND_STACK], scol[BND_STACK], sout[BND_STACK + 1];
	int sx[129], sy[129];
	struct bnd b = {.a = sa, .col = scol, .cap = BND_STACK};
	int *X, *Y;
	size_t j, m;
	uint64_t area = (uint64_t)h * w;

	memset(out, 0, sizeof(*out));
	if (area > UINT32_MAX) {
		buf_setf(err, "polygon: mask %ux%u is too large for COCO RLE",
			 h, w);
		return CAIRN_ETOOBIG;
	}
	for (j = 0; j < 2 * k; j++) {
		if (!isfinite(xy[j])) {
			buf_setf(err, "polygon: vertex %zu is not finite",
				 j / 2);
			return CAIRN_EINVAL;
		}
		if (fabs(xy[j]) > POLY_COORD_MAX) {
			buf_setf(err, "polygon: vertex %zu is out of range "
				 "(|%c| > %g)", j / 2, j & 1 ? 'y' : 'x',
				 POLY_COORD_MAX);
			return CAIRN_EINVAL;
		}
	}
	if (area == 0) {
		uint32_t zero = 0;
		rle_from_counts(out, &zero, 1, h, w);
		return 0;
	}
	b.h = h;
	b.w = w;
	if (k) {
		X = k + 1 <= 129 ? sx : geom_xmalloc((k + 1) * sizeof(*X));
		Y = k + 1 <= 129 ? sy : geom_xmalloc((k + 1) * sizeof(*Y));
		for (j = 0; j < k; j++) {
			X[j] = (int)(5 * xy[2 * j] + .5);
			Y[j] = (int)(5 * xy[2 * j + 1] + .5);
		}
		X[k] = X[0];
		Y[k] = Y[0];
		int have_prev = 0, pu = 0, pv = 0;
		for (j = 0; j < k; j++) {
			struct edge e;
			int fu, fv, lu, lv;
			edge_init(&e, X[j], Y[j], X[j + 1], Y[j + 1]);
			edge_ends(&e, &fu, &fv, &lu, &lv);
			if (have_prev)
				step(&b, pu, pv, fu, fv);
			edge_walk(&b, &e);
			pu = lu;
			pv = lv;
			have_prev = 1;
		}
		if (X != sx) {
			free(X);
			free(Y);
		}
	}
	/* Sorted, then the end of the image, which no boundary passes. */
	uint32_t *a = b.n + 1 <= BND_STACK + 1 ? sout : geom_xmalloc((b.n + 1) * sizeof(*a));
	size_t n = b.n;
	sort_bnd(&b, a);
	if (b.heap) {
		free(b.col);
		free(b.a);
	}
	a[n++] = (uint32_t)area;
	/* Boundaries -> run lengths; two boundaries at the same place cancel
	 * and join the runs on either side (as rleFrPoly does). In place:
	 * the write index never passes the read index. */
	uint32_t p = 0;
	for (j = 0; j < n; j++) {
		uint32_t t = a[j];
		a[j] -= p;
		p = t;
	}
	m = 0;
	j = 0;
	a[m++] = a[j++];
	while (j < n) {
		if (a[j] > 0) {
			a[m++] = a[j++];
		} else {
			j++;
			if (j < n)
				a[m - 1] += a[j++];
		}
	}
	if (a == sout)
		a = memcpy(geom_xmalloc(m * sizeof(*a)), sout, m * sizeof(*a));
	else if (m < n)
		a = geom_xrealloc(a, m * sizeof(*a));
	out->h = h;
	out->w = w;
	out->n = m;
	out->counts = a;
	return 0;
}

int rle_from_bbox(struct rle *out, const double bb[4], uint32_t h, uint32_t w,
		  struct buf *err)
{
	double xs = bb[0], xe = xs + bb[2], ys = bb[1], ye = ys + bb[3];
	double xy[8] = {xs, ys, xs, ye, xe, ye, xe, ys};
	return rle_from_poly(out, xy, 4, h, w, err);
}

int rle_from_polys(struct rle *out, const double *const *polys,
		   const size_t *npts, size_t npolys, uint32_t h, uint32_t w,
		   struct buf *err)
{
	struct rle *parts;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (npolys == 1)
		return rle_from_poly(out, polys[0], npts[0], h, w, err);
	parts = geom_xcalloc(npolys ? npolys : 1, sizeof(*parts));
	for (i = 0; i < npolys && !rc; i++) {
		rc = rle_from_poly(&parts[i], polys[i], npts[i], h, w, err);
	}
	if (!rc) {
		if (npolys == 0) {
			uint32_t c = h * w;
			rle_from_counts(out, &c, 1, h, w);
		} else {
			rc = rle_merge(out, parts, npolys, 0, err);
		}
	}
	for (i = 0; i < npolys; i++)
		rle_release(&parts[i]);
	free(parts);
	return rc;
}
