/*
 * test_ann_service.c - the save path: after each save the object rows are
 * exactly the document's objects, whether the store wrote every row, only
 * the changed ones (the previous version compared under the same schema),
 * or none (an identical autosave); a new schema version falls back to
 * comparing every row.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/model.h"
#include "store/store.h"
#include "workflow/ann_service.h"

#include "../tmpdir.h"
#include "base/banned.h"

static char dir[64];
static char dbpath[128];
static struct store *st;
static int64_t pid, uid, item;

static void setup(void)
{
	struct buf err = BUF_INIT;
	tmpdir_make(dir, sizeof(dir), "annsvc");
	snprintf(dbpath, sizeof(dbpath), "%s/cairn.db", dir);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "ann", "hash", false, &uid, &err), 0, "%s", err.data);
	const char *schema = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
			     "{\"name\":\"person\",\"shapes\":[\"box\"]}]}";
	cr_assert_eq(store_project_create(st, "p", "", uid, schema, &pid, &err), 0, "%s", err.data);
	struct item it = {.project_id = pid, .kind = ITEM_IMAGE, .name = "a.jpg", .width = 100,
			  .height = 100};
	snprintf(it.hash, sizeof(it.hash), "%064d", 1);
	cr_assert_eq(store_item_add(st, &it, &item, &err), 0, "%s", err.data);
	buf_release(&err);
}

static void teardown(void)
{
	store_close(st);
	tmpdir_remove(dir);
}

static int64_t version;

static void save(const char *json)
{
	struct buf err = BUF_INIT;
	struct ann_save in = {
		.project_id = pid, .item_id = item, .width = 100, .height = 100,
		.key = {.item_id = item, .kind = ANN_MANUAL, .user_id = uid, .source = ""},
		.json = json, .len = strlen(json), .status = "draft", .user_id = uid,
		.expected_version = version,
	};
	struct ann_saved out;
	int rc = ann_service_save(st, &in, &out, &err);
	if (rc)
		ann_saved_release(&out);
	cr_assert_eq(rc, 0, "%s", err.data);
	cr_assert_eq(out.version, version + 1);
	version = out.version;
	ann_saved_release(&out);
	buf_release(&err);
}

/* "uid:label:x0" for every object row, sorted by uid, joined by spaces. */
static void rows(char *out, size_t n)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT o.uid, l.name, o.x0, o.x1 FROM objects o JOIN "
					"labels l ON l.id = o.label_id ORDER BY o.uid", -1, &q, NULL),
		     SQLITE_OK, "%s", sqlite3_errmsg(db));
	out[0] = 0;
	size_t len = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		len += (size_t)snprintf(out + len, n - len, "%s%s:%s:%g-%g", len ? " " : "",
					sqlite3_column_text(q, 0), sqlite3_column_text(q, 1),
					sqlite3_column_double(q, 2), sqlite3_column_double(q, 3));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

#define BOX(id, label, x) "{\"id\":\"" id "\",\"label\":\"" label "\",\"type\":\"box\"," \
	"\"points\":[" #x ",1," #x "1,2]}"

TestSuite(ann_service, .init = setup, .fini = teardown);

Test(ann_service, object_rows_follow_every_kind_of_save)
{
	char got[1024];
	version = 0;
	save("{\"format\":1,\"objects\":[" BOX("a", "car", 1) "," BOX("b", "car", 2) "," BOX("c", "person", 3) "]}");
	rows(got, sizeof(got));
	cr_assert_str_eq(got, "a:car:1-11 b:car:2-21 c:person:3-31");
	/* Identical document: nothing to write, a new version all the same. */
	save("{\"format\":1,\"objects\":[" BOX("a", "car", 1) "," BOX("b", "car", 2) "," BOX("c", "person", 3) "]}");
	rows(got, sizeof(got));
	cr_assert_str_eq(got, "a:car:1-11 b:car:2-21 c:person:3-31");
	/* One changed (geometry), one relabelled, one removed, one added. */
	save("{\"format\":1,\"objects\":[" BOX("a", "car", 5) "," BOX("c", "car", 3) "," BOX("d", "person", 4) "]}");
	rows(got, sizeof(got));
	cr_assert_str_eq(got, "a:car:5-51 c:car:3-31 d:person:4-41");
	/* Many changes at once: past the per-uid limit, every row compared. */
	struct buf doc = BUF_INIT;
	buf_adds(&doc, "{\"format\":1,\"objects\":[");
	for (int i = 0; i < 40; i++)
		buf_addf(&doc, "%s{\"id\":\"n%02d\",\"label\":\"car\",\"type\":\"box\",\"points\":[%d,0,%d,1]}",
			 i ? "," : "", i, i, i + 1);
	buf_adds(&doc, "]}");
	save(doc.data);
	rows(got, sizeof(got));
	cr_assert(strncmp(got, "n00:car:0-1 n01:car:1-2 ", 24) == 0, "%s", got);
	cr_assert(!strstr(got, "a:car"), "%s", got);
	buf_release(&doc);
	/* Back to three objects after a schema change (rows compared). */
	struct buf err = BUF_INIT;
	int64_t sv;
	cr_assert_eq(store_schema_put(st, pid, "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]},"
				      "{\"name\":\"person\",\"shapes\":[\"box\"]},{\"name\":\"bus\",\"shapes\":[\"box\"]}]}",
				      uid, "add bus", &sv, &err), 0, "%s", err.data);
	buf_release(&err);
	save("{\"format\":1,\"objects\":[" BOX("a", "car", 1) "," BOX("b", "person", 2) "]}");
	rows(got, sizeof(got));
	cr_assert_str_eq(got, "a:car:1-11 b:person:2-21");
}
