/*
 * media_image.h - images through libvips: dimensions from the header alone,
 * and a 64-bit perceptual hash (dHash) from a shrink-on-load thumbnail,
 * which is also the decode that proves an image is readable.
 *
 * Thread-safety: call media_image_init once (it is idempotent and
 * thread-safe); after that every function may run in several threads.
 * Buffers are borrowed and must outlive the call only.
 */
#ifndef CAIRN_MEDIA_IMAGE_H
#define CAIRN_MEDIA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "media/media.h"

/*
 * Starts libvips once per process (VIPS_INIT), with its operation cache off
 * and one thread per pipeline (callers parallelise across files).
 * Returns 0 or CAIRN_EINTERNAL.
 */
int media_image_init(struct buf *err);
/* Shuts libvips down (for leak checkers, at process end). Safe if never started. */
void media_image_shutdown(void);

/*
 * Reads width and height from an image's header in memory without decoding
 * pixels (libvips, sequential access). For BMP, which libvips here cannot
 * load, the header is parsed by hand. CAIRN_EINVAL with the reason when
 * libvips cannot read the header.
 */
int media_image_probe(const void *p, size_t n, enum media_type t,
		      int32_t *width, int32_t *height, struct buf *err);

/*
 * Computes a 64-bit difference hash: the image shrunk on load to 9x8 grey,
 * one bit per horizontally adjacent pair (left brighter than right).
 * Decodes the whole image, failing on any decode error or truncation:
 * CAIRN_EINVAL with "corrupt image: ..." in err. For BMP only uncompressed
 * 8/24/32-bit files are hashed; others give CAIRN_EUNSUPPORTED.
 */
int media_image_phash(const void *p, size_t n, enum media_type t, uint64_t *phash,
		      struct buf *err);

/* Number of differing bits between two perceptual hashes. */
static inline int media_phash_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

#endif
