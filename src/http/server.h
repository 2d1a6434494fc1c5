/*
 * server.h - the HTTP server of `cairn serve`: libmicrohttpd with a thread
 * pool, one store handle per thread, limits on every input, and a graceful
 * stop on SIGTERM or SIGINT.
 */
#ifndef CAIRN_SERVER_H
#define CAIRN_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

struct server_opts {
	const char *data_dir;        /* holds cairn.db */
	const char *host;            /* "127.0.0.1" */
	uint16_t port;               /* 0 = pick a free port */
	unsigned threads;            /* worker threads (0 = default) */
	bool quiet;                  /* no request log */
	/* Called once the socket listens, with the actual port. */
	void (*on_listen)(void *ctx, uint16_t port);
	void *ctx;
};

/*
 * Runs until SIGTERM or SIGINT: in-flight requests finish, then every
 * store handle is closed. Returns 0, or an error with detail in err.
 * Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (and so in the
 * threads it starts).
 */
int server_run(const struct server_opts *o, struct buf *err);

#endif
