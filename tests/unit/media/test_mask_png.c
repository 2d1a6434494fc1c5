/*
 * test_mask_png.c - unit tests for src/media/mask_png.c: masks round-trip
 * through 1-bit and 8-bit PNGs; PNGs of every colour type, 16-bit and
 * interlaced ones (written here with libpng directly) decode to the right
 * pixels; label images split into one mask per value; corrupt, truncated
 * and oversized PNGs fail with a message and no leak.
 */
#include <criterion/criterion.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/rle.h"
#include "media/mask_png.h"
#include "base/banned.h"

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs % n);
}

/* A random blobby column-major bitmap. */
static uint8_t *random_bitmap(uint32_t h, uint32_t w)
{
	uint8_t *bm = malloc((size_t)h * w + 1);
	uint8_t v = 0;
	for (size_t i = 0; i < (size_t)h * w; i++) {
		if (rnd(7) == 0)
			v = !v;
		bm[i] = v;
	}
	return bm;
}

static void roundtrip(uint32_t h, uint32_t w, int depth)
{
	struct buf png = BUF_INIT, err = BUF_INIT;
	struct rle r, back;
	uint8_t *bm = random_bitmap(h, w);
	cr_assert_eq(rle_from_bitmap(&r, bm, h, w), 0);
	cr_assert_eq(mask_png_encode(&r, depth, &png, &err), 0, "%s", err.data);
	cr_assert_eq(mask_png_decode(&back, png.data, png.len, &err), 0,
		     "%ux%u depth %d: %s", h, w, depth, err.data);
	cr_assert_eq(back.h, h);
	cr_assert_eq(back.w, w);
	cr_assert(rle_equal(&r, &back), "%ux%u depth %d", h, w, depth);
	/* Canonical counts, identical to the encoder's. */
	cr_assert_eq(back.n, r.n);
	cr_assert(memcmp(back.counts, r.counts, r.n * sizeof(uint32_t)) == 0);
	rle_release(&r);
	rle_release(&back);
	free(bm);
	buf_release(&png);
	buf_release(&err);
}

Test(mask_png, roundtrip)
{
	static const uint32_t sizes[][2] = {
		{1, 1}, {1, 9}, {9, 1}, {7, 13}, {64, 64}, {65, 17},
		{130, 201}, {300, 7},
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(sizes[i][0], sizes[i][1], 1);
		roundtrip(sizes[i][0], sizes[i][1], 8);
	}
}

Test(mask_png, encode_errors_and_pixels)
{
	struct buf png = BUF_INIT, err = BUF_INIT;
	uint32_t cnt[] = {1, 1, 2}; /* 2x2: (0,0)=0 (1,0)=1 (0,1)=0 (1,1)=0 */
	struct rle r = RLE_INIT;
	rle_from_counts(&r, cnt, 3, 2, 2);
	cr_assert_eq(mask_png_encode(&r, 4, &png, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "png: bit depth 4, expected 1 or 8");
	struct rle empty = RLE_INIT;
	cr_assert_eq(mask_png_encode(&empty, 1, &png, &err), CAIRN_EINVAL);
	struct rle bad = RLE_INIT;
	uint32_t bc[] = {9};
	rle_from_counts(&bad, bc, 1, 2, 2);
	cr_assert_eq(mask_png_encode(&bad, 1, &png, &err), CAIRN_EINVAL);
	cr_assert_eq(png.len, 0);

	/* The 8-bit PNG holds 0 and 255 where they belong (read back by
	 * libpng's simplified API). */
	cr_assert_eq(mask_png_encode(&r, 8, &png, &err), 0);
	png_image img;
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	cr_assert(png_image_begin_read_from_memory(&img, png.data, png.len));
	img.format = PNG_FORMAT_GRAY;
	uint8_t px[4];
	cr_assert(png_image_finish_read(&img, NULL, px, 0, NULL));
	cr_assert_eq(px[0], 0);   /* (x0, y0) */
	cr_assert_eq(px[1], 0);   /* (x1, y0) */
	cr_assert_eq(px[2], 255); /* (x0, y1) */
	cr_assert_eq(px[3], 0);   /* (x1, y1) */
	rle_release(&r);
	rle_release(&bad);
	buf_release(&png);
	buf_release(&err);
}

/* ---- PNGs of other kinds, written with libpng ---- */

static void on_write(png_structp p, png_bytep d, size_t n)
{
	buf_add(png_get_io_ptr(p), d, n);
}

static void on_flush(png_structp p)
{
}

/* Writes a w x h PNG of the given colour type and depth from row-major
 * samples `s` (one unsigned per sample, channels per pixel by type). */
static void write_png(struct buf *out, uint32_t w, uint32_t h, int ct,
		      int depth, int interlace, const unsigned *s)
{
	png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						NULL, NULL);
	png_infop info = png_create_info_struct(p);
	int ch = ct == PNG_COLOR_TYPE_RGB ? 3 : ct == PNG_COLOR_TYPE_RGB_ALPHA ? 4
		 : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
	cr_assert(!setjmp(png_jmpbuf(p)));
	png_set_write_fn(p, out, on_write, on_flush);
	png_set_IHDR(p, info, w, h, depth, ct, interlace,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ct == PNG_COLOR_TYPE_PALETTE) {
		png_color pal[16];
		for (int i = 0; i < 16; i++)
			pal[i].red = pal[i].green = pal[i].blue = (png_byte)(i ? 0 : 200);
		png_set_PLTE(p, info, pal, 1 << (depth < 4 ? depth : 4));
	}
	png_write_info(p, info);
	size_t rb = ((size_t)w * ch * depth + 7) / 8;
	png_bytep *rows = calloc(h, sizeof(*rows));
	for (uint32_t y = 0; y < h; y++) {
		rows[y] = calloc(rb + 1, 1);
		for (uint32_t x = 0; x < w * (uint32_t)ch; x++) {
			unsigned v = s[(size_t)y * w * ch + x];
			if (depth == 16) {
				rows[y][2 * x] = (png_byte)(v >> 8);
				rows[y][2 * x + 1] = (png_byte)v;
			} else if (depth == 8) {
				rows[y][x] = (png_byte)v;
			} else {
				size_t bit = (size_t)x * depth;
				rows[y][bit / 8] |= (png_byte)(v << (8 - depth - bit % 8));
			}
		}
	}
	png_write_image(p, rows);
	png_write_end(p, NULL);
	png_destroy_write_struct(&p, &info);
	for (uint32_t y = 0; y < h; y++)
		free(rows[y]);
	free(rows);
}

/* Decodes and checks the mask against want(x, y) given row-major. */
static void expect_mask(const struct buf *png, uint32_t w, uint32_t h,
			const uint8_t *want_rowmajor)
{
	struct buf err = BUF_INIT;
	struct rle r, ref;
	cr_assert_eq(mask_png_decode(&r, png->data, png->len, &err), 0, "%s",
		     err.data);
	cr_assert_eq(rle_from_bitmap_rowmajor(&ref, want_rowmajor, h, w), 0);
	cr_assert(rle_equal(&r, &ref));
	rle_release(&r);
	rle_release(&ref);
	buf_release(&err);
}

Test(mask_png, decode_colour_types)
{
	enum { W = 23, H = 19 };
	static unsigned s[W * H * 4];
	static uint8_t want[W * H];
	struct buf png = BUF_INIT;

	/* Greyscale 1, 2, 4, 8, 16 bits, plain and interlaced. */
	static const int depths[] = {1, 2, 4, 8, 16};
	for (int di = 0; di < 5; di++) {
		int d = depths[di];
		for (int il = 0; il < 2; il++) {
			for (int i = 0; i < W * H; i++) {
				/* Small nonzero values too: 1 in 16 bits. */
				unsigned v = rnd(3) ? 0 : 1 + rnd((1u << d) - 1);
				s[i] = v;
				want[i] = v != 0;
			}
			buf_reset(&png);
			write_png(&png, W, H, PNG_COLOR_TYPE_GRAY, d,
				  il ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, s);
			expect_mask(&png, W, H, want);
		}
	}
	/* Palette, 4 bits: the index counts, not the colour (index 0 is the
	 * only non-black entry). */
	for (int i = 0; i < W * H; i++) {
		s[i] = rnd(16);
		want[i] = s[i] != 0;
	}
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_PALETTE, 4, PNG_INTERLACE_NONE, s);
	expect_mask(&png, W, H, want);
	/* RGB: any channel. */
	for (int i = 0; i < W * H; i++) {
		int c = (int)rnd(4);
		s[3 * i] = c == 0 ? 7 : 0;
		s[3 * i + 1] = c == 1 ? 1 : 0;
		s[3 * i + 2] = c == 2 ? 255 : 0;
		want[i] = c != 3;
	}
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, s);
	expect_mask(&png, W, H, want);
	/* RGBA: colour and not fully transparent. */
	for (int i = 0; i < W * H; i++) {
		int c = (int)rnd(4);
		s[4 * i] = c >= 2 ? 255 : 0;
		s[4 * i + 1] = 0;
		s[4 * i + 2] = 0;
		s[4 * i + 3] = c == 1 || c == 3 ? 255 : 0;
		want[i] = c == 3;
	}
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, s);
	expect_mask(&png, W, H, want);
	/* Grey + alpha, 16 bits. */
	for (int i = 0; i < W * H; i++) {
		int c = (int)rnd(4);
		s[2 * i] = c >= 2 ? 1 : 0;
		s[2 * i + 1] = c == 1 || c == 3 ? 256 : 0;
		want[i] = c == 3;
	}
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_NONE, s);
	expect_mask(&png, W, H, want);
	buf_release(&png);
}

static void check_labels(const struct buf *png, uint32_t w, uint32_t h,
			 const unsigned *s)
{
	struct buf err = BUF_INIT;
	struct mask_png_label *l;
	size_t n, i, total = 0;
	uint8_t *bm = malloc((size_t)w * h);
	cr_assert_eq(mask_png_decode_labels(&l, &n, png->data, png->len, &err),
		     0, "%s", err.data);
	for (i = 0; i < n; i++) {
		struct rle ref;
		if (i)
			cr_assert(l[i].value > l[i - 1].value);
		for (size_t p = 0; p < (size_t)w * h; p++)
			bm[p] = s[p] == l[i].value;
		rle_from_bitmap_rowmajor(&ref, bm, h, w);
		cr_assert_eq(rle_check(&l[i].rle, NULL), 0);
		cr_assert(rle_equal(&l[i].rle, &ref), "value %u", l[i].value);
		cr_assert(rle_area(&ref) > 0);
		total += rle_area(&ref);
		rle_release(&ref);
	}
	cr_assert_eq(total, (size_t)w * h);
	mask_png_labels_free(l, n);
	free(bm);
	buf_release(&err);
}

Test(mask_png, labels)
{
	enum { W = 31, H = 70 };
	static unsigned s[W * H * 3];
	struct buf png = BUF_INIT, err = BUF_INIT;
	static const unsigned vals[] = {0, 3, 7, 255};
	for (int i = 0; i < W * H; i++)
		s[i] = vals[rnd(4)];
	write_png(&png, W, H, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, s);
	check_labels(&png, W, H, s);
	/* 16-bit label values, interlaced. */
	for (int i = 0; i < W * H; i++)
		s[i] = rnd(5) * 10000 + 1;
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_ADAM7, s);
	check_labels(&png, W, H, s);
	/* Palette indexes, 2 bits, and a single-value image. */
	for (int i = 0; i < W * H; i++)
		s[i] = rnd(4);
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, s);
	check_labels(&png, W, H, s);
	for (int i = 0; i < W * H; i++)
		s[i] = 9;
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, s);
	check_labels(&png, W, H, s);
	/* Colour is refused. */
	buf_reset(&png);
	write_png(&png, W, H, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, s);
	struct mask_png_label *l;
	size_t n;
	cr_assert_eq(mask_png_decode_labels(&l, &n, png.data, png.len, &err),
		     CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "png: a label image must be greyscale or palette, not RGB");
	cr_assert_null(l);
	cr_assert_eq(n, 0);
	buf_release(&png);
	buf_release(&err);
}

Test(mask_png, corrupt_and_truncated)
{
	struct buf png = BUF_INIT, err = BUF_INIT, bad = BUF_INIT;
	struct rle r, back;
	uint8_t *bm = random_bitmap(40, 50);
	rle_from_bitmap(&r, bm, 40, 50);
	cr_assert_eq(mask_png_encode(&r, 1, &png, &err), 0);

	cr_assert_eq(mask_png_decode(&back, "hello", 5, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "png: not a PNG image (bad signature)");
	cr_assert_eq(back.n, 0);
	cr_assert_null(back.counts);
	/* Every truncation fails cleanly. */
	for (size_t k = 0; k < png.len; k++) {
		cr_assert_neq(mask_png_decode(&back, png.data, k, &err), 0,
			      "prefix %zu of %zu decoded", k, png.len);
		cr_assert(err.len > 0);
		cr_assert_null(back.counts);
	}
	cr_assert_eq(mask_png_decode(&back, png.data, png.len - 12, &err),
		     CAIRN_EINVAL);
	cr_assert(strstr(err.data, "truncated") != NULL, "%s", err.data);
	/* A flipped byte inside the IHDR or the image data: a CRC error. */
	buf_add(&bad, png.data, png.len);
	bad.data[20] ^= 0x40;
	cr_assert_eq(mask_png_decode(&back, bad.data, bad.len, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "CRC") != NULL, "%s", err.data);
	buf_reset(&bad);
	buf_add(&bad, png.data, png.len);
	bad.data[bad.len - 20] ^= 0x01;
	cr_assert_neq(mask_png_decode(&back, bad.data, bad.len, &err), 0);
	cr_assert(strncmp(err.data, "png: ", 5) == 0);
	rle_release(&r);
	free(bm);

	/* Over the size cap: refused from the header. */
	uint32_t cnt[] = {30000};
	rle_from_counts(&r, cnt, 1, 1, 30000);
	buf_reset(&png);
	cr_assert_eq(mask_png_encode(&r, 1, &png, &err), 0);
	cr_assert_eq(mask_png_decode(&back, png.data, png.len, &err), CAIRN_ETOOBIG);
	cr_assert_str_eq(err.data, "png: 30000x1 image is over the limit of 20000 pixels a side and 400000000 pixels");
	struct mask_png_label *l;
	size_t n;
	cr_assert_eq(mask_png_decode_labels(&l, &n, png.data, png.len, &err),
		     CAIRN_ETOOBIG);
	rle_release(&r);
	buf_release(&png);
	buf_release(&bad);
	buf_release(&err);
}
