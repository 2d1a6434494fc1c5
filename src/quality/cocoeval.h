/*
 * cocoeval.h - COCO-style detection evaluation (AP and AR) computed exactly
 * as pycocotools' COCOeval does: per image and category, four area ranges,
 * three maxDets (keypoints: one), crowd regions matched without penalty,
 * greedy matching by score with COCOeval's stable tie order, 101-point
 * interpolated precision, -1 where there is nothing to measure.
 *
 * Two ways in: the COCO JSON loaders (a ground-truth dataset and a
 * detections array, as `cairn eval` reads them), or the record API that
 * other services use to score pre-labels against corrections and
 * annotators against gold items. Geometry comes from src/geom/ (box and RLE
 * IoU bit-compatible with pycocotools' maskUtils.iou, OKS).
 *
 * Ownership: struct cocoeval owns everything added to it; borrowed inputs
 * are copied. Functions return 0 or a negative enum cairn_err and write the
 * reason (file and JSON path) into err. Not thread-safe per object.
 */
#ifndef CAIRN_QUALITY_COCOEVAL_H
#define CAIRN_QUALITY_COCOEVAL_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rle;

enum cocoeval_iou { COCOEVAL_BBOX, COCOEVAL_SEGM, COCOEVAL_KEYPOINTS };

#define COCOEVAL_T 10   /* IoU thresholds .50:.05:.95 */
#define COCOEVAL_R 101  /* recall thresholds 0:.01:1 */
#define COCOEVAL_MAX_M 8

/* Returns "bbox", "segm", "keypoints"; cocoeval_iou_parse the reverse
 * (-1 when unknown). */
const char *cocoeval_iou_name(enum cocoeval_iou t);
int cocoeval_iou_parse(const char *s);

/* One object for the record API. Geometry by iou type: bbox needs bbox;
 * segm needs mask (an RLE of the image's size, borrowed and copied);
 * keypoints needs kp (nkp points as x, y, v triples, borrowed and copied)
 * and, for ground truth, bbox. area is COCO's `area` (ground truth: the
 * stored field; detections: as pycocotools' loadRes derives it). */
struct cocoeval_obj {
	int64_t id;          /* ground truth: annotation id; detections: ignored */
	int64_t image_id;
	int64_t category_id;
	double score;        /* detections only */
	double area;
	double bbox[4];
	int iscrowd;
	int num_keypoints;   /* ground truth keypoints; -1 = count visible */
	const struct rle *mask;
	const double *kp;
	size_t nkp;
};

struct cocoeval;

/* Returns an empty evaluation (owned, free with cocoeval_free). max_dets:
 * n ascending limits (NULL for the default: 1,10,100, keypoints 20). */
struct cocoeval *cocoeval_new(enum cocoeval_iou type, const int *max_dets,
			      size_t n);
void cocoeval_free(struct cocoeval *ev);

/* Record API. Images and categories first (ids unique), then objects. An
 * image's height and width are needed for polygons. sigmas (nkp values,
 * borrowed and copied; NULL = COCO's person sigmas) are used for the
 * category's OKS. */
int cocoeval_add_image(struct cocoeval *ev, int64_t id, uint32_t h,
		       uint32_t w, struct buf *err);
int cocoeval_add_category(struct cocoeval *ev, int64_t id, const char *name,
			  const double *sigmas, size_t nsigmas,
			  struct buf *err);
int cocoeval_add_gt(struct cocoeval *ev, const struct cocoeval_obj *o,
		    struct buf *err);
int cocoeval_add_dt(struct cocoeval *ev, const struct cocoeval_obj *o,
		    struct buf *err);

/* JSON loaders: a COCO dataset (images, annotations, categories) and a
 * detections array ([{image_id, category_id, bbox|segmentation|keypoints,
 * score}]), from memory; name is the file name used in messages ("gt.json:
 * $.annotations[3].bbox: expected 4 numbers"). Load the ground truth
 * first. Detections on an image the ground truth lacks are an error, as in
 * pycocotools' loadRes. */
int cocoeval_load_gt(struct cocoeval *ev, const char *json, size_t len,
		     const char *name, struct buf *err);
int cocoeval_load_dt(struct cocoeval *ev, const char *json, size_t len,
		     const char *name, struct buf *err);

/* The same, streamed from a file in 64 KiB chunks; messages name path. */
int cocoeval_load_gt_file(struct cocoeval *ev, const char *path, struct buf *err);
int cocoeval_load_dt_file(struct cocoeval *ev, const char *path, struct buf *err);

/* evaluate + accumulate + summarize. */
int cocoeval_run(struct cocoeval *ev, struct buf *err);

/* Results (after cocoeval_run). stats: 12 numbers (keypoints 10) in
 * pycocotools' order; *n gets the count. */
const double *cocoeval_stats(const struct cocoeval *ev, size_t *n);
size_t cocoeval_ncats(const struct cocoeval *ev);
/* precision[t][r] of category k at area a and maxDets index m (-1 absent);
 * recall likewise without r. k, a, m in range. */
double cocoeval_precision(const struct cocoeval *ev, size_t t, size_t r,
			  size_t k, size_t a, size_t m);
double cocoeval_recall(const struct cocoeval *ev, size_t t, size_t k,
		       size_t a, size_t m);

/* The summary as pycocotools prints it (twelve or ten lines); with
 * per_class a table of each category's AP, AP50, AP75 and AR after it. */
void cocoeval_write_summary(const struct cocoeval *ev, int per_class,
			    struct buf *out);
/* One JSON object: iou_type, params, stats, summary, per_class (each with
 * its own stats, recall per IoU threshold and the precision curve per IoU
 * threshold at area all and the largest maxDets). */
void cocoeval_write_json(const struct cocoeval *ev, struct buf *out);

#endif
