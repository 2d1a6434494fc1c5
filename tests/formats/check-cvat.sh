# CVAT for images / video checks, sourced by tests/formats/run.sh (uses ok, bad,
# $CAIRN, $T, $FIX). Cases in tests/formats/cvat/<case>/annotations.xml, with
# expect_error (the import must fail with that text) or a round trip CVAT ->
# Cairn -> CVAT compared by compare_cvat.py (docs/formats/cvat.md).
for c in tests/formats/cvat/*/; do
	c=${c%/}; name=$(basename "$c")
	d=$T/cvat-$name
	in=$c/annotations.xml
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	if [ -f "$c/expect_error" ]; then
		out=$($CAIRN import --data "$d" --project p --format cvat --no-media "$in" 2>&1)
		rc=$?
		want=$(cat "$c/expect_error")
		if [ $rc -ne 1 ]; then bad "cvat/$name: exit $rc, expected 1: $out"
		elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "cvat/$name: got '$out', expected '$want'"
		else ok; fi
	elif $CAIRN import --data "$d" --project p --format cvat --no-media "$in" >/dev/null 2>&1 &&
	     $CAIRN export --data "$d" --project p --format cvat "$d/out" >/dev/null 2>&1; then
		python3 tests/formats/compare_cvat.py "$in" "$d/out/annotations.xml" && ok || bad "cvat/$name: round trip differs"
	else bad "cvat/$name: import or export failed"; fi
done
# --format auto finds CVAT; --skip-invalid imports the valid part and lists the rest.
d=$T/cvat-skip
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
sed 's|<box label="car" xtl="abc" ytl="1" xbr="3" ybr="4"/>|&<box label="car" xtl="0" ytl="1" xbr="3" ybr="4"/>|' \
	tests/formats/cvat/bad_number/annotations.xml >"$d/annotations.xml"
out=$($CAIRN import --data "$d" --project p --no-media --skip-invalid "$d/annotations.xml" 2>&1) &&
	printf '%s' "$out" | grep -q "imported 1 images, 1 objects" &&
	printf '%s' "$out" | grep -q '^annotations.xml:14: <box xtl="abc">: expected a number' && ok || bad "cvat: --skip-invalid: $out"
# The mask of ok_images: CVAT RLE 1,2,3,1,5 over the 4x3 box at (3,2) is pixels
# (4,2) (5,2) (1+3,3)... checked through COCO: area 3, bbox [3,2,3,2].
d=$T/cvat-ok_images
if $CAIRN export --data "$d" --project p --format coco "$d/coco" >/dev/null 2>&1; then
	python3 - "$d/coco/annotations/instances_train.json" <<'PY' && ok || bad "cvat mask/skeleton through COCO"
import json, sys
from itertools import accumulate
d = json.load(open(sys.argv[1]))
cats = {c["id"]: c for c in d["categories"]}
m = [a for a in d["annotations"] if isinstance(a["segmentation"], dict)]
assert len(m) == 1 and m[0]["area"] == 3 and m[0]["bbox"] == [4, 2, 2, 2], m
# decode the column-major COCO RLE (LEB128-like string) would need pycocotools; check area and bbox
sk = [a for a in d["annotations"] if a.get("keypoints")]
assert len(sk) == 1 and sk[0]["keypoints"] == [5, 5, 2, 6, 4, 1], sk
assert cats[sk[0]["category_id"]]["keypoints"] == ["nose", "eye"] and cats[sk[0]["category_id"]]["skeleton"] == [[1, 2]], cats
PY
else bad "cvat ok_images to coco"; fi
# Datumaro's CVAT fixtures: values from Datumaro's test_cvat_format.py, and round trips.
if [ -d "$FIX/cvat_dataset" ]; then
	d=$T/dcvat
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	# export_task/train.xml: a box 0,2,4,2 occluded with attributes a1..a4 and z_order 1
	# (label2's points are not in COCO); the unlabelled polyline and polygon are
	# counted, not kept.
	if out=$($CAIRN import --data "$d" --project task "$FIX/cvat_dataset/for_images/export_task" 2>&1) &&
	   $CAIRN export --data "$d" --project task --format coco "$d/task" >/dev/null 2>&1; then
		printf '%s' "$out" | grep -q "CVAT shape without a label (not kept): 2" && ok || bad "datumaro cvat task: unlabelled shapes not counted: $out"
		python3 - "$d/task/annotations/instances_train.json" <<'PY' && ok || bad "datumaro cvat task facts"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted((i["file_name"], i["width"], i["height"]) for i in d["images"]) == [("img0.jpg", 8, 8), ("img1.jpg", 10, 10)], d["images"]
cats = {c["id"]: c["name"] for c in d["categories"]}
assert sorted(cats.values()) == ["label1", "label2"], cats
a = sorted(((cats[x["category_id"]], x["bbox"], x.get("attributes")) for x in d["annotations"]), key=str)
assert a == [("label1", [0, 2, 4, 2], {"a1": True, "a2": "v3", "a3": "0003", "a4": 2.4})], a
PY
		$CAIRN export --data "$d" --project task --format cvat "$d/taskx" >/dev/null 2>&1 &&
		python3 tests/formats/compare_cvat.py "$FIX/cvat_dataset/for_images/export_task/train.xml" "$d/taskx/annotations.xml" && ok || bad "datumaro cvat task round trip"
	else bad "datumaro cvat task import/export: $out"; fi
	# export_project: three subsets (Test, Train, Validation -> test, train, val), two images each.
	if $CAIRN import --data "$d" --project proj --no-media "$FIX/cvat_dataset/for_images/export_project" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project proj --format cvat "$d/proj" >/dev/null 2>&1; then
		python3 tests/formats/compare_cvat.py "$FIX/cvat_dataset/for_images/export_project/annotations.xml" "$d/proj/annotations.xml" && ok || bad "datumaro cvat project round trip"
	else bad "datumaro cvat project import/export"; fi
	# for_video: start_frame 10, step 3: frames 10, 13, 16; track 0 is occluded at 10
	# and outside at 13 and 16; Bbox(3,4,7,1) at 10; points of track 1 with hgl.
	if $CAIRN import --data "$d" --project vid --no-media "$FIX/cvat_dataset/for_video" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project vid --format cvat "$d/vid" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project vid --format coco "$d/vidc" >/dev/null 2>&1; then
		python3 tests/formats/compare_cvat.py "$FIX/cvat_dataset/for_video/annotations.xml" "$d/vid/annotations.xml" && ok || bad "datumaro cvat video round trip"
		python3 - "$d/vid/annotations.xml" "$d/vidc/annotations/instances.json" <<'PY' && ok || bad "datumaro cvat video facts"
import json, sys
import xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
t = r.find("meta/task")
assert (t.find("start_frame").text, t.find("stop_frame").text, t.find("frame_filter").text) == ("10", "16", "step=3")
tr = {int(x.get("id")): x for x in r.findall("track")}
b = [(int(s.get("frame")), s.get("occluded"), s.get("outside")) for s in tr[0]]
assert b == [(10, "1", "0"), (13, "0", "1"), (16, "0", "1")], b
d = json.load(open(sys.argv[2]))
ims = {i["id"]: i for i in d["images"]}
assert sorted((i["file_name"], i["width"], i["height"]) for i in ims.values()) == [("frame_%06d.png" % f, 25, 20) for f in (10, 13, 16)], ims
boxes = [(ims[a["image_id"]]["file_name"], a["bbox"]) for a in d["annotations"] if a["bbox"] == [3, 4, 7, 1]]
assert boxes == [("frame_000010.png", [3, 4, 7, 1])], boxes
PY
	else bad "datumaro cvat video import/export"; fi
fi
# cairn synth -> COCO -> Cairn -> CVAT -> Cairn -> COCO: boxes, masks and keypoints come back.
d=$T/synth-cvat
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$d/in" --images 8 --objects 8 --seed 7 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project syn "$d/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format coco "$d/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format cvat --include-media "$d/v" >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project back --format cvat "$d/v" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project back --format coco "$d/c2" >/dev/null 2>&1; then
	# A person's keypoints come back as their own skeleton in the person's group.
	python3 - "$d/c2/annotations/instances.json" "$d/c2/kp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["annotations"] = [a for a in d["annotations"] if a["segmentation"] or not a.get("keypoints")]
json.dump(d, open(sys.argv[2], "w"))
PY
	python3 tests/formats/compare_yolo_boxes.py "$d/c1/annotations/instances.json" "$d/c2/kp.json" && ok || bad "synth coco -> cvat -> cairn boxes"
else bad "synth coco -> cvat -> cairn import/export"; fi
# Attribute declarations (<labels><label><attributes>: input_type, values,
# default_value, mutable) are kept in the project schema and written back:
# ok_images' number range and defaults, the video fixture's mutable select,
# and the task fixture's radio (a select) with its values and default.
for src in tests/formats/cvat/ok_images/annotations.xml "$FIX/cvat_dataset/for_video/annotations.xml" \
	   "$FIX/cvat_dataset/for_images/export_task/train.xml"; do
	[ -f "$src" ] || continue
	d=$T/cvat-decl-$(echo "$src" | md5sum | cut -c1-8)
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	if $CAIRN import --data "$d" --project p --format cvat --no-media "$src" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project p --format cvat "$d/out" >/dev/null 2>&1; then
		python3 - "$src" "$d/out/annotations.xml" <<'PY' && ok || bad "cvat: attribute declarations of $src"
import sys, xml.etree.ElementTree as ET
def decl(path):
    out = {}
    for lab in ET.parse(path).getroot().find("meta").iter("label"):
        for a in lab.iter("attribute"):
            it = a.findtext("input_type")
            it = "select" if it == "radio" else it
            vals = (a.findtext("values") or "").replace("\n", " ").split()
            d = (a.findtext("default_value") or "").strip()
            mut = (a.findtext("mutable") or "False").lower() == "true"
            if it == "checkbox":
                vals = []
            if it == "text":
                vals = []
            out[(lab.findtext("name"), a.findtext("name"))] = (it, vals if it != "number" else None, d, mut)
    return out
a, b = decl(sys.argv[1]), decl(sys.argv[2])
for k, (it, vals, d, mut) in a.items():
    assert k in b, (k, sorted(b))
    bit, bvals, bd, bmut = b[k]
    assert (it, mut) == (bit, bmut), (k, a[k], b[k])
    if it == "select":
        assert bvals[:len(vals)] == vals and d == bd, (k, a[k], b[k])
    if it in ("checkbox", "text"):
        assert d == bd, (k, a[k], b[k])
PY
	else bad "cvat: attribute declarations import/export of $src"; fi
done
# ok_images declares speed as a number 0..100 step 1, default 0: the schema keeps it.
d=$T/cvat-decl-schema
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN import --data "$d" --project p --format cvat --no-media tests/formats/cvat/ok_images/annotations.xml >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project p --format cvat "$d/out" >/dev/null 2>&1; then
	python3 - "$d/out/annotations.xml" <<'PY' && ok || bad "cvat: number declaration"
import sys, xml.etree.ElementTree as ET
for lab in ET.parse(sys.argv[1]).getroot().find("meta").iter("label"):
    if lab.findtext("name") == "car":
        a = [x for x in lab.iter("attribute") if x.findtext("name") == "speed"][0]
        assert a.findtext("input_type") == "number" and a.findtext("default_value") == "0", ET.tostring(a)
        assert a.findtext("values").split() == ["0", "100", "1"], a.findtext("values")
        break
else:
    raise AssertionError("no car label")
PY
else bad "cvat: number declaration import/export"; fi
