/*
 * fmt_labelstudio.c - Label Studio's JSON export (a list of tasks), both
 * ways. The reader streams the file with yajl and builds one task at a time
 * as a small tree (memory is per task, not per file); coordinates come in
 * percent of original_width/original_height and go to the sink in pixels.
 * The writer streams result.json, one task per item.
 * Conventions and normalisations: docs/formats/labelstudio.md.
 */
#include "formats/fmt_labelstudio.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yajl/yajl_parse.h>

#include "base/err.h"
#include "core/json_check.h"
#include "formats/fmt.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_labelstudio_probe(const char *path);
int fmt_labelstudio_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_labelstudio_write(struct store *st, int64_t project_id, const char *out,
			  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define MAX_DEPTH 64
#define PI 3.14159265358979323846

/* ---- brush RLE ---- */

struct bits {
	const uint8_t *b;
	size_t n;      /* bytes */
	uint64_t pos;  /* bit position */
};

static int bits_read(struct bits *r, unsigned k, uint32_t *v)
{
	if (r->pos + k > (uint64_t)r->n * 8)
		return -1;
	uint32_t x = 0;
	for (unsigned i = 0; i < k; i++, r->pos++)
		x = (x << 1) | ((r->b[r->pos >> 3] >> (7 - (r->pos & 7))) & 1u);
	*v = x;
	return 0;
}

/* Marks pixels whose alpha (value index 4p+3) lies in [i, j) as set when v != 0. */
static void fill_alpha(uint8_t *bm, uint64_t npx, uint64_t i, uint64_t j, uint32_t v)
{
	if (j <= 3 || j <= i)
		return;
	uint64_t p0 = i <= 3 ? 0 : (i - 3 + 3) / 4;
	uint64_t p1 = (j - 1 - 3) / 4 + 1; /* last p with 4p+3 <= j-1, plus one */
	if (p1 > npx)
		p1 = npx;
	if (p0 < p1)
		memset(bm + p0, v ? 1 : 0, (size_t)(p1 - p0));
}

int fmt_ls_brush_decode(const uint8_t *bytes, size_t n, uint32_t h, uint32_t w, struct rle *out,
			struct buf *err)
{
	memset(out, 0, sizeof(*out));
	struct bits r = {bytes, n, 0};
	uint32_t num, ws, rs[4];
	if (bits_read(&r, 32, &num) || bits_read(&r, 5, &ws)) {
		buf_setf(err, "brush rle: %zu bytes is too short for the header", n);
		return CAIRN_EINVAL;
	}
	ws += 1;
	for (int k = 0; k < 4; k++) {
		if (bits_read(&r, 4, &rs[k])) {
			buf_setf(err, "brush rle: %zu bytes is too short for the header", n);
			return CAIRN_EINVAL;
		}
		rs[k] += 1;
	}
	uint64_t npx = (uint64_t)h * w;
	if ((uint64_t)num != npx * 4) {
		buf_setf(err, "brush rle: holds %u values, but a %ux%u RGBA image has %llu", num, w, h,
			 (unsigned long long)(npx * 4));
		return CAIRN_EINVAL;
	}
	uint8_t *bm = calloc(npx ? npx : 1, 1);
	if (!bm)
		abort();
	uint64_t i = 0;
	while (i < num) {
		uint32_t x, sel, len, v;
		if (bits_read(&r, 1, &x) || bits_read(&r, 2, &sel) || bits_read(&r, rs[sel], &len)) {
			buf_setf(err, "brush rle: ends after %llu of %u values",
				 (unsigned long long)i, num);
			free(bm);
			return CAIRN_EINVAL;
		}
		uint64_t j = i + 1 + len;
		if (j > num)
			j = num; /* as Label Studio's decoders, which fill up to the end */
		if (x) {
			if (bits_read(&r, ws, &v))
				goto short_;
			fill_alpha(bm, npx, i, j, v);
			i = j;
		} else {
			for (; i < j; i++) {
				if (bits_read(&r, ws, &v))
					goto short_;
				if ((i & 3) == 3)
					bm[i >> 2] = v != 0;
			}
		}
	}
	int rc = rle_from_bitmap_rowmajor(out, bm, h, w);
	free(bm);
	if (rc)
		buf_setf(err, "brush rle: a %ux%u mask is too big", w, h);
	return rc;
short_:
	buf_setf(err, "brush rle: ends after %llu of %u values", (unsigned long long)i, num);
	free(bm);
	return CAIRN_EINVAL;
}

struct bitw {
	uint8_t *b;
	size_t n, cap;
	unsigned fill; /* bits used in the last byte, 0..7 (0: none open) */
};

static void bits_put(struct bitw *o, uint32_t v, unsigned k)
{
	for (int i = (int)k - 1; i >= 0; i--) {
		if (o->fill == 0) {
			if (o->n == o->cap) {
				o->cap = o->cap ? 2 * o->cap : 256;
				o->b = xrealloc(o->b, o->cap);
			}
			o->b[o->n++] = 0;
		}
		if ((v >> i) & 1u)
			o->b[o->n - 1] |= (uint8_t)(0x80u >> o->fill);
		o->fill = (o->fill + 1) & 7;
	}
}

/* A run of len equal values v (len >= 1), as series of at most 65536. */
static void put_run(struct bitw *o, uint64_t len, uint32_t v)
{
	static const unsigned sz[4] = {3, 4, 8, 16};
	while (len) {
		uint64_t l = len > 65536 ? 65536 : len;
		unsigned sel = l <= 8 ? 0 : l <= 16 ? 1 : l <= 256 ? 2 : 3;
		bits_put(o, l > 1 ? 1 : 0, 1);
		bits_put(o, sel, 2);
		bits_put(o, (uint32_t)(l - 1), sz[sel]);
		bits_put(o, v, 8);
		len -= l;
	}
}

void fmt_ls_brush_encode(const struct rle *m, uint8_t **bytes, size_t *n)
{
	struct bitw o = {0};
	uint64_t npx = (uint64_t)m->h * m->w;
	bits_put(&o, (uint32_t)(npx * 4), 32);
	bits_put(&o, 7, 5);
	bits_put(&o, 2, 4);
	bits_put(&o, 3, 4);
	bits_put(&o, 7, 4);
	bits_put(&o, 15, 4);
	uint8_t *bm = malloc(npx ? npx : 1);
	if (!bm)
		abort();
	if (rle_to_bitmap_rowmajor(m, bm))
		memset(bm, 0, npx);
	uint64_t i = 0;
	while (i < npx) {
		uint64_t j = i + 1;
		while (j < npx && bm[j] == bm[i])
			j++;
		put_run(&o, (j - i) * 4, bm[i] ? 255 : 0);
		i = j;
	}
	free(bm);
	*bytes = o.b ? o.b : xrealloc(NULL, 1);
	*n = o.n;
}

/* ---- rotation ---- */

void fmt_ls_rect_to_rbox(const double in[5], double out[5])
{
	double a = in[4] * PI / 180, c = cos(a), s = sin(a);
	double hw = in[2] / 2, hh = in[3] / 2;
	out[0] = in[0] + hw * c - hh * s;
	out[1] = in[1] + hw * s + hh * c;
	out[2] = in[2];
	out[3] = in[3];
	out[4] = in[4];
}

void fmt_ls_rbox_to_rect(const double in[5], double out[5])
{
	double a = in[4] * PI / 180, c = cos(a), s = sin(a);
	double hw = in[2] / 2, hh = in[3] / 2;
	out[0] = in[0] - hw * c + hh * s;
	out[1] = in[1] - hw * s - hh * c;
	out[2] = in[2];
	out[3] = in[3];
	out[4] = in[4];
}

/* ---- reading ---- */

struct lbl {
	char *name;
	int64_t id;
};

/* Label names -> category ids, open addressing; shared by the files of one read. */
struct lbls {
	struct lbl *v;
	size_t n, cap;
};

static void lbls_release(struct lbls *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct rd {
	struct fmt_sink *s;
	struct buf *err;
	const char *name;
	size_t index;              /* task index */
	int depth;
	json_t *stack[MAX_DEPTH];
	char *keys[MAX_DEPTH];
	int nstack;
	int rc;
	bool top_seen;
	struct lbls *lt;
	int64_t next_task;
	struct buf where, val;
	bool predictions;          /* import predictions, not annotations */
};

static uint64_t hash_s(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The category id of a label name, declared on first use. */
static int label_id(struct rd *r, const char *name, const char *where, int64_t *id)
{
	if (2 * (r->lt->n + 1) > r->lt->cap) {
		size_t nc = r->lt->cap ? 2 * r->lt->cap : 64;
		struct lbl *nv = calloc(nc, sizeof(*nv));
		if (!nv)
			abort();
		for (size_t i = 0; i < r->lt->cap; i++) {
			if (!r->lt->v[i].name)
				continue;
			size_t k = (size_t)hash_s(r->lt->v[i].name) & (nc - 1);
			while (nv[k].name)
				k = (k + 1) & (nc - 1);
			nv[k] = r->lt->v[i];
		}
		free(r->lt->v);
		r->lt->v = nv;
		r->lt->cap = nc;
	}
	size_t k = (size_t)hash_s(name) & (r->lt->cap - 1);
	for (; r->lt->v[k].name; k = (k + 1) & (r->lt->cap - 1))
		if (!strcmp(r->lt->v[k].name, name)) {
			*id = r->lt->v[k].id;
			return 0;
		}
	struct fmt_category c = {0};
	c.id = (int64_t)r->lt->n + 1;
	c.name = name;
	c.where = where;
	int rc = fmt_sink_category(r->s, &c);
	if (rc)
		return rc;
	r->lt->v[k].name = xstrdup(name);
	r->lt->v[k].id = c.id;
	r->lt->n++;
	*id = c.id;
	return 0;
}

/* The offending value as an error shows it: "abc" quoted, numbers, else the type. */
static const char *show(struct rd *r, const json_t *v)
{
	buf_reset(&r->val);
	json_value_text(&r->val, v);
	return r->val.data;
}

/* "tasks.json: $[3].annotations[0].result[2]" + sub. */
static const char *at(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *at(struct rd *r, const char *fmt, ...)
{
	buf_reset(&r->where);
	buf_addf(&r->where, "%s: $[%zu]", r->name, r->index);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&r->where, fmt, ap);
	va_end(ap);
	return r->where.data;
}

/* Reports bad input at r->where; 1 to skip the record, or an error. */
static int bad(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct rd *r, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	char *w = xstrdup(r->where.data);
	int rc = fmt_sink_invalid(r->s, w, "%s", m.data);
	free(w);
	buf_release(&m);
	return rc ? rc : 1;
}

/* A number member of value; path is the result's path. */
static int num(struct rd *r, const json_t *obj, const char *path, const char *key, bool required,
	       double dflt, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (!required) {
			*out = dflt;
			return 0;
		}
		at(r, "%s.%s", path, key);
		return bad(r, "missing");
	}
	if (!json_is_number(v)) {
		at(r, "%s.%s", path, key);
		return bad(r, "expected a number, got %s", show(r, v));
	}
	*out = json_number_value(v);
	if (!isfinite(*out) || fabs(*out) > 1e9) {
		at(r, "%s.%s", path, key);
		return bad(r, "%s is out of range", show(r, v));
	}
	return 0;
}

/* One region: a geometry result, and what other results with its id add. */
struct region {
	const char *id;            /* borrowed from the task tree */
	size_t res;                /* result index */
	json_t *attrs;             /* owned */
	struct buf text;
	bool dead;                 /* skipped */
	struct fmt_object o;
	double *pts;               /* owned */
	struct rle mask;
	char where[160];
};

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;
	return strcmp(x->id, y->id);
}

static bool is_geom(const char *type)
{
	return !strcmp(type, "rectanglelabels") || !strcmp(type, "polygonlabels") ||
	       !strcmp(type, "keypointlabels") || !strcmp(type, "ellipselabels") ||
	       !strcmp(type, "brushlabels") || !strcmp(type, "rectangle") ||
	       !strcmp(type, "polygon") || !strcmp(type, "keypoint") || !strcmp(type, "ellipse") ||
	       !strcmp(type, "brush");
}

/* The labels key of a type ("rectanglelabels" for "rectanglelabels"). */
static void set_attr_str(json_t **a, const char *k, const char *v)
{
	if (!*a)
		*a = json_object();
	json_object_set_new(*a, k, json_string(v));
}

static const char *default_from(const char *type)
{
	if (!strcmp(type, "choices"))
		return "choice";
	if (!strcmp(type, "textarea"))
		return "transcription";
	return "label";
}

/* Keeps from_name, to_name and parentID when they differ from what the writer writes. */
static void keep_names(json_t **attrs, const json_t *res, const char *type)
{
	const char *f = json_string_value(json_object_get(res, "from_name"));
	const char *t = json_string_value(json_object_get(res, "to_name"));
	const char *p = json_string_value(json_object_get(res, "parentID"));
	if (f && strcmp(f, default_from(type)))
		set_attr_str(attrs, "ls_from_name", f);
	if (t && strcmp(t, "image"))
		set_attr_str(attrs, "ls_to_name", t);
	if (p && *p)
		set_attr_str(attrs, "ls_parentID", p);
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The image's base name from data.image, percent-decoded: "/data/upload/1/a%20b.jpg" ->
 * "a b.jpg", "/data/local-files/?d=images%5Ca.jpg" -> "a.jpg". */
static void base_name(const char *url, struct buf *out)
{
	buf_reset(out);
	const char *d = strstr(url, "?d=");
	const char *s = d ? d + 3 : url;
	const char *q = d ? strchr(s, '&') : strpbrk(s, "?#");
	size_t len = q ? (size_t)(q - s) : strlen(s);
	struct buf dec = BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
			char c = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			buf_addch(&dec, c ? c : '_');
			i += 2;
		} else {
			buf_addch(&dec, s[i]);
		}
	}
	const char *b = dec.data;
	for (const char *p = dec.data; p && *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	buf_adds(out, b ? b : "");
	buf_release(&dec);
}

static int task_size(struct rd *r, const json_t *res, const char *path, int32_t *W, int32_t *H)
{
	const char *keys[2] = {"original_width", "original_height"};
	int32_t *dst[2] = {W, H};
	for (int k = 0; k < 2; k++) {
		json_t *v = json_object_get(res, keys[k]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > ANN_MAX_MASK_SIDE) {
			if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
			    json_real_value(v) > 0 && json_real_value(v) <= ANN_MAX_MASK_SIDE) {
				/* 640.0 is 640 */
			} else {
				at(r, "%s.%s", path, keys[k]);
				return bad(r, "expected an image size in pixels, got %s", show(r, v));
			}
		}
		int32_t n = (int32_t)json_number_value(v);
		if (*dst[k] && *dst[k] != n) {
			at(r, "%s.%s", path, keys[k]);
			return bad(r, "%d differs from %d of an earlier result of the task", (int)n,
				   (int)*dst[k]);
		}
		*dst[k] = n;
	}
	return 0;
}

/* The label of a geometry result: value.<type>[0] (or value.labels). */
static int region_label(struct rd *r, const json_t *val, const char *type, const char *path,
			const char **label)
{
	json_t *l = json_object_get(val, type);
	char key[40];
	snprintf(key, sizeof(key), "%s", type);
	if (!l) {
		l = json_object_get(val, "labels");
		snprintf(key, sizeof(key), "labels");
	}
	if (!l) {
		at(r, "%s.value", path);
		return bad(r, "no labels (expected \"%s\": [\"name\"])", type);
	}
	if (!json_is_array(l) || !json_array_size(l) || !json_is_string(json_array_get(l, 0))) {
		at(r, "%s.value.%s", path, key);
		return bad(r, "expected a list of label names, got %s", show(r, l));
	}
	if (json_array_size(l) > 1)
		fmt_sink_note(r->s, "label of a region after its first (kept the first)");
	*label = json_string_value(json_array_get(l, 0));
	return 0;
}

static int geom_result(struct rd *r, struct region *g, const json_t *res, const char *path,
		       int32_t W, int32_t H)
{
	const char *type = json_string_value(json_object_get(res, "type"));
	json_t *val = json_object_get(res, "value");
	int rc;
	if (!json_is_object(val)) {
		at(r, "%s.value", path);
		return bad(r, "expected an object, got %s", val ? show(r, val) : "nothing");
	}
	if (!W || !H) {
		at(r, "%s", path);
		return bad(r, "no original_width and original_height, which percentages need");
	}
	const char *label = NULL;
	if ((rc = region_label(r, val, !strcmp(type, "rectangle") ? "rectanglelabels" : type, path,
			       &label)))
		return rc;
	at(r, "%s", path);
	snprintf(g->where, sizeof(g->where), "%s", r->where.data);
	if ((rc = label_id(r, label, g->where, &g->o.category_id)))
		return rc;
	double sx = W / 100.0, sy = H / 100.0;
	char vp[200];
	snprintf(vp, sizeof(vp), "%s.value", path);
	if (strstr(type, "rectangle")) {
		double x, y, w, h, rot;
		if ((rc = num(r, val, vp, "x", true, 0, &x)) || (rc = num(r, val, vp, "y", true, 0, &y)) ||
		    (rc = num(r, val, vp, "width", true, 0, &w)) ||
		    (rc = num(r, val, vp, "height", true, 0, &h)) ||
		    (rc = num(r, val, vp, "rotation", false, 0, &rot)))
			return rc;
		if (w < 0 || h < 0) {
			at(r, "%s.%s", vp, w < 0 ? "width" : "height");
			return bad(r, "expected a size >= 0, got %s",
				   show(r, json_object_get(val, w < 0 ? "width" : "height")));
		}
		g->pts = xrealloc(NULL, 5 * sizeof(double));
		if (rot == 0) {
			g->o.type = SHAPE_BOX;
			g->pts[0] = x * sx;
			g->pts[1] = y * sy;
			g->pts[2] = (x + w) * sx;
			g->pts[3] = (y + h) * sy;
			g->o.npts = 4;
		} else {
			double in[5] = {x * sx, y * sy, w * sx, h * sy, rot};
			fmt_ls_rect_to_rbox(in, g->pts);
			g->pts[4] = fmod(g->pts[4], 360);
			if (g->pts[4] < 0)
				g->pts[4] += 360;
			g->o.type = SHAPE_ROTATED_BOX;
			g->o.npts = 5;
		}
	} else if (strstr(type, "ellipse")) {
		double x, y, rx, ry, rot;
		if ((rc = num(r, val, vp, "x", true, 0, &x)) || (rc = num(r, val, vp, "y", true, 0, &y)) ||
		    (rc = num(r, val, vp, "radiusX", true, 0, &rx)) ||
		    (rc = num(r, val, vp, "radiusY", true, 0, &ry)) ||
		    (rc = num(r, val, vp, "rotation", false, 0, &rot)))
			return rc;
		if (rx < 0 || ry < 0) {
			at(r, "%s.%s", vp, rx < 0 ? "radiusX" : "radiusY");
			return bad(r, "expected a radius >= 0, got %s",
				   show(r, json_object_get(val, rx < 0 ? "radiusX" : "radiusY")));
		}
		rot = fmod(rot, 360);
		if (rot < 0)
			rot += 360;
		g->pts = xrealloc(NULL, 5 * sizeof(double));
		double v[5] = {x * sx, y * sy, rx * sx, ry * sy, rot};
		memcpy(g->pts, v, sizeof(v));
		g->o.type = SHAPE_ELLIPSE;
		g->o.npts = 5;
	} else if (strstr(type, "keypoint")) {
		double x, y, w;
		if ((rc = num(r, val, vp, "x", true, 0, &x)) || (rc = num(r, val, vp, "y", true, 0, &y)) ||
		    (rc = num(r, val, vp, "width", false, 0, &w)))
			return rc;
		g->pts = xrealloc(NULL, 2 * sizeof(double));
		g->pts[0] = x * sx;
		g->pts[1] = y * sy;
		g->o.type = SHAPE_POINTS;
		g->o.npts = 2;
	} else if (strstr(type, "polygon")) {
		json_t *p = json_object_get(val, "points");
		if (!json_is_array(p)) {
			at(r, "%s.points", vp);
			return bad(r, "expected a list of [x, y] points, got %s",
				   p ? show(r, p) : "nothing");
		}
		size_t n = json_array_size(p);
		if (n < 3) {
			at(r, "%s.points", vp);
			return bad(r, "a polygon needs 3 points or more, got %zu", n);
		}
		g->pts = xrealloc(NULL, 2 * n * sizeof(double));
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(p, i);
			if (!json_is_array(e) || json_array_size(e) != 2) {
				at(r, "%s.points[%zu]", vp, i);
				return bad(r, "expected [x, y], got %s", show(r, e));
			}
			for (size_t k = 0; k < 2; k++) {
				json_t *c = json_array_get(e, k);
				if (!json_is_number(c) || !isfinite(json_number_value(c)) ||
				    fabs(json_number_value(c)) > 1e9) {
					at(r, "%s.points[%zu][%zu]", vp, i, k);
					return bad(r, "expected a number, got %s", show(r, c));
				}
				g->pts[2 * i + k] = json_number_value(c) * (k ? sy : sx);
			}
		}
		g->o.type = SHAPE_POLYGON;
		g->o.npts = 2 * n;
	} else { /* brush */
		json_t *fmt = json_object_get(val, "format");
		json_t *rl = json_object_get(val, "rle");
		if (fmt && (!json_is_string(fmt) || strcmp(json_string_value(fmt), "rle"))) {
			at(r, "%s.format", vp);
			return bad(r, "only \"rle\" brush masks can be read, got %s", show(r, fmt));
		}
		if (!json_is_array(rl)) {
			at(r, "%s.rle", vp);
			return bad(r, "expected a list of bytes, got %s", rl ? show(r, rl) : "nothing");
		}
		size_t n = json_array_size(rl);
		uint8_t *b = xrealloc(NULL, n);
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(rl, i);
			if (!json_is_integer(e) || json_integer_value(e) < 0 ||
			    json_integer_value(e) > 255) {
				free(b);
				at(r, "%s.rle[%zu]", vp, i);
				return bad(r, "expected a byte (0 to 255), got %s", show(r, e));
			}
			b[i] = (uint8_t)json_integer_value(e);
		}
		struct buf e = BUF_INIT;
		rc = fmt_ls_brush_decode(b, n, (uint32_t)H, (uint32_t)W, &g->mask, &e);
		free(b);
		if (rc) {
			at(r, "%s.rle", vp);
			rc = bad(r, "%s", e.data);
			buf_release(&e);
			return rc;
		}
		buf_release(&e);
		g->o.type = SHAPE_MASK; /* o.mask is set when emitted: qsort moves regions */
	}
	return 0;
}

static void region_release(struct region *g)
{
	json_decref(g->attrs);
	buf_release(&g->text);
	free(g->pts);
	rle_release(&g->mask);
}

/* Emits the results of one annotation (or prediction). */
static int read_results(struct rd *r, const json_t *list, const char *lp, int64_t task,
			int32_t W, int32_t H, bool has_score, double score)
{
	json_t *res = json_object_get(list, "result");
	if (!res || json_is_null(res))
		return 0;
	if (!json_is_array(res)) {
		at(r, "%s.result", lp);
		return bad(r, "expected a list of results, got %s", show(r, res));
	}
	size_t n = json_array_size(res);
	struct region *g = calloc(n + 1, sizeof(*g));
	if (!g)
		abort();
	size_t ng = 0;
	int rc = 0;
	char path[128];
	/* Pass 1: geometry. */
	for (size_t i = 0; i < n && rc <= 0; i++) {
		json_t *e = json_array_get(res, i);
		snprintf(path, sizeof(path), "%s.result[%zu]", lp, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (!json_is_object(e) || !type) {
			at(r, "%s%s", path, json_is_object(e) ? ".type" : "");
			rc = bad(r, json_is_object(e) ? "expected a result type, got %s"
						      : "expected an object, got %s",
				 json_is_object(e) ? (json_object_get(e, "type") ?
						      show(r, json_object_get(e, "type")) : "nothing")
						   : show(r, e));
			continue;
		}
		if (!is_geom(type))
			continue;
		struct region *x = &g[ng];
		x->text = (struct buf)BUF_INIT;
		x->res = i;
		const char *id = json_string_value(json_object_get(e, "id"));
		x->id = id ? id : "";
		int q = geom_result(r, x, e, path, W, H);
		if (q) {
			region_release(x);
			memset(x, 0, sizeof(*x));
			rc = q;
			continue;
		}
		keep_names(&x->attrs, e, type);
		json_t *sc = json_object_get(e, "score");
		if (json_is_number(sc)) {
			x->o.has_score = true;
			x->o.score = json_number_value(sc);
		} else if (has_score) {
			x->o.has_score = true;
			x->o.score = score;
		}
		if (x->o.has_score && (x->o.score < 0 || x->o.score > 1)) {
			fmt_sink_note(r->s, "score outside 0..1 (not kept)");
			x->o.has_score = false;
		}
		ng++;
	}
	if (rc < 0)
		goto out;
	qsort(g, ng, sizeof(*g), cmp_region);
	/* Pass 2: what is not geometry. */
	for (size_t i = 0; i < n && rc >= 0; i++) {
		json_t *e = json_array_get(res, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (!type || is_geom(type))
			continue;
		snprintf(path, sizeof(path), "%s.result[%zu]", lp, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		struct region key = {0};
		key.id = id ? id : "";
		struct region *reg = id && ng ? bsearch(&key, g, ng, sizeof(*g), cmp_region) : NULL;
		json_t *val = json_object_get(e, "value");
		if (!strcmp(type, "choices") || !strcmp(type, "textarea")) {
			json_t *arr = json_object_get(val, strcmp(type, "choices") ? "text" : "choices");
			if (!json_is_array(arr) || !json_array_size(arr)) {
				at(r, "%s.value.%s", path, strcmp(type, "choices") ? "text" : "choices");
				rc = bad(r, "expected a list of strings, got %s",
					 arr ? show(r, arr) : "nothing");
				continue;
			}
			for (size_t k = 0; k < json_array_size(arr); k++)
				if (!json_is_string(json_array_get(arr, k))) {
					at(r, "%s.value.%s[%zu]", path,
					   strcmp(type, "choices") ? "text" : "choices", k);
					rc = bad(r, "expected a string, got %s",
						 show(r, json_array_get(arr, k)));
					break;
				}
			if (rc)
				continue;
			const char *from = json_string_value(json_object_get(e, "from_name"));
			if (reg && !strcmp(type, "textarea")) {
				for (size_t k = 0; k < json_array_size(arr); k++) {
					if (reg->text.len)
						buf_addch(&reg->text, '\n');
					buf_adds(&reg->text, json_string_value(json_array_get(arr, k)));
				}
				if (from && strcmp(from, "transcription"))
					set_attr_str(&reg->attrs, "ls_textarea", from);
			} else if (reg) {
				/* A per-region choice: an attribute named after the control. */
				set_attr_str(&reg->attrs, from && *from ? from : "choice",
					     json_string_value(json_array_get(arr, 0)));
				if (json_array_size(arr) > 1)
					fmt_sink_note(r->s, "choice of a region after its first (kept the first)");
			} else if (!strcmp(type, "textarea")) {
				fmt_sink_note(r->s, "textarea not tied to a region (not imported)");
			} else {
				/* Whole-image choices: one tag each. */
				for (size_t k = 0; k < json_array_size(arr) && !rc; k++) {
					struct fmt_object o = {0};
					json_t *attrs = NULL;
					keep_names(&attrs, e, type);
					if (!k)
						o.uid = json_string_value(json_object_get(e, "id"));
					at(r, "%s.value.choices[%zu]", path, k);
					char *w = xstrdup(r->where.data);
					o.image_id = task;
					o.type = SHAPE_TAG;
					o.attrs = attrs;
					o.where = w;
					json_t *sc = json_object_get(e, "score");
					if (json_is_number(sc) && json_number_value(sc) >= 0 &&
					    json_number_value(sc) <= 1) {
						o.has_score = true;
						o.score = json_number_value(sc);
					} else if (has_score && score >= 0 && score <= 1) {
						o.has_score = true;
						o.score = score;
					}
					rc = label_id(r, json_string_value(json_array_get(arr, k)), w,
						      &o.category_id);
					if (!rc)
						rc = fmt_sink_object(r->s, &o);
					json_decref(attrs);
					free(w);
				}
			}
		} else if (!strcmp(type, "number") && reg && json_is_number(json_object_get(val, "number"))) {
			const char *from = json_string_value(json_object_get(e, "from_name"));
			if (!reg->attrs)
				reg->attrs = json_object();
			json_object_set(reg->attrs, from && *from ? from : "number",
					json_object_get(val, "number"));
		} else if (!strcmp(type, "labels")) {
			fmt_sink_note(r->s, "text span in an image task (not imported)");
		} else if (!strcmp(type, "relation")) {
			fmt_sink_note(r->s, "relation (not imported)");
		} else {
			char what[96];
			snprintf(what, sizeof(what), "%.40s result (not imported)", type);
			fmt_sink_note(r->s, what);
		}
	}
	if (rc < 0)
		goto out;
	rc = 0;
	/* Emit in the file's order. */
	size_t *ord = xrealloc(NULL, (ng + 1) * sizeof(size_t));
	for (size_t i = 0; i < ng; i++)
		ord[i] = i;
	for (size_t i = 1; i < ng; i++) { /* insertion sort by result index: ng is per annotation */
		size_t k = ord[i], j = i;
		while (j > 0 && g[ord[j - 1]].res > g[k].res) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = k;
	}
	for (size_t q = 0; q < ng && !rc; q++) {
		struct region *x = &g[ord[q]];
		if (!x->o.type && !x->pts && !x->mask.counts)
			continue;
		x->o.image_id = task;
		x->o.pts = x->pts;
		x->o.attrs = x->attrs;
		x->o.where = x->where;
		x->o.uid = x->id;
		if (x->o.type == SHAPE_MASK)
			x->o.mask = &x->mask;
		if (x->text.len)
			x->o.text = x->text.data;
		rc = fmt_sink_object(r->s, &x->o);
	}
	free(ord);
out:
	for (size_t i = 0; i < ng; i++)
		region_release(&g[i]);
	free(g);
	return rc < 0 ? rc : 0;
}

static const char *const image_keys[] = {"image", "img", "image_url", "url", NULL};

static bool image_ext(const char *s)
{
	const char *q = strpbrk(s, "?#");
	size_t l = q ? (size_t)(q - s) : strlen(s);
	static const char *const ex[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif",
					 ".tiff"};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		size_t e = strlen(ex[i]);
		if (l >= e && !strncasecmp(s + l - e, ex[i], e))
			return true;
	}
	return false;
}

static int on_task(struct rd *r, json_t *t)
{
	if (!json_is_object(t)) {
		at(r, "%s", "");
		return bad(r, "expected a task object, got %s", show(r, t));
	}
	int64_t id;
	json_t *jid = json_object_get(t, "id");
	if (json_is_integer(jid)) {
		id = json_integer_value(jid);
	} else if (!jid || json_is_null(jid)) {
		id = ++r->next_task;
		fmt_sink_note(r->s, "task without an id (numbered from 1)");
	} else {
		at(r, ".id");
		return bad(r, "expected an integer task id, got %s", show(r, jid));
	}
	json_t *data = json_object_get(t, "data");
	if (!json_is_object(data)) {
		at(r, ".data");
		return bad(r, "expected an object, got %s", data ? show(r, data) : "nothing");
	}
	const char *url = NULL;
	const char *ukey = NULL;
	for (int i = 0; image_keys[i] && !url; i++) {
		json_t *v = json_object_get(data, image_keys[i]);
		if (v && !json_is_string(v)) {
			at(r, ".data.%s", image_keys[i]);
			return bad(r, "expected an image path or URL, got %s", show(r, v));
		}
		url = json_string_value(v);
		ukey = image_keys[i];
	}
	const char *k;
	json_t *v;
	if (!url)
		json_object_foreach(data, k, v) if (!url && json_is_string(v) &&
						      image_ext(json_string_value(v))) {
			url = json_string_value(v);
			ukey = k;
		}
	if (!url) {
		fmt_sink_note(r->s, json_object_get(data, "text")
			      ? "text task (not imported: the import makes image items)"
			      : "task without an image (not imported)");
		return 0;
	}
	json_object_foreach(data, k, v) if (strcmp(k, ukey))
		fmt_sink_note(r->s, "task data besides the image");
	struct buf fn = BUF_INIT;
	base_name(url, &fn);
	if (!fn.len || !strcmp(fn.data, "..") || !strcmp(fn.data, ".")) {
		buf_release(&fn);
		at(r, ".data.%s", ukey);
		return bad(r, "no file name in %s", show(r, json_object_get(data, ukey)));
	}
	/* Which list: annotations, or predictions with --as prediction. */
	const char *lname = r->predictions ? "predictions" : "annotations";
	const char *other = r->predictions ? "annotations" : "predictions";
	json_t *lists = json_object_get(t, lname);
	int rc = 0;
	if (lists && !json_is_array(lists) && !json_is_null(lists)) {
		at(r, ".%s", lname);
		rc = bad(r, "expected a list, got %s", show(r, lists));
		buf_release(&fn);
		return rc;
	}
	json_t *ol = json_object_get(t, other);
	if (json_is_array(ol) && json_array_size(ol))
		fmt_sink_note(r->s, r->predictions ? "annotation (not imported with --as prediction)"
				    : "prediction (not imported: give --as prediction)");
	size_t pick = SIZE_MAX;
	for (size_t i = 0; i < json_array_size(lists); i++) {
		json_t *a = json_array_get(lists, i);
		if (!json_is_object(a)) {
			at(r, ".%s[%zu]", lname, i);
			rc = bad(r, "expected an object, got %s", show(r, a));
			if (rc < 0)
				break;
			continue;
		}
		if (json_is_true(json_object_get(a, "was_cancelled"))) {
			fmt_sink_note(r->s, "cancelled annotation (not imported)");
			continue;
		}
		if (pick == SIZE_MAX)
			pick = i;
		else
			fmt_sink_note(r->s, r->predictions ? "prediction after the first of a task (not imported)"
					    : "annotation after the first of a task (not imported)");
	}
	if (rc < 0) {
		buf_release(&fn);
		return rc;
	}
	/* The image size from the results. */
	int32_t W = 0, H = 0;
	json_t *chosen = pick == SIZE_MAX ? NULL : json_array_get(lists, pick);
	json_t *res = json_object_get(chosen, "result");
	for (size_t i = 0; i < json_array_size(res); i++) {
		char path[96];
		snprintf(path, sizeof(path), ".%s[%zu].result[%zu]", lname, pick, i);
		json_t *e = json_array_get(res, i);
		if (json_is_object(e) && (rc = task_size(r, e, path, &W, &H))) {
			buf_release(&fn);
			return rc;
		}
		json_t *ir = json_object_get(e, "image_rotation");
		if (json_is_number(ir) && json_number_value(ir) != 0)
			fmt_sink_note(r->s, "image_rotation (not applied)");
	}
	struct fmt_image im = {0};
	im.id = id;
	im.file_name = fn.data;
	im.width = W;
	im.height = H;
	char *w = xstrdup(at(r, "%s", ""));
	im.where = w;
	rc = fmt_sink_image(r->s, &im);
	free(w);
	buf_release(&fn);
	if (rc || !chosen)
		return rc;
	if (!r->predictions && (json_object_get(chosen, "completed_by") || json_object_get(chosen, "id")))
		fmt_sink_note(r->s, "annotation id, completed_by and times");
	double score = 0;
	bool has_score = false;
	json_t *sc = json_object_get(chosen, "score");
	if (json_is_number(sc)) {
		has_score = true;
		score = json_number_value(sc);
	}
	char lp[64];
	snprintf(lp, sizeof(lp), ".%s[%zu]", lname, pick);
	return read_results(r, chosen, lp, id, W, H, has_score, score);
}

static int task_done(struct rd *r, json_t *t)
{
	int rc = on_task(r, t);
	json_decref(t);
	r->index++;
	if (rc < 0) {
		r->rc = rc;
		return 0;
	}
	return 1;
}

static int put(struct rd *r, json_t *v)
{
	if (r->nstack == 0) {
		if (r->depth == 0) {
			json_decref(v);
			r->rc = fmt_sink_invalid(r->s, r->name, "$: expected a list of tasks, got a %s",
						 "scalar");
			if (!r->rc)
				r->rc = CAIRN_EINVAL;
			return 0;
		}
		return task_done(r, v);
	}
	json_t *top = r->stack[r->nstack - 1];
	if (json_is_array(top)) {
		json_array_append_new(top, v);
	} else {
		char *k = r->keys[r->nstack - 1];
		json_object_set_new_nocheck(top, k ? k : "", v);
		free(k);
		r->keys[r->nstack - 1] = NULL;
	}
	return 1;
}

static int y_null(void *c) { return put(c, json_null()); }
static int y_bool(void *c, int b) { return put(c, json_boolean(b)); }

static int y_number(void *c, const char *s, size_t n)
{
	struct rd *r = c;
	char tmp[64];
	if (n >= sizeof(tmp)) {
		r->rc = fmt_sink_invalid(r->s, at(r, "%s", ""), "the number '%.40s...' is out of range", s);
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	if (!strpbrk(tmp, ".eE")) {
		errno = 0;
		long long v = strtoll(tmp, &end, 10);
		if (!errno)
			return put(r, json_integer(v));
	}
	double d = strtod(tmp, &end);
	if (!isfinite(d)) {
		r->rc = fmt_sink_invalid(r->s, at(r, "%s", ""), "the number '%s' is out of range", tmp);
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	return put(r, json_real(d));
}

static int y_string(void *c, const unsigned char *s, size_t n)
{
	return put(c, json_stringn_nocheck((const char *)s, n));
}

static int open_c(struct rd *r, json_t *v)
{
	if (r->depth == 0) {
		r->depth++;
		r->top_seen = true;
		if (!json_is_array(v)) {
			json_decref(v);
			r->rc = fmt_sink_invalid(r->s, r->name,
						 "$: expected a list of tasks, got an object");
			if (!r->rc)
				r->rc = CAIRN_EINVAL;
			return 0;
		}
		json_decref(v);
		return 1;
	}
	r->depth++;
	if (r->nstack == MAX_DEPTH) {
		json_decref(v);
		r->rc = fmt_sink_invalid(r->s, at(r, "%s", ""), "nested deeper than %d levels", MAX_DEPTH);
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	if (r->nstack) {
		json_t *top = r->stack[r->nstack - 1];
		if (json_is_array(top)) {
			json_array_append(top, v);
		} else {
			char *k = r->keys[r->nstack - 1];
			json_object_set_nocheck(top, k ? k : "", v);
			free(k);
			r->keys[r->nstack - 1] = NULL;
		}
		json_decref(v);
	}
	r->keys[r->nstack] = NULL;
	r->stack[r->nstack++] = v;
	return 1;
}

static int close_c(struct rd *r)
{
	r->depth--;
	if (!r->nstack)
		return 1;
	json_t *v = r->stack[--r->nstack];
	free(r->keys[r->nstack]);
	r->keys[r->nstack] = NULL;
	if (r->nstack == 0)
		return task_done(r, v);
	return 1;
}

static int y_start_map(void *c) { return open_c(c, json_object()); }
static int y_start_array(void *c) { return open_c(c, json_array()); }
static int y_end(void *c) { return close_c(c); }

static int y_key(void *c, const unsigned char *s, size_t n)
{
	struct rd *r = c;
	if (!r->nstack)
		return 1;
	free(r->keys[r->nstack - 1]);
	char *k = malloc(n + 1);
	if (!k)
		abort();
	memcpy(k, s, n);
	k[n] = 0;
	r->keys[r->nstack - 1] = k;
	return 1;
}

static const yajl_callbacks ycb = {y_null, y_bool, NULL, NULL, y_number, y_string,
				   y_start_map, y_key, y_end, y_start_array, y_end};

static int read_stream(FILE *f, const char *data, size_t len, const char *name, struct lbls *lt,
		       struct fmt_sink *s, struct buf *err)
{
	struct rd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.name = name;
	r.lt = lt;
	r.where = (struct buf)BUF_INIT;
	r.val = (struct buf)BUF_INIT;
	r.predictions = fmt_sink_kind(s) == ANN_PREDICTION;
	yajl_handle h = yajl_alloc(&ycb, NULL, &r);
	unsigned char *chunk = f ? xrealloc(NULL, 1 << 16) : NULL;
	uint64_t line = 1, off = 0;
	yajl_status st = yajl_status_ok;
	int rc = 0;
	size_t used = 0;
	for (;;) {
		size_t n;
		const unsigned char *cur;
		if (f) {
			n = fread(chunk, 1, 1 << 16, f);
			cur = chunk;
			if (n == 0) {
				if (ferror(f)) {
					buf_setf(err, "%s: cannot read: %s", name, strerror(errno));
					rc = CAIRN_EIO;
					goto out;
				}
				break;
			}
		} else {
			if (used == len)
				break;
			n = len - used > (1 << 16) ? (1 << 16) : len - used;
			cur = (const unsigned char *)data + used;
			used += n;
		}
		st = yajl_parse(h, cur, n);
		if (st != yajl_status_ok) {
			size_t a = yajl_get_bytes_consumed(h);
			for (size_t i = 0; i < a && i < n; i++)
				line += cur[i] == '\n';
			off += a;
			goto failed;
		}
		for (size_t i = 0; i < n; i++)
			line += cur[i] == '\n';
		off += n;
	}
	st = yajl_complete_parse(h);
	if (st == yajl_status_ok && !r.top_seen) {
		buf_setf(err, "%s: $: expected a list of tasks, got nothing", name);
		rc = CAIRN_EINVAL;
		goto out;
	}
failed:
	if (st == yajl_status_client_canceled) {
		rc = r.rc ? r.rc : CAIRN_EINVAL;
	} else if (st == yajl_status_error) {
		unsigned char *m = yajl_get_error(h, 0, NULL, 0);
		char *nl = strchr((char *)m, '\n');
		if (nl)
			*nl = 0;
		buf_setf(err, "%s:%llu: invalid JSON (byte %llu): %s", name, (unsigned long long)line,
			 (unsigned long long)off, (char *)m);
		yajl_free_error(h, m);
		rc = CAIRN_EINVAL;
	}
out:
	for (int i = 0; i < r.nstack; i++)
		free(r.keys[i]);
	if (r.nstack)
		json_decref(r.stack[0]);
	free(chunk);
	buf_release(&r.where);
	buf_release(&r.val);
	yajl_free(h);
	return rc;
}

int fmt_labelstudio_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			     struct buf *err)
{
	struct lbls lt = {0};
	int rc = read_stream(NULL, data, len, name, &lt, s, err);
	lbls_release(&lt);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(const char *path, struct lbls *lt, struct fmt_sink *s, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int rc = read_stream(f, NULL, 0, base, lt, s, err);
	fclose(f);
	return rc;
}

/* A file, or a folder of .json exports (result.json) with the images in images/ or beside. */
int fmt_labelstudio_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct buf p = BUF_INIT;
	struct lbls lt = {0};
	int rc = 0;
	if (is_dir(path)) {
		buf_addf(&p, "%s/images", path);
		fmt_sink_media_dir(s, is_dir(p.data) ? p.data : path);
		char **v = NULL;
		size_t n = 0;
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (l < 6 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".json") ||
			    !strcmp(e->d_name, "loss-report.json"))
				continue;
			v = xrealloc(v, (n + 1) * sizeof(char *));
			struct buf q = BUF_INIT;
			buf_addf(&q, "%s/%s", path, e->d_name);
			v[n++] = buf_detach(&q, NULL);
		}
		if (d)
			closedir(d);
		if (n)
			qsort(v, n, sizeof(char *), cmp_str);
		else {
			buf_setf(err, "%s: no Label Studio export (*.json) in the folder", path);
			rc = CAIRN_ENOTFOUND;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = read_file(v[i], &lt, s, err);
			free(v[i]);
		}
		free(v);
	} else {
		const char *sl = strrchr(path, '/');
		if (sl)
			buf_add(&p, path, (size_t)(sl - path));
		else
			buf_adds(&p, ".");
		size_t dl = p.len;
		buf_adds(&p, "/images");
		if (!is_dir(p.data))
			buf_setlen(&p, dl);
		fmt_sink_media_dir(s, p.data);
		rc = read_file(path, &lt, s, err);
	}
	lbls_release(&lt);
	buf_release(&p);
	return rc;
}

/* Sure when the file starts as a list of objects with "data" and "annotations" or "predictions". */
int fmt_labelstudio_probe(const char *path)
{
	struct buf p = BUF_INIT;
	if (is_dir(path)) {
		/* result.json (Label Studio's name in its zip), else the first *.json. */
		buf_addf(&p, "%s/result.json", path);
		struct stat sb;
		if (stat(p.data, &sb) != 0) {
			char *first = NULL;
			DIR *d = opendir(path);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				size_t l = strlen(e->d_name);
				if (l < 6 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".json") ||
				    !strcmp(e->d_name, "loss-report.json") ||
				    (first && strcmp(e->d_name, first) >= 0))
					continue;
				free(first);
				first = xstrdup(e->d_name);
			}
			if (d)
				closedir(d);
			buf_reset(&p);
			buf_addf(&p, "%s/%s", path, first ? first : "result.json");
			free(first);
		}
	} else {
		buf_adds(&p, path);
	}
	FILE *f = fopen(p.data, "rb");
	buf_release(&p);
	if (!f)
		return 0;
	char head[8192];
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = 0;
	size_t i = 0;
	while (i < n && strchr(" \t\r\n", head[i]))
		i++;
	if (i >= n || head[i] != '[')
		return 0;
	bool data = strstr(head, "\"data\"") != NULL;
	bool anns = strstr(head, "\"annotations\"") || strstr(head, "\"predictions\"");
	return data && anns ? 90 : data ? 40 : 0;
}

/* ---- writing ---- */

struct wr {
	struct store *st;
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	FILE *f;
	int64_t done, total, last_id, next_id, ntasks;
	bool predictions;
	struct buf t, path;
	int rc;
};

static void add_num(struct buf *b, double v)
{
	if (v == 0)
		v = 0; /* no -0 */
	json_add_double(b, v);
}

/* Begins one result: {"id":...,"type":...,"from_name":...,"to_name":...,"original_width":... */
static void res_begin(struct wr *w, json_t *attrs, const char *id, const char *type, int W, int H,
		      bool first)
{
	struct buf *b = &w->t;
	if (!first)
		buf_addch(b, ',');
	buf_adds(b, "\n    {\"id\":");
	buf_add_json_str(b, id);
	buf_adds(b, ",\"type\":");
	buf_add_json_str(b, type);
	const char *f = json_string_value(json_object_get(attrs, "ls_from_name"));
	const char *t = json_string_value(json_object_get(attrs, "ls_to_name"));
	const char *p = json_string_value(json_object_get(attrs, "ls_parentID"));
	if (f && !*f)
		f = NULL; /* a schema default, not a value */
	if (t && !*t)
		t = NULL;
	if (p && !*p)
		p = NULL;
	buf_adds(b, ",\"from_name\":");
	buf_add_json_str(b, f ? f : default_from(type));
	buf_adds(b, ",\"to_name\":");
	buf_add_json_str(b, t ? t : "image");
	if (p) {
		buf_adds(b, ",\"parentID\":");
		buf_add_json_str(b, p);
	}
	buf_addf(b, ",\"original_width\":%d,\"original_height\":%d,\"image_rotation\":0", W, H);
}

static void add_score(struct wr *w, const struct ann_object *o)
{
	if (o->has_score) {
		buf_adds(&w->t, ",\"score\":");
		add_num(&w->t, o->score);
	}
}

static void loss_of(struct wr *w, const struct ann_object *o)
{
	if (o->occluded)
		fmt_loss_add(w->loss, "occluded", 1);
	if (o->z_order)
		fmt_loss_add(w->loss, "z_order", 1);
	if (o->has_group)
		fmt_loss_add(w->loss, "group", 1);
	if (o->has_track || o->has_frame)
		fmt_loss_add(w->loss, "track or frame", 1);
}

static bool is_ls_key(const char *k)
{
	return !strncmp(k, "ls_", 3);
}

static int write_object(struct wr *w, const struct ann_object *o, int W, int H, bool *first)
{
	json_t *attrs = o->attrs ? json_loads(o->attrs, 0, NULL) : NULL;
	const char *id = o->uid;
	const char *label = w->l.sc.labels[o->label].name;
	double sx = 100.0 / W, sy = 100.0 / H;
	const char *type = NULL;
	struct buf *b = &w->t;
	loss_of(w, o);
	switch (o->type) {
	case SHAPE_BOX:
	case SHAPE_ROTATED_BOX: {
		double rect[5];
		if (o->type == SHAPE_BOX) {
			double v[5] = {o->pts[0], o->pts[1], o->pts[2] - o->pts[0], o->pts[3] - o->pts[1], 0};
			memcpy(rect, v, sizeof(v));
		} else {
			fmt_ls_rbox_to_rect(o->pts, rect);
		}
		type = "rectanglelabels";
		res_begin(w, attrs, id, type, W, H, *first);
		buf_adds(b, ",\"value\":{\"x\":");
		add_num(b, rect[0] * sx);
		buf_adds(b, ",\"y\":");
		add_num(b, rect[1] * sy);
		buf_adds(b, ",\"width\":");
		add_num(b, rect[2] * sx);
		buf_adds(b, ",\"height\":");
		add_num(b, rect[3] * sy);
		buf_adds(b, ",\"rotation\":");
		add_num(b, rect[4]);
		break;
	}
	case SHAPE_ELLIPSE:
		type = "ellipselabels";
		res_begin(w, attrs, id, type, W, H, *first);
		buf_adds(b, ",\"value\":{\"x\":");
		add_num(b, o->pts[0] * sx);
		buf_adds(b, ",\"y\":");
		add_num(b, o->pts[1] * sy);
		buf_adds(b, ",\"radiusX\":");
		add_num(b, o->pts[2] * sx);
		buf_adds(b, ",\"radiusY\":");
		add_num(b, o->pts[3] * sy);
		buf_adds(b, ",\"rotation\":");
		add_num(b, o->pts[4]);
		break;
	case SHAPE_POLYGON: {
		size_t n = o->rings ? o->rings[0] * 2 : o->npts;
		if (o->rings && o->nrings > 1)
			fmt_loss_add(w->loss, "polygon hole (the outline is kept)", (int64_t)o->nrings - 1);
		type = "polygonlabels";
		res_begin(w, attrs, id, type, W, H, *first);
		buf_adds(b, ",\"value\":{\"points\":[");
		for (size_t i = 0; i + 1 < n; i += 2) {
			buf_adds(b, i ? ",[" : "[");
			add_num(b, o->pts[i] * sx);
			buf_addch(b, ',');
			add_num(b, o->pts[i + 1] * sy);
			buf_addch(b, ']');
		}
		buf_adds(b, "],\"closed\":true");
		break;
	}
	case SHAPE_POINTS:
		for (size_t i = 0; i + 1 < o->npts; i += 2) {
			char sub[96];
			if (i)
				snprintf(sub, sizeof(sub), "%.60s-%zu", id, i / 2 + 1);
			type = "keypointlabels";
			res_begin(w, attrs, i ? sub : id, type, W, H, *first);
			buf_adds(b, ",\"value\":{\"x\":");
			add_num(b, o->pts[i] * sx);
			buf_adds(b, ",\"y\":");
			add_num(b, o->pts[i + 1] * sy);
			buf_adds(b, ",\"width\":1,\"keypointlabels\":[");
			buf_add_json_str(b, label);
			buf_adds(b, "]}");
			add_score(w, o);
			buf_addch(b, '}');
			*first = false;
		}
		if (o->npts > 2)
			fmt_loss_add(w->loss, "points object of several points (one keypoint each)", 1);
		type = NULL;
		break;
	case SHAPE_MASK: {
		uint8_t *bytes;
		size_t n;
		fmt_ls_brush_encode(&o->mask, &bytes, &n);
		type = "brushlabels";
		res_begin(w, attrs, id, type, W, H, *first);
		buf_adds(b, ",\"value\":{\"format\":\"rle\",\"rle\":[");
		for (size_t i = 0; i < n; i++)
			buf_addf(b, i ? ",%u" : "%u", bytes[i]);
		buf_addch(b, ']');
		free(bytes);
		break;
	}
	default: {
		char what[80];
		snprintf(what, sizeof(what), "%s (Label Studio has no such image region)",
			 shape_kind_name(o->type));
		fmt_loss_add(w->loss, what, 1);
		json_decref(attrs);
		return 0;
	}
	}
	if (type) {
		buf_adds(b, ",\"");
		buf_adds(b, type);
		buf_adds(b, "\":[");
		buf_add_json_str(b, label);
		buf_adds(b, "]}");
		add_score(w, o);
		buf_addch(b, '}');
		*first = false;
	}
	/* The transcription and per-region choices, under the region's id. */
	if (o->text) {
		const char *tf = json_string_value(json_object_get(attrs, "ls_textarea"));
		json_t *ta = json_object();
		json_object_set_new(ta, "ls_from_name", json_string(tf && *tf ? tf : "transcription"));
		res_begin(w, ta, id, "textarea", W, H, *first);
		json_decref(ta);
		buf_adds(b, ",\"value\":{\"text\":[");
		buf_add_json_str(b, o->text);
		buf_adds(b, "]}}");
		*first = false;
	}
	const char *k;
	json_t *v;
	json_object_foreach(attrs, k, v) {
		if (is_ls_key(k))
			continue;
		if (!strcmp(k, "iscrowd") && json_is_false(v))
			continue;
		if (!strcmp(k, "iscrowd")) {
			if (json_is_true(v))
				fmt_loss_add(w->loss, "iscrowd", 1);
			continue;
		} else if (json_is_string(v) && !*json_string_value(v)) {
			continue; /* empty: the schema's default, not a choice */
		} else if (json_is_string(v)) {
			json_t *a = json_object();
			json_object_set_new(a, "ls_from_name", json_string(k));
			res_begin(w, a, id, "choices", W, H, *first);
			json_decref(a);
			buf_adds(b, ",\"value\":{\"choices\":[");
			buf_add_json_str(b, json_string_value(v));
			buf_adds(b, "]}}");
			*first = false;
		} else if (json_is_number(v)) {
			json_t *a = json_object();
			json_object_set_new(a, "ls_from_name", json_string(k));
			res_begin(w, a, id, "number", W, H, *first);
			json_decref(a);
			buf_adds(b, ",\"value\":{\"number\":");
			add_num(b, json_number_value(v));
			buf_adds(b, "}}");
			*first = false;
		} else if (json_is_true(v)) {
			fmt_loss_add(w->loss, "checkbox attribute set (Label Studio regions have none)", 1);
		}
	}
	json_decref(attrs);
	return 0;
}

/* Tags: one choices result per control (from_name), all its choices. */
static void write_tags(struct wr *w, const struct ann_doc *d, int W, int H, bool *first)
{
	bool *done = calloc(d->nobjects + 1, 1);
	if (!done)
		abort();
	for (size_t i = 0; i < d->nobjects; i++) {
		const struct ann_object *o = &d->objects[i];
		if (o->type != SHAPE_TAG || done[i])
			continue;
		json_t *attrs = o->attrs ? json_loads(o->attrs, 0, NULL) : NULL;
		const char *from = json_string_value(json_object_get(attrs, "ls_from_name"));
		res_begin(w, attrs, o->uid, "choices", W, H, *first);
		*first = false;
		buf_adds(&w->t, ",\"value\":{\"choices\":[");
		size_t nc = 0;
		bool scored = o->has_score;
		double score = o->score;
		for (size_t k = i; k < d->nobjects; k++) {
			const struct ann_object *q = &d->objects[k];
			if (q->type != SHAPE_TAG || done[k])
				continue;
			json_t *qa = q->attrs ? json_loads(q->attrs, 0, NULL) : NULL;
			const char *qf = json_string_value(json_object_get(qa, "ls_from_name"));
			bool same = (!qf && !from) || (qf && from && !strcmp(qf, from));
			json_decref(qa);
			if (!same)
				continue;
			done[k] = true;
			if (nc++)
				buf_addch(&w->t, ',');
			buf_add_json_str(&w->t, w->l.sc.labels[q->label].name);
			loss_of(w, q);
		}
		buf_adds(&w->t, "]}");
		if (scored) {
			buf_adds(&w->t, ",\"score\":");
			add_num(&w->t, score);
		}
		buf_addch(&w->t, '}');
		json_decref(attrs);
	}
	free(done);
}

static int write_item(void *ctx, const struct item *it)
{
	struct wr *w = ctx;
	w->last_id = it->id;
	w->done++;
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	char *tmp = NULL;
	const char *fn = fmt_item_file_name(it, &tmp);
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	int64_t tid;
	if (!fmt_meta_id(it, "labelstudio_id", &tid))
		tid = ++w->next_id;
	struct buf uniq = BUF_INIT;
	if (w->o->include_media) {
		/* Two items of one base name: the later is written as <stem>_<item id><ext>. */
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/images/%s", w->out, base);
		struct stat sb;
		if (stat(w->path.data, &sb) == 0) {
			const char *dot = strrchr(base, '.');
			size_t stem = dot ? (size_t)(dot - base) : strlen(base);
			buf_add(&uniq, base, stem);
			buf_addf(&uniq, "_%lld%s", (long long)it->id, base + stem);
			base = uniq.data;
			buf_reset(&w->path);
			buf_addf(&w->path, "%s/images/%s", w->out, base);
			fmt_loss_add(w->loss, "image name used twice (renamed with the item id)", 1);
		}
	}
	if (!rc && w->o->include_media)
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	int W = it->width, H = it->height;
	if (!rc && found && d.nobjects && (W <= 0 || H <= 0)) {
		buf_setf(w->err, "item %lld '%s': no width and height, which Label Studio's "
			 "percentages need", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc) {
		struct buf *b = &w->t;
		buf_reset(b);
		if (w->ntasks++)
			buf_addch(b, ',');
		buf_addf(b, "\n{\"id\":%lld,\"data\":{\"image\":", (long long)tid);
		struct buf u = BUF_INIT;
		buf_addf(&u, "/data/local-files/?d=images/%s", base);
		buf_add_json_str(b, u.data);
		buf_release(&u);
		buf_addf(b, "},\n \"%s\":[", w->predictions ? "predictions" : "annotations");
		if (found) {
			if (d.attrs && strcmp(d.attrs, "{}"))
				fmt_loss_add(w->loss, "item attributes", 1);
			if (d.nrelations)
				fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
			if (w->predictions)
				buf_addf(b, "{\"id\":%lld,\"model_version\":\"cairn\",\"result\":[",
					 (long long)tid);
			else
				buf_addf(b, "{\"id\":%lld,\"was_cancelled\":false,\"result\":[",
					 (long long)tid);
			bool first = true;
			write_tags(w, &d, W, H, &first);
			for (size_t i = 0; i < d.nobjects; i++)
				if (d.objects[i].type != SHAPE_TAG)
					write_object(w, &d.objects[i], W, H, &first);
			buf_adds(b, "\n  ]}");
		}
		buf_adds(b, "]");
		if (!w->predictions)
			buf_adds(b, ",\"predictions\":[]");
		buf_adds(b, "}");
		if (fwrite(b->data, 1, b->len, w->f) != b->len) {
			buf_setf(w->err, "cannot write '%s/result.json': %s", w->out, strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	ann_doc_release(&d);
	buf_release(&uniq);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_labelstudio_write(struct store *st, int64_t project_id, const char *out,
			  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct wr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.t = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	w.predictions = o->kinds == (1u << ANN_PREDICTION);
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "labelstudio", err)))
		goto done;
	w.next_id = w.l.max_image_id;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	if (o->split)
		fmt_loss_add(loss, "split (Label Studio exports have none; one file written)", 1);
	buf_addf(&w.path, "%s/result.json", out);
	w.f = fopen(w.path.data, "w");
	if (!w.f) {
		buf_setf(err, "cannot create '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
		goto done;
	}
	fputc('[', w.f);
	struct project_stats ps;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		w.total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	fputs("\n]\n", w.f);
	if (fclose(w.f) && !rc) {
		buf_setf(err, "cannot write '%s/result.json': %s", out, strerror(errno));
		rc = CAIRN_EIO;
	}
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	buf_release(&w.t);
	buf_release(&w.path);
	return rc;
}
