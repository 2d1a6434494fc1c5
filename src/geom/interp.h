/*
 * interp.h - interpolation of shapes between the keyframes of a video
 * track, and the shape of a track at any frame, with CVAT's semantics.
 * Pure: no I/O, no globals; results are owned by the caller's struct
 * interp_shape (free with interp_shape_release). Thread-safe.
 *
 * t is the fraction of the way from keyframe a (t = 0) to keyframe b (t = 1).
 * At t <= 0 the result is a copy of a and at t >= 1 a copy of b, bit for
 * bit. In between (CVAT's rules, written afresh):
 *  - box, rotated box, ellipse, 3-D box, interval: every number linearly;
 *    angles along the shortest arc (degrees clockwise for 2-D, radians for
 *    a 3-D yaw), the result normalised into [0, 360) (or [0, 2 pi)); a
 *    difference of exactly half a turn goes clockwise (positive).
 *  - cuboid, points: per point when both have the same number of points;
 *    otherwise a is held (CVAT holds multi-point shapes it cannot match).
 *  - keypoints (same count; else a is held): a point absent (v = 0) in a
 *    stays absent (v = 0, a's coordinates) until b, as in CVAT, where a
 *    skeleton element that is outside at a keyframe stays outside until
 *    the next one. A point present in a and absent in b is held at a's
 *    position and visibility until b (CVAT keeps such an element present
 *    until its outside keyframe; its stored position at b means nothing in
 *    COCO, where v = 0 points are written (0, 0), so we do not move towards
 *    it). A point present at both ends moves linearly and keeps a's
 *    visibility (1 or 2), as CVAT copies the first keyframe's flags.
 *  - polygon (ring by ring; a different ring count holds a) and polyline:
 *    vertices are placed by normalised arc length (0 at the first vertex,
 *    1 back at it for a ring, at the last vertex for a line). The two
 *    sets of positions are merged into one common set: a vertex of a and a
 *    vertex of b whose positions are mutually nearest and closer than half
 *    the finer curve's mean spacing become one pair (this is the thinning:
 *    nearby vertices are not doubled), every other vertex is paired with
 *    the point of the other curve at the same position. Each pair is
 *    interpolated, and consecutive coincident results are dropped. Rings
 *    start at their first vertex on both sides; when the two rings wind in
 *    opposite directions b is walked backwards from its first vertex (CVAT
 *    does not, and then the shape folds through itself).
 *  - mask: a is held (masks are not interpolated, as in CVAT).
 * Shapes of different kinds cannot be interpolated: CAIRN_EINVAL.
 */
#ifndef CAIRN_GEOM_INTERP_H
#define CAIRN_GEOM_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "geom/geom.h"

struct buf;

/* An owned shape: `s` is a view of the arrays below (s.xy == xy, ...), so
 * it can be passed wherever a struct shape is read. */
struct interp_shape {
	struct shape s;
	double *xy;
	size_t *rings;
	uint8_t *vis;
	struct rle mask;
};

#define INTERP_SHAPE_INIT {{0}, NULL, NULL, NULL, RLE_INIT}

/* Frees what out owns and resets it (an empty box). NULL is allowed. */
void interp_shape_release(struct interp_shape *out);

/* Makes out an owned deep copy of s (points, rings, visibility, mask).
 * out must be initialised or released; it is released first. */
void interp_shape_copy(struct interp_shape *out, const struct shape *s);

/* The angle (degrees) a fraction t of the way from a0 to a1 along the
 * shortest arc, in [0, 360). interp_angle(350, 10, 0.5) == 0. */
double interp_angle(double a0, double a1, double t);

box interp_box(box a, box b, double t);
/* Rotated boxes and ellipses (centre, size, angle). */
rbox interp_rbox(rbox a, rbox b, double t);
box3d interp_box3d(box3d a, box3d b, double t);
interval interp_interval(interval a, interval b, double t);

/* n points (2n numbers) of a and b, linearly, into out (may alias a). */
void interp_points(const double *a, const double *b, size_t n, double t,
		   double *out);

/* k keypoints by the rule above. a_v/b_v may be NULL (all visible, 2);
 * out_v gets the visibility of each point. */
void interp_keypoints(const double *a_xy, const uint8_t *a_v,
		      const double *b_xy, const uint8_t *b_v, size_t k,
		      double t, double *out_xy, uint8_t *out_v);

/* One polyline (closed = 0) or polygon ring (closed = 1) of na and nb
 * points by arc-length matching. Returns an owned array of *nout points
 * (free with free()); na and nb must be >= 1. */
double *interp_curve(const double *a, size_t na, const double *b, size_t nb,
		     int closed, double t, size_t *nout);

/* Any two shapes of the same kind, a fraction t of the way. Borrows a and
 * b; out must be initialised or released. Returns 0, or CAIRN_EINVAL
 * ("interp: cannot interpolate a box into a polygon") for mixed kinds or a
 * NaN t. */
int interp_shape(struct interp_shape *out, const struct shape *a,
		 const struct shape *b, double t, struct buf *err);

/* ---- tracks ------------------------------------------------------------- */

/* One keyframe of a track. `outside` means the object left the view at
 * this frame: it is absent from here until the next keyframe. */
struct interp_key {
	int64_t frame;
	int outside;
	struct shape shape;  /* borrowed */
};

/* Checks that keys are sorted by strictly increasing frame and that every
 * two consecutive keys that will be interpolated (the first not outside)
 * have the same kind. 0 or CAIRN_EINVAL ("interp: key 3 (frame 10) is not
 * after key 2 (frame 10)"). */
int interp_track_check(const struct interp_key *keys, size_t n,
		       struct buf *err);

/* The track's shape at frame (CVAT semantics), keys sorted by frame
 * (interp_track_check; only the two keys around frame are checked here,
 * O(log n)):
 *  - before the first key: absent;
 *  - at a key: absent if it is outside, else that key's shape exactly;
 *  - after an outside key, until the next key: absent;
 *  - between two keys, the first not outside: interpolated;
 *  - after the last key (not outside): the last key's shape, held.
 * Returns 1 with the shape in out, 0 when absent (out released), or a
 * negative error (out released). *keyframe (may be NULL) is set to 1 when
 * frame is a key's frame. */
int interp_track_at(const struct interp_key *keys, size_t n, int64_t frame,
		    struct interp_shape *out, int *keyframe, struct buf *err);

#endif
