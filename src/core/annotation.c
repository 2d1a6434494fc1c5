/*
 * annotation.c - parses and validates the annotation document (the format
 * of docs/annotation.md) against a label schema, writes its canonical JSON
 * and diffs two documents. One pass over the parsed tree (base/jdom.h) collects every
 * error with its JSON path; ann_doc_parse keeps the first. Shape sanity
 * comes from src/geom/ (areas, boxes, polygon validation, RLE).
 */
#include "core/annotation.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/buf.h"
#include "base/err.h"

#include "geom/geom.h"

#include "base/jdom.h"
#include "core/json_check.h"
#include "core/suggest.h"
#include "base/json_scan.h"
#include "base/banned.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))


static const char *const root_keys[] = {"format", "attributes", "objects", "relations"};
enum {
	K_ID, K_LABEL, K_TYPE, K_POINTS, K_RINGS, K_RLE, K_ATTRIBUTES, K_OCCLUDED, K_Z_ORDER,
	K_GROUP, K_PARENT, K_FRAME, K_TRACK, K_KEYFRAME, K_OUTSIDE, K_SCORE, K_TEXT, K_LOCKED,
	K_COUNT_
};
static const char *const obj_keys[K_COUNT_] = {
	"id", "label", "type", "points", "rings", "rle", "attributes", "occluded", "z_order",
	"group", "parent", "frame", "track", "keyframe", "outside", "score", "text", "locked",
};
static const char *const rle_keys[] = {"size", "counts"};
static const char *const rel_keys[] = {"type", "from", "to"};

static const struct alias key_aliases[] = {
	{"version", "format"}, {"format_version", "format"},
	{"annotations", "objects"}, {"shapes", "objects"}, {"results", "objects"},
	{"result", "objects"}, {"regions", "objects"},
	{"tags", "attributes"}, {"item_attributes", "attributes"}, {"attrs", "attributes"},
	{"attribute", "attributes"}, {"links", "relations"}, {"edges", "relations"},
	{"uid", "id"}, {"uuid", "id"}, {"object_id", "id"}, {"name", "label"},
	{"class", "label"}, {"category", "label"}, {"label_name", "label"}, {"labels", "label"},
	{"shape", "type"}, {"kind", "type"}, {"shape_type", "type"},
	{"coordinates", "points"}, {"coords", "points"}, {"bbox", "points"}, {"vertices", "points"},
	{"keypoints", "points"}, {"value", "points"}, {"holes", "rings"}, {"paths", "rings"},
	{"mask", "rle"}, {"segmentation", "rle"}, {"brush", "rle"},
	{"zorder", "z_order"}, {"z", "z_order"}, {"z_index", "z_order"}, {"zindex", "z_order"},
	{"group_id", "group"}, {"parent_id", "parent"}, {"track_id", "track"},
	{"frame_id", "frame"}, {"confidence", "score"}, {"probability", "score"},
	{"transcription", "text"}, {"ocr", "text"}, {"lock", "locked"}, {"is_locked", "locked"},
	{"key_frame", "keyframe"}, {"size", "size"}, {"shape_size", "size"}, {"count", "counts"},
	{"relation", "type"}, {"source", "from"}, {"target", "to"}, {"from_id", "from"},
	{"to_id", "to"},
	{NULL, NULL},
};

static const struct alias shape_aliases[] = {
	{"rectangle", "box"}, {"rect", "box"}, {"bbox", "box"}, {"bounding_box", "box"},
	{"rotated-box", "rotated_box"}, {"rotatedbox", "rotated_box"},
	{"rotated_rectangle", "rotated_box"}, {"rotated_bbox", "rotated_box"}, {"obb", "rotated_box"},
	{"line", "polyline"}, {"linestrip", "polyline"}, {"polylines", "polyline"},
	{"point", "points"}, {"keypoint", "keypoints"}, {"skeleton", "keypoints"},
	{"brush", "mask"}, {"segmentation", "mask"}, {"bitmap", "mask"}, {"rle", "mask"},
	{"brushlabels", "mask"}, {"circle", "ellipse"}, {"cube", "cuboid"},
	{"ner", "span"}, {"labels", "span"}, {"text_span", "span"},
	{"interval", "segment"}, {"timeline", "segment"}, {"time_segment", "segment"},
	{"classification", "tag"}, {"choice", "tag"}, {"choices", "tag"}, {"label", "tag"},
	{NULL, NULL},
};

/* ---- small helpers ---- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("cairn: out of memory\n", stderr);
		abort();
	}
	return p;
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

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/*
 * A fixed-capacity string -> index hash table with borrowed keys (label
 * names, object ids). Sized at init for at most n entries.
 */
struct smap_ent {
	const char *key;
	size_t val;
};
struct smap {
	struct smap_ent *e;
	size_t mask;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h ^ (h >> 29);
}

static void smap_init(struct smap *m, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	m->e = xcalloc(cap, sizeof *m->e);
	m->mask = cap - 1;
}

static void smap_release(struct smap *m)
{
	free(m->e);
	m->e = NULL;
}

/* Adds key -> val; returns the earlier value when key is there, else -1. */
static long smap_put(struct smap *m, const char *key, size_t val)
{
	for (size_t i = str_hash(key) & m->mask;; i = (i + 1) & m->mask) {
		if (!m->e[i].key) {
			m->e[i].key = key;
			m->e[i].val = val;
			return -1;
		}
		if (!strcmp(m->e[i].key, key))
			return (long)m->e[i].val;
	}
}

static long smap_get(const struct smap *m, const char *key)
{
	if (!m->e)
		return -1;
	for (size_t i = str_hash(key) & m->mask;; i = (i + 1) & m->mask) {
		if (!m->e[i].key)
			return -1;
		if (!strcmp(m->e[i].key, key))
			return (long)m->e[i].val;
	}
}

/* ---- numbers ---- */

/* Writes m with k decimals ("-0.05") into out; returns the length. */
static int put_fixed(char *out, bool neg, uint64_t m, int k)
{
	char dig[24];
	int nd = 0, pos = 0;
	do {
		dig[nd++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (neg)
		out[pos++] = '-';
	if (nd <= k) {
		out[pos++] = '0';
		out[pos++] = '.';
		for (int z = 0; z < k - nd; z++)
			out[pos++] = '0';
		while (nd)
			out[pos++] = dig[--nd];
	} else {
		while (nd) {
			if (nd == k)
				out[pos++] = '.';
			out[pos++] = dig[--nd];
		}
	}
	return pos;
}

/*
 * The fewest decimals k such that the decimal m * 10^-k (m = |v| rounded to
 * k decimals) reads back as |v|, found exactly in integers: |v| = M * 2^E,
 * and the decimal reads back when it is within half an ulp of |v| (a
 * quarter below a power of two, whose lower neighbour is closer; ties are
 * not taken, so the answer never depends on the reader's tie rule).
 * Returns the length written to out, or 0 when |v| is out of this path's
 * range (below 2^-10, at or above 2^53, or needing more than 17 decimals).
 */
static int shortest_fixed(double v, char *out)
{
	typedef unsigned __int128 u128;
	uint64_t bits, M;
	int ex, E;
	memcpy(&bits, &v, sizeof bits);
	ex = (int)((bits >> 52) & 0x7ff);
	if (ex == 0 || ex == 0x7ff)
		return 0;
	M = (bits & ((1ull << 52) - 1)) | (1ull << 52);
	E = ex - 1075;
	if (E >= 0)
		return E == 0 ? put_fixed(out, v < 0, M, 0) : 0;
	if (E < -62)
		return 0;
	unsigned sh = (unsigned)-E;
	u128 p10 = 1;
	unsigned mul = M == (1ull << 52) ? 4 : 2;
	for (int k = 0; k <= 17; k++, p10 *= 10) {
		u128 num = (u128)M * p10;
		u128 m = (num + ((u128)1 << (sh - 1))) >> sh;
		if (m >> 63)
			return 0;
		u128 md = m << sh;
		u128 diff = md > num ? md - num : num - md;
		if (diff * mul < p10)
			return put_fixed(out, v < 0, (uint64_t)m, k);
	}
	return 0;
}

int json_add_double(struct buf *b, double v)
{
	char tmp[48];
	int n;
	if (!isfinite(v))
		return buf_add(b, "null", 4);
	if (v == 0)
		return buf_addch(b, '0');
	if ((n = shortest_fixed(v, tmp)))
		return buf_add(b, tmp, (size_t)n);
	for (int p = 15; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*g", p, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return buf_adds(b, tmp);
}

/* ---- error collection ---- */

struct vctx {
	struct buf path;          /* "$.objects[3]" */
	struct buf *errs;         /* lines "PATH: message\n"; may be NULL */
	int count;
	int rc;                   /* the code of the first error */
	struct buf *warns;        /* may be NULL */
	int nwarn;
	struct buf q[4];          /* scratch for quoted strings in one message */
	int qi;
	const struct schema *sc;
	int32_t width, height;
	struct smap labels;       /* label name -> index */
	struct smap uids;         /* object id -> index */
	const char **label_names; /* for suggestions */
};

static void verr_code(struct vctx *c, int code, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verr(struct vctx *c, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void vwarn(struct vctx *c, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vline(struct buf *out, struct vctx *c, const char *sub, const char *fmt, va_list ap)
{
	buf_addf(out, "%s%s: ", c->path.data, sub ? sub : "");
	buf_vaddf(out, fmt, ap);
	buf_addch(out, '\n');
}

static void verr_code(struct vctx *c, int code, const char *sub, const char *fmt, ...)
{
	va_list ap;
	if (!c->count++)
		c->rc = code;
	if (!c->errs || c->count > ANN_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vline(c->errs, c, sub, fmt, ap);
	va_end(ap);
}

static void verr(struct vctx *c, const char *sub, const char *fmt, ...)
{
	va_list ap;
	if (!c->count++)
		c->rc = CAIRN_EINVAL;
	if (!c->errs || c->count > ANN_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vline(c->errs, c, sub, fmt, ap);
	va_end(ap);
}

static void vwarn(struct vctx *c, const char *sub, const char *fmt, ...)
{
	va_list ap;
	if (!c->warns || ++c->nwarn > ANN_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vline(c->warns, c, sub, fmt, ap);
	va_end(ap);
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

static bool is_ident(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Appends .k, or ["k"] when k is not a plain identifier. */
static void add_key_path(struct buf *p, const char *k)
{
	if (is_ident(k)) {
		buf_addf(p, ".%s", k);
	} else {
		buf_adds(p, "[");
		buf_add_json_str(p, k);
		buf_adds(p, "]");
	}
}

static size_t push_key(struct vctx *c, const char *k)
{
	size_t m = c->path.len;
	add_key_path(&c->path, k);
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

/* Appends " (did you mean 'x'?)", or with list "; expected one of a, b, c". */
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

/* ---- type checks ---- */

/* True when v is of kind w; else reports "expected ..., got ..." at path+sub. */
static bool is(struct vctx *c, const struct jd *v, const char *sub, enum want w)
{
	bool ok = jd_is_want(v, w);
	if (!ok)
		verr(c, sub, "expected %s, got %s", json_want_text(w), jd_type_text(v));
	return ok;
}

/* Reports every key of o that is not in keys, with a suggestion. */
static void check_keys(struct vctx *c, const struct jd *o, const char *const *keys, size_t n)
{
	const char *k;
	const struct jd *v;
	size_t ki;
	jd_foreach(o, ki, k, v) {
		(void)v;
		size_t i;
		for (i = 0; i < n; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (i < n)
			continue;
		struct buf sub = BUF_INIT;
		add_key_path(&sub, k);
		if (!strcmp(k, "hidden")) {
			verr(c, sub.data, "'hidden' is the editor's view state and is not saved "
			     "in the annotation (see 'locked' for a lock everyone sees)");
		} else {
			struct buf m = BUF_INIT;
			buf_addf(&m, "unknown key %s", Q(c, k));
			hint(c, &m, k, keys, n, key_aliases, true);
			verr(c, sub.data, "%s", m.data);
			buf_release(&m);
		}
		buf_release(&sub);
	}
}

/* The member k of o, or NULL when absent or null. */
static const struct jd *member(const struct jd *o, const char *k)
{
	const struct jd *v = jd_get(o, k);
	return jd_is_null(v) ? NULL : v;
}

static bool get_bool(struct vctx *c, const struct jd *v, const char *sub, bool def)
{
	if (!v || jd_is_null(v) || !is(c, v, sub, W_BOOL))
		return def;
	return jd_is_true(v);
}

/* Reads an optional integer in [min, max]; false when absent, null or bad. */
static bool get_int(struct vctx *c, const struct jd *v, const char *sub, int64_t min, int64_t max,
		    int64_t *out)
{
	if (!v || jd_is_null(v) || !is(c, v, sub, W_INTEGER))
		return false;
	int64_t i = jd_int(v);
	if (i < min || i > max) {
		if (min == 0 && max == INT64_MAX)
			verr(c, sub, "%" PRId64 " is negative", (int64_t)i);
		else
			verr(c, sub, "%" PRId64 " is outside [%" PRId64 ", %" PRId64 "]",
			     (int64_t)i, min, max);
		return false;
	}
	*out = i;
	return true;
}

/* ---- attributes ---- */

static void fmt_values(struct vctx *c, struct buf *m, const struct schema_attr *a)
{
	buf_addch(m, '[');
	for (size_t i = 0; i < a->nvalues && i < 10; i++)
		buf_addf(m, "%s%s", i ? ", " : "", Q(c, a->values[i]));
	if (a->nvalues > 10)
		buf_addf(m, ", ... %zu more", a->nvalues - 10);
	buf_addch(m, ']');
}

static void not_among(struct vctx *c, const char *sub, const struct schema_attr *a, const char *s)
{
	struct buf m = BUF_INIT;
	buf_addf(&m, "%s is not among the values ", Q(c, s));
	fmt_values(c, &m, a);
	const char *g = suggest(s, (const char *const *)a->values, a->nvalues, NULL);
	if (g)
		buf_addf(&m, " (did you mean %s?)", Q(c, g));
	verr(c, sub, "%s", m.data);
	buf_release(&m);
}

static long value_index(const struct schema_attr *a, const char *s)
{
	for (size_t i = 0; i < a->nvalues; i++)
		if (!strcmp(a->values[i], s))
			return (long)i;
	return -1;
}

static bool on_grid(double v, double min, double step)
{
	double k = (v - min) / step;
	return fabs(k - nearbyint(k)) <= 1e-9 * (fabs(k) > 1 ? fabs(k) : 1);
}

/* Writes a's default (or null) as JSON. */
static void put_default(struct buf *o, const struct schema_attr *a)
{
	switch (a->type) {
	case ATTR_SELECT:
		if (a->has_default && a->def_value < a->nvalues)
			buf_add_json_str(o, a->values[a->def_value]);
		else
			buf_adds(o, "null");
		break;
	case ATTR_MULTISELECT: {
		bool first = true;
		buf_addch(o, '[');
		for (size_t j = 0; a->def_multi && j < a->nvalues; j++)
			if (a->def_multi[j]) {
				if (!first)
					buf_addch(o, ',');
				buf_add_json_str(o, a->values[j]);
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
			json_add_double(o, a->def_num);
		else
			buf_adds(o, "null");
		break;
	default:
		buf_add_json_str(o, a->def_text ? a->def_text : "");
		break;
	}
}

/*
 * Validates the attributes object v (NULL when absent) against as and
 * returns the canonical JSON text (owned): every attribute in schema order,
 * defaults filled. whose names the owner for messages ("label 'car'").
 */
static char *parse_attrs(struct vctx *c, const struct jd *v, const struct schema_attr *as,
			 size_t n, const char *whose)
{
	struct buf o = BUF_INIT;
	size_t m0 = push_key(c, "attributes");
	bool bad = false;
	if (v && !is(c, v, "", W_OBJECT)) {
		v = NULL;
		bad = true; /* reported once; no "missing" for each attribute */
	}
	if (v && jd_size(v)) {
		const char *k;
		const struct jd *e;
		size_t ki;
		jd_foreach(v, ki, k, e) {
			(void)e;
			size_t i;
			for (i = 0; i < n; i++)
				if (!strcmp(as[i].name, k))
					break;
			if (i < n)
				continue;
			const char **names = xcalloc(n, sizeof *names);
			for (i = 0; i < n; i++)
				names[i] = as[i].name;
			struct buf m = BUF_INIT, sub = BUF_INIT;
			buf_addf(&m, "%s has no attribute %s", whose, Q(c, k));
			hint(c, &m, k, names, n, NULL, false);
			add_key_path(&sub, k);
			verr(c, sub.data, "%s", m.data);
			buf_release(&m);
			buf_release(&sub);
			free(names);
		}
	}
	buf_addch(&o, '{');
	for (size_t i = 0; i < n; i++) {
		const struct schema_attr *a = &as[i];
		const struct jd *e = v ? jd_get(v, a->name) : NULL;
		struct buf sub = BUF_INIT;
		if (i)
			buf_addch(&o, ',');
		buf_add_json_str(&o, a->name);
		buf_addch(&o, ':');
		if (jd_is_null(e))
			e = NULL;
		if (!e) {
			if (a->required && !a->has_default && !bad) {
				struct buf m = BUF_INIT;
				buf_addf(&m, "missing required attribute %s", Q(c, a->name));
				if (a->type == ATTR_SELECT) {
					buf_adds(&m, " (one of ");
					fmt_values(c, &m, a);
					buf_addch(&m, ')');
				} else if (a->type == ATTR_NUMBER) {
					buf_addf(&m, " (a number in [%g, %g])", a->min, a->max);
				}
				verr(c, "", "%s", m.data);
				buf_release(&m);
			}
			put_default(&o, a);
			continue;
		}
		add_key_path(&sub, a->name);
		switch (a->type) {
		case ATTR_SELECT: {
			long j;
			if (!is(c, e, sub.data, W_STRING)) {
				buf_adds(&o, "null");
			} else if ((j = value_index(a, jd_str(e))) < 0) {
				not_among(c, sub.data, a, jd_str(e));
				buf_adds(&o, "null");
			} else {
				buf_add_json_str(&o, a->values[j]);
			}
			break;
		}
		case ATTR_MULTISELECT: {
			bool *on = xcalloc(a->nvalues, sizeof *on), first = true;
			if (is(c, e, sub.data, W_ARRAY)) {
				for (size_t k = 0; k < jd_size(e); k++) {
					const struct jd *x = jd_at(e, k);
					size_t sl = sub.len;
					long j;
					buf_addf(&sub, "[%zu]", k);
					if (!is(c, x, sub.data, W_STRING))
						;
					else if ((j = value_index(a, jd_str(x))) < 0)
						not_among(c, sub.data, a, jd_str(x));
					else if (on[j])
						verr(c, sub.data, "%s is listed twice",
						     Q(c, jd_str(x)));
					else
						on[j] = true;
					buf_setlen(&sub, sl);
				}
			}
			buf_addch(&o, '[');
			for (size_t j = 0; j < a->nvalues; j++)
				if (on[j]) {
					if (!first)
						buf_addch(&o, ',');
					buf_add_json_str(&o, a->values[j]);
					first = false;
				}
			buf_addch(&o, ']');
			free(on);
			break;
		}
		case ATTR_CHECKBOX:
			if (is(c, e, sub.data, W_BOOL))
				buf_adds(&o, jd_is_true(e) ? "true" : "false");
			else
				buf_adds(&o, "false");
			break;
		case ATTR_NUMBER: {
			double d;
			if (!is(c, e, sub.data, W_NUMBER)) {
				buf_adds(&o, "null");
				break;
			}
			d = jd_num(e);
			if (d < a->min || d > a->max)
				verr(c, sub.data, "%g is outside the range [%g, %g]", d, a->min, a->max);
			else if (a->step > 0 && !on_grid(d, a->min, a->step))
				verr(c, sub.data, "%g is not min (%g) plus a multiple of the step (%g)",
				     d, a->min, a->step);
			json_add_double(&o, d);
			break;
		}
		default:
			if (!is(c, e, sub.data, W_STRING)) {
				buf_adds(&o, "\"\"");
			} else if (jd_len(e) > SCHEMA_MAX_TEXT) {
				verr(c, sub.data, "the text is %zu bytes long; at most %d are allowed",
				     jd_len(e), SCHEMA_MAX_TEXT);
				buf_adds(&o, "\"\"");
			} else {
				buf_add_json_strn(&o, jd_str(e), jd_len(e));
			}
			break;
		}
		buf_release(&sub);
	}
	buf_addch(&o, '}');
	pop(c, m0);
	return buf_detach(&o, NULL);
}

/* ---- geometry ---- */

/*
 * Reads the array v of numbers into a new array (owned, *n numbers; NULL on
 * error, reported at path+sub). Each must be a coordinate: finite and at
 * most ANN_MAX_COORD in magnitude.
 */
static double *read_numbers(struct vctx *c, const struct jd *v, const char *sub, size_t *n)
{
	*n = 0;
	if (!is(c, v, sub, W_ARRAY))
		return NULL;
	size_t k = jd_size(v);
	if (k > ANN_MAX_NUMBERS) {
		verr_code(c, CAIRN_ETOOBIG, sub, "%zu numbers; at most %d are allowed in one object",
			  k, ANN_MAX_NUMBERS);
		return NULL;
	}
	double *p = xmalloc((k ? k : 1) * sizeof *p);
	for (size_t i = 0; i < k; i++) {
		const struct jd *e = jd_at(v, i);
		double d;
		if (jd_is_int(e)) {
			d = (double)jd_int(e);
		} else if (jd_is_real(e)) {
			d = jd_num(e);
		} else {
			char s[64];
			snprintf(s, sizeof s, "%s[%zu]", sub, i);
			verr(c, s, "expected a number, got %s", jd_type_text(e));
			free(p);
			return NULL;
		}
		if (!(fabs(d) <= ANN_MAX_COORD)) {
			char s[64];
			snprintf(s, sizeof s, "%s[%zu]", sub, i);
			if (isnan(d))
				verr(c, s, "NaN is not a coordinate");
			else
				verr(c, s, "%g is not a coordinate (at most %g in magnitude)", d,
				     ANN_MAX_COORD);
			free(p);
			return NULL;
		}
		p[i] = d;
	}
	*n = k;
	return p;
}

static bool need_count(struct vctx *c, const char *what, size_t want, size_t got)
{
	if (got == want)
		return true;
	verr(c, ".points", "%s needs %zu numbers, got %zu", what, want, got);
	return false;
}

/* x, y pairs, at least min points. */
static bool need_pairs(struct vctx *c, const char *sub, const char *what, size_t min, size_t got)
{
	if (got % 2) {
		verr(c, sub, "%s needs x, y pairs (an even count of numbers), got %zu", what, got);
		return false;
	}
	if (got < 2 * min) {
		verr(c, sub, "%s needs at least %zu point%s (%zu numbers), got %zu", what, min,
		     min == 1 ? "" : "s", 2 * min, got);
		return false;
	}
	return true;
}

static void set_bbox(struct ann_object *o, box b)
{
	o->x0 = b.x;
	o->y0 = b.y;
	o->x1 = b.x + b.w;
	o->y1 = b.y + b.h;
}

/* Removes the "polygon: " style prefix of a geom message. */
static const char *strip_prefix(const char *s)
{
	const char *p = strstr(s, ": ");
	return p && p - s < 16 ? p + 2 : s;
}

/* Reads "rle" for a mask object into o->mask. */
static bool parse_rle(struct vctx *c, const struct jd *v, struct ann_object *o)
{
	size_t m0 = push_key(c, "rle");
	const struct jd *size, *counts;
	int64_t hw[2] = {0, 0};
	bool ok = false;
	struct buf e = BUF_INIT;

	if (!is(c, v, "", W_OBJECT))
		goto out;
	if (jd_size(v) != (size_t)(jd_get(v, "size") != NULL) +
					   (size_t)(jd_get(v, "counts") != NULL))
		check_keys(c, v, rle_keys, NELEM(rle_keys));
	size = jd_get(v, "size");
	counts = jd_get(v, "counts");
	if (!size || !counts) {
		verr(c, "", "missing required key '%s' (an RLE is {\"size\": [height, width], "
		     "\"counts\": \"...\"})", size ? "counts" : "size");
		goto out;
	}
	if (!is(c, size, ".size", W_ARRAY))
		goto out;
	if (jd_size(size) != 2) {
		verr(c, ".size", "expected [height, width], got %zu numbers", jd_size(size));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		char sub[32];
		snprintf(sub, sizeof sub, ".size[%d]", i);
		if (!get_int(c, jd_at(size, (size_t)i), sub, 1, ANN_MAX_MASK_SIDE, &hw[i])) {
			if (jd_is_null(jd_at(size, (size_t)i)))
				verr(c, sub, "expected an integer, got null");
			goto out;
		}
	}
	if ((uint64_t)hw[0] * (uint64_t)hw[1] > UINT32_MAX) {
		verr(c, ".size", "a mask of %" PRId64 " x %" PRId64 " pixels is too large "
		     "(COCO counts hold at most 2^32-1 pixels)", hw[0], hw[1]);
		goto out;
	}
	if (c->width > 0 && c->height > 0 && (hw[0] != c->height || hw[1] != c->width)) {
		verr(c, ".size", "[%" PRId64 ", %" PRId64 "] does not match the item's size "
		     "[%" PRId32 ", %" PRId32 "] ([height, width])", hw[0], hw[1], c->height,
		     c->width);
		goto out;
	}
	if (jd_is_string(counts)) {
		if (rle_from_stringn(&o->mask, jd_str(counts), jd_len(counts),
				     (uint32_t)hw[0], (uint32_t)hw[1], &e)) {
			verr(c, ".counts", "%s", strip_prefix(e.data));
			goto out;
		}
	} else if (jd_is_array(counts)) {
		/* Uncompressed COCO counts: run lengths, background first. */
		size_t n = jd_size(counts);
		if (n > (uint64_t)hw[0] * (uint64_t)hw[1] + 1) {
			verr(c, ".counts", "%zu runs for %" PRIu64 " pixels", n,
			     (uint64_t)hw[0] * (uint64_t)hw[1]);
			goto out;
		}
		uint32_t *cs = xmalloc((n ? n : 1) * sizeof *cs);
		for (size_t i = 0; i < n; i++) {
			int64_t x;
			char sub[48];
			snprintf(sub, sizeof sub, ".counts[%zu]", i);
			if (!get_int(c, jd_at(counts, i), sub, 0, UINT32_MAX, &x)) {
				if (jd_is_null(jd_at(counts, i)))
					verr(c, sub, "expected an integer, got null");
				free(cs);
				goto out;
			}
			cs[i] = (uint32_t)x;
		}
		rle_from_counts(&o->mask, cs, n, (uint32_t)hw[0], (uint32_t)hw[1]);
		free(cs);
		if (rle_check(&o->mask, &e)) {
			verr(c, ".counts", "%s", strip_prefix(e.data));
			rle_release(&o->mask);
			goto out;
		}
	} else {
		verr(c, ".counts", "expected a string (COCO compressed counts) or an array of "
		     "run lengths, got %s", jd_type_text(counts));
		goto out;
	}
	rle_normalize(&o->mask);
	ok = true;
out:
	buf_release(&e);
	pop(c, m0);
	return ok;
}

/* Reads "rings": an array of x, y arrays (outline first, then holes). */
static bool parse_rings(struct vctx *c, const struct jd *v, struct ann_object *o)
{
	size_t n, total = 0;
	if (!is(c, v, ".rings", W_ARRAY))
		return false;
	n = jd_size(v);
	if (!n) {
		verr(c, ".rings", "a polygon needs at least one ring");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct jd *r = jd_at(v, i);
		char sub[48];
		snprintf(sub, sizeof sub, ".rings[%zu]", i);
		if (!is(c, r, sub, W_ARRAY))
			return false;
		total += jd_size(r);
	}
	if (total > ANN_MAX_NUMBERS) {
		verr_code(c, CAIRN_ETOOBIG, ".rings", "%zu numbers; at most %d are allowed in one "
			  "object", total, ANN_MAX_NUMBERS);
		return false;
	}
	o->pts = xmalloc((total ? total : 1) * sizeof *o->pts);
	o->rings = n > 1 ? xmalloc(n * sizeof *o->rings) : NULL;
	o->nrings = n > 1 ? n : 0;
	for (size_t i = 0; i < n; i++) {
		char sub[48];
		size_t k;
		snprintf(sub, sizeof sub, ".rings[%zu]", i);
		double *p = read_numbers(c, jd_at(v, i), sub, &k);
		if (!p)
			return false;
		if (!need_pairs(c, sub, i ? "a hole" : "a polygon's outline", 3, k)) {
			free(p);
			return false;
		}
		memcpy(o->pts + o->npts, p, k * sizeof *p);
		o->npts += k;
		if (o->rings)
			o->rings[i] = k / 2;
		free(p);
	}
	return true;
}

/* True when v holds only integral values (code points). */
static bool integral(struct vctx *c, const double *p, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != floor(p[i])) {
			char sub[32];
			snprintf(sub, sizeof sub, ".points[%zu]", i);
			verr(c, sub, "%g is not a whole number of %s", p[i], what);
			return false;
		}
	return true;
}

/* Reads and checks the geometry of o (label l, type already checked). */
static bool parse_geometry(struct vctx *c, const struct jd *const *k, const struct schema_label *l,
			   struct ann_object *o)
{
	const struct jd *pv = k[K_POINTS], *rv = k[K_RINGS], *mv = k[K_RLE];
	struct shape s;
	struct buf e = BUF_INIT;
	enum shape_kind t = o->type;
	bool ok = false;

	memset(&s, 0, sizeof s);
	if (jd_is_null(pv))
		pv = NULL;
	if (jd_is_null(rv))
		rv = NULL;
	if (jd_is_null(mv))
		mv = NULL;
	if (rv && t != SHAPE_POLYGON) {
		verr(c, ".rings", "only polygons take 'rings'; a %s has 'points'", shape_kind_name(t));
		return false;
	}
	if (mv && t != SHAPE_MASK) {
		verr(c, ".rle", "only masks take 'rle'");
		return false;
	}
	if (t == SHAPE_MASK) {
		if (pv) {
			verr(c, ".points", "a mask has no 'points'; its pixels are in 'rle'");
			return false;
		}
		if (!mv) {
			verr(c, "", "missing required key 'rle' for a mask");
			return false;
		}
		if (!parse_rle(c, mv, o))
			return false;
		double bb[4];
		rle_bbox(&o->mask, bb);
		o->x0 = bb[0];
		o->y0 = bb[1];
		o->x1 = bb[0] + bb[2];
		o->y1 = bb[1] + bb[3];
		o->area = (double)rle_area(&o->mask);
		if (o->area == 0)
			vwarn(c, ".rle", "the mask is empty");
		return true;
	}
	if (t == SHAPE_TAG) {
		if (pv && !(jd_is_array(pv) && !jd_size(pv))) {
			verr(c, ".points", "a tag has no geometry; leave 'points' out");
			return false;
		}
		return true;
	}
	if (t == SHAPE_POLYGON && pv && rv) {
		verr(c, ".rings", "give either 'points' (one ring) or 'rings' (with holes), not both");
		return false;
	}
	if (t == SHAPE_POLYGON && rv) {
		if (!parse_rings(c, rv, o))
			return false;
	} else {
		if (!pv) {
			verr(c, "", "missing required key 'points' for a %s", shape_kind_name(t));
			return false;
		}
		o->pts = read_numbers(c, pv, ".points", &o->npts);
		if (!o->pts)
			return false;
	}
	double *p = o->pts;
	size_t n = o->npts;
	switch (t) {
	case SHAPE_BOX:
		if (!need_count(c, "a box [x0, y0, x1, y1]", 4, n))
			goto out;
		if (p[2] < p[0] || p[3] < p[1]) {
			bool x = p[2] < p[0];
			verr(c, x ? ".points[2]" : ".points[3]", "%s1 (%g) is less than %s0 (%g)",
			     x ? "x" : "y", p[x ? 2 : 3], x ? "x" : "y", p[x ? 0 : 1]);
			goto out;
		}
		s.kind = GEOM_BOX;
		s.u.box = (box){p[0], p[1], p[2] - p[0], p[3] - p[1]};
		if (p[2] == p[0] || p[3] == p[1])
			vwarn(c, ".points", "the box has zero area");
		break;
	case SHAPE_ROTATED_BOX:
	case SHAPE_ELLIPSE: {
		bool ell = t == SHAPE_ELLIPSE;
		if (!need_count(c, ell ? "an ellipse [cx, cy, rx, ry, angle]"
				       : "a rotated box [cx, cy, w, h, angle]", 5, n))
			goto out;
		for (int i = 2; i < 4; i++)
			if (p[i] < 0) {
				char sub[32];
				snprintf(sub, sizeof sub, ".points[%d]", i);
				verr(c, sub, "the %s is negative (%g)",
				     ell ? (i == 2 ? "x radius" : "y radius") : (i == 2 ? "width" : "height"),
				     p[i]);
				goto out;
			}
		if (p[2] == 0 || p[3] == 0)
			vwarn(c, ".points", "the %s has zero area", ell ? "ellipse" : "rotated box");
		s.kind = ell ? GEOM_ELLIPSE : GEOM_RBOX;
		s.u.rbox = (rbox){p[0], p[1], ell ? 2 * p[2] : p[2], ell ? 2 * p[3] : p[3], p[4]};
		break;
	}
	case SHAPE_POLYGON:
		if (!o->nrings && !need_pairs(c, ".points", "a polygon", 3, n))
			goto out;
		s.kind = GEOM_POLYGON;
		s.xy = p;
		s.n = n / 2;
		s.rings = o->rings;
		s.nrings = o->nrings;
		/* A polygon being drawn may cross itself for a while: a warning. */
		if (polygon_validate(p, n / 2, o->rings, o->nrings, &e))
			vwarn(c, o->nrings ? ".rings" : ".points", "%s", strip_prefix(e.data));
		break;
	case SHAPE_POLYLINE:
	case SHAPE_POINTS:
		if (!need_pairs(c, ".points", t == SHAPE_POINTS ? "points" : "a polyline",
				t == SHAPE_POINTS ? 1 : 2, n))
			goto out;
		s.kind = t == SHAPE_POINTS ? GEOM_POINTS : GEOM_POLYLINE;
		s.xy = p;
		s.n = n / 2;
		break;
	case SHAPE_KEYPOINTS: {
		size_t np = l->skeleton ? l->skeleton->npoints : 0;
		double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
		if (n != 3 * np) {
			verr(c, ".points", "a keypoints object of label %s needs %zu numbers "
			     "(%zu points x 3), got %zu", Q(c, l->name), 3 * np, np, n);
			goto out;
		}
		for (size_t i = 0; i < np; i++) {
			double v = p[3 * i + 2];
			if (v != 0 && v != 1 && v != 2) {
				char sub[32];
				snprintf(sub, sizeof sub, ".points[%zu]", 3 * i + 2);
				verr(c, sub, "the visibility of point %zu (%s) must be 0, 1 or 2, got %g",
				     i, Q(c, l->skeleton->points[i]), v);
				goto out;
			}
			if (v == 0)
				continue;
			x0 = fmin(x0, p[3 * i]);
			x1 = fmax(x1, p[3 * i]);
			y0 = fmin(y0, p[3 * i + 1]);
			y1 = fmax(y1, p[3 * i + 1]);
		}
		if (x0 <= x1) {
			o->x0 = x0;
			o->y0 = y0;
			o->x1 = x1;
			o->y1 = y1;
		}
		ok = true;
		goto image;
	}
	case SHAPE_CUBOID:
		if (!need_count(c, "a cuboid (8 vertices)", 16, n))
			goto out;
		s.kind = GEOM_CUBOID;
		s.xy = p;
		s.n = 8;
		break;
	case SHAPE_SPAN:
	case SHAPE_SEGMENT: {
		bool span = t == SHAPE_SPAN;
		if (!need_count(c, span ? "a span [start, end]" : "a segment [start, end]", 2, n))
			goto out;
		if (span && !integral(c, p, n, "code points"))
			goto out;
		if (p[0] < 0) {
			verr(c, ".points[0]", "the start is negative (%g)", p[0]);
			goto out;
		}
		if (p[1] < p[0]) {
			verr(c, ".points[1]", "the end (%g) is before the start (%g)", p[1], p[0]);
			goto out;
		}
		if (p[1] == p[0])
			vwarn(c, ".points", "the %s is empty", span ? "span" : "segment");
		o->x0 = p[0];
		o->x1 = p[1];
		o->area = p[1] - p[0];
		ok = true;
		goto out;
	}
	default:
		goto out;
	}
	o->area = shape_area(&s);
	set_bbox(o, shape_bbox(&s));
	ok = true;
image:
	if (c->width > 0 && c->height > 0 &&
	    (o->x0 < 0 || o->y0 < 0 || o->x1 > c->width || o->y1 > c->height) &&
	    !(t == SHAPE_KEYPOINTS && o->x0 == 0 && o->x1 == 0 && o->y0 == 0 && o->y1 == 0))
		vwarn(c, o->nrings ? ".rings" : ".points", "reaches outside the %" PRId32 "x%" PRId32
		      " image (bounding box [%g, %g, %g, %g])", c->width, c->height, o->x0, o->y0,
		      o->x1, o->y1);
out:
	buf_release(&e);
	return ok;
}

/* ---- objects ---- */

static bool check_uid(struct vctx *c, const char *sub, const struct jd *v, char out[ANN_MAX_UID + 1])
{
	if (!is(c, v, sub, W_STRING))
		return false;
	const char *s = jd_str(v);
	size_t n = jd_len(v);
	if (!n || n > ANN_MAX_UID) {
		verr(c, sub, "an id is 1 to %d characters, got %zu", ANN_MAX_UID, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '_' && ch != '-') {
			verr(c, sub, "%s: an id may only hold letters, digits, '_' and '-'", Q(c, s));
			return false;
		}
	}
	memcpy(out, s, n + 1);
	return true;
}

static void allowed_list(struct buf *m, uint32_t shapes)
{
	bool first = true;
	for (int i = 0; i < SHAPE_KIND_COUNT_; i++)
		if (shapes & SHAPE_BIT(i)) {
			buf_addf(m, "%s%s", first ? "" : ", ", shape_kind_name((enum shape_kind)i));
			first = false;
		}
}

static void parse_object(struct vctx *c, const struct jd *v, struct ann_object *o, size_t idx)
{
	const struct jd *k[K_COUNT_];
	size_t present = 0;
	const struct schema_label *l = NULL;
	bool type_ok = false;
	int64_t x;

	o->label = SIZE_MAX;
	o->parent_index = SIZE_MAX;
	if (!is(c, v, "", W_OBJECT))
		return;
	for (int i = 0; i < K_COUNT_; i++) {
		k[i] = jd_get(v, obj_keys[i]);
		present += k[i] != NULL;
	}
	if (jd_size(v) != present)
		check_keys(c, v, obj_keys, K_COUNT_);

	/* id */
	if (!k[K_ID] || jd_is_null(k[K_ID])) {
		verr(c, "", "missing required key 'id' (a unique id for the object, such as 'o1')");
	} else if (check_uid(c, ".id", k[K_ID], o->uid)) {
		long prev = smap_put(&c->uids, o->uid, idx);
		if (prev >= 0)
			verr(c, ".id", "duplicate id %s (also at $.objects[%ld])", Q(c, o->uid), prev);
	}

	/* label */
	if (!k[K_LABEL] || jd_is_null(k[K_LABEL])) {
		verr(c, "", "missing required key 'label'");
	} else if (is(c, k[K_LABEL], ".label", W_STRING)) {
		const char *name = jd_str(k[K_LABEL]);
		long li = smap_get(&c->labels, name);
		if (li < 0) {
			struct buf m = BUF_INIT;
			buf_addf(&m, "%s is not a label of this project", Q(c, name));
			hint(c, &m, name, c->label_names, c->sc->nlabels, NULL, false);
			verr(c, ".label", "%s", m.data);
			buf_release(&m);
		} else {
			o->label = (size_t)li;
			l = &c->sc->labels[li];
		}
	}

	/* type */
	if (!k[K_TYPE] || jd_is_null(k[K_TYPE])) {
		verr(c, "", "missing required key 'type'");
	} else if (is(c, k[K_TYPE], ".type", W_STRING)) {
		const char *name = jd_str(k[K_TYPE]);
		if (!shape_kind_parse(name, &o->type)) {
			const char *names[SHAPE_KIND_COUNT_];
			struct buf m = BUF_INIT;
			for (int i = 0; i < SHAPE_KIND_COUNT_; i++)
				names[i] = shape_kind_name((enum shape_kind)i);
			buf_addf(&m, "unknown type %s", Q(c, name));
			hint(c, &m, name, names, SHAPE_KIND_COUNT_, shape_aliases, true);
			verr(c, ".type", "%s", m.data);
			buf_release(&m);
		} else if (l && !(l->shapes & SHAPE_BIT(o->type))) {
			struct buf m = BUF_INIT;
			buf_addf(&m, "label %s does not allow '%s' (allowed: ", Q(c, l->name), name);
			allowed_list(&m, l->shapes);
			buf_addch(&m, ')');
			verr(c, ".type", "%s", m.data);
			buf_release(&m);
		} else {
			type_ok = true;
		}
	}

	if (type_ok && l)
		parse_geometry(c, k, l, o);

	/* attributes */
	if (l) {
		struct buf whose = BUF_INIT;
		buf_addf(&whose, "label %s", Q(c, l->name));
		o->attrs = parse_attrs(c, k[K_ATTRIBUTES], l->attrs, l->nattrs, whose.data);
		buf_release(&whose);
	} else {
		o->attrs = xstrndup("{}", 2);
	}

	o->occluded = get_bool(c, k[K_OCCLUDED], ".occluded", false);
	if (get_int(c, k[K_Z_ORDER], ".z_order", INT32_MIN, INT32_MAX, &x))
		o->z_order = (int32_t)x;
	o->has_group = get_int(c, k[K_GROUP], ".group", 0, INT64_MAX, &o->group);
	if (k[K_PARENT] && !jd_is_null(k[K_PARENT]) &&
	    check_uid(c, ".parent", k[K_PARENT], o->parent) && !strcmp(o->parent, o->uid)) {
		verr(c, ".parent", "an object cannot be its own parent");
		o->parent[0] = 0;
	}
	o->has_frame = get_int(c, k[K_FRAME], ".frame", 0, INT64_MAX, &o->frame);
	o->has_track = get_int(c, k[K_TRACK], ".track", 0, INT64_MAX, &o->track);
	o->keyframe = get_bool(c, k[K_KEYFRAME], ".keyframe", false);
	o->outside = get_bool(c, k[K_OUTSIDE], ".outside", false);
	if (!k[K_TRACK] || jd_is_null(k[K_TRACK])) {
		if (o->keyframe)
			verr(c, ".keyframe", "only a tracked object (with 'track') can be a keyframe");
		if (o->outside)
			verr(c, ".outside", "only a tracked object (with 'track') can be outside");
	} else if (!k[K_FRAME] || jd_is_null(k[K_FRAME])) {
		verr(c, "", "a tracked object (with 'track') needs 'frame'");
	}
	if (k[K_SCORE] && !jd_is_null(k[K_SCORE]) && is(c, k[K_SCORE], ".score", W_NUMBER)) {
		double d = jd_num(k[K_SCORE]);
		if (d < 0 || d > 1)
			verr(c, ".score", "%g is outside [0, 1]", d);
		else {
			o->has_score = true;
			o->score = d;
		}
	}
	if (k[K_TEXT] && !jd_is_null(k[K_TEXT]) && is(c, k[K_TEXT], ".text", W_STRING)) {
		if (jd_len(k[K_TEXT]) > ANN_MAX_TEXT)
			verr(c, ".text", "the text is %zu bytes long; at most %d are allowed",
			     jd_len(k[K_TEXT]), ANN_MAX_TEXT);
		else
			o->text = xstrndup(jd_str(k[K_TEXT]), jd_len(k[K_TEXT]));
	}
	o->locked = get_bool(c, k[K_LOCKED], ".locked", false);
}

/* Resolves parents and rejects parent chains that loop. */
static void link_parents(struct vctx *c, struct ann_doc *d)
{
	unsigned char *state = xcalloc(d->nobjects, 1); /* 0 new, 1 on the walk, 2 done */
	for (size_t i = 0; i < d->nobjects; i++) {
		struct ann_object *o = &d->objects[i];
		if (!o->parent[0])
			continue;
		long p = smap_get(&c->uids, o->parent);
		if (p < 0) {
			char sub[48];
			snprintf(sub, sizeof sub, ".objects[%zu].parent", i);
			verr(c, sub, "no object with id %s in this document", Q(c, o->parent));
			o->parent[0] = 0;
			continue;
		}
		o->parent_index = (size_t)p;
	}
	for (size_t i = 0; i < d->nobjects; i++) {
		size_t j = i;
		while (j != SIZE_MAX && !state[j]) {
			state[j] = 1;
			j = d->objects[j].parent_index;
		}
		size_t loop = j != SIZE_MAX && state[j] == 1 ? j : SIZE_MAX;
		for (j = i; j != SIZE_MAX && state[j] == 1; j = d->objects[j].parent_index)
			state[j] = 2;
		if (loop != SIZE_MAX) {
			char sub[48];
			snprintf(sub, sizeof sub, ".objects[%zu].parent", loop);
			verr(c, sub, "the parent chain of %s loops back to itself",
			     Q(c, d->objects[loop].uid));
			d->objects[loop].parent_index = SIZE_MAX;
		}
	}
	free(state);
}

/* ---- relations ---- */

static bool label_in(const size_t *v, size_t n, size_t label)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (v[i] == label)
			return true;
	return false;
}

static void label_list(const struct schema *sc, struct buf *m, const size_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_addf(m, "%s%s", i ? ", " : "", sc->labels[v[i]].name);
}

static bool rel_end(struct vctx *c, const struct jd *r, const char *key, size_t *out)
{
	const struct jd *v = jd_get(r, key);
	char sub[8], uid[ANN_MAX_UID + 1];
	snprintf(sub, sizeof sub, ".%s", key);
	if (!v || jd_is_null(v)) {
		verr(c, "", "missing required key '%s' (an object id)", key);
		return false;
	}
	if (!check_uid(c, sub, v, uid))
		return false;
	long i = smap_get(&c->uids, uid);
	if (i < 0) {
		verr(c, sub, "no object with id %s in this document", Q(c, uid));
		return false;
	}
	*out = (size_t)i;
	return true;
}

static void parse_relations(struct vctx *c, const struct jd *arr, struct ann_doc *d)
{
	const struct schema *sc = c->sc;
	size_t n = jd_size(arr);
	struct smap seen;
	char **keys;
	size_t m0 = push_key(c, "relations");

	if (n > ANN_MAX_RELATIONS) {
		verr_code(c, CAIRN_ETOOBIG, "", "%zu relations; at most %d are allowed", n,
			  ANN_MAX_RELATIONS);
		pop(c, m0);
		return;
	}
	d->relations = xcalloc(n, sizeof *d->relations);
	keys = xcalloc(n, sizeof *keys);
	smap_init(&seen, n);
	for (size_t i = 0; i < n; i++) {
		const struct jd *r = jd_at(arr, i);
		size_t m = push_idx(c, i);
		struct ann_relation rel = {0, 0, 0};
		const struct schema_relation *rt = NULL;
		bool ok = true;
		if (!is(c, r, "", W_OBJECT)) {
			pop(c, m);
			continue;
		}
		if (jd_size(r) != (size_t)(jd_get(r, "type") != NULL) +
					       (size_t)(jd_get(r, "from") != NULL) +
					       (size_t)(jd_get(r, "to") != NULL))
			check_keys(c, r, rel_keys, NELEM(rel_keys));
		const struct jd *t = jd_get(r, "type");
		if (!t || jd_is_null(t)) {
			verr(c, "", "missing required key 'type' (a relation type of the schema)");
			ok = false;
		} else if (!is(c, t, ".type", W_STRING)) {
			ok = false;
		} else {
			const char *name = jd_str(t);
			size_t j;
			for (j = 0; j < sc->nrelations; j++)
				if (!strcmp(sc->relations[j].name, name))
					break;
			if (j == sc->nrelations) {
				struct buf msg = BUF_INIT;
				const char **names = xcalloc(sc->nrelations, sizeof *names);
				for (j = 0; j < sc->nrelations; j++)
					names[j] = sc->relations[j].name;
				buf_addf(&msg, "%s is not a relation type of this project", Q(c, name));
				if (!sc->nrelations)
					buf_adds(&msg, " (it has none)");
				else
					hint(c, &msg, name, names, sc->nrelations, NULL, true);
				verr(c, ".type", "%s", msg.data);
				buf_release(&msg);
				free(names);
				ok = false;
			} else {
				rel.type = j;
				rt = &sc->relations[j];
			}
		}
		ok &= rel_end(c, r, "from", &rel.from);
		ok &= rel_end(c, r, "to", &rel.to);
		if (ok && rel.from == rel.to) {
			verr(c, ".to", "an object cannot be related to itself");
			ok = false;
		}
		if (ok) {
			size_t lf = d->objects[rel.from].label, lt = d->objects[rel.to].label;
			if (lf != SIZE_MAX && lt != SIZE_MAX) {
				bool fwd = label_in(rt->from, rt->nfrom, lf) && label_in(rt->to, rt->nto, lt);
				bool back = !rt->directed && label_in(rt->from, rt->nfrom, lt) &&
					    label_in(rt->to, rt->nto, lf);
				if (!fwd && !back) {
					struct buf msg = BUF_INIT;
					bool from_bad = !label_in(rt->from, rt->nfrom, lf);
					buf_addf(&msg, "a %s relation cannot %s label %s (allowed: ",
						 Q(c, rt->name), from_bad ? "start at" : "end at",
						 Q(c, sc->labels[from_bad ? lf : lt].name));
					if (from_bad)
						label_list(sc, &msg, rt->from, rt->nfrom);
					else
						label_list(sc, &msg, rt->to, rt->nto);
					buf_addch(&msg, ')');
					verr(c, from_bad ? ".from" : ".to", "%s", msg.data);
					buf_release(&msg);
					ok = false;
				}
			}
		}
		if (ok) {
			/* The same relation twice (either way round when undirected). */
			const char *a = d->objects[rel.from].uid, *b = d->objects[rel.to].uid;
			if (!rt->directed && strcmp(a, b) > 0) {
				const char *tmp = a;
				a = b;
				b = tmp;
			}
			struct buf key = BUF_INIT;
			buf_addf(&key, "%zu\x1f%s\x1f%s", rel.type, a, b);
			keys[i] = buf_detach(&key, NULL);
			long prev = smap_put(&seen, keys[i], i);
			if (prev >= 0)
				verr(c, "", "the same relation as $.relations[%ld]", prev);
			else
				d->relations[d->nrelations++] = rel;
		}
		pop(c, m);
	}
	smap_release(&seen);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	pop(c, m0);
}

/* ---- root ---- */

static void parse_root(struct vctx *c, const struct jd *root, struct ann_doc *d)
{
	const struct jd *v;
	if (!jd_is_object(root)) {
		verr(c, "", "expected an object (an annotation document), got %s", jd_type_text(root));
		return;
	}
	check_keys(c, root, root_keys, NELEM(root_keys));
	v = jd_get(root, "format");
	if (!v) {
		verr(c, "", "missing required key 'format' (%d)", ANN_FORMAT);
	} else if (is(c, v, ".format", W_INTEGER)) {
		int64_t f = jd_int(v);
		if (f > ANN_FORMAT)
			verr_code(c, CAIRN_EVERSION, ".format", "format %" PRId64 " was written by a "
				  "newer Cairn; this one reads format %d", (int64_t)f, ANN_FORMAT);
		else if (f != ANN_FORMAT)
			verr(c, ".format", "unknown format %" PRId64 "; expected %d", (int64_t)f,
			     ANN_FORMAT);
	}
	if (c->count)
		return; /* an unknown format is not worth reading further */

	v = member(root, "objects");
	if (v && is(c, v, ".objects", W_ARRAY)) {
		size_t n = jd_size(v);
		if (n > ANN_MAX_OBJECTS) {
			verr_code(c, CAIRN_ETOOBIG, ".objects", "%zu objects; at most %d are allowed",
				  n, ANN_MAX_OBJECTS);
			return;
		}
		d->objects = xcalloc(n, sizeof *d->objects);
		d->nobjects = n;
		smap_init(&c->uids, n);
		size_t m0 = push_key(c, "objects");
		for (size_t i = 0; i < n; i++) {
			size_t m = push_idx(c, i);
			parse_object(c, jd_at(v, i), &d->objects[i], i);
			pop(c, m);
		}
		pop(c, m0);
		link_parents(c, d);
	}
	d->attrs = parse_attrs(c, member(root, "attributes"), c->sc->item_attrs,
			       c->sc->nitem_attrs, "the project");
	v = member(root, "relations");
	if (v && is(c, v, ".relations", W_ARRAY))
		parse_relations(c, v, d);
}

/* ---- raw-text scanning: nesting depth, and the JSON path at a byte offset ---- */


/* ---- entry points ---- */

/* Whether containers nest more than max deep under v (at depth). */
static bool jd_too_deep(const struct jd *v, int depth, int max)
{
	if (!jd_is_array(v) && !jd_is_object(v))
		return false;
	if (depth > max)
		return true;
	for (size_t i = 0; i < v->n; i++)
		if (jd_too_deep(jd_is_array(v) ? &v->u.items[i] : &v->u.members[i].v, depth + 1, max))
			return true;
	return false;
}

static int run(const char *json, size_t len, const struct schema *sc, int32_t width,
	       int32_t height, struct ann_doc *d, struct buf *errs, int *count,
	       struct buf *warns)
{
	struct vctx c;
	struct jd_error je;
	struct arena tree = ARENA_INIT;
	const struct jd *root;
	size_t line;

	memset(&c, 0, sizeof c);
	c.path = (struct buf)BUF_INIT;
	c.errs = errs;
	c.warns = warns;
	c.sc = sc;
	c.width = width;
	c.height = height;
	for (int i = 0; i < 4; i++)
		c.q[i] = (struct buf)BUF_INIT;
	buf_adds(&c.path, "$");
	if (!json)
		json = "";
	if (!sc) {
		verr_code(&c, CAIRN_EINTERNAL, "", "no schema to validate against");
		goto out;
	}
	size_t ws = 0;
	while (ws < len && (json[ws] == ' ' || json[ws] == '\t' || json[ws] == '\n' || json[ws] == '\r'))
		ws++;
	if (ws == len) {
		verr(&c, "", "the document is empty; an annotation is a JSON object");
		goto out;
	}
	/* The parser stops one level past the limit; the raw-text scan, which
	 * names the line, runs only on a document that failed or came out too
	 * deep (so not over every good 34 KB save). */
	root = jd_parse(&tree, json, len, ANN_MAX_DEPTH + 1, &je);
	if ((!root || jd_too_deep(root, 1, ANN_MAX_DEPTH)) &&
	    (line = json_scan_too_deep(json, len, ANN_MAX_DEPTH))) {
		verr(&c, "", "nesting deeper than %d levels at line %zu", ANN_MAX_DEPTH, line);
		goto out;
	}
	if (!root) {
		struct buf p = BUF_INIT, k = BUF_INIT;
		if (je.duplicate) {
			json_scan_path_at(json, len, je.position, &p, &k);
			buf_setf(&c.path, "%s", p.data);
			verr(&c, "", "duplicate key %s (line %d)", Q(&c, k.data), je.line);
		} else {
			json_scan_path_at(json, len, je.position, &p, NULL);
			buf_setf(&c.path, "%s", p.data);
			verr(&c, "", "invalid JSON at line %d, column %d: %s", je.line, je.column,
			     je.text);
		}
		buf_release(&p);
		buf_release(&k);
		goto out;
	}
	smap_init(&c.labels, sc->nlabels);
	c.label_names = xcalloc(sc->nlabels, sizeof *c.label_names);
	for (size_t i = 0; i < sc->nlabels; i++) {
		smap_put(&c.labels, sc->labels[i].name, i);
		c.label_names[i] = sc->labels[i].name;
	}
	parse_root(&c, root, d);
out:
	arena_release(&tree);
	if (count)
		*count = c.count;
	smap_release(&c.labels);
	smap_release(&c.uids);
	free(c.label_names);
	buf_release(&c.path);
	for (int i = 0; i < 4; i++)
		buf_release(&c.q[i]);
	return c.count ? c.rc : 0;
}

int ann_doc_validate_all(const char *json, size_t len, const struct schema *sc, int32_t width,
			 int32_t height, struct buf *errors, int *count, struct buf *warnings)
{
	struct ann_doc d;
	memset(&d, 0, sizeof d);
	int rc = run(json, len, sc, width, height, &d, errors, count, warnings);
	ann_doc_release(&d);
	return rc;
}

int ann_doc_parse(struct ann_doc *out, const char *json, size_t len, const struct schema *sc,
		  int32_t width, int32_t height, struct buf *err, struct buf *warnings)
{
	struct buf errs = BUF_INIT;
	size_t wlen = warnings ? warnings->len : 0;
	memset(out, 0, sizeof *out);
	int rc = run(json, len, sc, width, height, out, &errs, NULL, warnings);
	if (rc) {
		char *nl = strchr(errs.data, '\n');
		if (nl)
			*nl = 0;
		buf_setf(err, "annotation: %s", errs.data);
		ann_doc_release(out);
		if (warnings)
			buf_setlen(warnings, wlen);
	}
	buf_release(&errs);
	return rc;
}

static void object_release(struct ann_object *o)
{
	free(o->pts);
	free(o->rings);
	rle_release(&o->mask);
	free(o->attrs);
	free(o->text);
}

void ann_doc_release(struct ann_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nobjects; i++)
		object_release(&d->objects[i]);
	free(d->objects);
	free(d->attrs);
	free(d->relations);
	memset(d, 0, sizeof *d);
}

/* ---- canonical JSON ---- */

static void put_nums(struct buf *o, const double *p, size_t n)
{
	buf_addch(o, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(o, ',');
		json_add_double(o, p[i]);
	}
	buf_addch(o, ']');
}

static void put_opt_int(struct buf *o, bool has, int64_t v)
{
	if (has)
		buf_addf(o, "%" PRId64, v);
	else
		buf_adds(o, "null");
}

static bool all_finite(const double *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(p[i]))
			return false;
	return true;
}

static int put_object(struct buf *o, const struct ann_object *ob, const struct schema *sc)
{
	if (ob->label >= sc->nlabels || (unsigned)ob->type >= SHAPE_KIND_COUNT_ ||
	    !all_finite(ob->pts, ob->npts) || (ob->has_score && !isfinite(ob->score)))
		return CAIRN_EINVAL;
	buf_adds(o, "{\"id\":");
	buf_add_json_str(o, ob->uid);
	buf_adds(o, ",\"label\":");
	buf_add_json_str(o, sc->labels[ob->label].name);
	buf_adds(o, ",\"type\":\"");
	buf_adds(o, shape_kind_name(ob->type));
	buf_addch(o, '"');
	if (ob->type == SHAPE_MASK) {
		/* The counts alphabet includes '\\', so the string is escaped. */
		struct buf counts = BUF_INIT;
		buf_addf(o, ",\"rle\":{\"size\":[%" PRIu32 ",%" PRIu32 "],\"counts\":",
			 ob->mask.h, ob->mask.w);
		if (rle_to_string(&ob->mask, &counts)) {
			buf_release(&counts);
			return CAIRN_EINVAL;
		}
		buf_add_json_strn(o, counts.data, counts.len);
		buf_release(&counts);
		buf_adds(o, "}");
	} else if (ob->type == SHAPE_POLYGON && ob->rings && ob->nrings > 1) {
		size_t off = 0;
		buf_adds(o, ",\"rings\":[");
		for (size_t i = 0; i < ob->nrings; i++) {
			if (i)
				buf_addch(o, ',');
			if (off + 2 * ob->rings[i] > ob->npts)
				return CAIRN_EINVAL;
			put_nums(o, ob->pts + off, 2 * ob->rings[i]);
			off += 2 * ob->rings[i];
		}
		buf_addch(o, ']');
	} else if (ob->type != SHAPE_TAG) {
		buf_adds(o, ",\"points\":");
		put_nums(o, ob->pts, ob->npts);
	}
	buf_adds(o, ",\"attributes\":");
	buf_adds(o, ob->attrs ? ob->attrs : "{}");
	buf_adds(o, ob->occluded ? ",\"occluded\":true" : ",\"occluded\":false");
	buf_addf(o, ",\"z_order\":%" PRId32 ",\"group\":", ob->z_order);
	put_opt_int(o, ob->has_group, ob->group);
	buf_adds(o, ",\"parent\":");
	if (ob->parent[0])
		buf_add_json_str(o, ob->parent);
	else
		buf_adds(o, "null");
	buf_adds(o, ",\"frame\":");
	put_opt_int(o, ob->has_frame, ob->frame);
	buf_adds(o, ",\"track\":");
	put_opt_int(o, ob->has_track, ob->track);
	buf_adds(o, ob->keyframe ? ",\"keyframe\":true" : ",\"keyframe\":false");
	buf_adds(o, ob->outside ? ",\"outside\":true" : ",\"outside\":false");
	buf_adds(o, ",\"score\":");
	if (ob->has_score)
		json_add_double(o, ob->score);
	else
		buf_adds(o, "null");
	buf_adds(o, ",\"text\":");
	if (ob->text)
		buf_add_json_str(o, ob->text);
	else
		buf_adds(o, "null");
	buf_adds(o, ob->locked ? ",\"locked\":true}" : ",\"locked\":false}");
	return 0;
}

int ann_doc_to_json(const struct ann_doc *d, const struct schema *sc, struct buf *out)
{
	size_t start = out->len;
	int rc = 0;
	buf_addf(out, "{\n  \"format\": %d,\n  \"attributes\": %s,\n  \"objects\": [", ANN_FORMAT,
		 d->attrs ? d->attrs : "{}");
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		buf_adds(out, i ? ",\n    " : "\n    ");
		rc = put_object(out, &d->objects[i], sc);
	}
	buf_adds(out, d->nobjects ? "\n  ],\n  \"relations\": [" : "],\n  \"relations\": [");
	for (size_t i = 0; i < d->nrelations && !rc; i++) {
		const struct ann_relation *r = &d->relations[i];
		if (r->type >= sc->nrelations || r->from >= d->nobjects || r->to >= d->nobjects) {
			rc = CAIRN_EINVAL;
			break;
		}
		buf_adds(out, i ? ",\n    {\"type\":" : "\n    {\"type\":");
		buf_add_json_str(out, sc->relations[r->type].name);
		buf_adds(out, ",\"from\":");
		buf_add_json_str(out, d->objects[r->from].uid);
		buf_adds(out, ",\"to\":");
		buf_add_json_str(out, d->objects[r->to].uid);
		buf_addch(out, '}');
	}
	buf_adds(out, d->nrelations ? "\n  ]\n}\n" : "]\n}\n");
	if (!rc && out->max && out->len >= out->max)
		rc = CAIRN_ETOOBIG;
	if (rc)
		buf_setlen(out, start);
	return rc;
}

/* ---- diff ---- */

static bool nums_equal(const double *a, size_t na, const double *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char *label_name(const struct schema *sc, size_t i)
{
	return i < sc->nlabels ? sc->labels[i].name : "";
}

/* Appends the names of the fields that differ between x and y. */
static void diff_fields(struct buf *f, const struct ann_object *x, const struct schema *sa,
			const struct ann_object *y, const struct schema *sb)
{
	bool first = true;
#define FIELD(cond, name) \
	do { \
		if (cond) { \
			buf_addf(f, "%s\"%s\"", first ? "" : ",", name); \
			first = false; \
		} \
	} while (0)
	FIELD(strcmp(label_name(sa, x->label), label_name(sb, y->label)), "label");
	FIELD(x->type != y->type, "type");
	bool geom_same = x->type == y->type && nums_equal(x->pts, x->npts, y->pts, y->npts) &&
			 x->nrings == y->nrings &&
			 (!x->nrings || !memcmp(x->rings, y->rings, x->nrings * sizeof *x->rings)) &&
			 (x->type != SHAPE_MASK || rle_equal(&x->mask, &y->mask));
	FIELD(!geom_same, x->type == SHAPE_MASK ? "rle" : "points");
	FIELD(!str_equal(x->attrs, y->attrs), "attributes");
	FIELD(x->occluded != y->occluded, "occluded");
	FIELD(x->z_order != y->z_order, "z_order");
	FIELD(x->has_group != y->has_group || (x->has_group && x->group != y->group), "group");
	FIELD(strcmp(x->parent, y->parent), "parent");
	FIELD(x->has_frame != y->has_frame || (x->has_frame && x->frame != y->frame), "frame");
	FIELD(x->has_track != y->has_track || (x->has_track && x->track != y->track), "track");
	FIELD(x->keyframe != y->keyframe, "keyframe");
	FIELD(x->outside != y->outside, "outside");
	FIELD(x->has_score != y->has_score || (x->has_score && x->score != y->score), "score");
	FIELD(!str_equal(x->text, y->text), "text");
	FIELD(x->locked != y->locked, "locked");
#undef FIELD
}

/* "type\x1ffrom\x1fto" for relation r of d (either way round when undirected). */
static char *rel_key(const struct ann_doc *d, const struct schema *sc, const struct ann_relation *r)
{
	struct buf k = BUF_INIT;
	const char *t = r->type < sc->nrelations ? sc->relations[r->type].name : "";
	const char *a = r->from < d->nobjects ? d->objects[r->from].uid : "";
	const char *b = r->to < d->nobjects ? d->objects[r->to].uid : "";
	if (r->type < sc->nrelations && !sc->relations[r->type].directed && strcmp(a, b) > 0) {
		const char *tmp = a;
		a = b;
		b = tmp;
	}
	buf_addf(&k, "%s\x1f%s\x1f%s", t, a, b);
	return buf_detach(&k, NULL);
}

static void put_rel(struct buf *o, const struct ann_doc *d, const struct schema *sc,
		    const struct ann_relation *r)
{
	buf_adds(o, "{\"type\":");
	buf_add_json_str(o, r->type < sc->nrelations ? sc->relations[r->type].name : "");
	buf_adds(o, ",\"from\":");
	buf_add_json_str(o, r->from < d->nobjects ? d->objects[r->from].uid : "");
	buf_adds(o, ",\"to\":");
	buf_add_json_str(o, r->to < d->nobjects ? d->objects[r->to].uid : "");
	buf_addch(o, '}');
}

/* Appends the relations of x that y lacks, as a JSON array. */
static void rel_minus(struct buf *o, const struct ann_doc *x, const struct schema *sx,
		      const struct ann_doc *y, const struct schema *sy)
{
	struct smap m;
	char **keys = xcalloc(y->nrelations, sizeof *keys);
	bool first = true;
	smap_init(&m, y->nrelations);
	for (size_t i = 0; i < y->nrelations; i++) {
		keys[i] = rel_key(y, sy, &y->relations[i]);
		smap_put(&m, keys[i], i);
	}
	buf_addch(o, '[');
	for (size_t i = 0; i < x->nrelations; i++) {
		char *k = rel_key(x, sx, &x->relations[i]);
		if (smap_get(&m, k) < 0) {
			if (!first)
				buf_addch(o, ',');
			put_rel(o, x, sx, &x->relations[i]);
			first = false;
		}
		free(k);
	}
	buf_addch(o, ']');
	for (size_t i = 0; i < y->nrelations; i++)
		free(keys[i]);
	free(keys);
	smap_release(&m);
}

bool ann_doc_changes(const struct ann_doc *a, const struct ann_doc *b, const struct schema *sc,
		     bool *changed, size_t *removed, size_t *nremoved)
{
	struct smap ma, mb;
	struct buf f = BUF_INIT;
	bool any = !str_equal(a->attrs ? a->attrs : "{}", b->attrs ? b->attrs : "{}");
	smap_init(&ma, a->nobjects);
	smap_init(&mb, b->nobjects);
	for (size_t i = 0; i < a->nobjects; i++)
		smap_put(&ma, a->objects[i].uid, i);
	for (size_t i = 0; i < b->nobjects; i++)
		smap_put(&mb, b->objects[i].uid, i);
	for (size_t i = 0; i < b->nobjects; i++) {
		long j = smap_get(&ma, b->objects[i].uid);
		if (j < 0) {
			changed[i] = true;
		} else {
			buf_reset(&f);
			diff_fields(&f, &a->objects[j], sc, &b->objects[i], sc);
			changed[i] = f.len > 0;
		}
		any |= changed[i];
	}
	*nremoved = 0;
	for (size_t i = 0; i < a->nobjects; i++)
		if (smap_get(&mb, a->objects[i].uid) < 0)
			removed[(*nremoved)++] = i;
	any |= *nremoved > 0;
	if (!any) {
		struct buf r = BUF_INIT;
		rel_minus(&r, b, sc, a, sc);
		rel_minus(&r, a, sc, b, sc);
		any = strcmp(r.data ? r.data : "", "[][]") != 0;
		buf_release(&r);
	}
	smap_release(&ma);
	smap_release(&mb);
	buf_release(&f);
	return any;
}

int ann_doc_diff(const struct ann_doc *a, const struct schema *sa, const struct ann_doc *b,
		 const struct schema *sb, struct buf *out)
{
	struct smap ma, mb;
	struct buf added = BUF_INIT, changed = BUF_INIT, fields = BUF_INIT, f = BUF_INIT;
	size_t start = out->len;
	bool fa = true, fc = true, fr = true;

	if (!sb)
		sb = sa;
	smap_init(&ma, a->nobjects);
	smap_init(&mb, b->nobjects);
	for (size_t i = 0; i < a->nobjects; i++)
		smap_put(&ma, a->objects[i].uid, i);
	for (size_t i = 0; i < b->nobjects; i++)
		smap_put(&mb, b->objects[i].uid, i);
	for (size_t i = 0; i < b->nobjects; i++) {
		const struct ann_object *y = &b->objects[i];
		long j = smap_get(&ma, y->uid);
		if (j < 0) {
			if (!fa)
				buf_addch(&added, ',');
			buf_add_json_str(&added, y->uid);
			fa = false;
			continue;
		}
		buf_reset(&f);
		diff_fields(&f, &a->objects[j], sa, y, sb);
		if (!f.len)
			continue;
		if (!fc)
			buf_addch(&changed, ',');
		buf_add_json_str(&changed, y->uid);
		fc = false;
		if (!fr)
			buf_addch(&fields, ',');
		buf_add_json_str(&fields, y->uid);
		buf_addf(&fields, ":[%s]", f.data);
		fr = false;
	}
	buf_addf(out, "{\"added\":[%s],\"removed\":[", added.data);
	bool first = true;
	for (size_t i = 0; i < a->nobjects; i++)
		if (smap_get(&mb, a->objects[i].uid) < 0) {
			if (!first)
				buf_addch(out, ',');
			buf_add_json_str(out, a->objects[i].uid);
			first = false;
		}
	buf_addf(out, "],\"changed\":[%s],\"fields\":{%s},\"attributes\":%s,"
		 "\"relations\":{\"added\":", changed.data, fields.data,
		 str_equal(a->attrs ? a->attrs : "{}", b->attrs ? b->attrs : "{}") ? "false" : "true");
	rel_minus(out, b, sb, a, sa);
	buf_adds(out, ",\"removed\":");
	rel_minus(out, a, sa, b, sb);
	int rc = buf_adds(out, "}}");
	if (!rc && out->max && out->len >= out->max)
		rc = CAIRN_ETOOBIG;
	if (rc)
		buf_setlen(out, start);
	smap_release(&ma);
	smap_release(&mb);
	buf_release(&added);
	buf_release(&changed);
	buf_release(&fields);
	buf_release(&f);
	return rc;
}
