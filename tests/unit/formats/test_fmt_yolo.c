/*
 * test_fmt_yolo.c - the YOLO reader and writer through the import driver:
 * the Datumaro fixture's facts, a dataset written to a temporary folder and
 * read back, and errors naming the file and line.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

/* In fmt_yolo.c: one label file's text into the sink, with classes 0..nclasses-1. */
int fmt_yolo_read_labels_mem(const char *data, size_t len, const char *name, size_t nclasses,
			     struct fmt_sink *s, struct buf *err);

FMT_TEST_SUITE(fmt_yolo);

Test(fmt_yolo, datumaro_darknet_layout)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	int rc = fmt_test_import("yolo", "../shared/fixtures/datumaro/yolo_dataset/strict", false,
				 &rep, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.categories, 10);
	fmt_import_report_release(&rep);
	/* As COCO: the box of class 2 is x=0 y=2 w=4 h=2 on the 15x10 image. */
	char out[128];
	snprintf(out, sizeof(out), "%s/coco", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("coco")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	char file[320];
	snprintf(file, sizeof(file), "%s/annotations/instances_train.json", out);
	const char *b = fmt_test_slurp_path(file);
	cr_assert(strstr(b, "\"width\":15,\"height\":10"), "%s", b);
	const char *bb = strstr(b, "\"category_id\":2,");
	cr_assert(bb, "%s", b);
	bb = strstr(bb, "\"bbox\":[");
	double x, y, w, h;
	cr_assert_eq(sscanf(bb, "\"bbox\":[%lf,%lf,%lf,%lf]", &x, &y, &w, &h), 4, "%s", bb);
	cr_assert(fabs(x) < 1e-4 && fabs(y - 2) < 1e-4 && fabs(w - 4) < 1e-4 && fabs(h - 2) < 1e-4,
		  "%g %g %g %g", x, y, w, h);
	/* Back to YOLO: the same numbers and names, ids kept. */
	snprintf(out, sizeof(out), "%s/yolo", ft.dir);
	cr_assert_eq(fmt_find("yolo")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	cr_assert_eq(loss.n, 0);
	snprintf(file, sizeof(file), "%s/labels/train/obj_train_data/1.txt", out);
	cr_assert_str_eq(fmt_test_slurp_path(file),
			 "2 0.133333 0.3 0.266667 0.2\n4 0.266667 0.45 0.133333 0.3\n");
	snprintf(file, sizeof(file), "%s/data.yaml", out);
	b = fmt_test_slurp_path(file);
	cr_assert(strstr(b, "nc: 10\nnames:\n  0: \"label_0\"\n"), "%s", b);
	cr_assert(strstr(b, "  9: \"label_9\"\n"), "%s", b);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_yolo, ultralytics_round_trip_with_polygon_as_box)
{
	fmt_test_put_png20x10("ds/images/train/a.png");
	const char *yaml = "# comment\npath: .\ntrain: images/train\nval: images/train\n"
			   "names: {0: 'a b', 1: \"c\"}\n";
	fmt_test_put("ds/data.yaml", yaml, strlen(yaml));
	const char *lab = "0 0.5 0.5 0.5 0.2\n1 0.1 0.1 0.3 0.1 0.3 0.5\n";
	fmt_test_put("ds/labels/train/a.txt", lab, strlen(lab));
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("yolo"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("yolo", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("yolo")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	char file[320];
	snprintf(file, sizeof(file), "%s/labels/train/a.txt", out);
	/* The triangle (2,1) (6,1) (6,5) comes back as its box: centre (4,3), 4x4 px. */
	cr_assert_str_eq(fmt_test_slurp_path(file), "0 0.5 0.5 0.5 0.2\n1 0.2 0.3 0.2 0.4\n");
	cr_assert_eq(loss.n, 1);
	cr_assert_str_eq(loss.v[0].what, "polygon (written as its bounding box)");
	snprintf(file, sizeof(file), "%s/data.yaml", out);
	const char *written = fmt_test_slurp_path(file);
	cr_assert(strstr(written, "names:\n  0: \"a b\"\n  1: \"c\"\n"), "%s", written);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_yolo, errors_name_the_file_and_line)
{
	fmt_test_put_png20x10("ds/images/train/a.png");
	const char *yaml = "names: [a, b]\ntrain: images/train\n";
	fmt_test_put("ds/data.yaml", yaml, strlen(yaml));
	const char *lab = "0 0.5 0.5 0.1 0.1\n\n1 0.5 0.5 0.1\n";
	fmt_test_put("ds/labels/train/a.txt", lab, strlen(lab));
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("yolo", p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "labels/train/a.txt:3: expected 5 numbers (class cx cy w h), got 4");
	fmt_import_report_release(&rep);
	/* With skip_invalid the good line is kept and the bad one reported. */
	buf_reset(&err);
	cr_assert_eq(fmt_test_import("yolo", p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "labels/train/a.txt:3: "), "%s", rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}

Test(fmt_yolo, yaml_subset)
{
	fmt_test_put_png20x10("ds/images/train/a.png");
	char p[128];
	snprintf(p, sizeof(p), "%s/ds/data.yaml", ft.dir);
	static const struct {
		const char *yaml, *err;
	} cases[] = {
		{"names: [a]\ntrain: images/train\nroboflow:\n  workspace: x\n",
		 "data.yaml:3: 'roboflow' is not supported (only path, train, val, test, names, nc and "
		 "kpt_shape are read)"},
		{"names:\n\t- a\n", "data.yaml:2: a tab in the indentation (YAML allows spaces only)"},
		{"names: [a\ntrain: images/train\n",
		 "data.yaml:1: names: a flow sequence must end on the same line with ']'"},
		{"names:\n  0: b\n  x: a\ntrain: images/train\n",
		 "data.yaml:3: names: key 'x' is not a class id (0 to 99999)"},
		{"names: ['it''s', \"q\\\"\"]\nnames: [b]\n",
		 "data.yaml:2: 'names' is given twice (also on line 1)"},
		{"train: images/train\n", "data.yaml: no 'names' (the class names)"},
		{"names: [a, a]\ntrain: images/train\n", "category name 'a' is used twice"},
		{"  names: [a]\n", "data.yaml:1: unexpected indentation"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_test_put("ds/data.yaml", cases[i].yaml, strlen(cases[i].yaml));
		struct buf err = BUF_INIT;
		struct fmt_sink *s = fmt_null_sink_new();
		int rc = fmt_find("yolo")->read(p, s, &err);
		fmt_null_sink_free(s);
		cr_assert_neq(rc, 0, "case %zu", i);
		cr_assert(strstr(err.data, cases[i].err), "case %zu: %s", i, err.data);
		buf_release(&err);
	}
}

Test(fmt_yolo, label_lines_on_a_null_sink)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	const char *ok = "0 0.5 0.5 1 1\n1 0 0 1 0 1 1 0 1\n\n";
	cr_assert_eq(fmt_yolo_read_labels_mem(ok, strlen(ok), "a.txt", 2, s, &err), 0, "%s", err.data);
	static const struct {
		const char *text, *err;
	} bad[] = {
		{"0 0.5 0.5 1.0000011 1\n", "a.txt:1: w 1.0000011 is outside [0, 1]"},
		{"0 0.5 0.5 1.000001 1\n5 0 0 0 0\n", "a.txt:2: class 5 is out of range"},
		{"-1 0 0 0 0\n", "a.txt:1: class -1 is out of range"},
		{"0 inf 0 0 0\n", "a.txt:1: cx is inf, not a finite number"},
		{"0 0 0 0 0 0\n", "a.txt:1: expected 5 numbers (class cx cy w h), got 6"},
		{"0 0 0 0 0 1e999\n", "a.txt:1: expected 5 numbers (class cx cy w h), got 6"},
		{"x\n", "a.txt:1: expected 5 numbers (class cx cy w h), got 1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		cr_assert_eq(fmt_yolo_read_labels_mem(bad[i].text, strlen(bad[i].text), "a.txt", 2, s,
						      &err), CAIRN_EINVAL, "case %zu", i);
		cr_assert(strstr(err.data, bad[i].err), "case %zu: %s", i, err.data);
	}
	fmt_null_sink_free(s);
	buf_release(&err);
}

/* A COCO file (no media) into the project; the YOLO export's label file of a.jpg and its loss. */
static void coco_to_yolo(const char *json, enum fmt_segm segm, char *labels, size_t cap,
			 struct fmt_loss *loss, char *yaml, size_t ycap)
{
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import_text("coco", "in.json", json, false, &rep, &err), 0, "%s",
		     err.data);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_write_opts wo = {0};
	wo.segm = segm;
	cr_assert_eq(fmt_find("yolo")->write(ft.st, ft.pid, out, &wo, loss, &err), 0,
		     "%s", err.data);
	snprintf(labels, cap, "%s", fmt_test_slurp("out/labels/train/a.txt"));
	snprintf(yaml, ycap, "%s", fmt_test_slurp("out/data.yaml"));
	buf_release(&err);
}

static int64_t loss_of(const struct fmt_loss *l, const char *what)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].what, what))
			return l->v[i].n;
	return 0;
}

Test(fmt_yolo, segment_export_from_coco)
{
	char labels[1024], yaml[1024];
	struct fmt_loss loss = {0};
	coco_to_yolo("{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":10,\"height\":20}],"
		     "\"categories\":[{\"id\":7,\"name\":\"x\"},{\"id\":9,\"name\":\"y\"}],"
		     "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":9,\"bbox\":[1,2,3,4],"
		     "\"segmentation\":[[1,2,4,2,4,6]]},"
		     "{\"id\":2,\"image_id\":1,\"category_id\":7,\"bbox\":[0,0,5,10]}]}",
		     FMT_SEGM_POLYGON, labels, sizeof(labels), &loss, yaml, sizeof(yaml));
	/* Classes renumbered 0..n-1 in label order (COCO ids 7 and 9 are not YOLO's). */
	cr_assert_str_eq(labels, "1 0.1 0.1 0.4 0.1 0.4 0.3\n0 0 0 0.5 0 0.5 0.5 0 0.5\n");
	cr_assert(strstr(yaml, "names:\n  0: \"x\"\n  1: \"y\"\n"), "%s", yaml);
	cr_assert_eq(loss_of(&loss, "box (written as a 4-point polygon)"), 1);
	fmt_loss_release(&loss);
}

Test(fmt_yolo, pose_export_from_coco_keypoints)
{
	char labels[1024], yaml[1024];
	struct fmt_loss loss = {0};
	coco_to_yolo("{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":10,\"height\":20}],"
		     "\"categories\":[{\"id\":1,\"name\":\"person\",\"keypoints\":[\"head\",\"foot\"],"
		     "\"skeleton\":[[1,2]]}],"
		     "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,4,10],"
		     "\"keypoints\":[3,4,2,0,0,0],\"num_keypoints\":1}]}",
		     FMT_SEGM_KEEP, labels, sizeof(labels), &loss, yaml, sizeof(yaml));
	cr_assert(strstr(yaml, "kpt_shape: [2, 3]\n"), "%s", yaml);
	cr_assert_str_eq(labels, "0 0.3 0.35 0.4 0.5 0.3 0.2 2 0 0 0\n");
	fmt_loss_release(&loss);
}

Test(fmt_yolo, obb_round_trip_into_a_schema_with_rotated_boxes)
{
	struct buf err = BUF_INIT;
	int64_t v;
	const char *sc = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"plane\",\"shapes\":[\"rotated_box\","
			 "\"box\"]},{\"name\":\"ship\",\"shapes\":[\"rotated_box\"]}]}";
	cr_assert_eq(store_schema_put(ft.st, ft.pid, sc, 0, "test", &v, &err), 0, "%s", err.data);
	fmt_test_put_png20x10("ds/images/train/a.png");
	const char *yaml = "train: images/train\nval: images/train\nnames: [plane, ship]\n";
	fmt_test_put("ds/data.yaml", yaml, strlen(yaml));
	/* An axis-aligned rectangle, and one turned 90 degrees clockwise (first side going down). */
	const char *lab = "0 0.1 0.2 0.6 0.2 0.6 0.8 0.1 0.8\n1 0.5 0.1 0.5 0.9 0.25 0.9 0.25 0.1\n";
	fmt_test_put("ds/labels/train/a.txt", lab, strlen(lab));
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	struct fmt_import_report rep;
	cr_assert_eq(fmt_test_import("yolo-obb", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.notes.n, 0);
	fmt_import_report_release(&rep);
	/* Exported again, the corners come back (within floating-point rounding). */
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("yolo-obb")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	cr_assert_eq(loss.n, 0);
	char file[320];
	snprintf(file, sizeof(file), "%s/labels/train/a.txt", out);
	double got[2][9];
	FILE *f = fopen(file, "r");
	cr_assert(f);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(fscanf(f, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &got[i][0], &got[i][1],
				    &got[i][2], &got[i][3], &got[i][4], &got[i][5], &got[i][6], &got[i][7],
				    &got[i][8]), 9);
	fclose(f);
	const double want[2][9] = {{0, 0.1, 0.2, 0.6, 0.2, 0.6, 0.8, 0.1, 0.8},
				   {1, 0.5, 0.1, 0.5, 0.9, 0.25, 0.9, 0.25, 0.1}};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 9; k++)
			cr_assert(fabs(got[i][k] - want[i][k]) < 1e-12, "%d %d: %.17g", i, k, got[i][k]);
	/* The ship as COCO (a polygon from the rotated box): 5 x 8 px, area 40. */
	snprintf(out, sizeof(out), "%s/coco", ft.dir);
	cr_assert_eq(fmt_find("coco")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	snprintf(file, sizeof(file), "%s/annotations/instances_train.json", out);
	const char *b = fmt_test_slurp_path(file);
	cr_assert(strstr(b, "\"category_id\":2,\"segmentation\":[[10,"), "%s", b);
	cr_assert(strstr(b, "\"area\":40,\"bbox\":[5,"), "%s", b);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_yolo, obb_lines_need_nine_numbers)
{
	struct buf err = BUF_INIT;
	const char *sc = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"a\",\"shapes\":[\"rotated_box\"]}]}";
	int64_t v;
	cr_assert_eq(store_schema_put(ft.st, ft.pid, sc, 0, "test", &v, &err), 0, "%s", err.data);
	fmt_test_put_png20x10("ds/images/train/a.png");
	fmt_test_put("ds/data.yaml", "names: [a]\ntrain: images/train\n", 31);
	fmt_test_put("ds/labels/train/a.txt", "0 0.5 0.5 0.1 0.1\n", 18);
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	struct fmt_sink *s = fmt_null_sink_new();
	cr_assert_eq(fmt_find("yolo-obb")->read(p, s, &err), CAIRN_EINVAL);
	fmt_null_sink_free(s);
	cr_assert_str_eq(err.data, "labels/train/a.txt:1: expected 9 numbers (class x1 y1 x2 y2 x3 y3 "
				   "x4 y4), got 5");
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("yolo"));
	buf_release(&err);
}

Test(fmt_yolo, names_sharing_a_label_file_are_renamed)
{
	const char *json = "{\"images\":[{\"id\":1,\"file_name\":\"x.jpg\",\"width\":10,\"height\":10},"
			   "{\"id\":2,\"file_name\":\"x.png\",\"width\":10,\"height\":10}],"
			   "\"categories\":[{\"id\":1,\"name\":\"a\"}],"
			   "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,5,5]},"
			   "{\"id\":2,\"image_id\":2,\"category_id\":1,\"bbox\":[5,5,5,5]}]}";
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import_text("coco", "in.json", json, false, &rep, &err), 0, "%s",
		     err.data);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("yolo", &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(fmt_test_slurp("out/labels/train/x.txt"), "0 0.25 0.25 0.5 0.5\n");
	/* The second item's id is 2 (items are numbered from 1 in a fresh store). */
	cr_assert_str_eq(fmt_test_slurp("out/labels/train/x_2.txt"), "0 0.75 0.75 0.5 0.5\n");
	cr_assert_eq(loss_of(&loss, "file name used twice in a split (renamed with the item id)"), 1);
	fmt_loss_release(&loss);
	buf_release(&err);
}

/* An 8x16 RGB PNG. */
static const unsigned char png8x16[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0xa4,
	0xe8, 0xa9, 0x2a, 0x00, 0x00, 0x00, 0x13, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68,
	0x70, 0x50, 0xc0, 0x8a, 0x18, 0x46, 0x25, 0x06, 0x42, 0x02, 0x00, 0xb6, 0xa9, 0x70, 0x01,
	0xae, 0x29, 0xe2, 0x5f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
	0x82,
};

Test(fmt_yolo, classify_folders_round_trip_with_media)
{
	struct buf err = BUF_INIT;
	int64_t v;
	const char *sc = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"dog\",\"shapes\":[\"tag\"]},"
			 "{\"name\":\"cat\",\"shapes\":[\"tag\"]}]}";
	cr_assert_eq(store_schema_put(ft.st, ft.pid, sc, 0, "test", &v, &err), 0, "%s", err.data);
	fmt_test_put_png20x10("ds/train/cat/1.png");
	fmt_test_put("ds/val/dog/2.png", (const char *)png8x16, sizeof(png8x16));
	fmt_test_put("ds/val/stray.png", (const char *)png8x16, sizeof(png8x16));
	char p[128];
	snprintf(p, sizeof(p), "%s/ds", ft.dir);
	struct fmt_import_opts o = {0};
	o.data_dir = ft.dir;
	o.kind = ANN_GOLD;
	struct fmt_import_report rep;
	cr_assert_eq(fmt_import(ft.st, ft.pid, fmt_find("yolo-cls"), p, &o, &rep, &err), 0,
		     "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.items_added, 2);
	cr_assert_eq(rep.notes.n, 1);
	cr_assert_str_eq(rep.notes.v[0].what, "image outside a class folder (not read)");
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	wo.data_dir = ft.dir;
	cr_assert_eq(fmt_find("yolo-cls")->write(ft.st, ft.pid, out, &wo, &loss, &err),
		     CAIRN_EINVAL);
	cr_assert(strstr(err.data, "give --include-media"), "%s", err.data);
	wo.include_media = true;
	cr_assert_eq(fmt_find("yolo-cls")->write(ft.st, ft.pid, out, &wo, &loss, &err), 0,
		     "%s", err.data);
	cr_assert_eq(loss.n, 0);
	char file[320];
	struct stat sb;
	snprintf(file, sizeof(file), "%s/train/cat/1.png", out);
	cr_assert(stat(file, &sb) == 0 && sb.st_size == (off_t)sizeof(fmt_test_png20x10), "%s",
		  file);
	snprintf(file, sizeof(file), "%s/val/dog/2.png", out);
	cr_assert(stat(file, &sb) == 0 && sb.st_size == (off_t)sizeof(png8x16), "%s", file);
	fmt_loss_release(&loss);
	buf_release(&err);
}
