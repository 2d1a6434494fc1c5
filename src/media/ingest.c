/*
 * ingest.c - the ingest pipeline. The calling thread walks the inputs and
 * writes to the store; a small pool of workers reads, hashes (SHA-256),
 * probes, perceptual-hashes and copies each file. Jobs sit in a fixed ring
 * and are consumed in the order they were found, so results are the same
 * for any number of workers and memory does not grow with the file count.
 */
#include "media/ingest.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "media/media.h"
#include "media/media_image.h"

#include "base/banned.h"

#define RING 512                             /* files in flight */
#define READ_MAX (8u << 20)                  /* files up to this are read(), larger mmap()ed */
#define ENTRY_MAX ((size_t)256 << 20)        /* largest zip entry held in memory */
#define INFLIGHT_MAX ((size_t)512 << 20)     /* archive bytes held by queued jobs */
#define MAX_THREADS 16

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --- reports ------------------------------------------------------------ */

static struct ingest_note *note_add(struct ingest_notes *ns, const char *path, const char *reason)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = realloc(ns->v, ns->cap * sizeof *ns->v);
		if (!ns->v)
			abort();
	}
	struct ingest_note *n = &ns->v[ns->n++];
	memset(n, 0, sizeof *n);
	n->path = strdup(path ? path : "");
	n->reason = strdup(reason ? reason : "");
	if (!n->path || !n->reason)
		abort();
	return n;
}

static void notes_release(struct ingest_notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].path);
		free(ns->v[i].reason);
	}
	free(ns->v);
	memset(ns, 0, sizeof *ns);
}

void ingest_report_release(struct ingest_report *r)
{
	notes_release(&r->dups);
	notes_release(&r->nears);
	notes_release(&r->rejects);
	memset(r, 0, sizeof *r);
}

/* --- near-duplicate index ----------------------------------------------- */

#define PH_MAX_CHUNKS 64

struct ph_entry {
	uint64_t phash;
	int64_t id;
};

/*
 * Entries live in blocks of PH_BLOCK, allocated as needed and never moved:
 * memory is 16 + 4 * nchunks bytes per image (36 at the default threshold
 * 4), in steps of one block, with no doubling slack or realloc copies.
 */
#define PH_BLOCK_BITS 12
#define PH_BLOCK (1u << PH_BLOCK_BITS)

struct ph_block {
	struct ph_entry ent[PH_BLOCK];
	uint32_t next[];                /* nchunks per entry: entry index + 1, 0 = end */
};

struct phash_index {
	int threshold, nchunks;
	int lo[PH_MAX_CHUNKS], bits[PH_MAX_CHUNKS];
	uint32_t *head[PH_MAX_CHUNKS];  /* 1 << bits[c] slots; entry index + 1, 0 = empty */
	struct ph_block **blocks;
	size_t n, nblocks, capblocks;
};

static struct ph_entry *ph_ent(const struct phash_index *ix, size_t i)
{
	return &ix->blocks[i >> PH_BLOCK_BITS]->ent[i & (PH_BLOCK - 1)];
}

static uint32_t *ph_next(const struct phash_index *ix, size_t i, int c)
{
	return &ix->blocks[i >> PH_BLOCK_BITS]->next[(i & (PH_BLOCK - 1)) * (size_t)ix->nchunks +
						      (size_t)c];
}

static uint32_t ph_chunk(const struct phash_index *ix, int c, uint64_t h)
{
	return (uint32_t)((h >> ix->lo[c]) & ((1ull << ix->bits[c]) - 1));
}

struct phash_index *phash_index_new(int threshold)
{
	if (threshold < 0 || threshold > 63)
		return NULL;
	struct phash_index *ix = calloc(1, sizeof *ix);
	if (!ix)
		abort();
	ix->threshold = threshold;
	ix->nchunks = threshold + 1 < 4 ? 4 : threshold + 1;
	for (int c = 0; c < ix->nchunks; c++) {
		ix->lo[c] = c * 64 / ix->nchunks;
		ix->bits[c] = (c + 1) * 64 / ix->nchunks - ix->lo[c];
		ix->head[c] = calloc((size_t)1 << ix->bits[c], sizeof(uint32_t));
		if (!ix->head[c])
			abort();
	}
	return ix;
}

void phash_index_free(struct phash_index *ix)
{
	if (!ix)
		return;
	for (int c = 0; c < ix->nchunks; c++)
		free(ix->head[c]);
	for (size_t b = 0; b < ix->nblocks; b++)
		free(ix->blocks[b]);
	free(ix->blocks);
	free(ix);
}

size_t phash_index_size(const struct phash_index *ix)
{
	return ix ? ix->n : 0;
}

void phash_index_add(struct phash_index *ix, int64_t id, uint64_t phash)
{
	if (ix->n == UINT32_MAX - 1)
		return;
	if (ix->n == ix->nblocks * PH_BLOCK) {
		if (ix->nblocks == ix->capblocks) {
			ix->capblocks = ix->capblocks ? ix->capblocks * 2 : 16;
			ix->blocks = realloc(ix->blocks, ix->capblocks * sizeof *ix->blocks);
			if (!ix->blocks)
				abort();
		}
		struct ph_block *b = malloc(sizeof *b + PH_BLOCK * (size_t)ix->nchunks * sizeof(uint32_t));
		if (!b)
			abort();
		ix->blocks[ix->nblocks++] = b;
	}
	size_t i = ix->n++;
	ph_ent(ix, i)->phash = phash;
	ph_ent(ix, i)->id = id;
	for (int c = 0; c < ix->nchunks; c++) {
		uint32_t k = ph_chunk(ix, c, phash);
		*ph_next(ix, i, c) = ix->head[c][k];
		ix->head[c][k] = (uint32_t)i + 1;
	}
}

bool phash_index_find(const struct phash_index *ix, uint64_t phash, int64_t *id, int *distance)
{
	int best = ix->threshold + 1;
	int64_t best_id = 0;
	for (int c = 0; c < ix->nchunks && best > 0; c++) {
		uint32_t e = ix->head[c][ph_chunk(ix, c, phash)];
		while (e) {
			size_t i = e - 1;
			const struct ph_entry *en = ph_ent(ix, i);
			int d = media_phash_distance(phash, en->phash);
			/* Ties go to the oldest entry, which sits deepest in the chain. */
			if (d < best || (d == best && d <= ix->threshold && en->id < best_id)) {
				best = d;
				best_id = en->id;
			}
			e = *ph_next(ix, i, c);
		}
	}
	if (best > ix->threshold)
		return false;
	*id = best_id;
	*distance = best;
	return true;
}

/* --- the job ring and its workers --------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_TAKEN, SLOT_DONE };

struct work_slot {
	enum slot_state state;
	/* input */
	char *path;              /* on-disk path, NULL for archive entries */
	char *name;              /* item name and report path */
	char *group;             /* source group */
	unsigned char *data;     /* archive entry bytes (owned), or NULL */
	size_t len;
	/* output */
	int rc;                  /* 0, CAIRN_EINVAL (rejected), or fatal */
	struct buf reason;
	struct media_info mi;
	char hash[HASH_HEX_LEN + 1];
	int64_t size;
	uint64_t phash;
	bool has_phash;
	char *tmp;               /* temp media file to rename, or NULL */
	char *link;              /* absolute path for --link, or NULL */
};

struct ingest {
	struct store *st;
	int64_t project_id;
	const char *data_dir;
	const struct ingest_opts *o;
	struct ingest_report *rep;
	struct buf *err;
	int fatal;               /* first fatal error code, 0 if none */

	struct work_slot ring[RING];
	uint64_t head, tail, take;
	size_t inflight_bytes;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	bool stop;
	int idle;                /* workers waiting for work */
	bool waiting;            /* the writer waits for the oldest slot */
	pthread_t threads[MAX_THREADS];
	struct worker *workers[MAX_THREADS];
	int nthreads;
	long pid;
	double t0;               /* start, for the report's total time */

	/* the current transaction */
	struct pending { char *tmp; char hash[HASH_HEX_LEN + 1]; } *pend;
	size_t npend, cappend;
	int in_batch;
	bool in_tx;
	unsigned char dir_made[32];   /* bitmap of media/<xx>/ made */
	int tmp_fd;                   /* media/tmp, for syncfs */

	struct phash_index *ix;

	/* directories visited (dev, inode): a symlink loop ends here */
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen, capseen;
};

struct worker {
	struct ingest *in;
	int no;
	unsigned tmp_counter;
	double idle;             /* seconds spent waiting for work */
	unsigned char *buf;      /* read buffer, reused */
	size_t cap;
};

static void set_reason_errno(struct work_slot *j, const char *what, int e)
{
	buf_setf(&j->reason, "%s: %s", what, strerror(e));
	j->rc = CAIRN_EINVAL;
}

/* Writes p[0..n) to a fresh temp file under DATA/media/tmp. */
static int write_tmp(struct ingest *in, struct worker *w, struct work_slot *j, const unsigned char *p,
		     size_t n)
{
	/* Whether the content is stored already is settled by the rename
	 * (RENAME_NOREPLACE): one system call fewer per new file. */
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/media/tmp/%.16s.%ld.%d.%u", in->data_dir, j->hash, in->pid, w->no,
		 w->tmp_counter++);
	int fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		buf_setf(&j->reason, "cannot create '%s': %s", path.data, strerror(errno));
		buf_release(&path);
		return CAIRN_EIO;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t k = write(fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			buf_setf(&j->reason, "cannot write '%s': %s", path.data,
				 k < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(path.data);
			buf_release(&path);
			return CAIRN_EIO;
		}
		off += (size_t)k;
	}
	if (in->o->sync == INGEST_SYNC_FILE && fsync(fd)) {
		buf_setf(&j->reason, "cannot sync '%s': %s", path.data, strerror(errno));
		close(fd);
		unlink(path.data);
		buf_release(&path);
		return CAIRN_EIO;
	}
	if (close(fd)) {
		buf_setf(&j->reason, "cannot write '%s': %s", path.data, strerror(errno));
		unlink(path.data);
		buf_release(&path);
		return CAIRN_EIO;
	}
	j->tmp = buf_detach(&path, NULL);
	return 0;
}

/* Hash, probe, phash and copy the bytes of one file. */
static void job_bytes(struct ingest *in, struct worker *w, struct work_slot *j, const unsigned char *p,
		      size_t n)
{
	j->size = (int64_t)n;
	if (n == 0) {
		buf_setf(&j->reason, "empty file");
		j->rc = CAIRN_EINVAL;
		return;
	}
	if (media_probe(p, n, j->name, &j->mi, &j->reason)) {
		j->rc = CAIRN_EINVAL;
		return;
	}
	if (j->mi.kind == ITEM_IMAGE) {
		if ((!j->mi.width || !j->mi.height) &&
		    media_image_probe(p, n, j->mi.type, &j->mi.width, &j->mi.height, &j->reason)) {
			j->rc = CAIRN_EINVAL;
			return;
		}
		int r = media_image_phash(p, n, j->mi.type, &j->phash, &j->reason);
		if (r == CAIRN_EUNSUPPORTED) {
			buf_reset(&j->reason);
		} else if (r) {
			j->rc = r == CAIRN_EINTERNAL ? CAIRN_EINVAL : r;
			return;
		} else {
			j->has_phash = true;
		}
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, p, n);
	sodium_bin2hex(j->hash, sizeof j->hash, digest, sizeof digest);
	if (in->o->link && j->path) {
		char *rp = realpath(j->path, NULL);
		if (!rp) {
			set_reason_errno(j, "cannot resolve path", errno);
			return;
		}
		j->link = rp;
		return;
	}
	int r = write_tmp(in, w, j, p, n);
	if (r)
		j->rc = r;
}

static void job_run(struct ingest *in, struct worker *w, struct work_slot *j)
{
	if (!j->path) {
		job_bytes(in, w, j, j->data, j->len);
		return;
	}
	int fd = open(j->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		set_reason_errno(j, "cannot open", errno);
		return;
	}
	struct stat sb;
	if (fstat(fd, &sb)) {
		set_reason_errno(j, "cannot stat", errno);
		close(fd);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		buf_setf(&j->reason, "not a regular file");
		j->rc = CAIRN_EINVAL;
		close(fd);
		return;
	}
	size_t n = (size_t)sb.st_size;
	if (n <= READ_MAX) {
		if (w->cap < n + 1) {
			free(w->buf);
			w->cap = n + 1 < 65536 ? 65536 : n + 1;
			w->buf = malloc(w->cap);
			if (!w->buf)
				abort();
		}
		size_t off = 0;
		while (off < n) {
			ssize_t k = read(fd, w->buf + off, n - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				set_reason_errno(j, "cannot read", errno);
				close(fd);
				return;
			}
			if (k == 0)
				break;
			off += (size_t)k;
		}
		close(fd);
		job_bytes(in, w, j, w->buf, off);
		return;
	}
	void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		set_reason_errno(j, "cannot map", errno);
		return;
	}
	madvise(m, n, MADV_SEQUENTIAL);
	job_bytes(in, w, j, m, n);
	munmap(m, n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ingest *in = w->in;
	/* The writer is the one serial stage: when CPUs are short, it runs first. */
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (!errno)
		setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + 3);
	for (;;) {
		pthread_mutex_lock(&in->mu);
		if (!in->stop && in->take == in->tail) {
			double t = now_s();
			in->idle++;
			while (!in->stop && in->take == in->tail)
				pthread_cond_wait(&in->cv_work, &in->mu);
			in->idle--;
			w->idle += now_s() - t;
		}
		if (in->take == in->tail) {
			pthread_mutex_unlock(&in->mu);
			break;
		}
		struct work_slot *j = &in->ring[in->take++ % RING];
		j->state = SLOT_TAKEN;
		pthread_mutex_unlock(&in->mu);
		job_run(in, w, j);
		pthread_mutex_lock(&in->mu);
		j->state = SLOT_DONE;
		/* Only the writer waits on cv_done, and only for the oldest slot. */
		if (in->waiting && j == &in->ring[in->head % RING])
			pthread_cond_signal(&in->cv_done);
		pthread_mutex_unlock(&in->mu);
	}
	free(w->buf);
	return NULL;
}

/* --- the store side: batches, renames, durability ----------------------- */

static void unlink_pending(struct ingest *in)
{
	for (size_t i = 0; i < in->npend; i++) {
		if (in->pend[i].tmp)
			unlink(in->pend[i].tmp);
		free(in->pend[i].tmp);
	}
	in->npend = 0;
}

static int fail(struct ingest *in, int code)
{
	if (!in->fatal)
		in->fatal = code;
	return code;
}

/* Makes the batch's media durable under their final names, then commits. */
static int batch_flush_(struct ingest *in)
{
	if (!in->in_tx)
		return 0;
	if (in->npend && in->o->sync == INGEST_SYNC_BATCH && syncfs(in->tmp_fd)) {
		buf_setf(in->err, "ingest: cannot sync media: %s", strerror(errno));
		return fail(in, CAIRN_EIO);
	}
	for (size_t i = 0; i < in->npend; i++) {
		struct pending *pd = &in->pend[i];
		char dir[PATH_MAX], final[PATH_MAX + 80];
		unsigned d = (unsigned)strtoul((char[3]){pd->hash[0], pd->hash[1], 0}, NULL, 16);
		snprintf(dir, sizeof dir, "%s/media/%.2s", in->data_dir, pd->hash);
		if (!(in->dir_made[d / 8] & (1u << (d % 8)))) {
			if (mkdir(dir, 0755) && errno != EEXIST) {
				buf_setf(in->err, "ingest: cannot create '%s': %s", dir, strerror(errno));
				return fail(in, CAIRN_EIO);
			}
			in->dir_made[d / 8] |= (unsigned char)(1u << (d % 8));
		}
		snprintf(final, sizeof final, "%s/%s", dir, pd->hash);
		/* Content-addressed: bytes already stored (by another project) stay. */
		if (!renameat2(AT_FDCWD, pd->tmp, AT_FDCWD, final, RENAME_NOREPLACE)) {
			free(pd->tmp);
			pd->tmp = NULL;
			continue;
		}
		if (errno == EEXIST) {
			unlink(pd->tmp);
			free(pd->tmp);
			pd->tmp = NULL;
			continue;
		}
		if (errno != EINVAL && errno != ENOSYS) {
			buf_setf(in->err, "ingest: cannot move media to '%s': %s", final,
				 strerror(errno));
			return fail(in, CAIRN_EIO);
		}
		/* A file system without RENAME_NOREPLACE. */
		if (!access(final, F_OK)) {
			unlink(pd->tmp);
		} else if (rename(pd->tmp, final)) {
			buf_setf(in->err, "ingest: cannot move media to '%s': %s", final,
				 strerror(errno));
			return fail(in, CAIRN_EIO);
		}
		free(pd->tmp);
		pd->tmp = NULL;
	}
	/* The renames themselves must be on disk before the rows naming them. */
	if (in->npend && in->o->sync != INGEST_SYNC_NONE && syncfs(in->tmp_fd)) {
		buf_setf(in->err, "ingest: cannot sync media: %s", strerror(errno));
		return fail(in, CAIRN_EIO);
	}
	in->npend = 0;
	int r = store_commit(in->st, in->err);
	in->in_tx = false;
	in->in_batch = 0;
	if (r)
		return fail(in, r);
	return 0;
}

static int batch_flush(struct ingest *in)
{
	double t = now_s();
	int r = batch_flush_(in);
	in->rep->time.flush += now_s() - t;
	return r;
}

static int batch_begin(struct ingest *in)
{
	if (in->in_tx)
		return 0;
	int r = store_begin(in->st, in->err);
	if (r)
		return fail(in, r);
	in->in_tx = true;
	return 0;
}

static void describe_item(struct ingest *in, struct buf *b, const char *what, int64_t id, int d)
{
	struct item it;
	memset(&it, 0, sizeof it);
	if (!store_item_get(in->st, id, &it, NULL)) {
		if (d >= 0)
			buf_setf(b, "%s item %lld (%s), distance %d", what, (long long)id, it.name, d);
		else
			buf_setf(b, "%s item %lld (%s)", what, (long long)id, it.name);
		item_release(&it);
	} else {
		buf_setf(b, "%s item %lld", what, (long long)id);
	}
}

/* Handles one finished job in the calling thread. */
static void job_consume(struct ingest *in, struct work_slot *j)
{
	struct ingest_report *rep = in->rep;
	rep->files++;
	if (in->fatal) {
		if (j->tmp)
			unlink(j->tmp);
		return;
	}
	if (j->rc == CAIRN_EINVAL) {
		rep->rejected++;
		note_add(&rep->rejects, j->name, j->reason.data);
		return;
	}
	if (j->rc) {
		buf_setf(in->err, "ingest: %s: %s", j->name, j->reason.data);
		fail(in, j->rc);
		return;
	}
	if (batch_begin(in)) {
		if (j->tmp)
			unlink(j->tmp);
		return;
	}
	struct item it;
	memset(&it, 0, sizeof it);
	it.project_id = in->project_id;
	it.kind = j->mi.kind;
	it.name = j->name;
	memcpy(it.hash, j->hash, sizeof it.hash);
	it.size = j->size;
	it.width = j->mi.width;
	it.height = j->mi.height;
	it.duration = j->mi.duration;
	it.frames = j->mi.frames;
	it.mime = (char *)media_type_mime(j->mi.type);
	it.source_group = j->group;
	it.link_path = j->link;
	it.phash = j->phash;
	it.has_phash = j->has_phash;
	it.status = ITEM_NEW;
	int64_t id = 0;
	struct buf e = BUF_INIT;
	int r = store_item_add(in->st, &it, &id, &e);
	if (r == CAIRN_EEXIST) {
		if (j->tmp)
			unlink(j->tmp);
		rep->duplicates++;
		struct buf why = BUF_INIT;
		describe_item(in, &why, "duplicate of", id, -1);
		note_add(&rep->dups, j->name, why.data)->other_id = id;
		buf_release(&why);
		buf_release(&e);
		return;
	}
	if (r) {
		if (j->tmp)
			unlink(j->tmp);
		buf_setf(in->err, "ingest: cannot add '%s': %s", j->name, e.data);
		buf_release(&e);
		fail(in, r);
		return;
	}
	buf_release(&e);
	if (j->tmp) {
		if (in->npend == in->cappend) {
			in->cappend = in->cappend ? in->cappend * 2 : 256;
			in->pend = realloc(in->pend, in->cappend * sizeof *in->pend);
			if (!in->pend)
				abort();
		}
		in->pend[in->npend].tmp = j->tmp;
		memcpy(in->pend[in->npend].hash, j->hash, sizeof j->hash);
		in->npend++;
		j->tmp = NULL;
	}
	rep->added++;
	rep->bytes_added += j->size;
	if (j->has_phash && in->ix) {
		int64_t other;
		int d;
		bool found = phash_index_find(in->ix, j->phash, &other, &d);
		if (found) {
			rep->near_duplicates++;
			struct buf why = BUF_INIT;
			describe_item(in, &why, "looks like", other, d);
			struct ingest_note *nt = note_add(&rep->nears, j->name, why.data);
			nt->item_id = id;
			nt->other_id = other;
			nt->distance = d;
			buf_release(&why);
		}
		/* An identical hash adds nothing a lookup could need. */
		if (!(found && d == 0))
			phash_index_add(in->ix, id, j->phash);
	}
	int batch = in->o->batch > 0 ? in->o->batch : 1000;
	if (++in->in_batch >= batch)
		batch_flush(in);
}

static void job_clear(struct ingest *in, struct work_slot *j)
{
	free(j->path);
	free(j->name);
	free(j->group);
	if (j->data)
		in->inflight_bytes -= j->len;
	free(j->data);
	buf_release(&j->reason);
	free(j->tmp);
	free(j->link);
	memset(j, 0, sizeof *j);
	j->state = SLOT_FREE;
}

/* Waits for the oldest job, consumes it and frees its slot. */
static void consume_one(struct ingest *in)
{
	struct work_slot *j = &in->ring[in->head % RING];
	pthread_mutex_lock(&in->mu);
	if (j->state != SLOT_DONE) {
		double t = now_s();
		in->waiting = true;
		while (j->state != SLOT_DONE)
			pthread_cond_wait(&in->cv_done, &in->mu);
		in->waiting = false;
		in->rep->time.writer_waiting += now_s() - t;
	}
	pthread_mutex_unlock(&in->mu);
	double f0 = in->rep->time.flush, t0 = now_s();
	job_consume(in, j);
	in->rep->time.store += now_s() - t0 - (in->rep->time.flush - f0);
	job_clear(in, j);
	in->head++;
	if (in->o->progress)
		in->o->progress(in->o->progress_ctx, (uint64_t)in->rep->files);
}

/* Queues a job; takes path, name, group and data (all heap, may be NULL). */
static void submit(struct ingest *in, char *path, char *name, char *group, unsigned char *data,
		   size_t len)
{
	while (in->tail - in->head == RING ||
	       (data && in->inflight_bytes + len > INFLIGHT_MAX && in->tail != in->head))
		consume_one(in);
	struct work_slot *j = &in->ring[in->tail % RING];
	memset(j, 0, sizeof *j);
	j->path = path;
	j->name = name;
	j->group = group;
	j->data = data;
	j->len = len;
	j->reason = (struct buf)BUF_INIT;
	if (data)
		in->inflight_bytes += len;
	pthread_mutex_lock(&in->mu);
	j->state = SLOT_QUEUED;
	in->tail++;
	if (in->idle)
		pthread_cond_signal(&in->cv_work);
	pthread_mutex_unlock(&in->mu);
}

/* A file rejected before any worker sees it: queued so the order holds. */
static void reject_now(struct ingest *in, const char *name, const char *reason)
{
	while (in->tail != in->head)
		consume_one(in);
	in->rep->files++;
	in->rep->rejected++;
	note_add(&in->rep->rejects, name, reason);
}

/* --- walking ------------------------------------------------------------ */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static char *join(const char *a, const char *b)
{
	struct buf p = BUF_INIT;
	if (a && *a && strcmp(a, "."))
		buf_addf(&p, "%s/%s", a, b);
	else
		buf_adds(&p, b);
	return buf_detach(&p, NULL);
}

static bool seen_add(struct ingest *in, const struct stat *sb)
{
	for (size_t i = 0; i < in->nseen; i++)
		if (in->seen[i].dev == sb->st_dev && in->seen[i].ino == sb->st_ino)
			return false;
	if (in->nseen == in->capseen) {
		in->capseen = in->capseen ? in->capseen * 2 : 64;
		in->seen = realloc(in->seen, in->capseen * sizeof *in->seen);
		if (!in->seen)
			abort();
	}
	in->seen[in->nseen].dev = sb->st_dev;
	in->seen[in->nseen].ino = sb->st_ino;
	in->nseen++;
	return true;
}

static bool named_zip(const char *name);

static bool is_zip(const char *path, const char *name)
{
	if (!named_zip(name))
		return false;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char m[4];
	bool z = read(fd, m, 4) == 4 && m[0] == 'P' && m[1] == 'K' &&
		 ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
	close(fd);
	return z;
}

/* Entries that are not content: macOS resource forks, hidden files. */
static bool entry_hidden(const char *p)
{
	for (const char *s = p; *s;) {
		if (*s == '.' && s[1] && s[1] != '/' && !(s[1] == '.' && (s[2] == '/' || !s[2])))
			return true;
		if (!strncmp(s, "__MACOSX/", 9))
			return true;
		const char *sl = strchr(s, '/');
		if (!sl)
			break;
		s = sl + 1;
	}
	return false;
}

/* True when an archive path is absolute or has a ".." component. */
static bool entry_escapes(const char *p)
{
	if (p[0] == '/' || p[0] == '\\')
		return true;
	for (const char *s = p; *s;) {
		size_t l = strcspn(s, "/\\");
		if (l == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += l;
		if (*s)
			s++;
	}
	return false;
}

static void walk_zip(struct ingest *in, const char *path, const char *name, const char *group)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		struct buf why = BUF_INIT;
		buf_addf(&why, "cannot read zip: %s", archive_error_string(a));
		reject_now(in, name, why.data);
		buf_release(&why);
		archive_read_free(a);
		return;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		if (in->fatal)
			break;
		const char *ep = archive_entry_pathname(e);
		if (!ep)
			ep = "";
		char *ename = join(name, ep);
		if (archive_entry_filetype(e) == AE_IFDIR || entry_hidden(ep)) {
			free(ename);
			continue;
		}
		if (entry_escapes(ep)) {
			reject_now(in, ename, "path escapes the archive (absolute or '..')");
			free(ename);
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			reject_now(in, ename, "not a regular file in the archive");
			free(ename);
			continue;
		}
		if (archive_entry_size_is_set(e) && (size_t)archive_entry_size(e) > ENTRY_MAX) {
			reject_now(in, ename, "archive entry too big (over 256 MiB)");
			free(ename);
			continue;
		}
		struct buf data = BUF_INIT;
		data.max = ENTRY_MAX;
		bool ok = true;
		if (archive_entry_size_is_set(e))
			buf_grow(&data, (size_t)archive_entry_size(e));
		for (;;) {
			char chunk[65536];
			la_ssize_t k = archive_read_data(a, chunk, sizeof chunk);
			if (k == 0)
				break;
			if (k < 0) {
				struct buf why = BUF_INIT;
				buf_addf(&why, "cannot read archive entry: %s", archive_error_string(a));
				reject_now(in, ename, why.data);
				buf_release(&why);
				ok = false;
				break;
			}
			if (buf_add(&data, chunk, (size_t)k)) {
				reject_now(in, ename, "archive entry too big (over 256 MiB)");
				ok = false;
				break;
			}
		}
		if (!ok) {
			buf_release(&data);
			free(ename);
			continue;
		}
		/* The group: the archive's folder plus the entry's own folder. */
		const char *sl = strrchr(ep, '/');
		struct buf g = BUF_INIT;
		if (group && *group && strcmp(group, "."))
			buf_addf(&g, "%s/", group);
		const char *zb = strrchr(name, '/');
		buf_adds(&g, zb ? zb + 1 : name);
		if (sl)
			buf_addf(&g, "/%.*s", (int)(sl - ep), ep);
		size_t len = data.len;
		unsigned char *bytes = len ? (unsigned char *)buf_detach(&data, NULL) : NULL;
		buf_release(&data);
		submit(in, NULL, ename, buf_detach(&g, NULL), bytes, len);
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK && !in->fatal) {
		struct buf why = BUF_INIT;
		buf_addf(&why, "zip is damaged: %s", archive_error_string(a));
		reject_now(in, name, why.data);
		buf_release(&why);
	}
	archive_read_free(a);
}

struct dent {
	char *name;
	unsigned char type;      /* d_type: DT_REG, DT_DIR, DT_UNKNOWN ... */
};

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static bool named_zip(const char *name)
{
	size_t l = strlen(name);
	return l >= 4 && !strcasecmp(name + l - 4, ".zip");
}

static void walk_path(struct ingest *in, const char *path, const char *name, const char *group,
		      bool top);

static void walk_dir(struct ingest *in, const char *path, const char *name, const char *group)
{
	DIR *d = opendir(path);
	if (!d) {
		struct buf why = BUF_INIT;
		buf_addf(&why, "cannot open folder: %s", strerror(errno));
		reject_now(in, name, why.data);
		buf_release(&why);
		return;
	}
	/* Sorted, so the first of two duplicates is the same on every run. */
	struct dent *ents = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;    /* ".", "..", and hidden files such as .DS_Store */
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ents = realloc(ents, cap * sizeof *ents);
			if (!ents)
				abort();
		}
		ents[n].name = xstrdup(de->d_name);
		ents[n++].type = de->d_type;
	}
	closedir(d);
	if (n)
		qsort(ents, n, sizeof *ents, cmp_dent);
	for (size_t i = 0; i < n; i++) {
		if (!in->fatal) {
			char *p = join(path, ents[i].name);
			char *nm = join(name, ents[i].name);
			if (ents[i].type == DT_REG && !named_zip(ents[i].name)) {
				/* A plain file: the worker's open and fstat check it, no stat here. */
				submit(in, p, nm, xstrdup(group), NULL, 0);
			} else {
				walk_path(in, p, nm, group, false);
				free(p);
				free(nm);
			}
		}
		free(ents[i].name);
	}
	free(ents);
}

/*
 * Walks one path: `name` is its item name, `group` the folder relative to
 * the ingested root (for a folder: the group its files get).
 */
static void walk_path(struct ingest *in, const char *path, const char *name, const char *group,
		      bool top)
{
	struct stat sb;
	if (stat(path, &sb)) {
		int e = errno;
		struct stat lsb;
		struct buf why = BUF_INIT;
		if (!lstat(path, &lsb) && S_ISLNK(lsb.st_mode))
			buf_addf(&why, "dangling symlink: %s", strerror(e));
		else
			buf_addf(&why, "cannot stat: %s", strerror(e));
		reject_now(in, name, why.data);
		buf_release(&why);
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (!seen_add(in, &sb)) {
			reject_now(in, name, "folder already visited (symlink loop)");
			return;
		}
		const char *base = strrchr(name, '/');
		char *sub = top ? xstrdup(".") : join(group, base ? base + 1 : name);
		walk_dir(in, path, name, sub);
		free(sub);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		const char *what = S_ISFIFO(sb.st_mode) ? "a fifo" : S_ISSOCK(sb.st_mode) ? "a socket"
				   : "a device";
		struct buf why = BUF_INIT;
		buf_addf(&why, "not a regular file (%s)", what);
		reject_now(in, name, why.data);
		buf_release(&why);
		return;
	}
	if (is_zip(path, name)) {
		walk_zip(in, path, name, group);
		return;
	}
	submit(in, xstrdup(path), xstrdup(name), xstrdup(group), NULL, 0);
}

/* --- the run ------------------------------------------------------------ */

static int load_phash(void *ctx, int64_t id, uint64_t phash)
{
	struct phash_index *ix = ctx;
	int64_t other;
	int d;
	if (!(phash_index_find(ix, phash, &other, &d) && d == 0))
		phash_index_add(ix, id, phash);
	return 0;
}

static int mkdir_p1(const char *path, struct buf *err)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		buf_setf(err, "ingest: cannot create '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

/* The item name of an ingest argument: its last component, "photos" for "a/photos/". */
static char *arg_name(const char *arg)
{
	char *rp = realpath(arg, NULL);
	const char *src = rp ? rp : arg;
	size_t l = strlen(src);
	while (l > 1 && src[l - 1] == '/')
		l--;
	size_t s = l;
	while (s > 0 && src[s - 1] != '/')
		s--;
	struct buf b = BUF_INIT;
	buf_add(&b, src + s, l - s);
	free(rp);
	return buf_detach(&b, NULL);
}

int ingest_run(struct store *st, int64_t project_id, const char *data_dir,
	       char *const *paths, size_t npaths, const struct ingest_opts *opts,
	       struct ingest_report *rep, struct buf *err)
{
	static const struct ingest_opts defaults = INGEST_OPTS_INIT;
	const struct ingest_opts *o = opts ? opts : &defaults;
	memset(rep, 0, sizeof *rep);
	if (sodium_init() < 0) {
		buf_setf(err, "ingest: cannot start libsodium");
		return CAIRN_EINTERNAL;
	}
	int r = media_image_init(err);
	if (r)
		return r;
	if (o->near_threshold > 63) {
		buf_setf(err, "ingest: near-duplicate threshold %d is over 63", o->near_threshold);
		return CAIRN_EINVAL;
	}
	struct buf dir = BUF_INIT;
	buf_addf(&dir, "%s/media", data_dir);
	r = mkdir_p1(dir.data, err);
	buf_adds(&dir, "/tmp");
	if (!r)
		r = mkdir_p1(dir.data, err);
	int tmp_fd = r ? -1 : open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!r && tmp_fd < 0) {
		buf_setf(err, "ingest: cannot open '%s': %s", dir.data, strerror(errno));
		r = CAIRN_EIO;
	}
	buf_release(&dir);
	if (r)
		return r;

	struct ingest *in = calloc(1, sizeof *in);
	if (!in)
		abort();
	in->st = st;
	in->project_id = project_id;
	in->data_dir = data_dir;
	in->o = o;
	in->rep = rep;
	in->err = err;
	in->tmp_fd = tmp_fd;
	in->pid = (long)getpid();
	in->t0 = now_s();
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cv_work, NULL);
	pthread_cond_init(&in->cv_done, NULL);
	if (o->near_threshold >= 0) {
		in->ix = phash_index_new(o->near_threshold);
		r = store_item_phashes(st, project_id, load_phash, in->ix, err);
		if (r)
			goto out;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = o->threads > 0 ? o->threads : ncpu > 2 ? (int)ncpu : 2;
	if (nt > MAX_THREADS)
		nt = MAX_THREADS;
	for (int i = 0; i < nt; i++) {
		struct worker *w = calloc(1, sizeof *w);
		if (!w)
			abort();
		w->in = in;
		w->no = i;
		if (pthread_create(&in->threads[i], NULL, worker_main, w)) {
			free(w);
			break;
		}
		in->workers[in->nthreads++] = w;
	}
	if (!in->nthreads) {
		buf_setf(err, "ingest: cannot start worker threads");
		r = CAIRN_EINTERNAL;
		goto out;
	}
	for (size_t i = 0; i < npaths && !in->fatal; i++) {
		char *nm = arg_name(paths[i]);
		walk_path(in, paths[i], nm, ".", true);
		free(nm);
	}
	while (in->tail != in->head)
		consume_one(in);
	if (!in->fatal)
		batch_flush(in);
	if (in->fatal) {
		if (in->in_tx)
			store_rollback(st);
		in->in_tx = false;
		unlink_pending(in);
	}
	r = in->fatal;
out:
	pthread_mutex_lock(&in->mu);
	in->stop = true;
	pthread_cond_broadcast(&in->cv_work);
	pthread_mutex_unlock(&in->mu);
	for (int i = 0; i < in->nthreads; i++) {
		pthread_join(in->threads[i], NULL);
		rep->time.workers_idle += in->workers[i]->idle;
		free(in->workers[i]);
	}
	rep->time.threads = in->nthreads;
	rep->time.total = now_s() - in->t0;
	unlink_pending(in);
	free(in->pend);
	free(in->seen);
	phash_index_free(in->ix);
	pthread_mutex_destroy(&in->mu);
	pthread_cond_destroy(&in->cv_work);
	pthread_cond_destroy(&in->cv_done);
	close(in->tmp_fd);
	free(in);
	return r;
}
