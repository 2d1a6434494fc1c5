/*
 * fmt_yolo.c - YOLO datasets: the Ultralytics layout (data.yaml with names,
 * images/<split>/ and labels/<split>/ with one .txt per image), the older
 * Darknet layout (obj.data, obj.names, train.txt, labels beside the images)
 * and a folder with only obj.names. The reader normalises with the real
 * image size, read from each image's header; the writer writes data.yaml,
 * one label file per image and the images with --include-media.
 * Conventions and normalisations: docs/formats/yolo.md.
 */
#include "formats/fmt.h"

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
#include <unistd.h>

#include "base/err.h"
#include "geom/contour.h"
#include "media/media.h"
#include "media/media_image.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_yolo_probe(const char *path);
int fmt_yolo_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_yolo_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_yolo_obb_probe(const char *path);
int fmt_yolo_obb_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_yolo_obb_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_yolo_cls_probe(const char *path);
int fmt_yolo_cls_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_yolo_cls_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_yolo_read_labels_mem(const char *data, size_t len, const char *name, size_t nclasses,
			     struct fmt_sink *s, struct buf *err);
int fmt_yolo_parse_yaml_mem(const char *data, size_t len, struct buf *err);

#define CFG_MAX (1 << 20)            /* data.yaml, obj.data, obj.names, train.txt */
#define LABEL_MAX (256 << 20)        /* one label file */
#define IMAGE_MAX ((size_t)1 << 31)  /* one image read for its size */
#define MAX_CLASSES 100000
/* Normalised numbers may pass 0 and 1 by this much (rounding of writers). */
#define SLACK 1e-6

/* Copies n bytes that need not be NUL-terminated (strndup may read past
 * them looking for a NUL). */
static char *xstrndup_(const char *s, size_t n)
{
	char *r = malloc(n + 1);
	if (!r)
		abort();
	memcpy(r, s, n);
	r[n] = 0;
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file of at most max bytes (owned, NUL-terminated). */
static int slurp(const char *path, size_t max, char **out, size_t *len, struct buf *err)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max) {
			fclose(f);
			buf_release(&b);
			buf_setf(err, "%s: larger than %zu bytes", path, max);
			return CAIRN_ETOOBIG;
		}
		buf_add(&b, chunk, n);
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		buf_release(&b);
		buf_setf(err, "%s: cannot read: %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	*out = buf_detach(&b, len);
	return 0;
}

/* ---- reading ---- */

struct yrd {
	struct fmt_sink *s;
	struct buf *err;
	char *root;                /* the dataset folder: media dir, names relative to it */
	const char *cfg;           /* "data.yaml", "obj.data" or "obj.names", for messages */
	int64_t *cls_id;           /* declared classes */
	char **cls_name;
	size_t ncls;
	int64_t nc;                /* class ids are 0..nc-1 */
	int kpt_n, kpt_dim;        /* pose: kpt_shape */
	bool obb;                  /* yolo-obb: 4 corners a line, read as rotated boxes */
	int64_t next_image;
	char **seen;               /* image sources already read (a val equal to train) */
	size_t nseen;
	double *nums;
	size_t capnums;
};

static void rd_release(struct yrd *r)
{
	free(r->root);
	for (size_t i = 0; i < r->ncls; i++)
		free(r->cls_name[i]);
	free(r->cls_name);
	free(r->cls_id);
	for (size_t i = 0; i < r->nseen; i++)
		free(r->seen[i]);
	free(r->seen);
	free(r->nums);
}

/* path relative to the dataset folder, for messages and file names. */
static const char *rel_of(const struct yrd *r, const char *path)
{
	size_t n = strlen(r->root);
	if (!strncmp(path, r->root, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static int add_class(struct yrd *r, int64_t id, const char *name, const char *where)
{
	if (id < 0 || id >= MAX_CLASSES) {
		buf_setf(r->err, "%s: class id %lld is out of range (0 to %d)", where, (long long)id,
			 MAX_CLASSES - 1);
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; i < r->ncls; i++) {
		if (r->cls_id[i] == id) {
			buf_setf(r->err, "%s: class id %lld is given twice", where, (long long)id);
			return CAIRN_EINVAL;
		}
		if (!strcasecmp(r->cls_name[i], name)) {
			buf_setf(r->err, "%s: category name '%s' is used twice (classes %lld and %lld)",
				 where, name, (long long)r->cls_id[i], (long long)id);
			return CAIRN_EINVAL;
		}
	}
	r->cls_id = xrealloc(r->cls_id, (r->ncls + 1) * sizeof(int64_t));
	r->cls_name = xrealloc(r->cls_name, (r->ncls + 1) * sizeof(char *));
	r->cls_id[r->ncls] = id;
	r->cls_name[r->ncls++] = xstrdup(name);
	if (id + 1 > r->nc)
		r->nc = id + 1;
	return 0;
}

static int declare_classes(struct yrd *r)
{
	struct buf w = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < r->ncls && !rc; i++) {
		buf_reset(&w);
		buf_addf(&w, "%s: names[%lld]", r->cfg, (long long)r->cls_id[i]);
		struct fmt_category c = {0};
		c.id = r->cls_id[i];
		c.name = r->cls_name[i];
		c.where = w.data;
		rc = fmt_sink_category(r->s, &c);
	}
	buf_release(&w);
	return rc;
}

static const char *class_name(const struct yrd *r, int64_t id)
{
	for (size_t i = 0; i < r->ncls; i++)
		if (r->cls_id[i] == id)
			return r->cls_name[i];
	return NULL;
}

/* Bad input at where: through the sink (skip_invalid), and into err when it stops the read. */
static int bad(struct yrd *r, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct yrd *r, const char *where, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	int rc = fmt_sink_invalid(r->s, where, "%s", m.data);
	if (rc)
		buf_setf(r->err, "%s: %s", where, m.data);
	buf_release(&m);
	return rc;
}

static int parse_num(const char *t, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(t, &end);
	return end != t && !*end && errno != ERANGE ? 0 : -1;
}

/*
 * Four corners (pixels) -> Cairn's rotated box [cx, cy, w, h, angle]: the
 * centre is their mean, w the first side (p1 -> p2), h the second (p2 ->
 * p3), the angle that of the first side, degrees clockwise (y points down),
 * in (-180, 180]. The inverse of rbox_corners for a rectangle.
 */
static void obb_to_rbox(const double *p, double rb[5])
{
	rb[0] = (p[0] + p[2] + p[4] + p[6]) / 4;
	rb[1] = (p[1] + p[3] + p[5] + p[7]) / 4;
	rb[2] = hypot(p[2] - p[0], p[3] - p[1]);
	rb[3] = hypot(p[4] - p[2], p[5] - p[3]);
	rb[4] = atan2(p[3] - p[1], p[2] - p[0]) * 180 / M_PI;
}

/* Corners of a rotated box, in the order obb_to_rbox reads them. */
static void rbox_corners(const double *rb, double p[8])
{
	double cx = rb[0], cy = rb[1], hw = rb[2] / 2, hh = rb[3] / 2, a = rb[4] * M_PI / 180;
	static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
	for (int k = 0; k < 4; k++) {
		double dx = sx[k] * hw, dy = sy[k] * hh;
		p[2 * k] = cx + dx * cos(a) - dy * sin(a);
		p[2 * k + 1] = cy + dx * sin(a) + dy * cos(a);
	}
}

/* Whether the corners are the rectangle rb (within 1e-6 of its size, or 1e-6 px). */
static bool is_rect(const double *p, const double rb[5])
{
	double q[8];
	rbox_corners(rb, q);
	double tol = 1e-6 * fmax(1, fmax(rb[2], rb[3]));
	for (int k = 0; k < 8; k++)
		if (fabs(p[k] - q[k]) > tol)
			return false;
	return true;
}

/*
 * One label file's text: one object per line, "class cx cy w h" (a box),
 * "class x1 y1 x2 y2 ..." (a polygon, 3 points or more) or, with kpt_shape,
 * "class cx cy w h px py [pv] ..." (a box with keypoints).
 */
static int read_labels(struct yrd *r, const char *data, size_t len, const char *name,
		       int64_t image_id, int32_t W, int32_t H)
{
	struct buf where = BUF_INIT, tok = BUF_INIT;
	char **toks = NULL;
	size_t captoks = 0;
	int rc = 0;
	size_t lineno = 0;
	const char *p = data, *end = data + len;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		buf_reset(&where);
		buf_addf(&where, "%s:%zu", name, lineno);
		/* Split on blanks; tokens are copied so strtod stops at their end. */
		buf_reset(&tok);
		size_t ntok = 0;
		bool nul = false;
		const char *q = p;
		while (q < le) {
			while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q >= le)
				break;
			const char *t0 = q;
			while (q < le && *q != ' ' && *q != '\t' && *q != '\r') {
				if (!*q)
					nul = true;
				q++;
			}
			buf_add(&tok, t0, (size_t)(q - t0));
			buf_addch(&tok, 0);
			ntok++;
		}
		p = nl ? nl + 1 : end;
		if (!ntok)
			continue;
		if (nul) {
			rc = bad(r, where.data, "a NUL byte in the line");
			continue;
		}
		if (ntok > captoks) {
			captoks = ntok;
			toks = xrealloc(toks, captoks * sizeof(char *));
		}
		{
			size_t k = 0, at = 0;
			while (k < ntok) {
				toks[k++] = tok.data + at;
				at += strlen(tok.data + at) + 1;
			}
		}
		size_t n = ntok; /* numbers on the line, the class included */
		size_t want = 0;
		bool poly = false;
		if (r->obb) {
			if (n != 9) {
				rc = bad(r, where.data, "expected 9 numbers (class x1 y1 x2 y2 x3 y3 x4 y4), "
					 "got %zu", n);
				continue;
			}
			poly = true;
		} else if (r->kpt_n) {
			want = 5 + (size_t)r->kpt_n * (size_t)r->kpt_dim;
			if (n != want) {
				rc = bad(r, where.data, "expected %zu numbers (class cx cy w h "
						      "and %d keypoints of %d), got %zu", want, r->kpt_n,
						      r->kpt_dim, n);
				continue;
			}
		} else if (n == 5) {
			want = 5;
		} else if (n >= 7 && n % 2 == 1) {
			poly = true;
		} else {
			rc = bad(r, where.data, n % 2 == 0 && n >= 8
					      ? "expected 5 numbers (class cx cy w h) or a class and "
						"x y pairs (a polygon), got %zu"
					      : "expected 5 numbers (class cx cy w h), got %zu", n);
			continue;
		}
		char *cend;
		errno = 0;
		long long cls = strtoll(toks[0], &cend, 10);
		if (cend == toks[0] || *cend || errno || toks[0][0] == '+') {
			rc = bad(r, where.data, "class '%s' is not a whole number",
					      toks[0]);
			continue;
		}
		if (cls < 0 || cls >= r->nc || !class_name(r, cls)) {
			if (cls >= 0 && cls < r->nc)
				rc = bad(r, where.data, "class %lld is not in the names of %s",
						      cls, r->cfg);
			else
				rc = bad(r, where.data, "class %lld is out of range (%s has "
						      "%lld classes, 0 to %lld)", cls, r->cfg,
						      (long long)r->nc, (long long)r->nc - 1);
			continue;
		}
		if (n > r->capnums) {
			r->capnums = n;
			r->nums = xrealloc(r->nums, n * sizeof(double));
		}
		double *v = r->nums;
		bool wrong = false;
		for (size_t i = 1; i < n && !wrong; i++) {
			static const char *const box[] = {"", "cx", "cy", "w", "h"};
			char field[32];
			if (!poly && i < 5) {
				snprintf(field, sizeof(field), "%s", box[i]);
			} else if (poly) {
				snprintf(field, sizeof(field), "%c%zu", i % 2 ? 'x' : 'y', (i + 1) / 2);
			} else {
				size_t k = (i - 5) / (size_t)r->kpt_dim, c = (i - 5) % (size_t)r->kpt_dim;
				snprintf(field, sizeof(field), "keypoint %zu %s", k + 1,
					 c == 0 ? "x" : c == 1 ? "y" : "visibility");
			}
			if (parse_num(toks[i], &v[i])) {
				rc = bad(r, where.data, "%s '%s' is not a number", field,
						      toks[i]);
				wrong = true;
			} else if (!isfinite(v[i])) {
				rc = bad(r, where.data, "%s is %s, not a finite number", field,
						      toks[i]);
				wrong = true;
			} else if (!poly && i >= 5 && (i - 5) % (size_t)r->kpt_dim == 2) {
				if (v[i] != 0 && v[i] != 1 && v[i] != 2) {
					rc = bad(r, where.data, "%s %s is not 0, 1 or 2",
							      field, toks[i]);
					wrong = true;
				}
			} else if (v[i] < -SLACK || v[i] > 1 + SLACK) {
				rc = bad(r, where.data, "%s %s is outside [0, 1] (coordinates "
						      "are normalised by the image size)", field, toks[i]);
				wrong = true;
			}
		}
		if (wrong)
			continue;
		struct fmt_object o = {0};
		o.image_id = image_id;
		o.category_id = cls;
		o.where = where.data;
		double box[4], *kp = NULL;
		double rb[5];
		if (poly) {
			for (size_t i = 1; i < n; i++)
				v[i - 1] = v[i] * (i % 2 ? W : H);
			o.type = SHAPE_POLYGON;
			o.pts = v;
			o.npts = n - 1;
			if (r->obb) {
				obb_to_rbox(v, rb);
				if (!is_rect(v, rb))
					fmt_sink_note(r->s, "OBB corners that are not a rectangle (read as the "
						      "rectangle on the first two sides)");
				o.type = SHAPE_ROTATED_BOX;
				o.pts = rb;
				o.npts = 5;
			}
		} else {
			double cx = v[1] * W, cy = v[2] * H, w = v[3] * W, h = v[4] * H;
			box[0] = cx - w / 2;
			box[1] = cy - h / 2;
			box[2] = cx + w / 2;
			box[3] = cy + h / 2;
			o.type = SHAPE_BOX;
			o.pts = box;
			o.npts = 4;
			if (r->kpt_n) {
				kp = xrealloc(NULL, 3 * (size_t)r->kpt_n * sizeof(double));
				for (int k = 0; k < r->kpt_n; k++) {
					const double *e = v + 5 + (size_t)k * (size_t)r->kpt_dim;
					kp[3 * k] = e[0] * W;
					kp[3 * k + 1] = e[1] * H;
					/* Two numbers a point: (0, 0) is a missing point, others visible. */
					kp[3 * k + 2] = r->kpt_dim == 3 ? e[2] : (e[0] == 0 && e[1] == 0 ? 0 : 2);
				}
				o.kpts = kp;
				o.nkpts = 3 * (size_t)r->kpt_n;
			}
		}
		rc = fmt_sink_object(r->s, &o);
		free(kp);
	}
	free(toks);
	buf_release(&tok);
	buf_release(&where);
	return rc;
}

int fmt_yolo_read_labels_mem(const char *data, size_t len, const char *name, size_t nclasses,
			     struct fmt_sink *s, struct buf *err)
{
	struct yrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.root = xstrdup(".");
	r.cfg = "data.yaml";
	int rc = 0;
	char nm[32];
	for (size_t i = 0; i < nclasses && !rc; i++) {
		snprintf(nm, sizeof(nm), "class_%zu", i);
		rc = add_class(&r, (int64_t)i, nm, "data.yaml");
	}
	if (!rc)
		rc = declare_classes(&r);
	if (!rc)
		rc = read_labels(&r, data, len, name, 1, 640, 480);
	rd_release(&r);
	return rc;
}

/* The label file of an image: .../images/... -> .../labels/...; beside it; Images -> Annotations. */
static bool label_path(const char *img, struct buf *out)
{
	const char *dot = strrchr(img, '.');
	const char *slash = strrchr(img, '/');
	size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - img) : strlen(img);
	static const char *const pairs[][2] = {{"/images/", "/labels/"}, {NULL, NULL},
					       {"/Images/", "/Annotations/"}};
	for (size_t k = 0; k < 3; k++) {
		buf_reset(out);
		if (pairs[k][0]) {
			const char *at = NULL;
			for (const char *q = strstr(img, pairs[k][0]); q && q < img + stem;
			     q = strstr(q + 1, pairs[k][0]))
				at = q;
			if (!at)
				continue;
			buf_add(out, img, (size_t)(at - img));
			buf_adds(out, pairs[k][1]);
			size_t from = (size_t)(at - img) + strlen(pairs[k][0]);
			buf_add(out, img + from, stem - from);
		} else {
			buf_add(out, img, stem);
		}
		buf_adds(out, ".txt");
		if (is_file(out->data))
			return true;
	}
	return false;
}

static bool is_image_name(const char *name)
{
	enum media_type t = media_type_from_name(name);
	return t != MEDIA_UNKNOWN && media_type_kind(t) == ITEM_IMAGE;
}

/* Image files under dir, recursively, sorted (owned), skipping labels folders. */
static void list_images(const char *dir, char ***v, size_t *n, int depth)
{
	DIR *d = opendir(dir);
	if (!d || depth > 16) {
		if (d)
			closedir(d);
		return;
	}
	struct dirent *e;
	char **sub = NULL;
	size_t nsub = 0;
	size_t first = *n;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		if (is_dir(p.data)) {
			if (strcmp(e->d_name, "labels") && strcmp(e->d_name, "Annotations")) {
				sub = xrealloc(sub, (nsub + 1) * sizeof(char *));
				sub[nsub++] = buf_detach(&p, NULL);
				continue;
			}
		} else if (is_image_name(e->d_name)) {
			*v = xrealloc(*v, (*n + 1) * sizeof(char *));
			(*v)[(*n)++] = buf_detach(&p, NULL);
			continue;
		}
		buf_release(&p);
	}
	closedir(d);
	if (*n > first)
		qsort(*v + first, *n - first, sizeof(char *), cmp_str);
	if (nsub)
		qsort(sub, nsub, sizeof(char *), cmp_str);
	for (size_t i = 0; i < nsub; i++) {
		list_images(sub[i], v, n, depth + 1);
		free(sub[i]);
	}
	free(sub);
}

/* A path written in a config file, as an existing file or folder (into out). */
static bool resolve(const char *root, const char *base_dir, const char *p, struct buf *out)
{
	const char *tries[4] = {p, NULL, NULL, NULL};
	size_t nt = 1;
	if (!strncmp(p, "./", 2))
		tries[nt++] = p + 2;
	if (!strncmp(p, "data/", 5))
		tries[nt++] = p + 5;  /* Darknet's paths start at darknet/, the dataset is its data/ */
	if (!strncmp(p, "../", 3))
		tries[nt++] = p + 3;  /* as Ultralytics does for Roboflow's data.yaml */
	for (size_t i = 0; i < nt; i++) {
		const char *dirs[2] = {root, base_dir};
		for (size_t k = 0; k < 2; k++) {
			buf_reset(out);
			if (tries[i][0] == '/')
				buf_adds(out, tries[i]);
			else
				buf_addf(out, "%s/%s", dirs[k] ? dirs[k] : ".", tries[i]);
			while (out->len > 1 && out->data[out->len - 1] == '/')
				buf_setlen(out, out->len - 1);
			struct stat sb;
			if (stat(out->data, &sb) == 0)
				return true;
		}
	}
	return false;
}

static const char *split_name(const char *s)
{
	if (!s)
		return NULL;
	if (!strncmp(s, "train", 5))
		return "train";
	if (!strncmp(s, "val", 3))
		return "val";
	if (!strncmp(s, "test", 4))
		return "test";
	return NULL;
}

/* One image: its size from the header, the sink's image, its label file. */
static int read_image(struct yrd *r, const char *img, const char *split)
{
	const char *rel = rel_of(r, img);
	struct buf e = BUF_INIT, lp = BUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc = slurp(img, IMAGE_MAX, &data, &len, &e);
	struct media_info mi = {0};
	if (!rc && media_probe((const unsigned char *)data, len, img, &mi, &e))
		rc = CAIRN_EINVAL;
	if (!rc && mi.kind != ITEM_IMAGE) {
		buf_setf(&e, "not an image (%s)", media_type_name(mi.type));
		rc = CAIRN_EINVAL;
	}
	if (!rc && (!mi.width || !mi.height)) {
		rc = media_image_init(&e);
		if (!rc)
			rc = media_image_probe(data, len, mi.type, &mi.width, &mi.height, &e);
	}
	free(data);
	if (rc || mi.width <= 0 || mi.height <= 0) {
		rc = bad(r, rel, "cannot read the image size, which YOLO's "
				      "normalised coordinates need: %s", e.len ? e.data : "no size");
		goto out;
	}
	int64_t id = ++r->next_image;
	fmt_sink_split(r->s, split); /* objects are keyed by (split, image id) */
	struct fmt_image im = {0};
	im.id = id;
	im.file_name = rel;
	im.width = mi.width;
	im.height = mi.height;
	im.split = split;
	im.where = rel;
	if ((rc = fmt_sink_image(r->s, &im)))
		goto out;
	if (!label_path(img, &lp)) {
		fmt_sink_note(r->s, "image without a label file (no objects)");
		goto out;
	}
	rc = slurp(lp.data, LABEL_MAX, &data, &len, r->err);
	if (!rc) {
		rc = read_labels(r, data, len, rel_of(r, lp.data), id, mi.width, mi.height);
		free(data);
	}
out:
	buf_release(&e);
	buf_release(&lp);
	return rc;
}

/* Images of one split: a folder (recursively) or a .txt file listing image paths. */
static int read_source(struct yrd *r, const char *src, const char *split, const char *where)
{
	for (size_t i = 0; i < r->nseen; i++)
		if (!strcmp(r->seen[i], src))
			return 0; /* val: the train folder again */
	r->seen = xrealloc(r->seen, (r->nseen + 1) * sizeof(char *));
	r->seen[r->nseen++] = xstrdup(src);
	char **v = NULL;
	size_t n = 0;
	int rc = 0;
	if (is_dir(src)) {
		list_images(src, &v, &n, 0);
	} else {
		char *text;
		size_t len;
		if ((rc = slurp(src, CFG_MAX * 64, &text, &len, r->err)))
			return rc;
		char *dir = xstrdup(src);
		char *sl = strrchr(dir, '/');
		if (sl)
			*sl = 0;
		struct buf p = BUF_INIT;
		size_t lineno = 0;
		for (char *line = text; line && *line && !rc;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			lineno++;
			size_t l = strlen(line);
			while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
				line[--l] = 0;
			while (*line == ' ' || *line == '\t')
				line++;
			if (*line && *line != '#') {
				if (!resolve(r->root, dir, line, &p) || !is_file(p.data)) {
					buf_setf(r->err, "%s:%zu: image '%s' not found", rel_of(r, src),
						 lineno, line);
					rc = CAIRN_ENOTFOUND;
				} else {
					v = xrealloc(v, (n + 1) * sizeof(char *));
					v[n++] = xstrdup(p.data);
				}
			}
			line = nl ? nl + 1 : NULL;
		}
		buf_release(&p);
		free(dir);
		free(text);
	}
	if (!rc && !n) {
		buf_setf(r->err, "%s: no images in '%s'", where, rel_of(r, src));
		rc = CAIRN_ENOTFOUND;
	}
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = read_image(r, v[i], split);
		free(v[i]);
	}
	free(v);
	return rc;
}

/* ---- the YAML subset of data.yaml ---- */

enum { K_PATH, K_TRAIN, K_VAL, K_TEST, K_NAMES, K_NC, K_KPT, K_COUNT };
static const char *const yaml_keys[K_COUNT] = {"path", "train", "val", "test", "names", "nc",
					       "kpt_shape"};

struct yval {
	bool present;
	bool is_map;               /* entries have keys */
	char **k, **v;
	size_t *lines;             /* of each entry */
	size_t n;
	size_t line;
	bool block;                /* an indented block follows */
};

static void yval_add(struct yval *y, const char *k, const char *v, size_t line)
{
	y->lines = xrealloc(y->lines, (y->n + 1) * sizeof(size_t));
	y->lines[y->n] = line;
	y->k = xrealloc(y->k, (y->n + 1) * sizeof(char *));
	y->v = xrealloc(y->v, (y->n + 1) * sizeof(char *));
	y->k[y->n] = k ? xstrdup(k) : NULL;
	y->v[y->n++] = xstrdup(v);
}

static void yval_release(struct yval *y)
{
	for (size_t i = 0; i < y->n; i++) {
		free(y->k[i]);
		free(y->v[i]);
	}
	free(y->k);
	free(y->v);
	free(y->lines);
	memset(y, 0, sizeof(*y));
}

static void trim(char **s, char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* A scalar [s, e): plain, 'single' or "double" quoted. NULL with err on a bad one. */
static char *scalar(const char *s, const char *e, struct buf *err)
{
	struct buf b = BUF_INIT;
	size_t n = (size_t)(e - s);
	if (n && (*s == '\'' || *s == '"')) {
		char q = *s;
		if (n < 2 || e[-1] != q) {
			buf_setf(err, "unterminated quoted string");
			buf_release(&b);
			return NULL;
		}
		for (const char *p = s + 1; p < e - 1; p++) {
			if (q == '\'' && *p == '\'') {
				if (p + 1 < e - 1 && p[1] == '\'') {
					buf_addch(&b, '\'');
					p++;
					continue;
				}
				buf_setf(err, "a lone ' inside a single-quoted string");
				buf_release(&b);
				return NULL;
			}
			if (q == '"' && *p == '\\' && p + 1 < e - 1) {
				p++;
				char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				if (!strchr("nt\\\"/", *p)) {
					buf_setf(err, "unsupported escape '\\%c'", *p);
					buf_release(&b);
					return NULL;
				}
				buf_addch(&b, c);
				continue;
			}
			if (q == '"' && *p == '"') {
				buf_setf(err, "a lone \" inside a double-quoted string");
				buf_release(&b);
				return NULL;
			}
			buf_addch(&b, *p);
		}
	} else {
		buf_add(&b, s, n);
	}
	return buf_detach(&b, NULL);
}

/* End of a YAML comment-free line: a '#' at the start or after a blank, outside quotes. */
static char *strip_comment(char *s)
{
	char q = 0;
	for (char *p = s; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
		} else if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			break;
		}
	}
	return s;
}

/* "k: v" in [s, e): splits at the first ':' followed by a blank or the end, outside quotes. */
static const char *map_colon(const char *s, const char *e)
{
	char q = 0;
	for (const char *p = s; p < e; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
		} else if (*p == ':' && (p + 1 == e || p[1] == ' ' || p[1] == '\t')) {
			return p;
		}
	}
	return NULL;
}

/* A flow collection [a, b] or {0: a, 1: b} in [s, e). */
static int flow(struct yval *y, const char *s, const char *e, struct buf *err)
{
	char close = *s == '[' ? ']' : '}';
	y->is_map = *s == '{';
	if (e[-1] != close) {
		buf_setf(err, "a flow %s must end on the same line with '%c'",
			 y->is_map ? "mapping" : "sequence", close);
		return CAIRN_EINVAL;
	}
	const char *p = s + 1, *end = e - 1;
	while (p < end) {
		const char *q = p;
		char quote = 0;
		while (q < end && (quote || *q != ',')) {
			if (quote && *q == quote)
				quote = 0;
			else if (!quote && (*q == '\'' || *q == '"'))
				quote = *q;
			else if (!quote && (*q == '[' || *q == '{')) {
				buf_setf(err, "nested collections are not supported");
				return CAIRN_EINVAL;
			}
			q++;
		}
		const char *a = p, *b = q;
		trim((char **)&a, (char **)&b);
		if (a < b) {
			char *k = NULL, *v;
			if (y->is_map) {
				const char *c = map_colon(a, b);
				if (!c) {
					buf_setf(err, "expected 'key: value' in the flow mapping");
					return CAIRN_EINVAL;
				}
				const char *ke = c, *vs = c + 1, *ve = b;
				trim((char **)&a, (char **)&ke);
				trim((char **)&vs, (char **)&ve);
				if (!(k = scalar(a, ke, err)))
					return CAIRN_EINVAL;
				v = scalar(vs, ve, err);
				if (!v) {
					free(k);
					return CAIRN_EINVAL;
				}
			} else if (!(v = scalar(a, b, err))) {
				return CAIRN_EINVAL;
			}
			yval_add(y, k, v, y->line);
			free(k);
			free(v);
		} else if (q < end) {
			buf_setf(err, "an empty entry");
			return CAIRN_EINVAL;
		}
		p = q < end ? q + 1 : end;
	}
	return 0;
}

static int yaml_parse(char *text, const char *name, struct yval y[K_COUNT], struct buf *err)
{
	struct buf e = BUF_INIT;
	int cur = -1;              /* the key whose block is open */
	size_t lineno = 0;
	int rc = 0;
	for (char *line = text; line && !rc;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		char *next = nl ? nl + 1 : NULL;
		strip_comment(line);
		char *s = line, *t = line + strlen(line);
		while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
			t--;
		*t = 0;
		size_t indent = 0;
		while (s[indent] == ' ')
			indent++;
		if (s[indent] == '\t') {
			buf_setf(err, "%s:%zu: a tab in the indentation (YAML allows spaces only)", name,
				 lineno);
			rc = CAIRN_EINVAL;
			break;
		}
		s += indent;
		if (!*s || (lineno == 1 && !strcmp(s, "---") && !indent)) {
			line = next;
			continue;
		}
		/* "key:" then "- item" lines without indentation is YAML too (PyYAML writes it). */
		bool seq0 = indent == 0 && cur >= 0 && s[0] == '-' && (s[1] == ' ' || !s[1]) &&
			    (!y[cur].n || !y[cur].is_map);
		if (indent == 0 && !seq0) {
			cur = -1;
			const char *c = map_colon(s, t);
			if (!c) {
				buf_setf(err, "%s:%zu: expected 'key: value', got '%s'", name, lineno, s);
				rc = CAIRN_EINVAL;
				break;
			}
			char *ke = (char *)c;
			char *ks = s;
			trim(&ks, &ke);
			char *key = scalar(ks, ke, &e);
			int k = -1;
			for (int i = 0; key && i < K_COUNT; i++)
				if (!strcmp(key, yaml_keys[i]))
					k = i;
			if (k < 0) {
				buf_setf(err, "%s:%zu: '%s' is not supported (only path, train, val, test, "
					 "names, nc and kpt_shape are read)", name, lineno, key ? key : s);
				free(key);
				rc = CAIRN_EINVAL;
				break;
			}
			free(key);
			if (y[k].present) {
				buf_setf(err, "%s:%zu: '%s' is given twice (also on line %zu)", name, lineno,
					 yaml_keys[k], y[k].line);
				rc = CAIRN_EINVAL;
				break;
			}
			y[k].present = true;
			y[k].line = lineno;
			char *vs = (char *)c + 1, *ve = t;
			trim(&vs, &ve);
			if (vs == ve) {
				y[k].block = true;
				cur = k;
			} else if (*vs == '[' || *vs == '{') {
				buf_reset(&e);
				if (flow(&y[k], vs, ve, &e)) {
					buf_setf(err, "%s:%zu: %s: %s", name, lineno, yaml_keys[k], e.data);
					rc = CAIRN_EINVAL;
				}
			} else {
				buf_reset(&e);
				char *v = scalar(vs, ve, &e);
				if (!v) {
					buf_setf(err, "%s:%zu: %s: %s", name, lineno, yaml_keys[k], e.data);
					rc = CAIRN_EINVAL;
				} else {
					yval_add(&y[k], NULL, v, lineno);
					free(v);
				}
			}
		} else {
			if (cur < 0) {
				buf_setf(err, "%s:%zu: unexpected indentation", name, lineno);
				rc = CAIRN_EINVAL;
				break;
			}
			struct yval *yv = &y[cur];
			char *k = NULL, *v = NULL;
			buf_reset(&e);
			bool item = s[0] == '-' && (s[1] == ' ' || !s[1]);
			if (item) {
				if (yv->n && yv->is_map) {
					buf_setf(err, "%s:%zu: %s: a list item inside a mapping", name, lineno,
						 yaml_keys[cur]);
					rc = CAIRN_EINVAL;
					break;
				}
				char *vs = s + 1, *ve = t;
				trim(&vs, &ve);
				if (*vs == '[' || *vs == '{' || map_colon(vs, ve)) {
					buf_setf(err, "%s:%zu: %s: nested collections are not supported", name,
						 lineno, yaml_keys[cur]);
					rc = CAIRN_EINVAL;
					break;
				}
				v = scalar(vs, ve, &e);
			} else {
				const char *c = map_colon(s, t);
				if (!c || (yv->n && !yv->is_map)) {
					buf_setf(err, "%s:%zu: %s: expected '- item' or 'key: value', got '%s'",
						 name, lineno, yaml_keys[cur], s);
					rc = CAIRN_EINVAL;
					break;
				}
				yv->is_map = true;
				char *ks = s, *ke = (char *)c, *vs = (char *)c + 1, *ve = t;
				trim(&ks, &ke);
				trim(&vs, &ve);
				k = scalar(ks, ke, &e);
				v = k ? scalar(vs, ve, &e) : NULL;
			}
			if (!v) {
				buf_setf(err, "%s:%zu: %s: %s", name, lineno, yaml_keys[cur], e.data);
				free(k);
				rc = CAIRN_EINVAL;
				break;
			}
			yval_add(yv, k, v, lineno);
			free(k);
			free(v);
		}
		line = next;
	}
	buf_release(&e);
	return rc;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* The YAML subset parser alone on a buffer (fuzzing). */
int fmt_yolo_parse_yaml_mem(const char *data, size_t len, struct buf *err)
{
	if (memchr(data, 0, len)) {
		buf_setf(err, "data.yaml: a NUL byte in the file");
		return CAIRN_EINVAL;
	}
	char *text = xstrndup_(data, len);
	struct yval y[K_COUNT];
	memset(y, 0, sizeof(y));
	int rc = yaml_parse(text, "data.yaml", y, err);
	for (int i = 0; i < K_COUNT; i++)
		yval_release(&y[i]);
	free(text);
	return rc;
}

static int read_ultralytics(struct yrd *r, const char *yaml)
{
	char *text;
	size_t len;
	int rc = slurp(yaml, CFG_MAX, &text, &len, r->err);
	if (rc)
		return rc;
	const char *base = strrchr(yaml, '/');
	base = base ? base + 1 : yaml;
	r->cfg = base;
	struct yval y[K_COUNT];
	memset(y, 0, sizeof(y));
	if (memchr(text, 0, len)) {
		buf_setf(r->err, "%s: a NUL byte in the file", base);
		rc = CAIRN_EINVAL;
	}
	if (!rc)
		rc = yaml_parse(text, base, y, r->err);
	free(text);
	char *ydir = xstrdup(yaml);
	char *sl = strrchr(ydir, '/');
	if (sl)
		*sl = 0;
	else {
		free(ydir);
		ydir = xstrdup(".");
	}
	struct buf p = BUF_INIT;
	/* The root: `path` (relative to the file), else the file's folder. */
	if (!rc) {
		r->root = xstrdup(ydir);
		if (y[K_PATH].n && y[K_PATH].v[0][0]) {
			if (resolve(ydir, NULL, y[K_PATH].v[0], &p) && is_dir(p.data)) {
				free(r->root);
				r->root = buf_detach(&p, NULL);
			}
		}
	}
	/* Classes: names as a list or an {id: name} map; nc alone gives class_0 ... */
	int64_t nc = -1;
	if (!rc && y[K_NC].present) {
		if (y[K_NC].n != 1 || y[K_NC].is_map || parse_int(y[K_NC].v[0], 1, MAX_CLASSES, &nc)) {
			buf_setf(r->err, "%s:%zu: nc: expected a whole number from 1 to %d", base,
				 y[K_NC].line, MAX_CLASSES);
			rc = CAIRN_EINVAL;
		}
	}
	struct buf w = BUF_INIT;
	if (!rc && y[K_NAMES].present) {
		struct yval *n = &y[K_NAMES];
		for (size_t i = 0; i < n->n && !rc; i++) {
			int64_t id = (int64_t)i;
			buf_reset(&w);
			buf_addf(&w, "%s:%zu: names", base, n->lines[i]);
			if (n->is_map && parse_int(n->k[i], 0, MAX_CLASSES - 1, &id)) {
				buf_setf(r->err, "%s: key '%s' is not a class id (0 to %d)", w.data, n->k[i],
					 MAX_CLASSES - 1);
				rc = CAIRN_EINVAL;
				break;
			}
			rc = add_class(r, id, n->v[i], w.data);
		}
		if (!rc && !r->ncls) {
			buf_setf(r->err, "%s:%zu: names is empty", base, y[K_NAMES].line);
			rc = CAIRN_EINVAL;
		}
		if (!rc && nc >= 0 && (int64_t)r->ncls != nc) {
			buf_setf(r->err, "%s:%zu: nc is %lld but names has %zu entries", base,
				 y[K_NC].line, (long long)nc, r->ncls);
			rc = CAIRN_EINVAL;
		}
	} else if (!rc && nc > 0) {
		for (int64_t i = 0; i < nc && !rc; i++) {
			char nm[32];
			snprintf(nm, sizeof(nm), "class_%lld", (long long)i);
			rc = add_class(r, i, nm, base);
		}
	} else if (!rc) {
		buf_setf(r->err, "%s: no 'names' (the class names)", base);
		rc = CAIRN_EINVAL;
	}
	if (!rc && y[K_KPT].present) {
		int64_t a = 0, b = 0;
		if (y[K_KPT].n != 2 || y[K_KPT].is_map || parse_int(y[K_KPT].v[0], 1, 1000, &a) ||
		    parse_int(y[K_KPT].v[1], 2, 3, &b)) {
			buf_setf(r->err, "%s:%zu: kpt_shape: expected [points, 2 or 3]", base,
				 y[K_KPT].line);
			rc = CAIRN_EINVAL;
		}
		r->kpt_n = (int)a;
		r->kpt_dim = (int)b;
	}
	if (!rc && r->obb && r->kpt_n) {
		buf_setf(r->err, "%s:%zu: kpt_shape: a pose dataset, not OBB (use --format yolo)", base,
			 y[K_KPT].line);
		rc = CAIRN_EINVAL;
	}
	if (!rc)
		rc = declare_classes(r);
	if (!rc) {
		fmt_sink_media_dir(r->s, r->root);
		if (!y[K_TRAIN].n && !y[K_VAL].n && !y[K_TEST].n) {
			buf_setf(r->err, "%s: no 'train', 'val' or 'test' images", base);
			rc = CAIRN_EINVAL;
		}
	}
	static const int order[3] = {K_TRAIN, K_VAL, K_TEST};
	for (int i = 0; i < 3 && !rc; i++) {
		struct yval *v = &y[order[i]];
		if (v->is_map) {
			buf_setf(r->err, "%s:%zu: %s: expected a path or a list of paths", base, v->line,
				 yaml_keys[order[i]]);
			rc = CAIRN_EINVAL;
			break;
		}
		for (size_t k = 0; k < v->n && !rc; k++) {
			buf_reset(&w);
			buf_addf(&w, "%s:%zu: %s", base, v->lines[k], yaml_keys[order[i]]);
			if (!resolve(r->root, ydir, v->v[k], &p)) {
				if (order[i] == K_TEST) {
					/* As Ultralytics: only train and val must exist (Roboflow lists a test
					 * folder it did not export). */
					fmt_sink_note(r->s, "test images listed in data.yaml but not found");
					continue;
				}
				buf_setf(r->err, "%s: '%s' not found", w.data, v->v[k]);
				rc = CAIRN_ENOTFOUND;
				break;
			}
			rc = read_source(r, p.data, yaml_keys[order[i]], w.data);
		}
	}
	for (int i = 0; i < K_COUNT; i++)
		yval_release(&y[i]);
	buf_release(&w);
	buf_release(&p);
	free(ydir);
	return rc;
}

/* obj.names: one class name a line, ids from 0. */
static int read_names_file(struct yrd *r, const char *path)
{
	char *text;
	size_t len;
	int rc = slurp(path, CFG_MAX, &text, &len, r->err);
	if (rc)
		return rc;
	const char *base = rel_of(r, path);
	r->cfg = "obj.names";
	size_t lineno = 0;
	struct buf w = BUF_INIT;
	for (char *line = text; line && *line && !rc;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		size_t l = strlen(line);
		while (l && line[l - 1] == '\r')
			line[--l] = 0;
		buf_reset(&w);
		buf_addf(&w, "%s:%zu", base, lineno);
		if (l || (nl && nl[1]))
			rc = add_class(r, (int64_t)lineno - 1, line, w.data);
		line = nl ? nl + 1 : NULL;
	}
	if (!rc && !r->ncls) {
		buf_setf(r->err, "%s: no class names", base);
		rc = CAIRN_EINVAL;
	}
	free(text);
	buf_release(&w);
	return rc ? rc : declare_classes(r);
}

/* Darknet: obj.data ("classes = 10", "train = data/train.txt", "names = data/obj.names"). */
static int read_darknet(struct yrd *r, const char *objdata)
{
	char *text;
	size_t len;
	int rc = slurp(objdata, CFG_MAX, &text, &len, r->err);
	if (rc)
		return rc;
	const char *sl = strrchr(objdata, '/');
	r->root = sl ? xstrndup_(objdata, (size_t)(sl - objdata)) : xstrdup(".");
	const char *base = sl ? sl + 1 : objdata;
	char *train = NULL, *valid = NULL, *test = NULL, *names = NULL;
	int64_t classes = -1;
	size_t lineno = 0, lines[3] = {0};
	for (char *line = text; line && *line && !rc;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		char *s = line, *t = line + strlen(line);
		trim(&s, &t);
		while (t > s && t[-1] == '\r')
			t--;
		*t = 0;
		if (*s && *s != '#') {
			char *eq = strchr(s, '=');
			if (!eq) {
				buf_setf(r->err, "%s:%zu: expected 'key = value', got '%s'", base, lineno, s);
				rc = CAIRN_EINVAL;
				break;
			}
			char *ke = eq, *vs = eq + 1, *ve = t;
			trim(&s, &ke);
			trim(&vs, &ve);
			*ke = 0;
			*ve = 0;
			if (!strcmp(s, "train")) {
				free(train);
				train = xstrdup(vs);
				lines[0] = lineno;
			} else if (!strcmp(s, "valid")) {
				free(valid);
				valid = xstrdup(vs);
				lines[1] = lineno;
			} else if (!strcmp(s, "test")) {
				free(test);
				test = xstrdup(vs);
				lines[2] = lineno;
			} else if (!strcmp(s, "names")) {
				free(names);
				names = xstrdup(vs);
			} else if (!strcmp(s, "classes") && parse_int(vs, 1, MAX_CLASSES, &classes)) {
				buf_setf(r->err, "%s:%zu: classes: expected a whole number from 1 to %d",
					 base, lineno, MAX_CLASSES);
				rc = CAIRN_EINVAL;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	struct buf p = BUF_INIT, w = BUF_INIT;
	if (!rc) {
		if (!resolve(r->root, NULL, names ? names : "obj.names", &p) &&
		    !resolve(r->root, NULL, "obj.names", &p)) {
			buf_setf(r->err, "%s: names file '%s' not found", base, names ? names : "obj.names");
			rc = CAIRN_ENOTFOUND;
		} else {
			rc = read_names_file(r, p.data);
		}
	}
	if (!rc && classes > 0 && classes != (int64_t)r->ncls) {
		buf_setf(r->err, "%s: classes is %lld but %s has %zu names", base, (long long)classes,
			 rel_of(r, p.data), r->ncls);
		rc = CAIRN_EINVAL;
	}
	if (!rc)
		fmt_sink_media_dir(r->s, r->root);
	const char *srcs[3] = {train, valid, test};
	static const char *const splits[3] = {"train", "val", "test"};
	for (int i = 0; i < 3 && !rc; i++) {
		if (!srcs[i])
			continue;
		buf_reset(&w);
		buf_addf(&w, "%s:%zu: %s", base, lines[i], i == 1 ? "valid" : splits[i]);
		if (!resolve(r->root, NULL, srcs[i], &p)) {
			buf_setf(r->err, "%s: '%s' not found", w.data, srcs[i]);
			rc = CAIRN_ENOTFOUND;
			break;
		}
		rc = read_source(r, p.data, splits[i], w.data);
	}
	if (!rc && !train && !valid && !test) {
		buf_setf(r->err, "%s: no 'train' or 'valid' image list", base);
		rc = CAIRN_EINVAL;
	}
	free(train);
	free(valid);
	free(test);
	free(names);
	buf_release(&p);
	buf_release(&w);
	return rc;
}

/* A folder with obj.names only: images/<split>/ folders, else every image under it. */
static int read_loose(struct yrd *r, const char *names)
{
	int rc = read_names_file(r, names);
	if (rc)
		return rc;
	fmt_sink_media_dir(r->s, r->root);
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/images", r->root);
	DIR *d = is_dir(p.data) ? opendir(p.data) : NULL;
	char **subs = NULL;
	size_t nsub = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !split_name(e->d_name))
			continue;
		struct buf q = BUF_INIT;
		buf_addf(&q, "%s/%s", p.data, e->d_name);
		if (is_dir(q.data)) {
			subs = xrealloc(subs, (nsub + 1) * sizeof(char *));
			subs[nsub++] = buf_detach(&q, NULL);
		} else {
			buf_release(&q);
		}
	}
	if (d)
		closedir(d);
	if (nsub) {
		qsort(subs, nsub, sizeof(char *), cmp_str);
		for (size_t i = 0; i < nsub; i++) {
			if (!rc)
				rc = read_source(r, subs[i], split_name(strrchr(subs[i], '/') + 1),
						 rel_of(r, subs[i]));
			free(subs[i]);
		}
	} else {
		rc = read_source(r, r->root, NULL, "obj.names");
	}
	free(subs);
	buf_release(&p);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcasecmp(s + a - b, suffix);
}

/* The one *.yaml / *.yml of a folder (owned), or NULL (none, or several but no data.yaml). */
static char *find_yaml(const char *dir)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/data.yaml", dir);
	if (is_file(p.data))
		return buf_detach(&p, NULL);
	buf_release(&p);
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *found = NULL;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (!ends_with(e->d_name, ".yaml") && !ends_with(e->d_name, ".yml")))
			continue;
		n++;
		free(found);
		struct buf q = BUF_INIT;
		buf_addf(&q, "%s/%s", dir, e->d_name);
		found = buf_detach(&q, NULL);
	}
	closedir(d);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

static int read_any(const char *path, struct fmt_sink *s, struct buf *err, bool obb)
{
	struct yrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.obb = obb;
	int rc;
	struct buf p = BUF_INIT;
	if (is_dir(path)) {
		char *yaml = find_yaml(path);
		if (yaml) {
			rc = read_ultralytics(&r, yaml);
			free(yaml);
			goto out;
		}
		r.root = xstrdup(path);
		while (strlen(r.root) > 1 && r.root[strlen(r.root) - 1] == '/')
			r.root[strlen(r.root) - 1] = 0;
		buf_addf(&p, "%s/obj.data", r.root);
		if (is_file(p.data)) {
			free(r.root);
			r.root = NULL;
			rc = read_darknet(&r, p.data);
			goto out;
		}
		buf_reset(&p);
		buf_addf(&p, "%s/obj.names", r.root);
		if (is_file(p.data)) {
			rc = read_loose(&r, p.data);
			goto out;
		}
		buf_setf(err, "%s: not a YOLO dataset (no data.yaml, obj.data or obj.names)", path);
		rc = CAIRN_ENOTFOUND;
	} else if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
		rc = read_ultralytics(&r, path);
	} else if (ends_with(path, ".data")) {
		rc = read_darknet(&r, path);
	} else if (ends_with(path, ".names")) {
		const char *sl = strrchr(path, '/');
		r.root = sl ? xstrndup_(path, (size_t)(sl - path)) : xstrdup(".");
		rc = read_loose(&r, path);
	} else if (!is_file(path)) {
		buf_setf(err, "%s: no such file or folder", path);
		rc = CAIRN_ENOTFOUND;
	} else {
		buf_setf(err, "%s: give a YOLO dataset folder, its data.yaml or its obj.data", path);
		rc = CAIRN_EINVAL;
	}
out:
	rd_release(&r);
	buf_release(&p);
	return rc;
}

int fmt_yolo_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	return read_any(path, s, err, false);
}

/* yolo-obb: the files are YOLO's; only the user knows the lines are corners. */
int fmt_yolo_obb_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	return read_any(path, s, err, true);
}

int fmt_yolo_obb_probe(const char *path)
{
	return 0;
}

/* Sorted names of the sub-folders of dir (owned). */
static size_t list_dirs(const char *dir, char ***out)
{
	*out = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		if (is_dir(p.data)) {
			*out = xrealloc(*out, (n + 1) * sizeof(char *));
			(*out)[n++] = xstrdup(e->d_name);
		}
		buf_release(&p);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

/*
 * yolo-cls (the classify task): DATASET/<split>/<class>/<image>. Classes
 * are the class folders of all splits, sorted, ids from 0 (Ultralytics
 * takes train's sorted folders); each image gets one tag of its folder.
 */
int fmt_yolo_cls_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct yrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.root = xstrdup(path);
	while (strlen(r.root) > 1 && r.root[strlen(r.root) - 1] == '/')
		r.root[strlen(r.root) - 1] = 0;
	r.cfg = "the class folders";
	int rc = 0;
	char **splits = NULL;
	size_t ns = list_dirs(r.root, &splits);
	struct buf p = BUF_INIT;
	for (size_t i = 0; i < ns && !rc; i++) {
		if (!split_name(splits[i]))
			continue;
		char **cls;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", r.root, splits[i]);
		size_t nc = list_dirs(p.data, &cls);
		for (size_t k = 0; k < nc; k++) {
			bool have = false;
			for (size_t q = 0; q < r.ncls; q++)
				have = have || !strcmp(r.cls_name[q], cls[k]);
			if (!have && !rc) {
				buf_reset(&p);
				buf_addf(&p, "%s/%s", splits[i], cls[k]);
				rc = add_class(&r, (int64_t)r.ncls, cls[k], p.data);
			}
			free(cls[k]);
		}
		free(cls);
	}
	if (!rc && !r.ncls) {
		buf_setf(err, "%s: no <split>/<class>/ folders (train/cat/1.jpg ...)", path);
		rc = CAIRN_ENOTFOUND;
	}
	/* Ids in sorted name order, as Ultralytics numbers them. */
	for (size_t i = 0; i < r.ncls; i++)
		for (size_t k = i + 1; k < r.ncls; k++)
			if (strcmp(r.cls_name[k], r.cls_name[i]) < 0) {
				char *t = r.cls_name[i];
				r.cls_name[i] = r.cls_name[k];
				r.cls_name[k] = t;
			}
	if (!rc) {
		rc = declare_classes(&r);
		fmt_sink_media_dir(s, r.root);
	}
	for (size_t i = 0; i < ns; i++) {
		const char *sp = split_name(splits[i]);
		if (sp && !rc) {
			/* Images beside the class folders have no class: counted, not read. */
			buf_reset(&p);
			buf_addf(&p, "%s/%s", r.root, splits[i]);
			DIR *d = opendir(p.data);
			struct dirent *e;
			while (d && (e = readdir(d)))
				if (e->d_name[0] != '.' && is_image_name(e->d_name))
					fmt_sink_note(s, "image outside a class folder (not read)");
			if (d)
				closedir(d);
		}
		for (size_t c = 0; sp && !rc && c < r.ncls; c++) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s/%s", r.root, splits[i], r.cls_name[c]);
			char **v = NULL;
			size_t n = 0;
			list_images(p.data, &v, &n, 0);
			for (size_t k = 0; k < n; k++) {
				if (!rc) {
					const char *rel = rel_of(&r, v[k]);
					struct media_info mi = {0};
					struct buf e = BUF_INIT;
					char *data = NULL;
					size_t len = 0;
					int q = slurp(v[k], IMAGE_MAX, &data, &len, &e);
					if (!q && media_probe((const unsigned char *)data, len, v[k], &mi, &e))
						q = CAIRN_EINVAL;
					if (!q && mi.kind == ITEM_IMAGE && (!mi.width || !mi.height) &&
					    !(q = media_image_init(&e)))
						q = media_image_probe(data, len, mi.type, &mi.width, &mi.height, &e);
					free(data);
					if (q || mi.kind != ITEM_IMAGE || mi.width <= 0 || mi.height <= 0) {
						rc = bad(&r, rel, "cannot read the image: %s",
							 e.len ? e.data : "not an image");
						buf_release(&e);
						continue;
					}
					buf_release(&e);
					int64_t id = ++r.next_image;
					fmt_sink_split(s, sp);
					struct fmt_image im = {0};
					im.id = id;
					im.file_name = rel;
					im.width = mi.width;
					im.height = mi.height;
					im.split = sp;
					im.where = rel;
					rc = fmt_sink_image(s, &im);
					struct fmt_object o = {0};
					o.image_id = id;
					o.category_id = (int64_t)c;
					o.type = SHAPE_TAG;
					o.where = rel;
					if (!rc)
						rc = fmt_sink_object(s, &o);
				}
				free(v[k]);
			}
			free(v);
		}
		free(splits[i]);
	}
	free(splits);
	buf_release(&p);
	rd_release(&r);
	return rc;
}

int fmt_yolo_cls_probe(const char *path)
{
	return 0;
}

int fmt_yolo_probe(const char *path)
{
	if (is_dir(path)) {
		char *yaml = find_yaml(path);
		int c = 0;
		if (yaml) {
			char *text;
			size_t len;
			if (slurp(yaml, CFG_MAX, &text, &len, NULL) == 0) {
				if (strstr(text, "names") && (strstr(text, "train") || strstr(text, "val")))
					c = 90;
				free(text);
			}
			free(yaml);
			return c;
		}
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/obj.data", path);
		if (is_file(p.data))
			c = 90;
		buf_reset(&p);
		buf_addf(&p, "%s/obj.names", path);
		if (!c && is_file(p.data))
			c = 70;
		buf_release(&p);
		return c;
	}
	if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
		char *text;
		size_t len;
		int c = 0;
		if (slurp(path, CFG_MAX, &text, &len, NULL) == 0) {
			if (strstr(text, "names"))
				c = 80;
			free(text);
		}
		return c;
	}
	if (ends_with(path, "obj.data"))
		return 80;
	return 0;
}

/* ---- writing ---- */

struct ywr {
	struct store *st;
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	int64_t *cls;              /* per label: the class id written */
	struct fmt_doc_cache *dc;
	const char *fmt_name;      /* "yolo" or "yolo-obb": the installation meta's key */
	bool obb;                  /* 4 corners a line */
	bool classify;             /* <split>/<class>/<image> by the item's tag */
	size_t kpt_n;              /* pose: points a line (most of any skeleton), 0 for detect */
	bool segment;              /* polygons (--segm polygon or rle) */
	double *xy;                /* a polygon being written */
	size_t capxy;
	bool split_used[3];
	char **names;              /* label paths written, "<split>/<stem>": open addressing */
	size_t nnames, capnames;
	struct buf rename;
	int64_t done, total, last_id;
	struct buf line, path;
	int rc;
};

static const char *const wsplits[3] = {"train", "val", "test"};

/*
 * Class ids: those kept from a YOLO import when they are exactly 0..n-1
 * (Ultralytics needs that), else the labels' order.
 */
static void choose_classes(struct ywr *w, int64_t project_id)
{
	size_t n = w->l.sc.nlabels;
	w->cls = xrealloc(NULL, (n + 1) * sizeof(int64_t));
	char key[64];
	snprintf(key, sizeof(key), "formats.project.%lld", (long long)project_id);
	char *meta = NULL;
	json_t *root = NULL;
	if (store_meta_get(w->st, key, &meta, NULL) == 0 && meta)
		root = json_loads(meta, 0, NULL);
	free(meta);
	json_t *cats = json_object_get(json_object_get(root, w->fmt_name), "categories");
	bool keep = json_object_size(cats) > 0;
	bool *hit = calloc(n + 1, 1);
	if (!hit)
		abort();
	for (size_t i = 0; keep && i < n; i++) {
		int64_t id = w->l.ids[i];
		if (id < 0 || (size_t)id >= n || hit[id])
			keep = false;
		else
			hit[id] = true;
	}
	free(hit);
	json_decref(root);
	for (size_t i = 0; i < n; i++)
		w->cls[i] = keep ? w->l.ids[i] : (int64_t)i;
}

/* The file's name under images/<split>/: without a leading images/ and split folder. */
static const char *export_rel(const char *fn, const char *split)
{
	for (int k = 0; k < 3; k++) {
		const char *sl = strchr(fn, '/');
		if (!sl)
			break;
		size_t n = (size_t)(sl - fn);
		/* The split's folder under its own name or Roboflow's (valid/images/a.jpg). */
		static const char *const alias[][2] = {{"train", "train"}, {"training", "train"},
						       {"val", "val"}, {"valid", "val"},
						       {"validation", "val"}, {"test", "test"},
						       {"testing", "test"}};
		bool strip = n == 6 && !strncmp(fn, "images", 6);
		for (size_t i = 0; !strip && split && i < sizeof(alias) / sizeof(alias[0]); i++)
			strip = n == strlen(alias[i][0]) && !strncmp(fn, alias[i][0], n) &&
				!strcmp(alias[i][1], split);
		if (strip)
			fn = sl + 1;
		else
			break;
	}
	if (!strncmp(fn, "../", 3) || fn[0] == '/') {
		const char *b = strrchr(fn, '/');
		fn = b + 1;
	}
	return fn;
}

static void add_num(struct buf *b, double v)
{
	buf_addch(b, ' ');
	json_add_double(b, v);
}

static void loss_kind(struct ywr *w, enum shape_kind k, const char *how)
{
	struct buf what = BUF_INIT;
	buf_addf(&what, "%s (%s)", shape_kind_name(k), how);
	fmt_loss_add(w->loss, what.data, 1);
	buf_release(&what);
}

static double *xy_room(struct ywr *w, size_t n)
{
	if (n > w->capxy) {
		w->capxy = n;
		w->xy = xrealloc(w->xy, n * sizeof(double));
	}
	return w->xy;
}

/* The outline of o as one polygon into w->xy (segment mode); returns its numbers, 0 for none. */
static size_t outline(struct ywr *w, const struct ann_object *o)
{
	switch (o->type) {
	case SHAPE_POLYGON: {
		size_t n = o->nrings > 1 ? 2 * o->rings[0] : o->npts;
		if (o->nrings > 1)
			fmt_loss_add(w->loss, "polygon hole (not in YOLO)", (int64_t)o->nrings - 1);
		memcpy(xy_room(w, n), o->pts, n * sizeof(double));
		return n;
	}
	case SHAPE_BOX: {
		double *p = xy_room(w, 8);
		double v[8] = {o->x0, o->y0, o->x1, o->y0, o->x1, o->y1, o->x0, o->y1};
		memcpy(p, v, sizeof(v));
		loss_kind(w, o->type, "written as a 4-point polygon");
		return 8;
	}
	case SHAPE_ROTATED_BOX: {
		double *p = xy_room(w, 8);
		double cx = o->pts[0], cy = o->pts[1], hw = o->pts[2] / 2, hh = o->pts[3] / 2;
		double a = o->pts[4] * M_PI / 180;
		static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
		for (int k = 0; k < 4; k++) {
			double dx = sx[k] * hw, dy = sy[k] * hh;
			p[2 * k] = cx + dx * cos(a) - dy * sin(a);
			p[2 * k + 1] = cy + dx * sin(a) + dy * cos(a);
		}
		loss_kind(w, o->type, "written as a 4-point polygon");
		return 8;
	}
	case SHAPE_ELLIPSE: {
		double *p = xy_room(w, 64);
		double cx = o->pts[0], cy = o->pts[1], rx = o->pts[2], ry = o->pts[3];
		double a = o->pts[4] * M_PI / 180;
		for (int k = 0; k < 32; k++) {
			double t = 2 * M_PI * k / 32, ex = rx * cos(t), ey = ry * sin(t);
			p[2 * k] = cx + ex * cos(a) - ey * sin(a);
			p[2 * k + 1] = cy + ex * sin(a) + ey * cos(a);
		}
		loss_kind(w, o->type, "written as a 32-point polygon");
		return 64;
	}
	case SHAPE_MASK: {
		struct contours c;
		memset(&c, 0, sizeof(c));
		if (rle_to_contours(&o->mask, 0, &c, NULL) || !c.nrings) {
			contours_release(&c);
			loss_kind(w, o->type, "empty or unreadable, not written");
			return 0;
		}
		/* The largest outer ring: YOLO has one polygon an object, without holes. */
		size_t best = 0, off = 0, best_off = 0, parts = 0;
		double best_a = -1;
		for (size_t r = 0; r < c.nrings; r++) {
			if (c.parent[r] < 0) {
				double ar = 0;
				const double *q = c.xy + 2 * off;
				for (size_t k = 0; k < c.rings[r]; k++) {
					size_t j = (k + 1) % c.rings[r];
					ar += q[2 * k] * q[2 * j + 1] - q[2 * j] * q[2 * k + 1];
				}
				ar = fabs(ar);
				parts++;
				if (ar > best_a) {
					best_a = ar;
					best = r;
					best_off = off;
				}
			}
			off += c.rings[r];
		}
		size_t n = 2 * c.rings[best];
		memcpy(xy_room(w, n), c.xy + 2 * best_off, n * sizeof(double));
		loss_kind(w, o->type, "written as its outline polygon");
		if (parts > 1 || c.nrings > parts)
			fmt_loss_add(w->loss, "mask part or hole (only the largest outline written)",
				     (int64_t)(c.nrings - 1));
		contours_release(&c);
		return n;
	}
	default:
		return 0;
	}
}

/* yolo-obb: any shape as the 4 corners of a rotated box. */
static int write_obb(struct ywr *w, const struct ann_object *o, double W, double H)
{
	double rb[5], p[8];
	switch (o->type) {
	case SHAPE_ROTATED_BOX:
		memcpy(rb, o->pts, sizeof(rb));
		break;
	case SHAPE_ELLIPSE:
		rb[0] = o->pts[0], rb[1] = o->pts[1], rb[2] = 2 * o->pts[2], rb[3] = 2 * o->pts[3];
		rb[4] = o->pts[4];
		loss_kind(w, o->type, "written as its rotated bounding box");
		break;
	case SHAPE_BOX: case SHAPE_POLYGON: case SHAPE_MASK:
		rb[0] = (o->x0 + o->x1) / 2, rb[1] = (o->y0 + o->y1) / 2;
		rb[2] = o->x1 - o->x0, rb[3] = o->y1 - o->y0, rb[4] = 0;
		loss_kind(w, o->type, o->type == SHAPE_BOX ? "written as a rotated box at 0 degrees"
			  : "written as its bounding box");
		break;
	default:
		loss_kind(w, o->type, "not in YOLO OBB");
		return 0;
	}
	rbox_corners(rb, p);
	buf_addf(&w->line, "%lld", (long long)w->cls[o->label]);
	for (int k = 0; k < 8; k++)
		add_num(&w->line, p[k] / (k % 2 ? H : W));
	buf_addch(&w->line, '\n');
	return 0;
}

/* One object: a box (detect), a box with keypoints (pose) or a polygon (segment). */
static int write_object(struct ywr *w, const struct ann_doc *d, const struct ann_object *o,
			double W, double H)
{
	if (w->obb) {
		if (o->attrs && strcmp(o->attrs, "{}"))
			fmt_loss_add(w->loss, "object attributes", 1);
		if (o->has_score)
			fmt_loss_add(w->loss, "score", 1);
		return write_obb(w, o, W, H);
	}
	const struct ann_object *kp = NULL;
	if (o->type == SHAPE_KEYPOINTS) {
		if (w->kpt_n && o->parent[0] && o->parent_index < d->nobjects)
			return 0; /* written with its parent */
		if (!w->kpt_n) {
			loss_kind(w, o->type, "not in YOLO detect; export a project whose labels have "
				  "skeletons for pose");
			return 0;
		}
		kp = o;  /* keypoints alone: the box around its points */
	} else if (w->kpt_n) {
		for (size_t k = 0; k < d->nobjects; k++)
			if (d->objects[k].type == SHAPE_KEYPOINTS && !strcmp(d->objects[k].parent, o->uid))
				kp = &d->objects[k];
	}
	switch (o->type) {
	case SHAPE_BOX: case SHAPE_KEYPOINTS:
		break;
	case SHAPE_POLYGON: case SHAPE_MASK: case SHAPE_ROTATED_BOX: case SHAPE_ELLIPSE:
		if (!w->segment)
			loss_kind(w, o->type, "written as its bounding box");
		break;
	default:
		loss_kind(w, o->type, w->segment ? "not in YOLO segment" : w->kpt_n ? "not in YOLO pose"
			  : "not in YOLO detect");
		return 0;
	}
	if (o->attrs && strcmp(o->attrs, "{}"))
		fmt_loss_add(w->loss, "object attributes", 1);
	if (o->has_score)
		fmt_loss_add(w->loss, "score", 1);
	if (o->occluded)
		fmt_loss_add(w->loss, "occluded flag", 1);
	if (o->has_track)
		fmt_loss_add(w->loss, "track", 1);
	if (o->text)
		fmt_loss_add(w->loss, "text", 1);
	struct buf *b = &w->line;
	buf_addf(b, "%lld", (long long)w->cls[o->label]);
	size_t n = w->segment && !w->kpt_n ? outline(w, o) : 0;
	if (n) {
		for (size_t k = 0; k < n; k++)
			add_num(b, w->xy[k] / (k % 2 ? H : W));
	} else {
		double x0 = o->x0, y0 = o->y0, x1 = o->x1, y1 = o->y1;
		add_num(b, (x0 + x1) / 2 / W);
		add_num(b, (y0 + y1) / 2 / H);
		add_num(b, (x1 - x0) / W);
		add_num(b, (y1 - y0) / H);
	}
	if (w->kpt_n) {
		size_t np = kp ? kp->npts / 3 : 0;
		if (np > w->kpt_n)
			np = w->kpt_n;
		for (size_t k = 0; k < w->kpt_n; k++) {
			if (k < np && kp->pts[3 * k + 2] > 0) {
				add_num(b, kp->pts[3 * k] / W);
				add_num(b, kp->pts[3 * k + 1] / H);
				add_num(b, kp->pts[3 * k + 2]);
			} else {
				buf_adds(b, " 0 0 0");
			}
		}
	}
	buf_addch(b, '\n');
	return 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Adds key to the set of written names; false when it was there already. */
static bool name_add(struct ywr *w, const char *key)
{
	if (2 * (w->nnames + 1) > w->capnames) {
		size_t nc = w->capnames ? 2 * w->capnames : 1024;
		char **nv = calloc(nc, sizeof(char *));
		if (!nv)
			abort();
		for (size_t i = 0; i < w->capnames; i++) {
			if (!w->names[i])
				continue;
			size_t k = (size_t)hash_str(w->names[i]) & (nc - 1);
			while (nv[k])
				k = (k + 1) & (nc - 1);
			nv[k] = w->names[i];
		}
		free(w->names);
		w->names = nv;
		w->capnames = nc;
	}
	size_t k = (size_t)hash_str(key) & (w->capnames - 1);
	for (; w->names[k]; k = (k + 1) & (w->capnames - 1))
		if (!strcmp(w->names[k], key))
			return false;
	w->names[k] = xstrdup(key);
	w->nnames++;
	return true;
}

/*
 * The item's name in its split, unique by label file: a.jpg and a.png (or
 * two items called a.jpg) would share labels/<split>/a.txt, so a later one
 * becomes a_<item id>.jpg, counted in the loss report.
 */
static const char *unique_name(struct ywr *w, const char *split, const char *fn, int64_t id)
{
	const char *dot = strrchr(fn, '.');
	const char *sl = strrchr(fn, '/');
	size_t stem = dot && (!sl || dot > sl) ? (size_t)(dot - fn) : strlen(fn);
	struct buf key = BUF_INIT;
	buf_addf(&key, "%s/", split);
	buf_add(&key, fn, stem);
	bool fresh = name_add(w, key.data);
	const char *res = fn;
	if (!fresh) {
		buf_reset(&w->rename);
		buf_add(&w->rename, fn, stem);
		buf_addf(&w->rename, "_%lld%s", (long long)id, fn + stem);
		buf_reset(&key);
		buf_addf(&key, "%s/", split);
		buf_add(&key, w->rename.data, w->rename.len - strlen(fn + stem));
		name_add(w, key.data);
		fmt_loss_add(w->loss, "file name used twice in a split (renamed with the item id)", 1);
		res = w->rename.data;
	}
	buf_release(&key);
	return res;
}

/* yolo-cls: the item's image into <split>/<class of its tag>/ (Ultralytics' layout). */
static int write_cls_item(struct ywr *w, const struct item *it, const char *split)
{
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	const struct ann_object *tag = NULL;
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *o = &d.objects[i];
		if (o->type == SHAPE_TAG && !tag)
			tag = o;
		else if (o->type == SHAPE_TAG)
			fmt_loss_add(w->loss, "tag after the first of an item (classify keeps one)", 1);
		else
			loss_kind(w, o->type, "not in YOLO classify");
	}
	if (!rc && !tag)
		fmt_loss_add(w->loss, "item without a tag (not written)", 1);
	if (!rc && tag) {
		char *tmp;
		const char *name = w->l.sc.labels[tag->label].name;
		const char *fn = export_rel(fmt_item_file_name(it, &tmp), split);
		/* Drop a class folder the name came with (train/cat/1.jpg). */
		const char *sl = strchr(fn, '/');
		if (sl && (size_t)(sl - fn) == strlen(name) && !strncmp(fn, name, (size_t)(sl - fn)))
			fn = sl + 1;
		struct buf key = BUF_INIT;
		buf_addf(&key, "%s/%s", name, fn);
		fn = unique_name(w, split, key.data, it->id);
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/%s/%s", w->out, split, fn);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
		buf_release(&key);
		free(tmp);
	}
	ann_doc_release(&d);
	if (rc)
		w->rc = rc;
	return rc;
}

static int write_item(void *ctx, const struct item *it)
{
	struct ywr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	int si = 0;
	for (int i = 0; i < 3; i++)
		if (split && !strcmp(split, wsplits[i]))
			si = i;
	if (split && *split && strcmp(split, wsplits[si]))
		fmt_loss_add(w->loss, "split other than train, val or test (written to train)", 1);
	split = wsplits[si];
	w->split_used[si] = true;
	char *tmp;
	if (w->classify)
		return write_cls_item(w, it, split);
	const char *fn = unique_name(w, split, export_rel(fmt_item_file_name(it, &tmp), split), it->id);
	int rc = 0;
	if (w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/images/%s/%s", w->out, split, fn);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	buf_reset(&w->line);
	double W = it->width, H = it->height;
	if (!rc && found && d.nobjects && (W <= 0 || H <= 0)) {
		buf_setf(w->err, "item %lld '%s': no width and height, which YOLO's normalised "
			 "coordinates need", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc && found) {
		if (d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		if (d.nrelations)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	}
	for (size_t i = 0; !rc && found && i < d.nobjects; i++)
		rc = write_object(w, &d, &d.objects[i], W, H);
	ann_doc_release(&d);
	if (!rc) {
		/* labels/<split>/<name without extension>.txt, also empty (a background image). */
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/labels/%s/%s", w->out, split, fn);
		char *dot = strrchr(w->path.data, '.');
		char *sl = strrchr(w->path.data, '/');
		if (dot && dot > sl)
			buf_setlen(&w->path, (size_t)(dot - w->path.data));
		buf_adds(&w->path, ".txt");
		rc = fmt_put_file(w->path.data, w->line.data ? w->line.data : "", w->line.len, w->err);
	}
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

static void add_yaml_str(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

static int write_yaml(struct ywr *w)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "# YOLO dataset exported by Cairn (Ultralytics layout; see docs/formats/yolo.md)\n"
		     "path: .\n");
	const char *first = NULL;
	for (int i = 0; i < 3; i++)
		if (w->split_used[i] && !first)
			first = wsplits[i];
	if (!first)
		first = "train";
	buf_addf(&b, "train: images/%s\n", w->split_used[0] ? "train" : first);
	buf_addf(&b, "val: images/%s\n", w->split_used[1] ? "val" : first);
	if (w->split_used[2])
		buf_adds(&b, "test: images/test\n");
	size_t n = w->l.sc.nlabels;
	if (w->kpt_n)
		buf_addf(&b, "kpt_shape: [%zu, 3]\n", w->kpt_n);
	buf_addf(&b, "nc: %zu\nnames:\n", n);
	for (size_t id = 0; id < n; id++)
		for (size_t i = 0; i < n; i++)
			if (w->cls[i] == (int64_t)id) {
				buf_addf(&b, "  %zu: ", id);
				add_yaml_str(&b, w->l.sc.labels[i].name);
				buf_addch(&b, '\n');
			}
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/data.yaml", w->out);
	FILE *f = fopen(w->path.data, "w");
	int rc = 0;
	if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
		buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
		rc = CAIRN_EIO;
		f = NULL;
	}
	buf_release(&b);
	return rc;
}

static int write_any(struct store *st, int64_t project_id, const char *out,
		     const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err, bool obb,
		     bool cls)
{
	struct ywr w;
	memset(&w, 0, sizeof(w));
	w.obb = obb;
	w.classify = cls;
	w.fmt_name = obb ? "yolo-obb" : cls ? "yolo-cls" : "yolo";
	if (cls && !o->include_media) {
		buf_setf(err, "yolo-cls: the dataset is the images in class folders: give "
			 "--include-media");
		return CAIRN_EINVAL;
	}
	w.st = st;
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.line = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	w.rename = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, w.fmt_name, err)))
		goto done;
	choose_classes(&w, project_id);
	for (size_t i = 0; i < w.l.sc.nlabels; i++)
		if (!obb && !cls && w.l.sc.labels[i].skeleton && w.l.sc.labels[i].skeleton->npoints > w.kpt_n)
			w.kpt_n = w.l.sc.labels[i].skeleton->npoints;
	w.segment = !obb && !cls && !w.kpt_n && o->segm != FMT_SEGM_KEEP;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		w.total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (!rc && !cls)
		rc = write_yaml(&w);
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	free(w.cls);
	free(w.xy);
	for (size_t i = 0; i < w.capnames; i++)
		free(w.names[i]);
	free(w.names);
	buf_release(&w.rename);
	buf_release(&w.line);
	buf_release(&w.path);
	return rc;
}

int fmt_yolo_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, false, false);
}

int fmt_yolo_obb_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, true, false);
}

int fmt_yolo_cls_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, false, true);
}
