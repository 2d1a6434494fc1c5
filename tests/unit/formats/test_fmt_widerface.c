/*
 * test_fmt_widerface.c - the WIDER Face reader and writer: the Datumaro
 * fixture's counts, a file written back exactly (flags, labels, an image
 * without faces), skip_invalid, and errors naming file, line and value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_widerface_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err);

FMT_TEST_SUITE(fmt_widerface);

Test(fmt_widerface, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/widerface_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("widerface"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("widerface", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	cr_assert_eq(rep.objects, 9); /* 6 faces and 3 event tags */
	cr_assert_eq(rep.categories, 3);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("widerface", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("out/wider_face_split/wider_face_train_bbx_gt.txt"),
			 "0--Parade/0_Parade_image_01.jpg\n1\n1 2 2 2 0 0 0 0 0 0\n"
			 "1--Handshaking/1_Handshaking_image_02.jpg\n2\n1 1 2 2 0 0 1 0 0 0\n"
			 "5 1 2 2 0 0 1 0 0 0\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_widerface, written_back_exactly)
{
	const char *t = "9--X/a.jpg\n2\n0.5 1 2 3.25 1 - 0 True 2 False\n1 2 3 4 mask\n"
			"9--X/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n";
	fmt_test_put("d/wider_face_split/wider_face_val_bbx_gt.txt", t, strlen(t));
	fmt_test_put_png20x10("d/WIDER_val/images/9--X/a.jpg");
	fmt_test_put_png20x10("d/WIDER_val/images/9--X/b.jpg");
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("widerface", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 4); /* two faces, two tags X */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("widerface", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/wider_face_split/wider_face_val_bbx_gt.txt"), t);
	cr_assert_str_eq(fmt_test_slurp("out/labels.txt"), "face\nX\nmask\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_widerface, errors_name_file_line_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"a/b.jpg\n1\n1 2 x 4\n", "g.txt:3: column 3 (w): expected a number, got \"x\""},
		{"a/b.jpg\n1\n1 2 3\n", "g.txt:3: expected x y w h, then optionally"},
		{"a/b.jpg\n1\n1 2 -3 4\n", "g.txt:3: column 3 (w): a negative size \"-3\""},
		{"a/b.jpg\n2000000\n", "g.txt:2: face count 2000000: expected 0 to 1000000"},
		{"a/b.jpg\n2\n1 2 3 4\n", "g.txt:1: the file ends 1 face line short of the count"},
		{"a/b.jpg\n0\n1 2 3 4\n1 2 3 4\n", "g.txt:4: expected an image path"},
		{"../b.jpg\n0\n", "g.txt:1: '../b.jpg': not a path inside the dataset"},
		{"a/b.jpg\n1\n1 2 3 4\0\n", "g.txt:3: a NUL byte"},
	};
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	const char *pre = "wider_face_split/wider_face_train_bbx_gt.txt:";
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		size_t len = strlen(cases[i].text) + (i == 7 ? 2 : 0);
		fmt_test_put("d/wider_face_split/wider_face_train_bbx_gt.txt", cases[i].text, len);
		struct fmt_import_report rep;
		cr_assert_eq(fmt_test_import("widerface", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_import_report_release(&rep);
		const char *want = cases[i].err + 6; /* past "g.txt:" */
		cr_assert(err.data && !strncmp(err.data, pre, strlen(pre)) &&
			  !strncmp(err.data + strlen(pre), want, strlen(want)),
			  "case %zu: %s", i, err.data);
		/* The same bytes through the fuzzing entry: the same verdict. */
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_widerface_read_mem(cases[i].text, len, "g.txt", s, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}

Test(fmt_widerface, skip_invalid_keeps_the_good_lines)
{
	const char *t = "9--X/a.jpg\n2\n1 2 3 4\n1 2 q 4\n";
	fmt_test_put("d/wider_face_split/wider_face_train_bbx_gt.txt", t, strlen(t));
	fmt_test_put_png20x10("d/WIDER_train/images/9--X/a.jpg");
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("widerface", p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "wider_face_train_bbx_gt.txt:4: column 3 (w)"), "%s",
		  rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
