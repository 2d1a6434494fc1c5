/*
 * ann_service.h - saving an annotation: validate the document against the
 * project's current schema and the item's size, write it as the next
 * version with a summary of what changed, or report the conflict.
 */
#ifndef CAIRN_ANN_SERVICE_H
#define CAIRN_ANN_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store.h"

struct ann_save {
	int64_t project_id;
	int64_t item_id;
	int32_t width, height;     /* the item's, 0 when not spatial */
	struct annotation_key key;
	int64_t expected_version;  /* 0: the annotation must not exist yet */
	const char *json;          /* the document as sent */
	size_t len;
	const char *status;        /* "draft" or "submitted" */
	int64_t lead_time_ms;
	int64_t user_id;           /* who saves */
	const char *audit_action;  /* NULL, or an audit-log action written with the save */
	const char *audit_detail;  /* JSON detail of that audit row, or NULL */
};

struct ann_saved {
	int64_t id;
	int64_t version;
	int64_t schema_version;
	struct buf body;           /* the canonical document saved */
	struct buf warnings;       /* one per line */
};

/*
 * Validates and saves. Returns 0; CAIRN_EINVAL (err names the JSON path);
 * CAIRN_ECONFLICT when the annotation is not at expected_version (nothing
 * is written). out is filled on success; release it with ann_saved_release.
 */
int ann_service_save(struct store *st, const struct ann_save *in, struct ann_saved *out,
		     struct buf *err);
void ann_saved_release(struct ann_saved *s);

/* Appends {"added", "removed", "changed", ...} between two saved versions. */
int ann_service_diff(struct store *st, int64_t project_id, int64_t annotation_id,
		     int64_t from, int64_t to, struct buf *out, struct buf *err);

#endif
