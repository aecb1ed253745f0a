"""Corrupt JPEG 2000 pixel data in DICOM: the codec (OpenJPEG, inside GDCM)
used to print its complaints ("Error with SIZ marker size", "Marker handler
function failed ...") straight to stderr, beside carm's own message. Each
damaged file must now end with exit 1 and exactly one stderr line, carm's,
which carries the decoder's reason; a good file must print nothing but
carm's lines. The damage is placed by finding the codestream's markers, so
any JPEG 2000 file works."""
import os
import subprocess
import sys
import tempfile

CARM = os.environ['CARM']
SRC = os.path.join(os.environ.get('CARM_DATA', ''), 'dicom', 'ct', 'pydicom-data_693_J2KR.dcm')
if not os.path.isfile(SRC):
    print('skip: %s is absent' % SRC)
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


data = open(SRC, 'rb').read()
soc = data.find(b'\xff\x4f\xff\x51')  # SOC then SIZ
check(soc > 0, 'JPEG 2000 codestream found')
sot = data.find(b'\xff\x90', soc)      # first tile-part
tmp = tempfile.mkdtemp(prefix='carm_qa_j2k_')


def damaged(name, edits):
    d = bytearray(data)
    for at, b in edits:
        d[at:at + len(b)] = b
    path = os.path.join(tmp, name + '.dcm')
    with open(path, 'wb') as f:
        f.write(bytes(d))
    return path


cases = {
    'absurd image width': damaged('siz', [(soc + 6, b'\xff\xff\xff\xff')]),
    'SIZ length 2': damaged('lsiz', [(soc + 4, b'\x00\x02')]),
    'zeroed tile-part header': damaged('sot', [(sot + 2, b'\x00' * 10)]),
    'COD where SIZ belongs': damaged('nosiz', [(soc + 2, b'\xff\x52')]),
}
for what, path in cases.items():
    for args in (['dicom', 'import', path, '-o', os.path.join(tmp, 'out.mha')],
                 ['dicom', 'info', path]):
        p = subprocess.run([CARM] + args, capture_output=True, timeout=60)
        lines = [ln for ln in p.stderr.decode(errors='replace').splitlines() if ln.strip()]
        check(p.returncode == 1, '%s (%s): exit 1, got %d' % (what, args[1], p.returncode))
        check(len(lines) == 1 and lines[0].startswith('carm dicom'),
              '%s (%s): one stderr line, carm\'s; got %r' % (what, args[1], lines))
        check(any('decoder:' in ln for ln in lines),
              '%s (%s): the decoder\'s reason is in carm\'s message: %r' % (what, args[1], lines))
    check(not os.path.exists(os.path.join(tmp, 'out.mha')), '%s: no output' % what)

# a good file: only carm's own lines
p = subprocess.run([CARM, 'dicom', 'import', SRC, '-o', os.path.join(tmp, 'good.mha')],
                   capture_output=True, timeout=60)
lines = [ln for ln in p.stderr.decode(errors='replace').splitlines() if ln.strip()]
check(p.returncode == 0 and all(ln.startswith('carm ') for ln in lines),
      'good JPEG 2000 file: exit 0 and only carm\'s lines, got %d %r' % (p.returncode, lines))

done()
