/*
 * test_json_check.c - JSON type checks and their names in errors.
 */
#include <criterion/criterion.h>

#include "core/json_check.h"
#include "base/banned.h"

Test(json_check, kinds_and_names)
{
	json_t *i = json_integer(3), *r = json_real(2.5), *s = json_string("x"), *n = json_null();
	cr_assert(json_is_want(i, W_INTEGER));
	cr_assert(json_is_want(i, W_NUMBER), "an integer is a number");
	cr_assert_not(json_is_want(r, W_INTEGER));
	cr_assert_not(json_is_want(s, W_ARRAY));
	cr_assert_str_eq(json_type_text(i), "an integer");
	cr_assert_str_eq(json_type_text(r), "a number");
	cr_assert_str_eq(json_type_text(n), "null");
	cr_assert_str_eq(json_want_text(W_BOOL), "true or false");
	json_decref(i);
	json_decref(r);
	json_decref(s);
	json_decref(n);
}
