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
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"


static int read_str(const char *doc, struct buf *err)
{
	char d[64], p[128];
	snprintf(d, sizeof(d), "/tmp/cairn-vocr-XXXXXX");
	cr_assert(mkdtemp(d));
	snprintf(p, sizeof(p), "%s/a.xml", d);
	FILE *f = fopen(p, "w");
	fputs(doc, f);
	fclose(f);
	int rc = fmt_read_null(fmt_find("voc"), p, err);
	unlink(p);
	rmdir(d);
	return rc;
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
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/cairn-voc-XXXXXX");
	cr_assert(mkdtemp(dir));
	char p[256], db[128];
	snprintf(db, sizeof(db), "%s/cairn.db", dir);
	struct store *st;
	int64_t pid;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, db, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", "", 0, NULL, &pid, &err), 0, "%s", err.data);
	snprintf(p, sizeof(p), "%s/a.xml", dir);
	FILE *f = fopen(p, "w");
	fprintf(f, "<annotation><filename>a.jpg</filename><size><width>8</width><height>6</height>"
		"</size><object><name>cat</name>%s</object></annotation>", box);
	fclose(f);
	struct fmt_import_opts o = {0};
	o.data_dir = dir;
	o.no_media = true;
	o.kind = ANN_GOLD;
	struct fmt_import_report rep;
	cr_assert_eq(fmt_import(st, pid, fmt_find(in), p, &o, &rep, &err), 0, "%s", err.data);
	fmt_import_report_release(&rep);
	char od[128];
	snprintf(od, sizeof(od), "%s/out", dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find(out)->write(st, pid, od, &wo, &loss, &err), 0, "%s", err.data);
	snprintf(p, sizeof(p), "%s/out/Annotations/a.xml", dir);
	f = fopen(p, "r");
	cr_assert(f);
	static char b[8192];
	size_t k = fread(b, 1, sizeof(b) - 1, f);
	b[k] = 0;
	fclose(f);
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
	buf_release(&err);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
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
	char d[64], p[256];
	snprintf(d, sizeof(d), "/tmp/cairn-vocseg-XXXXXX");
	cr_assert(mkdtemp(d));
	char cmd[640];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/ds && cp -r ../shared/fixtures/datumaro/voc_dataset/"
		 "voc_dataset1/. %s/ds/ && cp %s/ds/SegmentationClass/2007_000001.png "
		 "%s/ds/SegmentationClass/2007_000003.png && echo 2007_000003 >> "
		 "%s/ds/ImageSets/Segmentation/train.txt", d, d, d, d, d);
	cr_assert_eq(system(cmd), 0);
	struct store *st;
	int64_t pid;
	struct buf err = BUF_INIT;
	snprintf(p, sizeof(p), "%s/cairn.db", d);
	cr_assert_eq(store_open(&st, p, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", "", 0, NULL, &pid, &err), 0, "%s", err.data);
	struct fmt_import_opts o = {0};
	o.data_dir = d;
	o.no_media = true;
	o.kind = ANN_GOLD;
	struct fmt_import_report rep;
	snprintf(p, sizeof(p), "%s/ds", d);
	/* 2007_000002 (listed, no XML) has no size for --no-media: skip it. */
	o.skip_invalid = true;
	cr_assert_eq(fmt_import(st, pid, fmt_find("voc"), p, &o, &rep, &err), 0, "%s", err.data);
	/* 2 XML-listed images and 2007_000003 from its PNG alone */
	cr_assert_eq(rep.images, 3, "%lld", (long long)rep.images);
	/* 14 from the XML and the class lists, the bicycle of 2007_000001 (one
	 * instance), and 2007_000003's bicycle region */
	cr_assert_eq(rep.objects, 16, "%lld", (long long)rep.objects);
	fmt_import_report_release(&rep);
	/* Written back: both PNGs for 2007_000001, the class PNG for 2007_000003. */
	snprintf(p, sizeof(p), "%s/out", d);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("voc")->write(st, pid, p, &wo, &loss, &err), 0, "%s", err.data);
	snprintf(p, sizeof(p), "%s/out/SegmentationObject/2007_000001.png", d);
	cr_assert(access(p, F_OK) == 0, "%s", p);
	snprintf(p, sizeof(p), "%s/out/SegmentationClass/2007_000003.png", d);
	cr_assert(access(p, F_OK) == 0, "%s", p);
	snprintf(p, sizeof(p), "%s/out/Annotations/2007_000001.xml", d);
	FILE *f = fopen(p, "r");
	cr_assert(f);
	char x[8192];
	size_t n = fread(x, 1, sizeof(x) - 1, f);
	x[n] = 0;
	fclose(f);
	cr_assert(!strstr(x, "bicycle"), "the mask is not also a box: %s", x);
	fmt_loss_release(&loss);
	store_close(st);
	buf_release(&err);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	cr_assert_eq(system(cmd), 0);
}
