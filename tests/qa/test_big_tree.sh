#!/usr/bin/env bash
# A tree JSON with 100 000 short, overlapping centrelines (hostile or just
# big): carm roadmap and carm render --tree used to convert the whole picture
# for every segment (and a single stroke of all of them is quadratic in
# cairo), taking minutes; both must finish well inside 90 s. Also deep JSON
# nesting and empty or one-point segments.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
python3 - <<'PY'
segs = ['{"id":%d,"points":[[%d,0,0],[1,1,1],[2,%d,3]]}' % (i, i % 100 - 50, i % 7)
        for i in range(100000)]
open('big.json', 'w').write('{"segments":[' + ','.join(segs) + ']}')
open('deep.json', 'w').write('{"segments":' + '[' * 50000 + ']' * 50000 + '}')
open('odd.json', 'w').write('{"segments":[{"id":1,"points":[]},{"id":2,"points":[[0,0,0]]}]}')
PY
"$CARM" sim phantom --shepp-logan --size 16,16,16 --spacing 8,8,8 -o v.mha 2>/dev/null || exit 1
timeout 90 "$CARM" roadmap --tree big.json --lao 0 --cra 0 -o r.png --json r.json >/dev/null 2>&1
ok test $? -eq 0
ok python3 -c "import json,sys; assert len(json.load(open('r.json'))['polylines']) == 100000"
timeout 90 "$CARM" render v.mha --tree big.json -o v.png >/dev/null 2>&1
ok test $? -eq 0
ok test -s v.png
for t in deep.json; do
  timeout 20 "$CARM" roadmap --tree $t --lao 0 --cra 0 -o x.png 2>err.txt; ok test $? -eq 1
  ok test -s err.txt; ok test ! -e x.png
done
timeout 20 "$CARM" roadmap --tree odd.json --lao 0 --cra 0 -o x.png >/dev/null 2>&1; ok test $? -eq 0
timeout 20 "$CARM" render v.mha --tree odd.json -o x.png >/dev/null 2>&1; ok test $? -eq 0
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
