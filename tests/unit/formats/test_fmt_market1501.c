/*
 * test_fmt_market1501.c - the Market-1501 reader and writer: the Datumaro
 * fixture's tags and attributes, names made from tags, lists written back,
 * and errors naming the list line and the value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_market1501_read_names(const char *data, size_t len, const char *name,
			      struct fmt_sink *s, struct buf *err);

FMT_TEST_SUITE(fmt_market1501);

Test(fmt_market1501, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/market1501_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("market1501"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("market1501", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 2); /* persons 0001 and 0002 */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("market1501", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(fmt_test_slurp("out/images_query.txt"), "query/0001_c2s3_000111_00.jpg\n");
	cr_assert_str_eq(fmt_test_slurp("out/images_test.txt"),
			 "bounding_box_test/0001_c1s1_001051_00.jpg\n");
	cr_assert_str_eq(fmt_test_slurp("out/images_train.txt"),
			 "bounding_box_train/0002_c1s3_000151_00.jpg\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_market1501, names_from_lists_and_folders)
{
	const char *l = "bounding_box_val/-1_c3s2_000010_01.jpg\nbounding_box_val/x.png\n";
	fmt_test_put("d/images_val.txt", l, strlen(l));
	fmt_test_put_png20x10("d/bounding_box_val/-1_c3s2_000010_01.jpg");
	fmt_test_put_png20x10("d/bounding_box_val/x.png");
	/* a folder of a split with a list is not read twice */
	fmt_test_put_png20x10("d/bounding_box_val/0001_c1s1_000001_00.jpg");
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("market1501", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 1); /* x.png has no person */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("market1501", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/images_val.txt"), l);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_market1501, errors_name_line_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"a/0001_c0s1_000001_00.jpg\n", "images_train.txt:1: '0001_c0s1_000001_00.jpg': camera c0: cameras count from 1"},
		{"a/b.jpg\n/etc/passwd\n", "images_train.txt:2: '/etc/passwd': not a path inside the dataset"},
		{"a/b.jpg\n../c.jpg\n", "images_train.txt:2: '../c.jpg': not a path inside the dataset"},
	};
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		fmt_test_put("d/images_train.txt", cases[i].text, strlen(cases[i].text));
		struct fmt_import_report rep;
		cr_assert_eq(fmt_test_import("market1501", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(err.data && !strncmp(err.data, cases[i].err, strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_market1501_read_names(cases[i].text, strlen(cases[i].text), "x.txt", s,
						       &err), CAIRN_EINVAL, "case %zu", i);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}
