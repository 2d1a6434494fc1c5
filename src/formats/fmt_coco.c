/*
 * fmt_coco.c - COCO object detection JSON: a streaming reader (yajl; each
 * element of images, annotations and categories is built as a small tree
 * and handed to the sink, so memory is bounded by the largest element, not
 * the file) and a streaming writer (store cursor -> one file per split,
 * annotations spooled to a temporary file beside the images section).
 * Conventions and normalisations: docs/formats/coco.md.
 */
#include "formats/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "base/err.h"
#include "geom/contour.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_coco_probe(const char *path);
int fmt_coco_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_coco_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define MAX_DEPTH 32

/* ---- reading ---- */

enum sect { SECT_NONE, SECT_IMAGES, SECT_ANNOTATIONS, SECT_CATEGORIES, SECT_OTHER };

struct rd {
	struct fmt_sink *s;
	struct buf *err;
	const char *name;          /* the file, for messages */
	const char *split;
	int depth;                 /* yajl nesting */
	enum sect sect;
	bool sect_array;
	size_t index;              /* element index in the section */
	json_t *stack[MAX_DEPTH];
	char *keys[MAX_DEPTH];     /* pending key per open object */
	int nstack;
	char *top_key;
	int rc;                    /* an error set by a handler */
	bool seen[4];
	struct buf where;
	fmt_coco_element_fn hook;  /* fmt_coco_stream: elements go here instead */
	void *hook_ctx;
};

static const char *sect_name(enum sect s)
{
	switch (s) {
	case SECT_IMAGES: return "images";
	case SECT_ANNOTATIONS: return "annotations";
	case SECT_CATEGORIES: return "categories";
	default: return "?";
	}
}

static const char *where_(struct rd *r, const char *sub)
{
	buf_reset(&r->where);
	buf_addf(&r->where, "%s: $.%s[%zu]%s%s", r->name, sect_name(r->sect), r->index,
		 sub && *sub ? "." : "", sub ? sub : "");
	return r->where.data;
}

static int bad(struct rd *r, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct rd *r, const char *sub, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	char *w = strdup(where_(r, sub));
	int rc = fmt_sink_invalid(r->s, w ? w : "?", "%s", m.data);
	free(w);
	buf_release(&m);
	return rc ? rc : 1; /* 1: skip this record */
}

static const char *jt(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int get_id(struct rd *r, const json_t *o, const char *k, int64_t *out, bool required)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v)) {
		if (required)
			return bad(r, k, "missing");
		return 2;
	}
	if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) &&
	    fabs(json_real_value(v)) < 9e15) {
		*out = (int64_t)json_real_value(v);
		return 0;
	}
	if (!json_is_integer(v))
		return bad(r, k, "expected an integer, got %s", jt(v));
	*out = json_integer_value(v);
	return 0;
}

/* Reads an array of numbers (owned into *out). */
static int get_nums(struct rd *r, const json_t *v, const char *sub, double **out, size_t *n)
{
	if (!json_is_array(v))
		return bad(r, sub, "expected an array of numbers, got %s", jt(v));
	size_t m = json_array_size(v);
	double *d = malloc((m + 1) * sizeof(double));
	if (!d)
		abort();
	for (size_t i = 0; i < m; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_number(e)) {
			free(d);
			struct buf s = BUF_INIT;
			buf_addf(&s, "%s[%zu]", sub, i);
			int rc = bad(r, s.data, "expected a number, got %s", jt(e));
			buf_release(&s);
			return rc;
		}
		d[i] = json_number_value(e);
		if (!isfinite(d[i]) || fabs(d[i]) > ANN_MAX_COORD) {
			free(d);
			struct buf s = BUF_INIT;
			buf_addf(&s, "%s[%zu]", sub, i);
			int rc = bad(r, s.data, "%g is not a coordinate", json_number_value(e));
			buf_release(&s);
			return rc;
		}
	}
	*out = d;
	*n = m;
	return 0;
}

static int on_category(struct rd *r, json_t *e)
{
	if (!json_is_object(e))
		return bad(r, NULL, "expected an object, got %s", jt(e));
	int64_t id;
	int rc = get_id(r, e, "id", &id, true);
	if (rc)
		return rc;
	json_t *nm = json_object_get(e, "name");
	if (!json_is_string(nm))
		return bad(r, "name", nm ? "expected a string, got %s" : "missing%s",
			   nm ? jt(nm) : "");
	json_t *sup = json_object_get(e, "supercategory");
	json_t *kp = json_object_get(e, "keypoints");
	json_t *sk = json_object_get(e, "skeleton");
	char **pts = NULL;
	uint32_t(*edges)[2] = NULL;
	size_t np = 0, ne = 0;
	if (kp && !json_is_null(kp)) {
		if (!json_is_array(kp))
			return bad(r, "keypoints", "expected an array of names, got %s", jt(kp));
		np = json_array_size(kp);
		pts = calloc(np + 1, sizeof(char *));
		if (!pts)
			abort();
		for (size_t i = 0; i < np; i++) {
			const char *t = json_string_value(json_array_get(kp, i));
			if (!t) {
				free(pts);
				return bad(r, "keypoints", "expected strings");
			}
			pts[i] = (char *)t;
		}
	}
	if (sk && !json_is_null(sk)) {
		if (!json_is_array(sk)) {
			free(pts);
			return bad(r, "skeleton", "expected an array of [a, b] pairs, got %s", jt(sk));
		}
		ne = json_array_size(sk);
		edges = calloc(ne + 1, sizeof(*edges));
		if (!edges)
			abort();
		bool zero = false;
		for (size_t i = 0; i < ne; i++) {
			json_t *p = json_array_get(sk, i);
			json_t *a = json_array_get(p, 0), *b = json_array_get(p, 1);
			if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_integer(a) ||
			    !json_is_integer(b) || json_integer_value(a) < 0 ||
			    json_integer_value(b) < 0 || json_integer_value(a) > 100000 ||
			    json_integer_value(b) > 100000) {
				free(pts);
				free(edges);
				struct buf s = BUF_INIT;
				buf_addf(&s, "skeleton[%zu]", i);
				int rc2 = bad(r, s.data, "expected a pair of point numbers");
				buf_release(&s);
				return rc2;
			}
			edges[i][0] = (uint32_t)json_integer_value(a);
			edges[i][1] = (uint32_t)json_integer_value(b);
			if (!edges[i][0] || !edges[i][1])
				zero = true;
		}
		/* COCO numbers points from 1; some tools (Datumaro) write 0-based. */
		if (!zero)
			for (size_t i = 0; i < ne; i++) {
				edges[i][0]--;
				edges[i][1]--;
			}
	}
	struct fmt_category c = {id, json_string_value(nm), json_string_value(sup), pts, np,
				 (const uint32_t(*)[2])edges, ne, where_(r, NULL)};
	char *w = strdup(c.where);
	c.where = w;
	rc = fmt_sink_category(r->s, &c);
	free(w);
	free(pts);
	free(edges);
	return rc;
}

static int on_image(struct rd *r, json_t *e)
{
	if (!json_is_object(e))
		return bad(r, NULL, "expected an object, got %s", jt(e));
	int64_t id, w = 0, h = 0;
	int rc = get_id(r, e, "id", &id, true);
	if (rc)
		return rc;
	json_t *fn = json_object_get(e, "file_name");
	if (!fn || json_is_null(fn))
		return bad(r, "file_name", "image %lld has no file_name", (long long)id);
	if (!json_is_string(fn) || !*json_string_value(fn))
		return bad(r, "file_name", "expected a non-empty string, got %s", jt(fn));
	if ((rc = get_id(r, e, "width", &w, false)) == 1 || rc < 0)
		return rc;
	if ((rc = get_id(r, e, "height", &h, false)) == 1 || rc < 0)
		return rc;
	if (w < 0 || h < 0 || w > ANN_MAX_MASK_SIDE || h > ANN_MAX_MASK_SIDE)
		return bad(r, w < 0 || w > ANN_MAX_MASK_SIDE ? "width" : "height",
			   "%lld is not an image size", (long long)(w < 0 || w > ANN_MAX_MASK_SIDE ? w : h));
	const char *f = json_string_value(fn);
	if (f[0] == '/' || strstr(f, "../") || !strcmp(f, ".."))
		return bad(r, "file_name", "'%s' escapes the images folder", f);
	if (json_object_get(e, "attributes"))
		fmt_sink_note(r->s, "image attributes (not imported)");
	struct fmt_image im = {id, f, (int32_t)w, (int32_t)h, r->split, NULL};
	char *wh = strdup(where_(r, NULL));
	im.where = wh;
	rc = fmt_sink_image(r->s, &im);
	free(wh);
	return rc;
}

static const char *const ann_keys[] = {"id", "image_id", "category_id", "bbox", "area",
				       "iscrowd", "segmentation", "keypoints", "num_keypoints",
				       "attributes", "score"};

static int on_annotation(struct rd *r, json_t *e)
{
	if (!json_is_object(e))
		return bad(r, NULL, "expected an object, got %s", jt(e));
	int64_t id = 0, img, cat;
	int rc = get_id(r, e, "id", &id, false);
	bool has_id = rc == 0;
	if (rc == 1 || rc < 0)
		return rc;
	if ((rc = get_id(r, e, "image_id", &img, true)))
		return rc;
	if (json_is_string(json_object_get(e, "caption"))) {
		fmt_sink_note(r->s, "caption (not imported)");
		return 0;
	}
	if ((rc = get_id(r, e, "category_id", &cat, true)))
		return rc;
	const char *k;
	json_t *v;
	json_object_foreach(e, k, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(ann_keys) / sizeof(ann_keys[0]); i++)
			if (!strcmp(k, ann_keys[i]))
				known = true;
		if (!known) {
			struct buf n = BUF_INIT;
			buf_addf(&n, "annotation key '%.40s' (not imported)", k);
			fmt_sink_note(r->s, n.data);
			buf_release(&n);
		}
	}
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.has_id = has_id;
	o.image_id = img;
	o.category_id = cat;
	json_t *crowd = json_object_get(e, "iscrowd");
	if (crowd && !json_is_null(crowd)) {
		if (json_is_boolean(crowd))
			o.iscrowd = json_is_true(crowd);
		else if (json_is_integer(crowd) &&
			 (json_integer_value(crowd) == 0 || json_integer_value(crowd) == 1))
			o.iscrowd = json_integer_value(crowd) == 1;
		else
			return bad(r, "iscrowd", "expected 0 or 1");
	}
	json_t *sc = json_object_get(e, "score");
	if (sc && !json_is_null(sc)) {
		if (!json_is_number(sc) || json_number_value(sc) < 0 || json_number_value(sc) > 1)
			return bad(r, "score", "expected a number in [0, 1]");
		o.has_score = true;
		o.score = json_number_value(sc);
	}
	json_t *at = json_object_get(e, "attributes");
	if (at && !json_is_null(at)) {
		if (!json_is_object(at))
			return bad(r, "attributes", "expected an object, got %s", jt(at));
		o.attrs = at;
	}
	double *bbox = NULL, *pts = NULL, *kpts = NULL;
	size_t nb = 0, nk = 0, *parts = NULL;
	struct rle mask = RLE_INIT;
	json_t *bb = json_object_get(e, "bbox");
	if (bb && !json_is_null(bb)) {
		if ((rc = get_nums(r, bb, "bbox", &bbox, &nb)))
			goto out;
		if (nb != 4) {
			rc = bad(r, "bbox", "expected 4 numbers [x, y, width, height], got %zu", nb);
			goto out;
		}
		if (bbox[2] < 0 || bbox[3] < 0) {
			rc = bad(r, "bbox", "width and height must be >= 0, got %g x %g", bbox[2],
				 bbox[3]);
			goto out;
		}
	}
	json_t *kp = json_object_get(e, "keypoints");
	if (kp && !json_is_null(kp) && !(json_is_array(kp) && json_array_size(kp) == 0)) {
		if ((rc = get_nums(r, kp, "keypoints", &kpts, &nk)))
			goto out;
		if (nk % 3) {
			rc = bad(r, "keypoints", "expected x, y, v triples, got %zu numbers", nk);
			goto out;
		}
		for (size_t i = 2; i < nk; i += 3)
			if (kpts[i] != 0 && kpts[i] != 1 && kpts[i] != 2) {
				struct buf s = BUF_INIT;
				buf_addf(&s, "keypoints[%zu]", i);
				rc = bad(r, s.data, "visibility must be 0, 1 or 2, got %g", kpts[i]);
				buf_release(&s);
				goto out;
			}
		o.kpts = kpts;
		o.nkpts = nk;
	}
	json_t *sg = json_object_get(e, "segmentation");
	if (json_is_array(sg) && json_array_size(sg)) {
		size_t npoly = json_array_size(sg), total = 0;
		parts = calloc(npoly + 1, sizeof(size_t));
		if (!parts)
			abort();
		for (size_t i = 0; i < npoly; i++) {
			json_t *p = json_array_get(sg, i);
			char sub[48];
			snprintf(sub, sizeof(sub), "segmentation[%zu]", i);
			if (!json_is_array(p)) {
				rc = bad(r, sub, "expected a polygon [x, y, ...], got %s", jt(p));
				goto out;
			}
			size_t m = json_array_size(p);
			if (m % 2 || m < 6) {
				rc = bad(r, sub, "a polygon needs at least 3 x, y pairs, got %zu numbers", m);
				goto out;
			}
			total += m;
		}
		pts = malloc((total + 1) * sizeof(double));
		if (!pts)
			abort();
		size_t off = 0;
		for (size_t i = 0; i < npoly; i++) {
			double *d;
			size_t m;
			char sub[48];
			snprintf(sub, sizeof(sub), "segmentation[%zu]", i);
			if ((rc = get_nums(r, json_array_get(sg, i), sub, &d, &m)))
				goto out;
			memcpy(pts + off, d, m * sizeof(double));
			free(d);
			parts[i] = m;
			off += m;
		}
		o.type = SHAPE_POLYGON;
		o.pts = pts;
		o.npts = total;
		o.parts = parts;
		o.nparts = npoly;
	} else if (json_is_object(sg)) {
		json_t *size = json_object_get(sg, "size"), *counts = json_object_get(sg, "counts");
		json_t *h = json_array_get(size, 0), *w = json_array_get(size, 1);
		if (!json_is_array(size) || json_array_size(size) != 2 || !json_is_integer(h) ||
		    !json_is_integer(w) || json_integer_value(h) < 0 || json_integer_value(w) < 0 ||
		    json_integer_value(h) > ANN_MAX_MASK_SIDE ||
		    json_integer_value(w) > ANN_MAX_MASK_SIDE) {
			rc = bad(r, "segmentation.size", "expected [height, width]");
			goto out;
		}
		uint32_t hh = (uint32_t)json_integer_value(h), ww = (uint32_t)json_integer_value(w);
		if ((uint64_t)hh * ww > UINT32_MAX) {
			rc = bad(r, "segmentation.size", "%u x %u is too large for COCO RLE", hh, ww);
			goto out;
		}
		if (json_is_string(counts)) {
			struct buf e2 = BUF_INIT;
			if (rle_from_stringn(&mask, json_string_value(counts), json_string_length(counts),
					     hh, ww, &e2)) {
				rc = bad(r, "segmentation.counts", "%s", e2.data);
				buf_release(&e2);
				goto out;
			}
			buf_release(&e2);
		} else if (json_is_array(counts)) {
			size_t m = json_array_size(counts);
			uint32_t *c = malloc((m + 1) * sizeof(uint32_t));
			if (!c)
				abort();
			uint64_t sum = 0;
			for (size_t i = 0; i < m; i++) {
				json_t *x = json_array_get(counts, i);
				if (!json_is_integer(x) || json_integer_value(x) < 0 ||
				    json_integer_value(x) > UINT32_MAX) {
					free(c);
					char sub[48];
					snprintf(sub, sizeof(sub), "segmentation.counts[%zu]", i);
					rc = bad(r, sub, "expected a run length (an integer >= 0)");
					goto out;
				}
				c[i] = (uint32_t)json_integer_value(x);
				sum += c[i];
			}
			if (sum != (uint64_t)hh * ww) {
				free(c);
				rc = bad(r, "segmentation.counts", "counts sum to %llu, expected h*w = "
					 "%llu", (unsigned long long)sum, (unsigned long long)hh * ww);
				goto out;
			}
			rle_from_counts(&mask, c, m, hh, ww);
			free(c);
		} else {
			rc = bad(r, "segmentation.counts", "expected a string or an array of run lengths");
			goto out;
		}
		o.type = SHAPE_MASK;
		o.mask = &mask;
	} else if (sg && !json_is_null(sg) && !json_is_array(sg)) {
		rc = bad(r, "segmentation", "expected polygons or an RLE object, got %s", jt(sg));
		goto out;
	} else if (bbox) {
		o.type = SHAPE_BOX;
		bbox[2] += bbox[0];
		bbox[3] += bbox[1];
		o.pts = bbox;
		o.npts = 4;
	} else if (kpts) {
		o.type = SHAPE_KEYPOINTS;
	} else {
		rc = bad(r, NULL, "annotation %lld has no bbox, segmentation or keypoints",
			 (long long)id);
		goto out;
	}
	char *w = strdup(where_(r, NULL));
	o.where = w;
	rc = fmt_sink_object(r->s, &o);
	free(w);
out:
	free(bbox);
	free(pts);
	free(kpts);
	free(parts);
	rle_release(&mask);
	return rc;
}

/* An element of a section is complete. */
static int element_done(struct rd *r, json_t *e)
{
	int rc = 0;
	if (r->hook) {
		rc = r->hook(r->hook_ctx, sect_name(r->sect), r->index, e, where_(r, NULL));
		goto done;
	}
	switch (r->sect) {
	case SECT_IMAGES: rc = on_image(r, e); break;
	case SECT_ANNOTATIONS: rc = on_annotation(r, e); break;
	case SECT_CATEGORIES: rc = on_category(r, e); break;
	default: break;
	}
done:
	json_decref(e);
	r->index++;
	if (rc < 0) {
		r->rc = rc;
		return 0;
	}
	return 1;
}

/* A value at the current point: added to the open container, or an element itself. */
static int put(struct rd *r, json_t *v)
{
	if (r->nstack == 0) {
		if (r->depth == 1 && r->sect != SECT_OTHER) {
			/* A scalar where a section's array was expected. */
			json_decref(v);
			r->rc = fmt_sink_invalid(r->s, r->name, "$.%s: expected an array",
						 sect_name(r->sect));
			if (!r->rc)
				r->rc = CAIRN_EINVAL;
			return 0;
		}
		if (r->depth == 2 && r->sect != SECT_OTHER)
			return element_done(r, v);
		json_decref(v);
		return 1;
	}
	json_t *top = r->stack[r->nstack - 1];
	if (json_is_array(top)) {
		json_array_append_new(top, v);
	} else {
		char *k = r->keys[r->nstack - 1];
		if (json_object_get(top, k)) {
			r->rc = fmt_sink_invalid(r->s, where_(r, NULL), "duplicate key '%s'", k);
			if (!r->rc)
				r->rc = CAIRN_EINVAL;
			json_decref(v);
			return 0;
		}
		json_object_set_new_nocheck(top, k, v);
		free(k);
		r->keys[r->nstack - 1] = NULL;
	}
	return 1;
}

static bool building(struct rd *r)
{
	return r->nstack > 0 || (r->depth == 2 && r->sect != SECT_OTHER && r->sect != SECT_NONE);
}

/* A section ("images", "annotations", "categories") must be an array. */
static int section_scalar(struct rd *r, const char *what)
{
	if (r->depth != 1 || r->sect == SECT_OTHER || r->sect == SECT_NONE)
		return 1;
	r->rc = fmt_sink_invalid(r->s, r->name, "$.%s: expected an array, got %s",
				 sect_name(r->sect), what);
	if (!r->rc)
		r->rc = CAIRN_EINVAL;
	return 0;
}

static int y_null(void *c)
{
	struct rd *r = c;
	if (!section_scalar(r, "null"))
		return 0;
	return building(r) ? put(r, json_null()) : 1;
}

static int y_bool(void *c, int b)
{
	struct rd *r = c;
	if (!section_scalar(r, "a boolean"))
		return 0;
	return building(r) ? put(r, json_boolean(b)) : 1;
}

static int y_number(void *c, const char *s, size_t n)
{
	struct rd *r = c;
	if (!section_scalar(r, "a number"))
		return 0;
	if (!building(r))
		return 1;
	char tmp[64];
	double d = 0;
	char *end;
	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = 0;
		bool real = strpbrk(tmp, ".eE") != NULL;
		errno = 0;
		if (!real) {
			long long v = strtoll(tmp, &end, 10);
			if (!errno)
				return put(r, json_integer(v));
		}
		d = strtod(tmp, &end);
	}
	if (n >= sizeof(tmp) || !isfinite(d)) {
		/* JSON cannot carry infinities; no coordinate or id is this big. */
		r->rc = fmt_sink_invalid(r->s, where_(r, NULL), "the number '%.*s%s' is out of range",
					 (int)(n < 40 ? n : 40), s, n < 40 ? "" : "...");
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	return put(r, json_real(d));
}

static int y_string(void *c, const unsigned char *s, size_t n)
{
	struct rd *r = c;
	if (!section_scalar(r, "a string"))
		return 0;
	return building(r) ? put(r, json_stringn_nocheck((const char *)s, n)) : 1;
}

static int open_container(struct rd *r, json_t *v)
{
	if (r->nstack == MAX_DEPTH) {
		json_decref(v);
		r->rc = fmt_sink_invalid(r->s, where_(r, NULL), "nested deeper than %d levels",
					 MAX_DEPTH);
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	if (r->nstack > 0) {
		json_t *top = r->stack[r->nstack - 1];
		if (json_is_array(top)) {
			json_array_append(top, v);
		} else {
			char *k = r->keys[r->nstack - 1];
			if (json_object_get(top, k)) {
				json_decref(v);
				r->rc = fmt_sink_invalid(r->s, where_(r, NULL), "duplicate key '%s'", k);
				if (!r->rc)
					r->rc = CAIRN_EINVAL;
				return 0;
			}
			json_object_set_nocheck(top, k, v);
			free(k);
			r->keys[r->nstack - 1] = NULL;
		}
		json_decref(v); /* the parent holds it */
	}
	r->keys[r->nstack] = NULL;
	r->stack[r->nstack++] = v;
	return 1;
}

static int close_container(struct rd *r)
{
	json_t *v = r->stack[--r->nstack];
	free(r->keys[r->nstack]);
	r->keys[r->nstack] = NULL;
	if (r->nstack == 0)
		return element_done(r, v);
	return 1;
}

/* A NUL-terminated copy of n bytes that need not be NUL-terminated
 * (yajl's keys are not); strndup may read past them looking for a NUL. */
static char *memdup0(const unsigned char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static enum sect sect_of(const char *k)
{
	if (!strcmp(k, "images"))
		return SECT_IMAGES;
	if (!strcmp(k, "annotations"))
		return SECT_ANNOTATIONS;
	if (!strcmp(k, "categories"))
		return SECT_CATEGORIES;
	return SECT_OTHER;
}

static int y_start_map(void *c)
{
	struct rd *r = c;
	r->depth++;
	if (r->depth == 1)
		return 1;
	if (r->depth == 2 && r->sect != SECT_OTHER && !r->sect_array) {
		r->rc = fmt_sink_invalid(r->s, r->name, "$.%s: expected an array, got an object",
					 sect_name(r->sect));
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	if (r->nstack || (r->depth == 3 && r->sect != SECT_OTHER))
		return open_container(r, json_object());
	return 1;
}

static int y_map_key(void *c, const unsigned char *s, size_t n)
{
	struct rd *r = c;
	if (r->depth == 1) {
		free(r->top_key);
		r->top_key = memdup0(s, n);
		if (!r->top_key)
			abort();
		r->sect = sect_of(r->top_key);
		r->sect_array = false;
		r->index = 0;
		if (r->sect != SECT_OTHER) {
			if (r->seen[r->sect]) {
				r->rc = fmt_sink_invalid(r->s, r->name, "$: duplicate key '%s'",
							 r->top_key);
				if (!r->rc)
					r->rc = CAIRN_EINVAL;
				return 0;
			}
			r->seen[r->sect] = true;
		}
		return 1;
	}
	if (r->nstack) {
		free(r->keys[r->nstack - 1]);
		r->keys[r->nstack - 1] = memdup0(s, n);
		if (!r->keys[r->nstack - 1])
			abort();
	}
	return 1;
}

static int y_end_map(void *c)
{
	struct rd *r = c;
	int ok = 1;
	if (r->nstack)
		ok = close_container(r);
	r->depth--;
	return ok;
}

static int y_start_array(void *c)
{
	struct rd *r = c;
	r->depth++;
	if (r->depth == 1) {
		r->rc = fmt_sink_invalid(r->s, r->name, "$: expected an object at the top, got an array");
		if (!r->rc)
			r->rc = CAIRN_EINVAL;
		return 0;
	}
	if (r->depth == 2 && r->sect != SECT_OTHER) {
		r->sect_array = true;
		return 1;
	}
	if (r->nstack || (r->depth == 3 && r->sect != SECT_OTHER))
		return open_container(r, json_array());
	return 1;
}

static int y_end_array(void *c)
{
	struct rd *r = c;
	int ok = 1;
	if (r->nstack)
		ok = close_container(r);
	r->depth--;
	return ok;
}

static const yajl_callbacks ycb = {y_null, y_bool, NULL, NULL, y_number, y_string,
				   y_start_map, y_map_key, y_end_map, y_start_array, y_end_array};

/* Scalars at the top, or in place of a section's array, are caught here. */
static int read_stream_hook(FILE *f, const char *data, size_t len, const char *name,
			    const char *split, struct fmt_sink *s, struct buf *err,
			    fmt_coco_element_fn hook, void *hook_ctx)
{
	struct rd r;
	memset(&r, 0, sizeof(r));
	r.hook = hook;
	r.hook_ctx = hook_ctx;
	r.s = s;
	r.err = err;
	r.name = name;
	r.split = split;
	r.where = (struct buf)BUF_INIT;
	yajl_handle h = yajl_alloc(&ycb, NULL, &r);
	unsigned char *chunk = f ? malloc(1 << 16) : NULL;
	uint64_t off = 0, line = 1;
	yajl_status st = yajl_status_ok;
	int rc = 0;
	size_t used = 0;
	const unsigned char *cur = NULL;
	for (;;) {
		size_t n;
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
			n = len - used;
			if (n > (1 << 16))
				n = 1 << 16;
			cur = (const unsigned char *)data + used;
			used += n;
		}
		st = yajl_parse(h, cur, n);
		if (st != yajl_status_ok) {
			size_t at = yajl_get_bytes_consumed(h);
			for (size_t i = 0; i < at && i < n; i++)
				line += cur[i] == '\n';
			off += at;
			goto failed;
		}
		for (size_t i = 0; i < n; i++)
			line += cur[i] == '\n';
		off += n;
	}
	st = yajl_complete_parse(h);
	if (st == yajl_status_ok && !r.seen[SECT_IMAGES] && !r.seen[SECT_ANNOTATIONS]) {
		buf_setf(err, "%s: not a COCO file (no \"images\" or \"annotations\")", name);
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
	for (int i = 0; i < r.nstack; i++) {
		free(r.keys[i]);
	}
	if (r.nstack)
		json_decref(r.stack[0]);
	free(r.top_key);
	free(chunk);
	buf_release(&r.where);
	yajl_free(h);
	return rc;
}

static int read_stream(FILE *f, const char *data, size_t len, const char *name, const char *split,
		       struct fmt_sink *s, struct buf *err)
{
	return read_stream_hook(f, data, len, name, split, s, err, NULL, NULL);
}

int fmt_coco_stream(FILE *f, const char *data, size_t len, const char *name, struct fmt_sink *s,
		    fmt_coco_element_fn fn, void *ctx, struct buf *err)
{
	return read_stream_hook(f, data, len, name, NULL, s, err, fn, ctx);
}

int fmt_coco_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		      struct buf *err)
{
	return read_stream(NULL, data, len, name, NULL, s, err);
}

/* "instances_val2017.json" -> "val". */
static const char *split_of_name(const char *base)
{
	const char *u = strrchr(base, '_');
	if (!u)
		return NULL;
	u++;
	if (!strncmp(u, "train", 5))
		return "train";
	if (!strncmp(u, "val", 3))
		return "val";
	if (!strncmp(u, "test", 4))
		return "test";
	return NULL;
}

static int read_file(const char *path, struct fmt_sink *s, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	fmt_sink_split(s, split_of_name(base));
	int rc = read_stream(f, NULL, 0, base, split_of_name(base), s, err);
	fclose(f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The annotation files of a dataset folder, sorted (owned). */
static size_t list_json(const char *dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") || e->d_name[0] == '.' ||
		    !strncmp(e->d_name, "panoptic", 8))
			continue;
		*out = realloc(*out, (n + 1) * sizeof(char *));
		if (!*out)
			abort();
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		(*out)[n++] = buf_detach(&p, NULL);
	}
	closedir(d);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

int fmt_coco_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct buf p = BUF_INIT;
	int rc = 0;
	if (is_dir(path)) {
		buf_addf(&p, "%s/annotations", path);
		char **files;
		size_t n = list_json(is_dir(p.data) ? p.data : path, &files);
		buf_reset(&p);
		buf_addf(&p, "%s/images", path);
		fmt_sink_media_dir(s, is_dir(p.data) ? p.data : path);
		if (!n) {
			buf_setf(err, "%s: no COCO annotation files (annotations/*.json)", path);
			rc = CAIRN_ENOTFOUND;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = read_file(files[i], s, err);
			free(files[i]);
		}
		free(files);
	} else {
		/* DATASET/annotations/x.json: media in DATASET/images, else beside the file. */
		const char *slash = strrchr(path, '/');
		if (slash)
			buf_add(&p, path, (size_t)(slash - path));
		else
			buf_adds(&p, ".");
		size_t dl = p.len;
		buf_adds(&p, "/../images");
		if (is_dir(p.data)) {
			fmt_sink_media_dir(s, p.data);
		} else {
			buf_setlen(&p, dl);
			buf_adds(&p, "/images");
			if (is_dir(p.data))
				fmt_sink_media_dir(s, p.data);
			else {
				buf_setlen(&p, dl);
				fmt_sink_media_dir(s, p.data);
			}
		}
		rc = read_file(path, s, err);
	}
	buf_release(&p);
	return rc;
}

int fmt_coco_probe(const char *path)
{
	char **files = NULL;
	size_t n = 0;
	char head[4096];
	if (is_dir(path)) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/annotations", path);
		n = list_json(p.data, &files);
		buf_release(&p);
		int conf = 0;
		for (size_t i = 0; i < n; i++) {
			const char *b = strrchr(files[i], '/') + 1;
			if (!strncmp(b, "instances", 9) || !strncmp(b, "person_keypoints", 16))
				conf = 90;
			else if (!conf)
				conf = 40;
			free(files[i]);
		}
		free(files);
		return conf;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[got] = 0;
	int c = 0;
	if (strstr(head, "\"images\"") || strstr(head, "\"annotations\""))
		c += 40;
	if (strstr(head, "\"categories\"") || strstr(head, "\"image_id\""))
		c += 40;
	return c;
}

/* ---- writing ---- */

/*
 * A set of ids. Ids mostly come in increasing order (kept ones, then
 * ++next): those are appended to a sorted array, cheap and cache-friendly;
 * the others go to a small hash table beside it.
 */
struct id_set {
	int64_t *v;                /* hash of the ids that came out of order */
	size_t cap, n;
	int64_t *seq;              /* increasing */
	size_t nseq, capseq;
};

/* One output file; COCO ids are unique per file. */
struct split_out {
	char name[16];
	struct id_set img_ids, ann_ids;
	int64_t next_img, next_ann;
	FILE *f;                   /* the file: header and images */
	struct buf path;
	int64_t images, anns_n;
};

static bool idset_hash_add(struct id_set *s, int64_t id)
{
	if (s->n * 2 >= s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 1024;
		int64_t *nv = malloc(nc * sizeof(int64_t));
		if (!nv)
			abort();
		for (size_t i = 0; i < nc; i++)
			nv[i] = INT64_MIN;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->v[i] == INT64_MIN)
				continue;
			size_t k = (size_t)((uint64_t)s->v[i] * 0x9E3779B97F4A7C15ULL) & (nc - 1);
			while (nv[k] != INT64_MIN)
				k = (k + 1) & (nc - 1);
			nv[k] = s->v[i];
		}
		free(s->v);
		s->v = nv;
		s->cap = nc;
	}
	size_t k = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (s->cap - 1);
	while (s->v[k] != INT64_MIN) {
		if (s->v[k] == id)
			return false;
		k = (k + 1) & (s->cap - 1);
	}
	s->v[k] = id;
	s->n++;
	return true;
}

static bool idset_add(struct id_set *s, int64_t id)
{
	if (!s->nseq || id > s->seq[s->nseq - 1]) {
		/* Larger than every id so far (those in the hash were smaller
		 * than the array's last when they came). */
		if (s->nseq == s->capseq) {
			s->capseq = s->capseq ? 2 * s->capseq : 1024;
			int64_t *nv = realloc(s->seq, s->capseq * sizeof(int64_t));
			if (!nv)
				abort();
			s->seq = nv;
		}
		s->seq[s->nseq++] = id;
		return true;
	}
	size_t lo = 0, hi = s->nseq;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->seq[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->seq[lo] == id)
		return false;
	return idset_hash_add(s, id);
}

struct wr {
	struct store *st;
	int64_t project_id;
	const char *out;
	const struct fmt_write_opts *o;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	struct split_out sp[9];
	size_t nsp;
	struct buf a;              /* one annotation */
	int64_t done, total, last_id;
	int rc;
	/* Pass one writes the images of every split file, pass two their
	 * annotations after them: per item, what pass one chose. */
	struct img_row {
		int64_t item_id, image_id;
		uint8_t split;         /* index into sp */
		bool reassigned;       /* its kept image id was used twice */
	} *rows;
	size_t nrows, caprows, at;
};

static struct split_out *split_get(struct wr *w, const char *name)
{
	const char *n = name ? name : "";
	for (size_t i = 0; i < w->nsp; i++)
		if (!strcmp(w->sp[i].name, n))
			return &w->sp[i];
	if (w->nsp == 9)
		return &w->sp[0];
	struct split_out *s = &w->sp[w->nsp++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", n);
	s->next_img = w->l.max_image_id;
	s->next_ann = w->l.max_object_id;
	s->path = (struct buf)BUF_INIT;
	buf_addf(&s->path, "%s/annotations/instances%s%s.json", w->out, *n ? "_" : "", n);
	s->f = fopen(s->path.data, "w");
	if (!s->f) {
		buf_setf(w->err, "cannot create '%s': %s", s->path.data, strerror(errno));
		w->rc = CAIRN_EIO;
		return NULL;
	}
	/* Large buffers: one write a megabyte, not one a few kilobytes. */
	setvbuf(s->f, NULL, _IOFBF, 1 << 20);
	/* The header: info, licenses, categories. */
	struct buf h = BUF_INIT;
	buf_adds(&h, "{\"info\":{\"description\":\"exported by Cairn\",\"version\":\"1\"},"
		     "\"licenses\":[],\"categories\":[");
	for (size_t i = 0; i < w->l.sc.nlabels; i++) {
		const struct schema_label *lb = &w->l.sc.labels[i];
		buf_addf(&h, "%s\n{\"id\":%lld,\"name\":", i ? "," : "", (long long)w->l.ids[i]);
		buf_add_json_str(&h, lb->name);
		buf_adds(&h, ",\"supercategory\":");
		buf_add_json_str(&h, w->l.super[i] ? w->l.super[i] : "");
		if (lb->skeleton) {
			buf_adds(&h, ",\"keypoints\":[");
			for (size_t k = 0; k < lb->skeleton->npoints; k++) {
				if (k)
					buf_addch(&h, ',');
				buf_add_json_str(&h, lb->skeleton->points[k]);
			}
			buf_adds(&h, "],\"skeleton\":[");
			for (size_t k = 0; k < lb->skeleton->nedges; k++)
				buf_addf(&h, "%s[%u,%u]", k ? "," : "", lb->skeleton->edges[k][0] + 1,
					 lb->skeleton->edges[k][1] + 1);
			buf_addch(&h, ']');
		}
		buf_addch(&h, '}');
	}
	buf_adds(&h, "],\n\"images\":[");
	fwrite(h.data, 1, h.len, s->f);
	buf_release(&h);
	return s;
}

static void add_num(struct buf *b, double v)
{
	json_add_double(b, v);
}

static void add_nums(struct buf *b, const double *v, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(b, ',');
		add_num(b, v[i]);
	}
	buf_addch(b, ']');
}

static void add_rle(struct buf *b, const struct rle *m, bool uncompressed)
{
	buf_addf(b, "{\"size\":[%u,%u],\"counts\":", m->h, m->w);
	if (uncompressed) {
		buf_addch(b, '[');
		for (size_t i = 0; i < m->n; i++)
			buf_addf(b, "%s%u", i ? "," : "", m->counts[i]);
		buf_addch(b, ']');
	} else {
		struct buf t = BUF_INIT;
		rle_to_string(m, &t);
		buf_add_json_str(b, t.data);
		buf_release(&t);
	}
	buf_addch(b, '}');
}

/* Base id of an object id: "17" and "17-2", "17-kp" -> 17; false for others. */
static bool uid_base(const char *uid, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(uid, &end, 10);
	if (end == uid || errno || (*end && *end != '-') || uid[0] == '-' || uid[0] == '+')
		return false;
	*id = v;
	return true;
}

static bool attr_true(const char *attrs, const char *name)
{
	if (!attrs || !strstr(attrs, "\"iscrowd\""))
		return false;
	json_t *a = json_loads(attrs, 0, NULL);
	bool t = json_is_true(json_object_get(a, name));
	json_decref(a);
	return t;
}

/* Custom attributes: all but iscrowd, without nulls. */
static void add_attrs(struct buf *b, const char *attrs)
{
	if (!attrs || !strcmp(attrs, "{}"))
		return;
	json_t *a = json_loads(attrs, 0, NULL);
	json_object_del(a, "iscrowd");
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(a, tmp, k, v) {
		if (json_is_null(v))
			json_object_del(a, k);
	}
	if (json_object_size(a)) {
		char *t = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		buf_adds(b, ",\"attributes\":");
		buf_adds(b, t);
		free(t);
	}
	json_decref(a);
}

/* Local geometry (geom/geom.h's shape names clash with the schema's). */
static double ring_area(const double *xy, size_t n)
{
	double a = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = (i + 1) % n;
		a += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
	}
	return fabs(a) / 2;
}

static void rbox_xy(const double *p, double xy[8])
{
	double cx = p[0], cy = p[1], hw = p[2] / 2, hh = p[3] / 2, a = p[4] * M_PI / 180;
	static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
	for (int k = 0; k < 4; k++) {
		double dx = sx[k] * hw, dy = sy[k] * hh;
		xy[2 * k] = cx + dx * cos(a) - dy * sin(a);
		xy[2 * k + 1] = cy + dx * sin(a) + dy * cos(a);
	}
}

struct seg {
	double *pts;      /* polygons, concatenated */
	size_t *parts;
	size_t nparts, npts;
	struct rle mask;
	bool is_mask;
	double x0, y0, x1, y1;
	double area;
	bool has;
};

static void seg_release(struct seg *s)
{
	free(s->pts);
	free(s->parts);
	rle_release(&s->mask);
	memset(s, 0, sizeof(*s));
}

static void seg_poly(struct seg *s, const double *p, size_t n)
{
	s->pts = realloc(s->pts, (s->npts + n + 1) * sizeof(double));
	s->parts = realloc(s->parts, (s->nparts + 1) * sizeof(size_t));
	if (!s->pts || !s->parts)
		abort();
	memcpy(s->pts + s->npts, p, n * sizeof(double));
	s->npts += n;
	s->parts[s->nparts++] = n;
}

static void extend(struct seg *s, double x0, double y0, double x1, double y1)
{
	if (!s->has) {
		s->x0 = x0, s->y0 = y0, s->x1 = x1, s->y1 = y1;
		s->has = true;
		return;
	}
	s->x0 = fmin(s->x0, x0);
	s->y0 = fmin(s->y0, y0);
	s->x1 = fmax(s->x1, x1);
	s->y1 = fmax(s->y1, y1);
}

/* Polygons -> one RLE (union of the parts) of h x w. */
static int polys_to_rle(struct seg *s, uint32_t h, uint32_t w, struct buf *err)
{
	const double **pp = malloc((s->nparts + 1) * sizeof(double *));
	size_t *np = malloc((s->nparts + 1) * sizeof(size_t));
	if (!pp || !np)
		abort();
	size_t off = 0;
	for (size_t i = 0; i < s->nparts; i++) {
		pp[i] = s->pts + off;
		np[i] = s->parts[i] / 2;
		off += s->parts[i];
	}
	int rc = rle_from_polys(&s->mask, pp, np, s->nparts, h, w, err);
	free(pp);
	free(np);
	if (!rc)
		s->is_mask = true;
	return rc;
}

static int mask_to_polys(struct seg *s, struct fmt_loss *loss, struct buf *err)
{
	struct contours c;
	memset(&c, 0, sizeof(c));
	int rc = rle_to_contours(&s->mask, 0, &c, err);
	if (rc)
		return rc;
	size_t off = 0;
	bool holes = false;
	for (size_t i = 0; i < c.nrings; i++) {
		if (c.parent[i] >= 0)
			holes = true;
		else
			seg_poly(s, c.xy + 2 * off, 2 * c.rings[i]);
		off += c.rings[i];
	}
	if (holes)
		fmt_loss_add(loss, "mask hole (lost writing polygons)", 1);
	contours_release(&c);
	rle_release(&s->mask);
	s->is_mask = false;
	return 0;
}

/* Writes one annotation group (a primary object and its keypoints). */
static int write_group(struct wr *w, struct split_out *so, const struct item *it, int64_t image_id,
		       const struct ann_doc *d, const struct ann_object *prim,
		       const struct ann_object *kp, int64_t ann_id_hint, bool has_hint,
		       const struct ann_object *const *extra, size_t nextra)
{
	const struct ann_object *lab = prim ? prim : kp;
	struct seg s;
	memset(&s, 0, sizeof(s));
	bool crowd = attr_true(lab->attrs, "iscrowd");
	int rc = 0;
	uint32_t H = (uint32_t)(it->height > 0 ? it->height : 0);
	uint32_t W = (uint32_t)(it->width > 0 ? it->width : 0);
	if (prim) {
		switch (prim->type) {
		case SHAPE_BOX:
			extend(&s, prim->x0, prim->y0, prim->x1, prim->y1);
			s.area = (prim->x1 - prim->x0) * (prim->y1 - prim->y0);
			break;
		case SHAPE_POLYGON: {
			if (prim->nrings > 1) {
				/* Holes: COCO polygons cannot carry them; an RLE can. */
				struct rle outer = RLE_INIT, acc = RLE_INIT;
				size_t off = 0;
				for (size_t r = 0; r < prim->nrings && !rc; r++) {
					struct rle one = RLE_INIT;
					rc = rle_from_poly(&one, prim->pts + off, prim->rings[r], H, W, w->err);
					off += 2 * prim->rings[r];
					if (rc)
						break;
					if (r == 0) {
						outer = one;
						continue;
					}
					rc = rle_combine(&acc, &outer, &one, RLE_SUBTRACT, w->err);
					rle_release(&one);
					rle_release(&outer);
					outer = acc;
					acc = (struct rle)RLE_INIT;
				}
				s.mask = outer;
				s.is_mask = true;
				fmt_loss_add(w->loss, "polygon with holes (written as RLE)", 1);
			} else {
				seg_poly(&s, prim->pts, prim->npts);
			}
			for (size_t i = 0; i < nextra; i++)
				seg_poly(&s, extra[i]->pts, extra[i]->npts);
			break;
		}
		case SHAPE_MASK:
			rle_copy(&s.mask, &prim->mask);
			s.is_mask = true;
			break;
		case SHAPE_ROTATED_BOX: {
			double xy[8];
			rbox_xy(prim->pts, xy);
			seg_poly(&s, xy, 8);
			fmt_loss_add(w->loss, "rotated_box (written as a polygon)", 1);
			break;
		}
		case SHAPE_ELLIPSE: {
			double xy[64];
			double cx = prim->pts[0], cy = prim->pts[1], rx = prim->pts[2], ry = prim->pts[3];
			double a = prim->pts[4] * M_PI / 180;
			for (int k = 0; k < 32; k++) {
				double t = 2 * M_PI * k / 32;
				double ex = rx * cos(t), ey = ry * sin(t);
				xy[2 * k] = cx + ex * cos(a) - ey * sin(a);
				xy[2 * k + 1] = cy + ex * sin(a) + ey * cos(a);
			}
			seg_poly(&s, xy, 64);
			fmt_loss_add(w->loss, "ellipse (written as a 32-point polygon)", 1);
			break;
		}
		default:
			break;
		}
		if (!rc && w->o->segm == FMT_SEGM_RLE && !s.is_mask && s.nparts) {
			if (!H || !W) {
				fmt_loss_add(w->loss, "polygon kept (no image size for RLE)", 1);
			} else {
				rc = polys_to_rle(&s, H, W, w->err);
				free(s.pts);
				free(s.parts);
				s.pts = NULL;
				s.parts = NULL;
				s.npts = s.nparts = 0;
			}
		} else if (!rc && w->o->segm == FMT_SEGM_POLYGON && s.is_mask) {
			rc = mask_to_polys(&s, w->loss, w->err);
		}
		if (rc)
			goto out;
		if (s.is_mask) {
			double bb[4];
			rle_bbox(&s.mask, bb);
			s.has = false;
			extend(&s, bb[0], bb[1], bb[0] + bb[2], bb[1] + bb[3]);
			s.area = (double)rle_area(&s.mask);
		} else if (s.nparts) {
			s.has = false;
			s.area = 0;
			size_t off = 0;
			for (size_t i = 0; i < s.nparts; i++) {
				for (size_t k = 0; k < s.parts[i]; k += 2)
					extend(&s, s.pts[off + k], s.pts[off + k + 1], s.pts[off + k],
					       s.pts[off + k + 1]);
				s.area += ring_area(s.pts + off, s.parts[i] / 2);
				off += s.parts[i];
			}
		}
	}
	if (!s.has && kp) {
		extend(&s, kp->x0, kp->y0, kp->x1, kp->y1);
	}
	int64_t id;
	if (has_hint && idset_add(&so->ann_ids, ann_id_hint)) {
		id = ann_id_hint;
	} else {
		if (has_hint)
			fmt_loss_add(w->loss, "annotation id reassigned (used twice)", 1);
		do
			id = ++so->next_ann;
		while (!idset_add(&so->ann_ids, id));
	}
	struct buf *b = &w->a;
	buf_reset(b);
	buf_addf(b, "%s\n{\"id\":%lld,\"image_id\":%lld,\"category_id\":%lld,\"segmentation\":",
		 so->anns_n ? "," : "", (long long)id, (long long)image_id,
		 (long long)w->l.ids[lab->label]);
	if (s.is_mask) {
		add_rle(b, &s.mask, crowd);
	} else {
		buf_addch(b, '[');
		size_t off = 0;
		for (size_t i = 0; i < s.nparts; i++) {
			if (i)
				buf_addch(b, ',');
			add_nums(b, s.pts + off, s.parts[i]);
			off += s.parts[i];
		}
		buf_addch(b, ']');
	}
	buf_adds(b, ",\"area\":");
	add_num(b, s.area);
	buf_adds(b, ",\"bbox\":[");
	add_num(b, s.x0);
	buf_addch(b, ',');
	add_num(b, s.y0);
	buf_addch(b, ',');
	add_num(b, s.x1 - s.x0);
	buf_addch(b, ',');
	add_num(b, s.y1 - s.y0);
	buf_addf(b, "],\"iscrowd\":%d", crowd ? 1 : 0);
	if (kp) {
		buf_adds(b, ",\"keypoints\":");
		add_nums(b, kp->pts, kp->npts);
		int nk = 0;
		for (size_t i = 2; i < kp->npts; i += 3)
			nk += kp->pts[i] > 0;
		buf_addf(b, ",\"num_keypoints\":%d", nk);
	}
	if (lab->has_score) {
		buf_adds(b, ",\"score\":");
		add_num(b, lab->score);
	}
	add_attrs(b, lab->attrs);
	buf_addch(b, '}');
	if (fwrite(b->data, 1, b->len, so->f) != b->len) {
		buf_setf(w->err, "cannot write '%s': %s", so->path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	so->anns_n++;
out:
	seg_release(&s);
	(void)d;
	return rc;
}

/* Pass one: the item's entry in "images" of its split's file. */
static int write_image(void *ctx, const struct item *it)
{
	struct wr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	struct split_out *so = split_get(w, split);
	if (!so)
		return w->rc;
	int64_t image_id;
	bool kept = fmt_meta_id(it, "coco_id", &image_id), reassigned = false;
	if (!kept || !idset_add(&so->img_ids, image_id)) {
		reassigned = kept;
		do
			image_id = ++so->next_img;
		while (!idset_add(&so->img_ids, image_id));
	}
	if (w->nrows == w->caprows) {
		w->caprows = w->caprows ? 2 * w->caprows : 4096;
		struct img_row *nr = realloc(w->rows, w->caprows * sizeof(*nr));
		if (!nr)
			abort();
		w->rows = nr;
	}
	w->rows[w->nrows++] = (struct img_row){it->id, image_id, (uint8_t)(so - w->sp), reassigned};
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	struct buf *b = &w->a;
	buf_reset(b);
	buf_addf(b, "%s\n{\"id\":%lld,\"file_name\":", so->images ? "," : "", (long long)image_id);
	buf_add_json_str(b, fn);
	buf_addf(b, ",\"width\":%d,\"height\":%d}", it->width, it->height);
	so->images++;
	int rc = 0;
	if (fwrite(b->data, 1, b->len, so->f) != b->len) {
		buf_setf(w->err, "cannot write '%s': %s", so->path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	if (!rc && w->o->include_media) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/images/%s%s%s", w->out, so->name, *so->name ? "/" : "", fn);
		rc = fmt_copy_media(w->o->data_dir, it, p.data, w->err);
		buf_release(&p);
	}
	free(tmp);
	return rc;
}

/* Pass two: the item's annotations, after "annotations" of its split's file. */
static int write_item(void *ctx, const struct item *it)
{
	struct wr *w = ctx;
	w->last_id = it->id;
	w->done++;
	/* Both passes walk items in id order; an item added in between was
	 * not in "images" and is left out. */
	while (w->at < w->nrows && w->rows[w->at].item_id < it->id)
		w->at++;
	if (w->at == w->nrows || w->rows[w->at].item_id != it->id)
		return 0;
	const struct img_row *row = &w->rows[w->at++];
	struct split_out *so = &w->sp[row->split];
	int64_t image_id = row->image_id;
	if (row->reassigned)
		fmt_loss_add(w->loss, "image id reassigned (used twice)", 1);
	int rc;
	struct ann_doc d;
	bool found;
	if ((rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err)))
		return rc;
	if (!found)
		return 0;
	if (d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (d.nrelations)
		fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	/* Group objects: "N", "N-2"... (polygon parts) and "N-kp" (keypoints) form one annotation. */
	bool *used = calloc(d.nobjects + 1, 1);
	const struct ann_object **extra = malloc((d.nobjects + 1) * sizeof(*extra));
	if (!used || !extra)
		abort();
	for (size_t i = 0; i < d.nobjects && !rc; i++) {
		if (used[i])
			continue;
		const struct ann_object *o = &d.objects[i];
		used[i] = true;
		switch (o->type) {
		case SHAPE_BOX: case SHAPE_POLYGON: case SHAPE_MASK: case SHAPE_ROTATED_BOX:
		case SHAPE_ELLIPSE: case SHAPE_KEYPOINTS:
			break;
		default: {
			struct buf n = BUF_INIT;
			buf_addf(&n, "%s (not in COCO)", shape_kind_name(o->type));
			fmt_loss_add(w->loss, n.data, 1);
			buf_release(&n);
			continue;
		}
		}
		if (o->text)
			fmt_loss_add(w->loss, "text", 1);
		if (o->has_track)
			fmt_loss_add(w->loss, "track", 1);
		const struct ann_object *prim = o->type == SHAPE_KEYPOINTS ? NULL : o, *kp = NULL;
		if (!prim)
			kp = o;
		size_t nextra = 0;
		int64_t base;
		bool has_base = uid_base(o->uid, &base);
		/* A keypoints object whose parent is o, and polygon parts of the same base id. */
		for (size_t k = i + 1; k < d.nobjects; k++) {
			const struct ann_object *q = &d.objects[k];
			if (used[k])
				continue;
			if (prim && !kp && q->type == SHAPE_KEYPOINTS && !strcmp(q->parent, o->uid)) {
				kp = q;
				used[k] = true;
				continue;
			}
			int64_t qb;
			if (prim && prim->type == SHAPE_POLYGON && prim->nrings <= 1 &&
			    q->type == SHAPE_POLYGON && q->nrings <= 1 && has_base &&
			    q->label == o->label && strchr(q->uid, '-') && uid_base(q->uid, &qb) &&
			    qb == base && q->uid[strlen(q->uid) - 1] != 'p') {
				extra[nextra++] = q;
				used[k] = true;
			}
		}
		if (!prim && kp->parent[0])
			continue; /* its parent writes it, or it is lost with it */
		rc = write_group(w, so, it, image_id, &d, prim, kp, base, has_base, extra, nextra);
	}
	free(used);
	free(extra);
	ann_doc_release(&d);
	return rc;
}

int fmt_coco_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct wr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.project_id = project_id;
	w.out = out;
	w.o = o;
	w.loss = loss;
	w.err = err;
	w.a = (struct buf)BUF_INIT;
	int rc;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/annotations", out);
	if ((rc = fmt_mkdirs(p.data, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "coco", err)))
		goto done;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		w.total = ps.items;
	/* Pass one: images (items only, no annotation bodies). */
	for (;;) {
		int64_t before = w.done;
		rc = store_item_list(st, project_id, w.last_id, 512, write_image, &w, err);
		if (rc || w.rc)
			break;
		if (w.done - before < 512)
			break;
	}
	if (!rc)
		rc = w.rc;
	if (!rc && w.nsp == 0 && !split_get(&w, NULL))
		rc = w.rc;
	for (size_t i = 0; !rc && i < w.nsp; i++)
		if (fputs("\n],\n\"annotations\":[", w.sp[i].f) < 0)
			rc = CAIRN_EIO;
	/* Pass two: annotations, written straight after. */
	w.done = w.last_id = 0;
	if (!rc)
		rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (!rc)
		rc = w.rc;
	for (size_t i = 0; i < w.nsp; i++) {
		struct split_out *so = &w.sp[i];
		if (!rc && so->f) {
			fputs("\n]}\n", so->f);
			if (fflush(so->f) && !rc) {
				buf_setf(err, "cannot write '%s': %s", so->path.data, strerror(errno));
				rc = CAIRN_EIO;
			}
		}
		if (so->f)
			fclose(so->f);
		free(so->img_ids.v);
		free(so->ann_ids.v);
		free(so->img_ids.seq);
		free(so->ann_ids.seq);
		buf_release(&so->path);
	}
done:
	fmt_doc_cache_free(w.dc);
	free(w.rows);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	buf_release(&w.a);
	buf_release(&p);
	return rc;
}
