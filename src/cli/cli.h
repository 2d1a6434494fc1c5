/*
 * cli.h - the command table and what every command shares: option parsing,
 * the data directory, --json, exit codes and the progress bar. Only src/cli/
 * may print and exit.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *usage;     /* shown by --help, after "usage: cairn " */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* The command table, ending with a NULL name (in main.c). */
extern const struct cli_cmd cli_commands[];

/* One option a command accepts. has_arg: 0 flag, 1 takes a value. */
struct cli_opt {
	const char *name;      /* "data" for --data */
	int has_arg;
	const char **value;    /* set for has_arg, borrows from argv */
	bool *flag;            /* set for flags */
};

/*
 * Parses argv against opts: fills values and flags, and moves positional
 * arguments to the front of argv, returning their count in *npos. --help
 * prints usage and returns EXIT_OK through *done. Returns 0, or EXIT_USAGE
 * after printing what was wrong.
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      const struct cli_opt *opts, int *npos, bool *done);

/* --data, else $CAIRN_DATA, else ./cairn-data. Borrowed string. */
const char *cli_data_dir(const char *opt);

/* Prints "cairn CMD: msg" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reports a usage error and returns EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses a non-negative integer; false when s is not one. */
bool cli_parse_u64(const char *s, uint64_t *out);

/*
 * Progress bar on stderr, drawn only when stderr is a terminal. total may be
 * 0 when unknown. Redraws at most ten times a second.
 */
struct progress {
	const char *what;
	uint64_t total;
	uint64_t done;
	double last_draw;
	bool enabled;
};
void progress_init(struct progress *p, const char *what, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_finish(struct progress *p);

const struct cli_cmd *cli_find(const char *name);

struct store;
/*
 * Opens DATA/cairn.db of an initialised data directory, printing a clear
 * message for the command when it cannot. Returns 0 or EXIT_FAIL.
 */
int cli_open_store(const char *cmd, const char *data_dir, struct store **out);
/* Reads a password from stdin (one line, newline stripped) into out. */
int cli_read_password_stdin(const char *cmd, struct buf *out);

#endif
