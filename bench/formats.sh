#!/bin/sh
# COCO import and export speed and peak memory, each beside its baseline in
# the same run: import vs pycocotools' COCO(file) load; export vs cp of the
# file written. Usage: bench/formats.sh [IMAGES] [BOXES_PER_IMAGE]
# (defaults 100000 x 10 = 1M boxes). Needs build/cairn and
# build/bench/bench_formats_gen; pycocotools from $COCOAPI (default
# /tmp/cocoapi/PythonAPI) or skipped with a message.
set -eu
N=${1:-100000}; K=${2:-10}
CAIRN=${CAIRN:-build/cairn}
GEN=build/bench/bench_formats_gen
COCOAPI=${COCOAPI:-/tmp/cocoapi/PythonAPI}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
$GEN "$T/in.json" "$N" "$K"
echo "input: $N images x $K boxes, $(du -m "$T/in.json" | cut -f1) MB (annotations before images)"
measure() { # label, command...: prints seconds and peak RSS
	label=$1; shift
	/usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
	read s kb < "$T/time"
	printf '  %-34s %8.2f s  %8.1f MB peak\n' "$label" "$s" "$(echo "$kb / 1024" | bc -l)"
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
