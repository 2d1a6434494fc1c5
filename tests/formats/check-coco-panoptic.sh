# Sourced by tests/formats/run.sh: the coco-panoptic format. Uses ok, bad, $CAIRN, $T and $FIX.
pan_expect_error() {
	out=$($CAIRN import --data "$T/pn" --project "e$1" --format coco-panoptic --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "coco-panoptic/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "coco-panoptic/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/pn
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
p=$FIX/coco_dataset/coco_panoptic
if [ -d "$p" ]; then
	# Datumaro's test_can_import_panoptic: a (10x5) is segment 460551 = (7,7,7) of category
	# a over the 5x5 PNG (padded to the image, see docs); b (5x10) is segment 7 (a, the
	# first two columns) and segment 20 (b, crowd, the next two).
	if $CAIRN import --data "$d" --project pan --format auto "$p" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project pan --format coco "$d/c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project pan --format coco-panoptic "$d/o" >/dev/null 2>&1; then
		python3 - "$d/c/annotations" <<'PY' && ok || bad "coco-panoptic: facts"
import glob, json, sys
sys.path.insert(0, "tests/formats")
from compare_masks import pixels
got = []
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(f))
    cats = {c["id"]: c["name"] for c in d["categories"]}
    ims = {i["id"]: i for i in d["images"]}
    for a in d["annotations"]:
        im = ims[a["image_id"]]
        px, size = pixels(a["segmentation"])
        cols = sorted({q // im["height"] for q in px})
        full = len(px) == len(cols) * im["height"]
        got.append((im["file_name"], im["width"], im["height"], a["id"], cats[a["category_id"]], a["iscrowd"], cols, full))
want = [("a.jpg", 10, 5, 460551, "a", 0, [0, 1, 2, 3, 4], True),
        ("b.jpg", 5, 10, 7, "a", 0, [0, 1], True), ("b.jpg", 5, 10, 20, "b", 1, [2, 3], True)]
assert sorted(got) == sorted(want), got
PY
		# A -> Cairn -> A: the same segments (id, category, iscrowd) and the same ids on every pixel
		# of b.png; bbox and area are recomputed from the pixels (the fixture's are not).
		python3 - "$p/annotations" "$d/o/annotations" <<'PY' && ok || bad "coco-panoptic: round trip"
import json, sys
sys.path.insert(0, "tests/formats")
import pngtool
a, b = sys.argv[1:]
for s in ("train", "val"):
    x, y = json.load(open(f"{a}/panoptic_{s}.json")), json.load(open(f"{b}/panoptic_{s}.json"))
    seg = lambda d: sorted((an["file_name"], g["id"], g["category_id"], g["iscrowd"]) for an in d["annotations"] for g in an["segments_info"])
    assert seg(x) == seg(y), (seg(x), seg(y))
    assert sorted((c["id"], c["name"], c["isthing"]) for c in x["categories"]) == sorted((c["id"], c["name"], c["isthing"]) for c in y["categories"])
    assert [(i["id"], i["file_name"]) for i in x["images"]] == [(i["id"], i["file_name"]) for i in y["images"]]
assert pngtool.read(f"{a}/panoptic_val/b.png")["px"] == pngtool.read(f"{b}/panoptic_val/b.png")["px"]
g = json.load(open(f"{b}/panoptic_val.json"))["annotations"][0]["segments_info"]
assert [(s["bbox"], s["area"]) for s in sorted(g, key=lambda s: s["id"])] == [([0, 0, 2, 10], 20), ([2, 0, 2, 10], 20)], g
PY
	else bad "coco-panoptic: import/export"; fi
fi
# cairn synth: COCO -> panoptic -> Cairn -> COCO keeps every visible pixel (a later object
# wins where objects overlap), and panoptic -> Cairn -> panoptic is identical.
s=$T/pn-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 8 --objects 8 --seed 7 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco --segm rle "$s/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco-panoptic --include-media "$s/p1" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format coco-panoptic "$s/p1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco "$s/c2" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco-panoptic "$s/p2" >/dev/null 2>&1; then
	python3 tests/formats/compare_masks.py --painted "$s/c1/annotations" "$s/c2/annotations" && ok || bad "coco-panoptic: synth coco -> panoptic -> cairn pixels"
	diff -r -x images -x loss-report.json "$s/p1" "$s/p2" >/dev/null && ok || bad "coco-panoptic: synth panoptic -> cairn -> panoptic not identical"
else bad "coco-panoptic: synth import/export"; fi
# Malformed input: the JSON path and the value.
m=$T/pn-bad
mkdir -p "$m/annotations/panoptic_val"
python3 tests/formats/pngtool.py write "$m/annotations/panoptic_val/b.png" rgb 8 '7 7 0;7 7 0'
cat > "$m/annotations/panoptic_val.json" <<'JS'
{"images": [{"id": 1, "width": 3, "height": 2, "file_name": "b.jpg"}],
 "categories": [{"id": 1, "name": "a", "isthing": 1}],
 "annotations": [{"image_id": 1, "file_name": "b.png", "segments_info": [{"id": 7, "category_id": 1}, {"id": 9, "category_id": 1}]}]}
JS
pan_expect_error nopixels "$m" 'panoptic_val.json: $.annotations[0].segments_info[1].id: segment 9 has no pixels in panoptic_val/b.png'
sed -i 's/"category_id": 1}, {"id": 9, "category_id": 1}/"category_id": "a"}/' "$m/annotations/panoptic_val.json"
pan_expect_error category "$m" 'panoptic_val.json: $.annotations[0].segments_info[0].category_id: expected an integer, got a string'
sed -i 's/"file_name": "b.png"/"file_name": "nope.png"/' "$m/annotations/panoptic_val.json"
pan_expect_error nopng "$m" 'panoptic_val.json: $.annotations[0].file_name: panoptic_val/nope.png: cannot open'
