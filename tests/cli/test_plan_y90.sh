#!/usr/bin/env bash
# carm plan y90: JSON numbers equal the hand calculation (see
# tests/plan/test_y90.c), bad input exits 2 with a message.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
out=$("$CARM" plan y90 --device glass --lsf 0.1 --liver-ml 1600 --perfused-ml 800 --tumour-ml 100 --tnr 3)
ok test $? -eq 0
# partition: 75·(3·0.103 + 0.721)/(49.67·0.9) = 1.728072 GBq, tumour 225 Gy
ok python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert abs(d['activity_gbq']-1.728072)<1e-5 and abs(d['tumour_dose_gy']-225)<1e-3 and d['checks']['lung_ok']" "$out"
# -o writes the same result to a file (atomically), tagged for carm serve
tmp=$(mktemp -d)
"$CARM" plan y90 --device glass --lsf 0.1 --liver-ml 1600 --perfused-ml 800 --tumour-ml 100 --tnr 3 \
  -o "$tmp/y90.json" >"$tmp/stdout"
ok test $? -eq 0
ok test ! -s "$tmp/stdout"
ok python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['format']=='carm-y90' and abs(d['activity_gbq']-1.728072)<1e-5" "$tmp/y90.json"
"$CARM" plan y90 --device glass --lsf 0.1 --liver-ml 1600 -o "$tmp/no/such/dir/y90.json" 2>/dev/null
ok test $? -eq 1
rm -rf "$tmp"
err=$("$CARM" plan y90 --device glass --lsf 1.5 --liver-ml 1600 2>&1 >/dev/null); rc=$?
ok test $rc -eq 2
ok grep -q "shunt" <<<"$err"
"$CARM" plan y90 --device plutonium --lsf 0.1 --liver-ml 1 >/dev/null 2>&1; ok test $? -eq 2
"$CARM" plan y90 --lsf abc --liver-ml 1600 >/dev/null 2>&1; ok test $? -eq 2
"$CARM" plan nonsense >/dev/null 2>&1; ok test $? -eq 2
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
