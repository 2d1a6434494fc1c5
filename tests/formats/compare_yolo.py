#!/usr/bin/env python3
"""A YOLO dataset exported by Cairn matches the one imported: the same class
names under the same ids (data.yaml, read with PyYAML when present, as
Ultralytics reads it) and, per image, the same label lines: the class and
the numbers within 1e-9 (the writer prints the shortest form, so 0.300000
comes back as 0.3). Labels are matched by the image's file name.
Usage: compare_yolo.py INPUT_DIR OUTPUT_DIR"""
import os, sys

src, out = sys.argv[1], sys.argv[2]

def names_of(d):
    y = os.path.join(d, "data.yaml")
    if os.path.exists(y):
        try:
            import yaml
        except ImportError:
            return None
        n = yaml.safe_load(open(y))["names"]
        return dict(enumerate(n)) if isinstance(n, list) else {int(k): v for k, v in n.items()}
    return dict(enumerate(l.rstrip("\r\n") for l in open(os.path.join(d, "obj.names")) if l.strip()))

def labels_of(d):
    res = {}
    for root, _, files in os.walk(d):
        for f in files:
            if not f.endswith(".txt") or f in ("train.txt", "valid.txt", "test.txt", "README.txt"):
                continue
            alias = {"train": "train", "val": "val", "valid": "val", "test": "test"}
            parts = [alias[x] for x in os.path.relpath(root, d).split(os.sep) if x in alias]
            split = parts[0] if parts else "train"
            rows = []
            for line in open(os.path.join(root, f)):
                t = line.split()
                if t:
                    rows.append((int(t[0]), *map(float, t[1:])))
            # Sorted on rounded numbers, so 0.09999999999999999 and 0.1 sort alike.
            rows.sort(key=lambda r: tuple(round(x, 6) for x in r))
            res[(split if split in ("train", "val", "test") else "train", f)] = rows
    return res

bad = 0
a, b = names_of(src), names_of(out)
if a is not None and b is not None and a != b:
    print("names differ:", a, b); bad += 1
A, B = labels_of(src), labels_of(out)
for k in sorted(set(A) | set(B)):
    p, q = A.get(k, []), B.get(k, [])
    if len(p) != len(q) or any(r[0] != s[0] or len(r) != len(s) or
                               any(abs(u - v) > 1e-9 for u, v in zip(r[1:], s[1:]))
                               for r, s in zip(p, q)):
        print(k, p, "!=", q); bad += 1
sys.exit(1 if bad else 0)
