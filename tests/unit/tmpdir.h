/*
 * tmpdir.h - temporary folders for the unit tests: one made under /tmp with
 * a tag in its name (so a folder left behind says whose it is), and removed
 * with everything below it. Shared by the suites that open a store on disk.
 */
#ifndef CAIRN_TESTS_TMPDIR_H
#define CAIRN_TESTS_TMPDIR_H

#include <stddef.h>

/* Makes /tmp/cairn-<tag>-XXXXXX into dir (n bytes); a failure fails the test. */
void tmpdir_make(char *dir, size_t n, const char *tag);
/* Removes dir and everything below it; a failure fails the test. */
void tmpdir_remove(const char *dir);

#endif
