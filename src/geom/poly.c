/*
 * poly.c - polygon arithmetic: areas, validation, clipping to the image,
 * convex clipping (rotated boxes) and the exact intersection area of two
 * general polygons with holes, computed by integrating the boundary of the
 * intersection (each edge piece of one polygon that lies inside the other).
 */
#include "geom/geom.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

void rbox_corners(const rbox *r, double xy[8])
{
	static const double sx[4] = {-0.5, 0.5, 0.5, -0.5};
	static const double sy[4] = {-0.5, -0.5, 0.5, 0.5};
	double a = r->angle * (M_PI / 180.0), c = cos(a), s = sin(a);
	int i;

	/* Exact quarter turns keep integer boxes integer. */
	if (fmod(r->angle, 90.0) == 0) {
		long q = lround(r->angle / 90.0) & 3;
		c = q == 0 ? 1 : q == 2 ? -1 : 0;
		s = q == 1 ? 1 : q == 3 ? -1 : 0;
	}
	for (i = 0; i < 4; i++) {
		double dx = sx[i] * r->w, dy = sy[i] * r->h;
		xy[2 * i] = r->cx + dx * c - dy * s;
		xy[2 * i + 1] = r->cy + dx * s + dy * c;
	}
}

double ring_signed_area(const double *xy, size_t n)
{
	double s = 0;
	size_t i;

	if (n < 3)
		return 0;
	/* Relative to the first vertex, for precision far from the origin. */
	for (i = 1; i + 1 < n; i++) {
		double ax = xy[2 * i] - xy[0], ay = xy[2 * i + 1] - xy[1];
		double bx = xy[2 * i + 2] - xy[0], by = xy[2 * i + 3] - xy[1];
		s += ax * by - ay * bx;
	}
	return s / 2;
}

box points_bbox(const double *xy, size_t n)
{
	box b = {0, 0, 0, 0};
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	size_t i;

	if (!n)
		return b;
	for (i = 0; i < n; i++) {
		x0 = fmin(x0, xy[2 * i]);
		x1 = fmax(x1, xy[2 * i]);
		y0 = fmin(y0, xy[2 * i + 1]);
		y1 = fmax(y1, xy[2 * i + 1]);
	}
	b.x = x0;
	b.y = y0;
	b.w = x1 - x0;
	b.h = y1 - y0;
	return b;
}

/* Ring layout: one ring of n when rings is NULL or nrings is 0. */
struct rings {
	const double *xy;
	size_t n, nr;
	const size_t *len;
	size_t one;
	double *orient;   /* +1/-1 per ring: makes interior lie to the left */
};

static void rings_init(struct rings *r, const double *xy, size_t n,
		       const size_t *rings, size_t nrings)
{
	r->xy = xy;
	r->n = n;
	if (!rings || !nrings) {
		r->one = n;
		r->len = &r->one;
		r->nr = 1;
	} else {
		r->len = rings;
		r->nr = nrings;
	}
	r->orient = NULL;
}

/* Even-odd point in polygon over all rings. */
static int rings_contain(const struct rings *r, double px, double py)
{
	size_t k, off = 0, i;
	int in = 0;

	for (k = 0; k < r->nr; k++) {
		const double *p = r->xy + 2 * off;
		size_t m = r->len[k];
		for (i = 0; i < m; i++) {
			size_t j = i + 1 == m ? 0 : i + 1;
			double xi = p[2 * i], yi = p[2 * i + 1];
			double xj = p[2 * j], yj = p[2 * j + 1];
			if ((yi > py) != (yj > py) &&
			    px < (xj - xi) * (py - yi) / (yj - yi) + xi)
				in = !in;
		}
		off += m;
	}
	return in;
}

/* Orientation of each ring: outer rings (even nesting depth) keep positive
 * signed area, holes negative. */
static void rings_orient(struct rings *r)
{
	size_t k, off = 0;

	r->orient = geom_xmalloc(r->nr * sizeof(*r->orient));
	for (k = 0; k < r->nr; k++) {
		const double *p = r->xy + 2 * off;
		double sa = ring_signed_area(p, r->len[k]);
		int depth = 0;
		if (r->nr > 1) {
			struct rings others = *r;
			size_t j, o2 = 0;
			for (j = 0; j < r->nr; j++) {
				if (j != k && r->len[j] >= 3) {
					others.xy = r->xy + 2 * o2;
					others.one = r->len[j];
					others.len = &others.one;
					others.nr = 1;
					depth += rings_contain(&others, p[0], p[1]);
				}
				o2 += r->len[j];
			}
		}
		r->orient[k] = ((sa >= 0) == !(depth & 1)) ? 1 : -1;
		off += r->len[k];
	}
}

double polygon_area(const double *xy, size_t n, const size_t *rings,
		    size_t nrings)
{
	struct rings r;
	size_t k, off = 0;
	double a = 0;

	rings_init(&r, xy, n, rings, nrings);
	if (r.nr == 1)
		return fabs(ring_signed_area(xy, n));
	rings_orient(&r);
	for (k = 0; k < r.nr; k++) {
		a += r.orient[k] * ring_signed_area(xy + 2 * off, r.len[k]);
		off += r.len[k];
	}
	free(r.orient);
	return fabs(a);
}

static double orient3(double ax, double ay, double bx, double by, double cx,
		      double cy)
{
	return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static int on_seg(double ax, double ay, double bx, double by, double px,
		  double py)
{
	return fmin(ax, bx) <= px && px <= fmax(ax, bx) && fmin(ay, by) <= py &&
	       py <= fmax(ay, by);
}

/* Closed segments ab and cd share a point. */
static int seg_touch(const double *a, const double *b, const double *c,
		     const double *d)
{
	double o1 = orient3(a[0], a[1], b[0], b[1], c[0], c[1]);
	double o2 = orient3(a[0], a[1], b[0], b[1], d[0], d[1]);
	double o3 = orient3(c[0], c[1], d[0], d[1], a[0], a[1]);
	double o4 = orient3(c[0], c[1], d[0], d[1], b[0], b[1]);

	if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) &&
	    ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
		return 1;
	if (o1 == 0 && on_seg(a[0], a[1], b[0], b[1], c[0], c[1]))
		return 1;
	if (o2 == 0 && on_seg(a[0], a[1], b[0], b[1], d[0], d[1]))
		return 1;
	if (o3 == 0 && on_seg(c[0], c[1], d[0], d[1], a[0], a[1]))
		return 1;
	if (o4 == 0 && on_seg(c[0], c[1], d[0], d[1], b[0], b[1]))
		return 1;
	return 0;
}

struct edge_ref {
	double x0, x1;  /* x extent, for the sweep */
	size_t ring, i, j, gi, gj;  /* ring, local vertex indices, global */
};

static int edge_cmp(const void *pa, const void *pb)
{
	const struct edge_ref *a = pa, *b = pb;
	return a->x0 < b->x0 ? -1 : a->x0 > b->x0;
}

/* Rings wound against ring 0 are holes (as rle_to_contours writes them).
 * Once no two rings touch, each hole must lie in a ring wound like ring 0
 * and not in a hole inside it: its innermost enclosing ring (the smallest
 * one containing its first vertex) must be an outer ring. */
static int check_holes(const struct rings *r, struct buf *err)
{
	size_t k, j, nr = r->nr, off = 0;
	size_t *start = geom_xmalloc(nr * sizeof(*start));
	double *area = geom_xmalloc(nr * sizeof(*area));
	box *bb = geom_xmalloc(nr * sizeof(*bb));
	int rc = 0;

	for (k = 0; k < nr; k++) {
		start[k] = off;
		area[k] = ring_signed_area(r->xy + 2 * off, r->len[k]);
		bb[k] = points_bbox(r->xy + 2 * off, r->len[k]);
		off += r->len[k];
	}
	for (k = 1; k < nr && !rc; k++) {
		if ((area[k] > 0) == (area[0] > 0))
			continue;
		const double *pt = r->xy + 2 * start[k];
		size_t best = nr;
		for (j = 0; j < nr; j++) {
			if (j == k || pt[0] < bb[j].x || pt[0] > bb[j].x + bb[j].w ||
			    pt[1] < bb[j].y || pt[1] > bb[j].y + bb[j].h)
				continue;
			if (best < nr && fabs(area[j]) >= fabs(area[best]))
				continue;
			struct rings one = *r;
			one.xy = r->xy + 2 * start[j];
			one.one = r->len[j];
			one.len = &one.one;
			one.nr = 1;
			if (rings_contain(&one, pt[0], pt[1]))
				best = j;
		}
		if (best == nr) {
			buf_setf(err, "polygon: ring %zu (from vertex %zu) is a "
				 "hole (wound against ring 0) but lies inside no "
				 "outer ring", k, start[k]);
			rc = CAIRN_EINVAL;
		} else if ((area[best] > 0) != (area[0] > 0)) {
			buf_setf(err, "polygon: ring %zu (from vertex %zu) is a "
				 "hole (wound against ring 0) inside ring %zu, "
				 "which is a hole too", k, start[k], best);
			rc = CAIRN_EINVAL;
		}
	}
	free(start);
	free(area);
	free(bb);
	return rc;
}

int polygon_validate(const double *xy, size_t n, const size_t *rings,
		     size_t nrings, struct buf *err)
{
	struct rings r;
	struct edge_ref *e;
	size_t k, off = 0, i, ne = 0, total = 0;

	rings_init(&r, xy, n, rings, nrings);
	for (k = 0; k < r.nr; k++)
		total += r.len[k];
	if (total != n) {
		buf_setf(err, "polygon: ring lengths add up to %zu, not %zu "
			 "points", total, n);
		return CAIRN_EINVAL;
	}
	for (i = 0; i < 2 * n; i++) {
		if (!isfinite(xy[i])) {
			buf_setf(err, "polygon: vertex %zu is %s", i / 2,
				 isnan(xy[i]) ? "NaN" : "infinite");
			return CAIRN_EINVAL;
		}
	}
	for (k = 0; k < r.nr; k++) {
		if (r.len[k] < 3) {
			buf_setf(err, "polygon: ring %zu has %zu points, needs "
				 "at least 3", k, r.len[k]);
			return CAIRN_EINVAL;
		}
		if (ring_signed_area(xy + 2 * off, r.len[k]) == 0) {
			buf_setf(err, "polygon: ring %zu (from vertex %zu) has "
				 "zero area", k, off);
			return CAIRN_EINVAL;
		}
		off += r.len[k];
	}
	/* Sweep edges in x; test only edges whose x extents overlap. */
	e = geom_xmalloc((n ? n : 1) * sizeof(*e));
	off = 0;
	for (k = 0; k < r.nr; k++) {
		for (i = 0; i < r.len[k]; i++) {
			size_t j = i + 1 == r.len[k] ? 0 : i + 1;
			double xa = xy[2 * (off + i)], xb = xy[2 * (off + j)];
			e[ne].x0 = fmin(xa, xb);
			e[ne].x1 = fmax(xa, xb);
			e[ne].ring = k;
			e[ne].i = i;
			e[ne].j = j;
			e[ne].gi = off + i;
			e[ne].gj = off + j;
			ne++;
		}
		off += r.len[k];
	}
	qsort(e, ne, sizeof(*e), edge_cmp);
	for (i = 0; i < ne; i++) {
		for (k = i + 1; k < ne && e[k].x0 <= e[i].x1; k++) {
			const struct edge_ref *p = &e[i], *q = &e[k];
			int adjacent = p->ring == q->ring &&
				       (p->j == q->i || q->j == p->i);
			const double *a = xy + 2 * p->gi, *b = xy + 2 * p->gj;
			const double *c = xy + 2 * q->gi, *d = xy + 2 * q->gj;
			if (adjacent) {
				/* Adjacent edges meet at their shared vertex;
				 * they are bad only if they fold back. */
				const double *sh = p->j == q->i ? b : a;
				const double *o1 = p->j == q->i ? a : b;
				const double *o2 = p->j == q->i ? d : c;
				if (orient3(sh[0], sh[1], o1[0], o1[1], o2[0], o2[1]) != 0)
					continue;
				if ((o1[0] - sh[0]) * (o2[0] - sh[0]) +
				    (o1[1] - sh[1]) * (o2[1] - sh[1]) <= 0)
					continue;
			} else if (!seg_touch(a, b, c, d)) {
				continue;
			}
			size_t lo = p->gi < q->gi ? p->gi : q->gi;
			const struct edge_ref *f = p->gi == lo ? p : q;
			const struct edge_ref *g = p->gi == lo ? q : p;
			buf_setf(err, "polygon: edge %zu-%zu %s edge %zu-%zu "
				 "(self-intersection at vertex %zu)", f->gi,
				 f->gj, adjacent ? "folds back onto" : "crosses",
				 g->gi, g->gj, g->gi);
			free(e);
			return CAIRN_EINVAL;
		}
	}
	free(e);
	return r.nr > 1 ? check_holes(&r, err) : 0;
}

box box_clip(box b, double w, double h)
{
	double x0 = fmax(0, fmin(w, b.x)), y0 = fmax(0, fmin(h, b.y));
	double x1 = fmax(0, fmin(w, b.x + b.w)), y1 = fmax(0, fmin(h, b.y + b.h));
	box r = {x0, y0, fmax(0, x1 - x0), fmax(0, y1 - y0)};
	if (r.w == 0 || r.h == 0)
		r.w = r.h = 0;
	return r;
}

/* One Sutherland-Hodgman pass against the half-plane a*x + b*y <= c. */
static size_t clip_half(const double *in, size_t n, double *out, double a,
			double b, double c)
{
	size_t i, m = 0;
	for (i = 0; i < n; i++) {
		const double *p = in + 2 * i, *q = in + 2 * ((i + 1) % n);
		double dp = a * p[0] + b * p[1] - c, dq = a * q[0] + b * q[1] - c;
		if (dp <= 0) {
			out[2 * m] = p[0];
			out[2 * m + 1] = p[1];
			m++;
		}
		if ((dp < 0 && dq > 0) || (dp > 0 && dq < 0)) {
			double t = dp / (dp - dq);
			out[2 * m] = p[0] + t * (q[0] - p[0]);
			out[2 * m + 1] = p[1] + t * (q[1] - p[1]);
			m++;
		}
	}
	return m;
}

double *ring_clip(const double *xy, size_t n, double w, double h,
		  size_t *nout)
{
	double *a, *b;
	size_t m = n;

	*nout = 0;
	if (n < 3)
		return NULL;
	a = geom_xmalloc(2 * (2 * n + 8) * sizeof(*a));
	b = geom_xmalloc(2 * (2 * n + 8) * sizeof(*b));
	memcpy(a, xy, 2 * n * sizeof(*a));
	m = clip_half(a, m, b, -1, 0, 0);
	m = m ? clip_half(b, m, a, 1, 0, w) : 0;
	m = m ? clip_half(a, m, b, 0, -1, 0) : 0;
	m = m ? clip_half(b, m, a, 0, 1, h) : 0;
	free(b);
	if (m < 3 || ring_signed_area(a, m) == 0) {
		free(a);
		return NULL;
	}
	*nout = m;
	return a;
}

double convex_inter_area(const double *a, size_t na, const double *b,
			 size_t nb)
{
	double *p, *q, sb;
	size_t i, m, cap;

	if (na < 3 || nb < 3)
		return 0;
	cap = 2 * (na + nb + 4);
	p = geom_xmalloc(cap * sizeof(*p));
	q = geom_xmalloc(cap * sizeof(*q));
	memcpy(p, a, 2 * na * sizeof(*p));
	m = na;
	sb = ring_signed_area(b, nb) >= 0 ? 1 : -1;
	/* Clip a against each edge of b as a half-plane; interior on the
	 * left of b's edges once b is counter-clockwise (positive area). */
	for (i = 0; i < nb && m; i++) {
		const double *s = b + 2 * i, *t = b + 2 * ((i + 1) % nb);
		double ex = (t[0] - s[0]) * sb, ey = (t[1] - s[1]) * sb;
		/* Inside: cross(e, p - s) >= 0, i.e. ey*x - ex*y <= ey*sx - ex*sy. */
		double *tmp;
		m = clip_half(p, m, q, ey, -ex, ey * s[0] - ex * s[1]);
		tmp = p;
		p = q;
		q = tmp;
	}
	double area = m >= 3 ? fabs(ring_signed_area(p, m)) : 0;
	free(p);
	free(q);
	return area;
}

/* ---- exact intersection of general polygons ---------------------------- */

struct tlist {
	double *t;
	size_t n, cap;
};

static void tl_push(struct tlist *l, double t)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->t = geom_xrealloc(l->t, l->cap * sizeof(*l->t));
	}
	l->t[l->n++] = t;
}

static int dbl_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

/* Does m lie on an edge of r (within eps)? If so, *dir gets that edge's
 * oriented direction. */
static int on_boundary(const struct rings *r, double mx, double my,
		       double eps, double dir[2])
{
	size_t k, off = 0, i;
	for (k = 0; k < r->nr; k++) {
		const double *p = r->xy + 2 * off;
		size_t m = r->len[k];
		for (i = 0; i < m; i++) {
			size_t j = i + 1 == m ? 0 : i + 1;
			double ax = p[2 * i], ay = p[2 * i + 1];
			double bx = p[2 * j], by = p[2 * j + 1];
			double ex = bx - ax, ey = by - ay, l2 = ex * ex + ey * ey;
			if (l2 == 0)
				continue;
			if (mx < fmin(ax, bx) - eps || mx > fmax(ax, bx) + eps ||
			    my < fmin(ay, by) - eps || my > fmax(ay, by) + eps)
				continue;
			double cr = ex * (my - ay) - ey * (mx - ax);
			if (cr * cr <= eps * eps * l2) {
				dir[0] = ex * r->orient[k];
				dir[1] = ey * r->orient[k];
				return 1;
			}
		}
		off += m;
	}
	return 0;
}

/* Sum over the edges of A of cross(P0, P1) for the pieces inside B (and, if
 * shared, pieces on B's boundary running the same way). */
static double boundary_part(const struct rings *A, const struct rings *B,
			    int shared, double eps, double ox, double oy)
{
	struct tlist tl = {0};
	size_t k, off = 0, i;
	double sum = 0;

	for (k = 0; k < A->nr; k++) {
		const double *p = A->xy + 2 * off;
		size_t m = A->len[k];
		double o = A->orient[k];
		for (i = 0; i < m; i++) {
			size_t j = i + 1 == m ? 0 : i + 1;
			double px = p[2 * i] - ox, py = p[2 * i + 1] - oy;
			double qx = p[2 * j] - ox, qy = p[2 * j + 1] - oy;
			double ex = qx - px, ey = qy - py;
			double ex0 = fmin(px, qx) - eps, ex1 = fmax(px, qx) + eps;
			double ey0 = fmin(py, qy) - eps, ey1 = fmax(py, qy) + eps;
			size_t kb, offb = 0, ib, t;
			if (ex == 0 && ey == 0)
				continue;
			tl.n = 0;
			tl_push(&tl, 0);
			tl_push(&tl, 1);
			for (kb = 0; kb < B->nr; kb++) {
				const double *s = B->xy + 2 * offb;
				size_t mb = B->len[kb];
				for (ib = 0; ib < mb; ib++) {
					size_t jb = ib + 1 == mb ? 0 : ib + 1;
					double rx = s[2 * ib] - ox, ry = s[2 * ib + 1] - oy;
					double sx = s[2 * jb] - ox, sy = s[2 * jb + 1] - oy;
					if (fmax(rx, sx) < ex0 || fmin(rx, sx) > ex1 ||
					    fmax(ry, sy) < ey0 || fmin(ry, sy) > ey1)
						continue;
					double fx = sx - rx, fy = sy - ry;
					double den = ex * fy - ey * fx;
					double l2 = ex * ex + ey * ey;
					if (fabs(den) <= 1e-12 * sqrt(l2 * (fx * fx + fy * fy))) {
						/* Parallel: collinear ends split the edge. */
						double c1 = ex * (ry - py) - ey * (rx - px);
						if (c1 * c1 > eps * eps * l2)
							continue;
						double t1 = ((rx - px) * ex + (ry - py) * ey) / l2;
						double t2 = ((sx - px) * ex + (sy - py) * ey) / l2;
						if (t1 > 0 && t1 < 1)
							tl_push(&tl, t1);
						if (t2 > 0 && t2 < 1)
							tl_push(&tl, t2);
						continue;
					}
					double tt = ((rx - px) * fy - (ry - py) * fx) / den;
					double uu = ((rx - px) * ey - (ry - py) * ex) / den;
					if (tt > 0 && tt < 1 && uu >= -1e-12 && uu <= 1 + 1e-12)
						tl_push(&tl, tt);
				}
				offb += mb;
			}
			qsort(tl.t, tl.n, sizeof(*tl.t), dbl_cmp);
			for (t = 0; t + 1 < tl.n; t++) {
				double t0 = tl.t[t], t1 = tl.t[t + 1], d[2];
				if (t1 - t0 <= 1e-15)
					continue;
				double x0 = px + t0 * ex, y0 = py + t0 * ey;
				double x1 = px + t1 * ex, y1 = py + t1 * ey;
				double mx = (x0 + x1) / 2 + ox, my = (y0 + y1) / 2 + oy;
				int use;
				if (on_boundary(B, mx, my, eps, d))
					use = shared && d[0] * ex * o + d[1] * ey * o > 0;
				else
					use = rings_contain(B, mx, my);
				if (use)
					sum += o * (x0 * y1 - y0 * x1);
			}
		}
		off += m;
	}
	free(tl.t);
	return sum;
}

double polygon_inter_area(const double *a, size_t na, const size_t *arings,
			  size_t narings, const double *b, size_t nb,
			  const size_t *brings, size_t nbrings)
{
	struct rings A, B;
	box ba, bb;
	double ext, eps, ox, oy, s;

	if (na < 3 || nb < 3)
		return 0;
	ba = points_bbox(a, na);
	bb = points_bbox(b, nb);
	if (ba.x > bb.x + bb.w || bb.x > ba.x + ba.w || ba.y > bb.y + bb.h ||
	    bb.y > ba.y + ba.h)
		return 0;
	rings_init(&A, a, na, arings, narings);
	rings_init(&B, b, nb, brings, nbrings);
	rings_orient(&A);
	rings_orient(&B);
	ext = fmax(fmax(ba.w, ba.h), fmax(bb.w, bb.h));
	eps = 1e-10 * (ext > 0 ? ext : 1);
	/* Work relative to a nearby origin to keep cross products exact-ish. */
	ox = fmin(ba.x, bb.x);
	oy = fmin(ba.y, bb.y);
	s = boundary_part(&A, &B, 1, eps, ox, oy) +
	    boundary_part(&B, &A, 0, eps, ox, oy);
	free(A.orient);
	free(B.orient);
	s /= 2;
	return s > 0 ? s : 0;
}
