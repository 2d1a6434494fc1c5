/*
 * test_fmt_labelme_xml.c - the MIT LabelMe XML reader and writer: the
 * Datumaro fixture's objects, groups and masks, the attribute text both
 * ways, deleted objects, and errors naming file, line and value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

int fmt_labelme_xml_read_mem(const char *data, size_t len, const char *name,
			     struct fmt_sink *s, struct buf *err);

FMT_TEST_SUITE(fmt_labelme_xml);

Test(fmt_labelme_xml, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/labelme_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("labelme-xml"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("labelme-xml", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 1);
	cr_assert_eq(rep.objects, 7);
	cr_assert_eq(rep.categories, 7);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("labelme-xml", &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	const char *x = fmt_test_slurp("out/Annotations/subset1/img1.xml");
	/* o1 (2) has q1 (3) and b1 (4); m1 (5) has hg (6); b1 is a box, m1 a mask */
	cr_assert(strstr(x, "<name>o1</name><deleted>0</deleted><verified>0</verified><occluded>yes"
			    "</occluded><attributes>a1</attributes><parts><hasparts>3,4</hasparts>"
			    "<ispartof></ispartof></parts>"), "%s", x);
	cr_assert(strstr(x, "<ispartof>5</ispartof></parts><date></date><id>6</id>"), "%s", x);
	cr_assert(strstr(x, "<id>4</id><type>bounding_box</type><polygon><username>anonymous"
			    "</username><pt><x>13</x><y>19</y></pt>"), "%s", x);
	cr_assert(strstr(x, "<box><xmin>58</xmin><ymin>67</ymin><xmax>63</xmax><ymax>69</ymax></box>"
			    "<mask>img1_mask_1.png</mask>"), "%s", x);
	cr_assert(strstr(x, "<imagesize><nrows>77</nrows><ncols>102</ncols></imagesize>"), "%s", x);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_labelme_xml, attribute_text_and_deleted)
{
	const char *t = "<annotation><filename>a.jpg</filename><folder>f</folder><imagesize><nrows>10"
			"</nrows><ncols>20</ncols></imagesize><object><name>car</name><occluded>no"
			"</occluded><attributes>n=3, w=red, q=\"7\", e=a\\,b, flag, off=false"
			"</attributes><id>9</id><polygon><username></username><pt><x>1</x><y>2</y>"
			"</pt><pt><x>5</x><y>2</y></pt><pt><x>5</x><y>6.5</y></pt></polygon></object>"
			"<object><name>gone</name><deleted>1</deleted><id>3</id><polygon><pt><x>1</x>"
			"<y>2</y></pt></polygon></object></annotation>";
	fmt_test_put("d/Annotations/f/a.xml", t, strlen(t));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", ft.dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(fmt_test_import("labelme-xml", p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.notes.n, 1);
	cr_assert_str_eq(rep.notes.v[0].what, "deleted object (skipped)");
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(fmt_test_export("labelme-xml", &loss, &err), 0, "%s", err.data);
	const char *x = fmt_test_slurp("out/Annotations/f/a.xml");
	cr_assert(strstr(x, "<attributes>n=3, w=red, q=&quot;7&quot;, e=a\\,b, flag</attributes>"), "%s", x);
	cr_assert(strstr(x, "<id>9</id><polygon><username></username><pt><x>1</x><y>2</y></pt><pt><x>5"
			    "</x><y>2</y></pt><pt><x>5</x><y>6.5</y></pt></polygon>"), "%s", x);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_labelme_xml, errors_name_file_line_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"<annotation><object><name>a</name><polygon><pt><x>1</x><y>b</y></pt></polygon>"
		 "</object></annotation>", "a.xml:1: <y>b</y>: expected a number"},
		{"<annotation>\n<object><name>a</name><polygon><pt><x>1</x></pt></polygon></object>"
		 "</annotation>", "a.xml:2: <pt>: expected an <x> and a <y>"},
		{"<annotation><object><name>a</name><deleted>2</deleted></object></annotation>",
		 "a.xml:1: <deleted>2</deleted>: expected 0 or 1"},
		{"<annotation><imagesize><nrows>-4</nrows></imagesize></annotation>",
		 "a.xml:1: <nrows>-4</nrows>: expected a whole number of pixels"},
		{"<annotation><object><name>a</name><id>x</id></object></annotation>",
		 "a.xml:1: <id>x</id>: expected a whole number"},
		{"<annotation><object><name></name><polygon/></object></annotation>",
		 "a.xml:1: <object>: no <name>"},
		{"<annotation><object><name>a</name><attributes>=3</attributes><polygon><pt><x>1</x>"
		 "<y>1</y></pt></polygon></object></annotation>",
		 "a.xml:1: <attributes>=3</attributes>: '=3' has no name"},
		{"<annotation><folder>../up</folder></annotation>",
		 "a.xml: <folder>../up</folder>: not a folder inside the dataset"},
		{"<annotation><object>", "a.xml:1: malformed XML"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		struct fmt_import_report rep;
		char rel[64];
		snprintf(rel, sizeof(rel), "d%zu/Annotations/a.xml", i);
		fmt_test_put(rel, cases[i].text, strlen(cases[i].text));
		char p[128];
		snprintf(p, sizeof(p), "%s/d%zu", ft.dir, i);
		cr_assert_eq(fmt_test_import("labelme-xml", p, false, &rep, &err), CAIRN_EINVAL,
			     "case %zu: %s", i, err.data);
		fmt_import_report_release(&rep);
		const char *pre = "Annotations/";
		cr_assert(err.data && !strncmp(err.data, pre, strlen(pre)) &&
			  !strncmp(err.data + strlen(pre), cases[i].err, strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		int rc = fmt_labelme_xml_read_mem(cases[i].text, strlen(cases[i].text), "a.xml", s, &err);
		fmt_null_sink_free(s);
		cr_assert(rc == CAIRN_EINVAL || (i == 5 || i == 6 || i == 7), "case %zu: %d", i, rc);
		buf_release(&err);
	}
}
