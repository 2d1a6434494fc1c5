# Sourced by tests/formats/run.sh: an annotation file imported alone into a
# project whose images were ingested before attaches its annotations to
# those items (matched by file name, or by content with --media) instead of
# making new items. Uses ok, bad, $CAIRN and $T.
d=$T/attach
mkdir -p "$d/ann"
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
$CAIRN synth "$d/a" --images 3 --objects 2 --seed 11 --size 64x48 >/dev/null 2>&1
$CAIRN synth "$d/b" --images 1 --objects 2 --seed 12 --size 64x48 >/dev/null 2>&1
mv "$d/a/images" "$d/photos"
printf '{"cairn_schema":1,"labels":[{"name":"cat","shapes":["box"]},{"name":"dog","shapes":["box"]}]}' > "$d/schema.json"
$CAIRN project create p --schema "$d/schema.json" --data "$d" >/dev/null 2>&1
$CAIRN ingest --data "$d" --project p --near-threshold 0 "$d/photos" >/dev/null 2>&1
# images ($1: a list of "id:file_name"), two boxes on each
attach_coco() {
	python3 - "$@" <<'PY'
import json, sys
out, pairs = sys.argv[1], sys.argv[2:]
images, anns = [], []
for p in pairs:
    i, fn = p.split(":", 1)
    images.append({"id": int(i), "file_name": fn, "width": 64, "height": 48})
    for k in range(2):
        anns.append({"id": 10 * int(i) + k, "image_id": int(i), "category_id": 1 + k,
                     "bbox": [1 + k, 2, 10, 5 + int(i)], "area": 50, "iscrowd": 0})
json.dump({"images": images, "annotations": anns,
           "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}, open(out, "w"))
PY
}
attach_stat() { # project key: prints the number
	$CAIRN stats --data "$d" --project "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
# The JSON alone: its two images are two of the three items ingested (photos/000001.jpg ...).
attach_coco "$d/ann/two.json" 1:000001.jpg 2:000002.jpg
if out=$($CAIRN import --data "$d" --project p --format coco "$d/ann/two.json" 2>&1) &&
   [ "$(attach_stat p items)" = 3 ] && [ "$(attach_stat p annotations)" = 2 ] && [ "$(attach_stat p objects)" = 4 ] &&
   printf '%s' "$out" | grep -qF "(0 new items, 2 annotations" &&
   $CAIRN export --data "$d" --project p --format coco "$d/out1" >/dev/null 2>&1; then
	python3 - "$d/out1/annotations/instances.json" <<'PY' && ok || bad "attach: the exported boxes are not on the matched images"
import json, sys
d = json.load(open(sys.argv[1]))
names = {i["id"]: i["file_name"] for i in d["images"]}
got = sorted((names[a["image_id"]], a["bbox"][3]) for a in d["annotations"])
assert got == [("000001.jpg", 6), ("000001.jpg", 6), ("000002.jpg", 7), ("000002.jpg", 7)], got
PY
else bad "attach: JSON alone onto ingested items: $out"; fi
# The same with --no-media: matched by name, still no new item.
attach_coco "$d/ann/three.json" 1:000001.jpg 3:000003.jpg
if out=$($CAIRN import --data "$d" --project p --format coco --no-media "$d/ann/three.json" 2>&1) &&
   [ "$(attach_stat p items)" = 3 ] && [ "$(attach_stat p annotations)" = 3 ]; then ok
else bad "attach: --no-media onto ingested items: $out"; fi
# A name no item has: an error naming the image, and nothing written.
attach_coco "$d/ann/missing.json" 1:000001.jpg 7:nope.jpg
out=$($CAIRN import --data "$d" --project p --format coco "$d/ann/missing.json" 2>&1)
if [ $? -eq 1 ] && printf '%s' "$out" | grep -qF "media file 'nope.jpg' not found" &&
   printf '%s' "$out" | grep -qF "no item of that name" && [ "$(attach_stat p objects)" = 6 ]; then ok
else bad "attach: missing name: $out"; fi
# Two items of that name (photos/000001.jpg, other/000001.jpg): an error naming
# both; a longer file name that tells them apart attaches.
mv "$d/b/images" "$d/other"
$CAIRN ingest --data "$d" --project p --near-threshold 0 "$d/other" >/dev/null 2>&1
attach_coco "$d/ann/ambiguous.json" 5:000001.jpg
out=$($CAIRN import --data "$d" --project p --format coco "$d/ann/ambiguous.json" 2>&1)
if [ $? -eq 1 ] && printf '%s' "$out" | grep -qF "file name '000001.jpg' matches 2 items of the project: 'photos/000001.jpg'" &&
   printf '%s' "$out" | grep -qF "'other/000001.jpg'"; then ok
else bad "attach: ambiguous name: $out"; fi
attach_coco "$d/ann/longer.json" 5:other/000001.jpg
if out=$($CAIRN import --data "$d" --project p --format coco "$d/ann/longer.json" 2>&1) &&
   [ "$(attach_stat p items)" = 4 ] && [ "$(attach_stat p annotations)" = 4 ]; then ok
else bad "attach: path suffix: $out"; fi
# With --media the bytes decide: an image already ingested under another name is that item.
attach_coco "$d/ann/bytes.json" 2:x.jpg
mkdir -p "$d/renamed" && cp "$d/photos/000002.jpg" "$d/renamed/x.jpg"
if out=$($CAIRN import --data "$d" --project p --format coco --media "$d/renamed" "$d/ann/bytes.json" 2>&1) &&
   [ "$(attach_stat p items)" = 4 ] && [ "$(attach_stat p annotations)" = 4 ]; then ok
else bad "attach: --media matched by content: $out"; fi
