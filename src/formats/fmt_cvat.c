/*
 * fmt_cvat.c - CVAT for images 1.1 and CVAT for video 1.1: a streaming
 * reader (expat; labels from <meta>, then each <image>'s shapes, or each
 * <track>'s shapes by frame, handed to the sink as they close) and a writer
 * that picks the images layout, or the video layout when the project has
 * tracks (shapes spooled to a temporary SQLite file so tracks come out
 * whole with bounded memory). Masks convert exactly between CVAT's RLE
 * (row-major runs inside left/top/width/height) and COCO RLE. Conventions:
 * docs/formats/cvat.md.
 */
#include "formats/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt_xml.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_cvat_probe(const char *path);
int fmt_cvat_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_cvat_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_cvat_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		      struct buf *err);
int fmt_cvat_rle_to_coco(const char *rle, int64_t left, int64_t top, int64_t width,
			 int64_t height, uint32_t img_h, uint32_t img_w, struct rle *out,
			 struct buf *err);
int fmt_cvat_rle_from_coco(const struct rle *m, struct buf *rle, int64_t box[4]);

#define MAX_DEPTH 32
/* Largest mask box converted (pixels). */
#define MAX_MASK_AREA (1u << 28)

/* ---- masks: CVAT RLE <-> COCO RLE ---- */

/* Run lengths into a column-major COCO RLE, merging equal neighbours. */
struct runs {
	uint32_t *v;
	size_t n, cap;
	int cur;                    /* value of the open run */
	uint64_t acc;
};

static void runs_add(struct runs *r, int v, uint64_t n)
{
	if (!n)
		return;
	if (v != r->cur) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->v = xrealloc(r->v, r->cap * sizeof(uint32_t));
		}
		r->v[r->n++] = (uint32_t)r->acc;
		r->cur = v;
		r->acc = 0;
	}
	r->acc += n;
}

int fmt_cvat_rle_to_coco(const char *rle, int64_t left, int64_t top, int64_t width,
			 int64_t height, uint32_t img_h, uint32_t img_w, struct rle *out,
			 struct buf *err)
{
	if (width <= 0 || height <= 0 || left < 0 || top < 0 || left + width > img_w ||
	    top + height > img_h) {
		buf_setf(err, "the box left=%lld top=%lld width=%lld height=%lld is not inside the "
			 "%ux%u image", (long long)left, (long long)top, (long long)width,
			 (long long)height, img_w, img_h);
		return CAIRN_EINVAL;
	}
	uint64_t area = (uint64_t)width * (uint64_t)height;
	if (area > MAX_MASK_AREA) {
		buf_setf(err, "mask box of %llu pixels is larger than %u", (unsigned long long)area,
			 MAX_MASK_AREA);
		return CAIRN_ETOOBIG;
	}
	uint8_t *bm = calloc(area, 1);
	if (!bm)
		abort();
	/* CVAT: runs over the box row by row, starting with background. */
	uint64_t pos = 0;
	int v = 0;
	const char *p = rle;
	int rc = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		char *end;
		errno = 0;
		if (*p < '0' || *p > '9') {
			buf_setf(err, "expected comma-separated run lengths, got '%.20s'", p);
			rc = CAIRN_EINVAL;
			break;
		}
		unsigned long long n = strtoull(p, &end, 10);
		if (errno || n > area - pos) {
			buf_setf(err, "the runs cover more than the %lldx%lld box", (long long)width,
				 (long long)height);
			rc = CAIRN_EINVAL;
			break;
		}
		if (v)
			memset(bm + pos, 1, n);
		pos += n;
		v = !v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p) {
			buf_setf(err, "expected comma-separated run lengths, got '%.20s'", p);
			rc = CAIRN_EINVAL;
			break;
		}
	}
	if (!rc && pos != area) {
		buf_setf(err, "the runs cover %llu pixels, the %lldx%lld box has %llu",
			 (unsigned long long)pos, (long long)width, (long long)height,
			 (unsigned long long)area);
		rc = CAIRN_EINVAL;
	}
	if (rc) {
		free(bm);
		return rc;
	}
	struct runs r = {0};
	runs_add(&r, 0, (uint64_t)left * img_h);
	for (int64_t x = 0; x < width; x++) {
		runs_add(&r, 0, (uint64_t)top);
		for (int64_t y = 0; y < height; y++)
			runs_add(&r, bm[y * width + x], 1);
		runs_add(&r, 0, (uint64_t)(img_h - top - height));
	}
	runs_add(&r, 0, (uint64_t)(img_w - left - width) * img_h);
	runs_add(&r, !r.cur, 1); /* pushes the open run (the sentinel is not kept) */
	free(bm);
	rle_from_counts(out, r.v, r.n, img_h, img_w);
	free(r.v);
	return 0;
}

int fmt_cvat_rle_from_coco(const struct rle *m, struct buf *rle, int64_t box[4])
{
	double bb[4];
	rle_bbox(m, bb);
	int64_t L = (int64_t)bb[0], T = (int64_t)bb[1], W = (int64_t)bb[2], H = (int64_t)bb[3];
	if (W <= 0 || H <= 0) {
		/* An empty mask: CVAT needs a box; one background pixel. */
		L = T = 0;
		W = H = 1;
	}
	box[0] = L, box[1] = T, box[2] = W, box[3] = H;
	uint64_t area = (uint64_t)W * (uint64_t)H;
	if (area > MAX_MASK_AREA)
		return CAIRN_ETOOBIG;
	uint8_t *bm = calloc(area, 1);
	if (!bm)
		abort();
	uint64_t pos = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (i & 1) {
			for (uint64_t p = pos; p < pos + m->counts[i]; p++) {
				int64_t x = (int64_t)(p / m->h) - L, y = (int64_t)(p % m->h) - T;
				if (x >= 0 && x < W && y >= 0 && y < H)
					bm[y * W + x] = 1;
			}
		}
		pos += m->counts[i];
	}
	uint64_t run = 0;
	int v = 0;
	bool first = true;
	for (uint64_t p = 0; p < area; p++) {
		if (bm[p] != v) {
			buf_addf(rle, "%s%llu", first ? "" : ", ", (unsigned long long)run);
			first = false;
			v = bm[p];
			run = 0;
		}
		run++;
	}
	buf_addf(rle, "%s%llu", first ? "" : ", ", (unsigned long long)run);
	free(bm);
	return 0;
}

/* ---- reading ---- */

enum atype { AT_TEXT, AT_BOOL, AT_NUM };

struct clabel {
	char *name, *type, *parent, *svg;
	struct cattr {
		char *name;
		enum atype t;
		char *input_type, *values, *def; /* as declared (NULL when absent) */
		bool mutable_;
		unsigned long line;
	} *attrs;
	size_t nattrs;
	char **points;              /* skeleton: sublabel names */
	size_t npoints;
	uint32_t (*edges)[2];
	size_t nedges;
	int64_t id;
};

struct cobj {
	bool open;
	enum shape_kind type;
	const char *el;             /* the element, for messages */
	double *pts;
	size_t npts, cappts;
	double *kpts;               /* skeleton: x, y, v per point */
	size_t nkpts;
	struct rle mask;
	bool has_mask;
	const struct clabel *lab;
	json_t *attrs;
	bool occluded, keyframe, outside, has_frame, bad;
	int32_t z_order;
	bool has_group;
	int64_t group, frame;
	char where[256];
};

struct crd {
	struct fmt_sink *s;
	struct buf *err;
	struct fmt_xml x;
	char stack[MAX_DEPTH][24];
	bool meta_done;
	struct clabel *labels;
	size_t nlabels;
	struct fmt_strmap lab_index; /* name -> index into labels (top-level and sub) */
	struct cattr cur_attr;
	bool in_attr;
	struct buf attr_default, t;
	int ntasks;
	int64_t start_frame, stop_frame, step;
	bool has_stop;
	int64_t orig_w, orig_h;
	/* the open <image> or <track> */
	bool in_image, in_track;
	int64_t image_id;
	int32_t img_w, img_h;
	int64_t track_id;
	const struct clabel *track_lab;
	bool track_bad, track_has_group;
	int64_t track_group;
	struct cobj o;              /* the open shape */
	struct buf attr_name;       /* of the open <attribute> of a shape */
	const char *file_split;
	struct fmt_strmap frames;   /* image ids emitted */
	const char *media_dir;      /* to find a frame's file extension, or NULL */
	struct buf scratch;
};

static const char *parent_el(struct crd *r, int up)
{
	int d = r->x.depth - up;
	return d >= 1 && d <= MAX_DEPTH ? r->stack[d - 1] : "";
}

/* Bad input in a shape (skipped with --skip-invalid) or the file (stops it). */
static void cbad(struct crd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cbad(struct crd *r, const char *fmt, ...)
{
	if (r->o.open && r->o.bad)
		return;
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	int rc = fmt_sink_invalid(r->s, fmt_xml_where(&r->x), "%s", m.data);
	buf_release(&m);
	if (rc)
		fmt_xml_stop(&r->x, rc);
	else if (r->o.open)
		r->o.bad = true;
	else if (r->in_track)
		r->track_bad = true;
}

static void label_release(struct clabel *l)
{
	free(l->name);
	free(l->type);
	free(l->parent);
	free(l->svg);
	for (size_t i = 0; i < l->nattrs; i++) {
		free(l->attrs[i].name);
		free(l->attrs[i].input_type);
		free(l->attrs[i].values);
		free(l->attrs[i].def);
	}
	free(l->attrs);
	for (size_t i = 0; i < l->npoints; i++)
		free(l->points[i]);
	free(l->points);
	free(l->edges);
}

/* Skeleton edges from the label's SVG: data-node-from/to name the points' data-node-id. */
static void svg_edges(struct clabel *l)
{
	if (!l->svg || !l->npoints)
		return;
	/* data-node-id -> point index by data-label-name */
	int64_t ids[256];
	size_t nid = l->npoints < 256 ? l->npoints : 256;
	for (size_t i = 0; i < nid; i++)
		ids[i] = -1;
	for (const char *p = l->svg; (p = strstr(p, "<circle"));) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		const char *idp = strstr(p, "data-node-id=\"");
		const char *np = strstr(p, "data-label-name=\"");
		if (idp && np && idp < e && np < e) {
			long long id = strtoll(idp + 14, NULL, 10);
			np += 17;
			size_t len = strcspn(np, "\"");
			for (size_t i = 0; i < nid; i++)
				if (strlen(l->points[i]) == len && !strncmp(l->points[i], np, len))
					ids[i] = id;
		}
		p = e;
	}
	for (const char *p = l->svg; (p = strstr(p, "<line"));) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		const char *f = strstr(p, "data-node-from=\"");
		const char *t = strstr(p, "data-node-to=\"");
		if (f && t && f < e && t < e) {
			long long a = strtoll(f + 16, NULL, 10), b = strtoll(t + 14, NULL, 10);
			long ia = -1, ib = -1;
			for (size_t i = 0; i < nid; i++) {
				if (ids[i] == a)
					ia = (long)i;
				if (ids[i] == b)
					ib = (long)i;
			}
			if (ia >= 0 && ib >= 0 && ia != ib) {
				l->edges = xrealloc(l->edges, (l->nedges + 1) * sizeof(*l->edges));
				l->edges[l->nedges][0] = (uint32_t)ia;
				l->edges[l->nedges++][1] = (uint32_t)ib;
			}
		}
		p = e;
	}
}

/* One declared attribute of a label: CVAT's input_type (select, radio,
 * checkbox, number, text), values (one a line, or space-separated),
 * default_value and mutable. A number's values are min, max, step. */
static int declare_attr(struct crd *r, const struct clabel *l, const struct cattr *a)
{
	struct buf w = BUF_INIT;
	buf_addf(&w, "%s:%lu: <label> '%s' <attribute> '%s'", r->x.name, a->line, l->name, a->name);
	struct fmt_attr_decl d;
	memset(&d, 0, sizeof(d));
	d.name = a->name;
	d.mutable_ = a->mutable_;
	d.def = a->def;
	d.where = w.data;
	const char *it = a->input_type ? a->input_type : "text";
	char **vals = NULL;
	size_t nv = 0;
	const char *sep = a->values && strchr(a->values, '\n') ? "\n" : " \t\r\n";
	char *copy = xstrdup(a->values);
	char *save = NULL;
	for (char *t = strtok_r(copy, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
		while (*t == ' ' || *t == '\r' || *t == '\t')
			t++;
		size_t n = strlen(t);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\r' || t[n - 1] == '\t'))
			t[--n] = 0;
		if (!n)
			continue;
		bool dup = false;
		for (size_t i = 0; i < nv && !dup; i++)
			dup = !strcmp(vals[i], t);
		if (dup)
			continue; /* CVAT lists the default again at times */
		vals = xrealloc(vals, (nv + 1) * sizeof(*vals));
		vals[nv++] = t;
	}
	int rc = 0;
	if (!strcmp(it, "select") || !strcmp(it, "radio")) {
		d.type = ATTR_SELECT;
		d.values = vals;
		d.nvalues = nv;
		if (!nv)
			rc = fmt_sink_invalid(r->s, w.data, "a %s needs <values>", it);
	} else if (!strcmp(it, "checkbox")) {
		d.type = ATTR_CHECKBOX;
	} else if (!strcmp(it, "number")) {
		d.type = ATTR_NUMBER;
		double v[3] = {0, 0, 0};
		bool ok = nv == 2 || nv == 3;
		for (size_t i = 0; ok && i < nv; i++)
			ok = fmt_xml_num(vals[i], &v[i]);
		if (ok && v[0] <= v[1] && v[2] >= 0) {
			d.has_range = true;
			d.min = v[0];
			d.max = v[1];
			d.step = v[2];
		} else {
			/* Not min, max, step (Datumaro's fixture has "2.4 1 -5.6"): the range
			 * comes from the values seen. */
			fmt_sink_note(r->s, "CVAT number attribute without a usable min, max, step "
					    "(range taken from the values)");
		}
	} else if (!strcmp(it, "text")) {
		d.type = ATTR_TEXT;
	} else {
		rc = fmt_sink_invalid(r->s, w.data, "<input_type>%s</input_type>: expected select, "
				      "radio, checkbox, number or text", it);
	}
	if (!rc)
		rc = fmt_sink_category_attr(r->s, l->id, &d);
	free(vals);
	free(copy);
	buf_release(&w);
	return rc;
}

/* At </meta>: skeleton points from the sublabels, then the categories. */
static void meta_end(struct crd *r)
{
	r->meta_done = true;
	int64_t next = 1;
	for (size_t i = 0; i < r->nlabels; i++) {
		struct clabel *l = &r->labels[i];
		if (!l->parent)
			continue;
		int64_t pi;
		if (!fmt_strmap_get(&r->lab_index, l->parent, &pi) || r->labels[pi].parent) {
			fmt_xml_fail(&r->x, "<label> '%s': <parent>%s</parent> is not a label", l->name,
				     l->parent);
			return;
		}
		struct clabel *p = &r->labels[pi];
		p->points = xrealloc(p->points, (p->npoints + 1) * sizeof(char *));
		p->points[p->npoints++] = xstrdup(l->name);
	}
	for (size_t i = 0; i < r->nlabels && !r->x.rc; i++) {
		struct clabel *l = &r->labels[i];
		if (l->parent)
			continue;
		svg_edges(l);
		l->id = next++;
		struct buf w = BUF_INIT;
		buf_addf(&w, "%s: <meta> label '%s'", r->x.name, l->name);
		struct fmt_category c = {.id = l->id, .name = l->name, .points = l->points,
					 .npoints = l->npoints,
					 .edges = (const uint32_t(*)[2])l->edges,
					 .nedges = l->nedges, .where = w.data};
		int rc = fmt_sink_category(r->s, &c);
		buf_release(&w);
		for (size_t k = 0; !rc && k < l->nattrs; k++)
			rc = declare_attr(r, l, &l->attrs[k]);
		if (rc)
			fmt_xml_stop(&r->x, rc);
	}
}

static bool in_meta(struct crd *r)
{
	return r->x.depth >= 2 && !strcmp(r->stack[1], "meta");
}

static void emit_frame_image(struct crd *r, int64_t frame)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)frame);
	if (!fmt_strmap_put(&r->frames, key, 1))
		return;
	char fn[64];
	static const char *const exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".webp", NULL};
	snprintf(fn, sizeof(fn), "frame_%06lld.png", (long long)frame);
	for (size_t i = 0; r->media_dir && exts[i]; i++) {
		buf_reset(&r->scratch);
		buf_addf(&r->scratch, "%s/frame_%06lld%s", r->media_dir, (long long)frame, exts[i]);
		if (access(r->scratch.data, F_OK) == 0) {
			snprintf(fn, sizeof(fn), "frame_%06lld%s", (long long)frame, exts[i]);
			break;
		}
	}
	struct fmt_image im = {.id = frame, .file_name = fn, .width = (int32_t)r->orig_w,
			       .height = (int32_t)r->orig_h, .where = fmt_xml_where(&r->x)};
	int rc = fmt_sink_image(r->s, &im);
	if (rc)
		fmt_xml_stop(&r->x, rc);
}

/* "x1,y1;x2,y2;..." into the shape's points. */
static bool parse_points(struct cobj *o, const char *s)
{
	const char *p = s;
	while (*p) {
		double v[2];
		for (int k = 0; k < 2; k++) {
			while (*p == ' ')
				p++;
			char *end;
			errno = 0;
			v[k] = strtod(p, &end);
			if (end == p || errno || !isfinite(v[k]) || fabs(v[k]) > 1e9)
				return false;
			for (const char *q = p; q < end; q++)
				if (!strchr("0123456789+-.eE", *q))
					return false;
			p = end;
			while (*p == ' ')
				p++;
			if (k == 0 && *p++ != ',')
				return false;
		}
		if (o->npts + 2 > o->cappts) {
			o->cappts = o->cappts ? 2 * o->cappts : 16;
			o->pts = xrealloc(o->pts, o->cappts * sizeof(double));
		}
		o->pts[o->npts++] = v[0];
		o->pts[o->npts++] = v[1];
		if (*p == ';')
			p++;
		else if (*p)
			return false;
	}
	return o->npts > 0;
}

static const struct clabel *find_label(struct crd *r, const char *name)
{
	int64_t i;
	if (!fmt_strmap_get(&r->lab_index, name, &i))
		return NULL;
	return &r->labels[i];
}

static bool get_flag(struct crd *r, const char *el, const char **attrs, const char *name, bool *v)
{
	const char *s = fmt_xml_attr(attrs, name);
	*v = false;
	if (!s)
		return true;
	if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "True"))
		*v = true;
	else if (strcmp(s, "0") && strcmp(s, "false") && strcmp(s, "False")) {
		cbad(r, "<%s %s=\"%s\">: expected 0 or 1", el, name, s);
		return false;
	}
	return true;
}

static bool get_num(struct crd *r, const char *el, const char **attrs, const char *name,
		    double *v)
{
	const char *s = fmt_xml_attr(attrs, name);
	if (!s) {
		cbad(r, "<%s>: missing attribute %s", el, name);
		return false;
	}
	if (!fmt_xml_num(s, v)) {
		cbad(r, "<%s %s=\"%s\">: expected a number", el, name, s);
		return false;
	}
	return true;
}

static bool get_int(struct crd *r, const char *el, const char **attrs, const char *name,
		    int64_t lo, int64_t hi, int64_t *v, bool required)
{
	const char *s = fmt_xml_attr(attrs, name);
	if (!s) {
		if (required)
			cbad(r, "<%s>: missing attribute %s", el, name);
		return !required;
	}
	if (!fmt_xml_int(s, lo, hi, v)) {
		cbad(r, "<%s %s=\"%s\">: expected a whole number from %lld to %lld", el, name, s,
		     (long long)lo, (long long)hi);
		return false;
	}
	return true;
}

static const char *const shape_els[] = {"box", "polygon", "polyline", "points", "ellipse",
					"cuboid", "mask", "skeleton", "tag", NULL};

static bool is_shape_el(const char *el)
{
	for (size_t i = 0; shape_els[i]; i++)
		if (!strcmp(shape_els[i], el))
			return true;
	return false;
}

static void obj_reset(struct cobj *o)
{
	free(o->pts);
	free(o->kpts);
	rle_release(&o->mask);
	json_decref(o->attrs);
	memset(o, 0, sizeof(*o));
}

static const char *const cuboid_keys[16] = {
	"xtl1", "ytl1", "xbl1", "ybl1", "xtr1", "ytr1", "xbr1", "ybr1",
	"xtl2", "ytl2", "xbl2", "ybl2", "xtr2", "ytr2", "xbr2", "ybr2",
};

static void shape_start(struct crd *r, const char *el, const char **attrs)
{
	struct cobj *o = &r->o;
	obj_reset(o);
	o->open = true;
	o->el = NULL;
	for (size_t i = 0; shape_els[i]; i++)
		if (!strcmp(shape_els[i], el))
			o->el = shape_els[i];
	snprintf(o->where, sizeof(o->where), "%s", fmt_xml_where(&r->x));
	const char *label = fmt_xml_attr(attrs, "label");
	if (r->in_track) {
		o->lab = r->track_lab;
		if (r->track_bad) {
			o->bad = true;
			return;
		}
	} else if (!label) {
		cbad(r, "<%s>: missing attribute label", el);
		return;
	} else if (!*label) {
		fmt_sink_note(r->s, "CVAT shape without a label (not kept)");
		o->bad = true;
		return;
	} else if (!(o->lab = find_label(r, label)) || o->lab->parent) {
		cbad(r, "<%s label=\"%s\">: unknown label (not in <meta> labels)", el, label);
		return;
	}
	if (!get_flag(r, el, attrs, "occluded", &o->occluded))
		return;
	int64_t v;
	if (fmt_xml_attr(attrs, "z_order")) {
		if (!get_int(r, el, attrs, "z_order", -1000000, 1000000, &v, false))
			return;
		o->z_order = (int32_t)v;
	}
	if (fmt_xml_attr(attrs, "group_id")) {
		if (!get_int(r, el, attrs, "group_id", 0, INT64_MAX / 2, &v, false))
			return;
		o->has_group = v > 0;
		o->group = v;
	} else if (r->in_track && r->track_has_group) {
		o->has_group = true;
		o->group = r->track_group;
	}
	const char *src = fmt_xml_attr(attrs, "source");
	if (src && strcmp(src, "manual"))
		fmt_sink_note(r->s, "CVAT source other than manual (not kept)");
	if (r->in_track) {
		int64_t f;
		if (!get_int(r, el, attrs, "frame", 0, INT32_MAX, &f, true) ||
		    !get_flag(r, el, attrs, "keyframe", &o->keyframe) ||
		    !get_flag(r, el, attrs, "outside", &o->outside))
			return;
		if (r->ntasks == 1 && (f < r->start_frame || (f - r->start_frame) % r->step ||
				       (r->has_stop && f > r->stop_frame))) {
			cbad(r, "<%s frame=\"%lld\">: not a frame of the task (start_frame %lld, "
			     "step %lld%s)", el, (long long)f, (long long)r->start_frame,
			     (long long)r->step, r->has_stop ? ", stop_frame set" : "");
			return;
		}
		o->has_frame = true;
		o->frame = f;
	}
	double n[16];
	if (!strcmp(el, "box")) {
		if (!get_num(r, el, attrs, "xtl", &n[0]) || !get_num(r, el, attrs, "ytl", &n[1]) ||
		    !get_num(r, el, attrs, "xbr", &n[2]) || !get_num(r, el, attrs, "ybr", &n[3]))
			return;
		double rot = 0;
		if (fmt_xml_attr(attrs, "rotation") && !get_num(r, el, attrs, "rotation", &rot))
			return;
		o->pts = xrealloc(NULL, 5 * sizeof(double));
		if (rot != 0) {
			o->type = SHAPE_ROTATED_BOX;
			o->pts[0] = (n[0] + n[2]) / 2;
			o->pts[1] = (n[1] + n[3]) / 2;
			o->pts[2] = n[2] - n[0];
			o->pts[3] = n[3] - n[1];
			o->pts[4] = rot;
			o->npts = 5;
		} else {
			o->type = SHAPE_BOX;
			memcpy(o->pts, n, 4 * sizeof(double));
			o->npts = 4;
		}
	} else if (!strcmp(el, "ellipse")) {
		if (!get_num(r, el, attrs, "cx", &n[0]) || !get_num(r, el, attrs, "cy", &n[1]) ||
		    !get_num(r, el, attrs, "rx", &n[2]) || !get_num(r, el, attrs, "ry", &n[3]))
			return;
		n[4] = 0;
		if (fmt_xml_attr(attrs, "rotation") && !get_num(r, el, attrs, "rotation", &n[4]))
			return;
		o->type = SHAPE_ELLIPSE;
		o->pts = xrealloc(NULL, 5 * sizeof(double));
		memcpy(o->pts, n, 5 * sizeof(double));
		o->npts = 5;
	} else if (!strcmp(el, "cuboid")) {
		for (int k = 0; k < 16; k++)
			if (!get_num(r, el, attrs, cuboid_keys[k], &n[k]))
				return;
		o->type = SHAPE_CUBOID;
		o->pts = xrealloc(NULL, 16 * sizeof(double));
		memcpy(o->pts, n, 16 * sizeof(double));
		o->npts = 16;
	} else if (!strcmp(el, "polygon") || !strcmp(el, "polyline") || !strcmp(el, "points")) {
		const char *p = fmt_xml_attr(attrs, "points");
		if (!p) {
			cbad(r, "<%s>: missing attribute points", el);
			return;
		}
		if (!parse_points(o, p)) {
			cbad(r, "<%s points=\"%.40s\">: expected x,y pairs separated by ';'", el, p);
			return;
		}
		o->type = el[0] == 'p' && el[4] == 'g' ? SHAPE_POLYGON
			  : el[4] == 'l' ? SHAPE_POLYLINE : SHAPE_POINTS;
	} else if (!strcmp(el, "mask")) {
		int64_t b[4];
		static const char *const k[4] = {"left", "top", "width", "height"};
		for (int i = 0; i < 4; i++)
			if (!get_int(r, el, attrs, k[i], 0, 1000000, &b[i], true))
				return;
		const char *rle = fmt_xml_attr(attrs, "rle");
		if (!rle) {
			cbad(r, "<mask>: missing attribute rle");
			return;
		}
		int32_t W = r->in_track ? (int32_t)r->orig_w : r->img_w;
		int32_t H = r->in_track ? (int32_t)r->orig_h : r->img_h;
		if (W <= 0 || H <= 0) {
			cbad(r, "<mask>: the image has no width and height");
			return;
		}
		struct buf e = BUF_INIT;
		if (fmt_cvat_rle_to_coco(rle, b[0], b[1], b[2], b[3], (uint32_t)H, (uint32_t)W,
					 &o->mask, &e)) {
			cbad(r, "<mask rle=\"%.20s%s\">: %s", rle, strlen(rle) > 20 ? "..." : "", e.data);
			buf_release(&e);
			return;
		}
		buf_release(&e);
		o->has_mask = true;
		o->type = SHAPE_MASK;
	} else if (!strcmp(el, "skeleton")) {
		if (!o->lab->npoints) {
			cbad(r, "<skeleton label=\"%s\">: the label has no points (sublabels)",
			     o->lab->name);
			return;
		}
		o->type = SHAPE_KEYPOINTS;
		o->nkpts = 3 * o->lab->npoints;
		o->kpts = calloc(o->nkpts, sizeof(double));
		if (!o->kpts)
			abort();
	} else {
		o->type = SHAPE_TAG;
	}
}

static void skeleton_point(struct crd *r, const char **attrs)
{
	struct cobj *o = &r->o;
	if (o->bad || !o->kpts)
		return;
	const char *label = fmt_xml_attr(attrs, "label");
	size_t i = 0;
	while (label && i < o->lab->npoints && strcmp(o->lab->points[i], label))
		i++;
	if (!label || i == o->lab->npoints) {
		cbad(r, "<points label=\"%s\">: not a point of skeleton '%s'", label ? label : "",
		     o->lab->name);
		return;
	}
	const char *p = fmt_xml_attr(attrs, "points");
	struct cobj tmp = {0};
	if (!p || !parse_points(&tmp, p) || tmp.npts != 2) {
		cbad(r, "<points label=\"%s\" points=\"%.40s\">: expected one x,y pair", label,
		     p ? p : "");
		free(tmp.pts);
		return;
	}
	bool outside, occluded;
	if (!get_flag(r, "points", attrs, "outside", &outside) ||
	    !get_flag(r, "points", attrs, "occluded", &occluded)) {
		free(tmp.pts);
		return;
	}
	o->kpts[3 * i] = tmp.pts[0];
	o->kpts[3 * i + 1] = tmp.pts[1];
	o->kpts[3 * i + 2] = outside ? 0 : occluded ? 1 : 2;
	free(tmp.pts);
}

/* A CVAT subset as a Cairn split: train, val or test (any case; validation is val). */
static const char *split_name(const char *subset)
{
	if (!strcasecmp(subset, "train"))
		return "train";
	if (!strcasecmp(subset, "val") || !strcasecmp(subset, "validation") ||
	    !strcasecmp(subset, "valid"))
		return "val";
	if (!strcasecmp(subset, "test"))
		return "test";
	return NULL;
}

static void c_start(struct fmt_xml *x, const char *el, const char **attrs)
{
	struct crd *r = x->ctx;
	if (x->depth <= MAX_DEPTH)
		snprintf(r->stack[x->depth - 1], sizeof(r->stack[0]), "%s", el);
	const char *up = parent_el(r, 1);
	if (x->depth == 1) {
		if (strcmp(el, "annotations"))
			fmt_xml_fail(x, "<%s>: the root element must be <annotations>", el);
		return;
	}
	if (in_meta(r)) {
		if (!strcmp(el, "label") && !strcmp(up, "labels")) {
			r->labels = xrealloc(r->labels, (r->nlabels + 1) * sizeof(*r->labels));
			memset(&r->labels[r->nlabels++], 0, sizeof(*r->labels));
		} else if (!strcmp(el, "attribute") && !strcmp(up, "attributes") && r->nlabels &&
			   !strcmp(parent_el(r, 2), "label")) {
			free(r->cur_attr.name);
			free(r->cur_attr.input_type);
			free(r->cur_attr.values);
			free(r->cur_attr.def);
			memset(&r->cur_attr, 0, sizeof(r->cur_attr));
			r->cur_attr.t = AT_TEXT;
			r->cur_attr.line = fmt_xml_line(&r->x);
			r->in_attr = true;
		} else if (!strcmp(el, "task")) {
			r->ntasks++;
		}
		return;
	}
	if (x->depth == 2 && (!strcmp(el, "image") || !strcmp(el, "track") || !strcmp(el, "tag")) &&
	    !r->meta_done)
		meta_end(r);
	if (x->rc)
		return;
	if (x->depth == 2 && !strcmp(el, "image")) {
		int64_t id, w = 0, h = 0;
		const char *name = fmt_xml_attr(attrs, "name");
		r->in_image = true;
		r->image_id = -1;
		if (!get_int(r, el, attrs, "id", 0, INT64_MAX / 2, &id, true) ||
		    !get_int(r, el, attrs, "width", 0, 1000000, &w, false) ||
		    !get_int(r, el, attrs, "height", 0, 1000000, &h, false))
			return;
		if (!name || !*name) {
			cbad(r, "<image id=\"%lld\">: missing attribute name", (long long)id);
			return;
		}
		const char *subset = fmt_xml_attr(attrs, "subset");
		const char *split = subset && *subset ? split_name(subset) : r->file_split;
		if (subset && *subset && !split)
			fmt_sink_note(r->s, "CVAT subset other than train, val, test (not kept)");
		fmt_sink_split(r->s, split);
		/* A project export keeps media in images/<Subset>/: name the folder when it
		 * is not the split's own name. */
		if (split && subset && strcmp(split, subset) && r->media_dir && !strchr(name, '/')) {
			buf_reset(&r->scratch);
			buf_addf(&r->scratch, "%s/%s/%s", r->media_dir, subset, name);
			if (access(r->scratch.data, F_OK) == 0) {
				buf_reset(&r->scratch);
				buf_addf(&r->scratch, "%s/%s", subset, name);
				name = r->scratch.data;
			}
		}
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)id);
		fmt_strmap_put(&r->frames, key, 1);
		struct fmt_image im = {.id = id, .file_name = name, .width = (int32_t)w,
				       .height = (int32_t)h, .where = fmt_xml_where(x)};
		int rc = fmt_sink_image(r->s, &im);
		if (rc) {
			fmt_xml_stop(x, rc);
			return;
		}
		r->image_id = id;
		r->img_w = (int32_t)w;
		r->img_h = (int32_t)h;
	} else if (x->depth == 2 && !strcmp(el, "track")) {
		r->in_track = true;
		r->track_bad = false;
		r->track_lab = NULL;
		r->track_has_group = false;
		fmt_sink_split(r->s, r->file_split);
		const char *label = fmt_xml_attr(attrs, "label");
		int64_t g = 0;
		if (!get_int(r, el, attrs, "id", 0, INT64_MAX / 2, &r->track_id, true))
			return;
		if (!label) {
			cbad(r, "<track id=\"%lld\">: missing attribute label", (long long)r->track_id);
			return;
		}
		if (!(r->track_lab = find_label(r, label)) || r->track_lab->parent) {
			cbad(r, "<track label=\"%s\">: unknown label (not in <meta> labels)", label);
			return;
		}
		if (!get_int(r, el, attrs, "group_id", 0, INT64_MAX / 2, &g, false))
			return;
		r->track_has_group = g > 0;
		r->track_group = g;
	} else if (x->depth == 3 && (r->in_image || r->in_track) && is_shape_el(el)) {
		if (r->in_image && r->image_id < 0) {
			r->o.open = true;
			r->o.bad = true;
			return;
		}
		if (r->in_track && !strcmp(el, "tag")) {
			fmt_sink_note(r->s, "CVAT tag inside a track (not kept)");
			r->o.open = true;
			r->o.bad = true;
			return;
		}
		shape_start(r, el, attrs);
	} else if (x->depth == 4 && r->o.open && !strcmp(el, "points") && !strcmp(up, "skeleton")) {
		skeleton_point(r, attrs);
	} else if (r->o.open && !strcmp(el, "attribute")) {
		const char *n = fmt_xml_attr(attrs, "name");
		buf_reset(&r->attr_name);
		if (!n || !*n)
			cbad(r, "<attribute>: missing attribute name");
		else
			buf_adds(&r->attr_name, n);
	} else if (x->depth == 2 && !strcmp(el, "tag")) {
		fmt_sink_note(r->s, "CVAT tag outside an image (not kept)");
	}
}

static void shape_attribute(struct crd *r, const char *text, size_t len)
{
	struct cobj *o = &r->o;
	if (o->bad || !r->attr_name.len || !o->lab)
		return;
	const char *k = r->attr_name.data;
	enum atype t = AT_TEXT;
	for (size_t i = 0; i < o->lab->nattrs; i++)
		if (!strcmp(o->lab->attrs[i].name, k))
			t = o->lab->attrs[i].t;
	json_t *v;
	if (t == AT_TEXT) {
		v = json_stringn(text, len);
		if (!v) {
			cbad(r, "<attribute name=\"%s\">: not UTF-8 text", k);
			return;
		}
	} else {
		fmt_xml_trim(&r->t, text, len);
		const char *s = r->t.data;
		double d;
		if (t == AT_BOOL) {
			if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "1"))
				v = json_true();
			else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "0"))
				v = json_false();
			else {
				cbad(r, "<attribute name=\"%s\">%s</attribute>: expected true or false", k, s);
				return;
			}
		} else if (fmt_xml_num(s, &d)) {
			v = json_real(d);
			if (d == floor(d) && fabs(d) < 9e15) {
				json_decref(v);
				v = json_integer((json_int_t)d);
			}
		} else {
			cbad(r, "<attribute name=\"%s\">%s</attribute>: expected a number", k, s);
			return;
		}
	}
	if (!o->attrs)
		o->attrs = json_object();
	json_object_set_new(o->attrs, k, v);
}

static void shape_end(struct crd *r)
{
	struct cobj *o = &r->o;
	o->open = false;
	if (o->bad)
		return;
	struct fmt_object fo = {
		.image_id = r->in_track ? o->frame : r->image_id,
		.category_id = o->lab->id,
		.type = o->type,
		.pts = o->pts,
		.npts = o->npts,
		.mask = o->has_mask ? &o->mask : NULL,
		.kpts = o->kpts,
		.nkpts = o->nkpts,
		.attrs = o->attrs,
		.occluded = o->occluded,
		.z_order = o->z_order,
		.has_group = o->has_group,
		.group = o->group,
		.has_frame = o->has_frame,
		.frame = o->frame,
		.has_track = r->in_track,
		.track = r->track_id,
		.keyframe = o->keyframe,
		.outside = o->outside,
		.where = o->where,
	};
	if (r->in_track)
		emit_frame_image(r, o->frame);
	if (r->x.rc)
		return;
	int rc = fmt_sink_object(r->s, &fo);
	if (rc)
		fmt_xml_stop(&r->x, rc);
}

static void meta_text(struct crd *r, const char *el, const char *text, size_t len)
{
	const char *up = parent_el(r, 1);
	fmt_xml_trim(&r->t, text, len);
	const char *t = r->t.data;
	struct clabel *l = r->nlabels ? &r->labels[r->nlabels - 1] : NULL;
	if (!strcmp(up, "label") && l) {
		char **dst = !strcmp(el, "name") ? &l->name : !strcmp(el, "type") ? &l->type
			     : !strcmp(el, "parent") ? &l->parent : !strcmp(el, "svg") ? &l->svg
			     : NULL;
		if (dst) {
			free(*dst);
			*dst = xstrdup(t);
		}
		if (!strcmp(el, "name")) {
			if (!*t) {
				fmt_xml_fail(&r->x, "<label>: empty <name>");
				return;
			}
			if (!fmt_strmap_put(&r->lab_index, t, (int64_t)r->nlabels - 1))
				fmt_xml_fail(&r->x, "<label> '%s': the name is used twice", t);
		}
	} else if (!strcmp(up, "attribute") && r->in_attr) {
		if (!strcmp(el, "name")) {
			free(r->cur_attr.name);
			r->cur_attr.name = xstrdup(t);
		} else if (!strcmp(el, "input_type")) {
			r->cur_attr.t = !strcmp(t, "checkbox") ? AT_BOOL
					: !strcmp(t, "number") ? AT_NUM : AT_TEXT;
			free(r->cur_attr.input_type);
			r->cur_attr.input_type = xstrdup(t);
		} else if (!strcmp(el, "values") || !strcmp(el, "default_value")) {
			char **dst = el[0] == 'v' ? &r->cur_attr.values : &r->cur_attr.def;
			free(*dst);
			*dst = xstrdup(t);
		} else if (!strcmp(el, "mutable")) {
			r->cur_attr.mutable_ = !strcasecmp(t, "true") || !strcmp(t, "1");
		}
	} else if (!strcmp(el, "attribute") && r->in_attr && l) {
		r->in_attr = false;
		if (!r->cur_attr.name || !*r->cur_attr.name) {
			fmt_xml_fail(&r->x, "<attribute>: empty <name>");
			return;
		}
		l->attrs = xrealloc(l->attrs, (l->nattrs + 1) * sizeof(*l->attrs));
		l->attrs[l->nattrs++] = r->cur_attr;
		memset(&r->cur_attr, 0, sizeof(r->cur_attr));
	} else if (!strcmp(el, "label") && l && !l->name) {
		fmt_xml_fail(&r->x, "<label>: no <name>");
	} else if (!strcmp(up, "task") && r->ntasks == 1) {
		int64_t v;
		if (!strcmp(el, "start_frame") || !strcmp(el, "stop_frame")) {
			if (!fmt_xml_int(t, 0, INT32_MAX, &v)) {
				fmt_xml_fail(&r->x, "<%s>%s</%s>: expected a frame number", el, t, el);
				return;
			}
			if (el[1] == 't' && el[2] == 'a')
				r->start_frame = v;
			else {
				r->stop_frame = v;
				r->has_stop = true;
			}
		} else if (!strcmp(el, "frame_filter") && *t) {
			if (strncmp(t, "step=", 5) || !fmt_xml_int(t + 5, 1, INT32_MAX, &v)) {
				fmt_xml_fail(&r->x, "<frame_filter>%s</frame_filter>: expected step=N", t);
				return;
			}
			r->step = v;
		}
	} else if (!strcmp(up, "original_size") && (!strcmp(el, "width") || !strcmp(el, "height"))) {
		int64_t v;
		if (!fmt_xml_int(t, 0, 1000000, &v)) {
			fmt_xml_fail(&r->x, "<%s>%s</%s>: expected a whole number of pixels", el, t, el);
			return;
		}
		*(el[0] == 'w' ? &r->orig_w : &r->orig_h) = v;
	}
}

static void c_end(struct fmt_xml *x, const char *el, const char *text, size_t len)
{
	struct crd *r = x->ctx;
	if (in_meta(r) && x->depth > 2) {
		meta_text(r, el, text, len);
		return;
	}
	if (x->depth == 2 && !strcmp(el, "meta")) {
		meta_end(r);
	} else if (x->depth == 3 && r->o.open && is_shape_el(el)) {
		shape_end(r);
	} else if (r->o.open && !strcmp(el, "attribute")) {
		shape_attribute(r, text, len);
		buf_reset(&r->attr_name);
	} else if (x->depth == 2 && !strcmp(el, "image")) {
		r->in_image = false;
	} else if (x->depth == 2 && !strcmp(el, "track")) {
		r->in_track = false;
	} else if (x->depth == 1 && !r->meta_done) {
		meta_end(r);
	}
}

static void crd_release(struct crd *r)
{
	for (size_t i = 0; i < r->nlabels; i++)
		label_release(&r->labels[i]);
	free(r->labels);
	free(r->cur_attr.name);
	free(r->cur_attr.input_type);
	free(r->cur_attr.values);
	free(r->cur_attr.def);
	fmt_strmap_release(&r->lab_index);
	fmt_strmap_release(&r->frames);
	obj_reset(&r->o);
	buf_release(&r->attr_default);
	buf_release(&r->t);
	buf_release(&r->attr_name);
	buf_release(&r->scratch);
}

/* "train.xml" -> "train": a file named after a split is that split. */
static const char *split_of_file(const char *base)
{
	static const char *const names[] = {"train", "val", "test", NULL};
	for (size_t i = 0; names[i]; i++) {
		size_t l = strlen(names[i]);
		if (!strncmp(base, names[i], l) && !strcmp(base + l, ".xml"))
			return names[i];
	}
	return NULL;
}

static int read_one(const char *path, const char *data, size_t len, const char *name,
		    const char *media_dir, struct fmt_sink *s, struct buf *err)
{
	struct crd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.step = 1;
	r.attr_default = (struct buf)BUF_INIT;
	r.t = (struct buf)BUF_INIT;
	r.attr_name = (struct buf)BUF_INIT;
	r.scratch = (struct buf)BUF_INIT;
	r.file_split = split_of_file(name);
	r.media_dir = media_dir;
	r.x.name = name;
	r.x.ctx = &r;
	r.x.start = c_start;
	r.x.end = c_end;
	int rc = data ? fmt_xml_parse_mem(&r.x, data, len, err) : fmt_xml_parse_file(&r.x, path, err);
	if (!rc && !r.meta_done)
		meta_end(&r);
	fmt_sink_split(s, NULL);
	crd_release(&r);
	return rc;
}

int fmt_cvat_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		      struct buf *err)
{
	return read_one(NULL, data, len, name, NULL, s, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The head of a file says CVAT: <annotations> with <version> or <meta>. */
static int probe_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char head[4096];
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[got] = 0;
	if (!strstr(head, "<annotations>") && !strstr(head, "<annotations "))
		return 0;
	return strstr(head, "<version>") || strstr(head, "<meta>") ? 90 : 50;
}

static size_t list_xml(const char *dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".xml") || e->d_name[0] == '.')
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(char *));
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		if (probe_file(p.data))
			(*out)[n++] = buf_detach(&p, NULL);
		else
			buf_release(&p);
	}
	closedir(d);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

int fmt_cvat_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct buf p = BUF_INIT;
	int rc = 0;
	if (is_dir(path)) {
		char **files;
		size_t n = list_xml(path, &files);
		buf_addf(&p, "%s/images", path);
		if (!is_dir(p.data)) {
			buf_reset(&p);
			buf_adds(&p, path);
		}
		fmt_sink_media_dir(s, p.data);
		if (!n) {
			buf_setf(err, "%s: no CVAT annotation file (annotations.xml)", path);
			rc = CAIRN_ENOTFOUND;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = read_one(files[i], NULL, 0, strrchr(files[i], '/') + 1, p.data, s,
					      err);
			free(files[i]);
		}
		free(files);
	} else {
		const char *slash = strrchr(path, '/');
		buf_add(&p, path, slash ? (size_t)(slash - path) : 0);
		if (!slash)
			buf_adds(&p, ".");
		size_t dl = p.len;
		buf_adds(&p, "/images");
		if (!is_dir(p.data))
			buf_setlen(&p, dl);
		fmt_sink_media_dir(s, p.data);
		rc = read_one(path, NULL, 0, slash ? slash + 1 : path, p.data, s, err);
	}
	buf_release(&p);
	return rc;
}

int fmt_cvat_probe(const char *path)
{
	if (!is_dir(path))
		return probe_file(path);
	char **files;
	size_t n = list_xml(path, &files);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return n ? 90 : 0;
}

/* ---- writing ---- */

struct cwr {
	struct store *st;
	const char *out;
	const struct fmt_write_opts *o;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	FILE *body;                 /* the images layout's <image> elements */
	struct buf body_path, spool_dir;
	sqlite3 *db;                /* every shape in its track form (video layout) */
	sqlite3_stmt *ins;
	bool any_track;
	int64_t max_track, next_image, seq;
	int64_t min_frame, max_frame, step;
	bool have_frame;
	int32_t first_w, first_h;
	struct fmt_strmap ids;      /* image ids written */
	struct fmt_strmap subsets;
	struct buf b, v, p;
	int64_t done, total, last_id, images;
	int rc;
};

static void loss_kind(struct cwr *w, const char *fmt, const char *kind)
{
	struct buf n = BUF_INIT;
	buf_addf(&n, fmt, kind);
	fmt_loss_add(w->loss, n.data, 1);
	buf_release(&n);
}

static void attr_children(struct cwr *w, struct buf *b, const char *attrs, const char *ind)
{
	if (!attrs || !strcmp(attrs, "{}"))
		return;
	json_t *a = json_loads(attrs, 0, NULL);
	const char *k;
	json_t *v;
	json_object_foreach(a, k, v) {
		if (json_is_null(v))
			continue;
		buf_addf(b, "%s<attribute name=\"", ind);
		fmt_xml_esc(b, k);
		buf_adds(b, "\">");
		if (json_is_string(v)) {
			fmt_xml_esc(b, json_string_value(v));
		} else if (json_is_boolean(v)) {
			buf_adds(b, json_is_true(v) ? "true" : "false");
		} else if (json_is_number(v)) {
			fmt_xml_num_out(b, json_number_value(v));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (i)
					buf_addch(b, ',');
				fmt_xml_esc(b, json_string_value(e) ? json_string_value(e) : "");
			}
			fmt_loss_add(w->loss, "multiselect attribute (written as comma-separated text)", 1);
		}
		buf_adds(b, "</attribute>\n");
	}
	json_decref(a);
}

static void num_attr(struct buf *b, const char *name, double v)
{
	buf_addf(b, " %s=\"", name);
	fmt_xml_num_out(b, v);
	buf_addch(b, '"');
}

static void points_attr(struct buf *b, const double *p, size_t n, size_t stride)
{
	buf_adds(b, " points=\"");
	for (size_t i = 0; i + 1 < n; i += stride) {
		if (i)
			buf_addch(b, ';');
		fmt_xml_num_out(b, p[i]);
		buf_addch(b, ',');
		fmt_xml_num_out(b, p[i + 1]);
	}
	buf_addch(b, '"');
}

/*
 * One shape as XML into b. video: the track form (frame, outside, keyframe;
 * the label and group on the <track>), else the images form. Returns false
 * (counted) when CVAT cannot carry it.
 */
static bool shape_xml(struct cwr *w, struct buf *b, const struct ann_object *o, bool video,
		      int64_t frame, const char *ind, int64_t link)
{
	const char *lname = w->l.sc.labels[o->label].name;
	const char *el;
	switch (o->type) {
	case SHAPE_BOX: case SHAPE_ROTATED_BOX: el = "box"; break;
	case SHAPE_POLYGON: el = "polygon"; break;
	case SHAPE_POLYLINE: el = "polyline"; break;
	case SHAPE_POINTS: el = "points"; break;
	case SHAPE_ELLIPSE: el = "ellipse"; break;
	case SHAPE_CUBOID: el = "cuboid"; break;
	case SHAPE_MASK: el = "mask"; break;
	case SHAPE_KEYPOINTS: el = "skeleton"; break;
	case SHAPE_TAG: el = "tag"; break;
	default:
		loss_kind(w, "%s (not in CVAT)", shape_kind_name(o->type));
		return false;
	}
	if (video && o->type == SHAPE_TAG) {
		fmt_loss_add(w->loss, "tag (not in the CVAT video layout)", 1);
		return false;
	}
	const struct schema_skeleton *sk = w->l.sc.labels[o->label].skeleton;
	if (o->type == SHAPE_KEYPOINTS && (!sk || sk->npoints * 3 != o->npts)) {
		fmt_loss_add(w->loss, "keypoints without a matching skeleton", 1);
		return false;
	}
	struct buf rle = BUF_INIT;
	int64_t box[4] = {0};
	if (o->type == SHAPE_MASK && fmt_cvat_rle_from_coco(&o->mask, &rle, box)) {
		fmt_loss_add(w->loss, "mask larger than CVAT's writer takes", 1);
		buf_release(&rle);
		return false;
	}
	buf_addf(b, "%s<%s", ind, el);
	if (video) {
		buf_addf(b, " frame=\"%lld\" keyframe=\"%d\" outside=\"%d\"", (long long)frame,
			 o->has_track ? o->keyframe : 1, o->has_track && o->outside);
	} else {
		buf_adds(b, " label=\"");
		fmt_xml_esc(b, lname);
		buf_addch(b, '"');
		buf_adds(b, " source=\"manual\"");
	}
	if (o->type != SHAPE_TAG) {
		buf_addf(b, " occluded=\"%d\"", o->occluded);
		buf_addf(b, " z_order=\"%d\"", (int)o->z_order);
	}
	if (!video && (o->has_group || link > 0))
		buf_addf(b, " group_id=\"%lld\"", (long long)(o->has_group ? o->group : link));
	const double *p = o->pts;
	switch (o->type) {
	case SHAPE_BOX:
		num_attr(b, "xtl", p[0]);
		num_attr(b, "ytl", p[1]);
		num_attr(b, "xbr", p[2]);
		num_attr(b, "ybr", p[3]);
		break;
	case SHAPE_ROTATED_BOX:
		num_attr(b, "xtl", p[0] - p[2] / 2);
		num_attr(b, "ytl", p[1] - p[3] / 2);
		num_attr(b, "xbr", p[0] + p[2] / 2);
		num_attr(b, "ybr", p[1] + p[3] / 2);
		num_attr(b, "rotation", p[4]);
		break;
	case SHAPE_ELLIPSE:
		num_attr(b, "cx", p[0]);
		num_attr(b, "cy", p[1]);
		num_attr(b, "rx", p[2]);
		num_attr(b, "ry", p[3]);
		if (p[4] != 0)
			num_attr(b, "rotation", p[4]);
		break;
	case SHAPE_CUBOID:
		for (int k = 0; k < 16; k++)
			num_attr(b, cuboid_keys[k], p[k]);
		break;
	case SHAPE_POLYGON: {
		size_t n = o->nrings > 1 ? 2 * o->rings[0] : o->npts;
		if (o->nrings > 1)
			fmt_loss_add(w->loss, "polygon hole (not in CVAT)", (int64_t)o->nrings - 1);
		points_attr(b, p, n, 2);
		break;
	}
	case SHAPE_POLYLINE: case SHAPE_POINTS:
		points_attr(b, p, o->npts, 2);
		break;
	case SHAPE_MASK:
		buf_adds(b, " rle=\"");
		buf_adds(b, rle.data);
		buf_addf(b, "\" left=\"%lld\" top=\"%lld\" width=\"%lld\" height=\"%lld\"",
			 (long long)box[0], (long long)box[1], (long long)box[2], (long long)box[3]);
		break;
	default:
		break;
	}
	buf_adds(b, ">\n");
	struct buf in2 = BUF_INIT;
	buf_addf(&in2, "%s  ", ind);
	if (o->type == SHAPE_KEYPOINTS) {
		for (size_t k = 0; k < sk->npoints; k++) {
			double v = p[3 * k + 2];
			buf_addf(b, "%s<points label=\"", in2.data);
			fmt_xml_esc(b, sk->points[k]);
			buf_addch(b, '"');
			if (video)
				buf_addf(b, " frame=\"%lld\" keyframe=\"%d\"", (long long)frame,
					 o->has_track ? o->keyframe : 1);
			buf_addf(b, " outside=\"%d\" occluded=\"%d\"", v == 0, v == 1);
			if (!video)
				buf_adds(b, " source=\"manual\"");
			points_attr(b, p + 3 * k, 2, 2);
			buf_adds(b, "></points>\n");
		}
	}
	attr_children(w, b, o->attrs, in2.data);
	buf_addf(b, "%s</%s>\n", ind, el);
	buf_release(&in2);
	buf_release(&rle);
	if (o->has_score)
		fmt_loss_add(w->loss, "score", 1);
	if (o->text)
		fmt_loss_add(w->loss, "text", 1);
	if (o->parent[0])
		fmt_loss_add(w->loss, link > 0 ? "parent link (written as a group_id)"
				      : "parent link (CVAT keeps groups only)", 1);
	return true;
}

static int64_t item_frame(const struct item *it, int64_t fallback)
{
	int64_t f;
	if (fmt_meta_id(it, "cvat_id", &f) && f >= 0)
		return f;
	const char *n = it->name ? strstr(it->name, "frame_") : NULL;
	if (n) {
		char *end;
		long long v = strtoll(n + 6, &end, 10);
		if (end != n + 6 && v >= 0)
			return v;
	}
	return fallback;
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static void note_frame(struct cwr *w, int64_t f)
{
	if (!w->have_frame) {
		w->min_frame = w->max_frame = f;
		w->have_frame = true;
		return;
	}
	if (f < w->min_frame) {
		w->step = gcd64(w->step, w->min_frame - f);
		w->min_frame = f;
	} else {
		w->step = gcd64(w->step, f - w->min_frame);
	}
	if (f > w->max_frame)
		w->max_frame = f;
}

static int write_item(void *ctx, const struct item *it)
{
	struct cwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	int64_t id;
	char key[32];
	bool kept = fmt_meta_id(it, "cvat_id", &id) && id >= 0;
	if (kept) {
		snprintf(key, sizeof(key), "%s/%lld", split ? split : "", (long long)id);
		if (!fmt_strmap_put(&w->ids, key, 1)) {
			kept = false;
			fmt_loss_add(w->loss, "image id reassigned (used twice)", 1);
		}
	}
	while (!kept) {
		id = ++w->next_image;
		snprintf(key, sizeof(key), "%s/%lld", split ? split : "", (long long)id);
		kept = fmt_strmap_put(&w->ids, key, 1);
	}
	if (split && *split)
		fmt_strmap_put(&w->subsets, split, 1);
	int64_t frame = item_frame(it, id);
	if (!w->images++) {
		w->first_w = it->width;
		w->first_h = it->height;
	}
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	struct buf *b = &w->b;
	buf_reset(b);
	buf_addf(b, "  <image id=\"%lld\" name=\"", (long long)id);
	fmt_xml_esc(b, fn);
	buf_addf(b, "\" width=\"%d\" height=\"%d\"", it->width, it->height);
	if (split && *split) {
		buf_adds(b, " subset=\"");
		fmt_xml_esc(b, split);
		buf_addch(b, '"');
	}
	buf_adds(b, ">\n");
	int rc = 0;
	if (w->o->include_media) {
		buf_reset(&w->p);
		buf_addf(&w->p, "%s/images/%s%s%s", w->out, split && *split ? split : "",
			 split && *split ? "/" : "", fn);
		rc = fmt_copy_media(w->o->data_dir, it, w->p.data, w->err);
		/* The video layout names frames by number: a second name beside it. */
		const char *dot = strrchr(fn, '.');
		if (!rc) {
			buf_reset(&w->p);
			buf_addf(&w->p, "%s/.frames/frame_%06lld%s", w->out, (long long)frame,
				 dot ? dot : ".png");
			rc = fmt_copy_media(w->o->data_dir, it, w->p.data, w->err);
		}
	}
	free(tmp);
	struct ann_doc d;
	bool found = false;
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	if (rc)
		return rc;
	bool item_noted = false;
	/* A child (keypoints of a box) and its parent share a group_id when they have none. */
	int64_t *link = found ? calloc(d.nobjects + 1, sizeof(int64_t)) : NULL;
	int64_t gmax = 0;
	for (size_t i = 0; found && i < d.nobjects; i++)
		if (d.objects[i].has_group && d.objects[i].group > gmax)
			gmax = d.objects[i].group;
	for (size_t i = 0; found && i < d.nobjects; i++) {
		size_t pi = d.objects[i].parent_index;
		if (d.objects[i].parent[0] && pi < d.nobjects && !d.objects[i].has_group &&
		    !d.objects[pi].has_group) {
			if (!link[pi])
				link[pi] = ++gmax;
			link[i] = link[pi];
		}
	}
	for (size_t i = 0; found && i < d.nobjects && !rc; i++) {
		const struct ann_object *o = &d.objects[i];
		if (!shape_xml(w, b, o, false, 0, "    ", link[i]))
			continue;
		/* The track form, for the video layout. */
		int64_t f = o->has_frame ? o->frame : frame;
		note_frame(w, f);
		if (!item_noted) {
			note_frame(w, frame);
			item_noted = true;
		}
		if (o->type == SHAPE_TAG)
			continue;
		buf_reset(&w->v);
		struct fmt_loss scratch = {0};
		struct fmt_loss *real = w->loss;
		w->loss = &scratch; /* counted once, above */
		shape_xml(w, &w->v, o, true, f, "    ", 0);
		w->loss = real;
		fmt_loss_release(&scratch);
		if (o->has_track) {
			w->any_track = true;
			if (o->track > w->max_track)
				w->max_track = o->track;
		}
		sqlite3_reset(w->ins);
		if (o->has_track)
			sqlite3_bind_int64(w->ins, 1, o->track);
		else
			sqlite3_bind_null(w->ins, 1);
		sqlite3_bind_int64(w->ins, 2, ++w->seq);
		sqlite3_bind_int64(w->ins, 3, f);
		sqlite3_bind_int64(w->ins, 4, (int64_t)o->label);
		sqlite3_bind_int64(w->ins, 5, o->has_group ? o->group : 0);
		sqlite3_bind_text(w->ins, 6, w->v.data, (int)w->v.len, SQLITE_TRANSIENT);
		if (sqlite3_step(w->ins) != SQLITE_DONE) {
			buf_setf(w->err, "export: cannot spool: %s", sqlite3_errmsg(w->db));
			rc = CAIRN_EIO;
		}
	}
	free(link);
	if (found) {
		if (d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		if (d.nrelations)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
		ann_doc_release(&d);
	}
	buf_adds(b, "  </image>\n");
	if (!rc && fwrite(b->data, 1, b->len, w->body) != b->len) {
		buf_setf(w->err, "cannot write '%s': %s", w->body_path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	return rc;
}

static const char *cvat_input_type(const struct schema_attr *a)
{
	switch (a->type) {
	case ATTR_CHECKBOX: return "checkbox";
	case ATTR_NUMBER: return "number";
	case ATTR_SELECT: return "select";
	default: return "text";
	}
}

static void meta_labels(struct cwr *w, struct buf *b)
{
	buf_adds(b, "      <labels>\n");
	for (size_t i = 0; i < w->l.sc.nlabels; i++) {
		const struct schema_label *lb = &w->l.sc.labels[i];
		buf_adds(b, "        <label>\n          <name>");
		fmt_xml_esc(b, lb->name);
		buf_addf(b, "</name>\n          <color>%s</color>\n          <type>%s</type>\n",
			 lb->color, lb->skeleton ? "skeleton" : "any");
		buf_adds(b, "          <attributes>\n");
		for (size_t k = 0; k < lb->nattrs; k++) {
			const struct schema_attr *a = &lb->attrs[k];
			if (a->type == ATTR_MULTISELECT)
				fmt_loss_add(w->loss, "multiselect attribute type (declared as text)", 1);
			buf_adds(b, "            <attribute>\n              <name>");
			fmt_xml_esc(b, a->name);
			buf_addf(b, "</name>\n              <mutable>%s</mutable>\n"
				 "              <input_type>%s</input_type>\n"
				 "              <default_value>", a->mutable_ ? "True" : "False",
				 cvat_input_type(a));
			struct buf vals = BUF_INIT;
			switch (a->type) {
			case ATTR_CHECKBOX:
				buf_adds(b, a->def_bool ? "true" : "false");
				buf_adds(&vals, "false\ntrue");
				break;
			case ATTR_NUMBER:
				fmt_xml_num_out(b, a->has_default ? a->def_num : a->min);
				fmt_xml_num_out(&vals, a->min);
				buf_addch(&vals, '\n');
				fmt_xml_num_out(&vals, a->max);
				buf_addch(&vals, '\n');
				fmt_xml_num_out(&vals, a->step > 0 ? a->step : 1);
				break;
			case ATTR_SELECT:
				if (a->has_default)
					fmt_xml_esc(b, a->values[a->def_value]);
				for (size_t v = 0; v < a->nvalues; v++) {
					if (v)
						buf_addch(&vals, '\n');
					buf_adds(&vals, a->values[v]);
				}
				break;
			case ATTR_TEXT:
				fmt_xml_esc(b, a->def_text ? a->def_text : "");
				break;
			default:
				break;
			}
			buf_adds(b, "</default_value>\n              <values>");
			fmt_xml_esc(b, vals.data);
			buf_adds(b, "</values>\n            </attribute>\n");
			buf_release(&vals);
		}
		buf_adds(b, "          </attributes>\n");
		if (lb->skeleton) {
			const struct schema_skeleton *sk = lb->skeleton;
			struct buf svg = BUF_INIT;
			for (size_t k = 0; k < sk->nedges; k++)
				buf_addf(&svg, "<line data-type=\"edge\" data-node-from=\"%u\" "
					 "data-node-to=\"%u\"></line>", sk->edges[k][0] + 1,
					 sk->edges[k][1] + 1);
			for (size_t k = 0; k < sk->npoints; k++) {
				buf_addf(&svg, "<circle r=\"1.5\" data-type=\"element node\" "
					 "data-element-id=\"%zu\" data-node-id=\"%zu\" "
					 "data-label-name=\"", k + 1, k + 1);
				fmt_xml_esc(&svg, sk->points[k]);
				buf_adds(&svg, "\"></circle>");
			}
			buf_adds(b, "          <svg>");
			fmt_xml_esc(b, svg.data);
			buf_adds(b, "</svg>\n");
			buf_release(&svg);
		}
		buf_adds(b, "        </label>\n");
		for (size_t k = 0; lb->skeleton && k < lb->skeleton->npoints; k++) {
			buf_adds(b, "        <label>\n          <name>");
			fmt_xml_esc(b, lb->skeleton->points[k]);
			buf_adds(b, "</name>\n          <type>points</type>\n"
				 "          <attributes>\n          </attributes>\n          <parent>");
			fmt_xml_esc(b, lb->name);
			buf_adds(b, "</parent>\n        </label>\n");
		}
	}
	buf_adds(b, "      </labels>\n");
}

static int spool_open(struct cwr *w)
{
	const char *tmp = getenv("TMPDIR");
	buf_addf(&w->spool_dir, "%s/cairn-cvat-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(w->spool_dir.data)) {
		buf_setf(w->err, "export: cannot make a temporary folder: %s", strerror(errno));
		buf_reset(&w->spool_dir);
		return CAIRN_EIO;
	}
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/shapes.db", w->spool_dir.data);
	int rc = sqlite3_open(p.data, &w->db);
	buf_release(&p);
	if (rc != SQLITE_OK ||
	    sqlite3_exec(w->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "CREATE TABLE shp(trk INTEGER, seq INTEGER, frame INTEGER, label INTEGER, "
			 "grp INTEGER, xml TEXT); BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, "INSERT INTO shp VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &w->ins,
			       NULL) != SQLITE_OK) {
		buf_setf(w->err, "export: cannot make the spool: %s", sqlite3_errmsg(w->db));
		return CAIRN_EIO;
	}
	return 0;
}

static void spool_close(struct cwr *w)
{
	sqlite3_finalize(w->ins);
	if (w->db)
		sqlite3_close(w->db);
	if (w->spool_dir.len) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/shapes.db", w->spool_dir.data);
		unlink(p.data);
		rmdir(w->spool_dir.data);
		buf_release(&p);
	}
}

/* The video layout: tracks from the spool, ordered by track and frame. */
static int write_tracks(struct cwr *w, FILE *f)
{
	sqlite3_exec(w->db, "COMMIT; CREATE INDEX shp_trk ON shp(trk, frame, seq)", NULL, NULL,
		     NULL);
	sqlite3_stmt *q = NULL;
	sqlite3_prepare_v2(w->db, "SELECT trk, seq, label, grp, xml FROM shp "
			   "ORDER BY trk IS NULL, trk, seq IS NULL, CASE WHEN trk IS NULL THEN seq END, "
			   "frame, seq", -1, &q, NULL);
	int64_t cur = -1, next_solo = w->max_track;
	bool open = false, first = true;
	int64_t solo_n = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		bool solo = sqlite3_column_type(q, 0) == SQLITE_NULL;
		int64_t t = solo ? ++next_solo : sqlite3_column_int64(q, 0);
		if (first || t != cur) {
			if (open)
				fputs("  </track>\n", f);
			buf_reset(&w->b);
			buf_addf(&w->b, "  <track id=\"%lld\" label=\"", (long long)t);
			fmt_xml_esc(&w->b, w->l.sc.labels[sqlite3_column_int64(q, 2)].name);
			buf_addch(&w->b, '"');
			if (sqlite3_column_int64(q, 3))
				buf_addf(&w->b, " group_id=\"%lld\"", (long long)sqlite3_column_int64(q, 3));
			buf_adds(&w->b, " source=\"manual\">\n");
			fwrite(w->b.data, 1, w->b.len, f);
			open = true;
			first = false;
			cur = t;
			solo_n += solo;
		}
		fwrite(sqlite3_column_text(q, 4), 1, (size_t)sqlite3_column_bytes(q, 4), f);
	}
	if (open)
		fputs("  </track>\n", f);
	sqlite3_finalize(q);
	if (solo_n)
		fmt_loss_add(w->loss, "shape without a track (written as a one-frame track)", solo_n);
	return 0;
}

int fmt_cvat_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct cwr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.out = out;
	w.o = o;
	w.loss = loss;
	w.err = err;
	w.b = (struct buf)BUF_INIT;
	w.v = (struct buf)BUF_INIT;
	w.p = (struct buf)BUF_INIT;
	w.body_path = (struct buf)BUF_INIT;
	w.spool_dir = (struct buf)BUF_INIT;
	int rc;
	FILE *f = NULL;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "cvat", err)))
		goto done;
	w.next_image = w.l.max_image_id;
	if ((rc = spool_open(&w)))
		goto done;
	buf_addf(&w.body_path, "%s/body.xml", w.spool_dir.data);
	if (!(w.body = fopen(w.body_path.data, "w+"))) {
		buf_setf(err, "cannot create '%s': %s", w.body_path.data, strerror(errno));
		rc = CAIRN_EIO;
		goto done;
	}
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		w.total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (!rc)
		rc = w.rc;
	if (rc)
		goto done;
	buf_reset(&w.p);
	buf_addf(&w.p, "%s/annotations.xml", out);
	if (!(f = fopen(w.p.data, "w"))) {
		buf_setf(err, "cannot create '%s': %s", w.p.data, strerror(errno));
		rc = CAIRN_EIO;
		goto done;
	}
	struct buf *b = &w.b;
	buf_reset(b);
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n"
		 "  <version>1.1</version>\n  <meta>\n    <task>\n      <name>cairn</name>\n");
	buf_addf(b, "      <size>%lld</size>\n", (long long)w.images);
	if (w.any_track) {
		int64_t step = w.step > 0 ? w.step : 1;
		buf_addf(b, "      <mode>interpolation</mode>\n      <start_frame>%lld</start_frame>\n"
			 "      <stop_frame>%lld</stop_frame>\n      <frame_filter>%s",
			 (long long)w.min_frame, (long long)w.max_frame, step > 1 ? "step=" : "");
		if (step > 1)
			buf_addf(b, "%lld", (long long)step);
		buf_adds(b, "</frame_filter>\n");
		if (w.subsets.n)
			fmt_loss_add(w.loss, "split (not in the CVAT video layout)", (int64_t)w.subsets.n);
	} else {
		buf_adds(b, "      <mode>annotation</mode>\n");
	}
	meta_labels(&w, b);
	if (w.any_track)
		buf_addf(b, "      <original_size>\n        <width>%d</width>\n"
			 "        <height>%d</height>\n      </original_size>\n", w.first_w,
			 w.first_h);
	buf_adds(b, "    </task>\n  </meta>\n");
	fwrite(b->data, 1, b->len, f);
	if (w.any_track) {
		rc = write_tracks(&w, f);
	} else {
		char cb[65536];
		size_t n;
		rewind(w.body);
		while ((n = fread(cb, 1, sizeof(cb), w.body)) > 0)
			if (fwrite(cb, 1, n, f) != n)
				break;
	}
	fputs("</annotations>\n", f);
	if ((fflush(f) || ferror(f)) && !rc) {
		buf_setf(err, "cannot write '%s': %s", w.p.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	/* Media: the images layout keeps names; the video layout names frames by number. */
	if (!rc && o->include_media) {
		struct buf from = BUF_INIT, to = BUF_INIT;
		buf_addf(&from, "%s/.frames", out);
		if (w.any_track) {
			buf_addf(&to, "%s/images", out);
			/* Replace images/ by the numbered frames. */
			struct buf cmd = BUF_INIT;
			DIR *d = opendir(to.data);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				buf_reset(&cmd);
				buf_addf(&cmd, "%s/%s", to.data, e->d_name);
				unlink(cmd.data);
			}
			if (d)
				closedir(d);
			d = opendir(from.data);
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				buf_reset(&cmd);
				buf_addf(&cmd, "%s/%s", from.data, e->d_name);
				struct buf dst = BUF_INIT;
				buf_addf(&dst, "%s/%s", to.data, e->d_name);
				if (rename(cmd.data, dst.data))
					unlink(cmd.data);
				buf_release(&dst);
			}
			if (d)
				closedir(d);
			buf_release(&cmd);
		} else {
			DIR *d = opendir(from.data);
			struct dirent *e;
			struct buf pth = BUF_INIT;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				buf_reset(&pth);
				buf_addf(&pth, "%s/%s", from.data, e->d_name);
				unlink(pth.data);
			}
			if (d)
				closedir(d);
			buf_release(&pth);
		}
		rmdir(from.data);
		buf_release(&from);
		buf_release(&to);
	}
done:
	if (f)
		fclose(f);
	if (w.body) {
		fclose(w.body);
		unlink(w.body_path.data);
	}
	spool_close(&w);
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	fmt_strmap_release(&w.ids);
	fmt_strmap_release(&w.subsets);
	buf_release(&w.b);
	buf_release(&w.v);
	buf_release(&w.p);
	buf_release(&w.body_path);
	buf_release(&w.spool_dir);
	return rc;
}
