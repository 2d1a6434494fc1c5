# Sourced by tests/formats/run.sh: the mot format. Uses ok, bad, $CAIRN, $T and $FIX.
mot_expect_error() {
	out=$($CAIRN import --data "$T/mt" --project "e$1" --format mot --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "mot/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "mot/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/mt
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/mot_dataset" ]; then
	# `1,-1,0,4,4,8,1,3,1.0`: frame 1, box x=0 y=4 w=4 h=8, class 3 (gt/labels.txt line 3:
	# label_2), visibility 1.0, no track, on a 16x16 image; with seqinfo.ini (no media
	# needed) and without (the size from img1/000001.jpg).
	for v in mot_seq_with_seqinfo mot_seq; do
		args=--no-media; [ $v = mot_seq ] && args=
		if $CAIRN import --data "$d" --project $v $args "$FIX/mot_dataset/$v" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project $v --format coco "$d/$v-c" >/dev/null 2>&1 &&
		   $CAIRN export --data "$d" --project $v --format mot "$d/$v-m" >/dev/null 2>&1; then
			python3 - "$d/$v-c/annotations/instances.json" <<'PY' && ok || bad "mot: $v facts"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(i["file_name"], i["width"], i["height"]) for i in d["images"]] == [("000001.jpg", 16, 16)], d["images"]
(a,) = d["annotations"]
assert a["bbox"] == [0, 4, 4, 8], a
assert {c["id"]: c["name"] for c in d["categories"]}[a["category_id"]] == "label_2"
assert a["attributes"] == {"conf": 1, "visibility": 1}, a
PY
			python3 tests/formats/compare_text_rows.py mot "$FIX/mot_dataset/$v" "$d/$v-m" && ok || bad "mot: $v round trip"
		else bad "mot: $v import/export"; fi
	done
fi
# Tracks, fractional boxes, classes with gaps, -1 classes: written back exactly.
r=$T/mt-rt
mkdir -p "$r/gt"
printf '[Sequence]\nname=x\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\nimExt=.png\n' > "$r/seqinfo.ini"
printf 'pedestrian\ncar\nbike\n' > "$r/gt/labels.txt"
printf '1,1,10.5,4.25,20,30.125,1,1,0.5\n1,2,0,0,3,3,0,3,1\n2,1,11.5,5.25,20,30.125,1,1,0.75\n3,0,1e-3,2,7,8,1,2,0.333333333333\n3,-1,5,5,5,5,-1,-1,-1\n' > "$r/gt/gt.txt"
if $CAIRN import --data "$d" --project rt --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format mot "$d/rt-m" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format coco "$d/rt-c" >/dev/null 2>&1; then
	python3 tests/formats/compare_text_rows.py mot "$r" "$d/rt-m" && ok || bad "mot: tracks round trip"
	python3 - "$d/rt-c/annotations/instances.json" <<'PY' && ok || bad "mot: tracks facts"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["images"]) == 3 and len(d["annotations"]) == 5
PY
else bad "mot: tracks import/export"; fi
# 1500 random 2-decimal boxes: widths written back as written (x + w - x is not always w
# in floating point; the writer picks the shortest w that gives x + w again).
r=$T/mt-rand
mkdir -p "$r/gt"
printf '[Sequence]\nseqLength=300\nimWidth=1920\nimHeight=1080\nimExt=.jpg\n' > "$r/seqinfo.ini"
python3 -c "
import random
random.seed(3)
for fr in range(1, 301):
    for t in range(5):
        print('%d,%d,%.2f,%.2f,%.2f,%.2f,1,%d,%.3f' % (fr, t + 1, random.uniform(0, 1800), random.uniform(0, 1000),
              random.uniform(1, 100), random.uniform(1, 100), random.randint(1, 12), random.random()))
" > "$r/gt/gt.txt"
if $CAIRN import --data "$d" --project rand --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rand --format mot "$d/rand-m" >/dev/null 2>&1; then
	python3 tests/formats/compare_text_rows.py mot "$r" "$d/rand-m" && ok || bad "mot: random boxes round trip"
else bad "mot: random boxes import/export"; fi
# cairn synth: COCO -> MOT (with media) -> Cairn -> COCO keeps every shape's box exactly.
s=$T/mt-synth
$CAIRN init --data "$s" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$s/in" --images 6 --objects 6 --seed 8 --size 160x120 >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project syn "$s/in" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format coco "$s/c1" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project syn --format mot --include-media "$s/m" >/dev/null 2>&1 &&
   $CAIRN import --data "$s" --project back --format mot "$s/m" >/dev/null 2>&1 &&
   $CAIRN export --data "$s" --project back --format coco "$s/c2" >/dev/null 2>&1; then
	python3 tests/formats/compare_yolo_boxes.py --tol 0 "$s/c1/annotations/instances.json" "$s/c2/annotations/instances.json" && ok || bad "mot: synth coco -> mot -> cairn boxes"
else bad "mot: synth import/export"; fi
# Malformed input: file, line, column and value.
m=$T/mt-bad
for c in num cols frame cls track seq; do mkdir -p "$m/$c/gt"; done
printf '1,1,0,0,4,4,1,1,1\n1,2,0,0,x,4,1,1,1\n' > "$m/num/gt/gt.txt"
mot_expect_error num "$m/num" 'gt/gt.txt:2: column 5 (w): expected a number, got "x"'
printf '1,1,0,0\n' > "$m/cols/gt/gt.txt"
mot_expect_error cols "$m/cols" 'gt/gt.txt:1: expected 6 to 10 comma-separated columns'
printf '0,1,0,0,4,4,1,1,1\n' > "$m/frame/gt/gt.txt"
mot_expect_error frame "$m/frame" 'gt/gt.txt:1: column 1 (frame): expected a frame number 1 to 100000000, got "0"'
printf '1,1,0,0,4,4,1,13,1\n' > "$m/cls/gt/gt.txt"
mot_expect_error cls "$m/cls" "gt/gt.txt:1: column 8 (class): class 13 is not in MOT's classes (12 classes)"
printf '1,1.5,0,0,4,4,1,1,1\n' > "$m/track/gt/gt.txt"
mot_expect_error track "$m/track" 'gt/gt.txt:1: column 2 (id): expected an integer, got "1.5"'
printf '1,1,0,0,4,4,1,1,1\n' > "$m/seq/gt/gt.txt"
printf '[Sequence]\nseqLength=ten\n' > "$m/seq/seqinfo.ini"
mot_expect_error seq "$m/seq" 'seqinfo.ini:2: seqLength: expected a number 0 to 100000000, got "ten"'
