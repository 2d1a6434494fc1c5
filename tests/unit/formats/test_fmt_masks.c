/*
 * test_fmt_masks.c - mask PNG datasets: label PNGs of every kind through
 * mask_png's value reader and writer, the VOC palette, a CamVid-style
 * dataset imported and written back with its colours and indexes, the VOC
 * segmentation writer read back, and errors naming the file and value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "formats/fmt_masks.h"
#include "media/mask_png.h"
#include "store/store.h"

#include "fmt_test.h"

static int64_t pid2;

/* The fixture and a second project "q" to import exports back into. */
static void setup(void)
{
	fmt_test_open("masks");
	struct buf err = BUF_INIT;
	cr_assert_eq(store_project_create(ft.st, "q", "", 0, NULL, &pid2, &err), 0, "%s", err.data);
	buf_release(&err);
}

/* The values of a PNG file, row-major, and its info. */
static uint32_t *values(const char *rel, struct mask_png_info *info)
{
	size_t n;
	const char *b = fmt_test_slurp_n(rel, &n);
	struct mask_png_label *l;
	size_t nl;
	struct buf e = BUF_INIT;
	cr_assert_eq(mask_png_decode_values(&l, &nl, info, b, n, &e), 0, "%s", e.data);
	uint32_t *px = calloc((size_t)info->w * info->h, sizeof(*px));
	for (size_t i = 0; i < nl; i++) {
		uint8_t *bits = malloc((size_t)info->w * info->h);
		rle_to_bitmap_rowmajor(&l[i].rle, bits);
		for (size_t k = 0; k < (size_t)info->w * info->h; k++)
			if (bits[k])
				px[k] = l[i].value;
		free(bits);
	}
	mask_png_labels_free(l, nl);
	buf_release(&e);
	return px;
}

static int import(int64_t project, const char *rel, bool skip, struct fmt_import_report *rep,
		  struct buf *err)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", ft.dir, rel);
	return fmt_test_import_into(project, "masks", p, skip, rep, err);
}

TestSuite(fmt_masks, .init = setup, .fini = fmt_test_close);

Test(fmt_masks, png_values_every_kind)
{
	static const uint32_t px[6] = {0, 1, 2, 2, 1, 0};
	static const uint8_t pal[3][3] = {{0, 0, 0}, {10, 20, 30}, {40, 50, 60}};
	static const uint32_t rgb[6] = {0, 0x030201, 460551, 460551, 0xffffff, 0};
	static const uint32_t g16[6] = {0, 27001, 27002, 3, 65535, 0};
	struct mask_png_info in;
	fmt_test_put_png("p.png", px, 3, 2, MASK_PNG_PALETTE, 8, pal, 3);
	uint32_t *v = values("p.png", &in);
	cr_assert_eq(in.kind, MASK_PNG_PALETTE);
	cr_assert_eq(in.npalette, 3);
	cr_assert_eq(in.palette[2][1], 50);
	cr_assert_arr_eq(v, px, sizeof(px));
	free(v);
	fmt_test_put_png("r.png", rgb, 3, 2, MASK_PNG_RGB, 8, NULL, 0);
	v = values("r.png", &in);
	cr_assert_eq(in.kind, MASK_PNG_RGB);
	cr_assert_arr_eq(v, rgb, sizeof(rgb));
	free(v);
	fmt_test_put_png("g.png", g16, 3, 2, MASK_PNG_GREY, 16, NULL, 0);
	v = values("g.png", &in);
	cr_assert_eq(in.kind, MASK_PNG_GREY);
	cr_assert_eq(in.bit_depth, 16);
	cr_assert_arr_eq(v, g16, sizeof(g16));
	free(v);
	/* Values that do not fit are refused, and out keeps its length. */
	struct buf b = BUF_INIT, e = BUF_INIT;
	buf_adds(&b, "x");
	cr_assert_eq(mask_png_encode_values(g16, 3, 2, MASK_PNG_GREY, 8, NULL, 0, &b, &e), CAIRN_EINVAL);
	cr_assert_eq(b.len, 1);
	cr_assert(strstr(e.data, "value 27001 at pixel 1 does not fit"), "%s", e.data);
	buf_release(&b);
	buf_release(&e);
}

Test(fmt_masks, voc_palette)
{
	uint8_t c[3];
	fmt_masks_voc_colour(1, c);
	cr_assert(c[0] == 128 && c[1] == 0 && c[2] == 0);
	fmt_masks_voc_colour(2, c);
	cr_assert(c[0] == 0 && c[1] == 128 && c[2] == 0);
	fmt_masks_voc_colour(15, c);
	cr_assert(c[0] == 192 && c[1] == 128 && c[2] == 128);
	fmt_masks_voc_colour(255, c);
	cr_assert(c[0] == 224 && c[1] == 224 && c[2] == 192);
}

Test(fmt_masks, camvid_layout_round_trip_keeps_colours_and_indexes)
{
	const char *lc = "0 0 0 Void\n255 0 0 car\n0 255 0 road\n";
	fmt_test_put("ds/label_colors.txt", lc, strlen(lc));
	/* RGB masks: car on the left column, road on the right, background between. */
	static const uint32_t m[6] = {0xff, 0, 0xff00, 0xff, 0, 0xff00};
	fmt_test_put_png("ds/trainannot/a.png", m, 3, 2, MASK_PNG_RGB, 8, NULL, 0);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("masks"));
	cr_assert_eq(import(ft.pid, "ds", false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.categories, 2);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("masks", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("out/label_colors.txt"),
			 "# r g b name (line k is class k; names alone are unused classes)\n"
			 "0 0 0 background\n255 0 0 car\n0 255 0 road\n");
	cr_assert_str_eq(fmt_test_slurp("out/train.txt"), "/train/a.png /trainannot/a.png\n");
	struct mask_png_info in;
	uint32_t *v = values("out/trainannot/a.png", &in);
	static const uint32_t want[6] = {1, 0, 2, 1, 0, 2};
	cr_assert_eq(in.kind, MASK_PNG_PALETTE);
	cr_assert_arr_eq(v, want, sizeof(want));
	cr_assert_eq(in.palette[2][1], 255);
	free(v);
	/* Instances: each class region is one instance, class * 1000 + 1. */
	v = values("out/traininst/a.png", &in);
	static const uint32_t iw[6] = {1001, 0, 2001, 1001, 0, 2001};
	cr_assert_arr_eq(v, iw, sizeof(iw));
	free(v);
	/* And read back: the same two masks. */
	cr_assert_eq(import(pid2, "out", false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_masks, errors_name_the_file_and_value)
{
	const char *lc = "0 0 0 Void\n255 0 0 car\n";
	fmt_test_put("ds/label_colors.txt", lc, strlen(lc));
	static const uint32_t m[4] = {0xff, 0x0a0b0c, 0, 0};
	fmt_test_put_png("ds/trainannot/a.png", m, 2, 2, MASK_PNG_RGB, 8, NULL, 0);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(ft.pid, "ds", false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "trainannot/a.png: colour (12,11,10) is not in the label map "
				   "(label_colors.txt)");
	fmt_import_report_release(&rep);
	buf_reset(&err);
	cr_assert_eq(import(ft.pid, "ds", true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.skipped, 1);
	fmt_import_report_release(&rep);
	/* A broken label map line. */
	const char *bad = "0 0 0 Void\n255 0 car\n";
	fmt_test_put("ds/label_colors.txt", bad, strlen(bad));
	buf_reset(&err);
	cr_assert_eq(import(ft.pid, "ds", false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "label_colors.txt:2: expected \"r g b name\" or \"name\", got \"255 0 car\"");
	fmt_import_report_release(&rep);
	buf_release(&err);
}

Test(fmt_masks, voc_writer_read_back)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("masks", "../shared/fixtures/datumaro/voc_dataset/voc_dataset1",
				     false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/voc", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_masks_write_voc(ft.st, ft.pid, out, &wo, &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("voc/ImageSets/Segmentation/train.txt"), "2007_000001\n");
	cr_assert(strstr(fmt_test_slurp("voc/labelmap.txt"), "# label:color_rgb:parts:actions\n"
			 "background:0,0,0::\naeroplane:128,0,0::\nbicycle:0,128,0::\n"),
		  "%s", fmt_test_slurp("voc/labelmap.txt"));
	struct mask_png_info in;
	uint32_t *v = values("voc/SegmentationClass/2007_000001.png", &in);
	cr_assert_eq(in.kind, MASK_PNG_PALETTE);
	cr_assert_eq(in.npalette, 256);
	cr_assert_eq(in.w, 20);
	cr_assert_eq(v[0], 2);
	cr_assert_eq(v[199], 2);
	free(v);
	v = values("voc/SegmentationObject/2007_000001.png", &in);
	cr_assert_eq(v[0], 1);
	cr_assert_eq(v[199], 1);
	free(v);
	/* Read back through the masks format (SegmentationClass/ makes it VOC). */
	cr_assert_eq(import(pid2, "voc", false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.categories, 1);
	fmt_import_report_release(&rep);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_masks, fuzz_entry_reads_one_png)
{
	static const uint32_t m[4] = {0, 1, 18, 1018};
	struct buf b = BUF_INIT, e = BUF_INIT;
	cr_assert_eq(mask_png_encode_values(m, 2, 2, MASK_PNG_GREY, 16, NULL, 0, &b, &e), 0);
	struct fmt_sink *s = fmt_null_sink_new();
	cr_assert_eq(fmt_masks_read_png_mem(b.data, b.len, "x.png", s, &e), 0, "%s", e.data);
	cr_assert_eq(fmt_masks_read_png_mem("nope", 4, "x.png", s, &e), CAIRN_EINVAL);
	cr_assert(strstr(e.data, "x.png: png: not a PNG image"), "%s", e.data);
	fmt_null_sink_free(s);
	buf_release(&b);
	buf_release(&e);
}
