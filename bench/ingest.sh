#!/bin/sh
# bench/ingest.sh - `cairn ingest` throughput and memory on generated small
# images (80% JPEG, 20% PNG, 160x120, made by build/bench/bench_ingest with
# libvips; nothing downloaded). For each size it prints images/s and peak
# RSS beside the time to `cat` the same bytes in the same run (the ratio is
# the figure to compare across machines), then the same ingest with --link
# (no copy) and, on the first size, with an fsync per file instead of one
# syncfs per 1000-file batch. Sizes: BENCH_INGEST_SIZES (default "10000 100000").
# Needs /usr/bin/time (Debian package `time`).
set -eu
cd "$(dirname "$0")/.."
sizes=${BENCH_INGEST_SIZES:-"10000 100000"}
B=build/cairn
H=build/bench/bench_ingest
[ -x "$B" ] || make -s build/cairn
[ -x "$H" ] || make -s "$H"
if [ ! -x /usr/bin/time ]; then
	echo "ingest: /usr/bin/time is missing (apt-get install time); skipped"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-ingest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export CAIRN_NO_PROGRESS=1

# run LABEL N SYNC [--link]: one timed ingest into a fresh data dir; prints its line.
run() {
	label=$1 n=$2 sync=$3
	shift 3
	data="$tmp/data"
	rm -rf "$data"
	"$H" init "$data"
	CAIRN_INGEST_SYNC=$sync /usr/bin/time -v "$B" ingest --project bench --data "$data" --json "$@" "$img" \
		> "$tmp/out.json" 2> "$tmp/time.txt" || { cat "$tmp/time.txt"; return 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
	added=$(sed -n 's/.*"added":\([0-9]*\).*/\1/p' "$tmp/out.json")
	awk -v l="$label" -v n="$n" -v w="$wall" -v r="$rss" -v c="$cat_s" -v a="$added" 'BEGIN {
		printf "  %-28s %7d images in %6.2f s = %6.0f images/s, peak RSS %5.1f MB, %5.1fx the cat time (added %d)\n",
			l, n, w, n / w, r / 1024, w / c, a }'
}

for n in $sizes; do
	img="$tmp/img$n"
	mkdir -p "$img"
	echo "ingest: generating $n images..."
	"$H" gen "$img" "$n"
	bytes=$(du -sk "$img" | cut -f1)
	# Baseline: read the same bytes (page cache warm, as for the ingest).
	find "$img" -type f -print0 | xargs -0 cat > /dev/null
	t0=$(date +%s.%N)
	find "$img" -type f -print0 | xargs -0 cat > /dev/null
	t1=$(date +%s.%N)
	cat_s=$(echo "$t0 $t1" | awk '{ d = $2 - $1; if (d < 0.001) d = 0.001; print d }')
	echo "ingest: $n images, $((bytes / 1024)) MB; cat of the same files: ${cat_s}s"
	run "copy, syncfs per batch" "$n" batch
	run "--link (no copy)" "$n" batch --link
	if [ "$n" = "$(echo $sizes | cut -d' ' -f1)" ]; then
		run "copy, fsync per file" "$n" file
		run "copy, no sync" "$n" none
	fi
	"$H" parts "$img" | sed 's/^/  /'
	rm -rf "$img" "$tmp/data"
done
