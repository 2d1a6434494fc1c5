/*
 * test_fmt_voc.c - the Pascal VOC reader and writer: errors naming file,
 * line and value, refused DTDs, and the pixel conventions of voc (corners
 * as written) and voc-devkit (1-based inclusive pixels) through the import
 * driver and back out.
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

static int read_str(const char *doc, struct buf *err)
{
	return fmt_test_read_text("voc", "a.xml", doc, err);
}

Test(fmt_voc, errors_name_file_line_and_value)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(read_str("<annotation>\n<object><name>cat</name><bndbox>\n<xmin>1</xmin>\n"
			      "<ymin>x2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>"
			      "</annotation>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:4: <ymin>x2</ymin>: expected a number");
	cr_assert_eq(read_str("<annotation>\n<object>\n<name>cat</name><bndbox><xmin>1</xmin>"
			      "<ymin>2</ymin><xmax>3</xmax></bndbox></object></annotation>", &err),
		     CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:2: <object> 'cat': <bndbox> lacks <ymax>");
	cr_assert_eq(read_str("<annotation><size><width>-3</width></size></annotation>", &err),
		     CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:1: <width>-3</width>: expected a whole number of pixels");
	cr_assert_eq(read_str("<annotation><object><name>cat</name><difficult>2</difficult>"
			      "</object></annotation>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:1: <difficult>2</difficult>: expected 0 or 1");
	cr_assert_eq(read_str("<annotation><object>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:1: malformed XML: no element found");
	cr_assert_eq(read_str("<?xml version=\"1.0\"?>\n<!DOCTYPE annotation SYSTEM \"file:///etc/"
			      "passwd\">\n<annotation/>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:2: <!DOCTYPE annotation>: DTDs and entity declarations "
			 "are not accepted");
	cr_assert_eq(read_str("<annotations/>", &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "a.xml:1: <annotations>: the root element must be <annotation>");
	buf_release(&err);
}

/* Imports one box with format in, exports it with format out; the <bndbox> text. */
static void through(const char *in, const char *out, const char *box, char *got, size_t n)
{
	fmt_test_open("voc");
	struct buf doc = BUF_INIT, err = BUF_INIT;
	buf_addf(&doc, "<annotation><filename>a.jpg</filename><size><width>8</width><height>6"
		 "</height></size><object><name>cat</name>%s</object></annotation>", box);
	struct fmt_import_report rep;
	cr_assert_eq(fmt_test_import_text(in, "a.xml", doc.data, false, &rep, &err), 0, "%s",
		     err.data);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export(out, &loss, &err), 0, "%s", err.data);
	const char *b = fmt_test_slurp("out/Annotations/a.xml");
	const char *s = strstr(b, "<bndbox>"), *e = strstr(b, "</bndbox>");
	cr_assert(s && e, "%s", b);
	snprintf(got, n, "%.*s", (int)(e - s - 8), s + 8);
	/* whitespace out */
	char *w = got;
	for (char *r = got; *r; r++)
		if (*r != '\n' && *r != '\t')
			*w++ = *r;
	*w = 0;
	fmt_loss_release(&loss);
	buf_release(&doc);
	buf_release(&err);
	fmt_test_close();
}

Test(fmt_voc, pixel_conventions)
{
	char got[256];
	const char *one = "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>1</xmax><ymax>1</ymax></bndbox>";
	/* voc: corners as written, round trip exact. */
	through("voc", "voc", one, got, sizeof(got));
	cr_assert_str_eq(got, "<xmin>1</xmin><ymin>1</ymin><xmax>1</xmax><ymax>1</ymax>");
	/* voc-devkit: pixel 1 is Cairn [0,0,1,1]; written as voc, the corners show it. */
	through("voc-devkit", "voc", one, got, sizeof(got));
	cr_assert_str_eq(got, "<xmin>0</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax>");
	through("voc-devkit", "voc-devkit", one, got, sizeof(got));
	cr_assert_str_eq(got, "<xmin>1</xmin><ymin>1</ymin><xmax>1</xmax><ymax>1</ymax>");
	const char *frac = "<bndbox><xmin>1.25</xmin><ymin>2</ymin><xmax>3.5</xmax><ymax>4</ymax>"
			   "</bndbox>";
	through("voc", "voc", frac, got, sizeof(got));
	cr_assert_str_eq(got, "<xmin>1.25</xmin><ymin>2</ymin><xmax>3.5</xmax><ymax>4</ymax>");
}

/*
 * Segmentation PNGs beside Annotations/: a PNG of an image with an XML file
 * puts its masks on that image (same id, same split, labels by name); a PNG
 * without one makes its own image after the XML files' ids.
 */
Test(fmt_voc, segmentation_pngs_share_images_and_labels)
{
	fmt_test_open("vocseg");
	const char *d = ft.dir;
	char p[256], cmd[640];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/ds && cp -r ../shared/fixtures/datumaro/voc_dataset/"
		 "voc_dataset1/. %s/ds/ && cp %s/ds/SegmentationClass/2007_000001.png "
		 "%s/ds/SegmentationClass/2007_000003.png && echo 2007_000003 >> "
		 "%s/ds/ImageSets/Segmentation/train.txt", d, d, d, d, d);
	cr_assert_eq(system(cmd), 0);
	struct buf err = BUF_INIT;
	struct fmt_import_report rep;
	snprintf(p, sizeof(p), "%s/ds", d);
	/* 2007_000002 (listed, no XML) has no size for --no-media: skip it. */
	cr_assert_eq(fmt_test_import("voc", p, true, &rep, &err), 0, "%s", err.data);
	/* 2 XML-listed images and 2007_000003 from its PNG alone */
	cr_assert_eq(rep.images, 3, "%lld", (long long)rep.images);
	/* 14 from the XML and the class lists, the bicycle of 2007_000001 (one
	 * instance), and 2007_000003's bicycle region */
	cr_assert_eq(rep.objects, 16, "%lld", (long long)rep.objects);
	fmt_import_report_release(&rep);
	/* Written back: both PNGs for 2007_000001, the class PNG for 2007_000003. */
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("voc", &loss, &err), 0, "%s", err.data);
	snprintf(p, sizeof(p), "%s/out/SegmentationObject/2007_000001.png", d);
	cr_assert(access(p, F_OK) == 0, "%s", p);
	snprintf(p, sizeof(p), "%s/out/SegmentationClass/2007_000003.png", d);
	cr_assert(access(p, F_OK) == 0, "%s", p);
	const char *x = fmt_test_slurp("out/Annotations/2007_000001.xml");
	cr_assert(!strstr(x, "bicycle"), "the mask is not also a box: %s", x);
	fmt_loss_release(&loss);
	buf_release(&err);
	fmt_test_close();
}
