/*
 * test_buf.c - the growable buffer's invariants: never-NULL data, NUL
 * termination, the cap, detach, and JSON string escaping.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

Test(buf, init_allocates_nothing_and_is_a_valid_string)
{
	struct buf b = BUF_INIT;
	cr_assert_not_null(b.data);
	cr_assert_str_eq(b.data, "");
	cr_assert_eq(b.cap, 0);
	buf_release(&b);
	cr_assert_str_eq(b.data, "");
}

Test(buf, appends_and_formats)
{
	struct buf b = BUF_INIT;
	cr_assert_eq(buf_adds(&b, "abc"), 0);
	cr_assert_eq(buf_addch(&b, '-'), 0);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(buf_addf(&b, "%d,", i), 0);
	cr_assert_eq(strncmp(b.data, "abc-0,1,2,", 10), 0);
	cr_assert_eq(b.len, strlen(b.data));
	buf_setlen(&b, 3);
	cr_assert_str_eq(b.data, "abc");
	buf_reset(&b);
	cr_assert_str_eq(b.data, "");
	buf_release(&b);
}

Test(buf, cap_refuses_growth_and_leaves_contents)
{
	struct buf b = BUF_INIT;
	b.max = 8;
	cr_assert_eq(buf_adds(&b, "12345678"), 0);
	cr_assert_eq(buf_adds(&b, "9"), CAIRN_ETOOBIG);
	cr_assert_eq(buf_addf(&b, "%s", "more"), CAIRN_ETOOBIG);
	cr_assert_str_eq(b.data, "12345678");
	buf_release(&b);
}

Test(buf, detach_hands_over_ownership)
{
	struct buf b = BUF_INIT;
	size_t n;
	char *s = buf_detach(&b, &n);
	cr_assert_str_eq(s, "");
	cr_assert_eq(n, 0);
	free(s);
	buf_adds(&b, "hello");
	s = buf_detach(&b, &n);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(n, 5);
	cr_assert_str_eq(b.data, "");
	free(s);
}

Test(buf, json_strings_are_escaped)
{
	struct buf b = BUF_INIT;
	buf_add_json_str(&b, "a\"b\\c\nd\x01\xc3\xa9");
	cr_assert_str_eq(b.data, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
	buf_release(&b);
}

Test(buf, setf_on_null_is_ignored)
{
	buf_setf(NULL, "x %d", 1);
	struct buf b = BUF_INIT;
	buf_setf(&b, "first");
	buf_setf(&b, "second %d", 2);
	cr_assert_str_eq(b.data, "second 2");
	buf_release(&b);
}

Test(err, every_code_has_a_message_name_and_status)
{
	for (int c = 0; c > -CAIRN_ERR_COUNT_; c--) {
		cr_assert_not_null(cairn_strerror(c));
		cr_assert_not_null(err_name(c));
		cr_assert_geq(err_http_status(c), 200);
	}
	cr_assert_eq(err_http_status(CAIRN_ENOTFOUND), 404);
	cr_assert_eq(err_http_status(CAIRN_ECONFLICT), 409);
	cr_assert_eq(err_http_status(CAIRN_EINVAL), 400);
	cr_assert_str_eq(err_name(12345), "internal", "unknown codes map to internal");
}
