/*
 * buf.h - the one growable byte buffer (git's strbuf invariants).
 *
 * Invariants: `data` is never NULL and always NUL-terminated at `len`;
 * BUF_INIT allocates nothing; buf_detach hands ownership of the bytes to the
 * caller. `max` caps growth (0 = no cap): a buffer filled from untrusted
 * input sets it, and an append past it fails with CAIRN_ETOOBIG and leaves
 * the buffer unchanged. Allocation failure aborts the process (as git does):
 * there is no sane recovery from malloc failing inside a string append.
 */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

extern char buf_empty_[];
#define BUF_INIT {buf_empty_, 0, 0, 0}

void buf_init(struct buf *b, size_t hint);
void buf_release(struct buf *b);
/* Returns the bytes (owned, free with free()); b is reset to BUF_INIT. */
char *buf_detach(struct buf *b, size_t *len);
void buf_reset(struct buf *b);
/* Makes room for n more bytes; CAIRN_ETOOBIG past b->max. */
int buf_grow(struct buf *b, size_t n);
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Replaces the contents with a formatted message (for error buffers). NULL b is allowed and ignored. */
void buf_setf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int buf_add_json_str(struct buf *b, const char *s);
int buf_add_json_strn(struct buf *b, const char *s, size_t n);
void buf_setlen(struct buf *b, size_t len);

#endif
