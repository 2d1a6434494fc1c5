/*
 * api_jobs.c - background jobs of a project: start an export, list jobs,
 * follow one, cancel it, and download its result (with Range, so a broken
 * download resumes). The file name comes from the job's own record.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/err.h"
#include "workflow/jobs.h"
#include "base/banned.h"

static void json_job(struct buf *out, const struct job *j)
{
	buf_addf(out, "{\"id\":%lld,\"project\":%lld,\"user\":%lld,\"kind\":", (long long)j->id,
		 (long long)j->project_id, (long long)j->user_id);
	buf_add_json_str(out, j->kind ? j->kind : "");
	buf_addf(out, ",\"state\":\"%s\",\"params\":%s,\"progress\":{\"done\":%lld,\"total\":%lld},"
		 "\"result\":%s,\"error\":", job_state_name(j->state), j->params ? j->params : "{}",
		 (long long)j->done, (long long)j->total, j->result ? j->result : "null");
	if (j->error)
		buf_add_json_str(out, j->error);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"cancel_requested\":%s,\"attempts\":%d,\"created_at\":%lld,"
		 "\"started_at\":%lld,\"finished_at\":%lld}", j->cancel_requested ? "true" : "false",
		 j->attempts, (long long)j->created_at, (long long)j->started_at,
		 (long long)j->finished_at);
}

int api_exports_create(struct http_req *req, struct http_resp *resp)
{
	const char *params = req->body_len ? req->body : "{}";
	json_t *body = NULL;
	int rc;
	if (req->body_len && (rc = http_json_body(req, resp, &body)))
		return rc;
	json_decref(body);
	struct buf err = BUF_INIT;
	if ((rc = job_export_check(params, &err))) {
		http_fail(resp, rc, "body", "%s", err.data);
		buf_release(&err);
		return rc;
	}
	int64_t id;
	if ((rc = store_job_add(req->st, req->project_id, req->user_id, "export", params, &id, &err))) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	server_jobs_wake(req->srv);
	store_audit(req->st, req->user_id, req->project_id, "export.start", "job", id, NULL, NULL);
	struct job j;
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
