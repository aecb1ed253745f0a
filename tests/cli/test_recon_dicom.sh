#!/usr/bin/env bash
# carm recon reads a DICOM rotational XA run directly: frames and nominal
# geometry from the file give the same volume as `carm dicom import` followed
# by `carm recon --geometry`; a CT file is refused with a clear message.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
run=$CARM_SOURCE/fuzz/corpus/dicom/xa_run.dcm
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$CARM" dicom import "$run" -o "$tmp/xa.mha" --geometry "$tmp/xa.xml" >/dev/null 2>&1
ok test $? -eq 0
grid="--size 16,16,16 --spacing 2,2,2 --short-scan off --quiet"
"$CARM" recon --geometry "$tmp/xa.xml" $grid --i0 255 --output "$tmp/a.mha" "$tmp/xa.mha" >/dev/null 2>&1
ok test $? -eq 0
"$CARM" recon $grid --i0 255 --output "$tmp/b.mha" "$run" >/dev/null 2>&1
ok test $? -eq 0
ok cmp -s "$tmp/a.mha" "$tmp/b.mha"
# --geometry overrides the nominal geometry
"$CARM" recon --geometry "$tmp/xa.xml" $grid --i0 255 --output "$tmp/c.mha" "$run" >/dev/null 2>&1
ok cmp -s "$tmp/a.mha" "$tmp/c.mha"
# a CT image is no XA run
"$CARM" recon $grid --output "$tmp/d.mha" "$CARM_SOURCE/fuzz/corpus/dicom/ct_explicit.dcm" 2>"$tmp/err"
ok test $? -eq 1
ok test ! -e "$tmp/d.mha"
ok test -s "$tmp/err"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
