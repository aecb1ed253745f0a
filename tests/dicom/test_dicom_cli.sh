#!/usr/bin/env bash
# carm dicom info|import|export: exit codes, messages, outputs, and no
# partial output on failure. Uses the shared data when present, and carm's
# own tiny seed files (fuzz/corpus/dicom) otherwise.
set -uo pipefail
CARM=${CARM:-carm}
SRC=${CARM_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${CARM_DATA:-$SRC/../shared/data}
T=$(mktemp -d /tmp/carm_dicom_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
expect_rc() { # expected command...
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then bad "rc $rc (want $want): $*"; cat "$T/err"; else ok "rc $rc: $*"; fi
}
SEEDS=$SRC/fuzz/corpus/dicom

expect_rc 0 "$CARM" dicom --help
grep -q "example" "$T/out" || bad "help has an example"
expect_rc 2 "$CARM" dicom
expect_rc 2 "$CARM" dicom frobnicate
expect_rc 2 "$CARM" dicom import "$SEEDS/ct_explicit.dcm"          # no -o
expect_rc 2 "$CARM" dicom export "$T/none.mha"                     # no -o
expect_rc 2 "$CARM" dicom import "$SEEDS/ct_explicit.dcm" -o "$T/x.mha" --bogus

# info on good and bad seeds
expect_rc 0 "$CARM" dicom info "$SEEDS/ct_explicit.dcm"
grep -q "grid: 8 x 8 x 1" "$T/out" || bad "info grid"
expect_rc 0 "$CARM" dicom info "$SEEDS/xa_run.dcm"
grep -q "primary -30.00 -> -27.00 deg" "$T/out" || bad "info XA angles: $(cat "$T/out")"
expect_rc 1 "$CARM" dicom info "$SEEDS/ct_truncated.dcm"
grep -q "truncated" "$T/err" || bad "truncation named: $(cat "$T/err")"

# import a seed XA run with its geometry; a bad one leaves nothing behind
expect_rc 0 "$CARM" dicom import "$SEEDS/xa_run.dcm" -o "$T/xa.mha" --geometry "$T/xa.xml"
[ -s "$T/xa.mha" ] && [ -s "$T/xa.xml" ] || bad "XA outputs written"
grep -q "<GantryAngle>30</GantryAngle>" "$T/xa.xml" || bad "RAO 30 is gantry 30: $(head -c 400 "$T/xa.xml")"
expect_rc 0 "$CARM" dicom import "$SEEDS/xa_run.dcm" -o "$T/xa2.mha" --require-geometry
expect_rc 1 "$CARM" dicom import "$SEEDS/ct_rows_too_large.dcm" -o "$T/bad.mha"
[ -e "$T/bad.mha" ] && bad "no output after a failure"
expect_rc 2 "$CARM" dicom import "$SEEDS/ct_explicit.dcm" -o "$T/ct1.mha" --geometry "$T/g.xml"
# ... and back out as XA, and in again: the same geometry file
expect_rc 0 "$CARM" dicom export "$T/xa.mha" --xa "$T/xa.xml" -o "$T/xa_out.dcm"
expect_rc 0 "$CARM" dicom import "$T/xa_out.dcm" -o "$T/xa3.mha" --geometry "$T/xa3.xml"
cmp -s "$T/xa.xml" "$T/xa3.xml" || bad "XA geometry round trip: $(diff "$T/xa.xml" "$T/xa3.xml" | head -5)"
if command -v dciodvfy >/dev/null; then
  [ "$(dciodvfy "$T/xa_out.dcm" 2>&1 | grep -c '^Error')" -eq 0 ] || bad "dciodvfy XA"
fi
expect_rc 2 "$CARM" dicom export "$T/xa.mha" --xa "$T/xa.xml" --seg -o "$T/x.dcm"

# export a small volume: series, enhanced, seg; refusals
expect_rc 0 "$CARM" dicom import "$SEEDS/enhanced_ct.dcm" -o "$T/enh.mha"
expect_rc 0 "$CARM" dicom export "$T/enh.mha" -o "$T/series" --like "$SEEDS/ct_explicit.dcm"
[ "$(ls "$T/series" | wc -l)" -eq 2 ] || bad "two slices written"
expect_rc 0 "$CARM" dicom info "$T/series"
grep -q "patient: Seed^Test" "$T/out" || bad "patient carried: $(cat "$T/out")"
grep -q "2 object(s)" "$T/out" || bad "two objects"
expect_rc 0 "$CARM" dicom export "$T/enh.mha" -o "$T/anon" --like "$SEEDS/ct_explicit.dcm" --deidentify
expect_rc 0 "$CARM" dicom info "$T/anon"
grep -q "Seed" "$T/out" && bad "de-identified export still names the patient"
expect_rc 1 "$CARM" dicom export "$T/enh.mha" -o "$T/series"     # not empty
expect_rc 0 "$CARM" dicom export "$T/enh.mha" -o "$T/slash/" # a trailing slash
[ "$(ls "$T/slash" | wc -l)" -eq 2 ] || bad "series written into slash/"
expect_rc 0 "$CARM" dicom export "$T/enh.mha" -o "$T/enh.dcm" --enhanced
expect_rc 2 "$CARM" dicom export "$T/enh.mha" -o "$T/x.dcm" --enhanced --seg
expect_rc 1 "$CARM" dicom export "$T/enh.mha" -o "$T/s.dcm" --seg  # HU values are no labels
[ -e "$T/s.dcm" ] && bad "no SEG after a refusal"
expect_rc 1 "$CARM" dicom export "$T/missing.mha" -o "$T/m"
ls "$T" | grep -q "tmp" && bad "temporary files left: $(ls "$T")"

# a folder with two series: info lists them, import refuses, --series picks
mkdir -p "$T/two"
cp "$T/series/"*.dcm "$T/two/"
cp "$SEEDS/ct_explicit.dcm" "$T/two/"
expect_rc 0 "$CARM" dicom info "$T/two"
grep -q "1.2.826.0.1.3680043.10.1234.200.1: 1 file(s)" "$T/out" || bad "series listed: $(cat "$T/out")"
expect_rc 1 "$CARM" dicom import "$T/two" -o "$T/two.mha"
grep -q "mixed series" "$T/err" || bad "mixed series: $(cat "$T/err")"
expect_rc 0 "$CARM" dicom import "$T/two" -o "$T/one.mha" --series 1.2.826.0.1.3680043.10.1234.200.1
grep -q "8 x 8 x 1" "$T/err" || bad "picked series: $(cat "$T/err")"
expect_rc 1 "$CARM" dicom import "$T/two" -o "$T/none.mha" --series 1.2.3.4
[ -e "$T/none.mha" ] && bad "no output for an absent series"

# a folder with a stray text file reads; a truncated slice in it fails the read
mkdir -p "$T/stray"
cp "$T/series/"*.dcm "$T/stray/"
echo "notes" >"$T/stray/README.txt"
expect_rc 0 "$CARM" dicom import "$T/stray" -o "$T/stray.mha"
f=$(ls "$T/stray/"*.dcm | head -1)
head -c 700 "$f" >"$f.part" && mv "$f.part" "$f"
expect_rc 1 "$CARM" dicom import "$T/stray" -o "$T/stray2.mha"
grep -q "truncated\|past the end" "$T/err" || bad "broken slice named: $(cat "$T/err")"

# a PNG picture as Secondary Capture
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" - "$T/pic.png" <<'PYEOF'
import struct, sys, zlib
w, h = 5, 3
raw = b"".join(b"\x00" + bytes((7 * (y * w * 3 + i)) % 256 for i in range(w * 3)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                             + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PYEOF
expect_rc 0 "$CARM" dicom export "$T/pic.png" -o "$T/pic.dcm" --like "$SEEDS/ct_explicit.dcm"
expect_rc 0 "$CARM" dicom info "$T/pic.dcm"
grep -q "grid: 5 x 3 x 1" "$T/out" || bad "picture grid: $(cat "$T/out")"
grep -q "patient: Seed^Test" "$T/out" || bad "picture carries the patient"
if command -v dciodvfy >/dev/null; then
  [ "$(dciodvfy "$T/pic.dcm" 2>&1 | grep -c '^Error')" -eq 0 ] || bad "dciodvfy picture"
fi
printf 'not a png' >"$T/bad.png"
expect_rc 1 "$CARM" dicom export "$T/bad.png" -o "$T/badpic.dcm"
[ -e "$T/badpic.dcm" ] && bad "no output for a bad picture"
expect_rc 2 "$CARM" dicom export "$T/pic.png" -o "$T/x.dcm" --seg

# the real CT series, when the shared data is there
SERIES=$DATA/dicom/ct-series-totalseg/original_j2k
if [ -d "$SERIES" ]; then
  expect_rc 0 "$CARM" dicom import "$SERIES" -o "$T/ct.mha"
  grep -q "512 x 512 x 20" "$T/err" || bad "20 slices: $(cat "$T/err")"
  expect_rc 1 "$CARM" dicom import "$SERIES" "$DATA/dicom/ct/pydicom_CT_small.dcm" -o "$T/mixed.mha"
  grep -q "mixed series" "$T/err" || bad "mixed series named: $(cat "$T/err")"
  [ -e "$T/mixed.mha" ] && bad "no output for a mixed series"
  XA=$DATA/dicom/xa/fo-dicom_XA_HasFragmentSequence_jpeg.dcm
  expect_rc 0 "$CARM" dicom import "$XA" -o "$T/cine.mha" --geometry "$T/cine.xml"
  grep -q "512 x 512 x 96" "$T/err" || bad "96 frames: $(cat "$T/err")"
  [ "$(grep -c "<Projection>" "$T/cine.xml")" -eq 96 ] || bad "96 views in the geometry"
  expect_rc 1 "$CARM" dicom import "$XA" -o "$T/cine2.mha" --require-geometry
  grep -q "0018,1110" "$T/err" || bad "missing SDD named: $(cat "$T/err")"
  [ -e "$T/cine2.mha" ] && bad "no output after a refusal"
else
  echo "note: $SERIES absent, real-series checks skipped"
fi
exit $fail
