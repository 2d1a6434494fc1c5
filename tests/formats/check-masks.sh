# Sourced by tests/formats/run.sh: the masks format (CamVid, Cityscapes, VOC
# segmentation, Cairn's own layout). Uses ok, bad, $CAIRN, $T and $FIX.
# masks_facts FOLDER: the COCO export's masks as {file_name: [(label, crowd, row-major bits)]}
masks_facts() {
	python3 - "$@" <<'PY'
import glob, json, sys
sys.path.insert(0, "tests/formats")
from compare_masks import rle_counts
out = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(f))
    cats = {c["id"]: c["name"] for c in d["categories"]}
    ims = {i["id"]: (i["file_name"], i["width"], i["height"]) for i in d["images"]}
    for a in d["annotations"]:
        fn, w, h = ims[a["image_id"]]
        bits, pos = [0] * (w * h), 0
        for k, n in enumerate(rle_counts(a["segmentation"])):
            if k % 2:
                for q in range(pos, pos + n):
                    bits[(q % h) * w + q // h] = 1
            pos += n
        out.setdefault(fn, []).append((cats[a["category_id"]], a["iscrowd"], "".join(map(str, bits))))
want = eval(sys.argv[2])
for k, v in want.items():
    if sorted(out.get(k, [])) != sorted(v):
        print(k, sorted(out.get(k, [])), "!=", sorted(v)); sys.exit(1)
if sorted(out) != sorted(want):
    print("images", sorted(out), "!=", sorted(want)); sys.exit(1)
PY
}
# masks_expect_error NAME DIR TEXT: importing DIR fails naming TEXT.
masks_expect_error() {
	out=$($CAIRN import --data "$T/mk" --project "e$1" --format masks --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "masks/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "masks/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/mk
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/camvid_dataset" ]; then
	# CamVid (Datumaro's test_can_import): one mask per class present, label map's names.
	if $CAIRN import --data "$d" --project camvid --format auto --no-media "$FIX/camvid_dataset" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project camvid --format coco "$d/camvid-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project camvid --format masks "$d/camvid-m" >/dev/null 2>&1 &&
	   $CAIRN import --data "$d" --project camvid2 --format masks --no-media "$d/camvid-m" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project camvid2 --format coco "$d/camvid-c2" >/dev/null 2>&1; then
		masks_facts "$d/camvid-c/annotations" '{
		"0001TP_008550.png": [("Animal", 0, "11000"), ("Road", 0, "00100"), ("Sky", 0, "00011")],
		"0001TP_008580.png": [("Archway", 0, "11000"), ("Bridge", 0, "00100"), ("Tree", 0, "00011")],
		"0001TP_006690.png": [("Bicyclist", 0, "11011"), ("Road", 0, "00100")],
		"0016E5_07959.png": [("Animal", 0, "11100"), ("Child", 0, "00011")]}' && ok || bad "masks: camvid facts"
		python3 tests/formats/compare_masks.py "$d/camvid-c/annotations" "$d/camvid-c2/annotations" && ok || bad "masks: camvid round trip (masks)"
		# A -> Cairn -> A: the same colour on every pixel (palette PNGs instead of RGB), the same lists.
		python3 - "$FIX/camvid_dataset" "$d/camvid-m" <<'PY' && ok || bad "masks: camvid files round trip"
import sys
sys.path.insert(0, "tests/formats")
import pngtool
a, b = sys.argv[1:]
for s in ("train", "val", "test"):
    la = sorted(open(f"{a}/{s}.txt").read().split()); lb = sorted(open(f"{b}/{s}.txt").read().split())
    assert la == lb, (s, la, lb)
    for m in [x for x in la if "annot/" in x]:
        assert pngtool.rgb(a + m) == pngtool.rgb(b + m), m
PY
	else bad "masks: camvid import/export"; fi
fi
if [ -d "$FIX/cityscapes_dataset" ]; then
	# Cityscapes instanceIds (class * 1000 + instance; a class alone is a crowd region):
	# Datumaro's test_can_import values, on the 16-bit files of train_dataset.
	if $CAIRN import --data "$d" --project city --format auto --no-media "$FIX/cityscapes_dataset/train_dataset" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project city --format coco "$d/city-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project city --format masks "$d/city-m" >/dev/null 2>&1 &&
	   $CAIRN import --data "$d" --project city2 --format masks --no-media "$d/city-m" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project city2 --format coco "$d/city-c2" >/dev/null 2>&1; then
		F=defaultcity/defaultcity_0000
		masks_facts "$d/city-c/annotations" "{
		'${F}01_000031_leftImg8bit.png': [('outofroi', 1, '11000'), ('truck', 0, '00100'), ('truck', 0, '00011')],
		'${F}01_000032_leftImg8bit.png': [('train', 0, '11000'), ('wall', 1, '00100'), ('outofroi', 1, '00011')],
		'${F}02_000045_leftImg8bit.png': [('outofroi', 1, '11011'), ('person', 0, '00100')],
		'${F}01_000019_leftImg8bit.png': [('outofroi', 1, '10011'), ('egovehicle', 0, '01100')]}" && ok || bad "masks: cityscapes facts"
		python3 tests/formats/compare_masks.py "$d/city-c/annotations" "$d/city-c2/annotations" && ok || bad "masks: cityscapes round trip"
		python3 - "$d/city-c2/annotations" <<'PY' && ok || bad "masks: cityscapes instance ids kept"
import glob, json, sys
ids = sorted(a["id"] for f in glob.glob(sys.argv[1] + "/*.json") for a in json.load(open(f))["annotations"] if not a["iscrowd"])
assert ids == [1024, 24001, 27001, 27002, 31001], ids
PY
	else bad "masks: cityscapes import/export"; fi
	# labelTrainIds alone: Cityscapes' train label map (test_can_import_with_train_label_map).
	mkdir -p "$d/tr" && cp -r "$FIX/cityscapes_dataset/train_dataset/gtFine" "$d/tr/" && chmod -R u+w "$d/tr" &&
		find "$d/tr" -name '*instanceIds.png' -exec rm {} +
	if $CAIRN import --data "$d" --project citytr --format masks --no-media "$d/tr" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project citytr --format coco "$d/citytr-c" >/dev/null 2>&1; then
		F=defaultcity/defaultcity_0000
		masks_facts "$d/citytr-c/annotations" "{
		'${F}01_000031_leftImg8bit.png': [('background', 0, '11000'), ('truck', 0, '00111')],
		'${F}01_000032_leftImg8bit.png': [('train', 0, '11000'), ('wall', 0, '00100'), ('background', 0, '00011')],
		'${F}02_000045_leftImg8bit.png': [('background', 0, '11011'), ('person', 0, '00100')],
		'${F}01_000019_leftImg8bit.png': [('background', 0, '11111')]}" && ok || bad "masks: cityscapes labelTrainIds facts"
	else bad "masks: cityscapes labelTrainIds import/export"; fi
fi
if [ -d "$FIX/voc_dataset" ]; then
	# VOC: SegmentationClass (RGB here, VOC's colours) + SegmentationObject: 2007_000001 is
	# one bicycle instance over the whole 20x10 image (Datumaro: Mask(ones, label=2, group=1)).
	if $CAIRN import --data "$d" --project voc --format masks --no-media "$FIX/voc_dataset/voc_dataset1" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project voc --format coco "$d/voc-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project voc --format masks "$d/voc-m" >/dev/null 2>&1 &&
	   $CAIRN import --data "$d" --project voc2 --format masks --no-media "$d/voc-m" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project voc2 --format coco "$d/voc-c2" >/dev/null 2>&1; then
		masks_facts "$d/voc-c/annotations" "{'2007_000001.jpg': [('bicycle', 0, '1' * 200)]}" && ok || bad "masks: voc facts"
		python3 -c "import json; d = json.load(open('$d/voc-c/annotations/instances_train.json')); assert d['images'][0]['width'] == 20" && ok || bad "masks: voc split and size"
		python3 tests/formats/compare_masks.py "$d/voc-c/annotations" "$d/voc-c2/annotations" && ok || bad "masks: voc round trip"
	else bad "masks: voc import/export"; fi
fi
# cairn synth: COCO -> masks (with media) -> Cairn -> COCO keeps every pixel that stays
# visible (a later object wins where objects overlap), and masks -> Cairn -> masks is
# byte-identical.
s=$T/mk-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 8 --objects 8 --seed 6 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco --segm rle "$s/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format masks --include-media "$s/m1" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format masks "$s/m1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco "$s/c2" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format masks "$s/m2" >/dev/null 2>&1; then
	python3 tests/formats/compare_masks.py --painted "$s/c1/annotations" "$s/c2/annotations" && ok || bad "masks: synth coco -> masks -> cairn pixels"
	diff -r -x '*.jpg' -x loss-report.json "$s/m1" "$s/m2" >/dev/null && ok || bad "masks: synth masks -> cairn -> masks not identical"
	grep -q '"object attributes":' "$s/m1/loss-report.json" && ok || bad "masks: synth loss report lacks the attributes"
else bad "masks: synth import/export"; fi
# Malformed input: each names the file, the line or the value.
m=$T/mk-bad
mkdir -p "$m/colours/trainannot" "$m/unknown/trainannot" "$m/trunc/trainannot" "$m/list/trainannot" "$m/city/gtFine/val/c"
printf '0 0 0 background\n1 2 x car\n' > "$m/colours/label_colors.txt"
python3 tests/formats/pngtool.py write "$m/colours/trainannot/a.png" grey 8 '0 1'
masks_expect_error colours "$m/colours" 'label_colors.txt:2: column 3: expected a colour value 0 to 255, got "x"'
printf '0 0 0 background\n10 20 30 car\n' > "$m/unknown/label_colors.txt"
python3 tests/formats/pngtool.py write "$m/unknown/trainannot/a.png" rgb 8 '1971210 3'
masks_expect_error unknown "$m/unknown" 'trainannot/a.png: colour (3,0,0) is not in the label map (label_colors.txt)'
cp "$m/unknown/label_colors.txt" "$m/trunc/"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' > "$m/trunc/trainannot/a.png"
masks_expect_error truncated "$m/trunc" 'trainannot/a.png: png: '
cp "$m/unknown/label_colors.txt" "$m/list/"
printf '/train/a.png /trainannot/a.png extra\n' > "$m/list/train.txt"
masks_expect_error list "$m/list" 'train.txt:1: expected "/<image> /<mask>", got "/train/a.png /trainannot/a.png extra"'
python3 tests/formats/pngtool.py write "$m/city/gtFine/val/c/x_gtFine_instanceIds.png" grey 16 '7 50001'
masks_expect_error cityclass "$m/city" "gtFine/val/c/x_gtFine_instanceIds.png: value 50001: class 50 is not in Cityscapes' label map"
