/*
 * suggest.h - "did you mean ...?" for names in user input: the schema and
 * annotation validators use it for unknown keys, labels and shape types.
 * Pure; no allocation.
 */
#ifndef CAIRN_SUGGEST_H
#define CAIRN_SUGGEST_H

#include <stddef.h>

/* Suggestions are looked for among at most this many candidates. */
#define SUGGEST_MAX_CANDIDATES 2000

/*
 * A name other tools use for the same thing ("colour" -> "color"). An
 * alias whose target is not among the candidates is skipped, so one table
 * can serve several sets of candidates. Tables end with a NULL `from`.
 */
struct alias {
	const char *from, *to;
};

/* Case-insensitive optimal-string-alignment distance; 1000 past 64 characters. */
size_t suggest_distance(const char *a, const char *b);

/*
 * Returns the candidate s most likely meant: an alias first, then the
 * nearest by edit distance within a third of its length; NULL if none.
 * Borrowed from cands.
 */
const char *suggest(const char *s, const char *const *cands, size_t n,
		    const struct alias *aliases);

#endif
