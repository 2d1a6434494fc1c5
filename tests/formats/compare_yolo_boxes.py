#!/usr/bin/env python3
"""Boxes of two COCO files match: per image (by base file name), the multiset of
(category name, bbox) within a tolerance in pixels. Used for COCO -> YOLO ->
Cairn -> COCO, where every shape comes back as its bounding box.
Usage: compare_yolo_boxes.py [--tol 1e-6] A.json B.json"""
import json, os, sys

args = sys.argv[1:]
tol = 1e-6
if args[0] == "--tol":
    tol = float(args[1]); args = args[2:]
a, b = (json.load(open(p)) for p in args)

def boxes(d):
    cats = {c["id"]: c["name"] for c in d["categories"]}
    ims = {i["id"]: os.path.basename(i["file_name"]) for i in d["images"]}
    out = {n: [] for n in ims.values()}
    for x in d["annotations"]:
        out[ims[x["image_id"]]].append((cats[x["category_id"]], *x["bbox"]))
    return {k: sorted(v) for k, v in out.items()}

A, B = boxes(a), boxes(b)
bad = 0
if sorted(A) != sorted(B):
    print("images differ:", sorted(set(A) ^ set(B))); sys.exit(1)
for k in A:
    if len(A[k]) != len(B[k]):
        print(k, "box count", len(A[k]), "!=", len(B[k])); bad += 1; continue
    for p, q in zip(A[k], B[k]):
        if p[0] != q[0] or any(abs(u - v) > tol for u, v in zip(p[1:], q[1:])):
            print(k, p, "!=", q); bad += 1
sys.exit(1 if bad else 0)
