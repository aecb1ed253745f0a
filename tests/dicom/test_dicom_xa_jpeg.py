#!/usr/bin/env python3
"""The 96-frame XA cine (JPEG baseline) decoded by carm (GDCM's libjpeg)
against the uncompressed copy DCMTK made of it (dcmdjpeg), itself read by
carm and by pydicom: same frames, same values within 2 (JPEG decoders may
round differently). Skips (77) without the shared data or pydicom/numpy."""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pydicom
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_dicom_export import DATA, check, failures, read_mha, run  # noqa: E402


def main():
    xa_jpeg = os.path.join(DATA, "dicom", "xa", "fo-dicom_XA_HasFragmentSequence_jpeg.dcm")
    xa_gz = os.path.join(DATA, "dicom", "xa",
                         "fo-dicom_XA_HasFragmentSequence_uncompressed_derived.dcm.gz")
    if not (os.path.exists(xa_jpeg) and os.path.exists(xa_gz)):
        print("skip: XA cine not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="carm_dicom_xa_jpeg_")
    try:
        xa_unc = os.path.join(tmp, "xa_unc.dcm")
        with gzip.open(xa_gz, "rb") as fi, open(xa_unc, "wb") as fo:
            shutil.copyfileobj(fi, fo)
        a_mha, b_mha = os.path.join(tmp, "xa_a.mha"), os.path.join(tmp, "xa_b.mha")
        check(run("dicom", "import", xa_jpeg, "-o", a_mha).returncode == 0, "import XA jpeg")
        check(run("dicom", "import", xa_unc, "-o", b_mha).returncode == 0, "import XA unc")
        xa, xb = read_mha(a_mha)["data"], read_mha(b_mha)["data"]
        ref = pydicom.dcmread(xa_unc).pixel_array
        check(xa.shape == (96, 512, 512) and xb.shape == xa.shape, "XA 96 frames")
        check(np.array_equal(xb, ref.astype(np.float32)), "XA uncompressed equals pydicom")
        diff = np.abs(xa.astype(np.float64) - xb)
        print(f"XA JPEG (GDCM) vs DCMTK decode: max |diff| {diff.max():.0f}, "
              f"mean {diff.mean():.4f}")
        check(diff.max() <= 2 and diff.mean() < 0.1, "XA JPEG decoders agree within 2")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
