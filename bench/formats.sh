#!/bin/sh
# COCO import and export speed and peak memory, each beside its baseline in
# the same run: import vs pycocotools' COCO(file) load; export vs cp of the
# file written. Usage: bench/formats.sh [IMAGES] [BOXES_PER_IMAGE]
# (defaults 100000 x 10 = 1M boxes). Needs build/cairn and
# build/bench/bench_formats_gen; pycocotools from $COCOAPI (default
# /tmp/cocoapi/PythonAPI) or skipped with a message.
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
measure() { # label, command...: prints seconds, CPU seconds (user + system) and peak RSS
	label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
		echo "  $label: failed: $(grep -v '^Command exited' "$T/err" | tail -1)"
		[ -n "${keep_going:-}" ] && return 1; exit 1; }
	read s u y kb < "$T/time"
	cpu=$(echo "$u + $y" | bc -l)
	printf '  %-34s %8.2f s  %8.2f s CPU  %8.1f MB peak\n' "$label" "$s" "$cpu" "$(echo "$kb / 1024" | bc -l)"
	last_s=$s; last_cpu=$cpu
}
$CAIRN init --data "$T/d" --admin admin </dev/null >/dev/null 2>&1
echo "import:"
measure "cairn import --no-media" $CAIRN import --data "$T/d" --project b --format coco --no-media --as gold "$T/in.json"
if PYTHONPATH=$COCOAPI /usr/bin/python3 -c "import pycocotools.coco" 2>/dev/null; then
	measure "pycocotools COCO(file) (baseline)" env PYTHONPATH=$COCOAPI /usr/bin/python3 -c "from pycocotools.coco import COCO; COCO('$T/in.json')"
else
	echo "  pycocotools COCO(file): skipped (no pycocotools at $COCOAPI)"
fi
echo "export:"
measure "cairn export" $CAIRN export --data "$T/d" --project b --format coco "$T/out"
measure "cp of the result (baseline)" cp "$T/out/annotations/instances.json" "$T/copy.json"
echo "  exported $(du -m "$T/out/annotations/instances.json" | cut -f1) MB"
[ -n "$BASELINE" ] || exit 0
echo "the same data in other formats, imported by $CAIRN and by $BASELINE (baseline):"
$BASELINE init --data "$T/base" --admin admin </dev/null >/dev/null 2>&1
for f in $FORMATS; do
	rm -rf "$T/fmt"
	$CAIRN export --data "$T/d" --project b --format "$f" "$T/fmt" >/dev/null 2>&1 || { echo "  $f: export failed"; continue; }
	keep_going=1
	measure "$f: cairn import" $CAIRN import --data "$T/d" --project "n-$f" --format "$f" --no-media "$T/fmt" || continue
	s1=$last_s; c1=$last_cpu
	measure "$f: baseline import" $BASELINE import --data "$T/base" --project "o-$f" --format "$f" --no-media "$T/fmt" || continue
	printf '  %-34s %8.2fx      %8.2fx CPU\n' "$f: baseline / cairn" "$(echo "$last_s / $s1" | bc -l)" "$(echo "$last_cpu / $c1" | bc -l)"
done
