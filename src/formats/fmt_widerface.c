/*
 * fmt_widerface.c - WIDER Face: wider_face_split/wider_face_<split>_bbx_gt.txt
 * lists each image (a path under WIDER_<split>/images/, in an event folder
 * such as 0--Parade), then its number of faces, then one line a face:
 * "x y w h [blur expression illumination invalid occlusion pose] [label]"
 * (Datumaro's column order for the six: blur expression illumination
 * occluded pose invalid). Boxes are pixel x, y, width, height; the six
 * flags are kept as number attributes ("-" is absent, True/False are
 * booleans); a box without a label column is a "face". The event folder's
 * name after "--" is an image tag when it is a known label (labels from
 * dataset_meta.json's label_map, else labels.txt, else the event folders).
 * The file is read a line at a time. Conventions: docs/formats/widerface.md.
 */
#include "formats/fmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"  /* fmt_strmap, fmt_xml_num_out */
#include "base/banned.h"

int fmt_widerface_probe(const char *path);
int fmt_widerface_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_widerface_write(struct store *st, int64_t project_id, const char *out,
			const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_widerface_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err);
void fmt_kitti_image_size(const char *path, int32_t *w, int32_t *h);

#define DEFAULT_LABEL "face"
#define MAX_FACES 1000000
#define MAX_LABELS 100000

/* Datumaro's order of the six flag columns. */
static const char *const flag_name[6] = {"blur", "expression", "illumination", "occluded",
					 "pose", "invalid"};

struct wrd {
	struct fmt_sink *s;
	struct buf *err;
	const char *root;           /* NULL: the file alone */
	const char *split;
	struct fmt_strmap labels;   /* name -> category id */
	bool fixed;                 /* labels come from the label map (no new events) */
	int64_t next_cat, next_image;
	struct buf where, path, fn;
};

static int label_of(struct wrd *r, const char *name, bool create, int64_t *id)
{
	*id = 0;
	if (fmt_strmap_get(&r->labels, name, id))
		return 0;
	if (!create)
		return 0;
	if (r->labels.n >= MAX_LABELS)
		return fmt_sink_invalid(r->s, r->where.data, "more than %d labels", MAX_LABELS);
	struct fmt_category c;
	memset(&c, 0, sizeof(c));
	c.id = r->next_cat++;
	c.name = name;
	c.where = r->where.data;
	int rc = fmt_sink_category(r->s, &c);
	if (!rc) {
		fmt_strmap_put(&r->labels, name, c.id);
		*id = c.id;
	}
	return rc;
}

/* A path line: "0--Parade/0_Parade_image_01.jpg". */
static bool is_path_line(const char *l)
{
	return (strchr(l, '/') || strchr(l, '\\')) && strchr(l, '.');
}

static int image_line(struct wrd *r, char *l, int64_t *image)
{
	for (char *c = l; *c; c++)
		if (*c == '\\')
			*c = '/';
	if (strstr(l, "..") || l[0] == '/')
		return fmt_sink_invalid(r->s, r->where.data, "'%s': not a path inside the dataset", l);
	buf_reset(&r->fn);
	if (r->split)
		buf_addf(&r->fn, "WIDER_%s/images/%s", r->split, l);
	else
		buf_adds(&r->fn, l);
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = ++r->next_image;
	im.file_name = r->fn.data;
	im.where = r->where.data;
	if (r->root) {
		buf_reset(&r->path);
		buf_addf(&r->path, "%s/%s", r->root, r->fn.data);
		fmt_kitti_image_size(r->path.data, &im.width, &im.height);
	}
	int rc = fmt_sink_image(r->s, &im);
	*image = im.id;
	if (rc)
		return rc;
	/* The event folder's name as a tag. */
	const char *sl = strchr(l, '/');
	if (!sl)
		return 0;
	struct buf ev = BUF_INIT;
	buf_add(&ev, l, (size_t)(sl - l));
	const char *dash = strstr(ev.data, "--");
	const char *name = dash ? dash + 2 : ev.data;
	int64_t cat = 0;
	if (*name && strcmp(name, "no_label") && strcmp(name, DEFAULT_LABEL))
		rc = label_of(r, name, !r->fixed, &cat);
	if (!rc && cat) {
		struct fmt_object o;
		memset(&o, 0, sizeof(o));
		o.image_id = im.id;
		o.category_id = cat;
		o.type = SHAPE_TAG;
		o.where = r->where.data;
		rc = fmt_sink_object(r->s, &o);
	} else if (!rc && *name && strcmp(name, "no_label") && strcmp(name, DEFAULT_LABEL)) {
		fmt_sink_note(r->s, "event folder not in the label map (no image tag)");
	}
	buf_release(&ev);
	return rc;
}

static int box_line(struct wrd *r, char *l, int64_t image)
{
	char *tok[12];
	int nt = 0;
	char *save = NULL;
	for (char *t = strtok_r(l, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (nt == 12) {
			nt++;
			break;
		}
		tok[nt++] = t;
	}
	if (nt != 4 && nt != 5 && nt != 10 && nt != 11)
		return fmt_sink_invalid(r->s, r->where.data, "expected x y w h, then optionally the "
					"six flags (blur expression illumination occluded pose "
					"invalid) and a label: 4, 5, 10 or 11 columns, got %d", nt);
	double v[4];
	for (int i = 0; i < 4; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(tok[i], &end);
		if (end == tok[i] || *end || errno == ERANGE || !isfinite(v[i]))
			return fmt_sink_invalid(r->s, r->where.data, "column %d (%s): expected a number, "
						"got \"%s\"", i + 1, (const char *[]){"x", "y", "w", "h"}[i],
						tok[i]);
	}
	if (v[2] < 0 || v[3] < 0)
		return fmt_sink_invalid(r->s, r->where.data, "column %d (%s): a negative size \"%s\"",
					v[2] < 0 ? 3 : 4, v[2] < 0 ? "w" : "h", v[2] < 0 ? tok[2] : tok[3]);
	int64_t cat = 0;
	int rc;
	if (nt == 5 || nt == 11) {
		if ((rc = label_of(r, tok[nt - 1], true, &cat)))
			return rc;
	} else if ((rc = label_of(r, DEFAULT_LABEL, true, &cat))) {
		return rc;
	}
	json_t *a = NULL;
	if (nt >= 10) {
		a = json_object();
		for (int i = 0; i < 6; i++) {
			const char *t = tok[4 + i];
			if (!strcmp(t, "-"))
				continue;
			if (!strcmp(t, "True") || !strcmp(t, "False")) {
				json_object_set_new(a, flag_name[i], json_boolean(t[0] == 'T'));
				continue;
			}
			char *end;
			errno = 0;
			long long x = strtoll(t, &end, 10);
			if (end == t || *end || errno)
				json_object_set_new(a, flag_name[i], json_string(t));
			else
				json_object_set_new(a, flag_name[i], json_integer(x));
		}
	}
	double pts[4] = {v[0], v[1], v[0] + v[2], v[1] + v[3]};
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.image_id = image;
	o.category_id = cat;
	o.type = SHAPE_BOX;
	o.pts = pts;
	o.npts = 4;
	o.attrs = a;
	o.where = r->where.data;
	json_t *occ = a ? json_object_get(a, "occluded") : NULL;
	o.occluded = (json_is_integer(occ) && json_integer_value(occ) > 0) || json_is_true(occ);
	rc = fmt_sink_object(r->s, &o);
	json_decref(a);
	return rc;
}

/* Streams one bbx_gt (or filelist) file. */
static int read_gt(struct wrd *r, FILE *f, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;
	enum { WANT_PATH, WANT_COUNT, WANT_BOX } state = WANT_PATH;
	long left = 0;
	bool zero = false;          /* the last image had 0 faces: its dummy line may follow */
	int64_t image = 0;
	long image_line_no = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		buf_reset(&r->where);
		buf_addf(&r->where, "%s:%ld", name, ln);
		if (memchr(line, 0, (size_t)n)) {
			rc = fmt_sink_invalid(r->s, r->where.data, "a NUL byte (not a text file)");
			continue;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
			     line[n - 1] == '\t'))
			line[--n] = 0;
		char *l = line;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l)
			continue;
		if (state == WANT_COUNT) {
			char *end;
			errno = 0;
			long c = strtol(l, &end, 10);
			if (end != l && !*end && !errno) {
				if (c < 0 || c > MAX_FACES) {
					rc = fmt_sink_invalid(r->s, r->where.data, "face count %ld: expected "
							      "0 to %d", c, MAX_FACES);
					state = WANT_PATH;
					continue;
				}
				left = c;
				zero = c == 0;
				state = c ? WANT_BOX : WANT_PATH;
				continue;
			}
			state = WANT_PATH; /* a list of names only: this is the next image */
		}
		if (state == WANT_BOX) {
			rc = box_line(r, l, image);
			if (--left == 0)
				state = WANT_PATH;
			continue;
		}
		if (is_path_line(l)) {
			zero = false;
			image_line_no = ln;
			rc = image_line(r, l, &image);
			state = WANT_COUNT;
			continue;
		}
		if (zero) {
			/* WIDER Face writes "0 0 0 0 0 0 0 0 0 0" after a count of 0. */
			zero = false;
			continue;
		}
		rc = fmt_sink_invalid(r->s, r->where.data, "expected an image path "
				      "(<event>/<name>.jpg), got \"%.60s\"", l);
	}
	if (!rc && state == WANT_BOX) {
		buf_reset(&r->where);
		buf_addf(&r->where, "%s:%ld", name, image_line_no);
		rc = fmt_sink_invalid(r->s, r->where.data, "the file ends %ld face line%s short of "
				      "the count", left, left == 1 ? "" : "s");
	}
	free(line);
	return rc;
}

static void wrd_init(struct wrd *r, struct fmt_sink *s, struct buf *err)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->err = err;
	r->where = (struct buf)BUF_INIT;
	r->path = (struct buf)BUF_INIT;
	r->fn = (struct buf)BUF_INIT;
	r->next_cat = 1;
}

static void wrd_release(struct wrd *r)
{
	fmt_strmap_release(&r->labels);
	buf_release(&r->where);
	buf_release(&r->path);
	buf_release(&r->fn);
}

int fmt_widerface_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err)
{
	struct wrd r;
	wrd_init(&r, s, err);
	int rc = 0;
	FILE *f = len ? fmemopen((void *)data, len, "r") : NULL;
	if (f) {
		rc = read_gt(&r, f, name);
		fclose(f);
	}
	wrd_release(&r);
	return rc;
}

/* Labels from dataset_meta.json ({"label_map": {"0": "Parade", ...}}) or labels.txt. */
static int read_label_map(struct wrd *r, const char *root)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/dataset_meta.json", root);
	int rc = 0;
	if (is_file(p.data)) {
		json_error_t je;
		json_t *j = json_load_file(p.data, JSON_REJECT_DUPLICATES, &je);
		json_t *lm = json_object_get(j, "label_map");
		if (!j) {
			buf_setf(r->err, "dataset_meta.json:%d: %s", je.line, je.text);
			rc = CAIRN_EINVAL;
		} else if (!json_is_object(lm)) {
			buf_setf(r->err, "dataset_meta.json: $.label_map: expected an object of "
				 "\"id\": \"name\"");
			rc = CAIRN_EINVAL;
		} else {
			/* By id, as Datumaro orders them. */
			size_t n = json_object_size(lm);
			struct lm_e { int64_t id; const char *name; } *v = xrealloc(NULL, (n + 1) * sizeof(*v));
			size_t k = 0;
			const char *key;
			json_t *val;
			json_object_foreach(lm, key, val) {
				int64_t id;
				if (!fmt_xml_int(key, 0, INT32_MAX - 1, &id) || !json_is_string(val)) {
					buf_setf(r->err, "dataset_meta.json: $.label_map.%s: expected a "
						 "number key and a name", key);
					rc = CAIRN_EINVAL;
					break;
				}
				v[k].id = id;
				v[k++].name = json_string_value(val);
			}
			for (size_t i = 1; i < k; i++)
				for (size_t q = i; q > 0 && v[q - 1].id > v[q].id; q--) {
					struct lm_e t = v[q];
					v[q] = v[q - 1];
					v[q - 1] = t;
				}
			for (size_t i = 0; i < k && !rc; i++) {
				buf_reset(&r->where);
				buf_addf(&r->where, "dataset_meta.json: $.label_map.%lld",
					 (long long)v[i].id);
				struct fmt_category c;
				memset(&c, 0, sizeof(c));
				c.id = v[i].id + 1;
				c.name = v[i].name;
				c.where = r->where.data;
				if ((rc = fmt_sink_category(r->s, &c)))
					break;
				fmt_strmap_put(&r->labels, v[i].name, c.id);
				if (c.id >= r->next_cat)
					r->next_cat = c.id + 1;
			}
			free(v);
			r->fixed = true;
		}
		json_decref(j);
		buf_release(&p);
		return rc;
	}
	buf_reset(&p);
	buf_addf(&p, "%s/labels.txt", root);
	FILE *f = fopen(p.data, "r");
	buf_release(&p);
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = 0;
		if (!n)
			continue;
		buf_reset(&r->where);
		buf_addf(&r->where, "labels.txt:%ld", ln);
		int64_t id;
		rc = label_of(r, line, true, &id);
	}
	free(line);
	fclose(f);
	r->fixed = true;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fmt_widerface_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct wrd r;
	wrd_init(&r, s, err);
	struct buf ann = BUF_INIT;
	bool file = is_file(path);
	char *root = NULL;
	if (file) {
		/* <root>/wider_face_split/<file>.txt */
		char *d = xstrdup(path);
		char *sl = strrchr(d, '/');
		if (sl)
			*sl = 0;
		else
			snprintf(d, 2, ".");
		char *sl2 = strrchr(d, '/');
		if (sl2 && !strcmp(sl2 + 1, "wider_face_split"))
			*sl2 = 0;
		else if (!sl2 && !strcmp(d, "wider_face_split"))
			snprintf(d, 2, ".");
		root = d;
	} else {
		root = xstrdup(path);
	}
	r.root = root;
	fmt_sink_media_dir(s, root);
	int rc = read_label_map(&r, root);
	char **v = NULL;
	size_t n = 0;
	if (file) {
		v = xrealloc(NULL, sizeof(*v));
		v[n++] = xstrdup(path);
	} else {
		buf_addf(&ann, "%s/wider_face_split", path);
		DIR *d = opendir(ann.data);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".txt"))
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n] = NULL;
			if (asprintf(&v[n], "%s/%s", ann.data, e->d_name) < 0)
				abort();
			n++;
		}
		if (d)
			closedir(d);
		if (n)
			qsort(v, n, sizeof(*v), cmp_str);
		else if (!rc) {
			buf_setf(err, "%s: no wider_face_split/*.txt (a WIDER Face dataset has "
				 "wider_face_split/wider_face_<split>_bbx_gt.txt)", path);
			rc = CAIRN_EINVAL;
		}
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const char *base = strrchr(v[i], '/');
		base = base ? base + 1 : v[i];
		char split[64];
		size_t bl = strlen(base);
		/* wider_face_<split>_bbx_gt.txt, wider_face_<split>_filelist.txt, else the stem */
		if (!strncmp(base, "wider_face_", 11) && bl > 22 && !strcmp(base + bl - 11, "_bbx_gt.txt"))
			snprintf(split, sizeof(split), "%.*s", (int)(bl - 22), base + 11);
		else if (!strncmp(base, "wider_face_", 11) && bl > 24 &&
			 !strcmp(base + bl - 13, "_filelist.txt"))
			snprintf(split, sizeof(split), "%.*s", (int)(bl - 24), base + 11);
		else
			snprintf(split, sizeof(split), "%.*s", (int)(bl - 4), base);
		r.split = split;
		/* Cairn's splits are train, val and test; another stays in the file name. */
		bool known = !strcmp(split, "train") || !strcmp(split, "val") || !strcmp(split, "test");
		if (!known)
			fmt_sink_note(s, "split other than train, val and test (kept in the file name)");
		fmt_sink_split(s, known ? split : NULL);
		/* Event folders declare labels (when there is no label map), in sorted order. */
		if (!r.fixed) {
			int64_t id;
			rc = label_of(&r, DEFAULT_LABEL, true, &id);
			buf_reset(&r.path);
			buf_addf(&r.path, "%s/WIDER_%s/images", root, split);
			DIR *d = opendir(r.path.data);
			char **ev = NULL;
			size_t ne = 0;
			struct dirent *e;
			while (d && (e = readdir(d)) && ne < MAX_LABELS) {
				const char *dash = strstr(e->d_name, "--");
				if (e->d_name[0] == '.' || !strcmp(e->d_name, "no_label"))
					continue;
				ev = xrealloc(ev, (ne + 1) * sizeof(*ev));
				ev[ne++] = xstrdup(dash ? dash + 2 : e->d_name);
			}
			if (d)
				closedir(d);
			if (ne)
				qsort(ev, ne, sizeof(*ev), cmp_str);
			for (size_t k = 0; k < ne; k++) {
				buf_reset(&r.where);
				buf_addf(&r.where, "WIDER_%s/images", split);
				if (!rc && *ev[k])
					rc = label_of(&r, ev[k], true, &id);
				free(ev[k]);
			}
			free(ev);
		}
		FILE *f = rc ? NULL : fopen(v[i], "r");
		if (!rc && !f) {
			buf_setf(err, "%s: cannot open: %s", base, strerror(errno));
			rc = CAIRN_EIO;
		}
		if (f) {
			buf_reset(&ann);
			buf_addf(&ann, "wider_face_split/%s", base);
			rc = read_gt(&r, f, ann.data);
			fclose(f);
		}
	}
	fmt_sink_split(s, NULL);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(root);
	buf_release(&ann);
	wrd_release(&r);
	return rc;
}

int fmt_widerface_probe(const char *path)
{
	struct buf p = BUF_INIT;
	int score = 0;
	if (is_dir(path)) {
		buf_addf(&p, "%s/wider_face_split", path);
		if (is_dir(p.data))
			score = 90;
	} else {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (!strncmp(base, "wider_face_", 11) && strstr(base, "_bbx_gt.txt"))
			score = 90;
	}
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct wwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t last_id, done;
	struct buf text, path;
	struct fmt_strmap splits;   /* split -> index into files */
	FILE **files;
	int rc;
};

static FILE *gt_for(struct wwr *w, const char *split)
{
	int64_t i;
	if (fmt_strmap_get(&w->splits, split, &i))
		return w->files[i];
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/wider_face_split", w->out);
	if (fmt_mkdirs(w->path.data, w->err))
		return NULL;
	buf_addf(&w->path, "/wider_face_%s_bbx_gt.txt", split);
	FILE *f = fopen(w->path.data, "w");
	if (!f)
		return NULL;
	w->files = xrealloc(w->files, (w->splits.n + 1) * sizeof(*w->files));
	w->files[w->splits.n] = f;
	fmt_strmap_put(&w->splits, split, (int64_t)w->splits.n);
	return f;
}

static void add_flag(struct buf *b, json_t *v)
{
	if (json_is_boolean(v))
		buf_adds(b, json_is_true(v) ? "True" : "False");
	else if (json_is_number(v))
		fmt_xml_num_out(b, json_number_value(v));
	else if (json_is_string(v) && *json_string_value(v) && !strpbrk(json_string_value(v), " \t\r\n"))
		buf_adds(b, json_string_value(v));
	else
		buf_adds(b, "-");
}

static int write_item(void *ctx, const struct item *it)
{
	struct wwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	if (!split || !*split)
		split = "train";
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	const struct ann_object *tag = NULL;
	size_t nbox = 0;
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type == SHAPE_TAG) {
			if (tag)
				fmt_loss_add(w->loss, "second tag of an image (WIDER Face has one event)", 1);
			else
				tag = ob;
		} else if (ob->type == SHAPE_KEYPOINTS && ob->parent[0]) {
			fmt_loss_add(w->loss, "keypoints of an object (not in WIDER Face)", 1);
		} else if (ob->type == SHAPE_SPAN || ob->type == SHAPE_SEGMENT ||
			   (ob->type == SHAPE_KEYPOINTS && ob->x1 <= ob->x0)) {
			fmt_loss_add(w->loss, "shape without a box (not in WIDER Face)", 1);
		} else {
			nbox++;
		}
	}
	/* The path under WIDER_<split>/images/. */
	buf_reset(&w->text);
	const char *img = strstr(fn, "/images/");
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	if (img && !strncmp(fn, "WIDER_", 6))
		buf_adds(&w->text, img + 8);
	else if (strchr(fn, '/'))
		buf_adds(&w->text, fn);
	else if (tag) {
		size_t li = tag->label;
		buf_addf(&w->text, "%lld--%s/%s", (long long)(w->l.ids[li] > 0 ? w->l.ids[li] - 1
										 : (int64_t)li),
			 w->l.sc.labels[li].name, base);
	} else
		buf_addf(&w->text, "no_label/%s", base);
	if (!rc && (strstr(w->text.data, "..") || strpbrk(w->text.data, "\r\n") || strchr(split, '/'))) {
		buf_setf(w->err, "item %lld: file name '%s' is not usable", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/WIDER_%s/images/%s", w->out, split, w->text.data);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	buf_addf(&w->text, "\n%zu\n", nbox);
	if (!nbox)
		buf_adds(&w->text, "0 0 0 0 0 0 0 0 0 0\n");
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *ob = &d.objects[i];
		if (ob->type == SHAPE_TAG || ob->type == SHAPE_SPAN || ob->type == SHAPE_SEGMENT ||
		    (ob->type == SHAPE_KEYPOINTS && (ob->x1 <= ob->x0 || ob->parent[0])))
			continue;
		double b[4];
		if (ob->type == SHAPE_BOX)
			memcpy(b, ob->pts, sizeof(b));
		else {
			fmt_loss_add(w->loss, "shape other than a box (written as its bounding box)", 1);
			b[0] = ob->x0, b[1] = ob->y0, b[2] = ob->x1, b[3] = ob->y1;
		}
		fmt_xml_num_out(&w->text, b[0]);
		buf_addch(&w->text, ' ');
		fmt_xml_num_out(&w->text, b[1]);
		buf_addch(&w->text, ' ');
		fmt_xml_num_out(&w->text, b[2] - b[0]);
		buf_addch(&w->text, ' ');
		fmt_xml_num_out(&w->text, b[3] - b[1]);
		json_t *a = ob->attrs ? json_loads(ob->attrs, 0, NULL) : NULL;
		/* The flags are written when one has a value (a number, a word or True):
		 * checkboxes the schema filled in as false alone are not a value. */
		bool any = false;
		for (int k = 0; k < 6; k++) {
			json_t *fv = json_object_get(a, flag_name[k]);
			if (fv && !json_is_null(fv) && !json_is_false(fv) &&
			    !(json_is_string(fv) && !*json_string_value(fv)))
				any = true;
		}
		if (!any && ob->occluded) {
			if (!a)
				a = json_object();
			json_object_set_new(a, "occluded", json_integer(1));
			any = true;
		}
		if (any)
			for (int k = 0; k < 6; k++) {
				buf_addch(&w->text, ' ');
				add_flag(&w->text, json_object_get(a, flag_name[k]));
			}
		size_t other = 0;
		const char *key;
		json_t *val;
		json_object_foreach(a, key, val) {
			bool known = false;
			for (int k = 0; k < 6; k++)
				known |= !strcmp(key, flag_name[k]);
			if (!known && !json_is_null(val) && !json_is_false(val) &&
			    !(json_is_string(val) && !*json_string_value(val)))
				other++;
		}
		if (other)
			fmt_loss_add(w->loss, "object attribute WIDER Face has no column for", (int64_t)other);
		json_decref(a);
		const char *name = w->l.sc.labels[ob->label].name;
		if (strcmp(name, DEFAULT_LABEL)) {
			if (strpbrk(name, " \t"))
				fmt_loss_add(w->loss, "space in a label name (written as _)", 1);
			buf_addch(&w->text, ' ');
			for (const char *c = name; *c; c++)
				buf_addch(&w->text, *c == ' ' || *c == '\t' ? '_' : *c);
		}
		if (ob->has_track || ob->has_frame || ob->has_group || ob->z_order || ob->text ||
		    ob->has_score)
			fmt_loss_add(w->loss, "track, frame, group, z-order, score or text", 1);
		buf_addch(&w->text, '\n');
	}
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	if (!rc && found && d.nrelations)
		fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
	ann_doc_release(&d);
	if (!rc) {
		FILE *f = gt_for(w, split);
		if (!f || fwrite(w->text.data, 1, w->text.len, f) != w->text.len) {
			if (!w->err->len)
				buf_setf(w->err, "cannot write '%s/wider_face_split/wider_face_%s_bbx_gt.txt': "
					 "%s", w->out, split, strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_widerface_write(struct store *st, int64_t project_id, const char *out,
			const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct wwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.text = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "widerface", err)))
		return rc;
	/* labels.txt: every label but face, in the project's order. */
	buf_addf(&w.path, "%s/labels.txt", out);
	FILE *lf = fopen(w.path.data, "w");
	if (!lf) {
		buf_setf(err, "cannot write '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	for (size_t i = 0; lf && i < w.l.sc.nlabels; i++)
		fprintf(lf, "%s\n", w.l.sc.labels[i].name);
	if (lf && fclose(lf)) {
		buf_setf(err, "cannot write '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (!rc && store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	if (!rc)
		rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	for (size_t i = 0; i < w.splits.n; i++)
		if (fclose(w.files[i]) && !rc) {
			buf_setf(err, "cannot write the lists in '%s': %s", out, strerror(errno));
			rc = CAIRN_EIO;
		}
	free(w.files);
	fmt_strmap_release(&w.splits);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	buf_release(&w.text);
	buf_release(&w.path);
	return rc;
}
