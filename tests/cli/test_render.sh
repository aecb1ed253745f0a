#!/usr/bin/env bash
# carm render: pictures of a real CT angiogram in every mode (PNG of the
# expected size), bad input refused with no output file left.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
cta="$CARM_DATA/ct/totalseg_aorta_cta/ct_cropped.nii.gz"
[ -f "$cta" ] || { echo "skip: $cta absent"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
png_size() { python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); assert d[:8]==b'\x89PNG\r\n\x1a\n'; print(*struct.unpack('>II', d[16:24]))" "$1"; }
# 120 x 126 x 164 voxels of 1.5 mm: coronal pictures are 120 x 164 pixels
for mode in mpr mip vr; do
  "$CARM" render "$cta" --mode $mode --plane coronal -o "$tmp/$mode.png" >/dev/null
  ok test $? -eq 0
  ok test "$(png_size "$tmp/$mode.png")" = "120 164"
done
"$CARM" render "$cta" --mode mip --slab 15 --plane axial --labels "$CARM_DATA/ct/totalseg_aorta_cta/aorta.nii.gz" -o "$tmp/slab.png" >/dev/null
ok test $? -eq 0
ok test "$(png_size "$tmp/slab.png")" = "120 126"
"$CARM" render "$cta" --plane sagittal --pixel 3 -o "$tmp/sag.png" >/dev/null
ok test "$(png_size "$tmp/sag.png")" = "63 82"
# bad input
"$CARM" render "$tmp/missing.nii" -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 1
ok test ! -e "$tmp/x.png"
"$CARM" render "$cta" --mode holographic -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 2
"$CARM" render "$cta" -o "$tmp/x.jpg" 2>/dev/null; ok test $? -eq 2
printf 'garbage' > "$tmp/bad.mha"
"$CARM" render "$tmp/bad.mha" -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 1
ok test ! -e "$tmp/x.png"
echo '{"segments": [{"points": [[0,0,"x"]]}]}' > "$tmp/tree.json"
"$CARM" render "$cta" --tree "$tmp/tree.json" -o "$tmp/x.png" 2>/dev/null; ok test $? -eq 1
ok test ! -e "$tmp/x.png"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
