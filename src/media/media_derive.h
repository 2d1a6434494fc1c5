/*
 * media_derive.h - files derived from an image original: thumbnails and
 * Deep Zoom (DZI) tiles, made with libvips on first request and cached on
 * disk under DATA/media/derived/<hash>/, keyed by the content hash so that
 * they never go stale. The pyramid arithmetic is pure and tested alone.
 *
 * Thread- and process-safety: every cache file is written to a temporary
 * name and renamed into place, so a reader sees a whole file or none;
 * expensive renders of one image are serialised with flock() on a lock file
 * in its cache directory, so concurrent requests wait for one render
 * instead of repeating it. All strings are borrowed.
 */
#ifndef CAIRN_MEDIA_DERIVE_H
#define CAIRN_MEDIA_DERIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

/* --- Deep Zoom pyramid arithmetic (pure) --------------------------------- */

#define DZ_TILE_SIZE 512

/*
 * A Deep Zoom pyramid: level 0 is 1x1, level levels-1 the full image; each
 * level is the one above halved, rounding up (level L is
 * ceil(width / 2^(levels-1-L)) wide). Tiles are tile_size square without
 * overlap, the last column and row cut short.
 */
struct dz_pyramid {
	int32_t width, height;
	int32_t tile_size;
	int levels;
};

/* A tile's place in its level's image, in that level's pixels. */
struct dz_rect {
	int32_t x, y, w, h;
};

/* Fills p; CAIRN_EINVAL when a size is not positive. */
int dz_pyramid_init(struct dz_pyramid *p, int32_t width, int32_t height, int32_t tile_size);
/* The size of a level's image; level must be in 0..levels-1. */
void dz_level_size(const struct dz_pyramid *p, int level, int32_t *w, int32_t *h);
/* How many tiles a level has across and down; level must be in 0..levels-1. */
void dz_level_tiles(const struct dz_pyramid *p, int level, int32_t *cols, int32_t *rows);
/* The tile's rectangle; false when level, col or row lies outside the pyramid. */
bool dz_tile_rect(const struct dz_pyramid *p, int64_t level, int64_t col, int64_t row,
		  struct dz_rect *r);

/* --- derived files ------------------------------------------------------- */

/* The image to derive from. */
struct media_src {
	const char *data_dir;   /* DATA: the cache lives in DATA/media/derived/<hash>/ */
	const char *path;       /* the original file */
	const char *hash;       /* its content hash (64 hex digits) */
	int32_t width, height;  /* its size when known (from the item), else 0 */
};

/* Thumbnail edge lengths that may be asked for. */
bool media_thumb_size_ok(int size);

/*
 * Opens the thumbnail whose longer side is `size` (never upscaled),
 * rendering and caching it on first use: JPEG quality 80, or PNG when the
 * image has an alpha channel. EXIF orientation is not applied, so the
 * thumbnail shares the pixel grid of the annotations.
 * On success *fd is an open descriptor (the caller closes it), *fsize its
 * size and *mime a static string. Errors: CAIRN_EINVAL for a size not
 * allowed, CAIRN_EUNSUPPORTED when libvips cannot decode the original,
 * CAIRN_ENOTFOUND when the original is missing, CAIRN_EIO for the cache.
 */
int media_thumb_open(const struct media_src *src, int size, int *fd, uint64_t *fsize,
		     const char **mime, struct buf *err);

/*
 * The image's pyramid (tile size DZ_TILE_SIZE), from src's size or, when
 * that is 0, from the file's header.
 */
int media_tiles_info(const struct media_src *src, struct dz_pyramid *p, struct buf *err);

/*
 * Opens one JPEG tile of the pyramid, making it on first use. Levels up to
 * 2048 pixels on their longer side are rendered together with one
 * shrink-on-load decode (JPEG, WebP, pyramidal TIFF; other formats decode
 * the whole image once, streaming); the larger levels of a big image come
 * from one vips_dzsave of the whole pyramid into the cache, made by the
 * first request that needs it while others wait on the lock. Each level has
 * exactly one of these sources, so a tile's bytes never change. Memory
 * stays bounded by libvips' strip buffers whatever the image size. Alpha is
 * flattened onto white. Errors as media_thumb_open, and CAIRN_ENOTFOUND for
 * a tile outside the pyramid.
 */
int media_tile_open(const struct media_src *src, int64_t level, int64_t col, int64_t row,
		    int *fd, uint64_t *fsize, struct buf *err);

#endif
