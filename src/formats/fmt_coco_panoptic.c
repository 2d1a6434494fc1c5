/*
 * fmt_coco_panoptic.c - COCO panoptic segmentation: annotations/
 * panoptic_<split>.json (images; annotations with file_name and
 * segments_info: id, category_id, iscrowd, bbox, area; categories with
 * isthing) and the PNG folder annotations/panoptic_<split>/ where a
 * pixel's segment id is R + 256*G + 256^2*B (0 is void). The JSON is
 * streamed with the COCO reader's walk (fmt_coco_stream); each PNG is read
 * when its annotation element arrives, one at a time. Import makes one
 * mask object per segment (object id = segment id, iscrowd kept, the
 * category's isthing as the boolean attribute "isthing"); export writes
 * the JSON and the PNGs, with bbox and area computed from the pixels.
 * Conventions: docs/formats/coco-panoptic.md.
 */
#include "formats/fmt.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt_masks.h"
#include "media/mask_png.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_coco_panoptic_probe(const char *path);
int fmt_coco_panoptic_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_coco_panoptic_write(struct store *st, int64_t project_id, const char *out,
			    const struct fmt_write_opts *o, struct fmt_loss *loss,
			    struct buf *err);
int fmt_coco_panoptic_read_mem(const char *json, size_t len, const void *png, size_t pnglen,
			       struct fmt_sink *s, struct buf *err);

#define PNG_MAX ((size_t)512 << 20)
#define MAX_SEGMENT 0xffffffu

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- reading ---- */

struct prd {
	struct fmt_sink *s;
	struct buf *err;
	const char *png_dir;        /* the PNG folder, or NULL with mem_png */
	const char *png_name;       /* its name in messages ("panoptic_val/") */
	const void *mem_png;        /* fuzzing: every annotation reads this PNG */
	size_t mem_len;
	struct pcat { int64_t id; int isthing; } *cats; /* isthing: -1 unknown */
	size_t ncats;
	/* Image sizes by id (open addressing), for PNGs of another size. */
	struct pimg { int64_t id; int32_t w, h; bool used; } *imgs;
	size_t nimgs, capimgs;
	struct buf w;
};

static size_t pslot(int64_t id, size_t cap)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static void img_put(struct prd *r, int64_t id, int32_t w, int32_t h)
{
	if ((r->nimgs + 1) * 2 > r->capimgs) {
		size_t nc = r->capimgs ? 2 * r->capimgs : 64;
		struct pimg *nv = calloc(nc, sizeof(*nv));
		if (!nv)
			abort();
		for (size_t i = 0; i < r->capimgs; i++)
			if (r->imgs[i].used) {
				size_t j = pslot(r->imgs[i].id, nc);
				while (nv[j].used)
					j = (j + 1) & (nc - 1);
				nv[j] = r->imgs[i];
			}
		free(r->imgs);
		r->imgs = nv;
		r->capimgs = nc;
	}
	size_t j = pslot(id, r->capimgs);
	while (r->imgs[j].used && r->imgs[j].id != id)
		j = (j + 1) & (r->capimgs - 1);
	if (!r->imgs[j].used)
		r->nimgs++;
	r->imgs[j] = (struct pimg){id, w, h, true};
}

static const struct pimg *img_find(struct prd *r, int64_t id)
{
	if (!r->capimgs)
		return NULL;
	size_t j = pslot(id, r->capimgs);
	while (r->imgs[j].used) {
		if (r->imgs[j].id == id)
			return &r->imgs[j];
		j = (j + 1) & (r->capimgs - 1);
	}
	return NULL;
}

/* m padded with background or cropped to h x w (top-left kept). */
static void fit_mask(struct rle *m, uint32_t h, uint32_t w)
{
	uint8_t *a = malloc((size_t)m->h * m->w + 1), *b = calloc((size_t)h * w + 1, 1);
	if (!a || !b)
		abort();
	rle_to_bitmap(m, a);
	for (uint32_t x = 0; x < w && x < m->w; x++)
		for (uint32_t y = 0; y < h && y < m->h; y++)
			b[(size_t)x * h + y] = a[(size_t)x * m->h + y];
	rle_release(m);
	rle_from_bitmap(m, b, h, w);
	free(a);
	free(b);
}

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int bad(struct prd *r, const char *where, const char *sub, const char *fmt, const json_t *v)
{
	buf_reset(&r->w);
	buf_addf(&r->w, "%s%s%s", where, sub ? "." : "", sub ? sub : "");
	return fmt_sink_invalid(r->s, r->w.data, fmt, v ? jtype(v) : "nothing");
}

/* An integer member, or an error (1: skipped). */
static int get_int(struct prd *r, const json_t *o, const char *k, const char *where, bool required,
		   int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!v && !required)
		return 0;
	if (!json_is_integer(v)) {
		int rc = bad(r, where, k, "expected an integer, got %s", v);
		return rc ? rc : 1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int on_category(struct prd *r, json_t *e, const char *where)
{
	int64_t id = 0, isthing = -1;
	int rc;
	if ((rc = get_int(r, e, "id", where, true, &id)))
		return rc == 1 ? 0 : rc;
	json_t *n = json_object_get(e, "name");
	if (!json_is_string(n)) {
		rc = bad(r, where, "name", "expected a string, got %s", n);
		return rc;
	}
	json_t *it = json_object_get(e, "isthing");
	if (it && !json_is_null(it)) {
		if (!json_is_integer(it) && !json_is_boolean(it))
			return bad(r, where, "isthing", "expected 0 or 1, got %s", it);
		isthing = json_is_boolean(it) ? json_is_true(it) : json_integer_value(it) != 0;
	}
	json_t *sc = json_object_get(e, "supercategory");
	struct fmt_category c;
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.name = json_string_value(n);
	c.supercategory = json_is_string(sc) ? json_string_value(sc) : NULL;
	c.where = where;
	if ((rc = fmt_sink_category(r->s, &c)))
		return rc;
	r->cats = xrealloc(r->cats, (r->ncats + 1) * sizeof(*r->cats));
	r->cats[r->ncats].id = id;
	r->cats[r->ncats++].isthing = (int)isthing;
	return 0;
}

static int on_image(struct prd *r, json_t *e, const char *where)
{
	int64_t id = 0, w = 0, h = 0;
	int rc;
	if ((rc = get_int(r, e, "id", where, true, &id)) ||
	    (rc = get_int(r, e, "width", where, false, &w)) ||
	    (rc = get_int(r, e, "height", where, false, &h)))
		return rc == 1 ? 0 : rc;
	if (w < 0 || h < 0 || w > 1000000 || h > 1000000) {
		buf_reset(&r->w);
		buf_addf(&r->w, "%s.%s", where, w < 0 || w > 1000000 ? "width" : "height");
		return fmt_sink_invalid(r->s, r->w.data, "expected 0 to 1000000, got %lld",
					(long long)(w < 0 || w > 1000000 ? w : h));
	}
	json_t *fn = json_object_get(e, "file_name");
	if (!json_is_string(fn))
		return bad(r, where, "file_name", "expected a string, got %s", fn);
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = id;
	im.file_name = json_string_value(fn);
	im.width = (int32_t)w;
	im.height = (int32_t)h;
	im.where = where;
	img_put(r, id, (int32_t)w, (int32_t)h);
	return fmt_sink_image(r->s, &im);
}

static int load_png(struct prd *r, const char *fn, const char *where, struct mask_png_label **l,
		    size_t *n, struct mask_png_info *info)
{
	char *data = NULL;
	size_t len = 0;
	const void *bytes;
	if (r->mem_png) {
		bytes = r->mem_png;
		len = r->mem_len;
	} else {
		if (!*fn || strstr(fn, "..") || fn[0] == '/') {
			buf_reset(&r->w);
			buf_addf(&r->w, "%s.file_name", where);
			return fmt_sink_invalid(r->s, r->w.data, "'%s' is not a file of the PNG folder", fn);
		}
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", r->png_dir, fn);
		FILE *f = fopen(p.data, "rb");
		buf_release(&p);
		if (!f) {
			buf_reset(&r->w);
			buf_addf(&r->w, "%s.file_name", where);
			return fmt_sink_invalid(r->s, r->w.data, "%s%s: cannot open: %s", r->png_name, fn,
						strerror(errno));
		}
		struct buf b = BUF_INIT;
		char chunk[65536];
		size_t k;
		int rc = 0;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			if (b.len + k > PNG_MAX) {
				rc = 1;
				break;
			}
			buf_add(&b, chunk, k);
		}
		fclose(f);
		data = buf_detach(&b, &len);
		if (rc) {
			free(data);
			buf_setf(r->err, "%s%s: larger than %zu bytes", r->png_name, fn, PNG_MAX);
			return CAIRN_ETOOBIG;
		}
		bytes = data ? data : "";
	}
	struct buf e = BUF_INIT;
	int rc = mask_png_decode_values(l, n, info, bytes, len, &e);
	free(data);
	if (rc) {
		buf_reset(&r->w);
		buf_addf(&r->w, "%s.file_name", where);
		rc = fmt_sink_invalid(r->s, r->w.data, "%s%s: %s", r->png_name, fn, e.data);
		if (!rc)
			rc = 1;
	}
	buf_release(&e);
	return rc;
}

static int on_annotation(struct prd *r, json_t *e, const char *where)
{
	int64_t image = 0;
	int rc;
	if ((rc = get_int(r, e, "image_id", where, true, &image)))
		return rc == 1 ? 0 : rc;
	json_t *fn = json_object_get(e, "file_name");
	if (!json_is_string(fn))
		return bad(r, where, "file_name", "expected a string, got %s", fn);
	json_t *si = json_object_get(e, "segments_info");
	if (!json_is_array(si))
		return bad(r, where, "segments_info", "expected an array, got %s", si);
	struct mask_png_label *l = NULL;
	size_t n = 0;
	struct mask_png_info info;
	if ((rc = load_png(r, json_string_value(fn), where, &l, &n, &info)))
		return rc == 1 ? 0 : rc;
	const struct pimg *pi = img_find(r, image);
	if (pi && pi->w > 0 && pi->h > 0 && ((uint32_t)pi->w != info.w || (uint32_t)pi->h != info.h)) {
		fmt_sink_note(r->s, "panoptic PNG of another size than its image (padded or cropped)");
		for (size_t k = 0; k < n; k++)
			fit_mask(&l[k].rle, (uint32_t)pi->h, (uint32_t)pi->w);
	}
	bool *used = calloc(n + 1, 1);
	if (!used)
		abort();
	struct buf sw = BUF_INIT;
	size_t i;
	json_t *seg;
	json_array_foreach(si, i, seg) {
		buf_reset(&sw);
		buf_addf(&sw, "%s.segments_info[%zu]", where, i);
		int64_t id = 0, cat = 0, crowd = 0;
		if (!json_is_object(seg)) {
			rc = bad(r, sw.data, NULL, "expected an object, got %s", seg);
		} else if ((rc = get_int(r, seg, "id", sw.data, true, &id)) ||
			   (rc = get_int(r, seg, "category_id", sw.data, true, &cat)) ||
			   (rc = get_int(r, seg, "iscrowd", sw.data, false, &crowd))) {
			rc = rc == 1 ? 0 : rc;
		} else if (id < 1 || id > MAX_SEGMENT) {
			buf_addf(&sw, ".id");
			rc = fmt_sink_invalid(r->s, sw.data, "expected a segment id 1 to %u, got %lld",
					      MAX_SEGMENT, (long long)id);
		} else if (crowd != 0 && crowd != 1) {
			buf_addf(&sw, ".iscrowd");
			rc = fmt_sink_invalid(r->s, sw.data, "expected 0 or 1, got %lld", (long long)crowd);
		} else {
			size_t lo = 0, hi = n;
			while (lo < hi) {
				size_t m = (lo + hi) / 2;
				if (l[m].value < (uint32_t)id)
					lo = m + 1;
				else
					hi = m;
			}
			if (lo == n || l[lo].value != (uint32_t)id) {
				buf_addf(&sw, ".id");
				rc = fmt_sink_invalid(r->s, sw.data, "segment %lld has no pixels in %s%s",
						      (long long)id, r->png_name, json_string_value(fn));
			} else if (used[lo]) {
				buf_addf(&sw, ".id");
				rc = fmt_sink_invalid(r->s, sw.data, "segment %lld is listed twice",
						      (long long)id);
			} else {
				used[lo] = true;
				int thing = -1;
				for (size_t k = 0; k < r->ncats; k++)
					if (r->cats[k].id == cat)
						thing = r->cats[k].isthing;
				json_t *a = thing >= 0 ? json_object() : NULL;
				if (a)
					json_object_set_new(a, "isthing", json_boolean(thing));
				struct fmt_object o;
				memset(&o, 0, sizeof(o));
				o.id = id;
				o.has_id = true;
				o.image_id = image;
				o.category_id = cat;
				o.type = SHAPE_MASK;
				o.mask = &l[lo].rle;
				o.iscrowd = crowd == 1;
				o.attrs = a;
				o.where = sw.data;
				rc = fmt_sink_object(r->s, &o);
				json_decref(a);
			}
		}
		if (rc)
			break;
	}
	for (size_t k = 0; !rc && k < n; k++)
		if (!used[k] && l[k].value)
			fmt_sink_note(r->s, "PNG segment not in segments_info (void)");
	buf_release(&sw);
	free(used);
	mask_png_labels_free(l, n);
	return rc;
}

static int on_element(void *ctx, const char *section, size_t index, json_t *e, const char *where)
{
	struct prd *r = ctx;
	(void)index;
	if (!json_is_object(e)) {
		int rc = fmt_sink_invalid(r->s, where, "expected an object, got %s", jtype(e));
		return rc;
	}
	if (!strcmp(section, "categories"))
		return on_category(r, e, where);
	if (!strcmp(section, "images"))
		return on_image(r, e, where);
	if (!strcmp(section, "annotations"))
		return on_annotation(r, e, where);
	return 0;
}

static void prd_release(struct prd *r)
{
	free(r->cats);
	free(r->imgs);
	buf_release(&r->w);
}

/* One panoptic JSON file: its PNG folder is the file's name without .json. */
static int read_file(const char *path, struct fmt_sink *s, struct buf *err)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	struct buf dir = BUF_INIT, pname = BUF_INIT, split = BUF_INIT;
	buf_adds(&dir, path);
	if (dir.len > 5 && !strcmp(dir.data + dir.len - 5, ".json"))
		buf_setlen(&dir, dir.len - 5);
	const char *pb = strrchr(dir.data, '/');
	buf_addf(&pname, "%s/", pb ? pb + 1 : dir.data);
	/* panoptic_val2017.json -> split val, as the COCO reader names them */
	const char *u = strrchr(base, '_');
	if (u && !strncmp(u + 1, "train", 5))
		buf_adds(&split, "train");
	else if (u && !strncmp(u + 1, "val", 3))
		buf_adds(&split, "val");
	else if (u && !strncmp(u + 1, "test", 4))
		buf_adds(&split, "test");
	fmt_sink_split(s, split.len ? split.data : NULL);
	struct prd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.png_dir = dir.data;
	r.png_name = pname.data;
	r.w = (struct buf)BUF_INIT;
	int rc;
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		rc = CAIRN_ENOTFOUND;
	} else {
		rc = fmt_coco_stream(f, NULL, 0, base, s, on_element, &r, err);
		fclose(f);
	}
	fmt_sink_split(s, NULL);
	prd_release(&r);
	buf_release(&dir);
	buf_release(&pname);
	buf_release(&split);
	return rc;
}

static size_t list_panoptic(const char *dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, "panoptic", 8) || l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(char *));
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		(*out)[n++] = buf_detach(&p, NULL);
	}
	closedir(d);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

int fmt_coco_panoptic_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	struct buf p = BUF_INIT;
	int rc = 0;
	if (is_dir(path)) {
		buf_addf(&p, "%s/annotations", path);
		char **files;
		size_t n = list_panoptic(is_dir(p.data) ? p.data : path, &files);
		buf_reset(&p);
		buf_addf(&p, "%s/images", path);
		fmt_sink_media_dir(s, is_dir(p.data) ? p.data : path);
		if (!n) {
			buf_setf(err, "%s: no panoptic annotation files (annotations/panoptic_*.json)", path);
			rc = CAIRN_ENOTFOUND;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = read_file(files[i], s, err);
			free(files[i]);
		}
		free(files);
	} else {
		const char *slash = strrchr(path, '/');
		if (slash)
			buf_add(&p, path, (size_t)(slash - path));
		else
			buf_adds(&p, ".");
		size_t dl = p.len;
		buf_adds(&p, "/../images");
		if (!is_dir(p.data))
			buf_setlen(&p, dl);
		fmt_sink_media_dir(s, p.data);
		rc = read_file(path, s, err);
	}
	buf_release(&p);
	return rc;
}

int fmt_coco_panoptic_read_mem(const char *json, size_t len, const void *png, size_t pnglen,
			       struct fmt_sink *s, struct buf *err)
{
	struct prd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.png_name = "fuzz/";
	r.mem_png = png;
	r.mem_len = pnglen;
	r.w = (struct buf)BUF_INIT;
	int rc = fmt_coco_stream(NULL, json, len, "fuzz.json", s, on_element, &r, err);
	prd_release(&r);
	return rc;
}

int fmt_coco_panoptic_probe(const char *path)
{
	if (is_dir(path)) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/annotations", path);
		char **files;
		size_t n = list_panoptic(p.data, &files);
		for (size_t i = 0; i < n; i++)
			free(files[i]);
		free(files);
		buf_release(&p);
		return n ? 60 : 0; /* below coco (90) when instances_*.json are there too */
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char head[8192];
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[got] = 0;
	return strstr(head, "\"segments_info\"") ? 95 : 0;
}

/* ---- writing ---- */

struct psplit {
	char name[16];
	FILE *json;                 /* the file, images section being written */
	FILE *ann;                  /* the annotations section, spooled */
	size_t nimages, nanns;
};

struct pwr {
	struct store *st;
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	signed char *isthing;       /* per label: -1 unseen, 0, 1 */
	struct psplit sp[8];
	size_t nsp;
	int64_t last_id, done, next_image;
	uint32_t *px;
	size_t cappx;
	struct buf b, path, png;
	int rc;
};

static struct psplit *split_get(struct pwr *w, const char *name)
{
	for (size_t i = 0; i < w->nsp; i++)
		if (!strcmp(w->sp[i].name, name))
			return &w->sp[i];
	if (w->nsp == 8) {
		buf_setf(w->err, "more than 8 splits");
		return NULL;
	}
	struct psplit *s = &w->sp[w->nsp];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	buf_reset(&w->path);
	buf_addf(&w->path, "%s/annotations", w->out);
	if (fmt_mkdirs(w->path.data, w->err))
		return NULL;
	buf_addf(&w->path, "/panoptic%s%s.json", *name ? "_" : "", name);
	s->json = fopen(w->path.data, "w");
	s->ann = tmpfile();
	if (!s->json || !s->ann) {
		buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
		if (s->json)
			fclose(s->json);
		if (s->ann)
			fclose(s->ann);
		return NULL;
	}
	fputs("{\"info\":{},\"licenses\":[],\"images\":[", s->json);
	w->nsp++;
	return s;
}

struct seg {
	uint32_t id;
	size_t obj;
	uint64_t area;
	uint32_t x0, y0, x1, y1;
};

static int cmp_seg(const void *a, const void *b)
{
	uint32_t x = ((const struct seg *)a)->id, y = ((const struct seg *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_z(const void *a, const void *b)
{
	const struct ann_object *x = *(const struct ann_object *const *)a;
	const struct ann_object *y = *(const struct ann_object *const *)b;
	if (x->z_order != y->z_order)
		return x->z_order < y->z_order ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int write_item(void *ctx, const struct item *it)
{
	struct pwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	if (!split)
		split = "";
	struct psplit *sp = split_get(w, split);
	if (!sp) {
		w->rc = CAIRN_EIO;
		return w->rc;
	}
	char *tmp;
	const char *fn = fmt_item_file_name(it, &tmp);
	size_t sl = strlen(split);
	if (sl && !strncmp(fn, split, sl) && fn[sl] == '/')
		fn += sl + 1;
	int64_t image_id;
	if (!fmt_meta_id(it, "coco-panoptic_id", &image_id) && !fmt_meta_id(it, "coco_id", &image_id))
		image_id = w->l.max_image_id + ++w->next_image;
	int rc = 0;
	if (strstr(fn, "..")) {
		buf_setf(w->err, "item %lld: file name '%s' leaves the output folder", (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/images/%s%s%s", w->out, split, *split ? "/" : "", fn);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	uint32_t W = it->width > 0 ? (uint32_t)it->width : 0, H = it->height > 0 ? (uint32_t)it->height : 0;
	if (!rc && (!W || !H || (uint64_t)W * H > MASK_PNG_MAX_PIXELS)) {
		buf_setf(w->err, "item %lld '%s': no usable width and height for a panoptic PNG",
			 (long long)it->id, fn);
		rc = CAIRN_EINVAL;
	}
	/* The image entry. */
	if (!rc) {
		buf_reset(&w->b);
		buf_addf(&w->b, "%s{\"id\":%lld,\"width\":%u,\"height\":%u,\"file_name\":",
			 sp->nimages++ ? "," : "", (long long)image_id, W, H);
		buf_add_json_str(&w->b, fn);
		buf_addch(&w->b, '}');
		if (fwrite(w->b.data, 1, w->b.len, sp->json) != w->b.len) {
			buf_setf(w->err, "cannot write the panoptic JSON: %s", strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	struct seg *segs = NULL;
	size_t nseg = 0;
	if (!rc) {
		size_t npx = (size_t)W * H;
		if (npx > w->cappx) {
			w->px = xrealloc(w->px, npx * sizeof(uint32_t));
			w->cappx = npx;
		}
		memset(w->px, 0, npx * sizeof(uint32_t));
		if (found && d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		if (found && d.nrelations)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
		const struct ann_object **ord = xrealloc(NULL, (d.nobjects + 1) * sizeof(*ord));
		for (size_t i = 0; i < d.nobjects; i++)
			ord[i] = &d.objects[i];
		qsort(ord, d.nobjects, sizeof(*ord), cmp_z);
		/* Segment ids: the object's own when it is one, else after the largest. */
		uint32_t maxid = 0;
		segs = xrealloc(NULL, (d.nobjects + 1) * sizeof(*segs));
		for (size_t i = 0; i < d.nobjects; i++) {
			char *end;
			unsigned long u = strtoul(ord[i]->uid, &end, 10);
			char canon[32];
			snprintf(canon, sizeof(canon), "%lu", u);
			segs[i].id = !*end && u >= 1 && u <= MAX_SEGMENT && !strcmp(canon, ord[i]->uid)
					     ? (uint32_t)u : 0;
			if (segs[i].id > maxid)
				maxid = segs[i].id;
		}
		uint64_t over = 0;
		for (size_t i = 0; i < d.nobjects; i++) {
			const struct ann_object *ob = ord[i];
			struct rle m = RLE_INIT;
			if (!fmt_masks_object_rle(ob, H, W, &m, w->loss, "COCO panoptic"))
				continue;
			uint32_t id = segs[i].id;
			if (!id) {
				if (maxid >= MAX_SEGMENT) {
					fmt_loss_add(w->loss, "segment past id 16777215", 1);
					rle_release(&m);
					continue;
				}
				id = ++maxid;
			}
			const char *json_attrs = ob->attrs ? ob->attrs : "{}";
			bool crowd = strstr(json_attrs, "\"iscrowd\":true") != NULL;
			if (strstr(json_attrs, "\"isthing\":true"))
				w->isthing[ob->label] = 1;
			else if (strstr(json_attrs, "\"isthing\":false") && w->isthing[ob->label] < 0)
				w->isthing[ob->label] = 0;
			json_t *a = json_loads(json_attrs, 0, NULL);
			json_object_del(a, "iscrowd");
			json_object_del(a, "isthing");
			const char *k;
			json_t *v;
			size_t other = 0;
			json_object_foreach(a, k, v)
				if (!json_is_null(v) && !json_is_false(v) &&
				    !(json_is_string(v) && !*json_string_value(v)))
					other++;
			json_decref(a);
			if (other)
				fmt_loss_add(w->loss, "object attributes", (int64_t)other);
			if (ob->has_score || ob->has_track || ob->has_frame || ob->text)
				fmt_loss_add(w->loss, "score, track, frame or text", 1);
			/* Paint, counting pixels taken from an earlier segment. */
			uint64_t pos = 0;
			for (size_t r = 0; r < m.n; r++) {
				uint64_t e = pos + m.counts[r];
				if (r & 1)
					for (uint64_t q = pos; q < e; q++) {
						uint32_t *dst = &w->px[(size_t)(q % H) * W + q / H];
						if (*dst)
							over++;
						*dst = id;
					}
				pos = e;
			}
			rle_release(&m);
			segs[nseg].id = id;
			segs[nseg].obj = (size_t)(ob - d.objects);
			segs[nseg].area = 0;
			segs[nseg].x0 = segs[nseg].y0 = UINT32_MAX;
			segs[nseg].x1 = segs[nseg].y1 = 0;
			nseg++;
			(void)crowd;
		}
		free(ord);
		if (over)
			fmt_loss_add(w->loss, "mask pixels under a later object (overlap)", (int64_t)over);
		qsort(segs, nseg, sizeof(*segs), cmp_seg);
		for (uint32_t y = 0; y < H; y++)
			for (uint32_t x = 0; x < W; x++) {
				uint32_t v = w->px[(size_t)y * W + x];
				if (!v)
					continue;
				size_t lo = 0, hi = nseg;
				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (segs[mid].id < v)
						lo = mid + 1;
					else
						hi = mid;
				}
				struct seg *g = &segs[lo];
				g->area++;
				if (x < g->x0)
					g->x0 = x;
				if (y < g->y0)
					g->y0 = y;
				if (x + 1 > g->x1)
					g->x1 = x + 1;
				if (y + 1 > g->y1)
					g->y1 = y + 1;
			}
		/* The PNG and the annotation entry. */
		char *stem = xstrdup(fn);
		char *dot = strrchr(stem, '.');
		if (dot && !strchr(dot, '/'))
			*dot = 0;
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/annotations/panoptic%s%s/%s.png", w->out, *split ? "_" : "", split,
			 stem);
		buf_reset(&w->png);
		struct buf e = BUF_INIT;
		rc = mask_png_encode_values(w->px, W, H, MASK_PNG_RGB, 8, NULL, 0, &w->png, &e);
		if (rc)
			buf_setf(w->err, "%s: %s", w->path.data, e.data);
		buf_release(&e);
		if (!rc) {
			char *dd = xstrdup(w->path.data);
			*strrchr(dd, '/') = 0;
			rc = fmt_mkdirs(dd, w->err);
			free(dd);
		}
		FILE *pf = rc ? NULL : fopen(w->path.data, "wb");
		if (!rc && (!pf || fwrite(w->png.data, 1, w->png.len, pf) != w->png.len)) {
			buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
			rc = CAIRN_EIO;
		}
		if (pf && fclose(pf) && !rc) {
			buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
			rc = CAIRN_EIO;
		}
		if (!rc) {
			buf_reset(&w->b);
			buf_addf(&w->b, "%s{\"image_id\":%lld,\"file_name\":", sp->nanns++ ? "," : "",
				 (long long)image_id);
			const char *sb = strrchr(stem, '/');
			(void)sb;
			buf_reset(&w->path);
			buf_addf(&w->path, "%s.png", stem);
			buf_add_json_str(&w->b, w->path.data);
			buf_adds(&w->b, ",\"segments_info\":[");
			size_t k = 0;
			for (size_t i = 0; i < nseg; i++) {
				struct seg *g = &segs[i];
				if (!g->area) {
					fmt_loss_add(w->loss, "segment hidden by later ones (no pixels left)", 1);
					continue;
				}
				const struct ann_object *ob = &d.objects[g->obj];
				bool crowd = ob->attrs && strstr(ob->attrs, "\"iscrowd\":true");
				buf_addf(&w->b, "%s{\"id\":%u,\"category_id\":%lld,\"iscrowd\":%d,\"bbox\":"
					 "[%u,%u,%u,%u],\"area\":%llu}", k++ ? "," : "", g->id,
					 (long long)w->l.ids[ob->label], crowd ? 1 : 0, g->x0, g->y0,
					 g->x1 - g->x0, g->y1 - g->y0, (unsigned long long)g->area);
			}
			buf_adds(&w->b, "]}");
			if (fwrite(w->b.data, 1, w->b.len, sp->ann) != w->b.len) {
				buf_setf(w->err, "cannot spool the annotations: %s", strerror(errno));
				rc = CAIRN_EIO;
			}
		}
		free(stem);
	}
	free(segs);
	ann_doc_release(&d);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

static int finish_split(struct pwr *w, struct psplit *sp)
{
	int rc = 0;
	fputs("],\"annotations\":[", sp->json);
	rewind(sp->ann);
	char b[65536];
	size_t n;
	while ((n = fread(b, 1, sizeof(b), sp->ann)) > 0)
		if (fwrite(b, 1, n, sp->json) != n)
			rc = CAIRN_EIO;
	fputs("],\"categories\":[", sp->json);
	buf_reset(&w->b);
	/* In id order. */
	size_t nl = w->l.sc.nlabels;
	size_t *ord = xrealloc(NULL, (nl + 1) * sizeof(*ord));
	for (size_t i = 0; i < nl; i++)
		ord[i] = i;
	for (size_t i = 1; i < nl; i++)
		for (size_t k = i; k > 0 && w->l.ids[ord[k - 1]] > w->l.ids[ord[k]]; k--) {
			size_t t = ord[k];
			ord[k] = ord[k - 1];
			ord[k - 1] = t;
		}
	for (size_t j = 0; j < nl; j++) {
		size_t i = ord[j];
		buf_addf(&w->b, "%s{\"id\":%lld,\"name\":", j ? "," : "", (long long)w->l.ids[i]);
		buf_add_json_str(&w->b, w->l.sc.labels[i].name);
		buf_adds(&w->b, ",\"supercategory\":");
		buf_add_json_str(&w->b, w->l.super[i] ? w->l.super[i] : "");
		buf_addf(&w->b, ",\"isthing\":%d}", w->isthing[i] == 0 ? 0 : 1);
	}
	free(ord);
	buf_adds(&w->b, "]}\n");
	if (fwrite(w->b.data, 1, w->b.len, sp->json) != w->b.len)
		rc = CAIRN_EIO;
	fclose(sp->ann);
	sp->ann = NULL;
	if (fclose(sp->json))
		rc = CAIRN_EIO;
	sp->json = NULL;
	if (rc)
		buf_setf(w->err, "cannot write panoptic%s%s.json: %s", *sp->name ? "_" : "", sp->name,
			 strerror(errno));
	return rc;
}

int fmt_coco_panoptic_write(struct store *st, int64_t project_id, const char *out,
			    const struct fmt_write_opts *o, struct fmt_loss *loss,
			    struct buf *err)
{
	struct pwr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.b = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	w.png = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "coco-panoptic", err)))
		return rc;
	/* Without a panoptic import, the COCO import's category ids. */
	if (!w.l.max_image_id) {
		struct fmt_labels c;
		struct buf e = BUF_INIT;
		int crc = fmt_labels_load(&c, st, project_id, "coco", &e);
		buf_release(&e);
		if (!crc) {
			memcpy(w.l.ids, c.ids, w.l.sc.nlabels * sizeof(*w.l.ids));
			for (size_t i = 0; i < w.l.sc.nlabels; i++)
				if (!w.l.super[i] && c.super[i]) {
					w.l.super[i] = c.super[i];
					c.super[i] = NULL;
				}
			w.l.max_image_id = c.max_image_id;
			fmt_labels_release(&c);
		}
	}
	w.isthing = xrealloc(NULL, w.l.sc.nlabels + 1);
	memset(w.isthing, -1, w.l.sc.nlabels + 1);
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (!rc && !w.nsp && !split_get(&w, ""))
		rc = CAIRN_EIO;
	for (size_t i = 0; i < w.nsp; i++) {
		if (!rc)
			rc = finish_split(&w, &w.sp[i]);
		if (w.sp[i].ann)
			fclose(w.sp[i].ann);
		if (w.sp[i].json)
			fclose(w.sp[i].json);
	}
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	free(w.isthing);
	free(w.px);
	buf_release(&w.b);
	buf_release(&w.path);
	buf_release(&w.png);
	return rc;
}
