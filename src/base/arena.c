/*
 * arena.c - bump allocation in growing blocks; see arena.h.
 */
#include "base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

static struct arena_block *block_new(size_t size, struct arena_block *next)
{
	struct arena_block *b = malloc(sizeof(*b) + size);
	if (!b) {
		fputs("cairn: out of memory\n", stderr);
		abort();
	}
	b->next = next;
	b->size = size;
	return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < n)
		abort();
	if (!a->head || a->used + need > a->head->size) {
		if (need > ARENA_BLOCK / 4) {
			/* A big allocation gets its own block behind the head so
			 * the head's free space is not wasted. */
			struct arena_block *b = block_new(need, NULL);
			if (a->head) {
				b->next = a->head->next;
				a->head->next = b;
			} else {
				a->head = b;
				a->used = need;
			}
			memset(b->data, 0, need);
			return b->data;
		}
		a->head = block_new(ARENA_BLOCK, a->head);
		a->used = 0;
	}
	void *p = a->head->data + a->used;
	a->used += need;
	memset(p, 0, need);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		n = 0;
	char *d = arena_alloc(a, (size_t)n + 1);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
}
