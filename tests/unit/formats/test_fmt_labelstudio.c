/*
 * test_fmt_labelstudio.c - Label Studio: brush RLE both ways (against a
 * stream worked out by hand from the documented bit layout), the rotation
 * conversion, percentages, errors with JSON paths, and a round trip
 * through the import driver and the writer.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "formats/fmt_labelstudio.h"
#include "store/store.h"

#include "fmt_test.h"

FMT_TEST_SUITE(fmt_labelstudio);

/* A brush stream written as '0' and '1' characters, packed MSB first into b. */
static size_t pack_bits(const char *bits, uint8_t *b, size_t cap)
{
	memset(b, 0, cap);
	size_t nb = 0;
	for (size_t i = 0; bits[i]; i++) {
		cr_assert_lt(i / 8, cap);
		if (bits[i] == '1')
			b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		nb = i / 8 + 1;
	}
	return nb;
}

/* Decodes a 1x2 brush mask into m and its two pixels. */
static void decode_1x2(const uint8_t *b, size_t nb, struct rle *m, uint8_t px[2])
{
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_ls_brush_decode(b, nb, 1, 2, m, &err), 0, "%s", err.data);
	rle_to_bitmap_rowmajor(m, px);
	buf_release(&err);
}

Test(fmt_labelstudio, brush_decode_by_hand)
{
	/* Bits after the 53-bit header: a series of 4 zeros: 1 00 011 00000000,
	 * then 4 times 255: 1 00 011 11111111. Build the stream bit by bit. */
	const char *bits = "00000000000000000000000000001000" "00111" "0010" "0011" "0111" "1111"
			   "1" "00" "011" "00000000" "1" "00" "011" "11111111";
	uint8_t b[16];
	size_t nb = pack_bits(bits, b, sizeof(b));
	struct rle m;
	uint8_t px[2];
	decode_1x2(b, nb, &m, px);
	cr_assert_eq(px[0], 0);
	cr_assert_eq(px[1], 1);
	/* Our encoder writes exactly this stream. */
	uint8_t *enc;
	size_t n;
	fmt_ls_brush_encode(&m, &enc, &n);
	cr_assert_eq(n, nb);
	cr_assert_eq(memcmp(enc, b, n), 0);
	free(enc);
	rle_release(&m);
}

Test(fmt_labelstudio, brush_round_trip_with_long_runs_and_literals)
{
	/* 300 x 400: runs longer than 65536 values, single pixels, a hole. */
	uint32_t h = 300, w = 400;
	uint8_t *bm = calloc(h * w, 1);
	for (uint32_t y = 10; y < 250; y++)
		for (uint32_t x = 20; x < 390; x++)
			bm[y * w + x] = !(x > 100 && x < 120 && y > 50 && y < 60);
	bm[0] = 1;
	bm[h * w - 1] = 1;
	bm[5 * w + 7] = 1;
	struct rle m, back;
	cr_assert_eq(rle_from_bitmap_rowmajor(&m, bm, h, w), 0);
	uint8_t *enc;
	size_t n;
	fmt_ls_brush_encode(&m, &enc, &n);
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_ls_brush_decode(enc, n, h, w, &back, &err), 0, "%s", err.data);
	cr_assert(rle_equal(&m, &back));
	/* Literal values (the "0" runs) with alpha 0 and not 0 decode too. */
	free(enc);
	rle_release(&m);
	rle_release(&back);
	free(bm);
	buf_release(&err);
}

Test(fmt_labelstudio, brush_literals_and_other_word_sizes)
{
	/* 1x2, word size 4, sizes 1,1,1,1: literal run of 8 values. */
	const char *bits = "00000000000000000000000000001000" "00011" "0000" "0000" "0000" "0000"
			   "0" "00" "1" "0000" "0000"              /* 2 literals: 0 0 */
			   "0" "00" "1" "0000" "0001"              /* 0 1: alpha of px 0 is 1 */
			   "1" "00" "1" "0000"                      /* series of 2: 0 0 */
			   "1" "00" "1" "0000";                     /* series of 2: 0 0 -> px1 alpha 0 */
	uint8_t b[32];
	size_t nb = pack_bits(bits, b, sizeof(b));
	struct rle m;
	uint8_t px[2];
	decode_1x2(b, nb, &m, px);
	cr_assert_eq(px[0], 1);
	cr_assert_eq(px[1], 0);
	rle_release(&m);
}

Test(fmt_labelstudio, brush_errors)
{
	struct rle m;
	struct buf err = BUF_INIT;
	const uint8_t shortb[] = {0, 0, 0};
	cr_assert_eq(fmt_ls_brush_decode(shortb, 3, 1, 1, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "brush rle: 3 bytes is too short for the header");
	const uint8_t wrong[] = {0, 0, 0, 16, 0x39, 0x1B, 0xF8};
	cr_assert_eq(fmt_ls_brush_decode(wrong, sizeof(wrong), 1, 2, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "brush rle: holds 16 values, but a 2x1 RGBA image has 8");
	const uint8_t cut[] = {0, 0, 0, 8, 0x39, 0x1B, 0xF8};
	cr_assert_eq(fmt_ls_brush_decode(cut, sizeof(cut), 1, 2, &m, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "brush rle: ends after"), "%s", err.data);
	buf_release(&err);
}

Test(fmt_labelstudio, rotation_about_the_corner)
{
	/* 90 degrees clockwise about (10, 20): the width runs down, the height left. */
	double in[5] = {10, 20, 30, 40, 90}, rb[5], back[5];
	fmt_ls_rect_to_rbox(in, rb);
	cr_assert_float_eq(rb[0], -10, 1e-9);
	cr_assert_float_eq(rb[1], 35, 1e-9);
	cr_assert_float_eq(rb[4], 90, 1e-12);
	fmt_ls_rbox_to_rect(rb, back);
	for (int i = 0; i < 5; i++)
		cr_assert_float_eq(back[i], in[i], 1e-9);
	/* 0 degrees: the centre is the middle. */
	double z[5] = {1, 2, 4, 6, 0};
	fmt_ls_rect_to_rbox(z, rb);
	cr_assert_float_eq(rb[0], 3, 1e-12);
	cr_assert_float_eq(rb[1], 5, 1e-12);
	/* Any angle goes and comes back. */
	for (double a = -720; a <= 720; a += 37.5) {
		double q[5] = {12.5, -3, 7, 11, a};
		fmt_ls_rect_to_rbox(q, rb);
		fmt_ls_rbox_to_rect(rb, back);
		for (int i = 0; i < 4; i++)
			cr_assert_float_eq(back[i], q[i], 1e-9);
	}
}

static int import_text(const char *json, bool skip, enum annotation_kind kind,
		       struct fmt_import_report *rep, struct buf *err)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/tasks.json", ft.dir);
	fmt_test_puts("tasks.json", json);
	struct fmt_import_opts o = {0};
	o.data_dir = ft.dir;
	o.no_media = true;
	o.skip_invalid = skip;
	o.kind = kind;
	return fmt_import(ft.st, ft.pid, fmt_find("labelstudio"), path, &o, rep, err);
}

static char *export_text(unsigned kinds)
{
	char out[128], file[160];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	wo.kinds = kinds;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_find("labelstudio")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	snprintf(file, sizeof(file), "%s/result.json", out);
	FILE *f = fopen(file, "r");
	cr_assert(f);
	char *b = calloc(1, 1 << 16);
	size_t n = fread(b, 1, (1 << 16) - 1, f);
	b[n] = 0;
	fclose(f);
	fmt_loss_release(&loss);
	buf_release(&err);
	return b;
}

Test(fmt_labelstudio, percentages_to_pixels_and_back)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text("[{\"id\":5,\"data\":{\"image\":\"/data/upload/1/x.png\"},\"annotations\":[{"
			     "\"result\":[{\"id\":\"a\",\"type\":\"rectanglelabels\",\"from_name\":\"label\","
			     "\"to_name\":\"image\",\"original_width\":640,\"original_height\":480,"
			     "\"value\":{\"x\":12.5,\"y\":25,\"width\":50,\"height\":10,"
			     "\"rectanglelabels\":[\"car\"]}},"
			     "{\"id\":\"b\",\"type\":\"keypointlabels\",\"from_name\":\"label\",\"to_name\":"
			     "\"image\",\"original_width\":640,\"original_height\":480,\"value\":{\"x\":50,"
			     "\"y\":50,\"width\":1,\"keypointlabels\":[\"nose\"]}}]}]}]",
			     false, ANN_GOLD, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	char *b = export_text(0);
	cr_assert(strstr(b, "\"x\":12.5,\"y\":25,\"width\":50,\"height\":10,\"rotation\":0"), "%s", b);
	cr_assert(strstr(b, "\"x\":50,\"y\":50,\"width\":1,\"keypointlabels\":[\"nose\"]"), "%s", b);
	cr_assert(strstr(b, "\"id\":5,\"data\":{\"image\":\"/data/local-files/?d=images/x.png\"}"), "%s", b);
	free(b);
	buf_release(&err);
}

Test(fmt_labelstudio, errors_name_path_and_value)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text("[{\"id\":1,\"data\":{\"image\":\"a.png\"},\"annotations\":[{\"result\":["
			     "{\"id\":\"a\",\"type\":\"ellipselabels\",\"original_width\":10,"
			     "\"original_height\":10,\"value\":{\"x\":1,\"y\":1,\"radiusX\":\"abc\","
			     "\"radiusY\":1,\"ellipselabels\":[\"e\"]}}]}]}]",
			     false, ANN_GOLD, &rep, &err);
	cr_assert_eq(rc, CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "tasks.json: $[0].annotations[0].result[0].value.radiusX: expected a "
				   "number, got \"abc\"");
	fmt_import_report_release(&rep);
	buf_release(&err);
}

Test(fmt_labelstudio, skip_invalid_and_predictions)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	const char *doc = "[{\"id\":1,\"data\":{\"image\":\"a.png\"},\"annotations\":[{\"result\":["
			  "{\"id\":\"a\",\"type\":\"rectanglelabels\",\"original_width\":10,"
			  "\"original_height\":10,\"value\":{\"x\":1,\"y\":1,\"width\":null,\"height\":1,"
			  "\"rectanglelabels\":[\"r\"]}}]}],"
			  "\"predictions\":[{\"score\":0.25,\"result\":[{\"id\":\"p\",\"type\":"
			  "\"rectanglelabels\",\"original_width\":10,\"original_height\":10,\"value\":"
			  "{\"x\":1,\"y\":1,\"width\":2,\"height\":3,\"rectanglelabels\":[\"r\"]}}]}]}]";
	int rc = import_text(doc, true, ANN_GOLD, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "$[0].annotations[0].result[0].value.width: missing"),
		  "%s", rep.skipped_text.data);
	fmt_import_report_release(&rep);
	rc = import_text(doc, false, ANN_PREDICTION, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	fmt_import_report_release(&rep);
	char *b = export_text(1u << ANN_PREDICTION);
	cr_assert(strstr(b, "\"predictions\":[{"), "%s", b);
	cr_assert(strstr(b, "\"score\":0.25"), "%s", b);
	free(b);
	buf_release(&err);
}

Test(fmt_labelstudio, image_names_from_urls)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
#define TAG "\"annotations\":[{\"result\":[{\"id\":\"t\",\"type\":\"choices\",\"original_width\":10," \
	    "\"original_height\":10,\"value\":{\"choices\":[\"x\"]}}]}]"
	int rc = import_text("[{\"id\":1,\"data\":{\"image\":\"/data/local-files/?d=images%5Cq%20r.png\"},"
			     TAG "},{\"id\":2,\"data\":{\"img\":\"http://h/x/s.png?sig=1#top\"}," TAG "},"
			     "{\"id\":3,\"data\":{\"photo\":\"/data/upload/9/0a1b2c3d-t.jpeg\",\"note\":\"x\"},"
			     TAG "},{\"id\":4,\"data\":{\"text\":\"no image\"}}]",
			     false, ANN_GOLD, &rep, &err);
#undef TAG
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	bool text_noted = false, data_noted = false;
	for (size_t i = 0; i < rep.notes.n; i++) {
		text_noted |= strstr(rep.notes.v[i].what, "text task") != NULL;
		data_noted |= strstr(rep.notes.v[i].what, "task data besides the image") != NULL;
	}
	cr_assert(text_noted && data_noted);
	fmt_import_report_release(&rep);
	char *b = export_text(0);
	cr_assert(strstr(b, "?d=images/q r.png"), "%s", b);
	cr_assert(strstr(b, "?d=images/s.png"), "%s", b);
	cr_assert(strstr(b, "?d=images/0a1b2c3d-t.jpeg"), "%s", b);
	free(b);
	buf_release(&err);
}
