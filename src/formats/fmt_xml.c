/*
 * fmt_xml.c - the streaming XML reader and the escaping the XML formats
 * share (fmt_voc.c, fmt_cvat.c). expat over 64 KiB chunks: memory is
 * bounded by the largest single token, not the file. A DOCTYPE stops the
 * parse before any entity can be declared or expanded.
 */
#include "formats/fmt_xml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "core/annotation.h"
#include "base/banned.h"

#define CHUNK 65536

unsigned long fmt_xml_line(const struct fmt_xml *x)
{
	return (unsigned long)XML_GetCurrentLineNumber(x->p);
}

const char *fmt_xml_where(struct fmt_xml *x)
{
	buf_reset(&x->where);
	buf_addf(&x->where, "%s:%lu", x->name, fmt_xml_line(x));
	return x->where.data;
}

void fmt_xml_stop(struct fmt_xml *x, int rc)
{
	if (!x->rc)
		x->rc = rc;
	XML_StopParser(x->p, XML_FALSE);
}

void fmt_xml_fail(struct fmt_xml *x, const char *fmt, ...)
{
	if (x->rc)
		return;
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	buf_setf(x->err, "%s:%lu: %s", x->name, fmt_xml_line(x), m.data);
	buf_release(&m);
	fmt_xml_stop(x, CAIRN_EINVAL);
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **attrs)
{
	struct fmt_xml *x = ud;
	if (x->rc)
		return;
	x->depth++;
	buf_reset(&x->text);
	x->start(x, el, attrs);
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct fmt_xml *x = ud;
	if (x->rc)
		return;
	x->end(x, el, x->text.data, x->text.len);
	x->depth--;
	buf_reset(&x->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct fmt_xml *x = ud;
	if (x->rc)
		return;
	if (x->text.len + (size_t)len > FMT_XML_MAX_TEXT) {
		fmt_xml_fail(x, "text longer than %u bytes", FMT_XML_MAX_TEXT);
		return;
	}
	buf_add(&x->text, s, (size_t)len);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fmt_xml_fail(ud, "<!DOCTYPE %s>: DTDs and entity declarations are not accepted", name);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			      int value_len, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fmt_xml_fail(ud, "<!ENTITY %s>: DTDs and entity declarations are not accepted", name);
}

static int setup(struct fmt_xml *x, struct buf *err)
{
	x->p = XML_ParserCreate("UTF-8");
	if (!x->p)
		abort();
	x->text = (struct buf)BUF_INIT;
	x->where = (struct buf)BUF_INIT;
	x->depth = 0;
	x->rc = 0;
	x->err = err;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	XML_SetEntityDeclHandler(x->p, on_entity);
	XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
	return 0;
}

static void teardown(struct fmt_xml *x)
{
	XML_ParserFree(x->p);
	x->p = NULL;
	buf_release(&x->text);
	buf_release(&x->where);
}

/* One chunk; returns 0 or the error. */
static int feed(struct fmt_xml *x, const char *data, size_t len, bool final)
{
	enum XML_Status st = XML_Parse(x->p, data, (int)len, final);
	if (x->rc)
		return x->rc;
	if (st == XML_STATUS_ERROR) {
		buf_setf(x->err, "%s:%lu: malformed XML: %s", x->name, fmt_xml_line(x),
			 XML_ErrorString(XML_GetErrorCode(x->p)));
		return x->rc = CAIRN_EINVAL;
	}
	return 0;
}

int fmt_xml_parse_file(struct fmt_xml *x, const char *path, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	setup(x, err);
	char *b = malloc(CHUNK);
	if (!b)
		abort();
	int rc = 0;
	for (;;) {
		size_t n = fread(b, 1, CHUNK, f);
		if (ferror(f)) {
			buf_setf(err, "%s: cannot read: %s", path, strerror(errno));
			rc = CAIRN_EIO;
			break;
		}
		bool final = n < CHUNK && feof(f);
		if ((rc = feed(x, b, n, final)) || final)
			break;
	}
	free(b);
	fclose(f);
	teardown(x);
	return rc;
}

int fmt_xml_parse_mem(struct fmt_xml *x, const char *data, size_t len, struct buf *err)
{
	setup(x, err);
	int rc = 0;
	size_t off = 0;
	do {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		bool final = off + n == len;
		if ((rc = feed(x, data + off, n, final)) || final)
			break;
		off += n;
	} while (1);
	teardown(x);
	return rc;
}

const char *fmt_xml_attr(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs && attrs[i]; i += 2)
		if (!strcmp(attrs[i], name))
			return attrs[i + 1];
	return NULL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool fmt_xml_num(const char *s, double *out)
{
	if (!s)
		return false;
	while (blank(*s))
		s++;
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return false;
	while (blank(*end))
		end++;
	if (*end || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || fabs(v) > ANN_MAX_COORD)
		return false;
	/* strtod also takes "inf", "nan", hex: only plain decimals here. */
	for (const char *p = s; p < end; p++)
		if (!strchr("0123456789+-.eE \t\r\n", *p))
			return false;
	*out = v;
	return true;
}

bool fmt_xml_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	if (!s)
		return false;
	while (blank(*s))
		s++;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno)
		return false;
	while (blank(*end))
		end++;
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

void fmt_xml_trim(struct buf *out, const char *s, size_t len)
{
	buf_reset(out);
	while (len && blank(*s))
		s++, len--;
	while (len && blank(s[len - 1]))
		len--;
	buf_add(out, s, len);
}

void fmt_xml_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&apos;"); break;
		case '\n': buf_adds(b, "&#10;"); break;
		case '\r': buf_adds(b, "&#13;"); break;
		case '\t': buf_adds(b, "&#9;"); break;
		default:
			/* XML 1.0 cannot carry other control characters at all. */
			if ((unsigned char)*s < 0x20)
				buf_adds(b, "\xef\xbf\xbd");
			else
				buf_addch(b, *s);
		}
	}
}

void fmt_xml_num_out(struct buf *b, double v)
{
	json_add_double(b, v);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t slot_find(const struct fmt_strmap *m, const char *k)
{
	size_t i = (size_t)str_hash(k) & (m->cap - 1);
	while (m->e[i].k && strcmp(m->e[i].k, k))
		i = (i + 1) & (m->cap - 1);
	return i;
}

bool fmt_strmap_get(const struct fmt_strmap *m, const char *k, int64_t *v)
{
	if (!m->cap)
		return false;
	size_t i = slot_find(m, k);
	if (!m->e[i].k)
		return false;
	if (v)
		*v = m->e[i].v;
	return true;
}

bool fmt_strmap_put(struct fmt_strmap *m, const char *k, int64_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct fmt_strmap old = *m;
		m->cap = m->cap ? 2 * m->cap : 64;
		m->e = calloc(m->cap, sizeof(*m->e));
		if (!m->e)
			abort();
		for (size_t i = 0; i < old.cap; i++)
			if (old.e[i].k)
				m->e[slot_find(m, old.e[i].k)] = old.e[i];
		free(old.e);
	}
	size_t i = slot_find(m, k);
	if (m->e[i].k) {
		m->e[i].v = v;
		return false;
	}
	m->e[i].k = strdup(k);
	if (!m->e[i].k)
		abort();
	m->e[i].v = v;
	m->n++;
	return true;
}

void fmt_strmap_release(struct fmt_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].k);
	free(m->e);
	memset(m, 0, sizeof(*m));
}
