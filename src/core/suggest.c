/*
 * suggest.c - nearest-name suggestions by edit distance and alias tables.
 */
#include "core/suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[65][65];
	if (la > 64 || lb > 64)
		return 1000;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	/* Optimal string alignment: a swap of two neighbours counts as one. */
	for (size_t i = 1; i <= la; i++) {
		int ca = tolower((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *suggest(const char *s, const char *const *cands, size_t n,
		    const struct alias *aliases)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	for (const struct alias *a = aliases; a && a->from; a++) {
		if (strcasecmp(s, a->from))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(cands[i], a->to))
				return cands[i];
	}
	if (n > SUGGEST_MAX_CANDIDATES)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(s, cands[i]);
		size_t len = strlen(cands[i]);
		size_t limit = len < 3 ? 1 : (len + 2) / 3;
		if (d <= limit && d < bestd && d < len) {
			best = cands[i];
			bestd = d;
		}
	}
	return best;
}
