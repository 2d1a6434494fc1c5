/*
 * json_scan.h - scans over raw JSON text that need no parser: the line
 * where nesting first goes too deep (checked before a recursive parser
 * runs), and the JSON path of the value at a byte offset (to name the
 * place of a parser's error). Best effort on text that is not valid JSON.
 */
#ifndef CAIRN_JSON_SCAN_H
#define CAIRN_JSON_SCAN_H

#include <stddef.h>

#include "base/buf.h"

/* The deepest nesting json_scan_path_at follows. */
#define JSON_SCAN_MAX_DEPTH 64

/* Returns the line (from 1) where nesting first goes past max_depth, or 0. */
size_t json_scan_too_deep(const char *s, size_t len, int max_depth);

/*
 * Appends to path the JSON path ("$.labels[2].name") of the value being
 * read at byte stop, and to key (if not NULL) the last object key read
 * there, for duplicate-key errors. Nesting past JSON_SCAN_MAX_DEPTH is not
 * followed; check json_scan_too_deep first.
 */
void json_scan_path_at(const char *s, size_t len, size_t stop, struct buf *path, struct buf *key);

#endif
