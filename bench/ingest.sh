#!/bin/sh
# bench/ingest.sh - `cairn ingest` throughput and memory on generated small
# images (80% JPEG, 20% PNG, 160x120, made by build/bench/bench_ingest with
# libvips; nothing downloaded). The image sets are cached under
# build/bench-data/ingest-N and reused (generating 100k takes minutes).
# For each size it prints images/s, CPU seconds and peak RSS beside the time
# to `cat` the same files in the same run (the ratio is the figure to compare
# across machines and loads), then the same ingest with --link (no copy)
# and, on the first size, with an fsync per file and with no sync at all.
# Ends with the peak RSS growth per file between the first and last size.
# Sizes: BENCH_INGEST_SIZES (default "10000 100000").
# Needs /usr/bin/time (Debian package `time`).
set -eu
cd "$(dirname "$0")/.."
sizes=${BENCH_INGEST_SIZES:-"10000 100000"}
B=${CAIRN_BIN:-build/cairn}   # CAIRN_BIN: another binary to compare
H=build/bench/bench_ingest
[ -x "$B" ] || make -s build/cairn
[ -x "$H" ] || make -s "$H"
if [ ! -x /usr/bin/time ]; then
	echo "ingest: /usr/bin/time is missing (apt-get install time); skipped"
	exit 0
fi
cache=build/bench-data
GEN=v2   # bump when bench_ingest's images change, so old caches are not reused
mkdir -p "$cache"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-ingest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export CAIRN_NO_PROGRESS=1
nrun=0

# run LABEL N SYNC [--link]: one timed ingest into a fresh data dir; prints its line.
# Data dirs are kept until the end: on ext4 without a journal, creating files
# right after deleting many scans the recently deleted inodes, which would
# charge one run for the clean-up of the one before.
run() {
	label=$1 n=$2 sync=$3
	shift 3
	nrun=$((nrun + 1))
	data="$tmp/data$nrun"
	"$H" init "$data"
	CAIRN_INGEST_SYNC=$sync /usr/bin/time -f 'wall %e user %U sys %S rss %M' "$B" ingest \
		--project bench --data "$data" --json "$@" "$img" > "$tmp/out.json" 2> "$tmp/time.txt" ||
		{ cat "$tmp/time.txt"; return 1; }
	set -- $(tail -n 1 "$tmp/time.txt")
	wall=$2 cpu=$(echo "$4 $6" | awk '{ print $1 + $2 }') rss=$8
	added=$(sed -n 's/.*"added":\([0-9]*\).*/\1/p' "$tmp/out.json")
	wait_w=$(sed -n 's/.*"writer_waiting":\([0-9.]*\).*/\1/p' "$tmp/out.json")
	idle=$(sed -n 's/.*"workers_idle":\([0-9.]*\).*/\1/p' "$tmp/out.json")
	awk -v l="$label" -v n="$n" -v w="$wall" -v r="$rss" -v c="$cat_s" -v a="$added" \
		-v cpu="$cpu" -v ww="$wait_w" -v wi="$idle" 'BEGIN { if (w < 0.01) w = 0.01
		printf "  %-24s %6d images %6.2f s = %5.0f images/s, %4.1fx cat; cpu %5.1f s; peak RSS %5.1f MB; writer waited %.1f s, workers idle %.1f s (added %d)\n",
			l, n, w, n / w, w / c, cpu, r / 1024, ww, wi, a }'
	last_rss=$rss
}

first=""
for n in $sizes; do
	img="$cache/ingest-$GEN-$n"
	if [ ! -d "$img" ]; then
		rm -rf "$cache/.gen-$GEN-$n"
		# The generator is deterministic: a bigger cached set's first folders are this set.
		big=$(ls -d "$cache/ingest-$GEN-"* 2>/dev/null | awk -F- -v n="$n" '$NF + 0 > n { print; exit }')
		if [ -n "$big" ] && [ $((n % 1000)) = 0 ]; then
			mkdir -p "$cache/.gen-$GEN-$n"
			i=0
			while [ $i -lt $((n / 1000)) ]; do
				cp -al "$big/$(printf d%03d $i)" "$cache/.gen-$GEN-$n/"
				i=$((i + 1))
			done
		else
			echo "ingest: generating $n images into $img (cached for later runs)..."
			"$H" gen "$cache/.gen-$GEN-$n" "$n"
		fi
		mv "$cache/.gen-$GEN-$n" "$img"
	fi
	mb=$(du -sm "$img" | cut -f1)
	# Baseline: read the same bytes (page cache warm, as for the ingest).
	find "$img" -type f -print0 | xargs -0 cat > /dev/null
	t0=$(date +%s.%N)
	find "$img" -type f -print0 | xargs -0 cat > /dev/null
	t1=$(date +%s.%N)
	cat_s=$(echo "$t0 $t1" | awk '{ d = $2 - $1; if (d < 0.001) d = 0.001; print d }')
	echo "ingest: $n images, $mb MB on disk; cat of the same files: ${cat_s}s" \
		"($(echo "$n $cat_s" | awk '{ printf "%.0f", $1 / $2 }') files/s); load $(cut -d' ' -f1 /proc/loadavg), $(nproc) CPUs"
	run "copy, syncfs per batch" "$n" batch
	copy_rss=$last_rss
	run "--link (no copy)" "$n" batch --link
	if [ -z "$first" ]; then
		run "copy, fsync per file" "$n" file
		run "copy, no sync" "$n" none
		first=$n first_rss=$copy_rss
	fi
	last_n=$n
	"$H" parts "$img" | sed 's/^/  /'
done
if [ "$last_n" != "$first" ]; then
	echo "$first $first_rss $last_n $copy_rss" | awk '{
		printf "ingest: peak RSS %.1f MB at %d files, %.1f MB at %d: %.0f bytes per added file\n",
			$2 / 1024, $1, $4 / 1024, $3, ($4 - $2) * 1024 / ($3 - $1) }'
fi
