/*
 * cmd_serve.c - `cairn serve`: the one process a team runs. Prints the
 * address it listens on, then serves until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "http/server.h"
#include "store/store.h"
#include "base/banned.h"

static void on_listen(void *ctx, uint16_t port)
{
	const char *host = ctx;
	printf("cairn: listening on http://%s:%u/\n", host, (unsigned)port);
	fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
	const char *data = NULL, *listen = NULL, *threads_s = NULL;
	bool quiet = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"listen", 1, &listen, NULL},
		{"threads", 1, &threads_s, NULL},
		{"quiet", 0, NULL, &quiet},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("serve");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	char host[64] = "127.0.0.1";
	uint64_t port = 8080, threads = 0;
	if (listen) {
		const char *colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
		    !cli_parse_u64(colon + 1, &port) || port > 65535)
			return cli_usage_error(cmd, "--listen takes HOST:PORT, e.g. 127.0.0.1:8080 "
					       "(port 0 picks a free one)");
		if (colon > listen)
			snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	}
	if (threads_s && (!cli_parse_u64(threads_s, &threads) || threads == 0 || threads > 256))
		return cli_usage_error(cmd, "--threads takes a number from 1 to 256");
	struct server_opts o = {
		.data_dir = cli_data_dir(data),
		.host = host,
		.port = (uint16_t)port,
		.threads = (unsigned)threads,
		.quiet = quiet,
		.on_listen = on_listen,
		.ctx = host,
	};
	struct buf err = BUF_INIT;
	struct store *st;
	/* A clear message for a missing data directory before anything else. */
	if (cli_open_store("serve", o.data_dir, &st))
		return EXIT_FAIL;
	store_close(st);
	rc = server_run(&o, &err);
	if (rc) {
		cli_error("serve", "%s", err.data);
		buf_release(&err);
		return EXIT_FAIL;
	}
	buf_release(&err);
	return EXIT_OK;
}
