/*
 * err.c - descriptions, names and HTTP statuses for enum cairn_err.
 * One table, indexed by the negated code.
 */
#include "base/err.h"

static const struct {
	const char *name;
	const char *text;
	int http;
} err_table[CAIRN_ERR_COUNT_] = {
	[0] = {"ok", "success", 200},
	[-CAIRN_EINVAL] = {"invalid", "invalid input", 400},
	[-CAIRN_ENOMEM] = {"no_memory", "out of memory", 503},
	[-CAIRN_EIO] = {"io", "input/output error", 500},
	[-CAIRN_ENOTFOUND] = {"not_found", "not found", 404},
	[-CAIRN_EEXIST] = {"exists", "already exists", 409},
	[-CAIRN_ECONFLICT] = {"conflict", "version conflict", 409},
	[-CAIRN_EPERM] = {"forbidden", "permission denied", 403},
	[-CAIRN_EAUTH] = {"unauthenticated", "authentication required", 401},
	[-CAIRN_ETOOBIG] = {"too_big", "too large", 413},
	[-CAIRN_EUNSUPPORTED] = {"unsupported", "not supported", 501},
	[-CAIRN_EVERSION] = {"version", "written by a newer version of cairn", 409},
	[-CAIRN_EBUSY] = {"busy", "resource busy", 503},
	[-CAIRN_EINTERNAL] = {"internal", "internal error", 500},
};

static int err_index(int code)
{
	if (code > 0 || code <= -CAIRN_ERR_COUNT_)
		return -CAIRN_EINTERNAL;
	return -code;
}

const char *cairn_strerror(int code)
{
	return err_table[err_index(code)].text;
}

int err_http_status(int code)
{
	return err_table[err_index(code)].http;
}

const char *err_name(int code)
{
	return err_table[err_index(code)].name;
}
