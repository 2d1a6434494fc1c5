/*
 * media_test.c - the media unit tests' shared picture (see media_test.h).
 */
#include "media_test.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "media/media_image.h"

VipsImage *media_test_picture(int w, int h, int seed)
{
	cr_assert_eq(media_image_init(NULL), 0);
	unsigned char *px = malloc((size_t)w * h * 3);
	double f1 = 2.0 + seed % 5, f2 = 3.0 + seed % 3, ph = seed * 1.7;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = px + ((size_t)y * w + x) * 3;
			double u = (double)x / w, v = (double)y / h;
			double l = 128 + 60 * sin(6.28 * f1 * u + ph) + 50 * cos(6.28 * f2 * v * u + ph * 2);
			p[0] = (unsigned char)(l);
			p[1] = (unsigned char)(l * 0.8 + 40 * v);
			p[2] = (unsigned char)(255 - l * 0.9);
		}
	VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * 3, w, h, 3,
							VIPS_FORMAT_UCHAR);
	free(px);
	return im;
}
