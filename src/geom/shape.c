/*
 * shape.c - the shape_ops table: one row per shape kind with its
 * validation, area, bounding box and polygon outline. Callers dispatch
 * through shape_ops_of(kind) or the shape_* wrappers; no switch elsewhere.
 */
#include "geom/geom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

static int check_finite(const char *name, const double *v, size_t n,
			const char *what, struct buf *err)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i])) {
			buf_setf(err, "%s: %s %zu is %s", name, what, i,
				 isnan(v[i]) ? "NaN" : "infinite");
			return CAIRN_EINVAL;
		}
	}
	return 0;
}

static int check_points(const char *name, const struct shape *s,
			size_t min, struct buf *err)
{
	size_t i;
	if (s->n < min) {
		buf_setf(err, "%s: %zu points, needs at least %zu", name, s->n,
			 min);
		return CAIRN_EINVAL;
	}
	if (s->n && !s->xy) {
		buf_setf(err, "%s: no coordinates", name);
		return CAIRN_EINVAL;
	}
	for (i = 0; i < 2 * s->n; i++) {
		if (!isfinite(s->xy[i])) {
			buf_setf(err, "%s: vertex %zu is %s", name, i / 2,
				 isnan(s->xy[i]) ? "NaN" : "infinite");
			return CAIRN_EINVAL;
		}
	}
	return 0;
}

/* ---- box ---- */

static int box_validate(const struct shape *s, struct buf *err)
{
	const box *b = &s->u.box;
	double v[4] = {b->x, b->y, b->w, b->h};
	static const char *names[4] = {"x", "y", "width", "height"};
	int i;
	for (i = 0; i < 4; i++) {
		if (!isfinite(v[i])) {
			buf_setf(err, "box: %s is %s", names[i],
				 isnan(v[i]) ? "NaN" : "infinite");
			return CAIRN_EINVAL;
		}
	}
	if (b->w <= 0 || b->h <= 0) {
		buf_setf(err, "box: zero or negative size %gx%g", b->w, b->h);
		return CAIRN_EINVAL;
	}
	return 0;
}

static double box_area_(const struct shape *s)
{
	return s->u.box.w * s->u.box.h;
}

static box box_bbox_(const struct shape *s)
{
	return s->u.box;
}

static double *box_outline(const struct shape *s, size_t *n, int segments)
{
	(void)segments;
	const box *b = &s->u.box;
	double *xy = geom_xmalloc(8 * sizeof(*xy));
	xy[0] = b->x;        xy[1] = b->y;
	xy[2] = b->x + b->w; xy[3] = b->y;
	xy[4] = b->x + b->w; xy[5] = b->y + b->h;
	xy[6] = b->x;        xy[7] = b->y + b->h;
	*n = 4;
	return xy;
}

/* ---- rotated box and ellipse ---- */

static int rbox_validate_as(const char *name, const struct shape *s,
			    struct buf *err)
{
	const rbox *r = &s->u.rbox;
	double v[5] = {r->cx, r->cy, r->w, r->h, r->angle};
	static const char *names[5] = {"cx", "cy", "width", "height", "angle"};
	int i;
	for (i = 0; i < 5; i++) {
		if (!isfinite(v[i])) {
			buf_setf(err, "%s: %s is %s", name, names[i],
				 isnan(v[i]) ? "NaN" : "infinite");
			return CAIRN_EINVAL;
		}
	}
	if (r->w <= 0 || r->h <= 0) {
		buf_setf(err, "%s: zero or negative size %gx%g", name, r->w,
			 r->h);
		return CAIRN_EINVAL;
	}
	return 0;
}

static int rbox_validate(const struct shape *s, struct buf *err)
{
	return rbox_validate_as("rbox", s, err);
}

static int ellipse_validate(const struct shape *s, struct buf *err)
{
	return rbox_validate_as("ellipse", s, err);
}

static double rbox_area(const struct shape *s)
{
	return s->u.rbox.w * s->u.rbox.h;
}

static box rbox_bbox(const struct shape *s)
{
	double xy[8];
	rbox_corners(&s->u.rbox, xy);
	return points_bbox(xy, 4);
}

static double *rbox_outline(const struct shape *s, size_t *n, int segments)
{
	(void)segments;
	double *xy = geom_xmalloc(8 * sizeof(*xy));
	rbox_corners(&s->u.rbox, xy);
	*n = 4;
	return xy;
}

static double ellipse_area(const struct shape *s)
{
	return M_PI * s->u.rbox.w * s->u.rbox.h / 4;
}

static box ellipse_bbox(const struct shape *s)
{
	const rbox *r = &s->u.rbox;
	double t = r->angle * (M_PI / 180), c = cos(t), sn = sin(t);
	double a = r->w / 2, b = r->h / 2;
	double hw = sqrt(a * a * c * c + b * b * sn * sn);
	double hh = sqrt(a * a * sn * sn + b * b * c * c);
	box o = {r->cx - hw, r->cy - hh, 2 * hw, 2 * hh};
	return o;
}

static double *ellipse_outline(const struct shape *s, size_t *n, int segments)
{
	const rbox *r = &s->u.rbox;
	double t = r->angle * (M_PI / 180), c = cos(t), sn = sin(t);
	double *xy;
	int i;

	if (segments < 8)
		segments = 8;
	xy = geom_xmalloc(2 * (size_t)segments * sizeof(*xy));
	for (i = 0; i < segments; i++) {
		double p = 2 * M_PI * i / segments;
		double dx = r->w / 2 * cos(p), dy = r->h / 2 * sin(p);
		xy[2 * i] = r->cx + dx * c - dy * sn;
		xy[2 * i + 1] = r->cy + dx * sn + dy * c;
	}
	*n = (size_t)segments;
	return xy;
}

/* ---- polygon ---- */

static int polygon_validate_(const struct shape *s, struct buf *err)
{
	if (s->n && !s->xy) {
		buf_setf(err, "polygon: no coordinates");
		return CAIRN_EINVAL;
	}
	return polygon_validate(s->xy, s->n, s->rings, s->nrings, err);
}

static double polygon_area_(const struct shape *s)
{
	return polygon_area(s->xy, s->n, s->rings, s->nrings);
}

static box xy_bbox(const struct shape *s)
{
	return points_bbox(s->xy, s->n);
}

static double *polygon_outline(const struct shape *s, size_t *n, int segments)
{
	(void)segments;
	/* The first ring stands for the polygon; callers that need holes
	 * use the rings directly. */
	size_t m = s->rings && s->nrings ? s->rings[0] : s->n;
	double *xy = geom_xmalloc((2 * m + 1) * sizeof(*xy));
	memcpy(xy, s->xy, 2 * m * sizeof(*xy));
	*n = m;
	return xy;
}

/* ---- polyline, points, keypoints ---- */

static int polyline_validate(const struct shape *s, struct buf *err)
{
	return check_points("polyline", s, 2, err);
}

static int points_validate(const struct shape *s, struct buf *err)
{
	return check_points("points", s, 1, err);
}

static int keypoints_validate(const struct shape *s, struct buf *err)
{
	size_t i;
	if (s->n && !s->xy) {
		buf_setf(err, "keypoints: no coordinates");
		return CAIRN_EINVAL;
	}
	for (i = 0; i < s->n; i++) {
		int v = s->vis ? s->vis[i] : 2;
		if (v > 2) {
			buf_setf(err, "keypoints: point %zu has visibility %d "
				 "(0, 1 or 2)", i, v);
			return CAIRN_EINVAL;
		}
		if (v && (!isfinite(s->xy[2 * i]) || !isfinite(s->xy[2 * i + 1]))) {
			buf_setf(err, "keypoints: point %zu is not finite", i);
			return CAIRN_EINVAL;
		}
	}
	return 0;
}

static double no_area(const struct shape *s)
{
	(void)s;
	return 0;
}

static box keypoints_bbox(const struct shape *s)
{
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	box b = {0, 0, 0, 0};
	size_t i;
	for (i = 0; i < s->n; i++) {
		if (s->vis && !s->vis[i])
			continue;
		x0 = fmin(x0, s->xy[2 * i]);
		x1 = fmax(x1, s->xy[2 * i]);
		y0 = fmin(y0, s->xy[2 * i + 1]);
		y1 = fmax(y1, s->xy[2 * i + 1]);
	}
	if (x0 > x1)
		return b;
	b.x = x0;
	b.y = y0;
	b.w = x1 - x0;
	b.h = y1 - y0;
	return b;
}

/* ---- cuboid: its region is the convex hull of the eight vertices ---- */

static int cuboid_validate(const struct shape *s, struct buf *err)
{
	if (s->n != 8) {
		buf_setf(err, "cuboid: %zu points, needs 8", s->n);
		return CAIRN_EINVAL;
	}
	return check_points("cuboid", s, 8, err);
}

static int pt_cmp(const void *pa, const void *pb)
{
	const double *a = pa, *b = pb;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Andrew's monotone chain; returns owned hull, counter-clockwise in y-up
 * axes (positive signed area). */
static double *convex_hull(const double *xy, size_t n, size_t *nout)
{
	double *p = geom_xmalloc((2 * n + 1) * sizeof(*p));
	double *h = geom_xmalloc((4 * n + 2) * sizeof(*h));
	size_t i, k = 0, t;

	memcpy(p, xy, 2 * n * sizeof(*p));
	qsort(p, n, 2 * sizeof(*p), pt_cmp);
#define CROSS(o, a, b) ((h[2 * (a)] - h[2 * (o)]) * (p[2 * (b) + 1] - h[2 * (o) + 1]) - \
			(h[2 * (a) + 1] - h[2 * (o) + 1]) * (p[2 * (b)] - h[2 * (o)]))
	for (i = 0; i < n; i++) {
		while (k >= 2 && CROSS(k - 2, k - 1, i) <= 0)
			k--;
		h[2 * k] = p[2 * i];
		h[2 * k + 1] = p[2 * i + 1];
		k++;
	}
	for (i = n - 1, t = k + 1; i-- > 0;) {
		while (k >= t && CROSS(k - 2, k - 1, i) <= 0)
			k--;
		h[2 * k] = p[2 * i];
		h[2 * k + 1] = p[2 * i + 1];
		k++;
	}
#undef CROSS
	free(p);
	*nout = k > 1 ? k - 1 : k;
	return h;
}

static double *cuboid_outline(const struct shape *s, size_t *n, int segments)
{
	(void)segments;
	return convex_hull(s->xy, s->n, n);
}

static double cuboid_area(const struct shape *s)
{
	size_t n;
	double *h = convex_hull(s->xy, s->n, &n), a = fabs(ring_signed_area(h, n));
	free(h);
	return a;
}

/* ---- mask ---- */

static int mask_validate(const struct shape *s, struct buf *err)
{
	if (!s->mask) {
		buf_setf(err, "mask: no RLE");
		return CAIRN_EINVAL;
	}
	return rle_check(s->mask, err);
}

static double mask_area(const struct shape *s)
{
	return (double)rle_area(s->mask);
}

static box mask_bbox(const struct shape *s)
{
	double bb[4];
	box b;
	rle_bbox(s->mask, bb);
	b.x = bb[0];
	b.y = bb[1];
	b.w = bb[2];
	b.h = bb[3];
	return b;
}

/* ---- box3d ---- */

static int box3d_validate(const struct shape *s, struct buf *err)
{
	const box3d *b = &s->u.box3d;
	double v[7] = {b->cx, b->cy, b->cz, b->l, b->w, b->h, b->yaw};
	if (check_finite("box3d", v, 7, "value", err))
		return CAIRN_EINVAL;
	if (b->l <= 0 || b->w <= 0 || b->h <= 0) {
		buf_setf(err, "box3d: zero or negative size %gx%gx%g", b->l,
			 b->w, b->h);
		return CAIRN_EINVAL;
	}
	return 0;
}

static double box3d_volume(const struct shape *s)
{
	return s->u.box3d.l * s->u.box3d.w * s->u.box3d.h;
}

static box box3d_bbox(const struct shape *s)
{
	double xy[8];
	box3d_footprint(&s->u.box3d, xy);
	return points_bbox(xy, 4);
}

/* ---- interval ---- */

static int interval_validate(const struct shape *s, struct buf *err)
{
	double v[2] = {s->u.iv.start, s->u.iv.end};
	if (check_finite("interval", v, 2, "end", err))
		return CAIRN_EINVAL;
	if (s->u.iv.end < s->u.iv.start) {
		buf_setf(err, "interval: end %g is before start %g",
			 s->u.iv.end, s->u.iv.start);
		return CAIRN_EINVAL;
	}
	return 0;
}

static double interval_len(const struct shape *s)
{
	return s->u.iv.end - s->u.iv.start;
}

static box interval_bbox(const struct shape *s)
{
	box b = {s->u.iv.start, 0, s->u.iv.end - s->u.iv.start, 1};
	return b;
}

static const struct shape_ops ops_table[GEOM_KIND_COUNT] = {
	[GEOM_BOX] = {"box", GEOM_BOX, 2, 1, box_validate, box_area_,
		       box_bbox_, box_outline},
	[GEOM_RBOX] = {"rbox", GEOM_RBOX, 2, 1, rbox_validate, rbox_area,
			rbox_bbox, rbox_outline},
	[GEOM_ELLIPSE] = {"ellipse", GEOM_ELLIPSE, 2, 1, ellipse_validate,
			   ellipse_area, ellipse_bbox, ellipse_outline},
	[GEOM_POLYGON] = {"polygon", GEOM_POLYGON, 2, 1, polygon_validate_,
			   polygon_area_, xy_bbox, polygon_outline},
	[GEOM_POLYLINE] = {"polyline", GEOM_POLYLINE, 2, 0,
			    polyline_validate, no_area, xy_bbox, NULL},
	[GEOM_POINTS] = {"points", GEOM_POINTS, 2, 0, points_validate,
			  no_area, xy_bbox, NULL},
	[GEOM_KEYPOINTS] = {"keypoints", GEOM_KEYPOINTS, 2, 0,
			     keypoints_validate, no_area, keypoints_bbox, NULL},
	[GEOM_CUBOID] = {"cuboid", GEOM_CUBOID, 2, 1, cuboid_validate,
			  cuboid_area, xy_bbox, cuboid_outline},
	[GEOM_MASK] = {"mask", GEOM_MASK, 2, 1, mask_validate, mask_area,
			mask_bbox, NULL},
	[GEOM_BOX3D] = {"box3d", GEOM_BOX3D, 3, 1, box3d_validate,
			 box3d_volume, box3d_bbox, NULL},
	[GEOM_INTERVAL] = {"interval", GEOM_INTERVAL, 1, 1,
			    interval_validate, interval_len, interval_bbox,
			    NULL},
};

const struct shape_ops *shape_ops_of(enum geom_kind kind)
{
	if ((unsigned)kind >= GEOM_KIND_COUNT)
		return NULL;
	return &ops_table[kind];
}

const struct shape_ops *shape_ops_find(const char *name)
{
	int i;
	for (i = 0; i < GEOM_KIND_COUNT; i++)
		if (!strcmp(ops_table[i].name, name))
			return &ops_table[i];
	return NULL;
}

int shape_validate(const struct shape *s, struct buf *err)
{
	const struct shape_ops *o = shape_ops_of(s->kind);
	if (!o) {
		buf_setf(err, "shape: unknown kind %d", (int)s->kind);
		return CAIRN_EINVAL;
	}
	return o->validate(s, err);
}

double shape_area(const struct shape *s)
{
	const struct shape_ops *o = shape_ops_of(s->kind);
	return o ? o->area(s) : 0;
}

box shape_bbox(const struct shape *s)
{
	const struct shape_ops *o = shape_ops_of(s->kind);
	box z = {0, 0, 0, 0};
	return o ? o->bbox(s) : z;
}
