/*
 * consensus.h - one label from several annotators' labels: majority vote
 * and Dawid-Skene (EM over each annotator's confusion matrix) for
 * categories, weighted box fusion for boxes, per-pixel vote and STAPLE for
 * masks, the mean of the visible points for keypoints. Pure: no I/O, no
 * globals. Formulas and sources: docs/quality.md.
 *
 * Ownership: results own their arrays; free with their _release.
 */
#ifndef CAIRN_CONSENSUS_H
#define CAIRN_CONSENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geom/geom.h"
#include "geom/rle.h"
#include "quality/agree.h"

struct buf;

/*
 * Majority vote per item of d (finished): cat[i] gets the category with the
 * most votes (ties go to the lowest category index; -1 when the item has
 * no rating) and share[i] its share of the item's votes. Arrays have
 * d->n_items entries.
 */
void consensus_majority(const struct agree_data *d, int32_t *cat, double *share);

/* Most annotators x categories^2 cells Dawid-Skene accepts. */
#define CONSENSUS_DS_MAX_CELLS 20000000

struct ds_result {
	size_t n_items, n_raters, q;
	double *posterior;   /* n_items x q: P(true = k | ratings); rows of unrated items are the prior */
	double *confusion;   /* n_raters x q x q: [j][k][l] = P(annotator j says l | true k) */
	double *prior;       /* q: P(true = k) */
	int iterations;
	bool converged;      /* the largest posterior change fell under tol */
	double loglik;       /* log-likelihood of the ratings at the end */
};
void ds_result_release(struct ds_result *r);

/*
 * Dawid and Skene (1979): EM from the majority-vote posteriors; each
 * M-step re-estimates the prior and every annotator's confusion matrix
 * (with add-`smoothing` counts, e.g. 0.01), each E-step the item
 * posteriors; stops when no posterior moves more than tol, or after
 * max_iter rounds. Returns 0; CAIRN_ETOOBIG past CONSENSUS_DS_MAX_CELLS;
 * CAIRN_EINVAL on no ratings.
 */
int consensus_dawid_skene(const struct agree_data *d, double tol, int max_iter, double smoothing,
			  struct ds_result *out, struct buf *err);

/*
 * Weighted box fusion (Solovyev, Wang and Gabruseva 2021) of one cluster
 * of n matched boxes with scores (NULL: all 1): coordinates are the
 * score-weighted means, the score is the mean score scaled by
 * min(n, n_raters) / n_raters (boxes missing from some annotators lower
 * it). Boxes are [x, y, w, h].
 */
void consensus_wbf(const box *b, const double *score, size_t n, size_t n_raters, box *out,
		   double *out_score);

/*
 * Clusters boxes of several annotators as WBF does: in descending score
 * order, each box joins the first cluster of its label whose fused box it
 * overlaps with IoU > iou_thr, else starts one. cluster[i] gets box i's
 * cluster; returns the number of clusters.
 */
size_t consensus_wbf_cluster(const box *b, const uint32_t *label, const double *score, size_t n,
			     double iou_thr, size_t *cluster);

/* Most masks STAPLE takes (the vote patterns are counted in 2^n cells). */
#define CONSENSUS_STAPLE_MAX 16

/*
 * Per-pixel vote of n masks of the same size: a pixel is in the result when
 * at least min_votes masks have it. Returns 0, or CAIRN_EINVAL when sizes
 * differ or n is 0.
 */
int consensus_mask_vote(const struct rle *m, size_t n, size_t min_votes, struct rle *out,
			struct buf *err);

/*
 * STAPLE (Warfield, Zou and Wells 2004) on n binary masks of one size:
 * EM over each annotator's sensitivity and specificity, the prior being
 * the mean foreground share. out gets the pixels whose posterior is at
 * least 0.5; sens and spec (n each, may be NULL) the estimates. Pixels
 * are grouped by their vote pattern, so each round costs O(2^n), not
 * O(pixels). Returns 0 or CAIRN_EINVAL (sizes differ, n 0 or over
 * CONSENSUS_STAPLE_MAX).
 */
int consensus_staple(const struct rle *m, size_t n, double tol, int max_iter, struct rle *out,
		     double *sens, double *spec, struct buf *err);

/*
 * Mean of the visible points: n annotators' keypoints of k points each
 * (xy[i]: 2k numbers, v[i]: k visibilities, 0 absent). out_xy[p] is the
 * mean over the annotators with v > 0 for point p, out_v[p] the highest
 * visibility among them (0 and the point at 0, 0 when nobody saw it).
 */
void consensus_keypoints(const double *const *xy, const uint8_t *const *v, size_t n, size_t k,
			 double *out_xy, uint8_t *out_v);

#endif
