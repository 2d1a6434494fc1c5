/*
 * iou.c - intersection over union for every pair of shapes where it means
 * something, COCO's crowd rule, and the N x M matrices that skip pairs whose
 * boxes cannot overlap (the sweep in geom_util.c).
 */
#include "geom/geom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

/* Segments used for an ellipse when it meets another shape. */
#define ELLIPSE_SEGMENTS 256

static double ratio(double inter, double a_dt, double a_gt, int crowd)
{
	double u;
	if (!(inter > 0))
		return 0;
	u = crowd ? a_dt : a_dt + a_gt - inter;
	return u > 0 ? inter / u : 0;
}

double box_iou(box d, box g, int gt_crowd)
{
	/* Same expressions as pycocotools' bbIou, for the same last bit. */
	double w = fmin(d.w + d.x, g.w + g.x) - fmax(d.x, g.x);
	if (!(w > 0))
		return 0;
	double h = fmin(d.h + d.y, g.h + g.y) - fmax(d.y, g.y);
	if (!(h > 0))
		return 0;
	double i = w * h, da = d.w * d.h, ga = g.w * g.h;
	double u = gt_crowd ? da : da + ga - i;
	return i / u;
}

double rbox_iou(rbox d, rbox g, int gt_crowd)
{
	double a[8], b[8];
	rbox_corners(&d, a);
	rbox_corners(&g, b);
	return ratio(convex_inter_area(a, 4, b, 4), d.w * d.h, g.w * g.h,
		     gt_crowd);
}

double polygon_iou(const double *a, size_t na, const size_t *arings,
		   size_t narings, const double *b, size_t nb,
		   const size_t *brings, size_t nbrings, int gt_crowd)
{
	double i = polygon_inter_area(a, na, arings, narings, b, nb, brings,
				      nbrings);
	return ratio(i, polygon_area(a, na, arings, narings),
		     polygon_area(b, nb, brings, nbrings), gt_crowd);
}

void box3d_footprint(const box3d *b, double xy[8])
{
	static const double sx[4] = {0.5, 0.5, -0.5, -0.5};
	static const double sy[4] = {0.5, -0.5, -0.5, 0.5};
	double c = cos(b->yaw), s = sin(b->yaw);
	int i;
	for (i = 0; i < 4; i++) {
		double dx = sx[i] * b->l, dy = sy[i] * b->w;
		xy[2 * i] = b->cx + dx * c - dy * s;
		xy[2 * i + 1] = b->cy + dx * s + dy * c;
	}
}

double box3d_iou(box3d d, box3d g)
{
	double a[8], b[8], zlo, zhi, inter, vd, vg;
	zlo = fmax(d.cz - d.h / 2, g.cz - g.h / 2);
	zhi = fmin(d.cz + d.h / 2, g.cz + g.h / 2);
	if (!(zhi > zlo))
		return 0;
	box3d_footprint(&d, a);
	box3d_footprint(&g, b);
	inter = convex_inter_area(a, 4, b, 4) * (zhi - zlo);
	vd = d.l * d.w * d.h;
	vg = g.l * g.w * g.h;
	return ratio(inter, vd, vg, 0);
}

double interval_iou(interval a, interval b)
{
	double i = fmin(a.end, b.end) - fmax(a.start, b.start);
	return ratio(i, a.end - a.start, b.end - b.start, 0);
}


struct bm_ctx {
	const box *dt, *gt;
	const uint8_t *crowd;
	size_t ngt;
	double *out;
};

static void bm_pair(void *arg, size_t i, size_t j)
{
	struct bm_ctx *c = arg;
	c->out[i * c->ngt + j] = box_iou(c->dt[i], c->gt[j],
					 c->crowd && c->crowd[j]);
}

void box_iou_matrix(const box *dt, size_t ndt, const box *gt, size_t ngt,
		    const uint8_t *crowd, double *out)
{
	struct bm_ctx c = {dt, gt, crowd, ngt, out};
	if (!ndt || !ngt)
		return;
	memset(out, 0, ndt * ngt * sizeof(*out));
	geom_box_sweep((const double *)dt, ndt, (const double *)gt, ngt,
		       bm_pair, &c);
}

/* A shape's region as polygon rings: owned copy when *owned is set. */
static const double *region(const struct shape *s, size_t *n,
			    const size_t **rings, size_t *nrings, int *owned)
{
	const struct shape_ops *o = shape_ops_of(s->kind);
	*owned = 0;
	*rings = NULL;
	*nrings = 0;
	if (s->kind == GEOM_POLYGON) {
		*n = s->n;
		*rings = s->rings;
		*nrings = s->nrings;
		return s->xy;
	}
	*owned = 1;
	return o->outline(s, n, ELLIPSE_SEGMENTS);
}

/* Rasterises a 2-D region shape onto an h x w grid, COCO's way. */
static int rasterise(const struct shape *s, uint32_t h, uint32_t w,
		     struct rle *out, struct buf *err)
{
	if (s->kind == GEOM_MASK) {
		rle_copy(out, s->mask);
		return 0;
	}
	if (s->kind == GEOM_BOX) {
		double bb[4] = {s->u.box.x, s->u.box.y, s->u.box.w, s->u.box.h};
		return rle_from_bbox(out, bb, h, w, err);
	}
	if (s->kind == GEOM_POLYGON && s->rings && s->nrings > 1) {
		/* Even-odd: rings are XORed, so holes stay holes. */
		size_t k, off = 0;
		int rc = 0;
		memset(out, 0, sizeof(*out));
		for (k = 0; k < s->nrings && !rc; k++) {
			struct rle ring, acc;
			rc = rle_from_poly(&ring, s->xy + 2 * off, s->rings[k],
					   h, w, err);
			off += s->rings[k];
			if (rc)
				break;
			if (k == 0) {
				*out = ring;
				continue;
			}
			rc = rle_combine(&acc, out, &ring, RLE_XOR, err);
			rle_release(&ring);
			rle_release(out);
			*out = acc;
		}
		if (rc)
			rle_release(out);
		return rc;
	}
	size_t n, nr;
	const size_t *rings;
	int owned, rc;
	const double *xy = region(s, &n, &rings, &nr, &owned);
	rc = rle_from_poly(out, xy, n, h, w, err);
	if (owned)
		free((void *)xy);
	return rc;
}

int shape_iou(const struct shape *dt, const struct shape *gt, int gt_crowd,
	      uint32_t h, uint32_t w, double *out, struct buf *err)
{
	const struct shape_ops *od = shape_ops_of(dt->kind);
	const struct shape_ops *og = shape_ops_of(gt->kind);

	*out = 0;
	if (!od || !og) {
		buf_setf(err, "iou: unknown shape kind");
		return CAIRN_EINVAL;
	}
	if (!od->has_area || !og->has_area || od->dims != og->dims) {
		buf_setf(err, "iou: no IoU between %s and %s", od->name,
			 og->name);
		return CAIRN_EINVAL;
	}
	if (dt->kind == GEOM_INTERVAL) {
		double i = fmin(dt->u.iv.end, gt->u.iv.end) -
			   fmax(dt->u.iv.start, gt->u.iv.start);
		*out = ratio(i, dt->u.iv.end - dt->u.iv.start,
			     gt->u.iv.end - gt->u.iv.start, gt_crowd);
		return 0;
	}
	if (dt->kind == GEOM_BOX3D) {
		*out = box3d_iou(dt->u.box3d, gt->u.box3d);
		return 0;
	}
	if (dt->kind == GEOM_BOX && gt->kind == GEOM_BOX) {
		*out = box_iou(dt->u.box, gt->u.box, gt_crowd);
		return 0;
	}
	if (dt->kind == GEOM_RBOX && gt->kind == GEOM_RBOX) {
		*out = rbox_iou(dt->u.rbox, gt->u.rbox, gt_crowd);
		return 0;
	}
	if (dt->kind == GEOM_MASK || gt->kind == GEOM_MASK) {
		struct rle a, b;
		int rc;
		if (dt->kind == GEOM_MASK && gt->kind == GEOM_MASK) {
			if (dt->mask->h != gt->mask->h ||
			    dt->mask->w != gt->mask->w) {
				buf_setf(err, "iou: masks of different sizes "
					 "(%ux%u and %ux%u)", dt->mask->h,
					 dt->mask->w, gt->mask->h, gt->mask->w);
				return CAIRN_EINVAL;
			}
			*out = rle_iou(dt->mask, gt->mask, gt_crowd);
			return 0;
		}
		const struct rle *m = dt->kind == GEOM_MASK ? dt->mask : gt->mask;
		rc = rasterise(dt, m->h, m->w, &a, err);
		if (rc)
			return rc;
		rc = rasterise(gt, m->h, m->w, &b, err);
		if (rc) {
			rle_release(&a);
			return rc;
		}
		*out = rle_iou(&a, &b, gt_crowd);
		rle_release(&a);
		rle_release(&b);
		return 0;
	}
	/* Polygonal regions (box, rbox, ellipse outline, polygon, cuboid
	 * hull): exact intersection of the outlines. */
	size_t na, nb, nra, nrb;
	const size_t *ra, *rb;
	int oa, ob;
	const double *a = region(dt, &na, &ra, &nra, &oa);
	const double *b = region(gt, &nb, &rb, &nrb, &ob);
	double inter = polygon_inter_area(a, na, ra, nra, b, nb, rb, nrb);
	double ad = polygon_area(a, na, ra, nra), ag = polygon_area(b, nb, rb, nrb);
	*out = ratio(inter, ad, ag, gt_crowd);
	if (oa)
		free((void *)a);
	if (ob)
		free((void *)b);
	(void)h;
	(void)w;
	return 0;
}

struct sm_ctx {
	const struct shape *dt, *gt;
	const uint8_t *crowd;
	size_t ngt;
	uint32_t h, w;
	double *out;
	struct buf *err;
	int rc;
};

static void sm_pair(void *arg, size_t i, size_t j)
{
	struct sm_ctx *c = arg;
	int rc;
	if (c->rc)
		return;
	rc = shape_iou(&c->dt[i], &c->gt[j], c->crowd && c->crowd[j], c->h,
		       c->w, &c->out[i * c->ngt + j], c->err);
	if (rc)
		c->rc = rc;
}

int shape_iou_matrix(const struct shape *dt, size_t ndt,
		     const struct shape *gt, size_t ngt, const uint8_t *crowd,
		     uint32_t h, uint32_t w, double *out, struct buf *err)
{
	struct sm_ctx c = {dt, gt, crowd, ngt, h, w, out, err, 0};
	double *bd, *bg;
	size_t i;

	if (!ndt || !ngt)
		return 0;
	memset(out, 0, ndt * ngt * sizeof(*out));
	bd = geom_xmalloc(4 * ndt * sizeof(*bd));
	bg = geom_xmalloc(4 * ngt * sizeof(*bg));
	for (i = 0; i < ndt; i++) {
		box b = shape_bbox(&dt[i]);
		memcpy(bd + 4 * i, &b, sizeof(b));
	}
	for (i = 0; i < ngt; i++) {
		box b = shape_bbox(&gt[i]);
		memcpy(bg + 4 * i, &b, sizeof(b));
	}
	geom_box_sweep(bd, ndt, bg, ngt, sm_pair, &c);
	free(bd);
	free(bg);
	return c.rc;
}
