/* cmd_synth.c - placeholder until its owner lands it (being written now). */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/commands.h"
int cmd_synth(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cairn synth: not built yet\n");
	return EXIT_FAIL;
}
