/*
 * test_fmt_labelme.c - LabelMe JSON: every shape type through the import
 * driver and back out, and errors with their JSON paths.
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

FMT_TEST_SUITE(fmt_labelme);

static int import_text(const char *json, bool skip, struct fmt_import_report *rep, struct buf *err)
{
	return fmt_test_import_text("labelme", "img.json", json, skip, rep, err);
}


Test(fmt_labelme, shapes_in_and_out)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text(
		"{\"flags\":{\"night\":true,\"rain\":false},\"shapes\":["
		"{\"label\":\"car\",\"points\":[[30,40],[10,20]],\"shape_type\":\"rectangle\","
		"\"group_id\":3,\"flags\":{\"occluded\":true}},"
		"{\"label\":\"p\",\"points\":[[1,1],[9,1],[5,8]],\"shape_type\":\"polygon\"},"
		"{\"label\":\"l\",\"points\":[[0,0],[5,5],[9,2]],\"shape_type\":\"linestrip\"},"
		"{\"label\":\"w\",\"points\":[[10,10],[13,14]],\"shape_type\":\"circle\"},"
		"{\"label\":\"s\",\"points\":[[7,7]],\"shape_type\":\"point\"}],"
		"\"imagePath\":\"sub/../x.jpg\",\"imageData\":\"AAAA\",\"imageWidth\":50,\"imageHeight\":60}",
		false, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 6); /* the night tag and 5 shapes */
	fmt_import_report_release(&rep);
	char out[128], file[160];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("labelme")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	cr_assert_eq(loss.n, 0);
	snprintf(file, sizeof(file), "%s/x.json", out);
	char *b = fmt_test_slurp_path(file);
	cr_assert(strstr(b, "\"flags\":{\"night\":true}"), "%s", b);
	cr_assert(strstr(b, "\"label\":\"car\",\"points\":[[10,20],[30,40]],\"group_id\":3,"
			    "\"description\":\"\",\"shape_type\":\"rectangle\",\"flags\":{\"occluded\":true}"),
		  "%s", b);
	cr_assert(strstr(b, "\"points\":[[10,10],[15,10]],\"group_id\":null,\"description\":\"\","
			    "\"shape_type\":\"circle\""), "%s", b);
	cr_assert(strstr(b, "\"shape_type\":\"linestrip\""), "%s", b);
	cr_assert(strstr(b, "\"imagePath\":\"x.jpg\",\"imageData\":null,\"imageHeight\":60,"
			    "\"imageWidth\":50"), "%s", b);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_labelme, errors_name_path_and_value)
{
	struct buf err = BUF_INIT;
	char path[128];
	snprintf(path, sizeof(path), "%s/a.json", ft.dir);
	const char *docs[] = {
		"{\"shapes\":[{\"label\":\"a\",\"points\":[[1,2]],\"shape_type\":\"rectangle\"}],"
		"\"imagePath\":\"a.jpg\"}",
		"{\"shapes\":[{\"label\":\"a\",\"points\":[[1,true]]}],\"imagePath\":\"a.jpg\"}",
		"{\"shapes\":",
	};
	const char *want[] = {
		"a.json: $.shapes[0].points: a rectangle needs 2 points, got 1",
		"a.json: $.shapes[0].points[0][1]: expected a number, got true",
		"a.json: line 1: invalid JSON: ",
	};
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(path, "w");
		fputs(docs[i], f);
		fclose(f);
		cr_assert_eq(fmt_read_null(fmt_find("labelme"), path, &err), CAIRN_EINVAL);
		cr_assert(!strncmp(err.data, want[i], strlen(want[i])), "%s", err.data);
	}
	buf_release(&err);
}

Test(fmt_labelme, skip_invalid_keeps_the_rest)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text("{\"shapes\":[{\"label\":\"a\",\"points\":[[1,2],[3,4]],\"shape_type\":"
			     "\"polygon\"},{\"label\":\"a\",\"points\":[[1,2],[3,4],[0,5]]}],"
			     "\"imagePath\":\"a.jpg\",\"imageWidth\":9,\"imageHeight\":9}",
			     true, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.skipped, 1);
	cr_assert_eq(rep.objects, 1);
	cr_assert(strstr(rep.skipped_text.data, "img.json: $.shapes[0].points: a polygon needs at "
			 "least 3 points, got 2"), "%s", rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
