/*
 * job_import.c - the import job: a dataset file or folder already on the
 * server's disk imported into the job's project by the formats driver
 * (src/formats/fmt.c), as `cairn import` does. The HTTP upload that puts
 * the file there comes later.
 */
#include "workflow/jobs.h"

#include <jansson.h>
#include <string.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "media/archive.h"
#include "store/store.h"
#include "base/banned.h"

int job_import_check(const char *params_json, struct buf *err)
{
	json_t *p = json_loads(params_json, 0, NULL);
	int rc = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(p)) {
		buf_setf(err, "import: the parameters must be a JSON object");
		rc = CAIRN_EINVAL;
		goto out;
	}
	json_object_foreach(p, k, v) {
		if (strcmp(k, "format") && strcmp(k, "path") && strcmp(k, "media") &&
		    strcmp(k, "no_media") && strcmp(k, "skip_invalid") && strcmp(k, "as") &&
		    strcmp(k, "cleanup")) {
			buf_setf(err, "import: unknown parameter '%s' (expected format, path, media, "
				 "no_media, skip_invalid, as)", k);
			rc = CAIRN_EINVAL;
			goto out;
		}
	}
	const char *f = json_string_value(json_object_get(p, "format"));
	if (!f || (strcmp(f, "auto") && !fmt_find(f))) {
		buf_setf(err, "import: format must be \"auto\" or a dataset format (cairn formats)");
		rc = CAIRN_EINVAL;
		goto out;
	}
	if (!json_is_string(json_object_get(p, "path"))) {
		buf_setf(err, "import: path (the dataset on the server) is required");
		rc = CAIRN_EINVAL;
		goto out;
	}
	const char *as = json_string_value(json_object_get(p, "as"));
	enum annotation_kind ak;
	if (as && (!annotation_kind_parse(as, &ak) || ak == ANN_CONSENSUS)) {
		buf_setf(err, "import: as must be manual, gold or prediction");
		rc = CAIRN_EINVAL;
	}
out:
	json_decref(p);
	return rc;
}

static void on_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
	job_progress(ctx, done, total);
}

int job_import_run(struct job_ctx *c)
{
	json_t *p = json_loads(c->job->params ? c->job->params : "{}", 0, NULL);
	const char *f = json_string_value(json_object_get(p, "format"));
	const char *path = json_string_value(json_object_get(p, "path"));
	const char *as = json_string_value(json_object_get(p, "as"));
	int rc = CAIRN_EINVAL;
	const struct fmt_ops *fo = !f || !strcmp(f, "auto") ? fmt_probe(path ? path : "", &c->error)
							     : fmt_find(f);
	if (!fo || !path)
		goto out;
	struct fmt_import_opts o = {0};
	o.data_dir = c->data_dir;
	o.media_dir = json_string_value(json_object_get(p, "media"));
	o.no_media = json_is_true(json_object_get(p, "no_media"));
	o.skip_invalid = json_is_true(json_object_get(p, "skip_invalid"));
	o.kind = ANN_MANUAL;
	if (as)
		annotation_kind_parse(as, &o.kind);
	o.user_id = c->job->user_id;
	o.source = fo->name;
	o.progress = on_progress;
	o.progress_ctx = c;
	struct fmt_import_report rep;
	rc = fmt_import(c->st, c->job->project_id, fo, path, &o, &rep, &c->error);
	if (!rc) {
		buf_addf(&c->result, "{\"format\":\"%s\",\"images\":%lld,\"objects\":%lld,"
			 "\"items_added\":%lld,\"annotations\":%lld,\"skipped\":%lld,\"not_kept\":",
			 fo->name, (long long)rep.images, (long long)rep.objects,
			 (long long)rep.items_added, (long long)rep.annotations, (long long)rep.skipped);
		fmt_loss_json(&rep.notes, &c->result);
		buf_adds(&c->result, ",\"skipped_records\":");
		buf_add_json_str(&c->result, rep.skipped_text.data);
		buf_addch(&c->result, '}');
	}
	fmt_import_report_release(&rep);
out:
	/* An uploaded dataset lives in a folder of its own: gone when the job ends. */
	if (path && json_is_true(json_object_get(p, "cleanup")) && !*c->stopping)
		archive_remove_tree(path);
	json_decref(p);
	return rc;
}
