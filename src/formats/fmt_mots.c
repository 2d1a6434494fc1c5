/*
 * fmt_mots.c - MOTS (Multi-Object Tracking and Segmentation), PNG layout:
 * <split>/instances/<frame>.png are 16-bit greyscale PNGs whose pixel value
 * is class * 1000 + instance (0 background), <split>/instances/labels.txt
 * names the classes (line k is class k), and <split>/images/ holds the
 * frames. Each value present becomes one mask object of that class, with
 * the instance number as its track. Without labels.txt the classes are
 * MOTS's own: 1 car, 2 pedestrian, 10 ignored. Class 10 with fewer than
 * ten labels is "ignored" (z-order 1), as in Datumaro. One PNG is decoded
 * at a time. Conventions: docs/formats/mots.md.
 */
#include "formats/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "media/mask_png.h"
#include "store/store.h"
#include "formats/fmt_masks.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"  /* fmt_strmap */
#include "base/banned.h"

int fmt_mots_probe(const char *path);
int fmt_mots_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_mots_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_mots_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);
int fmt_mots_read_txt_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);

#define MAX_INSTANCES 1000
#define IGNORED_CLASS 10
#define MAX_FILES 10000000
#define MAX_DEPTH 8
#define PNG_MAX ((size_t)256 << 20)

struct trd {
	struct fmt_sink *s;
	struct buf *err;
	char **names;               /* class k is names[k - 1] */
	size_t nnames;
	bool declared[MAX_INSTANCES];  /* by class: 65535 / 1000 < 1000 */
	bool own_labels;            /* MOTS's defaults (no labels.txt) */
	int64_t next_image;
	struct fmt_strmap frames;   /* txt: "<seq>/<frame>" -> image id */
	struct buf where, path;
};

static const char *const default_names[] = {"car", "pedestrian"};

static void set_labels(struct trd *r, char **names, size_t n)
{
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	r->names = names;
	r->nnames = n;
}

/* The class's category (declared on first use); 0 with *rc when unknown. */
static int64_t class_cat(struct trd *r, long cls, const char *file, int *rc)
{
	*rc = 0;
	const char *name = NULL;
	if (cls >= 1 && (size_t)cls <= r->nnames)
		name = r->names[cls - 1];
	else if (cls == IGNORED_CLASS)
		name = "ignored";
	if (!name) {
		*rc = fmt_sink_invalid(r->s, file, "class %ld (pixel value %ld..%ld): not in "
				       "labels.txt (%zu classes)", cls, cls * MAX_INSTANCES,
				       cls * MAX_INSTANCES + MAX_INSTANCES - 1, r->nnames);
		return 0;
	}
	if (!r->declared[cls]) {
		struct fmt_category c;
		memset(&c, 0, sizeof(c));
		c.id = cls;
		c.name = name;
		c.where = file;
		if ((*rc = fmt_sink_category(r->s, &c)))
			return 0;
		r->declared[cls] = true;
	}
	return cls;
}

/* The objects of one decoded PNG. */
static int emit_png(struct trd *r, const struct mask_png_label *lab, size_t n, int64_t image,
		    int64_t frame, const char *file)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint32_t v = lab[i].value;
		long cls = (long)(v / MAX_INSTANCES), inst = (long)(v % MAX_INSTANCES);
		if (cls == 0)
			continue;
		int64_t cat = class_cat(r, cls, file, &rc);
		if (rc || !cat)
			continue;
		struct fmt_object o;
		memset(&o, 0, sizeof(o));
		o.image_id = image;
		o.category_id = cat;
		o.type = SHAPE_MASK;
		o.mask = &lab[i].rle;
		o.has_frame = true;
		o.frame = frame;
		o.has_track = true;
		o.track = inst;
		o.z_order = cls == IGNORED_CLASS && r->nnames < IGNORED_CLASS ? 1 : 0;
		o.where = file;
		rc = fmt_sink_object(r->s, &o);
	}
	return rc;
}

static int decode(struct trd *r, const void *data, size_t len, const char *file,
		  struct mask_png_label **lab, size_t *n)
{
	struct buf e = BUF_INIT;
	struct mask_png_info info;
	int rc = mask_png_decode_values(lab, n, &info, data, len, &e);
	if (!rc && info.kind == MASK_PNG_RGB) {
		mask_png_labels_free(*lab, *n);
		*lab = NULL;
		*n = 0;
		rc = fmt_sink_invalid(r->s, file, "a MOTS instance PNG must be greyscale (16-bit: "
				      "class * 1000 + instance), not RGB");
		rc = rc ? rc : 1;
	} else if (rc) {
		rc = fmt_sink_invalid(r->s, file, "%s", e.data);
		rc = rc ? rc : 1;
	}
	buf_release(&e);
	return rc;
}

int fmt_mots_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err)
{
	struct trd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	char **names = xrealloc(NULL, 2 * sizeof(char *));
	names[0] = xstrdup(default_names[0]);
	names[1] = xstrdup(default_names[1]);
	set_labels(&r, names, 2);
	struct mask_png_label *lab = NULL;
	size_t n = 0;
	int rc = decode(&r, data, len, name, &lab, &n);
	if (!rc) {
		struct fmt_image im = {.id = 1, .file_name = "1.jpg", .where = name};
		im.width = n ? (int32_t)lab[0].rle.w : 0;
		im.height = n ? (int32_t)lab[0].rle.h : 0;
		rc = fmt_sink_image(s, &im);
		if (!rc)
			rc = emit_png(&r, lab, n, 1, 0, name);
	}
	mask_png_labels_free(lab, n);
	set_labels(&r, NULL, 0);
	return rc > 0 ? 0 : rc;
}

static int read_labels_txt(struct trd *r, const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		char **names = xrealloc(NULL, 2 * sizeof(char *));
		names[0] = xstrdup(default_names[0]);
		names[1] = xstrdup(default_names[1]);
		set_labels(r, names, 2);
		r->own_labels = true;
		return 0;
	}
	char **names = NULL;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t l;
	long ln = 0;
	int rc = 0;
	while ((l = getline(&line, &cap, f)) >= 0) {
		ln++;
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = 0;
		char *t = line;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		if (n >= 65) {
			buf_setf(r->err, "%s:%ld: more classes than 16-bit pixel values can carry (65)",
				 name, ln);
			rc = CAIRN_EINVAL;
			break;
		}
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(t);
	}
	free(line);
	fclose(f);
	set_labels(r, names, n);
	r->own_labels = false;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PNG paths under dir (relative), recursively. */
static void list_pngs(const char *dir, const char *rel, int depth, char ***v, size_t *n)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s%s%s", dir, *rel ? "/" : "", rel);
	DIR *d = opendir(p.data);
	struct dirent *e;
	while (d && (e = readdir(d)) && *n < MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		struct buf c = BUF_INIT, full = BUF_INIT;
		buf_addf(&c, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		buf_addf(&full, "%s/%s", dir, c.data);
		size_t l = strlen(e->d_name);
		if (is_dir(full.data)) {
			if (depth < MAX_DEPTH)
				list_pngs(dir, c.data, depth + 1, v, n);
		} else if (l > 4 && !strcmp(e->d_name + l - 4, ".png")) {
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

/* One split folder: dir/instances and dir/images; rel names it in messages. */
static int read_split(struct trd *r, const char *root, const char *rel, const char *split)
{
	struct buf dir = BUF_INIT, name = BUF_INIT, fn = BUF_INIT;
	buf_addf(&dir, "%s%s%s", root, *rel ? "/" : "", rel);
	const char *pre = *rel ? "/" : "";
	buf_addf(&r->path, "%s/instances/labels.txt", dir.data);
	buf_addf(&name, "%s%sinstances/labels.txt", rel, pre);
	int rc = read_labels_txt(r, r->path.data, name.data);
	/* Every class is declared, in order, so that class numbers survive export. */
	memset(r->declared, 0, sizeof(r->declared));
	for (size_t k = 1; k <= r->nnames && !rc; k++)
		class_cat(r, (long)k, name.data, &rc);
	buf_reset(&r->path);
	buf_addf(&r->path, "%s/instances", dir.data);
	char **v = NULL;
	size_t n = 0;
	list_pngs(r->path.data, "", 0, &v, &n);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	if (!rc && n >= MAX_FILES) {
		buf_setf(r->err, "%s%sinstances: more than %d PNGs", rel, pre, MAX_FILES);
		rc = CAIRN_ETOOBIG;
	}
	/* Cairn's splits are train, val and test: another folder stays in the file name. */
	bool known = split && (!strcmp(split, "train") || !strcmp(split, "val") ||
			       !strcmp(split, "test"));
	fmt_sink_split(r->s, known ? split : NULL);
	const char *fpre = known || !*rel ? "" : rel;
	for (size_t i = 0; i < n && !rc; i++) {
		buf_reset(&name);
		buf_addf(&name, "%s%sinstances/%s", rel, pre, v[i]);
		buf_reset(&r->path);
		buf_addf(&r->path, "%s/instances/%s", dir.data, v[i]);
		char *data = NULL;
		size_t len = 0;
		FILE *f = fopen(r->path.data, "rb");
		if (!f) {
			buf_setf(r->err, "%s: cannot open: %s", name.data, strerror(errno));
			rc = CAIRN_EIO;
			break;
		}
		struct buf b = BUF_INIT;
		char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= PNG_MAX)
			buf_add(&b, chunk, k);
		fclose(f);
		if (b.len > PNG_MAX) {
			buf_release(&b);
			buf_setf(r->err, "%s: larger than %zu bytes", name.data, PNG_MAX);
			rc = CAIRN_ETOOBIG;
			break;
		}
		data = buf_detach(&b, &len);
		struct mask_png_label *lab = NULL;
		size_t nl = 0;
		int drc = decode(r, data ? data : "", len, name.data, &lab, &nl);
		free(data);
		if (drc) {
			rc = drc > 0 ? 0 : drc;
			continue;
		}
		/* The frame: images/<stem>.<ext>, else <stem>.jpg. */
		char *stem = xstrdup(v[i]);
		stem[strlen(stem) - 4] = 0;
		static const char *const exts[] = {".jpg", ".png", ".jpeg", ".bmp", ".JPG", ".PNG"};
		buf_reset(&fn);
		buf_addf(&fn, "%s%simages/%s.jpg", fpre, *fpre ? "/" : "", stem);
		for (size_t e = 0; e < sizeof(exts) / sizeof(*exts); e++) {
			buf_reset(&r->path);
			buf_addf(&r->path, "%s/images/%s%s", dir.data, stem, exts[e]);
			if (is_file(r->path.data)) {
				buf_reset(&fn);
				buf_addf(&fn, "%s%simages/%s%s", fpre, *fpre ? "/" : "", stem, exts[e]);
				break;
			}
		}
		/* The frame number: the name when it is a number, else the order. */
		int64_t frame = (int64_t)i;
		if (*stem && strlen(stem) < 15 && strspn(stem, "0123456789") == strlen(stem))
			frame = strtoll(stem, NULL, 10);
		free(stem);
		struct fmt_image im;
		memset(&im, 0, sizeof(im));
		im.id = ++r->next_image;
		im.file_name = fn.data;
		if (nl) {
			im.width = (int32_t)lab[0].rle.w;
			im.height = (int32_t)lab[0].rle.h;
		}
		im.where = name.data;
		rc = fmt_sink_image(r->s, &im);
		if (!rc)
			rc = emit_png(r, lab, nl, im.id, frame, name.data);
		mask_png_labels_free(lab, nl);
	}
	fmt_sink_split(r->s, NULL);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	buf_reset(&r->path);
	buf_release(&dir);
	buf_release(&name);
	buf_release(&fn);
	return rc;
}

static void default_labels(struct trd *r)
{
	char **names = xrealloc(NULL, 2 * sizeof(char *));
	names[0] = xstrdup(default_names[0]);
	names[1] = xstrdup(default_names[1]);
	set_labels(r, names, 2);
	r->own_labels = true;
}

/*
 * The txt layout (KITTI MOTS instances_txt/<seq>.txt, MOTSChallenge):
 * "frame id class height width rle" a line, id = class * 1000 + instance,
 * rle a COCO compressed string. Each (sequence, frame) is one image,
 * "<seq>/<frame:06>.png"; each line one mask.
 */
static int read_txt(struct trd *r, FILE *f, const char *name, const char *seq)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;
	struct buf fn = BUF_INIT, e = BUF_INIT;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		buf_reset(&r->where);
		buf_addf(&r->where, "%s:%ld", name, ln);
		if (memchr(line, 0, (size_t)n)) {
			rc = fmt_sink_invalid(r->s, r->where.data, "a NUL byte (not a text file)");
			continue;
		}
		char *tok[7];
		int nt = 0;
		char *save = NULL;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && nt < 7;
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[nt++] = t;
		if (!nt)
			continue;
		if (nt != 6) {
			rc = fmt_sink_invalid(r->s, r->where.data, "expected 6 columns (frame id class "
					      "height width rle), got %d", nt);
			continue;
		}
		static const char *const col[] = {"frame", "id", "class", "height", "width"};
		int64_t v[5];
		static const int64_t hi[] = {INT32_MAX, 65535, 65, 100000, 100000};
		bool ok = true;
		for (int i = 0; i < 5 && ok; i++) {
			if (!fmt_xml_int(tok[i], i >= 3 ? 1 : 0, hi[i], &v[i])) {
				rc = fmt_sink_invalid(r->s, r->where.data, "column %d (%s): expected a whole "
						      "number from %d to %lld, got \"%s\"", i + 1, col[i],
						      i >= 3 ? 1 : 0, (long long)hi[i], tok[i]);
				ok = false;
			}
		}
		if (!ok)
			continue;
		if (v[1] / MAX_INSTANCES != v[2]) {
			rc = fmt_sink_invalid(r->s, r->where.data, "id %lld is not class %lld * 1000 + "
					      "instance", (long long)v[1], (long long)v[2]);
			continue;
		}
		struct rle m = RLE_INIT;
		buf_reset(&e);
		if (rle_from_string(&m, tok[5], (uint32_t)v[3], (uint32_t)v[4], &e)) {
			rc = fmt_sink_invalid(r->s, r->where.data, "column 6 (rle): %s", e.data);
			continue;
		}
		buf_reset(&fn);
		buf_addf(&fn, "%s%s%06lld.png", seq ? seq : "", seq ? "/" : "", (long long)v[0]);
		int64_t image;
		if (!fmt_strmap_get(&r->frames, fn.data, &image)) {
			image = ++r->next_image;
			fmt_strmap_put(&r->frames, fn.data, image);
			struct fmt_image im = {.id = image, .file_name = fn.data, .width = (int32_t)v[4],
					       .height = (int32_t)v[3], .where = r->where.data};
			rc = fmt_sink_image(r->s, &im);
		}
		if (!rc && v[2] != 0) {
			int64_t cat = class_cat(r, (long)v[2], r->where.data, &rc);
			if (!rc && cat) {
				struct fmt_object o;
				memset(&o, 0, sizeof(o));
				o.image_id = image;
				o.category_id = cat;
				o.type = SHAPE_MASK;
				o.mask = &m;
				o.has_frame = true;
				o.frame = v[0];
				o.has_track = true;
				o.track = v[1] % MAX_INSTANCES;
				o.z_order = v[2] == IGNORED_CLASS && r->nnames < IGNORED_CLASS ? 1 : 0;
				o.where = r->where.data;
				rc = fmt_sink_object(r->s, &o);
			}
		}
		rle_release(&m);
	}
	free(line);
	buf_release(&fn);
	buf_release(&e);
	return rc;
}

int fmt_mots_read_txt_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err)
{
	struct trd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.where = (struct buf)BUF_INIT;
	default_labels(&r);
	int rc = 0;
	FILE *f = len ? fmemopen((void *)data, len, "r") : NULL;
	if (f) {
		rc = read_txt(&r, f, name, "0000");
		fclose(f);
	}
	set_labels(&r, NULL, 0);
	fmt_strmap_release(&r.frames);
	buf_release(&r.where);
	return rc;
}

/* instances_txt/<seq>.txt (or one .txt file), with images/<seq>/ as media. */
static int read_txt_layout(struct trd *r, const char *path, bool file)
{
	struct buf p = BUF_INIT, rel = BUF_INIT;
	char **v = NULL;
	size_t n = 0;
	int rc = 0;
	const char *dir = path;
	char *parent = NULL;
	if (file) {
		parent = xstrdup(path);
		char *sl = strrchr(parent, '/');
		if (sl)
			*sl = 0;
		else
			snprintf(parent, 2, ".");
		const char *b = strrchr(path, '/');
		v = xrealloc(NULL, sizeof(*v));
		v[n++] = xstrdup(b ? b + 1 : path);
		dir = parent;
	} else {
		buf_addf(&p, "%s/instances_txt", path);
		DIR *d = opendir(p.data);
		struct dirent *e;
		while (d && (e = readdir(d)) && n < MAX_FILES) {
			size_t l = strlen(e->d_name);
			if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".txt"))
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
		if (d)
			closedir(d);
		if (n)
			qsort(v, n, sizeof(*v), cmp_str);
	}
	/* labels.txt beside the files names the classes, else MOTS's own. */
	buf_reset(&p);
	buf_addf(&p, "%s%s/labels.txt", file ? dir : path, file ? "" : "/instances_txt");
	rc = read_labels_txt(r, p.data, file ? "labels.txt" : "instances_txt/labels.txt");
	for (size_t k = 1; k <= r->nnames && !rc; k++)
		class_cat(r, (long)k, file ? "labels.txt" : "instances_txt/labels.txt", &rc);
	for (size_t i = 0; i < n; i++) {
		if (!rc && strcmp(v[i], "labels.txt")) {
			buf_reset(&p);
			buf_addf(&p, "%s%s/%s", file ? dir : path, file ? "" : "/instances_txt", v[i]);
			buf_reset(&rel);
			buf_addf(&rel, "%s%s", file ? "" : "instances_txt/", v[i]);
			FILE *f = fopen(p.data, "r");
			if (!f) {
				buf_setf(r->err, "%s: cannot open: %s", rel.data, strerror(errno));
				rc = CAIRN_EIO;
			} else {
				v[i][strlen(v[i]) - 4] = 0;
				rc = read_txt(r, f, rel.data, v[i]);
				fclose(f);
			}
		}
		free(v[i]);
	}
	free(v);
	buf_reset(&p);
	buf_addf(&p, "%s/images", file ? dir : path);
	fmt_sink_media_dir(r->s, is_dir(p.data) ? p.data : file ? dir : path);
	free(parent);
	buf_release(&p);
	buf_release(&rel);
	return rc;
}

int fmt_mots_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct trd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.where = (struct buf)BUF_INIT;
	r.path = (struct buf)BUF_INIT;
	fmt_sink_media_dir(s, path);
	int rc = 0;
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/instances", path);
	struct buf q = BUF_INIT;
	buf_addf(&q, "%s/instances_txt", path);
	bool is_txt = is_file(path) && strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".txt");
	if (is_txt || (is_dir(q.data) && !is_dir(p.data))) {
		rc = read_txt_layout(&r, path, is_txt);
	} else if (is_dir(p.data)) {
		rc = read_split(&r, path, "", NULL);
	} else {
		DIR *d = opendir(path);
		char **v = NULL;
		size_t n = 0;
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			buf_reset(&p);
			buf_addf(&p, "%s/%s/instances", path, e->d_name);
			if (!is_dir(p.data))
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
		if (d)
			closedir(d);
		if (n)
			qsort(v, n, sizeof(*v), cmp_str);
		else {
			buf_setf(err, "%s: no instances/ folder (a MOTS dataset has "
				 "<split>/instances/*.png)", path);
			rc = CAIRN_EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = read_split(&r, path, v[i], v[i]);
			free(v[i]);
		}
		free(v);
	}
	set_labels(&r, NULL, 0);
	fmt_strmap_release(&r.frames);
	buf_release(&p);
	buf_release(&q);
	buf_release(&r.where);
	buf_release(&r.path);
	return rc;
}

int fmt_mots_probe(const char *path)
{
	if (!is_dir(path))
		return 0;
	struct buf p = BUF_INIT;
	int score = 0;
	buf_addf(&p, "%s/instances", path);
	if (is_dir(p.data))
		score = 40;
	buf_reset(&p);
	buf_addf(&p, "%s/instances_txt", path);
	if (is_dir(p.data)) {
		buf_release(&p);
		return 85;
	}
	DIR *d = score ? NULL : opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) && !score) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s/instances", path, e->d_name);
		if (is_dir(p.data))
			score = 40;
	}
	if (d)
		closedir(d);
	/* labels.txt beside the PNGs makes it sure. */
	buf_reset(&p);
	buf_addf(&p, "%s/instances/labels.txt", path);
	if (score && is_file(p.data))
		score = 85;
	d = score == 40 ? opendir(path) : NULL;
	while (d && (e = readdir(d))) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s/instances/labels.txt", path, e->d_name);
		if (e->d_name[0] != '.' && is_file(p.data))
			score = 85;
	}
	if (d)
		closedir(d);
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct twr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	long *cls;                  /* per label: the class number */
	long ignored;               /* label index written as class 10, or -1 */
	int64_t last_id, done;
	struct buf path, png;
	struct fmt_strmap splits;   /* split folders with their labels.txt written */
	int rc;
};

static int cmp_z(const void *a, const void *b)
{
	const struct ann_object *x = *(const struct ann_object *const *)a;
	const struct ann_object *y = *(const struct ann_object *const *)b;
	return (x->z_order > y->z_order) - (x->z_order < y->z_order);
}

static int write_labels(struct twr *w, const char *dir)
{
	if (fmt_strmap_get(&w->splits, dir, NULL))
		return 0;
	fmt_strmap_put(&w->splits, dir, 1);
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/instances", dir);
	int rc = fmt_mkdirs(w->path.data, w->err);
	if (rc)
		return rc;
	buf_adds(&w->path, "/labels.txt");
	FILE *f = fopen(w->path.data, "w");
	if (!f) {
		buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
		return CAIRN_EIO;
	}
	for (size_t i = 0; i < w->l.sc.nlabels; i++)
		if ((long)i != w->ignored)
			fprintf(f, "%s\n", w->l.sc.labels[i].name);
	if (fclose(f)) {
		buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct twr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	struct buf dir = BUF_INIT;
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	const char *im = strstr(fn, "/images/");
	const char *rel = !strncmp(fn, "images/", 7) ? fn + 7 : base;
	if (split && *split)
		buf_addf(&dir, "%s/%s", w->out, split);
	else if (im && !strncmp(im + 1, "images/", 7)) {
		/* "<folder>/images/<frame>": a sequence folder that is not a split. */
		buf_addf(&dir, "%s/%.*s", w->out, (int)(im - fn), fn);
		rel = im + 8;
	} else if (base != fn && strncmp(fn, "images/", 7)) {
		/* "<seq>/<frame>" (the txt layout): the sequence is a folder. */
		buf_addf(&dir, "%s/%.*s", w->out, (int)(base - 1 - fn), fn);
	} else
		buf_adds(&dir, w->out);
	if (split && *split && rel == base && base != fn && strncmp(fn, "images/", 7) &&
	    !(im && rel == im + 8))
		fmt_loss_add(w->loss, "image folder (MOTS frames are flat in images/)", 1);
	char *stem = xstrdup(rel);
	char *dot = strrchr(stem, '.');
	if (dot && !strchr(dot, '/'))
		*dot = 0;
	int rc = 0;
	if (!*stem || strstr(stem, "..") || strstr(dir.data + strlen(w->out), "..") ||
	    (split && strchr(split, '/'))) {
		buf_setf(w->err, "item %lld: file name '%s' is not usable", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc)
		rc = write_labels(w, dir.data);
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/images/%s", dir.data, rel);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	uint32_t W = it->width > 0 ? (uint32_t)it->width : 0, H = it->height > 0 ? (uint32_t)it->height : 0;
	if (!rc && found && d.nobjects && (!W || !H)) {
		fmt_loss_add(w->loss, "objects of an item without a size", (int64_t)d.nobjects);
		found = false;
	}
	if (!rc && found && (uint64_t)W * H > MASK_PNG_MAX_PIXELS / 4) {
		buf_setf(w->err, "item %lld: %ux%u is too large for one PNG", (long long)it->id, W, H);
		rc = CAIRN_ETOOBIG;
	}
	const struct ann_object **order = NULL;
	size_t no = 0;
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type == SHAPE_TAG) {
			fmt_loss_add(w->loss, "tag (not in MOTS)", 1);
			continue;
		}
		order = xrealloc(order, (no + 1) * sizeof(*order));
		order[no++] = ob;
	}
	if (no)
		qsort(order, no, sizeof(*order), cmp_z);
	uint32_t *px = NULL;
	if (!rc && no) {
		px = calloc((size_t)W * H, sizeof(*px));
		if (!px)
			abort();
	}
	uint8_t *bm = NULL;
	int64_t next_inst = 1;
	for (size_t i = 0; !rc && i < no; i++) {
		const struct ann_object *ob = order[i];
		struct rle m = RLE_INIT;
		if (!fmt_masks_object_rle(ob, H, W, &m, w->loss, "MOTS"))
			continue;
		int64_t inst = ob->has_track ? ob->track : next_inst;
		json_t *a = ob->attrs ? json_loads(ob->attrs, 0, NULL) : NULL;
		json_t *tid = json_object_get(a, "track_id");
		if (!ob->has_track && json_is_integer(tid))
			inst = json_integer_value(tid);
		json_decref(a);
		if (inst >= next_inst)
			next_inst = inst + 1;
		long cls = w->cls[ob->label];
		if (inst < 0 || inst >= MAX_INSTANCES || cls < 1 || cls > 65) {
			fmt_loss_add(w->loss, inst < 0 || inst >= MAX_INSTANCES
					      ? "track number over 999 (not in MOTS)"
					      : "label past class 65 (not in 16-bit MOTS PNGs)", 1);
			rle_release(&m);
			continue;
		}
		if (!bm) {
			bm = malloc((size_t)W * H);
			if (!bm)
				abort();
		}
		rle_to_bitmap_rowmajor(&m, bm);
		uint32_t val = (uint32_t)(cls * MAX_INSTANCES + inst);
		for (size_t k = 0; k < (size_t)W * H; k++)
			if (bm[k])
				px[k] = val;
		rle_release(&m);
		if (ob->occluded || ob->has_group || ob->text || ob->has_score)
			fmt_loss_add(w->loss, "occluded, group, score or text", 1);
	}
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (!rc && px) {
		buf_reset(&w->png);
		rc = mask_png_encode_values(px, W, H, MASK_PNG_GREY, 16, NULL, 0, &w->png, w->err);
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/instances/%s.png", dir.data, stem);
		char *sl = strrchr(w->path.data, '/');
		*sl = 0;
		if (!rc)
			rc = fmt_mkdirs(w->path.data, w->err);
		*sl = '/';
		FILE *f = rc ? NULL : fopen(w->path.data, "wb");
		if (!rc && (!f || fwrite(w->png.data, 1, w->png.len, f) != w->png.len)) {
			buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
			rc = CAIRN_EIO;
		}
		if (f && fclose(f) && !rc) {
			buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	free(bm);
	free(px);
	free(order);
	ann_doc_release(&d);
	free(stem);
	free(tmp);
	buf_release(&dir);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_mots_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct twr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.path = (struct buf)BUF_INIT;
	w.png = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "mots", err)))
		return rc;
	/* Classes: the labels in the project's order from 1; "ignored" is 10 when
	 * there are fewer than ten others (and is not listed in labels.txt). */
	w.cls = xrealloc(NULL, (w.l.sc.nlabels + 1) * sizeof(*w.cls));
	w.ignored = -1;
	for (size_t i = 0; i < w.l.sc.nlabels; i++)
		if (!strcmp(w.l.sc.labels[i].name, "ignored") && w.l.sc.nlabels - 1 < IGNORED_CLASS)
			w.ignored = (long)i;
	long k = 0;
	for (size_t i = 0; i < w.l.sc.nlabels; i++)
		w.cls[i] = (long)i == w.ignored ? IGNORED_CLASS : ++k;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	free(w.cls);
	fmt_strmap_release(&w.splits);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	buf_release(&w.path);
	buf_release(&w.png);
	return rc;
}
