/*
 * rle.h - COCO run-length encoded masks: encode, decode, area, bbox, merge,
 * IoU, the compressed counts string, and polygon/box -> RLE that reproduces
 * pycocotools' rasteriser bit for bit. Pure: no I/O, no globals.
 *
 * Layout (as COCO): the mask is h rows by w columns, scanned column-major
 * (down the first column, then the next); counts alternate background and
 * foreground runs and always start with background (possibly 0). A valid
 * RLE's counts sum to exactly h*w; rle_check says why one does not.
 *
 * Ownership: a struct rle owns its counts (malloc'd); free with rle_release.
 * Every function that fills a `struct rle *out` expects it uninitialised or
 * released, and leaves it released (n = 0, counts = NULL) on failure.
 * Allocation failure aborts the process (as base/buf does). Thread-safe: no
 * shared state.
 */
#ifndef CAIRN_GEOM_RLE_H
#define CAIRN_GEOM_RLE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct rle {
	uint32_t h, w;     /* mask height (rows) and width (columns) */
	size_t n;          /* number of runs */
	uint32_t *counts;  /* owned; run lengths, background first */
};

#define RLE_INIT {0, 0, 0, NULL}

/* Frees r's counts and resets it to an empty 0x0 mask. NULL is allowed. */
void rle_release(struct rle *r);

/* Makes out a copy of r (owned). */
void rle_copy(struct rle *out, const struct rle *r);

/* Takes a copy of n counts into a new RLE of size h x w; no validation (see
 * rle_check). */
void rle_from_counts(struct rle *out, const uint32_t *counts, size_t n,
		     uint32_t h, uint32_t w);

/* Checks that r's counts sum to exactly h*w. Zero-length runs anywhere are
 * allowed. Returns 0 or CAIRN_EINVAL with "rle: ..." in err. */
int rle_check(const struct rle *r, struct buf *err);

/* Returns 1 when a and b have the same size and the same pixels (zero-length
 * runs do not matter), else 0. */
int rle_equal(const struct rle *a, const struct rle *b);

/* Rewrites r's counts into canonical form: no zero-length runs except a
 * leading one, no trailing zero run (what rle_from_bitmap produces). */
void rle_normalize(struct rle *r);

/* bitmap is column-major (Fortran order, like pycocotools), h*w bytes,
 * nonzero = set. Borrows bitmap. Returns 0 (or CAIRN_ETOOBIG when h*w does
 * not fit in 32 bits, the limit of COCO's counts). */
int rle_from_bitmap(struct rle *out, const uint8_t *bitmap, uint32_t h,
		    uint32_t w);
/* Row-major convenience for renderers: bitmap[y*w + x]. */
int rle_from_bitmap_rowmajor(struct rle *out, const uint8_t *bitmap,
			     uint32_t h, uint32_t w);

/* Writes h*w bytes (0 or 1) into bitmap, column-major / row-major. r must
 * pass rle_check; returns CAIRN_EINVAL (bitmap untouched past h*w) if not. */
int rle_to_bitmap(const struct rle *r, uint8_t *bitmap);
int rle_to_bitmap_rowmajor(const struct rle *r, uint8_t *bitmap);

/* Number of foreground pixels. */
uint64_t rle_area(const struct rle *r);

/* Tight bounding box of the foreground: x, y, w, h in pixels (a set pixel
 * (0,0) gives [0,0,1,1]); all zero when the mask is empty. Correct with
 * zero-length runs anywhere. */
void rle_bbox(const struct rle *r, double bbox[4]);

/* COCO compressed counts string (LEB128-like, 6 bits per char, chars 48-111,
 * deltas from the count two back after the third). Appends the string to out
 * (NUL-terminated by buf's invariant); returns 0 or buf's error. */
int rle_to_string(const struct rle *r, struct buf *out);

/* Parses a COCO compressed counts string for an h x w mask. Strict where
 * pycocotools is not: characters outside '0'..'o', unterminated values,
 * negative counts, counts above 2^32-1 and counts summing to anything but
 * h*w are CAIRN_EINVAL with the character offset in err. */
int rle_from_string(struct rle *out, const char *s, uint32_t h, uint32_t w,
		    struct buf *err);
/* The same for a string of len bytes that need not be NUL-terminated. */
int rle_from_stringn(struct rle *out, const char *s, size_t len, uint32_t h,
		     uint32_t w, struct buf *err);

/* Union (intersect = 0) or intersection (intersect = 1) of n RLEs of the same
 * size. n = 0 gives an empty 0x0 RLE. Returns CAIRN_EINVAL when sizes differ
 * or an input fails rle_check. Borrows rles. */
int rle_merge(struct rle *out, const struct rle *rles, size_t n, int intersect,
	      struct buf *err);

enum rle_op { RLE_UNION, RLE_INTERSECT, RLE_XOR, RLE_SUBTRACT /* a & ~b */ };

/* One binary operation on two same-size valid masks; canonical output. */
int rle_combine(struct rle *out, const struct rle *a, const struct rle *b,
		enum rle_op op, struct buf *err);

/* Intersection and union pixel counts of a and b (same size, both valid).
 * Returns CAIRN_EINVAL when sizes differ. */
int rle_inter_union(const struct rle *a, const struct rle *b, uint64_t *inter,
		    uint64_t *uni);

/* IoU of one pair as pycocotools computes it: intersection / union, or
 * intersection / area(dt) when gt_crowd; 0 when the intersection is 0.
 * Returns -1 when the sizes differ (as pycocotools does). */
double rle_iou(const struct rle *dt, const struct rle *gt, int gt_crowd);

/* IoU matrix: out[i*ngt + j] = rle_iou(&dt[i], &gt[j], crowd && crowd[j]).
 * Pairs whose boxes do not overlap are 0 without a pixel walk; the boxes are
 * swept in x order so no pair is visited that cannot overlap. crowd may be
 * NULL. */
void rle_iou_matrix(const struct rle *dt, size_t ndt, const struct rle *gt,
		    size_t ngt, const uint8_t *crowd, double *out);

/* Polygon -> RLE exactly as pycocotools' rleFrPoly (the COCO rasteriser):
 * xy holds k points x0,y0,x1,y1,...; borrows xy. Non-finite or huge
 * coordinates (|v| > 1e8) are CAIRN_EINVAL. k = 0 gives an empty mask. */
int rle_from_poly(struct rle *out, const double *xy, size_t k, uint32_t h,
		  uint32_t w, struct buf *err);

/* Box [x, y, w, h] -> RLE exactly as pycocotools' rleFrBbox. */
int rle_from_bbox(struct rle *out, const double bbox[4], uint32_t h,
		  uint32_t w, struct buf *err);

/* COCO polygon segmentation (several polygons, unioned) -> RLE, as
 * pycocotools' frPyObjects followed by merge. polys[i] has npts[i] points.
 * Borrows polys. */
int rle_from_polys(struct rle *out, const double *const *polys,
		   const size_t *npts, size_t npolys, uint32_t h, uint32_t w,
		   struct buf *err);

#endif
