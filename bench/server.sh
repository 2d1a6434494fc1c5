#!/bin/sh
# bench/server.sh - `cairn serve` under wrk on loopback, each figure beside a
# baseline measured in the same run:
#   1. GET of an item's annotation (100 objects) at 64 connections, beside
#      nginx serving the same JSON bytes as a static file;
#   2. durable PUT of the same document at 64 connections (each on its own
#      item, If-Match from the previous answer), beside raw SQLite doing
#      transactions of the same size with the store's journal settings;
#   3. list and count endpoints with filters on a 1M-item project (cached
#      under build/bench-data/), p99 at 4 connections;
#   4. the server's memory (RSS) after start and after the load, beside
#      nginx's; start-up to the first 200 of /api/v1/health over 20 starts,
#      beside starting `true` and `sqlite3 DB 'select 1'`.
# Needs wrk and nginx (scripts/install-deps). Talks to 127.0.0.1 only and
# stops every process it starts. BENCH_SERVER_SECONDS (default 10) per wrk
# run, BENCH_SERVER_ITEMS (default 1000000) for the big project,
# BENCH_SERVER_ONLY=get, put or big to run only the GET figure (1), the PUT
# figure (2) or the 1M-item lists and counts (3); CAIRN_BIN to compare binaries;
# BENCH_SERVER_POOL=N to run the server with --threads N (its default: 8).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
for t in wrk nginx curl jq sqlite3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "server.sh: skipped: '$t' is not installed (run scripts/install-deps)"
		exit 0
	fi
done
make -s build/cairn build/bench/bench_server
CAIRN=${CAIRN_BIN:-$ROOT/build/cairn}
B=$ROOT/build/bench/bench_server
SECS=${BENCH_SERVER_SECONDS:-10}
NBIG=${BENCH_SERVER_ITEMS:-1000000}
ONLY=${BENCH_SERVER_ONLY:-}
POOL=${BENCH_SERVER_POOL:-}
CONNS=64
THREADS=$(nproc 2>/dev/null || echo 2)
[ "$THREADS" -gt 4 ] && THREADS=4
W=$ROOT/build/bench-server
NG=$ROOT/build/bench-nginx
BIG=$ROOT/build/bench-data/items-$NBIG

PIDS=""
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$W" "$NG"
mkdir -p "$W" "$NG/html" "$NG/tmp" "$(dirname "$BIG")"

# ---- helpers ----

# start_cairn DATA: runs the server on a free port; sets SPID and URL.
start_cairn() {
	: > "$W/serve.out"
	"$CAIRN" serve --data "$1" --listen 127.0.0.1:0 --quiet ${POOL:+--threads "$POOL"} \
		> "$W/serve.out" 2> "$W/serve.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
	i=0
	while ! grep -q 'listening on' "$W/serve.out"; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$SPID" 2>/dev/null; then
			echo "server.sh: the server did not start:" >&2
			cat "$W/serve.err" >&2
			exit 1
		fi
		sleep 0.05
	done
	URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$W/serve.out")
}

stop_cairn() {
	kill -TERM "$SPID"
	wait "$SPID" || { echo "server.sh: the server exited with $?" >&2; exit 1; }
	PIDS=$(echo "$PIDS" | sed "s/ $SPID\b//")
}

rss_mb() {
	awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# login DATA-DIR PASSWORD: sets TOKEN to a new API token of the admin.
login() {
	csrf=$(curl -sf -c "$W/cookies" -H 'Content-Type: application/json' \
		-d "{\"username\":\"admin\",\"password\":\"$1\"}" "$URL/api/v1/auth/login" |
		jq -r .csrf_token)
	TOKEN=$(curl -sf -b "$W/cookies" -H 'Content-Type: application/json' \
		-H "X-CSRF-Token: $csrf" -d '{"name":"bench"}' "$URL/api/v1/auth/tokens" | jq -r .token)
	[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || { echo "server.sh: no API token" >&2; exit 1; }
}

# run_wrk NAME CONNS SCRIPT URL: wrk for SECS seconds; sets RPS P50 P99 BAD ERRS N.
run_wrk() {
	t=$THREADS
	[ "$2" -lt "$t" ] && t=$2
	BENCH_THREADS=$t CAIRN_TOKEN=${TOKEN:-} wrk -t"$t" -c"$2" -d"${SECS}s" --latency \
		-s "$ROOT/bench/$3" "$4" > "$W/wrk-$1.txt" 2>&1 || {
		echo "server.sh: wrk failed:" >&2
		cat "$W/wrk-$1.txt" >&2
		exit 1
	}
	set -- $(grep '^RESULT' "$W/wrk-$1.txt")
	RPS=$2 P50=$3 P99=$4 BAD=$5 ERRS=$6 N=$7
}

ROWS=$W/rows.txt
: > "$ROWS"
# row FIGURE VALUE BASELINE-NAME BASELINE-VALUE RATIO GOAL
row() {
	printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$ROWS"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

echo "server.sh: $(nproc) CPUs, wrk -t$THREADS, ${SECS}s per run; the server and wrk share the CPUs;" \
	"load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# print_table: the figures so far, one row each.
print_table() {
	echo "server.sh: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

	awk -F'|' '
		{ for (i = 1; i <= 6; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END {
			h[1] = "figure"; h[2] = "cairn"; h[3] = "baseline"; h[4] = "baseline value"; h[5] = "ratio"; h[6] = "goal"
			for (i = 1; i <= 6; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
			for (i = 1; i <= 6; i++) printf "%-*s%s", w[i], h[i], i < 6 ? "  " : "\n"
			for (r = 1; r <= NR; r++)
				for (i = 1; i <= 6; i++) printf "%-*s%s", w[i], c[r, i], i < 6 ? "  " : "\n"
		}' "$ROWS"
}

# ---- 1 and 2: a small project, GET and PUT ----

if [ "$ONLY" != big ]; then

D=$W/data
PW=$("$CAIRN" init --data "$D" --json | jq -r .password)
"$CAIRN" project create bench --schema docs/examples/schema-demo.json --data "$D" > /dev/null
# A few more items than connections: wrk builds one request per thread that it
# never sends, and that item is then out of the rotation.
"$B" items "$D" bench $((CONNS + 8)) 0 2>/dev/null
"$B" doc 100 > "$W/doc.json"
start_cairn "$D"
RSS_START=$(rss_mb "$SPID")
login "$PW"
# Every item gets the document once (version 1); item 1's is what GET reads.
: > "$W/put-items.txt"
for id in $(sqlite3 "$D/cairn.db" 'SELECT id FROM items ORDER BY id'); do
	ann=$(curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		-H 'If-Match: "0"' --data-binary @"$W/doc.json" \
		"$URL/api/v1/items/$id/annotations/mine" | jq -r .id)
	echo "$id $ann 1" >> "$W/put-items.txt"
done
ITEM1=$(head -n 1 "$W/put-items.txt" | cut -d' ' -f1)
GET_PATH=/api/v1/items/$ITEM1/annotations/mine
curl -sf -H "Authorization: Bearer $TOKEN" -o "$NG/html/ann.json" "$URL$GET_PATH"
BYTES=$(wc -c < "$NG/html/ann.json")
chmod -R a+rX "$NG"

if [ "$ONLY" != put ]; then
NPORT=$("$B" port)
cat > "$NG/nginx.conf" <<EOF
# Generated by bench/server.sh: a loopback static server of the same bytes.
worker_processes auto;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	types { application/json json; }
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$NPORT;
		root $NG/html;
		location / { }
	}
}
EOF
nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" &
NPID=$!
PIDS="$PIDS $NPID"
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$NPORT/ann.json"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "server.sh: nginx did not start" >&2; cat "$NG/error.log" >&2; exit 1; }
	sleep 0.05
done
cmp -s "$NG/html/ann.json" "$W/ann-nginx.json" 2>/dev/null || curl -sf -o "$W/ann-nginx.json" "http://127.0.0.1:$NPORT/ann.json"
cmp "$NG/html/ann.json" "$W/ann-nginx.json"

run_wrk nginx $CONNS server_get.lua "http://127.0.0.1:$NPORT/ann.json"
NG_RPS=$RPS NG_P99=$P99
NG_RSS=0
for p in $(pgrep -P "$NPID") $NPID; do
	NG_RSS=$(awk -v a="$NG_RSS" -v b="$(rss_mb "$p")" 'BEGIN { printf "%.1f", a + b }')
done
kill -TERM "$NPID"
wait "$NPID" || true
PIDS=$(echo "$PIDS" | sed "s/ $NPID\b//")

run_wrk get $CONNS server_get.lua "$URL$GET_PATH"
[ "$BAD$ERRS" = 00 ] || echo "server.sh: GET: $BAD non-2xx, $ERRS socket errors" >&2
row "GET annotation ($BYTES B, 100 objects), 64 conns, req/s" "$RPS" "nginx static file" "$NG_RPS" "$(ratio "$RPS" "$NG_RPS")" ">= 0.50"
row "GET p99 ms" "$P99" "nginx p99 ms" "$NG_P99" "$(ratio "$P99" "$NG_P99")" "< 10 ms"
fi

if [ "$ONLY" = get ]; then
	stop_cairn
	print_table
	exit 0
fi

BEFORE=$(sqlite3 "$D/cairn.db" "SELECT sum(version) FROM annotations")
BENCH_PUT_DOC=$W/doc.json BENCH_PUT_ITEMS=$W/put-items.txt run_wrk put $CONNS server_put.lua "$URL"
AFTER=$(sqlite3 "$D/cairn.db" "SELECT sum(version) FROM annotations")
OK=$((N - BAD))
[ "$BAD$ERRS" = 00 ] || echo "server.sh: PUT: $BAD non-2xx, $ERRS socket errors" >&2
[ $((AFTER - BEFORE)) -ge "$OK" ] || {
	echo "server.sh: PUT: $OK saves acknowledged but only $((AFTER - BEFORE)) new versions" >&2
	exit 1
}
PUT_RPS=$RPS PUT_P99=$P99
SYNC=$(sed -n 's/.*PRAGMA synchronous=\([A-Z]*\).*/\1/p' src/store/store_sqlite.c | head -n 1)
BODY=$(sqlite3 "$D/cairn.db" "SELECT length(body) FROM annotation_history ORDER BY id DESC LIMIT 1")
CEIL=$("$B" ceiling "$W/ceiling.db" 1000 "$BODY" 100 "${SYNC:-FULL}")
SAVES=$("$B" saves "$D" bench 300)
row "PUT same document, durable, 64 conns, req/s ($OK acked, $((AFTER - BEFORE)) versions)" "$RPS" "raw SQLite tx ($BODY B row + 100 rows, WAL, sync=${SYNC:-FULL}, 1 thread)" "$CEIL" "$(ratio "$RPS" "$CEIL")" ">= 2000/s"
row "PUT p99 ms" "$PUT_P99" "ann_service_save loop (no HTTP, 1 thread), saves/s" "$SAVES" "$(ratio "$RPS" "$SAVES")" ""

if [ "$ONLY" = put ]; then
	stop_cairn
	print_table
	exit 0
fi
sleep 2
RSS_IDLE=$(rss_mb "$SPID")
stop_cairn

fi

# ---- 3: a project of NBIG items ----

if [ ! -f "$BIG/complete" ]; then
	echo "server.sh: making $NBIG items in $BIG (once; reused by later runs)"
	rm -rf "$BIG"
	"$CAIRN" init --data "$BIG" --json > "$W/init-big.json"
	jq -r .password "$W/init-big.json" > "$BIG/password"
	"$CAIRN" project create big --schema docs/examples/schema-demo.json --data "$BIG" > /dev/null
	"$B" items "$BIG" big "$NBIG" 10
	sqlite3 "$BIG/cairn.db" 'PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;' > /dev/null
	touch "$BIG/complete"
fi
start_cairn "$BIG"
RSS_BIG_START=$(rss_mb "$SPID")
login "$(cat "$BIG/password")"
P=$(sqlite3 "$BIG/cairn.db" "SELECT id FROM projects WHERE name = 'big'")
DEEP=$(sqlite3 "$BIG/cairn.db" "SELECT id FROM items WHERE project_id = $P ORDER BY id LIMIT 1 OFFSET $((NBIG * 9 / 10))")
LSECS=$SECS
[ "$LSECS" -gt 5 ] && LSECS=5
for q in \
	"list first page|items?limit=100" \
	"list status=annotated|items?status=annotated" \
	"list q=cam07 (search)|items?q=cam07" \
	"list q=0912345 (1 match)|items?q=0912345" \
	"list label=polygon|items?label=polygon" \
	"list after= 90% deep|items?after=$DEEP" \
	"list status+label+after|items?status=in_progress&label=rectangle&after=$DEEP" \
	"count all|items/count" \
	"count status=done|items/count?status=done" \
	"count q=cam07|items/count?q=cam07" \
	"count label=polygon|items/count?label=polygon" \
	"count split=val+status|items/count?split=val&status=new"; do
	name=${q%%|*}
	path=${q#*|}
	SECS=$LSECS run_wrk list 4 server_get.lua "$URL/api/v1/projects/$P/$path"
	[ "$BAD$ERRS" = 00 ] || echo "server.sh: $path: $BAD non-2xx, $ERRS socket errors" >&2
	row "$NBIG items: $name, 4 conns, p99 ms ($RPS req/s)" "$P99" "" "" "" "< 50 ms"
done
sleep 2
RSS_BIG_IDLE=$(rss_mb "$SPID")
stop_cairn
if [ "$ONLY" = big ]; then
	print_table
	exit 0
fi

# ---- 4: memory and start-up ----

row "RSS after start, MB (small / $NBIG-item db)" "$RSS_START / $RSS_BIG_START" "nginx after its run (all processes)" "$NG_RSS" "$(ratio "$RSS_START" "$NG_RSS")" "< 50 MB"
row "RSS after the load settles, MB (small / $NBIG-item db)" "$RSS_IDLE / $RSS_BIG_IDLE" "nginx after its run" "$NG_RSS" "$(ratio "$RSS_BIG_IDLE" "$NG_RSS")" "< 50 MB"
SP=$("$B" port)
set -- $("$B" start 20 "$SP" -- "$CAIRN" serve --data "$BIG" --listen "127.0.0.1:$SP" --quiet)
ST_MED=$2 ST_P90=$3 ST_MAX=$4
set -- $("$B" exit 20 -- true)
TRUE_MED=$2
set -- $("$B" exit 20 -- sqlite3 "$BIG/cairn.db" 'select 1')
SQL_MED=$2
row "start-up to first 200 /api/v1/health, ms (median, 20 starts, $NBIG-item db)" "$ST_MED (p90 $ST_P90, max $ST_MAX)" "sqlite3 DB 'select 1' / true" "$SQL_MED / $TRUE_MED" "$(ratio "$ST_MED" "$SQL_MED")" "< 100 ms"


# ---- the table ----

print_table
