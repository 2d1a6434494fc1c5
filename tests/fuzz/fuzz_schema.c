/*
 * fuzz_schema.c - libFuzzer entry for the label-schema parser: arbitrary
 * bytes are parsed and validated; a schema that parses must write canonical
 * JSON that parses again to the same bytes. Everything is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/schema.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema s, t;
	struct buf err = BUF_INIT, errs = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	int n = 0;
	int rc = schema_validate_all((const char *)data, size, &errs, &n);
	int rc2 = schema_parse(&s, (const char *)data, size, &err);
	/* Both entry points agree on whether the schema is valid. */
	if ((rc == 0) != (rc2 == 0) || (rc == 0) != (n == 0))
		abort();
	if (rc2 == 0) {
		if (schema_to_json(&s, &a))
			abort();
		if (schema_parse(&t, a.data, a.len, &err))
			abort();
		if (schema_to_json(&t, &b) || a.len != b.len || memcmp(a.data, b.data, a.len))
			abort();
		schema_release(&t);
		schema_release(&s);
	}
	buf_release(&err);
	buf_release(&errs);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
