/*
 * geom.h - the shapes of Cairn and what can be computed on them: area,
 * bounding box, validation, clipping, affine transforms, IoU (exact where
 * the shapes allow, by rasterisation otherwise), OKS and polyline distance.
 * Pure: no I/O, no globals; the only allocations are the documented outputs
 * and short-lived scratch (allocation failure aborts, as base/buf does).
 *
 * Conventions (ARCHITECTURE.md): pixel coordinates, origin top-left, x right,
 * y down, continuous (a box covering pixel 0 is [0,0,1,1]); 2-D rotation in
 * degrees clockwise about the box centre; masks are COCO RLE (geom/rle.h).
 * Point arrays are flat: x0, y0, x1, y1, ... and are always borrowed.
 */
#ifndef CAIRN_GEOM_H
#define CAIRN_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "geom/rle.h"

struct buf;

typedef struct point {
	double x, y;
} point;

/* Axis-aligned box: top-left corner and size. */
typedef struct box {
	double x, y, w, h;
} box;

/* Rotated box and rotated ellipse: centre, full size (ellipse: the two
 * diameters), rotation in degrees clockwise. */
typedef struct rbox {
	double cx, cy, w, h, angle;
} rbox;

/* 3-D box for point clouds: centre, length (along heading), width, height,
 * yaw in radians about the z axis (counter-clockwise seen from above, as
 * KITTI and nuScenes write it). */
typedef struct box3d {
	double cx, cy, cz, l, w, h, yaw;
} box3d;

/* 1-D interval [start, end): text spans (code points), time segments. */
typedef struct interval {
	double start, end;
} interval;

enum geom_kind {
	GEOM_BOX,
	GEOM_RBOX,
	GEOM_ELLIPSE,
	GEOM_POLYGON,   /* one or more rings, even-odd fill (holes are rings) */
	GEOM_POLYLINE,
	GEOM_POINTS,
	GEOM_KEYPOINTS, /* points with visibility 0/1/2 (COCO) */
	GEOM_CUBOID,    /* 2-D cuboid: eight projected vertices */
	GEOM_MASK,
	GEOM_BOX3D,
	GEOM_INTERVAL,
	GEOM_KIND_COUNT
};

/* A borrowed view of one shape. Only the fields of its kind are read. */
struct shape {
	enum geom_kind kind;
	union {
		box box;         /* GEOM_BOX */
		rbox rbox;       /* GEOM_RBOX, GEOM_ELLIPSE */
		box3d box3d;     /* GEOM_BOX3D */
		interval iv;     /* GEOM_INTERVAL */
	} u;
	const double *xy;    /* polygon, polyline, points, keypoints, cuboid */
	size_t n;            /* number of points in xy (cuboid: 8) */
	const size_t *rings; /* polygon: points per ring; NULL = one ring of n */
	size_t nrings;
	const uint8_t *vis;  /* keypoints: visibility per point; NULL = all 2 */
	const struct rle *mask; /* GEOM_MASK */
};

/* One row per kind (STYLE.md: families are tables). */
struct shape_ops {
	const char *name;        /* "box", "rbox", "ellipse", "polygon", ... */
	enum geom_kind kind;
	int dims;                /* 1 (interval), 2, or 3 (box3d) */
	int has_area;            /* 0 for polyline, points, keypoints */
	/* 0 or CAIRN_EINVAL with "<name>: ..." naming the offending vertex. */
	int (*validate)(const struct shape *s, struct buf *err);
	/* Area in pixels (interval: length; box3d: volume; 0 if none). */
	double (*area)(const struct shape *s);
	/* Axis-aligned bounding box (interval: [start, 0, len, 1]; box3d: its
	 * footprint in x, y). */
	box (*bbox)(const struct shape *s);
	/* Region as a polygon outline (owned array of *n points, free with
	 * free()), NULL when the kind has no region or is a mask. Ellipses
	 * are approximated by `segments` vertices. */
	double *(*outline)(const struct shape *s, size_t *n, int segments);
};

/* Returns the row for kind, or NULL when out of range. */
const struct shape_ops *shape_ops_of(enum geom_kind kind);
/* Returns the row named name ("polygon"), or NULL. */
const struct shape_ops *shape_ops_find(const char *name);

/* Convenience: dispatch through the table. */
int shape_validate(const struct shape *s, struct buf *err);
double shape_area(const struct shape *s);
box shape_bbox(const struct shape *s);

/* ---- boxes, rotated boxes, polygons ---------------------------------- */

/* The four corners of r, clockwise on screen starting top-left before
 * rotation; xy gets 8 numbers. */
void rbox_corners(const rbox *r, double xy[8]);

/* The footprint of a 3-D box in the x-y plane: four corners. */
void box3d_footprint(const box3d *b, double xy[8]);

/* Signed shoelace area of one ring (positive when counter-clockwise in
 * y-up axes, i.e. clockwise on screen). */
double ring_signed_area(const double *xy, size_t n);

/* Area of a polygon with even-odd rings (nrings = 0 or rings = NULL means
 * one ring of n points). */
double polygon_area(const double *xy, size_t n, const size_t *rings,
		    size_t nrings);
box points_bbox(const double *xy, size_t n);

/* Checks a polygon: finite values, >= 3 points per ring, non-zero area,
 * no self-intersection (any two non-adjacent edges crossing or touching).
 * The message names the ring and vertex: "polygon: vertex 3 is NaN",
 * "polygon: edge 2-3 crosses edge 5-6". */
int polygon_validate(const double *xy, size_t n, const size_t *rings,
		     size_t nrings, struct buf *err);

/* Clips a box to the image [0, w] x [0, h]; an outside box becomes 0x0. */
box box_clip(box b, double w, double h);

/* Clips one ring to the image rectangle (Sutherland-Hodgman; exact area for
 * any simple polygon). Returns an owned array of *nout points (free with
 * free()), NULL with *nout = 0 when nothing is left. */
double *ring_clip(const double *xy, size_t n, double w, double h,
		  size_t *nout);

/* Intersection area of two convex polygons given counter-clockwise or
 * clockwise (either; detected). */
double convex_inter_area(const double *a, size_t na, const double *b,
			 size_t nb);

/* Exact intersection area of two polygons with even-odd rings (simple
 * rings; holes allowed), by integrating the boundary of the intersection. */
double polygon_inter_area(const double *a, size_t na, const size_t *arings,
			  size_t narings, const double *b, size_t nb,
			  const size_t *brings, size_t nbrings);

/* ---- affine transforms ------------------------------------------------ */

/* x' = a*x + b*y + c; y' = d*x + e*y + f. */
typedef struct affine {
	double a, b, c, d, e, f;
} affine;

affine affine_identity(void);
affine affine_scale(double sx, double sy);
/* Mirror inside an image of width w (x' = w - x) or height h. */
affine affine_flip_h(double w);
affine affine_flip_v(double h);
/* Rotate an image of size w x h by k quarter turns clockwise; the result
 * image is h x w for odd k. */
affine affine_rot90(int k, double w, double h);
/* m2 after m1. */
affine affine_then(affine m1, affine m2);
point affine_apply(affine m, point p);
/* Transforms n points in place. */
void points_transform(double *xy, size_t n, affine m);
/* A box's image is the bbox of its transformed corners (exact for scale,
 * flips and quarter turns). */
box box_transform(box b, affine m);
/* Exact for scale (uniform, or with a quarter-turn angle), flips and
 * quarter turns; for other cases the nearest rotated box. */
rbox rbox_transform(rbox r, affine m);

/* Mask transforms (COCO RLE): flips and quarter turns. out is owned. */
int rle_flip(struct rle *out, const struct rle *r, int horizontal);
int rle_rot90(struct rle *out, const struct rle *r, int k);

/* ---- IoU ---------------------------------------------------------------- */

/* pycocotools' bbIou for one pair: intersection over union, or over the
 * detection's area when the ground truth is a crowd region. */
double box_iou(box dt, box gt, int gt_crowd);
double rbox_iou(rbox dt, rbox gt, int gt_crowd);
double polygon_iou(const double *a, size_t na, const size_t *arings,
		   size_t narings, const double *b, size_t nb,
		   const size_t *brings, size_t nbrings, int gt_crowd);
/* Rotated footprint intersection times height overlap, over the union of
 * volumes. */
double box3d_iou(box3d dt, box3d gt);
double interval_iou(interval a, interval b);

/* IoU of any two shapes with a region. Exact for box, rbox, polygon,
 * cuboid (its hull) and their mixes, and for mask/mask; ellipses become
 * 64-gons; any pair with a mask is rasterised at the mask's size (image
 * size h x w otherwise, when both are given, and else the shapes' extent).
 * Returns 0 and the IoU in *out, or CAIRN_EINVAL naming the shape kinds
 * that have no IoU (points, polylines, keypoints; 1-D or 3-D with 2-D). */
int shape_iou(const struct shape *dt, const struct shape *gt, int gt_crowd,
	      uint32_t h, uint32_t w, double *out, struct buf *err);

/* N x M IoU matrix: out[i*ngt + j]. Pairs whose bounding boxes do not
 * overlap are 0 without further work (sort-and-sweep, no quadratic loop
 * over pairs). crowd may be NULL. Returns the first error of shape_iou. */
int shape_iou_matrix(const struct shape *dt, size_t ndt,
		     const struct shape *gt, size_t ngt, const uint8_t *crowd,
		     uint32_t h, uint32_t w, double *out, struct buf *err);

/* Box matrix as pycocotools' bbIou (same numbers), with the sweep. */
void box_iou_matrix(const box *dt, size_t ndt, const box *gt, size_t ngt,
		    const uint8_t *crowd, double *out);

/* ---- OKS and distances -------------------------------------------------- */

/* COCO's 17 person keypoint sigmas (nose, eyes, ears, shoulders, ...). */
extern const double geom_coco_sigmas[17];

/* Object keypoint similarity as COCOeval.computeOks: k points, gt with
 * visibility gt_v, sigmas per point (geom_coco_sigmas or a skeleton's
 * own), gt_area the ground truth's area and gt_box its box (used when no
 * gt keypoint is visible). */
double keypoints_oks(const double *gt_xy, const uint8_t *gt_v,
		     const double *dt_xy, size_t k, const double *sigmas,
		     double gt_area, box gt_box);

/* Distance from p to segment ab. */
double point_segment_dist(point p, point a, point b);
/* Mean symmetric point-to-polyline distance: the mean over a's vertices of
 * their distance to polyline b, and b's to a, averaged. */
double polyline_distance(const double *a, size_t na, const double *b,
			 size_t nb);

#endif
