/*
 * test_fmt_mots.c - the MOTS reader and writer: the Datumaro fixture's
 * classes and tracks, PNGs written back value for value, MOTS's own class
 * names without labels.txt, and errors naming the PNG and the class.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "media/mask_png.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_mots_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);

FMT_TEST_SUITE(fmt_mots);

/* A 16-bit greyscale PNG of w x h values. */
static void put_png(const char *rel, const uint32_t *px, uint32_t w, uint32_t h)
{
	fmt_test_put_png(rel, px, w, h, MASK_PNG_GREY, 16, NULL, 0);
}

static void read_png(const char *rel, struct mask_png_label **lab, size_t *n)
{
	size_t len;
	const char *b = fmt_test_slurp_n(rel, &len);
	struct buf err = BUF_INIT;
	cr_assert_eq(mask_png_decode_labels(lab, n, b, len, &err), 0, "%s", err.data);
	buf_release(&err);
}

Test(fmt_mots, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/mots_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("mots"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	cr_assert_eq(rep.objects, 5);
	cr_assert_eq(rep.categories, 4);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("mots", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("out/train/instances/labels.txt"), "a\nb\nc\nd\n");
	struct mask_png_label *lab;
	size_t n;
	read_png("out/train/instances/1.png", &lab, &n);
	/* d/1 at x=3, c/2 at x=2, d/3 at x=0..1 */
	cr_assert_eq(n, 4);
	cr_assert_eq(lab[1].value, 3002);
	cr_assert_eq(lab[2].value, 4001);
	cr_assert_eq(lab[3].value, 4003);
	cr_assert_eq(rle_area(&lab[3].rle), 2);
	mask_png_labels_free(lab, n);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_mots, own_classes_and_ignored)
{
	uint32_t px[6] = {1001, 2002, 10003, 0, 1001, 10003};
	put_png("d/instances/000007.png", px, 3, 2);
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 3); /* car, pedestrian, ignored */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("mots", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/instances/labels.txt"), "car\npedestrian\n");
	struct mask_png_label *lab;
	size_t n;
	read_png("out/instances/000007.png", &lab, &n);
	cr_assert_eq(n, 4);
	cr_assert_eq(lab[1].value, 1001);
	cr_assert_eq(lab[2].value, 2002);
	cr_assert_eq(lab[3].value, 10003);
	mask_png_labels_free(lab, n);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_mots, errors_name_the_png)
{
	uint32_t px[2] = {5001, 0};
	fmt_test_put("d/instances/labels.txt", "a\nb\n", 4);
	put_png("d/instances/1.png", px, 2, 1);
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "instances/1.png: class 5 (pixel value 5000..5999): not in "
				   "labels.txt (2 classes)");
	fmt_import_report_release(&rep);
	fmt_test_put("d/instances/1.png", "junk", 4);
	cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert(!strncmp(err.data, "instances/1.png: png:", 21), "%s", err.data);
	fmt_import_report_release(&rep);
	/* with skip_invalid the bad PNG is listed and the rest imported */
	put_png("d/instances/2.png", (uint32_t[]){1001, 2001}, 2, 1);
	cr_assert_eq(fmt_test_import("mots", p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.skipped, 1);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	struct fmt_sink *s = fmt_null_sink_new();
	cr_assert_eq(fmt_mots_read_png_mem("junk", 4, "x.png", s, &err), CAIRN_EINVAL);
	fmt_null_sink_free(s);
	buf_release(&err);
}

int fmt_mots_read_txt_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);

Test(fmt_mots, txt_layout)
{
	/* 3 high, 4 wide: column 0 rows 0-1 (car 1 of class 2), column 1 (class 1) */
	const char *t = "0 2001 2 3 4 02:\n0 1003 1 3 4 336\n\n1 10000 10 3 4 66\n";
	fmt_test_put("d/instances_txt/0005.txt", t, strlen(t));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("mots"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 3); /* car, pedestrian, ignored */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("mots", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	struct mask_png_label *lab;
	size_t n;
	read_png("out/0005/instances/000000.png", &lab, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(lab[1].value, 1003);
	cr_assert_eq(lab[2].value, 2001);
	cr_assert_eq(rle_area(&lab[2].rle), 2);
	mask_png_labels_free(lab, n);
	read_png("out/0005/instances/000001.png", &lab, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(lab[1].value, 10000);
	mask_png_labels_free(lab, n);
	fmt_loss_release(&loss);
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"0 2001 2 3 4 02\n", "instances_txt/0005.txt:1: column 6 (rle): "},
		{"0 2001 2 0 4 02:\n", "instances_txt/0005.txt:1: column 4 (height): expected a whole number from 1"},
		{"x 2001 2 3 4 02:\n", "instances_txt/0005.txt:1: column 1 (frame): expected a whole number"},
		{"0 3001 2 3 4 02:\n", "instances_txt/0005.txt:1: id 3001 is not class 2 * 1000 + instance"},
		{"0 5001 5 3 4 02:\n", "instances_txt/0005.txt:1: class 5 (pixel value 5000..5999): not in labels.txt"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fmt_test_put("d/instances_txt/0005.txt", cases[i].text, strlen(cases[i].text));
		buf_reset(&err);
		cr_assert_eq(fmt_test_import("mots", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(err.data && !strncmp(err.data, cases[i].err, strlen(cases[i].err)), "case %zu: %s",
			  i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_mots_read_txt_mem(cases[i].text, strlen(cases[i].text), "x.txt", s, &err),
			     CAIRN_EINVAL, "case %zu", i);
		fmt_null_sink_free(s);
	}
	buf_release(&err);
}
