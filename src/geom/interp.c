/*
 * interp.c - shapes between the keyframes of a video track (CVAT's rules,
 * see interp.h): linear numbers, shortest-arc angles, per-point keypoints
 * with visibility, arc-length matching of polygon rings and polylines, and
 * the shape of a whole track at any frame.
 */
#include "geom/interp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

/* (1 - t) a + t b: exact at both ends, unlike a + t (b - a), and exact
 * when a == b (which the formula alone is not). */
static double lerp(double a, double b, double t)
{
	return a == b ? a : (1 - t) * a + t * b;
}

void interp_shape_release(struct interp_shape *out)
{
	if (!out)
		return;
	free(out->xy);
	free(out->rings);
	free(out->vis);
	rle_release(&out->mask);
	memset(out, 0, sizeof(*out));
}

void interp_shape_copy(struct interp_shape *out, const struct shape *s)
{
	interp_shape_release(out);
	out->s = *s;
	out->s.xy = NULL;
	out->s.rings = NULL;
	out->s.vis = NULL;
	out->s.mask = NULL;
	if (s->xy && s->n) {
		out->xy = geom_xmalloc(2 * s->n * sizeof(*out->xy));
		memcpy(out->xy, s->xy, 2 * s->n * sizeof(*out->xy));
		out->s.xy = out->xy;
	}
	if (s->rings && s->nrings) {
		out->rings = geom_xmalloc(s->nrings * sizeof(*out->rings));
		memcpy(out->rings, s->rings, s->nrings * sizeof(*out->rings));
		out->s.rings = out->rings;
	}
	if (s->vis && s->n) {
		out->vis = geom_xmalloc(s->n);
		memcpy(out->vis, s->vis, s->n);
		out->s.vis = out->vis;
	}
	if (s->mask) {
		rle_copy(&out->mask, s->mask);
		out->s.mask = &out->mask;
	}
}

/* Shortest signed difference a1 - a0 modulo `turn`, in (-turn/2, turn/2]. */
static double arc_diff(double a0, double a1, double turn)
{
	double d = fmod(a1 - a0, turn);
	if (d > turn / 2)
		d -= turn;
	else if (d <= -turn / 2)
		d += turn;
	return d;
}

static double wrap(double a, double turn)
{
	a = fmod(a, turn);
	if (a < 0)
		a += turn;
	/* fmod of a tiny negative value can round up to a whole turn. */
	return a >= turn ? 0 : a;
}

static double interp_turn(double a0, double a1, double t, double turn)
{
	if (t <= 0)
		return a0;
	if (t >= 1)
		return a1;
	return wrap(a0 + arc_diff(a0, a1, turn) * t, turn);
}

double interp_angle(double a0, double a1, double t)
{
	if (t <= 0 || t >= 1)
		return t <= 0 ? a0 : a1;
	return interp_turn(a0, a1, t, 360);
}

box interp_box(box a, box b, double t)
{
	box r;
	if (t <= 0 || t >= 1)
		return t <= 0 ? a : b;
	r.x = lerp(a.x, b.x, t);
	r.y = lerp(a.y, b.y, t);
	r.w = lerp(a.w, b.w, t);
	r.h = lerp(a.h, b.h, t);
	return r;
}

rbox interp_rbox(rbox a, rbox b, double t)
{
	rbox r;
	if (t <= 0 || t >= 1)
		return t <= 0 ? a : b;
	r.cx = lerp(a.cx, b.cx, t);
	r.cy = lerp(a.cy, b.cy, t);
	r.w = lerp(a.w, b.w, t);
	r.h = lerp(a.h, b.h, t);
	r.angle = interp_turn(a.angle, b.angle, t, 360);
	return r;
}

box3d interp_box3d(box3d a, box3d b, double t)
{
	box3d r;
	if (t <= 0 || t >= 1)
		return t <= 0 ? a : b;
	r.cx = lerp(a.cx, b.cx, t);
	r.cy = lerp(a.cy, b.cy, t);
	r.cz = lerp(a.cz, b.cz, t);
	r.l = lerp(a.l, b.l, t);
	r.w = lerp(a.w, b.w, t);
	r.h = lerp(a.h, b.h, t);
	r.yaw = interp_turn(a.yaw, b.yaw, t, 2 * M_PI);
	return r;
}

interval interp_interval(interval a, interval b, double t)
{
	interval r;
	if (t <= 0 || t >= 1)
		return t <= 0 ? a : b;
	r.start = lerp(a.start, b.start, t);
	r.end = lerp(a.end, b.end, t);
	return r;
}

void interp_points(const double *a, const double *b, size_t n, double t,
		   double *out)
{
	size_t i;
	if (t <= 0 || t >= 1) {
		memmove(out, t <= 0 ? a : b, 2 * n * sizeof(*out));
		return;
	}
	for (i = 0; i < 2 * n; i++)
		out[i] = lerp(a[i], b[i], t);
}

void interp_keypoints(const double *a_xy, const uint8_t *a_v,
		      const double *b_xy, const uint8_t *b_v, size_t k,
		      double t, double *out_xy, uint8_t *out_v)
{
	size_t i;

	if (t <= 0 || t >= 1) {
		const double *xy = t <= 0 ? a_xy : b_xy;
		const uint8_t *v = t <= 0 ? a_v : b_v;
		memmove(out_xy, xy, 2 * k * sizeof(*out_xy));
		for (i = 0; i < k; i++)
			out_v[i] = v ? v[i] : 2;
		return;
	}
	for (i = 0; i < k; i++) {
		uint8_t va = a_v ? a_v[i] : 2, vb = b_v ? b_v[i] : 2;
		out_v[i] = va;
		if (va == 0 || vb == 0) {
			/* Absent at a: absent until b. Absent at b only:
			 * held where a has it. */
			out_xy[2 * i] = a_xy[2 * i];
			out_xy[2 * i + 1] = a_xy[2 * i + 1];
		} else {
			out_xy[2 * i] = lerp(a_xy[2 * i], b_xy[2 * i], t);
			out_xy[2 * i + 1] = lerp(a_xy[2 * i + 1], b_xy[2 * i + 1], t);
		}
	}
}

/* ---- curves ------------------------------------------------------------- */

/* A curve walked by normalised arc length: m points (a ring repeats its
 * first vertex at the end, so m = n + 1), off[k] its position, 0 .. 1. */
struct curve {
	const double *xy;
	size_t n, m;
	int reversed;   /* a ring walked backwards from vertex 0 */
	double *off;
};

/* Point k of the walk (0 .. m-1). */
static const double *curve_pt(const struct curve *c, size_t k)
{
	size_t i = k % c->n;
	if (c->reversed && i)
		i = c->n - i;
	return c->xy + 2 * i;
}

static void curve_init(struct curve *c, const double *xy, size_t n,
		       int closed, int reversed)
{
	size_t k;
	double len = 0;

	c->xy = xy;
	c->n = n;
	c->m = n + (closed && n > 1);
	c->reversed = reversed;
	c->off = geom_xmalloc(c->m * sizeof(*c->off));
	c->off[0] = 0;
	for (k = 1; k < c->m; k++) {
		const double *p = curve_pt(c, k - 1), *q = curve_pt(c, k);
		len += hypot(q[0] - p[0], q[1] - p[1]);
		c->off[k] = len;
	}
	if (c->m == 1)
		return;
	if (!(len > 0) || !isfinite(len)) {
		/* Degenerate (all one point, or non-finite): even spacing. */
		for (k = 0; k < c->m; k++)
			c->off[k] = (double)k / (double)(c->m - 1);
		return;
	}
	for (k = 1; k + 1 < c->m; k++)
		c->off[k] /= len;
	c->off[c->m - 1] = 1;
}

/* The point at position s; *seg is a cursor that only moves forward (s is
 * non-decreasing between calls). Returns vertex k exactly at off[k]. */
static void curve_sample(const struct curve *c, double s, size_t *seg,
			 double out[2])
{
	size_t k = *seg;
	while (k + 2 < c->m && c->off[k + 1] <= s)
		k++;
	*seg = k;
	const double *p = curve_pt(c, k);
	if (c->m == 1 || s <= c->off[k]) {
		out[0] = p[0];
		out[1] = p[1];
		return;
	}
	const double *q = curve_pt(c, k + 1);
	double span = c->off[k + 1] - c->off[k];
	double u = span > 0 ? (s - c->off[k]) / span : 0;
	if (u >= 1) {
		out[0] = q[0];
		out[1] = q[1];
		return;
	}
	out[0] = lerp(p[0], q[0], u);
	out[1] = lerp(p[1], q[1], u);
}

double *interp_curve(const double *a, size_t na, const double *b, size_t nb,
		     int closed, double t, size_t *nout)
{
	struct curve A, B;
	size_t i = 0, j = 0, sa = 0, sb = 0, m = 0, cap;
	double *out, delta;
	int rev = 0;

	if (t <= 0 || t >= 1) {
		size_t n = t <= 0 ? na : nb;
		out = geom_xmalloc(2 * n * sizeof(*out));
		memcpy(out, t <= 0 ? a : b, 2 * n * sizeof(*out));
		*nout = n;
		return out;
	}
	if (closed && na >= 3 && nb >= 3) {
		double sa_ = ring_signed_area(a, na), sb_ = ring_signed_area(b, nb);
		rev = (sa_ > 0 && sb_ < 0) || (sa_ < 0 && sb_ > 0);
	}
	curve_init(&A, a, na, closed, 0);
	curve_init(&B, b, nb, closed, rev);
	/* Vertices closer than half the finer curve's mean spacing pair up. */
	delta = 0.5 / (double)((A.m > B.m ? A.m : B.m) > 1
				       ? (A.m > B.m ? A.m : B.m) - 1 : 1);
	cap = A.m + B.m;
	out = geom_xmalloc(2 * cap * sizeof(*out));
	while (i < A.m || j < B.m) {
		double pa[2], pb[2];
		int take_a, take_b;
		if (i < A.m && j < B.m) {
			double oa = A.off[i], ob = B.off[j], d = fabs(oa - ob);
			int pair = d <= delta &&
				   (i + 1 >= A.m || d <= fabs(A.off[i + 1] - ob)) &&
				   (j + 1 >= B.m || d <= fabs(oa - B.off[j + 1]));
			take_a = pair || oa <= ob;
			take_b = pair || !take_a;
		} else {
			take_a = i < A.m;
			take_b = !take_a;
		}
		if (take_a && take_b) {
			memcpy(pa, curve_pt(&A, i), sizeof(pa));
			memcpy(pb, curve_pt(&B, j), sizeof(pb));
			i++;
			j++;
		} else if (take_a) {
			memcpy(pa, curve_pt(&A, i), sizeof(pa));
			curve_sample(&B, A.off[i], &sb, pb);
			i++;
		} else {
			memcpy(pb, curve_pt(&B, j), sizeof(pb));
			curve_sample(&A, B.off[j], &sa, pa);
			j++;
		}
		double x = lerp(pa[0], pb[0], t), y = lerp(pa[1], pb[1], t);
		if (m && out[2 * (m - 1)] == x && out[2 * (m - 1) + 1] == y)
			continue;
		out[2 * m] = x;
		out[2 * m + 1] = y;
		m++;
	}
	/* A ring's walk ends back at its first vertex: drop the repeat. */
	if (closed && m > 1 && out[0] == out[2 * (m - 1)] &&
	    out[1] == out[2 * (m - 1) + 1])
		m--;
	free(A.off);
	free(B.off);
	*nout = m;
	return out;
}

/* ---- any shape ------------------------------------------------------------ */

static const char *kind_name(enum geom_kind k)
{
	const struct shape_ops *ops = shape_ops_of(k);
	return ops ? ops->name : "unknown shape";
}

static void set_points(struct interp_shape *out, const struct shape *a,
		       double *xy, size_t n)
{
	out->s = *a;
	out->xy = xy;
	out->s.xy = xy;
	out->s.n = n;
	out->s.rings = NULL;
	out->s.nrings = 0;
	out->s.vis = NULL;
	out->s.mask = NULL;
}

static int same_rings(const struct shape *a, const struct shape *b)
{
	size_t ra = a->rings && a->nrings ? a->nrings : 1;
	size_t rb = b->rings && b->nrings ? b->nrings : 1;
	return ra == rb;
}

static void interp_polygon(struct interp_shape *out, const struct shape *a,
			   const struct shape *b, double t)
{
	size_t nr = a->rings && a->nrings ? a->nrings : 1;
	size_t r, oa = 0, ob = 0, m = 0, cap = 0;
	double *xy = NULL;
	size_t *rings = geom_xmalloc(nr * sizeof(*rings));

	for (r = 0; r < nr; r++) {
		size_t la = a->rings && a->nrings ? a->rings[r] : a->n;
		size_t lb = b->rings && b->nrings ? b->rings[r] : b->n;
		size_t k;
		double *c;
		if (la == 0 || lb == 0) {
			/* Nothing to match against: hold a's ring. */
			c = geom_xmalloc((2 * la + 1) * sizeof(*c));
			memcpy(c, a->xy + 2 * oa, 2 * la * sizeof(*c));
			k = la;
		} else {
			c = interp_curve(a->xy + 2 * oa, la, b->xy + 2 * ob, lb,
					 a->kind == GEOM_POLYGON, t, &k);
		}
		if (m + k > cap) {
			cap = (m + k) * 2;
			xy = geom_xrealloc(xy, 2 * cap * sizeof(*xy));
		}
		if (k)
			memcpy(xy + 2 * m, c, 2 * k * sizeof(*xy));
		free(c);
		rings[r] = k;
		m += k;
		oa += la;
		ob += lb;
	}
	if (!xy)
		xy = geom_xmalloc(sizeof(*xy));
	set_points(out, a, xy, m);
	if (a->kind == GEOM_POLYGON && nr > 1) {
		out->rings = rings;
		out->s.rings = rings;
		out->s.nrings = nr;
	} else {
		free(rings);
	}
}

int interp_shape(struct interp_shape *out, const struct shape *a,
		 const struct shape *b, double t, struct buf *err)
{
	interp_shape_release(out);
	if (a->kind != b->kind) {
		buf_setf(err, "interp: cannot interpolate a %s into a %s",
			 kind_name(a->kind), kind_name(b->kind));
		return CAIRN_EINVAL;
	}
	if (isnan(t)) {
		buf_setf(err, "interp: the fraction t is NaN");
		return CAIRN_EINVAL;
	}
	if (t <= 0 || t >= 1) {
		interp_shape_copy(out, t <= 0 ? a : b);
		return 0;
	}
	switch (a->kind) {
	case GEOM_BOX:
		out->s = *a;
		out->s.u.box = interp_box(a->u.box, b->u.box, t);
		return 0;
	case GEOM_RBOX:
	case GEOM_ELLIPSE:
		out->s = *a;
		out->s.u.rbox = interp_rbox(a->u.rbox, b->u.rbox, t);
		return 0;
	case GEOM_BOX3D:
		out->s = *a;
		out->s.u.box3d = interp_box3d(a->u.box3d, b->u.box3d, t);
		return 0;
	case GEOM_INTERVAL:
		out->s = *a;
		out->s.u.iv = interp_interval(a->u.iv, b->u.iv, t);
		return 0;
	case GEOM_CUBOID:
	case GEOM_POINTS:
		if (a->n != b->n || !a->n)
			break;
		set_points(out, a, geom_xmalloc(2 * a->n * sizeof(double)),
			   a->n);
		interp_points(a->xy, b->xy, a->n, t, out->xy);
		return 0;
	case GEOM_KEYPOINTS:
		if (a->n != b->n || !a->n)
			break;
		set_points(out, a, geom_xmalloc(2 * a->n * sizeof(double)),
			   a->n);
		out->vis = geom_xmalloc(a->n);
		out->s.vis = out->vis;
		interp_keypoints(a->xy, a->vis, b->xy, b->vis, a->n, t,
				 out->xy, out->vis);
		return 0;
	case GEOM_POLYGON:
	case GEOM_POLYLINE:
		if (!same_rings(a, b) || !a->n || !b->n)
			break;
		interp_polygon(out, a, b, t);
		return 0;
	case GEOM_MASK:
	case GEOM_KIND_COUNT:
		break;
	}
	/* Nothing to match: hold the first keyframe, as CVAT does. */
	interp_shape_copy(out, a);
	return 0;
}

/* ---- tracks ---------------------------------------------------------------- */

int interp_track_check(const struct interp_key *keys, size_t n,
		       struct buf *err)
{
	size_t i;
	for (i = 1; i < n; i++) {
		if (keys[i].frame <= keys[i - 1].frame) {
			buf_setf(err, "interp: key %zu (frame %lld) is not after "
				 "key %zu (frame %lld)", i,
				 (long long)keys[i].frame, i - 1,
				 (long long)keys[i - 1].frame);
			return CAIRN_EINVAL;
		}
		if (!keys[i - 1].outside &&
		    keys[i].shape.kind != keys[i - 1].shape.kind) {
			buf_setf(err, "interp: key %zu (frame %lld) is a %s but "
				 "key %zu before it is a %s", i,
				 (long long)keys[i].frame,
				 kind_name(keys[i].shape.kind), i - 1,
				 kind_name(keys[i - 1].shape.kind));
			return CAIRN_EINVAL;
		}
	}
	return 0;
}

int interp_track_at(const struct interp_key *keys, size_t n, int64_t frame,
		    struct interp_shape *out, int *keyframe, struct buf *err)
{
	size_t lo = 0, hi = n;

	interp_shape_release(out);
	if (keyframe)
		*keyframe = 0;
	/* The last key at or before frame: keys[lo - 1]. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid].frame <= frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct interp_key *k0 = &keys[lo - 1];
	if (keyframe)
		*keyframe = k0->frame == frame;
	if (k0->outside)
		return 0;
	if (k0->frame == frame || lo == n) {
		interp_shape_copy(out, &k0->shape);
		return 1;
	}
	const struct interp_key *k1 = &keys[lo];
	if (k1->frame <= k0->frame) {
		buf_setf(err, "interp: key %zu (frame %lld) is not after key "
			 "%zu (frame %lld)", lo, (long long)k1->frame, lo - 1,
			 (long long)k0->frame);
		return CAIRN_EINVAL;
	}
	double t = (double)(frame - k0->frame) / (double)(k1->frame - k0->frame);
	int rc = interp_shape(out, &k0->shape, &k1->shape, t, err);
	return rc ? rc : 1;
}
