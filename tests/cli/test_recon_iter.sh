#!/usr/bin/env bash
# carm recon --method sart|cgls|tv and the dual phase (--phase2): a user's
# session on a small Shepp-Logan. Iterative reconstructions get close to the
# phantom (RMSE measured by a small Python reader), more iterations help,
# the two phases land on one grid and carm fuse fuses them; bad options exit
# 2 and leave no output.
set -u
CARM=${CARM:?CARM must point to the carm binary}
PY=${CARM_PYTHON3:-/usr/bin/python3}
T=$(mktemp -d /tmp/carm-test-recon-iter-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
expect() {
  local code=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" -eq "$code" ]; then ok "$what (exit $rc)"; else
    bad "$what: exit $rc, expected $code"; cat "$T/out" "$T/err"; fi
}
# rmse A B: root mean square difference of two float MetaImages (LOCAL data)
rmse() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, numpy as np
def read(p):
    raw = open(p, 'rb').read()
    i = raw.index(b'ElementDataFile = LOCAL\n') + len('ElementDataFile = LOCAL\n')
    head = raw[:i].decode()
    dims = [int(v) for v in head.split('DimSize = ')[1].split('\n')[0].split()]
    assert 'MET_FLOAT' in head and 'CompressedData = False' in head
    return np.frombuffer(raw[i:], dtype='<f4').reshape(dims[::-1])
a, b = read(sys.argv[1]), read(sys.argv[2])
print('%.6f' % float(np.sqrt(np.mean((a.astype(float) - b) ** 2))))
PYEOF
}
less() { "$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$1" "$2"; }

GRID="--size 32,32,32 --spacing 3,3,3 --origin -46.5,-46.5,-46.5"
expect 0 "phantom" -- "$CARM" sim phantom --shepp-logan --scale 40 $GRID -o "$T/sl.mha"
expect 0 "geometry" -- "$CARM" geometry shortscan --views 60 --arc 200 --first -100 -o "$T/g.xml"
expect 0 "project" -- "$CARM" project "$T/sl.mha" --geometry "$T/g.xml" --size 56,56 \
  --spacing 3.5,3.5 -o "$T/p.mha"

for m in sart cgls tv; do
  expect 0 "recon $m 2 iterations" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method $m \
    --iterations 2 --threads 1 --quiet -o "$T/$m-2.mha" "$T/p.mha"
  expect 0 "recon $m 8 iterations" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method $m \
    --iterations 8 --threads 1 --quiet -o "$T/$m-8.mha" "$T/p.mha"
  e2=$(rmse "$T/$m-2.mha" "$T/sl.mha")
  e8=$(rmse "$T/$m-8.mha" "$T/sl.mha")
  echo "$m: RMSE after 2 iterations $e2, after 8 $e8"
  less "$e8" "$e2" || bad "$m: 8 iterations ($e8) not better than 2 ($e2)"
  less "$e8" 0.15 || bad "$m: RMSE $e8 too large"
done
expect 0 "sart with subsets and lambda" -- "$CARM" recon --geometry "$T/g.xml" $GRID \
  --method sart --subsets 4 --lambda 0.8 --iterations 3 --tol 1e-6 --quiet -o "$T/s.mha" "$T/p.mha"

# dual phase: a bright "vessel" only in the arterial sweep
cat >"$T/art.json" <<'JSON'
{"shapes": [{"type": "shepp-logan", "scale_mm": 40},
            {"type": "cylinder", "centre_mm": [-8, 0, 4], "axis": [0, 1, 0],
             "radius_mm": 3, "length_mm": 60, "density": 0.6}]}
JSON
expect 0 "arterial phantom" -- "$CARM" sim phantom --scene "$T/art.json" $GRID -o "$T/art.mha"
expect 0 "arterial sweep" -- "$CARM" project "$T/art.mha" --geometry "$T/g.xml" --like "$T/p.mha" \
  -o "$T/pa.mha"
expect 0 "dual phase recon" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method sart \
  --iterations 4 --quiet -o "$T/arterial.mha" --phase2 "$T/p.mha" --output2 "$T/delayed.mha" \
  "$T/pa.mha"
[ -s "$T/arterial.mha" ] && [ -s "$T/delayed.mha" ] || bad "dual phase: outputs missing"
expect 0 "info both" -- "$CARM" info "$T/arterial.mha" "$T/delayed.mha"
[ "$(grep -c 'dims: *32 x 32 x 32' "$T/out")" -eq 2 ] || [ "$(grep -c '32 x 32 x 32' "$T/out")" -ge 2 ] ||
  bad "dual phase: not the same grid"
expect 0 "fuse" -- "$CARM" fuse "$T/arterial.mha" "$T/delayed.mha" -o "$T/fusion.png" \
  --volume "$T/enh.mha" --pixel 0.5
[ -s "$T/fusion.png" ] || bad "fusion picture missing"
# default FDK for both phases, default grid
expect 0 "dual phase fdk" -- "$CARM" recon --geometry "$T/g.xml" --size 32,32,32 --quiet \
  -o "$T/fa.mha" --phase2 "$T/p.mha" --geometry2 "$T/g.xml" --output2 "$T/fd.mha" "$T/pa.mha"
[ -s "$T/fd.mha" ] || bad "fdk dual phase: second output missing"

# refusals
expect 2 "unknown method" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method art \
  -o "$T/x.mha" "$T/p.mha"
expect 2 "lambda with cgls" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method cgls \
  --lambda 0.5 -o "$T/x.mha" "$T/p.mha"
expect 2 "iterations with fdk" -- "$CARM" recon --geometry "$T/g.xml" $GRID --iterations 4 \
  -o "$T/x.mha" "$T/p.mha"
expect 2 "zero iterations" -- "$CARM" recon --geometry "$T/g.xml" $GRID --method sart \
  --iterations 0 -o "$T/x.mha" "$T/p.mha"
expect 2 "phase2 without output2" -- "$CARM" recon --geometry "$T/g.xml" $GRID \
  --phase2 "$T/p.mha" -o "$T/x.mha" "$T/p.mha"
expect 1 "phase2 with the wrong view count" -- "$CARM" recon --geometry "$T/g.xml" $GRID \
  --method sart --iterations 1 --quiet --phase2 "$T/sl.mha" --output2 "$T/y.mha" \
  -o "$T/x.mha" "$T/p.mha"
[ -e "$T/y.mha" ] && bad "a refused second phase left an output"
[ -e "$T/x.mha" ] && bad "a refused second phase left the first phase's output"
exit $fail
