/*
 * schema_file.c - reads and validates a label-schema file for the CLI; see
 * schema_file.h. All errors are reported so a user fixes them in one go.
 */
#include "cli/schema_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/schema.h"
#include "base/banned.h"

/* Reads at most max bytes of path into b; CAIRN_ETOOBIG past that. */
static int read_capped(const char *path, size_t max, struct buf *b, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	char tmp[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		buf_setf(err, "%s: cannot open: %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (b->len + n > max) {
			buf_setf(err, "%s: the schema file is larger than %zu bytes", path, max);
			rc = CAIRN_ETOOBIG;
			break;
		}
		buf_add(b, tmp, n);
	}
	if (!rc && ferror(f)) {
		buf_setf(err, "%s: cannot read: %s", path, strerror(errno));
		rc = CAIRN_EIO;
	}
	fclose(f);
	return rc;
}

int schema_load_file(struct schema *out, const char *path, struct buf *canonical_json,
		     struct buf *err)
{
	struct buf text = BUF_INIT, errs = BUF_INIT;
	int rc, count = 0;

	memset(out, 0, sizeof *out);
	rc = read_capped(path, SCHEMA_MAX_BYTES, &text, err);
	if (rc)
		goto out;
	rc = schema_validate_all(text.data, text.len, &errs, &count);
	if (rc) {
		/* Prefix every line with the file name. */
		struct buf msg = BUF_INIT;
		const char *p = errs.data;
		int lines = 0;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			buf_addf(&msg, "%s%s: ", lines ? "\n" : "", path);
			buf_add(&msg, p, n);
			lines++;
			p += n + (nl ? 1 : 0);
		}
		if (count > lines)
			buf_addf(&msg, "\n%s: ... and %d more errors", path, count - lines);
		if (err) {
			buf_reset(err);
			buf_add(err, msg.data, msg.len);
		}
		buf_release(&msg);
		goto out;
	}
	rc = schema_parse(out, text.data, text.len, err);
	if (rc)
		goto out;
	if (canonical_json && (rc = schema_to_json(out, canonical_json)) != 0) {
		buf_setf(err, "%s: cannot write the canonical schema", path);
		schema_release(out);
	}
out:
	buf_release(&text);
	buf_release(&errs);
	return rc;
}
