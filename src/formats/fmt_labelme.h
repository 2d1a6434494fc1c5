/*
 * fmt_labelme.h - the LabelMe JSON reader on a buffer (tests, fuzzing).
 * Conventions: docs/formats/labelme.md.
 */
#ifndef CAIRN_FMT_LABELME_H
#define CAIRN_FMT_LABELME_H

#include <stddef.h>

#include "base/buf.h"

struct fmt_sink;

/* Reads len bytes as one LabelMe JSON file named name (image id 1). */
int fmt_labelme_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			 struct buf *err);

#endif
