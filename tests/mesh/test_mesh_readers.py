#!/usr/bin/env python3
"""carm mesh end to end, checked by an independent reader (VTK 9, Debian's
python3-vtk9): a label map with a sphere, a torus and a box is meshed to
STL, PLY, OBJ and GLB; VTK opens every file, finds closed manifold
surfaces (no boundary or non-manifold edges), and its own enclosed volume
(vtkMassProperties) matches the label volume within 3 %. The .glb is also
checked against the glTF 2.0 binary layout by hand: header, JSON chunk,
BIN chunk, 4-byte alignment, accessors and buffer views in range, index
values below the vertex count, POSITION min/max. Exit 77 when VTK is not
installed."""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import nibabel as nib

try:
    from vtkmodules.vtkCommonDataModel import vtkPolyData  # noqa: F401
    from vtkmodules.vtkFiltersCore import vtkFeatureEdges, vtkTriangleFilter, vtkMassProperties
    from vtkmodules.vtkFiltersCore import vtkCleanPolyData
    from vtkmodules.vtkFiltersGeometry import vtkCompositeDataGeometryFilter
    from vtkmodules.vtkIOGeometry import vtkGLTFReader, vtkOBJReader, vtkSTLReader
    from vtkmodules.vtkIOPLY import vtkPLYReader
except ImportError as e:  # pragma: no cover
    print(f"skip: python3-vtk9 is not installed ({e})")
    sys.exit(77)

CARM = os.environ.get("CARM", "carm")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)
    else:
        print("ok:", msg)


def make_labels(path):
    sp = (0.8, 0.9, 1.1)
    nx, ny, nz = 90, 80, 70
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    x, y, z = i * sp[0], j * sp[1], k * sp[2]
    lab = np.zeros((nx, ny, nz), np.uint8)
    lab[(x - 18) ** 2 + (y - 20) ** 2 + (z - 20) ** 2 <= 144] = 1
    rho = np.sqrt((x - 45) ** 2 + (y - 45) ** 2)
    lab[(rho - 14) ** 2 + (z - 50) ** 2 <= 25] = 2
    lab[(x >= 45) & (x <= 65) & (y >= 5) & (y <= 25) & (z >= 8) & (z <= 30)] = 12
    aff = np.diag([sp[0], sp[1], sp[2], 1.0])
    aff[:3, 3] = (10.0, -20.0, 30.0)
    nib.save(nib.Nifti1Image(lab, aff), path)
    vox = sp[0] * sp[1] * sp[2]
    return {l: float((lab == l).sum()) * vox for l in (1, 2, 12)}


def polydata_stats(poly):
    tri = vtkTriangleFilter()
    tri.SetInputData(poly)
    tri.Update()
    # merge coincident points: STL has no shared vertices
    clean = vtkCleanPolyData()
    clean.SetInputConnection(tri.GetOutputPort())
    clean.SetTolerance(0.0)
    clean.Update()
    p = clean.GetOutput()
    fe = vtkFeatureEdges()
    fe.SetInputData(p)
    fe.BoundaryEdgesOn()
    fe.NonManifoldEdgesOn()
    fe.FeatureEdgesOff()
    fe.ManifoldEdgesOff()
    fe.Update()
    mp = vtkMassProperties()
    mp.SetInputData(p)
    mp.Update()
    return p.GetNumberOfCells(), fe.GetOutput().GetNumberOfCells(), mp.GetVolume()


def read(reader_cls, path):
    r = reader_cls()
    r.SetFileName(path)
    r.Update()
    return r.GetOutput()


def validate_glb(path, expect_meshes):
    data = open(path, "rb").read()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    check(magic == b"glTF" and version == 2, f"{path}: glTF 2 header")
    check(length == len(data), f"{path}: header length {length} == file size {len(data)}")
    jlen, jtype = struct.unpack_from("<I4s", data, 12)
    check(jtype == b"JSON" and jlen % 4 == 0, "JSON chunk first, padded to 4 bytes")
    doc = json.loads(data[20:20 + jlen].decode("utf-8"))
    off = 20 + jlen
    blen, btype = struct.unpack_from("<I4s", data, off)
    check(btype == b"BIN\x00" and blen % 4 == 0, "BIN chunk second, padded to 4 bytes")
    check(off + 8 + blen == len(data), "chunks fill the file")
    binchunk = data[off + 8:off + 8 + blen]
    check(doc["asset"]["version"] == "2.0", "asset.version 2.0")
    check(len(doc["buffers"]) == 1 and "uri" not in doc["buffers"][0] and
          doc["buffers"][0]["byteLength"] <= blen, "one buffer = the BIN chunk")
    for bv in doc["bufferViews"]:
        check(bv["byteOffset"] % 4 == 0 and bv["byteOffset"] + bv["byteLength"] <= blen,
              f"bufferView {bv} in range and aligned")
    sizes = {5126: 4, 5125: 4}
    ncomp = {"VEC3": 3, "SCALAR": 1}
    arrays = []
    for a in doc["accessors"]:
        bv = doc["bufferViews"][a["bufferView"]]
        nbytes = a["count"] * ncomp[a["type"]] * sizes[a["componentType"]]
        check(a.get("byteOffset", 0) + nbytes <= bv["byteLength"], "accessor fits its view")
        dt = "<f4" if a["componentType"] == 5126 else "<u4"
        arrays.append(np.frombuffer(binchunk, dt, a["count"] * ncomp[a["type"]],
                                    bv["byteOffset"] + a.get("byteOffset", 0)))
    check(len(doc["meshes"]) == expect_meshes, f"{expect_meshes} meshes")
    for m in doc["meshes"]:
        prim = m["primitives"][0]
        pos_i, nrm_i, idx_i = prim["attributes"]["POSITION"], prim["attributes"]["NORMAL"], prim["indices"]
        pa = doc["accessors"][pos_i]
        pos = arrays[pos_i].reshape(-1, 3)
        nrm = arrays[nrm_i].reshape(-1, 3)
        idx = arrays[idx_i]
        check(prim.get("mode", 4) == 4 and idx.size % 3 == 0, f"{m['name']}: triangles")
        check(int(idx.max()) < pa["count"], f"{m['name']}: indices < vertex count")
        check(np.allclose(pos.min(0), pa["min"]) and np.allclose(pos.max(0), pa["max"]),
              f"{m['name']}: POSITION min/max match the data")
        check(np.allclose(np.linalg.norm(nrm, axis=1), 1.0, atol=1e-4),
              f"{m['name']}: normals are unit vectors")
        check(doc["bufferViews"][doc["accessors"][idx_i]["bufferView"]].get("target") == 34963,
              f"{m['name']}: index view targets ELEMENT_ARRAY_BUFFER")
    root = doc["nodes"][doc["scenes"][doc["scene"]]["nodes"][0]]
    mat = np.array(root["matrix"]).reshape(4, 4).T  # column-major
    r = mat[:3, :3] / 0.001
    check(np.allclose(r @ r.T, np.eye(3)) and np.linalg.det(r) > 0,
          "root matrix is a proper rotation times 1/1000")
    # patient superior (LPS +z) is glTF +Y, anterior (LPS -y) is glTF +Z
    check(np.allclose(r @ [0, 0, 1], [0, 1, 0]) and np.allclose(r @ [0, -1, 0], [0, 0, 1]),
          "LPS superior -> +Y, anterior -> +Z")
    return doc


def main():
    with tempfile.TemporaryDirectory(dir=os.environ.get("CARM_BUILD")) as d:
        labels = os.path.join(d, "labels.nii.gz")
        truth = make_labels(labels)
        glb = os.path.join(d, "all.glb")
        subprocess.run([CARM, "mesh", labels, "--all", "-o", glb], check=True)
        doc = validate_glb(glb, 3)
        check([m["name"] for m in doc["meshes"]] == ["label_1", "label_2", "label_12"],
              "glb mesh names")
        # VTK reads the glb; each mesh closed, its volume near the label volume
        r = vtkGLTFReader()
        r.SetFileName(glb)
        r.Update()
        g = vtkCompositeDataGeometryFilter()
        g.SetInputConnection(r.GetOutputPort())
        g.Update()
        ncell, nbad, vol = polydata_stats(g.GetOutput())
        want_m3 = sum(truth.values()) * 1e-9  # glTF in metres through the node matrix
        check(ncell > 1000 and nbad == 0, f"VTK glTF: {ncell} triangles, {nbad} open edges")
        check(abs(vol - want_m3) / want_m3 < 0.03,
              f"VTK glTF volume {vol:.4e} m3 vs labels {want_m3:.4e} m3")
        stl = os.path.join(d, "s.stl")
        subprocess.run([CARM, "mesh", labels, "--all", "-o", stl], check=True)
        for lab, want in truth.items():
            for ext, cls in ((".stl", vtkSTLReader), (".ply", vtkPLYReader), (".obj", vtkOBJReader)):
                path = os.path.join(d, f"s_label{lab}{ext}")
                if ext != ".stl":
                    path = os.path.join(d, f"one_{lab}{ext}")
                    subprocess.run([CARM, "mesh", labels, "--label", str(lab), "-o", path],
                                   check=True)
                ncell, nbad, vol = polydata_stats(read(cls, path))
                check(ncell > 100 and nbad == 0,
                      f"VTK {ext} label {lab}: {ncell} triangles, {nbad} open/non-manifold edges")
                check(abs(vol - want) / want < 0.03,
                      f"VTK {ext} label {lab}: volume {vol:.1f} vs label {want:.1f} mm3")
        # bad input: no partial output
        bad = os.path.join(d, "bad.glb")
        p = subprocess.run([CARM, "mesh", labels, "--label", "7", "-o", bad],
                           capture_output=True, text=True)
        check(p.returncode == 1 and not os.path.exists(bad) and "absent" in p.stderr,
              f"absent label refused: rc {p.returncode}, {p.stderr.strip()}")
        p = subprocess.run([CARM, "mesh", labels, "-o", os.path.join(d, "x.vtk")],
                           capture_output=True, text=True)
        check(p.returncode == 2, "unknown suffix is a usage error")
        left = [f for f in os.listdir(d) if ".tmp-" in f]
        check(not left, f"no temporary files left ({left})")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
