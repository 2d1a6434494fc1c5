/*
 * test_fmt_coco.c - the COCO reader and writer through the import driver:
 * a store in a temporary folder, the Datumaro facts, errors with paths.
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


static int import_text(const char *json, bool skip, struct fmt_import_report *rep, struct buf *err)
{
	return fmt_test_import_text("coco", "in.json", json, skip, rep, err);
}

FMT_TEST_SUITE(fmt_coco);

Test(fmt_coco, datumaro_instances_val)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	const char *path = "../shared/fixtures/datumaro/coco_dataset/coco_instances/annotations/"
			   "instances_val.json";
	int rc = fmt_test_import("coco", path, false, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.categories, 3);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("coco")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	char file[160];
	snprintf(file, sizeof(file), "%s/annotations/instances_val.json", out);
	FILE *f = fopen(file, "r");
	cr_assert(f);
	char b[4096];
	size_t n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = 0;
	fclose(f);
	cr_assert(strstr(b, "{\"id\":40,\"file_name\":\"b.jpg\",\"width\":5,\"height\":10}"), "%s", b);
	cr_assert(strstr(b, "\"segmentation\":[[0,0,1,0,1,2,0,2]],\"area\":2,\"bbox\":[0,0,1,2]"), "%s", b);
	cr_assert(strstr(b, "{\"size\":[10,5],\"counts\":[0,20,30]},\"area\":20,\"bbox\":[0,0,2,10],"
			    "\"iscrowd\":1"), "%s", b);
	cr_assert(strstr(b, "{\"id\":4,\"name\":\"c\""), "%s", b);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_coco, errors_name_the_path)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text("{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":4,\"height\":3}],"
			     "\"categories\":[{\"id\":1,\"name\":\"a\"}],\"annotations\":["
			     "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1]}]}",
			     false, &rep, &err);
	cr_assert_eq(rc, CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "in.json: $.annotations[0].bbox: expected 4 numbers [x, y, width, "
				   "height], got 3");
	fmt_import_report_release(&rep);
	buf_release(&err);
}

Test(fmt_coco, skip_invalid_keeps_the_rest)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = import_text("{\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1]},"
			     "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]}],"
			     "\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":4,\"height\":3}],"
			     "\"categories\":[{\"id\":1,\"name\":\"a\"}]}",
			     true, &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.skipped, 1);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.annotations, 1);
	cr_assert(strstr(rep.skipped_text.data, "$.annotations[0].bbox"));
	fmt_import_report_release(&rep);
	buf_release(&err);
}

Test(fmt_coco, truncated_json)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	const char *t = "{\"images\":[{\"id\":1,";
	cr_assert_eq(fmt_coco_read_mem(t, strlen(t), "t.json", s, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "t.json:1: invalid JSON"), "%s", err.data);
	fmt_null_sink_free(s);
	buf_release(&err);
}

Test(fmt_coco, split_is_deterministic_by_group)
{
	struct fmt_split sp;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_split_parse(&sp, "train=70,val=15,test=15", &err), 0);
	struct item a = {0}, b = {0};
	a.source_group = "seq1";
	a.name = "x.jpg";
	b.source_group = "seq1";
	b.name = "y.jpg";
	cr_assert_str_eq(fmt_split_of(&sp, &a), fmt_split_of(&sp, &b));
	int counts[3] = {0};
	char g[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(g, sizeof(g), "g%d", i);
		a.source_group = g;
		const char *s = fmt_split_of(&sp, &a);
		counts[!strcmp(s, "train") ? 0 : !strcmp(s, "val") ? 1 : 2]++;
	}
	cr_assert(counts[0] > 6700 && counts[0] < 7300, "%d", counts[0]);
	cr_assert(counts[1] > 1300 && counts[1] < 1700, "%d", counts[1]);
	cr_assert_eq(fmt_split_parse(&sp, "train=x", &err), CAIRN_EINVAL);
	buf_release(&err);
}

/* An item as `cairn ingest photos/` names it, without media on disk. */
static int64_t add_item(const char *name, const char *hash)
{
	struct item it = {0};
	it.project_id = ft.pid;
	it.kind = ITEM_IMAGE;
	it.name = (char *)name;
	snprintf(it.hash, sizeof(it.hash), "%s", hash);
	it.width = 4;
	it.height = 3;
	int64_t id = 0;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_item_add(ft.st, &it, &id, &err), 0, "%s", err.data);
	buf_release(&err);
	return id;
}

static int import_media(const char *json, struct fmt_import_report *rep, struct buf *err)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/in.json", ft.dir);
	fmt_test_puts("in.json", json);
	struct fmt_import_opts o = {0};
	o.data_dir = ft.dir;
	o.kind = ANN_GOLD;
	return fmt_import(ft.st, ft.pid, fmt_find("coco"), path, &o, rep, err);
}

Test(fmt_coco, annotations_alone_attach_to_items_by_file_name)
{
	int64_t a = add_item("photos/a.jpg", "ha");
	add_item("photos/b.jpg", "hb");
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	const char *cats = "\"categories\":[{\"id\":1,\"name\":\"cat\"}]";
	char json[512];
	snprintf(json, sizeof(json), "{\"images\":[{\"id\":7,\"file_name\":\"a.jpg\",\"width\":4,"
		 "\"height\":3}],%s,\"annotations\":[{\"id\":1,\"image_id\":7,\"category_id\":1,"
		 "\"bbox\":[0,0,1,1]}]}", cats);
	cr_assert_eq(import_media(json, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.items_added, 0);
	cr_assert_eq(rep.annotations, 1);
	fmt_import_report_release(&rep);
	struct annotation ann;
	struct annotation_key k = {.item_id = a, .kind = ANN_GOLD, .source = ""};
	cr_assert_eq(store_annotation_find(ft.st, &k, &ann, &err), 0, "%s", err.data);
	annotation_release(&ann);
	struct item it;
	cr_assert_eq(store_item_get(ft.st, a, &it, &err), 0);
	cr_assert_str_eq(it.meta, "{\"coco_id\":7,\"file_name\":\"a.jpg\"}");
	item_release(&it);

	/* A name no item has: an error naming the image; nothing written. */
	snprintf(json, sizeof(json), "{\"images\":[{\"id\":7,\"file_name\":\"b.jpg\",\"width\":4,"
		 "\"height\":3},{\"id\":8,\"file_name\":\"c.jpg\",\"width\":4,\"height\":3}],%s,"
		 "\"annotations\":[{\"id\":1,\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1]}]}",
		 cats);
	cr_assert_eq(import_media(json, &rep, &err), CAIRN_ENOTFOUND);
	cr_assert(strstr(err.data, "in.json: $.images[1]: media file 'c.jpg' not found in ") &&
		  strstr(err.data, "and the project has no item of that name"), "%s", err.data);
	fmt_import_report_release(&rep);
	struct project_stats ps;
	cr_assert_eq(store_project_stats(ft.st, ft.pid, &ps, &err), 0);
	cr_assert_eq(ps.items, 2);
	cr_assert_eq(ps.annotations, 1);

	/* Two items of that name: an error naming both. */
	add_item("other/a.jpg", "hc");
	snprintf(json, sizeof(json), "{\"images\":[{\"id\":7,\"file_name\":\"a.jpg\",\"width\":4,"
		 "\"height\":3}],%s,\"annotations\":[]}", cats);
	cr_assert_eq(import_media(json, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "in.json: $.images[0]: file name 'a.jpg' matches 2 items of the "
		     "project: 'photos/a.jpg' (item 1), 'other/a.jpg' (item 3) (give --media DIR to "
		     "match by content)");
	fmt_import_report_release(&rep);
	buf_release(&err);
}
