/*
 * test_fmt_xml.c - the XML helpers the XML formats share: streaming over
 * chunk boundaries with line numbers, DTD refusal, numbers, escaping and the
 * string map.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt_xml.h"

struct count {
	int elements;
	unsigned long last_line;
	char last_text[32];
};

static void on_start(struct fmt_xml *x, const char *el, const char **attrs)
{
	struct count *c = x->ctx;
	(void)attrs;
	c->elements++;
	if (!strcmp(el, "stop"))
		fmt_xml_fail(x, "<stop v=\"%s\">: stopped", fmt_xml_attr(attrs, "v"));
}

static void on_end(struct fmt_xml *x, const char *el, const char *text, size_t len)
{
	struct count *c = x->ctx;
	if (!strcmp(el, "v")) {
		c->last_line = fmt_xml_line(x);
		snprintf(c->last_text, sizeof(c->last_text), "%.*s", (int)len, text);
	}
}

static int parse(const char *doc, size_t len, struct count *c, struct buf *err)
{
	struct fmt_xml x;
	memset(&x, 0, sizeof(x));
	memset(c, 0, sizeof(*c));
	x.name = "t.xml";
	x.ctx = c;
	x.start = on_start;
	x.end = on_end;
	return fmt_xml_parse_mem(&x, doc, len, err);
}

Test(fmt_xml, streams_across_chunks_with_lines)
{
	/* 100000 elements, far more than one 64 KiB chunk. */
	struct buf d = BUF_INIT, err = BUF_INIT;
	buf_adds(&d, "<r>\n");
	for (int i = 0; i < 100000; i++)
		buf_addf(&d, "<v>%d</v>\n", i);
	buf_adds(&d, "</r>\n");
	struct count c;
	cr_assert_eq(parse(d.data, d.len, &c, &err), 0, "%s", err.data);
	cr_assert_eq(c.elements, 100001);
	cr_assert_eq(c.last_line, 100001);
	cr_assert_str_eq(c.last_text, "99999");
	/* A handler's error stops the parse and names the line. */
	buf_setlen(&d, d.len - 5);
	buf_adds(&d, "<stop v=\"a&amp;b\"/></r>");
	cr_assert_eq(parse(d.data, d.len, &c, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "t.xml:100002: <stop v=\"a&b\">: stopped");
	buf_release(&d);
	buf_release(&err);
}

Test(fmt_xml, refuses_dtds_and_reports_malformed_xml)
{
	struct buf err = BUF_INIT;
	struct count c;
	const char *a = "<!DOCTYPE r SYSTEM \"http://example.com/x.dtd\"><r/>";
	cr_assert_eq(parse(a, strlen(a), &c, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "t.xml:1: <!DOCTYPE r>: DTDs and entity declarations are not "
			 "accepted");
	cr_assert_eq(c.elements, 0);
	const char *b = "<r>\n<v>&undefined;</v></r>";
	cr_assert_eq(parse(b, strlen(b), &c, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "t.xml:2: malformed XML: undefined entity");
	const char *e = "<r><v>1</r>";
	cr_assert_eq(parse(e, strlen(e), &c, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "t.xml:1: malformed XML: mismatched tag");
	buf_release(&err);
}

Test(fmt_xml, numbers)
{
	double v;
	int64_t i;
	cr_assert(fmt_xml_num(" 2.5 ", &v) && v == 2.5);
	cr_assert(fmt_xml_num("-1e3", &v) && v == -1000);
	cr_assert(!fmt_xml_num("abc", &v));
	cr_assert(!fmt_xml_num("nan", &v));
	cr_assert(!fmt_xml_num("inf", &v));
	cr_assert(!fmt_xml_num("0x10", &v));
	cr_assert(!fmt_xml_num("1e999", &v));
	cr_assert(!fmt_xml_num("1 2", &v));
	cr_assert(!fmt_xml_num("", &v));
	cr_assert(fmt_xml_int("42", 0, 100, &i) && i == 42);
	cr_assert(!fmt_xml_int("101", 0, 100, &i));
	cr_assert(!fmt_xml_int("4.5", 0, 100, &i));
}

Test(fmt_xml, escaping)
{
	struct buf b = BUF_INIT;
	fmt_xml_esc(&b, "a<b>&\"c'\td\x01");
	cr_assert_str_eq(b.data, "a&lt;b&gt;&amp;&quot;c&apos;&#9;d\xef\xbf\xbd");
	buf_reset(&b);
	fmt_xml_num_out(&b, 0.1);
	cr_assert_str_eq(b.data, "0.1");
	buf_release(&b);
}

Test(fmt_xml, strmap)
{
	struct fmt_strmap m = {0};
	char k[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		cr_assert(fmt_strmap_put(&m, k, i));
	}
	cr_assert(!fmt_strmap_put(&m, "k7", 70));
	int64_t v;
	cr_assert(fmt_strmap_get(&m, "k7", &v) && v == 70);
	cr_assert(fmt_strmap_get(&m, "k999", &v) && v == 999);
	cr_assert(!fmt_strmap_get(&m, "k1000", &v));
	cr_assert_eq(m.n, 1000);
	fmt_strmap_release(&m);
}
