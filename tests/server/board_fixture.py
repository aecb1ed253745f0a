"""A small tumour-board store made through the carm CLI, for the board API and
board page tests: two patients (one staged, with a study), a quorate meeting
and one without a quorum."""
import json
import os
import subprocess


def board(db, *args):
    env = dict(os.environ, CARM_BOARD_DB=db, CARM_ACTOR='fixture')
    r = subprocess.run([os.environ['CARM'], 'board', *args], capture_output=True, text=True,
                       env=env, timeout=60)
    if r.returncode != 0:
        raise RuntimeError('carm board %s: %s' % (' '.join(args), r.stderr))
    return json.loads(r.stdout)


def make_store(db):
    """Returns {'quorate': id, 'small': id, 'stage': BCLC result, 'options': [...]}."""
    board(db, 'add-patient', 'HCC-0001')
    board(db, 'labs', 'HCC-0001', 'date=2026-11-18', 'bilirubin=43umol/L', 'albumin=30g/L',
          'inr=1.5', 'sodium=134mmol/L', 'creatinine=1.1mg/dL', 'afp=25ng/mL')
    board(db, 'state', 'HCC-0001', 'date=2026-11-18', 'ecog=0', 'ascites=mild',
          'encephalopathy=none', 'portal_hypertension=no', 'vascular_invasion=no',
          'extrahepatic=no')
    board(db, 'study', 'HCC-0001', 'date=2026-11-17', 'modality=CBCT', 'tumour=T1:25:8:8.2',
          'tumour=T2:18:6')
    staged = board(db, 'stage', 'HCC-0001', 'date=2026-11-20', 'transplant_candidate=no',
                   'dialysis=no', 'sex=female')
    board(db, 'add-patient', 'HCC-0002')
    q = board(db, 'meeting', 'date=2026-11-20', 'attendee=Dr Alpha:hepatology',
              'attendee=Dr Beta:surgery', 'attendee=Dr Gamma:interventional radiology')
    small = board(db, 'meeting', 'date=2026-11-21', 'attendee=Dr Alpha:hepatology',
                  'attendee=Dr Beta:surgery')
    res = staged['results']
    return {'quorate': q['meeting'], 'small': small['meeting'], 'results': res,
            'options': [o['option'] for o in res['bclc']['options'] if o['role'] == 'recommended']}
