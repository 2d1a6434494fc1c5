/*
 * jobs.h - the background job runner of `cairn serve`: one thread that
 * takes queued jobs from the database, runs them with progress and
 * cancellation, and records how they ended. Jobs survive restarts: at
 * start, jobs left running are queued again (or failed after 3 starts).
 * Job kinds are a table; adding a kind is adding a row.
 */
#ifndef CAIRN_JOBS_H
#define CAIRN_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"

struct store;

/* What a running job sees. */
struct job_ctx {
	struct store *st;          /* the runner's own handle */
	const struct job *job;
	const char *data_dir;
	struct buf result;         /* JSON object text to record on success */
	struct buf error;          /* the reason on failure */
	bool cancelled;            /* a user asked to cancel */
	volatile bool *stopping;   /* the server is shutting down */
};

/*
 * Records progress; returns true when the job must stop now (cancelled
 * or the server stopping): the job then returns at once.
 */
bool job_progress(struct job_ctx *c, int64_t done, int64_t total);

struct job_kind {
	const char *name;
	/* Returns 0 (result in c->result) or an error (reason in c->error). */
	int (*run)(struct job_ctx *c);
	/* Checks params before the job is queued; CAIRN_EINVAL with the reason. */
	int (*check)(const char *params_json, struct buf *err);
};

/* The table of job kinds, ending with a NULL name. */
extern const struct job_kind job_kinds[];
const struct job_kind *job_kind_find(const char *name);

struct job_runner;
/* Starts the runner thread on DATA/cairn.db; owned, stop with job_runner_stop. */
int job_runner_start(struct job_runner **out, const char *data_dir, struct buf *err);
/* Tells the runner a job was queued (it also polls once a second). */
void job_runner_wake(struct job_runner *r);
/* Stops after the current job yields; a job cut off stays queued for the next start. */
void job_runner_stop(struct job_runner *r);

/* Job kinds (workflow/job_export.c). */
int job_export_run(struct job_ctx *c);
int job_export_check(const char *params_json, struct buf *err);
/* workflow/job_import.c: {"format", "path", "media", "no_media", "skip_invalid", "as"}. */
int job_import_run(struct job_ctx *c);
int job_import_check(const char *params_json, struct buf *err);

/* workflow/job_consensus.c: {"method", "min_agreement", "min_annotators", "review_f1",
 * "review_label_share", "dry_run"}. */
int job_consensus_run(struct job_ctx *c);
int job_consensus_check(const char *params_json, struct buf *err);
/* workflow/job_check.c: {"rules": "a,b", "predictions"}. */
int job_check_run(struct job_ctx *c);
int job_check_check(const char *params_json, struct buf *err);

#endif
