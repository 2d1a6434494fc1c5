/*
 * fmt_masks.h - mask PNG datasets (src/formats/fmt_masks.c): semantic and
 * instance label PNGs with a label map, as CamVid, Cityscapes and Pascal
 * VOC's segmentation folders ship them. The VOC part is exposed here so
 * that the `voc` format can read and write SegmentationClass/ and
 * SegmentationObject/ beside its Annotations/.
 * Conventions: docs/formats/masks.md.
 */
#ifndef CAIRN_FMT_MASKS_H
#define CAIRN_FMT_MASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

struct store;

/* VOC's 256-colour palette: the colour of index i (i < 2^24 works too). */
void fmt_masks_voc_colour(uint32_t i, uint8_t rgb[3]);

/*
 * Reads voc_root/SegmentationClass/ and voc_root/SegmentationObject/
 * (either may be missing) with the splits of ImageSets/Segmentation/ and
 * the label map voc_root/labelmap.txt (Datumaro's "name:r,g,b:parts:
 * actions"; VOC's 20 classes when absent). Categories are the VOC class
 * indexes (1 to 20, background 0 not emitted); one mask object per
 * instance of SegmentationObject (group = the instance index), else one
 * per class present. Image ids count from 1 in name order; file names are
 * "<name>.jpg" with JPEGImages/ as the media folder. 255 (void) is not an
 * object and is counted in the notes. Errors name the PNG and the value.
 */
int fmt_masks_read_voc(const char *voc_root, struct fmt_sink *s, struct buf *err);

/*
 * How the `voc` reader shares its images and labels with the segmentation
 * PNGs it read beside Annotations/ (fmt_masks_read_voc_linked).
 */
struct fmt_masks_voc_link {
	void *ctx;
	/* The image id the VOC reader gave the image named stem ("2007_000001"),
	 * with the sink's split set to that image's split; 0 when it has none
	 * (the PNG's image is then emitted with the next id). */
	int64_t (*image_id)(void *ctx, const char *stem);
	/* The category id of a class name, declared by the VOC reader when new;
	 * returns 0 or an error (the reader's). */
	int (*category)(void *ctx, const char *name, const char *where, int64_t *id);
	int64_t next_image;         /* the last image id used (in and out) */
};

/* fmt_masks_read_voc, with images and categories shared through link. */
int fmt_masks_read_voc_linked(const char *voc_root, struct fmt_sink *s,
			      struct fmt_masks_voc_link *link, struct buf *err);

/*
 * Writes SegmentationClass/<name>.png and SegmentationObject/<name>.png
 * (palette PNGs with VOC's palette), ImageSets/Segmentation/<split>.txt
 * and labelmap.txt under out; JPEGImages/ with include_media. Labels named
 * as VOC's classes get their VOC index, others the indexes after 20.
 * What masks cannot carry is counted in loss.
 */
int fmt_masks_write_voc(struct store *st, int64_t project_id, const char *out,
			const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

/*
 * The `voc` writer's part: the masks of every item (nothing else) into
 * SegmentationClass/ and SegmentationObject/ PNGs, with class k the k-th
 * label of the project (the voc writer's labelmap.txt order), the group as
 * the instance, and ImageSets/Segmentation lists; no labelmap.txt, no media.
 */
int fmt_masks_write_voc_seg(struct store *st, int64_t project_id, const char *out,
			    const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

/*
 * An object of a document as an h x w mask (owned in out): masks as they
 * are, boxes and polygons (holes cut out) rasterised as pycocotools does,
 * each counted in loss; other shapes are counted as "shape other than
 * mask, polygon or box (not in <target>)" and give false.
 */
bool fmt_masks_object_rle(const struct ann_object *ob, uint32_t h, uint32_t w, struct rle *out,
			  struct fmt_loss *loss, const char *target);

/* Reads one label PNG of len bytes as the masks reader does (fuzzing):
 * name is used in messages. */
int fmt_masks_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err);

#endif
