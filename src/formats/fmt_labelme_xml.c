/*
 * fmt_labelme_xml.c - the MIT LabelMe XML format (the LabelMe web tool's,
 * not the wkentaro JSON of fmt_labelme.c): Annotations/<folder>/<name>.xml,
 * one <annotation> per image with <filename>, <folder>, <imagesize> and
 * <object>s; images in Images/<folder>/, masks in Masks/<folder>/.
 *
 * An object is a <polygon> of <pt>s (a box when <type>bounding_box</type>),
 * or a <segm> whose <mask> PNG is set wherever any channel is nonzero. Its
 * <occluded>yes</occluded>, the <username> and the <attributes> text
 * ("a=1, b, c=\"x\"", with \, \= \" \\ escapes, read as Datumaro reads it)
 * are kept; <deleted>1</deleted> objects are skipped and counted; <parts>
 * hierarchies (hasparts, ispartof) become groups, numbered as Datumaro
 * numbers them. One file is held at a time (its objects, for the groups).
 * Conventions: docs/formats/labelme-xml.md.
 */
#include "formats/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "media/mask_png.h"
#include "store/store.h"
#include "formats/fmt_masks.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"
#include "base/banned.h"

int fmt_labelme_xml_probe(const char *path);
int fmt_labelme_xml_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_labelme_xml_write(struct store *st, int64_t project_id, const char *out,
			  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_labelme_xml_read_mem(const char *data, size_t len, const char *name,
			     struct fmt_sink *s, struct buf *err);

#define MAX_DEPTH 16
#define MAX_OBJECTS 100000
#define MAX_POINTS 1000000
#define MAX_FILES 10000000
#define PNG_MAX ((size_t)256 << 20)

/* ---- reading ---- */

struct lobj {
	char *name;
	int64_t id;
	bool has_id, deleted, occluded, is_box, has_poly, has_segm;
	char *attrs_text;
	char *username;
	double *pts;
	size_t npts, cappts;
	char *mask;                 /* the <mask> file name */
	int64_t *children;
	size_t nchildren;
	bool has_parent;
	int64_t group;
	char where[256];
};

struct lrd {
	struct fmt_sink *s;
	struct buf *err;
	const char *root;           /* NULL: the file alone (no masks) */
	struct fmt_xml x;
	char stack[MAX_DEPTH][32];
	struct lobj *objs;
	size_t nobjs, cap;
	long cur;
	double px, py;
	unsigned have_pt;
	struct buf filename, folder, t, where, path;
	int64_t width, height;
	struct fmt_strmap labels;
	int64_t next_image;
};

static const char *parent_el(struct lrd *r, int up)
{
	int d = r->x.depth - 1 - up;
	return d >= 0 && d < MAX_DEPTH ? r->stack[d] : "";
}

static void lbad(struct lrd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lbad(struct lrd *r, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	int rc = fmt_sink_invalid(r->s, fmt_xml_where(&r->x), "%s", m.data);
	buf_release(&m);
	fmt_xml_stop(&r->x, rc ? rc : 1);
}

static void clear_objs(struct lrd *r)
{
	for (size_t i = 0; i < r->nobjs; i++) {
		struct lobj *o = &r->objs[i];
		free(o->name);
		free(o->attrs_text);
		free(o->username);
		free(o->pts);
		free(o->mask);
		free(o->children);
	}
	r->nobjs = 0;
	r->cur = -1;
}

static void l_start(struct fmt_xml *x, const char *el, const char **attrs)
{
	struct lrd *r = x->ctx;
	(void)attrs;
	if (x->depth <= MAX_DEPTH)
		snprintf(r->stack[x->depth - 1], sizeof(r->stack[0]), "%s", el);
	if (x->depth == 1) {
		if (strcmp(el, "annotation"))
			fmt_xml_fail(x, "<%s>: the root element must be <annotation>", el);
		return;
	}
	if (x->depth == 2 && !strcmp(el, "object")) {
		if (r->nobjs >= MAX_OBJECTS) {
			fmt_xml_fail(x, "more than %d objects in one file", MAX_OBJECTS);
			return;
		}
		if (r->nobjs == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 16;
			r->objs = xrealloc(r->objs, r->cap * sizeof(*r->objs));
		}
		struct lobj *o = &r->objs[r->nobjs];
		memset(o, 0, sizeof(*o));
		snprintf(o->where, sizeof(o->where), "%s", fmt_xml_where(x));
		r->cur = (long)r->nobjs++;
	} else if (!strcmp(el, "pt") && r->cur >= 0 && !strcmp(parent_el(r, 1), "polygon")) {
		r->have_pt = 0;
	}
}

/* "3,4" into o->children. */
static bool parse_ids(const char *t, int64_t **v, size_t *n)
{
	const char *p = t;
	while (*p) {
		char *end;
		errno = 0;
		long long x = strtoll(p, &end, 10);
		if (end == p || errno || x < 0)
			return false;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = x;
		while (*end == ' ')
			end++;
		if (*end == ',')
			end++;
		else if (*end)
			return false;
		while (*end == ' ')
			end++;
		p = end;
	}
	return true;
}

static void l_end(struct fmt_xml *x, const char *el, const char *text, size_t len)
{
	struct lrd *r = x->ctx;
	fmt_xml_trim(&r->t, text, len);
	const char *t = r->t.data ? r->t.data : "";
	const char *up = parent_el(r, 1);
	struct lobj *o = r->cur >= 0 ? &r->objs[r->cur] : NULL;
	if (x->depth == 2 && !strcmp(el, "filename")) {
		buf_reset(&r->filename);
		buf_adds(&r->filename, t);
	} else if (x->depth == 2 && !strcmp(el, "folder")) {
		buf_reset(&r->folder);
		buf_adds(&r->folder, t);
	} else if (x->depth == 3 && !strcmp(up, "imagesize") &&
		   (!strcmp(el, "nrows") || !strcmp(el, "ncols"))) {
		int64_t v;
		if (!*t)
			return;
		if (!fmt_xml_int(t, 1, 1000000, &v)) {
			lbad(r, "<%s>%s</%s>: expected a whole number of pixels", el, t, el);
			return;
		}
		*(el[1] == 'r' ? &r->height : &r->width) = v;
	} else if (!o) {
		return;
	} else if (x->depth == 3 && !strcmp(el, "name")) {
		free(o->name);
		o->name = xstrdup(t);
	} else if (x->depth == 3 && !strcmp(el, "id")) {
		if (!fmt_xml_int(t, 0, INT64_MAX / 2, &o->id)) {
			lbad(r, "<id>%s</id>: expected a whole number", t);
			return;
		}
		o->has_id = true;
	} else if (x->depth == 3 && !strcmp(el, "deleted")) {
		if (*t && strcmp(t, "0") && strcmp(t, "1")) {
			lbad(r, "<deleted>%s</deleted>: expected 0 or 1", t);
			return;
		}
		o->deleted = !strcmp(t, "1");
	} else if (x->depth == 3 && !strcmp(el, "occluded")) {
		if (*t && strcmp(t, "yes") && strcmp(t, "no")) {
			lbad(r, "<occluded>%s</occluded>: expected yes or no", t);
			return;
		}
		o->occluded = !strcmp(t, "yes");
	} else if (x->depth == 3 && !strcmp(el, "attributes")) {
		free(o->attrs_text);
		o->attrs_text = xstrdup(t);
	} else if (x->depth == 3 && !strcmp(el, "type")) {
		o->is_box = !strcmp(t, "bounding_box");
	} else if (x->depth == 4 && !strcmp(up, "parts") &&
		   (!strcmp(el, "hasparts") || !strcmp(el, "ispartof"))) {
		if (el[0] == 'h') {
			if (!parse_ids(t, &o->children, &o->nchildren))
				lbad(r, "<hasparts>%s</hasparts>: expected object ids separated by "
				     "commas", t);
		} else {
			int64_t *v = NULL;
			size_t n = 0;
			if (!parse_ids(t, &v, &n))
				lbad(r, "<ispartof>%s</ispartof>: expected object ids separated by "
				     "commas", t);
			o->has_parent = n > 0;
			free(v);
		}
	} else if (x->depth == 4 && !strcmp(el, "username") &&
		   (!strcmp(up, "polygon") || !strcmp(up, "segm"))) {
		free(o->username);
		o->username = xstrdup(t);
	} else if (x->depth == 5 && !strcmp(up, "pt") && (!strcmp(el, "x") || !strcmp(el, "y"))) {
		double v;
		if (!fmt_xml_num(t, &v) || fabs(v) > 1e9) {
			lbad(r, "<%s>%s</%s>: expected a number", el, t, el);
			return;
		}
		if (el[0] == 'x')
			r->px = v, r->have_pt |= 1;
		else
			r->py = v, r->have_pt |= 2;
	} else if (x->depth == 4 && !strcmp(el, "pt") && !strcmp(up, "polygon")) {
		if (r->have_pt != 3) {
			lbad(r, "<pt>: expected an <x> and a <y>");
			return;
		}
		if (o->npts >= 2 * MAX_POINTS) {
			lbad(r, "<polygon>: more than %d points", MAX_POINTS);
			return;
		}
		if (o->npts + 2 > o->cappts) {
			o->cappts = o->cappts ? 2 * o->cappts : 16;
			o->pts = xrealloc(o->pts, o->cappts * sizeof(double));
		}
		o->pts[o->npts++] = r->px;
		o->pts[o->npts++] = r->py;
	} else if (x->depth == 3 && !strcmp(el, "polygon")) {
		o->has_poly = true;
	} else if (x->depth == 4 && !strcmp(el, "mask") && !strcmp(up, "segm")) {
		free(o->mask);
		o->mask = xstrdup(t);
	} else if (x->depth == 3 && !strcmp(el, "segm")) {
		o->has_segm = true;
	} else if (x->depth == 2 && !strcmp(el, "object")) {
		r->cur = -1;
	}
}

/* The text up to an unescaped sep (",", "="), unescaping \, \= \" \\ ; s moves past. */
static void take(const char **s, char sep, struct buf *out)
{
	buf_reset(out);
	const char *p = *s;
	while (*p && *p != sep) {
		if (*p == '\\' && (p[1] == ',' || p[1] == '=' || p[1] == '"' || p[1] == '\\'))
			p++;
		buf_addch(out, *p++);
	}
	*s = p;
}

static void trim_buf(struct buf *b)
{
	size_t a = 0, z = b->len;
	while (a < z && b->data[a] == ' ')
		a++;
	while (z > a && b->data[z - 1] == ' ')
		z--;
	memmove(b->data, b->data + a, z - a);
	b->len = z - a;
	b->data[b->len] = 0;
}

/* A value as Datumaro reads one: true/false, "quoted", an integer, a number, else text. */
static json_t *attr_value(const char *raw, bool quoted_raw)
{
	if (quoted_raw)
		return json_string(raw);
	if (!strcasecmp(raw, "true") || !strcasecmp(raw, "false"))
		return json_boolean(raw[0] == 't' || raw[0] == 'T');
	char *end;
	errno = 0;
	long long i = strtoll(raw, &end, 10);
	if (*raw && !*end && !errno && raw[0] != '+' && !(raw[0] == '0' && raw[1]) &&
	    !(raw[0] == '-' && raw[1] == '0'))
		return json_integer(i);
	double d;
	if (*raw && strspn(raw, "0123456789.-e") == strlen(raw) && fmt_xml_num(raw, &d) &&
	    strchr(raw, '.'))
		return json_real(d);
	return json_string(raw);
}

/* Datumaro's reading of the <attributes> text into a, or false (bad name). */
static bool parse_attrs(const char *text, json_t *a, struct buf *bad)
{
	struct buf part = BUF_INIT, name = BUF_INIT, val = BUF_INIT;
	const char *p = text;
	bool ok = true;
	while (*p && ok) {
		/* one comma-separated part, escapes kept for the second pass */
		buf_reset(&part);
		while (*p && *p != ',') {
			if (*p == '\\' && p[1])
				buf_addch(&part, *p++);
			buf_addch(&part, *p++);
		}
		if (*p == ',')
			p++;
		trim_buf(&part);
		if (!part.len)
			continue;
		const char *q = part.data;
		take(&q, '=', &name);
		if (*q == '=') {
			q++;
			size_t l = strlen(q);
			bool quoted = l > 1 && q[0] == '"' && q[l - 1] == '"';
			buf_reset(&val);
			if (quoted)
				buf_add(&val, q + 1, l - 2);
			else
				buf_adds(&val, q);
			const char *vq = val.data ? val.data : "";
			struct buf un = BUF_INIT;
			take(&vq, 0, &un);
			json_object_set_new(a, name.data ? name.data : "",
					    attr_value(un.data ? un.data : "", quoted));
			buf_release(&un);
		} else {
			json_object_set_new(a, name.data ? name.data : "", json_true());
		}
		if (!name.len) {
			buf_setf(bad, "%s", part.data);
			ok = false;
		}
	}
	buf_release(&part);
	buf_release(&name);
	buf_release(&val);
	return ok;
}

static struct lobj *obj_by_id(struct lrd *r, int64_t id)
{
	for (size_t i = 0; i < r->nobjs; i++)
		if (r->objs[i].has_id && r->objs[i].id == id)
			return &r->objs[i];
	return NULL;
}

/* Groups as Datumaro assigns them: roots (parts, no parent) from the highest id down. */
static void assign_groups(struct lrd *r)
{
	int64_t *roots = NULL;
	size_t nr = 0;
	for (size_t i = 0; i < r->nobjs; i++)
		if (r->objs[i].nchildren && !r->objs[i].has_parent && r->objs[i].has_id) {
			roots = xrealloc(roots, (nr + 1) * sizeof(*roots));
			roots[nr++] = r->objs[i].id;
		}
	for (size_t i = 1; i < nr; i++)
		for (size_t k = i; k > 0 && roots[k - 1] > roots[k]; k--) {
			int64_t t = roots[k];
			roots[k] = roots[k - 1];
			roots[k - 1] = t;
		}
	/* A stack of ids; each object is assigned once, so it stays bounded. */
	int64_t *st = NULL;
	size_t ns = 0, cap = 0;
	int64_t g = 0;
	for (size_t k = nr; k-- > 0;) {
		g++;
		ns = 0;
		if (ns == cap) {
			cap = cap ? 2 * cap : 16;
			st = xrealloc(st, cap * sizeof(*st));
		}
		st[ns++] = roots[k];
		while (ns) {
			struct lobj *o = obj_by_id(r, st[--ns]);
			if (!o || o->group)
				continue;
			o->group = g;
			for (size_t c = 0; c < o->nchildren; c++) {
				if (ns == cap) {
					cap = cap ? 2 * cap : 16;
					st = xrealloc(st, cap * sizeof(*st));
				}
				st[ns++] = o->children[c];
			}
		}
	}
	free(st);
	free(roots);
}

static int label_id(struct lrd *r, const char *name, const char *where, int64_t *id)
{
	if (fmt_strmap_get(&r->labels, name, id))
		return 0;
	struct fmt_category c;
	memset(&c, 0, sizeof(c));
	c.id = (int64_t)r->labels.n + 1;
	c.name = name;
	c.where = where;
	int rc = fmt_sink_category(r->s, &c);
	if (!rc) {
		fmt_strmap_put(&r->labels, name, c.id);
		*id = c.id;
	}
	return rc;
}

/* The mask of a <segm>: Masks/<folder>/<file>, any nonzero channel. */
static int load_mask(struct lrd *r, const struct lobj *o, struct rle *m, bool *ok)
{
	*ok = false;
	if (!o->mask || !*o->mask || strstr(o->mask, "..") || o->mask[0] == '/')
		return fmt_sink_invalid(r->s, o->where, "<segm>: <mask>%s</mask> is not a file "
					"name", o->mask ? o->mask : "");
	if (!r->root) {
		fmt_sink_note(r->s, "mask of a single annotation file (import the dataset folder "
				    "to read Masks/)");
		return 0;
	}
	buf_reset(&r->path);
	buf_addf(&r->path, "%s/Masks/%s%s%s", r->root, r->folder.data ? r->folder.data : "",
		 r->folder.len ? "/" : "", o->mask);
	FILE *f = fopen(r->path.data, "rb");
	if (!f)
		return fmt_sink_invalid(r->s, o->where, "<segm>: mask 'Masks/%s%s%s' not found",
					r->folder.data ? r->folder.data : "", r->folder.len ? "/" : "",
					o->mask);
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= PNG_MAX)
		buf_add(&b, chunk, n);
	fclose(f);
	struct buf e = BUF_INIT;
	int rc = 0;
	if (b.len > PNG_MAX)
		rc = fmt_sink_invalid(r->s, o->where, "<segm>: mask '%s' is larger than %zu bytes",
				      o->mask, PNG_MAX);
	else if (mask_png_decode(m, b.data ? b.data : "", b.len, &e))
		rc = fmt_sink_invalid(r->s, o->where, "<segm>: mask '%s': %s", o->mask, e.data);
	else if (r->width && r->height && (m->w != (uint32_t)r->width || m->h != (uint32_t)r->height)) {
		rc = fmt_sink_invalid(r->s, o->where, "<segm>: mask '%s' is %ux%u but the image is "
				      "%lldx%lld", o->mask, m->w, m->h, (long long)r->width,
				      (long long)r->height);
		rle_release(m);
	} else
		*ok = true;
	buf_release(&e);
	buf_release(&b);
	return rc;
}

/* Emits the image and the objects of the file just parsed. */
static int emit_file(struct lrd *r, const char *rel)
{
	assign_groups(r);
	const char *fn = r->filename.len ? r->filename.data : NULL;
	struct buf def = BUF_INIT, full = BUF_INIT;
	if (!fn) {
		/* No <filename>: the annotation's own name with .jpg. */
		const char *b = strrchr(rel, '/');
		buf_adds(&def, b ? b + 1 : rel);
		if (def.len > 4)
			def.data[def.len - 4] = 0;
		buf_adds(&def, ".jpg");
		fn = def.data;
	}
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = ++r->next_image;
	/* The folder is part of the file name (Images/<folder>/<file>): splits are
	 * only train, val and test. */
	if (r->folder.len)
		buf_addf(&full, "%s/%s", r->folder.data, fn);
	else
		buf_adds(&full, fn);
	im.file_name = full.data;
	im.width = (int32_t)r->width;
	im.height = (int32_t)r->height;
	im.where = rel;
	int rc = fmt_sink_image(r->s, &im);
	for (size_t i = 0; i < r->nobjs && !rc; i++) {
		struct lobj *o = &r->objs[i];
		if (o->deleted) {
			fmt_sink_note(r->s, "deleted object (skipped)");
			continue;
		}
		if (!o->name || !*o->name) {
			rc = fmt_sink_invalid(r->s, o->where, "<object>: no <name>");
			continue;
		}
		if (!o->has_poly && !o->has_segm) {
			rc = fmt_sink_invalid(r->s, o->where, "<object> '%s': no <polygon> and no "
					      "<segm>", o->name);
			continue;
		}
		json_t *a = json_object();
		if (o->attrs_text && *o->attrs_text) {
			struct buf bad = BUF_INIT;
			if (!parse_attrs(o->attrs_text, a, &bad)) {
				rc = fmt_sink_invalid(r->s, o->where, "<attributes>%s</attributes>: "
						      "'%s' has no name", o->attrs_text, bad.data);
				buf_release(&bad);
				json_decref(a);
				continue;
			}
			buf_release(&bad);
		}
		json_object_set_new(a, "username", json_string(o->username ? o->username : ""));
		int64_t cat;
		if ((rc = label_id(r, o->name, o->where, &cat))) {
			json_decref(a);
			break;
		}
		struct fmt_object fo;
		memset(&fo, 0, sizeof(fo));
		fo.image_id = im.id;
		fo.category_id = cat;
		fo.id = o->id;
		fo.has_id = o->has_id;
		fo.attrs = a;
		fo.occluded = o->occluded;
		fo.has_group = o->group > 0;
		fo.group = o->group;
		fo.where = o->where;
		struct rle m = RLE_INIT;
		double bb[4];
		if (o->has_poly) {
			if (o->npts < 2) {
				rc = fmt_sink_invalid(r->s, o->where, "<polygon>: no <pt>");
				json_decref(a);
				continue;
			}
			if (o->is_box) {
				bb[0] = bb[2] = o->pts[0];
				bb[1] = bb[3] = o->pts[1];
				for (size_t k = 0; k + 1 < o->npts; k += 2) {
					bb[0] = fmin(bb[0], o->pts[k]);
					bb[2] = fmax(bb[2], o->pts[k]);
					bb[1] = fmin(bb[1], o->pts[k + 1]);
					bb[3] = fmax(bb[3], o->pts[k + 1]);
				}
				fo.type = SHAPE_BOX;
				fo.pts = bb;
				fo.npts = 4;
			} else {
				fo.type = SHAPE_POLYGON;
				fo.pts = o->pts;
				fo.npts = o->npts;
			}
		} else {
			bool ok;
			rc = load_mask(r, o, &m, &ok);
			if (rc || !ok) {
				json_decref(a);
				continue;
			}
			fo.type = SHAPE_MASK;
			fo.mask = &m;
		}
		rc = fmt_sink_object(r->s, &fo);
		rle_release(&m);
		json_decref(a);
	}
	buf_release(&def);
	buf_release(&full);
	return rc;
}

static int read_xml(struct lrd *r, const char *path, const char *rel, const char *data, size_t len)
{
	buf_reset(&r->filename);
	buf_reset(&r->folder);
	r->width = r->height = 0;
	clear_objs(r);
	memset(&r->x, 0, sizeof(r->x));
	r->x.name = rel;
	r->x.ctx = r;
	r->x.start = l_start;
	r->x.end = l_end;
	int rc = data ? fmt_xml_parse_mem(&r->x, data, len, r->err)
		      : fmt_xml_parse_file(&r->x, path, r->err);
	if (rc == 1) {
		clear_objs(r);
		return 0;
	}
	if (rc) {
		clear_objs(r);
		if (rc != CAIRN_EINVAL || !r->err->len)
			return rc;
		char *m = xstrdup(r->err->data);
		rc = fmt_sink_invalid(r->s, m, "the file is skipped");
		if (rc)
			buf_setf(r->err, "%s", m);
		free(m);
		return rc;
	}
	if (r->folder.len && (strstr(r->folder.data, "..") || r->folder.data[0] == '/'))
		rc = fmt_sink_invalid(r->s, rel, "<folder>%s</folder>: not a folder inside the "
				      "dataset", r->folder.data);
	else if (r->filename.len && (strstr(r->filename.data, "..") || r->filename.data[0] == '/'))
		rc = fmt_sink_invalid(r->s, rel, "<filename>%s</filename>: not a file inside the "
				      "dataset", r->filename.data);
	else
		rc = emit_file(r, rel);
	clear_objs(r);
	return rc;
}

static void lrd_init(struct lrd *r, struct fmt_sink *s, struct buf *err)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->err = err;
	r->cur = -1;
	r->filename = (struct buf)BUF_INIT;
	r->folder = (struct buf)BUF_INIT;
	r->t = (struct buf)BUF_INIT;
	r->where = (struct buf)BUF_INIT;
	r->path = (struct buf)BUF_INIT;
}

static void lrd_release(struct lrd *r)
{
	clear_objs(r);
	free(r->objs);
	fmt_strmap_release(&r->labels);
	buf_release(&r->filename);
	buf_release(&r->folder);
	buf_release(&r->t);
	buf_release(&r->where);
	buf_release(&r->path);
}

int fmt_labelme_xml_read_mem(const char *data, size_t len, const char *name,
			     struct fmt_sink *s, struct buf *err)
{
	struct lrd r;
	lrd_init(&r, s, err);
	int rc = read_xml(&r, NULL, name, data, len);
	lrd_release(&r);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_xml(const char *dir, const char *rel, int depth, char ***v, size_t *n, size_t max)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s%s%s", dir, *rel ? "/" : "", rel);
	DIR *d = opendir(p.data);
	struct dirent *e;
	while (d && (e = readdir(d)) && *n < max) {
		if (e->d_name[0] == '.')
			continue;
		struct buf c = BUF_INIT, full = BUF_INIT;
		buf_addf(&c, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		buf_addf(&full, "%s/%s", dir, c.data);
		size_t l = strlen(e->d_name);
		if (is_dir(full.data)) {
			if (depth < 8)
				list_xml(dir, c.data, depth + 1, v, n, max);
		} else if (l > 4 && !strcmp(e->d_name + l - 4, ".xml")) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = buf_detach(&c, NULL);
		}
		buf_release(&c);
		buf_release(&full);
	}
	if (d)
		closedir(d);
	buf_release(&p);
}

int fmt_labelme_xml_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct lrd r;
	lrd_init(&r, s, err);
	int rc = 0;
	if (!is_dir(path)) {
		/* One annotation file: the dataset root is two folders up when it sits in
		 * Annotations/<folder>/. */
		rc = read_xml(&r, path, path, NULL, 0);
		lrd_release(&r);
		return rc;
	}
	r.root = path;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/Images", path);
	fmt_sink_media_dir(s, is_dir(p.data) ? p.data : path);
	buf_reset(&p);
	buf_addf(&p, "%s/Annotations", path);
	bool ann = is_dir(p.data);
	char **v = NULL;
	size_t n = 0;
	list_xml(ann ? p.data : path, "", 0, &v, &n, MAX_FILES);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	else {
		buf_setf(err, "%s: no LabelMe XML files (Annotations/<folder>/*.xml)", path);
		rc = CAIRN_ENOTFOUND;
	}
	if (!rc && n >= MAX_FILES) {
		buf_setf(err, "%s: more than %d annotation files", path, MAX_FILES);
		rc = CAIRN_ETOOBIG;
	}
	struct buf rel = BUF_INIT, full = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			buf_reset(&rel);
			buf_addf(&rel, "%s%s", ann ? "Annotations/" : "", v[i]);
			buf_reset(&full);
			buf_addf(&full, "%s/%s", path, rel.data);
			rc = read_xml(&r, full.data, rel.data, NULL, 0);
		}
		free(v[i]);
	}
	free(v);
	buf_release(&rel);
	buf_release(&full);
	buf_release(&p);
	lrd_release(&r);
	return rc;
}

/* Sure when an .xml under Annotations/ has an <annotation> root with
 * <object><polygon> or <segm> (VOC's have <bndbox>), or <imagesize>. */
int fmt_labelme_xml_probe(const char *path)
{
	if (!is_dir(path))
		return 0;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/Annotations", path);
	char **v = NULL;
	size_t n = 0;
	if (is_dir(p.data))
		list_xml(p.data, "", 0, &v, &n, 8); /* a few files tell */
	int score = 0;
	for (size_t i = 0; i < n; i++) {
		if (i < 8 && !score) {
			struct buf f = BUF_INIT;
			buf_addf(&f, "%s/%s", p.data, v[i]);
			FILE *fp = fopen(f.data, "rb");
			char head[8192];
			size_t k = fp ? fread(head, 1, sizeof(head) - 1, fp) : 0;
			head[k] = 0;
			if (fp)
				fclose(fp);
			if (strstr(head, "<annotation") &&
			    (strstr(head, "<polygon>") || strstr(head, "<segm>") ||
			     strstr(head, "<imagesize>")))
				score = 92;
			buf_release(&f);
		}
		free(v[i]);
	}
	free(v);
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct lwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t last_id, done;
	struct buf x, path, png;
	int rc;
};

/* Appends s escaped as LabelMe's attribute text wants (\ = " ,), XML-escaped. */
static void esc_attr(struct buf *b, const char *s)
{
	struct buf t = BUF_INIT;
	for (; *s; s++) {
		if (*s == '\\' || *s == '=' || *s == '"' || *s == ',')
			buf_addch(&t, '\\');
		buf_addch(&t, *s);
	}
	fmt_xml_esc(b, t.data ? t.data : "");
	buf_release(&t);
}

static bool looks_like_value(const char *s)
{
	json_t *v = attr_value(s, false);
	bool r = !json_is_string(v);
	json_decref(v);
	return r || !*s;
}

static void write_attrs(struct lwr *w, json_t *a, const char **username)
{
	*username = "";
	const char *k;
	json_t *v;
	bool first = true;
	buf_adds(&w->x, "<attributes>");
	json_object_foreach(a, k, v) {
		if (!strcmp(k, "username")) {
			if (json_is_string(v))
				*username = json_string_value(v);
			continue;
		}
		if (!strcmp(k, "occluded") || json_is_null(v) || json_is_false(v))
			continue;
		if (!first)
			buf_adds(&w->x, ", ");
		first = false;
		esc_attr(&w->x, k);
		if (json_is_true(v))
			continue;
		buf_addch(&w->x, '=');
		if (json_is_number(v))
			fmt_xml_num_out(&w->x, json_number_value(v));
		else if (json_is_string(v)) {
			const char *s = json_string_value(v);
			if (looks_like_value(s)) {
				buf_adds(&w->x, "&quot;");
				esc_attr(&w->x, s);
				buf_adds(&w->x, "&quot;");
			} else
				esc_attr(&w->x, s);
		}
	}
	buf_adds(&w->x, "</attributes>");
}

static void pt(struct buf *b, double x, double y)
{
	buf_adds(b, "<pt><x>");
	fmt_xml_num_out(b, x);
	buf_adds(b, "</x><y>");
	fmt_xml_num_out(b, y);
	buf_adds(b, "</y></pt>");
}

static int write_file(struct lwr *w, const char *path, const char *data, size_t len)
{
	char *sl = strrchr(path, '/');
	*sl = 0;
	int rc = fmt_mkdirs(path, w->err);
	*sl = '/';
	if (rc)
		return rc;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		buf_setf(w->err, "cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		return CAIRN_EIO;
	}
	if (fclose(f)) {
		buf_setf(w->err, "cannot write '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct lwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	/* The folder: the file name's (as imported), else the split, else "default". */
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	struct buf folder = BUF_INIT;
	if (base != fn && !w->o->split)
		buf_add(&folder, fn, (size_t)(base - 1 - fn));
	else
		buf_adds(&folder, split && *split ? split : "default");
	split = folder.data;
	char *stem = xstrdup(base);
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	int rc = 0;
	if (!*stem || strstr(split, "..") || split[0] == '/' || !strcmp(stem, "..")) {
		buf_setf(w->err, "item %lld: file name '%s' is not usable", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/Images/%s/%s", w->out, split, base);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	buf_reset(&w->x);
	buf_adds(&w->x, "<annotation><filename>");
	fmt_xml_esc(&w->x, base);
	buf_adds(&w->x, "</filename><folder>");
	fmt_xml_esc(&w->x, split);
	buf_adds(&w->x, "</folder><source><sourceImage></sourceImage><sourceAnnotation>Cairn"
		 "</sourceAnnotation></source>");
	if (it->width > 0 && it->height > 0)
		buf_addf(&w->x, "<imagesize><nrows>%d</nrows><ncols>%d</ncols></imagesize>",
			 it->height, it->width);
	/* Object ids: the kept numeric uid, else the next free number. */
	int64_t next = 0;
	for (size_t i = 0; found && i < d.nobjects; i++) {
		char *end;
		long long v = strtoll(d.objects[i].uid, &end, 10);
		if (*d.objects[i].uid && !*end && v >= next)
			next = v + 1;
	}
	int64_t *ids = found && d.nobjects ? xrealloc(NULL, d.nobjects * sizeof(int64_t)) : NULL;
	for (size_t i = 0; found && i < d.nobjects; i++) {
		char *end;
		long long v = strtoll(d.objects[i].uid, &end, 10);
		ids[i] = *d.objects[i].uid && !*end && v >= 0 ? v : next++;
	}
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type != SHAPE_BOX && ob->type != SHAPE_POLYGON && ob->type != SHAPE_MASK) {
			fmt_loss_add(w->loss, "shape other than polygon, box or mask (not in LabelMe "
					      "XML)", 1);
			continue;
		}
		buf_adds(&w->x, "<object><name>");
		fmt_xml_esc(&w->x, w->l.sc.labels[ob->label].name);
		buf_adds(&w->x, "</name><deleted>0</deleted><verified>0</verified><occluded>");
		buf_adds(&w->x, ob->occluded ? "yes" : "no");
		buf_adds(&w->x, "</occluded>");
		json_t *a = ob->attrs ? json_loads(ob->attrs, 0, NULL) : NULL;
		const char *user;
		write_attrs(w, a, &user);
		/* parts: the first object of a group has the others as parts. */
		buf_adds(&w->x, "<parts><hasparts>");
		long leader = -1;
		if (ob->has_group && ob->group > 0) {
			for (size_t k = 0; k < d.nobjects && leader < 0; k++)
				if (d.objects[k].has_group && d.objects[k].group == ob->group)
					leader = (long)k;
			if (leader == (long)i) {
				bool first = true;
				for (size_t k = i + 1; k < d.nobjects; k++)
					if (d.objects[k].has_group && d.objects[k].group == ob->group) {
						buf_addf(&w->x, "%s%lld", first ? "" : ",",
							 (long long)ids[k]);
						first = false;
					}
			}
		}
		buf_adds(&w->x, "</hasparts><ispartof>");
		if (leader >= 0 && leader != (long)i)
			buf_addf(&w->x, "%lld", (long long)ids[leader]);
		buf_addf(&w->x, "</ispartof></parts><date></date><id>%lld</id>", (long long)ids[i]);
		if (ob->type == SHAPE_BOX) {
			buf_adds(&w->x, "<type>bounding_box</type><polygon><username>");
			fmt_xml_esc(&w->x, user);
			buf_adds(&w->x, "</username>");
			pt(&w->x, ob->pts[0], ob->pts[1]);
			pt(&w->x, ob->pts[2], ob->pts[1]);
			pt(&w->x, ob->pts[2], ob->pts[3]);
			pt(&w->x, ob->pts[0], ob->pts[3]);
			buf_adds(&w->x, "</polygon>");
		} else if (ob->type == SHAPE_POLYGON) {
			size_t n = ob->rings ? ob->rings[0] * 2 : ob->npts;
			if (ob->rings && ob->nrings > 1)
				fmt_loss_add(w->loss, "polygon hole (LabelMe polygons have none)",
					     (int64_t)ob->nrings - 1);
			buf_adds(&w->x, "<polygon><username>");
			fmt_xml_esc(&w->x, user);
			buf_adds(&w->x, "</username>");
			for (size_t k = 0; k + 1 < n && k + 1 < ob->npts; k += 2)
				pt(&w->x, ob->pts[k], ob->pts[k + 1]);
			buf_adds(&w->x, "</polygon>");
		} else {
			/* An RGB PNG of the mask, as Datumaro writes them. */
			struct buf name = BUF_INIT;
			buf_addf(&name, "%s_mask_%lld.png", stem, (long long)ids[i]);
			uint32_t W = ob->mask.w, H = ob->mask.h;
			uint8_t *bm = malloc((size_t)W * H + 1);
			uint32_t *px = malloc(((size_t)W * H + 1) * sizeof(uint32_t));
			if (!bm || !px)
				abort();
			rle_to_bitmap_rowmajor(&ob->mask, bm);
			for (size_t k = 0; k < (size_t)W * H; k++)
				px[k] = bm[k] ? 255u + 203u * 256u : 0;
			buf_reset(&w->png);
			rc = mask_png_encode_values(px, W, H, MASK_PNG_RGB, 8, NULL, 0, &w->png, w->err);
			free(bm);
			free(px);
			if (!rc) {
				buf_reset(&w->path);
				buf_addf(&w->path, "%s/Masks/%s/%s", w->out, split, name.data);
				rc = write_file(w, w->path.data, w->png.data, w->png.len);
			}
			double bb[4];
			rle_bbox(&ob->mask, bb);
			buf_adds(&w->x, "<segm><username>");
			fmt_xml_esc(&w->x, user);
			buf_adds(&w->x, "</username><box><xmin>");
			fmt_xml_num_out(&w->x, bb[0]);
			buf_adds(&w->x, "</xmin><ymin>");
			fmt_xml_num_out(&w->x, bb[1]);
			buf_adds(&w->x, "</ymin><xmax>");
			fmt_xml_num_out(&w->x, bb[0] + bb[2]);
			buf_adds(&w->x, "</xmax><ymax>");
			fmt_xml_num_out(&w->x, bb[1] + bb[3]);
			buf_adds(&w->x, "</ymax></box><mask>");
			fmt_xml_esc(&w->x, name.data);
			buf_adds(&w->x, "</mask></segm>");
			buf_release(&name);
		}
		buf_adds(&w->x, "</object>");
		json_decref(a);
		if (ob->has_track || ob->has_frame || ob->z_order || ob->text || ob->has_score ||
		    ob->parent[0])
			fmt_loss_add(w->loss, "track, frame, z-order, score, text or parent", 1);
	}
	free(ids);
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (!rc && found && d.nrelations)
		fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	ann_doc_release(&d);
	buf_adds(&w->x, "</annotation>\n");
	if (!rc) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/Annotations/%s/%s.xml", w->out, split, stem);
		rc = write_file(w, w->path.data, w->x.data, w->x.len);
	}
	free(stem);
	free(tmp);
	buf_release(&folder);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_labelme_xml_write(struct store *st, int64_t project_id, const char *out,
			  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct lwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.x = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	w.png = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "labelme-xml", err)))
		return rc;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	buf_release(&w.x);
	buf_release(&w.path);
	buf_release(&w.png);
	return rc;
}
