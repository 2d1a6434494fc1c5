#!/bin/sh
# Runs the data-driven format cases: tests/formats/<format>/<case>/ (see the
# README in each format folder), plus the Datumaro fixtures for COCO and YOLO.
# A case's input is input.json, or the folder input/ (YOLO datasets);
# optional import_args and export_args files hold extra arguments (a later
# --format wins), and schema.json makes the project with that schema first.
# Usage: tests/formats/run.sh [FORMAT...]  (from the repo root; needs build/cairn)
set -u
CAIRN=${CAIRN:-build/cairn}
FIX=../shared/fixtures/datumaro
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
formats=${*:-coco yolo}
for f in $formats; do
	for c in tests/formats/$f/*/; do
		c=${c%/}; name=$(basename "$c")
		d=$T/$f-$name
		in=$c/input.json; [ -e "$in" ] || in=$c/input
		$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
		if [ -f "$c/expect_error" ]; then
			out=$($CAIRN import --data "$d" --project p --format "$f" --no-media "$in" 2>&1)
			rc=$?
			want=$(cat "$c/expect_error")
			if [ $rc -ne 1 ]; then bad "$f/$name: exit $rc, expected 1: $out"
			elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "$f/$name: got '$out', expected '$want'"
			else ok; fi
		else
			[ -f "$c/schema.json" ] && $CAIRN project create p --schema "$c/schema.json" --data "$d" >/dev/null 2>&1
			if ! $CAIRN import --data "$d" --project p --format "$f" $(cat "$c/import_args" 2>/dev/null) --no-media "$in" >/dev/null 2>&1 ||
			   ! $CAIRN export --data "$d" --project p --format "$f" $(cat "$c/export_args" 2>/dev/null) "$d/out" >/dev/null 2>&1; then
				bad "$f/$name: import or export failed"; continue
			fi
			if [ "$f" = yolo ]; then python3 tests/formats/compare_yolo.py "$in" "$d/out"
			else python3 tests/formats/compare_coco.py "$c/input.json" "$d/out/annotations/instances.json"
			fi && ok || bad "$f/$name: round trip differs"
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
# The Datumaro YOLO fixtures (three layouts): class 2 at x=0 y=2 w=4 h=2 on a 15x10 image, round trips.
if [ -d "$FIX/yolo_dataset" ]; then
	d=$T/dyolo
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	for l in strict labels annotations; do
		if $CAIRN import --data "$d" --project "y$l" --format yolo --no-media "$FIX/yolo_dataset/$l" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project "y$l" --format yolo "$d/y$l" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project "y$l" --format coco "$d/c$l" >/dev/null 2>&1; then
			python3 tests/formats/compare_yolo.py "$FIX/yolo_dataset/$l" "$d/y$l" && ok || bad "datumaro yolo $l round trip"
			python3 - "$d/c$l/annotations" <<'PY' && ok || bad "datumaro yolo $l facts"
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    d = json.load(open(f))
    assert [(i["width"], i["height"]) for i in d["images"]] == [(15, 10)], d["images"]
    cats = {c["id"]: c["name"] for c in d["categories"]}
    a = sorted((cats[x["category_id"]], x["bbox"]) for x in d["annotations"])
    want = [("label_2", [0, 2, 4, 2]), ("label_4", [3, 3, 2, 3])]
    assert [n for n, _ in a] == [n for n, _ in want], a
    assert all(abs(u - v) < 1e-4 for (_, p), (_, q) in zip(a, want) for u, v in zip(p, q)), a
PY
		else bad "datumaro yolo $l import/export"; fi
	done
fi
# cairn synth COCO -> YOLO (with media) -> Cairn -> COCO keeps every shape's box within 1e-6 px.
d=$T/synth-yolo
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$d/in" --images 12 --objects 10 --seed 5 --size 200x150 >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project syn "$d/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format coco "$d/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format yolo --include-media "$d/y" >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project back --format yolo "$d/y" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project back --format coco "$d/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_yolo_boxes.py "$d/c1/annotations/instances.json" "$d/c2/annotations/instances_train.json" && ok || bad "synth coco -> yolo -> cairn boxes"
else bad "synth coco -> yolo -> cairn import/export"; fi
# Each further format's checks: tests/formats/check-<format>.sh, sourced
# here; they use ok, bad, $CAIRN, $T (a temporary folder) and $FIX.
for s in tests/formats/check-*.sh; do
	[ -f "$s" ] && . "./$s"
done
echo "formats: $pass passed, $fail failed"
[ $fail -eq 0 ]
