/*
 * fmt_xml.h - what the XML formats (fmt_voc.c, fmt_cvat.c) share: a
 * streaming expat reader over fixed-size chunks that refuses DTDs and
 * entity declarations and names file and line in every error, attribute
 * and number helpers, and escaping for the writers.
 *
 * Ownership: arguments are borrowed. Not thread-safe per struct fmt_xml.
 */
#ifndef CAIRN_FMT_XML_H
#define CAIRN_FMT_XML_H

#include <expat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Longest character data kept for one element (longer is an error). */
#define FMT_XML_MAX_TEXT (1u << 20)

struct fmt_xml {
	XML_Parser p;
	const char *name;           /* the file as messages name it */
	void *ctx;                  /* the reader's state */
	/* Called for each element; set x->rc (fmt_xml_fail) to stop. */
	void (*start)(struct fmt_xml *x, const char *el, const char **attrs);
	void (*end)(struct fmt_xml *x, const char *el, const char *text, size_t len);
	struct buf text;            /* character data of the innermost open element */
	int depth;                  /* of the element being started or ended (root 1) */
	int rc;                     /* 0, or the error that stopped the parse */
	struct buf *err;
	struct buf where;           /* scratch for fmt_xml_where */
};

/*
 * Parses the file at path (or the buffer data, len) with x->start and
 * x->end, 64 KiB at a time. x->name, ctx, start, end must be set; the
 * rest is initialised here. Returns 0, x->rc, CAIRN_ENOTFOUND (cannot
 * open) or CAIRN_EINVAL ("annotations.xml:57: malformed XML: unclosed
 * token", "x.xml:2: <!DOCTYPE>: DTDs and entity declarations are not
 * accepted") with the message in err.
 */
int fmt_xml_parse_file(struct fmt_xml *x, const char *path, struct buf *err);
int fmt_xml_parse_mem(struct fmt_xml *x, const char *data, size_t len, struct buf *err);

/* The current line. */
unsigned long fmt_xml_line(const struct fmt_xml *x);
/* "name:line" (borrowed until the next call). */
const char *fmt_xml_where(struct fmt_xml *x);
/* Stops the parse with rc (< 0); the message must already be in x->err. */
void fmt_xml_stop(struct fmt_xml *x, int rc);
/* Sets "name:line: message" in x->err and stops with CAIRN_EINVAL. */
void fmt_xml_fail(struct fmt_xml *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value of attribute name in expat's attrs, or NULL. */
const char *fmt_xml_attr(const char **attrs, const char *name);
/* A finite number (leading/trailing blanks allowed); false otherwise. */
bool fmt_xml_num(const char *s, double *out);
/* An integer in [lo, hi]; false otherwise. */
bool fmt_xml_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* s with " " trimmed at both ends, into out (reset first). */
void fmt_xml_trim(struct buf *out, const char *s, size_t len);

/* Appends s escaped for text and attribute values (& < > " ' and tab, CR,
 * LF as character references); other control characters, which XML 1.0
 * cannot carry, become U+FFFD. */
void fmt_xml_esc(struct buf *b, const char *s);
/* Appends a number in the shortest form that reads back the same. */
void fmt_xml_num_out(struct buf *b, double v);

/* A map from strings to integers (labels by name, stems, frames). */
struct fmt_strmap {
	struct fmt_strmap_e { char *k; int64_t v; } *e;
	size_t n, cap;              /* cap: a power of two, or 0 */
};
bool fmt_strmap_get(const struct fmt_strmap *m, const char *k, int64_t *v);
/* Sets k to v; returns false when k was there already (then v replaces it). */
bool fmt_strmap_put(struct fmt_strmap *m, const char *k, int64_t v);
void fmt_strmap_release(struct fmt_strmap *m);

#endif
