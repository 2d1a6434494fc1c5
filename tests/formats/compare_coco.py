#!/usr/bin/env python3
"""Compares two COCO files up to the normalisations of docs/formats/coco.md:
area and bbox are recomputed from the geometry (compared only for boxes),
keys Cairn does not import are ignored, keypoint names may be filled in."""
import json, sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
a, b = (json.load(open(p)) for p in args)
errs = []
ia = {x["id"]: (x["file_name"], x.get("width"), x.get("height")) for x in a["images"]}
ib = {x["id"]: (x["file_name"], x.get("width"), x.get("height")) for x in b["images"]}
if ia != ib:
    errs.append(f"images differ: {ia} vs {ib}")
ca = {c["id"]: c["name"] for c in a["categories"]}
cb = {c["id"]: c["name"] for c in b["categories"]}
if not set(ca.items()) <= set(cb.items()):
    errs.append(f"categories differ: {ca} vs {cb}")
bb = {x["id"]: x for x in b["annotations"]}
for x in a["annotations"]:
    y = bb.get(x["id"])
    if y is None:
        errs.append(f"annotation {x['id']} missing"); continue
    for k in ("image_id", "category_id", "iscrowd", "keypoints", "attributes", "score"):
        if x.get(k, 0 if k == "iscrowd" else None) != y.get(k, 0 if k == "iscrowd" else None):
            if k == "attributes" and not x.get(k) and not y.get(k):
                continue
            errs.append(f"annotation {x['id']}.{k}: {x.get(k)} vs {y.get(k)}")
    sx, sy = x.get("segmentation") or [], y.get("segmentation") or []
    if isinstance(sx, dict) and isinstance(sy, dict):
        if sx["size"] != sy["size"]:
            errs.append(f"annotation {x['id']}.segmentation.size")
        if isinstance(sx["counts"], list) and sx["counts"] != sy["counts"]:
            errs.append(f"annotation {x['id']}.segmentation.counts")
    elif sx != sy:
        errs.append(f"annotation {x['id']}.segmentation: {sx} vs {sy}")
    if not sx and [float(v) for v in x["bbox"]] != [float(v) for v in y["bbox"]]:
        errs.append(f"annotation {x['id']}.bbox: {x['bbox']} vs {y['bbox']}")
if len(b["annotations"]) != len(a["annotations"]):
    errs.append(f"{len(a['annotations'])} annotations vs {len(b['annotations'])}")
for e in errs[:20]:
    print(e)
sys.exit(1 if errs else 0)
