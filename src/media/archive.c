/*
 * archive.c - safe extraction of uploaded archives with libarchive.
 */
#define _XOPEN_SOURCE 700
#include "media/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

bool archive_sniff(const char *path)
{
	unsigned char b[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, b, sizeof(b));
	close(fd);
	if (n < 4)
		return false;
	return (b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) ||
	       (b[0] == 0x1f && b[1] == 0x8b); /* gzip (tar.gz) */
}

/* A relative path of plain components: no "", ".", ".." and no leading '/'. */
static bool safe_path(const char *p)
{
	if (!*p || *p == '/')
		return false;
	const char *s = p;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
				return false;
		s += n;
		if (*s == '/')
			s++;
	}
	return true;
}

/* mkdir -p of the folders of rel under dest. */
static int make_parents(const char *dest, const char *rel)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dest, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	for (char *p = path + strlen(dest) + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(path, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return 0;
}

int archive_extract(const char *path, const char *dest, uint64_t max_bytes, uint64_t max_entries,
		    struct buf *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t written = 0, entries = 0;
	int rc = 0;
	char buf[65536];
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		buf_setf(err, "archive: cannot open: %s", archive_error_string(a));
		archive_read_free(a);
		return CAIRN_EINVAL;
	}
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			buf_setf(err, "archive: entry %llu: %s", (unsigned long long)entries + 1,
				 archive_error_string(a));
			rc = CAIRN_EINVAL;
			break;
		}
		const char *name = archive_entry_pathname(e);
		if (++entries > max_entries) {
			buf_setf(err, "archive: more than %llu entries", (unsigned long long)max_entries);
			rc = CAIRN_ETOOBIG;
			break;
		}
		mode_t type = archive_entry_filetype(e);
		if (!name) {
			buf_setf(err, "archive: entry %llu has no name", (unsigned long long)entries);
			rc = CAIRN_EINVAL;
			break;
		}
		if (type == AE_IFDIR)
			continue;
		if (!safe_path(name)) {
			buf_setf(err, "archive: entry '%s' would leave the archive's folder", name);
			rc = CAIRN_EINVAL;
			break;
		}
		if (type != AE_IFREG) {
			buf_setf(err, "archive: entry '%s' is not a regular file (links are refused)",
				 name);
			rc = CAIRN_EINVAL;
			break;
		}
		char out[4096];
		int n = snprintf(out, sizeof(out), "%s/%s", dest, name);
		if (n < 0 || (size_t)n >= sizeof(out) || make_parents(dest, name)) {
			buf_setf(err, "archive: cannot create the folders of '%s'", name);
			rc = CAIRN_EIO;
			break;
		}
		/* O_EXCL: an entry never replaces a file (or a link) already there. */
		int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			buf_setf(err, "archive: cannot write '%s': %s", name, strerror(errno));
			rc = errno == EEXIST ? CAIRN_EINVAL : CAIRN_EIO;
			break;
		}
		ssize_t got;
		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0) {
			written += (uint64_t)got;
			if (written > max_bytes) {
				buf_setf(err, "archive: unpacks to more than %llu bytes",
					 (unsigned long long)max_bytes);
				rc = CAIRN_ETOOBIG;
				break;
			}
			if (write(fd, buf, (size_t)got) != got) {
				buf_setf(err, "archive: cannot write '%s': %s", name, strerror(errno));
				rc = CAIRN_EIO;
				break;
			}
		}
		if (got < 0 && !rc) {
			buf_setf(err, "archive: entry '%s': %s", name, archive_error_string(a));
			rc = CAIRN_EINVAL;
		}
		close(fd);
		if (rc)
			break;
	}
	archive_read_free(a);
	return rc;
}

static int remove_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int archive_remove_tree(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
