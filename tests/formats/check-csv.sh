# CSV checks, sourced by tests/formats/run.sh (uses ok, bad, $CAIRN, $T).
# A round trip (quoting, several tags of one image, an image without tags),
# a cross check of tags with ImageNet, and each malformed case's line and error.
csd=$T/csv
$CAIRN init --data "$csd" --admin admin </dev/null >/dev/null 2>&1
if $CAIRN synth "$csd/syn" --images 4 --objects 1 --seed 8 --size 40x30 >/dev/null 2>&1; then
	mkdir -p "$csd/in/images"
	cp "$csd/syn/images/000001.jpg" "$csd/in/images/a.jpg"
	cp "$csd/syn/images/000002.jpg" "$csd/in/images/b \"x\", y.jpg"
	cp "$csd/syn/images/000003.jpg" "$csd/in/images/c.jpg"
	printf 'image,label,source\r\na.jpg,cat,web\r\na.jpg,"big, fluffy",web\r\n"b ""x"", y.jpg",dog,cam\r\nc.jpg,,cam\r\n' > "$csd/in/labels.csv"
	out=$($CAIRN import --data "$csd" --project a --format auto "$csd/in" 2>&1)
	case $out in *"3 images, 3 objects, 3 categories"*"CSV column other than image and label"*) ok ;; *) bad "csv import: $out" ;; esac
	if $CAIRN export --data "$csd" --project a --format csv "$csd/a" >/dev/null 2>&1; then
		python3 - "$csd/in/labels.csv" "$csd/a/labels.csv" <<'PY' && ok || bad "csv round trip"
import csv, sys
rows = []
for p in sys.argv[1:]:
    with open(p, newline="") as f:
        r = list(csv.DictReader(f))
    rows.append(sorted((x["image"], x["label"]) for x in r))
assert rows[0] == rows[1], rows
PY
	else bad "csv export"; fi
	# CSV -> ImageNet (class folders) -> Cairn -> CSV keeps one tag an image.
	if $CAIRN export --data "$csd" --project a --format imagenet --include-media "$csd/in2" >"$csd/in2.txt" 2>&1 &&
	   $CAIRN import --data "$csd" --project b --format imagenet "$csd/in2" >/dev/null 2>&1 &&
	   $CAIRN export --data "$csd" --project b --format csv "$csd/b" >/dev/null 2>&1; then
		grep -q "tag after the first of an item (ImageNet keeps one)" "$csd/in2.txt" && ok || bad "csv -> imagenet loss report"
		python3 - "$csd/b/labels.csv" <<'PY' && ok || bad "csv -> imagenet -> csv tags"
import csv, os, sys
with open(sys.argv[1], newline="") as f:
    got = sorted((os.path.basename(x["image"]), x["label"]) for x in csv.DictReader(f))
assert got == [("a.jpg", "cat"), ('b "x", y.jpg', "dog"), ("c.jpg", "")], got
PY
	else bad "csv -> imagenet -> csv"; fi
else bad "csv synth"; fi
for f in tests/formats/csv/bad/*.csv; do
	n=$(basename "$f" .csv)
	mkdir -p "$csd/bad-$n"
	cp "$f" "$csd/bad-$n/labels.csv"
	out=$($CAIRN import --data "$csd" --project "b$n" --format csv --no-media "$csd/bad-$n/labels.csv" 2>&1)
	rc=$?
	want=$(cat "tests/formats/csv/bad/$n.err")
	if [ $rc -ne 1 ]; then bad "csv/bad/$n: exit $rc: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$want"; then bad "csv/bad/$n: got '$out', expected '$want'"
	else ok; fi
done
