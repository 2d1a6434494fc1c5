/*
 * test_media_image.c - unit tests for src/media/media_image.c: the dHash
 * survives re-encoding and resizing, separates different images, and its
 * decode rejects corrupt data; the near-duplicate index of ingest.c finds
 * exactly what a brute-force scan finds.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "base/buf.h"
#include "base/err.h"
#include "media/ingest.h"
#include "media/media.h"
#include "media/media_image.h"

#include "media_test.h"
#include "base/banned.h"

static unsigned char *save(VipsImage *im, const char *suffix, size_t *len)
{
	void *out = NULL;
	cr_assert_eq(vips_image_write_to_buffer(im, suffix, &out, len, NULL), 0, "%s",
		     vips_error_buffer());
	unsigned char *c = malloc(*len);
	memcpy(c, out, *len);
	g_free(out);
	return c;
}

static uint64_t hash_of(const unsigned char *b, size_t n, enum media_type t)
{
	uint64_t h = 0;
	struct buf err = BUF_INIT;
	cr_assert_eq(media_image_phash(b, n, t, &h, &err), 0, "%s", err.data);
	buf_release(&err);
	return h;
}

Test(image, phash_is_stable_under_reencode_and_resize)
{
	VipsImage *a = media_test_picture(320, 240, 1);
	size_t na, nb, nc, np;
	unsigned char *ja = save(a, ".jpg[Q=90]", &na);
	unsigned char *pa = save(a, ".png", &np);
	VipsImage *small = NULL;
	cr_assert_eq(vips_resize(a, &small, 0.7, NULL), 0);
	unsigned char *jb = save(small, ".jpg[Q=60]", &nb);
	VipsImage *other = media_test_picture(320, 240, 2);
	unsigned char *jc = save(other, ".jpg[Q=90]", &nc);
	uint64_t ha = hash_of(ja, na, MEDIA_JPEG), hb = hash_of(jb, nb, MEDIA_JPEG);
	uint64_t hp = hash_of(pa, np, MEDIA_PNG), hc = hash_of(jc, nc, MEDIA_JPEG);
	cr_assert_leq(media_phash_distance(ha, hb), 4, "resized copy: %d bits",
		      media_phash_distance(ha, hb));
	cr_assert_leq(media_phash_distance(ha, hp), 4, "png copy: %d bits",
		      media_phash_distance(ha, hp));
	cr_assert_gt(media_phash_distance(ha, hc), 10, "different image: only %d bits",
		     media_phash_distance(ha, hc));
	cr_assert_eq(hash_of(ja, na, MEDIA_JPEG), ha, "not deterministic");
	free(ja);
	free(jb);
	free(jc);
	free(pa);
	g_object_unref(a);
	g_object_unref(small);
	g_object_unref(other);
}

Test(image, phash_of_each_format)
{
	VipsImage *a = media_test_picture(64, 48, 3);
	const char *suffixes[] = {".jpg", ".png", ".webp", ".gif", ".tif"};
	enum media_type types[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_WEBP, MEDIA_GIF, MEDIA_TIFF};
	uint64_t first = 0;
	for (int i = 0; i < 5; i++) {
		size_t n;
		unsigned char *b = save(a, suffixes[i], &n);
		uint64_t h = hash_of(b, n, types[i]);
		if (i == 0)
			first = h;
		cr_assert_leq(media_phash_distance(first, h), 8, "%s differs by %d bits", suffixes[i],
			      media_phash_distance(first, h));
		free(b);
	}
	/* A tiny image (smaller than the 9x8 grid) still hashes. */
	VipsImage *tiny = media_test_picture(3, 2, 1);
	size_t n;
	unsigned char *b = save(tiny, ".png", &n);
	hash_of(b, n, MEDIA_PNG);
	free(b);
	g_object_unref(tiny);
	g_object_unref(a);
}

Test(image, corrupt_data_fails_the_decode)
{
	VipsImage *a = media_test_picture(200, 150, 4);
	size_t n;
	unsigned char *b = save(a, ".jpg", &n);
	/* Spoil the Huffman tables: the header still parses, the decode fails. */
	size_t cut = 0;
	for (size_t i = 2; i + 24 < n; i++)
		if (b[i] == 0xFF && b[i + 1] == 0xC4) {
			memset(b + i + 5, 0xFF, 16);
			break;
		}
	cut = n - 2;
	uint64_t h;
	struct buf err = BUF_INIT;
	cr_assert_eq(media_image_phash(b, cut + 2, MEDIA_JPEG, &h, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "corrupt image"), "%s", err.data);
	buf_release(&err);
	free(b);
	cr_assert_eq(media_image_phash("not an image", 12, MEDIA_PNG, &h, NULL), CAIRN_EINVAL);
	g_object_unref(a);
}

/* The documented definition, brute force: each of the 9x8 cells averages
 * the luminance 0.299 R + 0.587 G + 0.114 B of the pixels under it,
 * weighted by the area of each pixel inside the cell; bit = left > right. */
static uint64_t reference_dhash(const unsigned char *rgb, int w, int h)
{
	double cell[8][9] = {{0}};
	for (int gy = 0; gy < 8; gy++)
		for (int gx = 0; gx < 9; gx++)
			for (int y = 0; y < h; y++) {
				/* overlap of [8y, 8y+8) with [gy h, (gy+1) h), in 1/8 pixel units */
				int64_t oy = (int64_t)fmin(8.0 * y + 8, (gy + 1.0) * h) -
					     (int64_t)fmax(8.0 * y, (double)gy * h);
				if (oy <= 0)
					continue;
				for (int x = 0; x < w; x++) {
					int64_t ox = (int64_t)fmin(9.0 * x + 9, (gx + 1.0) * w) -
						     (int64_t)fmax(9.0 * x, (double)gx * w);
					if (ox <= 0)
						continue;
					const unsigned char *p = rgb + ((size_t)y * w + x) * 3;
					cell[gy][gx] += (299.0 * p[0] + 587.0 * p[1] + 114.0 * p[2]) *
							(double)(ox * oy);
				}
			}
	uint64_t hsh = 0;
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 8; x++)
			hsh = hsh << 1 | (cell[y][x] > cell[y][x + 1]);
	return hsh;
}

Test(image, phash_of_a_png_is_the_documented_definition)
{
	/* Sizes that are and are not multiples of the grid. */
	const int sizes[][2] = {{200, 150}, {97, 61}, {9, 8}, {160, 120}};
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		int w = sizes[k][0], h = sizes[k][1];
		VipsImage *a = media_test_picture(w, h, 7 + (int)k);
		size_t n, plen;
		unsigned char *png = save(a, ".png", &n);
		unsigned char *px = vips_image_write_to_memory(a, &plen);
		cr_assert_eq(plen, (size_t)w * h * 3);
		uint64_t want = reference_dhash(px, w, h);
		cr_assert_eq(hash_of(png, n, MEDIA_PNG), want, "%dx%d: %016llx, want %016llx", w, h,
			     (unsigned long long)hash_of(png, n, MEDIA_PNG), (unsigned long long)want);
		/* The same pixels through libvips (interlaced PNGs take that path). */
		unsigned char *il = save(a, ".png[interlace]", &n);
		cr_assert_eq(hash_of(il, n, MEDIA_PNG), want, "interlaced %dx%d", w, h);
		g_free(px);
		free(png);
		free(il);
		g_object_unref(a);
	}
}

Test(image, phash_of_png_and_jpeg_variants_agree)
{
	VipsImage *a = media_test_picture(240, 180, 5);
	size_t n;
	unsigned char *b = save(a, ".png", &n);
	uint64_t ref = hash_of(b, n, MEDIA_PNG);
	free(b);
	VipsImage *grey = NULL, *alpha = NULL, *wide = NULL, *tmp = NULL;
	cr_assert_eq(vips_colourspace(a, &grey, VIPS_INTERPRETATION_B_W, NULL), 0);
	cr_assert_eq(vips_bandjoin_const1(a, &alpha, 255, NULL), 0);
	cr_assert_eq(vips_colourspace(a, &wide, VIPS_INTERPRETATION_RGB16, NULL), 0);
	struct { VipsImage *im; const char *suffix; enum media_type t; } v[] = {
		{grey, ".png", MEDIA_PNG}, {alpha, ".png", MEDIA_PNG}, {wide, ".png", MEDIA_PNG},
		{a, ".png[palette]", MEDIA_PNG}, {a, ".jpg[Q=90]", MEDIA_JPEG},
		{a, ".jpg[Q=90,interlace]", MEDIA_JPEG}, {grey, ".jpg", MEDIA_JPEG},
		{a, ".jpg[Q=90,no_subsample]", MEDIA_JPEG},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		b = save(v[i].im, v[i].suffix, &n);
		uint64_t h = hash_of(b, n, v[i].t);
		cr_assert_leq(media_phash_distance(ref, h), 4, "variant %zu (%s): %d bits", i,
			      v[i].suffix, media_phash_distance(ref, h));
		free(b);
	}
	/* A JPEG too small for 1/8 scale is decoded at a larger scale and still hashes. */
	cr_assert_eq(vips_resize(a, &tmp, 0.05, NULL), 0);
	b = save(tmp, ".jpg", &n);
	hash_of(b, n, MEDIA_JPEG);
	free(b);
	g_object_unref(tmp);
	g_object_unref(grey);
	g_object_unref(alpha);
	g_object_unref(wide);
	g_object_unref(a);
}

Test(image, corrupt_png_fails_the_decode)
{
	VipsImage *a = media_test_picture(120, 90, 6);
	size_t n;
	unsigned char *b = save(a, ".png", &n);
	unsigned char *idat = memmem(b, n, "IDAT", 4);
	cr_assert(idat);
	/* Damage the compressed data: zlib or the chunk CRC must notice. */
	for (int i = 8; i < 40; i++)
		idat[i] ^= 0x5A;
	uint64_t h;
	struct buf err = BUF_INIT;
	cr_assert_eq(media_image_phash(b, n, MEDIA_PNG, &h, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "corrupt image"), "%s", err.data);
	/* Cut short inside the pixel data. */
	cr_assert_eq(media_image_phash(b, (size_t)(idat - b) + 60, MEDIA_PNG, &h, &err),
		     CAIRN_EINVAL);
	buf_release(&err);
	free(b);
	g_object_unref(a);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

Test(image, phash_index_matches_brute_force)
{
	enum { N = 3000, Q = 300 };
	static uint64_t hs[N];
	for (int t = 0; t <= 8; t += 4) {
		struct phash_index *ix = phash_index_new(t);
		cr_assert(ix);
		for (int i = 0; i < N; i++) {
			/* Clusters: many hashes a few bits from another. */
			hs[i] = i > 0 && rnd64() % 2 ? hs[rnd64() % i] ^ (1ull << (rnd64() % 64)) ^
							(1ull << (rnd64() % 64))
						: rnd64();
			phash_index_add(ix, i + 1, hs[i]);
		}
		cr_assert_eq(phash_index_size(ix), N);
		for (int q = 0; q < Q; q++) {
			uint64_t h = hs[rnd64() % N];
			for (int k = 0; k < (int)(rnd64() % 7); k++)
				h ^= 1ull << (rnd64() % 64);
			int best = 65;
			int64_t best_id = 0;
			for (int i = 0; i < N; i++) {
				int d = media_phash_distance(h, hs[i]);
				if (d < best) {
					best = d;
					best_id = i + 1;
				}
			}
			int64_t id;
			int d;
			bool found = phash_index_find(ix, h, &id, &d);
			cr_assert_eq(found, best <= t, "threshold %d: brute %d", t, best);
			if (found) {
				cr_assert_eq(d, best);
				cr_assert_eq(id, best_id);
			}
		}
		phash_index_free(ix);
	}
	cr_assert_null(phash_index_new(64));
}
