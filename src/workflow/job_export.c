/*
 * job_export.c - the export job: a project's items and their current
 * annotations streamed to DATA/exports/<job>.<ext>, written under a
 * temporary name and renamed when complete, so a download never sees a
 * half file. Format "cairn" is Cairn's own JSON Lines (one item a line,
 * every annotation document as saved); the dataset formats (COCO, YOLO ...)
 * add rows to the format table in src/formats/.
 */
#include "workflow/jobs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "media/archive.h"
#include "store/store.h"
#include "base/banned.h"

#define PAGE 256

int job_export_check(const char *params_json, struct buf *err)
{
	json_error_t je;
	json_t *p = json_loads(params_json, 0, &je);
	int rc = 0;
	if (!json_is_object(p)) {
		buf_setf(err, "export: the parameters must be a JSON object");
		rc = CAIRN_EINVAL;
		goto out;
	}
	const char *k;
	json_t *v;
	json_object_foreach(p, k, v) {
		if (strcmp(k, "format") && strcmp(k, "include") && strcmp(k, "segm") &&
		    strcmp(k, "split")) {
			buf_setf(err, "export: unknown parameter '%s' (expected format, include, segm, "
				 "split)", k);
			rc = CAIRN_EINVAL;
			goto out;
		}
	}
	json_t *f = json_object_get(p, "format");
	if (f && (!json_is_string(f) || (strcmp(json_string_value(f), "cairn") &&
					  !fmt_find(json_string_value(f))))) {
		buf_setf(err, "export: format must be \"cairn\" or a dataset format (cairn formats)");
		rc = CAIRN_EINVAL;
		goto out;
	}
	json_t *inc = json_object_get(p, "include");
	if (inc) {
		size_t i;
		json_t *e;
		if (!json_is_array(inc)) {
			buf_setf(err, "export: include must be an array of annotation kinds");
			rc = CAIRN_EINVAL;
			goto out;
		}
		json_array_foreach(inc, i, e) {
			enum annotation_kind ak;
			if (!json_is_string(e) || !annotation_kind_parse(json_string_value(e), &ak)) {
				buf_setf(err, "export: include[%zu] is not an annotation kind "
					 "(manual, prediction, gold, consensus)", i);
				rc = CAIRN_EINVAL;
				goto out;
			}
		}
	}
out:
	json_decref(p);
	return rc;
}

struct export_state {
	struct job_ctx *c;
	FILE *f;
	struct buf line;
	unsigned kinds;            /* bit per annotation kind */
	int64_t items, annotations, last_id;
	int rc;
};

static int add_ann(void *vctx, const struct annotation *a)
{
	struct export_state *e = vctx;
	if (!(e->kinds & (1u << a->kind)))
		return 0;
	struct annotation full;
	int rc = store_annotation_get(e->c->st, a->id, &full, &e->c->error);
	if (rc)
		return rc;
	buf_addf(&e->line, "%s{\"id\":%lld,\"kind\":\"%s\",\"user\":", e->annotations++ ? "," : "",
		 (long long)full.id, annotation_kind_name(full.kind));
	if (full.user_id)
		buf_addf(&e->line, "%lld", (long long)full.user_id);
	else
		buf_adds(&e->line, "null");
	buf_adds(&e->line, ",\"source\":");
	buf_add_json_str(&e->line, full.source ? full.source : "");
	buf_addf(&e->line, ",\"status\":\"%s\",\"version\":%lld,\"schema_version\":%lld,\"document\":",
		 full.status, (long long)full.version, (long long)full.schema_version);
	/* Documents are stored pretty-printed; a JSON Lines file needs one line. */
	for (const char *p = full.body; p && *p; p++) {
		if (*p != '\n')
			buf_addch(&e->line, *p);
	}
	buf_adds(&e->line, "}");
	annotation_release(&full);
	return 0;
}

static int add_item(void *vctx, const struct item *it)
{
	struct export_state *e = vctx;
	buf_reset(&e->line);
	buf_addf(&e->line, "{\"item\":{\"id\":%lld,\"name\":", (long long)it->id);
	buf_add_json_str(&e->line, it->name ? it->name : "");
	buf_addf(&e->line, ",\"kind\":\"%s\",\"hash\":\"%s\",\"width\":%d,\"height\":%d,\"split\":",
		 item_kind_name(it->kind), it->hash, it->width, it->height);
	if (it->split)
		buf_add_json_str(&e->line, it->split);
	else
		buf_adds(&e->line, "null");
	buf_addf(&e->line, ",\"status\":\"%s\"},\"annotations\":[", item_status_name(it->status));
	int64_t before = e->annotations;
	e->annotations = 0;
	int rc = store_annotation_list(e->c->st, it->id, (e->kinds >> ANN_GOLD) & 1, add_ann, e,
				       &e->c->error);
	e->annotations += before;
	if (rc)
		return rc;
	buf_adds(&e->line, "]}\n");
	if (fwrite(e->line.data, 1, e->line.len, e->f) != e->line.len) {
		buf_setf(&e->c->error, "export: cannot write: %s", strerror(errno));
		return CAIRN_EIO;
	}
	e->items++;
	e->last_id = it->id;
	return 0;
}

static void fmt_progress(void *ctx, int64_t done, int64_t total)
{
	job_progress(ctx, done, total);
}

/* A dataset format: written to DATA/exports/<job>.<format>/ by the format's writer. */
static int export_dataset(struct job_ctx *c, const struct fmt_ops *f, json_t *p)
{
	const struct job *j = c->job;
	struct fmt_write_opts o = {0};
	struct fmt_split sp;
	const char *segm = json_string_value(json_object_get(p, "segm"));
	const char *split = json_string_value(json_object_get(p, "split"));
	o.segm = segm && !strcmp(segm, "polygon") ? FMT_SEGM_POLYGON
		 : segm && !strcmp(segm, "rle") ? FMT_SEGM_RLE : FMT_SEGM_KEEP;
	if (split) {
		if (fmt_split_parse(&sp, split, &c->error))
			return CAIRN_EINVAL;
		o.split = &sp;
	}
	o.data_dir = c->data_dir;
	o.progress = fmt_progress;
	o.progress_ctx = c;
	struct buf name = BUF_INIT, out = BUF_INIT;
	buf_addf(&name, "%lld.%s", (long long)j->id, f->name);
	buf_addf(&out, "%s/exports/%s", c->data_dir, name.data);
	struct fmt_loss loss = {0};
	int rc = f->write(c->st, j->project_id, out.data, &o, &loss, &c->error);
	/* The folder is also packed into one zip, the job's download. */
	struct buf zip = BUF_INIT, part = BUF_INIT;
	buf_addf(&zip, "%s.zip", out.data);
	buf_addf(&part, "%s/exports/.%s.zip.part", c->data_dir, name.data);
	if (!rc && !(rc = archive_pack_dir(out.data, part.data, &c->error)) &&
	    rename(part.data, zip.data)) {
		buf_setf(&c->error, "export: cannot rename %s: %s", part.data, strerror(errno));
		rc = CAIRN_EIO;
	}
	unlink(part.data);
	buf_release(&zip);
	buf_release(&part);
	if (!rc) {
		buf_adds(&c->result, "{\"file\":");
		buf_addf(&c->result, "\"%s.zip\"", name.data);
		buf_adds(&c->result, ",\"folder\":");
		buf_add_json_str(&c->result, name.data);
		buf_addf(&c->result, ",\"format\":\"%s\",\"loss\":", f->name);
		fmt_loss_json(&loss, &c->result);
		buf_addch(&c->result, '}');
	}
	fmt_loss_release(&loss);
	buf_release(&name);
	buf_release(&out);
	return rc;
}

int job_export_run(struct job_ctx *c)
{
	const struct job *j = c->job;
	struct export_state e = {c, NULL, BUF_INIT, 0, 0, 0, 0, 0};
	struct buf tmp = BUF_INIT, final = BUF_INIT, name = BUF_INIT;
	int rc = 0;
	json_t *p = json_loads(j->params ? j->params : "{}", 0, NULL);
	const char *fname = json_string_value(json_object_get(p, "format"));
	const struct fmt_ops *fo = fname && strcmp(fname, "cairn") ? fmt_find(fname) : NULL;
	if (fo) {
		rc = export_dataset(c, fo, p);
		json_decref(p);
		return rc;
	}
	json_t *inc = json_object_get(p, "include");
	if (inc) {
		size_t i;
		json_t *v;
		json_array_foreach(inc, i, v) {
			enum annotation_kind ak;
			if (json_is_string(v) && annotation_kind_parse(json_string_value(v), &ak))
				e.kinds |= 1u << ak;
		}
	} else {
		e.kinds = (1u << ANN_MANUAL) | (1u << ANN_GOLD) | (1u << ANN_CONSENSUS) |
			  (1u << ANN_PREDICTION);
	}
	json_decref(p);

	struct project_stats ps;
	if ((rc = store_project_stats(c->st, j->project_id, &ps, &c->error)))
		goto out;
	buf_addf(&name, "%lld.jsonl", (long long)j->id);
	buf_addf(&tmp, "%s/exports/.%s.part", c->data_dir, name.data);
	buf_addf(&final, "%s/exports/%s", c->data_dir, name.data);
	e.f = fopen(tmp.data, "w");
	if (!e.f) {
		buf_setf(&c->error, "export: cannot create the file: %s", strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	for (;;) {
		int64_t before = e.items;
		rc = store_item_list(c->st, j->project_id, e.last_id, PAGE, add_item, &e, &c->error);
		if (rc)
			break;
		if (job_progress(c, e.items, ps.items))
			break;
		if (e.items - before < PAGE)
			break;
	}
	if (!rc && !c->cancelled && !*c->stopping) {
		if (fflush(e.f) || fsync(fileno(e.f))) {
			buf_setf(&c->error, "export: cannot write: %s", strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	fclose(e.f);
	if (rc || c->cancelled || *c->stopping) {
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, final.data)) {
		buf_setf(&c->error, "export: cannot finish the file: %s", strerror(errno));
		unlink(tmp.data);
		rc = CAIRN_EIO;
		goto out;
	}
	job_progress(c, e.items, e.items);
	buf_adds(&c->result, "{\"file\":");
	buf_add_json_str(&c->result, name.data);
	buf_addf(&c->result, ",\"format\":\"cairn\",\"items\":%lld,\"annotations\":%lld}",
		 (long long)e.items, (long long)e.annotations);
out:
	buf_release(&e.line);
	buf_release(&tmp);
	buf_release(&final);
	buf_release(&name);
	return rc;
}
