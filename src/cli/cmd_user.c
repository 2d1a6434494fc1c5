/*
 * cmd_user.c - `cairn user add|list|passwd`: accounts from the command
 * line (there is no open sign-up; an admin adds people here or in the UI).
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/auth.h"
#include "store/store.h"
#include "base/banned.h"

struct list_ctx {
	bool json;
	bool first;
};

static int print_user(void *vctx, const struct user *u)
{
	struct list_ctx *c = vctx;
	if (c->json) {
		struct buf o = BUF_INIT;
		buf_addf(&o, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)u->id);
		buf_add_json_str(&o, u->name);
		buf_addf(&o, ",\"admin\":%s,\"active\":%s,\"created_at\":%lld}",
			 u->is_admin ? "true" : "false", u->is_active ? "true" : "false",
			 (long long)u->created_at);
		fputs(o.data, stdout);
		buf_release(&o);
	} else {
		printf("%-6lld %-24s %s\n", (long long)u->id, u->name, u->is_admin ? "admin" : "");
	}
	c->first = false;
	return 0;
}

/* Gets a password from stdin or generates one; prints a generated one. */
static int new_password(const char *sub, bool from_stdin, struct buf *pw, struct buf *hash)
{
	struct buf err = BUF_INIT;
	int rc = EXIT_FAIL;
	if (from_stdin) {
		if (cli_read_password_stdin(sub, pw))
			goto out;
		if (auth_password_ok(pw->data, &err)) {
			cli_error(sub, "%s", err.data);
			goto out;
		}
	} else {
		auth_random_password(pw, 20);
	}
	if (auth_hash_password(pw->data, hash, &err)) {
		cli_error(sub, "%s", err.data);
		goto out;
	}
	rc = EXIT_OK;
out:
	buf_release(&err);
	return rc;
}

int cmd_user(int argc, char **argv)
{
	const char *data = NULL;
	bool json = false, admin = false, pw_stdin = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"json", 0, NULL, &json},
		{"admin", 0, NULL, &admin},
		{"password-stdin", 0, NULL, &pw_stdin},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("user");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos < 1)
		return cli_usage_error(cmd, "missing a subcommand: add, list or passwd");
	const char *sub = argv[0];
	bool is_add = !strcmp(sub, "add"), is_pw = !strcmp(sub, "passwd");
	if (!is_add && !is_pw && strcmp(sub, "list"))
		return cli_usage_error(cmd, "unknown subcommand '%s'", sub);
	if ((is_add || is_pw) && npos != 2)
		return cli_usage_error(cmd, "'user %s' takes one NAME", sub);
	if (!is_add && !is_pw && npos != 1)
		return cli_usage_error(cmd, "'user list' takes no arguments");

	struct store *st = NULL;
	struct buf err = BUF_INIT, pw = BUF_INIT, hash = BUF_INIT;
	if (cli_open_store("user", cli_data_dir(data), &st))
		return EXIT_FAIL;
	rc = EXIT_FAIL;
	if (is_add) {
		const char *name = argv[1];
		int64_t id;
		if (auth_name_ok("user", name, &err)) {
			cli_error("user add", "%s", err.data);
			goto out;
		}
		if (new_password("user add", pw_stdin, &pw, &hash))
			goto out;
		if (store_user_add(st, name, hash.data, admin, &id, &err) ||
		    store_audit(st, 0, 0, "user.add", "user", id, NULL, &err)) {
			cli_error("user add", "%s", err.data);
			goto out;
		}
		if (json) {
			struct buf o = BUF_INIT;
			buf_addf(&o, "{\"id\":%lld,\"name\":", (long long)id);
			buf_add_json_str(&o, name);
			buf_addf(&o, ",\"admin\":%s", admin ? "true" : "false");
			if (!pw_stdin) {
				buf_adds(&o, ",\"password\":");
				buf_add_json_str(&o, pw.data);
			}
			buf_adds(&o, "}\n");
			fputs(o.data, stdout);
			buf_release(&o);
		} else {
			printf("Added user %s (id %lld)%s\n", name, (long long)id,
			       admin ? " as admin" : "");
			if (!pw_stdin)
				printf("Password: %s\n", pw.data);
		}
	} else if (is_pw) {
		struct user u = {0};
		if (store_user_get(st, argv[1], &u, NULL, &err)) {
			cli_error("user passwd", "%s", err.data);
			goto out;
		}
		int64_t id = u.id;
		user_release(&u);
		if (new_password("user passwd", pw_stdin, &pw, &hash))
			goto out;
		if (store_user_set_password(st, id, hash.data, &err) ||
		    store_audit(st, 0, 0, "user.passwd", "user", id, NULL, &err)) {
			cli_error("user passwd", "%s", err.data);
			goto out;
		}
		if (json) {
			struct buf o = BUF_INIT;
			buf_adds(&o, "{\"name\":");
			buf_add_json_str(&o, argv[1]);
			if (!pw_stdin) {
				buf_adds(&o, ",\"password\":");
				buf_add_json_str(&o, pw.data);
			}
			buf_adds(&o, "}\n");
			fputs(o.data, stdout);
			buf_release(&o);
		} else {
			printf("Changed the password of %s\n", argv[1]);
			if (!pw_stdin)
				printf("Password: %s\n", pw.data);
		}
	} else {
		struct list_ctx c = {json, true};
		if (json)
			fputs("[", stdout);
		if (store_user_list(st, print_user, &c, &err)) {
			cli_error("user list", "%s", err.data);
			goto out;
		}
		if (json)
			fputs("]\n", stdout);
	}
	rc = EXIT_OK;
out:
	store_close(st);
	buf_release(&err);
	buf_release(&pw);
	buf_release(&hash);
	return rc;
}
