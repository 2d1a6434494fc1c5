# Sourced by tests/formats/run.sh: the market1501 format. Uses ok, bad, $CAIRN, $T and $FIX.
mk_expect_error() {
	out=$($CAIRN import --data "$T/mk" --project "e$1" --format market1501 --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "market1501/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "market1501/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/mk
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/market1501_dataset" ]; then
	# Datumaro's test_can_import: person, camera (0-based), track, frame, bbox and
	# query from each name; the query image is in the test split.
	k=$FIX/market1501_dataset
	if $CAIRN import --data "$d" --project m --no-media "$k" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project m --format cvat "$d/m-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project m --format market1501 "$d/m-m" >/dev/null 2>&1; then
		python3 - "$d/m-c/annotations.xml" <<'PY' && ok || bad "market1501: facts"
import sys, xml.etree.ElementTree as ET
got = []
for im in ET.parse(sys.argv[1]).getroot().iter("image"):
    for t in im.iter("tag"):
        a = {x.get("name"): x.text for x in t.iter("attribute")}
        got.append((im.get("name").split("/")[-1], im.get("subset"), t.get("label"), int(a["camera_id"]),
                    int(a["track_id"]), int(a["frame_id"]), int(a["bbox_id"]), a["query"]))
want = [("0001_c2s3_000111_00.jpg", "test", "0001", 1, 3, 111, 0, "true"),
        ("0001_c1s1_001051_00.jpg", "test", "0001", 0, 1, 1051, 0, "false"),
        ("0002_c1s3_000151_00.jpg", "train", "0002", 0, 3, 151, 0, "false")]
assert sorted(got) == sorted(want), got
PY
		# Every image comes back under its folder, listed in images_<split>.txt.
		[ "$(cat "$d/m-m/images_query.txt")" = "query/0001_c2s3_000111_00.jpg" ] &&
		[ "$(cat "$d/m-m/images_test.txt")" = "bounding_box_test/0001_c1s1_001051_00.jpg" ] &&
		[ "$(cat "$d/m-m/images_train.txt")" = "bounding_box_train/0002_c1s3_000151_00.jpg" ] && ok || bad "market1501: round trip lists"
		# The lists read back (with the images beside them for their sizes).
		cp -r "$k/query" "$k/bounding_box_test" "$k/bounding_box_train" "$d/m-m/"
		if $CAIRN import --data "$d" --project m2 --no-media "$d/m-m" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project m2 --format market1501 "$d/m-m2" >/dev/null 2>&1; then
			for l in query test train; do cmp -s "$d/m-m/images_$l.txt" "$d/m-m2/images_$l.txt" || bad "market1501: second round trip $l"; done; ok
		else bad "market1501: re-import"; fi
	else bad "market1501: import/export"; fi
fi
# A name made from the tag when the file does not follow the pattern, distractors
# (-1) and a name with a suffix.
r=$T/mk-rt
mkdir -p "$r/bounding_box_train"
printf '%s\n' bounding_box_train/-1_c3s2_000010_01.jpg bounding_box_train/0042_c6s1_012345_02_extra.jpg > "$r/images_train.txt"
python3 tests/formats/pngtool.py write "$r/bounding_box_train/-1_c3s2_000010_01.jpg" rgb 8 "0 0;0 0"
cp "$r/bounding_box_train/-1_c3s2_000010_01.jpg" "$r/bounding_box_train/0042_c6s1_012345_02_extra.jpg"
if $CAIRN import --data "$d" --project rt --format market1501 --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format market1501 "$d/rt-m" >/dev/null 2>&1; then
	cmp -s "$r/images_train.txt" "$d/rt-m/images_train.txt" && ok || bad "market1501: distractor and suffix round trip"
else bad "market1501: distractor import/export"; fi
# Malformed input.
m=$T/mk-bad
mkdir -p "$m/none/x" "$m/cam/bounding_box_train" "$m/up"
mk_expect_error none "$m/none" 'no bounding_box_<split>/, query/ or images_<split>.txt (not a Market-1501 dataset)'
printf 'bounding_box_train/0001_c0s1_000001_00.jpg\n' > "$m/cam/images_train.txt"
mk_expect_error cam "$m/cam" "images_train.txt:1: '0001_c0s1_000001_00.jpg': camera c0: cameras count from 1"
printf 'bounding_box_train/a.jpg\n../x.jpg\n' > "$m/up/images_train.txt"
mk_expect_error up "$m/up" "images_train.txt:2: '../x.jpg': not a path inside the dataset"
