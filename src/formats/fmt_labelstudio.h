/*
 * fmt_labelstudio.h - the parts of the Label Studio format that tests and
 * the fuzzer reach directly: brush masks in Label Studio's own RLE, the
 * rectangle rotation conversion, and reading a buffer.
 * Conventions: docs/formats/labelstudio.md.
 */
#ifndef CAIRN_FMT_LABELSTUDIO_H
#define CAIRN_FMT_LABELSTUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "geom/rle.h"

struct fmt_sink;

/*
 * Label Studio's brush RLE (the bit stream of label-studio-converter's
 * brush.py and thi.ng's rle-pack): 32 bits of value count, 5 bits of word
 * size - 1, four 4-bit run-length sizes - 1, then runs. The values are an
 * RGBA image of h rows by w columns, row-major; a pixel is in the mask when
 * its alpha is not 0. Decodes n bytes into out (a COCO RLE of h x w).
 * CAIRN_EINVAL with the reason in err (too short, count not h*w*4 ...).
 */
int fmt_ls_brush_decode(const uint8_t *bytes, size_t n, uint32_t h, uint32_t w, struct rle *out,
			struct buf *err);
/* Encodes a mask as Label Studio does (word size 8, run sizes 3, 4, 8, 16;
 * each pixel as 4 values 0 or 255). *bytes is owned by the caller. */
void fmt_ls_brush_encode(const struct rle *m, uint8_t **bytes, size_t *n);

/*
 * Label Studio rectangles rotate clockwise about their top-left corner (x,
 * y); Cairn's rotated boxes clockwise about their centre. Both in pixels:
 * in x, y, w, h, rotation; out cx, cy, w, h, angle.
 */
void fmt_ls_rect_to_rbox(const double in[5], double out[5]);
void fmt_ls_rbox_to_rect(const double in[5], double out[5]);

/* Reads len bytes as one Label Studio JSON export named name. */
int fmt_labelstudio_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			     struct buf *err);

#endif
