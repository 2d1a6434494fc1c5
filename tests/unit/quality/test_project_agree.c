/*
 * test_project_agree.c - the project walk shared by `cairn agree` and the
 * quality API: item labels from tags, time windows by the annotations'
 * save time, the confusion matrices of two annotators (item labels and
 * matched boxes), the window cap, and a dry-run consensus, on a real
 * store in a temporary directory.
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
#include "quality/project_agree.h"
#include "store/store.h"
#include "workflow/ann_service.h"
#include "workflow/schema_cache.h"

#include "../tmpdir.h"
#include "base/banned.h"

static char dir[64];
static char dbpath[128];
static struct store *st;
static struct project proj;
static int64_t users[2], items[3];

static void save(int64_t user, int64_t item, const char *json)
{
	struct buf err = BUF_INIT;
	struct ann_save in = {
		.project_id = proj.id, .item_id = item, .width = 100, .height = 100,
		.key = {.item_id = item, .kind = ANN_MANUAL, .user_id = user, .source = ""},
		.json = json, .len = strlen(json), .status = "submitted", .user_id = user,
	};
	struct ann_saved out;
	int rc = ann_service_save(st, &in, &out, &err);
	ann_saved_release(&out);
	cr_assert_eq(rc, 0, "%s", err.data);
	buf_release(&err);
}

static void sql(const char *q)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

#define TAG(l) "{\"id\":\"t\",\"label\":\"" l "\",\"type\":\"tag\"}"
#define BOX(id, l, pts) "{\"id\":\"" id "\",\"label\":\"" l "\",\"type\":\"box\",\"points\":[" pts "]}"

static void setup(void)
{
	struct buf err = BUF_INIT;
	tmpdir_make(dir, sizeof(dir), "pagree");
	snprintf(dbpath, sizeof(dbpath), "%s/cairn.db", dir);
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "ann", "hash", false, &users[0], &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "ben", "hash", false, &users[1], &err), 0, "%s", err.data);
	const char *schema = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"cat\",\"shapes\":[\"tag\"]},"
			     "{\"name\":\"dog\",\"shapes\":[\"tag\"]},{\"name\":\"car\",\"shapes\":[\"box\"]},"
			     "{\"name\":\"bus\",\"shapes\":[\"box\"]}]}";
	int64_t pid;
	cr_assert_eq(store_project_create(st, "p", "", users[0], schema, &pid, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_get_id(st, pid, &proj, &err), 0, "%s", err.data);
	for (int i = 0; i < 3; i++) {
		struct item it = {.project_id = pid, .kind = ITEM_IMAGE, .name = "a.jpg", .width = 100,
				  .height = 100};
		snprintf(it.hash, sizeof(it.hash), "%064d", i + 1);
		cr_assert_eq(store_item_add(st, &it, &items[i], &err), 0, "%s", err.data);
	}
	/* Item 0: cat / cat, with boxes: ann car [0,10], ben bus [1,11] (IoU 9/11).
	 * Item 1: cat / dog. Item 2: dog / dog, saved 2 days earlier. */
	save(users[0], items[0], "{\"format\":1,\"objects\":[" TAG("cat") "," BOX("b", "car", "0,0,10,10") "]}");
	save(users[1], items[0], "{\"format\":1,\"objects\":[" TAG("cat") "," BOX("b", "bus", "1,0,11,10") "]}");
	save(users[0], items[1], "{\"format\":1,\"objects\":[" TAG("cat") "]}");
	save(users[1], items[1], "{\"format\":1,\"objects\":[" TAG("dog") "]}");
	save(users[0], items[2], "{\"format\":1,\"objects\":[" TAG("dog") "]}");
	save(users[1], items[2], "{\"format\":1,\"objects\":[" TAG("dog") "]}");
	store_close(st);
	char q[256];
	snprintf(q, sizeof(q), "UPDATE annotations SET updated_at = updated_at - 172800000 WHERE item_id = %lld",
		 (long long)items[2]);
	sql(q);
	cr_assert_eq(store_open(&st, dbpath, 0, &err), 0, "%s", err.data);
	buf_release(&err);
}

static void teardown(void)
{
	project_release(&proj);
	store_close(st);
	schema_cache_clear();
	tmpdir_remove(dir);
}

TestSuite(project_agree, .init = setup, .fini = teardown);

Test(project_agree, item_labels_from_tags)
{
	struct agree_data d;
	agree_data_init(&d);
	struct buf err = BUF_INIT;
	size_t skipped = 9;
	cr_assert_eq(project_agree_tags(st, proj.id, &d, &skipped, &err), 0, "%s", err.data);
	cr_assert_eq(d.n_items, 3);
	cr_assert_eq(d.n_raters, 2);
	cr_assert_eq(d.n, 6);
	cr_assert_eq(skipped, 0);
	struct agree_opts o = AGREE_OPTS_INIT;
	o.bootstrap = 0;
	struct agree_result r;
	cr_assert_eq(agree_compute(&d, &o, &r, &err), 0, "%s", err.data);
	cr_assert_float_eq(r.value, 2.0 / 3.0, 1e-12); /* items 0 and 2 agree */
	agree_data_release(&d);
	buf_release(&err);
}

Test(project_agree, windows_follow_the_save_time)
{
	struct project_agree_opts o = {.agree = AGREE_OPTS_INIT, .window_ms = 86400000,
				       .which = PROJECT_AGREE_CATEGORICAL | PROJECT_AGREE_SPATIAL};
	o.agree.bootstrap = 0;
	struct buf out = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(project_agree_json(st, &proj, &o, &out, &err), 0, "%s", err.data);
	/* Item 2 alone two days back (agrees: 1); items 0 and 1 today (1/2). */
	cr_assert(strstr(out.data, "\"n_items\":1,\"n_items_used\":1,\"value\":1}"), "%s", out.data);
	cr_assert(strstr(out.data, "\"n_items\":2,\"n_items_used\":2,\"value\":0.5}"), "%s", out.data);
	cr_assert(strstr(out.data, "\"window_s\":86400"), "%s", out.data);
	/* Spatial: the two boxes match (IoU 9/11), labels differ. */
	cr_assert(strstr(out.data, "\"matched\":1,\"mean_iou\":0.818181818181"), "%s", out.data);
	buf_release(&out);
	buf_release(&err);
}

Test(project_agree, too_many_windows_is_refused)
{
	/* Three items in three one-second windows, with room for two. */
	store_close(st);
	char q[256];
	snprintf(q, sizeof(q), "UPDATE annotations SET updated_at = updated_at - 5000 WHERE item_id = %lld",
		 (long long)items[1]);
	sql(q);
	struct buf out = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, 0, &err), 0, "%s", err.data);
	struct project_agree_opts o = {.agree = AGREE_OPTS_INIT, .window_ms = 1000, .max_windows = 2,
				       .which = PROJECT_AGREE_CATEGORICAL};
	o.agree.bootstrap = 0;
	cr_assert_eq(project_agree_json(st, &proj, &o, &out, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "window: more than 2 windows of 1 s"), "%s", err.data);
	o.max_windows = 3;
	buf_reset(&out);
	cr_assert_eq(project_agree_json(st, &proj, &o, &out, &err), 0, "%s", err.data);
	buf_release(&out);
	buf_release(&err);
}

Test(project_agree, confusion_of_two_annotators)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(project_confusion_json(st, &proj, users[0], users[1], 0.5, &out, &err), 0, "%s",
		     err.data);
	/* Rows ann, columns ben: cat/cat, cat/dog, dog/dog. */
	cr_assert(strstr(out.data, "\"labels\":[null,\"cat\",\"dog\"],\"matrix\":[[0,0,0],[0,1,1],[0,0,1]]"),
		  "%s", out.data);
	cr_assert(strstr(out.data, "\"agreement\":0.666666666667"), "%s", out.data);
	/* Boxes at IoU 0.5: car (ann) matched with bus (ben). */
	cr_assert(strstr(out.data, "\"matched\":1,\"a_only\":0,\"b_only\":0,\"same_label\":0"), "%s", out.data);
	cr_assert(strstr(out.data, "\"labels\":[null,\"bus\",\"car\"],\"matrix\":[[0,0,0],[0,0,0],[0,1,0]]"),
		  "%s", out.data);
	buf_reset(&out);
	/* At 0.9 they do not match: each against null. */
	cr_assert_eq(project_confusion_json(st, &proj, users[0], users[1], 0.9, &out, &err), 0);
	cr_assert(strstr(out.data, "\"matrix\":[[0,1,0],[0,0,0],[1,0,0]]"), "%s", out.data);
	buf_release(&out);
	buf_release(&err);
}

Test(project_agree, consensus_dry_run_and_bad_options)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct project_consensus_opts o = {.method = "majority", .min_agree = 0.6, .min_ann = 2,
					   .dry_run = true};
	struct project_consensus_counts c;
	cr_assert_eq(project_consensus(st, &proj, &o, &out, &c, &err), 0, "%s", err.data);
	/* Item 1 (cat / dog) is under 0.6, and so are item 0's boxes (car and
	 * bus, one annotator each): both for review; nothing saved in a dry run. */
	cr_assert_eq(c.saved, 0);
	cr_assert_eq(c.needs_review, 2, "%s", out.data);
	cr_assert(strstr(out.data, "\"dropped_objects\":2"), "%s", out.data);
	cr_assert(strstr(out.data, "\"dry_run\":true"), "%s", out.data);
	buf_reset(&out);
	o.method = "median";
	cr_assert_eq(project_consensus(st, &proj, &o, &out, &c, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "median"), "%s", err.data);
	o.method = "majority";
	o.dry_run = false;
	cr_assert_eq(project_consensus(st, &proj, &o, &out, &c, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "no user"), "%s", err.data);
	buf_release(&out);
	buf_release(&err);
}
