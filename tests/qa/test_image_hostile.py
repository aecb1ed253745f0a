"""carm info / convert on hostile images: every truncation of each format,
random byte corruption of the headers, absurd header values (sizes far over
the 64 GiB limit must be refused at once, not allocated), NaN/inf/huge
geometry, bad data-file references, damaged gzip/zlib trailers (a missing or
half trailer, a wrong CRC-32, ISIZE or Adler-32 must be refused with a message
saying so, never read as if whole), and a grid NIfTI-1's float32 header
cannot hold (convert used to write a .nii that carm itself could not read).
Every run must end within seconds with exit 0 or 1 (1 with a message),
never a signal, and never leave an output or temporary file behind."""
import os
import random
import subprocess
import sys
import tempfile
import time

CARM = os.environ['CARM']
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


tmp = tempfile.mkdtemp(prefix='carm_qa_img_')
os.chdir(tmp)


def run(args, want_fail=True, timeout=20):
    t0 = time.time()
    try:
        p = subprocess.run([CARM] + args, capture_output=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        check(False, 'hang: %s' % args)
        return None
    dt = time.time() - t0
    err = p.stderr.decode(errors='replace')
    what = ' '.join(a[:60] for a in args)
    check(p.returncode in (0, 1, 2), 'clean exit (got %d): %s' % (p.returncode, what))
    if want_fail:
        check(p.returncode != 0, 'refused: %s' % what)
    if p.returncode != 0:
        check(err.strip() != '', 'message on failure: %s' % what)
        check(not os.path.exists('out.mha') and not os.path.exists('out.nii'),
              'no output on failure: %s' % what)
    check(dt < 10, 'quick (%.1f s): %s' % (dt, what))
    left = [f for f in os.listdir('.') if '.tmp' in f]
    check(not left, 'no temporary files: %s %s' % (what, left))
    for f in ['out.mha', 'out.nii'] + left:
        if os.path.exists(f):
            os.remove(f)
    return p


def write(name, data):
    with open(name, 'wb') as f:
        f.write(data)


subprocess.run([CARM, 'sim', 'phantom', '--shepp-logan', '--size', '16,16,16', '--spacing',
                '4,4,4', '-o', 'src.mha'], check=True, capture_output=True)
for f in ['src.nii', 'src.nii.gz']:
    subprocess.run([CARM, 'convert', 'src.mha', f], check=True, capture_output=True)
subprocess.run([CARM, 'convert', 'src.mha', 'srcz.mha', '--compress'], check=True,
               capture_output=True)
subprocess.run([CARM, 'geometry', 'circular', '--views', '4', '-o', 'src.xml'], check=True,
               capture_output=True)

# truncations and corruption of every format carm info reads
rnd = random.Random(20261126)
for src, ext in [('src.mha', '.mha'), ('src.nii', '.nii'), ('src.nii.gz', '.nii.gz'),
                 ('srcz.mha', '.mha'), ('src.xml', '.xml')]:
    data = open(src, 'rb').read()
    cuts = [0, 1, 10, 100, 200, 347, 348, 352, len(data) // 2, len(data) - 20]
    for cut in [c for c in cuts if c < len(data)]:
        write('cut' + ext, data[:cut])
        run(['info', 'cut' + ext])
        if ext != '.xml':
            run(['convert', 'cut' + ext, 'out.mha'])
    for k in range(25):
        d = bytearray(data)
        for _ in range(rnd.randint(1, 6)):
            d[rnd.randrange(min(len(d), 400))] = rnd.randrange(256)
        write('bad' + ext, bytes(d))
        run(['info', 'bad' + ext], want_fail=False)

# damaged gzip trailers (.nii.gz: CRC-32 then ISIZE, 8 bytes) and zlib
# trailers (compressed .mha: Adler-32, 4 bytes): the voxels may all be there,
# only the checks fail, so a reader that stops at the last voxel or ignores
# zlib's end-of-stream state would accept them
gz = open('src.nii.gz', 'rb').read()
mz = open('srcz.mha', 'rb').read()


def cut_mha(data, n):
    """Drop the last n bytes and fix CompressedDataSize to match, so that only
    zlib's end of stream can tell."""
    head, sep, body = data.partition(b'ElementDataFile = LOCAL\n')
    lines = [(b'CompressedDataSize = %d' % (len(body) - n)
              if ln.startswith(b'CompressedDataSize') else ln) for ln in head.split(b'\n')]
    return b'\n'.join(lines) + sep + body[:len(body) - n]


def flip(data, back):
    d = bytearray(data)
    d[len(d) - back] ^= 0x5a
    return bytes(d)


for name, data, why in [('no gzip trailer', gz[:-8], 'truncated'),
                        ('half a gzip trailer', gz[:-4], 'truncated'),
                        ('one byte of gzip trailer', gz[:-7], 'truncated'),
                        ('wrong CRC-32', flip(gz, 8), 'corrupt'),
                        ('wrong ISIZE', flip(gz, 2), 'corrupt'),
                        ('no Adler-32, size fixed', cut_mha(mz, 4), 'truncated'),
                        ('half an Adler-32, size fixed', cut_mha(mz, 2), 'truncated'),
                        ('no Adler-32', mz[:-4], 'only'),
                        ('wrong Adler-32', flip(mz, 1), 'corrupt')]:
    ext = '.nii.gz' if 'gzip' in name or 'ISIZE' in name or 'CRC' in name else '.mha'
    write('trailer' + ext, data)
    for args in (['info', 'trailer' + ext], ['convert', 'trailer' + ext, 'out.mha']):
        p = run(args)
        err = p.stderr.decode(errors='replace') if p is not None else ''
        check(p is not None and p.returncode == 1 and why in err,
              '%s (%s): exit 1 with "%s" in the message, got %s: %s'
              % (name, args[0], why, None if p is None else p.returncode, err.strip()[-200:]))

# absurd MetaImage header values
base = open('src.mha', 'rb').read()
hdr, payload = base.split(b'ElementDataFile = LOCAL\n', 1)


def mha(key, value):
    lines = [ln for ln in hdr.decode().splitlines() if not ln.startswith(key + ' ')]
    if value is not None:
        lines.append('%s = %s' % (key, value))
    write('h.mha', ('\n'.join(lines) + '\nElementDataFile = LOCAL\n').encode() + payload)
    return 'h.mha'


for key, value in [('DimSize', '100000 100000 100000'), ('DimSize', '4096 4096 1024'),
                   ('DimSize', '65536 65536 4096'), ('DimSize', '9223372036854775807 1 1'),
                   ('DimSize', '0 16 16'), ('DimSize', '-1 16 16'), ('DimSize', '16 16'),
                   ('DimSize', '16 16 nan'), ('ElementSpacing', 'nan 1 1'),
                   ('ElementSpacing', 'inf 1 1'), ('ElementSpacing', '0 1 1'),
                   ('ElementSpacing', '-1 1 1'), ('Offset', 'nan 0 0'), ('Offset', '1e400 0 0'),
                   ('TransformMatrix', '0 0 0 0 0 0 0 0 0'),
                   ('TransformMatrix', 'nan 0 0 0 1 0 0 0 1'), ('NDims', '4'),
                   ('NDims', '100000000'), ('ElementType', 'MET_BOGUS'),
                   ('ElementType', 'MET_DOUBLE'), ('ElementType', None), ('DimSize', None),
                   ('CompressedData', 'True'), ('ElementNumberOfChannels', '3'),
                   ('ObjectType', 'Transform')]:
    name = mha(key, value)
    run(['info', name])
    run(['convert', name, 'out.nii'])

# data files that are not what they claim
mhd = open('src.mha', 'rb').read().split(b'ElementDataFile')[0].decode()
for ref in ['missing.raw', '/dev/zero', '/dev/urandom', '.', '../../../../../etc/hostname']:
    write('r.mhd', (mhd + 'ElementDataFile = %s\n' % ref).encode())
    run(['info', 'r.mhd'])

# not images at all
for path in ['/dev/null', '/', 'missing.nii', 'src.xml.nii']:
    run(['info', path])
    run(['convert', path, 'out.mha'])

# a grid NIfTI-1 cannot store: refused with a message, nothing written
for key, value in [('ElementSpacing', '1e308 1e308 1e308'), ('ElementSpacing', '1e-300 1 1'),
                   ('Offset', '1e300 0 0')]:
    name = mha(key, value)
    p = run(['info', name], want_fail=False)
    if p is not None and p.returncode == 0:
        run(['convert', name, 'out.nii'])
        check(not os.path.exists('out.nii'), 'no .nii for %s = %s' % (key, value))
        q = run(['convert', name, 'out.mha'], want_fail=False)
        check(q is not None and q.returncode == 0, 'MetaImage (float64 header) takes %s' % value)

done()
