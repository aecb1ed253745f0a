"""carm board sheet: the tumour-board sheet as an A4 PDF.

A case is built through the CLI (labs, state, a study with a picture, every
calculator via `stage`, a meeting, a decision and its amendment). The sheet
must render (pdftoppm turns every page into a PNG that is not blank), be A4,
and pdftotext must show the scores with their inputs, the tumour table, the
stage and options, the decisions (the amendment marked as such) and the
attendees with the quorum. A case without a decision says "No decision
recorded"; a long case breaks over pages; a missing case or store is a clear
error with a non-zero exit and no file (an existing sheet is left as it was);
no temporary file is left behind."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib

CARM = os.environ.get('CARM', 'carm')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


def board(*args, db=None):
    env = dict(os.environ, CARM_BOARD_DB=db or DB, CARM_ACTOR='dr.test')
    r = subprocess.run([CARM, 'board', *args], capture_output=True, text=True, env=env,
                       timeout=60)
    return r


def must(*args, db=None):
    r = board(*args, db=db)
    if r.returncode != 0:
        print('command failed:', args, r.stderr, file=sys.stderr)
        sys.exit(1)
    return json.loads(r.stdout) if r.stdout.strip() else None


def write_png(path, w, h):
    """An RGB PNG with stripes (no library needed)."""
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            row += bytes([int(127 + 120 * math.sin(x / 7.0)), (y * 5) % 256, 200])
        rows.append(bytes(row))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(b''.join(rows))) + chunk(b'IEND', b''))


def png_grey_levels(path):
    """Distinct grey levels of an 8-bit RGB/grey PNG written by pdftoppm (filter types
    0-4 undone), and its size."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, w, h, ctype = 8, b'', 0, 0, 0
    while pos < len(data):
        n = struct.unpack('>I', data[pos:pos + 4])[0]
        t = data[pos + 4:pos + 8]
        d = data[pos + 8:pos + 8 + n]
        if t == b'IHDR':
            w, h, _, ctype = struct.unpack('>IIBB', d[:10])
        elif t == b'IDAT':
            idat += d
        pos += 12 + n
    bpp = 3 if ctype == 2 else 1
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    levels = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        levels.update(line[::bpp * 5])
        prev = line
    return w, h, levels


def pdftotext(pdf):
    return subprocess.run(['pdftotext', '-layout', pdf, '-'], capture_output=True, text=True,
                          check=True).stdout


def pages(pdf):
    info = subprocess.run(['pdfinfo', pdf], capture_output=True, text=True, check=True).stdout
    size = [l for l in info.splitlines() if l.startswith('Page size')][0]
    n = int([l for l in info.splitlines() if l.startswith('Pages')][0].split()[1])
    return n, size


tmp = tempfile.mkdtemp(prefix='carm_sheet_')
DB = os.path.join(tmp, 'case.db')
mip = os.path.join(tmp, 'mip.png')
write_png(mip, 160, 100)
extra = os.path.join(tmp, 'needle.png')
write_png(extra, 80, 120)

must('add-patient', 'HCC-0001')
must('labs', 'HCC-0001', 'date=2026-11-18', 'bilirubin=43umol/L', 'albumin=30g/L', 'inr=1.5',
     'sodium=134mmol/L', 'creatinine=1.1mg/dL', 'afp=25ng/mL')
must('state', 'HCC-0001', 'date=2026-11-18', 'ecog=0', 'ascites=mild', 'encephalopathy=none',
     'portal_hypertension=no', 'vascular_invasion=no', 'extrahepatic=no')
st = must('study', 'HCC-0001', 'date=2026-11-17', 'modality=CBCT', 'tumour=T1:25:8:8.2',
          'tumour=T2:18:6', 'picture=%s:Vessel MIP with tumours' % mip)
check(st['pictures'] == 1, 'study took its picture')
staged = must('stage', 'HCC-0001', 'date=2026-11-20', 'transplant_candidate=no', 'dialysis=no',
              'sex=female')
res = staged['results']
cp = res['child-pugh']
meld = res['meld']
bclc = res['bclc']
m = must('meeting', 'date=2026-11-20', 'attendee=Dr Alpha:hepatology', 'attendee=Dr Beta:surgery',
         'attendee=Dr Gamma:interventional radiology')

# ---- before any decision ----------------------------------------------------
pdf0 = os.path.join(tmp, 'nodecision.pdf')
r = board('sheet', 'HCC-0001', '-o', pdf0, '--meeting', str(m['meeting']), '--date', '2026-11-20')
check(r.returncode == 0 and os.path.exists(pdf0), 'sheet without a decision: %s' % r.stderr)
t0 = pdftotext(pdf0)
check('No decision recorded' in t0, 'no decision recorded shown')
check('decision: none recorded' in ' '.join(t0.split()), 'summary says no decision')
check('Dr Alpha' in t0 and 'quorum met' in t0, 'the meeting of --meeting and its quorum shown')
check('BCLC stage %s' % bclc['stage'] in t0, 'stage on the sheet before a decision')

# ---- decisions -------------------------------------------------------------
d1 = must('decide', 'HCC-0001', 'meeting=%d' % m['meeting'], 'option=ablation', 'guideline=bclc',
          'rationale=Two small nodules, ablation feasible', 'follow_up_on=2027-02-20')
d2 = must('decide', 'HCC-0001', 'meeting=%d' % m['meeting'], 'option=TACE', 'guideline=bclc',
          'deviation=T1 abuts the gallbladder', 'rationale=Re-discussed after the CBCT',
          'amends=%d' % d1['decision'])
pdf = os.path.join(tmp, 'sheet.pdf')
r = board('sheet', 'HCC-0001', '-o', pdf, '--picture', extra + ':Planned needle path',
          '--date', '2026-11-20')
check(r.returncode == 0, 'sheet written: %s' % r.stderr)
n, size = pages(pdf)
check('595.276 x 841.89' in size, 'A4 page size (%s)' % size)
check(n >= 1, 'at least one page')
text = pdftotext(pdf)
flat = ' '.join(text.split())
# scores with their inputs, from the stored results
check('%d points, class %s' % (cp['score'], cp['class']) in flat, 'Child-Pugh score and class')
check('bilirubin 43 umol/L' in flat and 'albumin 30 g/L = 3 g/dL' in flat, 'inputs as given and used')
check('MELD-Na' in flat and 'MELD 3.0' in flat, 'MELD family listed')
check(' %d ' % meld['score'] in flat, 'MELD score %d printed' % meld['score'])
check('grade %d' % res['albi']['grade'] in flat, 'ALBI grade')
# tumour table and criteria
check('2 tumours, largest 25 mm, sum of diameters 43 mm' in flat, 'tumour burden summary')
check('T1 25 mm' in flat and 'T2 18 mm' in flat, 'tumour rows')
check('Milan within' in flat, 'Milan result')
# stage and options with reasons
check('BCLC stage %s' % bclc['stage'] in flat, 'BCLC stage')
for o in bclc['options']:
    check(o['option'] in flat and o['reason'][:30] in flat, 'option %s with its reason' % o['option'])
# decisions: the first is shown as superseded, the amendment as such
check('Decision #%d' % d1['decision'] in flat, 'first decision')
check('Superseded: amended by #%d' % d2['decision'] in flat, 'first decision marked superseded')
check('Amendment #%d (amends decision #%d)' % (d2['decision'], d1['decision']) in flat,
      'amendment shown as such')
check('T1 abuts the gallbladder' in flat and 'Re-discussed after the CBCT' in flat,
      'deviation and rationale')
check('No decision recorded' not in flat, 'no "no decision" once decided')
check('BCLC %s | Child-Pugh %s (%d) | MELD %d' % (bclc['stage'], cp['class'], cp['score'],
                                                  meld['score']) in flat, 'summary line')
check('decision: TACE' in flat, 'summary shows the decision in force (the amendment)')
# attendees and quorum
for who, spec in [('Dr Alpha', 'hepatology'), ('Dr Beta', 'surgery'),
                  ('Dr Gamma', 'interventional radiology')]:
    check(who in flat and spec in flat, 'attendee %s (%s)' % (who, spec))
check('3 specialties - quorum met' in flat, 'quorum shown')
# pictures: the stored one and the --picture one
check('Vessel MIP with tumours (mip.png)' in flat, 'stored picture caption')
check('Planned needle path (needle.png)' in flat, '--picture caption')
imgs = subprocess.run(['pdfimages', '-list', pdf], capture_output=True, text=True).stdout
check(len([l for l in imgs.splitlines()[2:] if l.strip()]) >= 2, 'two images embedded')
check('HCC-0001' in flat and 'Pseudonymised' in flat, 'pseudonym and the pseudonymisation note')

# it renders: pdftoppm makes one PNG per page, each not blank
out = os.path.join(tmp, 'page')
subprocess.run(['pdftoppm', '-r', '40', '-png', pdf, out], check=True)
pngs = sorted(f for f in os.listdir(tmp) if f.startswith('page') and f.endswith('.png'))
check(len(pngs) == n, 'one PNG per page (%d, %d)' % (len(pngs), n))
for p in pngs:
    w, h, levels = png_grey_levels(os.path.join(tmp, p))
    check(abs(w / h - 595.276 / 841.89) < 0.01, '%s has A4 proportions' % p)
    check(len(levels) > 10, '%s is not blank (%d levels)' % (p, len(levels)))

# ---- a long case breaks over pages ------------------------------------------
must('add-patient', 'HCC-LONG')
tumours = ['tumour=L%02d:%d:%d' % (i, 10 + i, 1 + i % 8) for i in range(40)]
must('study', 'HCC-LONG', 'date=2026-11-17', 'modality=CBCT', *tumours)
for k in range(6):
    must('decide', 'HCC-LONG', 'meeting=%d' % m['meeting'], 'option=TACE',
         'rationale=' + ' '.join(['long rationale number %d' % k] * 30))
pdfl = os.path.join(tmp, 'long.pdf')
r = board('sheet', 'HCC-LONG', '-o', pdfl)
nl, _ = pages(pdfl)
tl = ' '.join(pdftotext(pdfl).split())
check(r.returncode == 0 and nl >= 3, 'long case on several pages (%d)' % nl)
check('L39 49 mm' in tl and 'L00 10 mm' in tl, 'every tumour row kept across pages')
check('page %d of %d' % (nl, nl) in tl, 'page numbers "N of M"')
check(tl.count('Longest') >= 2, 'table header repeated after a page break')

# ---- errors: clear message, non-zero exit, no file --------------------------
miss = os.path.join(tmp, 'missing.pdf')
r = board('sheet', 'HCC-9999', '-o', miss)
check(r.returncode != 0 and 'HCC-9999' in r.stderr and not os.path.exists(miss),
      'missing case refused without a file: %d %s' % (r.returncode, r.stderr))
before = open(pdf, 'rb').read()
r = board('sheet', 'HCC-9999', '-o', pdf)
check(r.returncode != 0 and open(pdf, 'rb').read() == before, 'existing sheet kept on failure')
r = board('sheet', 'HCC-0001', '-o', miss, db=os.path.join(tmp, 'nostore.db'))
check(r.returncode != 0 and not os.path.exists(miss) and
      not os.path.exists(os.path.join(tmp, 'nostore.db')), 'missing store: error, nothing created')
bad = os.path.join(tmp, 'bad.png')
open(bad, 'wb').write(b'\x89PNG\r\n\x1a\nnot really')
r = board('sheet', 'HCC-0001', '-o', miss, '--picture', bad)
check(r.returncode != 0 and 'bad.png' in r.stderr and not os.path.exists(miss),
      'unreadable --picture refused')
r = board('study', 'HCC-0001', 'date=2026-11-19', 'modality=CT', 'tumour=T9:10', 'picture=' + bad)
check(r.returncode == 2, 'study with an unreadable picture refused (exit 2)')
r = board('sheet', 'HCC-0001')
check(r.returncode == 2, 'sheet without -o is a usage error')
r = board('sheet', 'HCC-0001', '-o', os.path.join(tmp, 'no', 'such', 'dir.pdf'))
check(r.returncode == 1, 'unwritable output: exit 1')
leftovers = [f for f in os.listdir(tmp) if '.tmp.' in f]
check(leftovers == [], 'no temporary file left: %s' % leftovers)

done()
