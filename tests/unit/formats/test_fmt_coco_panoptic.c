/*
 * test_fmt_coco_panoptic.c - COCO panoptic through the import driver: the
 * Datumaro fixture's segments, the JSON and PNGs written back, and errors
 * naming the JSON path.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

static char dir[64];
static struct store *st;
static int64_t pid;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cairn-pan-XXXXXX");
	cr_assert(mkdtemp(dir));
	char db[128];
	snprintf(db, sizeof(db), "%s/cairn.db", dir);
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, db, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", "", 0, NULL, &pid, &err), 0, "%s", err.data);
	buf_release(&err);
}

static void teardown(void)
{
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static char *slurp(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "rb");
	cr_assert(f, "%s", p);
	static char b[8192];
	size_t n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static int import(const char *path, struct fmt_import_report *rep, struct buf *err)
{
	struct fmt_import_opts o = {0};
	o.data_dir = dir;
	o.no_media = true;
	o.kind = ANN_GOLD;
	return fmt_import(st, pid, fmt_find("coco-panoptic"), path, &o, rep, err);
}

TestSuite(fmt_coco_panoptic, .init = setup, .fini = teardown);

Test(fmt_coco_panoptic, datumaro_fixture_written_back)
{
	const char *p = "../shared/fixtures/datumaro/coco_dataset/coco_panoptic";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("coco-panoptic"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 2);
	/* a.png is 5x5 for a 10x5 image: padded, and noted. */
	cr_assert_eq(rep.notes.n, 1);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("coco-panoptic")->write(st, pid, out, &wo, &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	const char *j = slurp("out/annotations/panoptic_val.json");
	cr_assert(strstr(j, "\"images\":[{\"id\":40,\"width\":5,\"height\":10,\"file_name\":\"b.jpg\"}]"), "%s", j);
	cr_assert(strstr(j, "{\"image_id\":40,\"file_name\":\"b.png\",\"segments_info\":["
			 "{\"id\":7,\"category_id\":1,\"iscrowd\":0,\"bbox\":[0,0,2,10],\"area\":20},"
			 "{\"id\":20,\"category_id\":2,\"iscrowd\":1,\"bbox\":[2,0,2,10],\"area\":20}]}"), "%s", j);
	cr_assert(strstr(j, "\"categories\":[{\"id\":1,\"name\":\"a\",\"supercategory\":\"\",\"isthing\":0},"
			 "{\"id\":2,\"name\":\"b\",\"supercategory\":\"\",\"isthing\":0}]"), "%s", j);
	j = slurp("out/annotations/panoptic_train.json");
	cr_assert(strstr(j, "{\"id\":460551,\"category_id\":1,\"iscrowd\":0,\"bbox\":[0,0,5,5],\"area\":25}"),
		  "%s", j);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_coco_panoptic, errors_name_the_json_path)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/x.json", dir);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fputs("{\"images\":[{\"id\":1,\"width\":2,\"height\":2,\"file_name\":\"x.jpg\"}],"
	      "\"categories\":[{\"id\":1,\"name\":\"a\"}],"
	      "\"annotations\":[{\"image_id\":1,\"file_name\":\"x.png\",\"segments_info\":{}}]}", f);
	fclose(f);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "x.json: $.annotations[0].segments_info: expected an array, got an object");
	fmt_import_report_release(&rep);
	buf_release(&err);
}
