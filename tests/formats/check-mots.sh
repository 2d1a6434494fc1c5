# Sourced by tests/formats/run.sh: the mots format. Uses ok, bad, $CAIRN, $T and $FIX.
mots_expect_error() {
	out=$($CAIRN import --data "$T/mts" --project "e$1" --format mots --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "mots/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "mots/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/mts
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/mots_dataset" ]; then
	# Datumaro's test_can_import: one mask per value, class = value / 1000 (labels.txt
	# line), track = value % 1000. (Its 1x5 JPEGs disagree with the 5x1 PNGs, so the
	# sizes come from the PNGs: --no-media.)
	k=$FIX/mots_dataset
	if $CAIRN import --data "$d" --project m --no-media "$k" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project m --format coco "$d/m-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project m --format mots "$d/m-m" >/dev/null 2>&1; then
		python3 - "$d/m-c/annotations" <<'PY' && ok || bad "mots: facts"
import json, sys
got = []
for split in ("train", "val"):
    d = json.load(open(f"{sys.argv[1]}/instances_{split}.json"))
    cats = {c["id"]: c["name"] for c in d["categories"]}
    assert [cats[i] for i in sorted(cats)] == ["a", "b", "c", "d"], cats
    ims = {i["id"]: i["file_name"].split("/")[-1] for i in d["images"]}
    for a in d["annotations"]:
        rle = a["segmentation"]
        assert rle["size"] == [1, 5], rle
        # columns set, from the uncompressed or compressed RLE via the bbox (1 row)
        x, y, w, h = a["bbox"]
        got.append((split, ims[a["image_id"]], cats[a["category_id"]], list(range(int(x), int(x + w))), a["area"]))
want = [("train", "1.jpg", "d", [3], 1), ("train", "1.jpg", "c", [2], 1), ("train", "1.jpg", "d", [0, 1], 2),
        ("train", "2.jpg", "d", [0], 1), ("val", "3.jpg", "a", [1], 1)]
assert sorted(got) == sorted(want), got
PY
		# The PNGs come back pixel for pixel (class and track in each value).
		for p in train/instances/1.png train/instances/2.png val/instances/3.png; do
			python3 -c "
import sys; sys.path.insert(0, 'tests/formats'); import pngtool
a, b = pngtool.read(sys.argv[1]), pngtool.read(sys.argv[2])
assert (a['w'], a['h'], a['depth'], a['px']) == (b['w'], b['h'], b['depth'], b['px']), (a['px'], b['px'])" "$k/$p" "$d/m-m/$p" && ok || bad "mots: $p round trip"
		done
		[ "$(cat "$d/m-m/train/instances/labels.txt")" = "$(cat "$k/train/instances/labels.txt")" ] && ok || bad "mots: labels.txt"
	else bad "mots: import/export"; fi
fi
# MOTS's own classes without labels.txt (1 car, 2 pedestrian, 10 ignored), and a
# mask of cairn synth data through MOTS and back.
r=$T/mts-own
mkdir -p "$r/instances"
python3 tests/formats/pngtool.py write "$r/instances/000001.png" grey 16 "1001 1001 2005 0;0 10000 10000 2005"
if $CAIRN import --data "$d" --project own --format mots --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project own --format mots "$d/own" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project own --format cvat "$d/own-c" >/dev/null 2>&1; then
	python3 -c "
import sys; sys.path.insert(0, 'tests/formats'); import pngtool
assert pngtool.read(sys.argv[1])['px'] == pngtool.read(sys.argv[2])['px']" "$r/instances/000001.png" "$d/own/instances/000001.png" && ok || bad "mots: own classes round trip"
	grep -q 'label="ignored"' "$d/own-c/annotations.xml" && grep -q 'label="pedestrian"' "$d/own-c/annotations.xml" && ok || bad "mots: own class names"
else bad "mots: own classes import/export"; fi
s=$T/mts-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 4 --objects 5 --seed 3 --size 120x90 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format mots --include-media "$s/m" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format mots "$s/m" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format mots "$s/m2" >/dev/null 2>&1; then
	ok=1
	for p in "$s"/m/instances/*.png; do
		python3 -c "
import sys; sys.path.insert(0, 'tests/formats'); import pngtool
assert pngtool.read(sys.argv[1])['px'] == pngtool.read(sys.argv[2])['px']" "$p" "$s/m2/instances/$(basename "$p")" || ok=0
	done
	[ $ok = 1 ] && [ -n "$(ls "$s"/m/instances/*.png 2>/dev/null)" ] && ok || bad "mots: synth mots -> cairn -> mots"
else bad "mots: synth import/export"; fi
# Malformed input.
m=$T/mts-bad
mkdir -p "$m/cls/instances" "$m/rgb/instances" "$m/png/instances" "$m/none"
printf 'a\nb\n' > "$m/cls/instances/labels.txt"
python3 tests/formats/pngtool.py write "$m/cls/instances/1.png" grey 16 "3001 0"
mots_expect_error cls "$m/cls" 'instances/1.png: class 3 (pixel value 3000..3999): not in labels.txt (2 classes)'
python3 tests/formats/pngtool.py write "$m/rgb/instances/1.png" rgb 8 "1 0"
mots_expect_error rgb "$m/rgb" 'instances/1.png: a MOTS instance PNG must be greyscale'
printf 'not a png' > "$m/png/instances/1.png"
mots_expect_error png "$m/png" 'instances/1.png: png:'
mots_expect_error none "$m/none" 'no instances/ folder (a MOTS dataset has <split>/instances/*.png)'
# A sequence folder that is not a split (seq0007/) comes back under its name.
q=$T/mts-seq
mkdir -p "$q/seq0007/instances"
python3 tests/formats/pngtool.py write "$q/seq0007/instances/000001.png" grey 16 "1001 0"
if $CAIRN import --data "$d" --project seq --format mots --no-media "$q" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project seq --format mots "$d/seq" >/dev/null 2>&1; then
	[ -f "$d/seq/seq0007/instances/000001.png" ] && ok || bad "mots: sequence folder round trip"
else bad "mots: sequence folder import/export"; fi
# The txt layout (KITTI MOTS instances_txt/<seq>.txt: frame id class height
# width rle): each line one mask on image <seq>/<frame>.png, written out as
# the PNG layout under the sequence's folder with the same pixel values.
x=$T/mts-txt
mkdir -p "$x/instances_txt"
printf '0 2001 2 3 4 02:\n0 1003 1 3 4 336\n1 2001 2 3 4 66\n' > "$x/instances_txt/0002.txt"
if $CAIRN import --data "$d" --project txt --no-media "$x" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project txt --format mots "$d/txt" >/dev/null 2>&1; then
	python3 - "$d/txt/0002/instances" <<'PY' && ok || bad "mots: txt layout"
import sys
sys.path.insert(0, "tests/formats")
import pngtool
a = pngtool.read(sys.argv[1] + "/000000.png")["px"]
b = pngtool.read(sys.argv[1] + "/000001.png")["px"]
assert a == [[2001, 1003, 0, 0], [2001, 1003, 0, 0], [0, 1003, 0, 0]], a
assert b == [[0, 0, 2001, 2001]] * 3, b
assert open(sys.argv[1] + "/labels.txt").read() == "car\npedestrian\n"
PY
else bad "mots: txt layout import/export"; fi
mkdir -p "$m/txt1/instances_txt" "$m/txt2/instances_txt" "$m/txt3/instances_txt"
printf '0 2001 2 3 4 02:\n0 2001 3 3 4 02:\n' > "$m/txt1/instances_txt/0001.txt"
mots_expect_error txt1 "$m/txt1" 'instances_txt/0001.txt:2: id 2001 is not class 3 * 1000 + instance'
printf '0 2001 2 3 4\n' > "$m/txt2/instances_txt/0001.txt"
mots_expect_error txt2 "$m/txt2" 'instances_txt/0001.txt:1: expected 6 columns (frame id class height width rle), got 5'
printf '0 2001 2 3 4 02\n' > "$m/txt3/instances_txt/0001.txt"
mots_expect_error txt3 "$m/txt3" 'instances_txt/0001.txt:1: column 6 (rle):'
