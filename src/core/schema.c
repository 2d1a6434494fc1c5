/*
 * schema.c - parses, validates and normalises a project's label schema (the
 * format of docs/schema.md). One pass over the jansson tree collects every
 * error with its JSON path; schema_parse keeps the first, schema_validate_all
 * keeps them all. schema_to_json writes the canonical form the store saves.
 */
#include "core/schema.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/json_check.h"
#include "core/suggest.h"
#include "base/json_scan.h"
#include "base/banned.h"

static const char *const shape_names[SHAPE_KIND_COUNT_] = {
	"tag", "box", "rotated_box", "polygon", "polyline", "points",
	"keypoints", "mask", "ellipse", "cuboid", "span", "segment",
};

static const char *const attr_names[ATTR_TYPE_COUNT_] = {
	"select", "multiselect", "checkbox", "number", "text",
};

/*
 * Names other tools use for the same thing: an error for one of these
 * suggests ours. Entries whose target is not a candidate are skipped, so one
 * table serves every object's keys.
 */

static const struct alias shape_aliases[] = {
	{"rectangle", "box"}, {"rect", "box"}, {"bbox", "box"}, {"bounding_box", "box"},
	{"rotated-box", "rotated_box"}, {"rotatedbox", "rotated_box"},
	{"rotated_rectangle", "rotated_box"}, {"rotated_bbox", "rotated_box"}, {"obb", "rotated_box"},
	{"line", "polyline"}, {"linestrip", "polyline"}, {"polylines", "polyline"},
	{"point", "points"}, {"keypoint", "keypoints"}, {"skeleton", "keypoints"},
	{"brush", "mask"}, {"segmentation", "mask"}, {"bitmap", "mask"}, {"rle", "mask"},
	{"circle", "ellipse"}, {"cuboid_3d", "cuboid"}, {"cube", "cuboid"}, {"box3d", "cuboid"},
	{"ner", "span"}, {"text_span", "span"}, {"labels", "span"},
	{"interval", "segment"}, {"timeline", "segment"}, {"time_segment", "segment"},
	{"classification", "tag"}, {"choice", "tag"}, {"choices", "tag"}, {"label", "tag"},
	{NULL, NULL},
};

static const struct alias type_aliases[] = {
	{"multi-select", "multiselect"}, {"multi_select", "multiselect"}, {"multiple", "multiselect"},
	{"bool", "checkbox"}, {"boolean", "checkbox"}, {"radio", "select"}, {"dropdown", "select"},
	{"enum", "select"}, {"int", "number"}, {"integer", "number"}, {"float", "number"},
	{"real", "number"}, {"string", "text"}, {"str", "text"},
	{NULL, NULL},
};

static const struct alias key_aliases[] = {
	{"colour", "color"}, {"shape_types", "shapes"}, {"types", "shapes"}, {"shape", "shapes"},
	{"tools", "shapes"}, {"attrs", "attributes"}, {"options", "values"}, {"choices", "values"},
	{"keypoints", "skeleton"}, {"keypoints", "points"}, {"nodes", "points"},
	{"links", "edges"}, {"connections", "edges"}, {"sigma", "sigmas"},
	{"per_frame", "mutable"}, {"mandatory", "required"}, {"default_value", "default"},
	{"minimum", "min"}, {"maximum", "max"}, {"shortcut", "hotkey"}, {"key", "hotkey"},
	{"item_attrs", "item_attributes"}, {"tags", "item_attributes"},
	{"relation_types", "relations"}, {"instructions", "guidelines"},
	{"version", "cairn_schema"}, {"source", "from"}, {"target", "to"},
	{"directional", "directed"},
	{NULL, NULL},
};

static const char *const root_keys[] = {
	"cairn_schema", "labels", "item_attributes", "relations", "guidelines",
};
static const char *const label_keys[] = {
	"name", "id", "color", "shapes", "hotkey", "description", "attributes", "skeleton",
};
static const char *const attr_keys[] = {
	"name", "type", "values", "min", "max", "step", "default", "required",
	"mutable", "description",
};
static const char *const skeleton_keys[] = {"points", "edges", "sigmas"};
static const char *const relation_keys[] = {"name", "from", "to", "directed", "description"};

/* Sasha Trubetskoy's 20 distinct colours; labels without one get these in order. */
static const char *const palette[] = {
	"#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0",
	"#f032e6", "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8",
	"#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075", "#808080",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *shape_kind_name(enum shape_kind k)
{
	return (unsigned)k < SHAPE_KIND_COUNT_ ? shape_names[k] : "?";
}

bool shape_kind_parse(const char *s, enum shape_kind *out)
{
	for (int i = 0; s && i < SHAPE_KIND_COUNT_; i++)
		if (!strcmp(s, shape_names[i])) {
			*out = (enum shape_kind)i;
			return true;
		}
	return false;
}

const char *attr_type_name(enum attr_type t)
{
	return (unsigned)t < ATTR_TYPE_COUNT_ ? attr_names[t] : "?";
}

bool attr_type_parse(const char *s, enum attr_type *out)
{
	for (int i = 0; s && i < ATTR_TYPE_COUNT_; i++)
		if (!strcmp(s, attr_names[i])) {
			*out = (enum attr_type)i;
			return true;
		}
	return false;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fputs("cairn: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = xcalloc(n + 1, 1);
	memcpy(p, s, n);
	return p;
}

/* ---- error collection ---- */

struct vctx {
	struct buf path;       /* "$.labels[3].attributes[1]" */
	struct buf *errs;      /* lines "PATH: message\n"; may be NULL */
	int count;
	struct buf q[4];       /* scratch for quoted strings in one message */
	int qi;
};

static void verr(struct vctx *c, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void verr(struct vctx *c, const char *sub, const char *fmt, ...)
{
	va_list ap;
	c->count++;
	if (!c->errs || c->count > SCHEMA_MAX_ERRORS)
		return;
	buf_addf(c->errs, "%s%s: ", c->path.data, sub ? sub : "");
	va_start(ap, fmt);
	buf_vaddf(c->errs, fmt, ap);
	va_end(ap);
	buf_addch(c->errs, '\n');
}

/*
 * Returns s quoted for a one-line message: control bytes, quotes and
 * backslashes escaped, cut after 60 bytes at a character boundary. Valid
 * until three more calls.
 */
static const char *Q(struct vctx *c, const char *s)
{
	struct buf *b = &c->q[c->qi++ % 4];
	size_t n = 0;
	buf_reset(b);
	buf_addch(b, '\'');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n >= 60 && (*p & 0xC0) != 0x80) {
			buf_adds(b, "...");
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			buf_addf(b, "\\x%02x", *p);
		} else if (*p == '\'' || *p == '\\') {
			buf_addch(b, '\\');
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, (char)*p);
		}
	}
	buf_addch(b, '\'');
	return b->data;
}

static size_t push_key(struct vctx *c, const char *k)
{
	size_t m = c->path.len;
	buf_addf(&c->path, ".%s", k);
	return m;
}

static size_t push_idx(struct vctx *c, size_t i)
{
	size_t m = c->path.len;
	buf_addf(&c->path, "[%zu]", i);
	return m;
}

static void pop(struct vctx *c, size_t mark)
{
	buf_setlen(&c->path, mark);
}

/* ---- suggestions ---- */

/* Appends " (did you mean 'x'?)" or "; expected one of a, b, c". */
static void hint(struct vctx *c, struct buf *b, const char *s, const char *const *cands,
		 size_t n, const struct alias *aliases, bool list)
{
	const char *g = suggest(s, cands, n, aliases);
	if (g) {
		buf_addf(b, " (did you mean %s?)", Q(c, g));
	} else if (list) {
		buf_adds(b, "; expected one of ");
		for (size_t i = 0; i < n; i++)
			buf_addf(b, "%s%s", i ? ", " : "", cands[i]);
	}
}

/* ---- name sets (jansson objects as hash tables: name -> index) ---- */

/* Adds name -> idx; returns the earlier index when name is already there, else -1. */
static long set_add(json_t *set, const char *name, size_t idx)
{
	json_t *old = json_object_get(set, name);
	if (old)
		return (long)json_integer_value(old);
	json_object_set_new_nocheck(set, name, json_integer((json_int_t)idx));
	return -1;
}

static long set_get(json_t *set, const char *name)
{
	json_t *v = json_object_get(set, name);
	return v ? (long)json_integer_value(v) : -1;
}

/* ---- type checks ---- */

/* True when v is of kind w; else reports "expected ..., got ..." at path+sub. */
static bool is(struct vctx *c, const json_t *v, const char *sub, enum want w)
{
	bool ok = json_is_want(v, w);
	if (!ok)
		verr(c, sub, "expected %s, got %s", json_want_text(w), json_type_text(v));
	return ok;
}

/* The member k of o, or NULL when absent or null. */
static json_t *member(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_null(v) ? NULL : v;
}

/* Reports every key of o that is not in keys. */
static void check_keys(struct vctx *c, const json_t *o, const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		size_t i;
		for (i = 0; i < n; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (i < n)
			continue;
		struct buf m = BUF_INIT;
		buf_addf(&m, "unknown key %s", Q(c, k));
		hint(c, &m, k, keys, n, key_aliases, true);
		verr(c, "", "%s", m.data);
		buf_release(&m);
	}
}

/*
 * Checks a name (of a label, attribute, value, point, relation): not empty,
 * at most SCHEMA_MAX_NAME bytes, no control characters, no spaces around.
 */
static bool check_name(struct vctx *c, const char *sub, const char *s)
{
	size_t n = strlen(s);
	if (!n) {
		verr(c, sub, "the name is empty");
		return false;
	}
	if (n > SCHEMA_MAX_NAME) {
		verr(c, sub, "the name is %zu bytes long; at most %d are allowed", n, SCHEMA_MAX_NAME);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			verr(c, sub, "%s contains a control character", Q(c, s));
			return false;
		}
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1])) {
		verr(c, sub, "%s begins or ends with a space", Q(c, s));
		return false;
	}
	return true;
}

/* Reads optional string k of o (null = absent) into a copy; "" when absent. */
static char *opt_text(struct vctx *c, const json_t *o, const char *k)
{
	json_t *v = member(o, k);
	char sub[32];
	snprintf(sub, sizeof sub, ".%s", k);
	if (!v || !is(c, v, sub, W_STRING))
		return xstrdup("");
	if (json_string_length(v) > SCHEMA_MAX_TEXT) {
		verr(c, sub, "the text is %zu bytes long; at most %d are allowed",
		     json_string_length(v), SCHEMA_MAX_TEXT);
		return xstrdup("");
	}
	return xstrdup(json_string_value(v));
}

static bool opt_bool(struct vctx *c, const json_t *o, const char *k, bool def)
{
	json_t *v = member(o, k);
	char sub[32];
	snprintf(sub, sizeof sub, ".%s", k);
	if (!v || !is(c, v, sub, W_BOOL))
		return def;
	return json_is_true(v);
}

/* Reads the required name member; returns a copy (NULL after an error). */
static char *req_name(struct vctx *c, const json_t *o)
{
	json_t *v = json_object_get(o, "name");
	if (!v) {
		verr(c, "", "missing required key 'name'");
		return NULL;
	}
	if (!is(c, v, ".name", W_STRING) || !check_name(c, ".name", json_string_value(v)))
		return NULL;
	return xstrdup(json_string_value(v));
}

/* ---- attributes ---- */

static void fmt_values(struct vctx *c, struct buf *m, const struct schema_attr *a)
{
	buf_addch(m, '[');
	for (size_t i = 0; i < a->nvalues && i < 10; i++)
		buf_addf(m, "%s%s", i ? ", " : "", Q(c, a->values[i] ? a->values[i] : ""));
	if (a->nvalues > 10)
		buf_addf(m, ", ... %zu more", a->nvalues - 10);
	buf_addch(m, ']');
}

/* Reports a value that is not among a's values, at path+sub. */
static void not_among(struct vctx *c, const char *sub, const struct schema_attr *a, const char *s)
{
	struct buf m = BUF_INIT;
	buf_addf(&m, "%s is not among the values ", Q(c, s));
	fmt_values(c, &m, a);
	if (a->nvalues <= SUGGEST_MAX_CANDIDATES) {
		const char *g = suggest(s, (const char *const *)a->values, a->nvalues, NULL);
		if (g)
			buf_addf(&m, " (did you mean %s?)", Q(c, g));
	}
	verr(c, sub, "%s", m.data);
	buf_release(&m);
}

static bool on_grid(double v, double min, double step)
{
	double k = (v - min) / step;
	return fabs(k - nearbyint(k)) <= 1e-9 * (fabs(k) > 1 ? fabs(k) : 1);
}

static void parse_attr(struct vctx *c, const json_t *o, struct schema_attr *a)
{
	json_t *v, *values, *def;
	bool type_ok = false, values_ok = true, range_ok = false;
	json_t *vset = NULL;

	a->description = xstrdup("");
	if (!is(c, o, "", W_OBJECT))
		return;
	check_keys(c, o, attr_keys, NELEM(attr_keys));
	a->name = req_name(c, o);

	v = json_object_get(o, "type");
	if (!v) {
		verr(c, "", "missing required key 'type' (one of select, multiselect, checkbox, number, text)");
	} else if (is(c, v, ".type", W_STRING)) {
		if (attr_type_parse(json_string_value(v), &a->type)) {
			type_ok = true;
		} else {
			struct buf m = BUF_INIT;
			buf_addf(&m, "unknown attribute type %s", Q(c, json_string_value(v)));
			hint(c, &m, json_string_value(v), attr_names, ATTR_TYPE_COUNT_, type_aliases, true);
			verr(c, ".type", "%s", m.data);
			buf_release(&m);
		}
	}
	free(a->description);
	a->description = opt_text(c, o, "description");
	a->required = opt_bool(c, o, "required", false);
	a->mutable_ = opt_bool(c, o, "mutable", false);
	if (!type_ok)
		return;

	/* values: select and multiselect only. */
	values = member(o, "values");
	bool takes_values = a->type == ATTR_SELECT || a->type == ATTR_MULTISELECT;
	if (values && !takes_values) {
		verr(c, ".values", "only select and multiselect attributes take values");
	} else if (takes_values && !values) {
		verr(c, "", "a %s attribute needs 'values'", attr_type_name(a->type));
		values_ok = false;
	} else if (takes_values) {
		values_ok = false;
		if (is(c, values, ".values", W_ARRAY)) {
			size_t n = json_array_size(values);
			values_ok = true;
			if (!n) {
				verr(c, ".values", "a %s attribute needs at least one value",
				     attr_type_name(a->type));
				values_ok = false;
			}
			a->values = xcalloc(n, sizeof *a->values);
			a->nvalues = n;
			vset = json_object();
			for (size_t i = 0; i < n; i++) {
				json_t *e = json_array_get(values, i);
				char sub[48];
				snprintf(sub, sizeof sub, ".values[%zu]", i);
				a->values[i] = xstrdup("");
				if (!is(c, e, sub, W_STRING) || !check_name(c, sub, json_string_value(e))) {
					values_ok = false;
					continue;
				}
				free(a->values[i]);
				a->values[i] = xstrdup(json_string_value(e));
				long prev = set_add(vset, a->values[i], i);
				if (prev >= 0) {
					verr(c, sub, "%s is listed twice (also .values[%ld])", Q(c, a->values[i]), prev);
					values_ok = false;
				}
			}
		}
	}

	/* min, max, step: number only. */
	if (a->type != ATTR_NUMBER) {
		static const char *const numkeys[] = {"min", "max", "step"};
		for (size_t i = 0; i < NELEM(numkeys); i++)
			if (member(o, numkeys[i])) {
				char sub[16];
				snprintf(sub, sizeof sub, ".%s", numkeys[i]);
				verr(c, sub, "only number attributes take '%s'", numkeys[i]);
			}
	} else {
		json_t *mn = member(o, "min"), *mx = member(o, "max"), *st = member(o, "step");
		bool ok = true;
		if (!mn || !mx) {
			verr(c, "", "a number attribute needs 'min' and 'max'");
			ok = false;
		}
		if (mn && is(c, mn, ".min", W_NUMBER))
			a->min = json_number_value(mn);
		else
			ok = false;
		if (mx && is(c, mx, ".max", W_NUMBER))
			a->max = json_number_value(mx);
		else
			ok = false;
		if (ok && a->min > a->max) {
			verr(c, ".max", "max (%g) is less than min (%g)", a->max, a->min);
			ok = false;
		}
		if (st && is(c, st, ".step", W_NUMBER)) {
			a->step = json_number_value(st);
			if (a->step <= 0) {
				verr(c, ".step", "the step must be greater than 0, got %g", a->step);
				a->step = 0;
				ok = false;
			} else if (ok && a->max > a->min && a->step > a->max - a->min) {
				verr(c, ".step", "the step (%g) is larger than the range [%g, %g]",
				     a->step, a->min, a->max);
				ok = false;
			}
		} else if (st) {
			ok = false;
		}
		range_ok = ok;
	}

	/* default, type-checked. */
	def = member(o, "default");
	switch (a->type) {
	case ATTR_SELECT:
		if (def && is(c, def, ".default", W_STRING) && values_ok) {
			long i = set_get(vset, json_string_value(def));
			if (i < 0) {
				not_among(c, ".default", a, json_string_value(def));
			} else {
				a->has_default = true;
				a->def_value = (size_t)i;
			}
		}
		break;
	case ATTR_MULTISELECT:
		a->has_default = true;
		a->def_multi = xcalloc(a->nvalues, sizeof *a->def_multi);
		if (def && is(c, def, ".default", W_ARRAY) && values_ok) {
			for (size_t k = 0; k < json_array_size(def); k++) {
				json_t *e = json_array_get(def, k);
				char sub[48];
				snprintf(sub, sizeof sub, ".default[%zu]", k);
				if (!is(c, e, sub, W_STRING))
					continue;
				long i = set_get(vset, json_string_value(e));
				if (i < 0)
					not_among(c, sub, a, json_string_value(e));
				else if (a->def_multi[i])
					verr(c, sub, "%s is listed twice", Q(c, json_string_value(e)));
				else
					a->def_multi[i] = true;
			}
		}
		break;
	case ATTR_CHECKBOX:
		a->has_default = true;
		if (def && is(c, def, ".default", W_BOOL))
			a->def_bool = json_is_true(def);
		break;
	case ATTR_NUMBER:
		if (def && is(c, def, ".default", W_NUMBER) && range_ok) {
			double d = json_number_value(def);
			if (d < a->min || d > a->max)
				verr(c, ".default", "%g is outside the range [%g, %g]", d, a->min, a->max);
			else if (a->step > 0 && !on_grid(d, a->min, a->step))
				verr(c, ".default", "%g is not min (%g) plus a multiple of the step (%g)",
				     d, a->min, a->step);
			else {
				a->has_default = true;
				a->def_num = d;
			}
		}
		break;
	case ATTR_TEXT:
		a->has_default = true;
		if (def && is(c, def, ".default", W_STRING)) {
			if (json_string_length(def) > SCHEMA_MAX_TEXT)
				verr(c, ".default", "the text is %zu bytes long; at most %d are allowed",
				     json_string_length(def), SCHEMA_MAX_TEXT);
			else
				a->def_text = xstrdup(json_string_value(def));
		}
		if (!a->def_text)
			a->def_text = xstrdup("");
		break;
	default:
		break;
	}
	json_decref(vset);
}

static void parse_attrs(struct vctx *c, const json_t *o, const char *key,
			struct schema_attr **out, size_t *nout)
{
	json_t *arr = member(o, key);
	size_t m0 = push_key(c, key);
	if (arr && is(c, arr, "", W_ARRAY)) {
		size_t n = json_array_size(arr);
		json_t *names = json_object();
		*out = xcalloc(n, sizeof **out);
		*nout = n;
		for (size_t i = 0; i < n; i++) {
			size_t m = push_idx(c, i);
			struct schema_attr *a = &(*out)[i];
			parse_attr(c, json_array_get(arr, i), a);
			if (a->name) {
				long prev = set_add(names, a->name, i);
				if (prev >= 0)
					verr(c, ".name", "duplicate attribute %s (also at [%ld])", Q(c, a->name), prev);
			}
			pop(c, m);
		}
		json_decref(names);
	}
	pop(c, m0);
}

/* ---- skeletons ---- */

static struct schema_skeleton *parse_skeleton(struct vctx *c, const json_t *o)
{
	struct schema_skeleton *k = xcalloc(1, sizeof *k);
	json_t *pts, *edges, *sig, *pset;
	bool pts_ok = false, pts_arr = false;

	if (!is(c, o, "", W_OBJECT))
		return k;
	check_keys(c, o, skeleton_keys, NELEM(skeleton_keys));
	pset = json_object();
	pts = member(o, "points");
	if (!pts) {
		verr(c, "", "missing required key 'points' (the names of the keypoints)");
	} else if (is(c, pts, ".points", W_ARRAY)) {
		size_t n = json_array_size(pts);
		pts_ok = pts_arr = true;
		if (!n) {
			verr(c, ".points", "a skeleton needs at least one point");
			pts_ok = false;
		}
		k->points = xcalloc(n, sizeof *k->points);
		k->npoints = n;
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(pts, i);
			char sub[48];
			snprintf(sub, sizeof sub, ".points[%zu]", i);
			if (!is(c, e, sub, W_STRING) || !check_name(c, sub, json_string_value(e))) {
				k->points[i] = xstrdup("");
				pts_ok = false;
				continue;
			}
			k->points[i] = xstrdup(json_string_value(e));
			long prev = set_add(pset, k->points[i], i);
			if (prev >= 0) {
				verr(c, sub, "duplicate point %s (also .points[%ld])", Q(c, k->points[i]), prev);
				pts_ok = false;
			}
		}
	}

	edges = member(o, "edges");
	if (edges && is(c, edges, ".edges", W_ARRAY)) {
		size_t n = json_array_size(edges);
		json_t *eset = json_object();
		k->edges = xcalloc(n, sizeof *k->edges);
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(edges, i);
			char sub[64];
			long ends[2] = {-1, -1};
			snprintf(sub, sizeof sub, ".edges[%zu]", i);
			if (!is(c, e, sub, W_ARRAY))
				continue;
			if (json_array_size(e) != 2) {
				verr(c, sub, "an edge is a pair of point names, got %zu elements",
				     json_array_size(e));
				continue;
			}
			for (size_t j = 0; j < 2; j++) {
				json_t *p = json_array_get(e, j);
				char sub2[80];
				snprintf(sub2, sizeof sub2, "%s[%zu]", sub, j);
				if (!is(c, p, sub2, W_STRING) || !pts_arr)
					continue;
				ends[j] = set_get(pset, json_string_value(p));
				if (ends[j] < 0) {
					struct buf m = BUF_INIT;
					buf_addf(&m, "no point named %s in the skeleton", Q(c, json_string_value(p)));
					hint(c, &m, json_string_value(p), (const char *const *)k->points,
					     k->npoints, NULL, false);
					verr(c, sub2, "%s", m.data);
					buf_release(&m);
				}
			}
			if (ends[0] < 0 || ends[1] < 0)
				continue;
			if (ends[0] == ends[1]) {
				verr(c, sub, "an edge from %s to itself", Q(c, k->points[ends[0]]));
				continue;
			}
			char key[48];
			snprintf(key, sizeof key, "%ld-%ld", ends[0] < ends[1] ? ends[0] : ends[1],
				 ends[0] < ends[1] ? ends[1] : ends[0]);
			long prev = set_add(eset, key, i);
			if (prev >= 0) {
				verr(c, sub, "duplicate edge %s-%s (also .edges[%ld])",
				     Q(c, k->points[ends[0]]), Q(c, k->points[ends[1]]), prev);
				continue;
			}
			k->edges[k->nedges][0] = (uint32_t)ends[0];
			k->edges[k->nedges][1] = (uint32_t)ends[1];
			k->nedges++;
		}
		json_decref(eset);
	}

	sig = member(o, "sigmas");
	if (sig && is(c, sig, ".sigmas", W_ARRAY)) {
		size_t n = json_array_size(sig);
		bool ok = true;
		if (pts_arr && n != k->npoints) {
			verr(c, ".sigmas", "%zu sigmas for %zu points; give one per point", n, k->npoints);
			ok = false;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(sig, i);
			char sub[48];
			snprintf(sub, sizeof sub, ".sigmas[%zu]", i);
			if (!is(c, e, sub, W_NUMBER)) {
				ok = false;
			} else if (json_number_value(e) <= 0) {
				verr(c, sub, "a sigma must be greater than 0, got %g", json_number_value(e));
				ok = false;
			}
		}
		if (ok && pts_ok) {
			k->sigmas = xcalloc(n, sizeof *k->sigmas);
			for (size_t i = 0; i < n; i++)
				k->sigmas[i] = json_number_value(json_array_get(sig, i));
		}
	}
	json_decref(pset);
	return k;
}

/* ---- labels ---- */

static bool parse_color(const char *s, char out[8])
{
	if (strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	for (int i = 0; i < 7; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[7] = 0;
	return true;
}

static void parse_label(struct vctx *c, const json_t *o, struct schema_label *l)
{
	json_t *v;
	bool shapes_ok = false;

	l->description = xstrdup("");
	if (!is(c, o, "", W_OBJECT))
		return;
	check_keys(c, o, label_keys, NELEM(label_keys));
	l->name = req_name(c, o);

	if ((v = member(o, "id")) && is(c, v, ".id", W_INTEGER)) {
		json_int_t id = json_integer_value(v);
		if (id < 1 || id > INT32_MAX)
			verr(c, ".id", "the id must be a positive integer up to %d, got %" JSON_INTEGER_FORMAT,
			     INT32_MAX, id);
		else
			l->id = id;
	}

	if ((v = member(o, "color")) && is(c, v, ".color", W_STRING)) {
		const char *s = json_string_value(v);
		if (!parse_color(s, l->color)) {
			if (strlen(s) == 4 && s[0] == '#' && isxdigit((unsigned char)s[1]) &&
			    isxdigit((unsigned char)s[2]) && isxdigit((unsigned char)s[3]))
				verr(c, ".color", "%s is not a colour; write six hex digits, '#%c%c%c%c%c%c'",
				     Q(c, s), s[1], s[1], s[2], s[2], s[3], s[3]);
			else
				verr(c, ".color", "%s is not a colour; write '#rrggbb', e.g. '#ff8800'", Q(c, s));
		}
	}

	v = json_object_get(o, "shapes");
	if (!v) {
		verr(c, "", "missing required key 'shapes' (e.g. [\"box\", \"polygon\"])");
	} else if (is(c, v, ".shapes", W_ARRAY)) {
		size_t n = json_array_size(v);
		shapes_ok = true;
		if (!n) {
			verr(c, ".shapes", "a label needs at least one shape type");
			shapes_ok = false;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(v, i);
			char sub[48];
			enum shape_kind k;
			snprintf(sub, sizeof sub, ".shapes[%zu]", i);
			if (!is(c, e, sub, W_STRING)) {
				shapes_ok = false;
			} else if (!shape_kind_parse(json_string_value(e), &k)) {
				struct buf m = BUF_INIT;
				buf_addf(&m, "unknown shape type %s", Q(c, json_string_value(e)));
				hint(c, &m, json_string_value(e), shape_names, SHAPE_KIND_COUNT_,
				     shape_aliases, true);
				verr(c, sub, "%s", m.data);
				buf_release(&m);
				shapes_ok = false;
			} else if (l->shapes & SHAPE_BIT(k)) {
				verr(c, sub, "%s is listed twice", Q(c, shape_kind_name(k)));
			} else {
				l->shapes |= SHAPE_BIT(k);
			}
		}
	}

	if ((v = member(o, "hotkey")) && is(c, v, ".hotkey", W_STRING)) {
		const char *s = json_string_value(v);
		if (strlen(s) != 1 || s[0] <= 0x20 || s[0] >= 0x7f)
			verr(c, ".hotkey", "%s is not a hotkey; write one character, e.g. '1' or 'p'", Q(c, s));
		else
			l->hotkey = xstrdup(s);
	}
	free(l->description);
	l->description = opt_text(c, o, "description");

	parse_attrs(c, o, "attributes", &l->attrs, &l->nattrs);

	v = member(o, "skeleton");
	if (v) {
		size_t m = push_key(c, "skeleton");
		l->skeleton = parse_skeleton(c, v);
		pop(c, m);
		if (shapes_ok && !(l->shapes & SHAPE_BIT(SHAPE_KEYPOINTS)))
			verr(c, ".skeleton", "a skeleton needs 'keypoints' among the label's shapes");
	} else if (l->shapes & SHAPE_BIT(SHAPE_KEYPOINTS)) {
		verr(c, "", "a label with shape type 'keypoints' needs a 'skeleton'");
	}
}

/* Gives every label without a colour the first palette colour not yet taken. */
static void assign_colors(struct schema *s)
{
	json_t *used = json_object();
	size_t next = 0;
	unsigned k = 0;
	for (size_t i = 0; i < s->nlabels; i++)
		if (s->labels[i].color[0])
			set_add(used, s->labels[i].color, i);
	for (size_t i = 0; i < s->nlabels; i++) {
		struct schema_label *l = &s->labels[i];
		if (l->color[0])
			continue;
		while (next < NELEM(palette) && set_get(used, palette[next]) >= 0)
			next++;
		if (next < NELEM(palette)) {
			memcpy(l->color, palette[next], 8);
		} else {
			/*
			 * Past the palette: a low-discrepancy walk over hue,
			 * saturation and value (the R3 sequence), so that
			 * colours stay spread out and collisions stay rare;
			 * tries are bounded, after which a repeat is allowed.
			 */
			for (int tries = 0; tries < 64; tries++, k++) {
				double h = fmod(k * 0.8191725133961645, 1.0) * 6.0;
				double sat = 0.45 + 0.5 * fmod(k * 0.6710436067037893, 1.0);
				double v = 0.55 + 0.4 * fmod(k * 0.5497004779019703, 1.0);
				double f = h - floor(h), p = v * (1 - sat), q = v * (1 - sat * f),
				       t = v * (1 - sat * (1 - f));
				double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
				double *x = rgb[(int)h % 6];
				snprintf(l->color, sizeof l->color, "#%02x%02x%02x", (unsigned)(x[0] * 255 + 0.5),
					 (unsigned)(x[1] * 255 + 0.5), (unsigned)(x[2] * 255 + 0.5));
				if (set_get(used, l->color) < 0)
					break;
			}
			k++;
		}
		set_add(used, l->color, i);
	}
	json_decref(used);
}

/* ---- relations ---- */

static void parse_ends(struct vctx *c, const json_t *o, const char *key, json_t *lset,
		       const struct schema *s, size_t **out, size_t *nout)
{
	json_t *v = member(o, key);
	char sub[16];
	snprintf(sub, sizeof sub, ".%s", key);
	if (!v || !is(c, v, sub, W_ARRAY))
		return;
	size_t n = json_array_size(v);
	json_t *seen = json_object();
	*out = xcalloc(n, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		char sub2[48];
		snprintf(sub2, sizeof sub2, ".%s[%zu]", key, i);
		if (!is(c, e, sub2, W_STRING))
			continue;
		const char *name = json_string_value(e);
		long li = set_get(lset, name);
		if (li < 0) {
			struct buf m = BUF_INIT;
			const char **names = xcalloc(s->nlabels, sizeof *names);
			size_t nn = 0;
			for (size_t j = 0; s->nlabels <= SUGGEST_MAX_CANDIDATES && j < s->nlabels; j++)
				if (s->labels[j].name)
					names[nn++] = s->labels[j].name;
			buf_addf(&m, "no label named %s", Q(c, name));
			hint(c, &m, name, names, nn, NULL, false);
			verr(c, sub2, "%s", m.data);
			free(names);
			buf_release(&m);
		} else if (set_add(seen, name, i) >= 0) {
			verr(c, sub2, "%s is listed twice", Q(c, name));
		} else {
			(*out)[(*nout)++] = (size_t)li;
		}
	}
	json_decref(seen);
}

static void parse_relations(struct vctx *c, const json_t *root, json_t *lset, struct schema *s)
{
	json_t *arr = member(root, "relations");
	size_t m0 = push_key(c, "relations");
	if (arr && is(c, arr, "", W_ARRAY)) {
		size_t n = json_array_size(arr);
		json_t *names = json_object();
		s->relations = xcalloc(n, sizeof *s->relations);
		s->nrelations = n;
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_array_get(arr, i);
			struct schema_relation *r = &s->relations[i];
			size_t m = push_idx(c, i);
			r->directed = true;
			r->description = xstrdup("");
			if (is(c, o, "", W_OBJECT)) {
				check_keys(c, o, relation_keys, NELEM(relation_keys));
				r->name = req_name(c, o);
				if (r->name && set_add(names, r->name, i) >= 0)
					verr(c, ".name", "duplicate relation type %s (also at [%ld])",
					     Q(c, r->name), set_get(names, r->name));
				parse_ends(c, o, "from", lset, s, &r->from, &r->nfrom);
				parse_ends(c, o, "to", lset, s, &r->to, &r->nto);
				r->directed = opt_bool(c, o, "directed", true);
				free(r->description);
				r->description = opt_text(c, o, "description");
			}
			pop(c, m);
		}
		json_decref(names);
	}
	pop(c, m0);
}

/* ---- root ---- */

static void ascii_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void parse_root(struct vctx *c, const json_t *root, struct schema *s)
{
	json_t *v, *lset;

	s->guidelines = xstrdup("");
	s->format = SCHEMA_FORMAT;
	if (!is(c, root, "", W_OBJECT))
		return;
	check_keys(c, root, root_keys, NELEM(root_keys));

	v = json_object_get(root, "cairn_schema");
	if (!v) {
		verr(c, "", "missing required key 'cairn_schema' (write \"cairn_schema\": %d)", SCHEMA_FORMAT);
	} else if (is(c, v, ".cairn_schema", W_INTEGER)) {
		json_int_t f = json_integer_value(v);
		if (f > SCHEMA_FORMAT)
			verr(c, ".cairn_schema", "format version %" JSON_INTEGER_FORMAT
			     " is newer than this Cairn reads (%d)", f, SCHEMA_FORMAT);
		else if (f != SCHEMA_FORMAT)
			verr(c, ".cairn_schema", "unknown format version %" JSON_INTEGER_FORMAT
			     "; write %d", f, SCHEMA_FORMAT);
	}

	lset = json_object();
	v = json_object_get(root, "labels");
	if (!v) {
		verr(c, "", "missing required key 'labels'");
	} else if (is(c, v, ".labels", W_ARRAY)) {
		size_t n = json_array_size(v);
		json_t *lower = json_object(), *ids = json_object(), *keys = json_object();
		if (!n)
			verr(c, ".labels", "a schema needs at least one label");
		s->labels = xcalloc(n, sizeof *s->labels);
		s->nlabels = n;
		for (size_t i = 0; i < n; i++) {
			struct schema_label *l = &s->labels[i];
			size_t m = push_key(c, "labels");
			push_idx(c, i);
			parse_label(c, json_array_get(v, i), l);
			if (l->name) {
				long prev = set_add(lset, l->name, i);
				char *low = xstrdup(l->name);
				ascii_lower(low);
				long prevl = set_add(lower, low, i);
				free(low);
				if (prev >= 0)
					verr(c, ".name", "duplicate label %s (first at $.labels[%ld])",
					     Q(c, l->name), prev);
				else if (prevl >= 0)
					verr(c, ".name", "label %s differs from %s ($.labels[%ld]) only in case",
					     Q(c, l->name), Q(c, s->labels[prevl].name), prevl);
			}
			if (l->id) {
				char key[32];
				snprintf(key, sizeof key, "%" PRId64, l->id);
				long prev = set_add(ids, key, i);
				if (prev >= 0)
					verr(c, ".id", "id %s is already used by $.labels[%ld]", key, prev);
			}
			if (l->hotkey) {
				long prev = set_add(keys, l->hotkey, i);
				if (prev >= 0)
					verr(c, ".hotkey", "hotkey %s is already used by $.labels[%ld]",
					     Q(c, l->hotkey), prev);
			}
			pop(c, m);
		}
		json_decref(lower);
		json_decref(ids);
		json_decref(keys);
		assign_colors(s);
	}

	parse_attrs(c, root, "item_attributes", &s->item_attrs, &s->nitem_attrs);
	parse_relations(c, root, lset, s);
	json_decref(lset);

	if ((v = member(root, "guidelines")) && is(c, v, ".guidelines", W_STRING)) {
		free(s->guidelines);
		s->guidelines = xstrdup(json_string_value(v));
	}
}

/* ---- raw-text scanning: nesting depth, and the JSON path at a byte offset ---- */


/* ---- entry points ---- */

static int run(const char *json, size_t len, struct schema *s, struct buf *errs, int *count)
{
	struct vctx c = {.path = BUF_INIT, .errs = errs};
	int rc = CAIRN_EINVAL;
	json_error_t je;
	json_t *root;
	size_t line;

	for (int i = 0; i < 4; i++)
		c.q[i] = (struct buf)BUF_INIT;
	buf_adds(&c.path, "$");
	if (!json)
		json = "";
	if (len > SCHEMA_MAX_BYTES) {
		verr(&c, "", "the schema is %zu bytes; at most %u are allowed", len, SCHEMA_MAX_BYTES);
		rc = CAIRN_ETOOBIG;
		goto out;
	}
	if ((line = json_scan_too_deep(json, len, SCHEMA_MAX_DEPTH))) {
		verr(&c, "", "nesting deeper than %d levels at line %zu", SCHEMA_MAX_DEPTH, line);
		goto out;
	}
	size_t ws = 0;
	while (ws < len && (json[ws] == ' ' || json[ws] == '\t' || json[ws] == '\n' || json[ws] == '\r'))
		ws++;
	if (ws == len) {
		verr(&c, "", "the document is empty; a schema is a JSON object");
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!root) {
		struct buf p = BUF_INIT, k = BUF_INIT;
		size_t pos = je.position > 0 ? (size_t)je.position : 0;
		if (json_error_code(&je) == json_error_duplicate_key) {
			json_scan_path_at(json, len, pos, &p, &k);
			buf_setf(&c.path, "%s", p.data);
			verr(&c, "", "duplicate key %s (line %d)", Q(&c, k.data), je.line);
		} else {
			json_scan_path_at(json, len, pos, &p, NULL);
			buf_setf(&c.path, "%s", p.data);
			verr(&c, "", "invalid JSON at line %d, column %d: %s", je.line, je.column, je.text);
		}
		buf_release(&p);
		buf_release(&k);
		goto out;
	}
	parse_root(&c, root, s);
	json_decref(root);
out:
	if (count)
		*count = c.count;
	buf_release(&c.path);
	for (int i = 0; i < 4; i++)
		buf_release(&c.q[i]);
	return c.count ? rc : 0;
}

int schema_validate_all(const char *json, size_t len, struct buf *errors, int *count)
{
	struct schema s;
	memset(&s, 0, sizeof s);
	int rc = run(json, len, &s, errors, count);
	schema_release(&s);
	return rc;
}

int schema_parse(struct schema *out, const char *json, size_t len, struct buf *err)
{
	struct buf errs = BUF_INIT;
	memset(out, 0, sizeof *out);
	int rc = run(json, len, out, &errs, NULL);
	if (rc) {
		char *nl = strchr(errs.data, '\n');
		if (nl)
			*nl = 0;
		buf_setf(err, "schema: %s", errs.data);
		schema_release(out);
	}
	buf_release(&errs);
	return rc;
}

static void attr_release(struct schema_attr *a)
{
	free(a->name);
	for (size_t i = 0; i < a->nvalues; i++)
		free(a->values[i]);
	free(a->values);
	free(a->def_multi);
	free(a->def_text);
	free(a->description);
}

void schema_release(struct schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlabels; i++) {
		struct schema_label *l = &s->labels[i];
		free(l->name);
		for (size_t j = 0; j < l->nattrs; j++)
			attr_release(&l->attrs[j]);
		free(l->attrs);
		if (l->skeleton) {
			for (size_t j = 0; j < l->skeleton->npoints; j++)
				free(l->skeleton->points[j]);
			free(l->skeleton->points);
			free(l->skeleton->edges);
			free(l->skeleton->sigmas);
			free(l->skeleton);
		}
		free(l->hotkey);
		free(l->description);
	}
	free(s->labels);
	for (size_t i = 0; i < s->nitem_attrs; i++)
		attr_release(&s->item_attrs[i]);
	free(s->item_attrs);
	for (size_t i = 0; i < s->nrelations; i++) {
		free(s->relations[i].name);
		free(s->relations[i].from);
		free(s->relations[i].to);
		free(s->relations[i].description);
	}
	free(s->relations);
	free(s->guidelines);
	memset(s, 0, sizeof *s);
}

/* ---- canonical JSON ---- */

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static void put_num(struct buf *o, double v)
{
	char tmp[40];
	for (int p = 15; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*g", p, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_adds(o, tmp);
}

static void put_str(struct buf *o, const char *s)
{
	buf_add_json_str(o, s ? s : "");
}

static void put_ind(struct buf *o, int n)
{
	buf_addch(o, '\n');
	for (int i = 0; i < n; i++)
		buf_adds(o, "  ");
}

static void put_key(struct buf *o, int ind, const char *k, bool first)
{
	if (!first)
		buf_addch(o, ',');
	put_ind(o, ind);
	buf_addf(o, "\"%s\": ", k);
}

static void put_strs(struct buf *o, char *const *v, size_t n)
{
	buf_addch(o, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(o, ", ");
		put_str(o, v[i]);
	}
	buf_addch(o, ']');
}

static void put_attrs(struct buf *o, const struct schema_attr *as, size_t n, int ind)
{
	if (!n) {
		buf_adds(o, "[]");
		return;
	}
	buf_addch(o, '[');
	for (size_t i = 0; i < n; i++) {
		const struct schema_attr *a = &as[i];
		if (i)
			buf_addch(o, ',');
		put_ind(o, ind + 1);
		buf_addch(o, '{');
		put_key(o, ind + 2, "name", true);
		put_str(o, a->name);
		put_key(o, ind + 2, "type", false);
		put_str(o, attr_type_name(a->type));
		if (a->type == ATTR_SELECT || a->type == ATTR_MULTISELECT) {
			put_key(o, ind + 2, "values", false);
			put_strs(o, a->values, a->nvalues);
		}
		if (a->type == ATTR_NUMBER) {
			put_key(o, ind + 2, "min", false);
			put_num(o, a->min);
			put_key(o, ind + 2, "max", false);
			put_num(o, a->max);
			put_key(o, ind + 2, "step", false);
			if (a->step > 0)
				put_num(o, a->step);
			else
				buf_adds(o, "null");
		}
		put_key(o, ind + 2, "default", false);
		switch (a->type) {
		case ATTR_SELECT:
			if (a->has_default && a->def_value < a->nvalues)
				put_str(o, a->values[a->def_value]);
			else
				buf_adds(o, "null");
			break;
		case ATTR_MULTISELECT: {
			bool first = true;
			buf_addch(o, '[');
			for (size_t j = 0; a->def_multi && j < a->nvalues; j++)
				if (a->def_multi[j]) {
					if (!first)
						buf_adds(o, ", ");
					put_str(o, a->values[j]);
					first = false;
				}
			buf_addch(o, ']');
			break;
		}
		case ATTR_CHECKBOX:
			buf_adds(o, a->def_bool ? "true" : "false");
			break;
		case ATTR_NUMBER:
			if (a->has_default)
				put_num(o, a->def_num);
			else
				buf_adds(o, "null");
			break;
		default:
			put_str(o, a->def_text);
			break;
		}
		put_key(o, ind + 2, "required", false);
		buf_adds(o, a->required ? "true" : "false");
		put_key(o, ind + 2, "mutable", false);
		buf_adds(o, a->mutable_ ? "true" : "false");
		put_key(o, ind + 2, "description", false);
		put_str(o, a->description);
		put_ind(o, ind + 1);
		buf_addch(o, '}');
	}
	put_ind(o, ind);
	buf_addch(o, ']');
}

static void put_skeleton(struct buf *o, const struct schema_skeleton *k, int ind)
{
	buf_addch(o, '{');
	put_key(o, ind + 1, "points", true);
	put_strs(o, k->points, k->npoints);
	put_key(o, ind + 1, "edges", false);
	buf_addch(o, '[');
	for (size_t i = 0; i < k->nedges; i++) {
		if (i)
			buf_adds(o, ", ");
		buf_addch(o, '[');
		put_str(o, k->points[k->edges[i][0]]);
		buf_adds(o, ", ");
		put_str(o, k->points[k->edges[i][1]]);
		buf_addch(o, ']');
	}
	buf_addch(o, ']');
	put_key(o, ind + 1, "sigmas", false);
	if (k->sigmas) {
		buf_addch(o, '[');
		for (size_t i = 0; i < k->npoints; i++) {
			if (i)
				buf_adds(o, ", ");
			put_num(o, k->sigmas[i]);
		}
		buf_addch(o, ']');
	} else {
		buf_adds(o, "null");
	}
	put_ind(o, ind);
	buf_addch(o, '}');
}

static void put_ends(struct buf *o, const struct schema *s, const size_t *v, size_t n)
{
	buf_addch(o, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(o, ", ");
		put_str(o, v[i] < s->nlabels ? s->labels[v[i]].name : "");
	}
	buf_addch(o, ']');
}

int schema_to_json(const struct schema *s, struct buf *out)
{
	struct buf o = BUF_INIT;
	int rc;

	buf_addch(&o, '{');
	put_key(&o, 1, "cairn_schema", true);
	buf_addf(&o, "%d", SCHEMA_FORMAT);
	put_key(&o, 1, "labels", false);
	buf_addch(&o, '[');
	for (size_t i = 0; i < s->nlabels; i++) {
		const struct schema_label *l = &s->labels[i];
		if (i)
			buf_addch(&o, ',');
		put_ind(&o, 2);
		buf_addch(&o, '{');
		put_key(&o, 3, "name", true);
		put_str(&o, l->name);
		put_key(&o, 3, "id", false);
		if (l->id)
			buf_addf(&o, "%" PRId64, l->id);
		else
			buf_adds(&o, "null");
		put_key(&o, 3, "color", false);
		put_str(&o, l->color);
		put_key(&o, 3, "shapes", false);
		buf_addch(&o, '[');
		for (int k = 0, first = 1; k < SHAPE_KIND_COUNT_; k++)
			if (l->shapes & SHAPE_BIT(k)) {
				buf_addf(&o, "%s\"%s\"", first ? "" : ", ", shape_names[k]);
				first = 0;
			}
		buf_addch(&o, ']');
		put_key(&o, 3, "hotkey", false);
		if (l->hotkey)
			put_str(&o, l->hotkey);
		else
			buf_adds(&o, "null");
		put_key(&o, 3, "description", false);
		put_str(&o, l->description);
		put_key(&o, 3, "attributes", false);
		put_attrs(&o, l->attrs, l->nattrs, 3);
		put_key(&o, 3, "skeleton", false);
		if (l->skeleton)
			put_skeleton(&o, l->skeleton, 3);
		else
			buf_adds(&o, "null");
		put_ind(&o, 2);
		buf_addch(&o, '}');
	}
	if (s->nlabels)
		put_ind(&o, 1);
	buf_addch(&o, ']');
	put_key(&o, 1, "item_attributes", false);
	put_attrs(&o, s->item_attrs, s->nitem_attrs, 1);
	put_key(&o, 1, "relations", false);
	buf_addch(&o, '[');
	for (size_t i = 0; i < s->nrelations; i++) {
		const struct schema_relation *r = &s->relations[i];
		if (i)
			buf_addch(&o, ',');
		put_ind(&o, 2);
		buf_addch(&o, '{');
		put_key(&o, 3, "name", true);
		put_str(&o, r->name);
		put_key(&o, 3, "from", false);
		put_ends(&o, s, r->from, r->nfrom);
		put_key(&o, 3, "to", false);
		put_ends(&o, s, r->to, r->nto);
		put_key(&o, 3, "directed", false);
		buf_adds(&o, r->directed ? "true" : "false");
		put_key(&o, 3, "description", false);
		put_str(&o, r->description);
		put_ind(&o, 2);
		buf_addch(&o, '}');
	}
	if (s->nrelations)
		put_ind(&o, 1);
	buf_addch(&o, ']');
	put_key(&o, 1, "guidelines", false);
	put_str(&o, s->guidelines);
	put_ind(&o, 0);
	buf_adds(&o, "}\n");
	rc = buf_add(out, o.data, o.len);
	buf_release(&o);
	return rc;
}

/* ---- lookups ---- */

long schema_label_index(const struct schema *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->nlabels; i++)
		if (s->labels[i].name && !strcmp(s->labels[i].name, name))
			return (long)i;
	return -1;
}

const struct schema_label *schema_label_find(const struct schema *s, const char *name)
{
	long i = schema_label_index(s, name);
	return i < 0 ? NULL : &s->labels[i];
}

static const struct schema_attr *attr_find(const struct schema_attr *as, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (as[i].name && !strcmp(as[i].name, name))
			return &as[i];
	return NULL;
}

const struct schema_attr *schema_attr_find(const struct schema_label *l, const char *name)
{
	return l ? attr_find(l->attrs, l->nattrs, name) : NULL;
}

const struct schema_attr *schema_item_attr_find(const struct schema *s, const char *name)
{
	return s ? attr_find(s->item_attrs, s->nitem_attrs, name) : NULL;
}

const struct schema_relation *schema_relation_find(const struct schema *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->nrelations; i++)
		if (s->relations[i].name && !strcmp(s->relations[i].name, name))
			return &s->relations[i];
	return NULL;
}

long schema_point_index(const struct schema_label *l, const char *name)
{
	if (!l || !l->skeleton || !name)
		return -1;
	for (size_t i = 0; i < l->skeleton->npoints; i++)
		if (!strcmp(l->skeleton->points[i], name))
			return (long)i;
	return -1;
}
