#!/usr/bin/env bash
# carm mesh --ras: the same surface with x and y negated (LPS -> RAS), faces
# still outward (same signed volume); refused for .glb.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# a ball of label 1 off-centre towards the patient's left (+x) and posterior (+y)
/usr/bin/python3 - "$tmp/l.nii.gz" <<'PY'
import sys, numpy as np, nibabel as nib
n = 40; ax = np.arange(n) - 19.5
x, y, z = np.meshgrid(ax, ax, ax, indexing='ij')
v = (((x - 8) ** 2 + (y - 5) ** 2 + z ** 2) <= 64).astype(np.uint8)
# LPS voxel grid centred at 0 -> RAS affine flips x and y
aff = np.diag([-1.0, -1.0, 1.0, 1.0]); aff[:3, 3] = [19.5, 19.5, -19.5]
nib.save(nib.Nifti1Image(v, aff), sys.argv[1])
PY
"$CARM" mesh "$tmp/l.nii.gz" -o "$tmp/lps.stl" 2>/dev/null; ok test $? -eq 0
"$CARM" mesh "$tmp/l.nii.gz" --ras -o "$tmp/ras.stl" 2>/dev/null; ok test $? -eq 0
ok /usr/bin/python3 - "$tmp/lps.stl" "$tmp/ras.stl" <<'PY'
import struct, sys
def read(p):
    d = open(p, 'rb').read(); n = struct.unpack('<I', d[80:84])[0]; tris = []
    for i in range(n):
        f = struct.unpack('<12f', d[84 + 50 * i: 84 + 50 * i + 48]); tris.append((f[3:6], f[6:9], f[9:12]))
    return tris
def centroid_volume(t):
    vol = 0; c = [0, 0, 0]
    for a, b, cc in t:
        v6 = (a[0]*(b[1]*cc[2]-b[2]*cc[1]) - a[1]*(b[0]*cc[2]-b[2]*cc[0]) + a[2]*(b[0]*cc[1]-b[1]*cc[0]))
        vol += v6 / 6
        for k in range(3): c[k] += v6 / 6 * (a[k] + b[k] + cc[k]) / 4
    return [x / vol for x in c], vol
(cl, vl), (cr, vr) = centroid_volume(read(sys.argv[1])), centroid_volume(read(sys.argv[2]))
assert abs(cl[0] - 8) < 0.5 and abs(cl[1] - 5) < 0.5, cl      # LPS: left, posterior
assert abs(cr[0] + 8) < 0.5 and abs(cr[1] + 5) < 0.5, cr      # RAS: negated
assert vl > 0 and abs(vr - vl) < 1e-3 * vl, (vl, vr)          # same outward volume
PY
"$CARM" mesh "$tmp/l.nii.gz" --ras -o "$tmp/x.glb" 2>/dev/null; ok test $? -eq 2
ok test ! -e "$tmp/x.glb"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
