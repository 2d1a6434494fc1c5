/*
 * archive.h - unpacking an uploaded dataset archive (zip, tar, tar.gz)
 * into a folder the server chose, safely: no entry may leave the folder
 * (absolute paths, "..", links are refused), and the number of entries and
 * the bytes written are capped, so an archive bomb stops with an error.
 */
#ifndef CAIRN_ARCHIVE_H
#define CAIRN_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

/* Whether the file starts like an archive libarchive reads (zip, tar, gzip). */
bool archive_sniff(const char *path);

/*
 * Extracts archive `path` into the existing folder `dest`. Returns 0, or
 * CAIRN_EINVAL naming the offending entry, CAIRN_ETOOBIG past a cap,
 * CAIRN_EIO. On failure what was written stays in dest for the caller to
 * remove with archive_remove_tree.
 */
int archive_extract(const char *path, const char *dest, uint64_t max_bytes, uint64_t max_entries,
		    struct buf *err);

/*
 * Packs the folder dir (regular files and folders; links are skipped) into
 * a zip at zip_path, entries named relative to dir. Streams file by file.
 * Returns 0, or CAIRN_EIO naming the file (zip_path may then be partial:
 * write to a temporary name and rename).
 */
int archive_pack_dir(const char *dir, const char *zip_path, struct buf *err);

/* Removes a folder and everything in it (no symlinks are followed). */
int archive_remove_tree(const char *dir);

#endif
