/*
 * fmt.h - dataset formats: the format table (one row per format, each a
 * reader and a writer in src/formats/fmt_<name>.c), the sink readers emit
 * into, the import driver that turns what was emitted into items and
 * annotations of a project, and what writers share (loss report, splits,
 * choosing an item's annotation).
 *
 * Import is two passes over bounded state: a reader streams the file and
 * emits categories, images and objects in any order; images and objects are
 * spooled to a temporary SQLite file keyed by image id, so annotations that
 * come before their images cost disk, not memory. The driver then checks
 * references, makes or maps the label schema, ingests the media, and writes
 * one annotation per image in one transaction (all-or-nothing unless
 * skip_invalid). Original ids are kept: image ids in the item's meta JSON
 * ({"coco_id": 40}), annotation ids as object ids ("17", "17-2", "17-kp"),
 * category ids in the installation meta key "formats.project.<id>".
 *
 * Ownership: arguments are borrowed unless said otherwise.
 */
#ifndef CAIRN_FMT_H
#define CAIRN_FMT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "core/annotation.h"
#include "core/model.h"
#include "geom/rle.h"

struct store;
struct fmt_sink;

/* A category (label) as the dataset names it. */
struct fmt_category {
	int64_t id;                 /* the dataset's own id: any integer, gaps allowed */
	const char *name;
	const char *supercategory;  /* or NULL */
	char *const *points;        /* keypoint names (npoints), may be 0 */
	size_t npoints;
	const uint32_t (*edges)[2]; /* skeleton edges, 0-based into points */
	size_t nedges;
	const char *where;          /* "instances.json: $.categories[2]" for errors */
};

/* An image (an item). */
struct fmt_image {
	int64_t id;                 /* the dataset's own id */
	const char *file_name;
	int32_t width, height;      /* 0 when the file does not say */
	const char *split;          /* "train", "val", "test" or NULL */
	const char *where;
};

/*
 * One object (one dataset annotation). Geometry by type as in
 * core/annotation.h; a polygon may have several parts (COCO's list of
 * polygons): nparts > 1 and parts[i] numbers each (pts holds them all).
 * kpts (x, y, v triples, nkpts numbers) adds a keypoints object whose
 * parent is this one (or is the object itself when type is SHAPE_KEYPOINTS).
 */
struct fmt_object {
	int64_t id;                 /* the dataset's annotation id */
	bool has_id;
	int64_t image_id;
	int64_t category_id;
	enum shape_kind type;       /* SHAPE_BOX, SHAPE_POLYGON, SHAPE_MASK, SHAPE_KEYPOINTS ... */
	const double *pts;
	size_t npts;
	const size_t *parts;
	size_t nparts;
	const struct rle *mask;
	const double *kpts;
	size_t nkpts;
	bool iscrowd;
	const json_t *attrs;        /* object of custom attributes, or NULL */
	bool has_score;
	double score;
	/* What CVAT, LabelMe and video formats carry besides (all optional;
	 * zero means absent). */
	bool occluded;
	int32_t z_order;
	bool has_group;
	int64_t group;              /* >= 0 */
	bool has_frame;
	int64_t frame;              /* video frame index, >= 0 */
	bool has_track;
	int64_t track;              /* >= 0 */
	bool keyframe, outside;     /* only with a track */
	const char *text;           /* a transcription (OCR), or NULL */
	const char *where;
	const char *uid;            /* the dataset's own string id, kept as the object id when it
				     * is 1 to 64 of [A-Za-z0-9_-] (else NULL or ignored) */
};

/* The sink. Each returns 0, or an error the reader must return at once. */
int fmt_sink_category(struct fmt_sink *s, const struct fmt_category *c);
int fmt_sink_image(struct fmt_sink *s, const struct fmt_image *im);
int fmt_sink_object(struct fmt_sink *s, const struct fmt_object *o);
/*
 * Reports bad input at `where` ("instances.json: $.annotations[3].bbox").
 * With skip_invalid the record is noted and 0 returned (the reader skips
 * the record and goes on); else CAIRN_EINVAL with the message in the
 * driver's error.
 */
int fmt_sink_invalid(struct fmt_sink *s, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * An attribute a dataset declares for a category (CVAT's <labels><label>
 * <attributes>): its type, values and default are kept in the label schema
 * the import makes (a project that has a schema keeps its own). Values
 * seen on objects widen what is declared (a select value not listed is
 * added, a number outside the range widens it), so a declaration never
 * rejects the dataset's own objects.
 */
struct fmt_attr_decl {
	const char *name;
	enum attr_type type;        /* core/schema.h: select, multiselect, checkbox, number, text */
	char *const *values;        /* select, multiselect */
	size_t nvalues;
	bool has_range;             /* number: min <= max, step >= 0 (0: any) */
	double min, max, step;
	const char *def;            /* the default as text ("true", "3", "v1"), or NULL */
	bool mutable_;              /* may change from frame to frame */
	const char *where;
};
int fmt_sink_category_attr(struct fmt_sink *s, int64_t category_id, const struct fmt_attr_decl *a);
/* Gives a declared category its colour ("#rrggbb"), which the label made
 * from it gets (mask formats' label maps); anything else is ignored. */
void fmt_sink_category_color(struct fmt_sink *s, int64_t id, const char *color);
/* Counts something kept only in part or not at all ("caption"). */
void fmt_sink_note(struct fmt_sink *s, const char *what);
/* The split of the file now being read ("val"), or NULL; ids are per split. */
void fmt_sink_split(struct fmt_sink *s, const char *split);
/* The kind of annotation the import makes (readers with predictions beside
 * annotations, as Label Studio's, pick by it). */
enum annotation_kind fmt_sink_kind(const struct fmt_sink *s);
/* The media folder the reader found next to the annotations (or NULL). */
void fmt_sink_media_dir(struct fmt_sink *s, const char *dir);

/* Counts by kind of what a writer (or reader) could not carry. */
struct fmt_loss {
	struct fmt_loss_entry { char *what; int64_t n; } *v;
	size_t n, cap;
};
void fmt_loss_add(struct fmt_loss *l, const char *what, int64_t n);
void fmt_loss_release(struct fmt_loss *l);
/* {"what": n, ...} */
void fmt_loss_json(const struct fmt_loss *l, struct buf *out);

/* A split of the export: names and weights, e.g. train=70,val=15,test=15. */
struct fmt_split {
	char name[8][16];
	double weight[8];
	size_t n;
	uint64_t seed;
};
/* Parses "train=70,val=15,test=15". CAIRN_EINVAL with the reason. */
int fmt_split_parse(struct fmt_split *sp, const char *spec, struct buf *err);
/* The split of an item: by a hash of (seed, source group), so a group never
 * straddles two splits; items without a group are their own group. */
const char *fmt_split_of(const struct fmt_split *sp, const struct item *it);

enum fmt_segm { FMT_SEGM_KEEP, FMT_SEGM_POLYGON, FMT_SEGM_RLE };

struct fmt_write_opts {
	enum fmt_segm segm;
	const struct fmt_split *split;  /* NULL: the items' own splits */
	bool include_media;
	const char *data_dir;           /* for include_media */
	unsigned kinds;                 /* bits of enum annotation_kind; 0 = all */
	void (*progress)(void *ctx, int64_t done, int64_t total);
	void *progress_ctx;
};

/* One row of the format table. */
struct fmt_ops {
	const char *name;
	const char *summary;
	const char *carries;        /* what it can carry, for `cairn formats` */
	/* 0..100: how sure the format is that path (a file or folder) is its own. */
	int (*probe)(const char *path);
	/* Streams path (a file or the dataset's folder) into the sink. */
	int (*read)(const char *path, struct fmt_sink *s, struct buf *err);
	/* Writes the project to the folder out (created). */
	int (*write)(struct store *st, int64_t project_id, const char *out,
		     const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
};

/* The table, ending with a NULL name. */
extern const struct fmt_ops fmt_table[];
const struct fmt_ops *fmt_find(const char *name);
/* The best-probing format for path, or NULL (err says why). */
const struct fmt_ops *fmt_probe(const char *path, struct buf *err);

struct fmt_import_opts {
	const char *data_dir;       /* for media */
	const char *media_dir;      /* NULL: what the reader found */
	bool no_media;              /* items from the file's sizes, without media */
	bool skip_invalid;
	enum annotation_kind kind;  /* manual, gold or prediction */
	int64_t user_id;            /* manual: whose annotations */
	const char *source;         /* prediction: the model name */
	void (*progress)(void *ctx, const char *phase, int64_t done, int64_t total);
	void *progress_ctx;
};

struct fmt_import_report {
	int64_t images, objects, categories;
	int64_t items_added, annotations;
	int64_t skipped;            /* records skipped with skip_invalid */
	struct buf skipped_text;    /* one line each: "where: why" */
	struct fmt_loss notes;      /* kept in part or not at all */
	bool schema_created;
};
void fmt_import_report_release(struct fmt_import_report *r);

/*
 * Imports path with format f into the project. Returns 0, CAIRN_EINVAL
 * (err: "instances.json: $.annotations[3].bbox: expected 4 numbers, got
 * 3"), CAIRN_ENOTFOUND (a media file), or a store error. Without
 * skip_invalid nothing of the annotations is written on error (media
 * ingested before the annotation transaction stay, as with `cairn ingest`).
 */
int fmt_import(struct store *st, int64_t project_id, const struct fmt_ops *f, const char *path,
	       const struct fmt_import_opts *o, struct fmt_import_report *rep, struct buf *err);

/*
 * Reads with a sink that keeps nothing (fuzzing, dry runs): validation
 * only. Returns what the reader returns.
 */
int fmt_read_null(const struct fmt_ops *f, const char *path, struct buf *err);

/* ---- for writers ---- */

/* Label info of a project for writers: names, dataset ids, skeletons. */
struct fmt_labels {
	struct schema sc;           /* the current schema */
	int64_t *ids;               /* per label: the id to write */
	char **super;               /* per label: supercategory or NULL */
	int64_t max_object_id, max_image_id; /* highest ids imported */
};
/* fmt_name picks the keys of the installation meta ("coco"). */
int fmt_labels_load(struct fmt_labels *l, struct store *st, int64_t project_id,
		    const char *fmt_name, struct buf *err);
void fmt_labels_release(struct fmt_labels *l);

/*
 * The document to export for an item: consensus, then gold, then the most
 * recently updated manual, then prediction (among o->kinds). *found false
 * when the item has none. doc is parsed with the schema of its version,
 * mapped to the current schema's labels (label names); objects whose label
 * is gone are dropped and counted.
 */
struct fmt_doc_cache;
struct fmt_doc_cache *fmt_doc_cache_new(struct store *st, int64_t project_id,
					const struct fmt_labels *l);
void fmt_doc_cache_free(struct fmt_doc_cache *c);
int fmt_item_doc(struct fmt_doc_cache *c, const struct item *it, unsigned kinds,
		 struct ann_doc *doc, bool *found, struct fmt_loss *loss, struct buf *err);
/*
 * Streams the project's items in id order after after_id (at most limit,
 * 0 = all) to cb, reading each item's document in the same store query
 * (store_item_docs), so that fmt_item_doc on the item handed to cb with the
 * same kinds runs no query. Writers page with it instead of store_item_list.
 */
int fmt_item_list(struct fmt_doc_cache *c, int64_t project_id, unsigned kinds, int64_t after_id,
		  int64_t limit, int (*cb)(void *ctx, const struct item *it), void *ctx,
		  struct buf *err);
/*
 * A writer's whole walk: fmt_item_list a page of 512 at a time until a page
 * comes back short, reporting progress (done of total) after each page. cb
 * advances the writer's own *last_id and *done and leaves its error in
 * *cb_rc, which ends the walk and is returned.
 */
int fmt_export_walk(struct fmt_doc_cache *c, int64_t project_id, const struct fmt_write_opts *o,
		    int64_t total, int (*cb)(void *ctx, const struct item *it), void *ctx,
		    const int64_t *last_id, const int64_t *done, const int *cb_rc, struct buf *err);
/*
 * The export's fast reader of stored documents (fmt_fastdoc.c): the
 * canonical text of documents with boxes and one-ring polygons and no
 * attributes, parents, texts or relations. fmt_fast_parse returns 1 with d
 * filled exactly as ann_doc_parse(body, sc) would, or 0 with d empty when
 * the text is anything else (then use ann_doc_parse). f is set up once per
 * schema (label names hashed).
 */
struct fmt_fast {
	const struct schema *sc;
	uint32_t *tab;
	size_t mask;
};
void fmt_fast_init(struct fmt_fast *f, const struct schema *sc);
void fmt_fast_release(struct fmt_fast *f);
int fmt_fast_parse(const struct fmt_fast *f, const char *body, size_t len, struct ann_doc *d);
/* Writes a small file (a label file of one image) in one write: open, write,
 * close, making its folder only when the open says it is missing. */
int fmt_put_file(const char *path, const void *data, size_t len, struct buf *err);

/* The dataset id kept in an item's meta ("coco_id"), or false. */
bool fmt_meta_id(const struct item *it, const char *key, int64_t *id);
/* The file name kept in an item's meta, else the item name (borrowed, or owned in *tmp). */
const char *fmt_item_file_name(const struct item *it, char **tmp);

/* Copies the item's media to path (creating folders). */
int fmt_copy_media(const char *data_dir, const struct item *it, const char *path,
		   struct buf *err);
/* mkdir -p */
int fmt_mkdirs(const char *path, struct buf *err);

/* Readers: COCO (fmt_coco.c). Reads a buffer as one COCO JSON file. */
int fmt_coco_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		      struct buf *err);
/*
 * The COCO reader's streaming walk for other COCO-shaped files (panoptic):
 * each element of "images", "annotations" and "categories" is built as a
 * small tree and handed to fn with its section name, index and "$.x[i]"
 * location (fn returns 0 or an error, which stops the walk). Reads f, or
 * data/len when f is NULL.
 */
typedef int (*fmt_coco_element_fn)(void *ctx, const char *section, size_t index, json_t *e,
				   const char *where);
int fmt_coco_stream(FILE *f, const char *data, size_t len, const char *name, struct fmt_sink *s,
		    fmt_coco_element_fn fn, void *ctx, struct buf *err);
/* A sink that keeps nothing (owned; free with fmt_null_sink_free). */
struct fmt_sink *fmt_null_sink_new(void);
void fmt_null_sink_free(struct fmt_sink *s);

#endif
