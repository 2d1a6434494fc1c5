/*
 * test_model.c - enum names round-trip, and auth's passwords, secrets and
 * name rules.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/err.h"
#include "core/auth.h"
#include "core/model.h"
#include "base/banned.h"

Test(model, enum_names_round_trip)
{
	for (int k = 0; k < ITEM_KIND_COUNT_; k++) {
		enum item_kind v;
		cr_assert(item_kind_parse(item_kind_name(k), &v));
		cr_assert_eq((int)v, k);
	}
	for (int k = 0; k < ROLE_COUNT_; k++) {
		enum role v;
		cr_assert(role_parse(role_name(k), &v));
		cr_assert_eq((int)v, k);
	}
	for (int k = 0; k < ANN_KIND_COUNT_; k++) {
		enum annotation_kind v;
		cr_assert(annotation_kind_parse(annotation_kind_name(k), &v));
		cr_assert_eq((int)v, k);
	}
	for (int k = 0; k < ITEM_STATUS_COUNT_; k++) {
		enum item_status v;
		cr_assert(item_status_parse(item_status_name(k), &v));
		cr_assert_eq((int)v, k);
	}
	enum role r;
	cr_assert_not(role_parse("owner", &r));
	cr_assert_not(role_parse(NULL, &r));
	cr_assert_str_eq(item_kind_name(99), "?");
}

Test(auth, password_hash_verifies_only_the_password)
{
	struct buf h = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(auth_hash_password("correct horse", &h, &err), 0);
	cr_assert(!strncmp(h.data, "$argon2id$", 10), "%s", h.data);
	cr_assert(auth_check_password(h.data, "correct horse"));
	cr_assert_not(auth_check_password(h.data, "correct horsE"));
	cr_assert_not(auth_check_password(NULL, "x"));
	buf_release(&h);
	buf_release(&err);
}

Test(auth, random_passwords_and_secrets)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	auth_random_password(&a, 20);
	auth_random_password(&b, 20);
	cr_assert_eq(a.len, 20);
	cr_assert_str_neq(a.data, b.data);
	buf_reset(&a);
	auth_random_hex(&a, 100);
	cr_assert_eq(a.len, 200);
	cr_assert_eq(strspn(a.data, "0123456789abcdef"), 200);
	buf_release(&a);
	buf_release(&b);
}

Test(auth, names_and_password_rules)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(auth_name_ok("user", "alice_1.x-y", &err), 0);
	cr_assert_eq(auth_name_ok("user", "", &err), CAIRN_EINVAL);
	cr_assert_eq(auth_name_ok("user", "-rf", &err), CAIRN_EINVAL);
	cr_assert_eq(auth_name_ok("project", "a/b", &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "project name 'a/b'"), "%s", err.data);
	cr_assert_eq(auth_password_ok("1234567", &err), CAIRN_EINVAL);
	cr_assert_eq(auth_password_ok("12345678", &err), 0);
	buf_release(&err);
}
