# Sourced by tests/formats/run.sh: the labelme-xml format (MIT LabelMe XML).
# Uses ok, bad, $CAIRN, $T and $FIX.
lx_expect_error() {
	out=$($CAIRN import --data "$T/lx" --project "e$1" --format labelme-xml --no-media "$2" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then bad "labelme-xml/$1: exit $rc, expected 1: $out"
	elif ! printf '%s' "$out" | grep -qF -- "$3"; then bad "labelme-xml/$1: got '$out', expected '$3'"
	else ok; fi
}
d=$T/lx
$CAIRN init --data "$d" --admin admin </dev/null >/dev/null 2>&1
# The objects of a LabelMe XML folder as Datumaro's test states them: (id, label,
# kind, geometry, attributes, occluded, group); masks as their set pixels.
cat > "$T/lx_objects.py" <<'PY'
import os, sys, xml.etree.ElementTree as ET
sys.path.insert(0, "tests/formats")
import pngtool

def attrs(t):
    out = {}
    for p in (t or "").split(","):
        p = p.strip()
        if not p:
            continue
        if "=" in p:
            k, v = p.split("=", 1)
            out[k] = v
        else:
            out[p] = True
    return out

def objects(root):
    res = []
    for xf in sorted(os.listdir(os.path.join(root, "Annotations", "subset1"))):
        a = ET.parse(os.path.join(root, "Annotations", "subset1", xf)).getroot()
        objs = {}
        for o in a.iter("object"):
            i = int(o.find("id").text)
            kids = (o.find("parts/hasparts").text or "") if o.find("parts/hasparts") is not None else ""
            par = (o.find("parts/ispartof").text or "") if o.find("parts/ispartof") is not None else ""
            occ = o.find("occluded") is not None and o.find("occluded").text == "yes"
            if o.find("polygon") is not None:
                pts = [(float(p.find("x").text), float(p.find("y").text)) for p in o.iter("pt")]
                user = o.find("polygon/username").text or ""
                if o.find("type") is not None and o.find("type").text == "bounding_box":
                    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                    geo = ("box", min(xs), min(ys), max(xs), max(ys))
                else:
                    geo = ("polygon",) + tuple(pts)
            else:
                user = o.find("segm/username").text or ""
                m = pngtool.read(os.path.join(root, "Masks", "subset1", o.find("segm/mask").text))
                geo = ("mask",) + tuple((x, y) for y, row in enumerate(m["px"]) for x, v in enumerate(row) if v)
            at = attrs(o.find("attributes").text if o.find("attributes") is not None else "")
            at["username"] = user
            objs[i] = [o.find("name").text, geo, sorted(at.items()), occ, kids, par]
        # groups: the root of each part tree, as in Datumaro
        def root_of(i):
            while objs[i][5]:
                i = int(objs[i][5].split(",")[0])
            return i
        grouped = {i for i, v in objs.items() if v[4] or v[5]}
        for i in objs:
            objs[i][4] = root_of(i) if i in grouped else None
        for v in objs.values():
            del v[5]
        res += [(xf, i, *v) for i, v in sorted(objs.items())]
    return res
PY
if [ -d "$FIX/labelme_dataset" ]; then
	k=$FIX/labelme_dataset
	if $CAIRN import --data "$d" --project l --no-media "$k" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project l --format cvat "$d/l-c" >/dev/null 2>&1 &&
	   $CAIRN export --data "$d" --project l --format labelme-xml "$d/l-l" >/dev/null 2>&1; then
		# Datumaro's test_can_import: 7 objects, their labels in order, a box from the
		# bounding_box polygon, two masks, occluded, the attributes text and groups 2
		# (o1, q1, b1) and 1 (m1, hg).
		python3 - "$d/l-c/annotations.xml" <<'PY' && ok || bad "labelme-xml: facts"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
labels = [l.find("name").text for l in r.iter("label")]
assert labels == ["window", "license plate", "o1", "q1", "b1", "m1", "hg"], labels
im = next(r.iter("image"))
assert (im.get("name").split("/")[-1], im.get("width"), im.get("height")) == ("img1.png", "102", "77")
got = []
for o in im:
    a = {x.get("name"): x.text for x in o.iter("attribute")}
    got.append((o.tag, o.get("label"), o.get("occluded"), o.get("group_id"), a))
want = [("polygon", "window", "0", None, {"username": "admin"}),
        ("mask", "license plate", "0", None, {"username": "brussell"}),
        ("polygon", "o1", "1", "2", {"a1": "true", "username": "anonymous"}),
        ("polygon", "q1", "0", "2", {"kj": "true", "username": "anonymous"}),
        ("box", "b1", "1", "2", {"hg": "true", "username": "anonymous"}),
        ("mask", "m1", "0", "1", {"d": "true", "username": "anonymous"}),
        ("polygon", "hg", "0", "1", {"gfd lkj lkj hi": "true", "username": "anonymous"})]
assert got == want, got
box = [o for o in im if o.tag == "box"][0]
assert [box.get(k) for k in ("xtl", "ytl", "xbr", "ybr")] == ["13", "19", "23", "30"]
m = [o for o in im if o.tag == "mask"]
assert [(x.get("left"), x.get("top"), x.get("width"), x.get("height")) for x in m] == [("58", "67", "5", "2"), ("55", "14", "15", "10")]
PY
		# Round trip: every object's label, geometry (mask pixels), attributes,
		# occluded and part tree come back.
		python3 -c "
import sys; sys.path.insert(0, sys.argv[3]); from lx_objects import objects
a, b = objects(sys.argv[1]), objects(sys.argv[2])
assert a == b, (a, b)" "$k" "$d/l-l" "$T" && ok || bad "labelme-xml: round trip"
	else bad "labelme-xml: import/export"; fi
fi
# Attribute text: values as numbers, words, quoted numbers and escapes; deleted
# objects skipped; a fractional polygon.
r=$T/lx-rt
mkdir -p "$r/Annotations/subset1" "$r/Images/subset1"
cat > "$r/Annotations/subset1/a.xml" <<'XML'
<annotation><filename>a.jpg</filename><folder>subset1</folder><imagesize><nrows>40</nrows><ncols>60</ncols></imagesize>
<object><name>car</name><deleted>0</deleted><occluded>no</occluded><attributes>n=3, f=2.5, w=red, q="7", e=a\,b\=c, flag</attributes><id>4</id><polygon><username>u</username><pt><x>1.5</x><y>2</y></pt><pt><x>10</x><y>2</y></pt><pt><x>10</x><y>9.25</y></pt></polygon></object>
<object><name>gone</name><deleted>1</deleted><id>5</id><polygon><username>u</username><pt><x>1</x><y>2</y></pt><pt><x>3</x><y>2</y></pt><pt><x>3</x><y>4</y></pt></polygon></object>
</annotation>
XML
if $CAIRN import --data "$d" --project rt --format labelme-xml --no-media "$r" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format labelme-xml "$d/rt-l" >/dev/null 2>&1 &&
   $CAIRN export --data "$d" --project rt --format cvat "$d/rt-c" >/dev/null 2>&1; then
	python3 - "$d/rt-c/annotations.xml" "$d/rt-l/Annotations/subset1/a.xml" <<'PY' && ok || bad "labelme-xml: attribute text"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
objs = list(next(r.iter("image")))
assert len(objs) == 1 and objs[0].get("points") == "1.5,2;10,2;10,9.25", [o.attrib for o in objs]
a = {x.get("name"): x.text for x in objs[0].iter("attribute")}
assert a == {"n": "3", "f": "2.5", "w": "red", "q": "7", "e": "a,b=c", "flag": "true", "username": "u"}, a
t = ET.parse(sys.argv[2]).getroot().find("object/attributes").text
assert t == 'n=3, f=2.5, w=red, q="7", e=a\\,b\\=c, flag', t
assert ET.parse(sys.argv[2]).getroot().find("object/id").text == "4"
PY
else bad "labelme-xml: attribute text import/export"; fi
# `--format auto` picks labelme-xml for the fixture, and the JSON reader points here.
if [ -d "$FIX/labelme_dataset" ]; then
	$CAIRN import --data "$d" --project auto --no-media "$FIX/labelme_dataset" >/dev/null 2>&1 && ok || bad "labelme-xml: --format auto"
	out=$($CAIRN import --data "$d" --project j --format labelme --no-media "$FIX/labelme_dataset" 2>&1)
	printf '%s' "$out" | grep -qF -- "--format labelme-xml" && ok || bad "labelme-xml: the JSON reader's hint: $out"
fi
# Malformed input.
m=$T/lx-bad
lx_bad() { mkdir -p "$m/$1/Annotations/s"; printf '%s' "$2" > "$m/$1/Annotations/s/x.xml"; lx_expect_error "$1" "$m/$1" "$3"; }
lx_bad pt '<annotation><imagesize><nrows>9</nrows><ncols>9</ncols></imagesize><object><name>a</name><id>0</id><polygon><pt><x>1</x><y>q</y></pt></polygon></object></annotation>' \
	'Annotations/s/x.xml:1: <y>q</y>: expected a number'
lx_bad occ '<annotation>
<object><name>a</name><occluded>maybe</occluded></object></annotation>' \
	'Annotations/s/x.xml:2: <occluded>maybe</occluded>: expected yes or no'
lx_bad parts '<annotation><object><name>a</name><parts><hasparts>1,x</hasparts></parts></object></annotation>' \
	'Annotations/s/x.xml:1: <hasparts>1,x</hasparts>: expected object ids separated by commas'
lx_bad mask '<annotation><folder>s</folder><imagesize><nrows>9</nrows><ncols>9</ncols></imagesize><object><name>a</name><id>0</id><segm><mask>none.png</mask></segm></object></annotation>' \
	"<segm>: mask 'Masks/s/none.png' not found"
lx_bad root '<annotations/>' 'Annotations/s/x.xml:1: <annotations>: the root element must be <annotation>'
lx_bad shape '<annotation><imagesize><nrows>9</nrows><ncols>9</ncols></imagesize><object><name>a</name><id>0</id></object></annotation>' \
	"<object> 'a': no <polygon> and no <segm>"
lx_bad dtd '<!DOCTYPE x [<!ENTITY a "b">]><annotation/>' 'DTDs and entity declarations are not accepted'
