/*
 * cmd_formats.c - `cairn formats`: the format table, with what each format
 * can carry.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "formats/fmt.h"

#include "base/banned.h"

int cmd_formats(int argc, char **argv)
{
	bool json = false, done = false;
	struct cli_opt opts[] = {{"json", 0, NULL, &json}, {NULL, 0, NULL, NULL}};
	int npos = 0;
	int r = cli_parse(cli_find("formats"), argc, argv, opts, &npos, &done);
	if (r || done)
		return r;
	if (npos)
		return cli_usage_error(cli_find("formats"), "no arguments expected");
	struct buf b = BUF_INIT;
	if (json)
		buf_addch(&b, '[');
	for (const struct fmt_ops *f = fmt_table; f->name; f++) {
		if (json) {
			buf_adds(&b, f == fmt_table ? "{\"name\":" : ",{\"name\":");
			buf_add_json_str(&b, f->name);
			buf_adds(&b, ",\"summary\":");
			buf_add_json_str(&b, f->summary);
			buf_adds(&b, ",\"carries\":");
			buf_add_json_str(&b, f->carries);
			buf_addf(&b, ",\"read\":%s,\"write\":%s}", f->read ? "true" : "false",
				 f->write ? "true" : "false");
		} else {
			buf_addf(&b, "%-12s %s\n%-12s carries: %s\n", f->name, f->summary, "",
				 f->carries);
		}
	}
	if (json)
		buf_adds(&b, "]\n");
	fputs(b.data, stdout);
	buf_release(&b);
	return EXIT_OK;
}
