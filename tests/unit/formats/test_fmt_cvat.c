/*
 * test_fmt_cvat.c - the CVAT reader and writer: CVAT's mask RLE to and from
 * COCO RLE (exact, against a bitmap), errors naming file, line and value,
 * refused DTDs, and a document through the import driver and back out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "geom/rle.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_cvat_rle_to_coco(const char *rle, int64_t left, int64_t top, int64_t width,
			 int64_t height, uint32_t img_h, uint32_t img_w, struct rle *out,
			 struct buf *err);
int fmt_cvat_rle_from_coco(const struct rle *m, struct buf *rle, int64_t box[4]);

Test(fmt_cvat, rle_to_coco_matches_bitmap)
{
	/* A 3x4 box at (3,2) of a 10x8 image; runs row by row, background first. */
	struct rle m = RLE_INIT;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_cvat_rle_to_coco("1, 2, 3, 1, 5", 3, 2, 4, 3, 8, 10, &m, &err), 0, "%s",
		     err.data);
	uint8_t want[8 * 10] = {0};
	/* box pixels 1,2 (row 0: x=4,5) and 6 (row 1: x=5) */
	want[2 * 10 + 4] = want[2 * 10 + 5] = want[3 * 10 + 5] = 1;
	struct rle w = RLE_INIT;
	cr_assert_eq(rle_from_bitmap_rowmajor(&w, want, 8, 10), 0);
	cr_assert(rle_equal(&m, &w));
	cr_assert_eq(rle_area(&m), 3);
	struct buf out = BUF_INIT;
	int64_t box[4];
	cr_assert_eq(fmt_cvat_rle_from_coco(&m, &out, box), 0);
	cr_assert_str_eq(out.data, "0, 2, 1, 1");
	cr_assert_eq(box[0], 4);
	cr_assert_eq(box[1], 2);
	cr_assert_eq(box[2], 2);
	cr_assert_eq(box[3], 2);
	rle_release(&m);
	rle_release(&w);
	buf_release(&out);
	buf_release(&err);
}

Test(fmt_cvat, rle_round_trip_random)
{
	srand(7);
	for (int t = 0; t < 50; t++) {
		uint32_t h = 1 + (uint32_t)(rand() % 20), w = 1 + (uint32_t)(rand() % 20);
		uint8_t *bm = calloc(h * w, 1);
		for (uint32_t i = 0; i < h * w; i++)
			bm[i] = rand() % 3 == 0;
		struct rle a = RLE_INIT, b = RLE_INIT;
		cr_assert_eq(rle_from_bitmap_rowmajor(&a, bm, h, w), 0);
		struct buf s = BUF_INIT, err = BUF_INIT;
		int64_t box[4];
		cr_assert_eq(fmt_cvat_rle_from_coco(&a, &s, box), 0);
		cr_assert_eq(fmt_cvat_rle_to_coco(s.data, box[0], box[1], box[2], box[3], h, w, &b,
						  &err), 0, "%s", err.data);
		if (rle_area(&a))
			cr_assert(rle_equal(&a, &b), "trial %d", t);
		else
			cr_assert_eq(rle_area(&b), 0);
		rle_release(&a);
		rle_release(&b);
		buf_release(&s);
		buf_release(&err);
		free(bm);
	}
}

Test(fmt_cvat, rle_errors)
{
	struct rle m = RLE_INIT;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_cvat_rle_to_coco("3, 4, 5", 1, 1, 3, 3, 8, 10, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "the runs cover more than the 3x3 box");
	cr_assert_eq(fmt_cvat_rle_to_coco("1, 2", 1, 1, 3, 3, 8, 10, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "the runs cover 3 pixels, the 3x3 box has 9");
	cr_assert_eq(fmt_cvat_rle_to_coco("9", 8, 1, 3, 3, 8, 10, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "the box left=8 top=1 width=3 height=3 is not inside the 10x8 image");
	cr_assert_eq(fmt_cvat_rle_to_coco("4, x", 0, 0, 3, 3, 8, 10, &m, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "expected comma-separated run lengths, got 'x'");
	buf_release(&err);
}

static const char *HEAD =
	"<annotations>\n"
	"<meta><task><labels><label><name>car</name><attributes><attribute><name>n</name>"
	"<input_type>number</input_type></attribute></attributes></label></labels></task></meta>\n";

static int read_str(const char *body, struct buf *err)
{
	struct buf doc = BUF_INIT;
	buf_adds(&doc, HEAD);
	buf_adds(&doc, body);
	int rc = fmt_test_read_text("cvat", "annotations.xml", doc.data, err);
	buf_release(&doc);
	return rc;
}

Test(fmt_cvat, errors_name_file_line_and_value)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(read_str("<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n"
			      "<box label=\"car\" xtl=\"abc\" ytl=\"0\" xbr=\"1\" ybr=\"1\"/>"
			      "</image></annotations>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:4: <box xtl=\"abc\">: expected a number");
	cr_assert_eq(read_str("<image id=\"x\" name=\"a.jpg\"/></annotations>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:3: <image id=\"x\">: expected a whole number "
			 "from 0 to 4611686018427387903");
	cr_assert_eq(read_str("<image id=\"0\" name=\"a.jpg\">\n\n<polygon label=\"car\" "
			      "points=\"1,2;3\"/></image></annotations>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:5: <polygon points=\"1,2;3\">: expected x,y "
			 "pairs separated by ';'");
	cr_assert_eq(read_str("<image id=\"0\" name=\"a.jpg\"><tag label=\"car\"><attribute "
			      "name=\"n\">1e999</attribute></tag></image></annotations>", &err),
		     CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:3: <attribute name=\"n\">1e999</attribute>: "
			 "expected a number");
	cr_assert_eq(read_str("<image id=\"0\" name=\"a.jpg\"><box label=\"truck\"/></image>"
			      "</annotations>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:3: <box label=\"truck\">: unknown label (not in "
			 "<meta> labels)");
	cr_assert_eq(read_str("<image id=\"0\" name=\"a.jpg\">", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "annotations.xml:3: malformed XML: no element found");
	buf_release(&err);
}

Test(fmt_cvat, refuses_dtd_and_wrong_root)
{
	struct buf err = BUF_INIT;
	const char *bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"xx\">]>\n<a>&x;</a>";
	cr_assert_eq(fmt_test_read_text("cvat", "a.xml", bomb, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:2: <!DOCTYPE a>: DTDs and entity declarations are not "
			 "accepted");
	const char *root = "<annotation/>";
	cr_assert_eq(fmt_test_read_text("cvat", "a.xml", root, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:1: <annotation>: the root element must be <annotations>");
	buf_release(&err);
}

Test(fmt_cvat, import_and_export_keep_shapes)
{
	fmt_test_open("cvat");
	struct buf err = BUF_INIT;
	struct fmt_import_report rep;
	const char *doc =
		"<annotations><meta><task><labels><label><name>car</name></label></labels></task>"
		"</meta>\n<image id=\"3\" name=\"a.jpg\" width=\"10\" height=\"8\">\n"
		"<box label=\"car\" occluded=\"1\" z_order=\"2\" group_id=\"5\" xtl=\"1.5\" ytl=\"2\" "
		"xbr=\"4\" ybr=\"6\" rotation=\"90\"/>\n"
		"<mask label=\"car\" rle=\"1, 2, 3, 1, 5\" left=\"3\" top=\"2\" width=\"4\" "
		"height=\"3\"/>\n</image></annotations>\n";
	cr_assert_eq(fmt_test_import_text("cvat", "annotations.xml", doc, false, &rep, &err), 0,
		     "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("cvat", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	const char *b = fmt_test_slurp("out/annotations.xml");
	cr_assert(strstr(b, "<image id=\"3\" name=\"a.jpg\" width=\"10\" height=\"8\">"), "%s", b);
	cr_assert(strstr(b, "<box label=\"car\" source=\"manual\" occluded=\"1\" z_order=\"2\" "
			 "group_id=\"5\" xtl=\"1.5\" ytl=\"2\" xbr=\"4\" ybr=\"6\" rotation=\"90\">"),
		  "%s", b);
	cr_assert(strstr(b, "rle=\"0, 2, 1, 1\" left=\"4\" top=\"2\" width=\"2\" height=\"2\""), "%s",
		  b);
	cr_assert(strstr(b, "<mode>annotation</mode>"), "%s", b);
	fmt_loss_release(&loss);
	buf_release(&err);
	fmt_test_close();
}

/* <labels> attribute declarations are kept in the schema the import makes. */
Test(fmt_cvat, attribute_declarations_kept_in_the_schema)
{
	fmt_test_open("cvatdecl");
	struct buf err = BUF_INIT;
	struct fmt_import_report rep;
	const char *doc =
		"<annotations><version>1.1</version><meta><task><labels><label><name>car</name>"
		"<attributes>"
		"<attribute><name>color</name><mutable>True</mutable><input_type>radio</input_type>"
		"<default_value>blue</default_value><values>red\nblue</values></attribute>"
		"<attribute><name>speed</name><input_type>number</input_type><default_value>10"
		"</default_value><values>0\n100\n5</values></attribute>"
		"<attribute><name>parked</name><input_type>checkbox</input_type><default_value>true"
		"</default_value><values>false\ntrue</values></attribute>"
		"</attributes></label></labels></task></meta>"
		"<image id=\"0\" name=\"a.jpg\" width=\"8\" height=\"8\"><box label=\"car\" xtl=\"1\" "
		"ytl=\"1\" xbr=\"2\" ybr=\"2\"><attribute name=\"color\">green</attribute>"
		"<attribute name=\"speed\">120</attribute></box></image></annotations>";
	cr_assert_eq(fmt_test_import_text("cvat", "a.xml", doc, false, &rep, &err), 0, "%s",
		     err.data);
	fmt_import_report_release(&rep);
	struct fmt_labels l;
	cr_assert_eq(fmt_labels_load(&l, ft.st, ft.pid, "cvat", &err), 0, "%s", err.data);
	const struct schema_label *car = &l.sc.labels[0];
	const struct schema_attr *c = schema_attr_find(car, "color");
	cr_assert(c && c->type == ATTR_SELECT && c->mutable_);
	/* green was seen on a box: added after the declared values */
	cr_assert_eq(c->nvalues, 3);
	cr_assert_str_eq(c->values[0], "red");
	cr_assert_str_eq(c->values[1], "blue");
	cr_assert_str_eq(c->values[2], "green");
	cr_assert(c->has_default && c->def_value == 1);
	const struct schema_attr *s = schema_attr_find(car, "speed");
	/* 120 widens the declared 0..100; step 5 kept (120 is on its grid) */
	cr_assert(s && s->type == ATTR_NUMBER && s->min == 0 && s->max == 120 && s->step == 5);
	cr_assert(s->has_default && s->def_num == 10);
	const struct schema_attr *k = schema_attr_find(car, "parked");
	cr_assert(k && k->type == ATTR_CHECKBOX && k->def_bool);
	fmt_labels_release(&l);
	buf_release(&err);
	fmt_test_close();
}
