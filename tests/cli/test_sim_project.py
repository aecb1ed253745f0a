#!/usr/bin/env python3
"""carm sim phantom / sim project-analytic / project, end to end: a voxelised
Shepp-Logan projected by `carm project` matches its exact projections from
`carm sim project-analytic`; bad usage exits 2, bad input 1, and neither leaves
an output file behind. Uses the CARM environment variable (set by CTest)."""
import os
import struct
import subprocess
import sys
import tempfile

CARM = os.environ.get("CARM", "carm")
failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAILED:", msg, file=sys.stderr)


def run(*args):
    p = subprocess.run([CARM, *args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def read_mha(path):
    """Minimal MetaImage reader (uncompressed float32, LOCAL data)."""
    with open(path, "rb") as f:
        data = f.read()
    header = {}
    pos = 0
    while True:
        end = data.index(b"\n", pos)
        line = data[pos:end].decode()
        pos = end + 1
        key, _, value = line.partition("=")
        header[key.strip()] = value.strip()
        if key.strip() == "ElementDataFile":
            break
    dims = [int(x) for x in header["DimSize"].split()]
    assert header["ElementType"] == "MET_FLOAT", header["ElementType"]
    assert header.get("CompressedData", "False") == "False"
    n = dims[0] * dims[1] * dims[2]
    values = struct.unpack("<%df" % n, data[pos:pos + 4 * n])
    return dims, header, values


GEOMETRY = """<?xml version="1.0"?>
<!DOCTYPE RTKGEOMETRY>
<RTKThreeDCircularGeometry version="3">
  <SourceToIsocenterDistance>500</SourceToIsocenterDistance>
  <SourceToDetectorDistance>750</SourceToDetectorDistance>
  <Projection><GantryAngle>0</GantryAngle></Projection>
  <Projection><GantryAngle>55</GantryAngle></Projection>
  <Projection><GantryAngle>130</GantryAngle></Projection>
</RTKThreeDCircularGeometry>
"""


def main():
    with tempfile.TemporaryDirectory(prefix="carm_cli_sim_") as d:
        geo = os.path.join(d, "geometry.xml")
        with open(geo, "w") as f:
            f.write(GEOMETRY)
        vol = os.path.join(d, "shepp.mha")
        exact = os.path.join(d, "exact.mha")
        num = os.path.join(d, "num.mha")

        rc, out = run("sim", "phantom", "--shepp-logan", "--scale", "40", "--size", "96,96,96",
                      "--spacing", "1,1,1", "-o", vol)
        check(rc == 0, "sim phantom: %d %s" % (rc, out))
        rc, out = run("sim", "project-analytic", "--shepp-logan", "--scale", "40",
                      "--geometry", geo, "--size", "64,56", "--spacing", "2,2", "-o", exact)
        check(rc == 0, "sim project-analytic: %d %s" % (rc, out))
        rc, out = run("project", vol, "--geometry", geo, "--like", exact, "-o", num)
        check(rc == 0, "project: %d %s" % (rc, out))
        if failures:
            return 1

        vdims, vh, vvals = read_mha(vol)
        check(vdims == [96, 96, 96], "volume dims %s" % vdims)
        check(abs(max(vvals) - 2.0) < 1e-3, "max of the phantom %g (skull, density 2)" % max(vvals))
        edims, eh, evals = read_mha(exact)
        ndims, nh, nvals = read_mha(num)
        check(edims == [64, 56, 3] and ndims == edims, "stack dims %s %s" % (edims, ndims))
        top = max(evals)
        se = sr = 0.0
        for a, b in zip(nvals, evals):
            if b >= 0.2 * top:
                se += (a - b) ** 2
                sr += b * b
        rel = (se / sr) ** 0.5 if sr > 0 else 1.0
        print("carm project vs exact (Shepp-Logan scale 40, 1 mm voxels): relative L2 %.3f %%" % (100 * rel))
        check(top > 50.0, "exact maximum %g" % top)
        check(rel < 0.025, "relative L2 difference %g" % rel)

        # A JSON scene: one cylinder, exact chord through its middle.
        scene = os.path.join(d, "scene.json")
        with open(scene, "w") as f:
            f.write('{"shapes": [{"type": "cylinder", "centre_mm": [0, 0, 0], '
                    '"axis": [0, 1, 0], "radius_mm": 20, "length_mm": 30, "density": 1}]}')
        scene_p = os.path.join(d, "scene_p.mha")
        rc, out = run("sim", "project-analytic", "--scene", scene, "--geometry", geo,
                      "--size", "65,57", "--spacing", "1,1", "-o", scene_p)
        check(rc == 0, "project-analytic --scene: %d %s" % (rc, out))
        if rc == 0:
            sdims, sh, svals = read_mha(scene_p)
            centre = svals[28 * 65 + 32]  # view 0, central pixel: chord = diameter
            check(abs(centre - 40.0) < 1e-3, "central chord %g (expected 40)" % centre)

        # Bad usage: exit 2, nothing written.
        bad = os.path.join(d, "bad.mha")
        for args in (["sim", "phantom", "--shepp-logan", "--size", "8,8", "--spacing", "1,1,1",
                      "-o", bad],
                     ["sim", "phantom", "--shepp-logan", "--scene", scene, "--size", "8,8,8",
                      "--spacing", "1,1,1", "-o", bad],
                     ["sim", "nosuch"],
                     ["project", vol, "--geometry", geo, "-o", bad],
                     ["project", vol, "--geometry", geo, "--size", "8,8", "--spacing", "1,1",
                      "--like", exact, "-o", bad]):
            rc, out = run(*args)
            check(rc == 2, "%s: exit %d (expected 2): %s" % (" ".join(args), rc, out))
            check(not os.path.exists(bad), "%s left %s" % (" ".join(args), bad))
        # Bad input: exit 1 with a message, nothing written.
        broken = os.path.join(d, "broken.json")
        with open(broken, "w") as f:
            f.write('{"shapes": [{"type": "cube"}]}')
        for args in (["sim", "phantom", "--scene", broken, "--size", "8,8,8", "--spacing",
                      "1,1,1", "-o", bad],
                     ["project", os.path.join(d, "missing.mha"), "--geometry", geo, "--size",
                      "8,8", "--spacing", "1,1", "-o", bad],
                     ["sim", "project-analytic", "--shepp-logan", "--geometry",
                      os.path.join(d, "missing.xml"), "--size", "8,8", "--spacing", "1,1",
                      "-o", bad]):
            rc, out = run(*args)
            check(rc == 1, "%s: exit %d (expected 1): %s" % (" ".join(args), rc, out))
            check("carm " in out, "%s: no message" % " ".join(args))
            check(not os.path.exists(bad), "%s left %s" % (" ".join(args), bad))
        rc, out = run("sim", "--help")
        check(rc == 0 and "project-analytic" in out, "sim --help")
        rc, out = run("sim", "phantom", "--help")
        check(rc == 0 and "example" in out, "sim phantom --help")
    print("%s" % ("ok" if failures == 0 else "%d failures" % failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
