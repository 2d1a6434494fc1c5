# Sourced by tests/formats/run.sh: the widerface format. Uses ok, bad, $CAIRN, $T and $FIX.
wf_expect_error() {
	out=$($CAIRN import --data "$T/wf" --project "e$1" --format widerface --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "widerface/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "widerface/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/wf
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/widerface_dataset" ]; then
	# Datumaro's test_can_import: boxes x y w h with the six flags, the event as a
	# label (Parade, Handshaking from dataset_meta.json), splits train and val.
	k=$FIX/widerface_dataset
	if $CAIRN import --data "$d" --project w --no-media "$k" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project w --format coco "$d/w-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project w --format widerface "$d/w-w" >/dev/null 2>&1; then
		python3 - "$d/w-c/annotations" <<'PY' && ok || bad "widerface: facts"
import json, sys
got = []
for split in ("train", "val"):
    d = json.load(open(f"{sys.argv[1]}/instances_{split}.json"))
    cats = {c["id"]: c["name"] for c in d["categories"]}
    assert sorted(cats.values()) == ["Handshaking", "Parade", "face"], cats
    ims = {i["id"]: (i["file_name"].split("/")[-1], i["width"], i["height"]) for i in d["images"]}
    assert all(v[1:] == (15, 10) for v in ims.values()), ims
    for a in d["annotations"]:
        at = a["attributes"]
        got.append((split, ims[a["image_id"]][0], cats[a["category_id"]], a["bbox"],
                    [at[k] for k in ("blur", "expression", "illumination", "occluded", "pose", "invalid")]))
want = [("train", "0_Parade_image_01.jpg", "face", [1, 2, 2, 2], [0, 0, 0, 0, 0, 0]),
        ("train", "1_Handshaking_image_02.jpg", "face", [1, 1, 2, 2], [0, 0, 1, 0, 0, 0]),
        ("train", "1_Handshaking_image_02.jpg", "face", [5, 1, 2, 2], [0, 0, 1, 0, 0, 0]),
        ("val", "0_Parade_image_03.jpg", "face", [0, 0, 1, 1], [2, 0, 0, 0, 2, 0]),
        ("val", "0_Parade_image_03.jpg", "face", [3, 2, 1, 2], [0, 0, 0, 1, 0, 0]),
        ("val", "0_Parade_image_03.jpg", "face", [5, 6, 1, 1], [2, 0, 0, 0, 2, 0])]
assert sorted(got) == sorted(want), got
PY
		# The event tags (Label(0) = Parade, Label(1) = Handshaking) come back as the event folders.
		for s in train val; do
			tr -d '\r' < "$k/wider_face_split/wider_face_${s}_bbx_gt.txt" > "$d/want-$s.txt"
			diff "$d/want-$s.txt" "$d/w-w/wider_face_split/wider_face_${s}_bbx_gt.txt" >/dev/null && ok || bad "widerface: $s round trip"
		done
		grep -qx Parade "$d/w-w/labels.txt" && grep -qx Handshaking "$d/w-w/labels.txt" && ok || bad "widerface: labels.txt"
		# What we wrote reads back the same (labels.txt instead of dataset_meta.json;
		# the images beside it give --no-media the sizes).
		cp -r "$k/WIDER_train" "$k/WIDER_val" "$d/w-w/"
		if $CAIRN import --data "$d" --project w2 --no-media "$d/w-w" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project w2 --format widerface "$d/w-w2" >/dev/null 2>&1; then
			diff -r "$d/w-w/wider_face_split" "$d/w-w2/wider_face_split" >/dev/null && ok || bad "widerface: second round trip"
		else bad "widerface: re-import"; fi
	else bad "widerface: import/export"; fi
fi
# Labels in the last column, True/False and '-' flags, a face count of 0 with its
# dummy line, fractional boxes: written back exactly.
r=$T/wf-rt
mkdir -p "$r/wider_face_split" "$r/WIDER_train/images/3--Riot" "$r/WIDER_train/images/no_label"
printf '3--Riot/a.jpg\n2\n10.5 20 30 40.25 1 - 0 True 2 False\n1 2 3 4 mask\n3--Riot/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\nno_label/c.jpg\n1\n5 5 5 5\n' > "$r/wider_face_split/wider_face_train_bbx_gt.txt"
python3 tests/formats/pngtool.py write "$r/WIDER_train/images/3--Riot/a.png" grey 8 "$(python3 -c "print(';'.join(' '.join(['0'] * 64) for _ in range(48)))")"
for n in a b; do cp "$r/WIDER_train/images/3--Riot/a.png" "$r/WIDER_train/images/3--Riot/$n.jpg"; done
cp "$r/WIDER_train/images/3--Riot/a.png" "$r/WIDER_train/images/no_label/c.jpg"
rm "$r/WIDER_train/images/3--Riot/a.png"
if $CAIRN import --data "$d" --project rt --format widerface --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format widerface "$d/rt-w" >/dev/null 2>&1; then
	diff "$r/wider_face_split/wider_face_train_bbx_gt.txt" "$d/rt-w/wider_face_split/wider_face_train_bbx_gt.txt" >/dev/null && ok || bad "widerface: every column round trip"
else bad "widerface: every column import/export"; fi
# cairn synth: COCO -> WIDER Face (with media) -> Cairn -> COCO keeps every box exactly.
s=$T/wf-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 6 --objects 6 --seed 5 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco "$s/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format widerface --include-media "$s/w" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format widerface "$s/w" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco "$s/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_yolo_boxes.py --tol 0 "$s/c1/annotations/instances.json" "$s/c2/annotations/instances_train.json" && ok || bad "widerface: synth coco -> widerface -> cairn boxes"
else bad "widerface: synth import/export"; fi
# Malformed input.
m=$T/wf-bad
for c in num cols count short path; do mkdir -p "$m/$c/wider_face_split"; done
printf '0--A/a.jpg\n1\n1 x 2 2\n' > "$m/num/wider_face_split/wider_face_train_bbx_gt.txt"
wf_expect_error num "$m/num" 'wider_face_split/wider_face_train_bbx_gt.txt:3: column 2 (y): expected a number, got "x"'
printf '0--A/a.jpg\n1\n1 2 2 2 0 0\n' > "$m/cols/wider_face_split/wider_face_train_bbx_gt.txt"
wf_expect_error cols "$m/cols" 'wider_face_split/wider_face_train_bbx_gt.txt:3: expected x y w h, then optionally the six flags'
printf '0--A/a.jpg\n-2\n' > "$m/count/wider_face_split/wider_face_train_bbx_gt.txt"
wf_expect_error count "$m/count" 'wider_face_split/wider_face_train_bbx_gt.txt:2: face count -2: expected 0 to 1000000'
printf '0--A/a.jpg\n3\n1 2 2 2\n' > "$m/short/wider_face_split/wider_face_train_bbx_gt.txt"
wf_expect_error short "$m/short" 'wider_face_split/wider_face_train_bbx_gt.txt:1: the file ends 2 face lines short of the count'
printf '0--A/a.jpg\n1\n1 2 2 2\nhello\n' > "$m/path/wider_face_split/wider_face_train_bbx_gt.txt"
wf_expect_error path "$m/path" 'wider_face_split/wider_face_train_bbx_gt.txt:4: expected an image path (<event>/<name>.jpg), got "hello"'
