#!/usr/bin/env python3
"""carm dicom import/export checked by independent readers.

- The 20-slice CT series imported by carm has the voxels pydicom decodes
  (stored value x slope + intercept) and the geometry of the series' label
  map example_seg_dicom.nii.gz read by nibabel (RAS -> LPS).
- carm's CT series, Enhanced CT and SEG exports pass dciodvfy with no errors
  and read back through pydicom with the same pixels, positions and
  orientation; patient/study/frame of reference are carried from --like and
  removed/replaced with --deidentify.
Skips (77) when the shared data, pydicom, nibabel or numpy are missing.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import nibabel as nib
    import pydicom
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

CARM = os.environ.get("CARM", "carm")
DATA = os.environ.get("CARM_DATA", "../shared/data")
SERIES = os.path.join(DATA, "dicom", "ct-series-totalseg", "uncompressed_derived")
NIFTI = os.path.join(DATA, "dicom", "ct-series-totalseg", "example_seg_dicom.nii.gz")
CT_SMALL = os.path.join(DATA, "dicom", "ct", "pydicom_CT_small.dcm")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    r = subprocess.run([CARM, *args], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def read_mha(path):
    """Minimal MetaImage reader (uncompressed float32, LOCAL data)."""
    with open(path, "rb") as f:
        raw = f.read()
    hdr = {}
    pos = 0
    while True:
        end = raw.index(b"\n", pos)
        line = raw[pos:end].decode()
        pos = end + 1
        k, v = [s.strip() for s in line.split("=", 1)]
        hdr[k] = v
        if k == "ElementDataFile":
            break
    assert hdr["ElementType"] == "MET_FLOAT" and hdr.get("CompressedData", "False") == "False"
    dims = [int(x) for x in hdr["DimSize"].split()]
    data = np.frombuffer(raw[pos:], dtype="<f4").reshape(dims[::-1])  # z, y, x
    m = np.array([float(x) for x in hdr["TransformMatrix"].split()]).reshape(3, 3)
    return {
        "data": data,
        "spacing": np.array([float(x) for x in hdr["ElementSpacing"].split()]),
        "origin": np.array([float(x) for x in hdr["Offset"].split()]),
        "direction": m.T,  # columns = axis directions (ITK writes axis by axis)
    }


def write_mha(path, data_zyx, like):
    d = like["direction"]
    tm = " ".join(repr(float(v)) for v in d.T.reshape(-1))
    hdr = (
        "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
        "CompressedData = False\n"
        f"TransformMatrix = {tm}\n"
        f"Offset = {' '.join(repr(float(v)) for v in like['origin'])}\n"
        f"ElementSpacing = {' '.join(repr(float(v)) for v in like['spacing'])}\n"
        f"DimSize = {data_zyx.shape[2]} {data_zyx.shape[1]} {data_zyx.shape[0]}\n"
        "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n"
    )
    with open(path, "wb") as f:
        f.write(hdr.encode())
        f.write(np.ascontiguousarray(data_zyx, dtype="<f4").tobytes())


def index_to_lps(vol, ijk):
    return vol["origin"] + vol["direction"] @ (vol["spacing"] * np.asarray(ijk, float))


def dciodvfy_errors(path):
    if shutil.which("dciodvfy") is None:
        print("note: dciodvfy not installed, validation skipped")
        return []
    r = subprocess.run(["dciodvfy", path], capture_output=True, text=True)
    return [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]


def stored_to_real(ds, arr):
    return arr.astype(np.float64) * float(getattr(ds, "RescaleSlope", 1)) + float(
        getattr(ds, "RescaleIntercept", 0))


def main():
    if not os.path.isdir(SERIES):
        print(f"skip: {SERIES} not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="carm_dicom_export_")
    try:
        return body(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def body(tmp):
    # ---- import, against pydicom and nibabel ----------------------------
    ct_mha = os.path.join(tmp, "ct.mha")
    check(run("dicom", "import", SERIES, "-o", ct_mha).returncode == 0, "import series")
    vol = read_mha(ct_mha)
    dss = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(SERIES, "*")))]
    normal = np.cross(np.array(dss[0].ImageOrientationPatient[:3], float),
                      np.array(dss[0].ImageOrientationPatient[3:], float))
    dss.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    ref = np.stack([stored_to_real(d, d.pixel_array) for d in dss])
    check(vol["data"].shape == ref.shape, f"shape {vol['data'].shape} vs {ref.shape}")
    check(np.array_equal(vol["data"].astype(np.float64), ref), "voxels equal pydicom's")
    check(np.allclose(vol["origin"], np.array(dss[0].ImagePositionPatient, float), atol=1e-4),
          "origin = first slice position")

    seg = nib.load(NIFTI)
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ seg.affine
    check(tuple(sorted(seg.shape)) == tuple(sorted(vol["data"].shape)), "label map shape")
    # every corner voxel of the label map is a voxel centre of carm's grid
    a_c = np.eye(4)
    a_c[:3, :3] = vol["direction"] * vol["spacing"]
    a_c[:3, 3] = vol["origin"]
    inv = np.linalg.inv(a_c)
    n = np.array(seg.shape) - 1
    worst = 0.0
    mapping = []
    for c in np.ndindex(2, 2, 2):
        ijk = np.array(c) * n
        p = lps @ np.append(ijk, 1.0)
        q = inv @ p
        worst = max(worst, float(np.max(np.abs(q[:3] - np.round(q[:3])))))
        mapping.append((ijk, np.round(q[:3]).astype(int)))
        check(np.all(q[:3] > -0.5) and np.all(q[:3] < np.array(vol["data"].shape[::-1]) - 0.5),
              f"label corner {ijk} inside the CT grid")
    print(f"label map vs carm grid: worst corner offset {worst:.2e} voxel")
    check(worst < 1e-3, "label map geometry matches the CT series")

    # the label map resampled (index permutation/flip) onto carm's grid
    lab = np.asarray(seg.dataobj).astype(np.int32)
    ii, jj, kk = np.meshgrid(*[np.arange(s) for s in lab.shape], indexing="ij")
    pts = lps @ np.stack([ii.ravel(), jj.ravel(), kk.ravel(), np.ones(ii.size)])
    q = np.round(inv @ pts).astype(int)
    labels_zyx = np.zeros(vol["data"].shape, np.float32)
    # keep the 3 largest structures (a SEG of 31 segments is slow to check)
    vals, counts = np.unique(lab[lab > 0], return_counts=True)
    keep = vals[np.argsort(counts)[-3:]]
    kept = np.where(np.isin(lab, keep), lab, 0).ravel()
    labels_zyx[q[2], q[1], q[0]] = kept

    # ---- CT series export --------------------------------------------------
    out_dir = os.path.join(tmp, "series")
    check(run("dicom", "export", ct_mha, "-o", out_dir, "--like", CT_SMALL).returncode == 0,
          "export CT series")
    files = sorted(glob.glob(os.path.join(out_dir, "*.dcm")))
    check(len(files) == vol["data"].shape[0], f"{len(files)} files")
    src = pydicom.dcmread(CT_SMALL)
    series_uids = set()
    sop_uids = set()
    for f in files:
        errs = dciodvfy_errors(f)
        check(not errs, f"dciodvfy {os.path.basename(f)}: {errs[:3]}")
        d = pydicom.dcmread(f)
        k = int(d.InstanceNumber) - 1
        check(np.allclose(np.array(d.ImagePositionPatient, float), index_to_lps(vol, [0, 0, k]),
                          atol=1e-3), f"IPP of slice {k}")
        check(np.allclose(np.array(d.ImageOrientationPatient, float),
                          np.concatenate([vol["direction"][:, 0], vol["direction"][:, 1]]),
                          atol=1e-6), "IOP")
        check(np.allclose(np.array(d.PixelSpacing, float), vol["spacing"][[1, 0]]), "spacing")
        check(np.array_equal(stored_to_real(d, d.pixel_array), vol["data"][k].astype(np.float64)),
              f"pixels of slice {k}")
        check(d.PatientName == src.PatientName and d.PatientID == src.PatientID, "patient carried")
        check(d.StudyInstanceUID == src.StudyInstanceUID, "study carried")
        check(d.FrameOfReferenceUID == src.FrameOfReferenceUID, "frame of reference carried")
        check(d.SeriesInstanceUID != src.SeriesInstanceUID, "new series UID")
        check(str(d.SOPInstanceUID).startswith("2.25."), "2.25 UID")
        check("DERIVED" in d.ImageType and len(d.DerivationDescription) > 0, "derivation")
        series_uids.add(d.SeriesInstanceUID)
        sop_uids.add(d.SOPInstanceUID)
    check(len(series_uids) == 1 and len(sop_uids) == len(files), "one series, distinct SOPs")
    # carm reads its own series back identically
    back = os.path.join(tmp, "back.mha")
    check(run("dicom", "import", out_dir, "-o", back).returncode == 0, "re-import")
    vb = read_mha(back)
    check(np.array_equal(vb["data"], vol["data"]) and np.allclose(vb["origin"], vol["origin"]),
          "re-imported volume equals the original")
    # an existing, non-empty folder is refused and left untouched
    r = run("dicom", "export", ct_mha, "-o", out_dir)
    check(r.returncode == 1 and len(os.listdir(out_dir)) == len(files), "refuse non-empty folder")

    # ---- de-identified ------------------------------------------------------
    deid_dir = os.path.join(tmp, "deid")
    check(run("dicom", "export", ct_mha, "-o", deid_dir, "--like", CT_SMALL,
              "--deidentify").returncode == 0, "export de-identified")
    d = pydicom.dcmread(sorted(glob.glob(os.path.join(deid_dir, "*.dcm")))[0])
    check(d.PatientName != src.PatientName and d.PatientID != src.PatientID, "name/id replaced")
    check(str(d.get("PatientBirthDate", "")) == "", "birth date removed")
    check(d.StudyInstanceUID != src.StudyInstanceUID, "study UID replaced")
    check(d.FrameOfReferenceUID != src.FrameOfReferenceUID, "FoR UID replaced")
    check(d.PatientIdentityRemoved == "YES" and len(d.DeidentificationMethod) > 0, "deid flags")
    check(not dciodvfy_errors(d.filename), "dciodvfy de-identified")

    # ---- Enhanced CT --------------------------------------------------------
    enh = os.path.join(tmp, "enhanced.dcm")
    check(run("dicom", "export", ct_mha, "-o", enh, "--enhanced").returncode == 0, "export enh")
    errs = dciodvfy_errors(enh)
    check(not errs, f"dciodvfy enhanced: {errs[:3]}")
    d = pydicom.dcmread(enh)
    check(int(d.NumberOfFrames) == vol["data"].shape[0], "enhanced frames")
    sfg = d.SharedFunctionalGroupsSequence[0]
    pvt = sfg.PixelValueTransformationSequence[0]
    arr = d.pixel_array.astype(np.float64) * float(pvt.RescaleSlope) + float(pvt.RescaleIntercept)
    check(np.array_equal(arr, vol["data"].astype(np.float64)), "enhanced pixels")
    iop = np.array(sfg.PlaneOrientationSequence[0].ImageOrientationPatient, float)
    check(np.allclose(iop, np.concatenate([vol["direction"][:, 0], vol["direction"][:, 1]])),
          "enhanced IOP")
    for k, item in enumerate(d.PerFrameFunctionalGroupsSequence):
        p = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
        check(np.allclose(p, index_to_lps(vol, [0, 0, k]), atol=1e-3), f"enhanced IPP {k}")

    # ---- SEG ------------------------------------------------------------------
    lab_mha = os.path.join(tmp, "labels.mha")
    write_mha(lab_mha, labels_zyx, vol)
    seg_path = os.path.join(tmp, "seg.dcm")
    check(run("dicom", "export", lab_mha, "-o", seg_path, "--seg", "--like",
              SERIES).returncode == 0, "export seg")
    errs = dciodvfy_errors(seg_path)
    check(not errs, f"dciodvfy seg: {errs[:3]}")
    d = pydicom.dcmread(seg_path)
    check(d.SegmentationType == "BINARY" and len(d.SegmentSequence) == 3, "3 binary segments")
    frames = d.pixel_array.reshape(int(d.NumberOfFrames), int(d.Rows), int(d.Columns))
    seg_numbers = {int(s.SegmentNumber): s.SegmentLabel for s in d.SegmentSequence}
    rebuilt = np.zeros_like(labels_zyx)
    for f, item in enumerate(d.PerFrameFunctionalGroupsSequence):
        num = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        label = int(seg_numbers[num].split()[-1])
        p = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
        k = int(round(float(np.dot(p - vol["origin"], vol["direction"][:, 2])) / vol["spacing"][2]))
        rebuilt[k][frames[f] > 0] = label
    check(np.array_equal(rebuilt, labels_zyx), "SEG frames rebuild the label map")
    # and carm reads the SEG back into the same label map
    seg_back = os.path.join(tmp, "seg_back.mha")
    check(run("dicom", "import", seg_path, "-o", seg_back).returncode == 0, "import seg")
    sb = read_mha(seg_back)
    ranks = np.zeros_like(labels_zyx)  # carm gives segment numbers 1..N
    for r, v in enumerate(sorted(int(x) for x in np.unique(labels_zyx) if x > 0)):
        ranks[labels_zyx == v] = r + 1
    zs = np.nonzero(ranks.reshape(ranks.shape[0], -1).any(axis=1))[0]
    ranks = ranks[zs[0]:zs[-1] + 1]  # the SEG spans the slices that hold labels
    check(sb["data"].shape == ranks.shape and np.array_equal(sb["data"], ranks),
          "carm reads its SEG back")
    check(np.allclose(sb["origin"], index_to_lps(vol, [0, 0, zs[0]]), atol=1e-3), "SEG origin")

    # ---- Enhanced CT from a scanner vendor, against pydicom ------------------
    ect = os.path.join(DATA, "dicom", "enhanced", "eCT_Supplemental.dcm")
    ect_mha = os.path.join(tmp, "ect.mha")
    check(run("dicom", "import", ect, "-o", ect_mha).returncode == 0, "import enhanced CT")
    ev = read_mha(ect_mha)
    d = pydicom.dcmread(ect)
    frames = d.pixel_array.astype(np.float64)
    sfg = d.SharedFunctionalGroupsSequence[0]
    iop = None
    if "PlaneOrientationSequence" in sfg:
        iop = np.array(sfg.PlaneOrientationSequence[0].ImageOrientationPatient, float)
    pos, real = [], []
    for k, item in enumerate(d.PerFrameFunctionalGroupsSequence):
        if iop is None and "PlaneOrientationSequence" in item:
            iop = np.array(item.PlaneOrientationSequence[0].ImageOrientationPatient, float)
        pos.append(np.array(item.PlanePositionSequence[0].ImagePositionPatient, float))
        pvt = (item if "PixelValueTransformationSequence" in item else sfg)
        pvt = pvt.PixelValueTransformationSequence[0]
        real.append(frames[k] * float(pvt.RescaleSlope) + float(pvt.RescaleIntercept))
    normal = np.cross(iop[:3], iop[3:])
    order = np.argsort([float(np.dot(normal, p)) for p in pos])
    check(ev["data"].shape == frames.shape, "enhanced CT: both frames")
    check(np.array_equal(ev["data"].astype(np.float64), np.stack([real[i] for i in order])),
          "enhanced CT voxels equal pydicom's (per-frame rescale)")
    check(np.allclose(ev["origin"], pos[order[0]], atol=1e-4), "enhanced CT origin")
    check(np.allclose(ev["direction"][:, 0], iop[:3]) and np.allclose(ev["direction"][:, 1], iop[3:]),
          "enhanced CT orientation")

    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
