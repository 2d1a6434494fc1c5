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
#include <pthread.h>
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

/* ---- packing ---- */

static struct {
	struct archive *a;
	size_t root;            /* length of the folder's path plus the slash */
	struct buf *err;
	int rc;
} pack;

static int pack_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)f;
	if (strlen(path) <= pack.root || (type != FTW_F && type != FTW_D) ||
	    (type == FTW_F && !S_ISREG(sb->st_mode)))
		return 0;
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path + pack.root);
	archive_entry_set_mode(e, type == FTW_D ? (AE_IFDIR | 0755) : (AE_IFREG | 0644));
	archive_entry_set_size(e, type == FTW_D ? 0 : sb->st_size);
	archive_entry_set_mtime(e, sb->st_mtime, 0);
	int rc = 0;
	if (archive_write_header(pack.a, e) != ARCHIVE_OK) {
		buf_setf(pack.err, "archive: %s: %s", path + pack.root, archive_error_string(pack.a));
		rc = CAIRN_EIO;
	}
	int fd = rc || type == FTW_D ? -1 : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (!rc && type == FTW_F && fd < 0) {
		buf_setf(pack.err, "archive: cannot read %s: %s", path + pack.root, strerror(errno));
		rc = CAIRN_EIO;
	}
	char chunk[65536];
	ssize_t n;
	while (fd >= 0 && !rc && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 || archive_write_data(pack.a, chunk, (size_t)n) != n) {
			buf_setf(pack.err, "archive: cannot pack %s: %s", path + pack.root,
				 n < 0 ? strerror(errno) : archive_error_string(pack.a));
			rc = CAIRN_EIO;
		}
	}
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	pack.rc = rc;
	return rc ? 1 : 0;
}

int archive_pack_dir(const char *dir, const char *zip_path, struct buf *err)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct archive *a = archive_write_new();
	if (!a || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, zip_path) != ARCHIVE_OK) {
		buf_setf(err, "archive: cannot write %s: %s", zip_path,
			 a ? archive_error_string(a) : "out of memory");
		if (a)
			archive_write_free(a);
		return CAIRN_EIO;
	}
	/* nftw has no context argument: one packer at a time. */
	pthread_mutex_lock(&mu);
	pack.a = a;
	pack.root = strlen(dir) + 1;
	pack.err = err;
	pack.rc = 0;
	int r = nftw(dir, pack_one, 16, FTW_PHYS);
	int rc = pack.rc;
	pthread_mutex_unlock(&mu);
	if (!rc && r) {
		buf_setf(err, "archive: cannot walk %s: %s", dir, strerror(errno));
		rc = CAIRN_EIO;
	}
	if (archive_write_close(a) != ARCHIVE_OK && !rc) {
		buf_setf(err, "archive: cannot finish %s: %s", zip_path, archive_error_string(a));
		rc = CAIRN_EIO;
	}
	archive_write_free(a);
	return rc;
}
