/*
 * test_schema_file.c - unit tests for src/cli/schema_file.c: the demo
 * schema loads with its canonical JSON; a bad file reports every error with
 * the file name; missing and oversized files fail cleanly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/schema_file.h"
#include "core/schema.h"

#include "../tmpdir.h"
#include "base/banned.h"

static char dir[64];

static void setup(void)
{
	tmpdir_make(dir, sizeof dir, "schema");
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

TestSuite(schema_file, .init = setup, .fini = teardown);

Test(schema_file, demo_loads)
{
	struct schema s;
	struct buf canon = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(schema_load_file(&s, "docs/examples/schema-demo.json", &canon, &err), 0, "%s", err.data);
	cr_assert_eq(s.nlabels, 5);
	cr_assert(strstr(canon.data, "\"cairn_schema\": 1,"));
	cr_assert(strstr(canon.data, "\"name\": \"person\""));
	schema_release(&s);
	/* canonical_json may be NULL. */
	cr_assert_eq(schema_load_file(&s, "docs/examples/schema-demo.json", NULL, &err), 0);
	schema_release(&s);
	buf_release(&canon);
	buf_release(&err);
}

Test(schema_file, errors_name_the_file)
{
	char p[128];
	struct schema s;
	struct buf err = BUF_INIT;
	const char *bad = "{\"cairn_schema\": 1, \"labels\": [{\"name\": \"a\", \"shapes\": [\"bbox\"]},"
			  " {\"name\": \"a\", \"shapes\": [\"box\"]}]}";
	snprintf(p, sizeof p, "%s/s.json", dir);
	write_file(p, bad, strlen(bad));
	cr_assert_eq(schema_load_file(&s, p, NULL, &err), CAIRN_EINVAL);
	struct buf want = BUF_INIT;
	buf_addf(&want, "%s: $.labels[0].shapes[0]: unknown shape type 'bbox' (did you mean 'box'?)\n"
		 "%s: $.labels[1].name: duplicate label 'a' (first at $.labels[0])", p, p);
	cr_assert_str_eq(err.data, want.data);
	schema_release(&s);
	buf_release(&want);
	buf_release(&err);
}

Test(schema_file, missing_and_too_big)
{
	char p[128];
	struct schema s;
	struct buf err = BUF_INIT;
	snprintf(p, sizeof p, "%s/none.json", dir);
	cr_assert_eq(schema_load_file(&s, p, NULL, &err), CAIRN_EIO);
	cr_assert(strstr(err.data, "none.json: cannot open: "), "%s", err.data);
	snprintf(p, sizeof p, "%s/s.json", dir);
	size_t n = SCHEMA_MAX_BYTES + 10;
	char *big = malloc(n);
	memset(big, ' ', n);
	write_file(p, big, n);
	free(big);
	cr_assert_eq(schema_load_file(&s, p, NULL, &err), CAIRN_ETOOBIG);
	cr_assert(strstr(err.data, "s.json: the schema file is larger than"), "%s", err.data);
	buf_release(&err);
}
