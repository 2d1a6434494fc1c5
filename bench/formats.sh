#!/bin/sh
# COCO import, the exports and the converts: speed and peak memory, each
# beside its baseline in the same run. Import vs pycocotools' COCO(file)
# load; each export (coco, yolo, voc, cvat) and each convert (coco -> yolo,
# coco -> voc) vs a plain `cp -r` of the bytes it wrote. Times are wall
# seconds and CPU seconds (user + sys, steadier on a loaded machine); the
# ratio is cairn / cp for each. Usage: bench/formats.sh [IMAGES]
# [BOXES_PER_IMAGE] (defaults 100000 x 10 = 1M boxes). Needs build/cairn and
# build/bench/bench_formats_gen; pycocotools from $COCOAPI (default
# /tmp/cocoapi/PythonAPI) or skipped with a message. FORMATS_BENCH_SKIP_IMPORT_BASELINE=1
# skips pycocotools. FORMATS_BENCH_IMPORT_ONLY=1 stops after the import and
# its baseline (and BASELINE's import of the same file, when given).
# With BASELINE=/path/to/an/older/cairn the same data is also exported as
# coco, cvat, voc, labelstudio and mot (FORMATS overrides the list) and each
# is imported by both binaries, printed side by side with the ratio.
# Figures and how to read them: docs/formats/speed.md.
set -eu
N=${1:-100000}; K=${2:-10}
CAIRN=${CAIRN:-build/cairn}
GEN=build/bench/bench_formats_gen
COCOAPI=${COCOAPI:-/tmp/cocoapi/PythonAPI}
BASELINE=${BASELINE:-}
# (yolo is not in the default list: its labels carry no image size, so it
# cannot be imported without its images, and this data has none.)
FORMATS=${FORMATS:-coco cvat voc labelstudio mot}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
$GEN "$T/in.json" "$N" "$K"
echo "input: $N images x $K boxes, $(du -m "$T/in.json" | cut -f1) MB (annotations before images)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # label, command...: prints wall and CPU seconds and peak RSS; sets S C
	label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
		echo "  $label: failed: $(grep -v '^Command exited' "$T/err" | tail -1)"
		[ -n "${keep_going:-}" ] && return 1; exit 1; }
	read s u y kb < "$T/time"
	S=$s; C=$(echo "$u + $y" | bc -l)
	printf '  %-36s %7.2f s  cpu %7.2f s  %8.1f MB peak\n' "$label" "$s" "$C" "$(echo "$kb / 1024" | bc -l)"
}
ratio() { # cairn wall, cairn cpu, cp wall, cp cpu
	printf '  %-36s %7.1fx wall     %7.1fx cpu\n' "ratio to cp" \
		"$(echo "$1 / ($3 + 0.001)" | bc -l)" "$(echo "$2 / ($4 + 0.001)" | bc -l)"
}
$CAIRN init --data "$T/d" --admin admin </dev/null >/dev/null 2>&1
echo "import:"
measure "cairn import --no-media" $CAIRN import --data "$T/d" --project b --format coco --no-media --as gold "$T/in.json"
if [ -z "${FORMATS_BENCH_SKIP_IMPORT_BASELINE:-}" ] &&
   PYTHONPATH=$COCOAPI /usr/bin/python3 -c "import pycocotools.coco" 2>/dev/null; then
	measure "pycocotools COCO(file) (baseline)" env PYTHONPATH=$COCOAPI /usr/bin/python3 -c "from pycocotools.coco import COCO; COCO('$T/in.json')"
else
	echo "  pycocotools COCO(file): skipped (no pycocotools at $COCOAPI)"
fi
if [ -n "${FORMATS_BENCH_IMPORT_ONLY:-}" ]; then
	[ -n "$BASELINE" ] || exit 0
	$BASELINE init --data "$T/base" --admin admin </dev/null >/dev/null 2>&1
	measure "$BASELINE import --no-media (older)" $BASELINE import --data "$T/base" --project b --format coco --no-media --as gold "$T/in.json"
	exit 0
fi
for f in coco yolo voc cvat; do
	echo "export $f:"
	measure "cairn export --format $f" $CAIRN export --data "$T/d" --project b --format $f "$T/out-$f"
	s1=$S; c1=$C
	sync
	measure "cp -r of the result (baseline)" cp -r "$T/out-$f" "$T/copy-$f"
	ratio "$s1" "$c1" "$S" "$C"
	echo "  wrote $(du -sm "$T/out-$f" | cut -f1) MB in $(find "$T/out-$f" -type f | wc -l) files"
	rm -rf "$T/out-$f" "$T/copy-$f"
done
for f in yolo voc; do
	echo "convert coco -> $f:"
	measure "cairn convert --from coco --to $f" $CAIRN convert --from coco --to $f "$T/in.json" "$T/conv-$f"
	s1=$S; c1=$C
	sync
	measure "cp -r of the result (baseline)" cp -r "$T/conv-$f" "$T/copy-$f"
	ratio "$s1" "$c1" "$S" "$C"
	echo "  wrote $(du -sm "$T/conv-$f" | cut -f1) MB in $(find "$T/conv-$f" -type f | wc -l) files"
	rm -rf "$T/conv-$f" "$T/copy-$f"
done
[ -n "$BASELINE" ] || exit 0
echo "the same data in other formats, imported by $CAIRN and by $BASELINE (baseline):"
$BASELINE init --data "$T/base" --admin admin </dev/null >/dev/null 2>&1
for f in $FORMATS; do
	rm -rf "$T/fmt"
	$CAIRN export --data "$T/d" --project b --format "$f" "$T/fmt" >/dev/null 2>&1 || { echo "  $f: export failed"; continue; }
	keep_going=1
	measure "$f: cairn import" $CAIRN import --data "$T/d" --project "n-$f" --format "$f" --no-media "$T/fmt" || continue
	s1=$S; c1=$C
	measure "$f: baseline import" $BASELINE import --data "$T/base" --project "o-$f" --format "$f" --no-media "$T/fmt" || continue
	printf '  %-34s %8.2fx      %8.2fx CPU\n' "$f: baseline / cairn" "$(echo "$S / $s1" | bc -l)" "$(echo "$C / $c1" | bc -l)"
done
