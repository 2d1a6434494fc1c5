/*
 * test_json_scan.c - depth and path scans over raw JSON text.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/json_scan.h"
#include "base/banned.h"

Test(json_scan, depth_counts_brackets_outside_strings)
{
	const char *ok = "{\"a\": [[1], \"[[[[[\"]}";
	cr_assert_eq(json_scan_too_deep(ok, strlen(ok), 3), 0);
	cr_assert_eq(json_scan_too_deep(ok, strlen(ok), 2), 1);
	const char *deep = "{\n\"a\":\n[[[\"x\\\"]\"]]]}";
	cr_assert_eq(json_scan_too_deep(deep, strlen(deep), 3), 3, "the line of the fourth level");
}

Test(json_scan, path_at_names_the_value)
{
	const char *s = "{\"labels\": [{\"name\": \"a\"}, {\"name\": \"b\", \"shapes\": [1, 2, x]}]}";
	struct buf p = BUF_INIT, k = BUF_INIT;
	json_scan_path_at(s, strlen(s), (size_t)(strchr(s, 'x') - s), &p, NULL);
	cr_assert_str_eq(p.data, "$.labels[1].shapes[2]");
	buf_reset(&p);
	const char *dup = "{\"a\": 1, \"b\": {\"c\": 2, \"c\": 3}}";
	json_scan_path_at(dup, strlen(dup), (size_t)(strrchr(dup, '3') - dup), &p, &k);
	cr_assert_str_eq(p.data, "$.b");
	cr_assert_str_eq(k.data, "c");
	buf_release(&p);
	buf_release(&k);
}
