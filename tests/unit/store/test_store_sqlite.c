/*
 * test_store_sqlite.c - the SQLite store: a fresh database, migration of an
 * older one (with its backup copy), refusal of a newer one, two concurrent
 * writers, counters kept by triggers, and the query plans of the pages
 * that must stay O(log n).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "store/store_int.h"
#include "base/banned.h"

static char dir[64];
static char dbpath[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cairn-store-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/cairn.db", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

static struct item make_item(int64_t project, const char *name, const char *hash)
{
	struct item it = {0};
	it.project_id = project;
	it.kind = ITEM_IMAGE;
	it.name = (char *)name;
	snprintf(it.hash, sizeof(it.hash), "%s", hash);
	it.size = 100;
	it.width = 64;
	it.height = 48;
	return it;
}

Test(store, fresh_database_has_the_latest_schema)
{
	struct store *st;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, 0, &err), CAIRN_ENOTFOUND, "opened a missing db");
	cr_assert(strstr(err.data, "cairn init"), "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_db_version(st), store_schema_version());
	cr_assert_geq(store_schema_version(), 2);
	cr_assert_eq(store_check(st, &err), 0, "%s", err.data);
	char *v = NULL;
	cr_assert_eq(store_meta_set(st, "secret", "abc", &err), 0);
	cr_assert_eq(store_meta_get(st, "secret", &v, &err), 0);
	cr_assert_str_eq(v, "abc");
	free(v);
	cr_assert_eq(store_meta_get(st, "nothing", &v, &err), CAIRN_ENOTFOUND);
	store_close(st);
	buf_release(&err);
}

struct versions_seen {
	int n;
	int64_t version[4], user[4], created_at[4];
	char message[4][32];
};

static int collect_version(void *ctx, int64_t version, const char *message, int64_t user_id,
			   const char *user_name, int64_t created_at)
{
	struct versions_seen *v = ctx;
	(void)user_name;
	if (v->n >= 4)
		return CAIRN_EINVAL;
	v->version[v->n] = version;
	v->user[v->n] = user_id;
	v->created_at[v->n] = created_at;
	snprintf(v->message[v->n], sizeof(v->message[0]), "%s", message ? message : "");
	v->n++;
	return 0;
}

Test(store, users_projects_members_and_schemas)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t uid, pid, v;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "alice", "hash", true, &uid, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "ALICE", "hash", false, NULL, &err), CAIRN_EEXIST,
		     "user names are case-insensitive");
	struct user u;
	char *ph = NULL;
	cr_assert_eq(store_user_get(st, "alice", &u, &ph, &err), 0);
	cr_assert_str_eq(ph, "hash");
	cr_assert(u.is_admin);
	user_release(&u);
	free(ph);

	const char *schema = "{\"labels\":[{\"name\":\"car\",\"color\":\"#ff0000\"},{\"name\":\"person\"}]}";
	cr_assert_eq(store_project_create(st, "p1", "d", uid, schema, &pid, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p1", "d", uid, schema, NULL, &err), CAIRN_EEXIST);
	enum role r;
	cr_assert_eq(store_member_get(st, pid, uid, &r, &err), 0);
	cr_assert_eq(r, ROLE_MANAGER);

	int64_t car1, car2, bus;
	cr_assert_eq(store_label_id(st, pid, "car", &car1, &err), 0);
	const char *schema2 = "{\"labels\":[{\"name\":\"bus\"},{\"name\":\"car\"}]}";
	cr_assert_eq(store_schema_put(st, pid, schema2, uid, "add bus", &v, &err), 0, "%s", err.data);
	cr_assert_eq(v, 2);
	cr_assert_eq(store_label_id(st, pid, "car", &car2, &err), 0);
	cr_assert_eq(car1, car2, "label ids are stable across schema versions");
	cr_assert_eq(store_label_id(st, pid, "bus", &bus, &err), 0);
	cr_assert_neq(bus, car1);

	char *body = NULL;
	int64_t got;
	cr_assert_eq(store_schema_get(st, pid, 0, &body, &got, &err), 0);
	cr_assert_eq(got, 2);
	cr_assert_str_eq(body, schema2);
	free(body);
	cr_assert_eq(store_schema_get(st, pid, 1, &body, &got, &err), 0);
	cr_assert_str_eq(body, schema);
	free(body);
	cr_assert_eq(store_schema_get(st, pid, 7, &body, &got, &err), CAIRN_ENOTFOUND);

	struct versions_seen seen = {0};
	cr_assert_eq(store_schema_list(st, pid, collect_version, &seen, &err), 0, "%s", err.data);
	cr_assert_eq(seen.n, 2);
	cr_assert_eq(seen.version[0], 2, "newest first");
	cr_assert_eq(seen.version[1], 1);
	cr_assert_str_eq(seen.message[0], "add bus");
	cr_assert_str_eq(seen.message[1], "created");
	cr_assert_eq(seen.user[0], uid);
	cr_assert_gt(seen.created_at[0], 0);

	struct project p;
	cr_assert_eq(store_project_get(st, "p1", &p, &err), 0);
	cr_assert_eq(p.schema_version, 2);
	project_release(&p);
	cr_assert_eq(store_project_get(st, "nope", &p, &err), CAIRN_ENOTFOUND);
	cr_assert(strstr(err.data, "nope"));
	store_close(st);
	buf_release(&err);
}

Test(store, items_duplicates_and_counters)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t pid, id, id2;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	struct item a = make_item(pid, "a.jpg", "aa");
	struct item b = make_item(pid, "b.jpg", "bb");
	b.kind = ITEM_VIDEO;
	cr_assert_eq(store_item_add(st, &a, &id, &err), 0, "%s", err.data);
	cr_assert_eq(store_item_add(st, &b, NULL, &err), 0, "%s", err.data);
	struct item dup = make_item(pid, "copy-of-a.jpg", "aa");
	cr_assert_eq(store_item_add(st, &dup, &id2, &err), CAIRN_EEXIST);
	cr_assert_eq(id2, id, "a duplicate reports the item it duplicates");

	struct item got;
	cr_assert_eq(store_item_get(st, id, &got, &err), 0);
	cr_assert_str_eq(got.name, "a.jpg");
	cr_assert_str_eq(got.hash, "aa");
	cr_assert_eq(got.width, 64);
	cr_assert_eq(got.status, ITEM_NEW);
	item_release(&got);

	struct project_stats s;
	cr_assert_eq(store_project_stats(st, pid, &s, &err), 0);
	cr_assert_eq(s.items, 2);
	cr_assert_eq(s.bytes, 200);
	cr_assert_eq(s.by_kind[ITEM_IMAGE], 1);
	cr_assert_eq(s.by_kind[ITEM_VIDEO], 1);
	cr_assert_eq(s.by_status[ITEM_NEW], 2);
	store_close(st);
	buf_release(&err);
}

Test(store, transaction_rollback_leaves_nothing)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t pid;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", NULL, 0, NULL, &pid, &err), 0);
	cr_assert_eq(store_begin(st, &err), 0);
	cr_assert_eq(store_begin(st, &err), CAIRN_EINTERNAL, "nested begin is refused");
	struct item a = make_item(pid, "a.jpg", "aa");
	cr_assert_eq(store_item_add(st, &a, NULL, &err), 0);
	store_rollback(st);
	struct project_stats s;
	cr_assert_eq(store_project_stats(st, pid, &s, &err), 0);
	cr_assert_eq(s.items, 0);
	store_close(st);
	buf_release(&err);
}

static int count_backups(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".bak"))
			n++;
	if (d)
		closedir(d);
	return n;
}

Test(store, migrates_an_older_database_after_copying_it)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t pid;
	cr_assert_eq(store_sqlite_open_at(&st, dbpath, STORE_CREATE, 1, &err), 0, "%s", err.data);
	cr_assert_eq(store_db_version(st), 1);
	cr_assert_eq(store_project_create(st, "p", NULL, 0, NULL, &pid, &err), 0);
	struct item a = make_item(pid, "photos/cat_01.jpg", "aa");
	cr_assert_eq(store_item_add(st, &a, NULL, &err), 0);
	store_close(st);
	cr_assert_eq(count_backups(), 0);

	cr_assert_eq(store_open(&st, dbpath, STORE_NO_MIGRATE, &err), CAIRN_EVERSION);
	cr_assert(strstr(err.data, "needs migrating"), "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, 0, &err), 0, "%s", err.data);
	cr_assert_eq(store_db_version(st), store_schema_version());
	cr_assert_eq(count_backups(), 1, "a copy is made before migrating");
	struct project_stats s;
	cr_assert_eq(store_project_stats(st, pid, &s, &err), 0);
	cr_assert_eq(s.items, 1, "data survives the migration");
	store_close(st);

	/* The item that existed before migration 2 is in its search index. */
	sqlite3 *db;
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM items_fts WHERE items_fts "
					"MATCH '\"cat_01.jpg\"'", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	buf_release(&err);
}

Test(store, refuses_a_newer_database)
{
	struct store *st;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0);
	store_close(st);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_open(&st, dbpath, 0, &err), CAIRN_EVERSION);
	cr_assert(strstr(err.data, "newer than this cairn"), "%s", err.data);
	buf_release(&err);
}

struct writer {
	int64_t project;
	int base;
	int added;
	int rc;
};

static void *write_items(void *arg)
{
	struct writer *w = arg;
	struct store *st;
	struct buf err = BUF_INIT;
	if ((w->rc = store_open(&st, dbpath, 0, &err)))
		return NULL;
	for (int batch = 0; batch < 10 && !w->rc; batch++) {
		if ((w->rc = store_begin(st, &err)))
			break;
		for (int i = 0; i < 50 && !w->rc; i++) {
			char name[32], hash[32];
			int n = w->base + batch * 50 + i;
			snprintf(name, sizeof(name), "%d.jpg", n);
			snprintf(hash, sizeof(hash), "h%d", n);
			struct item it = make_item(w->project, name, hash);
			w->rc = store_item_add(st, &it, NULL, &err);
			if (!w->rc)
				w->added++;
		}
		if (w->rc)
			store_rollback(st);
		else
			w->rc = store_commit(st, &err);
	}
	store_close(st);
	buf_release(&err);
	return NULL;
}

Test(store, two_concurrent_writers_lose_nothing)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t pid;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, 0, NULL, &pid, &err), 0);
	struct writer w[2] = {{pid, 0, 0, 0}, {pid, 100000, 0, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, write_items, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(w[0].rc, 0);
	cr_assert_eq(w[1].rc, 0);
	struct project_stats s;
	cr_assert_eq(store_project_stats(st, pid, &s, &err), 0);
	cr_assert_eq(s.items, 1000);
	cr_assert_eq(store_check(st, &err), 0, "%s", err.data);
	store_close(st);
	buf_release(&err);
}

/* The plan of a query must use an index (SEARCH), never SCAN a big table. */
static void assert_plan_uses_index(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	char explain[1024];
	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	cr_assert_eq(sqlite3_prepare_v2(db, explain, -1, &q, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(q, 3);
		cr_assert(!strstr(d, "SCAN items") && !strstr(d, "SCAN objects") &&
			  !strstr(d, "SCAN annotations") && !strstr(d, "SCAN assignments"),
			  "query scans a table: %s -> %s", sql, d);
	}
	sqlite3_finalize(q);
}

Test(store, pages_at_a_million_items_use_indexes)
{
	struct store *st;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0);
	store_close(st);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* Items by status, page after a cursor. */
	assert_plan_uses_index(db, "SELECT id FROM items WHERE project_id = 1 AND status = 'new' "
			       "AND id > 10 ORDER BY id LIMIT 50");
	/* Next item to label for a user in a batch: open items not yet assigned to them. */
	assert_plan_uses_index(db, "SELECT i.id FROM items i WHERE i.batch_id = 3 AND i.queue = 1 "
			       "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id "
			       "AND a.user_id = 5) ORDER BY i.id LIMIT 1");
	/* Items by label. */
	assert_plan_uses_index(db, "SELECT DISTINCT item_id FROM objects WHERE project_id = 1 "
			       "AND label_id = 2 AND item_id > 0 ORDER BY item_id LIMIT 50");
	/* Items by annotator. */
	assert_plan_uses_index(db, "SELECT item_id FROM annotations WHERE project_id = 1 "
			       "AND user_id = 4 AND status = 'submitted' LIMIT 50");
	/* Counts per label and per status. */
	assert_plan_uses_index(db, "SELECT n FROM label_counts WHERE project_id = 1");
	assert_plan_uses_index(db, "SELECT n FROM project_counts WHERE project_id = 1 AND key = 'items'");
	/* Objects of one item (the editor), and of one frame. */
	assert_plan_uses_index(db, "SELECT id FROM objects WHERE annotation_id = 9");
	assert_plan_uses_index(db, "SELECT id FROM objects WHERE item_id = 9 AND frame = 3");
	/* An item's annotations. */
	assert_plan_uses_index(db, "SELECT id FROM annotations WHERE item_id = 9");
	sqlite3_close(db);
	buf_release(&err);
}

/* Saves doc (JSON) as the next version of the car annotation of item. */
static void save_doc(struct store *st, const struct schema *sc, const int64_t *label_ids,
		     int64_t pid, int64_t item, int64_t expect, const char *json)
{
	struct buf err = BUF_INIT;
	struct ann_doc d = {0};
	cr_assert_eq(ann_doc_parse(&d, json, strlen(json), sc, 64, 48, &err, NULL), 0, "%s", err.data);
	struct annotation_write w = {
		.key = {.item_id = item, .kind = ANN_MANUAL, .user_id = 1},
		.project_id = pid,
		.expected_version = expect,
		.schema_version = 1,
		.status = "draft",
		.saved_by = 1,
		.body = json,
		.doc = &d,
		.label_ids = label_ids,
		.audit_action = "annotation.save",
	};
	int64_t id, version;
	cr_assert_eq(store_annotation_save(st, &w, &id, &version, &err), 0, "%s", err.data);
	cr_assert_eq(version, expect + 1);
	ann_doc_release(&d);
	buf_release(&err);
}

static int64_t sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return v;
}

Test(store, annotation_save_writes_only_the_objects_that_changed)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t uid, pid, item, ids[2];
	const char *schema_json = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
				  "{\"name\":\"person\",\"shapes\":[\"box\"]}]}";
	struct schema sc = {0};
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "alice", "hash", true, &uid, &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, uid, schema_json, &pid, &err), 0);
	cr_assert_eq(store_label_id(st, pid, "car", &ids[0], &err), 0);
	cr_assert_eq(store_label_id(st, pid, "person", &ids[1], &err), 0);
	struct item it = make_item(pid, "a.png", "h1");
	cr_assert_eq(store_item_add(st, &it, &item, &err), 0, "%s", err.data);

	/* Another connection watches which object rows are written. */
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE writes(op TEXT, uid TEXT);"
				  "CREATE TRIGGER w_i AFTER INSERT ON objects BEGIN "
				  "INSERT INTO writes VALUES ('i', new.uid); END;"
				  "CREATE TRIGGER w_u AFTER UPDATE ON objects BEGIN "
				  "INSERT INTO writes VALUES ('u', new.uid); END;"
				  "CREATE TRIGGER w_d AFTER DELETE ON objects BEGIN "
				  "INSERT INTO writes VALUES ('d', old.uid); END;",
				  NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));

	save_doc(st, &sc, ids, pid, item, 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]},"
		 "{\"id\":\"b\",\"label\":\"car\",\"type\":\"box\",\"points\":[5,5,9,9]},"
		 "{\"id\":\"c\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,1,2,2]}]}");
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes WHERE op = 'i'"), 3);
	int64_t a_id = sql_int(db, "SELECT id FROM objects WHERE uid = 'a'");
	int64_t b_id = sql_int(db, "SELECT id FROM objects WHERE uid = 'b'");
	sqlite3_exec(db, "DELETE FROM writes", NULL, NULL, NULL);

	/* a as it was, b changed (label and box), c removed, d added. */
	const char *v2 =
		"{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]},"
		"{\"id\":\"d\",\"label\":\"car\",\"type\":\"box\",\"points\":[7,7,8,8]},"
		"{\"id\":\"b\",\"label\":\"person\",\"type\":\"box\",\"points\":[5,5,10,10]}]}";
	save_doc(st, &sc, ids, pid, item, 1, v2);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes"), 3);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes WHERE op = 'u' AND uid = 'b'"), 1);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes WHERE op = 'i' AND uid = 'd'"), 1);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes WHERE op = 'd' AND uid = 'c'"), 1);
	cr_assert_eq(sql_int(db, "SELECT id FROM objects WHERE uid = 'a'"), a_id);
	cr_assert_eq(sql_int(db, "SELECT id FROM objects WHERE uid = 'b'"), b_id);
	cr_assert_eq(sql_int(db, "SELECT x1 FROM objects WHERE uid = 'b'"), 10);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM objects"), 3);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT n FROM label_counts WHERE label_id = %lld", (long long)ids[0]);
	cr_assert_eq(sql_int(db, sql), 2, "car: a and d");
	snprintf(sql, sizeof(sql), "SELECT n FROM label_counts WHERE label_id = %lld", (long long)ids[1]);
	cr_assert_eq(sql_int(db, sql), 1, "person: b");
	sqlite3_exec(db, "DELETE FROM writes", NULL, NULL, NULL);

	/* The same document again: a new version, no object row written. */
	save_doc(st, &sc, ids, pid, item, 2, v2);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM writes"), 0);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM annotation_history"), 3);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM audit WHERE action = 'annotation.save' "
				 "AND target_type = 'annotation'"), 3, "one audit row a save");
	sqlite3_close(db);
	cr_assert_eq(store_check(st, &err), 0, "%s", err.data);
	store_close(st);
	schema_release(&sc);
	buf_release(&err);
}

/* Every split, split+status and label counter equals a count of the rows. */
static void assert_counters_match(sqlite3 *db)
{
	static const char *const checks[] = {
		"SELECT count(*) FROM project_counts c WHERE key LIKE 'split:%' AND key NOT LIKE "
		"'%:status:%' AND n != (SELECT count(*) FROM items i WHERE i.project_id = c.project_id "
		"AND 'split:' || i.split = c.key)",
		"SELECT count(*) FROM project_counts c WHERE key LIKE 'split:%:status:%' AND n != "
		"(SELECT count(*) FROM items i WHERE i.project_id = c.project_id AND "
		"'split:' || i.split || ':status:' || i.status = c.key)",
		"SELECT count(*) FROM project_counts c WHERE key LIKE 'label_items:%' AND n != "
		"(SELECT count(DISTINCT item_id) FROM objects o WHERE o.project_id = c.project_id AND "
		"'label_items:' || o.label_id = c.key)",
		/* and no group is missing a counter */
		"SELECT count(*) FROM (SELECT DISTINCT project_id, 'split:' || split || ':status:' || "
		"status AS k FROM items WHERE split IS NOT NULL) g WHERE NOT EXISTS (SELECT 1 FROM "
		"project_counts c WHERE c.project_id = g.project_id AND c.key = g.k)",
		"SELECT count(*) FROM (SELECT DISTINCT project_id, 'label_items:' || label_id AS k "
		"FROM objects WHERE label_id IS NOT NULL) g WHERE NOT EXISTS (SELECT 1 FROM "
		"project_counts c WHERE c.project_id = g.project_id AND c.key = g.k)",
		"SELECT count(*) FROM item_label_objects x WHERE n != (SELECT count(*) FROM objects o "
		"WHERE o.item_id = x.item_id AND o.label_id = x.label_id)",
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		cr_assert_eq(sql_int(db, checks[i]), 0, "counter off: %s", checks[i]);
}

Test(store, filtered_counts_come_from_counters_and_stay_right)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t uid, pid, ids[2], items[6];
	const char *schema_json = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
				  "{\"name\":\"person\",\"shapes\":[\"box\"]}]}";
	struct schema sc = {0};
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "alice", "hash", true, &uid, &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, uid, schema_json, &pid, &err), 0);
	cr_assert_eq(store_label_id(st, pid, "car", &ids[0], &err), 0);
	cr_assert_eq(store_label_id(st, pid, "person", &ids[1], &err), 0);
	static const char *const splits[6] = {"val", "val", "train", NULL, "val", "test"};
	for (int i = 0; i < 6; i++) {
		char name[32], hash[16];
		snprintf(name, sizeof(name), "cam07_%d.png", i);
		snprintf(hash, sizeof(hash), "h%d", i);
		struct item it = make_item(pid, name, hash);
		it.split = (char *)splits[i];
		cr_assert_eq(store_item_add(st, &it, &items[i], &err), 0, "%s", err.data);
	}
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_counters_match(db);

	/* Two cars on item 0, a person on item 1; item 0 goes to in_progress. */
	save_doc(st, &sc, ids, pid, items[0], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]},"
		 "{\"id\":\"b\",\"label\":\"car\",\"type\":\"box\",\"points\":[5,5,9,9]}]}");
	save_doc(st, &sc, ids, pid, items[1], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	assert_counters_match(db);
	struct item_query q = {.project_id = pid, .status = -1, .kind = -1, .label_id = ids[0]};
	int64_t n;
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0, "%s", err.data);
	cr_assert_eq(n, 1, "one item has cars");
	q.label_id = ids[1];
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 1);
	q.label_id = ids[0];
	q.split = "val";
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 1, "label with a split: the IN form");
	q.label_id = 0;
	q.status = ITEM_NEW;
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 1, "val and new: item 4 (0 and 1 are in progress)");
	q.status = -1;
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 3);

	/* One car becomes a person, the other goes: item 0 loses car, gains person. */
	save_doc(st, &sc, ids, pid, items[0], 1,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	assert_counters_match(db);
	q = (struct item_query){.project_id = pid, .status = -1, .kind = -1, .label_id = ids[0]};
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 0);
	q.label_id = ids[1];
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 2);

	/* Moving items between splits and out of any split. */
	cr_assert_eq(store_item_set_meta(st, items[0], NULL, "test", &err), 0, "%s", err.data);
	cr_assert_eq(store_item_set_meta(st, items[3], NULL, "val", &err), 0, "%s", err.data);
	cr_assert_eq(store_item_set_meta(st, items[4], NULL, "", &err), 0, "%s", err.data);
	assert_counters_match(db);
	q = (struct item_query){.project_id = pid, .status = -1, .kind = -1, .split = "val"};
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 2, "items 1 and 3");

	/* A search count stops past the cap. */
	q = (struct item_query){.project_id = pid, .status = -1, .kind = -1, .search = "cam07",
				.count_cap = 4};
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0, "%s", err.data);
	cr_assert_eq(n, 5, "6 matches, cap 4: 5 means more than 4");
	q.count_cap = 0;
	cr_assert_eq(store_item_count(st, &q, &n, &err), 0);
	cr_assert_eq(n, 6);

	/* Deleting the project leaves no counter behind. */
	cr_assert_eq(store_project_delete(st, pid, &err), 0, "%s", err.data);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM item_label_objects"), 0);
	sqlite3_close(db);
	store_close(st);
	schema_release(&sc);
	buf_release(&err);
}

/* label_counts and each project's 'objects' equal counts of the object rows. */
static void assert_object_counters_match(sqlite3 *db)
{
	static const char *const checks[] = {
		"SELECT count(*) FROM label_counts c WHERE n != (SELECT count(*) FROM objects o WHERE "
		"o.project_id = c.project_id AND o.label_id = c.label_id)",
		"SELECT count(*) FROM projects p WHERE (SELECT count(*) FROM objects o WHERE "
		"o.project_id = p.id) != ifnull((SELECT n FROM project_counts c WHERE c.project_id = "
		"p.id AND c.key = 'objects'), 0)",
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		cr_assert_eq(sql_int(db, checks[i]), 0, "counter off: %s", checks[i]);
	assert_counters_match(db);
}

static char *triggers_text(sqlite3 *db)
{
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT group_concat(name || ':' || sql, ';') FROM "
				       "(SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
				       "ORDER BY name)", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	char *t = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return t;
}

Test(store, bulk_load_keeps_the_counters_and_brings_the_triggers_back)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t uid, pid, ids[2], items[4];
	const char *schema_json = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
				  "{\"name\":\"person\",\"shapes\":[\"box\"]}]}";
	struct schema sc = {0};
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "alice", "hash", true, &uid, &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, uid, schema_json, &pid, &err), 0);
	cr_assert_eq(store_label_id(st, pid, "car", &ids[0], &err), 0);
	cr_assert_eq(store_label_id(st, pid, "person", &ids[1], &err), 0);
	for (int i = 0; i < 4; i++) {
		char name[32], hash[16];
		snprintf(name, sizeof(name), "b%d.png", i);
		snprintf(hash, sizeof(hash), "b%d", i);
		struct item it = make_item(pid, name, hash);
		cr_assert_eq(store_item_add(st, &it, &items[i], &err), 0, "%s", err.data);
	}
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *before = triggers_text(db);
	/* Item 0 has two cars and a person before the bulk load. */
	save_doc(st, &sc, ids, pid, items[0], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]},"
		 "{\"id\":\"b\",\"label\":\"car\",\"type\":\"box\",\"points\":[5,5,9,9]},"
		 "{\"id\":\"c\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,1,2,2]}]}");

	/* A rolled-back bulk load leaves the counters and the triggers as they were. */
	cr_assert_eq(store_begin(st, &err), 0, "%s", err.data);
	cr_assert_eq(store_bulk_begin(st, &err), 0, "%s", err.data);
	save_doc(st, &sc, ids, pid, items[1], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	store_rollback(st);
	char *now = triggers_text(db);
	cr_assert_str_eq(now, before);
	free(now);
	assert_object_counters_match(db);

	/* Replaced (item 0: the cars go, a person stays and one is added), new
	 * (items 1 and 2) and objects without a label (item 3). */
	cr_assert_eq(store_begin(st, &err), 0, "%s", err.data);
	cr_assert_eq(store_bulk_begin(st, &err), 0, "%s", err.data);
	save_doc(st, &sc, ids, pid, items[0], 1,
		 "{\"format\":1,\"objects\":[{\"id\":\"c\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,1,2,2]},"
		 "{\"id\":\"d\",\"label\":\"person\",\"type\":\"box\",\"points\":[3,3,5,5]}]}");
	save_doc(st, &sc, ids, pid, items[1], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]},"
		 "{\"id\":\"b\",\"label\":\"car\",\"type\":\"box\",\"points\":[2,2,3,4]}]}");
	save_doc(st, &sc, ids, pid, items[2], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	save_doc(st, &sc, NULL, pid, items[3], 0,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	cr_assert_eq(store_commit(st, &err), 0, "%s", err.data);
	now = triggers_text(db);
	cr_assert_str_eq(now, before, "the triggers are back, as they were");
	free(now);
	assert_object_counters_match(db);
	cr_assert_eq(sql_int(db, "SELECT n FROM project_counts WHERE key = 'objects'"), 6);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT n FROM project_counts WHERE key = 'label_items:%lld'",
		 (long long)ids[0]);
	cr_assert_eq(sql_int(db, sql), 1, "cars on item 1 only");
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM item_label_objects"), 3);

	/* After it, saves keep the counters through the triggers again. */
	save_doc(st, &sc, ids, pid, items[1], 1,
		 "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"person\",\"type\":\"box\",\"points\":[1,2,3,4]}]}");
	assert_object_counters_match(db);
	cr_assert_eq(sql_int(db, sql), 0);
	free(before);
	sqlite3_close(db);
	cr_assert_eq(store_check(st, &err), 0, "%s", err.data);
	store_close(st);
	schema_release(&sc);
	buf_release(&err);
}

/* A read snapshot sees one moment; a write on the same handle ends it. */
Test(store, a_read_snapshot_sees_one_moment_and_a_write_ends_it)
{
	struct store *a, *b;
	struct buf err = BUF_INIT;
	struct project p;
	int64_t pid;
	cr_assert_eq(store_open(&a, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_open(&b, dbpath, 0, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(a, "one", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	store_snapshot_begin(a);
	cr_assert_eq(store_project_get(a, "one", &p, &err), 0, "%s", err.data);
	project_release(&p);
	cr_assert_eq(store_project_create(b, "two", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_get(a, "two", &p, &err), CAIRN_ENOTFOUND,
		     "a snapshot sees the moment it began");
	/* A write on a must not fail on its stale snapshot: it ends it. */
	cr_assert_eq(store_project_create(a, "three", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_get(a, "two", &p, &err), 0, "%s", err.data);
	project_release(&p);
	/* store_begin ends one too; snapshot calls inside a transaction do nothing. */
	store_snapshot_begin(a);
	cr_assert_eq(store_begin(a, &err), 0, "%s", err.data);
	store_snapshot_begin(a);
	cr_assert_eq(store_project_create(a, "four", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	store_snapshot_end(a);
	cr_assert_eq(store_commit(a, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_get(b, "four", &p, &err), 0, "%s", err.data);
	project_release(&p);
	store_snapshot_end(a);
	store_close(b);
	store_close(a);
	buf_release(&err);
}

struct saver {
	const struct schema *sc;
	const int64_t *label_ids;
	int64_t pid, item;
	bool snapshot;          /* hold a read snapshot across each save */
	int n, rc;
};

static void *save_many(void *arg)
{
	struct saver *w = arg;
	struct store *st;
	struct buf err = BUF_INIT;
	const char *json = "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\","
			   "\"points\":[1,2,3,4]}]}";
	struct ann_doc d = {0};
	if ((w->rc = store_open(&st, dbpath, 0, &err)))
		goto out;
	if ((w->rc = ann_doc_parse(&d, json, strlen(json), w->sc, 64, 48, &err, NULL)))
		goto out;
	for (int i = 0; i < w->n && !w->rc; i++) {
		/* Alternate the status: the item and annotation rows change
		 * status on some saves and keep it on others. */
		struct annotation_write aw = {
			.key = {.item_id = w->item, .kind = ANN_MANUAL, .user_id = 1},
			.project_id = w->pid,
			.expected_version = i,
			.schema_version = 1,
			.status = i % 3 == 2 ? "submitted" : "draft",
			.saved_by = 1,
			.body = json,
			.doc = &d,
			.label_ids = w->label_ids,
			.audit_action = "annotation.save",
		};
		struct annotation cur;
		if (w->snapshot) {
			store_snapshot_begin(st);
			if (i && (w->rc = store_annotation_find(st, &aw.key, &cur, &err)) == 0) {
				w->rc = cur.version == i ? 0 : CAIRN_EINTERNAL;
				annotation_release(&cur);
			}
		}
		int64_t id, version;
		if (!w->rc)
			w->rc = store_annotation_save(st, &aw, &id, &version, &err);
		if (!w->rc && version != i + 1)
			w->rc = CAIRN_EINTERNAL;
		/* The save ended the snapshot: this handle reads what it wrote. */
		if (!w->rc && (w->rc = store_annotation_find(st, &aw.key, &cur, &err)) == 0) {
			w->rc = cur.version == i + 1 && !strcmp(cur.status, aw.status) ? 0
											: CAIRN_EINTERNAL;
			annotation_release(&cur);
		}
		store_snapshot_end(st);
	}
	store_close(st);
out:
	ann_doc_release(&d);
	buf_release(&err);
	return NULL;
}

/* Saves from many handles go through the one shared writer connection and
 * its group commit: every version is there, in order, and the database is
 * intact. */
Test(store, saves_from_many_handles_share_one_writer_and_lose_nothing)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int64_t uid, pid, ids[2];
	const char *schema_json = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
				  "{\"name\":\"person\",\"shapes\":[\"box\"]}]}";
	struct schema sc = {0};
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "alice", "hash", true, &uid, &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, uid, schema_json, &pid, &err), 0);
	cr_assert_eq(store_label_id(st, pid, "car", &ids[0], &err), 0);
	cr_assert_eq(store_label_id(st, pid, "person", &ids[1], &err), 0);
	enum { N = 4, SAVES = 30 };
	struct saver w[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		char name[16], hash[16];
		snprintf(name, sizeof(name), "%d.png", i);
		snprintf(hash, sizeof(hash), "h%d", i);
		struct item it = make_item(pid, name, hash);
		w[i] = (struct saver){&sc, ids, pid, 0, i % 2 == 1, SAVES, 0};
		cr_assert_eq(store_item_add(st, &it, &w[i].item, &err), 0, "%s", err.data);
	}
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, save_many, &w[i]);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < N; i++)
		cr_assert_eq(w[i].rc, 0, "saver %d failed", i);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM annotation_history"), N * SAVES);
	cr_assert_eq(sql_int(db, "SELECT sum(version) FROM annotations"), N * SAVES);
	cr_assert_eq(sql_int(db, "SELECT count(DISTINCT annotation_id || ':' || version) "
				 "FROM annotation_history"), N * SAVES);
	/* The last save of each (i = 29) was a submit: items annotated, and
	 * the status counters agree with the rows. */
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM annotations WHERE status = 'submitted'"), N);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM items WHERE status = 'annotated'"), N);
	cr_assert_eq(sql_int(db, "SELECT n FROM project_counts WHERE key = 'status:annotated'"), N);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM audit WHERE action = 'annotation.save'"),
		     N * SAVES);
	sqlite3_close(db);
	cr_assert_eq(store_check(st, &err), 0, "%s", err.data);
	store_close(st);
	schema_release(&sc);
	buf_release(&err);
}
