/*
 * fmt_csv.h - the CSV (image,label) reader on a buffer (tests, fuzzing).
 * Conventions: docs/formats/csv.md.
 */
#ifndef CAIRN_FMT_CSV_H
#define CAIRN_FMT_CSV_H

#include <stddef.h>

#include "base/buf.h"

struct fmt_sink;

/* Reads len bytes as one CSV file named name. */
int fmt_csv_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err);

#endif
