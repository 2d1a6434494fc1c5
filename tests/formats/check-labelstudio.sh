# Label Studio checks, sourced by tests/formats/run.sh (uses ok, bad, $CAIRN, $T).
# Round trips of hand-written exports (annotations, then predictions), a
# cross check on `cairn synth` data (boxes, polygons and masks exact), a
# conversion, --skip-invalid, and each malformed case's precise error.
lsd=$T/ls
$CAIRN init --data "$lsd" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN import --data "$lsd" --project a --format labelstudio --no-media tests/formats/labelstudio/tasks.json >"$lsd/imp.txt" 2>&1 &&
   $CAIRN export --data "$lsd" --project a --format labelstudio "$lsd/a" >/dev/null 2>&1; then
	python3 tests/formats/compare_labelstudio.py tests/formats/labelstudio/tasks.json "$lsd/a/result.json" >/dev/null && ok || bad "labelstudio round trip"
	# Nothing dropped silently: the text task and the prediction are in the report.
	grep -q "text task (not imported: the import makes image items): 1" "$lsd/imp.txt" &&
	grep -q "prediction (not imported: give --as prediction): 1" "$lsd/imp.txt" && ok || bad "labelstudio import notes: $(cat "$lsd/imp.txt")"
	# The 30-degree rectangle: Cairn's centre from Label Studio's corner, exactly.
	$CAIRN export --data "$lsd" --project a --format coco "$lsd/ac" >/dev/null 2>&1
	python3 - "$lsd/ac/annotations/instances.json" <<'PY' && ok || bad "labelstudio rotation facts"
import json, math, sys
d = json.load(open(sys.argv[1]))
# x=50% y=10% w=20% h=30% of 200x100, 30 degrees about the top-left corner.
x, y, w, h, t = 100, 10, 40, 30, math.radians(30)
pts = [(x + u * math.cos(t) - v * math.sin(t), y + u * math.sin(t) + v * math.cos(t)) for u, v in ((0, 0), (w, 0), (w, h), (0, h))]
xs, ys = [p[0] for p in pts], [p[1] for p in pts]
bb = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
assert any(all(abs(p - q) < 1e-9 for p, q in zip(a["bbox"], bb)) for a in d["annotations"]), bb
PY
else bad "labelstudio import/export: $(cat "$lsd/imp.txt")"; fi
if $CAIRN import --data "$lsd" --project p --as prediction --format labelstudio --no-media tests/formats/labelstudio/predictions.json >/dev/null 2>&1 &&
   $CAIRN export --data "$lsd" --project p --from prediction --format labelstudio "$lsd/p" >/dev/null 2>&1; then
	python3 tests/formats/compare_labelstudio.py --predictions tests/formats/labelstudio/predictions.json "$lsd/p/result.json" >/dev/null && ok || bad "labelstudio predictions round trip"
else bad "labelstudio predictions import/export"; fi
# cairn synth -> COCO -> Cairn -> Label Studio (with media) -> Cairn -> COCO: every box, polygon and mask exact.
if $CAIRN synth "$lsd/in" --images 8 --objects 10 --seed 6 --size 200x150 >/dev/null 2>&1 &&
   $CAIRN import --data "$lsd" --project s "$lsd/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$lsd" --project s --format coco "$lsd/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$lsd" --project s --format labelstudio --include-media "$lsd/ls" >/dev/null 2>&1 &&
   $CAIRN import --data "$lsd" --project s2 --format auto "$lsd/ls" >/dev/null 2>&1 &&
   $CAIRN export --data "$lsd" --project s2 --format coco "$lsd/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_geom.py "$lsd/c1/annotations/instances.json" "$lsd/c2/annotations/instances.json" >/dev/null && ok || bad "synth coco -> labelstudio -> cairn shapes"
	grep -q '"keypoints (Label Studio has no such image region)"' "$lsd/ls/loss-report.json" && ok || bad "labelstudio loss report"
else bad "synth coco -> labelstudio -> cairn import/export"; fi
# cairn convert, both ways.
if $CAIRN convert --from labelstudio --to coco "$lsd/ls" "$lsd/cv" >/dev/null 2>&1 &&
   $CAIRN convert --from coco --to labelstudio "$lsd/cv" "$lsd/cv2" >/dev/null 2>&1; then
	python3 tests/formats/compare_geom.py "$lsd/c1/annotations/instances.json" "$lsd/cv/annotations/instances.json" >/dev/null && ok || bad "labelstudio convert to coco"
	python3 tests/formats/compare_labelstudio.py "$lsd/ls/result.json" "$lsd/cv2/result.json" >/dev/null 2>&1 ||
		python3 - "$lsd/ls/result.json" "$lsd/cv2/result.json" <<'PY' && ok || bad "labelstudio convert back"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert len(a) == len(b) and sum(len(t["annotations"][0]["result"]) for t in a) == sum(len(t["annotations"][0]["result"]) for t in b)
PY
else bad "labelstudio convert"; fi
# --skip-invalid: the bad result is skipped and reported, the rest imported.
mkdir -p "$lsd/skip"
cp tests/formats/labelstudio/bad/width_not_number.json "$lsd/skip/tasks.json"
out=$($CAIRN import --data "$lsd" --project sk --format labelstudio --no-media --skip-invalid "$lsd/skip/tasks.json" 2>&1)
case $out in *"2 objects"*"value.width: expected a number"*) ok ;; *) bad "labelstudio --skip-invalid: $out" ;; esac
# Each malformed case gives its precise error (file, JSON path, offending value).
for f in tests/formats/labelstudio/bad/*.json; do
	n=$(basename "$f" .json)
	mkdir -p "$lsd/bad-$n"
	cp "$f" "$lsd/bad-$n/tasks.json"
	out=$($CAIRN import --data "$lsd" --project "b$n" --format labelstudio --no-media "$lsd/bad-$n/tasks.json" 2>&1)
	rc=$?
	want=$(cat "tests/formats/labelstudio/bad/$n.err")
	if [ $rc -ne 1 ]; then bad "labelstudio/bad/$n: exit $rc: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "labelstudio/bad/$n: got '$out', expected '$want'"
	else ok; fi
done
