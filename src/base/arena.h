/*
 * arena.h - a bump allocator for memory that lives exactly as long as one
 * piece of work (an HTTP request owns one; h2o's per-request pool).
 * Everything allocated from an arena is freed at once by arena_release.
 * Allocation failure aborts, as buf does. Not thread-safe: one owner.
 */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t used;             /* bytes used in head */
};

#define ARENA_INIT {NULL, 0}

/* Returns n bytes aligned for any type, zeroed. */
void *arena_alloc(struct arena *a, size_t n);
/* Returns a NUL-terminated copy of s (or of its first n bytes). */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Returns a formatted string allocated from the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arena_release(struct arena *a);

#endif
