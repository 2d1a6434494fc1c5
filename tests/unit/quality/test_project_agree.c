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

Test(project_agree, consensus_puts_disagreeing_items_first)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct project_consensus_opts o = {.method = "majority", .min_agree = 0.5, .min_ann = 2,
					   .user_id = users[0], .review_f1 = PROJECT_REVIEW_F1,
					   .review_tags = PROJECT_REVIEW_TAGS};
	struct project_consensus_counts c;
	cr_assert_eq(project_consensus(st, &proj, &o, &out, &c, &err), 0, "%s", err.data);
	/* Item 0's boxes match at IoU 9/11 (F1 1) and its tags agree; item
	 * 1's tags differ (share 0.5 < 1): only item 1 goes first. */
	cr_assert_eq(c.queued, 1, "%s", out.data);
	char want[96];
	snprintf(want, sizeof(want), "\"review_first\":[{\"item\":%lld,\"score\":0.5,", (long long)items[1]);
	cr_assert(strstr(out.data, want), "%s", out.data);
	store_close(st);
	st = NULL;
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id, review_key FROM items ORDER BY id", -1, &q, NULL), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		double k = sqlite3_column_double(q, 1);
		if (i == 1)
			cr_assert_float_eq(k, -1.5, 1e-12);
		else
			cr_assert(k >= 0, "item %d: %g", i, k);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	cr_assert_eq(store_open(&st, dbpath, 0, &err), 0, "%s", err.data);
	/* Out-of-range thresholds are refused by name. */
	o.review_f1 = 1.5;
	cr_assert_eq(project_consensus(st, &proj, &o, &out, &c, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "review_f1"), "%s", err.data);
	buf_release(&out);
	buf_release(&err);
}

Test(project_agree, annotators_against_the_consensus)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct consensus_score *cs;
	size_t n;
	/* No consensus yet: nobody is scored. */
	cr_assert_eq(project_consensus_scores(st, proj.id, &cs, &n, &err), 0, "%s", err.data);
	cr_assert_eq(n, 0);
	free(cs);
	struct project_consensus_opts o = {.method = "majority", .min_agree = 0.5, .min_ann = 2,
					   .user_id = users[0]};
	cr_assert_eq(project_consensus(st, &proj, &o, &out, NULL, &err), 0, "%s", err.data);
	cr_assert_eq(project_consensus_scores(st, proj.id, &cs, &n, &err), 0, "%s", err.data);
	cr_assert_eq(n, 2);
	int64_t matches = 0;
	for (size_t i = 0; i < n; i++) {
		/* Three items each; tags on all three; boxes on item 0, where the
		 * consensus keeps both clusters (car and bus, one annotator each):
		 * one of two matched, F1 2/3. */
		cr_assert_eq(cs[i].items, 3);
		cr_assert_eq(cs[i].tag_items, 3);
		cr_assert_eq(cs[i].object_items, 1);
		struct match_figures f;
		match_figures_of(&cs[i].objects, &f);
		cr_assert_float_eq(f.f1_50, 2.0 / 3.0, 1e-12);
		matches += cs[i].tag_matches;
	}
	/* Items 0 and 2 agree with everyone; item 1's tie goes to one of them. */
	cr_assert_eq(matches, 5);
	free(cs);
	buf_release(&out);
	buf_release(&err);
}

static int count_doc(void *ctx, const struct store_ann_doc *d)
{
	int64_t *v = ctx;
	cr_assert(d->item_id >= v[1], "items in order");
	cr_assert(d->body && d->body_len == strlen(d->body));
	cr_assert_eq(d->kind, ANN_MANUAL);
	v[1] = d->item_id;
	v[0]++;
	return 0;
}

Test(project_agree, bulk_cursor_reads_every_annotation_of_a_range)
{
	struct buf err = BUF_INIT;
	int64_t v[2] = {0, 0};
	cr_assert_eq(store_ann_docs(st, proj.id, 1u << ANN_MANUAL, items[0], items[2], count_doc, v, &err), 0, "%s", err.data);
	cr_assert_eq(v[0], 6);
	v[0] = v[1] = 0;
	cr_assert_eq(store_ann_docs(st, proj.id, 0, items[1], items[1], count_doc, v, &err), 0, "%s", err.data);
	cr_assert_eq(v[0], 2);
	v[0] = v[1] = 0;
	cr_assert_eq(store_ann_docs(st, proj.id, 1u << ANN_GOLD, items[0], items[2], count_doc, v, &err), 0, "%s", err.data);
	cr_assert_eq(v[0], 0);
	buf_release(&err);
}
