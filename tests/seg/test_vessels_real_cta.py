"""carm vessels on the real CT angiogram (TotalSegmentator example, stent
graft in the aorta): agreement with the shipped aorta, celiac trunk and SMA
masks, reported per structure. Each structure is compared inside a 6 mm
neighbourhood of its own mask (the extracted tree is one connected vessel
system and is not split into named arteries), as Dice and recall."""
import os
import subprocess
import sys
import tempfile

data = os.path.join(os.environ.get('CARM_DATA', ''), 'ct', 'totalseg_aorta_cta')
if not os.path.exists(os.path.join(data, 'ct_cropped.nii.gz')):
    print('skip: real CTA absent'); sys.exit(77)
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

aorta = nib.load(os.path.join(data, 'aorta.nii.gz'))
a = aorta.get_fdata() > 0.5
ijk = np.argwhere(a)
c = aorta.affine @ np.r_[ijk[len(ijk) // 2], 1]
root = '%.2f,%.2f,%.2f' % (-c[0], -c[1], c[2])  # RAS -> LPS
out = tempfile.mkdtemp(prefix='carm_cta_')
r = subprocess.run([os.environ['CARM'], 'vessels', os.path.join(data, 'ct_cropped.nii.gz'),
                    '--root', root, '-o', out], capture_output=True, text=True, timeout=600)
print(r.stdout.strip())
if r.returncode != 0:
    print(r.stderr); sys.exit(1)
m = nib.load(os.path.join(out, 'vessels.nii.gz')).get_fdata() > 0.5
failed = 0
bars = {'aorta': 0.7, 'celiac_trunk': 0.55, 'superior_mesenteric_artery': 0.4}
for name, bar in bars.items():
    g = nib.load(os.path.join(data, name + '.nii.gz')).get_fdata() > 0.5
    near = ndimage.binary_dilation(g, iterations=4)
    mm = m & near
    inter = (mm & g).sum()
    dice = 2 * inter / (mm.sum() + g.sum())
    recall = inter / g.sum()
    print('%-28s local Dice %.3f  recall %.3f  (bar %.2f)' % (name, dice, recall, bar))
    failed += dice < bar
for f in ['tree.json', 'tree.vtk']:
    failed += not os.path.getsize(os.path.join(out, f)) > 0
print('%d passed, %d failed' % (4 - failed, failed))
sys.exit(1 if failed else 0)
