/*
 * jobs.c - the job runner thread and the table of job kinds.
 */
#include "workflow/jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "store/store.h"
#include "base/banned.h"

#define MAX_ATTEMPTS 3

const struct job_kind job_kinds[] = {
	{"export", job_export_run, job_export_check},
	{"import", job_import_run, job_import_check},
	{"consensus", job_consensus_run, job_consensus_check},
	{"check", job_check_run, job_check_check},
	{NULL, NULL, NULL},
};

const struct job_kind *job_kind_find(const char *name)
{
	for (const struct job_kind *k = job_kinds; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

struct job_runner {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool woken;
	volatile bool stopping;
	char *data_dir;
	char *db_path;
};

bool job_progress(struct job_ctx *c, int64_t done, int64_t total)
{
	bool cancel = false;
	if (store_job_progress(c->st, c->job->id, done, total, &cancel, NULL) == 0 && cancel)
		c->cancelled = true;
	return c->cancelled || *c->stopping;
}

static void run_one(struct job_runner *r, struct store *st, struct job *j)
{
	struct job_ctx c = {st, j, r->data_dir, BUF_INIT, BUF_INIT, false, &r->stopping};
	const struct job_kind *k = job_kind_find(j->kind);
	int rc;
	if (!k) {
		buf_setf(&c.error, "no job kind '%s' in this cairn", j->kind);
		rc = CAIRN_EUNSUPPORTED;
	} else {
		rc = k->run(&c);
	}
	if (r->stopping && !c.cancelled) {
		/* Cut off by shutdown: stays running, and the next start queues it again. */
	} else if (c.cancelled) {
		store_job_finish(st, j->id, JOB_CANCELLED, NULL, "cancelled", NULL);
	} else if (rc) {
		store_job_finish(st, j->id, JOB_FAILED, NULL,
				 c.error.len ? c.error.data : cairn_strerror(rc), NULL);
	} else {
		store_job_finish(st, j->id, JOB_DONE, c.result.len ? c.result.data : "{}", NULL, NULL);
	}
	buf_release(&c.result);
	buf_release(&c.error);
}

static void *runner_main(void *arg)
{
	struct job_runner *r = arg;
	struct store *st = NULL;
	struct buf err = BUF_INIT;
	if (store_open(&st, r->db_path, 0, &err)) {
		fprintf(stderr, "cairn: the job runner cannot open the database: %s\n", err.data);
		buf_release(&err);
		return NULL;
	}
	while (!r->stopping) {
		struct job j;
		int rc = store_job_claim(st, &j, NULL);
		if (rc == 0) {
			run_one(r, st, &j);
			job_release(&j);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		if (!r->woken && !r->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&r->wake, &r->lock, &until);
		}
		r->woken = false;
		pthread_mutex_unlock(&r->lock);
	}
	store_close(st);
	buf_release(&err);
	return NULL;
}

int job_runner_start(struct job_runner **out, const char *data_dir, struct buf *err)
{
	struct job_runner *r = calloc(1, sizeof(*r));
	struct store *st = NULL;
	struct buf path = BUF_INIT;
	if (!r)
		return CAIRN_ENOMEM;
	buf_addf(&path, "%s/cairn.db", data_dir);
	r->db_path = buf_detach(&path, NULL);
	r->data_dir = strdup(data_dir);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	/* Jobs left running by a crash or a stop go back to the queue. */
	int64_t requeued = 0, failed = 0;
	int rc = store_open(&st, r->db_path, 0, err);
	if (!rc)
		rc = store_job_recover(st, MAX_ATTEMPTS, &requeued, &failed, err);
	store_close(st);
	if (!rc && (requeued || failed))
		fprintf(stderr, "cairn: %lld interrupted job(s) queued again, %lld failed\n",
			(long long)requeued, (long long)failed);
	if (!rc && pthread_create(&r->thread, NULL, runner_main, r) != 0) {
		buf_setf(err, "jobs: cannot start the runner thread");
		rc = CAIRN_EINTERNAL;
	}
	if (rc) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r->db_path);
		free(r->data_dir);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void job_runner_wake(struct job_runner *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->woken = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void job_runner_stop(struct job_runner *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r->db_path);
	free(r->data_dir);
	free(r);
}
