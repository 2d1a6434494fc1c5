/*
 * cmd_check.c - `cairn check --project NAME`: the automated quality checks
 * (src/quality/check.c) on a project's annotations.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "base/banned.h"

int cmd_check(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("check");
	(void)argc;
	(void)argv;
	cli_error(cmd->name, "not built yet");
	return EXIT_FAIL;
}
