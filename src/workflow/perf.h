/*
 * perf.h - annotator performance for a project: throughput over active
 * editor time, rejection rate and reasons from review, and accuracy
 * against gold items (tags that match, mean IoU of boxes). Above the
 * store; no HTTP. The figures are defined in docs/workflow.md.
 */
#ifndef CAIRN_PERF_H
#define CAIRN_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store.h"

/* Accuracy of one annotation against its gold, from the objects of both. */
struct gold_score {
	int has_tags;              /* gold has tags: tags_match is meaningful */
	int tags_match;            /* the sets of tag labels are equal */
	int has_boxes;             /* either side has boxes: iou is meaningful */
	double iou;                /* sum of matched IoU / (gold + mine - matched) */
};
/* Scores one pair: boxes are matched one to one, same label, greedily by
 * IoU (ties by order), a match needing IoU > 0. Bounded by the objects of
 * one item; quadratic only in them. */
void perf_score_gold(const struct gold_pair *p, struct gold_score *out);

/* Appends {"annotators": [...]} for the project (docs/api.md). */
int perf_annotators_json(struct store *st, int64_t project_id, struct buf *out, struct buf *err);
/* The same with only the row of user only_user (0: every row). */
int perf_annotators_json_for(struct store *st, int64_t project_id, int64_t only_user,
			     struct buf *out, struct buf *err);

#endif
