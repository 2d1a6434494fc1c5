/*
 * model.c - names of the domain enums, both ways, and the release
 * functions of the model structs.
 */
#include "core/model.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const kind_names[ITEM_KIND_COUNT_] = {
	"image", "video", "audio", "text", "pointcloud", "document", "llm",
};
static const char *const role_names[ROLE_COUNT_] = {
	"viewer", "annotator", "reviewer", "manager",
};
static const char *const ann_names[ANN_KIND_COUNT_] = {
	"manual", "prediction", "gold", "consensus",
};
static const char *const status_names[ITEM_STATUS_COUNT_] = {
	"new", "in_progress", "annotated", "reviewed", "rejected", "done", "skipped",
};

static const char *const job_state_names[JOB_STATE_COUNT_] = {
	"queued", "running", "done", "failed", "cancelled",
};

static bool parse_name(const char *const *names, int n, const char *s, int *out)
{
	for (int i = 0; s && i < n; i++) {
		if (!strcmp(names[i], s)) {
			*out = i;
			return true;
		}
	}
	return false;
}

#define NAME_OF(table, count, v) ((unsigned)(v) < (count) ? (table)[v] : "?")

const char *item_kind_name(enum item_kind k) { return NAME_OF(kind_names, ITEM_KIND_COUNT_, k); }
const char *role_name(enum role r) { return NAME_OF(role_names, ROLE_COUNT_, r); }
const char *annotation_kind_name(enum annotation_kind k) { return NAME_OF(ann_names, ANN_KIND_COUNT_, k); }
const char *item_status_name(enum item_status s) { return NAME_OF(status_names, ITEM_STATUS_COUNT_, s); }

bool item_kind_parse(const char *s, enum item_kind *out)
{
	int v;
	if (!parse_name(kind_names, ITEM_KIND_COUNT_, s, &v))
		return false;
	*out = (enum item_kind)v;
	return true;
}

bool role_parse(const char *s, enum role *out)
{
	int v;
	if (!parse_name(role_names, ROLE_COUNT_, s, &v))
		return false;
	*out = (enum role)v;
	return true;
}

bool annotation_kind_parse(const char *s, enum annotation_kind *out)
{
	int v;
	if (!parse_name(ann_names, ANN_KIND_COUNT_, s, &v))
		return false;
	*out = (enum annotation_kind)v;
	return true;
}

bool item_status_parse(const char *s, enum item_status *out)
{
	int v;
	if (!parse_name(status_names, ITEM_STATUS_COUNT_, s, &v))
		return false;
	*out = (enum item_status)v;
	return true;
}

void user_release(struct user *u)
{
	free(u->name);
	free(u->display_name);
	memset(u, 0, sizeof(*u));
}

void project_release(struct project *p)
{
	free(p->name);
	free(p->description);
	memset(p, 0, sizeof(*p));
}

void item_release(struct item *it)
{
	free(it->name);
	free(it->mime);
	free(it->source_group);
	free(it->link_path);
	free(it->meta);
	free(it->split);
	memset(it, 0, sizeof(*it));
}

void token_release(struct token *t)
{
	free(t->name);
	free(t->csrf);
	free(t->user_name);
	memset(t, 0, sizeof(*t));
}

void annotation_release(struct annotation *a)
{
	free(a->source);
	free(a->status);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

const char *job_state_name(enum job_state s) { return NAME_OF(job_state_names, JOB_STATE_COUNT_, s); }

bool job_state_parse(const char *s, enum job_state *out)
{
	int v;
	if (!parse_name(job_state_names, JOB_STATE_COUNT_, s, &v))
		return false;
	*out = (enum job_state)v;
	return true;
}

void job_release(struct job *j)
{
	free(j->kind);
	free(j->params);
	free(j->result);
	free(j->error);
	memset(j, 0, sizeof(*j));
}

void comment_release(struct comment *c)
{
	free(c->object_uid);
	free(c->user_name);
	free(c->body);
	memset(c, 0, sizeof(*c));
}
