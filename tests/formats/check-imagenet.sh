# ImageNet checks, sourced by tests/formats/run.sh (uses ok, bad, $CAIRN, $T, $FIX).
# The Datumaro fixture's facts, and a round trip of class folders.
ind=$T/imagenet
$CAIRN init --data "$ind" --admin admin </dev/null >/dev/null 2>&1
if [ -d "$FIX/imagenet_dataset" ]; then
	# label_0/label_0_1.jpg, label_1/label_1_1.jpg and label_1/label_1_1/label_1_1.jpg
	# are one 8x8 picture (Cairn keeps one item of one content); label_0_2.jpg (10x10)
	# lies in the root: no class. Classes are the sorted folders.
	if $CAIRN import --data "$ind" --project d --format imagenet "$FIX/imagenet_dataset" >"$ind/d.txt" 2>&1 &&
	   $CAIRN export --data "$ind" --project d --format coco "$ind/dc" >/dev/null 2>&1; then
		python3 - "$ind/dc/annotations/instances.json" "$ind/d.txt" <<'PY' && ok || bad "datumaro imagenet facts"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(c["name"] for c in d["categories"]) == ["label_0", "label_1"], d["categories"]
ims = {i["file_name"].rsplit("/", 1)[-1]: (i["width"], i["height"]) for i in d["images"]}
assert ims["label_0_2.jpg"] == (10, 10) and len(ims) == 2, ims
assert "imported 4 images, 3 objects, 2 categories" in open(sys.argv[2]).read()
PY
	else bad "datumaro imagenet import: $(cat "$ind/d.txt")"; fi
fi
# Class folders from cairn synth images -> Cairn -> class folders: the same tree.
if $CAIRN synth "$ind/syn" --images 6 --objects 1 --seed 9 --size 40x30 >/dev/null 2>&1; then
	mkdir -p "$ind/in/cat" "$ind/in/dog/sub" "$ind/in/empty"
	cp "$ind/syn/images/000001.jpg" "$ind/in/cat/1.jpg"
	cp "$ind/syn/images/000002.jpg" "$ind/in/cat/2.jpg"
	cp "$ind/syn/images/000003.jpg" "$ind/in/dog/3.jpg"
	cp "$ind/syn/images/000004.jpg" "$ind/in/dog/sub/4.jpg"
	cp "$ind/syn/images/000005.jpg" "$ind/in/5.jpg"
	if $CAIRN import --data "$ind" --project a --format imagenet "$ind/in" >/dev/null 2>&1 &&
	   $CAIRN export --data "$ind" --project a --format imagenet --include-media "$ind/out" >/dev/null 2>&1; then
		got=$(cd "$ind/out" && find . -name '*.jpg' -o -type d | sort | tr '\n' ' ')
		want='. ./5.jpg ./cat ./cat/1.jpg ./cat/2.jpg ./dog ./dog/3.jpg ./dog/4.jpg ./empty '
		[ "$got" = "$want" ] && ok || bad "imagenet round trip: got '$got', expected '$want'"
		cmp -s "$ind/in/dog/sub/4.jpg" "$ind/out/dog/4.jpg" && ok || bad "imagenet export: not the same bytes"
	else bad "imagenet import/export"; fi
	out=$($CAIRN export --data "$ind" --project a --format imagenet "$ind/out2" 2>&1)
	case $out in *"give --include-media"*) ok ;; *) bad "imagenet without --include-media: $out" ;; esac
else bad "imagenet synth"; fi
