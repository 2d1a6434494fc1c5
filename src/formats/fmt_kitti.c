/*
 * fmt_kitti.c - KITTI 2D object detection: <split>/label_2/<name>.txt, one
 * object a line (type truncated occluded alpha x1 y1 x2 y2 h w l x y z
 * rotation_y [score]), images in <split>/image_2/. Each line is a box
 * [x1, y1, x2, y2] taken as written (KITTI's pixel coordinates, no
 * shift) of the category named by type (DontCare too), with truncated,
 * occluded, alpha, the 3D fields and score kept as number attributes so
 * that they are written back unchanged. Files are streamed a line at a
 * time. Conventions: docs/formats/kitti.md.
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
#include "media/media.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_kitti_probe(const char *path);
int fmt_kitti_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_kitti_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_kitti_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		       struct buf *err);

#define MAX_FILES 10000000
#define MAX_TYPES 10000

/* KITTI's classes keep these ids (Datumaro's order, from 1). */
static const char *const kitti_names[] = {
	"Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare",
};
#define NKITTI (sizeof(kitti_names) / sizeof(*kitti_names))

/* Columns 2..15 (and 16) as attributes; the box is 5..8. */
static const char *const col_name[] = {
	"type", "truncated", "occluded", "alpha", "x1", "y1", "x2", "y2", "height_3d", "width_3d",
	"length_3d", "x_3d", "y_3d", "z_3d", "rotation_y", "score",
};
/* What KITTI writes when a field is not known. */
static const double col_default[] = {0, 0, 0, -10, 0, 0, 0, 0, -1, -1, -1, -1000, -1000, -1000, -10, 0};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The size of the image file at path (read whole, up to 64 MiB, as
 * media_probe checks the file), or 0 x 0. Shared with fmt_mot.c. */
void fmt_kitti_image_size(const char *path, int32_t *w, int32_t *h);
void fmt_kitti_image_size(const char *path, int32_t *w, int32_t *h)
{
	*w = *h = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < ((size_t)64 << 20))
		buf_add(&b, chunk, n);
	fclose(f);
	struct media_info mi;
	memset(&mi, 0, sizeof(mi));
	struct buf e = BUF_INIT;
	if (!media_probe((const unsigned char *)b.data, b.len, path, &mi, &e) && mi.width > 0 &&
	    mi.height > 0) {
		*w = mi.width;
		*h = mi.height;
	}
	buf_release(&e);
	buf_release(&b);
}

struct krd {
	struct fmt_sink *s;
	struct buf *err;
	char **types;               /* declared categories; id = index + 1 */
	size_t ntypes;
	bool *declared;
	int64_t next_image;
};

static void krd_release(struct krd *r)
{
	for (size_t i = 0; i < r->ntypes; i++)
		free(r->types[i]);
	free(r->types);
	free(r->declared);
}

static int64_t type_id(struct krd *r, const char *t, const char *where, int *rc)
{
	*rc = 0;
	size_t i = 0;
	while (i < r->ntypes && strcmp(r->types[i], t))
		i++;
	if (i == r->ntypes) {
		if (r->ntypes >= MAX_TYPES) {
			*rc = fmt_sink_invalid(r->s, where, "more than %d object types", MAX_TYPES);
			return 0;
		}
		r->types = xrealloc(r->types, (r->ntypes + 1) * sizeof(*r->types));
		r->declared = xrealloc(r->declared, (r->ntypes + 1) * sizeof(*r->declared));
		r->types[r->ntypes] = xstrdup(t);
		r->declared[r->ntypes++] = false;
	}
	if (!r->declared[i]) {
		struct fmt_category c;
		memset(&c, 0, sizeof(c));
		c.id = (int64_t)i + 1;
		c.name = t;
		c.where = where;
		if ((*rc = fmt_sink_category(r->s, &c)))
			return 0;
		r->declared[i] = true;
	}
	return (int64_t)i + 1;
}

static int read_line(struct krd *r, char *line, const char *name, long ln, int64_t image)
{
	char where[600];
	snprintf(where, sizeof(where), "%s:%ld", name, ln);
	char *tok[17];
	int nt = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (nt == 17) {
			nt++;
			break;
		}
		tok[nt++] = t;
	}
	if (nt != 15 && nt != 16)
		return fmt_sink_invalid(r->s, where, "expected 15 or 16 space-separated columns (type "
					"truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y "
					"[score]), got %d", nt);
	double v[16];
	for (int i = 1; i < nt; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(tok[i], &end);
		if (end == tok[i] || *end || errno == ERANGE || !isfinite(v[i]))
			return fmt_sink_invalid(r->s, where, "column %d (%s): expected a number, got \"%s\"",
						i + 1, col_name[i], tok[i]);
	}
	if (v[2] != floor(v[2]) || v[2] < -1 || v[2] > 3)
		return fmt_sink_invalid(r->s, where, "column 3 (occluded): expected 0, 1, 2, 3 (or -1), "
					"got \"%s\"", tok[2]);
	if (v[6] < v[4] || v[7] < v[5])
		return fmt_sink_invalid(r->s, where, "column %d (%s): expected >= %s, got \"%s\"",
					v[6] < v[4] ? 7 : 8, v[6] < v[4] ? "x2" : "y2",
					v[6] < v[4] ? tok[4] : tok[5], v[6] < v[4] ? tok[6] : tok[7]);
	int rc;
	int64_t cat = type_id(r, tok[0], where, &rc);
	if (rc || !cat)
		return rc;
	json_t *a = json_object();
	for (int i = 1; i < nt; i++)
		if (i < 4 || i > 7)
			json_object_set_new(a, col_name[i], json_real(v[i]));
	double pts[4] = {v[4], v[5], v[6], v[7]};
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.image_id = image;
	o.category_id = cat;
	o.type = SHAPE_BOX;
	o.pts = pts;
	o.npts = 4;
	o.attrs = a;
	o.occluded = v[2] > 0;
	o.where = where;
	rc = fmt_sink_object(r->s, &o);
	json_decref(a);
	return rc;
}

static int read_labels(struct krd *r, FILE *f, const char *name, int64_t image)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		if (memchr(line, 0, (size_t)n)) {
			rc = fmt_sink_invalid(r->s, name, "line %ld: a NUL byte (not a text file)", ln);
			continue;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = 0;
		if (!n)
			continue;
		rc = read_line(r, line, name, ln, image);
	}
	free(line);
	return rc;
}

static void declare_known(struct krd *r)
{
	for (size_t i = 0; i < NKITTI; i++) {
		r->types = xrealloc(r->types, (r->ntypes + 1) * sizeof(*r->types));
		r->declared = xrealloc(r->declared, (r->ntypes + 1) * sizeof(*r->declared));
		r->types[r->ntypes] = xstrdup(kitti_names[i]);
		r->declared[r->ntypes++] = false;
	}
}

/* One split folder: <dir>/label_2 and <dir>/image_2. */
static int read_split(struct krd *r, const char *dir, const char *rel, const char *split)
{
	struct buf p = BUF_INIT, name = BUF_INIT, fn = BUF_INIT;
	buf_addf(&p, "%s/label_2", dir);
	DIR *d = opendir(p.data);
	char **files = NULL;
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && n < MAX_FILES) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".txt"))
			continue;
		files = xrealloc(files, (n + 1) * sizeof(*files));
		files[n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), cmp_str);
	buf_reset(&p);
	buf_addf(&p, "%s/image_2", dir);
	fmt_sink_media_dir(r->s, p.data);
	fmt_sink_split(r->s, split);
	int rc = 0;
	if (n >= MAX_FILES) {
		buf_setf(r->err, "%s/label_2: more than %d label files", rel, MAX_FILES);
		rc = CAIRN_ETOOBIG;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		buf_reset(&name);
		buf_addf(&name, "%s%slabel_2/%s", rel, *rel ? "/" : "", files[i]);
		char *stem = files[i];
		stem[strlen(stem) - 4] = 0;
		static const char *const exts[] = {".png", ".jpg", ".jpeg", ".PNG", ".JPG"};
		buf_reset(&fn);
		buf_addf(&fn, "%s.png", stem);
		for (size_t k = 0; k < sizeof(exts) / sizeof(*exts); k++) {
			buf_reset(&p);
			buf_addf(&p, "%s/image_2/%s%s", dir, stem, exts[k]);
			if (is_file(p.data)) {
				buf_reset(&fn);
				buf_addf(&fn, "%s%s", stem, exts[k]);
				break;
			}
		}
		struct fmt_image im;
		memset(&im, 0, sizeof(im));
		buf_reset(&p);
		buf_addf(&p, "%s/image_2/%s", dir, fn.data);
		fmt_kitti_image_size(p.data, &im.width, &im.height);
		im.id = ++r->next_image;
		im.file_name = fn.data;
		im.where = name.data;
		if ((rc = fmt_sink_image(r->s, &im)))
			break;
		buf_reset(&p);
		buf_addf(&p, "%s/label_2/%s.txt", dir, stem);
		FILE *f = fopen(p.data, "r");
		if (!f) {
			buf_setf(r->err, "%s: cannot open: %s", name.data, strerror(errno));
			rc = CAIRN_EIO;
			break;
		}
		rc = read_labels(r, f, name.data, im.id);
		fclose(f);
	}
	fmt_sink_split(r->s, NULL);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	buf_release(&p);
	buf_release(&name);
	buf_release(&fn);
	return rc;
}

int fmt_kitti_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct krd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	declare_known(&r);
	struct buf p = BUF_INIT;
	int rc = 0;
	bool any = false;
	buf_addf(&p, "%s/label_2", path);
	if (is_dir(p.data)) {
		any = true;
		rc = read_split(&r, path, "", NULL);
	} else {
		static const char *const splits[][2] = {{"training", "train"}, {"testing", "test"},
							{"train", "train"}, {"val", "val"}, {"test", "test"}};
		for (size_t i = 0; i < sizeof(splits) / sizeof(*splits) && !rc; i++) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s/label_2", path, splits[i][0]);
			if (!is_dir(p.data))
				continue;
			any = true;
			buf_reset(&p);
			buf_addf(&p, "%s/%s", path, splits[i][0]);
			rc = read_split(&r, p.data, splits[i][0], splits[i][1]);
		}
	}
	if (!rc && !any) {
		buf_setf(err, "%s: no label_2/ folder (a KITTI dataset has <split>/label_2/*.txt)", path);
		rc = CAIRN_EINVAL;
	}
	krd_release(&r);
	buf_release(&p);
	return rc;
}

int fmt_kitti_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		       struct buf *err)
{
	struct krd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	declare_known(&r);
	int rc = 0;
	FILE *f = len ? fmemopen((void *)data, len, "r") : NULL;
	if (f) {
		rc = read_labels(&r, f, name, 1);
		fclose(f);
	}
	krd_release(&r);
	return rc;
}

int fmt_kitti_probe(const char *path)
{
	struct buf p = BUF_INIT;
	int score = 0;
	buf_addf(&p, "%s/label_2", path);
	if (is_dir(p.data))
		score = 80;
	buf_reset(&p);
	buf_addf(&p, "%s/training/label_2", path);
	if (is_dir(p.data))
		score = 80;
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct kwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t last_id, done;
	struct buf line, path;
	int rc;
};

static int write_item(void *ctx, const struct item *it)
{
	struct kwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	const char *dir = !split || !*split || !strcmp(split, "train") ? "training"
			  : !strcmp(split, "test") ? "testing" : split;
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	if (base != fn)
		fmt_loss_add(w->loss, "image folder inside the split (KITTI names are flat)", 1);
	char *stem = xstrdup(base);
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	int rc = 0;
	if (!*stem || !strcmp(stem, "..")) {
		buf_setf(w->err, "item %lld: file name '%s' is not usable", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/%s/image_2/%s", w->out, dir, base);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	buf_reset(&w->line);
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (!rc && found && d.nrelations)
		fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type == SHAPE_KEYPOINTS && ob->parent[0]) {
			fmt_loss_add(w->loss, "keypoints of an object (not in KITTI)", 1);
			continue;
		}
		if (ob->type == SHAPE_TAG || ob->type == SHAPE_SPAN || ob->type == SHAPE_SEGMENT ||
		    (ob->type == SHAPE_KEYPOINTS && ob->x1 <= ob->x0)) {
			fmt_loss_add(w->loss, "shape without a box (not in KITTI)", 1);
			continue;
		}
		if (ob->type != SHAPE_BOX)
			fmt_loss_add(w->loss, "shape other than a box (written as its bounding box)", 1);
		const char *name = w->l.sc.labels[ob->label].name;
		if (strpbrk(name, " \t")) {
			fmt_loss_add(w->loss, "space in a label name (written as _)", 1);
		}
		for (const char *c = name; *c; c++)
			buf_addch(&w->line, *c == ' ' || *c == '\t' ? '_' : *c);
		double v[16];
		memcpy(v, col_default, sizeof(v));
		bool has[16] = {0};
		json_t *a = ob->attrs ? json_loads(ob->attrs, 0, NULL) : NULL;
		const char *k;
		json_t *jv;
		size_t other = 0;
		json_object_foreach(a, k, jv) {
			int col = -1;
			for (int c = 1; c < 16; c++)
				if ((c < 4 || c > 7) && !strcmp(k, col_name[c]))
					col = c;
			if (col >= 0 && json_is_number(jv)) {
				v[col] = json_number_value(jv);
				has[col] = true;
			} else if (!json_is_null(jv) && !json_is_false(jv) &&
				   !(json_is_string(jv) && !*json_string_value(jv))) {
				other++;
			}
		}
		json_decref(a);
		if (other)
			fmt_loss_add(w->loss, "object attribute KITTI has no column for", (int64_t)other);
		if (!has[2] && ob->occluded) {
			v[2] = 1;
			has[2] = true;
		}
		if (!has[15] && ob->has_score) {
			v[15] = ob->score;
			has[15] = true;
		}
		if (ob->has_track || ob->has_frame || ob->has_group || ob->z_order || ob->text)
			fmt_loss_add(w->loss, "track, frame, group, z-order or text", 1);
		v[4] = ob->type == SHAPE_BOX ? ob->pts[0] : ob->x0;
		v[5] = ob->type == SHAPE_BOX ? ob->pts[1] : ob->y0;
		v[6] = ob->type == SHAPE_BOX ? ob->pts[2] : ob->x1;
		v[7] = ob->type == SHAPE_BOX ? ob->pts[3] : ob->y1;
		for (int c = 1; c < (has[15] ? 16 : 15); c++) {
			buf_addch(&w->line, ' ');
			json_add_double(&w->line, v[c]);
		}
		buf_addch(&w->line, '\n');
	}
	ann_doc_release(&d);
	if (!rc) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/%s/label_2/%s.txt", w->out, dir, stem);
		rc = fmt_put_file(w->path.data, w->line.data ? w->line.data : "", w->line.len, w->err);
	}
	free(stem);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_kitti_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct kwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.line = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "kitti", err)))
		return rc;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	buf_release(&w.line);
	buf_release(&w.path);
	return rc;
}
