/*
 * err.h - the one error enum of Cairn.
 *
 * Every function that can fail returns 0 (CAIRN_OK) or a negative code from
 * this enum, and writes the detail into a caller's `struct buf *err`
 * (lower-case, naming the subject and the place). The HTTP layer maps each
 * code to a status through one table (err_http_status).
 */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

enum cairn_err {
	CAIRN_OK = 0,
	CAIRN_EINVAL = -1,     /* malformed input: a value, a file, a request */
	CAIRN_ENOMEM = -2,     /* out of memory, or a cap on input size hit */
	CAIRN_EIO = -3,        /* the file system or the database failed */
	CAIRN_ENOTFOUND = -4,  /* the named thing does not exist */
	CAIRN_EEXIST = -5,     /* the thing already exists (unique name, hash) */
	CAIRN_ECONFLICT = -6,  /* a version check failed: someone saved first */
	CAIRN_EPERM = -7,      /* authenticated but not allowed */
	CAIRN_EAUTH = -8,      /* not authenticated */
	CAIRN_ETOOBIG = -9,    /* over a size limit */
	CAIRN_EUNSUPPORTED = -10, /* a valid request we do not handle */
	CAIRN_EVERSION = -11,  /* data written by a newer Cairn */
	CAIRN_EBUSY = -12,     /* the database is locked past its timeout */
	CAIRN_EINTERNAL = -13, /* a bug: an invariant did not hold */
	CAIRN_ERR_COUNT_ = 14
};

/* Returns a static, lower-case description of code (never NULL). */
const char *cairn_strerror(int code);

/* Returns the HTTP status that stands for code (200 for CAIRN_OK). */
int err_http_status(int code);

/* Returns a stable machine-readable name for code, e.g. "invalid". */
const char *err_name(int code);

#endif
