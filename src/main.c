/*
 * main.c - argv -> the command table; nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/banned.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		const struct cli_cmd *help = cli_find("help");
		help->run(1, (char *[]){"help", NULL});
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cli_find("version")->run(1, (char *[]){"version", NULL});
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_find("help")->run(1, (char *[]){"help", NULL});
	const struct cli_cmd *cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cairn: '%s' is not a command; see 'cairn help'\n", argv[1]);
		return EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
