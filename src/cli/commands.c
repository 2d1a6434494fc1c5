/*
 * commands.c - the command table: adding a command is adding a row
 * (git's commands[]).
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include "base/banned.h"

const struct cli_cmd cli_commands[] = {
	{"help", "show the commands, or one command's usage", "help [COMMAND]", cmd_help},
	{"version", "print the version", "version", cmd_version},
	{"serve", "run the web server, the API and the background jobs",
	 "serve [--data DIR] [--listen HOST:PORT] [--threads N] [--quiet]", cmd_serve},
	{"init", "create a data directory and its admin account", "init [--data DIR] [--admin NAME] [--json]", cmd_init},
	{"user", "add, list users or change a password",
	 "user add NAME [--admin] [--password-stdin] | user list [--json] | user passwd NAME [--password-stdin]  [--data DIR]", cmd_user},
	{"project", "create, list or show projects",
	 "project create NAME --schema FILE [--description TEXT] | project list [--json] | project show NAME [--json]  [--data DIR]", cmd_project},
	{"ingest", "add media files, folders or zip archives to a project as items",
	 "ingest --project NAME [--link] [--json] [--near-threshold N] PATH...  [--data DIR]", cmd_ingest},
	{"stats", "show a project's counts", "stats --project NAME [--json] [--data DIR]", cmd_stats},
	{"synth", "render synthetic images with exact COCO ground truth",
	 "synth OUT --images N [--objects K] [--seed S] [--size WxH] [--format jpeg|png] [--quality Q] [--threads T] [--force] [--json]", cmd_synth},
	{0, 0, 0, 0},
};
