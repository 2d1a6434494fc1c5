/*
 * asset.h - files embedded into the binary at build time by
 * scripts/embed-files: the browser UI (web_assets, from web/) and the SQL
 * migrations (migration_files, from src/store/migrations/).
 */
#ifndef CAIRN_ASSET_H
#define CAIRN_ASSET_H

#include <stddef.h>

struct asset {
	const char *path;            /* "/index.html": "/" + path under the folder */
	const unsigned char *data;   /* NUL-terminated, size bytes before the NUL */
	size_t size;
};

/* Each table ends with an entry whose path is NULL. */
extern const struct asset web_assets[];
extern const struct asset migration_files[];

#endif
