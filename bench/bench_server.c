/*
 * bench_server.c - helper of bench/server.sh:
 *   bench_server doc N                 print an N-object annotation document of
 *                                      the demo schema (640x480 image) on stdout
 *   bench_server items DATA PROJECT N EVERY
 *                                      add N image items (no media: list and
 *                                      count need none) straight through the
 *                                      store, and a small annotation by the
 *                                      admin on every EVERY-th (0: none)
 *   bench_server ceiling DB OPS BYTES OBJS SYNC
 *                                      raw SQLite: OPS transactions, each one
 *                                      BYTES-byte row plus OBJS small rows and a
 *                                      COMMIT, WAL with synchronous=SYNC; prints
 *                                      commits per second
 *   bench_server saves DATA PROJECT N  save the 100-object document N times as
 *                                      new versions of one annotation through
 *                                      ann_service_save (the server's save path
 *                                      without HTTP), one thread; prints saves/s
 *   bench_server start RUNS PORT -- CMD...
 *                                      RUNS times: start CMD and time until
 *                                      GET /api/v1/health on 127.0.0.1:PORT
 *                                      answers 200; then SIGTERM it
 *   bench_server exit RUNS -- CMD...   RUNS times: time CMD from spawn to exit
 *   bench_server port                  print a free TCP port of 127.0.0.1
 * The timings print as "min median p90 max" in milliseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"
#include "workflow/ann_service.h"

#include "base/banned.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long arg_long(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "bench_server: %s must be a whole number, not '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* A small deterministic generator: the same documents every run. */
static unsigned long long rng_state = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *const colors[] = {"red", "green", "blue", "yellow", "cyan",
				     "magenta", "orange", "purple", "white", "black"};

/* One object of the demo schema; i picks its kind and names it. */
static void add_object(struct buf *b, int i, bool first)
{
	double x = 10 + rnd(500), y = 10 + rnd(360), w = 20 + rnd(100), h = 20 + rnd(100);
	const char *color = colors[rnd(10)];
	buf_addf(b, "%s{\"id\":\"o%d\",", first ? "" : ",", i);
	switch (i % 10) {
	case 0: case 1: case 2: case 3:
		buf_addf(b, "\"label\":\"rectangle\",\"type\":\"box\",\"points\":[%.1f,%.1f,%.1f,%.1f],"
			 "\"attributes\":{\"color\":\"%s\"}", x, y, x + w, y + h, color);
		break;
	case 4: case 5:
		buf_addf(b, "\"label\":\"ellipse\",\"type\":\"ellipse\",\"points\":[%.1f,%.1f,%.1f,%.1f,%d],"
			 "\"attributes\":{\"color\":\"%s\",\"occluded\":true}", x + w / 2, y + h / 2,
			 w / 2, h / 2, (int)rnd(90), color);
		break;
	case 6: case 7:
		buf_addf(b, "\"label\":\"polygon\",\"type\":\"polygon\",\"points\":[");
		for (int k = 0; k < 8; k++) {
			double a = k * 0.785398, r = 0.5 + rnd(50) / 100.0;
			double px = x + w / 2 + w / 2 * r * __builtin_cos(a);
			double py = y + h / 2 + h / 2 * r * __builtin_sin(a);
			buf_addf(b, "%s%.1f,%.1f", k ? "," : "", px, py);
		}
		buf_addf(b, "],\"attributes\":{\"color\":\"%s\"},\"z_order\":%d", color, i);
		break;
	case 8:
		buf_addf(b, "\"label\":\"line\",\"type\":\"polyline\",\"points\":[%.1f,%.1f,%.1f,%.1f,"
			 "%.1f,%.1f],\"attributes\":{\"color\":\"%s\"}", x, y, x + w / 2, y + h, x + w,
			 y + h / 3, color);
		break;
	default:
		buf_addf(b, "\"label\":\"person\",\"type\":\"box\",\"points\":[%.1f,%.1f,%.1f,%.1f],"
			 "\"attributes\":{\"pose\":\"walking\"}", x, y, x + w / 2, y + h);
		break;
	}
	buf_addch(b, '}');
}

static void make_doc(struct buf *b, int n)
{
	buf_adds(b, "{\"format\":1,\"objects\":[");
	for (int i = 0; i < n; i++)
		add_object(b, i, i == 0);
	buf_adds(b, "]}");
}

static int cmd_doc(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: bench_server doc N\n");
		return 2;
	}
	struct buf b = BUF_INIT;
	make_doc(&b, (int)arg_long(argv[0], "N"));
	fwrite(b.data, 1, b.len, stdout);
	putchar('\n');
	buf_release(&b);
	return 0;
}

static const char *const weathers[] = {"sun", "rain", "fog", "snow"};
static const char *const scenes[] = {"street", "park", "highway", "harbour", "market",
				     "station", "campus", "forest"};

static int cmd_items(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_server items DATA PROJECT N EVERY\n");
		return 2;
	}
	long n = arg_long(argv[2], "N"), every = arg_long(argv[3], "EVERY");
	struct buf path = BUF_INIT, err = BUF_INIT, name = BUF_INIT, meta = BUF_INIT, doc = BUF_INIT;
	buf_addf(&path, "%s/cairn.db", argv[0]);
	struct store *st;
	struct project pr;
	struct user admin;
	char *pw = NULL;
	int rc = store_open(&st, path.data, 0, &err);
	if (rc) {
		fprintf(stderr, "bench_server: %s\n", err.data);
		return 1;
	}
	if ((rc = store_project_get(st, argv[1], &pr, &err)) ||
	    (rc = store_user_get(st, "admin", &admin, &pw, &err))) {
		fprintf(stderr, "bench_server: %s\n", err.data);
		store_close(st);
		return 1;
	}
	free(pw);
	double t0 = now_ms();
	long added = 0, annotated = 0;
	for (long i = 0; i < n && !rc; i++) {
		if (i % 20000 == 0 && (rc = store_begin(st, &err)))
			break;
		struct item it;
		memset(&it, 0, sizeof(it));
		buf_reset(&name);
		buf_reset(&meta);
		buf_addf(&name, "cam%02ld/%07ld.jpg", i % 20, i);
		buf_addf(&meta, "{\"camera\":\"cam%02ld\",\"weather\":\"%s\",\"scene\":\"%s\"}", i % 20,
			 weathers[(i / 7) % 4], scenes[(i / 3) % 8]);
		it.project_id = pr.id;
		it.kind = ITEM_IMAGE;
		it.name = name.data;
		snprintf(it.hash, sizeof(it.hash), "%016lx%048lx", (unsigned long)pr.id,
			 (unsigned long)i);
		it.size = 50000 + i % 1000;
		it.width = 640;
		it.height = 480;
		it.mime = "image/jpeg";
		it.source_group = name.data;
		it.meta = meta.data;
		static const char *const splits[] = {"train", "train", "train", "val", "test"};
		it.split = (char *)splits[i % 5];
		/* new 50%, in progress 20%, annotated 20%, done 10% */
		static const enum item_status sts[] = {ITEM_NEW, ITEM_NEW, ITEM_NEW, ITEM_NEW,
						       ITEM_NEW, ITEM_IN_PROGRESS, ITEM_IN_PROGRESS,
						       ITEM_ANNOTATED, ITEM_ANNOTATED, ITEM_DONE};
		it.status = sts[(i * 7) % 10];
		int64_t id;
		rc = store_item_add(st, &it, &id, &err);
		if (rc == CAIRN_EEXIST) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		added++;
		if (every && i % every == 0) {
			/* 1 to 3 objects; the label rotates so each label filter has
			 * matches spread over the whole list. */
			buf_reset(&doc);
			buf_adds(&doc, "{\"format\":1,\"objects\":[");
			int nobj = 1 + (int)(i / every) % 3;
			for (int k = 0; k < nobj; k++)
				add_object(&doc, (int)((i / every + (long)k * 3) % 10) + k * 10, k == 0);
			buf_adds(&doc, "]}");
			struct ann_save in = {
				.project_id = pr.id, .item_id = id, .width = 640, .height = 480,
				.key = {.item_id = id, .kind = ANN_MANUAL, .user_id = admin.id, .source = ""},
				.json = doc.data, .len = doc.len, .status = "draft", .user_id = admin.id,
			};
			struct ann_saved out;
			rc = ann_service_save(st, &in, &out, &err);
			ann_saved_release(&out);
			if (rc)
				break;
			annotated++;
		}
		if ((i + 1) % 20000 == 0 || i + 1 == n) {
			if ((rc = store_commit(st, &err)))
				break;
			if (isatty(2))
				fprintf(stderr, "\rbench_server: %ld items", i + 1);
		}
	}
	if (rc) {
		store_rollback(st);
		fprintf(stderr, "\nbench_server: %s\n", err.data);
	} else {
		fprintf(stderr, "%sbench_server: %ld items, %ld annotated, in %.1f s\n",
			isatty(2) ? "\n" : "", added, annotated, (now_ms() - t0) / 1e3);
	}
	project_release(&pr);
	user_release(&admin);
	store_close(st);
	buf_release(&path);
	buf_release(&err);
	buf_release(&name);
	buf_release(&meta);
	buf_release(&doc);
	return rc ? 1 : 0;
}

static int cmd_saves(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_server saves DATA PROJECT N\n");
		return 2;
	}
	long n = arg_long(argv[2], "N");
	struct buf path = BUF_INIT, err = BUF_INIT, doc = BUF_INIT;
	buf_addf(&path, "%s/cairn.db", argv[0]);
	struct store *st;
	struct project pr;
	struct user admin;
	char *pw = NULL;
	int rc = store_open(&st, path.data, 0, &err);
	if (rc || (rc = store_project_get(st, argv[1], &pr, &err)) ||
	    (rc = store_user_get(st, "admin", &admin, &pw, &err))) {
		fprintf(stderr, "bench_server: %s\n", err.data);
		return 1;
	}
	free(pw);
	struct item it;
	memset(&it, 0, sizeof(it));
	it.project_id = pr.id;
	it.kind = ITEM_IMAGE;
	it.name = "saves.jpg";
	snprintf(it.hash, sizeof(it.hash), "%064d", 5);
	it.width = 640;
	it.height = 480;
	int64_t id;
	rc = store_item_add(st, &it, &id, &err);
	if (rc && rc != CAIRN_EEXIST) {
		fprintf(stderr, "bench_server: %s\n", err.data);
		return 1;
	}
	rc = 0;
	make_doc(&doc, 100);
	struct ann_save in = {
		.project_id = pr.id, .item_id = id, .width = 640, .height = 480,
		.key = {.item_id = id, .kind = ANN_MANUAL, .user_id = admin.id, .source = ""},
		.json = doc.data, .len = doc.len, .status = "draft", .user_id = admin.id,
	};
	struct annotation cur;
	if (store_annotation_find(st, &in.key, &cur, NULL) == 0) {
		in.expected_version = cur.version;
		annotation_release(&cur);
	}
	double t0 = now_ms();
	for (long i = 0; i < n && !rc; i++) {
		struct ann_saved out;
		rc = ann_service_save(st, &in, &out, &err);
		in.expected_version = out.version;
		ann_saved_release(&out);
	}
	double ms = now_ms() - t0;
	if (rc)
		fprintf(stderr, "bench_server: %s\n", err.data);
	else
		printf("%.0f\n", (double)n / (ms / 1e3));
	project_release(&pr);
	user_release(&admin);
	store_close(st);
	buf_release(&path);
	buf_release(&err);
	buf_release(&doc);
	return rc ? 1 : 0;
}

static int sql(sqlite3 *db, const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_server: %s: %s\n", s, msg ? msg : "?");
		sqlite3_free(msg);
		return 1;
	}
	return 0;
}

/*
 * The durable-write ceiling: what SQLite itself does with one transaction
 * of the size of a save (the document's bytes in one row, one small row
 * per object) and the same journal settings as the store, on one thread.
 */
static int cmd_ceiling(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: bench_server ceiling DB OPS BYTES OBJS SYNC\n");
		return 2;
	}
	long ops = arg_long(argv[1], "OPS"), bytes = arg_long(argv[2], "BYTES");
	long objs = arg_long(argv[3], "OBJS");
	unlink(argv[0]);
	sqlite3 *db;
	if (sqlite3_open(argv[0], &db) != SQLITE_OK)
		return 1;
	char pragma[128];
	snprintf(pragma, sizeof(pragma), "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s", argv[4]);
	if (sql(db, pragma) ||
	    sql(db, "CREATE TABLE h(id INTEGER PRIMARY KEY, v INTEGER, body TEXT);"
		    "CREATE TABLE o(id INTEGER PRIMARY KEY, h INTEGER, label INTEGER, x0 REAL, y0 REAL,"
		    " x1 REAL, y1 REAL, geometry BLOB); CREATE INDEX o_h ON o(h);"))
		return 1;
	char *body = malloc((size_t)bytes + 1);
	memset(body, 'x', (size_t)bytes);
	body[bytes] = 0;
	sqlite3_stmt *ih, *io;
	sqlite3_prepare_v2(db, "INSERT INTO h(v, body) VALUES (?1, ?2)", -1, &ih, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO o(h, label, x0, y0, x1, y1, geometry) VALUES "
			   "(?1, ?2, 1, 2, 3, 4, ?3)", -1, &io, NULL);
	double geom[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	double t0 = now_ms();
	for (long i = 0; i < ops; i++) {
		if (sql(db, "BEGIN IMMEDIATE"))
			return 1;
		sqlite3_bind_int64(ih, 1, i);
		sqlite3_bind_text(ih, 2, body, (int)bytes, SQLITE_STATIC);
		sqlite3_step(ih);
		sqlite3_reset(ih);
		int64_t h = sqlite3_last_insert_rowid(db);
		for (long k = 0; k < objs; k++) {
			sqlite3_bind_int64(io, 1, h);
			sqlite3_bind_int64(io, 2, k % 5);
			sqlite3_bind_blob(io, 3, geom, sizeof(geom), SQLITE_STATIC);
			sqlite3_step(io);
			sqlite3_reset(io);
		}
		if (sql(db, "COMMIT"))
			return 1;
	}
	double ms = now_ms() - t0;
	printf("%.0f\n", (double)ops / (ms / 1e3));
	sqlite3_finalize(ih);
	sqlite3_finalize(io);
	sqlite3_close(db);
	free(body);
	unlink(argv[0]);
	char side[4096];
	snprintf(side, sizeof(side), "%s-wal", argv[0]);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", argv[0]);
	unlink(side);
	return 0;
}

static pid_t spawn(char **cmd, bool quiet)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet) {
			FILE *f = freopen("/dev/null", "w", stdout);
			(void)f;
		}
		execvp(cmd[0], cmd);
		_exit(127);
	}
	return pid;
}

/* One GET /api/v1/health; true on a 200. */
static bool health_ok(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = false;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		static const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					  "Connection: close\r\n\r\n";
		if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
			char resp[32] = {0};
			size_t got = 0;
			while (got < 12) {
				ssize_t r = read(fd, resp + got, sizeof(resp) - 1 - got);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
			ok = got >= 12 && !strncmp(resp, "HTTP/1.1 200", 12);
		}
	}
	close(fd);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("%.2f %.2f %.2f %.2f\n", ms[0], ms[n / 2], ms[(n * 9 + 9) / 10 - 1], ms[n - 1]);
}

static int cmd_start(int argc, char **argv, bool server)
{
	int need = server ? 3 : 2;
	if (argc < need + 1 || strcmp(argv[need - 1], "--")) {
		fprintf(stderr, "usage: bench_server start RUNS PORT -- CMD... | exit RUNS -- CMD...\n");
		return 2;
	}
	int runs = (int)arg_long(argv[0], "RUNS");
	int port = server ? (int)arg_long(argv[1], "PORT") : 0;
	char **cmd = argv + need;
	double *ms = calloc((size_t)runs + 1, sizeof(*ms));
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		pid_t pid = spawn(cmd, true);
		if (pid < 0)
			return 1;
		int status;
		if (!server) {
			waitpid(pid, &status, 0);
			ms[r] = now_ms() - t0;
			continue;
		}
		bool up = false;
		while (!up && now_ms() - t0 < 10000) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				fprintf(stderr, "bench_server: the server exited before answering\n");
				return 1;
			}
			up = health_ok(port);
			if (!up) {
				struct timespec ts = {0, 200 * 1000};
				nanosleep(&ts, NULL);
			}
		}
		ms[r] = now_ms() - t0;
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		if (!up) {
			fprintf(stderr, "bench_server: no answer from port %d in 10 s\n", port);
			return 1;
		}
	}
	report(ms, runs);
	free(ms);
	return 0;
}

static int cmd_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return 1;
	printf("%u\n", (unsigned)ntohs(a.sin_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_server doc|items|ceiling|start|exit ...\n");
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "doc"))
		return cmd_doc(argc - 2, argv + 2);
	if (!strcmp(c, "items"))
		return cmd_items(argc - 2, argv + 2);
	if (!strcmp(c, "ceiling"))
		return cmd_ceiling(argc - 2, argv + 2);
	if (!strcmp(c, "saves"))
		return cmd_saves(argc - 2, argv + 2);
	if (!strcmp(c, "start"))
		return cmd_start(argc - 2, argv + 2, true);
	if (!strcmp(c, "port"))
		return cmd_port();
	if (!strcmp(c, "exit"))
		return cmd_start(argc - 2, argv + 2, false);
	fprintf(stderr, "bench_server: unknown command '%s'\n", c);
	return 2;
}
