/*
 * api_media.c - media derived from an item's original (thumbnails, Deep
 * Zoom tiles and their metadata; see media/media_derive.h) and uploads of
 * new media into a project through the ingest service. Files are found
 * by the item's content hash, never by a name from the request.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/err.h"
#include "media/ingest.h"
#include "media/media.h"
#include "media/media_derive.h"

#include "base/banned.h"

/* --- derived media ------------------------------------------------------ */

/* Loads the item and describes its original for media_derive; the item is
 * released by the caller. Fails (answered) unless it is an image. */
static int image_source(struct http_req *req, struct http_resp *resp, struct item *it,
			struct media_src *src)
{
	struct buf err = BUF_INIT;
	memset(it, 0, sizeof *it);
	int rc = store_item_get(req->st, req->args[0], it, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_release(&err);
	if (it->kind != ITEM_IMAGE)
		return http_fail_status(resp, 415, "unsupported_media_type", NULL,
					"item %lld is a %s, not an image", (long long)it->id,
					item_kind_name(it->kind));
	/* The original's place comes from the database, never from the request. */
	const char *data = server_data_dir(req->srv);
	src->data_dir = data;
	src->path = it->link_path ? it->link_path
				  : arena_printf(&req->arena, "%s/media/%.2s/%s", data, it->hash, it->hash);
	src->hash = it->hash;
	src->width = it->width;
	src->height = it->height;
	return 0;
}

/* Answers a derive error: 415 for an original libvips cannot read. */
static int derive_fail(struct http_resp *resp, int rc, const struct buf *err)
{
	resp->cache_immutable = false; /* a failure may pass; never cache it */
	if (rc == CAIRN_EUNSUPPORTED)
		return http_fail_status(resp, 415, "unsupported_media_type", NULL, "%s", err->data);
	return http_fail(resp, rc, NULL, "%s", err->len ? err->data : cairn_strerror(rc));
}

/* Sets an immutable ETag; true when the client already holds it (the
 * server then answers 304 without the file being made or opened). */
static bool etag_matches(struct http_req *req, struct http_resp *resp, const struct item *it,
			 const char *tag)
{
	resp->etag = tag;
	resp->cache_immutable = !it->link_path;
	resp->status = 200;
	const char *inm = http_header(req, "If-None-Match");
	return inm && !strcmp(inm, tag);
}

int api_media_thumbnail(struct http_req *req, struct http_resp *resp)
{
	int64_t size;
	int rc = http_query_i64(req, resp, "size", 256, 1, 1 << 16, &size);
	if (rc)
		return rc;
	if (!media_thumb_size_ok((int)size))
		return http_fail(resp, CAIRN_EINVAL, "size", "size must be 128, 256 or 512, not %lld",
				 (long long)size);
	struct item it;
	struct media_src src;
	if ((rc = image_source(req, resp, &it, &src)))
		goto out;
	const char *tag = arena_printf(&req->arena, "\"%s-thumb%d\"", it.hash, (int)size);
	if (etag_matches(req, resp, &it, tag))
		goto out;
	struct buf err = BUF_INIT;
	const char *mime;
	rc = media_thumb_open(&src, (int)size, &resp->fd, &resp->fd_size, &mime, &err);
	if (rc)
		derive_fail(resp, rc, &err);
	else
		resp->content_type = mime;
	buf_release(&err);
out:
	item_release(&it);
	return rc;
}

int api_media_tiles(struct http_req *req, struct http_resp *resp)
{
	struct item it;
	struct media_src src;
	int rc = image_source(req, resp, &it, &src);
	if (rc)
		goto out;
	struct dz_pyramid p;
	struct buf err = BUF_INIT;
	if ((rc = media_tiles_info(&src, &p, &err))) {
		derive_fail(resp, rc, &err);
		buf_release(&err);
		goto out;
	}
	buf_release(&err);
	struct buf *b = &resp->body;
	buf_reset(b);
	buf_addf(b, "{\"width\":%d,\"height\":%d,\"tile_size\":%d,\"overlap\":0,\"levels\":%d,"
		 "\"format\":\"jpeg\",\"url\":\"/api/v1/items/%lld/tiles/{level}/{col}/{row}\","
		 "\"level_sizes\":[",
		 (int)p.width, (int)p.height, (int)p.tile_size, p.levels, (long long)it.id);
	for (int L = 0; L < p.levels; L++) {
		int32_t w, h, cols, rows;
		dz_level_size(&p, L, &w, &h);
		dz_level_tiles(&p, L, &cols, &rows);
		buf_addf(b, "%s{\"width\":%d,\"height\":%d,\"cols\":%d,\"rows\":%d}", L ? "," : "",
			 (int)w, (int)h, (int)cols, (int)rows);
	}
	buf_adds(b, "]}");
	resp->status = 200;
	resp->content_type = "application/json";
	resp->etag = arena_printf(&req->arena, "\"%s-dzi\"", it.hash);
	resp->cache_immutable = !it.link_path;
out:
	item_release(&it);
	return rc;
}

int api_media_tile(struct http_req *req, struct http_resp *resp)
{
	struct item it;
	struct media_src src;
	int rc = image_source(req, resp, &it, &src);
	if (rc)
		goto out;
	int64_t level = req->args[1], col = req->args[2], row = req->args[3];
	struct buf err = BUF_INIT;
	/* Bounds first, so that a stale ETag for a tile that cannot exist is a 404. */
	struct dz_pyramid p;
	struct dz_rect r;
	if ((rc = media_tiles_info(&src, &p, &err))) {
		derive_fail(resp, rc, &err);
		buf_release(&err);
		goto out;
	}
	if (!dz_tile_rect(&p, level, col, row, &r)) {
		rc = http_fail(resp, CAIRN_ENOTFOUND, NULL,
			       "no tile %lld/%lld/%lld: the image has levels 0 to %d", (long long)level,
			       (long long)col, (long long)row, p.levels - 1);
		buf_release(&err);
		goto out;
	}
	const char *tag = arena_printf(&req->arena, "\"%s-%lld-%lld-%lld\"", it.hash,
				       (long long)level, (long long)col, (long long)row);
	if (!etag_matches(req, resp, &it, tag)) {
		rc = media_tile_open(&src, level, col, row, &resp->fd, &resp->fd_size, &err);
		if (rc)
			derive_fail(resp, rc, &err);
		else
			resp->content_type = "image/jpeg";
	}
	buf_release(&err);
out:
	item_release(&it);
	return rc;
}

/* --- uploads ------------------------------------------------------------ */

/* A base name a person would give a file: no folders, no control
 * characters, valid UTF-8, at most 255 bytes. NULL or the reason. */
static const char *name_problem(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "is empty";
	if (n > 255)
		return "is longer than 255 bytes";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "is not a file name";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' || c == '\\')
			return "must be a file name without folders ('/' or '\\')";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
	}
	if (media_utf8_check((const unsigned char *)name, n) != n)
		return "is not valid UTF-8";
	return NULL;
}

static bool is_zip_name(const char *name)
{
	size_t n = strlen(name);
	return n >= 4 && !strcasecmp(name + n - 4, ".zip");
}

/* SHA-256 of a file as lower-case hex, as ingest names media. */
static int file_sha256(const char *path, char hex[HASH_HEX_LEN + 1], struct buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_setf(err, "upload: cannot open '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	enum { CHUNK = 1 << 20 };
	unsigned char *b = malloc(CHUNK);
	if (!b)
		abort();
	ssize_t k;
	while ((k = read(fd, b, CHUNK)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			buf_setf(err, "upload: cannot read '%s': %s", path, strerror(errno));
			free(b);
			close(fd);
			return CAIRN_EIO;
		}
		crypto_hash_sha256_update(&h, b, (unsigned long long)k);
	}
	free(b);
	close(fd);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(hex, HASH_HEX_LEN + 1, d, sizeof d);
	return 0;
}

/* Whether a rejected file is of a type we do not take (415) rather than a
 * broken file of a type we do (400). */
static bool rejected_for_type(const char *path, const char *name, const char *reason)
{
	if (strstr(reason, "mislabelled") || strstr(reason, "unknown") ||
	    strstr(reason, "not supported") || strstr(reason, "unsupported"))
		return true;
	unsigned char head[64];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, head, sizeof head);
		close(fd);
	}
	if (n <= 0)
		return false;
	if (media_sniff(head, (size_t)n) != MEDIA_UNKNOWN)
		return false;
	enum media_type t = media_type_from_name(name);
	return t != MEDIA_TEXT && t != MEDIA_JSONL && t != MEDIA_KITTI_BIN;
}

static int answer_item(struct http_req *req, struct http_resp *resp, int status, int64_t id,
		       const char *extra)
{
	struct item it;
	struct buf err = BUF_INIT;
	int rc = store_item_get(req->st, id, &it, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_release(&err);
	buf_reset(&resp->body);
	buf_adds(&resp->body, "{\"item\":");
	api_json_item(&resp->body, &it);
	buf_addf(&resp->body, "%s}", extra);
	resp->status = status;
	resp->content_type = "application/json";
	item_release(&it);
	return 0;
}

static void notes_json(struct buf *b, const char *key, const struct ingest_notes *ns)
{
	buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < ns->n; i++) {
		buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		buf_add_json_str(b, ns->v[i].path);
		buf_adds(b, ",\"reason\":");
		buf_add_json_str(b, ns->v[i].reason ? ns->v[i].reason : "");
		if (ns->v[i].item_id)
			buf_addf(b, ",\"item\":%lld", (long long)ns->v[i].item_id);
		if (ns->v[i].other_id)
			buf_addf(b, ",\"other\":%lld", (long long)ns->v[i].other_id);
		buf_adds(b, "}");
	}
	buf_adds(b, "]");
}

/* One uploaded file after ingest: the item, the duplicate, or the reason. */
static int answer_file(struct http_req *req, struct http_resp *resp, const char *path,
		       const char *name, const struct ingest_report *rep)
{
	if (rep->rejected && rep->rejects.n) {
		const char *why = rep->rejects.v[0].reason ? rep->rejects.v[0].reason : "rejected";
		if (rejected_for_type(path, name, why))
			return http_fail_status(resp, 415, "unsupported_media_type", "body",
						"'%s' was not added: %s", name, why);
		return http_fail(resp, CAIRN_EINVAL, "body", "'%s' was not added: %s", name, why);
	}
	if (rep->duplicates && rep->dups.n)
		return answer_item(req, resp, 200, rep->dups.v[0].other_id, ",\"duplicate\":true");
	if (rep->added != 1)
		return http_fail(resp, CAIRN_EINTERNAL, NULL, "'%s': ingest added %lld items", name,
				 (long long)rep->added);
	char hex[HASH_HEX_LEN + 1];
	struct buf err = BUF_INIT;
	int64_t id;
	int rc = file_sha256(path, hex, &err);
	if (!rc)
		rc = store_item_find_hash(req->st, req->project_id, hex, &id, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_release(&err);
	struct buf extra = BUF_INIT;
	buf_adds(&extra, ",\"duplicate\":false,\"near_duplicate_of\":");
	if (rep->nears.n)
		buf_addf(&extra, "{\"item\":%lld,\"distance\":%d}", (long long)rep->nears.v[0].other_id,
			 rep->nears.v[0].distance);
	else
		buf_adds(&extra, "null");
	rc = answer_item(req, resp, 201, id, extra.data);
	buf_release(&extra);
	return rc;
}

int api_media_upload(struct http_req *req, struct http_resp *resp)
{
	const char *name = http_query(req, "name");
	if (!name)
		return http_fail(resp, CAIRN_EINVAL, "name", "the query parameter 'name' (the file "
				 "name) is required");
	const char *why = name_problem(name);
	if (why)
		return http_fail(resp, CAIRN_EINVAL, "name", "the file name %s", why);
	const char *ct = http_header(req, "Content-Type");
	if (ct && !strncasecmp(ct, "multipart/", 10))
		return http_fail_status(resp, 415, "unsupported_media_type", "Content-Type",
					"send the file's bytes as the body "
					"(application/octet-stream), not a %s form", ct);
	if (!req->body_file)
		return http_fail(resp, CAIRN_EINTERNAL, NULL, "the upload was not stored");
	struct stat sb;
	if (stat(req->body_file, &sb) || sb.st_size == 0)
		return http_fail(resp, CAIRN_EINVAL, "body", "the body is empty: send the file's bytes");

	/* Ingest names an item after its file: give the upload its name by a
	 * hard link in a private folder. The name never leaves that folder. */
	const char *data = server_data_dir(req->srv);
	struct buf dir = BUF_INIT, path = BUF_INIT, err = BUF_INIT;
	struct ingest_report rep;
	memset(&rep, 0, sizeof rep);
	int rc = 0;
	buf_addf(&dir, "%s/tmp/upload-XXXXXX", data);
	if (!mkdtemp(dir.data)) {
		rc = http_fail(resp, CAIRN_EIO, NULL, "cannot create '%s': %s", dir.data,
			       strerror(errno));
		goto out;
	}
	buf_addf(&path, "%s/%s", dir.data, name);
	if (link(req->body_file, path.data)) {
		rc = http_fail(resp, CAIRN_EIO, NULL, "cannot stage the upload: %s", strerror(errno));
		rmdir(dir.data);
		goto out;
	}
	struct ingest_opts o = INGEST_OPTS_INIT;
	o.threads = 1;
	o.sync = INGEST_SYNC_FILE;
	char *paths[1] = {path.data};
	rc = ingest_run(req->st, req->project_id, data, paths, 1, &o, &rep, &err);
	unlink(path.data);
	rmdir(dir.data);
	if (rc) {
		http_fail(resp, rc, NULL, "upload of '%s': %s", name, err.data);
		goto out;
	}
	if (rep.added)
		store_audit(req->st, req->user_id, req->project_id, "media.upload", "project",
			    req->project_id, NULL, NULL);
	if (!is_zip_name(name) || (!rep.added && !rep.duplicates && rep.rejected == 1)) {
		/* One file, or an archive that could not be opened at all. */
		rc = answer_file(req, resp, req->body_file, name, &rep);
		goto out;
	}
	/* An archive: the report, as `cairn ingest --json` gives it. */
	struct buf *b = &resp->body;
	buf_reset(b);
	buf_addf(b, "{\"archive\":true,\"added\":%lld,\"duplicates\":%lld,\"near_duplicates\":%lld,"
		 "\"rejected\":%lld,\"bytes_added\":%lld",
		 (long long)rep.added, (long long)rep.duplicates, (long long)rep.near_duplicates,
		 (long long)rep.rejected, (long long)rep.bytes_added);
	notes_json(b, "duplicate_files", &rep.dups);
	notes_json(b, "near_duplicate_files", &rep.nears);
	notes_json(b, "rejected_files", &rep.rejects);
	buf_adds(b, "}");
	resp->status = rep.added ? 201 : 200;
	resp->content_type = "application/json";
out:
	ingest_report_release(&rep);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&err);
	return rc;
}
