/*
 * fuzz_mask_png.c - libFuzzer entry for the mask PNG decoders: any bytes
 * either fail with a message or decode to a valid mask that re-encodes and
 * decodes to the same pixels; label images give masks that tile the image.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "geom/rle.h"
#include "media/mask_png.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT, png = BUF_INIT;
	struct rle r, back;
	struct mask_png_label *l;
	size_t n, i;
	uint64_t total = 0;

	if (mask_png_decode(&r, data, size, &err) == 0) {
		if (rle_check(&r, NULL))
			abort();
		/* Keep the fuzzer's time on parsing, not on huge images. */
		if ((uint64_t)r.h * r.w <= (1u << 22)) {
			if (mask_png_encode(&r, (size & 1) ? 1 : 8, &png, &err))
				abort();
			if (mask_png_decode(&back, png.data, png.len, &err) ||
			    !rle_equal(&r, &back))
				abort();
			rle_release(&back);
		}
		rle_release(&r);
	} else if (err.len == 0) {
		abort();
	}
	if (mask_png_decode_labels(&l, &n, data, size, &err) == 0) {
		for (i = 0; i < n; i++) {
			if (rle_check(&l[i].rle, NULL))
				abort();
			total += rle_area(&l[i].rle);
		}
		if (n && total != (uint64_t)l[0].rle.h * l[0].rle.w)
			abort();
		mask_png_labels_free(l, n);
	}
	buf_release(&png);
	buf_release(&err);
	return 0;
}
