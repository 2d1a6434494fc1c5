/*
 * test_cli.c - option parsing shared by every command: values, flags,
 * positionals, '--', unknown options and missing values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "base/banned.h"

static const struct cli_cmd cmd = {"t", "test", "t [--data DIR] [--json] ARGS", NULL};

static void silence(void)
{
	if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
		abort();
}

Test(cli, parses_values_flags_and_positionals)
{
	const char *data = NULL;
	bool json = false, done;
	const struct cli_opt opts[] = {{"data", 1, &data, NULL}, {"json", 0, NULL, &json}, {0}};
	char *argv[] = {"t", "a", "--data", "/x", "b", "--json", "--", "--c", NULL};
	int npos;
	cr_assert_eq(cli_parse(&cmd, 8, argv, opts, &npos, &done), 0);
	cr_assert_not(done);
	cr_assert_str_eq(data, "/x");
	cr_assert(json);
	cr_assert_eq(npos, 3);
	cr_assert_str_eq(argv[0], "a");
	cr_assert_str_eq(argv[1], "b");
	cr_assert_str_eq(argv[2], "--c");
}

Test(cli, equals_form_and_errors, .init = silence)
{
	const char *data = NULL;
	bool json = false, done;
	const struct cli_opt opts[] = {{"data", 1, &data, NULL}, {"json", 0, NULL, &json}, {0}};
	int npos;
	char *a1[] = {"t", "--data=/y", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a1, opts, &npos, &done), 0);
	cr_assert_str_eq(data, "/y");
	char *a2[] = {"t", "--nope", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a2, opts, &npos, &done), EXIT_USAGE);
	char *a3[] = {"t", "--data", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a3, opts, &npos, &done), EXIT_USAGE);
	char *a4[] = {"t", "--json=1", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a4, opts, &npos, &done), EXIT_USAGE);
	char *a5[] = {"t", "-x", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a5, opts, &npos, &done), EXIT_USAGE);
	char *a6[] = {"t", "--help", NULL};
	cr_assert_eq(cli_parse(&cmd, 2, a6, opts, &npos, &done), 0);
	cr_assert(done);
}

Test(cli, data_dir_precedence)
{
	unsetenv("CAIRN_DATA");
	cr_assert_str_eq(cli_data_dir(NULL), "./cairn-data");
	setenv("CAIRN_DATA", "/env", 1);
	cr_assert_str_eq(cli_data_dir(NULL), "/env");
	cr_assert_str_eq(cli_data_dir("/opt"), "/opt");
	unsetenv("CAIRN_DATA");
}

Test(cli, parse_u64)
{
	uint64_t v;
	cr_assert(cli_parse_u64("42", &v));
	cr_assert_eq(v, 42);
	cr_assert_not(cli_parse_u64("-1", &v));
	cr_assert_not(cli_parse_u64("4x", &v));
	cr_assert_not(cli_parse_u64("", &v));
	cr_assert_not(cli_parse_u64("99999999999999999999999", &v));
}
