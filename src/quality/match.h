/*
 * match.h - spatial agreement between two annotators: one-to-one matching
 * of their objects on one item by maximum total similarity (the Hungarian
 * method on the IoU, OKS or interval-IoU matrix), and the counts that give
 * mean IoU, precision, recall and F1 at IoU 0.5 and 0.75, label agreement
 * among matches and span-overlap F1. Pure: no I/O, no globals; similarity
 * matrices come from geom/ (shape_iou_matrix, keypoints_oks, interval_iou).
 */
#ifndef CAIRN_MATCH_H
#define CAIRN_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "geom/geom.h"

struct buf;

/*
 * Maximum-weight one-to-one assignment on the n x m matrix w (row-major,
 * weights >= 0): row_to_col[i] gets the column of row i, or -1. Pairs with
 * w < floor never match (floor > 0; a row left only with such pairs stays
 * unmatched). O(k^2 K) for k = min(n, m), K = max(n, m): the Hungarian
 * method with potentials (Kuhn 1955; Jonker and Volgenant's shortest
 * augmenting paths). Returns the total weight of the kept pairs.
 */
double match_assign(const double *w, size_t n, size_t m, double floor, long *row_to_col);

/* The similarity families: objects of different families never match. */
enum match_family { MATCH_REGION, MATCH_KEYPOINTS, MATCH_INTERVAL, MATCH_FAMILY_COUNT_ };
const char *match_family_name(enum match_family f);

/* One object to match: borrowed geometry and its class. */
struct match_obj {
	struct shape shape;      /* region kinds, GEOM_KEYPOINTS or GEOM_INTERVAL */
	uint32_t label;
	double area;             /* keypoints: the object's area for OKS (0: its points' box) */
};

/* Which family a shape belongs to; -1 for kinds that have no similarity
 * here (points, polylines, 3-D boxes). */
int match_family_of(enum geom_kind k);

/* Counts that add up over items, classes and annotator pairs. */
struct match_counts {
	double n_a, n_b;         /* objects of each side */
	double matched;          /* pairs kept (similarity >= floor) */
	double sim_sum;          /* sum of the similarity of kept pairs */
	double tp50, tp75;       /* kept pairs with similarity >= 0.5, >= 0.75 */
	double same_label;       /* kept pairs whose labels are equal */
	double overlap;          /* intervals: overlap length of same-label kept pairs */
	double len_a, len_b;     /* intervals: total lengths of each side */
};

void match_counts_add(struct match_counts *to, const struct match_counts *c);

/* The figures of a set of counts (NaN where a denominator is 0). */
struct match_figures {
	double mean_sim, precision50, recall50, f1_50, precision75, recall75, f1_75;
	double label_agreement, span_f1;
};
void match_figures_of(const struct match_counts *c, struct match_figures *f);

/*
 * Matches a's objects with b's (same item) within each family and adds the
 * counts to *out (out[f] per family). With by_label, only objects of equal
 * labels may match (per-class agreement). h, w: the item's size for
 * rasterised pairs (0: unknown). Keypoints use COCO's sigmas when they have
 * 17 points, else 0.05 for each. Returns 0, or the error of
 * shape_iou_matrix.
 */
int match_objects(const struct match_obj *a, size_t na, const struct match_obj *b, size_t nb,
		  double floor, int by_label, uint32_t h, uint32_t w,
		  struct match_counts out[MATCH_FAMILY_COUNT_], struct buf *err);

/* Symmetric OKS of two keypoint sets (the mean of both directions). */
double match_oks(const struct match_obj *a, const struct match_obj *b);

/* Appends the figures and counts of c as a JSON object. */
int match_counts_json(const struct match_counts *c, struct buf *out);

#endif
