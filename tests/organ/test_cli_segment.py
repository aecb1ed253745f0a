#!/usr/bin/env python3
"""carm segment liver|tumour end to end on a small synthetic abdomen written
with nibabel (RAS affine, so the reader's LPS conversion is exercised): the
liver mask's Dice, the tumour JSON (volume, RECIST, centroid in LPS), the
tumour labels meshed by carm mesh, and the failure paths (exit codes, no
partial output)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import nibabel as nib

CARM = os.environ.get("CARM", "carm")
failures = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def phantom(d):
    h = 2.0
    n = (100, 80, 60)
    i, j, k = np.meshgrid(*[np.arange(m) for m in n], indexing="ij")
    # RAS affine: x_ras = -x_lps; voxel (0,0,0) at RAS (100, 80, 0) = LPS (-100, -80, 0)
    aff = np.diag([-h, -h, h, 1.0])
    aff[:3, 3] = (100.0, 80.0, 0.0)
    xl = -(100.0 - h * i)  # LPS x
    yl = -(80.0 - h * j)
    zl = h * k
    rng = np.random.default_rng(3)
    body = (xl / 95) ** 2 + (yl / 75) ** 2 <= 1
    wall = body & ((xl / 85) ** 2 + (yl / 65) ** 2 > 1)
    liver = ((xl + 40) / 45) ** 2 + ((yl - 0) / 40) ** 2 + ((zl - 60) / 40) ** 2 <= 1
    tum_c = (-45.0, -5.0, 60.0)
    tum = (xl - tum_c[0]) ** 2 + (yl - tum_c[1]) ** 2 + (zl - tum_c[2]) ** 2 <= 10.0 ** 2
    tum &= liver
    spleen = ((xl - 50) / 20) ** 2 + ((yl - 20) / 25) ** 2 + ((zl - 60) / 30) ** 2 <= 1
    delayed = np.full(n, -1000.0)
    delayed[body] = -80.0
    delayed[wall] = 45.0
    delayed[spleen] = 100.0
    delayed[liver] = 110.0
    delayed[tum] = 75.0
    arterial = delayed.copy()
    arterial[liver] = 70.0
    arterial[tum] = 170.0
    arterial[spleen] = 120.0
    delayed += rng.normal(0, 10, n)
    arterial += rng.normal(0, 10, n)
    nib.save(nib.Nifti1Image(delayed.astype(np.float32), aff), os.path.join(d, "delayed.nii.gz"))
    nib.save(nib.Nifti1Image(arterial.astype(np.float32), aff), os.path.join(d, "arterial.nii.gz"))
    return liver, tum, tum_c, h


def run(*args):
    return subprocess.run([CARM, *args], capture_output=True, text=True)


def main():
    with tempfile.TemporaryDirectory(dir=os.environ.get("CARM_BUILD")) as d:
        liver_t, tum_t, tum_c, h = phantom(d)
        p = lambda f: os.path.join(d, f)  # noqa: E731
        r = run("segment", "liver", p("delayed.nii.gz"), "-o", p("liver.nii.gz"), "--json",
                p("liver.json"))
        check(r.returncode == 0, f"segment liver exits 0 ({r.stderr.strip()[-200:]})")
        liver = nib.load(p("liver.nii.gz")).get_fdata() > 0.5
        dice = 2 * (liver & liver_t).sum() / (liver.sum() + liver_t.sum())
        check(dice >= 0.9, f"liver Dice {dice:.4f} >= 0.9")
        lj = json.load(open(p("liver.json")))
        want_ml = liver_t.sum() * h ** 3 / 1000
        check(lj["format"] == "carm-liver" and abs(lj["volume_ml"] - want_ml) / want_ml < 0.1,
              f"liver JSON volume {lj['volume_ml']:.1f} mL vs truth {want_ml:.1f} mL")
        r = run("segment", "tumour", p("arterial.nii.gz"), "--liver", p("liver.nii.gz"), "-o",
                p("tum.nii.gz"), "--json", p("tum.json"))
        check(r.returncode == 0, f"segment tumour exits 0 ({r.stderr.strip()[-200:]})")
        tj = json.load(open(p("tum.json")))
        check(len(tj["tumours"]) == 1, f"one tumour found ({len(tj['tumours'])})")
        if tj["tumours"]:
            t = tj["tumours"][0]
            want = tum_t.sum() * h ** 3 / 1000
            check(abs(t["volume_ml"] - want) / want <= 0.10,
                  f"tumour volume {t['volume_ml']:.2f} mL vs truth {want:.2f} mL")
            check(abs(t["recist_mm"] - 20.0) <= 2 * h, f"RECIST {t['recist_mm']:.1f} mm vs 20")
            dc = np.linalg.norm(np.array(t["centroid_lps_mm"]) - tum_c)
            check(dc < 1.5, f"centroid (LPS) within {dc:.2f} mm of the truth")
            check(t["mrecist_mm"] <= t["recist_mm"] + 1e-6, "mRECIST <= RECIST")
        # the tumour labels as a mesh
        r = run("mesh", p("tum.nii.gz"), "-o", p("tum.glb"))
        check(r.returncode == 0 and os.path.getsize(p("tum.glb")) > 1000, "carm mesh of the labels")
        # seeds: a seed on the tumour without a liver mask
        seed = ",".join(str(v) for v in tum_c)
        r = run("segment", "tumour", p("arterial.nii.gz"), "--seed", seed, "-o", p("t2.nii.gz"))
        check(r.returncode == 0 and "1 tumour" in r.stderr, "seeded tumour without a liver mask")
        # failures: usage errors (2), bad input (1), nothing left behind
        r = run("segment", "tumour", p("arterial.nii.gz"), "-o", p("t3.nii.gz"))
        check(r.returncode == 2 and not os.path.exists(p("t3.nii.gz")),
              "tumour without liver or seed: exit 2, no output")
        r = run("segment", "liver", p("delayed.nii.gz"), "--seed", "9999,0,0", "-o",
                p("l2.nii.gz"))
        check(r.returncode == 1 and "outside" in r.stderr and not os.path.exists(p("l2.nii.gz")),
              f"seed outside: exit 1 ({r.stderr.strip()})")
        r = run("segment", "kidney", p("delayed.nii.gz"), "-o", p("k.nii.gz"))
        check(r.returncode == 2, "unknown organ: exit 2")
        r = run("segment", "liver", p("delayed.nii.gz"), "-o", p("l.png"))
        check(r.returncode == 2, "unknown output suffix: exit 2")
        r = run("segment", "liver", p("missing.nii.gz"), "-o", p("l3.nii.gz"))
        check(r.returncode == 1 and not os.path.exists(p("l3.nii.gz")), "missing input: exit 1")
        r = run("segment", "--help")
        check(r.returncode == 0 and "example" in r.stdout, "--help with an example")
        left = [f for f in os.listdir(d) if ".tmp-" in f]
        check(not left, f"no temporary files left ({left})")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
