/*
 * contour.h - mask -> polygons by contour tracing, holes included, with
 * Douglas-Peucker thinning. Pure: no I/O, no globals.
 */
#ifndef CAIRN_GEOM_CONTOUR_H
#define CAIRN_GEOM_CONTOUR_H

#include <stddef.h>

#include "geom/rle.h"

struct buf;

/* All rings of a mask as one even-odd polygon: xy holds n points, ring i has
 * rings[i] of them (in order). Outer rings run clockwise on screen (positive
 * ring_signed_area), holes the other way; parent[i] is -1 for an outer ring
 * and the index of the enclosing outer ring for a hole. All arrays owned;
 * free with contours_release. */
struct contours {
	double *xy;
	size_t n;
	size_t *rings;
	size_t nrings;
	int *parent;
};

/* Traces r's foreground (4-connected regions; diagonal-only contact makes
 * separate regions) along pixel edges: vertices are pixel corners, so with
 * tolerance 0 the rings enclose exactly the mask's pixels. tolerance > 0
 * thins each ring with Douglas-Peucker (pixels; a ring keeps >= 3 points).
 * An empty mask gives no rings. Returns 0, or CAIRN_EINVAL when r fails
 * rle_check or tolerance is negative or NaN. */
int rle_to_contours(const struct rle *r, double tolerance,
		    struct contours *out, struct buf *err);
void contours_release(struct contours *c);

#endif
