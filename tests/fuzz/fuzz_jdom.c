/*
 * fuzz_jdom.c - libFuzzer entry for the strict JSON parser (base/jdom.c),
 * checked against jansson (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) on the
 * same bytes: both must accept or both refuse, and what both accept must
 * have the same shape (types, sizes, keys, strings, numbers). Inputs nested
 * deeper than jdom's limit, or holding a NUL byte (jansson stops reading
 * there; jdom refuses it), are only parsed, not compared.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jdom.h"
#include "base/json_scan.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH 32

static void same(const struct jd *a, const json_t *b)
{
	switch (json_typeof(b)) {
	case JSON_OBJECT: {
		if (!jd_is_object(a) || jd_size(a) != json_object_size(b))
			abort();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)b, k, v) {
			const struct jd *m = jd_get(a, k);
			if (!m)
				abort();
			same(m, v);
		}
		break;
	}
	case JSON_ARRAY:
		if (!jd_is_array(a) || jd_size(a) != json_array_size(b))
			abort();
		for (size_t i = 0; i < json_array_size(b); i++)
			same(jd_at(a, i), json_array_get(b, i));
		break;
	case JSON_STRING:
		if (!jd_is_string(a) || jd_len(a) != json_string_length(b) ||
		    memcmp(jd_str(a), json_string_value(b), jd_len(a)))
			abort();
		break;
	case JSON_INTEGER:
		if (!jd_is_int(a) || jd_int(a) != json_integer_value(b))
			abort();
		break;
	case JSON_REAL:
		if (!jd_is_real(a) || jd_num(a) != json_real_value(b))
			abort();
		break;
	case JSON_TRUE:
		if (!jd_is_true(a))
			abort();
		break;
	case JSON_FALSE:
		if (!jd_is_bool(a) || jd_is_true(a))
			abort();
		break;
	default:
		if (!jd_is_null(a))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = ARENA_INIT;
	struct jd_error e;
	const char *s = (const char *)data;
	const struct jd *v = jd_parse(&a, s, size, DEPTH, &e);
	if (!json_scan_too_deep(s, size, DEPTH - 1) && !memchr(s, 0, size)) {
		json_error_t je;
		json_t *j = json_loadb(s, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
		if (!v != !j)
			abort();
		if (v)
			same(v, j);
		json_decref(j);
	}
	arena_release(&a);
	return 0;
}
