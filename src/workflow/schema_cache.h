/*
 * schema_cache.h - parsed label schemas by (project, version), cached per
 * thread. A schema version never changes once saved, so a cached parse is
 * always right; each entry also maps label indexes to the project's label
 * ids for the store.
 */
#ifndef CAIRN_SCHEMA_CACHE_H
#define CAIRN_SCHEMA_CACHE_H

#include <stdint.h>

#include "base/buf.h"
#include "core/schema.h"

struct store;

struct schema_entry {
	int64_t project_id;
	int64_t version;
	struct schema schema;
	int64_t *label_ids;        /* one per schema label */
};

/*
 * Returns the parsed schema of the project at version (0 = current). The
 * entry is borrowed and stays valid until this thread's next call.
 */
int schema_cache_get(struct store *st, int64_t project_id, int64_t version,
		     const struct schema_entry **out, struct buf *err);
/* Frees this thread's cache (also done at thread exit). */
void schema_cache_clear(void);

#endif
