/*
 * fuzz_image_phash.c - libFuzzer entry for the perceptual-hash decoders of
 * src/media/media_image.c: any buffer decoded as a JPEG (libjpeg at 1/8
 * scale) and as a PNG (libpng row by row) must give a hash or a reason,
 * never a crash, a leak or a read out of bounds. Inputs with a valid JPEG
 * or PNG header take the direct paths; CMYK JPEGs and interlaced PNGs fall
 * through to libvips.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "media/media.h"
#include "media/media_image.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum media_type types[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_BMP};
	struct buf err = BUF_INIT;
	if (media_image_init(NULL))
		__builtin_trap();
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		uint64_t h;
		int r = media_image_phash(data, size, types[i], &h, &err);
		if (r != 0 && err.len == 0 && r != CAIRN_EUNSUPPORTED)
			__builtin_trap();
		buf_reset(&err);
	}
	buf_release(&err);
	return 0;
}
