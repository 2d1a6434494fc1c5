/*
 * test_fmt_kitti.c - the KITTI reader and writer: the Datumaro fixture's
 * facts, every column written back exactly, and errors naming file, line,
 * column and value (also with skip_invalid).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_kitti_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		       struct buf *err);

FMT_TEST_SUITE(fmt_kitti);

Test(fmt_kitti, datumaro_fixture_written_back)
{
	const char *p = "../shared/fixtures/datumaro/kitti_dataset/kitti_detection";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("kitti"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("kitti", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 5);
	cr_assert_eq(rep.categories, 2);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("kitti", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("out/training/label_2/000030_10.txt"),
			 "Truck 1 0 -1 0 1 2 3 -1 -1 -1 -1 -1 -1 -1\n"
			 "Van 0 0 -1 0 5 1 8 -1 -1 -1 -1 -1 -1 -1\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_kitti, every_column_and_score_exact)
{
	fmt_test_put_png20x10("d/training/image_2/a.png");
	const char *t = "Car 0.12 2 -1.57 1.25 0.5 10.75 9 1.5 1.6 3.9 -2.1 1.7 15.3 -1.58 0.875\n"
			"Person sitting 0 0 0 1 1 2 2 -1 -1 -1 -1000 -1000 -1000 -10\n";
	fmt_test_put("d/training/label_2/a.txt", t, strlen(t));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	/* "Person sitting" has 16 columns and a word where truncated goes. */
	cr_assert_eq(fmt_test_import("kitti", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "training/label_2/a.txt:2: column 2 (truncated): expected a number, "
				   "got \"sitting\"");
	fmt_import_report_release(&rep);
	t = "Car 0.12 2 -1.57 1.25 0.5 10.75 9 1.5 1.6 3.9 -2.1 1.7 15.3 -1.58 0.875\n"
	    "DontCare -1 -1 -10 1 1 2 2 -1 -1 -1 -1000 -1000 -1000 -10\n";
	fmt_test_put("d/training/label_2/a.txt", t, strlen(t));
	buf_reset(&err);
	cr_assert_eq(fmt_test_import("kitti", p, false, &rep, &err), 0, "%s", err.data);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("kitti", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/training/label_2/a.txt"), t);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_kitti, errors_name_file_line_column_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"Car 0 0 0 x 2 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 5 (x1): expected a number, got \"x\""},
		{"\nCar 0 0 0\n", "l.txt:2: expected 15 or 16 space-separated columns"},
		{"Car 0 1.5 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 3 (occluded): expected 0, 1, 2, 3 (or -1), got \"1.5\""},
		{"Car 0 0 0 1 9 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 8 (y2): expected >= 9, got \"4\""},
		{"Car 0 0 0 1 2 3 4 -1 -1 -1 -1 -1 -1 inf\n", "l.txt:1: column 15 (rotation_y): expected a number, got \"inf\""},
	};
	fmt_test_put_png20x10("d/image_2/l.png");
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		struct fmt_import_report rep;
		fmt_test_put("d/label_2/l.txt", cases[i].text, strlen(cases[i].text));
		cr_assert_eq(fmt_test_import("kitti", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(!strncmp(err.data, "label_2/", 8) && !strncmp(err.data + 8, cases[i].err,
									strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_kitti_read_mem(cases[i].text, strlen(cases[i].text), "l.txt", s, &err),
			     CAIRN_EINVAL);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}

Test(fmt_kitti, skip_invalid_keeps_the_good_lines)
{
	const char *t = "Car 0 0 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\nCar 0\n";
	fmt_test_put("d/label_2/a.txt", t, strlen(t));
	fmt_test_put_png20x10("d/image_2/a.png");
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("kitti", p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "label_2/a.txt:2: expected 15 or 16"), "%s",
		  rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
