/*
 * ann_service.c - the annotation save path shared by the API and imports:
 * parse and validate (core/annotation.c), diff against the version being
 * replaced for history, and write through the store in one transaction.
 */
#include "workflow/ann_service.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "core/annotation.h"
#include "workflow/schema_cache.h"
#include "base/banned.h"

void ann_saved_release(struct ann_saved *s)
{
	buf_release(&s->body);
	buf_release(&s->warnings);
}

/* Parses a stored document with the schema version it was made under. */
static int parse_body(struct store *st, int64_t project_id, const char *body, int64_t sv,
		      struct ann_doc *doc, const struct schema_entry **se, struct buf *err)
{
	int rc = schema_cache_get(st, project_id, sv, se, err);
	if (!rc)
		rc = ann_doc_parse(doc, body, strlen(body), &(*se)->schema, 0, 0, err, NULL);
	return rc;
}

/* Parses a stored version with the schema it was made under. */
static int parse_version(struct store *st, int64_t project_id, int64_t annotation_id,
			 int64_t version, struct ann_doc *doc, const struct schema_entry **se,
			 struct buf *err)
{
	char *body = NULL;
	int64_t sv = 0;
	int rc = store_history_get(st, annotation_id, version, &body, &sv, err);
	if (rc)
		return rc;
	rc = parse_body(st, project_id, body, sv, doc, se, err);
	free(body);
	return rc;
}

int ann_service_save(struct store *st, const struct ann_save *in, struct ann_saved *out,
		     struct buf *err)
{
	const struct schema_entry *se;
	struct ann_doc doc = {0};
	struct buf summary = BUF_INIT;
	/* What differs from the version replaced, when it was compared under
	 * the same schema: the store then writes only those object rows. */
	struct ann_doc prev = {0};
	bool *changed = NULL, known = false, unchanged = false;
	size_t *removed = NULL, nremoved = 0;
	const char **removed_uids = NULL;
	out->body = (struct buf)BUF_INIT;
	out->warnings = (struct buf)BUF_INIT;
	int rc = schema_cache_get(st, in->project_id, 0, &se, err);
	if (rc)
		return rc;
	int64_t schema_version = se->version;
	const int64_t *label_ids = se->label_ids;
	rc = ann_doc_parse(&doc, in->json, in->len, &se->schema, in->width, in->height, err,
			   &out->warnings);
	if (rc)
		goto out;
	if ((rc = ann_doc_to_json(&doc, &se->schema, &out->body)))
		goto out;
	/* What changed since the version being replaced, for history. */
	if (in->expected_version > 0) {
		struct annotation cur;
		struct buf e2 = BUF_INIT;
		if (store_annotation_find(st, &in->key, &cur, &e2) == 0) {
			const struct schema_entry *pse;
			if (cur.version == in->expected_version && cur.schema_version == schema_version &&
			    cur.body && !strcmp(cur.body, out->body.data)) {
				/* The same canonical document under the same schema (an
				 * autosave with no edit): no need to parse the old one. */
				ann_doc_diff(&doc, &se->schema, &doc, &se->schema, &summary);
				known = unchanged = true;
			} else if (cur.version == in->expected_version &&
				   (cur.body ? parse_body(st, in->project_id, cur.body, cur.schema_version,
							  &prev, &pse, &e2)
					     : parse_version(st, in->project_id, cur.id, cur.version,
							     &prev, &pse, &e2)) == 0) {
				/* pse may have replaced se in the cache: look se up again. */
				const struct schema_entry *now;
				if (schema_cache_get(st, in->project_id, schema_version, &now, &e2) == 0) {
					ann_doc_diff(&prev, &pse->schema, &doc, &now->schema, &summary);
					if (cur.schema_version == schema_version) {
						changed = calloc(doc.nobjects + 1, sizeof(*changed));
						removed = calloc(prev.nobjects + 1, sizeof(*removed));
						removed_uids = calloc(prev.nobjects + 1, sizeof(*removed_uids));
						/* Out of memory: every row is compared instead. */
						known = changed && removed && removed_uids;
						if (known)
							unchanged = !ann_doc_changes(&prev, &doc, &now->schema,
										     changed, removed, &nremoved);
						for (size_t i = 0; known && i < nremoved; i++)
							removed_uids[i] = prev.objects[removed[i]].uid;
					}
				}
				label_ids = now->label_ids;
			}
			annotation_release(&cur);
		}
		buf_release(&e2);
		/* The cache may have moved entries; fetch the entry once more. */
		if ((rc = schema_cache_get(st, in->project_id, schema_version, &se, err)))
			goto out;
		label_ids = se->label_ids;
	}
	struct annotation_write w = {
		.key = in->key,
		.project_id = in->project_id,
		.expected_version = in->expected_version,
		.schema_version = schema_version,
		.status = in->status,
		.lead_time_ms = in->lead_time_ms,
		.saved_by = in->user_id,
		.body = out->body.data,
		.summary = summary.len ? summary.data : NULL,
		.doc = &doc,
		.label_ids = label_ids,
		.audit_action = in->audit_action,
		.audit_detail = in->audit_detail,
		.unchanged = known && unchanged,
		.changed = known && !unchanged ? changed : NULL,
		.removed_uids = removed_uids,
		.nremoved = nremoved,
	};
	rc = store_annotation_save(st, &w, &out->id, &out->version, err);
	out->schema_version = schema_version;
out:
	ann_doc_release(&doc);
	ann_doc_release(&prev);
	free(changed);
	free(removed);
	free(removed_uids);
	buf_release(&summary);
	return rc;
}

int ann_service_diff(struct store *st, int64_t project_id, int64_t annotation_id,
		     int64_t from, int64_t to, struct buf *out, struct buf *err)
{
	struct ann_doc a = {0}, b = {0};
	const struct schema_entry *sa, *sb;
	int64_t va = 0;
	int rc = parse_version(st, project_id, annotation_id, from, &a, &sa, err);
	if (rc)
		return rc;
	va = sa->version;
	rc = parse_version(st, project_id, annotation_id, to, &b, &sb, err);
	if (!rc) {
		/* Both entries must still be in the cache: re-fetch the first. */
		rc = schema_cache_get(st, project_id, va, &sa, err);
		if (!rc)
			rc = ann_doc_diff(&a, &sa->schema, &b, &sb->schema, out);
	}
	ann_doc_release(&a);
	ann_doc_release(&b);
	return rc;
}
