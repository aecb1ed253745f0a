#!/usr/bin/env python3
"""Real volumes from $CARM_DATA/ct: carm's reading (via `carm info` and a
float32 MetaImage written by `carm convert`) must agree with nibabel,
converted to LPS, on dims, spacing, origin, direction and every voxel; and
carm's NIfTI output must read back in nibabel with the same affine and
values. The .mha input is parsed here independently of carm. NIfTI-2 is
checked on a copy nibabel writes. Exit 77 (skip) without the data."""
import os
import subprocess
import sys
import tempfile

try:
    import nibabel as nib
    import numpy as np
except ImportError:
    # The Debian packages live in the system interpreter.
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("skip: python3 nibabel/numpy not installed")
    sys.exit(77)

CARM = os.environ.get("CARM", "./bin/carm")
DATA = os.environ.get("CARM_DATA", "")
CT = os.path.join(DATA, "ct")
if not DATA or not os.path.isdir(CT):
    print(f"skip: real data folder {CT!r} is absent")
    sys.exit(77)

LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def nibabel_lps(img):
    """(dims, spacing, origin, direction, data) from nibabel, carm's choice
    of transform (sform > qform > pixdim), in LPS."""
    hdr = img.header
    if int(hdr["sform_code"]) > 0:
        aff = hdr.get_sform()
    elif int(hdr["qform_code"]) > 0:
        aff = hdr.get_qform()
    else:
        zooms = hdr.get_zooms()[:3]
        aff = np.diag(list(zooms) + [1.0])
    a = LPS @ aff
    spacing = np.linalg.norm(a[:3, :3], axis=0)
    direction = a[:3, :3] / spacing
    shape = img.shape[:3] + (1,) * (3 - len(img.shape[:3]))
    data = np.asarray(img.dataobj, dtype=np.float64).reshape(shape)
    return np.array(shape), spacing, a[:3, 3], direction, data


def parse_mha(path):
    """A MetaImage header and its data (LOCAL or raw file), independently."""
    with open(path, "rb") as f:
        blob = f.read()
    keys, pos = {}, 0
    while True:
        end = blob.index(b"\n", pos)
        line = blob[pos:end].decode().strip()
        pos = end + 1
        if "=" in line:
            k, v = (s.strip() for s in line.split("=", 1))
            keys[k] = v
            if k == "ElementDataFile":
                break
    nd = int(keys["NDims"])
    dims = [int(x) for x in keys["DimSize"].split()]
    sp = [float(x) for x in keys.get("ElementSpacing", " ".join(["1"] * nd)).split()]
    org = [float(x) for x in keys.get("Offset", " ".join(["0"] * nd)).split()]
    tm = [float(x) for x in keys.get("TransformMatrix", "1 0 0 0 1 0 0 0 1").split()]
    direction = np.array(tm).reshape(nd, nd).T  # column i = TM[i*nd:(i+1)*nd]
    types = {"MET_UCHAR": "u1", "MET_CHAR": "i1", "MET_USHORT": "u2", "MET_SHORT": "i2",
             "MET_UINT": "u4", "MET_INT": "i4", "MET_FLOAT": "f4", "MET_DOUBLE": "f8"}
    msb = keys.get("BinaryDataByteOrderMSB", keys.get("ElementByteOrderMSB", "False"))
    dt = np.dtype((">" if msb == "True" else "<") + types[keys["ElementType"]])
    raw = blob[pos:] if keys["ElementDataFile"] == "LOCAL" else open(
        os.path.join(os.path.dirname(path), keys["ElementDataFile"]), "rb").read()
    if keys.get("CompressedData", "False") == "True":
        import zlib
        raw = zlib.decompress(raw)
    n = int(np.prod(dims))
    data = np.frombuffer(raw[: n * dt.itemsize], dtype=dt).astype(np.float64)
    data = data.reshape(dims, order="F")
    return np.array(dims), np.array(sp), np.array(org), direction, data


def carm_info(path):
    out = subprocess.run([CARM, "info", path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"carm info {path}: {out.stderr.strip()}")
        return None
    info, rows = {}, []
    for line in out.stdout.splitlines():
        s = line.strip()
        if s.startswith("dims:"):
            info["dims"] = np.array([int(x) for x in s[5:].split("x")])
        elif s.startswith("spacing:"):
            info["spacing"] = np.array([float(x) for x in s.split()[1:4]])
        elif s.startswith("origin:"):
            info["origin"] = np.array([float(x) for x in s.split()[1:4]])
        elif s.startswith("direction:"):
            rows.append([float(x) for x in s.split()[1:4]])
        elif len(rows) in (1, 2) and len(s.split()) == 3:
            rows.append([float(x) for x in s.split()])
        elif s.startswith("range:"):
            info["range"] = (float(s.split()[1]), float(s.split()[3]))
    info["direction"] = np.array(rows)
    return info


def compare(name, ref, got, tol_geom, exact_values=True):
    dims, sp, org, dirn, data = ref
    gdims, gsp, gorg, gdir, gdata = got
    if not np.array_equal(dims, gdims):
        fail(f"{name}: dims {gdims} != {dims}")
        return
    for what, a, b, tol in (("spacing", sp, gsp, tol_geom), ("origin", org, gorg, tol_geom * 10),
                            ("direction", dirn, gdir, tol_geom)):
        err = np.max(np.abs(np.asarray(a) - np.asarray(b)))
        if not err <= tol:
            fail(f"{name}: {what} differs by {err:g} (> {tol:g}): {b} vs {a}")
    ref32 = data.astype(np.float32)
    if exact_values:
        nbad = int(np.sum(ref32 != gdata.astype(np.float32)))
    else:
        nbad = int(np.sum(np.abs(ref32 - gdata) > 1e-3 * np.maximum(1, np.abs(ref32))))
    if nbad:
        fail(f"{name}: {nbad} voxel values differ")


def check_info(name, ref, info):
    if info is None:
        return
    dims, sp, org, dirn, data = ref
    if not np.array_equal(info["dims"], dims):
        fail(f"{name}: carm info dims {info['dims']} != {dims}")
    if np.max(np.abs(info["spacing"] - sp)) > 1e-6 * max(1, np.max(sp)):
        fail(f"{name}: carm info spacing {info['spacing']} != {sp}")
    if np.max(np.abs(info["origin"] - org)) > 1e-5 * max(1, np.max(np.abs(org))):
        fail(f"{name}: carm info origin {info['origin']} != {org}")
    if np.max(np.abs(info["direction"] - dirn)) > 2e-6:
        fail(f"{name}: carm info direction {info['direction']} != {dirn}")
    lo, hi = float(np.float32(data.min())), float(np.float32(data.max()))
    if abs(info["range"][0] - lo) > 1e-6 * max(1, abs(lo)) or \
            abs(info["range"][1] - hi) > 1e-6 * max(1, abs(hi)):
        fail(f"{name}: carm info range {info['range']} != {(lo, hi)}")


def run(args):
    out = subprocess.run([CARM] + args, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"carm {' '.join(args)}: {out.stderr.strip()}")
        return False
    return True


def main():
    niftis = sorted(os.path.join(d, f) for d, _, fs in os.walk(CT) for f in fs
                    if f.endswith((".nii", ".nii.gz")))
    mhas = sorted(os.path.join(d, f) for d, _, fs in os.walk(CT) for f in fs
                  if f.endswith(".mha"))
    if not niftis and not mhas:
        print(f"skip: no volumes under {CT}")
        return 77
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="carm-real-", dir=shm) as tmp:
        checked = 0
        for path in niftis:
            name = os.path.relpath(path, CT)
            img = nib.load(path)
            ref = nibabel_lps(img)
            check_info(name, ref, carm_info(path))
            mha = os.path.join(tmp, "out.mha")
            if run(["convert", path, mha, "--type", "float32"]):
                compare(name + " -> mha", ref, parse_mha(mha), 1e-6)
            nii = os.path.join(tmp, "out.nii")
            if run(["convert", path, nii]):
                back = nib.load(nii)
                compare(name + " -> nii (nibabel)", ref, nibabel_lps(back), 1e-5)
                if not np.allclose(back.affine, img.affine, atol=1e-4):
                    fail(f"{name}: carm's NIfTI affine {back.affine} != {img.affine}")
                if back.get_data_dtype() != img.get_data_dtype() and \
                        img.dataobj.slope == 1 and img.dataobj.inter == 0:
                    fail(f"{name}: dtype {back.get_data_dtype()} != {img.get_data_dtype()}")
            checked += 1
            print(f"ok: {name} {tuple(ref[0])} spacing {np.round(ref[1], 4)}")
        for path in mhas:
            name = os.path.relpath(path, CT)
            ref = parse_mha(path)
            check_info(name, ref, carm_info(path))
            nii = os.path.join(tmp, "mha.nii.gz")
            if run(["convert", path, nii]):
                compare(name + " -> nii.gz (nibabel)", ref, nibabel_lps(nib.load(nii)), 1e-5)
            mha = os.path.join(tmp, "mha_z.mhd")
            if run(["convert", path, mha, "--compress"]):
                compare(name + " -> mhd+zraw", ref, parse_mha(mha), 1e-12)
            checked += 1
            print(f"ok: {name} {tuple(ref[0])}")
        # NIfTI-2: nibabel writes a copy of the oblique head CT.
        oblique = [p for p in niftis if "pitch" in p] or niftis[:1]
        if oblique:
            img = nib.load(oblique[0])
            n2 = nib.Nifti2Image(np.asarray(img.dataobj), img.affine)
            n2.header.set_sform(img.affine, 1)
            n2.header.set_qform(img.affine, 1)
            p2 = os.path.join(tmp, "n2.nii.gz")
            nib.save(n2, p2)
            ref = nibabel_lps(nib.load(p2))
            info = carm_info(p2)
            out = subprocess.run([CARM, "info", p2], capture_output=True, text=True).stdout
            if "NIfTI-2" not in out:
                fail(f"NIfTI-2 copy not reported as NIfTI-2: {out}")
            check_info("NIfTI-2 copy", ref, info)
            mha = os.path.join(tmp, "n2.mha")
            if run(["convert", p2, mha, "--type", "float32"]):
                compare("NIfTI-2 copy -> mha", ref, parse_mha(mha), 1e-6)
            checked += 1
            print("ok: NIfTI-2 copy of", os.path.relpath(oblique[0], CT))
    print(f"{checked} volumes checked, {len(failures)} failures")
    return 1 if failures else 0


sys.exit(main())
