/*
 * fmt_util.h - the small helpers every format file needs: allocation that
 * aborts on exhaustion (as buf and arena do), and whether a path is a
 * folder or a regular file. Inline, so each file keeps its own copy without
 * repeating the source.
 */
#ifndef CAIRN_FMT_UTIL_H
#define CAIRN_FMT_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* realloc that never returns NULL (n 0 allocates one byte). */
static inline void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* A copy of s ("" for NULL) that is never NULL. */
static inline char *xstrdup(const char *s)
{
	char *r = strdup(s ? s : "");
	if (!r)
		abort();
	return r;
}

static inline bool is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static inline bool is_file(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

#endif
