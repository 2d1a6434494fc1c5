/*
 * routes.c - the route table: every endpoint of /api/v1 with the
 * permission the central check enforces. A row without a permission is
 * denied (PERM_DENY is zero). The OpenAPI document is generated from this
 * table, so a route cannot be missing from it.
 */
#include <stddef.h>

#include "api/api.h"
#include "http/http.h"
#include "base/banned.h"

#define V1 "/api/v1"

/* Rows name the fields they need in order; the trailing ones they leave
 * out (stream_body) are zero, as C guarantees. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

const struct route http_routes[] = {
	{"GET", V1 "/health", api_health, PERM_PUBLIC, 0, "liveness and version"},
	{"GET", V1 "/openapi.json", api_openapi, PERM_PUBLIC, 0, "this API as OpenAPI 3"},

	{"POST", V1 "/auth/login", api_login, PERM_PUBLIC, 64 << 10, "sign in; sets the session cookie"},
	{"POST", V1 "/auth/logout", api_logout, PERM_USER, 0, "end this session"},
	{"GET", V1 "/auth/me", api_me, PERM_USER, 0, "the signed-in user and their projects"},
	{"POST", V1 "/auth/password", api_password, PERM_USER, 64 << 10, "change my password"},
	{"GET", V1 "/auth/tokens", api_tokens_list, PERM_USER, 0, "my API tokens"},
	{"POST", V1 "/auth/tokens", api_tokens_create, PERM_USER, 64 << 10, "create an API token (shown once)"},
	{"DELETE", V1 "/auth/tokens/{token}", api_tokens_delete, PERM_USER, 0, "revoke one of my API tokens"},

	{"GET", V1 "/users", api_users_list, PERM_ADMIN, 0, "all users"},
	{"POST", V1 "/users", api_users_create, PERM_ADMIN, 64 << 10, "add a user"},
	{"PATCH", V1 "/users/{user}", api_users_update, PERM_ADMIN, 64 << 10, "change a user's flags or password"},

	{"GET", V1 "/projects", api_projects_list, PERM_USER, 0, "projects I am a member of (all, for admins)"},
	{"POST", V1 "/projects", api_projects_create, PERM_ADMIN, 4 << 20, "create a project with its schema"},
	{"GET", V1 "/projects/{project}", api_projects_get, PERM_VIEW, 0, "a project and its counts"},
	{"GET", V1 "/projects/{project}/schema", api_schema_get, PERM_VIEW, 0, "the current (or ?version=N) label schema"},
	{"PUT", V1 "/projects/{project}/schema", api_schema_put, PERM_MANAGE, 4 << 20, "save a new schema version"},
	{"GET", V1 "/projects/{project}/schema/versions", api_schema_versions, PERM_VIEW, 0, "every version of the label schema, newest first"},
	{"POST", V1 "/projects/{project}/schema/validate", api_schema_validate, PERM_VIEW, 4 << 20, "check a schema without saving"},
	{"GET", V1 "/projects/{project}/members", api_members_list, PERM_VIEW, 0, "members and roles"},
	{"PUT", V1 "/projects/{project}/members/{user}", api_members_put, PERM_MANAGE, 64 << 10, "add a member or change a role"},
	{"DELETE", V1 "/projects/{project}/members/{user}", api_members_delete, PERM_MANAGE, 0, "remove a member"},
	{"GET", V1 "/projects/{project}/items", api_items_list, PERM_VIEW, 0, "a page of items, filtered"},
	{"GET", V1 "/projects/{project}/items/count", api_items_count, PERM_VIEW, 0, "how many items match the filters"},
	{"POST", V1 "/projects/{project}/media", api_media_upload, PERM_MANAGE, 4ull << 30, "upload one file (or a zip) as the raw body, ?name=file name; type-checked by content", true},

	{"POST", V1 "/projects/{project}/exports", api_exports_create, PERM_MANAGE, 64 << 10, "start an export job"},
	{"POST", V1 "/projects/{project}/imports", api_imports_create, PERM_MANAGE, 16ull << 30, "import a dataset (an archive of its folder, or one annotation file) as a background job", true},
	{"GET", V1 "/projects/{project}/jobs", api_jobs_list, PERM_MANAGE, 0, "the project's background jobs"},
	{"GET", V1 "/projects/{project}/jobs/{job}", api_jobs_get, PERM_MANAGE, 0, "one job and its progress"},
	{"POST", V1 "/projects/{project}/jobs/{job}/cancel", api_jobs_cancel, PERM_MANAGE, 0, "cancel a job"},
	{"GET", V1 "/projects/{project}/jobs/{job}/download", api_jobs_download, PERM_MANAGE, 0, "a finished job's file (Range supported)"},

	{"GET", V1 "/items/{item}", api_items_get, PERM_VIEW, 0, "one item"},
	{"GET", V1 "/items/{item}/media", api_media_original, PERM_VIEW, 0, "the original file (Range supported)"},
	{"GET", V1 "/items/{item}/thumbnail", api_media_thumbnail, PERM_VIEW, 0, "a thumbnail, ?size=128|256|512 on the longer side (JPEG, PNG with alpha)"},
	{"GET", V1 "/items/{item}/tiles", api_media_tiles, PERM_VIEW, 0, "Deep Zoom metadata of an image: size, tile size, levels"},
	{"GET", V1 "/items/{item}/tiles/{level}/{col}/{row}", api_media_tile, PERM_VIEW, 0, "one 512-pixel JPEG tile of the Deep Zoom pyramid (level 0 is 1x1)"},
	{"GET", V1 "/items/{item}/annotations", api_ann_list, PERM_VIEW, 0, "the item's annotations (what the role may see)"},
	{"GET", V1 "/items/{item}/annotations/mine", api_ann_mine_get, PERM_ANNOTATE, 0, "my annotation of the item (version 0 when none)"},
	{"PUT", V1 "/items/{item}/annotations/mine", api_ann_mine_put, PERM_ANNOTATE, 64 << 20, "save my annotation (If-Match: version)"},
	{"GET", V1 "/items/{item}/annotations/gold", api_ann_gold_get, PERM_REVIEW, 0, "the item's ground truth"},
	{"PUT", V1 "/items/{item}/annotations/gold", api_ann_gold_put, PERM_MANAGE, 64 << 20, "save the ground truth (If-Match: version)"},
	{"GET", V1 "/items/{item}/predictions/{name}", api_prediction_get, PERM_ANNOTATE, 0, "a model's pre-labels of the item"},
	{"PUT", V1 "/items/{item}/predictions/{name}", api_prediction_put, PERM_MANAGE, 64 << 20, "save a model's pre-labels (If-Match: version)"},
	{"GET", V1 "/items/{item}/annotations/{annotation}", api_ann_get, PERM_VIEW, 0, "one annotation"},
	{"GET", V1 "/items/{item}/annotations/{annotation}/history", api_ann_history, PERM_VIEW, 0, "every saved version"},
	{"GET", V1 "/items/{item}/annotations/{annotation}/history/{version}", api_ann_version, PERM_VIEW, 0, "one saved version"},
	{"GET", V1 "/items/{item}/annotations/{annotation}/diff", api_ann_diff, PERM_VIEW, 0, "what changed between ?from and ?to"},
	{"GET", V1 "/items/{item}/comments", api_comments_list, PERM_VIEW, 0, "comments on the item"},
	{"POST", V1 "/items/{item}/comments", api_comments_create, PERM_ANNOTATE, 64 << 10, "comment on the item, an object or a point"},
	{"POST", V1 "/items/{item}/comments/{comment}/resolve", api_comments_resolve, PERM_ANNOTATE, 4 << 10, "mark a comment resolved (or not)"},

	{"GET", V1 "/audit", api_audit_all, PERM_ADMIN, 0, "the audit log of the installation"},
	{"GET", V1 "/projects/{project}/audit", api_audit_project, PERM_MANAGE, 0, "the project's audit log"},
	/* Workflow: batches, the annotator's queue, review, performance (docs/workflow.md). */
	{"GET", V1 "/projects/{project}/batches", api_batches_list, PERM_VIEW, 0, "the project's batches (annotators: theirs)"},
	{"POST", V1 "/projects/{project}/batches", api_batches_create, PERM_MANAGE, 64 << 10, "cut unbatched items into batches and assign people"},
	{"GET", V1 "/batches/{batch}", api_batches_get, PERM_VIEW, 0, "one batch, its progress and members"},
	{"PATCH", V1 "/batches/{batch}", api_batches_update, PERM_MANAGE, 64 << 10, "rename a batch, change its stage or settings"},
	{"POST", V1 "/batches/{batch}/assign", api_batches_assign, PERM_MANAGE, 256 << 10, "add (or remove) annotators and reviewers"},
	{"POST", V1 "/batches/{batch}/signoff", api_batches_signoff, PERM_MANAGE, 4 << 10, "sign a batch off once its review sample passes (409 otherwise)"},
	{"POST", V1 "/projects/{project}/queue/next", api_queue_next, PERM_ANNOTATE, 4 << 10, "reserve and return my next item (204: nothing left)"},
	{"POST", V1 "/projects/{project}/queue/{item}/skip", api_queue_skip, PERM_ANNOTATE, 4 << 10, "give back my reserved item; never offered to me again"},
	{"POST", V1 "/projects/{project}/queue/{item}/release", api_queue_release, PERM_ANNOTATE, 4 << 10, "give back my reserved item for anyone"},
	{"POST", V1 "/projects/{project}/review/next", api_review_next, PERM_REVIEW, 4 << 10, "the next sampled annotation to review (204: none)"},
	{"POST", V1 "/projects/{project}/review/{item}/release", api_review_release, PERM_REVIEW, 4 << 10, "give back the item I hold for review"},
	{"POST", V1 "/items/{item}/review", api_review_create, PERM_REVIEW, 64 << 10, "accept or reject a submitted annotation, with a pinned comment"},
	{"GET", V1 "/projects/{project}/stats/annotators", api_stats_annotators, PERM_ANNOTATE, 0, "annotator performance: throughput, rejections, gold accuracy (annotators: their own row)"},
	/* Quality dashboards: agreement, confusion, checks, progress, classes, consensus (docs/quality.md). */
	{"GET", V1 "/projects/{project}/quality/agreement", api_quality_agreement, PERM_REVIEW, 0, "agreement over item labels and objects, per class, per annotator pair and per ?window= seconds"},
	{"GET", V1 "/projects/{project}/quality/confusion", api_quality_confusion, PERM_REVIEW, 0, "confusion matrices between annotators ?a= and ?b= (item labels, matched objects)"},
	{"GET", V1 "/projects/{project}/quality/checks", api_quality_checks, PERM_REVIEW, 0, "run the automated checks (?rules=a,b) and list the findings with editor links"},
	{"GET", V1 "/projects/{project}/quality/progress", api_quality_progress, PERM_VIEW, 0, "progress per batch: items by status, annotations needed and submitted (annotators: their batches)"},
	{"GET", V1 "/projects/{project}/quality/classes", api_quality_classes, PERM_VIEW, 0, "class distribution: objects and items per label"},
	{"POST", V1 "/projects/{project}/quality/checks/jobs", api_quality_checks_start, PERM_REVIEW, 4 << 10, "start the checks of the whole project as a background job (no cap on findings)"},
	{"GET", V1 "/projects/{project}/quality/checks/jobs/{job}", api_quality_checks_job, PERM_REVIEW, 0, "a check job's progress, summary and one page of findings (?cursor=, ?limit=)"},
	{"POST", V1 "/projects/{project}/quality/consensus", api_quality_consensus, PERM_MANAGE, 4 << 10, "start a consensus job: one consensus annotation per item, recording what it was built from"},
	{NULL, NULL, NULL, PERM_DENY, 0, NULL},
};
