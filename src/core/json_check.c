/*
 * json_check.c - JSON type checks and their names; see json_check.h.
 */
#include "core/json_check.h"

#include <string.h>

#include "base/buf.h"
#include "base/jdom.h"
#include "core/annotation.h"

#include "base/banned.h"

const char *json_type_text(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return "null";
	}
}

void json_value_text(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *t = json_string_value(v);
		size_t l = strlen(t);
		buf_add_json_strn(b, t, l > 60 ? 60 : l);
		if (l > 60)
			buf_adds(b, "...");
		break;
	}
	case JSON_INTEGER: buf_addf(b, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL: json_add_double(b, json_real_value(v)); break;
	default: buf_adds(b, json_type_text(v)); break;
	}
}

const char *json_want_text(enum want w)
{
	static const char *const what[] = {
		"a string", "a number", "an integer", "true or false", "an array", "an object",
	};
	return (unsigned)w < sizeof(what) / sizeof(what[0]) ? what[w] : "a value";
}

bool json_is_want(const json_t *v, enum want w)
{
	switch (w) {
	case W_STRING: return json_is_string(v);
	case W_NUMBER: return json_is_number(v);
	case W_INTEGER: return json_is_integer(v);
	case W_BOOL: return json_is_boolean(v);
	case W_ARRAY: return json_is_array(v);
	default: return json_is_object(v);
	}
}

const char *jd_type_text(const struct jd *v)
{
	switch (v ? v->type : JD_NULL) {
	case JD_OBJECT: return "an object";
	case JD_ARRAY: return "an array";
	case JD_STRING: return "a string";
	case JD_INT: return "an integer";
	case JD_REAL: return "a number";
	case JD_TRUE: return "true";
	case JD_FALSE: return "false";
	default: return "null";
	}
}

bool jd_is_want(const struct jd *v, enum want w)
{
	switch (w) {
	case W_STRING: return jd_is_string(v);
	case W_NUMBER: return jd_is_number(v);
	case W_INTEGER: return jd_is_int(v);
	case W_BOOL: return jd_is_bool(v);
	case W_ARRAY: return jd_is_array(v);
	default: return jd_is_object(v);
	}
}
