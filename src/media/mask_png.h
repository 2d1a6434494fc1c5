/*
 * mask_png.h - masks (COCO RLE, geom/rle.h) to and from PNG images held in
 * memory, through libpng with in-memory read and write callbacks (no file
 * I/O). A binary mask decodes from any PNG; a label image (greyscale or
 * palette, one value per class, as VOC and Cityscapes ship them) decodes
 * to one mask per distinct value.
 *
 * Buffers are borrowed for the call only. Outputs are owned by the caller
 * (struct rle: rle_release; labels: mask_png_labels_free). Thread-safe: no
 * shared state (libpng errors are caught per call with setjmp/longjmp).
 */
#ifndef CAIRN_MEDIA_MASK_PNG_H
#define CAIRN_MEDIA_MASK_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "geom/rle.h"

struct buf;

/* Decoding refuses images larger than this (CAIRN_ETOOBIG) before any
 * pixel is allocated. The decoder holds one byte per pixel (labels: two). */
#define MASK_PNG_MAX_SIDE 20000u
#define MASK_PNG_MAX_PIXELS 400000000ull

/*
 * Encodes r as a greyscale PNG appended to out: bit_depth 1 (pixels 0 and
 * 1) or 8 (pixels 0 and 255). Returns 0; CAIRN_EINVAL when r fails
 * rle_check, is 0 pixels wide or high, or bit_depth is neither 1 nor 8;
 * CAIRN_EINTERNAL if libpng fails (message in err). On failure out keeps
 * its old length.
 */
int mask_png_encode(const struct rle *r, int bit_depth, struct buf *out,
		    struct buf *err);

/*
 * Decodes a PNG of len bytes into a binary mask of its height and width.
 * A pixel is set when its value is nonzero: the sample for greyscale (any
 * bit depth), the index for palette images (the palette colours and tRNS
 * are not looked at), any of R, G, B for colour images; with an alpha
 * channel a fully transparent pixel is never set. Interlaced images are
 * read too. Returns 0; CAIRN_ETOOBIG over the limits above; CAIRN_EINVAL
 * for anything libpng cannot read (not a PNG, bad CRC, truncated data),
 * with "png: ..." in err. out is released on failure.
 */
int mask_png_decode(struct rle *out, const void *data, size_t len,
		    struct buf *err);

/* One class of a label image: every pixel equal to value. */
struct mask_png_label {
	uint32_t value;
	struct rle rle;
};

/*
 * Decodes a greyscale (1 to 16 bits) or palette label PNG into one mask
 * per distinct pixel value present, value 0 included, sorted by value: an
 * owned array of *n labels (free with mask_png_labels_free). Colour and
 * grey+alpha images are CAIRN_EINVAL ("png: a label image must be
 * greyscale or palette, not RGB"); other errors as mask_png_decode. On
 * failure *labels is NULL and *n is 0.
 */
int mask_png_decode_labels(struct mask_png_label **labels, size_t *n,
			   const void *data, size_t len, struct buf *err);
void mask_png_labels_free(struct mask_png_label *labels, size_t n);

/* What a label image is made of (mask_png_decode_values). */
enum mask_png_kind { MASK_PNG_GREY, MASK_PNG_PALETTE, MASK_PNG_RGB };

struct mask_png_info {
	enum mask_png_kind kind;
	int bit_depth;              /* of the file: 1, 2, 4, 8 or 16 */
	uint32_t w, h;
	size_t npalette;            /* palette images: entries in palette */
	uint8_t palette[256][3];
};

/*
 * Like mask_png_decode_labels, for any PNG: one mask per distinct pixel
 * value, sorted by value, where the value is the sample (greyscale, 1 to
 * 16 bits), the index (palette; the palette itself is returned in info),
 * or R + 256*G + 65536*B (colour; 16-bit samples use their high byte).
 * Alpha is ignored. info may be NULL. Errors as mask_png_decode; the
 * decoder holds four bytes a pixel, so the pixel limit is a quarter of
 * MASK_PNG_MAX_PIXELS.
 */
int mask_png_decode_values(struct mask_png_label **labels, size_t *n,
			   struct mask_png_info *info, const void *data,
			   size_t len, struct buf *err);

/*
 * Encodes h rows of w values (row-major, px[y*w + x]) appended to out:
 * MASK_PNG_GREY with bit_depth 8 or 16, MASK_PNG_PALETTE (8-bit indexes
 * with npalette colours; values must be below 256) or MASK_PNG_RGB (value
 * R + 256*G + 65536*B). Values that do not fit are CAIRN_EINVAL. On
 * failure out keeps its old length.
 */
int mask_png_encode_values(const uint32_t *px, uint32_t w, uint32_t h,
			   enum mask_png_kind kind, int bit_depth,
			   const uint8_t (*palette)[3], size_t npalette,
			   struct buf *out, struct buf *err);

#endif
