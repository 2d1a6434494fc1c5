/*
 * test_archive.c - safe extraction of uploaded archives: files land inside
 * the folder, and entries that would leave it, links, and archives past
 * the caps are refused with the entry named.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "media/archive.h"

#include "../tmpdir.h"
#include "base/banned.h"

static char dir[64];

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir), "archive");
}

static void teardown(void)
{
	archive_remove_tree(dir);
}

TestSuite(archive, .init = setup, .fini = teardown);

struct entry {
	const char *name;
	const char *data;      /* NULL: a symlink to "target" */
};

static void make_zip(const char *path, const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		archive_entry_set_pathname(en, e[i].name);
		if (e[i].data) {
			archive_entry_set_filetype(en, AE_IFREG);
			archive_entry_set_size(en, (la_int64_t)strlen(e[i].data));
		} else {
			archive_entry_set_filetype(en, AE_IFLNK);
			archive_entry_set_symlink(en, "target");
		}
		archive_entry_set_perm(en, 0644);
		archive_write_header(a, en);
		if (e[i].data)
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static int extract(const struct entry *e, size_t n, uint64_t max_bytes, struct buf *err)
{
	char zip[128], out[128];
	snprintf(zip, sizeof(zip), "%s/in.zip", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	make_zip(zip, e, n);
	cr_assert(archive_sniff(zip));
	mkdir(out, 0700);
	return archive_extract(zip, out, max_bytes, 100, err);
}

Test(archive, extracts_files_into_their_folders)
{
	struct entry e[] = {{"annotations/instances.json", "{}"}, {"images/a.jpg", "jpeg"}};
	struct buf err = BUF_INIT;
	cr_assert_eq(extract(e, 2, 1 << 20, &err), 0, "%s", err.data);
	char p[160];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/out/images/a.jpg", dir);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(sb.st_size, 4);
	buf_release(&err);
}

Test(archive, refuses_entries_that_leave_the_folder)
{
	const char *bad[] = {"../evil.txt", "a/../../evil.txt", "/etc/evil", "a/./b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct entry e[] = {{"ok.txt", "x"}, {bad[i], "x"}};
		struct buf err = BUF_INIT;
		cr_assert_eq(extract(e, 2, 1 << 20, &err), CAIRN_EINVAL, "%s was accepted", bad[i]);
		cr_assert(strstr(err.data, "leave"), "%s", err.data);
		buf_release(&err);
		archive_remove_tree(dir);
		mkdir(dir, 0700);
	}
	char p[160];
	snprintf(p, sizeof(p), "%s/../evil.txt", dir);
	cr_assert_neq(access(p, F_OK), 0, "nothing was written outside");
}

Test(archive, refuses_links_and_archives_past_the_cap)
{
	struct entry link[] = {{"a.jpg", NULL}};
	struct buf err = BUF_INIT;
	cr_assert_eq(extract(link, 1, 1 << 20, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "not a regular file"), "%s", err.data);
	archive_remove_tree(dir);
	mkdir(dir, 0700);
	struct entry big[] = {{"a.txt", "0123456789"}, {"b.txt", "0123456789"}};
	cr_assert_eq(extract(big, 2, 15, &err), CAIRN_ETOOBIG);
	cr_assert(strstr(err.data, "more than 15 bytes"), "%s", err.data);
	buf_release(&err);
}

Test(archive, sniff_tells_archives_from_json)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/x.json", dir);
	FILE *f = fopen(p, "w");
	fputs("{\"images\": []}", f);
	fclose(f);
	cr_assert_not(archive_sniff(p));
	cr_assert_not(archive_sniff("/nonexistent"));
}
