/*
 * ingest.h - the ingest service behind `cairn ingest`: walks files, folders
 * and zip archives, probes and hashes every file in a small worker pool,
 * skips exact duplicates, reports near-duplicate images, copies media into
 * the content-addressed store DATA/media/<2 hex>/<64 hex> and adds items
 * through the store, ~1000 per transaction.
 *
 * Ownership: arguments are borrowed; a report owns its strings (free with
 * ingest_report_release). Not thread-safe: one ingest per store handle.
 */
#ifndef CAIRN_INGEST_H
#define CAIRN_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store.h"

/* How copied media are made durable before the items that name them commit. */
enum ingest_sync {
	INGEST_SYNC_BATCH,   /* one syncfs before and after the renames of each batch (default) */
	INGEST_SYNC_FILE,    /* fsync every file before its rename */
	INGEST_SYNC_NONE,    /* trust the page cache (benchmarks, throwaway data) */
};

struct ingest_opts {
	bool link;             /* reference files in place (item.link_path) instead of copying */
	int near_threshold;    /* max Hamming distance of a near-duplicate; < 0 turns it off */
	int threads;           /* worker threads; 0 = one per online CPU (at least 2) */
	int batch;             /* files per transaction; 0 = 1000 */
	enum ingest_sync sync;
	/* Called from the calling thread after each file; may be NULL. */
	void (*progress)(void *ctx, uint64_t files_done);
	void *progress_ctx;
};
#define INGEST_OPTS_INIT {false, 4, 0, 0, INGEST_SYNC_BATCH, NULL, NULL}

/* One reported file. */
struct ingest_note {
	char *path;            /* the file as found: "photos/a.jpg" or "set.zip/a.jpg" */
	char *reason;          /* "truncated jpeg: no end-of-image marker", ... */
	int64_t item_id;       /* near-duplicates: the new item; else 0 */
	int64_t other_id;      /* duplicates and near-duplicates: the item it matches */
	int distance;          /* near-duplicates: Hamming distance of the hashes */
};

struct ingest_notes {
	struct ingest_note *v;
	size_t n, cap;
};

/* Where the time went, in seconds (for benchmarks and --json). */
struct ingest_times {
	double total;
	double writer_waiting;   /* the writer waiting for the oldest file in flight */
	double store;            /* adding items (SQL) and near-duplicate lookups */
	double flush;            /* per batch: syncs, renames into media/, commit */
	double workers_idle;     /* summed over workers: waiting for files to work on */
	int threads;
};

struct ingest_report {
	int64_t added;
	int64_t duplicates;
	int64_t near_duplicates;
	int64_t rejected;
	int64_t bytes_added;
	int64_t files;                /* files looked at */
	struct ingest_notes dups, nears, rejects;
	struct ingest_times time;
};
void ingest_report_release(struct ingest_report *r);

/*
 * Ingests `paths` (files, folders, .zip archives) into the project. The data
 * directory must exist (its media/ and media/tmp/ are created as needed).
 * A bad file is a note in the report, never an error. Returns 0, or a
 * negative error when the ingest itself could not go on (the database or
 * the disk failed): the current batch is rolled back and its copied media
 * removed; earlier batches stay committed. The report is filled either way.
 */
int ingest_run(struct store *st, int64_t project_id, const char *data_dir,
	       char *const *paths, size_t npaths, const struct ingest_opts *opts,
	       struct ingest_report *rep, struct buf *err);

/*
 * The near-duplicate index: multi-index hashing over 64-bit perceptual
 * hashes. The hash is cut into max(threshold + 1, 4) chunks, one table per
 * chunk; by pigeonhole two hashes within `threshold` bits agree on at least
 * one whole chunk, so a lookup only compares the entries sharing a chunk.
 */
struct phash_index;
/* Returns owned (free with phash_index_free), or NULL for a threshold outside 0..63. */
struct phash_index *phash_index_new(int threshold);
void phash_index_free(struct phash_index *ix);
void phash_index_add(struct phash_index *ix, int64_t id, uint64_t phash);
/*
 * Finds the closest entry within the threshold (stopping at distance 0).
 * Returns true and sets *id and *distance, or false when none.
 */
bool phash_index_find(const struct phash_index *ix, uint64_t phash, int64_t *id, int *distance);
size_t phash_index_size(const struct phash_index *ix);

#endif
