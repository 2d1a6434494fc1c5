# Pascal VOC checks, sourced by tests/formats/run.sh (uses ok, bad, $CAIRN, $T, $FIX).
# Cases in tests/formats/voc/<case>/: input/ (a dataset folder) or input.xml,
# with expect_error (the import must fail with that text) or a round trip
# VOC -> Cairn -> VOC compared by compare_voc.py (docs/formats/voc.md).
for c in tests/formats/voc/*/; do
	c=${c%/}; name=$(basename "$c")
	d=$T/voc-$name
	in=$c/input; [ -e "$in" ] || in=$c/input.xml
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	if [ -f "$c/expect_error" ]; then
		out=$($CAIRN import --data "$d" --project p --format voc --no-media "$in" 2>&1)
		rc=$?
		want=$(cat "$c/expect_error")
		if [ $rc -ne 1 ]; then bad "voc/$name: exit $rc, expected 1: $out"
		elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "voc/$name: got '$out', expected '$want'"
		else ok; fi
	elif $CAIRN import --data "$d" --project p --format voc --no-media "$in" >/dev/null 2>&1 &&
	     $CAIRN export --data "$d" --project p --format voc "$d/out" >/dev/null 2>&1; then
		python3 tests/formats/compare_voc.py "$in" "$d/out" && ok || bad "voc/$name: round trip differs"
	else bad "voc/$name: import or export failed"; fi
done
# --format auto finds VOC; --skip-invalid imports the valid part and lists the rest.
d=$T/voc-auto
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
out=$($CAIRN import --data "$d" --project p --no-media tests/formats/voc/ok_dataset/input 2>&1) &&
	printf '%s' "$out" | grep -q "imported 2 images, 7 objects" && ok || bad "voc: --format auto: $out"
mkdir -p "$T/voc-skip/Annotations"
cp tests/formats/voc/ok_dataset/input/Annotations/a.xml "$T/voc-skip/Annotations/"
sed 's/a.jpg/c.jpg/' tests/formats/voc/bad_number/input.xml >"$T/voc-skip/Annotations/c.xml"
out=$($CAIRN import --data "$d" --project s --format voc --no-media --skip-invalid "$T/voc-skip" 2>&1) &&
	printf '%s' "$out" | grep -q "^Annotations/c.xml:7: <xmin>abc</xmin>: expected a number" && ok || bad "voc: --skip-invalid: $out"
# Datumaro's voc_dataset1: <bndbox> 1,2,3,4 is x=1 y=2 w=2 h=2; the person has a
# head part (its group) and action flags; splits train and test; round trip.
if [ -d "$FIX/voc_dataset/voc_dataset1" ]; then
	d=$T/dvoc
	$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
	if out=$($CAIRN import --data "$d" --project v "$FIX/voc_dataset/voc_dataset1" 2>&1) &&
	   $CAIRN export --data "$d" --project v --format coco "$d/c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project v --format voc "$d/v" >/dev/null 2>&1; then
		# SegmentationClass (VOC colour 2, bicycle) and SegmentationObject
		# (instance 1) are one mask on 2007_000001: every pixel, bicycle, group 1,
		# as Datumaro's test expects; our export writes them back and they read
		# back the same.
		$CAIRN export --data "$d" --project v --format cvat "$d/seg" >/dev/null 2>&1 &&
		$CAIRN import --data "$d" --project v2 --no-media "$d/v" >/dev/null 2>&1 &&
		$CAIRN export --data "$d" --project v2 --format cvat "$d/seg2" >/dev/null 2>&1 &&
		python3 - "$d/seg/annotations.xml" "$d/seg2/annotations.xml" <<'PY' && ok || bad "datumaro voc segmentation mask"
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    im = [i for i in ET.parse(f).getroot().iter("image") if i.get("name").endswith("2007_000001.jpg")][0]
    m = [(x.get("label"), x.get("group_id"), x.get("rle"), x.get("left"), x.get("top"), x.get("width"), x.get("height"))
         for x in im.iter("mask")]
    assert m == [("bicycle", "1", "0, 200", "0", "0", "20", "10")], (f, m)
PY
		python3 - "$d/v" <<'PY' && ok || bad "datumaro voc segmentation PNGs written"
import sys
sys.path.insert(0, "tests/formats")
import pngtool
c = pngtool.read(sys.argv[1] + "/SegmentationClass/2007_000001.png")
o = pngtool.read(sys.argv[1] + "/SegmentationObject/2007_000001.png")
names = [l.split(":")[0] for l in open(sys.argv[1] + "/labelmap.txt") if not l.startswith("#")]
assert {v for r in c["px"] for v in r} == {names.index("bicycle")}, (c["px"][0], names)
assert {v for r in o["px"] for v in r} == {1}
PY
		python3 - "$d/c/annotations/instances_train.json" <<'PY' && ok || bad "datumaro voc facts"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(i["file_name"], i["width"], i["height"]) for i in d["images"]] == [("2007_000001.jpg", 20, 10)], d["images"]
cats = {c["id"]: c["name"] for c in d["categories"]}
a = {cats[x["category_id"]]: x for x in d["annotations"]}
assert a["cat"]["bbox"] == [1, 2, 2, 2], a["cat"]
assert a["cat"]["attributes"] == {"pose": "Unspecified", "truncated": True, "difficult": False}, a["cat"]
assert a["person"]["bbox"] == [4, 5, 2, 2], a["person"]
acts = {k: v for k, v in a["person"]["attributes"].items() if k not in ("pose", "truncated", "difficult")}
assert acts == {"other": True, "jumping": False, "phoning": True, "playinginstrument": False, "reading": True,
                "ridingbike": False, "ridinghorse": True, "running": False, "takingphoto": True,
                "usingcomputer": False, "walking": True}, acts
assert a["head"]["bbox"] == [5.5, 6, 2, 2], a["head"]
PY
		python3 tests/formats/compare_voc.py --annotated "$FIX/voc_dataset/voc_dataset1" "$d/v" && ok || bad "datumaro voc round trip"
		# The per-class lists give 2007_000001 the image labels Datumaro expects (its
		# odd-valued VocLabels, "ignored" included), written as CVAT tags here.
		$CAIRN export --data "$d" --project v --format cvat "$d/cv" >/dev/null 2>&1 &&
		python3 - "$d/cv/annotations.xml" <<'PY' && ok || bad "datumaro voc image labels"
import sys
import xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
tags = sorted(t.get("label") for t in r.iter("tag"))
assert tags == ["aeroplane", "bird", "bottle", "car", "chair", "diningtable", "horse", "ignored",
                "person", "sheep", "train"], tags
PY
	else bad "datumaro voc import/export: $out"; fi
fi
# voc-devkit: the devkit's 1-based pixels: xmin=1 xmax=1 is the first pixel, [0,0,1,1] in Cairn.
d=$T/voc-devkit
mkdir -p "$d/in/Annotations"
cat > "$d/in/Annotations/p.xml" <<'XML'
<annotation><filename>p.jpg</filename><size><width>4</width><height>3</height></size>
<object><name>px</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></object></annotation>
XML
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN import --data "$d" --project p --format voc-devkit --no-media "$d/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project p --format coco "$d/c" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project p --format voc-devkit "$d/v" >/dev/null 2>&1; then
	python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['annotations']; assert a[0]['bbox']==[0,0,1,1], a" "$d/c/annotations/instances.json" && ok || bad "voc-devkit: pixel 1 is not [0,0,1,1]"
	python3 tests/formats/compare_voc.py "$d/in" "$d/v" && ok || bad "voc-devkit round trip"
else bad "voc-devkit import/export"; fi
# cairn synth -> COCO -> Cairn -> VOC -> Cairn -> COCO: every shape comes back as its box.
d=$T/synth-voc
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$d/in" --images 8 --objects 8 --seed 6 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project syn "$d/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format coco "$d/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project syn --format voc --include-media "$d/v" >/dev/null 2>&1 &&
   $CAIRN import --data "$d" --project back --format voc "$d/v" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project back --format coco "$d/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_yolo_boxes.py "$d/c1/annotations/instances.json" "$d/c2/annotations/instances.json" && ok || bad "synth coco -> voc -> cairn boxes"
else bad "synth coco -> voc -> cairn import/export"; fi
