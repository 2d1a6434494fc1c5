/*
 * store_sqlite_projects.c - the SQLite backend (store_sqlite.c): meta, users, projects and members,
 * label schemas and their versions, API tokens and sessions.
 */
#include "store/store_sqlite_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/asset.h"
#include "core/annotation.h"
#include "base/err.h"

#include "base/banned.h"

int sqlite_meta_get(struct store *st, const char *key, char **value, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT value FROM meta WHERE key = ?1", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, key);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*value = col_strdup(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read setting", err);
	buf_setf(err, "store: no setting '%s'", key);
	return CAIRN_ENOTFOUND;
}

int sqlite_meta_set(struct store *st, const char *key, const char *value,
		    struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, key);
	bind_text(q, 2, value);
	return sq_step_done(s, q, "write setting", err);
}

/* ---- users ---- */

int sqlite_user_add(struct store *st, const char *name, const char *password_hash,
		    bool is_admin, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO users(name, password_hash, is_admin, created_at, "
			       "updated_at) VALUES (?1, ?2, ?3, ?4, ?4)", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, name);
	bind_text(q, 2, password_hash);
	sqlite3_bind_int(q, 3, is_admin);
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "user '%s' already exists", name);
		return CAIRN_EEXIST;
	}
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "add user", err);
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static void user_from_row(sqlite3_stmt *q, struct user *u)
{
	u->id = sqlite3_column_int64(q, 0);
	u->name = col_strdup(q, 1);
	u->display_name = col_strdup(q, 2);
	u->is_admin = sqlite3_column_int(q, 3);
	u->is_active = sqlite3_column_int(q, 4);
	u->created_at = sqlite3_column_int64(q, 5);
}

int sqlite_user_get(struct store *st, const char *name, int64_t id, struct user *out,
		    char **password_hash, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (name) {
		q = sq_stmt(s, "SELECT id, name, display_name, is_admin, is_active, created_at, "
			 "password_hash FROM users WHERE name = ?1", err);
		if (q)
			bind_text(q, 1, name);
	} else {
		q = sq_stmt(s, "SELECT id, name, display_name, is_admin, is_active, created_at, "
			 "password_hash FROM users WHERE id = ?1", err);
		if (q)
			sqlite3_bind_int64(q, 1, id);
	}
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		user_from_row(q, out);
		if (password_hash)
			*password_hash = col_strdup(q, 6);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read user", err);
	if (name)
		buf_setf(err, "no user '%s'", name);
	else
		buf_setf(err, "no user with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_user_set_password(struct store *st, int64_t id, const char *password_hash,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE users SET password_hash = ?2, updated_at = ?3 "
			       "WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, password_hash);
	sqlite3_bind_int64(q, 3, now_ms());
	int rc = sq_step_done(s, q, "set password", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no user with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

int sqlite_user_list(struct store *st, store_user_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	/* Not cached: a callback may call back into the store. */
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, display_name, is_admin, is_active, "
				    "created_at FROM users ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list users", err);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct user u = {0};
		user_from_row(q, &u);
		cbrc = cb(ctx, &u);
		user_release(&u);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list users", err);
	return 0;
}

/* ---- projects and schemas ---- */

static int schema_put_locked(struct sqlite_store *s, int64_t project_id, const char *json,
			     int64_t user_id, const char *message, int64_t *version,
			     struct buf *err);

int sqlite_project_create(struct store *st, const char *name, const char *description,
			  int64_t created_by, const char *schema_json, int64_t *id,
			  struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO projects(name, description, created_by, "
			       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	bind_text(q, 1, name);
	bind_text(q, 2, description ? description : "");
	bind_id(q, 3, created_by);
	sqlite3_bind_int64(q, 4, now_ms());
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "project '%s' already exists", name);
		rc = CAIRN_EEXIST;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = sq_db_error(s, rc, "create project", err);
		goto out;
	}
	rc = 0;
	int64_t pid = sqlite3_last_insert_rowid(s->db);
	if (schema_json)
		rc = schema_put_locked(s, pid, schema_json, created_by, "created", NULL, err);
	if (!rc && created_by) {
		q = sq_stmt(s, "INSERT INTO members(project_id, user_id, role, created_at) "
			 "VALUES (?1, ?2, 'manager', ?3)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, pid);
		sqlite3_bind_int64(q, 2, created_by);
		sqlite3_bind_int64(q, 3, now_ms());
		rc = sq_step_done(s, q, "add the creator as manager", err);
	}
	if (!rc && id)
		*id = pid;
out:
	TX_END(s, rc, err);
	return rc;
}

static void project_from_row(sqlite3_stmt *q, struct project *p)
{
	p->id = sqlite3_column_int64(q, 0);
	p->name = col_strdup(q, 1);
	p->description = col_strdup(q, 2);
	p->schema_version = sqlite3_column_int64(q, 3);
	p->created_by = sqlite3_column_int64(q, 4);
	p->created_at = sqlite3_column_int64(q, 5);
}

int sqlite_project_get(struct store *st, const char *name, int64_t id,
		       struct project *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (name) {
		q = sq_stmt(s, "SELECT id, name, description, schema_version, created_by, created_at "
			 "FROM projects WHERE name = ?1", err);
		if (q)
			bind_text(q, 1, name);
	} else {
		q = sq_stmt(s, "SELECT id, name, description, schema_version, created_by, created_at "
			 "FROM projects WHERE id = ?1", err);
		if (q)
			sqlite3_bind_int64(q, 1, id);
	}
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		project_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read project", err);
	if (name)
		buf_setf(err, "no project '%s'", name);
	else
		buf_setf(err, "no project with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_project_list(struct store *st, int64_t user_id, store_project_cb cb,
			void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, description, schema_version, "
				    "created_by, created_at FROM projects p WHERE archived = 0 "
				    "AND (?1 = 0 OR EXISTS (SELECT 1 FROM members m WHERE "
				    "m.project_id = p.id AND m.user_id = ?1)) ORDER BY name",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list projects", err);
	sqlite3_bind_int64(q, 1, user_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct project p = {0};
		project_from_row(q, &p);
		cbrc = cb(ctx, &p);
		project_release(&p);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list projects", err);
	return 0;
}

int sqlite_project_delete(struct store *st, int64_t id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	/* Counters are per project and not covered by foreign keys. */
	static const char *const sql[] = {
		"DELETE FROM project_counts WHERE project_id = ?1",
		"DELETE FROM label_counts WHERE project_id = ?1",
		"DELETE FROM projects WHERE id = ?1",
	};
	rc = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++) {
		sqlite3_stmt *q = sq_stmt(s, sql[i], err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, id);
		rc = sq_step_done(s, q, "delete project", err);
	}
	TX_END(s, rc, err);
	return rc;
}

int sqlite_member_set(struct store *st, int64_t project_id, int64_t user_id,
		      enum role role, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO members(project_id, user_id, role, created_at) "
			       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(project_id, user_id) "
			       "DO UPDATE SET role = excluded.role", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	bind_text(q, 3, role_name(role));
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "no such project or user");
		return CAIRN_ENOTFOUND;
	}
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "set member", err);
	return 0;
}

int sqlite_member_get(struct store *st, int64_t project_id, int64_t user_id,
		      enum role *role, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		bool ok = role_parse((const char *)sqlite3_column_text(q, 0), role);
		sqlite3_reset(q);
		return ok ? 0 : CAIRN_EINTERNAL;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read member", err);
	buf_setf(err, "user %lld is not a member of project %lld", (long long)user_id,
		 (long long)project_id);
	return CAIRN_ENOTFOUND;
}

/*
 * Gives every label named in the schema a stable id in the labels table.
 * The schema is canonical JSON from core/schema; the names are read with
 * SQLite's JSON functions so the store needs no JSON parser of its own.
 */
static int sync_labels(struct sqlite_store *s, int64_t project_id, const char *json,
		       int64_t version, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s,
		"INSERT INTO labels(project_id, name, color, first_version, last_version) "
		"SELECT ?1, json_extract(value, '$.name'), json_extract(value, '$.color'), ?3, ?3 "
		"FROM json_each(?2, '$.labels') WHERE json_extract(value, '$.name') IS NOT NULL "
		"ON CONFLICT(project_id, name) DO UPDATE SET last_version = excluded.last_version, "
		"color = excluded.color", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	bind_text(q, 2, json);
	sqlite3_bind_int64(q, 3, version);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_ERROR) {
			buf_setf(err, "store: the schema is not valid JSON with a labels array");
			return CAIRN_EINVAL;
		}
		return sq_db_error(s, rc, "record labels", err);
	}
	return 0;
}

static int schema_put_locked(struct sqlite_store *s, int64_t project_id, const char *json,
			     int64_t user_id, const char *message, int64_t *version,
			     struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "UPDATE projects SET schema_version = schema_version + 1, "
			       "updated_at = ?2 WHERE id = ?1 RETURNING schema_version", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, now_ms());
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc == SQLITE_DONE) {
			buf_setf(err, "no project with id %lld", (long long)project_id);
			return CAIRN_ENOTFOUND;
		}
		return sq_db_error(s, rc, "bump schema version", err);
	}
	int64_t v = sqlite3_column_int64(q, 0);
	/* Finish the UPDATE ... RETURNING before the next statement. */
	while (sqlite3_step(q) == SQLITE_ROW)
		;
	sqlite3_reset(q);
	q = sq_stmt(s, "INSERT INTO schemas(project_id, version, body, message, created_by, "
		 "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, v);
	bind_text(q, 3, json);
	bind_text(q, 4, message);
	bind_id(q, 5, user_id);
	sqlite3_bind_int64(q, 6, now_ms());
	if ((rc = sq_step_done(s, q, "store schema", err)))
		return rc;
	if ((rc = sync_labels(s, project_id, json, v, err)))
		return rc;
	if (version)
		*version = v;
	return 0;
}

int sqlite_schema_put(struct store *st, int64_t project_id, const char *json,
		      int64_t user_id, const char *message, int64_t *version,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	rc = schema_put_locked(s, project_id, json, user_id, message, version, err);
	TX_END(s, rc, err);
	return rc;
}

int sqlite_schema_list(struct store *st, int64_t project_id, store_schema_version_cb cb,
		       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT s.version, s.message, s.created_by, u.name, "
				    "s.created_at FROM schemas s LEFT JOIN users u ON u.id = "
				    "s.created_by WHERE s.project_id = ?1 ORDER BY s.version DESC",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list schema versions", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  sqlite3_column_int64(q, 2), (const char *)sqlite3_column_text(q, 3),
			  sqlite3_column_int64(q, 4));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list schema versions", err);
	return 0;
}

int sqlite_schema_get(struct store *st, int64_t project_id, int64_t version,
		      char **json, int64_t *version_out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (version > 0) {
		q = sq_stmt(s, "SELECT body, version FROM schemas WHERE project_id = ?1 AND version = ?2",
			 err);
		if (q)
			sqlite3_bind_int64(q, 2, version);
	} else {
		q = sq_stmt(s, "SELECT s.body, s.version FROM schemas s JOIN projects p "
			 "ON p.id = s.project_id AND p.schema_version = s.version WHERE p.id = ?1", err);
	}
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*json = col_strdup(q, 0);
		if (version_out)
			*version_out = sqlite3_column_int64(q, 1);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read schema", err);
	if (version > 0)
		buf_setf(err, "project %lld has no schema version %lld", (long long)project_id,
			 (long long)version);
	else
		buf_setf(err, "project %lld has no schema yet", (long long)project_id);
	return CAIRN_ENOTFOUND;
}

int sqlite_label_id(struct store *st, int64_t project_id, const char *name,
		    int64_t *label_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT id FROM labels WHERE project_id = ?1 AND name = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	bind_text(q, 2, name);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*label_id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read label", err);
	buf_setf(err, "no label '%s' in project %lld", name, (long long)project_id);
	return CAIRN_ENOTFOUND;
}

/* ---- tokens ---- */

int sqlite_token_add(struct store *st, int64_t user_id, bool is_session,
		     const char *name, const unsigned char hash[32], const char *csrf,
		     int64_t expires_at, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO tokens(user_id, kind, name, secret_hash, csrf, "
			       "created_at, expires_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, user_id);
	bind_text(q, 2, is_session ? "session" : "api");
	bind_text(q, 3, name);
	sqlite3_bind_blob(q, 4, hash, 32, SQLITE_TRANSIENT);
	bind_text(q, 5, csrf);
	sqlite3_bind_int64(q, 6, now_ms());
	bind_id(q, 7, expires_at);
	int rc = sq_step_done(s, q, "add token", err);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sqlite_token_find(struct store *st, const unsigned char hash[32], struct token *out,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT t.id, t.user_id, t.kind, t.name, t.csrf, t.created_at, "
			       "ifnull(t.expires_at, 0), ifnull(t.last_used_at, 0), t.revoked, u.name, "
			       "u.is_admin, u.is_active FROM tokens t JOIN users u ON u.id = t.user_id "
			       "WHERE t.secret_hash = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(q, 0);
		out->user_id = sqlite3_column_int64(q, 1);
		out->is_session = !strcmp((const char *)sqlite3_column_text(q, 2), "session");
		out->name = col_strdup(q, 3);
		out->csrf = col_strdup(q, 4);
		out->created_at = sqlite3_column_int64(q, 5);
		out->expires_at = sqlite3_column_int64(q, 6);
		out->last_used_at = sqlite3_column_int64(q, 7);
		out->revoked = sqlite3_column_int(q, 8);
		out->user_name = col_strdup(q, 9);
		out->user_is_admin = sqlite3_column_int(q, 10);
		out->user_is_active = sqlite3_column_int(q, 11);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "find token", err);
	buf_setf(err, "unknown token");
	return CAIRN_ENOTFOUND;
}

int sqlite_token_touch(struct store *st, int64_t id, int64_t now, int64_t expires_at,
		       struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE tokens SET last_used_at = ?2, expires_at = "
			       "CASE WHEN ?3 > 0 THEN ?3 ELSE expires_at END WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, expires_at);
	return sq_step_done(s, q, "touch token", err);
}

int sqlite_token_revoke(struct store *st, int64_t id, int64_t user_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0 "
			       "AND (?2 = 0 OR user_id = ?2)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sq_step_done(s, q, "revoke token", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no token %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

int sqlite_token_list(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, created_at, ifnull(expires_at, 0), "
				    "ifnull(last_used_at, 0) FROM tokens WHERE user_id = ?1 AND "
				    "kind = 'api' AND revoked = 0 ORDER BY id DESC", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list tokens", err);
	sqlite3_bind_int64(q, 1, user_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct token t = {0};
		t.id = sqlite3_column_int64(q, 0);
		t.user_id = user_id;
		t.name = col_strdup(q, 1);
		t.created_at = sqlite3_column_int64(q, 2);
		t.expires_at = sqlite3_column_int64(q, 3);
		t.last_used_at = sqlite3_column_int64(q, 4);
		cbrc = cb(ctx, &t);
		token_release(&t);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list tokens", err);
	return 0;
}

int sqlite_item_scope(struct store *st, int64_t item_id, int64_t *project_id,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT project_id FROM items WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*project_id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "find item", err);
	buf_setf(err, "no item %lld", (long long)item_id);
	return CAIRN_ENOTFOUND;
}

int sqlite_item_assigned(struct store *st, int64_t item_id, int64_t user_id, bool *out,
			 struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT EXISTS (SELECT 1 FROM assignments WHERE item_id = ?1 "
			       "AND user_id = ?2) OR EXISTS (SELECT 1 FROM items i JOIN batch_members b "
			       "ON b.batch_id = i.batch_id WHERE i.id = ?1 AND b.user_id = ?2)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return sq_db_error(s, rc, "check assignment", err);
	return 0;
}

int sqlite_item_set_meta(struct store *st, int64_t id, const char *meta_json,
			 const char *split, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE items SET meta = CASE WHEN ?2 THEN ?3 ELSE meta END, "
			       "split = CASE WHEN ?4 THEN NULLIF(?5, '') ELSE split END, "
			       "updated_at = ?6 WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, meta_json != NULL);
	bind_text(q, 3, meta_json);
	sqlite3_bind_int(q, 4, split != NULL);
	bind_text(q, 5, split);
	sqlite3_bind_int64(q, 6, now_ms());
	int rc = sq_step_done(s, q, "update item", err);
	if (rc)
		return rc;
	if (sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no item with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return 0;
}

