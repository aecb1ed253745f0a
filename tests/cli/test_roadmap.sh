#!/usr/bin/env bash
# carm roadmap: an AP view (LAO 0, CRA 0, HFS) puts a point where the pinhole
# formula says; a geometry file's view works the same; bad input exits 2.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '{"segments":[{"id":7,"points":[[10,0,-50],[-20,30,40]]}]}' > "$tmp/t.json"
"$CARM" roadmap --tree "$tmp/t.json" --lao 0 --cra 0 -o "$tmp/r.png" --json "$tmp/r.json" >/dev/null
ok test $? -eq 0
ok test -s "$tmp/r.png"
# HFS world = (x, -z, y); gantry 0: u = SDD x_w/(SID - z_w), v = SDD y_w/(SID - z_w)
# point (10, 0, -50): u = 1200*10/785, v = 1200*50/785; pixel = (mm - origin)/0.616,
# origin = -(616-1)/2*0.616 and -(480-1)/2*0.616
ok python3 - "$tmp/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["polylines"][0]
assert p["id"] == 7
def px(x, y, z):
    u = 1200 * x / (785 - y); v = 1200 * (-z) / (785 - y)
    return ((u + 307.5 * 0.616) / 0.616, (v + 239.5 * 0.616) / 0.616)
for got, pt in zip(p["pixels"], [(10, 0, -50), (-20, 30, 40)]):
    want = px(*pt)
    assert abs(got[0] - want[0]) < 1e-3 and abs(got[1] - want[1]) < 1e-3, (got, want)
PY
# the same pose from a geometry file (view 1 of a 3-view HFS arc starting at 0)
"$CARM" geometry shortscan --views 3 --arc 20 --first -10 --patient hfs -o "$tmp/g.xml" >/dev/null
"$CARM" roadmap --tree "$tmp/t.json" --geometry "$tmp/g.xml" --view 1 -o "$tmp/r2.png" --json "$tmp/r2.json" >/dev/null
ok test $? -eq 0
ok python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert all(abs(x-y)<1e-3 for p,q in zip(a['polylines'][0]['pixels'], b['polylines'][0]['pixels']) for x,y in zip(p,q))" "$tmp/r.json" "$tmp/r2.json"
# bad input
"$CARM" roadmap --tree "$tmp/t.json" -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 2
"$CARM" roadmap --tree "$tmp/t.json" --lao 0 --cra 200 -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 2
"$CARM" roadmap --tree "$tmp/t.json" --geometry "$tmp/g.xml" --view 9 -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 2
echo '{"segments": 3}' > "$tmp/bad.json"
"$CARM" roadmap --tree "$tmp/bad.json" --lao 0 --cra 0 -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 1
ok test ! -e "$tmp/x.png"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
