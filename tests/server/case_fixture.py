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
