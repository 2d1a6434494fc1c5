/*
 * test_ingest.c - unit tests for src/media/ingest.c against a real SQLite
 * store in a temp dir: good files of every kind, exact and near duplicates,
 * broken files (truncated, empty, mislabelled, unreadable), a symlink loop,
 * a zip with an escaping path, --link, and re-ingest against the project.
 */
#include <criterion/criterion.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vips/vips.h>

#include "base/buf.h"
#include "base/err.h"
#include "media/ingest.h"
#include "media/media_image.h"
#include "store/store.h"

#include "media_test.h"
#include "base/banned.h"

static char root[64];
static char data[128], in[128];
static struct store *st;
static int64_t pid;

static void rm_rf(const char *p)
{
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", p, p);
	cr_assert_eq(system(cmd.data), 0);
	buf_release(&cmd);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/cairn-ingest-XXXXXX");
	cr_assert(mkdtemp(root));
	snprintf(data, sizeof data, "%s/data", root);
	snprintf(in, sizeof in, "%s/photos", root);
	cr_assert_eq(mkdir(data, 0755), 0);
	cr_assert_eq(mkdir(in, 0755), 0);
	struct buf db = BUF_INIT, err = BUF_INIT;
	buf_addf(&db, "%s/cairn.db", data);
	cr_assert_eq(store_open(&st, db.data, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	buf_release(&db);
	buf_release(&err);
	cr_assert_eq(media_image_init(NULL), 0);
}

static void teardown(void)
{
	store_close(st);
	rm_rf(root);
}

static char *path_in(const char *rel)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", in, rel);
	return buf_detach(&p, NULL);
}

static void write_file(const char *rel, const void *b, size_t n)
{
	char *p = path_in(rel);
	FILE *f = fopen(p, "wb");
	cr_assert(f, "%s: %s", p, strerror(errno));
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	free(p);
}

static void save_image(VipsImage *im, const char *rel, const char *fmt)
{
	void *out = NULL;
	size_t len = 0;
	cr_assert_eq(vips_image_write_to_buffer(im, fmt, &out, &len, NULL), 0, "%s",
		     vips_error_buffer());
	write_file(rel, out, len);
	g_free(out);
}

static unsigned char *image_bytes(int seed, const char *fmt, size_t *len)
{
	VipsImage *im = media_test_picture(96, 64, seed);
	void *out = NULL;
	cr_assert_eq(vips_image_write_to_buffer(im, fmt, &out, len, NULL), 0);
	g_object_unref(im);
	unsigned char *c = malloc(*len);
	memcpy(c, out, *len);
	g_free(out);
	return c;
}

static const struct ingest_note *find_note(const struct ingest_notes *ns, const char *path)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i].path, path))
			return &ns->v[i];
	return NULL;
}

static void expect_reject(const struct ingest_report *r, const char *path, const char *want)
{
	const struct ingest_note *n = find_note(&r->rejects, path);
	cr_assert(n, "%s was not rejected", path);
	cr_assert(strstr(n->reason, want), "%s: reason '%s' lacks '%s'", path, n->reason, want);
}

struct list_ctx {
	struct item items[64];
	int n;
};

static int collect(void *vctx, const struct item *it)
{
	struct list_ctx *c = vctx;
	cr_assert_lt(c->n, 64);
	struct item *d = &c->items[c->n++];
	*d = *it;
	d->name = strdup(it->name);
	d->source_group = it->source_group ? strdup(it->source_group) : NULL;
	d->link_path = it->link_path ? strdup(it->link_path) : NULL;
	d->mime = d->meta = d->split = NULL;
	return 0;
}

static void list_release(struct list_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->items[i].name);
		free(c->items[i].source_group);
		free(c->items[i].link_path);
	}
}

static const struct item *item_named(const struct list_ctx *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].name, name))
			return &c->items[i];
	return NULL;
}

static int run(bool link, struct ingest_report *rep)
{
	struct ingest_opts o = INGEST_OPTS_INIT;
	o.link = link;
	o.batch = 3;   /* several transactions even in a small test */
	char *paths[] = {in};
	struct buf err = BUF_INIT;
	int r = ingest_run(st, pid, data, paths, 1, &o, rep, &err);
	cr_assert_eq(r, 0, "%s", err.data);
	buf_release(&err);
	return r;
}

static int count_files(const char *dir)
{
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "find '%s' -type f | wc -l", dir);
	FILE *f = popen(cmd.data, "r");
	int n = -1;
	cr_assert_eq(fscanf(f, "%d", &n), 1);
	pclose(f);
	buf_release(&cmd);
	return n;
}

TestSuite(ingest, .init = setup, .fini = teardown);

Test(ingest, good_broken_duplicate_and_near_duplicate_files)
{
	VipsImage *a = media_test_picture(320, 240, 1);
	save_image(a, "a.jpg", ".jpg[Q=90]");
	save_image(a, "a_copy.jpg", ".jpg[Q=90]");          /* exact duplicate */
	VipsImage *small = NULL;
	cr_assert_eq(vips_resize(a, &small, 0.75, NULL), 0);
	char *sub = path_in("sub");
	cr_assert_eq(mkdir(sub, 0755), 0);
	free(sub);
	save_image(small, "sub/a_small.jpg", ".jpg[Q=70]"); /* near duplicate */
	g_object_unref(small);
	VipsImage *b = media_test_picture(200, 100, 2);
	save_image(b, "b.png", ".png");
	save_image(b, "sub/b.webp", ".webp");
	VipsImage *c = media_test_picture(150, 90, 5);
	save_image(c, "c.gif", ".gif");
	save_image(c, "c.tif", ".tif");
	g_object_unref(b);
	g_object_unref(c);
	write_file("notes.txt", "hello\nworld\n", 12);
	write_file("cloud.bin", (unsigned char[32]){0}, 32);
	/* Broken ones. */
	void *jb = NULL;
	size_t jl = 0;
	cr_assert_eq(vips_image_write_to_buffer(a, ".jpg", &jb, &jl, NULL), 0);
	write_file("truncated.jpg", jb, jl / 2);
	g_free(jb);
	g_object_unref(a);
	write_file("empty.png", "", 0);
	write_file("text.jpg", "just some text, not a picture\n", 30);
	/* Unreadable: chmod 000 works unless we are root, who reads anything. */
	bool root_user = geteuid() == 0;
	if (!root_user) {
		write_file("locked.jpg", "x", 1);
		char *p = path_in("locked.jpg");
		cr_assert_eq(chmod(p, 0), 0);
		free(p);
	} else {
		cr_log_info("running as root: chmod 000 does not stop reads; "
			    "testing a dangling symlink and a fifo instead");
	}
	char *dangling = path_in("gone.jpg");
	cr_assert_eq(symlink("/nonexistent/cairn/gone.jpg", dangling), 0);
	free(dangling);
	char *fifo = path_in("pipe.jpg");
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	free(fifo);
	/* A symlink loop: sub/loop -> .. */
	char *loop = path_in("sub/loop");
	cr_assert_eq(symlink("..", loop), 0);
	free(loop);

	struct ingest_report rep;
	run(false, &rep);
	/* Added: a, a_small, b.png, b.webp, c.gif, c.tif, notes.txt, cloud.bin. */
	cr_assert_eq(rep.added, 8, "added %lld", (long long)rep.added);
	cr_assert_eq(rep.duplicates, 1);
	cr_assert(find_note(&rep.dups, "photos/a_copy.jpg"));
	cr_assert(strstr(find_note(&rep.dups, "photos/a_copy.jpg")->reason, "photos/a.jpg"));
	const struct ingest_note *nd = find_note(&rep.nears, "photos/sub/a_small.jpg");
	cr_assert(nd, "near-duplicate not reported");
	cr_assert_leq(nd->distance, 4);
	cr_assert(strstr(nd->reason, "photos/a.jpg"), "%s", nd->reason);
	expect_reject(&rep, "photos/truncated.jpg", "truncated jpeg");
	expect_reject(&rep, "photos/empty.png", "empty file");
	expect_reject(&rep, "photos/text.jpg", "mislabelled: named .jpg but the content is text");
	if (!root_user)
		expect_reject(&rep, "photos/locked.jpg", "Permission denied");
	expect_reject(&rep, "photos/gone.jpg", "dangling symlink");
	expect_reject(&rep, "photos/pipe.jpg", "not a regular file (a fifo)");
	expect_reject(&rep, "photos/sub/loop", "symlink loop");
	cr_assert_eq(rep.rejected, root_user ? 6 : 7, "rejected %lld", (long long)rep.rejected);

	struct list_ctx lc = {.n = 0};
	struct buf err = BUF_INIT;
	cr_assert_eq(store_item_list(st, pid, 0, 0, collect, &lc, &err), 0, "%s", err.data);
	cr_assert_eq(lc.n, 8);
	const struct item *ia = item_named(&lc, "photos/a.jpg");
	cr_assert(ia);
	cr_assert_eq(ia->kind, ITEM_IMAGE);
	cr_assert_eq(ia->width, 320);
	cr_assert_eq(ia->height, 240);
	cr_assert(ia->has_phash);
	cr_assert_str_eq(ia->source_group, ".");
	cr_assert_null(ia->link_path);
	const struct item *iw = item_named(&lc, "photos/sub/b.webp");
	cr_assert(iw);
	cr_assert_str_eq(iw->source_group, "sub");
	cr_assert_eq(iw->width, 200);
	cr_assert_eq(item_named(&lc, "photos/c.tif")->width, 150);
	cr_assert_eq(item_named(&lc, "photos/notes.txt")->kind, ITEM_TEXT);
	cr_assert_eq(item_named(&lc, "photos/cloud.bin")->kind, ITEM_POINTCLOUD);
	/* Every item's bytes sit at media/<2 hex>/<hex>, nothing left in tmp. */
	for (int i = 0; i < lc.n; i++) {
		struct buf mp = BUF_INIT;
		buf_addf(&mp, "%s/media/%.2s/%s", data, lc.items[i].hash, lc.items[i].hash);
		struct stat sb;
		cr_assert_eq(stat(mp.data, &sb), 0, "%s missing", mp.data);
		cr_assert_eq(sb.st_size, lc.items[i].size);
		buf_release(&mp);
	}
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s/media/tmp", data);
	cr_assert_eq(count_files(tmp.data), 0);
	buf_release(&tmp);
	list_release(&lc);
	ingest_report_release(&rep);

	/* Again: everything good is now a duplicate of the project's items. */
	run(false, &rep);
	cr_assert_eq(rep.added, 0);
	cr_assert_eq(rep.duplicates, 9);
	ingest_report_release(&rep);
	buf_release(&err);
}

Test(ingest, near_duplicate_against_the_project_and_link_mode)
{
	VipsImage *a = media_test_picture(256, 256, 7);
	save_image(a, "first.png", ".png");
	struct ingest_report rep;
	run(true, &rep);
	cr_assert_eq(rep.added, 1);
	ingest_report_release(&rep);
	char *p = path_in("first.png");
	unlink(p);
	free(p);
	save_image(a, "second.jpg", ".jpg[Q=80]");
	g_object_unref(a);
	run(true, &rep);
	cr_assert_eq(rep.added, 1);
	cr_assert_eq(rep.near_duplicates, 1);
	cr_assert(strstr(rep.nears.v[0].reason, "photos/first.png"), "%s", rep.nears.v[0].reason);
	ingest_report_release(&rep);
	/* --link copies nothing and stores the absolute path. */
	struct buf media = BUF_INIT;
	buf_addf(&media, "%s/media", data);
	cr_assert_eq(count_files(media.data), 0);
	buf_release(&media);
	struct list_ctx lc = {.n = 0};
	cr_assert_eq(store_item_list(st, pid, 0, 0, collect, &lc, NULL), 0);
	const struct item *it = item_named(&lc, "photos/second.jpg");
	cr_assert(it);
	cr_assert(it->link_path && it->link_path[0] == '/');
	cr_assert(strstr(it->link_path, "/photos/second.jpg"));
	list_release(&lc);
}

static void zip_add(struct archive *z, const char *name, const void *b, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	cr_assert_eq(archive_write_header(z, e), ARCHIVE_OK, "%s", archive_error_string(z));
	cr_assert_eq(archive_write_data(z, b, n), (la_ssize_t)n);
	archive_entry_free(e);
}

Test(ingest, zip_archives_stream_entries_and_reject_escaping_paths)
{
	char *zp = path_in("set.zip");
	struct archive *z = archive_write_new();
	archive_write_set_format_zip(z);
	cr_assert_eq(archive_write_open_filename(z, zp), ARCHIVE_OK);
	size_t n1, n2;
	unsigned char *i1 = image_bytes(11, ".jpg", &n1);
	unsigned char *i2 = image_bytes(12, ".png", &n2);
	zip_add(z, "inner/one.jpg", i1, n1);
	zip_add(z, "two.png", i2, n2);
	zip_add(z, "../evil.jpg", i1, n1);
	zip_add(z, "/abs/evil2.jpg", i2, n2);
	zip_add(z, "__MACOSX/._one.jpg", "junk", 4);
	zip_add(z, "bad.jpg", "not really", 10);
	cr_assert_eq(archive_write_close(z), ARCHIVE_OK);
	archive_write_free(z);
	free(zp);
	free(i1);
	free(i2);
	struct ingest_report rep;
	run(false, &rep);
	cr_assert_eq(rep.added, 2, "added %lld", (long long)rep.added);
	expect_reject(&rep, "photos/set.zip/../evil.jpg", "escapes the archive");
	expect_reject(&rep, "photos/set.zip//abs/evil2.jpg", "escapes the archive");
	expect_reject(&rep, "photos/set.zip/bad.jpg", "mislabelled");
	cr_assert_eq(rep.rejected, 3);
	struct list_ctx lc = {.n = 0};
	cr_assert_eq(store_item_list(st, pid, 0, 0, collect, &lc, NULL), 0);
	const struct item *it = item_named(&lc, "photos/set.zip/inner/one.jpg");
	cr_assert(it);
	cr_assert_str_eq(it->source_group, "set.zip/inner");
	cr_assert_eq(it->width, 96);
	cr_assert(item_named(&lc, "photos/set.zip/two.png"));
	list_release(&lc);
	ingest_report_release(&rep);
	/* Nothing was written outside the data dir. */
	struct buf evil = BUF_INIT;
	buf_addf(&evil, "%s/evil.jpg", root);
	cr_assert_neq(access(evil.data, F_OK), 0);
	buf_release(&evil);
}

Test(ingest, a_single_file_argument_and_a_missing_path)
{
	size_t n;
	unsigned char *b = image_bytes(3, ".png", &n);
	write_file("solo.png", b, n);
	free(b);
	char *p = path_in("solo.png");
	char *paths[] = {p, "/nonexistent/cairn/x.jpg"};
	struct ingest_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(ingest_run(st, pid, data, paths, 2, NULL, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.added, 1);
	cr_assert_eq(rep.rejected, 1);
	expect_reject(&rep, "x.jpg", "No such file");
	ingest_report_release(&rep);
	struct list_ctx lc = {.n = 0};
	cr_assert_eq(store_item_list(st, pid, 0, 0, collect, &lc, NULL), 0);
	cr_assert_str_eq(lc.items[0].name, "solo.png");
	cr_assert_str_eq(lc.items[0].source_group, ".");
	list_release(&lc);
	free(p);
	buf_release(&err);
}

Test(ingest, same_content_in_a_second_project_is_stored_once)
{
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "img%d.jpg", i);
		VipsImage *a = media_test_picture(64, 48, 20 + i);
		save_image(a, name, ".jpg");
		g_object_unref(a);
	}
	struct ingest_report rep;
	run(false, &rep);
	cr_assert_eq(rep.added, 5);
	cr_assert_eq(rep.time.threads >= 2, true);
	cr_assert(rep.time.total > 0);
	ingest_report_release(&rep);
	struct buf media = BUF_INIT;
	buf_addf(&media, "%s/media", data);
	cr_assert_eq(count_files(media.data), 5);
	/* Another project: new items, the same five stored files, no temp left behind. */
	struct buf err = BUF_INIT;
	cr_assert_eq(store_project_create(st, "q", NULL, 0, NULL, &pid, &err), 0, "%s", err.data);
	buf_release(&err);
	run(false, &rep);
	cr_assert_eq(rep.added, 5);
	cr_assert_eq(rep.duplicates, 0);
	ingest_report_release(&rep);
	cr_assert_eq(count_files(media.data), 5);
	buf_release(&media);
}
