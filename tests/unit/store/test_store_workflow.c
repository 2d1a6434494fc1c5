/*
 * test_store_workflow.c - the workflow functions of the store: batches,
 * the next-item routine (overlap, calibration, gold mixing, skip, release,
 * reclaim by time, never twice for a person), review and sign-off, many
 * threads routing at once, and the query plans of the routing queries.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "store/store.h"

#include "../tmpdir.h"
#include "base/banned.h"

static char dir[64];
static char dbpath[128];
static const char *schema_json = "{\"cairn_schema\":1,\"labels\":[{\"name\":\"car\",\"shapes\":[\"box\"]}]}";
static struct schema sc;
static int64_t car_label;

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir), "wf");
	snprintf(dbpath, sizeof(dbpath), "%s/cairn.db", dir);
	struct buf err = BUF_INIT;
	memset(&sc, 0, sizeof(sc));
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	buf_release(&err);
}

static void teardown(void)
{
	schema_release(&sc);
	tmpdir_remove(dir);
}

TestSuite(store_workflow, .init = setup, .fini = teardown);

/* A project with n items and `users` annotators (ids in uids[1..]; uids[0] the manager). */
static struct store *world(int n, int users, int64_t *pid, int64_t *items, int64_t *uids)
{
	struct store *st;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_user_add(st, "boss", "h", false, &uids[0], &err), 0);
	cr_assert_eq(store_project_create(st, "p", NULL, uids[0], schema_json, pid, &err), 0, "%s", err.data);
	cr_assert_eq(store_member_set(st, *pid, uids[0], ROLE_MANAGER, &err), 0);
	cr_assert_eq(store_label_id(st, *pid, "car", &car_label, &err), 0);
	for (int u = 1; u <= users; u++) {
		char name[16];
		snprintf(name, sizeof(name), "u%d", u);
		cr_assert_eq(store_user_add(st, name, "h", false, &uids[u], &err), 0);
		cr_assert_eq(store_member_set(st, *pid, uids[u], ROLE_ANNOTATOR, &err), 0);
	}
	for (int i = 0; i < n; i++) {
		struct item it = {0};
		char name[16], hash[65];
		snprintf(name, sizeof(name), "%d.png", i);
		snprintf(hash, sizeof(hash), "%064d", i + 1);
		it.project_id = *pid;
		it.kind = ITEM_IMAGE;
		it.name = name;
		snprintf(it.hash, sizeof(it.hash), "%s", hash);
		it.width = 64;
		it.height = 48;
		cr_assert_eq(store_item_add(st, &it, &items[i], &err), 0, "%s", err.data);
	}
	buf_release(&err);
	return st;
}

static struct batch_spec spec(int64_t pid, const char *name)
{
	return (struct batch_spec){
		.project_id = pid, .name = name, .size = 1000, .status = -1, .kind = -1,
		.overlap = 1, .review_sample = 1, .reserve_ms = 60000, .created_by = 0,
	};
}

static int64_t make_batch(struct store *st, const struct batch_spec *sp, const int64_t *annotators,
			  int n)
{
	struct buf err = BUF_INIT;
	int64_t *ids;
	size_t nb;
	cr_assert_eq(store_batch_create(st, sp, &ids, &nb, &err), 0, "%s", err.data);
	cr_assert_eq(nb, 1);
	int64_t id = ids[0];
	free(ids);
	for (int i = 0; i < n; i++)
		cr_assert_eq(store_batch_assign(st, id, annotators[i], "annotator", false, 0, &err), 0,
			     "%s", err.data);
	buf_release(&err);
	return id;
}

/* Saves a one-box document as (kind, user) on item, at version expect. */
static void save(struct store *st, int64_t pid, int64_t item, enum annotation_kind kind,
		 int64_t user, int64_t expect, const char *status, double x)
{
	struct buf err = BUF_INIT;
	char json[200];
	snprintf(json, sizeof(json), "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\","
		 "\"type\":\"box\",\"points\":[%g,1,%g,9]}]}", x, x + 10);
	struct ann_doc d = {0};
	cr_assert_eq(ann_doc_parse(&d, json, strlen(json), &sc, 64, 48, &err, NULL), 0, "%s", err.data);
	int64_t labels[1] = {car_label};
	struct annotation_write w = {
		.key = {.item_id = item, .kind = kind, .user_id = kind == ANN_MANUAL ? user : 0},
		.project_id = pid, .expected_version = expect, .schema_version = 1, .status = status,
		.lead_time_ms = 30000, .saved_by = user, .body = json, .doc = &d, .label_ids = labels,
	};
	int64_t id, version;
	cr_assert_eq(store_annotation_save(st, &w, &id, &version, &err), 0, "%s", err.data);
	ann_doc_release(&d);
	buf_release(&err);
}

static int next(struct store *st, int64_t pid, int64_t user, int64_t now, double roll,
		struct queue_pick *p)
{
	struct buf err = BUF_INIT;
	struct queue_req q = {pid, user, now, roll};
	int rc = store_queue_next(st, &q, p, &err);
	cr_assert(rc == 0 || rc == CAIRN_ENOTFOUND, "%d %s", rc, err.data);
	buf_release(&err);
	return rc;
}

Test(store_workflow, overlap_two_three_annotators_never_twice)
{
	int64_t pid, items[5], u[4];
	struct store *st = world(5, 3, &pid, items, u);
	struct batch_spec sp = spec(pid, "b");
	sp.overlap = 2;
	make_batch(st, &sp, u + 1, 3);
	int count[5] = {0};
	bool seen[4][5] = {{0}};
	bool live[4] = {true, true, true, true};
	int alive = 3;
	while (alive) {
		for (int a = 1; a <= 3; a++) {
			if (!live[a])
				continue;
			struct queue_pick p;
			if (next(st, pid, u[a], 0, 0.5, &p)) {
				live[a] = false;
				alive--;
				continue;
			}
			int k = (int)(p.item_id - items[0]);
			cr_assert_str_eq(p.reason, "batch");
			cr_assert(!seen[a][k], "user %d got item %d twice", a, k);
			seen[a][k] = true;
			count[k]++;
			save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		}
	}
	for (int k = 0; k < 5; k++)
		cr_assert_eq(count[k], 2, "item %d labelled %d times", k, count[k]);
	store_close(st);
}

Test(store_workflow, skip_release_and_reclaim_by_time)
{
	int64_t pid, items[1], u[4];
	struct store *st = world(1, 3, &pid, items, u);
	struct batch_spec sp = spec(pid, "b");
	make_batch(st, &sp, u + 1, 3);
	struct buf err = BUF_INIT;
	struct queue_pick p;
	int64_t t0 = 1000000;
	cr_assert_eq(next(st, pid, u[1], t0, 0.5, &p), 0);
	cr_assert_eq(p.item_id, items[0]);
	cr_assert_eq(p.expires_at, t0 + 60000);
	/* Held by u1: nobody else gets it; u1 asking again gets it back. */
	cr_assert_eq(next(st, pid, u[2], t0, 0.5, &p), CAIRN_ENOTFOUND);
	cr_assert_eq(next(st, pid, u[1], t0 + 10, 0.5, &p), 0);
	cr_assert_str_eq(p.reason, "reserved");
	/* Skipped: never again for u1, free for u2. */
	cr_assert_eq(store_queue_finish(st, pid, items[0], u[1], "skipped", &err), 0, "%s", err.data);
	cr_assert_eq(store_queue_finish(st, pid, items[0], u[1], "skipped", &err), CAIRN_ENOTFOUND);
	cr_assert_eq(store_queue_finish(st, pid + 1, items[0], u[2], "released", &err), CAIRN_ENOTFOUND);
	cr_assert_eq(next(st, pid, u[1], t0, 0.5, &p), CAIRN_ENOTFOUND);
	cr_assert_eq(next(st, pid, u[2], t0, 0.5, &p), 0);
	/* Released: anyone may take it, u2 included. */
	cr_assert_eq(store_queue_finish(st, pid, items[0], u[2], "released", &err), 0);
	cr_assert_eq(next(st, pid, u[2], t0, 0.5, &p), 0);
	/* u2 goes idle: past the timeout u3 gets the item. */
	cr_assert_eq(next(st, pid, u[3], t0 + 59000, 0.5, &p), CAIRN_ENOTFOUND);
	cr_assert_eq(next(st, pid, u[3], t0 + 60001, 0.5, &p), 0);
	cr_assert_eq(p.item_id, items[0]);
	/* A submit finishes u3's reservation: nothing is left for anyone. */
	save(st, pid, items[0], ANN_MANUAL, u[3], 0, "submitted", 1);
	int64_t n = -1;
	cr_assert_eq(store_queue_reclaim(st, t0 + 10000000, &n, &err), 0);
	cr_assert_eq(n, 0);
	for (int a = 1; a <= 3; a++)
		cr_assert_eq(next(st, pid, u[a], t0 + 10000000, 0.5, &p), CAIRN_ENOTFOUND);
	struct batch b;
	cr_assert_eq(store_batch_get(st, 1, &b, &err), 0);
	cr_assert_eq(b.open_items, 0);
	cr_assert_eq(b.reserved, 0);
	cr_assert_eq(b.submitted, 1);
	batch_release(&b);
	buf_release(&err);
	store_close(st);
}

Test(store_workflow, calibration_and_gold_mixing)
{
	int64_t pid, items[6], u[3];
	struct store *st = world(6, 2, &pid, items, u);
	/* Items 0 and 1 are gold: never batched, served by the batch's gold rules. */
	save(st, pid, items[0], ANN_GOLD, u[0], 0, "draft", 1);
	save(st, pid, items[1], ANN_GOLD, u[0], 0, "draft", 1);
	struct batch_spec sp = spec(pid, "cal");
	sp.calibration = true;
	sp.limit = 3;
	sp.gold_first = 1;
	sp.gold_rate = 0.5;
	int64_t b = make_batch(st, &sp, u + 1, 2);
	struct batch bb;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_batch_get(st, b, &bb, &err), 0);
	cr_assert_eq(bb.items, 3);
	cr_assert(bb.calibration);
	batch_release(&bb);
	for (int a = 1; a <= 2; a++) {
		struct queue_pick p;
		/* First: gold, whatever the roll. */
		cr_assert_eq(next(st, pid, u[a], 0, 0.99, &p), 0);
		cr_assert(p.is_gold);
		cr_assert(p.item_id == items[0] || p.item_id == items[1]);
		save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		/* A high roll: the batch; a low one: gold again while there is some. */
		cr_assert_eq(next(st, pid, u[a], 0, 0.99, &p), 0);
		cr_assert(!p.is_gold);
		cr_assert_str_eq(p.reason, "calibration");
		save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		cr_assert_eq(next(st, pid, u[a], 0, 0.01, &p), 0);
		cr_assert(p.is_gold);
		save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		cr_assert_eq(next(st, pid, u[a], 0, 0.01, &p), 0);
		cr_assert(!p.is_gold, "the gold pool is used up");
		save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		cr_assert_eq(next(st, pid, u[a], 0, 0.5, &p), 0);
		save(st, pid, p.item_id, ANN_MANUAL, u[a], 0, "submitted", 1);
		/* Everyone labels every calibration item, then nothing is left. */
		cr_assert_eq(next(st, pid, u[a], 0, 0.5, &p), CAIRN_ENOTFOUND);
	}
	buf_release(&err);
	store_close(st);
}

static int count_pairs(void *ctx, const struct gold_pair *p)
{
	(*(int *)ctx)++;
	cr_assert_eq(p->ngold, 1);
	cr_assert_eq(p->nmine, 1);
	cr_assert(p->gold[0].is_box);
	return 0;
}

Test(store_workflow, review_rework_and_signoff)
{
	int64_t pid, items[2], u[4];
	struct store *st = world(2, 3, &pid, items, u);
	struct buf err = BUF_INIT;
	cr_assert_eq(store_member_set(st, pid, u[3], ROLE_REVIEWER, &err), 0);
	struct batch_spec sp = spec(pid, "r");
	int64_t b = make_batch(st, &sp, u + 1, 1);
	cr_assert_eq(store_batch_assign(st, b, u[3], "reviewer", false, u[0], &err), 0, "%s", err.data);
	/* An annotator-only member cannot review; a non-member cannot be assigned. */
	cr_assert_eq(store_batch_assign(st, b, u[2], "reviewer", false, u[0], &err), CAIRN_EINVAL);
	cr_assert_eq(store_batch_signoff(st, b, u[0], &err), CAIRN_ECONFLICT);
	struct queue_pick p;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(next(st, pid, u[1], 0, 0.5, &p), 0);
		save(st, pid, p.item_id, ANN_MANUAL, u[1], 0, "submitted", 1);
	}
	cr_assert_eq(store_batch_signoff(st, b, u[0], &err), CAIRN_ECONFLICT);
	cr_assert(strstr(err.data, "2 sampled items wait for review"), "%s", err.data);
	struct review_pick rp;
	cr_assert_eq(store_review_next(st, pid, u[3], false, &rp, &err), 0, "%s", err.data);
	cr_assert_eq(rp.annotator_id, u[1]);
	/* One's own work is not reviewed by oneself; batches not reviewed give nothing. */
	cr_assert_eq(store_review_next(st, pid, u[1], false, &rp, &err), CAIRN_ENOTFOUND);
	cr_assert_eq(store_review_next(st, pid, u[3], false, &rp, &err), 0);
	struct review_write w = {.project_id = pid, .item_id = rp.item_id, .reviewer_id = u[3],
				 .accept = false, .frame = -1};
	cr_assert_eq(store_review_add(st, &w, NULL, NULL, &err), CAIRN_EINVAL, "a rejection needs a comment");
	w.comment = "too loose";
	w.reason = "loose";
	w.object_uid = "a";
	int64_t rid, cid;
	cr_assert_eq(store_review_add(st, &w, &rid, &cid, &err), 0, "%s", err.data);
	cr_assert_gt(cid, 0);
	cr_assert_eq(store_review_add(st, &w, &rid, &cid, &err), CAIRN_ECONFLICT);
	/* Back to the annotator first. */
	cr_assert_eq(next(st, pid, u[1], 0, 0.5, &p), 0);
	cr_assert_eq(p.item_id, rp.item_id);
	cr_assert_str_eq(p.reason, "rejected");
	save(st, pid, p.item_id, ANN_MANUAL, u[1], 1, "submitted", 2);
	cr_assert_eq(next(st, pid, u[1], 0, 0.5, &p), CAIRN_ENOTFOUND);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(store_review_next(st, pid, u[3], false, &rp, &err), 0, "%s", err.data);
		struct review_write ok = {.project_id = pid, .item_id = rp.item_id, .reviewer_id = u[3],
					  .accept = true, .frame = -1};
		cr_assert_eq(store_review_add(st, &ok, NULL, NULL, &err), 0, "%s", err.data);
	}
	cr_assert_eq(store_review_next(st, pid, u[3], false, &rp, &err), CAIRN_ENOTFOUND);
	cr_assert_eq(store_batch_signoff(st, b, u[0], &err), 0, "%s", err.data);
	struct batch bb;
	cr_assert_eq(store_batch_get(st, b, &bb, &err), 0);
	cr_assert_str_eq(bb.stage, "done");
	cr_assert_eq(bb.signed_off_by, u[0]);
	batch_release(&bb);
	struct batch_patch patch = {NULL, "annotate", -1, -1, -1, -1, -1};
	cr_assert_eq(store_batch_update(st, b, &patch, u[0], &err), CAIRN_ECONFLICT);
	/* Gold pairs: one gold item, annotated by u1. */
	save(st, pid, items[0], ANN_GOLD, u[0], 0, "draft", 1);
	int pairs = 0;
	cr_assert_eq(store_gold_pairs(st, pid, count_pairs, &pairs, &err), 0);
	cr_assert_eq(pairs, 1);
	buf_release(&err);
	store_close(st);
}

/* review_next holds an item for one reviewer: another gets a different one,
 * cannot judge the held one, and the sample counts follow every verdict. */
Test(store_workflow, review_hold_is_one_reviewers_and_sample_counts)
{
	int64_t pid, items[2], u[4];
	struct store *st = world(2, 3, &pid, items, u);
	struct buf err = BUF_INIT;
	cr_assert_eq(store_member_set(st, pid, u[2], ROLE_REVIEWER, &err), 0);
	cr_assert_eq(store_member_set(st, pid, u[3], ROLE_REVIEWER, &err), 0);
	struct batch_spec sp = spec(pid, "h");
	int64_t b = make_batch(st, &sp, u + 1, 1);
	struct batch_sample sm;
	cr_assert_eq(store_batch_sample(st, b, &sm, &err), 0, "%s", err.data);
	cr_assert_eq(sm.size, 2);
	cr_assert_eq(sm.missing, 2);
	cr_assert(!sm.ready);
	struct queue_pick p;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(next(st, pid, u[1], 0, 0.5, &p), 0);
		save(st, pid, p.item_id, ANN_MANUAL, u[1], 0, "submitted", 1);
	}
	cr_assert_eq(store_batch_sample(st, b, &sm, &err), 0);
	cr_assert_eq(sm.pending, 2);
	cr_assert_eq(sm.missing, 0);
	struct review_pick a, c, again;
	cr_assert_eq(store_review_next(st, pid, u[2], true, &a, &err), 0, "%s", err.data);
	cr_assert_gt(a.expires_at, 0);
	cr_assert_eq(store_review_next(st, pid, u[3], true, &c, &err), 0, "%s", err.data);
	cr_assert_neq(a.item_id, c.item_id, "two reviewers never get the same item");
	cr_assert_eq(store_review_next(st, pid, u[2], true, &again, &err), 0);
	cr_assert_eq(again.item_id, a.item_id, "asking again returns the held item");
	/* u3 cannot judge what u2 holds. */
	struct review_write w = {.project_id = pid, .item_id = a.item_id, .reviewer_id = u[3],
				 .accept = true, .frame = -1};
	cr_assert_eq(store_review_add(st, &w, NULL, NULL, &err), CAIRN_ECONFLICT);
	cr_assert(strstr(err.data, "is being reviewed by u2"), "%s", err.data);
	w.reviewer_id = u[2];
	cr_assert_eq(store_review_add(st, &w, NULL, NULL, &err), 0, "%s", err.data);
	w.item_id = c.item_id;
	w.reviewer_id = u[3];
	w.accept = false;
	w.comment = "fix";
	cr_assert_eq(store_review_add(st, &w, NULL, NULL, &err), 0, "%s", err.data);
	cr_assert_eq(store_batch_sample(st, b, &sm, &err), 0);
	cr_assert_eq(sm.accepted, 1);
	cr_assert_eq(sm.rejected, 1);
	cr_assert_eq(sm.pending, 0);
	cr_assert(!sm.ready);
	/* Nothing held any more; the hold ended with the verdict. */
	cr_assert_eq(store_review_next(st, pid, u[2], true, &again, &err), CAIRN_ENOTFOUND);
	/* An expired hold is reclaimed by time. */
	save(st, pid, c.item_id, ANN_MANUAL, u[1], 1, "submitted", 2);
	cr_assert_eq(store_review_next(st, pid, u[2], true, &again, &err), 0, "%s", err.data);
	int64_t n = 0;
	cr_assert_eq(store_queue_reclaim(st, again.expires_at + 1, &n, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_review_next(st, pid, u[3], true, &c, &err), 0, "%s", err.data);
	cr_assert_eq(c.item_id, again.item_id);
	w.item_id = c.item_id;
	w.accept = true;
	cr_assert_eq(store_review_add(st, &w, NULL, NULL, &err), 0, "%s", err.data);
	cr_assert_eq(store_batch_sample(st, b, &sm, &err), 0);
	cr_assert_eq(sm.accepted, 2);
	cr_assert(sm.ready);
	cr_assert_eq(store_batch_signoff(st, b, u[0], &err), 0, "%s", err.data);
	cr_assert_eq(store_batch_sample(st, b, &sm, &err), 0);
	cr_assert(!sm.ready, "a signed-off batch is not ready again");
	buf_release(&err);
	store_close(st);
}

#define THREADS 4
#define ITEMS 30

struct worker {
	int64_t pid, user, batch;
	int64_t got[ITEMS * 2];
	int ngot;
	int rc;
};

/* Who is between asking for an item and finishing it, and how many items
 * were finished: a worker may stop only when its "nothing for me" was the
 * last word, i.e. nobody was active and nothing finished since it asked.
 * Checking the batch's live reservations alone raced: another worker could
 * skip an item between this one's query and its look at the batch. */
static pthread_mutex_t route_mu = PTHREAD_MUTEX_INITIALIZER;
static int route_active;
static long route_finished;
static bool route_failed;

static void route_done(bool finished, bool failed)
{
	pthread_mutex_lock(&route_mu);
	route_active--;
	if (finished)
		route_finished++;
	if (failed)
		route_failed = true;
	pthread_mutex_unlock(&route_mu);
}

static void *route(void *arg)
{
	struct worker *w = arg;
	struct store *st;
	struct buf err = BUF_INIT;
	if ((w->rc = store_open(&st, dbpath, 0, &err)))
		return NULL;
	for (;;) {
		pthread_mutex_lock(&route_mu);
		bool failed = route_failed;
		route_active++;
		long asked = route_finished;
		pthread_mutex_unlock(&route_mu);
		if (failed) {
			route_done(false, false);
			break;
		}
		struct queue_pick p;
		struct queue_req q = {w->pid, w->user, 0, 0.5};
		int rc = store_queue_next(st, &q, &p, &err);
		if (rc == CAIRN_ENOTFOUND) {
			/* Nothing for me now; done only when that answer still
			 * stands (a skip elsewhere may open an item to me). */
			pthread_mutex_lock(&route_mu);
			route_active--;
			bool last = route_active == 0 && route_finished == asked;
			pthread_mutex_unlock(&route_mu);
			if (last)
				break;
			usleep(1000);
			continue;
		}
		if (rc) {
			w->rc = rc;
			route_done(false, true);
			break;
		}
		w->got[w->ngot++] = p.item_id;
		/* Every third item is skipped, the rest submitted. */
		if (w->ngot % 3 == 0) {
			if ((w->rc = store_queue_finish(st, w->pid, p.item_id, w->user, "skipped", &err))) {
				route_done(false, true);
				break;
			}
		} else {
			save(st, w->pid, p.item_id, ANN_MANUAL, w->user, 0, "submitted", 1);
		}
		route_done(true, false);
		if (w->ngot >= ITEMS * 2)
			break;
	}
	store_close(st);
	buf_release(&err);
	return NULL;
}

Test(store_workflow, many_threads_route_at_once)
{
	int64_t pid, items[ITEMS], u[THREADS + 1];
	struct store *st = world(ITEMS, THREADS, &pid, items, u);
	struct batch_spec sp = spec(pid, "c");
	sp.overlap = 2;
	int64_t batch = make_batch(st, &sp, u + 1, THREADS);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i].pid = pid;
		w[i].user = u[i + 1];
		w[i].batch = batch;
		pthread_create(&t[i], NULL, route, &w[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	int per[ITEMS] = {0};
	for (int i = 0; i < THREADS; i++) {
		cr_assert_eq(w[i].rc, 0, "thread %d: %d", i, w[i].rc);
		for (int a = 0; a < w[i].ngot; a++)
			for (int b = a + 1; b < w[i].ngot; b++)
				cr_assert_neq(w[i].got[a], w[i].got[b], "a person got an item twice");
	}
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT item_id, count(*) FROM assignments WHERE state = "
				       "'done' GROUP BY item_id", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		per[sqlite3_column_int64(q, 0) - items[0]] = sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM assignments WHERE state = 'reserved'",
				       -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 0, "nothing stays reserved");
	sqlite3_finalize(q);
	/* Each item has two labels unless everyone else skipped it. */
	for (int k = 0; k < ITEMS; k++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM assignments WHERE item_id = %lld AND "
			 "state IN ('done', 'skipped')", (long long)items[k]);
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		int out = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		cr_assert(per[k] == 2 || (per[k] < 2 && out == THREADS), "item %d: %d labels, %d out",
			  k, per[k], out);
	}
	sqlite3_close(db);
	store_close(st);
}

/* The plan of a query must use an index, never SCAN a big table. */
static void assert_plan_uses_index(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	char explain[2048];
	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	cr_assert_eq(sqlite3_prepare_v2(db, explain, -1, &q, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(q, 3);
		cr_assert(!strstr(d, "SCAN items") && !strstr(d, "SCAN objects") &&
			  !strstr(d, "SCAN annotations") && !strstr(d, "SCAN assignments") &&
			  !strstr(d, "SCAN reviews") && !strstr(d, "SCAN i ") && strcmp(d, "SCAN i") &&
			  !strstr(d, "SCAN a ") && strcmp(d, "SCAN a") && strcmp(d, "SCAN an"),
			  "query scans a table: %s -> %s", sql, d);
	}
	sqlite3_finalize(q);
}

Test(store_workflow, routing_queries_use_indexes)
{
	struct store *st;
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, dbpath, STORE_CREATE, &err), 0);
	store_close(st);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* Expired reservations. */
	assert_plan_uses_index(db, "SELECT a.id FROM assignments a JOIN items i ON i.id = a.item_id "
			       "WHERE a.state = 'reserved' AND a.expires_at < 5 LIMIT 256");
	/* My rejected work, my reservation, my batches. */
	assert_plan_uses_index(db, "SELECT an.item_id FROM annotations an JOIN items i ON i.id = "
			       "an.item_id WHERE an.project_id = 1 AND an.user_id = 2 AND an.status = "
			       "'rejected' AND an.kind = 'manual' ORDER BY an.updated_at LIMIT 1");
	assert_plan_uses_index(db, "SELECT a.item_id FROM assignments a JOIN items i ON i.id = "
			       "a.item_id WHERE a.user_id = 2 AND a.state = 'reserved' AND a.role = "
			       "'annotate' AND i.project_id = 1 ORDER BY a.id LIMIT 1");
	/* The next open item of a batch. */
	assert_plan_uses_index(db, "SELECT i.id FROM items i WHERE i.batch_id = 1 AND i.queue = 1 AND "
			       "NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND "
			       "a.user_id = 2 AND a.state IN ('reserved', 'done', 'skipped')) ORDER BY "
			       "i.id LIMIT 1");
	/* Gold count and the gold pool. */
	assert_plan_uses_index(db, "SELECT count(*) FROM assignments WHERE batch_id = 1 AND user_id = 2 "
			       "AND is_gold = 1");
	assert_plan_uses_index(db, "SELECT g.item_id FROM annotations g WHERE g.project_id = 1 AND "
			       "g.kind = 'gold' AND NOT EXISTS (SELECT 1 FROM assignments a WHERE "
			       "a.item_id = g.item_id AND a.user_id = 2) LIMIT 1");
	/* The review sample and its submitted annotations. */
	assert_plan_uses_index(db, "SELECT s.id, an.id FROM (SELECT id, review_key FROM items WHERE "
			       "batch_id = 1 ORDER BY review_key, id LIMIT 10) s JOIN annotations an ON "
			       "an.item_id = s.id AND an.kind = 'manual' AND an.status = 'submitted' "
			       "ORDER BY s.review_key LIMIT 1");
	/* A reviewer's hold; other reviewers' holds on a sampled item. */
	assert_plan_uses_index(db, "SELECT a.id, a.item_id FROM assignments a JOIN items i ON i.id = "
			       "a.item_id WHERE a.user_id = 2 AND a.role = 'review' AND a.state = "
			       "'reserved' AND i.project_id = 1 ORDER BY a.id LIMIT 1");
	assert_plan_uses_index(db, "SELECT s.id FROM (SELECT id, review_key FROM items WHERE "
			       "batch_id = 1 ORDER BY review_key, id LIMIT 10) s WHERE NOT EXISTS "
			       "(SELECT 1 FROM assignments a WHERE a.item_id = s.id AND a.role = 'review' "
			       "AND a.state = 'reserved' AND a.user_id != 2)");
	/* An annotator's items of one batch, gold items routed through it included. */
	assert_plan_uses_index(db, "SELECT i.id FROM items i WHERE i.project_id = 1 AND i.id > 0 AND "
			       "i.id IN (SELECT id FROM items WHERE batch_id = 1 UNION ALL SELECT item_id "
			       "FROM assignments WHERE batch_id = 1 AND user_id = 2 AND is_gold = 1) "
			       "ORDER BY i.id LIMIT 100");
	/* Rejection reasons. */
	assert_plan_uses_index(db, "SELECT a.user_id, count(*) FROM reviews r JOIN annotations a ON "
			       "a.id = r.annotation_id WHERE r.project_id = 1 AND r.verdict = 'reject' "
			       "GROUP BY a.user_id");
	sqlite3_close(db);
	buf_release(&err);
}
