/*
 * annotation.h - the annotation document: the JSON that the REST API GETs
 * and PUTs for one annotation of one item (docs/annotation.md), parsed into
 * plain C structs and validated against the project's label schema, the
 * canonical JSON written back, and a diff of two documents for history.
 * Pure: no I/O, no globals.
 *
 * Ownership: a struct ann_doc owns every object, string and array in it;
 * free with ann_doc_release. Label, attribute and relation-type indexes
 * point into the struct schema the document was parsed with, which the
 * caller keeps (the document does not hold a pointer to it).
 * Thread-safety: none needed; nothing shared is written.
 */
#ifndef CAIRN_ANNOTATION_H
#define CAIRN_ANNOTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/schema.h"
#include "geom/rle.h"

struct buf;

/* The format version this build reads and writes ("format": 1). */
#define ANN_FORMAT 1
/* Most objects in one document. */
#define ANN_MAX_OBJECTS 100000
/* Most numbers in one object's "points" (or all its "rings"). */
#define ANN_MAX_NUMBERS 1000000
/* Most relations in one document. */
#define ANN_MAX_RELATIONS 200000
/* Deepest nesting of arrays and objects accepted. */
#define ANN_MAX_DEPTH 16
/* Object ids: 1 to 64 characters of [A-Za-z0-9_-]. */
#define ANN_MAX_UID 64
/* Longest "text" (an OCR transcription), in bytes. */
#define ANN_MAX_TEXT 65536
/* Largest coordinate magnitude accepted (pixels, code points, seconds). */
#define ANN_MAX_COORD 1e9
/* Largest mask side ("rle": {"size": [h, w]}). */
#define ANN_MAX_MASK_SIDE 1000000
/* At most this many lines are kept by ann_doc_validate_all and in warnings. */
#define ANN_MAX_ERRORS 100

/* Visibility of one keypoint (COCO): 0 absent, 1 occluded, 2 visible. */
enum ann_visibility { ANN_VIS_ABSENT = 0, ANN_VIS_OCCLUDED = 1, ANN_VIS_VISIBLE = 2 };

/*
 * One object: a shape (or a tag) with its label. The geometry is in pts
 * (every type but mask and tag) or mask (type mask):
 *   box          x0, y0, x1, y1 (x0 <= x1, y0 <= y1)
 *   rotated_box  cx, cy, w, h, angle (degrees, clockwise)
 *   ellipse      cx, cy, rx, ry, angle (radii, degrees clockwise)
 *   polygon      x, y, ... all rings one after another; rings[i] is the
 *                number of points of ring i (the first is the outline, the
 *                others holes), or rings = NULL for one ring of npts / 2
 *   polyline, points  x, y, ...
 *   keypoints    x, y, v per skeleton point, in the skeleton's order
 *   cuboid       16 numbers: eight projected vertices
 *   span         start, end (code points, [start, end))
 *   segment      start, end (seconds for audio, frames for video)
 * npts counts numbers, not points.
 */
struct ann_object {
	char uid[ANN_MAX_UID + 1];  /* the client's stable id */
	size_t label;               /* index into schema->labels */
	enum shape_kind type;       /* the schema's shape kinds */
	double *pts;                /* owned; NULL for mask and tag */
	size_t npts;
	size_t *rings;              /* owned; polygon with holes only, else NULL */
	size_t nrings;
	struct rle mask;            /* owned; type mask only (else empty) */
	char *attrs;                /* owned canonical JSON object text, defaults filled */
	bool occluded;
	int32_t z_order;
	bool has_group;
	int64_t group;              /* >= 0 when has_group */
	char parent[ANN_MAX_UID + 1]; /* uid of the parent object, "" for none */
	size_t parent_index;        /* index into objects; SIZE_MAX for none */
	bool has_frame, has_track;
	int64_t frame, track;       /* >= 0 when present */
	bool keyframe, outside;     /* only with a track */
	bool has_score;
	double score;               /* 0..1 when has_score (predictions) */
	char *text;                 /* owned transcription, or NULL */
	bool locked;                /* nobody may edit it in the editor until unlocked */
	/* Computed while parsing (geom/): the axis-aligned bounding box
	 * (span, segment: x0 = start, x1 = end, y0 = y1 = 0; tag: zeros;
	 * keypoints: of the points with v > 0) and the area in pixels
	 * (0 for polyline, points, keypoints, tag; span, segment: length). */
	double x0, y0, x1, y1;
	double area;
};

/* A relation between two objects of the document. */
struct ann_relation {
	size_t type;                /* index into schema->relations */
	size_t from, to;            /* indexes into objects */
};

struct ann_doc {
	struct ann_object *objects; /* owned */
	size_t nobjects;
	char *attrs;                /* owned canonical JSON object text of the item attributes */
	struct ann_relation *relations; /* owned */
	size_t nrelations;
};

/*
 * Parses and validates len bytes of annotation JSON against sc into *out
 * (overwritten; release it with ann_doc_release after success). width and
 * height are the item's size in pixels, 0 when unknown or not spatial: when
 * known, masks must have exactly that size and shapes reaching past the
 * image give a warning.
 *
 * Returns 0; CAIRN_EINVAL with the first error in err, "annotation:
 * $.objects[3].points[2]: expected a number, got a string"; CAIRN_ETOOBIG
 * past ANN_MAX_OBJECTS, ANN_MAX_NUMBERS or ANN_MAX_RELATIONS; CAIRN_EVERSION
 * for a "format" newer than ANN_FORMAT. On failure *out holds nothing to
 * release (ann_doc_release on it is still safe).
 *
 * Problems that do not stop a save (a self-intersecting or zero-area
 * polygon, a shape reaching past the image, an empty mask or span) are
 * appended to warnings, one per line, "$.objects[3].points: ...\n", at most
 * ANN_MAX_ERRORS lines. err and warnings may be NULL.
 */
int ann_doc_parse(struct ann_doc *out, const char *json, size_t len, const struct schema *sc,
		  int32_t width, int32_t height, struct buf *err, struct buf *warnings);

/*
 * Validates like ann_doc_parse and appends every error to errors, one per
 * line, "$.json.path: message\n" (at most ANN_MAX_ERRORS lines; *count
 * gets the full number). errors, count and warnings may be NULL. Returns
 * what ann_doc_parse would.
 */
int ann_doc_validate_all(const char *json, size_t len, const struct schema *sc, int32_t width,
			 int32_t height, struct buf *errors, int *count, struct buf *warnings);

/* Frees everything d owns and zeroes it. NULL-safe; safe twice. */
void ann_doc_release(struct ann_doc *d);

/*
 * Appends the canonical JSON of d (parsed with sc) to out: fixed key order,
 * every key of every object written, defaults filled in, numbers in the
 * shortest form that reads back as the same double, one object per line.
 * Parsing it gives an equal document and writing that again gives the same
 * bytes. Returns 0, CAIRN_EINVAL when d holds something the format cannot
 * carry (a non-finite number, an index out of sc's range), or a buf error.
 */
int ann_doc_to_json(const struct ann_doc *d, const struct schema *sc, struct buf *out);

/*
 * Appends to out a JSON summary of what changed from a (parsed with sa) to
 * b (parsed with sb; NULL means sa), objects matched by uid:
 *   {"added": [uid...], "removed": [uid...], "changed": [uid...],
 *    "fields": {uid: ["points", "attributes", ...]},
 *    "attributes": bool (the item attributes changed),
 *    "relations": {"added": [{"type", "from", "to"}...], "removed": [...]}}
 * added and changed are in b's order, removed in a's. Labels, attributes
 * and relation types are compared by name, so a and b may come from
 * different schema versions. Returns 0 or a buf error.
 */
int ann_doc_diff(const struct ann_doc *a, const struct schema *sa, const struct ann_doc *b,
		 const struct schema *sb, struct buf *out);

/*
 * Which objects of b differ from a (for writing only those): changed[i]
 * (b->nobjects entries) is set when b's object i is new or differs in any
 * field ann_doc_diff compares; removed (a->nobjects entries) gets the
 * indexes of a's objects missing from b, *nremoved their count. Returns
 * whether anything at all differs (objects, item attributes, relations).
 * Meant for a and b under the same schema.
 */
bool ann_doc_changes(const struct ann_doc *a, const struct ann_doc *b, const struct schema *sc,
		     bool *changed, size_t *removed, size_t *nremoved);

/*
 * Appends v as a JSON number in the shortest form that reads back (strtod)
 * as the same double: integers without a fraction, then the fewest decimals,
 * then the first of %.15g, %.16g, %.17g that round-trips. -0 is written 0;
 * NaN and infinities (which JSON cannot carry) are written null.
 * Returns 0 or a buf error.
 */
int json_add_double(struct buf *b, double v);

#endif
