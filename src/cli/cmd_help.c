/*
 * cmd_help.c - `cairn help [COMMAND]` and `cairn version`.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "base/banned.h"

int cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		const struct cli_cmd *c = cli_find(argv[1]);
		if (!c) {
			fprintf(stderr, "cairn help: '%s' is not a command\n", argv[1]);
			return EXIT_USAGE;
		}
		printf("cairn %s - %s\nusage: cairn %s\n", c->name, c->summary, c->usage);
		return EXIT_OK;
	}
	printf("cairn %s - a self-hosted data-annotation platform\n\n"
	       "usage: cairn COMMAND [OPTIONS]\n\ncommands:\n", CAIRN_VERSION);
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nEvery command takes --help. The data directory is --data DIR,\n"
	       "else $CAIRN_DATA, else ./cairn-data.\n");
	return EXIT_OK;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cairn %s\n", CAIRN_VERSION);
	return EXIT_OK;
}
