/*
 * test_jdom.c - the strict JSON parser: values and their types, escapes
 * and UTF-8, document order, and every refusal with its line and column.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/jdom.h"
#include "base/banned.h"

static const struct jd *ok(struct arena *a, const char *s)
{
	struct jd_error e;
	const struct jd *v = jd_parse(a, s, strlen(s), 64, &e);
	cr_assert(v, "%s: %s", s, e.text);
	return v;
}

static struct jd_error bad(const char *s, size_t len)
{
	struct arena a = ARENA_INIT;
	struct jd_error e;
	cr_assert_null(jd_parse(&a, s, len, 8, &e), "accepted %s", s);
	arena_release(&a);
	return e;
}

Test(jdom, values_and_accessors)
{
	struct arena a = ARENA_INIT;
	const struct jd *v = ok(&a, " {\"b\": [1, -2, 3.5, 1e2, -0, 9223372036854775807, "
				 "-9223372036854775808], \"a\": {\"x\": null, \"y\": true, "
				 "\"z\": false}, \"s\": \"h\\u00e9\\n\\ud83d\\ude00\\\"\"} ");
	cr_assert(jd_is_object(v));
	cr_assert_eq(jd_size(v), 3);
	cr_assert_str_eq(v->u.members[0].key, "b", "document order kept");
	const struct jd *b = jd_get(v, "b");
	cr_assert_eq(jd_size(b), 7);
	cr_assert(jd_is_int(jd_at(b, 0)) && jd_int(jd_at(b, 0)) == 1);
	cr_assert_eq(jd_int(jd_at(b, 1)), -2);
	cr_assert(jd_is_real(jd_at(b, 2)) && jd_num(jd_at(b, 2)) == 3.5);
	cr_assert(jd_is_real(jd_at(b, 3)) && jd_num(jd_at(b, 3)) == 100);
	cr_assert(jd_is_int(jd_at(b, 4)) && jd_int(jd_at(b, 4)) == 0);
	cr_assert_eq(jd_int(jd_at(b, 5)), INT64_MAX);
	cr_assert_eq(jd_int(jd_at(b, 6)), INT64_MIN);
	cr_assert_null(jd_at(b, 7));
	const struct jd *o = jd_get(v, "a");
	cr_assert(jd_is_null(jd_get(o, "x")) && jd_is_true(jd_get(o, "y")) && jd_is_bool(jd_get(o, "z")));
	cr_assert_null(jd_get(o, "w"));
	cr_assert_null(jd_get(b, "x"), "an array has no members");
	const struct jd *s = jd_get(v, "s");
	cr_assert_str_eq(jd_str(s), "h\xc3\xa9\n\xf0\x9f\x98\x80\"");
	cr_assert_eq(jd_len(s), 9);
	size_t i;
	const char *k;
	const struct jd *m;
	int n = 0;
	jd_foreach(o, i, k, m) {
		cr_assert(k && m);
		n++;
	}
	cr_assert_eq(n, 3);
	cr_assert(jd_is_string(ok(&a, "\"top\"")), "any value at the top");
	cr_assert(jd_is_array(ok(&a, "[]")) && jd_size(ok(&a, "{}")) == 0);
	arena_release(&a);
}

Test(jdom, refusals_name_the_place)
{
	struct jd_error e = bad("{\"format\": 1, \"objects\": [1,]}", 31);
	cr_assert_eq(e.line, 1);
	cr_assert_eq(e.column, 29);
	cr_assert_str_eq(e.text, "unexpected token near ']'");
	e = bad("{\"a\": 1,\n \"a\": 2}", 17);
	cr_assert(e.duplicate);
	cr_assert_eq(e.line, 2);
	cr_assert_str_eq(e.text, "duplicate object key 'a'");
	e = bad("[1] x", 5);
	cr_assert_str_eq(e.text, "end of file expected near 'x'");
	e = bad("[1", 2);
	cr_assert_str_eq(e.text, "']' expected near end of file");
	cr_assert(strstr(bad("\"\\ud800\"", 8).text, "lone surrogate"));
	cr_assert(strstr(bad("\"\\udc00x\"", 9).text, "lone surrogate"));
	cr_assert(strstr(bad("\"\\u0000\"", 8).text, "\\u0000"));
	cr_assert(strstr(bad("\"a\0b\"", 5).text, "control character"));
	cr_assert(strstr(bad("\"\xc0\xaf\"", 4).text, "UTF-8"), "overlong");
	cr_assert(strstr(bad("\"\xed\xa0\x80\"", 5).text, "UTF-8"), "encoded surrogate");
	cr_assert(strstr(bad("\"\xf4\x90\x80\x80\"", 6).text, "UTF-8"), "past U+10FFFF");
	cr_assert(strstr(bad("\"\\x\"", 4).text, "invalid escape"));
	cr_assert(strstr(bad("9223372036854775808", 19).text, "too big integer"));
	cr_assert(strstr(bad("1e999", 5).text, "overflow"));
	cr_assert(strstr(bad("01", 2).text, "end of file expected"));
	cr_assert(strstr(bad("1.", 2).text, "invalid token"));
	cr_assert(strstr(bad("-", 1).text, "invalid token"));
	cr_assert(strstr(bad("tru", 3).text, "invalid token"));
	cr_assert(strstr(bad("NaN", 3).text, "invalid token"));
	cr_assert(strstr(bad("[[[[[[[[[[]]]]]]]]]]", 20).text, "depth"));
	cr_assert(strstr(bad("", 0).text, "end of file"));
	cr_assert(strstr(bad("{\"a\" 1}", 7).text, "':' expected"));
	cr_assert(strstr(bad("{1: 2}", 6).text, "string or '}' expected"));
}

Test(jdom, duplicates_in_big_objects)
{
	/* Past the linear check, keys are sorted when the object closes. */
	char s[4096];
	size_t n = 0;
	n += (size_t)snprintf(s + n, sizeof(s) - n, "{");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s\"k%d\": %d", i ? "," : "", i, i);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "}");
	struct arena a = ARENA_INIT;
	const struct jd *v = ok(&a, s);
	cr_assert_eq(jd_size(v), 100);
	cr_assert_eq(jd_int(jd_get(v, "k99")), 99);
	arena_release(&a);
	snprintf(s + n - 1, sizeof(s) - n + 1, ",\"k50\": 1}");
	struct jd_error e = bad(s, strlen(s));
	cr_assert(e.duplicate);
	cr_assert_str_eq(e.text, "duplicate object key 'k50'");
}
