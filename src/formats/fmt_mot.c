/*
 * fmt_mot.c - MOT Challenge sequences: gt/gt.txt (frame, id, bb_left,
 * bb_top, bb_width, bb_height, conf/flag, class, visibility), gt/labels.txt
 * (class names, line k is class k), seqinfo.ini (imDir, frameRate,
 * seqLength, imWidth, imHeight, imExt) and img1/000001.jpg ... Frames are
 * image items; each line is a box carrying its frame, its track (id >= 0)
 * and "conf" and "visibility" as attributes. Box numbers are taken as
 * they are written (Datumaro's reading): x0 = bb_left, y0 = bb_top,
 * x1 = bb_left + bb_width, written back in the shortest form that reads
 * back to the same double, so the round trip is exact.
 * gt.txt is streamed a line at a time. Conventions: docs/formats/mot.md.
 */
#include "formats/fmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/err.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_mot_probe(const char *path);
int fmt_mot_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_mot_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_mot_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err);

/* In fmt_kitti.c: an image file's size from its header, or 0 x 0. */
void fmt_kitti_image_size(const char *path, int32_t *w, int32_t *h);

#define MAX_FRAME 100000000LL
#define MAX_CLASSES 100000

/* MOT16's classes, when gt/labels.txt is absent. */
static const char *const mot_names[] = {
	"pedestrian", "person_on_vehicle", "car", "bicycle", "motorbike",
	"non_motorized_vehicle", "static_person", "distractor", "occluder",
	"occluder_on_the_ground", "occluder_full", "reflection",
};
#define NMOT (sizeof(mot_names) / sizeof(*mot_names))

/* A set of frame numbers (open addressing). */
struct iset {
	int64_t *v;
	size_t n, cap;
};

static bool iset_add(struct iset *s, int64_t x)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 256;
		int64_t *nv = xrealloc(NULL, nc * sizeof(*nv));
		for (size_t i = 0; i < nc; i++)
			nv[i] = -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i] >= 0) {
				size_t j = (size_t)((uint64_t)s->v[i] * 0x9e3779b97f4a7c15ull >> 20) & (nc - 1);
				while (nv[j] >= 0)
					j = (j + 1) & (nc - 1);
				nv[j] = s->v[i];
			}
		free(s->v);
		s->v = nv;
		s->cap = nc;
	}
	size_t j = (size_t)((uint64_t)x * 0x9e3779b97f4a7c15ull >> 20) & (s->cap - 1);
	while (s->v[j] >= 0) {
		if (s->v[j] == x)
			return false;
		j = (j + 1) & (s->cap - 1);
	}
	s->v[j] = x;
	s->n++;
	return true;
}

struct mot_rd {
	struct fmt_sink *s;
	struct buf *err;
	const char *gt_name;        /* "gt/gt.txt" */
	char **names;               /* class k is names[k - 1] */
	size_t nnames;
	bool *declared;
	bool unlabeled_declared;
	int32_t width, height;
	char ext[16];
	struct iset frames;
};

static void rd_release(struct mot_rd *r)
{
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->declared);
	free(r->frames.v);
}

static void add_name(struct mot_rd *r, const char *n)
{
	r->names = xrealloc(r->names, (r->nnames + 1) * sizeof(*r->names));
	r->declared = xrealloc(r->declared, (r->nnames + 1) * sizeof(*r->declared));
	r->names[r->nnames] = xstrdup(n);
	r->declared[r->nnames++] = false;
}

static int frame_image(struct mot_rd *r, int64_t frame, const char *where)
{
	if (!iset_add(&r->frames, frame))
		return 0;
	char fn[64];
	snprintf(fn, sizeof(fn), "%06lld%s", (long long)frame, r->ext);
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = frame;
	im.file_name = fn;
	im.width = r->width;
	im.height = r->height;
	im.where = where;
	return fmt_sink_image(r->s, &im);
}

static const char *const col_name[] = {"frame", "id", "x", "y", "w", "h", "conf", "class",
				       "visibility"};

static int parse_num(struct mot_rd *r, const char *where, int col, const char *t, bool integer,
		     double *out)
{
	char *end;
	errno = 0;
	double v = strtod(t, &end);
	if (end == t || *end || errno == ERANGE || !isfinite(v) || isspace((unsigned char)*t))
		return fmt_sink_invalid(r->s, where, "column %d (%s): expected a%s, got \"%s\"", col + 1,
					col_name[col], integer ? "n integer" : " number", t) ? CAIRN_EINVAL : 1;
	if (integer && (v != floor(v) || fabs(v) > 1e15))
		return fmt_sink_invalid(r->s, where, "column %d (%s): expected an integer, got \"%s\"",
					col + 1, col_name[col], t) ? CAIRN_EINVAL : 1;
	*out = v;
	return 0;
}

static int read_line(struct mot_rd *r, char *line, long ln)
{
	char where[300];
	snprintf(where, sizeof(where), "%s:%ld", r->gt_name, ln);
	char *tok[10];
	int nt = 0;
	for (char *p = line;;) {
		char *c = strchr(p, ',');
		if (nt == 10) {
			nt++;
			break;
		}
		tok[nt++] = p;
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	for (int i = 0; i < nt && i < 10; i++) {
		while (*tok[i] == ' ' || *tok[i] == '\t')
			tok[i]++;
		size_t l = strlen(tok[i]);
		while (l && (tok[i][l - 1] == ' ' || tok[i][l - 1] == '\t'))
			tok[i][--l] = 0;
	}
	if (nt < 6 || nt > 10)
		return fmt_sink_invalid(r->s, where, "expected 6 to 10 comma-separated columns "
					"(frame,id,x,y,w,h,conf,class,visibility), got %d", nt);
	double v[9];
	int rc;
	for (int i = 0; i < nt && i < 9; i++)
		if ((rc = parse_num(r, where, i, tok[i], i == 0 || i == 1 || i == 7, &v[i])))
			return rc == 1 ? 0 : rc;
	if (v[0] < 1 || v[0] > MAX_FRAME)
		return fmt_sink_invalid(r->s, where, "column 1 (frame): expected a frame number 1 to "
					"%lld, got \"%s\"", MAX_FRAME, tok[0]);
	if (v[1] < -1)
		return fmt_sink_invalid(r->s, where, "column 2 (id): expected a track id >= 0 or -1, "
					"got \"%s\"", tok[1]);
	if (v[4] < 0 || v[5] < 0)
		return fmt_sink_invalid(r->s, where, "column %d (%s): expected a size >= 0, got \"%s\"",
					v[4] < 0 ? 5 : 6, v[4] < 0 ? "w" : "h",
					v[4] < 0 ? tok[4] : tok[5]);
	int64_t cls = nt >= 8 ? (int64_t)v[7] : -1;
	if (cls == 0 || cls < -1 || cls > MAX_CLASSES)
		return fmt_sink_invalid(r->s, where, "column 8 (class): expected a class 1 to %d or -1, "
					"got \"%s\"", MAX_CLASSES, tok[7]);
	if (cls > 0 && (size_t)cls > r->nnames)
		return fmt_sink_invalid(r->s, where, "column 8 (class): class %lld is not in %s (%zu "
					"classes)", (long long)cls, r->nnames == NMOT ? "MOT's classes"
					: "gt/labels.txt", r->nnames);
	if (cls > 0 && !r->declared[cls - 1]) {
		struct fmt_category c;
		memset(&c, 0, sizeof(c));
		c.id = cls;
		c.name = r->names[cls - 1];
		c.where = where;
		if ((rc = fmt_sink_category(r->s, &c)))
			return rc;
		r->declared[cls - 1] = true;
	} else if (cls == -1 && !r->unlabeled_declared) {
		struct fmt_category c;
		memset(&c, 0, sizeof(c));
		c.id = -1;
		c.name = "object";
		c.where = where;
		if ((rc = fmt_sink_category(r->s, &c)))
			return rc;
		r->unlabeled_declared = true;
	}
	if ((rc = frame_image(r, (int64_t)v[0], where)))
		return rc;
	double pts[4] = {v[2], v[3], v[2] + v[4], v[3] + v[5]};
	json_t *a = json_object();
	if (nt >= 7)
		json_object_set_new(a, "conf", json_real(v[6]));
	if (nt >= 9)
		json_object_set_new(a, "visibility", json_real(v[8]));
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.image_id = (int64_t)v[0];
	o.category_id = cls;
	o.type = SHAPE_BOX;
	o.pts = pts;
	o.npts = 4;
	o.attrs = json_object_size(a) ? a : NULL;
	o.has_frame = true;
	o.frame = (int64_t)v[0];
	if (v[1] >= 0) {
		o.has_track = true;
		o.track = (int64_t)v[1];
	}
	o.where = where;
	rc = fmt_sink_object(r->s, &o);
	json_decref(a);
	return rc;
}

static int read_gt(struct mot_rd *r, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		if (memchr(line, 0, (size_t)n)) {
			rc = fmt_sink_invalid(r->s, r->gt_name, "line %ld: a NUL byte (not a text file)", ln);
			continue;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		rc = read_line(r, line, ln);
	}
	free(line);
	return rc;
}

/* seqinfo.ini: key=value lines under [Sequence]. */
static int read_seqinfo(struct mot_rd *r, const char *path, char *imdir, size_t imlen,
			int64_t *seqlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		buf_setf(r->err, "seqinfo.ini: cannot open: %s", strerror(errno));
		return CAIRN_EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	long ln = 0;
	int rc = 0;
	while (!rc && getline(&line, &cap, f) >= 0) {
		ln++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = 0;
		char *eq = strchr(line, '=');
		if (!l || line[0] == '[' || line[0] == ';' || line[0] == '#' || !eq)
			continue;
		*eq = 0;
		char *k = line, *v = eq + 1;
		size_t kl = strlen(k);
		while (kl && k[kl - 1] == ' ')
			k[--kl] = 0;
		while (*v == ' ')
			v++;
		bool num = !strcasecmp(k, "seqLength") || !strcasecmp(k, "imWidth") ||
			   !strcasecmp(k, "imHeight") || !strcasecmp(k, "frameRate");
		long long x = 0;
		if (num) {
			char *end;
			errno = 0;
			x = strtoll(v, &end, 10);
			if (end == v || *end || errno || x < 0 || x > MAX_FRAME) {
				buf_setf(r->err, "seqinfo.ini:%ld: %s: expected a number 0 to %lld, got \"%s\"",
					 ln, k, MAX_FRAME, v);
				rc = CAIRN_EINVAL;
				break;
			}
		}
		if (!strcasecmp(k, "seqLength"))
			*seqlen = x;
		else if (!strcasecmp(k, "imWidth"))
			r->width = (int32_t)(x > 1000000 ? 0 : x);
		else if (!strcasecmp(k, "imHeight"))
			r->height = (int32_t)(x > 1000000 ? 0 : x);
		else if (!strcasecmp(k, "imExt")) {
			if (strlen(v) >= sizeof(r->ext) || strchr(v, '/')) {
				buf_setf(r->err, "seqinfo.ini:%ld: imExt: not a file extension: \"%s\"", ln, v);
				rc = CAIRN_EINVAL;
				break;
			}
			snprintf(r->ext, sizeof(r->ext), "%s", v);
		} else if (!strcasecmp(k, "imDir")) {
			if (strstr(v, "..") || strlen(v) >= imlen) {
				buf_setf(r->err, "seqinfo.ini:%ld: imDir: not a folder of the sequence: \"%s\"",
					 ln, v);
				rc = CAIRN_EINVAL;
				break;
			}
			snprintf(imdir, imlen, "%s", v);
		}
	}
	free(line);
	fclose(f);
	return rc;
}

static int read_labels(struct mot_rd *r, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		buf_setf(r->err, "gt/labels.txt: cannot open: %s", strerror(errno));
		return CAIRN_EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0 && r->nnames < MAX_CLASSES) {
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = 0;
		if (l)
			add_name(r, line);
	}
	free(line);
	fclose(f);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fmt_mot_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct mot_rd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	struct buf root = BUF_INIT, p = BUF_INIT;
	int rc = 0;
	/* path: the sequence folder, or its gt/gt.txt. */
	if (is_dir(path)) {
		buf_adds(&root, path);
	} else {
		const char *sl = strrchr(path, '/');
		buf_add(&root, path, sl ? (size_t)(sl - path) : 1);
		if (!sl)
			buf_setf(&root, ".");
		if (root.len > 3 && !strcmp(root.data + root.len - 3, "/gt"))
			buf_setlen(&root, root.len - 3);
		else if (!strcmp(root.data, "gt"))
			buf_setf(&root, ".");
	}
	r.gt_name = "gt/gt.txt";
	snprintf(r.ext, sizeof(r.ext), ".jpg");
	char imdir[256] = "img1";
	int64_t seqlen = -1;
	buf_addf(&p, "%s/seqinfo.ini", root.data);
	if (is_file(p.data))
		rc = read_seqinfo(&r, p.data, imdir, sizeof(imdir), &seqlen);
	buf_reset(&p);
	buf_addf(&p, "%s/gt/labels.txt", root.data);
	if (!rc && is_file(p.data))
		rc = read_labels(&r, p.data);
	if (!rc && !r.nnames)
		for (size_t i = 0; i < NMOT; i++)
			add_name(&r, mot_names[i]);
	buf_reset(&p);
	buf_addf(&p, "%s/%s", root.data, imdir);
	if (!rc)
		fmt_sink_media_dir(s, p.data);
	/* The frames: seqLength of them, else the images of imDir. */
	if (!rc && seqlen > 0) {
		for (int64_t k = 1; k <= seqlen && !rc; k++)
			rc = frame_image(&r, k, "seqinfo.ini");
	} else if (!rc && is_dir(p.data)) {
		DIR *d = opendir(p.data);
		char **names = NULL;
		size_t n = 0;
		struct dirent *e;
		while (d && (e = readdir(d)) && n <= (size_t)MAX_FRAME) {
			if (e->d_name[0] == '.')
				continue;
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
		if (d)
			closedir(d);
		if (n)
			qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; i < n; i++) {
			char *dot = strrchr(names[i], '.');
			char *end;
			long long fr = strtoll(names[i], &end, 10);
			if (!rc && dot && end == dot && fr >= 1 && fr <= MAX_FRAME &&
			    strlen(dot) < sizeof(r.ext)) {
				snprintf(r.ext, sizeof(r.ext), "%s", dot);
				if (!r.width || !r.height) {
					/* No size in seqinfo.ini: the first frame's. */
					struct buf ip = BUF_INIT;
					buf_addf(&ip, "%s/%s", p.data, names[i]);
					fmt_kitti_image_size(ip.data, &r.width, &r.height);
					buf_release(&ip);
				}
				rc = frame_image(&r, fr, imdir);
			} else if (!rc) {
				fmt_sink_note(s, "file in the image folder not named by a frame number");
			}
			free(names[i]);
		}
		free(names);
	}
	buf_reset(&p);
	buf_addf(&p, "%s/gt/gt.txt", root.data);
	FILE *f = rc ? NULL : fopen(p.data, "r");
	if (!rc && !f) {
		buf_setf(err, "%s: cannot open: %s (a MOT sequence has gt/gt.txt)", p.data, strerror(errno));
		rc = CAIRN_ENOTFOUND;
	}
	if (!rc)
		rc = read_gt(&r, f);
	if (f)
		fclose(f);
	rd_release(&r);
	buf_release(&root);
	buf_release(&p);
	return rc;
}

int fmt_mot_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err)
{
	struct mot_rd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.gt_name = name;
	r.width = r.height = 16;
	snprintf(r.ext, sizeof(r.ext), ".jpg");
	for (size_t i = 0; i < NMOT; i++)
		add_name(&r, mot_names[i]);
	int rc = 0;
	FILE *f = len ? fmemopen((void *)data, len, "r") : NULL;
	if (f) {
		rc = read_gt(&r, f);
		fclose(f);
	}
	rd_release(&r);
	return rc;
}

int fmt_mot_probe(const char *path)
{
	struct buf p = BUF_INIT;
	int score = 0;
	buf_addf(&p, "%s/gt/gt.txt", path);
	if (is_file(p.data))
		score = 85;
	else if (strlen(path) >= 9 && !strcmp(path + strlen(path) - 9, "gt/gt.txt") && is_file(path))
		score = 85;
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct mot_wr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t *cls;               /* per label: the class number */
	FILE *gt;
	int64_t last_id, done, next_frame, max_frame;
	int32_t width, height;
	char ext[16];
	struct iset used;
	struct buf line, path;
	int rc;
};

static void add_num(struct buf *b, double v)
{
	json_add_double(b, v);
}

/* The width x1 - x0 as the shortest number w for which x0 + w == x1 again
 * (what the reader computes), so that 29.23 stays 29.23 instead of
 * 29.230000000000018. */
static void add_extent(struct buf *b, double x0, double x1)
{
	double d = x1 - x0;
	char t[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(t, sizeof(t), "%.*g", p, d);
		if (strtod(t, NULL) + x0 == x1) {
			buf_adds(b, t);
			return;
		}
	}
	json_add_double(b, d);
}

static int64_t frame_of(struct mot_wr *w, const struct item *it, const char *fn)
{
	int64_t id;
	if (fmt_meta_id(it, "mot_id", &id) && id >= 1 && id <= MAX_FRAME)
		return id;
	const char *b = strrchr(fn, '/');
	b = b ? b + 1 : fn;
	char *end;
	long long x = strtoll(b, &end, 10);
	if (end != b && *end == '.' && x >= 1 && x <= MAX_FRAME)
		return x;
	return 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct mot_wr *w = ctx;
	w->last_id = it->id;
	w->done++;
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	int64_t frame = frame_of(w, it, fn);
	if (!frame || !iset_add(&w->used, frame)) {
		if (frame)
			fmt_loss_add(w->loss, "item with a frame number already used (renumbered)", 1);
		while (!iset_add(&w->used, ++w->next_frame))
			;
		frame = w->next_frame;
	}
	if (frame > w->max_frame)
		w->max_frame = frame;
	const char *dot = strrchr(fn, '.');
	if (!w->ext[0])
		snprintf(w->ext, sizeof(w->ext), "%s", dot && strlen(dot) < sizeof(w->ext) ? dot : ".jpg");
	else if (!dot || strcmp(dot, w->ext))
		fmt_loss_add(w->loss, "image of another file type than the first (imExt)", 1);
	if (!w->width) {
		w->width = it->width;
		w->height = it->height;
	} else if (it->width != w->width || it->height != w->height) {
		fmt_loss_add(w->loss, "image of another size than the first (imWidth, imHeight)", 1);
	}
	int rc = 0;
	if (w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/img1/%06lld%s", w->out, (long long)frame, w->ext);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (!rc && found && d.nrelations)
		fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type == SHAPE_KEYPOINTS && ob->parent[0]) {
			fmt_loss_add(w->loss, "keypoints of an object (not in MOT)", 1);
			continue;
		}
		if (ob->type == SHAPE_TAG || ob->type == SHAPE_SPAN || ob->type == SHAPE_SEGMENT ||
		    (ob->type == SHAPE_KEYPOINTS && ob->x1 <= ob->x0)) {
			fmt_loss_add(w->loss, "shape without a box (not in MOT)", 1);
			continue;
		}
		if (ob->outside) {
			fmt_loss_add(w->loss, "track box outside the frame (not in MOT)", 1);
			continue;
		}
		if (ob->type != SHAPE_BOX)
			fmt_loss_add(w->loss, "shape other than a box (written as its bounding box)", 1);
		double conf = 1, vis = 1;
		bool has_conf = false, has_vis = false;
		json_t *a = ob->attrs ? json_loads(ob->attrs, 0, NULL) : NULL;
		const char *k;
		json_t *v;
		size_t other = 0;
		json_object_foreach(a, k, v) {
			if (!strcmp(k, "conf") && json_is_number(v)) {
				conf = json_number_value(v);
				has_conf = true;
			} else if (!strcmp(k, "visibility") && json_is_number(v)) {
				vis = json_number_value(v);
				has_vis = true;
			} else if (!json_is_null(v) && !(json_is_false(v)) &&
				   !(json_is_string(v) && !*json_string_value(v))) {
				other++;
			}
		}
		json_decref(a);
		if (other)
			fmt_loss_add(w->loss, "object attribute other than conf and visibility", (int64_t)other);
		if (!has_conf && ob->has_score)
			conf = ob->score;
		if (ob->occluded && !has_vis)
			fmt_loss_add(w->loss, "occluded flag (MOT has visibility)", 1);
		if (ob->has_group || ob->z_order || ob->text)
			fmt_loss_add(w->loss, "group, z-order or text", 1);
		double x0 = ob->type == SHAPE_BOX ? ob->pts[0] : ob->x0;
		double y0 = ob->type == SHAPE_BOX ? ob->pts[1] : ob->y0;
		double x1 = ob->type == SHAPE_BOX ? ob->pts[2] : ob->x1;
		double y1 = ob->type == SHAPE_BOX ? ob->pts[3] : ob->y1;
		buf_reset(&w->line);
		buf_addf(&w->line, "%lld,%lld,", (long long)frame,
			 ob->has_track ? (long long)ob->track : -1LL);
		add_num(&w->line, x0);
		buf_addch(&w->line, ',');
		add_num(&w->line, y0);
		buf_addch(&w->line, ',');
		add_extent(&w->line, x0, x1);
		buf_addch(&w->line, ',');
		add_extent(&w->line, y0, y1);
		buf_addch(&w->line, ',');
		add_num(&w->line, conf);
		buf_addf(&w->line, ",%lld,", (long long)w->cls[ob->label]);
		add_num(&w->line, vis);
		buf_addch(&w->line, '\n');
		(void)has_vis;
		if (fwrite(w->line.data, 1, w->line.len, w->gt) != w->line.len) {
			buf_setf(w->err, "cannot write gt/gt.txt: %s", strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	ann_doc_release(&d);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_mot_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct mot_wr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.line = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	int rc;
	buf_addf(&w.path, "%s/gt", out);
	if ((rc = fmt_mkdirs(w.path.data, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "mot", err)))
		goto done;
	size_t n = w.l.sc.nlabels;
	w.cls = xrealloc(NULL, (n + 1) * sizeof(*w.cls));
	/* Classes 1..n: the labels' ids when they are exactly that, else by id order. */
	bool keep = true;
	size_t nobj = 0;
	for (size_t i = 0; i < n; i++) {
		if (w.l.ids[i] == -1 && !strcmp(w.l.sc.labels[i].name, "object")) {
			nobj++;
			continue;
		}
		if (w.l.ids[i] < 1 || w.l.ids[i] > MAX_CLASSES)
			keep = false;
	}
	if (nobj > 1)
		keep = false;
	int64_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		if (keep) {
			w.cls[i] = w.l.ids[i];
		} else {
			size_t rank = 1;
			for (size_t k = 0; k < n; k++)
				if (w.l.ids[k] < w.l.ids[i] || (w.l.ids[k] == w.l.ids[i] && k < i))
					rank++;
			w.cls[i] = (int64_t)rank;
		}
		if (w.cls[i] > nc)
			nc = w.cls[i];
	}
	struct buf lb = BUF_INIT;
	for (int64_t c = 1; c <= nc; c++) {
		const char *name = NULL;
		for (size_t i = 0; i < n; i++)
			if (w.cls[i] == c)
				name = w.l.sc.labels[i].name;
		if (name)
			buf_addf(&lb, "%s\n", name);
		else
			buf_addf(&lb, "unused_%lld\n", (long long)c); /* keeps the line numbers of the classes */
	}
	buf_reset(&w.path);
	buf_addf(&w.path, "%s/gt/labels.txt", out);
	FILE *lf = fopen(w.path.data, "w");
	if (!lf || fwrite(lb.data ? lb.data : "", 1, lb.len, lf) != lb.len || fclose(lf)) {
		buf_setf(err, "cannot write '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	buf_release(&lb);
	if (rc)
		goto done;
	buf_reset(&w.path);
	buf_addf(&w.path, "%s/gt/gt.txt", out);
	w.gt = fopen(w.path.data, "w");
	if (!w.gt) {
		buf_setf(err, "cannot write '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
		goto done;
	}
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	/* Frames kept from the file names or the import first, then the rest. */
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (fclose(w.gt) && !rc) {
		buf_setf(err, "cannot write gt/gt.txt: %s", strerror(errno));
		rc = CAIRN_EIO;
	}
	if (!rc) {
		buf_reset(&w.path);
		buf_addf(&w.path, "%s/seqinfo.ini", out);
		FILE *f = fopen(w.path.data, "w");
		if (!f || fprintf(f, "[Sequence]\nname=%s\nimDir=img1\nframeRate=30\nseqLength=%lld\n"
				  "imWidth=%d\nimHeight=%d\nimExt=%s\n", "cairn",
				  (long long)w.max_frame, w.width, w.height,
				  w.ext[0] ? w.ext : ".jpg") < 0 || fclose(f)) {
			buf_setf(err, "cannot write '%s': %s", w.path.data, strerror(errno));
			rc = CAIRN_EIO;
		}
	}
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	free(w.cls);
	free(w.used.v);
	buf_release(&w.line);
	buf_release(&w.path);
	return rc;
}
