/*
 * fmt_masks.c - mask PNG datasets: CamVid (label_colors.txt, <split>.txt
 * lists, <split>annot/ colour or index PNGs), Cityscapes (gtFine/<split>/
 * <city>/<name>_gtFine_instanceIds.png with id = class * 1000 + instance, or
 * <name>_gtFine_labelIds.png or _labelTrainIds.png) and Pascal VOC's segmentation
 * folders (SegmentationClass/, SegmentationObject/). Masks are read one
 * PNG at a time into COCO RLE (media/mask_png.h): one mask object per
 * class present of a semantic PNG, one per instance of an instance PNG.
 * The writer writes Cairn's layout, which is CamVid's plus Cityscapes'
 * instance ids: label_colors.txt, <split>.txt, <split>annot/<name>.png
 * (palette PNG, the class index) and <split>inst/<name>.png (16-bit,
 * class * 1000 + instance; a class alone for crowd regions).
 * Conventions: docs/formats/masks.md.
 */
#include "formats/fmt_masks.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/err.h"
#include "media/mask_png.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_masks_probe(const char *path);
int fmt_masks_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_masks_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define PNG_MAX ((size_t)512 << 20)   /* one mask PNG */
#define LIST_MAX 10000000             /* files in one folder walk */
#define MAX_CLASSES 65536

/* ---- small helpers ---- */

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static int slurp(const char *path, const char *name, size_t max, char **out, size_t *len,
		 struct buf *err)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", name, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max) {
			fclose(f);
			buf_release(&b);
			buf_setf(err, "%s: larger than %zu bytes", name, max);
			return CAIRN_ETOOBIG;
		}
		buf_add(&b, chunk, n);
	}
	fclose(f);
	*out = buf_detach(&b, len);
	if (!*out)
		*out = xstrdup("");
	return 0;
}

struct strv {
	char **v;
	size_t n, cap;
	bool full;                  /* LIST_MAX reached: refused, never cut short silently */
};

static void strv_add(struct strv *s, const char *x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(x);
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files under dir (relative paths, sorted) whose names end with suffix
 * (NULL: any); into subfolders up to depth levels; dirs_only lists folders. */
static void walk(const char *dir, const char *rel, int depth, const char *suffix, bool dirs_only,
		 struct strv *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = BUF_INIT, r = BUF_INIT;
	while ((e = readdir(d))) {
		if (out->n >= LIST_MAX) {
			out->full = true;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, e->d_name);
		buf_reset(&r);
		if (rel && *rel)
			buf_addf(&r, "%s/%s", rel, e->d_name);
		else
			buf_adds(&r, e->d_name);
		bool isd = is_dir(p.data);
		if (dirs_only) {
			if (isd)
				strv_add(out, r.data);
			continue;
		}
		if (isd) {
			if (depth > 0)
				walk(p.data, r.data, depth - 1, suffix, false, out);
		} else if (!suffix || ends_with(e->d_name, suffix)) {
			strv_add(out, r.data);
		}
	}
	closedir(d);
	buf_release(&p);
	buf_release(&r);
	if ((!rel || !*rel) && out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

/* A listing that reached LIST_MAX is an error, not a shorter dataset. */
static int check_full(const struct strv *l, const char *dir, struct buf *err)
{
	if (!l->full)
		return 0;
	buf_setf(err, "%s: more than %d files", dir, LIST_MAX);
	return CAIRN_ETOOBIG;
}

/* ---- label maps ---- */

struct lmap {
	char **name;                /* per class value; NULL for a gap */
	uint8_t (*rgb)[3];
	bool *has_rgb;
	char **where;
	size_t n;
};

static void lmap_set(struct lmap *m, size_t i, const char *name, const uint8_t *rgb,
		     const char *where)
{
	if (i >= m->n) {
		size_t nn = i + 1;
		m->name = xrealloc(m->name, nn * sizeof(*m->name));
		m->rgb = xrealloc(m->rgb, nn * sizeof(*m->rgb));
		m->has_rgb = xrealloc(m->has_rgb, nn * sizeof(*m->has_rgb));
		m->where = xrealloc(m->where, nn * sizeof(*m->where));
		for (size_t k = m->n; k < nn; k++) {
			m->name[k] = NULL;
			m->has_rgb[k] = false;
			m->where[k] = NULL;
		}
		m->n = nn;
	}
	free(m->name[i]);
	free(m->where[i]);
	m->name[i] = xstrdup(name);
	m->where[i] = xstrdup(where);
	m->has_rgb[i] = rgb != NULL;
	if (rgb)
		memcpy(m->rgb[i], rgb, 3);
}

static void lmap_free(struct lmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->name[i]);
		free(m->where[i]);
	}
	free(m->name);
	free(m->rgb);
	free(m->has_rgb);
	free(m->where);
	memset(m, 0, sizeof(*m));
}

/* The class of a colour: the first entry with it; -1 when none. */
static long lmap_find_rgb(const struct lmap *m, uint32_t v)
{
	uint8_t c[3] = {(uint8_t)(v & 255), (uint8_t)(v >> 8 & 255), (uint8_t)(v >> 16 & 255)};
	for (size_t i = 0; i < m->n; i++)
		if (m->name[i] && m->has_rgb[i] && !memcmp(m->rgb[i], c, 3))
			return (long)i;
	return -1;
}

static const struct {
	const char *name;
	uint8_t r, g, b;
} camvid_map[] = {
	{"Void", 0, 0, 0}, {"Animal", 64, 128, 64}, {"Archway", 192, 0, 128},
	{"Bicyclist", 0, 128, 192}, {"Bridge", 0, 128, 64}, {"Building", 128, 0, 0},
	{"Car", 64, 0, 128}, {"CartLuggagePram", 64, 0, 192}, {"Child", 192, 128, 64},
	{"Column_Pole", 192, 192, 128}, {"Fence", 64, 64, 128}, {"LaneMkgsDriv", 128, 0, 192},
	{"LaneMkgsNonDriv", 192, 0, 64}, {"Misc_Text", 128, 128, 64},
	{"MotorcycycleScooter", 192, 0, 192}, {"OtherMoving", 128, 64, 64},
	{"ParkingBlock", 64, 192, 128}, {"Pedestrian", 64, 64, 0}, {"Road", 128, 64, 128},
	{"RoadShoulder", 128, 128, 192}, {"Sidewalk", 0, 0, 192}, {"SignSymbol", 192, 128, 128},
	{"Sky", 128, 128, 128}, {"SUVPickupTruck", 64, 128, 192}, {"TrafficCone", 0, 0, 64},
	{"TrafficLight", 0, 64, 64}, {"Train", 192, 64, 128}, {"Tree", 128, 128, 0},
	{"Truck_Bus", 192, 128, 192}, {"Tunnel", 64, 0, 64}, {"VegetationMisc", 192, 192, 0},
	{"Wall", 64, 192, 0},
}, city_map[] = {
	{"unlabeled", 0, 0, 0}, {"egovehicle", 0, 0, 0}, {"rectificationborder", 0, 0, 0},
	{"outofroi", 0, 0, 0}, {"static", 0, 0, 0}, {"dynamic", 111, 74, 0},
	{"ground", 81, 0, 81}, {"road", 128, 64, 128}, {"sidewalk", 244, 35, 232},
	{"parking", 250, 170, 160}, {"railtrack", 230, 150, 140}, {"building", 70, 70, 70},
	{"wall", 102, 102, 156}, {"fence", 190, 153, 153}, {"guardrail", 180, 165, 180},
	{"bridge", 150, 100, 100}, {"tunnel", 150, 120, 90}, {"pole", 153, 153, 153},
	{"polegroup", 153, 153, 153}, {"trafficlight", 250, 170, 30}, {"trafficsign", 220, 220, 0},
	{"vegetation", 107, 142, 35}, {"terrain", 152, 251, 152}, {"sky", 70, 130, 180},
	{"person", 220, 20, 60}, {"rider", 255, 0, 0}, {"car", 0, 0, 142}, {"truck", 0, 0, 70},
	{"bus", 0, 60, 100}, {"caravan", 0, 0, 90}, {"trailer", 0, 0, 110},
	{"train", 0, 80, 100}, {"motorcycle", 0, 0, 230}, {"bicycle", 119, 11, 32},
}, city_train_map[] = {
	{"road", 128, 64, 128}, {"sidewalk", 244, 35, 232}, {"building", 70, 70, 70},
	{"wall", 102, 102, 156}, {"fence", 190, 153, 153}, {"pole", 153, 153, 153},
	{"trafficlight", 250, 170, 30}, {"trafficsign", 220, 220, 0},
	{"vegetation", 107, 142, 35}, {"terrain", 152, 251, 152}, {"sky", 70, 130, 180},
	{"person", 220, 20, 60}, {"rider", 255, 0, 0}, {"car", 0, 0, 142}, {"truck", 0, 0, 70},
	{"bus", 0, 60, 100}, {"train", 0, 80, 100}, {"motorcycle", 0, 0, 230},
	{"bicycle", 119, 11, 32}, {"background", 0, 0, 0},
};

static const char *const voc_names[] = {
	"background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
	"chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
	"sheep", "sofa", "train", "tvmonitor",
};
#define NVOC (sizeof(voc_names) / sizeof(*voc_names))

void fmt_masks_voc_colour(uint32_t i, uint8_t rgb[3])
{
	uint32_t r = 0, g = 0, b = 0, c = i;
	for (int k = 7; k >= 0 && c; k--, c >>= 3) {
		r |= (c & 1) << k;
		g |= (c >> 1 & 1) << k;
		b |= (c >> 2 & 1) << k;
	}
	rgb[0] = (uint8_t)r;
	rgb[1] = (uint8_t)g;
	rgb[2] = (uint8_t)b;
}

/* The VOC palette index of a colour, or -1. */
static long voc_index_of(uint32_t v)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint8_t c[3];
		fmt_masks_voc_colour(i, c);
		if ((uint32_t)(c[0] | c[1] << 8 | c[2] << 16) == v)
			return (long)i;
	}
	return -1;
}

#define LOAD_BUILTIN(m, tab, what)                                                         \
	do {                                                                               \
		for (size_t i_ = 0; i_ < sizeof(tab) / sizeof(*tab); i_++) {              \
			uint8_t c_[3] = {tab[i_].r, tab[i_].g, tab[i_].b};                 \
			lmap_set(m, i_, tab[i_].name, c_, what);                           \
		}                                                                          \
	} while (0)

/* label_colors.txt: "r g b name" (or "name") a line; line order is the
 * class value; '#' comments and blank lines are skipped. */
static int parse_label_colors(struct lmap *m, const char *path, const char *name,
			      struct buf *err)
{
	char *data;
	size_t len;
	int rc = slurp(path, name, (size_t)16 << 20, &data, &len, err);
	if (rc)
		return rc;
	size_t idx = 0;
	long line = 0;
	char *save = NULL;
	struct buf w = BUF_INIT, orig = BUF_INIT;
	for (char *p = data; p && *p && !rc;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		line++;
		size_t l = strlen(p);
		while (l && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
			p[--l] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#') {
			buf_reset(&w);
			buf_addf(&w, "%s:%ld", name, line);
			buf_reset(&orig);
			buf_adds(&orig, p);
			char *tok[4] = {0};
			int nt = 0;
			char *t = strtok_r(p, " \t", &save);
			while (t && nt < 4) {
				tok[nt++] = t;
				t = nt < 3 ? strtok_r(NULL, " \t", &save) : strtok_r(NULL, "", &save);
			}
			if (nt == 1) {
				lmap_set(m, idx++, tok[0], NULL, w.data);
			} else if (nt == 4) {
				uint8_t c[3];
				for (int k = 0; k < 3 && !rc; k++) {
					char *end;
					long v = strtol(tok[k], &end, 10);
					if (*end || end == tok[k] || v < 0 || v > 255) {
						buf_setf(err, "%s: column %d: expected a colour value 0 to 255, got \"%s\"",
							 w.data, k + 1, tok[k]);
						rc = CAIRN_EINVAL;
					}
					c[k] = (uint8_t)v;
				}
				if (!rc)
					lmap_set(m, idx++, tok[3], c, w.data);
			} else {
				buf_setf(err, "%s: expected \"r g b name\" or \"name\", got \"%s\"", w.data,
					 orig.data);
				rc = CAIRN_EINVAL;
			}
			if (!rc && idx > MAX_CLASSES) {
				buf_setf(err, "%s: more than %d classes", w.data, MAX_CLASSES);
				rc = CAIRN_ETOOBIG;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	buf_release(&w);
	buf_release(&orig);
	free(data);
	if (!rc && !idx) {
		buf_setf(err, "%s: no classes", name);
		rc = CAIRN_EINVAL;
	}
	return rc;
}

/* labelmap.txt (Datumaro's VOC): "name:r,g,b:parts:actions" a line. */
static int parse_voc_labelmap(struct lmap *m, const char *path, struct buf *err)
{
	char *data;
	size_t len;
	int rc = slurp(path, "labelmap.txt", (size_t)16 << 20, &data, &len, err);
	if (rc)
		return rc;
	size_t idx = 0;
	long line = 0;
	struct buf w = BUF_INIT;
	for (char *p = data; p && *p && !rc;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		line++;
		size_t l = strlen(p);
		while (l && (p[l - 1] == '\r' || p[l - 1] == ' '))
			p[--l] = 0;
		if (*p && *p != '#') {
			buf_reset(&w);
			buf_addf(&w, "labelmap.txt:%ld", line);
			char *c1 = strchr(p, ':');
			if (!c1 || c1 == p) {
				buf_setf(err, "%s: expected \"name:r,g,b:parts:actions\", got \"%s\"", w.data, p);
				rc = CAIRN_EINVAL;
				break;
			}
			*c1 = 0;
			char *col = c1 + 1, *c2 = strchr(col, ':');
			if (c2)
				*c2 = 0;
			uint8_t c[3];
			bool has = *col != 0;
			if (has) {
				unsigned r, g, b;
				char tail;
				if (sscanf(col, "%u,%u,%u%c", &r, &g, &b, &tail) != 3 || r > 255 || g > 255 ||
				    b > 255) {
					buf_setf(err, "%s: colour: expected r,g,b (0 to 255), got \"%s\"", w.data, col);
					rc = CAIRN_EINVAL;
					break;
				}
				c[0] = (uint8_t)r;
				c[1] = (uint8_t)g;
				c[2] = (uint8_t)b;
			} else {
				fmt_masks_voc_colour((uint32_t)idx, c);
			}
			lmap_set(m, idx++, p, c, w.data);
			if (idx > 256) {
				buf_setf(err, "%s: more than 256 classes", w.data);
				rc = CAIRN_ETOOBIG;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	buf_release(&w);
	free(data);
	return rc;
}

/* ---- reading ---- */

enum inst_kind { INST_NONE, INST_CITY, INST_VOC };

struct mrd {
	struct fmt_sink *s;
	struct buf *err;
	const char *root;
	struct lmap lm;
	const char *map_name;       /* for messages: "label_colors.txt" or "the CamVid label map" */
	bool palette_is_index;      /* VOC: palette PNG values are the class */
	bool *declared;             /* per class: emitted as a category */
	int64_t next_image;
	struct fmt_masks_voc_link *link; /* the voc reader's images and labels, or NULL */
	const char *stem;           /* with link: the image being read */
};

/* The class of one value of a semantic PNG, -1 for background (0 or
 * black), -2 for VOC's void (255), -3 for a value not in the map (with
 * the message in err). */
static long class_of(struct mrd *r, const struct mask_png_info *in, uint32_t v, const char *file)
{
	long c;
	if (in->kind == MASK_PNG_RGB) {
		if (!v)
			return -1;
		c = lmap_find_rgb(&r->lm, v);
		if (c < 0) {
			buf_setf(r->err, "%s: colour (%u,%u,%u) is not in the label map (%s)", file,
				 v & 255, v >> 8 & 255, v >> 16 & 255, r->map_name);
			return -3;
		}
		return c;
	}
	if (in->kind == MASK_PNG_PALETTE && !r->palette_is_index) {
		if (v >= in->npalette) {
			buf_setf(r->err, "%s: palette index %u past the palette's %zu colours", file, v,
				 in->npalette);
			return -3;
		}
		uint32_t rgb = (uint32_t)in->palette[v][0] | (uint32_t)in->palette[v][1] << 8 |
			       (uint32_t)in->palette[v][2] << 16;
		if (!rgb)
			return -1;
		c = lmap_find_rgb(&r->lm, rgb);
		if (c >= 0)
			return c;
		/* Not a colour of the map: the index is the class. */
	}
	if (!v)
		return -1;
	if (r->palette_is_index && v == 255)
		return -2;
	if (v >= r->lm.n || !r->lm.name[v]) {
		buf_setf(r->err, "%s: value %u is not a class of the label map (%s)", file, v,
			 r->map_name);
		return -3;
	}
	return (long)v;
}

/* Classes become categories when first used (with the map's colour). */
static int emit_categories(struct mrd *r)
{
	free(r->declared);
	r->declared = calloc(r->lm.n + 1, 1);
	if (!r->declared)
		abort();
	return 0;
}

static int declare(struct mrd *r, long cls)
{
	if (cls <= 0 || (size_t)cls >= r->lm.n || r->declared[cls])
		return 0;
	struct fmt_category c;
	char col[8];
	memset(&c, 0, sizeof(c));
	c.id = cls;
	c.name = r->lm.name[cls];
	c.where = r->lm.where[cls];
	r->declared[cls] = true;
	int rc = fmt_sink_category(r->s, &c);
	if (!rc && r->lm.has_rgb[cls]) {
		snprintf(col, sizeof(col), "#%02x%02x%02x", r->lm.rgb[cls][0], r->lm.rgb[cls][1],
			 r->lm.rgb[cls][2]);
		fmt_sink_category_color(r->s, cls, col);
	}
	return rc;
}

static int emit_mask(struct mrd *r, int64_t image, long cls, const struct rle *m, bool crowd,
		     bool has_id, int64_t id, int64_t group, const char *where)
{
	int64_t cat = cls;
	int rc = r->link ? r->link->category(r->link->ctx, r->lm.name[cls], where, &cat)
			 : declare(r, cls);
	if (rc)
		return rc;
	struct fmt_object o;
	memset(&o, 0, sizeof(o));
	o.image_id = image;
	o.category_id = cat;
	o.type = SHAPE_MASK;
	o.mask = m;
	o.iscrowd = crowd;
	o.has_id = has_id;
	o.id = id;
	if (group > 0) {
		o.has_group = true;
		o.group = group;
	}
	o.where = where;
	return fmt_sink_object(r->s, &o);
}

static int read_png(const char *path, const char *name, struct mask_png_label **lab, size_t *n,
		    struct mask_png_info *info, struct buf *err)
{
	char *data;
	size_t len;
	int rc = slurp(path, name, PNG_MAX, &data, &len, err);
	if (rc)
		return rc;
	struct buf e = BUF_INIT;
	rc = mask_png_decode_values(lab, n, info, data, len, &e);
	free(data);
	if (rc)
		buf_setf(err, "%s: %s", name, e.data);
	buf_release(&e);
	return rc;
}

/* Cairn's splits are train, val and test; another split folder stays in
 * the file name (the media are found by it) with no split. */
static bool known_split(const char *s)
{
	return s && (!strcmp(s, "train") || !strcmp(s, "val") || !strcmp(s, "test"));
}

/* One image: its semantic PNG (sem, may be NULL) and instance PNG (inst,
 * may be NULL), both relative to r->root. */
static int read_image(struct mrd *r, const char *sem, const char *inst, enum inst_kind ik,
		      const char *file_name, const char *split)
{
	struct mask_png_label *sl = NULL, *il = NULL;
	size_t sn = 0, in_ = 0;
	struct mask_png_info si, ii;
	struct buf p = BUF_INIT, w = BUF_INIT;
	int rc = 0;
	memset(&si, 0, sizeof(si));
	memset(&ii, 0, sizeof(ii));
	if (sem) {
		buf_addf(&p, "%s/%s", r->root, sem);
		if ((rc = read_png(p.data, sem, &sl, &sn, &si, r->err)))
			goto out;
	}
	if (inst) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", r->root, inst);
		if ((rc = read_png(p.data, inst, &il, &in_, &ii, r->err)))
			goto out;
		if (sem && (ii.w != si.w || ii.h != si.h)) {
			buf_reset(&w);
			buf_addf(&w, "%s", inst);
			rc = fmt_sink_invalid(r->s, w.data, "%ux%u, but %s is %ux%u", ii.w, ii.h, sem,
					      si.w, si.h);
			if (!rc)
				rc = 1;
			goto out;
		}
	}
	/* With the voc reader: its image when it has one (and its split). */
	int64_t image = r->link ? r->link->image_id(r->link->ctx, r->stem) : 0;
	if (image > 0)
		goto objects;
	image = r->link ? ++r->link->next_image : ++r->next_image;
	struct fmt_image im;
	memset(&im, 0, sizeof(im));
	im.id = image;
	struct buf fnb = BUF_INIT;
	if (split && !known_split(split)) {
		if (!r->palette_is_index) {
			buf_addf(&fnb, "%s/%s", split, file_name);
			file_name = fnb.data;
		}
		split = NULL;
	}
	fmt_sink_split(r->s, split);
	im.file_name = file_name;
	im.width = (int32_t)(sem ? si.w : ii.w);
	im.height = (int32_t)(sem ? si.h : ii.h);
	im.split = split;
	im.where = sem ? sem : inst;
	rc = fmt_sink_image(r->s, &im);
	buf_release(&fnb);
	if (rc)
		goto out;
objects:
	if (inst && ik == INST_CITY) {
		for (size_t i = 0; i < in_ && !rc; i++) {
			uint32_t v = il[i].value;
			if (!v)
				continue;
			uint32_t cls = v >= 1000 ? v / 1000 : v;
			buf_reset(&w);
			buf_addf(&w, "%s: value %u", inst, v);
			if (ii.kind == MASK_PNG_RGB || cls >= r->lm.n || !r->lm.name[cls]) {
				if (ii.kind == MASK_PNG_RGB)
					rc = fmt_sink_invalid(r->s, w.data, "an instance PNG must be "
							      "greyscale, not colour");
				else
					rc = fmt_sink_invalid(r->s, w.data, "class %u is not in %s", cls,
							      r->map_name);
				if (ii.kind == MASK_PNG_RGB)
					break;
				continue;
			}
			rc = emit_mask(r, image, (long)cls, &il[i].rle, v < 1000, v >= 1000, v, 0, w.data);
		}
		goto out;
	}
	if (inst && ik == INST_VOC) {
		bool void_seen = false;
		for (size_t i = 0; i < in_ && !rc; i++) {
			uint32_t v = il[i].value;
			long k = ii.kind == MASK_PNG_RGB ? voc_index_of(v) : (long)v;
			buf_reset(&w);
			buf_addf(&w, "%s: instance %ld", inst, k);
			if (k < 0) {
				buf_reset(&w);
				buf_addf(&w, "%s", inst);
				rc = fmt_sink_invalid(r->s, w.data, "colour (%u,%u,%u) is not in VOC's palette",
						      v & 255, v >> 8 & 255, v >> 16 & 255);
				continue;
			}
			if (k == 0)
				continue;
			if (k == 255) {
				void_seen = true;
				continue;
			}
			/* The class: the one covering most of the instance. */
			long best = -1;
			uint64_t bi = 0;
			for (size_t c = 0; c < sn; c++) {
				uint64_t inter = 0, uni = 0;
				rle_inter_union(&il[i].rle, &sl[c].rle, &inter, &uni);
				if (inter <= bi)
					continue;
				struct buf e = BUF_INIT;
				struct buf *keep = r->err;
				r->err = &e;
				long cl = class_of(r, &si, sl[c].value, sem);
				r->err = keep;
				buf_release(&e);
				if (cl > 0) {
					best = cl;
					bi = inter;
				}
			}
			if (best < 0) {
				rc = fmt_sink_invalid(r->s, w.data, "no class for it in %s",
						      sem ? sem : "SegmentationClass (missing)");
				continue;
			}
			rc = emit_mask(r, image, best, &il[i].rle, false, false, 0, k, w.data);
		}
		if (void_seen)
			fmt_sink_note(r->s, "VOC void (255) region");
		goto out;
	}
	bool void_seen = false;
	for (size_t i = 0; i < sn && !rc; i++) {
		long c = class_of(r, &si, sl[i].value, sem);
		if (c == -1)
			continue;
		if (c == -2) {
			void_seen = true;
			continue;
		}
		buf_reset(&w);
		buf_addf(&w, "%s: value %u", sem, sl[i].value);
		if (c == -3) {
			buf_reset(&w);
			buf_adds(&w, r->err->data);
			const char *colon = strchr(w.data, ':');
			if (colon) {
				char *msg = xstrdup(colon + 2);
				buf_setlen(&w, (size_t)(colon - w.data));
				buf_reset(r->err);
				rc = fmt_sink_invalid(r->s, w.data, "%s", msg);
				free(msg);
			} else {
				rc = CAIRN_EINVAL;
			}
			continue;
		}
		rc = emit_mask(r, image, c, &sl[i].rle, false, false, 0, 0, w.data);
	}
	if (void_seen)
		fmt_sink_note(r->s, "VOC void (255) region");
out:
	mask_png_labels_free(sl, sn);
	mask_png_labels_free(il, in_);
	buf_release(&p);
	buf_release(&w);
	return rc == 1 ? 0 : rc;
}

/* Cityscapes: gtFine/<split>/<city>/<name>_gtFine_*.png, images in
 * leftImg8bit/<split>/<city>/<name>_leftImg8bit.png. */
static int read_cityscapes(struct mrd *r)
{
	struct buf p = BUF_INIT, fn = BUF_INIT, rel = BUF_INIT;
	struct strv splits = {0};
	buf_addf(&p, "%s/gtFine", r->root);
	walk(p.data, NULL, 0, NULL, true, &splits);
	static const char *const sufs[] = {"_gtFine_instanceIds.png", "_gtFine_labelIds.png",
					   "_gtFine_labelTrainIds.png"};
	int which = -1;
	for (int k = 0; k < 3 && which < 0; k++)
		for (size_t i = 0; i < splits.n && which < 0; i++) {
			struct strv f = {0};
			buf_reset(&p);
			buf_addf(&p, "%s/gtFine/%s", r->root, splits.v[i]);
			walk(p.data, NULL, 3, sufs[k], false, &f);
			if (f.n)
				which = k;
			strv_free(&f);
		}
	int rc = 0;
	if (which < 0) {
		buf_setf(r->err, "gtFine: no *_gtFine_instanceIds.png, *_gtFine_labelIds.png or "
			 "*_gtFine_labelTrainIds.png masks");
		rc = CAIRN_EINVAL;
		goto out;
	}
	buf_reset(&p);
	buf_addf(&p, "%s/label_colors.txt", r->root);
	if (is_file(p.data)) {
		r->map_name = "label_colors.txt";
		rc = parse_label_colors(&r->lm, p.data, "label_colors.txt", r->err);
	} else if (which == 2) {
		r->map_name = "Cityscapes' train label map";
		LOAD_BUILTIN(&r->lm, city_train_map, "Cityscapes' train label map");
	} else {
		r->map_name = "Cityscapes' label map";
		LOAD_BUILTIN(&r->lm, city_map, "Cityscapes' label map");
	}
	if (!rc)
		rc = emit_categories(r);
	buf_reset(&p);
	buf_addf(&p, "%s/leftImg8bit", r->root);
	fmt_sink_media_dir(r->s, p.data);
	for (size_t i = 0; i < splits.n && !rc; i++) {
		struct strv f = {0};
		buf_reset(&p);
		buf_addf(&p, "%s/gtFine/%s", r->root, splits.v[i]);
		walk(p.data, NULL, 3, sufs[which], false, &f);
		rc = check_full(&f, p.data, r->err);
		fmt_sink_split(r->s, splits.v[i]);
		for (size_t k = 0; k < f.n && !rc; k++) {
			buf_reset(&fn);
			buf_add(&fn, f.v[k], strlen(f.v[k]) - strlen(sufs[which]));
			buf_adds(&fn, "_leftImg8bit.png");
			buf_reset(&rel);
			buf_addf(&rel, "gtFine/%s/%s", splits.v[i], f.v[k]);
			rc = read_image(r, which ? rel.data : NULL, which ? NULL : rel.data,
					which ? INST_NONE : INST_CITY, fn.data, splits.v[i]);
		}
		strv_free(&f);
	}
	fmt_sink_split(r->s, NULL);
out:
	strv_free(&splits);
	buf_release(&p);
	buf_release(&fn);
	buf_release(&rel);
	return rc;
}

/* CamVid and Cairn's own layout. */
static int read_camvid(struct mrd *r)
{
	struct buf p = BUF_INIT, w = BUF_INIT, inst = BUF_INIT;
	struct strv lists = {0}, dirs = {0};
	int rc = 0;
	buf_addf(&p, "%s/label_colors.txt", r->root);
	if (is_file(p.data)) {
		r->map_name = "label_colors.txt";
		rc = parse_label_colors(&r->lm, p.data, "label_colors.txt", r->err);
	} else {
		r->map_name = "the CamVid label map";
		LOAD_BUILTIN(&r->lm, camvid_map, "the CamVid label map");
	}
	if (!rc)
		rc = emit_categories(r);
	fmt_sink_media_dir(r->s, r->root);
	walk(r->root, NULL, 0, ".txt", false, &lists);
	size_t nlists = 0;
	for (size_t i = 0; i < lists.n && !rc; i++) {
		if (!strcmp(lists.v[i], "label_colors.txt") || !strcmp(lists.v[i], "labelmap.txt"))
			continue;
		nlists++;
		char *split = xstrdup(lists.v[i]);
		split[strlen(split) - 4] = 0;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", r->root, lists.v[i]);
		FILE *f = fopen(p.data, "r");
		if (!f) {
			buf_setf(r->err, "%s: cannot open: %s", lists.v[i], strerror(errno));
			rc = CAIRN_EIO;
		}
		char *line = NULL;
		size_t cap = 0;
		long ln = 0;
		fmt_sink_split(r->s, split);
		while (!rc && getline(&line, &cap, f) > 0) {
			ln++;
			size_t l = strlen(line);
			while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
				line[--l] = 0;
			if (!l || line[0] == '#')
				continue;
			buf_reset(&w);
			buf_addf(&w, "%s:%ld", lists.v[i], ln);
			char *sp = strchr(line, ' ');
			if (!sp || strchr(sp + 1, ' ') || !sp[1]) {
				rc = fmt_sink_invalid(r->s, w.data, "expected \"/<image> /<mask>\", got \"%s\"",
						      line);
				continue;
			}
			*sp = 0;
			char *img = line, *msk = sp + 1;
			while (*img == '/')
				img++;
			while (*msk == '/')
				msk++;
			if (strstr(img, "..") || strstr(msk, "..")) {
				rc = fmt_sink_invalid(r->s, w.data, "path \"%s\" leaves the dataset folder",
						      strstr(img, "..") ? img : msk);
				continue;
			}
			/* The image's split folder is its first component. */
			const char *isl = strchr(img, '/');
			char *isplit = isl ? strndup(img, (size_t)(isl - img)) : NULL;
			if (isl && !isplit)
				abort();
			const char *fn = isl ? isl + 1 : img;
			buf_reset(&p);
			buf_addf(&p, "%s/%s", r->root, msk);
			if (!is_file(p.data)) {
				rc = fmt_sink_invalid(r->s, w.data, "mask '%s' not found", msk);
				free(isplit);
				continue;
			}
			/* <split>inst/<same name> when the dataset has it (Cairn's writer). */
			buf_reset(&inst);
			const char *ms = strchr(msk, '/');
			if (ms && ms - msk >= 5 && !strncmp(ms - 5, "annot", 5)) {
				buf_add(&inst, msk, (size_t)(ms - msk) - 5);
				buf_addf(&inst, "inst%s", ms);
				buf_reset(&p);
				buf_addf(&p, "%s/%s", r->root, inst.data);
			}
			bool hi = inst.len && is_file(p.data);
			rc = read_image(r, hi ? NULL : msk, hi ? inst.data : NULL, hi ? INST_CITY : INST_NONE,
					fn, isplit);
			free(isplit);
		}
		free(line);
		if (f)
			fclose(f);
		free(split);
	}
	if (!rc && !nlists) {
		walk(r->root, NULL, 0, NULL, true, &dirs);
		for (size_t i = 0; i < dirs.n && !rc; i++) {
			if (!ends_with(dirs.v[i], "annot"))
				continue;
			nlists++;
			char *split = xstrdup(dirs.v[i]);
			split[strlen(split) - 5] = 0;
			struct strv f = {0};
			buf_reset(&p);
			buf_addf(&p, "%s/%s", r->root, dirs.v[i]);
			walk(p.data, NULL, 3, ".png", false, &f);
			rc = check_full(&f, p.data, r->err);
			fmt_sink_split(r->s, split);
			for (size_t k = 0; k < f.n && !rc; k++) {
				buf_reset(&w);
				buf_addf(&w, "%s/%s", dirs.v[i], f.v[k]);
				buf_reset(&inst);
				buf_addf(&inst, "%sinst/%s", split, f.v[k]);
				buf_reset(&p);
				buf_addf(&p, "%s/%s", r->root, inst.data);
				bool hi = is_file(p.data);
				rc = read_image(r, hi ? NULL : w.data, hi ? inst.data : NULL,
						hi ? INST_CITY : INST_NONE, f.v[k], *split ? split : NULL);
			}
			strv_free(&f);
			free(split);
		}
	}
	fmt_sink_split(r->s, NULL);
	if (!rc && !nlists) {
		buf_setf(r->err, "%s: no masks dataset here (expected label_colors.txt with <split>.txt "
			 "lists or <split>annot/ folders, gtFine/, or SegmentationClass/)", r->root);
		rc = CAIRN_EINVAL;
	}
	strv_free(&lists);
	strv_free(&dirs);
	buf_release(&p);
	buf_release(&w);
	buf_release(&inst);
	return rc;
}

int fmt_masks_read_voc(const char *voc_root, struct fmt_sink *s, struct buf *err)
{
	return fmt_masks_read_voc_linked(voc_root, s, NULL, err);
}

int fmt_masks_read_voc_linked(const char *voc_root, struct fmt_sink *s,
			      struct fmt_masks_voc_link *link, struct buf *err)
{
	struct mrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.root = voc_root;
	r.link = link;
	r.palette_is_index = true;
	struct buf p = BUF_INIT, a = BUF_INIT, b = BUF_INIT, fn = BUF_INIT;
	struct strv lists = {0}, names = {0};
	int rc = 0;
	buf_addf(&p, "%s/labelmap.txt", voc_root);
	if (is_file(p.data)) {
		r.map_name = "labelmap.txt";
		rc = parse_voc_labelmap(&r.lm, p.data, err);
	} else {
		r.map_name = "VOC's classes";
		for (size_t i = 0; i < NVOC; i++) {
			uint8_t c[3];
			fmt_masks_voc_colour((uint32_t)i, c);
			lmap_set(&r.lm, i, voc_names[i], c, "VOC's classes");
		}
	}
	if (!rc)
		rc = emit_categories(&r);
	buf_reset(&p);
	buf_addf(&p, "%s/JPEGImages", voc_root);
	fmt_sink_media_dir(s, p.data);
	buf_reset(&p);
	buf_addf(&p, "%s/ImageSets/Segmentation", voc_root);
	walk(p.data, NULL, 0, ".txt", false, &lists);
	if (!lists.n) {
		struct strv x = {0};
		buf_reset(&p);
		buf_addf(&p, "%s/SegmentationClass", voc_root);
		walk(p.data, NULL, 0, ".png", false, &x);
		buf_reset(&p);
		buf_addf(&p, "%s/SegmentationObject", voc_root);
		walk(p.data, NULL, 0, ".png", false, &x);
		rc = check_full(&x, "SegmentationClass/ and SegmentationObject/", err);
		if (x.n)
			qsort(x.v, x.n, sizeof(*x.v), cmp_str);
		for (size_t i = 0; i < x.n; i++)
			if (!i || strcmp(x.v[i], x.v[i - 1])) {
				x.v[i][strlen(x.v[i]) - 4] = 0;
				strv_add(&names, x.v[i]);
			} else {
				x.v[i][strlen(x.v[i]) - 4] = 0;
			}
		strv_free(&x);
		strv_add(&lists, "");
	}
	for (size_t li = 0; li < lists.n && !rc; li++) {
		char *split = NULL;
		struct strv stems = {0};
		if (!strcmp(lists.v[li], "trainval.txt") && lists.n > 1)
			continue; /* train.txt and val.txt have them */
		if (*lists.v[li]) {
			split = xstrdup(lists.v[li]);
			split[strlen(split) - 4] = 0;
			buf_reset(&p);
			buf_addf(&p, "%s/ImageSets/Segmentation/%s", voc_root, lists.v[li]);
			FILE *f = fopen(p.data, "r");
			char *line = NULL;
			size_t cap = 0;
			while (f && getline(&line, &cap, f) > 0) {
				char *sv = NULL;
				char *t = strtok_r(line, " \t\r\n", &sv);
				if (t && *t != '#' && !strstr(t, ".."))
					strv_add(&stems, t);
			}
			free(line);
			if (f)
				fclose(f);
		} else {
			for (size_t i = 0; i < names.n; i++)
				strv_add(&stems, names.v[i]);
		}
		for (size_t i = 0; i < stems.n && !rc; i++) {
			buf_reset(&a);
			buf_addf(&a, "SegmentationClass/%s.png", stems.v[i]);
			buf_reset(&b);
			buf_addf(&b, "SegmentationObject/%s.png", stems.v[i]);
			buf_reset(&p);
			buf_addf(&p, "%s/%s", voc_root, a.data);
			bool hc = is_file(p.data);
			buf_reset(&p);
			buf_addf(&p, "%s/%s", voc_root, b.data);
			bool ho = is_file(p.data);
			if (!hc && !ho)
				continue; /* in the split list, but not segmented */
			static const char *const exts[] = {".jpg", ".jpeg", ".png", ".JPG"};
			buf_reset(&fn);
			buf_addf(&fn, "%s.jpg", stems.v[i]);
			for (size_t k = 0; k < 4; k++) {
				buf_reset(&p);
				buf_addf(&p, "%s/JPEGImages/%s%s", voc_root, stems.v[i], exts[k]);
				if (is_file(p.data)) {
					buf_reset(&fn);
					buf_addf(&fn, "%s%s", stems.v[i], exts[k]);
					break;
				}
			}
			r.stem = stems.v[i];
			rc = read_image(&r, hc ? a.data : NULL, ho ? b.data : NULL, ho ? INST_VOC : INST_NONE,
					fn.data, split);
		}
		strv_free(&stems);
		free(split);
	}
	fmt_sink_split(s, NULL);
	strv_free(&lists);
	strv_free(&names);
	lmap_free(&r.lm);
	free(r.declared);
	buf_release(&p);
	buf_release(&a);
	buf_release(&b);
	buf_release(&fn);
	return rc;
}

int fmt_masks_probe(const char *path)
{
	struct buf p = BUF_INIT;
	int score = 0;
	buf_addf(&p, "%s/gtFine", path);
	if (is_dir(p.data))
		score = 80;
	buf_reset(&p);
	buf_addf(&p, "%s/label_colors.txt", path);
	if (!score && is_file(p.data))
		score = 80;
	if (!score) {
		buf_reset(&p);
		buf_addf(&p, "%s/SegmentationClass", path);
		bool seg = is_dir(p.data);
		buf_reset(&p);
		buf_addf(&p, "%s/SegmentationObject", path);
		seg = seg || is_dir(p.data);
		buf_reset(&p);
		buf_addf(&p, "%s/Annotations", path);
		if (seg)
			score = is_dir(p.data) ? 30 : 70; /* with Annotations/ it is voc's */
	}
	if (!score && is_dir(path)) {
		struct strv d = {0};
		walk(path, NULL, 0, NULL, true, &d);
		for (size_t i = 0; i < d.n; i++)
			if (ends_with(d.v[i], "annot") && strlen(d.v[i]) > 5)
				score = 60;
		strv_free(&d);
	}
	buf_release(&p);
	return score;
}

int fmt_masks_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	if (!is_dir(path)) {
		buf_setf(err, "%s: give the dataset's folder (masks datasets are folders)", path);
		return CAIRN_EINVAL;
	}
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/SegmentationClass", path);
	bool voc = is_dir(p.data);
	buf_reset(&p);
	buf_addf(&p, "%s/SegmentationObject", path);
	voc = voc || is_dir(p.data);
	buf_reset(&p);
	buf_addf(&p, "%s/gtFine", path);
	bool city = is_dir(p.data);
	buf_release(&p);
	if (voc && !city)
		return fmt_masks_read_voc(path, s, err);
	struct mrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.root = path;
	int rc = city ? read_cityscapes(&r) : read_camvid(&r);
	lmap_free(&r.lm);
	free(r.declared);
	return rc;
}

int fmt_masks_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err)
{
	struct mrd r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.map_name = "the CamVid label map";
	LOAD_BUILTIN(&r.lm, camvid_map, "the CamVid label map");
	int rc = emit_categories(&r);
	struct mask_png_label *l = NULL;
	size_t n = 0;
	struct mask_png_info in;
	struct buf e = BUF_INIT, w = BUF_INIT;
	if (!rc && (rc = mask_png_decode_values(&l, &n, &in, data, len, &e)))
		buf_setf(err, "%s: %s", name, e.data);
	for (int pass = 0; pass < 2 && !rc; pass++) {
		/* As a semantic mask, then as Cityscapes instance ids. */
		for (size_t i = 0; i < n && !rc; i++) {
			uint32_t v = l[i].value;
			buf_reset(&w);
			buf_addf(&w, "%s: value %u", name, v);
			long c = pass ? (long)(v >= 1000 ? v / 1000 : v) : class_of(&r, &in, v, name);
			if (c <= 0 || (size_t)c >= r.lm.n)
				continue;
			rc = emit_mask(&r, 1, c, &l[i].rle, pass && v < 1000, pass && v >= 1000, v, 0,
				       w.data);
		}
	}
	mask_png_labels_free(l, n);
	lmap_free(&r.lm);
	free(r.declared);
	buf_release(&e);
	buf_release(&w);
	return rc;
}

/* ---- writing ---- */

struct mwr {
	struct store *st;
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	bool voc;
	bool seg_only;              /* the voc format's segmentation PNGs: masks only */
	uint32_t *cls_of;           /* per label: the class value */
	uint32_t ncls;              /* class values are below this */
	uint8_t (*pal)[3];          /* masks: the colour of each class value */
	bool write_inst;
	int64_t last_id, done;
	int rc;
	uint32_t *cpx, *ipx;        /* class and instance images, row-major */
	size_t cappx;
	uint8_t used[65536 / 8];
	struct strv split_names;
	FILE *lists[16];
	struct buf path, png;
};

/* Sets value v on every pixel of m; counts pixels that had a value. */
static void paint(uint32_t *px, const struct rle *m, uint32_t v, uint64_t *overwritten)
{
	uint64_t pos = 0;
	uint32_t h = m->h, w = m->w;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t e = pos + m->counts[i];
		if (i & 1)
			for (uint64_t k = pos; k < e; k++) {
				uint32_t x = (uint32_t)(k / h), y = (uint32_t)(k % h);
				uint32_t *d = &px[(size_t)y * w + x];
				if (*d && overwritten)
					(*overwritten)++;
				*d = v;
			}
		pos = e;
	}
}

bool fmt_masks_object_rle(const struct ann_object *ob, uint32_t H, uint32_t W, struct rle *out,
			  struct fmt_loss *loss, const char *target)
{
	struct buf e = BUF_INIT;
	bool ok = false;
	switch (ob->type) {
	case SHAPE_MASK:
		rle_copy(out, &ob->mask);
		ok = true;
		break;
	case SHAPE_BOX: {
		double bb[4] = {ob->pts[0], ob->pts[1], ob->pts[2] - ob->pts[0], ob->pts[3] - ob->pts[1]};
		ok = !rle_from_bbox(out, bb, H, W, &e);
		fmt_loss_add(loss, "box written as its rasterised mask", 1);
		break;
	}
	case SHAPE_POLYGON: {
		size_t nr = ob->rings ? ob->nrings : 1;
		size_t off = 0;
		ok = true;
		for (size_t r = 0; r < nr && ok; r++) {
			size_t np = ob->rings ? ob->rings[r] : ob->npts / 2;
			struct rle ring = RLE_INIT, t = RLE_INIT;
			if (rle_from_poly(&ring, ob->pts + off, np, H, W, &e)) {
				ok = false;
			} else if (!r) {
				*out = ring;
				ring = (struct rle)RLE_INIT;
			} else if (!rle_combine(&t, out, &ring, RLE_SUBTRACT, &e)) {
				rle_release(out);
				*out = t;
			}
			rle_release(&ring);
			off += 2 * np;
		}
		fmt_loss_add(loss, "polygon written as its rasterised mask", 1);
		break;
	}
	case SHAPE_ROTATED_BOX:
	case SHAPE_ELLIPSE: {
		/* The rotated box's corners, or the ellipse as 32 points (as the
		 * COCO writer draws them), clockwise angle in degrees. */
		double xy[64];
		int k = ob->type == SHAPE_ELLIPSE ? 32 : 4;
		double cx = ob->pts[0], cy = ob->pts[1], a = ob->pts[4] * M_PI / 180;
		for (int i = 0; i < k; i++) {
			double dx, dy;
			if (k == 4) {
				dx = (i == 1 || i == 2 ? 0.5 : -0.5) * ob->pts[2];
				dy = (i >= 2 ? 0.5 : -0.5) * ob->pts[3];
			} else {
				double t = 2 * M_PI * i / 32;
				dx = ob->pts[2] * cos(t);
				dy = ob->pts[3] * sin(t);
			}
			xy[2 * i] = cx + dx * cos(a) - dy * sin(a);
			xy[2 * i + 1] = cy + dx * sin(a) + dy * cos(a);
		}
		ok = !rle_from_poly(out, xy, (size_t)k, H, W, &e);
		fmt_loss_add(loss, k == 4 ? "rotated box written as its rasterised mask"
				   : "ellipse written as its rasterised mask (32-point outline)", 1);
		break;
	}
	default: {
		char what[160];
		snprintf(what, sizeof(what), "shape other than mask, polygon or box (not in %s)", target);
		fmt_loss_add(loss, what, 1);
		break;
	}
	}
	buf_release(&e);
	if (ok && (out->h != H || out->w != W)) {
		rle_release(out);
		ok = false;
	}
	return ok;
}

static bool is_crowd(const struct ann_object *ob)
{
	return ob->attrs && strstr(ob->attrs, "\"iscrowd\":true");
}

static int cmp_z(const void *a, const void *b)
{
	const struct ann_object *x = *(const struct ann_object *const *)a;
	const struct ann_object *y = *(const struct ann_object *const *)b;
	if (x->z_order != y->z_order)
		return x->z_order < y->z_order ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int write_file(struct mwr *w, const char *path, const struct buf *data)
{
	char *d = xstrdup(path);
	char *sl = strrchr(d, '/');
	int rc = 0;
	if (sl) {
		*sl = 0;
		rc = fmt_mkdirs(d, w->err);
	}
	free(d);
	if (rc)
		return rc;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data->data, 1, data->len, f) != data->len) {
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

static int encode_to(struct mwr *w, const char *path, const uint32_t *px, uint32_t W, uint32_t H,
		     enum mask_png_kind kind, int depth, uint32_t npal)
{
	uint8_t pal[256][3];
	for (uint32_t i = 0; i < 256; i++) {
		if (!w->voc && w->pal && i < w->ncls)
			memcpy(pal[i], w->pal[i], 3);
		else
			fmt_masks_voc_colour(i, pal[i]);
	}
	buf_reset(&w->png);
	struct buf e = BUF_INIT;
	int rc = mask_png_encode_values(px, W, H, kind, depth, (const uint8_t(*)[3])pal, npal,
					&w->png, &e);
	if (rc)
		buf_setf(w->err, "%s: %s", path, e.data);
	buf_release(&e);
	return rc ? rc : write_file(w, path, &w->png);
}

static FILE *list_for(struct mwr *w, const char *split)
{
	for (size_t i = 0; i < w->split_names.n; i++)
		if (!strcmp(w->split_names.v[i], split))
			return w->lists[i];
	if (w->split_names.n == 16)
		return NULL;
	buf_reset(&w->path);
	if (w->voc) {
		buf_addf(&w->path, "%s/ImageSets/Segmentation", w->out);
		if (fmt_mkdirs(w->path.data, w->err))
			return NULL;
		buf_addf(&w->path, "/%s.txt", *split ? split : "default");
	} else {
		buf_addf(&w->path, "%s/%s.txt", w->out, *split ? split : "default");
	}
	FILE *f = fopen(w->path.data, "w");
	if (!f) {
		buf_setf(w->err, "cannot write '%s': %s", w->path.data, strerror(errno));
		return NULL;
	}
	w->lists[w->split_names.n] = f;
	strv_add(&w->split_names, split);
	return f;
}

static int write_item(void *ctx, const struct item *it)
{
	struct mwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	const char *split = w->o->split ? fmt_split_of(w->o->split, it) : it->split;
	if (!split)
		split = "";
	char *tmp;
	const char *fn0 = fmt_item_file_name(it, &tmp);
	size_t sl = strlen(split);
	if (!strncmp(fn0, split, sl) && fn0[sl] == '/')
		fn0 += sl + 1;
	while (*fn0 == '/')
		fn0++;
	char *stem = xstrdup(fn0);
	char *dot = strrchr(stem, '.');
	if (dot && !strchr(dot, '/'))
		*dot = 0;
	int rc = 0;
	if (strstr(fn0, "..")) {
		buf_setf(w->err, "item %lld: file name '%s' leaves the output folder", (long long)it->id,
			 fn0);
		rc = CAIRN_EINVAL;
	}
	if (!rc && w->o->include_media && !w->seg_only) {
		buf_reset(&w->path);
		if (w->voc)
			buf_addf(&w->path, "%s/JPEGImages/%s", w->out, fn0);
		else
			buf_addf(&w->path, "%s/%s%s%s", w->out, split, *split ? "/" : "", fn0);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	if (!rc)
		rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	if (!rc && w->seg_only) {
		/* Only masks go to the PNGs (the XML has the rest); no mask, no PNG. */
		size_t k = 0;
		for (size_t i = 0; found && i < d.nobjects; i++)
			if (d.objects[i].type == SHAPE_MASK)
				k++;
		if (!k) {
			ann_doc_release(&d);
			free(stem);
			free(tmp);
			return 0;
		}
	}
	uint32_t W = it->width > 0 ? (uint32_t)it->width : 0, H = it->height > 0 ? (uint32_t)it->height : 0;
	if (!rc && (!W || !H) && !(found && d.nobjects)) {
		/* Not an image (text, audio) and nothing to draw: no PNG. */
		fmt_loss_add(w->loss, "item without a size and without objects (no mask PNG)", 1);
		ann_doc_release(&d);
		free(stem);
		free(tmp);
		return 0;
	}
	if (!rc && (!W || !H)) {
		buf_setf(w->err, "item %lld '%s': no width and height, which a mask PNG needs",
			 (long long)it->id, fn0);
		rc = CAIRN_EINVAL;
	}
	if (!rc && (uint64_t)W * H > MASK_PNG_MAX_PIXELS) {
		buf_setf(w->err, "item %lld '%s': %ux%u is too large for a mask PNG", (long long)it->id,
			 fn0, W, H);
		rc = CAIRN_ETOOBIG;
	}
	if (!rc) {
		size_t npx = (size_t)W * H;
		if (npx > w->cappx) {
			w->cpx = xrealloc(w->cpx, npx * sizeof(uint32_t));
			w->ipx = xrealloc(w->ipx, npx * sizeof(uint32_t));
			w->cappx = npx;
		}
		memset(w->cpx, 0, npx * sizeof(uint32_t));
		memset(w->ipx, 0, npx * sizeof(uint32_t));
		memset(w->used, 0, sizeof(w->used));
		if (found && d.attrs && strcmp(d.attrs, "{}") && !w->seg_only)
			fmt_loss_add(w->loss, "item attributes", 1);
		if (found && d.nrelations && !w->seg_only)
			fmt_loss_add(w->loss, "relation", (int64_t)d.nrelations);
		const struct ann_object **ord = xrealloc(NULL, (d.nobjects + 1) * sizeof(*ord));
		for (size_t i = 0; i < d.nobjects; i++)
			ord[i] = &d.objects[i];
		qsort(ord, d.nobjects, sizeof(*ord), cmp_z);
		uint64_t over = 0;
		uint32_t next_voc = 1;
		for (size_t i = 0; i < d.nobjects; i++) {
			const struct ann_object *ob = ord[i];
			struct rle m = RLE_INIT;
			if (w->seg_only && ob->type != SHAPE_MASK)
				continue;
			if (!fmt_masks_object_rle(ob, H, W, &m, w->loss,
						  w->voc ? "VOC segmentation masks" : "masks"))
				continue;
			uint32_t c = w->cls_of[ob->label];
			if (!c) {
				fmt_loss_add(w->loss, "object of a label past the palette", 1);
				rle_release(&m);
				continue;
			}
			if (ob->attrs && strcmp(ob->attrs, "{}") && strcmp(ob->attrs, "{\"iscrowd\":true}") &&
			    strcmp(ob->attrs, "{\"iscrowd\":false}"))
				fmt_loss_add(w->loss, "object attributes", 1);
			if (ob->has_score)
				fmt_loss_add(w->loss, "score", 1);
			if (ob->has_track || ob->has_frame)
				fmt_loss_add(w->loss, "track or frame", 1);
			paint(w->cpx, &m, c, &over);
			bool crowd = is_crowd(ob);
			uint32_t iv = 0;
			if (w->voc) {
				if (!crowd) {
					if (ob->has_group && ob->group > 0 && ob->group < 255 &&
					    !(w->used[ob->group >> 3] & (1 << (ob->group & 7))))
						iv = (uint32_t)ob->group;
					else {
						while (next_voc < 255 && (w->used[next_voc >> 3] & (1 << (next_voc & 7))))
							next_voc++;
						iv = next_voc < 255 ? next_voc : 0;
					}
					if (!iv)
						fmt_loss_add(w->loss, "instance past 254 in one image (VOC)", 1);
				}
			} else if (w->write_inst) {
				if (crowd) {
					iv = c;
				} else {
					char *end;
					unsigned long u = strtoul(ob->uid, &end, 10);
					if (!*end && u / 1000 == c && u % 1000 &&
					    !(w->used[u >> 3] & (1 << (u & 7))))
						iv = (uint32_t)u;
					for (uint32_t k = 1; !iv && k < 1000; k++)
						if (!(w->used[(c * 1000 + k) >> 3] & (1 << ((c * 1000 + k) & 7))))
							iv = c * 1000 + k;
					if (!iv) {
						fmt_loss_add(w->loss, "instance past 999 of a class in one image "
							     "(written as a crowd region)", 1);
						iv = c;
					}
				}
			}
			if (iv) {
				w->used[iv >> 3] |= (uint8_t)(1 << (iv & 7));
				paint(w->ipx, &m, iv, NULL);
			}
			rle_release(&m);
		}
		free(ord);
		if (over)
			fmt_loss_add(w->loss, "mask pixels under a later object (overlap)", (int64_t)over);
		FILE *lf = list_for(w, split);
		if (!lf && !w->err->len)
			buf_setf(w->err, "more than 16 splits");
		if (!lf)
			rc = CAIRN_EINVAL;
		if (!rc && w->voc) {
			fprintf(lf, "%s\n", stem);
			buf_reset(&w->path);
			buf_addf(&w->path, "%s/SegmentationClass/%s.png", w->out, stem);
			rc = encode_to(w, w->path.data, w->cpx, W, H, MASK_PNG_PALETTE, 8, 256);
			if (!rc) {
				buf_reset(&w->path);
				buf_addf(&w->path, "%s/SegmentationObject/%s.png", w->out, stem);
				rc = encode_to(w, w->path.data, w->ipx, W, H, MASK_PNG_PALETTE, 8, 256);
			}
		} else if (!rc) {
			fprintf(lf, "/%s%s%s /%sannot/%s.png\n", split, *split ? "/" : "", fn0, split, stem);
			buf_reset(&w->path);
			buf_addf(&w->path, "%s/%sannot/%s.png", w->out, split, stem);
			if (w->ncls <= 256)
				rc = encode_to(w, w->path.data, w->cpx, W, H, MASK_PNG_PALETTE, 8, w->ncls);
			else
				rc = encode_to(w, w->path.data, w->cpx, W, H, MASK_PNG_GREY, 16, 0);
			if (!rc && w->write_inst) {
				buf_reset(&w->path);
				buf_addf(&w->path, "%s/%sinst/%s.png", w->out, split, stem);
				rc = encode_to(w, w->path.data, w->ipx, W, H, MASK_PNG_GREY, 16, 0);
			}
		}
	}
	ann_doc_release(&d);
	free(stem);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

static int write_any(struct store *st, int64_t project_id, const char *out,
		     const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err, bool voc,
		     bool seg_only)
{
	struct mwr w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.voc = voc;
	w.seg_only = seg_only;
	w.path = (struct buf)BUF_INIT;
	w.png = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		return rc;
	if ((rc = fmt_labels_load(&w.l, st, project_id, voc ? "voc" : "masks", err)))
		return rc;
	size_t n = w.l.sc.nlabels;
	w.cls_of = xrealloc(NULL, (n + 1) * sizeof(*w.cls_of));
	struct buf lm = BUF_INIT;
	if (voc) {
		/* VOC's names keep their index; others follow 20. */
		uint32_t next = (uint32_t)NVOC;
		for (size_t i = 0; i < n; i++) {
			w.cls_of[i] = 0;
			for (size_t k = 1; k < NVOC; k++)
				if (!strcasecmp(w.l.sc.labels[i].name, voc_names[k]))
					w.cls_of[i] = (uint32_t)k;
		}
		for (size_t i = 0; i < n; i++)
			if (!w.cls_of[i] && strcasecmp(w.l.sc.labels[i].name, "background"))
				w.cls_of[i] = next < 255 ? next++ : 0;
		w.ncls = next;
		if (seg_only) {
			/* The voc writer's labelmap.txt: background, then the labels in order. */
			for (size_t i = 0; i < n; i++)
				w.cls_of[i] = i + 1 < 255 ? (uint32_t)(i + 1) : 0;
			w.ncls = n + 1 < 255 ? (uint32_t)(n + 1) : 255;
		}
		buf_adds(&lm, "# label:color_rgb:parts:actions\nbackground:0,0,0::\n");
		for (uint32_t c = 1; c < next; c++) {
			const char *name = c < NVOC ? voc_names[c] : NULL;
			for (size_t i = 0; i < n; i++)
				if (w.cls_of[i] == c)
					name = w.l.sc.labels[i].name;
			uint8_t rgb[3];
			fmt_masks_voc_colour(c, rgb);
			buf_addf(&lm, "%s:%u,%u,%u::\n", name, rgb[0], rgb[1], rgb[2]);
		}
	} else {
		/* Class values: the labels' dataset ids (a masks import keeps the label
		 * map's indexes) when they are 1..65535, unless that puts more than 65
		 * classes' worth of values past Cityscapes' 16-bit instance ids while
		 * numbering them 1..n would not; else 1..n in id order. */
		bool ids_ok = true;
		int64_t maxid = 0;
		for (size_t i = 0; i < n; i++) {
			if (w.l.ids[i] < 1 || w.l.ids[i] > 65535)
				ids_ok = false;
			if (w.l.ids[i] > maxid)
				maxid = w.l.ids[i];
		}
		if (ids_ok && maxid > 65 && n <= 65)
			ids_ok = false;
		for (size_t i = 0; i < n; i++) {
			if (ids_ok) {
				w.cls_of[i] = (uint32_t)w.l.ids[i];
				continue;
			}
			uint32_t rank = 1;
			for (size_t k = 0; k < n; k++)
				if (w.l.ids[k] < w.l.ids[i] || (w.l.ids[k] == w.l.ids[i] && k < i))
					rank++;
			w.cls_of[i] = rank;
		}
		w.ncls = 1;
		for (size_t i = 0; i < n; i++)
			if (w.cls_of[i] + 1 > w.ncls)
				w.ncls = w.cls_of[i] + 1;
		/* Colours: the labels' own when they are distinct and not black. */
		bool own = true;
		for (size_t i = 0; i < n && own; i++) {
			const char *c = w.l.sc.labels[i].color;
			if (strlen(c) != 7 || !strcasecmp(c, "#000000"))
				own = false;
			for (size_t k = 0; k < i && own; k++)
				if (!strcasecmp(c, w.l.sc.labels[k].color))
					own = false;
		}
		w.pal = xrealloc(NULL, (size_t)w.ncls * sizeof(*w.pal));
		memset(w.pal, 0, (size_t)w.ncls * sizeof(*w.pal));
		for (uint32_t c = 1; c < w.ncls; c++)
			fmt_masks_voc_colour(c, w.pal[c]);
		buf_adds(&lm, "# r g b name (line k is class k; names alone are unused classes)\n"
			      "0 0 0 background\n");
		char **names = calloc(w.ncls, sizeof(char *));
		if (!names)
			abort();
		for (size_t i = 0; i < n; i++) {
			uint32_t c = w.cls_of[i];
			names[c] = w.l.sc.labels[i].name;
			unsigned r, g, b;
			if (own && sscanf(w.l.sc.labels[i].color + 1, "%2x%2x%2x", &r, &g, &b) == 3) {
				w.pal[c][0] = (uint8_t)r;
				w.pal[c][1] = (uint8_t)g;
				w.pal[c][2] = (uint8_t)b;
			}
		}
		for (uint32_t c = 1; c < w.ncls; c++) {
			if (names[c])
				buf_addf(&lm, "%u %u %u %s\n", w.pal[c][0], w.pal[c][1], w.pal[c][2], names[c]);
			else
				buf_addf(&lm, "_unused%u\n", c);
		}
		free(names);
		w.write_inst = w.ncls <= 66;
		if (!w.write_inst)
			fmt_loss_add(loss, "instance masks (class values past 65 do not fit 16-bit "
				     "instance ids; classes only)", 1);
	}
	buf_reset(&w.path);
	buf_addf(&w.path, "%s/%s", out, voc ? "labelmap.txt" : "label_colors.txt");
	if (!seg_only)
		rc = write_file(&w, w.path.data, &lm);
	buf_release(&lm);
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	struct project_stats ps;
	int64_t total = 0;
	if (store_project_stats(st, project_id, &ps, NULL) == 0)
		total = ps.items;
	if (!rc)
		rc = fmt_export_walk(w.dc, project_id, o, total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	for (size_t i = 0; i < w.split_names.n; i++)
		if (w.lists[i] && fclose(w.lists[i]) && !rc) {
			buf_setf(err, "cannot write the %s list: %s", w.split_names.v[i], strerror(errno));
			rc = CAIRN_EIO;
		}
	strv_free(&w.split_names);
	fmt_doc_cache_free(w.dc);
	fmt_labels_release(&w.l);
	free(w.cls_of);
	free(w.pal);
	free(w.cpx);
	free(w.ipx);
	buf_release(&w.path);
	buf_release(&w.png);
	return rc;
}

int fmt_masks_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, false, false);
}

int fmt_masks_write_voc(struct store *st, int64_t project_id, const char *out,
			const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, true, false);
}

int fmt_masks_write_voc_seg(struct store *st, int64_t project_id, const char *out,
			    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	return write_any(st, project_id, out, o, loss, err, true, true);
}
