/*
 * api_jobs.c - background jobs of a project: start an export, list jobs,
 * follow one, cancel it, and download its result (with Range, so a broken
 * download resumes). The file name comes from the job's own record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/err.h"
#include "media/archive.h"
#include "workflow/jobs.h"
#include "base/banned.h"

static void json_job(struct buf *out, const struct job *j)
{
	buf_addf(out, "{\"id\":%lld,\"project\":%lld,\"user\":%lld,\"kind\":", (long long)j->id,
		 (long long)j->project_id, (long long)j->user_id);
	buf_add_json_str(out, j->kind ? j->kind : "");
	/* Where the server keeps an uploaded dataset is its own business. */
	json_t *params = json_loads(j->params ? j->params : "{}", 0, NULL);
	json_object_del(params, "path");
	json_object_del(params, "cleanup");
	char *ptext = params ? json_dumps(params, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(params);
	buf_addf(out, ",\"state\":\"%s\",\"params\":%s,\"progress\":{\"done\":%lld,\"total\":%lld},"
		 "\"result\":%s,\"error\":", job_state_name(j->state), ptext ? ptext : "{}",
		 (long long)j->done, (long long)j->total, j->result ? j->result : "null");
	free(ptext);
	if (j->error)
		buf_add_json_str(out, j->error);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"cancel_requested\":%s,\"attempts\":%d,\"created_at\":%lld,"
		 "\"started_at\":%lld,\"finished_at\":%lld}", j->cancel_requested ? "true" : "false",
		 j->attempts, (long long)j->created_at, (long long)j->started_at,
		 (long long)j->finished_at);
}

int api_job_start(struct http_req *req, struct http_resp *resp, const char *kind,
		  int (*check)(const char *params_json, struct buf *err), const char *audit_action)
{
	const char *params = req->body_len ? req->body : "{}";
	json_t *body = NULL;
	int rc;
	if (req->body_len && (rc = http_json_body(req, resp, &body)))
		return rc;
	json_decref(body);
	struct buf err = BUF_INIT;
	if ((rc = check(params, &err))) {
		http_fail(resp, rc, "body", "%s", err.data);
		buf_release(&err);
		return rc;
	}
	int64_t id;
	struct job j;
	if ((rc = store_job_add(req->st, req->project_id, req->user_id, kind, params, &id, &err))) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	server_jobs_wake(req->srv);
	store_audit(req->st, req->user_id, req->project_id, audit_action, "job", id, NULL, NULL);
	if ((rc = store_job_get(req->st, id, &j, &err))) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_adds(&resp->body, "{\"job\":");
	json_job(&resp->body, &j);
	buf_adds(&resp->body, "}");
	job_release(&j);
	buf_release(&err);
	resp->status = 202;
	return 0;
}

int api_exports_create(struct http_req *req, struct http_resp *resp)
{
	return api_job_start(req, resp, "export", job_export_check, "export.start");
}

struct list_ctx {
	struct buf *out;
	bool first;
};

static int add_job(void *vctx, const struct job *j)
{
	struct list_ctx *c = vctx;
	if (!c->first)
		buf_addch(c->out, ',');
	json_job(c->out, j);
	c->first = false;
	return 0;
}

int api_jobs_list(struct http_req *req, struct http_resp *resp)
{
	int64_t limit;
	int rc = http_query_i64(req, resp, "limit", 50, 1, 500, &limit);
	if (rc)
		return rc;
	struct buf err = BUF_INIT;
	struct list_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"jobs\":[");
	rc = store_job_list(req->st, req->project_id, limit, add_job, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_jobs_get(struct http_req *req, struct http_resp *resp)
{
	struct job j;
	struct buf err = BUF_INIT;
	int rc = store_job_get(req->st, req->args[1], &j, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
	} else {
		buf_adds(&resp->body, "{\"job\":");
		json_job(&resp->body, &j);
		buf_adds(&resp->body, "}");
		job_release(&j);
		resp->status = 200;
	}
	buf_release(&err);
	return rc;
}

int api_jobs_cancel(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	int rc = store_job_cancel(req->st, req->args[1], &err);
	if (rc) {
		http_fail(resp, rc == CAIRN_EINVAL ? CAIRN_ECONFLICT : rc, NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	store_audit(req->st, req->user_id, req->project_id, "job.cancel", "job", req->args[1], NULL, NULL);
	buf_release(&err);
	return api_jobs_get(req, resp);
}

int api_jobs_download(struct http_req *req, struct http_resp *resp)
{
	struct job j;
	struct buf err = BUF_INIT, path = BUF_INIT;
	int rc = store_job_get(req->st, req->args[1], &j, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	json_t *res = j.state == JOB_DONE && j.result ? json_loads(j.result, 0, NULL) : NULL;
	const char *file = json_string_value(json_object_get(res, "file"));
	if (!file || strchr(file, '/') || file[0] == '.') {
		rc = http_fail(resp, j.state == JOB_DONE ? CAIRN_ENOTFOUND : CAIRN_ECONFLICT, NULL,
			       j.state == JOB_DONE ? "job %lld has no file to download"
						   : "job %lld has not finished (it is %s)",
			       (long long)j.id, job_state_name(j.state));
		goto out;
	}
	buf_addf(&path, "%s/exports/%s", server_data_dir(req->srv), file);
	int fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "the file of job %lld is gone", (long long)j.id);
		goto out;
	}
	resp->fd = fd;
	resp->fd_size = (uint64_t)sb.st_size;
	resp->content_type = "application/x-ndjson";
	resp->etag = arena_printf(&req->arena, "\"job-%lld-%lld\"", (long long)j.id,
				  (long long)sb.st_size);
	char disp[160];
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", file);
	http_set_header(req, resp, "Content-Disposition", disp);
	resp->status = 200;
out:
	json_decref(res);
	job_release(&j);
	buf_release(&err);
	buf_release(&path);
	return rc;
}

/* Caps on what an uploaded dataset archive may unpack to. */
#define IMPORT_MAX_BYTES (64ull << 30)
#define IMPORT_MAX_ENTRIES 5000000ull

/*
 * POST /projects/{project}/imports?format=auto&as=manual&skip_invalid=false:
 * the body is a dataset, either an archive of its folder (annotations and
 * images, in the format's usual layout) or a single annotation file. It is
 * unpacked into DATA/imports/<random>/, a folder the server names, and an
 * import job reads it from there and removes it when done.
 */
int api_imports_create(struct http_req *req, struct http_resp *resp)
{
	const char *format = http_query(req, "format");
	const char *as = http_query(req, "as");
	const char *skip = http_query(req, "skip_invalid");
	struct buf dir = BUF_INIT, params = BUF_INIT, err = BUF_INIT, file = BUF_INIT;
	int rc = 0;
	if (!req->body_file)
		return http_fail(resp, CAIRN_EINTERNAL, NULL, "the upload was not stored");
	struct stat sb;
	if (stat(req->body_file, &sb) || sb.st_size == 0)
		return http_fail(resp, CAIRN_EINVAL, "body", "the body is empty: send the dataset");
	if (skip && strcmp(skip, "true") && strcmp(skip, "false"))
		return http_fail(resp, CAIRN_EINVAL, "skip_invalid", "skip_invalid must be true or false");
	bool archive = archive_sniff(req->body_file);
	buf_adds(&params, "{\"format\":");
	buf_add_json_str(&params, format ? format : "auto");
	if (as) {
		buf_adds(&params, ",\"as\":");
		buf_add_json_str(&params, as);
	}
	buf_addf(&params, ",\"skip_invalid\":%s,\"no_media\":%s,\"cleanup\":true,\"path\":",
		 skip && !strcmp(skip, "true") ? "true" : "false", archive ? "false" : "true");
	buf_addf(&dir, "%s/imports", server_data_dir(req->srv));
	if (mkdir(dir.data, 0700) && errno != EEXIST) {
		rc = http_fail(resp, CAIRN_EIO, NULL, "cannot create the imports folder: %s", strerror(errno));
		goto out;
	}
	buf_adds(&dir, "/upload-XXXXXX");
	if (!mkdtemp(dir.data)) {
		rc = http_fail(resp, CAIRN_EIO, NULL, "cannot create a folder for the upload: %s",
			       strerror(errno));
		goto out;
	}
	buf_add_json_str(&params, dir.data);
	buf_addch(&params, '}');
	/* Check the parameters before unpacking anything. */
	if ((rc = job_import_check(params.data, &err))) {
		http_fail(resp, rc, NULL, "%s", err.data);
		archive_remove_tree(dir.data);
		goto out;
	}
	if (archive) {
		rc = archive_extract(req->body_file, dir.data, IMPORT_MAX_BYTES, IMPORT_MAX_ENTRIES, &err);
	} else {
		/* One annotation file: its annotations only, on items made without media. */
		buf_addf(&file, "%s/annotations.json", dir.data);
		if (link(req->body_file, file.data)) {
			buf_setf(&err, "cannot stage the upload: %s", strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	if (rc) {
		http_fail(resp, rc, "body", "%s", err.data);
		archive_remove_tree(dir.data);
		goto out;
	}
	int64_t id;
	if ((rc = store_job_add(req->st, req->project_id, req->user_id, "import", params.data, &id,
				&err))) {
		api_store_fail(resp, rc, &err);
		archive_remove_tree(dir.data);
		goto out;
	}
	server_jobs_wake(req->srv);
	store_audit(req->st, req->user_id, req->project_id, "import.start", "job", id, NULL, NULL);
	struct job j;
	if ((rc = store_job_get(req->st, id, &j, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_reset(&resp->body);
	buf_adds(&resp->body, "{\"job\":");
	json_job(&resp->body, &j);
	buf_adds(&resp->body, "}");
	job_release(&j);
	resp->status = 202;
out:
	buf_release(&dir);
	buf_release(&params);
	buf_release(&err);
	buf_release(&file);
	return rc;
}
