#!/usr/bin/env bash
# carm geometry: circular, shortscan, from-matrices, info; bad arguments exit
# 2 and leave no output file; a file RTK would refuse is refused.
set -u
CARM=${CARM:?CARM must point to the carm binary}
T=$(mktemp -d /tmp/carm-test-geometry-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# expect CODE DESCRIPTION -- command...
expect() {
  local code=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" -eq "$code" ]; then ok "$what (exit $rc)"; else
    bad "$what: exit $rc, expected $code"; cat "$T/out" "$T/err"; fi
}

# ---- circular ---------------------------------------------------------------
expect 0 "circular" -- "$CARM" geometry circular --views 360 --sid 1000 --sdd 1536 \
  --first 10 --proj-offset 12.5,-3 --source-offset 1,2 --oop 5 --in-plane -2 -o "$T/c.xml"
[ -s "$T/c.xml" ] || bad "circular wrote no file"
grep -q '<RTKThreeDCircularGeometry version="3">' "$T/c.xml" || bad "no RTK root element"
[ "$(grep -c '<Projection>' "$T/c.xml")" -eq 360 ] || bad "circular: not 360 projections"
grep -q '<SourceToIsocenterDistance>1000</SourceToIsocenterDistance>' "$T/c.xml" ||
  bad "SID not written at top level"
grep -q '<ProjectionOffsetX>12.5</ProjectionOffsetX>' "$T/c.xml" || bad "proj offset x missing"
grep -q '<OutOfPlaneAngle>5</OutOfPlaneAngle>' "$T/c.xml" || bad "oop missing"
grep -q '<InPlaneAngle>358</InPlaneAngle>' "$T/c.xml" || bad "in-plane angle not wrapped to 358"
grep -q '<GantryAngle>10</GantryAngle>' "$T/c.xml" || bad "first angle not 10"
expect 0 "info circular" -- "$CARM" geometry info "$T/c.xml"
grep -q '360 views' "$T/out" || bad "info: view count"
grep -q 'full scan' "$T/out" || bad "info: circular not a full scan"
grep -q 'SID: *1000 mm' "$T/out" || bad "info: SID"
grep -q 'projection offset x: *12.5 mm' "$T/out" || bad "info: offset"

# ---- shortscan --------------------------------------------------------------
expect 0 "shortscan defaults" -- "$CARM" geometry shortscan -o "$T/s.xml"
[ "$(grep -c '<Projection>' "$T/s.xml")" -eq 133 ] || bad "shortscan: not 133 projections"
grep -q '<SourceToIsocenterDistance>785</SourceToIsocenterDistance>' "$T/s.xml" || bad "SID 785"
grep -q '<SourceToDetectorDistance>1200</SourceToDetectorDistance>' "$T/s.xml" || bad "SDD 1200"
grep -q '<GantryAngle>200</GantryAngle>' "$T/s.xml" || bad "last angle 200"
grep -q '<Time>' "$T/s.xml" && bad "time stamps without --duration"
expect 0 "info shortscan" -- "$CARM" geometry info "$T/s.xml"
grep -q 'short scan' "$T/out" || bad "info: short scan not detected"
grep -q 'coverage: *201.515 deg' "$T/out" || bad "info: coverage"
expect 0 "shortscan jitter + duration" -- "$CARM" geometry shortscan --views 50 --arc 210 \
  --first -105 --jitter 0.3 --seed 4 --duration 5 -o "$T/j.xml"
grep -q '<Time>5</Time>' "$T/j.xml" || bad "last time stamp 5 s"
"$CARM" geometry shortscan --views 50 --arc 210 --first -105 --jitter 0.3 --seed 4 \
  --duration 5 -o "$T/j2.xml" >/dev/null
cmp -s "$T/j.xml" "$T/j2.xml" || bad "same seed, different files"
"$CARM" geometry shortscan --views 50 --arc 210 --first -105 --jitter 0.3 --seed 5 \
  --duration 5 -o "$T/j3.xml" >/dev/null
cmp -s "$T/j.xml" "$T/j3.xml" && bad "different seeds, same files"

expect 0 "shortscan hfs" -- "$CARM" geometry shortscan --patient hfs -o "$T/h.xml"
grep -q '<PatientPosition>HFS</PatientPosition>' "$T/h.xml" || bad "patient position not written"
expect 0 "info hfs" -- "$CARM" geometry info "$T/h.xml"
grep -q 'patient position: *HFS' "$T/out" || bad "info: patient position"

# ---- from-matrices: matrices of c.xml back into parameters -------------------
awk '/<Matrix>/{m=1; s=""; next} /<\/Matrix>/{m=0; print s; next} m{s=s" "$0}' "$T/c.xml" \
  >"$T/m.txt"
[ "$(wc -l <"$T/m.txt")" -eq 360 ] || bad "matrix extraction"
{ echo "# calibrated matrices"; echo; cat "$T/m.txt"; } >"$T/m2.txt"
expect 0 "from-matrices" -- "$CARM" geometry from-matrices "$T/m2.txt" -o "$T/fm.xml"
expect 0 "info from-matrices" -- "$CARM" geometry info "$T/fm.xml"
grep -q '360 views' "$T/out" || bad "from-matrices: view count"
grep -q 'SID: *1000 mm' "$T/out" || bad "from-matrices: SID not recovered"
grep -q 'out-of-plane angle: *5 deg' "$T/out" || bad "from-matrices: oop not recovered"
grep -q 'RawMatrix' "$T/fm.xml" && bad "exact matrices stored as RawMatrix"
# a skewed matrix is kept as RawMatrix
echo "-1200 5 0 0 0 -1200 0 0 0 0 1 -785" >"$T/skew.txt"
expect 0 "from-matrices skew" -- "$CARM" geometry from-matrices "$T/skew.txt" -o "$T/skew.xml"
grep -q '<RawMatrix>' "$T/skew.xml" || bad "skewed matrix not kept"
expect 0 "info skew" -- "$CARM" geometry info "$T/skew.xml"
grep -q 'calibrated' "$T/out" || bad "info: calibrated matrix not reported"

# ---- bad arguments: exit 2, no output --------------------------------------
n=0
while IFS= read -r args; do
  n=$((n + 1))
  rm -f "$T/bad.xml"
  # shellcheck disable=SC2086
  eval "set -- $args"
  "$CARM" geometry "$@" >"$T/out" 2>"$T/err"
  rc=$?
  if [ "$rc" -ne 2 ]; then bad "bad args '$args': exit $rc, expected 2"; fi
  [ -s "$T/err" ] || bad "bad args '$args': no message"
  [ -e "$T/bad.xml" ] && bad "bad args '$args': output written"
  ls "$T" | grep -q 'tmp' && bad "bad args '$args': temporary file left"
done <<ARGS
circular -o $T/bad.xml
circular --views 0 -o $T/bad.xml
circular --views -3 -o $T/bad.xml
circular --views abc -o $T/bad.xml
circular --views 10 --sid 0 -o $T/bad.xml
circular --views 10 --sid -785 -o $T/bad.xml
circular --views 10 --sdd -1 -o $T/bad.xml
circular --views 10 --sid nan -o $T/bad.xml
circular --views 10 --first inf -o $T/bad.xml
circular --views 10 --proj-offset 1 -o $T/bad.xml
circular --views 10 --proj-offset 1,2,3 -o $T/bad.xml
circular --views 10 --source-offset x,2 -o $T/bad.xml
circular --views 10 --arc 200 -o $T/bad.xml
circular --views 10 --bogus 1 -o $T/bad.xml
circular --views 10 extra -o $T/bad.xml
circular --views 10
circular --views 10 -o
shortscan --arc 0 -o $T/bad.xml
shortscan --arc 361 -o $T/bad.xml
shortscan --jitter -1 -o $T/bad.xml
shortscan --seed -2 -o $T/bad.xml
shortscan --duration -5 -o $T/bad.xml
shortscan --views 2000000 -o $T/bad.xml
shortscan --patient ffs -o $T/bad.xml
from-matrices -o $T/bad.xml
from-matrices $T/m.txt $T/m2.txt -o $T/bad.xml
info
info $T/c.xml -o $T/bad.xml
spiral -o $T/bad.xml
ARGS
ok "$n bad argument lists"
expect 2 "no mode" -- "$CARM" geometry

# ---- bad inputs: exit 1, no output -------------------------------------------
rm -f "$T/bad.xml"
echo "1 2 3" >"$T/short.txt"
expect 1 "from-matrices: 3 numbers" -- "$CARM" geometry from-matrices "$T/short.txt" -o "$T/bad.xml"
grep -q 'line 1' "$T/err" || bad "no line number in message"
printf '%s\n' "-1200 0 0 0 0 -1200 0 0 0 0 1 nan" >"$T/nan.txt"
expect 1 "from-matrices: NaN" -- "$CARM" geometry from-matrices "$T/nan.txt" -o "$T/bad.xml"
{ echo "# header"; echo "0 0 0 0 0 0 0 0 0 0 0 0"; } >"$T/zero.txt"
expect 1 "from-matrices: degenerate" -- "$CARM" geometry from-matrices "$T/zero.txt" -o "$T/bad.xml"
grep -q 'zero.txt line 2' "$T/err" || bad "degenerate matrix: no line number"
: >"$T/empty.txt"
expect 1 "from-matrices: empty" -- "$CARM" geometry from-matrices "$T/empty.txt" -o "$T/bad.xml"
expect 1 "from-matrices: missing file" -- "$CARM" geometry from-matrices "$T/nope.txt" -o "$T/bad.xml"
[ -e "$T/bad.xml" ] && bad "output written for a bad input"
expect 1 "shortscan into a missing folder" -- "$CARM" geometry shortscan -o "$T/no/such/g.xml"
[ -e "$T/no" ] && bad "folder created"
# a geometry whose <Matrix> disagrees with its parameters (second view)
awk '/<Matrix>/{n++; print; if (n == 2) {getline; sub(/[-0-9.e+]+/, "12345"); print}; next} {print}' \
  "$T/c.xml" >"$T/wrong.xml"
[ "$(diff "$T/c.xml" "$T/wrong.xml" | grep -c '^>')" -eq 1 ] || bad "wrong.xml not made"
expect 1 "info: inconsistent Matrix" -- "$CARM" geometry info "$T/wrong.xml"
grep -q 'view 1 ' "$T/err" || { bad "message does not name the view"; cat "$T/err"; }
sed 's#<GantryAngle>10</GantryAngle>#<GantryAngle>NaN</GantryAngle>#' "$T/c.xml" >"$T/nan.xml"
expect 1 "info: NaN angle" -- "$CARM" geometry info "$T/nan.xml"
head -c 500 "$T/c.xml" >"$T/trunc.xml"
expect 1 "info: truncated XML" -- "$CARM" geometry info "$T/trunc.xml"
grep -q 'malformed XML' "$T/err" || bad "truncated: message"

# ---- help ----------------------------------------------------------------------
expect 0 "help" -- "$CARM" geometry --help
grep -q 'example' "$T/out" || bad "help has no example"

exit $fail
