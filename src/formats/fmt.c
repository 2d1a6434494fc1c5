/*
 * fmt.c - the format table, the reader sink and the import driver (spool to
 * a temporary SQLite file, check references, make or map the schema, ingest
 * media, write annotations in one transaction), and what writers share.
 * The format-specific code is in fmt_<name>.c.
 */
#include "formats/fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "core/schema.h"
#include "media/ingest.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

/* Rows of the table live in their own files. */
int fmt_coco_probe(const char *path);
int fmt_coco_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_coco_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
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
/* fmt_voc.c, fmt_cvat.c (XML) */
int fmt_voc_probe(const char *path);
int fmt_voc_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_voc_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_voc_devkit_probe(const char *path);
int fmt_voc_devkit_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_voc_devkit_write(struct store *st, int64_t project_id, const char *out,
			 const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_cvat_probe(const char *path);
int fmt_cvat_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_cvat_write(struct store *st, int64_t project_id, const char *out,
		   const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
/* Label Studio, LabelMe, ImageNet and CSV (fmt_labelstudio.c ... fmt_csv.c). */
#define FMT_ROW_DECL(n)                                                                    \
	int fmt_##n##_probe(const char *path);                                              \
	int fmt_##n##_read(const char *path, struct fmt_sink *s, struct buf *err);          \
	int fmt_##n##_write(struct store *st, int64_t project_id, const char *out,          \
			    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
FMT_ROW_DECL(labelstudio)
FMT_ROW_DECL(labelme)
FMT_ROW_DECL(imagenet)
FMT_ROW_DECL(csv)
/* LabelMe XML, MOTS, WIDER Face and Market-1501 (fmt_labelme_xml.c ... fmt_market1501.c). */
FMT_ROW_DECL(labelme_xml)
FMT_ROW_DECL(mots)
FMT_ROW_DECL(widerface)
FMT_ROW_DECL(market1501)
int fmt_masks_probe(const char *path);
int fmt_masks_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_masks_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_mot_probe(const char *path);
int fmt_mot_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_mot_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_kitti_probe(const char *path);
int fmt_kitti_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_kitti_write(struct store *st, int64_t project_id, const char *out,
		    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);
int fmt_coco_panoptic_probe(const char *path);
int fmt_coco_panoptic_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_coco_panoptic_write(struct store *st, int64_t project_id, const char *out,
			    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

const struct fmt_ops fmt_table[] = {
	{"coco", "COCO object detection JSON (instances, person keypoints)",
	 "boxes, polygons, RLE masks (compressed and uncompressed), iscrowd, keypoints with "
	 "skeleton and visibility, scores, custom attributes; image, annotation and category ids",
	 fmt_coco_probe, fmt_coco_read, fmt_coco_write},
	{"yolo", "YOLO detect, segment and pose (Ultralytics data.yaml + images/ + labels/, "
	 "Darknet obj.data)",
	 "boxes; polygons (segment: export with --segm polygon); keypoints (pose, kpt_shape); "
	 "class ids 0..n-1; coordinates normalised by the real image size",
	 fmt_yolo_probe, fmt_yolo_read, fmt_yolo_write},
	{"yolo-obb", "YOLO oriented boxes (the yolo layout; lines are 4 corners, give --format)",
	 "rotated boxes (exact: centre, size and clockwise angle from the corners); class ids "
	 "0..n-1; coordinates normalised by the real image size",
	 fmt_yolo_obb_probe, fmt_yolo_obb_read, fmt_yolo_obb_write},
	{"yolo-cls", "YOLO classify (<split>/<class>/<image> folders, give --format)",
	 "one tag an image; class ids are the sorted folder names; export needs --include-media",
	 fmt_yolo_cls_probe, fmt_yolo_cls_read, fmt_yolo_cls_write},
	{"voc", "Pascal VOC (Annotations/*.xml, ImageSets/Main/<split>.txt, JPEGImages/, labelmap.txt)",
	 "boxes (corners as written, like Datumaro and CVAT); truncated, difficult, occluded, pose; "
	 "parts (head, hand, foot) as a group; actions and custom attributes; image tags from "
	 "<class>_<split>.txt lists; splits",
	 fmt_voc_probe, fmt_voc_read, fmt_voc_write},
	{"voc-devkit", "Pascal VOC with the devkit's 1-based inclusive pixel boxes (give --format)",
	 "as voc, but xmin=1 is the first pixel column: Cairn x0 = xmin - 1, x1 = xmax",
	 fmt_voc_devkit_probe, fmt_voc_devkit_read, fmt_voc_devkit_write},
	{"cvat", "CVAT for images 1.1 and CVAT for video 1.1 (annotations.xml + images/)",
	 "boxes with rotation, polygons, polylines, points, ellipses, cuboids, masks (CVAT RLE), "
	 "skeletons with outside/occluded points, tags, attributes, occluded, z_order, group; "
	 "tracks with keyframe, outside and frame step (frames become image items)",
	 fmt_cvat_probe, fmt_cvat_read, fmt_cvat_write},
	{"labelstudio", "Label Studio JSON export (a list of tasks with annotations and predictions)",
	 "boxes with rotation, polygons, keypoints (as points), ellipses, brush masks (Label "
	 "Studio's RLE, exact), choices (tags), textarea (transcriptions), per-region choices as "
	 "attributes, scores of predictions (--as prediction); task and result ids; percentages "
	 "of original_width/original_height",
	 fmt_labelstudio_probe, fmt_labelstudio_read, fmt_labelstudio_write},
	{"labelme", "LabelMe JSON, one file per image (shapes with label, group_id, flags)",
	 "rectangles (boxes), polygons, lines and linestrips (polylines), points, circles "
	 "(ellipses); group_id, flags and description as attributes; pixel coordinates",
	 fmt_labelme_probe, fmt_labelme_read, fmt_labelme_write},
	{"imagenet", "ImageNet class folders (<root>/<class>/<image>, give --format)",
	 "one tag an image (the class folder); export needs --include-media",
	 fmt_imagenet_probe, fmt_imagenet_read, fmt_imagenet_write},
	{"csv", "CSV of image,label rows with a header (RFC 4180)",
	 "tags (one a row; several rows of one image make several tags)",
	 fmt_csv_probe, fmt_csv_read, fmt_csv_write},
	{"coco-panoptic", "COCO panoptic segmentation (annotations/panoptic_<split>.json + PNG "
	 "folder, segment id = R + 256*G + 256^2*B)",
	 "one mask per segment with its id and iscrowd; isthing as an attribute; boxes and "
	 "polygons written rasterised; overlaps resolved by z-order",
	 fmt_coco_panoptic_probe, fmt_coco_panoptic_read, fmt_coco_panoptic_write},
	{"masks", "mask PNGs with a label map (CamVid, Cityscapes gtFine, VOC SegmentationClass/"
	 "SegmentationObject)",
	 "masks (one per class of a semantic PNG, one per instance of an instance PNG); iscrowd "
	 "for class regions; boxes and polygons written rasterised; label_colors.txt",
	 fmt_masks_probe, fmt_masks_read, fmt_masks_write},
	{"mot", "MOT Challenge sequence (gt/gt.txt, gt/labels.txt, seqinfo.ini, img1/)",
	 "boxes with frame and track; conf and visibility as attributes; class numbers from "
	 "gt/labels.txt (1-based)",
	 fmt_mot_probe, fmt_mot_read, fmt_mot_write},
	{"kitti", "KITTI 2D object detection (label_2/*.txt, image_2/)",
	 "boxes with type (DontCare included); truncated, occluded, alpha, 3D dimensions, location "
	 "and rotation_y and score as attributes",
	 fmt_kitti_probe, fmt_kitti_read, fmt_kitti_write},
	{"labelme-xml", "MIT LabelMe XML (Annotations/<folder>/*.xml, Images/, Masks/)",
	 "polygons, boxes (type bounding_box), masks (Masks/ PNGs); occluded, username and the "
	 "attributes text as attributes; deleted objects skipped; parts (hasparts/ispartof) as "
	 "groups; object ids",
	 fmt_labelme_xml_probe, fmt_labelme_xml_read, fmt_labelme_xml_write},
	{"mots", "MOTS PNG (<split>/instances/*.png with class*1000+instance, labels.txt, images/)",
	 "masks with their track (the instance number); class numbers from labels.txt "
	 "(class 1 is the first line); class 10 as 'ignored' when labels.txt has fewer than 10",
	 fmt_mots_probe, fmt_mots_read, fmt_mots_write},
	{"widerface", "WIDER Face (wider_face_split/wider_face_<split>_bbx_gt.txt, "
	 "WIDER_<split>/images/<event>/)",
	 "face boxes with blur, expression, illumination, occluded, pose and invalid as "
	 "attributes; the event folder as an image tag; splits",
	 fmt_widerface_probe, fmt_widerface_read, fmt_widerface_write},
	{"market1501", "Market-1501 re-identification (bounding_box_<split>/, query/, "
	 "images_<split>.txt)",
	 "one tag an image: the person id as its label, camera_id (0-based), track_id, frame_id, "
	 "bbox_id and query as attributes, all from the file name",
	 fmt_market1501_probe, fmt_market1501_read, fmt_market1501_write},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct fmt_ops *fmt_find(const char *name)
{
	for (const struct fmt_ops *f = fmt_table; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const struct fmt_ops *fmt_probe(const char *path, struct buf *err)
{
	const struct fmt_ops *best = NULL;
	int bc = 0;
	for (const struct fmt_ops *f = fmt_table; f->name; f++) {
		int c = f->probe ? f->probe(path) : 0;
		if (c > bc) {
			bc = c;
			best = f;
		}
	}
	if (!best)
		buf_setf(err, "%s: no format recognises it (give --format)", path);
	return best;
}

/* ---- loss report ---- */

void fmt_loss_add(struct fmt_loss *l, const char *what, int64_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].what, what)) {
			l->v[i].n += n;
			return;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n].what = strdup(what);
	if (!l->v[l->n].what)
		abort();
	l->v[l->n++].n = n;
}

void fmt_loss_release(struct fmt_loss *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].what);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void fmt_loss_json(const struct fmt_loss *l, struct buf *out)
{
	buf_addch(out, '{');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_addch(out, ',');
		buf_add_json_str(out, l->v[i].what);
		buf_addf(out, ":%lld", (long long)l->v[i].n);
	}
	buf_addch(out, '}');
}

/* ---- splits ---- */

int fmt_split_parse(struct fmt_split *sp, const char *spec, struct buf *err)
{
	memset(sp, 0, sizeof(*sp));
	const char *p = spec;
	double total = 0;
	while (*p) {
		const char *eq = strchr(p, '=');
		if (!eq || eq == p || (size_t)(eq - p) >= sizeof(sp->name[0])) {
			buf_setf(err, "--split: expected NAME=WEIGHT[,NAME=WEIGHT...], got '%s'", spec);
			return CAIRN_EINVAL;
		}
		if (sp->n == 8) {
			buf_setf(err, "--split: at most 8 parts");
			return CAIRN_EINVAL;
		}
		memcpy(sp->name[sp->n], p, (size_t)(eq - p));
		sp->name[sp->n][eq - p] = 0;
		if (strcmp(sp->name[sp->n], "train") && strcmp(sp->name[sp->n], "val") &&
		    strcmp(sp->name[sp->n], "test")) {
			buf_setf(err, "--split: '%s' is not a split (train, val, test)", sp->name[sp->n]);
			return CAIRN_EINVAL;
		}
		char *end;
		errno = 0;
		double w = strtod(eq + 1, &end);
		if (end == eq + 1 || errno || !isfinite(w) || w < 0 || (*end && *end != ',')) {
			buf_setf(err, "--split: weight of '%s' is not a number >= 0", sp->name[sp->n]);
			return CAIRN_EINVAL;
		}
		sp->weight[sp->n++] = w;
		total += w;
		p = *end ? end + 1 : end;
	}
	if (sp->n == 0 || total <= 0) {
		buf_setf(err, "--split: the weights must add up to more than 0");
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; i < sp->n; i++)
		sp->weight[i] /= total;
	return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

const char *fmt_split_of(const struct fmt_split *sp, const struct item *it)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ mix64(sp->seed + 1);
	if (it->source_group && *it->source_group)
		h = fnv1a(fnv1a(h, "g:"), it->source_group);
	else
		h = fnv1a(fnv1a(h, "n:"), it->name ? it->name : "");
	double u = (double)(mix64(h) >> 11) / 9007199254740992.0;
	double acc = 0;
	for (size_t i = 0; i < sp->n; i++) {
		acc += sp->weight[i];
		if (u < acc)
			return sp->name[i];
	}
	return sp->name[sp->n - 1];
}

/* ---- the sink ---- */

enum { AT_BOOL, AT_NUM, AT_STR };

struct attr_info {
	char *name;
	int type;
	double min, max;
	bool seen;                 /* a value was seen (min, max are the values') */
	char *where;               /* first value, for errors */
	/* Declared by the dataset (fmt_sink_category_attr). */
	bool declared;
	enum attr_type dtype;
	char **values;
	size_t nvalues;
	bool has_range;
	double step;
	char *def;
	bool mutable_;
};

struct cat_info {
	int64_t id;
	char *name;                /* NULL until declared */
	char *super;
	char color[8];             /* "#rrggbb" or "" */
	char **points;
	size_t npoints;
	uint32_t (*edges)[2];
	size_t nedges;
	size_t max_kpts;           /* most keypoint triples seen */
	uint32_t kinds;            /* SHAPE_BIT()s of the objects seen */
	bool crowd;
	struct attr_info *attrs;
	size_t nattrs;
	char *where;               /* the declaration, or the first use */
	long label;                /* index into the project's schema, -1 none */
};

struct fmt_sink {
	bool null;
	bool skip_invalid;
	sqlite3 *db;
	sqlite3_stmt *ins_img, *ins_obj;
	struct cat_info *cats;
	size_t ncats, capcats;
	size_t *slots;             /* open addressing over cats by id: index + 1 */
	size_t nslots;
	int64_t seq;
	struct buf *err;
	struct fmt_import_report *rep;
	char *media_dir;
	char *split;               /* of the file being read: images and objects are keyed by (split, id) */
	struct buf frag;
	int64_t max_object_id, max_image_id;
	enum annotation_kind kind; /* what the import makes (fmt_sink_kind) */
};

static size_t slot_of(const struct fmt_sink *s, int64_t id)
{
	return (size_t)(mix64((uint64_t)id) & (s->nslots - 1));
}

static struct cat_info *cat_get(struct fmt_sink *s, int64_t id, bool create)
{
	if (s->nslots) {
		for (size_t i = slot_of(s, id);; i = (i + 1) & (s->nslots - 1)) {
			if (!s->slots[i])
				break;
			if (s->cats[s->slots[i] - 1].id == id)
				return &s->cats[s->slots[i] - 1];
		}
	}
	if (!create)
		return NULL;
	if (s->ncats == s->capcats) {
		s->capcats = s->capcats ? 2 * s->capcats : 16;
		s->cats = xrealloc(s->cats, s->capcats * sizeof(*s->cats));
	}
	struct cat_info *c = &s->cats[s->ncats++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->label = -1;
	if (s->ncats * 2 > s->nslots) {
		free(s->slots);
		s->nslots = s->nslots ? 2 * s->nslots : 64;
		while (s->ncats * 2 > s->nslots)
			s->nslots *= 2;
		s->slots = calloc(s->nslots, sizeof(size_t));
		if (!s->slots)
			abort();
		for (size_t k = 0; k < s->ncats; k++) {
			size_t i = slot_of(s, s->cats[k].id);
			while (s->slots[i])
				i = (i + 1) & (s->nslots - 1);
			s->slots[i] = k + 1;
		}
	} else {
		size_t i = slot_of(s, id);
		while (s->slots[i])
			i = (i + 1) & (s->nslots - 1);
		s->slots[i] = s->ncats;
	}
	return c;
}

int fmt_sink_invalid(struct fmt_sink *s, const char *where, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	int rc = 0;
	if (s->skip_invalid) {
		if (s->rep) {
			s->rep->skipped++;
			buf_addf(&s->rep->skipped_text, "%s: %s\n", where, m.data);
		}
	} else {
		buf_setf(s->err, "%s: %s", where, m.data);
		rc = CAIRN_EINVAL;
	}
	buf_release(&m);
	return rc;
}

void fmt_sink_category_color(struct fmt_sink *s, int64_t id, const char *color)
{
	struct cat_info *ci = cat_get(s, id, false);
	if (!ci || !color || strlen(color) != 7 || color[0] != '#' ||
	    strspn(color + 1, "0123456789abcdefABCDEF") != 6)
		return;
	memcpy(ci->color, color, 8);
}

void fmt_sink_note(struct fmt_sink *s, const char *what)
{
	if (s->rep)
		fmt_loss_add(&s->rep->notes, what, 1);
}

void fmt_sink_split(struct fmt_sink *s, const char *split)
{
	free(s->split);
	s->split = split ? xstrdup(split) : NULL;
}

enum annotation_kind fmt_sink_kind(const struct fmt_sink *s)
{
	return s->kind;
}

void fmt_sink_media_dir(struct fmt_sink *s, const char *dir)
{
	free(s->media_dir);
	s->media_dir = dir ? xstrdup(dir) : NULL;
}

static int valid_name(const char *n)
{
	size_t l = strlen(n);
	if (!l || l > SCHEMA_MAX_NAME || n[0] == ' ' || n[l - 1] == ' ')
		return 0;
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int fmt_sink_category(struct fmt_sink *s, const struct fmt_category *c)
{
	if (!valid_name(c->name))
		return fmt_sink_invalid(s, c->where, "category name '%s' is not a usable label name "
					"(1 to 128 bytes, no control characters, no leading or "
					"trailing spaces)", c->name);
	for (size_t i = 0; i < s->ncats; i++)
		if (s->cats[i].name && !strcasecmp(s->cats[i].name, c->name) && s->cats[i].id != c->id)
			return fmt_sink_invalid(s, c->where, "category name '%s' is used twice (also "
						"at %s)", c->name, s->cats[i].where);
	struct cat_info *ci = cat_get(s, c->id, true);
	if (ci->name && !strcmp(ci->name, c->name))
		return 0; /* the same category in another file of the dataset */
	if (ci->name)
		return fmt_sink_invalid(s, c->where, "duplicate category id %lld (also at %s)",
					(long long)c->id, ci->where);
	if (s->rep)
		s->rep->categories++;
	ci->name = xstrdup(c->name);
	ci->super = c->supercategory ? xstrdup(c->supercategory) : NULL;
	free(ci->where);
	ci->where = xstrdup(c->where);
	ci->points = xrealloc(NULL, (c->npoints + 1) * sizeof(char *));
	for (size_t i = 0; i < c->npoints; i++)
		ci->points[i] = xstrdup(c->points[i]);
	ci->npoints = c->npoints;
	ci->edges = xrealloc(NULL, (c->nedges + 1) * sizeof(*ci->edges));
	if (c->nedges)
		memcpy(ci->edges, c->edges, c->nedges * sizeof(*ci->edges));
	ci->nedges = c->nedges;
	return 0;
}

int fmt_sink_image(struct fmt_sink *s, const struct fmt_image *im)
{
	if (s->null)
		return 0;
	if (!im->file_name || !*im->file_name)
		return fmt_sink_invalid(s, im->where, "image %lld has no file_name", (long long)im->id);
	sqlite3_stmt *q = s->ins_img;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, im->id);
	sqlite3_bind_int64(q, 2, ++s->seq);
	sqlite3_bind_text(q, 3, im->file_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, im->width);
	sqlite3_bind_int(q, 5, im->height);
	const char *split = im->split ? im->split : s->split;
	sqlite3_bind_text(q, 6, split ? split : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, im->where, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		/* The same image in two files of one split (instances and keypoints) is one. */
		sqlite3_stmt *c = NULL;
		sqlite3_prepare_v2(s->db, "SELECT file_name = ?3, where_ FROM img WHERE split = ?1 AND "
				   "id = ?2", -1, &c, NULL);
		sqlite3_bind_text(c, 1, split ? split : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(c, 2, im->id);
		sqlite3_bind_text(c, 3, im->file_name, -1, SQLITE_TRANSIENT);
		bool same = sqlite3_step(c) == SQLITE_ROW && sqlite3_column_int(c, 0);
		struct buf w = BUF_INIT;
		buf_adds(&w, (const char *)sqlite3_column_text(c, 1) ? (const char *)sqlite3_column_text(c, 1) : "?");
		sqlite3_finalize(c);
		rc = same ? 0 : fmt_sink_invalid(s, im->where, "duplicate image id %lld (also at %s)",
						 (long long)im->id, w.data);
		buf_release(&w);
		return rc;
	}
	if (rc != SQLITE_DONE) {
		buf_setf(s->err, "import: cannot spool: %s", sqlite3_errmsg(s->db));
		return CAIRN_EIO;
	}
	if (im->id > s->max_image_id)
		s->max_image_id = im->id;
	if (s->rep)
		s->rep->images++;
	return 0;
}

static void add_nums(struct buf *b, const double *v, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(b, ',');
		json_add_double(b, v[i]);
	}
	buf_addch(b, ']');
}

static int spool_obj(struct fmt_sink *s, const struct fmt_object *o)
{
	sqlite3_stmt *q = s->ins_obj;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, o->image_id);
	sqlite3_bind_int64(q, 2, ++s->seq);
	sqlite3_bind_int64(q, 3, o->category_id);
	sqlite3_bind_text(q, 4, s->frag.data, (int)s->frag.len, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, o->where, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 6, s->split ? s->split : "", -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		buf_setf(s->err, "import: cannot spool: %s", sqlite3_errmsg(s->db));
		return CAIRN_EIO;
	}
	return 0;
}

static int note_attrs(struct fmt_sink *s, struct cat_info *ci, const struct fmt_object *o)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o->attrs, k, v) {
		int t;
		if (json_is_boolean(v))
			t = AT_BOOL;
		else if (json_is_number(v))
			t = AT_NUM;
		else if (json_is_string(v))
			t = AT_STR;
		else if (json_is_null(v))
			continue;
		else
			return fmt_sink_invalid(s, o->where, "attributes.%s: only strings, numbers and "
						"booleans can be kept, got %s", k,
						json_is_array(v) ? "an array" : "an object");
		if (!valid_name(k))
			return fmt_sink_invalid(s, o->where, "attributes: '%s' is not a usable "
						"attribute name", k);
		if (t == AT_STR && json_string_length(v) > SCHEMA_MAX_TEXT)
			return fmt_sink_invalid(s, o->where, "attributes.%s: text longer than %d bytes",
						k, SCHEMA_MAX_TEXT);
		struct attr_info *a = NULL;
		for (size_t i = 0; i < ci->nattrs; i++)
			if (!strcmp(ci->attrs[i].name, k))
				a = &ci->attrs[i];
		double x = t == AT_NUM ? json_number_value(v) : 0;
		if (!a) {
			ci->attrs = xrealloc(ci->attrs, (ci->nattrs + 1) * sizeof(*ci->attrs));
			a = &ci->attrs[ci->nattrs++];
			memset(a, 0, sizeof(*a));
			a->name = xstrdup(k);
			a->type = t;
			a->min = a->max = x;
			a->seen = true;
			a->where = xstrdup(o->where);
		} else if (!a->seen && a->type == t) {
			a->seen = true;
			free(a->where);
			a->where = xstrdup(o->where);
			if (!a->has_range)
				a->min = a->max = x;
		} else if (a->type != t) {
			static const char *const tn[] = {"a boolean", "a number", "a string"};
			return fmt_sink_invalid(s, o->where, "attributes.%s: %s here but %s at %s", k,
						tn[t], tn[a->type], a->where);
		}
		if (t == AT_NUM) {
			if (x < a->min)
				a->min = x;
			if (x > a->max)
				a->max = x;
			/* A value off the declared step's grid: no step. */
			if (a->declared && a->step > 0) {
				double q = (x - a->min) / a->step;
				if (fabs(q - nearbyint(q)) > 1e-9 * fmax(1, fabs(q)))
					a->step = 0;
			}
		}
		if (t == AT_STR && a->declared &&
		    (a->dtype == ATTR_SELECT || a->dtype == ATTR_MULTISELECT)) {
			/* A value the declaration does not list is added to it. */
			const char *sv = json_string_value(v);
			bool found = false;
			for (size_t i = 0; i < a->nvalues && !found; i++)
				found = !strcmp(a->values[i], sv);
			if (!found && valid_name(sv) && a->nvalues < 10000) {
				a->values = xrealloc(a->values, (a->nvalues + 1) * sizeof(char *));
				a->values[a->nvalues++] = xstrdup(sv);
				fmt_sink_note(s, "select value not among the declared values (added)");
			} else if (!found) {
				return fmt_sink_invalid(s, o->where, "attributes.%s: '%s' is not a usable "
							"select value", k, sv);
			}
		}
	}
	return 0;
}

int fmt_sink_category_attr(struct fmt_sink *s, int64_t category_id, const struct fmt_attr_decl *d)
{
	if (!valid_name(d->name))
		return fmt_sink_invalid(s, d->where, "attribute name '%s' is not usable (1 to 128 "
					"bytes, no control characters, no leading or trailing "
					"spaces)", d->name);
	int t = d->type == ATTR_CHECKBOX ? AT_BOOL : d->type == ATTR_NUMBER ? AT_NUM : AT_STR;
	if (d->type == ATTR_SELECT || d->type == ATTR_MULTISELECT) {
		if (!d->nvalues)
			return fmt_sink_invalid(s, d->where, "attribute '%s': a select needs values",
						d->name);
		for (size_t i = 0; i < d->nvalues; i++) {
			if (!valid_name(d->values[i]))
				return fmt_sink_invalid(s, d->where, "attribute '%s': value '%s' is not "
							"usable", d->name, d->values[i]);
			for (size_t k = 0; k < i; k++)
				if (!strcmp(d->values[i], d->values[k]))
					return fmt_sink_invalid(s, d->where, "attribute '%s': value "
								"'%s' is listed twice", d->name,
								d->values[i]);
		}
	}
	if (d->type == ATTR_NUMBER && d->has_range &&
	    (!(d->min <= d->max) || !(d->step >= 0) || !isfinite(d->min) || !isfinite(d->max)))
		return fmt_sink_invalid(s, d->where, "attribute '%s': the range min %g, max %g, "
					"step %g is not usable", d->name, d->min, d->max, d->step);
	struct cat_info *ci = cat_get(s, category_id, true);
	struct attr_info *a = NULL;
	for (size_t i = 0; i < ci->nattrs; i++)
		if (!strcmp(ci->attrs[i].name, d->name))
			a = &ci->attrs[i];
	if (a && a->declared)
		return fmt_sink_invalid(s, d->where, "attribute '%s' is declared twice (also at %s)",
					d->name, a->where);
	if (a && a->type != t)
		return fmt_sink_invalid(s, d->where, "attribute '%s' is declared %s, but a value at "
					"%s is not", d->name, attr_type_name(d->type), a->where);
	if (!a) {
		ci->attrs = xrealloc(ci->attrs, (ci->nattrs + 1) * sizeof(*ci->attrs));
		a = &ci->attrs[ci->nattrs++];
		memset(a, 0, sizeof(*a));
		a->name = xstrdup(d->name);
		a->type = t;
		a->where = xstrdup(d->where);
	}
	a->declared = true;
	a->dtype = d->type;
	a->values = xrealloc(NULL, (d->nvalues + 1) * sizeof(char *));
	for (size_t i = 0; i < d->nvalues; i++)
		a->values[i] = xstrdup(d->values[i]);
	a->nvalues = d->nvalues;
	a->mutable_ = d->mutable_;
	a->def = d->def ? xstrdup(d->def) : NULL;
	if (d->type == ATTR_NUMBER && d->has_range) {
		a->has_range = true;
		a->step = d->step;
		if (!a->seen || d->min < a->min)
			a->min = d->min;
		if (!a->seen || d->max > a->max)
			a->max = d->max;
	}
	return 0;
}

/* The members after "label" of one object, into s->frag. */
static void frag_begin(struct fmt_sink *s, const char *uid, const char *type)
{
	buf_reset(&s->frag);
	buf_adds(&s->frag, "\"id\":");
	buf_add_json_str(&s->frag, uid);
	buf_addf(&s->frag, ",\"type\":\"%s\"", type);
}

static void frag_common(struct fmt_sink *s, const struct fmt_object *o, bool attrs)
{
	if (attrs && (o->attrs || o->iscrowd)) {
		json_t *a = o->attrs ? json_deep_copy(o->attrs) : json_object();
		if (o->iscrowd)
			json_object_set_new(a, "iscrowd", json_true());
		char *t = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
		buf_adds(&s->frag, ",\"attributes\":");
		buf_adds(&s->frag, t ? t : "{}");
		free(t);
		json_decref(a);
	}
	if (o->has_score) {
		buf_adds(&s->frag, ",\"score\":");
		json_add_double(&s->frag, o->score);
	}
	if (o->occluded)
		buf_adds(&s->frag, ",\"occluded\":true");
	if (o->z_order)
		buf_addf(&s->frag, ",\"z_order\":%d", (int)o->z_order);
	if (o->has_group)
		buf_addf(&s->frag, ",\"group\":%lld", (long long)o->group);
	if (o->has_frame)
		buf_addf(&s->frag, ",\"frame\":%lld", (long long)o->frame);
	if (o->has_track) {
		buf_addf(&s->frag, ",\"track\":%lld", (long long)o->track);
		if (o->keyframe)
			buf_adds(&s->frag, ",\"keyframe\":true");
		if (o->outside)
			buf_adds(&s->frag, ",\"outside\":true");
	}
	if (o->text) {
		buf_adds(&s->frag, ",\"text\":");
		buf_add_json_str(&s->frag, o->text);
	}
}

int fmt_sink_object(struct fmt_sink *s, const struct fmt_object *o)
{
	if (s->null)
		return 0;
	struct cat_info *ci = cat_get(s, o->category_id, true);
	if (!ci->where)
		ci->where = xstrdup(o->where);
	int rc;
	if (o->attrs && (rc = note_attrs(s, ci, o)))
		return rc;
	if (o->iscrowd)
		ci->crowd = true;
	ci->kinds |= SHAPE_BIT(o->type);
	if (o->nkpts / 3 > ci->max_kpts)
		ci->max_kpts = o->nkpts / 3;
	char uid[ANN_MAX_UID + 1];
	size_t ul = o->uid ? strspn(o->uid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_-") : 0;
	if (ul && ul <= ANN_MAX_UID && !o->uid[ul])
		snprintf(uid, sizeof(uid), "%s", o->uid);
	else if (o->has_id)
		snprintf(uid, sizeof(uid), "%lld", (long long)o->id);
	else
		snprintf(uid, sizeof(uid), "o%lld", (long long)(s->seq + 1));
	if (o->has_id && o->id > s->max_object_id)
		s->max_object_id = o->id;
	bool kp_self = o->type == SHAPE_KEYPOINTS;
	if (!kp_self) {
		frag_begin(s, uid, shape_kind_name(o->type));
		if (o->type == SHAPE_MASK) {
			struct buf t = BUF_INIT;
			rle_to_string(o->mask, &t);
			buf_addf(&s->frag, ",\"rle\":{\"size\":[%u,%u],\"counts\":", o->mask->h,
				 o->mask->w);
			buf_add_json_str(&s->frag, t.data);
			buf_addch(&s->frag, '}');
			buf_release(&t);
		} else if (o->type == SHAPE_POLYGON && o->nparts > 1) {
			buf_adds(&s->frag, ",\"points\":");
			add_nums(&s->frag, o->pts, o->parts[0]);
		} else if (o->type != SHAPE_TAG) {
			buf_adds(&s->frag, ",\"points\":");
			add_nums(&s->frag, o->pts, o->npts);
		}
		frag_common(s, o, true);
		if ((rc = spool_obj(s, o)))
			return rc;
		if (o->type == SHAPE_POLYGON && o->nparts > 1) {
			size_t off = o->parts[0];
			for (size_t i = 1; i < o->nparts; i++) {
				char puid[96];
				snprintf(puid, sizeof(puid), "%s-%zu", uid, i + 1);
				frag_begin(s, puid, "polygon");
				buf_adds(&s->frag, ",\"points\":");
				add_nums(&s->frag, o->pts + off, o->parts[i]);
				off += o->parts[i];
				frag_common(s, o, true);
				if ((rc = spool_obj(s, o)))
					return rc;
			}
		}
	}
	if (o->nkpts) {
		char kuid[96];
		snprintf(kuid, sizeof(kuid), kp_self ? "%s" : "%s-kp", uid);
		frag_begin(s, kuid, "keypoints");
		buf_adds(&s->frag, ",\"points\":");
		add_nums(&s->frag, o->kpts, o->nkpts);
		if (!kp_self) {
			buf_adds(&s->frag, ",\"parent\":");
			buf_add_json_str(&s->frag, uid);
		}
		frag_common(s, o, kp_self);
		if ((rc = spool_obj(s, o)))
			return rc;
	}
	if (s->rep)
		s->rep->objects++;
	return 0;
}

/* ---- the spool ---- */

static int spool_open(struct fmt_sink *s, char *dir, size_t dirlen, struct buf *err)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, dirlen, "%s/cairn-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		buf_setf(err, "import: cannot make a temporary folder: %s", strerror(errno));
		dir[0] = 0;
		return CAIRN_EIO;
	}
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/spool.db", dir);
	int rc = sqlite3_open(p.data, &s->db);
	buf_release(&p);
	if (rc != SQLITE_OK) {
		buf_setf(err, "import: cannot open the spool: %s", sqlite3_errmsg(s->db));
		return CAIRN_EIO;
	}
	char *e = NULL;
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-32000;"
			 "PRAGMA temp_store=FILE;"
			 "CREATE TABLE img(id INTEGER, seq INTEGER, file_name TEXT, "
			 " width INTEGER, height INTEGER, split TEXT, where_ TEXT, item_id INTEGER, "
			 " fresh INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (split, id));"
			 "CREATE TABLE obj(image_id INTEGER, seq INTEGER, cat INTEGER, frag TEXT, "
			 " where_ TEXT, split TEXT);"
			 "BEGIN;",
			 NULL, NULL, &e) != SQLITE_OK) {
		buf_setf(err, "import: cannot make the spool: %s", e ? e : "?");
		sqlite3_free(e);
		return CAIRN_EIO;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO img(id, seq, file_name, width, height, split, "
			       "where_) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &s->ins_img,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO obj(image_id, seq, cat, frag, where_, split) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &s->ins_obj, NULL) != SQLITE_OK) {
		buf_setf(err, "import: cannot prepare the spool: %s", sqlite3_errmsg(s->db));
		return CAIRN_EIO;
	}
	return 0;
}

static void rm_rf(const char *dir)
{
	if (!dir || !*dir)
		return;
	static const char *const files[] = {"spool.db", "spool.db-journal", "spool.db-wal",
					    "spool.db-shm"};
	struct buf p = BUF_INIT;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, files[i]);
		unlink(p.data);
	}
	buf_release(&p);
	rmdir(dir);
}

static void sink_release(struct fmt_sink *s)
{
	sqlite3_finalize(s->ins_img);
	sqlite3_finalize(s->ins_obj);
	if (s->db)
		sqlite3_close(s->db);
	for (size_t i = 0; i < s->ncats; i++) {
		struct cat_info *c = &s->cats[i];
		free(c->name);
		free(c->super);
		for (size_t k = 0; k < c->npoints; k++)
			free(c->points[k]);
		free(c->points);
		free(c->edges);
		for (size_t k = 0; k < c->nattrs; k++) {
			free(c->attrs[k].name);
			free(c->attrs[k].where);
			for (size_t v = 0; v < c->attrs[k].nvalues; v++)
				free(c->attrs[k].values[v]);
			free(c->attrs[k].values);
			free(c->attrs[k].def);
		}
		free(c->attrs);
		free(c->where);
	}
	free(s->cats);
	free(s->slots);
	free(s->media_dir);
	free(s->split);
	buf_release(&s->frag);
	memset(s, 0, sizeof(*s));
}

struct fmt_sink *fmt_null_sink_new(void)
{
	struct fmt_sink *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->null = true;
	s->frag = (struct buf)BUF_INIT;
	return s;
}

void fmt_null_sink_free(struct fmt_sink *s)
{
	if (!s)
		return;
	sink_release(s);
	free(s);
}

int fmt_read_null(const struct fmt_ops *f, const char *path, struct buf *err)
{
	struct fmt_sink *s = fmt_null_sink_new();
	s->err = err;
	int rc = f->read(path, s, err);
	fmt_null_sink_free(s);
	return rc;
}

void fmt_import_report_release(struct fmt_import_report *r)
{
	buf_release(&r->skipped_text);
	fmt_loss_release(&r->notes);
	memset(r, 0, sizeof(*r));
}

/* ---- the driver ---- */

struct imp {
	struct store *st;
	int64_t project_id;
	const struct fmt_ops *f;
	const struct fmt_import_opts *o;
	struct fmt_import_report *rep;
	struct fmt_sink s;
	struct buf *err;
	struct schema sc;
	bool have_sc;
	int64_t schema_version;
	int64_t *label_ids;
	char *schema_json;         /* a schema to create, or NULL */
};

static void progress(struct imp *m, const char *phase, int64_t done, int64_t total)
{
	if (m->o->progress)
		m->o->progress(m->o->progress_ctx, phase, done, total);
}

static const char *tn_attr[] = {"checkbox", "number", "text"};

/* A declared attribute's schema entry: type, values, range and a default
 * that fits them (else none). */
static void add_declared(struct buf *b, const struct attr_info *a)
{
	buf_adds(b, "{\"name\":");
	buf_add_json_str(b, a->name);
	enum attr_type t = a->dtype;
	bool range = t == ATTR_NUMBER && (a->has_range || a->seen);
	if (t == ATTR_NUMBER && !range)
		t = ATTR_TEXT; /* no range and no value: nothing to bound it by */
	buf_addf(b, ",\"type\":\"%s\"", attr_type_name(t));
	if (t == ATTR_SELECT || t == ATTR_MULTISELECT) {
		buf_adds(b, ",\"values\":[");
		for (size_t i = 0; i < a->nvalues; i++) {
			if (i)
				buf_addch(b, ',');
			buf_add_json_str(b, a->values[i]);
		}
		buf_addch(b, ']');
	}
	double step = a->step > 0 && a->step <= a->max - a->min ? a->step : 0;
	if (t == ATTR_NUMBER) {
		buf_adds(b, ",\"min\":");
		json_add_double(b, a->min);
		buf_adds(b, ",\"max\":");
		json_add_double(b, a->max);
		if (step > 0) {
			buf_adds(b, ",\"step\":");
			json_add_double(b, step);
		}
	}
	if (a->def) {
		const char *d = a->def;
		if (t == ATTR_SELECT) {
			for (size_t i = 0; i < a->nvalues; i++)
				if (!strcmp(a->values[i], d)) {
					buf_adds(b, ",\"default\":");
					buf_add_json_str(b, d);
					break;
				}
		} else if (t == ATTR_CHECKBOX) {
			if (!strcasecmp(d, "true") || !strcmp(d, "1"))
				buf_adds(b, ",\"default\":true");
		} else if (t == ATTR_NUMBER) {
			char *end;
			double x = strtod(d, &end);
			double q = step > 0 ? (x - a->min) / step : 0;
			if (*d && !*end && isfinite(x) && x >= a->min && x <= a->max &&
			    fabs(q - nearbyint(q)) <= 1e-9 * fmax(1, fabs(q))) {
				buf_adds(b, ",\"default\":");
				json_add_double(b, x);
			}
		} else if (t == ATTR_TEXT && strlen(d) <= SCHEMA_MAX_TEXT) {
			buf_adds(b, ",\"default\":");
			buf_add_json_str(b, d);
		}
	}
	if (a->mutable_)
		buf_adds(b, ",\"mutable\":true");
	buf_addch(b, '}');
}

/* A schema from the categories (the project has none). */
static int make_schema(struct imp *m)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"cairn_schema\":1,\"labels\":[");
	size_t nl = 0;
	for (size_t i = 0; i < m->s.ncats; i++) {
		struct cat_info *c = &m->s.cats[i];
		if (!c->name)
			continue;
		if (nl++)
			buf_addch(&b, ',');
		buf_adds(&b, "{\"name\":");
		buf_add_json_str(&b, c->name);
		if (c->id >= 1 && c->id <= 2147483647)
			buf_addf(&b, ",\"id\":%lld", (long long)c->id);
		if (c->color[0])
			buf_addf(&b, ",\"color\":\"%s\"", c->color);
		size_t np = c->npoints ? c->npoints : c->max_kpts;
		buf_addf(&b, ",\"shapes\":[\"tag\",\"box\",\"rotated_box\",\"polygon\",\"mask\"%s",
			 np ? ",\"keypoints\"" : "");
		/* Other shapes the dataset uses (polylines, points, ellipses, cuboids...). */
		for (int k = 0; k < SHAPE_KIND_COUNT_; k++)
			if ((c->kinds & SHAPE_BIT(k)) && k != SHAPE_TAG && k != SHAPE_BOX &&
			    k != SHAPE_ROTATED_BOX && k != SHAPE_POLYGON && k != SHAPE_MASK &&
			    k != SHAPE_KEYPOINTS)
				buf_addf(&b, ",\"%s\"", shape_kind_name((enum shape_kind)k));
		buf_addch(&b, ']');
		if (c->super && *c->super) {
			buf_adds(&b, ",\"description\":");
			buf_add_json_str(&b, c->super);
		}
		buf_adds(&b, ",\"attributes\":[");
		size_t na = 0;
		bool crowd_done = false;
		for (size_t k = 0; k < c->nattrs; k++) {
			struct attr_info *a = &c->attrs[k];
			if (na++)
				buf_addch(&b, ',');
			if (a->declared) {
				add_declared(&b, a);
				if (!strcmp(a->name, "iscrowd"))
					crowd_done = true;
				continue;
			}
			buf_adds(&b, "{\"name\":");
			buf_add_json_str(&b, a->name);
			buf_addf(&b, ",\"type\":\"%s\"", tn_attr[a->type]);
			if (a->type == AT_NUM) {
				buf_adds(&b, ",\"min\":");
				json_add_double(&b, a->min);
				buf_adds(&b, ",\"max\":");
				json_add_double(&b, a->max);
			}
			buf_addch(&b, '}');
			if (!strcmp(a->name, "iscrowd"))
				crowd_done = true;
		}
		if (c->crowd && !crowd_done)
			buf_addf(&b, "%s{\"name\":\"iscrowd\",\"type\":\"checkbox\"}", na ? "," : "");
		buf_addch(&b, ']');
		if (np) {
			buf_adds(&b, ",\"skeleton\":{\"points\":[");
			for (size_t k = 0; k < np; k++) {
				if (k)
					buf_addch(&b, ',');
				if (k < c->npoints && valid_name(c->points[k]))
					buf_add_json_str(&b, c->points[k]);
				else
					buf_addf(&b, "\"%zu\"", k + 1);
			}
			buf_adds(&b, "],\"edges\":[");
			size_t ne = 0;
			for (size_t k = 0; k < c->nedges; k++) {
				uint32_t a = c->edges[k][0], z = c->edges[k][1];
				if (a >= np || z >= np || a == z)
					continue;
				bool dup = false;
				for (size_t q = 0; q < k; q++)
					if ((c->edges[q][0] == a && c->edges[q][1] == z) ||
					    (c->edges[q][0] == z && c->edges[q][1] == a))
						dup = true;
				if (dup)
					continue;
				buf_addf(&b, "%s[", ne++ ? "," : "");
				if (a < c->npoints && valid_name(c->points[a]))
					buf_add_json_str(&b, c->points[a]);
				else
					buf_addf(&b, "\"%u\"", a + 1);
				buf_addch(&b, ',');
				if (z < c->npoints && valid_name(c->points[z]))
					buf_add_json_str(&b, c->points[z]);
				else
					buf_addf(&b, "\"%u\"", z + 1);
				buf_addch(&b, ']');
			}
			buf_adds(&b, "]}");
		}
		buf_addch(&b, '}');
		c->label = (long)(nl - 1);
	}
	buf_adds(&b, "]}");
	if (!nl) {
		buf_setf(m->err, "import: the dataset has no categories to make labels from");
		buf_release(&b);
		return CAIRN_EINVAL;
	}
	struct buf e = BUF_INIT;
	int rc = schema_parse(&m->sc, b.data, b.len, &e);
	if (rc) {
		buf_setf(m->err, "import: cannot make a label schema from the categories: %s", e.data);
		buf_release(&e);
		buf_release(&b);
		return rc;
	}
	buf_release(&e);
	m->have_sc = true;
	struct buf canon = BUF_INIT;
	schema_to_json(&m->sc, &canon);
	m->schema_json = buf_detach(&canon, NULL);
	buf_release(&b);
	m->rep->schema_created = true;
	return 0;
}

static int map_schema(struct imp *m)
{
	for (size_t i = 0; i < m->s.ncats; i++) {
		struct cat_info *c = &m->s.cats[i];
		if (!c->name)
			continue;
		c->label = schema_label_index(&m->sc, c->name);
	}
	return 0;
}

/* Checks that every object names a declared category and a known image. */
static int check_refs(struct imp *m)
{
	for (size_t i = 0; i < m->s.ncats; i++) {
		struct cat_info *c = &m->s.cats[i];
		if (c->name)
			continue;
		if (!m->o->skip_invalid) {
			buf_setf(m->err, "%s: unknown category id %lld (not in categories)", c->where,
				 (long long)c->id);
			return CAIRN_EINVAL;
		}
	}
	sqlite3_stmt *q = NULL;
	int rc = 0;
	sqlite3_prepare_v2(m->s.db, "SELECT o.image_id, o.where_ FROM obj o LEFT JOIN img i ON "
			   "i.split = o.split AND i.id = o.image_id WHERE i.id IS NULL ORDER BY o.seq", -1, &q, NULL);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *w = (const char *)sqlite3_column_text(q, 1);
		if ((rc = fmt_sink_invalid(&m->s, w ? w : "?", "image_id %lld: no such image",
					   (long long)sqlite3_column_int64(q, 0))))
			break;
	}
	sqlite3_finalize(q);
	return rc;
}

static int file_sha256(const char *path, char hex[HASH_HEX_LEN + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CAIRN_EIO;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	unsigned char bufr[65536];
	ssize_t n;
	while ((n = read(fd, bufr, sizeof(bufr))) > 0)
		crypto_hash_sha256_update(&h, bufr, (unsigned long long)n);
	close(fd);
	if (n < 0)
		return CAIRN_EIO;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(hex, HASH_HEX_LEN + 1, d, sizeof(d));
	return 0;
}

/* Finds each image's file, ingests them, records item ids (outside the transaction). */
static int media_phase(struct imp *m)
{
	const char *dir = m->o->media_dir ? m->o->media_dir : m->s.media_dir;
	sqlite3_stmt *q = NULL, *up = NULL;
	sqlite3_prepare_v2(m->s.db, "SELECT rowid, file_name, split FROM img ORDER BY seq", -1, &q,
			   NULL);
	sqlite3_prepare_v2(m->s.db, "UPDATE img SET item_id = ?2 WHERE rowid = ?1", -1, &up, NULL);
	char **paths = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct buf p = BUF_INIT;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *fn = (const char *)sqlite3_column_text(q, 1);
		const char *split = (const char *)sqlite3_column_text(q, 2);
		bool found = false;
		if (dir && split && *split) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s/%s", dir, split, fn);
			found = is_file(p.data);
		}
		if (dir && !found) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s", dir, fn);
			found = is_file(p.data);
		}
		if (!found)
			continue; /* matched by name to an item of the project, or an error (attach_phase) */
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			paths = xrealloc(paths, cap * sizeof(*paths));
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		paths[n] = xstrdup(p.data);
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (!rc && n) {
		sqlite3_exec(m->s.db, "COMMIT", NULL, NULL, NULL);
		struct ingest_opts io = INGEST_OPTS_INIT;
		io.near_threshold = -1;
		struct ingest_report ir;
		progress(m, "media", 0, (int64_t)n);
		rc = ingest_run(m->st, m->project_id, m->o->data_dir, paths, n, &io, &ir, m->err);
		if (!rc)
			m->rep->items_added += ir.added;
		sqlite3_exec(m->s.db, "BEGIN", NULL, NULL, NULL);
		for (size_t i = 0; !rc && i < n; i++) {
			char hex[HASH_HEX_LEN + 1];
			int64_t item = 0;
			if (file_sha256(paths[i], hex) ||
			    store_item_find_hash(m->st, m->project_id, hex, &item, NULL)) {
				const char *why = "not an image Cairn can read";
				const char *base = strrchr(paths[i], '/');
				base = base ? base + 1 : paths[i];
				for (size_t k = 0; k < ir.rejects.n; k++)
					if (!strcmp(ir.rejects.v[k].path, base))
						why = ir.rejects.v[k].reason;
				buf_setf(m->err, "media file '%s' could not be added: %s", paths[i], why);
				if (m->o->skip_invalid) {
					fmt_sink_invalid(&m->s, paths[i], "could not be added: %s", why);
					continue;
				}
				rc = CAIRN_EINVAL;
				break;
			}
			sqlite3_reset(up);
			sqlite3_bind_int64(up, 1, ids[i]);
			sqlite3_bind_int64(up, 2, item);
			sqlite3_step(up);
		}
		ingest_report_release(&ir);
	}
	sqlite3_finalize(up);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ids);
	buf_release(&p);
	return rc;
}

static const char *mime_of(const char *fn)
{
	const char *dot = strrchr(fn, '.');
	if (!dot)
		return "application/octet-stream";
	if (!strcasecmp(dot, ".png"))
		return "image/png";
	if (!strcasecmp(dot, ".webp"))
		return "image/webp";
	return "image/jpeg";
}

/* The content hash an item made without media gets: of its split and file name. */
static void nomedia_hash(const char *fn, const char *split, char hex[HASH_HEX_LEN + 1])
{
	crypto_hash_sha256_state hs;
	crypto_hash_sha256_init(&hs);
	crypto_hash_sha256_update(&hs, (const unsigned char *)"cairn:no-media:", 15);
	crypto_hash_sha256_update(&hs, (const unsigned char *)(split ? split : ""),
				  split ? strlen(split) : 0);
	crypto_hash_sha256_update(&hs, (const unsigned char *)"/", 1);
	crypto_hash_sha256_update(&hs, (const unsigned char *)fn, strlen(fn));
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&hs, d);
	sodium_bin2hex(hex, HASH_HEX_LEN + 1, d, sizeof(d));
}

/*
 * An item without media, from the file's name and size (inside the
 * transaction), made with its metadata and split at once. Returns 1 when
 * the image is skipped (no size, with skip_invalid).
 */
static int nomedia_item(struct imp *m, int64_t image_id, const char *fn, const char *split,
			int32_t w, int32_t h, const char *where, int64_t *item_id, bool *fresh)
{
	if (w <= 0 || h <= 0)
	{
		int r = fmt_sink_invalid(&m->s, where, "image %lld has no width and height, which "
					 "--no-media needs", (long long)image_id);
		return r ? r : 1;
	}
	struct item it;
	memset(&it, 0, sizeof(it));
	nomedia_hash(fn, split, it.hash);
	it.project_id = m->project_id;
	it.kind = ITEM_IMAGE;
	it.name = (char *)fn;
	it.width = w;
	it.height = h;
	it.mime = (char *)mime_of(fn);
	char *slash = strrchr(fn, '/');
	struct buf g = BUF_INIT, meta = BUF_INIT;
	if (slash)
		buf_add(&g, fn, (size_t)(slash - fn));
	it.source_group = slash ? g.data : NULL;
	buf_addf(&meta, "{\"%s_id\":%lld}", m->f->name, (long long)image_id);
	it.meta = meta.data;
	/* Other split names fail in store_item_set_meta, as before. */
	if (split && (!strcmp(split, "train") || !strcmp(split, "val") || !strcmp(split, "test")))
		it.split = (char *)split;
	it.status = ITEM_NEW;
	int rc = store_item_add(m->st, &it, item_id, m->err);
	*fresh = !rc;
	if (rc == CAIRN_EEXIST)
		rc = 0; /* made just before for an image of the same split and name */
	else if (!rc && split && !it.split)
		rc = store_item_set_meta(m->st, *item_id, NULL, split, m->err);
	buf_release(&g);
	buf_release(&meta);
	if (!rc && *fresh)
		m->rep->items_added++;
	return rc;
}

/*
 * The project's items by file name, for annotation files imported without
 * their media: a spool table of (base name, name, split, id), filled on
 * first use.
 */
static int load_names(void *ctx, const struct item *it)
{
	sqlite3_stmt *q = ctx;
	const char *base = strrchr(it->name, '/');
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, base ? base + 1 : it->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, it->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, it->split ? it->split : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, it->id);
	return sqlite3_step(q) == SQLITE_DONE ? 0 : CAIRN_EIO;
}

/*
 * The item of the project an image names: the item whose name is fn, or
 * ends with "/" + fn (an item ingested from a folder is named
 * "photos/a.jpg"), and which is not in another split than the image.
 * Among several, one of the image's split wins, then an exact name; more
 * than one left is an error naming them. *item 0: none.
 */
static int match_name(struct imp *m, sqlite3_stmt *q, const char *fn, const char *split,
		      const char *where, int64_t *item)
{
	*item = 0;
	const char *base = strrchr(fn, '/');
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, base ? base + 1 : fn, -1, SQLITE_STATIC);
	size_t fl = strlen(fn);
	int best = -1, nbest = 0;
	struct buf names = BUF_INIT;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const char *isplit = (const char *)sqlite3_column_text(q, 1);
		size_t nl = name ? strlen(name) : 0;
		bool exact = nl == fl && !memcmp(name, fn, fl);
		if (!exact && !(nl > fl && name[nl - fl - 1] == '/' && !memcmp(name + nl - fl, fn, fl)))
			continue;
		bool has_split = split && *split, item_split = isplit && *isplit;
		if (has_split && item_split && strcmp(split, isplit))
			continue; /* val's a.jpg is not train's a.jpg */
		int score = (has_split && item_split) * 2 + exact;
		if (score > best) {
			best = score;
			nbest = 0;
			buf_reset(&names);
		}
		if (score == best) {
			nbest++;
			*item = sqlite3_column_int64(q, 2);
			if (nbest <= 3)
				buf_addf(&names, "%s'%s' (item %lld)", nbest > 1 ? ", " : "", name,
					 (long long)*item);
		}
	}
	sqlite3_reset(q);
	int rc = 0;
	if (nbest > 1) {
		*item = 0;
		rc = fmt_sink_invalid(&m->s, where, "file name '%s' matches %d items of the project: "
				      "%s%s (give --media DIR to match by content)", fn, nbest,
				      names.data, nbest > 3 ? ", ..." : "");
		rc = rc ? rc : 1;
	}
	buf_release(&names);
	return rc;
}

/*
 * Gives each image without an item yet (no media found for it, or
 * --no-media) one: with --no-media, the item an earlier --no-media import
 * made for it; else an item of the project with its file name (images
 * ingested before, the annotations imported alone); else, with --no-media,
 * a new item. Inside the transaction.
 */
static int attach_phase(struct imp *m)
{
	const char *dir = m->o->media_dir ? m->o->media_dir : m->s.media_dir;
	sqlite3_stmt *q = NULL, *up = NULL, *names = NULL, *add = NULL;
	sqlite3_prepare_v2(m->s.db, "SELECT rowid, id, file_name, NULLIF(split, ''), width, height, "
			   "where_ FROM img WHERE item_id IS NULL ORDER BY seq", -1, &q, NULL);
	sqlite3_prepare_v2(m->s.db, "UPDATE img SET item_id = ?2, fresh = ?3 WHERE rowid = ?1", -1,
			   &up, NULL);
	bool loaded = false;
	int rc = 0;
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 1);
		const char *fn = (const char *)sqlite3_column_text(q, 2);
		const char *split = (const char *)sqlite3_column_text(q, 3);
		int32_t w = sqlite3_column_int(q, 4), h = sqlite3_column_int(q, 5);
		const char *where = (const char *)sqlite3_column_text(q, 6);
		int64_t item = 0;
		bool fresh = false;
		if (m->o->no_media) {
			char hex[HASH_HEX_LEN + 1];
			nomedia_hash(fn, split, hex);
			store_item_find_hash(m->st, m->project_id, hex, &item, NULL);
		}
		if (!item && !loaded) {
			loaded = true;
			sqlite3_exec(m->s.db, "CREATE TABLE names(base TEXT, name TEXT, split TEXT, "
				     "id INTEGER)", NULL, NULL, NULL);
			sqlite3_prepare_v2(m->s.db, "INSERT INTO names VALUES (?1, ?2, ?3, ?4)", -1,
					   &add, NULL);
			if ((rc = store_item_list(m->st, m->project_id, 0, -1, load_names, add, m->err)))
				break;
			sqlite3_exec(m->s.db, "CREATE INDEX names_base ON names(base)", NULL, NULL, NULL);
			sqlite3_prepare_v2(m->s.db, "SELECT name, split, id FROM names WHERE base = ?1 "
					   "ORDER BY id", -1, &names, NULL);
		}
		if (!item && (rc = match_name(m, names, fn, split, where, &item))) {
			if (rc == 1)
				rc = 0;
			continue;
		}
		if (!item && m->o->no_media) {
			if ((rc = nomedia_item(m, id, fn, split, w, h, where, &item, &fresh)) == 1) {
				rc = 0;
				continue;
			}
		} else if (!item) {
			if (!m->o->skip_invalid) {
				buf_setf(m->err, "%s: media file '%s' not found in %s, and the project has "
					 "no item of that name (give --media DIR, or --no-media to import "
					 "without images)", where, fn, dir ? dir : "(no images folder)");
				rc = CAIRN_ENOTFOUND;
				break;
			}
			fmt_sink_invalid(&m->s, where, "media file '%s' not found", fn);
			continue;
		}
		if (rc)
			break;
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_int64(up, 2, item);
		sqlite3_bind_int(up, 3, fresh);
		if (sqlite3_step(up) != SQLITE_DONE) {
			buf_setf(m->err, "import: cannot spool: %s", sqlite3_errmsg(m->s.db));
			rc = CAIRN_EIO;
		}
	}
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	sqlite3_finalize(add);
	sqlite3_finalize(names);
	return rc;
}

static int set_item_meta(struct imp *m, int64_t item_id, int64_t image_id, const char *fn,
			 const char *split, int32_t w, int32_t h, const char *where)
{
	struct item it;
	int rc = store_item_get(m->st, item_id, &it, m->err);
	if (rc)
		return rc;
	if (w && h && it.width && it.height && (it.width != w || it.height != h)) {
		rc = fmt_sink_invalid(&m->s, where, "image %lld '%s' is %dx%d in the file but the "
				      "media is %dx%d", (long long)image_id, fn, w, h, it.width,
				      it.height);
		item_release(&it);
		return rc ? rc : 1;
	}
	json_t *meta = it.meta ? json_loads(it.meta, 0, NULL) : NULL;
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	char key[64];
	snprintf(key, sizeof(key), "%s_id", m->f->name);
	json_object_set_new(meta, key, json_integer(image_id));
	if (strcmp(fn, it.name ? it.name : ""))
		json_object_set_new(meta, "file_name", json_string(fn));
	char *t = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	rc = store_item_set_meta(m->st, item_id, t, split, m->err);
	free(t);
	item_release(&it);
	return rc;
}

/* Index of the object named by "$.objects[N]" in an error, or -1. */
static long failing_object(const char *msg)
{
	const char *p = strstr(msg, "$.objects[");
	if (!p)
		return -1;
	char *end;
	long v = strtol(p + 10, &end, 10);
	return *end == ']' ? v : -1;
}

struct obj_row {
	char *frag;
	char *where;
	long label;
};

/*
 * A label that allows boxes but not the object's polygon or mask (COCO
 * gives every object a segmentation, also for classes a schema keeps as
 * boxes): the object becomes its bounding box, and the change is noted in
 * the report. Returns a new fragment (owned) or NULL to keep it as it is.
 */
static char *as_box_if_needed(struct imp *m, const char *frag, long label)
{
	uint32_t allowed = m->sc.labels[label].shapes;
	/* Most fragments are kept as they are: tell from their type (written by
	 * frag_begin after an id of [A-Za-z0-9_-]) before parsing anything. */
	const char *ty = strstr(frag, ",\"type\":\"");
	if (ty) {
		char name[32];
		size_t l = strcspn(ty + 9, "\"");
		enum shape_kind k0;
		if (l < sizeof(name)) {
			memcpy(name, ty + 9, l);
			name[l] = 0;
			if (shape_kind_parse(name, &k0) && ((allowed & SHAPE_BIT(k0)) ||
			    !(allowed & SHAPE_BIT(SHAPE_BOX)) ||
			    (k0 != SHAPE_POLYGON && k0 != SHAPE_MASK)))
				return NULL;
		}
	}
	struct buf text = BUF_INIT;
	buf_addch(&text, '{');
	buf_adds(&text, frag);
	buf_addch(&text, '}');
	json_t *o = json_loads(text.data, 0, NULL);
	buf_release(&text);
	const char *type = json_string_value(json_object_get(o, "type"));
	enum shape_kind k;
	char *out = NULL;
	if (!type || !shape_kind_parse(type, &k) || (allowed & SHAPE_BIT(k)) ||
	    !(allowed & SHAPE_BIT(SHAPE_BOX)) || (k != SHAPE_POLYGON && k != SHAPE_MASK))
		goto done;
	double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
	if (k == SHAPE_POLYGON) {
		json_t *pts = json_object_get(o, "points");
		json_t *rings = json_object_get(o, "rings");
		size_t i, n = 0;
		json_t *v;
		json_t *all = json_array();
		if (json_is_array(pts))
			json_array_extend(all, pts);
		json_array_foreach(rings, i, v) json_array_extend(all, v);
		json_array_foreach(all, i, v) {
			double c = json_number_value(v);
			if (i % 2 == 0) {
				x0 = n ? fmin(x0, c) : c;
				x1 = n ? fmax(x1, c) : c;
			} else {
				y0 = n ? fmin(y0, c) : c;
				y1 = n ? fmax(y1, c) : c;
				n++;
			}
		}
		json_decref(all);
		if (!n)
			goto done;
	} else {
		json_t *r = json_object_get(o, "rle");
		json_t *size = json_object_get(r, "size");
		struct rle mask;
		if (!json_is_string(json_object_get(r, "counts")) ||
		    rle_from_string(&mask, json_string_value(json_object_get(r, "counts")),
				    (uint32_t)json_integer_value(json_array_get(size, 0)),
				    (uint32_t)json_integer_value(json_array_get(size, 1)), NULL))
			goto done;
		double bb[4];
		rle_bbox(&mask, bb);
		rle_release(&mask);
		x0 = bb[0];
		y0 = bb[1];
		x1 = bb[0] + bb[2];
		y1 = bb[1] + bb[3];
	}
	json_object_set_new(o, "type", json_string("box"));
	json_object_del(o, "rings");
	json_object_del(o, "rle");
	json_object_set_new(o, "points", json_pack("[ffff]", x0, y0, x1, y1));
	char *t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (t && strlen(t) >= 2) {
		out = xstrdup(t + 1);
		out[strlen(out) - 1] = 0;
		char note[160];
		snprintf(note, sizeof(note), "%s of label '%s', which allows none (its box is kept)",
			 shape_kind_name(k), m->sc.labels[label].name);
		fmt_sink_note(&m->s, note);
	}
	free(t);
done:
	json_decref(o);
	return out;
}

/*
 * A copy of frag whose object id (and parent, for keypoints) has the
 * prefix "dup<k>_", so objects of the k-th image merged onto one item keep
 * distinct ids. frag starts with "id":"..." (frag_begin); a keypoints
 * object's "parent" comes before its attributes.
 */
static char *prefix_ids(const char *frag, size_t k)
{
	struct buf b = BUF_INIT;
	char pre[32];
	snprintf(pre, sizeof(pre), "dup%zu_", k);
	const char *p = frag;
	if (!strncmp(p, "\"id\":\"", 6)) {
		buf_add(&b, p, 6);
		buf_adds(&b, pre);
		p += 6;
	}
	const char *par = strstr(p, ",\"parent\":\"");
	const char *attrs = strstr(p, ",\"attributes\":");
	if (par && (!attrs || par < attrs)) {
		buf_add(&b, p, (size_t)(par - p) + 11);
		buf_adds(&b, pre);
		p = par + 11;
	}
	buf_adds(&b, p);
	return buf_detach(&b, NULL);
}

/*
 * Writes the annotation of one item from the objects of its images:
 * usually one, several when the dataset holds byte-identical images (one
 * item in the store, which keeps one item per content), whose objects are
 * then merged rather than one image's annotation replacing another's.
 */
static int write_image(struct imp *m, sqlite3_stmt *oq, const int64_t *image_ids,
		       char *const *splits, size_t nimages, int64_t item_id, int32_t w, int32_t h,
		       bool fresh)
{
	struct obj_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	int64_t image_id = image_ids[0];
	for (size_t im = 0; im < nimages && !rc; im++) {
	sqlite3_reset(oq);
	sqlite3_clear_bindings(oq);
	sqlite3_bind_int64(oq, 1, image_ids[im]);
	if (splits[im])
		sqlite3_bind_text(oq, 2, splits[im], -1, SQLITE_TRANSIENT);
	while (sqlite3_step(oq) == SQLITE_ROW) {
		int64_t cat = sqlite3_column_int64(oq, 0);
		const char *w0 = (const char *)sqlite3_column_text(oq, 2);
		struct cat_info *ci = cat_get(&m->s, cat, false);
		if (!ci || ci->label < 0) {
			/* Unknown category (skip_invalid), or not a label of the project. */
			if (ci && ci->name && !m->o->skip_invalid) {
				buf_setf(m->err, "%s: category '%s' (id %lld) is not a label of the "
					 "project", w0, ci->name, (long long)cat);
				rc = CAIRN_EINVAL;
				break;
			}
			if ((rc = fmt_sink_invalid(&m->s, w0, "category id %lld: %s", (long long)cat,
						   ci && ci->name ? "not a label of the project"
								  : "unknown category")))
				break;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		const char *frag = (const char *)sqlite3_column_text(oq, 1);
		char *boxed = as_box_if_needed(m, frag, ci->label);
		rows[n].frag = boxed ? boxed : xstrdup(frag);
		if (im > 0) {
			char *t = prefix_ids(rows[n].frag, im);
			free(rows[n].frag);
			rows[n].frag = t;
		}
		rows[n].where = xstrdup(w0);
		rows[n++].label = ci->label;
	}
	}
	struct buf doc = BUF_INIT, e = BUF_INIT, canon = BUF_INIT;
	struct ann_doc d;
	memset(&d, 0, sizeof(d));
	while (!rc) {
		buf_reset(&doc);
		buf_adds(&doc, "{\"format\":1,\"objects\":[");
		for (size_t i = 0; i < n; i++) {
			buf_adds(&doc, i ? ",{\"label\":" : "{\"label\":");
			buf_add_json_str(&doc, m->sc.labels[rows[i].label].name);
			buf_addch(&doc, ',');
			buf_adds(&doc, rows[i].frag);
			buf_addch(&doc, '}');
		}
		buf_adds(&doc, "]}");
		buf_reset(&e);
		int prc = ann_doc_parse(&d, doc.data, doc.len, &m->sc, w, h, &e, NULL);
		if (!prc)
			break;
		long bad = failing_object(e.data);
		if (bad < 0 || (size_t)bad >= n) {
			buf_setf(m->err, "image %lld: %s", (long long)image_id, e.data);
			rc = prc;
			break;
		}
		if ((rc = fmt_sink_invalid(&m->s, rows[bad].where, "%s", e.data)))
			break;
		free(rows[bad].frag);
		free(rows[bad].where);
		memmove(&rows[bad], &rows[bad + 1], (n - (size_t)bad - 1) * sizeof(*rows));
		n--;
	}
	if (!rc && n) {
		ann_doc_to_json(&d, &m->sc, &canon);
		struct annotation_write aw;
		memset(&aw, 0, sizeof(aw));
		aw.key.item_id = item_id;
		aw.key.kind = m->o->kind;
		aw.key.user_id = m->o->kind == ANN_MANUAL ? m->o->user_id : 0;
		aw.key.source = m->o->kind == ANN_PREDICTION ? (m->o->source ? m->o->source : m->f->name)
							      : "";
		struct annotation old;
		/* An item made by this import has no annotation yet. */
		if (!fresh && store_annotation_find(m->st, &aw.key, &old, NULL) == 0) {
			aw.expected_version = old.version;
			annotation_release(&old);
		}
		aw.project_id = m->project_id;
		aw.schema_version = m->schema_version;
		aw.status = "submitted";
		aw.saved_by = m->o->user_id;
		aw.body = canon.data;
		char sum[64];
		snprintf(sum, sizeof(sum), "{\"import\":\"%s\"}", m->f->name);
		aw.summary = sum;
		aw.doc = &d;
		aw.label_ids = m->label_ids;
		int64_t aid, ver;
		rc = store_annotation_save(m->st, &aw, &aid, &ver, m->err);
		if (!rc)
			m->rep->annotations++;
	}
	ann_doc_release(&d);
	for (size_t i = 0; i < n; i++) {
		free(rows[i].frag);
		free(rows[i].where);
	}
	free(rows);
	buf_release(&doc);
	buf_release(&e);
	buf_release(&canon);
	return rc;
}

/* Keeps the dataset's category ids and highest ids in the installation meta. */
static int save_project_meta(struct imp *m)
{
	char key[64];
	snprintf(key, sizeof(key), "formats.project.%lld", (long long)m->project_id);
	char *old = NULL;
	json_t *root = NULL;
	if (store_meta_get(m->st, key, &old, NULL) == 0 && old)
		root = json_loads(old, 0, NULL);
	free(old);
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	json_t *f = json_object_get(root, m->f->name);
	if (!json_is_object(f)) {
		f = json_object();
		json_object_set_new(root, m->f->name, f);
	}
	json_t *cats = json_object_get(f, "categories");
	if (!json_is_object(cats)) {
		cats = json_object();
		json_object_set_new(f, "categories", cats);
	}
	for (size_t i = 0; i < m->s.ncats; i++) {
		struct cat_info *c = &m->s.cats[i];
		if (!c->name || c->label < 0)
			continue;
		json_t *e = json_object();
		json_object_set_new(e, "id", json_integer(c->id));
		if (c->super)
			json_object_set_new(e, "supercategory", json_string(c->super));
		json_object_set_new(cats, m->sc.labels[c->label].name, e);
	}
	json_t *mo = json_object_get(f, "max_object_id");
	if (!json_is_integer(mo) || json_integer_value(mo) < m->s.max_object_id)
		json_object_set_new(f, "max_object_id", json_integer(m->s.max_object_id));
	json_t *mi = json_object_get(f, "max_image_id");
	if (!json_is_integer(mi) || json_integer_value(mi) < m->s.max_image_id)
		json_object_set_new(f, "max_image_id", json_integer(m->s.max_image_id));
	char *t = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	int rc = store_meta_set(m->st, key, t, m->err);
	free(t);
	return rc;
}

static int write_phase(struct imp *m)
{
	int rc;
	if (m->schema_json) {
		if ((rc = store_schema_put(m->st, m->project_id, m->schema_json, m->o->user_id,
					   "made from the categories of an import", &m->schema_version,
					   m->err)))
			return rc;
	}
	m->label_ids = xrealloc(NULL, (m->sc.nlabels + 1) * sizeof(int64_t));
	for (size_t i = 0; i < m->sc.nlabels; i++)
		if ((rc = store_label_id(m->st, m->project_id, m->sc.labels[i].name,
					 &m->label_ids[i], m->err)))
			return rc;
	if ((rc = attach_phase(m)))
		return rc;
	int64_t total = 0;
	sqlite3_stmt *cq = NULL, *q = NULL, *oq = NULL;
	sqlite3_prepare_v2(m->s.db, "SELECT count(*) FROM img", -1, &cq, NULL);
	if (sqlite3_step(cq) == SQLITE_ROW)
		total = sqlite3_column_int64(cq, 0);
	sqlite3_finalize(cq);
	sqlite3_prepare_v2(m->s.db, "SELECT id, file_name, NULLIF(split, ''), width, height, where_, "
			   "item_id, fresh FROM img WHERE item_id IS NOT NULL ORDER BY seq", -1, &q,
			   NULL);
	sqlite3_prepare_v2(m->s.db, "SELECT cat, frag, where_ FROM obj WHERE split = IFNULL(?2, '') "
			   "AND image_id = ?1 ORDER BY seq", -1, &oq, NULL);
	/* Images that became one item (the same bytes, or the same name): written together once. */
	sqlite3_stmt *same = NULL, *mark = NULL;
	sqlite3_exec(m->s.db, "CREATE INDEX IF NOT EXISTS img_item ON img(item_id); "
		     "CREATE TEMP TABLE IF NOT EXISTS written(item INTEGER PRIMARY KEY)", NULL, NULL,
		     NULL);
	sqlite3_prepare_v2(m->s.db, "SELECT id, NULLIF(split, '') FROM img WHERE item_id = ?1 "
			   "ORDER BY seq", -1, &same, NULL);
	sqlite3_prepare_v2(m->s.db, "INSERT OR IGNORE INTO written(item) VALUES (?1)", -1, &mark,
			   NULL);
	int64_t done = 0;
	rc = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const char *fn = (const char *)sqlite3_column_text(q, 1);
		const char *split = (const char *)sqlite3_column_text(q, 2);
		int32_t w = sqlite3_column_int(q, 3), h = sqlite3_column_int(q, 4);
		const char *where = (const char *)sqlite3_column_text(q, 5);
		int64_t item = sqlite3_column_int64(q, 6);
		bool fresh = sqlite3_column_int(q, 7);
		if (!fresh) {
			/* An item made before (media ingested, or matched by name). */
			rc = set_item_meta(m, item, id, fn, split, w, h, where);
			if (rc == 1) {
				rc = 0;
				continue;
			}
			if (rc)
				break;
			if (!w || !h) {
				struct item it;
				if (store_item_get(m->st, item, &it, NULL) == 0) {
					w = it.width;
					h = it.height;
					item_release(&it);
				}
			}
		}
		sqlite3_reset(mark);
		sqlite3_bind_int64(mark, 1, item);
		sqlite3_step(mark);
		if (sqlite3_changes(m->s.db) == 0)
			continue; /* written with an earlier image of the same item */
		size_t cap = 0, nimg = 0;
		int64_t *ids = NULL;
		char **splits = NULL;
		sqlite3_reset(same);
		sqlite3_bind_int64(same, 1, item);
		while (sqlite3_step(same) == SQLITE_ROW) {
			if (nimg == cap) {
				cap = cap ? 2 * cap : 4;
				ids = xrealloc(ids, cap * sizeof(*ids));
				splits = xrealloc(splits, cap * sizeof(*splits));
			}
			const char *sp = (const char *)sqlite3_column_text(same, 1);
			ids[nimg] = sqlite3_column_int64(same, 0);
			splits[nimg++] = sp ? xstrdup(sp) : NULL;
		}
		if (nimg > 1)
			fmt_sink_note(&m->s, m->o->no_media ? "images with the same split and file name "
				      "as an earlier one (one item; their objects merged)"
				      : "images with the same bytes or name as an earlier one (one "
				      "item; their objects merged)");
		if (nimg)
			rc = write_image(m, oq, ids, splits, nimg, item, w, h, fresh);
		for (size_t k = 0; k < nimg; k++)
			free(splits[k]);
		free(ids);
		free(splits);
		if (rc)
			break;
		if ((++done & 1023) == 0)
			progress(m, "annotations", done, total);
	}
	progress(m, "annotations", done, total);
	sqlite3_finalize(q);
	sqlite3_finalize(oq);
	sqlite3_finalize(same);
	sqlite3_finalize(mark);
	if (!rc)
		rc = save_project_meta(m);
	return rc;
}

int fmt_import(struct store *st, int64_t project_id, const struct fmt_ops *f, const char *path,
	       const struct fmt_import_opts *o, struct fmt_import_report *rep, struct buf *err)
{
	memset(rep, 0, sizeof(*rep));
	rep->skipped_text = (struct buf)BUF_INIT;
	struct imp m;
	memset(&m, 0, sizeof(m));
	m.st = st;
	m.project_id = project_id;
	m.f = f;
	m.o = o;
	m.rep = rep;
	m.err = err;
	m.s.skip_invalid = o->skip_invalid;
	m.s.kind = o->kind;
	m.s.err = err;
	m.s.rep = rep;
	m.s.frag = (struct buf)BUF_INIT;
	char dir[4096] = "";
	int rc;
	bool in_tx = false;
	if ((rc = spool_open(&m.s, dir, sizeof(dir), err)))
		goto out;
	progress(&m, "read", 0, 0);
	if ((rc = f->read(path, &m.s, err)))
		goto out;
	sqlite3_exec(m.s.db, "CREATE INDEX obj_img ON obj(split, image_id, seq)", NULL, NULL, NULL);
	if ((rc = check_refs(&m)))
		goto out;
	/* The schema: the project's, or one made from the categories. */
	struct project p;
	if ((rc = store_project_get_id(st, project_id, &p, err)))
		goto out;
	int64_t sv = p.schema_version;
	project_release(&p);
	if (sv) {
		char *js = NULL;
		if ((rc = store_schema_get(st, project_id, 0, &js, &m.schema_version, err)))
			goto out;
		rc = schema_parse(&m.sc, js, strlen(js), err);
		free(js);
		if (rc)
			goto out;
		m.have_sc = true;
		map_schema(&m);
	} else if ((rc = make_schema(&m))) {
		goto out;
	}
	for (size_t i = 0; i < m.s.ncats; i++) {
		struct cat_info *c = &m.s.cats[i];
		if (c->name && c->label < 0 && !o->skip_invalid) {
			/* Only an error when the category is used or the schema is the project's. */
			buf_setf(err, "%s: category '%s' is not a label of the project", c->where,
				 c->name);
			rc = CAIRN_EINVAL;
			goto out;
		}
	}
	if (!o->no_media && (rc = media_phase(&m)))
		goto out;
	if ((rc = store_begin(st, err)))
		goto out;
	in_tx = true;
	/* One transaction of many annotations: counters kept per label, not per object. */
	if ((rc = store_bulk_begin(st, err)) || (rc = write_phase(&m)))
		goto out;
	rc = store_commit(st, err);
	in_tx = false;
out:
	if (in_tx)
		store_rollback(st);
	if (m.have_sc)
		schema_release(&m.sc);
	free(m.schema_json);
	free(m.label_ids);
	sink_release(&m.s);
	rm_rf(dir);
	return rc;
}

/* ---- for writers ---- */

int fmt_labels_load(struct fmt_labels *l, struct store *st, int64_t project_id,
		    const char *fmt_name, struct buf *err)
{
	memset(l, 0, sizeof(*l));
	char *js = NULL;
	int64_t v = 0;
	int rc = store_schema_get(st, project_id, 0, &js, &v, err);
	if (rc)
		return rc;
	rc = schema_parse(&l->sc, js, strlen(js), err);
	free(js);
	if (rc)
		return rc;
	l->ids = xrealloc(NULL, (l->sc.nlabels + 1) * sizeof(int64_t));
	l->super = calloc(l->sc.nlabels + 1, sizeof(char *));
	if (!l->super)
		abort();
	char key[64];
	snprintf(key, sizeof(key), "formats.project.%lld", (long long)project_id);
	char *meta = NULL;
	json_t *root = NULL;
	if (store_meta_get(st, key, &meta, NULL) == 0 && meta)
		root = json_loads(meta, 0, NULL);
	free(meta);
	json_t *f = json_object_get(root, fmt_name);
	json_t *cats = json_object_get(f, "categories");
	l->max_object_id = json_integer_value(json_object_get(f, "max_object_id"));
	l->max_image_id = json_integer_value(json_object_get(f, "max_image_id"));
	bool *set = calloc(l->sc.nlabels + 1, 1);
	if (!set)
		abort();
	int64_t maxid = 0;
	for (size_t i = 0; i < l->sc.nlabels; i++) {
		json_t *e = json_object_get(cats, l->sc.labels[i].name);
		json_t *id = json_object_get(e, "id");
		if (json_is_integer(id)) {
			l->ids[i] = json_integer_value(id);
			set[i] = true;
			const char *su = json_string_value(json_object_get(e, "supercategory"));
			if (su)
				l->super[i] = xstrdup(su);
		} else if (l->sc.labels[i].id > 0) {
			l->ids[i] = l->sc.labels[i].id;
			set[i] = true;
		}
		if (set[i] && l->ids[i] > maxid)
			maxid = l->ids[i];
	}
	for (size_t i = 0; i < l->sc.nlabels; i++) {
		bool clash = false;
		for (size_t k = 0; set[i] && k < i; k++)
			if (set[k] && l->ids[k] == l->ids[i])
				clash = true;
		if (!set[i] || clash)
			l->ids[i] = ++maxid;
	}
	free(set);
	json_decref(root);
	return 0;
}

void fmt_labels_release(struct fmt_labels *l)
{
	for (size_t i = 0; l->super && i < l->sc.nlabels; i++)
		free(l->super[i]);
	free(l->super);
	free(l->ids);
	schema_release(&l->sc);
	memset(l, 0, sizeof(*l));
}

bool fmt_meta_id(const struct item *it, const char *key, int64_t *id)
{
	if (!it->meta)
		return false;
	json_t *m = json_loads(it->meta, 0, NULL);
	json_t *v = json_object_get(m, key);
	bool ok = json_is_integer(v);
	if (ok)
		*id = json_integer_value(v);
	json_decref(m);
	return ok;
}

const char *fmt_item_file_name(const struct item *it, char **tmp)
{
	*tmp = NULL;
	if (it->meta && strstr(it->meta, "\"file_name\"")) {
		json_t *m = json_loads(it->meta, 0, NULL);
		const char *s = json_string_value(json_object_get(m, "file_name"));
		if (s)
			*tmp = xstrdup(s);
		json_decref(m);
		if (*tmp)
			return *tmp;
	}
	return it->name ? it->name : "";
}

int fmt_mkdirs(const char *path, struct buf *err)
{
	struct buf p = BUF_INIT;
	buf_adds(&p, path);
	for (size_t i = 1; i <= p.len; i++) {
		if (i < p.len && p.data[i] != '/')
			continue;
		char c = p.data[i];
		p.data[i] = 0;
		if (mkdir(p.data, 0777) && errno != EEXIST) {
			buf_setf(err, "cannot create '%s': %s", p.data, strerror(errno));
			buf_release(&p);
			return CAIRN_EIO;
		}
		p.data[i] = c;
	}
	buf_release(&p);
	return 0;
}

int fmt_copy_media(const char *data_dir, const struct item *it, const char *path,
		   struct buf *err)
{
	struct buf src = BUF_INIT, dir = BUF_INIT;
	int rc = 0;
	if (it->link_path)
		buf_adds(&src, it->link_path);
	else
		buf_addf(&src, "%s/media/%.2s/%s", data_dir, it->hash, it->hash);
	const char *slash = strrchr(path, '/');
	if (slash) {
		buf_add(&dir, path, (size_t)(slash - path));
		if ((rc = fmt_mkdirs(dir.data, err)))
			goto out;
	}
	unlink(path);
	if (link(src.data, path) == 0)
		goto out;
	int in = open(src.data, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		buf_setf(err, "item %lld: no media file (%s): %s", (long long)it->id, src.data,
			 strerror(errno));
		rc = CAIRN_ENOTFOUND;
		goto out;
	}
	int outfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (outfd < 0) {
		buf_setf(err, "cannot create '%s': %s", path, strerror(errno));
		close(in);
		rc = CAIRN_EIO;
		goto out;
	}
	char b[65536];
	ssize_t n;
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(outfd, b, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n < 0) {
		buf_setf(err, "cannot copy to '%s': %s", path, strerror(errno));
		rc = CAIRN_EIO;
	}
	close(in);
	close(outfd);
out:
	buf_release(&src);
	buf_release(&dir);
	return rc;
}
