/*
 * test_media_derive.c - unit tests for src/media/media_derive.c: the Deep
 * Zoom arithmetic (levels, sizes, tile counts and rectangles, bounds)
 * against a brute-force halving, and the cache on real files: thumbnails
 * of each size, tiles of small and large levels with the sizes the
 * arithmetic promises, and errors for missing or undecodable originals.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vips/vips.h>

#include "base/buf.h"
#include "base/err.h"
#include "media/media_derive.h"
#include "media/media_image.h"


#include "../tmpdir.h"
#include "base/banned.h"

Test(media_derive, levels)
{
	static const struct {
		int32_t w, h;
		int levels;
	} cases[] = {
		{1, 1, 1}, {2, 1, 2}, {1, 2, 2}, {3, 3, 3}, {4, 4, 3}, {5, 1, 4},
		{512, 512, 10}, {513, 100, 11}, {6000, 4000, 14}, {20000, 20000, 16},
		{65536, 1, 17}, {65537, 3, 18},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dz_pyramid p;
		cr_assert_eq(dz_pyramid_init(&p, cases[i].w, cases[i].h, 512), 0);
		cr_expect_eq(p.levels, cases[i].levels, "%dx%d: %d levels, expected %d", cases[i].w,
			     cases[i].h, p.levels, cases[i].levels);
		int32_t w, h;
		dz_level_size(&p, 0, &w, &h);
		cr_expect(w == 1 && h == 1, "level 0 of %dx%d is %dx%d", cases[i].w, cases[i].h, w, h);
		dz_level_size(&p, p.levels - 1, &w, &h);
		cr_expect(w == cases[i].w && h == cases[i].h);
	}
	struct dz_pyramid p;
	cr_expect_eq(dz_pyramid_init(&p, 0, 10, 512), CAIRN_EINVAL);
	cr_expect_eq(dz_pyramid_init(&p, 10, -1, 512), CAIRN_EINVAL);
	cr_expect_eq(dz_pyramid_init(&p, 10, 10, 0), CAIRN_EINVAL);
}

Test(media_derive, level_sizes_6000x4000)
{
	static const int32_t want[14][2] = {
		{1, 1}, {2, 1}, {3, 2}, {6, 4}, {12, 8}, {24, 16}, {47, 32},
		{94, 63}, {188, 125}, {375, 250}, {750, 500}, {1500, 1000}, {3000, 2000}, {6000, 4000},
	};
	struct dz_pyramid p;
	cr_assert_eq(dz_pyramid_init(&p, 6000, 4000, 512), 0);
	for (int L = 0; L < 14; L++) {
		int32_t w, h;
		dz_level_size(&p, L, &w, &h);
		cr_expect(w == want[L][0] && h == want[L][1], "level %d: %dx%d", L, w, h);
	}
	int32_t cols, rows;
	dz_level_tiles(&p, 13, &cols, &rows);
	cr_expect(cols == 12 && rows == 8, "%dx%d tiles", cols, rows);
	dz_level_tiles(&p, 12, &cols, &rows);
	cr_expect(cols == 6 && rows == 4);
	dz_level_tiles(&p, 10, &cols, &rows);
	cr_expect(cols == 2 && rows == 1);
	dz_level_tiles(&p, 9, &cols, &rows);
	cr_expect(cols == 1 && rows == 1);

	struct dz_rect r;
	cr_assert(dz_tile_rect(&p, 13, 11, 7, &r));
	cr_expect(r.x == 5632 && r.y == 3584 && r.w == 368 && r.h == 416, "%d,%d %dx%d", r.x, r.y,
		  r.w, r.h);
	cr_assert(dz_tile_rect(&p, 13, 0, 0, &r));
	cr_expect(r.x == 0 && r.y == 0 && r.w == 512 && r.h == 512);
	cr_assert(dz_tile_rect(&p, 0, 0, 0, &r));
	cr_expect(r.w == 1 && r.h == 1);
	cr_assert(dz_tile_rect(&p, 10, 1, 0, &r));
	cr_expect(r.x == 512 && r.w == 238 && r.h == 500);

	cr_expect_not(dz_tile_rect(&p, 14, 0, 0, &r));
	cr_expect_not(dz_tile_rect(&p, -1, 0, 0, &r));
	cr_expect_not(dz_tile_rect(&p, 13, 12, 0, &r));
	cr_expect_not(dz_tile_rect(&p, 13, 0, 8, &r));
	cr_expect_not(dz_tile_rect(&p, 13, -1, 0, &r));
	cr_expect_not(dz_tile_rect(&p, 0, 1, 0, &r));
	cr_expect_not(dz_tile_rect(&p, 1LL << 40, 0, 0, &r));
	cr_expect_not(dz_tile_rect(&p, 13, 1LL << 40, 0, &r));
}

/* Every level is the one above halved rounding up, and the tiles of each
 * level cover it exactly once, for many sizes and tile sizes. */
Test(media_derive, tiles_cover_levels)
{
	unsigned seed = 7;
	for (int n = 0; n < 300; n++) {
		seed = seed * 1103515245u + 12345u;
		int32_t w = 1 + (int32_t)((seed >> 8) % 9000);
		seed = seed * 1103515245u + 12345u;
		int32_t h = 1 + (int32_t)((seed >> 8) % 9000);
		int32_t ts = n % 3 == 0 ? 512 : n % 3 == 1 ? 254 : 1000;
		struct dz_pyramid p;
		cr_assert_eq(dz_pyramid_init(&p, w, h, ts), 0);
		int32_t bw = w, bh = h;
		for (int L = p.levels - 1; L >= 0; L--) {
			int32_t lw, lh, cols, rows;
			dz_level_size(&p, L, &lw, &lh);
			cr_assert(lw == bw && lh == bh, "%dx%d level %d: %dx%d, halving gives %dx%d", w, h,
				  L, lw, lh, bw, bh);
			dz_level_tiles(&p, L, &cols, &rows);
			int64_t area = 0;
			for (int32_t c = 0; c < cols; c++)
				for (int32_t r = 0; r < rows; r++) {
					struct dz_rect rc;
					cr_assert(dz_tile_rect(&p, L, c, r, &rc));
					cr_assert(rc.w > 0 && rc.h > 0 && rc.w <= ts && rc.h <= ts);
					cr_assert(rc.x + rc.w <= lw && rc.y + rc.h <= lh);
					area += (int64_t)rc.w * rc.h;
				}
			cr_assert_eq(area, (int64_t)lw * lh);
			cr_assert_not(dz_tile_rect(&p, L, cols, 0, NULL));
			cr_assert_not(dz_tile_rect(&p, L, 0, rows, NULL));
			bw = (bw + 1) / 2;
			bh = (bh + 1) / 2;
		}
		cr_assert(bw == 1 && bh == 1);
	}
}

/* --- the cache on real files --- */

static char tmpdir_path[64];

static void setup_dir(void)
{
	tmpdir_make(tmpdir_path, sizeof tmpdir_path, "derive");
	cr_assert_eq(media_image_init(NULL), 0);
}

static void teardown_dir(void)
{
	tmpdir_remove(tmpdir_path);
}

/* Writes a w x h picture with `bands` bands (4 = alpha) to dir/name as fmt. */
static void write_picture(const char *path, int w, int h, int bands, const char *suffix)
{
	unsigned char *px = malloc((size_t)w * h * bands);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int b = 0; b < bands; b++)
				px[((size_t)y * w + x) * bands + b] =
					(unsigned char)(b == 3 ? 128 : (x * (b + 1) + y * 3) & 255);
	VipsImage *im =
		vips_image_new_from_memory_copy(px, (size_t)w * h * bands, w, h, bands, VIPS_FORMAT_UCHAR);
	free(px);
	cr_assert(im);
	im->Type = VIPS_INTERPRETATION_sRGB;
	struct buf f = BUF_INIT;
	buf_addf(&f, "%s%s", path, suffix);
	cr_assert_eq(vips_image_write_to_file(im, f.data, NULL), 0, "%s", vips_error_buffer());
	cr_assert_eq(rename(f.data, path), 0);
	buf_release(&f);
	g_object_unref(im);
}

/* Decodes an open file descriptor's image and checks its size. */
static void expect_image(int fd, uint64_t size, int w, int h, const char *what)
{
	cr_assert(fd >= 0, "%s: no fd", what);
	char *data = malloc(size);
	cr_assert_eq(pread(fd, data, size, 0), (ssize_t)size);
	close(fd);
	VipsImage *im = vips_image_new_from_buffer(data, size, "", NULL);
	cr_assert(im, "%s: %s", what, vips_error_buffer());
	cr_expect(vips_image_get_width(im) == w && vips_image_get_height(im) == h,
		  "%s: %dx%d, expected %dx%d", what, vips_image_get_width(im),
		  vips_image_get_height(im), w, h);
	g_object_unref(im);
	free(data);
}

static const char HASH_A[] = "aa00000000000000000000000000000000000000000000000000000000000001";
static const char HASH_B[] = "bb00000000000000000000000000000000000000000000000000000000000002";

Test(media_derive, thumbnails, .init = setup_dir, .fini = teardown_dir)
{
	struct buf src = BUF_INIT, err = BUF_INIT;
	buf_addf(&src, "%s/orig", tmpdir_path);
	write_picture(src.data, 1000, 400, 3, ".jpg");
	struct media_src s = {tmpdir_path, src.data, HASH_A, 1000, 400};
	int fd;
	uint64_t n;
	const char *mime;
	static const int sizes[] = {128, 256, 512};
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(media_thumb_open(&s, sizes[i], &fd, &n, &mime, &err), 0, "%s", err.data);
		cr_expect_str_eq(mime, "image/jpeg");
		expect_image(fd, n, sizes[i], (int)(400.0 * sizes[i] / 1000 + 0.5), "thumb");
	}
	/* Cached: the original may go away. */
	unlink(src.data);
	cr_assert_eq(media_thumb_open(&s, 256, &fd, &n, &mime, &err), 0, "%s", err.data);
	close(fd);
	cr_expect_eq(media_thumb_open(&s, 300, &fd, &n, &mime, &err), CAIRN_EINVAL);
	cr_expect_eq(fd, -1);

	/* Alpha gives a PNG; small images are not upscaled. */
	write_picture(src.data, 100, 60, 4, ".png");
	struct media_src s2 = {tmpdir_path, src.data, HASH_B, 100, 60};
	cr_assert_eq(media_thumb_open(&s2, 256, &fd, &n, &mime, &err), 0, "%s", err.data);
	cr_expect_str_eq(mime, "image/png");
	expect_image(fd, n, 100, 60, "alpha thumb");
	buf_release(&src);
	buf_release(&err);
}

Test(media_derive, errors, .init = setup_dir, .fini = teardown_dir)
{
	struct buf src = BUF_INIT, err = BUF_INIT;
	buf_addf(&src, "%s/orig", tmpdir_path);
	struct media_src s = {tmpdir_path, src.data, HASH_A, 100, 100};
	int fd;
	uint64_t n;
	const char *mime;
	cr_expect_eq(media_thumb_open(&s, 128, &fd, &n, &mime, &err), CAIRN_ENOTFOUND);
	cr_expect_eq(media_tile_open(&s, 7, 0, 0, &fd, &n, &err), CAIRN_ENOTFOUND);
	int f = open(src.data, O_WRONLY | O_CREAT, 0644);
	cr_assert(write(f, "not an image at all\n", 20) == 20);
	close(f);
	cr_expect_eq(media_thumb_open(&s, 128, &fd, &n, &mime, &err), CAIRN_EUNSUPPORTED);
	cr_expect(strstr(err.data, "thumbnail"), "%s", err.data);
	cr_expect_eq(media_tile_open(&s, 7, 0, 0, &fd, &n, &err), CAIRN_EUNSUPPORTED);
	/* Out of the pyramid: 100x100 has levels 0..7. */
	cr_expect_eq(media_tile_open(&s, 8, 0, 0, &fd, &n, &err), CAIRN_ENOTFOUND);
	cr_expect_eq(media_tile_open(&s, 7, 1, 0, &fd, &n, &err), CAIRN_ENOTFOUND);
	struct media_src bad = {tmpdir_path, src.data, "../../etc", 100, 100};
	cr_expect_eq(media_thumb_open(&bad, 128, &fd, &n, &mime, &err), CAIRN_EINVAL);
	buf_release(&src);
	buf_release(&err);
}

Test(media_derive, tiles, .init = setup_dir, .fini = teardown_dir)
{
	struct buf src = BUF_INIT, err = BUF_INIT;
	buf_addf(&src, "%s/orig", tmpdir_path);
	/* 3000 wide: the top level comes from dzsave, the others from one decode. */
	write_picture(src.data, 3000, 1100, 3, ".jpg");
	struct media_src s = {tmpdir_path, src.data, HASH_A, 0, 0};
	struct dz_pyramid p;
	cr_assert_eq(media_tiles_info(&s, &p, &err), 0, "%s", err.data);
	cr_assert_eq(p.width, 3000);
	cr_assert_eq(p.height, 1100);
	cr_assert_eq(p.levels, 13);
	int fd;
	uint64_t n;
	for (int L = 0; L < p.levels; L++) {
		int32_t cols, rows;
		dz_level_tiles(&p, L, &cols, &rows);
		int64_t picks[3][2] = {{0, 0}, {cols - 1, rows - 1}, {cols / 2, rows / 2}};
		for (int k = 0; k < 3; k++) {
			struct dz_rect r;
			cr_assert(dz_tile_rect(&p, L, picks[k][0], picks[k][1], &r));
			cr_assert_eq(media_tile_open(&s, L, picks[k][0], picks[k][1], &fd, &n, &err), 0,
				     "level %d: %s", L, err.data);
			expect_image(fd, n, r.w, r.h, "tile");
		}
	}
	struct stat sb;
	struct buf p1 = BUF_INIT;
	buf_addf(&p1, "%s/media/derived/%s/dz_files/12/5_2.jpeg", tmpdir_path, HASH_A);
	cr_expect_eq(stat(p1.data, &sb), 0, "the top level comes from the pyramid");
	buf_reset(&p1);
	buf_addf(&p1, "%s/media/derived/%s/t/11/0_0.jpg", tmpdir_path, HASH_A);
	cr_expect_eq(stat(p1.data, &sb), 0, "level 11 (1500 wide) is rendered directly");
	cr_expect_eq(media_tile_open(&s, 12, 6, 0, &fd, &n, &err), CAIRN_ENOTFOUND);
	cr_expect_eq(media_tile_open(&s, 13, 0, 0, &fd, &n, &err), CAIRN_ENOTFOUND);
	buf_release(&p1);
	buf_release(&src);
	buf_release(&err);
}
