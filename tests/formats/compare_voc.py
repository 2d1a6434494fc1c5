#!/usr/bin/env python3
"""Compares two Pascal VOC datasets (folders) up to the normalisations of
docs/formats/voc.md: truncated, difficult and occluded default to 0 and pose
to Unspecified; custom attribute values compare as text; splits compare as
sets of names per ImageSets/Main/<split>.txt ("default" and no list are the
same); per-class lists compare by the names marked 1. Usage: compare_voc.py A_DIR B_DIR"""
import glob, os, sys
import xml.etree.ElementTree as ET

def num(t):
    return float(t.strip())

def box(el):
    b = el.find("bndbox")
    return tuple(num(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))

def flag(o, k):
    e = o.find(k)
    return 0 if e is None or e.text is None else int(e.text.strip() in ("1", "true", "True"))

def objects(path):
    r = ET.parse(path).getroot()
    size = r.find("size")
    wh = (int(size.find("width").text), int(size.find("height").text)) if size is not None else None
    out = []
    for o in r.findall("object"):
        pose = o.find("pose")
        acts = o.find("actions")
        attrs = o.find("attributes")
        out.append((
            o.find("name").text.strip(), box(o),
            flag(o, "truncated"), flag(o, "difficult"), flag(o, "occluded"),
            (pose.text or "").strip() if pose is not None and (pose.text or "").strip() else "Unspecified",
            tuple(sorted((a.tag, int(a.text.strip() in ("1", "true"))) for a in acts)) if acts is not None else (),
            tuple(sorted((p.find("name").text.strip(), box(p)) for p in o.findall("part"))),
            tuple(sorted((a.find("name").text, (a.find("value").text or "")) for a in attrs.findall("attribute"))) if attrs is not None else (),
        ))
    fn = r.find("filename")
    return (fn.text.strip() if fn is not None else None), wh, sorted(out)

def splits(d):
    out = {}
    for f in glob.glob(os.path.join(d, "ImageSets", "Main", "*.txt")):
        n = os.path.basename(f)[:-4]
        if "_" in n:
            continue
        names = {l.split()[0] for l in open(f) if l.strip()}
        if names:
            out[n if n != "default" else ""] = names
    return out

args = [x for x in sys.argv[1:] if not x.startswith("--")]
annotated = "--annotated" in sys.argv  # splits: only names with an annotation file
a, b = args[:2]
errs = []
fa = {os.path.relpath(p, a) for p in glob.glob(os.path.join(a, "Annotations", "**", "*.xml"), recursive=True)}
fb = {os.path.relpath(p, b) for p in glob.glob(os.path.join(b, "Annotations", "**", "*.xml"), recursive=True)}
if not fa <= fb:
    errs.append(f"annotation files missing: {sorted(fa - fb)}")
for f in sorted(fa & fb):
    x, y = objects(os.path.join(a, f)), objects(os.path.join(b, f))
    if x != y:
        errs.append(f"{f}: {x} vs {y}")
sa, sb = splits(a), splits(b)
stems = {f[len("Annotations/"):-4] for f in fa}
for k, v in sa.items():
    if annotated:
        v = v & stems
    if sb.get(k, set()) >= v:
        continue
    errs.append(f"split {k or 'default'}: {sorted(v)} vs {sorted(sb.get(k, set()))}")
def class_lists(d):
    # ImageSets/Main/<class>_<split>.txt: the names marked 1, per class (splits merged).
    out = {}
    for f in glob.glob(os.path.join(d, "ImageSets", "Main", "*_*.txt")):
        cls = os.path.basename(f)[:-4].rsplit("_", 1)[0]
        pos = {l.split()[0] for l in open(f) if len(l.split()) >= 2 and l.split()[1] == "1"}
        if pos:
            out.setdefault(cls, set()).update(pos)
    return out

ca, cb = class_lists(a), class_lists(b)
if annotated:
    ca = {k: v & stems for k, v in ca.items() if v & stems}
if ca != cb:
    errs.append(f"class lists differ: {ca} vs {cb}")
for e in errs[:20]:
    print(e)
sys.exit(1 if errs else 0)
