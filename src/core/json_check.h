/*
 * json_check.h - the type checks the JSON validators (schema, annotation
 * documents) share: what kind a value must be, and how to name what it is
 * in an error ("expected an array, got a string").
 */
#ifndef CAIRN_JSON_CHECK_H
#define CAIRN_JSON_CHECK_H

#include <jansson.h>
#include <stdbool.h>

enum want { W_STRING, W_NUMBER, W_INTEGER, W_BOOL, W_ARRAY, W_OBJECT };

/* "an object", "an integer", "true", "null" ... for an error message. */
const char *json_type_text(const json_t *v);
/* The offending value as an error shows it, written into b: a string
 * quoted (cut after 60 bytes, then "..."), a number as written, else what
 * json_type_text names. */
struct buf;
void json_value_text(struct buf *b, const json_t *v);
/* "a string", "true or false" ... what w asks for. */
const char *json_want_text(enum want w);
/* Whether v is of kind w. */
bool json_is_want(const json_t *v, enum want w);

/* The same for trees of base/jdom.h. */
struct jd;
const char *jd_type_text(const struct jd *v);
bool jd_is_want(const struct jd *v, enum want w);

#endif
