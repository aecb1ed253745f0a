"""carm serve: the tumour-board routes under /api/board over real HTTP: the case
list with key figures, a case, its sheet (PDF made on request), recording a
decision through the store's API (append-only, audit row with the actor), and
the bad requests (4xx, the server keeps serving); a missing store is a 404 and
is never created by a read."""
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from board_fixture import make_store  # noqa: E402
from case_fixture import Server  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    ctype = r.getheader('Content-Type', '')
    c.close()
    return r.status, data, ctype


def jbody(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


case = tempfile.mkdtemp(prefix='carm_board_case_')
db = os.path.join(tempfile.mkdtemp(prefix='carm_board_db_'), 'store.db')
fx = make_store(db)
res = fx['results']
srv = Server(case, '--board', db)
p = srv.port
try:
    # ---- the list with key figures
    st, body, ctype = request(p, 'GET', '/api/board')
    lst = jbody(body)
    check(st == 200 and ctype.startswith('application/json'), 'list 200 JSON')
    cases = {c['pseudonym']: c for c in lst.get('cases', [])}
    check(sorted(cases) == ['HCC-0001', 'HCC-0002'], 'both cases listed: %s' % sorted(cases))
    c1 = cases.get('HCC-0001', {})
    check(c1.get('stage') == res['bclc']['stage'], 'stage in the list')
    check(c1.get('child_pugh_class') == res['child-pugh']['class'] and
          c1.get('child_pugh_score') == res['child-pugh']['score'], 'Child-Pugh in the list')
    check(c1.get('meld') == res['meld']['score'] and c1.get('meld_na') == res['meld-na']['score'],
          'MELD and MELD-Na in the list')
    check(c1.get('tumours') == 2 and c1.get('largest_mm') == 25, 'tumour count and largest')
    check(c1.get('decisions') == 0, 'no decision yet')
    c2 = cases.get('HCC-0002', {})
    check(c2.get('stage') is None and c2.get('tumours') == 0, 'unstaged case has nulls')
    ms = {m['id']: m for m in lst.get('meetings', [])}
    check(ms.get(fx['quorate'], {}).get('quorum') is True and
          ms.get(fx['small'], {}).get('quorum') is False, 'meetings with their quorum')
    st, body, _ = request(p, 'GET', '/api/board/meetings/%d' % fx['quorate'])
    check(st == 200 and len(jbody(body).get('attendees', [])) == 3, 'one meeting')
    st, _, _ = request(p, 'GET', '/api/board/meetings/999')
    check(st == 404, 'unknown meeting 404')
    st, _, _ = request(p, 'GET', '/api/board/meetings/x1')
    check(st == 400, 'bad meeting id 400')

    # ---- a case and its sheet
    st, body, _ = request(p, 'GET', '/api/board/cases/HCC-0001')
    doc = jbody(body)
    check(st == 200 and doc.get('pseudonym') == 'HCC-0001' and len(doc.get('scores', [])) >= 5,
          'case details')
    st, body, _ = request(p, 'GET', '/api/board/cases/HCC-9999')
    check(st == 404 and 'HCC-9999' in jbody(body).get('error', ''), 'unknown case 404')
    st, _, _ = request(p, 'GET', '/api/board/cases/bad%20name')
    check(st == 400, 'bad pseudonym 400')
    st, body, ctype = request(p, 'GET', '/api/board/cases/HCC-0001/sheet.pdf?meeting=%d' %
                              fx['quorate'])
    check(st == 200 and ctype == 'application/pdf' and body[:5] == b'%PDF-', 'sheet PDF served')
    sheet = os.path.join(case, 'board-sheets', 'HCC-0001.pdf')
    check(os.path.exists(sheet) and open(sheet, 'rb').read() == body, 'sheet kept in the case folder')
    txt = subprocess.run(['pdftotext', sheet, '-'], capture_output=True, text=True).stdout
    check('No decision recorded' in txt and 'Dr Gamma' in txt, 'sheet before the decision')
    st, _, _ = request(p, 'GET', '/api/board/cases/HCC-9999/sheet.pdf')
    check(st == 404 and not os.path.exists(os.path.join(case, 'board-sheets', 'HCC-9999.pdf')),
          'no sheet for an unknown case')
    st, _, _ = request(p, 'GET', '/api/board/cases/HCC-0001/sheet.pdf?meeting=abc')
    check(st == 400, 'bad meeting parameter 400')

    # ---- recording decisions: bad requests first
    url = '/api/board/cases/HCC-0001/decisions'
    good = {'meeting': fx['quorate'], 'option': fx['options'][0], 'guideline': 'bclc',
            'rationale': 'Two nodules within Milan; ablation feasible', 'actor': 'dr.web',
            'follow_up_on': '2027-02-20'}
    bad = [
        ('{not json', 400, 'JSON'),
        ([1, 2], 400, 'object'),
        (dict(good, rationale=''), 400, 'rationale'),
        ({k: v for k, v in good.items() if k != 'option'}, 400, 'option'),
        ({k: v for k, v in good.items() if k != 'meeting'}, 400, 'meeting'),
        ({k: v for k, v in good.items() if k != 'actor'}, 400, 'actor'),
        (dict(good, meeting='1'), 400, 'meeting'),
        (dict(good, meeting=-3), 400, 'meeting'),
        (dict(good, option=7), 400, 'option'),
        (dict(good, colour='red'), 400, 'colour'),
        (dict(good, actor='x' * 65), 400, 'actor'),
        (dict(good, follow_up_on='tomorrow'), 400, 'follow-up'),
        (dict(good, option='sorafenib'), 400, 'deviat'),
        (dict(good, meeting=fx['small']), 400, 'quorum'),
        (dict(good, meeting=999), 404, 'meeting'),
        (dict(good, amends=999), 400, 'amend'),
    ]
    for b, code, word in bad:
        st, body, _ = request(p, 'POST', url, body=b if isinstance(b, str) else json.dumps(b))
        msg = jbody(body).get('error', '')
        check(st == code and word.lower() in msg.lower(),
              'bad decision %s -> %d (%d %s)' % (str(b)[:60], code, st, msg))
    st, _, _ = request(p, 'POST', '/api/board/cases/HCC-9999/decisions', body=json.dumps(good))
    check(st == 404, 'decision for an unknown case 404')
    st, _, _ = request(p, 'POST', url, body='x' * 200000)
    check(st == 413, 'oversize decision 413')
    st, _, _ = request(p, 'GET', url)
    check(st == 405, 'GET on decisions 405')
    st, _, _ = request(p, 'POST', '/api/board', body='{}')
    check(st == 405, 'POST on the list 405')
    st, _, _ = request(p, 'GET', '/api/board/nothing')
    check(st == 404, 'unknown board route 404')
    con = sqlite3.connect(db)
    check(con.execute('SELECT count(*) FROM decisions').fetchone()[0] == 0,
          'no bad request wrote a decision')
    con.close()

    # ---- a decision, then an amendment
    st, body, _ = request(p, 'POST', url, body=json.dumps(good))
    d1 = jbody(body)
    check(st == 201 and d1.get('decision', 0) > 0, 'decision recorded (%d %s)' % (st, body[:200]))
    amend = dict(good, option='TACE', deviation='T1 abuts the gallbladder',
                 rationale='Re-discussed', amends=d1.get('decision'), actor='dr.other')
    st, body, _ = request(p, 'POST', url, body=json.dumps(amend))
    d2 = jbody(body)
    check(st == 201 and d2.get('amends') == d1.get('decision'), 'amendment recorded')
    st, body, _ = request(p, 'POST', '/api/board/cases/HCC-0002/decisions',
                          body=json.dumps(dict(good, guideline=None, amends=d1.get('decision'))))
    check(st == 400 and 'another patient' in jbody(body).get('error', ''),
          "amending another patient's decision refused")
    st, body, _ = request(p, 'GET', '/api/board/cases/HCC-0001')
    ds = jbody(body).get('decisions', [])
    check(len(ds) == 2 and ds[0]['amended_by'] == d2.get('decision') and
          ds[0]['decided_by'] == 'dr.web' and ds[1]['decided_by'] == 'dr.other' and
          ds[0]['chosen_option'] == fx['options'][0], 'decisions as stored, amendment chained')
    con = sqlite3.connect(db)
    audit = con.execute("SELECT actor, action FROM audit WHERE tbl = 'decisions' ORDER BY id").fetchall()
    check(audit == [('dr.web', 'decide'), ('dr.other', 'amend-decision')], 'audit rows: %s' % audit)
    try:
        con.execute("UPDATE decisions SET rationale = 'changed'")
        con.commit()
        check(False, 'decisions stay append-only')
    except sqlite3.DatabaseError:
        check(True, 'decisions stay append-only')
    con.close()
    st, body, _ = request(p, 'GET', '/api/board')
    c1 = {c['pseudonym']: c for c in jbody(body)['cases']}['HCC-0001']
    check(c1['decisions'] == 2 and c1['last_option'] == 'TACE' and
          c1['decided_at'] == [fx['quorate']], 'the list shows the decisions')
    st, body, _ = request(p, 'GET', '/api/board/cases/HCC-0001/sheet.pdf')
    txt = ' '.join(subprocess.run(['pdftotext', sheet, '-'], capture_output=True,
                                  text=True).stdout.split())
    check(st == 200 and 'Amendment #%d' % d2['decision'] in txt and 'Re-discussed' in txt,
          'the sheet shows the recorded decisions')
    st, _, _ = request(p, 'GET', '/api/health')
    check(st == 200, 'still serving after the bad requests')
finally:
    check(srv.stop() == 0, 'server stops cleanly')

# ---- no store: 404, and a read creates nothing
empty = tempfile.mkdtemp(prefix='carm_board_empty_')
srv = Server(empty)
try:
    st, body, _ = request(srv.port, 'GET', '/api/board')
    check(st == 404 and 'board' in jbody(body).get('error', ''), 'no store: 404')
    st, _, _ = request(srv.port, 'POST', '/api/board/cases/HCC-0001/decisions',
                       body=json.dumps(good))
    check(st == 404, 'no store: decision 404')
    check(not os.path.exists(os.path.join(empty, 'board.db')), 'no store created by a request')
finally:
    srv.stop()
# the default store is DIR/board.db
make_store(os.path.join(empty, 'board.db'))
srv = Server(empty)
try:
    st, body, _ = request(srv.port, 'GET', '/api/board')
    check(st == 200 and len(jbody(body)['cases']) == 2, 'DIR/board.db used by default')
finally:
    srv.stop()
r = subprocess.run([os.environ['CARM'], 'serve', empty, '--port', '0', '--board',
                    os.path.join(empty, 'nope.db')], capture_output=True, text=True, timeout=20)
check(r.returncode == 1 and 'nope.db' in r.stderr, '--board with a missing store refused')

done()
