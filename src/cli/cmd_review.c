/*
 * cmd_review.c - `cairn review`: a reviewer's side of the workflow from
 * the shell (docs/workflow.md): the next sampled annotation to check, and
 * a verdict on one, as a named project member. Same store functions as
 * POST /projects/{p}/review/next and POST /items/{item}/review.
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/store.h"
#include "base/banned.h"

int cmd_review(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *as = NULL, *item = NULL, *comment = NULL,
		   *reason = NULL, *annotation = NULL;
	bool json = false, accept = false, reject = false, next = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL}, {"as", 1, &as, NULL},
		{"item", 1, &item, NULL}, {"comment", 1, &comment, NULL}, {"reason", 1, &reason, NULL},
		{"annotation", 1, &annotation, NULL}, {"accept", 0, NULL, &accept},
		{"reject", 0, NULL, &reject}, {"next", 0, NULL, &next}, {"json", 0, NULL, &json}, {0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("review");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	if (!project || !as)
		return cli_usage_error(cmd, "missing --project NAME or --as USER");
	uint64_t item_id = 0, ann_id = 0;
	if (item && (!cli_parse_u64(item, &item_id) || !item_id))
		return cli_usage_error(cmd, "--item must be an item id");
	if (annotation && (!cli_parse_u64(annotation, &ann_id) || !ann_id))
		return cli_usage_error(cmd, "--annotation must be an annotation id");
	if (item && accept == reject)
		return cli_usage_error(cmd, "--item needs one of --accept or --reject");
	if (!item && (accept || reject))
		return cli_usage_error(cmd, "--accept and --reject need --item ID");
	if (reject && !comment)
		return cli_usage_error(cmd, "--reject needs --comment TEXT saying what to fix");
	if (!item)
		next = true;
	struct store *st;
	if (cli_open_store("review", cli_data_dir(data), &st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct project p = {0};
	struct user u = {0};
	enum role role = ROLE_VIEWER;
	if ((rc = store_project_get(st, project, &p, &err)) ||
	    (rc = store_user_get(st, as, &u, NULL, &err)))
		goto out;
	if ((rc = store_member_get(st, p.id, u.id, &role, &err)) == CAIRN_ENOTFOUND && u.is_admin) {
		role = ROLE_MANAGER;
		rc = 0;
	}
	if (rc)
		goto out;
	if (role < ROLE_REVIEWER) {
		buf_setf(&err, "%s is not a reviewer or manager of project %s", as, project);
		rc = CAIRN_EPERM;
		goto out;
	}
	if (next) {
		struct review_pick pick;
		rc = store_review_next(st, p.id, u.id, role >= ROLE_MANAGER, &pick, &err);
		if (rc == CAIRN_ENOTFOUND) {
			buf_adds(&out, json ? "{\"item\":null}\n" : "nothing is waiting for review\n");
			rc = 0;
		} else if (!rc) {
			buf_addf(&out, json ? "{\"item\":%lld,\"batch\":%lld,\"annotation\":%lld,\"user\":%lld,"
				 "\"version\":%lld}\n" : "item %lld (batch %lld): annotation %lld by user %lld, "
				 "version %lld\n", (long long)pick.item_id, (long long)pick.batch_id,
				 (long long)pick.annotation_id, (long long)pick.annotator_id,
				 (long long)pick.version);
		}
		goto out;
	}
	int64_t scope = 0;
	if ((rc = store_item_scope(st, (int64_t)item_id, &scope, &err)))
		goto out;
	if (scope != p.id) {
		buf_setf(&err, "item %llu is not in project %s", (unsigned long long)item_id, project);
		rc = CAIRN_ENOTFOUND;
		goto out;
	}
	struct review_write w = {
		.project_id = p.id, .item_id = (int64_t)item_id, .annotation_id = (int64_t)ann_id,
		.reviewer_id = u.id, .accept = accept, .reason = reason, .comment = comment, .frame = -1,
	};
	int64_t rid = 0, cid = 0;
	if ((rc = store_review_add(st, &w, &rid, &cid, &err)))
		goto out;
	buf_addf(&out, json ? "{\"review\":%lld,\"item\":%llu,\"verdict\":\"%s\"}\n"
			    : "review %lld: item %llu %sed\n", (long long)rid,
		 (unsigned long long)item_id, accept ? "accept" : "reject");
out:
	if (rc)
		cli_error("review", "%s", err.data);
	else
		fputs(out.data, stdout);
	user_release(&u);
	project_release(&p);
	store_close(st);
	buf_release(&err);
	buf_release(&out);
	return rc ? EXIT_FAIL : EXIT_OK;
}
