/*
 * assets.h - the browser UI's files, embedded at build time by
 * scripts/embed-web into build/gen/web_assets.c.
 */
#ifndef CAIRN_ASSETS_H
#define CAIRN_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;            /* "/index.html" */
	const unsigned char *data;
	size_t size;
};

/* Ends with an entry whose path is NULL. */
extern const struct asset assets[];

#endif
