/*
 * fmt_market1501.c - Market-1501 person re-identification: images in
 * bounding_box_<split>/ and query/ (or listed in images_<split>.txt), each
 * named <person>_c<camera>s<sequence>_<frame>_<box>.jpg. Every image whose
 * name matches becomes one tag whose label is the person id as written
 * ("0001", "-1" for distractors, "0000" for junk), with Datumaro's
 * attributes: camera_id (0-based, c1 is 0), track_id (the sequence),
 * frame_id, bbox_id and query. Names are read a directory entry or a list
 * line at a time; nothing is kept per image. Conventions:
 * docs/formats/market1501.md.
 */
#include "formats/fmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"  /* fmt_strmap */
#include "base/banned.h"

int fmt_market1501_probe(const char *path);
int fmt_market1501_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_market1501_write(struct store *st, int64_t project_id, const char *out,
			 const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_market1501_read_names(const char *data, size_t len, const char *name,
			      struct fmt_sink *s, struct buf *err);
void fmt_kitti_image_size(const char *path, int32_t *w, int32_t *h);

#define MAX_FILES 10000000
#define MAX_DEPTH 8

/* The parts of a Market-1501 name. */
struct mname {
	char person[32];
	long camera, track, frame, bbox;
};

/* Parses "0001_c2s3_000111_00[anything].jpg"; false when it does not match. */
static bool parse_name(const char *base, struct mname *m)
{
	const char *p = base;
	size_t n = 0;
	if (*p == '-')
		n++;
	while (isdigit((unsigned char)p[n]))
		n++;
	if (n == 0 || (n == 1 && *p == '-') || n >= sizeof(m->person) || p[n] != '_' ||
	    p[n + 1] != 'c')
		return false;
	memcpy(m->person, p, n);
	m->person[n] = 0;
	p += n + 2;
	long v[4];
	static const char seps[] = {'s', '_', '_', 0};
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*p))
			return false;
		char *end;
		errno = 0;
		v[i] = strtol(p, &end, 10);
		if (errno || end - p > 9)
			return false;
		p = end;
		if (i < 3) {
			if (*p != seps[i])
				return false;
			p++;
		}
	}
	m->camera = v[0];
	m->track = v[1];
	m->frame = v[2];
	m->bbox = v[3];
	return true;
}

struct mrd {
	struct fmt_sink *s;
	struct buf *err;
	const char *root;           /* NULL: names only (fuzzing) */
	struct fmt_strmap persons;  /* label -> category id */
	int64_t next_image;
	struct buf where, path;
};

static int person_id(struct mrd *r, const char *person, int64_t *id)
{
	if (fmt_strmap_get(&r->persons, person, id))
		return 0;
	struct fmt_category c;
	memset(&c, 0, sizeof(c));
	c.id = (int64_t)r->persons.n + 1;
	c.name = person;
	c.where = r->where.data;
	int rc = fmt_sink_category(r->s, &c);
	if (!rc) {
		fmt_strmap_put(&r->persons, person, c.id);
		*id = c.id;
	}
	return rc;
}

/* One image: rel is its path under the root ("query/0001_c2s3_000111_00.jpg"). */
static int read_image(struct mrd *r, const char *rel, const char *split)
{
	if (strstr(rel, "..") || rel[0] == '/')
		return fmt_sink_invalid(r->s, r->where.data, "'%s': not a path inside the dataset",
					rel);
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = ++r->next_image;
	im.file_name = rel;
	bool known = !strcmp(split, "train") || !strcmp(split, "val") || !strcmp(split, "test");
	if (!known && strcmp(split, "query"))
		fmt_sink_note(r->s, "split other than train, val, test and query (kept in the "
				    "file name only)");
	fmt_sink_split(r->s, !strcmp(split, "query") ? "test" : known ? split : NULL);
	im.where = r->where.data;
	if (r->root) {
		buf_reset(&r->path);
		buf_addf(&r->path, "%s/%s", r->root, rel);
		fmt_kitti_image_size(r->path.data, &im.width, &im.height);
	}
	int rc = fmt_sink_image(r->s, &im);
	struct mname m;
	if (rc || !parse_name(base, &m))
		return rc;
	if (m.camera < 1)
		return fmt_sink_invalid(r->s, r->where.data, "'%s': camera c%ld: cameras count "
					"from 1", base, m.camera);
	int64_t cat;
	if ((rc = person_id(r, m.person, &cat)))
		return rc;
	json_t *a = json_object();
	json_object_set_new(a, "camera_id", json_integer(m.camera - 1));
	json_object_set_new(a, "track_id", json_integer(m.track));
	json_object_set_new(a, "frame_id", json_integer(m.frame));
	json_object_set_new(a, "bbox_id", json_integer(m.bbox));
	json_object_set_new(a, "query", json_boolean(!strcmp(split, "query")));
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.image_id = im.id;
	o.category_id = cat;
	o.type = SHAPE_TAG;
	o.attrs = a;
	o.where = r->where.data;
	rc = fmt_sink_object(r->s, &o);
	json_decref(a);
	return rc;
}

static bool is_image_name(const char *n)
{
	const char *dot = strrchr(n, '.');
	return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
		       !strcasecmp(dot, ".png") || !strcasecmp(dot, ".bmp"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Image paths under root/rel, recursively (sorted per folder). */
static int read_dir(struct mrd *r, const char *rel, const char *split, int depth, size_t *count)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", r->root, rel);
	DIR *d = opendir(p.data);
	buf_release(&p);
	if (!d)
		return 0;
	char **v = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && *count + n < MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	int rc = 0;
	struct buf c = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			buf_reset(&c);
			buf_addf(&c, "%s/%s", rel, v[i]);
			buf_reset(&p);
			buf_addf(&p, "%s/%s", r->root, c.data);
			if (is_dir(p.data) && depth < MAX_DEPTH) {
				rc = read_dir(r, c.data, split, depth + 1, count);
			} else if (is_image_name(v[i]) && is_file(p.data)) {
				buf_reset(&r->where);
				buf_adds(&r->where, c.data);
				(*count)++;
				rc = read_image(r, c.data, split);
			}
		}
		free(v[i]);
	}
	free(v);
	buf_release(&c);
	buf_release(&p);
	return rc;
}

/* A list of image paths, one a line (images_<split>.txt). */
static int read_list(struct mrd *r, FILE *f, const char *name, const char *split)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		buf_reset(&r->where);
		buf_addf(&r->where, "%s:%ld", name, ln);
		if (memchr(line, 0, (size_t)n)) {
			rc = fmt_sink_invalid(r->s, r->where.data, "a NUL byte (not a text file)");
			continue;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = 0;
		char *t = line;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		for (char *c = t; *c; c++)
			if (*c == '\\')
				*c = '/';
		rc = read_image(r, t, split);
	}
	free(line);
	return rc;
}

int fmt_market1501_read_names(const char *data, size_t len, const char *name,
			      struct fmt_sink *s, struct buf *err)
{
	struct mrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.where = (struct buf)BUF_INIT;
	r.path = (struct buf)BUF_INIT;
	int rc = 0;
	FILE *f = len ? fmemopen((void *)data, len, "r") : NULL;
	if (f) {
		rc = read_list(&r, f, name, "train");
		fclose(f);
	}
	fmt_strmap_release(&r.persons);
	buf_release(&r.where);
	buf_release(&r.path);
	return rc;
}

/* The split a top-level entry stands for, into split (or false). */
static bool entry_split(const char *e, bool *list, char *split, size_t cap)
{
	size_t l = strlen(e);
	*list = false;
	if (!strcmp(e, "query")) {
		snprintf(split, cap, "query");
		return true;
	}
	if (!strncmp(e, "bounding_box_", 13) && l > 13 && l - 13 < cap) {
		snprintf(split, cap, "%s", e + 13);
		return true;
	}
	if (!strncmp(e, "images_", 7) && l > 11 && !strcmp(e + l - 4, ".txt") && l - 11 < cap) {
		snprintf(split, cap, "%.*s", (int)(l - 11), e + 7);
		*list = true;
		return true;
	}
	return false;
}

int fmt_market1501_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	if (!is_dir(path)) {
		buf_setf(err, "%s: not a folder (a Market-1501 dataset is a folder with "
			 "bounding_box_<split>/ and query/)", path);
		return CAIRN_EINVAL;
	}
	struct mrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.root = path;
	r.where = (struct buf)BUF_INIT;
	r.path = (struct buf)BUF_INIT;
	fmt_sink_media_dir(s, path);
	DIR *d = opendir(path);
	char **v = NULL;
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char split[64];
		bool list;
		if (entry_split(e->d_name, &list, split, sizeof(split))) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	int rc = 0;
	size_t count = 0;
	if (!n) {
		buf_setf(err, "%s: no bounding_box_<split>/, query/ or images_<split>.txt "
			 "(not a Market-1501 dataset)", path);
		rc = CAIRN_EINVAL;
	}
	/* A split with a list file is read from the list (what the exporter writes). */
	struct fmt_strmap listed = {0};
	for (size_t i = 0; i < n; i++) {
		char split[64];
		bool list;
		entry_split(v[i], &list, split, sizeof(split));
		if (list)
			fmt_strmap_put(&listed, split, 1);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		char split[64];
		bool list;
		entry_split(v[i], &list, split, sizeof(split));
		buf_reset(&r.path);
		buf_addf(&r.path, "%s/%s", path, v[i]);
		if (list) {
			FILE *f = fopen(r.path.data, "r");
			if (!f) {
				buf_setf(err, "%s: cannot open: %s", v[i], strerror(errno));
				rc = CAIRN_EIO;
				break;
			}
			rc = read_list(&r, f, v[i], split);
			fclose(f);
		} else if (!fmt_strmap_get(&listed, split, NULL) && is_dir(r.path.data)) {
			rc = read_dir(&r, v[i], split, 0, &count);
		}
	}
	if (!rc && count >= MAX_FILES) {
		buf_setf(err, "%s: more than %d images", path, MAX_FILES);
		rc = CAIRN_ETOOBIG;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	fmt_strmap_release(&listed);
	fmt_strmap_release(&r.persons);
	buf_release(&r.where);
	buf_release(&r.path);
	return rc;
}

int fmt_market1501_probe(const char *path)
{
	if (!is_dir(path))
		return 0;
	struct buf p = BUF_INIT;
	int score = 0;
	buf_addf(&p, "%s/query", path);
	if (is_dir(p.data))
		score = 50;
	buf_reset(&p);
	buf_addf(&p, "%s/bounding_box_train", path);
	if (is_dir(p.data))
		score = score ? 85 : 60;
	buf_reset(&p);
	buf_addf(&p, "%s/bounding_box_test", path);
	if (is_dir(p.data))
		score = score ? 85 : 60;
	buf_reset(&p);
	buf_addf(&p, "%s/images_train.txt", path);
	if (is_file(p.data))
		score = score > 70 ? score : 70;
	buf_release(&p);
	return score;
}

/* ---- writing ---- */

struct mwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t last_id, done;
	struct buf path, name;
	struct fmt_strmap lists;    /* split -> index into files */
	FILE **files;
	int rc;
};

static FILE *list_for(struct mwr *w, const char *split)
{
	int64_t i;
	if (fmt_strmap_get(&w->lists, split, &i))
		return w->files[i];
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/images_%s.txt", w->out, split);
	FILE *f = fopen(w->path.data, "w");
	if (!f)
		return NULL;
	w->files = xrealloc(w->files, (w->lists.n + 1) * sizeof(*w->files));
	w->files[w->lists.n] = f;
	fmt_strmap_put(&w->lists, split, (int64_t)w->lists.n);
	return f;
}

static int num_attr(json_t *a, const char *k, long def, long *out)
{
	json_t *v = json_object_get(a, k);
	*out = json_is_number(v) ? (long)json_number_value(v) : def;
	return json_is_number(v);
}

static int write_item(void *ctx, const struct item *it)
{
	struct mwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	if (!split || !*split)
		split = "train";
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	const char *base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	const struct ann_object *tag = NULL;
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		if (d.objects[i].type == SHAPE_TAG && !tag)
			tag = &d.objects[i];
		else
			fmt_loss_add(w->loss, d.objects[i].type == SHAPE_TAG
					      ? "second tag of an image (Market-1501 has one person)"
					      : "shape (Market-1501 has only the person of the image)", 1);
	}
	bool query = !strcmp(split, "query") || !strncmp(fn, "query/", 6);
	buf_reset(&w->name);
	struct mname m;
	if (!rc && tag) {
		json_t *a = tag->attrs ? json_loads(tag->attrs, 0, NULL) : NULL;
		json_t *q = json_object_get(a, "query");
		if (json_is_boolean(q))
			query = json_is_true(q);
		const char *person = w->l.sc.labels[tag->label].name;
		if (!parse_name(base, &m) || strcmp(m.person, person)) {
			long cam, track, frame, bbox;
			num_attr(a, "camera_id", 0, &cam);
			num_attr(a, "track_id", 1, &track);
			num_attr(a, "bbox_id", 0, &bbox);
			if (!num_attr(a, "frame_id", 0, &frame))
				fmt_loss_add(w->loss, "image without frame_id (written as frame 0)", 1);
			bool ok = person[0] && strspn(person + (person[0] == '-'), "0123456789") ==
						       strlen(person) - (person[0] == '-');
			if (!ok)
				fmt_loss_add(w->loss, "label that is not a person number (file name kept)", 1);
			else {
				const char *dot = strrchr(base, '.');
				buf_addf(&w->name, "%s_c%lds%ld_%06ld_%02ld%s", person, cam + 1, track,
					 frame, bbox, dot ? dot : ".jpg");
			}
		}
		json_decref(a);
	}
	if (!w->name.len)
		buf_adds(&w->name, base);
	const char *dir = query ? "query" : NULL;
	buf_reset(&w->path);
	if (dir)
		buf_addf(&w->path, "query/%s", w->name.data);
	else
		buf_addf(&w->path, "bounding_box_%s/%s", split, w->name.data);
	if (!rc && (strstr(w->name.data, "..") || strchr(split, '/'))) {
		buf_setf(w->err, "item %lld: file name '%s' is not usable", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc) {
		FILE *f = list_for(w, query ? "query" : split);
		if (!f) {
			buf_setf(w->err, "cannot write '%s/images_%s.txt': %s", w->out, split,
				 strerror(errno));
			rc = CAIRN_EIO;
		} else {
			buf_reset(&w->path);
			if (dir)
				buf_addf(&w->path, "query/%s", w->name.data);
			else
				buf_addf(&w->path, "bounding_box_%s/%s", split, w->name.data);
			fprintf(f, "%s\n", w->path.data);
		}
	}
	if (!rc && w->o->include_media) {
		struct buf full = BUF_INIT;
		buf_addf(&full, "%s/%s", w->out, w->path.data);
		rc = fmt_copy_media(w->o->data_dir, it, full.data, w->err);
		buf_release(&full);
	}
	if (!rc && found && d.attrs && strcmp(d.attrs, "{}"))
		fmt_loss_add(w->loss, "item attributes", 1);
	ann_doc_release(&d);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_market1501_write(struct store *st, int64_t project_id, const char *out,
			 const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct mwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.path = (struct buf)BUF_INIT;
	w.name = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "market1501", err)))
		return rc;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	for (size_t i = 0; i < w.lists.n; i++)
		if (fclose(w.files[i]) && !rc) {
			buf_setf(err, "cannot write the image lists in '%s': %s", out, strerror(errno));
			rc = CAIRN_EIO;
		}
	free(w.files);
	fmt_strmap_release(&w.lists);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	buf_release(&w.path);
	buf_release(&w.name);
	return rc;
}
