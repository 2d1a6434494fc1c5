/*
 * fuzz_rle.c - libFuzzer entry for the COCO compressed-RLE string parser
 * and polygon -> RLE. The first byte picks the target, the next four give
 * the mask size; parsed RLEs are re-encoded and must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "geom/contour.h"
#include "geom/rle.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT, s = BUF_INIT;
	struct rle r, back;
	uint32_t h, w;

	if (size < 5)
		return 0;
	h = data[1] % 64;
	w = (uint32_t)data[2] | (uint32_t)(data[3] % 4) << 8;
	if (data[0] & 1) {
		size_t k = (size - 4) / 16, i;
		double *xy = malloc((2 * k + 1) * sizeof(*xy));
		for (i = 0; i < 2 * k; i++) {
			int64_t v;
			memcpy(&v, data + 4 + 8 * i, 8);
			/* Mostly modest coordinates, sometimes wild ones. */
			xy[i] = (data[4] & 1) ? (double)(v % 4000) / 7.0
					      : (double)v / 1e9;
		}
		if (rle_from_poly(&r, xy, k, h, w, &err) == 0) {
			if (rle_check(&r, NULL))
				abort();
			rle_release(&r);
		}
		free(xy);
	} else if (rle_from_stringn(&r, (const char *)data + 4, size - 4, h, w,
				    &err) == 0) {
		if (rle_to_string(&r, &s) || rle_from_string(&back, s.data, h, w, NULL))
			abort();
		if (back.n != r.n || (r.n && memcmp(back.counts, r.counts, r.n * 4)))
			abort();
		if ((data[0] & 2) && h * w <= 4096) {
			struct contours c;
			if (rle_to_contours(&r, data[0] >> 4, &c, NULL))
				abort();
			contours_release(&c);
		}
		rle_release(&back);
		rle_release(&r);
	}
	buf_release(&err);
	buf_release(&s);
	return 0;
}
