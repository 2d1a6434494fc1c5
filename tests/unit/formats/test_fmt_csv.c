/*
 * test_fmt_csv.c - the CSV reader: RFC 4180 quoting, several tags of one
 * image, errors with line numbers; the writer's quoting.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

FMT_TEST_SUITE(fmt_csv);

static int read_text(const char *csv, struct buf *err)
{
	return fmt_test_read_text("csv", "labels.csv", csv, err);
}


Test(fmt_csv, quoting_and_line_ends)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(read_text("\xef\xbb\xbfImage,Label,Note\r\n\"a,b.jpg\",\"x \"\"y\"\"\",\r\n\r\n"
			       "c.jpg,z,\"two\nlines\"\nd.jpg,,\n", &err), 0, "%s", err.data);
	/* The row after a quoted line break starts on line 5. */
	cr_assert_eq(read_text("image,label\na.jpg,cat\n\"c\n.jpg\",two\nd.jpg,c,x\n", &err),
		     CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:5: expected 2 fields as the header has, got 3");
	cr_assert_eq(read_text("label,extra,file_name\ncat,1,a.jpg", &err), 0, "%s", err.data);
	buf_release(&err);
}

Test(fmt_csv, errors_with_line_numbers)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(read_text("image,label\na.jpg,cat\n\"b\nc.jpg\",dog,x\n", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:3: expected 2 fields as the header has, got 3");
	cr_assert_eq(read_text("image,label\na.jpg,\"cat\n", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:2: field 2: unterminated quoted field (it runs to the "
				   "end of the file)");
	cr_assert_eq(read_text("image,label\na.jpg,c\"at\n", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:2: field 2: a quote inside an unquoted field (quote the "
				   "whole field and double the quote)");
	cr_assert_eq(read_text("name,tag\n", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:1: header 'name,tag': no 'image' column (expected "
				   "image,label)");
	cr_assert_eq(read_text("", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels.csv:1: empty file (expected a header: image,label)");
	buf_release(&err);
}

Test(fmt_csv, tags_in_and_out)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	/* --no-media needs sizes, which a CSV has not: each image is reported. */
	cr_assert_eq(fmt_test_import_text("csv", "labels.csv",
					  "image,label\na.jpg,cat\na.jpg,\"big, fluffy\"\n"
					  "\"b \"\"q\"\".jpg\",dog\n",
					  true, &rep, &err),
		     0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 3);
	cr_assert(strstr(rep.skipped_text.data, "which --no-media needs"), "%s", rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
