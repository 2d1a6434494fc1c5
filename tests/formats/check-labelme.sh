# LabelMe checks, sourced by tests/formats/run.sh (uses ok, bad, $CAIRN, $T).
# Round trip of a hand-written folder (every shape type, flags, groups), a
# cross check on `cairn synth` data, a conversion, and each malformed case's
# precise error.
lmd=$T/lm
$CAIRN init --data "$lmd" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN import --data "$lmd" --project a --format auto --no-media tests/formats/labelme/ok >/dev/null 2>&1 &&
   $CAIRN export --data "$lmd" --project a --format labelme "$lmd/a" >/dev/null 2>&1; then
	python3 tests/formats/compare_labelme.py tests/formats/labelme/ok "$lmd/a" >/dev/null && ok || bad "labelme round trip"
else bad "labelme import/export"; fi
# cairn synth -> COCO -> Cairn -> LabelMe (with media) -> Cairn -> COCO: boxes
# and polygons exact; masks are traced into polygons along pixel edges (counted).
if $CAIRN synth "$lmd/in" --images 8 --objects 10 --seed 7 --size 200x150 >/dev/null 2>&1 &&
   $CAIRN import --data "$lmd" --project s "$lmd/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$lmd" --project s --format coco "$lmd/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$lmd" --project s --format labelme --include-media "$lmd/lm" >/dev/null 2>&1 &&
   $CAIRN import --data "$lmd" --project s2 --format auto "$lmd/lm" >/dev/null 2>&1 &&
   $CAIRN export --data "$lmd" --project s2 --format coco "$lmd/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_geom.py --no-masks --subset "$lmd/c1/annotations/instances.json" "$lmd/c2/annotations/instances.json" >/dev/null && ok || bad "synth coco -> labelme -> cairn shapes"
	grep -q '"mask (written as polygons along the pixel edges)"' "$lmd/lm/loss-report.json" && ok || bad "labelme loss report"
	$CAIRN convert --from labelme --to coco "$lmd/lm" "$lmd/cv" >/dev/null 2>&1 &&
	python3 tests/formats/compare_geom.py "$lmd/c2/annotations/instances.json" "$lmd/cv/annotations/instances.json" >/dev/null && ok || bad "labelme convert to coco"
else bad "synth coco -> labelme -> cairn import/export"; fi
for f in tests/formats/labelme/bad/*.json; do
	n=$(basename "$f" .json)
	mkdir -p "$lmd/bad-$n"
	cp "$f" "$lmd/bad-$n/img.json"
	out=$($CAIRN import --data "$lmd" --project "b$n" --format labelme --no-media "$lmd/bad-$n/img.json" 2>&1)
	rc=$?
	want=$(cat "tests/formats/labelme/bad/$n.err")
	if [ $rc -ne 1 ]; then bad "labelme/bad/$n: exit $rc: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "labelme/bad/$n: got '$out', expected '$want'"
	else ok; fi
done
# Datumaro's labelme_dataset is the MIT LabelMe XML: the JSON reader says which format reads it.
if [ -d "$FIX/labelme_dataset" ]; then
	out=$($CAIRN import --data "$lmd" --project x --format labelme "$FIX/labelme_dataset" 2>&1)
	case $out in *"Annotations/*.xml is the MIT LabelMe XML format: give --format labelme-xml"*) ok ;; *) bad "labelme xml fixture: $out" ;; esac
fi
