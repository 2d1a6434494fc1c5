/*
 * schema.h - a project's label schema (ontology): labels with colours and
 * allowed shape types, attributes, keypoint skeletons, relation types and
 * the guidelines text. Parses and validates the JSON format of docs/schema.md
 * into plain C structs and writes the canonical, normalised JSON back.
 * No I/O; versioning is the store's job (store_schema_put saves the
 * canonical form that schema_to_json writes).
 *
 * Ownership: a parsed struct schema owns every string and array in it;
 * free with schema_release. Lookups return pointers borrowed from the schema.
 * Thread-safety: none needed; no globals are written.
 */
#ifndef CAIRN_SCHEMA_H
#define CAIRN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* The format version this build reads and writes ("cairn_schema": 1). */
#define SCHEMA_FORMAT 1
/* Largest schema document accepted, in bytes. */
#define SCHEMA_MAX_BYTES (4u << 20)
/* Deepest nesting of arrays and objects accepted. */
#define SCHEMA_MAX_DEPTH 32
/* Longest name (label, attribute, value, point, relation), in bytes. */
#define SCHEMA_MAX_NAME 128
/* Longest description or text default, in bytes. */
#define SCHEMA_MAX_TEXT 4096
/* At most this many error lines are kept by schema_validate_all. */
#define SCHEMA_MAX_ERRORS 100

/*
 * The schema's shape vocabulary: what a label may be drawn as. These are
 * the schema's names, independent of src/geom/'s own shape types.
 */
enum shape_kind {
	SHAPE_TAG,         /* "tag": a whole-item (or whole-frame) label */
	SHAPE_BOX,         /* "box" */
	SHAPE_ROTATED_BOX, /* "rotated_box" */
	SHAPE_POLYGON,     /* "polygon" */
	SHAPE_POLYLINE,    /* "polyline" */
	SHAPE_POINTS,      /* "points" */
	SHAPE_KEYPOINTS,   /* "keypoints": needs a skeleton */
	SHAPE_MASK,        /* "mask" */
	SHAPE_ELLIPSE,     /* "ellipse" */
	SHAPE_CUBOID,      /* "cuboid" */
	SHAPE_SPAN,        /* "span": a text range */
	SHAPE_SEGMENT,     /* "segment": a time range of audio or video */
	SHAPE_KIND_COUNT_
};
#define SHAPE_BIT(k) (1u << (unsigned)(k))

/* Returns the schema name of k ("rotated_box"), or "?" when out of range. */
const char *shape_kind_name(enum shape_kind k);
/* Parses an exact name; false when s is not one of the names above. */
bool shape_kind_parse(const char *s, enum shape_kind *out);

enum attr_type { ATTR_SELECT, ATTR_MULTISELECT, ATTR_CHECKBOX, ATTR_NUMBER, ATTR_TEXT, ATTR_TYPE_COUNT_ };
const char *attr_type_name(enum attr_type t);
bool attr_type_parse(const char *s, enum attr_type *out);

struct schema_attr {
	char *name;
	enum attr_type type;
	char **values;         /* select, multiselect: non-empty, unique */
	size_t nvalues;
	double min, max;       /* number: min <= max */
	double step;           /* number: > 0, or 0 for any value */
	/*
	 * The default. has_default is false for a select or number without
	 * one (the annotator must choose); checkbox, multiselect and text
	 * always have one after parsing (false, [], "").
	 */
	bool has_default;
	size_t def_value;      /* select: index into values */
	bool *def_multi;       /* multiselect: nvalues flags */
	bool def_bool;         /* checkbox */
	double def_num;        /* number */
	char *def_text;        /* text */
	bool required;
	bool mutable_;         /* may change from frame to frame ("mutable") */
	char *description;     /* never NULL ("" when none) */
};

struct schema_skeleton {
	char **points;         /* unique point names */
	size_t npoints;
	uint32_t (*edges)[2];  /* pairs of indexes into points */
	size_t nedges;
	double *sigmas;        /* npoints OKS sigmas, or NULL when not given */
};

struct schema_label {
	char *name;
	int64_t id;            /* stable id, > 0; 0 when not given */
	char color[8];         /* "#rrggbb", lower case; assigned when not given */
	uint32_t shapes;       /* SHAPE_BIT()s, at least one */
	struct schema_attr *attrs;
	size_t nattrs;
	struct schema_skeleton *skeleton; /* NULL unless shapes has keypoints */
	char *hotkey;          /* one character, or NULL */
	char *description;     /* never NULL */
};

struct schema_relation {
	char *name;
	size_t *from, *to;     /* label indexes; none means any label */
	size_t nfrom, nto;
	bool directed;
	char *description;     /* never NULL */
};

struct schema {
	int format;            /* SCHEMA_FORMAT */
	struct schema_label *labels;
	size_t nlabels;
	struct schema_attr *item_attrs; /* item-level (or frame-level) tags */
	size_t nitem_attrs;
	struct schema_relation *relations;
	size_t nrelations;
	char *guidelines;      /* Markdown, never NULL */
};

/*
 * Parses and validates len bytes of schema JSON into *out (which is
 * overwritten; release it with schema_release after success). Returns 0,
 * CAIRN_ETOOBIG past SCHEMA_MAX_BYTES, or CAIRN_EINVAL with the first error
 * in err: "schema: $.labels[3].attributes[1].default: 'huge' is not among
 * the values ['small', 'large']". On failure *out holds nothing to release
 * (schema_release on it is still safe).
 */
int schema_parse(struct schema *out, const char *json, size_t len, struct buf *err);

/* Frees everything *s owns and zeroes it. NULL-safe; safe twice. */
void schema_release(struct schema *s);

/*
 * Validates len bytes of schema JSON and appends every error to errors, one
 * per line, each "$.json.path: message\n" (at most SCHEMA_MAX_ERRORS lines;
 * *count gets the full number). errors and count may be NULL. Returns 0
 * when the schema is valid, else CAIRN_EINVAL (CAIRN_ETOOBIG when too big).
 */
int schema_validate_all(const char *json, size_t len, struct buf *errors, int *count);

/*
 * Appends the canonical JSON of s to out: every key written, in a fixed
 * order, defaults filled in, colours in lower case, 2-space indentation,
 * ending with a newline. Parsing the result gives an equal schema, and
 * writing that again gives the same bytes. Returns 0 or a buf error.
 */
int schema_to_json(const struct schema *s, struct buf *out);

/* Lookups by exact name; borrowed pointers, NULL when absent. */
const struct schema_label *schema_label_find(const struct schema *s, const char *name);
/* Index of the label named name, or -1. */
long schema_label_index(const struct schema *s, const char *name);
const struct schema_attr *schema_attr_find(const struct schema_label *l, const char *name);
const struct schema_attr *schema_item_attr_find(const struct schema *s, const char *name);
const struct schema_relation *schema_relation_find(const struct schema *s, const char *name);
/* Index of the skeleton point named name, or -1 (also when l has no skeleton). */
long schema_point_index(const struct schema_label *l, const char *name);

#endif
