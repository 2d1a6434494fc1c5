/*
 * fmt_labelme.c - LabelMe JSON: one file per image beside the images
 * (imagePath, imageWidth, imageHeight, shapes with label, points,
 * shape_type, group_id, flags, description). imageData is ignored on read
 * and never written. Pixel coordinates, as Cairn's.
 * Conventions and normalisations: docs/formats/labelme.md.
 */
#include "formats/fmt_labelme.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "core/json_check.h"
#include "formats/fmt.h"
#include "geom/contour.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"  /* fmt_strmap */
#include "base/banned.h"

int fmt_labelme_probe(const char *path);
int fmt_labelme_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_labelme_write(struct store *st, int64_t project_id, const char *out,
		      const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define FILE_MAX ((size_t)512 << 20)
#define PI 3.14159265358979323846

/* ---- reading ---- */

struct lrd {
	struct fmt_sink *s;
	const char *name;          /* the file, for messages */
	struct buf where, val;
	struct fmt_strmap labels;  /* name -> category id (from 1) */
};

static int label_id(struct lrd *r, const char *name, const char *where, int64_t *id)
{
	if (fmt_strmap_get(&r->labels, name, id))
		return 0;
	struct fmt_category c = {0};
	c.id = (int64_t)r->labels.n + 1;
	c.name = name;
	c.where = where;
	int rc = fmt_sink_category(r->s, &c);
	if (rc)
		return rc;
	fmt_strmap_put(&r->labels, name, c.id);
	*id = c.id;
	return 0;
}

static const char *show(struct lrd *r, const json_t *v)
{
	buf_reset(&r->val);
	json_value_text(&r->val, v);
	return r->val.data;
}

static const char *at(struct lrd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *at(struct lrd *r, const char *fmt, ...)
{
	buf_reset(&r->where);
	buf_addf(&r->where, "%s: $", r->name);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&r->where, fmt, ap);
	va_end(ap);
	return r->where.data;
}

static int bad(struct lrd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct lrd *r, const char *fmt, ...)
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

static int read_shape(struct lrd *r, const json_t *sh, size_t i, int64_t image_id)
{
	if (!json_is_object(sh)) {
		at(r, ".shapes[%zu]", i);
		return bad(r, "expected an object, got %s", show(r, sh));
	}
	json_t *lb = json_object_get(sh, "label");
	if (!json_is_string(lb) || !*json_string_value(lb)) {
		at(r, ".shapes[%zu].label", i);
		return bad(r, "expected a label name, got %s", lb ? show(r, lb) : "nothing");
	}
	json_t *ty = json_object_get(sh, "shape_type");
	const char *type = ty && !json_is_null(ty) ? json_string_value(ty) : "polygon";
	if (!type) {
		at(r, ".shapes[%zu].shape_type", i);
		return bad(r, "expected a shape type, got %s", show(r, ty));
	}
	json_t *pts = json_object_get(sh, "points");
	if (!json_is_array(pts)) {
		at(r, ".shapes[%zu].points", i);
		return bad(r, "expected a list of [x, y] points, got %s", pts ? show(r, pts) : "nothing");
	}
	size_t n = json_array_size(pts);
	double *xy = xrealloc(NULL, (2 * n + 5) * sizeof(double));
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		json_t *p = json_array_get(pts, k);
		if (!json_is_array(p) || json_array_size(p) != 2) {
			at(r, ".shapes[%zu].points[%zu]", i, k);
			rc = bad(r, "expected [x, y], got %s", show(r, p));
			break;
		}
		for (size_t c = 0; c < 2; c++) {
			json_t *v = json_array_get(p, c);
			if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
			    fabs(json_number_value(v)) > 1e9) {
				at(r, ".shapes[%zu].points[%zu][%zu]", i, k, c);
				rc = bad(r, "expected a number, got %s", show(r, v));
				break;
			}
			xy[2 * k + c] = json_number_value(v);
		}
	}
	struct fmt_object o = {0};
	size_t need = 0;
	bool exact = true;
	if (!rc) {
		if (!strcmp(type, "rectangle")) {
			need = 2;
			o.type = SHAPE_BOX;
		} else if (!strcmp(type, "polygon")) {
			need = 3;
			exact = false;
			o.type = SHAPE_POLYGON;
		} else if (!strcmp(type, "line")) {
			need = 2;
			o.type = SHAPE_POLYLINE;
		} else if (!strcmp(type, "linestrip")) {
			need = 2;
			exact = false;
			o.type = SHAPE_POLYLINE;
		} else if (!strcmp(type, "point")) {
			need = 1;
			o.type = SHAPE_POINTS;
		} else if (!strcmp(type, "points")) {
			need = 1;
			exact = false;
			o.type = SHAPE_POINTS;
		} else if (!strcmp(type, "circle")) {
			need = 2;
			o.type = SHAPE_ELLIPSE;
		} else {
			char what[96];
			snprintf(what, sizeof(what), "%.40s shape (not imported)", type);
			fmt_sink_note(r->s, what);
			free(xy);
			return 0;
		}
		if (exact ? n != need : n < need) {
			at(r, ".shapes[%zu].points", i);
			rc = bad(r, "a %s needs %s%zu points, got %zu", type, exact ? "" : "at least ",
				 need, n);
		}
	}
	if (rc) {
		free(xy);
		return rc;
	}
	if (o.type == SHAPE_BOX) {
		double x0 = fmin(xy[0], xy[2]), x1 = fmax(xy[0], xy[2]);
		double y0 = fmin(xy[1], xy[3]), y1 = fmax(xy[1], xy[3]);
		xy[0] = x0;
		xy[1] = y0;
		xy[2] = x1;
		xy[3] = y1;
		o.npts = 4;
	} else if (o.type == SHAPE_ELLIPSE) {
		double rad = hypot(xy[2] - xy[0], xy[3] - xy[1]);
		xy[2] = rad;
		xy[3] = rad;
		xy[4] = 0;
		o.npts = 5;
	} else {
		o.npts = 2 * n;
	}
	json_t *attrs = NULL;
	json_t *fl = json_object_get(sh, "flags");
	if (fl && !json_is_null(fl)) {
		if (!json_is_object(fl)) {
			at(r, ".shapes[%zu].flags", i);
			free(xy);
			return bad(r, "expected an object of true/false flags, got %s", show(r, fl));
		}
		const char *k;
		json_t *v;
		json_object_foreach(fl, k, v) {
			if (!json_is_boolean(v)) {
				at(r, ".shapes[%zu].flags.%s", i, k);
				free(xy);
				json_decref(attrs);
				return bad(r, "expected true or false, got %s", show(r, v));
			}
			if (!attrs)
				attrs = json_object();
			json_object_set(attrs, k, v);
		}
	}
	json_t *de = json_object_get(sh, "description");
	if (json_is_string(de) && *json_string_value(de)) {
		if (!attrs)
			attrs = json_object();
		json_object_set(attrs, "description", de);
	}
	json_t *g = json_object_get(sh, "group_id");
	if (g && !json_is_null(g)) {
		if (!json_is_integer(g) || json_integer_value(g) < 0) {
			at(r, ".shapes[%zu].group_id", i);
			free(xy);
			json_decref(attrs);
			return bad(r, "expected an integer >= 0 or null, got %s", show(r, g));
		}
		o.has_group = true;
		o.group = json_integer_value(g);
	}
	if (json_object_get(sh, "mask") && !json_is_null(json_object_get(sh, "mask")))
		fmt_sink_note(r->s, "shape mask (not imported)");
	at(r, ".shapes[%zu]", i);
	char *w = xstrdup(r->where.data);
	o.image_id = image_id;
	o.pts = xy;
	o.attrs = attrs;
	o.where = w;
	rc = label_id(r, json_string_value(lb), w, &o.category_id);
	if (!rc)
		rc = fmt_sink_object(r->s, &o);
	free(w);
	free(xy);
	json_decref(attrs);
	return rc;
}

static int read_doc(struct lrd *r, json_t *root, int64_t image_id, const char *rel_dir)
{
	if (!json_is_object(root)) {
		at(r, "%s", "");
		return bad(r, "expected a LabelMe object, got %s", show(r, root));
	}
	json_t *ip = json_object_get(root, "imagePath");
	if (!json_is_string(ip) || !*json_string_value(ip)) {
		at(r, ".imagePath");
		return bad(r, "expected the image's file name, got %s", ip ? show(r, ip) : "nothing");
	}
	int64_t wh[2] = {0, 0};
	const char *keys[2] = {"imageWidth", "imageHeight"};
	for (int k = 0; k < 2; k++) {
		json_t *v = json_object_get(root, keys[k]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > ANN_MAX_MASK_SIDE) {
			at(r, ".%s", keys[k]);
			return bad(r, "expected an image size in pixels, got %s", show(r, v));
		}
		wh[k] = json_integer_value(v);
	}
	json_t *shapes = json_object_get(root, "shapes");
	if (shapes && !json_is_array(shapes) && !json_is_null(shapes)) {
		at(r, ".shapes");
		return bad(r, "expected a list of shapes, got %s", show(r, shapes));
	}
	/* imagePath is relative to the JSON file; the media folder is the dataset's root. */
	const char *p = json_string_value(ip);
	struct buf fn = BUF_INIT;
	const char *b = strrchr(p, '/');
	const char *bs = strrchr(p, '\\');
	if (bs && (!b || bs > b))
		b = bs;
	bool up = !strncmp(p, "../", 3) || p[0] == '/' || strstr(p, "/../") || strchr(p, '\\');
	if (rel_dir && *rel_dir)
		buf_addf(&fn, "%s/", rel_dir);
	buf_adds(&fn, up && b ? b + 1 : p);
	if (up)
		fmt_sink_note(r->s, "imagePath outside the folder (looked up by its base name)");
	struct fmt_image im = {0};
	im.id = image_id;
	im.file_name = fn.data;
	im.width = (int32_t)wh[0];
	im.height = (int32_t)wh[1];
	char *w = xstrdup(at(r, "%s", ""));
	im.where = w;
	int rc = fmt_sink_image(r->s, &im);
	free(w);
	buf_release(&fn);
	if (rc)
		return rc;
	/* Image flags set true are tags. */
	json_t *fl = json_object_get(root, "flags");
	const char *k;
	json_t *v;
	if (fl && !json_is_null(fl) && !json_is_object(fl)) {
		at(r, ".flags");
		return bad(r, "expected an object of true/false flags, got %s", show(r, fl));
	}
	json_object_foreach(fl, k, v) {
		if (!json_is_true(v)) {
			if (!json_is_false(v)) {
				at(r, ".flags.%s", k);
				return bad(r, "expected true or false, got %s", show(r, v));
			}
			continue; /* a flag not set: no tag */
		}
		at(r, ".flags.%s", k);
		char *wf = xstrdup(r->where.data);
		struct fmt_object o = {0};
		o.image_id = image_id;
		o.type = SHAPE_TAG;
		o.where = wf;
		rc = label_id(r, k, wf, &o.category_id);
		if (!rc)
			rc = fmt_sink_object(r->s, &o);
		free(wf);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < json_array_size(shapes); i++) {
		rc = read_shape(r, json_array_get(shapes, i), i, image_id);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int fmt_labelme_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			 struct buf *err)
{
	struct lrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.name = name;
	r.where = (struct buf)BUF_INIT;
	r.val = (struct buf)BUF_INIT;
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	int rc = 0;
	if (!root) {
		buf_setf(err, "%s:%d: invalid JSON: %s", name, je.line, je.text);
		rc = CAIRN_EINVAL;
	} else {
		rc = read_doc(&r, root, 1, NULL);
		if (rc > 0)
			rc = 0;
	}
	json_decref(root);
	fmt_strmap_release(&r.labels);
	buf_release(&r.where);
	buf_release(&r.val);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json files under dir (and its subfolders, to depth 4), relative, sorted. */
static void list_json(const char *root, const char *rel, char ***v, size_t *n, int depth)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s%s%s", root, *rel ? "/" : "", rel);
	DIR *d = opendir(p.data);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf q = BUF_INIT, rq = BUF_INIT;
		buf_addf(&q, "%s/%s", p.data, e->d_name);
		buf_addf(&rq, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		size_t l = strlen(e->d_name);
		if (is_dir(q.data)) {
			if (depth < 4)
				list_json(root, rq.data, v, n, depth + 1);
		} else if (l > 5 && !strcmp(e->d_name + l - 5, ".json") &&
			   strcmp(e->d_name, "loss-report.json")) {
			*v = xrealloc(*v, (*n + 1) * sizeof(char *));
			(*v)[(*n)++] = xstrdup(rq.data);
		}
		buf_release(&q);
		buf_release(&rq);
	}
	if (d)
		closedir(d);
	buf_release(&p);
}

static int read_one(struct lrd *r, const char *path, const char *rel, int64_t id, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", rel, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	json_error_t je;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	r->name = rel;
	if (!root) {
		int rc = fmt_sink_invalid(r->s, rel, "line %d: invalid JSON: %s", je.line, je.text);
		return rc;
	}
	struct buf dir = BUF_INIT;
	const char *sl = strrchr(rel, '/');
	if (sl)
		buf_add(&dir, rel, (size_t)(sl - rel));
	int rc = read_doc(r, root, id, dir.data);
	buf_release(&dir);
	json_decref(root);
	return rc > 0 ? 0 : rc;
}

int fmt_labelme_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct lrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.where = (struct buf)BUF_INIT;
	r.val = (struct buf)BUF_INIT;
	int rc = 0;
	if (is_dir(path)) {
		fmt_sink_media_dir(s, path);
		char **v = NULL;
		size_t n = 0;
		list_json(path, "", &v, &n, 0);
		if (n)
			qsort(v, n, sizeof(char *), cmp_str);
		else {
			struct buf a = BUF_INIT;
			buf_addf(&a, "%s/Annotations", path);
			if (is_dir(a.data))
				buf_setf(err, "%s: no LabelMe JSON files; Annotations/*.xml is the MIT "
					 "LabelMe XML format: give --format labelme-xml", path);
			else
				buf_setf(err, "%s: no LabelMe files (*.json) in the folder", path);
			buf_release(&a);
			rc = CAIRN_ENOTFOUND;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc) {
				struct buf p = BUF_INIT;
				buf_addf(&p, "%s/%s", path, v[i]);
				rc = read_one(&r, p.data, v[i], (int64_t)i + 1, err);
				buf_release(&p);
			}
			free(v[i]);
		}
		free(v);
	} else {
		struct buf d = BUF_INIT;
		const char *sl = strrchr(path, '/');
		if (sl)
			buf_add(&d, path, (size_t)(sl - path));
		else
			buf_adds(&d, ".");
		fmt_sink_media_dir(s, d.data);
		buf_release(&d);
		rc = read_one(&r, path, sl ? sl + 1 : path, 1, err);
	}
	fmt_strmap_release(&r.labels);
	buf_release(&r.where);
	buf_release(&r.val);
	return rc;
}

/* Sure when a .json in the folder (or the file) has "shapes" and "imagePath". */
int fmt_labelme_probe(const char *path)
{
	struct buf p = BUF_INIT;
	if (is_dir(path)) {
		char **v = NULL;
		size_t n = 0;
		list_json(path, "", &v, &n, 3);
		if (n) {
			qsort(v, n, sizeof(char *), cmp_str);
			buf_addf(&p, "%s/%s", path, v[0]);
		}
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		if (!n) {
			buf_release(&p);
			return 0;
		}
	} else {
		buf_adds(&p, path);
	}
	FILE *f = fopen(p.data, "rb");
	buf_release(&p);
	if (!f)
		return 0;
	char head[4096];
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = 0;
	return strstr(head, "\"shapes\"") && strstr(head, "\"imagePath\"") ? 85
	       : strstr(head, "\"shapes\"") ? 30 : 0;
}

/* ---- writing ---- */

struct lwr {
	struct store *st;
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t done, total, last_id;
	struct buf t, path;
	int rc;
};

static void add_num(struct buf *b, double v)
{
	if (v == 0)
		v = 0;
	json_add_double(b, v);
}

static void add_pts(struct buf *b, const double *xy, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i + 1 < n; i += 2) {
		buf_adds(b, i ? ",[" : "[");
		add_num(b, xy[i]);
		buf_addch(b, ',');
		add_num(b, xy[i + 1]);
		buf_addch(b, ']');
	}
	buf_addch(b, ']');
}

static void shape(struct lwr *w, const char *label, const char *type, const double *xy, size_t n,
		  const struct ann_object *o, json_t *attrs, bool *first)
{
	struct buf *b = &w->t;
	buf_adds(b, *first ? "\n  {" : ",\n  {");
	*first = false;
	buf_adds(b, "\"label\":");
	buf_add_json_str(b, label);
	buf_adds(b, ",\"points\":");
	add_pts(b, xy, n);
	if (o->has_group)
		buf_addf(b, ",\"group_id\":%lld", (long long)o->group);
	else
		buf_adds(b, ",\"group_id\":null");
	const char *desc = json_string_value(json_object_get(attrs, "description"));
	buf_adds(b, ",\"description\":");
	buf_add_json_str(b, desc ? desc : "");
	buf_adds(b, ",\"shape_type\":");
	buf_add_json_str(b, type);
	buf_adds(b, ",\"flags\":{");
	const char *k;
	json_t *v;
	size_t nf = 0;
	json_object_foreach(attrs, k, v) {
		if (!json_is_boolean(v))
			continue;
		if (nf++)
			buf_addch(b, ',');
		buf_add_json_str(b, k);
		buf_adds(b, json_is_true(v) ? ":true" : ":false");
	}
	buf_adds(b, "},\"mask\":null}");
}

static void write_object(struct lwr *w, const struct ann_object *o, bool *first)
{
	const char *label = w->l.sc.labels[o->label].name;
	json_t *attrs = o->attrs ? json_loads(o->attrs, 0, NULL) : NULL;
	const char *k;
	json_t *v;
	json_object_foreach(attrs, k, v) if (!json_is_boolean(v) && strcmp(k, "description"))
		fmt_loss_add(w->loss, "attribute other than true/false or description", 1);
	if (o->occluded)
		fmt_loss_add(w->loss, "occluded", 1);
	if (o->z_order)
		fmt_loss_add(w->loss, "z_order", 1);
	if (o->has_score)
		fmt_loss_add(w->loss, "score", 1);
	if (o->text)
		fmt_loss_add(w->loss, "transcription", 1);
	if (o->has_track || o->has_frame)
		fmt_loss_add(w->loss, "track or frame", 1);
	switch (o->type) {
	case SHAPE_BOX:
		shape(w, label, "rectangle", o->pts, 4, o, attrs, first);
		break;
	case SHAPE_ROTATED_BOX: {
		double a = o->pts[4] * PI / 180, c = cos(a), s = sin(a);
		double hw = o->pts[2] / 2, hh = o->pts[3] / 2, xy[8];
		static const double sg[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
		for (int i = 0; i < 4; i++) {
			double dx = sg[i][0] * hw, dy = sg[i][1] * hh;
			xy[2 * i] = o->pts[0] + dx * c - dy * s;
			xy[2 * i + 1] = o->pts[1] + dx * s + dy * c;
		}
		fmt_loss_add(w->loss, "rotated box (written as a polygon)", 1);
		shape(w, label, "polygon", xy, 8, o, attrs, first);
		break;
	}
	case SHAPE_POLYGON:
		if (o->rings && o->nrings > 1)
			fmt_loss_add(w->loss, "polygon hole (the outline is kept)", (int64_t)o->nrings - 1);
		shape(w, label, "polygon", o->pts, o->rings ? 2 * o->rings[0] : o->npts, o, attrs, first);
		break;
	case SHAPE_POLYLINE:
		shape(w, label, o->npts == 4 ? "line" : "linestrip", o->pts, o->npts, o, attrs, first);
		break;
	case SHAPE_POINTS:
		for (size_t i = 0; i + 1 < o->npts; i += 2)
			shape(w, label, "point", o->pts + i, 2, o, attrs, first);
		if (o->npts > 2)
			fmt_loss_add(w->loss, "points object of several points (one point shape each)", 1);
		break;
	case SHAPE_ELLIPSE:
		if (fabs(o->pts[2] - o->pts[3]) <= 1e-9 * fmax(1, o->pts[2])) {
			double xy[4] = {o->pts[0], o->pts[1], o->pts[0] + o->pts[2], o->pts[1]};
			shape(w, label, "circle", xy, 4, o, attrs, first);
		} else {
			double xy[128];
			double a = o->pts[4] * PI / 180, c = cos(a), s = sin(a);
			for (int i = 0; i < 64; i++) {
				double t = 2 * PI * i / 64, ex = o->pts[2] * cos(t), ey = o->pts[3] * sin(t);
				xy[2 * i] = o->pts[0] + ex * c - ey * s;
				xy[2 * i + 1] = o->pts[1] + ex * s + ey * c;
			}
			fmt_loss_add(w->loss, "ellipse with two radii (written as a 64-point polygon)", 1);
			shape(w, label, "polygon", xy, 128, o, attrs, first);
		}
		break;
	case SHAPE_MASK: {
		struct contours c;
		memset(&c, 0, sizeof(c));
		struct buf e = BUF_INIT;
		if (rle_to_contours(&o->mask, 0, &c, &e) == 0) {
			size_t off = 0;
			bool holes = false;
			for (size_t i = 0; i < c.nrings; i++) {
				if (c.parent[i] >= 0)
					holes = true;
				else
					shape(w, label, "polygon", c.xy + 2 * off, 2 * c.rings[i], o, attrs,
					      first);
				off += c.rings[i];
			}
			if (holes)
				fmt_loss_add(w->loss, "mask hole (lost writing polygons)", 1);
			fmt_loss_add(w->loss, "mask (written as polygons along the pixel edges)", 1);
		} else {
			fmt_loss_add(w->loss, "mask that does not trace (not written)", 1);
		}
		contours_release(&c);
		buf_release(&e);
		break;
	}
	case SHAPE_TAG:
		break; /* image flags */
	default: {
		char what[80];
		snprintf(what, sizeof(what), "%s (LabelMe has no such shape)", shape_kind_name(o->type));
		fmt_loss_add(w->loss, what, 1);
	}
	}
	json_decref(attrs);
}

static bool exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct lwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	char *tmp = NULL;
	const char *fn = fmt_item_file_name(it, &tmp);
	if (!strncmp(fn, "../", 3) || fn[0] == '/' || strstr(fn, "/../")) {
		const char *b = strrchr(fn, '/');
		fn = b + 1;
	}
	/* OUT/<fn without extension>.json, unique. */
	struct buf stem = BUF_INIT;
	const char *dot = strrchr(fn, '.');
	const char *sl = strrchr(fn, '/');
	buf_add(&stem, fn, dot && (!sl || dot > sl) ? (size_t)(dot - fn) : strlen(fn));
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/%s.json", w->out, stem.data);
	if (exists(w->path.data)) {
		buf_addf(&stem, "_%lld", (long long)it->id);
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/%s.json", w->out, stem.data);
		fmt_loss_add(w->loss, "file name used twice (renamed with the item id)", 1);
	}
	const char *base = sl ? sl + 1 : fn;
	/* The JSON file's folder is made by fmt_put_file when missing, the
	 * image's by fmt_copy_media. */
	if (!rc && w->o->include_media) {
		struct buf mp = BUF_INIT;
		buf_addf(&mp, "%s/", w->out);
		buf_add(&mp, fn, (size_t)(base - fn));
		buf_adds(&mp, base);
		rc = fmt_copy_media(w->o->data_dir, it, mp.data, w->err);
		buf_release(&mp);
	}
	if (!rc) {
		struct buf *b = &w->t;
		buf_reset(b);
		buf_adds(b, "{\"version\":\"5.4.1\",\"flags\":{");
		size_t nf = 0;
		for (size_t i = 0; found && i < d.nobjects; i++) {
			if (d.objects[i].type != SHAPE_TAG)
				continue;
			if (nf++)
				buf_addch(b, ',');
			buf_add_json_str(b, w->l.sc.labels[d.objects[i].label].name);
			buf_adds(b, ":true");
		}
		buf_adds(b, "},\"shapes\":[");
		bool first = true;
		for (size_t i = 0; found && i < d.nobjects; i++)
			write_object(w, &d.objects[i], &first);
		if (found && d.nrelations)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
		if (found && d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		buf_adds(b, "\n],\"imagePath\":");
		buf_add_json_str(b, base);
		buf_addf(b, ",\"imageData\":null,\"imageHeight\":%d,\"imageWidth\":%d}\n",
			 (int)it->height, (int)it->width);
		rc = fmt_put_file(w->path.data, b->data, b->len, w->err);
	}
	buf_release(&stem);
	ann_doc_release(&d);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_labelme_write(struct store *st, int64_t project_id, const char *out,
		      const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct lwr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.t = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "labelme", err)))
		goto done;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	if (o->split)
		fmt_loss_add(loss, "split (LabelMe folders have none)", 1);
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	buf_release(&w.t);
	buf_release(&w.path);
	return rc;
}
