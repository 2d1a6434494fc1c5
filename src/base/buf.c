/*
 * buf.c - growable byte buffer; see buf.h for the invariants.
 */
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

char buf_empty_[1];

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("cairn: out of memory\n", stderr);
		abort();
	}
	return q;
}

void buf_init(struct buf *b, size_t hint)
{
	b->data = buf_empty_;
	b->len = b->cap = b->max = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	b->data = buf_empty_;
	b->len = b->cap = 0;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *r;
	if (!b->cap)
		buf_grow(b, 1);
	r = b->data;
	if (len)
		*len = b->len;
	b->data = buf_empty_;
	b->len = b->cap = 0;
	return r;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = 0;
}

int buf_grow(struct buf *b, size_t n)
{
	size_t need;
	if (n > SIZE_MAX - b->len - 1)
		return CAIRN_ETOOBIG;
	need = b->len + n + 1;
	if (b->max && need > b->max + 1)
		return CAIRN_ETOOBIG;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap < SIZE_MAX / 2 ? cap * 2 : need;
	if (b->cap) {
		b->data = xrealloc(b->data, cap);
	} else {
		b->data = xrealloc(NULL, cap);
		b->data[0] = 0;
	}
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	int rc = buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return CAIRN_EINVAL;
	if (b->cap && (size_t)n < b->cap - b->len && !(b->max && b->len + (size_t)n > b->max)) {
		b->len += (size_t)n;
		return 0;
	}
	int rc = buf_grow(b, (size_t)n);
	if (rc) {
		if (b->cap)
			b->data[b->len] = 0; /* undo what the first try wrote */
		return rc;
	}
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	if (!b)
		return;
	buf_reset(b);
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > b->len)
		len = b->len;
	b->len = len;
	if (b->cap)
		b->data[len] = 0;
}

int buf_add_json_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int rc = buf_addch(b, '"');
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': rc = buf_add(b, "\\\"", 2); break;
		case '\\': rc = buf_add(b, "\\\\", 2); break;
		case '\n': rc = buf_add(b, "\\n", 2); break;
		case '\r': rc = buf_add(b, "\\r", 2); break;
		case '\t': rc = buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				rc = buf_add(b, u, 6);
			} else {
				rc = buf_addch(b, (char)c);
			}
		}
	}
	return rc ? rc : buf_addch(b, '"');
}

int buf_add_json_str(struct buf *b, const char *s)
{
	return buf_add_json_strn(b, s, strlen(s));
}
