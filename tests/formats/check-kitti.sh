# Sourced by tests/formats/run.sh: the kitti format. Uses ok, bad, $CAIRN, $T and $FIX.
kitti_expect_error() {
	out=$($CAIRN import --data "$T/kt" --project "e$1" --format kitti --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "kitti/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "kitti/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/kt
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/kitti_dataset" ]; then
	# Datumaro's test_can_import_detection: boxes x y w h, truncated and occluded.
	k=$FIX/kitti_dataset/kitti_detection
	if $CAIRN import --data "$d" --project k --no-media "$k" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project k --format coco "$d/k-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project k --format kitti "$d/k-k" >/dev/null 2>&1; then
		python3 - "$d/k-c/annotations/instances_train.json" <<'PY' && ok || bad "kitti: facts"
import json, sys
d = json.load(open(sys.argv[1]))
cats = {c["id"]: c["name"] for c in d["categories"]}
ims = {i["id"]: (i["file_name"], i["width"], i["height"]) for i in d["images"]}
got = sorted((ims[a["image_id"]][0], cats[a["category_id"]], a["bbox"], a["attributes"]["truncated"] > 0.5,
              a["attributes"]["occluded"] > 0) for a in d["annotations"])
want = sorted([("000030_10.png", "Truck", [0, 1, 2, 2], True, False), ("000030_10.png", "Van", [0, 5, 1, 3], False, False),
               ("000030_11.png", "Van", [0, 0, 2, 2], True, True), ("000030_11.png", "Van", [4, 4, 2, 2], False, False),
               ("000030_11.png", "Van", [6, 6, 1, 3], False, True)])
assert got == want, got
assert sorted(v for v in ims.values()) == [("000030_10.png", 10, 10), ("000030_11.png", 10, 10)]
PY
		python3 tests/formats/compare_text_rows.py kitti "$k" "$d/k-k" && ok || bad "kitti: round trip"
	else bad "kitti: import/export"; fi
fi
# Every column, a score, DontCare and fractional numbers: written back exactly.
r=$T/kt-rt
mkdir -p "$r/training/label_2" "$r/testing/label_2"
printf 'Car 0.12 2 -1.57 100.25 50.5 200.75 150 1.5 1.6 3.9 -2.1 1.7 15.3 -1.58\nDontCare -1 -1 -10 10 10 20 20 -1 -1 -1 -1000 -1000 -1000 -10\n' > "$r/training/label_2/000001.txt"
printf 'Pedestrian 0 0 0.1 5 6 7 8 1.8 0.6 0.9 1 2 3 0.2 0.875\n' > "$r/testing/label_2/000002.txt"
: > "$r/training/label_2/000003.txt"
# (--no-media takes each size from the image's header.)
mkdir -p "$r/training/image_2" "$r/testing/image_2"
python3 tests/formats/pngtool.py write "$r/training/image_2/000001.png" grey 8 "$(python3 -c "print(';'.join(' '.join(['0'] * 300) for _ in range(200)))")"
cp "$r/training/image_2/000001.png" "$r/training/image_2/000003.png"
cp "$r/training/image_2/000001.png" "$r/testing/image_2/000002.png"
if $CAIRN import --data "$d" --project rt2 --format kitti --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt2 --format kitti "$d/rt-k" >/dev/null 2>&1; then
	python3 tests/formats/compare_text_rows.py kitti "$r" "$d/rt-k" && ok || bad "kitti: every column round trip"
	[ -f "$d/rt-k/training/label_2/000003.txt" ] && ok || bad "kitti: empty label file not written"
else bad "kitti: every column import/export"; fi
# cairn synth: COCO -> KITTI (with media) -> Cairn -> COCO keeps every shape's box exactly.
s=$T/kt-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 6 --objects 6 --seed 9 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco "$s/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format kitti --include-media "$s/k" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format kitti "$s/k" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco "$s/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_yolo_boxes.py --tol 0 "$s/c1/annotations/instances.json" "$s/c2/annotations/instances_train.json" && ok || bad "kitti: synth coco -> kitti -> cairn boxes"
else bad "kitti: synth import/export"; fi
# Malformed input.
m=$T/kt-bad
for c in num cols occ order; do mkdir -p "$m/$c/training/label_2"; done
printf 'Car 0 0 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\nCar 0 0 0 x 2 3 4 -1 -1 -1 -1 -1 -1 -1\n' > "$m/num/training/label_2/000001.txt"
kitti_expect_error num "$m/num" 'training/label_2/000001.txt:2: column 5 (x1): expected a number, got "x"'
printf 'Car 0 0 0 1 2 3 4\n' > "$m/cols/training/label_2/000001.txt"
kitti_expect_error cols "$m/cols" 'training/label_2/000001.txt:1: expected 15 or 16 space-separated columns'
printf 'Car 0 7 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\n' > "$m/occ/training/label_2/000001.txt"
kitti_expect_error occ "$m/occ" 'training/label_2/000001.txt:1: column 3 (occluded): expected 0, 1, 2, 3 (or -1), got "7"'
printf 'Car 0 0 0 5 2 3 4 -1 -1 -1 -1 -1 -1 -1\n' > "$m/order/training/label_2/000001.txt"
kitti_expect_error order "$m/order" 'training/label_2/000001.txt:1: column 7 (x2): expected >= 5, got "3"'
