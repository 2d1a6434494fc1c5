/*
 * test_fmt_mot.c - the MOT reader and writer: the Datumaro fixture's
 * facts, gt.txt written back exactly, and errors naming file, line,
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

int fmt_mot_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err);

FMT_TEST_SUITE(fmt_mot);

Test(fmt_mot, datumaro_fixture_written_back)
{
	const char *p = "../shared/fixtures/datumaro/mot_dataset/mot_seq_with_seqinfo";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("mot"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mot", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.categories, 1);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("mot", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	/* Frame 1, no track, box 0 4 4 8, class 3 (label_2), visibility 1. */
	cr_assert_str_eq(fmt_test_slurp("out/gt/gt.txt"), "1,-1,0,4,4,8,1,3,1\n");
	cr_assert_str_eq(fmt_test_slurp("out/gt/labels.txt"), "unused_1\nunused_2\nlabel_2\n");
	const char *ini = fmt_test_slurp("out/seqinfo.ini");
	cr_assert(strstr(ini, "seqLength=1\nimWidth=16\nimHeight=16\nimExt=.jpg\n"), "%s", ini);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_mot, tracks_and_fractions_exact)
{
	fmt_test_puts("s/seqinfo.ini",
		      "[Sequence]\nimDir=img1\nseqLength=2\nimWidth=40\nimHeight=30\nimExt=.png\n");
	fmt_test_puts("s/gt/labels.txt", "a\nb\n");
	const char *gt = "1,7,0.1,0.2,10.25,3.5,1,2,0.3\n2,7,1.1,0.2,10.25,3.5,0,2,0.125\n";
	fmt_test_puts("s/gt/gt.txt", gt);
	char p[128];
	snprintf(p, sizeof(p), "%s/s", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mot", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("mot", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/gt/gt.txt"), gt);
	cr_assert_str_eq(fmt_test_slurp("out/gt/labels.txt"), "unused_1\nb\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_mot, errors_name_file_line_column_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"1,1,0,0,x,4,1,1,1\n", "gt.txt:1: column 5 (w): expected a number, got \"x\""},
		{"\n1,1,0,0\n", "gt.txt:2: expected 6 to 10 comma-separated columns (frame,id,x,y,w,h,"
				"conf,class,visibility), got 4"},
		{"1,1,0,0,-4,4,1,1,1\n", "gt.txt:1: column 5 (w): expected a size >= 0, got \"-4\""},
		{"1,-2,0,0,4,4,1,1,1\n", "gt.txt:1: column 2 (id): expected a track id >= 0 or -1, got \"-2\""},
		{"1,1,0,0,4,4,1,0,1\n", "gt.txt:1: column 8 (class): expected a class 1 to 100000 or -1, got \"0\""},
		{"1,1,0,0,4,4,1,1,nan\n", "gt.txt:1: column 9 (visibility): expected a number, got \"nan\""},
		{"1,1,0,0,4,4,1,1,1,0,0\n", "gt.txt:1: expected 6 to 10 comma-separated columns"},
	};
	fmt_test_puts("s/seqinfo.ini", "[Sequence]\nseqLength=1\nimWidth=40\nimHeight=30\n");
	char p[128];
	snprintf(p, sizeof(p), "%s/s", ft.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		struct fmt_import_report rep;
		fmt_test_puts("s/gt/gt.txt", cases[i].text);
		cr_assert_eq(fmt_test_import("mot", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(!strncmp(err.data, "gt/", 3) && !strncmp(err.data + 3, cases[i].err,
								   strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		/* The same bytes through the fuzz entry: an error, no crash. */
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_mot_read_mem(cases[i].text, strlen(cases[i].text), "gt.txt", s, &err),
			     CAIRN_EINVAL);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}

Test(fmt_mot, skip_invalid_keeps_the_good_lines)
{
	fmt_test_puts("s/seqinfo.ini", "[Sequence]\nseqLength=1\nimWidth=40\nimHeight=30\n");
	fmt_test_puts("s/gt/gt.txt", "1,1,0,0,4,4,1,1,1\n1,2,0,0,x,4,1,1,1\n");
	char p[128];
	snprintf(p, sizeof(p), "%s/s", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("mot", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "gt/gt.txt:2: column 5 (w): expected a number, got \"x\"");
	fmt_import_report_release(&rep);
	buf_reset(&err);
	cr_assert_eq(fmt_test_import("mot", p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "gt/gt.txt:2: column 5 (w)"), "%s", rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
