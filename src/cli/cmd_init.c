/*
 * cmd_init.c - `cairn init`: creates a data directory (database, media/,
 * exports/), a random installation secret, and the first admin account,
 * whose generated password is printed once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/auth.h"
#include "store/store.h"
#include "base/banned.h"

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* mkdir -p for the data directory itself. */
static int make_dirs(const char *path)
{
	struct buf p = BUF_INIT;
	int rc = 0;
	buf_adds(&p, path);
	for (size_t i = 1; i < p.len && !rc; i++) {
		if (p.data[i] == '/') {
			p.data[i] = 0;
			rc = make_dir(p.data);
			p.data[i] = '/';
		}
	}
	if (!rc)
		rc = make_dir(p.data);
	buf_release(&p);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	const char *data = NULL, *admin = "admin";
	bool json = false, pw_stdin = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"admin", 1, &admin, NULL},
		{"json", 0, NULL, &json},
		{"password-stdin", 0, NULL, &pw_stdin},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("init");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	data = cli_data_dir(data);

	struct buf err = BUF_INIT, path = BUF_INIT, pw = BUF_INIT, hash = BUF_INIT,
		   secret = BUF_INIT;
	struct store *st = NULL;
	rc = EXIT_FAIL;
	if (auth_name_ok("user", admin, &err)) {
		cli_error("init", "%s", err.data);
		goto out;
	}
	if (make_dirs(data)) {
		cli_error("init", "cannot create '%s': %s", data, strerror(errno));
		goto out;
	}
	buf_addf(&path, "%s/cairn.db", data);
	struct stat sb;
	if (stat(path.data, &sb) == 0) {
		cli_error("init", "'%s' is already initialised (found %s)", data, path.data);
		goto out;
	}
	const char *sub[] = {"media", "exports", "tmp"};
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", data, sub[i]);
		if (make_dir(path.data)) {
			cli_error("init", "cannot create '%s': %s", path.data, strerror(errno));
			goto out;
		}
	}
	if (pw_stdin) {
		if (cli_read_password_stdin("init", &pw))
			goto out;
		if (auth_password_ok(pw.data, &err)) {
			cli_error("init", "%s", err.data);
			goto out;
		}
	} else {
		auth_random_password(&pw, 20);
	}
	if (auth_hash_password(pw.data, &hash, &err)) {
		cli_error("init", "%s", err.data);
		goto out;
	}
	auth_random_hex(&secret, 32);
	buf_reset(&path);
	buf_addf(&path, "%s/cairn.db", data);
	if (store_open(&st, path.data, STORE_CREATE, &err) || store_begin(st, &err) ||
	    store_meta_set(st, "secret", secret.data, &err) ||
	    store_user_add(st, admin, hash.data, true, NULL, &err) ||
	    store_audit(st, 0, 0, "init", "user", 0, NULL, &err) ||
	    store_commit(st, &err)) {
		cli_error("init", "%s", err.data);
		if (st)
			store_rollback(st);
		goto out;
	}
	if (json) {
		struct buf o = BUF_INIT;
		buf_adds(&o, "{\"data\":");
		buf_add_json_str(&o, data);
		buf_adds(&o, ",\"admin\":");
		buf_add_json_str(&o, admin);
		if (!pw_stdin) {
			buf_adds(&o, ",\"password\":");
			buf_add_json_str(&o, pw.data);
		}
		buf_adds(&o, "}\n");
		fputs(o.data, stdout);
		buf_release(&o);
	} else {
		printf("Initialised %s\n", data);
		if (pw_stdin)
			printf("Admin account: %s\n", admin);
		else
			printf("Admin account: %s\nPassword:      %s\n"
			       "(shown once: store it now, or change it with 'cairn user passwd %s')\n",
			       admin, pw.data, admin);
	}
	rc = EXIT_OK;
out:
	store_close(st);
	buf_release(&err);
	buf_release(&path);
	buf_release(&pw);
	buf_release(&hash);
	buf_release(&secret);
	return rc;
}
