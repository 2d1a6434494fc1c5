/*
 * schema_cache.c - a small per-thread cache of parsed schemas, freed at
 * thread exit through a pthread key.
 */
#include "workflow/schema_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/store.h"
#include "base/banned.h"

#define CACHE_SLOTS 8

struct cache {
	struct schema_entry e[CACHE_SLOTS];
	int n;
	int next;                  /* round-robin victim */
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void entry_release(struct schema_entry *e)
{
	schema_release(&e->schema);
	free(e->label_ids);
	memset(e, 0, sizeof(*e));
}

static void cache_free(void *p)
{
	struct cache *c = p;
	for (int i = 0; i < c->n; i++)
		entry_release(&c->e[i]);
	free(c);
}

static void make_key(void)
{
	pthread_key_create(&key, cache_free);
}

static struct cache *this_cache(void)
{
	pthread_once(&once, make_key);
	struct cache *c = pthread_getspecific(key);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		pthread_setspecific(key, c);
	}
	return c;
}

void schema_cache_clear(void)
{
	pthread_once(&once, make_key);
	struct cache *c = pthread_getspecific(key);
	if (c) {
		cache_free(c);
		pthread_setspecific(key, NULL);
	}
}

int schema_cache_get(struct store *st, int64_t project_id, int64_t version,
		     const struct schema_entry **out, struct buf *err)
{
	struct cache *c = this_cache();
	char *json = NULL;
	int rc;
	if (version <= 0) {
		struct project p;
		if ((rc = store_project_get_id(st, project_id, &p, err)))
			return rc;
		version = p.schema_version;
		project_release(&p);
		if (version <= 0) {
			buf_setf(err, "project %lld has no label schema", (long long)project_id);
			return CAIRN_ENOTFOUND;
		}
	}
	for (int i = 0; i < c->n; i++) {
		if (c->e[i].project_id == project_id && c->e[i].version == version) {
			*out = &c->e[i];
			return 0;
		}
	}
	if ((rc = store_schema_get(st, project_id, version, &json, NULL, err)))
		return rc;
	struct schema_entry fresh = {project_id, version, {0}, NULL};
	rc = schema_parse(&fresh.schema, json, strlen(json), err);
	free(json);
	if (rc)
		return rc;
	fresh.label_ids = calloc(fresh.schema.nlabels ? fresh.schema.nlabels : 1, sizeof(int64_t));
	if (!fresh.label_ids)
		abort();
	for (size_t i = 0; i < fresh.schema.nlabels && !rc; i++)
		rc = store_label_id(st, project_id, fresh.schema.labels[i].name, &fresh.label_ids[i], err);
	if (rc) {
		entry_release(&fresh);
		return rc;
	}
	int slot;
	if (c->n < CACHE_SLOTS) {
		slot = c->n++;
	} else {
		slot = c->next;
		c->next = (c->next + 1) % CACHE_SLOTS;
		entry_release(&c->e[slot]);
	}
	c->e[slot] = fresh;
	*out = &c->e[slot];
	return 0;
}
