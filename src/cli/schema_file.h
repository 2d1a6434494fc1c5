/*
 * schema_file.h - reads a label-schema file for the CLI (`cairn project
 * create --schema FILE`): the file I/O that src/core/schema.c may not do,
 * with a size cap and errors prefixed by the file name.
 */
#ifndef CAIRN_SCHEMA_FILE_H
#define CAIRN_SCHEMA_FILE_H

struct buf;
struct schema;

/*
 * Reads path (at most SCHEMA_MAX_BYTES), parses and validates it into *out
 * (release with schema_release after success) and, when canonical_json is
 * not NULL, appends its canonical JSON (what store_schema_put should save).
 * Returns 0; CAIRN_EIO when the file cannot be read; CAIRN_ETOOBIG when it
 * is too big; CAIRN_EINVAL when the schema is invalid. On failure err holds
 * every error, one per line, each "PATH: $.json.path: message" (at most
 * SCHEMA_MAX_ERRORS lines, then "PATH: ... and N more errors"), and *out
 * holds nothing to release.
 */
int schema_load_file(struct schema *out, const char *path, struct buf *canonical_json,
		     struct buf *err);

#endif
