/*
 * media.h - what a file is, decided from its bytes (magic numbers and
 * headers), never from its name alone; the name only breaks ties for
 * formats without magic (plain text, KITTI .bin) and catches mislabelling.
 *
 * Pure: no I/O, no allocation, no globals beyond constant tables, so the
 * probe can be fuzzed on any buffer (tests/fuzz/fuzz_probe.c) and called
 * from several threads at once. Image decoding lives in media_image.h.
 */
#ifndef CAIRN_MEDIA_H
#define CAIRN_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"

/* The formats Cairn recognises. A row in media.c's table each. */
enum media_type {
	MEDIA_UNKNOWN = 0,
	MEDIA_JPEG, MEDIA_PNG, MEDIA_GIF, MEDIA_WEBP, MEDIA_TIFF, MEDIA_BMP,
	MEDIA_MP4, MEDIA_MOV, MEDIA_MKV, MEDIA_WEBM, MEDIA_AVI,
	MEDIA_WAV, MEDIA_MP3, MEDIA_FLAC, MEDIA_OGG,
	MEDIA_TEXT, MEDIA_JSONL,
	MEDIA_PCD, MEDIA_PLY, MEDIA_KITTI_BIN,
	MEDIA_PDF,
	MEDIA_TYPE_COUNT_
};

/* Lower-case short name ("jpeg", "kitti-bin"); "unknown" for MEDIA_UNKNOWN. */
const char *media_type_name(enum media_type t);
/* MIME type ("image/jpeg"); "application/octet-stream" for unknown. */
const char *media_type_mime(enum media_type t);
/* The item kind a format becomes (ITEM_IMAGE for MEDIA_JPEG ...). */
enum item_kind media_type_kind(enum media_type t);
/* The format a file name's extension claims (case-insensitive), or MEDIA_UNKNOWN. */
enum media_type media_type_from_name(const char *name);

/* What a probe learnt. Sizes are 0 when the format has none or the probe could not tell. */
struct media_info {
	enum media_type type;
	enum item_kind kind;
	int32_t width, height;   /* images: from the header, no decode */
	double duration;         /* seconds; 0 when unknown */
	int64_t frames;          /* video frames; 0 when unknown */
};

/*
 * Identifies the format by magic bytes alone, looking at the first n bytes
 * of a file (64 are enough for every format here). MEDIA_UNKNOWN when none
 * matches; text, jsonl and KITTI .bin have no magic and are never returned.
 */
enum media_type media_sniff(const unsigned char *p, size_t n);

/*
 * Probes a whole file held in memory (borrowed): the format by magic, then
 * by extension for formats without magic; image dimensions from the header
 * (JPEG, PNG, GIF, WebP, BMP; TIFF leaves them 0 for media_image_probe);
 * a cheap check of the file's end that catches truncation (JPEG EOI, PNG
 * IEND, GIF trailer, RIFF and BMP sizes, PDF %%EOF, point-cloud headers);
 * UTF-8 validation of text. `name` (borrowed, may be NULL) is the file name,
 * used for its extension only.
 * Returns 0 and fills *out, or CAIRN_EINVAL with the reason in err, e.g.
 * "empty file", "truncated jpeg: no end-of-image marker",
 * "mislabelled: named .jpg but the content is text".
 */
int media_probe(const unsigned char *p, size_t n, const char *name,
		struct media_info *out, struct buf *err);

/*
 * Checks that p[0..n) is UTF-8 (no overlongs, no surrogates, no NUL).
 * Returns n when valid, else the offset of the first bad byte.
 */
size_t media_utf8_check(const unsigned char *p, size_t n);

#endif
