#!/usr/bin/env python3
"""Compares two CVAT for images / for video 1.1 files up to the
normalisations of docs/formats/cvat.md: numbers compare as floats; an
attribute missing on one side equals its default ("", false, or the
default_value its label declares in either file's <meta>) on the other;
shapes without a label are not kept; an image name may gain its subset
folder ("Test/img0.jpg") and subsets compare as Cairn splits (Train ->
train, Validation -> val); shapes of an image and tracks compare as sets;
source is not kept; a file named train.xml, val.xml or test.xml is that split. Usage: compare_cvat.py A.xml B.xml"""
import os, sys
import xml.etree.ElementTree as ET

SPLITS = {"train": "train", "val": "val", "validation": "val", "valid": "val", "test": "test"}
GEOM = ("xtl", "ytl", "xbr", "ybr", "rotation", "cx", "cy", "rx", "ry", "left", "top", "width", "height")

DECLARED = {}  # (label, attribute) -> declared default values (as text and float)

def num(v):
    try:
        return float(v)
    except ValueError:
        return v

def declared(path):
    r = ET.parse(path).getroot()
    for lab in r.iter("label"):
        name = lab.findtext("name")
        for a in lab.iter("attribute"):
            d = a.findtext("default_value")
            if d is not None and a.findtext("name"):
                DECLARED.setdefault((name, a.findtext("name")), set()).add(num(d.strip()))

def attrs(el, defaults, label=None):
    out = {}
    for a in el.findall("attribute"):
        v = (a.text or "")
        out[a.get("name")] = v
    for k, v in list(out.items()):
        if v in defaults or num(v) in DECLARED.get((label, k), ()):
            del out[k]
    norm = {}
    for k, v in out.items():
        try:
            norm[k] = float(v)
        except ValueError:
            norm[k] = v
    return tuple(sorted(norm.items(), key=lambda kv: kv[0]))

def pts(s):
    return tuple(tuple(float(c) for c in p.split(",")) for p in s.split(";")) if s else ()

def mask_pixels(el):
    """CVAT RLE (row-major runs in left/top/width/height, background first) as a pixel set."""
    L, T, W = int(el.get("left")), int(el.get("top")), int(el.get("width"))
    out, pos, v = set(), 0, 0
    for n in (int(c) for c in el.get("rle").replace(" ", "").split(",")):
        if v:
            out.update((L + p % W, T + p // W) for p in range(pos, pos + n))
        pos, v = pos + n, 1 - v
    return tuple(sorted(out))

def shape(el, track=False, label=None):
    # A mask compares by its pixels (the writer crops to the tight box).
    geom = GEOM if el.tag != "mask" else ()
    g = tuple((k, float(el.get(k))) for k in geom if el.get(k) is not None and not (k == "rotation" and float(el.get(k)) == 0))
    cub = tuple(sorted((k, float(v)) for k, v in el.attrib.items() if k[-1] in "12" and k[:1] in "xy"))
    key = [el.tag, g, cub, pts(el.get("points")), mask_pixels(el) if el.tag == "mask" else (),
           int(el.get("occluded", "0")), int(el.get("z_order", "0")), int(el.get("group_id", "0")),
           attrs(el, ("", "false"), el.get("label") if label is None else label)]
    if not track:
        key.insert(1, el.get("label"))
    else:
        key += [int(el.get("frame")), int(el.get("outside", "0")), int(el.get("keyframe", "0"))]
    if el.tag == "skeleton":
        key.append(tuple(sorted((p.get("label"), pts(p.get("points")), int(p.get("outside", "0")),
                                 int(p.get("occluded", "0"))) for p in el.findall("points"))))
    return tuple(key)

def load(path):
    r = ET.parse(path).getroot()
    images, tracks = {}, {}
    for im in r.findall("image"):
        # No subset: a file named after a split (train.xml) is that split.
        stem = os.path.basename(path)[:-4]
        sub = SPLITS.get((im.get("subset") or (stem if stem in ("train", "val", "test") else "")).lower(), "")
        name = im.get("name")
        if "/" in name and name.split("/")[0].lower() in SPLITS:
            name = name.split("/", 1)[1]
        shapes = sorted(shape(s) for s in im if s.tag != "attribute" and (s.get("label") or "") != "")
        images[(sub, name)] = (im.get("width"), im.get("height"), shapes)
    for t in r.findall("track"):
        tracks[int(t.get("id"))] = (t.get("label"), sorted(shape(s, True, t.get("label")) for s in t))
    return images, tracks

declared(sys.argv[1])
declared(sys.argv[2])
(ia, ta), (ib, tb) = load(sys.argv[1]), load(sys.argv[2])
errs = []
if ia.keys() != ib.keys():
    errs.append(f"images differ: {sorted(ia)} vs {sorted(ib)}")
for k in ia.keys() & ib.keys():
    if ia[k] != ib[k]:
        errs.append(f"image {k}: {ia[k]} vs {ib[k]}")
if ta != tb:
    errs.append(f"tracks differ: {ta} vs {tb}")
for e in errs[:20]:
    print(e)
sys.exit(1 if errs else 0)
