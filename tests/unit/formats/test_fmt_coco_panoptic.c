/*
 * test_fmt_coco_panoptic.c - COCO panoptic through the import driver: the
 * Datumaro fixture's segments, the JSON and PNGs written back, and errors
 * naming the JSON path.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

FMT_TEST_SUITE(fmt_coco_panoptic);

Test(fmt_coco_panoptic, datumaro_fixture_written_back)
{
	const char *p = "../shared/fixtures/datumaro/coco_dataset/coco_panoptic";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("coco-panoptic"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("coco-panoptic", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 2);
	/* a.png is 5x5 for a 10x5 image: padded, and noted. */
	cr_assert_eq(rep.notes.n, 1);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("coco-panoptic", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	const char *j = fmt_test_slurp("out/annotations/panoptic_val.json");
	cr_assert(strstr(j, "\"images\":[{\"id\":40,\"width\":5,\"height\":10,\"file_name\":\"b.jpg\"}]"), "%s", j);
	cr_assert(strstr(j, "{\"image_id\":40,\"file_name\":\"b.png\",\"segments_info\":["
			 "{\"id\":7,\"category_id\":1,\"iscrowd\":0,\"bbox\":[0,0,2,10],\"area\":20},"
			 "{\"id\":20,\"category_id\":2,\"iscrowd\":1,\"bbox\":[2,0,2,10],\"area\":20}]}"), "%s", j);
	cr_assert(strstr(j, "\"categories\":[{\"id\":1,\"name\":\"a\",\"supercategory\":\"\",\"isthing\":0},"
			 "{\"id\":2,\"name\":\"b\",\"supercategory\":\"\",\"isthing\":0}]"), "%s", j);
	j = fmt_test_slurp("out/annotations/panoptic_train.json");
	cr_assert(strstr(j, "{\"id\":460551,\"category_id\":1,\"iscrowd\":0,\"bbox\":[0,0,5,5],\"area\":25}"),
		  "%s", j);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_coco_panoptic, errors_name_the_json_path)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/x.json", ft.dir);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fputs("{\"images\":[{\"id\":1,\"width\":2,\"height\":2,\"file_name\":\"x.jpg\"}],"
	      "\"categories\":[{\"id\":1,\"name\":\"a\"}],"
	      "\"annotations\":[{\"image_id\":1,\"file_name\":\"x.png\",\"segments_info\":{}}]}", f);
	fclose(f);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("coco-panoptic", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "x.json: $.annotations[0].segments_info: expected an array, got an object");
	fmt_import_report_release(&rep);
	buf_release(&err);
}
