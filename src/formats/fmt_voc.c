/*
 * fmt_voc.c - Pascal VOC: a reader (Annotations/ XML files streamed with expat,
 * one image's objects held at a time; ImageSets/Main/<split>.txt for the
 * splits; labelmap.txt when present) and a writer (Annotations/, ImageSets/
 * Main/, labelmap.txt, JPEGImages/ with --include-media). Two rows share
 * the code: "voc" reads <bndbox> corners as continuous coordinates as
 * Datumaro and CVAT do; "voc-devkit" reads them as the devkit's 1-based
 * inclusive pixel indexes. Conventions: docs/formats/voc.md.
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

#include "base/err.h"
#include "formats/fmt_masks.h"
#include "formats/fmt_xml.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_voc_probe(const char *path);
int fmt_voc_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_voc_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_voc_devkit_probe(const char *path);
int fmt_voc_devkit_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_voc_devkit_write(struct store *st, int64_t project_id, const char *out,
			 const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define MAX_DEPTH 32

/* VOC's action classes: boolean attributes written under <actions>. */
static const char *const voc_actions[] = {
	"jumping", "phoning", "playinginstrument", "reading", "ridingbike", "ridinghorse",
	"running", "takingphoto", "usingcomputer", "walking", "other", NULL,
};
/* VOC's part classes (person layout): boxes of a group written as <part>. */
static const char *const voc_parts[] = {"head", "hand", "foot", NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

/* ---- reading ---- */

struct vobj {
	char *name;
	double bb[4];
	unsigned have;              /* bits: xmin ymin xmax ymax */
	json_t *attrs;
	bool occluded;
	bool bad;                   /* skipped (--skip-invalid) */
	long parent;                /* index of the object a part belongs to, -1 */
	char where[256];
};

struct vrd {
	struct fmt_sink *s;
	struct buf *err;
	struct fmt_xml x;
	double off;                 /* 1 for voc-devkit, else 0 */
	struct fmt_strmap labels;   /* name -> category id */
	bool fixed_labels;          /* labelmap.txt: other names are errors */
	int64_t next_label;
	int64_t image_id;
	const char *stem;
	/* the current file */
	char stack[MAX_DEPTH][24];
	struct buf filename;
	int64_t width, height;
	struct vobj *objs;
	size_t nobjs, capobjs;
	long cur, curpart;          /* open <object>, <part>: indexes, or -1 */
	struct buf attr_name, attr_value, t;
	bool in_attr;
};

static const char *parent_el(struct vrd *r, int up)
{
	int d = r->x.depth - up;
	return d >= 1 && d <= MAX_DEPTH ? r->stack[d - 1] : "";
}

/* Reports bad input in the open object (or the file); marks the object skipped. */
static void vbad(struct vrd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vbad(struct vrd *r, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	long k = r->curpart >= 0 ? r->curpart : r->cur;
	if (k >= 0 && r->objs[k].bad) {
		buf_release(&m);
		return;
	}
	int rc = fmt_sink_invalid(r->s, fmt_xml_where(&r->x), "%s", m.data);
	buf_release(&m);
	if (rc)
		fmt_xml_stop(&r->x, rc);
	else if (k >= 0)
		r->objs[k].bad = true;
	else
		fmt_xml_stop(&r->x, 1); /* a bad file-level value: skip the file */
}

static void v_start(struct fmt_xml *x, const char *el, const char **attrs)
{
	struct vrd *r = x->ctx;
	(void)attrs;
	if (x->depth <= MAX_DEPTH)
		snprintf(r->stack[x->depth - 1], sizeof(r->stack[0]), "%s", el);
	if (x->depth == 1) {
		if (strcmp(el, "annotation"))
			fmt_xml_fail(x, "<%s>: the root element must be <annotation>", el);
		return;
	}
	const char *up = parent_el(r, 1);
	if (!strcmp(el, "object") && x->depth == 2) {
		if (r->nobjs == r->capobjs) {
			r->capobjs = r->capobjs ? 2 * r->capobjs : 16;
			r->objs = realloc(r->objs, r->capobjs * sizeof(*r->objs));
			if (!r->objs)
				abort();
		}
		struct vobj *o = &r->objs[r->nobjs];
		memset(o, 0, sizeof(*o));
		o->parent = -1;
		snprintf(o->where, sizeof(o->where), "%s", fmt_xml_where(x));
		r->cur = (long)r->nobjs++;
	} else if (!strcmp(el, "part") && r->cur >= 0 && !strcmp(up, "object")) {
		if (r->nobjs == r->capobjs) {
			r->capobjs *= 2;
			r->objs = realloc(r->objs, r->capobjs * sizeof(*r->objs));
			if (!r->objs)
				abort();
		}
		struct vobj *o = &r->objs[r->nobjs];
		memset(o, 0, sizeof(*o));
		o->parent = r->cur;
		snprintf(o->where, sizeof(o->where), "%s", fmt_xml_where(x));
		r->curpart = (long)r->nobjs++;
	}
}

static bool flag_of(const char *t, bool *v)
{
	if (!strcmp(t, "1") || !strcmp(t, "true") || !strcmp(t, "True")) {
		*v = true;
		return true;
	}
	if (!strcmp(t, "0") || !strcmp(t, "false") || !strcmp(t, "False")) {
		*v = false;
		return true;
	}
	return false;
}

static void set_attr(struct vobj *o, const char *k, json_t *v)
{
	if (!o->attrs)
		o->attrs = json_object();
	json_object_set_new(o->attrs, k, v);
}

static void v_end(struct fmt_xml *x, const char *el, const char *text, size_t len)
{
	struct vrd *r = x->ctx;
	fmt_xml_trim(&r->t, text, len);
	const char *t = r->t.data;
	const char *up = parent_el(r, 1);
	long k = r->curpart >= 0 ? r->curpart : r->cur;
	struct vobj *o = k >= 0 ? &r->objs[k] : NULL;
	if (x->depth == 2 && !strcmp(el, "filename")) {
		buf_reset(&r->filename);
		buf_adds(&r->filename, t);
	} else if (x->depth == 3 && !strcmp(up, "size") &&
		   (!strcmp(el, "width") || !strcmp(el, "height"))) {
		int64_t v;
		if (!fmt_xml_int(t, 0, 1000000, &v)) {
			vbad(r, "<%s>%s</%s>: expected a whole number of pixels", el, t, el);
			return;
		}
		*(el[0] == 'w' ? &r->width : &r->height) = v;
	} else if (!o) {
		return;
	} else if (!strcmp(el, "name") && (!strcmp(up, "object") || !strcmp(up, "part"))) {
		free(o->name);
		o->name = xstrdup(t);
		if (!*t)
			vbad(r, "<name></name>: empty label name");
		else if (r->fixed_labels && !fmt_strmap_get(&r->labels, t, NULL))
			vbad(r, "<name>%s</name>: unknown label (not in labelmap.txt)", t);
	} else if (!strcmp(up, "bndbox") &&
		   (!strcmp(el, "xmin") || !strcmp(el, "ymin") || !strcmp(el, "xmax") ||
		    !strcmp(el, "ymax"))) {
		int i = (el[0] == 'y') + 2 * (el[1] == 'm' && el[2] == 'a');
		if (!fmt_xml_num(t, &o->bb[i])) {
			vbad(r, "<%s>%s</%s>: expected a number", el, t, el);
			return;
		}
		o->have |= 1u << i;
	} else if (!strcmp(up, "object") && (!strcmp(el, "truncated") || !strcmp(el, "difficult") ||
					     !strcmp(el, "occluded"))) {
		bool v;
		if (!flag_of(t, &v)) {
			vbad(r, "<%s>%s</%s>: expected 0 or 1", el, t, el);
			return;
		}
		if (el[0] == 'o')
			o->occluded = v;
		else
			set_attr(o, el, json_boolean(v));
	} else if (!strcmp(up, "object") && !strcmp(el, "pose")) {
		set_attr(o, "pose", json_string(t));
	} else if (!strcmp(up, "actions") && !strcmp(parent_el(r, 2), "object")) {
		bool v;
		if (!flag_of(t, &v)) {
			vbad(r, "<%s>%s</%s>: expected 0 or 1", el, t, el);
			return;
		}
		set_attr(o, el, json_boolean(v));
	} else if (!strcmp(up, "attribute") && !strcmp(el, "name")) {
		buf_reset(&r->attr_name);
		buf_adds(&r->attr_name, t);
	} else if (!strcmp(up, "attribute") && !strcmp(el, "value")) {
		buf_reset(&r->attr_value);
		buf_adds(&r->attr_value, t);
	} else if (!strcmp(el, "attribute") && !strcmp(up, "attributes")) {
		if (!r->attr_name.len)
			vbad(r, "<attribute>: no <name>");
		else if (json_is_string(json_object_get(o->attrs, r->attr_name.data)) ||
			 !json_object_get(o->attrs, r->attr_name.data))
			set_attr(o, r->attr_name.data, json_string(r->attr_value.data));
		buf_reset(&r->attr_name);
		buf_reset(&r->attr_value);
	} else if (!strcmp(el, "part") && r->curpart >= 0) {
		r->curpart = -1;
	} else if (!strcmp(el, "object") && x->depth == 2) {
		r->cur = -1;
	}
}

static int emit_label(struct vrd *r, const char *name, const char *where, int64_t *id)
{
	if (fmt_strmap_get(&r->labels, name, id))
		return 0;
	*id = r->next_label++;
	fmt_strmap_put(&r->labels, name, *id);
	struct fmt_category c = {.id = *id, .name = name, .where = where};
	return fmt_sink_category(r->s, &c);
}

/* The objects of one file, after its image. */
static int emit_objects(struct vrd *r, const char *xmlname)
{
	int rc = 0;
	/* Groups: an object with parts and its parts share the object's number. */
	for (size_t i = 0; i < r->nobjs && !rc; i++) {
		struct vobj *o = &r->objs[i];
		struct vobj *p = o->parent >= 0 ? &r->objs[o->parent] : NULL;
		if (o->bad || (p && p->bad))
			continue;
		const char *what = o->parent >= 0 ? "<part>" : "<object>";
		if (!o->name) {
			if ((rc = fmt_sink_invalid(r->s, o->where, "%s: no <name>", what)))
				break;
			continue;
		}
		if (o->have != 15) {
			static const char *const n[] = {"xmin", "ymin", "xmax", "ymax"};
			int miss = 0;
			while (o->have & (1u << miss))
				miss++;
			if ((rc = fmt_sink_invalid(r->s, o->where, "%s '%s': <bndbox> lacks <%s>", what,
						   o->name, o->have ? n[miss] : "bndbox")))
				break;
			continue;
		}
		if (o->bb[0] > o->bb[2] || o->bb[1] > o->bb[3]) {
			if ((rc = fmt_sink_invalid(r->s, o->where, "%s '%s': <bndbox> has xmin > xmax or "
						   "ymin > ymax (%g,%g,%g,%g)", what, o->name, o->bb[0],
						   o->bb[1], o->bb[2], o->bb[3])))
				break;
			continue;
		}
		int64_t cat;
		if ((rc = emit_label(r, o->name, o->where, &cat)))
			break;
		double pts[4] = {o->bb[0] - r->off, o->bb[1] - r->off, o->bb[2], o->bb[3]};
		struct fmt_object fo = {
			.image_id = r->image_id,
			.category_id = cat,
			.type = SHAPE_BOX,
			.pts = pts,
			.npts = 4,
			.attrs = o->attrs,
			.occluded = o->occluded,
			.where = o->where,
		};
		/* The group: the object's number in the file (1-based), for it and its parts. */
		bool has_parts = i + 1 < r->nobjs && r->objs[i + 1].parent == (long)i;
		if (p || has_parts) {
			fo.has_group = true;
			fo.group = (p ? o->parent : (long)i) + 1;
		}
		rc = fmt_sink_object(r->s, &fo);
	}
	(void)xmlname;
	return rc;
}

static void clear_objs(struct vrd *r)
{
	for (size_t i = 0; i < r->nobjs; i++) {
		free(r->objs[i].name);
		json_decref(r->objs[i].attrs);
	}
	r->nobjs = 0;
	r->cur = r->curpart = -1;
}

/* Reads one annotation file (rel: its name in messages). */
static int read_xml(struct vrd *r, const char *path, const char *rel, const char *data,
		    size_t len)
{
	buf_reset(&r->filename);
	r->width = r->height = 0;
	r->cur = r->curpart = -1;
	memset(&r->x, 0, sizeof(r->x));
	r->x.name = rel;
	r->x.ctx = r;
	r->x.start = v_start;
	r->x.end = v_end;
	int rc = data ? fmt_xml_parse_mem(&r->x, data, len, r->err)
		      : fmt_xml_parse_file(&r->x, path, r->err);
	if (rc == 1) {
		/* A bad file-level value, skipped with --skip-invalid. */
		clear_objs(r);
		return 0;
	}
	if (rc) {
		clear_objs(r);
		if (rc != CAIRN_EINVAL || !r->err->len)
			return rc;
		/* Malformed XML: with --skip-invalid the file is skipped and listed. */
		char *m = xstrdup(r->err->data);
		rc = fmt_sink_invalid(r->s, m, "the file is skipped");
		if (rc)
			buf_setf(r->err, "%s", m);
		free(m);
		return rc;
	}
	r->image_id++;
	struct buf fn = BUF_INIT;
	if (r->filename.len) {
		buf_adds(&fn, r->filename.data);
	} else {
		const char *b = strrchr(rel, '/');
		buf_adds(&fn, b ? b + 1 : rel);
		if (fn.len > 4 && !strcmp(fn.data + fn.len - 4, ".xml"))
			buf_setlen(&fn, fn.len - 4);
		buf_adds(&fn, ".jpg");
	}
	struct buf w = BUF_INIT;
	buf_addf(&w, "%s:1", rel);
	struct fmt_image im = {.id = r->image_id, .file_name = fn.data, .width = (int32_t)r->width,
			       .height = (int32_t)r->height, .where = w.data};
	rc = fmt_sink_image(r->s, &im);
	if (!rc)
		rc = emit_objects(r, rel);
	buf_release(&fn);
	buf_release(&w);
	clear_objs(r);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir ending with ext (sorted, owned), recursing into folders up to depth. */
static void list_files(const char *dir, const char *prefix, const char *ext, int depth,
		       char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = BUF_INIT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, e->d_name);
		size_t l = strlen(e->d_name), el = strlen(ext);
		if (depth > 0 && is_dir(p.data)) {
			struct buf pre = BUF_INIT;
			buf_addf(&pre, "%s%s/", prefix, e->d_name);
			list_files(p.data, pre.data, ext, depth - 1, out, n);
			buf_release(&pre);
			continue;
		}
		if (l <= el || strcmp(e->d_name + l - el, ext))
			continue;
		*out = realloc(*out, (*n + 1) * sizeof(char *));
		if (!*out)
			abort();
		struct buf q = BUF_INIT;
		buf_addf(&q, "%s%.*s", prefix, (int)(l - el), e->d_name);
		(*out)[(*n)++] = buf_detach(&q, NULL);
	}
	closedir(d);
	buf_release(&p);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* labelmap.txt: "name:r,g,b:parts:actions" lines; parts are labels too. */
static int read_labelmap(struct vrd *r, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	unsigned long ln = 0;
	int rc = 0;
	struct buf w = BUF_INIT, name = BUF_INIT;
	while (!rc && fgets(line, sizeof(line), f)) {
		ln++;
		size_t l = strcspn(line, "\r\n");
		line[l] = 0;
		if (!l || line[0] == '#')
			continue;
		buf_reset(&w);
		buf_addf(&w, "labelmap.txt:%lu", ln);
		char *c1 = strchr(line, ':');
		char *fields[4] = {line, NULL, NULL, NULL};
		if (c1) {
			*c1 = 0;
			fields[1] = c1 + 1;
			char *c2 = strchr(fields[1], ':');
			if (c2) {
				*c2 = 0;
				fields[2] = c2 + 1;
				char *c3 = strchr(fields[2], ':');
				if (c3) {
					*c3 = 0;
					fields[3] = c3 + 1;
				}
			}
		}
		int64_t id;
		if (!*fields[0] || !strcmp(fields[0], "background"))
			continue;
		if ((rc = emit_label(r, fields[0], w.data, &id)))
			break;
		for (char *p = fields[2]; p && *p && !rc;) {
			size_t n = strcspn(p, ",");
			buf_reset(&name);
			buf_add(&name, p, n);
			if (name.len)
				rc = emit_label(r, name.data, w.data, &id);
			p += n + (p[n] == ',');
		}
	}
	fclose(f);
	buf_release(&w);
	buf_release(&name);
	r->fixed_labels = true;
	return rc;
}

/* The split files of ImageSets/<sub> ("train", "val", ...), sorted; 0 when none. */
static size_t split_files(const char *root, char ***out)
{
	static const char *const subs[] = {"Main", "Layout", "Action", "Segmentation"};
	*out = NULL;
	size_t n = 0;
	struct buf p = BUF_INIT;
	for (size_t i = 0; i < 4 && !n; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/ImageSets/%s", root, subs[i]);
		char **names = NULL;
		size_t nn = 0;
		list_files(p.data, "", ".txt", 0, &names, &nn);
		bool has_parts = false;
		for (size_t k = 0; k < nn; k++)
			if (!strcmp(names[k], "train") || !strcmp(names[k], "val"))
				has_parts = true;
		for (size_t k = 0; k < nn; k++) {
			/* <class>_<split>.txt lists one class; trainval repeats train and val. */
			if (strchr(names[k], '_') || (has_parts && !strcmp(names[k], "trainval"))) {
				free(names[k]);
				continue;
			}
			*out = realloc(*out, (n + 1) * sizeof(char *));
			if (!*out)
				abort();
			struct buf q = BUF_INIT;
			buf_addf(&q, "%s/%s.txt", p.data, names[k]);
			(*out)[n++] = buf_detach(&q, NULL);
			free(names[k]);
		}
		free(names);
	}
	buf_release(&p);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

static const char *const img_exts[] = {".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG",
				       ".bmp", ".webp", NULL};

/* An image listed in a split without an annotation file: the media only. */
static int read_bare(struct vrd *r, const char *root, const char *stem, const char *where)
{
	struct buf p = BUF_INIT, fn = BUF_INIT;
	for (size_t i = 0; img_exts[i]; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/JPEGImages/%s%s", root, stem, img_exts[i]);
		if (is_file(p.data)) {
			buf_addf(&fn, "%s%s", stem, img_exts[i]);
			break;
		}
	}
	if (!fn.len)
		buf_addf(&fn, "%s.jpg", stem);
	struct fmt_image im = {.id = ++r->image_id, .file_name = fn.data, .where = where};
	int rc = fmt_sink_image(r->s, &im);
	buf_release(&p);
	buf_release(&fn);
	return rc;
}

static int read_one(struct vrd *r, const char *root, const char *stem)
{
	struct buf p = BUF_INIT, rel = BUF_INIT;
	buf_addf(&p, "%s/Annotations/%s.xml", root, stem);
	buf_addf(&rel, "Annotations/%s.xml", stem);
	int rc = read_xml(r, p.data, rel.data, NULL, 0);
	buf_release(&p);
	buf_release(&rel);
	return rc;
}

/*
 * ImageSets/Main/<class>_<split>.txt: "name 1" gives the image a tag of the
 * class (-1 absent, 0 difficult: not kept). After every image is read.
 */
static int read_class_lists(struct vrd *r, const char *root, struct fmt_strmap *ids,
			    char **splits, size_t ns)
{
	struct buf p = BUF_INIT, w = BUF_INIT, cls = BUF_INIT;
	buf_addf(&p, "%s/ImageSets/Main", root);
	char **names = NULL;
	size_t n = 0;
	list_files(p.data, "", ".txt", 0, &names, &n);
	if (n)
		qsort(names, n, sizeof(char *), cmp_str);
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		const char *us = strrchr(names[k], '_');
		if (!us || us == names[k])
			continue;
		buf_reset(&cls);
		buf_add(&cls, names[k], (size_t)(us - names[k]));
		buf_reset(&p);
		buf_addf(&p, "%s/ImageSets/Main/%s.txt", root, names[k]);
		FILE *f = fopen(p.data, "r");
		if (!f)
			continue;
		char line[4096];
		unsigned long ln = 0;
		while (!rc && fgets(line, sizeof(line), f)) {
			ln++;
			char name[4096];
			int flag;
			if (sscanf(line, "%4095s %d", name, &flag) != 2 || flag != 1)
				continue;
			int64_t v;
			buf_reset(&w);
			buf_addf(&w, "ImageSets/Main/%s.txt:%lu", names[k], ln);
			if (!fmt_strmap_get(ids, name, &v)) {
				rc = fmt_sink_invalid(r->s, w.data, "'%s': no such image in the dataset",
						      name);
				continue;
			}
			if (r->fixed_labels && !fmt_strmap_get(&r->labels, cls.data, NULL)) {
				rc = fmt_sink_invalid(r->s, w.data, "'%s': unknown label (not in "
						      "labelmap.txt)", cls.data);
				continue;
			}
			int64_t cat;
			if ((rc = emit_label(r, cls.data, w.data, &cat)))
				break;
			size_t si = (size_t)(v % 1024);
			char split[64] = "";
			if (si < ns) {
				const char *b = strrchr(splits[si], '/') + 1;
				snprintf(split, sizeof(split), "%.*s", (int)(strlen(b) - 4), b);
			}
			fmt_sink_split(r->s, *split && strcmp(split, "default") ? split : NULL);
			struct fmt_object fo = {.image_id = v / 1024, .category_id = cat,
						.type = SHAPE_TAG, .where = w.data};
			rc = fmt_sink_object(r->s, &fo);
		}
		fclose(f);
	}
	fmt_sink_split(r->s, NULL);
	free_list(names, n);
	buf_release(&p);
	buf_release(&w);
	buf_release(&cls);
	return rc;
}

/* What the segmentation PNGs share with the XML files (fmt_masks_voc_link). */
struct seg_ctx {
	struct vrd *r;
	struct fmt_strmap *ids;     /* name -> image id * 1024 + index of its split file */
	char **splits;
	size_t ns;
};

static int64_t seg_image(void *ctx, const char *stem)
{
	struct seg_ctx *c = ctx;
	int64_t v;
	if (!fmt_strmap_get(c->ids, stem, &v))
		return 0;
	size_t si = (size_t)(v % 1024);
	char split[64] = "";
	if (si < c->ns) {
		const char *b = strrchr(c->splits[si], '/') + 1;
		snprintf(split, sizeof(split), "%.*s", (int)(strlen(b) - 4), b);
	}
	fmt_sink_split(c->r->s, *split && strcmp(split, "default") ? split : NULL);
	return v / 1024;
}

static int seg_category(void *ctx, const char *name, const char *where, int64_t *id)
{
	struct seg_ctx *c = ctx;
	return emit_label(c->r, name, where, id);
}

static int read_dataset(struct vrd *r, const char *root)
{
	struct buf p = BUF_INIT;
	int rc = 0;
	buf_addf(&p, "%s/labelmap.txt", root);
	if (is_file(p.data) && (rc = read_labelmap(r, p.data)))
		goto out;
	buf_reset(&p);
	buf_addf(&p, "%s/JPEGImages", root);
	fmt_sink_media_dir(r->s, is_dir(p.data) ? p.data : root);
	buf_reset(&p);
	buf_addf(&p, "%s/Annotations", root);
	char **xmls = NULL;
	size_t nx = 0;
	list_files(p.data, "", ".xml", 4, &xmls, &nx);
	if (nx)
		qsort(xmls, nx, sizeof(char *), cmp_str);
	struct fmt_strmap listed = {0};
	struct fmt_strmap ids = {0};  /* name -> image id * 1024 + index of its split file */
	char **splits;
	size_t ns = split_files(root, &splits);
	if (!nx && !ns) {
		buf_setf(r->err, "%s: no VOC annotations (Annotations/*.xml) and no ImageSets lists",
			 root);
		rc = CAIRN_ENOTFOUND;
	}
	struct fmt_strmap have = {0};
	for (size_t i = 0; i < nx; i++)
		fmt_strmap_put(&have, xmls[i], 1);
	for (size_t i = 0; i < ns && !rc; i++) {
		const char *base = strrchr(splits[i], '/') + 1;
		const char *sub = strstr(splits[i], "/ImageSets/") + 1;
		char split[64];
		snprintf(split, sizeof(split), "%.*s", (int)(strlen(base) - 4), base);
		fmt_sink_split(r->s, strcmp(split, "default") ? split : NULL);
		FILE *f = fopen(splits[i], "r");
		if (!f)
			continue;
		char line[4096];
		unsigned long ln = 0;
		struct buf w = BUF_INIT;
		while (!rc && fgets(line, sizeof(line), f)) {
			ln++;
			size_t l = strcspn(line, " \t\r\n");
			line[l] = 0;
			if (!l)
				continue;
			buf_reset(&w);
			buf_addf(&w, "%s:%lu", sub, ln);
			if (strstr(line, "..") || line[0] == '/') {
				rc = fmt_sink_invalid(r->s, w.data, "'%s': not a name inside the dataset",
						      line);
				continue;
			}
			if (!fmt_strmap_put(&listed, line, 1)) {
				fmt_sink_note(r->s, "image listed in two ImageSets splits (the first kept)");
				continue;
			}
			int64_t before = r->image_id;
			rc = fmt_strmap_get(&have, line, NULL) ? read_one(r, root, line)
							       : read_bare(r, root, line, w.data);
			if (!rc && r->image_id != before && i < 1023)
				fmt_strmap_put(&ids, line, r->image_id * 1024 + (int64_t)i);
		}
		buf_release(&w);
		fclose(f);
	}
	fmt_sink_split(r->s, NULL);
	for (size_t i = 0; i < nx && !rc; i++) {
		if (fmt_strmap_get(&listed, xmls[i], NULL))
			continue;
		int64_t before = r->image_id;
		rc = read_one(r, root, xmls[i]);
		if (!rc && r->image_id != before)
			fmt_strmap_put(&ids, xmls[i], r->image_id * 1024 + 1023);
	}
	if (!rc)
		rc = read_class_lists(r, root, &ids, splits, ns);
	/* SegmentationClass/ and SegmentationObject/: masks on the same images
	 * (by name) and labels (by name) as the XML files'. */
	if (!rc) {
		struct seg_ctx sc = {.r = r, .ids = &ids, .splits = splits, .ns = ns};
		struct fmt_masks_voc_link link = {.ctx = &sc, .image_id = seg_image,
						  .category = seg_category,
						  .next_image = r->image_id};
		rc = fmt_masks_read_voc_linked(root, r->s, &link, r->err);
		r->image_id = link.next_image;
		fmt_sink_media_dir(r->s, NULL);
		buf_reset(&p);
		buf_addf(&p, "%s/JPEGImages", root);
		fmt_sink_media_dir(r->s, is_dir(p.data) ? p.data : root);
	}
	fmt_strmap_release(&ids);
	fmt_strmap_release(&listed);
	fmt_strmap_release(&have);
	free_list(xmls, nx);
	free_list(splits, ns);
out:
	buf_release(&p);
	return rc;
}

static void vrd_init(struct vrd *r, struct fmt_sink *s, struct buf *err, double off)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->err = err;
	r->off = off;
	r->next_label = 1;
	r->filename = (struct buf)BUF_INIT;
	r->attr_name = (struct buf)BUF_INIT;
	r->attr_value = (struct buf)BUF_INIT;
	r->t = (struct buf)BUF_INIT;
	r->cur = r->curpart = -1;
}

static void vrd_release(struct vrd *r)
{
	clear_objs(r);
	free(r->objs);
	fmt_strmap_release(&r->labels);
	buf_release(&r->filename);
	buf_release(&r->attr_name);
	buf_release(&r->attr_value);
	buf_release(&r->t);
}

static int voc_read(const char *path, struct fmt_sink *s, struct buf *err, double off)
{
	struct vrd r;
	vrd_init(&r, s, err, off);
	int rc;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/Annotations", path);
	if (is_dir(path) && !is_dir(p.data) && strstr(path, "Annotations")) {
		/* The Annotations folder itself: the dataset is its parent. */
		buf_reset(&p);
		buf_adds(&p, path);
		while (p.len > 1 && p.data[p.len - 1] == '/')
			buf_setlen(&p, p.len - 1);
		char *sl = strrchr(p.data, '/');
		if (sl)
			buf_setlen(&p, (size_t)(sl - p.data));
		else
			buf_setf(&p, ".");
		rc = read_dataset(&r, p.data);
	} else if (is_dir(path)) {
		rc = read_dataset(&r, path);
	} else {
		/* One annotation file: media in ../JPEGImages, else beside it. */
		buf_reset(&p);
		const char *slash = strrchr(path, '/');
		buf_add(&p, path, slash ? (size_t)(slash - path) : 0);
		if (!slash)
			buf_adds(&p, ".");
		size_t dl = p.len;
		buf_adds(&p, "/../JPEGImages");
		if (!is_dir(p.data))
			buf_setlen(&p, dl);
		fmt_sink_media_dir(s, p.data);
		rc = read_xml(&r, path, slash ? slash + 1 : path, NULL, 0);
	}
	buf_release(&p);
	vrd_release(&r);
	return rc;
}

int fmt_voc_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	return voc_read(path, s, err, 0);
}

int fmt_voc_devkit_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	return voc_read(path, s, err, 1);
}

int fmt_voc_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err)
{
	struct vrd r;
	vrd_init(&r, s, err, 0);
	int rc = read_xml(&r, NULL, name, data, len);
	vrd_release(&r);
	return rc;
}

int fmt_voc_probe(const char *path)
{
	if (is_dir(path)) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/Annotations", path);
		char **x = NULL;
		size_t n = 0;
		list_files(p.data, "", ".xml", 0, &x, &n);
		free_list(x, n);
		buf_reset(&p);
		buf_addf(&p, "%s/ImageSets", path);
		bool sets = is_dir(p.data);
		buf_release(&p);
		return n ? (sets ? 95 : 85) : (sets ? 60 : 0);
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char head[4096];
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[got] = 0;
	if (!strstr(head, "<annotation>") && !strstr(head, "<annotation "))
		return 0;
	return strstr(head, "<bndbox>") ? 85 : 40;
}

int fmt_voc_devkit_probe(const char *path)
{
	(void)path;
	return 0; /* the same files as voc: asked for by name only */
}

/* ---- writing ---- */

struct vwr {
	struct store *st;
	const char *out;
	const struct fmt_write_opts *o;
	struct fmt_loss *loss;
	struct buf *err;
	double off;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	struct {
		char name[16];
		FILE *f;
	} sp[9];
	size_t nsp;
	struct fmt_strmap stems;   /* written names, to keep them unique */
	struct buf x, p;
	int64_t done, total, last_id;
	int rc;
};

static FILE *split_file(struct vwr *w, const char *name)
{
	const char *n = name && *name ? name : "default";
	for (size_t i = 0; i < w->nsp; i++)
		if (!strcmp(w->sp[i].name, n))
			return w->sp[i].f;
	if (w->nsp == 9)
		return w->sp[0].f;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/ImageSets/Main/%s.txt", w->out, n);
	FILE *f = fopen(p.data, "w");
	if (!f) {
		buf_setf(w->err, "cannot create '%s': %s", p.data, strerror(errno));
		w->rc = CAIRN_EIO;
	}
	buf_release(&p);
	snprintf(w->sp[w->nsp].name, sizeof(w->sp[0].name), "%s", n);
	w->sp[w->nsp++].f = f;
	return f;
}

static void add_box(struct buf *b, const char *ind, double x0, double y0, double x1, double y1,
		    double off)
{
	buf_addf(b, "%s<bndbox>\n%s\t<xmin>", ind, ind);
	fmt_xml_num_out(b, x0 + off);
	buf_addf(b, "</xmin>\n%s\t<ymin>", ind);
	fmt_xml_num_out(b, y0 + off);
	buf_addf(b, "</ymin>\n%s\t<xmax>", ind);
	fmt_xml_num_out(b, x1);
	buf_addf(b, "</xmax>\n%s\t<ymax>", ind);
	fmt_xml_num_out(b, y1);
	buf_addf(b, "</ymax>\n%s</bndbox>\n", ind);
}

/* Whether VOC can write o as a box (its own or its bounding box). */
static bool boxable(struct vwr *w, const struct ann_object *o, bool count)
{
	switch (o->type) {
	case SHAPE_BOX:
		return true;
	case SHAPE_MASK:
		return false; /* in SegmentationClass/ and SegmentationObject/ */
	case SHAPE_POLYGON: case SHAPE_ROTATED_BOX: case SHAPE_ELLIPSE:
	case SHAPE_CUBOID: {
		if (count) {
			struct buf n = BUF_INIT;
			buf_addf(&n, "%s (written as its bounding box)", shape_kind_name(o->type));
			fmt_loss_add(w->loss, n.data, 1);
			buf_release(&n);
		}
		return true;
	}
	default:
		if (count) {
			struct buf n = BUF_INIT;
			buf_addf(&n, "%s (not in VOC)", shape_kind_name(o->type));
			fmt_loss_add(w->loss, n.data, 1);
			buf_release(&n);
		}
		return false;
	}
}

static void add_attr_value(struct buf *b, json_t *v)
{
	if (json_is_string(v)) {
		fmt_xml_esc(b, json_string_value(v));
	} else if (json_is_boolean(v)) {
		buf_adds(b, json_is_true(v) ? "true" : "false");
	} else if (json_is_number(v)) {
		fmt_xml_num_out(b, json_number_value(v));
	} else {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fmt_xml_esc(b, t ? t : "");
		free(t);
	}
}

static void write_object(struct vwr *w, const struct ann_doc *d, size_t i, const size_t *parts,
			 size_t nparts)
{
	const struct ann_object *o = &d->objects[i];
	struct buf *b = &w->x;
	json_t *a = o->attrs ? json_loads(o->attrs, 0, NULL) : NULL;
	buf_adds(b, "\t<object>\n\t\t<name>");
	fmt_xml_esc(b, w->l.sc.labels[o->label].name);
	buf_adds(b, "</name>\n\t\t<pose>");
	const char *pose = json_string_value(json_object_get(a, "pose"));
	fmt_xml_esc(b, pose && *pose ? pose : "Unspecified");
	buf_addf(b, "</pose>\n\t\t<truncated>%d</truncated>\n\t\t<difficult>%d</difficult>\n"
		 "\t\t<occluded>%d</occluded>\n", json_is_true(json_object_get(a, "truncated")),
		 json_is_true(json_object_get(a, "difficult")), o->occluded ? 1 : 0);
	add_box(b, "\t\t", o->x0, o->y0, o->x1, o->y1, w->off);
	for (size_t k = 0; k < nparts; k++) {
		const struct ann_object *q = &d->objects[parts[k]];
		buf_adds(b, "\t\t<part>\n\t\t\t<name>");
		fmt_xml_esc(b, w->l.sc.labels[q->label].name);
		buf_adds(b, "</name>\n");
		add_box(b, "\t\t\t", q->x0, q->y0, q->x1, q->y1, w->off);
		buf_adds(b, "\t\t</part>\n");
	}
	const char *k;
	json_t *v;
	bool any = false;
	json_object_foreach(a, k, v) {
		if (!in_list(voc_actions, k) || !json_is_boolean(v))
			continue;
		if (!any)
			buf_adds(b, "\t\t<actions>\n");
		any = true;
		buf_addf(b, "\t\t\t<%s>%d</%s>\n", k, json_is_true(v), k);
	}
	if (any)
		buf_adds(b, "\t\t</actions>\n");
	any = false;
	json_object_foreach(a, k, v) {
		if (json_is_null(v) || !strcmp(k, "pose") || !strcmp(k, "truncated") ||
		    !strcmp(k, "difficult") || (in_list(voc_actions, k) && json_is_boolean(v)))
			continue;
		if (!any)
			buf_adds(b, "\t\t<attributes>\n");
		any = true;
		buf_adds(b, "\t\t\t<attribute>\n\t\t\t\t<name>");
		fmt_xml_esc(b, k);
		buf_adds(b, "</name>\n\t\t\t\t<value>");
		add_attr_value(b, v);
		buf_adds(b, "</value>\n\t\t\t</attribute>\n");
	}
	if (any)
		buf_adds(b, "\t\t</attributes>\n");
	buf_adds(b, "\t</object>\n");
	json_decref(a);
	if (o->has_score)
		fmt_loss_add(w->loss, "score", 1);
	if (o->has_track)
		fmt_loss_add(w->loss, "track", 1);
	if (o->z_order)
		fmt_loss_add(w->loss, "z_order", 1);
	if (o->text)
		fmt_loss_add(w->loss, "text", 1);
}

/* A tag: "name  1" in ImageSets/Main/<label>_<split>.txt. */
static int write_tag(struct vwr *w, const struct ann_object *o, const char *split,
		     const char *stem)
{
	const char *label = w->l.sc.labels[o->label].name;
	if (strchr(label, '/') || strchr(label, ' ') || label[0] == '.') {
		fmt_loss_add(w->loss, "tag whose label cannot name a VOC class list", 1);
		return 0;
	}
	buf_reset(&w->p);
	buf_addf(&w->p, "%s/ImageSets/Main/%s_%s.txt", w->out, label,
		 split && *split ? split : "default");
	FILE *f = fopen(w->p.data, "a");
	if (!f || fprintf(f, "%s  1\n", stem) < 0) {
		buf_setf(w->err, "cannot write '%s': %s", w->p.data, strerror(errno));
		if (f)
			fclose(f);
		return CAIRN_EIO;
	}
	fclose(f);
	return 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct vwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	/* The stem: the file name without its extension, unique in the dataset. */
	struct buf stem = BUF_INIT;
	const char *dot = strrchr(fn, '.');
	const char *slash = strrchr(fn, '/');
	buf_add(&stem, fn, dot && (!slash || dot > slash) ? (size_t)(dot - fn) : strlen(fn));
	const char *ext = dot && (!slash || dot > slash) ? dot : ".jpg";
	if (strstr(stem.data, "..") || stem.data[0] == '/' || !stem.len) {
		buf_reset(&stem);
		buf_addf(&stem, "item_%lld", (long long)it->id);
		fmt_loss_add(w->loss, "file name not usable in VOC (item_<id> written)", 1);
	}
	if (!fmt_strmap_put(&w->stems, stem.data, 1)) {
		struct buf n = BUF_INIT;
		for (int k = 2;; k++) {
			buf_reset(&n);
			buf_addf(&n, "%s_%d", stem.data, k);
			if (fmt_strmap_put(&w->stems, n.data, 1))
				break;
		}
		buf_reset(&stem);
		buf_adds(&stem, n.data);
		buf_release(&n);
		fmt_loss_add(w->loss, "file name used twice (renamed <name>_<n>)", 1);
	}
	int rc = 0;
	FILE *sf = split_file(w, split);
	if (!sf) {
		rc = w->rc;
		goto out;
	}
	fprintf(sf, "%s\n", stem.data);
	struct buf *b = &w->x;
	buf_reset(b);
	buf_adds(b, "<annotation>\n\t<folder>VOC</folder>\n\t<filename>");
	struct buf fname = BUF_INIT;
	buf_addf(&fname, "%s%s", stem.data, ext);
	fmt_xml_esc(b, fname.data);
	buf_addf(b, "</filename>\n\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n"
		 "\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n", it->width,
		 it->height);
	if (w->o->include_media) {
		buf_reset(&w->p);
		buf_addf(&w->p, "%s/JPEGImages/%s", w->out, fname.data);
		rc = fmt_copy_media(w->o->data_dir, it, w->p.data, w->err);
	}
	buf_release(&fname);
	struct ann_doc d;
	bool found = false;
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	if (rc)
		goto out;
	if (found) {
		if (d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		if (d.nrelations)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
		/* Parts: boxes labelled head, hand or foot in the group of an earlier box. */
		size_t *parts = malloc((d.nobjects + 1) * sizeof(size_t));
		bool *used = calloc(d.nobjects + 1, 1);
		if (!parts || !used)
			abort();
		for (size_t i = 0; i < d.nobjects; i++) {
			if (used[i])
				continue;
			const struct ann_object *o = &d.objects[i];
			if (o->type == SHAPE_TAG) {
				if ((rc = write_tag(w, o, split, stem.data)))
					break;
				continue;
			}
			if (!boxable(w, o, true))
				continue;
			size_t np = 0;
			bool group_kept = false;
			if (o->has_group) {
				for (size_t k = i + 1; k < d.nobjects; k++) {
					const struct ann_object *q = &d.objects[k];
					if (used[k] || !q->has_group || q->group != o->group ||
					    q->type != SHAPE_BOX ||
					    !in_list(voc_parts, w->l.sc.labels[q->label].name))
						continue;
					used[k] = true;
					parts[np++] = k;
				}
				group_kept = np > 0;
				if (!group_kept)
					fmt_loss_add(w->loss, "group (VOC keeps only object parts)", 1);
			}
			write_object(w, &d, i, parts, np);
		}
		free(parts);
		free(used);
		ann_doc_release(&d);
		if (rc)
			goto out;
	}
	buf_adds(b, "</annotation>\n");
	buf_reset(&w->p);
	buf_addf(&w->p, "%s/Annotations/%s.xml", w->out, stem.data);
	if (strchr(stem.data, '/')) {
		struct buf dir = BUF_INIT;
		buf_add(&dir, w->p.data, (size_t)(strrchr(w->p.data, '/') - w->p.data));
		rc = fmt_mkdirs(dir.data, w->err);
		buf_release(&dir);
		if (rc)
			goto out;
	}
	rc = fmt_put_file(w->p.data, b->data, b->len, w->err);
out:
	free(tmp);
	buf_release(&stem);
	return rc;
}

static int write_labelmap(struct vwr *w)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "# label:color_rgb:parts:actions\nbackground:0,0,0::\n");
	for (size_t i = 0; i < w->l.sc.nlabels; i++) {
		const struct schema_label *lb = &w->l.sc.labels[i];
		unsigned r = 0, g = 0, bl = 0;
		if (sscanf(lb->color, "#%02x%02x%02x", &r, &g, &bl) != 3)
			r = g = bl = 0;
		/* ':' and ',' would break the line; such names are written with '_'. */
		for (const char *c = lb->name; *c; c++)
			buf_addch(&b, *c == ':' || *c == '\n' ? '_' : *c);
		if (strchr(lb->name, ':'))
			fmt_loss_add(w->loss, "':' in a label name (written '_' in labelmap.txt)", 1);
		buf_addf(&b, ":%u,%u,%u:", r, g, bl);
		/* The person layout: a label with action attributes lists them. */
		bool first = true;
		if (!strcmp(lb->name, "person")) {
			for (size_t k = 0; voc_parts[k]; k++)
				if (schema_label_index(&w->l.sc, voc_parts[k]) >= 0) {
					buf_addf(&b, "%s%s", first ? "" : ",", voc_parts[k]);
					first = false;
				}
		}
		buf_addch(&b, ':');
		first = true;
		for (size_t k = 0; k < lb->nattrs; k++)
			if (in_list(voc_actions, lb->attrs[k].name) &&
			    lb->attrs[k].type == ATTR_CHECKBOX) {
				buf_addf(&b, "%s%s", first ? "" : ",", lb->attrs[k].name);
				first = false;
			}
		buf_addch(&b, '\n');
	}
	buf_reset(&w->p);
	buf_addf(&w->p, "%s/labelmap.txt", w->out);
	FILE *f = fopen(w->p.data, "w");
	int rc = 0;
	if (!f || fwrite(b.data, 1, b.len, f) != b.len) {
		buf_setf(w->err, "cannot write '%s': %s", w->p.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	if (f)
		fclose(f);
	buf_release(&b);
	return rc;
}

static int voc_write(struct store *st, int64_t project_id, const char *out,
		     const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err,
		     double off)
{
	struct vwr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.out = out;
	w.o = o;
	w.loss = loss;
	w.err = err;
	w.off = off;
	w.x = (struct buf)BUF_INIT;
	w.p = (struct buf)BUF_INIT;
	int rc;
	buf_addf(&w.p, "%s/Annotations", out);
	if ((rc = fmt_mkdirs(w.p.data, err)))
		goto done;
	buf_reset(&w.p);
	buf_addf(&w.p, "%s/ImageSets/Main", out);
	if ((rc = fmt_mkdirs(w.p.data, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "voc", err)))
		goto done;
	if ((rc = write_labelmap(&w)))
		goto done;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		w.total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (!rc)
		rc = w.rc;
	/* Masks: SegmentationClass/ and SegmentationObject/ PNGs, classes in
	 * labelmap.txt's order. */
	if (!rc)
		rc = fmt_masks_write_voc_seg(st, project_id, out, o, loss, err);
	for (size_t i = 0; i < w.nsp; i++)
		if (w.sp[i].f && fclose(w.sp[i].f) && !rc) {
			buf_setf(err, "cannot write ImageSets/Main/%s.txt: %s", w.sp[i].name,
				 strerror(errno));
			rc = CAIRN_EIO;
		}
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	fmt_strmap_release(&w.stems);
	buf_release(&w.x);
	buf_release(&w.p);
	return rc;
}

int fmt_voc_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return voc_write(st, project_id, out, o, loss, err, 0);
}

int fmt_voc_devkit_write(struct store *st, int64_t project_id, const char *out,
			 const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return voc_write(st, project_id, out, o, loss, err, 1);
}
