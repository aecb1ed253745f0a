"""Shared fixtures for the server tests: a small case folder and a running
`carm serve` on loopback (a real HTTP server, a real client)."""
import os
import struct
import subprocess
import tempfile
import time


def write_sphere_mha(path, n=48, spacing=2.0, radius=30.0):
    """A float32 MetaImage with a bright sphere and a bright tube (vessel-like)."""
    half = (n - 1) / 2.0
    data = bytearray()
    for k in range(n):
        for j in range(n):
            for i in range(n):
                x, y, z = (i - half) * spacing, (j - half) * spacing, (k - half) * spacing
                v = 0.02
                if x * x + y * y + z * z <= radius * radius:
                    v = 0.03
                if (x - 10) ** 2 + (y + 5) ** 2 <= 16.0:
                    v = 0.06
                data += struct.pack('<f', v)
    origin = -half * spacing
    header = (
        "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
        "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"
        f"Offset = {origin} {origin} {origin}\nCenterOfRotation = 0 0 0\n"
        "AnatomicalOrientation = RAI\n"
        f"ElementSpacing = {spacing} {spacing} {spacing}\nDimSize = {n} {n} {n}\n"
        "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n")
    with open(path, 'wb') as f:
        f.write(header.encode())
        f.write(data)


def write_sphere_nifti(path, n=48, spacing=2.0, radius=30.0):
    """The same phantom as NIfTI (nibabel), LPS origin converted to RAS."""
    import nibabel as nib
    import numpy as np
    half = (n - 1) / 2.0
    ax = (np.arange(n) - half) * spacing
    x, y, z = np.meshgrid(ax, ax, ax, indexing='ij')
    v = np.full((n, n, n), 0.02, np.float32)
    v[x * x + y * y + z * z <= radius * radius] = 0.03
    v[(x - 10) ** 2 + (y + 5) ** 2 <= 16.0] = 0.06
    aff = np.diag([-spacing, -spacing, spacing, 1.0])
    aff[:3, 3] = [half * spacing, half * spacing, -half * spacing]
    nib.save(nib.Nifti1Image(v, aff), path)


def make_case():
    d = tempfile.mkdtemp(prefix='carm_case_')
    write_sphere_mha(os.path.join(d, 'arterial.mha'))
    write_sphere_nifti(os.path.join(d, 'arterial_view.nii.gz'))
    with open(os.path.join(d, 'tree.json'), 'w') as f:
        f.write('{"segments": []}')
    os.makedirs(os.path.join(d, 'pictures'))
    with open(os.path.join(d, 'pictures', 'mip.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
    os.symlink('/etc/passwd', os.path.join(d, 'escape.json'))
    return d


class Server:
    def __init__(self, case_dir, *extra):
        carm = os.environ['CARM']
        self.port_file = os.path.join(case_dir, '.port')
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.proc = subprocess.Popen([carm, 'serve', case_dir, '--port', '0', '--port-file',
                                      self.port_file, *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(100):
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError('carm serve exited: ' + self.proc.stderr.read().decode())
            time.sleep(0.05)
        self.port = int(open(self.port_file).read())

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1


def write_plan_inputs(d, n=48, spacing=2.0):
    """A small arterial tree and a label volume in the phantom's frame (LPS
    mm): body 1, liver 3, artery 4 along the tree, tumour 10 at the end of
    one branch; plan inputs for `carm plan feeders` and `carm plan ablation`.
    Returns the catheter tip (LPS mm)."""
    import json
    import nibabel as nib
    import numpy as np
    tumour_c, tumour_r = np.array([16.0, 12.0, 14.0]), 7.0
    segs = [
        {'id': 0, 'parent': None, 'points': [[10.0, -5.0, -40.0], [10.0, -5.0, -20.0], [10.0, -5.0, 0.0]]},
        {'id': 1, 'parent': 0, 'points': [[10.0, -5.0, 0.0], [12.0, 2.0, 6.0], [14.0, 8.0, 11.0],
                                          tumour_c.tolist()]},
        {'id': 2, 'parent': 0, 'points': [[10.0, -5.0, 0.0], [0.0, -8.0, 8.0], [-15.0, -10.0, 18.0]]},
    ]
    for s in segs:
        s['radius'] = [2.0 if s['id'] == 0 else 1.5] * len(s['points'])
    with open(os.path.join(d, 'artery_tree.json'), 'w') as f:
        json.dump({'format': 'carm-vessel-tree', 'version': 1, 'units': 'mm', 'frame': 'LPS',
                   'segments': segs}, f)
    half = (n - 1) / 2.0
    ax = (np.arange(n) - half) * spacing
    x, y, z = np.meshgrid(ax, ax, ax, indexing='ij')
    lab = np.zeros((n, n, n), np.uint8)
    lab[x * x + y * y + z * z <= 44.0 ** 2] = 1
    lab[x * x + y * y + z * z <= 30.0 ** 2] = 3
    for s in segs:
        p = np.array(s['points'])
        for a, b in zip(p[:-1], p[1:]):
            ab = b - a
            t = np.clip(((x - a[0]) * ab[0] + (y - a[1]) * ab[1] + (z - a[2]) * ab[2]) / ab.dot(ab), 0, 1)
            dist2 = (x - a[0] - t * ab[0]) ** 2 + (y - a[1] - t * ab[1]) ** 2 + (z - a[2] - t * ab[2]) ** 2
            lab[dist2 <= s['radius'][0] ** 2] = 4
    lab[(x - tumour_c[0]) ** 2 + (y - tumour_c[1]) ** 2 + (z - tumour_c[2]) ** 2 <= tumour_r ** 2] = 10
    aff = np.diag([-spacing, -spacing, spacing, 1.0])
    aff[:3, 3] = [half * spacing, half * spacing, -half * spacing]
    nib.save(nib.Nifti1Image(lab, aff), os.path.join(d, 'plan_labels.nii.gz'))
    return segs[0]['points'][0]


def run_plans(d, tip):
    """carm plan feeders and ablation on write_plan_inputs' case, as a user
    would run them; returns the paths of the two plan files."""
    carm = os.environ['CARM']
    env = dict(os.environ)
    env.setdefault('CARM_DEVICE_TABLE', os.path.join(os.environ['CARM_SOURCE'], 'data',
                                                     'ablation_devices.json'))
    subprocess.run([carm, 'plan', 'feeders', '--tree', 'artery_tree.json', '--tumours',
                    'plan_labels.nii.gz', '--tip', ','.join('%g' % v for v in tip),
                    '-o', 'feeders.json'], cwd=d, check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([carm, 'plan', 'ablation', '--labels', 'plan_labels.nii.gz', '--target', '10',
                    '--auto', '--zone', '30,20', '--clearance-mm', '3', '--margin', '5',
                    '-o', 'ablation.json'], cwd=d, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(d, 'feeders.json'), os.path.join(d, 'ablation.json')
