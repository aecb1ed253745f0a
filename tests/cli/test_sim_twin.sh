#!/usr/bin/env bash
# carm sim phantom --liver and carm sim sweep --liver on coarse grids: the
# files are written and consistent (views, times, feeders, HFS geometry),
# the same seed gives the same bytes, another seed other bytes, bad usage
# exits 2, a failure leaves no output folder behind.
set -u
CARM=${CARM:?CARM must point to the carm binary}
T=$(mktemp -d /tmp/carm-test-sim-twin-XXXXXX)
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

# ---- phantom ------------------------------------------------------------------
expect 0 "phantom" -- "$CARM" sim phantom --liver --seed 5 --voxel 2 -o "$T/ph"
for f in phantom.mha labels.nii.gz tree.json truth.json protocol.json; do
  [ -s "$T/ph/$f" ] || bad "phantom: no $f"
done
expect 0 "phantom again" -- "$CARM" sim phantom --liver --seed 5 --voxel 2 -o "$T/ph2"
for f in phantom.mha labels.nii.gz tree.json truth.json; do
  cmp -s "$T/ph/$f" "$T/ph2/$f" || bad "phantom: $f differs for the same seed"
done
expect 0 "phantom, other seed" -- "$CARM" sim phantom --liver --seed 6 --voxel 4 -o "$T/ph3"
cmp -s "$T/ph/tree.json" "$T/ph3/tree.json" && bad "phantom: seeds 5 and 6 give the same tree"

python3 - "$T/ph" <<'EOF' || fail=1
import json, sys
d = sys.argv[1]
truth = json.load(open(d + "/truth.json"))
tree = json.load(open(d + "/tree.json"))
segs = {s["id"]: s for s in tree["segments"]}
assert 1400 < truth["liver_volume_ml"] < 1900, truth["liver_volume_ml"]
assert 1 <= len(truth["tumours"]) <= 3
for t in truth["tumours"]:
    assert t["feeders"], "tumour without feeder"
    for f in t["feeders"]:
        assert segs[f]["kind"] == "artery" and segs[f]["tumour"] is not None
    assert t["couinaud"] in ["1", "2", "3", "4a", "4b", "5", "6", "7", "8"], t["couinaud"]
    assert t["label"] >= 10
kinds = {s["kind"] for s in tree["segments"]}
assert {"artery", "portal_vein", "hepatic_vein", "ivc", "aorta", "catheter"} <= kinds, kinds
assert all(len(s["points"]) == len(s["radius"]) >= 2 for s in tree["segments"])
assert tree["units"] == "mm" and tree["format"] == "carm-vessel-tree"
# the label file agrees with the truth: each tumour's voxels vs its sphere
import gzip, struct
raw = gzip.open(d + "/labels.nii.gz").read()
dims = struct.unpack("<8h", raw[40:56])
datatype, bitpix = struct.unpack("<hh", raw[70:74])
pixdim = struct.unpack("<8f", raw[76:108])
vox_offset = int(struct.unpack("<f", raw[108:112])[0])
assert datatype == 2 and bitpix == 8, (datatype, bitpix)
n = dims[1] * dims[2] * dims[3]
data = raw[vox_offset:vox_offset + n]
voxel_ml = pixdim[1] * pixdim[2] * pixdim[3] / 1000.0
for t in truth["tumours"]:
    got = data.count(bytes([t["label"]])) * voxel_ml
    r = t["diameter_mm"] / 2
    tol = 4 * 3.14159 * r * r * (pixdim[1] / 2) / 1000.0  # half a voxel of surface
    assert abs(got - t["volume_ml"]) < tol, (t["label"], got, t["volume_ml"], tol)
liver = sum(data.count(bytes([v])) for v in (3, 4, 5, 6, 7, 10, 11, 12, 20)) * voxel_ml
assert abs(liver - truth["liver_volume_ml"]) < 0.1 * truth["liver_volume_ml"], liver
print("ok: phantom truth, tree and labels are consistent")
EOF

expect 0 "phantom on a given grid" -- "$CARM" sim phantom --liver --seed 5 --size 40,30,20 \
  --spacing 3,3,4 -o "$T/ph4"
grep -q 'DimSize = 40 30 20' "$T/ph4/phantom.mha" || bad "phantom --size: wrong DimSize"
grep -q 'ElementSpacing = 3 3 4' "$T/ph4/phantom.mha" || bad "phantom --spacing: wrong spacing"
expect 0 "carm info labels" -- "$CARM" info "$T/ph4/labels.nii.gz"
grep -q 'uint8' "$T/out" || bad "labels are not uint8"

# ---- sweeps -------------------------------------------------------------------
SW=(--liver --seed 5 --views 8 --detector 77,60 --pixel 4.928 --voxel 4 --truth-voxel 5)
expect 0 "sweep dual phase + mask" -- "$CARM" sim sweep "${SW[@]}" --dose 1e4 --dual-phase \
  --mask --truncate --truncate-nu 61 -o "$T/sw"
tip_said=$(sed -n 's/.*catheter tip at \([-0-9.,]*\) mm.*/\1/p' "$T/err")
[ -n "$tip_said" ] || bad "sweep: the catheter tip is not printed"
for n in arterial delayed mask; do
  for e in mha xml json; do
    [ -s "$T/sw/$n.$e" ] || bad "sweep: no $n.$e"
  done
  [ -s "$T/sw/truth/$n.mha" ] || bad "sweep: no truth/$n.mha"
  grep -q '<PatientPosition>HFS</PatientPosition>' "$T/sw/$n.xml" || bad "$n.xml: not HFS"
  [ "$(grep -c '<Projection>' "$T/sw/$n.xml")" -eq 8 ] || bad "$n.xml: not 8 views"
  grep -q 'DimSize = 61 60 8' "$T/sw/$n.mha" || bad "$n.mha: not 61 x 60 x 8 (truncated)"
done
for f in labels.nii.gz tree.json truth.json protocol.json; do
  [ -s "$T/sw/truth/$f" ] || bad "sweep: no truth/$f"
done
python3 - "$T/sw" <<'EOF' || fail=1
import json, sys
d = sys.argv[1]
a = json.load(open(d + "/arterial.json"))
l = json.load(open(d + "/delayed.json"))
m = json.load(open(d + "/mask.json"))
assert a["n_views"] == 8 and len(a["view_times_s"]) == 8
assert abs(a["view_times_s"][0] - 4.0) < 1e-9 and abs(a["view_times_s"][-1] - 9.0) < 1e-9
assert l["reverse"] and l["start_s"] == 20.0 and l["mid_time_s"] == 22.5
assert m["contrast"] == 0.0 and m["view_times_s"][-1] < 0
assert a["i0_photons_per_pixel"] == 1e4 and a["detector_nu"] == 61
assert a["noise_seed_hex"] != l["noise_seed_hex"]
assert a["protocol"]["curves"][0]["name"] == "artery"
print("ok: sweep sidecars are consistent")
EOF
python3 - "$T/sw" "$tip_said" <<'EOF' || fail=1
import json, sys
d, said = sys.argv[1], sys.argv[2]
truth = json.load(open(d + "/truth/truth.json"))
segs = {s["id"]: s for s in json.load(open(d + "/truth/tree.json"))["segments"]}
cat = segs[truth["catheter_segment"]]
assert cat["kind"] == "catheter", cat["kind"]
tip = truth["catheter_tip_mm"]
assert max(abs(a - b) for a, b in zip(tip, cat["points"][-1])) < 1e-6, (tip, cat["points"][-1])
assert max(abs(a - float(b)) for a, b in zip(tip, said.split(","))) < 0.006, (tip, said)
print("ok: the catheter tip (truth.json, message) is the catheter's last centreline point")
EOF
# carm recon and carm dsa derive the same default grid (HFS: the height on the patient's long axis);
# a detector half as tall as wide makes the height differ from the width
expect 0 "short detector sweep" -- "$CARM" sim sweep --liver --seed 5 --views 8 --detector 77,30 \
  --pixel 4.928 --voxel 4 --truth-voxel 5 --dose 1e4 --mask -o "$T/gs"
expect 0 "recon, default grid" -- "$CARM" recon --geometry "$T/gs/arterial.xml" --size 16,16,16 \
  --output "$T/g_recon.mha" "$T/gs/arterial.mha"
expect 0 "dsa, default grid" -- "$CARM" dsa --mask "$T/gs/mask.mha" --contrast "$T/gs/arterial.mha" \
  --geometry "$T/gs/arterial.xml" --size 16,16,16 -o "$T/g_dsa.mha"
expect 0 "recon, default size" -- "$CARM" recon --geometry "$T/gs/arterial.xml" --spacing 8,8,8 \
  --output "$T/g_recon8.mha" "$T/gs/arterial.mha"
expect 0 "dsa, default size" -- "$CARM" dsa --mask "$T/gs/mask.mha" --contrast "$T/gs/arterial.mha" \
  --geometry "$T/gs/arterial.xml" --spacing 8,8,8 -o "$T/g_dsa8.mha"
for p in "g_recon g_dsa" "g_recon8 g_dsa8"; do
  set -- $p
  [ "$(head -c 600 "$T/$1.mha" | grep -a -E '^(DimSize|ElementSpacing|Offset)')" = \
    "$(head -c 600 "$T/$2.mha" | grep -a -E '^(DimSize|ElementSpacing|Offset)')" ] ||
    bad "recon and dsa derive different default grids ($1, $2)"
done
dims8=$(head -c 600 "$T/g_recon8.mha" | grep -a '^DimSize' | cut -d' ' -f3-)
set -- $dims8
{ [ "$1" -eq "$2" ] && [ "$3" -ne "$1" ]; } || bad "HFS default grid: height not on z ($dims8)"
expect 0 "sweep again" -- "$CARM" sim sweep "${SW[@]}" --dose 1e4 -o "$T/sw2"
cmp -s "$T/sw/arterial.mha" "$T/sw2/arterial.mha" &&
  bad "sweep: truncated and full detector give the same bytes"
expect 0 "sweep, same options" -- "$CARM" sim sweep "${SW[@]}" --dose 1e4 -o "$T/sw3"
cmp -s "$T/sw2/arterial.mha" "$T/sw3/arterial.mha" || bad "sweep: same seed, other bytes"
cmp -s "$T/sw2/arterial.xml" "$T/sw3/arterial.xml" || bad "sweep: same seed, other geometry"

# ---- bad usage and failures ----------------------------------------------------
expect 2 "no -o" -- "$CARM" sim sweep --liver --seed 1
expect 2 "sweep without --liver" -- "$CARM" sim sweep --seed 1 -o "$T/x1"
expect 2 "--spacing without --size" -- "$CARM" sim phantom --liver --spacing 1,1,1 -o "$T/x7"
expect 2 "bad --tumours" -- "$CARM" sim phantom --liver --tumours 0 -o "$T/x2"
expect 2 "bad --dose" -- "$CARM" sim sweep --liver --dose -5 -o "$T/x3"
expect 2 "unknown option" -- "$CARM" sim sweep --liver --bogus -o "$T/x4"
expect 2 "truncate wider than the detector" -- "$CARM" sim sweep --liver --truncate-nu 9999 \
  -o "$T/x5"
echo '{"curves": [{"name": "artery", "alpha": -1}]}' >"$T/bad.json"
expect 1 "bad protocol" -- "$CARM" sim phantom --liver --protocol "$T/bad.json" -o "$T/x6"
grep -q alpha "$T/err" || bad "bad protocol: the message does not name alpha"
for x in x1 x2 x3 x4 x5 x6 x7; do
  [ -e "$T/$x" ] && bad "$x: output left behind"
done
expect 0 "help" -- "$CARM" sim --help
grep -q 'sim sweep --liver' "$T/out" || bad "carm sim --help does not show the sweep"

exit $fail
