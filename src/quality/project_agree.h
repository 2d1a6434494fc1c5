/*
 * project_agree.h - agreement, confusion and consensus over a project's
 * manual annotations, shared by the CLI (`cairn agree --project`, `cairn
 * consensus`) and the server (/projects/{p}/quality/...). It walks the
 * project through the store a page of items at a time, feeds agree.c,
 * match.c and consensus.c, and writes JSON. The shapes are in
 * docs/quality.md and docs/api.md.
 *
 * Ownership: everything is borrowed; JSON is appended to the caller's
 * buffer. Functions return 0 or a negative enum cairn_err with the reason
 * in err.
 */
#ifndef CAIRN_PROJECT_AGREE_H
#define CAIRN_PROJECT_AGREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quality/agree.h"
#include "quality/match.h"

struct buf;
struct project;
struct store;

/* Most time windows one answer may have (a smaller window is refused). */
#define PROJECT_AGREE_MAX_WINDOWS 1000
/* Most distinct item labels in a confusion matrix. */
#define PROJECT_CONFUSION_MAX_LABELS 500

/* Which halves of the agreement to compute. */
enum { PROJECT_AGREE_CATEGORICAL = 1, PROJECT_AGREE_SPATIAL = 2 };

struct project_agree_opts {
	struct agree_opts agree;   /* the categorical metric over item labels */
	double iou_floor;          /* spatial: pairs under this never match (0.1) */
	/* Over time: an item belongs to the window of the latest save time of
	 * its manual annotations (their current versions); 0: no by_window. */
	int64_t window_ms;
	size_t max_windows;        /* 0: PROJECT_AGREE_MAX_WINDOWS (a smaller cap, for tests) */
	int which;                 /* PROJECT_AGREE_CATEGORICAL | _SPATIAL */
};

/*
 * Item-level labels of the project into d (finished): an annotation's
 * label is its tag's label, several tags' labels sorted and joined with
 * '|', or missing without a tag. The item name is its id in decimal.
 * *skipped counts annotations that no longer parse (may be NULL).
 */
int project_agree_tags(struct store *st, int64_t project_id, struct agree_data *d,
		       size_t *skipped, struct buf *err);

/*
 * Appends the categorical result as one JSON object: metric, value, ci95,
 * counts, by_category and by_pair (docs/quality.md). project may be NULL.
 */
void project_agree_result_json(const struct agree_data *d, const struct agree_opts *o,
			       const struct agree_result *r, const char *project,
			       struct buf *out);

/*
 * Agreement of the project. With one half in o->which, appends that half's
 * object (what `cairn agree --project` prints); with both, appends
 * {"project", "window_s", "categorical", "spatial"} from one walk. The
 * categorical half is null when no annotation has a tag. CAIRN_EINVAL when
 * the metric does not fit the data (Cohen's kappa needs two annotators)
 * or the window gives more than PROJECT_AGREE_MAX_WINDOWS windows.
 */
int project_agree_json(struct store *st, const struct project *p,
		       const struct project_agree_opts *o, struct buf *out, struct buf *err);

/*
 * The confusion matrices between annotators a and b (user ids): "labels"
 * over the items both annotated (item-level labels as above, "" shown as
 * null), and "objects" over region objects (boxes, polygons, masks,
 * rotated boxes, ellipses) matched one to one by IoU >= iou, unmatched
 * objects against null. Rows are a's labels, columns b's.
 */
int project_confusion_json(struct store *st, const struct project *p, int64_t a, int64_t b,
			   double iou, struct buf *out, struct buf *err);

/* Called after each item; returning true stops the run (CAIRN_EINVAL, "cancelled"). */
typedef bool (*project_progress_fn)(void *ctx, int64_t done, int64_t total);

/* The defaults of review_f1 and review_tags below (docs/quality.md). */
#define PROJECT_REVIEW_F1 0.8
#define PROJECT_REVIEW_TAGS 1.0

struct project_consensus_opts {
	const char *method;        /* "majority" or "dawid-skene" */
	double min_agree;          /* below it, an item goes to review (0.5) */
	size_t min_ann;            /* fewer annotations: no consensus (2) */
	double review_f1;          /* below this pairwise F1@0.5 of its objects, an item
				    * goes first in its batch's review sample (0: off) */
	double review_tags;        /* below this share of annotators agreeing on the
				    * majority label, the same (1: any disagreement; 0: off) */
	bool dry_run;              /* compute, save nothing */
	int64_t user_id;           /* saved as this user (required unless dry_run) */
	project_progress_fn progress;   /* may be NULL */
	void *progress_ctx;
};

struct project_consensus_counts {
	size_t saved, needs_review, too_few, queued;
};

/*
 * Writes (or replaces) one consensus annotation per item with enough
 * annotators: kind consensus, source the method; the answer lists for each
 * item the annotations and versions it was built from. Appends the JSON
 * object `cairn consensus --json` prints (docs/quality.md).
 */
int project_consensus(struct store *st, const struct project *p,
		      const struct project_consensus_opts *o, struct buf *out,
		      struct project_consensus_counts *counts, struct buf *err);

/*
 * Each annotator against the consensus: over the items that have a
 * consensus annotation, the annotator's manual annotation compared with
 * it. Tags: whether the item labels (joined as in agreement) are equal,
 * on items whose consensus has a tag. Objects: matched one to one by IoU
 * (floor 0.5) as in spatial agreement, on items where either side has a
 * region, keypoint or interval object; F1@0.5, mean IoU and label
 * agreement come from match_figures_of(&objects). *out (free it) gets one
 * row per annotator, in the order first met.
 */
struct consensus_score {
	int64_t user_id;
	int64_t items;             /* items with a consensus that they labelled */
	int64_t tag_items, tag_matches;
	int64_t object_items;
	struct match_counts objects;
};
int project_consensus_scores(struct store *st, int64_t project_id, struct consensus_score **out,
			     size_t *n, struct buf *err);

#endif
