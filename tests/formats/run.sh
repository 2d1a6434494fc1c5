#!/bin/sh
# Runs the data-driven format cases: tests/formats/<format>/<case>/ (see the
# README in each format folder), plus the Datumaro fixtures for COCO.
# Usage: tests/formats/run.sh [FORMAT...]  (from the repo root; needs build/cairn)
set -u
CAIRN=${CAIRN:-build/cairn}
FIX=../shared/fixtures/datumaro
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
formats=${*:-coco}
for f in $formats; do
	for c in tests/formats/$f/*/; do
		c=${c%/}; name=$(basename "$c")
		d=$T/$f-$name
		$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
		if [ -f "$c/expect_error" ]; then
			out=$($CAIRN import --data "$d" --project p --format "$f" --no-media "$c/input.json" 2>&1)
			rc=$?
			want=$(cat "$c/expect_error")
			if [ $rc -ne 1 ]; then bad "$f/$name: exit $rc, expected 1: $out"
			elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "$f/$name: got '$out', expected '$want'"
			else ok; fi
		else
			if ! $CAIRN import --data "$d" --project p --format "$f" --no-media "$c/input.json" >/dev/null 2>&1 ||
			   ! $CAIRN export --data "$d" --project p --format "$f" "$d/out" >/dev/null 2>&1; then
				bad "$f/$name: import or export failed"; continue
			fi
			if python3 tests/formats/compare_coco.py "$c/input.json" "$d/out/annotations/instances.json"; then ok
			else bad "$f/$name: round trip differs"; fi
		fi
	done
done
# The Datumaro COCO fixtures: facts from Datumaro's own tests, and round trips.
if [ -d "$FIX/coco_dataset" ]; then
	d=$T/datumaro
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	if $CAIRN import --data "$d" --project inst "$FIX/coco_dataset/coco_instances" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project inst --format coco "$d/inst" >/dev/null 2>&1; then
		python3 - "$d/inst/annotations/instances_val.json" <<'PY' && ok || bad "datumaro coco_instances facts"
import json, sys
d = json.load(open(sys.argv[1]))
im = d["images"][0]
assert (im["id"], im["width"], im["height"]) == (40, 5, 10), im
a = {x["id"]: x for x in d["annotations"]}
assert a[1]["segmentation"] == [[0, 0, 1, 0, 1, 2, 0, 2]] and a[1]["area"] == 2 and a[1]["bbox"] == [0, 0, 1, 2], a[1]
assert a[1]["attributes"] == {"x": 1, "y": "hello"}, a[1]
assert a[2]["iscrowd"] == 1 and a[2]["segmentation"] == {"size": [10, 5], "counts": [0, 20, 30]}, a[2]
assert a[2]["area"] == 20 and a[2]["bbox"] == [0, 0, 2, 10], a[2]
assert sorted(c["id"] for c in d["categories"]) == [1, 2, 4]
PY
		python3 tests/formats/compare_coco.py "$FIX/coco_dataset/coco_instances/annotations/instances_train.json" "$d/inst/annotations/instances_train.json" && ok || bad "datumaro instances_train round trip"
		python3 tests/formats/compare_coco.py "$FIX/coco_dataset/coco_instances/annotations/instances_val.json" "$d/inst/annotations/instances_val.json" && ok || bad "datumaro instances_val round trip"
	else bad "datumaro coco_instances import/export"; fi
	if $CAIRN import --data "$d" --project kp "$FIX/coco_dataset/coco_person_keypoints" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project kp --format coco "$d/kp" >/dev/null 2>&1; then
		python3 tests/formats/compare_coco.py --keypoints "$FIX/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json" "$d/kp/annotations/instances_val.json" && ok || bad "datumaro person_keypoints round trip"
	else bad "datumaro coco_person_keypoints import/export"; fi
fi
# cairn synth output (exact ground truth with masks, holes, keypoints) round-trips.
d=$T/synth
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$d/in" --images 12 --objects 10 --seed 4 --size 200x150 >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project syn "$d/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format coco "$d/out" >/dev/null 2>&1; then
	python3 tests/formats/compare_coco.py "$d/in/annotations/instances.json" "$d/out/annotations/instances.json" && ok || bad "synth round trip"
else bad "synth import/export"; fi
echo "formats: $pass passed, $fail failed"
[ $fail -eq 0 ]
