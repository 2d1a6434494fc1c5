/*
 * tmpdir.c - temporary folders for the unit tests (see tmpdir.h): mkdtemp
 * with a tag, and a depth-first removal that does not follow links.
 */
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void tmpdir_make(char *dir, size_t n, const char *tag)
{
	cr_assert_lt((size_t)snprintf(dir, n, "/tmp/cairn-%s-XXXXXX", tag), n, "%s", tag);
	cr_assert(mkdtemp(dir), "%s", dir);
}

static int remove_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

void tmpdir_remove(const char *dir)
{
	cr_assert_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0, "removing %s", dir);
}
