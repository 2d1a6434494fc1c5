/*
 * check.h - automated quality checks over a project's annotations: each a
 * named rule with a severity, reporting findings that link to the item, the
 * annotation and the object uid. Per-object and per-item rules run while the
 * project is streamed through the store; distribution rules (class shift,
 * box-tightness outliers, train/test leakage, annotator bias, drift over
 * time) run at the end on compact per-object records. See docs/checks.md.
 *
 * Ownership: a finding's strings are borrowed for the callback's duration.
 * Functions return 0 or a negative enum cairn_err with the reason in err; a
 * callback returning non-zero stops the run with that value.
 */
#ifndef CAIRN_QUALITY_CHECK_H
#define CAIRN_QUALITY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ann_doc;
struct buf;
struct item;
struct schema;
struct store;

enum check_severity { CHECK_ERROR, CHECK_WARNING, CHECK_INFO };

enum check_rule_id {
	CHECK_OUT_OF_BOUNDS,
	CHECK_DEGENERATE,
	CHECK_TOO_SMALL,
	CHECK_DUPLICATE,
	CHECK_REQUIRED_ATTR,
	CHECK_UNKNOWN_LABEL,
	CHECK_INVALID,
	CHECK_CLASS_SHIFT,
	CHECK_BOX_OUTLIER,
	CHECK_LEAKAGE,
	CHECK_UNLABELLED,
	CHECK_ANNOTATOR_BIAS,
	CHECK_DRIFT,
	CHECK_RULE_COUNT_
};

struct check_rule {
	const char *name;          /* "out_of_bounds" */
	enum check_severity severity;
	const char *summary;       /* one line for --help and docs */
};

/* The rule table, indexed by enum check_rule_id. */
extern const struct check_rule check_rules[CHECK_RULE_COUNT_];
/* Index of the rule named name, or -1. */
int check_rule_find(const char *name);
/* "error", "warning", "info". */
const char *check_severity_name(enum check_severity s);

struct check_finding {
	enum check_rule_id rule;
	int64_t item_id;           /* 0: a finding about a group (class_shift) */
	int64_t annotation_id;     /* 0 when not about one annotation */
	const char *object;        /* the object's uid, or "" */
	const char *group;         /* class_shift: "split train", "batch 3"; else "" */
	const char *message;
	int64_t user_id;           /* annotator_bias: the annotator; else 0 */
};

typedef int (*check_cb)(void *ctx, const struct check_finding *f);

struct check_opts {
	uint32_t rules;            /* 1u << rule for each to run; 0 = all */
	double min_size;           /* px: a region narrower or lower is too small (3) */
	double dup_iou;            /* same label and IoU above this: duplicate (0.9) */
	double z_max;              /* robust z-score above this: outlier (3.5) */
	size_t z_min_count;        /* fewest boxes of a class to judge outliers (20) */
	double p_max;              /* chi-square p-value below this: shifted (0.001) */
	int64_t shift_min;         /* fewest objects of a group to test (30) */
	int near_threshold;        /* dHash bits for a near duplicate (4) */
	bool with_predictions;     /* also check model predictions (false) */
	/* match_iou, bias_ratio, bias_min, window_ms: 0 (or out of range)
	 * means the default, so a caller that zero-fills this struct gets
	 * them; drift_drop 0 counts any significant drop. */
	double match_iou;          /* two annotators' objects match at this box IoU (0.5) */
	double bias_ratio;         /* median area ratio past this or 1/this: biased (1.1) */
	size_t bias_min;           /* fewest matched boxes to judge an annotator (20) */
	int64_t window_ms;         /* drift: length of a time window (1 day) */
	double drift_drop;         /* drift: agreement (F1) drop that counts (0.1) */
	/* check_project calls it after each page of items with the number
	 * of items read so far; returning true stops the run (CAIRN_EINVAL,
	 * "cancelled"). NULL: none. */
	bool (*progress)(void *ctx, int64_t items_done);
	void *progress_ctx;
};

void check_opts_default(struct check_opts *o);

/* The state of one run (owned, free with check_state_free). */
struct check_state;
struct check_state *check_state_new(const struct check_opts *o, check_cb cb, void *ctx);
void check_state_free(struct check_state *cs);

/* Feeds a batch before its items: unlabelled_in_finished_batch reports
 * items of batches whose stage is "review" or "done". */
int check_add_batch(struct check_state *cs, int64_t id, const char *name, const char *stage);

/* Feeds one item (its size, split, batch and perceptual hash). Its
 * annotations follow; the next item (or check_finish) closes it, which
 * runs the rules that compare an item's annotations with each other. */
int check_add_item(struct check_state *cs, const struct item *it);

/* Who made an annotation and when, for the rules about annotators and
 * time (unlabelled_in_finished_batch, annotator_bias, drift). */
struct check_ann {
	int64_t id;
	int kind;                  /* enum annotation_kind */
	int64_t user_id;           /* manual: the annotator (0: unknown) */
	int64_t updated_at;        /* ms since 1970 of its current version; 0: unknown */
};
/* check_add_doc with who and when. */
int check_add_ann(struct check_state *cs, const struct item *it, const struct check_ann *a,
		  const struct ann_doc *d, const struct schema *sc);
/* Runs the per-object and per-item rules on one parsed annotation of it
 * (it was fed first) and records what the distribution rules need. The
 * annotation counts as a manual one of an unknown annotator at an unknown
 * time (check_add_ann says who and when). */
int check_add_doc(struct check_state *cs, const struct item *it, int64_t annotation_id,
		  const struct ann_doc *d, const struct schema *sc);
/* An annotation that does not validate against its own schema version:
 * errors is ann_doc_validate_all's output, one "$.path: message" a line;
 * each line becomes a required_attribute, unknown_label or invalid
 * finding. */
int check_add_invalid(struct check_state *cs, const struct item *it, int64_t annotation_id,
		      const char *errors);
/* Closes the last item and runs class_shift, box_outlier, leakage,
 * annotator_bias and drift over everything fed. */
int check_finish(struct check_state *cs, struct buf *err);

/* Streams the project's items and current annotations through the store
 * (a page of items at a time, read with store_item_list and
 * store_ann_docs: two queries a page) and runs every selected rule. */
int check_project(struct store *st, int64_t project_id, const struct check_opts *o,
		  check_cb cb, void *ctx, struct buf *err);

/* Appends one finding as the JSON object the API lists: rule, severity,
 * item_id, annotation_id, object, group, link (the editor's address, or
 * null for group findings) and message. */
void check_finding_json(struct buf *out, int64_t project_id, const struct check_finding *f);

/* Parses a comma-separated list of rule names into bits (1u << rule);
 * CAIRN_EINVAL naming the unknown rule. */
int check_rules_parse(const char *list, uint32_t *out, struct buf *err);

/* Regularised upper incomplete gamma Q(a, x): the chi-square survival
 * function is Q(df / 2, chi2 / 2). Exposed for tests. */
double check_gamma_q(double a, double x);

/* Two-sided sign test: the probability of k or fewer of n fair coin
 * tosses on the rarer side, doubled (at most 1). Exposed for tests. */
double check_sign_test(uint64_t k, uint64_t n);

#endif
