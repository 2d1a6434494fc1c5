/*
 * cli.c - option parsing, data directory, errors and the progress bar that
 * every command in src/cli/ shares.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#include "base/banned.h"

static void print_usage(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "usage: cairn %s\n", cmd->usage);
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      const struct cli_opt *opts, int *npos, bool *done)
{
	int pos = 0;
	bool only_pos = false;
	*done = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == 0) {
			argv[pos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_usage(stdout, cmd);
			*done = true;
			return 0;
		}
		if (a[1] != '-')
			return cli_usage_error(cmd, "unknown option '%s'", a);
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct cli_opt *o = opts;
		for (; o && o->name; o++)
			if (strlen(o->name) == nlen && !strncmp(o->name, name, nlen))
				break;
		if (!o || !o->name)
			return cli_usage_error(cmd, "unknown option '--%.*s'", (int)nlen, name);
		if (o->has_arg) {
			const char *v;
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return cli_usage_error(cmd, "option '--%s' needs a value", o->name);
			*o->value = v;
		} else {
			if (eq)
				return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
			*o->flag = true;
		}
	}
	*npos = pos;
	return 0;
}

const char *cli_data_dir(const char *opt)
{
	if (opt && *opt)
		return opt;
	const char *env = getenv("CAIRN_DATA");
	if (env && *env)
		return env;
	return "./cairn-data";
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "cairn %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "cairn %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage(stderr, cmd);
	return EXIT_USAGE;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

const struct cli_cmd *cli_find(const char *name)
{
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->last_draw = 0;
	p->enabled = isatty(STDERR_FILENO) && !getenv("CAIRN_NO_PROGRESS");
}

static void progress_draw(struct progress *p)
{
	if (p->total) {
		int width = 30;
		int fill = (int)((double)p->done / (double)p->total * width);
		if (fill > width)
			fill = width;
		fprintf(stderr, "\r%s [%.*s%*s] %llu/%llu", p->what, fill,
			"##############################", width - fill, "",
			(unsigned long long)p->done, (unsigned long long)p->total);
	} else {
		fprintf(stderr, "\r%s %llu", p->what, (unsigned long long)p->done);
	}
	fflush(stderr);
}

void progress_update(struct progress *p, uint64_t done)
{
	p->done = done;
	if (!p->enabled)
		return;
	double t = now_s();
	if (t - p->last_draw < 0.1)
		return;
	p->last_draw = t;
	progress_draw(p);
}

void progress_finish(struct progress *p)
{
	if (!p->enabled)
		return;
	progress_draw(p);
	fputc('\n', stderr);
}

int cli_open_store(const char *cmd, const char *data_dir, struct store **out)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	struct stat sb;
	int rc = EXIT_OK;
	buf_addf(&path, "%s/cairn.db", data_dir);
	if (stat(path.data, &sb) != 0) {
		cli_error(cmd, "'%s' is not a cairn data directory (no cairn.db); "
			  "create it with 'cairn init --data %s'", data_dir, data_dir);
		rc = EXIT_FAIL;
	} else if (store_open(out, path.data, 0, &err)) {
		cli_error(cmd, "%s", err.data);
		rc = EXIT_FAIL;
	}
	buf_release(&path);
	buf_release(&err);
	return rc;
}

int cli_read_password_stdin(const char *cmd, struct buf *out)
{
	char line[2048];
	if (!fgets(line, sizeof(line), stdin)) {
		cli_error(cmd, "expected a password on standard input");
		return EXIT_FAIL;
	}
	size_t n = strcspn(line, "\r\n");
	buf_add(out, line, n);
	return EXIT_OK;
}
