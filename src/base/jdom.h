/*
 * jdom.h - a strict JSON parser into a read-only tree held in one arena:
 * one pass, no allocation per value, freed all at once. Made for the
 * annotation save path, where jansson's per-value allocations and hash
 * tables were a quarter of a save's CPU time.
 *
 * Strict as RFC 8259 and as jansson with JSON_REJECT_DUPLICATES: valid
 * UTF-8 only, no NUL (\u0000) in strings, no lone surrogates, no control
 * characters, no duplicate keys, integers within int64, finite numbers,
 * nesting at most max_depth, nothing but white space after the value.
 * Object members keep their document order.
 *
 * Accessors are NULL-safe (a missing member reads as NULL, and NULL is of
 * no type), like jansson's.
 */
#ifndef CAIRN_JDOM_H
#define CAIRN_JDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

enum jd_type { JD_NULL, JD_FALSE, JD_TRUE, JD_INT, JD_REAL, JD_STRING, JD_ARRAY, JD_OBJECT };

struct jd_member;

/* One value. */
struct jd {
	enum jd_type type;
	size_t n;                       /* string bytes; array items; object members */
	union {
		int64_t i;
		double d;
		const char *s;          /* NUL-terminated (no NUL inside) */
		struct jd *items;
		struct jd_member *members;
	} u;
};

struct jd_member {
	const char *key;                /* NUL-terminated */
	size_t klen;
	struct jd v;
};

struct jd_error {
	int line, column;               /* 1-based, of the offending token's last byte */
	size_t position;                /* bytes read when the error was found */
	bool duplicate;                 /* a duplicate key (text names it) */
	char text[160];
};

/*
 * Parses len bytes of s into a tree allocated from a (released with the
 * arena). Returns the root, or NULL with *e filled.
 */
const struct jd *jd_parse(struct arena *a, const char *s, size_t len, int max_depth,
			  struct jd_error *e);

/* The member k of object o, or NULL (also when o is not an object). */
const struct jd *jd_get(const struct jd *o, const char *k);
/* Item i of array a, or NULL. */
const struct jd *jd_at(const struct jd *a, size_t i);
/* Items of an array or members of an object; 0 for anything else. */
size_t jd_size(const struct jd *v);

static inline bool jd_is_null(const struct jd *v) { return v && v->type == JD_NULL; }
static inline bool jd_is_true(const struct jd *v) { return v && v->type == JD_TRUE; }
static inline bool jd_is_bool(const struct jd *v)
{
	return v && (v->type == JD_TRUE || v->type == JD_FALSE);
}
static inline bool jd_is_int(const struct jd *v) { return v && v->type == JD_INT; }
static inline bool jd_is_real(const struct jd *v) { return v && v->type == JD_REAL; }
static inline bool jd_is_number(const struct jd *v)
{
	return v && (v->type == JD_INT || v->type == JD_REAL);
}
static inline bool jd_is_string(const struct jd *v) { return v && v->type == JD_STRING; }
static inline bool jd_is_array(const struct jd *v) { return v && v->type == JD_ARRAY; }
static inline bool jd_is_object(const struct jd *v) { return v && v->type == JD_OBJECT; }

/* The string (NULL for non-strings) and its length in bytes. */
static inline const char *jd_str(const struct jd *v) { return jd_is_string(v) ? v->u.s : NULL; }
static inline size_t jd_len(const struct jd *v) { return jd_is_string(v) ? v->n : 0; }
/* An integer's value (0 for anything else). */
static inline int64_t jd_int(const struct jd *v) { return jd_is_int(v) ? v->u.i : 0; }
/* A number's value as a double (0 for anything else). */
static inline double jd_num(const struct jd *v)
{
	return jd_is_int(v) ? (double)v->u.i : jd_is_real(v) ? v->u.d : 0;
}

/* for (k, v) in object o, in document order; i is a size_t counter. */
#define jd_foreach(o_, i_, k_, v_)                                                       \
	for ((i_) = 0; jd_is_object(o_) && (i_) < (o_)->n &&                              \
		       ((k_) = (o_)->u.members[i_].key, (v_) = &(o_)->u.members[i_].v, 1); \
	     (i_)++)

#endif
