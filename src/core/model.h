/*
 * model.h - the nouns of Cairn as plain C types: users, projects, members,
 * items, batches, annotations and objects, with the names of their enums.
 * No I/O here; the store fills and reads these.
 *
 * Ownership: a struct read from the store owns its strings (free with the
 * matching *_release); a struct passed to the store is borrowed by it.
 */
#ifndef CAIRN_MODEL_H
#define CAIRN_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum item_kind {
	ITEM_IMAGE, ITEM_VIDEO, ITEM_AUDIO, ITEM_TEXT, ITEM_POINTCLOUD,
	ITEM_DOCUMENT, ITEM_LLM, ITEM_KIND_COUNT_
};

enum role { ROLE_VIEWER, ROLE_ANNOTATOR, ROLE_REVIEWER, ROLE_MANAGER, ROLE_COUNT_ };

enum annotation_kind { ANN_MANUAL, ANN_PREDICTION, ANN_GOLD, ANN_CONSENSUS, ANN_KIND_COUNT_ };

/* Where an item stands in the workflow. */
enum item_status {
	ITEM_NEW, ITEM_IN_PROGRESS, ITEM_ANNOTATED, ITEM_REVIEWED, ITEM_REJECTED,
	ITEM_DONE, ITEM_SKIPPED, ITEM_STATUS_COUNT_
};

/* Returns the lower-case name used in the database, JSON and the CLI. */
const char *item_kind_name(enum item_kind k);
const char *role_name(enum role r);
const char *annotation_kind_name(enum annotation_kind k);
const char *item_status_name(enum item_status s);
/* Parse a name; false when it is not one of the enum's names. */
bool item_kind_parse(const char *s, enum item_kind *out);
bool role_parse(const char *s, enum role *out);
bool annotation_kind_parse(const char *s, enum annotation_kind *out);
bool item_status_parse(const char *s, enum item_status *out);

struct user {
	int64_t id;
	char *name;
	char *display_name;
	bool is_admin;
	bool is_active;
	int64_t created_at;      /* unix milliseconds */
};
void user_release(struct user *u);

struct project {
	int64_t id;
	char *name;
	char *description;
	int64_t schema_version;  /* the current label-schema version, 0 = none */
	int64_t created_by;
	int64_t created_at;
};
void project_release(struct project *p);

/* Size of a content hash in hex (SHA-256), without the NUL. */
#define HASH_HEX_LEN 64

struct item {
	int64_t id;
	int64_t project_id;
	enum item_kind kind;
	char *name;              /* display name: the path relative to what was ingested */
	char hash[HASH_HEX_LEN + 1];
	int64_t size;            /* bytes of the original */
	int32_t width, height;   /* pixels; 0 when not spatial */
	double duration;         /* seconds; 0 when not timed */
	int64_t frames;          /* video frames; 0 when unknown */
	char *mime;
	char *source_group;      /* the folder it came from, for leakage-free splits */
	char *link_path;         /* absolute path when referenced in place, else NULL */
	char *meta;              /* JSON object text, or NULL */
	uint64_t phash;          /* perceptual hash of images */
	bool has_phash;
	int64_t batch_id;        /* 0 = none */
	char *split;             /* "train", "val", "test" or NULL */
	enum item_status status;
	int64_t created_at;
};
void item_release(struct item *it);

/* One annotation: a person's (or a model's) labels on one item. */
struct annotation {
	int64_t id;
	int64_t project_id;
	int64_t item_id;
	int64_t user_id;          /* 0 for predictions, gold and consensus */
	char *source;             /* predictions: the model's name; else "" */
	enum annotation_kind kind;
	char *status;             /* draft, submitted, accepted, rejected */
	int64_t version;          /* 1 after the first save */
	int64_t schema_version;   /* the label schema it was made under */
	int64_t lead_time_ms;     /* time spent on it, summed over saves */
	int64_t created_at, updated_at;
	int64_t updated_by;
	char *body;               /* the canonical document of this version, or NULL */
};
void annotation_release(struct annotation *a);

/* A comment pinned to an item, one of its objects, or a point on it. */
struct comment {
	int64_t id;
	int64_t project_id;
	int64_t item_id;
	int64_t annotation_id;    /* 0 = none */
	char *object_uid;         /* NULL = not pinned to an object */
	int64_t parent_id;        /* a reply to; 0 = none */
	int64_t user_id;
	char *user_name;
	char *body;
	bool has_point;
	double x, y;
	int64_t frame;            /* -1 = none */
	bool resolved;
	int64_t created_at, updated_at;
};
void comment_release(struct comment *c);

/* One line of the audit log. */
struct audit_entry {
	int64_t id;
	int64_t at;
	int64_t user_id;
	const char *user_name;
	int64_t project_id;
	const char *action;
	const char *target_type;
	int64_t target_id;
	const char *detail;       /* JSON, or NULL */
};

/* A background job (import, export, pre-labelling ...). */
enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELLED, JOB_STATE_COUNT_ };
const char *job_state_name(enum job_state s);
bool job_state_parse(const char *s, enum job_state *out);

struct job {
	int64_t id;
	int64_t project_id;
	int64_t user_id;
	char *kind;               /* "export", ... */
	enum job_state state;
	char *params;             /* JSON object text */
	int64_t done, total;      /* progress */
	char *result;             /* JSON object text, or NULL */
	char *error;              /* why it failed, or NULL */
	bool cancel_requested;
	int attempts;             /* starts, counting restarts */
	int64_t created_at, started_at, finished_at;
};
void job_release(struct job *j);

/* A session or API token, joined with its user (for authentication). */
struct token {
	int64_t id;
	int64_t user_id;
	bool is_session;          /* false: an API token */
	char *name;               /* API tokens: the name the user gave it */
	char *csrf;               /* sessions: the CSRF token; else NULL */
	int64_t created_at, expires_at, last_used_at; /* expires_at 0 = never */
	bool revoked;
	char *user_name;
	bool user_is_admin;
	bool user_is_active;
};
void token_release(struct token *t);

#endif
