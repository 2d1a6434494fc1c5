/*
 * check.c - the automated quality checks (check.h). Per-object rules look at
 * one object; duplicates are found by a sweep over one annotation's objects
 * sorted by x; the rules about annotators compare the annotations of one
 * item with each other when the item closes (one-to-one matching, match.c);
 * the distribution rules keep a few numbers per object, per item and per
 * matched pair and decide at the end (medians, chi-square, sign tests, a
 * near-duplicate hash index), so no rule compares all pairs of the dataset.
 */
#include "quality/check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/annotation.h"
#include "core/model.h"
#include "core/schema.h"
#include "geom/geom.h"
#include "media/ingest.h"
#include "quality/match.h"
#include "store/store.h"
#include "base/banned.h"

const struct check_rule check_rules[CHECK_RULE_COUNT_] = {
	[CHECK_OUT_OF_BOUNDS] = {"out_of_bounds", CHECK_WARNING,
				 "a shape reaches past the image"},
	[CHECK_DEGENERATE] = {"degenerate_shape", CHECK_ERROR,
			      "zero width, height or area, an empty mask, or a self-intersecting polygon"},
	[CHECK_TOO_SMALL] = {"too_small", CHECK_WARNING,
			     "a region narrower or lower than --min-size pixels"},
	[CHECK_DUPLICATE] = {"duplicate", CHECK_WARNING,
			     "two objects of one annotation with the same label and IoU above --dup-iou"},
	[CHECK_REQUIRED_ATTR] = {"required_attribute", CHECK_ERROR,
				 "a required attribute without a value"},
	[CHECK_UNKNOWN_LABEL] = {"unknown_label", CHECK_ERROR,
				 "a label that the annotation's schema version does not have"},
	[CHECK_INVALID] = {"invalid_annotation", CHECK_ERROR,
			   "an annotation that does not validate against its schema version"},
	[CHECK_CLASS_SHIFT] = {"class_shift", CHECK_WARNING,
			       "a split's or batch's class mix differs from the project's, or a batch's from the earlier batches' (chi-square)"},
	[CHECK_BOX_OUTLIER] = {"box_outlier", CHECK_INFO,
			       "a box whose area or aspect ratio is far from its class's (robust z-score)"},
	[CHECK_LEAKAGE] = {"leakage", CHECK_ERROR,
			   "near-duplicate images in different splits (train, val, test)"},
	[CHECK_UNLABELLED] = {"unlabelled_in_finished_batch", CHECK_ERROR,
			      "an item of a batch in review or done without a manual annotation that has an object"},
	[CHECK_ANNOTATOR_BIAS] = {"annotator_bias", CHECK_WARNING,
				  "an annotator's boxes larger or smaller than the consensus's or other annotators' matching boxes (sign test)"},
	[CHECK_DRIFT] = {"drift", CHECK_WARNING,
			 "a time window whose class mix differs from earlier windows (chi-square) or whose agreement between annotators dropped"},
};

int check_rule_find(const char *name)
{
	for (int i = 0; i < CHECK_RULE_COUNT_; i++)
		if (!strcmp(check_rules[i].name, name))
			return i;
	return -1;
}

const char *check_severity_name(enum check_severity s)
{
	return s == CHECK_ERROR ? "error" : s == CHECK_WARNING ? "warning" : "info";
}

void check_opts_default(struct check_opts *o)
{
	*o = (struct check_opts){
		.rules = 0,
		.min_size = 3,
		.dup_iou = 0.9,
		.z_max = 3.5,
		.z_min_count = 20,
		.p_max = 0.001,
		.shift_min = 30,
		.near_threshold = 4,
		.with_predictions = false,
		.match_iou = 0.5,
		.bias_ratio = 1.1,
		.bias_min = 20,
		.window_ms = 86400000,
		.drift_drop = 0.1,
	};
}

/* One box kept for the box_outlier rule. */
struct boxrec {
	uint32_t label;   /* index into cs->labels */
	uint32_t uid;     /* offset into cs->uids */
	int64_t item_id, ann_id;
	double log_area, log_aspect;
};

enum group_kind { G_SPLIT, G_BATCH, G_WINDOW };

/* Object counts of one split, batch or time window, per label, with each
 * item counting once: its annotations' objects are weighted 1 / their
 * number (1 / its manual annotations for windows). A window also sums the
 * agreement of the annotator pairs whose later annotation falls in it. */
struct group {
	char name[48];
	enum group_kind kind;
	int64_t key;      /* batch id, window index */
	double *wcounts;  /* nlabels_cap entries */
	double wtotal;
	/* Windows: matched objects x 2 and objects of both sides, summed
	 * over annotator pairs weighted 1 / (k - 1), so that each object of
	 * an item with k annotators counts once. */
	double agr_match, agr_n;
};

struct batchrec {
	int64_t id;
	char name[64];
	bool finished;    /* stage review or done */
};

/* A region object of the open item, for matching annotators. */
struct curobj {
	uint32_t label;
	bool box;
	uint32_t serial;  /* boxes: a number of their own, for annotator_bias */
	double x0, y0, x1, y1;
};

/* A label of an object of the open item, for the class mix of a group;
 * manual: weighted by the item's manual annotations (windows). */
struct curlab {
	uint32_t group, label;
	bool manual;
};

/* An annotation of the open item: its objects are curobjs[first, first + n). */
struct curann {
	int64_t user, t;
	int kind;
	size_t first, n;
};

/* One matched pair of boxes of two annotators (b: BIAS_CONSENSUS for the
 * consensus): d = log(area a / area b); sa, sb: the boxes' serials. */
struct biaspair {
	uint32_t a, b, sa, sb;
	double d;
};
#define BIAS_CONSENSUS UINT32_MAX

struct itemrec {
	int64_t id;
	uint64_t phash;
	int split;        /* 0 train, 1 val, 2 test */
};

struct check_state {
	struct check_opts o;
	check_cb cb;
	void *ctx;
	int stopped;
	char **labels;
	size_t nlabels, caplabels;
	struct group *groups;
	size_t ngroups, capgroups;
	struct boxrec *boxes;
	size_t nboxes, capboxes;
	struct buf uids;
	struct itemrec *items;
	size_t nitems, capitems;
	struct batchrec *batches;
	size_t nbatches, capbatches;
	bool batches_sorted;
	/* The open item. */
	bool open;
	int64_t cur_id, cur_batch;
	bool cur_labelled;
	struct curann *anns;
	size_t nanns, capanns;
	struct curobj *objs;
	size_t nobjs, capobjs;
	struct curlab *labs;
	size_t nlabs, caplabs;
	size_t cur_nmanual, cur_nall;
	uint32_t nserial;
	double *w;
	size_t capw;
	long *r2c;
	size_t capr2c;
	/* Annotators (user ids) and their matched boxes. */
	int64_t *users;
	size_t nusers, capusers;
	uint32_t *uslot;           /* hash of user ids: index + 1, 0 empty */
	size_t nslots;             /* a power of two, > 2 x nusers */
	struct biaspair *pairs;
	size_t npairs, cappairs;
	size_t last_window;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		abort();
	*cap = n;
	return p;
}

static bool on(const struct check_state *cs, enum check_rule_id r)
{
	return !cs->o.rules || (cs->o.rules & (1u << r));
}

struct check_state *check_state_new(const struct check_opts *o, check_cb cb, void *ctx)
{
	struct check_state *cs = calloc(1, sizeof(*cs));
	if (!cs)
		abort();
	if (o)
		cs->o = *o;
	else
		check_opts_default(&cs->o);
	/* Options added after the first release: 0 (a caller that does not
	 * know them) means the default. */
	struct check_opts def;
	check_opts_default(&def);
	if (!(cs->o.match_iou > 0) || cs->o.match_iou > 1)
		cs->o.match_iou = def.match_iou;
	if (!(cs->o.bias_ratio >= 1))
		cs->o.bias_ratio = def.bias_ratio;
	if (!cs->o.bias_min)
		cs->o.bias_min = def.bias_min;
	if (cs->o.window_ms <= 0)
		cs->o.window_ms = def.window_ms;
	if (!(cs->o.drift_drop >= 0))
		cs->o.drift_drop = def.drift_drop;
	cs->cb = cb;
	cs->ctx = ctx;
	buf_init(&cs->uids, 0);
	return cs;
}

void check_state_free(struct check_state *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->nlabels; i++)
		free(cs->labels[i]);
	for (size_t i = 0; i < cs->ngroups; i++)
		free(cs->groups[i].wcounts);
	free(cs->labels);
	free(cs->groups);
	free(cs->boxes);
	free(cs->items);
	free(cs->batches);
	free(cs->anns);
	free(cs->objs);
	free(cs->labs);
	free(cs->w);
	free(cs->r2c);
	free(cs->users);
	free(cs->uslot);
	free(cs->pairs);
	buf_release(&cs->uids);
	free(cs);
}

static int vemit(struct check_state *cs, enum check_rule_id r, int64_t item, int64_t ann,
		 const char *uid, const char *group, int64_t user, const char *fmt, va_list ap)
{
	if (cs->stopped || !on(cs, r))
		return cs->stopped;
	struct buf m = BUF_INIT;
	buf_vaddf(&m, fmt, ap);
	struct check_finding f = {r, item, ann, uid ? uid : "", group ? group : "", m.data, user};
	int rc = cs->cb ? cs->cb(cs->ctx, &f) : 0;
	buf_release(&m);
	if (rc)
		cs->stopped = rc;
	return rc;
}

static int emit(struct check_state *cs, enum check_rule_id r, int64_t item, int64_t ann,
		const char *uid, const char *group, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int emit(struct check_state *cs, enum check_rule_id r, int64_t item, int64_t ann,
		const char *uid, const char *group, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vemit(cs, r, item, ann, uid, group, 0, fmt, ap);
	va_end(ap);
	return rc;
}

static int emit_user(struct check_state *cs, enum check_rule_id r, int64_t user,
		     const char *group, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int emit_user(struct check_state *cs, enum check_rule_id r, int64_t user,
		     const char *group, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vemit(cs, r, 0, 0, NULL, group, user, fmt, ap);
	va_end(ap);
	return rc;
}

static int split_index(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "train"))
		return 0;
	if (!strcmp(s, "val"))
		return 1;
	if (!strcmp(s, "test"))
		return 2;
	return -1;
}

static void item_close(struct check_state *cs);

int check_add_batch(struct check_state *cs, int64_t id, const char *name, const char *stage)
{
	cs->batches = grow(cs->batches, &cs->capbatches, cs->nbatches + 1, sizeof(*cs->batches));
	struct batchrec *b = &cs->batches[cs->nbatches++];
	b->id = id;
	snprintf(b->name, sizeof(b->name), "%s", name ? name : "");
	b->finished = stage && (!strcmp(stage, "review") || !strcmp(stage, "done"));
	cs->batches_sorted = false;
	return cs->stopped;
}

int check_add_item(struct check_state *cs, const struct item *it)
{
	item_close(cs);
	if (cs->stopped)
		return cs->stopped;
	cs->open = true;
	cs->cur_id = it->id;
	cs->cur_batch = it->batch_id;
	cs->cur_labelled = false;
	cs->nanns = cs->nobjs = cs->nlabs = cs->cur_nmanual = cs->cur_nall = 0;
	int sp = split_index(it->split);
	if (it->has_phash && sp >= 0 && on(cs, CHECK_LEAKAGE)) {
		cs->items = grow(cs->items, &cs->capitems, cs->nitems + 1, sizeof(*cs->items));
		cs->items[cs->nitems++] = (struct itemrec){it->id, it->phash, sp};
	}
	return cs->stopped;
}

/* Index of the label named name, added when new (labels are compared by
 * name, so several schema versions share counts). */
static uint32_t label_index(struct check_state *cs, const char *name)
{
	for (size_t i = 0; i < cs->nlabels; i++)
		if (!strcmp(cs->labels[i], name))
			return (uint32_t)i;
	size_t old = cs->caplabels;
	cs->labels = grow(cs->labels, &cs->caplabels, cs->nlabels + 1, sizeof(char *));
	if (cs->caplabels != old)
		for (size_t g = 0; g < cs->ngroups; g++) {
			cs->groups[g].wcounts = realloc(cs->groups[g].wcounts,
							cs->caplabels * sizeof(double));
			if (!cs->groups[g].wcounts)
				abort();
			for (size_t l = old; l < cs->caplabels; l++)
				cs->groups[g].wcounts[l] = 0;
		}
	cs->labels[cs->nlabels] = strdup(name);
	if (!cs->labels[cs->nlabels])
		abort();
	return (uint32_t)cs->nlabels++;
}

static struct group *group_get(struct check_state *cs, enum group_kind kind, int64_t key,
			       const char *name)
{
	for (size_t i = 0; i < cs->ngroups; i++)
		if (cs->groups[i].kind == kind && cs->groups[i].key == key &&
		    !strcmp(cs->groups[i].name, name))
			return &cs->groups[i];
	cs->groups = grow(cs->groups, &cs->capgroups, cs->ngroups + 1, sizeof(*cs->groups));
	struct group *g = &cs->groups[cs->ngroups++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->key = key;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->wcounts = calloc(cs->caplabels ? cs->caplabels : 1, sizeof(double));
	if (!g->wcounts)
		abort();
	return g;
}

static bool is_region(enum shape_kind t)
{
	return t == SHAPE_BOX || t == SHAPE_ROTATED_BOX || t == SHAPE_POLYGON || t == SHAPE_MASK ||
	       t == SHAPE_ELLIPSE || t == SHAPE_CUBOID;
}

static bool is_spatial(enum shape_kind t)
{
	return is_region(t) || t == SHAPE_POLYLINE || t == SHAPE_POINTS || t == SHAPE_KEYPOINTS;
}

/* The geom/ view of a region object (borrows o); false when it has none. */
static bool obj_shape(const struct ann_object *o, struct shape *s)
{
	memset(s, 0, sizeof(*s));
	switch (o->type) {
	case SHAPE_BOX:
		s->kind = GEOM_BOX;
		s->u.box = (box){o->pts[0], o->pts[1], o->pts[2] - o->pts[0], o->pts[3] - o->pts[1]};
		return true;
	case SHAPE_ROTATED_BOX:
		s->kind = GEOM_RBOX;
		s->u.rbox = (rbox){o->pts[0], o->pts[1], o->pts[2], o->pts[3], o->pts[4]};
		return true;
	case SHAPE_ELLIPSE:
		s->kind = GEOM_ELLIPSE;
		s->u.rbox = (rbox){o->pts[0], o->pts[1], 2 * o->pts[2], 2 * o->pts[3], o->pts[4]};
		return true;
	case SHAPE_POLYGON:
		s->kind = GEOM_POLYGON;
		s->xy = o->pts;
		s->n = o->npts / 2;
		s->rings = o->rings;
		s->nrings = o->nrings;
		return true;
	case SHAPE_MASK:
		s->kind = GEOM_MASK;
		s->mask = &o->mask;
		return true;
	default:
		return false;
	}
}

/* Returns a reason when o has no extent, else NULL; msg holds it. */
static const char *degenerate(const struct ann_object *o, struct buf *msg)
{
	double w = o->x1 - o->x0, h = o->y1 - o->y0;
	buf_reset(msg);
	switch (o->type) {
	case SHAPE_BOX:
		if (!(w > 0) || !(h > 0))
			buf_addf(msg, "box [%g, %g, %g, %g] has zero width or height", o->pts[0],
				 o->pts[1], o->pts[2], o->pts[3]);
		break;
	case SHAPE_ROTATED_BOX:
	case SHAPE_ELLIPSE:
		if (!(o->pts[2] > 0) || !(o->pts[3] > 0))
			buf_addf(msg, "%s with zero size", shape_kind_name(o->type));
		break;
	case SHAPE_POLYGON: {
		struct buf why = BUF_INIT;
		if (polygon_validate(o->pts, o->npts / 2, o->rings, o->nrings, &why))
			buf_addf(msg, "%s", why.len ? why.data : "polygon: invalid");
		buf_release(&why);
		break;
	}
	case SHAPE_MASK:
		if (!rle_area(&o->mask))
			buf_adds(msg, "empty mask");
		break;
	case SHAPE_SPAN:
	case SHAPE_SEGMENT:
		if (!(o->pts[1] > o->pts[0]))
			buf_addf(msg, "%s [%g, %g) is empty", shape_kind_name(o->type), o->pts[0],
				 o->pts[1]);
		break;
	default:
		break;
	}
	return msg->len ? msg->data : NULL;
}

struct xent {
	double x0, x1;
	size_t i;
};

static int cmp_xent(const void *a, const void *b)
{
	double x = ((const struct xent *)a)->x0, y = ((const struct xent *)b)->x0;
	return x < y ? -1 : x > y;
}

/* Pairs of one annotation with the same label and IoU above dup_iou, by a
 * sweep in x: only objects whose x ranges overlap are compared. */
static int duplicates(struct check_state *cs, const struct item *it, int64_t ann,
		      const struct ann_doc *d, const struct schema *sc, const bool *bad)
{
	struct xent *xs = calloc(d->nobjects ? d->nobjects : 1, sizeof(*xs));
	if (!xs)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < d->nobjects; i++)
		if (is_region(d->objects[i].type) && d->objects[i].type != SHAPE_CUBOID && !bad[i])
			xs[n++] = (struct xent){d->objects[i].x0, d->objects[i].x1, i};
	qsort(xs, n, sizeof(*xs), cmp_xent);
	uint32_t h = it->height > 0 ? (uint32_t)it->height : 0;
	uint32_t w = it->width > 0 ? (uint32_t)it->width : 0;
	for (size_t a = 0; a < n && !cs->stopped; a++) {
		const struct ann_object *oa = &d->objects[xs[a].i];
		for (size_t b = a + 1; b < n && xs[b].x0 < xs[a].x1; b++) {
			const struct ann_object *ob = &d->objects[xs[b].i];
			if (oa->label != ob->label || ob->y0 >= oa->y1 || oa->y0 >= ob->y1)
				continue;
			struct shape sa, sb;
			double iou = 0;
			obj_shape(oa, &sa);
			obj_shape(ob, &sb);
			if (shape_iou(&sa, &sb, 0, h, w, &iou, NULL))
				continue;
			if (iou > cs->o.dup_iou) {
				const struct ann_object *first = xs[a].i < xs[b].i ? oa : ob;
				const struct ann_object *second = first == oa ? ob : oa;
				emit(cs, CHECK_DUPLICATE, it->id, ann, second->uid, NULL,
				     "%s duplicates %s (label %s, IoU %.3f)", second->uid, first->uid,
				     sc->labels[oa->label].name, iou);
			}
		}
	}
	free(xs);
	return cs->stopped;
}

/* The group of the time window holding t (ms), made when new. */
static size_t window_group(struct check_state *cs, int64_t t)
{
	int64_t key = t / cs->o.window_ms - (t % cs->o.window_ms < 0);
	if (cs->last_window < cs->ngroups && cs->groups[cs->last_window].kind == G_WINDOW &&
	    cs->groups[cs->last_window].key == key)
		return cs->last_window;
	for (size_t i = 0; i < cs->ngroups; i++)
		if (cs->groups[i].kind == G_WINDOW && cs->groups[i].key == key)
			return cs->last_window = i;
	/* Named by its start, UTC: a date when windows are whole days. */
	char name[48];
	int64_t ms = key * cs->o.window_ms;
	time_t start = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;
	if (!gmtime_r(&start, &tm))
		memset(&tm, 0, sizeof(tm));
	if (cs->o.window_ms % 86400000 == 0)
		strftime(name, sizeof(name), "window %Y-%m-%d", &tm);
	else
		strftime(name, sizeof(name), "window %Y-%m-%dT%H:%M:%SZ", &tm);
	group_get(cs, G_WINDOW, key, name);
	return cs->last_window = cs->ngroups - 1;
}

/* Counts an object of label li in group g: weighted when the open item
 * closes, or at once (weight 1) for an annotation fed without its item. */
static void count_label(struct check_state *cs, size_t g, uint32_t li, bool manual, bool here)
{
	if (here) {
		cs->labs = grow(cs->labs, &cs->caplabs, cs->nlabs + 1, sizeof(*cs->labs));
		cs->labs[cs->nlabs++] = (struct curlab){(uint32_t)g, li, manual};
	} else {
		cs->groups[g].wcounts[li] += 1;
		cs->groups[g].wtotal += 1;
	}
}

int check_add_doc(struct check_state *cs, const struct item *it, int64_t ann,
		  const struct ann_doc *d, const struct schema *sc)
{
	struct check_ann a = {ann, ANN_MANUAL, 0, 0};
	return check_add_ann(cs, it, &a, d, sc);
}

int check_add_ann(struct check_state *cs, const struct item *it, const struct check_ann *a,
		  const struct ann_doc *d, const struct schema *sc)
{
	int64_t ann = a->id;
	struct buf msg = BUF_INIT;
	bool *bad = calloc(d->nobjects ? d->nobjects : 1, sizeof(bool));
	if (!bad)
		abort();
	char split_group[48], batch_group[48];
	snprintf(split_group, sizeof(split_group), "split %s", it->split ? it->split : "none");
	snprintf(batch_group, sizeof(batch_group), "batch %lld", (long long)it->batch_id);
	/* Looked up once per document, not per object. */
	size_t gs = 0, gb = 0, gw = SIZE_MAX;
	if (on(cs, CHECK_CLASS_SHIFT)) {
		gs = (size_t)(group_get(cs, G_SPLIT, 0, split_group) - cs->groups);
		if (it->batch_id)
			gb = (size_t)(group_get(cs, G_BATCH, it->batch_id, batch_group) - cs->groups);
	}
	bool manual = a->kind == ANN_MANUAL;
	/* The annotators' class mix over time: manual annotations that say
	 * when they were saved. */
	if (on(cs, CHECK_DRIFT) && manual && a->updated_at > 0 && cs->o.window_ms > 0)
		gw = window_group(cs, a->updated_at);
	bool here = cs->open && cs->cur_id == it->id;
	if (manual && d->nobjects)
		cs->cur_labelled = true;
	if (manual && here)
		cs->cur_nmanual++;
	if (here)
		cs->cur_nall++;
	/* What matching annotators needs (the item must be the open one). */
	bool keep = (on(cs, CHECK_ANNOTATOR_BIAS) || on(cs, CHECK_DRIFT)) && here &&
		    ((manual && a->user_id > 0) || a->kind == ANN_CONSENSUS);
	if (keep) {
		cs->anns = grow(cs->anns, &cs->capanns, cs->nanns + 1, sizeof(*cs->anns));
		cs->anns[cs->nanns++] = (struct curann){a->user_id, a->updated_at, a->kind, cs->nobjs, 0};
	}
	uint32_t *lmap = malloc((sc->nlabels ? sc->nlabels : 1) * sizeof(uint32_t));
	if (!lmap)
		abort();
	for (size_t l = 0; l < sc->nlabels; l++)
		lmap[l] = UINT32_MAX;
	for (size_t i = 0; i < d->nobjects && !cs->stopped; i++) {
		const struct ann_object *o = &d->objects[i];
		const char *why = degenerate(o, &msg);
		if (why) {
			bad[i] = true;
			emit(cs, CHECK_DEGENERATE, it->id, ann, o->uid, NULL, "%s", why);
		}
		double w = o->x1 - o->x0, h = o->y1 - o->y0;
		if (is_spatial(o->type) && it->width > 0 && it->height > 0 &&
		    (o->x0 < 0 || o->y0 < 0 || o->x1 > it->width || o->y1 > it->height))
			emit(cs, CHECK_OUT_OF_BOUNDS, it->id, ann, o->uid, NULL,
			     "%s [%g, %g, %g, %g] reaches past the %dx%d image",
			     shape_kind_name(o->type), o->x0, o->y0, o->x1, o->y1, it->width,
			     it->height);
		if (!why && is_region(o->type) && (w < cs->o.min_size || h < cs->o.min_size))
			emit(cs, CHECK_TOO_SMALL, it->id, ann, o->uid, NULL,
			     "%s is %gx%g px, below %g", shape_kind_name(o->type), w, h,
			     cs->o.min_size);
		/* What the distribution rules need. */
		if (lmap[o->label] == UINT32_MAX)
			lmap[o->label] = label_index(cs, sc->labels[o->label].name);
		uint32_t li = lmap[o->label];
		if (on(cs, CHECK_CLASS_SHIFT)) {
			count_label(cs, gs, li, false, here);
			if (it->batch_id)
				count_label(cs, gb, li, false, here);
		}
		if (gw != SIZE_MAX)
			count_label(cs, gw, li, true, here);
		if (keep && !why && is_region(o->type) && o->type != SHAPE_CUBOID &&
		    o->x1 > o->x0 && o->y1 > o->y0) {
			cs->objs = grow(cs->objs, &cs->capobjs, cs->nobjs + 1, sizeof(*cs->objs));
			bool isbox = o->type == SHAPE_BOX;
			cs->objs[cs->nobjs++] = (struct curobj){li, isbox, isbox ? cs->nserial++ : 0,
								o->x0, o->y0, o->x1, o->y1};
			cs->anns[cs->nanns - 1].n++;
		}
		if (on(cs, CHECK_BOX_OUTLIER) && o->type == SHAPE_BOX && !why) {
			cs->boxes = grow(cs->boxes, &cs->capboxes, cs->nboxes + 1, sizeof(*cs->boxes));
			cs->boxes[cs->nboxes++] = (struct boxrec){
				li, (uint32_t)cs->uids.len, it->id, ann, log(w * h), log(w / h)};
			buf_add(&cs->uids, o->uid, strlen(o->uid) + 1);
		}
	}
	if (!cs->stopped && on(cs, CHECK_DUPLICATE))
		duplicates(cs, it, ann, d, sc, bad);
	free(lmap);
	free(bad);
	buf_release(&msg);
	return cs->stopped;
}

int check_add_invalid(struct check_state *cs, const struct item *it, int64_t ann,
		      const char *errors)
{
	/* Not unlabelled: the rules below say what is wrong with it. */
	if (cs->open && cs->cur_id == it->id)
		cs->cur_labelled = true;
	const char *p = errors;
	while (p && *p && !cs->stopped) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		/* "$.objects[3].label: ..." names the object by index; the
		 * uid is not known for a document that does not parse. */
		enum check_rule_id r = CHECK_INVALID;
		if (strstr(line, "missing required attribute"))
			r = CHECK_REQUIRED_ATTR;
		else if (strstr(line, ".label:") && strstr(line, "is not a label"))
			r = CHECK_UNKNOWN_LABEL;
		char uid[32] = "";
		const char *o = strstr(line, "$.objects[");
		if (o) {
			long idx = strtol(o + 10, NULL, 10);
			snprintf(uid, sizeof(uid), "objects[%ld]", idx);
		}
		if (len)
			emit(cs, r, it->id, ann, uid, NULL, "%s", line);
		p = nl ? nl + 1 : NULL;
	}
	return cs->stopped;
}

/* ---- comparing one item's annotators ------------------------------------- */

static int cmp_batch(const void *a, const void *b)
{
	int64_t x = ((const struct batchrec *)a)->id, y = ((const struct batchrec *)b)->id;
	return x < y ? -1 : x > y;
}

static const struct batchrec *batch_find(struct check_state *cs, int64_t id)
{
	if (!cs->batches_sorted) {
		qsort(cs->batches, cs->nbatches, sizeof(*cs->batches), cmp_batch);
		cs->batches_sorted = true;
	}
	struct batchrec key = {.id = id};
	return bsearch(&key, cs->batches, cs->nbatches, sizeof(key), cmp_batch);
}

/* Index of an annotator, added when new. */
static size_t user_hash(int64_t user, size_t nslots)
{
	return (size_t)(((uint64_t)user * 0x9E3779B97F4A7C15ull) >> 32) & (nslots - 1);
}

static uint32_t user_index(struct check_state *cs, int64_t user)
{
	if (cs->nslots) {
		for (size_t h = user_hash(user, cs->nslots);; h = (h + 1) & (cs->nslots - 1)) {
			uint32_t k = cs->uslot[h];
			if (!k)
				break;
			if (cs->users[k - 1] == user)
				return k - 1;
		}
	}
	cs->users = grow(cs->users, &cs->capusers, cs->nusers + 1, sizeof(*cs->users));
	cs->users[cs->nusers++] = user;
	if (2 * cs->nusers >= cs->nslots) {
		/* Rehash everyone into twice the slots. */
		free(cs->uslot);
		cs->nslots = cs->nslots ? cs->nslots * 2 : 64;
		cs->uslot = calloc(cs->nslots, sizeof(*cs->uslot));
		if (!cs->uslot)
			abort();
		for (size_t u = 0; u < cs->nusers; u++) {
			size_t h = user_hash(cs->users[u], cs->nslots);
			while (cs->uslot[h])
				h = (h + 1) & (cs->nslots - 1);
			cs->uslot[h] = (uint32_t)u + 1;
		}
	} else {
		size_t h = user_hash(user, cs->nslots);
		while (cs->uslot[h])
			h = (h + 1) & (cs->nslots - 1);
		cs->uslot[h] = (uint32_t)cs->nusers;
	}
	return (uint32_t)cs->nusers - 1;
}

static double ext_iou(const struct curobj *a, const struct curobj *b)
{
	double iw = fmin(a->x1, b->x1) - fmax(a->x0, b->x0);
	double ih = fmin(a->y1, b->y1) - fmax(a->y0, b->y0);
	if (!(iw > 0) || !(ih > 0))
		return 0;
	double i = iw * ih;
	double u = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - i;
	return u > 0 ? i / u : 0;
}

/* Past this many cells the IoU matrix of two annotations is not built:
 * such a pair (over 2,000 objects each) is left out of the matching. */
#define MATCH_MAX_CELLS ((size_t)1 << 22)

/* Matches annotation ia's region objects with ib's one to one (same label,
 * box IoU at least match_iou, maximum total IoU: match_assign) and returns
 * the number of pairs (SIZE_MAX: too many objects to match); with bias,
 * records log(area a / area b) of each matched pair of boxes (ib the
 * consensus when cons). */
static size_t match_anns(struct check_state *cs, size_t ia, size_t ib, bool bias, bool cons)
{
	const struct curann *A = &cs->anns[ia], *B = &cs->anns[ib];
	size_t na = A->n, nb = B->n;
	if (!na || !nb)
		return 0;
	if (na > MATCH_MAX_CELLS / nb)
		return SIZE_MAX;
	cs->w = grow(cs->w, &cs->capw, na * nb, sizeof(double));
	cs->r2c = grow(cs->r2c, &cs->capr2c, na, sizeof(long));
	const struct curobj *oa = cs->objs + A->first, *ob = cs->objs + B->first;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			cs->w[i * nb + j] = oa[i].label == ob[j].label ? ext_iou(&oa[i], &ob[j]) : 0;
	match_assign(cs->w, na, nb, cs->o.match_iou, cs->r2c);
	size_t m = 0;
	uint32_t ua = bias ? user_index(cs, A->user) : 0;
	uint32_t ub = bias && !cons ? user_index(cs, B->user) : BIAS_CONSENSUS;
	for (size_t i = 0; i < na; i++) {
		long j = cs->r2c[i];
		if (j < 0)
			continue;
		m++;
		if (!bias || !oa[i].box || !ob[j].box)
			continue;
		double aa = (oa[i].x1 - oa[i].x0) * (oa[i].y1 - oa[i].y0);
		double ab = (ob[j].x1 - ob[j].x0) * (ob[j].y1 - ob[j].y0);
		cs->pairs = grow(cs->pairs, &cs->cappairs, cs->npairs + 1, sizeof(*cs->pairs));
		cs->pairs[cs->npairs++] =
			(struct biaspair){ua, ub, oa[i].serial, ob[j].serial, log(aa / ab)};
	}
	return m;
}

/* The open item is complete: unlabelled_in_finished_batch, and the pairs
 * of annotators for annotator_bias and drift's agreement. */
static void item_close(struct check_state *cs)
{
	if (!cs->open)
		return;
	cs->open = false;
	if (cs->cur_batch && !cs->cur_labelled && on(cs, CHECK_UNLABELLED)) {
		const struct batchrec *b = batch_find(cs, cs->cur_batch);
		if (b && b->finished)
			emit(cs, CHECK_UNLABELLED, cs->cur_id, 0, NULL, NULL,
			     "item %lld of finished batch '%s' has no manual annotation with an object",
			     (long long)cs->cur_id, b->name);
	}
	size_t cons = SIZE_MAX;
	for (size_t k = 0; k < cs->nanns && cons == SIZE_MAX; k++)
		if (cs->anns[k].kind == ANN_CONSENSUS)
			cons = k;
	bool bias = on(cs, CHECK_ANNOTATOR_BIAS), drift = on(cs, CHECK_DRIFT);
	/* Each item counts once in its groups' class mix, however many
	 * annotations (windows: annotators) it had. */
	for (size_t k = 0; k < cs->nlabs; k++) {
		struct group *g = &cs->groups[cs->labs[k].group];
		double wt = 1.0 / (double)(cs->labs[k].manual ? cs->cur_nmanual : cs->cur_nall);
		g->wcounts[cs->labs[k].label] += wt;
		g->wtotal += wt;
	}
	size_t kk = 0;
	for (size_t k = 0; k < cs->nanns; k++)
		kk += cs->anns[k].kind == ANN_MANUAL;
	for (size_t i = 0; i < cs->nanns && !cs->stopped; i++) {
		const struct curann *A = &cs->anns[i];
		if (A->kind != ANN_MANUAL)
			continue;
		/* Against the consensus when the item has one. */
		if (bias && cons != SIZE_MAX)
			match_anns(cs, i, cons, true, true);
		for (size_t j = i + 1; j < cs->nanns; j++) {
			const struct curann *B = &cs->anns[j];
			if (B->kind != ANN_MANUAL || B->user == A->user)
				continue;
			bool pw = drift && A->t > 0 && B->t > 0 && cs->o.window_ms > 0;
			if (!pw && !(bias && cons == SIZE_MAX))
				continue;
			size_t m = match_anns(cs, i, j, bias && cons == SIZE_MAX, false);
			if (pw && m != SIZE_MAX) {
				/* The pair counts where its later annotation was saved. */
				struct group *g = &cs->groups[window_group(cs, A->t > B->t ? A->t : B->t)];
				g->agr_match += 2.0 * (double)m / (double)(kk - 1);
				g->agr_n += (double)(cs->anns[i].n + cs->anns[j].n) / (double)(kk - 1);
			}
		}
	}
	cs->nanns = cs->nobjs = cs->nlabs = cs->cur_nmanual = cs->cur_nall = 0;
}

/* ---- distribution rules -------------------------------------------------- */

double check_gamma_q(double a, double x)
{
	if (!(x > 0))
		return 1;
	if (!(a > 0))
		return 0;
	double lg = lgamma(a);
	if (x < a + 1) {
		/* Series for P(a, x). */
		double sum = 1 / a, term = sum, ap = a;
		for (int n = 0; n < 1000; n++) {
			ap += 1;
			term *= x / ap;
			sum += term;
			if (fabs(term) < fabs(sum) * 1e-16)
				break;
		}
		double p = sum * exp(-x + a * log(x) - lg);
		return p >= 1 ? 0 : 1 - p;
	}
	/* Continued fraction for Q(a, x) (modified Lentz). */
	double tiny = 1e-300, b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
	for (int i = 1; i < 1000; i++) {
		double an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < tiny)
			d = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return exp(-x + a * log(x) - lg) * h;
}

/* Chi-square test of homogeneity of two count vectors over L labels (a 2 x
 * L table; labels neither has are left out): sets *chi2, *df (-1 when
 * there is nothing to test) and *worst, the label whose count in a is
 * furthest from what the pooled mix expects (*expect). */
static void homogeneity(const double *a, double na, const double *b, double nb, size_t L,
			double *chi2, int *df, size_t *worst, double *expect)
{
	double n = na + nb, big = -1;
	*chi2 = 0;
	*df = -1;
	*worst = 0;
	*expect = 0;
	for (size_t l = 0; l < L; l++) {
		double col = a[l] + b[l];
		if (!(col > 0))
			continue;
		(*df)++;
		double ea = na * col / n, eb = nb * col / n;
		double ta = (a[l] - ea) * (a[l] - ea) / ea;
		*chi2 += ta + (b[l] - eb) * (b[l] - eb) / eb;
		if (ta > big) {
			big = ta;
			*worst = l;
			*expect = ea;
		}
	}
}

static int cmp_group_key(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The groups of one kind in key order (owned; *n of them). */
static struct group **groups_of(struct check_state *cs, enum group_kind kind, size_t *n)
{
	struct group **v = calloc(cs->ngroups ? cs->ngroups : 1, sizeof(*v));
	if (!v)
		abort();
	*n = 0;
	for (size_t g = 0; g < cs->ngroups; g++)
		if (cs->groups[g].kind == kind)
			v[(*n)++] = &cs->groups[g];
	qsort(v, *n, sizeof(*v), cmp_group_key);
	return v;
}

/* Each group's class counts against the whole project's proportions, and
 * each batch's against the batches before it (by id). The "all"
 * distribution is the sum over the split groups (every object has exactly
 * one split group, "split none" included). */
static void class_shift(struct check_state *cs)
{
	size_t L = cs->nlabels;
	double *all = calloc(L ? L : 1, sizeof(double)), n = 0;
	if (!all)
		abort();
	for (size_t g = 0; g < cs->ngroups; g++)
		if (cs->groups[g].kind == G_SPLIT)
			for (size_t l = 0; l < L; l++) {
				all[l] += cs->groups[g].wcounts[l];
				n += cs->groups[g].wcounts[l];
			}
	size_t nsplits = 0;
	for (size_t g = 0; g < cs->ngroups; g++)
		nsplits += cs->groups[g].kind == G_SPLIT;
	double min = (double)cs->o.shift_min;
	for (size_t g = 0; g < cs->ngroups && n > 0 && !cs->stopped; g++) {
		struct group *gr = &cs->groups[g];
		/* One split only is the whole project: nothing to compare. */
		if (gr->kind == G_WINDOW || gr->wtotal < min || fabs(gr->wtotal - n) <= 1e-9 * n ||
		    (nsplits < 2 && gr->kind == G_SPLIT))
			continue;
		double chi2 = 0, worst = 0;
		int df = -1;
		size_t wl = 0;
		for (size_t l = 0; l < L; l++) {
			if (!(all[l] > 0))
				continue;
			df++;
			double e = gr->wtotal * all[l] / n;
			double t = (gr->wcounts[l] - e) * (gr->wcounts[l] - e) / e;
			chi2 += t;
			if (t > worst) {
				worst = t;
				wl = l;
			}
		}
		if (df < 1)
			continue;
		double p = check_gamma_q(df / 2.0, chi2 / 2);
		if (p < cs->o.p_max)
			emit(cs, CHECK_CLASS_SHIFT, 0, 0, NULL, gr->name,
			     "%s: class mix differs from the project's (chi-square %.1f, %d df, p = %.2g); "
			     "most off: %s, %g objects where %.1f were expected",
			     gr->name, chi2, df, p, cs->labels[wl], gr->wcounts[wl],
			     gr->wtotal * all[wl] / n);
	}
	/* Batches against the earlier batches together. */
	size_t nb;
	struct group **bs = groups_of(cs, G_BATCH, &nb);
	double *before = calloc(L ? L : 1, sizeof(double)), nbefore = 0;
	if (!before)
		abort();
	for (size_t k = 0; k < nb && !cs->stopped; k++) {
		struct group *gr = bs[k];
		if (gr->wtotal >= min && nbefore >= min) {
			double chi2, e;
			int df;
			size_t wl;
			homogeneity(gr->wcounts, gr->wtotal, before, nbefore, L, &chi2, &df, &wl, &e);
			double p = df >= 1 ? check_gamma_q(df / 2.0, chi2 / 2) : 1;
			if (p < cs->o.p_max) {
				char name[64];
				snprintf(name, sizeof(name), "%s vs earlier", gr->name);
				emit(cs, CHECK_CLASS_SHIFT, 0, 0, NULL, name,
				     "%s: class mix differs from that of the %zu batch%s before it "
				     "(chi-square %.1f, %d df, p = %.2g); most off: %s, %g objects where "
				     "%.1f were expected",
				     gr->name, k, k == 1 ? "" : "es", chi2, df, p, cs->labels[wl],
				     gr->wcounts[wl], e);
			}
		}
		for (size_t l = 0; l < L; l++)
			before[l] += gr->wcounts[l];
		nbefore += gr->wtotal;
	}
	free(before);
	free(bs);
	free(all);
}

double check_sign_test(uint64_t k, uint64_t n)
{
	if (!n)
		return 1;
	if (k > n - k)
		k = n - k;
	/* P(X <= k) for X ~ Binomial(n, 1/2), summed from the largest term
	 * down, in logs so that large n does not overflow. */
	double lf = lgamma((double)n + 1), l2 = (double)n * log(2.0), sum = 0;
	for (uint64_t i = k + 1; i-- > 0;) {
		double t = exp(lf - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - l2);
		sum += t;
		if (t < sum * 1e-17)
			break;
	}
	double p = 2 * sum;
	return p > 1 ? 1 : p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Robust z-scores of log area and log aspect per class: (x - median) over
 * a robust scale, so that a few wild boxes do not hide each other. */
static void box_outliers(struct check_state *cs)
{
	size_t L = cs->nlabels;
	size_t *cnt = calloc(L ? L : 1, sizeof(size_t));
	double *med = calloc(L ? 4 * L : 1, sizeof(double)); /* area med, mad, aspect med, mad */
	double *tmp = calloc(cs->nboxes ? cs->nboxes : 1, sizeof(double));
	if (!cnt || !med || !tmp)
		abort();
	for (size_t b = 0; b < cs->nboxes; b++)
		cnt[cs->boxes[b].label]++;
	for (size_t l = 0; l < L; l++) {
		if (cnt[l] < cs->o.z_min_count)
			continue;
		for (int which = 0; which < 2; which++) {
			size_t n = 0;
			for (size_t b = 0; b < cs->nboxes; b++)
				if (cs->boxes[b].label == l)
					tmp[n++] = which ? cs->boxes[b].log_aspect : cs->boxes[b].log_area;
			double m = median(tmp, n), mean_ad = 0;
			for (size_t i = 0; i < n; i++) {
				tmp[i] = fabs(tmp[i] - m);
				mean_ad += tmp[i];
			}
			double mad = median(tmp, n);
			med[4 * l + 2 * which] = m;
			/* The scale z divides by: MAD / 0.6745 (Iglewicz and
			 * Hoaglin), or 1.2533 times the mean absolute deviation
			 * when more than half the boxes are identical. */
			med[4 * l + 2 * which + 1] = mad > 0 ? mad / 0.6745 : 1.2533 * mean_ad / (double)n;
		}
	}
	for (size_t b = 0; b < cs->nboxes && !cs->stopped; b++) {
		const struct boxrec *r = &cs->boxes[b];
		if (cnt[r->label] < cs->o.z_min_count)
			continue;
		const double *m = med + 4 * r->label;
		double za = m[1] > 0 ? (r->log_area - m[0]) / m[1] : 0;
		double zr = m[3] > 0 ? (r->log_aspect - m[2]) / m[3] : 0;
		if (fabs(za) > cs->o.z_max || fabs(zr) > cs->o.z_max) {
			int area = fabs(za) >= fabs(zr);
			emit(cs, CHECK_BOX_OUTLIER, r->item_id, r->ann_id, cs->uids.data + r->uid, NULL,
			     "%s box: %s %s than the class's (robust z %.1f; area %.0f px, aspect %.2f)",
			     cs->labels[r->label], area ? "area" : "aspect ratio",
			     (area ? za : zr) > 0 ? (area ? "larger" : "wider") : (area ? "smaller" : "taller"),
			     area ? za : zr, exp(r->log_area), exp(r->log_aspect));
		}
	}
	free(cnt);
	free(med);
	free(tmp);
}

struct sval {
	uint32_t serial;
	double v;
};

static int cmp_sval(const void *a, const void *b)
{
	uint32_t x = ((const struct sval *)a)->serial, y = ((const struct sval *)b)->serial;
	return x < y ? -1 : x > y;
}

/* Each annotator's bias in log box area, from the matched pairs: the
 * additive model log area = object + annotator bias, solved by damped
 * Jacobi iterations (a pair says d = bias a - bias b; the consensus has
 * bias 0). Without a consensus the level is free and is set so that the
 * median annotator has bias 0. Then each annotator's boxes against the
 * others' after their bias: a sign test, and the median ratio. */
static void annotator_bias(struct check_state *cs)
{
	size_t A = cs->nusers;
	if (!A || !cs->npairs)
		return;
	double *bias = calloc(A, sizeof(double)), *sum = calloc(A, sizeof(double));
	size_t *cnt = calloc(A, sizeof(size_t)), *ncons = calloc(A, sizeof(size_t));
	size_t *off = calloc(A + 1, sizeof(size_t));
	double *tmp = calloc(A, sizeof(double));
	if (!bias || !sum || !cnt || !ncons || !off || !tmp)
		abort();
	bool anchored = false;
	for (size_t p = 0; p < cs->npairs; p++) {
		const struct biaspair *q = &cs->pairs[p];
		cnt[q->a]++;
		if (q->b == BIAS_CONSENSUS) {
			anchored = true;
			ncons[q->a]++;
		} else {
			cnt[q->b]++;
		}
	}
	for (int it = 0; it < 500; it++) {
		memset(sum, 0, A * sizeof(double));
		for (size_t p = 0; p < cs->npairs; p++) {
			const struct biaspair *q = &cs->pairs[p];
			if (q->b == BIAS_CONSENSUS) {
				sum[q->a] += q->d;
			} else {
				sum[q->a] += q->d + bias[q->b];
				sum[q->b] += -q->d + bias[q->a];
			}
		}
		double change = 0;
		for (size_t u = 0; u < A; u++) {
			double nb = cnt[u] ? 0.5 * bias[u] + 0.5 * sum[u] / (double)cnt[u] : 0;
			change = fmax(change, fabs(nb - bias[u]));
			bias[u] = nb;
		}
		if (!anchored) {
			size_t n = 0;
			for (size_t u = 0; u < A; u++)
				if (cnt[u] >= cs->o.bias_min)
					tmp[n++] = bias[u];
			for (size_t u = 0; !n && u < A; u++)
				if (cnt[u])
					tmp[n++] = bias[u];
			double m = n ? median(tmp, n) : 0;
			for (size_t u = 0; u < A; u++)
				bias[u] -= m;
		}
		if (change < 1e-9)
			break;
	}
	/* Each annotator's values: log(its box / the other's box) plus the
	 * other's bias, i.e. against an unbiased box; then one value per box
	 * of theirs (the mean over the boxes it matched), since a box matched
	 * by k - 1 other annotators is still one observation. */
	for (size_t u = 0; u < A; u++)
		off[u + 1] = off[u] + cnt[u];
	struct sval *vals = calloc(off[A] ? off[A] : 1, sizeof(*vals));
	size_t *at = calloc(A, sizeof(size_t));
	if (!vals || !at)
		abort();
	for (size_t p = 0; p < cs->npairs; p++) {
		const struct biaspair *q = &cs->pairs[p];
		if (q->b == BIAS_CONSENSUS) {
			vals[off[q->a] + at[q->a]++] = (struct sval){q->sa, q->d};
		} else {
			vals[off[q->a] + at[q->a]++] = (struct sval){q->sa, q->d + bias[q->b]};
			vals[off[q->b] + at[q->b]++] = (struct sval){q->sb, -q->d + bias[q->a]};
		}
	}
	double *v = calloc(off[A] ? off[A] : 1, sizeof(double));
	if (!v)
		abort();
	double lim = log(cs->o.bias_ratio);
	for (size_t u = 0; u < A && !cs->stopped; u++) {
		struct sval *sv = vals + off[u];
		size_t n = 0, pos = 0, neg = 0;
		qsort(sv, cnt[u], sizeof(*sv), cmp_sval);
		for (size_t i = 0; i < cnt[u];) {
			size_t e = i;
			double sum_v = 0;
			while (e < cnt[u] && sv[e].serial == sv[i].serial)
				sum_v += sv[e++].v;
			v[n++] = sum_v / (double)(e - i);
			i = e;
		}
		if (n < cs->o.bias_min)
			continue;
		for (size_t i = 0; i < n; i++) {
			pos += v[i] > 1e-9;
			neg += v[i] < -1e-9;
		}
		double m = median(v, n);
		double p = check_sign_test(pos < neg ? pos : neg, pos + neg);
		if (!(p < cs->o.p_max) || !(fabs(m) >= lim))
			continue;
		const char *ref = ncons[u] == cnt[u] ? "the consensus's"
				  : ncons[u] ? "the consensus's and other annotators'"
					     : "other annotators'";
		char group[48];
		snprintf(group, sizeof(group), "annotator %lld", (long long)cs->users[u]);
		emit_user(cs, CHECK_ANNOTATOR_BIAS, cs->users[u], group,
			  "annotator %lld draws boxes %.0f%% %s in area than %s matching boxes "
			  "(median area ratio %.2f over %zu matched boxes: %zu larger, %zu smaller; "
			  "sign test p = %.2g)",
			  (long long)cs->users[u], fabs(exp(m) - 1) * 100, m > 0 ? "larger" : "smaller",
			  ref, exp(m), n, pos, neg, p);
	}
	free(vals);
	free(v);
	free(at);
	free(bias);
	free(sum);
	free(cnt);
	free(ncons);
	free(off);
	free(tmp);
}

/* Each time window against the earlier windows together: the class mix
 * of the manual annotations saved in it (chi-square of homogeneity), and
 * the agreement of annotator pairs (matched objects over all objects, a
 * one-sided two-proportion z-test for a drop of at least drift_drop). */
static void drift(struct check_state *cs)
{
	size_t L = cs->nlabels, nw;
	struct group **ws = groups_of(cs, G_WINDOW, &nw);
	double *before = calloc(L ? L : 1, sizeof(double)), nbefore = 0;
	if (!before)
		abort();
	double bm = 0, bn = 0, min = (double)cs->o.shift_min;
	for (size_t k = 0; k < nw && !cs->stopped; k++) {
		struct group *g = ws[k];
		if (g->wtotal >= min && nbefore >= min) {
			double chi2, e;
			int df;
			size_t wl;
			homogeneity(g->wcounts, g->wtotal, before, nbefore, L, &chi2, &df, &wl, &e);
			double p = df >= 1 ? check_gamma_q(df / 2.0, chi2 / 2) : 1;
			if (p < cs->o.p_max)
				emit(cs, CHECK_DRIFT, 0, 0, NULL, g->name,
				     "%s: class mix of the annotations saved in it differs from the earlier "
				     "windows' (chi-square %.1f, %d df, p = %.2g); most off: %s, %g objects "
				     "where %.1f were expected",
				     g->name, chi2, df, p, cs->labels[wl], g->wcounts[wl], e);
		}
		if (g->agr_n >= min && bn >= min) {
			double fw = g->agr_match / g->agr_n, fb = bm / bn;
			double pool = (g->agr_match + bm) / (g->agr_n + bn);
			double se = sqrt(pool * (1 - pool) * (1 / g->agr_n + 1 / bn));
			double z = se > 0 ? (fw - fb) / se : fw < fb ? -INFINITY : 0;
			double p = 0.5 * erfc(-z / sqrt(2.0));
			if (fb - fw >= cs->o.drift_drop && p < cs->o.p_max && !cs->stopped)
				emit(cs, CHECK_DRIFT, 0, 0, NULL, g->name,
				     "%s: agreement between annotators dropped to F1 %.2f from %.2f in the "
				     "earlier windows (objects matched at box IoU %.2g: %.0f of %.0f, before "
				     "%.0f of %.0f; p = %.2g)",
				     g->name, fw, fb, cs->o.match_iou, g->agr_match, g->agr_n, bm, bn, p);
		}
		for (size_t l = 0; l < L; l++)
			before[l] += g->wcounts[l];
		nbefore += g->wtotal;
		bm += g->agr_match;
		bn += g->agr_n;
	}
	free(before);
	free(ws);
}

static const char *split_names[3] = {"train", "val", "test"};

/* Near-duplicate images in different splits: one hash index per split, each
 * item looked up in the indexes of the later splits. */
static int leakage(struct check_state *cs, struct buf *err)
{
	struct phash_index *ix[3];
	for (int s = 0; s < 3; s++) {
		ix[s] = phash_index_new(cs->o.near_threshold);
		if (!ix[s]) {
			for (int t = 0; t < s; t++)
				phash_index_free(ix[t]);
			buf_setf(err, "near-duplicate threshold %d is not in 0..63", cs->o.near_threshold);
			return CAIRN_EINVAL;
		}
	}
	for (size_t i = 0; i < cs->nitems; i++)
		phash_index_add(ix[cs->items[i].split], cs->items[i].id, cs->items[i].phash);
	for (size_t i = 0; i < cs->nitems && !cs->stopped; i++) {
		const struct itemrec *r = &cs->items[i];
		for (int s = r->split + 1; s < 3; s++) {
			int64_t other;
			int dist;
			if (phash_index_find(ix[s], r->phash, &other, &dist))
				emit(cs, CHECK_LEAKAGE, r->id, 0, NULL, NULL,
				     "item %lld (%s) and item %lld (%s) are near-duplicate images (hash distance %d)",
				     (long long)r->id, split_names[r->split], (long long)other,
				     split_names[s], dist);
		}
	}
	for (int s = 0; s < 3; s++)
		phash_index_free(ix[s]);
	return 0;
}

int check_finish(struct check_state *cs, struct buf *err)
{
	item_close(cs);
	if (!cs->stopped && on(cs, CHECK_CLASS_SHIFT))
		class_shift(cs);
	if (!cs->stopped && on(cs, CHECK_BOX_OUTLIER))
		box_outliers(cs);
	if (!cs->stopped && on(cs, CHECK_LEAKAGE)) {
		int rc = leakage(cs, err);
		if (rc)
			return rc;
	}
	if (!cs->stopped && on(cs, CHECK_ANNOTATOR_BIAS))
		annotator_bias(cs);
	if (!cs->stopped && on(cs, CHECK_DRIFT))
		drift(cs);
	return cs->stopped;
}

/* ---- streaming a project -------------------------------------------------- */

#define PAGE 256

struct page {
	struct item *items;
	size_t n;
};

static int page_add(void *ctx, const struct item *it)
{
	struct page *p = ctx;
	struct item *c = &p->items[p->n++];
	*c = (struct item){0};
	c->id = it->id;
	c->project_id = it->project_id;
	c->kind = it->kind;
	c->width = it->width;
	c->height = it->height;
	c->phash = it->phash;
	c->has_phash = it->has_phash;
	c->batch_id = it->batch_id;
	c->status = it->status;
	c->split = it->split ? strdup(it->split) : NULL;
	return 0;
}

struct annref {
	int64_t id;
	enum annotation_kind kind;
};

static int batch_add(void *ctx, const struct batch *b)
{
	return check_add_batch(ctx, b->id, b->name, b->stage);
}

struct schemas {
	int64_t *versions;
	struct schema *sc;
	size_t n, cap, capsc;
};

static const struct schema *schema_for(struct store *st, int64_t project, int64_t version,
				       struct schemas *ss, struct buf *err)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->versions[i] == version)
			return &ss->sc[i];
	char *json = NULL;
	int64_t v;
	if (store_schema_get(st, project, version, &json, &v, err))
		return NULL;
	struct schema sc;
	int rc = schema_parse(&sc, json, strlen(json), err);
	free(json);
	if (rc)
		return NULL;
	ss->versions = grow(ss->versions, &ss->cap, ss->n + 1, sizeof(int64_t));
	ss->sc = grow(ss->sc, &ss->capsc, ss->n + 1, sizeof(struct schema));
	ss->versions[ss->n] = version;
	ss->sc[ss->n] = sc;
	return &ss->sc[ss->n++];
}

/* The merge of a page of items with their annotations (one query each). */
struct page_walk {
	struct store *st;
	struct check_state *cs;
	struct schemas *ss;
	struct page *pg;
	size_t next;               /* the next item of pg to open */
	struct buf *err;
};

/* Opens the items of the page up to the one with id item (0: all). */
static int open_items(struct page_walk *w, int64_t item, const struct item **cur)
{
	int rc = 0;
	*cur = NULL;
	while (!rc && w->next < w->pg->n && (!item || w->pg->items[w->next].id <= item)) {
		const struct item *it = &w->pg->items[w->next++];
		rc = check_add_item(w->cs, it);
		if (it->id == item)
			*cur = it;
	}
	if (!rc && item && !*cur && w->next && w->pg->items[w->next - 1].id == item)
		*cur = &w->pg->items[w->next - 1];
	return rc;
}

static int page_ann(void *ctx, const struct store_ann_doc *a)
{
	struct page_walk *w = ctx;
	if (a->kind == ANN_PREDICTION && !w->cs->o.with_predictions)
		return 0;
	const struct item *it;
	int rc = open_items(w, a->item_id, &it);
	if (rc || !it || !a->body)
		return rc;
	const struct schema *sc = schema_for(w->st, it->project_id, a->schema_version, w->ss, w->err);
	if (!sc)
		return CAIRN_EINVAL;
	struct ann_doc d = {0};
	if (ann_doc_parse(&d, a->body, a->body_len, sc, it->width, it->height, NULL, NULL)) {
		struct buf errors = BUF_INIT;
		ann_doc_validate_all(a->body, a->body_len, sc, it->width, it->height, &errors, NULL,
				     NULL);
		rc = check_add_invalid(w->cs, it, a->id, errors.data);
		buf_release(&errors);
	} else {
		struct check_ann ca = {a->id, (int)a->kind, a->user_id, a->updated_at};
		rc = check_add_ann(w->cs, it, &ca, &d, sc);
	}
	ann_doc_release(&d);
	return rc;
}

int check_project(struct store *st, int64_t project_id, const struct check_opts *o, check_cb cb,
		  void *ctx, struct buf *err)
{
	struct check_state *cs = check_state_new(o, cb, ctx);
	struct page pg = {calloc(PAGE, sizeof(struct item)), 0};
	struct schemas ss = {0};
	int64_t after = 0, done = 0;
	int rc = 0;
	if (!pg.items)
		abort();
	rc = store_batch_list(st, project_id, 0, batch_add, cs, err);
	for (; !rc;) {
		pg.n = 0;
		if ((rc = store_item_list(st, project_id, after, PAGE, page_add, &pg, err)))
			break;
		if (pg.n) {
			struct page_walk w = {st, cs, &ss, &pg, 0, err};
			const struct item *last;
			rc = store_ann_docs(st, project_id, 0, pg.items[0].id, pg.items[pg.n - 1].id,
					    page_ann, &w, err);
			if (!rc)
				rc = open_items(&w, 0, &last);
			done += (int64_t)pg.n;
			if (!rc && cs->o.progress && cs->o.progress(cs->o.progress_ctx, done)) {
				buf_setf(err, "cancelled");
				rc = CAIRN_EINVAL;
			}
		}
		for (size_t i = 0; i < pg.n; i++)
			free(pg.items[i].split);
		if (rc || pg.n < PAGE)
			break;
		after = pg.items[pg.n - 1].id;
	}
	if (!rc)
		rc = check_finish(cs, err);
	for (size_t i = 0; i < ss.n; i++)
		schema_release(&ss.sc[i]);
	free(ss.sc);
	free(ss.versions);
	free(pg.items);
	check_state_free(cs);
	return rc;
}

void check_finding_json(struct buf *out, int64_t project_id, const struct check_finding *f)
{
	const struct check_rule *r = &check_rules[f->rule];
	buf_addf(out, "{\"rule\":\"%s\",\"severity\":\"%s\",\"item_id\":%lld,"
		 "\"annotation_id\":%lld,\"object\":", r->name, check_severity_name(r->severity),
		 (long long)f->item_id, (long long)f->annotation_id);
	buf_add_json_str(out, f->object ? f->object : "");
	buf_adds(out, ",\"group\":");
	buf_add_json_str(out, f->group ? f->group : "");
	/* The editor's address: the item, and the object when there is one. */
	buf_adds(out, ",\"link\":");
	if (f->item_id) {
		struct buf l = BUF_INIT;
		buf_addf(&l, "/label.html#project=%lld&item=%lld", (long long)project_id,
			 (long long)f->item_id);
		if (f->object && *f->object)
			buf_addf(&l, "&object=%s", f->object);
		buf_add_json_str(out, l.data);
		buf_release(&l);
	} else {
		buf_adds(out, "null");
	}
	buf_adds(out, ",\"message\":");
	buf_add_json_str(out, f->message ? f->message : "");
	buf_addch(out, '}');
}

int check_rules_parse(const char *list, uint32_t *out, struct buf *err)
{
	*out = 0;
	const char *s = list;
	while (s && *s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char name[64];
		int k = -1;
		if (len < sizeof(name)) {
			memcpy(name, s, len);
			name[len] = 0;
			k = check_rule_find(name);
		}
		if (k < 0) {
			buf_setf(err, "rules: unknown rule '%.*s' (see docs/checks.md)",
				 (int)(len > 64 ? 64 : len), s);
			return CAIRN_EINVAL;
		}
		*out |= 1u << k;
		s += len + (e ? 1 : 0);
	}
	return 0;
}
